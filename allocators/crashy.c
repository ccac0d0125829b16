/*
 * libcrashy.so - a pathological reference allocator: the 10,000th call to
 * calloc in the process (counted across all threads) dies of SIGSEGV, a real
 * write through a null pointer. Before that it is glibc: every call goes to
 * glibc's own entry points (__libc_malloc and friends). That is the one
 * pathology, on purpose: a harness must report the run as crashed, with the
 * signal, and keep the results of the runs that did not crash.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api.h"

#define CRASH_AT 10000 /* this calloc call, counting from 1, crashes */

static uint64_t callocs;

/* volatile: the compiler cannot prove it null, so the store below is a real
 * store (SIGSEGV, SEGV_MAPERR) and not a trap instruction (SIGILL). */
static int *volatile null_target;

EXPORT const char *allocbench_allocator_version(void)
{
        return "crashy 1.0";
}

/* Should the program catch SIGSEGV and return, still do not go on. */
static void crash(void)
{
        *null_target = 1;
        raise(SIGSEGV);
        abort();
}

EXPORT void *malloc(size_t n)
{
        return __libc_malloc(n);
}

EXPORT void *calloc(size_t count, size_t size)
{
        if (__atomic_add_fetch(&callocs, 1, __ATOMIC_RELAXED) == CRASH_AT)
                crash(); /* the pathology */
        return __libc_calloc(count, size); /* checks count * size for overflow */
}

EXPORT void *realloc(void *p, size_t n)
{
        return __libc_realloc(p, n);
}

EXPORT void free(void *p)
{
        __libc_free(p);
}

EXPORT void *memalign(size_t align, size_t n)
{
        return __libc_memalign(align, n);
}

EXPORT size_t malloc_usable_size(void *p)
{
        return ab_libc_usable_size(p);
}

AB_ALIGNED_API()
