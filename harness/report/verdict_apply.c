/*
 * verdict_apply.c - verdicts and budgets applied to a traced results
 * document (verdict.h): each site annotated with its verdict, each site
 * flag that a verdict accepts marked so, and the flags verdicts and budgets
 * raise of their own (site-regressed, bound-exceeded, budget-exceeded),
 * built as the detectors build theirs (detect/detect.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "detect/detect.h"
#include "report/sites.h"
#include "report/verdict.h"

/* ---- budgets -------------------------------------------------------------------- */

static const struct {
        const char *name;
        enum ab_budget_metric m;
        bool size; /* a size (4KiB), else a count */
} metrics[] = {{"left_per_round", AB_BM_LEFT_PER_ROUND, true},
               {"live_end", AB_BM_LIVE_END, true},
               {"bytes", AB_BM_BYTES, true},
               {"allocs", AB_BM_ALLOCS, false}};

#define BUDGET_FORM                                                                                \
        "accepted: [GLOB:]METRIC<=VALUE with METRIC left_per_round, live_end, bytes or allocs, "   \
        "e.g. 'left_per_round<=0' or 'sess_*:left_per_round<=8KiB'"

int ab_budget_parse(const char *text, struct ab_budget *b, char *err, size_t errlen)
{
        const char *le = strstr(text, "<="), *colon, *m;
        char name[64], val[64];
        uint64_t v;
        memset(b, 0, sizeof *b);
        b->text = text;
        if (!le) {
                snprintf(err, errlen, "--budget '%s': no '<=' (%s)", text, BUDGET_FORM);
                return -EINVAL;
        }
        colon = memchr(text, ':', (size_t)(le - text));
        m = colon ? colon + 1 : text;
        if (colon && ((size_t)(colon - text) >= sizeof b->glob || colon == text)) {
                snprintf(err, errlen, "--budget '%s': bad site pattern (%s)", text, BUDGET_FORM);
                return -EINVAL;
        }
        if (colon)
                snprintf(b->glob, sizeof b->glob, "%.*s", (int)(colon - text), text);
        snprintf(name, sizeof name, "%.*s", (int)((size_t)(le - m) < sizeof name ? le - m : 0), m);
        snprintf(val, sizeof val, "%s", le + 2);
        for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
                if (strcmp(name, metrics[i].name) != 0)
                        continue;
                if ((metrics[i].size ? ab_parse_size(val, &v) : ab_parse_u64(val, &v)) != 0) {
                        snprintf(err, errlen, "--budget '%s': '%s' is not a %s (%s)", text, val,
                                 metrics[i].size ? "size" : "count", BUDGET_FORM);
                        return -EINVAL;
                }
                b->metric = metrics[i].m;
                b->limit = (double)v;
                return 0;
        }
        snprintf(err, errlen, "--budget '%s': unknown metric '%s' (%s)", text, name, BUDGET_FORM);
        return -EINVAL;
}

/* Does budget b's pattern name the site with this key (the key itself, or
 * one of its function names)? */
static bool budget_names(const struct ab_budget *b, const char *key)
{
        char buf[2048];
        const char *fn[32];
        size_t n;
        if (!b->glob[0] || fnmatch(b->glob, key, 0) == 0)
                return true;
        n = ab_key_functions(key, buf, sizeof buf, fn, 32);
        for (size_t i = 0; i < n; i++)
                if (fnmatch(b->glob, fn[i], 0) == 0)
                        return true;
        return false;
}

static double budget_value(const struct ab_budget *b, const struct ab_vsite *s)
{
        switch (b->metric) {
        case AB_BM_LEFT_PER_ROUND:
                return ab_site_leftover(s);
        case AB_BM_LIVE_END:
                return ab_site_total(s, AB_ST_LIVE_BYTES);
        case AB_BM_BYTES:
                return ab_site_total(s, AB_ST_BYTES_ALLOC);
        default:
                return ab_site_total(s, AB_ST_ALLOCS);
        }
}

/* ---- verdicts ---------------------------------------------------------------------- */

/* The verdict of one site, as applied. */
struct applied {
        const struct ab_vrun *run;
        const struct ab_vsite *site;
        const struct ab_ventry *e;
        enum ab_vmatch how;
        bool within; /* not bounded, or bounded within its bound */
};

static json_t *notes_json(const struct ab_ventry *e)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f;
        json_t *s;
        if (!e->nnotes || !(f = open_memstream(&text, &len)))
                return json_null();
        for (size_t i = 0; i < e->nnotes; i++)
                fprintf(f, "%s%s", i ? "\n" : "", e->notes[i]);
        fclose(f);
        s = json_string(text);
        free(text);
        return s ? s : json_null();
}

static json_t *verdict_json(const struct applied *a)
{
        const struct ab_ventry *e = a->e;
        if (!e)
                return json_pack("{s:s,s:n,s:b}", "verdict", "undecided", "match", "new", true);
        return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s?,s:s?,s:b}", "verdict",
                         ab_verdict_names[e->verdict], "match", ab_vmatch_names[a->how], "entry",
                         e->site, "note", notes_json(e), "bound", ab_jreal(e->bound), "by", e->by,
                         "when", e->when, "within_bound", a->within);
}

static void short_name(const struct ab_vsite *s, char *buf, size_t len)
{
        ab_site_short_key(buf, len, s->key, 3);
}

static void bound_flag(struct ab_flags *fl, const struct applied *a, double left)
{
        char name[512], l[32], b[32];
        short_name(a->site, name, sizeof name);
        ab_flag_add(fl, a->run, "bound-exceeded", "warn",
                    json_pack("{s:s}", "site", a->site->key),
                    json_pack("{s:f,s:f,s:s}", "left_per_round", left, "bound", a->e->bound,
                              "entry", a->e->site),
                    "site %s leaves %s a round, past the bound its verdict states (%s a round)",
                    name, ab_site_bytes(left, l, sizeof l), ab_site_bytes(a->e->bound, b, sizeof b));
        ab_flag_hint(fl, "the site was judged bounded at %s a round: either it grew (a change "
                         "since the verdict was made) or the bound was too tight; bench verdicts "
                         "set decides again",
                     b);
}

static void budget_flag(struct ab_flags *fl, const struct applied *a, const struct ab_budget *b,
                        double value)
{
        char name[512], v[32], lim[32];
        bool size = b->metric != AB_BM_ALLOCS;
        short_name(a->site, name, sizeof name);
        if (size) {
                ab_site_bytes(value, v, sizeof v);
                ab_site_bytes(b->limit, lim, sizeof lim);
        } else {
                snprintf(v, sizeof v, "%.0f", value);
                snprintf(lim, sizeof lim, "%.0f", b->limit);
        }
        ab_flag_add(fl, a->run, "budget-exceeded", "warn",
                    json_pack("{s:s}", "site", a->site->key),
                    json_pack("{s:s,s:f,s:f}", "budget", b->text, "value", value, "limit",
                              b->limit),
                    "site %s is past the budget %s: %s against %s", name, b->text, v, lim);
        ab_flag_hint(fl, "--budget is what CI allows a site; the site's frames are in bench "
                         "sites FILE");
}

static void regressed_flag(struct ab_flags *fl, const struct applied *a, const char *kind)
{
        char name[512];
        short_name(a->site, name, sizeof name);
        ab_flag_add(fl, a->run, "site-regressed", "high", json_pack("{s:s}", "site", a->site->key),
                    json_pack("{s:s,s:s,s:s?,s:s?}", "flag", kind, "entry", a->e->site, "by",
                              a->e->by, "when", a->e->when),
                    "site %s was marked fixed (%s%s%s) and is flagged again (%s)", name,
                    a->e->by ? a->e->by : "", a->e->by && a->e->when ? ", " : "",
                    a->e->when ? a->e->when : "", kind);
        ab_flag_hint(fl, "a fix that came undone: the frames and notes of the verdict say what "
                         "was fixed (bench verdicts show)");
}

/* The applied verdict of the site a flag names, or NULL. */
static const struct applied *applied_of(const struct applied *ap, size_t n,
                                        const struct ab_vflag *f)
{
        json_t *site = json_object_get(f->where, "site");
        if (!json_is_string(site))
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (strcmp(ap[i].run->alloc, f->allocator) == 0 &&
                    strcmp(ap[i].run->workload_id, f->workload_id) == 0 &&
                    strcmp(ap[i].site->key, json_string_value(site)) == 0)
                        return &ap[i];
        return NULL;
}

/* May entry e, which site s matched only fuzzily, be s's? Not when it is
 * another site's of the same run exactly (that site is what it was decided
 * on: the timer's leak says nothing of the buffers allocated beside it), nor
 * when it matches another of the run's sites fuzzily too. */
static bool fuzzy_free(const struct ab_ventry *e, const struct ab_vrun *r,
                       const struct ab_vsite *s, const struct ab_verdicts *v)
{
        for (size_t i = 0; i < r->nsites; i++) {
                enum ab_vmatch how;
                const struct ab_ventry *o;
                if (&r->sites[i] == s)
                        continue;
                o = ab_verdicts_match(v, r->sites[i].key, &how);
                if (o == e)
                        return false;
        }
        return true;
}

/* Verdicts onto the sites of every run; bounds and budgets checked. */
static int annotate(json_t *doc, const struct ab_doc *d, const struct ab_verdicts *v,
                    const struct ab_budget *b, size_t nb, struct applied *ap, size_t *nap,
                    struct ab_flags *fl, struct ab_vsummary *sum)
{
        for (size_t i = 0; i < d->nruns; i++) {
                json_t *sites = json_object_get(json_array_get(json_object_get(doc, "runs"), i),
                                                "sites"),
                       *js;
                size_t j, k = 0;
                json_array_foreach(sites, j, js)
                {
                        struct applied *a;
                        double left;
                        if (!json_is_object(js) || k >= d->runs[i].nsites)
                                continue;
                        a = &ap[(*nap)++];
                        a->run = &d->runs[i];
                        a->site = &d->runs[i].sites[k++];
                        a->e = ab_verdicts_match(v, a->site->key, &a->how);
                        if (a->how == AB_VM_FUZZY &&
                            !fuzzy_free(a->e, &d->runs[i], a->site, v))
                                a->e = NULL, a->how = AB_VM_NONE;
                        left = ab_site_leftover(a->site);
                        a->within = !a->e || a->e->verdict != AB_V_BOUNDED || isnan(a->e->bound) ||
                                    !ab_site_has_trend(a->site) || left <= a->e->bound;
                        sum->sites++;
                        sum->matched += a->e != NULL;
                        sum->fuzzy += a->how == AB_VM_FUZZY;
                        sum->new_sites += !a->e;
                        if (!a->within) {
                                sum->over_bound++;
                                bound_flag(fl, a, left);
                        }
                        for (size_t q = 0; q < nb; q++) {
                                double x = budget_value(&b[q], a->site);
                                if (budget_names(&b[q], a->site->key) && x > b[q].limit) {
                                        sum->over_budget++;
                                        budget_flag(fl, a, &b[q], x);
                                }
                        }
                        if (json_object_set_new(js, "verdict", verdict_json(a)))
                                return -ENOMEM;
                }
        }
        return 0;
}

/* A run's memory growth (leak-growth, no site named) that its traced sites
 * account for: the sites judged safe, prob-safe or bounded leave at least
 * nine tenths of the growth a round, and no other site of the run is
 * flagged without a verdict that accepts it. Marked accepted when so. */
static bool explained(const struct ab_doc *d, const struct ab_vflag *f, const struct applied *ap,
                      size_t nap, json_t *jf)
{
        double growth = ab_vflag_evidence_num(f, "live_bytes_per_round"), left = 0;
        char keys[1024] = "";
        const char *verdict = NULL;
        if (strcmp(f->kind, "leak-growth") != 0)
                return false;
        if (isnan(growth))
                growth = ab_vflag_evidence_num(f, "rss_kib_per_round") * 1024;
        if (isnan(growth))
                growth = ab_vflag_evidence_num(f, "anon_kib_per_round") * 1024;
        if (!(growth > 0))
                return false;
        for (size_t i = 0; i < nap; i++) {
                const struct applied *a = &ap[i];
                if (strcmp(a->run->alloc, f->allocator) != 0 ||
                    strcmp(a->run->workload_id, f->workload_id) != 0)
                        continue;
                if (!a->e || !ab_verdict_accepts(a->e->verdict) || !a->within) {
                        /* a flagged site nobody accepted: the growth is not explained */
                        for (size_t k = 0; k < d->nflags; k++)
                                if (applied_of(ap, nap, &d->flags[k]) == a)
                                        return false;
                        continue;
                }
                if (ab_site_leftover(a->site) > 0) {
                        left += ab_site_leftover(a->site);
                        verdict = ab_verdict_names[a->e->verdict];
                        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s",
                                 keys[0] ? ", " : "", a->site->key);
                }
        }
        if (!verdict || left < 0.9 * growth)
                return false;
        json_object_set_new(jf, "accepted",
                            json_pack("{s:s,s:s,s:s}", "verdict", verdict, "entry", keys, "note",
                                      "the growth is what sites with accepting verdicts leave "
                                      "behind"));
        return true;
}

/* Flags: the detectors' accepted or not, then the new ones, most severe
 * first. */
static int merge_flags(json_t *doc, const struct ab_doc *d, const struct applied *ap, size_t nap,
                       struct ab_flags *fl, struct ab_vsummary *sum)
{
        json_t *flags = json_object_get(doc, "flags"), *added, *all = json_array(), *f;
        bool *regressed = calloc(nap + 1, sizeof *regressed);
        size_t i;
        if (!all || !regressed) {
                json_decref(all);
                free(regressed);
                return -ENOMEM;
        }
        for (i = 0; i < d->nflags && i < json_array_size(flags); i++) {
                const struct applied *a = applied_of(ap, nap, &d->flags[i]);
                if (!a && explained(d, &d->flags[i], ap, nap, json_array_get(flags, i))) {
                        sum->accepted++;
                        continue;
                }
                if (!a || !a->e)
                        continue;
                if (ab_verdict_accepts(a->e->verdict) && a->within) {
                        json_object_set_new(json_array_get(flags, i), "accepted",
                                            json_pack("{s:s,s:s,s:o}", "verdict",
                                                      ab_verdict_names[a->e->verdict], "entry",
                                                      a->e->site, "note", notes_json(a->e)));
                        sum->accepted++;
                } else if (a->e->verdict == AB_V_FIXED && !regressed[a - ap]) {
                        regressed[a - ap] = true;
                        sum->regressions++;
                        regressed_flag(fl, a, d->flags[i].kind);
                }
        }
        free(regressed);
        added = ab_flags_json(fl);
        /* most severe first, each list keeping its order */
        for (int rank = 2; rank >= -1; rank--) {
                json_array_foreach(flags, i, f)
                {
                        if (ab_severity_rank(json_string_value(json_object_get(f, "severity"))) ==
                            rank)
                                json_array_append(all, f);
                }
                json_array_foreach(added, i, f)
                {
                        if (ab_severity_rank(json_string_value(json_object_get(f, "severity"))) ==
                            rank)
                                json_array_append(all, f);
                }
        }
        json_decref(added);
        json_object_set_new(doc, "flags", all);
        return 0;
}

int ab_verdicts_apply(json_t *doc, const struct ab_verdicts *v, const struct ab_budget *b,
                      size_t nb, struct ab_vsummary *sum)
{
        struct ab_doc d;
        struct ab_flags fl = {0};
        struct applied *ap;
        size_t nsites = 0, nap = 0;
        char err[256];
        int r;
        memset(sum, 0, sizeof *sum);
        if (ab_doc_view(doc, &d, err, sizeof err))
                return -EINVAL;
        for (size_t i = 0; i < d.nruns; i++)
                nsites += d.runs[i].nsites;
        if (!(ap = calloc(nsites + 1, sizeof *ap))) {
                ab_doc_free(&d);
                return -ENOMEM;
        }
        r = annotate(doc, &d, v, b, nb, ap, &nap, &fl, sum);
        if (!r)
                r = merge_flags(doc, &d, ap, nap, &fl, sum);
        ab_flags_free(&fl);
        free(ap);
        ab_doc_free(&d);
        return r;
}
