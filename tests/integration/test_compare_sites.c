/*
 * End-to-end tests of the allocation sites in bench compare: traced runs of
 * conn-leak made by the real ./bench (one record leaked per 64 connections,
 * per 32, none), compared with each other and with edited copies (a site
 * removed, a trace pass that crashed, fewer rounds, a site twice).
 *
 * conn-leak's timer site leaves 8 timers of 64 B a round at leak_every=64
 * and 16 at 32: its live bytes grow by exactly 512 or 1024 B a round, so
 * the increments are constant, the test's p is its smallest (7 increments a
 * side after the warm-up of 2 of the 10 rounds: p = 0.0004 by the normal
 * approximation with ties) and the assertions can hold to the byte. The
 * other three sites free all they allocate: 0 a round whatever leak_every.
 * Memory (--mem-threshold) is left out where the RSS of the two workloads
 * differs by itself: this is about sites.
 */
#include "itest.h"

#define TIMER "ab-runner!xalloc<timer_new<open_conn<one_round<conn_leak_run<run_workload"

/* NAME in the temporary directory, in the caller's buffer. */
#define TMP(var, name)                                                                             \
        char var[512];                                                                             \
        snprintf(var, sizeof var, "%s/%s", tmpdir, name)

static bool made;

/* leak64.json, leak32.json and leak0.json: conn-leak traced, 2 reps, with
 * an empty verdicts file: every site undecided and new. */
static void make_files(void)
{
        static const char *const every[] = {"64", "32", "0"};
        FILE *f;
        if (made)
                return;
        f = fopen(tmpfile_path("none.verdicts"), "w");
        assert_non_null(f);
        fclose(f);
        for (size_t i = 0; i < 3; i++) {
                char name[64], set[64];
                json_t *d;
                snprintf(name, sizeof name, "leak%s.json", every[i]);
                snprintf(set, sizeof set, "leak_every=%s", every[i]);
                d = run_doc(name, "--alloc=glibc", "--workload=conn-leak", "--set", set, "--reps",
                            "2", "--trace", "--verdicts", tmpfile_path("none.verdicts"), NULL);
                assert_int_equal(json_array_size(json_object_get(
                                     json_array_get(json_object_get(d, "runs"), 0), "sites")),
                                 4);
                json_decref(d);
        }
        made = true;
}

/* The report's entry of the site whose key is key, or NULL. */
static json_t *site_of(json_t *rep, const char *key)
{
        json_t *e;
        size_t i;
        json_array_foreach(json_object_get(rep, "sites"), i, e)
        {
                if (strcmp(jstr(e, "site"), key) == 0)
                        return e;
        }
        return NULL;
}

static double num_at(json_t *o, const char *a, const char *b)
{
        json_t *v = json_object_get(b ? json_object_get(o, a) : o, b ? b : a);
        if (!json_is_number(v))
                fail_msg("%s%s%s is not a number", a, b ? "." : "", b ? b : "");
        return json_number_value(v);
}

static long long summary(json_t *rep, const char *key)
{
        json_t *v = json_object_get(json_object_get(rep, "summary"), key);
        if (!json_is_integer(v))
                fail_msg("summary.%s is not an integer", key);
        return json_integer_value(v);
}

static json_t *run0(json_t *doc)
{
        return json_array_get(json_object_get(doc, "runs"), 0);
}

/* The index of the timer site in the first run. */
static size_t timer_index(json_t *doc)
{
        json_t *s;
        size_t i;
        json_array_foreach(json_object_get(run0(doc), "sites"), i, s)
        {
                if (strcmp(jstr(s, "key"), TIMER) == 0)
                        return i;
        }
        fail_msg("no timer site");
        return 0;
}

/* ---- the files as bench run wrote them ------------------------------------------ */

/* Twice the leak: the timer site's left-over doubles, significantly: changed,
 * grew, a regression (exit 3); the other three sites are the same. */
static void test_leak_doubles(void **state)
{
        TMP(a, "leak64.json");
        TMP(b, "leak32.json");
        json_t *rep, *t;
        int rows = 0;
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "json", a, b), 3);
        rep = stdout_json();
        assert_true(json_is_true(json_object_get(rep, "regression")));
        assert_int_equal(json_array_size(json_object_get(rep, "sites")), 4);
        t = site_of(rep, TIMER);
        assert_non_null(t);
        assert_string_equal(jstr(t, "verdict"), "changed");
        assert_string_equal(jstr(t, "change"), "grew");
        assert_true(json_is_true(json_object_get(t, "regression")));
        assert_string_equal(jstr(t, "allocator"), "glibc");
        assert_string_equal(jstr(t, "workload"), "conn-leak");
        assert_string_equal(jstr(t, "point"), "-");
        assert_true(fabs(num_at(t, "base", "left_per_round") - 512) < 1e-6);
        assert_true(fabs(num_at(t, "new", "left_per_round") - 1024) < 1e-6);
        assert_true(num_at(t, "base", "median_increment") == 512);
        assert_true(num_at(t, "new", "median_increment") == 1024);
        assert_true(num_at(t, "base", "increments") == 7);
        assert_true(num_at(t, "new", "increments") == 7);
        assert_true(num_at(t, "p", NULL) < 0.001);
        assert_true(num_at(t, "u", NULL) == 49); /* every NEW increment above every BASE one */
        /* the site's own verdict is shown, not applied */
        assert_string_equal(jstr(t, "site_verdict.verdict"), "undecided");
        assert_true(json_is_true(json_object_get(json_object_get(t, "site_verdict"), "new")));
        assert_int_equal(summary(rep, "sites_changed"), 1);
        assert_int_equal(summary(rep, "sites_same"), 3);
        assert_int_equal(summary(rep, "sites_new"), 0);
        assert_int_equal(summary(rep, "sites_gone"), 0);
        assert_int_equal(summary(rep, "site_regressions"), 1);
        assert_int_equal(summary(rep, "sites_not_compared"), 0);
        json_decref(rep);

        /* the table: a sites section after the points, the verdict, the line */
        assert_int_equal(run("compare", "--mem-threshold", "off", a, b), 3);
        assert_non_null(strstr(outtext, "\nsites (--trace) of the points both files traced"));
        assert_true(strstr(outtext, "sites (--trace)") > strstr(outtext, "NEW ns/op"));
        assert_non_null(strstr(outtext, "512 B            1 KiB"));
        assert_non_null(strstr(outtext, "changed, grew (regression)\n    " TIMER "\n"));
        assert_int_equal(count_of(outtext, "  same\n"), 3);
        assert_non_null(strstr(outtext, "1 site leaving more bytes a round\n"));

        /* CSV: the point's row, then a row per site that says so */
        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "csv", a, b), 3);
        for (const char *s = outtext; *s; s++)
                rows += *s == '\n';
        assert_int_equal(rows, 6);
        assert_non_null(strstr(outtext, ",kind,site,base_left_per_round,new_left_per_round,"
                                        "site_change,site_regression,base_host,new_host,"
                                        "host_differs\n"));
        assert_int_equal(count_of(outtext, ",point,,,,,"), 1);
        assert_int_equal(count_of(outtext, ",site,ab-runner!"), 4);
        assert_non_null(strstr(outtext, ",changed,,,,,,,,,,,site," TIMER ",512,1024,grew,1,,,\n"));
        assert_non_null(strstr(outtext, "\nglibc,conn-leak,-,,,,,,,,"));
}

/* A file against itself: every site paired, the same, p = 1; no regression. */
static void test_self_same(void **state)
{
        TMP(a, "leak64.json");
        json_t *rep, *e;
        size_t i;
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--format", "json", a, a), 0);
        rep = stdout_json();
        assert_false(json_is_true(json_object_get(rep, "regression")));
        assert_int_equal(json_array_size(json_object_get(rep, "sites")), 4);
        json_array_foreach(json_object_get(rep, "sites"), i, e)
        {
                assert_string_equal(jstr(e, "verdict"), "same");
                assert_true(json_is_null(json_object_get(e, "change")));
                assert_false(json_is_true(json_object_get(e, "regression")));
                assert_true(num_at(e, "p", NULL) == 1.0);
        }
        assert_true(num_at(site_of(rep, TIMER), "new", "left_per_round") == 512);
        assert_int_equal(summary(rep, "sites_same"), 4);
        assert_int_equal(summary(rep, "site_regressions"), 0);
        json_decref(rep);
        assert_int_equal(run("compare", a, a), 0);
        assert_non_null(strstr(outtext, "\nno regression\n"));
        assert_null(strstr(outtext, "changed"));
}

/* No leak in NEW: the timer site is still there (it frees its timers at
 * close) and leaves nothing: changed, shrank, no regression. Against
 * itself, the leak-free file's timer site is the same at 0. */
static void test_leak_fixed(void **state)
{
        TMP(a, "leak64.json");
        TMP(z, "leak0.json");
        json_t *rep, *t;
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "json", a, z), 0);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_non_null(t);
        assert_string_equal(jstr(t, "verdict"), "changed");
        assert_string_equal(jstr(t, "change"), "shrank");
        assert_false(json_is_true(json_object_get(t, "regression")));
        assert_true(num_at(t, "new", "left_per_round") == 0);
        assert_false(json_is_true(json_object_get(rep, "regression")));
        assert_int_equal(summary(rep, "site_regressions"), 0);
        json_decref(rep);

        assert_int_equal(run("compare", "--format", "json", z, z), 0);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_string_equal(jstr(t, "verdict"), "same");
        assert_true(num_at(t, "base", "left_per_round") == 0);
        assert_true(num_at(t, "new", "median_increment") == 0);
        json_decref(rep);
}

/* ---- edited copies ---------------------------------------------------------------- */

static void drop_timer(json_t *d)
{
        assert_int_equal(json_array_remove(json_object_get(run0(d), "sites"), timer_index(d)), 0);
}

/* A site only BASE has is gone (no regression); only NEW has, new: one that
 * leaves bytes in every round is a regression, one that leaves none is not. */
static void test_new_and_gone(void **state)
{
        TMP(a, "leak64.json");
        TMP(z, "leak0.json");
        TMP(a_wo, "leak64-no-timer.json");
        TMP(z_wo, "leak0-no-timer.json");
        json_t *rep, *t;
        (void)state;
        make_files();
        edited_copy("leak64.json", "leak64-no-timer.json", drop_timer);
        edited_copy("leak0.json", "leak0-no-timer.json", drop_timer);

        assert_int_equal(run("compare", "--format", "json", a, a_wo), 0);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_string_equal(jstr(t, "verdict"), "gone");
        assert_true(json_is_null(json_object_get(t, "new")));
        assert_true(num_at(t, "base", "left_per_round") == 512);
        assert_int_equal(summary(rep, "sites_gone"), 1);
        assert_int_equal(summary(rep, "sites_same"), 3);
        json_decref(rep);

        assert_int_equal(run("compare", "--format", "json", a_wo, a), 3);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_string_equal(jstr(t, "verdict"), "new");
        assert_true(json_is_true(json_object_get(t, "regression")));
        assert_true(json_is_null(json_object_get(t, "base")));
        assert_non_null(strstr(jstr(t, "note"), "every one of its 7 rounds"));
        assert_int_equal(summary(rep, "sites_new"), 1);
        assert_int_equal(summary(rep, "site_regressions"), 1);
        /* the new site is listed after BASE's */
        assert_ptr_equal(json_array_get(json_object_get(rep, "sites"), 3), t);
        json_decref(rep);
        assert_int_equal(run("compare", a_wo, a), 3);
        assert_non_null(strstr(outtext, "new (regression) [1]\n    " TIMER "\n"));

        /* a new site that leaves nothing is no regression */
        assert_int_equal(run("compare", "--format", "json", z_wo, z), 0);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_string_equal(jstr(t, "verdict"), "new");
        assert_false(json_is_true(json_object_get(t, "regression")));
        json_decref(rep);
}

static void crash_trace(json_t *d)
{
        json_t *p = json_array_get(json_object_get(json_object_get(run0(d), "trace"), "points"), 0);
        json_object_set_new(p, "status", json_string("crashed"));
}

static void untrace(json_t *d)
{
        json_object_del(run0(d), "trace");
        json_object_del(run0(d), "sites");
}

/* A point traced well in one file only: its sites are not compared (they
 * would all be new or gone), and the summary counts them. */
static void test_not_compared(void **state)
{
        TMP(a, "leak64.json");
        TMP(crashed, "leak32-crashed.json");
        TMP(plain, "leak32-untraced.json");
        json_t *rep;
        (void)state;
        make_files();
        edited_copy("leak32.json", "leak32-crashed.json", crash_trace);
        edited_copy("leak32.json", "leak32-untraced.json", untrace);

        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "json", a, crashed),
                         0);
        rep = stdout_json();
        assert_int_equal(json_array_size(json_object_get(rep, "sites")), 0);
        assert_int_equal(summary(rep, "sites_not_compared"), 8);
        assert_int_equal(summary(rep, "site_regressions"), 0);
        json_decref(rep);
        assert_int_equal(run("compare", "--mem-threshold", "off", a, crashed), 0);
        assert_non_null(strstr(outtext, "8 sites not compared: their point was traced well"));

        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "json", plain, a), 0);
        rep = stdout_json();
        assert_int_equal(json_array_size(json_object_get(rep, "sites")), 0);
        assert_int_equal(summary(rep, "sites_not_compared"), 4);
        json_decref(rep);
        /* neither file traced: no sites section at all */
        assert_int_equal(run("compare", "--mem-threshold", "off", plain, plain), 0);
        assert_null(strstr(outtext, "sites (--trace)"));
}

/* The sites' first n rounds only. */
static void keep_rounds(json_t *d, size_t n)
{
        json_t *s;
        size_t i;
        json_array_foreach(json_object_get(run0(d), "sites"), i, s)
        {
                json_t *r = json_object_get(s, "rounds"), *a;
                const char *k;
                json_object_foreach(r, k, a)
                {
                        while (json_array_size(a) > n)
                                json_array_remove(a, json_array_size(a) - 1);
                }
        }
}

/* 5 rounds: 3 increments after the warm-up of 1, too few for a verdict. */
static void five_rounds(json_t *d)
{
        keep_rounds(d, 5);
}

/* 6 rounds: 4 increments, whose test cannot give p < 0.01 (2/70 at best). */
static void six_rounds(json_t *d)
{
        keep_rounds(d, 6);
}

static void test_too_few_rounds(void **state)
{
        TMP(a, "leak64.json");
        TMP(short_, "leak32-short.json");
        TMP(six64, "leak64-six.json");
        TMP(six32, "leak32-six.json");
        json_t *rep, *t;
        (void)state;
        make_files();
        edited_copy("leak32.json", "leak32-short.json", five_rounds);
        edited_copy("leak64.json", "leak64-six.json", six_rounds);
        edited_copy("leak32.json", "leak32-six.json", six_rounds);
        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "json", a, short_),
                         0);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_string_equal(jstr(t, "verdict"), "too few rounds");
        assert_false(json_is_true(json_object_get(t, "regression")));
        assert_true(num_at(t, "new", "increments") == 3);
        assert_non_null(
            strstr(jstr(t, "note"), "7 and 3 increments after the warm-up, at least 4"));
        assert_true(json_is_null(json_object_get(t, "p")));
        assert_int_equal(summary(rep, "sites_too_few_rounds"), 4);
        json_decref(rep);
        /* 4 and 4 increments: a verdict at 0.05, none at 0.01 */
        assert_int_equal(run("compare", "--mem-threshold", "off", "--format", "json", six64, six32),
                         3);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_string_equal(jstr(t, "verdict"), "changed");
        assert_true(num_at(t, "new", "increments") == 4);
        json_decref(rep);
        assert_int_equal(run("compare", "--mem-threshold", "off", "--alpha", "0.01", "--format",
                             "json", six64, six32),
                         0);
        rep = stdout_json();
        t = site_of(rep, TIMER);
        assert_string_equal(jstr(t, "verdict"), "too few rounds");
        assert_non_null(strstr(jstr(t, "note"), "4 and 4 increments cannot give p < 0.01"));
        json_decref(rep);
}

static void timer_twice(json_t *d)
{
        json_t *sites = json_object_get(run0(d), "sites");
        json_array_append_new(sites, json_deep_copy(json_array_get(sites, timer_index(d))));
}

/* A site twice in a file: said on stderr, the first is compared. */
static void test_duplicate_site(void **state)
{
        TMP(a, "leak64.json");
        TMP(dup, "leak64-twice.json");
        json_t *rep;
        (void)state;
        make_files();
        edited_copy("leak64.json", "leak64-twice.json", timer_twice);
        assert_int_equal(run("compare", "--format", "json", dup, a), 0);
        assert_non_null(strstr(errtext, "leak64-twice.json: site " TIMER));
        assert_non_null(strstr(errtext, "appears more than once; the first is compared"));
        rep = stdout_json();
        assert_int_equal(json_array_size(json_object_get(rep, "sites")), 4);
        json_decref(rep);
}

/* --help says how sites are judged. */
static void test_help(void **state)
{
        (void)state;
        assert_int_equal(run("compare", "--help"), 0);
        assert_non_null(strstr(outtext, "Allocation sites (bench run --trace)"));
        assert_non_null(strstr(outtext, "too few rounds under 4 increments a side"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_leak_doubles),   cmocka_unit_test(test_self_same),
            cmocka_unit_test(test_leak_fixed),     cmocka_unit_test(test_new_and_gone),
            cmocka_unit_test(test_not_compared),   cmocka_unit_test(test_too_few_rounds),
            cmocka_unit_test(test_duplicate_site), cmocka_unit_test(test_help),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
