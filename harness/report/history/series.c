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

int ab_history_detect(struct ab_history *h)
{
        for (size_t i = 0; i < h->nseries; i++) {
                struct ab_hseries *s = &h->series[i];
                struct ab_cp_params p = h->params;
                int m = ab_hmetric(s->metric), r;
                size_t cap = s->n / p.min_seg + 1;
                p.floor = m >= 0 ? ab_metrics[m].floor : s->site ? AB_HSITE_FLOOR : 0;
                /* timings and sizes vary in proportion to their level: test
                 * their logarithms, report their values; a site's left-over
                 * is often 0 and may be below it, and is tested as it is */
                p.log_scale = p.floor > 0 && !s->site;
                s->cp = calloc(cap, sizeof *s->cp);
                if (!s->cp)
                        return -ENOMEM;
                r = ab_cp_detect(s->v, s->n, &p, s->cp, cap);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        warn_untested(h, s, p.log_scale, r);
                        s->ncp = 0;
                        continue;
                }
                s->ncp = (size_t)r < cap ? (size_t)r : cap;
        }
        return 0;
}
