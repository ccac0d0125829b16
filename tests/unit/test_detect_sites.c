/*
 * test_detect_sites.c - the site detectors (leak-site, zeroing-site,
 * churn-site, reserve-site) on hand-made results documents with --trace
 * sites: each firing with its evidence, and not firing at its boundaries
 * (plateaus, floors, too few rounds, a program's phases, mappings released
 * on another stack, a stack strace and the tracer both saw).
 */
#include "detect_fixtures.h"

#define TIMER "ab-runner!xalloc<timer_new<open_conn<one_round<conn_leak_run<run_workload"
#define CONN  "ab-runner!xalloc<open_conn<one_round<conn_leak_run<run_workload<main"
#define CACHE "ab-runner!xalloc<cache_put<lookup<one_round<conn_leak_run<run_workload"
#define FFI   "libffi.so!?<ffi_call<_ctypes.so!?<python3.11!_PyObject_MakeTpCall"

/* A conn-leak run of doc (borrowed) with one unswept point. */
static json_t *kernel_run(json_t *doc, const char *alloc)
{
        json_t *run =
            add_run(doc, alloc, "conn-leak", "conn-leak",
                    json_pack("{s:i,s:i,s:i}", "connections", 512, "rounds", 10, "leak_every", 64));
        add_point(run, NULL, 40, 2);
        return run;
}

/* A cmd run of doc (borrowed): a program with one point. */
static json_t *prog_run(json_t *doc, const char *alloc)
{
        json_t *r = add_run(doc, alloc, "cmd", "cmd", NULL);
        json_object_set_new(r, "program", json_pack("[s,s]", "/usr/bin/server", "--serve"));
        add_point(r, NULL, 5e8, 1e7);
        return r;
}

/* y[i] = first + step * i. */
static void linear(double *y, size_t n, double first, double step)
{
        for (size_t i = 0; i < n; i++)
                y[i] = first + step * (double)i;
}

/* The flags of one detector over a document holding run. */
static json_t *one(ab_detector_fn fn, json_t *doc, json_t *run)
{
        return run_detector(fn, doc, run);
}

static void check_where_site(json_t *f, const char *key)
{
        json_t *w = get(f, "where");
        assert_int_equal(json_object_size(w), 1);
        assert_string_equal(str(w, "site"), key);
}

/* ---- leak-site -------------------------------------------------------------------- */

/* conn-leak with leak_every=64: the timer's site holds 512 B more after
 * every round (512 connections / 64, 64 B each); the connections' buffers
 * are freed every round and a cache filled in round 0 stays as it is. One
 * flag, on the timer. */
static void test_leak_site_fires(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f;
        double leak[10], flat[10], cache[10];
        (void)state;
        run = kernel_run(doc, "glibc");
        add_trace_point(run, 0, 10, NULL);
        for (size_t i = 0; i < 10; i++) {
                leak[i] = 512.0 * (double)(i + 1);
                flat[i] = 0;
                cache[i] = 64 * KIB + (i % 2 ? 64 : 0); /* full from round 0, a wobble */
        }
        add_site(run, 0, CONN, json_pack("{s:i,s:i}", "allocs", 15360, "frees", 15360), flat, 10);
        add_site(run, 0, TIMER, json_pack("{s:i,s:i}", "allocs", 5120, "frees", 5040), leak, 10);
        add_site(run, 0, CACHE, json_pack("{s:i}", "allocs", 1024), cache, 10);
        flags = one(ab_detect_leak_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-site", "warn", "glibc", "conn-leak");
        check_where_site(f, TIMER);
        assert_near(ev(f, "bytes_per_round"), 512, 1e-6);
        assert_near(ev(f, "blocks_per_round"), 8, 1e-9);
        assert_near(ev(f, "live_bytes_first"), 1536, 0);
        assert_near(ev(f, "live_bytes_last"), 5120, 0);
        assert_near(ev(f, "rounds_used"), 8, 0);
        assert_near(ev(f, "first_round_used"), 2, 0);
        assert_true(json_is_null(get(get(f, "evidence"), "phase")));
        assert_true(contains(str(f, "message"), "xalloc < timer_new < open_conn stay live"));
        assert_true(contains(str(f, "message"), "512 B more after every round"));
        json_decref(flags);
        /* registered: every detector over the document raises it once */
        assert_true(detect_all(doc) >= 1);
        assert_int_equal(count_kind(get(doc, "flags"), "leak-site"), 1);
        json_decref(doc);
}

/* A run whose points sweep leak_every: the flag names the point too. */
static void test_leak_site_where_swept(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *w;
        double leak[10], flat[10];
        (void)state;
        run = add_run(doc, "jemalloc", "conn-leak", "conn-leak",
                      json_pack("{s:[i,i],s:i}", "leak_every", 0, 64, "rounds", 10));
        add_point(run, json_pack("{s:i}", "leak_every", 0), 40, 2);
        add_point(run, json_pack("{s:i}", "leak_every", 64), 40, 2);
        add_trace_point(run, 0, 10, NULL);
        add_trace_point(run, 1, 10, NULL);
        linear(leak, 10, 512, 512);
        linear(flat, 10, 0, 0);
        add_site(run, 0, TIMER, NULL, flat, 10);
        add_site(run, 1, TIMER, NULL, leak, 10);
        flags = one(ab_detect_leak_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        w = get(json_array_get(flags, 0), "where");
        assert_int_equal(json_object_size(w), 2);
        assert_int_equal(json_integer_value(get(w, "leak_every")), 64);
        assert_string_equal(str(w, "site"), TIMER);
        json_decref(flags);
        json_decref(doc);
}

/* One site's live bytes over n rounds from first, step a round: its flags. */
static json_t *leak_flags(size_t n, double first, double step)
{
        json_t *doc = doc_new(NULL), *run, *flags;
        double y[64];
        run = kernel_run(doc, "glibc");
        add_trace_point(run, 0, n, NULL);
        linear(y, n, first, step);
        add_site(run, 0, TIMER, NULL, y, n);
        flags = one(ab_detect_leak_site, doc, run);
        json_decref(doc);
        return flags;
}

static void expect_leak(size_t n, double first, double step, const char *severity)
{
        json_t *flags = leak_flags(n, first, step);
        if (!severity)
                assert_int_equal(json_array_size(flags), 0);
        else {
                assert_int_equal(json_array_size(flags), 1);
                assert_string_equal(str(json_array_get(flags, 0), "severity"), severity);
        }
        json_decref(flags);
}

/* The floors: 64 B a round; warm-up + 4 rounds; a rise after the warm-up
 * of 4 rounds' worth (a straight line over 4 rounds used rises 3); high
 * from 1 MiB a round or 64 MiB live at the end. */
static void test_leak_site_floors(void **state)
{
        (void)state;
        expect_leak(10, 0, 63, NULL);
        expect_leak(10, 0, 64, "warn");
        expect_leak(4, 0, 1024, NULL); /* warm-up 1: 3 rounds used */
        expect_leak(5, 0, 1024, NULL); /* 4 rounds used, rising 3 KiB */
        expect_leak(6, 0, 1024, "warn");
        expect_leak(10, 0, 0, NULL);
        expect_leak(10, 0, -512, NULL); /* shrinking */
        expect_leak(10, 0, MIB, "high");
        expect_leak(10, 0, MIB - 1, "warn");
        expect_leak(10, 63.5 * MIB, 64 * KIB, "high"); /* 64.06 MiB after the last */
        expect_leak(10, 63 * MIB, 64 * KIB, "warn");   /* 63.56 MiB */
}

/* A bounded cache filling in round 0, missing rounds, a site without
 * rounds: no flag. */
static void test_leak_site_plateau_and_gaps(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags;
        double plateau[10], gap[10];
        (void)state;
        run = kernel_run(doc, "glibc");
        add_trace_point(run, 0, 10, NULL);
        linear(gap, 10, 0, 4096);
        gap[6] = NAN;
        for (size_t i = 0; i < 10; i++)
                plateau[i] = 8 * MIB;
        plateau[0] = 0; /* filled during round 0 */
        plateau[1] = 6 * MIB;
        add_site(run, 0, CACHE, NULL, plateau, 10);
        add_site(run, 0, TIMER, NULL, gap, 10);
        add_site(run, 0, CONN, json_pack("{s:i}", "live_bytes", 1 << 20), NULL, 0);
        flags = one(ab_detect_leak_site, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

static const char *const startup_serve[12] = {"startup", "startup", "startup", "startup",
                                              "startup", "startup", "serve",   "serve",
                                              "serve",   "serve",   "serve",   "serve"};
static const char *const startup4_serve8[12] = {"startup", "startup", "startup", "startup",
                                                "serve",   "serve",   "serve",   "serve",
                                                "serve",   "serve",   "serve",   "serve"};

/* A program that grows 1 MiB a round while starting and then holds what
 * it has: the trend reads only the last phase. The same series without
 * phases, or in a kernel run (which names none), is a leak. */
static void test_leak_site_phases(void **state)
{
        json_t *doc, *run, *flags, *f;
        double y[12];
        const char *const none[12] = {NULL};
        (void)state;
        for (size_t i = 0; i < 12; i++)
                y[i] = (double)(i < 6 ? i + 1 : 6) * MIB;

        doc = doc_new(NULL);
        run = prog_run(doc, "glibc");
        add_trace_point(run, 0, 12, startup_serve);
        add_site(run, 0, CACHE, NULL, y, 12);
        flags = one(ab_detect_leak_site, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);

        doc = doc_new(NULL);
        run = prog_run(doc, "glibc");
        add_trace_point(run, 0, 12, none);
        add_site(run, 0, CACHE, NULL, y, 12);
        flags = one(ab_detect_leak_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        json_decref(flags);
        json_decref(doc);

        doc = doc_new(NULL);
        run = kernel_run(doc, "glibc");
        add_trace_point(run, 0, 12, startup_serve);
        add_site(run, 0, CACHE, NULL, y, 12);
        flags = one(ab_detect_leak_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        json_decref(flags);
        json_decref(doc);

        /* start-up frees what it built; serving leaks 4 KiB a round: the
         * rounds of "serve" after its warm-up round are read */
        doc = doc_new(NULL);
        run = prog_run(doc, "glibc");
        add_trace_point(run, 0, 12, startup4_serve8);
        for (size_t i = 0; i < 12; i++)
                y[i] = i < 4 ? (double)(4 - i) * MIB : 4096.0 * (double)(i - 4);
        add_site(run, 0, TIMER, NULL, y, 12);
        flags = one(ab_detect_leak_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-site", "warn", "glibc", "cmd");
        assert_near(ev(f, "bytes_per_round"), 4096, 1e-6);
        assert_near(ev(f, "first_round_used"), 5, 0);
        assert_near(ev(f, "rounds_used"), 7, 0);
        assert_string_equal(str(get(f, "evidence"), "phase"), "serve");
        json_decref(flags);
        json_decref(doc);
}

/* ---- zeroing-site ------------------------------------------------------------------- */

/* A site's big callocs: calls of avg bytes, ns each, minflt in all; frees
 * of its blocks. */
static void zc_site(json_t *run, const char *key, double calls, double avg, double ns,
                    double minflt, double frees)
{
        add_site(run, 0, key,
                 json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "allocs", calls, "frees", frees,
                           "bytes_alloc", calls * avg, "big_ops", calls + frees, "zc_calls", calls,
                           "zc_ns", calls * ns, "zc_minflt", minflt, "zc_bytes", calls * avg),
                 NULL, 0);
}

/* The flags of one site's callocs, calibrated at 16 B/ns and fault_ns. */
static json_t *zc_flags(const char *alloc, double fault_ns, double calls, double avg, double ns,
                        double minflt)
{
        json_t *doc = doc_new(cal_flat(16, fault_ns)), *run, *flags;
        run = prog_run(doc, alloc);
        add_trace_point(run, 0, 0, NULL);
        zc_site(run, FFI, calls, avg, ns, minflt, calls);
        flags = one(ab_detect_zeroing_site, doc, run);
        json_decref(doc);
        return flags;
}

static void expect_zc(double fault_ns, double calls, double avg, double ns, double minflt,
                      const char *severity)
{
        json_t *flags = zc_flags("glibc", fault_ns, calls, avg, ns, minflt);
        if (!severity)
                assert_int_equal(json_array_size(flags), 0);
        else {
                assert_int_equal(json_array_size(flags), 1);
                assert_string_equal(str(json_array_get(flags, 0), "severity"), severity);
        }
        json_decref(flags);
}

/* What mimalloc did here: 40 callocs of 64 MiB through ctypes, 23.5 ms
 * each, every page faulted in (655640 faults for 655360 pages); jemalloc
 * answered the same callocs in 1.6 us with 24 faults. */
static void test_zeroing_site_mimalloc_not_jemalloc(void **state)
{
        json_t *flags, *f;
        (void)state;
        flags = zc_flags("mimalloc", 1722, 40, 64 * MIB, 2.353e7, 655640);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "zeroing-site", "high", "mimalloc", "cmd");
        check_where_site(f, FFI);
        assert_near(ev(f, "calloc_calls"), 40, 0);
        assert_near(ev(f, "avg_bytes"), 64 * MIB, 0);
        assert_near(ev(f, "ns_per_call"), 2.353e7, 1);
        assert_near(ev(f, "memset_ns"), 64 * MIB / 16, 1);
        assert_near(ev(f, "pages_faulted"), 655640.0 / 655360, 1e-9);
        assert_near(ev(f, "ratio_to_memset"), 2.353e7 / (64 * MIB / 16), 1e-6);
        assert_true(contains(str(f, "message"), "calloc of 64 MiB at libffi.so!? < ffi_call"));
        assert_true(contains(str(f, "message"), "over 40 calls"));
        assert_true(contains(str(f, "hint"), "MIMALLOC_PURGE_DELAY"));
        json_decref(flags);

        flags = zc_flags("jemalloc", 1722, 40, 64 * MIB, 1616, 24);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
}

/* By time: a calibrated memset of 1 MiB is 65536 ns here, 65x a 1000 ns
 * fault; half of it is the line. By faults: half the pages; high from 90%
 * or 32 MiB. At least 2 callocs, and 1 ms spent in them in all. */
static void test_zeroing_site_boundaries(void **state)
{
        (void)state;
        expect_zc(1000, 40, MIB, 0.5 * 65536, 0, "warn");
        expect_zc(1000, 40, MIB, 0.49 * 65536, 0, NULL);
        expect_zc(1000, 40, MIB, 30000, 0.5 * 10240, "warn");
        expect_zc(1000, 40, MIB, 30000, 0.5 * 10240 - 1, NULL);
        expect_zc(1000, 40, MIB, 30000, 0.9 * 10240, "high");
        expect_zc(1000, 40, MIB, 30000, 0.9 * 10240 - 1, "warn");
        expect_zc(1000, 10, 32 * MIB, 0.6 * 32 * MIB / 16, 0, "high");
        expect_zc(1000, 1, MIB, 2e6, 256, NULL);
        expect_zc(1000, 2, MIB, 6e5, 2 * 256, "high");
        /* material: 10 callocs of 1 MiB zeroing at 65.5 us are 0.66 ms in
         * all (Python's start-up lists): not a finding; 20 of them are */
        expect_zc(1000, 10, MIB, 65536, 0, NULL);
        expect_zc(1000, 20, MIB, 65536, 0, "warn");
        /* a memset of 256 KiB (16384 ns) below 4 faults is not told from
         * fixed costs; at 4 faults it is */
        expect_zc(5000, 100, 256 * KIB, 16000, 0, NULL);
        expect_zc(4096, 100, 256 * KIB, 16000, 0, "warn");
        /* smaller than 128 KiB on average: not what the tracer times */
        expect_zc(1000, 10, 64 * KIB, 1e6, 160, NULL);
}

/* Without calibration the faults still decide, and the message gives no
 * ratio; a site that frees none of its blocks hears it is not reuse. */
static void test_zeroing_site_uncalibrated_fresh(void **state)
{
        json_t *doc = doc_new(cal_uncalibrated()), *run, *flags, *f;
        (void)state;
        run = prog_run(doc, "tcmalloc");
        add_trace_point(run, 0, 0, NULL);
        zc_site(run, FFI, 20, 192 * KIB, 7.3e4, 960, 0);
        zc_site(run, TIMER, 10, MIB, 1e6, 0, 10); /* by time only: not without calibration */
        flags = one(ab_detect_zeroing_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "zeroing-site", "high", "tcmalloc", "cmd");
        assert_true(json_is_null(get(get(f, "evidence"), "ratio_to_memset")));
        assert_false(contains(str(f, "message"), "memset"));
        assert_true(contains(str(f, "message"), "faults its pages in"));
        assert_true(contains(str(f, "hint"), "freed none"));
        json_decref(flags);
        json_decref(doc);
}

/* ---- churn-site ---------------------------------------------------------------------- */

#define MAPPER "app!scratch<handle<main"
#define FREER  "app!main<libc.so!__libc_start_call_main"
#define KEEPER "app!arena_init<main"

/* A site's own mapping calls and bytes. */
static json_t *map_totals(double maps, double map_bytes, double unmaps, double unmap_bytes)
{
        return json_pack("{s:f,s:f,s:f,s:f}", "map_calls", maps, "map_bytes", map_bytes,
                         "unmap_calls", unmaps, "unmap_bytes", unmap_bytes);
}

/* A kernel run with a 10-round trace pass; a 1 GiB mapping kept by
 * another stack, so only a stack's own munmaps say it unmaps. */
static json_t *churn_run(json_t *doc)
{
        json_t *run = kernel_run(doc, "glibc");
        add_trace_point(run, 0, 10, NULL);
        add_site(run, 0, KEEPER, map_totals(1, 1024 * MIB, 0, 0), NULL, 0);
        return run;
}

static void test_churn_site_maps(void **state)
{
        json_t *doc = doc_new(cal_flat(16, 1000)), *run, *flags, *f;
        (void)state;
        run = churn_run(doc);
        add_site(run, 0, MAPPER, map_totals(64, 64 * MIB, 32, 32 * MIB), NULL, 0);
        flags = one(ab_detect_churn_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "churn-site", "warn", "glibc", "conn-leak");
        check_where_site(f, MAPPER);
        assert_near(ev(f, "map_calls"), 64, 0);
        assert_near(ev(f, "unmap_calls"), 32, 0);
        assert_near(ev(f, "map_calls_per_round"), 6.4, 1e-9);
        assert_string_equal(str(get(f, "evidence"), "source"), "tracer");
        assert_true(contains(str(f, "message"), "scratch < handle < main maps and unmaps 64 "
                                                "times, 6.4 a round"));
        json_decref(flags);
        json_decref(doc);

        /* below the floors: 63 maps; 31 munmaps of 64 */
        doc = doc_new(NULL);
        run = churn_run(doc);
        add_site(run, 0, MAPPER, map_totals(63, 63 * MIB, 63, 63 * MIB), NULL, 0);
        add_site(run, 0, CONN, map_totals(64, 64 * MIB, 31, 31 * MIB), NULL, 0);
        flags = one(ab_detect_churn_site, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* munmap counts on the stack that calls it: a buffer freed by another
 * function (or by a tail call) is unmapped on another stack. The point
 * left nothing mapped, so the mapping stack churns; with a 1 GiB mapping
 * kept elsewhere it cannot be told, and is not flagged. */
static void test_churn_site_unmapped_elsewhere(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f;
        (void)state;
        run = kernel_run(doc, "glibc");
        add_trace_point(run, 0, 10, NULL);
        add_site(run, 0, MAPPER, map_totals(100, 100 * MIB, 0, 0), NULL, 0);
        add_site(run, 0, FREER, map_totals(0, 0, 100, 100 * MIB), NULL, 0);
        flags = one(ab_detect_churn_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_where_site(f, MAPPER);
        assert_near(ev(f, "point_net_mapped_bytes"), 0, 0);
        assert_true(contains(str(f, "message"), "the munmaps are on another stack"));
        json_decref(flags);
        add_site(run, 0, KEEPER, map_totals(1, 1024 * MIB, 0, 0), NULL, 0);
        flags = one(ab_detect_churn_site, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* A site's big-block operations. */
static json_t *big_totals(double big, double allocs, double frees)
{
        return json_pack("{s:f,s:f,s:f,s:f}", "big_ops", big, "allocs", allocs, "frees", frees,
                         "bytes_alloc", allocs * 256 * KIB);
}

/* The flags of one site of big blocks; munmap per op of the point's
 * --syscalls pass (NAN: no pass). */
static json_t *big_flags(json_t *totals, double munmap)
{
        json_t *doc = doc_new(NULL), *run, *flags, *p;
        run = kernel_run(doc, "jemalloc");
        p = json_array_get(get(run, "points"), 0);
        if (!isnan(munmap))
                json_object_set_new(p, "syscalls_per_op",
                                    json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:i}", "mmap", munmap,
                                              "munmap", munmap, "mprotect", 0.0, "madvise", 0.0,
                                              "brk", 0.0, "mremap", 0.0, "ops", 40));
        add_trace_point(run, 0, 10, NULL);
        add_site(run, 0, CONN, totals, NULL, 0);
        flags = one(ab_detect_churn_site, doc, run);
        json_decref(doc);
        return flags;
}

static void expect_big(json_t *totals, double munmap, const char *severity)
{
        json_t *flags = big_flags(totals, munmap);
        if (!severity)
                assert_int_equal(json_array_size(flags), 0);
        else {
                assert_int_equal(json_array_size(flags), 1);
                assert_string_equal(str(json_array_get(flags, 0), "severity"), severity);
        }
        json_decref(flags);
}

static void test_churn_site_big_blocks(void **state)
{
        json_t *flags, *f;
        (void)state;
        flags = big_flags(big_totals(80, 40, 40), NAN);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "churn-site", "info", "jemalloc", "conn-leak");
        check_where_site(f, CONN);
        assert_near(ev(f, "big_ops"), 80, 0);
        assert_near(ev(f, "bytes_per_alloc"), 256 * KIB, 0);
        assert_true(json_is_null(get(get(f, "evidence"), "munmap_per_op")));
        assert_true(contains(str(f, "message"), "80 such operations"));
        assert_true(contains(str(f, "hint"), "--syscalls"));
        json_decref(flags);

        expect_big(big_totals(80, 40, 40), 1.0, "warn");
        expect_big(big_totals(80, 40, 40), 0.25, "warn");
        expect_big(big_totals(80, 40, 40), 0.24, "info");
        expect_big(big_totals(63, 40, 40), NAN, NULL);   /* under 64 */
        expect_big(big_totals(80, 40, 19), NAN, NULL);   /* frees under half */
        expect_big(big_totals(80, 100, 100), NAN, NULL); /* most of its operations small */
        expect_big(big_totals(100, 100, 100), NAN, "info");
}

/* A stack strace saw as well as the tracer: one flag, the tracer's; a
 * stack only strace saw (the allocator's own mappings): flagged from it. */
static void test_churn_site_strace(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *s;
        (void)state;
        run = churn_run(doc);
        add_site(run, 0, MAPPER, map_totals(100, 100 * MIB, 100, 100 * MIB), NULL, 0);
        s = add_site(run, 0, MAPPER, map_totals(100, 100 * MIB, 100, 100 * MIB), NULL, 0);
        json_object_set_new(s, "source", json_string("strace"));
        flags = one(ab_detect_churn_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        assert_string_equal(str(get(json_array_get(flags, 0), "evidence"), "source"), "tracer");
        json_decref(flags);
        s = add_site(run, 0, CONN, map_totals(200, 200 * MIB, 200, 200 * MIB), NULL, 0);
        json_object_set_new(s, "source", json_string("strace"));
        flags = one(ab_detect_churn_site, doc, run);
        assert_int_equal(json_array_size(flags), 2);
        assert_string_equal(str(get(json_array_get(flags, 1), "evidence"), "source"), "strace");
        check_where_site(json_array_get(flags, 1), CONN);
        assert_true(contains(str(json_array_get(flags, 1), "hint"), "mmap_threshold"));
        json_decref(flags);
        json_decref(doc);
}

/* ---- reserve-site ---------------------------------------------------------------------- */

#define POOL  "app!reserve_pool<main<libc.so!__libc_start_call_main"
#define ARENA "worker!handle<worker_main<libc.so!start_thread"

static json_t *res_totals(double reserve, double unmap, double commit)
{
        return json_pack("{s:i,s:f,s:f,s:f,s:i,s:f}", "map_calls", 1, "map_bytes", reserve,
                         "reserve_bytes", reserve, "unmap_bytes", unmap, "commit_calls", 1,
                         "commit_bytes", commit);
}

/* The flags of one reserving site (from source). */
static json_t *res_flags(json_t *totals, const char *source)
{
        json_t *doc = doc_new(NULL), *run, *flags, *s;
        run = prog_run(doc, "glibc");
        add_trace_point(run, 0, 0, NULL);
        s = add_site(run, 0, POOL, totals, NULL, 0);
        if (source)
                json_object_set_new(s, "source", json_string(source));
        flags = one(ab_detect_reserve_site, doc, run);
        json_decref(doc);
        return flags;
}

static void expect_res(json_t *totals, const char *severity)
{
        json_t *flags = res_flags(totals, NULL);
        if (!severity)
                assert_int_equal(json_array_size(flags), 0);
        else {
                assert_int_equal(json_array_size(flags), 1);
                assert_string_equal(str(json_array_get(flags, 0), "severity"), severity);
        }
        json_decref(flags);
}

static void test_reserve_site(void **state)
{
        json_t *flags, *f, *t;
        (void)state;
        flags = res_flags(res_totals(2048 * MIB, 0, MIB), NULL);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "reserve-site", "high", "glibc", "cmd");
        check_where_site(f, POOL);
        assert_near(ev(f, "left_bytes"), 2048 * MIB, 0);
        assert_near(ev(f, "commit_bytes"), MIB, 0);
        assert_true(contains(str(f, "message"), "reserve_pool < main < __libc_start_call_main "
                                                "reserves 2 GiB"));
        assert_true(contains(str(f, "hint"), "ulimit -v"));
        json_decref(flags);

        /* an aligned reservation: twice the size mapped, half trimmed */
        expect_res(res_totals(128 * MIB, 64 * MIB, MIB), "warn");
        expect_res(res_totals(128 * MIB, 65 * MIB, MIB), NULL);
        expect_res(res_totals(1024 * MIB, 0, 256 * MIB), "high");
        expect_res(res_totals(1024 * MIB, 0, 256 * MIB + 1), NULL);
        expect_res(res_totals(1024 * MIB - 1, 0, 0), "warn");
        /* a figure missing: not decided */
        t = res_totals(1024 * MIB, 0, 0);
        json_object_set_new(t, "commit_bytes", json_null());
        expect_res(t, NULL);
}

/* A pool reserved per request and released by pool_destroy(): its munmaps
 * are on another stack, and the point left nothing mapped. */
static void test_reserve_site_released_elsewhere(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags;
        (void)state;
        run = prog_run(doc, "glibc");
        add_trace_point(run, 0, 0, NULL);
        add_site(run, 0, POOL, res_totals(100 * 256 * MIB, 0, 100 * MIB), NULL, 0);
        add_site(run, 0, FREER, map_totals(0, 0, 100, 100 * 256 * MIB), NULL, 0);
        flags = one(ab_detect_reserve_site, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* glibc's thread arenas seen by strace: 8 threads each map 128 MiB
 * PROT_NONE, trim it to 64 MiB aligned and commit 132 KiB. Flagged from
 * strace; a stack the tracer saw reserving too is flagged once. */
static void test_reserve_site_strace_arenas(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f, *s;
        (void)state;
        run = kernel_run(doc, "glibc");
        add_trace_point(run, 0, 10, NULL);
        s = add_site(run, 0, ARENA, res_totals(8 * 128 * MIB, 8 * 64 * MIB, 8 * 132 * KIB), NULL,
                     0);
        json_object_set_new(s, "source", json_string("strace"));
        flags = one(ab_detect_reserve_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "reserve-site", "warn", "glibc", "conn-leak");
        assert_near(ev(f, "left_bytes"), 512 * MIB, 0);
        assert_string_equal(str(get(f, "evidence"), "source"), "strace");
        assert_true(contains(str(f, "hint"), "arena_max"));
        json_decref(flags);

        add_site(run, 0, ARENA, res_totals(8 * 128 * MIB, 8 * 64 * MIB, 8 * 132 * KIB), NULL, 0);
        flags = one(ab_detect_reserve_site, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        assert_string_equal(str(get(json_array_get(flags, 0), "evidence"), "source"), "tracer");
        json_decref(flags);
        json_decref(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_leak_site_fires),
            cmocka_unit_test(test_leak_site_where_swept),
            cmocka_unit_test(test_leak_site_floors),
            cmocka_unit_test(test_leak_site_plateau_and_gaps),
            cmocka_unit_test(test_leak_site_phases),
            cmocka_unit_test(test_zeroing_site_mimalloc_not_jemalloc),
            cmocka_unit_test(test_zeroing_site_boundaries),
            cmocka_unit_test(test_zeroing_site_uncalibrated_fresh),
            cmocka_unit_test(test_churn_site_maps),
            cmocka_unit_test(test_churn_site_unmapped_elsewhere),
            cmocka_unit_test(test_churn_site_big_blocks),
            cmocka_unit_test(test_churn_site_strace),
            cmocka_unit_test(test_reserve_site),
            cmocka_unit_test(test_reserve_site_released_elsewhere),
            cmocka_unit_test(test_reserve_site_strace_arenas),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
