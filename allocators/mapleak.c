/*
 * libmapleak.so - a pathological reference allocator: every block of 1 MiB
 * or more is its own mapping followed by a 64 MiB PROT_NONE guard, and free()
 * unmaps the block but leaves the guard mapped forever. Each large block ever
 * allocated costs 64 MiB of address space for the rest of the process: VSZ
 * climbs by 64 MiB per large malloc/free while RSS stays flat. That is the
 * one pathology, on purpose (a guard region whose unmap was forgotten).
 *
 * Smaller blocks, and every request for more than 16-byte alignment, go to
 * glibc's own entry points. Own blocks carry a 16-byte header before the
 * returned pointer (block length, then a magic); the magic sits where glibc
 * keeps a chunk's size field, and no glibc size field has its top bit set,
 * so free() tells the two apart by reading one word.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api.h"

#define BIG ((size_t)1 << 20)     /* smallest request given its own mapping */
#define GUARD ((size_t)64 << 20) /* PROT_NONE bytes after each own block */
#define HDR 16                    /* header bytes; keeps 16-byte alignment */

#define MAGIC 0xA110C3A91EA40000ull /* top bit set: never a glibc size field */

struct hdr {
        size_t len; /* bytes of the block mapping, header included, guard not */
        uint64_t magic;
};

EXPORT const char *allocbench_allocator_version(void)
{
        return "mapleak 1.0";
}

static struct hdr *own(void *p)
{
        struct hdr *h = (struct hdr *)p - 1;
        return h->magic == MAGIC ? h : NULL;
}

/* A block of at least 1 MiB: block and guard mapped together, then the guard
 * part replaced by a PROT_NONE, unaccounted mapping. Fresh memory is zero. */
static void *big_alloc(size_t n)
{
        size_t page = ab_page_size(), len;
        char *m;
        struct hdr *h;

        if (n > SIZE_MAX - HDR - page - GUARD) {
                errno = ENOMEM;
                return NULL;
        }
        len = (n + HDR + page - 1) & ~(page - 1);
        m = mmap(NULL, len + GUARD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
                errno = ENOMEM;
                return NULL;
        }
        if (mmap(m + len, GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                 -1, 0) == MAP_FAILED) {
                munmap(m, len + GUARD);
                errno = ENOMEM;
                return NULL;
        }
        h = (struct hdr *)m;
        h->len = len;
        h->magic = MAGIC;
        return h + 1;
}

EXPORT void *malloc(size_t n)
{
        if (n < BIG)
                return __libc_malloc(n);
        return big_alloc(n);
}

EXPORT void *calloc(size_t count, size_t size)
{
        size_t n;
        if (__builtin_mul_overflow(count, size, &n)) {
                errno = ENOMEM;
                return NULL;
        }
        if (n < BIG)
                return __libc_calloc(count, size);
        return big_alloc(n);
}

EXPORT void free(void *p)
{
        struct hdr *h;
        if (!p)
                return;
        if ((h = own(p)))
                munmap(h, h->len); /* the pathology: the guard after it stays */
        else
                __libc_free(p);
}

/* the usable bytes of one of this file's blocks */
static size_t usable(const struct hdr *h)
{
        return h->len - HDR;
}

AB_TAGGED_API(own, usable, BIG)

AB_ALIGNED_API()
