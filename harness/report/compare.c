/*
 * compare.c - `bench compare BASE NEW`: what changed between two results
 * files, point by point, and whether it is a regression.
 *
 * Points pair by allocator, workload and parameters (ab_res_point_key). For each
 * pair the time per operation is judged from the per-repetition samples:
 * NEW/BASE is the ratio of the medians, its interval the distribution-free
 * one of the scale change (Hodges-Lehmann/Moses on log ns/op, mwu.h), and the
 * verdict needs both a Mann-Whitney U p-value below --alpha and a change of
 * at least --threshold. Memory figures are one value per point, so there is
 * no test: a change counts when it passes --mem-threshold and a noise floor.
 * Flags pair by kind, allocator, workload and where; one that NEW raises and
 * BASE did not is a regression.
 *
 * Everything is first built as one JSON report (the --format json output);
 * the table and the CSV are printed from it, so the three never disagree.
 * Exit: 0 no regression, 3 a regression, 1 bad input.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/bench.h"
#include "report/report.h"
#include "core/mwu.h"
#include "doc/resfile.h"
#include "core/stats.h"

struct cmp_opts {
        const char *file[2];  /* BASE, NEW */
        double threshold;     /* fraction: 0.05 is 5% */
        double mem_threshold; /* fraction, or < 0 when memory is not judged */
        double alpha;
        enum ab_format format;
        bool strict; /* different work is an error, not a row without a verdict */
};

/* One point of one file. */
struct pref {
        json_t *run, *pt;
        char key[600];
        bool paired;
};

struct side {
        const char *path;
        json_t *doc;
        struct pref *p;
        size_t n;
        json_t *points; /* key -> index into p */
        json_t *runs;   /* "alloc|workload" -> first run */
};

/* Memory figures of a point, and how much change is noise whatever the
 * percentage: a quarter MiB of RSS or VSZ (a few dozen pages), 16 KiB of page
 * tables (four page-table pages), a tenth of a fault per operation (a page
 * faulted once more every ten ops: two runs of a caching allocator differ
 * by that much). */
static const struct {
        const char *name;
        double floor;
} mem_metrics[] = {{"rss_kib", 256},
                   {"vsz_kib", 256},
                   {"pte_kib", 16},
                   {"peak_rss_kib", 256},
                   {"minflt_per_op", 0.1}};
#define NMEM (sizeof mem_metrics / sizeof mem_metrics[0])

static const char *const host_fields[] = {"hostname", "os",   "kernel",    "arch", "cpu_model",
                                          "cores",    "libc", "page_size", "thp"};
#define NHOST (sizeof host_fields / sizeof host_fields[0])

static void usage(FILE *f)
{
        fprintf(
            f, "usage: bench compare [options] BASE NEW\n"
               "\n"
               "Pair the points of two results files by allocator, workload and parameters and\n"
               "say, for each, how NEW's time per operation compares with BASE's: the ratio\n"
               "NEW/BASE of the medians with its confidence interval, the p-value of a\n"
               "Mann-Whitney U test on the per-repetition samples (exact up to 10 a side\n"
               "without ties, else the normal approximation), and a verdict:\n"
               "\n"
               "  slower, faster    p < alpha and the ratio's whole interval at least 1+T\n"
               "                    (slower) or at most 1/(1+T) (faster), where T is\n"
               "                    THRESHOLD or, when larger, the sum of the two points' own\n"
               "                    CI95 half-widths: a median known to +-8%% cannot show a\n"
               "                    5%% change, and two runs of a noisy point differ by more\n"
               "                    than their repetitions within a run\n"
               "  same              the whole interval within [1/(1+T), 1+T]\n"
               "  not significant   neither: the interval reaches past T, the data cannot say\n"
               "  too few reps      these repetition counts cannot give p < alpha whatever the\n"
               "                    data (3 and 3 at best give p = 0.1): rerun with more --reps\n"
               "  missing           a side has no samples (the point crashed, timed out...)\n"
               "  not comparable    the two points did different work: other op counts, op\n"
               "                    streams (op_hash), workload parameters or programs; the\n"
               "                    row says what differs and no verdict is given\n"
               "\n"
               "Memory (rss_kib, vsz_kib, pte_kib, peak_rss_kib, minflt_per_op) is one value\n"
               "per point, so it has no test: a growth of at least MEM_THRESHOLD and past a\n"
               "noise floor (256 KiB of RSS, VSZ or peak RSS, 16 KiB of page tables, 0.1\n"
               "faults per op) is a regression, a shrink as large an improvement. Flags pair by\n"
               "kind, allocator, workload and where: a flag NEW raises that BASE did not is a\n"
               "regression; flags of an allocator and workload present in one file only are\n"
               "not compared. Points in only one file are listed. Hosts that differ are shown.\n"
               "\n"
               "options:\n"
               "  --threshold PCT       smallest change of time that counts (default 5, i.e. 5%%)\n"
               "  --mem-threshold PCT   smallest change of a memory figure that counts\n"
               "                        (default 10), or off to leave memory out\n"
               "  --alpha A             significance level, 0 < A <= 0.5 (default 0.05); the\n"
               "                        interval's level is 1 - A\n"
               "  --format table|json|csv   what stdout shows (default table; csv: one row per\n"
               "                        point)\n"
               "  --strict              refuse (exit 1) when paired points did different work\n"
               "  -h, --help            this text\n"
               "\n"
               "Runs of cmd pair only when they ran the same program with the same arguments.\n"
               "\n"
               "Exit: 0 no regression, 3 a significant regression (a slower point, a memory\n"
               "growth or a new flag), 1 bad input (or different work with --strict).\n"
               "\n"
               "Example:\n"
               "  bench compare results/last-night.json results/today.json --threshold 3\n");
}

/* ---- options ------------------------------------------------------------------- */

static int parse_percent(const char *opt, const char *s, double *out, bool allow_off)
{
        char *end;
        double v;
        if (allow_off && strcmp(s, "off") == 0) {
                *out = -1;
                return 0;
        }
        errno = 0;
        v = strtod(s, &end);
        if (end != s && *end == '%')
                end++;
        if (end == s || *end || errno || !isfinite(v) || v < 0 || v > 1000) {
                fprintf(stderr,
                        "bench compare: %s: '%s' is not a percentage (accepted: a number of "
                        "percent from 0 to 1000 such as 5 or 2.5%%%s)\n",
                        opt, s, allow_off ? ", or off" : "");
                return -EINVAL;
        }
        *out = v / 100;
        return 0;
}

static int parse_alpha(const char *s, double *out)
{
        char *end;
        double v;
        errno = 0;
        v = strtod(s, &end);
        if (end == s || *end || errno || !(v > 0 && v <= 0.5)) {
                fprintf(stderr,
                        "bench compare: --alpha: '%s' is not a significance level (accepted: a "
                        "probability above 0 and at most 0.5, such as 0.05 or 0.01)\n",
                        s);
                return -EINVAL;
        }
        *out = v;
        return 0;
}

/* 0, AB_BAD_INPUT, or -1 after --help. */
static int parse_opts(int argc, char **argv, struct cmp_opts *o)
{
        static const char *const valued[] = {"--threshold", "--mem-threshold", "--alpha",
                                             "--format"};
        size_t npos = 0;
        bool dashdash = false;
        o->threshold = 0.05;
        o->mem_threshold = 0.10;
        o->alpha = 0.05;
        o->format = AB_FMT_TABLE;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *val = NULL, *name = NULL;
                if (dashdash || a[0] != '-' || a[1] == '\0') {
                        if (npos >= 2) {
                                fprintf(stderr,
                                        "bench compare: unexpected argument '%s' (accepted: "
                                        "two results files, BASE then NEW)\n",
                                        a);
                                return AB_BAD_INPUT;
                        }
                        o->file[npos++] = a;
                        continue;
                }
                if (strcmp(a, "--") == 0) {
                        dashdash = true;
                        continue;
                }
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        return -1;
                }
                if (strcmp(a, "--strict") == 0) {
                        o->strict = true;
                        continue;
                }
                for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
                        size_t len = strlen(valued[k]);
                        if (strncmp(a, valued[k], len) == 0 && (a[len] == '\0' || a[len] == '=')) {
                                name = valued[k];
                                if (a[len] == '=')
                                        val = a + len + 1;
                                else if (i + 1 < argc)
                                        val = argv[++i];
                                break;
                        }
                }
                if (!name) {
                        fprintf(stderr,
                                "bench compare: unknown option '%s' (accepted: --threshold, "
                                "--mem-threshold, --alpha, --format, --strict, --help; see bench "
                                "compare --help)\n",
                                a);
                        return AB_BAD_INPUT;
                }
                if (!val) {
                        fprintf(stderr,
                                "bench compare: %s needs a value (see bench compare --help)\n",
                                name);
                        return AB_BAD_INPUT;
                }
                if (strcmp(name, "--threshold") == 0) {
                        if (parse_percent(name, val, &o->threshold, false))
                                return AB_BAD_INPUT;
                } else if (strcmp(name, "--mem-threshold") == 0) {
                        if (parse_percent(name, val, &o->mem_threshold, true))
                                return AB_BAD_INPUT;
                } else if (strcmp(name, "--alpha") == 0) {
                        if (parse_alpha(val, &o->alpha))
                                return AB_BAD_INPUT;
                } else if (strcmp(val, "table") == 0) {
                        o->format = AB_FMT_TABLE;
                } else if (strcmp(val, "json") == 0) {
                        o->format = AB_FMT_JSON;
                } else if (strcmp(val, "csv") == 0) {
                        o->format = AB_FMT_CSV;
                } else {
                        fprintf(stderr,
                                "bench compare: --format: '%s' is not a format (accepted: table, "
                                "json, csv)\n",
                                val);
                        return AB_BAD_INPUT;
                }
        }
        if (npos != 2) {
                fprintf(stderr,
                        "bench compare: %s (usage: bench compare [options] BASE NEW; see "
                        "bench compare --help)\n",
                        npos == 0 ? "no results files given" : "NEW results file missing");
                return AB_BAD_INPUT;
        }
        return 0;
}

/* ---- reading the files ----------------------------------------------------------- */

static const char *run_str(json_t *run, const char *obj, const char *key)
{
        return json_string_value(json_object_get(json_object_get(run, obj), key));
}

static void run_key(json_t *run, char *buf, size_t len)
{
        char wl[512];
        snprintf(buf, len, "%s|%s", run_str(run, "allocator", "name"),
                 ab_run_workload_id(run, wl, sizeof wl));
}

/* Load a results file and index its points and runs. 0, or -EINVAL (with a
 * message) or -ENOMEM. */
static int side_load(struct side *s, const char *path, const char *which)
{
        char err[1024];
        json_t *run, *pt;
        size_t i, j, cap = 0;
        s->path = path;
        s->doc = ab_results_load(path, err, sizeof err);
        if (!s->doc) {
                fprintf(stderr, "bench compare: %s: %s\n", which, err);
                return -EINVAL;
        }
        s->points = json_object();
        s->runs = json_object();
        json_array_foreach(json_object_get(s->doc, "runs"), i, run) cap +=
            json_array_size(json_object_get(run, "points"));
        s->p = calloc(cap ? cap : 1, sizeof *s->p);
        if (!s->p || !s->points || !s->runs) {
                fprintf(stderr, "bench compare: out of memory reading %s\n", path);
                return -ENOMEM;
        }
        json_array_foreach(json_object_get(s->doc, "runs"), i, run)
        {
                char rk[512];
                run_key(run, rk, sizeof rk);
                if (!json_object_get(s->runs, rk))
                        json_object_set(s->runs, rk, run);
                json_array_foreach(json_object_get(run, "points"), j, pt)
                {
                        struct pref *r = &s->p[s->n];
                        ab_res_point_key(run, pt, r->key, sizeof r->key);
                        if (json_object_get(s->points, r->key)) {
                                fprintf(stderr,
                                        "bench compare: %s: point %s appears more than once; "
                                        "the first is compared\n",
                                        path, r->key);
                                continue;
                        }
                        r->run = run;
                        r->pt = pt;
                        json_object_set_new(s->points, r->key, json_integer((json_int_t)s->n));
                        s->n++;
                }
        }
        return 0;
}

static void side_free(struct side *s)
{
        json_decref(s->doc);
        json_decref(s->points);
        json_decref(s->runs);
        free(s->p);
}

/* The finite numbers of a point's samples_ns_per_op, malloc'd (NULL when none). */
static size_t samples_of(json_t *pt, double **out)
{
        json_t *arr = json_object_get(pt, "samples_ns_per_op"), *v;
        size_t i, n = 0;
        *out = NULL;
        if (!json_array_size(arr))
                return 0;
        *out = malloc(json_array_size(arr) * sizeof **out);
        if (!*out)
                return 0;
        json_array_foreach(arr, i, v)
        {
                if (json_is_number(v) && isfinite(json_number_value(v)))
                        (*out)[n++] = json_number_value(v);
        }
        if (n == 0) {
                free(*out);
                *out = NULL;
        }
        return n;
}

/* ---- the report --------------------------------------------------------------------- */

static json_t *num(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *copy_or_null(json_t *v)
{
        return v ? json_deep_copy(v) : json_null();
}

#define MAX_SAMPLES 10000

/* A JSON scalar for a message: strings bare, absent as "(none)". */
static void fmt_json(json_t *v, char *buf, size_t len)
{
        char *d;
        if (!v) {
                snprintf(buf, len, "(none)");
                return;
        }
        if (json_is_string(v)) {
                snprintf(buf, len, "%s", json_string_value(v));
                return;
        }
        d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, len, "%s", d ? d : "?");
        free(d);
}

/* allocator, workload, point and params of a point, the start of every entry. */
static json_t *point_ident(const struct pref *r)
{
        char label[512], wl[512];
        return json_pack("{s:o, s:s, s:s, s:o}", "allocator",
                         str_or_null(run_str(r->run, "allocator", "name")), "workload",
                         ab_run_workload_id(r->run, wl, sizeof wl), "point",
                         ab_point_label(r->pt, label, sizeof label), "params",
                         copy_or_null(json_object_get(r->pt, "params")));
}

/* Smallest equal repetition count whose best p (2 / C(2n, n)) is below alpha. */
static unsigned reps_needed(double alpha)
{
        for (unsigned n = 1; n < 64; n++)
                if (2 * exp(2 * lgamma(n + 1.0) - lgamma(2.0 * n + 1)) < alpha)
                        return n;
        return 64;
}

/* The relative CI95 half-width of the median of x[0..n) (sorted in place). */
static double halfwidth_of(double *x, size_t n)
{
        struct ab_summary s;
        if (ab_stats_summary(x, n, &s) || !(s.median > 0))
                return 0;
        return fmax(s.ci95_hi - s.median, s.median - s.ci95_lo) / s.median;
}

static json_t *side_summary(json_t *pt, size_t n, double median)
{
        return json_pack("{s:I, s:o, s:o}", "reps", (json_int_t)n, "median_ns", num(median),
                         "status", str_or_null(json_string_value(json_object_get(pt, "status"))));
}

/* What makes two paired points different work: their op counts, their op
 * streams (op_hash, the point's or else the run's), the run's scalar
 * workload parameters, the program. Per-op figures of different work are
 * not given a verdict. Returns an array of "what BASE vs NEW" strings. */
static json_t *work_differs(const struct pref *b, const struct pref *n)
{
        json_t *out = json_array(), *pb = json_object_get(json_object_get(b->run, "workload"), "params"),
               *pn = json_object_get(json_object_get(n->run, "workload"), "params"), *v;
        const char *key;
        char a[96], c[96], line[256];
        json_t *hb = json_object_get(b->pt, "op_hash"), *hn = json_object_get(n->pt, "op_hash");
        if (!json_is_string(hb) || !json_is_string(hn)) {
                hb = json_object_get(b->run, "op_hash");
                hn = json_object_get(n->run, "op_hash");
        }
        if (json_is_integer(json_object_get(b->pt, "ops")) &&
            json_is_integer(json_object_get(n->pt, "ops")) &&
            !json_equal(json_object_get(b->pt, "ops"), json_object_get(n->pt, "ops"))) {
                snprintf(line, sizeof line, "ops %lld vs %lld",
                         (long long)json_integer_value(json_object_get(b->pt, "ops")),
                         (long long)json_integer_value(json_object_get(n->pt, "ops")));
                json_array_append_new(out, json_string(line));
        }
        if (json_is_string(hb) && json_is_string(hn) && !json_equal(hb, hn) &&
            json_array_size(out) == 0) { /* a different count already explains it */
                snprintf(line, sizeof line, "op_hash %.16s vs %.16s", json_string_value(hb),
                         json_string_value(hn));
                json_array_append_new(out, json_string(line));
        }
        json_object_foreach(pb, key, v)
        {
                json_t *w = json_object_get(pn, key);
                if (json_is_array(v) || json_is_array(w) || (w && json_equal(v, w)))
                        continue;
                fmt_json(v, a, sizeof a);
                fmt_json(w, c, sizeof c);
                snprintf(line, sizeof line, "%s %s vs %s", key, a, c);
                json_array_append_new(out, json_string(line));
        }
        return out;
}

static json_t *point_entry(const struct cmp_opts *o, const struct pref *b, const struct pref *n)
{
        json_t *e = point_ident(b);
        double *xb = NULL, *xn = NULL, mb = NAN, mn = NAN, ratio = NAN;
        size_t nb = samples_of(b->pt, &xb), nn = samples_of(n->pt, &xn);
        const char *verdict;
        char note[256] = "";
        double thr, up, down;

        if (nb)
                mb = ab_stats_median(xb, nb);
        if (nn)
                mn = ab_stats_median(xn, nn);
        json_object_set_new(e, "base", side_summary(b->pt, nb, mb));
        json_object_set_new(e, "new", side_summary(n->pt, nn, mn));
        if (nb == 0 || nn == 0) {
                const char *st = json_string_value(json_object_get(nb ? n->pt : b->pt, "status"));
                snprintf(note, sizeof note, "no samples in %s (status %s)",
                         nb == 0 && nn == 0 ? "either file"
                         : nb == 0          ? "BASE"
                                            : "NEW",
                         st ? st : "unknown");
                verdict = "missing";
        } else if (!(mb > 0 && mn > 0)) {
                snprintf(note, sizeof note, "a median is not above 0: no ratio");
                verdict = "missing";
        } else if (nb > MAX_SAMPLES || nn > MAX_SAMPLES) {
                /* the test and the interval look at every pair of samples;
                 * bench run writes at most 1,000 repetitions a point */
                ratio = mn / mb;
                snprintf(note, sizeof note,
                         "%zu and %zu samples: not tested (at most %d a side; bench run writes at "
                         "most 1,000)",
                         nb, nn, MAX_SAMPLES);
                verdict = "not tested";
        } else {
                struct ab_mwu t = {0};
                struct ab_mwu_ci ci;
                bool have_ci;
                ratio = mn / mb;
                /* U of NEW against BASE: above nb*nn/2 when NEW tends to be slower */
                if (ab_mwu_test(xn, nn, xb, nb, &t) != 0) {
                        t.p = NAN;
                        t.p_min = 1;
                }
                have_ci = ab_mwu_ratio_ci(xb, nb, xn, nn, 1 - o->alpha, &ci) == 0;
                json_object_set_new(e, "u", num(t.u));
                json_object_set_new(e, "p", num(t.p));
                json_object_set_new(e, "p_min", num(t.p_min));
                json_object_set_new(e, "test", json_string(t.exact ? "exact" : "normal"));
                json_object_set_new(e, "ratio_ci",
                                    have_ci ? json_pack("{s:o, s:o, s:f, s:o, s:o}", "lo",
                                                        num(ci.lo), "hi", num(ci.hi), "level",
                                                        1 - o->alpha, "coverage", num(ci.coverage),
                                                        "estimate", num(ci.est))
                                            : json_null());
                /* the smallest change these two runs can tell apart: the
                 * threshold, or the sum of their own precisions (a median
                 * known to +-8% cannot show a 5% change) */
                thr = fmax(o->threshold, halfwidth_of(xb, nb) + halfwidth_of(xn, nn));
                up = 1 + thr;
                down = 1 / up;
                json_object_set_new(e, "threshold", num(thr));
                if (t.p_min >= o->alpha) {
                        snprintf(note, sizeof note,
                                 "%zu and %zu reps cannot give p < %g whatever the data (the "
                                 "smallest possible p is %.2g): use --reps %u or more",
                                 nb, nn, o->alpha, t.p_min, reps_needed(o->alpha));
                        verdict = "too few reps";
                } else if (t.p < o->alpha && have_ci && (ci.lo >= up || ci.hi <= down)) {
                        verdict = ci.lo >= up ? "slower" : "faster";
                } else if (have_ci && ci.lo >= down && ci.hi <= up) {
                        verdict = "same";
                } else {
                        verdict = "not significant";
                        if (t.p < o->alpha)
                                snprintf(note, sizeof note,
                                         "a significant change whose interval reaches below "
                                         "%.0f%% (--threshold, or the two points' own "
                                         "precision)",
                                         100 * thr);
                }
                if (!note[0]) {
                        /* a point that failed part-way keeps the samples it has */
                        const char *sb = json_string_value(json_object_get(b->pt, "status")),
                                   *sn = json_string_value(json_object_get(n->pt, "status"));
                        if (sn && strcmp(sn, "ok") != 0)
                                snprintf(note, sizeof note, "status %s in NEW", sn);
                        else if (sb && strcmp(sb, "ok") != 0)
                                snprintf(note, sizeof note, "status %s in BASE", sb);
                }
        }
        {
                json_t *diff = work_differs(b, n);
                if (json_array_size(diff) && strcmp(verdict, "missing") != 0) {
                        size_t k, off;
                        json_t *d;
                        verdict = "not comparable";
                        off = (size_t)snprintf(note, sizeof note, "different work:");
                        json_array_foreach(diff, k, d) if (off < sizeof note) off +=
                            (size_t)snprintf(note + off, sizeof note - off, "%s %s",
                                             k ? "," : "", json_string_value(d));
                }
                json_object_set_new(e, "differs", diff);
        }
        json_object_set_new(e, "ratio", num(ratio));
        json_object_set_new(e, "verdict", json_string(verdict));
        json_object_set_new(e, "note", note[0] ? json_string(note) : json_null());
        free(xb);
        free(xn);
        return e;
}

/* Memory changes of one pair of points that pass the thresholds, appended to mem.
 * Returns how many are regressions. */
static int memory_entries(const struct cmp_opts *o, const struct pref *b, const struct pref *n,
                          json_t *mem)
{
        int regressions = 0;
        if (o->mem_threshold < 0)
                return 0;
        for (size_t k = 0; k < NMEM; k++) {
                json_t *vb = json_object_get(b->pt, mem_metrics[k].name),
                       *vn = json_object_get(n->pt, mem_metrics[k].name), *e;
                double db, dn, rel;
                bool grew;
                if (!json_is_number(vb) || !json_is_number(vn))
                        continue;
                db = json_number_value(vb);
                dn = json_number_value(vn);
                rel = db > 0 ? (dn - db) / db : dn > 0 ? INFINITY : 0;
                if (fabs(dn - db) < mem_metrics[k].floor || fabs(rel) < o->mem_threshold)
                        continue;
                grew = dn > db;
                e = point_ident(b);
                json_object_set_new(e, "metric", json_string(mem_metrics[k].name));
                json_object_set(e, "base", vb);
                json_object_set(e, "new", vn);
                json_object_set_new(e, "change", num(rel)); /* null when BASE is 0 */
                json_object_set_new(e, "verdict", json_string(grew ? "regression" : "improvement"));
                json_array_append_new(mem, e);
                regressions += grew;
        }
        return regressions;
}

/* What differs in how a pair of runs was made: the allocator actually
 * loaded, seed, launcher, placement, environment, scalar workload
 * parameters (the swept list is what the points already show). Not the job
 * file's path, which differs from machine to machine for the same file. */
static void conditions(json_t *rb, json_t *rn, json_t *out)
{
        static const struct {
                const char *obj, *key, *what;
        } fields[] = {{"allocator", "version", "allocator.version"},
                      {"allocator", "library", "allocator.library"},
                      {NULL, "seed", "seed"},
                      {NULL, "wrap", "wrap"},
                      {NULL, "placement", "placement"}};
        const char *alloc = run_str(rb, "allocator", "name"), *wl = run_str(rb, "workload", "name");
        const char *objs[2] = {"env", "params"};

#define ADD(what, a, b)                                                                            \
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:o, s:o}", "allocator", alloc,      \
                                             "workload", wl, "what", what, "base",                 \
                                             copy_or_null(a), "new", copy_or_null(b)))

        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
                json_t *a = fields[i].obj
                                ? json_object_get(json_object_get(rb, fields[i].obj), fields[i].key)
                                : json_object_get(rb, fields[i].key);
                json_t *b = fields[i].obj
                                ? json_object_get(json_object_get(rn, fields[i].obj), fields[i].key)
                                : json_object_get(rn, fields[i].key);
                if (!json_equal(a ? a : json_null(), b ? b : json_null()) && (a || b))
                        ADD(fields[i].what, a, b);
        }
        for (int k = 0; k < 2; k++) {
                json_t *ob = k == 0 ? json_object_get(rb, "env")
                                    : json_object_get(json_object_get(rb, "workload"), "params");
                json_t *on = k == 0 ? json_object_get(rn, "env")
                                    : json_object_get(json_object_get(rn, "workload"), "params");
                json_t *keys = json_object(), *v;
                const char *key;
                json_object_foreach(ob, key, v) json_object_set(keys, key, json_true());
                json_object_foreach(on, key, v) json_object_set(keys, key, json_true());
                json_object_foreach(keys, key, v)
                {
                        json_t *a = json_object_get(ob, key), *b = json_object_get(on, key);
                        char what[256];
                        if (json_is_array(a) || json_is_array(b) || json_is_object(a) ||
                            json_is_object(b))
                                continue;
                        if (a && b && json_equal(a, b))
                                continue;
                        snprintf(what, sizeof what, "%s.%s", objs[k], key);
                        ADD(what, a, b);
                }
                json_decref(keys);
        }
#undef ADD
}

static const char *fstr(json_t *f, const char *key)
{
        const char *s = json_string_value(json_object_get(f, key));
        return s ? s : "";
}

static void flag_key(json_t *f, char *buf, size_t len)
{
        char *where = json_dumps(json_object_get(f, "where"),
                                 JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        snprintf(buf, len, "%s|%s|%s|%s", fstr(f, "kind"), fstr(f, "allocator"),
                 fstr(f, "workload"), where ? where : "null");
        free(where);
}

/* Flags of `from` whose key is not among `other`'s, for runs both files have. */
static json_t *flags_only(struct side *from, struct side *other)
{
        json_t *keys = json_object(), *out = json_array(), *f;
        size_t i;
        char k[2048], rk[512];
        json_array_foreach(json_object_get(other->doc, "flags"), i, f)
        {
                flag_key(f, k, sizeof k);
                json_object_set(keys, k, json_true());
        }
        json_array_foreach(json_object_get(from->doc, "flags"), i, f)
        {
                snprintf(rk, sizeof rk, "%s|%s", fstr(f, "allocator"), fstr(f, "workload"));
                if (!json_object_get(from->runs, rk) || !json_object_get(other->runs, rk))
                        continue;
                flag_key(f, k, sizeof k);
                if (!json_object_get(keys, k)) {
                        json_array_append(out, f);
                        json_object_set(keys, k, json_true()); /* list a duplicate once */
                }
        }
        json_decref(keys);
        return out;
}

static json_t *file_block(struct side *s)
{
        json_t *host = json_object_get(s->doc, "host"), *h = json_object();
        for (size_t i = 0; i < NHOST; i++)
                json_object_set_new(h, host_fields[i],
                                    copy_or_null(json_object_get(host, host_fields[i])));
        return json_pack("{s:s, s:o, s:o, s:b}", "file", s->path, "created",
                         copy_or_null(json_object_get(s->doc, "created")), "host", h, "interrupted",
                         json_is_true(json_object_get(s->doc, "interrupted")));
}

static json_t *build_report(const struct cmp_opts *o, struct side *b, struct side *n)
{
        json_t *rep = json_object(), *points = json_array(), *mem = json_array(),
               *cond = json_array(), *only_b = json_array(), *only_n = json_array(),
               *hostdiff = json_array(), *flags, *fnew, *fgone, *summary, *pe, *rb, *rn;
        json_t *hb = json_object_get(b->doc, "host"), *hn = json_object_get(n->doc, "host");
        int slower = 0, mem_reg = 0;
        size_t i;
        const char *rk;
        static const char *const verdicts[] = {"slower",       "faster",  "same",
                                               "not significant", "too few reps", "missing",
                                               "not comparable"};
        int count[7] = {0};

        for (i = 0; i < NHOST; i++) {
                json_t *a = json_object_get(hb, host_fields[i]),
                       *c = json_object_get(hn, host_fields[i]);
                if (!json_equal(a ? a : json_null(), c ? c : json_null()) && (a || c))
                        json_array_append_new(hostdiff, json_string(host_fields[i]));
        }
        for (i = 0; i < b->n; i++) {
                json_t *idx = json_object_get(n->points, b->p[i].key);
                struct pref *np;
                if (!idx) {
                        json_array_append_new(only_b, point_ident(&b->p[i]));
                        continue;
                }
                np = &n->p[json_integer_value(idx)];
                b->p[i].paired = np->paired = true;
                pe = point_entry(o, &b->p[i], np);
                if (!pe)
                        continue; /* out of memory for this point: leave it out */
                for (int k = 0; k < 7; k++)
                        if (strcmp(json_string_value(json_object_get(pe, "verdict")) ?: "",
                                   verdicts[k]) == 0)
                                count[k]++;
                json_array_append_new(points, pe);
                mem_reg += memory_entries(o, &b->p[i], np, mem);
        }
        slower = count[0];
        for (i = 0; i < n->n; i++)
                if (!n->p[i].paired)
                        json_array_append_new(only_n, point_ident(&n->p[i]));
        json_object_foreach(b->runs, rk, rb)
        {
                rn = json_object_get(n->runs, rk);
                if (rn)
                        conditions(rb, rn, cond);
        }
        fnew = flags_only(n, b);
        fgone = flags_only(b, n);
        flags = json_pack("{s:o, s:o}", "new", fnew, "gone", fgone);
        summary = json_pack(
            "{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I}", "slower", count[0],
            "faster", count[1], "same", count[2], "not_significant", count[3], "too_few_reps",
            count[4], "missing", count[5], "not_comparable", count[6], "memory_regressions",
            mem_reg, "memory_improvements",
            (int)json_array_size(mem) - mem_reg, "flags_new", (int)json_array_size(fnew),
            "only_in_base", (json_int_t)json_array_size(only_b), "only_in_new",
            (json_int_t)json_array_size(only_n));
        json_object_set_new(rep, "schema", json_string("allocbench/compare/1"));
        json_object_set_new(rep, "base", file_block(b));
        json_object_set_new(rep, "new", file_block(n));
        json_object_set_new(rep, "host_differences", hostdiff);
        json_object_set_new(rep, "alpha", json_real(o->alpha));
        json_object_set_new(rep, "threshold", json_real(o->threshold));
        json_object_set_new(rep, "mem_threshold",
                            o->mem_threshold < 0 ? json_null() : json_real(o->mem_threshold));
        json_object_set_new(rep, "points", points);
        json_object_set_new(rep, "conditions", cond);
        json_object_set_new(rep, "memory", mem);
        json_object_set_new(rep, "flags", flags);
        json_object_set_new(rep, "only_in_base", only_b);
        json_object_set_new(rep, "only_in_new", only_n);
        json_object_set_new(rep, "summary", summary);
        json_object_set_new(rep, "regression",
                            json_boolean(slower > 0 || mem_reg > 0 || json_array_size(fnew) > 0));
        return rep;
}

/* ---- printing ------------------------------------------------------------------------- */

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

static void fmt_ns(double ns, char *buf, size_t len)
{
        static const char *unit[] = {"ns", "us", "ms", "s"};
        int u = 0;
        if (!isfinite(ns)) {
                snprintf(buf, len, "-");
                return;
        }
        while (ns >= 1000 && u < 3) {
                ns /= 1000;
                u++;
        }
        snprintf(buf, len, ns >= 100 ? "%.0f%s" : ns >= 10 ? "%.1f%s" : "%.2f%s", ns, unit[u]);
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
        json_t *e;
        size_t i, w = min;
        json_array_foreach(arr, i, e)
        {
                size_t l = strlen(S(e, key));
                if (l > w)
                        w = l;
        }
        return w;
}

static void print_hosts(FILE *f, json_t *rep)
{
        json_t *hb = json_object_get(json_object_get(rep, "base"), "host"),
               *hn = json_object_get(json_object_get(rep, "new"), "host"),
               *diff = json_object_get(rep, "host_differences");
        char a[256], b[256];
        int wa = 4;
        if (json_array_size(diff) == 0) {
                fmt_value(json_object_get(hb, "hostname"), a, sizeof a);
                fmt_value(json_object_get(hb, "kernel"), b, sizeof b);
                fprintf(f, "host  %s, %s, kernel %s, %s, %s (the same for both)\n", a, S(hb, "os"),
                        b, S(hb, "cpu_model"), S(hb, "libc"));
                return;
        }
        for (size_t i = 0; i < NHOST; i++) {
                fmt_value(json_object_get(hb, host_fields[i]), a, sizeof a);
                if ((int)strlen(a) > wa)
                        wa = (int)strlen(a);
        }
        fprintf(f, "hosts differ:\n  %-10s  %-*s  %s\n", "", wa, "BASE", "NEW");
        for (size_t i = 0; i < NHOST; i++) {
                json_t *d;
                size_t k;
                bool differs = false;
                json_array_foreach(diff, k, d) differs |=
                    strcmp(json_string_value(d), host_fields[i]) == 0;
                fmt_value(json_object_get(hb, host_fields[i]), a, sizeof a);
                fmt_value(json_object_get(hn, host_fields[i]), b, sizeof b);
                fprintf(f, "%c %-10s  %-*s  %s\n", differs ? '*' : ' ', host_fields[i], wa, a, b);
        }
}

static void print_table(FILE *f, json_t *rep)
{
        json_t *points = json_object_get(rep, "points"), *e, *notes = json_array();
        json_t *flags = json_object_get(rep, "flags"), *summary = json_object_get(rep, "summary");
        double alpha = D(rep, "alpha"), thr = D(rep, "threshold"), mthr = D(rep, "mem_threshold");
        size_t i, wa = width(points, "allocator", 9), ww = width(points, "workload", 8),
                  wp = width(points, "point", 5);
        char level[48];

        for (int k = 0; k < 2; k++) {
                json_t *fb = json_object_get(rep, k ? "new" : "base");
                fprintf(f, "%-4s  %s  (%s%s)\n", k ? "NEW" : "BASE", S(fb, "file"),
                        S(fb, "created"),
                        json_is_true(json_object_get(fb, "interrupted"))
                            ? "; interrupted: only part of its matrix"
                            : "");
        }
        print_hosts(f, rep);
        snprintf(level, sizeof level, "NEW/BASE [%g%% CI]", 100 * (1 - alpha));
        fprintf(f,
                "time per op: Mann-Whitney U on the per-repetition samples (two-sided, alpha "
                "%g);\na change counts from %g%% (--threshold); NEW/BASE is the ratio of the "
                "medians with its %g%%\ninterval (Hodges-Lehmann, on log ns/op)\n\n",
                alpha, 100 * thr, 100 * (1 - alpha));

        {
                long long nc = json_integer_value(json_object_get(summary, "not_comparable"));
                if (nc)
                        fprintf(f, "%lld point%s did different work in the two files and get no "
                                   "verdict (\"not comparable\", what differs in the notes); "
                                   "--strict refuses such a comparison\n\n",
                                nc, nc == 1 ? "" : "s");
        }
        if (json_array_size(points) == 0) {
                fprintf(f, "no point is in both files\n");
        } else {
                fprintf(f, "%-*s  %-*s  %-*s  %6s  %10s  %10s  %-22s  %7s  %s\n", (int)wa,
                        "allocator", (int)ww, "workload", (int)wp, "point", "reps", "BASE ns/op",
                        "NEW ns/op", level, "p", "verdict");
        }
        json_array_foreach(points, i, e)
        {
                json_t *b = json_object_get(e, "base"), *n = json_object_get(e, "new"),
                       *ci = json_object_get(e, "ratio_ci"), *note = json_object_get(e, "note");
                char reps[48], mb[24], mn[24], r[24], lo[24], hi[24], rc[96], p[24], v[48];
                snprintf(reps, sizeof reps, "%lld/%lld",
                         (long long)json_integer_value(json_object_get(b, "reps")),
                         (long long)json_integer_value(json_object_get(n, "reps")));
                fmt_ns(D(b, "median_ns"), mb, sizeof mb);
                fmt_ns(D(n, "median_ns"), mn, sizeof mn);
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
                snprintf(v, sizeof v, "%s", S(e, "verdict"));
                if (json_is_string(note)) {
                        /* notes are footnotes, numbered once each */
                        json_t *x;
                        size_t k, at = json_array_size(notes);
                        json_array_foreach(notes, k, x)
                        {
                                if (json_equal(x, note)) {
                                        at = k;
                                        break;
                                }
                        }
                        if (at == json_array_size(notes))
                                json_array_append(notes, note);
                        snprintf(v, sizeof v, "%s [%zu]", S(e, "verdict"), at + 1);
                }
                fprintf(f, "%-*s  %-*s  %-*s  %6s  %10s  %10s  %-22s  %7s  %s\n", (int)wa,
                        S(e, "allocator"), (int)ww, S(e, "workload"), (int)wp, S(e, "point"), reps,
                        mb, mn, rc, p, v);
        }
        json_array_foreach(notes, i, e) fprintf(f, "  [%zu] %s\n", i + 1, json_string_value(e));
        json_decref(notes);

        if (json_array_size(json_object_get(rep, "conditions"))) {
                fprintf(f, "\nhow the runs were made differs:\n");
                json_array_foreach(json_object_get(rep, "conditions"), i, e)
                {
                        char a[512], b[512];
                        fmt_value(json_object_get(e, "base"), a, sizeof a);
                        fmt_value(json_object_get(e, "new"), b, sizeof b);
                        fprintf(f, "  %s  %s  %s: %s -> %s\n", S(e, "allocator"), S(e, "workload"),
                                S(e, "what"), a, b);
                }
        }

        if (!isfinite(mthr)) {
                fprintf(f, "\nmemory: not compared (--mem-threshold off)\n");
        } else if (json_array_size(json_object_get(rep, "memory")) == 0) {
                fprintf(f, "\nmemory: no change of %g%% or more (--mem-threshold)\n", 100 * mthr);
        } else {
                fprintf(f,
                        "\nmemory: changes of %g%% or more (--mem-threshold) past the noise "
                        "floor\n",
                        100 * mthr);
                json_array_foreach(json_object_get(rep, "memory"), i, e)
                {
                        char a[64], b[64], c[32];
                        fmt_value(json_object_get(e, "base"), a, sizeof a);
                        fmt_value(json_object_get(e, "new"), b, sizeof b);
                        if (isfinite(D(e, "change")))
                                snprintf(c, sizeof c, "%+.1f%%", 100 * D(e, "change"));
                        else
                                snprintf(c, sizeof c, "from 0");
                        fprintf(f, "  %-*s  %-*s  %-*s  %-13s %10s -> %-10s %8s  %s\n", (int)wa,
                                S(e, "allocator"), (int)ww, S(e, "workload"), (int)wp,
                                S(e, "point"), S(e, "metric"), a, b, c, S(e, "verdict"));
                }
        }

        for (int k = 0; k < 2; k++) {
                json_t *list = json_object_get(flags, k ? "gone" : "new");
                fprintf(f, "%s", k ? "flags gone from NEW" : "new flags in NEW");
                if (!json_array_size(list)) {
                        fprintf(f, ": none\n");
                        continue;
                }
                fprintf(f, " (%zu%s):\n", json_array_size(list), k ? "" : ", a regression");
                json_array_foreach(list, i, e)
                {
                        char *where =
                            json_dumps(json_object_get(e, "where"), JSON_COMPACT | JSON_ENCODE_ANY);
                        fprintf(f, "  %-4s  %s  %s  %s  %s\n        %s\n", S(e, "severity"),
                                S(e, "kind"), S(e, "allocator"), S(e, "workload"),
                                where ? where : "", S(e, "message"));
                        free(where);
                }
        }

        for (int k = 0; k < 2; k++) {
                json_t *list = json_object_get(rep, k ? "only_in_new" : "only_in_base");
                fprintf(f, "only in %s", k ? "NEW" : "BASE");
                if (!json_array_size(list)) {
                        fprintf(f, ": none\n");
                        continue;
                }
                fprintf(f, " (%zu):\n", json_array_size(list));
                json_array_foreach(list, i, e) fprintf(
                    f, "  %-*s  %-*s  %s\n", (int)width(list, "allocator", 0), S(e, "allocator"),
                    (int)width(list, "workload", 0), S(e, "workload"), S(e, "point"));
        }

        if (json_is_true(json_object_get(rep, "regression"))) {
                long long s = json_integer_value(json_object_get(summary, "slower")),
                          m = json_integer_value(json_object_get(summary, "memory_regressions")),
                          fl = json_integer_value(json_object_get(summary, "flags_new"));
                fprintf(
                    f, "\nregression: %lld point%s slower, %lld memory growth%s, %lld new flag%s\n",
                    s, s == 1 ? "" : "s", m, m == 1 ? "" : "s", fl, fl == 1 ? "" : "s");
        } else {
                fprintf(f, "\nno regression\n");
        }
}

static void csv_field(FILE *f, const char *s, bool first)
{
        if (!first)
                fputc(',', f);
        if (strpbrk(s, ",\"\n\r")) {
                fputc('"', f);
                for (; *s; s++) {
                        if (*s == '"')
                                fputc('"', f);
                        fputc(*s, f);
                }
                fputc('"', f);
        } else {
                fputs(s, f);
        }
}

static void csv_num(FILE *f, double v)
{
        if (isfinite(v))
                fprintf(f, ",%.6g", v);
        else
                fputc(',', f);
}

static void print_csv(FILE *f, json_t *rep, struct side *b, struct side *n)
{
        json_t *e;
        size_t i;
        fprintf(f, "allocator,workload,point,base_reps,new_reps,base_median_ns,new_median_ns,"
                   "ratio,ratio_ci_lo,ratio_ci_hi,p,verdict");
        for (size_t k = 0; k < NMEM; k++)
                fprintf(f, ",base_%s,new_%s", mem_metrics[k].name, mem_metrics[k].name);
        fprintf(f, "\n");
        json_array_foreach(json_object_get(rep, "points"), i, e)
        {
                json_t *sb = json_object_get(e, "base"), *sn = json_object_get(e, "new"),
                       *ci = json_object_get(e, "ratio_ci");
                char key[600];
                json_t *pb, *pn;
                csv_field(f, S(e, "allocator"), true);
                csv_field(f, S(e, "workload"), false);
                csv_field(f, S(e, "point"), false);
                csv_num(f, D(sb, "reps"));
                csv_num(f, D(sn, "reps"));
                csv_num(f, D(sb, "median_ns"));
                csv_num(f, D(sn, "median_ns"));
                csv_num(f, D(e, "ratio"));
                csv_num(f, D(ci, "lo"));
                csv_num(f, D(ci, "hi"));
                csv_num(f, D(e, "p"));
                csv_field(f, S(e, "verdict"), false);
                snprintf(key, sizeof key, "%s|%s|%s", S(e, "allocator"), S(e, "workload"),
                         S(e, "point"));
                pb = b->p[json_integer_value(json_object_get(b->points, key))].pt;
                pn = n->p[json_integer_value(json_object_get(n->points, key))].pt;
                for (size_t k = 0; k < NMEM; k++) {
                        csv_num(f, D(pb, mem_metrics[k].name));
                        csv_num(f, D(pn, mem_metrics[k].name));
                }
                fprintf(f, "\n");
        }
}

int ab_cmd_compare(int argc, char **argv)
{
        struct cmp_opts o = {0};
        struct side b = {0}, n = {0};
        json_t *rep;
        int rc = parse_opts(argc, argv, &o);
        if (rc == -1)
                return AB_OK;
        if (rc)
                return rc;
        if (side_load(&b, o.file[0], "BASE") || side_load(&n, o.file[1], "NEW")) {
                side_free(&b);
                side_free(&n);
                return AB_BAD_INPUT;
        }
        rep = build_report(&o, &b, &n);
        if (!rep) {
                fprintf(stderr, "bench compare: out of memory\n");
                rc = AB_BAD_INPUT;
        } else {
                if (json_array_size(json_object_get(rep, "points")) == 0)
                        fprintf(stderr, "bench compare: no point of %s is in %s\n", o.file[0],
                                o.file[1]);
                if (o.format == AB_FMT_JSON) {
                        json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
                        fputc('\n', stdout);
                } else if (o.format == AB_FMT_CSV) {
                        print_csv(stdout, rep, &b, &n);
                } else {
                        print_table(stdout, rep);
                }
                rc = json_is_true(json_object_get(rep, "regression")) ? AB_REGRESSION : AB_OK;
                if (o.strict && json_integer_value(json_object_get(
                                    json_object_get(rep, "summary"), "not_comparable")) > 0) {
                        json_t *e;
                        size_t i;
                        fprintf(stderr, "bench compare: --strict: points did different work:\n");
                        json_array_foreach(json_object_get(rep, "points"), i, e)
                        {
                                if (strcmp(S(e, "verdict"), "not comparable") == 0)
                                        fprintf(stderr, "  %s  %s  %s: %s\n", S(e, "allocator"),
                                                S(e, "workload"), S(e, "point"), S(e, "note"));
                        }
                        rc = AB_BAD_INPUT;
                }
                json_decref(rep);
        }
        side_free(&b);
        side_free(&n);
        return rc;
}
