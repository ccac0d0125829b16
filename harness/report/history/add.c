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
 *
 * Each allocation site of a traced run (bench run --trace) is stored with
 * what the run said of it (its verdict and note, its left-over per round
 * and live bytes at the end: its verdict history), and those two figures
 * as series of their own, the site's key in place of a point's label
 * (ab_hsite_label), so that check finds changes in them as in any series.
 * The sites of a trace pass that did not go well (crashed, timed out,
 * incomplete) saw part of the run only, and are not stored. The left-over
 * per round is a slope and may be below 0.
 *
 * Instructions per op are stored when callgrind counted them (exact, and
 * tested as exact); a hardware counter's are not. How each run was made
 * (settings.h) is stored with it, so that check can say what changed at a
 * change point.
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
#include "report/history/settings.h"
#include "report/history/store.h"
#include "report/sites.h"

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
        struct ab_ssite *sites;
        size_t nsites, skipped_sites; /* skipped: of trace passes that failed */
        size_t negative;    /* negative figures, not stored */
        char neg_what[640]; /* the first of them */
        size_t inexact;     /* instruction counts of the hardware counter, not stored */
        struct ab_hsetting *set; /* how the run was made (settings.h) */
        size_t nset;
        struct ab_ssetting *srows;
        struct ab_sadded res;
        int failed; /* 0, or the store's -errno */
        char err[1024];
};

/* c (malloc'd, or NULL when that failed), from now on the record's; *oom
 * set when it is NULL or there is no memory to keep it. */
static const char *adopt(struct rec *rc, char *c, bool *oom)
{
        if (c && rc->nown == rc->capown) {
                size_t cap = rc->capown ? 2 * rc->capown : 64;
                char **p = realloc(rc->own, cap * sizeof *p);
                if (!p) {
                        free(c);
                        c = NULL;
                } else {
                        rc->own = p;
                        rc->capown = cap;
                }
        }
        if (!c) {
                *oom = true;
                return "";
        }
        return rc->own[rc->nown++] = c;
}

/* A copy of s the record owns (NULL for NULL, and for "" when empty_null);
 * *oom set when there is no memory for it. */
static const char *keep(struct rec *rc, const char *s, bool empty_null, bool *oom)
{
        if (!s || (empty_null && !*s))
                return NULL;
        return adopt(rc, strdup(s), oom);
}

/* Whether figure m of d is kept: instructions per op only when callgrind
 * counted them (exact); a hardware counter's are near, never exact, and an
 * exact series would see their noise as steps. */
static bool kept(struct rec *rc, const struct ab_doc *d, int m)
{
        if (!ab_metrics[m].exact || (d->instructions && strcmp(d->instructions, "callgrind") == 0))
                return true;
        rc->inexact++;
        return false;
}

/* The tracked figures of every ok point (and room for two of each site's). */
static int rows(struct rec *rc, const struct ab_doc *d)
{
        size_t cap = 0;
        bool oom = false;
        for (size_t i = 0; i < d->nruns; i++)
                cap += d->runs[i].npoints * AB_M_COUNT + 2 * d->runs[i].nsites;
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
                                if (!ab_metrics[m].tracked || !isfinite(x) || !kept(rc, d, m))
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

/* Did the trace pass of point p of run r (NULL: every pass) go well? */
static bool pass_ok(const struct ab_vrun *r, const struct ab_vpoint *p)
{
        char why[256];
        if (!p)
                return !ab_site_trace_problem(r, why, sizeof why);
        for (size_t k = 0; k < r->trace.npoints; k++) {
                const struct ab_vtrace_point *t = &r->trace.points[k];
                if (t->point == p)
                        return strcmp(t->status, "ok") == 0 && !t->incomplete;
        }
        return true; /* a file that says nothing of its passes */
}

/* The site's stack as a person reads it, one frame a line, innermost
 * first, in the verdicts file's form ("FUNCTION FILE:LINE MODULE"), control
 * characters made spaces: malloc'd, NULL when out of memory. */
static char *frames_text(const struct ab_vsite *s)
{
        struct ab_site_stack st;
        char *buf = NULL, *p;
        size_t len = 0;
        FILE *f;
        if (ab_site_stack(s, &st) || !(f = open_memstream(&buf, &len))) {
                ab_site_stack_free(&st);
                return NULL;
        }
        for (size_t i = 0; i < st.n; i++) {
                const struct ab_vframe *fr = &st.f[i];
                fprintf(f, "%s%s", i ? "\n" : "", fr->function);
                if (fr->file && isfinite(fr->line))
                        fprintf(f, " %s:%.0f", fr->file, fr->line);
                fprintf(f, " %s%s", fr->module, fr->inlined ? " (inlined)" : "");
        }
        ab_site_stack_free(&st);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        for (p = buf; *p; p++)
                if ((unsigned char)*p < 0x20 && *p != '\n')
                        *p = ' ';
        return buf;
}

/* One site of run r: its row, and its two series' values. */
static void site_row(struct rec *rc, const struct ab_vrun *r, const struct ab_vsite *s,
                     const char *alloc, const char *wl, bool *oom)
{
        struct ab_ssite *o = &rc->sites[rc->nsites++];
        const char *point = s->point ? s->point->label : "-", *label;
        double live = s->total[AB_ST_LIVE_BYTES];
        if (isfinite(live) && live < 0) {
                if (!rc->negative++)
                        snprintf(rc->neg_what, sizeof rc->neg_what,
                                 "%.60s %.200s site %.200s %s = %g", r->alloc, r->workload_id,
                                 s->key, AB_HSITE_LIVE, live);
                live = NAN;
        }
        o->alloc = alloc;
        o->workload = wl;
        o->point = keep(rc, point, false, oom);
        o->key = keep(rc, s->key, false, oom);
        o->frames = adopt(rc, frames_text(s), oom);
        o->verdict = keep(rc, s->verdict, false, oom);
        o->verdict_new = s->verdict_new;
        o->note = keep(rc, s->verdict_note, true, oom);
        o->left_per_round = ab_site_has_trend(s) ? ab_site_leftover(s) : NAN;
        o->live_end = live;
        label = adopt(rc, ab_hsite_label(point, s->key), oom);
        if (isfinite(o->left_per_round))
                rc->v[rc->nv++] =
                    (struct ab_ssample){alloc, wl, label, AB_HSITE_LEFT, o->left_per_round};
        if (isfinite(live))
                rc->v[rc->nv++] = (struct ab_ssample){alloc, wl, label, AB_HSITE_LIVE, live};
}

/* The sites of every traced run whose trace pass went well. */
static int site_rows(struct rec *rc, const struct ab_doc *d)
{
        size_t cap = 0;
        bool oom = false;
        for (size_t i = 0; i < d->nruns; i++)
                cap += d->runs[i].nsites;
        if (!(rc->sites = calloc(cap + 1, sizeof *rc->sites)))
                return -ENOMEM;
        for (size_t i = 0; i < d->nruns && !oom; i++) {
                const struct ab_vrun *r = &d->runs[i];
                const char *alloc, *wl;
                if (!r->nsites)
                        continue;
                alloc = keep(rc, r->alloc, false, &oom);
                wl = keep(rc, r->workload_id, false, &oom);
                for (size_t j = 0; j < r->nsites && !oom; j++) {
                        if (!pass_ok(r, r->sites[j].point)) {
                                rc->skipped_sites++;
                                continue;
                        }
                        site_row(rc, r, &r->sites[j], alloc, wl, &oom);
                }
        }
        return oom ? -ENOMEM : 0;
}

/* How the run was made: its settings, as the store takes them. */
static int setting_rows(struct rec *rc, const struct ab_doc *d)
{
        if (ab_hsettings_of(d, &rc->set, &rc->nset))
                return -ENOMEM;
        if (!(rc->srows = calloc(rc->nset + 1, sizeof *rc->srows)))
                return -ENOMEM;
        for (size_t i = 0; i < rc->nset; i++)
                rc->srows[i] = (struct ab_ssetting){rc->set[i].alloc, rc->set[i].workload,
                                                    rc->set[i].value, rc->set[i].digest};
        return 0;
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
            flag_rows(rc, &d) || site_rows(rc, &d) || setting_rows(rc, &d)) {
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
        free(rc->sites);
        free(rc->v);
        free(rc->srows);
        ab_hsettings_free(rc->set, rc->nset);
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
                    .sites = rc->sites,
                    .nsites = rc->nsites,
                    .settings = rc->srows,
                    .nsettings = rc->nset,
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
                if (a->sites)
                        printf(", %zu site%s (%zu new)", a->sites, a->sites == 1 ? "" : "s",
                               a->new_sites);
                if (rc->skipped_sites)
                        printf(" (%zu site%s of trace passes that failed, not stored)",
                               rc->skipped_sites, rc->skipped_sites == 1 ? "" : "s");
                if (rc->skipped_points)
                        printf(" (%zu points not ok, not stored)", rc->skipped_points);
                if (rc->negative)
                        printf(" (%zu negative value%s, not stored)", rc->negative,
                               rc->negative == 1 ? "" : "s");
                if (rc->inexact)
                        printf(" (%zu instruction count%s of the hardware counter, not stored: "
                               "history keeps callgrind's exact counts)",
                               rc->inexact, rc->inexact == 1 ? "" : "s");
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
