/*
 * End-to-end tests of bench run: drive the real ./bench with the real allocators from
 * Debian's packages and the in-tree ones, parse the results files it writes,
 * and check what it promises. Environment: AB_BENCH (default ./bench) and
 * AB_BUILD (default build) name the binaries under test.
 */
#include "itest.h"

/* The in-tree counting allocator, preloaded: the runner must find malloc
 * served by that very file and read the version the library itself reports. */
static void test_preload_takes_effect(void **state)
{
        char lib[512], real[4096];
        const char *out = tmpfile_path("count.json");
        json_t *doc, *run0;
        (void)state;
        snprintf(lib, sizeof lib, "%s/libabcount.so", build_dir);
        assert_non_null(realpath(lib, real));
        assert_int_equal(run("--alloc", lib, "--workload=calloc-sweep", "--set", "sizes=4k",
                             "--set", "iterations=1000", "--reps", "2", "-q", "-o", out),
                         0);
        doc = load(out);
        run0 = json_array_get(json_object_get(doc, "runs"), 0);
        assert_string_equal(jstr(run0, "allocator.version"), "abcount 1.0");
        assert_string_equal(jstr(run0, "allocator.library"), real);
        json_decref(doc);
}

static void check_run(json_t *run0, const char *name, const char *version_prefix, int npoints,
                      int reps, long long ops)
{
        json_t *points = json_object_get(run0, "points");
        size_t i;
        json_t *p;
        assert_string_equal(jstr(run0, "allocator.name"), name);
        assert_non_null(jstr(run0, "allocator.version"));
        assert_true(strncmp(jstr(run0, "allocator.version"), version_prefix,
                            strlen(version_prefix)) == 0);
        assert_string_equal(jstr(run0, "status"), "ok");
        assert_int_equal(strlen(jstr(run0, "op_hash")), 16);
        assert_int_equal(json_array_size(points), npoints);
        json_array_foreach(points, i, p)
        {
                json_t *ns = json_object_get(p, "ns_per_op");
                assert_string_equal(jstr(p, "status"), "ok");
                assert_int_equal(json_integer_value(json_object_get(p, "ops")), ops);
                assert_int_equal(json_integer_value(json_object_get(p, "reps")), reps);
                assert_int_equal(json_array_size(json_object_get(p, "samples_ns_per_op")), reps);
                assert_true(json_real_value(json_object_get(ns, "median")) > 0);
                assert_true(json_real_value(json_object_get(ns, "min")) <=
                            json_real_value(json_object_get(ns, "median")));
                assert_true(json_real_value(json_object_get(ns, "median")) <=
                            json_real_value(json_object_get(ns, "max")));
                assert_true(json_is_null(json_object_get(p, "instructions_per_op")));
                if (generic) {
                        assert_true(json_is_null(json_object_get(p, "rss_kib")));
                        assert_true(json_is_null(json_object_get(p, "vsz_kib")));
                } else {
                        long long rss = json_integer_value(json_object_get(p, "rss_kib"));
                        long long vsz = json_integer_value(json_object_get(p, "vsz_kib"));
                        assert_true(rss > 0 && vsz >= rss);
                        assert_true(json_integer_value(json_object_get(p, "pte_kib")) > 0);
                        assert_true(json_integer_value(json_object_get(p, "peak_rss_kib")) >= rss);
                }
        }
}

/* Every backend of Debian's packages, small sizes: a valid results file whose
 * versions come from the loaded libraries, and the same op_hash for all. */
static void test_all_allocators(void **state)
{
        static const struct {
                const char *name, *version;
        } want[] = {{"glibc", "2."}, {"jemalloc", "5."}, {"tcmalloc", "gperftools 2."},
                    {"mimalloc", "2."}};
        const char *out = tmpfile_path("all.json");
        json_t *doc, *runs;
        const char *hash0;
        (void)state;
        assert_int_equal(run("--alloc=glibc,jemalloc,tcmalloc,mimalloc", "--workload=calloc-sweep",
                             "--set", "sizes=4k..64k*4", "--set", "iterations=200", "--reps", "3",
                             "-q", "-o", out),
                         0);
        doc = load(out);
        assert_string_equal(jstr(doc, "schema"), "allocbench/results/1");
        assert_non_null(jstr(doc, "host.hostname"));
        assert_non_null(jstr(doc, "host.kernel"));
        runs = json_object_get(doc, "runs");
        assert_int_equal(json_array_size(runs), 4);
        hash0 = jstr(json_array_get(runs, 0), "op_hash");
        for (size_t i = 0; i < 4; i++) {
                json_t *r = json_array_get(runs, i);
                check_run(r, want[i].name, want[i].version, 3, 3, 200);
                assert_string_equal(jstr(r, "op_hash"), hash0);
                if (i > 0)
                        assert_non_null(strstr(jstr(r, "allocator.library"), want[i].name));
        }
        json_decref(doc);
}

static char *hash_of(const char *out, int idx)
{
        json_t *doc = load(out);
        char *h = strdup(jstr(json_array_get(json_object_get(doc, "runs"), (size_t)idx),
                              "op_hash"));
        json_decref(doc);
        return h;
}

/* Same seed and parameters: same op_hash, run after run; another operation
 * stream (mode=fresh, another size) gives another hash. */
static void test_op_hash_determinism(void **state)
{
        const char *a = tmpfile_path("h1.json"), *b = tmpfile_path("h2.json"),
                   *c = tmpfile_path("h3.json"), *d = tmpfile_path("h4.json");
        char *ha, *hb, *hc, *hd;
        (void)state;
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k,16k",
                             "--set", "iterations=100", "--reps", "1", "--seed", "7", "-q", "-o",
                             a),
                         0);
        assert_int_equal(run("--alloc=jemalloc", "--workload=calloc-sweep", "--set",
                             "sizes=4k,16k", "--set", "iterations=100", "--reps", "2", "--seed",
                             "7", "-q", "-o", b),
                         0);
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k,16k",
                             "--set", "iterations=100", "--set", "mode=fresh", "--reps", "1",
                             "--seed", "7", "-q", "-o", c),
                         0);
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k,32k",
                             "--set", "iterations=100", "--reps", "1", "--seed", "7", "-q", "-o",
                             d),
                         0);
        ha = hash_of(a, 0);
        hb = hash_of(b, 0);
        hc = hash_of(c, 0);
        hd = hash_of(d, 0);
        assert_string_equal(ha, hb);
        assert_string_not_equal(ha, hc);
        assert_string_not_equal(ha, hd);
        free(ha);
        free(hb);
        free(hc);
        free(hd);
}

/* iterations=auto is resolved once per point and shared by all allocators. */
static void test_auto_iterations_shared(void **state)
{
        const char *out = tmpfile_path("auto.json");
        json_t *doc, *runs;
        (void)state;
        assert_int_equal(run("--alloc=glibc,mimalloc", "--workload=calloc-sweep", "--set",
                             "sizes=4k,1M", "--set", "budget_ms=5", "--reps", "2", "-q", "-o",
                             out),
                         0);
        doc = load(out);
        runs = json_object_get(doc, "runs");
        for (size_t p = 0; p < 2; p++) {
                json_t *p0 = json_array_get(json_object_get(json_array_get(runs, 0), "points"), p);
                json_t *p1 = json_array_get(json_object_get(json_array_get(runs, 1), "points"), p);
                long long ops = json_integer_value(json_object_get(p0, "ops"));
                assert_true(ops >= 1);
                assert_int_equal(ops & (ops - 1), 0); /* a power of two */
                assert_int_equal(json_integer_value(json_object_get(p1, "ops")), ops);
        }
        assert_string_equal(jstr(json_array_get(runs, 0), "workload.params.iterations"), "auto");
        assert_string_equal(jstr(json_array_get(runs, 0), "op_hash"),
                            jstr(json_array_get(runs, 1), "op_hash"));
        json_decref(doc);
}

/* mode=fresh keeps blocks alive: the measured region faults in new pages,
 * one per touched page; mode=reuse of the same size faults (almost) none. */
static void test_fresh_mode_faults(void **state)
{
        const char *a = tmpfile_path("fresh.json"), *b = tmpfile_path("reuse.json");
        json_t *da, *db;
        double fa, fb;
        (void)state;
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=64k",
                             "--set", "iterations=256", "--set", "mode=fresh", "--set",
                             "touch=all", "--reps", "1", "-q", "-o", a),
                         0);
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=64k",
                             "--set", "iterations=256", "--set", "touch=all", "--reps", "1", "-q",
                             "-o", b),
                         0);
        da = load(a);
        db = load(b);
        fa = json_real_value(json_object_get(
                json_array_get(json_object_get(json_array_get(json_object_get(da, "runs"), 0),
                                               "points"),
                               0),
                "minflt_per_op"));
        fb = json_real_value(json_object_get(
                json_array_get(json_object_get(json_array_get(json_object_get(db, "runs"), 0),
                                               "points"),
                               0),
                "minflt_per_op"));
        /* 64 KiB = 16 pages; fresh must fault nearly all of them, reuse almost none */
        assert_true(fa >= 14.0 && fa <= 18.0);
        assert_true(fb < 1.0);
        json_decref(da);
        json_decref(db);
}

static void test_formats(void **state)
{
        const char *out = tmpfile_path("fmt.json");
        json_t *doc, *file;
        int lines = 0;
        (void)state;
        assert_int_equal(run("--alloc=glibc,jemalloc", "--workload=calloc-sweep", "--set",
                             "sizes=4k,8k,16k", "--set", "iterations=100", "--reps", "2",
                             "--format", "csv", "-q", "-o", out),
                         0);
        for (char *p = outtext; *p; p++)
                lines += *p == '\n';
        assert_int_equal(lines, 1 + 2 * 3);
        assert_true(strncmp(outtext, "allocator,version,workload,point,status", 39) == 0);
        assert_non_null(strstr(outtext, "\nglibc,2."));
        assert_non_null(strstr(outtext, ",size=16384,ok,100,2,"));
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k",
                             "--set", "iterations=100", "--reps", "2", "--format", "json", "-q",
                             "-o", out),
                         0);
        doc = json_loads(outtext, 0, NULL);
        file = load(out);
        assert_non_null(doc);
        assert_true(json_equal(doc, file));
        json_decref(doc);
        json_decref(file);
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k",
                             "--set", "iterations=100", "--reps", "2", "-q", "-o", out),
                         0);
        assert_non_null(strstr(outtext, "ns/op"));
        assert_non_null(strstr(outtext, "4 KiB"));
}

/* Bad input of every kind: exit 1, a message naming the option and the
 * accepted form, and no results file. */
static void test_bad_input(void **state)
{
        static const struct {
                const char *args[6];
                const char *needle;
        } cases[] = {
                {{"--reps", "0"}, "--reps"},
                {{"--reps", "x"}, "--reps"},
                {{"--reps", "99999999999999999999999"}, "--reps"},
                {{"--seed", "-1"}, "--seed"},
                {{"--set", "sizes=4x"}, "accepted"},
                {{"--set", "sizes=4k..1k*2"}, "sizes"},
                {{"--set", "sizes=4k..1M*1"}, "sizes"},
                {{"--set", "sizes=99999999999GiB"}, "out of range"},
                {{"--set", "sizes=0"}, "sizes"},
                {{"--set", "iterations=0"}, "iterations"},
                {{"--set", "mode=sideways"}, "reuse|fresh"},
                {{"--set", "bogus=1"}, "bogus"},
                {{"--set", "novalue"}, "KEY=VALUE"},
                {{"--format", "xml"}, "table, json or csv"},
                {{"--frobnicate"}, "--frobnicate"},
                {{"--mem-limit", "12q"}, "--mem-limit"},
                {{"--env", "NOEQUALS"}, "KEY=VALUE"},
                {{"--cpus", "a-b"}, "--cpus"},
                {{"stray"}, "stray"},
        };
        const char *out = tmpfile_path("never.json");
        (void)state;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const char *const *a = cases[i].args;
                int rc = run("--alloc=glibc", "--workload=calloc-sweep", "-o", out, a[0], a[1],
                             a[2], a[3]);
                if (rc != 1 || !strstr(errtext, cases[i].needle))
                        fail_msg("case %zu (%s %s): exit %d, stderr: %s", i, a[0], a[1] ? a[1] : "",
                                 rc, errtext);
                assert_false(exists(out));
        }
        /* workload and allocator names */
        assert_int_equal(run("--alloc=glibc", "--workload=nosuch", "-o", out), 1);
        assert_non_null(strstr(errtext, "calloc-sweep"));
        assert_int_equal(run("--alloc=nosuch", "--workload=calloc-sweep", "-o", out), 1);
        assert_non_null(strstr(errtext, "jemalloc"));
        assert_int_equal(run("--alloc=/nonexistent/lib.so", "--workload=calloc-sweep", "-o", out),
                         1);
        assert_non_null(strstr(errtext, "/nonexistent/lib.so"));
        assert_int_equal(run("--alloc=glibc", "-o", out), 1);
        assert_non_null(strstr(errtext, "--workload"));
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "-o", "/nonexistent/r.json"),
                         1);
        assert_non_null(strstr(errtext, "/nonexistent"));
        assert_false(exists(out));
}

/* A shared library that does not replace malloc is refused before anything
 * runs: ld.so would load it and glibc would go on serving malloc. */
static void test_not_an_allocator(void **state)
{
        const char *out = tmpfile_path("never2.json");
        char lib[512];
        (void)state;
        snprintf(lib, sizeof lib, "%s/ab-runner", build_dir); /* not a shared library at all */
        assert_int_equal(run("--alloc", "/lib/x86_64-linux-gnu/libm.so.6", "--workload=calloc-sweep",
                             "-o", out),
                         1);
        assert_non_null(strstr(errtext, "cannot serve as an allocator"));
        assert_non_null(strstr(errtext, "malloc is served by"));
        assert_false(exists(out));
}

/* The harness itself must never run preloaded. */
static void test_parent_not_preloaded(void **state)
{
#ifdef __SANITIZE_ADDRESS__
        /* ASan refuses to start a program with a library preloaded ahead of
         * its runtime ("does not come first in initial library list"): let
         * bench start, so that its own refusal is what is tested */
        char lib[600],
            *envp[] = {lib, "PATH=/usr/bin:/bin", "ASAN_OPTIONS=verify_asan_link_order=0", NULL};
#else
        char lib[600], *envp[] = {lib, "PATH=/usr/bin:/bin", NULL};
#endif
        const char *out = tmpfile_path("never3.json");
        (void)state;
        snprintf(lib, sizeof lib, "LD_PRELOAD=%s/libabcount.so", build_dir);
        assert_int_equal(run_envp(envp, "--alloc=glibc", "--workload=calloc-sweep", "-o", out,
                                  NULL),
                         1);
        assert_non_null(strstr(errtext, "must not be preloaded"));
        assert_false(exists(out));
}

static void test_help_and_list(void **state)
{
        (void)state;
        assert_int_equal(run("help"), 0);
        assert_non_null(strstr(outtext, "bench list"));
        assert_int_equal(run("run", "--help"), 0);
        assert_non_null(strstr(outtext, "--alloc"));
        assert_int_equal(run("list"), 0);
        assert_non_null(strstr(outtext, "calloc-sweep"));
        assert_non_null(strstr(outtext, "gperftools 2."));
        assert_non_null(strstr(outtext, "libjemalloc2"));
        assert_int_equal(run("frobnicate"), 1);
        assert_non_null(strstr(errtext, "frobnicate"));
}

/* --- workloads of the stories (issue 3) ------------------------------------ */

static json_t *run_n(json_t *doc, size_t i)
{
        return json_array_get(json_object_get(doc, "runs"), i);
}

/* Every kernel: the same seed gives the same op_hash under every allocator
 * and run after run; a kernel that draws from the PRNG gives another hash
 * for another seed. */
static void test_kernel_op_hash(void **state)
{
        static const struct {
                const char *workload, *set1, *set2;
                bool random;
        } k[] = {
                {"arena-churn", "ops=2000", "threads=3", true},
                {"conn-leak", "connections=64", "settle_ms=0", true},
                {"mmap-sweep", "reserve=64MiB", "commit=32MiB", false},
        };
        (void)state;
        for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
                const char *a = tmpfile_path("k1.json"), *b = tmpfile_path("k2.json"),
                           *c = tmpfile_path("k3.json");
                char wl[64];
                json_t *da, *db, *dc;
                snprintf(wl, sizeof wl, "--workload=%s", k[i].workload);
                assert_int_equal(run("--alloc=glibc,jemalloc", wl, "--set", k[i].set1, "--set",
                                     k[i].set2, "--set", "rounds=3", "--reps", "1", "--seed", "5",
                                     "-q", "-o", a),
                                 0);
                assert_int_equal(run("--alloc=mimalloc", wl, "--set", k[i].set1, "--set",
                                     k[i].set2, "--set", "rounds=3", "--reps", "2", "--seed", "5",
                                     "-q", "-o", b),
                                 0);
                assert_int_equal(run("--alloc=glibc", wl, "--set", k[i].set1, "--set", k[i].set2,
                                     "--set", "rounds=3", "--reps", "1", "--seed", "6", "-q", "-o",
                                     c),
                                 0);
                da = load(a);
                db = load(b);
                dc = load(c);
                assert_string_equal(jstr(run_n(da, 0), "op_hash"), jstr(run_n(da, 1), "op_hash"));
                assert_string_equal(jstr(run_n(da, 0), "op_hash"), jstr(run_n(db, 0), "op_hash"));
                if (k[i].random)
                        assert_string_not_equal(jstr(run_n(da, 0), "op_hash"),
                                                jstr(run_n(dc, 0), "op_hash"));
                else
                        assert_string_equal(jstr(run_n(da, 0), "op_hash"),
                                            jstr(run_n(dc, 0), "op_hash"));
                assert_int_equal(json_array_size(json_object_get(run_n(da, 0), "rounds")), 3);
                json_decref(da);
                json_decref(db);
                json_decref(dc);
        }
}

/* conn-leak counts its live bytes exactly: with leak_every=N, after round r
 * it holds (r+1) * (connections / N) timers of 64 bytes, and with 0 nothing. */
static void test_conn_leak_accounting(void **state)
{
        const char *out = tmpfile_path("leak.json");
        json_t *doc, *rounds, *r;
        size_t i;
        (void)state;
        assert_int_equal(run("--alloc=glibc,tcmalloc", "--workload=conn-leak", "--set",
                             "connections=300", "--set", "leak_every=7", "--set", "rounds=5",
                             "--set", "settle_ms=0", "--reps", "2", "-q", "-o", out),
                         0);
        doc = load(out);
        for (size_t a = 0; a < 2; a++) {
                rounds = json_object_get(run_n(doc, a), "rounds");
                assert_int_equal(json_array_size(rounds), 5);
                json_array_foreach(rounds, i, r)
                {
                        assert_int_equal(json_integer_value(json_object_get(r, "index")), i);
                        assert_true(json_number_value(json_object_get(r, "live_bytes")) ==
                                    (double)((i + 1) * (300 / 7) * 64));
                        if (!generic)
                                assert_true(json_integer_value(json_object_get(r, "rss_kib")) > 0);
                }
        }
        json_decref(doc);
        assert_int_equal(run("--alloc=glibc", "--workload=conn-leak", "--set", "connections=300",
                             "--set", "rounds=4", "--set", "settle_ms=0", "--reps", "1", "-q",
                             "-o", out),
                         0);
        doc = load(out);
        json_array_foreach(json_object_get(run_n(doc, 0), "rounds"), i, r)
                assert_true(json_number_value(json_object_get(r, "live_bytes")) == 0);
        json_decref(doc);
}

/* arena-churn: threads from --threads, every round ends with nothing live. */
static void test_arena_churn(void **state)
{
        const char *out = tmpfile_path("arena.json");
        json_t *doc, *r;
        size_t i;
        (void)state;
        assert_int_equal(run("--alloc=glibc", "--workload=arena-churn", "--threads", "3", "--set",
                             "ops=5000", "--set", "rounds=4", "--set", "cross_free=50", "--reps",
                             "1", "-q", "-o", out),
                         0);
        doc = load(out);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(json_object_get(run_n(doc, 0), "workload"),
                                                 "params"),
                                 "threads")),
                         3);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(json_object_get(run_n(doc, 0), "workload"),
                                                 "params"),
                                 "stack")),
                         262144);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_array_get(json_object_get(run_n(doc, 0), "points"), 0),
                                 "ops")),
                         3 * 5000 * 4);
        json_array_foreach(json_object_get(run_n(doc, 0), "rounds"), i, r)
                assert_true(json_number_value(json_object_get(r, "live_bytes")) == 0);
        json_decref(doc);
        /* --threads where no selected workload has threads is bad input */
        assert_int_equal(run("--workload=calloc-sweep", "--threads", "4", "-o", out), 1);
        assert_non_null(strstr(errtext, "threads"));
}

static const char *point_status(json_t *doc, size_t run_i, size_t point)
{
        return jstr(json_array_get(json_object_get(run_n(doc, run_i), "points"), point), "status");
}

/* Failures are results: crash, timeout and memory limit each get their
 * status, the rest of the matrix goes on, and bench exits 4. */
static void test_failures_are_results(void **state)
{
        const char *out = tmpfile_path("fail.json");
        json_t *doc, *p;
        (void)state;
        assert_int_equal(run("--workload=cmd", "--reps", "2", "-q", "-o", out, "--", "sh", "-c",
                             "kill -SEGV $$"),
                         4);
        doc = load(out);
        p = json_array_get(json_object_get(run_n(doc, 0), "points"), 0);
        assert_string_equal(jstr(run_n(doc, 0), "status"), "crashed");
        assert_int_equal(json_integer_value(json_object_get(p, "signal")), 11);
        json_decref(doc);

        assert_int_equal(run("--workload=cmd", "--reps", "1", "--timeout", "1", "-q", "-o", out,
                             "--", "sleep", "30"),
                         4);
        doc = load(out);
        assert_string_equal(point_status(doc, 0, 0), "timeout");
        json_decref(doc);

        /* 1 MiB fits in 256 MiB of address space, 512 MiB touched does not;
         * every allocator goes on to the next point after the failure */
        assert_int_equal(run("--alloc=glibc,jemalloc", "--workload=calloc-sweep", "--set",
                             "sizes=1M,512M,2M", "--set", "iterations=2", "--set", "touch=all",
                             "--reps", "2", "--mem-limit", "256M", "-q", "-o", out),
                         4);
        doc = load(out);
        for (size_t a = 0; a < 2; a++) {
                assert_string_equal(point_status(doc, a, 0), "ok");
                assert_string_equal(point_status(doc, a, 1), "oom");
                assert_string_equal(point_status(doc, a, 2), "ok");
                assert_string_equal(jstr(run_n(doc, a), "status"), "oom");
        }
        json_decref(doc);
}

/* --wrap runs the workload process through the launcher, split into words,
 * without a shell: the program sees what the wrapper set. */
static void test_wrap(void **state)
{
        const char *out = tmpfile_path("wrap.json");
        json_t *doc;
        (void)state;
        assert_int_equal(run("--workload=cmd", "--reps", "1", "--wrap", "env AB_MARK='x y'", "-q",
                             "-o", out, "--", "sh", "-c", "test \"$AB_MARK\" = 'x y'"),
                         0);
        doc = load(out);
        assert_string_equal(jstr(run_n(doc, 0), "wrap"), "env AB_MARK='x y'");
        assert_string_equal(jstr(run_n(doc, 0), "status"), "ok");
        json_decref(doc);
        /* the same program without the wrapper fails: the test above can fail */
        assert_int_equal(run("--workload=cmd", "--reps", "1", "-q", "-o", out, "--", "sh", "-c",
                             "test \"$AB_MARK\" = 'x y'"),
                         4);
        /* a runner under the wrapper still loads the allocator asked for */
        assert_int_equal(run("--alloc=jemalloc", "--workload=calloc-sweep", "--set", "sizes=4k",
                             "--set", "iterations=100", "--reps", "1", "--wrap", "env", "-q", "-o",
                             out),
                         0);
        doc = load(out);
        assert_non_null(strstr(jstr(run_n(doc, 0), "allocator.library"), "jemalloc"));
        json_decref(doc);
        assert_int_equal(run("--workload=cmd", "--wrap", "'unbalanced", "-o", out, "--", "true"),
                         1);
        assert_non_null(strstr(errtext, "quote"));
}

/* Job files: the shipped ones load; errors name file and line; nothing runs. */
static void test_job_files(void **state)
{
        static const struct {
                const char *text, *needle;
        } bad[] = {
                {"[workload]\nkernel = calloc-sweep\n[params]\nsizes = 4k\nmode = sideways\n",
                 ":5: mode=sideways"},
                {"[workload]\nkernel = calloc-sweep\n[parms]\nsizes = 4k\n", ":4: unknown section"},
                {"[params]\nsizes = 4k\n", ":2: [params] before"},
                {"[workload]\nkernel = nosuch\n", ":2: unknown kernel"},
                {"[workload]\nkernel = calloc-sweep\n[params]\nbogus = 1\n", ":4: "},
                {"junk\n", ":1: malformed line"},
                {"; only a comment\n", "no kernel"},
        };
        const char *ini = tmpfile_path("job.ini"), *out = tmpfile_path("job.json");
        json_t *doc;
        (void)state;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                FILE *f = fopen(ini, "w");
                char wl[600];
                assert_non_null(f);
                fputs(bad[i].text, f);
                fclose(f);
                snprintf(wl, sizeof wl, "--workload=%s", ini);
                if (run(wl, "-o", out) != 1 || !strstr(errtext, ini) ||
                    !strstr(errtext, bad[i].needle))
                        fail_msg("job file case %zu: %s", i, errtext);
                assert_false(exists(out));
        }
        {
                FILE *f = fopen(ini, "w");
                char wl[600];
                fputs("[workload]\nkernel = calloc-sweep\nhelp = mine\n[params]\nsizes = "
                      "4k,8k\niterations = 50\nmode = fresh\n",
                      f);
                fclose(f);
                snprintf(wl, sizeof wl, "--workload=%s", ini);
                assert_int_equal(run(wl, "--set", "sizes=16k", "--reps", "1", "-q", "-o", out), 0);
        }
        doc = load(out);
        assert_string_equal(jstr(run_n(doc, 0), "workload.name"), "job");
        assert_string_equal(jstr(run_n(doc, 0), "workload.params.mode"), "fresh");
        assert_int_equal(json_array_size(json_object_get(run_n(doc, 0), "points")), 1);
        json_decref(doc);
        assert_int_equal(run("list"), 0);
        assert_non_null(strstr(outtext, "conn-leak-64"));
        assert_null(strstr(outtext, "invalid"));
}

/* The parent samples the child's RSS/VSZ into the timeline while it runs. */
static void test_timeline(void **state)
{
        const char *out = tmpfile_path("tl.json");
        json_t *doc, *tl;
        (void)state;
        assert_int_equal(run("--workload=conn-leak", "--set", "rounds=10", "--set", "settle_ms=30",
                             "--reps", "1", "--sample-ms", "10", "-q", "-o", out),
                         0);
        doc = load(out);
        tl = json_object_get(run_n(doc, 0), "timeline");
        if (generic) {
                assert_int_equal(json_array_size(tl), 0); /* no /proc to sample */
        } else {
                double prev = -1;
                size_t i;
                json_t *s;
                assert_true(json_array_size(tl) >= 15); /* >= 300 ms of settles at 10 ms */
                json_array_foreach(tl, i, s)
                {
                        double t = json_number_value(json_array_get(s, 0));
                        assert_true(t > prev);
                        prev = t;
                        assert_true(json_integer_value(json_array_get(s, 1)) > 0);
                        assert_true(json_integer_value(json_array_get(s, 2)) >=
                                    json_integer_value(json_array_get(s, 1)));
                }
        }
        json_decref(doc);
        assert_int_equal(run("--workload=conn-leak", "--set", "rounds=2", "--reps", "1",
                             "--sample-ms", "0", "-q", "-o", out),
                         0);
        doc = load(out);
        assert_int_equal(json_array_size(json_object_get(run_n(doc, 0), "timeline")), 0);
        json_decref(doc);
}

/* Ctrl-C: the children stop, what was measured is written, marked. */
static void test_interrupt(void **state)
{
        char outp[256], errp[256];
        const char *out = tmpfile_path("int.json");
        const char *argv[] = {bench_bin, "--alloc=glibc", "--workload=conn-leak", "--set",
                              "settle_ms=200", "--reps", "50", "-q", "-o", out, NULL};
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int st;
        json_t *doc;
        (void)state;
        snprintf(outp, sizeof outp, "%s/stdout", tmpdir);
        snprintf(errp, sizeof errp, "%s/stderr", tmpdir);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_int_equal(posix_spawn(&pid, bench_bin, &fa, NULL, (char **)argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        sleep(3); /* a few repetitions of ~2 s each */
        kill(pid, SIGINT);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 130);
        doc = load(out);
        assert_true(json_is_true(json_object_get(doc, "interrupted")));
        assert_true(json_integer_value(json_object_get(
                            json_array_get(json_object_get(run_n(doc, 0), "points"), 0), "reps")) >=
                    1);
        json_decref(doc);
        {
                char cmd[600];
                snprintf(cmd, sizeof cmd, "ls %s/*.tmp.* 2>/dev/null | grep -q .", tmpdir);
                assert_int_not_equal(system(cmd), 0); /* no temporary file left */
        }
}

/* --- detectors end to end (issue 4) ---------------------------------------- */

/* The clean matrix raises nothing: the five allocators (musl's in its own
 * runner) on conn-leak without a leak and on native mmap-sweep. */
static void test_clean_matrix_no_flags(void **state)
{
        json_t *doc;
        (void)state;
        doc = run_doc("clean1.json", "--alloc=all", "--workload=conn-leak", "--reps", "2", NULL);
        assert_int_equal(json_array_size(json_object_get(doc, "runs")), 5);
        assert_int_equal(json_array_size(json_object_get(doc, "flags")), 0);
        json_decref(doc);
        doc = run_doc("clean2.json", "--alloc=all", "--workload=mmap-sweep", "--reps", "2", NULL);
        assert_int_equal(json_array_size(json_object_get(doc, "flags")), 0);
        json_decref(doc);
}

/* The stories: conn-leak leaking one record per 64 connections is a
 * leak-growth for every allocator; glibc with 8 threads bloats VSZ with its
 * arenas, and MALLOC_ARENA_MAX=1 does not. */
static void test_story_flags(void **state)
{
        json_t *doc, *f;
        size_t i;
        (void)state;
        doc = run_doc("s1.json", "--alloc=all", "--workload=conn-leak", "--set", "leak_every=64",
                      "--set", "settle_ms=0", "--reps", "2", NULL);
        assert_int_equal(count_flags(doc, "leak-growth", "glibc"), 1);
        assert_int_equal(count_flags(doc, "leak-growth", "jemalloc"), 1);
        assert_int_equal(count_flags(doc, "leak-growth", "tcmalloc"), 1);
        assert_int_equal(count_flags(doc, "leak-growth", "mimalloc"), 1);
        assert_int_equal(count_flags(doc, "leak-growth", "musl"), 1);
        json_array_foreach(json_object_get(doc, "flags"), i, f)
                assert_true(json_number_value(json_object_get(json_object_get(f, "evidence"),
                                                              "live_bytes_per_round")) == 512);
        json_decref(doc);
        if (generic)
                return; /* VSZ is unknown there */
        doc = run_doc("s2.json", "--alloc=glibc", "--workload=arena-churn", "--threads", "8",
                      "--reps", "2", NULL);
        assert_int_equal(count_flags(doc, "vsz-bloat", "glibc"), 1);
        assert_non_null(strstr(jstr(json_array_get(json_object_get(doc, "flags"), 0), "hint"),
                               "MALLOC_ARENA_MAX"));
        json_decref(doc);
        doc = run_doc("s3.json", "--alloc=glibc", "--workload=arena-churn", "--threads", "8",
                      "--env", "MALLOC_ARENA_MAX=1", "--reps", "2", NULL);
        assert_int_equal(count_flags(doc, "vsz-bloat", NULL), 0);
        json_decref(doc);
}

/* Each pathological reference allocator is caught by its detector. */
static void test_reference_allocators_caught(void **state)
{
        json_t *doc;
        (void)state;
        doc = run_doc("r1.json", lib("crashy"), "--workload=calloc-sweep", "--set", "sizes=4k",
                      "--set", "iterations=100000", "--reps", "1", NULL);
        assert_int_equal(count_flags(doc, "run-failure", "libcrashy.so"), 1);
        json_decref(doc);
        doc = run_doc("r2.json", lib("leakfree"), "--workload=conn-leak", "--set", "settle_ms=0",
                      "--reps", "2", NULL);
        if (!generic)
                assert_int_equal(count_flags(doc, "leak-growth", "libleakfree.so"), 1);
        json_decref(doc);
        if (generic)
                return;
        doc = run_doc("r3.json", lib("zerocache"), "--workload=calloc-sweep", "--set",
                      "sizes=64k..256M*4", "--reps", "3", NULL);
        assert_int_equal(count_flags(doc, "calloc-zeroing", "libzerocache.so"), 1);
        assert_int_equal(count_flags(doc, "size-cliff", "libzerocache.so"), 1);
        json_decref(doc);
        doc = run_doc("r4.json", lib("noreturn"), "--workload=calloc-sweep", "--set", "sizes=64M",
                      "--set", "touch=all", "--set", "iterations=4", "--set", "mode=fresh",
                      "--reps", "2", NULL);
        assert_int_equal(count_flags(doc, "rss-retention", "libnoreturn.so"), 1);
        json_decref(doc);
        doc = run_doc("r5.json", lib("threadreserve"), "--workload=arena-churn", "--threads", "4",
                      "--set", "turnover=on", "--set", "ops=5000", "--reps", "2", NULL);
        assert_int_equal(count_flags(doc, "vsz-bloat", "libthreadreserve.so"), 1);
        assert_int_equal(count_flags(doc, "address-space-growth", "libthreadreserve.so"), 1);
        json_decref(doc);
        doc = run_doc("r6.json", lib("mapleak"), "--workload=mmap-sweep", "--set", "via=malloc",
                      "--set", "reserve=256M", "--set", "touch=16M", "--reps", "2", NULL);
        assert_int_equal(count_flags(doc, "address-space-growth", "libmapleak.so"), 1);
        json_decref(doc);
}

/* --fail-on: exit 2 when a flag of that severity or worse is raised. */
static void test_fail_on(void **state)
{
        const char *out = tmpfile_path("failon.json");
        (void)state;
        assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--set",
                             "settle_ms=0", "--reps", "1", "--fail-on", "high", "-q", "-o", out),
                         2);
        assert_true(exists(out));
        assert_int_equal(run("--workload=conn-leak", "--set", "settle_ms=0", "--reps", "1",
                             "--fail-on", "warn", "-q", "-o", out),
                         0);
        assert_int_equal(run("--workload=conn-leak", "--fail-on", "sometimes", "-o",
                             tmpfile_path("never4.json")),
                         1);
        assert_non_null(strstr(errtext, "warn or high"));
}

/* A workload process that cannot be started mid-matrix (here: the launcher
 * disappears after its third start) stops the run, but what was measured
 * before is written, marked incomplete, and bench exits 4. */
static void test_start_failure_keeps_results(void **state)
{
        char wrapper[600], script[2400];
        const char *out = tmpfile_path("abort.json");
        FILE *f;
        json_t *doc, *p0;
        (void)state;
        snprintf(wrapper, sizeof wrapper, "%s/vanishing-launcher", tmpdir);
        f = fopen(wrapper, "w");
        assert_non_null(f);
        snprintf(script, sizeof script,
                 "#!/bin/sh\nn=$(cat '%s.count' 2>/dev/null || echo 0); n=$((n+1));\n"
                 "echo $n > '%s.count'\n[ $n -ge 3 ] && rm -f '%s'\nexec \"$@\"\n",
                 wrapper, wrapper, wrapper);
        fputs(script, f);
        fclose(f);
        assert_int_equal(chmod(wrapper, 0755), 0);
        assert_int_equal(run("--workload=calloc-sweep", "--set", "sizes=4k,8k", "--set",
                             "iterations=100", "--reps", "5", "--wrap", wrapper, "-q", "-o", out),
                         4);
        assert_non_null(strstr(errtext, "could not be started"));
        doc = load(out);
        assert_true(json_is_true(json_object_get(doc, "interrupted")));
        p0 = json_array_get(json_object_get(json_array_get(json_object_get(doc, "runs"), 0),
                                            "points"),
                            0);
        /* start 1 was the preflight, 2 the calibration (under a launcher it is
         * measured through it), 3 the one repetition measured before it vanished */
        assert_int_equal(json_integer_value(json_object_get(p0, "reps")), 1);
        json_decref(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_preload_takes_effect),
                cmocka_unit_test(test_all_allocators),
                cmocka_unit_test(test_op_hash_determinism),
                cmocka_unit_test(test_auto_iterations_shared),
                cmocka_unit_test(test_fresh_mode_faults),
                cmocka_unit_test(test_formats),
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_not_an_allocator),
                cmocka_unit_test(test_parent_not_preloaded),
                cmocka_unit_test(test_help_and_list),
                cmocka_unit_test(test_kernel_op_hash),
                cmocka_unit_test(test_conn_leak_accounting),
                cmocka_unit_test(test_arena_churn),
                cmocka_unit_test(test_failures_are_results),
                cmocka_unit_test(test_wrap),
                cmocka_unit_test(test_job_files),
                cmocka_unit_test(test_timeline),
                cmocka_unit_test(test_interrupt),
                cmocka_unit_test(test_clean_matrix_no_flags),
                cmocka_unit_test(test_story_flags),
                cmocka_unit_test(test_reference_allocators_caught),
                cmocka_unit_test(test_fail_on),
                cmocka_unit_test(test_start_failure_keeps_results),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
