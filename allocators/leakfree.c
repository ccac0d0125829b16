/*
 * libleakfree.so - a pathological reference allocator: free() silently drops
 * every 4th free of a block smaller than 4 KiB (usable size, as glibc's
 * malloc_usable_size reports it), so a program that frees everything it
 * allocated still leaks about one small block in sixteen, and its resident
 * memory grows with the number of small frees. That is the one pathology, on
 * purpose (a caricature of a lost free in an allocator's thread cache).
 *
 * Everything else goes to glibc's own entry points (__libc_malloc and
 * friends), so the blocks themselves are exactly as correct as glibc's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api.h"

#define SMALL 4096   /* blocks with fewer usable bytes are candidates */
#define DROP_EVERY 4 /* the Nth free of a small block is dropped */

static uint64_t small_frees; /* frees of small blocks so far, process-wide */

/* Set while this thread looks glibc's malloc_usable_size up: should dlsym
 * itself free, that free is passed through instead of looking up again. */
static __thread bool resolving __attribute__((tls_model("initial-exec")));

typedef size_t (*usable_fn)(void *);
static usable_fn libc_usable;

EXPORT const char *allocbench_allocator_version(void)
{
        return "leakfree 1.0";
}

/* glibc's malloc_usable_size is a weak symbol this file overrides; the next
 * one in the search order is glibc's. NULL while it cannot be had. */
static usable_fn libc_usable_fn(void)
{
        usable_fn f = __atomic_load_n(&libc_usable, __ATOMIC_ACQUIRE);
        if (f || resolving)
                return f;
        resolving = true;
        f = (usable_fn)dlsym(RTLD_NEXT, "malloc_usable_size");
        resolving = false;
        if (f)
                __atomic_store_n(&libc_usable, f, __ATOMIC_RELEASE);
        return f;
}

EXPORT void *malloc(size_t n)
{
        return __libc_malloc(n);
}

EXPORT void *calloc(size_t count, size_t size)
{
        return __libc_calloc(count, size); /* checks count * size for overflow */
}

EXPORT void *realloc(void *p, size_t n)
{
        return __libc_realloc(p, n);
}

EXPORT void free(void *p)
{
        usable_fn f;
        if (!p)
                return;
        f = libc_usable_fn();
        if (f && f(p) < SMALL &&
            (__atomic_add_fetch(&small_frees, 1, __ATOMIC_RELAXED) % DROP_EVERY) == 0)
                return; /* the pathology: dropped, never freed */
        __libc_free(p);
}

EXPORT void *memalign(size_t align, size_t n)
{
        return __libc_memalign(align, n);
}

EXPORT size_t malloc_usable_size(void *p)
{
        usable_fn f = libc_usable_fn();
        return f ? f(p) : 0;
}

AB_ALIGNED_API()
