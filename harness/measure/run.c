/*
 * run.c - `bench [run]`: parse the options, run the allocator x workload x
 * point x repetition matrix (one fresh child per repetition), write the
 * results file atomically and print the summary.
 *
 * Repetitions are interleaved across allocators (rep 1 of every allocator,
 * then rep 2, ...) so that slow drift of the machine spreads over all of them
 * instead of biasing the one measured last.
 */
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "measure/bench.h"
#include "measure/opts.h"
#include "detect/detect.h"
#include "doc/doc.h"
#include "report/report.h"
#include "measure/job.h"
#include "core/fmt.h"
#include "core/parse.h"
#include "prim/prim.h"
#include "measure/place.h"
#include "core/prng.h"
#include "core/progress.h"



static char runner_path[PATH_MAX];

const char *ab_runner_path(void)
{
        return runner_path;
}

int ab_find_runner(const char *argv0)
{
        char dir[PATH_MAX - 32];
        const char *env = getenv("ALLOCBENCH_RUNNER");
        if (env && *env) {
                snprintf(runner_path, sizeof runner_path, "%s", env);
                return access(runner_path, X_OK) == 0 ? 0 : -ENOENT;
        }
        if (ab_prim_exe_dir(argv0, dir, sizeof dir) == 0) {
                snprintf(runner_path, sizeof runner_path, "%s/build/ab-runner", dir);
                if (access(runner_path, X_OK) == 0)
                        return 0;
                snprintf(runner_path, sizeof runner_path, "%s/ab-runner", dir);
                if (access(runner_path, X_OK) == 0)
                        return 0;
        }
        fprintf(stderr, "bench: cannot find the runner build/ab-runner next to bench "
                        "(run make, or set ALLOCBENCH_RUNNER)\n");
        return -ENOENT;
}

/* --- the matrix ------------------------------------------------------------ */

struct matrix {
        struct ab_opts *o;
        struct ab_run_res *runs; /* nallocs * njobs, job-major */
        char ***envs;            /* per allocator */
        uint64_t start_ns;
        size_t total;        /* points of the matrix */
        struct ab_progress prog;
        json_t *cal;         /* this machine's calibration, or NULL */
        bool interrupted;
        struct ab_numa numa; /* prepared --numa policy */
        char **env_plain;    /* the environment without a preload (strace gets it by -E) */
        char valgrind[PATH_MAX], strace[PATH_MAX]; /* accounting tools, resolved */
        char tmpdir[64];     /* accounting outputs */
        struct ab_tools tools;
        int count_err;       /* why --count instructions found no counter */
};

static bool wrap_is_qemu(const struct ab_opts *o)
{
        const char *base;
        if (!o->wrap_argv)
                return false;
        base = strrchr(o->wrap_argv[0], '/');
        base = base ? base + 1 : o->wrap_argv[0];
        return strncmp(base, "qemu-", 5) == 0;
}

/* A growable argv for one child. */
struct argv {
        char **v;
        size_t n, cap;
        bool failed;
};

__attribute__((format(printf, 2, 3))) static void push(struct argv *a, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        if (a->failed)
                return;
        if (a->n + 2 > a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 32;
                char **v = realloc(a->v, cap * sizeof *v);
                if (!v) {
                        a->failed = true;
                        return;
                }
                a->v = v;
                a->cap = cap;
        }
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                a->failed = true;
        va_end(ap);
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
}

static void free_argv(char **av)
{
        if (!av)
                return;
        for (char **a = av; *a; a++)
                free(*a);
        free(av);
}

/* The words of one child: [wrapper [-E preload]] then the runner in `mode`
 * (info or run) with the point's parameters, or the cmd program. */
/* How one child is started: the user's launcher, or an accounting pass's. */
enum pass { PASS_NATIVE, PASS_CALLGRIND, PASS_STRACE };

static char **child_argv(const struct matrix *m, const struct ab_run_res *run, const char *mode,
                         size_t point, uint64_t iters, enum pass pass, const char *outfile)
{
        const struct ab_opts *o = m->o;
        const struct ab_job *j = run->job;
        const struct ab_workload *w = j->w;
        struct argv a = {0};
        bool preload_arg = wrap_is_qemu(o);

        if (pass == PASS_CALLGRIND) {
                push(&a, "%s", m->valgrind);
                push(&a, "--tool=callgrind");
                push(&a, "--collect-atstart=no");
                push(&a, "--callgrind-out-file=%s", outfile);
                push(&a, "-q");
        } else if (pass == PASS_STRACE) {
                push(&a, "%s", m->strace);
                push(&a, "-f");
                push(&a, "-qq");
                push(&a, "-o");
                push(&a, "%s", outfile);
                push(&a, "-e");
                push(&a, "trace=mmap,munmap,mprotect,madvise,brk,mremap,write");
                push(&a, "-e");
                push(&a, "signal=none");
                preload_arg = true; /* strace itself must not be preloaded */
        } else {
                for (size_t i = 0; i < o->wrap_argc; i++)
                        push(&a, "%s", o->wrap_argv[i]);
        }
        if (preload_arg && run->alloc->library[0]) { /* the traced program's environment */
                push(&a, "-E");
                push(&a, "%s=%s", ab_prim_preload_var(), run->alloc->library);
        }
        if (w->kind == AB_WK_PROGRAM && strcmp(mode, "run") == 0) {
                for (int i = 0; i < o->cmd_argc; i++)
                        push(&a, "%s", o->cmd_argv[i]);
                goto out;
        }
        push(&a, "%s", runner_path);
        push(&a, "%s", mode);
        push(&a, "--vq=%d", (int)run->alloc->vq);
        if (run->alloc->library[0])
                push(&a, "--expect=%s", run->alloc->library);
        push(&a, "--seed=%llu", (unsigned long long)o->seed);
        if (pass == PASS_CALLGRIND)
                push(&a, "--count=callgrind");
        else if (pass == PASS_STRACE)
                push(&a, "--count=markers");
        else if (o->count == AB_COUNT_HW)
                push(&a, "--count=instructions");
        if (strcmp(mode, "run") != 0)
                goto out;
        push(&a, "%s", w->name);
        for (size_t i = 0; i < w->nparams; i++) {
                const struct ab_param *p = &w->params[i];
                uint64_t v = (int)i == j->sweep ? j->points[point] : j->v[i];
                if (v == AB_AUTO)
                        v = iters;
                if (p->type == AB_PT_SIZES) {
                        push(&a, "%s=%s", p->name, j->text[i]);
                } else if (p->type == AB_PT_ENUM) {
                        const char *c = p->choices;
                        for (uint64_t e = 0; e < v; e++)
                                c = strchr(c, '|') + 1;
                        push(&a, "%s=%.*s", p->name, (int)strcspn(c, "|"), c);
                } else {
                        push(&a, "%s=%llu", p->name, (unsigned long long)v);
                }
        }
out:
        if (a.failed) {
                free_argv(a.v);
                return NULL;
        }
        return a.v;
}

/* Start one child for (run, point) and wait for it. */
static int spawn_child(struct matrix *m, size_t ri, const char *mode, size_t point,
                       uint64_t iters, enum pass pass, const char *outfile,
                       struct ab_outcome *out)
{
        struct ab_run_res *run = &m->runs[ri];
        size_t ai = ri % m->o->nallocs;
        struct ab_spawn s = {0};
        char **av = child_argv(m, run, mode, point, iters, pass, outfile);
        int r;
        if (!av)
                return -ENOMEM;
        s.argv = av;
        s.envp = pass == PASS_STRACE ? m->env_plain : m->envs[ai];
        s.sample_ms = strcmp(mode, "run") == 0 ? m->o->sample_ms : 0;
        s.timeout_ns = m->o->timeout_ns;
        s.mem_limit = m->o->mem_limit;
        s.cpus = m->o->cpus;
        s.numa = m->o->numa ? &m->numa : NULL;
        s.records = run->job->w->kind == AB_WK_KERNEL || strcmp(mode, "run") != 0;
        r = ab_spawn_run(&s, out);
        free_argv(av);
        if (r) {
                fprintf(stderr, "\nbench: %s\n", out->exec_error[0] ? out->exec_error : strerror(-r));
                return r;
        }
        if (out->interrupted)
                m->interrupted = true;
        return 0;
}

static int one_child(struct matrix *m, size_t ri, const char *mode, size_t point, uint64_t iters,
                     struct ab_outcome *out)
{
        return spawn_child(m, ri, mode, point, iters, PASS_NATIVE, NULL, out);
}

/* The accounting passes of a point: one child per allocator under callgrind
 * and/or strace, after the timed repetitions and never mixed with them. */
static int account_point(struct matrix *m, size_t job, size_t point, uint64_t iters)
{
        size_t na = m->o->nallocs;
        for (int pass = PASS_CALLGRIND; pass <= PASS_STRACE && !m->interrupted; pass++) {
                if ((pass == PASS_CALLGRIND && m->o->count != AB_COUNT_CALLGRIND) ||
                    (pass == PASS_STRACE && !m->o->syscalls))
                        continue;
                for (size_t a = 0; a < na && !m->interrupted; a++) {
                        size_t ri = job * na + a;
                        struct ab_point_res *p = &m->runs[ri].points[point];
                        struct ab_outcome out;
                        char file[PATH_MAX];
                        if (p->status != AB_ST_OK || m->runs[ri].job->w->kind != AB_WK_KERNEL)
                                continue;
                        snprintf(file, sizeof file, "%s/%s.%zu.%zu", m->tmpdir,
                                 pass == PASS_CALLGRIND ? "callgrind" : "strace", ri, point);
                        ab_progress_step(&m->prog, m->runs[ri].alloc->name,
                                      pass == PASS_CALLGRIND ? "callgrind" : "strace");
                        if (spawn_child(m, ri, "run", point, iters, (enum pass)pass, file, &out))
                                return -1;
                        if (out.status == AB_ST_OK && out.have_point && out.point.ops) {
                                if (pass == PASS_CALLGRIND) {
                                        int64_t ir;
                                        if (ab_callgrind_total(file, &ir) == 0)
                                                p->callgrind_per_op =
                                                        (double)ir / (double)out.point.ops;
                                } else if (ab_strace_parse(file, &p->sc) == 0) {
                                        p->have_syscalls = true;
                                        p->sc_ops = out.point.ops;
                                }
                        } else if (!out.interrupted) {
                                fprintf(stderr, "\nbench: note: the %s pass of %s failed (%s)\n",
                                        pass == PASS_CALLGRIND ? "callgrind" : "strace",
                                        m->runs[ri].alloc->name,
                                        out.have_error ? out.error.msg : ab_status_name(out.status));
                        }
                        unlink(file);
                        ab_outcome_free(&out);
                }
        }
        return 0;
}

static void take_info(struct ab_run_res *run, const struct ab_outcome *out)
{
        if (!out->have_info || run->library[0])
                return;
        snprintf(run->version, sizeof run->version, "%s", out->info.version);
        snprintf(run->library, sizeof run->library, "%s", out->info.library);
        run->runner_rss_kib = out->info.runner_rss_kib;
        run->runner_vsz_kib = out->info.runner_vsz_kib;
}

static void take_timeline(struct matrix *m, struct ab_run_res *run, const struct ab_outcome *out)
{
        struct ab_sample *n;
        if (!out->nsamples)
                return;
        n = realloc(run->timeline, (run->ntimeline + out->nsamples) * sizeof *n);
        if (!n)
                return;
        run->timeline = n;
        for (size_t i = 0; i < out->nsamples; i++) {
                struct ab_sample s = out->samples[i];
                s.t_ns += out->start_ns - m->start_ns;
                run->timeline[run->ntimeline++] = s;
        }
}

static void fail_point(struct ab_point_res *p, const struct ab_outcome *out)
{
        p->status = out->status;
        p->exit_code = out->exit_code;
        p->signal = out->signal;
        if (out->have_error)
                snprintf(p->error, sizeof p->error, "%s", out->error.msg);
        else if (out->status == AB_ST_TIMEOUT)
                snprintf(p->error, sizeof p->error, "killed after the --timeout");
        else if (out->signal)
                snprintf(p->error, sizeof p->error, "killed by signal %d (%s)", out->signal,
                         strsignal(out->signal));
        else
                snprintf(p->error, sizeof p->error, "exited with code %d", out->exit_code);
}

static void take_rep(struct ab_point_res *p, const struct ab_outcome *out)
{
        const struct ab_rec_point *r = &out->point;
        double ops = r->ops ? (double)r->ops : 1;
        struct ab_rep *rep = &p->reps[p->nreps++];
        memset(rep, 0, sizeof *rep);
        rep->ops = r->ops;
        rep->op_hash = r->op_hash;
        rep->ns_per_op = (double)r->elapsed_ns / ops;
        rep->user_ns_per_op = (double)r->user_ns / ops;
        rep->sys_ns_per_op = (double)r->sys_ns / ops;
        rep->cpu_ns_per_op = (double)(r->user_ns + r->sys_ns) / ops;
        rep->minflt_per_op = (double)r->minflt / ops;
        rep->majflt_per_op = (double)r->majflt / ops;
        rep->rss_kib = r->rss_kib;
        rep->vsz_kib = r->vsz_kib;
        rep->pte_kib = r->pte_kib;
        rep->hwm_kib = r->hwm_kib;
        rep->instructions = r->instructions;
        rep->live_peak = r->live_peak;
        rep->first_ns = r->have_first ? (double)r->first_ns : NAN;
        rep->first_minflt = r->have_first ? (double)r->first_minflt : NAN;
        rep->warmup_ops = r->warmup_ops;
        rep->warmup_end = r->warmup_end;
        rep->have_halves = r->have_halves && r->half_ops[0] && r->half_ops[1];
        for (int h = 0; h < 2 && rep->have_halves; h++) {
                rep->half_ns_per_op[h] = (double)r->half_ns[h] / (double)r->half_ops[h];
                rep->half_minflt_per_op[h] = (double)r->half_minflt[h] / (double)r->half_ops[h];
        }
        if (out->nrounds) {
                rep->rounds = malloc(out->nrounds * sizeof *rep->rounds);
                if (rep->rounds) {
                        memcpy(rep->rounds, out->rounds, out->nrounds * sizeof *rep->rounds);
                        rep->nrounds = out->nrounds;
                }
        }
        p->ops = r->ops;
        p->op_hash = r->op_hash;
}

/* cmd: the program is measured from outside, as one op. */
static void take_external(struct ab_point_res *p, const struct ab_outcome *out)
{
        struct ab_rep *rep = &p->reps[p->nreps++];
        memset(rep, 0, sizeof *rep);
        rep->ops = 1;
        rep->ns_per_op = (double)out->wall_ns;
        rep->user_ns_per_op = (double)out->ru.ru_utime.tv_sec * 1e9 + out->ru.ru_utime.tv_usec * 1e3;
        rep->sys_ns_per_op = (double)out->ru.ru_stime.tv_sec * 1e9 + out->ru.ru_stime.tv_usec * 1e3;
        rep->minflt_per_op = (double)out->ru.ru_minflt;
        rep->majflt_per_op = (double)out->ru.ru_majflt;
        /* the process is gone: its size "after the region" is unknown; the
         * timeline holds it while it ran */
        rep->rss_kib = rep->vsz_kib = rep->pte_kib = AB_UNKNOWN;
        rep->hwm_kib = ab_prim_maxrss_kib(&out->ru);
        rep->instructions = AB_UNKNOWN;
        rep->cpu_ns_per_op = rep->user_ns_per_op + rep->sys_ns_per_op;
        rep->first_ns = rep->first_minflt = NAN;
        p->ops = 1;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* Median of n values (sorted in place), as a double. */
static double med_u64(uint64_t *x, size_t n)
{
        qsort(x, n, sizeof *x, cmp_u64);
        return n % 2 ? (double)x[n / 2] : ((double)x[n / 2 - 1] + (double)x[n / 2]) / 2;
}

size_t ab_rounds_summary(const struct ab_point_res *p, struct ab_round_sum **out)
{
        size_t n = SIZE_MAX;
        uint64_t *tmp;
        *out = NULL;
        for (size_t r = 0; r < p->nreps; r++)
                if (p->reps[r].nrounds < n)
                        n = p->reps[r].nrounds;
        if (!p->nreps || n == 0 || n == SIZE_MAX)
                return 0;
        tmp = calloc(p->nreps, sizeof *tmp);
        *out = calloc(n, sizeof **out);
        if (!tmp || !*out) {
                free(tmp);
                free(*out);
                *out = NULL;
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                struct ab_round_sum *s = &(*out)[i];
                int64_t *mem[] = {&s->rss_kib, &s->vsz_kib, &s->pte_kib};
                s->index = p->reps[0].rounds[i].index;
#define COLLECT(expr)                                      \
        for (size_t r = 0; r < p->nreps; r++) {            \
                const struct ab_rec_round *q = &p->reps[r].rounds[i]; \
                tmp[r] = (uint64_t)(expr);                 \
        }
                COLLECT(q->ns);
                s->ns = med_u64(tmp, p->nreps);
                COLLECT(q->live_bytes);
                s->live_bytes = med_u64(tmp, p->nreps);
                for (int m = 0; m < 3; m++) {
                        bool unknown = false;
                        COLLECT(m == 0 ? q->rss_kib : m == 1 ? q->vsz_kib : q->pte_kib);
                        for (size_t r = 0; r < p->nreps; r++)
                                unknown |= (int64_t)tmp[r] == AB_UNKNOWN;
                        *mem[m] = unknown ? AB_UNKNOWN : (int64_t)med_u64(tmp, p->nreps);
                }
#undef COLLECT
        }
        free(tmp);
        return n;
}

/* One probe child per allocator at this point with `iters` ops: the most
 * minor faults per op any of them counted (after its warm-up, in the second
 * half of its ops), and the slowest time per op, for the fallback without
 * calibration. */
static int probe(struct matrix *m, size_t job, size_t point, uint64_t iters, double *minflt,
                 double *worst_ns)
{
        *minflt = 0;
        *worst_ns = 0;
        for (size_t a = 0; a < m->o->nallocs && !m->interrupted; a++) {
                size_t ri = job * m->o->nallocs + a;
                struct ab_outcome out;
                ab_progress_step(&m->prog, m->runs[ri].alloc->name, "probe");
                if (one_child(m, ri, "run", point, iters, &out))
                        return -1;
                take_info(&m->runs[ri], &out);
                if (out.status == AB_ST_OK && out.have_point && out.point.ops) {
                        const struct ab_rec_point *pt = &out.point;
                        double ops = (double)pt->ops;
                        /* the second half, past any transient the warm-up missed */
                        double f = pt->have_halves && pt->half_ops[1]
                                           ? (double)pt->half_minflt[1] / (double)pt->half_ops[1]
                                           : (double)pt->minflt / ops;
                        double ns = (double)pt->elapsed_ns / ops;
                        if (f > *minflt)
                                *minflt = f;
                        if (ns > *worst_ns)
                                *worst_ns = ns;
                }
                ab_outcome_free(&out);
        }
        return 0;
}

static uint64_t pow2_floor(double want, uint64_t max)
{
        uint64_t n = 1;
        while (n * 2 <= want && n * 2 <= max)
                n *= 2;
        return n;
}

/* Faults per op to the nearest power of two, and below one as none: the
 * count is exact at steady state, and this keeps a stray fault in one run
 * from moving the op count. */
static double quantize_faults(double f)
{
        return f < 1 ? 0 : exp2(round(log2(f)));
}

/* iterations=auto: one op count for every allocator at this point, so they
 * all run the same op stream (and op_hash). It comes from an upper bound of
 * an op's cost (the kernel's cost model over this machine's calibrated
 * costs), with the faults per op counted in a probe under every allocator:
 * the same command on the same machine gets the same count, loaded or idle.
 * The probe is skipped where the count would not depend on it. Without
 * calibration, a timed probe decides (as hyperfine does). */
static int resolve_auto(struct matrix *m, size_t job, size_t point, uint64_t *iters)
{
        struct ab_run_res *run0 = &m->runs[job * m->o->nallocs];
        const struct ab_job *j = run0->job;
        int ii = ab_param_index(j->w, "iterations"), bi = ab_param_index(j->w, "budget_ms");
        json_t *cal = m->cal;
        struct ab_costs c;
        double budget, f = 0, worst = 0;
        uint64_t max, v[AB_MAX_PARAMS];
        *iters = 0;
        if (ii < 0 || j->v[ii] != AB_AUTO)
                return 0;
        max = j->w->params[ii].max;
        budget = (double)(bi >= 0 ? j->v[bi] : 20) * 1e6;
        memcpy(v, j->v, sizeof v);
        if (j->sweep >= 0)
                v[j->sweep] = j->points[point];
        if (j->w->op_cost_ns && ab_calibration_costs(cal, &c) == 0) {
                double page = (double)sysconf(_SC_PAGESIZE), size = 0;
                int si = ab_param_index(j->w, "sizes");
                uint64_t lo, hi;
                if (si >= 0)
                        size = (double)v[si];
                lo = pow2_floor(budget / j->w->op_cost_ns(v, &c, ceil(size / page)), max);
                hi = pow2_floor(budget / j->w->op_cost_ns(v, &c, 0), max);
                /* where the count can only be 1 or 2, a probe would cost more
                         * than the second op could buy: 1 */
                if (lo == hi || hi <= 2) {
                        *iters = lo;
                        for (size_t a = 0; a < m->o->nallocs; a++) {
                                struct ab_point_res *p = &m->runs[job * m->o->nallocs + a].points[point];
                                p->auto_method = "calibrated cost model (no probe needed)";
                                p->auto_cost_ns = j->w->op_cost_ns(v, &c, 0);
                                p->auto_minflt = NAN;
                        }
                        return 0;
                }
                /* enough ops to outlast an allocator's first reuses, few
                 * enough to cost at most 1/16 of the budget where ops are
                 * as cheap as they can be */
                if (probe(m, job, point, hi / 16 > 1024 ? 1024 : hi / 16 ? hi / 16 : 1, &f,
                          &worst))
                        return -1;
                f = quantize_faults(f);
                worst = j->w->op_cost_ns(v, &c, f);
                *iters = pow2_floor(budget / worst, max);
                for (size_t a = 0; a < m->o->nallocs; a++) {
                        struct ab_point_res *p = &m->runs[job * m->o->nallocs + a].points[point];
                        p->auto_method = "calibrated cost model, faults counted in a probe";
                        p->auto_cost_ns = worst;
                        p->auto_minflt = f;
                }
                return 0;
        }
        /* no calibration: the slowest allocator's time in a short probe */
        if (probe(m, job, point, 1, &f, &worst))
                return -1;
        *iters = worst > 0 ? pow2_floor(budget / worst, max) : 1;
        for (size_t a = 0; a < m->o->nallocs; a++) {
                struct ab_point_res *p = &m->runs[job * m->o->nallocs + a].points[point];
                p->auto_method = "timed probe (no calibration)";
                p->auto_cost_ns = worst;
                p->auto_minflt = f;
        }
        return 0;
}

/* The relative CI95 half-width of an allocator's point so far; INFINITY
 * below 6 repetitions, where no pair of order statistics is a 95% interval
 * of the median. */
static double halfwidth(const struct ab_point_res *p)
{
        double x[AB_MAX_REPS];
        struct ab_summary s;
        if (p->nreps < 6)
                return INFINITY;
        for (size_t i = 0; i < p->nreps; i++)
                x[i] = p->reps[i].ns_per_op;
        if (ab_stats_summary(x, p->nreps, &s) || !(s.median > 0))
                return INFINITY;
        return fmax(s.ci95_hi - s.median, s.median - s.ci95_lo) / s.median;
}

static bool precise_enough(const struct ab_point_res *p, double want)
{
        return halfwidth(p) <= want;
}

/* Would --max-reps ever reach the precision? At `cap` repetitions the
 * interval is the pair of order statistics of ranks (lo, hi); judged by the
 * samples so far, those sit at the empirical quantiles (lo-1/2)/cap and
 * (hi-1/2)/cap. When even those are half again as wide as wanted (a bimodal
 * allocator, say), more repetitions only burn time. From 12 repetitions on,
 * so that a few outliers do not decide it: a point with a quarter of its
 * samples far out still narrows, as its outliers leave the rank window. */
static bool out_of_reach(const struct ab_point_res *p, double want, unsigned cap)
{
        double x[AB_MAX_REPS], cov, med, qlo, qhi;
        size_t lo, hi, n = p->nreps;
        if (n < 12 || cap <= n)
                return false;
        for (size_t i = 0; i < n; i++)
                x[i] = p->reps[i].ns_per_op;
        med = ab_stats_median(x, n); /* sorts x */
        ab_stats_median_ci_ranks(cap, &lo, &hi, &cov);
        qlo = ab_stats_quantile(x, n, ((double)lo - 0.5) / cap);
        qhi = ab_stats_quantile(x, n, ((double)hi - 0.5) / cap);
        return med > 0 && fmax(qhi - med, med - qlo) > 1.5 * want * med;
}

/* One repetition of (run ri, point): its wall time in *wall_ns. Returns -1
 * when the child could not be started, 1 when interrupted, 0 otherwise. */
static int one_rep(struct matrix *m, size_t ri, size_t point, uint64_t iters, uint64_t *wall_ns)
{
        struct ab_run_res *run = &m->runs[ri];
        struct ab_point_res *p = &run->points[point];
        struct ab_outcome out;
        char what[48];
        snprintf(what, sizeof what, "rep %zu", p->nreps + 1);
        ab_progress_step(&m->prog, run->alloc->name, what);
        if (one_child(m, ri, "run", point, iters, &out))
                return -1;
        *wall_ns = out.wall_ns;
        if (out.interrupted) {
                ab_outcome_free(&out);
                return 1;
        }
        take_info(run, &out);
        take_timeline(m, run, &out);
        if (out.have_point && out.point.count_err)
                m->count_err = out.point.count_err;
        if (out.status == AB_ST_OK && run->job->w->kind == AB_WK_PROGRAM) {
                take_external(p, &out);
        } else if (out.status == AB_ST_OK && out.have_point) {
                take_rep(p, &out);
        } else {
                fail_point(p, &out);
                if (p->status == AB_ST_OK) /* exited 0 with no result */
                        p->status = AB_ST_CRASHED;
        }
        ab_outcome_free(&out);
        return 0;
}

/* The repetitions of one point, interleaved across allocators (rep 1 of
 * each, then rep 2, ...). With --reps N every allocator runs N. Adaptive
 * (the default): every allocator runs at least 6 (the fewest that give a 95%
 * interval of the median), then each goes on until its CI95 half-width is
 * within --precision, or --max-reps, or until its next repetition (as long as
 * its last) would not fit in its share of wall time (--point-budget, per
 * allocator and point): fast and steady allocators stop early or get many
 * repetitions, slow ones stop at the minimum. */
static int run_reps(struct matrix *m, size_t job, size_t point, uint64_t iters)
{
        const struct ab_opts *o = m->o;
        size_t na = o->nallocs;
        unsigned cap = o->adaptive ? o->max_reps : o->reps;
        unsigned min = o->adaptive ? (o->reps > 6 ? o->reps : 6) : o->reps;
        uint64_t last[AB_MAX_ALLOCS] = {0}, spent[AB_MAX_ALLOCS] = {0};
        double budget = o->point_budget_s * 1e9;
        if (min > cap)
                min = cap;
        for (unsigned rep = 0; rep < cap && !m->interrupted; rep++) {
                bool any = false;
                for (size_t a = 0; a < na && !m->interrupted; a++) {
                        struct ab_point_res *p = &m->runs[job * na + a].points[point];
                        int r;
                        if (p->status != AB_ST_OK || p->done)
                                continue; /* failed before: the rest would fail alike */
                        if (rep >= min && (double)(spent[a] + last[a]) > budget) {
                                p->done = true;
                                p->precision_note = "the point's time budget ran out";
                                continue;
                        }
                        any = true;
                        if ((r = one_rep(m, job * na + a, point, iters, &last[a])) < 0)
                                return -1;
                        if (r > 0)
                                break;
                        if (rep >= min)
                                spent[a] += last[a];
                        if (o->adaptive && p->status == AB_ST_OK && p->nreps >= min &&
                            precise_enough(p, o->precision))
                                p->done = true;
                        else if (o->adaptive && p->status == AB_ST_OK && p->nreps >= min &&
                                 out_of_reach(p, o->precision, cap)) {
                                p->done = true;
                                p->precision_note = "out of reach: the samples spread too "
                                                    "widely for --max-reps to narrow it";
                        }
                }
                if (!any)
                        break;
        }
        for (size_t a = 0; a < na; a++) {
                struct ab_point_res *p = &m->runs[job * na + a].points[point];
                if (!p->done && !p->precision_note && p->status == AB_ST_OK &&
                    !precise_enough(p, o->precision))
                        p->precision_note = !o->adaptive      ? "fixed --reps"
                                            : p->nreps >= cap ? "--max-reps reached"
                                                              : "interrupted";
        }
        return 0;
}

static int run_point(struct matrix *m, size_t job, size_t point)
{
        size_t na = m->o->nallocs;
        uint64_t iters = 0;
        for (size_t a = 0; a < na; a++)
                m->runs[job * na + a].points[point].callgrind_per_op = NAN;
        if (resolve_auto(m, job, point, &iters))
                return -1;
        if (run_reps(m, job, point, iters))
                return -1;
        return account_point(m, job, point, iters);
}

/* Before the matrix: start each allocator once to prove it loads and serves
 * malloc. A library that does not is bad input, refused before any result. */
static int preflight(struct matrix *m)
{
        for (size_t a = 0; a < m->o->nallocs; a++) {
                const struct ab_alloc *al = &m->o->allocs[a];
                struct ab_outcome out;
                if (one_child(m, a, "info", 0, 0, &out))
                        return AB_BAD_INPUT;
                if (out.status != AB_ST_OK || !out.have_info) {
                        fprintf(stderr,
                                "bench: --alloc=%s: %s cannot serve as an allocator: %s "
                                "(accepted: a shared library that defines malloc, calloc, "
                                "realloc and free)\n",
                                al->name, al->library[0] ? al->library : "the system allocator",
                                out.have_error ? out.error.msg
                                : out.signal   ? strsignal(out.signal)
                                               : "the runner failed to start with it");
                        ab_outcome_free(&out);
                        return AB_BAD_INPUT;
                }
                for (size_t j = 0; j < m->o->njobs; j++)
                        take_info(&m->runs[j * m->o->nallocs + a], &out);
                ab_outcome_free(&out);
        }
        return 0;
}

static void finish_runs(struct matrix *m, size_t nruns)
{
        for (size_t r = 0; r < nruns; r++) {
                struct ab_run_res *run = &m->runs[r];
                uint64_t h = AB_HASH_INIT;
                run->status = AB_ST_OK;
                for (size_t p = 0; p < run->job->npoints; p++) {
                        struct ab_point_res *pt = &run->points[p];
                        if (pt->status != AB_ST_OK && run->status == AB_ST_OK)
                                run->status = pt->status;
                        h = ab_hash_u64(h, pt->nreps ? pt->reps[0].op_hash : 0);
                }
                run->op_hash = h;
        }
}

/* Build the document, decide the flags, write it, print the summary from
 * the document itself (its view), so the screen and the file agree.
 * *worst is the highest severity rank raised (-1 for none). */
static int write_and_print(struct matrix *m, size_t nruns, json_t *cal,
                           const struct ab_tools *tools, int *worst)
{
        json_t *doc = ab_results_build(m->o, m->runs, nruns, ab_host_json(), cal, m->interrupted);
        struct ab_doc view;
        char *text, err[512];
        int r = 0;
        if (!doc)
                return -ENOMEM;
        json_object_set_new(doc, "accounting",
                            json_pack("{s:s?,s:s?,s:s?,s:s?}", "instructions",
                                      m->o->count == AB_COUNT_CALLGRIND ? "callgrind"
                                      : m->o->count == AB_COUNT_HW      ? "hardware"
                                                                        : NULL,
                                      "valgrind", tools->valgrind[0] ? tools->valgrind : NULL,
                                      "syscalls", m->o->syscalls ? "strace" : NULL, "strace",
                                      tools->strace[0] ? tools->strace : NULL));
        if (ab_detect_json(doc) < 0 || ab_doc_view(doc, &view, err, sizeof err)) {
                json_decref(doc);
                return -ENOMEM;
        }
        *worst = -1;
        for (size_t i = 0; i < view.nflags; i++)
                if (view.flags[i].rank > *worst)
                        *worst = view.flags[i].rank;
        text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        if (!text) {
                ab_doc_free(&view);
                json_decref(doc);
                return -ENOMEM;
        }
        if (ab_write_atomic(m->o->out, text, strlen(text), err, sizeof err)) {
                fprintf(stderr, "bench: %s\n", err);
                r = -EIO;
        }
        switch (m->o->format) {
        case AB_FMT_JSON:
                fputs(text, stdout);
                fputc('\n', stdout);
                break;
        case AB_FMT_CSV:
                ab_csv_print(stdout, &view);
                break;
        default:
                ab_table_print(stdout, &view);
                ab_flags_print(stdout, &view);
                break;
        }
        if (!r)
                fprintf(stderr, "results: %s\n", m->o->out);
        free(text);
        ab_doc_free(&view);
        json_decref(doc);
        return r;
}

int ab_cmd_run(int argc, char **argv)
{
        struct ab_opts o = {0};
        struct matrix m = {0};
        json_t *cal = NULL;
        int worst = -1;
        bool aborted = false;
        size_t nruns;
        int r;

        o.argc = ab_argc;
        o.argv = ab_argv;
        if (getenv(ab_prim_preload_var()) && *getenv(ab_prim_preload_var())) {
                fprintf(stderr,
                        "bench: %s is set in the harness's environment; the harness must not be "
                        "preloaded (unset it and pass the library with --alloc=PATH)\n",
                        ab_prim_preload_var());
                return AB_BAD_INPUT;
        }
        if (ab_find_runner(argv[0]))
                return AB_BAD_INPUT;
        r = ab_opts_parse(argc, argv, &o);
        if (r)
                return r < 0 ? AB_OK : r;
        if (!o.out)
                o.out = ab_default_output();

        nruns = o.nallocs * o.njobs;
        m.o = &o;
        m.runs = calloc(nruns, sizeof *m.runs);
        m.envs = calloc(o.nallocs, sizeof *m.envs);
        if (!m.runs || !m.envs)
                return AB_BAD_INPUT;
        for (size_t a = 0; a < o.nallocs; a++)
                if (!(m.envs[a] = ab_env_build(wrap_is_qemu(&o) ? NULL : o.allocs[a].library,
                                               o.env, o.nenv)))
                        return AB_BAD_INPUT;
        for (size_t j = 0; j < o.njobs; j++) {
                for (size_t a = 0; a < o.nallocs; a++) {
                        struct ab_run_res *run = &m.runs[j * o.nallocs + a];
                        run->alloc = &o.allocs[a];
                        run->job = &o.jobs[j];
                        run->runner_rss_kib = run->runner_vsz_kib = AB_UNKNOWN;
                        run->points = calloc(o.jobs[j].npoints, sizeof *run->points);
                        if (!run->points)
                                return AB_BAD_INPUT;
                        for (size_t p = 0; p < o.jobs[j].npoints; p++) {
                                run->points[p].value = ab_job_point_value(&o.jobs[j], p);
                                run->points[p].capreps = o.adaptive ? o.max_reps : o.reps;
                                run->points[p].reps =
                                        calloc(run->points[p].capreps, sizeof(struct ab_rep));
                                if (!run->points[p].reps)
                                        return AB_BAD_INPUT;
                        }
                }
                m.total += o.jobs[j].npoints;
        }
        if (o.count == AB_COUNT_CALLGRIND || o.syscalls) {
                if (o.count == AB_COUNT_CALLGRIND && ab_which("valgrind", m.valgrind, sizeof m.valgrind)) {
                        fprintf(stderr, "bench: --count callgrind needs valgrind (apt-get install "
                                        "valgrind)\n");
                        return AB_BAD_INPUT;
                }
                if (o.syscalls && ab_which("strace", m.strace, sizeof m.strace)) {
                        fprintf(stderr, "bench: --syscalls needs strace (apt-get install strace)\n");
                        return AB_BAD_INPUT;
                }
                snprintf(m.tmpdir, sizeof m.tmpdir, "/tmp/allocbench.XXXXXX");
                if (!mkdtemp(m.tmpdir) || !(m.env_plain = ab_env_build(NULL, o.env, o.nenv))) {
                        fprintf(stderr, "bench: cannot make a temporary directory: %s\n",
                                strerror(errno));
                        return AB_BAD_INPUT;
                }
                if (o.count == AB_COUNT_CALLGRIND)
                        ab_tool_version(m.valgrind, "--version", m.tools.valgrind,
                                        sizeof m.tools.valgrind);
                if (o.syscalls)
                        ab_tool_version(m.strace, "-V", m.tools.strace, sizeof m.tools.strace);
        }
        if (o.numa) {
                char err[256];
                if (ab_place_numa_prepare(o.numa, &m.numa, err, sizeof err)) {
                        fprintf(stderr, "bench: %s\n", err);
                        return AB_BAD_INPUT;
                }
        }
        ab_progress_init(&m.prog, o.quiet, isatty(STDERR_FILENO), m.total);
        if (ab_spawn_init() || (r = preflight(&m)))
                return r ? r : AB_BAD_INPUT;
        {
                char err[512];
                cal = ab_calibration_get(&o, false, !o.quiet, err, sizeof err);
                if (!cal)
                        fprintf(stderr, "bench: note: %s; time-based evidence is off\n", err);
                m.cal = cal;
        }

        m.start_ns = ab_prim_now_ns();
        for (size_t j = 0; j < o.njobs && !m.interrupted && !aborted; j++) {
                for (size_t p = 0; p < o.jobs[j].npoints && !m.interrupted && !aborted; p++) {
                        char label[160], val[32] = "";
                        const struct ab_job *jb = &o.jobs[j];
                        if (jb->sweep >= 0)
                                ab_fmt_size(jb->points[p], val, sizeof val);
                        snprintf(label, sizeof label, "%s%s%s%s%s", jb->name, *val ? " " : "",
                                 *val ? jb->w->params[jb->sweep].point_key : "", *val ? "=" : "",
                                 val);
                        ab_progress_point(&m.prog, label);
                        aborted = run_point(&m, j, p) != 0;
                        if (!aborted && !m.interrupted)
                                ab_progress_point_done(&m.prog);
                }
        }
        if (aborted) /* a child could not be started: keep what was measured */
                m.interrupted = true;
        ab_progress_clear(&m.prog);
        if (ab_spawn_interrupted())
                m.interrupted = true;
        finish_runs(&m, nruns);
        if (m.tmpdir[0])
                rmdir(m.tmpdir);
        if (o.count == AB_COUNT_HW && m.count_err)
                fprintf(stderr, "bench: note: --count instructions: this machine gives no "
                                "hardware instruction counter (perf_event_open: %s); "
                                "instructions_per_op is null. --count callgrind counts exactly.\n",
                        strerror(m.count_err));
        if (write_and_print(&m, nruns, cal, &m.tools, &worst))
                return AB_RUN_FAILED;
        if (aborted) {
                fprintf(stderr, "bench: stopped because a workload process could not be started; "
                                "the results file holds what was measured before\n");
                return AB_RUN_FAILED;
        }
        if (m.interrupted) {
                fprintf(stderr, "bench: interrupted; the results file holds what was measured\n");
                return 130;
        }
        for (size_t i = 0; i < nruns; i++)
                if (m.runs[i].status != AB_ST_OK)
                        return AB_RUN_FAILED;
        if (o.fail_on >= 0 && worst >= o.fail_on)
                return AB_FLAGGED;
        return AB_OK;
}
