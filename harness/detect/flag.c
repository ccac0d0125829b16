/*
 * flag.c - what the detectors share: building a flag, the trend test over
 * rounds, the cost of a point's op, sizes in messages. (The registry that
 * runs the detectors is detect.c.)
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "detect/detect.h"

json_t *ab_flags_json(const struct ab_flags *fl)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < fl->n; i++)
                json_array_append(a, fl->v[i].flag);
        return a;
}

void ab_flags_free(struct ab_flags *fl)
{
        for (size_t i = 0; i < fl->n; i++)
                json_decref(fl->v[i].flag);
        free(fl->v);
        memset(fl, 0, sizeof *fl);
}

void ab_flag_add(struct ab_flags *flags, const struct ab_vrun *run, const char *kind,
                 const char *severity, json_t *where, json_t *evidence, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        json_t *f;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        f = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s}", "kind", kind, "severity", severity,
                      "allocator", run->alloc, "workload", run->workload, "where",
                      where ? where : json_object(), "evidence", evidence ? evidence : json_object(),
                      "message", msg, "hint", "");
        if (!f)
                return;
        /* the run's identity when the name alone does not say it (cmd's
         * program, a launcher): so that readers pair the flag with its run */
        if (strcmp(run->workload_id, run->workload) != 0)
                json_object_set_new(f, "workload_id", json_string(run->workload_id));
        if (flags->n == flags->cap) {
                size_t cap = flags->cap ? 2 * flags->cap : 16;
                struct ab_flag_entry *v = realloc(flags->v, cap * sizeof *v);
                if (!v) {
                        json_decref(f);
                        return;
                }
                flags->v = v;
                flags->cap = cap;
        }
        flags->v[flags->n++] = (struct ab_flag_entry){f, ab_severity_rank(severity)};
}

void ab_flag_hint(struct ab_flags *flags, const char *fmt, ...)
{
        char hint[1024];
        va_list ap;
        if (!flags->n)
                return;
        va_start(ap, fmt);
        vsnprintf(hint, sizeof hint, fmt, ap);
        va_end(ap);
        json_object_set_new(flags->v[flags->n - 1].flag, "hint", json_string(hint));
}

size_t ab_trend_warmup(size_t n)
{
        return n / 5 > 1 ? n / 5 : 1;
}

/* t quantiles for a one-sided p of 0.005 (two-sided 0.01), by degrees of freedom. */
static double t_crit(size_t df)
{
        static const struct {
                size_t df;
                double t;
        } tab[] = {{1, 63.657}, {2, 9.925}, {3, 5.841}, {4, 4.604},  {5, 4.032},
                   {6, 3.707},  {7, 3.499}, {8, 3.355}, {9, 3.250},  {10, 3.169},
                   {12, 3.055}, {15, 2.947}, {20, 2.845}, {30, 2.750}, {60, 2.660},
                   {120, 2.617}};
        double t = 2.576;
        /* the entry for the largest tabulated df not above df: conservative */
        for (size_t i = sizeof tab / sizeof tab[0]; i-- > 0;)
                if (tab[i].df <= df)
                        return tab[i].t;
        return df == 0 ? INFINITY : t;
}

int ab_trend_fit(const double *y, size_t n, size_t skip, struct ab_trend *t)
{
        double sx = 0, sy = 0, sxx = 0, sxy = 0, sse = 0, m;
        memset(t, 0, sizeof *t);
        if (n < skip + 3)
                return -1;
        m = (double)(n - skip);
        for (size_t i = skip; i < n; i++) {
                double x = (double)i;
                sx += x;
                sy += y[i];
                sxx += x * x;
                sxy += x * y[i];
        }
        t->n = n - skip;
        t->slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
        t->intercept = (sy - t->slope * sx) / m;
        for (size_t i = skip; i < n; i++) {
                double r = y[i] - (t->intercept + t->slope * (double)i);
                sse += r * r;
        }
        t->se = sqrt(sse / (m - 2)) / sqrt(sxx - sx * sx / m);
        if (t->se <= 1e-12 * (fabs(t->slope) + 1)) {
                t->t = t->slope > 0 ? INFINITY : 0;
                t->significant = t->slope > 0;
        } else {
                t->t = t->slope / t->se;
                t->significant = t->t >= t_crit(t->n - 2);
        }
        return 0;
}

const struct ab_vsum *ab_point_cost(const struct ab_vpoint *p, const char **which)
{
        if (p->cpu.median > 0) {
                *which = "cpu_ns_per_op";
                return &p->cpu;
        }
        *which = "ns_per_op";
        return &p->ns;
}

const struct ab_vrun *ab_native_sibling(const struct ab_doc *d, const struct ab_vrun *run)
{
        if (!run->wrap)
                return NULL;
        for (size_t i = 0; i < d->nruns; i++) {
                const struct ab_vrun *r = &d->runs[i];
                if (!r->wrap && strcmp(r->alloc, run->alloc) == 0 &&
                    strcmp(r->base_id, run->base_id) == 0)
                        return r;
        }
        return NULL;
}

size_t ab_trend_rounds(const struct ab_vrun *run)
{
        const char *last;
        size_t first;
        if (!run->nrounds || !run->rounds[run->nrounds - 1].phase)
                return 0;
        last = run->rounds[run->nrounds - 1].phase;
        for (first = run->nrounds; first > 0; first--) {
                const char *p = run->rounds[first - 1].phase;
                if (!p || strcmp(p, last) != 0)
                        break;
        }
        return first;
}

json_t *ab_where_point(const struct ab_vpoint *p)
{
        return p->params ? json_deep_copy(p->params) : json_object();
}

json_t *ab_where_site(const struct ab_vsite *s)
{
        json_t *w = s->point ? ab_where_point(s->point) : json_object();
        json_object_set_new(w, "site", json_string(s->key));
        return w;
}

const char *ab_site_name(const struct ab_vsite *s, char *buf, size_t len)
{
        size_t n = 0;
        snprintf(buf, len, "%s", s->key);
        for (size_t i = 0; i < s->nframes && i < 3 && n < len; i++) {
                const struct ab_vframe *f = &s->frames[i];
                const char *sep = i ? " < " : "";
                int w = strcmp(f->function, "?") != 0
                            ? snprintf(buf + n, len - n, "%s%s", sep, f->function)
                            : snprintf(buf + n, len - n, "%s%s!?", sep, f->module);
                if (w < 0)
                        break;
                n += (size_t)w;
        }
        return buf;
}

double ab_site_net_mapped(const struct ab_vrun *run, const struct ab_vsite *s)
{
        double net = 0;
        for (size_t i = 0; i < run->nsites; i++) {
                const struct ab_vsite *t = &run->sites[i];
                if (t->point == s->point && strcmp(t->source, s->source) == 0)
                        net += t->total[AB_ST_MAP_BYTES] - t->total[AB_ST_UNMAP_BYTES];
        }
        return net;
}

json_t *ab_jreal(double v)
{
        return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

const char *ab_size_str(double bytes, char *buf, size_t len)
{
        ab_fmt_size(bytes > 0 ? bytes < 1.8e19 ? (uint64_t)bytes : UINT64_MAX : 0, buf, len);
        return buf;
}
