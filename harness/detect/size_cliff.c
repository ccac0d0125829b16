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
        json_t *pts = json_object_get(run, "points"), *prev = NULL, *p;
        size_t i;
        json_array_foreach(pts, i, p)
        {
                double s0, s1, m0, m1, lo1, hi1, lo0, hi0;
                char a[32], b[32];
                const char *which, *which0;
                json_t *c0, *c1 = ab_point_cost(p, &which);
                if (!ab_str(p, "status") || strcmp(ab_str(p, "status"), "ok") != 0 ||
                    isnan(ab_num(json_object_get(p, "params"), "size")) ||
                    isnan(ab_num(c1, "median"))) {
                        prev = NULL;
                        continue;
                }
                if (!prev) {
                        prev = p;
                        continue;
                }
                c0 = ab_point_cost(prev, &which0);
                if (strcmp(which0, which) != 0) /* never compare CPU with wall time */
                        c0 = json_object_get(prev, which), c1 = json_object_get(p, which);
                s0 = ab_num(json_object_get(prev, "params"), "size");
                s1 = ab_num(json_object_get(p, "params"), "size");
                m0 = ab_num(c0, "median");
                m1 = ab_num(c1, "median");
                lo0 = ab_num(c0, "ci95_lo");
                hi0 = ab_num(c0, "ci95_hi");
                lo1 = ab_num(c1, "ci95_lo");
                hi1 = ab_num(c1, "ci95_hi");
                if (s1 > s0 && m0 > 0 && m1 > 0) {
                        double r = m1 / m0, excess = r / (s1 / s0);
                        double page = ab_num(json_object_get(doc, "host"), "page_size");
                        double f0 = ab_num(prev, "minflt_per_op") / ceil(s0 / (page > 0 ? page : 4096));
                        double f1 = ab_num(p, "minflt_per_op") / ceil(s1 / (page > 0 ? page : 4096));
                        bool regime = (f0 < 0.1 && f1 >= 0.5) || (f1 < 0.1 && f0 >= 0.5);
                        bool up = r >= JUMP && excess >= (regime ? 4 : JUMP) && lo1 > hi0;
                        bool down = r <= 1 / JUMP && hi1 < lo0;
                        if (up || down) {
                                ab_flag_add(flags, run, "size-cliff", up ? "warn" : "info",
                                            json_deep_copy(json_object_get(p, "params")),
                                            json_pack("{s:I,s:I,s:s,s:f,s:f,s:f,s:f,s:o,s:o}", "from_size",
                                                      (json_int_t)s0, "to_size", (json_int_t)s1,
                                                      "cost", which,
                                                      "from_ns_per_op", m0, "to_ns_per_op", m1,
                                                      "ratio", r, "size_ratio", s1 / s0,
                                                      "from_minflt_per_op",
                                                      ab_jreal(ab_num(prev, "minflt_per_op")),
                                                      "to_minflt_per_op",
                                                      ab_jreal(ab_num(p, "minflt_per_op"))),
                                            "cost per op %s %.0fx from %s to %s, sizes only "
                                            "%.0fx apart",
                                            up ? "jumps" : "drops", up ? r : 1 / r,
                                            ab_size_str(s0, a, sizeof a),
                                            ab_size_str(s1, b, sizeof b), s1 / s0);
                                ab_flag_hint(flags,
                                             "a size threshold inside the allocator: another path "
                                             "serves sizes from %s (glibc: its mmap threshold, "
                                             "128 KiB raised dynamically up to 32 MiB; caching "
                                             "allocators: the largest cached size class)",
                                             b);
                        }
                }
                prev = p;
        }
}
