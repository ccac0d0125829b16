/*
 * store_pg_rows.c - the PostgreSQL store's rows: adding a results file in
 * one transaction (run again after a serialization failure or a deadlock),
 * and loading the history back through the builder of history.h, the
 * values by a binary COPY (a fleet's history holds millions); and the
 * helpers store_pg.c uses too, so that calls go one way: store_pg.c ->
 * here.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report/history/store_pg.h"

/* ---- helpers --------------------------------------------------------------------- */

PGresult *ab_pg_exec(struct ab_pg *s, const char *sql, int nparams, const char *const *params)
{
        if (!nparams)
                return PQexec(s->c, sql);
        return PQexecParams(s->c, sql, nparams, NULL, params, NULL, NULL, 0);
}

bool ab_pg_ok(const PGresult *res)
{
        ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

const char *ab_pg_state(const PGresult *res)
{
        const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        return st ? st : "";
}

bool ab_pg_retryable(const PGresult *res)
{
        const char *st = ab_pg_state(res);
        return strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0;
}

/* The server's (or libpq's) words on one line. */
static void words(struct ab_pg *s, const PGresult *res, char *buf, size_t len)
{
        const char *m = res ? PQresultErrorMessage(res) : "";
        size_t n;
        if (!m || !*m)
                m = s->c ? PQerrorMessage(s->c) : "out of memory";
        snprintf(buf, len, "%s", m && *m ? m : "out of memory");
        for (char *p = buf; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        for (n = strlen(buf); n && buf[n - 1] == ' ';)
                buf[--n] = '\0';
}

int ab_pg_fail(struct ab_pg *s, const PGresult *res, const char *what, char *err, size_t errlen)
{
        char msg[768];
        words(s, res, msg, sizeof msg);
        /* disk_full, and the out-of-space family */
        if (strncmp(ab_pg_state(res), "531", 3) == 0) {
                snprintf(err, errlen, "%s %s: the database server's disk is full (%s)", what,
                         s->name, msg);
                return -ENOSPC;
        }
        snprintf(err, errlen, "%s %s: %s (" AB_PG_ACCEPTED ")", what, s->name, msg);
        return -EIO;
}

/* ---- add ----------------------------------------------------------------------- */

/* One add's state: the statement that failed is kept in bad (to tell a
 * retry from an error), numbers are formatted into num. */
struct tx {
        struct ab_pg *s;
        PGresult *bad;
        char num[4][32];
};

/* Run a statement; its result in *out (NULL: cleared), or -1 with it in
 * t->bad. */
static int q(struct tx *t, PGresult **out, const char *sql, int n, const char *const *p)
{
        PGresult *r = ab_pg_exec(t->s, sql, n, p);
        if (!ab_pg_ok(r)) {
                t->bad = r;
                return -1;
        }
        if (out)
                *out = r;
        else
                PQclear(r);
        return 0;
}

static const char *num_i(struct tx *t, int k, int64_t v)
{
        snprintf(t->num[k], sizeof t->num[k], "%" PRId64, v);
        return t->num[k];
}

static const char *num_d(struct tx *t, int k, double v)
{
        if (!isfinite(v))
                return NULL;
        snprintf(t->num[k], sizeof t->num[k], "%.17g", v);
        return t->num[k];
}

static size_t changed(const PGresult *r)
{
        return (size_t)strtoull(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* The id in the first row of a query, or 0 without a row; -1 on an error. */
static int64_t one_id(struct tx *t, const char *sql, int n, const char *const *p)
{
        PGresult *r = NULL;
        int64_t id;
        if (q(t, &r, sql, n, p))
                return -1;
        id = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
        PQclear(r);
        return id;
}

static int add_run_row(struct tx *t, const struct ab_srun *run, struct ab_sadded *res)
{
        const char *sel[] = {run->hash, run->legacy};
        const char *ins[] = {run->hash,
                             run->file,
                             run->created,
                             run->host,
                             run->rev,
                             run->tool_git,
                             run->interrupted ? "1" : "0",
                             run->added};
        static const char by_hash[] = "SELECT id FROM runs WHERE file_hash IN ($1, $2) ORDER BY "
                                      "file_hash = $1 DESC LIMIT 1";
        if ((res->run_id = one_id(t, by_hash, 2, sel)) < 0)
                return -1;
        if (res->run_id > 0) {
                res->dup = true;
                return 0;
        }
        if ((res->run_id = one_id(t,
                                  "INSERT INTO runs (file_hash, file, created, host, rev, "
                                  "tool_git, interrupted, added) VALUES ($1, $2, $3, $4, $5, $6, "
                                  "$7, $8) ON CONFLICT (file_hash) DO NOTHING RETURNING id",
                                  8, ins)) < 0)
                return -1;
        if (res->run_id == 0) {
                /* another writer added the same file a moment ago */
                res->dup = true;
                return (res->run_id = one_id(t, by_hash, 2, sel)) < 0 ? -1 : 0;
        }
        return 0;
}

/* One element of a text array literal: "..." with " and \ escaped. */
static void arr_str(FILE *f, const char *v, bool first)
{
        fputs(first ? "\"" : ",\"", f);
        for (; *v; v++) {
                if (*v == '"' || *v == '\\')
                        fputc('\\', f);
                fputc(*v, f);
        }
        fputc('"', f);
}

/* The samples as five array literals: allocator, workload, point, metric,
 * value. Returns 0 or -ENOMEM (the arrays freed). */
static int sample_arrays(const struct ab_srun *run, char *arr[5])
{
        size_t len[5];
        FILE *f[5];
        int r = 0;
        for (int k = 0; k < 5; k++) {
                arr[k] = NULL;
                f[k] = open_memstream(&arr[k], &len[k]);
                if (f[k])
                        fputc('{', f[k]);
                else
                        r = -ENOMEM;
        }
        for (size_t i = 0; !r && i < run->nsamples; i++) {
                const struct ab_ssample *v = &run->samples[i];
                arr_str(f[0], v->alloc, i == 0);
                arr_str(f[1], v->workload, i == 0);
                arr_str(f[2], v->point, i == 0);
                arr_str(f[3], v->metric, i == 0);
                fprintf(f[4], "%s%.17g", i ? "," : "", v->value);
        }
        for (int k = 0; k < 5; k++) {
                if (f[k]) {
                        fputc('}', f[k]);
                        if (fclose(f[k]) != 0)
                                r = -ENOMEM;
                }
        }
        if (r)
                for (int k = 0; k < 5; k++) {
                        free(arr[k]);
                        arr[k] = NULL;
                }
        return r;
}

/* Every value of the run in two statements: the series it lacks (in the
 * file's order, as SQLite numbers them: only those missing ask the identity
 * for a number), then the values. Another writer making one of the same
 * series at the same moment is waited for (ON CONFLICT); two that wait for
 * each other are a deadlock the server breaks, and the add runs again. */
static int add_samples(struct tx *t, const struct ab_srun *run, struct ab_sadded *res)
{
        char *arr[5];
        PGresult *r = NULL;
        int e = -1;
        if (!run->nsamples)
                return 0;
        if (sample_arrays(run, arr))
                return -ENOMEM;
        {
                const char *p[] = {run->host, arr[0], arr[1], arr[2], arr[3]};
                if (q(t, &r,
                      "INSERT INTO series (host, allocator, workload, point, metric) SELECT $1, "
                      "a, w, p, m FROM (SELECT a, w, p, m, min(o) AS o FROM unnest($2::text[], "
                      "$3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS v(a, w, p, m, o) "
                      "GROUP BY a, w, p, m) d WHERE NOT EXISTS (SELECT 1 FROM series s WHERE "
                      "s.host = $1 AND s.allocator = d.a AND s.workload = d.w AND s.metric = d.m "
                      "AND md5(s.point) = md5(d.p) AND s.point = d.p) ORDER BY o ON CONFLICT DO "
                      "NOTHING",
                      5, p))
                        goto out;
                res->new_series = changed(r);
                PQclear(r);
        }
        {
                const char *p[] = {
                    run->host, arr[0], arr[1], arr[2], arr[3], num_i(t, 0, res->run_id), arr[4]};
                if (q(t, &r,
                      "INSERT INTO samples (series_id, run_id, value) SELECT s.id, $6, v.x FROM "
                      "unnest($2::text[], $3::text[], $4::text[], $5::text[], $7::float8[]) WITH "
                      "ORDINALITY AS v(a, w, p, m, x, o) JOIN series s ON s.host = $1 AND "
                      "s.allocator = v.a AND s.workload = v.w AND s.metric = v.m AND "
                      "md5(s.point) = md5(v.p) AND s.point = v.p ORDER BY v.o ON CONFLICT DO "
                      "NOTHING",
                      7, p))
                        goto out;
                res->values = changed(r);
                PQclear(r);
        }
        e = 0;
out:
        for (int k = 0; k < 5; k++)
                free(arr[k]);
        return e;
}

static int add_flag(struct tx *t, int64_t run_id, const struct ab_sflag *f)
{
        const char *p[] = {num_i(t, 0, run_id), f->kind,  f->severity, f->alloc,
                           f->workload,         f->where, f->message};
        return q(t, NULL,
                 "INSERT INTO flags (run_id, kind, severity, allocator, workload, where_json, "
                 "message) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                 7, p);
}

/* A site and this run's sighting of it. */
static int add_site(struct tx *t, const struct ab_srun *run, int64_t run_id,
                    const struct ab_ssite *v, struct ab_sadded *res)
{
        static const char sel[] = "SELECT id FROM sites WHERE host = $1 AND allocator = $2 AND "
                                  "workload = $3 AND point = $4 AND md5(site) = md5($5) AND "
                                  "site = $5";
        const char *key[] = {run->host, v->alloc, v->workload, v->point, v->key, v->frames};
        PGresult *r = NULL;
        int64_t id = one_id(t, sel, 5, key);
        bool made = false;
        /* looked up first: only a new site asks the identity for a number */
        if (id == 0) {
                id = one_id(t,
                            "INSERT INTO sites (host, allocator, workload, point, site, frames) "
                            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
                            6, key);
                made = id > 0;
                /* another writer made it a moment ago */
                if (id == 0)
                        id = one_id(t, sel, 5, key);
        }
        if (id <= 0)
                return -1;
        if (made) {
                res->new_sites++;
        } else {
                /* the stack as the newest run saw it */
                const char *upd[] = {num_i(t, 0, id), v->frames, run->created};
                if (q(t, NULL,
                      "UPDATE sites SET frames = $2 WHERE id = $1 AND $2::text IS NOT NULL AND "
                      "NOT EXISTS (SELECT 1 FROM site_runs sr JOIN runs r ON r.id = sr.run_id "
                      "WHERE sr.site_id = $1 AND r.created > $3)",
                      3, upd))
                        return -1;
        }
        {
                const char *p[] = {num_i(t, 0, id),
                                   num_i(t, 1, run_id),
                                   v->verdict,
                                   v->verdict_new ? "1" : "0",
                                   v->note,
                                   num_d(t, 2, v->left_per_round),
                                   num_d(t, 3, v->live_end)};
                if (q(t, &r,
                      "INSERT INTO site_runs (site_id, run_id, verdict, verdict_new, note, "
                      "left_per_round, live_end) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT "
                      "DO NOTHING",
                      7, p))
                        return -1;
                res->sites += changed(r);
                PQclear(r);
        }
        return 0;
}

/* One set of the run's settings, stored once whoever had it first (looked
 * up first, so that only a new set asks the identity for a number). */
static int add_setting(struct tx *t, int64_t run_id, const struct ab_ssetting *v)
{
        const char *a[] = {v->digest, v->value};
        const char *b[] = {num_i(t, 0, run_id), v->alloc, v->workload, v->digest};
        int64_t id = one_id(t, "SELECT id FROM settings WHERE digest = $1", 1, a);
        if (id < 0 || (id == 0 && q(t, NULL,
                                    "INSERT INTO settings (digest, value) VALUES ($1, $2) ON "
                                    "CONFLICT (digest) DO NOTHING",
                                    2, a)))
                return -1;
        return q(t, NULL,
                 "INSERT INTO run_settings (run_id, allocator, workload, settings_id) SELECT $1, "
                 "$2, $3, id FROM settings WHERE digest = $4 ON CONFLICT DO NOTHING",
                 4, b);
}

/* The whole file in one transaction; -1 with the failure in t->bad. */
static int add_once(struct tx *t, const struct ab_srun *run, struct ab_sadded *res)
{
        memset(res, 0, sizeof *res);
        if (q(t, NULL, "BEGIN", 0, NULL) || add_run_row(t, run, res))
                return -1;
        if (!res->dup) {
                if (add_samples(t, run, res))
                        return -1;
                for (size_t i = 0; i < run->nflags; i++)
                        if (add_flag(t, res->run_id, &run->flags[i]))
                                return -1;
                for (size_t i = 0; i < run->nsites; i++)
                        if (add_site(t, run, res->run_id, &run->sites[i], res))
                                return -1;
                for (size_t i = 0; i < run->nsettings; i++)
                        if (add_setting(t, res->run_id, &run->settings[i]))
                                return -1;
        }
        return q(t, NULL, "COMMIT", 0, NULL);
}

int ab_pg_add(struct ab_store *base, const struct ab_srun *run, struct ab_sadded *res, char *err,
              size_t errlen)
{
        struct ab_pg *s = (struct ab_pg *)base;
        char msg[768];
        for (int attempt = 0;; attempt++) {
                struct tx t = {.s = s};
                int e;
                if (add_once(&t, run, res) == 0)
                        return 0;
                PQclear(PQexec(s->c, "ROLLBACK"));
                memset(res, 0, sizeof *res);
                /* another writer won a race: wait a little, longer each time, and
                 * not as long as the others (a hash of the process and the try) */
                if (t.bad && ab_pg_retryable(t.bad) && attempt < 40) {
                        unsigned h =
                            ((unsigned)getpid() * 2654435761u) ^ ((unsigned)attempt * 40503u);
                        struct timespec ts = {0, (long)(1 + (h >> 8) % 20) * 1000000L *
                                                     (1 + attempt / 4)};
                        PQclear(t.bad);
                        nanosleep(&ts, NULL);
                        continue;
                }
                if (PQstatus(s->c) != CONNECTION_OK) {
                        words(s, t.bad, msg, sizeof msg);
                        snprintf(err, errlen,
                                 "the connection to %s was lost (%s): if it went while "
                                 "committing, the server may have kept the file; adding it "
                                 "again adds it once",
                                 s->name, msg);
                        e = -EIO;
                } else if (!t.bad) {
                        snprintf(err, errlen, "out of memory");
                        e = -ENOMEM;
                } else {
                        e = ab_pg_fail(s, t.bad, "cannot add to", err, errlen);
                }
                PQclear(t.bad);
                return e;
        }
}

/* ---- load ---------------------------------------------------------------------- */

/* A failure while loading: the builder's own message (-EINVAL), else ours. */
static int load_fail(struct ab_pg *s, const PGresult *res, int r, char *err, size_t errlen)
{
        if (r == -EINVAL)
                return r;
        if (r == -ENOMEM) {
                snprintf(err, errlen, "out of memory reading %s", s->name);
                return r;
        }
        ab_pg_fail(s, res, "cannot read the history database", err, errlen);
        return -EIO;
}

static const char *val(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t ival(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static double dval(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? NAN : strtod(PQgetvalue(r, row, col), NULL);
}

/* Hand every row of sql to fn (a builder call). */
static int each_row(struct ab_pg *s, const char *sql, int n, const char *const *p,
                    struct ab_hbuild *b,
                    int (*fn)(struct ab_hbuild *, const PGresult *, int, char *, size_t), char *err,
                    size_t errlen)
{
        PGresult *r = ab_pg_exec(s, sql, n, p);
        int e = 0;
        if (!ab_pg_ok(r)) {
                e = load_fail(s, r, -EIO, err, errlen);
                PQclear(r);
                return e;
        }
        for (int i = 0, rows = PQntuples(r); i < rows && !e; i++)
                e = fn(b, r, i, err, errlen);
        PQclear(r);
        return e ? load_fail(s, NULL, e, err, errlen) : 0;
}

static int run_row(struct ab_hbuild *b, const PGresult *r, int i, char *err, size_t errlen)
{
        return ab_hbuild_run(b, ival(r, i, 0), val(r, i, 1), val(r, i, 2), val(r, i, 3),
                             val(r, i, 4), err, errlen);
}

static int series_row(struct ab_hbuild *b, const PGresult *r, int i, char *err, size_t errlen)
{
        return ab_hbuild_series(b, ival(r, i, 0), val(r, i, 1), val(r, i, 2), val(r, i, 3),
                                val(r, i, 4), val(r, i, 5), err, errlen);
}

static int site_row(struct ab_hbuild *b, const PGresult *r, int i, char *err, size_t errlen)
{
        return ab_hbuild_site(b, ival(r, i, 0), val(r, i, 1), val(r, i, 2), val(r, i, 3),
                              val(r, i, 4), val(r, i, 5), val(r, i, 6), err, errlen);
}

static int site_run_row(struct ab_hbuild *b, const PGresult *r, int i, char *err, size_t errlen)
{
        return ab_hbuild_site_run(b, ival(r, i, 0), ival(r, i, 1), val(r, i, 2), ival(r, i, 3) != 0,
                                  val(r, i, 4), dval(r, i, 5), dval(r, i, 6), err, errlen);
}

static int settings_row(struct ab_hbuild *b, const PGresult *r, int i, char *err, size_t errlen)
{
        return ab_hbuild_settings(b, ival(r, i, 0), val(r, i, 1), err, errlen);
}

static int run_settings_row(struct ab_hbuild *b, const PGresult *r, int i, char *err, size_t errlen)
{
        return ab_hbuild_run_settings(b, ival(r, i, 0), val(r, i, 1), val(r, i, 2), ival(r, i, 3),
                                      err, errlen);
}

/* The flags of each host's latest run (the ones the filter takes). */
static int load_flags(struct ab_pg *s, struct ab_hbuild *b, char *err, size_t errlen)
{
        const struct ab_history *h = b->h;
        char id[32];
        for (size_t i = 0; i < h->nruns; i++) {
                const char *p[] = {id};
                PGresult *r;
                int e = 0;
                if (!ab_hbuild_wants_flags(b, i))
                        continue;
                snprintf(id, sizeof id, "%" PRId64, h->runs[i].id);
                r = ab_pg_exec(s,
                               "SELECT kind, severity, allocator, workload, where_json, message "
                               "FROM flags WHERE run_id = $1 ORDER BY id",
                               1, p);
                if (!ab_pg_ok(r)) {
                        e = load_fail(s, r, -EIO, err, errlen);
                        PQclear(r);
                        return e;
                }
                for (int k = 0, n = PQntuples(r); k < n && !e; k++)
                        e = ab_hbuild_flag(b, i, val(r, k, 0), val(r, k, 1), val(r, k, 2),
                                           val(r, k, 3), val(r, k, 4), val(r, k, 5));
                PQclear(r);
                if (e)
                        return load_fail(s, NULL, e, err, errlen);
        }
        return 0;
}

/* ---- the values: COPY ... TO STDOUT (FORMAT binary) ------------------------------- */

/* The copy's bytes as a stream over libpq's messages. */
struct cstream {
        struct ab_pg *s;
        char *buf;
        size_t len, off, cap;
        bool end;
};

/* At least n bytes unread in the buffer; 0, 1 at the end of the data, or
 * -errno. */
static int need(struct cstream *c, size_t n)
{
        while (c->len - c->off < n) {
                char *data = NULL;
                int k;
                if (c->end)
                        return 1;
                if ((k = PQgetCopyData(c->s->c, &data, 0)) == -1) {
                        c->end = true;
                        continue;
                }
                if (k < 0)
                        return -EIO;
                if (c->off) { /* keep what is unread, at the front */
                        memmove(c->buf, c->buf + c->off, c->len - c->off);
                        c->len -= c->off;
                        c->off = 0;
                }
                if (c->len + (size_t)k > c->cap) {
                        size_t cap = (c->len + (size_t)k) * 2;
                        char *p = realloc(c->buf, cap);
                        if (!p) {
                                PQfreemem(data);
                                return -ENOMEM;
                        }
                        c->buf = p;
                        c->cap = cap;
                }
                memcpy(c->buf + c->len, data, (size_t)k);
                c->len += (size_t)k;
                PQfreemem(data);
        }
        return 0;
}

static uint64_t be64(const char *p)
{
        uint64_t v;
        memcpy(&v, p, 8);
        return be64toh(v);
}

static uint32_t be32(const char *p)
{
        uint32_t v;
        memcpy(&v, p, 4);
        return be32toh(v);
}

/* One row of three 8-byte fields (series_id, run_id, value) into the
 * builder; 1 at the trailer. */
static int copy_row(struct cstream *c, struct ab_hbuild *b, char *err, size_t errlen)
{
        const char *p;
        int64_t sid, rid;
        uint64_t bits;
        double v;
        int e = need(c, 2);
        if (e)
                return e > 0 ? -EIO : e; /* the data ended without its trailer */
        p = c->buf + c->off;
        if (p[0] == '\xff' && p[1] == '\xff') {
                c->off += 2;
                return 1;
        }
        if ((e = need(c, 2 + 3 * 12)))
                return e > 0 ? -EIO : e;
        p = c->buf + c->off;
        if (be32(p + 2) != 8 || be32(p + 14) != 8 || be32(p + 26) != 8)
                return -EIO;
        sid = (int64_t)be64(p + 6);
        rid = (int64_t)be64(p + 18);
        bits = be64(p + 30);
        memcpy(&v, &bits, 8);
        c->off += 2 + 3 * 12;
        return ab_hbuild_sample(b, sid, rid, v, err, errlen);
}

static int load_samples(struct ab_pg *s, struct ab_hbuild *b, char *err, size_t errlen)
{
        static const char sig[] = "PGCOPY\n\377\r\n";
        struct cstream c = {.s = s};
        PGresult *r = PQexec(s->c, "COPY samples (series_id, run_id, value) TO STDOUT (FORMAT "
                                   "binary)");
        int e = 0;
        if (PQresultStatus(r) != PGRES_COPY_OUT) {
                e = load_fail(s, r, -EIO, err, errlen);
                PQclear(r);
                return e;
        }
        PQclear(r);
        /* the header: signature, flags, extension length and extension */
        if (!(e = need(&c, 19)) && memcmp(c.buf, sig, 11) != 0)
                e = -EIO;
        if (!e) {
                uint32_t ext = be32(c.buf + 15);
                c.off = 19;
                if (!(e = need(&c, ext)))
                        c.off += ext;
        }
        while (!e)
                e = copy_row(&c, b, err, errlen);
        /* the rest of the data (after a refusal too), and the command's end */
        while (!c.end) {
                char *data = NULL;
                int k = PQgetCopyData(s->c, &data, 0);
                PQfreemem(data);
                if (k == -1) {
                        c.end = true;
                } else if (k < 0) {
                        e = e == 0 || e == 1 ? -EIO : e;
                        break;
                }
        }
        free(c.buf);
        while ((r = PQgetResult(s->c))) {
                if (e == 1 && PQresultStatus(r) != PGRES_COMMAND_OK)
                        e = load_fail(s, r, -EIO, err, errlen);
                PQclear(r);
        }
        if (e == 1)
                return 0;
        return e == -EINVAL ? e : load_fail(s, NULL, e ? e : -EIO, err, errlen);
}

int ab_pg_load(struct ab_store *base, const struct ab_hfilter *filter, unsigned what,
               struct ab_history *h, char *err, size_t errlen)
{
        struct ab_pg *s = (struct ab_pg *)base;
        struct ab_hbuild b;
        bool sites = what & AB_LOAD_SITES, settings = what & AB_LOAD_SETTINGS;
        int r;
        ab_hbuild_begin(&b, h, s->name, filter);
        if ((r = each_row(s, "SELECT id, created, rev, host, file FROM runs ORDER BY created, id",
                          0, NULL, &b, run_row, err, errlen)) ||
            (r = each_row(s, "SELECT id, host, allocator, workload, point, metric FROM series", 0,
                          NULL, &b, series_row, err, errlen)) ||
            (sites && (r = each_row(s,
                                    "SELECT id, host, allocator, workload, point, site, frames "
                                    "FROM sites",
                                    0, NULL, &b, site_row, err, errlen))) ||
            (settings && (r = each_row(s, "SELECT id, value FROM settings", 0, NULL, &b,
                                       settings_row, err, errlen))) ||
            (r = ab_hbuild_index(&b, err, errlen)) || (r = load_samples(s, &b, err, errlen)) ||
            ((what & AB_LOAD_FLAGS) && (r = load_flags(s, &b, err, errlen))) ||
            (sites && (r = each_row(s,
                                    "SELECT site_id, run_id, verdict, verdict_new, note, "
                                    "left_per_round, live_end FROM site_runs",
                                    0, NULL, &b, site_run_row, err, errlen))) ||
            (settings &&
             (r = each_row(s, "SELECT run_id, allocator, workload, settings_id FROM run_settings",
                           0, NULL, &b, run_settings_row, err, errlen))) ||
            (r = ab_hbuild_end(&b))) {
                if (r == -ENOMEM)
                        load_fail(s, NULL, r, err, errlen);
                ab_hbuild_abort(&b);
                return r;
        }
        return 0;
}
