/*
 * End-to-end tests of bench history: a history built from results files
 * (one real tiny run of ./bench, and copies of it whose timings are edited
 * with jansson so that one series steps up at a known run), then add, show,
 * check and html driven through the real ./bench, the store read back with
 * SQLite, and the dashboard opened in headless Chromium when it is installed
 * (Debian's chromium; without it the page is checked structurally only).
 * Environment: AB_BENCH (default ./bench) and AB_BUILD (default build).
 */
#include "itest.h"

#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

#include "hist.h"

/* ---- check ------------------------------------------------------------- */

/* 12 nightly runs, glibc's 4 KiB calloc 50% slower from the 9th: check finds
 * exactly that change, at that run, and exits 3; once 4 more runs are back
 * at the old level the newest change is an improvement and it exits 0. */
static void test_check_finds_step(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "step.sqlite");
        json_t *doc, *changes, *c;
        (void)state;
        build_history(db, "step", 12, 9);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 12);

        assert_int_equal(run("history", "check", "--db", db), EXIT_REGRESSION);
        assert_non_null(strstr(outtext, "regression, newest"));
        assert_non_null(strstr(outtext, "r09"));
        assert_non_null(strstr(outtext, "1 series whose newest change is a regression"));

        assert_int_equal(run("history", "check", "--db", db, "--format", "json"), EXIT_REGRESSION);
        doc = json_loads(outtext, 0, NULL);
        assert_non_null(doc);
        changes = json_object_get(doc, "changes");
        assert_int_equal(json_array_size(changes), 1);
        c = json_array_get(changes, 0);
        assert_string_equal(jstr(c, "allocator"), STEP_SERIES_ALLOC);
        assert_string_equal(jstr(c, "point"), STEP_SERIES_POINT);
        assert_string_equal(jstr(c, "metric"), "ns_per_op");
        assert_string_equal(jstr(c, "workload"), "calloc-sweep");
        assert_int_equal(json_integer_value(json_object_get(c, "index")), 8);
        assert_string_equal(jstr(c, "run.rev"), "r09");
        assert_string_equal(jstr(c, "run.created"), "2026-01-09T03:00:00Z");
        assert_string_equal(jstr(c, "direction"), "regression");
        assert_true(json_is_true(json_object_get(c, "newest")));
        assert_true(fabs(json_number_value(json_object_get(c, "change")) - 0.5) < 0.05);
        assert_true(json_number_value(json_object_get(c, "p")) < 0.001);
        assert_int_equal(json_array_size(json_object_get(doc, "regressions")), 1);
        json_decref(doc);

        /* a 60% threshold hides the 50% step */
        assert_int_equal(run("history", "check", "--db", db, "--threshold", "60%"), 0);
        assert_non_null(strstr(outtext, "no changes"));
        /* the filters: the other allocator has no change */
        assert_int_equal(run("history", "check", "--db", db, "--alloc", "jemalloc"), 0);

        /* fixed: four runs back at the old level */
        for (int i = 13; i <= 16; i++) {
                char name[64], rev[16];
                snprintf(name, sizeof name, "step-%02d.json", i);
                snprintf(rev, sizeof rev, "r%02d", i);
                assert_int_equal(run("history", "add", synth(name, i, 1), "--db", db, "--rev", rev),
                                 0);
        }
        assert_int_equal(run("history", "check", "--db", db, "--format", "json"), 0);
        doc = json_loads(outtext, 0, NULL);
        assert_non_null(doc);
        changes = json_object_get(doc, "changes");
        assert_int_equal(json_array_size(changes), 2);
        assert_string_equal(jstr(json_array_get(changes, 0), "run.rev"), "r09");
        assert_string_equal(jstr(json_array_get(changes, 1), "run.rev"), "r13");
        assert_string_equal(jstr(json_array_get(changes, 1), "direction"), "improvement");
        assert_int_equal(json_array_size(json_object_get(doc, "regressions")), 0);
        json_decref(doc);
}

/* No step: nothing found in any series, exit 0. */
static void test_check_quiet_history(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "quiet.sqlite");
        (void)state;
        build_history(db, "quiet", 10, 0);
        assert_int_equal(run("history", "check", "--db", db), 0);
        assert_non_null(strstr(outtext, "no changes"));
}

/* ---- add ----------------------------------------------------------------- */

/* The same results twice (again, re-indented, from another path, with
 * another --rev) add nothing. */
static void test_add_twice_adds_nothing(void **state)
{
        char dbb[512], ab[512], cb[512];
        const char *db = tpath(dbb, sizeof dbb, "twice.sqlite");
        const char *a = strcpy(ab, synth("twice.json", 3, 1));
        const char *copy = tpath(cb, sizeof cb, "twice-copy.json");
        long long values = values_in(a);
        json_t *doc;
        (void)state;
        assert_true(values > 0);
        assert_int_equal(run("history", "add", a, "--db", db), 0);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 1);
        assert_int_equal(db_count(db, "SELECT count(*) FROM samples"), values);

        assert_int_equal(run("history", "add", a, "--db", db), 0);
        assert_non_null(strstr(outtext, "nothing added"));
        doc = load(a);
        assert_int_equal(json_dump_file(doc, copy, JSON_INDENT(7) | JSON_SORT_KEYS), 0);
        json_decref(doc);
        assert_int_equal(run("history", "add", copy, a, "--db", db, "--rev", "v2"), 0);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 1);
        assert_int_equal(db_count(db, "SELECT count(*) FROM samples"), values);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs WHERE rev IS NULL"), 1);
}

/* Two `history add` at once on different files, into a store neither has
 * created yet: both exit 0 and every run and value lands. Three rounds. */
static void test_concurrent_adds(void **state)
{
        enum { PER = 8 };
        char *a[PER], *b[PER];
        long long values = 0;
        (void)state;
        for (int i = 0; i < PER; i++) {
                char name[64];
                snprintf(name, sizeof name, "conc-a-%d.json", i);
                a[i] = strdup(synth(name, i + 1, 1));
                snprintf(name, sizeof name, "conc-b-%d.json", i);
                b[i] = strdup(synth(name, i + 11, 1));
                values += values_in(a[i]) + values_in(b[i]);
        }
        for (int round = 0; round < 3; round++) {
                char db[512], loga[512], logb[512];
                int sa, sb;
                pid_t pa, pb;
                char name[64];
                snprintf(name, sizeof name, "conc-%d.sqlite", round);
                tpath(db, sizeof db, name);
                tpath(loga, sizeof loga, "conc-a.log");
                tpath(logb, sizeof logb, "conc-b.log");
                pa = spawn_add(db, a, PER, loga);
                pb = spawn_add(db, b, PER, logb);
                assert_int_equal(waitpid(pa, &sa, 0), pa);
                assert_int_equal(waitpid(pb, &sb, 0), pb);
                if (!WIFEXITED(sa) || WEXITSTATUS(sa) != 0 || !WIFEXITED(sb) ||
                    WEXITSTATUS(sb) != 0) {
                        slurp(loga, errtext, sizeof errtext);
                        fail_msg("round %d: add exited %d and %d: %s", round, sa, sb, errtext);
                }
                assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 2 * PER);
                assert_int_equal(db_count(db, "SELECT count(*) FROM samples"), values);
                assert_int_equal(db_count(db, "SELECT count(DISTINCT file_hash) FROM runs"),
                                 2 * PER);
        }
        for (int i = 0; i < PER; i++) {
                free(a[i]);
                free(b[i]);
        }
}

static long long file_size(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Bad input: a message naming the problem and the accepted form, exit 1,
 * and nothing written. */
static void test_bad_input(void **state)
{
        char dbb[512], gb[512], nb[512], tb[512];
        const char *db = tpath(dbb, sizeof dbb, "bad.sqlite");
        const char *good = strcpy(gb, synth("bad-good.json", 1, 1));
        const char *notres = tpath(nb, sizeof nb, "bad-notres.json");
        const char *text = tpath(tb, sizeof tb, "bad.txt");
        FILE *f;
        (void)state;
        f = fopen(notres, "w");
        fputs("{\"schema\": \"something/else\", \"runs\": []}\n", f);
        fclose(f);
        f = fopen(text, "w");
        fputs("not a database\n", f);
        fclose(f);

        assert_int_equal(run("history", "add", good, tmpfile_path("missing.json"), "--db", db), 1);
        assert_non_null(strstr(errtext, "missing.json"));
        assert_non_null(strstr(errtext, "accepted"));
        assert_false(exists(db));

        assert_int_equal(run("history", "add", good, notres, "--db", db), 1);
        assert_non_null(strstr(errtext, "not an allocbench results file"));
        assert_false(exists(db));

        assert_int_equal(run("history", "add", good, "--db", "/nonexistent-dir/h.sqlite"), 1);
        assert_non_null(strstr(errtext, "/nonexistent-dir/h.sqlite"));
        assert_non_null(strstr(errtext, "accepted"));

        assert_int_equal(run("history", "add", good, "--db", tmpdir), 1);
        assert_non_null(strstr(errtext, "directory"));

        assert_int_equal(run("history", "add", good, "--db", text), 1);
        assert_non_null(strstr(errtext, "not a database"));
        assert_int_equal(file_size(text), 15);

        assert_int_equal(run("history", "frobnicate"), 1);
        assert_non_null(strstr(errtext, "unknown subcommand 'frobnicate'"));
        assert_non_null(strstr(errtext, "add FILE.., show, check, html DIR"));
        assert_int_equal(run("history"), 1);
        assert_int_equal(run("history", "add", "--db", db), 1);
        assert_non_null(strstr(errtext, "add needs one or more results files"));
        assert_int_equal(run("history", "show", "--db", db), 1);
        assert_non_null(strstr(errtext, "no history database"));
        assert_false(exists(db));
        assert_int_equal(run("history", "html", "--db", db), 1);
        assert_int_equal(run("history", "check", "--db", db, "--threshold", "lots"), 1);
        assert_non_null(strstr(errtext, "--threshold"));
        assert_int_equal(run("history", "check", "--db", db, "--rev", "x"), 1);
        assert_non_null(strstr(errtext, "--rev does not apply"));
        assert_int_equal(run("history", "show", "--db", db, "--metric", "speed"), 1);
        assert_non_null(strstr(errtext, "ns_per_op"));
        assert_false(exists(db));
}

/* --help prints the usage and the schema. */
static void test_help_schema(void **state)
{
        (void)state;
        assert_int_equal(run("history", "--help"), 0);
        assert_non_null(strstr(outtext, "bench history add FILE.."));
        assert_non_null(strstr(outtext, "CREATE TABLE runs"));
        assert_non_null(strstr(outtext, "file_hash   TEXT NOT NULL UNIQUE"));
        assert_non_null(strstr(outtext, "CREATE TABLE series"));
        assert_non_null(strstr(outtext, "CREATE TABLE samples"));
        assert_non_null(strstr(outtext, "CREATE TABLE flags"));
        assert_int_equal(run("history", "check", "--help"), 0);
        assert_non_null(strstr(outtext, "CREATE TABLE runs"));
}

/* ---- negative values ----------------------------------------------------- */

/* Every figure is tested on a log scale and none can be negative: add skips
 * a negative one and says so; a store that holds one anyway (written before
 * add refused them, or edited) skips that series in check and html with a
 * warning naming it, rather than failing as out of memory. */
static void test_negative_values(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "neg.sqlite");
        const char *files[6];
        char fb[6][512];
        int rc;
        (void)state;
        for (int i = 0; i < 6; i++) {
                char name[64];
                snprintf(name, sizeof name, "neg-%02d.json", i + 1);
                files[i] = strcpy(fb[i], synth(name, i + 1, 1));
        }
        {
                json_t *doc = load(files[2]);
                json_t *pt = json_array_get(
                    json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "points"), 0);
                assert_non_null(pt);
                json_object_set_new(pt, "rss_kib", json_integer(-5));
                assert_int_equal(json_dump_file(doc, files[2], JSON_INDENT(2)), 0);
                json_decref(doc);
        }
        assert_int_equal(run("history", "add", files[0], files[1], files[2], files[3], files[4],
                             files[5], "--db", db),
                         0);
        assert_non_null(strstr(errtext, "negative"));
        assert_non_null(strstr(errtext, "rss_kib"));
        assert_non_null(strstr(errtext, "neg-03.json"));
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 6);
        assert_int_equal(db_count(db, "SELECT count(*) FROM samples WHERE value < 0"), 0);
        rc = run("history", "check", "--db", db);
        if ((rc != 0 && rc != EXIT_REGRESSION) || strstr(errtext, "memory"))
                fail_msg("check exited %d: %s", rc, errtext);

        /* a store that holds a negative value anyway */
        db_exec(db, "UPDATE samples SET value = -5 WHERE series_id = (SELECT id FROM series "
                    "WHERE allocator = 'glibc' AND point = 'size=4096' AND metric = "
                    "'ns_per_op') AND run_id = 4");
        assert_int_equal(db_count(db, "SELECT count(*) FROM samples WHERE value < 0"), 1);
        rc = run("history", "check", "--db", db);
        if ((rc != 0 && rc != EXIT_REGRESSION) || strstr(errtext, "memory"))
                fail_msg("check exited %d: %s", rc, errtext);
        assert_non_null(strstr(errtext, "warning"));
        assert_non_null(strstr(errtext, "glibc calloc-sweep size=4096 ns_per_op"));
        assert_non_null(strstr(errtext, "negative"));
        rc = run("history", "check", "--db", db, "--format", "json");
        assert_true(rc == 0 || rc == EXIT_REGRESSION);
        {
                json_t *doc = json_loads(outtext, 0, NULL);
                assert_non_null(doc);
                json_decref(doc);
        }
        assert_int_equal(run("history", "html", tmpfile_path("neg-dash"), "--db", db), 0);
        assert_null(strstr(errtext, "memory"));
}

/* ---- identity ------------------------------------------------------------ */

/* Rewrite every real with an integral value as an integer, as `jq .` does;
 * returns how many were. */
static size_t integerise(json_t *j)
{
        const char *key;
        json_t *v;
        size_t i, n = 0;
        void *tmp;
        if (json_is_object(j)) {
                json_object_foreach_safe(j, tmp, key, v)
                {
                        if (json_is_real(v) && json_real_value(v) == trunc(json_real_value(v))) {
                                json_object_set_new(j, key,
                                                    json_integer((json_int_t)json_real_value(v)));
                                n++;
                        } else {
                                n += integerise(v);
                        }
                }
        } else if (json_is_array(j)) {
                json_array_foreach(j, i, v)
                {
                        if (json_is_real(v) && json_real_value(v) == trunc(json_real_value(v))) {
                                json_array_set_new(j, i,
                                                   json_integer((json_int_t)json_real_value(v)));
                                n++;
                        } else {
                                n += integerise(v);
                        }
                }
        }
        return n;
}

/* The same numbers written another way (0.0 as 0, 100.0 as 100, as `jq .`
 * rewrites a file) are the same results: added once. */
static void test_add_same_numbers_once(void **state)
{
        char dbb[512], ab[512], cb[512];
        const char *db = tpath(dbb, sizeof dbb, "numbers.sqlite");
        const char *a = strcpy(ab, synth("numbers.json", 5, 1));
        const char *copy = tpath(cb, sizeof cb, "numbers-jq.json");
        json_t *doc;
        (void)state;
        doc = load(a);
        assert_true(integerise(doc) > 0);
        assert_int_equal(json_dump_file(doc, copy, JSON_INDENT(2)), 0);
        json_decref(doc);

        assert_int_equal(run("history", "add", a, "--db", db), 0);
        assert_int_equal(run("history", "add", copy, "--db", db), 0);
        assert_non_null(strstr(outtext, "already in the history"));
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 1);
        /* and the other way round, in another store */
        tpath(dbb, sizeof dbb, "numbers2.sqlite");
        assert_int_equal(run("history", "add", copy, a, "--db", db), 0);
        assert_non_null(strstr(outtext, "already in the history"));
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 1);
}

/* A store written before numbers were canonicalised holds the hash of the
 * document as parsed: the same file added again is still recognised. */
static void test_add_recognises_old_hash(void **state)
{
        char dbb[512], ab[512], sql[256];
        const char *db = tpath(dbb, sizeof dbb, "oldhash.sqlite");
        const char *a = strcpy(ab, synth("oldhash.json", 6, 1));
        json_t *doc;
        char *text, hex[65];
        (void)state;
        assert_int_equal(run("history", "add", a, "--db", db), 0);
        /* the old identity: SHA-256 of the compact, sorted serialisation */
        doc = load(a);
        text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
        json_decref(doc);
        {
                FILE *f = fopen(tmpfile_path("oldhash.canon"), "w");
                char cmd[1200];
                FILE *p;
                fputs(text, f);
                fclose(f);
                snprintf(cmd, sizeof cmd, "sha256sum '%s'", tmpfile_path("oldhash.canon"));
                p = popen(cmd, "r");
                assert_non_null(p);
                assert_int_equal(fscanf(p, "%64s", hex), 1);
                pclose(p);
        }
        free(text);
        snprintf(sql, sizeof sql, "UPDATE runs SET file_hash = '%s'", hex);
        db_exec(db, sql);
        assert_int_equal(run("history", "add", a, "--db", db), 0);
        assert_non_null(strstr(outtext, "already in the history"));
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 1);
}

/* ---- show ---------------------------------------------------------------- */

static void test_show(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "show.sqlite");
        json_t *doc, *series, *s;
        size_t i;
        (void)state;
        build_history(db, "show", 4, 0);
        assert_int_equal(run("history", "show", "--db", db, "--alloc", "glibc", "--metric",
                             "ns_per_op", "--format", "json"),
                         0);
        doc = json_loads(outtext, 0, NULL);
        assert_non_null(doc);
        series = json_object_get(doc, "series");
        assert_int_equal(json_array_size(series), 2); /* 4 KiB and 64 KiB */
        json_array_foreach(series, i, s)
        {
                json_t *vals = json_object_get(s, "values");
                assert_string_equal(jstr(s, "allocator"), "glibc");
                assert_string_equal(jstr(s, "metric"), "ns_per_op");
                assert_int_equal(json_array_size(vals), 4);
                assert_string_equal(jstr(json_array_get(vals, 0), "rev"), "r01");
                assert_string_equal(jstr(json_array_get(vals, 3), "rev"), "r04");
                assert_true(json_number_value(json_object_get(json_array_get(vals, 0), "value")) >
                            0);
        }
        assert_string_equal(jstr(json_array_get(series, 0), "point"), "size=4096");
        assert_string_equal(jstr(json_array_get(series, 1), "point"), "size=65536");
        assert_int_equal(json_array_size(json_object_get(doc, "runs")), 4);
        json_decref(doc);

        assert_int_equal(run("history", "show", "--db", db, "--point", "size=65536", "--metric",
                             "ns_per_op", "--last", "2"),
                         0);
        assert_non_null(strstr(outtext, "size=65536"));
        assert_null(strstr(outtext, "size=4096"));
        assert_non_null(strstr(outtext, "r04"));
        assert_null(strstr(outtext, "r02"));
}

/* ---- html ---------------------------------------------------------------- */



/* html writes one self-contained index.html: a chart for every series, the
 * step's chart marked as a regression with its change point, the latest
 * run's flags, links to the figures found; Chromium loads it without a
 * console error and its script sees every chart. */
static void test_html_dashboard(void **state)
{
        char dbb[512], dirb[512];
        const char *db = tpath(dbb, sizeof dbb, "html.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "dash");
        char page[600], key[600], dom[600], log[600], fig[600], stem[600];
        char *html, *text;
        json_t *doc, *series, *s;
        size_t i, n;
        FILE *f;
        (void)state;
        build_history(db, "html", 8, 7);
        synth_flag = "an older flag <not shown>";
        build_history_from(db, "html", 9, 9, 7);
        synth_flag = "the newest flag <shown>";
        build_history_from(db, "html", 10, 10, 7);
        synth_flag = NULL;
        /* a figure next to the latest results file, one in the dashboard */
        snprintf(stem, sizeof stem, "%s", tmpfile_path("html-10-ns.svg"));
        f = fopen(stem, "w");
        fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n", f);
        fclose(f);
        mkdir(dir, 0755);
        snprintf(fig, sizeof fig, "%s/own.svg", dir);
        f = fopen(fig, "w");
        fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n", f);
        fclose(f);

        assert_int_equal(run("history", "html", dir, "--db", db), 0);
        assert_non_null(strstr(outtext, "index.html"));
        snprintf(page, sizeof page, "%s/index.html", dir);
        html = read_all(page);

        /* every series has its chart */
        assert_int_equal(run("history", "show", "--db", db, "--format", "json"), 0);
        doc = json_loads(outtext, 0, NULL);
        assert_non_null(doc);
        series = json_object_get(doc, "series");
        n = json_array_size(series);
        assert_true(n >= 4);
        json_array_foreach(series, i, s)
        {
                snprintf(key, sizeof key, "data-key=\"%s|%s|%s|%s|%s\"", jstr(s, "host"),
                         jstr(s, "allocator"), jstr(s, "workload"), jstr(s, "point"),
                         jstr(s, "metric"));
                if (!strstr(html, key))
                        fail_msg("index.html has no chart %s", key);
        }
        json_decref(doc);
        assert_int_equal(count_of(html, "<figure class=\"series"), n);
        assert_int_equal(count_of(html, "<svg viewBox"), n);
        /* the step: one chart marked, one change point on it */
        assert_int_equal(count_of(html, "<figure class=\"series reg\""), 1);
        assert_int_equal(count_of(html, "<g class=\"changepoint\" data-index=\"6\">"), 1);
        assert_non_null(strstr(html, "id=\"regressions\""));
        assert_non_null(strstr(html, "rev r07"));
        /* the latest run's flags section, the figures */
        assert_non_null(strstr(html, "Flags of the latest run"));
        assert_non_null(strstr(html, "the newest flag &lt;shown&gt;"));
        assert_null(strstr(html, "an older flag"));
        assert_int_equal(db_count(db, "SELECT count(*) FROM flags"), 2);
        assert_non_null(strstr(html, "href=\"own.svg\""));
        assert_non_null(strstr(html, "href=\"figures/html-10-ns.svg\""));
        snprintf(fig, sizeof fig, "%s/figures/html-10-ns.svg", dir);
        assert_true(exists(fig));
        /* self-contained and well formed */
        assert_null(strstr(html, "src=\"http"));
        assert_null(strstr(html, "href=\"http"));
        assert_null(strstr(html, "<link"));
        assert_int_equal(count_of(html, "<svg"), count_of(html, "</svg>"));
        assert_int_equal(count_of(html, "<figure"), count_of(html, "</figure>"));
        assert_int_equal(count_of(html, "<section"), count_of(html, "</section>"));
        assert_int_equal(count_of(html, "<table"), count_of(html, "</table>"));
        assert_int_equal(count_of(html, "<script>"), 1);
        assert_true(strlen(html) > 7 && strcmp(html + strlen(html) - 8, "</html>\n") == 0);

        if (have_chromium()) {
                char ready[64];
                snprintf(dom, sizeof dom, "%s/dom.html", tmpdir);
                snprintf(log, sizeof log, "%s/chromium.log", tmpdir);
                assert_int_equal(chromium_dump(page, dom, log), 0);
                text = read_all(dom);
                snprintf(ready, sizeof ready, "data-ready=\"%zu\"", n);
                if (!strstr(text, ready))
                        fail_msg("the page's script did not finish (%s missing)", ready);
                assert_int_equal(count_of(text, "<figure class=\"series"), n);
                assert_non_null(strstr(text, "series shown"));
                free(text);
                text = read_all(log);
                if (strstr(text, "CONSOLE") || strstr(text, "Uncaught"))
                        fail_msg("console messages while loading the page:\n%s", text);
                free(text);
        } else {
                print_message("chromium is not installed: the dashboard was checked "
                              "structurally only\n");
        }
        free(html);

        /* written again atomically: no temporary file left behind */
        assert_int_equal(run("history", "html", dir, "--db", db), 0);
        {
                char cmd[1200];
                snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
                assert_int_not_equal(system(cmd), 0);
        }
}


/* ---- identity across versions --------------------------------------------- */

/* A results file and the store the bench before this one (its own SHA-256,
 * before nettle) wrote adding it, as SQL: the file's identity must not
 * change, or every store would take its files again. The fixture holds
 * integral reals (0.0), a real whose 17th digit matters, non-ASCII text and
 * a flag. */
#define FIXTURE_RESULTS "tests/fixtures/history/results-v1.json"
#define FIXTURE_STORE   "tests/fixtures/history/history-v1.sql"
#define FIXTURE_HASH    "63aa95875689bd36d8c3314a3c92edeac65f54440035d4773c7838bc8c26930f"

static void test_identity_fixture(void **state)
{
        char dbb[512], nb[512];
        const char *db = tpath(dbb, sizeof dbb, "fixture-v1.sqlite");
        const char *fresh = tpath(nb, sizeof nb, "fixture-new.sqlite");
        char *sql = read_all(FIXTURE_STORE), *err = NULL;
        sqlite3 *h;
        (void)state;
        if (sqlite3_open(db, &h) != SQLITE_OK || sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
                fail_msg("%s: %s", FIXTURE_STORE, err ? err : sqlite3_errmsg(h));
        sqlite3_close(h);
        free(sql);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs WHERE file_hash = '" FIXTURE_HASH
                                      "'"),
                         1);
        /* the store written before recognises the file */
        assert_int_equal(run("history", "add", FIXTURE_RESULTS, "--db", db), 0);
        assert_non_null(strstr(outtext, "already in the history as run 1"));
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 1);
        /* and a new store gives it the same identity and the same rows */
        assert_int_equal(run("history", "add", FIXTURE_RESULTS, "--db", fresh, "--rev", "v1"), 0);
        assert_non_null(strstr(outtext, "12 values, 12 new series"));
        assert_int_equal(db_count(fresh, "SELECT count(*) FROM runs WHERE file_hash = '" FIXTURE_HASH
                                         "'"),
                         1);
        assert_int_equal(db_count(fresh, "SELECT count(*) FROM flags WHERE where_json = "
                                         "'{\"size\":65536,\"to\":4096.0}'"),
                         1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_help_schema),
            cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_add_twice_adds_nothing),
            cmocka_unit_test(test_add_same_numbers_once),
            cmocka_unit_test(test_add_recognises_old_hash),
            cmocka_unit_test(test_negative_values),
            cmocka_unit_test(test_concurrent_adds),
            cmocka_unit_test(test_show),
            cmocka_unit_test(test_check_quiet_history),
            cmocka_unit_test(test_check_finds_step),
            cmocka_unit_test(test_html_dashboard),
            cmocka_unit_test(test_identity_fixture),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
