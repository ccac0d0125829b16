/*
 * libzerocache.so - a pathological reference allocator: the macOS large-block
 * cache. Blocks of 128 KiB to 64 MiB come from a small cache of freed blocks
 * of the same page-rounded size; calloc of such a size that is served from
 * the cache must zero it, and does so with memset over every byte: O(n) per
 * call where a fresh mmap would be O(1). Freed cacheable blocks stay mapped
 * (and resident) while cached. That is the one pathology, on purpose.
 *
 * Everything else is plain and correct: blocks above 64 MiB are their own
 * mmap, unmapped on free (calloc is O(1): fresh mappings are zero); blocks
 * below 128 KiB and every request for more than 16-byte alignment go to
 * glibc's own entry points. Own blocks carry a 16-byte header before the
 * returned pointer (mapping length, then a magic); the magic sits where glibc
 * keeps a chunk's size field, and no glibc size field has its top bit set,
 * so free() tells the two apart by reading one word.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api.h"

#define CACHE_MIN ((size_t)128 << 10) /* smallest request served by the cache */
#define CACHE_MAX ((size_t)64 << 20)  /* largest request served by the cache */
#define CACHE_SLOTS 64                /* cached blocks at most, all sizes */
#define CACHE_PER_SIZE 4              /* cached blocks at most of one size */
#define CACHE_BYTES ((size_t)1 << 30) /* cached bytes at most, all sizes */
#define HDR 16                        /* header bytes; keeps 16-byte alignment */

/* Top bit set: never a glibc chunk size field. */
#define MAGIC_CACHED 0xA110CCAC4E000001ull /* 128 KiB..64 MiB: cached on free */
#define MAGIC_MAPPED 0xA110CCAC4E000002ull /* above 64 MiB: unmapped on free */

struct hdr {
        size_t map_len; /* bytes mapped, header included; a multiple of the page */
        uint64_t magic;
};

struct slot {
        struct hdr *blk; /* NULL: empty */
        size_t len;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot cache[CACHE_SLOTS];
static size_t cache_bytes;
static int fork_hooked;

EXPORT const char *allocbench_allocator_version(void)
{
        return "zerocache 1.0";
}

static struct hdr *own(void *p)
{
        struct hdr *h = (struct hdr *)p - 1;
        return h->magic == MAGIC_CACHED || h->magic == MAGIC_MAPPED ? h : NULL;
}

static void fork_prepare(void)
{
        pthread_mutex_lock(&cache_lock);
}

static void fork_release(void)
{
        pthread_mutex_unlock(&cache_lock);
}

/* Take the lock, and hold it across fork() so that the child, whose only
 * thread is the one that forked, never inherits it held by a thread that is
 * gone. Registered on first use, before the lock is taken: should
 * pthread_atfork allocate, that allocation finds the flag already set. */
static void lock_cache(void)
{
        if (!__atomic_load_n(&fork_hooked, __ATOMIC_ACQUIRE) &&
            !__atomic_exchange_n(&fork_hooked, 1, __ATOMIC_ACQ_REL))
                pthread_atfork(fork_prepare, fork_release, fork_release);
        pthread_mutex_lock(&cache_lock);
}

static struct hdr *cache_take(size_t len)
{
        struct hdr *h = NULL;
        lock_cache();
        for (int i = 0; i < CACHE_SLOTS; i++) {
                if (cache[i].blk && cache[i].len == len) {
                        h = cache[i].blk;
                        cache[i].blk = NULL;
                        cache_bytes -= len;
                        break;
                }
        }
        pthread_mutex_unlock(&cache_lock);
        return h;
}

/* true: the block is cached (still mapped); false: the caller unmaps it. */
static bool cache_put(struct hdr *h)
{
        int same = 0, empty = -1;
        bool kept = false;
        lock_cache();
        for (int i = 0; i < CACHE_SLOTS; i++) {
                if (!cache[i].blk)
                        empty = empty < 0 ? i : empty;
                else if (cache[i].len == h->map_len)
                        same++;
        }
        if (empty >= 0 && same < CACHE_PER_SIZE && cache_bytes + h->map_len <= CACHE_BYTES) {
                cache[empty] = (struct slot){h, h->map_len};
                cache_bytes += h->map_len;
                kept = true;
        }
        pthread_mutex_unlock(&cache_lock);
        return kept;
}

/* A block of at least 128 KiB. zero: the caller is calloc. */
static void *big_alloc(size_t n, bool zero)
{
        size_t page = ab_page_size(), len;
        struct hdr *h = NULL;
        void *m;

        if (n > SIZE_MAX - HDR - page) {
                errno = ENOMEM;
                return NULL;
        }
        len = (n + HDR + page - 1) & ~(page - 1);
        if (n <= CACHE_MAX && (h = cache_take(len))) {
                if (zero)
                        memset(h + 1, 0, n); /* the pathology: O(n), every byte */
                return h + 1;
        }
        m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
                errno = ENOMEM;
                return NULL;
        }
        h = m;
        h->map_len = len;
        h->magic = n <= CACHE_MAX ? MAGIC_CACHED : MAGIC_MAPPED;
        return h + 1; /* fresh anonymous memory is zero */
}

static void big_free(struct hdr *h)
{
        if (h->magic == MAGIC_CACHED && cache_put(h))
                return;
        munmap(h, h->map_len);
}

EXPORT void *malloc(size_t n)
{
        if (n < CACHE_MIN)
                return __libc_malloc(n);
        return big_alloc(n, false);
}

EXPORT void *calloc(size_t count, size_t size)
{
        size_t n;
        if (__builtin_mul_overflow(count, size, &n)) {
                errno = ENOMEM;
                return NULL;
        }
        if (n < CACHE_MIN)
                return __libc_calloc(count, size);
        return big_alloc(n, true);
}

EXPORT void free(void *p)
{
        struct hdr *h;
        if (!p)
                return;
        if ((h = own(p)))
                big_free(h);
        else
                __libc_free(p);
}

/* the usable bytes of one of this file's blocks */
static size_t usable(const struct hdr *h)
{
        return h->map_len - HDR;
}

AB_TAGGED_API(own, usable, CACHE_MIN)

AB_ALIGNED_API()
