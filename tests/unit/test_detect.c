/*
 * test_detect.c - the detectors' shared parts on hand-made results
 * documents: severity ranks, the trend test, the calibrated memset cost,
 * run-failure, and the ordering ab_detect_all gives the flags (with the
 * story documents of the brief). The kernels' size detectors are in
 * test_detect_size.c, the memory detectors in test_detect_memory.c, the
 * program (cmd) branches in test_detect_program.c.
 */

#include "detect_fixtures.h"

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
            cmocka_unit_test(test_detect_all_sorts_by_severity),
            cmocka_unit_test(test_detect_all_clean),
            cmocka_unit_test(test_detect_all_story_documents),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
