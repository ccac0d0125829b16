/*
 * tr_mem.c - the tracer's own memory and locks. Mappings go through the raw
 * system call: the tracer interposes mmap, and its bookkeeping must be
 * neither counted as the program's nor routed through anyone's allocator.
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tracer.h"

void tr_lock_slow(struct tr_lock *l)
{
        /* Mark the lock contended before sleeping so the holder wakes us. */
        while (__atomic_exchange_n(&l->v, 2, __ATOMIC_ACQUIRE) != 0)
                syscall(SYS_futex, &l->v, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

void tr_unlock_wake(struct tr_lock *l)
{
        syscall(SYS_futex, &l->v, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

uint64_t tr_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t tr_real_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t page_round(size_t n)
{
        return (n + 4095) & ~(size_t)4095;
}

static void account(int64_t delta)
{
        uint64_t now = __atomic_add_fetch(&g_tr.mapped, (uint64_t)delta, __ATOMIC_RELAXED);
        uint64_t peak = __atomic_load_n(&g_tr.mapped_peak, __ATOMIC_RELAXED);
        while (now > peak && !__atomic_compare_exchange_n(&g_tr.mapped_peak, &peak, now, true,
                                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                ;
}

void *tr_map(size_t bytes)
{
        long r;
        bytes = page_round(bytes);
        r = syscall(SYS_mmap, NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                    0);
        if (r == -1)
                return NULL;
        account((int64_t)bytes);
        return (void *)r;
}

void tr_unmap(void *p, size_t bytes)
{
        if (!p)
                return;
        bytes = page_round(bytes);
        syscall(SYS_munmap, p, bytes);
        account(-(int64_t)bytes);
}

void *tr_remap(void *p, size_t old_bytes, size_t new_bytes)
{
        long r;
        if (!p)
                return tr_map(new_bytes);
        old_bytes = page_round(old_bytes);
        new_bytes = page_round(new_bytes);
        r = syscall(SYS_mremap, p, old_bytes, new_bytes, MREMAP_MAYMOVE, NULL);
        if (r == -1)
                return NULL;
        account((int64_t)new_bytes - (int64_t)old_bytes);
        return (void *)r;
}

int tr_buf_reserve(struct tr_buf *b, size_t more)
{
        size_t want, cap;
        void *p;
        if (b->failed)
                return -ENOMEM; /* never append after a hole */
        if (b->len + more <= b->cap)
                return 0;
        want = b->len + more;
        cap = b->cap ? b->cap : 16384;
        while (cap < want)
                cap *= 2;
        p = tr_remap(b->p, b->cap, cap);
        if (!p) {
                b->failed = true;
                return -ENOMEM;
        }
        b->p = p;
        b->cap = page_round(cap);
        return 0;
}

void tr_buf_put(struct tr_buf *b, const void *src, size_t n)
{
        if (tr_buf_reserve(b, n) < 0)
                return;
        memcpy(b->p + b->len, src, n);
        b->len += n;
}

void tr_buf_varint(struct tr_buf *b, uint64_t v)
{
        if (tr_buf_reserve(b, 10) < 0)
                return;
        b->len += ab_td_put_varint(b->p + b->len, v);
}

void tr_buf_free(struct tr_buf *b)
{
        tr_unmap(b->p, b->cap);
        memset(b, 0, sizeof *b);
}
