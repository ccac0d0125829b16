/*
 * table_sites.c - under the flags of a run's table, the top allocation
 * sites of each traced run (--trace): up to five, the most left over per
 * round first (what a leak-site flag would point at), then the most bytes
 * allocated. One line each, cut to 100 columns; `bench sites FILE` shows
 * them all with their frames.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report.h"
#include "report/sites.h"

#define TOP   5
#define WIDTH 100
/* "  left/round  live at end   allocated      calls  " */
#define KEY_COL 49

/* "10 rounds" of the trace passes, or "" when they had none. */
static void rounds_text(const struct ab_vrun *r, char *buf, size_t len)
{
        double most = 0;
        for (size_t i = 0; i < r->trace.npoints; i++)
                if (r->trace.points[i].rounds > most)
                        most = r->trace.points[i].rounds;
        buf[0] = '\0';
        if (most > 0)
                snprintf(buf, len, ", trace pass of %.0f round%s", most, most == 1 ? "" : "s");
}

static void site_row(FILE *f, const struct ab_vrun *r, const struct ab_vsite *s)
{
        char left[32], live[32], alloc[32], calls[32], key[2048], shown[4 * WIDTH];
        double n = s->total[AB_ST_ALLOCS];
        if (ab_site_has_trend(s))
                ab_site_bytes(ab_site_leftover(s), left, sizeof left);
        else
                snprintf(left, sizeof left, "-");
        ab_site_bytes(s->total[AB_ST_LIVE_BYTES], live, sizeof live);
        ab_site_bytes(s->total[AB_ST_BYTES_ALLOC], alloc, sizeof alloc);
        snprintf(calls, sizeof calls, isfinite(n) ? "%.0f" : "-", n);
        /* a sweep's sites belong to a point: say which; and its verdict,
         * when verdicts were applied ("new": none matched; "~": fuzzily) */
        snprintf(key, sizeof key, "%s%s%s%s%s%s%s%s", s->verdict ? "(" : "",
                 s->verdict_new ? "new" : s->verdict ? s->verdict : "",
                 s->verdict_match && strcmp(s->verdict_match, "fuzzy") == 0 ? "~" : "",
                 s->verdict ? ") " : "", r->npoints > 1 && s->point ? "[" : "",
                 r->npoints > 1 && s->point ? s->point->label : "",
                 r->npoints > 1 && s->point ? "] " : "", s->key);
        ab_site_text(shown, sizeof shown, key, WIDTH - KEY_COL);
        fprintf(f, "  %10s %11s %11s %10s  %s\n", left, live, alloc, calls, shown);
}

static void run_sites(FILE *f, const struct ab_vrun *r)
{
        const struct ab_vsite *top[TOP];
        char raw[1280], who[4 * WIDTH], rounds[64], why[1024];
        size_t n;
        snprintf(raw, sizeof raw, "%s%s%s on %s", r->alloc, r->wrap ? " under " : "",
                 r->wrap ? r->wrap : "", r->workload_id);
        ab_site_text(who, sizeof who, raw, WIDTH - 40);
        rounds_text(r, rounds, sizeof rounds);
        fprintf(f, "\n%s: %zu site%s%s\n", who, r->nsites, r->nsites == 1 ? "" : "s", rounds);
        /* a pass that failed saw part of the run, or nothing */
        if (ab_site_trace_problem(r, why, sizeof why))
                fprintf(f, "  the trace pass: %s%s\n", why,
                        r->nsites ? "; its sites are what it saw until then" : "");
        else if (!r->nsites)
                fprintf(f, "  the trace pass saw no allocation\n");
        if (!r->nsites)
                return;
        n = ab_sites_top(r, AB_SITES_LEFTOVER_BYTES, NULL, top, TOP);
        fprintf(f, "  %10s %11s %11s %10s  %s\n", "left/round", "live at end", "allocated", "calls",
                "site, innermost frame first");
        for (size_t i = 0; i < n; i++)
                site_row(f, r, top[i]);
}

void ab_table_sites_print(FILE *f, const struct ab_doc *d)
{
        bool any = false;
        for (size_t i = 0; i < d->nruns; i++) {
                if (!d->runs[i].trace.target)
                        continue;
                if (!any)
                        fprintf(f, "\ntop allocation sites (--trace), the most left over per "
                                   "round first:\n");
                any = true;
                run_sites(f, &d->runs[i]);
        }
        if (any)
                fprintf(f, "\nleft/round: least-squares slope of the site's live bytes at each "
                           "round end, the first fifth\nof the rounds discarded as warm-up (-: "
                           "no rounds); live at end: when the process ended.\nEvery site with "
                           "its frames: bench sites RESULTS_FILE (bench sites --help).\n");
}
