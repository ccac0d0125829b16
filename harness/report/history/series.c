/*
 * series.c - change points per series (series.h).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The series a thread tests: every nth from first. */
struct part {
        struct ab_history *h;
        int *rc; /* each series' result */
        size_t first, step;
};

static void *detect_part(void *arg)
{
        struct part *p = arg;
        for (size_t i = p->first; i < p->h->nseries; i += p->step)
                p->rc[i] = detect_one(p->h, &p->h->series[i]);
        return NULL;
}

/* Threads to test with: a fleet's history has tens of thousands of series,
 * each tested alone; a small one is not worth a thread. */
static size_t nthreads(size_t nseries)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (nseries < 256 || n < 2)
                return 1;
        return n > 8 ? 8 : (size_t)n;
}

int ab_history_detect(struct ab_history *h)
{
        size_t nt = nthreads(h->nseries), started = 0;
        struct part parts[8];
        pthread_t tid[8];
        int *rc = calloc(h->nseries + 1, sizeof *rc), ret = 0;
        if (!rc)
                return -ENOMEM;
        for (size_t t = 0; t < nt; t++) {
                parts[t] = (struct part){h, rc, t, nt};
                /* the first part runs here, the others in threads (or here,
                 * when a thread cannot start) */
                if (t == 0 || pthread_create(&tid[t], NULL, detect_part, &parts[t]) != 0)
                        continue;
                started |= (size_t)1 << t;
        }
        for (size_t t = 0; t < nt; t++)
                if (!(started & ((size_t)1 << t)))
                        detect_part(&parts[t]);
        for (size_t t = 1; t < nt; t++)
                if (started & ((size_t)1 << t))
                        pthread_join(tid[t], NULL);
        /* warnings in the series' order, whatever thread found them */
        for (size_t i = 0; i < h->nseries; i++) {
                struct ab_hseries *s = &h->series[i];
                if (rc[i] == -ENOMEM)
                        ret = -ENOMEM;
                else if (rc[i] < 0) {
                        warn_untested(h, s, !s->exact && log_scale_of(s), rc[i]);
                        s->ncp = 0;
                }
        }
        free(rc);
        return ret;
}
