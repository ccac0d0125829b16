/*
 * test_mwu.c - the Mann-Whitney U test and the shift/ratio intervals of
 * harness/core/mwu.c against published values, and against the pairwise
 * definition (every pair compared, every difference sorted) on random
 * samples with ties.
 *
 * Sources of the expected values:
 *  - H. B. Mann and D. R. Whitney (1947), "On a test of whether one of two
 *    random variables is stochastically larger than the other", Ann. Math.
 *    Statist. 18(1):50-60: the recurrence for the null distribution of U and
 *    its tables of P(U <= u) for small samples. The complete distributions for
 *    3 vs 3 and 4 vs 4 below are the exact counts out of C(6,3) = 20 and
 *    C(8,4) = 70 orderings.
 *  - The textbook table of critical values of U for a two-tailed test at
 *    alpha = 0.05 (the largest U with 2 P(U <= u) <= 0.05), printed in most
 *    statistics textbooks: n1 = n2 = 4..10 give 0, 2, 5, 8, 13, 17, 23.
 *  - M. Hollander and D. A. Wolfe (1973), Nonparametric Statistical Methods,
 *    p. 69f: permeability constants of the human chorioamnion at term (x) and
 *    at 12-26 weeks (y), the example of R's wilcox.test, which prints W = 35,
 *    exact one-sided p = 0.1272 and, with the normal approximation without
 *    continuity correction, 0.1103. On the same data the Hodges-Lehmann
 *    estimate of x - y is 0.305 and its exact 95% interval [-0.15, 0.76]
 *    (computed from the definition by enumerating all C(15,5) orderings).
 *  All p-values here, and the tie and large-sample cases, were cross-checked
 *  with scipy 1.10.1 (scipy.stats.mannwhitneyu, method="exact" and
 *  "asymptotic" with use_continuity=True).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "core/mwu.h"
#include "core/prng.h"

#define assert_near(a, b, eps)                                                                     \
        do {                                                                                       \
                double a_ = (a), b_ = (b), e_ = (eps);                                             \
                if (!(fabs(a_ - b_) <= e_))                                                        \
                        fail_msg("%s = %.10g, expected %.10g (within %g)", #a, a_, b_, e_);        \
        } while (0)

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Hollander & Wolfe (1973), p. 69f. */
static const double hw_x[] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
static const double hw_y[] = {1.15, 0.88, 0.90, 0.74, 1.21};

/* ---- the exact null distribution ------------------------------------------ */

static void test_exact_distribution_3_3_and_4_4(void **state)
{
        static const int c33[] = {1, 1, 2, 3, 3, 3, 3, 2, 1, 1};
        static const int c44[] = {1, 1, 2, 3, 5, 5, 7, 7, 8, 7, 7, 5, 5, 3, 2, 1, 1};
        int cum = 0;
        (void)state;
        for (size_t u = 0; u < N(c33); u++) {
                cum += c33[u];
                assert_near(ab_mwu_exact_cdf(3, 3, (double)u), cum / 20.0, 1e-12);
        }
        cum = 0;
        for (size_t u = 0; u < N(c44); u++) {
                cum += c44[u];
                assert_near(ab_mwu_exact_cdf(4, 4, (double)u), cum / 70.0, 1e-12);
        }
        /* below the support, between integers, beyond the support */
        assert_near(ab_mwu_exact_cdf(4, 4, -1), 0, 0);
        assert_near(ab_mwu_exact_cdf(4, 4, 3.5), 7 / 70.0, 1e-12);
        assert_near(ab_mwu_exact_cdf(4, 4, 100), 1, 1e-12);
        /* the distribution does not depend on which sample is named first */
        for (int u = 0; u <= 24; u++)
                assert_near(ab_mwu_exact_cdf(4, 6, u), ab_mwu_exact_cdf(6, 4, u), 1e-12);
        /* beyond the exact range */
        assert_true(isnan(ab_mwu_exact_cdf(11, 3, 5)));
        assert_true(isnan(ab_mwu_exact_cdf(0, 3, 0)));
}

/* The largest U with 2 P(U <= u) <= 0.05. */
static int critical_u(size_t n1, size_t n2)
{
        int crit = -1;
        for (int u = 0; u <= (int)(n1 * n2); u++)
                if (2 * ab_mwu_exact_cdf(n1, n2, u) <= 0.05)
                        crit = u;
        return crit;
}

static void test_critical_values_table(void **state)
{
        static const struct {
                size_t n1, n2;
                int crit;
        } table[] = {{4, 4, 0},  {5, 5, 2},    {6, 6, 5},   {7, 7, 8},  {8, 8, 13},
                     {9, 9, 17}, {10, 10, 23}, {4, 8, 4},   {4, 10, 5}, {5, 10, 8},
                     {6, 9, 10}, {7, 8, 10},   {8, 10, 17}, {9, 10, 20}};
        (void)state;
        for (size_t i = 0; i < N(table); i++) {
                int c = critical_u(table[i].n1, table[i].n2);
                if (c != table[i].crit)
                        fail_msg("critical U for %zu vs %zu: %d, table says %d", table[i].n1,
                                 table[i].n2, c, table[i].crit);
        }
        /* 3 vs 3 can never reach 0.05 two-sided: 2/20 = 0.1 at best */
        assert_int_equal(critical_u(3, 3), -1);
}

/* ---- the test --------------------------------------------------------------- */

static void test_hollander_wolfe_exact(void **state)
{
        struct ab_mwu r;
        (void)state;
        assert_int_equal(ab_mwu_test(hw_x, N(hw_x), hw_y, N(hw_y), &r), 0);
        assert_near(r.u, 35, 0);
        assert_true(r.exact);
        assert_false(r.ties);
        /* R: exact one-sided p = 0.1272 (0.127206127...); two-sided twice that */
        assert_near(r.p, 0.2544122544, 1e-9);
        assert_near(r.p / 2, 0.1272, 5e-5);
        assert_near(r.z, 0, 0);
        /* the same data the other way round: U of y is 50 - 35, same p */
        assert_int_equal(ab_mwu_test(hw_y, N(hw_y), hw_x, N(hw_x), &r), 0);
        assert_near(r.u, 15, 0);
        assert_near(r.p, 0.2544122544, 1e-9);
}

/* Samples larger than the exact range go to the normal approximation. */
static void test_normal_approximation_no_ties(void **state)
{
        double x[12], y[12];
        struct ab_mwu r;
        (void)state;
        /* 1..12 against 5.5..16.5: U = 28 of 144; scipy asymptotic with
         * continuity correction: p = 0.012022825407617439.
         * By hand: mu = 72, sd = sqrt(144 * 25 / 12) = sqrt(300),
         * z = (44 - 0.5) / 17.3205 = 2.5115, p = 2 (1 - Phi(z)). */
        for (int i = 0; i < 12; i++) {
                x[i] = i + 1;
                y[i] = i + 5.5;
        }
        assert_int_equal(ab_mwu_test(x, 12, y, 12, &r), 0);
        assert_false(r.exact);
        assert_false(r.ties);
        assert_near(r.u, 28, 0);
        assert_near(r.z, 43.5 / sqrt(300), 1e-12);
        assert_near(r.p, 0.012022825407617439, 1e-12);
}

/* Ties: normal approximation with the tie-corrected variance.
 * x = 1 2 2 3 4, y = 2 3 3 5 6 7. U of x: 1 beats nothing; each 2 ties one y
 * (1/2 each); 3 beats the 2 and ties two 3s (2); 4 beats 2, 3, 3 (3): U = 6.
 * Tie groups: three 2s and three 3s, sum of t^3 - t = 48; N = 11,
 * var = 5*6/12 * (12 - 48/110) = 28.909..., z = (|6 - 15| - 0.5)/sqrt(var),
 * p = 0.11390314458853068 (scipy asymptotic, continuity-corrected). */
static void test_ties(void **state)
{
        static const double x[] = {1, 2, 2, 3, 4}, y[] = {2, 3, 3, 5, 6, 7};
        struct ab_mwu r;
        (void)state;
        assert_int_equal(ab_mwu_test(x, N(x), y, N(y), &r), 0);
        assert_near(r.u, 6, 0);
        assert_true(r.ties);
        assert_false(r.exact); /* small, but tied: the exact table does not apply */
        assert_near(r.z, 8.5 / sqrt(2.5 * (12 - 48.0 / 110)), 1e-12);
        assert_near(r.p, 0.11390314458853068, 1e-12);
}

/* Identical samples: no evidence of a difference, p = 1 (with ties, and with
 * every value equal, where the variance is 0). */
static void test_identical_samples(void **state)
{
        static const double x[] = {3.1, 2.7, 4.4, 3.9, 3.3};
        static const double c[] = {7, 7, 7, 7};
        struct ab_mwu r;
        (void)state;
        assert_int_equal(ab_mwu_test(x, N(x), x, N(x), &r), 0);
        assert_near(r.u, 12.5, 0);
        assert_true(r.ties);
        assert_near(r.p, 1, 0);
        assert_int_equal(ab_mwu_test(c, N(c), c, N(c), &r), 0);
        assert_near(r.u, 8, 0);
        assert_near(r.p, 1, 0);
}

/* Completely separated samples of 5 and 5: U = 0, the one ordering of 252
 * with all y above all x; two-sided exact p = 2/252, which is also the
 * smallest p these sizes can give. */
static void test_separated_5_5(void **state)
{
        static const double x[] = {10, 11, 12, 13, 14}, y[] = {20, 25, 21, 24, 22};
        struct ab_mwu r;
        (void)state;
        assert_int_equal(ab_mwu_test(x, 5, y, 5, &r), 0);
        assert_near(r.u, 0, 0);
        assert_true(r.exact);
        assert_near(r.p, 2.0 / 252, 1e-15);
        assert_near(r.p_min, 2.0 / 252, 1e-15);
        assert_int_equal(ab_mwu_test(y, 5, x, 5, &r), 0);
        assert_near(r.u, 25, 0);
        assert_near(r.p, 2.0 / 252, 1e-15);
}

/* How small p can get: 2 / C(n1+n2, n1). Below 3 vs 4 no result reaches 0.05. */
static void test_p_min(void **state)
{
        static const double a[] = {1, 2, 3, 4, 5, 6, 7}, b[] = {8, 9, 10, 11, 12, 13, 14};
        struct ab_mwu r;
        (void)state;
        assert_int_equal(ab_mwu_test(a, 2, b, 2, &r), 0);
        assert_near(r.p_min, 2.0 / 6, 1e-15);
        assert_near(r.p, 2.0 / 6, 1e-15);
        assert_int_equal(ab_mwu_test(a, 3, b, 3, &r), 0);
        assert_near(r.p_min, 0.1, 1e-15);
        assert_int_equal(ab_mwu_test(a, 3, b, 4, &r), 0);
        assert_near(r.p_min, 2.0 / 35, 1e-15);
        assert_int_equal(ab_mwu_test(a, 3, b, 5, &r), 0);
        assert_near(r.p_min, 2.0 / 56, 1e-15);
        assert_int_equal(ab_mwu_test(a, 7, b, 7, &r), 0);
        assert_near(r.p_min, 2.0 / 3432, 1e-15);
        assert_near(r.p, 2.0 / 3432, 1e-15);
        assert_int_equal(ab_mwu_test(a, 1, b, 1, &r), 0);
        assert_near(r.p, 1, 0);
}

static void test_bad_input(void **state)
{
        double x[] = {1, 2, NAN}, y[] = {1, INFINITY};
        struct ab_mwu r;
        struct ab_mwu_ci ci;
        (void)state;
        assert_int_equal(ab_mwu_test(x, 0, y, 1, &r), -EINVAL);
        assert_int_equal(ab_mwu_test(x, 3, y, 1, &r), -EINVAL);
        assert_int_equal(ab_mwu_test(x, 2, y, 2, &r), -EINVAL);
        assert_int_equal(ab_mwu_shift_ci(x, 2, y, 1, 1.0, &ci), -EINVAL);
        assert_int_equal(ab_mwu_shift_ci(x, 2, y, 1, 0, &ci), -EINVAL);
        x[0] = 0;
        assert_int_equal(ab_mwu_ratio_ci(x, 2, y, 1, 0.95, &ci), -EDOM);
        x[0] = -1;
        assert_int_equal(ab_mwu_ratio_ci(x, 2, y, 1, 0.95, &ci), -EDOM);
}

/* ---- the intervals ---------------------------------------------------------- */

/* Hollander & Wolfe: the estimate of x - y is 0.305, the 95% interval
 * [-0.15, 0.76] at an exact coverage of 0.96004 (k = 9 of 50 differences:
 * P(U <= 8) for 10 vs 5 is 0.01998 <= 0.025). Our shift is of the second
 * sample against the first, so y against x gives the mirror image. */
static void test_hollander_wolfe_shift(void **state)
{
        struct ab_mwu_ci ci;
        (void)state;
        assert_int_equal(ab_mwu_shift_ci(hw_y, N(hw_y), hw_x, N(hw_x), 0.95, &ci), 0);
        assert_near(ci.est, 0.305, 1e-12);
        assert_near(ci.lo, -0.15, 1e-12);
        assert_near(ci.hi, 0.76, 1e-12);
        assert_near(ci.coverage, 0.96004, 5e-6);
        assert_near(1 - ci.coverage, 2 * ab_mwu_exact_cdf(10, 5, 8), 1e-12);
        assert_int_equal(ab_mwu_shift_ci(hw_x, N(hw_x), hw_y, N(hw_y), 0.95, &ci), 0);
        assert_near(ci.est, -0.305, 1e-12);
        assert_near(ci.lo, -0.76, 1e-12);
        assert_near(ci.hi, 0.15, 1e-12);
}

/* The ratio: NEW is BASE scaled by exactly 1.5. The log differences are
 * log 1.5 + log(b_j / b_i), symmetric about log 1.5, so the estimate is 1.5.
 * 5 vs 5 at 95%: the critical U is 2 (table above), so k = 3 and the interval
 * runs from the 3rd smallest ratio b_j/b_i (102/108) to the 3rd largest
 * (108/102), times 1.5; coverage 1 - 2 * 4/252. */
static void test_ratio_ci_known(void **state)
{
        static const double base[] = {100, 104, 108, 102, 106};
        double nw[5];
        struct ab_mwu_ci ci;
        (void)state;
        for (int i = 0; i < 5; i++)
                nw[i] = base[i] * 1.5;
        assert_int_equal(ab_mwu_ratio_ci(base, 5, nw, 5, 0.95, &ci), 0);
        assert_near(ci.est, 1.5, 1e-12);
        assert_near(ci.lo, 1.5 * 102 / 108, 1e-12);
        assert_near(ci.hi, 1.5 * 108 / 102, 1e-12);
        assert_near(ci.coverage, 1 - 8.0 / 252, 1e-12);
        /* the other way: 1/1.5 with the interval inverted */
        assert_int_equal(ab_mwu_ratio_ci(nw, 5, base, 5, 0.95, &ci), 0);
        assert_near(ci.est, 1 / 1.5, 1e-12);
        assert_near(ci.lo, 102 / (1.5 * 108), 1e-12);
        assert_near(ci.hi, 108 / (1.5 * 102), 1e-12);
        /* a file against itself: the interval holds 1 */
        assert_int_equal(ab_mwu_ratio_ci(base, 5, base, 5, 0.95, &ci), 0);
        assert_near(ci.est, 1, 1e-12);
        assert_true(ci.lo < 1 && ci.hi > 1);
}

/* Too few values for the level: the interval is every difference [min, max]
 * and its coverage says what it really is (3 vs 3: 1 - 2/20 = 0.9). */
static void test_ci_too_small(void **state)
{
        static const double x[] = {1, 2, 3}, y[] = {10, 20, 30};
        struct ab_mwu_ci ci;
        (void)state;
        assert_int_equal(ab_mwu_shift_ci(x, 3, y, 3, 0.95, &ci), 0);
        assert_near(ci.lo, 7, 0);
        assert_near(ci.hi, 29, 0);
        assert_near(ci.est, 18, 0);
        assert_near(ci.coverage, 0.9, 1e-12);
        assert_int_equal(ab_mwu_shift_ci(x, 1, y, 1, 0.95, &ci), 0);
        assert_near(ci.lo, 9, 0);
        assert_near(ci.hi, 9, 0);
        assert_near(ci.coverage, 0, 1e-12);
}

/* Beyond 10 a side the ranks come from the normal approximation.
 * 1..12 against 5.5..16.5: the 144 differences are 4.5 + t, t = -11..11,
 * t occurring 12 - |t| times. k = floor(72 + 0.5 - 1.959964 sqrt(300)) = 38;
 * d_(38) has t = -3 (36 differences have t <= -4), d_(107) t = +3; coverage
 * 1 - 2 Phi((37.5 - 72) / sqrt(300)) = 0.95361. */
static void test_ci_normal(void **state)
{
        double x[12], y[12];
        struct ab_mwu_ci ci;
        (void)state;
        for (int i = 0; i < 12; i++) {
                x[i] = i + 1;
                y[i] = i + 5.5;
        }
        assert_int_equal(ab_mwu_shift_ci(x, 12, y, 12, 0.95, &ci), 0);
        assert_near(ci.est, 4.5, 0);
        assert_near(ci.lo, 1.5, 0);
        assert_near(ci.hi, 7.5, 0);
        assert_near(ci.coverage, 1 - erfc(34.5 / sqrt(300) / sqrt(2)), 1e-9);
        assert_near(ci.coverage, 0.95361, 5e-6);
}

/* ---- against the pairwise definition ----------------------------------------- */

/* The definitions, computed the way mwu.c did before it stopped materialising
 * the nx*ny differences: U by comparing every pair, the interval by sorting
 * every difference. mwu.c must give exactly these numbers (== on doubles),
 * only without the quadratic time and memory. */
static double ref_norm_sf(double z)
{
        return 0.5 * erfc(z / M_SQRT2);
}

static double ref_norm_isf(double a)
{
        double lo = 0, hi = 40;
        for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
                double mid = (lo + hi) / 2;
                if (ref_norm_sf(mid) > a)
                        lo = mid;
                else
                        hi = mid;
        }
        return (lo + hi) / 2;
}

static int ref_cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double ref_u(const double *x, size_t nx, const double *y, size_t ny)
{
        double u = 0;
        for (size_t i = 0; i < nx; i++)
                for (size_t j = 0; j < ny; j++)
                        u += x[i] > y[j] ? 1 : x[i] == y[j] ? 0.5 : 0;
        return u;
}

static void ref_shift_ci(const double *x, size_t nx, const double *y, size_t ny, double level,
                         struct ab_mwu_ci *out)
{
        size_t N = nx * ny, k = 1;
        double a = (1 - level) / 2, *d = malloc(N * sizeof *d);
        assert_non_null(d);
        for (size_t i = 0; i < nx; i++)
                for (size_t j = 0; j < ny; j++)
                        d[i * ny + j] = y[j] - x[i];
        qsort(d, N, sizeof *d, ref_cmp);
        out->est = N % 2 ? d[N / 2] : (d[N / 2 - 1] + d[N / 2]) / 2;
        if (nx <= AB_MWU_EXACT_MAX && ny <= AB_MWU_EXACT_MAX) {
                while (2 * (k + 1) <= N + 1 && ab_mwu_exact_cdf(nx, ny, (double)k) <= a)
                        k++;
                out->coverage = 1 - 2 * ab_mwu_exact_cdf(nx, ny, (double)k - 1);
        } else {
                double mu = (double)N / 2,
                       sd = sqrt((double)N * ((double)nx + (double)ny + 1) / 12),
                       kk = floor(mu + 0.5 - ref_norm_isf(a) * sd);
                k = kk < 1 ? 1 : (size_t)kk;
                if (2 * k > N + 1)
                        k = (N + 1) / 2;
                out->coverage = 1 - 2 * ref_norm_sf((mu - ((double)k - 0.5)) / sd);
        }
        out->lo = d[k - 1];
        out->hi = d[N - k];
        free(d);
}

/* n values of one of four kinds: a few integers (ties within and across the
 * samples), timings with a long right tail, timings rounded to 0.1 ns (ties
 * as real timers make them), and values around 0 of both signs. */
static void fill(struct ab_prng *r, double *v, size_t n, int kind, double scale)
{
        for (size_t i = 0; i < n; i++) {
                double u = (double)(ab_prng_next(r) >> 11) / 9007199254740992.0;
                switch (kind) {
                case 0:
                        v[i] = (double)ab_prng_below(r, 6);
                        break;
                case 1:
                        v[i] = scale * exp(0.3 * tan(3.1 * (u - 0.5)) / 4);
                        break;
                case 2:
                        v[i] = round(10 * scale * (1 + 0.05 * u)) / 10;
                        break;
                default:
                        v[i] = u - 0.5;
                        break;
                }
        }
}

static void same(const char *what, double got, double want, size_t nx, size_t ny, int kind,
                 double level)
{
        if (!(got == want))
                fail_msg("%s: %.17g, the pairwise definition gives %.17g (nx %zu, ny %zu, kind %d, "
                         "level %g)",
                         what, got, want, nx, ny, kind, level);
}

/* Random samples of every kind and many sizes (the exact ranks up to 10 a
 * side, the normal approximation beyond), levels from one where k is the
 * middle rank to one where k is 1: the same U, estimate, interval and
 * coverage as the pairwise definition, to the last bit. */
static void test_matches_pairwise_definition(void **state)
{
        static const size_t sizes[] = {1, 2, 3, 5, 7, 10, 11, 16, 33, 64, 150};
        static const double levels[] = {1e-9, 0.5, 0.9, 0.95, 0.99, 0.999999};
        struct ab_prng r;
        double x[150], y[150];
        size_t cases = 0;
        (void)state;
        ab_prng_init(&r, 20260129, 0);
        for (int kind = 0; kind < 4; kind++) {
                for (size_t a = 0; a < N(sizes); a++) {
                        for (size_t b = 0; b < N(sizes); b++) {
                                size_t nx = sizes[a], ny = sizes[b];
                                struct ab_mwu t;
                                fill(&r, x, nx, kind, 100);
                                fill(&r, y, ny, kind, 100 * (1 + 0.02 * (double)(b % 3)));
                                assert_int_equal(ab_mwu_test(x, nx, y, ny, &t), 0);
                                same("U", t.u, ref_u(x, nx, y, ny), nx, ny, kind, 0);
                                for (size_t l = 0; l < N(levels); l++) {
                                        struct ab_mwu_ci got, want;
                                        double level = levels[l];
                                        assert_int_equal(ab_mwu_shift_ci(x, nx, y, ny, level, &got),
                                                         0);
                                        ref_shift_ci(x, nx, y, ny, level, &want);
                                        same("estimate", got.est, want.est, nx, ny, kind, level);
                                        same("lo", got.lo, want.lo, nx, ny, kind, level);
                                        same("hi", got.hi, want.hi, nx, ny, kind, level);
                                        same("coverage", got.coverage, want.coverage, nx, ny, kind,
                                             level);
                                        cases++;
                                }
                        }
                }
        }
        assert_int_equal(cases, 4 * N(sizes) * N(sizes) * N(levels));
}

/* The interval of 20,000 samples a side has 4e8 pairwise differences: 3.2 GB
 * as doubles. With the address space limited to 1 GiB it must still come out,
 * and match the definition where that can be checked cheaply: the extreme
 * ranks are the extreme differences. */
static void test_large_samples_linear_memory(void **state)
{
        enum { n = 20000 };
        static double x[n], y[n];
        struct rlimit old, lim;
        struct ab_mwu_ci ci;
        struct ab_mwu t;
        struct ab_prng r;
        int rc, rt;
        (void)state;
        ab_prng_init(&r, 7, 0);
        fill(&r, x, n, 2, 100);
        fill(&r, y, n, 2, 103);
        assert_int_equal(getrlimit(RLIMIT_AS, &old), 0);
        lim = old;
        lim.rlim_cur = (rlim_t)1 << 30;
        if (old.rlim_max != RLIM_INFINITY && old.rlim_max < lim.rlim_cur)
                lim.rlim_cur = old.rlim_max;
#ifndef __SANITIZE_ADDRESS__
        /* 1 GiB of address space holds the linear algorithm, not 20000^2
         * pairwise differences. (Under ASan, whose shadow memory alone is
         * larger, make check-asan checks the figures and make check the
         * bound.) */
        assert_int_equal(setrlimit(RLIMIT_AS, &lim), 0);
#endif
        rc = ab_mwu_ratio_ci(x, n, y, n, 0.95, &ci);
        rt = ab_mwu_test(y, n, x, n, &t);
        assert_int_equal(setrlimit(RLIMIT_AS, &old), 0);
        assert_int_equal(rc, 0);
        assert_int_equal(rt, 0);
        /* y is x scaled by 1.03 and rounded to 0.1 ns: the ratio is about that */
        assert_true(ci.lo <= ci.est && ci.est <= ci.hi);
        assert_true(ci.lo > 1.02 && ci.hi < 1.04);
        assert_true(t.p < 1e-6 && t.u > (double)n * n / 2);
        assert_near(ci.coverage, 0.95, 1e-3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_exact_distribution_3_3_and_4_4),
            cmocka_unit_test(test_critical_values_table),
            cmocka_unit_test(test_hollander_wolfe_exact),
            cmocka_unit_test(test_normal_approximation_no_ties),
            cmocka_unit_test(test_ties),
            cmocka_unit_test(test_identical_samples),
            cmocka_unit_test(test_separated_5_5),
            cmocka_unit_test(test_p_min),
            cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_hollander_wolfe_shift),
            cmocka_unit_test(test_ratio_ci_known),
            cmocka_unit_test(test_ci_too_small),
            cmocka_unit_test(test_ci_normal),
            cmocka_unit_test(test_matches_pairwise_definition),
            cmocka_unit_test(test_large_samples_linear_memory),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
