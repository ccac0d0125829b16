/*
 * test_changepoint.c - the change-point detector of bench history check
 * (harness/changepoint.c) on synthetic series: Student's t distribution and
 * test against table values, a step found at the right index, nothing on pure
 * noise (Gaussian and heavy-tailed), nothing below the minimum magnitude or
 * the minimum segment length, several steps, constant series, the floor of
 * the relative change, and the helpers the history output uses.
 *
 * Noise comes from the project's seeded PRNG, so every series is the same on
 * every run and machine.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fmt.h"
#include "report/history/history.h"
#include "core/prng.h"

#define assert_near(a, b, eps)                                                                     \
        do {                                                                                       \
                double a_ = (a), b_ = (b), e_ = (eps);                                             \
                if (!(fabs(a_ - b_) <= e_))                                                        \
                        fail_msg("%s = %.10g, expected %.10g (within %g)", #a, a_, b_, e_);        \
        } while (0)

#define MAXCP 64

/* Standard normal deviates (Box-Muller) from the project's PRNG. */
static double gauss(struct ab_prng *p)
{
        double u1 = ((double)(ab_prng_next(p) >> 11) + 0.5) / 9007199254740992.0;
        double u2 = ((double)(ab_prng_next(p) >> 11) + 0.5) / 9007199254740992.0;
        return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static double uniform(struct ab_prng *p)
{
        return ((double)(ab_prng_next(p) >> 11) + 0.5) / 9007199254740992.0;
}

/* n values of `level` with relative Gaussian noise cv; from index `at` on
 * the level is multiplied by `step`. */
static void series(double *x, size_t n, double level, double cv, size_t at, double step,
                   uint64_t seed)
{
        struct ab_prng p;
        ab_prng_init(&p, seed, 0);
        for (size_t i = 0; i < n; i++)
                x[i] = level * (i >= at ? step : 1) * (1 + cv * gauss(&p));
}

static int detect(const double *x, size_t n, struct ab_cp *cp)
{
        struct ab_cp_params p;
        ab_cp_defaults(&p);
        return ab_cp_detect(x, n, &p, cp, MAXCP);
}

/* ---- the tests' statistics ----------------------------------------------- */

/* Two-sided critical values from a t table. */
static void test_student_t_table(void **state)
{
        (void)state;
        assert_near(ab_student_t_p2(12.706205, 1), 0.05, 1e-6);
        assert_near(ab_student_t_p2(63.656741, 1), 0.01, 1e-6);
        assert_near(ab_student_t_p2(2.228139, 10), 0.05, 1e-6);
        assert_near(ab_student_t_p2(-3.169273, 10), 0.01, 1e-6);
        assert_near(ab_student_t_p2(2.306004, 8), 0.05, 1e-6);
        assert_near(ab_student_t_p2(1.959964, 1e7), 0.05, 1e-5);
        assert_near(ab_student_t_p2(4.586894, 10), 0.001, 1e-7);
        assert_near(ab_student_t_p2(0, 5), 1, 1e-12);
        assert_near(ab_student_t_p2(INFINITY, 5), 0, 0);
        assert_true(ab_student_t_p2(40, 20) < 1e-19);
        assert_true(isnan(ab_student_t_p2(1, 0)));
}

static void test_student(void **state)
{
        double t, df, p;
        (void)state;
        /* n1 = n2 = 5, variance 1: t = diff / sqrt(0.4), df = 8 */
        p = ab_student_test(5, 0, 5, 2.306004 * sqrt(0.4), 1, &t, &df);
        assert_near(t, 2.306004, 1e-9);
        assert_near(df, 8, 0);
        assert_near(p, 0.05, 1e-6);
        /* the sign follows mean2 - mean1 */
        ab_student_test(3, 10, 9, 7, 4, &t, &df);
        assert_near(t, -3 / sqrt(4 * (1.0 / 3 + 1.0 / 9)), 1e-12);
        assert_near(df, 10, 0);
        /* no variance */
        assert_near(ab_student_test(3, 5, 3, 5, 0, &t, NULL), 1, 0);
        assert_near(t, 0, 0);
        assert_near(ab_student_test(3, 5, 3, 6, 0, &t, NULL), 0, 0);
        assert_true(isinf(t) && t > 0);
}

/* ---- detection ----------------------------------------------------------- */

/* A 20% step in 1% noise: one change, at the first run of the new level,
 * with the means of both sides. */
static void test_step_found_at_index(void **state)
{
        double x[40];
        struct ab_cp cp[MAXCP];
        (void)state;
        series(x, 40, 100, 0.01, 25, 1.2, 1);
        assert_int_equal(detect(x, 40, cp), 1);
        assert_int_equal(cp[0].index, 25);
        assert_int_equal(cp[0].start, 0);
        assert_int_equal(cp[0].end, 40);
        assert_near(cp[0].before, 100, 1);
        assert_near(cp[0].after, 120, 1.5);
        assert_near(cp[0].change, 0.2, 0.02);
        assert_true(cp[0].p < 1e-6);
        assert_true(cp[0].t > 0);
}

/* The step's position across the series, including the first and last
 * places it can be seen (min_seg = 3 runs on each side). */
static void test_step_every_position(void **state)
{
        double x[30];
        struct ab_cp cp[MAXCP];
        (void)state;
        for (size_t at = 3; at <= 27; at++) {
                series(x, 30, 50, 0.005, at, 0.8, 100 + at);
                if (detect(x, 30, cp) != 1)
                        fail_msg("step at %zu: %d changes", at, detect(x, 30, cp));
                assert_int_equal(cp[0].index, at);
                assert_true(cp[0].after < cp[0].before);
        }
}

/* Pure Gaussian noise, 3% and 10%, short and long series: nothing. */
static void test_no_change_on_noise(void **state)
{
        static double x[1000];
        struct ab_cp cp[MAXCP];
        const size_t lens[] = {6, 10, 30, 100, 1000};
        const double cvs[] = {0.03, 0.10};
        size_t tried = 0;
        (void)state;
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
                for (size_t c = 0; c < 2; c++)
                        for (uint64_t seed = 1; seed <= 100; seed++) {
                                int r;
                                series(x, lens[l], 1000, cvs[c], lens[l], 1, seed * 7919 + l);
                                r = detect(x, lens[l], cp);
                                if (r != 0)
                                        fail_msg("n=%zu cv=%g seed %llu: %d changes, the first "
                                                 "at %zu (p %g, change %g)",
                                                 lens[l], cvs[c], (unsigned long long)seed, r,
                                                 cp[0].index, cp[0].p, cp[0].change);
                                tried++;
                        }
        assert_int_equal(tried, 1000);
}

/* Benchmark-like noise: mostly tight, with occasional slow outliers (a
 * timing disturbed by the machine), alone or two in a row: never a change.
 * (Three slow runs in a row are min_seg runs at a new level: a change that
 * came and went, which is what the detector is for.) */
static void test_no_change_on_outliers(void **state)
{
        double x[200];
        struct ab_cp cp[MAXCP];
        (void)state;
        for (uint64_t seed = 1; seed <= 200; seed++) {
                struct ab_prng p;
                int r;
                size_t run = 0, outliers = 0;
                ab_prng_init(&p, seed, 1);
                for (size_t i = 0; i < 200; i++) {
                        x[i] = 40 * (1 + 0.02 * gauss(&p));
                        if (uniform(&p) < 0.05 && run < 2) {
                                x[i] *= 1.5 + uniform(&p);
                                run++;
                                outliers++;
                        } else {
                                run = 0;
                        }
                }
                assert_true(outliers > 0);
                r = detect(x, 200, cp);
                if (r != 0)
                        fail_msg("seed %llu: %d changes, the first at %zu (p %g, change %g)",
                                 (unsigned long long)seed, r, cp[0].index, cp[0].p, cp[0].change);
        }
}

/* A 3% step in 0.1% noise is certain but below the 5% minimum: not reported;
 * with a 2% minimum it is, at the right index. */
static void test_below_minimum_magnitude(void **state)
{
        double x[60];
        struct ab_cp cp[MAXCP];
        struct ab_cp_params p;
        (void)state;
        series(x, 60, 200, 0.001, 30, 1.03, 5);
        assert_int_equal(detect(x, 60, cp), 0);
        ab_cp_defaults(&p);
        p.min_change = 0.02;
        assert_int_equal(ab_cp_detect(x, 60, &p, cp, MAXCP), 1);
        assert_int_equal(cp[0].index, 30);
        assert_near(cp[0].change, 0.03, 0.002);
        /* a decrease is held to the same minimum */
        series(x, 60, 200, 0.001, 30, 0.97, 6);
        assert_int_equal(detect(x, 60, cp), 0);
}

/* Fewer than min_seg runs after a step: not yet a change (one or two slow
 * nights); min_seg runs: a change. */
static void test_min_segment(void **state)
{
        double x[23];
        struct ab_cp cp[MAXCP];
        struct ab_cp_params p;
        (void)state;
        series(x, 21, 10, 0.01, 19, 2, 9);
        assert_int_equal(detect(x, 21, cp), 0);
        series(x, 22, 10, 0.01, 19, 2, 9);
        assert_int_equal(detect(x, 22, cp), 1);
        assert_int_equal(cp[0].index, 19);
        ab_cp_defaults(&p);
        p.min_seg = 5;
        series(x, 23, 10, 0.01, 19, 2, 9);
        assert_int_equal(ab_cp_detect(x, 23, &p, cp, MAXCP), 0);
}

/* Up, then back down, then up again: three changes in order, each with its
 * neighbouring segments. */
static void test_several_steps(void **state)
{
        double x[80];
        struct ab_cp cp[MAXCP];
        struct ab_prng p;
        (void)state;
        ab_prng_init(&p, 42, 0);
        for (size_t i = 0; i < 80; i++) {
                double level = i < 20 ? 100 : i < 45 ? 130 : i < 60 ? 100 : 160;
                x[i] = level * (1 + 0.02 * gauss(&p));
        }
        assert_int_equal(detect(x, 80, cp), 3);
        assert_int_equal(cp[0].index, 20);
        assert_int_equal(cp[1].index, 45);
        assert_int_equal(cp[2].index, 60);
        assert_true(cp[0].after > cp[0].before);
        assert_true(cp[1].after < cp[1].before);
        assert_true(cp[2].after > cp[2].before);
        assert_int_equal(cp[1].start, 20);
        assert_int_equal(cp[1].end, 60);
        assert_near(cp[2].after, 160, 3);
}

/* A regression that was fixed: the halves around either change have about
 * the same mean, which hides it from a single split; both changes are found,
 * wide or narrow. */
static void test_regression_then_fix(void **state)
{
        static const struct {
                size_t n, from, to;
        } cases[] = {{30, 10, 20}, {100, 47, 52}, {100, 45, 55}, {1000, 500, 503}};
        static double x[1000];
        struct ab_cp cp[MAXCP];
        (void)state;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
                struct ab_prng p;
                int r;
                ab_prng_init(&p, 77 + c, 0);
                for (size_t i = 0; i < cases[c].n; i++)
                        x[i] = (i >= cases[c].from && i < cases[c].to ? 200 : 100) *
                               (1 + 0.02 * gauss(&p));
                r = detect(x, cases[c].n, cp);
                if (r != 2)
                        fail_msg("case %zu: %d changes", c, r);
                assert_int_equal(cp[0].index, cases[c].from);
                assert_int_equal(cp[1].index, cases[c].to);
                assert_true(cp[0].change > 0.8 && cp[1].change < -0.4);
        }
}

/* The nightly case: a long calm history, and a regression in its last
 * min_seg runs. */
static void test_step_at_the_end(void **state)
{
        static double x[1000];
        struct ab_cp cp[MAXCP];
        (void)state;
        series(x, 1000, 30, 0.03, 997, 1.25, 3);
        assert_int_equal(detect(x, 1000, cp), 1);
        assert_int_equal(cp[0].index, 997);
        assert_int_equal(cp[0].end, 1000);
        series(x, 999, 30, 0.03, 997, 1.25, 3);
        assert_int_equal(detect(x, 999, cp), 0); /* two runs: not yet */
}

/* Figures that do not vary (RSS, page tables): none while constant, and an
 * exact step is found with p = 0. */
static void test_constant_series(void **state)
{
        double x[20];
        struct ab_cp cp[MAXCP];
        (void)state;
        for (size_t i = 0; i < 20; i++)
                x[i] = 1616;
        assert_int_equal(detect(x, 20, cp), 0);
        for (size_t i = 12; i < 20; i++)
                x[i] = 2048;
        assert_int_equal(detect(x, 20, cp), 1);
        assert_int_equal(cp[0].index, 12);
        assert_near(cp[0].p, 0, 0);
        assert_near(cp[0].before, 1616, 1e-9);
        assert_near(cp[0].after, 2048, 1e-9);
        /* large values with a tiny exact step: no rounding residue counts as a
         * change below the magnitude, and the step itself is found */
        for (size_t i = 0; i < 20; i++)
                x[i] = i < 10 ? 4.7e8 : 5.2e8;
        assert_int_equal(detect(x, 20, cp), 1);
        assert_int_equal(cp[0].index, 10);
}

/* Near zero the relative change is taken against the floor: 0.01 -> 0.02
 * faults per op is not a 100% regression when the floor is 1. */
static void test_floor(void **state)
{
        double x[20];
        struct ab_cp cp[MAXCP];
        struct ab_cp_params p;
        (void)state;
        for (size_t i = 0; i < 20; i++)
                x[i] = i < 10 ? 0.01 : 0.02;
        ab_cp_defaults(&p);
        assert_int_equal(ab_cp_detect(x, 20, &p, cp, MAXCP), 1);
        assert_near(cp[0].change, 1, 1e-9);
        p.floor = 1;
        assert_int_equal(ab_cp_detect(x, 20, &p, cp, MAXCP), 0);
        /* 0 -> 1 fault per op is a change against the floor */
        for (size_t i = 0; i < 20; i++)
                x[i] = i < 10 ? 0 : 1;
        assert_int_equal(ab_cp_detect(x, 20, &p, cp, MAXCP), 1);
        assert_true(isinf(cp[0].change) && cp[0].change > 0);
}

static void test_bad_input(void **state)
{
        double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        struct ab_cp cp[MAXCP];
        struct ab_cp_params p;
        (void)state;
        ab_cp_defaults(&p);
        assert_int_equal(ab_cp_detect(x, 5, &p, cp, MAXCP), 0); /* shorter than 2 segments */
        assert_int_equal(ab_cp_detect(NULL, 0, &p, cp, MAXCP), 0);
        p.min_seg = 1;
        assert_int_equal(ab_cp_detect(x, 10, &p, cp, MAXCP), -EINVAL);
        ab_cp_defaults(&p);
        p.alpha = 0;
        assert_int_equal(ab_cp_detect(x, 10, &p, cp, MAXCP), -EINVAL);
        ab_cp_defaults(&p);
        x[4] = NAN;
        assert_int_equal(ab_cp_detect(x, 10, &p, cp, MAXCP), -EINVAL);
}

/* More changes than room: the count, and the first cap of them. */
static void test_cap(void **state)
{
        double x[40];
        struct ab_cp cp[2];
        struct ab_cp_params p;
        (void)state;
        for (size_t i = 0; i < 40; i++)
                x[i] = (i / 10) % 2 ? 200 : 100;
        ab_cp_defaults(&p);
        assert_int_equal(ab_cp_detect(x, 40, &p, cp, 1), 3);
        assert_int_equal(cp[0].index, 10);
        assert_int_equal(ab_cp_detect(x, 40, &p, NULL, 0), 3);
        (void)cp[1];
}

/* The newest change decides a regression: up, or up and then back down. */
static void test_regressed(void **state)
{
        struct ab_cp cp[2] = {{.before = 1, .after = 2}, {.before = 2, .after = 1}};
        struct ab_hseries s = {.cp = cp, .ncp = 1};
        (void)state;
        assert_true(ab_hseries_regressed(&s));
        s.ncp = 2;
        assert_false(ab_hseries_regressed(&s));
        s.ncp = 0;
        assert_false(ab_hseries_regressed(&s));
}

static void test_value_strings(void **state)
{
        char b[32];
        (void)state;
        assert_string_equal(ab_fmt_value(37.76, "ns", b, sizeof b), "37.8ns");
        assert_string_equal(ab_fmt_value(472e6, "ns", b, sizeof b), "472ms");
        assert_string_equal(ab_fmt_value(1616, "KiB", b, sizeof b), "1.6M");
        assert_string_equal(ab_fmt_value(40, "KiB", b, sizeof b), "40K");
        assert_string_equal(ab_fmt_value(0.02, "faults/op", b, sizeof b), "0.02");
        assert_string_equal(ab_fmt_value(NAN, "ns", b, sizeof b), "-");
        assert_string_equal(ab_fmt_p(0.00032, b, sizeof b), "0.00032");
        assert_string_equal(ab_fmt_p(0, b, sizeof b), "<1e-16");
}

static void test_natcmp(void **state)
{
        (void)state;
        assert_true(ab_natcmp("size=4096", "size=65536") < 0);
        assert_true(ab_natcmp("size=65536", "size=4096") > 0);
        assert_true(ab_natcmp("size=4096", "size=4096") == 0);
        assert_true(ab_natcmp("size=04096", "size=4096") == 0);
        assert_true(ab_natcmp("r9.png", "r10.png") < 0);
        assert_true(ab_natcmp("-", "size=1") < 0);
        assert_true(ab_natcmp("size=1", "size=1;threads=2") < 0);
        assert_true(ab_natcmp("b", "a") > 0);
}

/* ---- log scale: what history uses for timings and sizes -------------------- */

static int detect_log(const double *x, size_t n, double floor, struct ab_cp *cp)
{
        struct ab_cp_params p;
        ab_cp_defaults(&p);
        p.floor = floor;
        p.log_scale = true;
        return ab_cp_detect(x, n, &p, cp, MAXCP);
}

/* Noise proportional to the level, at levels from 30 ns to 3 ms and 3% or
 * 10%: never a change, as on the raw scale. */
static void test_log_no_change_on_noise(void **state)
{
        static double x[1000];
        struct ab_cp cp[MAXCP];
        const size_t lens[] = {6, 10, 30, 100, 1000};
        const double levels[] = {30, 3e6};
        size_t tried = 0;
        (void)state;
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
                for (size_t v = 0; v < 2; v++)
                        for (uint64_t seed = 1; seed <= 100; seed++) {
                                int r;
                                series(x, lens[l], levels[v], seed % 2 ? 0.03 : 0.10, lens[l], 1,
                                       seed * 104729 + l);
                                r = detect_log(x, lens[l], 1, cp);
                                if (r != 0)
                                        fail_msg("n=%zu level %g seed %llu: %d changes, the first "
                                                 "at %zu (p %g)",
                                                 lens[l], levels[v], (unsigned long long)seed, r,
                                                 cp[0].index, cp[0].p);
                                tried++;
                        }
        assert_int_equal(tried, 1000);
}

/* A real nightly history: glibc slowed on purpose from the 9th run, whose
 * first slow run was slower still. On the raw scale the outlier's variance
 * hides the step (only 4 runs after it); on logarithms it is found, and the
 * reported means stay in nanoseconds. */
static void test_log_finds_step_with_outlier(void **state)
{
        const double x[] = {36.4, 35.8, 35.1, 35.7, 36.4, 36.6, 35.4, 35.5,
                            156, 92.8, 93.4, 93.2};
        struct ab_cp cp[MAXCP];
        (void)state;
        assert_int_equal(detect(x, 12, cp), 0);
        assert_int_equal(detect_log(x, 12, 1, cp), 1);
        assert_int_equal(cp[0].index, 8);
        assert_near(cp[0].before, (36.4 + 35.8 + 35.1 + 35.7 + 36.4 + 36.6 + 35.4 + 35.5) / 8, 1e-9);
        assert_near(cp[0].after, (156 + 92.8 + 93.4 + 93.2) / 4, 1e-9);
        assert_true(cp[0].p < 0.001);
}

/* The log scale needs a positive floor and values that are not negative. */
static void test_log_bad_input(void **state)
{
        const double x[] = {1, 2, 3, 4, 5, 6}, neg[] = {1, 2, -3, 4, 5, 6};
        struct ab_cp cp[MAXCP];
        (void)state;
        assert_int_equal(detect_log(x, 6, 0, cp), -EINVAL);
        assert_int_equal(detect_log(neg, 6, 1, cp), -EINVAL);
        assert_int_equal(detect_log(x, 6, 1, cp), 0);
}

/* ---- exact counts (ab_cp_exact) ------------------------------------------- */

/* A count that steps once: one change point at the step, however late; one
 * run at the new level is enough. */
static void test_exact_step(void **state)
{
        const double x[] = {4474.685, 4474.685, 4474.685, 4474.685, 12702.685};
        struct ab_cp cp[MAXCP];
        (void)state;
        assert_int_equal(ab_cp_exact(x, 5, 1e-4, cp, MAXCP), 1);
        assert_int_equal(cp[0].index, 4);
        assert_int_equal(cp[0].start, 0);
        assert_int_equal(cp[0].end, 5);
        assert_near(cp[0].before, 4474.685, 1e-9);
        assert_near(cp[0].after, 12702.685, 1e-9);
        assert_near(cp[0].change, 12702.685 / 4474.685 - 1, 1e-12);
        assert_true(isnan(cp[0].p));
        /* the first run alone is no change */
        assert_int_equal(ab_cp_exact(x, 1, 1e-4, cp, MAXCP), 0);
        assert_int_equal(ab_cp_exact(x, 0, 1e-4, cp, MAXCP), 0);
}

/* Within epsilon is the same count; beyond it, a change whichever way; a
 * count that comes back is a second change, at the run it came back. */
static void test_exact_epsilon_and_back(void **state)
{
        const double x[] = {1000, 1000.05, 999.95, 1000, 1000.2, 1000.2, 1000, 1000};
        struct ab_cp cp[MAXCP];
        (void)state;
        assert_int_equal(ab_cp_exact(x, 4, 1e-4, cp, MAXCP), 0);
        assert_int_equal(ab_cp_exact(x, 8, 1e-4, cp, MAXCP), 2);
        assert_int_equal(cp[0].index, 4);
        assert_int_equal(cp[0].start, 0);
        assert_int_equal(cp[0].end, 6);
        assert_near(cp[0].before, 1000, 1e-9);
        assert_near(cp[0].after, 1000.2, 1e-9);
        assert_true(cp[0].after > cp[0].before);
        assert_int_equal(cp[1].index, 6);
        assert_int_equal(cp[1].start, 4);
        assert_int_equal(cp[1].end, 8);
        assert_true(cp[1].after < cp[1].before);
        /* a wider epsilon takes 0.02% as the same count */
        assert_int_equal(ab_cp_exact(x, 8, 1e-3, cp, MAXCP), 0);
        /* cap: the count is returned, only cap written */
        assert_int_equal(ab_cp_exact(x, 8, 1e-4, cp, 1), 2);
        assert_int_equal(cp[0].end, 6);
        /* bad input */
        assert_int_equal(ab_cp_exact(x, 8, -1, cp, MAXCP), -EINVAL);
        {
                const double bad[] = {1, NAN, 1};
                assert_int_equal(ab_cp_exact(bad, 3, 1e-4, cp, MAXCP), -EINVAL);
        }
        /* zero counts: 0 -> 5 is a change from 0 */
        {
                const double z[] = {0, 0, 5};
                assert_int_equal(ab_cp_exact(z, 3, 1e-4, cp, MAXCP), 1);
                assert_true(isinf(cp[0].change) && cp[0].change > 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_student_t_table),
            cmocka_unit_test(test_student),
            cmocka_unit_test(test_step_found_at_index),
            cmocka_unit_test(test_step_every_position),
            cmocka_unit_test(test_no_change_on_noise),
            cmocka_unit_test(test_no_change_on_outliers),
            cmocka_unit_test(test_below_minimum_magnitude),
            cmocka_unit_test(test_min_segment),
            cmocka_unit_test(test_several_steps),
            cmocka_unit_test(test_regression_then_fix),
            cmocka_unit_test(test_step_at_the_end),
            cmocka_unit_test(test_constant_series),
            cmocka_unit_test(test_floor),
            cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_cap),
            cmocka_unit_test(test_regressed),
            cmocka_unit_test(test_value_strings),
            cmocka_unit_test(test_natcmp),
            cmocka_unit_test(test_log_no_change_on_noise),
            cmocka_unit_test(test_log_finds_step_with_outlier),
            cmocka_unit_test(test_log_bad_input),
            cmocka_unit_test(test_exact_step),
            cmocka_unit_test(test_exact_epsilon_and_back),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
