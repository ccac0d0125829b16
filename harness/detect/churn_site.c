/*
 * churn-site: a call stack that asks the kernel for memory over and over
 * (map-churn, attributed to the code that does it). Two stories, one flag
 * a site, the first that holds:
 *  - its own mappings: at least 64 mmap/mremap calls, unmapped again (a
 *    mapping kept for the run is not churn): half as many munmaps on the
 *    same stack, or, since a munmap counts on the stack that calls it (a
 *    buf_free(), or a tail call, which -O2 makes of a munmap that ends the
 *    function that mapped), the point's stacks left mapped at the end less
 *    than half of what this one mapped. Each pair is a system call of
 *    about the calibrated mmap_ns, and every page is faulted and zeroed
 *    again: warn. From the tracer these are the program's own calls;
 *    from strace -k, every call on that stack, the allocator's included
 *    (a stack both saw is flagged once, from the tracer);
 *  - big blocks from the allocator, allocated and freed again and again:
 *    at least 64 mallocs, callocs, reallocs and frees of 128 KiB and more,
 *    frees at least half the allocations (they do not pile up) and big
 *    operations at least half of all the site's operations (the site is
 *    about them). Whether each one maps and unmaps depends on the
 *    allocator's mmap threshold and retention, so this is information,
 *    raised to warn when the point's --syscalls pass counted at least a
 *    munmap per 4 ops.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect/detect.h"

/* Mapping churn: 64 maps or more, unmapped again: half as many munmaps on
 * the same stack, or (the munmaps elsewhere) the point left mapped less
 * than half of what this stack mapped. */
static bool maps_churn(const struct ab_vrun *run, const struct ab_vsite *s, bool *here)
{
        double maps = s->total[AB_ST_MAP_CALLS], unmaps = s->total[AB_ST_UNMAP_CALLS];
        double bytes = s->total[AB_ST_MAP_BYTES];
        if (!(maps >= 64))
                return false;
        *here = unmaps >= 0.5 * maps;
        return *here || (bytes > 0 && ab_site_net_mapped(run, s) <= 0.5 * bytes);
}

static bool big_churn(const struct ab_vsite *s)
{
        double big = s->total[AB_ST_BIG_OPS], allocs = s->total[AB_ST_ALLOCS];
        double frees = s->total[AB_ST_FREES];
        return big >= 64 && allocs >= 1 && frees >= 0.5 * allocs && big >= 0.5 * (allocs + frees);
}

/* A strace site whose stack the tracer saw mapping at the same point: the
 * tracer's site says it (with rounds), once. */
static bool told_by_tracer(const struct ab_vrun *run, const struct ab_vsite *s)
{
        if (strcmp(s->source, "strace") != 0)
                return false;
        for (size_t i = 0; i < run->nsites; i++) {
                const struct ab_vsite *t = &run->sites[i];
                bool here;
                if (t->point == s->point && strcmp(t->source, "tracer") == 0 &&
                    strcmp(t->key, s->key) == 0 && maps_churn(run, t, &here))
                        return true;
        }
        return false;
}

/* The rounds of the site's trace pass, or NAN. */
static double pass_rounds(const struct ab_vrun *run, const struct ab_vsite *s)
{
        for (size_t i = 0; i < run->trace.npoints; i++)
                if (run->trace.points[i].point == s->point)
                        return run->trace.points[i].rounds >= 1 ? run->trace.points[i].rounds : NAN;
        return NAN;
}

static void maps(const struct ab_doc *doc, const struct ab_vrun *run, const struct ab_vsite *s,
                 bool here, struct ab_flags *flags)
{
        double n = s->total[AB_ST_MAP_CALLS], rounds = pass_rounds(run, s);
        double avg = s->total[AB_ST_MAP_BYTES] / n;
        bool tracer = strcmp(s->source, "tracer") == 0;
        char name[256], a[32], per[64] = "";
        if (!isnan(rounds))
                snprintf(per, sizeof per, ", %.3g a round", n / rounds);
        ab_flag_add(flags, run, "churn-site", "warn", ab_where_site(s),
                    json_pack("{s:f,s:f,s:o,s:o,s:o,s:o,s:o,s:s,s:o}", "map_calls", n,
                              "unmap_calls", s->total[AB_ST_UNMAP_CALLS], "map_bytes",
                              ab_jreal(s->total[AB_ST_MAP_BYTES]), "unmap_bytes",
                              ab_jreal(s->total[AB_ST_UNMAP_BYTES]), "point_net_mapped_bytes",
                              ab_jreal(ab_site_net_mapped(run, s)), "rounds", ab_jreal(rounds),
                              "map_calls_per_round", ab_jreal(n / rounds), "source", s->source,
                              "mmap_ns", ab_jreal(doc->cal.mmap_ns)),
                    "%s maps and unmaps %.0f times%s (%s a mapping on average%s)",
                    ab_site_name(s, name, sizeof name), n, per, ab_size_str(avg, a, sizeof a),
                    here ? "" : "; the munmaps are on another stack");
        if (tracer)
                ab_flag_hint(flags, "this code maps and unmaps memory itself: each pair is a "
                                    "system call and every page is faulted and zeroed again; "
                                    "keep the mapping and reuse it, or take the memory from "
                                    "the allocator");
        else if (strcmp(run->alloc, "glibc") == 0)
                ab_flag_hint(flags, "blocks above glibc's mmap threshold are mapped and unmapped "
                                    "on every malloc and free at this site; a higher fixed "
                                    "threshold (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=N) "
                                    "keeps them in the heap, or reuse the block");
        else
                ab_flag_hint(flags, "memory allocated at this site goes back to the kernel on "
                                    "free and is asked for again on the next allocation: keep "
                                    "the block, or raise the allocator's retention");
}

/* The hint of big-block churn: what --syscalls said of the point (NAN:
 * not counted). */
static void big_hint(struct ab_flags *flags, const char *alloc, double unmaps, double avg)
{
        if (unmaps < 0.25)
                ab_flag_hint(flags, "the allocator keeps these blocks here (the point's "
                                    "--syscalls pass counts few munmaps), but another allocator, "
                                    "or a threshold that moves, may map and unmap each one: "
                                    "keep the buffer and reuse it instead of freeing it");
        else if (strcmp(alloc, "glibc") == 0 && avg > 32 * 1024 * 1024)
                ab_flag_hint(flags,
                             "glibc maps every block above 32 MiB (the most its mmap "
                             "threshold rises to, or can be set to) and unmaps it on free, "
                             "faulting every page again%s: keep the buffer and reuse it",
                             isnan(unmaps) ? " (--syscalls counts it)" : "");
        else if (strcmp(alloc, "glibc") == 0)
                ab_flag_hint(flags,
                             "glibc maps blocks from its mmap threshold up (128 KiB, "
                             "raised up to 32 MiB as mapped blocks are freed) and "
                             "unmaps them on free, faulting every page again: keep the "
                             "buffer and reuse it, or set a fixed threshold above the "
                             "block (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=N)%s",
                             isnan(unmaps) ? "; --syscalls counts whether it does here" : "");
        else
                ab_flag_hint(flags,
                             "whether each of these blocks is mapped and unmapped depends "
                             "on the allocator's threshold and retention%s: keep the "
                             "buffer and reuse it instead of freeing it every time",
                             isnan(unmaps) ? " (--syscalls counts it)" : "");
}

static void big(const struct ab_vrun *run, const struct ab_vsite *s, struct ab_flags *flags)
{
        const struct ab_vpoint *p = s->point;
        double unmaps = p && p->have_sc ? p->sc_per_op[AB_SC_MUNMAP] : NAN;
        double avg = s->total[AB_ST_BYTES_ALLOC] / s->total[AB_ST_ALLOCS];
        char name[256], a[32], said[96] = "";
        if (!isnan(unmaps))
                snprintf(said, sizeof said, "; --syscalls counts %.2g munmap per op at the point",
                         unmaps);
        ab_flag_add(flags, run, "churn-site", unmaps >= 0.25 ? "warn" : "info", ab_where_site(s),
                    json_pack("{s:f,s:f,s:f,s:f,s:o}", "big_ops", s->total[AB_ST_BIG_OPS], "allocs",
                              s->total[AB_ST_ALLOCS], "frees", s->total[AB_ST_FREES],
                              "bytes_per_alloc", avg, "munmap_per_op", ab_jreal(unmaps)),
                    "%s allocates and frees blocks of 128 KiB or more over and over: %.0f such "
                    "operations (%s allocated a call on average)%s",
                    ab_site_name(s, name, sizeof name), s->total[AB_ST_BIG_OPS],
                    ab_size_str(avg, a, sizeof a), said);
        big_hint(flags, run->alloc, unmaps, avg);
}

AB_DETECTOR(churn_site)
{
        for (size_t i = 0; i < run->nsites; i++) {
                const struct ab_vsite *s = &run->sites[i];
                bool here;
                if (maps_churn(run, s, &here)) {
                        if (!told_by_tracer(run, s))
                                maps(doc, run, s, here, flags);
                } else if (big_churn(s))
                        big(run, s, flags);
        }
}
