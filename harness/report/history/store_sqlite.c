/*
 * store_sqlite.c - the history in an SQLite file (default
 * results/history.sqlite, --db PATH): the backend of store.h.
 *
 * Several writers at once: the database is in WAL mode, each connection
 * waits up to a minute for the write lock (sqlite3_busy_timeout), and each
 * file is added in one BEGIN IMMEDIATE transaction, so a file is in the
 * store whole or not at all and concurrent adds serialise rather than fail.
 * synchronous=NORMAL: a power cut may lose the last adds, never the store.
 *
 * A store that exists is checked (its meta table's schema) before anything
 * in it changes: a database something else wrote keeps its journal mode and
 * its tables. A store of schema /1 or /2 opened for writing is migrated to
 * /3 (store.h) in the transaction that checks it; read, it is left as it is.
 * A store that does not exist is made privately, beside it
 * (PATH.tmp.PID with its -wal and -shm), filled, checkpointed, and only
 * then put in place with a rename that never replaces a file: a full disk or
 * a failed add leaves no empty or half-made database behind, and a reader
 * never sees a store without its schema. When another writer put a store in
 * place first, close says so (-EAGAIN) and the caller adds into that one.
 *
 * Ids in the store are looked up, never used as indices (history.h's
 * builder refuses ids below 1: bench history never writes one).
 * store_sqlite_rows.c adds and loads the rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/history/store_sqlite.h"

/* The layout of schema /1, then what /2 and /3 add: a store of /1 is
 * migrated by SITES_SQL and SETTINGS_SQL, one of /2 by SETTINGS_SQL. Each
 * part as it is written, for --help. */
#define V1_SQL                                                                                     \
        "CREATE TABLE meta (\n"                                                                    \
        "  key   TEXT PRIMARY KEY,\n"                                                              \
        "  value TEXT NOT NULL                -- key 'schema': '" AB_HISTORY_STORE_SCHEMA "'\n"    \
        ");\n"                                                                                     \
        "CREATE TABLE runs (                  -- one per results file added\n"                     \
        "  id          INTEGER PRIMARY KEY,\n"                                                     \
        "  file_hash   TEXT NOT NULL UNIQUE,  -- SHA-256 of the canonical JSON (sorted keys)\n"    \
        "  file        TEXT NOT NULL,         -- its path when added\n"                            \
        "  created     TEXT NOT NULL,         -- its \"created\" (UTC ISO-8601): the time key\n"   \
        "  host        TEXT NOT NULL,         -- host.hostname\n"                                  \
        "  rev         TEXT,                  -- --rev (commit or version), NULL if none\n"        \
        "  tool_git    TEXT,                  -- tool.git of the bench that wrote it\n"            \
        "  interrupted INTEGER NOT NULL,      -- 1 when the run was stopped early\n"               \
        "  added       TEXT NOT NULL          -- when it was added (UTC ISO-8601)\n"               \
        ");\n"                                                                                     \
        "CREATE INDEX runs_created ON runs (created, id);\n"                                       \
        "CREATE TABLE series (                -- one figure of one point over time\n"              \
        "  id        INTEGER PRIMARY KEY,\n"                                                       \
        "  host      TEXT NOT NULL,\n"                                                             \
        "  allocator TEXT NOT NULL,           -- allocator.name\n"                                 \
        "  workload  TEXT NOT NULL,           -- workload.name\n"                                  \
        "  point     TEXT NOT NULL,           -- its params, 'size=4096' ('-': no sweep);\n"       \
        "                                     -- a site's series: the site's key\n"                \
        "  metric    TEXT NOT NULL,           -- ns_per_op (the median), minflt_per_op,\n"         \
        "                                     -- rss_kib, vsz_kib, pte_kib, peak_rss_kib;\n"       \
        "                                     -- a site's: left_per_round, live_end\n"             \
        "  UNIQUE (host, allocator, workload, point, metric)\n"                                    \
        ");\n"                                                                                     \
        "CREATE TABLE samples (\n"                                                                 \
        "  series_id INTEGER NOT NULL REFERENCES series (id),\n"                                   \
        "  run_id    INTEGER NOT NULL REFERENCES runs (id),\n"                                     \
        "  value     REAL NOT NULL,\n"                                                             \
        "  PRIMARY KEY (series_id, run_id)\n"                                                      \
        ") WITHOUT ROWID;\n"                                                                       \
        "CREATE TABLE flags (                 -- the detectors' flags of each run\n"               \
        "  run_id     INTEGER NOT NULL REFERENCES runs (id),\n"                                    \
        "  kind       TEXT NOT NULL,\n"                                                            \
        "  severity   TEXT NOT NULL,\n"                                                            \
        "  allocator  TEXT,\n"                                                                     \
        "  workload   TEXT,\n"                                                                     \
        "  where_json TEXT,                   -- the flag's \"where\" as JSON\n"                   \
        "  message    TEXT\n"                                                                      \
        ");\n"                                                                                     \
        "CREATE INDEX flags_run ON flags (run_id);\n"
#define SITES_SQL                                                                                  \
        "CREATE TABLE sites (                 -- an allocation site of traced runs (/2)\n"         \
        "  id        INTEGER PRIMARY KEY,\n"                                                       \
        "  host      TEXT NOT NULL,\n"                                                             \
        "  allocator TEXT NOT NULL,\n"                                                             \
        "  workload  TEXT NOT NULL,\n"                                                             \
        "  point     TEXT NOT NULL,           -- the traced point ('-': no sweep)\n"               \
        "  site      TEXT NOT NULL,           -- its key: the normalised stack\n"                  \
        "  frames    TEXT,                    -- its stack in the newest run, a frame a line\n"    \
        "  UNIQUE (host, allocator, workload, point, site)\n"                                      \
        ");\n"                                                                                     \
        "CREATE TABLE site_runs (             -- each run's sighting: the verdict history (/2)\n"  \
        "  site_id        INTEGER NOT NULL REFERENCES sites (id),\n"                               \
        "  run_id         INTEGER NOT NULL REFERENCES runs (id),\n"                                \
        "  verdict        TEXT,               -- bench run --verdicts; NULL: none applied\n"       \
        "  verdict_new    INTEGER NOT NULL,   -- 1: no verdict matched the site\n"                 \
        "  note           TEXT,\n"                                                                 \
        "  left_per_round REAL,               -- bytes a round; NULL: no rounds\n"                 \
        "  live_end       REAL,               -- live bytes when the process ended\n"              \
        "  PRIMARY KEY (site_id, run_id)\n"                                                        \
        ") WITHOUT ROWID;\n"
#define SETTINGS_SQL                                                                               \
        "CREATE TABLE settings (              -- a distinct set of run settings (/3)\n"            \
        "  id     INTEGER PRIMARY KEY,\n"                                                          \
        "  digest TEXT NOT NULL UNIQUE,       -- SHA-256 of value\n"                               \
        "  value  TEXT NOT NULL               -- JSON object of strings, sorted keys: env.KEY,\n"  \
        "                                     -- allocator.version, host.kernel, command, ...\n"   \
        ");\n"                                                                                     \
        "CREATE TABLE run_settings (          -- the settings each run had (/3)\n"                 \
        "  run_id      INTEGER NOT NULL REFERENCES runs (id),\n"                                   \
        "  allocator   TEXT NOT NULL,         -- '' (and workload ''): the run's own\n"            \
        "  workload    TEXT NOT NULL,\n"                                                           \
        "  settings_id INTEGER NOT NULL REFERENCES settings (id),\n"                               \
        "  PRIMARY KEY (run_id, allocator, workload)\n"                                            \
        ") WITHOUT ROWID;\n"

static const char schema_sql[] = V1_SQL SITES_SQL SETTINGS_SQL;

/* ---- opening ----------------------------------------------------------------- */

/* SQLITE_OK with why "" when the database holds our schema (of version
 * *version, 1 to 3), else why not. n_tables: how many tables it has at
 * all. Reads only. */
static int check_schema(sqlite3 *db, int *n_tables, int *version, char *why, size_t len)
{
        sqlite3_stmt *st = NULL;
        const char *v;
        int rc;
        why[0] = '\0';
        *version = 0;
        rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1,
                                &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
                rc = SQLITE_OK;
        *n_tables = rc == SQLITE_OK ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        if (rc != SQLITE_OK || *n_tables == 0)
                return rc;
        rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL);
        if (rc == SQLITE_ERROR) {
                snprintf(why, len, "not an allocbench history database (it has no meta table)");
                return SQLITE_OK;
        }
        if (rc != SQLITE_OK)
                return rc;
        if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
                sqlite3_finalize(st);
                if (rc != SQLITE_DONE)
                        return rc;
                snprintf(why, len, "not an allocbench history database (no schema in meta)");
                return SQLITE_OK;
        }
        v = ab_sq_text(st, 0);
        if (!(*version = ab_hstore_version(v)))
                snprintf(why, len,
                         "schema %s, this bench reads " AB_HISTORY_STORE_SCHEMA
                         " (and " AB_HISTORY_STORE_V1 " and " AB_HISTORY_STORE_V2
                         ", which add migrates)",
                         v ? v : "null");
        sqlite3_finalize(st);
        return SQLITE_OK;
}

/* Under the write lock: our schema in an empty database, or a store of /1
 * or /2 made /3 (the tables it lacks; nothing else changes). */
static int create_or_migrate(sqlite3 *db, int ntab, int version)
{
        int rc = SQLITE_OK;
        if (ntab == 0 && (rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL)) == SQLITE_OK)
                rc = sqlite3_exec(db,
                                  "INSERT INTO meta (key, value) VALUES ('schema', "
                                  "'" AB_HISTORY_STORE_SCHEMA "')",
                                  NULL, NULL, NULL);
        if (!ntab || version >= 3)
                return rc;
        if (version == 1)
                rc = sqlite3_exec(db, SITES_SQL, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(db, SETTINGS_SQL, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(db,
                                  "UPDATE meta SET value = '" AB_HISTORY_STORE_SCHEMA
                                  "' WHERE key = 'schema'",
                                  NULL, NULL, NULL);
        return rc;
}

/* The refusal of a database bench history did not write. */
static int foreign(const char *path, const char *why, char *err, size_t errlen)
{
        snprintf(err, errlen,
                 "%s: %s (accepted: --db PATH of a database bench history add created)", path, why);
        return -EINVAL;
}

/* WAL mode, so that readers never wait for writers; retried while another
 * connection is changing it too. Only called on a database that is ours or
 * empty. */
static int set_wal(sqlite3 *db)
{
        sqlite3_stmt *q = NULL;
        int rc = SQLITE_OK;
        for (int i = 0; i < 6000; i++) {
                rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
                if (rc == SQLITE_OK)
                        rc = sqlite3_step(q);
                if (rc == SQLITE_ROW &&
                    strcmp(ab_sq_text(q, 0) ? ab_sq_text(q, 0) : "", "wal") != 0)
                        rc = SQLITE_ERROR;
                sqlite3_finalize(q);
                q = NULL;
                if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                        break;
                usleep(10000);
        }
        return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Under the write lock: our schema, created when the database is empty.
 * Returns 0 or -errno with the message in err. */
static int init_schema(struct ab_sq *s, char *err, size_t errlen)
{
        char why[256];
        int rc, ntab, version;
        if ((rc = ab_sq_exec_retry(s->db, "PRAGMA synchronous = NORMAL")) != SQLITE_OK ||
            (rc = ab_sq_exec_retry(s->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot write the history database", err,
                                  errlen);
        if ((rc = check_schema(s->db, &ntab, &version, why, sizeof why)) != SQLITE_OK) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return ab_sq_fail(s->db, rc, s->path, "cannot read the history database", err,
                                  errlen);
        }
        if (why[0]) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return foreign(s->path, why, err, errlen);
        }
        if ((rc = create_or_migrate(s->db, ntab, version)) != SQLITE_OK) {
                int e = ab_sq_fail(s->db, rc, s->path,
                                   ntab ? "cannot migrate to " AB_HISTORY_STORE_SCHEMA
                                        : "cannot create the history schema in",
                                   err, errlen);
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return e;
        }
        s->version = 3;
        if ((rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
                int e = ab_sq_fail(s->db, rc, s->path, "cannot write the history database", err,
                                   errlen);
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return e;
        }
        return 0;
}

/* The private database's files: PATH.tmp.PID and its journals. */
static void unlink_tmp(const char *tmp)
{
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        char p[PATH_MAX + 64];
        for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
                snprintf(p, sizeof p, "%s%s", tmp, suffix[i]);
                unlink(p);
        }
}

/* A store that does not exist yet: made privately beside where it will be. */
static int open_new(struct ab_sq *s, char *err, size_t errlen)
{
        size_t n = strlen(s->path) + 32;
        int fd, rc;
        if (!(s->tmp = malloc(n)))
                return -ENOMEM;
        snprintf(s->tmp, n, "%s.tmp.%d", s->path, (int)getpid());
        fd = open(s->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
                int e = errno;
                char full[PATH_MAX + 32];
                if (e == ENOSPC || e == EDQUOT) {
                        ab_sq_full_msg(s->path, full, sizeof full);
                        snprintf(err, errlen, "cannot create the history database %s: %s", s->path,
                                 full);
                        return -ENOSPC;
                }
                snprintf(err, errlen,
                         "cannot open the history database %s: %s (accepted: --db PATH, an "
                         "SQLite file bench history add can create and write; "
                         "default " AB_HISTORY_DEFAULT_DB ")",
                         s->path, strerror(e));
                return -e;
        }
        close(fd);
        rc = sqlite3_open_v2(s->tmp, &s->db, SQLITE_OPEN_READWRITE, NULL);
        if (rc == SQLITE_OK)
                rc = set_wal(s->db);
        if (rc != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot create the history database", err,
                                  errlen);
        return init_schema(s, err, errlen);
}

/* A store that exists, for writing: checked before anything changes. */
static int open_existing(struct ab_sq *s, char *err, size_t errlen)
{
        char why[256];
        int rc, ntab, version;
        rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE, NULL);
        if (rc != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot open the history database", err,
                                  errlen);
        sqlite3_busy_timeout(s->db, 60000);
        rc = check_schema(s->db, &ntab, &version, why, sizeof why);
        if (rc != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot write the history database", err,
                                  errlen);
        if (why[0])
                return foreign(s->path, why, err, errlen);
        if ((rc = set_wal(s->db)) != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot write the history database", err,
                                  errlen);
        return init_schema(s, err, errlen);
}

/* A store to read: never changed, a read-only copy (a CI artifact) is fine;
 * a store of /1 or /2 is read as it is (it has no sites, no settings). */
static int open_read(struct ab_sq *s, char *err, size_t errlen)
{
        char why[256];
        int rc, ntab;
        /* one thread reads it: no mutexes around every row */
        rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                sqlite3_close(s->db);
                s->db = NULL;
                rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                                     NULL);
        }
        if (rc != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot open the history database", err,
                                  errlen);
        sqlite3_busy_timeout(s->db, 60000);
        if ((rc = check_schema(s->db, &ntab, &s->version, why, sizeof why)) != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot read the history database", err,
                                  errlen);
        if (!why[0] && ntab == 0)
                snprintf(why, sizeof why, "an empty database (bench history add fills it)");
        return why[0] ? foreign(s->path, why, err, errlen) : 0;
}

static void sq_free(struct ab_sq *s)
{
        for (int i = 0; i < NQ; i++)
                sqlite3_finalize(s->q[i]);
        sqlite3_close(s->db);
        if (s->tmp)
                unlink_tmp(s->tmp);
        free(s->tmp);
        free(s);
}

static int sq_open(const char *path, enum ab_store_mode mode, struct ab_store **out, char *err,
                   size_t errlen)
{
        struct ab_sq *s = calloc(1, sizeof *s);
        struct stat st;
        bool exists;
        int r;
        if (!s) {
                snprintf(err, errlen, "out of memory opening %s", path);
                return -ENOMEM;
        }
        s->base.ops = &ab_store_sqlite;
        s->path = path;
        exists = stat(path, &st) == 0;
        if (exists && S_ISDIR(st.st_mode)) {
                snprintf(err, errlen,
                         "--db %s is a directory (accepted: --db PATH of an SQLite file; "
                         "default " AB_HISTORY_DEFAULT_DB ")",
                         path);
                r = -EISDIR;
        } else if (exists && !S_ISREG(st.st_mode)) {
                /* SQLite would wait forever reading a FIFO */
                snprintf(err, errlen,
                         "--db %s is not a regular file (accepted: --db PATH of an SQLite file; "
                         "default " AB_HISTORY_DEFAULT_DB ")",
                         path);
                r = -EINVAL;
        } else if (mode == AB_STORE_READ && !exists) {
                snprintf(err, errlen,
                         "no history database at %s (bench history add FILE.. creates it; --db "
                         "PATH names another)",
                         path);
                r = -ENOENT;
        } else {
                r = mode == AB_STORE_READ ? open_read(s, err, errlen)
                    : exists              ? open_existing(s, err, errlen)
                                          : open_new(s, err, errlen);
        }
        if (!r && mode == AB_STORE_WRITE)
                r = ab_sq_prepare(s, err, errlen);
        if (r) {
                sq_free(s);
                return r;
        }
        *out = &s->base;
        return 0;
}

/* Put the private database in place, never over one that appeared since. */
static int publish(struct ab_sq *s, char *err, size_t errlen)
{
        char wal[PATH_MAX + 64];
        /* everything into the file itself, so that the file alone is the
         * store: its log stays behind */
        int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        if (rc != SQLITE_OK)
                return ab_sq_fail(s->db, rc, s->path, "cannot write the history database", err,
                                  errlen);
        sqlite3_close(s->db);
        s->db = NULL;
        snprintf(wal, sizeof wal, "%s-wal", s->tmp);
        if (access(wal, F_OK) == 0) {
                snprintf(err, errlen,
                         "cannot write the history database %s: its log %s was not folded in",
                         s->path, wal);
                return -EIO;
        }
#ifdef RENAME_NOREPLACE
        if (renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->path, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno == EINVAL || errno == ENOSYS)
#endif
        {
                /* no RENAME_NOREPLACE here: link does not replace either */
                if (link(s->tmp, s->path) == 0)
                        return 0;
        }
        if (errno == EEXIST)
                return -EAGAIN;
        snprintf(err, errlen, "cannot create the history database %s: %s", s->path,
                 strerror(errno));
        return -errno;
}

static int sq_close(struct ab_store *base, char *err, size_t errlen)
{
        struct ab_sq *s = (struct ab_sq *)base;
        int r = 0;
        if (s->tmp && s->added) {
                for (int i = 0; i < NQ; i++) {
                        sqlite3_finalize(s->q[i]);
                        s->q[i] = NULL;
                }
                r = publish(s, err, errlen);
        }
        sq_free(s);
        return r;
}

const struct ab_store_ops ab_store_sqlite = {
    .name = "sqlite",
    .schema = schema_sql,
    .open = sq_open,
    .add = ab_sq_add,
    .load = ab_sq_load,
    .close = sq_close,
};
