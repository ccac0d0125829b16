/*
 * test_cmd.c - a user's own program measured with cmd: rounds from marks
 * (C and Python through ctypes), from a signal and from time windows; every
 * detector that applies; the program's output kept out of bench's; its
 * exit, its running out of memory and its crash; a static program refused
 * for a preloaded allocator; the process tree summed; launchers side by side.
 *
 * The programs are real: small C programs built by the Makefile into
 * $(O)/progs (tests/integration/progs), a Python script run by Debian's
 * python3, sqlite3 and gzip. The assertions are on flags and counts.
 */
#include "itest.h"

static const char *const four[] = {"glibc", "jemalloc", "tcmalloc", "mimalloc"};

static const char *prog(const char *name)
{
        static char buf[4][512];
        static int k;
        char *p = buf[k++ % 4];
        snprintf(p, 512, "%s/progs/%s", build_dir, name);
        return p;
}

/* The flag of `kind` for run i: its allocator, and its launcher ("... under
 * WRAP" in the flag's workload_id, nothing for a native run); or NULL. */
static json_t *flag_of(json_t *doc, size_t i, const char *kind)
{
        json_t *r = run_i(doc, i), *f;
        const char *wrap = jstr(r, "wrap");
        char under[256];
        size_t k;
        snprintf(under, sizeof under, " under %s", wrap ? wrap : "");
        json_array_foreach(json_object_get(doc, "flags"), k, f)
        {
                const char *wid = jstr(f, "workload_id") ? jstr(f, "workload_id") : "cmd";
                if (strcmp(jstr(f, "kind"), kind) == 0 &&
                    strcmp(jstr(f, "allocator"), jstr(r, "allocator.name")) == 0 &&
                    (wrap ? strstr(wid, under) != NULL : strstr(wid, " under ") == NULL))
                        return f;
        }
        return NULL;
}

static size_t nrounds(json_t *doc, size_t i)
{
        return json_array_size(json_object_get(run_i(doc, i), "rounds"));
}

/* The figure of round k of run i under key. */
static double round_num(json_t *doc, size_t i, size_t k, const char *key)
{
        return num(json_array_get(json_object_get(run_i(doc, i), "rounds"), k), key);
}

/* ---- rounds and leak-growth -------------------------------------------------------- */

/* A C program keeping 256 KiB a round, marking its rounds: 20 rounds, each
 * with the tree's figures; leak-growth names the growth (within a third of
 * 256 KiB) under glibc and jemalloc. The same program keeping nothing is
 * not flagged: the flag comes from the growth, not from the program. */
static void test_leak_marked(void **state)
{
        json_t *doc;
        (void)state;
        doc = run_doc("leak.json", "--alloc=glibc,jemalloc", "--workload=cmd", "--reps", "2", "--",
                      prog("leak_rounds"), "20", "256", NULL);
        for (size_t a = 0; a < 2; a++) {
                json_t *f = flag_of(doc, a, "leak-growth");
                assert_int_equal(nrounds(doc, a), 20);
                assert_string_equal(jstr(point0(doc, a), "status"), "ok");
                assert_true(json_is_true(json_object_get(run_i(doc, a), "preload_verified")));
                if (generic) {
                        assert_true(isnan(round_num(doc, a, 19, "rss_kib")));
                        assert_null(f);
                        continue;
                }
                assert_int_equal(round_num(doc, a, 19, "procs"), 1);
                assert_int_equal(round_num(doc, a, 19, "threads"), 1);
                /* 20 x 256 KiB kept by the last round */
                assert_true(round_num(doc, a, 19, "anon_kib") - round_num(doc, a, 0, "anon_kib") >
                            19 * 256 * 0.8);
                assert_non_null(f);
                assert_true(num(json_object_get(f, "evidence"), "anon_kib_per_round") > 256 / 1.5);
                assert_true(num(json_object_get(f, "evidence"), "anon_kib_per_round") < 256 * 1.5);
                assert_non_null(strstr(jstr(f, "workload_id"), "leak_rounds 20 256"));
        }
        assert_non_null(strstr(jstr(run_i(doc, 1), "allocator.library"), "jemalloc"));
        json_decref(doc);

        doc = run_doc("noleak.json", "--alloc=glibc,jemalloc", "--workload=cmd", "--reps", "2",
                      "--", prog("leak_rounds"), "20", "0", NULL);
        assert_int_equal(nrounds(doc, 0), 20);
        assert_int_equal(json_array_size(json_object_get(doc, "flags")), 0);
        json_decref(doc);
}

/* The same program unchanged and unmarked: time windows find its rounds
 * (it pauses 40 ms after each) and leak-growth still names it. */
static void test_leak_time_windows(void **state)
{
        json_t *doc;
        (void)state;
        doc = run_doc("windows.json", "--alloc=glibc", "--workload=cmd", "--reps", "2",
                      "--round-ms", "40", "--", prog("leak_rounds"), "16", "512", "--no-marks",
                      "--sleep-ms", "40", NULL);
        /* 16 rounds of 40+ ms in 40 ms windows: about as many windows */
        assert_true(nrounds(doc, 0) >= 10);
        assert_true(nrounds(doc, 0) <= 24);
        if (generic)
                assert_null(flag_of(doc, 0, "leak-growth"));
        else
                assert_non_null(flag_of(doc, 0, "leak-growth"));
        json_decref(doc);
}

/* A Python program keeping 200 KB a round marks its rounds through ctypes
 * (allocbench_round from the agent); flagged under glibc and mimalloc. The
 * signal way: a Python program ends its rounds with SIGUSR2. */
static void test_python(void **state)
{
        json_t *doc;
        (void)state;
        doc = run_doc("py.json", "--alloc=glibc,mimalloc", "--workload=cmd", "--reps", "2", "--",
                      "/usr/bin/python3", "tests/integration/progs/leak_rounds.py", "20", "200000",
                      NULL);
        for (size_t a = 0; a < 2; a++) {
                assert_int_equal(nrounds(doc, a), 20);
                /* Debian's python3 takes malloc's address: its canonical
                 * address is the executable's PLT stub, yet the allocator
                 * serves it */
                assert_true(json_is_true(json_object_get(run_i(doc, a), "preload_verified")));
                if (generic)
                        assert_null(flag_of(doc, a, "leak-growth"));
                else
                        assert_non_null(flag_of(doc, a, "leak-growth"));
        }
        json_decref(doc);

        doc = run_doc("sig.json", "--alloc=glibc", "--workload=cmd", "--reps", "2",
                      "--round-signal", "USR2", "--", "/usr/bin/python3", "-c",
                      "import os, signal, time\n"
                      "kept = []\n"
                      "for i in range(12):\n"
                      "    kept.append(bytearray(300000))\n"
                      "    os.kill(os.getpid(), signal.SIGUSR2)\n"
                      "    time.sleep(0.02)\n",
                      NULL);
        assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
        assert_int_equal(nrounds(doc, 0), 12);
        json_decref(doc);
}

/* ---- vsz-bloat, launchers ---------------------------------------------------------- */

/* Eight threads contending under glibc: an arena each, 64 MiB reserved for
 * each: vsz-bloat, with the threads counted and MALLOC_ARENA_MAX named. */
static void test_threads_vsz_bloat(void **state)
{
        json_t *doc, *f;
        (void)state;
        doc = run_doc("arenas.json", "--alloc=glibc", "--workload=cmd", "--reps", "2", "--",
                      prog("threads_arenas"), "8", NULL);
        assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
        assert_int_equal(nrounds(doc, 0), 1);
        f = flag_of(doc, 0, "vsz-bloat");
        if (generic) {
                assert_null(f);
        } else {
                assert_int_equal(round_num(doc, 0, 0, "threads"), 9);
                assert_non_null(f);
                assert_true(num(json_object_get(f, "evidence"), "threads") >= 9);
                /* 8 arenas of 64 MiB reserved */
                assert_true(num(json_object_get(f, "evidence"), "anon_vsz_kib") > 8 * 60 * 1024);
                assert_non_null(strstr(jstr(f, "hint"), "MALLOC_ARENA_MAX"));
        }
        json_decref(doc);
}

/* The emulator story on a real mmap/munmap loop: natively flat, under
 * qemu-x86_64 growing; one command, and the flag names the launcher and
 * that natively it does not grow. */
static void test_grows_only_under_qemu(void **state)
{
        json_t *doc, *f;
        size_t k;
        (void)state;
        doc = run_doc("qemu.json", "--alloc=glibc", "--wrap", "none,qemu-x86_64", "--workload=cmd",
                      "--reps", "2", "--", prog("map_rounds"), "20", "256", "8", NULL);
        assert_int_equal(json_array_size(json_object_get(doc, "runs")), 2);
        assert_true(json_is_null(json_object_get(run_i(doc, 0), "wrap")));
        assert_string_equal(jstr(run_i(doc, 1), "wrap"), "qemu-x86_64");
        assert_int_equal(nrounds(doc, 0), 20);
        assert_int_equal(nrounds(doc, 1), 20);
        if (generic) {
                assert_int_equal(json_array_size(json_object_get(doc, "flags")), 0);
                json_decref(doc);
                return;
        }
        /* nothing of the native run is flagged */
        json_array_foreach(json_object_get(doc, "flags"), k, f)
            assert_non_null(strstr(jstr(f, "workload_id"), "under qemu-x86_64"));
        f = flag_of(doc, 1, "address-space-growth");
        if (!f)
                f = flag_of(doc, 1, "leak-growth");
        assert_non_null(f);
        assert_non_null(strstr(jstr(f, "message"), "under qemu-x86_64"));
        assert_non_null(strstr(jstr(f, "message"), "natively it does not"));
        assert_non_null(strstr(jstr(f, "hint"), "qemu-x86_64"));
        /* the native run's address space ends where it began */
        assert_true(fabs(round_num(doc, 0, 19, "vsz_kib") - round_num(doc, 0, 4, "vsz_kib")) <
                    1024);
        assert_true(round_num(doc, 1, 19, "vsz_kib") - round_num(doc, 1, 4, "vsz_kib") > 8 * 1024);
        json_decref(doc);
}

/* ---- clean programs ---------------------------------------------------------------- */

/* Real programs that hold steady raise no flag under any of the four
 * allocators: Python building and dropping a large dict each round,
 * sqlite3 inserting rows into a database file, gzip. */
static void test_clean_programs(void **state)
{
        char sql[1024], alloc[64];
        char db[512];
        (void)state;
        snprintf(db, sizeof db, "%s", tmpfile_path("rows.db"));
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS t(a INTEGER, b TEXT);"
                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
                 "400000) INSERT INTO t SELECT x, hex(randomblob(32)) FROM c;"
                 "SELECT count(*) FROM t;");
        for (size_t a = 0; a < 4; a++) {
                json_t *doc;
                snprintf(alloc, sizeof alloc, "--alloc=%s", four[a]);
                doc = run_doc("clean-py.json", alloc, "--workload=cmd", "--reps", "2", "--",
                              "/usr/bin/python3", "tests/integration/progs/leak_rounds.py", "20",
                              "0", "--clean", NULL);
                assert_int_equal(nrounds(doc, 0), 20);
                assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
                assert_int_equal(json_array_size(json_object_get(doc, "flags")), 0);
                json_decref(doc);

                unlink(db);
                doc = run_doc("clean-sql.json", alloc, "--workload=cmd", "--reps", "2",
                              "--round-ms", "10", "--", "sqlite3", db, sql, NULL);
                assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
                /* enough rounds for the trend tests to judge (a fifth of
                 * warm-up and at least four more) */
                assert_true(nrounds(doc, 0) >= 10);
                assert_int_equal(json_array_size(json_object_get(doc, "flags")), 0);
                json_decref(doc);

                doc = run_doc("clean-gz.json", alloc, "--workload=cmd", "--reps", "2", "--round-ms",
                              "25", "--program-output=null", "--", "gzip", "-9", "-c",
                              "/usr/bin/python3.11", NULL);
                assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
                assert_true(nrounds(doc, 0) >= 10);
                assert_int_equal(json_array_size(json_object_get(doc, "flags")), 0);
                assert_string_equal(jstr(run_i(doc, 0), "program_output.stdout"), "/dev/null");
                json_decref(doc);
        }
}

/* ---- an honest measurement --------------------------------------------------------- */

/* The program's output goes to files beside the results, never into
 * bench's stdout: --format json parses while the program prints. */
static void test_output_apart(void **state)
{
        const char *out = tmpfile_path("say.json");
        char text[256];
        json_error_t e;
        json_t *doc;
        (void)state;
        assert_int_equal(run("--workload=cmd", "--reps", "2", "--format", "json", "-q", "-o", out,
                             "--", "sh", "-c", "echo hi; echo oops >&2"),
                         0);
        doc = json_loads(outtext, 0, &e);
        if (!doc)
                fail_msg("stdout is not JSON: %s: %.200s", e.text, outtext);
        assert_string_equal(jstr(run_i(doc, 0), "workload.name"), "cmd");
        json_decref(doc);
        /* two repetitions, appended */
        slurp(tmpfile_path("say.program/glibc.stdout"), text, sizeof text);
        assert_string_equal(text, "hi\nhi\n");
        slurp(tmpfile_path("say.program/glibc.stderr"), text, sizeof text);
        assert_string_equal(text, "oops\noops\n");
        doc = load(out);
        assert_non_null(
            strstr(jstr(run_i(doc, 0), "program_output.stdout"), "say.program/glibc.stdout"));
        json_decref(doc);
}

/* A non-zero exit is `exited` with its code; an allocation failure under
 * --mem-limit (Python's MemoryError, exit 1) is `oom`; a signal is
 * `crashed`. Each is a result (exit 4), and run-failure says which. */
static void test_statuses(void **state)
{
        json_t *doc, *p;
        (void)state;
        doc = run_doc("exited.json", "--workload=cmd", "--reps", "2", "--", "sh", "-c", "exit 3",
                      NULL);
        p = point0(doc, 0);
        assert_string_equal(jstr(p, "status"), "exited");
        assert_int_equal(num(p, "exit_code"), 3);
        assert_true(json_is_null(json_object_get(p, "signal")));
        assert_non_null(flag_of(doc, 0, "run-failure"));
        json_decref(doc);

        doc = run_doc("oom.json", "--workload=cmd", "--reps", "1", "--mem-limit", "256M", "--",
                      "/usr/bin/python3", "-c", "b = bytearray(1 << 30)", NULL);
        p = point0(doc, 0);
        assert_string_equal(jstr(p, "status"), "oom");
        assert_int_equal(num(p, "exit_code"), 1);
        assert_non_null(
            strstr(jstr(flag_of(doc, 0, "run-failure"), "message"), "ran out of memory"));
        assert_non_null(strstr(jstr(flag_of(doc, 0, "run-failure"), "hint"), "--mem-limit"));
        json_decref(doc);

        doc = run_doc("crashed.json", "--workload=cmd", "--reps", "1", "--", "/usr/bin/python3",
                      "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", NULL);
        p = point0(doc, 0);
        assert_string_equal(jstr(p, "status"), "crashed");
        assert_int_equal(num(p, "signal"), 11);
        json_decref(doc);
}

/* A static program cannot take a preloaded allocator: refused for jemalloc,
 * saying why, before anything runs; glibc (nothing preloaded) runs it. */
static void test_static_refused(void **state)
{
        const char *out = tmpfile_path("static.json");
        json_t *doc;
        (void)state;
        assert_int_equal(run("--alloc=jemalloc", "--workload=cmd", "--reps", "1", "-q", "-o", out,
                             "--", "/sbin/ldconfig", "-p"),
                         1);
        assert_non_null(strstr(errtext, "static"));
        assert_non_null(strstr(errtext, "jemalloc"));
        assert_false(exists(out));
        doc = run_doc("static-glibc.json", "--alloc=glibc", "--workload=cmd", "--reps", "1",
                      "--program-output=null", "--", "/sbin/ldconfig", "-p", NULL);
        assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
        json_decref(doc);
}

/* A program with its own malloc: measured, but the preload did not serve
 * it, and the results say so (preload-ignored names the file). */
static void test_own_malloc(void **state)
{
        json_t *doc, *f;
        (void)state;
        doc = run_doc("own.json", "--alloc=jemalloc", "--workload=cmd", "--reps", "1", "--",
                      prog("own_malloc"), NULL);
        assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
        assert_true(json_is_false(json_object_get(run_i(doc, 0), "preload_verified")));
        f = flag_of(doc, 0, "preload-ignored");
        assert_non_null(f);
        assert_non_null(strstr(jstr(f, "message"), "own_malloc"));
        json_decref(doc);
}

/* The timeline and the figures cover the whole tree: a pipeline whose
 * second process holds 200 MiB has a timeline that sees it, and counts its
 * processes. */
static void test_process_tree(void **state)
{
        json_t *doc, *s;
        double top = 0;
        size_t k;
        (void)state;
        doc = run_doc("tree.json", "--workload=cmd", "--reps", "1", "--program-output=null", "--",
                      "sh", "-c",
                      "/usr/bin/python3 -c 'import time; b = b\"x\" * (200 << 20); "
                      "time.sleep(0.3)' | cat",
                      NULL);
        assert_string_equal(jstr(point0(doc, 0), "status"), "ok");
        if (generic) {
                json_decref(doc);
                return;
        }
        json_array_foreach(json_object_get(run_i(doc, 0), "timeline"), k, s) top =
            fmax(top, json_number_value(json_array_get(s, 1)));
        assert_true(top > 200 * 1024);
        assert_true(num(point0(doc, 0), "peak_rss_kib") > 200 * 1024);
        assert_true(num(point0(doc, 0), "procs") >= 3); /* sh, python3, cat */
        /* one span: the process, from its start */
        assert_int_equal(json_array_size(json_object_get(run_i(doc, 0), "timeline_spans")), 1);
        json_decref(doc);
}

/* Bad input names the problem and the accepted form; nothing runs and no
 * results file appears. */
static void test_bad_input(void **state)
{
        const char *out = tmpfile_path("bad.json");
        (void)state;
        assert_int_equal(run("--workload=cmd", "-o", out, "--round-signal", "FOO", "--", "true"),
                         1);
        assert_non_null(strstr(errtext, "--round-signal 'FOO'"));
        assert_non_null(strstr(errtext, "USR2"));
        assert_int_equal(run("--workload=cmd", "-o", out, "--round-ms", "0", "--", "true"), 1);
        assert_non_null(strstr(errtext, "--round-ms '0': out of range"));
        assert_int_equal(run("--workload=cmd", "-o", out, "--program-output=/nonexistent/dir/x",
                             "--", "echo", "hi"),
                         1);
        assert_non_null(strstr(errtext, "--program-output '/nonexistent/dir/x': cannot write"));
        assert_int_equal(run("--workload=cmd", "-o", out), 1);
        assert_non_null(strstr(errtext, "needs a program after --"));
        assert_int_equal(run("--workload=cmd", "-o", out, "--", "/no/such/program"), 1);
        assert_non_null(strstr(errtext, "/no/such/program not found"));
        assert_int_equal(run("--workload=cmd", "-o", out, "--wrap", "taskset -c 0,1", "--", "true"),
                         1);
        assert_non_null(strstr(errtext, "quote a word that holds one"));
        assert_false(exists(out));
        /* refused after its temporary directory was made: none is left */
        {
                char tdir[512], env[600], *envp[] = {env, NULL};
                snprintf(tdir, sizeof tdir, "%s", tmpfile_path("tmp-bad"));
                snprintf(env, sizeof env, "TMPDIR=%s", tdir);
                assert_int_equal(mkdir(tdir, 0700), 0);
                assert_int_equal(run_envp(envp, "--workload=cmd", "-o", out,
                                          "--program-output=/nonexistent/dir/x", "--", "echo",
                                          "hi", NULL),
                                 1);
                assert_int_equal(run_envp(envp, "--workload=cmd", "--reps", "1", "-q", "-o", out,
                                          "--program-output=null", "--", "echo", "hi", NULL),
                                 0);
                assert_int_equal(rmdir(tdir), 0); /* empty */
        }
}

/* ---- identity and figures ---------------------------------------------------------- */

/* The program is the run's identity: two programs never pair in compare,
 * and each is a series of its own in history. */
static void test_identity(void **state)
{
        const char *a = tmpfile_path("id-a.json"), *b = tmpfile_path("id-b.json");
        (void)state;
        assert_int_equal(
            run("--workload=cmd", "--reps", "2", "-q", "-o", a, "--", "sh", "-c", "exit 0"), 0);
        assert_int_equal(run("--workload=cmd", "--reps", "2", "-q", "-o", b, "--", "true"), 0);
        assert_int_equal(run("compare", a, b), 0);
        assert_non_null(strstr(outtext, "no point is in both files"));
        assert_non_null(strstr(outtext, "cmd: sh -c exit 0"));
        assert_non_null(strstr(outtext, "cmd: true"));
        /* history keeps a series per program */
        assert_int_equal(run("history", "add", a, b, "--db", tmpfile_path("id.sqlite")), 0);
        assert_int_equal(
            run("history", "show", "--db", tmpfile_path("id.sqlite"), "--metric", "ns_per_op"), 0);
        assert_non_null(strstr(outtext, "2 series"));
        assert_non_null(strstr(outtext, "cmd: sh -c exit 0  -  glibc"));
        assert_non_null(strstr(outtext, "cmd: true  -  glibc"));
}

/* bench plot on a program: every allocator's timeline in one figure, each
 * process from its own start; the rounds leak-growth read are ringed. */
static void test_figures(void **state)
{
        const char *res = tmpfile_path("fig.json"), *dir = tmpfile_path("figs");
        char path[600], text[1 << 16];
        (void)state;
        assert_int_equal(run("--alloc=glibc,jemalloc", "--workload=cmd", "--reps", "2", "-q", "-o",
                             res, "--", prog("leak_rounds"), "20", "256", "--sleep-ms", "5"),
                         0);
        assert_int_equal(run("plot", res, "-o", dir), 0);
        snprintf(path, sizeof path, "%s/fig-cmd-timelines.png", dir);
        assert_true(exists(path) || generic);
        snprintf(path, sizeof path, "%s/fig-cmd-rounds.dat", dir);
        slurp(path, text, sizeof text);
        if (generic) {
                assert_null(strstr(text, "leak-growth"));
                return;
        }
        assert_non_null(strstr(text, "\"glibc: leak-growth\""));
        assert_non_null(strstr(text, "\"jemalloc: leak-growth\""));
        /* each stretch of the timelines (a process: the rows after a title
         * or a blank line) opens within a sampling interval or two of its
         * process's start */
        snprintf(path, sizeof path, "%s/fig-cmd-timelines.dat", dir);
        slurp(path, text, sizeof text);
        {
                size_t stretches = 0;
                bool opening = false;
                for (char *l = text, *e; *l; l = e + (*e != '\0')) {
                        e = l + strcspn(l, "\n");
                        if (*l == '"' || e == l) {
                                opening = true;
                        } else if (*l >= '0' && *l <= '9') {
                                if (opening) {
                                        assert_true(strtod(l, NULL) < 25);
                                        stretches++;
                                }
                                opening = false;
                        }
                }
                assert_int_equal(stretches, 4); /* two processes of each allocator */
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_leak_marked),
            cmocka_unit_test(test_leak_time_windows),
            cmocka_unit_test(test_python),
            cmocka_unit_test(test_threads_vsz_bloat),
            cmocka_unit_test(test_grows_only_under_qemu),
            cmocka_unit_test(test_clean_programs),
            cmocka_unit_test(test_output_apart),
            cmocka_unit_test(test_statuses),
            cmocka_unit_test(test_static_refused),
            cmocka_unit_test(test_own_malloc),
            cmocka_unit_test(test_process_tree),
            cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_identity),
            cmocka_unit_test(test_figures),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
