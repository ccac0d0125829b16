/*
 * dumpfmt.h - the file libabtrace.so writes at exit: one process's
 * allocation sites, their stacks and counters per round. The writer is
 * tr_dump.c (inside the traced process), the reader dump.c (in bench).
 *
 * Everything is little-endian. Fixed-size integers appear only in the file
 * header and the section headers; every other number is an unsigned LEB128
 * varint (7 bits a byte, low group first, at most 10 bytes), or a zigzag
 * varint where it may be negative (zz(v) = (v << 1) ^ (v >> 63)).
 *
 * File header (AB_TD_HEADER_SIZE = 72 bytes):
 *     off size
 *       0    8  magic "ABTRACE\0"
 *       8    2  version (AB_TD_VERSION); a reader refuses any other
 *      10    2  header size (72)
 *      12    4  flags: AB_TD_F_*
 *      16    4  pid of the traced process
 *      20    4  ppid: the traced parent for a fork child, else getppid()
 *      24    8  sampling mean in bytes (0 = every allocation traced)
 *      32    8  the "big block" threshold in bytes (ALLOCBENCH_TRACE_BIG)
 *      40    4  stack depth limit
 *      44    4  number of sections that follow, END included
 *      48    8  start of tracing, CLOCK_REALTIME ns
 *      56    8  tracing time until the dump was written, ns
 *      64    8  size of the whole file in bytes
 *
 * Then sections, each a 16-byte header { u32 tag, u32 count, u64 length }
 * and `length` bytes of body holding `count` items. Each known tag appears
 * at most once, MODULES, STACKS, ROUNDS and TOTALS always, STACKS and
 * PHASES before ROUNDS and TOTALS; unknown tags are skipped (a later
 * version may add some); AB_TD_END (count and length 0) comes last and the
 * file ends right after it.
 *
 * MODULES, count = modules (everything ever mapped, in load order):
 *     varint path length, path bytes (no NUL; "" for the vdso),
 *     varint load base (the ELF bias, dlpi_addr), varint size (the end of
 *     the highest PT_LOAD segment, relative to the base: the module spans
 *     [base, base + size)), u8 build-id length (<= 64),
 *     build-id bytes.
 * STACKS, count = sites; site ids are the item order, 0 first. Site 0 has
 * depth 0: events that no stack could be captured for.
 *     varint depth (<= AB_TD_DEPTH_MAX), varint flags AB_TD_STACK_*,
 *     return addresses innermost first: the first as a varint, each next
 *     as a zigzag varint of its difference from the one before.
 * PHASES, count = phases: varint index of the first round that ended in
 *     the phase, varint name length (<= 255), name bytes.
 * ROUNDS, count = rounds (at most AB_TD_MAX_ROUNDS): per round
 *     varint end time (us since the start), varint phase (0 none, k =
 *     phase k-1), varint number of records, then the records, each
 *     varint site delta (site - previous site in this round - 1; the
 *     first is the site id itself: sites strictly ascend),
 *     varint field mask, then one varint per set bit, lowest bit first.
 *     (Version 2 added ZC_BYTES and RESERVE_BYTES and moved REPEAT from
 *     bit 15 to bit 31.)
 *     Values are what happened during the round (differences of cumulative
 *     counters between two round ends), except peak_over: how far the live
 *     bytes of the site rose above their round-end value within the round.
 *     Mask AB_TD_REPEAT alone: the same values as the site's previous
 *     record. A site without any activity in a round has no record.
 * TOTALS, count = records: the same record form (no REPEAT), cumulative over
 *     the whole process, where peak_over holds the site's peak live bytes.
 * SELF, count = pairs: varint key AB_TD_SELF_*, varint value (the tracer's
 *     own figures; unknown keys are skipped).
 *
 * Live bytes of a site at a round end are the sums bytes_alloc - bytes_freed
 * of all its records so far; live blocks likewise allocs - frees.
 * With sampling (header sampling mean > 0) allocs, frees, bytes_alloc,
 * bytes_freed and peak are estimates (tr_count.c explains the estimator).
 */
#ifndef AB_DUMPFMT_H
#define AB_DUMPFMT_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define AB_TD_MAGIC       "ABTRACE"
#define AB_TD_VERSION     2
#define AB_TD_HEADER_SIZE 72
#define AB_TD_SECTION_HDR 16
#define AB_TD_DEPTH_MAX   128
#define AB_TD_MAX_ROUNDS  100000
#define AB_TD_MAX_MODULES 65536
#define AB_TD_MAX_SITES   (1u << 24)
#define AB_TD_PATH_MAX    4096
#define AB_TD_BUILDID_MAX 64
#define AB_TD_NAME_MAX    255

enum {
        AB_TD_F_SAMPLED = 1u << 0,
        AB_TD_F_FORK_CHILD = 1u << 1,
        AB_TD_F_FINAL = 1u << 2,      /* written at exit, not a mid-run snapshot */
        AB_TD_F_INCOMPLETE = 1u << 3, /* the tracer ran out of memory somewhere */
};

enum {
        AB_TD_MODULES = 1,
        AB_TD_STACKS = 2,
        AB_TD_PHASES = 3,
        AB_TD_ROUNDS = 4,
        AB_TD_TOTALS = 5,
        AB_TD_SELF = 6,
        AB_TD_END = 0x00444e45, /* "END" */
};

enum {
        AB_TD_STACK_UNWIND = 1u << 0,    /* by unw_backtrace (no frame pointers) */
        AB_TD_STACK_TRUNCATED = 1u << 1, /* the depth limit cut it */
};

/* The counters of a record, in mask-bit order. */
#define AB_TD_FIELDS(X)                                                                            \
        X(ALLOCS, allocs)             /* allocations (malloc family, new) */                       \
        X(FREES, frees)               /* frees of blocks the tracer knew */                        \
        X(BYTES_ALLOC, bytes_alloc)   /* bytes requested */                                        \
        X(BYTES_FREED, bytes_freed)   /* bytes of the blocks freed */                              \
        X(PEAK_OVER, peak_over)       /* see ROUNDS and TOTALS */                                  \
        X(BIG_OPS, big_ops)           /* malloc/calloc/realloc/free of big blocks */               \
        X(ZC_CALLS, zc_calls)         /* callocs of >= 128 KiB */                                  \
        X(ZC_NS, zc_ns)               /* their wall time, ns */                                    \
        X(ZC_MINFLT, zc_minflt)       /* their minor faults */                                     \
        X(MAP_CALLS, map_calls)       /* mmap, mmap64, mremap */                                   \
        X(MAP_BYTES, map_bytes)       /* bytes mapped (mremap: growth) */                          \
        X(UNMAP_CALLS, unmap_calls)   /* munmap */                                                 \
        X(UNMAP_BYTES, unmap_bytes)   /* bytes unmapped (mremap: shrinkage) */                     \
        X(COMMIT_CALLS, commit_calls) /* mprotect to an accessible protection */                   \
        X(COMMIT_BYTES, commit_bytes) /* bytes made accessible */                                  \
        X(ZC_BYTES, zc_bytes)         /* bytes of the callocs of >= 128 KiB */                     \
        X(RESERVE_BYTES, reserve_bytes) /* bytes mapped PROT_NONE (reserved, not usable) */

enum {
#define AB_TD_ENUM(N, n) AB_TD_##N,
        AB_TD_FIELDS(AB_TD_ENUM)
#undef AB_TD_ENUM
            AB_TD_NFIELDS
};

/* A mask of REPEAT alone: the site's previous values (above every field bit). */
#define AB_TD_REPEAT (1u << 31)

/* Keys of SELF. */
enum {
        AB_TD_SELF_MAPPED = 1,          /* bytes the tracer has mapped for itself now */
        AB_TD_SELF_MAPPED_PEAK = 2,     /* the most it had */
        AB_TD_SELF_CALLS = 3,           /* allocation and free calls seen */
        AB_TD_SELF_UNKNOWN_FREES = 4,   /* frees of blocks never seen (exact mode) */
        AB_TD_SELF_SAMPLED = 5,         /* allocations traced */
        AB_TD_SELF_FP_STACKS = 6,       /* captures by frame-pointer walk */
        AB_TD_SELF_UNWIND_STACKS = 7,   /* captures by unw_backtrace */
        AB_TD_SELF_TRUNCATED = 8,       /* captures cut by the depth limit */
        AB_TD_SELF_MAP_CALLS = 9,       /* mmap-family calls seen */
        AB_TD_SELF_ROUNDS_DROPPED = 10, /* round ends past AB_TD_MAX_ROUNDS */
        AB_TD_SELF_THREADS = 11,        /* threads that allocated */
        AB_TD_SELF_WRITES = 12,         /* dumps written, this one included */
        AB_TD_SELF_NOSITE = 13,         /* events counted on site 0 */
        AB_TD_SELF_MAX = 32             /* keys are below this */
};

/* The codings are wire.h's, under the names the dump's code uses. */
#define ab_td_put_varint ab_put_varint
#define ab_td_get_varint ab_get_varint
#define ab_td_zigzag ab_zigzag
#define ab_td_unzigzag ab_unzigzag
#define ab_td_put_le ab_put_le
#define ab_td_get_le ab_get_le

#endif
