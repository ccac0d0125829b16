/*
 * check.c - show and check printing (check.h): text tables aligned for a
 * terminal, or JSON (schemas allocbench/history/1 for show,
 * allocbench/history-check/1 for check).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/log.h"
#include "report/history/check.h"
#include "report/history/settings.h"
#include "report/sites.h"

/* ---- a table printed with its columns aligned: text left, numbers right ---- */

#define TCOLS 13
struct table {
        char (*cell)[TCOLS][96];
        size_t rows, cap, cols;
        bool right[TCOLS];
};

__attribute__((format(printf, 3, 4))) static void tset(struct table *t, size_t col, const char *fmt,
                                                       ...)
{
        va_list ap;
        if (t->rows == 0 || col >= TCOLS)
                return;
        va_start(ap, fmt);
        vsnprintf(t->cell[t->rows - 1][col], sizeof t->cell[0][0], fmt, ap);
        va_end(ap);
        if (col + 1 > t->cols)
                t->cols = col + 1;
}

static int trow(struct table *t)
{
        if (t->rows == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 64;
                void *p = realloc(t->cell, cap * sizeof *t->cell);
                if (!p)
                        return -ENOMEM;
                t->cell = p;
                t->cap = cap;
        }
        memset(t->cell[t->rows++], 0, sizeof *t->cell);
        return 0;
}

/* Display width of UTF-8 text (every code point one column). */
static size_t width(const char *s)
{
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

static void tprint(FILE *f, struct table *t, const char *indent)
{
        size_t w[TCOLS] = {0};
        for (size_t r = 0; r < t->rows; r++)
                for (size_t c = 0; c < t->cols; c++)
                        if (width(t->cell[r][c]) > w[c])
                                w[c] = width(t->cell[r][c]);
        for (size_t r = 0; r < t->rows; r++) {
                char line[TCOLS * 100] = "";
                size_t off = 0;
                for (size_t c = 0; c < t->cols; c++) {
                        const char *s = t->cell[r][c];
                        size_t pad = w[c] - width(s);
                        off += (size_t)snprintf(line + off, sizeof line - off, "%s%*s%s%*s",
                                                c ? "  " : "", t->right[c] ? (int)pad : 0, "", s,
                                                t->right[c] || c + 1 == t->cols ? 0 : (int)pad, "");
                        if (off >= sizeof line)
                                break;
                }
                while (off > 0 && off < sizeof line && line[off - 1] == ' ')
                        line[--off] = '\0';
                fprintf(f, "%s%s\n", indent, line);
        }
        free(t->cell);
        memset(t, 0, sizeof *t);
}

/* ---- JSON ------------------------------------------------------------------ */

static const char *rev_or(const struct ab_hrun *r)
{
        return r->rev ? r->rev : "-";
}

/* A JSON number, or null for NaN and infinities (JSON has neither). */
static json_t *jreal(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

static json_t *run_json(const struct ab_hrun *r)
{
        return json_pack("{sI ss so ss ss}", "id", (json_int_t)r->id, "created", r->created, "rev",
                         r->rev ? json_string(r->rev) : json_null(), "host", r->host, "file",
                         r->file);
}

static json_t *series_json(const struct ab_hseries *s)
{
        return json_pack("{ss ss ss ss ss ss}", "host", s->host, "allocator", s->alloc, "workload",
                         s->workload, "point", s->point, "metric", s->metric, "unit", s->unit);
}

static int dump_json(json_t *doc)
{
        int r;
        if (!doc) {
                ab_err("history", "out of memory");
                return AB_BAD_INPUT;
        }
        r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        printf("\n");
        json_decref(doc);
        if (r) {
                ab_err("history", "cannot write the output");
                return AB_BAD_INPUT;
        }
        return AB_OK;
}

static void print_header(const struct ab_history *h, const char *what)
{
        printf("%s %s: %zu run%s", what, h->db, h->nruns, h->nruns == 1 ? "" : "s");
        if (h->nruns)
                printf(" from %s to %s", h->runs[0].created, h->runs[h->nruns - 1].created);
        printf(", %zu series%s\n", h->nseries, h->nseries ? "" : " (none matches the filters)");
}

/* ---- show -------------------------------------------------------------------- */

static int show_json(const struct ab_history *h, size_t last)
{
        json_t *runs = json_array(), *series = json_array();
        for (size_t i = 0; i < h->nruns; i++)
                json_array_append_new(runs, run_json(&h->runs[i]));
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                json_t *js = series_json(s), *vals = json_array();
                size_t from = last && s->n > last ? s->n - last : 0;
                for (size_t k = from; k < s->n; k++) {
                        const struct ab_hrun *r = &h->runs[s->run[k]];
                        json_array_append_new(vals,
                                              json_pack("{sI ss so sf}", "run", (json_int_t)r->id,
                                                        "created", r->created, "rev",
                                                        r->rev ? json_string(r->rev) : json_null(),
                                                        "value", s->v[k]));
                }
                json_object_set_new(js, "values", vals);
                json_array_append_new(series, js);
        }
        return dump_json(json_pack("{ss ss so so}", "schema", AB_HISTORY_SCHEMA, "db", h->db,
                                   "runs", runs, "series", series));
}

int ab_hshow(const struct ab_history *h, size_t last, bool json)
{
        char buf[64];
        if (json)
                return show_json(h, last);
        print_header(h, "history");
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                struct table t = {0};
                size_t from = last && s->n > last ? s->n - last : 0;
                printf("\n%s  %s  %s  %s  %s  (%zu value%s%s)\n", s->host, s->workload, s->point,
                       s->alloc, s->metric, s->n, s->n == 1 ? "" : "s",
                       from ? ", the newest shown" : "");
                t.right[0] = t.right[3] = true;
                trow(&t);
                tset(&t, 0, "run");
                tset(&t, 1, "created");
                tset(&t, 2, "rev");
                tset(&t, 3, "value");
                for (size_t k = from; k < s->n; k++) {
                        const struct ab_hrun *r = &h->runs[s->run[k]];
                        if (trow(&t))
                                break;
                        tset(&t, 0, "%lld", (long long)r->id);
                        tset(&t, 1, "%s", r->created);
                        tset(&t, 2, "%s", rev_or(r));
                        tset(&t, 3, "%s", ab_fmt_value(s->v[k], s->unit, buf, sizeof buf));
                }
                tprint(stdout, &t, "  ");
        }
        return AB_OK;
}

/* ---- show --sites ------------------------------------------------------------ */

/* A site's verdict as a person reads it. */
static const char *site_verdict(const struct ab_hsite *st)
{
        if (!st->verdict)
                return "none (no verdicts applied)";
        return st->verdict_new ? "undecided, new (no verdict matched it)" : st->verdict;
}

/* The frames, one a line, as a JSON array of strings. */
static json_t *frames_json(const char *frames)
{
        json_t *a = json_array();
        for (const char *p = frames; p && *p;) {
                size_t k = strcspn(p, "\n");
                json_array_append_new(a, json_stringn(p, k));
                p += k + (p[k] == '\n');
        }
        return a;
}

static int sites_json(const struct ab_history *h)
{
        json_t *sites = json_array();
        for (size_t i = 0; i < h->nsites; i++) {
                const struct ab_hsite *st = &h->sites[i];
                json_array_append_new(
                    sites, json_pack("{ss ss ss ss ss so sb so sI so so so so so}", "host",
                                     st->host, "allocator", st->alloc, "workload", st->workload,
                                     "point", st->point, "site", st->key, "verdict",
                                     st->verdict ? json_string(st->verdict) : json_null(),
                                     "verdict_new", st->verdict_new, "note",
                                     st->note ? json_string(st->note) : json_null(), "runs_seen",
                                     (json_int_t)st->runs_seen, "first_seen",
                                     run_json(&h->runs[st->first]), "last_seen",
                                     run_json(&h->runs[st->last]), "left_per_round",
                                     jreal(st->left_per_round), "live_end", jreal(st->live_end),
                                     "frames", frames_json(st->frames)));
        }
        return dump_json(json_pack("{ss ss sI so}", "schema", "allocbench/history-sites/1", "db",
                                   h->db, "runs", (json_int_t)h->nruns, "sites", sites));
}

/* "#3 2026-01-03T03:00:00Z rev abc" of a run. */
static void run_text(FILE *f, const struct ab_hrun *r)
{
        fprintf(f, "#%lld %s%s%s", (long long)r->id, r->created, r->rev ? " rev " : "",
                r->rev ? r->rev : "");
}

int ab_hshow_sites(const struct ab_history *h, bool json)
{
        char key[4096], note[4096], a[32], b[32];
        if (json)
                return sites_json(h);
        printf("history sites of %s: %zu run%s, %zu site%s%s\n", h->db, h->nruns,
               h->nruns == 1 ? "" : "s", h->nsites, h->nsites == 1 ? "" : "s",
               h->nsites ? ", the most left per round first"
                         : " (no traced run added, or none matches the filters)");
        for (size_t i = 0; i < h->nsites; i++) {
                const struct ab_hsite *st = &h->sites[i];
                /* the names as the files had them, made fit for a terminal */
                ab_site_text(key, sizeof key, st->key, 1000);
                printf("\n%s  %s  %s  %s\n  %s\n  verdict: %s\n", st->host, st->workload, st->alloc,
                       st->point, key, site_verdict(st));
                if (st->note) {
                        ab_site_text(note, sizeof note, st->note, 1000);
                        printf("  note: %s\n", note);
                }
                printf("  seen in %zu run%s, first ", st->runs_seen, st->runs_seen == 1 ? "" : "s");
                run_text(stdout, &h->runs[st->first]);
                printf(", last ");
                run_text(stdout, &h->runs[st->last]);
                printf("\n  then: left/round %s, live at end %s\n",
                       ab_site_bytes(st->left_per_round, a, sizeof a),
                       ab_site_bytes(st->live_end, b, sizeof b));
        }
        return AB_OK;
}

/* ---- check ------------------------------------------------------------------- */

static const char method_text[] =
    "change points proposed by binary segmentation, kept by Student's t test on the logarithms "
    "of the values against the "
    "neighbouring segments (variance pooled, never below either side's own), Bonferroni over "
    "the splits possible, and a minimum relative change of the mean";

/* What changed in how the runs were made at a change point: an array of
 * {setting, before, after} (null: unset); empty when nothing did, null when
 * the store does not know the runs' settings. */
static json_t *settings_json(const struct ab_history *h, const struct ab_hseries *s, size_t index)
{
        const struct ab_hstep *st = ab_hseries_step_at(s, index);
        json_t *a;
        if (!h->nrunsets)
                return json_null();
        a = json_array();
        for (size_t i = 0; st && i < st->n; i++)
                json_array_append_new(
                    a,
                    json_pack("{ss so so}", "setting", st->d[i].key, "before",
                              st->d[i].before ? json_string(st->d[i].before) : json_null(), "after",
                              st->d[i].after ? json_string(st->d[i].after) : json_null()));
        return a;
}

/* p as a column shows it: an exact series has no test. */
static const char *p_text(const struct ab_hseries *s, double p, char *buf, size_t len)
{
        if (s->exact) {
                snprintf(buf, len, "exact");
                return buf;
        }
        return ab_fmt_p(p, buf, len);
}

static json_t *change_json(const struct ab_history *h, const struct ab_hseries *s, size_t k)
{
        const struct ab_cp *cp = &s->cp[k];
        json_t *j = series_json(s);
        bool up = cp->after > cp->before;
        json_object_update_new(j, json_pack("{sI sI sI sI so sf sf so so so so sb ss}", "index",
                                            (json_int_t)cp->index, "values", (json_int_t)s->n,
                                            "runs_before", (json_int_t)(cp->index - cp->start),
                                            "runs_after", (json_int_t)(cp->end - cp->index), "run",
                                            run_json(&h->runs[s->run[cp->index]]), "before",
                                            cp->before, "after", cp->after, "change",
                                            jreal(cp->change), "p", jreal(cp->p), "t", jreal(cp->t),
                                            "df", jreal(cp->df), "newest", k + 1 == s->ncp,
                                            "direction", up ? "regression" : "improvement"));
        json_object_set_new(j, "exact", json_boolean(s->exact));
        json_object_set_new(j, "settings_changed", settings_json(h, s, cp->index));
        return j;
}

static void check_json(const struct ab_history *h)
{
        json_t *changes = json_array(), *regs = json_array();
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                for (size_t k = 0; k < s->ncp; k++) {
                        json_t *j = change_json(h, s, k);
                        if (k + 1 == s->ncp && s->cp[k].after > s->cp[k].before)
                                json_array_append(regs, j);
                        json_array_append_new(changes, j);
                }
        }
        dump_json(json_pack("{ss ss s{ss sf sf si sf} sI sI so so}", "schema",
                            "allocbench/history-check/1", "db", h->db, "method", "test",
                            method_text, "alpha", h->params.alpha, "min_change",
                            h->params.min_change, "min_segment", (int)h->params.min_seg,
                            "exact_epsilon", h->exact_eps, "runs", (json_int_t)h->nruns, "series",
                            (json_int_t)h->nseries, "changes", changes, "regressions", regs));
}

/* One row per change point: the series, where it first shows, the means. */
static void check_table(const struct ab_history *h)
{
        static const char *head[] = {"host",
                                     "workload",
                                     "point",
                                     "allocator",
                                     "metric",
                                     "first run (created, rev)",
                                     "runs",
                                     "before",
                                     "after",
                                     "change",
                                     "p",
                                     "",
                                     "settings changed at it"};
        struct table t = {0};
        char a[64], b[64], c[64], why[512];
        trow(&t);
        t.right[6] = t.right[7] = t.right[8] = t.right[9] = t.right[10] = true;
        for (size_t k = 0; k < TCOLS; k++)
                tset(&t, k, "%s", head[k]);
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                for (size_t k = 0; k < s->ncp; k++) {
                        const struct ab_cp *cp = &s->cp[k];
                        const struct ab_hrun *r = &h->runs[s->run[cp->index]];
                        bool up = cp->after > cp->before;
                        if (trow(&t))
                                break;
                        tset(&t, 0, "%s", s->host);
                        tset(&t, 1, "%s", s->workload);
                        tset(&t, 2, "%s", s->point);
                        tset(&t, 3, "%s", s->alloc);
                        tset(&t, 4, "%s", s->metric);
                        tset(&t, 5, "#%lld %s %s", (long long)r->id, r->created, rev_or(r));
                        tset(&t, 6, "%zu+%zu", cp->index - cp->start, cp->end - cp->index);
                        tset(&t, 7, "%s", ab_fmt_value(cp->before, s->unit, a, sizeof a));
                        tset(&t, 8, "%s", ab_fmt_value(cp->after, s->unit, b, sizeof b));
                        tset(&t, 9, "%s", ab_fmt_change(cp->change, c, sizeof c));
                        tset(&t, 10, "%s", p_text(s, cp->p, c, sizeof c));
                        tset(&t, 11, "%s%s", up ? "regression" : "improvement",
                             k + 1 == s->ncp ? ", newest" : "");
                        tset(&t, 12, "%s",
                             !h->nrunsets ? "unknown"
                             : ab_hseries_step_at(s, cp->index)
                                 ? ab_hstep_text(ab_hseries_step_at(s, cp->index), why, sizeof why)
                                 : "none");
                }
        }
        printf("\n");
        tprint(stdout, &t, "");
}

/* The series whose newest change is a regression, one line each, with
 * what changed in how the runs were made there. */
static void print_regressions(const struct ab_history *h)
{
        char a[64], b[64], c[64], why[2048];
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                const struct ab_cp *cp;
                const struct ab_hrun *r;
                if (!ab_hseries_regressed(s))
                        continue;
                cp = &s->cp[s->ncp - 1];
                r = &h->runs[s->run[cp->index]];
                printf("  %s %s %s %s %s: %s (%s -> %s) from run #%lld (%s%s%s)\n", s->host,
                       s->workload, s->point, s->alloc, s->metric,
                       ab_fmt_change(cp->change, c, sizeof c),
                       ab_fmt_value(cp->before, s->unit, a, sizeof a),
                       ab_fmt_value(cp->after, s->unit, b, sizeof b), (long long)r->id, r->created,
                       r->rev ? ", rev " : "", r->rev ? r->rev : "");
                if (ab_hseries_step_at(s, cp->index))
                        printf("    settings changed at it: %s\n",
                               ab_hstep_text(ab_hseries_step_at(s, cp->index), why, sizeof why));
        }
}

int ab_hcheck(const struct ab_history *h, bool json)
{
        size_t nchanges = 0, nreg = 0, nsite = 0, nexact = 0;
        for (size_t i = 0; i < h->nseries; i++) {
                nchanges += h->series[i].ncp;
                nreg += ab_hseries_regressed(&h->series[i]);
                nsite += h->series[i].site;
                nexact += h->series[i].exact;
        }
        if (json) {
                check_json(h);
                return nreg ? AB_REGRESSION : AB_OK;
        }
        print_header(h, "history check of");
        printf("method: binary segmentation, Student's t test (on logarithms) against the "
               "neighbouring segments; a change is reported when p < %g (Bonferroni over the "
               "splits possible), the mean moves by %g%% or more, and %zu or more runs lie on "
               "each side\n",
               h->params.alpha, 100 * h->params.min_change, h->params.min_seg);
        if (nsite)
                printf("allocation sites' series (" AB_HSITE_LEFT ", " AB_HSITE_LIVE "): tested on "
                       "their values, a change relative to %g B at least\n",
                       AB_HSITE_FLOOR);
        if (nexact)
                printf("exact counts (instructions_per_op under callgrind, %zu series): no test, "
                       "a change is any move beyond %g relative, from one run on\n",
                       nexact, h->exact_eps);
        if (!nchanges) {
                printf("\nno changes\n");
                return AB_OK;
        }
        check_table(h);
        printf("\n%zu change%s in %zu series; ", nchanges, nchanges == 1 ? "" : "s", h->nseries);
        if (!nreg) {
                printf("no series' newest change is a regression\n");
                return AB_OK;
        }
        printf("%zu series whose newest change is a regression (exit 3):\n", nreg);
        print_regressions(h);
        return AB_REGRESSION;
}
