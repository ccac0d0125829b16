#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/stats.h"

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

double ab_stats_median(double *x, size_t n)
{
        if (n == 0)
                return NAN;
        qsort(x, n, sizeof *x, cmp_double);
        return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

double ab_stats_quantile(const double *x, size_t n, double q)
{
        double pos, f;
        size_t i;
        if (n == 0)
                return NAN;
        if (q <= 0)
                return x[0];
        if (q >= 1)
                return x[n - 1];
        pos = q * (double)(n - 1);
        i = (size_t)pos;
        f = pos - (double)i;
        return i + 1 < n ? x[i] + f * (x[i + 1] - x[i]) : x[i];
}

/* P(X = i) for X ~ Binomial(n, 1/2), in logs to stay exact for large n. */
static double binom_pmf_half(size_t n, size_t i)
{
        return exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
                   (double)n * log(2.0));
}

void ab_stats_median_ci_ranks(size_t n, size_t *lo, size_t *hi, double *coverage)
{
        /* Largest k with P(X <= k-1) <= 0.025: then [x(k), x(n-k+1)] covers
         * the median with probability 1 - 2 P(X <= k-1) >= 0.95. The CDF is
         * summed one term a step as k grows (the same terms added in the same
         * order as summing afresh for each k, so the same doubles), which
         * keeps this linear in n: 100,000 samples cost 50,000 terms, not
         * 1.25e9. */
        size_t k = 0;
        double cdf = 0 + binom_pmf_half(n, 0), below = 0; /* P(X <= k), P(X <= k-1) */
        while (k + 1 <= n / 2 && cdf <= 0.025) {
                k++;
                below = cdf;
                cdf += binom_pmf_half(n, k);
        }
        if (k == 0) {
                *lo = 1;
                *hi = n;
                *coverage = n ? 1 - 2 * cdf : 0;
        } else {
                *lo = k;
                *hi = n - k + 1;
                *coverage = 1 - 2 * below;
        }
}

int ab_stats_summary(double *x, size_t n, struct ab_summary *s)
{
        size_t lo, hi;
        if (n == 0)
                return -EINVAL;
        s->median = ab_stats_median(x, n);
        s->min = x[0];
        s->max = x[n - 1];
        ab_stats_median_ci_ranks(n, &lo, &hi, &s->coverage);
        s->ci95_lo = x[lo - 1];
        s->ci95_hi = x[hi - 1];
        s->exact95 = s->coverage >= 0.95;
        return 0;
}

double ab_stats_interp_log(const double *x, const double *y, size_t n, double xq)
{
        size_t lo = SIZE_MAX, hi = SIZE_MAX;
        double f;
        for (size_t i = 0; i < n; i++) {
                if (x[i] <= xq)
                        lo = i;
                if (x[i] >= xq && hi == SIZE_MAX)
                        hi = i;
        }
        if (lo == SIZE_MAX && hi == SIZE_MAX)
                return -1;
        if (lo == SIZE_MAX)
                return y[hi];
        if (hi == SIZE_MAX || x[hi] == x[lo])
                return y[lo];
        f = (log(xq) - log(x[lo])) / (log(x[hi]) - log(x[lo]));
        return y[lo] + f * (y[hi] - y[lo]);
}
