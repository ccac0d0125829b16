/*
 * plot_rounds.c - the rounds figure of bench plot, for runs with rounds:
 * resident set, virtual size, page tables and the bytes the workload holds
 * after each round (the median over repetitions), one line per run, and per
 * point when the rounds belong to the points of a sweep. Figure NAME-WL-rounds,
 * drawn by plots/rounds.gp; the units of its panels are those of the same
 * figures in doc/metrics.def. The rounds a flag's trend read (leak-growth,
 * address-space-growth: after the warm-up, up to the last) are ringed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"

/* The panels: the round's field, its metric (for the unit), gnuplot's name.
 * A program's fourth panel is its resident anonymous memory (what its
 * leak-growth reads): the bytes it holds are not known from outside. */
struct panel {
        const char *key;
        enum ab_metric metric;
        const char *var;
};
static const struct panel panel[4] = {{"rss_kib", AB_M_RSS, "rss"},
                                      {"vsz_kib", AB_M_VSZ, "vsz"},
                                      {"pte_kib", AB_M_PTE, "pte"},
                                      {"live_bytes", AB_M_LIVE, "live"}};
static const struct panel anon_panel = {"anon_kib", AB_M_ANON, "live"};

/* The rounds figure while it is built. */
struct rd {
        FILE *f;
        char lts[512], fpts[256];
        size_t nseries, nflag;
        double max[4], rmax;
        bool has[4], prog; /* prog: every member is a program (cmd) */
        char fig[600];     /* NAME-WL-rounds, for notes */
};

static const struct panel *pan(const struct rd *R, int c)
{
        return c == 3 && R->prog ? &anon_panel : &panel[c];
}

static double field(const struct rd *R, const struct ab_vround *o, int c)
{
        return c == 0    ? o->rss_kib
               : c == 1  ? o->vsz_kib
               : c == 2  ? o->pte_kib
               : R->prog ? o->anon_kib
                         : o->live_bytes;
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
                                 R->lts[0] ? " " : "", ab_plot_member_lt(P, mb));
                }
                snprintf(pt, sizeof pt, "%s round %zu", label, k);
                index = ab_plot_checked(mb->s, r, pt, "index", R->fig, o->index);
                if (!isnan(o->index) && isnan(index))
                        continue; /* no place on the axis for it */
                fprintf(R->f, "%.0f", index);
                R->rmax = fmax(R->rmax, index);
                for (int c = 0; c < 4; c++) {
                        double x =
                            ab_plot_checked(mb->s, r, pt, pan(R, c)->key, R->fig, field(R, o, c));
                        ab_plot_dat_num(R->f, x);
                        if (!isnan(x)) {
                                R->has[c] = true;
                                R->max[c] = fmax(R->max[c], x);
                        }
                }
                fputc('\n', R->f);
        }
}

/* The rounds a flag read, for the marks: [first_round_used, where.round],
 * or where.round alone. False when the flag names no round. */
static bool flag_rounds(const struct ab_vflag *fl, const struct ab_vrun *r, size_t *from,
                        size_t *to)
{
        double last = ab_vflag_where_num(fl, "round");
        json_t *f = json_object_get(fl->evidence, "first_round_used");
        double first = json_is_number(f) ? json_number_value(f) : last;
        if (!(last >= 0 && last < (double)r->nrounds && first >= 0 && first <= last))
                return false;
        *from = (size_t)first;
        *to = (size_t)last;
        return true;
}

/* Rings around the rounds a flag of member mb's read (its trend after the
 * warm-up): a block per flag, titled with its kind. */
static void flag_rows(struct rd *R, const struct ab_plot_member *mb, const char *mtitle)
{
        /* the kind's rings, on the panels it reads (RSS, VSZ, PTE, live/anon) */
        static const struct {
                const char *kind, *pt;
                bool on[4];
        } mark[] = {{"leak-growth", "6", {1, 0, 0, 1}},
                    {"address-space-growth", "4", {0, 1, 1, 0}},
                    {NULL, "8", {1, 1, 1, 1}}};
        const struct ab_doc *d = &mb->s->doc;
        const struct ab_vrun *r = mb->run;
        if (r->rounds_per_point)
                return; /* the round detectors read a single series */
        for (size_t k = 0; k < d->nflags; k++) {
                const struct ab_vflag *fl = &d->flags[k];
                char title[AB_PLOT_LEGEND + 80], kind[64];
                size_t from, to, m = 0;
                if (strcmp(fl->allocator, r->alloc) != 0 ||
                    strcmp(fl->workload_id, r->workload_id) != 0 || !flag_rounds(fl, r, &from, &to))
                        continue;
                while (mark[m].kind && strcmp(mark[m].kind, fl->kind) != 0)
                        m++;
                ab_plot_clean(kind, sizeof kind, fl->kind);
                snprintf(title, sizeof title, "%s: %s", mtitle, kind);
                fputs("\n\n", R->f);
                ab_plot_dat_title(R->f, title);
                for (size_t i = from; i <= to; i++) {
                        const struct ab_vround *o = &r->rounds[i];
                        if (!ab_plot_fits(o->index))
                                continue;
                        fprintf(R->f, "%.0f", o->index);
                        for (int c = 0; c < 4; c++) {
                                double x = field(R, o, c);
                                ab_plot_dat_num(R->f, ab_plot_fits(x) && mark[m].on[c] ? x : NAN);
                        }
                        fputc('\n', R->f);
                }
                R->nflag++;
                snprintf(R->fpts + strlen(R->fpts), sizeof R->fpts - strlen(R->fpts), "%s%s",
                         R->fpts[0] ? " " : "", mark[m].pt);
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
        R.prog = true;
        for (size_t i = 0; i < n; i++)
                R.prog &= m[i].run->program != NULL;
        for (size_t i = 0; i < n; i++)
                member_rows(P, &R, &m[i], mt[i]);
        for (size_t i = 0; i < n && R.nseries; i++)
                flag_rows(&R, &m[i], mt[i]);
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
        fprintf(v,
                "; prog=%d; nseries=%zu; lts=\"%s\"; nflag=%zu; fpts=\"%s\"; rmax=%.0f; w=%d; h=%d",
                R.prog, R.nseries, R.lts, R.nflag, R.fpts, R.rmax, AB_PLOT_W, AB_PLOT_H);
        for (int c = 0; c < 4; c++) {
                double div;
                const char *unit, *var = pan(&R, c)->var;
                ab_plot_pick_unit(R.max[c], ab_metrics[pan(&R, c)->metric].unit, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; %s_max=%.17g; has_%s=%d", var, div, var,
                        unit, var, R.max[c], var, R.has[c]);
        }
        fclose(v);
        r = ab_plot_figure(P, &(struct ab_plot_fig){stem, "rounds.gp", what,
                                                    "blocks: per allocator, then per flag, round "
                                                    "rss_kib vsz_kib pte_kib live_bytes",
                                                    dat, vars});
        free(vars);
        free(dat);
        return r;
}
