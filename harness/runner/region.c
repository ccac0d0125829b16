/*
 * region.c - the measured-region API kernels call (workload.h) and the record
 * writer (record.h). Linked into the runner, where it runs, and into the
 * harness, where it does not run but the workload descriptors reference it.
 * Nothing here allocates.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <valgrind/callgrind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/parse.h"
#include "runner/record.h"
#include "workload.h"

static struct ab_rec point_rec;
/* The allocation-site tracer's round end, when bench traces this process
 * (libabtrace.so preloaded): a kernel's round is the tracer's round too. */
static void (*trace_round)(void);

void ab_region_trace_init(void)
{
        if (getenv("ALLOCBENCH_TRACE_OUT"))
                trace_round = (void (*)(void))dlsym(RTLD_DEFAULT, "allocbench_trace_round");
}

void ab_record_send(struct ab_rec *r, uint32_t kind)
{
        const char *p = (const char *)r;
        size_t left = sizeof *r;
        r->magic = AB_REC_MAGIC;
        r->kind = kind;
        while (left) {
                ssize_t n = write(AB_RECORD_FD, p, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return; /* the parent is gone; nothing to tell */
                p += n;
                left -= (size_t)n;
        }
}

void ab_report_error(int err, const char *msg)
{
        struct ab_rec r;
        memset(&r, 0, sizeof r);
        r.u.error.err = err;
        snprintf(r.u.error.msg, sizeof r.u.error.msg, "%s", msg);
        ab_record_send(&r, AB_REC_ERROR);
}

/* Marks in a strace log: a write to fd -1 fails at once and is logged with
 * its text, so the accounting pass can count only the region's calls. */
static void marker(const char *text)
{
        long r = syscall(SYS_write, -1, text, strlen(text));
        (void)r;
}

void ab_region_begin(struct ab_kctx *k)
{
        ab_prim_usage_self(&k->u0);
        switch (k->count_mode) {
        case AB_COUNT_MARKERS:
                marker(AB_MARK_BEGIN);
                break;
        case AB_COUNT_HW:
                if (k->icount >= 0)
                        ab_prim_icount_enable(k->icount, 1);
                break;
        }
        k->t0_ns = ab_prim_now_ns(); /* the clock brackets only the work */
        if (k->count_mode == AB_COUNT_CALLGRIND)
                CALLGRIND_TOGGLE_COLLECT; /* the count brackets only the work */
}

void ab_region_end(struct ab_kctx *k, uint64_t ops)
{
        uint64_t t1;
        struct ab_usage u1;
        struct ab_mem m;
        struct ab_rec_point *p = &point_rec.u.point;
        if (k->count_mode == AB_COUNT_CALLGRIND)
                CALLGRIND_TOGGLE_COLLECT;
        t1 = ab_prim_now_ns(); /* first, for the same reason */
        if (k->count_mode == AB_COUNT_HW && k->icount >= 0)
                ab_prim_icount_enable(k->icount, 0);
        if (k->count_mode == AB_COUNT_MARKERS)
                marker(AB_MARK_END);

        ab_prim_usage_self(&u1);
        ab_prim_mem_self(&m);
        p->ops = ops;
        p->elapsed_ns = t1 - k->t0_ns - k->paused_ns;
        p->user_ns = u1.user_ns - k->u0.user_ns;
        p->sys_ns = u1.sys_ns - k->u0.sys_ns;
        p->minflt = u1.minflt - k->u0.minflt;
        p->majflt = u1.majflt - k->u0.majflt;
        p->rss_kib = m.rss_kib;
        p->vsz_kib = m.vsz_kib;
        p->pte_kib = m.pte_kib;
        p->hwm_kib = m.hwm_kib;
        p->instructions = AB_UNKNOWN;
        p->count_err = 0;
        p->have_first = k->have_first;
        p->first_ns = k->first_ns;
        p->first_minflt = k->first_minflt;
        p->warmup_ops = k->warmup_ops;
        p->warmup_end = k->warmup_end;
        p->have_halves = k->have_mid && k->mid_ops > 0 && k->mid_ops < ops;
        if (p->have_halves) {
                uint64_t mid_ns = k->mid_t_ns - k->t0_ns - k->mid_paused_ns;
                p->half_ops[0] = k->mid_ops;
                p->half_ops[1] = ops - k->mid_ops;
                p->half_ns[0] = mid_ns;
                p->half_ns[1] = p->elapsed_ns > mid_ns ? p->elapsed_ns - mid_ns : 0;
                p->half_minflt[0] = k->mid_minflt - k->u0.minflt;
                p->half_minflt[1] = u1.minflt - k->mid_minflt;
        }
        if (k->count_mode == AB_COUNT_HW) {
                if (k->icount >= 0)
                        p->instructions = ab_prim_icount_read(k->icount);
                else
                        p->count_err = -k->icount;
        }
}

void ab_region_mid(struct ab_kctx *k, uint64_t ops)
{
        struct ab_usage u;
        uint64_t t0 = ab_prim_now_ns(), t1;
        ab_prim_usage_self(&u);
        t1 = ab_prim_now_ns();
        k->mid_t_ns = t0;
        k->mid_paused_ns = k->paused_ns;
        k->mid_minflt = u.minflt;
        k->mid_ops = ops;
        k->have_mid = true;
        k->paused_ns += t1 - t0; /* reading the counters is not the workload's work */
}

void ab_first_begin(struct ab_kctx *k)
{
        struct ab_usage u;
        ab_prim_usage_self(&u);
        k->first_minflt = u.minflt;
        k->first_ns = ab_prim_now_ns();
}

void ab_first_end(struct ab_kctx *k)
{
        uint64_t t1 = ab_prim_now_ns();
        struct ab_usage u;
        ab_prim_usage_self(&u);
        k->first_ns = t1 - k->first_ns;
        k->first_minflt = u.minflt - k->first_minflt;
        k->have_first = true;
}

/* Two fault counts agree: within 10% of the larger, or one fault apart. */
static bool faults_agree(uint64_t a, uint64_t b)
{
        uint64_t hi = a > b ? a : b, lo = a > b ? b : a;
        return hi - lo <= 1 || (double)(hi - lo) <= 0.1 * (double)hi;
}

int ab_warmup(struct ab_kctx *k, int (*op)(void *arg), void *arg, uint64_t min, uint64_t max,
              uint64_t cap_ns)
{
        uint64_t prev = 0, n, t0;
        int r;
        if (max < min)
                max = min;
        if (max == 0)
                return 0;
        t0 = ab_prim_now_ns();
        ab_first_begin(k);
        r = op(arg);
        ab_first_end(k);
        if (r)
                return r;
        /* The cold op is never compared: steady means two ops after it agree. */
        k->warmup_end = AB_WARMUP_MAX;
        for (n = 1; n < max; n++) {
                struct ab_usage u0, u1;
                uint64_t f;
                ab_prim_usage_self(&u0);
                if ((r = op(arg)))
                        return r;
                ab_prim_usage_self(&u1);
                f = u1.minflt - u0.minflt;
                if (n + 1 >= min && n >= 2 && faults_agree(prev, f)) {
                        k->warmup_end = AB_WARMUP_STEADY;
                        n++;
                        break;
                }
                if (n + 1 >= min && ab_prim_now_ns() - t0 >= cap_ns) {
                        k->warmup_end = AB_WARMUP_CAP;
                        n++;
                        break;
                }
                prev = f;
        }
        k->warmup_ops = n;
        return 0;
}

void ab_region_send_point(uint64_t op_hash, uint64_t live_peak)
{
        point_rec.u.point.op_hash = op_hash;
        point_rec.u.point.live_peak = live_peak;
        ab_record_send(&point_rec, AB_REC_POINT);
}

void ab_round_end(struct ab_kctx *k, uint64_t index, uint64_t ns, uint64_t live_bytes)
{
        uint64_t t0 = ab_prim_now_ns();
        struct ab_rec r;
        struct ab_mem m;
        /* reporting is not the workload's work: not timed (paused_ns), not
         * counted (its /proc reads vary in length run to run) */
        if (k->count_mode == AB_COUNT_CALLGRIND)
                CALLGRIND_TOGGLE_COLLECT;
        if (trace_round)
                trace_round();
        ab_prim_mem_self(&m);
        memset(&r, 0, sizeof r);
        r.u.round.index = index;
        r.u.round.ns = ns;
        r.u.round.live_bytes = (int64_t)live_bytes;
        r.u.round.rss_kib = m.rss_kib;
        r.u.round.vsz_kib = m.vsz_kib;
        r.u.round.pte_kib = m.pte_kib;
        r.u.round.anon_kib = r.u.round.anon_vsz_kib = AB_UNKNOWN;
        r.u.round.threads = r.u.round.procs = AB_UNKNOWN;
        ab_record_send(&r, AB_REC_ROUND);
        if (k->count_mode == AB_COUNT_CALLGRIND)
                CALLGRIND_TOGGLE_COLLECT;
        k->paused_ns += ab_prim_now_ns() - t0;
}

int ab_kernel_sizes(const char *text, uint64_t *out, size_t cap)
{
        size_t n = 0;
        int r = ab_parse_list(text, out, cap, &n);
        return r ? r : (int)n;
}
