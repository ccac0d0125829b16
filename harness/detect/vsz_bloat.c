/*
 * vsz-bloat: virtual size far above resident size, beyond what the run
 * legitimately maps. What it may map: the runner's own virtual size before
 * the workload (libraries, its stack), each thread's stack of known size plus
 * a guard page, and the most bytes the workload itself held. Flagged when the
 * excess is at least 64 MiB, doubles the legitimate size, and is 4x the
 * resident set; the excess is attributed per thread where threads are used.
 *
 * A program (cmd) is judged on its process tree at the end of its last
 * round (its steady state; without rounds, at its largest): its anonymous
 * address space (mappings without a file, PROT_NONE reservations included:
 * libraries do not count) against what it may map: its resident anonymous
 * memory, a stack for each thread beyond each process's first (8 MiB, the
 * default), and 16 MiB per process for the rest (the heap's slack, small
 * mappings). A region the program maps and unmaps within a round is its own
 * business, not a reservation left standing.
 */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

#define MIB (1024.0 * 1024)

static void hint(struct ab_flags *flags, const char *alloc, double per_thread, double threads,
                 const char *wrap)
{
        if (wrap)
                ab_flag_hint(flags, "the launcher (%s) reserves address space of its own (QEMU's "
                                    "user-mode emulator reserves the guest's); compare with the "
                                    "native run",
                             wrap);
        else if (strcmp(alloc, "glibc") == 0 && threads > 1 && per_thread >= 32 * MIB)
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

static void flag(struct ab_flags *flags, const struct ab_vrun *run, const struct ab_vpoint *p,
                 double vsz, double rss, double excess, double threads, json_t *ev,
                 const char *what)
{
        char a[32], b[32], c[32];
        double per = threads > 1 ? excess / threads : excess;
        json_object_set_new(ev, "excess_kib", json_real(excess / 1024));
        json_object_set_new(ev, "excess_per_thread_kib", json_real(per / 1024));
        ab_flag_add(flags, run, "vsz-bloat", excess >= 256 * MIB ? "high" : "warn",
                    ab_where_point(p), ev,
                    "%s %s is %.0fx the resident %s and %s beyond what the run maps%s", what,
                    ab_size_str(vsz, a, sizeof a), vsz / rss, ab_size_str(rss, b, sizeof b),
                    ab_size_str(excess, c, sizeof c),
                    threads > 1 ? " (per thread: see evidence)" : "");
        hint(flags, run->alloc, per, threads, run->wrap);
}

/* cmd: the anonymous address space of the program's tree at its largest. */
static void program(struct ab_flags *flags, const struct ab_vrun *run)
{
        double stack = ab_vrun_num(run, "stack");
        if (isnan(stack) || !(stack > 0))
                stack = 8 * MIB;
        const struct ab_vround *last = run->nrounds ? &run->rounds[run->nrounds - 1] : NULL;
        if (last && isnan(last->anon_vsz_kib))
                last = NULL;
        for (size_t i = 0; i < run->npoints; i++) {
                const struct ab_vpoint *p = &run->points[i];
                double vsz = (last ? last->anon_vsz_kib : p->m[AB_M_ANON_VSZ]) * 1024;
                double rss = (last ? last->anon_kib : p->m[AB_M_ANON]) * 1024;
                double threads = last ? last->threads : p->m[AB_M_THREADS];
                double procs = last ? last->procs : p->m[AB_M_PROCS], legit, excess;
                if (isnan(vsz) || isnan(rss) || isnan(threads) || isnan(procs) || procs < 1)
                        continue;
                legit = rss + (threads - procs) * (stack + 4096) + procs * 16 * MIB;
                excess = vsz - legit;
                if (!(excess >= 64 * MIB && vsz >= 2 * legit && vsz >= 4 * rss))
                        continue;
                flag(flags, run, p, vsz, rss, excess, threads,
                     json_pack("{s:f,s:f,s:f,s:f,s:f,s:s}", "anon_vsz_kib", vsz / 1024, "anon_kib",
                               rss / 1024, "threads", threads, "processes", procs,
                               "thread_stack_bytes", stack, "when",
                               last ? "after the last round" : "at its largest"),
                     "anonymous address space");
        }
}

AB_DETECTOR(vsz_bloat)
{
        if (run->program) {
                program(flags, run);
                return;
        }
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
                hint(flags, run->alloc, per, threads, run->wrap);
        }
}
