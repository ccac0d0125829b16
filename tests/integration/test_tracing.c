/*
 * test_tracing.c - --trace end to end: the tracer preloaded in front of
 * each allocator (and a custom .so) for a trace pass after the timed
 * repetitions, the sites it finds in kernels and in real programs, their
 * per-round live bytes against the workload's own counts, and the emulator
 * traced from inside (--trace=launcher). Assertions are on counts.
 */
#include "itest.h"

/* The site of run i whose key contains `part`, or NULL. */
static json_t *site_with(json_t *doc, size_t i, const char *part)
{
        json_t *s;
        size_t k;
        json_array_foreach(json_object_get(run_i(doc, i), "sites"), k, s)
        {
                if (strstr(jstr(s, "key"), part))
                        return s;
        }
        return NULL;
}

static double total(json_t *site, const char *key)
{
        return num(json_object_get(site, "total"), key);
}

/* Round r of a site's series `key`. */
static double series(json_t *site, const char *key, size_t r)
{
        return json_number_value(
            json_array_get(json_object_get(json_object_get(site, "rounds"), key), r));
}

/* Flags of `kind` on run i's allocator (any allocator when NULL) whose
 * where.site contains `part` (any site when NULL): how many, the last in *f. */
static size_t site_flags(json_t *doc, const char *kind, const char *alloc, const char *part,
                         json_t **last)
{
        json_t *f;
        size_t k, n = 0;
        json_array_foreach(json_object_get(doc, "flags"), k, f)
        {
                const char *site = jstr(f, "where.site");
                if (strcmp(jstr(f, "kind"), kind) != 0 ||
                    (alloc && strcmp(jstr(f, "allocator"), alloc) != 0) ||
                    (part && (!site || !strstr(site, part))))
                        continue;
                n++;
                if (last)
                        *last = f;
        }
        return n;
}

static json_t *trace_point(json_t *doc, size_t i)
{
        return json_array_get(json_object_get(json_object_get(run_i(doc, i), "trace"), "points"),
                              0);
}

static const char *prog(const char *name)
{
        static char buf[4][512];
        static int k;
        char *p = buf[k++ % 4];
        snprintf(p, 512, "%s/progs/%s", build_dir, name);
        return p;
}

/* conn-leak with leak_every=64: the timer leaks through timer_new, exactly
 * 8 timers of 64 B a round (512 connections); every other site returns to
 * nothing at each round end. Under each allocator and a custom .so (the
 * tracer forwards to whichever serves malloc). Without the leak, the timer
 * site holds nothing. */
static void test_conn_leak_timer_site(void **state)
{
        const char *allocs[] = {"--alloc=glibc,jemalloc,tcmalloc,mimalloc", lib("abcount")};
        json_t *doc, *s;
        (void)state;
        for (size_t k = 0; k < 2; k++) {
                size_t nruns;
                doc = run_doc("cl-trace.json", allocs[k], "--workload=conn-leak", "--set",
                              "leak_every=64", "--reps", "1", "--trace", NULL);
                nruns = json_array_size(json_object_get(doc, "runs"));
                assert_int_equal(nruns, k == 0 ? 4 : 1);
                for (size_t i = 0; i < nruns; i++) {
                        json_t *t = trace_point(doc, i), *x;
                        size_t j;
                        assert_string_equal(jstr(t, "status"), "ok");
                        assert_int_equal(num(t, "rounds"), 10);
                        assert_int_equal(num(t, "processes"), 1);
                        s = site_with(doc, i, "timer_new<open_conn<one_round");
                        assert_non_null(s);
                        assert_non_null(strstr(jstr(s, "key"), "ab-runner!"));
                        for (size_t r = 0; r < 10; r++)
                                assert_int_equal(series(s, "live_bytes", r), 512 * (r + 1));
                        assert_int_equal(total(s, "live_blocks"), 80);
                        assert_int_equal(total(s, "allocs"), 5120);
                        /* every other site of the kernel frees what it took */
                        json_array_foreach(json_object_get(run_i(doc, i), "sites"), j, x)
                        {
                                if (x != s && strstr(jstr(x, "key"), "conn_leak_run"))
                                        assert_int_equal(series(x, "live_bytes", 9), 0);
                        }
                }
                /* exactly one leak-site per run: the timer's, 512 B a round */
                for (size_t i = 0; i < nruns; i++) {
                        const char *alloc = jstr(run_i(doc, i), "allocator.name");
                        json_t *f = NULL;
                        assert_int_equal(site_flags(doc, "leak-site", alloc, NULL, NULL), 1);
                        assert_int_equal(site_flags(doc, "leak-site", alloc, "timer_new", &f), 1);
                        assert_int_equal(num(json_object_get(f, "evidence"), "bytes_per_round"),
                                         512);
                }
                json_decref(doc);
        }
        doc = run_doc("cl-noleak.json", "--workload=conn-leak", "--reps", "1", "--trace", NULL);
        s = site_with(doc, 0, "timer_new");
        assert_non_null(s);
        assert_int_equal(total(s, "live_bytes"), 0);
        assert_int_equal(total(s, "allocs"), 5120);
        for (const char *const *k = (const char *const[]){"leak-site", "zeroing-site", "churn-site",
                                                          "reserve-site", NULL};
             *k; k++)
                assert_int_equal(site_flags(doc, *k, NULL, NULL, NULL), 0);
        json_decref(doc);
}

/* A program with threads that start and end, cross-thread frees, a fork
 * child and realloc chains: each site's live bytes at the end equal the
 * program's own count, printed by each of its processes. */
static void test_program_counts(void **state)
{
        json_t *doc;
        char text[4096];
        const char *fn[] = {"keep_chain", "thread_keep", "child_keep"};
        (void)state;
        doc = run_doc("ft.json", "--workload=cmd", "--reps", "1", "--trace", "--",
                      prog("forks_threads"), "4", "6", NULL);
        assert_string_equal(jstr(trace_point(doc, 0), "status"), "ok");
        assert_int_equal(num(trace_point(doc, 0), "processes"), 2);
        assert_int_equal(num(trace_point(doc, 0), "rounds"), 6);
        slurp(tmpfile_path("ft.program/glibc.stdout"), text, sizeof text);
        for (size_t i = 0; i < 3; i++) {
                char want[64], *at;
                json_t *s;
                snprintf(want, sizeof want, "live %s ", fn[i]);
                at = strstr(text, want);
                assert_non_null(at);
                snprintf(want, sizeof want, "forks_threads!%s<", fn[i]);
                s = site_with(doc, 0, want);
                assert_non_null(s);
                assert_int_equal(total(s, "live_bytes"),
                                 strtoll(at + strlen("live ") + strlen(fn[i]), NULL, 10));
        }
        /* the threads' scratch is freed where it was allocated */
        assert_int_equal(total(site_with(doc, 0, "forks_threads!thread_scratch<"), "live_bytes"),
                         0);
        json_decref(doc);
}

/* A server with a bounded session cache (full after its first round, then
 * replaced entry by entry) and a timer that leaks on its own call chain:
 * the timer's site is the one leak-site; the cache's plateau is not one. */
static void test_bounded_cache(void **state)
{
        json_t *doc, *cache;
        char tsrv[600];
        (void)state;
        snprintf(tsrv, sizeof tsrv, "%s/traced_server", build_dir);
        doc = run_doc("cache.json", "--workload=cmd", "--reps", "1", "--trace", "--", tsrv, "1",
                      "20", "512", NULL);
        assert_int_equal(num(trace_point(doc, 0), "rounds"), 20);
        cache = site_with(doc, 0, "session_put");
        assert_non_null(cache);
        /* it plateaus: full from the first round on */
        assert_int_equal(series(cache, "live_bytes", 19), series(cache, "live_bytes", 0));
        assert_true(series(cache, "live_bytes", 0) > 0);
        assert_int_equal(site_flags(doc, "leak-site", NULL, NULL, NULL), 1);
        assert_int_equal(site_flags(doc, "leak-site", NULL, "timer_new<conn_open", NULL), 1);
        json_decref(doc);
}

/* PyOpenSSL's recv pattern: 64 MiB callocs freed again, through ctypes.
 * mimalloc zeroes each one (a zeroing-site on that path); jemalloc answers
 * with memory it knows is zero (none). */
static void test_python_zeroing(void **state)
{
        json_t *doc, *f = NULL;
        (void)state;
        doc = run_doc("zero.json", "--alloc=mimalloc,jemalloc", "--workload=cmd", "--reps", "1",
                      "--trace", "--", "/usr/bin/python3", "tests/integration/progs/calloc_loop.py",
                      "40", "64", NULL);
        assert_int_equal(site_flags(doc, "zeroing-site", "mimalloc", "ffi_call", &f), 1);
        assert_int_equal(num(json_object_get(f, "evidence"), "calloc_calls"), 40);
        assert_int_equal(num(json_object_get(f, "evidence"), "avg_bytes"), 64 << 20);
        assert_int_equal(site_flags(doc, "zeroing-site", "jemalloc", NULL, NULL), 0);
        json_decref(doc);
}

/* The arena story: glibc's 64 MiB reservations per thread arena never pass
 * through an interposed mmap; with --syscalls --trace, strace's stacks give
 * them the worker's site, and reserve-site names it. */
static void test_arena_reservations(void **state)
{
        json_t *doc, *f = NULL;
        (void)state;
        doc = run_doc("arena.json", "--alloc=glibc", "--workload=arena-churn", "--threads", "8",
                      "--syscalls", "--trace", "--reps", "1", NULL);
        assert_int_equal(site_flags(doc, "reserve-site", "glibc", "thread_main", &f), 1);
        assert_string_equal(jstr(json_object_get(f, "evidence"), "source"), "strace");
        /* 64 MiB for each arena glibc made: 8 threads on 2 cores, 8 arenas */
        assert_true(num(json_object_get(f, "evidence"), "left_bytes") >= 2 * 64.0 * 1024 * 1024);
        json_decref(doc);
}

/* The emulator story, traced from inside the emulator: under
 * qemu-x86_64, mmap-sweep's rounds leave QEMU's page tracking behind (glib's
 * allocator called from page_find_alloc), growing every round; natively
 * nothing the workload allocates stays. */
static void test_launcher(void **state)
{
        json_t *doc, *s, *x;
        size_t k;
        (void)state;
        doc = run_doc("qemu-trace.json", "--wrap", "none,qemu-x86_64", "--workload=mmap-sweep",
                      "--reps", "1", "--trace=launcher", NULL);
        assert_string_equal(jstr(json_object_get(run_i(doc, 0), "trace"), "target"), "program");
        assert_string_equal(jstr(json_object_get(run_i(doc, 1), "trace"), "target"), "launcher");
        assert_int_equal(num(trace_point(doc, 1), "rounds"), 20);
        s = site_with(doc, 1, "page_find_alloc");
        assert_non_null(s);
        assert_non_null(strstr(jstr(s, "key"), "qemu-x86_64!"));
        for (size_t r = 5; r < 20; r++)
                assert_true(series(s, "live_bytes", r) > series(s, "live_bytes", r - 1));
        json_array_foreach(json_object_get(run_i(doc, 0), "sites"), k, x)
            assert_true(series(x, "live_bytes", 19) <= series(x, "live_bytes", 4));
        json_decref(doc);
}

/* The pass is extra: timed repetitions stay untraced (their op counts and
 * stream as without --trace), and bad --trace input is refused. */
static void test_options(void **state)
{
        const char *out = tmpfile_path("opt.json");
        json_t *a, *b;
        (void)state;
        a = run_doc("plain.json", "--workload=conn-leak", "--reps", "2", NULL);
        b = run_doc("traced.json", "--workload=conn-leak", "--reps", "2", "--trace", NULL);
        assert_string_equal(jstr(run_i(a, 0), "op_hash"), jstr(run_i(b, 0), "op_hash"));
        assert_null(json_object_get(run_i(a, 0), "sites"));
        assert_true(json_array_size(json_object_get(run_i(b, 0), "sites")) > 0);
        json_decref(a);
        json_decref(b);
        assert_int_equal(run("--workload=conn-leak", "-o", out, "--trace-sample", "1M"), 1);
        assert_non_null(strstr(errtext, "--trace-sample needs --trace"));
        assert_int_equal(run("--workload=conn-leak", "-o", out, "--trace=all"), 1);
        assert_non_null(strstr(errtext, "accepted: program or launcher"));
        assert_int_equal(run("--workload=conn-leak", "-o", out, "--trace=launcher"), 1);
        assert_non_null(strstr(errtext, "needs an emulator"));
        assert_int_equal(run("--workload=conn-leak", "-o", out, "--trace", "--trace-depth", "0"),
                         1);
        assert_false(exists(out));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_conn_leak_timer_site),
            cmocka_unit_test(test_program_counts),
            cmocka_unit_test(test_bounded_cache),
            cmocka_unit_test(test_python_zeroing),
            cmocka_unit_test(test_arena_reservations),
            cmocka_unit_test(test_launcher),
            cmocka_unit_test(test_options),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
