/*
 * End-to-end tests of the allocation sites of a traced run (bench run
 * --trace): the top sites under the table's flags, bench sites in its three
 * views and its filters, its refusals, and bench plot's sites figure. One
 * traced conn-leak run (glibc, leak_every=64: a timer of 512 B a round that
 * is never freed) serves every test; its results file is the reference the
 * outputs are checked against. Environment: AB_BENCH (default ./bench) and
 * AB_BUILD (default build) name the binaries under test.
 */
#include <regex.h>
#include <stdint.h>

#include "itest.h"

static char cl[600];         /* the traced run's results file */
static char table[1 << 20];  /* what that run printed */
static char timer_key[1024]; /* the key of its timer_new site */

/* The traced run, once. */
static void make_traced(void)
{
        if (cl[0])
                return;
        snprintf(cl, sizeof cl, "%s", tmpfile_path("cl.json"));
        if (run("--alloc=glibc", "--workload=conn-leak", "--set", "leak_every=64", "--reps", "2",
                "--trace", "-q", "-o", cl) != 0)
                fail_msg("bench --trace failed: %s", errtext);
        snprintf(table, sizeof table, "%s", outtext);
}

/* The sites of run 0 of the traced file. */
static json_t *sites_of(json_t *doc)
{
        return json_object_get(json_array_get(json_object_get(doc, "runs"), 0), "sites");
}

/* The site whose key contains `fn` (the first), and its key in timer_key. */
static json_t *site_with(json_t *doc, const char *fn)
{
        json_t *s;
        size_t i;
        json_array_foreach(sites_of(doc), i, s)
        {
                if (strstr(jstr(s, "key"), fn)) {
                        snprintf(timer_key, sizeof timer_key, "%s", jstr(s, "key"));
                        return s;
                }
        }
        fail_msg("no site with %s", fn);
        return NULL;
}

static double total(json_t *site, const char *key)
{
        return json_number_value(json_object_get(json_object_get(site, "total"), key));
}

/* Lines of text, and the line of text holding `needle` (its index, or -1). */
static size_t lines_of(const char *text)
{
        size_t n = 0;
        for (const char *p = text; *p; p++)
                n += *p == '\n';
        return n;
}

static long line_with(const char *text, const char *needle, char *line, size_t len)
{
        long k = 0;
        for (const char *p = text; *p; k++) {
                const char *end = strchr(p, '\n');
                size_t n = end ? (size_t)(end - p) : strlen(p);
                char buf[4096];
                snprintf(buf, sizeof buf, "%.*s", (int)n, p);
                if (strstr(buf, needle)) {
                        if (line)
                                snprintf(line, len, "%s", buf);
                        return k;
                }
                p += n + (end != NULL);
        }
        return -1;
}

/* The number a folded line ends with ("a;b;c 1234"). */
static double folded_value(const char *line)
{
        const char *sp = strrchr(line, ' ');
        return sp ? strtod(sp + 1, NULL) : -1;
}

/* ---- the table ----------------------------------------------------------------- */

/* Under the flags: the run's top sites, the timer_new site first with 512 B
 * left over per round, as many rows as sites (up to five), 100 columns. */
static void test_table_top_sites(void **state)
{
        json_t *doc;
        const char *sec, *p;
        char line[4096];
        size_t rows = 0, nsites;
        (void)state;
        make_traced();
        doc = load(cl);
        nsites = json_array_size(sites_of(doc));
        assert_true(nsites >= 2);
        sec = strstr(table, "\ntop allocation sites (--trace)");
        assert_non_null(sec);
        assert_true(strstr(table, "\nflags") < sec); /* after the flags */
        assert_non_null(strstr(sec, "glibc on conn-leak: "));
        p = strstr(sec, "left/round live at end   allocated      calls  site");
        assert_non_null(p);
        p = strchr(p, '\n') + 1;
        /* the first row: the timer, 512 B a round, 5120 calls over the pass */
        assert_true(line_with(p, "", line, sizeof line) == 0);
        assert_non_null(strstr(line, "timer_new"));
        assert_true(strncmp(line, "       512 B ", 13) == 0);
        assert_int_equal(strtol(line + 36, NULL, 10),
                         (long)total(site_with(doc, "timer_new"), "allocs"));
        for (; *p == ' '; p = strchr(p, '\n') + 1) {
                const char *end = strchr(p, '\n');
                size_t cols = 0;
                for (const char *c = p; c < end; c++)
                        cols += ((unsigned char)*c & 0xC0) != 0x80;
                assert_true(cols <= 100);
                assert_non_null(memchr(p, '!', (size_t)(end - p))); /* a key */
                rows++;
        }
        assert_int_equal(rows, nsites < 5 ? nsites : 5);
        assert_non_null(strstr(table, "bench sites RESULTS_FILE"));
        json_decref(doc);

        /* without --trace nothing of it */
        assert_int_equal(run("--alloc=glibc", "--workload=conn-leak", "--set", "rounds=3", "--reps",
                             "1", "-q", "-o", tmpfile_path("untraced.json")),
                         0);
        assert_non_null(strstr(outtext, "\nflags"));
        assert_null(strstr(outtext, "allocation sites"));
        /* nor in the JSON and CSV forms */
        assert_int_equal(run("--alloc=glibc", "--workload=conn-leak", "--set", "rounds=3", "--reps",
                             "1", "--trace", "--format", "csv", "-q", "-o",
                             tmpfile_path("csv.json")),
                         0);
        assert_null(strstr(outtext, "allocation sites"));
        assert_null(strstr(outtext, "left/round"));
}

/* ---- bench sites ------------------------------------------------------------------- */

/* Bottom-up: a block per site, each with its figures; the timer's with 512 B
 * left over per round and its frames innermost first with file:line. */
static void test_bottom_up(void **state)
{
        json_t *doc, *s;
        size_t i;
        char line[4096];
        (void)state;
        make_traced();
        doc = load(cl);
        assert_int_equal(run("sites", cl), 0);
        assert_int_equal(errtext[0], '\0');
        assert_int_equal(count_of(outtext, " live at the end"), json_array_size(sites_of(doc)));
        json_array_foreach(sites_of(doc), i, s)
        {
                char want[1100];
                snprintf(want, sizeof want, "\n  %s\n", jstr(s, "key"));
                assert_non_null(strstr(outtext, want));
        }
        s = site_with(doc, "timer_new");
        assert_true(line_with(outtext, timer_key, NULL, 0) >= 0);
        assert_non_null(strstr(outtext, "5 KiB live at the end, 512 B left over per round\n"));
        /* frames: #0 xalloc, #1 timer_new, with their place and module */
        assert_true(line_with(outtext, "#1  timer_new ", line, sizeof line) >= 0);
        assert_non_null(strstr(line, "workloads/conn_leak.c:"));
        assert_non_null(strstr(line, "ab-runner"));
        assert_true(line_with(outtext, "#0  xalloc ", line, sizeof line) <
                    line_with(outtext, "#1  timer_new ", NULL, 0));
        json_decref(doc);
}

/* --folded: every line "frames value"; the timer's value is its bytes
 * allocated, and with --value its allocations or its growth. */
static void test_folded(void **state)
{
        json_t *doc, *s, *live;
        regex_t re;
        char line[4096];
        size_t i, nonzero = 0, skip, n;
        (void)state;
        make_traced();
        doc = load(cl);
        s = site_with(doc, "timer_new");
        assert_int_equal(run("sites", cl, "--folded"), 0);
        assert_int_equal(regcomp(&re, "^[^ ]+ [0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
        for (const char *p = outtext; *p;) {
                const char *end = strchr(p, '\n');
                snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
                if (regexec(&re, line, 0, NULL, 0) != 0)
                        fail_msg("not a folded line: '%s'", line);
                p = end + 1;
        }
        regfree(&re);
        json_array_foreach(sites_of(doc), i, live)
        {
                nonzero += total(live, "bytes_alloc") > 0;
        }
        assert_int_equal(lines_of(outtext), nonzero);
        /* outermost first: main before conn_leak_run before timer_new */
        assert_true(line_with(outtext, "timer_new", line, sizeof line) >= 0);
        assert_non_null(strstr(line, "main;run_workload;conn_leak_run;one_round;"));
        assert_non_null(strstr(line, ";timer_new;xalloc "));
        assert_true(folded_value(line) == total(s, "bytes_alloc"));

        assert_int_equal(run("sites", cl, "--folded", "--value", "allocs"), 0);
        assert_true(line_with(outtext, "timer_new", line, sizeof line) >= 0);
        assert_true(folded_value(line) == total(s, "allocs"));

        assert_int_equal(run("sites", cl, "--folded", "--value=live"), 0);
        assert_int_equal(lines_of(outtext), 1); /* only the timer is live at the end */
        assert_true(folded_value(outtext) == total(s, "live_bytes"));

        /* leftover: the last round's live bytes less the first after warm-up */
        live = json_object_get(json_object_get(s, "rounds"), "live_bytes");
        n = json_array_size(live);
        skip = n / 5 > 1 ? n / 5 : 1;
        assert_int_equal(run("sites", cl, "--folded", "--value", "leftover"), 0);
        assert_int_equal(lines_of(outtext), 1);
        assert_true(folded_value(outtext) == json_number_value(json_array_get(live, n - 1)) -
                                                 json_number_value(json_array_get(live, skip)));
        assert_true(folded_value(outtext) == 512.0 * (double)(n - 1 - skip));
        json_decref(doc);
}

/* The filters: --function timer_new shows that site alone; --module. */
static void test_filters(void **state)
{
        json_t *doc;
        (void)state;
        make_traced();
        doc = load(cl);
        site_with(doc, "timer_new");
        assert_int_equal(run("sites", cl, "--function", "timer_new"), 0);
        assert_int_equal(count_of(outtext, " live at the end"), 1);
        assert_non_null(strstr(outtext, timer_key));
        assert_non_null(strstr(outtext, "glibc on conn-leak: 1 of "));

        assert_int_equal(run("sites", cl, "--function=timer_new", "--folded"), 0);
        assert_int_equal(lines_of(outtext), 1);
        assert_non_null(strstr(outtext, ";timer_new;"));

        /* every site runs in ab-runner's main */
        assert_int_equal(run("sites", cl, "--module", "ab-runner", "--alloc", "glibc", "--workload",
                             "conn-leak"),
                         0);
        assert_int_equal(count_of(outtext, " live at the end"), json_array_size(sites_of(doc)));
        json_decref(doc);
}

/* --top-down: a tree from the outermost frame, main above conn_leak_run
 * and indented less, everything under main. */
static void test_top_down(void **state)
{
        char main_line[4096], run_line[4096];
        long lm, lr;
        (void)state;
        make_traced();
        assert_int_equal(run("sites", cl, "--top-down"), 0);
        assert_non_null(strstr(outtext, "glibc on conn-leak: bytes allocated, "));
        lm = line_with(outtext, "%  ", NULL, 0); /* the first node */
        assert_true(lm == 1);
        lm = line_with(outtext, "main  [ab-runner]", main_line, sizeof main_line);
        lr = line_with(outtext, " conn_leak_run", run_line, sizeof run_line);
        assert_true(lm > 0 && lr > lm);
        assert_true(strstr(run_line, "conn_leak_run") - run_line >
                    strstr(main_line, "main") - main_line);
        /* everything allocated passes through main: 100% */
        assert_non_null(strstr(main_line, "100.0%"));
}

/* Bad input: a message naming the problem and the accepted form, exit 1,
 * nothing on stdout. */
static void test_bad_input(void **state)
{
        const char *notjson = tmpfile_path("notjson.json"), *other = tmpfile_path("other.json");
        FILE *f;
        (void)state;
        make_traced();
        f = fopen(notjson, "w");
        fputs("this is not JSON\n", f);
        fclose(f);
        f = fopen(other, "w");
        fputs("{\"name\": \"not a results file\"}\n", f);
        fclose(f);
        static const struct {
                const char *args[6], *says;
        } cases[] = {
            {{"sites", NULL}, "no results file given"},
            {{"sites", "/nonexistent/cl.json", NULL}, "No such file"},
            {{"sites", "NOTJSON", NULL}, "invalid JSON"},
            {{"sites", "OTHER", NULL}, "not an allocbench results file"},
            {{"sites", "PROBE", NULL}, "has no sites: run bench with --trace"},
            {{"sites", "CL", "--frobnicate", NULL}, "unknown option '--frobnicate' (accepted:"},
            {{"sites", "CL", "--value", "weight", NULL},
             "'weight' is not a value (accepted: bytes, live, allocs, leftover)"},
            {{"sites", "CL", "--value", NULL}, "--value needs a value"},
            {{"sites", "CL", "--top-down", "--folded", NULL}, "give one"},
            {{"sites", "CL", "--alloc", "jemalloc", NULL},
             "no traced run of that allocator (accepted: glibc)"},
            {{"sites", "CL", "--workload", "calloc-sweep", NULL},
             "no traced run of that workload (accepted: conn-leak)"},
            {{"sites", "CL", "--function", "no_such_function", NULL},
             "function contains 'no_such_function'"},
            {{"sites", "CL", "CL", NULL}, "unexpected argument"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const char *argv[8] = {NULL};
                for (size_t k = 0; cases[i].args[k]; k++) {
                        const char *a = cases[i].args[k];
                        argv[k + 1] = strcmp(a, "NOTJSON") == 0 ? notjson
                                      : strcmp(a, "OTHER") == 0 ? other
                                      : strcmp(a, "PROBE") == 0 ? tmpfile_path("probe.json")
                                      : strcmp(a, "CL") == 0    ? cl
                                                                : a;
                }
                if (run_argv(NULL, argv) != 1 || !strstr(errtext, cases[i].says) ||
                    outtext[0] != '\0')
                        fail_msg("case %zu (%s %s): stderr '%s', stdout '%.200s'", i,
                                 cases[i].args[1] ? cases[i].args[1] : "",
                                 cases[i].args[2] ? cases[i].args[2] : "", errtext, outtext);
        }
        assert_int_equal(run("sites", "--help"), 0);
        assert_non_null(strstr(outtext, "usage: bench sites FILE"));
        assert_non_null(strstr(outtext, "--folded"));
        assert_int_equal(run("help"), 0);
        assert_non_null(strstr(outtext, "bench sites FILE"));
}

/* ---- bench plot -------------------------------------------------------------------- */

static bool png_of_size(const char *path, uint32_t w, uint32_t h)
{
        unsigned char b[24];
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(b, 1, sizeof b, f) : 0;
        if (f)
                fclose(f);
        return n == sizeof b && memcmp(b + 1, "PNG", 3) == 0 && memcmp(b + 12, "IHDR", 4) == 0 &&
               ((uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19]) ==
                   w &&
               ((uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23]) == h;
}

/* NAME-glibc-conn-leak-sites: PNG and SVG, the timer's line in the .dat
 * (one row per round, 512 B a step), and "flagged" once a leak-site flag
 * names it. */
static void test_plot(void **state)
{
        const char *dir = tmpfile_path("figs");
        char png[1024], svg[1024], dat[1024], *text, *svgt, line[4096];
        json_t *doc, *flag;
        size_t rounds;
        (void)state;
        make_traced();
        doc = load(cl);
        rounds = json_array_size(
            json_object_get(json_object_get(site_with(doc, "timer_new"), "rounds"), "live_bytes"));
        assert_int_equal(run("plot", cl, "-o", dir), 0);
        snprintf(png, sizeof png, "%s/cl-glibc-conn-leak-sites.png", dir);
        snprintf(svg, sizeof svg, "%s/cl-glibc-conn-leak-sites.svg", dir);
        snprintf(dat, sizeof dat, "%s/cl-glibc-conn-leak-sites.dat", dir);
        if (!exists(png))
                fail_msg("no %s: %s", png, errtext);
        assert_true(png_of_size(png, 1000, 650));
        assert_non_null(strstr(outtext, png));
        assert_non_null(strstr(outtext, svg));
        svgt = read_all(svg);
        assert_non_null(strstr(svgt, "</svg>"));
        assert_non_null(strstr(svgt, "xalloc&lt;timer_new&lt;open_conn"));
        free(svgt);
        text = read_all(dat);
        /* one site held memory at a round end: one block, the timer's */
        assert_int_equal(count_of(text, "\n\"ab-runner!"), 1);
        /* the leak-site detector flagged the timer's site: so says its legend */
        assert_true(line_with(text,
                              "\"ab-runner!xalloc<timer_new<open_conn  +512 B a round, flagged\"",
                              NULL, 0) > 0);
        assert_true(line_with(text, "0 512", line, sizeof line) > 0);
        assert_true(strcmp(line, "0 512") == 0);
        snprintf(line, sizeof line, "\n%zu %zu\n", rounds - 1, 512 * rounds);
        assert_non_null(strstr(text, line));
        free(text);
        /* and bench sites names the flag on the site */
        assert_int_equal(run("sites", cl, "--function", "timer_new"), 0);
        assert_non_null(strstr(outtext, "flagged: leak-site (warn)"));

        /* the same file without its flags: nothing marked */
        (void)flag;
        json_object_set_new(doc, "flags", json_array());
        assert_int_equal(json_dump_file(doc, tmpfile_path("unflagged.json"), 0), 0);
        json_decref(doc);
        assert_int_equal(run("plot", tmpfile_path("unflagged.json"), "-o", dir), 0);
        snprintf(dat, sizeof dat, "%s/unflagged-glibc-conn-leak-sites.dat", dir);
        text = read_all(dat);
        assert_non_null(strstr(text, "+512 B a round\""));
        assert_null(strstr(text, ", flagged\""));
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table_top_sites),
            cmocka_unit_test(test_bottom_up),
            cmocka_unit_test(test_folded),
            cmocka_unit_test(test_filters),
            cmocka_unit_test(test_top_down),
            cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_plot),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
