/*
 * mwu.h - the Mann-Whitney U test (Wilcoxon rank-sum) of two independent
 * samples, and the distribution-free confidence interval of the shift
 * between them (Hodges-Lehmann estimate, Moses interval), which `bench
 * compare` uses on log(ns/op) to give NEW/BASE as a ratio with its interval.
 *
 * U of a sample x against y counts the pairs (x_i, y_j) with x_i > y_j, and
 * half of those with x_i == y_j (R's W of wilcox.test(x, y), scipy's U1).
 * U ranges over 0..nx*ny and, when x and y come from one distribution, is
 * symmetric about nx*ny/2.
 *
 * p-values are two-sided. They are exact (from the null distribution of U,
 * counted with the recurrence of Mann & Whitney 1947) when both samples have
 * at most AB_MWU_EXACT_MAX values and no value is tied; otherwise they come
 * from the normal approximation with the variance corrected for ties and a
 * continuity correction of 1/2. Both the test and the interval work on sorted
 * copies of the samples (nx+ny doubles, the only allocation) in O(n log n)
 * time: the interval's order statistics of the nx*ny differences are
 * selected without making them, so 100,000 samples a side cost what they
 * cost to sort, not 80 GB. Nothing prints.
 */
#ifndef AB_MWU_H
#define AB_MWU_H

#include <stdbool.h>
#include <stddef.h>

#define AB_MWU_EXACT_MAX 10 /* largest sample size with exact p-values */

struct ab_mwu {
        double u;     /* U of x against y, in 0..nx*ny (half-integers with ties) */
        double z;     /* |U - nx*ny/2| less 1/2, over the standard deviation, >= 0;
                         0 for an exact p */
        double p;     /* two-sided p-value, in (0, 1] */
        double p_min; /* the smallest two-sided p any untied data of these sizes
                         can give, 2 / C(nx+ny, nx) capped at 1: a test with
                         p_min > alpha cannot be significant at alpha */
        bool exact;   /* p from the exact distribution */
        bool ties;    /* some value occurs more than once in x and y together */
};

/* Test x[0..nx) against y[0..ny) (nx, ny >= 1, every value finite).
 * Returns 0, or -EINVAL for an empty sample or a value that is not finite. */
int ab_mwu_test(const double *x, size_t nx, const double *y, size_t ny, struct ab_mwu *out);

/* P(U <= u) under the null hypothesis for samples of sizes n1 and n2, both
 * in 1..AB_MWU_EXACT_MAX (NaN otherwise); u may be any real number. */
double ab_mwu_exact_cdf(size_t n1, size_t n2, double u);

/* An estimate and interval of a location difference. */
struct ab_mwu_ci {
        double est;      /* Hodges-Lehmann estimate: the median of the differences */
        double lo, hi;   /* the interval's ends */
        double coverage; /* its coverage probability: exact from the U distribution
                            when both sizes are at most AB_MWU_EXACT_MAX, else from
                            the normal approximation. Below `level` when the samples
                            are too small to reach it (the interval is then every
                            difference, [min, max]) */
};

/* The shift D of y against x (y is distributed as x + D): the nx*ny
 * differences y_j - x_i, sorted, give the estimate (their median) and the
 * interval [d_(k), d_(nx*ny+1-k)], where k is the largest rank (at least 1)
 * with P(U <= k-1) <= (1-level)/2. level is in (0, 1), e.g. 0.95. Each d is
 * exactly the double y_j - x_i rounds to (a zero as +0.0), as if all of them
 * had been made and sorted; none is.
 * Returns 0, -EINVAL (empty sample, value not finite, level out of range) or
 * -ENOMEM. */
int ab_mwu_shift_ci(const double *x, size_t nx, const double *y, size_t ny, double level,
                    struct ab_mwu_ci *out);

/* The ratio y/x as a scale change (y is distributed as x * R): the shift
 * interval of log(y) against log(x), exponentiated. Under that model R is the
 * ratio of the medians. Every value must be > 0 (-EDOM otherwise); other
 * returns as ab_mwu_shift_ci. */
int ab_mwu_ratio_ci(const double *x, size_t nx, const double *y, size_t ny, double level,
                    struct ab_mwu_ci *out);

#endif
