/*
 * autoiter.c - iterations=auto: one op count per point, the same for every
 * allocator (so they all run the same op stream and op_hash) and for the
 * same command on the same machine, loaded or idle.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure/matrix.h"

/* One probe child per allocator at this point with `iters` ops: the most
 * minor faults per op any of them counted (after its warm-up, in the second
 * half of its ops), and the slowest time per op, for the fallback without
 * calibration. */
static int probe(struct ab_matrix *m, size_t job, size_t point, uint64_t iters, double *minflt,
                 double *worst_ns)
{
        *minflt = 0;
        *worst_ns = 0;
        for (size_t a = 0; a < m->o->nallocs && !m->interrupted; a++) {
                size_t ri = job * m->o->nallocs + a;
                struct ab_outcome out;
                ab_progress_step(&m->prog, m->runs[ri].alloc->name, "probe");
                if (ab_child_one(m, ri, AB_PROTO_RUN, point, iters, &out))
                        return -1;
                ab_take_info(&m->runs[ri], &out);
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
 * calibration, a timed probe decides (as hyperfine does). Under --shard the
 * probe still runs every allocator of the point, its cells in other shards
 * too, so that each shard chooses the count the whole matrix would have. */
int ab_auto_iterations(struct ab_matrix *m, size_t job, size_t point, uint64_t *iters)
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
