/*
 * dashboard.c - `bench history html DIR`: one static page, DIR/index.html,
 * that a browser opens from disk or any static web server serves. Charts are
 * inline SVG drawn here, so the page needs no script to show them, no
 * network and no library; a few lines of inline script add a filter box and
 * mark the page ready (body[data-ready] = the number of charts), which is
 * what the headless-browser test looks for. The figures it links come from
 * figures.c.
 *
 * Every string from a results file or the store reaches the page through
 * esc() (text and attribute values) or esc_url() (links); the inline script
 * carries no data. The allocation sites (bench run --trace) have a section
 * of their own, a card each: their verdict history, their two series'
 * charts (which the series section leaves out) and their stack.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fmt.h"
#include "core/fsutil.h"
#include "report/history/dashboard.h"
#include "report/history/figures.h"
#include "report/sites.h"

/* Chart geometry (SVG user units = CSS pixels). */
#define CW 380.0
#define CH 170.0
#define ML 58.0 /* room for the y labels */
#define MR 10.0
#define MT 10.0
#define MB 22.0 /* room for the x labels */

static void esc(FILE *f, const char *s)
{
        for (; s && *s; s++) {
                switch (*s) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                case '\'':
                        fputs("&#39;", f);
                        break;
                default:
                        fputc(*s, f);
                }
        }
}

/* A URL path component: unreserved characters as they are, the rest %XX. */
static void esc_url(FILE *f, const char *s)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("-._~/", c))
                        fputc(c, f);
                else
                        fprintf(f, "%%%02X", c);
        }
}

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
    "details.stack summary{cursor:pointer;font-size:13px;color:#566}";

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
    "box.addEventListener('input',apply);apply();\n"
    "document.body.setAttribute('data-ready',String(figs.length));\n"
    "})();\n";

/* The date part of `created` (its first 10 bytes, not splitting a UTF-8
 * character), as HTML text: `created` is whatever the results file said. */
static void esc_date(FILE *f, const char *created)
{
        char buf[16];
        size_t n = 0;
        if (created) {
                n = strnlen(created, 10);
                /* back off to the start of a character cut in two */
                if (created[n] != '\0') {
                        size_t k = n;
                        while (k > 0 && ((unsigned char)created[k] & 0xC0) == 0x80)
                                k--;
                        n = k;
                }
                memcpy(buf, created, n);
        }
        buf[n] = '\0';
        esc(f, buf);
}

static void series_title(FILE *f, const struct ab_hseries *s)
{
        esc(f, s->host);
        fputs(" · ", f);
        esc(f, s->workload);
        fputs(" · ", f);
        esc(f, s->point);
        fputs(" · ", f);
        esc(f, s->alloc);
        fputs(" · ", f);
        esc(f, s->metric);
}

/* The sentence a change point's tooltip and tables carry. */
static void cp_text(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                    const struct ab_cp *cp)
{
        char a[48], b[48], c[48], pb[16];
        const struct ab_hrun *r = &h->runs[s->run[cp->index]];
        ab_fmt_change(cp->change, c, sizeof c);
        fprintf(f, "%s from run #%lld (", c, (long long)r->id);
        esc(f, r->created);
        if (r->rev) {
                fputs(", rev ", f);
                esc(f, r->rev);
        }
        fprintf(f, "): %s → %s, p = ", ab_fmt_value(cp->before, s->unit, a, sizeof a),
                ab_fmt_value(cp->after, s->unit, b, sizeof b));
        esc(f, ab_fmt_p(cp->p, pb, sizeof pb));
}

/* An axis label for v with enough decimals to tell the chart's bounds apart
 * (a range of 4 KiB on 1.6 MiB of RSS is "1660K", not "1.6M" twice). */
static const char *axis_label(double v, double range, const char *unit, char *buf, size_t len)
{
        static const char *ns_units[] = {"ns", "us", "ms", "s"}, *kib_units[] = {"K", "M", "G"};
        const char *suffix = "";
        double scale = 1, r;
        int dec;
        if (strcmp(unit, "ns") == 0) {
                int k = 0;
                while (fabs(v) >= 1000 * scale && k < 3) {
                        scale *= 1000;
                        k++;
                }
                suffix = ns_units[k];
        } else if (strcmp(unit, "KiB") == 0) {
                int k = 0;
                while (fabs(v) >= 10240 * scale && k < 2) {
                        scale *= 1024;
                        k++;
                }
                suffix = kib_units[k];
        }
        r = range / scale;
        dec = r > 0 ? (int)ceil(-log10(r / 4)) : 1;
        dec = dec < 0 ? 0 : dec > 4 ? 4 : dec;
        snprintf(buf, len, "%.*f%s", dec, v / scale, suffix);
        return buf;
}

static void chart(FILE *f, const struct ab_history *h, const struct ab_hseries *s)
{
        double lo = INFINITY, hi = -INFINITY, pw = CW - ML - MR, ph = CH - MT - MB;
        char a[48], b[48];
        size_t n = s->n;
#define X(i) (ML + (n > 1 ? pw * (double)(i) / (double)(n - 1) : pw / 2))
#define Y(v) (MT + ph - ph * ((v)-lo) / (hi - lo))
        for (size_t i = 0; i < n; i++) {
                lo = fmin(lo, s->v[i]);
                hi = fmax(hi, s->v[i]);
        }
        if (!(hi > lo)) {
                double d = fabs(hi) > 0 ? fabs(hi) * 0.05 : 1;
                lo = lo >= 0 && lo - d < 0 ? 0 : lo - d;
                hi += d;
        } else {
                double d = (hi - lo) * 0.08;
                /* figures that cannot go below zero do not get a negative axis */
                lo = lo >= 0 && lo - d < 0 ? 0 : lo - d;
                hi += d;
        }
        fprintf(f,
                "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                "xmlns=\"http://www.w3.org/2000/svg\"><title>",
                CW, CH, CW, CH);
        series_title(f, s);
        fprintf(f, " (%zu values)</title>\n", n);
        /* axes, a middle grid line, labels */
        fprintf(f,
                "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
                "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
                ML, MT + ph / 2, CW - MR, MT + ph / 2, ML, MT, ML, MT + ph, ML, MT + ph, CW - MR,
                MT + ph);
        fprintf(f,
                "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>"
                "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n",
                ML - 4, MT + 8, axis_label(hi, hi - lo, s->unit, a, sizeof a), ML - 4, MT + ph,
                axis_label(lo, hi - lo, s->unit, b, sizeof b));
        if (n) {
                fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">", ML, CH - 6);
                esc_date(f, h->runs[s->run[0]].created);
                fputs("</text>", f);
                if (n > 1) {
                        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", CW - MR,
                                CH - 6);
                        esc_date(f, h->runs[s->run[n - 1]].created);
                        fputs("</text>", f);
                }
                fputc('\n', f);
        }
        /* the values */
        if (n > 1) {
                fputs("\n<polyline class=\"data\" points=\"", f);
                for (size_t i = 0; i < n; i++)
                        fprintf(f, "%s%.1f,%.1f", i ? " " : "", X(i), Y(s->v[i]));
                fputs("\"/>\n", f);
        }
        /* the segments' means: the step fit the change points imply */
        for (size_t k = 0; k <= s->ncp && n; k++) {
                size_t from = k ? s->cp[k - 1].index : 0, to = k < s->ncp ? s->cp[k].index : n;
                double sum = 0;
                for (size_t i = from; i < to; i++)
                        sum += s->v[i];
                if (to > from)
                        fprintf(f,
                                "<line class=\"seg\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                                "y2=\"%.1f\"/>",
                                X(from), Y(sum / (double)(to - from)), X(to - 1),
                                Y(sum / (double)(to - from)));
        }
        if (n) {
                const struct ab_hrun *r = &h->runs[s->run[n - 1]];
                fprintf(f, "<circle class=\"last\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>",
                        X(n - 1), Y(s->v[n - 1]));
                fprintf(f, "run #%lld ", (long long)r->id);
                esc(f, r->created);
                if (r->rev) {
                        fputs(" rev ", f);
                        esc(f, r->rev);
                }
                fprintf(f, ": %s</title></circle>\n",
                        ab_fmt_value(s->v[n - 1], s->unit, a, sizeof a));
        }
        /* change points: a dashed line between the last run before and the
         * first run after, and a marker on the first run after */
        for (size_t k = 0; k < s->ncp; k++) {
                const struct ab_cp *cp = &s->cp[k];
                const char *dir = cp->after > cp->before ? "up" : "down";
                double x = (X(cp->index - 1) + X(cp->index)) / 2;
                fprintf(f,
                        "<g class=\"changepoint\" data-index=\"%zu\"><line class=\"cp %s\" "
                        "x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
                        "<circle class=\"cp %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/><title>",
                        cp->index, dir, x, MT, x, MT + ph, dir, X(cp->index), Y(cp->after));
                cp_text(f, h, s, cp);
                fputs("</title></g>\n", f);
        }
        fputs("</svg>\n", f);
#undef X
#undef Y
}

static void series_anchor(FILE *f, const struct ab_hseries *s)
{
        fprintf(f, "<a href=\"#s-%lld\">", (long long)s->id);
        series_title(f, s);
        fputs("</a>", f);
}

/* One row of a change table: the series, the run where its newest change
 * first shows, the means before and after, the change and its p. */
static void change_row(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                       const char *row_class)
{
        const struct ab_cp *cp = &s->cp[s->ncp - 1];
        const struct ab_hrun *r = &h->runs[s->run[cp->index]];
        char a[48], b[48], c[48];
        ab_fmt_change(cp->change, c, sizeof c);
        if (row_class)
                fprintf(f, "<tr class=\"%s\"><td>", row_class);
        else
                fputs("<tr><td>", f);
        series_anchor(f, s);
        fprintf(f, "</td><td>#%lld ", (long long)r->id);
        esc(f, r->created);
        if (r->rev) {
                fputs(" rev ", f);
                esc(f, r->rev);
        }
        fprintf(f,
                "</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
                "<td class=\"num %s\">%s</td><td class=\"num\">",
                ab_fmt_value(cp->before, s->unit, a, sizeof a),
                ab_fmt_value(cp->after, s->unit, b, sizeof b),
                cp->after > cp->before ? "up" : "down", c);
        esc(f, ab_fmt_p(cp->p, c, sizeof c));
        fputs("</td></tr>\n", f);
}

static void section_latest_flags(FILE *f, const struct ab_history *h);

static void section_changes(FILE *f, const struct ab_history *h)
{
        size_t nreg = 0, nall = 0;
        for (size_t i = 0; i < h->nseries; i++) {
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
                fputs("<table id=\"regressions\"><tr><th>series</th><th>from run</th>"
                      "<th>before</th><th>after</th><th>change</th><th>p</th></tr>\n",
                      f);
        for (size_t i = 0; i < h->nseries && nreg; i++) {
                if (ab_hseries_regressed(&h->series[i]))
                        change_row(f, h, &h->series[i], "regression");
        }
        if (nreg)
                fputs("</table>\n", f);

        /* the newest change of each series, whichever way */
        fprintf(f, "<h3>Newest change of each series (%zu with one)</h3>\n", nall);
        if (!nall) {
                fputs("<p class=\"meta\">No change points in any series.</p>\n", f);
        } else {
                fputs("<table id=\"changes\"><tr><th>series</th><th>from run</th><th>before</th>"
                      "<th>after</th><th>change</th><th>p</th></tr>\n",
                      f);
                for (size_t i = 0; i < h->nseries; i++) {
                        if (h->series[i].ncp)
                                change_row(f, h, &h->series[i], NULL);
                }
                fputs("</table>\n", f);
        }

        section_latest_flags(f, h);
        fputs("</section>\n", f);
}

/* The detectors' flags of each host's latest run. */
static void section_latest_flags(FILE *f, const struct ab_history *h)
{
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
                esc(f, r->host);
                fprintf(f, ": #%lld ", (long long)r->id);
                esc(f, r->created);
                if (r->rev) {
                        fputs(" rev ", f);
                        esc(f, r->rev);
                }
                fputs("</h3>\n<p class=\"meta\">", f);
                esc(f, r->file);
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
                        esc(f, fl->severity);
                        fputs("\">", f);
                        esc(f, fl->severity);
                        fputs("</td><td>", f);
                        esc(f, fl->kind);
                        fputs("</td><td>", f);
                        esc(f, fl->alloc);
                        fputs("</td><td>", f);
                        esc(f, fl->workload);
                        fputs("</td><td><code>", f);
                        esc(f, fl->where);
                        fputs("</code></td><td>", f);
                        esc(f, fl->message);
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
                        esc_url(f, figs->v[i]);
                        fputs("\"><img loading=\"lazy\" alt=\"\" src=\"", f);
                        esc_url(f, figs->v[i]);
                        fputs("\">", f);
                        esc(f, figs->v[i]);
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

/* One series' chart with its caption (the allocator and metric, or what
 * stands for them in a site's card), filterable by its data-key. */
static void series_figure(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                          const char *caption)
{
        char a[48], c[48];
        bool reg = ab_hseries_regressed(s);
        fprintf(f, "<figure class=\"series%s\" id=\"s-%lld\" data-key=\"", reg ? " reg" : "",
                (long long)s->id);
        esc(f, s->host);
        fputc('|', f);
        esc(f, s->alloc);
        fputc('|', f);
        esc(f, s->workload);
        fputc('|', f);
        esc(f, s->point);
        fputc('|', f);
        esc(f, s->metric);
        fprintf(f, "\" data-changes=\"%zu\">\n<figcaption><a href=\"#s-%lld\">", s->ncp,
                (long long)s->id);
        if (caption) {
                esc(f, caption);
        } else {
                esc(f, s->alloc);
                fputs(" · ", f);
                esc(f, s->metric);
        }
        fprintf(f, "</a><span class=\"meta\">%zu runs, latest %s</span>", s->n,
                s->n ? ab_fmt_value(s->v[s->n - 1], s->unit, a, sizeof a) : "-");
        if (s->ncp) {
                const struct ab_cp *cp = &s->cp[s->ncp - 1];
                bool up = cp->after > cp->before;
                ab_fmt_change(cp->change, c, sizeof c);
                fprintf(f, "<span class=\"badge %s\" title=\"", up ? "up" : "down");
                cp_text(f, h, s, cp);
                fprintf(f, "\">%s %s</span>", c, up ? "regression" : "improvement");
        }
        fputs("</figcaption>\n", f);
        chart(f, h, s);
        fputs("</figure>\n", f);
}

/* Every point's series, grouped by host, workload and point; the sites'
 * are in their cards (section_sites). */
static void section_series(FILE *f, const struct ab_history *h)
{
        const struct ab_hseries *prev = NULL;
        size_t npoint = 0;
        for (size_t i = 0; i < h->nseries; i++)
                npoint += !h->series[i].site;
        fprintf(f,
                "<section id=\"series\"><h2>Series</h2>\n<p><input id=\"filter\" type=\"search\" "
                "placeholder=\"filter: words of host, workload, point, allocator, metric, site\">"
                "<span id=\"count\" class=\"meta\">%zu series</span></p>\n"
                "<p class=\"meta\">Blue: the values, oldest left. Dashed grey: the mean between "
                "change points. Red (an increase, worse) and green (a decrease) markers: change "
                "points, on the first run after the change; hover for the figures. The filter "
                "takes the sites' charts too.</p>\n",
                h->nseries);
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                if (s->site)
                        continue;
                if (!prev || !same_group(s, prev)) {
                        if (prev)
                                fputs("</div></section>\n", f);
                        fputs("<section class=\"group\"><h3>", f);
                        esc(f, s->host);
                        fputs(" · ", f);
                        esc(f, s->workload);
                        fputs(" · ", f);
                        esc(f, s->point);
                        fputs("</h3><div class=\"grid\">\n", f);
                }
                series_figure(f, h, s, NULL);
                prev = s;
        }
        if (npoint)
                fputs("</div></section>\n", f);
        fputs("</section>\n", f);
}

/* ---- the allocation sites ------------------------------------------------- */

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
                esc(f, st->verdict);
        fputs("</span>", f);
}

/* "#3 2026-01-03T03:00:00Z rev abc" of a run, escaped. */
static void run_ref(FILE *f, const struct ab_hrun *r)
{
        fprintf(f, "#%lld ", (long long)r->id);
        esc(f, r->created);
        if (r->rev) {
                fputs(" rev ", f);
                esc(f, r->rev);
        }
}

static void site_row(FILE *f, const struct ab_history *h, const struct ab_hsite *st)
{
        char b[32];
        fprintf(f, "<tr class=\"site\"><td><a href=\"#site-%lld\"><code>", (long long)st->id);
        esc(f, st->key);
        fputs("</code></a></td><td>", f);
        esc(f, st->alloc);
        fputs("</td><td>", f);
        esc(f, st->workload);
        fputs("</td><td>", f);
        esc(f, st->point);
        fputs("</td><td>", f);
        verdict_badge(f, st);
        fputs("</td><td>", f);
        esc(f, st->note);
        fprintf(f, "</td><td class=\"num\">%zu</td><td>", st->runs_seen);
        run_ref(f, &h->runs[st->first]);
        fputs("</td><td>", f);
        run_ref(f, &h->runs[st->last]);
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
                esc(f, line);
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
        esc(f, st->host);
        fputs(" · ", f);
        esc(f, st->workload);
        fputs(" · ", f);
        esc(f, st->point);
        fputs(" · ", f);
        esc(f, st->alloc);
        fputs("</h3>\n<p><code class=\"key\">", f);
        esc(f, st->key);
        fputs("</code></p>\n<p>", f);
        verdict_badge(f, st);
        if (st->note) {
                fputs(" <span class=\"note\">", f);
                esc(f, st->note);
                fputs("</span>", f);
        }
        fprintf(f, "</p>\n<p class=\"meta\">seen in %zu run%s: first ", st->runs_seen,
                st->runs_seen == 1 ? "" : "s");
        run_ref(f, &h->runs[st->first]);
        fputs(", last ", f);
        run_ref(f, &h->runs[st->last]);
        fputs("</p>\n", f);
        if (charts) {
                fputs("<div class=\"grid\">\n", f);
                if (st->left_series != SIZE_MAX)
                        series_figure(f, h, &h->series[st->left_series],
                                      "left over per round (bytes)");
                if (st->live_series != SIZE_MAX)
                        series_figure(f, h, &h->series[st->live_series], "live at the end (bytes)");
                fputs("</div>\n", f);
        } else {
                fputs("<p class=\"meta\">No figures stored (its runs had no rounds).</p>\n", f);
        }
        site_stack(f, st);
        fputs("</section>\n", f);
}

static void section_sites(FILE *f, const struct ab_history *h)
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

int ab_dashboard_write(const char *dir, const struct ab_history *h, char *err, size_t errlen)
{
        char path[PATH_MAX + 32], now[32], *page = NULL;
        size_t len = 0;
        struct ab_names figs = {0};
        time_t t = time(NULL);
        struct tm tm;
        FILE *f;
        int r;

        if ((r = ab_mkdir_p(dir))) {
                snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-r));
                return r;
        }
        ab_figures_collect(dir, h, &figs);

        f = open_memstream(&page, &len);
        if (!f) {
                snprintf(err, errlen, "out of memory writing %s/index.html", dir);
                ab_names_free(&figs);
                return -ENOMEM;
        }
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(f,
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>allocbench history</title>\n<style>%s</style></head>\n<body>\n",
                css);
        fputs("<header><h1>allocbench history</h1>\n<p class=\"meta\">", f);
        esc(f, h->db);
        fprintf(f, ": %zu runs", h->nruns);
        if (h->nruns) {
                fputs(" from ", f);
                esc(f, h->runs[0].created);
                fputs(" to ", f);
                esc(f, h->runs[h->nruns - 1].created);
        }
        fprintf(f, ", %zu series; written %s</p>\n", h->nseries, now);
        fprintf(f,
                "<p class=\"meta\">Change points: proposed by binary segmentation, kept when "
                "Student's t test on the logarithms of the values against the neighbouring "
                "segments gives p &lt; %g after a "
                "Bonferroni correction for the splits possible, the mean moves by %g%% or more, "
                "and %zu or more runs lie on each side. Every figure is worse when higher.</p>\n"
                "<p class=\"meta\"><a href=\"#latest\">latest flags</a> · <a "
                "href=\"#sites\">allocation sites</a> · <a href=\"#figures\">figures</a> · <a "
                "href=\"#series\">series</a></p></header>\n",
                h->params.alpha, 100 * h->params.min_change, h->params.min_seg);
        section_changes(f, h);
        section_sites(f, h);
        section_figures(f, &figs);
        section_series(f, h);
        fprintf(f, "<script>\n%s</script>\n</body></html>\n", script);
        if (fclose(f) != 0 || !page) {
                free(page);
                snprintf(err, errlen, "out of memory writing %s/index.html", dir);
                r = -ENOMEM;
                goto out;
        }
        snprintf(path, sizeof path, "%s/index.html", dir);
        r = ab_write_atomic(path, page, len, err, errlen);
        free(page);
out:
        ab_names_free(&figs);
        return r;
}
