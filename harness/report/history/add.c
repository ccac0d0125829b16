/*
 * add.c - `bench history add`: each results file is read once into its view
 * (doc/doc.h), its identity hashed from its canonical form (canon.h), and
 * the figures history tracks (doc/metrics.def, tracked 1) of every ok point
 * handed to the store (store.h) as rows.
 *
 * A null figure, a negative one (none of them can be; add says so on
 * stderr), and every figure of a point whose status is not ok, is not
 * stored. The lines saying what was added are printed once the store has
 * kept it, so that they never report an add that a failure undid.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "doc/doc.h"
#include "report/history/add.h"
#include "report/history/canon.h"
#include "report/history/store.h"

/* One results file, read and turned into what the store keeps. Its view is
 * freed once the rows are made (every file is read before the store is
 * opened: a thousand views at once would be a thousand JSON trees), so the
 * rows' strings are copies the record owns. */
struct rec {
        const char *path; /* as given */
        char hash[AB_HASH_HEX], legacy[AB_HASH_HEX];
        char real[PATH_MAX];
        const char *created, *host, *tool_git;
        bool interrupted;
        char **own; /* the strings below point into these */
        size_t nown, capown;
        struct ab_ssample *v;
        size_t nv, skipped_points;
        struct ab_sflag *flags;
        size_t nflags;
        size_t negative;    /* negative figures, not stored */
        char neg_what[640]; /* the first of them */
        struct ab_sadded res;
        int failed; /* 0, or the store's -errno */
        char err[1024];
};

/* A copy of s the record owns (NULL for NULL, and for "" when empty_null);
 * *oom set when there is no memory for it. */
static const char *keep(struct rec *rc, const char *s, bool empty_null, bool *oom)
{
        char *c;
        if (!s || (empty_null && !*s))
                return NULL;
        if (rc->nown == rc->capown) {
                size_t cap = rc->capown ? 2 * rc->capown : 64;
                char **p = realloc(rc->own, cap * sizeof *p);
                if (!p) {
                        *oom = true;
                        return "";
                }
                rc->own = p;
                rc->capown = cap;
        }
        if (!(c = strdup(s))) {
                *oom = true;
                return "";
        }
        return rc->own[rc->nown++] = c;
}

/* The tracked figures of every ok point. */
static int rows(struct rec *rc, const struct ab_doc *d)
{
        size_t cap = 0;
        bool oom = false;
        for (size_t i = 0; i < d->nruns; i++)
                for (size_t j = 0; j < d->runs[i].npoints; j++)
                        cap += AB_M_COUNT;
        if (!(rc->v = calloc(cap + 1, sizeof *rc->v)))
                return -ENOMEM;
        for (size_t i = 0; i < d->nruns; i++) {
                const struct ab_vrun *r = &d->runs[i];
                const char *alloc = keep(rc, r->alloc, false, &oom),
                           *wl = keep(rc, r->workload_id, false, &oom);
                for (size_t j = 0; j < r->npoints; j++) {
                        const struct ab_vpoint *p = &r->points[j];
                        const char *label;
                        if (!p->ok) {
                                rc->skipped_points++;
                                continue;
                        }
                        label = keep(rc, p->label, false, &oom);
                        for (int m = 0; m < AB_M_COUNT; m++) {
                                double x = p->m[m];
                                if (!ab_metrics[m].tracked || !isfinite(x))
                                        continue;
                                /* a time, a size or a fault count is never
                                 * negative, and every figure is tested on a
                                 * log scale */
                                if (x < 0) {
                                        if (!rc->negative++)
                                                snprintf(rc->neg_what, sizeof rc->neg_what,
                                                         "%.60s %.200s %.60s %s = %g", r->alloc, r->workload_id,
                                                         p->label, ab_metrics[m].key, x);
                                        continue;
                                }
                                rc->v[rc->nv++] =
                                    (struct ab_ssample){alloc, wl, label, ab_metrics[m].key, x};
                        }
                }
        }
        return oom ? -ENOMEM : 0;
}

/* The detectors' flags; where as compact JSON with sorted keys. */
static int flag_rows(struct rec *rc, const struct ab_doc *d)
{
        bool oom = false;
        if (!(rc->flags = calloc(d->nflags + 1, sizeof *rc->flags)))
                return -ENOMEM;
        for (size_t i = 0; i < d->nflags; i++, rc->nflags++) {
                const struct ab_vflag *f = &d->flags[i];
                struct ab_sflag *o = &rc->flags[i];
                char *where =
                    f->where ? json_dumps(f->where, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
                             : NULL;
                o->kind = keep(rc, f->kind, false, &oom);
                o->severity = keep(rc, f->severity, false, &oom);
                o->alloc = keep(rc, f->allocator, true, &oom);
                o->workload = keep(rc, f->workload_id, true, &oom);
                o->message = keep(rc, f->message, true, &oom);
                o->where = keep(rc, where, false, &oom);
                oom |= f->where && !where;
                free(where);
        }
        return oom ? -ENOMEM : 0;
}

/* Read and check one file, and turn it into rows. Returns 0, or
 * AB_BAD_INPUT with the message printed. */
static int prepare(struct rec *rc)
{
        struct ab_doc d;
        char err[1024];
        bool oom = false;
        int ret = AB_OK;
        if (ab_doc_load(rc->path, &d, err, sizeof err)) {
                ab_err("history", "%s", err);
                return AB_BAD_INPUT;
        }
        if (!d.created || !d.host.hostname) {
                ab_err("history",
                       "%s: lacks \"created\" or \"host.hostname\" (accepted: a results file "
                       "written by bench run)",
                       rc->path);
                ret = AB_BAD_INPUT;
                goto out;
        }
        rc->created = keep(rc, d.created, false, &oom);
        rc->host = keep(rc, d.host.hostname, false, &oom);
        rc->tool_git = keep(rc, d.tool_git, false, &oom);
        rc->interrupted = d.interrupted;
        if (oom || ab_canon_hash(d.json, rc->hash, rc->legacy) || rows(rc, &d) ||
            flag_rows(rc, &d)) {
                ab_err("history", "out of memory");
                ret = AB_BAD_INPUT;
                goto out;
        }
        if (!realpath(rc->path, rc->real))
                snprintf(rc->real, sizeof rc->real, "%s", rc->path);
out:
        ab_doc_free(&d);
        return ret;
}

static void rec_free(struct rec *rc)
{
        for (size_t i = 0; i < rc->nown; i++)
                free(rc->own[i]);
        free(rc->own);
        free(rc->flags);
        free(rc->v);
}

/* One pass over the store: open, add every file, close. Returns 0, or
 * -EAGAIN when the store appeared under this pass (add again), or another
 * -errno with the message printed. */
static int add_pass(const char *db, const char *rev, struct rec *recs, int n)
{
        struct ab_store *s;
        char now[32], err[1024];
        time_t t = time(NULL);
        struct tm tm;
        int r;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if ((r = ab_store_open(db, AB_STORE_WRITE, &s, err, sizeof err))) {
                ab_err("history", "%s", err);
                return r;
        }
        for (int i = 0; i < n; i++) {
                struct rec *rc = &recs[i];
                struct ab_srun run = {
                    .hash = rc->hash,
                    .legacy = rc->legacy,
                    .file = rc->real,
                    .created = rc->created,
                    .host = rc->host,
                    .rev = rev,
                    .tool_git = rc->tool_git,
                    .added = now,
                    .interrupted = rc->interrupted,
                    .samples = rc->v,
                    .nsamples = rc->nv,
                    .flags = rc->flags,
                    .nflags = rc->nflags,
                };
                rc->failed = ab_store_add(s, &run, &rc->res, rc->err, sizeof rc->err);
        }
        r = ab_store_close(s, err, sizeof err);
        if (r && r != -EAGAIN)
                ab_err("history", "%s", err);
        return r;
}

/* What happened to each file, in order. */
static int report(const char *db, const char *rev, const struct rec *recs, int n)
{
        int ret = AB_OK;
        for (int i = 0; i < n; i++) {
                const struct rec *rc = &recs[i];
                const struct ab_sadded *a = &rc->res;
                if (rc->failed) {
                        ab_err("history", "adding %s to %s failed: %s; nothing of it was added",
                               rc->path, db, rc->err);
                        ret = AB_BAD_INPUT;
                        continue;
                }
                if (a->dup) {
                        printf("%s: already in the history as run %lld (the same results); "
                               "nothing added\n",
                               rc->path, (long long)a->run_id);
                        continue;
                }
                printf("added %s as run %lld (%s, %s%s%s): %zu values, %zu new series", rc->path,
                       (long long)a->run_id, rc->host, rc->created, rev ? ", rev " : "",
                       rev ? rev : "", a->values, a->new_series);
                if (rc->skipped_points)
                        printf(" (%zu points not ok, not stored)", rc->skipped_points);
                if (rc->negative)
                        printf(" (%zu negative value%s, not stored)", rc->negative,
                               rc->negative == 1 ? "" : "s");
                printf("\n");
                if (rc->negative)
                        ab_err("history",
                               "%s: %zu negative value%s not stored (a time, a size or a fault "
                               "count cannot be negative), the first: %s",
                               rc->path, rc->negative, rc->negative == 1 ? "" : "s", rc->neg_what);
        }
        return ret;
}

int ab_hadd(const char *db, bool default_db, const char *rev, char **files, int n)
{
        struct rec *recs = calloc((size_t)n, sizeof *recs);
        int ret = AB_OK, r = -EAGAIN;
        if (!recs) {
                ab_err("history", "out of memory");
                return AB_BAD_INPUT;
        }
        /* every file is checked before the store is touched */
        for (int i = 0; i < n && ret == AB_OK; i++) {
                recs[i].path = files[i];
                ret = prepare(&recs[i]);
        }
        if (ret != AB_OK)
                goto out;
        if (default_db)
                mkdir("results", 0777);
        /* a second pass only when another writer created the store while
         * this one was making it: then it exists, and the next pass adds
         * into it */
        for (int pass = 0; pass < 3 && r == -EAGAIN; pass++)
                r = add_pass(db, rev, recs, n);
        if (r == -EAGAIN)
                ab_err("history",
                       "%s: other writers kept creating it while this add did; nothing was added "
                       "(accepted: run bench history add again)",
                       db);
        ret = r ? AB_BAD_INPUT : report(db, rev, recs, n);
out:
        for (int i = 0; i < n; i++)
                rec_free(&recs[i]);
        free(recs);
        return ret;
}
