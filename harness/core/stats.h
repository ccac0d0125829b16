/*
 * stats.h - order statistics over the per-repetition samples of a point.
 *
 * The confidence interval of the median is distribution-free: the ranks come
 * from the binomial(n, 1/2) distribution (the sign-test interval), so it holds
 * for the skewed, outlier-prone timings benchmarks produce. With fewer than 6
 * samples no pair of ranks reaches 95%; the interval is then [min, max], whose
 * true coverage is 1 - 2^(1-n) (93.75% at n = 5), and `exact95` says so.
 */
#ifndef AB_STATS_H
#define AB_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct ab_summary {
        double median, min, max, ci95_lo, ci95_hi;
        double coverage; /* the interval's actual coverage probability */
        bool exact95;    /* coverage >= 0.95 */
};

/* Summarise x[0..n) (n >= 1). x is sorted in place. Returns 0 or -EINVAL. */
int ab_stats_summary(double *x, size_t n, struct ab_summary *s);

/* Median of x[0..n), sorting x in place; NaN when n is 0. */
double ab_stats_median(double *x, size_t n);

/* The q-quantile (0 <= q <= 1) of sorted x[0..n), interpolated linearly
 * between order statistics; NaN when n is 0. */
double ab_stats_quantile(const double *sorted, size_t n, double q);

/* y at xq, from points (x[i], y[i]) with x ascending and positive: linear
 * in log(x) between the nearest x below and above xq, the end value beyond
 * either end; -1 when n is 0. (Calibrated memset bandwidth by size.) */
double ab_stats_interp_log(const double *x, const double *y, size_t n, double xq);

/* The 1-based ranks (lo, hi) of the distribution-free 95% CI of the median. */
void ab_stats_median_ci_ranks(size_t n, size_t *lo, size_t *hi, double *coverage);

#endif
