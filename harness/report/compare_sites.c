/*
 * compare_sites.c - the allocation sites of `bench compare` (compare.h).
 *
 * When both files traced a point (bench run --trace) and its trace pass
 * went well in both, the point's sites pair by key. A site only NEW has is
 * "new", one only BASE has is "gone"; a point traced in one file only (or
 * whose pass failed, so that its sites are what it saw until then) is not
 * compared, and says so in the summary.
 *
 * A pair is judged on what it leaves allocated per round, by the points'
 * rules on other samples: a site's samples are the increments of its live
 * bytes from one round's end to the next after the warm-up (the first
 * fifth of the rounds, ab_site_warmup: what the detectors and the table
 * read), and NEW's are tested against BASE's with the Mann-Whitney U test.
 * "changed" needs p < --alpha and the medians of the increments apart by
 * more than --threshold of BASE's (by more than 64 B a round when BASE's is
 * 0: a relative change of 0 means nothing); "same" otherwise, "too few
 * rounds" under 4 increments a side, or when these counts cannot give
 * p < --alpha. What the report shows as the left-over per round is the
 * table's figure (ab_site_leftover, the slope), which the increments'
 * median agrees with for a steady leak.
 *
 * A regression: a changed site whose increments grew, or a new site whose
 * every increment (4 or more) is above 0. A site's own verdict from the
 * verdicts file is shown, not applied: that a leak was accepted does not
 * make it leak less than before.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mwu.h"
#include "core/stats.h"
#include "report/compare.h"
#include "report/sites.h"

const char *const ab_compare_site_verdicts[AB_CMPS_NVERDICT] = {"changed", "same", "too few rounds",
                                                                "new", "gone"};

/* Increments a side needs for a verdict: fewer cannot show a steady leak
 * from the odd round that frees a batch. */
#define MIN_INCREMENTS 4
/* The smallest change of a median increment that counts when BASE's is 0. */
#define ZERO_FLOOR 64.0

/* A site of one file: its run, its point's key (ab_point_key), the site. */
struct sref {
        const struct ab_vrun *run;
        const struct ab_vsite *s;
        char pkey[600];
        bool paired, comparable;
};

struct sside {
        const char *path;
        struct sref *v; /* every site, the file's order */
        size_t nv;
        struct sref **by_key; /* the first of each key, sorted by point key then site key */
        size_t n;
        char (*traced)[600]; /* the point keys whose trace pass went well, sorted */
        size_t ntraced;
};

/* ---- reading ------------------------------------------------------------------- */

static void site_point_key(const struct ab_vrun *r, const struct ab_vpoint *p, char *buf,
                           size_t len)
{
        if (p)
                ab_point_key(r, p, buf, len);
        else
                snprintf(buf, len, "%s|%s|-", r->alloc, r->workload_id);
}

/* Two point keys (the key sought, or an element of traced). */
static int by_pkey(const void *a, const void *b)
{
        return strcmp((const char *)a, (const char *)b);
}

static int by_site(const void *a, const void *b)
{
        const struct sref *x = *(const struct sref *const *)a, *y = *(const struct sref *const *)b;
        int c = strcmp(x->pkey, y->pkey);
        if (!c)
                c = strcmp(x->s->key, y->s->key);
        /* equal keys in the file's order, so that the first one is kept */
        return c ? c : (x > y) - (x < y);
}

static int by_site_only(const void *a, const void *b)
{
        const struct sref *x = *(const struct sref *const *)a, *y = *(const struct sref *const *)b;
        int c = strcmp(x->pkey, y->pkey);
        return c ? c : strcmp(x->s->key, y->s->key);
}

/* The points of d whose trace pass went well (status ok, complete). */
static int traced_points(const struct ab_doc *d, struct sside *s)
{
        size_t cap = 0;
        for (size_t i = 0; i < d->nruns; i++)
                cap += d->runs[i].trace.npoints;
        s->traced = calloc(cap + 1, sizeof *s->traced);
        if (!s->traced)
                return -ENOMEM;
        for (size_t i = 0; i < d->nruns; i++) {
                const struct ab_vrun *r = &d->runs[i];
                for (size_t k = 0; r->trace.target && k < r->trace.npoints; k++) {
                        const struct ab_vtrace_point *p = &r->trace.points[k];
                        if (strcmp(p->status, "ok") == 0 && !p->incomplete && p->point)
                                site_point_key(r, p->point, s->traced[s->ntraced++],
                                               sizeof s->traced[0]);
                }
        }
        qsort(s->traced, s->ntraced, sizeof *s->traced, by_pkey);
        return 0;
}

static bool is_traced(const struct sside *s, const char *pkey)
{
        return s->ntraced && bsearch(pkey, s->traced, s->ntraced, sizeof *s->traced, by_pkey);
}

/* Every site of d, indexed by key; a site whose key an earlier one of the
 * same point has is left out with a note. */
static int side_load(const struct ab_compare_side *cs, struct sside *s)
{
        size_t cap = 0, n = 0;
        s->path = cs->path;
        for (size_t i = 0; i < cs->doc.nruns; i++)
                cap += cs->doc.runs[i].nsites;
        s->v = calloc(cap + 1, sizeof *s->v);
        s->by_key = calloc(cap + 1, sizeof *s->by_key);
        if (!s->v || !s->by_key || traced_points(&cs->doc, s))
                return -ENOMEM;
        for (size_t i = 0; i < cs->doc.nruns; i++) {
                const struct ab_vrun *r = &cs->doc.runs[i];
                for (size_t j = 0; j < r->nsites; j++) {
                        struct sref *e = &s->v[s->nv];
                        e->run = r;
                        e->s = &r->sites[j];
                        site_point_key(r, e->s->point, e->pkey, sizeof e->pkey);
                        s->by_key[s->nv++] = e;
                }
        }
        qsort(s->by_key, s->nv, sizeof *s->by_key, by_site);
        for (size_t i = 0; i < s->nv; i++) {
                if (i && by_site_only(&s->by_key[i], &s->by_key[i - 1]) == 0) {
                        ab_err("compare",
                               "%s: site %s of %s appears more than once; the first "
                               "is compared",
                               s->path, s->by_key[i]->s->key, s->by_key[i]->pkey);
                        continue;
                }
                s->by_key[n++] = s->by_key[i];
        }
        s->n = n;
        return 0;
}

static void side_free(struct sside *s)
{
        free(s->v);
        free(s->by_key);
        free(s->traced);
}

/* ---- one site ------------------------------------------------------------------ */

static json_t *num(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

/* The increments of live bytes from one round's end to the next after the
 * warm-up, rounds whose figure is unknown left out, into x (room for
 * nrounds); how many. */
static size_t increments(const struct ab_vsite *s, double *x)
{
        size_t n = 0;
        for (size_t i = ab_site_warmup(s->nrounds) + 1; i < s->nrounds; i++)
                if (isfinite(s->live_bytes[i]) && isfinite(s->live_bytes[i - 1]))
                        x[n++] = s->live_bytes[i] - s->live_bytes[i - 1];
        return n;
}

/* A side of an entry: the site's left-over per round and its increments'
 * count and median (x is sorted by the way). */
static json_t *side_json(const struct ab_vsite *s, double *x, size_t n)
{
        double med = n ? ab_stats_median(x, n) : NAN;
        return json_pack("{s:o, s:I, s:o, s:o, s:I}", "left_per_round",
                         ab_site_has_trend(s) ? num(ab_site_leftover(s)) : json_null(),
                         "increments", (json_int_t)n, "median_increment", num(med), "live_end",
                         num(s->total[AB_ST_LIVE_BYTES]), "rounds", (json_int_t)s->nrounds);
}

/* The site's verdict from the verdicts file (bench run --verdicts), or null. */
static json_t *own_verdict(const struct ab_vsite *s)
{
        if (!s->verdict)
                return json_null();
        return json_pack("{s:s, s:s?, s:b, s:s?}", "verdict", s->verdict, "match", s->verdict_match,
                         "new", s->verdict_new, "note", s->verdict_note);
}

/* The verdict of a pair whose increments are xb[0..nb) and xn[0..nn), with
 * the test's fields in e; *grew when NEW's median is the larger. */
static const char *judge(const struct ab_compare_opts *o, json_t *e, double *xb, size_t nb,
                         double *xn, size_t nn, bool *grew, char *note, size_t len)
{
        struct ab_mwu t = {0};
        double mb, mn;
        bool apart;
        if (nb == 0 && nn == 0) {
                snprintf(note, len,
                         "no rounds after the warm-up in either file: a workload without rounds "
                         "has no left-over per round");
                return ab_compare_site_verdicts[AB_CMPS_TOO_FEW_ROUNDS];
        }
        if (nb < MIN_INCREMENTS || nn < MIN_INCREMENTS) {
                snprintf(note, len,
                         "%zu and %zu increments after the warm-up, at least %d a side are "
                         "needed: trace more rounds",
                         nb, nn, MIN_INCREMENTS);
                return ab_compare_site_verdicts[AB_CMPS_TOO_FEW_ROUNDS];
        }
        /* U of NEW against BASE: above nb*nn/2 when NEW leaves more */
        if (ab_mwu_test(xn, nn, xb, nb, &t) != 0) {
                t.p = NAN;
                t.p_min = 1;
        }
        json_object_set_new(e, "u", num(t.u));
        json_object_set_new(e, "p", num(t.p));
        json_object_set_new(e, "p_min", num(t.p_min));
        json_object_set_new(e, "test", json_string(t.exact ? "exact" : "normal"));
        if (t.p_min >= o->alpha) {
                snprintf(note, len,
                         "%zu and %zu increments cannot give p < %g whatever the data (the "
                         "smallest possible p is %.2g): trace more rounds",
                         nb, nn, o->alpha, t.p_min);
                return ab_compare_site_verdicts[AB_CMPS_TOO_FEW_ROUNDS];
        }
        mb = ab_stats_median(xb, nb);
        mn = ab_stats_median(xn, nn);
        apart = mb != 0 ? fabs(mn - mb) > o->threshold * fabs(mb) : fabs(mn - mb) > ZERO_FLOOR;
        if (!(t.p < o->alpha && apart))
                return ab_compare_site_verdicts[AB_CMPS_SAME];
        *grew = mn > mb;
        return ab_compare_site_verdicts[AB_CMPS_CHANGED];
}

/* The entry of a site: both sides when b and n, else the one file's; its
 * verdict counted in sum. NULL when out of memory. */
static json_t *site_entry(const struct ab_compare_opts *o, const struct sref *b,
                          const struct sref *n, struct ab_compare_summary *sum)
{
        const struct sref *one = b ? b : n;
        const struct ab_vsite *s = one->s;
        double *xb = malloc(((b ? b->s->nrounds : 0) + 1) * sizeof *xb),
               *xn = malloc(((n ? n->s->nrounds : 0) + 1) * sizeof *xn);
        size_t nb = b ? increments(b->s, xb) : 0, nn = n ? increments(n->s, xn) : 0, k;
        const char *verdict, *change = NULL;
        bool grew = false, regression = false;
        char note[256] = "";
        json_t *e = NULL;
        if (!xb || !xn)
                goto out;
        e = json_pack("{s:s, s:s, s:s, s:s}", "allocator", one->run->alloc, "workload",
                      one->run->workload_id, "point", s->point ? s->point->label : "-", "site",
                      s->key);
        if (!e)
                goto out;
        /* the test's fields, null unless a test was made */
        json_object_update_new(e, json_pack("{s:n, s:n, s:n, s:n}", "u", "p", "p_min", "test"));
        if (b && n) {
                verdict = judge(o, e, xb, nb, xn, nn, &grew, note, sizeof note);
                if (verdict == ab_compare_site_verdicts[AB_CMPS_CHANGED])
                        change = grew ? "grew" : "shrank";
                regression = grew;
        } else if (n) {
                verdict = ab_compare_site_verdicts[AB_CMPS_NEW];
                for (k = 0; k < nn && xn[k] > 0; k++)
                        ;
                regression = nn >= MIN_INCREMENTS && k == nn;
                if (regression)
                        snprintf(note, sizeof note,
                                 "leaves bytes in every one of its %zu rounds after the warm-up",
                                 nn);
        } else {
                verdict = ab_compare_site_verdicts[AB_CMPS_GONE];
        }
        /* the sides' figures last: side_json sorts the increments */
        json_object_set_new(e, "base", b ? side_json(b->s, xb, nb) : json_null());
        json_object_set_new(e, "new", n ? side_json(n->s, xn, nn) : json_null());
        json_object_set_new(e, "verdict", json_string(verdict));
        json_object_set_new(e, "change", change ? json_string(change) : json_null());
        json_object_set_new(e, "regression", json_boolean(regression));
        json_object_set_new(e, "note", note[0] ? json_string(note) : json_null());
        json_object_set_new(e, "site_verdict", own_verdict(n ? n->s : b->s));
        for (k = 0; k < AB_CMPS_NVERDICT; k++)
                sum->sites[k] += verdict == ab_compare_site_verdicts[k];
        sum->site_regressions += regression;
out:
        free(xb);
        free(xn);
        return e;
}

/* ---- the sites of two files ------------------------------------------------------ */

/* Mark the sites of a whose point b traced well too (or count them as not
 * compared), and pair them with b's. */
static void pair_sites(struct sside *a, struct sside *b, struct ab_compare_summary *sum, bool base)
{
        for (size_t i = 0; i < a->n; i++) {
                struct sref *e = a->by_key[i], **hit;
                if (!is_traced(a, e->pkey) || !is_traced(b, e->pkey)) {
                        sum->sites_not_compared++;
                        continue;
                }
                e->comparable = true;
                if (!base)
                        continue;
                hit = bsearch(&e, b->by_key, b->n, sizeof *b->by_key, by_site_only);
                if (hit)
                        e->paired = (*hit)->paired = true;
        }
}

/* The site of n paired with e (paired), or NULL. */
static struct sref *partner(const struct sside *n, const struct sref *e)
{
        struct sref **hit = bsearch(&e, n->by_key, n->n, sizeof *n->by_key, by_site_only);
        return hit ? *hit : NULL;
}

/* Is e the first of its key in its side (the one compared)? */
static bool kept(const struct sside *s, const struct sref *e)
{
        struct sref **hit = bsearch(&e, s->by_key, s->n, sizeof *s->by_key, by_site_only);
        return hit && *hit == e;
}

json_t *ab_compare_sites(const struct ab_compare_opts *o, const struct ab_compare_side *b,
                         const struct ab_compare_side *n, struct ab_compare_summary *sum)
{
        struct sside sb = {0}, sn = {0};
        json_t *out = json_array();
        bool ok = out != NULL;
        ok = ok && side_load(b, &sb) == 0 && side_load(n, &sn) == 0;
        if (ok) {
                pair_sites(&sb, &sn, sum, true);
                pair_sites(&sn, &sb, sum, false);
        }
        /* BASE's sites in its order, paired or gone; then NEW's new ones */
        for (size_t i = 0; ok && i < sb.nv + sn.nv; i++) {
                bool in_base = i < sb.nv;
                const struct sref *e = in_base ? &sb.v[i] : &sn.v[i - sb.nv];
                json_t *entry;
                if (!(in_base ? kept(&sb, e) : kept(&sn, e)) || !e->comparable ||
                    (!in_base && e->paired))
                        continue;
                entry = in_base ? site_entry(o, e, e->paired ? partner(&sn, e) : NULL, sum)
                                : site_entry(o, NULL, e, sum);
                ok = entry && json_array_append_new(out, entry) == 0;
        }
        side_free(&sb);
        side_free(&sn);
        if (!ok) {
                json_decref(out);
                return NULL;
        }
        return out;
}
