/*
 * libnoreturn.so - a pathological reference allocator: it never gives memory
 * back to the operating system. All memory comes from mmap; nothing is ever
 * unmapped or madvised, so every page once touched stays resident for the
 * life of the process. That is the one pathology, on purpose.
 *
 * Otherwise it is a plain segregated-fit allocator and does reuse what is
 * freed. Blocks of up to 1 MiB (header included) are powers of two carved in
 * order from 64 MiB chunks; larger blocks get a mapping of their own, rounded
 * to the page. A freed block goes on a free list: small ones on the list of
 * their power of two, large ones on the list of the power of two at or below
 * their length, where a later request of about the same size finds it.
 *
 * Each block starts with a 16-byte header (usable bytes, magic), so payloads
 * are 16-byte aligned. A block aligned more strictly is carved out of a larger
 * one and has its own 16-byte header: the payload pointer of the block it
 * lives in, and a second magic. One mutex guards all state.
 */
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

#define CHUNK ((size_t)64 << 20) /* small blocks are carved from chunks this big */
#define MIN_SHIFT 5              /* 32-byte blocks: header + 16 bytes */
#define SMALL_SHIFT 20           /* blocks up to 1 MiB come from chunks */
#define NLISTS 64
#define HDR 16
#define ALIGN 16

#define MAGIC 0x4E0E7E7A2B10C000ull
#define MAGIC_ALIGNED 0x4E0E7E7A2B10C0A1ull

struct hdr {
        size_t usable; /* block bytes after the header */
        uint64_t magic;
};

/* The header of an over-aligned payload, inside the payload of a block. */
struct ahdr {
        void *inner; /* payload pointer of the block it lives in */
        uint64_t magic;
};

struct node {
        struct node *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct node *small_free[NLISTS]; /* index: log2 of the block size */
static struct node *large_free[NLISTS]; /* index: floor(log2(block length)) */
static char *bump, *bump_end;           /* the unused rest of the current chunk */
static int fork_hooked;

EXPORT const char *allocbench_allocator_version(void)
{
        return "noreturn 1.0";
}

static unsigned floor_log2(size_t x)
{
        return 63u - (unsigned)__builtin_clzll((unsigned long long)x);
}

static unsigned ceil_log2(size_t x)
{
        return x <= 1 ? 0 : floor_log2(x - 1) + 1;
}

static void fork_prepare(void)
{
        pthread_mutex_lock(&lock);
}

static void fork_release(void)
{
        pthread_mutex_unlock(&lock);
}

/* Take the lock, and hold it across fork() so that the child, whose only
 * thread is the one that forked, never inherits it held by a thread that is
 * gone. Registered on first use, before the lock is taken: should
 * pthread_atfork allocate, that allocation finds the flag already set. */
static void lock_state(void)
{
        if (!__atomic_load_n(&fork_hooked, __ATOMIC_ACQUIRE) &&
            !__atomic_exchange_n(&fork_hooked, 1, __ATOMIC_ACQ_REL))
                pthread_atfork(fork_prepare, fork_release, fork_release);
        pthread_mutex_lock(&lock);
}

static void *map(size_t len)
{
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return m == MAP_FAILED ? NULL : m;
}

static bool is_small(size_t usable)
{
        return usable + HDR <= ((size_t)1 << SMALL_SHIFT);
}

/* Under the lock. *fresh: the payload is untouched mapped memory (zero). */
static struct hdr *small_take(size_t need, bool *fresh)
{
        unsigned c = ceil_log2(need);
        size_t size;
        struct hdr *h;

        if (c < MIN_SHIFT)
                c = MIN_SHIFT;
        size = (size_t)1 << c;
        if (small_free[c]) {
                h = (struct hdr *)small_free[c];
                small_free[c] = small_free[c]->next;
                *fresh = false;
                return (struct hdr *)((char *)h - HDR);
        }
        if ((size_t)(bump_end - bump) < size) {
                char *m = map(CHUNK); /* the rest of the old chunk stays unused */
                if (!m)
                        return NULL;
                bump = m;
                bump_end = m + CHUNK;
        }
        h = (struct hdr *)bump;
        bump += size;
        h->usable = size - HDR;
        h->magic = MAGIC;
        *fresh = true;
        return h;
}

/* Under the lock: first fit on the list at floor(log2(need)), else any block
 * of the next list (all at least twice the lower bound, so big enough). */
static struct hdr *large_take(size_t need)
{
        unsigned c = floor_log2(need);
        for (struct node **pp = &large_free[c]; *pp; pp = &(*pp)->next) {
                struct hdr *h = (struct hdr *)((char *)*pp - HDR);
                if (h->usable + HDR >= need) {
                        *pp = (*pp)->next;
                        return h;
                }
        }
        if (c + 1 < NLISTS && large_free[c + 1]) {
                struct node *x = large_free[c + 1];
                large_free[c + 1] = x->next;
                return (struct hdr *)((char *)x - HDR);
        }
        return NULL;
}

static void *alloc(size_t n, bool zero)
{
        size_t page = ab_page_size(), need;
        bool fresh = false;
        struct hdr *h;

        if (n > SIZE_MAX / 2) {
                errno = ENOMEM;
                return NULL;
        }
        need = n + HDR;
        lock_state();
        if (need <= ((size_t)1 << SMALL_SHIFT))
                h = small_take(need, &fresh);
        else
                h = large_take(need);
        pthread_mutex_unlock(&lock);
        if (!h && need > ((size_t)1 << SMALL_SHIFT)) {
                size_t len = (need + page - 1) & ~(page - 1);
                if ((h = map(len))) {
                        h->usable = len - HDR;
                        h->magic = MAGIC;
                        fresh = true;
                }
        }
        if (!h) {
                errno = ENOMEM;
                return NULL;
        }
        if (zero && !fresh)
                memset(h + 1, 0, n);
        return h + 1;
}

/* The header of a payload this allocator returned, alignment undone. */
static struct hdr *header(void *p)
{
        struct hdr *h = (struct hdr *)p - 1;
        if (h->magic == MAGIC_ALIGNED)
                h = (struct hdr *)((struct ahdr *)p - 1)->inner - 1;
        if (h->magic != MAGIC)
                abort(); /* not ours: a caller's bug, as glibc would say */
        return h;
}

EXPORT void *malloc(size_t n)
{
        return alloc(n, false);
}

EXPORT void *calloc(size_t count, size_t size)
{
        size_t n;
        if (__builtin_mul_overflow(count, size, &n)) {
                errno = ENOMEM;
                return NULL;
        }
        return alloc(n, true);
}

EXPORT void free(void *p)
{
        struct node *x, **list;
        struct hdr *h;
        unsigned c;
        if (!p)
                return;
        h = header(p);
        x = (struct node *)(h + 1);
        list = is_small(h->usable) ? small_free : large_free;
        c = floor_log2(h->usable + HDR);
        lock_state();
        x->next = list[c];
        list[c] = x;
        pthread_mutex_unlock(&lock);
}

EXPORT size_t malloc_usable_size(void *p)
{
        struct hdr *h;
        if (!p)
                return 0;
        h = header(p);
        return h->usable - (size_t)((char *)p - (char *)(h + 1));
}

EXPORT void *realloc(void *p, size_t n)
{
        size_t old;
        void *q;
        if (!p)
                return malloc(n);
        if (n == 0) { /* glibc's rule: free and return NULL */
                free(p);
                return NULL;
        }
        old = malloc_usable_size(p);
        if (n <= old)
                return p;
        if (!(q = malloc(n)))
                return NULL;
        memcpy(q, p, old);
        free(p);
        return q;
}

EXPORT void *memalign(size_t align, size_t n)
{
        char *inner, *p;
        struct ahdr *a;

        if (align <= ALIGN)
                return malloc(n);
        if (align > SIZE_MAX / 4) {
                errno = EINVAL;
                return NULL;
        }
        if (align & (align - 1)) /* glibc rounds up to a power of two */
                align = (size_t)1 << ceil_log2(align);
        if (n > SIZE_MAX / 2 - align) {
                errno = ENOMEM;
                return NULL;
        }
        /* room for the payload at the first aligned address that leaves 16
         * bytes for its header inside the block: at most align bytes in */
        if (!(inner = malloc(n + align)))
                return NULL;
        p = (char *)(((uintptr_t)inner + HDR + align - 1) & ~(uintptr_t)(align - 1));
        a = (struct ahdr *)p - 1;
        a->inner = inner;
        a->magic = MAGIC_ALIGNED;
        return p;
}

AB_ALIGNED_API()
