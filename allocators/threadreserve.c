/*
 * libthreadreserve.so - a pathological reference allocator: every thread, on
 * its first allocation, reserves 256 MiB of address space (PROT_NONE,
 * MAP_NORESERVE) that is never used and never unmapped, not even when the
 * thread ends. VSZ grows by 256 MiB per thread that ever allocated; RSS and
 * commit charge do not move. That is the one pathology, on purpose (a caricature
 * of allocators that give each thread a large virtual heap up front).
 *
 * Every block comes from glibc's own entry points (__libc_malloc and friends),
 * so the allocator is exactly as correct as glibc's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api.h"

#define RESERVE ((size_t)256 << 20) /* address space reserved per thread */

/* initial-exec: the flag lives in the static TLS block, so reading it never
 * calls __tls_get_addr (which may allocate). */
static __thread bool reserved __attribute__((tls_model("initial-exec")));

EXPORT const char *allocbench_allocator_version(void)
{
        return "threadreserve 1.0";
}

/* The pathology: once per thread, reserve and forget. A failed mmap is
 * ignored (the reservation is never used anyway). errno is left as it was. */
static inline void reserve_once(void)
{
        int saved;
        if (__builtin_expect(reserved, 1))
                return;
        reserved = true;
        saved = errno;
        (void)mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        errno = saved;
}

EXPORT void *malloc(size_t n)
{
        reserve_once();
        return __libc_malloc(n);
}

EXPORT void *calloc(size_t count, size_t size)
{
        reserve_once();
        return __libc_calloc(count, size); /* checks count * size for overflow */
}

EXPORT void *realloc(void *p, size_t n)
{
        reserve_once();
        return __libc_realloc(p, n);
}

EXPORT void free(void *p)
{
        __libc_free(p);
}

EXPORT void *memalign(size_t align, size_t n)
{
        reserve_once();
        return __libc_memalign(align, n);
}

EXPORT size_t malloc_usable_size(void *p)
{
        return ab_libc_usable_size(p);
}

AB_ALIGNED_API()
