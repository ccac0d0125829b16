/*
 * reserve-site: address space a call stack reserves (mmap PROT_NONE) and
 * neither releases nor makes usable. What it left reserved is what it
 * reserved less what the same stack unmapped (an aligned reservation maps
 * twice the size and trims the rest), and at most what the point's stacks
 * left mapped in all: a munmap counts on the stack that calls it, so a
 * pool released by pool_destroy() (or by a tail call, which -O2 makes of a
 * munmap that ends a function) is unmapped on another stack. Flagged from
 * 64 MiB left when the stack made at most a quarter of that accessible
 * (mprotect; a commit on another stack is not seen): the
 * reserve-then-commit pattern with the commit missing. It costs no memory,
 * but it is VSZ, counts against ulimit -v and containers that limit
 * address space, and each reservation is a VMA and page tables when
 * touched. High from 1 GiB.
 *
 * Sites from the tracer (the program's own mappings) and from strace -k
 * (every mapping on that stack, the allocator's included: glibc reserves
 * 64 MiB PROT_NONE for every thread arena and commits it as the heap
 * grows) alike; a stack both saw is flagged once, from the tracer.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect/detect.h"

#define MIB (1024.0 * 1024)

/* What the site left reserved, when it made at most a quarter of it
 * usable and it is 64 MiB or more; else 0 (NAN figures: 0). */
static double left_reserved(const struct ab_vrun *run, const struct ab_vsite *s)
{
        double reserved = s->total[AB_ST_RESERVE_BYTES], unmapped = s->total[AB_ST_UNMAP_BYTES];
        double net = ab_site_net_mapped(run, s), left;
        if (isnan(reserved) || isnan(unmapped) || isnan(s->total[AB_ST_COMMIT_BYTES]))
                return 0;
        left = reserved - fmin(unmapped, reserved);
        if (net < left) /* NAN (another stack's figure missing): the stack's own */
                left = net;
        return left >= 64 * MIB && s->total[AB_ST_COMMIT_BYTES] <= left / 4 ? left : 0;
}

/* A strace site whose stack the tracer saw reserving at the same point:
 * the tracer's site says it, once. */
static bool told_by_tracer(const struct ab_vrun *run, const struct ab_vsite *s)
{
        if (strcmp(s->source, "strace") != 0)
                return false;
        for (size_t i = 0; i < run->nsites; i++) {
                const struct ab_vsite *t = &run->sites[i];
                if (t->point == s->point && strcmp(t->source, "tracer") == 0 &&
                    strcmp(t->key, s->key) == 0 && left_reserved(run, t) > 0)
                        return true;
        }
        return false;
}

static void hint(struct ab_flags *flags, const struct ab_vrun *run, const struct ab_vsite *s)
{
        if (strcmp(s->source, "tracer") == 0)
                ab_flag_hint(flags, "this code reserves address space it does not use (a heap, "
                                    "pool or arena sized for the worst case): reserve what it "
                                    "will use, or unmap the rest; it matters under "
                                    "address-space limits (ulimit -v, containers counting VSZ)");
        else if (strcmp(run->alloc, "glibc") == 0)
                ab_flag_hint(flags, "glibc gives threads their own arenas and reserves 64 MiB "
                                    "of address space for each (up to 8 per core), committing "
                                    "it as the heap grows: MALLOC_ARENA_MAX=1 or 2 "
                                    "(GLIBC_TUNABLES=glibc.malloc.arena_max=2) caps them");
        else if (strcmp(run->alloc, "mimalloc") == 0)
                ab_flag_hint(flags, "mimalloc reserves address space in large arenas and "
                                    "commits on demand (MIMALLOC_ARENA_RESERVE sets the size); "
                                    "it matters under address-space limits (ulimit -v, "
                                    "containers counting VSZ)");
        else
                ab_flag_hint(flags, "the allocator reserves address space on this stack that "
                                    "it does not use; it matters under address-space limits "
                                    "(ulimit -v, containers counting VSZ): look for its "
                                    "option that sizes or retains reservations");
}

AB_DETECTOR(reserve_site)
{
        (void)doc;
        for (size_t i = 0; i < run->nsites; i++) {
                const struct ab_vsite *s = &run->sites[i];
                double left = left_reserved(run, s);
                char name[256], a[32], b[32], c[32];
                if (!(left > 0) || told_by_tracer(run, s))
                        continue;
                ab_flag_add(flags, run, "reserve-site", left >= 1024 * MIB ? "high" : "warn",
                            ab_where_site(s),
                            json_pack("{s:f,s:o,s:f,s:f,s:o,s:s}", "reserve_bytes",
                                      s->total[AB_ST_RESERVE_BYTES], "unmap_bytes",
                                      ab_jreal(s->total[AB_ST_UNMAP_BYTES]), "commit_bytes",
                                      s->total[AB_ST_COMMIT_BYTES], "left_bytes", left, "map_calls",
                                      ab_jreal(s->total[AB_ST_MAP_CALLS]), "source", s->source),
                            "%s reserves %s of address space and leaves %s of it reserved, "
                            "making %s usable",
                            ab_site_name(s, name, sizeof name),
                            ab_size_str(s->total[AB_ST_RESERVE_BYTES], a, sizeof a),
                            ab_size_str(left, b, sizeof b),
                            ab_size_str(s->total[AB_ST_COMMIT_BYTES], c, sizeof c));
                hint(flags, run, s);
        }
}
