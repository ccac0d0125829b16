/*
 * compare_pair.c - one pair of points of `bench compare` (compare.h): the
 * verdict on time per operation, whether the two did the same work, and
 * their memory changes.
 *
 * Time per operation is judged from the per-repetition samples: NEW/BASE is
 * the ratio of the medians, its interval the distribution-free one of the
 * scale change (Hodges-Lehmann/Moses on log ns/op, core/mwu.h), and the
 * verdict needs both a Mann-Whitney U p-value below --alpha and the ratio's
 * whole interval beyond 1+T, T the larger of --threshold and the two points'
 * CI95 half-widths summed. Memory figures are one median per point: a change
 * counts when it passes --mem-threshold and the figure's noise floor
 * (doc/metrics.def), and, when both files give the repetitions' range
 * (memory_range), those ranges do not overlap.
 *
 * Values the report shows as the files had them (parameters, environment,
 * host figures) are rebuilt from the view with their JSON type, so the
 * report reads as it did when compare walked the files' JSON itself.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mwu.h"
#include "core/stats.h"
#include "report/compare.h"

const enum ab_metric ab_compare_mem[AB_COMPARE_NMEM] = {AB_M_RSS, AB_M_VSZ, AB_M_PTE, AB_M_PEAK,
                                                        AB_M_MINFLT};

/* More samples a side than this get no test ("not tested"). The test and the
 * interval now cost what sorting the samples costs (core/mwu.h), so this no
 * longer guards time or memory; it stays because compare's contract says so
 * (tests/integration/test_compare.c, test_unusual_files: 12,000 samples a
 * point, which bench run never writes, are not tested). Raising it to
 * 1,000,000 needs only that test to change. */
#define MAX_SAMPLES 10000

/* ---- values as JSON ------------------------------------------------------------ */

static json_t *num(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

/* A figure the writer stores as a JSON integer (KiB, cores, a page size):
 * an integer again when it is one, null when not measured. */
json_t *ab_compare_count_json(double v)
{
        if (isnan(v))
                return json_null();
        if (v == floor(v) && fabs(v) < 9007199254740992.0)
                return json_integer((json_int_t)v);
        return json_real(v);
}

static json_t *metric_json(enum ab_metric m, double v)
{
        return strcmp(ab_metrics[m].unit, "KiB") == 0 ? ab_compare_count_json(v) : num(v);
}

/* A parameter or environment value as the file had it: a string, an
 * integer (read back from its text, exact beyond 2^53), a real (from the
 * number: the text keeps 10 digits), or true, false, null, an object. A new
 * reference; NULL for an absent key. */
json_t *ab_compare_kv_json(const struct ab_kv *kv)
{
        if (!kv)
                return NULL;
        if (kv->str)
                return json_string(kv->str);
        if (!isnan(kv->num) && strpbrk(kv->text, ".eE"))
                return json_real(kv->num);
        return json_loads(kv->text, JSON_DECODE_ANY, NULL);
}

const struct ab_kv *ab_compare_kv_find(const struct ab_kv *kv, size_t n, const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(kv[i].key, key) == 0)
                        return &kv[i];
        return NULL;
}

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

/* ---- one pair of points ---------------------------------------------------------- */

/* allocator, workload, point and params of a point, the start of every entry. */
json_t *ab_compare_ident(const struct ab_compare_point *p)
{
        return json_pack("{s:s, s:s, s:s, s:o}", "allocator", p->run->alloc, "workload",
                         p->run->workload_id, "point", p->pt->label, "params",
                         p->pt->params ? json_deep_copy(p->pt->params) : json_null());
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

static json_t *side_summary(const struct ab_vpoint *pt, size_t n, double median)
{
        return json_pack("{s:I, s:o, s:s}", "reps", (json_int_t)n, "median_ns", num(median),
                         "status", pt->status);
}

/* What makes two paired points different work: their op counts, their op
 * streams (op_hash, the point's or else the run's), the run's scalar
 * workload parameters, the program (in the key already). Per-op figures of
 * different work are not given a verdict. Returns an array of "what BASE vs
 * NEW" strings. */
static json_t *work_differs(const struct ab_compare_point *b, const struct ab_compare_point *n)
{
        json_t *out = json_array();
        const char *hb = b->pt->op_hash, *hn = n->pt->op_hash;
        char a[96], c[96], line[256];
        if (!hb || !hn) {
                hb = b->run->op_hash;
                hn = n->run->op_hash;
        }
        if (!isnan(b->pt->ops) && !isnan(n->pt->ops) && b->pt->ops != n->pt->ops) {
                snprintf(line, sizeof line, "ops %lld vs %lld", (long long)b->pt->ops,
                         (long long)n->pt->ops);
                json_array_append_new(out, json_string(line));
        }
        if (hb && hn && strcmp(hb, hn) != 0 &&
            json_array_size(out) == 0) { /* a different count already explains it */
                snprintf(line, sizeof line, "op_hash %.16s vs %.16s", hb, hn);
                json_array_append_new(out, json_string(line));
        }
        for (size_t i = 0; i < b->run->nparams; i++) {
                const struct ab_kv *kb = &b->run->params[i],
                                   *kn =
                                       ab_compare_kv_find(n->run->params, n->run->nparams, kb->key);
                json_t *v, *w;
                if (kb->is_list || (kn && kn->is_list))
                        continue;
                v = ab_compare_kv_json(kb);
                w = ab_compare_kv_json(kn);
                if (!w || !json_equal(v, w)) {
                        fmt_json(v, a, sizeof a);
                        fmt_json(w, c, sizeof c);
                        snprintf(line, sizeof line, "%s %s vs %s", kb->key, a, c);
                        json_array_append_new(out, json_string(line));
                }
                json_decref(v);
                json_decref(w);
        }
        return out;
}

/* The test and the interval of samples that both sides have (sorted in place
 * by the way): sets u, p, p_min, test, ratio_ci and threshold in e and
 * returns the verdict, with a note in note when it needs one. */
static const char *judge_time(const struct ab_compare_opts *o, json_t *e, double *xb, size_t nb,
                              double *xn, size_t nn, char *note, size_t len)
{
        struct ab_mwu t = {0};
        struct ab_mwu_ci ci;
        bool have_ci;
        double thr, up, down;
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
                            have_ci ? json_pack("{s:o, s:o, s:f, s:o, s:o}", "lo", num(ci.lo), "hi",
                                                num(ci.hi), "level", 1 - o->alpha, "coverage",
                                                num(ci.coverage), "estimate", num(ci.est))
                                    : json_null());
        /* the smallest change these two runs can tell apart: the threshold,
         * or the sum of their own precisions (a median known to +-8% cannot
         * show a 5% change) */
        thr = fmax(o->threshold, halfwidth_of(xb, nb) + halfwidth_of(xn, nn));
        up = 1 + thr;
        down = 1 / up;
        json_object_set_new(e, "threshold", num(thr));
        if (t.p_min >= o->alpha) {
                snprintf(note, len,
                         "%zu and %zu reps cannot give p < %g whatever the data (the smallest "
                         "possible p is %.2g): use --reps %u or more",
                         nb, nn, o->alpha, t.p_min, reps_needed(o->alpha));
                return "too few reps";
        }
        if (t.p < o->alpha && have_ci && (ci.lo >= up || ci.hi <= down))
                return ci.lo >= up ? "slower" : "faster";
        if (have_ci && ci.lo >= down && ci.hi <= up)
                return "same";
        if (t.p < o->alpha)
                snprintf(note, len,
                         "a significant change whose interval reaches below %.0f%% (--threshold, "
                         "or the two points' own precision)",
                         100 * thr);
        return "not significant";
}

/* The verdict of a pair whose samples are xb and xn (medians mb, mn), and
 * its note; sets the test's fields in e and *ratio. */
static const char *verdict_of(const struct ab_compare_opts *o, struct ab_compare_pair *pr,
                              json_t *e, double *xb, size_t nb, double *xn, size_t nn, double mb,
                              double mn, double *ratio)
{
        const struct ab_vpoint *pb = pr->b->pt, *pn = pr->n->pt;
        const char *v;
        if (nb == 0 || nn == 0) {
                snprintf(pr->note, sizeof pr->note, "no samples in %s (status %s)",
                         nb == 0 && nn == 0 ? "either file"
                         : nb == 0          ? "BASE"
                                            : "NEW",
                         nb ? pn->status : pb->status);
                return "missing";
        }
        if (!(mb > 0 && mn > 0)) {
                snprintf(pr->note, sizeof pr->note, "a median is not above 0: no ratio");
                return "missing";
        }
        *ratio = mn / mb;
        if (nb > MAX_SAMPLES || nn > MAX_SAMPLES) {
                snprintf(pr->note, sizeof pr->note,
                         "%zu and %zu samples: not tested (at most %d a side; bench run writes at "
                         "most 1,000)",
                         nb, nn, MAX_SAMPLES);
                return "not tested";
        }
        v = judge_time(o, e, xb, nb, xn, nn, pr->note, sizeof pr->note);
        /* a point that failed part-way keeps the samples it has */
        if (!pr->note[0] && !pn->ok)
                snprintf(pr->note, sizeof pr->note, "status %s in NEW", pn->status);
        else if (!pr->note[0] && !pb->ok)
                snprintf(pr->note, sizeof pr->note, "status %s in BASE", pb->status);
        return v;
}

static double *copy_samples(const struct ab_vpoint *p)
{
        double *x = malloc((p->nsamples + 1) * sizeof *x);
        if (x && p->nsamples)
                memcpy(x, p->samples, p->nsamples * sizeof *x);
        return x;
}

/* The report's entry of a pair; sets pr->verdict and pr->note. NULL when out
 * of memory. */
json_t *ab_compare_pair_entry(const struct ab_compare_opts *o, struct ab_compare_pair *pr)
{
        size_t nb = pr->b->pt->nsamples, nn = pr->n->pt->nsamples;
        double *xb = copy_samples(pr->b->pt), *xn = copy_samples(pr->n->pt);
        double mb = NAN, mn = NAN, ratio = NAN;
        json_t *e = ab_compare_ident(pr->b), *diff = NULL;
        if (!xb || !xn || !e)
                goto fail;
        if (nb)
                mb = ab_stats_median(xb, nb);
        if (nn)
                mn = ab_stats_median(xn, nn);
        json_object_set_new(e, "base", side_summary(pr->b->pt, nb, mb));
        json_object_set_new(e, "new", side_summary(pr->n->pt, nn, mn));
        pr->note[0] = '\0';
        pr->verdict = verdict_of(o, pr, e, xb, nb, xn, nn, mb, mn, &ratio);
        diff = work_differs(pr->b, pr->n);
        if (!diff)
                goto fail;
        if (json_array_size(diff) && strcmp(pr->verdict, "missing") != 0) {
                size_t off = (size_t)snprintf(pr->note, sizeof pr->note, "different work:");
                for (size_t k = 0; k < json_array_size(diff) && off < sizeof pr->note; k++)
                        off += (size_t)snprintf(pr->note + off, sizeof pr->note - off, "%s %s",
                                                k ? "," : "",
                                                json_string_value(json_array_get(diff, k)));
                pr->verdict = "not comparable";
        }
        json_object_set_new(e, "differs", diff);
        json_object_set_new(e, "ratio", num(ratio));
        json_object_set_new(e, "verdict", json_string(pr->verdict));
        json_object_set_new(e, "note", pr->note[0] ? json_string(pr->note) : json_null());
        free(xb);
        free(xn);
        return e;
fail:
        free(xb);
        free(xn);
        json_decref(e);
        return NULL;
}

/* Do the two points' repetitions overlap on memory figure m (both files
 * give each figure's lowest and highest repetition)? Then the medians
 * differ only by which processes the repetitions happened to be: an
 * allocator that keeps an extra 1 MiB span in some processes and not in
 * others moves its median between two runs of the same command. With 6
 * repetitions a side, ranges apart by chance alone have probability
 * 2/C(12,6) = 0.2%. Files without ranges: no overlap known. */
static bool overlap(const struct ab_vpoint *b, const struct ab_vpoint *n, enum ab_metric m)
{
        if (isnan(b->mlo[m]) || isnan(n->mlo[m]))
                return false;
        return n->mlo[m] <= b->mhi[m] && b->mlo[m] <= n->mhi[m];
}

/* Memory changes of one pair of points that pass the thresholds, appended to mem.
 * Returns how many are regressions. */
int ab_compare_memory(const struct ab_compare_opts *o, const struct ab_compare_pair *pr,
                      json_t *mem)
{
        int regressions = 0;
        if (o->mem_threshold < 0)
                return 0;
        for (size_t k = 0; k < AB_COMPARE_NMEM; k++) {
                enum ab_metric m = ab_compare_mem[k];
                double db = pr->b->pt->m[m], dn = pr->n->pt->m[m], rel;
                bool grew;
                json_t *e;
                if (isnan(db) || isnan(dn))
                        continue;
                rel = db > 0 ? (dn - db) / db : dn > 0 ? INFINITY : 0;
                if (fabs(dn - db) < ab_metrics[m].floor || fabs(rel) < o->mem_threshold)
                        continue;
                if (overlap(pr->b->pt, pr->n->pt, m))
                        continue; /* some repetitions of each side agree */
                grew = dn > db;
                e = ab_compare_ident(pr->b);
                json_object_set_new(e, "metric", json_string(ab_metrics[m].key));
                json_object_set_new(e, "base", metric_json(m, db));
                json_object_set_new(e, "new", metric_json(m, dn));
                json_object_set_new(e, "change", num(rel)); /* null when BASE is 0 */
                json_object_set_new(e, "verdict", json_string(grew ? "regression" : "improvement"));
                json_array_append_new(mem, e);
                regressions += grew;
        }
        return regressions;
}
