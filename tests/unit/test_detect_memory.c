/*
 * test_detect_memory.c - vsz-bloat, rss-retention, leak-growth and
 * address-space-growth on the kernels' hand-made results documents:
 * documents that make each fire, and documents at its boundaries that must
 * not.
 */

#include "detect_fixtures.h"

/* ---- vsz-bloat ---------------------------------------------------------------- */

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
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(flags, 0), "severity")), "warn");
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

int main(void)
{
        const struct CMUnitTest tests[] = {
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
