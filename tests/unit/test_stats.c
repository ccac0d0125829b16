/*
 * test_stats.c - medians, the sign-test confidence interval of the median
 * against known values and an exact binomial table computed here with
 * integer coefficients, and the summary of a point.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/stats.h"


typedef unsigned __int128 u128;

/* ---- an exact binomial(n, 1/2) table, independent of stats.c -----------
 * C(n, i) and 2^n fit in 128 bits for the n used here (<= 120). */

#define NMAX 120

/* Sum of C(n, i) for i = 0..k, exactly. */
static u128 binom_cum(unsigned n, unsigned k)
{
        u128 c = 1, sum = 0;
        for (unsigned i = 0; i <= k && i <= n; i++) {
                if (i > 0)
                        c = c * (n - i + 1) / i; /* exact: C(n,i-1)*(n-i+1) is divisible by i */
                sum += c;
        }
        return sum;
}

/* The sign-test ranks: the largest k with P(X <= k-1) <= 0.025, i.e.
 * 40 * sum_{i<k} C(n,i) <= 2^n; (k, n-k+1), or (1, n) when no k works. */
static void exact_ranks(unsigned n, size_t *lo, size_t *hi, u128 *tail)
{
        u128 total = (u128)1 << n;
        unsigned k = 0;
        while (k + 1 <= n / 2 && 40 * binom_cum(n, k) <= total)
                k++;
        if (k == 0) {
                *lo = 1;
                *hi = n;
                *tail = 1; /* P(X <= 0) * 2^n */
        } else {
                *lo = k;
                *hi = n - k + 1;
                *tail = binom_cum(n, k - 1);
        }
}

static double exact_coverage(unsigned n, u128 tail)
{
        return 1.0 - 2.0 * (double)tail / ldexp(1.0, (int)n);
}

/* ---- median -------------------------------------------------------------- */

static void test_median_odd(void **state)
{
        double x[] = {5, 1, 4, 2, 3};
        double one[] = {42};
        double dup[] = {7, 7, 1, 7, 9};
        (void)state;
        assert_true(ab_stats_median(x, 5) == 3);
        /* x is sorted in place */
        for (int i = 0; i < 5; i++)
                assert_true(x[i] == i + 1);
        assert_true(ab_stats_median(one, 1) == 42);
        assert_true(ab_stats_median(dup, 5) == 7);
}

static void test_median_even(void **state)
{
        double x[] = {10, 1, 4, 2};
        double two[] = {3.5, 1.5};
        double neg[] = {-1, -3, 8, 0, 2, -2};
        (void)state;
        assert_true(ab_stats_median(x, 4) == 3); /* (2 + 4) / 2 */
        assert_true(ab_stats_median(two, 2) == 2.5);
        assert_true(ab_stats_median(neg, 6) == -0.5); /* (-1 + 0) / 2 */
}

/* ---- confidence interval ranks -------------------------------------------- */

static void check_ranks(size_t n, size_t want_lo, size_t want_hi, double want_cov)
{
        size_t lo = 0, hi = 0, xlo, xhi;
        double cov = -1;
        u128 tail;

        /* the stated values agree with the exact table... */
        exact_ranks((unsigned)n, &xlo, &xhi, &tail);
        if (xlo != want_lo || xhi != want_hi)
                fail_msg("n=%zu: exact table gives (%zu,%zu), test expects (%zu,%zu)", n, xlo, xhi,
                         want_lo, want_hi);
        if (want_cov >= 0)
                assert_float_equal(exact_coverage((unsigned)n, tail), want_cov, 1e-12);
        /* ...and so does the library */
        ab_stats_median_ci_ranks(n, &lo, &hi, &cov);
        if (lo != want_lo || hi != want_hi)
                fail_msg("n=%zu: ab_stats_median_ci_ranks gives (%zu,%zu), expected (%zu,%zu)", n,
                         lo, hi, want_lo, want_hi);
        assert_float_equal(cov, exact_coverage((unsigned)n, tail), 1e-9);
}

static void test_ci_ranks_known(void **state)
{
        (void)state;
        check_ranks(5, 1, 5, 0.9375);
        check_ranks(6, 1, 6, 0.96875);
        check_ranks(10, 2, 9, 1 - 2 * 11.0 / 1024);
        check_ranks(20, 6, 15, 1 - 2 * 21700.0 / 1048576); /* P(X <= 5) = 21700 / 2^20 */
        check_ranks(100, 40, 61, -1);
}

static void test_ci_ranks_table(void **state)
{
        (void)state;
        /* every n the exact table can reach */
        for (unsigned n = 1; n <= NMAX; n++) {
                size_t lo, hi, xlo, xhi;
                double cov;
                u128 tail;
                exact_ranks(n, &xlo, &xhi, &tail);
                ab_stats_median_ci_ranks(n, &lo, &hi, &cov);
                if (lo != xlo || hi != xhi)
                        fail_msg("n=%u: library (%zu,%zu), exact (%zu,%zu)", n, lo, hi, xlo, xhi);
                assert_float_equal(cov, exact_coverage(n, tail), 1e-9);
                assert_true(lo >= 1 && lo <= hi && hi <= n);
                assert_int_equal(lo + hi, n + 1); /* symmetric */
                if (n >= 6)
                        assert_true(cov >= 0.95);
                else
                        assert_true(cov < 0.95);
        }
}

static void test_ci_small_n(void **state)
{
        size_t lo, hi;
        double cov;
        (void)state;
        ab_stats_median_ci_ranks(1, &lo, &hi, &cov);
        assert_int_equal(lo, 1);
        assert_int_equal(hi, 1);
        assert_float_equal(cov, 0.0, 1e-12); /* 1 - 2^0 */
        ab_stats_median_ci_ranks(2, &lo, &hi, &cov);
        assert_int_equal(lo, 1);
        assert_int_equal(hi, 2);
        assert_float_equal(cov, 0.5, 1e-12);
        ab_stats_median_ci_ranks(3, &lo, &hi, &cov);
        assert_float_equal(cov, 0.75, 1e-12);
}

/* The ranks and coverage as ab_stats_median_ci_ranks computed them when it
 * summed the CDF afresh for every k (quadratic in n): the running sum must
 * give the same ranks and the same coverage, to the last bit. */
static double ref_cdf_half(size_t n, size_t k)
{
        double sum = 0;
        for (size_t i = 0; i <= k; i++)
                sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
                           lgamma((double)(n - i) + 1) - (double)n * log(2.0));
        return sum;
}

static void test_ci_ranks_match_direct_sum(void **state)
{
        static const size_t big[] = {499, 500, 1000, 1001, 4096, 10000};
        (void)state;
        for (size_t t = 0; t < 300 + sizeof big / sizeof big[0]; t++) {
                size_t n = t < 300 ? t : big[t - 300], k = 0, lo, hi;
                double cov, want;
                while (k + 1 <= n / 2 && ref_cdf_half(n, k) <= 0.025)
                        k++;
                want =
                    k == 0 ? (n ? 1 - 2 * ref_cdf_half(n, 0) : 0) : 1 - 2 * ref_cdf_half(n, k - 1);
                ab_stats_median_ci_ranks(n, &lo, &hi, &cov);
                if (lo != (k ? k : 1) || hi != (k ? n - k + 1 : n) || !(cov == want))
                        fail_msg("n=%zu: (%zu, %zu, %.17g), the direct sums give (%zu, %zu, %.17g)",
                                 n, lo, hi, cov, k ? k : 1, k ? n - k + 1 : n, want);
        }
}

/* ---- summary ------------------------------------------------------------- */

static void test_summary_five(void **state)
{
        double x[] = {5, 1, 4, 2, 3};
        struct ab_summary s;
        (void)state;
        assert_int_equal(ab_stats_summary(x, 5, &s), 0);
        assert_true(s.median == 3);
        assert_true(s.min == 1);
        assert_true(s.max == 5);
        assert_true(s.ci95_lo == 1);
        assert_true(s.ci95_hi == 5);
        assert_float_equal(s.coverage, 0.9375, 1e-12);
        assert_false(s.exact95);
}

static void test_summary_ten(void **state)
{
        double x[] = {10.5, 3, 8, 1, 7, 2, 9, 4, 6, 5};
        struct ab_summary s;
        (void)state;
        assert_int_equal(ab_stats_summary(x, 10, &s), 0);
        assert_true(s.median == 5.5);
        assert_true(s.min == 1);
        assert_true(s.max == 10.5);
        /* ranks (2, 9) of 1 2 3 4 5 6 7 8 9 10.5 */
        assert_true(s.ci95_lo == 2);
        assert_true(s.ci95_hi == 9);
        assert_float_equal(s.coverage, 1 - 2 * 11.0 / 1024, 1e-12);
        assert_true(s.exact95);
}

static void test_summary_one(void **state)
{
        double x[] = {17.25};
        struct ab_summary s;
        (void)state;
        assert_int_equal(ab_stats_summary(x, 1, &s), 0);
        assert_true(s.median == 17.25);
        assert_true(s.min == 17.25 && s.max == 17.25);
        assert_true(s.ci95_lo == 17.25 && s.ci95_hi == 17.25);
        assert_false(s.exact95);
}

static void test_summary_empty(void **state)
{
        double x[1] = {0};
        struct ab_summary s;
        (void)state;
        assert_int_equal(ab_stats_summary(x, 0, &s), -EINVAL);
}

/* Linear interpolation between order statistics (R's type 7 and numpy's
 * default): the quantiles of 1..5 are 1 + 4q. */
static void test_quantile(void **state)
{
        const double x[] = {1, 2, 3, 4, 5};
        (void)state;
        assert_float_equal(ab_stats_quantile(x, 5, 0), 1, 1e-12);
        assert_float_equal(ab_stats_quantile(x, 5, 0.25), 2, 1e-12);
        assert_float_equal(ab_stats_quantile(x, 5, 0.5), 3, 1e-12);
        assert_float_equal(ab_stats_quantile(x, 5, 0.6), 3.4, 1e-12);
        assert_float_equal(ab_stats_quantile(x, 5, 1), 5, 1e-12);
        assert_float_equal(ab_stats_quantile(x, 1, 0.3), 1, 1e-12);
        assert_true(isnan(ab_stats_quantile(x, 0, 0.5)));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_median_odd),
                cmocka_unit_test(test_median_even),
                cmocka_unit_test(test_ci_ranks_known),
                cmocka_unit_test(test_ci_ranks_table),
                cmocka_unit_test(test_ci_small_n),
                cmocka_unit_test(test_ci_ranks_match_direct_sum),
                cmocka_unit_test(test_summary_five),
                cmocka_unit_test(test_summary_ten),
                cmocka_unit_test(test_summary_one),
                cmocka_unit_test(test_summary_empty),
                cmocka_unit_test(test_quantile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
