/*
 * dash.h - the parts of the dashboard (bench history html) that its files
 * share: escaping, a series' chart and its caption, the links between its
 * pages. dashboard.c writes the pages and calls into dash_chart.c (the
 * charts), dash_sites.c (the allocation sites) and dash_hosts.c (the hosts
 * side by side); those call dash_chart.c only, so that calls go one way.
 * Nothing outside the dashboard includes this.
 *
 * Every string from a results file or the store reaches a page through
 * ab_dash_esc (text and attribute values) or ab_dash_esc_url (links).
 */
#ifndef AB_HISTORY_DASH_H
#define AB_HISTORY_DASH_H

#include <stdbool.h>
#include <stdio.h>

#include "report/history/history.h"

/* A fleet's history charted on one page would be hundreds of megabytes:
 * above this many charts of points' series, each host's go on a page of
 * its own (hosts/N-HOST.html) and the index links them. */
#define AB_DASH_INLINE 2000

/* What the pages being written share. */
struct ab_dash {
        const struct ab_history *h;
        bool split;         /* the points' charts are on one page per host */
        const char **hosts; /* the hosts of the series, in order (borrowed) */
        char **pages;       /* the page of each when split: "hosts/3-NAME.html" */
        size_t nhosts;
        const char *here; /* the host whose page is being written, NULL: the index */
};

void ab_dash_esc(FILE *f, const char *s);
void ab_dash_esc_url(FILE *f, const char *s);
/* n strings (NULL ones as empty), each escaped, sep (markup, as it is)
 * between them: "HOST · WORKLOAD · POINT", a data-key "a|b|c", table cells. */
void ab_dash_esc_join(FILE *f, const char *sep, size_t n, ...);
/* The date part of `created` (its first 10 bytes), escaped. */
void ab_dash_esc_date(FILE *f, const char *created);

/* "HOST · WORKLOAD · POINT · ALLOC · METRIC", escaped. */
void ab_dash_series_title(FILE *f, const struct ab_hseries *s);
/* "#3 2026-01-03T03:00:00Z rev abc" of a run, escaped. */
void ab_dash_run_ref(FILE *f, const struct ab_hrun *r);
/* The sentence a change point's tooltip and tables carry, with what changed
 * in the runs' settings at it. */
void ab_dash_cp_text(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                     const struct ab_cp *cp);
/* The link to a series' chart from the page being written. */
void ab_dash_series_href(FILE *f, const struct ab_dash *d, const struct ab_hseries *s);

/* One series' chart with its caption (the allocator and metric, or
 * caption), filterable by its data-key. */
void ab_dash_series_figure(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                           const char *caption);

/* The allocation sites: a table and a card each (dash_sites.c). */
void ab_dash_sites(FILE *f, const struct ab_history *h);

/* The hosts side by side (dash_hosts.c): what differs in their hosts and
 * settings, and the same workload's newest figures per host or per kind of
 * host; nothing for a history of one host. Links to the host pages. */
void ab_dash_hosts(FILE *f, const struct ab_dash *d);

#endif
