/*
 * test_verdicts.c - verdicts on allocation sites end to end: the file bench
 * verdicts writes and refuses, verdicts re-applied to traced runs of the
 * conn-leak kernel (--fail-on, safe, fixed, bounded, budgets, new sites),
 * a verdict decided on one build matched on a rebuild whose lines moved
 * and one of whose functions got inlined, concurrent edits, and the same
 * decisions exported to valgrind and LeakSanitizer and imported back.
 */
#include "itest.h"

static char vfile[600];
static char leak_json[600];

/* A verdicts file of its own for each test. */
static const char *fresh_verdicts(const char *name)
{
        snprintf(vfile, sizeof vfile, "%s", tmpfile_path(name));
        unlink(vfile);
        return vfile;
}

/* conn-leak with leak_every=64, traced once for every test. */
static const char *traced_leak(void)
{
        if (!leak_json[0]) {
                json_t *d;
                snprintf(leak_json, sizeof leak_json, "%s", tmpfile_path("leak.json"));
                assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--reps",
                                     "2", "--trace", "-q", "-o", leak_json),
                                 0);
                d = load(leak_json);
                json_decref(d);
        }
        return leak_json;
}

static int check(const char *results, const char *extra)
{
        if (extra)
                return run("verdicts", "check", results, "--file", vfile, extra);
        return run("verdicts", "check", results, "--file", vfile);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* set writes an entry with its stack; show lists it; every malformed file
 * is refused at its line with the accepted form, by check and by run. */
static void test_file(void **state)
{
        static const struct {
                const char *text, *want;
        } bad[] = {
            {"site a<b\nverdict maybe\n", ":2: unknown verdict 'maybe'"},
            {"site a<b\nverdict leak <= 4KiB/round\n", ":2: only bounded takes a bound"},
            {"site a<b\nverdict bounded <= 4 apples\n", ":2: a bound reads"},
            {"site a<b\nverdict bounded <= 9000TiB/round\n", ":2: a bound of '9000TiB' a round is "
                                                             "beyond 8192TiB/round"},
            {"site a<b\nnote no verdict\n\nsite c<d\nverdict safe\n",
             ":1: site a<b has no verdict"},
            {"site a<b\nverdict safe\nsite a<b\nverdict leak\n",
             ":3: site a<b is already at line 1"},
            {"verdict safe\n", ":1: 'verdict' before any site"},
            {"site a<b\nverdict safe\nowner bob\n", ":3: unknown line 'owner'"},
            {"  at main x.c:1\n", ":1: a frame before any site"},
        };
        const char *leak = traced_leak();
        (void)state;
        fresh_verdicts("file.verdicts");
        assert_int_equal(run("verdicts", "set", "timer_new", "leak", "-m",
                             "outlives its connection", "--from", leak, "--by", "alice", "--file",
                             vfile),
                         0);
        slurp(vfile, outtext, sizeof outtext);
        assert_non_null(strstr(outtext, "\nsite ab-runner!xalloc<timer_new<open_conn<"));
        assert_non_null(
            strstr(outtext, "\nverdict leak\nnote outlives its connection\nby alice 20"));
        assert_non_null(strstr(outtext, "\n  at timer_new workloads/conn_leak.c:"));
        assert_int_equal(run("verdicts", "show", "--file", vfile), 0);
        assert_non_null(strstr(outtext, "leak       ab-runner!xalloc<timer_new"));
        /* a function that names several sites, or none, is refused */
        assert_int_equal(run("verdicts", "set", "xalloc", "safe", "--from", leak, "--file", vfile),
                         1);
        assert_non_null(strstr(errtext, "names 3 sites"));
        assert_int_equal(
            run("verdicts", "set", "no_such_fn", "safe", "--from", leak, "--file", vfile), 1);
        assert_int_equal(run("verdicts", "set", "timer_new", "perhaps", "--file", vfile), 1);
        assert_non_null(strstr(errtext, "unknown verdict 'perhaps'"));
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                const char *p = tmpfile_path("bad.verdicts");
                write_file(p, bad[i].text);
                assert_int_equal(run("verdicts", "check", leak, "--file", p), 1);
                if (!strstr(errtext, bad[i].want) || !strstr(errtext, "accepted: site KEY"))
                        fail_msg("case %zu: %s", i, errtext);
                assert_int_equal(run("--workload=conn-leak", "--trace", "--verdicts", p, "-q", "-o",
                                     tmpfile_path("never.json")),
                                 1);
                assert_non_null(strstr(errtext, bad[i].want));
                assert_false(exists(tmpfile_path("never.json")));
        }
        /* bounds that are no round number of a unit are written back as they
         * were given, and the file reads again (1500 once came back as the
         * unparseable "1.5KiB") */
        {
                const char *p = tmpfile_path("bounds.verdicts");
                write_file(p, "site a<b\nverdict bounded <= 1500/round\n\n"
                              "site c<d\nverdict bounded <= 3MiB/round\n\n"
                              "site e<f\nverdict bounded <= 1536KiB/round\n");
                assert_int_equal(run("verdicts", "set", "timer_new", "leak", "-m", "n", "--from",
                                     leak, "--file", p),
                                 0);
                slurp(p, outtext, sizeof outtext);
                assert_non_null(strstr(outtext, "verdict bounded <= 1500B/round\n"));
                assert_non_null(strstr(outtext, "verdict bounded <= 3MiB/round\n"));
                assert_non_null(strstr(outtext, "verdict bounded <= 1536KiB/round\n"));
                assert_int_equal(run("verdicts", "show", "--file", p), 0);
                assert_non_null(strstr(outtext, "a<b"));
        }
}

/* conn-leak with its timer leaking: --fail-on warn fails; the timer's site
 * marked safe passes (its flags accepted, and the run's growth, which the
 * site explains); marked fixed, it fails again, as a regression. */
static void test_reapplied(void **state)
{
        const char *leak = traced_leak(), *out = tmpfile_path("re.json");
        json_t *d;
        (void)state;
        fresh_verdicts("re.verdicts");
        assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--reps", "2",
                             "--trace", "--fail-on", "warn", "-q", "-o", out),
                         2);
        assert_int_equal(run("verdicts", "set", "timer_new", "safe", "-m",
                             "one timer per 64 "
                             "connections, reaped by the pool",
                             "--from", leak, "--file", vfile),
                         0);
        assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--reps", "2",
                             "--trace", "--fail-on", "warn", "--verdicts", vfile, "-o", out),
                         0);
        assert_non_null(strstr(outtext, "2 accepted by verdicts"));
        assert_non_null(strstr(outtext, "[accepted: safe]"));
        d = load(out);
        assert_int_equal(count_flags(d, "leak-site", NULL), 1);
        assert_int_equal(count_flags(d, "leak-growth", NULL), 1);
        json_decref(d);
        assert_int_equal(check(leak, NULL), 0);
        assert_non_null(
            strstr(outtext, "1 with a verdict (0 matched fuzzily), 3 new; 2 flags accepted"));
        /* fixed, and still leaking: a regression */
        assert_int_equal(
            run("verdicts", "set", "timer_new", "fixed", "--from", leak, "--file", vfile), 0);
        assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--reps", "2",
                             "--trace", "--fail-on", "warn", "--verdicts", vfile, "-q", "-o", out),
                         2);
        d = load(out);
        assert_int_equal(count_flags(d, "site-regressed", NULL), 1);
        json_decref(d);
        assert_int_equal(check(leak, NULL), 2);
        assert_non_null(strstr(errtext, "site-regressed"));
}

/* bounded: within its bound it is accepted; past it, bound-exceeded. And
 * budgets on the same kernel. */
static void test_bounds_and_budgets(void **state)
{
        const char *leak = traced_leak();
        (void)state;
        fresh_verdicts("b.verdicts");
        assert_int_equal(run("verdicts", "set", "timer_new", "bounded", "--bound", "1KiB", "--from",
                             leak, "--file", vfile),
                         0);
        assert_int_equal(check(leak, NULL), 0);
        assert_int_equal(run("verdicts", "set", "timer_new", "bounded", "--bound", "256", "--from",
                             leak, "--file", vfile),
                         0);
        slurp(vfile, outtext, sizeof outtext);
        assert_non_null(strstr(outtext, "verdict bounded <= 256B/round"));
        assert_int_equal(check(leak, NULL), 2);
        assert_non_null(strstr(errtext, "bound-exceeded"));
        assert_non_null(strstr(outtext, "1 past their bound"));

        fresh_verdicts("none.verdicts");
        assert_int_equal(run("verdicts", "check", leak, "--file", vfile, "--fail-on", "high",
                             "--budget", "left_per_round<=0"),
                         2);
        assert_non_null(strstr(errtext, "budget-exceeded"));
        assert_non_null(strstr(outtext, "1 past a budget"));
        assert_int_equal(run("verdicts", "check", leak, "--file", vfile, "--fail-on", "high",
                             "--budget", "timer_*:left_per_round<=1KiB"),
                         2); /* the run's leak-growth is high and nobody accepted it */
        assert_non_null(strstr(outtext, "0 past a budget"));
        assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--reps", "2",
                             "--trace", "--budget", "timer_*:left_per_round<=256", "-q", "-o",
                             tmpfile_path("bud.json")),
                         2);
        assert_non_null(strstr(errtext, "past a --budget"));
        assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--reps", "2",
                             "--trace", "--budget", "timer_*:left_per_round<=1KiB", "-q", "-o",
                             tmpfile_path("bud.json")),
                         0);
        assert_int_equal(run("--workload=conn-leak", "--set", "leak_every=64", "--reps", "2",
                             "--trace", "--fail-on-new-site", "-q", "-o", tmpfile_path("bud.json")),
                         2);
        assert_non_null(strstr(errtext, "a site has no verdict"));
        assert_int_equal(run("--workload=conn-leak", "--budget", "left_per_round<=0", "-q", "-o",
                             tmpfile_path("bud.json")),
                         1);
        assert_non_null(strstr(errtext, "--budget needs --trace"));
        assert_int_equal(run("--workload=conn-leak", "--trace", "--budget", "left<=1", "-q", "-o",
                             tmpfile_path("bud.json")),
                         1);
        assert_non_null(strstr(errtext, "unknown metric 'left'"));
}

/* A verdict decided on one build, re-applied to a rebuild: lines moved, and
 * make_session inlined (no frame of its own): matched, fuzzily, and said. */
static void test_rebuilt(void **state)
{
        char first[600], rebuilt[600], p1[600], p2[600];
        (void)state;
        fresh_verdicts("r.verdicts");
        snprintf(p1, sizeof p1, "%s/progs/sessions", build_dir);
        snprintf(p2, sizeof p2, "%s/progs/sessions-rebuilt", build_dir);
        snprintf(first, sizeof first, "%s", tmpfile_path("s1.json"));
        snprintf(rebuilt, sizeof rebuilt, "%s", tmpfile_path("s2.json"));
        assert_int_equal(
            run("--workload=cmd", "--reps", "1", "--trace", "-q", "-o", first, "--", p1), 0);
        assert_int_equal(
            run("--workload=cmd", "--reps", "1", "--trace", "-q", "-o", rebuilt, "--", p2), 0);
        assert_int_equal(run("verdicts", "set", "make_session", "safe", "-m",
                             "the reaper frees them", "--from", first, "--file", vfile),
                         0);
        assert_int_equal(check(first, "--fail-on=high"), 0);
        assert_non_null(strstr(outtext, "(0 matched fuzzily)"));
        assert_non_null(strstr(outtext, "safe      exact"));
        assert_int_equal(check(rebuilt, "--fail-on=high"), 0);
        assert_non_null(strstr(outtext, "1 with a verdict (1 matched fuzzily)"));
        assert_non_null(strstr(outtext, "safe      fuzzy"));
        assert_non_null(strstr(outtext, "alloc_state<open_session<serve"));
}

/* Sixteen `verdicts set` at once, each on a site of its own: none lost. */
static void test_concurrent(void **state)
{
        char cmd[1200];
        struct ab_ventry_count {
                int n;
        } c = {0};
        (void)state;
        fresh_verdicts("c.verdicts");
        snprintf(cmd, sizeof cmd,
                 "for i in $(seq 1 16); do '%s' verdicts set \"mod!fn_$i<main\" safe -m \"n $i\" "
                 "--file '%s' >/dev/null & done; wait",
                 bench_bin, vfile);
        assert_int_equal(system(cmd), 0);
        slurp(vfile, outtext, sizeof outtext);
        for (const char *p = outtext; (p = strstr(p, "\nsite mod!fn_")); p++)
                c.n++;
        assert_int_equal(c.n, 16);
        assert_int_equal(run("verdicts", "show", "--file", vfile), 0);
}

/* The same decisions for valgrind and LeakSanitizer: exported, they
 * suppress the leak in real runs of the program; imported, an LSan file
 * becomes verdicts that match the site. */
static void test_interop(void **state)
{
        char s1[600], supp[600], lsan[600], cmd[2000], prog[600], asan[600];
        (void)state;
        fresh_verdicts("i.verdicts");
        snprintf(s1, sizeof s1, "%s", tmpfile_path("s1.json"));
        snprintf(prog, sizeof prog, "%s/progs/sessions", build_dir);
        snprintf(asan, sizeof asan, "%s/progs/sessions-asan", build_dir);
        if (!exists(s1))
                assert_int_equal(
                    run("--workload=cmd", "--reps", "1", "--trace", "-q", "-o", s1, "--", prog), 0);
        assert_int_equal(
            run("verdicts", "set", "alloc_state", "prob-safe", "--from", s1, "--file", vfile), 0);
        snprintf(supp, sizeof supp, "%s", tmpfile_path("v.supp"));
        snprintf(lsan, sizeof lsan, "%s", tmpfile_path("lsan.supp"));
        assert_int_equal(run("verdicts", "export", "--valgrind", "--file", vfile), 0);
        write_file(supp, outtext);
        assert_non_null(strstr(outtext, "Memcheck:Leak"));
        assert_non_null(strstr(outtext, "   fun:alloc_state\n   fun:make_session\n"));
        snprintf(cmd, sizeof cmd,
                 "valgrind --leak-check=full --error-exitcode=9 --suppressions='%s' '%s' 3 "
                 ">/dev/null 2>&1",
                 supp, prog);
        assert_int_equal(system(cmd), 0); /* suppressed: no error */
        snprintf(cmd, sizeof cmd,
                 "valgrind --leak-check=full --error-exitcode=9 '%s' 3 >/dev/null 2>&1", prog);
        assert_int_equal(WEXITSTATUS(system(cmd)), 9); /* the leak is real */
        assert_int_equal(run("verdicts", "export", "--lsan", "--file", vfile), 0);
        write_file(lsan, outtext);
        assert_non_null(strstr(outtext, "\nleak:alloc_state\n"));
        snprintf(
            cmd, sizeof cmd,
            "ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions='%s' '%s' 3 >/dev/null 2>&1",
            lsan, asan);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=detect_leaks=1 '%s' 3 >/dev/null 2>&1", asan);
        assert_int_not_equal(system(cmd), 0);
        /* and back: LSan's file as verdicts, a glob that matches the site */
        write_file(lsan, "# ours\nleak:alloc_state\nthread:ignored\n");
        fresh_verdicts("imported.verdicts");
        assert_int_equal(run("verdicts", "import", "--lsan", lsan, "--file", vfile), 0);
        assert_non_null(strstr(outtext, "1 verdict from"));
        assert_non_null(strstr(outtext, "1 lines not about leaks skipped"));
        assert_int_equal(check(s1, "--fail-on=high"), 0);
        assert_non_null(strstr(outtext, "safe      glob"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_file),
            cmocka_unit_test(test_reapplied),
            cmocka_unit_test(test_bounds_and_budgets),
            cmocka_unit_test(test_rebuilt),
            cmocka_unit_test(test_concurrent),
            cmocka_unit_test(test_interop),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
