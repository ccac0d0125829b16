/*
 * changepoint.h - change points in a benchmark's history, and the view of the
 * history store that `bench history check` and `bench history html` share.
 *
 * The method (ab_cp_detect) proposes change points top-down and keeps the
 * ones a two-sample t test supports, the scheme of Hunter/Otava (E-divisive
 * proposals, Student's t test of each against its neighbouring segments):
 *
 *   1. Propose. Split the series at the index that maximises the two-sample
 *      t statistic (variance pooled over the segment: the likelihood-ratio
 *      split of a Gaussian mean shift), then split each side the same way,
 *      as long as both sides keep min_seg values. Every split is a proposal;
 *      none is tested yet, so a change another one masks (a regression that
 *      was later fixed leaves both halves of the series with about the same
 *      mean) is still proposed once the other is split off.
 *   2. Test each proposal against its neighbouring segments only, [previous
 *      proposal, it) and [it, next proposal): Student's t test, two-sided,
 *      with the pooled variance but never less than either side's own
 *      variance, and the p value multiplied by the number of places a split
 *      could have gone in that stretch (Bonferroni: it was picked as the best
 *      of that many). It passes when the corrected p < alpha and the mean
 *      moved by at least min_change relative to the mean before it:
 *      |after - before| / max(|before|, floor) >= min_change. The floor keeps
 *      a figure near zero (0.01 -> 0.02 faults per op) from counting as a
 *      100% change.
 *   3. Eliminate. Drop the proposal that fails worst (the largest p; among
 *      significant ones, the smallest change), re-test its two neighbours
 *      against their now longer segments, and repeat until every proposal
 *      left passes. Those are the change points.
 *
 * Why this test: under the null hypothesis (no change) both sides share one
 * distribution, so pooling is right, and it keeps the degrees of freedom of
 * the whole stretch: a regression seen in the last 3 of 100 nights is
 * testable. Welch's test would have about 2 degrees of freedom there and
 * could not find it. Flooring the variance at each side's own keeps that
 * power from making a change out of a side whose values disagree: two slow
 * nights around a normal one are not a step, nor is a lone outlier.
 *
 * Defaults (ab_cp_defaults): alpha 0.001, min_change 5%, min_seg 3, floor 0.
 * A change needs min_seg runs on each side before it can be reported: one or
 * two slow nights are never a change, three at a new level are. A drift made
 * of steps each below min_change is not reported (compare the newest results
 * with an older baseline for that).
 *
 * The detector is pure (no I/O, no clock, no global state); it allocates
 * O(n) scratch and frees it before returning. Time: O(n log n) for balanced
 * splits, O(n^2 / min_seg) at worst; about 0.3 ms for 1,000 values.
 */
#ifndef AB_CHANGEPOINT_H
#define AB_CHANGEPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ab_cp_params {
        double alpha;      /* significance, after the correction: (0, 1) */
        double min_change; /* minimum relative change of the mean, >= 0 */
        double floor;      /* the relative change's smallest denominator, >= 0 */
        size_t min_seg;    /* minimum values on each side of a split, >= 2 */
        bool log_scale;    /* test log(value + floor) instead of the value: noise that scales
                              with the level (timings) then weighs the same at every level;
                              means and changes are still reported in the values' units.
                              Needs values >= 0 and floor > 0. */
};

/* One change point: the series' mean moves from `before` (the segment that
 * ends at index - 1) to `after` (the segment that starts at index). */
struct ab_cp {
        size_t index;         /* first value of the new segment */
        size_t start, end;    /* the segments compared: [start, index), [index, end) */
        double before, after; /* their means */
        double change;        /* (after - before) / |before|; +-INFINITY when before is 0 */
        double t, df;         /* the t statistic (after - before) and its degrees of freedom */
        double p;             /* its two-sided p, times the candidate splits (<= 1) */
};

void ab_cp_defaults(struct ab_cp_params *p);

/* Change points of x[0..n) (finite values, in time order), in index order.
 * Writes at most cap of them to out and returns how many there are (which may
 * be more than cap), or -EINVAL (bad parameters) or -ENOMEM. */
int ab_cp_detect(const double *x, size_t n, const struct ab_cp_params *p, struct ab_cp *out,
                 size_t cap);

/*
 * Change points of an exact figure (a count that is the same in every run of
 * the same code: instructions per op under callgrind), in index order. There
 * is no noise to outvote, so no test: the series is cut into levels, each a
 * maximal run of values within eps of the level's first value (relatively:
 * |x - level| <= eps * max(|x|, |level|)), and every level after the first
 * starts a change point, however short it is. One run at a new count is a
 * change; a count that comes back is a second one. before and after are the
 * two levels' means, start and end their bounds, change as above; p, t and
 * df are NAN (nothing was tested). x: finite values; eps >= 0. Writes at
 * most cap change points to out and returns how many there are, or -EINVAL.
 */
int ab_cp_exact(const double *x, size_t n, double eps, struct ab_cp *out, size_t cap);

/* Student's two-sample t test of the sides' sizes and means with the given
 * (pooled) variance; n1, n2 >= 1, n1 + n2 >= 3. Step 2 passes the pooled
 * variance floored at each side's own. Returns the two-sided p; *t (mean2 -
 * mean1 over its standard error) and *df = n1 + n2 - 2 when not NULL. A
 * variance of 0: p is 0 when the means differ, 1 when they agree. */
double ab_student_test(size_t n1, double mean1, size_t n2, double mean2, double pooled_var,
                       double *t, double *df);

/* P(|T| >= |t|) for Student's t with df > 0 degrees of freedom. */
double ab_student_t_p2(double t, double df);

#endif
