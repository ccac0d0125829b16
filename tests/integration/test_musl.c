/*
 * test_musl.c - --alloc=musl: musl's malloc (mallocng), measured in the
 * static runner ab-runner-musl next to glibc's on the same machine. Real
 * musl (Debian musl-tools), real processes. Asserts on counts, hashes,
 * versions and flags:
 *  - the version and C library come from the measured process (the musl
 *    linked into the runner), and match the installed musl-dev package;
 *  - both libcs run the same op stream (op_hash) for the same parameters;
 *  - the figures come out as for any allocator;
 *  - the flags musl raises: on calloc-sweep, map-churn from 64 KiB (an mmap
 *    and a munmap per op, counted by strace) and never calloc-zeroing (a
 *    fresh mapping per op, 2 pages faulted of a 1 MiB block: nothing
 *    zeroed); on arena-churn with 8 threads, none (one heap, no per-thread
 *    arenas: no vsz-bloat, where glibc's arenas raise it);
 *  - every other kernel runs the same op stream under musl, replay's threads
 *    included;
 *  - what a static runner cannot do is refused with the reason.
 * Without musl-gcc the runner is not built, and every test fails saying so.
 */
#include <limits.h>
#include <stdint.h>

#include "itest.h"

static char musl_runner[PATH_MAX];

static int setup(void **state)
{
        char path[PATH_MAX];
        if (setup_all(state))
                return -1;
        snprintf(path, sizeof path, "%s/ab-runner-musl", build_dir);
        if (!realpath(path, musl_runner)) {
                fprintf(stderr,
                        "test_musl: %s was not built: make builds it with musl-gcc "
                        "(install the Debian package musl-tools: ./setup.sh)\n",
                        path);
                return -1;
        }
        return 0;
}

/* The installed musl's upstream version ("1.2.3" of "1.2.3-1"), or "". */
static void package_version(char *buf, size_t len)
{
        FILE *p = popen("dpkg-query -W -f='${Version}' musl-dev 2>/dev/null", "r");
        size_t n = p ? fread(buf, 1, len - 1, p) : 0;
        buf[n] = '\0';
        buf[strcspn(buf, "-")] = '\0';
        if (p)
                pclose(p);
}

static json_t *run_of(json_t *doc, const char *alloc)
{
        json_t *r;
        size_t i;
        json_array_foreach(json_object_get(doc, "runs"), i, r)
        {
                if (strcmp(jstr(r, "allocator.name"), alloc) == 0)
                        return r;
        }
        fail_msg("no run of %s", alloc);
        return NULL;
}

static json_t *point_of(json_t *run, uint64_t size)
{
        json_t *p;
        size_t i;
        json_array_foreach(json_object_get(run, "points"), i, p)
        {
                if ((uint64_t)num(json_object_get(p, "params"), "size") == size)
                        return p;
        }
        fail_msg("no point of size %llu", (unsigned long long)size);
        return NULL;
}

/* Who was measured: musl's version and C library from the runner, its file
 * the musl runner, nothing preloaded; glibc's run beside it says glibc. */
static void check_identity(json_t *doc)
{
        json_t *musl = run_of(doc, "musl"), *glibc = run_of(doc, "glibc");
        char pkg[64], libc[96];
        const char *ver = jstr(musl, "allocator.version");
        assert_non_null(ver);
        assert_true(ver[0] >= '1' && ver[0] <= '9' && strchr(ver, '.'));
        package_version(pkg, sizeof pkg);
        if (pkg[0])
                assert_string_equal(ver, pkg);
        snprintf(libc, sizeof libc, "musl %s", ver);
        assert_string_equal(jstr(musl, "libc"), libc);
        assert_string_equal(jstr(musl, "allocator.library"), musl_runner);
        assert_true(json_is_null(json_object_get(json_object_get(musl, "allocator"), "requested")));
        assert_int_equal(strncmp(jstr(glibc, "libc"), "glibc 2.", 8), 0);
        assert_int_equal(strncmp(jstr(glibc, "allocator.version"), "2.", 2), 0);
}

/* Both ran the same op stream, point by point, with the same op counts. */
static void check_same_stream(json_t *doc)
{
        json_t *musl = run_of(doc, "musl"), *glibc = run_of(doc, "glibc");
        json_t *pm = json_object_get(musl, "points"), *pg = json_object_get(glibc, "points");
        assert_string_equal(jstr(musl, "status"), "ok");
        assert_string_equal(jstr(glibc, "status"), "ok");
        assert_string_equal(jstr(musl, "op_hash"), jstr(glibc, "op_hash"));
        assert_int_equal(json_array_size(pm), json_array_size(pg));
        for (size_t i = 0; i < json_array_size(pm); i++) {
                json_t *a = json_array_get(pm, i), *b = json_array_get(pg, i);
                assert_string_equal(jstr(a, "status"), "ok");
                assert_string_equal(jstr(a, "op_hash"), jstr(b, "op_hash"));
                assert_true(num(a, "ops") == num(b, "ops"));
        }
}

/* The figures of musl's points come out as any allocator's. */
static void check_figures(json_t *doc)
{
        json_t *musl = run_of(doc, "musl"), *glibc = run_of(doc, "glibc"), *p;
        size_t i;
        json_array_foreach(json_object_get(musl, "points"), i, p)
        {
                assert_true(num(json_object_get(p, "ns_per_op"), "median") > 0);
                assert_true(num(json_object_get(p, "cpu_ns_per_op"), "median") >= 0);
                assert_true(num(p, "minflt_per_op") >= 0);
                assert_true(num(p, "majflt_per_op") >= 0);
                if (generic)
                        continue; /* memory figures are unknown there */
                assert_true(num(p, "rss_kib") > 0 && num(p, "vsz_kib") >= num(p, "rss_kib"));
                assert_true(num(p, "pte_kib") > 0);
                assert_true(num(p, "peak_rss_kib") >= num(p, "rss_kib"));
        }
        if (generic)
                return;
        assert_true(json_array_size(json_object_get(musl, "timeline")) > 0);
        /* a static runner maps no ld.so and no libc.so: smaller than glibc's */
        assert_true(num(musl, "runner_rss_kib") > 0);
        assert_true(num(musl, "runner_rss_kib") < num(glibc, "runner_rss_kib"));
}

/* calloc-sweep, reused blocks of 16 KiB to 4 MiB, with the strace pass. */
static void test_calloc_sweep(void **state)
{
        json_t *doc, *musl, *f;
        size_t i, churn = 0;
        (void)state;
        doc = run_doc("cs.json", "--alloc=musl,glibc", "--workload=calloc-sweep", "--set",
                      "sizes=16k..4M*4", "--reps", "3", "--syscalls", NULL);
        check_identity(doc);
        check_same_stream(doc);
        check_figures(doc);
        musl = run_of(doc, "musl");
        /* From 64 KiB musl maps every block and unmaps it on free (the size
         * classes above 26 KiB are never kept once empty; from 128 KiB each
         * block is a mapping of its own): exactly one mmap and one munmap
         * per op, and calloc takes fresh zero pages. At 1 and 4 MiB it
         * faults in 2 pages (the mapping's header and the block's footer),
         * not the 256 or 1024 that zeroing would: nothing is zeroed. */
        for (uint64_t s = 64 * 1024; s <= 4u << 20; s *= 4) {
                json_t *sc = json_object_get(point_of(musl, s), "syscalls_per_op");
                assert_true(num(sc, "mmap") == 1 && num(sc, "munmap") == 1);
                if (s >= 1u << 20)
                        assert_true(num(point_of(musl, s), "minflt_per_op") == 2);
        }
        json_array_foreach(json_object_get(doc, "flags"), i, f)
        {
                if (strcmp(jstr(f, "allocator"), "musl") != 0 ||
                    strcmp(jstr(f, "kind"), "map-churn") != 0)
                        continue;
                churn++;
                assert_string_equal(jstr(f, "severity"), "warn");
                assert_true(num(json_object_get(f, "where"), "size") == 64 * 1024);
                assert_non_null(strstr(jstr(f, "hint"), "mallocng"));
        }
        assert_int_equal(churn, 1);
        /* by time alone 1 MiB cost musl more than half a memset of 1 MiB here
         * (about 10 us, flat from 64 KiB to 4 MiB): a fixed cost, not zeroing */
        assert_int_equal(count_flags(doc, "calloc-zeroing", "musl"), 0);
        /* nothing stays resident after the region: every block was unmapped */
        assert_int_equal(count_flags(doc, "rss-retention", "musl"), 0);
        if (!generic)
                assert_true(num(point_of(musl, 4u << 20), "rss_kib") < 1024);
        /* glibc memsets its reused heap blocks of 4 MiB (its story) */
        assert_true(count_flags(doc, "calloc-zeroing", "glibc") == 1);
        json_decref(doc);
}

/* arena-churn with 8 threads: one op stream for both libcs, rounds that end
 * with nothing held, and no flag for musl (its one heap reserves no arena
 * per thread), where glibc's per-thread arenas bloat VSZ. */
static void test_arena_churn(void **state)
{
        json_t *doc, *musl, *r;
        size_t i;
        (void)state;
        doc = run_doc("ac.json", "--alloc=musl,glibc", "--workload=arena-churn", "--threads", "8",
                      "--set", "ops=20000", "--reps", "2", NULL);
        check_identity(doc);
        check_same_stream(doc);
        check_figures(doc);
        musl = run_of(doc, "musl");
        assert_int_equal(json_array_size(json_object_get(musl, "rounds")), 10);
        json_array_foreach(json_object_get(musl, "rounds"), i, r)
        {
                assert_true(num(r, "live_bytes") == 0);
                if (!generic)
                        assert_true(num(r, "vsz_kib") < 16 * 1024);
        }
        {
                json_t *f;
                json_array_foreach(json_object_get(doc, "flags"), i, f)
                {
                        if (strcmp(jstr(f, "allocator"), "musl") == 0)
                                fail_msg("musl raised %s: %s", jstr(f, "kind"), jstr(f, "message"));
                }
        }
        if (!generic)
                assert_int_equal(count_flags(doc, "vsz-bloat", "glibc"), 1);
        json_decref(doc);
}

/* bench list shows musl found, its version from a musl runner child, its
 * runner and the package that builds it. */
static void test_list(void **state)
{
        char line[1024], pkg[64], path[PATH_MAX], real[PATH_MAX];
        const char *l;
        (void)state;
        assert_int_equal(run("list"), 0);
        l = strstr(outtext, "\n  musl ");
        assert_non_null(l);
        snprintf(line, sizeof line, "%.*s", (int)strcspn(l + 1, "\n"), l + 1);
        assert_non_null(strstr(line, " yes "));
        l = strstr(line, "musl runner ");
        assert_non_null(l);
        snprintf(path, sizeof path, "%.*s", (int)strcspn(l + 12, ")"), l + 12);
        assert_non_null(realpath(path, real));
        assert_string_equal(real, musl_runner);
        assert_non_null(strstr(line, "musl-tools"));
        package_version(pkg, sizeof pkg);
        if (pkg[0])
                assert_non_null(strstr(line, pkg));
}

/* What a static runner cannot do is refused, exit 1, nothing written: the
 * tracer (a preload, --trace and --record), a program (cmd). --alloc=all
 * leaves musl out of a traced run and says so. */
static void test_refusals(void **state)
{
        const char *out = tmpfile_path("never.json");
        json_t *doc;
        (void)state;
        assert_int_equal(run("--alloc=musl", "--workload=conn-leak", "--trace", "-o", out), 1);
        assert_non_null(strstr(errtext, "--trace needs a dynamically linked runner"));
        assert_non_null(strstr(errtext, "musl's is static"));
        assert_int_equal(run("--alloc=glibc,musl", "--workload=conn-leak", "--record",
                             tmpfile_path("r.arec"), "-o", out),
                         1);
        assert_non_null(strstr(errtext, "--record needs a dynamically linked runner"));
        assert_int_equal(run("--alloc=musl", "--workload=cmd", "-o", out, "--", "true"), 1);
        assert_non_null(strstr(errtext, "brings its own C library"));
        assert_false(exists(out));
        doc = run_doc("alltrace.json", "--alloc=all", "--workload=conn-leak", "--set", "rounds=2",
                      "--set", "connections=32", "--reps", "1", "--trace", NULL);
        assert_non_null(strstr(errtext, "--alloc=all skips musl"));
        for (size_t i = 0; i < json_array_size(json_object_get(doc, "runs")); i++)
                assert_string_not_equal(
                    jstr(json_array_get(json_object_get(doc, "runs"), i), "allocator.name"),
                    "musl");
        json_decref(doc);
}

/* Every kernel runs under musl with the op stream glibc runs, callgrind
 * counts it (valgrind runs a static binary; the client requests are inline
 * code), strace counts its calls. */
static void test_kernels_and_passes(void **state)
{
        json_t *doc, *r;
        size_t i;
        (void)state;
        doc = run_doc("kernels.json", "--alloc=musl,glibc",
                      "--workload=mmap-sweep,mmap-malloc,conn-leak,arena-xfree,arena-turnover",
                      "--set", "rounds=4", "--reps", "1", NULL);
        json_array_foreach(json_object_get(doc, "runs"), i, r)
        {
                json_t *other = json_array_get(json_object_get(doc, "runs"), i ^ 1);
                assert_string_equal(jstr(r, "status"), "ok");
                assert_string_equal(jstr(r, "op_hash"), jstr(other, "op_hash"));
        }
        json_decref(doc);
        for (int k = 0; k < 2; k++) {
                static double first;
                json_t *p;
                doc = run_doc(k ? "cg1.json" : "cg0.json", "--alloc=musl",
                              "--workload=calloc-sweep", "--set", "sizes=1M", "--set",
                              "iterations=64", "--reps", "1", "--count", "callgrind", NULL);
                p = point_of(run_of(doc, "musl"), 1u << 20);
                /* an mmap'd block handed out as it is: a few hundred
                 * instructions, where a memset of 1 MiB counts a million */
                assert_true(num(p, "instructions_per_op") > 50);
                assert_true(num(p, "instructions_per_op") < 10000);
                if (k == 0)
                        first = num(p, "instructions_per_op");
                else
                        assert_true(num(p, "instructions_per_op") == first);
                json_decref(doc);
        }
}

/* replay maps a record and plays its threads with pthreads and futexes:
 * arena-churn's four threads freeing each other's blocks, recorded under
 * glibc, replayed under musl and glibc with one op stream and, at every
 * round end, the same live bytes. */
static void test_replay(void **state)
{
        const char *rec = tmpfile_path("xf.arec");
        char set[600];
        json_t *doc, *musl, *glibc;
        (void)state;
        json_decref(run_doc("xf-rec.json", "--alloc=glibc", "--workload=arena-churn", "--set",
                            "threads=4", "--set", "cross_free=50", "--set", "ops=5000", "--set",
                            "rounds=4", "--reps", "1", "--record", rec, NULL));
        snprintf(set, sizeof set, "trace=%s", rec);
        doc = run_doc("xf-rep.json", "--alloc=musl,glibc", "--workload=replay", "--set", set,
                      "--reps", "2", NULL);
        check_identity(doc);
        check_same_stream(doc);
        musl = json_object_get(run_of(doc, "musl"), "rounds");
        glibc = json_object_get(run_of(doc, "glibc"), "rounds");
        assert_int_equal(json_array_size(musl), 4);
        assert_int_equal(json_array_size(glibc), 4);
        for (size_t k = 0; k < 4; k++)
                assert_true(num(json_array_get(musl, k), "live_bytes") ==
                            num(json_array_get(glibc, k), "live_bytes"));
        json_decref(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_calloc_sweep),
            cmocka_unit_test(test_arena_churn),
            cmocka_unit_test(test_list),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_kernels_and_passes),
            cmocka_unit_test(test_replay),
        };
        return cmocka_run_group_tests(tests, setup, teardown_all);
}
