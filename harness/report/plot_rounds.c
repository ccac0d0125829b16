/*
 * plot_rounds.c - the rounds figure of bench plot, for runs with rounds:
 * resident set, virtual size, page tables and the bytes the workload holds
 * after each round (the median over repetitions), one line per run, and per
 * point when the rounds belong to the points of a sweep. Figure NAME-WL-rounds,
 * drawn by plots/rounds.gp; the units of its panels are those of the same
 * figures in doc/metrics.def.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"

/* The panels: the round's field, its metric (for the unit), gnuplot's name. */
static const struct {
        const char *key;
        enum ab_metric metric;
        const char *var;
} panel[4] = {{"rss_kib", AB_M_RSS, "rss"},
              {"vsz_kib", AB_M_VSZ, "vsz"},
              {"pte_kib", AB_M_PTE, "pte"},
              {"live_bytes", AB_M_LIVE, "live"}};

/* The rounds figure while it is built. */
struct rd {
        FILE *f;
        char lts[512];
        size_t nseries;
        double max[4], rmax;
        bool has[4];
        char fig[600]; /* NAME-WL-rounds, for notes */
};

static double field(const struct ab_vround *o, int c)
{
        return c == 0 ? o->rss_kib : c == 1 ? o->vsz_kib : c == 2 ? o->pte_kib : o->live_bytes;
}

/* The rows of member i: a block per point its rounds belong to ("-" when
 * they belong to the run). */
static void member_rows(struct ab_plot *P, struct rd *R, const struct ab_plot_member *mb,
                        const char *mtitle)
{
        const struct ab_vrun *r = mb->run;
        const struct ab_vpoint *last = NULL;
        for (size_t k = 0; k < r->nrounds; k++) {
                const struct ab_vround *o = &r->rounds[k];
                const char *label = o->point ? o->point->label : "-";
                char pt[600], title[AB_PLOT_LEGEND + 520];
                double index;
                if (k == 0 || o->point != last) {
                        bool sweep = o->point && o->point->nkv > 0;
                        last = o->point;
                        if (R->nseries++)
                                fputs("\n\n", R->f);
                        snprintf(title, sizeof title, "%s%s%s", mtitle, sweep ? " " : "",
                                 sweep ? label : "");
                        ab_plot_dat_title(R->f, title);
                        snprintf(R->lts + strlen(R->lts), sizeof R->lts - strlen(R->lts), "%s%d",
                                 R->lts[0] ? " " : "", ab_plot_lt(P, r->alloc));
                }
                snprintf(pt, sizeof pt, "%s round %zu", label, k);
                index = ab_plot_checked(mb->s, r, pt, "index", R->fig, o->index);
                if (!isnan(o->index) && isnan(index))
                        continue; /* no place on the axis for it */
                fprintf(R->f, "%.0f", index);
                R->rmax = fmax(R->rmax, index);
                for (int c = 0; c < 4; c++) {
                        double x = ab_plot_checked(mb->s, r, pt, panel[c].key, R->fig, field(o, c));
                        ab_plot_dat_num(R->f, x);
                        if (!isnan(x)) {
                                R->has[c] = true;
                                R->max[c] = fmax(R->max[c], x);
                        }
                }
                fputc('\n', R->f);
        }
}

int ab_plot_rounds(struct ab_plot *P, struct ab_plot_src *s, struct ab_plot_member *m, size_t n,
                   const char *wl)
{
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], name[512], sub[1700],
             what[AB_PLOT_TITLE_NAME + 64], wlc[AB_PLOT_TITLE_NAME];
        char(*mt)[AB_PLOT_LEGEND] = calloc(n, sizeof *mt);
        struct rd R = {0};
        size_t dlen, vlen;
        FILE *v;
        int r;

        if (!mt || !(R.f = open_memstream(&dat, &dlen))) {
                free(mt);
                return -ENOMEM;
        }
        ab_plot_fig_name(name, sizeof name, s->base, wl);
        snprintf(R.fig, sizeof R.fig, "%s-rounds", name);
        ab_plot_member_titles(m, n, mt);
        for (size_t i = 0; i < n; i++)
                member_rows(P, &R, &m[i], mt[i]);
        fclose(R.f);
        free(mt);
        if (!R.nseries) {
                free(dat);
                return 0;
        }
        if ((r = ab_plot_stem(P, s->dir, name, "rounds", stem, sizeof stem))) {
                free(dat);
                return r;
        }
        ab_plot_subtitle(m, n, " (median of each round over them)", sub, sizeof sub);
        ab_plot_clean(wlc, sizeof wlc, wl);
        snprintf(what, sizeof what, "%s: memory after each round", wlc);
        if (!(v = ab_plot_vars_open(&vars, &vlen, what, sub))) {
                free(dat);
                return -ENOMEM;
        }
        fprintf(v, "; nseries=%zu; lts=\"%s\"; rmax=%.0f; w=%d; h=%d", R.nseries, R.lts, R.rmax,
                AB_PLOT_W, AB_PLOT_H);
        for (int c = 0; c < 4; c++) {
                double div;
                const char *unit, *var = panel[c].var;
                ab_plot_pick_unit(R.max[c], ab_metrics[panel[c].metric].unit, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; %s_max=%.17g; has_%s=%d", var, div, var,
                        unit, var, R.max[c], var, R.has[c]);
        }
        fclose(v);
        r = ab_plot_figure(P, &(struct ab_plot_fig){stem, "rounds.gp", what,
                                                    "blocks: per allocator round rss_kib vsz_kib "
                                                    "pte_kib live_bytes",
                                                    dat, vars});
        free(vars);
        free(dat);
        return r;
}
