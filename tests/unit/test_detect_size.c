/*
 * test_detect_size.c - calloc-zeroing and size-cliff on hand-made results
 * documents: documents that make each fire, and documents at its
 * boundaries that must not.
 */

#include "detect_fixtures.h"

/* ---- calloc-zeroing ---------------------------------------------------------------- */

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

/* calloc-zeroing's flags on a sweep of 256 KiB, 1 MiB, 4 MiB under alloc
 * (memset 16 B/ns: 16384, 65536, 262144 ns; a fault 2000 ns), costing ns[i]
 * with flt[i] faults per op. */
static json_t *cz_sweep3(const char *alloc, const double ns[3], const double flt[3])
{
        json_t *doc = doc_new(cal_flat(16, 2000)), *run, *flags;
        run = cz_run(doc, alloc, "none", "reuse");
        for (int i = 0; i < 3; i++)
                cz_point(run, 256 * KIB * (1 << (2 * i)), ns[i], flt[i]);
        flags = run_detector(ab_detect_calloc_zeroing, doc, run);
        json_decref(doc);
        return flags;
}

/* A cost that stays flat while the memset of the size grows is a fixed cost
 * per op (musl: an mmap, a munmap and 2 faults, about 10 us from 64 KiB to
 * 4 MiB), not zeroing; judged against every neighbouring point, on a log
 * scale, at half the memset's growth. */
static void test_cz_time_flat_cost_is_not_zeroing(void **state)
{
        static const double two[3] = {2, 2, 2}, every[3] = {64, 256, 1024};
        /* 1 MiB: 40000 ns is 0.61x its memset and 20 faults: by time alone
         * it would be flagged (and 256 KiB too, 2.4x its memset) */
        static const double flat[3] = {40000, 40000, 42000};
        /* a little over 2x towards 4 MiB, where the memset grows 4x: over
         * half its growth on a log scale is zeroing's, and 1 MiB is flagged
         * though flat towards 256 KiB (flat needs every neighbour) */
        static const double grows[3] = {40000, 40000, 82000};
        json_t *flags, *f;
        (void)state;
        flags = cz_sweep3("musl", flat, two);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);

        flags = cz_sweep3("musl", grows, two);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "calloc-zeroing", "warn", "musl", "calloc-sweep");
        check_where_size(f, 1 * MIB);
        assert_near(at(ev_array(f, "sizes", 1), 0), 1 * MIB, 0);
        json_decref(flags);

        /* faults are counts: a flat cost that faults in every page is flagged */
        flags = cz_sweep3("mimalloc", flat, every);
        assert_int_equal(json_array_size(flags), 1);
        ev_array(json_array_get(flags, 0), "sizes", 3);
        json_decref(flags);
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

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cz_faults_fire_high),
            cmocka_unit_test(test_cz_faults_just_below_half),
            cmocka_unit_test(test_cz_below_128k_never),
            cmocka_unit_test(test_cz_time_fires_warn),
            cmocka_unit_test(test_cz_time_needs_memset_of_4_faults),
            cmocka_unit_test(test_cz_time_high_from_32mib),
            cmocka_unit_test(test_cz_time_flat_cost_is_not_zeroing),
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
