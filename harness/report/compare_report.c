/*
 * compare_report.c - the report of `bench compare` (compare.h): the pairs'
 * entries (compare_pair.c), then what differs in how the runs were made,
 * flags new and gone, the two files and their hosts, points in one file
 * only, the sites (compare_sites.c), and the summary. Flags pair by kind,
 * allocator, workload and where; one that NEW raises and BASE did not is a
 * regression.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/compare.h"

const char *const ab_compare_host_fields[AB_COMPARE_NHOST] = {
    "hostname", "os", "kernel", "arch", "cpu_model", "cores", "libc", "page_size", "thp"};

static const char *const verdict_names[AB_CMP_NVERDICT] = {
    "slower", "faster", "same", "not significant", "too few reps", "missing", "not comparable"};

/* ---- values as JSON ------------------------------------------------------------ */

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

/* A list or an object: what neither the work check nor the conditions compare. */
static bool kv_compound(const struct ab_kv *kv)
{
        return kv && (kv->is_list || (!kv->str && isnan(kv->num) && kv->text[0] == '{'));
}

/* ---- how the runs were made ---------------------------------------------------------- */

/* One difference of how a pair of runs was made, when a and b (new
 * references, NULL when absent; JSON null reads as absent) differ. */
static void condition(json_t *out, const struct ab_vrun *rb, const char *what, json_t *a, json_t *b)
{
        if ((a || b) && !json_equal(a ? a : json_null(), b ? b : json_null()))
                json_array_append_new(out,
                                      json_pack("{s:s, s:s, s:s, s:O, s:O}", "allocator", rb->alloc,
                                                "workload", rb->workload, "what", what, "base",
                                                a ? a : json_null(), "new", b ? b : json_null()));
        json_decref(a);
        json_decref(b);
}

/* The environment or the workload parameters of a pair of runs: every key of
 * either, BASE's first, scalars only (the swept list is what the points
 * already show). A key one run lacks differs even from a null. */
static void kv_conditions(json_t *out, const struct ab_vrun *rb, const char *obj,
                          const struct ab_kv *kb, size_t nb, const struct ab_kv *kn, size_t nn)
{
        for (size_t i = 0; i < nb + nn; i++) {
                const char *key = i < nb ? kb[i].key : kn[i - nb].key;
                const struct ab_kv *a = ab_compare_kv_find(kb, nb, key),
                                   *b = ab_compare_kv_find(kn, nn, key);
                json_t *ja, *jb;
                char what[256];
                if ((i >= nb && a) || kv_compound(a) || kv_compound(b))
                        continue;
                ja = ab_compare_kv_json(a);
                jb = ab_compare_kv_json(b);
                if (ja && jb && json_equal(ja, jb)) {
                        json_decref(ja);
                        json_decref(jb);
                        continue;
                }
                snprintf(what, sizeof what, "%s.%s", obj, key);
                json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:o, s:o}", "allocator",
                                                     rb->alloc, "workload", rb->workload, "what",
                                                     what, "base", ja ? ja : json_null(), "new",
                                                     jb ? jb : json_null()));
        }
}

static json_t *seed_json(const struct ab_doc *d, const struct ab_vrun *r)
{
        long long seed;
        return ab_vrun_seed(d, r, &seed) == 0 ? json_integer((json_int_t)seed) : NULL;
}

/* What differs in how a pair of runs was made: the allocator actually
 * loaded, seed, launcher, placement, environment, scalar workload
 * parameters. Not the job file's path, which differs from machine to machine
 * for the same file. */
static void conditions(const struct ab_compare_side *b, const struct ab_vrun *rb,
                       const struct ab_compare_side *n, const struct ab_vrun *rn, json_t *out)
{
#define OPT_STR(s) ((s) ? json_string(s) : NULL)
        condition(out, rb, "allocator.version", OPT_STR(rb->alloc_version),
                  OPT_STR(rn->alloc_version));
        condition(out, rb, "allocator.library", OPT_STR(rb->alloc_library),
                  OPT_STR(rn->alloc_library));
        condition(out, rb, "seed", seed_json(&b->doc, rb), seed_json(&n->doc, rn));
        condition(out, rb, "wrap", OPT_STR(rb->wrap), OPT_STR(rn->wrap));
        condition(out, rb, "placement",
                  json_pack("{s:s?, s:s?}", "cpus", rb->cpus, "numa", rb->numa),
                  json_pack("{s:s?, s:s?}", "cpus", rn->cpus, "numa", rn->numa));
#undef OPT_STR
        kv_conditions(out, rb, "env", rb->env, rb->nenv, rn->env, rn->nenv);
        kv_conditions(out, rb, "params", rb->params, rb->nparams, rn->params, rn->nparams);
}

/* The first run of s of allocator alloc and workload (id) wl, or NULL. */
static const struct ab_vrun *first_run(const struct ab_compare_side *s, const char *alloc,
                                       const char *wl)
{
        for (size_t i = 0; i < s->doc.nruns; i++)
                if (strcmp(s->doc.runs[i].alloc, alloc) == 0 &&
                    strcmp(s->doc.runs[i].workload_id, wl) == 0)
                        return &s->doc.runs[i];
        return NULL;
}

/* Every allocator and workload both files ran, BASE's order: the first run of each. */
static void all_conditions(const struct ab_compare_side *b, const struct ab_compare_side *n,
                           json_t *out)
{
        for (size_t i = 0; i < b->doc.nruns; i++) {
                const struct ab_vrun *rb = &b->doc.runs[i], *rn;
                if (first_run(b, rb->alloc, rb->workload_id) != rb)
                        continue;
                rn = first_run(n, rb->alloc, rb->workload_id);
                if (rn)
                        conditions(b, rb, n, rn, out);
        }
}

/* ---- flags ------------------------------------------------------------------------- */

static char *flag_key(const struct ab_vflag *f)
{
        char *where = json_dumps(f->where, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY), *k;
        size_t len = strlen(f->kind) + strlen(f->allocator) + strlen(f->workload_id) +
                     (where ? strlen(where) : 4) + 4;
        k = malloc(len);
        if (k)
                snprintf(k, len, "%s|%s|%s|%s", f->kind, f->allocator, f->workload_id,
                         where ? where : "null");
        free(where);
        return k;
}

static json_t *flag_json(const struct ab_vflag *f)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "kind", f->kind, "severity",
                         f->severity, "allocator", f->allocator, "workload", f->workload, "where",
                         f->where ? json_deep_copy(f->where) : json_null(), "evidence",
                         f->evidence ? json_deep_copy(f->evidence) : json_null(), "message",
                         f->message, "hint", f->hint);
}

static bool has_key(char **keys, size_t n, const char *k)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(keys[i], k) == 0)
                        return true;
        return false;
}

/* Flags of `from` whose key is not among `other`'s, for the runs (allocator
 * and workload, with cmd's program and the launcher: the flag's workload_id)
 * both files have; NULL when out of memory. */
static json_t *flags_only(const struct ab_compare_side *from, const struct ab_compare_side *other)
{
        size_t n = 0, cap = other->doc.nflags + from->doc.nflags;
        char **keys = calloc(cap + 1, sizeof *keys);
        json_t *out = json_array();
        bool ok = keys && out;
        for (size_t i = 0; ok && i < other->doc.nflags; i++)
                ok = (keys[n++] = flag_key(&other->doc.flags[i])) != NULL;
        for (size_t i = 0; ok && i < from->doc.nflags; i++) {
                const struct ab_vflag *f = &from->doc.flags[i];
                char *k;
                if (!first_run(from, f->allocator, f->workload_id) ||
                    !first_run(other, f->allocator, f->workload_id))
                        continue;
                if (!(k = flag_key(f))) {
                        ok = false;
                        break;
                }
                if (has_key(keys, n, k)) {
                        free(k);
                        continue;
                }
                keys[n++] = k; /* list a duplicate once */
                ok = json_array_append_new(out, flag_json(f)) == 0;
        }
        for (size_t i = 0; keys && i < n; i++)
                free(keys[i]);
        free(keys);
        if (!ok) {
                json_decref(out);
                return NULL;
        }
        return out;
}

/* ---- the files ------------------------------------------------------------------------ */

json_t *ab_compare_host_field(const struct ab_vhost *h, size_t field)
{
        switch (field) {
        case 0:
                return str_or_null(h->hostname);
        case 1:
                return str_or_null(h->os);
        case 2:
                return str_or_null(h->kernel);
        case 3:
                return str_or_null(h->arch);
        case 4:
                return str_or_null(h->cpu_model);
        case 5:
                return ab_compare_count_json(h->cores);
        case 6:
                return str_or_null(h->libc);
        case 7:
                return ab_compare_count_json(h->page_size);
        default:
                return str_or_null(h->thp);
        }
}

static json_t *file_block(const struct ab_compare_side *s)
{
        json_t *h = json_object();
        for (size_t i = 0; i < AB_COMPARE_NHOST; i++)
                json_object_set_new(h, ab_compare_host_fields[i],
                                    ab_compare_host_field(&s->doc.host, i));
        return json_pack("{s:s, s:o, s:o, s:b}", "file", s->path, "created",
                         str_or_null(s->doc.created), "host", h, "interrupted", s->doc.interrupted);
}

static json_t *host_differences(const struct ab_compare_side *b, const struct ab_compare_side *n)
{
        json_t *out = json_array();
        for (size_t i = 0; i < AB_COMPARE_NHOST; i++) {
                json_t *a = ab_compare_host_field(&b->doc.host, i),
                       *c = ab_compare_host_field(&n->doc.host, i);
                if (!json_equal(a, c))
                        json_array_append_new(out, json_string(ab_compare_host_fields[i]));
                json_decref(a);
                json_decref(c);
        }
        return out;
}

/* ---- the report ------------------------------------------------------------------------ */

static json_t *only_in(const struct ab_compare_side *s)
{
        json_t *out = json_array();
        for (size_t i = 0; i < s->n; i++)
                if (!s->p[i].paired)
                        json_array_append_new(out, ab_compare_ident(&s->p[i]));
        return out;
}

static json_t *summary_json(const struct ab_compare_summary *sum, size_t nmem, json_t *only_b,
                            json_t *only_n)
{
        const int *c = sum->verdicts, *s = sum->sites;
        json_t *j = json_pack(
            "{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I}", "slower",
            c[AB_CMP_SLOWER], "faster", c[AB_CMP_FASTER], "same", c[AB_CMP_SAME], "not_significant",
            c[AB_CMP_NOT_SIGNIFICANT], "too_few_reps", c[AB_CMP_TOO_FEW_REPS], "missing",
            c[AB_CMP_MISSING], "not_comparable", c[AB_CMP_NOT_COMPARABLE], "memory_regressions",
            sum->mem_regressions, "memory_improvements", (int)nmem - sum->mem_regressions,
            "flags_new", sum->flags_new, "only_in_base", (json_int_t)json_array_size(only_b),
            "only_in_new", (json_int_t)json_array_size(only_n));
        /* the sites' counts beside the points', under names of their own */
        if (j)
                json_object_update_new(
                    j, json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "sites_changed",
                                 s[AB_CMPS_CHANGED], "sites_same", s[AB_CMPS_SAME],
                                 "sites_too_few_rounds", s[AB_CMPS_TOO_FEW_ROUNDS], "sites_new",
                                 s[AB_CMPS_NEW], "sites_gone", s[AB_CMPS_GONE], "site_regressions",
                                 sum->site_regressions, "sites_not_compared",
                                 sum->sites_not_compared));
        return j;
}

/* The points' entries and their memory changes; the verdicts counted in sum.
 * 0, or -ENOMEM. */
static int pair_entries(const struct ab_compare_opts *o, struct ab_compare_pair *pairs,
                        size_t npairs, json_t *points, json_t *mem, struct ab_compare_summary *sum)
{
        for (size_t i = 0; i < npairs; i++) {
                json_t *e = ab_compare_pair_entry(o, &pairs[i]);
                if (!e || json_array_append_new(points, e))
                        return -ENOMEM;
                for (int k = 0; k < AB_CMP_NVERDICT; k++)
                        sum->verdicts[k] += strcmp(pairs[i].verdict, verdict_names[k]) == 0;
                sum->mem_regressions += ab_compare_memory(o, &pairs[i], mem);
        }
        return 0;
}

json_t *ab_compare_report(const struct ab_compare_opts *o, const struct ab_compare_side *b,
                          const struct ab_compare_side *n, struct ab_compare_pair *pairs,
                          size_t npairs, struct ab_compare_summary *sum)
{
        json_t *rep = json_object(), *points = json_array(), *mem = json_array(),
               *cond = json_array(), *fnew = flags_only(n, b), *fgone = flags_only(b, n);
        json_t *only_b = only_in(b), *only_n = only_in(n), *sites;
        memset(sum, 0, sizeof *sum);
        sites = ab_compare_sites(o, b, n, sum);
        if (!rep || !points || !mem || !cond || !fnew || !fgone || !only_b || !only_n || !sites ||
            pair_entries(o, pairs, npairs, points, mem, sum)) {
                json_decref(rep);
                json_decref(points);
                json_decref(mem);
                json_decref(cond);
                json_decref(fnew);
                json_decref(fgone);
                json_decref(only_b);
                json_decref(only_n);
                json_decref(sites);
                return NULL;
        }
        all_conditions(b, n, cond);
        sum->flags_new = (int)json_array_size(fnew);
        sum->regression = sum->verdicts[AB_CMP_SLOWER] > 0 || sum->mem_regressions > 0 ||
                          sum->flags_new > 0 || sum->site_regressions > 0;
        json_object_set_new(rep, "schema", json_string("allocbench/compare/1"));
        json_object_set_new(rep, "base", file_block(b));
        json_object_set_new(rep, "new", file_block(n));
        json_object_set_new(rep, "host_differences", host_differences(b, n));
        json_object_set_new(rep, "alpha", json_real(o->alpha));
        json_object_set_new(rep, "threshold", json_real(o->threshold));
        json_object_set_new(rep, "mem_threshold",
                            o->mem_threshold < 0 ? json_null() : json_real(o->mem_threshold));
        json_object_set_new(rep, "points", points);
        json_object_set_new(rep, "conditions", cond);
        json_object_set_new(rep, "memory", mem);
        json_object_set_new(rep, "flags", json_pack("{s:o, s:o}", "new", fnew, "gone", fgone));
        json_object_set_new(rep, "only_in_base", only_b);
        json_object_set_new(rep, "only_in_new", only_n);
        json_object_set_new(rep, "sites", sites);
        json_object_set_new(rep, "summary",
                            summary_json(sum, json_array_size(mem), only_b, only_n));
        json_object_set_new(rep, "regression", json_boolean(sum->regression));
        return rep;
}
