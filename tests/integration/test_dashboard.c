/*
 * End-to-end tests of `bench history html` (harness/dashboard.c): strings
 * from results files never reach the page unescaped, a FIFO next to the
 * results cannot hang it, and only the figures `bench plot` made for a
 * results file that still exists are copied into the dashboard. Results files
 * are copies of the tiny run setup_all makes (probe.json), edited with
 * jansson. The page is opened in headless Chromium when it is installed.
 * Environment: AB_BENCH (default ./bench) and AB_BUILD (default build).
 */
#include "itest.h"

#include <sqlite3.h>
#include <time.h>

/* Everything that could end an attribute, a comment-free page or a script. */
#define EVIL "<!--XX</script>Q\"Q A'A"

static const char *tpath(char *buf, size_t len, const char *name)
{
        snprintf(buf, len, "%s/%s", tmpdir, name);
        return buf;
}


static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (!f)
                fail_msg("cannot write %s", path);
        fputs(text, f);
        fclose(f);
}

/* A results file at `path`: probe.json with these fields (NULL: as it is)
 * and, when flag_text is given, one flag naming alloc and workload. */
static void results_file(const char *path, const char *created, const char *host, const char *alloc,
                         const char *wl, const char *flag_text)
{
        json_t *doc = load(tmpfile_path("probe.json")), *r;
        size_t i;
        if (created)
                json_object_set_new(doc, "created", json_string(created));
        if (host)
                json_object_set_new(json_object_get(doc, "host"), "hostname", json_string(host));
        json_array_foreach(json_object_get(doc, "runs"), i, r)
        {
                if (alloc)
                        json_object_set_new(json_object_get(r, "allocator"), "name",
                                            json_string(alloc));
                if (wl)
                        json_object_set_new(json_object_get(r, "workload"), "name",
                                            json_string(wl));
        }
        if (flag_text)
                json_array_append_new(json_object_get(doc, "flags"),
                                      json_pack("{ss ss ss ss s{si} s{} ss ss}", "kind",
                                                "size-cliff", "severity", "warn", "allocator",
                                                alloc ? alloc : "glibc", "workload",
                                                wl ? wl : "calloc-sweep", "where", "size", 4096,
                                                "evidence", "message", flag_text, "hint", "none"));
        if (json_dump_file(doc, path, JSON_INDENT(2)) != 0)
                fail_msg("cannot write %s", path);
        json_decref(doc);
}

static void add(const char *db, const char *path)
{
        if (run("history", "add", path, "--db", db) != 0)
                fail_msg("history add %s: %s", path, errtext);
}

static void html(const char *dir, const char *db)
{
        int rc = run_watchdog(60, "history", "html", dir, "--db", db, NULL);
        if (rc == -1)
                fail_msg("history html %s did not finish in 60 s", dir);
        if (rc != 0)
                fail_msg("history html %s exited %d: %s", dir, rc, errtext);
}


/* ---- escaping -------------------------------------------------------------- */

/* created, host, allocator and workload names (and a flag's message) made of
 * a comment opener, a script end tag and both quotes: the page holds none of
 * them raw, only escaped, and Chromium runs its script to the end. */
static void test_strings_escaped(void **state)
{
        char dbb[512], dirb[512], f1b[512], f2b[512], page[600], dom[600], log[600], ready[64];
        const char *db = tpath(dbb, sizeof dbb, "esc.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "escdash");
        const char *f1 = tpath(f1b, sizeof f1b, "esc-1.json"),
                   *f2 = tpath(f2b, sizeof f2b, "esc-2.json");
        char *text;
        json_t *doc;
        size_t nseries;
        (void)state;
        results_file(f1, EVIL " 2026-01-01T03:00:00Z", "host" EVIL, "glibc" EVIL,
                     "calloc-sweep" EVIL, NULL);
        results_file(f2, EVIL " 2026-01-02T03:00:00Z", "host" EVIL, "glibc" EVIL,
                     "calloc-sweep" EVIL, "message" EVIL);
        add(db, f1);
        add(db, f2);
        assert_int_equal(run("history", "show", "--db", db, "--format", "json"), 0);
        doc = json_loads(outtext, 0, NULL);
        assert_non_null(doc);
        nseries = json_array_size(json_object_get(doc, "series"));
        assert_true(nseries >= 1);
        /* the strings did reach the store as they are */
        assert_string_equal(jstr(json_array_get(json_object_get(doc, "series"), 0), "host"),
                            "host" EVIL);
        json_decref(doc);

        html(dir, db);
        snprintf(page, sizeof page, "%s/index.html", dir);
        text = read_all(page);
        /* the bytes: no comment opener, one script, no raw quote from the names */
        if (strstr(text, "<!--"))
                fail_msg("a raw <!-- in the page: %.200s", strstr(text, "<!--"));
        assert_int_equal(count_of(text, "<script"), 1);
        assert_int_equal(count_of(text, "</script"), 1);
        assert_null(strstr(text, "XX</"));
        assert_null(strstr(text, "Q\"Q"));
        assert_null(strstr(text, "A'A"));
        /* and they are there, escaped, in the header, the charts' dates, the
         * captions, the data-key attributes and the flags table */
        assert_non_null(strstr(text, "&lt;!--XX&lt;/script&gt;Q&quot;Q A&#39;A 2026-01-01"));
        assert_non_null(strstr(text, ">&lt;!--XX&lt;/sc</text>"));
        assert_non_null(
            strstr(text, "data-key=\"host&lt;!--XX&lt;/script&gt;Q&quot;Q A&#39;A|glibc"));
        assert_non_null(strstr(text, "message&lt;!--XX&lt;/script&gt;Q&quot;Q A&#39;A"));
        assert_true(strlen(text) > 7 && strcmp(text + strlen(text) - 8, "</html>\n") == 0);
        free(text);

        if (have_chromium()) {
                snprintf(dom, sizeof dom, "%s/esc-dom.html", tmpdir);
                snprintf(log, sizeof log, "%s/esc-chromium.log", tmpdir);
                assert_int_equal(chromium_dump(page, dom, log), 0);
                text = read_all(dom);
                snprintf(ready, sizeof ready, "data-ready=\"%zu\"", nseries);
                if (!strstr(text, ready))
                        fail_msg("the page's script did not finish (%s missing)", ready);
                assert_int_equal(count_of(text, "<figure class=\"series"), nseries);
                assert_non_null(strstr(text, "series shown"));
                free(text);
                text = read_all(log);
                if (strstr(text, "CONSOLE") || strstr(text, "Uncaught"))
                        fail_msg("console messages while loading the page:\n%s", text);
                free(text);
        } else {
                print_message("chromium is not installed: the page was checked as bytes only\n");
        }
}

/* ---- figures --------------------------------------------------------------- */

/* A FIFO with a figure's name next to the results file: html neither blocks
 * on it nor copies it. */
static void test_fifo_does_not_hang(void **state)
{
        char dbb[512], dirb[512], rd[512], res[600], fifo[600], dst[700];
        const char *db = tpath(dbb, sizeof dbb, "fifo.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "fifodash");
        (void)state;
        tpath(rd, sizeof rd, "fifo-results");
        assert_int_equal(mkdir(rd, 0755), 0);
        snprintf(res, sizeof res, "%s/nightly.json", rd);
        results_file(res, "2026-02-01T03:00:00Z", NULL, NULL, NULL, NULL);
        add(db, res);
        snprintf(fifo, sizeof fifo, "%s/nightly-calloc-sweep-ns.png", rd);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        html(dir, db);
        snprintf(dst, sizeof dst, "%s/figures/nightly-calloc-sweep-ns.png", dir);
        assert_false(exists(dst));
        snprintf(dst, sizeof dst, "%s/index.html", dir);
        assert_true(exists(dst));
}

/* Results in D-results/ are not inside the dashboard D: their figures are
 * copied into D/figures and linked. */
static void test_sibling_prefix_dir_copied(void **state)
{
        char dbb[512], dirb[512], rd[512], res[600], fig[600], page[600];
        const char *db = tpath(dbb, sizeof dbb, "sib.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "pub");
        char *text;
        (void)state;
        tpath(rd, sizeof rd, "pub-results");
        assert_int_equal(mkdir(rd, 0755), 0);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(res, sizeof res, "%s/nb.json", rd);
        results_file(res, "2026-03-01T03:00:00Z", NULL, NULL, NULL, NULL);
        add(db, res);
        snprintf(fig, sizeof fig, "%s/nb-calloc-sweep-ns.png", rd);
        write_text(fig, "png bytes\n");
        snprintf(fig, sizeof fig, "%s/nb-glibc-calloc-sweep-timeline.svg", rd);
        write_text(fig, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
        html(dir, db);
        snprintf(fig, sizeof fig, "%s/figures/nb-calloc-sweep-ns.png", dir);
        assert_true(exists(fig));
        snprintf(fig, sizeof fig, "%s/figures/nb-glibc-calloc-sweep-timeline.svg", dir);
        assert_true(exists(fig));
        snprintf(page, sizeof page, "%s/index.html", dir);
        text = read_all(page);
        assert_non_null(strstr(text, "href=\"figures/nb-calloc-sweep-ns.png\""));
        free(text);
}

/* Only what `bench plot` made for the results file is published: its stem
 * and '-' (or '+' for figures of several files), regular files, and only
 * while the results file is still there. */
static void test_only_plot_outputs_copied(void **state)
{
        char dbb[512], dirb[512], rd[512], sub[600], res[600], gone[600], p[700];
        const char *db = tpath(dbb, sizeof dbb, "only.sqlite"),
                   *dir = tpath(dirb, sizeof dirb, "onlydash");
        static const char *const copied[] = {
            "own-calloc-sweep-ns.png", "own-calloc-sweep-faults.svg",
            "own+other-calloc-sweep-ns.png", "own-glibc-calloc-sweep-timeline.svg",
            "own-calloc-sweep-faults.png"};
        static const char *const left[] = {"secret.png",
                                           "ownsecret.png",
                                           "own.png",
                                           "own-link.png",
                                           "private.svg",
                                           "gone-calloc-sweep-ns.png",
                                           ".own-calloc-sweep-ns.png"};
        (void)state;
        tpath(rd, sizeof rd, "only-results");
        assert_int_equal(mkdir(rd, 0755), 0);
        snprintf(res, sizeof res, "%s/own.json", rd);
        results_file(res, "2026-04-01T03:00:00Z", "host-own", NULL, NULL, NULL);
        add(db, res);
        /* a second host whose results file is gone since it was added */
        snprintf(gone, sizeof gone, "%s/gone.json", rd);
        results_file(gone, "2026-04-01T03:00:00Z", "host-gone", NULL, NULL, NULL);
        add(db, gone);
        assert_int_equal(unlink(gone), 0);

        for (size_t i = 0; i < 4; i++) {
                snprintf(p, sizeof p, "%s/%s", rd, copied[i]);
                write_text(p, "figure\n");
        }
        for (size_t i = 0; i < 3; i++) {
                snprintf(p, sizeof p, "%s/%s", rd, left[i]);
                write_text(p, "secret\n");
        }
        snprintf(p, sizeof p, "%s/gone-calloc-sweep-ns.png", rd);
        write_text(p, "figure of a results file that is gone\n");
        snprintf(p, sizeof p, "%s/.own-calloc-sweep-ns.png", rd);
        write_text(p, "hidden\n");
        /* a symbolic link with a figure's name pointing elsewhere */
        snprintf(p, sizeof p, "%s/own-link.png", rd);
        assert_int_equal(symlink("secret.png", p), 0);
        /* the directory named like the results file: the same rule */
        snprintf(sub, sizeof sub, "%s/own", rd);
        assert_int_equal(mkdir(sub, 0755), 0);
        snprintf(p, sizeof p, "%s/private.svg", sub);
        write_text(p, "secret\n");
        snprintf(p, sizeof p, "%s/own-calloc-sweep-faults.png", sub);
        write_text(p, "figure\n");

        html(dir, db);
        for (size_t i = 0; i < sizeof copied / sizeof *copied; i++) {
                snprintf(p, sizeof p, "%s/figures/%s", dir, copied[i]);
                if (!exists(p))
                        fail_msg("%s was not copied", copied[i]);
        }
        for (size_t i = 0; i < sizeof left / sizeof *left; i++) {
                snprintf(p, sizeof p, "%s/figures/%s", dir, left[i]);
                if (exists(p))
                        fail_msg("%s was copied into the dashboard", left[i]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strings_escaped),
            cmocka_unit_test(test_fifo_does_not_hang),
            cmocka_unit_test(test_sibling_prefix_dir_copied),
            cmocka_unit_test(test_only_plot_outputs_copied),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
