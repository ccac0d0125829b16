/*
 * test_detect.c - the pathology detectors (SPEC §4) on hand-made results
 * documents: for each detector, documents that make it fire and documents at
 * its boundaries that must not; the shared trend test, the calibrated memset
 * cost, and the ordering ab_detect_all gives the flags.
 *
 * Documents are built in C with the shape `bench` writes (see a results file:
 * host.page_size, calibration.memset_bytes_per_ns keyed by size, runs with
 * allocator/workload/params, points with params/status/ns_per_op/faults/
 * rss/vsz/live_peak_bytes, rounds with rss/vsz/pte/live_bytes).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"

#define KIB 1024.0
#define MIB (1024.0 * 1024)

/* ---- assertions ------------------------------------------------------------ */

#define assert_near(a, b, eps)                                                                     \
        do {                                                                                       \
                double a_ = (a), b_ = (b), e_ = (eps);                                             \
                if (!(fabs(a_ - b_) <= e_))                                                        \
                        fail_msg("%s = %.10g, expected %.10g (within %g)", #a, a_, b_, e_);        \
        } while (0)

static bool contains(const char *s, const char *needle)
{
        return s && strstr(s, needle) != NULL;
}

static json_t *get(json_t *o, const char *key)
{
        json_t *v;
        if (!json_is_object(o))
                fail_msg("looking up \"%s\" in a non-object", key);
        v = json_object_get(o, key);
        if (!v)
                fail_msg("missing key \"%s\"", key);
        return v;
}

static const char *str(json_t *o, const char *key)
{
        json_t *v = get(o, key);
        if (!json_is_string(v))
                fail_msg("\"%s\" is not a string", key);
        return json_string_value(v);
}

/* A number of a flag's evidence. */
static double ev(json_t *flag, const char *key)
{
        json_t *v = get(get(flag, "evidence"), key);
        if (!json_is_number(v))
                fail_msg("evidence \"%s\" is not a number", key);
        return json_number_value(v);
}

/* An array of a flag's evidence, checked for its length. */
static json_t *ev_array(json_t *flag, const char *key, size_t n)
{
        json_t *v = get(get(flag, "evidence"), key);
        if (!json_is_array(v))
                fail_msg("evidence \"%s\" is not an array", key);
        if (json_array_size(v) != n)
                fail_msg("evidence \"%s\" has %zu entries, expected %zu", key, json_array_size(v),
                         n);
        return v;
}

static double at(json_t *arr, size_t i)
{
        json_t *v = json_array_get(arr, i);
        if (!json_is_number(v))
                fail_msg("entry %zu is not a number", i);
        return json_number_value(v);
}

/* The SPEC §4 fields of one flag. */
static void check_flag(json_t *f, const char *kind, const char *severity, const char *alloc,
                       const char *workload)
{
        assert_true(json_is_object(f));
        assert_string_equal(str(f, "kind"), kind);
        assert_string_equal(str(f, "severity"), severity);
        assert_string_equal(str(f, "allocator"), alloc);
        assert_string_equal(str(f, "workload"), workload);
        assert_true(json_is_object(get(f, "where")));
        assert_true(json_is_object(get(f, "evidence")));
        assert_true(json_object_size(get(f, "evidence")) > 0);
        assert_true(strlen(str(f, "message")) > 0);
        assert_true(strlen(str(f, "hint")) > 0);
        assert_null(json_object_get(f, "_order"));
}

static void check_where_size(json_t *f, double size)
{
        json_t *w = get(f, "where");
        assert_int_equal(json_object_size(w), 1);
        assert_near(json_number_value(get(w, "size")), size, 0);
}

static void check_where_round(json_t *f, json_int_t round)
{
        json_t *w = get(f, "where");
        assert_int_equal(json_object_size(w), 1);
        assert_true(json_is_integer(get(w, "round")));
        assert_int_equal(json_integer_value(get(w, "round")), round);
}

static size_t count_kind(json_t *flags, const char *kind)
{
        json_t *f;
        size_t i, n = 0;
        json_array_foreach(flags, i, f) n +=
            strcmp(json_string_value(json_object_get(f, "kind")) ?: "", kind) == 0;
        return n;
}

/* ---- documents ---------------------------------------------------------------- */

static json_t *jnum(double v)
{
        return isnan(v) ? json_null() : json_real(v);
}

/* memset bandwidth bw bytes/ns at every size; page_fault_ns as given (NAN: null). */
static json_t *cal_flat(double bw, double fault_ns)
{
        json_t *c =
            json_pack("{s:{s:f,s:f,s:f},s:o,s:f}", "memset_bytes_per_ns", "4096", bw, "1048576", bw,
                      "1073741824", bw, "page_fault_ns", jnum(fault_ns), "mmap_ns", 5000.0);
        assert_non_null(c);
        return c;
}

static json_t *doc_new(json_t *cal)
{
        json_t *d = json_pack("{s:s,s:{s:i,s:s},s:o,s:[],s:[]}", "schema", "allocbench/results/1",
                              "host", "page_size", 4096, "os", "test", "calibration",
                              cal ? cal : json_null(), "runs", "flags");
        assert_non_null(d);
        return d;
}

/* A run of doc (borrowed): params stolen. */
static json_t *add_run(json_t *doc, const char *alloc, const char *name, const char *kernel,
                       json_t *params)
{
        json_t *r = json_pack("{s:{s:s,s:n,s:s},s:{s:s,s:s,s:o},s:n,s:{},s:i,s:s,s:s,s:i,s:i,"
                              "s:[],s:[],s:[]}",
                              "allocator", "name", alloc, "library", "version", "test", "workload",
                              "name", name, "kernel", kernel, "params",
                              params ? params : json_object(), "wrap", "env", "seed", 1, "op_hash",
                              "0123456789abcdef", "status", "ok", "runner_rss_kib", 1356,
                              "runner_vsz_kib", 2368, "points", "rounds", "timeline");
        assert_non_null(r);
        json_array_append_new(get(doc, "runs"), r);
        return r;
}

/* A measured point of run (borrowed): params stolen; CI95 of +-ci around the median. */
static json_t *add_point(json_t *run, json_t *params, double median, double ci)
{
        json_t *p =
            json_pack("{s:o,s:s,s:i,s:i,s:[f,f,f],s:{s:f,s:f,s:f,s:f,s:f},s:n,s:n,s:n,"
                      "s:n,s:n,s:n,s:n}",
                      "params", params ? params : json_object(), "status", "ok", "ops", 64, "reps",
                      3, "samples_ns_per_op", median - ci, median, median + ci, "ns_per_op",
                      "median", median, "min", median - ci, "max", median + ci, "ci95_lo",
                      median - ci, "ci95_hi", median + ci, "minflt_per_op", "majflt_per_op",
                      "rss_kib", "vsz_kib", "pte_kib", "live_peak_bytes", "instructions_per_op");
        assert_non_null(p);
        json_array_append_new(get(run, "points"), p);
        return p;
}

static void pset(json_t *p, const char *key, double v)
{
        json_object_set_new(p, key, jnum(v));
}

static json_t *size_params(double size)
{
        return json_pack("{s:I}", "size", (json_int_t)size);
}

static void add_round(json_t *run, double rss_kib, double vsz_kib, double pte_kib, double live)
{
        size_t i = json_array_size(get(run, "rounds"));
        json_t *r = json_pack("{s:I,s:f,s:o,s:o,s:o,s:o}", "index", (json_int_t)i, "ns", 1e6,
                              "rss_kib", jnum(rss_kib), "vsz_kib", jnum(vsz_kib), "pte_kib",
                              jnum(pte_kib), "live_bytes", jnum(live));
        assert_non_null(r);
        json_array_append_new(get(run, "rounds"), r);
}

/* Run one detector over run (borrowed) of doc, through the document's view
 * as bench does; the new flags array. */
static json_t *run_detector(ab_detector_fn fn, json_t *doc, json_t *run)
{
        struct ab_flags fl = {0};
        struct ab_doc view;
        json_t *flags, *r;
        char err[256];
        size_t i;
        assert_int_equal(ab_doc_view(doc, &view, err, sizeof err), 0);
        json_array_foreach(get(doc, "runs"), i, r) if (r == run) fn(&view, &view.runs[i], &fl);
        ab_doc_free(&view);
        flags = ab_flags_json(&fl);
        ab_flags_free(&fl);
        return flags;
}

/* Every detector over doc, setting its flags: the number of flags. */
static long detect_all(json_t *doc)
{
        return ab_detect_json(doc);
}

/* ---- ab_severity_rank, ab_trend_fit, ab_trend_warmup ---------------------- */

static void test_severity_rank(void **state)
{
        (void)state;
        assert_int_equal(ab_severity_rank("info"), 0);
        assert_int_equal(ab_severity_rank("warn"), 1);
        assert_int_equal(ab_severity_rank("high"), 2);
        assert_int_equal(ab_severity_rank("HIGH"), -1);
        assert_int_equal(ab_severity_rank(""), -1);
        assert_int_equal(ab_severity_rank(NULL), -1);
}

static void test_trend_exact_line(void **state)
{
        double y[10];
        struct ab_trend t;
        (void)state;
        for (int i = 0; i < 10; i++)
                y[i] = 3 + 2.5 * i;
        y[0] = 1000; /* before skip: ignored */
        y[1] = -1000;
        assert_int_equal(ab_trend_fit(y, 10, 2, &t), 0);
        assert_int_equal(t.n, 8);
        assert_near(t.slope, 2.5, 1e-9);
        /* the intercept is at index 0, not at the first point used */
        assert_near(t.intercept, 3, 1e-9);
        assert_near(t.se, 0, 1e-9);
        assert_true(t.significant);
        assert_true(isinf(t.t) && t.t > 0);
}

static void test_trend_falling_or_flat_not_significant(void **state)
{
        double down[8], flat[8];
        struct ab_trend t;
        (void)state;
        for (int i = 0; i < 8; i++) {
                down[i] = 100 - 7.0 * i;
                flat[i] = 42;
        }
        assert_int_equal(ab_trend_fit(down, 8, 1, &t), 0);
        assert_near(t.slope, -7, 1e-9);
        assert_false(t.significant);
        assert_int_equal(ab_trend_fit(flat, 8, 1, &t), 0);
        assert_near(t.slope, 0, 1e-9);
        assert_near(t.intercept, 42, 1e-9);
        assert_false(t.significant);
}

static void test_trend_alternating_noise(void **state)
{
        double y[10];
        struct ab_trend t;
        (void)state;
        for (int i = 0; i < 10; i++)
                y[i] = i % 2 ? 200 : 100;
        assert_int_equal(ab_trend_fit(y, 10, 2, &t), 0);
        /* over indices 2..9 the high values sit at the odd indices: a small
         * positive slope (100/21), nowhere near significant */
        assert_near(t.slope, 100.0 / 21, 1e-9);
        assert_true(t.slope > 0);
        assert_true(t.t < 2);
        assert_false(t.significant);
}

static void test_trend_noisy_rise_significant(void **state)
{
        double y[10];
        struct ab_trend t;
        (void)state;
        for (int i = 0; i < 10; i++)
                y[i] = 1000 * i + (i % 2 ? 30 : -30);
        assert_int_equal(ab_trend_fit(y, 10, 2, &t), 0);
        assert_near(t.slope, 1000, 10);
        assert_true(isfinite(t.t));
        assert_true(t.t > 3.707); /* df 6 */
        assert_true(t.significant);
}

static void test_trend_too_few_points(void **state)
{
        double y[5] = {1, 2, 3, 4, 5};
        struct ab_trend t;
        (void)state;
        memset(&t, 0x5a, sizeof t);
        assert_int_equal(ab_trend_fit(y, 4, 2, &t), -1);
        assert_false(t.significant);
        assert_int_equal(t.n, 0);
        assert_int_equal(ab_trend_fit(y, 2, 0, &t), -1);
        assert_int_equal(ab_trend_fit(y, 0, 0, &t), -1);
        /* three points after skip are enough */
        assert_int_equal(ab_trend_fit(y, 5, 2, &t), 0);
        assert_int_equal(t.n, 3);
        assert_near(t.slope, 1, 1e-9);
        assert_true(t.significant);
}

static void test_trend_warmup(void **state)
{
        (void)state;
        assert_int_equal(ab_trend_warmup(0), 1);
        assert_int_equal(ab_trend_warmup(4), 1);
        assert_int_equal(ab_trend_warmup(5), 1);
        assert_int_equal(ab_trend_warmup(10), 2);
        assert_int_equal(ab_trend_warmup(14), 2);
        assert_int_equal(ab_trend_warmup(20), 4);
}

/* ---- ab_doc_memset_ns ------------------------------------------------------- */

/* The calibrated memset cost of a document with calibration cal (stolen;
 * NULL: none). */
static double ab_calib_memset_ns(json_t *cal, uint64_t size)
{
        json_t *doc = doc_new(cal ? json_incref(cal) : NULL);
        struct ab_doc view;
        char err[256];
        double ns;
        assert_int_equal(ab_doc_view(doc, &view, err, sizeof err), 0);
        ns = ab_doc_memset_ns(&view, size);
        ab_doc_free(&view);
        json_decref(doc);
        return ns;
}

static void test_calib_memset_ns(void **state)
{
        json_t *cal = json_pack("{s:{s:f,s:f,s:f}}", "memset_bytes_per_ns", "1048576", 10.0,
                                "4194304", 20.0, "65536", 40.0);
        json_t *empty = json_pack("{s:{}}", "memset_bytes_per_ns");
        (void)state;
        /* at a calibrated size: that size's bandwidth */
        assert_near(ab_calib_memset_ns(cal, 1048576), 1048576 / 10.0, 1e-6);
        assert_near(ab_calib_memset_ns(cal, 4194304), 4194304 / 20.0, 1e-6);
        /* between: interpolated in log(size); 2 MiB is half way from 1 to 4 MiB */
        assert_near(ab_calib_memset_ns(cal, 2097152), 2097152 / 15.0, 1e-6);
        /* 256 KiB is half way from 64 KiB to 1 MiB */
        assert_near(ab_calib_memset_ns(cal, 262144), 262144 / 25.0, 1e-6);
        /* outside: the nearest calibrated bandwidth */
        assert_near(ab_calib_memset_ns(cal, 4096), 4096 / 40.0, 1e-6);
        assert_near(ab_calib_memset_ns(cal, 1ull << 30), (double)(1ull << 30) / 20.0, 1e-3);
        /* nothing calibrated */
        assert_true(ab_calib_memset_ns(empty, 1048576) < 0);
        assert_true(ab_calib_memset_ns(NULL, 1048576) < 0);
        json_decref(cal);
        json_decref(empty);
}

/* ---- run-failure ---------------------------------------------------------------- */

static void add_failed(json_t *run, double size, const char *status, json_t *exit_code, json_t *sig,
                       const char *error, int reps)
{
        json_t *p =
            json_pack("{s:o,s:s,s:o,s:o,s:s,s:n,s:i,s:[],s:n,s:n,s:n,s:n,s:n}", "params",
                      size_params(size), "status", status, "exit_code", exit_code, "signal", sig,
                      "error", error, "ops", "reps", reps, "samples_ns_per_op", "ns_per_op",
                      "minflt_per_op", "rss_kib", "vsz_kib", "live_peak_bytes");
        assert_non_null(p);
        json_array_append_new(get(run, "points"), p);
}

static void test_rf_each_status(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = add_run(doc, "crashy", "calloc-sweep", "calloc-sweep",
                      json_pack("{s:s,s:s}", "mode", "fresh", "touch", "all"));
        add_point(run, size_params(1 * MIB), 500, 10);
        add_failed(run, 2 * MIB, "crashed", json_null(), json_integer(11),
                   "killed by signal 11 (SIGSEGV)", 1);
        add_point(run, size_params(4 * MIB), 500, 10);
        add_failed(run, 8 * MIB, "timeout", json_null(), json_integer(9), "killed after 5 s", 2);
        add_failed(run, 16 * MIB, "oom", json_integer(3), json_null(), "mmap failed", 0);

        flags = run_detector(ab_detect_run_failure, doc, run);
        assert_int_equal(json_array_size(flags), 3);

        f = json_array_get(flags, 0);
        check_flag(f, "run-failure", "high", "crashy", "calloc-sweep");
        check_where_size(f, 2 * MIB);
        assert_string_equal(str(get(f, "evidence"), "status"), "crashed");
        assert_true(json_is_null(get(get(f, "evidence"), "exit_code")));
        assert_int_equal(json_integer_value(get(get(f, "evidence"), "signal")), 11);
        assert_string_equal(str(get(f, "evidence"), "error"), "killed by signal 11 (SIGSEGV)");
        assert_near(ev(f, "reps_completed"), 1, 0);
        assert_true(contains(str(f, "message"), "crashed"));
        assert_true(contains(str(f, "message"), "SIGSEGV"));
        assert_true(contains(str(f, "hint"), "valgrind"));

        f = json_array_get(flags, 1);
        check_flag(f, "run-failure", "high", "crashy", "calloc-sweep");
        check_where_size(f, 8 * MIB);
        assert_string_equal(str(get(f, "evidence"), "status"), "timeout");
        assert_true(json_is_null(get(get(f, "evidence"), "exit_code")));
        assert_int_equal(json_integer_value(get(get(f, "evidence"), "signal")), 9);
        assert_near(ev(f, "reps_completed"), 2, 0);
        assert_true(contains(str(f, "message"), "did not finish in time"));
        assert_true(contains(str(f, "hint"), "--timeout"));

        f = json_array_get(flags, 2);
        check_flag(f, "run-failure", "high", "crashy", "calloc-sweep");
        check_where_size(f, 16 * MIB);
        assert_string_equal(str(get(f, "evidence"), "status"), "oom");
        assert_int_equal(json_integer_value(get(get(f, "evidence"), "exit_code")), 3);
        assert_true(json_is_null(get(get(f, "evidence"), "signal")));
        assert_near(ev(f, "reps_completed"), 0, 0);
        assert_true(contains(str(f, "message"), "ran out of memory"));
        assert_true(contains(str(f, "hint"), "--mem-limit"));

        json_decref(flags);
        json_decref(doc);
}

static void test_rf_ok_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *p;
        (void)state;
        run = add_run(doc, "glibc", "conn-leak", "conn-leak", NULL);
        add_point(run, NULL, 40, 1);
        p = add_point(run, size_params(4096), 40, 1);
        json_object_del(p, "status"); /* no status: nothing to report */
        flags = run_detector(ab_detect_run_failure, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        /* the whole document: nothing else fires on it either */
        assert_int_equal(detect_all(doc), 0);
        assert_int_equal(json_array_size(get(doc, "flags")), 0);
        json_decref(doc);
}

static void test_rf_via_detect_all(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *f;
        (void)state;
        run = add_run(doc, "jemalloc", "my-leak-job", "conn-leak", NULL);
        add_failed(run, 0, "crashed", json_integer(134), json_integer(6), "abort", 1);
        json_object_set_new(json_array_get(get(run, "points"), 0), "params", json_object());
        assert_int_equal(detect_all(doc), 1);
        f = json_array_get(get(doc, "flags"), 0);
        /* workload is the job's name, not its kernel */
        check_flag(f, "run-failure", "high", "jemalloc", "my-leak-job");
        assert_int_equal(json_object_size(get(f, "where")), 0);
        assert_int_equal(json_integer_value(get(get(f, "evidence"), "exit_code")), 134);
        assert_int_equal(json_integer_value(get(get(f, "evidence"), "signal")), 6);
        json_decref(doc);
}

/* ---- calloc-zeroing ---------------------------------------------------------------- */
/* Calibration: memset at 16 B/ns everywhere (1 MiB: 65536 ns, 256 KiB: 16384 ns). */

static json_t *cz_run(json_t *doc, const char *alloc, const char *touch, const char *mode)
{
        return add_run(doc, alloc, "calloc-sweep", "calloc-sweep",
                       json_pack("{s:[i,i],s:s,s:s,s:s,s:I}", "sizes", 131072, 67108864,
                                 "iterations", "auto", "touch", touch, "mode", mode, "live_max",
                                 (json_int_t)1 << 30));
}

static json_t *cz_point(json_t *run, double size, double ns, double minflt)
{
        json_t *p = add_point(run, size_params(size), ns, ns * 0.02);
        pset(p, "minflt_per_op", minflt);
        pset(p, "majflt_per_op", 0);
        pset(p, "rss_kib", 2000);
        pset(p, "vsz_kib", 3000);
        pset(p, "pte_kib", 44);
        pset(p, "live_peak_bytes", size);
        return p;
}

static void test_cz_faults_fire_high(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f, *a;
        (void)state;
        run = cz_run(doc, "glibc", "none", "reuse");
        /* 256 KiB = 64 pages; calloc faults in half of them by itself, fast */
        cz_point(run, 256 * KIB, 100, 32);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "high", "glibc", "calloc-sweep");
        check_where_size(f, 256 * KIB);
        assert_near(at(ev_array(f, "sizes", 1), 0), 256 * KIB, 0);
        assert_near(at(ev_array(f, "pages", 1), 0), 64, 0);
        assert_near(at(ev_array(f, "minflt_per_op", 1), 0), 32, 0);
        assert_near(at(ev_array(f, "ns_per_op", 1), 0), 100, 1e-9);
        assert_near(at(ev_array(f, "memset_ns", 1), 0), 16384, 1e-6);
        a = ev_array(f, "ratio_to_memset", 1);
        assert_near(at(a, 0), 100.0 / 16384, 1e-9);
        assert_true(contains(str(f, "message"), "256 KiB"));
        assert_true(contains(str(f, "message"), "faults in every page"));
        assert_true(contains(str(f, "hint"), "mmap_threshold"));
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_faults_just_below_half(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = cz_run(doc, "glibc", "none", "reuse");
        cz_point(run, 256 * KIB, 100, 31.9); /* < 0.5 x 64 pages, and far from a memset */
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_below_128k_never(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = cz_run(doc, "glibc", "none", "reuse");
        /* every page faulted and 100x a memset: still too small to judge */
        cz_point(run, 64 * KIB, 1e6, 16);
        cz_point(run, 131071, 1e6, 32);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);

        /* exactly 128 KiB is judged */
        cz_point(run, 128 * KIB, 100, 32);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "high", "glibc", "calloc-sweep");
        check_where_size(f, 128 * KIB);
        ev_array(f, "sizes", 1);
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_time_fires_warn(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = cz_run(doc, "tcmalloc", "none", "reuse");
        /* 1 MiB: memset 65536 ns = 32.8 page faults; calloc costs half of it, no faults */
        cz_point(run, 1 * MIB, 32768, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "warn", "tcmalloc", "calloc-sweep");
        check_where_size(f, 1 * MIB);
        assert_near(at(ev_array(f, "memset_ns", 1), 0), 65536, 1e-6);
        assert_near(at(ev_array(f, "ratio_to_memset", 1), 0), 0.5, 1e-9);
        assert_near(at(ev_array(f, "minflt_per_op", 1), 0), 0, 0);
        assert_near(at(ev_array(f, "pages", 1), 0), 256, 0);
        assert_true(contains(str(f, "message"), "1 MiB"));
        assert_true(contains(str(f, "message"), "0.5x"));
        assert_false(contains(str(f, "message"), "faults in every page"));
        assert_true(contains(str(f, "hint"), "tcmalloc"));
        json_decref(flags);
        json_decref(doc);

        /* just under half a memset: O(1) enough */
        doc = doc_new(cal_flat(16, 2000));
        run = cz_run(doc, "tcmalloc", "none", "reuse");
        cz_point(run, 1 * MIB, 32767, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_time_needs_memset_of_4_faults(void **state)
{
        json_t *doc, *run, *flags;
        (void)state;
        /* memset of 1 MiB = 65536 ns = exactly 4 page faults of 16384 ns: judged */
        doc = doc_new(cal_flat(16, 16384));
        run = cz_run(doc, "jemalloc", "none", "reuse");
        cz_point(run, 1 * MIB, 40000, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        check_flag(json_array_get(flags, 0), "calloc-zeroing", "warn", "jemalloc", "calloc-sweep");
        json_decref(flags);
        json_decref(doc);

        /* the same ratio where the memset costs less than 4 faults: a fixed cost */
        doc = doc_new(cal_flat(16, 16385));
        run = cz_run(doc, "jemalloc", "none", "reuse");
        cz_point(run, 1 * MIB, 40000, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);

        /* no page-fault cost calibrated: time cannot decide */
        doc = doc_new(cal_flat(16, NAN));
        run = cz_run(doc, "jemalloc", "none", "reuse");
        cz_point(run, 1 * MIB, 1e6, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_time_high_from_32mib(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = cz_run(doc, "jemalloc", "none", "reuse");
        cz_point(run, 16 * MIB, 16 * MIB / 16 * 0.9, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        check_flag(json_array_get(flags, 0), "calloc-zeroing", "warn", "jemalloc", "calloc-sweep");
        json_decref(flags);

        cz_point(run, 32 * MIB, 32 * MIB / 16 * 0.9, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "high", "jemalloc", "calloc-sweep");
        check_where_size(f, 16 * MIB);
        assert_near(at(ev_array(f, "sizes", 2), 1), 32 * MIB, 0);
        assert_true(contains(str(f, "message"), "16 MiB to 32 MiB"));
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_touch_and_mode(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *r_all, *r_fresh, *r_first, *r_first_t, *flags;
        (void)state;
        /* both rules would fire on these points */
        r_all = cz_run(doc, "glibc", "all", "reuse");
        cz_point(r_all, 1 * MIB, 1e6, 256);
        r_fresh = cz_run(doc, "glibc", "none", "fresh");
        cz_point(r_fresh, 1 * MIB, 1e6, 256);
        /* touch=first: the workload's own touch makes faults no evidence... */
        r_first = cz_run(doc, "glibc", "first", "reuse");
        cz_point(r_first, 1 * MIB, 100, 256);
        /* ...but time still is */
        r_first_t = cz_run(doc, "glibc", "first", "reuse");
        cz_point(r_first_t, 1 * MIB, 60000, 1);

        flags = run_detector(ab_detect_calloc_zeroing, doc, r_all);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        flags = run_detector(ab_detect_calloc_zeroing, doc, r_fresh);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        flags = run_detector(ab_detect_calloc_zeroing, doc, r_first);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        flags = run_detector(ab_detect_calloc_zeroing, doc, r_first_t);
        assert_int_equal(json_array_size(flags), 1);
        check_flag(json_array_get(flags, 0), "calloc-zeroing", "warn", "glibc", "calloc-sweep");
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_other_kernel_never(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = add_run(doc, "glibc", "calloc-sweep", "mmap-sweep",
                      json_pack("{s:s,s:s}", "touch", "none", "mode", "reuse"));
        cz_point(run, 1 * MIB, 1e6, 256);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_job_name_is_workload(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *f;
        (void)state;
        /* a job file of the calloc-sweep kernel under its own name */
        run = add_run(doc, "mimalloc", "big-calloc", "calloc-sweep",
                      json_pack("{s:s,s:s}", "touch", "none", "mode", "reuse"));
        cz_point(run, 1 * MIB, 100, 256);
        assert_int_equal(detect_all(doc), 1);
        f = json_array_get(get(doc, "flags"), 0);
        check_flag(f, "calloc-zeroing", "high", "mimalloc", "big-calloc");
        assert_true(contains(str(f, "hint"), "MIMALLOC_PURGE_DELAY"));
        json_decref(doc);
}

static void test_cz_contiguous_one_flag(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f, *sizes, *pages;
        (void)state;
        run = cz_run(doc, "glibc", "none", "reuse");
        cz_point(run, 64 * KIB, 100, 0); /* too small: not part of it */
        cz_point(run, 256 * KIB, 100, 64);
        cz_point(run, 512 * KIB, 100, 128);
        cz_point(run, 1 * MIB, 40000, 0); /* by time */
        cz_point(run, 2 * MIB, 100, 512);
        cz_point(run, 4 * MIB, 100, 0); /* O(1) again */
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "high", "glibc", "calloc-sweep");
        check_where_size(f, 256 * KIB);
        sizes = ev_array(f, "sizes", 4);
        pages = ev_array(f, "pages", 4);
        ev_array(f, "ns_per_op", 4);
        ev_array(f, "memset_ns", 4);
        ev_array(f, "ratio_to_memset", 4);
        ev_array(f, "minflt_per_op", 4);
        assert_near(at(sizes, 0), 256 * KIB, 0);
        assert_near(at(sizes, 1), 512 * KIB, 0);
        assert_near(at(sizes, 2), 1 * MIB, 0);
        assert_near(at(sizes, 3), 2 * MIB, 0);
        assert_near(at(pages, 3), 512, 0);
        assert_near(at(json_object_get(get(f, "evidence"), "ns_per_op"), 2), 40000, 1e-9);
        assert_true(contains(str(f, "message"), "256 KiB to 2 MiB"));
        json_decref(flags);
        json_decref(doc);
}

static void test_cz_gap_two_flags(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = cz_run(doc, "glibc", "none", "reuse");
        cz_point(run, 256 * KIB, 100, 64);
        cz_point(run, 512 * KIB, 100, 0); /* the gap */
        cz_point(run, 1 * MIB, 40000, 0);
        cz_point(run, 2 * MIB, 70000, 0);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 2);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "high", "glibc", "calloc-sweep");
        check_where_size(f, 256 * KIB);
        assert_near(at(ev_array(f, "sizes", 1), 0), 256 * KIB, 0);
        f = json_array_get(flags, 1);
        check_flag(f, "calloc-zeroing", "warn", "glibc", "calloc-sweep");
        check_where_size(f, 1 * MIB);
        assert_near(at(ev_array(f, "sizes", 2), 1), 2 * MIB, 0);
        json_decref(flags);
        json_decref(doc);
}

static json_t *cal_uncalibrated(void)
{
        return json_pack("{s:{},s:n,s:n}", "memset_bytes_per_ns", "page_fault_ns", "mmap_ns");
}

static void test_cz_no_calibration_faults_only(void **state)
{
        json_t *doc = doc_new(cal_uncalibrated()), *run, *flags, *f;
        (void)state;
        run = cz_run(doc, "glibc", "none", "reuse");
        cz_point(run, 1 * MIB, 1e7, 0);     /* slow, but there is nothing to compare it with */
        cz_point(run, 4 * MIB, 300, 0);     /* gap */
        cz_point(run, 8 * MIB, 5000, 2048); /* faults in every page */
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "high", "glibc", "calloc-sweep");
        check_where_size(f, 8 * MIB);
        assert_true(json_is_null(json_array_get(ev_array(f, "memset_ns", 1), 0)));
        assert_true(json_is_null(json_array_get(ev_array(f, "ratio_to_memset", 1), 0)));
        assert_near(at(ev_array(f, "minflt_per_op", 1), 0), 2048, 0);
        json_decref(flags);
        json_decref(doc);
}

/* Without a calibrated memset there is no ratio to state: the message must not
 * claim the calloc cost "0.0x a memset". */
static void test_cz_no_calibration_message(void **state)
{
        json_t *doc = doc_new(cal_uncalibrated()), *run, *flags, *f;
        (void)state;
        run = cz_run(doc, "glibc", "none", "reuse");
        cz_point(run, 8 * MIB, 5000, 2048);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        if (contains(str(f, "message"), "0.0x"))
                fail_msg("message states a ratio to a memset that was never calibrated: %s",
                         str(f, "message"));
        json_decref(flags);
        json_decref(doc);
}

/* A document whose calloc-sweep params lack "touch" (hand-made, or from an
 * older writer) must not crash the detector; the time rule still applies. */
static void test_cz_missing_touch(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = add_run(doc, "glibc", "calloc-sweep", "calloc-sweep",
                      json_pack("{s:s}", "mode", "reuse"));
        cz_point(run, 1 * MIB, 1e6, 256);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        json_decref(flags);
        json_decref(doc);
}

/* ---- size-cliff ---------------------------------------------------------------- */

static json_t *sc_point(json_t *run, double size, double median, double ci, double minflt)
{
        json_t *p = add_point(run, size_params(size), median, ci);
        pset(p, "minflt_per_op", minflt);
        pset(p, "rss_kib", 2000);
        pset(p, "vsz_kib", 3000);
        pset(p, "live_peak_bytes", size);
        return p;
}

static json_t *sc_run(json_t *doc, const char *alloc)
{
        return add_run(doc, alloc, "calloc-sweep", "calloc-sweep",
                       json_pack("{s:s,s:s}", "touch", "none", "mode", "fresh"));
}

static void test_sc_regime_jump_fires_warn(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = sc_run(doc, "glibc");
        sc_point(run, 2 * MIB, 900, 50, 0);
        sc_point(run, 4 * MIB, 1000, 100, 0);
        /* 8x for a 2x size step; faults go from none to one per page */
        sc_point(run, 8 * MIB, 8000, 500, 2048);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "size-cliff", "warn", "glibc", "calloc-sweep");
        check_where_size(f, 8 * MIB);
        assert_near(ev(f, "from_size"), 4 * MIB, 0);
        assert_near(ev(f, "to_size"), 8 * MIB, 0);
        assert_near(ev(f, "from_ns_per_op"), 1000, 1e-9);
        assert_near(ev(f, "to_ns_per_op"), 8000, 1e-9);
        assert_near(ev(f, "ratio"), 8, 1e-9);
        assert_near(ev(f, "size_ratio"), 2, 1e-9);
        assert_near(ev(f, "from_minflt_per_op"), 0, 0);
        assert_near(ev(f, "to_minflt_per_op"), 2048, 0);
        assert_true(contains(str(f, "message"), "jumps 8x"));
        assert_true(contains(str(f, "message"), "4 MiB to 8 MiB"));
        assert_true(contains(str(f, "hint"), "8 MiB"));
        json_decref(flags);
        json_decref(doc);
}

static void test_sc_regime_below_8x_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = sc_run(doc, "glibc");
        sc_point(run, 4 * MIB, 1000, 100, 0);
        sc_point(run, 8 * MIB, 7900, 500, 2048);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_sc_time_alone_needs_8x_excess(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        /* 10x for a 2x step, the same fault regime: excess 5 < 8 */
        run = sc_run(doc, "glibc");
        sc_point(run, 4 * MIB, 1000, 100, 0.01);
        sc_point(run, 8 * MIB, 10000, 500, 0.01);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);

        /* 16x for a 2x step: excess 8 is a cliff on time alone */
        doc = doc_new(cal_flat(16, 2000));
        run = sc_run(doc, "glibc");
        sc_point(run, 4 * MIB, 1000, 100, 1);
        sc_point(run, 8 * MIB, 16000, 500, 1);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "size-cliff", "warn", "glibc", "calloc-sweep");
        assert_near(ev(f, "ratio"), 16, 1e-9);
        json_decref(flags);
        json_decref(doc);
}

static void test_sc_overlapping_ci_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = sc_run(doc, "glibc");
        /* 8x with a regime change, but the first point's CI reaches 8000 */
        sc_point(run, 4 * MIB, 1000, 7500, 0);
        sc_point(run, 8 * MIB, 8000, 500, 2048);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_sc_drop_fires_info(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = sc_run(doc, "glibc");
        sc_point(run, 16 * MIB, 8000, 100, 4096);
        sc_point(run, 32 * MIB, 1000, 50, 0);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "size-cliff", "info", "glibc", "calloc-sweep");
        check_where_size(f, 32 * MIB);
        assert_near(ev(f, "ratio"), 0.125, 1e-12);
        assert_near(ev(f, "from_size"), 16 * MIB, 0);
        assert_near(ev(f, "to_size"), 32 * MIB, 0);
        assert_true(contains(str(f, "message"), "drops 8x"));
        json_decref(flags);
        json_decref(doc);

        /* a 7x drop is not one */
        doc = doc_new(cal_flat(16, 2000));
        run = sc_run(doc, "glibc");
        sc_point(run, 16 * MIB, 7000, 100, 4096);
        sc_point(run, 32 * MIB, 1000, 50, 0);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_sc_failed_point_breaks_pair(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = sc_run(doc, "glibc");
        sc_point(run, 4 * MIB, 1000, 100, 0);
        add_failed(run, 8 * MIB, "crashed", json_null(), json_integer(11), "segv", 0);
        /* not a neighbour of 4 MiB any more */
        sc_point(run, 16 * MIB, 64000, 500, 4096);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* Faults not measured (null) must not cost a time-only cliff its evidence. */
static void test_sc_null_minflt_keeps_evidence(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = sc_run(doc, "glibc");
        sc_point(run, 4 * MIB, 1000, 100, NAN);
        sc_point(run, 8 * MIB, 20000, 500, NAN);
        flags = run_detector(ab_detect_size_cliff, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        assert_string_equal(str(f, "kind"), "size-cliff");
        assert_near(ev(f, "from_size"), 4 * MIB, 0);
        assert_near(ev(f, "to_size"), 8 * MIB, 0);
        assert_near(ev(f, "ratio"), 20, 1e-9);
        json_decref(flags);
        json_decref(doc);
}

/* ---- vsz-bloat ---------------------------------------------------------------- */

static json_t *vb_point(json_t *run, double vsz_kib, double rss_kib, double live)
{
        json_t *p = add_point(run, NULL, 50, 2);
        pset(p, "minflt_per_op", 0.01);
        pset(p, "vsz_kib", vsz_kib);
        pset(p, "rss_kib", rss_kib);
        pset(p, "live_peak_bytes", live);
        return p;
}

static json_t *arena_run(json_t *doc, const char *alloc, int threads)
{
        return add_run(doc, alloc, "arena-churn", "arena-churn",
                       json_pack("{s:i,s:i,s:i,s:I}", "threads", threads, "rounds", 10, "ops",
                                 50000, "stack", (json_int_t)262144));
}

static void test_vb_glibc_arenas_high(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        double legit = 2368 * KIB + 8 * (262144 + 4096) + 4795456;
        double excess = 529000 * KIB - legit;
        (void)state;
        run = arena_run(doc, "glibc", 8);
        vb_point(run, 529000, 3544, 4795456);
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "vsz-bloat", "high", "glibc", "arena-churn");
        assert_int_equal(json_object_size(get(f, "where")), 0);
        assert_near(ev(f, "vsz_kib"), 529000, 1e-9);
        assert_near(ev(f, "rss_kib"), 3544, 1e-9);
        assert_near(ev(f, "runner_vsz_kib"), 2368, 1e-9);
        assert_near(ev(f, "threads"), 8, 0);
        assert_near(ev(f, "thread_stack_bytes"), 262144, 0);
        assert_near(ev(f, "live_peak_bytes"), 4795456, 0);
        assert_near(ev(f, "excess_kib"), excess / KIB, 1e-6);
        assert_near(ev(f, "excess_per_thread_kib"), excess / 8 / KIB, 1e-6);
        assert_near(ev(f, "excess_per_thread_kib"), 64980, 10);
        assert_true(contains(str(f, "hint"), "MALLOC_ARENA_MAX"));
        assert_true(contains(str(f, "message"), "per thread"));
        json_decref(flags);
        json_decref(doc);
}

static void test_vb_excess_just_below_64mib(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = add_run(doc, "jemalloc", "mmap-sweep", "mmap-sweep", NULL);
        vb_point(run, 2368 + 65535, 1000, 0); /* 64 MiB - 1 KiB beyond the runner */
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);

        vb_point(run, 2368 + 65536, 1000, NAN); /* exactly 64 MiB; live unknown counts 0 */
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "vsz-bloat", "warn", "jemalloc", "mmap-sweep");
        assert_near(ev(f, "excess_kib"), 65536, 1e-9);
        assert_near(ev(f, "excess_per_thread_kib"), 65536, 1e-9);
        assert_near(ev(f, "threads"), 1, 0);
        assert_near(ev(f, "live_peak_bytes"), 0, 0);
        assert_true(contains(str(f, "hint"), "retain"));
        json_decref(flags);
        json_decref(doc);
}

static void test_vb_vsz_below_4x_rss(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = arena_run(doc, "glibc", 8);
        vb_point(run, 529000, 132251, 4795456); /* 4 x rss = 529004 KiB > vsz */
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);

        vb_point(run, 529000, 132250, 4795456); /* exactly 4x */
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        check_flag(json_array_get(flags, 0), "vsz-bloat", "high", "glibc", "arena-churn");
        json_decref(flags);
        json_decref(doc);
}

static void test_vb_vsz_below_2x_legit(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        /* legitimate: 2368 KiB runner + 200 MiB the workload held = 207168 KiB;
         * the excess is over 64 MiB and VSZ far above RSS, but under twice that */
        run = add_run(doc, "tcmalloc", "calloc-sweep", "calloc-sweep",
                      json_pack("{s:s,s:s}", "touch", "all", "mode", "fresh"));
        vb_point(run, 2 * 207168 - 1, 1000, 200 * MIB);
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);

        vb_point(run, 2 * 207168, 1000, 200 * MIB);
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "vsz-bloat", "warn", "tcmalloc", "calloc-sweep");
        assert_near(ev(f, "excess_kib"), 207168, 1e-9);
        json_decref(flags);
        json_decref(doc);
}

static void test_vb_hints_and_runner_unknown(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *r_mi, *r_one, *r_unk, *flags, *f;
        (void)state;
        r_mi = arena_run(doc, "mimalloc", 8);
        vb_point(r_mi, 529000, 3544, 4795456);
        r_one = arena_run(doc, "glibc", 1); /* one thread: not the arenas */
        vb_point(r_one, 200000, 3544, 0);
        r_unk = arena_run(doc, "glibc", 8);
        json_object_set_new(r_unk, "runner_vsz_kib", json_null());
        vb_point(r_unk, 529000, 3544, 4795456);

        flags = run_detector(ab_detect_vsz_bloat, doc, r_mi);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "vsz-bloat", "high", "mimalloc", "arena-churn");
        assert_true(contains(str(f, "hint"), "MIMALLOC_ARENA_RESERVE"));
        assert_false(contains(str(f, "hint"), "MALLOC_ARENA_MAX"));
        json_decref(flags);

        flags = run_detector(ab_detect_vsz_bloat, doc, r_one);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "vsz-bloat", "warn", "glibc", "arena-churn");
        assert_near(ev(f, "threads"), 1, 0);
        assert_near(ev(f, "excess_kib"), 200000 - 2368, 1e-9);
        assert_false(contains(str(f, "hint"), "MALLOC_ARENA_MAX"));
        json_decref(flags);

        flags = run_detector(ab_detect_vsz_bloat, doc, r_unk);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* ---- rss-retention ---------------------------------------------------------------- */
/* The runner starts at 1356 KiB resident. */

static json_t *rr_point(json_t *run, double size, double kept_kib, double peak)
{
        json_t *p = add_point(run, size_params(size), 500, 10);
        pset(p, "minflt_per_op", 0.01);
        pset(p, "rss_kib", 1356 + kept_kib);
        pset(p, "vsz_kib", 1356 + kept_kib + 2000);
        pset(p, "live_peak_bytes", peak);
        return p;
}

static json_t *rr_run(json_t *doc, const char *alloc)
{
        return add_run(doc, alloc, "calloc-sweep", "calloc-sweep",
                       json_pack("{s:s,s:s}", "touch", "all", "mode", "fresh"));
}

static void test_rr_fires_warn(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = rr_run(doc, "glibc");
        rr_point(run, 1 * MIB, 32768, 64 * MIB); /* 32 MiB kept, half of the 64 MiB held */
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "rss-retention", "warn", "glibc", "calloc-sweep");
        check_where_size(f, 1 * MIB);
        assert_near(ev(f, "runner_rss_kib"), 1356, 1e-9);
        assert_near(ev(f, "live_bytes_at_end"), 0, 0);
        assert_near(at(ev_array(f, "retained_kib", 1), 0), 32768, 1e-9);
        assert_near(at(ev_array(f, "rss_kib", 1), 0), 1356 + 32768, 1e-9);
        assert_near(at(ev_array(f, "live_peak_bytes", 1), 0), 64 * MIB, 0);
        assert_near(json_number_value(get(json_array_get(ev_array(f, "points", 1), 0), "size")),
                    1 * MIB, 0);
        assert_true(contains(str(f, "message"), "32 MiB"));
        assert_true(contains(str(f, "hint"), "malloc_trim"));
        json_decref(flags);
        json_decref(doc);
}

static void test_rr_high_from_256mib(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = rr_run(doc, "jemalloc");
        rr_point(run, 256 * MIB, 255 * 1024, 256 * MIB);
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        check_flag(json_array_get(flags, 0), "rss-retention", "warn", "jemalloc", "calloc-sweep");
        json_decref(flags);
        json_decref(doc);

        doc = doc_new(cal_flat(16, 2000));
        run = rr_run(doc, "jemalloc");
        rr_point(run, 256 * MIB, 256 * 1024, 256 * MIB);
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "rss-retention", "high", "jemalloc", "calloc-sweep");
        assert_true(contains(str(f, "hint"), "dirty_decay_ms"));
        json_decref(flags);
        json_decref(doc);
}

static void test_rr_31mib_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = rr_run(doc, "glibc");
        rr_point(run, 1 * MIB, 31 * 1024, 32 * MIB);
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_rr_below_half_peak_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = rr_run(doc, "glibc");
        /* 32 MiB kept of the 64 MiB + 1 B it held: under half */
        rr_point(run, 64 * MIB, 32768, 64 * MIB + 1);
        rr_point(run, 128 * MIB, 40 * 1024, 100 * MIB);
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_rr_program_never(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = add_run(doc, "glibc", "cmd", "cmd", NULL);
        json_object_set_new(run, "program", json_pack("[s,s]", "sort", "big.txt"));
        rr_point(run, 0, 512 * 1024, 0);
        json_object_set_new(json_array_get(get(run, "points"), 0), "params", json_object());
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        /* the same run without "program" is flagged: the key is what stops it */
        json_object_del(run, "program");
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        json_decref(flags);
        json_decref(doc);
}

static void test_rr_groups_neighbours(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f, *pts;
        (void)state;
        run = rr_run(doc, "tcmalloc");
        rr_point(run, 32 * MIB, 1024, 32 * MIB);      /* clean */
        rr_point(run, 64 * MIB, 40 * 1024, 64 * MIB); /* retained ... */
        rr_point(run, 128 * MIB, 100 * 1024, 128 * MIB);
        rr_point(run, 256 * MIB, 80 * 1024, 128 * MIB); /* ... to here */
        rr_point(run, 512 * MIB, 1024, 512 * MIB);      /* clean */
        rr_point(run, 1024 * MIB, 300 * 1024, 512 * MIB);
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 2);

        f = json_array_get(flags, 0);
        check_flag(f, "rss-retention", "warn", "tcmalloc", "calloc-sweep");
        check_where_size(f, 64 * MIB);
        pts = ev_array(f, "points", 3);
        assert_near(json_number_value(get(json_array_get(pts, 2), "size")), 256 * MIB, 0);
        assert_near(at(ev_array(f, "retained_kib", 3), 1), 100 * 1024, 1e-9);
        assert_true(contains(str(f, "message"), "100 MiB")); /* the most kept */
        assert_true(contains(str(f, "message"), "3 points"));
        assert_true(contains(str(f, "hint"), "TCMALLOC_RELEASE_RATE"));

        f = json_array_get(flags, 1);
        check_flag(f, "rss-retention", "high", "tcmalloc", "calloc-sweep");
        check_where_size(f, 1024 * MIB);
        ev_array(f, "points", 1);
        json_decref(flags);
        json_decref(doc);
}

static void test_rr_subtracts_live_at_end(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run =
            add_run(doc, "glibc", "conn-leak", "conn-leak", json_pack("{s:i}", "connections", 512));
        rr_point(run, 0, 40 * 1024, 40 * MIB);
        json_object_set_new(json_array_get(get(run, "points"), 0), "params", json_object());
        for (int i = 0; i < 10; i++)
                add_round(run, 2000, 6000, 56, 10 * MIB);
        /* 40 MiB resident above the start, 10 MiB of it still held: 30 MiB kept */
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);

        json_object_set_new(json_array_get(get(run, "rounds"), 9), "live_bytes",
                            json_real(0.5 * MIB));
        flags = run_detector(ab_detect_rss_retention, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "rss-retention", "warn", "glibc", "conn-leak");
        assert_near(ev(f, "live_bytes_at_end"), 0.5 * MIB, 0);
        assert_near(at(ev_array(f, "retained_kib", 1), 0), 40 * 1024 - 512, 1e-9);
        json_decref(flags);
        json_decref(doc);
}

/* ---- leak-growth ---------------------------------------------------------------- */

static json_t *leak_run(json_t *doc, const char *alloc, int connections)
{
        json_t *run = add_run(doc, alloc, "conn-leak", "conn-leak",
                              connections ? json_pack("{s:i,s:i,s:i}", "connections", connections,
                                                      "rounds", 10, "leak_every", 64)
                                          : json_pack("{s:i}", "rounds", 10));
        json_t *p = add_point(run, NULL, 40, 2);
        pset(p, "minflt_per_op", 0.003);
        pset(p, "rss_kib", 4000);
        pset(p, "vsz_kib", 6800);
        pset(p, "live_peak_bytes", 4 * MIB);
        return run;
}

static void test_lg_live_512_per_round_high(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 2800 + (i < 3 ? 300 * i : 900), 6864, 56, 512.0 * (i + 1));
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-growth", "high", "glibc", "conn-leak");
        check_where_round(f, 9);
        assert_near(ev(f, "live_bytes_per_round"), 512, 1e-6);
        assert_near(ev(f, "live_bytes_first"), 1536, 0);
        assert_near(ev(f, "live_bytes_last"), 5120, 0);
        assert_near(ev(f, "rounds_used"), 8, 0);
        assert_near(ev(f, "warmup_rounds"), 2, 0);
        assert_near(ev(f, "bytes_per_connection_per_round"), 1, 1e-9);
        assert_true(ev(f, "t") >= 1e9);
        assert_true(contains(str(f, "message"), "512 B"));
        assert_true(contains(str(f, "message"), "connections"));
        json_decref(flags);

        /* through the registry: this is the only flag */
        assert_int_equal(detect_all(doc), 1);
        check_flag(json_array_get(get(doc, "flags"), 0), "leak-growth", "high", "glibc",
                   "conn-leak");
        json_decref(doc);
}

static void test_lg_plateau_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, i < 2 ? 2800 + 600 * i : 3400, 6864, 56,
                          i < 2 ? 512.0 * (i + 1) : 1024);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_lg_noise_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        /* live bytes and RSS swing every other round: large slopes (4.7 KB and
         * 476 KiB a round over rounds 2..9) but no trend */
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, i % 2 ? 20000 : 10000, 6864, 56, i % 2 ? 100000 : 1000);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_lg_per_connection_threshold(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        /* 102.4 B a round over 512 connections: 0.2 B each, under 0.25 */
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 6864, 56, 4096 + 102.4 * i);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);

        /* 128 B a round: 0.25 B per connection */
        doc = doc_new(cal_flat(16, 2000));
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 6864, 56, 4096 + 128.0 * i);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-growth", "high", "glibc", "conn-leak");
        assert_near(ev(f, "bytes_per_connection_per_round"), 0.25, 1e-9);
        json_decref(flags);
        json_decref(doc);
}

static void test_lg_min_64_bytes(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        /* no connections: only the 64 B a round floor */
        run = leak_run(doc, "glibc", 0);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 6864, 56, 1000 + 63.0 * i);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);

        doc = doc_new(cal_flat(16, 2000));
        run = leak_run(doc, "glibc", 0);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 6864, 56, 1000 + 64.0 * i);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-growth", "high", "glibc", "conn-leak");
        assert_near(ev(f, "live_bytes_per_round"), 64, 1e-6);
        assert_near(ev(f, "bytes_per_connection_per_round"), 0, 0);
        assert_false(contains(str(f, "message"), "connections"));
        json_decref(flags);
        json_decref(doc);
}

static void test_lg_rss_rising_warn(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = leak_run(doc, "tcmalloc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 10000 + 300.0 * i, 60000, 56, 4096);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-growth", "warn", "tcmalloc", "conn-leak");
        check_where_round(f, 9);
        assert_near(ev(f, "rss_kib_per_round"), 300, 1e-6);
        assert_near(ev(f, "rss_kib_first"), 10600, 1e-9);
        assert_near(ev(f, "rss_kib_last"), 12700, 1e-9);
        assert_near(ev(f, "live_bytes_last"), 4096, 0);
        assert_near(ev(f, "warmup_rounds"), 2, 0);
        assert_true(contains(str(f, "message"), "300 KiB"));
        json_decref(flags);
        json_decref(doc);

        /* VSZ growing at half the rate does not explain it */
        doc = doc_new(cal_flat(16, 2000));
        run = leak_run(doc, "tcmalloc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 10000 + 300.0 * i, 60000 + 150.0 * i, 56, 4096);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        check_flag(json_array_get(flags, 0), "leak-growth", "warn", "tcmalloc", "conn-leak");
        json_decref(flags);
        json_decref(doc);
}

/* RSS growing with VSZ (leaked blocks extend the heap) is still memory lost
 * every round: it fires. */
static void test_lg_rss_with_vsz(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = leak_run(doc, "tcmalloc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 10000 + 300.0 * i, 60000 + 300.0 * i, 56, 4096);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(flags, 0),
                                                              "severity")),
                            "warn");
        json_decref(flags);
        json_decref(doc);
}

static void test_lg_rss_below_floor_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = leak_run(doc, "tcmalloc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 10000 + 255.0 * i, 60000, 56, 4096);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* Fewer than 5 rounds (1 warm-up + 4 fitted) are never judged. */
static void test_lg_too_few_rounds(void **state)
{
        json_t *doc, *run, *flags, *f;
        (void)state;
        for (int n = 0; n <= 4; n++) {
                doc = doc_new(cal_flat(16, 2000));
                run = leak_run(doc, "glibc", 512);
                for (int i = 0; i < n; i++)
                        add_round(run, 3000 + 1024.0 * i, 6864, 56, 4096 * (i + 1.0));
                flags = run_detector(ab_detect_leak_growth, doc, run);
                if (json_array_size(flags) != 0)
                        fail_msg("%d rounds raised a leak-growth flag", n);
                json_decref(flags);
                json_decref(doc);
        }
        /* the smallest judged series: 5 rounds, the first one warm-up */
        doc = doc_new(cal_flat(16, 2000));
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 5; i++)
                add_round(run, 3000, 6864, 56, 4096 * (i + 1.0));
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_where_round(f, 4);
        assert_near(ev(f, "warmup_rounds"), 1, 0);
        assert_near(ev(f, "rounds_used"), 4, 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_lg_sweep_rounds_skipped(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        /* rounds of a sweep carry their point's params: not identical rounds */
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 10; i++) {
                add_round(run, 3000, 6864, 56, 512.0 * (i + 1));
                json_object_set_new(json_array_get(get(run, "rounds"), (size_t)i), "params",
                                    size_params(4096.0 * (i + 1)));
        }
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* ---- address-space-growth ---------------------------------------------------------- */

static json_t *mmap_run(json_t *doc, const char *wrap)
{
        json_t *run = add_run(doc, "glibc", "mmap-sweep", "mmap-sweep",
                              json_pack("{s:I,s:i}", "reserve", (json_int_t)6 << 30, "rounds", 10));
        json_t *p = add_point(run, NULL, 5e5, 1e4);
        if (wrap)
                json_object_set_new(run, "wrap", json_string(wrap));
        pset(p, "minflt_per_op", 10);
        pset(p, "rss_kib", 3000);
        pset(p, "vsz_kib", 6800);
        pset(p, "live_peak_bytes", 0);
        return run;
}

static void test_asg_vsz_growth_high_wrap(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = mmap_run(doc, "qemu-x86_64");
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 100000 + 36864.0 * i, 56, 0);
        flags = run_detector(ab_detect_address_space_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "address-space-growth", "high", "glibc", "mmap-sweep");
        check_where_round(f, 9);
        assert_near(ev(f, "vsz_kib_per_round"), 36864, 1e-6);
        assert_near(ev(f, "pte_kib_per_round"), 0, 1e-9);
        assert_near(ev(f, "vsz_kib_first"), 100000 + 2 * 36864, 1e-9);
        assert_near(ev(f, "vsz_kib_last"), 100000 + 9 * 36864, 1e-9);
        assert_near(ev(f, "pte_kib_first"), 56, 1e-9);
        assert_near(ev(f, "pte_kib_last"), 56, 1e-9);
        assert_near(ev(f, "warmup_rounds"), 2, 0);
        assert_true(contains(str(f, "message"), "virtual size"));
        assert_true(contains(str(f, "message"), "36 MiB"));
        assert_true(contains(str(f, "message"), "qemu-x86_64"));
        assert_true(contains(str(f, "hint"), "qemu-x86_64"));
        json_decref(flags);
        json_decref(doc);

        /* native: the hint points at the mappings instead */
        doc = doc_new(cal_flat(16, 2000));
        run = mmap_run(doc, NULL);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 100000 + 36864.0 * i, 56, 0);
        flags = run_detector(ab_detect_address_space_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "address-space-growth", "high", "glibc", "mmap-sweep");
        assert_false(contains(str(f, "hint"), "qemu"));
        assert_true(contains(str(f, "hint"), "strace"));
        json_decref(flags);
        json_decref(doc);
}

static void test_asg_flat_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = mmap_run(doc, "qemu-x86_64");
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 100000, 56, 0);
        flags = run_detector(ab_detect_address_space_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        assert_int_equal(detect_all(doc), 0);
        json_decref(doc);
}

static void test_asg_pte_growth(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags, *f;
        (void)state;
        run = mmap_run(doc, NULL);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 100000, 56 + 8.0 * i, 0);
        flags = run_detector(ab_detect_address_space_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "address-space-growth", "high", "glibc", "mmap-sweep");
        assert_near(ev(f, "pte_kib_per_round"), 8, 1e-9);
        assert_near(ev(f, "vsz_kib_per_round"), 0, 1e-9);
        assert_near(ev(f, "pte_kib_first"), 72, 1e-9);
        assert_near(ev(f, "pte_kib_last"), 128, 1e-9);
        assert_true(contains(str(f, "message"), "page-table size"));
        assert_true(contains(str(f, "message"), "8 KiB"));
        json_decref(flags);
        json_decref(doc);

        /* 3 KiB a round: below the 4 KiB floor */
        doc = doc_new(cal_flat(16, 2000));
        run = mmap_run(doc, NULL);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 100000, 56 + 3.0 * i, 0);
        flags = run_detector(ab_detect_address_space_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_asg_alternating_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        run = mmap_run(doc, "qemu-x86_64");
        /* 64 MiB of VSZ and 64 KiB of page tables come and go every other round */
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, i % 2 ? 165536 : 100000, i % 2 ? 120 : 56, 0);
        flags = run_detector(ab_detect_address_space_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static void test_asg_unknown_or_sweep_none(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *r_null, *r_sweep, *flags;
        (void)state;
        /* page tables not measured (generic platform): no trend is claimed */
        r_null = mmap_run(doc, NULL);
        for (int i = 0; i < 10; i++)
                add_round(r_null, 3000, 100000 + 36864.0 * i, NAN, 0);
        r_sweep = mmap_run(doc, NULL);
        for (int i = 0; i < 10; i++) {
                add_round(r_sweep, 3000, 100000 + 36864.0 * i, 56, 0);
                json_object_set_new(json_array_get(get(r_sweep, "rounds"), (size_t)i), "params",
                                    size_params(4096.0 * (i + 1)));
        }
        flags = run_detector(ab_detect_address_space_growth, doc, r_null);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        flags = run_detector(ab_detect_address_space_growth, doc, r_sweep);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* ---- ab_detect_all ---------------------------------------------------------------- */

static void test_detect_all_sorts_by_severity(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        /* run 0: a size-cliff drop (info) */
        run = sc_run(doc, "glibc");
        sc_point(run, 16 * MIB, 8000, 100, 0);
        sc_point(run, 32 * MIB, 1000, 50, 0);
        /* run 1: rss retention (warn) */
        run = rr_run(doc, "jemalloc");
        rr_point(run, 64 * MIB, 40 * 1024, 64 * MIB);
        /* run 2: a crash (high) */
        run = sc_run(doc, "crashy");
        add_failed(run, 1 * MIB, "crashed", json_null(), json_integer(11), "segv", 0);
        /* run 3: vsz bloat (warn), after the other warn */
        run = add_run(doc, "mimalloc", "arena-churn", "arena-churn", NULL);
        vb_point(run, 2368 + 100000, 3000, 0);

        assert_int_equal(detect_all(doc), 4);
        flags = get(doc, "flags");
        assert_int_equal(json_array_size(flags), 4);
        check_flag(json_array_get(flags, 0), "run-failure", "high", "crashy", "calloc-sweep");
        check_flag(json_array_get(flags, 1), "rss-retention", "warn", "jemalloc", "calloc-sweep");
        check_flag(json_array_get(flags, 2), "vsz-bloat", "warn", "mimalloc", "arena-churn");
        check_flag(json_array_get(flags, 3), "size-cliff", "info", "glibc", "calloc-sweep");

        /* run again: the same flags, not twice as many */
        assert_int_equal(detect_all(doc), 4);
        assert_int_equal(json_array_size(get(doc, "flags")), 4);
        json_decref(doc);
}

static void test_detect_all_clean(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        (void)state;
        /* a calloc that is O(1) at every size */
        run = cz_run(doc, "glibc", "none", "reuse");
        for (double s = 128 * KIB; s <= 64 * MIB; s *= 2)
                cz_point(run, s, 250, 0.02);
        /* identical rounds that return to the same baseline */
        run = leak_run(doc, "glibc", 512);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000 + (i % 3) * 8, 6864, 56, 0);
        run = mmap_run(doc, NULL);
        for (int i = 0; i < 10; i++)
                add_round(run, 3000, 100000 + (i % 2) * 4, 56, 0);
        assert_int_equal(detect_all(doc), 0);
        flags = get(doc, "flags");
        assert_true(json_is_array(flags));
        assert_int_equal(json_array_size(flags), 0);
        assert_int_equal(count_kind(flags, "calloc-zeroing"), 0);
        json_decref(doc);
}

/* The two documents of the brief, as bench writes them (calloc-sweep on
 * glibc and mimalloc; conn-leak with leak_every=64), reduced to what the
 * detectors read. */
static void test_detect_all_story_documents(void **state)
{
        json_error_t err;
        json_t *doc, *flags;
        (void)state;
        doc = json_loads(
            "{\"host\":{\"page_size\":4096},"
            " \"calibration\":{\"memset_bytes_per_ns\":{\"4096\":139.3,\"1048576\":162.4,"
            "   \"4194304\":126.6,\"16777216\":100.3,\"67108864\":60.9},"
            "   \"page_fault_ns\":1947.9},"
            " \"runs\":[{\"allocator\":{\"name\":\"glibc\"},"
            "   \"workload\":{\"name\":\"calloc-sweep\",\"kernel\":\"calloc-sweep\","
            "     \"params\":{\"touch\":\"none\",\"mode\":\"reuse\"}},"
            "   \"status\":\"ok\",\"runner_rss_kib\":1356,\"runner_vsz_kib\":2368,"
            "   \"points\":["
            "    {\"params\":{\"size\":4194304},\"status\":\"ok\",\"ns_per_op\":{\"median\":310900,"
            "      \"ci95_lo\":150000,\"ci95_hi\":630000},\"minflt_per_op\":123.9,"
            "      \"rss_kib\":5632,\"vsz_kib\":6553,\"live_peak_bytes\":4194304},"
            "    "
            "{\"params\":{\"size\":8388608},\"status\":\"ok\",\"ns_per_op\":{\"median\":5491000,"
            "      \"ci95_lo\":2900000,\"ci95_hi\":8100000},\"minflt_per_op\":1008,"
            "      \"rss_kib\":9830,\"vsz_kib\":10650,\"live_peak_bytes\":8388608},"
            "    "
            "{\"params\":{\"size\":16777216},\"status\":\"ok\",\"ns_per_op\":{\"median\":11430000,"
            "      \"ci95_lo\":6800000,\"ci95_hi\":16000000},\"minflt_per_op\":4063,"
            "      \"rss_kib\":17920,\"vsz_kib\":18841,\"live_peak_bytes\":16777216},"
            "    {\"params\":{\"size\":33554432},\"status\":\"ok\",\"ns_per_op\":{\"median\":11360,"
            "      \"ci95_lo\":4000,\"ci95_hi\":27600},\"minflt_per_op\":3,"
            "      \"rss_kib\":1536,\"vsz_kib\":2457,\"live_peak_bytes\":33554432}],"
            "   \"rounds\":[]},"
            "  {\"allocator\":{\"name\":\"glibc\"},"
            "   \"workload\":{\"name\":\"conn-leak\",\"kernel\":\"conn-leak\","
            "     \"params\":{\"connections\":512,\"rounds\":10,\"leak_every\":64}},"
            "   \"status\":\"ok\",\"runner_rss_kib\":1412,\"runner_vsz_kib\":2368,"
            "   \"points\":[{\"params\":{},\"status\":\"ok\",\"ns_per_op\":{\"median\":37.6,"
            "      \"ci95_lo\":35.2,\"ci95_hi\":40.0},\"minflt_per_op\":0.003,"
            "      \"rss_kib\":4120,\"vsz_kib\":6864,\"live_peak_bytes\":4325152}],"
            "   \"rounds\":["
            "    {\"index\":0,\"rss_kib\":2844,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":512},"
            "    "
            "{\"index\":1,\"rss_kib\":3488,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":1024},"
            "    "
            "{\"index\":2,\"rss_kib\":3808,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":1536},"
            "    "
            "{\"index\":3,\"rss_kib\":4000,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":2048},"
            "    "
            "{\"index\":4,\"rss_kib\":4000,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":2560},"
            "    "
            "{\"index\":5,\"rss_kib\":4000,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":3072},"
            "    "
            "{\"index\":6,\"rss_kib\":4000,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":3584},"
            "    "
            "{\"index\":7,\"rss_kib\":4000,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":4096},"
            "    "
            "{\"index\":8,\"rss_kib\":4000,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":4608},"
            "    "
            "{\"index\":9,\"rss_kib\":4000,\"vsz_kib\":6864,\"pte_kib\":56,\"live_bytes\":5120}]}]"
            "}",
            0, &err);
        if (!doc)
                fail_msg("fixture JSON: %s at line %d", err.text, err.line);
        assert_int_equal(detect_all(doc), 4);
        flags = get(doc, "flags");
        /* high first, in detector order: zeroing then the leak; then the cliffs */
        check_flag(json_array_get(flags, 0), "calloc-zeroing", "high", "glibc", "calloc-sweep");
        check_where_size(json_array_get(flags, 0), 4 * MIB);
        ev_array(json_array_get(flags, 0), "sizes", 3);
        check_flag(json_array_get(flags, 1), "leak-growth", "high", "glibc", "conn-leak");
        assert_near(ev(json_array_get(flags, 1), "live_bytes_per_round"), 512, 1e-6);
        check_flag(json_array_get(flags, 2), "size-cliff", "warn", "glibc", "calloc-sweep");
        check_where_size(json_array_get(flags, 2), 8 * MIB);
        check_flag(json_array_get(flags, 3), "size-cliff", "info", "glibc", "calloc-sweep");
        check_where_size(json_array_get(flags, 3), 32 * MIB);
        json_decref(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_severity_rank),
            cmocka_unit_test(test_trend_exact_line),
            cmocka_unit_test(test_trend_falling_or_flat_not_significant),
            cmocka_unit_test(test_trend_alternating_noise),
            cmocka_unit_test(test_trend_noisy_rise_significant),
            cmocka_unit_test(test_trend_too_few_points),
            cmocka_unit_test(test_trend_warmup),
            cmocka_unit_test(test_calib_memset_ns),

            cmocka_unit_test(test_rf_each_status),
            cmocka_unit_test(test_rf_ok_none),
            cmocka_unit_test(test_rf_via_detect_all),

            cmocka_unit_test(test_cz_faults_fire_high),
            cmocka_unit_test(test_cz_faults_just_below_half),
            cmocka_unit_test(test_cz_below_128k_never),
            cmocka_unit_test(test_cz_time_fires_warn),
            cmocka_unit_test(test_cz_time_needs_memset_of_4_faults),
            cmocka_unit_test(test_cz_time_high_from_32mib),
            cmocka_unit_test(test_cz_touch_and_mode),
            cmocka_unit_test(test_cz_other_kernel_never),
            cmocka_unit_test(test_cz_job_name_is_workload),
            cmocka_unit_test(test_cz_contiguous_one_flag),
            cmocka_unit_test(test_cz_gap_two_flags),
            cmocka_unit_test(test_cz_no_calibration_faults_only),
            cmocka_unit_test(test_cz_no_calibration_message),
            cmocka_unit_test(test_cz_missing_touch),

            cmocka_unit_test(test_sc_regime_jump_fires_warn),
            cmocka_unit_test(test_sc_regime_below_8x_none),
            cmocka_unit_test(test_sc_time_alone_needs_8x_excess),
            cmocka_unit_test(test_sc_overlapping_ci_none),
            cmocka_unit_test(test_sc_drop_fires_info),
            cmocka_unit_test(test_sc_failed_point_breaks_pair),
            cmocka_unit_test(test_sc_null_minflt_keeps_evidence),

            cmocka_unit_test(test_vb_glibc_arenas_high),
            cmocka_unit_test(test_vb_excess_just_below_64mib),
            cmocka_unit_test(test_vb_vsz_below_4x_rss),
            cmocka_unit_test(test_vb_vsz_below_2x_legit),
            cmocka_unit_test(test_vb_hints_and_runner_unknown),

            cmocka_unit_test(test_rr_fires_warn),
            cmocka_unit_test(test_rr_high_from_256mib),
            cmocka_unit_test(test_rr_31mib_none),
            cmocka_unit_test(test_rr_below_half_peak_none),
            cmocka_unit_test(test_rr_program_never),
            cmocka_unit_test(test_rr_groups_neighbours),
            cmocka_unit_test(test_rr_subtracts_live_at_end),

            cmocka_unit_test(test_lg_live_512_per_round_high),
            cmocka_unit_test(test_lg_plateau_none),
            cmocka_unit_test(test_lg_noise_none),
            cmocka_unit_test(test_lg_per_connection_threshold),
            cmocka_unit_test(test_lg_min_64_bytes),
            cmocka_unit_test(test_lg_rss_rising_warn),
            cmocka_unit_test(test_lg_rss_with_vsz),
            cmocka_unit_test(test_lg_rss_below_floor_none),
            cmocka_unit_test(test_lg_too_few_rounds),
            cmocka_unit_test(test_lg_sweep_rounds_skipped),

            cmocka_unit_test(test_asg_vsz_growth_high_wrap),
            cmocka_unit_test(test_asg_flat_none),
            cmocka_unit_test(test_asg_pte_growth),
            cmocka_unit_test(test_asg_alternating_none),
            cmocka_unit_test(test_asg_unknown_or_sweep_none),

            cmocka_unit_test(test_detect_all_sorts_by_severity),
            cmocka_unit_test(test_detect_all_clean),
            cmocka_unit_test(test_detect_all_story_documents),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
