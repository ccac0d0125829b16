/*
 * series.c - change points per series (series.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "doc/doc.h"
#include "report/history/series.h"

/* Why the detector refused s (r: its -errno): a value of run k, or r. */
static void warn_untested(const struct ab_history *h, const struct ab_hseries *s, bool log_scale,
                          int r)
{
        size_t k = 0;
        while (k < s->n && isfinite(s->v[k]) && !(log_scale && s->v[k] < 0))
                k++;
        if (k < s->n)
                ab_err("history",
                       "warning: series %s %s %s %s %s not tested for change points: its value "
                       "%g of run #%lld (%s) is %s",
                       s->host, s->alloc, s->workload, s->point, s->metric, s->v[k],
                       (long long)h->runs[s->run[k]].id, h->runs[s->run[k]].created,
                       isfinite(s->v[k]) ? "negative" : "not finite");
        else
                ab_err("history", "warning: series %s %s %s %s %s not tested for change points: %s",
                       s->host, s->alloc, s->workload, s->point, s->metric, strerror(-r));
}

/* The noise floor of s's metric (a site's: AB_HSITE_FLOOR). */
static double floor_of(const struct ab_hseries *s)
{
        int m = ab_hmetric(s->metric);
        return m >= 0 ? ab_metrics[m].floor : s->site ? AB_HSITE_FLOOR : 0;
}

/* Timings and sizes vary in proportion to their level: their logarithms
 * are tested, their values reported; a site's left-over is often 0 and may
 * be below it, and is tested as it is. */
static bool log_scale_of(const struct ab_hseries *s)
{
        return floor_of(s) > 0 && !s->site;
}

/* The change points of one series. */
static int detect_one(const struct ab_history *h, struct ab_hseries *s)
{
        struct ab_cp_params p = h->params;
        size_t cap = s->exact ? s->n + 1 : s->n / p.min_seg + 1;
        int r;
        p.floor = floor_of(s);
        p.log_scale = log_scale_of(s);
        s->cp = calloc(cap, sizeof *s->cp);
        if (!s->cp)
                return -ENOMEM;
        /* an exact count has no noise to outvote: any step is a change */
        r = s->exact ? ab_cp_exact(s->v, s->n, h->exact_eps, s->cp, cap)
                     : ab_cp_detect(s->v, s->n, &p, s->cp, cap);
        if (r >= 0)
                s->ncp = (size_t)r < cap ? (size_t)r : cap;
        return r;
}

int ab_history_detect(struct ab_history *h)
{
        for (size_t i = 0; i < h->nseries; i++) {
                struct ab_hseries *s = &h->series[i];
                int r = detect_one(h, s);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        warn_untested(h, s, !s->exact && log_scale_of(s), r);
                        s->ncp = 0;
                }
        }
        return 0;
}
