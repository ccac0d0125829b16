/*
 * zeroing-site: a call stack whose callocs of 128 KiB and more cost what
 * zeroing costs, instead of O(1): calloc-zeroing's test (calloc_zeroing.c)
 * on the callocs one site made in its --trace pass, so a program's own
 * callocs are judged, not only calloc-sweep's. The tracer times each such
 * calloc and counts the minor faults inside it; at least 2 of them (a
 * single one is a start-up cost), judged at their average size:
 *  - by counts: the callocs fault in at least half their pages themselves
 *    (faults the program takes later, touching the block, do not count):
 *    calloc writes every page, of memory that went back to the kernel or
 *    of fresh memory it zeroes anyway, instead of handing out pages the
 *    kernel already zeroed;
 *  - by time against this machine: each takes at least half a calibrated
 *    memset of the average size, where that memset costs at least 4
 *    calibrated page faults (below that, zeroing is not told apart from an
 *    allocator's fixed costs).
 * And material: 1 ms or more spent in them in all. High from 32 MiB on
 * average, or when the callocs fault in 90% of their pages (nearly every
 * page is written and faulted again).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect/detect.h"

#define ZERO_MIN (128.0 * 1024)
#define MIB      (1024.0 * 1024)
#define ZERO_FLOOR_NS 1e6 /* the site's callocs cost at least 1 ms in all */

/* The hints of calloc-zeroing, said of a call site; a site that frees
 * none of its blocks callocs memory it did not give back. */
static const char *hint_for(const char *alloc, const struct ab_vsite *s)
{
        if (!(s->total[AB_ST_FREES] >= 1))
                return "the allocator writes zeroes over every block this site callocs, although "
                       "the site freed none (memory fresh from the kernel is zero already): use "
                       "malloc where zeroes are not needed, or compare the other allocators";
        if (strcmp(alloc, "glibc") == 0)
                return "glibc raises its mmap threshold (up to 32 MiB) after an mmapped block is "
                       "freed, so later callocs of this size come from the heap and are memset: "
                       "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 keeps them on fresh, "
                       "already-zero mmap; or keep the buffer and clear only what is used";
        if (strcmp(alloc, "mimalloc") == 0)
                return "mimalloc purges (decommits) freed large pages and zeroes the block again "
                       "on calloc, faulting every page back in: MIMALLOC_PURGE_DELAY=-1 keeps "
                       "them committed; or allocate the buffer once at this site and reuse it";
        if (strcmp(alloc, "tcmalloc") == 0)
                return "tcmalloc hands the freed span back and calloc memsets it; reuse the "
                       "buffer instead of freeing it, or use malloc where zeroes are not needed";
        return "the allocator zeroes every block this site callocs; reuse the buffer instead of "
               "freeing it, or use malloc where zeroes are not needed";
}

struct zeroing {
        double calls, avg, ns, zero_ns, pages, faulted;
        bool by_faults, by_time;
};

static bool zeroes(const struct ab_doc *doc, const struct ab_vsite *s, struct zeroing *z)
{
        double page = doc->host.page_size > 0 ? doc->host.page_size : 4096;
        double fault_ns = doc->cal.page_fault_ns;
        z->calls = s->total[AB_ST_ZC_CALLS];
        if (!(z->calls >= 2))
                return false;
        z->avg = s->total[AB_ST_ZC_BYTES] / z->calls;
        z->ns = s->total[AB_ST_ZC_NS] / z->calls;
        z->pages = s->total[AB_ST_ZC_BYTES] / page;
        z->faulted = s->total[AB_ST_ZC_MINFLT] / z->pages;
        /* below 1 ms in all it is not what the program spends its time on
         * (a start-up list or two; Python's first 192 KiB callocs) */
        if (!(z->avg >= ZERO_MIN) || !(s->total[AB_ST_ZC_NS] >= ZERO_FLOOR_NS))
                return false;
        z->zero_ns = ab_doc_memset_ns(doc, z->avg);
        z->by_faults = z->faulted >= 0.5;
        z->by_time = z->zero_ns > 0 && z->ns >= 0.5 * z->zero_ns && fault_ns > 0 &&
                     z->zero_ns >= 4 * fault_ns;
        return z->by_faults || z->by_time;
}

AB_DETECTOR(zeroing_site)
{
        for (size_t i = 0; i < run->nsites; i++) {
                const struct ab_vsite *s = &run->sites[i];
                struct zeroing z;
                char name[256], a[32], how[128];
                double ratio;
                if (!zeroes(doc, s, &z))
                        continue;
                ratio = z.zero_ns > 0 ? z.ns / z.zero_ns : NAN;
                /* say only what was measured: without calibration there is no ratio */
                if (!isnan(ratio))
                        snprintf(how, sizeof how, " (%.1fx a memset of that size here%s)", ratio,
                                 z.by_faults ? ", faulting its pages in" : "");
                else
                        snprintf(how, sizeof how, "%s",
                                 z.by_faults ? " (it faults its pages in)" : "");
                ab_flag_add(
                    flags, run, "zeroing-site",
                    z.avg >= 32 * MIB || z.faulted >= 0.9 ? "high" : "warn", ab_where_site(s),
                    json_pack("{s:f,s:f,s:f,s:o,s:o,s:f,s:f,s:f,s:o}", "calloc_calls", z.calls,
                              "avg_bytes", z.avg, "ns_per_call", z.ns, "memset_ns",
                              ab_jreal(z.zero_ns > 0 ? z.zero_ns : NAN), "ratio_to_memset",
                              ab_jreal(ratio), "minflt_per_call",
                              s->total[AB_ST_ZC_MINFLT] / z.calls, "pages_per_call",
                              z.pages / z.calls, "pages_faulted", z.faulted, "page_fault_ns",
                              ab_jreal(doc->cal.page_fault_ns)),
                    "calloc of %s at %s costs what zeroing it costs%s instead of O(1), over %.0f "
                    "calls",
                    ab_size_str(z.avg, a, sizeof a), ab_site_name(s, name, sizeof name), how, z.calls);
                ab_flag_hint(flags, "%s", hint_for(run->alloc, s));
        }
}
