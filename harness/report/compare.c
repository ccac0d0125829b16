/*
 * compare.c - `bench compare BASE NEW`: what changed between two results
 * files, point by point, and whether it is a regression.
 *
 * This file is the command: its options, reading both files through the
 * results view (ab_doc_load, which refuses a FIFO or a device without
 * blocking on it), pairing their points by ab_point_key (allocator, workload
 * with a cmd run's program, parameters), and the exit code. The verdicts are
 * compare_report.c's, the table and the CSV compare_print.c's, the host view
 * (in the report when the hosts differ; alone for any number of files with
 * --hosts) compare_hosts.c's (compare.h). Exit: 0 no regression, 3 a
 * regression, 1 bad input.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "report/compare.h"
#include "report/report.h"

static void usage_memory(FILE *f)
{
        fprintf(f, "Memory is one value per point, so it has no test: a growth of at least\n"
                   "MEM_THRESHOLD and past the figure's noise floor is a regression, a shrink as\n"
                   "large an improvement. The figures and their noise floors:\n");
        for (int i = 0; i < AB_COMPARE_NMEM; i++) {
                const struct ab_metric_def *m = &ab_metrics[ab_compare_mem[i]];
                fprintf(f, "  %-14s %6g %-10s %s\n", m->key, m->floor, m->unit, m->help);
        }
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: bench compare [options] BASE NEW\n"
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
                "\n");
        usage_memory(f);
        fprintf(
            f, "Flags pair by kind, allocator, workload and where: a flag NEW raises that BASE\n"
               "did not is a regression; flags of an allocator and workload present in one file\n"
               "only are not compared. Points in only one file are listed. Hosts that differ\n"
               "are shown.\n"
               "\n"
               "Allocation sites (bench run --trace): the sites of a point both files traced\n"
               "pair by key. Each pair's samples are the per-round increments of its live\n"
               "bytes after the warm-up (the first fifth of the rounds); NEW's are tested\n"
               "against BASE's with the Mann-Whitney U test: changed when p < alpha and the\n"
               "medians differ by more than THRESHOLD (by more than 64 B a round when BASE's\n"
               "is 0), same otherwise, too few rounds under 4 increments a side. A site\n"
               "whose increments grew, or a new site (in NEW only) that leaves bytes in every\n"
               "round, is a regression; a site in BASE only is gone. The left-over per round\n"
               "shown is the slope bench sites shows. A site's verdict (--verdicts) is shown,\n"
               "not applied.\n"
               "\n"
               "options:\n"
               "  --threshold PCT       smallest change of time that counts (default 5, i.e. 5%%)\n"
               "  --mem-threshold PCT   smallest change of a memory figure that counts\n"
               "                        (default 10), or off to leave memory out\n"
               "  --alpha A             significance level, 0 < A <= 0.5 (default 0.05); the\n"
               "                        interval's level is 1 - A\n"
               "  --format table|json|csv   what stdout shows (default table; csv: one row per\n"
               "                        point, then one per site, the column kind telling\n"
               "                        which)\n"
               "  --strict              refuse (exit 1) when paired points did different work\n"
               "  --hosts FILE FILE..   the host view alone, for 2 to 16 files (below); no\n"
               "                        verdicts, exit 0\n"
               "  -h, --help            this text\n"
               "\n"
               "Runs of cmd pair only when they ran the same program with the same arguments.\n"
               "\n"
               "Host view: when BASE and NEW come from different hosts (hostname, OS, kernel,\n"
               "CPU, C library...), the report adds the same workloads side by side, a column\n"
               "per host (ns/op, minor faults/op, RSS, the last host's ns/op over the first's,\n"
               "whether the work was the same), and lists what differs in the hosts and in how\n"
               "the runs were made: allocator versions, environment, workload parameters and\n"
               "the command's options (JSON: host_view; CSV: base_host, new_host and\n"
               "host_differs, after the other columns). --hosts gives it for any number of\n"
               "files (CSV: a row per point and host).\n"
               "\n"
               "Exit: 0 no regression, 3 a significant regression (a slower point, a memory\n"
               "growth, a new flag or a site leaving more), 1 bad input (or different work\n"
               "with --strict).\n"
               "\n"
               "Examples:\n"
               "  bench compare results/last-night.json results/today.json --threshold 3\n"
               "  bench compare --hosts debian.json alpine.json graviton.json\n");
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
                ab_err("compare",
                       "%s: '%s' is not a percentage (accepted: a number of percent from 0 to "
                       "1000 such as 5 or 2.5%%%s)",
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
                ab_err("compare",
                       "--alpha: '%s' is not a significance level (accepted: a probability above "
                       "0 and at most 0.5, such as 0.05 or 0.01)",
                       s);
                return -EINVAL;
        }
        *out = v;
        return 0;
}

/* The value of option `name`: 0 or -EINVAL after a message. */
static int set_valued(struct ab_compare_opts *o, const char *name, const char *val)
{
        if (strcmp(name, "--threshold") == 0)
                return parse_percent(name, val, &o->threshold, false);
        if (strcmp(name, "--mem-threshold") == 0)
                return parse_percent(name, val, &o->mem_threshold, true);
        if (strcmp(name, "--alpha") == 0)
                return parse_alpha(val, &o->alpha);
        if (strcmp(val, "table") == 0) {
                o->format = AB_FMT_TABLE;
        } else if (strcmp(val, "json") == 0) {
                o->format = AB_FMT_JSON;
        } else if (strcmp(val, "csv") == 0) {
                o->format = AB_FMT_CSV;
        } else {
                ab_err("compare", "--format: '%s' is not a format (accepted: table, json, csv)",
                       val);
                return -EINVAL;
        }
        return 0;
}

/* A valued option at argv[*i] ("--opt VALUE" or "--opt=VALUE"): its name,
 * or NULL when a[] is not one; *val is NULL when the value is missing. */
static const char *valued_option(int argc, char **argv, int *i, const char **val)
{
        static const char *const valued[] = {"--threshold", "--mem-threshold", "--alpha",
                                             "--format"};
        const char *a = argv[*i];
        *val = NULL;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
                size_t len = strlen(valued[k]);
                if (strncmp(a, valued[k], len) != 0 || (a[len] != '\0' && a[len] != '='))
                        continue;
                if (a[len] == '=')
                        *val = a + len + 1;
                else if (*i + 1 < argc)
                        *val = argv[++*i];
                return valued[k];
        }
        return NULL;
}

/* The files given: two (BASE, NEW), or with --hosts two or more. */
static int check_files(struct ab_compare_opts *o)
{
        if (o->hosts && o->nfiles > AB_COMPARE_MAXFILES) {
                ab_err("compare", "--hosts: %zu files given (accepted: 2 to %d)", o->nfiles,
                       AB_COMPARE_MAXFILES);
                return AB_BAD_INPUT;
        }
        if (o->hosts && o->nfiles < 2) {
                ab_err("compare",
                       "--hosts: %s (usage: bench compare --hosts FILE FILE [FILE..]; "
                       "see bench compare --help)",
                       o->nfiles ? "one results file given, accepted: two or more"
                                 : "no results files given");
                return AB_BAD_INPUT;
        }
        if (!o->hosts && o->nfiles > 2) {
                ab_err("compare",
                       "unexpected argument '%s' (accepted: two results files, BASE then NEW; "
                       "--hosts takes more)",
                       o->files[2]);
                return AB_BAD_INPUT;
        }
        if (o->nfiles < 2) {
                ab_err("compare",
                       "%s (usage: bench compare [options] BASE NEW; see bench compare --help)",
                       o->nfiles == 0 ? "no results files given" : "NEW results file missing");
                return AB_BAD_INPUT;
        }
        o->file[0] = o->files[0];
        o->file[1] = o->files[1];
        return 0;
}

/* 0, AB_BAD_INPUT, or -1 after --help. */
static int parse_opts(int argc, char **argv, struct ab_compare_opts *o)
{
        bool dashdash = false;
        o->threshold = 0.05;
        o->mem_threshold = 0.10;
        o->alpha = 0.05;
        o->format = AB_FMT_TABLE;
        if (!(o->files = calloc((size_t)argc + 1, sizeof *o->files)))
                return AB_BAD_INPUT;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *val, *name;
                if (dashdash || a[0] != '-' || a[1] == '\0') {
                        o->files[o->nfiles++] = a;
                } else if (strcmp(a, "--") == 0) {
                        dashdash = true;
                } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        return -1;
                } else if (strcmp(a, "--strict") == 0) {
                        o->strict = true;
                } else if (strcmp(a, "--hosts") == 0) {
                        o->hosts = true;
                } else if (!(name = valued_option(argc, argv, &i, &val))) {
                        ab_err("compare",
                               "unknown option '%s' (accepted: --threshold, --mem-threshold, "
                               "--alpha, --format, --strict, --hosts, --help; see bench compare "
                               "--help)",
                               a);
                        return AB_BAD_INPUT;
                } else if (!val) {
                        ab_err("compare", "%s needs a value (see bench compare --help)", name);
                        return AB_BAD_INPUT;
                } else if (set_valued(o, name, val)) {
                        return AB_BAD_INPUT;
                }
        }
        return check_files(o);
}

/* ---- reading and pairing ---------------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
        const struct ab_compare_point *x = *(const struct ab_compare_point *const *)a,
                                      *y = *(const struct ab_compare_point *const *)b;
        int c = strcmp(x->key, y->key);
        /* equal keys in the file's order, so that the first one is kept */
        return c ? c : (x > y) - (x < y);
}

static int by_key_only(const void *a, const void *b)
{
        return strcmp((*(const struct ab_compare_point *const *)a)->key,
                      (*(const struct ab_compare_point *const *)b)->key);
}

/* Drop the points whose key an earlier point of the file has (saying so),
 * then index the rest by key. */
static int side_index(struct ab_compare_side *s)
{
        size_t n = 0;
        bool *dup = calloc(s->n + 1, sizeof *dup);
        s->by_key = calloc(s->n + 1, sizeof *s->by_key);
        if (!dup || !s->by_key) {
                free(dup);
                return -ENOMEM;
        }
        for (size_t i = 0; i < s->n; i++)
                s->by_key[i] = &s->p[i];
        qsort(s->by_key, s->n, sizeof *s->by_key, by_key);
        for (size_t i = 1; i < s->n; i++)
                dup[s->by_key[i] - s->p] = strcmp(s->by_key[i]->key, s->by_key[i - 1]->key) == 0;
        for (size_t i = 0; i < s->n; i++) {
                if (dup[i]) {
                        ab_err("compare",
                               "%s: point %s appears more than once; the first is compared",
                               s->path, s->p[i].key);
                        continue;
                }
                s->p[n++] = s->p[i];
        }
        free(dup);
        s->n = n;
        for (size_t i = 0; i < s->n; i++)
                s->by_key[i] = &s->p[i];
        qsort(s->by_key, s->n, sizeof *s->by_key, by_key);
        return 0;
}

/* Load a results file into its view and index its points. 0, or -errno
 * after a message naming the file. */
static int side_load(struct ab_compare_side *s, const char *path, const char *which)
{
        char err[1024];
        size_t cap = 0;
        int e;
        s->path = path;
        e = ab_doc_load(path, &s->doc, err, sizeof err);
        if (e) {
                ab_err("compare", "%s: %s", which, err);
                return e;
        }
        for (size_t i = 0; i < s->doc.nruns; i++)
                cap += s->doc.runs[i].npoints;
        s->p = calloc(cap + 1, sizeof *s->p);
        if (!s->p)
                goto oom;
        for (size_t i = 0; i < s->doc.nruns; i++) {
                const struct ab_vrun *r = &s->doc.runs[i];
                for (size_t j = 0; j < r->npoints; j++) {
                        struct ab_compare_point *p = &s->p[s->n++];
                        p->run = r;
                        p->pt = &r->points[j];
                        ab_point_key(r, p->pt, p->key, sizeof p->key);
                }
        }
        if (side_index(s) == 0)
                return 0;
oom:
        ab_err("compare", "out of memory reading %s", path);
        return -ENOMEM;
}

static void side_free(struct ab_compare_side *s)
{
        ab_doc_free(&s->doc);
        free(s->p);
        free(s->by_key);
}

/* The points of b that n has too, in b's order, marking both paired. */
static int pair_points(struct ab_compare_side *b, struct ab_compare_side *n,
                       struct ab_compare_pair **pairs, size_t *npairs)
{
        *npairs = 0;
        *pairs = calloc(b->n + 1, sizeof **pairs);
        if (!*pairs)
                return -ENOMEM;
        for (size_t i = 0; i < b->n; i++) {
                struct ab_compare_point *key = &b->p[i], **hit;
                hit = bsearch(&key, n->by_key, n->n, sizeof *n->by_key, by_key_only);
                if (!hit)
                        continue;
                b->p[i].paired = (*hit)->paired = true;
                (*pairs)[*npairs].b = &b->p[i];
                (*pairs)[(*npairs)++].n = *hit;
        }
        return 0;
}

/* ---- the command --------------------------------------------------------------- */

/* --strict: the pairs that did different work, on stderr. */
static void strict_refusal(const struct ab_compare_pair *pairs, size_t npairs)
{
        ab_err("compare", "--strict: points did different work:");
        for (size_t i = 0; i < npairs; i++) {
                const struct ab_compare_point *p = pairs[i].b;
                if (strcmp(pairs[i].verdict, "not comparable") == 0)
                        fprintf(stderr, "  %s  %s  %s: %s\n", p->run->alloc, p->run->workload_id,
                                p->pt->label, pairs[i].note);
        }
}

/* The report as --format asks, the host view in it when the hosts
 * differ (and its columns in the CSV always). */
static void print_report(const struct ab_compare_opts *o, json_t *rep, json_t *view,
                         const struct ab_compare_pair *pairs, size_t npairs)
{
        if (json_array_size(json_object_get(rep, "host_differences")))
                json_object_set(rep, "host_view", view);
        else
                json_object_set_new(rep, "host_view", json_null());
        if (o->format == AB_FMT_JSON) {
                json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
                fputc('\n', stdout);
        } else if (o->format == AB_FMT_CSV) {
                ab_compare_print_csv(stdout, rep, pairs, npairs, view);
        } else {
                ab_compare_print_table(stdout, rep);
        }
}

/* --hosts: the host view of every file given, alone (no verdicts). */
static int compare_hosts(const struct ab_compare_opts *o)
{
        struct ab_doc *docs = calloc(o->nfiles, sizeof *docs);
        const struct ab_doc **dp = calloc(o->nfiles, sizeof *dp);
        json_t *view = NULL;
        char err[1024];
        size_t n = 0;
        int rc = AB_BAD_INPUT;
        for (; docs && dp && n < o->nfiles; n++) {
                if (ab_doc_load(o->files[n], &docs[n], err, sizeof err)) {
                        ab_err("compare", "%s", err);
                        goto out;
                }
                dp[n] = &docs[n];
        }
        if (!docs || !dp || !(view = ab_compare_host_view(dp, o->files, n))) {
                ab_err("compare", "out of memory");
                goto out;
        }
        if (o->format == AB_FMT_JSON) {
                json_object_set_new(view, "schema", json_string("allocbench/compare-hosts/1"));
                json_dumpf(view, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
                fputc('\n', stdout);
        } else if (o->format == AB_FMT_CSV) {
                ab_compare_print_hosts_csv(stdout, view);
        } else {
                ab_compare_print_host_view(stdout, view);
        }
        rc = AB_OK;
out:
        for (size_t i = 0; docs && i < n; i++)
                ab_doc_free(&docs[i]);
        free(docs);
        free(dp);
        json_decref(view);
        return rc;
}

int ab_cmd_compare(int argc, char **argv)
{
        struct ab_compare_opts o = {0};
        struct ab_compare_side b = {0}, n = {0};
        struct ab_compare_summary sum = {0};
        struct ab_compare_pair *pairs = NULL;
        size_t npairs = 0;
        json_t *rep = NULL, *view = NULL;
        int rc = parse_opts(argc, argv, &o);
        if (rc == -1 || rc) {
                free(o.files);
                return rc == -1 ? AB_OK : rc;
        }
        if (o.hosts) {
                rc = compare_hosts(&o);
                free(o.files);
                return rc;
        }
        if (side_load(&b, o.file[0], "BASE") || side_load(&n, o.file[1], "NEW")) {
                rc = AB_BAD_INPUT;
                goto out;
        }
        if (pair_points(&b, &n, &pairs, &npairs) == 0)
                rep = ab_compare_report(&o, &b, &n, pairs, npairs, &sum);
        if (rep)
                view = ab_compare_host_view((const struct ab_doc *[]){&b.doc, &n.doc}, o.file, 2);
        if (!rep || !view) {
                ab_err("compare", "out of memory");
                rc = AB_BAD_INPUT;
                goto out;
        }
        if (npairs == 0)
                ab_err("compare", "no point of %s is in %s", o.file[0], o.file[1]);
        print_report(&o, rep, view, pairs, npairs);
        rc = sum.regression ? AB_REGRESSION : AB_OK;
        if (o.strict && sum.verdicts[AB_CMP_NOT_COMPARABLE] > 0) {
                strict_refusal(pairs, npairs);
                rc = AB_BAD_INPUT;
        }
out:
        json_decref(rep);
        json_decref(view);
        free(pairs);
        free(o.files);
        side_free(&b);
        side_free(&n);
        return rc;
}
