/*
 * dashboard.c - `bench history html DIR`: a static dashboard that a browser
 * opens from disk or any static web server serves: DIR/index.html, and for
 * a fleet's history (more than AB_DASH_INLINE charts of points' series over
 * several hosts) one page per host, DIR/hosts/N-HOST.html, with that host's
 * charts, which the index links. Charts are inline SVG (dash_chart.c), so a
 * page needs no script to show them, no network and no library; a few lines
 * of inline script add a filter box and mark the page ready
 * (body[data-ready] = the number of charts on it), which is what the
 * headless-browser test looks for. The figures it links come from
 * figures.c, the allocation sites' section from dash_sites.c, the hosts
 * side by side from dash_hosts.c.
 *
 * Every string from a results file or the store reaches a page through
 * ab_dash_esc() or ab_dash_esc_url(); the inline script carries no data.
 * Each page is written atomically.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fmt.h"
#include "core/fsutil.h"
#include "report/history/dash.h"
#include "report/history/dashboard.h"
#include "report/history/figures.h"
#include "report/history/settings.h"

/* ---- the page ------------------------------------------------------------ */

static const char css[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 24px 40px;"
    "color:#1d2330;background:#fafbfc}"
    "h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #d8dde6;padding-bottom:4px}h3{font-size:15px;margin:20px 0 8px}"
    ".meta{color:#566;margin:2px 0}"
    "table{border-collapse:collapse;font-size:13px}th,td{padding:3px 10px;text-align:left;"
    "border-bottom:1px solid #e4e7ec;vertical-align:top}th{background:#eef1f5}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".sev-high{color:#b00020;font-weight:600}.sev-warn{color:#a15c00;font-weight:600}"
    ".sev-info{color:#445}"
    ".up{color:#b00020}.down{color:#1b7f3b}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(396px,1fr));gap:12px}"
    "figure.series{margin:0;background:#fff;border:1px solid #d8dde6;border-radius:6px;"
    "padding:6px 8px}"
    "figure.series.reg{border:2px solid #b00020}"
    "figcaption{font-size:13px;display:flex;gap:8px;flex-wrap:wrap;align-items:baseline}"
    "figcaption a{color:inherit;font-weight:600;text-decoration:none}"
    ".badge{font-size:12px;padding:0 6px;border-radius:9px;background:#eef1f5}"
    ".badge.up{background:#fde7ea}.badge.down{background:#e3f5e9}"
    "svg .axis{stroke:#98a2b3;stroke-width:1}svg .grid{stroke:#eef1f5;stroke-width:1}"
    "svg text{font:10px system-ui,sans-serif;fill:#566}"
    "svg .data{fill:none;stroke:#2f6fdf;stroke-width:1.3}"
    "svg .seg{stroke:#1d2330;stroke-width:1.5;stroke-dasharray:5 3;opacity:.75}"
    "svg line.cp{stroke-width:1.5;stroke-dasharray:3 2}"
    "svg .cp.up{stroke:#b00020;fill:#b00020}svg .cp.down{stroke:#1b7f3b;fill:#1b7f3b}"
    "svg .last{fill:#2f6fdf}"
    "#filter{font:inherit;padding:4px 8px;width:320px;margin-right:12px}"
    ".figs{display:flex;flex-wrap:wrap;gap:12px}.figs a{display:block;font-size:12px;"
    "text-align:center}.figs img{display:block;max-width:240px;max-height:160px;"
    "border:1px solid #d8dde6;background:#fff}"
    "section.site{margin:18px 0;padding:4px 12px 8px;background:#fff;border:1px solid #d8dde6;"
    "border-radius:6px}"
    "code.key{word-break:break-all;font-size:12px}"
    ".badge.v-leak{background:#fde7ea;color:#b00020}.badge.v-accepted{background:#e3f5e9}"
    ".badge.v-fixed{background:#e6eefc}.badge.v-undecided{background:#fff4d6}"
    "ol.stack{margin:4px 0;padding-left:28px;font-size:12px}"
    "details.stack summary{cursor:pointer;font-size:13px;color:#566}"
    "svg text.yfrom{fill:#98a2b3}svg .setting path{fill:#98a2b3}"
    ".badge.setting{background:#eef1f5;color:#445}"
    "td.differs,th.differs{background:#fff4d6}td.far{color:#b00020;font-weight:600}"
    "table.hosts td,table.hostview td{white-space:nowrap}";

static const char script[] =
    "(function(){\n"
    "var figs=document.querySelectorAll('figure.series');\n"
    "var groups=document.querySelectorAll('section.group');\n"
    "var box=document.getElementById('filter'),count=document.getElementById('count');\n"
    "function apply(){\n"
    "  var words=box.value.toLowerCase().split(/\\s+/).filter(Boolean),shown=0;\n"
    "  for(var i=0;i<figs.length;i++){\n"
    "    var key=figs[i].getAttribute('data-key').toLowerCase();\n"
    "    var ok=words.every(function(w){return key.indexOf(w)>=0;});\n"
    "    figs[i].style.display=ok?'':'none';if(ok)shown++;\n"
    "  }\n"
    "  for(var g=0;g<groups.length;g++){\n"
    "    var any=groups[g].querySelector('figure.series:not([style*=\"none\"])');\n"
    "    groups[g].style.display=any?'':'none';\n"
    "  }\n"
    "  count.textContent=shown+' of '+figs.length+' series shown';\n"
    "}\n"
    "if(box){box.addEventListener('input',apply);apply();}\n"
    "document.body.setAttribute('data-ready',String(figs.length));\n"
    "})();\n";

/* The page's head and its header: the store, its runs, how changes are found. */
static void page_head(FILE *f, const struct ab_dash *d, const char *title, const char *now)
{
        const struct ab_history *h = d->h;
        fprintf(f,
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>allocbench history%s",
                title ? ": " : "");
        ab_dash_esc(f, title);
        fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<header><h1>allocbench history",
                css);
        if (title) {
                fputs(": ", f);
                ab_dash_esc(f, title);
        }
        fputs("</h1>\n<p class=\"meta\">", f);
        if (title)
                fputs("<a href=\"../index.html\">all hosts</a> · ", f);
        ab_dash_esc(f, h->db);
        fprintf(f, ": %zu runs", h->nruns);
        if (h->nruns) {
                fputs(" from ", f);
                ab_dash_esc(f, h->runs[0].created);
                fputs(" to ", f);
                ab_dash_esc(f, h->runs[h->nruns - 1].created);
        }
        fprintf(f, ", %zu series; written %s</p>\n", h->nseries, now);
        fprintf(f,
                "<p class=\"meta\">Change points: proposed by binary segmentation, kept when "
                "Student's t test on the logarithms of the values against the neighbouring "
                "segments gives p &lt; %g after a "
                "Bonferroni correction for the splits possible, the mean moves by %g%% or more, "
                "and %zu or more runs lie on each side; an exact count (instructions per op "
                "under callgrind) changes when it moves by more than %g, from one run on. Every "
                "figure is worse when higher. Each chart's y axis starts at 0. A grey mark at "
                "a chart's top: the runs' settings changed there (hover for what).</p>\n",
                h->params.alpha, 100 * h->params.min_change, h->params.min_seg, h->exact_eps);
}

static bool on_page(const struct ab_dash *d, const struct ab_hseries *s)
{
        return !d->here || strcmp(d->here, s->host) == 0;
}

/* One row of a change table: the series, the run where its newest change
 * first shows, the means before and after, the change and its p, what
 * changed in the runs' settings there. */
static void change_row(FILE *f, const struct ab_dash *d, const struct ab_hseries *s,
                       const char *row_class)
{
        const struct ab_history *h = d->h;
        const struct ab_cp *cp = &s->cp[s->ncp - 1];
        const struct ab_hrun *r = &h->runs[s->run[cp->index]];
        const struct ab_hstep *st = ab_hseries_step_at(s, cp->index);
        char a[48], b[48], c[48], why[2048];
        ab_fmt_change(cp->change, c, sizeof c);
        if (row_class)
                fprintf(f, "<tr class=\"%s\"><td><a href=\"", row_class);
        else
                fputs("<tr><td><a href=\"", f);
        ab_dash_series_href(f, d, s);
        fputs("\">", f);
        ab_dash_series_title(f, s);
        fputs("</a></td><td>", f);
        ab_dash_run_ref(f, r);
        fprintf(f,
                "</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
                "<td class=\"num %s\">%s</td><td class=\"num\">",
                ab_fmt_value(cp->before, s->unit, a, sizeof a),
                ab_fmt_value(cp->after, s->unit, b, sizeof b),
                cp->after > cp->before ? "up" : "down", c);
        ab_dash_esc(f, s->exact ? "exact" : ab_fmt_p(cp->p, c, sizeof c));
        fputs("</td><td class=\"settings\">", f);
        ab_dash_esc(f, st ? ab_hstep_text(st, why, sizeof why) : h->nrunsets ? "none" : "unknown");
        fputs("</td></tr>\n", f);
}

static const char change_head[] =
    "<tr><th>series</th><th>from run</th><th>before</th><th>after</th><th>change</th>"
    "<th>p</th><th>settings changed at it</th></tr>\n";

static void section_latest_flags(FILE *f, const struct ab_dash *d);

/* The regressions and the newest change of each series (of the page's
 * host, on a host's page). */
static void section_changes(FILE *f, const struct ab_dash *d)
{
        const struct ab_history *h = d->h;
        size_t nreg = 0, nall = 0;
        for (size_t i = 0; i < h->nseries; i++) {
                if (!on_page(d, &h->series[i]))
                        continue;
                nreg += ab_hseries_regressed(&h->series[i]);
                nall += h->series[i].ncp > 0;
        }
        fprintf(f,
                "<section id=\"latest\"><h2>Latest flags</h2>\n<h3>Regressions: %zu series "
                "whose newest change is an increase</h3>\n",
                nreg);
        if (!nreg)
                fputs("<p class=\"meta\">None.</p>\n", f);
        else
                fprintf(f, "<table id=\"regressions\">%s", change_head);
        for (size_t i = 0; i < h->nseries && nreg; i++)
                if (on_page(d, &h->series[i]) && ab_hseries_regressed(&h->series[i]))
                        change_row(f, d, &h->series[i], "regression");
        if (nreg)
                fputs("</table>\n", f);

        /* the newest change of each series, whichever way */
        fprintf(f, "<h3>Newest change of each series (%zu with one)</h3>\n", nall);
        if (!nall) {
                fputs("<p class=\"meta\">No change points in any series.</p>\n", f);
        } else {
                fprintf(f, "<table id=\"changes\">%s", change_head);
                for (size_t i = 0; i < h->nseries; i++)
                        if (on_page(d, &h->series[i]) && h->series[i].ncp)
                                change_row(f, d, &h->series[i], NULL);
                fputs("</table>\n", f);
        }
        if (!d->here)
                section_latest_flags(f, d);
        fputs("</section>\n", f);
}

/* The detectors' flags of each host's latest run. */
static void section_latest_flags(FILE *f, const struct ab_dash *d)
{
        const struct ab_history *h = d->h;
        for (size_t i = 0; i < h->nruns; i++) {
                const struct ab_hrun *r = &h->runs[i];
                size_t nf = 0;
                bool any_series = false;
                if (!r->latest)
                        continue;
                for (size_t k = 0; k < h->nseries && !any_series; k++)
                        any_series = strcmp(h->series[k].host, r->host) == 0;
                if (!any_series)
                        continue;
                fputs("<h3>Flags of the latest run on ", f);
                ab_dash_esc(f, r->host);
                fprintf(f, ": #%lld ", (long long)r->id);
                ab_dash_esc(f, r->created);
                if (r->rev) {
                        fputs(" rev ", f);
                        ab_dash_esc(f, r->rev);
                }
                fputs("</h3>\n<p class=\"meta\">", f);
                ab_dash_esc(f, r->file);
                fputs("</p>\n", f);
                for (size_t k = 0; k < h->nflags; k++) {
                        const struct ab_hflag *fl = &h->flags[k];
                        if (fl->run != i)
                                continue;
                        if (!nf++)
                                fputs("<table class=\"flags\"><tr><th>severity</th><th>kind</th>"
                                      "<th>allocator</th><th>workload</th><th>where</th>"
                                      "<th>message</th></tr>\n",
                                      f);
                        fputs("<tr class=\"flag\"><td class=\"sev-", f);
                        ab_dash_esc(f, fl->severity);
                        fputs("\">", f);
                        ab_dash_esc(f, fl->severity);
                        fputs("</td><td>", f);
                        ab_dash_esc(f, fl->kind);
                        fputs("</td><td>", f);
                        ab_dash_esc(f, fl->alloc);
                        fputs("</td><td>", f);
                        ab_dash_esc(f, fl->workload);
                        fputs("</td><td><code>", f);
                        ab_dash_esc(f, fl->where);
                        fputs("</code></td><td>", f);
                        ab_dash_esc(f, fl->message);
                        fputs("</td></tr>\n", f);
                }
                fputs(nf ? "</table>\n" : "<p class=\"meta\">No flags.</p>\n", f);
        }
}

static void section_figures(FILE *f, const struct ab_names *figs)
{
        fputs("<section id=\"figures\"><h2>Figures</h2>\n", f);
        if (!figs->n) {
                fputs("<p class=\"meta\">No PNG or SVG figures in this directory or next to the "
                      "latest results files (bench plot writes them).</p>\n",
                      f);
        } else {
                fputs("<div class=\"figs\">\n", f);
                for (size_t i = 0; i < figs->n; i++) {
                        fputs("<a class=\"figure-link\" href=\"", f);
                        ab_dash_esc_url(f, figs->v[i]);
                        fputs("\"><img loading=\"lazy\" alt=\"\" src=\"", f);
                        ab_dash_esc_url(f, figs->v[i]);
                        fputs("\">", f);
                        ab_dash_esc(f, figs->v[i]);
                        fputs("</a>\n", f);
                }
                fputs("</div>\n", f);
        }
        fputs("</section>\n", f);
}

static bool same_group(const struct ab_hseries *a, const struct ab_hseries *b)
{
        return strcmp(a->host, b->host) == 0 && strcmp(a->workload, b->workload) == 0 &&
               strcmp(a->point, b->point) == 0;
}

/* Every point's series of the page, grouped by host, workload and point;
 * the sites' are in their cards (dash_sites.c). */
static void section_series(FILE *f, const struct ab_dash *d)
{
        const struct ab_history *h = d->h;
        const struct ab_hseries *prev = NULL;
        size_t npoint = 0, ncharts = 0;
        for (size_t i = 0; i < h->nseries; i++) {
                npoint += !h->series[i].site && on_page(d, &h->series[i]);
                ncharts += on_page(d, &h->series[i]) && (!d->here || !h->series[i].site);
        }
        fprintf(f,
                "<section id=\"series\"><h2>Series</h2>\n<p><input id=\"filter\" type=\"search\" "
                "placeholder=\"filter: words of host, workload, point, allocator, metric, site\">"
                "<span id=\"count\" class=\"meta\">%zu series</span></p>\n"
                "<p class=\"meta\">Blue: the values, oldest left. Dashed grey: the mean between "
                "change points. Red (an increase, worse) and green (a decrease) markers: change "
                "points, on the first run after the change; hover for the figures and what "
                "changed in the runs' settings. The filter takes the sites' charts too.</p>\n",
                ncharts);
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                if (s->site || !on_page(d, s))
                        continue;
                if (!prev || !same_group(s, prev)) {
                        if (prev)
                                fputs("</div></section>\n", f);
                        fputs("<section class=\"group\"><h3>", f);
                        ab_dash_esc_join(f, " · ", 3, s->host, s->workload, s->point);
                        fputs("</h3><div class=\"grid\">\n", f);
                }
                ab_dash_series_figure(f, h, s, NULL);
                prev = s;
        }
        if (npoint)
                fputs("</div></section>\n", f);
        fputs("</section>\n", f);
}

/* ---- the pages ------------------------------------------------------------ */

/* Write the page the memory stream f holds (in *page, *len) to path,
 * atomically; f is closed, the page freed. */
static int page_write(FILE *f, char **page, size_t *len, const char *path, char *err, size_t errlen)
{
        int r;
        if (fclose(f) != 0 || !*page) {
                free(*page);
                snprintf(err, errlen, "out of memory writing %s", path);
                return -ENOMEM;
        }
        r = ab_write_atomic(path, *page, *len, err, errlen);
        free(*page);
        return r;
}

static int write_index(const char *dir, struct ab_dash *d, const struct ab_names *figs,
                       const char *now, char *err, size_t errlen)
{
        char path[PATH_MAX + 32], *page = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&page, &len);
        snprintf(path, sizeof path, "%s/index.html", dir);
        if (!f) {
                snprintf(err, errlen, "out of memory writing %s", path);
                return -ENOMEM;
        }
        d->here = NULL;
        page_head(f, d, NULL, now);
        fprintf(f,
                "<p class=\"meta\"><a href=\"#latest\">latest flags</a> · <a "
                "href=\"#sites\">allocation sites</a> · <a href=\"#figures\">figures</a>%s · "
                "<a href=\"#series\">series</a></p></header>\n",
                d->nhosts > 1 ? " · <a href=\"#hosts\">hosts side by side</a>" : "");
        section_changes(f, d);
        ab_dash_sites(f, d->h);
        section_figures(f, figs);
        ab_dash_hosts(f, d);
        if (!d->split) {
                section_series(f, d);
        } else {
                fprintf(f,
                        "<section id=\"series\"><h2>Series</h2>\n<p class=\"meta\">%zu hosts: "
                        "each host's charts are on a page of its own (the hosts' table above "
                        "links them).</p></section>\n",
                        d->nhosts);
        }
        fprintf(f, "<script>\n%s</script>\n</body></html>\n", script);
        return page_write(f, &page, &len, path, err, errlen);
}

/* DIR/hosts/N-HOST.html: one host's changes and charts. */
static int write_host(const char *dir, struct ab_dash *d, size_t i, const char *now, char *err,
                      size_t errlen)
{
        char path[PATH_MAX + 300], *page = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&page, &len);
        snprintf(path, sizeof path, "%s/%s", dir, d->pages[i]);
        if (!f) {
                snprintf(err, errlen, "out of memory writing %s", path);
                return -ENOMEM;
        }
        d->here = d->hosts[i];
        page_head(f, d, d->hosts[i], now);
        fputs("</header>\n", f);
        section_changes(f, d);
        section_series(f, d);
        fprintf(f, "<script>\n%s</script>\n</body></html>\n", script);
        d->here = NULL;
        return page_write(f, &page, &len, path, err, errlen);
}

/* The hosts of the series, and when there are many charts one page each:
 * "hosts/N-NAME.html", the name's bytes other than [A-Za-z0-9._-] as '_'
 * (N keeps two names apart that differ only there). */
static int plan(struct ab_dash *d)
{
        const struct ab_history *h = d->h;
        size_t npoint = 0;
        d->hosts = calloc(h->nseries + 1, sizeof *d->hosts);
        d->pages = calloc(h->nseries + 1, sizeof *d->pages);
        if (!d->hosts || !d->pages)
                return -ENOMEM;
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                npoint += !s->site;
                /* series come by host */
                if (!d->nhosts || strcmp(d->hosts[d->nhosts - 1], s->host) != 0)
                        d->hosts[d->nhosts++] = s->host;
        }
        d->split = npoint > AB_DASH_INLINE && d->nhosts > 1;
        for (size_t i = 0; d->split && i < d->nhosts; i++) {
                char name[80];
                size_t k = 0;
                for (const char *p = d->hosts[i]; *p && k < 64; p++, k++)
                        name[k] = strchr("-._", *p) || (*p >= 'a' && *p <= 'z') ||
                                          (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                                      ? *p
                                      : '_';
                name[k] = '\0';
                if (!(d->pages[i] = malloc(sizeof name + 32)))
                        return -ENOMEM;
                snprintf(d->pages[i], sizeof name + 32, "hosts/%zu-%s.html", i + 1, name);
        }
        return 0;
}

static void plan_free(struct ab_dash *d)
{
        for (size_t i = 0; d->pages && i < d->nhosts; i++)
                free(d->pages[i]);
        free(d->pages);
        free(d->hosts);
}

int ab_dashboard_write(const char *dir, const struct ab_history *h, char *err, size_t errlen)
{
        char now[32], sub[PATH_MAX + 16];
        struct ab_names figs = {0};
        struct ab_dash d = {.h = h};
        time_t t = time(NULL);
        struct tm tm;
        int r;

        if ((r = ab_mkdir_p(dir))) {
                snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-r));
                return r;
        }
        if ((r = plan(&d))) {
                snprintf(err, errlen, "out of memory writing %s/index.html", dir);
                goto out;
        }
        ab_figures_collect(dir, h, &figs);
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(sub, sizeof sub, "%s/hosts", dir);
        if (d.split && (r = ab_mkdir_p(sub))) {
                snprintf(err, errlen, "cannot create %s: %s", sub, strerror(-r));
                goto out;
        }
        for (size_t i = 0; d.split && i < d.nhosts && !r; i++)
                r = write_host(dir, &d, i, now, err, errlen);
        if (!r)
                r = write_index(dir, &d, &figs, now, err, errlen);
out:
        ab_names_free(&figs);
        plan_free(&d);
        return r;
}
