/*
 * store_sqlite_rows.c - the SQLite store's rows: adding a results file in
 * one transaction, and loading the history back through the builder of
 * history.h; and the few helpers store_sqlite.c uses too (messages, a full
 * disk, retries), so that calls go one way: store_sqlite.c -> here.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/history/store_sqlite.h"

/* ---- messages ---------------------------------------------------------------- */

void ab_sq_dberr(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
        snprintf(err, errlen,
                 "%s %s: %s (accepted: --db PATH, an SQLite file bench history add can create "
                 "and write; default " AB_HISTORY_DEFAULT_DB ")",
                 what, path, db ? sqlite3_errmsg(db) : "out of memory");
}

/* SQLite says a full disk as SQLITE_FULL, or as an I/O error of a file it
 * could not grow (the -shm of a WAL database), with errno ENOSPC. */
bool ab_sq_full(sqlite3 *db, int rc)
{
        int e = db ? sqlite3_system_errno(db) : 0;
        return (rc & 0xff) == SQLITE_FULL ||
               (db && (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL) || e == ENOSPC ||
               e == EDQUOT;
}

/* "the disk is full (DIR)", DIR the directory the store is in. */
void ab_sq_full_msg(const char *path, char *buf, size_t len)
{
        const char *slash = strrchr(path, '/');
        if (!slash)
                snprintf(buf, len, "the disk is full (.)");
        else
                snprintf(buf, len, "the disk is full (%.*s)",
                         slash == path ? 1 : (int)(slash - path), path);
}

/* What went wrong with db: the full disk, or SQLite's words. -ENOSPC or -EIO. */
int ab_sq_fail(sqlite3 *db, int rc, const char *path, const char *what, char *err, size_t errlen)
{
        char full[PATH_MAX + 32];
        if (ab_sq_full(db, rc)) {
                ab_sq_full_msg(path, full, sizeof full);
                snprintf(err, errlen, "%s %s: %s", what, path, full);
                return -ENOSPC;
        }
        ab_sq_dberr(db, path, what, err, errlen);
        return -EIO;
}

const char *ab_sq_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? (const char *)t : NULL;
}

/* Run sql, retrying while another connection holds a lock the busy handler
 * does not wait for (changing the journal mode of a new database). */
int ab_sq_exec_retry(sqlite3 *db, const char *sql)
{
        int rc = SQLITE_OK;
        for (int i = 0; i < 6000; i++) {
                rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
                if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                        return rc;
                usleep(10000);
        }
        return rc;
}

static const char *const add_sql[NQ] = {
    "SELECT id FROM runs WHERE file_hash IN (?1, ?2) ORDER BY file_hash = ?1 DESC LIMIT 1",
    "INSERT INTO runs (file_hash, file, created, host, rev, tool_git, interrupted, added) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "SELECT id FROM series WHERE host = ?1 AND allocator = ?2 AND workload = ?3 AND "
    "point = ?4 AND metric = ?5",
    "INSERT INTO series (host, allocator, workload, point, metric) VALUES (?1, ?2, ?3, ?4, "
    "?5)",
    "INSERT OR IGNORE INTO samples (series_id, run_id, value) VALUES (?1, ?2, ?3)",
    "INSERT INTO flags (run_id, kind, severity, allocator, workload, where_json, message) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "SELECT id FROM sites WHERE host = ?1 AND allocator = ?2 AND workload = ?3 AND point = ?4 "
    "AND site = ?5",
    "INSERT INTO sites (host, allocator, workload, point, site, frames) VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6)",
    /* the stack as the newest run saw it: a file added late, of an older
     * day, leaves the stack alone */
    "UPDATE sites SET frames = ?2 WHERE id = ?1 AND ?2 IS NOT NULL AND NOT EXISTS (SELECT 1 "
    "FROM site_runs sr JOIN runs r ON r.id = sr.run_id WHERE sr.site_id = ?1 AND r.created > "
    "?3)",
    "INSERT OR IGNORE INTO site_runs (site_id, run_id, verdict, verdict_new, note, "
    "left_per_round, live_end) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "SELECT id FROM settings WHERE digest = ?1",
    "INSERT INTO settings (digest, value) VALUES (?1, ?2)",
    "INSERT OR IGNORE INTO run_settings (run_id, allocator, workload, settings_id) VALUES (?1, "
    "?2, ?3, ?4)",
};

int ab_sq_prepare(struct ab_sq *s, char *err, size_t errlen)
{
        for (int i = 0; i < NQ; i++)
                if (sqlite3_prepare_v2(s->db, add_sql[i], -1, &s->q[i], NULL) != SQLITE_OK)
                        return ab_sq_fail(s->db, SQLITE_ERROR, s->path,
                                          "cannot use the history database", err, errlen);
        return 0;
}

/* ---- add --------------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
        if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

/* Step a statement that returns no row (or one id): the id, 0 without a
 * row, or -1 on an error (its code in *rc). */
static int64_t step_id(sqlite3_stmt *st, int *rc)
{
        int64_t id;
        *rc = sqlite3_step(st);
        id = *rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return *rc == SQLITE_ROW || *rc == SQLITE_DONE ? id : -1;
}

/* The run's row; res->dup when its hash is there already. */
static int add_run_row(struct ab_sq *s, const struct ab_srun *run, struct ab_sadded *res, int *rc)
{
        sqlite3_stmt *q = s->q[Q_RUN_BY_HASH];
        bind_text(q, 1, run->hash);
        bind_text(q, 2, run->legacy);
        if ((res->run_id = step_id(q, rc)) < 0)
                return -1;
        if (res->run_id > 0) {
                res->dup = true;
                return 0;
        }
        q = s->q[Q_INS_RUN];
        bind_text(q, 1, run->hash);
        bind_text(q, 2, run->file);
        bind_text(q, 3, run->created);
        bind_text(q, 4, run->host);
        bind_text(q, 5, run->rev);
        bind_text(q, 6, run->tool_git);
        sqlite3_bind_int(q, 7, run->interrupted);
        bind_text(q, 8, run->added);
        if (step_id(q, rc) < 0)
                return -1;
        res->run_id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

static int add_sample(struct ab_sq *s, const char *host, int64_t run_id, const struct ab_ssample *v,
                      struct ab_sadded *res, int *rc)
{
        int64_t sid;
        for (int k = Q_SEL_SERIES; k <= Q_INS_SERIES; k++) {
                bind_text(s->q[k], 1, host);
                bind_text(s->q[k], 2, v->alloc);
                bind_text(s->q[k], 3, v->workload);
                bind_text(s->q[k], 4, v->point);
                bind_text(s->q[k], 5, v->metric);
        }
        sid = step_id(s->q[Q_SEL_SERIES], rc);
        if (sid < 0)
                return -1;
        if (sid == 0) {
                if (step_id(s->q[Q_INS_SERIES], rc) < 0)
                        return -1;
                sid = sqlite3_last_insert_rowid(s->db);
                res->new_series++;
        } else {
                sqlite3_clear_bindings(s->q[Q_INS_SERIES]);
        }
        sqlite3_bind_int64(s->q[Q_INS_SAMPLE], 1, sid);
        sqlite3_bind_int64(s->q[Q_INS_SAMPLE], 2, run_id);
        sqlite3_bind_double(s->q[Q_INS_SAMPLE], 3, v->value);
        if (step_id(s->q[Q_INS_SAMPLE], rc) < 0)
                return -1;
        res->values += (size_t)sqlite3_changes(s->db);
        return 0;
}

static int add_flag(struct ab_sq *s, int64_t run_id, const struct ab_sflag *f, int *rc)
{
        sqlite3_stmt *q = s->q[Q_INS_FLAG];
        sqlite3_bind_int64(q, 1, run_id);
        bind_text(q, 2, f->kind);
        bind_text(q, 3, f->severity);
        bind_text(q, 4, f->alloc);
        bind_text(q, 5, f->workload);
        bind_text(q, 6, f->where);
        bind_text(q, 7, f->message);
        return step_id(q, rc) < 0 ? -1 : 0;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
        if (isfinite(v))
                sqlite3_bind_double(st, i, v);
        else
                sqlite3_bind_null(st, i);
}

/* A site and this run's sighting of it. */
static int add_site(struct ab_sq *s, const struct ab_srun *run, int64_t run_id,
                    const struct ab_ssite *v, struct ab_sadded *res, int *rc)
{
        sqlite3_stmt *q;
        int64_t id;
        for (int k = Q_SEL_SITE; k <= Q_INS_SITE; k++) {
                bind_text(s->q[k], 1, run->host);
                bind_text(s->q[k], 2, v->alloc);
                bind_text(s->q[k], 3, v->workload);
                bind_text(s->q[k], 4, v->point);
                bind_text(s->q[k], 5, v->key);
        }
        bind_text(s->q[Q_INS_SITE], 6, v->frames);
        if ((id = step_id(s->q[Q_SEL_SITE], rc)) < 0)
                return -1;
        if (id == 0) {
                if (step_id(s->q[Q_INS_SITE], rc) < 0)
                        return -1;
                id = sqlite3_last_insert_rowid(s->db);
                res->new_sites++;
        } else {
                sqlite3_clear_bindings(s->q[Q_INS_SITE]);
                q = s->q[Q_SET_FRAMES];
                sqlite3_bind_int64(q, 1, id);
                bind_text(q, 2, v->frames);
                bind_text(q, 3, run->created);
                if (step_id(q, rc) < 0)
                        return -1;
        }
        q = s->q[Q_INS_SITE_RUN];
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, run_id);
        bind_text(q, 3, v->verdict);
        sqlite3_bind_int(q, 4, v->verdict_new);
        bind_text(q, 5, v->note);
        bind_real(q, 6, v->left_per_round);
        bind_real(q, 7, v->live_end);
        if (step_id(q, rc) < 0)
                return -1;
        res->sites += (size_t)sqlite3_changes(s->db);
        return 0;
}

/* One set of the run's settings, stored once whoever had it before. */
static int add_setting(struct ab_sq *s, int64_t run_id, const struct ab_ssetting *v, int *rc)
{
        sqlite3_stmt *q = s->q[Q_SEL_SETTINGS];
        int64_t id;
        bind_text(q, 1, v->digest);
        if ((id = step_id(q, rc)) < 0)
                return -1;
        if (id == 0) {
                q = s->q[Q_INS_SETTINGS];
                bind_text(q, 1, v->digest);
                bind_text(q, 2, v->value);
                if (step_id(q, rc) < 0)
                        return -1;
                id = sqlite3_last_insert_rowid(s->db);
        }
        q = s->q[Q_INS_RUN_SETTINGS];
        sqlite3_bind_int64(q, 1, run_id);
        bind_text(q, 2, v->alloc);
        bind_text(q, 3, v->workload);
        sqlite3_bind_int64(q, 4, id);
        return step_id(q, rc) < 0 ? -1 : 0;
}

int ab_sq_add(struct ab_store *base, const struct ab_srun *run, struct ab_sadded *res, char *err,
              size_t errlen)
{
        struct ab_sq *s = (struct ab_sq *)base;
        char full[PATH_MAX + 32];
        int rc = SQLITE_OK;
        memset(res, 0, sizeof *res);
        if ((rc = ab_sq_exec_retry(s->db, "BEGIN IMMEDIATE")) != SQLITE_OK ||
            add_run_row(s, run, res, &rc))
                goto fail;
        for (size_t i = 0; !res->dup && i < run->nsamples; i++)
                if (add_sample(s, run->host, res->run_id, &run->samples[i], res, &rc))
                        goto fail;
        for (size_t i = 0; !res->dup && i < run->nflags; i++)
                if (add_flag(s, res->run_id, &run->flags[i], &rc))
                        goto fail;
        for (size_t i = 0; !res->dup && i < run->nsites; i++)
                if (add_site(s, run, res->run_id, &run->sites[i], res, &rc))
                        goto fail;
        for (size_t i = 0; !res->dup && i < run->nsettings; i++)
                if (add_setting(s, res->run_id, &run->settings[i], &rc))
                        goto fail;
        if ((rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
                goto fail;
        s->added += !res->dup;
        return 0;
fail:
        if (ab_sq_full(s->db, rc)) {
                ab_sq_full_msg(s->path, full, sizeof full);
                snprintf(err, errlen, "%s", full);
        } else {
                snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
        }
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        memset(res, 0, sizeof *res);
        return ab_sq_full(s->db, rc) ? -ENOSPC : -EIO;
}

/* ---- load -------------------------------------------------------------------- */

/* A failure while loading: the builder's own message (-EINVAL), else ours. */
static int load_fail(struct ab_sq *s, int r, char *err, size_t errlen)
{
        if (r == -EINVAL)
                return r;
        if (r == -ENOMEM)
                ab_sq_dberr(s->db, s->path, "out of memory reading", err, errlen);
        else
                ab_sq_dberr(s->db, s->path, "cannot read the history database", err, errlen);
        return r ? r : -EIO;
}

/* Hand every row of sql to fn (a builder call). */
static int each_row(struct ab_sq *s, const char *sql, struct ab_hbuild *b,
                    int (*fn)(struct ab_hbuild *, sqlite3_stmt *, char *, size_t), char *err,
                    size_t errlen)
{
        sqlite3_stmt *st = NULL;
        int rc, r = -EIO;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
                return load_fail(s, r, err, errlen);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                if ((r = fn(b, st, err, errlen)))
                        break;
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE)
                return 0;
        return load_fail(s, rc == SQLITE_ROW ? r : -EIO, err, errlen);
}

static int run_row(struct ab_hbuild *b, sqlite3_stmt *st, char *err, size_t errlen)
{
        return ab_hbuild_run(b, sqlite3_column_int64(st, 0), ab_sq_text(st, 1), ab_sq_text(st, 2),
                             ab_sq_text(st, 3), ab_sq_text(st, 4), err, errlen);
}

static int series_row(struct ab_hbuild *b, sqlite3_stmt *st, char *err, size_t errlen)
{
        return ab_hbuild_series(b, sqlite3_column_int64(st, 0), ab_sq_text(st, 1),
                                ab_sq_text(st, 2), ab_sq_text(st, 3), ab_sq_text(st, 4),
                                ab_sq_text(st, 5), err, errlen);
}

static int sample_row(struct ab_hbuild *b, sqlite3_stmt *st, char *err, size_t errlen)
{
        return ab_hbuild_sample(b, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                sqlite3_column_double(st, 2), err, errlen);
}

/* The flags of each host's latest run (the ones the filter takes). */
static int load_flags(struct ab_sq *s, struct ab_hbuild *b, char *err, size_t errlen)
{
        const struct ab_history *h = b->h;
        sqlite3_stmt *st = NULL;
        int rc = SQLITE_DONE, r = 0;
        if (sqlite3_prepare_v2(s->db,
                               "SELECT kind, severity, allocator, workload, where_json, message "
                               "FROM flags WHERE run_id = ?1 ORDER BY rowid",
                               -1, &st, NULL) != SQLITE_OK)
                return load_fail(s, -EIO, err, errlen);
        for (size_t i = 0; i < h->nruns && !r && rc == SQLITE_DONE; i++) {
                if (!ab_hbuild_wants_flags(b, i))
                        continue;
                sqlite3_bind_int64(st, 1, h->runs[i].id);
                while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW)
                        r = ab_hbuild_flag(b, i, ab_sq_text(st, 0), ab_sq_text(st, 1),
                                           ab_sq_text(st, 2), ab_sq_text(st, 3), ab_sq_text(st, 4),
                                           ab_sq_text(st, 5));
                sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        if (r || (rc != SQLITE_DONE && rc != SQLITE_ROW))
                return load_fail(s, r ? r : -EIO, err, errlen);
        return 0;
}

static int site_row(struct ab_hbuild *b, sqlite3_stmt *st, char *err, size_t errlen)
{
        return ab_hbuild_site(b, sqlite3_column_int64(st, 0), ab_sq_text(st, 1), ab_sq_text(st, 2),
                              ab_sq_text(st, 3), ab_sq_text(st, 4), ab_sq_text(st, 5),
                              ab_sq_text(st, 6), err, errlen);
}

/* A column that may be NULL as a number (NAN for NULL). */
static double real_or_nan(sqlite3_stmt *st, int i)
{
        return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int site_run_row(struct ab_hbuild *b, sqlite3_stmt *st, char *err, size_t errlen)
{
        return ab_hbuild_site_run(b, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                  ab_sq_text(st, 2), sqlite3_column_int(st, 3) != 0,
                                  ab_sq_text(st, 4), real_or_nan(st, 5), real_or_nan(st, 6), err,
                                  errlen);
}

static int settings_row(struct ab_hbuild *b, sqlite3_stmt *st, char *err, size_t errlen)
{
        return ab_hbuild_settings(b, sqlite3_column_int64(st, 0), ab_sq_text(st, 1), err, errlen);
}

static int run_settings_row(struct ab_hbuild *b, sqlite3_stmt *st, char *err, size_t errlen)
{
        return ab_hbuild_run_settings(b, sqlite3_column_int64(st, 0), ab_sq_text(st, 1),
                                      ab_sq_text(st, 2), sqlite3_column_int64(st, 3), err, errlen);
}

int ab_sq_load(struct ab_store *base, const struct ab_hfilter *filter, unsigned what,
               struct ab_history *h, char *err, size_t errlen)
{
        struct ab_sq *s = (struct ab_sq *)base;
        struct ab_hbuild b;
        /* a store of /1 has no sites to read */
        bool sites = (what & AB_LOAD_SITES) && s->version >= 2;
        bool settings = (what & AB_LOAD_SETTINGS) && s->version >= 3;
        int r;
        ab_hbuild_begin(&b, h, s->path, filter);
        if ((r = each_row(s, "SELECT id, created, rev, host, file FROM runs ORDER BY created, id",
                          &b, run_row, err, errlen)) ||
            (r = each_row(s, "SELECT id, host, allocator, workload, point, metric FROM series", &b,
                          series_row, err, errlen)) ||
            (sites && (r = each_row(s,
                                    "SELECT id, host, allocator, workload, point, site, frames "
                                    "FROM sites",
                                    &b, site_row, err, errlen))) ||
            (settings &&
             (r = each_row(s, "SELECT id, value FROM settings", &b, settings_row, err, errlen))) ||
            (r = ab_hbuild_index(&b, err, errlen)) ||
            (r = each_row(s, "SELECT series_id, run_id, value FROM samples", &b, sample_row, err,
                          errlen)) ||
            ((what & AB_LOAD_FLAGS) && (r = load_flags(s, &b, err, errlen))) ||
            (sites && (r = each_row(s,
                                    "SELECT site_id, run_id, verdict, verdict_new, note, "
                                    "left_per_round, live_end FROM site_runs",
                                    &b, site_run_row, err, errlen))) ||
            (settings &&
             (r = each_row(s, "SELECT run_id, allocator, workload, settings_id FROM run_settings",
                           &b, run_settings_row, err, errlen))) ||
            (r = ab_hbuild_end(&b))) {
                if (r == -ENOMEM)
                        load_fail(s, r, err, errlen);
                ab_hbuild_abort(&b);
                return r;
        }
        return 0;
}
