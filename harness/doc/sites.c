/*
 * sites.c - the view of a run's --trace results (doc.h: ab_vtrace,
 * ab_vsite): how each point's trace pass went (with the phase each of its
 * rounds ended in), and its allocation sites. A site whose point index is
 * out of range keeps point NULL; a series shorter than the others leaves NAN
 * where it has nothing.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "doc/view.h"

const char *const ab_site_total_keys[AB_ST_COUNT] = {
#define AB_ST_KEY(N, n) #n,
    AB_SITE_TOTALS(AB_ST_KEY)
#undef AB_ST_KEY
};

static const struct ab_vpoint *point_at(const struct ab_vrun *r, json_t *o)
{
        double k = ab_view_num(o, "point");
        return k >= 0 && k < (double)r->npoints && k == floor(k) ? &r->points[(size_t)k] : NULL;
}

/* A pass's round_phases: a string, or NULL for null or anything else. */
static int phases_view(json_t *a, struct ab_vtrace_point *p)
{
        json_t *v;
        size_t i;
        if (!json_array_size(a))
                return 0;
        if (!(p->round_phases = calloc(json_array_size(a), sizeof *p->round_phases)))
                return -ENOMEM;
        json_array_foreach(a, i, v)
        {
                p->round_phases[p->nround_phases++] =
                    json_is_string(v) ? json_string_value(v) : NULL;
        }
        return 0;
}

static int trace_view(json_t *t, struct ab_vrun *r)
{
        json_t *pts = json_object_get(t, "points"), *v;
        size_t i;
        int e;
        if (!json_is_object(t))
                return 0;
        r->trace.target = ab_view_str(t, "target") ? ab_view_str(t, "target") : "program";
        r->trace.sample_bytes = ab_view_num(t, "sample_bytes");
        r->trace.depth = ab_view_num(t, "depth");
        r->trace.sites_max = ab_view_num(t, "sites_max");
        if (!json_array_size(pts))
                return 0;
        if (!(r->trace.points = calloc(json_array_size(pts), sizeof *r->trace.points)))
                return -ENOMEM;
        json_array_foreach(pts, i, v)
        {
                struct ab_vtrace_point *p = &r->trace.points[r->trace.npoints++];
                p->point = point_at(r, v);
                p->status = ab_view_str(v, "status") ? ab_view_str(v, "status") : "?";
                p->error = ab_view_str(v, "error");
                p->processes = ab_view_num(v, "processes");
                p->rounds = ab_view_num(v, "rounds");
                p->sites_seen = ab_view_num(v, "sites_seen");
                p->sites_kept = ab_view_num(v, "sites_kept");
                p->incomplete = json_is_true(json_object_get(v, "incomplete"));
                p->tracer = json_object_get(v, "tracer");
                if ((e = phases_view(json_object_get(v, "round_phases"), p)))
                        return e;
        }
        return 0;
}

/* One series of a site's rounds into out[0..n), NAN where missing. */
static void series(json_t *rounds, const char *key, double *out, size_t n)
{
        json_t *a = json_object_get(rounds, key);
        for (size_t i = 0; i < n; i++) {
                json_t *x = json_array_get(a, i);
                out[i] = json_is_number(x) ? json_number_value(x) : NAN;
        }
}

static int frames_view(json_t *fr, struct ab_vsite *s)
{
        json_t *v;
        size_t i;
        if (!json_array_size(fr))
                return 0;
        if (!(s->frames = calloc(json_array_size(fr), sizeof *s->frames)))
                return -ENOMEM;
        json_array_foreach(fr, i, v)
        {
                struct ab_vframe *f = &s->frames[s->nframes++];
                f->function = ab_view_str(v, "function") ? ab_view_str(v, "function") : "?";
                f->module = ab_view_str(v, "module") ? ab_view_str(v, "module") : "?";
                f->file = ab_view_str(v, "file");
                f->line = ab_view_num(v, "line");
                f->inlined = json_is_true(json_object_get(v, "inlined"));
        }
        return 0;
}

static int site_view(json_t *v, const struct ab_vrun *r, struct ab_vsite *s)
{
        json_t *rounds = json_object_get(v, "rounds"), *tot = json_object_get(v, "total");
        size_t n = 0;
        int e;
        s->point = point_at(r, v);
        s->key = ab_view_str(v, "key") ? ab_view_str(v, "key") : "?";
        s->source = ab_view_str(v, "source") ? ab_view_str(v, "source") : "tracer";
        s->stacks = ab_view_num(v, "stacks");
        {
                json_t *vd = json_object_get(v, "verdict");
                s->verdict = ab_view_str(vd, "verdict");
                s->verdict_match = ab_view_str(vd, "match");
                s->verdict_note = ab_view_str(vd, "note");
                s->verdict_entry = ab_view_str(vd, "entry");
                s->verdict_new = json_is_true(json_object_get(vd, "new"));
        }
        s->unwound = json_is_true(json_object_get(v, "unwound"));
        s->truncated = json_is_true(json_object_get(v, "truncated"));
        for (int k = 0; k < AB_ST_COUNT; k++)
                s->total[k] = ab_view_num(tot, ab_site_total_keys[k]);
        if ((e = frames_view(json_object_get(v, "frames"), s)))
                return e;
        for (const char *const *k =
                 (const char *const[]){"live_bytes", "live_blocks", "allocs", NULL};
             *k; k++)
                if (json_array_size(json_object_get(rounds, *k)) > n)
                        n = json_array_size(json_object_get(rounds, *k));
        s->live_bytes = calloc(n + 1, sizeof *s->live_bytes);
        s->live_blocks = calloc(n + 1, sizeof *s->live_blocks);
        s->allocs = calloc(n + 1, sizeof *s->allocs);
        if (!s->live_bytes || !s->live_blocks || !s->allocs)
                return -ENOMEM;
        s->nrounds = n;
        series(rounds, "live_bytes", s->live_bytes, n);
        series(rounds, "live_blocks", s->live_blocks, n);
        series(rounds, "allocs", s->allocs, n);
        return 0;
}

int ab_view_sites(json_t *run, struct ab_vrun *r)
{
        json_t *sites = json_object_get(run, "sites"), *v;
        size_t i;
        int e;
        if ((e = trace_view(json_object_get(run, "trace"), r)))
                return e;
        if (!json_array_size(sites))
                return 0;
        if (!(r->sites = calloc(json_array_size(sites), sizeof *r->sites)))
                return -ENOMEM;
        json_array_foreach(sites, i, v)
        {
                if (!json_is_object(v))
                        continue;
                if ((e = site_view(v, r, &r->sites[r->nsites++])))
                        return e;
        }
        return 0;
}

void ab_view_sites_free(struct ab_vrun *r)
{
        for (size_t i = 0; i < r->nsites; i++) {
                free(r->sites[i].frames);
                free(r->sites[i].live_bytes);
                free(r->sites[i].live_blocks);
                free(r->sites[i].allocs);
        }
        free(r->sites);
        for (size_t i = 0; i < r->trace.npoints; i++)
                free(r->trace.points[i].round_phases);
        free(r->trace.points);
}

const struct ab_vsite *ab_vrun_site(const struct ab_vrun *r, const struct ab_vpoint *p,
                                    const char *key)
{
        for (size_t i = 0; i < r->nsites; i++)
                if ((!p || r->sites[i].point == p) && strcmp(r->sites[i].key, key) == 0)
                        return &r->sites[i];
        return NULL;
}
