/*
 * summary.c - repetitions made into the figures of a point, once: the
 * results writer asks here, and nothing downstream recomputes them (the
 * table and the detectors read the document).
 */
#include <stdint.h>
#include <stdlib.h>

#include "measure/bench.h"

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* Median of n values (sorted in place), as a double. */
static double med_u64(uint64_t *x, size_t n)
{
        qsort(x, n, sizeof *x, cmp_u64);
        return n % 2 ? (double)x[n / 2] : ((double)x[n / 2 - 1] + (double)x[n / 2]) / 2;
}

size_t ab_rounds_summary(const struct ab_point_res *p, struct ab_round_sum **out)
{
        size_t n = SIZE_MAX;
        uint64_t *tmp;
        *out = NULL;
        for (size_t r = 0; r < p->nreps; r++)
                if (p->reps[r].nrounds < n)
                        n = p->reps[r].nrounds;
        if (!p->nreps || n == 0 || n == SIZE_MAX)
                return 0;
        tmp = calloc(p->nreps, sizeof *tmp);
        *out = calloc(n, sizeof **out);
        if (!tmp || !*out) {
                free(tmp);
                free(*out);
                *out = NULL;
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                struct ab_round_sum *s = &(*out)[i];
                int64_t *mem[] = {&s->rss_kib, &s->vsz_kib, &s->pte_kib};
                s->index = p->reps[0].rounds[i].index;
#define COLLECT(expr)                                      \
        for (size_t r = 0; r < p->nreps; r++) {            \
                const struct ab_rec_round *q = &p->reps[r].rounds[i]; \
                tmp[r] = (uint64_t)(expr);                 \
        }
                COLLECT(q->ns);
                s->ns = med_u64(tmp, p->nreps);
                COLLECT(q->live_bytes);
                s->live_bytes = med_u64(tmp, p->nreps);
                for (int m = 0; m < 3; m++) {
                        bool unknown = false;
                        COLLECT(m == 0 ? q->rss_kib : m == 1 ? q->vsz_kib : q->pte_kib);
                        for (size_t r = 0; r < p->nreps; r++)
                                unknown |= (int64_t)tmp[r] == AB_UNKNOWN;
                        *mem[m] = unknown ? AB_UNKNOWN : (int64_t)med_u64(tmp, p->nreps);
                }
#undef COLLECT
        }
        free(tmp);
        return n;
}
