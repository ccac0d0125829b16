/*
 * plot_memory.c - the memory bars of bench plot: virtual size and resident
 * set of each allocator after the measured region, side by side, for the
 * runs of a workload where the two part ways. Figure NAME-WL-memory, drawn
 * by plots/arena-memory.gp (named after the workload that first had it);
 * its panels are titled and measured as doc/metrics.def has vsz_kib and
 * rss_kib.
 *
 * Which runs: those that ran several threads (a `threads` parameter above
 * 1: each thread may get its own arena, reserved address space and cache,
 * the story VSZ against RSS tells), and single-point runs without rounds
 * whose VSZ is at least 4 times their RSS and 64 MiB above it (the first
 * run of a program that reserves far more than it touches). A run with
 * rounds shows VSZ and RSS after each round already, and a size sweep
 * against its sizes; neither gets bars for its VSZ alone. Of the shipped job
 * files this selects arena-churn, arena-turnover and arena-xfree, as the
 * kernel name did before.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "report/plot.h"

#define FAR_RATIO 4.0           /* VSZ / RSS */
#define FAR_KIB   (64.0 * 1024) /* VSZ - RSS */

static bool vsz_far_above_rss(const struct ab_vrun *r)
{
        const struct ab_vpoint *p = r->npoints == 1 ? &r->points[0] : NULL;
        double vsz, rss;
        if (!p || r->nrounds || ab_plot_sweeps_size(r))
                return false;
        vsz = p->m[AB_M_VSZ];
        rss = p->m[AB_M_RSS];
        return vsz >= FAR_RATIO * rss && vsz - rss >= FAR_KIB && rss > 0;
}

bool ab_plot_wants_bars(const struct ab_plot_member *m, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (ab_vrun_num(m[i].run, "threads") > 1 || vsz_far_above_rss(m[i].run))
                        return true;
        return false;
}

/* The bars figure while it is built. */
struct bars {
        FILE *f;
        size_t npoints;
        char lts[512];
        double max[2];
        bool has[2];
        char fig[600]; /* NAME-WL-memory, for notes */
};

static const enum ab_metric col[2] = {AB_M_VSZ, AB_M_RSS};

/* A header row (the points' labels, twice: VSZ and RSS columns), then a
 * row per run: its legend title, VSZ and RSS of each point. */
static void rows(struct ab_plot *P, struct bars *B, const struct ab_plot_member *m, size_t n,
                 char (*title)[AB_PLOT_LEGEND])
{
        const struct ab_vrun *first = m[0].run;
        fputs("\"allocator\"", B->f);
        for (size_t k = 0; k < B->npoints; k++) {
                for (int c = 0; c < 2; c++) {
                        fputc(' ', B->f);
                        ab_plot_dat_str(B->f, k < first->npoints ? first->points[k].label : "-");
                }
        }
        fputc('\n', B->f);
        for (size_t i = 0; i < n; i++) {
                const struct ab_vrun *r = m[i].run;
                ab_plot_dat_str(B->f, title[i]);
                for (size_t k = 0; k < B->npoints; k++) {
                        const struct ab_vpoint *p = k < r->npoints ? &r->points[k] : NULL;
                        for (int c = 0; c < 2; c++) {
                                double x = p && p->ok ? p->m[col[c]] : NAN;
                                if (p)
                                        x = ab_plot_checked(m[i].s, r, p->label,
                                                            ab_metrics[col[c]].key, B->fig, x);
                                ab_plot_dat_num(B->f, x);
                                if (!isnan(x)) {
                                        B->has[c] = true;
                                        B->max[c] = fmax(B->max[c], x);
                                }
                        }
                }
                fputc('\n', B->f);
                snprintf(B->lts + strlen(B->lts), sizeof B->lts - strlen(B->lts), "%s%d",
                         B->lts[0] ? " " : "", ab_plot_member_lt(P, &m[i]));
        }
}

/* The gnuplot variables of the figure, after its title and subtitle. */
static void more_vars(FILE *v, const struct bars *B, size_t n)
{
        static const char *const var[2] = {"vsz", "rss"};
        fprintf(v, "; nallocs=%zu; npoints=%zu; lts=\"%s\"; w=%d; h=%d", n, B->npoints, B->lts,
                AB_PLOT_W, AB_PLOT_H);
        for (int c = 0; c < 2; c++) {
                double div;
                const char *unit;
                ab_plot_pick_unit(B->max[c], ab_metrics[col[c]].unit, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; has_%s=%d", var[c], div, var[c], unit,
                        var[c], B->has[c]);
        }
        for (int c = 0; c < 2; c++) {
                fprintf(v, "; %s_label=", var[c]);
                ab_plot_gp_str(v, ab_metrics[col[c]].help);
        }
}

int ab_plot_memory(struct ab_plot *P, struct ab_plot_src *s, struct ab_plot_member *m, size_t n,
                   const char *wl)
{
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], name[512], sub[1700],
             what[AB_PLOT_TITLE_NAME + 80], wlc[AB_PLOT_TITLE_NAME];
        char(*title)[AB_PLOT_LEGEND] = calloc(n, sizeof *title);
        struct bars B = {0};
        size_t dlen, vlen;
        FILE *v;
        int r;

        if (!title || !(B.f = open_memstream(&dat, &dlen))) {
                free(title);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                B.npoints = m[i].run->npoints > B.npoints ? m[i].run->npoints : B.npoints;
        ab_plot_fig_name(name, sizeof name, s->base, wl);
        snprintf(B.fig, sizeof B.fig, "%s-memory", name);
        ab_plot_member_titles(m, n, title);
        rows(P, &B, m, n, title);
        fclose(B.f);
        free(title);
        ab_plot_clean(wlc, sizeof wlc, wl);
        if (!B.has[0] && !B.has[1]) {
                ab_err("plot", "%s: %s: no VSZ or RSS measured, no memory figure", s->path, wlc);
                free(dat);
                return 0;
        }
        if ((r = ab_plot_stem(P, s->dir, name, "memory", stem, sizeof stem))) {
                free(dat);
                return r;
        }
        ab_plot_subtitle(m, n, "", sub, sizeof sub);
        snprintf(what, sizeof what, "%s: address space and resident memory after the run", wlc);
        if (!(v = ab_plot_vars_open(&vars, &vlen, what, sub))) {
                free(dat);
                return -ENOMEM;
        }
        more_vars(v, &B, n);
        fclose(v);
        r = ab_plot_figure(P, &(struct ab_plot_fig){stem, "arena-memory.gp", what,
                                                    "header row, then per allocator: name "
                                                    "vsz_kib rss_kib (per point)",
                                                    dat, vars});
        free(vars);
        free(dat);
        return r;
}
