/*
 * summary.c - repetitions made into the figures of a point, once: the
 * results writer asks here, and nothing downstream recomputes them (the
 * table and the detectors read the document).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "measure/bench.h"

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

/* The median of n figures (sorted in place); NAN when any is unknown. */
static double med_i64(int64_t *x, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (x[i] == AB_UNKNOWN)
                        return NAN;
        qsort(x, n, sizeof *x, cmp_i64);
        return n % 2 ? (double)x[n / 2] : ((double)x[n / 2 - 1] + (double)x[n / 2]) / 2;
}

static int64_t kib(double median)
{
        return isnan(median) ? AB_UNKNOWN : (int64_t)median;
}

/* Rounds of a point: out[i] for the round indices every repetition reached,
 * each figure the median over repetitions. */
size_t ab_rounds_summary(const struct ab_point_res *p, struct ab_round_sum **out)
{
        size_t n = SIZE_MAX;
        int64_t *tmp;
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
                const struct ab_rec_round *first = &p->reps[0].rounds[i];
#define MEDIAN(field)                                                                              \
        ({                                                                                         \
                for (size_t r = 0; r < p->nreps; r++)                                              \
                        tmp[r] = (int64_t)p->reps[r].rounds[i].field;                              \
                med_i64(tmp, p->nreps);                                                            \
        })
                s->index = first->index;
                s->ns = MEDIAN(ns);
                s->live_bytes = MEDIAN(live_bytes);
                s->rss_kib = kib(MEDIAN(rss_kib));
                s->vsz_kib = kib(MEDIAN(vsz_kib));
                s->pte_kib = kib(MEDIAN(pte_kib));
                s->anon_kib = kib(MEDIAN(anon_kib));
                s->anon_vsz_kib = kib(MEDIAN(anon_vsz_kib));
                s->threads = kib(MEDIAN(threads));
                s->procs = kib(MEDIAN(procs));
#undef MEDIAN
                snprintf(s->phase, sizeof s->phase, "%s", first->phase);
                snprintf(s->by, sizeof s->by, "%s", first->by);
        }
        free(tmp);
        return n;
}

/* The median over repetitions of a per-repetition figure. */
#define MEDIAN_OF(p, tmp, expr)                                                                    \
        ({                                                                                         \
                for (size_t i_ = 0; i_ < (p)->nreps; i_++) {                                       \
                        const struct ab_rep *r = &(p)->reps[i_];                                   \
                        (tmp)[i_] = (double)(expr);                                                \
                }                                                                                  \
                ab_stats_median((tmp), (p)->nreps);                                                \
        })

/* A memory figure's median, AB_UNKNOWN when a repetition could not measure
 * it; its lowest and highest repetition in range (when not NULL). */
static int64_t median_mem(const struct ab_point_res *p, size_t off, double *tmp, int64_t *range)
{
        int64_t med;
        for (size_t i = 0; i < p->nreps; i++) {
                int64_t v = *(const int64_t *)((const char *)&p->reps[i] + off);
                if (v == AB_UNKNOWN)
                        return AB_UNKNOWN;
                tmp[i] = (double)v;
        }
        med = (int64_t)ab_stats_median(tmp, p->nreps); /* sorts tmp */
        if (range) {
                range[0] = (int64_t)tmp[0];
                range[1] = (int64_t)tmp[p->nreps - 1];
        }
        return med;
}

/* The halves of a repetition agree on faults per op: within 10%, or within
 * one fault per op (a block of thousands of pages that faults once more now
 * and then is steady; one whose first op faults it all in is not). */
static bool halves_agree(const struct ab_rep *r)
{
        double a = r->half_minflt_per_op[0], b = r->half_minflt_per_op[1];
        return fabs(a - b) <= fmax(0.1 * fmax(a, b), 1.0);
}

/* How the repetitions' warm-ups ended: "steady" when every one reached
 * agreeing faults, else the first other reason. */
static const char *warmup_end(const struct ab_point_res *p)
{
        static const char *const name[] = {"none", "steady", "time cap", "most ops"};
        uint32_t e = AB_WARMUP_STEADY;
        for (size_t i = 0; i < p->nreps; i++)
                if (p->reps[i].warmup_end != AB_WARMUP_STEADY && p->reps[i].warmup_end < 4) {
                        e = p->reps[i].warmup_end;
                        break;
                }
        return name[e];
}

/* steady, the halves, the cold op and the warm-up. */
static void warm(const struct ab_point_res *p, double *tmp, struct ab_point_sum *s)
{
        size_t nh = 0, nf = 0;
        bool steady = true;
        for (size_t i = 0; i < p->nreps; i++) {
                if (p->reps[i].have_halves) {
                        nh++;
                        steady &= halves_agree(&p->reps[i]);
                }
                nf += !isnan(p->reps[i].first_ns);
        }
        s->steady = nh && nh == p->nreps ? steady : -1;
        for (int k = 0; k < 2; k++) {
                s->half_ns[k] = s->steady >= 0 ? MEDIAN_OF(p, tmp, r->half_ns_per_op[k]) : NAN;
                s->half_minflt[k] =
                    s->steady >= 0 ? MEDIAN_OF(p, tmp, r->half_minflt_per_op[k]) : NAN;
        }
        s->first_ns = s->first_minflt = s->warmup_ops = NAN;
        s->warmup_end = NULL;
        if (nf && nf == p->nreps) {
                s->first_ns = MEDIAN_OF(p, tmp, r->first_ns);
                s->first_minflt = MEDIAN_OF(p, tmp, r->first_minflt);
                s->warmup_ops = MEDIAN_OF(p, tmp, r->warmup_ops);
                s->warmup_end = warmup_end(p);
        }
}

static double instructions(const struct ab_point_res *p, double *tmp)
{
        if (!isnan(p->callgrind_per_op) && p->callgrind_per_op > 0)
                return p->callgrind_per_op;
        for (size_t i = 0; i < p->nreps; i++)
                if (p->reps[i].instructions == AB_UNKNOWN)
                        return NAN;
        return p->nreps ? MEDIAN_OF(p, tmp, (double)r->instructions / (double)(p->ops ? p->ops : 1))
                        : NAN;
}

void ab_point_summarise(const struct ab_point_res *p, double precision, struct ab_point_sum *s)
{
        double *tmp = calloc(p->nreps ? p->nreps : 1, sizeof *tmp);
        memset(s, 0, sizeof *s);
        s->n = p->nreps;
        s->rss_kib = s->vsz_kib = s->pte_kib = s->peak_kib = AB_UNKNOWN;
        for (int k = 0; k < 2; k++) {
                s->rss_range[k] = s->vsz_range[k] = s->pte_range[k] = s->peak_range[k] = AB_UNKNOWN;
                s->minflt_range[k] = NAN;
        }
        s->anon_kib = s->anon_vsz_kib = s->threads = s->procs = AB_UNKNOWN;
        s->user = s->sys = s->minflt = s->majflt = s->instructions = s->halfwidth = NAN;
        s->steady = -1;
        if (!tmp || p->nreps == 0) {
                free(tmp);
                return;
        }
        for (size_t i = 0; i < p->nreps; i++)
                tmp[i] = p->reps[i].ns_per_op;
        s->have_ns = ab_stats_summary(tmp, p->nreps, &s->ns) == 0;
        for (size_t i = 0; i < p->nreps; i++)
                tmp[i] = p->reps[i].cpu_ns_per_op;
        s->have_cpu = ab_stats_summary(tmp, p->nreps, &s->cpu) == 0;
        s->halfwidth =
            s->have_ns && s->ns.median > 0
                ? fmax(s->ns.ci95_hi - s->ns.median, s->ns.median - s->ns.ci95_lo) / s->ns.median
                : 0;
        s->precision_met = s->have_ns && p->nreps >= 6 && s->halfwidth <= precision;
        if (!s->precision_met)
                s->precision_note = p->nreps < 6 ? "fewer than 6 repetitions: no 95% interval"
                                    : p->precision_note ? p->precision_note
                                                        : "not reached";
        s->user = MEDIAN_OF(p, tmp, r->user_ns_per_op);
        s->sys = MEDIAN_OF(p, tmp, r->sys_ns_per_op);
        s->minflt = MEDIAN_OF(p, tmp, r->minflt_per_op); /* sorts tmp */
        s->minflt_range[0] = tmp[0];
        s->minflt_range[1] = tmp[p->nreps - 1];
        s->majflt = MEDIAN_OF(p, tmp, r->majflt_per_op);
        s->rss_kib = median_mem(p, offsetof(struct ab_rep, rss_kib), tmp, s->rss_range);
        s->vsz_kib = median_mem(p, offsetof(struct ab_rep, vsz_kib), tmp, s->vsz_range);
        s->pte_kib = median_mem(p, offsetof(struct ab_rep, pte_kib), tmp, s->pte_range);
        s->anon_kib = median_mem(p, offsetof(struct ab_rep, anon_kib), tmp, NULL);
        s->anon_vsz_kib = median_mem(p, offsetof(struct ab_rep, anon_vsz_kib), tmp, NULL);
        s->threads = median_mem(p, offsetof(struct ab_rep, threads), tmp, NULL);
        s->procs = median_mem(p, offsetof(struct ab_rep, procs), tmp, NULL);
        /* each process's high-water mark, the median over them: the largest
         * would grow with the repetitions --precision adds, and one
         * process's spike would make an A/A compare a regression */
        s->peak_kib = median_mem(p, offsetof(struct ab_rep, hwm_kib), tmp, s->peak_range);
        s->instructions = instructions(p, tmp);
        warm(p, tmp, s);
        free(tmp);
}
