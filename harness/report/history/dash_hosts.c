/*
 * dash_hosts.c - the dashboard's hosts side by side: the same workload on
 * every host, and what differs between the hosts and how their runs were
 * made (settings.h), so that a figure twice as high on one host comes with
 * its likely reason (another libc, kernel, allocator version, an --env
 * variable).
 *
 * Three parts, from each host's newest run: a table of the hosts (their
 * runs, changes, and host settings, a setting that differs between hosts
 * marked); the settings that differ, each value with the hosts that have
 * it; and per workload and metric a table of each allocator's and point's
 * newest figure, one column per host, or for more than HOST_COLUMNS hosts
 * one per kind of host (os, libc and arch: the median of its hosts), a
 * figure at 1.25 times its row's lowest or more marked.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "doc/doc.h"
#include "report/history/dash.h"
#include "report/history/settings.h"

#define HOST_COLUMNS 8
#define FAR          1.25

/* The host settings the hosts' table shows, in its order. */
static const char *const host_keys[] = {"host.os",   "host.kernel",    "host.libc",
                                        "host.arch", "host.cpu_model", "host.cores"};
#define NHOST_KEYS (sizeof host_keys / sizeof host_keys[0])

struct view {
        const struct ab_dash *d;
        size_t *latest; /* each host's newest run */
        json_t **own;   /* its settings (NULL: unknown) */
        size_t *col;    /* each host's column */
        char **colname; /* each column's name */
        size_t ncols;
};

static const char *setting(json_t *o, const char *key)
{
        return o ? json_string_value(json_object_get(o, key)) : NULL;
}

static bool str_eq(const char *a, const char *b)
{
        return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether the hosts do not all have the same value of key. */
static bool differs(const struct view *v, const char *key)
{
        for (size_t i = 1; i < v->d->nhosts; i++)
                if (!str_eq(setting(v->own[i], key), setting(v->own[0], key)))
                        return true;
        return false;
}

/* Columns: a host each, or for many hosts a kind each (os, libc, arch). */
static int columns(struct view *v)
{
        size_t n = v->d->nhosts;
        for (size_t i = 0; i < n; i++) {
                char name[512];
                size_t c;
                if (n <= HOST_COLUMNS)
                        snprintf(name, sizeof name, "%s", v->d->hosts[i]);
                else
                        snprintf(name, sizeof name, "%s · %s · %s",
                                 setting(v->own[i], "host.os") ? setting(v->own[i], "host.os")
                                                               : "unknown os",
                                 setting(v->own[i], "host.libc") ? setting(v->own[i], "host.libc")
                                                                 : "unknown libc",
                                 setting(v->own[i], "host.arch") ? setting(v->own[i], "host.arch")
                                                                 : "unknown arch");
                for (c = 0; c < v->ncols && strcmp(v->colname[c], name) != 0; c++)
                        ;
                if (c == v->ncols && !(v->colname[v->ncols++] = strdup(name)))
                        return -1;
                v->col[i] = c;
        }
        return 0;
}

static int view_init(struct view *v, const struct ab_dash *d)
{
        const struct ab_history *h = d->h;
        size_t n = d->nhosts;
        memset(v, 0, sizeof *v);
        v->d = d;
        v->latest = calloc(n, sizeof *v->latest);
        v->own = calloc(n, sizeof *v->own);
        v->col = calloc(n, sizeof *v->col);
        v->colname = calloc(n, sizeof *v->colname);
        if (!v->latest || !v->own || !v->col || !v->colname)
                return -1;
        for (size_t i = 0; i < n; i++) {
                for (size_t r = 0; r < h->nruns; r++)
                        if (h->runs[r].latest && strcmp(h->runs[r].host, d->hosts[i]) == 0)
                                v->latest[i] = r;
                v->own[i] = ab_hrun_settings(h, v->latest[i], NULL, NULL);
        }
        return columns(v);
}

static void view_free(struct view *v)
{
        for (size_t i = 0; v->own && i < v->d->nhosts; i++)
                json_decref(v->own[i]);
        for (size_t c = 0; v->colname && c < v->ncols; c++)
                free(v->colname[c]);
        free(v->latest);
        free(v->own);
        free(v->col);
        free(v->colname);
}

/* ---- the hosts ---------------------------------------------------------------- */

static void hosts_table(FILE *f, const struct view *v)
{
        const struct ab_history *h = v->d->h;
        bool diff[NHOST_KEYS];
        fputs("<table class=\"hosts\" id=\"hosts-table\"><tr><th>host</th><th>runs</th><th>newest "
              "run</th><th>changes</th><th>regressions</th>",
              f);
        for (size_t k = 0; k < NHOST_KEYS; k++) {
                diff[k] = differs(v, host_keys[k]);
                fprintf(f, "<th%s>%s</th>", diff[k] ? " class=\"differs\"" : "", host_keys[k] + 5);
        }
        fputs("</tr>\n", f);
        for (size_t i = 0; i < v->d->nhosts; i++) {
                size_t runs = 0, changes = 0, regs = 0;
                for (size_t r = 0; r < h->nruns; r++)
                        runs += strcmp(h->runs[r].host, v->d->hosts[i]) == 0;
                for (size_t s = 0; s < h->nseries; s++)
                        if (strcmp(h->series[s].host, v->d->hosts[i]) == 0) {
                                changes += h->series[s].ncp;
                                regs += ab_hseries_regressed(&h->series[s]);
                        }
                fputs("<tr class=\"host\"><td>", f);
                if (v->d->split) {
                        fputs("<a href=\"", f);
                        ab_dash_esc_url(f, v->d->pages[i]);
                        fputs("\">", f);
                }
                ab_dash_esc(f, v->d->hosts[i]);
                fprintf(f, "%s</td><td class=\"num\">%zu</td><td>", v->d->split ? "</a>" : "",
                        runs);
                ab_dash_run_ref(f, &h->runs[v->latest[i]]);
                fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num%s\">%zu</td>", changes,
                        regs ? " up" : "", regs);
                for (size_t k = 0; k < NHOST_KEYS; k++) {
                        const char *val = setting(v->own[i], host_keys[k]);
                        fprintf(f, "<td%s>", diff[k] ? " class=\"differs\"" : "");
                        ab_dash_esc(f, val ? val : "?");
                        fputs("</td>", f);
                }
                fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
}

/* ---- what differs -------------------------------------------------------------- */

/* One setting that differs: each value (unset too) and the hosts with it. */
static void differs_item(FILE *f, const char *what, const char *key, json_t *const *o, size_t n,
                         const struct view *v)
{
        bool *done = calloc(n + 1, sizeof *done);
        if (!done)
                return;
        fputs("<li><code>", f);
        if (what) {
                ab_dash_esc(f, what);
                fputs(": ", f);
        }
        ab_dash_esc(f, key);
        fputs("</code>: ", f);
        for (size_t i = 0, first = 1; i < n; i++) {
                const char *val = setting(o[i], key);
                size_t count = 0;
                if (done[i])
                        continue;
                for (size_t k = i; k < n; k++)
                        if (!done[k] && str_eq(setting(o[k], key), val)) {
                                done[k] = true;
                                count++;
                        }
                fputs(first ? "" : "; ", f);
                first = 0;
                ab_dash_esc(f, val ? val : "unset");
                fputs(" (", f);
                if (count == 1) {
                        ab_dash_esc(f, v->d->hosts[i]);
                } else {
                        fprintf(f, "%zu hosts", count);
                }
                fputs(")", f);
        }
        fputs("</li>\n", f);
        free(done);
}

/* The keys of objects o[0..n) whose values are not all the same, in
 * order, as a JSON array. */
static json_t *differing_keys(json_t *const *o, size_t n)
{
        json_t *all = json_object(), *out = json_array(), *x;
        const char *key;
        for (size_t i = 0; i < n; i++)
                if (o[i])
                        json_object_update(all, o[i]);
        json_object_foreach(all, key, x)
        {
                bool d = false;
                for (size_t i = 1; i < n && !d; i++)
                        d = !str_eq(setting(o[i], key), setting(o[0], key));
                if (d)
                        json_array_append_new(out, json_string(key));
        }
        json_decref(all);
        return out;
}

static int cmp_key(const void *a, const void *b)
{
        return strcmp(json_string_value(*(json_t *const *)a),
                      json_string_value(*(json_t *const *)b));
}

static void differs_list(FILE *f, const char *what, json_t *const *o, size_t n,
                         const struct view *v, size_t *count)
{
        json_t *keys = differing_keys(o, n);
        size_t nk = json_array_size(keys);
        json_t **sorted = calloc(nk + 1, sizeof *sorted);
        for (size_t i = 0; sorted && i < nk; i++)
                sorted[i] = json_array_get(keys, i);
        if (sorted && nk)
                qsort(sorted, nk, sizeof *sorted, cmp_key);
        for (size_t i = 0; sorted && i < nk; i++, (*count)++)
                differs_item(f, what, json_string_value(sorted[i]), o, n, v);
        free(sorted);
        json_decref(keys);
}

/* The settings of one allocator and workload on each host, without the
 * host's own. */
static void alloc_settings(const struct view *v, const char *alloc, const char *wl, json_t **o)
{
        for (size_t i = 0; i < v->d->nhosts; i++) {
                json_t *m = ab_hrun_settings(v->d->h, v->latest[i], alloc, wl);
                const char *key;
                json_t *x;
                void *tmp;
                if (m && v->own[i])
                        json_object_foreach_safe(m, tmp, key,
                                                 x) if (json_object_get(v->own[i], key))
                            json_object_del(m, key);
                o[i] = m;
        }
}

/* The distinct allocator x workload pairs (workloads alone: alloc_too
 * false) of the points' series, first seen first: indices into h->series. */
static size_t distinct(const struct ab_history *h, bool alloc_too, size_t *out)
{
        size_t n = 0;
        for (size_t s = 0; s < h->nseries; s++) {
                const struct ab_hseries *x = &h->series[s];
                bool seen = false;
                if (x->site)
                        continue;
                for (size_t k = 0; k < n && !seen; k++)
                        seen = strcmp(h->series[out[k]].workload, x->workload) == 0 &&
                               (!alloc_too || strcmp(h->series[out[k]].alloc, x->alloc) == 0);
                if (!seen)
                        out[n++] = s;
        }
        return n;
}

static void differs_section(FILE *f, const struct view *v)
{
        const struct ab_history *h = v->d->h;
        size_t n = v->d->nhosts, count = 0, *pairs = calloc(h->nseries + 1, sizeof *pairs), np;
        json_t **o = calloc(n + 1, sizeof *o);
        if (!o || !pairs) {
                free(o);
                free(pairs);
                return;
        }
        fputs("<h3>What differs between the hosts' newest runs</h3>\n<ul class=\"differs\">\n", f);
        differs_list(f, NULL, v->own, n, v, &count);
        np = distinct(h, true, pairs);
        for (size_t p = 0; p < np; p++) {
                const struct ab_hseries *x = &h->series[pairs[p]];
                char what[600];
                alloc_settings(v, x->alloc, x->workload, o);
                snprintf(what, sizeof what, "%s · %s", x->alloc, x->workload);
                differs_list(f, what, o, n, v, &count);
                for (size_t i = 0; i < n; i++)
                        json_decref(o[i]);
        }
        if (!count)
                fputs("<li>nothing: the same host settings and run settings everywhere (or "
                      "none stored: runs added before " AB_HISTORY_STORE_SCHEMA ")</li>\n",
                      f);
        fputs("</ul>\n", f);
        free(o);
        free(pairs);
}

/* ---- the same workload side by side -------------------------------------------------- */

/* The newest figures of one row (allocator, point) in each column. */
struct row {
        const struct ab_hseries *first;
        double **v; /* per column */
        size_t *n;
};

static int cmp_dbl(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* The median of a column's values (they are sorted here), NAN for none. */
static double median(double *v, size_t n)
{
        if (!n)
                return NAN;
        qsort(v, n, sizeof *v, cmp_dbl);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The row of series s among rows[0..*n) (same allocator and point), made
 * when new; NULL when out of memory. */
static struct row *row_of(struct row *rows, size_t *n, const struct ab_hseries *s, size_t ncols)
{
        for (size_t i = 0; i < *n; i++)
                if (strcmp(rows[i].first->alloc, s->alloc) == 0 &&
                    strcmp(rows[i].first->point, s->point) == 0)
                        return &rows[i];
        rows[*n].first = s;
        rows[*n].v = calloc(ncols, sizeof *rows[*n].v);
        rows[*n].n = calloc(ncols, sizeof *rows[*n].n);
        return rows[*n].v && rows[*n].n ? &rows[(*n)++] : NULL;
}

static int cmp_row(const void *pa, const void *pb)
{
        const struct row *a = pa, *b = pb;
        int c = strcmp(a->first->alloc, b->first->alloc);
        return c ? c : ab_natcmp(a->first->point, b->first->point);
}

static void side_row(FILE *f, const struct view *v, struct row *r)
{
        double med[64], lo = INFINITY;
        char buf[48];
        size_t nc = v->ncols < 64 ? v->ncols : 64;
        for (size_t c = 0; c < nc; c++) {
                med[c] = median(r->v[c], r->n[c]);
                if (isfinite(med[c]) && med[c] < lo)
                        lo = med[c];
        }
        fputs("<tr><td>", f);
        ab_dash_esc(f, r->first->alloc);
        fputs(" · ", f);
        ab_dash_esc(f, r->first->point);
        fputs("</td>", f);
        for (size_t c = 0; c < nc; c++) {
                bool far = isfinite(med[c]) && lo > 0 && med[c] >= FAR * lo;
                fprintf(f, "<td class=\"num%s\">", far ? " far" : "");
                if (isfinite(med[c])) {
                        ab_dash_esc(f, ab_fmt_value(med[c], r->first->unit, buf, sizeof buf));
                        if (far)
                                fprintf(f, " (%.2fx)", med[c] / lo);
                } else {
                        fputs("-", f);
                }
                fputs("</td>", f);
        }
        fputs("</tr>\n", f);
}

/* One workload's figures of one metric, side by side; open: shown
 * unfolded. */
static void side_table(FILE *f, const struct view *v, const char *wl, const char *metric, bool open)
{
        const struct ab_history *h = v->d->h;
        struct row *rows = calloc(h->nseries + 1, sizeof *rows);
        size_t nrows = 0;
        if (!rows)
                return;
        for (size_t s = 0; s < h->nseries; s++) {
                const struct ab_hseries *x = &h->series[s];
                struct row *r;
                size_t hi = 0, c;
                if (x->site || !x->n || strcmp(x->workload, wl) != 0 || strcmp(x->metric, metric))
                        continue;
                while (hi < v->d->nhosts && strcmp(v->d->hosts[hi], x->host) != 0)
                        hi++;
                if (hi == v->d->nhosts || !(r = row_of(rows, &nrows, x, v->ncols)))
                        continue;
                c = v->col[hi];
                double *p = realloc(r->v[c], (r->n[c] + 1) * sizeof *p);
                if (!p)
                        continue;
                r->v[c] = p;
                p[r->n[c]++] = x->v[x->n - 1];
        }
        if (nrows) {
                qsort(rows, nrows, sizeof *rows, cmp_row);
                fprintf(f, "<details class=\"hostview\"%s><summary>", open ? " open" : "");
                ab_dash_esc(f, wl);
                fputs(" · ", f);
                ab_dash_esc(f, metric);
                fputs("</summary><table class=\"hostview\"><tr><th>allocator · point</th>", f);
                for (size_t c = 0; c < v->ncols && c < 64; c++) {
                        fputs("<th>", f);
                        ab_dash_esc(f, v->colname[c]);
                        fputs("</th>", f);
                }
                fputs("</tr>\n", f);
                for (size_t i = 0; i < nrows; i++)
                        side_row(f, v, &rows[i]);
                fputs("</table></details>\n", f);
        }
        for (size_t i = 0; i < nrows; i++) {
                for (size_t c = 0; c < v->ncols; c++)
                        free(rows[i].v[c]);
                free(rows[i].v);
                free(rows[i].n);
        }
        free(rows);
}

static void side_by_side(FILE *f, const struct view *v)
{
        const struct ab_history *h = v->d->h;
        size_t *wl = calloc(h->nseries + 1, sizeof *wl), nw;
        if (!wl)
                return;
        fprintf(f,
                "<h3>The same workload on each %s</h3>\n<p class=\"meta\">The newest figure of "
                "each allocator and point%s; a figure %.2f times its row's lowest or more in "
                "red, with the ratio.</p>\n",
                v->d->nhosts <= HOST_COLUMNS ? "host" : "kind of host (os · libc · arch)",
                v->d->nhosts <= HOST_COLUMNS ? " on each host"
                                             : ": the median over the hosts of each kind",
                FAR);
        nw = distinct(h, false, wl);
        for (size_t w = 0; w < nw; w++)
                for (int m = 0; m < AB_M_COUNT; m++)
                        if (ab_metrics[m].tracked)
                                side_table(f, v, h->series[wl[w]].workload, ab_metrics[m].key,
                                           m == AB_M_NS);
        free(wl);
}

void ab_dash_hosts(FILE *f, const struct ab_dash *d)
{
        struct view v;
        if (d->nhosts < 2)
                return;
        if (view_init(&v, d) == 0) {
                fprintf(f,
                        "<section id=\"hosts\"><h2>Hosts side by side</h2>\n<p class=\"meta\">"
                        "%zu hosts, from each one's newest run%s.</p>\n",
                        d->nhosts, d->split ? "; a host's name links its charts" : "");
                hosts_table(f, &v);
                differs_section(f, &v);
                side_by_side(f, &v);
                fputs("</section>\n", f);
        }
        view_free(&v);
}
