/*
 * dash_sites.c - the dashboard's section of allocation sites (bench run
 * --trace): a table of them, the most left allocated per round first, and a
 * card each with its verdict history, its two series' charts (which the
 * series section leaves out) and its stack.
 */
#include <stdio.h>
#include <string.h>

#include "report/history/dash.h"
#include "report/sites.h"

/* The class of a verdict's badge: what it says of the site. */
static const char *verdict_class(const struct ab_hsite *st)
{
        static const char *const ok[] = {"safe", "prob-safe", "bounded"};
        if (!st->verdict || st->verdict_new)
                return "v-undecided";
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
                if (strcmp(st->verdict, ok[i]) == 0)
                        return "v-accepted";
        return strcmp(st->verdict, "leak") == 0    ? "v-leak"
               : strcmp(st->verdict, "fixed") == 0 ? "v-fixed"
                                                   : "v-undecided";
}

static void verdict_badge(FILE *f, const struct ab_hsite *st)
{
        fprintf(f, "<span class=\"badge %s\">", verdict_class(st));
        if (!st->verdict)
                fputs("no verdict", f);
        else if (st->verdict_new)
                fputs("undecided, new", f);
        else
                ab_dash_esc(f, st->verdict);
        fputs("</span>", f);
}

static void site_row(FILE *f, const struct ab_history *h, const struct ab_hsite *st)
{
        char b[32];
        fprintf(f, "<tr class=\"site\"><td><a href=\"#site-%lld\"><code>", (long long)st->id);
        ab_dash_esc(f, st->key);
        fputs("</code></a></td><td>", f);
        ab_dash_esc_join(f, "</td><td>", 3, st->alloc, st->workload, st->point);
        fputs("</td><td>", f);
        verdict_badge(f, st);
        fputs("</td><td>", f);
        ab_dash_esc(f, st->note);
        fprintf(f, "</td><td class=\"num\">%zu</td><td>", st->runs_seen);
        ab_dash_run_ref(f, &h->runs[st->first]);
        fputs("</td><td>", f);
        ab_dash_run_ref(f, &h->runs[st->last]);
        fprintf(f, "</td><td class=\"num\">%s</td></tr>\n",
                ab_site_bytes(st->left_per_round, b, sizeof b));
}

/* The stack, innermost frame first. */
static void site_stack(FILE *f, const struct ab_hsite *st)
{
        size_t n = 0;
        for (const char *p = st->frames; p && *p; p++)
                n += *p == '\n';
        if (!st->frames || !*st->frames) {
                fputs("<p class=\"meta\">No stack stored.</p>\n", f);
                return;
        }
        fprintf(f,
                "<details class=\"stack\" open><summary>stack, innermost frame first (%zu "
                "frame%s)</summary><ol class=\"stack\">",
                n + 1, n ? "s" : "");
        for (const char *p = st->frames; *p;) {
                size_t k = strcspn(p, "\n");
                char line[1024];
                snprintf(line, sizeof line, "%.*s", (int)(k < sizeof line ? k : sizeof line - 1),
                         p);
                fputs("<li><code>", f);
                ab_dash_esc(f, line);
                fputs("</code></li>", f);
                p += k + (p[k] == '\n');
        }
        fputs("</ol></details>\n", f);
}

/* A site's card: where it is, its verdict history, its charts, its stack. */
static void site_card(FILE *f, const struct ab_history *h, const struct ab_hsite *st)
{
        bool charts = st->left_series != SIZE_MAX || st->live_series != SIZE_MAX;
        /* a card without charts is no filter group: the filter hides the groups
         * whose charts it hides */
        fprintf(f, "<section class=\"site%s\" id=\"site-%lld\"><h3>", charts ? " group" : "",
                (long long)st->id);
        ab_dash_esc_join(f, " · ", 4, st->host, st->workload, st->point, st->alloc);
        fputs("</h3>\n<p><code class=\"key\">", f);
        ab_dash_esc(f, st->key);
        fputs("</code></p>\n<p>", f);
        verdict_badge(f, st);
        if (st->note) {
                fputs(" <span class=\"note\">", f);
                ab_dash_esc(f, st->note);
                fputs("</span>", f);
        }
        fprintf(f, "</p>\n<p class=\"meta\">seen in %zu run%s: first ", st->runs_seen,
                st->runs_seen == 1 ? "" : "s");
        ab_dash_run_ref(f, &h->runs[st->first]);
        fputs(", last ", f);
        ab_dash_run_ref(f, &h->runs[st->last]);
        fputs("</p>\n", f);
        if (charts) {
                fputs("<div class=\"grid\">\n", f);
                if (st->left_series != SIZE_MAX)
                        ab_dash_series_figure(f, h, &h->series[st->left_series],
                                              "left over per round (bytes)");
                if (st->live_series != SIZE_MAX)
                        ab_dash_series_figure(f, h, &h->series[st->live_series],
                                              "live at the end (bytes)");
                fputs("</div>\n", f);
        } else {
                fputs("<p class=\"meta\">No figures stored (its runs had no rounds).</p>\n", f);
        }
        site_stack(f, st);
        fputs("</section>\n", f);
}

void ab_dash_sites(FILE *f, const struct ab_history *h)
{
        fputs("<section id=\"sites\"><h2>Allocation sites</h2>\n", f);
        if (!h->nsites) {
                fputs("<p class=\"meta\">None: no traced run was added (bench run --trace "
                      "records the allocation sites).</p>\n</section>\n",
                      f);
                return;
        }
        fprintf(f,
                "<p class=\"meta\">%zu allocation site%s of the traced runs (bench run --trace), "
                "the most left allocated per round in their newest run first: the verdict and "
                "note of the newest run that saw each (bench run --verdicts), the runs that saw "
                "it, what it left allocated per round and held at the end over the runs, and its "
                "stack.</p>\n<table id=\"sites-table\"><tr><th>site</th><th>allocator</th>"
                "<th>workload</th><th>point</th><th>verdict</th><th>note</th><th>runs seen</th>"
                "<th>first seen</th><th>last seen</th><th>left/round</th></tr>\n",
                h->nsites, h->nsites == 1 ? "" : "s");
        for (size_t i = 0; i < h->nsites; i++)
                site_row(f, h, &h->sites[i]);
        fputs("</table>\n", f);
        for (size_t i = 0; i < h->nsites; i++)
                site_card(f, h, &h->sites[i]);
        fputs("</section>\n", f);
}
