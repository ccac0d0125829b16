/*
 * compare_print.c - the report of `bench compare` as a person reads it (a
 * table) and as a spreadsheet reads it (CSV). Both print the report object
 * compare_report.c built, never a results file, so the table, the CSV and
 * the --format json output cannot disagree.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "report/compare.h"
#include "report/report.h"
#include "report/sites.h"

/* ---- reading the report ------------------------------------------------------------ */

static const char *S(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "-";
}

static double D(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

static void fmt_ratio(double r, char *buf, size_t len)
{
        if (!isfinite(r))
                snprintf(buf, len, "-");
        else if (r < 100)
                snprintf(buf, len, "%.3f", r);
        else
                snprintf(buf, len, "%.4g", r);
}

/* A JSON scalar as a person reads it: strings bare, null as "-". */
static void fmt_value(json_t *v, char *buf, size_t len)
{
        char *s;
        if (!v || json_is_null(v)) {
                snprintf(buf, len, "-");
                return;
        }
        if (json_is_string(v)) {
                snprintf(buf, len, "%s", json_string_value(v));
                return;
        }
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
        snprintf(buf, len, "%s", s ? s : "?");
        free(s);
}

static size_t width(json_t *arr, const char *key, size_t min)
{
        size_t w = min;
        for (size_t i = 0; i < json_array_size(arr); i++) {
                size_t l = strlen(S(json_array_get(arr, i), key));
                if (l > w)
                        w = l;
        }
        return w;
}

/* Column widths of allocator, workload and point. */
struct cols {
        int a, w, p;
};

/* ---- the table ------------------------------------------------------------------------ */

static void print_hosts(FILE *f, json_t *rep)
{
        json_t *hb = json_object_get(json_object_get(rep, "base"), "host"),
               *hn = json_object_get(json_object_get(rep, "new"), "host"),
               *diff = json_object_get(rep, "host_differences");
        char a[256], b[256];
        int wa = 4;
        if (json_array_size(diff) && json_is_object(json_object_get(rep, "host_view"))) {
                fprintf(f, "hosts differ in");
                for (size_t k = 0; k < json_array_size(diff); k++)
                        fprintf(f, "%s %s", k ? "," : "",
                                json_string_value(json_array_get(diff, k)));
                fprintf(f, " (the host view, below, shows them)\n");
                return;
        }
        if (json_array_size(diff) == 0) {
                fmt_value(json_object_get(hb, "hostname"), a, sizeof a);
                fmt_value(json_object_get(hb, "kernel"), b, sizeof b);
                fprintf(f, "host  %s, %s, kernel %s, %s, %s (the same for both)\n", a, S(hb, "os"),
                        b, S(hb, "cpu_model"), S(hb, "libc"));
                return;
        }
        for (size_t i = 0; i < AB_COMPARE_NHOST; i++) {
                fmt_value(json_object_get(hb, ab_compare_host_fields[i]), a, sizeof a);
                if ((int)strlen(a) > wa)
                        wa = (int)strlen(a);
        }
        fprintf(f, "hosts differ:\n  %-10s  %-*s  %s\n", "", wa, "BASE", "NEW");
        for (size_t i = 0; i < AB_COMPARE_NHOST; i++) {
                const char *field = ab_compare_host_fields[i];
                bool differs = false;
                for (size_t k = 0; k < json_array_size(diff); k++)
                        differs |= strcmp(json_string_value(json_array_get(diff, k)), field) == 0;
                fmt_value(json_object_get(hb, field), a, sizeof a);
                fmt_value(json_object_get(hn, field), b, sizeof b);
                fprintf(f, "%c %-10s  %-*s  %s\n", differs ? '*' : ' ', field, wa, a, b);
        }
}

/* The files, the hosts, how time is judged. */
static void print_head(FILE *f, json_t *rep)
{
        double alpha = D(rep, "alpha"), thr = D(rep, "threshold");
        long long nc =
            json_integer_value(json_object_get(json_object_get(rep, "summary"), "not_comparable"));
        for (int k = 0; k < 2; k++) {
                json_t *fb = json_object_get(rep, k ? "new" : "base");
                fprintf(f, "%-4s  %s  (%s%s)\n", k ? "NEW" : "BASE", S(fb, "file"),
                        S(fb, "created"),
                        json_is_true(json_object_get(fb, "interrupted"))
                            ? "; interrupted: only part of its matrix"
                            : "");
        }
        print_hosts(f, rep);
        fprintf(f,
                "time per op: Mann-Whitney U on the per-repetition samples (two-sided, alpha "
                "%g);\na change counts from %g%% (--threshold); NEW/BASE is the ratio of the "
                "medians with its %g%%\ninterval (Hodges-Lehmann, on log ns/op)\n\n",
                alpha, 100 * thr, 100 * (1 - alpha));
        if (nc)
                fprintf(f,
                        "%lld point%s did different work in the two files and get no verdict "
                        "(\"not comparable\", what differs in the notes); --strict refuses such a "
                        "comparison\n\n",
                        nc, nc == 1 ? "" : "s");
}

/* The footnote number of a row's note (each note numbered once), 0 when
 * it has none. */
static size_t note_ref(json_t *e, json_t *notes)
{
        json_t *note = json_object_get(e, "note");
        size_t at = json_array_size(notes);
        if (!json_is_string(note))
                return 0;
        for (size_t k = 0; k < json_array_size(notes); k++) {
                if (json_equal(json_array_get(notes, k), note)) {
                        at = k;
                        break;
                }
        }
        if (at == json_array_size(notes))
                json_array_append(notes, note);
        return at + 1;
}

/* A row's verdict with its note as a footnote number. */
static void verdict_cell(json_t *e, json_t *notes, char *v, size_t len)
{
        size_t ref = note_ref(e, notes);
        if (ref)
                snprintf(v, len, "%s [%zu]", S(e, "verdict"), ref);
        else
                snprintf(v, len, "%s", S(e, "verdict"));
}

static void print_point_row(FILE *f, json_t *e, json_t *notes, struct cols c)
{
        json_t *b = json_object_get(e, "base"), *n = json_object_get(e, "new"),
               *ci = json_object_get(e, "ratio_ci");
        char reps[48], mb[24], mn[24], r[24], lo[24], hi[24], rc[96], p[24], v[48];
        snprintf(reps, sizeof reps, "%lld/%lld",
                 (long long)json_integer_value(json_object_get(b, "reps")),
                 (long long)json_integer_value(json_object_get(n, "reps")));
        ab_fmt_ns(D(b, "median_ns"), mb, sizeof mb);
        ab_fmt_ns(D(n, "median_ns"), mn, sizeof mn);
        fmt_ratio(D(e, "ratio"), r, sizeof r);
        if (json_is_object(ci)) {
                fmt_ratio(D(ci, "lo"), lo, sizeof lo);
                fmt_ratio(D(ci, "hi"), hi, sizeof hi);
                snprintf(rc, sizeof rc, "%s [%s, %s]", r, lo, hi);
        } else {
                snprintf(rc, sizeof rc, "%s", r);
        }
        if (isfinite(D(e, "p")))
                snprintf(p, sizeof p, "%.2g", D(e, "p"));
        else
                snprintf(p, sizeof p, "-");
        verdict_cell(e, notes, v, sizeof v);
        fprintf(f, "%-*s  %-*s  %-*s  %6s  %10s  %10s  %-22s  %7s  %s\n", c.a, S(e, "allocator"),
                c.w, S(e, "workload"), c.p, S(e, "point"), reps, mb, mn, rc, p, v);
}

static void print_points(FILE *f, json_t *rep, struct cols c)
{
        json_t *points = json_object_get(rep, "points"), *notes = json_array();
        char level[48];
        snprintf(level, sizeof level, "NEW/BASE [%g%% CI]", 100 * (1 - D(rep, "alpha")));
        if (json_array_size(points) == 0)
                fprintf(f, "no point is in both files\n");
        else
                fprintf(f, "%-*s  %-*s  %-*s  %6s  %10s  %10s  %-22s  %7s  %s\n", c.a, "allocator",
                        c.w, "workload", c.p, "point", "reps", "BASE ns/op", "NEW ns/op", level,
                        "p", "verdict");
        for (size_t i = 0; i < json_array_size(points); i++)
                print_point_row(f, json_array_get(points, i), notes, c);
        for (size_t i = 0; i < json_array_size(notes); i++)
                fprintf(f, "  [%zu] %s\n", i + 1, json_string_value(json_array_get(notes, i)));
        json_decref(notes);
}

static void print_conditions(FILE *f, json_t *rep)
{
        json_t *cond = json_object_get(rep, "conditions");
        if (!json_array_size(cond))
                return;
        fprintf(f, "\nhow the runs were made differs:\n");
        for (size_t i = 0; i < json_array_size(cond); i++) {
                json_t *e = json_array_get(cond, i);
                char a[512], b[512];
                fmt_value(json_object_get(e, "base"), a, sizeof a);
                fmt_value(json_object_get(e, "new"), b, sizeof b);
                fprintf(f, "  %s  %s  %s: %s -> %s\n", S(e, "allocator"), S(e, "workload"),
                        S(e, "what"), a, b);
        }
}

static void print_memory(FILE *f, json_t *rep, struct cols c)
{
        json_t *mem = json_object_get(rep, "memory");
        double mthr = D(rep, "mem_threshold");
        if (!isfinite(mthr)) {
                fprintf(f, "\nmemory: not compared (--mem-threshold off)\n");
                return;
        }
        if (json_array_size(mem) == 0) {
                fprintf(f, "\nmemory: no change of %g%% or more (--mem-threshold)\n", 100 * mthr);
                return;
        }
        fprintf(f, "\nmemory: changes of %g%% or more (--mem-threshold) past the noise floor\n",
                100 * mthr);
        for (size_t i = 0; i < json_array_size(mem); i++) {
                json_t *e = json_array_get(mem, i);
                char a[64], b[64], ch[32];
                fmt_value(json_object_get(e, "base"), a, sizeof a);
                fmt_value(json_object_get(e, "new"), b, sizeof b);
                if (isfinite(D(e, "change")))
                        snprintf(ch, sizeof ch, "%+.1f%%", 100 * D(e, "change"));
                else
                        snprintf(ch, sizeof ch, "from 0");
                fprintf(f, "  %-*s  %-*s  %-*s  %-13s %10s -> %-10s %8s  %s\n", c.a,
                        S(e, "allocator"), c.w, S(e, "workload"), c.p, S(e, "point"),
                        S(e, "metric"), a, b, ch, S(e, "verdict"));
        }
}

static void print_flags(FILE *f, json_t *rep)
{
        json_t *flags = json_object_get(rep, "flags");
        for (int k = 0; k < 2; k++) {
                json_t *list = json_object_get(flags, k ? "gone" : "new");
                fprintf(f, "%s", k ? "flags gone from NEW" : "new flags in NEW");
                if (!json_array_size(list)) {
                        fprintf(f, ": none\n");
                        continue;
                }
                fprintf(f, " (%zu%s):\n", json_array_size(list), k ? "" : ", a regression");
                for (size_t i = 0; i < json_array_size(list); i++) {
                        json_t *e = json_array_get(list, i);
                        char *where =
                            json_dumps(json_object_get(e, "where"), JSON_COMPACT | JSON_ENCODE_ANY);
                        fprintf(f, "  %-4s  %s  %s  %s  %s\n        %s\n", S(e, "severity"),
                                S(e, "kind"), S(e, "allocator"), S(e, "workload"),
                                where ? where : "", S(e, "message"));
                        free(where);
                }
        }
}

static void print_only(FILE *f, json_t *rep)
{
        for (int k = 0; k < 2; k++) {
                json_t *list = json_object_get(rep, k ? "only_in_new" : "only_in_base");
                int wa = (int)width(list, "allocator", 0), ww = (int)width(list, "workload", 0);
                fprintf(f, "only in %s", k ? "NEW" : "BASE");
                if (!json_array_size(list)) {
                        fprintf(f, ": none\n");
                        continue;
                }
                fprintf(f, " (%zu):\n", json_array_size(list));
                for (size_t i = 0; i < json_array_size(list); i++) {
                        json_t *e = json_array_get(list, i);
                        fprintf(f, "  %-*s  %-*s  %s\n", wa, S(e, "allocator"), ww,
                                S(e, "workload"), S(e, "point"));
                }
        }
}

/* A site's verdict: "changed, grew (regression)", its note's footnote last. */
static void site_verdict_cell(json_t *e, json_t *notes, char *v, size_t len)
{
        json_t *change = json_object_get(e, "change");
        size_t ref = note_ref(e, notes), off;
        off = (size_t)snprintf(
            v, len, "%s%s%s%s", S(e, "verdict"), json_is_string(change) ? ", " : "",
            json_is_string(change) ? json_string_value(change) : "",
            json_is_true(json_object_get(e, "regression")) ? " (regression)" : "");
        if (ref && off < len)
                snprintf(v + off, len - off, " [%zu]", ref);
}

static void print_site_row(FILE *f, json_t *e, json_t *notes, struct cols c)
{
        char lb[32], ln[32], p[24], v[96], key[2048];
        ab_site_bytes(D(json_object_get(e, "base"), "left_per_round"), lb, sizeof lb);
        ab_site_bytes(D(json_object_get(e, "new"), "left_per_round"), ln, sizeof ln);
        if (isfinite(D(e, "p")))
                snprintf(p, sizeof p, "%.2g", D(e, "p"));
        else
                snprintf(p, sizeof p, "-");
        site_verdict_cell(e, notes, v, sizeof v);
        /* the key as the file had it, made fit for a terminal, on a line of its own */
        ab_site_text(key, sizeof key, S(e, "site"), 500);
        fprintf(f, "%-*s  %-*s  %-*s  %15s  %15s  %7s  %s\n    %s\n", c.a, S(e, "allocator"), c.w,
                S(e, "workload"), c.p, S(e, "point"), lb, ln, p, v, key);
}

/* The sites of the points both files traced (--trace), when either has some. */
static void print_sites(FILE *f, json_t *rep)
{
        json_t *sites = json_object_get(rep, "sites"), *notes = json_array(),
               *summary = json_object_get(rep, "summary");
        long long nc = json_integer_value(json_object_get(summary, "sites_not_compared"));
        struct cols c = {(int)width(sites, "allocator", 9), (int)width(sites, "workload", 8),
                         (int)width(sites, "point", 5)};
        if (!json_array_size(sites) && !nc) {
                json_decref(notes);
                return;
        }
        fprintf(f,
                "\nsites (--trace) of the points both files traced: the left-over per round, BASE "
                "-> NEW;\nMann-Whitney U on the per-round increments of live bytes after the "
                "warm-up (alpha %g);\na change counts from %g%% (from 64 B a round when BASE's "
                "is 0)\n",
                D(rep, "alpha"), 100 * D(rep, "threshold"));
        if (json_array_size(sites))
                fprintf(f, "%-*s  %-*s  %-*s  %15s  %15s  %7s  %s\n", c.a, "allocator", c.w,
                        "workload", c.p, "point", "BASE left/round", "NEW left/round", "p",
                        "verdict, then the site");
        for (size_t i = 0; i < json_array_size(sites); i++)
                print_site_row(f, json_array_get(sites, i), notes, c);
        for (size_t i = 0; i < json_array_size(notes); i++)
                fprintf(f, "  [%zu] %s\n", i + 1, json_string_value(json_array_get(notes, i)));
        json_decref(notes);
        if (nc)
                fprintf(f,
                        "%lld site%s not compared: %s point was traced well (a trace pass that "
                        "went to its end) in one file only\n",
                        nc, nc == 1 ? "" : "s", nc == 1 ? "its" : "their");
}

static void print_verdict(FILE *f, json_t *rep)
{
        json_t *summary = json_object_get(rep, "summary");
        long long s = json_integer_value(json_object_get(summary, "slower")),
                  m = json_integer_value(json_object_get(summary, "memory_regressions")),
                  fl = json_integer_value(json_object_get(summary, "flags_new")),
                  sr = json_integer_value(json_object_get(summary, "site_regressions"));
        if (!json_is_true(json_object_get(rep, "regression"))) {
                fprintf(f, "\nno regression\n");
                return;
        }
        fprintf(f, "\nregression: %lld point%s slower, %lld memory growth%s, %lld new flag%s", s,
                s == 1 ? "" : "s", m, m == 1 ? "" : "s", fl, fl == 1 ? "" : "s");
        if (sr)
                fprintf(f, ", %lld site%s leaving more bytes a round", sr, sr == 1 ? "" : "s");
        fputc('\n', f);
}

void ab_compare_print_table(FILE *f, json_t *rep)
{
        json_t *points = json_object_get(rep, "points");
        struct cols c = {(int)width(points, "allocator", 9), (int)width(points, "workload", 8),
                         (int)width(points, "point", 5)};
        print_head(f, rep);
        print_points(f, rep, c);
        print_conditions(f, rep);
        print_memory(f, rep, c);
        print_flags(f, rep);
        print_only(f, rep);
        print_sites(f, rep);
        if (json_is_object(json_object_get(rep, "host_view")))
                ab_compare_print_host_view(f, json_object_get(rep, "host_view"));
        print_verdict(f, rep);
}

/* ---- the host view (compare_hosts.c builds it) ---------------------------------------- */

static bool field_differs(json_t *view, const char *what)
{
        json_t *d;
        size_t i;
        json_array_foreach(json_object_get(view, "differences"), i, d)
        {
                if (strcmp(S(d, "what"), what) == 0)
                        return true;
        }
        return false;
}

/* The host view's hosts, a column each, their fields a row each ('*': it differs). */
static void print_host_fields(FILE *f, json_t *view, int w)
{
        json_t *hosts = json_object_get(view, "hosts");
        size_t n = json_array_size(hosts);
        char v[256], what[64];
        fprintf(f, "  %-10s", "");
        for (size_t i = 0; i < n; i++)
                fprintf(f, "  %-*.*s", w, w, S(json_array_get(hosts, i), "label"));
        fputc('\n', f);
        for (size_t k = 0; k <= AB_COMPARE_NHOST; k++) {
                const char *field = k ? ab_compare_host_fields[k - 1] : "file";
                snprintf(what, sizeof what, "host.%s", field);
                fprintf(f, "%c %-10s", field_differs(view, what) ? '*' : ' ', field);
                for (size_t i = 0; i < n; i++) {
                        fmt_value(json_object_get(json_array_get(hosts, i), field), v, sizeof v);
                        fprintf(f, "  %-*.*s", w, w, v);
                }
                fputc('\n', f);
        }
}

/* The words of a command's options (split at spaces) into w[0..n). */
static size_t split_words(const char *s, char *buf, size_t len, const char **w, size_t max)
{
        size_t n = 0;
        char *save, *t;
        snprintf(buf, len, "%s", s);
        for (t = strtok_r(buf, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
                w[n++] = t;
        return n;
}

/* The options that differ: the words between what every host's command
 * starts and ends with, a part per host ("(none)" where it has none). */
static void print_options(FILE *f, json_t *vals)
{
        size_t n = json_array_size(vals), pre = SIZE_MAX, suf = SIZE_MAX, nw[n + 1];
        char buf[n + 1][4096];
        const char *w[n + 1][256];
        for (size_t h = 0; h < n; h++) {
                nw[h] = split_words(json_string_value(json_array_get(vals, h))
                                        ? json_string_value(json_array_get(vals, h))
                                        : "",
                                    buf[h], sizeof buf[h], w[h], 256);
        }
        for (size_t h = 1; h < n; h++) {
                size_t p = 0, q = 0;
                while (p < nw[0] && p < nw[h] && strcmp(w[0][p], w[h][p]) == 0)
                        p++;
                while (q < nw[0] - p && q < nw[h] - p &&
                       strcmp(w[0][nw[0] - 1 - q], w[h][nw[h] - 1 - q]) == 0)
                        q++;
                pre = p < pre ? p : pre;
                suf = q < suf ? q : suf;
        }
        fprintf(f, " (the words that differ):");
        for (size_t h = 0; h < n; h++) {
                size_t end = nw[h] - (suf < nw[h] - pre ? suf : nw[h] - pre);
                fprintf(f, "%s", h ? " |" : "");
                if (pre >= end)
                        fprintf(f, " (none)");
                for (size_t k = pre; k < end; k++)
                        fprintf(f, " %s", w[h][k]);
        }
        fputc('\n', f);
}

/* What differs besides the host fields (versions, environment,
 * parameters, options): a line each, a value per host. */
static void print_settings(FILE *f, json_t *view)
{
        json_t *d;
        size_t i, told = 0;
        char v[1024];
        json_array_foreach(json_object_get(view, "differences"), i, d)
        {
                json_t *vals = json_object_get(d, "values");
                if (strncmp(S(d, "what"), "host.", 5) == 0)
                        continue;
                if (!told++)
                        fprintf(f, "what differs in how the runs were made (a value per host, "
                                   "in the order above):\n");
                fprintf(f, "  %s", S(d, "what"));
                if (json_is_string(json_object_get(d, "allocator")))
                        fprintf(f, " (%s)", S(d, "allocator"));
                if (json_is_string(json_object_get(d, "workload")))
                        fprintf(f, " (%s)", S(d, "workload"));
                if (strcmp(S(d, "what"), "options") == 0) {
                        print_options(f, vals);
                        continue;
                }
                fputc(':', f);
                for (size_t k = 0; k < json_array_size(vals); k++) {
                        fmt_value(json_array_get(vals, k), v, sizeof v);
                        fprintf(f, "%s %s", k ? " |" : "", v);
                }
                fputc('\n', f);
        }
        if (!told)
                fprintf(f, "how the runs were made: the same on every host (allocator versions, "
                           "environment, parameters, options)\n");
}

/* One figure of a row per host, in columns of width w. */
static void print_values(FILE *f, json_t *vals, const char *unit, int w)
{
        for (size_t i = 0; i < json_array_size(vals); i++) {
                json_t *v = json_array_get(vals, i);
                char t[32];
                if (!json_is_number(v))
                        snprintf(t, sizeof t, "-");
                else if (strcmp(unit, "ns") == 0)
                        ab_fmt_ns(json_number_value(v), t, sizeof t);
                else if (strcmp(unit, "KiB") == 0)
                        ab_fmt_kib(json_number_value(v), t, sizeof t);
                else
                        snprintf(t, sizeof t, "%.2f", json_number_value(v));
                fprintf(f, " %*s", w, t);
        }
}

/* Each workload: a row per allocator and point, its ns/op, minor faults
 * per op and RSS on every host side by side. */
static void print_rows(FILE *f, json_t *view, int w)
{
        json_t *hosts = json_object_get(view, "hosts"), *wl, *row;
        size_t n = json_array_size(hosts), i, k;
        static const char *const metrics[] = {"ns_per_op", "minflt_per_op", "rss_kib"},
                                 *const units[] = {"ns", "", "KiB"},
                                 *const titles[] = {"ns/op", "minflt/op", "RSS"};
        json_array_foreach(json_object_get(view, "workloads"), i, wl)
        {
                json_t *rows = json_object_get(wl, "rows");
                int wa = 9, wp = 5;
                json_array_foreach(rows, k, row)
                {
                        wa = (int)strlen(S(row, "allocator")) > wa
                                 ? (int)strlen(S(row, "allocator"))
                                 : wa;
                        wp = (int)strlen(S(row, "point")) > wp ? (int)strlen(S(row, "point")) : wp;
                }
                fprintf(f, "\n%s\n  %-*s  %-*s", S(wl, "workload"), wa, "", wp, "");
                for (size_t m = 0; m < 3; m++)
                        fprintf(f, " | %-*s", (int)n * (w + 1) - 1 + (m == 0 ? 9 : 0), titles[m]);
                fprintf(f, "\n  %-*s  %-*s", wa, "allocator", wp, "point");
                for (size_t m = 0; m < 3; m++) {
                        fprintf(f, " |");
                        for (size_t h = 0; h < n; h++)
                                fprintf(f, " %*.*s", w, w, S(json_array_get(hosts, h), "label"));
                        if (m == 0)
                                fprintf(f, " %8s", "last/1st");
                }
                fputc('\n', f);
                json_array_foreach(rows, k, row)
                {
                        fprintf(f, "  %-*s  %-*s", wa, S(row, "allocator"), wp, S(row, "point"));
                        for (size_t m = 0; m < 3; m++) {
                                fprintf(f, " |");
                                print_values(f, json_object_get(row, metrics[m]), units[m], w);
                                if (m == 0 && json_is_number(json_object_get(row, "ratio")))
                                        fprintf(f, " %7.3fx",
                                                json_number_value(json_object_get(row, "ratio")));
                                else if (m == 0)
                                        fprintf(f, " %8s", "-");
                        }
                        if (json_is_false(json_object_get(row, "same_work")))
                                fprintf(f, "  (different work)");
                        fputc('\n', f);
                }
        }
}

/* The widest host field or label (at most 40 columns). */
static int field_width(json_t *view)
{
        json_t *h;
        size_t i;
        int w = 8;
        char v[256];
        json_array_foreach(json_object_get(view, "hosts"), i, h)
        {
                for (size_t k = 0; k <= AB_COMPARE_NHOST + 1; k++) {
                        fmt_value(json_object_get(h, k == 0 ? "label"
                                                     : k == AB_COMPARE_NHOST + 1
                                                         ? "file"
                                                         : ab_compare_host_fields[k - 1]),
                                  v, sizeof v);
                        if ((int)strlen(v) > w)
                                w = (int)strlen(v);
                }
        }
        return w > 40 ? 40 : w;
}

void ab_compare_print_host_view(FILE *f, json_t *view)
{
        int w = 10;
        fprintf(f, "\nhost view: the same workloads side by side on %zu hosts\n",
                json_array_size(json_object_get(view, "hosts")));
        print_host_fields(f, view, field_width(view));
        print_settings(f, view);
        print_rows(f, view, w);
}

/* ---- CSV ------------------------------------------------------------------------------- */

static void csv_num(FILE *f, double v)
{
        if (isfinite(v))
                fprintf(f, ",%.6g", v);
        else
                fputc(',', f);
}

/* A site's row: the point's columns it has (allocator, workload, point, p,
 * verdict) and its own at the end; the rest empty. */
static void csv_site(FILE *f, json_t *e)
{
        ab_csv_field(f, S(e, "allocator"), true);
        ab_csv_field(f, S(e, "workload"), false);
        ab_csv_field(f, S(e, "point"), false);
        for (int k = 0; k < 7; k++)
                fputc(',', f);
        csv_num(f, D(e, "p"));
        ab_csv_field(f, S(e, "verdict"), false);
        for (size_t k = 0; k < 2 * AB_COMPARE_NMEM; k++)
                fputc(',', f);
        ab_csv_field(f, "site", false);
        ab_csv_field(f, S(e, "site"), false);
        csv_num(f, D(json_object_get(e, "base"), "left_per_round"));
        csv_num(f, D(json_object_get(e, "new"), "left_per_round"));
        ab_csv_field(f, json_is_string(json_object_get(e, "change")) ? S(e, "change") : "", false);
        ab_csv_field(f, json_is_true(json_object_get(e, "regression")) ? "1" : "0", false);
        fprintf(f, ",,,\n"); /* the host columns are the points' */
}

/* A point row's host columns: each file's hostname, what differs for its
 * run. */
static void csv_hosts(FILE *f, json_t *view, json_t *e)
{
        char what[2048];
        ab_csv_field(f, S(json_array_get(json_object_get(view, "hosts"), 0), "hostname"), false);
        ab_csv_field(f, S(json_array_get(json_object_get(view, "hosts"), 1), "hostname"), false);
        ab_csv_field(
            f, ab_compare_row_differs(view, S(e, "allocator"), S(e, "workload"), what, sizeof what),
            false);
}

void ab_compare_print_csv(FILE *f, json_t *rep, const struct ab_compare_pair *pairs, size_t npairs,
                          json_t *view)
{
        json_t *points = json_object_get(rep, "points"), *sites = json_object_get(rep, "sites");
        fprintf(f, "allocator,workload,point,base_reps,new_reps,base_median_ns,new_median_ns,"
                   "ratio,ratio_ci_lo,ratio_ci_hi,p,verdict");
        for (size_t k = 0; k < AB_COMPARE_NMEM; k++)
                fprintf(f, ",base_%s,new_%s", ab_metrics[ab_compare_mem[k]].key,
                        ab_metrics[ab_compare_mem[k]].key);
        /* what a row is (point or site) and the site's columns, last, so that
         * the points' columns stay where they were */
        fprintf(f, ",kind,site,base_left_per_round,new_left_per_round,site_change,"
                   "site_regression");
        /* the hosts' columns after those (bench compare --help: Host view) */
        fprintf(f, ",base_host,new_host,host_differs\n");
        for (size_t i = 0; i < json_array_size(points) && i < npairs; i++) {
                json_t *e = json_array_get(points, i), *sb = json_object_get(e, "base"),
                       *sn = json_object_get(e, "new"), *ci = json_object_get(e, "ratio_ci");
                ab_csv_field(f, S(e, "allocator"), true);
                ab_csv_field(f, S(e, "workload"), false);
                ab_csv_field(f, S(e, "point"), false);
                csv_num(f, D(sb, "reps"));
                csv_num(f, D(sn, "reps"));
                csv_num(f, D(sb, "median_ns"));
                csv_num(f, D(sn, "median_ns"));
                csv_num(f, D(e, "ratio"));
                csv_num(f, D(ci, "lo"));
                csv_num(f, D(ci, "hi"));
                csv_num(f, D(e, "p"));
                ab_csv_field(f, S(e, "verdict"), false);
                for (size_t k = 0; k < AB_COMPARE_NMEM; k++) {
                        csv_num(f, pairs[i].b->pt->m[ab_compare_mem[k]]);
                        csv_num(f, pairs[i].n->pt->m[ab_compare_mem[k]]);
                }
                fprintf(f, ",point,,,,,");
                csv_hosts(f, view, e);
                fputc('\n', f);
        }
        for (size_t i = 0; i < json_array_size(sites); i++)
                csv_site(f, json_array_get(sites, i));
}

void ab_compare_print_hosts_csv(FILE *f, json_t *view)
{
        json_t *hosts = json_object_get(view, "hosts"), *wl, *row;
        static const char *const cols[] = {"file", "os", "kernel", "libc", "cpu_model"};
        size_t i, k;
        char v[1024], what[1024];
        fprintf(f, "allocator,workload,point,host,file,os,kernel,libc,cpu_model,allocator_version,"
                   "ns_per_op,minflt_per_op,rss_kib,same_work,differs\n");
        json_array_foreach(json_object_get(view, "workloads"), i, wl)
        {
                json_array_foreach(json_object_get(wl, "rows"), k, row)
                {
                        for (size_t h = 0; h < json_array_size(hosts); h++) {
                                json_t *host = json_array_get(hosts, h);
                                ab_csv_field(f, S(row, "allocator"), true);
                                ab_csv_field(f, S(wl, "workload"), false);
                                ab_csv_field(f, S(row, "point"), false);
                                ab_csv_field(f, S(host, "label"), false);
                                for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
                                        ab_csv_field(f, S(host, cols[c]), false);
                                ab_csv_field(
                                    f, S(json_object_get(host, "allocators"), S(row, "allocator")),
                                    false);
                                for (size_t m = 0; m < 3; m++) {
                                        json_t *x = json_array_get(
                                            json_object_get(row, m == 0   ? "ns_per_op"
                                                                 : m == 1 ? "minflt_per_op"
                                                                          : "rss_kib"),
                                            h);
                                        fmt_value(x, v, sizeof v);
                                        ab_csv_field(f, json_is_null(x) ? "" : v, false);
                                }
                                fmt_value(json_object_get(row, "same_work"), v, sizeof v);
                                ab_csv_field(f, strcmp(v, "-") ? v : "", false);
                                ab_csv_field(f,
                                          ab_compare_row_differs(view, S(row, "allocator"),
                                                                 S(wl, "workload"), what,
                                                                 sizeof what),
                                          false);
                                fputc('\n', f);
                        }
                }
        }
}
