/*
 * store.c - which backend holds a history, and the calls through it
 * (store.h): a connection URL (postgresql://..., postgres://...) is a
 * PostgreSQL database (store_pg.c), anything else the path of an SQLite
 * file (store_sqlite.c).
 */
#include <stdlib.h>
#include <string.h>

#include "report/history/store.h"

const struct ab_store_ops *ab_store_for(const char *where)
{
        if (ab_store_is_url(where))
                return &ab_store_pg;
        return &ab_store_sqlite;
}

int ab_store_open(const char *where, enum ab_store_mode mode, struct ab_store **out, char *err,
                  size_t errlen)
{
        *out = NULL;
        return ab_store_for(where)->open(where, mode, out, err, errlen);
}

int ab_store_add(struct ab_store *s, const struct ab_srun *run, struct ab_sadded *res, char *err,
                 size_t errlen)
{
        return s->ops->add(s, run, res, err, errlen);
}

int ab_store_load(struct ab_store *s, const struct ab_hfilter *filter, unsigned what,
                  struct ab_history *h, char *err, size_t errlen)
{
        return s->ops->load(s, filter, what, h, err, errlen);
}

int ab_store_close(struct ab_store *s, char *err, size_t errlen)
{
        return s ? s->ops->close(s, err, errlen) : 0;
}
