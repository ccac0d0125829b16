/*
 * detect.c - the detector registry and what detectors share: building flags,
 * the trend test, JSON accessors.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "detect/detect.h"

#define AB_DETECTOR_DEF(name) ab_detect_##name,
static const ab_detector_fn detectors[] = {
#include "detect/detectors.def"
};
#undef AB_DETECTOR_DEF

int ab_severity_rank(const char *s)
{
        if (!s)
                return -1;
        return strcmp(s, "high") == 0 ? 2 : strcmp(s, "warn") == 0 ? 1 : strcmp(s, "info") == 0 ? 0 : -1;
}

static int by_severity(const void *a, const void *b)
{
        json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
        int d = ab_severity_rank(ab_str(y, "severity")) - ab_severity_rank(ab_str(x, "severity"));
        /* keep the detectors' order within a severity: compare positions */
        return d ? d : (int)(json_integer_value(json_object_get(x, "_order")) -
                             json_integer_value(json_object_get(y, "_order")));
}

size_t ab_detect_all(json_t *doc)
{
        json_t *flags = json_array(), *run, **v, *sorted = json_array();
        size_t i, n;
        json_array_foreach(json_object_get(doc, "runs"), i, run)
        {
                for (size_t d = 0; d < sizeof detectors / sizeof detectors[0]; d++)
                        detectors[d](doc, run, flags);
        }
        n = json_array_size(flags);
        v = calloc(n ? n : 1, sizeof *v);
        for (i = 0; i < n; i++) {
                v[i] = json_array_get(flags, i);
                json_object_set_new(v[i], "_order", json_integer((json_int_t)i));
        }
        qsort(v, n, sizeof *v, by_severity);
        for (i = 0; i < n; i++) {
                json_object_del(v[i], "_order");
                json_array_append(sorted, v[i]);
        }
        free(v);
        json_decref(flags);
        json_object_set_new(doc, "flags", sorted);
        return n;
}

void ab_flag_add(json_t *flags, json_t *run, const char *kind, const char *severity, json_t *where,
                 json_t *evidence, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        json_array_append_new(
                flags, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s}", "kind", kind, "severity",
                                 severity, "allocator", ab_alloc_name(run), "workload",
                                 ab_str(json_object_get(run, "workload"), "name") ?: "?", "where",
                                 where ? where : json_object(), "evidence",
                                 evidence ? evidence : json_object(), "message", msg, "hint", ""));
}

void ab_flag_hint(json_t *flags, const char *fmt, ...)
{
        char hint[1024];
        va_list ap;
        json_t *f = json_array_get(flags, json_array_size(flags) - 1);
        va_start(ap, fmt);
        vsnprintf(hint, sizeof hint, fmt, ap);
        va_end(ap);
        json_object_set_new(f, "hint", json_string(hint));
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

json_t *ab_point_cost(json_t *point, const char **which)
{
        json_t *c = json_object_get(point, "cpu_ns_per_op");
        if (json_is_object(c) && ab_num(c, "median") > 0) {
                *which = "cpu_ns_per_op";
                return c;
        }
        c = json_object_get(point, "ns_per_op");
        *which = "ns_per_op";
        return json_is_object(c) ? c : NULL;
}

json_t *ab_jreal(double v)
{
        return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

double ab_num(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *ab_str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

const char *ab_kernel(json_t *run)
{
        json_t *w = json_object_get(run, "workload");
        return ab_str(w, "kernel") ?: ab_str(w, "name") ?: "";
}

const char *ab_alloc_name(json_t *run)
{
        return ab_str(json_object_get(run, "allocator"), "name") ?: "?";
}

json_t *ab_param(json_t *run, const char *key)
{
        return json_object_get(json_object_get(json_object_get(run, "workload"), "params"), key);
}

const char *ab_size_str(double bytes, char *buf, size_t len)
{
        ab_fmt_size(bytes > 0 ? (uint64_t)bytes : 0, buf, len);
        return buf;
}
