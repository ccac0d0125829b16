/*
 * plot_sites.c - the allocation-sites figure of bench plot, for a run traced
 * with --trace whose trace pass had rounds: the live bytes each of the top
 * sites held at each round end, a line per site. Figure
 * NAME-ALLOC-WL-sites, drawn by plots/sites.gp.
 *
 * The top sites are those that grow: up to eight, the largest left-over per
 * round first (the slope after the warm-up, as the leak detectors read it),
 * then the most live at the end. A site that held nothing at any round end
 * has no line to draw and is only counted in the subtitle. The legend is a
 * short key, the innermost three frames, with the site's left-over per
 * round; a site a leak-site flag names says "flagged" and is drawn thicker.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "report/plot.h"
#include "report/sites.h"

#define MAX_SITES    8
#define SHORT_FRAMES 3

/* Has the site a line: two rounds or more, and live bytes at a round end. */
static bool drawable(const struct ab_vsite *s)
{
        bool held = false;
        for (size_t i = 0; i < s->nrounds; i++)
                held |= s->live_bytes[i] > 0 && ab_plot_fits(s->live_bytes[i]);
        return s->nrounds >= 2 && held;
}

/* The most rounds of the run's trace passes. */
static double trace_rounds(const struct ab_vrun *r)
{
        double n = 0;
        for (size_t i = 0; i < r->trace.npoints; i++)
                n = fmax(n, r->trace.points[i].rounds);
        return n;
}

/* The legend entry of site s: "[point] short key  +512 B a round, flagged";
 * the key and the point are cut to leave room for what follows them. */
static void legend(const struct ab_plot_src *src, const struct ab_vrun *r, const struct ab_vsite *s,
                   char *out, size_t len)
{
        char raw[1024], key[88], label[29], point[32] = "", left[32];
        ab_site_short_key(raw, sizeof raw, s->key, SHORT_FRAMES);
        ab_plot_clean(key, sizeof key, raw);
        if (r->npoints > 1 && s->point) {
                ab_plot_clean(label, sizeof label, s->point->label);
                snprintf(point, sizeof point, "[%s] ", label);
        }
        ab_site_bytes(ab_site_leftover(s), left, sizeof left);
        snprintf(out, len, "%s%s  %s%s a round%s", point, key, ab_site_leftover(s) > 0 ? "+" : "",
                 left, ab_site_flagged(&src->doc, r, s, "leak-site") ? ", flagged" : "");
}

/* The figure's data: a block per site, one row per round; its legends
 * made unique. Returns the largest value, or -1 when out of memory. */
static double site_rows(FILE *f, const struct ab_plot_src *src, const struct ab_vrun *r,
                        const struct ab_vsite **top, size_t n, const char *fig)
{
        char(*title)[AB_PLOT_LEGEND] = calloc(n, sizeof *title);
        double max = 0;
        if (!title)
                return -1;
        for (size_t i = 0; i < n; i++) {
                int k = 1;
                legend(src, r, top[i], title[i], sizeof title[i]);
                for (size_t j = 0; j < i; j++)
                        k += strcmp(title[i], title[j]) == 0;
                if (k > 1) /* legend() leaves room for it */
                        snprintf(title[i] + strlen(title[i]), sizeof title[i] - strlen(title[i]),
                                 " #%d", k);
                if (i)
                        fputs("\n\n", f);
                ab_plot_dat_title(f, title[i]);
                for (size_t k2 = 0; k2 < top[i]->nrounds; k2++) {
                        char pt[64];
                        double x;
                        snprintf(pt, sizeof pt, "site %zu round %zu", i + 1, k2);
                        x = ab_plot_checked(src, r, pt, "live_bytes", fig, top[i]->live_bytes[k2]);
                        fprintf(f, "%zu", k2);
                        ab_plot_dat_num(f, x);
                        fputc('\n', f);
                        if (x > max)
                                max = x;
                }
        }
        free(title);
        return max;
}

/* The gnuplot variables after title and subtitle. */
static void more_vars(FILE *v, const struct ab_plot_src *s, const struct ab_vrun *r,
                      const struct ab_vsite **top, size_t n, double max)
{
        double div, rmax = 0;
        const char *unit;
        char flagged[2 * MAX_SITES + 1] = "";
        for (size_t i = 0; i < n; i++) {
                rmax = fmax(rmax, (double)top[i]->nrounds - 1);
                snprintf(flagged + strlen(flagged), sizeof flagged - strlen(flagged), "%s%d",
                         i ? " " : "", ab_site_flagged(&s->doc, r, top[i], "leak-site"));
        }
        ab_plot_pick_unit(max, "B", &div, &unit);
        fprintf(v,
                "; nseries=%zu; flagged=\"%s\"; live_div=%.17g; live_unit=\"%s\"; "
                "live_max=%.17g; rmax=%.0f; w=%d; h=%d",
                n, flagged, div, unit, max, rmax, AB_PLOT_W, AB_PLOT_H);
}

int ab_plot_sites(struct ab_plot *P, struct ab_plot_src *s, const struct ab_vrun *r)
{
        const struct ab_vsite *top[MAX_SITES];
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], name[512], sub[1700], tail[300], drawn[64],
             what[2 * AB_PLOT_TITLE_NAME + 80], alloc[AB_PLOT_TITLE_NAME], wl[AB_PLOT_TITLE_NAME],
             why[256];
        struct ab_plot_member me = {s, r};
        size_t n, held = 0, dlen, vlen;
        double max, rounds = trace_rounds(r);
        FILE *f, *v;
        int rc;

        if (!r->trace.target)
                return 0;
        ab_plot_clean(alloc, sizeof alloc, r->alloc);
        ab_plot_clean(wl, sizeof wl, r->workload_id);
        if (rounds < 2 || !r->nsites) {
                /* a workload without rounds has no figure to miss; a pass
                 * that failed does */
                if (ab_site_trace_problem(r, why, sizeof why))
                        ab_note("plot", "%s: %s on %s: the trace pass: %s: no sites figure",
                                s->path, alloc, wl, why);
                return 0;
        }
        for (size_t i = 0; i < r->nsites; i++)
                held += drawable(&r->sites[i]);
        n = ab_sites_top(r, AB_SITES_LEFTOVER_LIVE, drawable, top, MAX_SITES);
        if (!n) {
                ab_note("plot",
                        "%s: %s on %s: no allocation site held memory at a round end of the "
                        "trace pass: no sites figure",
                        s->path, alloc, wl);
                return 0;
        }
        ab_plot_run_fig_name(s, r, name, sizeof name);
        snprintf(what, sizeof what,
                 "%s on %s: live bytes of the top allocation sites at each "
                 "round end",
                 alloc, wl);
        if (!(f = open_memstream(&dat, &dlen)))
                return -ENOMEM;
        max = site_rows(f, s, r, top, n, name);
        fclose(f);
        if (max < 0 || (rc = ab_plot_stem(P, s->dir, name, "sites", stem, sizeof stem))) {
                free(dat);
                return max < 0 ? -ENOMEM : rc;
        }
        snprintf(drawn, sizeof drawn, ", the %zu that grew most drawn", n);
        snprintf(tail, sizeof tail,
                 "; trace pass of %.0f rounds; %zu of its %zu sites held memory at a round "
                 "end%s; legend: the innermost %d frames",
                 rounds, held, r->nsites, held > n ? drawn : "", SHORT_FRAMES);
        ab_plot_subtitle(&me, 1, tail, sub, sizeof sub);
        if (!(v = ab_plot_vars_open(&vars, &vlen, what, sub))) {
                free(dat);
                return -ENOMEM;
        }
        more_vars(v, s, r, top, n, max);
        fclose(v);
        rc = ab_plot_figure(P,
                            &(struct ab_plot_fig){stem, "sites.gp", what,
                                                  "blocks: per site, round live_bytes", dat, vars});
        free(vars);
        free(dat);
        return rc;
}
