/*
 * replay: a recorded program's allocations (bench run --record, format in
 * harness/trace/arec.h) played again against the allocator under test.
 *
 * Every recorded thread is a thread here (the first, usually the
 * program's main thread, is the runner's), each making its recorded calls
 * in its recorded order: malloc, calloc, aligned allocations and realloc
 * with the recorded sizes and alignments, and the frees. A free (or
 * realloc) of a block another thread made waits until that thread has
 * made it. At each recorded round end every thread stops at its recorded
 * count of events, and the last to arrive reports the round (its wall
 * time and the exact live bytes, the sum of the requested sizes of the
 * blocks live then); a thread that another waits on runs on past its
 * count until the block is made (arec_sim.h: the same rules as the check
 * bench makes first). The blocks are written as `touch` says: one byte per
 * page (the default: the pages a program touches are what its resident
 * memory is made of; which bytes it wrote is not recorded), the first byte
 * only, or none.
 *
 * No warm-up: a recorded program started cold. The record is mapped and
 * decoded as it is played; the pages already played are given back, and
 * the table of block pointers (16 bytes a block, mapped, never malloc'd)
 * gives back each page whose blocks are all freed: the replay's own
 * memory stays a small part of what it measures. op_hash is the hash of
 * every thread's stream of calls (its kinds, sizes and the blocks freed),
 * the same for every allocator and every run of one record.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/prng.h"
#include "replay_table.h"
#include "trace/arec_read.h"
#include "workload.h"

enum { P_TRACE, P_TOUCH, P_SETTLE };
enum { TOUCH_PAGE, TOUCH_FIRST, TOUCH_NONE };
#define PEAK_EVERY 256 /* several threads: live bytes summed every so many events of each */

static const struct ab_param params[] = {
        [P_TRACE] = {"trace", AB_PT_RECORD, "", 0, 0, NULL, NULL, false,
                     "the record to replay (bench run --record FILE; FILE.zst too)"},
        [P_TOUCH] = {"touch", AB_PT_ENUM, "page", 0, 2, "page|first|none", NULL, false,
                     "what of each new block is written: a byte per page, the first, none"},
        [P_SETTLE] = {"settle_ms", AB_PT_COUNT, "0", 0, 60000, NULL, NULL, false,
                      "pause after each round before measuring (not timed)"},
};

struct replay;

struct rthread {
        struct ab_arec_cursor cur;
        struct rp_table tab; /* the blocks it makes */
        uint64_t done, target;
        /* the next segment's target, set by the leader; a thread takes it
         * only once it sees the segment start (gen), so that one still
         * playing past its count for a waiting thread stops where it
         * should, and arrives only at the next segment's end */
        uint64_t next_target;
        uint64_t need;       /* blocks another thread waits for it to make (atomic) */
        int64_t live;        /* bytes it allocated minus the bytes it freed */
        uint64_t peak;       /* alone: the most live at once */
        struct replay *rp;
        pthread_t tid;
        bool started;
} __attribute__((aligned(64)));

struct replay {
        struct ab_kctx *k;
        struct ab_arec a;
        struct rthread *t; /* a.nthreads of them, mapped */
        uint32_t n;
        int touch;
        uint64_t settle_ms, page;
        size_t round_off;         /* the next round end to read */
        struct ab_arec_round round;
        bool last;                /* the segment played is the one after the last round */
        uint64_t t_round;         /* when the segment started */
        uint64_t live_peak;
        uint32_t gen __attribute__((aligned(64))); /* futex: bumped as a segment starts */
        uint32_t arrived;
        int finished;
        int err __attribute__((aligned(64))); /* the first error (errno) */
        size_t err_off;
};

static void *map(size_t len)
{
        void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

static void wake_all(struct replay *rp)
{
        syscall(SYS_futex, &rp->gen, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static void fail(struct replay *rp, int err, size_t off)
{
        int zero = 0;
        if (__atomic_compare_exchange_n(&rp->err, &zero, err, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
                rp->err_off = off;
        __atomic_add_fetch(&rp->gen, 1, __ATOMIC_RELEASE);
        wake_all(rp);
}

static bool stopped(const struct replay *rp)
{
        return __atomic_load_n(&rp->err, __ATOMIC_RELAXED) != 0;
}

static inline void touch(const struct replay *rp, char *p, uint64_t size)
{
        if (rp->touch == TOUCH_NONE || !size)
                return;
        if (rp->touch == TOUCH_FIRST) {
                p[0] = 1;
                return;
        }
        for (uint64_t off = 0; off < size; off += rp->page)
                p[off] = 1;
}

/* Block i of thread `thread` taken out of its table (its memory in *p,
 * its size in *size): another thread's is waited for until made (that
 * thread told, should it be parked at a round end). 0, -EINVAL (not live:
 * a malformed record), or -1 when the replay stopped meanwhile. */
static int take(struct replay *rp, struct rthread *self, uint32_t thread, uint64_t i, void **p,
                uint64_t *size)
{
        struct rthread *o = &rp->t[thread];
        if (o != self && __atomic_load_n(&o->tab.made, __ATOMIC_ACQUIRE) <= i) {
                uint64_t want = i + 1, have = __atomic_load_n(&o->need, __ATOMIC_RELAXED);
                while (have < want &&
                       !__atomic_compare_exchange_n(&o->need, &have, want, true, __ATOMIC_RELEASE,
                                                    __ATOMIC_RELAXED))
                        ;
                for (unsigned spin = 0; __atomic_load_n(&o->tab.made, __ATOMIC_ACQUIRE) <= i;
                     spin++) {
                        if (stopped(rp))
                                return -1;
                        if (spin >= 64) {
                                wake_all(rp); /* a parked owner sleeps on gen */
                                sched_yield();
                        }
                }
        }
        return rp_table_take(&o->tab, i, o == self, p, size);
}

/* Every thread's live bytes summed, now and then, for the peak of a
 * replay with several threads (one thread's is exact); returns the sum. */
static int64_t sample_peak(struct replay *rp)
{
        int64_t sum = 0;
        uint64_t have = __atomic_load_n(&rp->live_peak, __ATOMIC_RELAXED);
        for (uint32_t i = 0; i < rp->n; i++)
                sum += __atomic_load_n(&rp->t[i].live, __ATOMIC_RELAXED);
        while (sum > 0 && (uint64_t)sum > have &&
               !__atomic_compare_exchange_n(&rp->live_peak, &have, (uint64_t)sum, true,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                ;
        return sum;
}

static inline void add_live(struct replay *rp, struct rthread *t, int64_t d)
{
        int64_t live = t->live + d;
        __atomic_store_n(&t->live, live, __ATOMIC_RELAXED);
        if (rp->n == 1) {
                if (live > 0 && (uint64_t)live > t->peak)
                        t->peak = (uint64_t)live;
        } else if (d > 0 && !(t->done & (PEAK_EVERY - 1))) {
                sample_peak(rp);
        }
}

static int new_block(struct replay *rp, struct rthread *t, const struct ab_arec_event *e, void *old)
{
        void *p = NULL;
        int r;
        switch (e->op) {
        case AB_AO_MALLOC:
                p = malloc(e->size);
                break;
        case AB_AO_CALLOC:
                p = calloc(1, e->size);
                break;
        case AB_AO_MEMALIGN: {
                size_t align = (size_t)1 << e->align_log2;
                if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, e->size))
                        p = NULL;
                break;
        }
        default:
                p = realloc(old == RP_EMPTY ? NULL : old, e->size);
                break;
        }
        if (!p && e->size)
                return -ENOMEM;
        if (p)
                touch(rp, p, e->size);
        else
                p = RP_EMPTY; /* 0 bytes and no memory (realloc to 0 freed the block) */
        /* every figure first: a thread that waits for this block may be
         * the last to reach the round end, and read them */
        add_live(rp, t, (int64_t)e->size);
        t->done++;
        if ((r = rp_table_put(&t->tab, p, e->size)) < 0)
                return r;
        return 0;
}

/* The pages of a chunk played to its end go back. */
static void chunk_done(const struct replay *rp, const struct ab_arec_cursor *c)
{
        uintptr_t lo = ((uintptr_t)c->lo + rp->page - 1) & ~(uintptr_t)(rp->page - 1);
        uintptr_t hi = (uintptr_t)c->end & ~(uintptr_t)(rp->page - 1);
        if (hi > lo)
                madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* One event of thread t: 0, -errno, or -1 when the replay stopped. */
static int step(struct replay *rp, struct rthread *t)
{
        struct ab_arec_event e;
        void *old = NULL;
        uint64_t size;
        int r;
        if (ab_arec_next(&t->cur, &e) <= 0)
                return -EINVAL;
        if (t->cur.p == t->cur.end)
                chunk_done(rp, &t->cur);
        if (e.op >= AB_AO_FREE_OWN || (e.op == AB_AO_REALLOC && !e.old_null)) {
                if ((r = take(rp, t, e.thread, e.block, &old, &size)) < 0)
                        return r;
                add_live(rp, t, -(int64_t)size);
        }
        if (e.op <= AB_AO_REALLOC)
                return new_block(rp, t, &e, old);
        if (old != RP_EMPTY)
                free(old);
        t->done++;
        return 0;
}

/* Play while the thread owes events to the segment, or a block to a
 * thread that waits for it. */
static int play(struct replay *rp, struct rthread *t)
{
        while (t->done < t->target ||
               t->tab.made < __atomic_load_n(&t->need, __ATOMIC_ACQUIRE)) {
                int r = step(rp, t);
                if (r < 0) {
                        if (r != -1)
                                fail(rp, -r, ab_arec_cursor_offset(&t->cur));
                        return -1;
                }
                if (stopped(rp))
                        return -1;
        }
        return 0;
}

static void sleep_ms(uint64_t ms)
{
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
        while (ms && nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

/* Every thread's count of events for the next segment: the next round
 * end's, or the end of its stream. */
static void next_targets(struct replay *rp)
{
        if (!rp->last && ab_arec_round_next(&rp->a, &rp->round_off, &rp->round) == 1) {
                for (uint32_t i = 0; i < rp->n; i++)
                        if (rp->t[i].next_target < rp->round.events[i])
                                rp->t[i].next_target = rp->round.events[i];
                return;
        }
        rp->last = true;
        for (uint32_t i = 0; i < rp->n; i++)
                rp->t[i].next_target = rp->a.t_events[i];
}

/* The last thread to reach the segment's end: the round is reported, the
 * next segment released. */
static void lead(struct replay *rp)
{
        uint64_t now = ab_prim_now_ns();
        int64_t live = sample_peak(rp);
        if (rp->last) {
                rp->finished = 1;
        } else {
                ab_round_end(rp->k, rp->round.index, now - rp->t_round,
                             live > 0 ? (uint64_t)live : 0);
                if (rp->settle_ms) {
                        uint64_t t1 = ab_prim_now_ns();
                        sleep_ms(rp->settle_ms);
                        rp->k->paused_ns += ab_prim_now_ns() - t1;
                }
                next_targets(rp);
                rp->t_round = ab_prim_now_ns();
        }
        __atomic_store_n(&rp->arrived, 0, __ATOMIC_RELAXED);
        __atomic_add_fetch(&rp->gen, 1, __ATOMIC_RELEASE);
        wake_all(rp);
}

/* Thread t reached the segment's end: waits for the others (playing on for
 * any that waits on it), 0 when the next segment starts, -1 when all is
 * played or the replay stopped. */
static int arrive(struct replay *rp, struct rthread *t, uint32_t *gen)
{
        if (__atomic_add_fetch(&rp->arrived, 1, __ATOMIC_ACQ_REL) == rp->n)
                lead(rp);
        for (unsigned spin = 0;; spin++) {
                uint32_t g = __atomic_load_n(&rp->gen, __ATOMIC_ACQUIRE);
                if (g != *gen) {
                        *gen = g;
                        if (stopped(rp) || __atomic_load_n(&rp->finished, __ATOMIC_ACQUIRE))
                                return -1;
                        t->target = t->next_target;
                        return 0;
                }
                if (t->tab.made < __atomic_load_n(&t->need, __ATOMIC_ACQUIRE)) {
                        if (play(rp, t) < 0)
                                return -1;
                        continue;
                }
                if (spin < 64)
                        continue;
                syscall(SYS_futex, &rp->gen, FUTEX_WAIT_PRIVATE, g, NULL, NULL, 0);
        }
}

static void run_thread(struct rthread *t)
{
        struct replay *rp = t->rp;
        uint32_t gen = 0;
        /* the start: gen goes from 0 to 1 */
        while (!(gen = __atomic_load_n(&rp->gen, __ATOMIC_ACQUIRE)))
                syscall(SYS_futex, &rp->gen, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        while (!stopped(rp) && play(rp, t) == 0 && arrive(rp, t, &gen) == 0)
                ;
}

static void *thread_main(void *arg)
{
        run_thread(arg);
        return NULL;
}

/* The hash of every thread's calls, from the record alone. */
static uint64_t streams_hash(const struct ab_arec *a)
{
        uint64_t h = AB_HASH_INIT;
        for (uint32_t i = 0; i < a->nthreads; i++) {
                struct ab_arec_cursor c;
                struct ab_arec_event e;
                uint64_t th = AB_HASH_INIT;
                ab_arec_cursor_init(&c, a, i);
                while (ab_arec_next(&c, &e) == 1) {
                        if (e.op >= AB_AO_FREE_OWN)
                                th = ab_hash_op(th, e.op, (uint64_t)e.thread << 40 | e.block);
                        else
                                th = ab_hash_op(th, e.op | (uint32_t)e.align_log2 << 8, e.size);
                }
                h = ab_hash_op(h, i, th);
        }
        return h;
}

static int setup(struct replay *rp)
{
        char err[600];
        int r = ab_arec_open(&rp->a, rp->k->text[P_TRACE], err, sizeof err);
        if (r) {
                ab_report_error(-r, err);
                return r;
        }
        madvise((void *)rp->a.p, rp->a.len, MADV_SEQUENTIAL);
        rp->n = rp->a.nthreads;
        rp->page = (uint64_t)sysconf(_SC_PAGESIZE);
        rp->round_off = rp->a.first_round;
        if (!(rp->t = map(sizeof *rp->t * (rp->n ? rp->n : 1))))
                return -ENOMEM;
        for (uint32_t i = 0; i < rp->n; i++) {
                struct rthread *t = &rp->t[i];
                t->rp = rp;
                if (rp_table_init(&t->tab, rp->a.t_blocks[i], rp->page, rp->n > 1) < 0)
                        return -ENOMEM;
                ab_arec_cursor_init(&t->cur, &rp->a, i);
        }
        next_targets(rp);
        for (uint32_t i = 0; i < rp->n; i++)
                rp->t[i].target = rp->t[i].next_target;
        return 0;
}

static void teardown(struct replay *rp)
{
        for (uint32_t i = 0; rp->t && i < rp->n; i++)
                rp_table_fini(&rp->t[i].tab);
        if (rp->t)
                munmap(rp->t, sizeof *rp->t * (rp->n ? rp->n : 1));
        ab_arec_close(&rp->a);
}

static int replay_run(struct ab_kctx *k)
{
        static struct replay rp; /* one per process: the runner runs one point */
        int r;
        memset(&rp, 0, sizeof rp);
        rp.k = k;
        rp.touch = (int)k->v[P_TOUCH];
        rp.settle_ms = k->v[P_SETTLE];
        if ((r = setup(&rp)) < 0)
                goto out;
        for (uint32_t i = 1; i < rp.n; i++) {
                if ((r = -pthread_create(&rp.t[i].tid, NULL, thread_main, &rp.t[i])) < 0) {
                        fail(&rp, -r, 0);
                        break;
                }
                rp.t[i].started = true;
        }
        if (!rp.err) {
                ab_region_begin(k);
                rp.t_round = ab_prim_now_ns();
                __atomic_store_n(&rp.gen, 1, __ATOMIC_RELEASE);
                wake_all(&rp);
                if (rp.n)
                        run_thread(&rp.t[0]);
                if (rp.n == 1)
                        rp.live_peak = rp.t[0].peak;
                if (!rp.err) {
                        k->live_peak = rp.live_peak;
                        ab_region_end(k, rp.a.events);
                }
        }
        for (uint32_t i = 1; i < rp.n; i++)
                if (rp.t[i].started)
                        pthread_join(rp.t[i].tid, NULL);
        if (rp.err) {
                char msg[200];
                r = -rp.err;
                snprintf(msg, sizeof msg, "%s: byte %zu: %s", k->text[P_TRACE], rp.err_off,
                         rp.err == ENOMEM ? "an allocation the record made failed here"
                                          : "a malformed event (check it: bench trace info)");
                ab_report_error(rp.err, msg);
                goto out;
        }
        k->op_hash = streams_hash(&rp.a);
        r = 0;
out:
        teardown(&rp);
        return r;
}

/* The record must be named. */
static int replay_check(const uint64_t *v, char *err, size_t len)
{
        if (v[P_TRACE])
                return 0;
        snprintf(err, len, "replay needs a record to play: --set trace=FILE (one bench run "
                           "--record FILE wrote)");
        return -EINVAL;
}

const struct ab_workload ab_wl_replay = {
        .abi = AB_WORKLOAD_ABI,
        .kind = AB_WK_KERNEL,
        .name = "replay",
        .help = "a program's recorded allocations (bench run --record) played again",
        .params = params,
        .nparams = sizeof params / sizeof params[0],
        .run = replay_run,
        .check = replay_check,
};
