/*
 * mwu.c - Mann-Whitney U: the statistic by counting pairs, the exact null
 * distribution by the recurrence of Mann & Whitney (1947), the normal
 * approximation with ties and continuity corrected, and the Moses interval
 * of the shift (order statistics of the pairwise differences, selected
 * without making them). Everything works on sorted copies of the two
 * samples: O(n log n) time and O(n) memory for n values in all.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mwu.h"

#define EMAX AB_MWU_EXACT_MAX

/* counts[m][n][u]: how many of the C(m+n, m) orderings of m x's and n y's
 * have U = u. Mann & Whitney's recurrence, in counts: the largest value is
 * either an x, which then beats all n y's (u - n from the other m-1 x's), or
 * a y, which no x beats. */
static double counts[EMAX + 1][EMAX + 1][EMAX * EMAX + 1];
static bool counts_ready;

static void counts_fill(void)
{
        for (size_t m = 0; m <= EMAX; m++) {
                for (size_t n = 0; n <= EMAX; n++) {
                        for (size_t u = 0; u <= m * n; u++) {
                                if (m == 0 || n == 0)
                                        counts[m][n][u] = u == 0;
                                else
                                        counts[m][n][u] =
                                            (u >= n ? counts[m - 1][n][u - n] : 0) +
                                            (u <= m * (n - 1) ? counts[m][n - 1][u] : 0);
                        }
                }
        }
        counts_ready = true;
}

double ab_mwu_exact_cdf(size_t n1, size_t n2, double u)
{
        double sum = 0, total = 0;
        size_t mn = n1 * n2;
        if (n1 < 1 || n2 < 1 || n1 > EMAX || n2 > EMAX || isnan(u))
                return NAN;
        if (!counts_ready)
                counts_fill();
        if (u < 0)
                return 0;
        for (size_t k = 0; k <= mn; k++) {
                total += counts[n1][n2][k];
                if ((double)k <= u)
                        sum += counts[n1][n2][k];
        }
        return sum / total;
}

/* Standard normal upper tail P(Z > z). */
static double norm_sf(double z)
{
        return 0.5 * erfc(z / M_SQRT2);
}

/* z with P(Z > z) = a, 0 < a < 1/2: bisection on the tail, to 1e-12. */
static double norm_isf(double a)
{
        double lo = 0, hi = 40;
        for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
                double mid = (lo + hi) / 2;
                if (norm_sf(mid) > a)
                        lo = mid;
                else
                        hi = mid;
        }
        return (lo + hi) / 2;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static bool all_finite(const double *x, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isfinite(x[i]))
                        return false;
        return true;
}

/* log C(n, k) */
static double lchoose(size_t n, size_t k)
{
        return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1);
}

/* x[0..nx) and y[0..ny) copied into one buffer, each sorted: the test and
 * the interval both work on the two sorted samples. */
static double *sorted_pair(const double *x, size_t nx, const double *y, size_t ny)
{
        double *s = malloc((nx + ny) * sizeof *s);
        if (!s)
                return NULL;
        for (size_t i = 0; i < nx; i++)
                s[i] = x[i];
        for (size_t j = 0; j < ny; j++)
                s[nx + j] = y[j];
        qsort(s, nx, sizeof *s, cmp_double);
        qsort(s + nx, ny, sizeof *s, cmp_double);
        return s;
}

/* U of sorted x against sorted y: for each x_i the y's below it and half of
 * those equal to it, found by two pointers that only move forward. Counted
 * in halves as an integer, so the sum is exact (as the pairwise sum of ones
 * and halves is, below 2^52 pairs). */
static double u_sorted(const double *x, size_t nx, const double *y, size_t ny)
{
        size_t below = 0, upto = 0; /* y[0..below) < x_i, y[0..upto) <= x_i */
        uint64_t halves = 0;
        for (size_t i = 0; i < nx; i++) {
                while (below < ny && y[below] < x[i])
                        below++;
                if (upto < below)
                        upto = below;
                while (upto < ny && y[upto] <= x[i])
                        upto++;
                halves += 2 * (uint64_t)below + (uint64_t)(upto - below);
        }
        return (double)halves / 2;
}

/* The sum of t^3 - t over the groups of tied values of x and y pooled, both
 * sorted: a merge that walks each group once. */
static double tie_sum_sorted(const double *x, size_t nx, const double *y, size_t ny)
{
        size_t i = 0, j = 0;
        double sum = 0;
        while (i < nx || j < ny) {
                double v = j >= ny || (i < nx && x[i] <= y[j]) ? x[i] : y[j];
                size_t t = 0;
                while (i < nx && x[i] == v) {
                        i++;
                        t++;
                }
                while (j < ny && y[j] == v) {
                        j++;
                        t++;
                }
                sum += ((double)t * (double)t - 1) * (double)t;
        }
        return sum;
}

int ab_mwu_test(const double *x, size_t nx, const double *y, size_t ny, struct ab_mwu *out)
{
        size_t n = nx + ny;
        double u, mu = (double)nx * (double)ny / 2, tie_sum, var;
        double *s;
        if (nx == 0 || ny == 0 || !all_finite(x, nx) || !all_finite(y, ny))
                return -EINVAL;
        s = sorted_pair(x, nx, y, ny);
        if (!s)
                return -ENOMEM;
        u = u_sorted(s, nx, s + nx, ny);
        tie_sum = tie_sum_sorted(s, nx, s + nx, ny);
        free(s);

        out->u = u;
        out->ties = tie_sum > 0;
        out->p_min = fmin(1, 2 * exp(-lchoose(n, nx)));
        if (nx <= EMAX && ny <= EMAX && !out->ties) {
                double lower = fmin(u, (double)nx * (double)ny - u);
                out->exact = true;
                out->z = 0;
                out->p = fmin(1, 2 * ab_mwu_exact_cdf(nx, ny, lower));
                return 0;
        }
        out->exact = false;
        var = (double)nx * (double)ny / 12 *
              ((double)n + 1 - tie_sum / ((double)n * ((double)n - 1)));
        if (var <= 0) { /* every value equal: no evidence of any difference */
                out->z = 0;
                out->p = 1;
                return 0;
        }
        out->z = fmax(0, fabs(u - mu) - 0.5) / sqrt(var);
        out->p = fmin(1, 2 * norm_sf(out->z));
        return 0;
}

/* ---- order statistics of the pairwise differences, without making them ----- *
 *
 * The interval needs the k-th smallest of the nx*ny differences d = y_j - x_i
 * (each the double the subtraction rounds to, as when they were all made and
 * sorted). Two facts make it cheap:
 *
 * 1. Rounding is monotone, so with x and y sorted, y_j - x_i never falls as j
 *    grows and never rises as i grows. The differences <= t are then, for
 *    each i, a prefix of y that only lengthens as i grows: counting them all
 *    is one O(nx + ny) sweep (count_le).
 *
 * 2. Doubles map onto 64-bit integers in order (dkey). Bisecting on that
 *    integer for the smallest t with count_le(t) >= k takes at most 64
 *    sweeps and ends on t == d_(k): count_le(d_(k)) >= k by definition; and
 *    any double t < d_(k) has count_le(t) < k, since fewer than k differences
 *    are below d_(k). So the smallest such t is d_(k) itself, a value some
 *    pair really has. (-0.0 and +0.0 are one value to the comparisons; a
 *    zero comes back as +0.0.)
 *
 * So an order statistic costs O((nx + ny) * 64) time and no memory, after the
 * O(n log n) sort. */

static uint64_t dkey(double v)
{
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        return b >> 63 ? ~b : b | (UINT64_C(1) << 63);
}

static double dval(uint64_t k)
{
        uint64_t b = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
        double v;
        memcpy(&v, &b, sizeof v);
        return v;
}

/* How many y_j - x_i are <= t (x, y sorted ascending). */
static uint64_t count_le(const double *x, size_t nx, const double *y, size_t ny, double t)
{
        uint64_t c = 0;
        size_t j = 0;
        for (size_t i = 0; i < nx; i++) {
                while (j < ny && y[j] - x[i] <= t)
                        j++;
                c += j;
        }
        return c;
}

/* The k-th smallest (1-based, 1 <= k <= nx*ny) of y_j - x_i (x, y sorted). */
static double kth_difference(const double *x, size_t nx, const double *y, size_t ny, uint64_t k)
{
        /* the smallest and largest differences bound the search */
        uint64_t lo = dkey(y[0] - x[nx - 1]), hi = dkey(y[ny - 1] - x[0]);
        while (lo < hi) {
                uint64_t mid = lo + (hi - lo) / 2;
                if (count_le(x, nx, y, ny, dval(mid)) >= k)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return dval(lo) + 0.0;
}

int ab_mwu_shift_ci(const double *x, size_t nx, const double *y, size_t ny, double level,
                    struct ab_mwu_ci *out)
{
        size_t N = nx * ny, k = 1;
        double a = (1 - level) / 2, *s, *sx, *sy;
        if (nx == 0 || ny == 0 || !all_finite(x, nx) || !all_finite(y, ny) ||
            !(level > 0 && level < 1))
                return -EINVAL;
        s = sorted_pair(x, nx, y, ny);
        if (!s)
                return -ENOMEM;
        sx = s;
        sy = s + nx;
        out->est = N % 2 ? kth_difference(sx, nx, sy, ny, N / 2 + 1)
                         : (kth_difference(sx, nx, sy, ny, N / 2) +
                            kth_difference(sx, nx, sy, ny, N / 2 + 1)) /
                               2;

        /* Rank k of the lower end: the interval [d_(k), d_(N+1-k)] misses the
         * true shift when U (of y - D against x) is at most k-1 or at least
         * N-k+1, each with probability P(U <= k-1). */
        if (nx <= EMAX && ny <= EMAX) {
                while (2 * (k + 1) <= N + 1 && ab_mwu_exact_cdf(nx, ny, (double)k) <= a)
                        k++;
                out->coverage = 1 - 2 * ab_mwu_exact_cdf(nx, ny, (double)k - 1);
        } else {
                double mu = (double)N / 2,
                       sd = sqrt((double)N * ((double)nx + (double)ny + 1) / 12),
                       kk = floor(mu + 0.5 - norm_isf(a) * sd);
                k = kk < 1 ? 1 : (size_t)kk;
                if (2 * k > N + 1)
                        k = (N + 1) / 2;
                out->coverage = 1 - 2 * norm_sf((mu - ((double)k - 0.5)) / sd);
        }
        out->lo = kth_difference(sx, nx, sy, ny, k);
        out->hi = kth_difference(sx, nx, sy, ny, N + 1 - k);
        free(s);
        return 0;
}

int ab_mwu_ratio_ci(const double *x, size_t nx, const double *y, size_t ny, double level,
                    struct ab_mwu_ci *out)
{
        double *lx, *ly;
        int rc;
        for (size_t i = 0; i < nx; i++)
                if (!(x[i] > 0))
                        return isnan(x[i]) ? -EINVAL : -EDOM;
        for (size_t j = 0; j < ny; j++)
                if (!(y[j] > 0))
                        return isnan(y[j]) ? -EINVAL : -EDOM;
        lx = malloc((nx + ny + 1) * sizeof *lx);
        if (!lx)
                return -ENOMEM;
        ly = lx + nx;
        for (size_t i = 0; i < nx; i++)
                lx[i] = log(x[i]);
        for (size_t j = 0; j < ny; j++)
                ly[j] = log(y[j]);
        rc = ab_mwu_shift_ci(lx, nx, ly, ny, level, out);
        free(lx);
        if (rc == 0) {
                out->est = exp(out->est);
                out->lo = exp(out->lo);
                out->hi = exp(out->hi);
        }
        return rc;
}
