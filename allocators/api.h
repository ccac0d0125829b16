/*
 * api.h - what every in-tree malloc replacement shares: the symbols it must
 * export (declared here, so the files compile warning-free), glibc's own entry
 * points for those that forward to it, and the aligned-allocation family
 * (aligned_alloc, posix_memalign, valloc, pvalloc), which every allocator here
 * derives the same way from its own memalign: AB_ALIGNED_API().
 *
 * Each allocator file then holds only malloc, calloc, realloc, free, memalign,
 * malloc_usable_size, its version string, and the one defect it exists for.
 */
#ifndef AB_ALLOC_API_H
#define AB_ALLOC_API_H

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

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

/* glibc's allocator under its internal names: forwarding to these never
 * comes back through the exported symbols above. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static inline size_t ab_page_size(void)
{
        static size_t page;
        size_t p = __atomic_load_n(&page, __ATOMIC_RELAXED);
        if (!p) {
                p = (size_t)sysconf(_SC_PAGESIZE);
                __atomic_store_n(&page, p, __ATOMIC_RELAXED);
        }
        return p;
}

/* glibc's malloc_usable_size (exported only as a weak symbol: found with
 * RTLD_NEXT, once). Not for use while dlsym itself may allocate and free:
 * see leakfree.c for that case. */
static inline size_t ab_libc_usable_size(void *p)
{
        typedef size_t (*usable_fn)(void *);
        static usable_fn fn;
        usable_fn f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
        if (!f) {
                f = (usable_fn)dlsym(RTLD_NEXT, "malloc_usable_size");
                __atomic_store_n(&fn, f, __ATOMIC_RELEASE);
        }
        return f && p ? f(p) : 0;
}

/* aligned_alloc, posix_memalign, valloc and pvalloc from the file's memalign,
 * with C11's and POSIX's error rules. */
#define AB_ALIGNED_API()                                                               \
        EXPORT void *aligned_alloc(size_t align, size_t n)                             \
        {                                                                              \
                if (align == 0 || (align & (align - 1))) {                             \
                        errno = EINVAL;                                                \
                        return NULL;                                                   \
                }                                                                      \
                return memalign(align, n);                                             \
        }                                                                              \
        EXPORT int posix_memalign(void **out, size_t align, size_t n)                  \
        {                                                                              \
                int saved = errno;                                                     \
                void *p;                                                               \
                if (align < sizeof(void *) || (align & (align - 1)))                   \
                        return EINVAL;                                                 \
                p = memalign(align, n);                                                \
                errno = saved;                                                         \
                if (!p)                                                                \
                        return ENOMEM;                                                 \
                *out = p;                                                              \
                return 0;                                                              \
        }                                                                              \
        EXPORT void *valloc(size_t n)                                                  \
        {                                                                              \
                return memalign(ab_page_size(), n);                                    \
        }                                                                              \
        EXPORT void *pvalloc(size_t n)                                                 \
        {                                                                              \
                size_t page = ab_page_size();                                          \
                if (n > SIZE_MAX - page) {                                             \
                        errno = ENOMEM;                                                \
                        return NULL;                                                   \
                }                                                                      \
                return memalign(page, n ? (n + page - 1) & ~(page - 1) : page);        \
        }

/* realloc, memalign and malloc_usable_size of an allocator that serves
 * blocks of SMALL bytes and more itself, behind a header that OWN(p) finds
 * (NULL for glibc's blocks) and whose usable bytes are USABLE(h), and leaves
 * smaller blocks and larger alignments to glibc. Needs malloc and free, and
 * #include <string.h>. */
#define AB_TAGGED_API(OWN, USABLE, SMALL)                                              \
        EXPORT void *realloc(void *p, size_t n)                                        \
        {                                                                              \
                struct hdr *h;                                                         \
                size_t old;                                                            \
                void *q;                                                               \
                if (!p)                                                                \
                        return malloc(n);                                              \
                h = OWN(p);                                                            \
                if (!h && n < (SMALL))                                                 \
                        return __libc_realloc(p, n);                                   \
                if (n == 0) { /* glibc's rule: free and return NULL */                 \
                        free(p);                                                       \
                        return NULL;                                                   \
                }                                                                      \
                old = h ? USABLE(h) : ab_libc_usable_size(p);                          \
                if (h && n <= old && n >= old / 2)                                     \
                        return p;                                                      \
                if (!(q = malloc(n)))                                                  \
                        return NULL;                                                   \
                memcpy(q, p, n < old ? n : old);                                       \
                free(p);                                                               \
                return q;                                                              \
        }                                                                              \
        EXPORT void *memalign(size_t align, size_t n)                                  \
        {                                                                              \
                if (align <= 16)                                                       \
                        return malloc(n);                                              \
                return __libc_memalign(align, n);                                      \
        }                                                                              \
        EXPORT size_t malloc_usable_size(void *p)                                      \
        {                                                                              \
                struct hdr *h;                                                         \
                if (!p)                                                                \
                        return 0;                                                      \
                if ((h = OWN(p)))                                                      \
                        return USABLE(h);                                              \
                return ab_libc_usable_size(p);                                         \
        }

#endif
