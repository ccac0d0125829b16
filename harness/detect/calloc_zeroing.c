/*
 * calloc-zeroing: a calloc of a reused block costs what zeroing its bytes
 * costs, instead of O(1). Decided on calloc-sweep's reuse mode (the loop of
 * the macOS story) for blocks from 128 KiB up, where an O(1) answer (memory
 * fresh from the kernel, known to be zero) is what allocators normally give:
 *  - by counts: calloc itself faults in at least half the block's pages
 *    (touch=none, so the workload touches nothing): the block went back to
 *    the kernel and every page is faulted and zeroed again;
 *  - by time against this machine: it costs at least half of the calibrated
 *    memset of that size, where that memset costs at least 4 calibrated page
 *    faults (below that, zeroing is indistinguishable from an allocator's
 *    fixed costs: a flat 800 ns is O(1) even where a memset costs 800 ns),
 *    and where the cost grows with the size as zeroing does: a cost that
 *    stays flat from the neighbouring sizes of the sweep on either side
 *    while their memset grows is a fixed cost per op (musl maps every block
 *    from 128 KiB and unmaps it on free: about 10 us from 128 KiB to 4 MiB,
 *    which passes half a memset of 1 or 2 MiB on a 2-core VM, with no byte
 *    zeroed: the mapping is fresh from the kernel).
 * Neighbouring flagged sizes make one flag.
 */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

#define ZERO_MIN (128.0 * 1024)

static const char *hint_for(const char *alloc)
{
        if (strcmp(alloc, "glibc") == 0)
                return "glibc raises its mmap threshold (up to 32 MiB) after an mmapped block is "
                       "freed, so later callocs of that size come from the heap and are memset; "
                       "a fixed threshold keeps them on fresh, already-zero mmap: "
                       "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072";
        if (strcmp(alloc, "mimalloc") == 0)
                return "mimalloc purges (decommits) freed large pages and zeroes the block again "
                       "on calloc, faulting every page back in: MIMALLOC_PURGE_DELAY=-1 keeps "
                       "them committed; or allocate once and reuse the buffer";
        if (strcmp(alloc, "tcmalloc") == 0)
                return "tcmalloc hands the freed span back and calloc memsets it; reuse the "
                       "buffer instead of freeing it, or use malloc where zeroes are not needed";
        return "the allocator caches freed large blocks and zeroes them on every calloc; reuse "
               "the buffer instead of freeing it, or use malloc where zeroes are not needed";
}

/* The evidence of one flag: neighbouring flagged sizes, a list per figure. */
struct group {
        json_t *ev, *sizes, *ns, *memset, *ratio, *minflt, *pages;
        double first, last, last_ratio;
        size_t n;
        bool faults;
};

static void emit(struct ab_flags *flags, const struct ab_vrun *run, struct group *g)
{
        char a[32], b[32], how[128];
        if (!g->ev)
                return;
        /* say only what was measured: without calibration there is no ratio */
        if (!isnan(g->last_ratio))
                snprintf(how, sizeof how, " (%.1fx a memset of that size here%s)", g->last_ratio,
                         g->faults ? ", and it faults in every page" : "");
        else
                snprintf(how, sizeof how, "%s", g->faults ? " (it faults in every page)" : "");
        ab_flag_add(flags, run, "calloc-zeroing",
                    g->faults || g->last >= 32.0 * 1024 * 1024 ? "high" : "warn",
                    json_pack("{s:I}", "size", (json_int_t)g->first), g->ev,
                    "calloc of a reused %s%s%s block costs what zeroing it costs%s instead of O(1)",
                    ab_size_str(g->first, a, sizeof a), g->n > 1 ? " to " : "",
                    g->n > 1 ? ab_size_str(g->last, b, sizeof b) : "", how);
        ab_flag_hint(flags, "%s", hint_for(run->alloc));
        g->ev = NULL;
}

static void start(struct group *g, double size, const char *which)
{
        g->ev = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:s}", "sizes", g->sizes = json_array(),
                          "ns_per_op", g->ns = json_array(), "memset_ns", g->memset = json_array(),
                          "ratio_to_memset", g->ratio = json_array(), "minflt_per_op",
                          g->minflt = json_array(), "pages", g->pages = json_array(), "cost", which);
        g->first = size;
        g->faults = false;
        g->n = 0;
}

/* Does point i's cost stay flat towards the neighbouring points of the
 * sweep (every one that has a cost, at least one), i.e. change by less than
 * half as much as a memset of the size does, on a log scale? Zeroing grows
 * with the bytes: from 1 to 2 MiB its cost doubles, a fixed cost does not. */
static bool flat_cost(const struct ab_doc *doc, const struct ab_vrun *run, size_t i, double ns)
{
        const struct ab_vpoint *p = &run->points[i];
        double zero = p->size > 0 ? ab_doc_memset_ns(doc, p->size) : -1;
        int n = 0;
        for (int d = -1; d <= 1; d += 2) {
                const struct ab_vpoint *q;
                const char *which;
                double ns2, zero2;
                if ((d < 0 && i == 0) || (d > 0 && i + 1 >= run->npoints))
                        continue;
                q = &run->points[i + (size_t)d];
                ns2 = ab_point_cost(q, &which)->median;
                zero2 = q->size > 0 ? ab_doc_memset_ns(doc, q->size) : -1;
                if (!q->ok || !(ns2 > 0) || !(ns > 0) || !(zero > 0) || !(zero2 > 0) ||
                    q->size == p->size)
                        continue;
                if (fabs(log(ns2 / ns)) >= 0.5 * fabs(log(zero2 / zero)))
                        return false;
                n++;
        }
        return n > 0;
}

AB_DETECTOR(calloc_zeroing)
{
        const char *touch = ab_vrun_str(run, "touch") ? ab_vrun_str(run, "touch") : "";
        const char *mode = ab_vrun_str(run, "mode") ? ab_vrun_str(run, "mode") : "";
        double page = doc->host.page_size;
        double fault_ns = doc->cal.page_fault_ns;
        struct group g = {0};

        if (strcmp(run->kernel, "calloc-sweep") != 0 || strcmp(mode, "reuse") != 0 ||
            strcmp(touch, "all") == 0)
                return;
        if (!(page > 0))
                page = 4096;
        for (size_t i = 0; i < run->npoints; i++) {
                const struct ab_vpoint *p = &run->points[i];
                const char *which;
                double size = p->size;
                double ns = ab_point_cost(p, &which)->median;
                double flt = p->m[AB_M_MINFLT];
                double pages = ceil(size / page);
                double zero_ns = size > 0 ? ab_doc_memset_ns(doc, size) : -1;
                bool by_faults = p->ok && strcmp(touch, "none") == 0 && flt >= 0.5 * pages;
                bool by_time = zero_ns > 0 && ns >= 0.5 * zero_ns && fault_ns > 0 &&
                               zero_ns >= 4 * fault_ns && !flat_cost(doc, run, i, ns);
                if (!(size >= ZERO_MIN) || !(by_faults || by_time) || isnan(ns)) {
                        emit(flags, run, &g);
                        continue;
                }
                if (!g.ev)
                        start(&g, size, which);
                g.last = size;
                g.faults |= by_faults;
                g.last_ratio = zero_ns > 0 ? ns / zero_ns : NAN;
                g.n++;
                json_array_append_new(g.sizes, json_integer((json_int_t)size));
                json_array_append_new(g.ns, json_real(ns));
                json_array_append_new(g.memset, zero_ns > 0 ? json_real(zero_ns) : json_null());
                json_array_append_new(g.ratio, ab_jreal(g.last_ratio));
                json_array_append_new(g.minflt, ab_jreal(flt));
                json_array_append_new(g.pages, json_integer((json_int_t)pages));
        }
        emit(flags, run, &g);
}
