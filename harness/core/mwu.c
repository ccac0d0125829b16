/*
 * mwu.c - Mann-Whitney U: the statistic by counting pairs, the exact null
 * distribution by the recurrence of Mann & Whitney (1947), the normal
 * approximation with ties and continuity corrected, and the Moses interval
 * of the shift (order statistics of the pairwise differences).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

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

int ab_mwu_test(const double *x, size_t nx, const double *y, size_t ny, struct ab_mwu *out)
{
        size_t n = nx + ny;
        double u = 0, mu = (double)nx * (double)ny / 2, tie_sum = 0, var;
        double *all;
        if (nx == 0 || ny == 0 || !all_finite(x, nx) || !all_finite(y, ny))
                return -EINVAL;
        for (size_t i = 0; i < nx; i++)
                for (size_t j = 0; j < ny; j++)
                        u += x[i] > y[j] ? 1 : x[i] == y[j] ? 0.5 : 0;
        /* tie groups of the pooled sample: sum of t^3 - t */
        all = malloc(n * sizeof *all);
        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < nx; i++)
                all[i] = x[i];
        for (size_t j = 0; j < ny; j++)
                all[nx + j] = y[j];
        qsort(all, n, sizeof *all, cmp_double);
        for (size_t i = 0; i < n;) {
                size_t j = i + 1;
                while (j < n && all[j] == all[i])
                        j++;
                tie_sum += ((double)(j - i) * (double)(j - i) - 1) * (double)(j - i);
                i = j;
        }
        free(all);

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

int ab_mwu_shift_ci(const double *x, size_t nx, const double *y, size_t ny, double level,
                    struct ab_mwu_ci *out)
{
        size_t N = nx * ny, k = 1;
        double a = (1 - level) / 2, *d;
        if (nx == 0 || ny == 0 || !all_finite(x, nx) || !all_finite(y, ny) ||
            !(level > 0 && level < 1))
                return -EINVAL;
        d = malloc(N * sizeof *d);
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < nx; i++)
                for (size_t j = 0; j < ny; j++)
                        d[i * ny + j] = y[j] - x[i];
        qsort(d, N, sizeof *d, cmp_double);
        out->est = N % 2 ? d[N / 2] : (d[N / 2 - 1] + d[N / 2]) / 2;

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
        out->lo = d[k - 1];
        out->hi = d[N - k];
        free(d);
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
