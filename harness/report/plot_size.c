/*
 * plot_size.c - the per-size figures of bench plot, for runs whose points
 * sweep a size (params.size): time per op (median, bars: its 95% CI) and
 * minor page faults per op against the size, log-log, one line per
 * allocator (and host), every file given drawn together. For reference, the
 * calibrated memset of each size (from each host's calibration) and one
 * fault per page; flags that name a size are marked at their points.
 * Figures NAME-WL-ns and NAME-WL-faults, drawn by plots/calloc-ns.gp and
 * plots/calloc-faults.gp (named after the workload that first had them).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/log.h"
#include "report/plot.h"

/* Flags placed on the figures, and how: gnuplot point type (open circle,
 * open square) and colour. */
static const char *const flag_kinds[] = {"calloc-zeroing", "size-cliff"};
static const char *const flag_pt[] = {"6", "4"};
static const char *const flag_col[] = {"#B00000", "#000000"};

#define MAX_SIZES 256 /* distinct sizes of one host's reference line */

enum { NS, FLT }; /* the two figures */

static const char *const kind[2] = {"ns", "faults"};
static const char *const script[2] = {"calloc-ns.gp", "calloc-faults.gp"};
static const enum ab_metric metric[2] = {AB_M_NS, AB_M_MINFLT};

/* One workload's two figures while they are built. */
struct sz {
        struct ab_plot *P;
        struct ab_plot_member *m;
        size_t n;
        const char *wl;
        char (*title)[AB_PLOT_LEGEND];
        const char *hosts[64];
        size_t nhosts;
        FILE *f[2];
        char *dat[2];
        size_t dlen[2], nseries[2], nref[2], nflag[2];
        char lts[2][256], dts[2][256], fpts[2][16], fcols[2][32];
        double xmin, xmax;
        char name[512];   /* NAME-WL */
        char fig[2][600]; /* NAME-WL-ns, NAME-WL-faults: for notes */
};

bool ab_plot_sweeps_size(const struct ab_vrun *r)
{
        for (size_t i = 0; i < r->npoints; i++)
                if (!isnan(r->points[i].size))
                        return true;
        return false;
}

/* Add a word to a space-separated list of gnuplot words. */
static void word_add(char *list, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void word_add(char *list, size_t len, const char *fmt, ...)
{
        size_t l = strlen(list);
        va_list ap;
        if (l && l + 1 < len)
                list[l++] = ' ';
        va_start(ap, fmt);
        vsnprintf(list + l, len - l, fmt, ap);
        va_end(ap);
}

/* The point of the run with this size, or NULL. */
static const struct ab_vpoint *point_of_size(const struct ab_vrun *r, double size)
{
        for (size_t i = 0; i < r->npoints; i++)
                if (r->points[i].size == size)
                        return &r->points[i];
        return NULL;
}

/* The figures of point p of member i in figure g: size, then the median
 * and its CI (NS) or the faults (FLT); false when the point has none. A
 * value that cannot be plotted is left out, and said so. */
static bool row_of(struct sz *S, size_t i, int g, const struct ab_vpoint *p, double *v)
{
        const struct ab_plot_src *s = S->m[i].s;
        const struct ab_vrun *r = S->m[i].run;
        v[0] = p->size;
        v[1] = g == NS ? p->ns.median : p->m[AB_M_MINFLT];
        v[2] = p->ns.ci95_lo;
        v[3] = p->ns.ci95_hi;
        if (!p->ok || !(v[0] > 0) || isnan(v[1]))
                return false;
        if (isnan(v[0] = ab_plot_checked(s, r, p->label, "size", S->fig[g], v[0])) ||
            isnan(v[1] =
                      ab_plot_checked(s, r, p->label, ab_metrics[metric[g]].key, S->fig[g], v[1])))
                return false;
        if (!ab_plot_fits(v[2]) || !ab_plot_fits(v[3]))
                v[2] = v[3] = NAN; /* an interval that cannot be drawn: the median alone */
        return true;
}

/* One block per run and figure: [NS] size, median, CI; [FLT] size, faults. */
static void series(struct sz *S)
{
        for (size_t i = 0; i < S->n; i++) {
                const struct ab_vrun *r = S->m[i].run;
                size_t rows[2] = {0, 0};
                int lt = ab_plot_lt(S->P, r->alloc), dt = 1;
                while (dt <= (int)S->nhosts && strcmp(S->hosts[dt - 1], S->m[i].s->host) != 0)
                        dt++;
                for (int g = 0; g < 2; g++) {
                        FILE *f = S->f[g];
                        for (size_t k = 0; k < r->npoints; k++) {
                                double v[4];
                                if (!row_of(S, i, g, &r->points[k], v))
                                        continue;
                                if (!rows[g]++) {
                                        if (S->nseries[g]++)
                                                fputs("\n\n", f);
                                        ab_plot_dat_title(f, S->title[i]);
                                }
                                fprintf(f, "%.0f", v[0]);
                                ab_plot_dat_num(f, v[1]);
                                if (g == NS) {
                                        ab_plot_dat_num(f, isnan(v[2]) ? v[1] : v[2]);
                                        ab_plot_dat_num(f, isnan(v[3]) ? v[1] : v[3]);
                                }
                                fputc('\n', f);
                                S->xmin = fmin(S->xmin, v[0]);
                                S->xmax = fmax(S->xmax, v[0]);
                        }
                        if (rows[g]) {
                                word_add(S->lts[g], sizeof S->lts[g], "%d", lt);
                                word_add(S->dts[g], sizeof S->dts[g], "%d", dt);
                        }
                }
        }
}

/* Distinct sizes of the points of host h's runs, ascending. */
static size_t host_sizes(struct sz *S, size_t h, double *sizes)
{
        size_t ns = 0;
        for (size_t i = 0; i < S->n; i++) {
                const struct ab_vrun *r = S->m[i].run;
                if (strcmp(S->m[i].s->host, S->hosts[h]) != 0)
                        continue;
                for (size_t k = 0; k < r->npoints; k++) {
                        double size = r->points[k].size;
                        bool seen = false;
                        for (size_t j = 0; j < ns; j++)
                                seen |= sizes[j] == size;
                        if (size > 0 && !seen && ns < MAX_SIZES)
                                sizes[ns++] = size;
                }
        }
        for (size_t a = 1; a < ns; a++) /* few: insertion sort */
                for (size_t b = a; b > 0 && sizes[b - 1] > sizes[b]; b--) {
                        double t = sizes[b];
                        sizes[b] = sizes[b - 1];
                        sizes[b - 1] = t;
                }
        return ns;
}

/* The memset of each size at host h's calibrated bandwidth. */
static void memset_ref(struct sz *S, size_t h, struct ab_plot_src *s)
{
        double sizes[MAX_SIZES];
        size_t ns = host_sizes(S, h, sizes);
        char t[AB_PLOT_LEGEND + 32];
        if (S->nhosts > 1)
                snprintf(t, sizeof t, "memset @ %s (calibrated)", S->hosts[h]);
        else
                snprintf(t, sizeof t, "memset of the size (calibrated)");
        fputs("\n\n", S->f[NS]);
        ab_plot_dat_title(S->f[NS], t);
        for (size_t j = 0; j < ns; j++) {
                double v;
                char pt[64];
                if (!ab_plot_fits(sizes[j]) || sizes[j] >= 1.8e19)
                        continue; /* said where its point was left out */
                v = ab_doc_memset_ns(&s->doc, sizes[j]);
                snprintf(pt, sizeof pt, "memset reference at size=%.0f", sizes[j]);
                if (v > 0 && !isnan(v = ab_plot_checked(s, NULL, pt, "memset_ns", S->fig[NS], v)))
                        fprintf(S->f[NS], "%.0f %.10g\n", sizes[j], v);
        }
        S->nref[NS]++;
}

/* References: memset of each size (per host's calibration); one fault per
 * page (per page size). */
static void refs(struct sz *S)
{
        double pages[4];
        size_t npages = 0;
        for (size_t h = 0; h < S->nhosts; h++) {
                struct ab_plot_src *cal = NULL;
                double page = 0;
                for (size_t i = 0; i < S->n; i++) {
                        if (strcmp(S->m[i].s->host, S->hosts[h]) != 0)
                                continue;
                        if (!cal && S->m[i].s->doc.cal.nmemset)
                                cal = S->m[i].s;
                        if (!page)
                                page = S->m[i].s->doc.host.page_size;
                }
                if (cal && S->nseries[NS])
                        memset_ref(S, h, cal);
                if (!(page > 0 && page < 1.8e19))
                        page = 4096;
                /* one line per page size (hosts alike share it) */
                for (size_t j = 0; j < npages && page > 0; j++)
                        if (pages[j] == page)
                                page = 0;
                if (page > 0 && npages < sizeof pages / sizeof pages[0])
                        pages[npages++] = page;
        }
        for (size_t q = 0; q < npages && S->nseries[FLT]; q++) {
                char t[AB_PLOT_LEGEND], ps[32];
                ab_fmt_size((uint64_t)pages[q], ps, sizeof ps);
                snprintf(t, sizeof t, "one fault per %s page", ps);
                fputs("\n\n", S->f[FLT]);
                ab_plot_dat_title(S->f[FLT], t);
                /* a straight line on log-log axes: its ends suffice */
                fprintf(S->f[FLT], "%.0f %.10g\n%.0f %.10g\n", S->xmin, S->xmin / pages[q], S->xmax,
                        S->xmax / pages[q]);
                S->nref[FLT]++;
        }
}

/* Mark a flag of kind q of member i at its sizes: calloc-zeroing at every
 * size of its evidence, size-cliff at where.size alone. */
static void flag_rows(struct sz *S, size_t q, size_t i, const struct ab_vflag *fl, size_t *rows)
{
        const struct ab_vrun *r = S->m[i].run;
        double sizes[MAX_SIZES];
        size_t ns = q == 0 ? ab_vflag_evidence_nums(fl, "sizes", sizes, MAX_SIZES) : 0;
        if (ns > MAX_SIZES)
                ns = MAX_SIZES;
        for (size_t j = 0; j <= ns; j++) {
                double size = j < ns ? sizes[j] : ab_vflag_where_num(fl, "size"), v[2];
                const struct ab_vpoint *p = size > 0 ? point_of_size(r, size) : NULL;
                if (j == ns && ns) /* where.size is among sizes */
                        break;
                if (!p || !p->ok || !ab_plot_fits(size))
                        continue;
                v[NS] = p->ns.median;
                v[FLT] = p->m[AB_M_MINFLT];
                for (int g = 0; g < 2; g++) {
                        if (isnan(v[g]) || !ab_plot_fits(v[g]) || !S->nseries[g])
                                continue;
                        if (!rows[g]++) {
                                char t[64];
                                snprintf(t, sizeof t, "flagged: %s", flag_kinds[q]);
                                fputs("\n\n", S->f[g]);
                                ab_plot_dat_title(S->f[g], t);
                        }
                        fprintf(S->f[g], "%.0f %.10g\n", size, v[g]);
                }
        }
}

/* Flagged points, one block per kind. */
static void flags(struct sz *S)
{
        for (size_t q = 0; q < sizeof flag_kinds / sizeof flag_kinds[0]; q++) {
                size_t rows[2] = {0, 0};
                for (size_t i = 0; i < S->n; i++) {
                        const struct ab_doc *d = &S->m[i].s->doc;
                        for (size_t k = 0; k < d->nflags; k++) {
                                const struct ab_vflag *fl = &d->flags[k];
                                if (strcmp(fl->kind, flag_kinds[q]) != 0 ||
                                    strcmp(fl->allocator, S->m[i].run->alloc) != 0 ||
                                    strcmp(fl->workload, S->wl) != 0)
                                        continue;
                                flag_rows(S, q, i, fl, rows);
                        }
                }
                for (int g = 0; g < 2; g++) {
                        if (rows[g]) {
                                word_add(S->fpts[g], sizeof S->fpts[g], "%s", flag_pt[q]);
                                word_add(S->fcols[g], sizeof S->fcols[g], "%s", flag_col[q]);
                                S->nflag[g]++;
                        }
                }
        }
}

/* The figures' name: the file's, or every file's joined with '+', then the
 * workload; and the hosts, in order of appearance. */
static void names(struct sz *S)
{
        char prefix[512];
        size_t off = 0;
        prefix[0] = '\0';
        for (size_t i = 0; i < S->n; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= S->m[j].s == S->m[i].s;
                if (!seen && off < 200)
                        off += (size_t)snprintf(prefix + off, sizeof prefix - off, "%s%s",
                                                off ? "+" : "", S->m[i].s->base);
        }
        if (off > 200)
                snprintf(prefix + 180, sizeof prefix - 180, "+more");
        ab_plot_fig_name(S->name, sizeof S->name, prefix, S->wl);
        for (int g = 0; g < 2; g++)
                snprintf(S->fig[g], sizeof S->fig[g], "%s-%s", S->name, kind[g]);
        for (size_t i = 0; i < S->n; i++) {
                size_t h = 0;
                while (h < S->nhosts && strcmp(S->hosts[h], S->m[i].s->host) != 0)
                        h++;
                if (h == S->nhosts && S->nhosts < 64)
                        S->hosts[S->nhosts++] = S->m[i].s->host;
        }
}

/* Draw figure g from its data. */
static int draw(struct sz *S, int g, const char *sub)
{
        static const char *const columns[2] = {
            "blocks: per allocator size_bytes ns_median ns_ci95_lo ns_ci95_hi; memset reference "
            "size_bytes ns; flagged size_bytes ns_median",
            "blocks: per allocator size_bytes minflt_per_op; one fault per page size_bytes pages; "
            "flagged size_bytes minflt_per_op"};
        const struct ab_metric_def *md = &ab_metrics[metric[g]];
        char stem[PATH_MAX], what[AB_PLOT_TITLE_NAME + 128], wl[AB_PLOT_TITLE_NAME], ylabel[256],
            *vars = NULL;
        size_t vlen;
        FILE *v;
        int r = ab_plot_stem(S->P, S->m[0].s->dir, S->name, kind[g], stem, sizeof stem);
        if (r)
                return r;
        ab_plot_clean(wl, sizeof wl, S->wl);
        snprintf(what, sizeof what, "%s: %s, by block size", wl, md->help);
        snprintf(ylabel, sizeof ylabel,
                 g == NS ? "%s (median, bars: 95%% CI; log scale)" : "%s (log scale)", md->help);
        if (!(v = ab_plot_vars_open(&vars, &vlen, what, sub)))
                return -ENOMEM;
        fprintf(v,
                "; nseries=%zu; nref=%zu; nflag=%zu; lts=\"%s\"; dts=\"%s\"; fpts=\"%s\"; "
                "fcols=\"%s\"; xmin=%.0f; xmax=%.0f; w=%d; h=%d; y_label=",
                S->nseries[g], S->nref[g], S->nflag[g], S->lts[g], S->dts[g], S->fpts[g],
                S->fcols[g], S->xmin, S->xmax, AB_PLOT_W, AB_PLOT_H);
        ab_plot_gp_str(v, ylabel);
        fclose(v);
        r = ab_plot_figure(
            S->P, &(struct ab_plot_fig){stem, script[g], what, columns[g], S->dat[g], vars});
        free(vars);
        return r;
}

int ab_plot_size(struct ab_plot *P, struct ab_plot_member *m, size_t n, const char *wl)
{
        struct sz *S = calloc(1, sizeof *S);
        char sub[1700];
        int r = 0;
        if (!S || !(S->title = calloc(n, sizeof *S->title))) {
                free(S);
                return -ENOMEM;
        }
        *S = (struct sz){.P = P, .m = m, .n = n, .wl = wl, .title = S->title, .xmin = INFINITY};
        ab_plot_member_titles(m, n, S->title);
        names(S);
        for (int g = 0; g < 2; g++)
                if (!(S->f[g] = open_memstream(&S->dat[g], &S->dlen[g])))
                        r = -ENOMEM;
        if (!r) {
                series(S);
                refs(S);
                flags(S);
        }
        for (int g = 0; g < 2; g++)
                if (S->f[g] && fclose(S->f[g]) != 0)
                        r = -ENOMEM;
        if (!r && !S->nseries[NS] && !S->nseries[FLT]) {
                char w[AB_PLOT_TITLE_NAME];
                ab_plot_clean(w, sizeof w, wl);
                ab_err("plot", "%s: no measured point to draw against size", w);
        }
        if (!r)
                ab_plot_subtitle(m, n, "", sub, sizeof sub);
        for (int g = 0; g < 2 && !r; g++)
                if (S->nseries[g])
                        r = draw(S, g, sub);
        if (r == -ENOMEM)
                ab_err("plot", "out of memory");
        for (int g = 0; g < 2; g++)
                free(S->dat[g]);
        free(S->title);
        free(S);
        return r;
}
