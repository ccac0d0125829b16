/*
 * End-to-end tests of bench history on PostgreSQL: a real server, a
 * temporary cluster this test makes with Debian's initdb and runs with
 * postgres as an unprivileged user (nobody: postgres refuses to run as
 * root) on a Unix socket in a directory of its own, stopped and removed
 * afterwards, whatever happened (and told to stop by the kernel should this
 * test die first). Then: eight `bench history add` at once into an empty
 * database lose nothing and make its schema once; a file added twice adds
 * nothing; show, check and html of a history on PostgreSQL say what the
 * same history says on SQLite; the allocation sites and the runs'
 * settings go through; bad URLs, a server that is not there and a database
 * that is not ours are refused with exit 1 and nothing written.
 *
 * PostgreSQL's binaries are required (setup.sh installs postgresql): when
 * they are missing the test fails, saying so.
 * Environment: AB_BENCH (default ./bench), AB_BUILD (default build),
 * AB_PG_BIN (default: the newest /usr/lib/postgresql/N/bin).
 */
#include "itest.h"

#include <dirent.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <time.h>

#include "hist.h"

#define WRITERS 8
#define PER     4 /* files each writer adds of its own */

static char pgdir[] = "/tmp/abpg.XXXXXX"; /* the cluster and its socket */
static char pgbin[512];
static pid_t postmaster = -1;

/* ---- the server ----------------------------------------------------------------- */

/* The newest /usr/lib/postgresql/N/bin with initdb in it, or AB_PG_BIN. */
static bool find_pgbin(void)
{
        DIR *d;
        struct dirent *e;
        int best = -1;
        char path[600];
        if (getenv("AB_PG_BIN")) {
                snprintf(pgbin, sizeof pgbin, "%s", getenv("AB_PG_BIN"));
                snprintf(path, sizeof path, "%s/initdb", pgbin);
                return access(path, X_OK) == 0;
        }
        if (!(d = opendir("/usr/lib/postgresql")))
                return false;
        while ((e = readdir(d))) {
                int v = atoi(e->d_name);
                snprintf(path, sizeof path, "/usr/lib/postgresql/%s/bin/initdb", e->d_name);
                if (v > best && access(path, X_OK) == 0) {
                        best = v;
                        snprintf(pgbin, sizeof pgbin, "/usr/lib/postgresql/%s/bin", e->d_name);
                }
        }
        closedir(d);
        return best >= 0;
}

/* In a child about to exec a PostgreSQL program: nobody's identity when we
 * are root, the output to log, and (for the server) a signal to stop when
 * this test dies. */
static void become_server_user(const char *log, bool die_with_parent)
{
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
        }
        if (geteuid() == 0) {
                struct passwd *pw = getpwnam("nobody");
                if (!pw || setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
                    setuid(pw->pw_uid) != 0)
                        _exit(126);
        }
        if (die_with_parent)
                prctl(PR_SET_PDEATHSIG, SIGINT); /* a fast shutdown */
}

/* Run a PostgreSQL program (argv[0] a name in pgbin) to its end. */
static int run_pg(const char *const *argv, const char *log)
{
        char prog[600];
        int st;
        pid_t pid;
        snprintf(prog, sizeof prog, "%s/%s", pgbin, argv[0]);
        if ((pid = fork()) == 0) {
                become_server_user(log, false);
                execv(prog, (char *const *)argv);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &st, 0) != pid)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* conninfo of database db on the test's server. */
static const char *conninfo(const char *db)
{
        static char buf[4][700];
        static int k;
        char *p = buf[k++ % 4];
        snprintf(p, 700, "host=%s user=ab dbname=%s", pgdir, db);
        return p;
}

/* The --db URL of database db on the test's server. */
static const char *url(const char *db)
{
        static char buf[8][700];
        static int k;
        char *p = buf[k++ % 8];
        snprintf(p, 700, "postgresql:///%s?host=%s&user=ab", db, pgdir);
        return p;
}

static void print_log(const char *name)
{
        char path[600], text[4096];
        snprintf(path, sizeof path, "%s/%s", pgdir, name);
        slurp(path, text, sizeof text);
        fprintf(stderr, "--- %s:\n%s\n", path, text);
}

static int start_server(void)
{
        char data[600], log[600], initlog[600], prog[600];
        const char *initdb[] = {"initdb",    "-D",
                                data,        "-U",
                                "ab",        "--auth=trust",
                                "-E",        "UTF8",
                                "--no-sync", "--no-instructions",
                                NULL};
        struct passwd *pw = getpwnam("nobody");
        if (!find_pgbin()) {
                fprintf(stderr,
                        "test_history_pg: PostgreSQL's initdb is missing (looked in %s): "
                        "./setup.sh installs Debian's postgresql\n",
                        getenv("AB_PG_BIN") ? getenv("AB_PG_BIN")
                                            : "/usr/lib/postgresql/N/bin; AB_PG_BIN names another");
                return -1;
        }
        if (!mkdtemp(pgdir))
                return -1;
        if (geteuid() == 0 && (!pw || chown(pgdir, pw->pw_uid, pw->pw_gid) != 0)) {
                fprintf(stderr, "test_history_pg: cannot give %s to nobody\n", pgdir);
                return -1;
        }
        snprintf(data, sizeof data, "%s/data", pgdir);
        snprintf(log, sizeof log, "%s/server.log", pgdir);
        snprintf(initlog, sizeof initlog, "%s/initdb.log", pgdir);
        if (run_pg(initdb, initlog) != 0) {
                fprintf(stderr, "test_history_pg: initdb failed\n");
                print_log("initdb.log");
                return -1;
        }
        snprintf(prog, sizeof prog, "%s/postgres", pgbin);
        if ((postmaster = fork()) == 0) {
                const char *argv[] = {prog,
                                      "-D",
                                      data,
                                      "-k",
                                      pgdir,
                                      "-c",
                                      "listen_addresses=",
                                      "-c",
                                      "fsync=off",
                                      "-c",
                                      "max_connections=40",
                                      "-c",
                                      "shared_buffers=32MB",
                                      NULL};
                become_server_user(log, true);
                execv(prog, (char *const *)argv);
                _exit(127);
        }
        if (postmaster < 0)
                return -1;
        /* ready when it answers, at most 30 s */
        for (int i = 0; i < 300; i++) {
                int st;
                if (PQping(conninfo("postgres")) == PQPING_OK)
                        return 0;
                if (waitpid(postmaster, &st, WNOHANG) == postmaster) {
                        postmaster = -1;
                        break;
                }
                usleep(100000);
        }
        fprintf(stderr, "test_history_pg: the server did not start\n");
        print_log("server.log");
        return -1;
}

static void stop_server(void)
{
        char cmd[700];
        if (postmaster > 0) {
                int st;
                kill(postmaster, SIGINT);
                for (int i = 0; i < 100 && waitpid(postmaster, &st, WNOHANG) != postmaster; i++)
                        usleep(100000);
                if (kill(postmaster, 0) == 0) {
                        kill(postmaster, SIGKILL);
                        waitpid(postmaster, &st, 0);
                }
                postmaster = -1;
        }
        if (strcmp(pgdir, "/tmp/abpg.XXXXXX") != 0) {
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", pgdir);
                if (system(cmd) != 0)
                        fprintf(stderr, "test_history_pg: cannot remove %s\n", pgdir);
        }
}

static int setup(void **state)
{
        if (setup_all(state) != 0)
                return -1;
        if (start_server() != 0) {
                stop_server();
                return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        stop_server();
        return teardown_all(state);
}

/* ---- SQL on the test's server ------------------------------------------------------- */

static void no_notice(void *arg, const char *message)
{
        (void)arg;
        (void)message;
}

static void pg_exec(const char *db, const char *sql)
{
        PGconn *c = PQconnectdb(conninfo(db));
        PGresult *r;
        if (PQstatus(c) != CONNECTION_OK)
                fail_msg("cannot connect to %s: %s", db, PQerrorMessage(c));
        PQsetNoticeProcessor(c, no_notice, NULL);
        r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
                fail_msg("%s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
}

static long long pg_count(const char *db, const char *sql)
{
        PGconn *c = PQconnectdb(conninfo(db));
        PGresult *r;
        long long n;
        if (PQstatus(c) != CONNECTION_OK)
                fail_msg("cannot connect to %s: %s", db, PQerrorMessage(c));
        r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
                fail_msg("%s: %s", sql, PQresultErrorMessage(r));
        n = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        PQfinish(c);
        return n;
}

/* A fresh database. */
static void create_db(const char *db)
{
        char sql[200];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
        pg_exec("postgres", sql);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
        pg_exec("postgres", sql);
}

/* ---- many writers ----------------------------------------------------------------- */

/* bench history add of files, the store named by $ALLOCBENCH_HISTORY_DB
 * (no --db), in the background. */
static pid_t spawn_add_env(const char *db, char **files, int nfiles, const char *log)
{
        char envdb[800], **envp;
        size_t n = 0, ne = 0;
        pid_t pid;
        for (char **e = environ; *e; e++)
                ne++;
        envp = calloc(ne + 2, sizeof *envp);
        assert_non_null(envp);
        for (char **e = environ; *e; e++)
                if (strncmp(*e, "ALLOCBENCH_HISTORY_DB=", 22) != 0)
                        envp[n++] = *e;
        snprintf(envdb, sizeof envdb, "ALLOCBENCH_HISTORY_DB=%s", db);
        envp[n++] = envdb;
        pid = spawn_add_in(envp, NULL, files, nfiles, log);
        free(envp);
        return pid;
}

/* Eight writers at once into an empty database, two rounds: each adds
 * four files of its own and one file every writer adds. Every writer exits
 * 0; the shared file is added once (one writer says so, seven find it
 * there); every run, series, value and setting lands, each once. Half the
 * writers name the store by $ALLOCBENCH_HISTORY_DB. */
static void test_eight_writers(void **state)
{
        char *files[WRITERS][PER + 1], *shared;
        long long values = 0, series = 0;
        (void)state;
        shared = strdup(synth("pg-shared.json", 28, 1));
        for (int w = 0; w < WRITERS; w++) {
                for (int k = 0; k < PER; k++) {
                        char name[64];
                        snprintf(name, sizeof name, "pg-w%d-%d.json", w, k);
                        /* one host per writer, as a fleet has */
                        char host[32];
                        snprintf(host, sizeof host, "host-%d", w);
                        synth_host = host;
                        files[w][k] = strdup(synth(name, k + 1, 1));
                        synth_host = NULL;
                        values += values_in(files[w][k]);
                }
                /* a series per figure of one night, each night a value of each */
                series += values_in(files[w][0]);
                files[w][PER] = shared;
        }
        values += values_in(shared);
        series += values_in(shared);
        for (int round = 0; round < 2; round++) {
                char db[32], logs[WRITERS][600];
                pid_t pid[WRITERS];
                int added_shared = 0, found_shared = 0;
                snprintf(db, sizeof db, "writers%d", round);
                create_db(db);
                for (int w = 0; w < WRITERS; w++) {
                        snprintf(logs[w], sizeof logs[w], "%s/writer-%d.log", tmpdir, w);
                        pid[w] = w % 2 ? spawn_add_env(url(db), files[w], PER + 1, logs[w])
                                       : spawn_add(url(db), files[w], PER + 1, logs[w]);
                }
                for (int w = 0; w < WRITERS; w++) {
                        int st;
                        char text[8192];
                        assert_int_equal(waitpid(pid[w], &st, 0), pid[w]);
                        slurp(logs[w], text, sizeof text);
                        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                                fail_msg("round %d: writer %d exited %d: %s", round, w, st, text);
                        int mine = strstr(text, "pg-shared.json as run") != NULL;
                        /* "added FILE as run N", and for the shared file either that
                         * or "already in the history ... nothing added" */
                        assert_int_equal(count_of(text, "added /"), PER + mine);
                        added_shared += mine;
                        found_shared +=
                            strstr(text, "pg-shared.json: already in the history") != NULL;
                }
                assert_int_equal(added_shared, 1);
                assert_int_equal(found_shared, WRITERS - 1);
                assert_int_equal(pg_count(db, "SELECT count(*) FROM runs"), WRITERS * PER + 1);
                assert_int_equal(pg_count(db, "SELECT count(DISTINCT file_hash) FROM runs"),
                                 WRITERS * PER + 1);
                assert_int_equal(pg_count(db, "SELECT count(*) FROM samples"), values);
                /* each host's series once: 2 allocators x 2 points x its metrics
                 * (6 on Linux, fewer on the generic platform) */
                assert_true(series >= (WRITERS + 1) * 8);
                assert_int_equal(pg_count(db, "SELECT count(*) FROM series"), series);
                assert_int_equal(pg_count(db, "SELECT count(DISTINCT (host, allocator, workload, "
                                              "point, metric)) FROM series"),
                                 series);
                /* settings: each run its own and one per allocator; a set once */
                assert_int_equal(pg_count(db, "SELECT count(*) FROM run_settings"),
                                 (WRITERS * PER + 1) * 3);
                assert_int_equal(pg_count(db, "SELECT count(*) FROM settings"),
                                 pg_count(db, "SELECT count(DISTINCT settings_id) FROM "
                                              "run_settings"));
                assert_int_equal(pg_count(db, "SELECT count(*) FROM meta"), 1);
        }
        for (int w = 0; w < WRITERS; w++)
                for (int k = 0; k < PER; k++)
                        free(files[w][k]);
        free(shared);
}

/* ---- one file twice ---------------------------------------------------------------- */

static void test_add_twice(void **state)
{
        char ab[512], cb[512];
        const char *a = strcpy(ab, synth("pg-twice.json", 3, 1));
        const char *copy = tpath(cb, sizeof cb, "pg-twice-copy.json");
        long long values = values_in(a);
        json_t *doc;
        (void)state;
        create_db("twice");
        assert_int_equal(run("history", "add", a, "--db", url("twice")), 0);
        assert_int_equal(pg_count("twice", "SELECT count(*) FROM runs"), 1);
        assert_int_equal(pg_count("twice", "SELECT count(*) FROM samples"), values);
        assert_int_equal(run("history", "add", a, "--db", url("twice"), "--rev", "v2"), 0);
        assert_non_null(strstr(outtext, "already in the history as run 1"));
        /* reformatted, from another path: the same results */
        doc = load(a);
        assert_int_equal(json_dump_file(doc, copy, JSON_INDENT(5) | JSON_SORT_KEYS), 0);
        json_decref(doc);
        assert_int_equal(run("history", "add", copy, "--db", url("twice")), 0);
        assert_non_null(strstr(outtext, "nothing added"));
        assert_int_equal(pg_count("twice", "SELECT count(*) FROM runs"), 1);
        assert_int_equal(pg_count("twice", "SELECT count(*) FROM samples"), values);
        assert_int_equal(pg_count("twice", "SELECT count(*) FROM runs WHERE rev IS NULL"), 1);
        assert_int_equal(pg_count("twice", "SELECT count(*) FROM run_settings"), 3);
}

/* ---- the same history on both stores --------------------------------------------------- */

/* text with every db name in it made "DB" and the dashboard's time of
 * writing blanked: what must be the same whatever the store. malloc'd. */
static char *normalised(const char *text, const char *const *names, size_t nnames)
{
        size_t cap = strlen(text) + 1;
        char *out = malloc(cap), *w;
        const char *p = text;
        assert_non_null(out);
        w = out;
        while (*p) {
                size_t k, len = 0;
                for (k = 0; k < nnames; k++) {
                        len = strlen(names[k]);
                        if (len && strncmp(p, names[k], len) == 0)
                                break;
                }
                if (k < nnames) {
                        memcpy(w, "DB", 2);
                        w += 2;
                        p += len;
                } else if (strncmp(p, "; written ", 10) == 0) {
                        memcpy(w, "; written T", 11);
                        w += 11;
                        p += 10;
                        while (*p && *p != '<')
                                p++;
                } else {
                        *w++ = *p++;
                }
        }
        *w = '\0';
        return out;
}

/* Run bench history with args on the SQLite store and on PostgreSQL: the
 * same exit code, the same output once the names of the stores are one. */
static void same_output(const char *sq, const char *pg, const char *sub, const char *a1,
                        const char *a2, const char *a3, int want_rc)
{
        char pgesc[800];
        const char *names[] = {pg, pgesc, sq};
        char *x, *y;
        int rc;
        /* the URL as JSON and HTML write it */
        snprintf(pgesc, sizeof pgesc, "%s", pg);
        for (char *q = strchr(pgesc, '&'); q; q = strchr(q + 5, '&')) {
                memmove(q + 5, q + 1, strlen(q + 1) + 1);
                memcpy(q, "&amp;", 5);
        }
        rc = run("history", sub, "--db", sq, a1, a2, a3);
        if (rc != want_rc)
                fail_msg("history %s on SQLite: exit %d: %s", sub, rc, errtext);
        x = normalised(outtext, names, 3);
        rc = run("history", sub, "--db", pg, a1, a2, a3);
        if (rc != want_rc)
                fail_msg("history %s on PostgreSQL: exit %d: %s", sub, rc, errtext);
        y = normalised(outtext, names, 3);
        if (strcmp(x, y) != 0) {
                size_t k = 0;
                while (x[k] && x[k] == y[k])
                        k++;
                fail_msg("history %s differs at byte %zu:\nSQLite: %.300s\nPostgreSQL: %.300s", sub,
                         k, x + (k > 100 ? k - 100 : 0), y + (k > 100 ? k - 100 : 0));
        }
        free(x);
        free(y);
}

static json_t *out_json(void)
{
        json_error_t e;
        json_t *d = json_loads(outtext, 0, &e);
        if (!d)
                fail_msg("no JSON on stdout: %s\n%.300s", e.text, outtext);
        return d;
}

/* The pages of a dashboard, normalised, equal. */
static void same_page(const char *a, const char *b, const char *sq, const char *pg,
                      long long charts)
{
        char pa[600], pb[600], pgesc[800];
        const char *names[] = {pg, pgesc, sq};
        char *x, *y, *ra, *rb;
        snprintf(pgesc, sizeof pgesc, "%s", pg);
        for (char *q = strchr(pgesc, '&'); q; q = strchr(q + 5, '&')) {
                memmove(q + 5, q + 1, strlen(q + 1) + 1);
                memcpy(q, "&amp;", 5);
        }
        snprintf(pa, sizeof pa, "%s/index.html", a);
        snprintf(pb, sizeof pb, "%s/index.html", b);
        ra = read_all(pa);
        rb = read_all(pb);
        x = normalised(ra, names, 3);
        y = normalised(rb, names, 3);
        if (strcmp(x, y) != 0) {
                size_t k = 0;
                while (x[k] && x[k] == y[k])
                        k++;
                fail_msg("the dashboards differ at byte %zu:\nSQLite: %.300s\nPostgreSQL: %.300s",
                         k, x + (k > 100 ? k - 100 : 0), y + (k > 100 ? k - 100 : 0));
        }
        /* and it is the page expected: a chart per series, the step marked */
        assert_int_equal(count_of(x, "<figure class=\"series reg\""), 1);
        assert_true((long long)count_of(x, "<figure class=\"series") >= charts);
        assert_non_null(strstr(x, "env.MALLOC_PERTURB_: unset -&gt; 85"));
        free(x);
        free(y);
        free(ra);
        free(rb);
}

/* The nights of the traced run (its allocation sites), dated day. */
static char *traced_night(int day)
{
        static bool made;
        char name[64], created[64], *path;
        json_t *doc;
        if (!made) {
                json_decref(run_doc("pg-traced.json", "--alloc=glibc", "--workload=conn-leak",
                                    "--set", "leak_every=64", "--reps", "2", "--trace", NULL));
                made = true;
        }
        doc = load(tmpfile_path("pg-traced.json"));
        snprintf(name, sizeof name, "pg-traced-%d.json", day);
        snprintf(created, sizeof created, "2026-02-%02dT03:00:00Z", day);
        json_object_set_new(doc, "created", json_string(created));
        path = tmpfile_path(name);
        assert_int_equal(json_dump_file(doc, path, JSON_INDENT(1)), 0);
        json_decref(doc);
        return path;
}

/* Ten nights (glibc's 4 KiB calloc 50% slower from the 7th, when
 * MALLOC_PERTURB_=85 came in) and three traced nights, added one by one
 * to an SQLite file and to PostgreSQL: show, show --sites, check (table and
 * JSON) and html say the same of both; the change point is found at run 7
 * and labelled with the setting that changed. */
static void test_same_as_sqlite(void **state)
{
        char sqb[512], dsq[512], dpg[512], pgurl[700];
        const char *sq = tpath(sqb, sizeof sqb, "same.sqlite");
        json_t *doc, *c, *set;
        long long charts = 0; /* the series of one synthetic night */
        (void)state;
        create_db("same");
        snprintf(pgurl, sizeof pgurl, "%s", url("same"));
        for (int i = 1; i <= 13; i++) {
                char name[64], rev[16], path[512];
                snprintf(name, sizeof name, "pg-same-%02d.json", i);
                snprintf(rev, sizeof rev, "r%02d", i);
                synth_env_key = i >= 7 && i <= 10 ? "MALLOC_PERTURB_" : NULL;
                synth_env_val = "85";
                snprintf(path, sizeof path, "%s",
                         i <= 10 ? synth(name, i, i >= 7 ? 1.5 : 1) : traced_night(i - 10));
                synth_env_key = NULL;
                if (i == 1)
                        charts = values_in(path);
                if (run("history", "add", path, "--db", sq, "--rev", rev) != 0)
                        fail_msg("add to SQLite: %s", errtext);
                if (run("history", "add", path, "--db", pgurl, "--rev", rev) != 0)
                        fail_msg("add to PostgreSQL: %s", errtext);
        }
        assert_int_equal(pg_count("same", "SELECT count(*) FROM runs"), 13);
        assert_int_equal(pg_count("same", "SELECT count(*) FROM samples"),
                         db_count(sq, "SELECT count(*) FROM samples"));
        assert_int_equal(pg_count("same", "SELECT count(*) FROM series"),
                         db_count(sq, "SELECT count(*) FROM series"));
        assert_int_equal(pg_count("same", "SELECT count(*) FROM sites"), 4);
        assert_int_equal(db_count(sq, "SELECT count(*) FROM sites"), 4);
        assert_int_equal(pg_count("same", "SELECT count(*) FROM site_runs"), 12);
        assert_int_equal(pg_count("same", "SELECT count(*) FROM settings"),
                         db_count(sq, "SELECT count(*) FROM settings"));
        assert_int_equal(pg_count("same", "SELECT count(*) FROM run_settings"),
                         db_count(sq, "SELECT count(*) FROM run_settings"));

        same_output(sq, pgurl, "show", "--format", "json", NULL, 0);
        same_output(sq, pgurl, "show", "--sites", "--format", "json", 0);
        same_output(sq, pgurl, "show", "--last", "3", NULL, 0);
        same_output(sq, pgurl, "check", NULL, NULL, NULL, EXIT_REGRESSION);
        same_output(sq, pgurl, "check", "--format", "json", NULL, EXIT_REGRESSION);

        /* what check found, on PostgreSQL */
        assert_int_equal(run("history", "check", "--db", pgurl, "--format", "json", "--workload",
                             "calloc-sweep"),
                         EXIT_REGRESSION);
        doc = out_json();
        assert_int_equal(json_array_size(json_object_get(doc, "changes")), 1);
        c = json_array_get(json_object_get(doc, "changes"), 0);
        assert_string_equal(jstr(c, "allocator"), STEP_SERIES_ALLOC);
        assert_string_equal(jstr(c, "point"), STEP_SERIES_POINT);
        assert_string_equal(jstr(c, "run.rev"), "r07");
        assert_int_equal(json_integer_value(json_object_get(c, "index")), 6);
        set = json_object_get(c, "settings_changed");
        assert_int_equal(json_array_size(set), 1);
        assert_string_equal(jstr(json_array_get(set, 0), "setting"), "env.MALLOC_PERTURB_");
        assert_true(json_is_null(json_object_get(json_array_get(set, 0), "before")));
        assert_string_equal(jstr(json_array_get(set, 0), "after"), "85");
        json_decref(doc);

        tpath(dsq, sizeof dsq, "same-dash-sq");
        tpath(dpg, sizeof dpg, "same-dash-pg");
        assert_int_equal(run("history", "html", dsq, "--db", sq), 0);
        assert_int_equal(run("history", "html", dpg, "--db", pgurl), 0);
        same_page(dsq, dpg, sq, pgurl, charts);
}

/* ---- what is refused ---------------------------------------------------------------------- */

static void test_refused(void **state)
{
        char gb[512], bad[800], pw[800];
        const char *good = strcpy(gb, synth("pg-bad.json", 1, 1));
        (void)state;
        /* a URL libpq cannot read: named, the accepted form, exit 1 */
        assert_int_equal(run("history", "add", good, "--db", "postgresql://ab@[::1/x"), 1);
        assert_non_null(strstr(errtext, "not a PostgreSQL URL"));
        assert_non_null(strstr(errtext, "accepted: --db postgresql://"));
        assert_int_equal(run("history", "show", "--db", "postgres://x/y?nosuchparam=1"), 1);
        assert_non_null(strstr(errtext, "nosuchparam"));
        /* no server there; its password never shown */
        snprintf(bad, sizeof bad, "postgresql://ab:s3cret@/h?host=%s/nothing-here", pgdir);
        assert_int_equal(run("history", "add", good, "--db", bad), 1);
        assert_non_null(strstr(errtext, "cannot connect to the history database"));
        assert_non_null(strstr(errtext, "postgresql://ab:***@/h"));
        assert_null(strstr(errtext, "s3cret"));
        snprintf(pw, sizeof pw, "postgresql:///nodb?host=%s&user=ab&password=s3cret", pgdir);
        assert_int_equal(run("history", "check", "--db", pw), 1);
        assert_non_null(strstr(errtext, "password=***"));
        assert_null(strstr(errtext, "s3cret"));
        /* the same through the environment */
        setenv("ALLOCBENCH_HISTORY_DB", bad, 1);
        assert_int_equal(run("history", "show"), 1);
        assert_non_null(strstr(errtext, "cannot connect"));
        unsetenv("ALLOCBENCH_HISTORY_DB");

        /* an empty database: nothing to read, and reading made nothing */
        create_db("empty");
        assert_int_equal(run("history", "show", "--db", url("empty")), 1);
        assert_non_null(strstr(errtext, "no history in"));
        assert_int_equal(
            pg_count("empty", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 0);

        /* a database that is someone else's: refused, left as it was */
        create_db("theirs");
        pg_exec("theirs", "CREATE TABLE notes (id int, text text); INSERT INTO notes VALUES "
                          "(1, 'mine')");
        assert_int_equal(run("history", "add", good, "--db", url("theirs")), 1);
        assert_non_null(strstr(errtext, "not an allocbench history database"));
        assert_int_equal(run("history", "check", "--db", url("theirs")), 1);
        assert_non_null(strstr(errtext, "not an allocbench history database"));
        assert_int_equal(
            pg_count("theirs", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 1);
        assert_int_equal(pg_count("theirs", "SELECT count(*) FROM notes"), 1);
        /* one of another schema version */
        create_db("future");
        pg_exec("future", "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL); "
                          "INSERT INTO meta VALUES ('schema', 'allocbench/history/99')");
        assert_int_equal(run("history", "add", good, "--db", url("future")), 1);
        assert_non_null(strstr(errtext, "schema allocbench/history/99"));
        assert_int_equal(
            pg_count("future", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 1);
}

/* A store in a schema of its own (?options=-csearch_path=NAME): the
 * database's public tables are left alone. */
static void test_own_schema(void **state)
{
        char u[800], gb[512];
        const char *good = strcpy(gb, synth("pg-schema.json", 2, 1));
        (void)state;
        create_db("shared");
        pg_exec("shared", "CREATE TABLE notes (id int); CREATE SCHEMA bench");
        snprintf(u, sizeof u, "%s&options=-csearch_path%%3Dbench", url("shared"));
        assert_int_equal(run("history", "add", good, "--db", u), 0);
        assert_int_equal(pg_count("shared", "SELECT count(*) FROM bench.runs"), 1);
        assert_int_equal(
            pg_count("shared", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 1);
        assert_int_equal(run("history", "show", "--db", u), 0);
        assert_non_null(strstr(outtext, "1 run from"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_eight_writers),  cmocka_unit_test(test_add_twice),
            cmocka_unit_test(test_same_as_sqlite), cmocka_unit_test(test_refused),
            cmocka_unit_test(test_own_schema),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
