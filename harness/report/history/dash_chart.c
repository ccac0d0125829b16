/*
 * dash_chart.c - a series' chart (inline SVG drawn here: the page needs no
 * script and no library to show it) and what every part of the dashboard
 * shares (dash.h): escaping, titles, links.
 *
 * The y axis of every chart starts at 0 (or below it, for a site's
 * left-over that shrank), so that 5% of noise is 5% of the chart's height
 * and a flat series looks flat; the axis says so. Change points are marked
 * on the first run after them; the places where the runs' settings changed
 * (settings.h) are marked along the top, each saying what changed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "report/history/dash.h"
#include "report/history/settings.h"

/* Chart geometry (SVG user units = CSS pixels). */
#define CW 380.0
#define CH 170.0
#define ML 58.0 /* room for the y labels */
#define MR 10.0
#define MT 12.0
#define MB 22.0 /* room for the x labels */

void ab_dash_esc(FILE *f, const char *s)
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

void ab_dash_esc_join(FILE *f, const char *sep, size_t n, ...)
{
        va_list ap;
        va_start(ap, n);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        fputs(sep, f);
                ab_dash_esc(f, va_arg(ap, const char *));
        }
        va_end(ap);
}

/* A URL path component: unreserved characters as they are, the rest %XX. */
void ab_dash_esc_url(FILE *f, const char *s)
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

/* `created` is whatever the results file said: its first 10 bytes, not
 * splitting a UTF-8 character. */
void ab_dash_esc_date(FILE *f, const char *created)
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
        ab_dash_esc(f, buf);
}

void ab_dash_series_title(FILE *f, const struct ab_hseries *s)
{
        ab_dash_esc_join(f, " · ", 5, s->host, s->workload, s->point, s->alloc, s->metric);
}

void ab_dash_run_ref(FILE *f, const struct ab_hrun *r)
{
        fprintf(f, "#%lld ", (long long)r->id);
        ab_dash_esc(f, r->created);
        if (r->rev) {
                fputs(" rev ", f);
                ab_dash_esc(f, r->rev);
        }
}

/* What changed in the settings at a step, escaped. */
static void step_text(FILE *f, const struct ab_hstep *st)
{
        char buf[2048];
        ab_dash_esc(f, ab_hstep_text(st, buf, sizeof buf));
}

void ab_dash_cp_text(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                     const struct ab_cp *cp)
{
        char a[48], b[48], c[48], pb[16];
        const struct ab_hrun *r = &h->runs[s->run[cp->index]];
        const struct ab_hstep *st = ab_hseries_step_at(s, cp->index);
        ab_fmt_change(cp->change, c, sizeof c);
        fprintf(f, "%s from run #%lld (", c, (long long)r->id);
        ab_dash_esc(f, r->created);
        if (r->rev) {
                fputs(", rev ", f);
                ab_dash_esc(f, r->rev);
        }
        fprintf(f, "): %s → %s, ", ab_fmt_value(cp->before, s->unit, a, sizeof a),
                ab_fmt_value(cp->after, s->unit, b, sizeof b));
        if (s->exact)
                fputs("an exact count", f);
        else {
                fputs("p = ", f);
                ab_dash_esc(f, ab_fmt_p(cp->p, pb, sizeof pb));
        }
        if (st) {
                fputs("; settings changed: ", f);
                step_text(f, st);
        }
}

void ab_dash_series_href(FILE *f, const struct ab_dash *d, const struct ab_hseries *s)
{
        /* the sites' charts are in their cards, on the index */
        if (d->split && !s->site && (!d->here || strcmp(d->here, s->host) != 0)) {
                for (size_t i = 0; i < d->nhosts; i++)
                        if (strcmp(d->hosts[i], s->host) == 0) {
                                ab_dash_esc_url(f, d->pages[i]);
                                break;
                        }
        }
        fprintf(f, "#s-%lld", (long long)s->id);
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
        if (v == 0)
                return snprintf(buf, len, "0"), buf;
        r = range / scale;
        dec = r > 0 ? (int)ceil(-log10(r / 4)) : 1;
        dec = dec < 0 ? 0 : dec > 4 ? 4 : dec;
        snprintf(buf, len, "%.*f%s", dec, v / scale, suffix);
        return buf;
}

/* The chart's box: geometry and the y range, which always holds 0. */
struct box {
        double lo, hi, pw, ph;
        size_t n;
};

static double bx(const struct box *b, size_t i)
{
        return ML + (b->n > 1 ? b->pw * (double)i / (double)(b->n - 1) : b->pw / 2);
}

static double by(const struct box *b, double v)
{
        return MT + b->ph - b->ph * (v - b->lo) / (b->hi - b->lo);
}

static void chart_box(const struct ab_hseries *s, struct box *b)
{
        double lo = 0, hi = 0;
        for (size_t i = 0; i < s->n; i++) {
                lo = fmin(lo, s->v[i]);
                hi = fmax(hi, s->v[i]);
        }
        /* from 0 (a change of 5% is 5% of the height), with room above the
         * highest value and below a negative one */
        if (!(hi > lo))
                hi = 1;
        b->lo = lo < 0 ? lo - 0.08 * (hi - lo) : 0;
        b->hi = hi + 0.08 * (hi - lo);
        b->pw = CW - ML - MR;
        b->ph = CH - MT - MB;
        b->n = s->n;
}

/* The axes, a grid line at 0 when the range goes below it, the labels. */
static void chart_axes(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                       const struct box *b)
{
        char a[48], c[48];
        size_t n = s->n;
        fprintf(f,
                "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
                "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                "<line class=\"axis\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>\n",
                ML, MT + b->ph / 2, CW - MR, MT + b->ph / 2, ML, MT, ML, MT + b->ph, ML, by(b, 0),
                CW - MR, by(b, 0));
        fprintf(f,
                "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>"
                "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>"
                "<text class=\"yfrom\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
                ML - 4, MT + 8, axis_label(b->hi, b->hi - b->lo, s->unit, a, sizeof a), ML - 4,
                MT + b->ph, axis_label(b->lo, b->hi - b->lo, s->unit, c, sizeof c), ML + b->pw / 2,
                CH - 6, b->lo < 0 ? "y axis from below 0" : "y axis from 0");
        if (n) {
                fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">", ML, CH - 6);
                ab_dash_esc_date(f, h->runs[s->run[0]].created);
                fputs("</text>", f);
                if (n > 1) {
                        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", CW - MR,
                                CH - 6);
                        ab_dash_esc_date(f, h->runs[s->run[n - 1]].created);
                        fputs("</text>", f);
                }
                fputc('\n', f);
        }
}

/* The values, the segments' means (the step fit the change points imply)
 * and the newest value. */
static void chart_values(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                         const struct box *b)
{
        char a[48];
        size_t n = s->n;
        if (n > 1) {
                fputs("\n<polyline class=\"data\" points=\"", f);
                for (size_t i = 0; i < n; i++)
                        fprintf(f, "%s%.1f,%.1f", i ? " " : "", bx(b, i), by(b, s->v[i]));
                fputs("\"/>\n", f);
        }
        for (size_t k = 0; k <= s->ncp && n; k++) {
                size_t from = k ? s->cp[k - 1].index : 0, to = k < s->ncp ? s->cp[k].index : n;
                double sum = 0;
                for (size_t i = from; i < to; i++)
                        sum += s->v[i];
                if (to > from)
                        fprintf(f,
                                "<line class=\"seg\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                                "y2=\"%.1f\"/>",
                                bx(b, from), by(b, sum / (double)(to - from)), bx(b, to - 1),
                                by(b, sum / (double)(to - from)));
        }
        if (n) {
                fprintf(f, "<circle class=\"last\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>",
                        bx(b, n - 1), by(b, s->v[n - 1]));
                ab_dash_run_ref(f, &h->runs[s->run[n - 1]]);
                fprintf(f, ": %s</title></circle>\n",
                        ab_fmt_value(s->v[n - 1], s->unit, a, sizeof a));
        }
}

/* Change points: a dashed line between the last run before and the first
 * run after, a marker on the first run after; settings changes: a small
 * grey mark at the top between the two runs. */
static void chart_marks(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                        const struct box *b)
{
        for (size_t k = 0; k < s->ncp; k++) {
                const struct ab_cp *cp = &s->cp[k];
                const char *dir = cp->after > cp->before ? "up" : "down";
                double x = (bx(b, cp->index - 1) + bx(b, cp->index)) / 2;
                fprintf(f,
                        "<g class=\"changepoint\" data-index=\"%zu\"><line class=\"cp %s\" "
                        "x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
                        "<circle class=\"cp %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/><title>",
                        cp->index, dir, x, MT, x, MT + b->ph, dir, bx(b, cp->index),
                        by(b, cp->after));
                ab_dash_cp_text(f, h, s, cp);
                fputs("</title></g>\n", f);
        }
        for (size_t k = 0; k < s->nsteps; k++) {
                const struct ab_hstep *st = &s->steps[k];
                double x = (bx(b, st->index - 1) + bx(b, st->index)) / 2;
                fprintf(f,
                        "<g class=\"setting\" data-index=\"%zu\"><path d=\"M%.1f %.0f l-4 -7 h8 "
                        "z\"/><title>settings changed at run #%lld: ",
                        st->index, x, MT, (long long)h->runs[s->run[st->index]].id);
                step_text(f, st);
                fputs("</title></g>\n", f);
        }
}

static void chart(FILE *f, const struct ab_history *h, const struct ab_hseries *s)
{
        struct box b;
        chart_box(s, &b);
        fprintf(f,
                "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" "
                "xmlns=\"http://www.w3.org/2000/svg\"><title>",
                CW, CH, CW, CH);
        ab_dash_series_title(f, s);
        fprintf(f, " (%zu values)</title>\n", s->n);
        chart_axes(f, h, s, &b);
        chart_values(f, h, s, &b);
        chart_marks(f, h, s, &b);
        fputs("</svg>\n", f);
}

void ab_dash_series_figure(FILE *f, const struct ab_history *h, const struct ab_hseries *s,
                           const char *caption)
{
        char a[48], c[48];
        bool reg = ab_hseries_regressed(s);
        fprintf(f, "<figure class=\"series%s\" id=\"s-%lld\" data-key=\"", reg ? " reg" : "",
                (long long)s->id);
        ab_dash_esc_join(f, "|", 5, s->host, s->alloc, s->workload, s->point, s->metric);
        fprintf(f, "\" data-changes=\"%zu\">\n<figcaption><a href=\"#s-%lld\">", s->ncp,
                (long long)s->id);
        if (caption) {
                ab_dash_esc(f, caption);
        } else {
                ab_dash_esc_join(f, " · ", 2, s->alloc, s->metric);
        }
        fprintf(f, "</a><span class=\"meta\">%zu runs, latest %s</span>", s->n,
                s->n ? ab_fmt_value(s->v[s->n - 1], s->unit, a, sizeof a) : "-");
        if (s->ncp) {
                const struct ab_cp *cp = &s->cp[s->ncp - 1];
                bool up = cp->after > cp->before;
                ab_fmt_change(cp->change, c, sizeof c);
                fprintf(f, "<span class=\"badge %s\" title=\"", up ? "up" : "down");
                ab_dash_cp_text(f, h, s, cp);
                fprintf(f, "\">%s %s</span>", c, up ? "regression" : "improvement");
                if (ab_hseries_step_at(s, cp->index))
                        fputs("<span class=\"badge setting\">settings changed</span>", f);
        }
        fputs("</figcaption>\n", f);
        chart(f, h, s);
        fputs("</figure>\n", f);
}
