/*
 * vsz-bloat: virtual size far above resident size, beyond what the run
 * legitimately maps. What it may map: the runner's own virtual size before
 * the workload (libraries, its stack), each thread's stack of known size plus
 * a guard page, and the most bytes the workload itself held. Flagged when the
 * excess is at least 64 MiB, doubles the legitimate size, and is 4x the
 * resident set; the excess is attributed per thread where threads are used.
 */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

#define MIB (1024.0 * 1024)

static void hint(struct ab_flags *flags, const char *alloc, double per_thread, double threads)
{
        if (strcmp(alloc, "glibc") == 0 && threads > 1 && per_thread >= 32 * MIB)
                ab_flag_hint(flags, "glibc gives threads their own arenas and reserves 64 MiB "
                                    "of address space for each (up to 8 per core): "
                                    "MALLOC_ARENA_MAX=1 or 2 (GLIBC_TUNABLES="
                                    "glibc.malloc.arena_max=2) caps them");
        else if (strcmp(alloc, "mimalloc") == 0)
                ab_flag_hint(flags, "mimalloc reserves address space in large segments and "
                                    "arenas per thread and commits on demand: the VSZ is "
                                    "reservation, not memory (MIMALLOC_ARENA_RESERVE sets its "
                                    "size); it matters under address-space limits (ulimit -v, "
                                    "containers counting VSZ)");
        else if (strcmp(alloc, "jemalloc") == 0)
                ab_flag_hint(flags, "jemalloc retains virtual memory it no longer uses (opt.retain) "
                                    "and keeps per-thread caches and arenas: MALLOC_CONF="
                                    "retain:false,narenas:1");
        else
                ab_flag_hint(flags, "the allocator reserves address space it does not use%s; "
                                    "look at /proc/PID/smaps of the workload for the large "
                                    "PROT_NONE or untouched mappings, or strace -f -e "
                                    "mmap,munmap for who made them",
                             threads > 1 ? " (per thread, by the numbers)" : "");
}

AB_DETECTOR(vsz_bloat)
{
        double base = run->runner_vsz_kib * 1024;
        double threads = ab_vrun_num(run, "threads"), stack = ab_vrun_num(run, "stack");
        (void)doc;
        if (isnan(threads) || threads != floor(threads))
                threads = 1;
        if (isnan(stack) || stack != floor(stack))
                stack = 0;
        if (isnan(base))
                return;
        for (size_t i = 0; i < run->npoints; i++) {
                const struct ab_vpoint *p = &run->points[i];
                double vsz = p->m[AB_M_VSZ] * 1024, rss = p->m[AB_M_RSS] * 1024;
                double live = p->m[AB_M_LIVE];
                double legit, excess, per;
                char a[32], b[32], c[32];
                if (isnan(vsz) || isnan(rss))
                        continue;
                if (isnan(live))
                        live = 0;
                legit = base + (threads > 1 ? threads * (stack + 4096) : 0) + live;
                excess = vsz - legit;
                if (!(excess >= 64 * MIB && vsz >= 2 * legit && vsz >= 4 * rss))
                        continue;
                per = threads > 1 ? excess / threads : excess;
                ab_flag_add(flags, run, "vsz-bloat", excess >= 256 * MIB ? "high" : "warn",
                            ab_where_point(p),
                            json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "vsz_kib", vsz / 1024,
                                      "rss_kib", rss / 1024, "runner_vsz_kib", base / 1024,
                                      "threads", threads, "thread_stack_bytes", stack,
                                      "live_peak_bytes", live, "excess_kib", excess / 1024,
                                      "excess_per_thread_kib", per / 1024),
                            "virtual size %s is %.0fx the resident %s and %s beyond what the run "
                            "maps%s",
                            ab_size_str(vsz, a, sizeof a), vsz / rss, ab_size_str(rss, b, sizeof b),
                            ab_size_str(excess, c, sizeof c),
                            threads > 1 ? " (per thread: see evidence)" : "");
                hint(flags, run->alloc, per, threads);
        }
}
