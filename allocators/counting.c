/*
 * libabcount.so - the smallest honest malloc replacement: it counts calls and
 * forwards to glibc's own entry points (__libc_malloc and friends). Used by
 * the tests to prove that a preload took effect (the runner finds malloc
 * served by this file and reads allocbench_allocator_version), and by the
 * harness-cost benchmark as the one allocator both loops call.
 *
 * Counters are process-wide and relaxed-atomic; allocbench_count() reads them.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api.h"

/* what = 0: allocations (malloc, calloc, realloc of NULL, memalign); 1: frees. */
EXPORT uint64_t allocbench_count(int what);

static uint64_t n_alloc, n_free;

EXPORT const char *allocbench_allocator_version(void)
{
        return "abcount 1.0";
}

/* what = 0: allocations (malloc, calloc, realloc of NULL, memalign); 1: frees. */
EXPORT uint64_t allocbench_count(int what)
{
        return __atomic_load_n(what ? &n_free : &n_alloc, __ATOMIC_RELAXED);
}

static inline void count(uint64_t *c)
{
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

EXPORT void *malloc(size_t n)
{
        count(&n_alloc);
        return __libc_malloc(n);
}

EXPORT void *calloc(size_t a, size_t b)
{
        count(&n_alloc);
        return __libc_calloc(a, b);
}

EXPORT void *realloc(void *p, size_t n)
{
        if (!p)
                count(&n_alloc);
        return __libc_realloc(p, n);
}

EXPORT void free(void *p)
{
        if (p)
                count(&n_free);
        __libc_free(p);
}

EXPORT void *memalign(size_t align, size_t n)
{
        count(&n_alloc);
        return __libc_memalign(align, n);
}

AB_ALIGNED_API()
