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

/* One results file, read and turned into what the store keeps. */
struct rec {
        const char *path; /* as given */
        struct ab_doc d;
        char hash[AB_HASH_HEX], legacy[AB_HASH_HEX];
        char real[PATH_MAX];
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

static const char *or_null(const char *s)
{
        return s && *s ? s : NULL;
}

/* The tracked figures of every ok point. */
static int rows(struct rec *rc)
{
        const struct ab_doc *d = &rc->d;
        size_t cap = 0;
        for (size_t i = 0; i < d->nruns; i++)
                for (size_t j = 0; j < d->runs[i].npoints; j++)
                        cap += AB_M_COUNT;
        if (!(rc->v = calloc(cap + 1, sizeof *rc->v)))
                return -ENOMEM;
        for (size_t i = 0; i < d->nruns; i++) {
                const struct ab_vrun *r = &d->runs[i];
                for (size_t j = 0; j < r->npoints; j++) {
                        const struct ab_vpoint *p = &r->points[j];
                        if (!p->ok) {
                                rc->skipped_points++;
                                continue;
                        }
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
                                                         "%s %s %s %s = %g", r->alloc, r->workload,
                                                         p->label, ab_metrics[m].key, x);
                                        continue;
                                }
                                rc->v[rc->nv++] = (struct ab_ssample){
                                    r->alloc, r->workload, p->label, ab_metrics[m].key, x};
                        }
                }
        }
        return 0;
}

/* The detectors' flags; where as compact JSON with sorted keys. */
static int flag_rows(struct rec *rc)
{
        const struct ab_doc *d = &rc->d;
        if (!(rc->flags = calloc(d->nflags + 1, sizeof *rc->flags)))
                return -ENOMEM;
        for (size_t i = 0; i < d->nflags; i++, rc->nflags++) {
                const struct ab_vflag *f = &d->flags[i];
                struct ab_sflag *o = &rc->flags[i];
                o->kind = f->kind;
                o->severity = f->severity;
                o->alloc = or_null(f->allocator);
                o->workload = or_null(f->workload);
                o->message = or_null(f->message);
                o->where =
                    f->where ? json_dumps(f->where, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
                             : NULL;
                if (f->where && !o->where)
                        return -ENOMEM;
        }
        return 0;
}

/* Read and check one file. Returns 0, or AB_BAD_INPUT with the message
 * printed. */
static int prepare(struct rec *rc)
{
        char err[1024];
        if (ab_doc_load(rc->path, &rc->d, err, sizeof err)) {
                ab_err("history", "%s", err);
                return AB_BAD_INPUT;
        }
        if (!rc->d.created || !rc->d.host.hostname) {
                ab_err("history",
                       "%s: lacks \"created\" or \"host.hostname\" (accepted: a results file "
                       "written by bench run)",
                       rc->path);
                return AB_BAD_INPUT;
        }
        if (ab_canon_hash(rc->d.json, rc->hash, rc->legacy) || rows(rc) || flag_rows(rc)) {
                ab_err("history", "out of memory");
                return AB_BAD_INPUT;
        }
        if (!realpath(rc->path, rc->real))
                snprintf(rc->real, sizeof rc->real, "%s", rc->path);
        return 0;
}

static void rec_free(struct rec *rc)
{
        for (size_t i = 0; i < rc->nflags; i++)
                free((char *)rc->flags[i].where);
        free(rc->flags);
        free(rc->v);
        ab_doc_free(&rc->d);
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
                    .created = rc->d.created,
                    .host = rc->d.host.hostname,
                    .rev = rev,
                    .tool_git = rc->d.tool_git,
                    .added = now,
                    .interrupted = rc->d.interrupted,
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
                       (long long)a->run_id, rc->d.host.hostname, rc->d.created,
                       rev ? ", rev " : "", rev ? rev : "", a->values, a->new_series);
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
