/*
 * plot_timeline.c - the timeline figure of bench plot: resident set and
 * virtual size of one run's workload processes while they ran, as sampled
 * from outside every sample_ms. Figure NAME-ALLOC-WL-timeline, drawn by
 * plots/timeline.gp; its units are those of rss_kib and vsz_kib in
 * doc/metrics.def.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "report/plot.h"

/* The timeline while it is built. */
struct tl {
        FILE *f;
        double t0, t1, max[2];
        bool has[2];
        char fig[600]; /* NAME-ALLOC-WL-timeline, for notes */
};

static const enum ab_metric col[2] = {AB_M_RSS, AB_M_VSZ};

/* One row per sample: t_ms rss_kib vsz_kib; a blank line where the next
 * sample comes more than three intervals later (another process, or another
 * allocator's, ran between: the line breaks). */
static void samples(struct tl *T, const struct ab_plot_src *s, const struct ab_vrun *r,
                    double sample_ms)
{
        double prev = NAN;
        for (size_t k = 0; k < r->ntimeline; k++) {
                char pt[64];
                double t = r->timeline[k][0];
                snprintf(pt, sizeof pt, "timeline sample %zu", k);
                if (isnan(t) || isnan(t = ab_plot_checked(s, r, pt, "t_ms", T->fig, t)))
                        continue;
                if (!isnan(prev) && t - prev > 3 * sample_ms)
                        fputc('\n', T->f);
                prev = t;
                T->t0 = fmin(T->t0, t);
                T->t1 = fmax(T->t1, t);
                fprintf(T->f, "%.3f", t);
                for (int c = 0; c < 2; c++) {
                        double x = ab_plot_checked(s, r, pt, ab_metrics[col[c]].key, T->fig,
                                                   r->timeline[k][c + 1]);
                        ab_plot_dat_num(T->f, x);
                        if (!isnan(x)) {
                                T->has[c] = true;
                                T->max[c] = fmax(T->max[c], x);
                        }
                }
                fputc('\n', T->f);
        }
}

/* The gnuplot variables of the figure, after its title and subtitle. */
static void more_vars(FILE *v, const struct tl *T, int lt, double sample_ms)
{
        static const char *const var[2] = {"rss", "vsz"};
        double pad;
        /* seconds, unless the whole run is shorter than two */
        fprintf(v, "; ltype=%d; t_div=%d; t_unit=\"%s\"; w=%d; h=%d", lt,
                T->t1 - T->t0 >= 2000 ? 1000 : 1, T->t1 - T->t0 >= 2000 ? "s" : "ms", AB_PLOT_W,
                AB_PLOT_H);
        /* the time axis: the samples' span, never empty (one sample) */
        pad = fmax((T->t1 - T->t0) * 0.01, sample_ms / 2);
        fprintf(v, "; tmin=%.3f; tmax=%.3f", fmax(T->t0 - pad, 0), T->t1 + pad);
        for (int c = 0; c < 2; c++) {
                double div;
                const char *unit;
                ab_plot_pick_unit(T->max[c], ab_metrics[col[c]].unit, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; has_%s=%d", var[c], div, var[c], unit,
                        var[c], T->has[c]);
        }
}

int ab_plot_timeline(struct ab_plot *P, struct ab_plot_src *s, const struct ab_vrun *r)
{
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], name[512], prefix[512], an[128], sub[1700],
             what[2 * AB_PLOT_TITLE_NAME + 80], alloc[AB_PLOT_TITLE_NAME], wl[AB_PLOT_TITLE_NAME],
             tail[64];
        double sample_ms = s->doc.sample_ms;
        struct ab_plot_member me = {s, r};
        struct tl T = {.t0 = INFINITY, .t1 = -INFINITY};
        size_t dlen, vlen;
        FILE *v;
        int rc;

        if (!(sample_ms > 0 && ab_plot_fits(sample_ms)))
                sample_ms = 10;
        if (!(T.f = open_memstream(&dat, &dlen)))
                return -ENOMEM;
        ab_plot_safe_name(an, sizeof an, r->alloc);
        snprintf(prefix, sizeof prefix, "%s-%s", s->base, an);
        ab_plot_fig_name(name, sizeof name, prefix, r->workload);
        snprintf(T.fig, sizeof T.fig, "%s-timeline", name);
        samples(&T, s, r, sample_ms);
        fclose(T.f);
        ab_plot_clean(alloc, sizeof alloc, r->alloc);
        ab_plot_clean(wl, sizeof wl, r->workload);
        if (!T.has[0] && !T.has[1]) {
                ab_err("plot",
                       "%s: %s on %s: no timeline samples (sampling off, not measurable here, or "
                       "each process ran shorter than sample_ms): no timeline figure",
                       s->path, alloc, wl);
                free(dat);
                return 0;
        }
        if ((rc = ab_plot_stem(P, s->dir, name, "timeline", stem, sizeof stem))) {
                free(dat);
                return rc;
        }
        snprintf(tail, sizeof tail, "; sampled every %g ms", sample_ms);
        ab_plot_subtitle(&me, 1, tail, sub, sizeof sub);
        snprintf(what, sizeof what, "%s on %s: memory of the workload processes while they ran",
                 alloc, wl);
        if (!(v = ab_plot_vars_open(&vars, &vlen, what, sub))) {
                free(dat);
                return -ENOMEM;
        }
        more_vars(v, &T, ab_plot_lt(P, r->alloc), sample_ms);
        fclose(v);
        rc = ab_plot_figure(
            P, &(struct ab_plot_fig){stem, "timeline.gp", what, "t_ms rss_kib vsz_kib", dat, vars});
        free(vars);
        free(dat);
        return rc;
}
