/*
 * merge_build.c - the merged document of bench merge (merge.h): where each
 * cell's point is in the shards, then the document one run of the whole
 * matrix would have written, from the shards' own JSON.
 *
 * A shard's document holds the runs (workload x allocator) that have a
 * cell in it, in canonical order, each with the points of its cells in
 * sweep order; the point indices inside a run (timeline_spans, trace.points,
 * sites) are the shard document's. A merged run takes every shard's points
 * of its allocator and workload, in sweep order, and renumbers what points
 * at them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/prng.h"
#include "measure/merge.h"

/* ---- the matrix ------------------------------------------------------------------- */

int ab_merge_matrix_read(json_t *matrix, const char *path, struct ab_merge_matrix *mx)
{
        json_t *allocs = json_object_get(matrix, "allocators"),
               *jobs = json_object_get(matrix, "workloads"), *jb;
        size_t j;
        memset(mx, 0, sizeof *mx);
        mx->json = matrix;
        mx->nallocs = json_array_size(allocs);
        mx->njobs = json_array_size(jobs);
        mx->npoints = calloc(mx->njobs + 1, sizeof *mx->npoints);
        mx->base = calloc(mx->njobs + 1, sizeof *mx->base);
        if (!mx->npoints || !mx->base) {
                ab_err("merge", "out of memory");
                return AB_BAD_INPUT;
        }
        json_array_foreach(jobs, j, jb)
        {
                json_t *pts = json_object_get(jb, "points");
                if (!json_is_string(json_object_get(jb, "name")) || !json_is_array(pts)) {
                        ab_err("merge", "%s: shard.matrix.workloads[%zu] lacks its name or points",
                               path, j);
                        return AB_BAD_INPUT;
                }
                mx->base[j] = (size_t)mx->ncells;
                mx->npoints[j] = json_array_size(pts);
                mx->ncells += (uint64_t)mx->npoints[j] * mx->nallocs;
        }
        return 0;
}

void ab_merge_matrix_free(struct ab_merge_matrix *mx)
{
        free(mx->npoints);
        free(mx->base);
        memset(mx, 0, sizeof *mx);
}

/* Cell c as (workload, point, allocator). */
static void cell_split(const struct ab_merge_matrix *mx, uint64_t c, size_t *j, size_t *p,
                       size_t *a)
{
        *j = 0;
        while (*j + 1 < mx->njobs && c >= mx->base[*j + 1])
                (*j)++;
        *p = (size_t)(c - mx->base[*j]) / mx->nallocs;
        *a = (size_t)(c - mx->base[*j]) % mx->nallocs;
}

static uint64_t cell_of(const struct ab_merge_matrix *mx, size_t j, size_t p, size_t a)
{
        return mx->base[j] + (uint64_t)p * mx->nallocs + a;
}

static json_t *matrix_alloc(const struct ab_merge_matrix *mx, size_t a)
{
        return json_array_get(json_object_get(mx->json, "allocators"), a);
}

static json_t *matrix_job(const struct ab_merge_matrix *mx, size_t j)
{
        return json_array_get(json_object_get(mx->json, "workloads"), j);
}

const char *ab_merge_cell_name(const struct ab_merge_matrix *mx, uint64_t c, char *buf, size_t len)
{
        size_t j, p, a;
        json_t *al, *params, *v;
        const char *key;
        size_t off;
        cell_split(mx, c, &j, &p, &a);
        al = matrix_alloc(mx, a);
        params = json_array_get(json_object_get(matrix_job(mx, j), "points"), p);
        off =
            (size_t)snprintf(buf, len, "%s%s%s %s", json_string_value(json_object_get(al, "name")),
                             json_is_string(json_object_get(al, "wrap")) ? " under " : "",
                             json_is_string(json_object_get(al, "wrap"))
                                 ? json_string_value(json_object_get(al, "wrap"))
                                 : "",
                             json_string_value(json_object_get(matrix_job(mx, j), "name")));
        json_object_foreach(params, key, v)
        {
                char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                if (off < len)
                        off += (size_t)snprintf(buf + off, len - off, " %s=%s", key, t ? t : "?");
                free(t);
        }
        return buf;
}

/* ---- where each cell is ------------------------------------------------------------ */

/* Does run r of shard s hold allocator a and workload j of the matrix,
 * with exactly the points pts[0..np) (their params)? */
static bool run_matches(const struct ab_merge_matrix *mx, json_t *run, size_t j, size_t a,
                        const size_t *pts, size_t np)
{
        json_t *al = matrix_alloc(mx, a), *jb = matrix_job(mx, j);
        json_t *points = json_object_get(run, "points"), *wrap = json_object_get(run, "wrap");
        if (!json_equal(json_object_get(json_object_get(run, "allocator"), "name"),
                        json_object_get(al, "name")) ||
            !json_equal(wrap ? wrap : json_null(), json_object_get(al, "wrap")) ||
            !json_equal(json_object_get(json_object_get(run, "workload"), "name"),
                        json_object_get(jb, "name")) ||
            json_array_size(points) != np)
                return false;
        for (size_t i = 0; i < np; i++)
                if (!json_equal(json_object_get(json_array_get(points, i), "params"),
                                json_array_get(json_object_get(jb, "points"), pts[i])))
                        return false;
        return true;
}

/* Shard s's cells into the table: its runs, in canonical order, must be
 * the (workload, allocator) pairs its cells name, each with its cells'
 * points in sweep order. */
static int locate_one(struct ab_merge_in *in, size_t s, const struct ab_merge_matrix *mx,
                      struct ab_merge_cell *cells, bool *mine, size_t *pts)
{
        json_t *runs = json_object_get(in[s].doc.json, "runs"), *c;
        size_t r = 0, i;
        char name[512];
        memset(mine, 0, (size_t)mx->ncells * sizeof *mine);
        json_array_foreach(json_object_get(in[s].shard, "cells"), i, c)
            mine[json_integer_value(c)] = true; /* checked against the matrix before */
        for (size_t j = 0; j < mx->njobs; j++) {
                for (size_t a = 0; a < mx->nallocs; a++) {
                        size_t np = 0;
                        for (size_t p = 0; p < mx->npoints[j]; p++)
                                if (mine[cell_of(mx, j, p, a)])
                                        pts[np++] = p;
                        if (!np)
                                continue;
                        if (!run_matches(mx, json_array_get(runs, r), j, a, pts, np)) {
                                ab_err("merge",
                                       "%s: run %zu is not the one its shard's cells name (%s "
                                       "and %zu point%s); was the file edited?",
                                       in[s].path, r,
                                       ab_merge_cell_name(mx, cell_of(mx, j, pts[0], a), name,
                                                          sizeof name),
                                       np, np == 1 ? "" : "s");
                                return AB_BAD_INPUT;
                        }
                        for (size_t k = 0; k < np; k++) {
                                struct ab_merge_cell *cl = &cells[cell_of(mx, j, pts[k], a)];
                                if (cl->shard >= 0) {
                                        ab_err("merge",
                                               "%s and %s both hold cell %llu (%s): shards "
                                               "overlap (accepted: each cell in one shard)",
                                               in[cl->shard].path, in[s].path,
                                               (unsigned long long)cell_of(mx, j, pts[k], a),
                                               ab_merge_cell_name(mx, cell_of(mx, j, pts[k], a),
                                                                  name, sizeof name));
                                        return AB_BAD_INPUT;
                                }
                                *cl = (struct ab_merge_cell){(int)s, r, k};
                        }
                        r++;
                }
        }
        if (r != json_array_size(runs)) {
                ab_err("merge",
                       "%s: %zu runs, but its shard's cells make %zu; was the file edited?",
                       in[s].path, json_array_size(runs), r);
                return AB_BAD_INPUT;
        }
        return 0;
}

int ab_merge_locate(struct ab_merge_in *in, size_t nin, const struct ab_merge_matrix *mx,
                    struct ab_merge_cell *cells)
{
        bool *mine = calloc((size_t)mx->ncells + 1, sizeof *mine);
        size_t *pts = calloc(mx->ncells + 1, sizeof *pts);
        int r = 0;
        if (!mine || !pts) {
                ab_err("merge", "out of memory");
                r = AB_BAD_INPUT;
        }
        for (size_t s = 0; s < nin && !r; s++)
                r = locate_one(in, s, mx, cells, mine, pts);
        free(mine);
        free(pts);
        return r;
}

/* ---- one merged run ------------------------------------------------------------------ */

/* A shard's run that gives the merged run points, and what its point
 * indices become. */
struct source {
        json_t *run; /* borrowed: the shard's run */
        size_t *map; /* its point i is the merged run's map[i] */
        size_t nmap;
};

/* An item (round, site, trace point, span) with the merged point it
 * belongs to, kept in arrival order within a point. */
struct item {
        size_t point, seq;
        json_t *json;
};

static int by_point(const void *x, const void *y)
{
        const struct item *a = x, *b = y;
        if (a->point != b->point)
                return a->point < b->point ? -1 : 1;
        return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The items as a JSON array, by merged point (arrival order within one). */
static json_t *sorted(struct item *v, size_t n)
{
        json_t *out = json_array();
        qsort(v, n, sizeof *v, by_point);
        for (size_t i = 0; i < n && out; i++)
                json_array_append_new(out, v[i].json);
        return out;
}

/* The merged point an index of the source names, or SIZE_MAX. */
static size_t remap(const struct source *src, json_t *index)
{
        json_int_t k = json_integer_value(index);
        if (!json_is_integer(index) || k < 0 || (size_t)k >= src->nmap)
                return SIZE_MAX;
        return src->map[k];
}

/* Each item of the sources' array `key` (at `obj` inside the run, or the
 * run itself), copied with its "point" made the merged run's. Items that
 * name no point of their source are dropped (a span outside the timeline
 * is the reader's to drop already). */
static json_t *gather(struct source *src, size_t nsrc, const char *obj, const char *key)
{
        size_t n = 0, cap = 0, seq = 0, i;
        struct item *v;
        json_t *it, *out;
        for (size_t s = 0; s < nsrc; s++)
                cap += json_array_size(
                    json_object_get(obj ? json_object_get(src[s].run, obj) : src[s].run, key));
        if (!(v = calloc(cap + 1, sizeof *v)))
                return NULL;
        for (size_t s = 0; s < nsrc; s++) {
                json_t *arr =
                    json_object_get(obj ? json_object_get(src[s].run, obj) : src[s].run, key);
                json_array_foreach(arr, i, it)
                {
                        size_t p = remap(&src[s], json_object_get(it, "point"));
                        if (p == SIZE_MAX)
                                continue;
                        v[n].json = json_deep_copy(it);
                        json_object_set_new(v[n].json, "point", json_integer((json_int_t)p));
                        v[n].point = p;
                        v[n++].seq = seq++;
                }
        }
        out = sorted(v, n);
        free(v);
        return out;
}

/* The sources' rounds, by merged point: a swept workload's rounds name
 * their point by params, an unswept one's belong to its one point. */
static json_t *gather_rounds(struct source *src, size_t nsrc)
{
        size_t n = 0, cap = 0, seq = 0, i, k;
        struct item *v;
        json_t *rd, *out;
        for (size_t s = 0; s < nsrc; s++)
                cap += json_array_size(json_object_get(src[s].run, "rounds"));
        if (!(v = calloc(cap + 1, sizeof *v)))
                return NULL;
        for (size_t s = 0; s < nsrc; s++) {
                json_t *pts = json_object_get(src[s].run, "points");
                json_array_foreach(json_object_get(src[s].run, "rounds"), i, rd)
                {
                        json_t *params = json_object_get(rd, "params");
                        for (k = 0; params && k < src[s].nmap; k++)
                                if (json_equal(params,
                                               json_object_get(json_array_get(pts, k), "params")))
                                        break;
                        if (k >= src[s].nmap)
                                continue;
                        v[n].json = json_deep_copy(rd);
                        v[n].point = src[s].map[k];
                        v[n++].seq = seq++;
                }
        }
        out = sorted(v, n);
        free(v);
        return out;
}

/* The sources' timelines one after another, and their spans with first
 * and point made the merged run's. */
static void join_timelines(json_t *run, struct source *src, size_t nsrc)
{
        json_t *tl = json_array(), *spans = json_array(), *v;
        size_t i;
        for (size_t s = 0; s < nsrc; s++) {
                size_t off = json_array_size(tl);
                json_array_extend(tl, json_object_get(src[s].run, "timeline"));
                json_array_foreach(json_object_get(src[s].run, "timeline_spans"), i, v)
                {
                        size_t p = remap(&src[s], json_object_get(v, "point"));
                        json_t *sp;
                        if (p == SIZE_MAX || !json_is_integer(json_object_get(v, "first")))
                                continue;
                        sp = json_deep_copy(v);
                        json_object_set_new(sp, "point", json_integer((json_int_t)p));
                        json_object_set_new(
                            sp, "first",
                            json_integer(json_integer_value(json_object_get(v, "first")) +
                                         (json_int_t)off));
                        json_array_append_new(spans, sp);
                }
        }
        json_object_set_new(run, "timeline", tl);
        json_object_set_new(run, "timeline_spans", spans);
}

/* op_hash (of every point's op stream, in order, as bench run hashes
 * them: 0 for a point without one) and status (the first point's
 * failure) of the merged points. */
static void run_totals(json_t *run)
{
        uint64_t h = AB_HASH_INIT;
        const char *status = "ok";
        char hex[20];
        json_t *pt;
        size_t i;
        json_array_foreach(json_object_get(run, "points"), i, pt)
        {
                const char *ph = json_string_value(json_object_get(pt, "op_hash")),
                           *st = json_string_value(json_object_get(pt, "status"));
                h = ab_hash_u64(h, ph ? strtoull(ph, NULL, 16) : 0);
                if (st && strcmp(st, "ok") != 0 && strcmp(status, "ok") == 0)
                        status = st;
        }
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
        json_object_set_new(run, "op_hash", json_string(hex));
        json_object_set_new(run, "status", json_string(status));
}

/* The merged run of workload j and allocator a from its sources: the
 * first source's run (settings, allocator, runner size) with every
 * source's points, rounds, timeline, trace and sites. */
static json_t *build_run(struct source *src, size_t nsrc, json_t *points)
{
        json_t *run = json_deep_copy(src[0].run), *trace = json_object_get(run, "trace"), *x;
        if (!run)
                return NULL;
        json_object_set(run, "points", points);
        run_totals(run);
        if (!(x = gather_rounds(src, nsrc)))
                goto oom;
        json_object_set_new(run, "rounds", x);
        join_timelines(run, src, nsrc);
        if (json_is_object(trace)) {
                if (!(x = gather(src, nsrc, "trace", "points")))
                        goto oom;
                json_object_set_new(trace, "points", x);
        }
        if (json_is_array(json_object_get(run, "sites"))) {
                if (!(x = gather(src, nsrc, NULL, "sites")))
                        goto oom;
                json_object_set_new(run, "sites", x);
        }
        return run;
oom:
        json_decref(run);
        return NULL;
}

/* Workload j x allocator a: its points from every shard that holds one,
 * in sweep order. NULL when no shard has a cell of it (a partial merge)
 * or out of memory (*oom set). */
static json_t *merge_run(struct ab_merge_in *in, size_t nin, const struct ab_merge_matrix *mx,
                         const struct ab_merge_cell *cells, size_t j, size_t a, bool *oom)
{
        struct source *src = calloc(nin + 1, sizeof *src);
        json_t *points = json_array(), *run = NULL;
        size_t nsrc = 0, which[nin + 1];
        *oom = !src || !points;
        for (size_t p = 0; !*oom && p < mx->npoints[j]; p++) {
                const struct ab_merge_cell *c = &cells[cell_of(mx, j, p, a)];
                json_t *srun;
                size_t s;
                if (c->shard < 0)
                        continue;
                srun = json_array_get(json_object_get(in[c->shard].doc.json, "runs"), c->run);
                for (s = 0; s < nsrc && which[s] != (size_t)c->shard; s++)
                        ;
                if (s == nsrc) {
                        which[nsrc] = (size_t)c->shard;
                        src[nsrc].run = srun;
                        src[nsrc].nmap = json_array_size(json_object_get(srun, "points"));
                        if (!(src[nsrc++].map = calloc(src[s].nmap + 1, sizeof(size_t)))) {
                                *oom = true;
                                break;
                        }
                }
                src[s].map[c->point] = json_array_size(points);
                json_array_append_new(points, json_deep_copy(json_array_get(
                                                  json_object_get(srun, "points"), c->point)));
        }
        if (!*oom && nsrc && !(run = build_run(src, nsrc, points)))
                *oom = true;
        for (size_t s = 0; src && s < nsrc; s++)
                free(src[s].map);
        free(src);
        json_decref(points);
        return run;
}

/* ---- the document ------------------------------------------------------------------- */

json_t *ab_merge_build(struct ab_merge_in *in, size_t nin, const struct ab_merge_matrix *mx,
                       const struct ab_merge_cell *cells, json_t *merge)
{
        json_t *doc = json_deep_copy(in[0].doc.json), *runs = json_array();
        json_t *cmd = ab_command_words(json_object_get(in[0].doc.json, "command"), AB_CMD_SHARD);
        bool interrupted = false, oom = !doc || !runs || !cmd;
        char created[32];
        time_t now = time(NULL);
        struct tm tm;
        for (size_t j = 0; !oom && j < mx->njobs; j++)
                for (size_t a = 0; !oom && a < mx->nallocs; a++) {
                        json_t *run = merge_run(in, nin, mx, cells, j, a, &oom);
                        if (run)
                                json_array_append_new(runs, run);
                }
        if (oom) {
                json_decref(doc);
                json_decref(runs);
                json_decref(cmd);
                json_decref(merge);
                return NULL;
        }
        for (size_t s = 0; s < nin; s++)
                interrupted |= in[s].doc.interrupted;
        gmtime_r(&now, &tm);
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_del(doc, "shard");
        json_object_set_new(doc, "created", json_string(created));
        json_object_set_new(doc, "command", cmd);
        json_object_set_new(doc, "interrupted", json_boolean(interrupted));
        json_object_set_new(doc, "runs", runs);
        json_object_set_new(doc, "flags", json_array());
        json_object_set_new(doc, "merge", merge);
        return doc;
}
