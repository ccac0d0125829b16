/*
 * store_sqlite.h - inside the SQLite store: what its two files share.
 * store_sqlite.c opens, creates and closes it and calls into
 * store_sqlite_rows.c, which adds and loads rows and holds the helpers both
 * use; never the other way. Nothing outside them includes this; the rest of
 * bench history sees the store through store.h only.
 */
#ifndef AB_HISTORY_STORE_SQLITE_H
#define AB_HISTORY_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "report/history/store.h"

/* The statements add uses, prepared once per store (ab_sq_prepare). */
enum {
        Q_RUN_BY_HASH,
        Q_INS_RUN,
        Q_SEL_SERIES,
        Q_INS_SERIES,
        Q_INS_SAMPLE,
        Q_INS_FLAG,
        Q_SEL_SITE,
        Q_INS_SITE,
        Q_SET_FRAMES,
        Q_INS_SITE_RUN,
        Q_SEL_SETTINGS,
        Q_INS_SETTINGS,
        Q_INS_RUN_SETTINGS,
        NQ
};

struct ab_sq {
        struct ab_store base;
        sqlite3 *db;
        const char *path; /* as the person named it: every message says this */
        char *tmp;        /* the private database being made, or NULL */
        size_t added;     /* runs this session added */
        int version;      /* its schema: 1 (no sites), 2 (no settings) or 3; written stores
                             are 3 */
        sqlite3_stmt *q[NQ];
};

/* "WHAT PATH: SQLite's words (accepted: ...)" into err. */
void ab_sq_dberr(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen);

/* Whether rc (or db's last error) says the disk is full. */
bool ab_sq_full(sqlite3 *db, int rc);

/* "the disk is full (DIR)", DIR the directory the store is in. */
void ab_sq_full_msg(const char *path, char *buf, size_t len);

/* "WHAT PATH: the disk is full (DIR)" and -ENOSPC, or ab_sq_dberr and -EIO. */
int ab_sq_fail(sqlite3 *db, int rc, const char *path, const char *what, char *err, size_t errlen);

/* Column i of a row as text, or NULL. */
const char *ab_sq_text(sqlite3_stmt *st, int i);

/* sqlite3_exec, retried while another connection holds a lock the busy
 * handler does not wait for. */
int ab_sq_exec_retry(sqlite3 *db, const char *sql);

/* Prepare add's statements; 0 or -errno with the message in err. */
int ab_sq_prepare(struct ab_sq *s, char *err, size_t errlen);

/* The backend's add and load (store.h). */
int ab_sq_add(struct ab_store *base, const struct ab_srun *run, struct ab_sadded *res, char *err,
              size_t errlen);
int ab_sq_load(struct ab_store *base, const struct ab_hfilter *filter, unsigned what,
               struct ab_history *h, char *err, size_t errlen);

#endif
