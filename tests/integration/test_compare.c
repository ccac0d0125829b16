/*
 * End-to-end tests of bench compare: results files made by the real ./bench,
 * compared with themselves, with a run made slower on purpose, with files
 * whose points do not meet, with a run that raises a new flag, and with
 * edited copies (another host, a crashed point, grown memory); bad input.
 *
 * The slow run is glibc with MALLOC_PERTURB_=1: free() then fills every
 * block with the perturb byte and calloc() clears it again, so calloc-sweep
 * of 4 KiB and 64 KiB blocks costs about 2.6x and 3x as much (measured on a
 * 2-core VM: 35 -> 93 ns and 410 ns -> 1.25 us). The verdict needs only
 * p < 0.05 and a ratio of 1.05, and the assertions hold to that, not to the
 * size of the effect. What can break it is a repetition of BASE preempted by
 * another process for longer than the whole effect (a 0.8 ms region
 * stretched by a time slice: 1.5 us/op seen at 64 KiB): each such outlier
 * moves U by a side's count. With 7 repetitions a side two outliers make it
 * not significant; with 15 (normal approximation) it takes five. Under three
 * CPU hogs on this 2-core VM (one steady, two bursty) 7 repetitions failed
 * about once in 20 runs and 15 repetitions passed 25 of 25. (GLIBC_TUNABLES
 * glibc.malloc.tcache_count=0 was tried first: glibc 2.36's calloc does not
 * go through the tcache, and the change stayed within the noise.)
 */
#include <time.h>

#include "itest.h"

static bool made;

/* NAME in the temporary directory, in the caller's buffer (tmpfile_path's
 * buffers are reused after eight calls). */
#define TMP(var, name)                                                                             \
        char var[512];                                                                             \
        snprintf(var, sizeof var, "%s/%s", tmpdir, name)

/* Every point of d measured to its precision (the default 5%). */
static bool precise(json_t *d)
{
        json_t *r, *p;
        size_t i, j;
        json_array_foreach(json_object_get(d, "runs"), i, r)
        {
                json_array_foreach(json_object_get(r, "points"), j, p)
                {
                        if (!json_is_true(json_object_get(p, "precision_met")))
                                return false;
                }
        }
        return true;
}

/* The shared files: BASE of glibc and jemalloc, and glibc made slow, 15
 * repetitions each (see above). A pair in which some point missed its
 * precision (the machine busy with something else during some of its
 * repetitions, which compare rightly calls "not significant") is measured
 * again, up to three times: the tests below are of compare's verdicts on
 * clean measurements, not of the machine's quiet. */
static void make_files(void)
{
        json_t *d, *e;
        bool ok = false;
        if (made)
                return;
        for (int k = 0; k < 3 && !ok; k++) {
                unlink(tmpfile_path("base.json"));
                unlink(tmpfile_path("slow.json"));
                d = run_doc("base.json", "--alloc=glibc,jemalloc", "--workload=calloc-sweep",
                            "--set", "sizes=4k,64k", "--set", "iterations=2000", "--reps", "15",
                            NULL);
                e = run_doc("slow.json", "--alloc=glibc", "--workload=calloc-sweep", "--set",
                            "sizes=4k,64k", "--set", "iterations=2000", "--reps", "15", "--env",
                            "MALLOC_PERTURB_=1", NULL);
                ok = precise(d) && precise(e);
                json_decref(d);
                json_decref(e);
        }
        made = true;
}

/* The compared point of `alloc` at `label`, or NULL. */
static json_t *point_of(json_t *rep, const char *alloc, const char *label)
{
        json_t *p;
        size_t i;
        json_array_foreach(json_object_get(rep, "points"), i, p)
        {
                if (strcmp(jstr(p, "allocator"), alloc) == 0 &&
                    strcmp(jstr(p, "point"), label) == 0)
                        return p;
        }
        return NULL;
}

static json_t *run_point(json_t *doc, size_t run, size_t point)
{
        return json_array_get(
            json_object_get(json_array_get(json_object_get(doc, "runs"), run), "points"), point);
}

/* A file against itself: every point paired, every sample identical, so no
 * verdict other than same or not significant, p = 1, ratio 1, exit 0. */
static void test_self_compare(void **state)
{
        TMP(base, "base.json");
        json_t *rep, *p;
        size_t i;
        (void)state;
        make_files();
        assert_int_equal(run("compare", base, base), 0);
        assert_non_null(strstr(outtext, "no regression"));
        assert_null(strstr(outtext, "slower"));
        assert_non_null(strstr(outtext, "the same for both")); /* one host */
        assert_int_equal(run("compare", "--format", "json", base, base), 0);
        rep = stdout_json();
        assert_false(json_is_true(json_object_get(rep, "regression")));
        assert_int_equal(json_array_size(json_object_get(rep, "points")), 4);
        json_array_foreach(json_object_get(rep, "points"), i, p)
        {
                const char *v = jstr(p, "verdict");
                assert_true(strcmp(v, "same") == 0 || strcmp(v, "not significant") == 0);
                assert_true(json_number_value(json_object_get(p, "p")) == 1.0);
                assert_true(json_number_value(json_object_get(p, "ratio")) == 1.0);
                assert_true(json_number_value(
                                json_object_get(json_object_get(p, "ratio_ci"), "lo")) <= 1.0);
                assert_true(json_number_value(
                                json_object_get(json_object_get(p, "ratio_ci"), "hi")) >= 1.0);
        }
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_base")), 0);
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_new")), 0);
        assert_int_equal(json_array_size(json_object_get(rep, "host_differences")), 0);
        assert_int_equal(json_array_size(json_object_get(json_object_get(rep, "flags"), "new")), 0);
        assert_int_equal(json_array_size(json_object_get(rep, "memory")), 0);
        assert_int_equal(json_array_size(json_object_get(rep, "conditions")), 0);
        json_decref(rep);
}

/* glibc made slower on purpose: both of its points slower, exit 3; the
 * environment that differs is named; jemalloc, absent from NEW, listed. */
static void test_slower_is_regression(void **state)
{
        TMP(base, "base.json");
        TMP(slow, "slow.json");
        json_t *rep, *p, *c;
        const char *labels[] = {"size=4096", "size=65536"};
        (void)state;
        make_files();
        assert_int_equal(run("compare", base, slow), 3);
        assert_non_null(strstr(outtext, "slower"));
        assert_non_null(strstr(outtext, "MALLOC_PERTURB_"));
        assert_non_null(strstr(outtext, "regression: 2 points slower"));
        assert_int_equal(run("compare", "--format=json", base, slow), 3);
        rep = stdout_json();
        assert_true(json_is_true(json_object_get(rep, "regression")));
        assert_int_equal(json_array_size(json_object_get(rep, "points")), 2);
        for (int i = 0; i < 2; i++) {
                p = point_of(rep, "glibc", labels[i]);
                assert_non_null(p);
                assert_string_equal(jstr(p, "verdict"), "slower");
                assert_true(json_number_value(json_object_get(p, "p")) < 0.05);
                assert_true(json_number_value(json_object_get(p, "ratio")) >= 1.05);
                assert_true(
                    json_number_value(json_object_get(json_object_get(p, "ratio_ci"), "lo")) > 1);
                assert_string_equal(jstr(p, "test"), "normal"); /* more than 10 a side */
                assert_int_equal(
                    json_integer_value(json_object_get(json_object_get(p, "base"), "reps")), 15);
        }
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_base")), 2);
        assert_string_equal(
            jstr(json_array_get(json_object_get(rep, "only_in_base"), 0), "allocator"), "jemalloc");
        c = json_array_get(json_object_get(rep, "conditions"), 0);
        assert_non_null(c);
        assert_string_equal(jstr(c, "what"), "env.MALLOC_PERTURB_");
        assert_true(json_is_null(json_object_get(c, "base")));
        assert_string_equal(jstr(c, "new"), "1");
        json_decref(rep);

        /* the same files the other way round: faster, no regression */
        assert_int_equal(run("compare", "--format", "json", slow, base), 0);
        rep = stdout_json();
        assert_string_equal(jstr(point_of(rep, "glibc", "size=65536"), "verdict"), "faster");
        assert_string_equal(jstr(point_of(rep, "glibc", "size=4096"), "verdict"), "faster");
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_new")), 2);
        json_decref(rep);

        /* a threshold above the change: significant, but the same */
        assert_int_equal(run("compare", "--threshold", "1000", "--format", "json", base, slow), 0);
        rep = stdout_json();
        assert_string_equal(jstr(point_of(rep, "glibc", "size=65536"), "verdict"), "same");
        json_decref(rep);

        /* an alpha 15 and 15 repetitions cannot reach (2 / C(30, 15) = 1.3e-8) */
        assert_int_equal(run("compare", "--alpha", "1e-12", "--format", "json", base, slow), 0);
        rep = stdout_json();
        assert_string_equal(jstr(point_of(rep, "glibc", "size=65536"), "verdict"), "too few reps");
        json_decref(rep);
}

/* CSV: a header and one row per compared point. */
static void test_csv(void **state)
{
        TMP(base, "base.json");
        TMP(slow, "slow.json");
        int lines = 0;
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--format", "csv", base, slow), 3);
        for (const char *s = outtext; *s; s++)
                lines += *s == '\n';
        assert_int_equal(lines, 3);
        assert_true(strncmp(outtext, "allocator,workload,point,", 25) == 0);
        assert_non_null(strstr(outtext, "\nglibc,calloc-sweep,size=4096,15,15,"));
        assert_non_null(strstr(outtext, ",slower,"));
}

/* Files that share no point: all listed as only in one file, exit 0, and
 * a word on stderr. */
static void test_disjoint_points(void **state)
{
        TMP(base, "base.json");
        json_t *d, *rep;
        (void)state;
        make_files();
        d = run_doc("other.json", "--alloc=glibc", "--workload=calloc-sweep", "--set",
                    "sizes=16k,32k", "--set", "iterations=500", "--reps", "3", NULL);
        json_decref(d);
        assert_int_equal(run("compare", base, tmpfile_path("other.json")), 0);
        assert_non_null(strstr(outtext, "only in BASE (4)"));
        assert_non_null(strstr(outtext, "only in NEW (2)"));
        assert_non_null(strstr(outtext, "size=16384"));
        assert_non_null(strstr(errtext, "no point"));
        assert_int_equal(run("compare", "--format", "json", base, tmpfile_path("other.json")), 0);
        rep = stdout_json();
        assert_int_equal(json_array_size(json_object_get(rep, "points")), 0);
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_base")), 4);
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_new")), 2);
        assert_string_equal(jstr(json_array_get(json_object_get(rep, "only_in_new"), 1), "point"),
                            "size=32768");
        json_decref(rep);
}

/* conn-leak leaking one record per 64 connections raises leak-growth, which
 * the clean run did not: a new flag is a regression. The other way round the
 * flag is gone. The two runs did different work (leak_every 0 and 64): their
 * times get no verdict. */
static void test_new_flag_is_regression(void **state)
{
        TMP(clean, "clean.json");
        TMP(leak, "leak.json");
        json_t *d, *rep, *f;
        (void)state;
        d = run_doc("clean.json", "--alloc=glibc", "--workload=conn-leak", "--set", "settle_ms=0",
                    "--reps", "3", NULL);
        assert_int_equal(json_array_size(json_object_get(d, "flags")), 0);
        json_decref(d);
        d = run_doc("leak.json", "--alloc=glibc", "--workload=conn-leak", "--set", "leak_every=64",
                    "--set", "settle_ms=0", "--reps", "3", NULL);
        assert_int_equal(count_flags(d, "leak-growth", "glibc"), 1);
        json_decref(d);

        assert_int_equal(run("compare", clean, leak), 3);
        assert_non_null(strstr(outtext, "new flags in NEW (1"));
        assert_non_null(strstr(outtext, "leak-growth"));
        assert_non_null(strstr(outtext, "not comparable"));
        assert_non_null(strstr(outtext, "leak_every 0 vs 64"));
        assert_non_null(strstr(outtext, "params.leak_every: 0 -> 64"));
        assert_int_equal(run("compare", "--format", "json", clean, leak), 3);
        rep = stdout_json();
        assert_true(json_is_true(json_object_get(rep, "regression")));
        f = json_array_get(json_object_get(json_object_get(rep, "flags"), "new"), 0);
        assert_non_null(f);
        assert_string_equal(jstr(f, "kind"), "leak-growth");
        assert_string_equal(jstr(f, "allocator"), "glibc");
        assert_int_equal(json_array_size(json_object_get(json_object_get(rep, "flags"), "gone")),
                         0);
        assert_string_equal(jstr(point_of(rep, "glibc", "-"), "verdict"), "not comparable");
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(rep, "summary"), "slower")), 0);
        json_decref(rep);

        /* reversed: the flag is gone (memory is left out: it differs between
         * the two workloads, and this is about flags) */
        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "json", leak, clean),
                         0);
        rep = stdout_json();
        assert_int_equal(json_array_size(json_object_get(json_object_get(rep, "flags"), "new")), 0);
        f = json_array_get(json_object_get(json_object_get(rep, "flags"), "gone"), 0);
        assert_non_null(f);
        assert_string_equal(jstr(f, "kind"), "leak-growth");
        assert_false(json_is_true(json_object_get(rep, "regression")));
        json_decref(rep);
}

static void other_host(json_t *d)
{
        json_t *h = json_object_get(d, "host");
        json_object_set_new(h, "hostname", json_string("mbp.local"));
        json_object_set_new(h, "os", json_string("macOS 14.5"));
        json_object_set_new(h, "kernel", json_string("Darwin 23.5.0"));
        json_object_set_new(h, "cpu_model", json_string("Apple M2"));
        json_object_set_new(h, "libc", json_null());
}

/* A Linux file against a macOS one (the same data with another host): the
 * hosts are shown side by side; the comparison goes on as usual. */
static void test_hosts_differ(void **state)
{
        TMP(base, "base.json");
        json_t *rep;
        (void)state;
        make_files();
        edited_copy("base.json", "mac.json", other_host);
        assert_int_equal(run("compare", base, tmpfile_path("mac.json")), 0);
        assert_non_null(strstr(outtext, "hosts differ"));
        assert_non_null(strstr(outtext, "mbp.local"));
        assert_non_null(strstr(outtext, "Darwin 23.5.0"));
        assert_non_null(strstr(outtext, "Apple M2"));
        {
                /* BASE's libc (when the platform knows it) beside NEW's none */
                json_t *d = load(base);
                if (jstr(d, "host.libc"))
                        assert_non_null(strstr(outtext, jstr(d, "host.libc")));
                json_decref(d);
        }
        assert_int_equal(run("compare", "--format", "json", base, tmpfile_path("mac.json")), 0);
        rep = stdout_json();
        assert_int_equal(json_array_size(json_object_get(rep, "host_differences")), 5);
        assert_string_equal(jstr(rep, "new.host.hostname"), "mbp.local");
        assert_int_equal(json_array_size(json_object_get(rep, "points")), 4);
        json_decref(rep);
}

static void crash_jemalloc_64k(json_t *d)
{
        json_t *p = run_point(d, 1, 1);
        json_object_set_new(p, "status", json_string("crashed"));
        json_object_set_new(p, "samples_ns_per_op", json_array());
}

/* RSS grown by half in every repetition: the median and the range move. */
static void grow_rss(json_t *d)
{
        json_t *p = run_point(d, 0, 0);
        json_t *r = json_object_get(json_object_get(p, "memory_range"), "rss_kib");
        json_object_set_new(
            p, "rss_kib",
            json_integer(json_integer_value(json_object_get(p, "rss_kib")) * 3 / 2 + 512));
        for (size_t i = 0; i < 2; i++)
                json_array_set_new(
                    r, i, json_integer(json_integer_value(json_array_get(r, i)) * 3 / 2 + 512));
}

/* The same median growth, but the repetitions' range reaches down to the
 * base's: some processes kept the extra memory, some did not (one run's
 * median landed on the high ones). Not a change. */
static void grow_rss_median_only(json_t *d)
{
        json_t *p = run_point(d, 0, 0);
        json_t *r = json_object_get(json_object_get(p, "memory_range"), "rss_kib");
        json_int_t med = json_integer_value(json_object_get(p, "rss_kib"));
        json_object_set_new(p, "rss_kib", json_integer(med * 3 / 2 + 512));
        json_array_set_new(r, 1, json_integer(med * 3 / 2 + 512));
}

/* Edited copies: a point without samples is missing; RSS grown by half in
 * every repetition is a memory regression unless --mem-threshold says more
 * or off; a median grown as much within the repetitions' range is not. */
static void test_missing_and_memory(void **state)
{
        TMP(base, "base.json");
        json_t *rep, *m;
        (void)state;
        make_files();
        edited_copy("base.json", "crash.json", crash_jemalloc_64k);
        assert_int_equal(run("compare", "--format", "json", base, tmpfile_path("crash.json")), 0);
        rep = stdout_json();
        assert_string_equal(jstr(point_of(rep, "jemalloc", "size=65536"), "verdict"), "missing");
        assert_non_null(strstr(jstr(point_of(rep, "jemalloc", "size=65536"), "note"), "crashed"));
        json_decref(rep);

        if (generic)
                return; /* no RSS there to grow */
        edited_copy("base.json", "fat.json", grow_rss);
        assert_int_equal(run("compare", base, tmpfile_path("fat.json")), 3);
        assert_non_null(strstr(outtext, "rss_kib"));
        assert_non_null(strstr(outtext, "1 memory growth"));
        assert_int_equal(run("compare", "--format", "json", base, tmpfile_path("fat.json")), 3);
        rep = stdout_json();
        m = json_array_get(json_object_get(rep, "memory"), 0);
        assert_non_null(m);
        assert_string_equal(jstr(m, "metric"), "rss_kib");
        assert_string_equal(jstr(m, "verdict"), "regression");
        assert_string_equal(jstr(m, "allocator"), "glibc");
        assert_true(json_number_value(json_object_get(m, "change")) > 0.5);
        json_decref(rep);
        assert_int_equal(run("compare", "--mem-threshold", "200%", base, tmpfile_path("fat.json")),
                         0);
        assert_int_equal(run("compare", "--mem-threshold=off", base, tmpfile_path("fat.json")), 0);
        assert_non_null(strstr(outtext, "not compared"));
        /* the other way round it is an improvement */
        assert_int_equal(run("compare", tmpfile_path("fat.json"), base), 0);
        if (!strstr(outtext, "improvement"))
                fail_msg("no improvement in:\n%s", outtext);
        /* a median that moved within the repetitions' range is not a change */
        edited_copy("base.json", "fat2.json", grow_rss_median_only);
        assert_int_equal(run("compare", "--format", "json", base, tmpfile_path("fat2.json")), 0);
        rep = stdout_json();
        assert_int_equal(json_array_size(json_object_get(rep, "memory")), 0);
        json_decref(rep);
}

/* Bad input: exit 1, a message naming what is wrong, nothing on stdout. */
static void test_bad_input(void **state)
{
        TMP(base, "base.json");
        TMP(junk, "junk.json");
        FILE *f;
        static const struct {
                const char *opt, *val, *says;
        } bad[] = {{"--threshold", "abc", "--threshold: 'abc'"},
                   {"--threshold", "-5", "--threshold: '-5'"},
                   {"--mem-threshold", "lots", "--mem-threshold: 'lots'"},
                   {"--alpha", "0", "--alpha: '0'"},
                   {"--alpha", "1.5", "--alpha: '1.5'"},
                   {"--format", "xml", "--format: 'xml'"}};
        (void)state;
        make_files();
        f = fopen(junk, "w");
        assert_non_null(f);
        fputs("{\"schema\": \"something/else\"}\n", f);
        fclose(f);

        assert_int_equal(run("compare", tmpfile_path("nonexistent.json"), base), 1);
        assert_non_null(strstr(errtext, "nonexistent.json"));
        assert_string_equal(outtext, "");
        assert_int_equal(run("compare", base, junk), 1);
        assert_non_null(strstr(errtext, "not an allocbench results file"));
        assert_string_equal(outtext, "");
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                assert_int_equal(run("compare", bad[i].opt, bad[i].val, base, base), 1);
                if (!strstr(errtext, bad[i].says))
                        fail_msg("%s %s: stderr says \"%s\"", bad[i].opt, bad[i].val, errtext);
                assert_non_null(strstr(errtext, "accepted"));
                assert_string_equal(outtext, "");
        }
        assert_int_equal(run("compare", base), 1);
        assert_non_null(strstr(errtext, "usage"));
        assert_int_equal(run("compare", base, base, base), 1);
        assert_int_equal(run("compare", "--frobnicate", base, base), 1);
        assert_non_null(strstr(errtext, "--frobnicate"));
        assert_int_equal(run("compare", base, base, "--threshold"), 1);
        assert_non_null(strstr(errtext, "needs a value"));

        assert_int_equal(run("compare", "--help"), 0);
        assert_non_null(strstr(outtext, "usage: bench compare"));
        assert_non_null(strstr(outtext, "--mem-threshold"));
}

/* Schema-valid but unusual files: a point label longer than the 511 bytes a
 * label keeps, made of 2-byte characters (truncation must not cut one in
 * half), and samples far beyond what bench run writes (not tested, and
 * quickly, instead of comparing every pair). */
static void test_unusual_files(void **state)
{
        TMP(base, "base.json");
        TMP(utf, "utf.json");
        TMP(big, "big.json");
        json_t *d, *r, *p, *e;
        char key[700] = "";
        size_t i, j;
        (void)state;
        make_files();
        d = load(base);
        for (i = 0; i < 300; i++)
                strcat(key, "\xc3\xa9"); /* é */
        json_array_foreach(json_object_get(d, "runs"), i, r)
                json_array_foreach(json_object_get(r, "points"), j, p)
                        json_object_set_new(p, "params", json_pack("{s:s,s:I}", "k", key, "n",
                                                                   (json_int_t)j));
        assert_int_equal(json_dump_file(d, utf, 0), 0);
        json_decref(d);
        assert_int_equal(run("compare", utf, utf, "--format", "json"), 0);
        d = stdout_json();
        assert_int_equal(json_array_size(json_object_get(d, "points")), 4);
        json_decref(d);

        d = load(base);
        json_array_foreach(json_object_get(d, "runs"), i, r)
                json_array_foreach(json_object_get(r, "points"), j, p)
                {
                        json_t *a = json_object_get(p, "samples_ns_per_op"), *x = json_array();
                        for (int k = 0; k < 12000; k++)
                                json_array_append(x, json_array_get(a, (size_t)k % json_array_size(a)));
                        json_object_set_new(p, "samples_ns_per_op", x);
                }
        assert_int_equal(json_dump_file(d, big, 0), 0);
        json_decref(d);
        assert_int_equal(run("compare", base, big, "--format", "json"), 0);
        d = stdout_json();
        json_array_foreach(json_object_get(d, "points"), i, e)
                assert_string_equal(json_string_value(json_object_get(e, "verdict")), "not tested");
        json_decref(d);
}

/* bench compare A B, killed when it is still running after `seconds`: a
 * compare that waits for a FIFO's writer fails the test instead of hanging
 * the suite. The exit code as run() gives it, or -1 after the kill. */
static int run_compare_bounded(unsigned seconds, const char *a, const char *b)
{
        const char *argv[] = {bench_bin, "compare", a, b, NULL};
        char outp[256], errp[256];
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int st = 0;
        snprintf(outp, sizeof outp, "%s/stdout", tmpdir);
        snprintf(errp, sizeof errp, "%s/stderr", tmpdir);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_int_equal(posix_spawn(&pid, bench_bin, &fa, NULL, (char **)argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        for (unsigned ms = 0; waitpid(pid, &st, WNOHANG) == 0; ms += 10) {
                struct timespec tick = {0, 10 * 1000 * 1000};
                if (ms >= seconds * 1000) {
                        kill(pid, SIGKILL);
                        assert_int_equal(waitpid(pid, &st, 0), pid);
                        return -1;
                }
                nanosleep(&tick, NULL);
        }
        slurp(outp, outtext, sizeof outtext);
        slurp(errp, errtext, sizeof errtext);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A FIFO as BASE or as NEW (say, a process substitution whose writer never
 * comes): refused at once as not a regular file, exit 1, nothing on stdout,
 * instead of waiting forever for a writer. */
static void test_fifo_is_refused(void **state)
{
        TMP(base, "base.json");
        TMP(fifo, "results.fifo");
        (void)state;
        make_files();
        unlink(fifo);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        for (int side = 0; side < 2; side++) {
                int rc = side ? run_compare_bounded(10, base, fifo)
                              : run_compare_bounded(10, fifo, base);
                if (rc == -1)
                        fail_msg("bench compare with a FIFO as %s still ran after 10 s",
                                 side ? "NEW" : "BASE");
                assert_int_equal(rc, 1);
                if (!strstr(errtext, fifo) || !strstr(errtext, "not a regular file"))
                        fail_msg("FIFO as %s: stderr says \"%s\"", side ? "NEW" : "BASE", errtext);
                assert_non_null(strstr(errtext, side ? "NEW" : "BASE"));
                assert_string_equal(outtext, "");
        }
        unlink(fifo);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_self_compare),
            cmocka_unit_test(test_slower_is_regression),
            cmocka_unit_test(test_csv),
            cmocka_unit_test(test_disjoint_points),
            cmocka_unit_test(test_new_flag_is_regression),
            cmocka_unit_test(test_hosts_differ),
            cmocka_unit_test(test_missing_and_memory),
            cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_unusual_files),
            cmocka_unit_test(test_fifo_is_refused),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
