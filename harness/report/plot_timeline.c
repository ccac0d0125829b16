/*
 * plot_timeline.c - the timeline figures of bench plot: resident set and
 * virtual size of the workload processes while they ran, as sampled from
 * outside every sample_ms. NAME-ALLOC-WL-timeline shows one run; for a
 * program (cmd) run under several allocators or launchers,
 * NAME-WL-timelines shows them all in one figure, a colour each. Drawn by
 * plots/timeline.gp; its units are those of rss_kib and vsz_kib in
 * doc/metrics.def.
 *
 * Each measured process is a line of its own, its time counted from its own
 * start (the run's timeline_spans say where each begins), so repetitions lie
 * on top of each other and fill the width. A file from before the spans is
 * drawn against the time since the matrix started, a line broken wherever
 * the next sample comes more than three intervals later.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "report/plot.h"

/* A timeline figure while it is built. */
struct tl {
        FILE *f;
        bool aligned; /* time from each process's start */
        double t0, t1, max[2];
        bool has[2];
        size_t nseries, nproc;
        char lts[512];
        char fig[600]; /* its name, for notes */
};

static const enum ab_metric col[2] = {AB_M_RSS, AB_M_VSZ};

/* Sample k of run r at time t (already checked) as a row. */
static void row(struct tl *T, const struct ab_plot_member *mb, size_t k, double t)
{
        const struct ab_vrun *r = mb->run;
        char pt[64];
        snprintf(pt, sizeof pt, "timeline sample %zu", k);
        T->t0 = fmin(T->t0, t);
        T->t1 = fmax(T->t1, t);
        fprintf(T->f, "%.3f", t);
        for (int c = 0; c < 2; c++) {
                double x = ab_plot_checked(mb->s, r, pt, ab_metrics[col[c]].key, T->fig,
                                           r->timeline[k][c + 1]);
                ab_plot_dat_num(T->f, x);
                if (!isnan(x)) {
                        T->has[c] = true;
                        T->max[c] = fmax(T->max[c], x);
                }
        }
        fputc('\n', T->f);
}

/* The time of sample k, checked; NAN when it cannot be drawn. */
static double sample_t(const struct tl *T, const struct ab_plot_member *mb, size_t k)
{
        char pt[64];
        double t = mb->run->timeline[k][0];
        snprintf(pt, sizeof pt, "timeline sample %zu", k);
        return isnan(t) ? NAN : ab_plot_checked(mb->s, mb->run, pt, "t_ms", T->fig, t);
}

/* The rows of one run: a stretch per process, separated by a blank line. */
static void run_rows(struct tl *T, const struct ab_plot_member *mb, double sample_ms)
{
        const struct ab_vrun *r = mb->run;
        double prev = NAN;
        if (T->aligned) {
                for (size_t i = 0; i < r->nspans; i++) {
                        const struct ab_vspan *sp = &r->spans[i];
                        if (T->nproc++)
                                fputc('\n', T->f);
                        for (size_t k = sp->first; k < sp->first + sp->count; k++) {
                                double t = sample_t(T, mb, k);
                                if (!isnan(t) && ab_plot_fits(t - sp->start_ms))
                                        row(T, mb, k, fmax(t - sp->start_ms, 0));
                        }
                }
                return;
        }
        for (size_t k = 0; k < r->ntimeline; k++) {
                double t = sample_t(T, mb, k);
                if (isnan(t))
                        continue;
                if (!isnan(prev) && t - prev > 3 * sample_ms)
                        fputc('\n', T->f);
                else if (isnan(prev))
                        T->nproc++;
                prev = t;
                row(T, mb, k, t);
        }
}

/* The gnuplot variables of the figure, after its title and subtitle. */
static void more_vars(FILE *v, const struct tl *T, double sample_ms)
{
        static const char *const var[2] = {"rss", "vsz"};
        double pad, span = T->t1 - T->t0;
        /* seconds, unless the whole run is shorter than two */
        fprintf(v, "; nseries=%zu; lts=\"%s\"; t_div=%d; t_unit=\"%s\"; aligned=%d; w=%d; h=%d",
                T->nseries, T->lts, span >= 2000 ? 1000 : 1, span >= 2000 ? "s" : "ms", T->aligned,
                AB_PLOT_W, AB_PLOT_H);
        /* the time axis: the samples' span, never empty (one sample) */
        pad = fmax(span * 0.01, sample_ms / 2);
        fprintf(v, "; tmin=%.3f; tmax=%.3f", T->aligned ? 0 : fmax(T->t0 - pad, 0), T->t1 + pad);
        for (int c = 0; c < 2; c++) {
                double div;
                const char *unit;
                ab_plot_pick_unit(T->max[c], ab_metrics[col[c]].unit, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; has_%s=%d", var[c], div, var[c], unit,
                        var[c], T->has[c]);
        }
}

/* Draw the timelines of members m[0..n) as figure NAME-KIND, titled `what`. */
static int draw(struct ab_plot *P, struct ab_plot_member *m, size_t n, const char *name,
                const char *kind, const char *what)
{
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], sub[1700], tail[160];
        char(*mt)[AB_PLOT_LEGEND] = calloc(n, sizeof *mt);
        double sample_ms = m[0].s->doc.sample_ms;
        struct tl T = {.t0 = INFINITY, .t1 = -INFINITY, .aligned = true};
        size_t dlen, vlen;
        FILE *v;
        int rc;

        if (!(sample_ms > 0 && ab_plot_fits(sample_ms)))
                sample_ms = 10;
        if (!mt || !(T.f = open_memstream(&dat, &dlen))) {
                free(mt);
                return -ENOMEM;
        }
        snprintf(T.fig, sizeof T.fig, "%s-%s", name, kind);
        for (size_t i = 0; i < n; i++)
                T.aligned &= m[i].run->nspans > 0;
        ab_plot_member_titles(m, n, mt);
        for (size_t i = 0; i < n; i++) {
                if (!m[i].run->ntimeline)
                        continue;
                if (T.nseries++)
                        fputs("\n\n", T.f);
                ab_plot_dat_title(T.f, mt[i]);
                snprintf(T.lts + strlen(T.lts), sizeof T.lts - strlen(T.lts), "%s%d",
                         T.lts[0] ? " " : "", ab_plot_member_lt(P, &m[i]));
                run_rows(&T, &m[i], sample_ms);
        }
        fclose(T.f);
        free(mt);
        if (!T.has[0] && !T.has[1]) {
                free(dat);
                return 1;
        }
        if ((rc = ab_plot_stem(P, m[0].s->dir, name, kind, stem, sizeof stem))) {
                free(dat);
                return rc;
        }
        snprintf(tail, sizeof tail, "; %zu process%s%s, sampled every %g ms", T.nproc,
                 T.nproc == 1 ? "" : "es", T.aligned ? " each from its start" : "", sample_ms);
        ab_plot_subtitle(m, n, tail, sub, sizeof sub);
        if (!(v = ab_plot_vars_open(&vars, &vlen, what, sub))) {
                free(dat);
                return -ENOMEM;
        }
        more_vars(v, &T, sample_ms);
        fclose(v);
        rc = ab_plot_figure(P, &(struct ab_plot_fig){stem, "timeline.gp", what,
                                                     "blocks: per run t_ms rss_kib vsz_kib", dat,
                                                     vars});
        free(vars);
        free(dat);
        return rc;
}

void ab_plot_run_fig_name(const struct ab_plot_src *s, const struct ab_vrun *r, char *name,
                          size_t len)
{
        char an[128], prefix[512];
        if (r->wrap) {
                char aw[AB_PLOT_TITLE_NAME * 2];
                snprintf(aw, sizeof aw, "%s under %s", r->alloc, r->wrap);
                ab_plot_safe_name(an, sizeof an, aw);
        } else {
                ab_plot_safe_name(an, sizeof an, r->alloc);
        }
        snprintf(prefix, sizeof prefix, "%s-%s", s->base, an);
        ab_plot_fig_name(name, len, prefix, r->workload);
}

int ab_plot_timeline(struct ab_plot *P, struct ab_plot_src *s, const struct ab_vrun *r)
{
        char name[512], what[2 * AB_PLOT_TITLE_NAME + 80], alloc[AB_PLOT_TITLE_NAME],
            wl[AB_PLOT_TITLE_NAME];
        struct ab_plot_member me = {s, r};
        int rc;

        ab_plot_run_fig_name(s, r, name, sizeof name);
        ab_plot_clean(alloc, sizeof alloc, r->alloc);
        ab_plot_clean(wl, sizeof wl, r->workload_id);
        snprintf(what, sizeof what, "%s on %s: memory of the workload processes while they ran",
                 alloc, wl);
        rc = draw(P, &me, 1, name, "timeline", what);
        if (rc == 1)
                ab_err("plot",
                       "%s: %s on %s: no timeline samples (sampling off, not measurable here, or "
                       "each process ran shorter than sample_ms): no timeline figure",
                       s->path, alloc, wl);
        return rc == 1 ? 0 : rc;
}

int ab_plot_timelines(struct ab_plot *P, struct ab_plot_src *s, struct ab_plot_member *m, size_t n,
                      const char *wl)
{
        char name[512], what[AB_PLOT_TITLE_NAME + 80], wlc[AB_PLOT_TITLE_NAME];
        size_t with = 0;
        int rc;
        for (size_t i = 0; i < n; i++)
                with += m[i].run->ntimeline > 0;
        if (with < 2)
                return 0;
        ab_plot_fig_name(name, sizeof name, s->base, wl);
        ab_plot_clean(wlc, sizeof wlc, m[0].run->base_id);
        snprintf(what, sizeof what, "%s: memory while it ran, every allocator", wlc);
        rc = draw(P, m, n, name, "timelines", what);
        return rc == 1 ? 0 : rc;
}
