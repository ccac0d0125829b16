/*
 * shard.c - which cells of the matrix a --shard K/N run measures, and how
 * its results document says so (shard.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "measure/shard.h"

int ab_shard_parse(const char *text, unsigned *k, unsigned *n, char *err, size_t errlen)
{
        const char *slash = strchr(text, '/');
        char left[32];
        uint64_t a, b;
        if (!slash || (size_t)(slash - text) >= sizeof left) {
                snprintf(err, errlen, "malformed");
                return -EINVAL;
        }
        snprintf(left, sizeof left, "%.*s", (int)(slash - text), text);
        if (ab_parse_u64(left, &a) || ab_parse_u64(slash + 1, &b)) {
                snprintf(err, errlen, "malformed");
                return -EINVAL;
        }
        if (b < 1 || b > AB_SHARD_MAX) {
                snprintf(err, errlen, "N must be from 1 to %d", AB_SHARD_MAX);
                return -EINVAL;
        }
        if (a < 1 || a > b) {
                snprintf(err, errlen, "K must be from 1 to N (%llu)", (unsigned long long)b);
                return -EINVAL;
        }
        *k = (unsigned)a;
        *n = (unsigned)b;
        return 0;
}

unsigned ab_shard_of(uint64_t cell, unsigned n)
{
        return (unsigned)((cell % n + cell / n) % n) + 1;
}

uint64_t ab_shard_cell(const struct ab_opts *o, size_t job, size_t point, size_t alloc)
{
        uint64_t base = 0;
        for (size_t j = 0; j < job; j++)
                base += (uint64_t)o->jobs[j].npoints * o->nallocs;
        return base + (uint64_t)point * o->nallocs + alloc;
}

uint64_t ab_shard_cells(const struct ab_opts *o)
{
        return ab_shard_cell(o, o->njobs, 0, 0);
}

bool ab_shard_mine(const struct ab_opts *o, size_t job, size_t point, size_t alloc)
{
        return !o->shard_n ||
               ab_shard_of(ab_shard_cell(o, job, point, alloc), o->shard_n) == o->shard_k;
}

bool ab_shard_point_mine(const struct ab_opts *o, size_t job, size_t point)
{
        for (size_t a = 0; a < o->nallocs; a++)
                if (ab_shard_mine(o, job, point, a))
                        return true;
        return false;
}

uint64_t ab_shard_count_mine(const struct ab_opts *o)
{
        uint64_t n = 0;
        for (size_t j = 0; j < o->njobs; j++)
                for (size_t p = 0; p < o->jobs[j].npoints; p++)
                        for (size_t a = 0; a < o->nallocs; a++)
                                n += ab_shard_mine(o, j, p, a);
        return n;
}
