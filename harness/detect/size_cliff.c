/*
 * size-cliff: the cost per op changes by a large factor between neighbouring
 * sizes of a size sweep, beyond what the sizes themselves explain, and the
 * two confidence intervals do not touch: the allocator serves the two sizes
 * by different paths. Counts first: where minor faults per page change regime
 * (below 0.1 on one side, at least 0.5 on the other), a jump of 8x is a
 * cliff; on time alone the cost must also grow 8x faster than the size. A
 * jump up is a warning; a drop (8x cheaper although the size grew) is
 * information: it marks where the expensive path ends.
 */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

#define JUMP 8.0

AB_DETECTOR(size_cliff)
{
        const struct ab_vpoint *prev = NULL;
        double page = doc->host.page_size > 0 ? doc->host.page_size : 4096;
        for (size_t i = 0; i < run->npoints; i++) {
                const struct ab_vpoint *p = &run->points[i];
                const struct ab_vsum *c0, *c1;
                double s0, s1, m0, m1, r, excess, f0, f1;
                bool regime, up, down;
                char a[32], b[32];
                const char *which, *which0;
                c1 = ab_point_cost(p, &which);
                if (!p->ok || isnan(p->size) || isnan(c1->median)) {
                        prev = NULL;
                        continue;
                }
                if (!prev) {
                        prev = p;
                        continue;
                }
                c0 = ab_point_cost(prev, &which0);
                if (strcmp(which0, which) != 0) { /* never compare CPU with wall time */
                        c0 = &prev->ns;
                        c1 = &p->ns;
                        which = "ns_per_op";
                }
                s0 = prev->size;
                s1 = p->size;
                m0 = c0->median;
                m1 = c1->median;
                if (!(s1 > s0 && m0 > 0 && m1 > 0)) {
                        prev = p;
                        continue;
                }
                r = m1 / m0;
                excess = r / (s1 / s0);
                f0 = prev->m[AB_M_MINFLT] / ceil(s0 / page);
                f1 = p->m[AB_M_MINFLT] / ceil(s1 / page);
                regime = (f0 < 0.1 && f1 >= 0.5) || (f1 < 0.1 && f0 >= 0.5);
                up = r >= JUMP && excess >= (regime ? 4 : JUMP) && c1->ci95_lo > c0->ci95_hi;
                down = r <= 1 / JUMP && c1->ci95_hi < c0->ci95_lo;
                if (up || down) {
                        ab_flag_add(flags, run, "size-cliff", up ? "warn" : "info", ab_where_point(p),
                                    json_pack("{s:I,s:I,s:s,s:f,s:f,s:f,s:f,s:o,s:o}", "from_size",
                                              (json_int_t)s0, "to_size", (json_int_t)s1, "cost",
                                              which, "from_ns_per_op", m0, "to_ns_per_op", m1,
                                              "ratio", r, "size_ratio", s1 / s0,
                                              "from_minflt_per_op", ab_jreal(prev->m[AB_M_MINFLT]),
                                              "to_minflt_per_op", ab_jreal(p->m[AB_M_MINFLT])),
                                    "cost per op %s %.0fx from %s to %s, sizes only %.0fx apart",
                                    up ? "jumps" : "drops", up ? r : 1 / r,
                                    ab_size_str(s0, a, sizeof a), ab_size_str(s1, b, sizeof b),
                                    s1 / s0);
                        if (strcmp(run->alloc, "musl") == 0)
                                ab_flag_hint(flags, "a size threshold inside the allocator: "
                                                    "another path serves sizes from %s (%s)",
                                             b, AB_HINT_MUSL_UNMAPS);
                        else
                                ab_flag_hint(flags,
                                             "a size threshold inside the allocator: another path "
                                             "serves sizes from %s (glibc: its mmap threshold, 128 "
                                             "KiB raised dynamically up to 32 MiB; caching "
                                             "allocators: the largest cached size class)",
                                             b);
                }
                prev = p;
        }
}
