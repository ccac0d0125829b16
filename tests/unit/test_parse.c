/*
 * test_parse.c - the input forms of parse.h, a workload's parameter table
 * (through the calloc-sweep descriptor) and job resolution (job.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "measure/bench.h"
#include "measure/job.h"
#include "core/fmt.h"
#include "core/parse.h"
#include "workload.h"

extern const struct ab_workload ab_wl_calloc_sweep;


/* Parse s as a size, asserting success, and return the value. */
static uint64_t size_ok(const char *s)
{
        uint64_t v = 0xdeadbeef;
        int r = ab_parse_size(s, &v);
        if (r != 0)
                fail_msg("ab_parse_size(\"%s\") = %d, expected 0", s, r);
        return v;
}

static void assert_size_err(const char *s, int want)
{
        uint64_t v = 0;
        int r = ab_parse_size(s, &v);
        if (r != want)
                fail_msg("ab_parse_size(\"%s\") = %d, expected %d", s, r, want);
}

/* ---- ab_parse_size ------------------------------------------------------ */

static void test_size_plain(void **state)
{
        (void)state;
        assert_int_equal(size_ok("4096"), 4096);
        assert_int_equal(size_ok("0"), 0);
        assert_int_equal(size_ok("1"), 1);
        assert_int_equal(size_ok("18446744073709551615"), UINT64_MAX);
}

static void test_size_suffixes(void **state)
{
        (void)state;
        assert_int_equal(size_ok("4k"), 4096);
        assert_int_equal(size_ok("4K"), 4096);
        assert_int_equal(size_ok("4KiB"), 4096);
        assert_int_equal(size_ok("4KB"), 4096);
        assert_int_equal(size_ok("4b"), 4);
        assert_int_equal(size_ok("16M"), 16ull << 20);
        assert_int_equal(size_ok("16MiB"), 16ull << 20);
        assert_int_equal(size_ok("1G"), 1ull << 30);
        assert_int_equal(size_ok("1GiB"), 1ull << 30);
        assert_int_equal(size_ok("2T"), 2ull << 40);
        assert_int_equal(size_ok("2TiB"), 2ull << 40);
}

static void test_size_case_blind(void **state)
{
        (void)state;
        assert_int_equal(size_ok("4kib"), 4096);
        assert_int_equal(size_ok("4KIB"), 4096);
        assert_int_equal(size_ok("4kIb"), 4096);
        assert_int_equal(size_ok("4kb"), 4096);
        assert_int_equal(size_ok("16m"), 16ull << 20);
        assert_int_equal(size_ok("1gib"), 1ull << 30);
        assert_int_equal(size_ok("2t"), 2ull << 40);
}

static void test_size_rejects_malformed(void **state)
{
        (void)state;
        assert_size_err("", -EINVAL);
        assert_size_err("k", -EINVAL);
        assert_size_err("KiB", -EINVAL);
        assert_size_err("4x", -EINVAL);
        assert_size_err("4 k", -EINVAL);
        assert_size_err(" 4", -EINVAL);
        assert_size_err("4 ", -EINVAL);
        assert_size_err("-1", -EINVAL);
        assert_size_err("+1", -EINVAL);
        assert_size_err("4KiBx", -EINVAL);
        assert_size_err("4ki", -EINVAL);
        assert_size_err("4Kk", -EINVAL);
        assert_size_err("1.5M", -EINVAL);
        assert_int_equal(ab_parse_size(NULL, &(uint64_t){0}), -EINVAL);
}

static void test_size_rejects_overflow(void **state)
{
        (void)state;
        assert_size_err("18446744073709551616", -ERANGE);  /* 2^64 */
        assert_size_err("99999999999999999999999", -ERANGE);
        assert_size_err("17179869184GiB", -ERANGE);        /* 2^34 * 2^30 = 2^64 */
        assert_size_err("16777216T", -ERANGE);             /* 2^24 * 2^40 = 2^64 */
        /* one below the edge still fits */
        assert_int_equal(size_ok("17179869183GiB"), 17179869183ull << 30);
}

/* ---- ab_parse_u64 ------------------------------------------------------- */

static void test_u64(void **state)
{
        uint64_t v = 7;
        (void)state;
        assert_int_equal(ab_parse_u64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(ab_parse_u64("123456789", &v), 0);
        assert_int_equal(v, 123456789);
        assert_int_equal(ab_parse_u64("18446744073709551615", &v), 0);
        assert_int_equal(v, UINT64_MAX);
        assert_int_equal(ab_parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(ab_parse_u64("", &v), -EINVAL);
        assert_int_equal(ab_parse_u64("4k", &v), -EINVAL);
        assert_int_equal(ab_parse_u64("-1", &v), -EINVAL);
        assert_int_equal(ab_parse_u64("1 ", &v), -EINVAL);
        assert_int_equal(ab_parse_u64("x", &v), -EINVAL);
        assert_int_equal(ab_parse_u64(NULL, &v), -EINVAL);
}

/* ---- ab_parse_list ------------------------------------------------------ */

static void test_list_items(void **state)
{
        uint64_t out[16];
        size_t n = 99;
        (void)state;
        assert_int_equal(ab_parse_list("4k,64k,1M", out, 16, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(out[0], 4096);
        assert_int_equal(out[1], 65536);
        assert_int_equal(out[2], 1048576);

        assert_int_equal(ab_parse_list("7", out, 16, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(out[0], 7);
}

static void test_list_geometric(void **state)
{
        uint64_t out[64];
        size_t n = 0;
        (void)state;
        assert_int_equal(ab_parse_list("4KiB..1GiB*2", out, 64, &n), 0);
        assert_int_equal(n, 19);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(out[i], 4096ull << i);
        assert_int_equal(out[0], 4096);
        assert_int_equal(out[18], 1073741824);

        /* the last step stops short of B when it does not land on B */
        assert_int_equal(ab_parse_list("1..100*10", out, 64, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(out[0], 1);
        assert_int_equal(out[1], 10);
        assert_int_equal(out[2], 100);
        assert_int_equal(ab_parse_list("3..80*3", out, 64, &n), 0);
        assert_int_equal(n, 3); /* 3, 9, 27 (81 > 80) */
        assert_int_equal(out[2], 27);

        /* ranges and single items mix */
        assert_int_equal(ab_parse_list("1,4k..16k*2,1M", out, 64, &n), 0);
        assert_int_equal(n, 5);
        assert_int_equal(out[0], 1);
        assert_int_equal(out[1], 4096);
        assert_int_equal(out[2], 8192);
        assert_int_equal(out[3], 16384);
        assert_int_equal(out[4], 1048576);

        /* near the top of the range: no wrap-around */
        assert_int_equal(ab_parse_list("4T..16T*2", out, 64, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(out[2], 16ull << 40);
}

static void test_list_arithmetic(void **state)
{
        uint64_t out[16];
        size_t n = 0;
        (void)state;
        assert_int_equal(ab_parse_list("1..10+3", out, 16, &n), 0);
        assert_int_equal(n, 4);
        assert_int_equal(out[0], 1);
        assert_int_equal(out[1], 4);
        assert_int_equal(out[2], 7);
        assert_int_equal(out[3], 10);

        assert_int_equal(ab_parse_list("1..9+3", out, 16, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(out[0], 1);
        assert_int_equal(out[1], 4);
        assert_int_equal(out[2], 7);

        assert_int_equal(ab_parse_list("5..5+1", out, 16, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(out[0], 5);
}

static void assert_list_err(const char *s, int want)
{
        uint64_t out[64];
        size_t n = 0;
        int r = ab_parse_list(s, out, 64, &n);
        if (r != want)
                fail_msg("ab_parse_list(\"%s\") = %d, expected %d", s, r, want);
}

static void test_list_malformed(void **state)
{
        (void)state;
        assert_list_err("", -EINVAL);
        assert_list_err(",", -EINVAL);
        assert_list_err("4k,", -EINVAL);
        assert_list_err(",4k", -EINVAL);
        assert_list_err("4k,,8k", -EINVAL);
        assert_list_err("4k..1k*2", -EINVAL); /* a > b */
        assert_list_err("4k..1M*1", -EINVAL); /* factor below 2 */
        assert_list_err("4k..1M*0", -EINVAL);
        assert_list_err("4k..1M", -EINVAL);   /* no step */
        assert_list_err("0..8*2", -EINVAL);   /* zero never grows */
        assert_list_err("1..8+0", -EINVAL);   /* zero step never ends */
        assert_list_err("4k..1M*", -EINVAL);
        assert_list_err("4k..1M*2x", -EINVAL);
        assert_list_err("..1M*2", -EINVAL);
        assert_list_err("4k..*2", -EINVAL);
        assert_list_err("4x,8k", -EINVAL);
        assert_list_err("4k, 8k", -EINVAL);
        assert_list_err("18446744073709551616", -ERANGE);
}

static void test_list_cap(void **state)
{
        uint64_t out[8];
        uint64_t *big;
        size_t n = 0;
        (void)state;
        /* exactly at the cap is fine, one more is not */
        assert_int_equal(ab_parse_list("1,2,3,4", out, 4, &n), 0);
        assert_int_equal(n, 4);
        assert_int_equal(ab_parse_list("1,2,3,4,5", out, 4, &n), -E2BIG);
        assert_int_equal(ab_parse_list("1..5+1", out, 4, &n), -E2BIG);
        assert_int_equal(ab_parse_list("1..16*2", out, 4, &n), -E2BIG);
        assert_true(n <= 4);

        /* AB_LIST_MAX bounds even a caller that offers more room */
        big = calloc(AB_LIST_MAX + 16, sizeof *big);
        assert_non_null(big);
        assert_int_equal(ab_parse_list("1..4096+1", big, AB_LIST_MAX + 16, &n), 0);
        assert_int_equal(n, AB_LIST_MAX);
        assert_int_equal(big[AB_LIST_MAX - 1], 4096);
        assert_int_equal(ab_parse_list("1..4097+1", big, AB_LIST_MAX + 16, &n), -E2BIG);
        free(big);
}

/* ---- ab_fmt_size -------------------------------------------------------- */

static void test_fmt_size(void **state)
{
        char buf[32];
        (void)state;
        ab_fmt_size(0, buf, sizeof buf);
        assert_string_equal(buf, "0 B");
        ab_fmt_size(1, buf, sizeof buf);
        assert_string_equal(buf, "1 B");
        ab_fmt_size(1023, buf, sizeof buf);
        assert_string_equal(buf, "1023 B");
        ab_fmt_size(4096, buf, sizeof buf);
        assert_string_equal(buf, "4 KiB");
        ab_fmt_size(1536 * 1024, buf, sizeof buf);
        assert_string_equal(buf, "1.5 MiB");
        ab_fmt_size(1ull << 30, buf, sizeof buf);
        assert_string_equal(buf, "1 GiB");
        ab_fmt_size(1ull << 40, buf, sizeof buf);
        assert_string_equal(buf, "1 TiB");
}

/* ---- workload parameters (calloc-sweep) -------------------------------- */

static const struct ab_param *param(const char *name)
{
        int i = ab_param_index(&ab_wl_calloc_sweep, name);
        if (i < 0)
                fail_msg("calloc-sweep has no parameter %s", name);
        return &ab_wl_calloc_sweep.params[i];
}

static void test_param_index(void **state)
{
        (void)state;
        assert_int_equal(ab_param_index(&ab_wl_calloc_sweep, "sizes"), 0);
        assert_true(ab_param_index(&ab_wl_calloc_sweep, "mode") >= 0);
        assert_int_equal(ab_param_index(&ab_wl_calloc_sweep, "nonesuch"), -1);
        assert_int_equal(ab_param_index(&ab_wl_calloc_sweep, ""), -1);
}

static void test_param_enum(void **state)
{
        const struct ab_param *mode = param("mode");
        uint64_t v = 99;
        (void)state;
        assert_int_equal(ab_param_parse(mode, "reuse", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(ab_param_parse(mode, "fresh", &v), 0);
        assert_int_equal(v, 1);
        assert_int_equal(ab_param_parse(mode, "bogus", &v), -EINVAL);
        assert_int_equal(ab_param_parse(mode, "fres", &v), -EINVAL);
        assert_int_equal(ab_param_parse(mode, "freshx", &v), -EINVAL);
        assert_int_equal(ab_param_parse(mode, "", &v), -EINVAL);
        assert_int_equal(ab_param_parse(mode, "auto", &v), -EINVAL); /* no auto here */
}

static void test_param_count(void **state)
{
        const struct ab_param *it = param("iterations");
        uint64_t v = 0;
        (void)state;
        assert_int_equal(ab_param_parse(it, "auto", &v), 0);
        assert_true(v == AB_AUTO);
        assert_int_equal(ab_param_parse(it, "1000", &v), 0);
        assert_int_equal(v, 1000);
        assert_int_equal(ab_param_parse(it, "0", &v), -ERANGE); /* below min 1 */
        assert_int_equal(ab_param_parse(it, "1073741825", &v), -ERANGE); /* above 2^30 */
        assert_int_equal(ab_param_parse(it, "4k", &v), -EINVAL); /* counts take no suffix */
        assert_int_equal(ab_param_parse(it, "", &v), -EINVAL);
}

static void test_param_size(void **state)
{
        const struct ab_param *sizes = param("sizes");
        uint64_t v = 0;
        (void)state;
        assert_int_equal(ab_param_parse(sizes, "64k", &v), 0);
        assert_int_equal(v, 65536);
        assert_int_equal(ab_param_parse(sizes, "0", &v), -ERANGE);
        assert_int_equal(ab_param_parse(sizes, "2T", &v), -ERANGE); /* max 1 TiB */
        assert_int_equal(ab_param_parse(sizes, "1T", &v), 0);
        assert_int_equal(ab_param_parse(sizes, "auto", &v), -EINVAL);
}

static void test_param_form(void **state)
{
        char buf[160];
        (void)state;
        ab_param_form(param("mode"), buf, sizeof buf);
        assert_non_null(strstr(buf, "reuse|fresh"));
        ab_param_form(param("iterations"), buf, sizeof buf);
        assert_non_null(strstr(buf, "1 to 1073741824"));
        assert_non_null(strstr(buf, "auto"));
        ab_param_form(param("sizes"), buf, sizeof buf);
        assert_non_null(strstr(buf, "1 B"));
        assert_non_null(strstr(buf, "1 TiB"));
        assert_non_null(strstr(buf, "list"));
        ab_param_form(param("warmup"), buf, sizeof buf);
        assert_null(strstr(buf, "auto"));
        assert_null(strstr(buf, "list"));
}

/* ---- job resolution ----------------------------------------------------- */

static void test_job_defaults(void **state)
{
        struct ab_job j;
        char err[512] = "";
        int sizes = ab_param_index(&ab_wl_calloc_sweep, "sizes");
        (void)state;
        assert_int_equal(ab_job_init(&j, &ab_wl_calloc_sweep, "calloc-sweep", err, sizeof err), 0);
        assert_string_equal(j.name, "calloc-sweep");
        assert_ptr_equal(j.w, &ab_wl_calloc_sweep);
        assert_int_equal(j.sweep, sizes);
        assert_int_equal(j.npoints, 19);
        assert_int_equal(j.points[0], 4096);
        assert_int_equal(j.points[18], 1073741824);
        assert_int_equal(ab_job_point_value(&j, 5), 4096ull << 5);
        assert_true(j.v[ab_param_index(&ab_wl_calloc_sweep, "iterations")] == AB_AUTO);
        assert_int_equal(j.v[ab_param_index(&ab_wl_calloc_sweep, "mode")], 0);      /* reuse */
        assert_int_equal(j.v[ab_param_index(&ab_wl_calloc_sweep, "live_max")], 1ull << 30);
        assert_int_equal(j.v[ab_param_index(&ab_wl_calloc_sweep, "budget_ms")], 20);
        ab_job_free(&j);
        assert_null(j.points);
}

static void test_job_set_list(void **state)
{
        struct ab_job j;
        char err[512] = "";
        int sizes = ab_param_index(&ab_wl_calloc_sweep, "sizes");
        (void)state;
        assert_int_equal(ab_job_init(&j, &ab_wl_calloc_sweep, "calloc-sweep", err, sizeof err), 0);
        assert_int_equal(ab_job_set(&j, sizes, "4k,8k", err, sizeof err), 0);
        assert_int_equal(j.npoints, 2);
        assert_int_equal(j.points[0], 4096);
        assert_int_equal(j.points[1], 8192);
        assert_int_equal(j.sweep, sizes);

        /* a single value is one point */
        assert_int_equal(ab_job_set(&j, sizes, "1M", err, sizeof err), 0);
        assert_int_equal(j.npoints, 1);
        assert_int_equal(j.points[0], 1048576);

        assert_int_equal(ab_job_set(&j, ab_param_index(&ab_wl_calloc_sweep, "mode"), "fresh", err,
                                    sizeof err),
                         0);
        assert_int_equal(j.v[ab_param_index(&ab_wl_calloc_sweep, "mode")], 1);
        ab_job_free(&j);
}

static void test_job_set_errors(void **state)
{
        struct ab_job j;
        char err[512];
        int sizes = ab_param_index(&ab_wl_calloc_sweep, "sizes");
        int mode = ab_param_index(&ab_wl_calloc_sweep, "mode");
        int iter = ab_param_index(&ab_wl_calloc_sweep, "iterations");
        (void)state;
        assert_int_equal(ab_job_init(&j, &ab_wl_calloc_sweep, "calloc-sweep", err, sizeof err), 0);

        err[0] = '\0';
        assert_int_equal(ab_job_set(&j, sizes, "4k,,8k", err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "sizes"));
        assert_non_null(strstr(err, "accepted"));
        /* the job keeps its previous points */
        assert_int_equal(j.npoints, 19);

        err[0] = '\0';
        assert_int_equal(ab_job_set(&j, sizes, "4k..1k*2", err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "sizes"));
        assert_non_null(strstr(err, "accepted"));

        err[0] = '\0';
        assert_int_equal(ab_job_set(&j, sizes, "0,4k", err, sizeof err), -EINVAL); /* below min */
        assert_non_null(strstr(err, "sizes"));
        assert_non_null(strstr(err, "range"));

        err[0] = '\0';
        assert_int_equal(ab_job_set(&j, mode, "bogus", err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "mode"));
        assert_non_null(strstr(err, "reuse|fresh"));

        err[0] = '\0';
        assert_int_equal(ab_job_set(&j, iter, "0", err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "iterations"));
        assert_non_null(strstr(err, "accepted"));
        ab_job_free(&j);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_size_plain),
                cmocka_unit_test(test_size_suffixes),
                cmocka_unit_test(test_size_case_blind),
                cmocka_unit_test(test_size_rejects_malformed),
                cmocka_unit_test(test_size_rejects_overflow),
                cmocka_unit_test(test_u64),
                cmocka_unit_test(test_list_items),
                cmocka_unit_test(test_list_geometric),
                cmocka_unit_test(test_list_arithmetic),
                cmocka_unit_test(test_list_malformed),
                cmocka_unit_test(test_list_cap),
                cmocka_unit_test(test_fmt_size),
                cmocka_unit_test(test_param_index),
                cmocka_unit_test(test_param_enum),
                cmocka_unit_test(test_param_count),
                cmocka_unit_test(test_param_size),
                cmocka_unit_test(test_param_form),
                cmocka_unit_test(test_job_defaults),
                cmocka_unit_test(test_job_set_list),
                cmocka_unit_test(test_job_set_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
