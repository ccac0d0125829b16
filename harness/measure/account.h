/*
 * account.h - deterministic costs measured in separate passes, never during
 * timed repetitions: exact instruction counts of the measured region under
 * valgrind's callgrind, and the region's memory system calls under strace.
 */
#ifndef AB_ACCOUNT_H
#define AB_ACCOUNT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc/doc.h" /* the system calls counted, AB_SC_* */

/* Memory system calls of one measured region. */
struct ab_syscalls {
        uint64_t n[AB_SC_N];
        uint64_t mapped_bytes;   /* mmap lengths, brk growth, mremap growth */
        uint64_t unmapped_bytes; /* munmap lengths, brk shrink, mremap shrink */
        uint64_t advised_bytes;  /* madvise lengths (DONTNEED, FREE, ...) */
        bool begin_seen, end_seen;
};

/* The instructions callgrind collected: the "totals:" (or "summary:") line of
 * a callgrind output file. Returns 0 or -errno / -EINVAL. */
int ab_callgrind_total(const char *path, int64_t *ir);

/* Count the calls between the region markers in an strace -f -o log.
 * Returns 0, or -EINVAL when the markers are missing. */
int ab_strace_parse(const char *path, struct ab_syscalls *sc);

/* The n-th (0-based) comma-separated argument of the call that starts at
 * the first '(' of call: where its text starts, or NULL. */
const char *ab_strace_arg(const char *call, int n);

/* strace_sites.c: the region's mmap, munmap, mremap and mprotect in an
 * strace -f -k log (with stacks: --syscalls with --trace), attributed to
 * call sites keyed as trace/sites.h keys the tracer's. Returns a JSON array
 * of site objects ("source": "strace", point, key, frames, stacks, total),
 * at most max_sites (0: all) of the most bytes, or NULL with a reason in
 * err (the markers missing, out of memory). drop_modules: module name
 * prefixes to leave out of keys besides the usual ones (the allocator
 * library's), NULL-terminated, may be NULL. */
json_t *ab_strace_sites(const char *path, size_t point, size_t max_sites,
                        const char *const *drop_modules, char *err, size_t errlen);

/* "valgrind-3.19.0" / "strace -- version 6.1": the first line a tool prints
 * for --version (or -V), or "" when it cannot be run. */
void ab_tool_version(const char *tool, const char *flag, char *buf, size_t len);

#endif
