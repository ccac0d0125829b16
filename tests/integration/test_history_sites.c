/*
 * End-to-end tests of the allocation sites in bench history: traced runs of
 * conn-leak made by the real ./bench (a record leaked per 64 connections,
 * then per 32, with a verdict on the leaking site in the second), copied
 * with other dates so that five nights have the same sites, the last two
 * leaking twice as much; then add, show, show --sites, check and html
 * driven through the real ./bench and the store read back with SQLite.
 *
 * conn-leak's timer site leaves exactly 512 B a round at leak_every=64 and
 * 1024 B at 32 (its live bytes at the end 5 and 10 KiB); the other three
 * sites free all they allocate. Five values with the step after the third
 * need --min-segment 2 (the default wants three runs after a change).
 * Environment: AB_BENCH (default ./bench) and AB_BUILD (default build).
 */
#include "itest.h"

#include <sqlite3.h>

#include "hist.h"

#define TIMER "ab-runner!xalloc<timer_new<open_conn<one_round<conn_leak_run<run_workload"
#define TIMER_ESC                                                                                  \
        "ab-runner!xalloc&lt;timer_new&lt;open_conn&lt;one_round&lt;conn_leak_run&lt;run_workload"
#define NOTE "one timer per 32 connections outlives its connection"
/* Everything that could end an attribute, a comment-free page or a script. */
#define EVIL "<!--XX</script>Q\"Q A'A"

static json_t *out_json(void)
{
        json_error_t e;
        json_t *d = json_loads(outtext, 0, &e);
        if (!d)
                fail_msg("no JSON on stdout: %s (line %d)\n%s", e.text, e.line, outtext);
        return d;
}

static const char *db_text(const char *db, const char *sql, char *buf, size_t len)
{
        sqlite3 *h;
        sqlite3_stmt *st;
        buf[0] = '\0';
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
                fail_msg("cannot open %s", db);
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
                fail_msg("%s: %s", sql, sqlite3_errmsg(h));
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        sqlite3_close(h);
        return buf;
}

/* ---- the results files ---------------------------------------------------------- */

static bool made;

/* leak64.json (an empty verdicts file: every site undecided and new) and
 * leak32.json (the timer site a leak, with a note). */
static void make_runs(void)
{
        char verdicts[512], empty[512];
        json_t *d;
        FILE *f;
        if (made)
                return;
        tpath(empty, sizeof empty, "empty.verdicts");
        f = fopen(empty, "w");
        assert_non_null(f);
        fclose(f);
        tpath(verdicts, sizeof verdicts, "leak.verdicts");
        if (run("verdicts", "set", TIMER, "leak", "-m", NOTE, "--file", verdicts) != 0)
                fail_msg("bench verdicts set: %s", errtext);
        d = run_doc("leak64.json", "--alloc=glibc", "--workload=conn-leak", "--set",
                    "leak_every=64", "--reps", "2", "--trace", "--verdicts", empty, NULL);
        json_decref(d);
        d = run_doc("leak32.json", "--alloc=glibc", "--workload=conn-leak", "--set",
                    "leak_every=32", "--reps", "2", "--trace", "--verdicts", verdicts, NULL);
        json_decref(d);
        made = true;
}

/* NAME: a copy of src dated night `day`, passed through edit (may be NULL). */
static char *night(const char *src, const char *name, int day, void (*edit)(json_t *))
{
        json_t *doc = load(tmpfile_path(src));
        char created[64], *path = tmpfile_path(name);
        snprintf(created, sizeof created, "2026-01-%02dT03:00:00Z", day);
        json_object_set_new(doc, "created", json_string(created));
        if (edit)
                edit(doc);
        if (json_dump_file(doc, path, JSON_INDENT(1)) != 0)
                fail_msg("cannot write %s", path);
        json_decref(doc);
        return path;
}

/* Add the five nights to db in the order given (days 1..5; 4 and 5 leak
 * twice as much), each with --rev dN. */
static void add_nights(const char *db, const char *prefix, const int order[5])
{
        for (int k = 0; k < 5; k++) {
                int day = order[k];
                char name[64], rev[16], path[512];
                snprintf(name, sizeof name, "%s-%d.json", prefix, day);
                snprintf(rev, sizeof rev, "d%d", day);
                snprintf(path, sizeof path, "%s",
                         night(day <= 3 ? "leak64.json" : "leak32.json", name, day, NULL));
                if (run("history", "add", path, "--db", db, "--rev", rev) != 0)
                        fail_msg("history add %s: %s", path, errtext);
                assert_non_null(strstr(outtext, ", 4 sites ("));
        }
}

/* cp.sqlite: the five nights added in order. */
static const char *nightly_db(void)
{
        static char db[512];
        static const int order[5] = {1, 2, 3, 4, 5};
        if (!db[0]) {
                make_runs();
                tpath(db, sizeof db, "cp.sqlite");
                add_nights(db, "cp", order);
        }
        return db;
}

static json_t *find_obj(json_t *arr, const char *k1, const char *v1, const char *k2, const char *v2)
{
        json_t *e;
        size_t i;
        json_array_foreach(arr, i, e)
        {
                if (strcmp(jstr(e, k1), v1) == 0 && (!k2 || strcmp(jstr(e, k2), v2) == 0))
                        return e;
        }
        return NULL;
}

static double must_num(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        if (!json_is_number(v))
                fail_msg("%s is not a number", key);
        return json_number_value(v);
}

/* ---- series ------------------------------------------------------------------ */

/* Each site's two figures are series like any other: the timer site's
 * left-over per round steps from 512 to 1024 B at night 4, a change point
 * and a regression (exit 3); the sites that leave nothing have none. */
static void test_site_series_change_point(void **state)
{
        const char *db = nightly_db();
        json_t *doc, *s, *v, *c;
        size_t i;
        (void)state;
        assert_int_equal(db_count(db, "SELECT count(*) FROM series WHERE metric = "
                                      "'left_per_round'"),
                         4);
        assert_int_equal(run("history", "show", "--db", db, "--format", "json"), 0);
        doc = out_json();
        s = find_obj(json_object_get(doc, "series"), "point", TIMER, "metric", "left_per_round");
        assert_non_null(s);
        assert_string_equal(jstr(s, "unit"), "B");
        assert_string_equal(jstr(s, "allocator"), "glibc");
        assert_string_equal(jstr(s, "workload"), "conn-leak");
        v = json_object_get(s, "values");
        assert_int_equal(json_array_size(v), 5);
        for (i = 0; i < 5; i++)
                assert_true(fabs(must_num(json_array_get(v, i), "value") - (i < 3 ? 512 : 1024)) < 1e-6);
        s = find_obj(json_object_get(doc, "series"), "point", TIMER, "metric", "live_end");
        assert_true(must_num(json_array_get(json_object_get(s, "values"), 4), "value") == 10240);
        json_decref(doc);
        /* the text: the key where a point's label would be */
        assert_int_equal(run("history", "show", "--db", db, "--metric", "left_per_round"), 0);
        assert_non_null(
            strstr(outtext, "  conn-leak  " TIMER "  glibc  left_per_round  (5 values)"));
        assert_int_equal(count_of(outtext, "left_per_round  (5 values)"), 4);
        assert_non_null(strstr(outtext, ", 4 series"));

        assert_int_equal(
            run("history", "check", "--db", db, "--min-segment", "2", "--format", "json"), 3);
        doc = out_json();
        c = find_obj(json_object_get(doc, "regressions"), "point", TIMER, "metric",
                     "left_per_round");
        assert_non_null(c);
        assert_int_equal(json_integer_value(json_object_get(c, "index")), 3);
        assert_true(must_num(c, "before") == 512);
        assert_true(must_num(c, "after") == 1024);
        assert_string_equal(jstr(c, "run.created"), "2026-01-04T03:00:00Z");
        assert_string_equal(jstr(c, "run.rev"), "d4");
        assert_non_null(
            find_obj(json_object_get(doc, "regressions"), "point", TIMER, "metric", "live_end"));
        json_array_foreach(json_object_get(doc, "changes"), i, c)
        {
                if (strstr(jstr(c, "point"), "ab-runner!") && strcmp(jstr(c, "point"), TIMER))
                        fail_msg("a change point on a site that leaves nothing: %s",
                                 jstr(c, "point"));
        }
        json_decref(doc);
        assert_int_equal(
            run("history", "check", "--db", db, "--min-segment", "2", "--metric", "left_per_round"),
            3);
        assert_non_null(strstr(outtext, "allocation sites' series (left_per_round, live_end)"));
        assert_non_null(strstr(outtext, " glibc left_per_round: +100.0% (512 -> 1024) from run "
                                        "#4 (2026-01-04T03:00:00Z, rev d4)"));
        /* the default minimum segment wants three nights after the change */
        assert_int_equal(run("history", "check", "--db", db, "--metric", "left_per_round"), 0);
}

/* ---- the verdict history ------------------------------------------------------- */

/* Added out of order, the newest night still speaks: the timer site was
 * seen in 5 runs, first on night 1, last on night 5, whose verdict (leak)
 * and note it carries, with its left-over per round then. */
static void test_verdict_history(void **state)
{
        char dbb[512], name[64];
        const char *db = tpath(dbb, sizeof dbb, "vh.sqlite");
        static const int order[5] = {4, 1, 5, 3, 2};
        json_t *doc, *sites, *t, *o, *frames;
        (void)state;
        make_runs();
        add_nights(db, "vh", order);
        assert_int_equal(db_count(db, "SELECT count(*) FROM sites"), 4);
        assert_int_equal(db_count(db, "SELECT count(*) FROM site_runs"), 20);
        assert_int_equal(db_count(db, "SELECT count(*) FROM site_runs WHERE verdict = 'leak'"), 2);

        assert_int_equal(run("history", "show", "--sites", "--db", db, "--format", "json"), 0);
        doc = out_json();
        assert_string_equal(jstr(doc, "schema"), "allocbench/history-sites/1");
        sites = json_object_get(doc, "sites");
        assert_int_equal(json_array_size(sites), 4);
        t = json_array_get(sites, 0); /* the most left per round first */
        assert_string_equal(jstr(t, "site"), TIMER);
        assert_string_equal(jstr(t, "point"), "-");
        assert_int_equal(json_integer_value(json_object_get(t, "runs_seen")), 5);
        assert_string_equal(jstr(t, "first_seen.created"), "2026-01-01T03:00:00Z");
        assert_string_equal(jstr(t, "first_seen.rev"), "d1");
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(t, "first_seen"), "id")), 2);
        assert_string_equal(jstr(t, "last_seen.created"), "2026-01-05T03:00:00Z");
        assert_string_equal(jstr(t, "verdict"), "leak");
        assert_false(json_is_true(json_object_get(t, "verdict_new")));
        assert_string_equal(jstr(t, "note"), NOTE);
        assert_true(must_num(t, "left_per_round") == 1024);
        assert_true(must_num(t, "live_end") == 10240);
        frames = json_object_get(t, "frames");
        assert_true(json_array_size(frames) >= 6);
        assert_true(strncmp(json_string_value(json_array_get(frames, 0)),
                            "xalloc workloads/conn_leak.c:", 29) == 0);
        assert_non_null(strstr(json_string_value(json_array_get(frames, 1)), "timer_new"));
        o = find_obj(sites, "site",
                     "ab-runner!xalloc<open_conn<one_round<conn_leak_run<"
                     "run_workload<main",
                     NULL, NULL);
        assert_non_null(o);
        assert_string_equal(jstr(o, "verdict"), "undecided");
        assert_true(json_is_true(json_object_get(o, "verdict_new")));
        assert_true(json_is_null(json_object_get(o, "note")));
        assert_true(must_num(o, "left_per_round") == 0);
        assert_int_equal(json_integer_value(json_object_get(o, "runs_seen")), 5);
        json_decref(doc);

        assert_int_equal(run("history", "show", "--sites", "--db", db), 0);
        assert_non_null(strstr(outtext, "5 runs, 4 sites, the most left per round first"));
        assert_non_null(strstr(outtext, "\n  " TIMER "\n  verdict: leak\n  note: " NOTE "\n  seen "
                                        "in 5 runs, first #2 2026-01-01T03:00:00Z rev d1, last "
                                        "#3 2026-01-05T03:00:00Z rev d5\n  then: left/round "
                                        "1 KiB, live at end 10 KiB\n"));
        assert_int_equal(count_of(outtext, "verdict: undecided, new (no verdict matched it)"), 3);

        /* the same night again adds nothing; filters take sites too */
        snprintf(name, sizeof name, "%s", tmpfile_path("vh-5.json"));
        assert_int_equal(run("history", "add", name, "--db", db), 0);
        assert_non_null(strstr(outtext, "already in the history"));
        assert_int_equal(db_count(db, "SELECT count(*) FROM site_runs"), 20);
        assert_int_equal(run("history", "show", "--sites", "--db", db, "--alloc", "jemalloc"), 0);
        assert_non_null(strstr(outtext, "0 sites (no traced run added, or none matches"));
        assert_int_equal(run("history", "show", "--sites", "--db", db, "--point", "-"), 0);
        assert_non_null(strstr(outtext, "4 sites"));
}

/* ---- the dashboard ------------------------------------------------------------- */

static void test_dashboard_sites(void **state)
{
        const char *db = nightly_db();
        char dirb[512], page[600], dom[600], log[600], ready[64];
        const char *dir = tpath(dirb, sizeof dirb, "dash");
        char *html, *sites, *series, *text;
        json_t *doc;
        size_t nseries;
        (void)state;
        assert_int_equal(run("history", "html", dir, "--db", db, "--min-segment", "2"), 0);
        snprintf(page, sizeof page, "%s/index.html", dir);
        html = read_all(page);
        assert_int_equal(run("history", "show", "--db", db, "--format", "json"), 0);
        doc = out_json();
        nseries = json_array_size(json_object_get(doc, "series"));
        json_decref(doc);

        series = strstr(html, "<section id=\"series\">");
        assert_non_null(series);
        assert_non_null(strstr(html, "<section id=\"sites\">"));
        assert_true(strstr(html, "<section id=\"sites\">") < series);
        /* the sites' section alone */
        sites = strndup(strstr(html, "<section id=\"sites\">"),
                        (size_t)(strstr(html, "<section id=\"figures\">") -
                                 strstr(html, "<section id=\"sites\">")));
        assert_non_null(strstr(html, "<a href=\"#sites\">allocation sites</a>"));
        assert_non_null(strstr(sites, "4 allocation sites of the traced runs"));
        assert_int_equal(count_of(html, "<tr class=\"site\">"), 4);
        assert_int_equal(count_of(html, "<section class=\"site group\""), 4);
        /* the timer site first: its key escaped, its verdict, note, runs seen */
        assert_non_null(strstr(sites, "<tr class=\"site\"><td><a href=\"#site-"));
        assert_non_null(strstr(sites, "\"><code>ab-runner!xalloc&lt;timer_new&lt;open_conn&lt;"
                                      "one_round&lt;conn_leak_run&lt;run_workload</code></a></td>"
                                      "<td>glibc</td><td>conn-leak</td><td>-</td><td><span "
                                      "class=\"badge v-leak\">leak</span></td><td>" NOTE
                                      "</td><td class=\"num\">5</td><td>#1 2026-01-01T03:00:00Z "
                                      "rev d1</td><td>#5 2026-01-05T03:00:00Z rev d5</td><td "
                                      "class=\"num\">1 KiB</td></tr>"));
        assert_int_equal(count_of(sites, "<span class=\"badge v-undecided\">undecided, new</span>"),
                         6); /* three sites, in the table and in their cards */
        assert_non_null(strstr(sites, "seen in 5 runs: first #1 2026-01-01T03:00:00Z rev d1, last "
                                      "#5 2026-01-05T03:00:00Z rev d5"));
        /* its charts, with the change point, and its stack */
        assert_non_null(strstr(sites, "left over per round (bytes)</a><span class=\"meta\">5 "
                                      "runs, latest 1024</span>"));
        assert_non_null(strstr(sites, "|" TIMER_ESC "|left_per_round\" data-changes=\"1\">"));
        assert_int_equal(count_of(sites, "<g class=\"changepoint\" data-index=\"3\">"), 2);
        assert_non_null(
            strstr(sites, "<ol class=\"stack\"><li><code>xalloc workloads/conn_leak.c:"));
        assert_int_equal(count_of(html, "<details class=\"stack\" open>"), 4);
        /* every series charted once: the sites' in their cards, not among the points' */
        assert_int_equal(count_of(html, "<figure class=\"series"), nseries);
        assert_int_equal(count_of(series, "left_per_round"), 0);
        assert_int_equal(count_of(html, "<section"), count_of(html, "</section>"));
        assert_int_equal(count_of(html, "<details"), count_of(html, "</details>"));
        assert_int_equal(count_of(html, "<ol"), count_of(html, "</ol>"));
        assert_int_equal(count_of(html, "<table"), count_of(html, "</table>"));
        free(sites);
        free(html);

        if (have_chromium()) {
                snprintf(dom, sizeof dom, "%s/sites-dom.html", tmpdir);
                snprintf(log, sizeof log, "%s/sites-chromium.log", tmpdir);
                assert_int_equal(chromium_dump(page, dom, log), 0);
                text = read_all(dom);
                snprintf(ready, sizeof ready, "data-ready=\"%zu\"", nseries);
                if (!strstr(text, ready))
                        fail_msg("the page's script did not finish (%s missing)", ready);
                assert_int_equal(count_of(text, "<section class=\"site group\""), 4);
                free(text);
                text = read_all(log);
                if (strstr(text, "CONSOLE") || strstr(text, "Uncaught"))
                        fail_msg("console messages while loading the page:\n%s", text);
                free(text);
        } else {
                print_message("chromium is not installed: the page was checked as bytes only\n");
        }
}

/* A site's key, note and frames as a results file may have them: never
 * raw in the page, nor control characters on the terminal. */
static void evil_site(json_t *d)
{
        json_t *s = json_array_get(
            json_object_get(json_array_get(json_object_get(d, "runs"), 0), "sites"), 0);
        json_object_set_new(s, "key", json_string("mod!" EVIL "\x1b[31m<main"));
        json_object_set_new(json_array_get(json_object_get(s, "frames"), 0), "function",
                            json_string("fn" EVIL));
        json_object_set_new(s, "verdict",
                            json_pack("{ss ss ss sb}", "verdict", "safe", "match", "exact", "note",
                                      "note" EVIL, "new", 0));
}

static void test_strings_escaped(void **state)
{
        char dbb[512], dirb[512], page[600];
        const char *db = tpath(dbb, sizeof dbb, "evil.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "evildash");
        char *html;
        (void)state;
        make_runs();
        assert_int_equal(
            run("history", "add", night("leak64.json", "evil.json", 9, evil_site), "--db", db), 0);
        assert_int_equal(run("history", "show", "--sites", "--db", db), 0);
        assert_null(strchr(outtext, '\x1b'));
        assert_non_null(
            strstr(outtext, "  mod!" EVIL " [31m<main\n  verdict: safe\n  note: note" EVIL));
        assert_int_equal(run("history", "html", dir, "--db", db), 0);
        snprintf(page, sizeof page, "%s/index.html", dir);
        html = read_all(page);
        if (strstr(html, "<!--"))
                fail_msg("a raw <!-- in the page: %.200s", strstr(html, "<!--"));
        assert_int_equal(count_of(html, "<script"), 1);
        assert_null(strstr(html, "XX</"));
        assert_null(strstr(html, "Q\"Q"));
        assert_null(strstr(html, "A'A"));
        assert_non_null(strstr(html, "<code class=\"key\">mod!&lt;!--XX&lt;/script&gt;Q&quot;Q "
                                     "A&#39;A"));
        assert_non_null(strstr(html, "<span class=\"badge v-accepted\">safe</span> <span "
                                     "class=\"note\">note&lt;!--XX&lt;/script&gt;Q&quot;Q "
                                     "A&#39;A</span>"));
        assert_non_null(strstr(html, "<li><code>fn&lt;!--XX&lt;/script&gt;Q&quot;Q A&#39;A "));
        free(html);
}

/* ---- stores and inputs ------------------------------------------------------------ */

#define FIXTURE_STORE "tests/fixtures/history/history-v1.sql"

/* A store of schema /1 (the fixture) is read as it is, with no sites, and
 * changed by nothing but an add, which migrates it: the sites' and the
 * settings' tables, the schema /3, its runs and series kept. */
static void test_migrate_v1(void **state)
{
        char dbb[512], buf[128], dirb[512];
        const char *db = tpath(dbb, sizeof dbb, "v1.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "v1dash");
        char *sql = read_all(FIXTURE_STORE), *err = NULL;
        sqlite3 *h;
        (void)state;
        make_runs();
        if (sqlite3_open(db, &h) != SQLITE_OK ||
            sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
                fail_msg("%s: %s", FIXTURE_STORE, err ? err : sqlite3_errmsg(h));
        sqlite3_close(h);
        free(sql);
        assert_int_equal(run("history", "show", "--sites", "--db", db), 0);
        assert_non_null(strstr(outtext, "1 run, 0 sites"));
        assert_int_equal(run("history", "check", "--db", db), 0);
        assert_int_equal(run("history", "html", dir, "--db", db), 0);
        assert_string_equal(
            db_text(db, "SELECT value FROM meta WHERE key = 'schema'", buf, sizeof buf),
            "allocbench/history/1");
        assert_int_equal(db_count(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                      "('sites', 'site_runs')"),
                         0);

        assert_int_equal(
            run("history", "add", night("leak64.json", "v1-night.json", 1, NULL), "--db", db), 0);
        assert_non_null(strstr(outtext, "as run 2"));
        assert_non_null(strstr(outtext, ", 4 sites (4 new)"));
        assert_string_equal(
            db_text(db, "SELECT value FROM meta WHERE key = 'schema'", buf, sizeof buf),
            "allocbench/history/3");
        assert_int_equal(db_count(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                      "('settings', 'run_settings')"),
                         2);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 2);
        assert_int_equal(db_count(db, "SELECT count(*) FROM sites"), 4);
        assert_int_equal(db_count(db, "SELECT count(*) FROM site_runs"), 4);
        assert_int_equal(db_count(db, "SELECT count(*) FROM series WHERE host = 'fixture-höst'"),
                         12);
        assert_int_equal(run("history", "show", "--db", db, "--host", "fixture-höst"), 0);
        assert_non_null(strstr(outtext, "2 runs from 2026-01-01T03:00:00Z to "
                                        "2026-01-15T03:00:00Z, 12 series\n"));
        assert_int_equal(run("history", "show", "--sites", "--db", db), 0);
        assert_non_null(strstr(outtext, "2 runs, 4 sites"));
}

static void crash_trace(json_t *d)
{
        json_t *r = json_array_get(json_object_get(d, "runs"), 0);
        json_object_set_new(
            json_array_get(json_object_get(json_object_get(r, "trace"), "points"), 0), "status",
            json_string("crashed"));
}

/* The sites of a trace pass that crashed saw part of the run: not stored,
 * and add says so. */
static void test_failed_pass_not_stored(void **state)
{
        char dbb[512];
        const char *db = tpath(dbb, sizeof dbb, "crashed.sqlite");
        (void)state;
        make_runs();
        assert_int_equal(
            run("history", "add", night("leak64.json", "crashed.json", 7, crash_trace), "--db", db),
            0);
        assert_non_null(strstr(outtext, " (4 sites of trace passes that failed, not stored)"));
        assert_null(strstr(outtext, " sites ("));
        assert_int_equal(db_count(db, "SELECT count(*) FROM sites"), 0);
        assert_int_equal(db_count(db, "SELECT count(*) FROM series WHERE metric IN "
                                      "('left_per_round', 'live_end')"),
                         0);
}

static void test_options(void **state)
{
        const char *db = nightly_db();
        (void)state;
        assert_int_equal(run("history", "check", "--sites", "--db", db), 1);
        assert_non_null(strstr(errtext, "option --sites does not apply to history check"));
        assert_int_equal(run("history", "show", "--metric", "left_per_rounds", "--db", db), 1);
        assert_non_null(strstr(errtext, "--metric 'left_per_rounds': expected a comma list of "));
        assert_non_null(strstr(errtext, ", left_per_round, live_end\n"));
        assert_int_equal(run("history", "show", "--metric", "left_per_round,live_end", "--db", db,
                             "--format", "json"),
                         0);
        assert_int_equal(count_of(outtext, "\"metric\": \"l"), 8);
        assert_int_equal(run("history", "--help"), 0);
        assert_non_null(strstr(outtext, "--sites"));
        assert_non_null(strstr(outtext, "CREATE TABLE sites"));
        assert_non_null(strstr(outtext, "CREATE TABLE site_runs"));
        assert_non_null(strstr(outtext, "Schema (allocbench/history/3; add migrates a store of "
                                        "allocbench/history/1 or allocbench/history/2"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_site_series_change_point),
            cmocka_unit_test(test_verdict_history),
            cmocka_unit_test(test_dashboard_sites),
            cmocka_unit_test(test_strings_escaped),
            cmocka_unit_test(test_migrate_v1),
            cmocka_unit_test(test_failed_pass_not_stored),
            cmocka_unit_test(test_options),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
