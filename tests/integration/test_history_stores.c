/*
 * End-to-end tests of bench history on what is not its own: stores whose
 * ids bench history cannot have written, SQLite databases something else
 * wrote (left exactly as they were), a FIFO given as a results file or as
 * the store (refused at once, never read), and a full disk (said so,
 * nothing half-written). Split from test_history.c.
 * Environment: AB_BENCH (default ./bench) and AB_BUILD (default build).
 */
#include "itest.h"

#include <dirent.h>
#include <sqlite3.h>
#include <sys/mount.h>

#include "hist.h"

/* ---- stores not written by bench history --------------------------------- */

/* Ids are looked up, never used as indices: a store whose ids bench history
 * add cannot have written (0, negative) is refused with exit 1 and a message
 * naming it; huge ids (SQLite allows up to 2^63 - 1) are read as any other.
 * Each store starts as 3 real runs. */
static void test_crafted_ids(void **state)
{
        static const struct {
                const char *name, *sql, *what;
        } bad_dbs[] = {
            {"ids-negsid.sqlite",
             "UPDATE series SET id = -100000 WHERE id = 1;"
             "UPDATE samples SET series_id = -100000 WHERE series_id = 1;",
             "series.id -100000"},
            {"ids-zerorun.sqlite",
             "UPDATE runs SET id = 0 WHERE id = 1;"
             "UPDATE samples SET run_id = 0 WHERE run_id = 1;",
             "runs.id 0"},
            {"ids-negrun.sqlite",
             "UPDATE runs SET id = -9223372036854775808 WHERE id = 2;"
             "UPDATE samples SET run_id = -9223372036854775808 WHERE run_id = 2;",
             "runs.id -9223372036854775808"},
            {"ids-negsample.sqlite", "UPDATE samples SET run_id = -7 WHERE run_id = 3;",
             "samples.run_id -7"},
        };
        char dbb[512];
        (void)state;
        for (size_t k = 0; k < sizeof bad_dbs / sizeof bad_dbs[0]; k++) {
                const char *db = tpath(dbb, sizeof dbb, bad_dbs[k].name);
                const char *subs[] = {"show", "check", "html"};
                build_history(db, "ids", 3, 0);
                db_exec(db, bad_dbs[k].sql);
                for (size_t i = 0; i < 3; i++) {
                        int rc = strcmp(subs[i], "html") == 0
                                     ? run("history", "html", tmpfile_path("ids-dash"), "--db", db)
                                     : run("history", subs[i], "--db", db);
                        if (rc != 1 || !strstr(errtext, db) || !strstr(errtext, bad_dbs[k].what) ||
                            !strstr(errtext, "not written by bench history"))
                                fail_msg("history %s of %s: exit %d, stderr: %s", subs[i],
                                         bad_dbs[k].name, rc, errtext);
                }
        }

        /* ids far beyond the number of rows are fine */
        {
                const char *db = tpath(dbb, sizeof dbb, "ids-huge.sqlite");
                json_t *doc;
                long long n;
                build_history(db, "ids", 3, 0);
                n = db_count(db, "SELECT count(*) FROM samples");
                db_exec(db, "UPDATE runs SET id = 2305843009213693952 WHERE id = 1;"
                            "UPDATE samples SET run_id = 2305843009213693952 WHERE run_id = 1;"
                            "UPDATE series SET id = 4611686018427387904 WHERE id = 2;"
                            "UPDATE samples SET series_id = 4611686018427387904 "
                            "WHERE series_id = 2;");
                assert_int_equal(run("history", "check", "--db", db), 0);
                assert_int_equal(run("history", "show", "--db", db, "--format", "json"), 0);
                doc = json_loads(outtext, 0, NULL);
                assert_non_null(doc);
                assert_int_equal(json_array_size(json_object_get(doc, "runs")), 3);
                {
                        json_t *s;
                        size_t i;
                        long long vals = 0;
                        json_array_foreach(json_object_get(doc, "series"), i, s) vals +=
                            (long long)json_array_size(json_object_get(s, "values"));
                        assert_int_equal(vals, n);
                }
                json_decref(doc);
                assert_int_equal(run("history", "html", tmpfile_path("ids-dash"), "--db", db), 0);
        }
}

/* ---- what is not a results file or a store ---------------------------------- */

/* A FIFO as a results file or as the store: refused at once (nothing
 * writes to it, so reading it would wait forever), exit 1, named. */
static void test_fifo_refused(void **state)
{
        char fb[512], db[512], gb[512], sb[512];
        const char *fifo = tpath(fb, sizeof fb, "fifo-results.json");
        const char *dbfifo = tpath(db, sizeof db, "fifo-store.sqlite");
        const char *good = strcpy(gb, synth("fifo-good.json", 1, 1));
        const char *store = tpath(sb, sizeof sb, "fifo-real.sqlite");
        const char *subs[] = {"show", "check"};
        int rc;
        (void)state;
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_int_equal(mkfifo(dbfifo, 0644), 0);

        rc = run_watchdog(20, "history", "add", fifo, "--db", store, NULL);
        if (rc == -1)
                fail_msg("history add of a FIFO hung");
        assert_int_equal(rc, 1);
        assert_non_null(strstr(errtext, fifo));
        assert_non_null(strstr(errtext, "not a regular file"));
        assert_false(exists(store));

        rc = run_watchdog(20, "history", "add", good, "--db", dbfifo, NULL);
        if (rc == -1)
                fail_msg("history add --db FIFO hung");
        assert_int_equal(rc, 1);
        assert_non_null(strstr(errtext, dbfifo));
        assert_non_null(strstr(errtext, "not a regular file"));
        for (size_t i = 0; i < 2; i++) {
                rc = run_watchdog(20, "history", subs[i], "--db", dbfifo, NULL);
                if (rc == -1)
                        fail_msg("history %s --db FIFO hung", subs[i]);
                assert_int_equal(rc, 1);
                assert_non_null(strstr(errtext, dbfifo));
                assert_non_null(strstr(errtext, "not a regular file"));
        }
        rc = run_watchdog(20, "history", "html", tmpfile_path("fifo-dash"), "--db", dbfifo, NULL);
        if (rc == -1)
                fail_msg("history html --db FIFO hung");
        assert_int_equal(rc, 1);
        assert_non_null(strstr(errtext, dbfifo));
}

/* A text query's one value on the store (NULL: none), into buf. */
static const char *db_text(const char *db, const char *sql, char *buf, size_t len)
{
        sqlite3 *h;
        sqlite3_stmt *st;
        const char *r = NULL;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
                fail_msg("cannot open %s: %s", db, sqlite3_errmsg(h));
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
                fail_msg("%s: %s", sql, sqlite3_errmsg(h));
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
                snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
                r = buf;
        }
        sqlite3_finalize(st);
        sqlite3_close(h);
        return r;
}

/* An SQLite database bench history did not write (one of its own tables;
 * or a meta table with another schema), in rollback-journal mode: add,
 * show and check refuse it with exit 1 and leave it exactly as it was: the
 * same journal mode, the same tables, no -wal or -shm beside it. */
static void test_foreign_db_untouched(void **state)
{
        static const struct {
                const char *name, *sql, *why;
        } dbs[] = {
            {"foreign-notes.sqlite",
             "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
             "INSERT INTO notes (text) VALUES ('mine');",
             "not an allocbench history database"},
            {"foreign-meta.sqlite",
             "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
             "INSERT INTO meta VALUES ('schema', 'someone/else/2');",
             "schema someone/else/2"},
        };
        char gb[512], dbb[512], path[600], buf[64], before[512], after[512];
        const char *good = strcpy(gb, synth("foreign-good.json", 1, 1));
        static const char tables[] =
            "SELECT group_concat(type || ' ' || name || ': ' || coalesce(sql, ''), '; ') "
            "FROM sqlite_master";
        (void)state;
        for (size_t k = 0; k < sizeof dbs / sizeof dbs[0]; k++) {
                const char *db = tpath(dbb, sizeof dbb, dbs[k].name);
                const char *subs[] = {"add", "show", "check"};
                sqlite3 *h;
                assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
                assert_int_equal(sqlite3_exec(h, dbs[k].sql, NULL, NULL, NULL), SQLITE_OK);
                sqlite3_close(h);
                assert_string_equal(db_text(db, "PRAGMA journal_mode", buf, sizeof buf), "delete");
                assert_non_null(db_text(db, tables, before, sizeof before));
                for (size_t i = 0; i < 3; i++) {
                        int rc = i == 0 ? run("history", "add", good, "--db", db)
                                        : run("history", subs[i], "--db", db);
                        if (rc != 1 || !strstr(errtext, db) || !strstr(errtext, dbs[k].why))
                                fail_msg("history %s of %s: exit %d, stderr: %s", subs[i],
                                         dbs[k].name, rc, errtext);
                        assert_string_equal(db_text(db, "PRAGMA journal_mode", buf, sizeof buf),
                                            "delete");
                        assert_string_equal(db_text(db, tables, after, sizeof after), before);
                        assert_int_equal(db_count(db, "SELECT count(*) FROM sqlite_master WHERE "
                                                      "name IN ('runs', 'series', 'samples')"),
                                         0);
                        snprintf(path, sizeof path, "%s-wal", db);
                        assert_false(exists(path));
                        snprintf(path, sizeof path, "%s-shm", db);
                        assert_false(exists(path));
                }
        }
}

/* ---- a full disk ------------------------------------------------------------- */

static char full_dir[512];

/* Mount a tmpfs of `size` on tmpdir/NAME (this test runs as root, as CI
 * does; without the mount it cannot test anything, so it fails). */
static const char *mount_small(const char *name, const char *size)
{
        char opts[64];
        snprintf(full_dir, sizeof full_dir, "%s/%s", tmpdir, name);
        assert_int_equal(mkdir(full_dir, 0755), 0);
        snprintf(opts, sizeof opts, "size=%s", size);
        if (mount("tmpfs", full_dir, "tmpfs", 0, opts) != 0)
                fail_msg("cannot mount a %s tmpfs on %s: %s (this test needs root, as CI runs)",
                         size, full_dir, strerror(errno));
        return full_dir;
}

static int unmount_small(void **state)
{
        (void)state;
        if (full_dir[0] && umount2(full_dir, MNT_DETACH) != 0)
                return -1;
        full_dir[0] = '\0';
        return 0;
}

/* The names in dir other than keep, as one string ("" when none). */
static const char *listing(const char *dir, const char *keep, char *buf, size_t len)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t off = 0;
        buf[0] = '\0';
        assert_non_null(d);
        while ((e = readdir(d)))
                if (e->d_name[0] != '.' && (!keep || strcmp(e->d_name, keep) != 0))
                        off += (size_t)snprintf(buf + off, len - off, "%s ", e->d_name);
        closedir(d);
        return buf;
}

/* Fill the file system of dir: a file of zeros until ENOSPC. */
static void fill(const char *dir)
{
        char path[600], block[4096] = {0};
        int fd;
        snprintf(path, sizeof path, "%s/filler", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        while (write(fd, block, sizeof block) > 0)
                ;
        for (size_t n = 512; n > 0; n /= 2)
                while (write(fd, block, n) > 0)
                        ;
        close(fd);
}

/* add on a full disk says so, and leaves nothing half-written: no new
 * database (nor its -wal or -shm) on a disk too small to hold one; an
 * existing store as it was. */
static void test_disk_full(void **state)
{
        char gb[512], g2[512], db[600], list[1024], msg[700];
        const char *good = strcpy(gb, synth("full-1.json", 1, 1));
        const char *dir;
        (void)state;
        dir = mount_small("full", "64k");
        snprintf(db, sizeof db, "%s/h.sqlite", dir);
        snprintf(msg, sizeof msg, "the disk is full (%s)", dir);
        assert_int_equal(run("history", "add", good, "--db", db), 1);
        if (!strstr(errtext, msg))
                fail_msg("expected \"%s\", got: %s", msg, errtext);
        assert_null(strstr(errtext, "accepted: --db PATH"));
        assert_string_equal(listing(dir, NULL, list, sizeof list), "");
        assert_int_equal(unmount_small(state), 0);

        /* a store with one run, then the disk fills up */
        dir = mount_small("full2", "256k");
        snprintf(db, sizeof db, "%s/h.sqlite", dir);
        snprintf(msg, sizeof msg, "the disk is full (%s)", dir);
        assert_int_equal(run("history", "add", good, "--db", db), 0);
        fill(dir);
        strcpy(g2, synth("full-2.json", 2, 1));
        assert_int_equal(run("history", "add", g2, "--db", db), 1);
        if (!strstr(errtext, msg))
                fail_msg("expected \"%s\", got: %s", msg, errtext);
        snprintf(list, sizeof list, "%s/filler", dir);
        assert_int_equal(unlink(list), 0);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 1);
        assert_int_equal(run("history", "show", "--db", db), 0);
        assert_int_equal(run("history", "add", g2, "--db", db), 0);
        assert_int_equal(db_count(db, "SELECT count(*) FROM runs"), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_crafted_ids),
            cmocka_unit_test(test_fifo_refused),
            cmocka_unit_test(test_foreign_db_untouched),
            cmocka_unit_test_teardown(test_disk_full, unmount_small),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
