/*
 * End-to-end tests of what bench history says about how runs were made:
 * real runs of ./bench, calloc-sweep counted exactly under callgrind,
 * without and with --env MALLOC_PERTURB_=85 (glibc then fills every block
 * it hands out and takes back: about three times the instructions and the
 * time), copied night by night, and copies with one field of how the run
 * was made changed (the allocator's version, the command's options, the
 * kernel). history check and the dashboard must label a change point with
 * what changed at it; an exact count's step is a change point from its
 * first run; the hosts side by side say what differs between hosts; a
 * store of schema /2 is read without settings and migrated by add.
 * Environment: AB_BENCH (default ./bench) and AB_BUILD (default build).
 */
#include "itest.h"

#include "hist.h"

#define PERTURB "env.MALLOC_PERTURB_"

static char plain[512], perturbed[512];

static int setup(void **state)
{
        if (setup_all(state) != 0)
                return -1;
        snprintf(plain, sizeof plain, "%s/plain.json", tmpdir);
        snprintf(perturbed, sizeof perturbed, "%s/perturbed.json", tmpdir);
        if (run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k,64k", "--set",
                "iterations=200", "--reps", "3", "--count", "callgrind", "-q", "-o", plain) != 0 ||
            run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k,64k", "--set",
                "iterations=200", "--reps", "3", "--count", "callgrind", "--env",
                "MALLOC_PERTURB_=85", "-q", "-o", perturbed) != 0) {
                fprintf(stderr, "bench run failed: %s\n", errtext);
                return -1;
        }
        return 0;
}

/* A copy of src as night `day`, its timings moved by up to 1% (f: one
 * more factor), then edit (may be NULL). */
static char *night(const char *src, const char *name, int day, double f, void (*edit)(json_t *doc))
{
        json_t *doc = load(src), *r, *pt;
        char created[64], *path = tmpfile_path(name);
        size_t i, j;
        snprintf(created, sizeof created, "2026-03-%02dT03:00:00Z", day);
        json_object_set_new(doc, "created", json_string(created));
        json_array_foreach(json_object_get(doc, "runs"), i, r)
        {
                json_array_foreach(json_object_get(r, "points"), j, pt)
                {
                        double k = noise(day, i, j, 0.01) * f;
                        json_t *ns = json_object_get(pt, "ns_per_op");
                        scale(ns, "median", k);
                        scale(ns, "min", k);
                        scale(ns, "max", k);
                }
        }
        if (edit)
                edit(doc);
        if (json_dump_file(doc, path, JSON_INDENT(1)) != 0)
                fail_msg("cannot write %s", path);
        json_decref(doc);
        return path;
}

static void add(const char *db, const char *path)
{
        if (run("history", "add", path, "--db", db) != 0)
                fail_msg("history add %s: %s", path, errtext);
}

/* Nights from..to (PREFIX-D.json) added to db: the plain run as it was
 * before night `at`, from it on src with its times times f, through edit. */
static void nights(const char *db, const char *prefix, int from, int to, int at, const char *src,
                   double f, void (*edit)(json_t *doc))
{
        for (int d = from; d <= to; d++) {
                char name[64];
                snprintf(name, sizeof name, "%s-%d.json", prefix, d);
                add(db, d < at ? night(plain, name, d, 1, NULL) : night(src, name, d, f, edit));
        }
}

static json_t *check_json(const char *db, int want)
{
        json_error_t e;
        json_t *d;
        int rc = run("history", "check", "--db", db, "--format", "json");
        if (rc != want)
                fail_msg("history check exited %d, not %d: %s", rc, want, errtext);
        if (!(d = json_loads(outtext, 0, &e)))
                fail_msg("no JSON: %s", e.text);
        return d;
}

/* The one setting a change says changed, and its values. */
static void assert_changed(json_t *c, const char *key, const char *before, const char *after)
{
        json_t *set = json_object_get(c, "settings_changed"), *s;
        assert_int_equal(json_array_size(set), 1);
        s = json_array_get(set, 0);
        assert_string_equal(jstr(s, "setting"), key);
        if (before)
                assert_string_equal(jstr(s, "before"), before);
        else
                assert_true(json_is_null(json_object_get(s, "before")));
        assert_string_equal(jstr(s, "after"), after);
}

/* ---- exact counts ------------------------------------------------------------- */

/* Four nights as they were, then one with MALLOC_PERTURB_: the exact
 * instruction counts of both points step at that night, the first and only
 * one after it (a noisy figure needs three), labelled with the variable;
 * the times, with one night after, are no change yet. */
static void test_exact_step_from_one_run(void **state)
{
        char dbb[512], want[64];
        const char *db = tpath(dbb, sizeof dbb, "exact.sqlite");
        json_t *doc, *c;
        size_t i;
        (void)state;
        nights(db, "exact", 1, 5, 5, perturbed, 1, NULL);
        /* the figures of the two points (fewer on the generic platform) and
         * their two exact counts */
        snprintf(want, sizeof want, " %lld values", values_in(perturbed) + 2);
        assert_non_null(strstr(outtext, want));
        doc = check_json(db, EXIT_REGRESSION);
        assert_int_equal(json_array_size(json_object_get(doc, "changes")), 2);
        json_array_foreach(json_object_get(doc, "changes"), i, c)
        {
                assert_string_equal(jstr(c, "metric"), "instructions_per_op");
                assert_true(json_is_true(json_object_get(c, "exact")));
                assert_int_equal(json_integer_value(json_object_get(c, "index")), 4);
                assert_int_equal(json_integer_value(json_object_get(c, "runs_after")), 1);
                assert_int_equal(json_integer_value(json_object_get(c, "runs_before")), 4);
                assert_true(json_is_null(json_object_get(c, "p")));
                /* glibc's perturbing memset of every block: at least twice the count */
                assert_true(json_number_value(json_object_get(c, "change")) > 1.0);
                assert_changed(c, PERTURB, NULL, "85");
        }
        json_decref(doc);
        assert_int_equal(run("history", "check", "--db", db), EXIT_REGRESSION);
        assert_non_null(strstr(outtext, "exact  regression, newest  " PERTURB ": unset -> 85"));
        assert_non_null(strstr(outtext, "exact counts (instructions_per_op under callgrind, 2 "
                                        "series)"));
        assert_non_null(strstr(outtext, "settings changed at it: " PERTURB ": unset -> 85"));
        /* a wider epsilon does not hide a count three times as high */
        assert_int_equal(run("history", "check", "--db", db, "--exact-epsilon", "2"), 1);
        assert_non_null(strstr(errtext, "--exact-epsilon"));
        assert_int_equal(run("history", "check", "--db", db, "--exact-epsilon", "0.4"),
                         EXIT_REGRESSION);
}

/* Counted by the hardware counter, instructions are near but not exact:
 * not stored, and add says so. */
static void hardware(json_t *doc)
{
        json_object_set_new(json_object_get(doc, "accounting"), "instructions",
                            json_string("hardware"));
}

static void test_hardware_counts_not_stored(void **state)
{
        char dbb[512], want[64];
        const char *db = tpath(dbb, sizeof dbb, "hw.sqlite");
        (void)state;
        add(db, night(plain, "hw-1.json", 1, 1, hardware));
        snprintf(want, sizeof want, " %lld values", values_in(plain));
        assert_non_null(strstr(outtext, want));
        assert_non_null(strstr(outtext, "2 instruction counts of the hardware counter, not "
                                        "stored"));
}

/* ---- noisy figures, labelled ----------------------------------------------------------- */

/* Four nights as they were, four with MALLOC_PERTURB_=85: the times step
 * at the fifth night, both points, and check says why. */
static void test_step_labelled(void **state)
{
        char dbb[512], dirb[512], page[600];
        const char *db = tpath(dbb, sizeof dbb, "perturb.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "perturb-dash");
        json_t *doc, *c;
        size_t i, ns = 0;
        char *html;
        (void)state;
        nights(db, "perturb", 1, 8, 5, perturbed, 1, NULL);
        doc = check_json(db, EXIT_REGRESSION);
        json_array_foreach(json_object_get(doc, "changes"), i, c)
        {
                assert_int_equal(json_integer_value(json_object_get(c, "index")), 4);
                assert_changed(c, PERTURB, NULL, "85");
                ns += strcmp(jstr(c, "metric"), "ns_per_op") == 0;
        }
        assert_int_equal(ns, 2);
        json_decref(doc);

        /* the dashboard: the rows, the badge, the mark on the chart */
        assert_int_equal(run("history", "html", dir, "--db", db), 0);
        snprintf(page, sizeof page, "%s/index.html", dir);
        html = read_all(page);
        assert_true(count_of(html, "<td class=\"settings\">" PERTURB ": unset -&gt; 85</td>") >= 4);
        assert_true(count_of(html, "<span class=\"badge setting\">settings changed</span>") >= 4);
        /* every series of the run marks the change of its settings, once */
        assert_int_equal(count_of(html, "<g class=\"setting\" data-index=\"4\">"),
                         count_of(html, "<figure class=\"series"));
        assert_non_null(strstr(html, "settings changed at run #5: " PERTURB ": unset -&gt; 85"));
        assert_int_equal(count_of(html, "y axis from 0"), count_of(html, "<figure class=\"series"));
        free(html);
}

static void version(json_t *doc)
{
        json_object_set_new(
            json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "allocator"),
            "version", json_string("2.99"));
}

/* Another allocator version from the fifth night, and 60% slower: that is
 * what check names. */
static void test_version_labelled(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "version.sqlite");
        json_t *doc, *c;
        size_t i;
        (void)state;
        nights(db, "version", 1, 8, 5, plain, 1.6, version);
        doc = check_json(db, EXIT_REGRESSION);
        assert_int_equal(json_array_size(json_object_get(doc, "changes")), 2);
        json_array_foreach(json_object_get(doc, "changes"), i, c)
        {
                assert_string_equal(jstr(c, "metric"), "ns_per_op");
                assert_changed(c, "allocator.version", "2.36", "2.99");
        }
        json_decref(doc);
}

/* The command's options: another --reps is a setting; another -o (every
 * night's results file has its own name) and another --format are not. */
static void more_reps(json_t *doc)
{
        json_t *cmd = json_object_get(doc, "command"), *w;
        size_t i;
        json_array_foreach(cmd, i, w) if (strcmp(json_string_value(w), "3") == 0)
            json_array_set_new(cmd, i, json_string("7"));
}

static void other_output(json_t *doc)
{
        json_t *cmd = json_object_get(doc, "command"), *w;
        size_t i;
        json_array_foreach(cmd, i, w) if (strstr(json_string_value(w), ".json"))
            json_array_set_new(cmd, i, json_string("results/elsewhere.json"));
        json_array_append_new(cmd, json_string("--format=csv"));
}

static void test_command_labelled(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "command.sqlite");
        json_t *doc, *c;
        size_t i;
        (void)state;
        nights(db, "command", 1, 2, 3, plain, 1, NULL);
        nights(db, "command", 3, 4, 3, plain, 1, other_output);
        nights(db, "command", 5, 8, 5, plain, 1.5, more_reps);
        doc = check_json(db, EXIT_REGRESSION);
        assert_int_equal(json_array_size(json_object_get(doc, "changes")), 2);
        json_array_foreach(json_object_get(doc, "changes"), i, c) assert_changed(
            c, "command", "--reps 3 --count callgrind", "--reps 7 --count callgrind");
        json_decref(doc);
}

/* A kernel upgrade with no step: no change point, but the dashboard marks
 * where the settings changed, and check's change table has nothing. */
static void kernel(json_t *doc)
{
        json_object_set_new(json_object_get(doc, "host"), "kernel", json_string("9.9.9-test"));
}

static void test_settings_without_step(void **state)
{
        char dbb[512], dirb[512], page[600];
        const char *db = tpath(dbb, sizeof dbb, "kernel.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "kernel-dash");
        char *html;
        (void)state;
        nights(db, "kernel", 1, 6, 4, plain, 1, kernel);
        assert_int_equal(run("history", "check", "--db", db), 0);
        assert_non_null(strstr(outtext, "no changes"));
        assert_int_equal(run("history", "html", dir, "--db", db), 0);
        snprintf(page, sizeof page, "%s/index.html", dir);
        html = read_all(page);
        assert_int_equal(count_of(html, "<g class=\"changepoint\""), 0);
        assert_int_equal(count_of(html, "<g class=\"setting\" data-index=\"3\">"),
                         count_of(html, "<figure class=\"series"));
        assert_non_null(strstr(html, "host.kernel: "));
        assert_non_null(strstr(html, " -&gt; 9.9.9-test</title>"));
        free(html);
}

/* ---- hosts side by side ----------------------------------------------------------------- */

static void musl_host(json_t *doc)
{
        json_t *h = json_object_get(doc, "host");
        json_object_set_new(h, "hostname", json_string("alpine-1"));
        json_object_set_new(h, "libc", json_string("musl 1.2.4"));
        json_object_set_new(h, "os", json_string("Alpine Linux v3.19"));
}

/* Two hosts, another libc and OS on the second, where glibc's times are
 * twice as high: the dashboard puts them side by side, says what differs,
 * and marks the figures twice as high. */
static void test_hosts_side_by_side(void **state)
{
        char dbb[512], dirb[512], page[600], *html, *view;
        const char *db = tpath(dbb, sizeof dbb, "hosts.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "hosts-dash");
        (void)state;
        for (int d = 1; d <= 3; d++) {
                char name[32];
                snprintf(name, sizeof name, "hosts-a-%d.json", d);
                add(db, night(plain, name, d, 1, NULL));
                snprintf(name, sizeof name, "hosts-b-%d.json", d);
                add(db, night(plain, name, d, 2, musl_host));
        }
        assert_int_equal(run("history", "html", dir, "--db", db), 0);
        snprintf(page, sizeof page, "%s/index.html", dir);
        html = read_all(page);
        assert_non_null(strstr(html, "<section id=\"hosts\">"));
        assert_non_null(strstr(html, "<section id=\"series\">"));
        /* the hosts' section alone */
        view = strndup(strstr(html, "<section id=\"hosts\">"),
                       (size_t)(strstr(html, "<section id=\"series\">") -
                                strstr(html, "<section id=\"hosts\">")));
        assert_non_null(strstr(view, "2 hosts, from each one's newest run"));
        assert_int_equal(count_of(view, "<tr class=\"host\">"), 2);
        assert_non_null(strstr(view, "<td>alpine-1</td>"));
        /* what differs: the libc and the os, each value with its host */
        assert_non_null(strstr(view, "<li><code>host.libc</code>: "));
        assert_non_null(strstr(view, "musl 1.2.4 (alpine-1)"));
        assert_non_null(strstr(view, "<li><code>host.os</code>: "));
        assert_null(strstr(view, "<li><code>host.arch</code>"));
        assert_int_equal(count_of(view, "<th class=\"differs\">libc</th>"), 1);
        /* the same workload on each host: two points' times, the second host's
         * twice as high and marked */
        assert_non_null(strstr(view, "<details class=\"hostview\" open><summary>calloc-sweep · "
                                     "ns_per_op</summary>"));
        assert_int_equal(count_of(view, "<td class=\"num far\">"), 2);
        assert_non_null(strstr(view, "(2.0"));
        /* nothing is charted twice: the series are charted in their section */
        assert_int_equal(count_of(view, "<figure"), 0);
        free(view);
        free(html);

        /* one host: no side by side */
        assert_int_equal(run("history", "html", dir, "--db", db, "--host", "alpine-1"), 0);
        html = read_all(page);
        assert_null(strstr(html, "<section id=\"hosts\">"));
        free(html);
}

/* ---- a store of schema /2 ------------------------------------------------------------------ */

/* Made by a bench before settings (the tables dropped, the schema /2): read
 * as it is (settings unknown), migrated by the next add, whose runs then
 * have settings; the runs before stay unknown, so nothing is said at the
 * first change of settings the store can see. */
static void test_migrate_v2(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "v2.sqlite");
        (void)state;
        nights(db, "v2", 1, 4, 4, plain, 1.5, NULL);
        db_exec(db, "DROP TABLE run_settings; DROP TABLE settings; UPDATE meta SET value = "
                    "'allocbench/history/2' WHERE key = 'schema'");
        assert_int_equal(run("history", "check", "--db", db, "--min-segment", "2"), 0);
        assert_int_equal(run("history", "show", "--db", db), 0);
        nights(db, "v2", 5, 6, 5, perturbed, 1, NULL);
        {
                sqlite3 *h;
                sqlite3_stmt *st;
                assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
                assert_int_equal(
                    sqlite3_prepare_v2(h,
                                       "SELECT (SELECT value FROM meta WHERE key = "
                                       "'schema'), (SELECT count(DISTINCT run_id) FROM "
                                       "run_settings)",
                                       -1, &st, NULL),
                    SQLITE_OK);
                assert_int_equal(sqlite3_step(st), SQLITE_ROW);
                assert_string_equal((const char *)sqlite3_column_text(st, 0),
                                    "allocbench/history/3");
                assert_int_equal(sqlite3_column_int(st, 1), 2);
                sqlite3_finalize(st);
                sqlite3_close(h);
        }
        /* the step at night 4 has no settings on either side: "unknown" */
        assert_int_equal(run("history", "check", "--db", db, "--min-segment", "2"),
                         EXIT_REGRESSION);
        assert_null(strstr(outtext, PERTURB));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_exact_step_from_one_run),
            cmocka_unit_test(test_hardware_counts_not_stored),
            cmocka_unit_test(test_step_labelled),
            cmocka_unit_test(test_version_labelled),
            cmocka_unit_test(test_command_labelled),
            cmocka_unit_test(test_settings_without_step),
            cmocka_unit_test(test_hosts_side_by_side),
            cmocka_unit_test(test_migrate_v2),
        };
        return cmocka_run_group_tests(tests, setup, teardown_all);
}
