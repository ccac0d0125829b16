/*
 * matrix.c - the repetitions of each point: one fresh child per repetition,
 * interleaved across allocators (rep 1 of each, then rep 2, ...) so that
 * slow drift of the machine spreads over all of them instead of biasing the
 * one measured last; adaptive until the precision is reached; each child's
 * records made into a repetition.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/prng.h"
#include "core/stats.h"
#include "measure/matrix.h"
#include "prim/prim.h"

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
static int one_rep(struct ab_matrix *m, size_t ri, size_t point, uint64_t iters, uint64_t *wall_ns)
{
        struct ab_run_res *run = &m->runs[ri];
        struct ab_point_res *p = &run->points[point];
        struct ab_outcome out;
        char what[48];
        snprintf(what, sizeof what, "rep %zu", p->nreps + 1);
        ab_progress_step(&m->prog, run->alloc->name, what);
        if (ab_child_one(m, ri, AB_PROTO_RUN, point, iters, &out))
                return -1;
        *wall_ns = out.wall_ns;
        if (out.interrupted) {
                ab_outcome_free(&out);
                return 1;
        }
        ab_take_info(run, &out);
        ab_take_timeline(m, run, point, (unsigned)p->nreps + 1, &out);
        if (out.have_point && out.point.count_err)
                m->count_err = out.point.count_err;
        if (run->job->w->kind == AB_WK_PROGRAM)
                ab_take_owners(run, &out);
        if (out.status == AB_ST_OK && run->job->w->kind == AB_WK_PROGRAM) {
                ab_take_external(p, &out);
        } else if (out.status == AB_ST_OK && out.have_point) {
                ab_take_rep(p, &out);
        } else {
                ab_take_failure(p, &out);
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
static int run_reps(struct ab_matrix *m, size_t job, size_t point, uint64_t iters)
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
                        if (p->skipped || p->status != AB_ST_OK || p->done)
                                continue; /* another shard's; or failed before: the rest
                                             would fail alike */
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
                if (!p->skipped && !p->done && !p->precision_note && p->status == AB_ST_OK &&
                    !precise_enough(p, o->precision))
                        p->precision_note = !o->adaptive      ? "fixed --reps"
                                            : p->nreps >= cap ? "--max-reps reached"
                                                              : "interrupted";
        }
        return 0;
}

int ab_matrix_point(struct ab_matrix *m, size_t job, size_t point)
{
        size_t na = m->o->nallocs;
        uint64_t iters = 0;
        for (size_t a = 0; a < na; a++)
                m->runs[job * na + a].points[point].callgrind_per_op = NAN;
        if (ab_auto_iterations(m, job, point, &iters))
                return -1;
        if (run_reps(m, job, point, iters))
                return -1;
        if (ab_child_account(m, job, point, iters))
                return -1;
        return m->o->trace ? ab_trace_pass(m, job, point, iters) : 0;
}

/* What serves malloc for al, for messages. */
static const char *served_by(const struct ab_alloc *al)
{
        return al->library[0] ? al->library : al->runner[0] ? al->runner : "the system allocator";
}

/* Before the matrix: start each allocator once to prove it loads and serves
 * malloc. A library that does not is bad input, refused before any result. */
/* Does the runner start with allocator al natively (no launcher)? For a
 * preflight that failed under --wrap: is it the launcher or the allocator? */
static bool starts_natively(struct ab_matrix *m, const struct ab_alloc *al)
{
        char vq[32], *argv[] = {(char *)ab_alloc_runner(al), (char *)AB_PROTO_INFO, vq, NULL};
        struct ab_spawn s = {0};
        struct ab_outcome out;
        bool ok;
        snprintf(vq, sizeof vq, AB_PROTO_VQ "%d", (int)al->vq);
        s.argv = argv;
        s.envp = ab_env_build(al->library, m->o->env, m->o->nenv);
        s.records = true;
        s.timeout_ns = AB_PREFLIGHT_TIMEOUT_S * 1000000000ull;
        if (!s.envp)
                return false;
        ok = ab_spawn_run(&s, &out) == 0 && out.status == AB_ST_OK && out.have_info;
        ab_outcome_free(&out);
        ab_env_free(s.envp);
        return ok;
}

int ab_matrix_preflight(struct ab_matrix *m)
{
        for (size_t a = 0; a < m->o->nallocs; a++) {
                const struct ab_alloc *al = &m->o->allocs[a];
                struct ab_outcome out;
                if (ab_child_one(m, a, AB_PROTO_INFO, 0, 0, &out))
                        return AB_BAD_INPUT;
                if (out.interrupted) { /* nothing measured yet: nothing to write */
                        ab_outcome_free(&out);
                        ab_err("", "interrupted (%s) while starting the allocators; nothing "
                                   "was measured",
                               strsignal(ab_spawn_interrupt_signal()));
                        return 128 + ab_spawn_interrupt_signal();
                }
                if (out.status == AB_ST_TIMEOUT) {
                        uint64_t t = m->o->timeout_ns;
                        ab_outcome_free(&out);
                        if (!t || t > AB_PREFLIGHT_TIMEOUT_S * 1000000000ull)
                                t = AB_PREFLIGHT_TIMEOUT_S * 1000000000ull;
                        ab_err("", "--alloc=%s: the runner did not start with %s within %llu s "
                                   "(its initialisation hangs?); nothing was measured",
                               al->name, served_by(al),
                               (unsigned long long)(t / 1000000000ull));
                        return AB_BAD_INPUT;
                }
                if (!out.have_info && !out.have_error && ab_wrap_of(m->o, al) &&
                    ab_wrap_of(m->o, al)->argc && starts_natively(m, al)) {
                        char how[96];
                        if (out.signal)
                                snprintf(how, sizeof how, "killed by %s", strsignal(out.signal));
                        else
                                snprintf(how, sizeof how, "exit code %d", out.exit_code);
                        ab_err("",
                               "--wrap '%s': the runner does not start under the launcher (%s "
                               "before the runner said anything), though it starts with "
                               "--alloc=%s without it: check that the launcher runs the "
                               "program it is given",
                               ab_wrap_of(m->o, al)->text, how, al->name);
                        ab_outcome_free(&out);
                        return AB_BAD_INPUT;
                }
                if (out.status != AB_ST_OK || !out.have_info) {
                        fprintf(stderr,
                                "bench: --alloc=%s: %s cannot serve as an allocator: %s "
                                "(accepted: a shared library that defines malloc, calloc, "
                                "realloc and free)\n",
                                al->name, served_by(al),
                                out.have_error ? out.error.msg
                                : out.signal   ? strsignal(out.signal)
                                               : "the runner failed to start with it");
                        ab_outcome_free(&out);
                        return AB_BAD_INPUT;
                }
                for (size_t j = 0; j < m->o->njobs; j++)
                        ab_take_info(&m->runs[j * m->o->nallocs + a], &out);
                ab_outcome_free(&out);
        }
        return 0;
}

void ab_matrix_finish(struct ab_matrix *m, size_t nruns)
{
        for (size_t r = 0; r < nruns; r++) {
                struct ab_run_res *run = &m->runs[r];
                uint64_t h = AB_HASH_INIT;
                run->status = AB_ST_OK;
                for (size_t p = 0; p < run->job->npoints; p++) {
                        struct ab_point_res *pt = &run->points[p];
                        if (pt->skipped)
                                continue; /* not in this shard's document */
                        if (pt->status != AB_ST_OK && run->status == AB_ST_OK)
                                run->status = pt->status;
                        h = ab_hash_u64(h, pt->nreps ? pt->reps[0].op_hash : 0);
                }
                run->op_hash = h;
        }
}
