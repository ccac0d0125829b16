/*
 * rss-retention: after the workload has freed what it allocated, resident
 * memory stays far above where the process started. Retained = RSS after the
 * region - the runner's RSS before the workload - what the workload still
 * holds (its live bytes after the last round, when it reports rounds).
 * Flagged from 32 MiB retained that is also at least half of the most the
 * workload ever held; high from 256 MiB. Neighbouring flagged points of a
 * sweep make one flag.
 */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

#define MIB (1024.0 * 1024)

static const char *hint_for(const char *alloc)
{
        if (strcmp(alloc, "glibc") == 0)
                return "glibc returns the top of the heap only above M_TRIM_THRESHOLD and keeps "
                       "freed chunks inside it: malloc_trim(0) after a burst, or a lower "
                       "GLIBC_TUNABLES=glibc.malloc.trim_threshold";
        if (strcmp(alloc, "tcmalloc") == 0)
                return "tcmalloc keeps freed spans in its page heap and releases them slowly: "
                       "TCMALLOC_RELEASE_RATE (higher releases faster), or "
                       "MallocExtension::ReleaseFreeMemory() after a burst";
        if (strcmp(alloc, "jemalloc") == 0)
                return "jemalloc purges dirty pages after dirty_decay_ms (10 s by default): "
                       "MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0 returns them at once";
        if (strcmp(alloc, "mimalloc") == 0)
                return "mimalloc purges freed pages after a delay: MIMALLOC_PURGE_DELAY=0";
        return "the allocator keeps freed memory resident instead of returning it to the kernel "
               "(munmap or madvise(MADV_DONTNEED)); check its release or decay settings";
}

struct group {
        json_t *where, *ev, *points, *rss, *peak, *kept;
        double max_kept, base, last_peak;
        size_t n;
};

static void emit(struct ab_flags *flags, const struct ab_vrun *run, struct group *g)
{
        char a[32], b[32], c[32];
        if (!g->ev)
                return;
        ab_flag_add(flags, run, "rss-retention", g->max_kept >= 256 * MIB ? "high" : "warn",
                    g->where, g->ev,
                    "after the workload freed its blocks, up to %s stays resident (%s at the "
                    "start; %zu point%s, the last holding at most %s)",
                    ab_size_str(g->max_kept, a, sizeof a), ab_size_str(g->base, b, sizeof b), g->n,
                    g->n > 1 ? "s" : "", ab_size_str(g->last_peak, c, sizeof c));
        ab_flag_hint(flags, "%s", hint_for(run->alloc));
        g->where = g->ev = NULL;
}

AB_DETECTOR(rss_retention)
{
        double base = run->runner_rss_kib * 1024;
        struct group g = {0};
        double still = 0;
        (void)doc;
        if (isnan(base) || run->program)
                return; /* cmd: what the program holds at the end is unknown */
        if (run->nrounds)
                still = run->rounds[run->nrounds - 1].live_bytes;
        if (isnan(still))
                still = 0;
        g.base = base;
        for (size_t i = 0; i < run->npoints; i++) {
                const struct ab_vpoint *p = &run->points[i];
                double rss = p->m[AB_M_RSS] * 1024, peak = p->m[AB_M_LIVE];
                double kept = rss - base - still;
                if (isnan(rss) || isnan(peak) || !p->ok || !(kept >= 32 * MIB && kept >= 0.5 * peak)) {
                        emit(flags, run, &g);
                        continue;
                }
                if (!g.ev) {
                        g.where = ab_where_point(p);
                        g.ev = json_pack("{s:f,s:f,s:o,s:o,s:o,s:o}", "runner_rss_kib",
                                         base / 1024, "live_bytes_at_end", still, "points",
                                         g.points = json_array(), "rss_kib", g.rss = json_array(),
                                         "live_peak_bytes", g.peak = json_array(), "retained_kib",
                                         g.kept = json_array());
                        g.max_kept = 0;
                        g.n = 0;
                }
                json_array_append_new(g.points, ab_where_point(p));
                json_array_append_new(g.rss, json_real(rss / 1024));
                json_array_append_new(g.peak, json_real(peak));
                json_array_append_new(g.kept, json_real(kept / 1024));
                if (kept > g.max_kept)
                        g.max_kept = kept;
                g.last_peak = peak;
                g.n++;
        }
        emit(flags, run, &g);
}
