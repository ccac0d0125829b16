/*
 * store_pg.h - inside the PostgreSQL store: what its two files share.
 * store_pg.c connects, checks and creates the schema and closes;
 * store_pg_rows.c adds and loads rows and holds the helpers both use (the
 * messages, running a statement); calls go one way, store_pg.c -> there.
 * Nothing outside them includes this; the rest of bench history sees the
 * store through store.h only.
 */
#ifndef AB_HISTORY_STORE_PG_H
#define AB_HISTORY_STORE_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "report/history/store.h"

/* The accepted forms of --db, for every message. */
#define AB_PG_ACCEPTED                                                                             \
        "accepted: --db postgresql://[USER[:PASSWORD]@][HOST][:PORT][/DBNAME][?PARAM=VALUE&...] "  \
        "(or postgres://...; a Unix socket as ?host=/run/postgresql), or the path of an SQLite "   \
        "file; default " AB_HISTORY_DEFAULT_DB " or $" AB_HISTORY_DB_ENV

struct ab_pg {
        struct ab_store base;
        PGconn *c;
        char *name;  /* the URL as the person gave it, any password hidden: every message */
        int version; /* its schema: 3 (a store this bench made) */
};

/* "WHAT NAME: the server's words (AB_PG_ACCEPTED)" into err; -EIO, or
 * -ENOSPC when the server's disk is full. res may be NULL (the
 * connection's error then). */
int ab_pg_fail(struct ab_pg *s, const PGresult *res, const char *what, char *err, size_t errlen);

/* The SQLSTATE of a failed result ("" when none). */
const char *ab_pg_state(const PGresult *res);

/* Whether a failed transaction may simply be run again: a serialization
 * failure or a deadlock another writer caused. */
bool ab_pg_retryable(const PGresult *res);

/* Run sql with nparams text parameters (NULL for SQL NULL); the result, to
 * PQclear, whatever its status (NULL only when out of memory). */
PGresult *ab_pg_exec(struct ab_pg *s, const char *sql, int nparams, const char *const *params);

/* Whether res is a success (PGRES_COMMAND_OK or PGRES_TUPLES_OK). */
bool ab_pg_ok(const PGresult *res);

/* The backend's add and load (store.h). */
int ab_pg_add(struct ab_store *base, const struct ab_srun *run, struct ab_sadded *res, char *err,
              size_t errlen);
int ab_pg_load(struct ab_store *base, const struct ab_hfilter *filter, unsigned what,
               struct ab_history *h, char *err, size_t errlen);

#endif
