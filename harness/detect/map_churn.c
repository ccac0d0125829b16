/*
 * map-churn (an addition to SPEC §4): with --syscalls, the measured region
 * asks the kernel for memory on every op. mmap/munmap/mremap/brk at one or
 * more per op is a warning (each pair costs about the calibrated mmap_ns, and
 * the pages are faulted again); madvise alone at one or more per op is
 * information (a purge per op: O(1), but a system call and later faults).
 * Neighbouring points of the same severity make one flag.
 */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

static void hint(struct ab_flags *flags, const char *alloc, bool maps)
{
        if (maps && strcmp(alloc, "glibc") == 0)
                ab_flag_hint(flags, "blocks above glibc's mmap threshold are mapped and unmapped "
                                    "every time; a higher fixed threshold (GLIBC_TUNABLES="
                                    "glibc.malloc.mmap_threshold=N) keeps them in the heap, or "
                                    "reuse the block");
        else if (maps && strcmp(alloc, "musl") == 0)
                ab_flag_hint(flags, "%s: keep one block of the size alive, or link a caching "
                                    "allocator",
                             AB_HINT_MUSL_UNMAPS);
        else if (!maps && strcmp(alloc, "jemalloc") == 0)
                ab_flag_hint(flags, "jemalloc purges a reused extent with madvise to return it "
                                    "zeroed (or to decay it): O(1), but every page is faulted "
                                    "again when touched");
        else
                ab_flag_hint(flags, "the allocator returns memory to the kernel on free and asks "
                                    "again on the next allocation: keep the block, or raise the "
                                    "allocator's retention");
}

struct group {
        json_t *where, *ev, *points, *calls;
        size_t n;
        bool maps;
        double max_map, max_adv;
};

static void emit(struct ab_flags *flags, const struct ab_vrun *run, struct group *g)
{
        if (!g->ev)
                return;
        ab_flag_add(flags, run, "map-churn", g->maps ? "warn" : "info", g->where, g->ev,
                    "every op asks the kernel for memory: up to %.2g map/unmap and %.2g madvise "
                    "calls per op (%zu point%s)",
                    g->max_map, g->max_adv, g->n, g->n > 1 ? "s" : "");
        hint(flags, run->alloc, g->maps);
        g->where = g->ev = NULL;
}

/* The point's syscalls_per_op, as the results file has it. */
static json_t *per_op(const struct ab_vpoint *p)
{
        json_t *o = json_object();
        for (int i = 0; i < AB_SC_N; i++)
                json_object_set_new(o, ab_syscall_names[i], ab_jreal(p->sc_per_op[i]));
        json_object_set_new(o, "mapped_bytes", ab_jreal(p->sc_mapped_per_op));
        json_object_set_new(o, "unmapped_bytes", ab_jreal(p->sc_unmapped_per_op));
        json_object_set_new(o, "advised_bytes", ab_jreal(p->sc_advised_per_op));
        json_object_set_new(o, "ops", isnan(p->sc_ops) ? json_null() : json_integer((json_int_t)p->sc_ops));
        return o;
}

AB_DETECTOR(map_churn)
{
        struct group g = {0};
        for (size_t i = 0; i < run->npoints; i++) {
                const struct ab_vpoint *p = &run->points[i];
                double map = NAN, adv = NAN;
                bool maps;
                if (p->have_sc) {
                        map = p->sc_per_op[AB_SC_MMAP] + p->sc_per_op[AB_SC_MUNMAP] +
                              p->sc_per_op[AB_SC_MREMAP] + p->sc_per_op[AB_SC_BRK];
                        adv = p->sc_per_op[AB_SC_MADVISE];
                }
                if (isnan(map) || isnan(adv) || (map < 1 && adv < 1)) {
                        emit(flags, run, &g);
                        continue;
                }
                maps = map >= 1;
                if (g.ev && g.maps != maps)
                        emit(flags, run, &g);
                if (!g.ev) {
                        g.where = ab_where_point(p);
                        g.ev = json_pack("{s:o,s:o,s:o}", "points", g.points = json_array(),
                                         "syscalls_per_op", g.calls = json_array(), "mmap_ns",
                                         ab_jreal(doc->cal.mmap_ns));
                        g.maps = maps;
                        g.n = 0;
                        g.max_map = g.max_adv = 0;
                }
                json_array_append_new(g.points, ab_where_point(p));
                json_array_append_new(g.calls, per_op(p));
                g.n++;
                g.max_map = fmax(g.max_map, map);
                g.max_adv = fmax(g.max_adv, adv);
        }
        emit(flags, run, &g);
}
