/*
 * bump.c - libbump.so: an allocator that costs next to nothing and never
 * reuses memory: each block is carved from 64 MiB mappings (a 16-byte
 * header holds its size), free does nothing. It is no allocator to use:
 * benchmarks/replay_cost.sh replays records under it to measure what the
 * replay kernel itself costs an event, the allocator's own time left out.
 * Not thread-safe across threads (an atomic bump would be; the benchmark
 * replays one thread). Its first PREFAULT bytes are mapped and faulted in
 * when the library loads, before any measured region: a header written on
 * a fresh page would otherwise cost a page fault every 4 KiB of blocks,
 * the allocator's time that the replay's figure is meant to leave out.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define EXPORT __attribute__((visibility("default")))
#define CHUNK (64u << 20)
#define HDR 16
#define PREFAULT (256u << 20)

static char *cur, *end;

static void *grab(size_t n, size_t align)
{
        if (align < HDR)
                align = HDR;
        if (n > SIZE_MAX - align - HDR)
                return NULL;
        for (;;) {
                uintptr_t p = ((uintptr_t)cur + HDR + align - 1) & ~(uintptr_t)(align - 1);
                if (cur && p + n <= (uintptr_t)end) {
                        ((size_t *)p)[-1] = n;
                        cur = (char *)(p + n);
                        return (void *)p;
                }
                size_t len = n + align + HDR > CHUNK ? n + align + HDR : CHUNK;
                char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (m == MAP_FAILED)
                        return NULL;
                cur = m;
                end = m + len;
        }
}

__attribute__((constructor)) static void prefault(void)
{
        char *m = mmap(NULL, PREFAULT, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE, -1, 0);
        if (m != MAP_FAILED) { /* blocks made before this stay where they are */
                cur = m;
                end = m + PREFAULT;
        }
}

EXPORT void *malloc(size_t n)
{
        return grab(n, HDR);
}

EXPORT void free(void *p)
{
        (void)p;
}

EXPORT void *calloc(size_t k, size_t n)
{
        if (n && k > SIZE_MAX / n)
                return NULL;
        return grab(k * n, HDR); /* fresh mappings are zero */
}

EXPORT void *realloc(void *p, size_t n)
{
        void *q = grab(n, HDR);
        if (p && q) {
                size_t old = ((size_t *)p)[-1];
                memcpy(q, p, old < n ? old : n);
        }
        return q;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
        *out = grab(n, align);
        return *out ? 0 : ENOMEM;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
        return grab(n, align);
}

EXPORT void *memalign(size_t align, size_t n)
{
        return grab(n, align);
}

EXPORT size_t malloc_usable_size(void *p)
{
        return p ? ((size_t *)p)[-1] : 0;
}
