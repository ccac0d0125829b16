/*
 * tr_table.c - the side table: every traced live block's address mapped to
 * its site and size, so that a free (from any thread) is charged to the site
 * that allocated the block, with the right size, without touching the block.
 *
 * One open-addressing table per thread (linear probing, tombstones), owned
 * by the thread that allocates: the owner inserts and removes its own
 * blocks with plain stores and no lock, which is the common case and costs
 * no atomic instruction. A block freed by another thread is found by that
 * thread's "remote" path: it probes the other tables one by one, each under
 * the table's futex lock, and turns the entry into a tombstone. This is
 * safe next to the owner's lock-free work because the two never write the
 * same slot: a remote thread writes only the slot of the block it frees (a
 * live entry the owner no longer touches), the owner writes only empty or
 * tombstone slots and its own blocks' slots. Keys are written last with a
 * release store and read with acquire loads. Only the owner rebuilds its
 * table (at 70 % of slots used, live or tombstone), under the lock, so no
 * remote probe sees a table being moved.
 *
 * A thread that exits leaves its table as an orphan (its blocks may still
 * be freed by others); the next new thread adopts it. Tables are never
 * freed and the list of them only grows at its head, so a remote walk needs
 * no lock for the list itself. Threads past their exit destructor use the
 * shared table, always under its lock.
 *
 * With sampling, most frees are of blocks that were never entered. A filter
 * of 2^16 one-byte counters (64 KiB, so it stays in cache) (raised on entry, lowered on removal,
 * stuck once saturated) answers "not here" for them with one load and no lock.
 */
#include <errno.h>
#include <string.h>

#include "tracer.h"

#define INIT_CAP 1024u
#define TOMB     ((uint64_t)1)

struct ent {
        uint64_t p;    /* 0 empty, 1 tombstone, else the block */
        uint64_t meta; /* site << 40 | size */
};

struct tr_table {
        struct tr_lock lock; /* remote access and the owner's rebuilds */
        bool orphan;         /* no owner: every access locks */
        bool shared;
        struct ent *e;
        size_t cap, used;  /* used: slots not empty (owner's count) */
        struct ent *spare; /* the previous array, reused by the next rebuild */
        size_t spare_cap;
        /* recording: each slot's block id, beside e[] (so the entries stay
         * 16 bytes when not recording) */
        uint64_t *ids, *spare_ids;
        struct tr_table *next;
};

static struct tr_table *tables; /* grows at the head, release-published */
static struct tr_lock list_lock;
static struct tr_table shared_tab = {.shared = true};
uint8_t tr_filter[1u << TR_FILTER_BITS] __attribute__((aligned(4096)));
#define filter tr_filter

static inline uint64_t hash_ptr(uintptr_t p)
{
        return tr_hash_ptr(p);
}

static inline size_t slot_of(uint64_t h, size_t cap)
{
        return (size_t)(h >> 20) & (cap - 1);
}

static inline uint8_t *filter_of(uintptr_t p)
{
        return &filter[TR_FILTER_INDEX(p)];
}

int tr_table_init(void)
{
        tr_lock(&list_lock);
        if (!shared_tab.next && tables != &shared_tab) {
                shared_tab.next = tables;
                __atomic_store_n(&tables, &shared_tab, __ATOMIC_RELEASE);
        }
        tr_unlock(&list_lock);
        return 0;
}

/* A table for a new thread: an orphan to adopt, or a new one. */
struct tr_table *tr_table_new(void)
{
        struct tr_table *t;
        tr_lock(&list_lock);
        for (t = tables; t; t = t->next)
                if (t->orphan) {
                        t->orphan = false;
                        tr_unlock(&list_lock);
                        return t;
                }
        t = tr_map(sizeof *t);
        if (t) {
                t->next = tables;
                __atomic_store_n(&tables, t, __ATOMIC_RELEASE);
        }
        tr_unlock(&list_lock);
        return t;
}

void tr_table_orphan(struct tr_table *t)
{
        if (!t)
                return;
        tr_lock(&list_lock);
        t->orphan = true;
        tr_unlock(&list_lock);
}

/* Rebuilds t without its tombstones, with room for its live entries
 * (owner under t->lock, or the child after fork). Tombstones pile up as
 * blocks come and go, so this runs every few hundred frees: the previous
 * array is kept as a spare, to be cleared and reused rather than mapped
 * again each time. */
static int rebuild(struct tr_table *t)
{
        size_t live = 0, ncap = INIT_CAP;
        struct ent *ne;
        uint64_t *nid = NULL;
        for (size_t i = 0; i < t->cap; i++)
                live += t->e[i].p > TOMB;
        while (ncap * 7 < (live + 1) * 20) /* below 35 % after the rebuild */
                ncap *= 2;
        if (t->spare && t->spare_cap == ncap) {
                ne = t->spare;
                memset(ne, 0, ncap * sizeof *ne);
                nid = t->spare_ids;
        } else {
                tr_unmap(t->spare, t->spare_cap * sizeof *t->spare);
                tr_unmap(t->spare_ids, t->spare_cap * sizeof *t->spare_ids);
                t->spare = NULL;
                t->spare_ids = NULL;
                ne = tr_map(ncap * sizeof *ne);
                if (!ne)
                        return -ENOMEM;
        }
        if (tr_recording && !nid && !(nid = tr_map(ncap * sizeof *nid))) {
                tr_unmap(ne, ncap * sizeof *ne);
                return -ENOMEM;
        }
        for (size_t i = 0; i < t->cap; i++) {
                size_t j;
                if (t->e[i].p <= TOMB)
                        continue;
                for (j = slot_of(hash_ptr(t->e[i].p), ncap); ne[j].p; j = (j + 1) & (ncap - 1))
                        ;
                ne[j] = t->e[i];
                if (nid)
                        nid[j] = t->ids ? t->ids[i] : 0;
        }
        t->spare = t->e;
        t->spare_ids = t->ids;
        t->spare_cap = t->cap;
        t->e = ne;
        t->ids = nid;
        t->cap = ncap;
        t->used = live;
        return 0;
}

/* Into the first free slot (empty or tombstone) of p's run. A stale entry
 * of the same address further on (a block whose free went by untraced)
 * is not looked for: it stays shadowed by this one. */
static void insert(struct tr_table *t, uintptr_t p, uint64_t meta, uint64_t h, uint64_t id)
{
        size_t i, mask;
        uint64_t k;
        if ((t->used + 1) * 10 > t->cap * 7) {
                int r;
                tr_lock(&t->lock);
                r = rebuild(t);
                tr_unlock(&t->lock);
                if (r < 0)
                        return;
        }
        mask = t->cap - 1;
        for (i = slot_of(h, t->cap);; i = (i + 1) & mask) {
                k = __atomic_load_n(&t->e[i].p, __ATOMIC_ACQUIRE);
                if (k <= TOMB)
                        break;
        }
        if (k == 0)
                t->used++;
        t->e[i].meta = meta;
        if (t->ids)
                t->ids[i] = id;
        __atomic_store_n(&t->e[i].p, (uint64_t)p, __ATOMIC_RELEASE);
}

/* The slot of p in t, or SIZE_MAX. */
static size_t find(const struct tr_table *t, uintptr_t p, uint64_t h)
{
        size_t mask = t->cap - 1;
        if (!t->cap)
                return SIZE_MAX;
        for (size_t i = slot_of(h, t->cap), n = 0; n < t->cap; i = (i + 1) & mask, n++) {
                uint64_t k = __atomic_load_n(&t->e[i].p, __ATOMIC_ACQUIRE);
                if (k == p)
                        return i;
                if (k == 0)
                        return SIZE_MAX;
        }
        return SIZE_MAX;
}

static struct tr_table *own_table(void)
{
        struct tr_thread *th = tr_tls.t;
        if (tr_likely(th->tab))
                return th->tab;
        if (th->dead || !(th->tab = tr_table_new()))
                return &shared_tab;
        return th->tab;
}

void tr_table_put(uintptr_t p, uint32_t site, uint64_t size, uint64_t id)
{
        uint64_t h = hash_ptr(p);
        struct tr_table *t = own_table();
        uint64_t meta = (uint64_t)site << 40 | (size > TR_SIZE_MAX ? TR_SIZE_MAX : size);
        if (tr_unlikely(t->shared)) {
                tr_lock(&t->lock);
                insert(t, p, meta, h, id);
                tr_unlock(&t->lock);
        } else {
                insert(t, p, meta, h, id);
        }
        if (g_tr.sample_bytes) {
                uint8_t *f = filter_of(p);
                if (__atomic_load_n(f, __ATOMIC_RELAXED) != 255)
                        __atomic_fetch_add(f, 1, __ATOMIC_RELAXED);
        }
}

static bool take_at(struct tr_table *t, size_t i, uint32_t *site, uint64_t *size, uint64_t *id,
                    uintptr_t p)
{
        uint64_t meta = t->e[i].meta;
        *id = t->ids ? t->ids[i] : 0;
        __atomic_store_n(&t->e[i].p, TOMB, __ATOMIC_RELEASE);
        *site = (uint32_t)(meta >> 40);
        *size = meta & TR_SIZE_MAX;
        if (g_tr.sample_bytes) {
                uint8_t *f = filter_of(p);
                if (__atomic_load_n(f, __ATOMIC_RELAXED) != 255)
                        __atomic_fetch_sub(f, 1, __ATOMIC_RELAXED);
        }
        return true;
}

bool tr_table_take(uintptr_t p, uint32_t *site, uint64_t *size, uint64_t *id)
{
        uint64_t h = hash_ptr(p);
        struct tr_table *own = own_table(), *t;
        size_t i;

        if (tr_likely(!own->shared) && (i = find(own, p, h)) != SIZE_MAX)
                return take_at(own, i, site, size, id, p);
        /* Freed by another thread than the one that allocated it (or never
         * seen): look through every other table, each under its lock. */
        for (t = __atomic_load_n(&tables, __ATOMIC_ACQUIRE); t; t = t->next) {
                bool hit = false;
                if (t == own && !own->shared)
                        continue;
                tr_lock(&t->lock);
                i = find(t, p, h);
                if (i != SIZE_MAX)
                        hit = take_at(t, i, site, size, id, p);
                tr_unlock(&t->lock);
                if (hit)
                        return true;
        }
        return false;
}

void tr_table_lock_all(void)
{
        tr_lock(&list_lock);
        for (struct tr_table *t = tables; t; t = t->next)
                tr_lock(&t->lock);
}

void tr_table_unlock_all(void)
{
        for (struct tr_table *t = tables; t; t = t->next)
                tr_unlock(&t->lock);
        tr_unlock(&list_lock);
}

/* A fork child traces only its own blocks: the parent's live blocks are
 * forgotten (their frees in the child count as unknown), so merging the
 * parent's and the child's dumps counts no block twice. Runs in the atfork
 * child handler, single-threaded, with every lock held by us (from
 * tr_table_lock_all): the tables of the threads that did not survive the
 * fork become orphans. */
void tr_table_reset_child(struct tr_table *keep)
{
        for (struct tr_table *t = tables; t; t = t->next) {
                tr_unmap(t->e, t->cap * sizeof *t->e);
                tr_unmap(t->spare, t->spare_cap * sizeof *t->spare);
                tr_unmap(t->ids, t->cap * sizeof *t->ids);
                tr_unmap(t->spare_ids, t->spare_cap * sizeof *t->spare_ids);
                t->ids = t->spare_ids = NULL;
                t->e = t->spare = NULL;
                t->cap = t->used = t->spare_cap = 0;
                t->orphan = !t->shared && t != keep;
        }
        if (g_tr.sample_bytes)
                memset(filter, 0, (size_t)1 << TR_FILTER_BITS);
        tr_table_unlock_all();
}
