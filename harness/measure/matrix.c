/*
 * matrix.c - the repetitions of the matrix: one fresh child per repetition,
 * in rounds over every cell (workload x point x allocator: rep 1 of each,
 * then rep 2, ...) so that drift of the machine spreads over all of them
 * instead of biasing the ones measured at a bad moment; adaptive until the
 * precision is reached; each child's records made into a repetition.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fmt.h"
#include "core/prng.h"
#include "core/stats.h"
#include "measure/matrix.h"
#include "measure/shard.h"
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
        size_t before = p->nreps;
        uint64_t start = ab_prim_now_ns() - m->start_ns;
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
        if (p->nreps > before)
                p->reps[p->nreps - 1].start_ns = start;
        ab_outcome_free(&out);
        return 0;
}

/* The fewest repetitions every cell runs, and the most: --reps N fixes both;
 * adaptive, at least 6 (the fewest that give a 95% interval of the median)
 * up to --max-reps. */
static void rep_bounds(const struct ab_opts *o, unsigned *min, unsigned *cap)
{
        *cap = o->adaptive ? o->max_reps : o->reps;
        *min = o->adaptive ? (o->reps > 6 ? o->reps : 6) : o->reps;
        if (*min > *cap)
                *min = *cap;
}

/* Is cell (run ri, point) still to be repeated in round `rep`? Marks it
 * done when its time budget has run out. */
static bool cell_active(const struct ab_matrix *m, struct ab_point_res *p, unsigned rep,
                        unsigned min)
{
        if (p->skipped || p->status != AB_ST_OK || p->done)
                return false; /* another shard's; or failed before: the rest would fail alike */
        if (rep >= min && (double)(p->spent_ns + p->last_ns) > m->o->point_budget_s * 1e9) {
                p->done = true;
                p->precision_note = "the point's time budget ran out";
                return false;
        }
        return true;
}

/* After a repetition of p: is it precise enough, or will it never be? */
static void judge_cell(const struct ab_opts *o, struct ab_point_res *p, unsigned min, unsigned cap)
{
        if (!o->adaptive || p->status != AB_ST_OK || p->nreps < min)
                return;
        if (precise_enough(p, o->precision)) {
                p->done = true;
        } else if (out_of_reach(p, o->precision, cap)) {
                p->done = true;
                p->precision_note = "out of reach: the samples spread too widely for --max-reps "
                                    "to narrow it";
        }
}

/* The label progress shows for a point ("calloc-sweep size=16 MiB"). */
static void point_label(const struct ab_job *jb, size_t p, char *label, size_t len)
{
        char val[32] = "";
        if (jb->sweep >= 0)
                ab_fmt_size(jb->points[p], val, sizeof val);
        snprintf(label, len, "%s%s%s%s%s", jb->name, *val ? " " : "",
                 *val ? jb->w->params[jb->sweep].point_key : "", *val ? "=" : "", val);
}

/* Round `rep` of the matrix: one repetition of every cell still active, in
 * matrix order (workload, point, allocator). *ran counts the cells that ran.
 * Returns -1 when a child could not be started, 0 otherwise (interrupted:
 * m->interrupted). */
static int one_round(struct ab_matrix *m, unsigned rep, unsigned min, unsigned cap, size_t *ran)
{
        const struct ab_opts *o = m->o;
        size_t na = o->nallocs;
        for (size_t j = 0; j < o->njobs && !m->interrupted; j++) {
                const struct ab_job *jb = &o->jobs[j];
                for (size_t pt = 0; pt < jb->npoints && !m->interrupted; pt++) {
                        for (size_t a = 0; a < na && !m->interrupted; a++) {
                                struct ab_point_res *p = &m->runs[j * na + a].points[pt];
                                char label[160];
                                uint64_t wall = 0;
                                int r;
                                if (!cell_active(m, p, rep, min))
                                        continue;
                                point_label(jb, pt, label, sizeof label);
                                ab_progress_point(&m->prog, label);
                                if (rep >= min) /* a refining round's units join as they start */
                                        ab_progress_add_units(&m->prog, 1);
                                if ((r = one_rep(m, j * na + a, pt, p->iters, &wall)) < 0)
                                        return -1;
                                if (r > 0) {
                                        m->interrupted = true;
                                        break;
                                }
                                p->last_ns = wall;
                                if (rep >= min)
                                        p->spent_ns += wall;
                                judge_cell(o, p, min, cap);
                                ab_progress_unit_done(&m->prog);
                                (*ran)++;
                        }
                }
        }
        return 0;
}

/* The cells a round beyond the minimum may run (its time budget can still
 * stop some), for progress. */
static size_t cells_active(struct ab_matrix *m)
{
        size_t n = 0, na = m->o->nallocs;
        for (size_t j = 0; j < m->o->njobs; j++)
                for (size_t pt = 0; pt < m->o->jobs[j].npoints; pt++)
                        for (size_t a = 0; a < na; a++) {
                                const struct ab_point_res *p = &m->runs[j * na + a].points[pt];
                                n += !p->skipped && p->status == AB_ST_OK && !p->done;
                        }
        return n;
}

/* The timed repetitions of the whole matrix, in rounds: round 1 runs
 * repetition 1 of every cell (workload x point x allocator), round 2 the
 * second, and so on. A point's repetitions so spread over the whole run,
 * not over the few seconds the point would take on its own: a stretch of
 * seconds in which the machine is slower or faster (another tenant of the
 * host, its memory bandwidth) touches one or two repetitions of every point
 * instead of all the repetitions of the points measured then, so it widens
 * their intervals honestly instead of shifting their medians, and two runs
 * of the same command agree. Within a round the allocators of a point run
 * back to back, as before.
 *
 * With --reps N every cell runs N. Adaptive (the default): every cell runs
 * at least 6 (rep_bounds), then each goes on until its CI95 half-width is
 * within --precision, or --max-reps, or until its next repetition (as long
 * as its last) would not fit in its share of wall time (--point-budget, per
 * allocator and point). Returns -1 when a child could not be started. */
static int run_rounds(struct ab_matrix *m)
{
        const struct ab_opts *o = m->o;
        unsigned min, cap;
        rep_bounds(o, &min, &cap);
        for (unsigned rep = 0; rep < cap && !m->interrupted; rep++) {
                size_t ran = 0, left = 0;
                char phase[96];
                if (rep >= min && (left = cells_active(m)) == 0)
                        break;
                if (rep < min)
                        snprintf(phase, sizeof phase, "round %u of %u", rep + 1, min);
                else
                        snprintf(phase, sizeof phase, "round %u: %zu cell%s short of ±%g%%",
                                 rep + 1, left, left == 1 ? "" : "s", 100 * o->precision);
                ab_progress_phase(&m->prog, phase, rep >= min);
                if (one_round(m, rep, min, cap, &ran))
                        return -1;
                if (ran == 0)
                        break;
        }
        ab_progress_phase(&m->prog, "", false);
        for (size_t r = 0; r < o->njobs * o->nallocs; r++)
                for (size_t pt = 0; pt < m->runs[r].job->npoints; pt++) {
                        struct ab_point_res *p = &m->runs[r].points[pt];
                        if (!p->skipped && !p->done && !p->precision_note &&
                            p->status == AB_ST_OK && !precise_enough(p, o->precision))
                                p->precision_note = !o->adaptive      ? "fixed --reps"
                                                    : p->nreps >= cap ? "--max-reps reached"
                                                                      : "interrupted";
                }
        return 0;
}

/* Before the rounds: each point's op count (iterations=auto probes). */
static int choose_iterations(struct ab_matrix *m)
{
        const struct ab_opts *o = m->o;
        size_t na = o->nallocs;
        for (size_t j = 0; j < o->njobs && !m->interrupted; j++)
                for (size_t pt = 0; pt < o->jobs[j].npoints && !m->interrupted; pt++) {
                        uint64_t iters = 0;
                        char label[160];
                        if (!ab_shard_point_mine(o, j, pt))
                                continue;
                        for (size_t a = 0; a < na; a++)
                                m->runs[j * na + a].points[pt].callgrind_per_op = NAN;
                        point_label(&o->jobs[j], pt, label, sizeof label);
                        ab_progress_point(&m->prog, label);
                        if (ab_auto_iterations(m, j, pt, &iters))
                                return -1;
                        for (size_t a = 0; a < na; a++)
                                m->runs[j * na + a].points[pt].iters = iters;
                }
        return 0;
}

/* After the rounds: each point's accounting passes and trace pass. */
static int after_rounds(struct ab_matrix *m)
{
        const struct ab_opts *o = m->o;
        for (size_t j = 0; j < o->njobs && !m->interrupted; j++)
                for (size_t pt = 0; pt < o->jobs[j].npoints && !m->interrupted; pt++) {
                        uint64_t iters = m->runs[j * o->nallocs].points[pt].iters;
                        char label[160];
                        if (!ab_shard_point_mine(o, j, pt))
                                continue;
                        point_label(&o->jobs[j], pt, label, sizeof label);
                        ab_progress_point(&m->prog, label);
                        if (ab_child_account(m, j, pt, iters))
                                return -1;
                        if (o->trace && ab_trace_pass(m, j, pt, iters))
                                return -1;
                }
        return 0;
}

int ab_matrix_run(struct ab_matrix *m)
{
        unsigned min, cap;
        rep_bounds(m->o, &min, &cap);
        ab_progress_add_units(&m->prog, cells_active(m) * min);
        if (choose_iterations(m) || run_rounds(m) || after_rounds(m))
                return -1;
        return 0;
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
