/*
 * compare_hosts.c - the host view of bench compare (compare.h): the same
 * workloads side by side across results files from different hosts, OSes
 * and C libraries, and what differs in the hosts and in how the runs were
 * made. Two files get it in their report when their hosts differ; any
 * number get it alone with --hosts.
 *
 * The view is one JSON object, built from the files' views (doc.h) and
 * printed by compare_print.c:
 *   hosts        one per file: file, label (the hostname, told apart when
 *                two files share one), the host fields, the allocators'
 *                versions, and the options of its command (doc.h:
 *                ab_command_words);
 *   differences  what is not the same in every file: a host field
 *                (host.FIELD), an allocator's version (allocator.version,
 *                with allocator), an environment variable of the runs
 *                (env.KEY), a scalar workload parameter (params.KEY, with
 *                workload), the options; each with one value per file;
 *   workloads    per workload (its id, in the order first seen), a row per
 *                allocator and point any file has: per file the median
 *                ns/op, minor faults per op and RSS (null where the file
 *                lacks the point), the last file's ns/op over the first's,
 *                and whether the files that have it did the same work
 *                (op_hash and ops).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/compare.h"

/* ---- hosts ------------------------------------------------------------------------ */

/* The allocators of a file and the version each reported (its first run's). */
static json_t *alloc_versions(const struct ab_doc *d)
{
        json_t *o = json_object();
        for (size_t i = 0; i < d->nruns; i++)
                if (!json_object_get(o, d->runs[i].alloc))
                        json_object_set_new(o, d->runs[i].alloc,
                                            d->runs[i].alloc_version
                                                ? json_string(d->runs[i].alloc_version)
                                                : json_null());
        return o;
}

/* The options of a file's command, as one string ("" without a command). */
static json_t *options_json(const struct ab_doc *d)
{
        json_t *w = ab_command_words(json_object_get(d->json, "command"),
                                     AB_CMD_PROGRAM | AB_CMD_OUTPUT | AB_CMD_SHARD),
               *v;
        char buf[4096];
        size_t off = 0, i;
        buf[0] = '\0';
        json_array_foreach(w, i, v)
        {
                if (off < sizeof buf)
                        off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s", i ? " " : "",
                                                json_string_value(v) ? json_string_value(v) : "");
        }
        json_decref(w);
        return json_string(buf);
}

/* Each file's label: its hostname, told apart from another file's of the
 * same hostname by its C library, OS, kernel or CPU, else by its file's
 * name. */
static void labels(json_t *hosts)
{
        static const char *const by[] = {"libc", "os", "kernel", "cpu_model"};
        size_t n = json_array_size(hosts);
        for (size_t i = 0; i < n; i++) {
                json_t *h = json_array_get(hosts, i);
                const char *name = json_string_value(json_object_get(h, "hostname"));
                char label[256];
                bool dup = false;
                snprintf(label, sizeof label, "%s",
                         name ? name : json_string_value(json_object_get(h, "file")));
                for (size_t j = 0; j < n; j++)
                        dup |= j != i &&
                               json_equal(json_object_get(json_array_get(hosts, j), "hostname"),
                                          json_object_get(h, "hostname"));
                for (size_t k = 0; dup && k < sizeof by / sizeof by[0]; k++) {
                        bool unique = true;
                        for (size_t j = 0; j < n; j++)
                                unique &=
                                    j == i ||
                                    !json_equal(json_object_get(json_array_get(hosts, j), by[k]),
                                                json_object_get(h, by[k]));
                        if (unique && json_is_string(json_object_get(h, by[k]))) {
                                snprintf(label + strlen(label), sizeof label - strlen(label),
                                         " (%s)", json_string_value(json_object_get(h, by[k])));
                                dup = false;
                        }
                }
                if (dup) { /* the same host twice: told apart by file */
                        const char *file = json_string_value(json_object_get(h, "file")),
                                   *base = strrchr(file, '/');
                        snprintf(label + strlen(label), sizeof label - strlen(label), " (%s)",
                                 base ? base + 1 : file);
                }
                json_object_set_new(h, "label", json_string(label));
        }
}

static json_t *hosts_json(const struct ab_doc *const *docs, const char *const *paths, size_t n)
{
        json_t *hosts = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *h = json_object();
                json_object_set_new(h, "file", json_string(paths[i]));
                for (size_t f = 0; f < AB_COMPARE_NHOST; f++)
                        json_object_set_new(h, ab_compare_host_fields[f],
                                            ab_compare_host_field(&docs[i]->host, f));
                json_object_set_new(h, "allocators", alloc_versions(docs[i]));
                json_object_set_new(h, "options", options_json(docs[i]));
                json_array_append_new(hosts, h);
        }
        labels(hosts);
        return hosts;
}

/* ---- differences ---------------------------------------------------------------------- */

/* Append {what, [allocator], [workload], values} when values are not all
 * equal; values is stolen. */
static void differs(json_t *out, const char *what, const char *alloc, const char *wl,
                    json_t *values)
{
        bool same = true;
        for (size_t i = 1; i < json_array_size(values); i++)
                same &= json_equal(json_array_get(values, i), json_array_get(values, 0));
        if (same) {
                json_decref(values);
                return;
        }
        json_array_append_new(out, json_pack("{s:s, s:s?, s:s?, s:o}", "what", what, "allocator",
                                             alloc, "workload", wl, "values", values));
}

/* The first run of d of allocator alloc (any when NULL) and workload wl
 * (any when NULL), or NULL. */
static const struct ab_vrun *run_of(const struct ab_doc *d, const char *alloc, const char *wl)
{
        for (size_t i = 0; i < d->nruns; i++)
                if ((!alloc || strcmp(d->runs[i].alloc, alloc) == 0) &&
                    (!wl || strcmp(d->runs[i].workload_id, wl) == 0))
                        return &d->runs[i];
        return NULL;
}

/* The keys of env (params: false) or params (true) of every file's run of
 * workload wl (any run: NULL), each differing one appended. */
static void kv_differences(json_t *out, const struct ab_doc *const *docs, size_t n, const char *wl,
                           bool params)
{
        json_t *keys = json_object();
        const char *key;
        json_t *v;
        for (size_t i = 0; i < n; i++) {
                const struct ab_vrun *r = run_of(docs[i], NULL, wl);
                for (size_t k = 0; r && k < (params ? r->nparams : r->nenv); k++) {
                        const struct ab_kv *kv = params ? &r->params[k] : &r->env[k];
                        if (!kv->is_list) /* a swept list: the rows show its points */
                                json_object_set_new(keys, kv->key, json_true());
                }
        }
        json_object_foreach(keys, key, v)
        {
                json_t *values = json_array();
                char what[300];
                for (size_t i = 0; i < n; i++) {
                        const struct ab_vrun *r = run_of(docs[i], NULL, wl);
                        json_t *x = r ? ab_compare_kv_json(
                                            ab_compare_kv_find(params ? r->params : r->env,
                                                               params ? r->nparams : r->nenv, key))
                                      : NULL;
                        json_array_append_new(values, x ? x : json_null());
                }
                snprintf(what, sizeof what, "%s.%s", params ? "params" : "env", key);
                differs(out, what, NULL, params ? wl : NULL, values);
        }
        json_decref(keys);
}

static json_t *differences_json(const struct ab_doc *const *docs, size_t n, json_t *hosts,
                                json_t *workloads)
{
        json_t *out = json_array(), *allocs = json_object(), *w;
        const char *name;
        size_t i;
        for (size_t f = 0; f < AB_COMPARE_NHOST; f++) {
                json_t *values = json_array();
                char what[64];
                for (i = 0; i < n; i++)
                        json_array_append(values, json_object_get(json_array_get(hosts, i),
                                                                  ab_compare_host_fields[f]));
                snprintf(what, sizeof what, "host.%s", ab_compare_host_fields[f]);
                differs(out, what, NULL, NULL, values);
        }
        for (i = 0; i < n; i++)
                json_object_update_missing(allocs,
                                           json_object_get(json_array_get(hosts, i), "allocators"));
        json_object_foreach(allocs, name, w)
        {
                json_t *values = json_array();
                for (i = 0; i < n; i++) {
                        json_t *v = json_object_get(
                            json_object_get(json_array_get(hosts, i), "allocators"), name);
                        json_array_append(values, v ? v : json_null());
                }
                differs(out, "allocator.version", name, NULL, values);
        }
        json_decref(allocs);
        kv_differences(out, docs, n, NULL, false);
        json_array_foreach(workloads, i, w)
            kv_differences(out, docs, n, json_string_value(json_object_get(w, "workload")), true);
        {
                json_t *values = json_array();
                for (i = 0; i < n; i++)
                        json_array_append(values,
                                          json_object_get(json_array_get(hosts, i), "options"));
                differs(out, "options", NULL, NULL, values);
        }
        return out;
}

/* ---- the workloads side by side ---------------------------------------------------- */

/* The points of every file by key: index[f] maps a point key to the
 * point's place in flat[f] (its run and point). */
struct place {
        const struct ab_vrun *run;
        const struct ab_vpoint *pt;
};
struct index {
        json_t *map;
        struct place *flat;
        size_t n;
};

static int index_build(const struct ab_doc *d, struct index *ix)
{
        size_t n = 0, k = 0;
        char key[600];
        for (size_t i = 0; i < d->nruns; i++)
                n += d->runs[i].npoints;
        ix->map = json_object();
        ix->flat = calloc(n + 1, sizeof *ix->flat);
        ix->n = n;
        if (!ix->map || !ix->flat)
                return -1;
        for (size_t i = 0; i < d->nruns; i++)
                for (size_t j = 0; j < d->runs[i].npoints; j++, k++) {
                        ix->flat[k] = (struct place){&d->runs[i], &d->runs[i].points[j]};
                        ab_point_key(&d->runs[i], &d->runs[i].points[j], key, sizeof key);
                        if (!json_object_get(ix->map, key)) /* the first of a key counts */
                                json_object_set_new(ix->map, key, json_integer((json_int_t)k));
                }
        return 0;
}

/* The point of the file with key `key`, or NULL. */
static const struct ab_vpoint *point_of(const struct index *ix, const char *key)
{
        json_t *k = json_object_get(ix->map, key);
        return k ? ix->flat[json_integer_value(k)].pt : NULL;
}

static json_t *num_or_null(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

/* The row of a point key: its figures in every file, the ratio of the
 * last file's ns/op to the first's, and whether the work was the same. */
static json_t *row_json(const struct index *ix, size_t n, const char *key, const struct ab_vrun *r0,
                        const struct ab_vpoint *p0)
{
        json_t *ns = json_array(), *flt = json_array(), *rss = json_array();
        const struct ab_vpoint *first = NULL, *last = NULL;
        int same = -1; /* unknown until two files have the point */
        for (size_t i = 0; i < n; i++) {
                const struct ab_vpoint *p = point_of(&ix[i], key);
                json_array_append_new(ns, num_or_null(p ? p->ns.median : NAN));
                json_array_append_new(flt, num_or_null(p ? p->m[AB_M_MINFLT] : NAN));
                json_array_append_new(rss, ab_compare_count_json(p ? p->m[AB_M_RSS] : NAN));
                if (!p)
                        continue;
                if (first)
                        same = (same != 0) && p->ops == first->ops &&
                               (!p->op_hash || !first->op_hash ||
                                strcmp(p->op_hash, first->op_hash) == 0);
                else
                        first = p;
                last = p;
        }
        return json_pack("{s:s, s:s, s:O, s:o, s:o, s:o, s:o, s:o}", "allocator", r0->alloc,
                         "point", p0->label, "params", p0->params ? p0->params : json_null(),
                         "ns_per_op", ns, "minflt_per_op", flt, "rss_kib", rss, "ratio",
                         first && last && first != last && first->ns.median > 0
                             ? num_or_null(last->ns.median / first->ns.median)
                             : json_null(),
                         "same_work", same < 0 ? json_null() : json_boolean(same));
}

/* The workload entry of id wl in out, made when missing. */
static json_t *workload_entry(json_t *out, const char *wl)
{
        json_t *w;
        size_t i;
        json_array_foreach(out, i, w)
        {
                if (strcmp(json_string_value(json_object_get(w, "workload")), wl) == 0)
                        return w;
        }
        w = json_pack("{s:s, s:[]}", "workload", wl, "rows");
        json_array_append_new(out, w);
        return w;
}

static json_t *workloads_json(const struct ab_doc *const *docs, size_t n)
{
        json_t *out = json_array(), *seen = json_object();
        struct index *ix = calloc(n + 1, sizeof *ix);
        bool ok = out && seen && ix;
        char key[600];
        for (size_t f = 0; ok && f < n; f++)
                ok = index_build(docs[f], &ix[f]) == 0;
        for (size_t k = 0; ok && k < n; k++)
                for (size_t i = 0; i < ix[k].n; i++) {
                        const struct place *pl = &ix[k].flat[i];
                        ab_point_key(pl->run, pl->pt, key, sizeof key);
                        if (json_object_get(seen, key))
                                continue;
                        json_object_set_new(seen, key, json_true());
                        json_array_append_new(
                            json_object_get(workload_entry(out, pl->run->workload_id), "rows"),
                            row_json(ix, n, key, pl->run, pl->pt));
                }
        for (size_t f = 0; ix && f < n; f++) {
                json_decref(ix[f].map);
                free(ix[f].flat);
        }
        free(ix);
        json_decref(seen);
        if (!ok) {
                json_decref(out);
                return NULL;
        }
        return out;
}

json_t *ab_compare_host_view(const struct ab_doc *const *docs, const char *const *paths, size_t n)
{
        json_t *hosts = hosts_json(docs, paths, n), *workloads = workloads_json(docs, n);
        json_t *diff = differences_json(docs, n, hosts, workloads);
        return json_pack("{s:o, s:o, s:o}", "hosts", hosts, "differences", diff, "workloads",
                         workloads);
}

const char *ab_compare_row_differs(json_t *view, const char *alloc, const char *wl, char *buf,
                                   size_t len)
{
        json_t *d;
        size_t i, off = 0;
        buf[0] = '\0';
        json_array_foreach(json_object_get(view, "differences"), i, d)
        {
                const char *a = json_string_value(json_object_get(d, "allocator")),
                           *w = json_string_value(json_object_get(d, "workload"));
                if ((a && strcmp(a, alloc) != 0) || (w && strcmp(w, wl) != 0) || off >= len)
                        continue;
                off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ";" : "",
                                        json_string_value(json_object_get(d, "what")));
        }
        return buf;
}
