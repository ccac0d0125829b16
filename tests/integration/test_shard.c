/*
 * End-to-end tests of bench run --shard K/N and bench merge: the four
 * shards of a matrix, merged, give the unsharded run's points (the same
 * keys, op counts and op_hash), run op_hash and flags; every refusal
 * (another command, another host, a shard twice, overlapping cells, a
 * missing shard, a file that is no shard, -o naming a shard) exits 1 and
 * writes nothing; a shard without cells still writes a valid document; the
 * merged file loads in compare, plot and sites.
 *
 * The matrix: glibc, jemalloc and the in-tree libleakfree.so (drops every
 * fourth small free) x calloc-sweep at 64 KiB..16 MiB (5 points) and
 * conn-leak (1 point): 18 cells, iterations fixed so that every run does the
 * same work. Its flags on this VM: calloc-zeroing of glibc and
 * libleakfree.so from 1 MiB (a reused heap block memset: about 1.0-1.2x a
 * calibrated memset, where the detector needs 0.5x) and leak-growth of
 * libleakfree.so on conn-leak (RSS rising a round with nothing live: a
 * count), far from their thresholds, so the unsharded and the merged runs
 * agree run after run (20 of 20 pairs). The generic build measures no
 * memory, so it has no leak-growth; the comparison is the same.
 */
#include "itest.h"

#define TMP(var, name)                                                                             \
        char var[512];                                                                             \
        snprintf(var, sizeof var, "%s/%s", tmpdir, name)

static bool made;

/* The matrix's arguments, NULL-terminated, after room for argv[0..]. */
static int matrix_args(const char **argv, int n)
{
        static char alloc[600];
        snprintf(alloc, sizeof alloc, "--alloc=glibc,jemalloc,%s/libleakfree.so", build_dir);
        const char *a[] = {alloc,    "--workload=calloc-sweep,conn-leak",
                           "--set",  "sizes=64k..16M*4",
                           "--set",  "iterations=8",
                           "--set",  "settle_ms=0",
                           "--reps", "2",
                           "-q",     NULL};
        for (size_t i = 0; a[i]; i++)
                argv[n++] = a[i];
        argv[n] = NULL;
        return n;
}

/* bench run of the matrix to NAME, with --shard SHARD when not NULL and
 * one more option pair when extra is not NULL. */
static void run_matrix(const char *name, const char *shard, const char *extra, const char *value)
{
        const char *argv[40];
        int n = matrix_args(argv, 1);
        argv[n++] = "-o";
        argv[n++] = tmpfile_path(name);
        if (shard) {
                argv[n++] = "--shard";
                argv[n++] = shard;
        }
        if (extra) {
                argv[n++] = extra;
                argv[n++] = value;
        }
        argv[n] = NULL;
        if (run_argv(NULL, argv) != 0)
                fail_msg("bench run %s exited non-zero: %s", shard ? shard : "", errtext);
}

static void make_files(void)
{
        char s[8], f[16];
        if (made)
                return;
        run_matrix("whole.json", NULL, NULL, NULL);
        for (int k = 1; k <= 4; k++) {
                snprintf(s, sizeof s, "%d/4", k);
                snprintf(f, sizeof f, "s%d.json", k);
                run_matrix(f, s, NULL, NULL);
        }
        made = true;
}

/* bench with the space-separated words of `words`, then --shard SHARD and
 * -o OUT: its exit code. */
static int run_shard(const char *words, const char *shard, const char *out)
{
        char buf[1024], *save, *w;
        const char *argv[40];
        int n = 1;
        snprintf(buf, sizeof buf, "%s", words);
        for (w = strtok_r(buf, " ", &save); w && n < 34; w = strtok_r(NULL, " ", &save))
                argv[n++] = w;
        argv[n++] = "--shard";
        argv[n++] = shard;
        argv[n++] = "-o";
        argv[n++] = out;
        argv[n] = NULL;
        return run_argv(NULL, argv);
}

/* The two shards of a split in two, to one and two (both must exit 0). */
static void two_shards(const char *words, const char *one, const char *two)
{
        assert_int_equal(run_shard(words, "1/2", one), 0);
        assert_int_equal(run_shard(words, "2/2", two), 0);
}

static json_t *runs(json_t *doc)
{
        return json_object_get(doc, "runs");
}

/* "ALLOC|WORKLOAD|PARAMS" of every point, with its op_hash, ops and reps,
 * in the document's order, one a line. */
static char *points_text(json_t *doc)
{
        static char buf[2][16384];
        static int k;
        char *b = buf[k++ % 2];
        size_t off = 0, i, j;
        json_t *r, *p;
        b[0] = '\0';
        json_array_foreach(runs(doc), i, r)
        {
                json_array_foreach(json_object_get(r, "points"), j, p)
                {
                        char *params =
                            json_dumps(json_object_get(p, "params"), JSON_COMPACT | JSON_SORT_KEYS);
                        off += (size_t)snprintf(
                            b + off, sizeof buf[0] - off,
                            "%s|%s|%s op_hash=%s ops=%lld reps=%lld\n", jstr(r, "allocator.name"),
                            jstr(r, "workload.name"), params, jstr(p, "op_hash"),
                            (long long)json_integer_value(json_object_get(p, "ops")),
                            (long long)json_integer_value(json_object_get(p, "reps")));
                        free(params);
                }
        }
        return b;
}

/* Every flag as "KIND SEVERITY ALLOC WORKLOAD WHERE", sorted, one a line. */
static char *flags_text(json_t *doc)
{
        static char buf[2][16384];
        static int k;
        char *b = buf[k++ % 2], lines[64][256];
        size_t n = 0, off = 0, i;
        json_t *f;
        json_array_foreach(json_object_get(doc, "flags"), i, f)
        {
                char *where =
                    json_dumps(json_object_get(f, "where"), JSON_COMPACT | JSON_SORT_KEYS);
                assert_true(n < 64);
                snprintf(lines[n++], sizeof lines[0], "%s %s %s %s %s", jstr(f, "kind"),
                         jstr(f, "severity"), jstr(f, "allocator"), jstr(f, "workload"), where);
                free(where);
        }
        qsort(lines, n, sizeof lines[0], (int (*)(const void *, const void *))strcmp);
        b[0] = '\0';
        for (i = 0; i < n; i++)
                off += (size_t)snprintf(b + off, sizeof buf[0] - off, "%s\n", lines[i]);
        return b;
}

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* --shard with a value out of range or malformed: exit 1, the accepted
 * form named, nothing written. */
static void test_bad_shard(void **state)
{
        const char *bad[] = {"0/4", "5/4", "x", "1/0", "3", "1/4/2", "-1/4", "2/"};
        const char *out = tmpfile_path("bad.json");
        (void)state;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                assert_int_equal(
                    run("--alloc=glibc", "--workload=calloc-sweep", "--shard", bad[i], "-o", out),
                    1);
                assert_non_null(strstr(errtext, "--shard"));
                assert_non_null(strstr(errtext, "accepted: K/N"));
                assert_false(exists(out));
        }
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "-o", out, "--shard"), 1);
        assert_non_null(strstr(errtext, "needs a value"));
        assert_false(exists(out));
}

/* Each shard holds the cells of the rule, the shards together the matrix
 * once, balanced; its document has exactly its cells' points. */
static void test_shards_split_the_matrix(void **state)
{
        int seen[18] = {0}, all[18], n = 0;
        (void)state;
        make_files();
        for (int k = 1; k <= 4; k++) {
                char f[16];
                json_t *d, *sh, *c, *r;
                size_t i, points = 0;
                snprintf(f, sizeof f, "s%d.json", k);
                d = load(tmpfile_path(f));
                sh = json_object_get(d, "shard");
                assert_int_equal(json_integer_value(json_object_get(sh, "index")), k);
                assert_int_equal(json_integer_value(json_object_get(sh, "count")), 4);
                assert_int_equal(json_integer_value(json_object_get(sh, "cells_total")), 18);
                /* 18 cells in 4 shards: 5, 5, 4, 4 */
                assert_int_equal(json_array_size(json_object_get(sh, "cells")), k <= 2 ? 5 : 4);
                json_array_foreach(json_object_get(sh, "cells"), i, c)
                {
                        int cell = (int)json_integer_value(c);
                        assert_true(cell >= 0 && cell < 18);
                        /* the rule: ((i mod N) + floor(i / N)) mod N + 1 */
                        assert_int_equal((cell % 4 + cell / 4) % 4 + 1, k);
                        seen[cell]++;
                        all[n++] = cell;
                }
                json_array_foreach(runs(d), i, r) points +=
                    json_array_size(json_object_get(r, "points"));
                assert_int_equal(points, json_array_size(json_object_get(sh, "cells")));
                json_decref(d);
        }
        assert_int_equal(n, 18);
        qsort(all, 18, sizeof all[0], cmp_int);
        for (int i = 0; i < 18; i++) {
                assert_int_equal(seen[i], 1);
                assert_int_equal(all[i], i);
        }
}

/* The four shards merged (in any order) equal the unsharded run: the same
 * runs in the same order, the same points with the same op counts and
 * op_hash, the same run op_hash and the same flags. */
static void test_merge_equals_whole(void **state)
{
        TMP(whole, "whole.json");
        TMP(all, "all.json");
        json_t *w, *m;
        size_t i;
        (void)state;
        make_files();
        assert_int_equal(run("merge", tmpfile_path("s3.json"), tmpfile_path("s1.json"),
                             tmpfile_path("s4.json"), tmpfile_path("s2.json"), "-o", all),
                         0);
        w = load(whole);
        m = load(all);
        assert_int_equal(json_array_size(runs(m)), 6);
        assert_string_equal(points_text(m), points_text(w));
        assert_int_equal(count_of(points_text(m), "op_hash="), 18);
        assert_int_equal(count_of(points_text(m), "op_hash=(null)"), 0); /* each one hashed */
        for (i = 0; i < json_array_size(runs(w)); i++)
                assert_string_equal(jstr(json_array_get(runs(m), i), "op_hash"),
                                    jstr(json_array_get(runs(w), i), "op_hash"));
        assert_string_equal(flags_text(m), flags_text(w));
        if (!generic) {
                assert_int_equal(count_flags(m, "leak-growth", "libleakfree.so"), 1);
                assert_int_equal(count_flags(m, "calloc-zeroing", "glibc"), 1);
        }
        assert_null(json_object_get(m, "shard"));
        assert_int_equal(json_integer_value(jpath(m, "merge.count")), 4);
        assert_false(json_is_true(jpath(m, "merge.partial")));
        assert_int_equal(json_array_size(jpath(m, "merge.shards")), 4);
        assert_int_equal(json_integer_value(
                             json_object_get(json_array_get(jpath(m, "merge.shards"), 0), "index")),
                         1);
        assert_int_equal(count_of(errtext, "results: "), 1);
        json_decref(w);
        json_decref(m);
}

/* The merged file reads as any results file: compare pairs every point
 * with the unsharded run's (the same work: nothing "not comparable", no
 * point in one file only), compare with itself finds nothing, plot draws
 * it; --fail-on counts its flags as bench run's would. */
static void test_merged_file_reads(void **state)
{
        TMP(whole, "whole.json");
        TMP(all, "all.json");
        TMP(figs, "figs");
        json_t *rep, *m;
        json_error_t e;
        int rc;
        (void)state;
        make_files();
        if (!exists(all))
                assert_int_equal(run("merge", tmpfile_path("s1.json"), tmpfile_path("s2.json"),
                                     tmpfile_path("s3.json"), tmpfile_path("s4.json"), "-o", all),
                                 0);
        rc = run("compare", "--format", "json", whole, all);
        assert_true(rc == 0 || rc == 3); /* timings may differ; the work may not */
        rep = json_loads(outtext, 0, &e);
        assert_non_null(rep);
        assert_int_equal(json_array_size(json_object_get(rep, "points")), 18);
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_base")), 0);
        assert_int_equal(json_array_size(json_object_get(rep, "only_in_new")), 0);
        assert_int_equal(json_integer_value(jpath(rep, "summary.not_comparable")), 0);
        json_decref(rep);
        assert_int_equal(run("compare", all, all), 0);
        assert_non_null(strstr(outtext, "no regression"));
        mkdir(figs, 0755);
        assert_int_equal(run("plot", all, "-o", figs), 0);
        assert_true(exists(tmpfile_path("figs/all-calloc-sweep-ns.png")));
        assert_true(exists(tmpfile_path("figs/all-conn-leak-rounds.svg")));
        m = load(all);
        rc = run("merge", tmpfile_path("s1.json"), tmpfile_path("s2.json"), tmpfile_path("s3.json"),
                 tmpfile_path("s4.json"), "-o", tmpfile_path("failon.json"), "--fail-on", "warn");
        assert_int_equal(rc, json_array_size(json_object_get(m, "flags")) ? 2 : 0);
        assert_true(exists(tmpfile_path("failon.json")));
        json_decref(m);
}

static void other_host(json_t *d)
{
        json_t *h = json_object_get(d, "host");
        json_object_set_new(h, "hostname", json_string("other-host"));
        json_object_set_new(h, "libc", json_string("musl 1.2.4"));
}

/* shard 2 claims one of shard 1's cells as well */
static void extra_cell(json_t *d)
{
        json_array_insert_new(jpath(d, "shard.cells"), 0, json_integer(0));
}

/* Merge s1..s4 with `which` (1-based) replaced by `file`, plus options;
 * the exit code. The output, out.json, must not be written on a refusal. */
static int merge_with(int which, const char *file, const char *opt)
{
        const char *argv[16] = {NULL, "merge"};
        int n = 2;
        for (int k = 1; k <= 4; k++) {
                char f[16];
                snprintf(f, sizeof f, "s%d.json", k);
                argv[n++] = k == which ? tmpfile_path(file) : tmpfile_path(f);
        }
        argv[n++] = "-o";
        argv[n++] = tmpfile_path("out.json");
        if (opt)
                argv[n++] = opt;
        argv[n] = NULL;
        unlink(tmpfile_path("out.json"));
        return run_argv(NULL, argv);
}

/* Every refusal exits 1, says what is wrong, and writes nothing; the ones
 * a flag allows merge with it. */
static void test_refusals(void **state)
{
        TMP(out, "out.json");
        json_t *m;
        char *before, *after;
        (void)state;
        make_files();
        /* another command: shard 2 with another seed */
        run_matrix("s2-seed.json", "2/4", "--seed", "7");
        assert_int_equal(merge_with(2, "s2-seed.json", NULL), 1);
        assert_non_null(strstr(errtext, "ran different commands"));
        assert_non_null(strstr(errtext, "--seed"));
        assert_false(exists(out));
        assert_int_equal(merge_with(2, "s2-seed.json", "--allow-mixed"), 0);
        m = load(out);
        assert_true(json_is_true(jpath(m, "merge.allowed.mixed")));
        json_decref(m);
        /* another host (an edited copy) */
        edited_copy("s2.json", "s2-host.json", other_host);
        assert_int_equal(merge_with(2, "s2-host.json", NULL), 1);
        assert_non_null(strstr(errtext, "different hosts"));
        assert_non_null(strstr(errtext, "other-host"));
        assert_non_null(strstr(errtext, "musl 1.2.4"));
        assert_false(exists(out));
        assert_int_equal(merge_with(2, "s2-host.json", "--allow-hosts"), 0);
        m = load(out);
        assert_string_equal(jstr(json_array_get(jpath(m, "merge.shards"), 1), "host.hostname"),
                            "other-host");
        assert_string_equal(jstr(m, "host.hostname"),
                            jstr(json_array_get(jpath(m, "merge.shards"), 0), "host.hostname"));
        json_decref(m);
        /* a shard twice (a copy of shard 1 in place of shard 2) */
        edited_copy("s1.json", "s1-copy.json", NULL);
        assert_int_equal(merge_with(2, "s1-copy.json", NULL), 1);
        assert_non_null(strstr(errtext, "are both shard 1/4"));
        assert_false(exists(out));
        /* overlapping cells */
        edited_copy("s2.json", "s2-overlap.json", extra_cell);
        assert_int_equal(merge_with(2, "s2-overlap.json", NULL), 1);
        assert_non_null(strstr(errtext, "s2-overlap.json"));
        assert_false(exists(out));
        /* not a shard */
        assert_int_equal(merge_with(2, "whole.json", NULL), 1);
        assert_non_null(strstr(errtext, "is not a shard"));
        assert_false(exists(out));
        /* -o naming a shard: refused, the shard untouched */
        before = read_all(tmpfile_path("s1.json"));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), tmpfile_path("s2.json"), "-o",
                             tmpfile_path("s1.json")),
                         1);
        assert_non_null(strstr(errtext, "is one of the shards"));
        after = read_all(tmpfile_path("s1.json"));
        assert_string_equal(before, after);
        free(before);
        free(after);
}

/* bench merge's own bad input: exit 1, the accepted form named, nothing
 * written. */
static void test_merge_usage(void **state)
{
        TMP(out, "usage.json");
        (void)state;
        make_files();
        assert_int_equal(run("merge", tmpfile_path("s1.json")), 1);
        assert_non_null(strstr(errtext, "-o OUT.json is required"));
        assert_int_equal(run("merge", "-o", out), 1);
        assert_non_null(strstr(errtext, "no shards given"));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), "-o", out, "--fail-on", "low"), 1);
        assert_non_null(strstr(errtext, "accepted: warn or high"));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), "-o", out, "--format=xml"), 1);
        assert_non_null(strstr(errtext, "accepted: table, json or csv"));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), "-o", out, "--shard", "1/4"), 1);
        assert_non_null(strstr(errtext, "unknown option '--shard'"));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), "-o", out, "--verdicts",
                             tmpfile_path("no-such.verdicts")),
                         1);
        assert_non_null(strstr(errtext, "no such file"));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), "-o", out, "--fail-on"), 1);
        assert_non_null(strstr(errtext, "needs a value"));
        assert_false(exists(out));
        assert_int_equal(run("merge", "--help"), 0);
        assert_non_null(strstr(outtext, "--allow-hosts"));
}

static void interrupted(json_t *d)
{
        json_object_set_new(d, "interrupted", json_true());
}

/* A missing shard: refused with the cells named; --partial merges what is
 * there and says what is not. An interrupted shard likewise. */
static void test_missing_shard(void **state)
{
        TMP(out, "part.json");
        json_t *s4, *m, *r;
        size_t i, points = 0, missing;
        (void)state;
        make_files();
        assert_int_equal(run("merge", tmpfile_path("s1.json"), tmpfile_path("s2.json"),
                             tmpfile_path("s3.json"), "-o", out),
                         1);
        assert_non_null(strstr(errtext, "4 of the matrix's 18 cells are missing"));
        assert_non_null(strstr(errtext, "shards 4/4 not given"));
        assert_non_null(strstr(errtext, "--partial"));
        assert_int_equal(count_of(errtext, "of shard 4/4: "), 4);
        assert_false(exists(out));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), tmpfile_path("s2.json"),
                             tmpfile_path("s3.json"), "-o", out, "--partial"),
                         0);
        s4 = load(tmpfile_path("s4.json"));
        m = load(out);
        missing = json_array_size(jpath(s4, "shard.cells"));
        assert_true(json_is_true(jpath(m, "merge.partial")));
        assert_int_equal(json_array_size(jpath(m, "merge.missing")), missing);
        json_array_foreach(runs(m), i, r) points += json_array_size(json_object_get(r, "points"));
        assert_int_equal(points, 18 - missing);
        assert_false(json_is_true(json_object_get(m, "interrupted")));
        json_decref(s4);
        json_decref(m);
        edited_copy("s3.json", "s3-stopped.json", interrupted);
        assert_int_equal(run("merge", tmpfile_path("s1.json"), tmpfile_path("s2.json"),
                             tmpfile_path("s3-stopped.json"), tmpfile_path("s4.json"), "-o", out),
                         1);
        assert_non_null(strstr(errtext, "s3-stopped.json (shard 3/4) was interrupted"));
        assert_int_equal(run("merge", tmpfile_path("s1.json"), tmpfile_path("s2.json"),
                             tmpfile_path("s3-stopped.json"), tmpfile_path("s4.json"), "-o", out,
                             "--partial"),
                         0);
        m = load(out);
        assert_true(json_is_true(json_object_get(m, "interrupted")));
        assert_true(json_is_true(jpath(m, "merge.partial")));
        assert_int_equal(json_array_size(jpath(m, "merge.missing")), 0);
        json_decref(m);
}

/* A shard without cells (2 of 2 where the matrix has one cell): exit 0,
 * said on stderr, a valid document with its shard and no runs; merged with
 * shard 1 it gives shard 1's point. */
static void test_empty_shard(void **state)
{
        TMP(e1, "e1.json");
        TMP(e2, "e2.json");
        TMP(em, "em.json");
        json_t *d, *m;
        (void)state;
        two_shards("--alloc=glibc --workload=calloc-sweep --set sizes=4k --set iterations=8 "
                   "--reps 1 -q",
                   e1, e2);
        assert_non_null(strstr(errtext, "shard 2/2 has no cells"));
        d = load(e2);
        assert_string_equal(jstr(d, "schema"), "allocbench/results/1");
        assert_int_equal(json_array_size(runs(d)), 0);
        assert_int_equal(json_array_size(jpath(d, "shard.cells")), 0);
        assert_int_equal(json_integer_value(jpath(d, "shard.cells_total")), 1);
        json_decref(d);
        assert_int_equal(run("compare", e2, e2), 0); /* a reader takes it */
        assert_int_equal(run("merge", e2, e1, "-o", em), 0);
        d = load(e1);
        m = load(em);
        assert_string_equal(points_text(m), points_text(d));
        json_decref(d);
        json_decref(m);
}

/* Shards traced with --trace: the merged sites, trace points and timeline
 * spans name the merged run's points; bench sites reads the file. */
static void test_traced_shards(void **state)
{
        TMP(t1, "t1.json");
        TMP(t2, "t2.json");
        TMP(tm, "tm.json");
        json_t *sh[2], *m, *r, *x;
        size_t i, k, nsites = 0, shard_sites = 0;
        (void)state;
        two_shards("--alloc=glibc,jemalloc --workload=calloc-sweep --set sizes=64k,1M,4M --set "
                   "iterations=4 --reps 1 --trace -q",
                   t1, t2);
        assert_int_equal(run("merge", t2, t1, "-o", tm), 0);
        sh[0] = load(t1);
        sh[1] = load(t2);
        m = load(tm);
        for (int s = 0; s < 2; s++)
                json_array_foreach(runs(sh[s]), i, r) shard_sites +=
                    json_array_size(json_object_get(r, "sites"));
        json_array_foreach(runs(m), i, r)
        {
                json_t *pts = json_object_get(r, "points");
                assert_int_equal(json_array_size(pts), 3);
                assert_int_equal(json_array_size(jpath(r, "trace.points")), 3);
                json_array_foreach(jpath(r, "trace.points"), k, x)
                    assert_int_equal(json_integer_value(json_object_get(x, "point")), k);
                json_array_foreach(json_object_get(r, "sites"), k, x)
                {
                        json_int_t p = json_integer_value(json_object_get(x, "point"));
                        assert_true(p >= 0 && p < 3);
                        nsites++;
                }
                json_array_foreach(json_object_get(r, "timeline_spans"), k, x)
                {
                        json_int_t first = json_integer_value(json_object_get(x, "first")),
                                   count = json_integer_value(json_object_get(x, "count"));
                        assert_true(first + count <=
                                    (json_int_t)json_array_size(json_object_get(r, "timeline")));
                        assert_true(json_integer_value(json_object_get(x, "point")) < 3);
                }
        }
        assert_true(nsites > 0);
        assert_int_equal(nsites, shard_sites);
        assert_int_equal(run("sites", tm), 0);
        assert_non_null(strstr(outtext, "calloc_sweep_run"));
        json_decref(sh[0]);
        json_decref(sh[1]);
        json_decref(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bad_shard),
            cmocka_unit_test(test_shards_split_the_matrix),
            cmocka_unit_test(test_merge_equals_whole),
            cmocka_unit_test(test_merged_file_reads),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_merge_usage),
            cmocka_unit_test(test_missing_shard),
            cmocka_unit_test(test_empty_shard),
            cmocka_unit_test(test_traced_shards),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
