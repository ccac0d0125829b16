/*
 * history.c - the history in memory (history.h): what history tracks, the
 * filters, and the builder every store feeds its rows to.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "report/history/history.h"

/* A store's id and the index of its row in memory. Ids are looked up in a
 * sorted array of these, never used as indices: they are whatever the
 * store says. */
struct ab_hidmap {
        int64_t id;
        size_t i;
};

/* A value of a series as it comes from the store: the run it belongs to. */
struct pair {
        size_t run;
        double v;
};

struct ab_hacc {
        struct pair *p;
        size_t n, cap;
};

int ab_hmetric(const char *key)
{
        int m = ab_metric_find(key);
        return m >= 0 && ab_metrics[m].tracked ? m : -1;
}

bool ab_hseries_regressed(const struct ab_hseries *s)
{
        return s->ncp > 0 && s->cp[s->ncp - 1].after > s->cp[s->ncp - 1].before;
}

bool ab_hsite_metric(const char *metric)
{
        return strcmp(metric, AB_HSITE_LEFT) == 0 || strcmp(metric, AB_HSITE_LIVE) == 0;
}

char *ab_hsite_label(const char *point, const char *key)
{
        bool swept = strcmp(point, "-") != 0;
        size_t len = strlen(point) + strlen(key) + 4;
        char *l = malloc(len);
        if (l)
                snprintf(l, len, "%s%s%s%s", swept ? "[" : "", swept ? point : "",
                         swept ? "] " : "", key);
        return l;
}

/* The point a site series' label names ("-" unswept), in buf. */
static const char *label_point(const char *label, char *buf, size_t len)
{
        const char *end = label[0] == '[' ? strstr(label, "] ") : NULL;
        if (!end)
                return "-";
        snprintf(buf, len, "%.*s", (int)(end - label - 1), label + 1);
        return buf;
}

int ab_natcmp(const char *a, const char *b)
{
        while (*a && *b) {
                if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
                        const char *ea, *eb;
                        size_t na, nb;
                        while (*a == '0' && a[1] >= '0' && a[1] <= '9')
                                a++;
                        while (*b == '0' && b[1] >= '0' && b[1] <= '9')
                                b++;
                        for (ea = a; *ea >= '0' && *ea <= '9'; ea++)
                                ;
                        for (eb = b; *eb >= '0' && *eb <= '9'; eb++)
                                ;
                        na = (size_t)(ea - a);
                        nb = (size_t)(eb - b);
                        if (na != nb)
                                return na < nb ? -1 : 1;
                        for (; a < ea; a++, b++)
                                if (*a != *b)
                                        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
                        continue;
                }
                if (*a != *b)
                        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
                a++;
                b++;
        }
        return *a ? 1 : *b ? -1 : 0;
}

bool ab_hlist_has(const char *list, const char *v)
{
        size_t n = strlen(v);
        if (!list)
                return true;
        for (const char *p = list; *p;) {
                size_t k = strcspn(p, ",");
                if (k == n && strncmp(p, v, n) == 0)
                        return true;
                p += k + (p[k] == ',');
        }
        return false;
}

bool ab_hfilter_series(const struct ab_hfilter *f, const char *host, const char *alloc,
                       const char *workload, const char *point, const char *metric)
{
        return ab_hlist_has(f->host, host) && ab_hlist_has(f->alloc, alloc) &&
               ab_hlist_has(f->workload, workload) && ab_hlist_has(f->point, point) &&
               ab_hlist_has(f->metric, metric);
}

/* What a site holds (its series are the history's). */
static void hsite_free(struct ab_hsite *st)
{
        free(st->host);
        free(st->alloc);
        free(st->workload);
        free(st->point);
        free(st->key);
        free(st->frames);
        free(st->verdict);
        free(st->note);
}

void ab_history_free(struct ab_history *h)
{
        for (size_t i = 0; i < h->nruns; i++) {
                free(h->runs[i].created);
                free(h->runs[i].rev);
                free(h->runs[i].host);
                free(h->runs[i].file);
        }
        for (size_t i = 0; i < h->nseries; i++) {
                struct ab_hseries *s = &h->series[i];
                free(s->host);
                free(s->alloc);
                free(s->workload);
                free(s->point);
                free(s->metric);
                free(s->v);
                free(s->run);
                free(s->cp);
                ab_hsteps_free(s->steps, s->nsteps);
        }
        for (size_t i = 0; i < h->nflags; i++) {
                struct ab_hflag *f = &h->flags[i];
                free(f->kind);
                free(f->severity);
                free(f->alloc);
                free(f->workload);
                free(f->where);
                free(f->message);
        }
        for (size_t i = 0; i < h->nsites; i++)
                hsite_free(&h->sites[i]);
        for (size_t i = 0; i < h->nsets; i++)
                free(h->sets[i]);
        for (size_t i = 0; i < h->nrunsets; i++) {
                free(h->runsets[i].alloc);
                free(h->runsets[i].workload);
        }
        free(h->runs);
        free(h->series);
        free(h->flags);
        free(h->sites);
        free(h->sets);
        free(h->runsets);
        free(h->runset_first);
        h->runs = NULL;
        h->series = NULL;
        h->flags = NULL;
        h->sites = NULL;
        h->sets = NULL;
        h->runsets = NULL;
        h->runset_first = NULL;
        h->nruns = h->nseries = h->nflags = h->nsites = h->nsets = h->nrunsets = 0;
}

void ab_hsteps_free(struct ab_hstep *st, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                for (size_t k = 0; k < st[i].n; k++) {
                        free(st[i].d[k].key);
                        free(st[i].d[k].before);
                        free(st[i].d[k].after);
                }
                free(st[i].d);
        }
        free(st);
}

/* ---- the builder ------------------------------------------------------------ */

static int cmp_idmap(const void *pa, const void *pb)
{
        const struct ab_hidmap *a = pa, *b = pb;
        return a->id < b->id ? -1 : a->id > b->id;
}

/* The index of id in m[0..n) (sorted), or SIZE_MAX. */
static size_t idmap_find(const struct ab_hidmap *m, size_t n, int64_t id)
{
        struct ab_hidmap key = {.id = id};
        const struct ab_hidmap *f = n ? bsearch(&key, m, n, sizeof *m, cmp_idmap) : NULL;
        return f ? f->i : SIZE_MAX;
}

/* Sort m[0..n); the first id that occurs twice, or 0 when they are unique. */
static int64_t idmap_sort(struct ab_hidmap *m, size_t n)
{
        if (n)
                qsort(m, n, sizeof *m, cmp_idmap);
        for (size_t i = 1; i < n; i++)
                if (m[i].id == m[i - 1].id)
                        return m[i].id;
        return 0;
}

/* An id the store's writer cannot have written (rows count from 1, once
 * each): the store was made or changed by something else. */
static int bad_id(const struct ab_hbuild *b, const char *table, const char *col, int64_t id,
                  char *err, size_t errlen)
{
        snprintf(err, errlen,
                 "%s: %s.%s %lld is out of range (rows are numbered from 1): this database was "
                 "not written by bench history (accepted: --db PATH of a database bench history "
                 "add created)",
                 b->db, table, col, (long long)id);
        return -EINVAL;
}

/* Room for one more of n elements of size sz in *v (capacity *cap). */
static int grow(void **v, size_t n, size_t *cap, size_t sz, size_t first)
{
        void *p;
        if (n < *cap)
                return 0;
        p = realloc(*v, (*cap ? 2 * *cap : first) * sz);
        if (!p)
                return -ENOMEM;
        *v = p;
        *cap = *cap ? 2 * *cap : first;
        return 0;
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

void ab_hbuild_begin(struct ab_hbuild *b, struct ab_history *h, const char *db,
                     const struct ab_hfilter *filter)
{
        memset(b, 0, sizeof *b);
        b->h = h;
        b->db = db;
        b->filter = filter;
        h->runs = NULL;
        h->series = NULL;
        h->flags = NULL;
        h->sites = NULL;
        h->sets = NULL;
        h->runsets = NULL;
        h->runset_first = NULL;
        h->nruns = h->nseries = h->nflags = h->nsites = h->nsets = h->nrunsets = 0;
        b->last_si = SIZE_MAX;
}

int ab_hbuild_run(struct ab_hbuild *b, int64_t id, const char *created, const char *rev,
                  const char *host, const char *file, char *err, size_t errlen)
{
        struct ab_history *h = b->h;
        struct ab_hrun *r;
        if (id < 1)
                return bad_id(b, "runs", "id", id, err, errlen);
        if (!created || !host || !file) {
                snprintf(err, errlen,
                         "%s: run %lld lacks created, host or file: this database was not "
                         "written by bench history (accepted: --db PATH of a database bench "
                         "history add created)",
                         b->db, (long long)id);
                return -EINVAL;
        }
        if (grow((void **)&h->runs, h->nruns, &b->runs_cap, sizeof *h->runs, 64) ||
            grow((void **)&b->rmap, h->nruns, &b->rmap_cap, sizeof *b->rmap, 64))
                return -ENOMEM;
        r = &h->runs[h->nruns];
        memset(r, 0, sizeof *r);
        r->id = id;
        b->rmap[h->nruns].id = id;
        b->rmap[h->nruns].i = h->nruns;
        h->nruns++;
        r->created = strdup(created);
        r->rev = dup_or_null(rev);
        r->host = strdup(host);
        r->file = strdup(file);
        return r->created && (r->rev || !rev) && r->host && r->file ? 0 : -ENOMEM;
}

int ab_hbuild_series(struct ab_hbuild *b, int64_t id, const char *host, const char *alloc,
                     const char *workload, const char *point, const char *metric, char *err,
                     size_t errlen)
{
        struct ab_history *h = b->h;
        struct ab_hseries *s;
        char pbuf[512];
        bool site = metric && ab_hsite_metric(metric);
        int m;
        if (id < 1)
                return bad_id(b, "series", "id", id, err, errlen);
        /* a site's series is filtered by the point of its site */
        if (!host || !alloc || !workload || !point || !metric ||
            !ab_hfilter_series(b->filter, host, alloc, workload,
                               site ? label_point(point, pbuf, sizeof pbuf) : point, metric))
                return 0;
        if (grow((void **)&h->series, h->nseries, &b->series_cap, sizeof *h->series, 64))
                return -ENOMEM;
        s = &h->series[h->nseries++];
        memset(s, 0, sizeof *s);
        s->id = id;
        s->host = strdup(host);
        s->alloc = strdup(alloc);
        s->workload = strdup(workload);
        s->point = strdup(point);
        s->metric = strdup(metric);
        m = ab_hmetric(metric);
        s->site = site;
        s->exact = m >= 0 && ab_metrics[m].exact;
        s->unit = m >= 0 ? ab_metrics[m].unit : site ? AB_HSITE_UNIT : "";
        return s->host && s->alloc && s->workload && s->point && s->metric ? 0 : -ENOMEM;
}

/* Series by host, workload, point (as people order them), allocator, then
 * metric in the order of metrics.def. */
static int cmp_series(const void *pa, const void *pb)
{
        const struct ab_hseries *a = pa, *b = pb;
        int c, ma, mb;
        if ((c = strcmp(a->host, b->host)) || (c = strcmp(a->workload, b->workload)) ||
            (c = ab_natcmp(a->point, b->point)) || (c = strcmp(a->alloc, b->alloc)))
                return c;
        ma = ab_hmetric(a->metric);
        mb = ab_hmetric(b->metric);
        ma = ma < 0 ? AB_M_COUNT : ma;
        mb = mb < 0 ? AB_M_COUNT : mb;
        return ma != mb ? ma - mb : strcmp(a->metric, b->metric);
}

/* Stores number their runs from 1 as they come: when the ids are that
 * dense, a run's index is looked up in a table rather than searched for
 * (a fleet's history has millions of values to place). */
static int dense_runs(struct ab_hbuild *b)
{
        size_t n = b->h->nruns;
        int64_t max = n ? b->rmap[n - 1].id : 0;
        if (!n || max > (int64_t)(4 * n + 1024))
                return 0;
        if (!(b->rdense = calloc((size_t)max + 1, sizeof *b->rdense)))
                return -ENOMEM;
        b->rdense_n = max + 1;
        for (size_t i = 0; i < n; i++)
                b->rdense[b->rmap[i].id] = b->rmap[i].i + 1;
        return 0;
}

/* The index of run id, or SIZE_MAX. */
static size_t run_index(const struct ab_hbuild *b, int64_t id)
{
        if (b->rdense)
                return id > 0 && id < b->rdense_n ? b->rdense[id] - 1 : SIZE_MAX;
        return idmap_find(b->rmap, b->h->nruns, id);
}

int ab_hbuild_index(struct ab_hbuild *b, char *err, size_t errlen)
{
        struct ab_history *h = b->h;
        int64_t dup;
        if ((dup = idmap_sort(b->rmap, h->nruns)))
                return bad_id(b, "runs", "id (twice)", dup, err, errlen);
        for (size_t i = h->nruns; i-- > 0;) {
                bool seen = false;
                for (size_t k = i + 1; k < h->nruns && !seen; k++)
                        seen = strcmp(h->runs[k].host, h->runs[i].host) == 0;
                h->runs[i].latest = !seen;
        }
        if (h->nseries)
                qsort(h->series, h->nseries, sizeof *h->series, cmp_series);
        b->smap = calloc(h->nseries ? h->nseries : 1, sizeof *b->smap);
        b->acc = calloc(h->nseries ? h->nseries : 1, sizeof *b->acc);
        if (!b->smap || !b->acc)
                return -ENOMEM;
        for (size_t i = 0; i < h->nseries; i++) {
                b->smap[i].id = h->series[i].id;
                b->smap[i].i = i;
        }
        if ((dup = idmap_sort(b->smap, h->nseries)))
                return bad_id(b, "series", "id (twice)", dup, err, errlen);
        b->sitemap = calloc(h->nsites ? h->nsites : 1, sizeof *b->sitemap);
        if (!b->sitemap)
                return -ENOMEM;
        for (size_t i = 0; i < h->nsites; i++) {
                b->sitemap[i].id = h->sites[i].id;
                b->sitemap[i].i = i;
        }
        if ((dup = idmap_sort(b->sitemap, h->nsites)))
                return bad_id(b, "sites", "id (twice)", dup, err, errlen);
        if ((dup = idmap_sort(b->setmap, h->nsets)))
                return bad_id(b, "settings", "id (twice)", dup, err, errlen);
        return dense_runs(b);
}

bool ab_hbuild_wants_flags(const struct ab_hbuild *b, size_t run)
{
        return b->h->runs[run].latest && ab_hlist_has(b->filter->host, b->h->runs[run].host);
}

int ab_hbuild_sample(struct ab_hbuild *b, int64_t series_id, int64_t run_id, double value,
                     char *err, size_t errlen)
{
        struct ab_hacc *a;
        size_t si, ri;
        if (series_id < 1)
                return bad_id(b, "samples", "series_id", series_id, err, errlen);
        if (run_id < 1)
                return bad_id(b, "samples", "run_id", run_id, err, errlen);
        /* the values of a series mostly come together */
        if (series_id != b->last_sid) {
                b->last_sid = series_id;
                b->last_si = idmap_find(b->smap, b->h->nseries, series_id);
        }
        si = b->last_si;
        ri = run_index(b, run_id);
        if (si == SIZE_MAX || ri == SIZE_MAX)
                return 0; /* a series the filter left out, or a run that is not there */
        a = &b->acc[si];
        if (grow((void **)&a->p, a->n, &a->cap, sizeof *a->p, 16))
                return -ENOMEM;
        a->p[a->n].run = ri;
        a->p[a->n++].v = value;
        return 0;
}

int ab_hbuild_flag(struct ab_hbuild *b, size_t run, const char *kind, const char *severity,
                   const char *alloc, const char *workload, const char *where, const char *message)
{
        const struct ab_hfilter *f = b->filter;
        struct ab_history *h = b->h;
        struct ab_hflag *fl;
        if ((f->alloc && (!alloc || !ab_hlist_has(f->alloc, alloc))) ||
            (f->workload && (!workload || !ab_hlist_has(f->workload, workload))))
                return 0;
        if (grow((void **)&h->flags, h->nflags, &b->flags_cap, sizeof *h->flags, 16))
                return -ENOMEM;
        fl = &h->flags[h->nflags++];
        fl->run = run;
        fl->kind = dup_or_null(kind);
        fl->severity = dup_or_null(severity);
        fl->alloc = dup_or_null(alloc);
        fl->workload = dup_or_null(workload);
        fl->where = dup_or_null(where);
        fl->message = dup_or_null(message);
        return 0;
}

int ab_hbuild_site(struct ab_hbuild *b, int64_t id, const char *host, const char *alloc,
                   const char *workload, const char *point, const char *key, const char *frames,
                   char *err, size_t errlen)
{
        const struct ab_hfilter *f = b->filter;
        struct ab_history *h = b->h;
        struct ab_hsite *st;
        if (id < 1)
                return bad_id(b, "sites", "id", id, err, errlen);
        if (!host || !alloc || !workload || !point || !key || !ab_hlist_has(f->host, host) ||
            !ab_hlist_has(f->alloc, alloc) || !ab_hlist_has(f->workload, workload) ||
            !ab_hlist_has(f->point, point))
                return 0;
        if (grow((void **)&h->sites, h->nsites, &b->sites_cap, sizeof *h->sites, 16))
                return -ENOMEM;
        st = &h->sites[h->nsites++];
        memset(st, 0, sizeof *st);
        st->id = id;
        st->left_per_round = st->live_end = NAN;
        st->left_series = st->live_series = SIZE_MAX;
        st->host = strdup(host);
        st->alloc = strdup(alloc);
        st->workload = strdup(workload);
        st->point = strdup(point);
        st->key = strdup(key);
        st->frames = dup_or_null(frames);
        return st->host && st->alloc && st->workload && st->point && st->key &&
                       (st->frames || !frames)
                   ? 0
                   : -ENOMEM;
}

/* Replace *dst by a copy of src (NULL for NULL). */
static int set_str(char **dst, const char *src)
{
        char *c = dup_or_null(src);
        if (src && !c)
                return -ENOMEM;
        free(*dst);
        *dst = c;
        return 0;
}

int ab_hbuild_site_run(struct ab_hbuild *b, int64_t site_id, int64_t run_id, const char *verdict,
                       bool verdict_new, const char *note, double left_per_round, double live_end,
                       char *err, size_t errlen)
{
        struct ab_hsite *st;
        size_t si, ri;
        if (site_id < 1)
                return bad_id(b, "site_runs", "site_id", site_id, err, errlen);
        if (run_id < 1)
                return bad_id(b, "site_runs", "run_id", run_id, err, errlen);
        si = idmap_find(b->sitemap, b->h->nsites, site_id);
        ri = run_index(b, run_id);
        if (si == SIZE_MAX || ri == SIZE_MAX)
                return 0; /* a site the filter left out, or a run that is not there */
        st = &b->h->sites[si];
        if (!st->runs_seen++ || ri < st->first)
                st->first = ri;
        if (st->runs_seen > 1 && ri < st->last)
                return 0; /* an older sighting: the newest one speaks */
        st->last = ri;
        st->verdict_new = verdict_new;
        st->left_per_round = left_per_round;
        st->live_end = live_end;
        return set_str(&st->verdict, verdict) || set_str(&st->note, note) ? -ENOMEM : 0;
}

/* Sites by host, workload, allocator, then the most left per round in
 * their newest run first (unknown last), then point and key. */
static int cmp_site(const void *pa, const void *pb)
{
        const struct ab_hsite *a = pa, *b = pb;
        double la = isnan(a->left_per_round) ? -INFINITY : a->left_per_round,
               lb = isnan(b->left_per_round) ? -INFINITY : b->left_per_round;
        int c;
        if ((c = strcmp(a->host, b->host)) || (c = strcmp(a->workload, b->workload)) ||
            (c = strcmp(a->alloc, b->alloc)))
                return c;
        if (la != lb)
                return la < lb ? 1 : -1;
        if ((c = ab_natcmp(a->point, b->point)))
                return c;
        return strcmp(a->key, b->key);
}

static int cmp_series(const void *pa, const void *pb);

/* The series of site st with metric m, or SIZE_MAX. */
static size_t site_series(const struct ab_history *h, const struct ab_hsite *st, const char *m)
{
        struct ab_hseries key = {
            .host = st->host, .alloc = st->alloc, .workload = st->workload, .metric = (char *)m};
        const struct ab_hseries *hit = NULL;
        if (!(key.point = ab_hsite_label(st->point, st->key)))
                return SIZE_MAX;
        if (h->nseries)
                hit = bsearch(&key, h->series, h->nseries, sizeof *h->series, cmp_series);
        free(key.point);
        return hit ? (size_t)(hit - h->series) : SIZE_MAX;
}

/* The sites a run saw, in order, each with its series. */
static void sites_end(struct ab_history *h)
{
        size_t n = 0;
        for (size_t i = 0; i < h->nsites; i++) {
                struct ab_hsite *st = &h->sites[i];
                if (st->runs_seen) {
                        h->sites[n++] = *st;
                        continue;
                }
                hsite_free(st); /* no run the store holds saw it */
        }
        h->nsites = n;
        if (n)
                qsort(h->sites, n, sizeof *h->sites, cmp_site);
        for (size_t i = 0; i < n; i++) {
                h->sites[i].left_series = site_series(h, &h->sites[i], AB_HSITE_LEFT);
                h->sites[i].live_series = site_series(h, &h->sites[i], AB_HSITE_LIVE);
        }
}

int ab_hbuild_settings(struct ab_hbuild *b, int64_t id, const char *value, char *err, size_t errlen)
{
        struct ab_history *h = b->h;
        if (id < 1)
                return bad_id(b, "settings", "id", id, err, errlen);
        if (!value)
                return 0;
        if (grow((void **)&h->sets, h->nsets, &b->sets_cap, sizeof *h->sets, 16) ||
            grow((void **)&b->setmap, h->nsets, &b->setmap_cap, sizeof *b->setmap, 16))
                return -ENOMEM;
        if (!(h->sets[h->nsets] = strdup(value)))
                return -ENOMEM;
        b->setmap[h->nsets].id = id;
        b->setmap[h->nsets].i = h->nsets;
        h->nsets++;
        return 0;
}

int ab_hbuild_run_settings(struct ab_hbuild *b, int64_t run_id, const char *alloc,
                           const char *workload, int64_t settings_id, char *err, size_t errlen)
{
        const struct ab_hfilter *f = b->filter;
        struct ab_history *h = b->h;
        struct ab_hrunset *rs;
        size_t ri, si;
        if (run_id < 1)
                return bad_id(b, "run_settings", "run_id", run_id, err, errlen);
        if (settings_id < 1)
                return bad_id(b, "run_settings", "settings_id", settings_id, err, errlen);
        ri = run_index(b, run_id);
        si = idmap_find(b->setmap, h->nsets, settings_id);
        if (ri == SIZE_MAX || si == SIZE_MAX || !alloc || !workload ||
            !ab_hlist_has(f->host, h->runs[ri].host) ||
            (*alloc && !ab_hlist_has(f->alloc, alloc)) ||
            (*workload && !ab_hlist_has(f->workload, workload)))
                return 0;
        if (grow((void **)&h->runsets, h->nrunsets, &b->runsets_cap, sizeof *h->runsets, 64))
                return -ENOMEM;
        rs = &h->runsets[h->nrunsets++];
        rs->run = ri;
        rs->set = si;
        rs->alloc = strdup(alloc);
        rs->workload = strdup(workload);
        return rs->alloc && rs->workload ? 0 : -ENOMEM;
}

static int cmp_runset(const void *pa, const void *pb)
{
        const struct ab_hrunset *a = pa, *b = pb;
        int c;
        if (a->run != b->run)
                return a->run < b->run ? -1 : 1;
        if ((c = strcmp(a->alloc, b->alloc)))
                return c;
        return strcmp(a->workload, b->workload);
}

/* The runs' settings in order, and where each run's begin. */
static int runsets_end(struct ab_history *h)
{
        if (h->nrunsets)
                qsort(h->runsets, h->nrunsets, sizeof *h->runsets, cmp_runset);
        if (!(h->runset_first = calloc(h->nruns + 1, sizeof *h->runset_first)))
                return -ENOMEM;
        for (size_t i = 0, k = 0; i <= h->nruns; i++) {
                while (k < h->nrunsets && h->runsets[k].run < i)
                        k++;
                h->runset_first[i] = k;
        }
        return 0;
}

static int cmp_pair(const void *pa, const void *pb)
{
        const struct pair *a = pa, *b = pb;
        return a->run < b->run ? -1 : a->run > b->run;
}

static void build_free(struct ab_hbuild *b)
{
        for (size_t i = 0; b->acc && i < b->h->nseries; i++)
                free(b->acc[i].p);
        free(b->acc);
        free(b->rmap);
        free(b->smap);
        free(b->sitemap);
        free(b->setmap);
        free(b->rdense);
        b->acc = NULL;
        b->rdense = NULL;
        b->rmap = b->smap = b->sitemap = b->setmap = NULL;
}

int ab_hbuild_end(struct ab_hbuild *b)
{
        struct ab_history *h = b->h;
        for (size_t i = 0; i < h->nseries; i++) {
                struct ab_hseries *s = &h->series[i];
                size_t n = b->acc[i].n, sorted = 1;
                /* stores hand values over mostly in the runs' order already */
                while (sorted < n && b->acc[i].p[sorted - 1].run <= b->acc[i].p[sorted].run)
                        sorted++;
                if (sorted < n)
                        qsort(b->acc[i].p, n, sizeof *b->acc[i].p, cmp_pair);
                s->v = malloc((n ? n : 1) * sizeof *s->v);
                s->run = malloc((n ? n : 1) * sizeof *s->run);
                if (!s->v || !s->run) {
                        ab_hbuild_abort(b);
                        return -ENOMEM;
                }
                for (size_t k = 0; k < n; k++) {
                        s->v[k] = b->acc[i].p[k].v;
                        s->run[k] = b->acc[i].p[k].run;
                }
                s->n = n;
                /* a fleet's values are held twice only one series at a time */
                free(b->acc[i].p);
                b->acc[i].p = NULL;
        }
        sites_end(h);
        build_free(b);
        if (runsets_end(h)) {
                ab_history_free(h);
                return -ENOMEM;
        }
        return 0;
}

void ab_hbuild_abort(struct ab_hbuild *b)
{
        build_free(b);
        ab_history_free(b->h);
}
