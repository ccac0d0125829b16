/*
 * tr_hook.h - the hot path shared by the interposers (tracer.c for the C
 * allocation functions, tr_cxx.c for operator new/delete, tr_mmap.c for the
 * mmap family): the next definitions of the interposed functions, and what
 * an allocation or a free records.
 *
 * Every interposer follows one shape: when the per-thread guard is set
 * (the call comes from the tracer itself, from libunwind or ld.so on its
 * behalf, or from inside the allocator while we forward to it) it forwards
 * at once; otherwise it sets the guard, forwards, records, clears the guard.
 * A free is removed from the side table before it is forwarded: once the
 * allocator has the block back, another thread may get the same address.
 */
#ifndef AB_TR_HOOK_H
#define AB_TR_HOOK_H

#include <stddef.h>
#include <sys/types.h>

#include "tracer.h"

struct tr_real {
        void *(*malloc)(size_t);
        void *(*calloc)(size_t, size_t);
        void *(*realloc)(void *, size_t);
        void *(*reallocarray)(void *, size_t, size_t);
        void (*free)(void *);
        int (*posix_memalign)(void **, size_t, size_t);
        void *(*aligned_alloc)(size_t, size_t);
        void *(*memalign)(size_t, size_t);
        void *(*valloc)(size_t);
        void *(*pvalloc)(size_t);
        size_t (*malloc_usable_size)(void *);
        void *(*mmap)(void *, size_t, int, int, int, off_t);
        void *(*mmap64)(void *, size_t, int, int, int, off_t);
        int (*munmap)(void *, size_t);
        void *(*mremap)(void *, size_t, size_t, int, ...);
        int (*mprotect)(void *, size_t, int);
        void (*exit_)(int);
        void (*Exit_)(int);
};

extern struct tr_real tr_real;

/* States of g_tr_state: not started, being set up, set up. */
extern int tr_state;
void tr_init_lazy(void);
void tr_resolve(void);
void tr_cxx_resolve(void);

/* The bootstrap arena serves dlsym's own allocations before the real
 * functions are known; its blocks are never forwarded. */
#define TR_BOOT_BYTES (256u << 10)
extern unsigned char tr_boot[TR_BOOT_BYTES];
void *tr_boot_alloc(size_t n, size_t align);
size_t tr_boot_size(const void *p);

static inline bool tr_is_boot(const void *p)
{
        return (uintptr_t)p - (uintptr_t)tr_boot < TR_BOOT_BYTES;
}

static inline bool tr_skip(void)
{
        if (tr_unlikely(tr_state != 2))
                tr_init_lazy();
        return tr_tls.guard || !g_tr.on;
}

/* Weights of a sampled block (Horvitz-Thompson: 1 / inclusion probability).
 * A block of s bytes holds at least one point of a Poisson process of rate
 * 1/B with probability 1 - exp(-s/B); blocks of g_tr.force_from bytes
 * and more (the smaller of ALLOCBENCH_TRACE_BIG and 128 KiB, where callocs
 * are timed) are always traced, with weight 1. The
 * count weight is rounded stochastically from a hash of the address, so
 * the free of the block subtracts exactly what its allocation added. */
void tr_weights(uint64_t size, uintptr_t p, uint64_t *wn, uint64_t *wb);
/* The sampling decision for an allocation of size bytes. */
bool tr_sample_slow(uint64_t size);
/* The first sampling distance of a new thread. */
void tr_sample_start(struct tr_thread *t);

static inline bool tr_sampled(uint64_t size)
{
        if (tr_likely(!g_tr.sample_bytes) || size >= g_tr.force_from)
                return true;
        tr_tls.sample_left -= (int64_t)size;
        if (tr_likely(tr_tls.sample_left > 0))
                return false;
        return tr_sample_slow(size);
}

/* Sampling fast paths, taken before anything else: an allocation the
 * sampler passes by, or a free the filter rules out, is forwarded at once
 * (no guard, no call). They do not look at the guard: what they forward is
 * what the guard would forward too. The allocator's own mmap calls made
 * meanwhile are recognised by their caller (tr_mmap.c). */
static inline bool tr_fast_pass_alloc(size_t n)
{
        if (tr_likely(g_tr.fast) && n < g_tr.force_from) {
                int64_t left = tr_tls.sample_left - (int64_t)n;
                if (tr_likely(left > 0)) {
                        tr_tls.sample_left = left;
                        return true;
                }
        }
        return false;
}

static inline bool tr_fast_pass_free(const void *p)
{
        return tr_likely(g_tr.fast) && !tr_is_boot(p) &&
               !__atomic_load_n(&tr_filter[TR_FILTER_INDEX(p)],
                                __ATOMIC_RELAXED);
}

/* Records a new block p of size bytes at the caller's stack and returns its
 * site, or UINT32_MAX when sampling passed it by. fp is the interposer's
 * frame (its caller is the first frame kept). */
static inline uint32_t tr_on_alloc(void *fp, void *p, uint64_t size)
{
        uint64_t wn = 1, wb = size;
        struct tr_ctr *c;
        uint32_t site;

        if (tr_unlikely(!tr_tls.t))
                tr_thread_slow();
        tr_self_add(TR_SELF_CALLS, 1);
        if (!tr_sampled(size))
                return UINT32_MAX;
        if (tr_unlikely(g_tr.helper_pending))
                tr_helper_start();
        if (g_tr.sample_bytes && size < g_tr.force_from)
                tr_weights(size, (uintptr_t)p, &wn, &wb);
        site = tr_site_here(fp);
        tr_table_put((uintptr_t)p, site, size, tr_recording ? tr_rec_alloc(size, site) : 0);
        c = tr_ctr(site);
        tr_count_alloc(c, wn, wb);
        if (size >= g_tr.big_bytes)
                tr_count_add(c, AB_TD_BIG_OPS, 1);
        tr_ctr_done();
        tr_self_add(TR_SELF_SAMPLED, 1);
        return site;
}

/* Charges the free of a block the side table knew to its site. */
static inline void tr_free_known(uintptr_t p, uint32_t site, uint64_t size)
{
        uint64_t wn = 1, wb = size;
        struct tr_ctr *c;
        if (g_tr.sample_bytes && size < g_tr.force_from)
                tr_weights(size, p, &wn, &wb);
        c = tr_ctr(site);
        tr_count_free(c, wn, wb);
        if (size >= g_tr.big_bytes)
                tr_count_add(c, AB_TD_BIG_OPS, 1);
        tr_ctr_done();
}

/* Looks p up and forgets it: true when it was traced (with its record id
 * in *id, 0 when not recording). */
static inline bool tr_forget(void *p, uint32_t *site, uint64_t *size, uint64_t *id)
{
        if (tr_unlikely(!tr_tls.t))
                tr_thread_slow();
        tr_self_add(TR_SELF_CALLS, 1);
        if (!tr_table_maybe((uintptr_t)p))
                return false;
        if (tr_table_take((uintptr_t)p, site, size, id))
                return true;
        if (!g_tr.sample_bytes)
                tr_self_add(TR_SELF_UNKNOWN_FREES, 1);
        return false;
}

static inline void tr_on_free(void *p)
{
        uint32_t site;
        uint64_t size, id;
        if (tr_forget(p, &site, &size, &id)) {
                tr_free_known((uintptr_t)p, site, size);
                if (tr_recording)
                        tr_rec_free(id);
        }
}

/* An mmap-family call: counted on the caller's own stack. */
/* A mapping call of the program: calls and bytes, and the bytes again in
 * also_field (a PROT_NONE reservation) unless it is -1. */
static inline void tr_on_map(void *fp, int calls_field, int bytes_field, uint64_t bytes,
                             int also_field)
{
        struct tr_ctr *c;
        uint32_t site;
        if (tr_unlikely(!tr_tls.t))
                tr_thread_slow();
        tr_self_add(TR_SELF_MAP_CALLS, 1);
        site = tr_site_here(fp);
        c = tr_ctr(site);
        tr_count_add(c, calls_field, 1);
        tr_count_add(c, bytes_field, bytes);
        if (also_field >= 0)
                tr_count_add(c, also_field, bytes);
        tr_ctr_done();
}

#endif
