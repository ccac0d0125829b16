/*
 * tr_stack.c - call stacks: capture and interning into site ids.
 *
 * Capture walks frame pointers from the interposer's own frame, so the
 * tracer's frames are never recorded. Each step is validated: the next
 * frame pointer must lie above the current one, 8-byte aligned, below the
 * top of this thread's stack (pthread_getattr_np once per thread), and the
 * return address must lie in a code range of the module map. A walk that
 * stops before reaching libc (where main and every thread start) met a
 * frame without a frame pointer (Debian's python3, most distribution
 * libraries): then unw_backtrace (DWARF CFI) captures the stack instead.
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL) and only unw_backtrace is
 * looked up: linked normally it would export backtrace() and
 * _Unwind_Backtrace() into the traced program and silently replace glibc's
 * and libgcc's (Debian ships no PIC libunwind.a to link statically and hide
 * them). RTLD_LOCAL keeps its symbols out of the global scope. If the
 * library is missing the tracer keeps the frame-pointer stacks it gets.
 *
 * Interning: a stack hashes to a slot of an open-addressing table of site
 * ids. Lookups take no lock (ids are published with release stores after
 * the site record is complete; a grown table is published by pointer and
 * the old one stays readable). Only a new stack takes site_lock. Site
 * records and return addresses live in mmap'd chunks that never move.
 */
#include <dlfcn.h>
#include <string.h>

#include "tracer.h"

#define CHUNK_BITS  12
#define CHUNK_SITES (1u << CHUNK_BITS)
#define ARENA_BYTES (1u << 20)

struct site {
        uint64_t hash;
        const uint64_t *pcs;
        uint32_t depth, flags;
};

struct itab {
        size_t cap;
        uint32_t id[];
};

static struct site *chunks[(AB_TD_MAX_SITES >> CHUNK_BITS) + 1];
static uint32_t nsites; /* release-stored; site 0 is "no stack" */
static struct itab *itab;
static struct tr_lock site_lock;
static uint64_t *arena;
static size_t arena_left; /* return addresses free in arena */

typedef int (*unw_backtrace_fn)(void **, int);
static unw_backtrace_fn unw_bt;

int tr_stack_init(void)
{
        void *h;
        if (!chunks[0]) {
                chunks[0] = tr_map(CHUNK_SITES * sizeof(struct site));
                itab = tr_map(sizeof *itab + 4096 * sizeof(uint32_t));
                if (!chunks[0] || !itab)
                        return -1;
                itab->cap = 4096;
                __atomic_store_n(&nsites, 1, __ATOMIC_RELEASE);
        }
        h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
        if (h)
                unw_bt = (unw_backtrace_fn)dlsym(h, "unw_backtrace");
        g_tr.unwind = unw_bt != NULL;
        return 0;
}

static inline struct site *site_at(uint32_t id)
{
        return &chunks[id >> CHUNK_BITS][id & (CHUNK_SITES - 1)];
}

static __thread size_t walk_hint[2] __attribute__((tls_model("initial-exec")));

#define HASH_STEP(h, pc) (((h) ^ (pc)) * 0x9e3779b97f4a7c15ull)

static inline uint64_t hash_final(uint64_t h, int n)
{
        h ^= (uint64_t)n;
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        return h ^ (h >> 32);
}

static inline uint64_t hash_stack(const uint64_t *pcs, int n)
{
        uint64_t h = 0x84222325cbf29ce4ull;
        for (int i = 0; i < n; i++)
                h = HASH_STEP(h, pcs[i]);
        return hash_final(h, n);
}

/* The walk hashes as it goes: the multiplications overlap with the loads
 * of the frame chain instead of following them. */
static int fp_walk(uintptr_t fp, uintptr_t top, uint64_t *pcs, int max, bool *done, uint64_t *hash)
{
        const struct tr_ranges *rs = __atomic_load_n(&tr_cur_ranges, __ATOMIC_ACQUIRE);
        size_t hint[2] = {walk_hint[0], walk_hint[1]};
        uint64_t h = 0x84222325cbf29ce4ull;
        int n = 0;
        if (!rs)
                return 0;
        while (n < max) {
                uintptr_t ra, next;
                if ((fp & 7) || fp + 16 > top)
                        break;
                ra = ((const uintptr_t *)fp)[1];
                if (!tr_ranges_has(rs, ra, hint))
                        break;
                pcs[n++] = ra;
                h = HASH_STEP(h, ra);
                next = ((const uintptr_t *)fp)[0];
                if (next <= fp)
                        break;
                fp = next;
        }
        /* main and every thread's start routine are called from libc: a
         * walk that got there lost no frame on the way */
        for (int i = n; i-- > 0;)
                if (pcs[i] >= rs->libc_lo && pcs[i] < rs->libc_hi) {
                        *done = true;
                        break;
                }
        walk_hint[0] = hint[0];
        walk_hint[1] = hint[1];
        *hash = hash_final(h, n);
        return n;
}

static int unwind(void *fp, uint64_t *pcs, int max)
{
        void *buf[TR_DEPTH_MAX + 16];
        uintptr_t first = ((const uintptr_t *)fp)[1];
        int got = unw_bt(buf, max + 16), i = 0, n = 0;

        /* Drop everything up to the interposer: its return address is the
         * first frame to keep; if unwinding lost it, drop our own code. */
        while (i < got && (uintptr_t)buf[i] != first)
                i++;
        if (i == got)
                for (i = 0; i < got && tr_text_self((uintptr_t)buf[i]); i++)
                        ;
        while (i < got && n < max)
                pcs[n++] = (uintptr_t)buf[i++];
        return n;
}

int tr_capture_raw(void *fp, uint64_t *pcs, int max, int use_unwind)
{
        struct tr_thread *t = tr_tls.t;
        bool done = false;
        uint64_t h;
        if (use_unwind)
                return unw_bt ? unwind(fp, pcs, max) : 0;
        if (!t || !t->stack_hi)
                return 0;
        return fp_walk((uintptr_t)fp, t->stack_hi, pcs, max, &done, &h);
}

static int capture(void *fp, uint64_t *pcs, uint32_t *flags, uint64_t *hash)
{
        struct tr_thread *t = tr_tls.t;
        int max = (int)g_tr.depth, n = 0;
        bool done = false;

        *flags = 0;
        if (!t->bounds_done)
                tr_thread_bounds(t);
        if (t->stack_hi)
                n = fp_walk((uintptr_t)fp, t->stack_hi, pcs, max, &done, hash);
        if (n == max || (done && n > 0)) {
                tr_self_add(TR_SELF_FP_STACKS, 1);
                if (n == max) {
                        *flags = AB_TD_STACK_TRUNCATED;
                        tr_self_add(TR_SELF_TRUNCATED, 1);
                }
                return n;
        }
        if (unw_bt) {
                uint64_t alt[TR_DEPTH_MAX];
                int m = unwind(fp, alt, max);
                if (m > n) {
                        memcpy(pcs, alt, (size_t)m * sizeof *pcs);
                        *hash = hash_stack(pcs, m);
                        *flags = AB_TD_STACK_UNWIND;
                        tr_self_add(TR_SELF_UNWIND_STACKS, 1);
                        if (m == max) {
                                *flags |= AB_TD_STACK_TRUNCATED;
                                tr_self_add(TR_SELF_TRUNCATED, 1);
                        }
                        return m;
                }
        }
        tr_self_add(TR_SELF_FP_STACKS, 1);
        return n;
}

static uint32_t lookup(const struct itab *it, uint64_t h, const uint64_t *pcs, uint32_t n)
{
        size_t mask = it->cap - 1, i = h & mask;
        for (;;) {
                uint32_t id = __atomic_load_n(&it->id[i], __ATOMIC_ACQUIRE);
                const struct site *s;
                if (!id)
                        return 0;
                s = site_at(id);
                if (s->hash == h && s->depth == n && memcmp(s->pcs, pcs, n * sizeof *pcs) == 0)
                        return id;
                i = (i + 1) & mask;
        }
}

static void place(struct itab *it, uint32_t id, uint64_t h)
{
        size_t mask = it->cap - 1, i = h & mask;
        while (it->id[i])
                i = (i + 1) & mask;
        __atomic_store_n(&it->id[i], id, __ATOMIC_RELEASE);
}

static int grow_itab(void)
{
        size_t cap = itab->cap * 2;
        struct itab *nt = tr_map(sizeof *nt + cap * sizeof(uint32_t));
        if (!nt)
                return -1;
        nt->cap = cap;
        for (uint32_t id = 1; id < nsites; id++)
                place(nt, id, site_at(id)->hash);
        /* The old table stays mapped: lock-free readers may still probe it
         * (a miss there only sends them here, under the lock). */
        __atomic_store_n(&itab, nt, __ATOMIC_RELEASE);
        return 0;
}

static uint32_t insert(uint64_t h, const uint64_t *pcs, uint32_t n, uint32_t flags)
{
        uint32_t id;
        struct site *s;
        bool unknown = false;

        tr_lock(&site_lock);
        id = lookup(itab, h, pcs, n);
        if (id)
                goto out;
        if (nsites >= TR_MAX_SITES || ((nsites + 1) * 2 > itab->cap && grow_itab() < 0))
                goto out;
        if (!chunks[nsites >> CHUNK_BITS]) {
                chunks[nsites >> CHUNK_BITS] = tr_map(CHUNK_SITES * sizeof(struct site));
                if (!chunks[nsites >> CHUNK_BITS])
                        goto out;
        }
        if (arena_left < n) {
                arena = tr_map(ARENA_BYTES);
                if (!arena) {
                        arena_left = 0;
                        goto out;
                }
                arena_left = ARENA_BYTES / sizeof *arena;
        }
        memcpy(arena, pcs, n * sizeof *pcs);
        id = nsites;
        s = site_at(id);
        s->hash = h;
        s->pcs = arena;
        s->depth = n;
        s->flags = flags;
        arena += n;
        arena_left -= n;
        __atomic_store_n(&nsites, id + 1, __ATOMIC_RELEASE);
        place(itab, id, h);
        for (uint32_t i = 0; i < n; i++)
                unknown |= !tr_text_has(pcs[i]);
out:
        tr_unlock(&site_lock);
        /* An unwound stack may pass through a library dlopen'd since the
         * last look: the dump must name it. */
        if (unknown)
                tr_modules_refresh(false);
        return id;
}

uint32_t tr_site_here(void *fp)
{
        uint64_t pcs[TR_DEPTH_MAX];
        struct tr_thread *t = tr_tls.t;
        uint32_t flags, id;
        uint64_t h = 0;
        int n = capture(fp, pcs, &flags, &h);
        size_t c;

        if (n <= 0) {
                tr_self_add(TR_SELF_NOSITE, 1);
                return 0;
        }
        /* This thread's recent stacks, by their 64-bit hash and depth (two
         * stacks that collide here would share a site; with a million
         * stacks the odds are about 1 in 2^25). */
        c = h & (TR_ICACHE - 1);
        if (tr_likely(t->icache[c].hash == h && t->icache[c].depth == (uint32_t)n))
                return t->icache[c].id;
        id = lookup(__atomic_load_n(&itab, __ATOMIC_ACQUIRE), h, pcs, (uint32_t)n);
        if (!id)
                id = insert(h, pcs, (uint32_t)n, flags);
        if (!id) {
                tr_self_add(TR_SELF_NOSITE, 1);
                return 0;
        }
        if (!t->dead) {
                t->icache[c].hash = h;
                t->icache[c].depth = (uint32_t)n;
                t->icache[c].id = id;
        }
        return id;
}

uint32_t tr_site_count(void)
{
        return __atomic_load_n(&nsites, __ATOMIC_ACQUIRE);
}

const uint64_t *tr_site_stack(uint32_t id, uint32_t *depth, uint32_t *flags)
{
        const struct site *s = site_at(id);
        *depth = s->depth;
        *flags = s->flags;
        return s->pcs;
}

void tr_sites_lock(void)
{
        tr_lock(&site_lock);
}

void tr_sites_unlock(void)
{
        tr_unlock(&site_lock);
}
