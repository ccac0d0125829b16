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

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

#define EXPORT __attribute__((visibility("default")))

#define CRASH_AT 10000 /* this calloc call, counting from 1, crashes */

static uint64_t callocs;

/* volatile: the compiler cannot prove it null, so the store below is a real
 * store (SIGSEGV, SEGV_MAPERR) and not a trap instruction (SIGILL). */
static int *volatile null_target;

typedef size_t (*usable_fn)(void *);
static usable_fn libc_usable;

EXPORT const char *allocbench_allocator_version(void);
EXPORT void *malloc(size_t n);
EXPORT void *calloc(size_t count, size_t size);
EXPORT void *realloc(void *p, size_t n);
EXPORT void free(void *p);
EXPORT void *memalign(size_t align, size_t n);
EXPORT void *aligned_alloc(size_t align, size_t n);
EXPORT int posix_memalign(void **out, size_t align, size_t n);
EXPORT void *valloc(size_t n);
EXPORT void *pvalloc(size_t n);
EXPORT size_t malloc_usable_size(void *p);

EXPORT const char *allocbench_allocator_version(void)
{
        return "crashy 1.0";
}

/* glibc's malloc_usable_size is a weak symbol this file overrides; the next
 * one in the search order is glibc's. dlsym does not call it, so no loop. */
static size_t libc_usable_size(void *p)
{
        usable_fn f = __atomic_load_n(&libc_usable, __ATOMIC_ACQUIRE);
        if (!f) {
                f = (usable_fn)dlsym(RTLD_NEXT, "malloc_usable_size");
                if (!f)
                        return 0;
                __atomic_store_n(&libc_usable, f, __ATOMIC_RELEASE);
        }
        return f(p);
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

EXPORT void *aligned_alloc(size_t align, size_t n)
{
        if (align == 0 || (align & (align - 1))) {
                errno = EINVAL;
                return NULL;
        }
        return __libc_memalign(align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
        int saved = errno;
        void *p;
        if (align < sizeof(void *) || (align & (align - 1)))
                return EINVAL;
        p = __libc_memalign(align, n);
        errno = saved;
        if (!p)
                return ENOMEM;
        *out = p;
        return 0;
}

EXPORT void *valloc(size_t n)
{
        return __libc_valloc(n);
}

EXPORT void *pvalloc(size_t n)
{
        return __libc_pvalloc(n);
}

EXPORT size_t malloc_usable_size(void *p)
{
        return libc_usable_size(p);
}
