/*
 * tr_table.c - the side table: every traced live block's address mapped to
 * its site and size, so a free (from any thread) is charged to the site that
 * allocated the block, with the right size, without touching the block.
 *
 * 64 shards chosen by the top bits of a multiplicative hash of the address,
 * each an open-addressing table with linear probing, backward-shift deletion
 * (no tombstones, so probes stay short under churn) and its own futex lock.
 * A shard holding 16-byte entries doubles at 70 % load by rehashing into a
 * fresh mapping. Two threads collide only when they touch the same shard at
 * the same moment: 1 in 64 for random addresses.
 *
 * With sampling, most frees are of blocks that were never entered. A filter
 * of 2^20 one-byte counters (indexed by another part of the same hash,
 * raised on entry and lowered on removal, stuck once saturated) answers
 * "not here" for them with one load and no lock.
 */
#include <errno.h>
#include <string.h>

#include "tracer.h"

#define SHARD_BITS  6
#define NSHARDS     (1u << SHARD_BITS)
#define FILTER_BITS 20
#define INIT_CAP    1024u

struct ent {
        uint64_t p;    /* 0: empty */
        uint64_t meta; /* site << 40 | size */
};

struct shard {
        struct tr_lock lock;
        uint32_t pad;
        struct ent *e;
        size_t cap, n;
        char fill[64 - 8 - sizeof(void *) - 2 * sizeof(size_t)];
};

static struct shard shards[NSHARDS] __attribute__((aligned(64)));
static uint8_t *filter;

static inline uint64_t hash_ptr(uintptr_t p)
{
        return (uint64_t)p * 0x9e3779b97f4a7c15ull;
}

static inline size_t slot_of(uint64_t h, size_t cap)
{
        return (size_t)(h >> 16) & (cap - 1);
}

int tr_table_init(void)
{
        if (g_tr.sample_bytes && !filter) {
                filter = tr_map((size_t)1 << FILTER_BITS);
                if (!filter)
                        return -ENOMEM;
        }
        return 0;
}

static int grow(struct shard *s)
{
        size_t ncap = s->cap ? s->cap * 2 : INIT_CAP;
        struct ent *ne = tr_map(ncap * sizeof *ne);
        if (!ne)
                return -ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
                size_t j;
                if (!s->e[i].p)
                        continue;
                j = slot_of(hash_ptr(s->e[i].p), ncap);
                while (ne[j].p)
                        j = (j + 1) & (ncap - 1);
                ne[j] = s->e[i];
        }
        tr_unmap(s->e, s->cap * sizeof *s->e);
        s->e = ne;
        s->cap = ncap;
        return 0;
}

void tr_table_put(uintptr_t p, uint32_t site, uint64_t size)
{
        uint64_t h = hash_ptr(p);
        struct shard *s = &shards[h >> (64 - SHARD_BITS)];
        size_t i;

        if (size > TR_SIZE_MAX)
                size = TR_SIZE_MAX;
        tr_lock(&s->lock);
        if ((s->n + 1) * 10 > s->cap * 7 && grow(s) < 0) {
                tr_unlock(&s->lock);
                return;
        }
        i = slot_of(h, s->cap);
        /* An equal key is a block whose free we never saw (freed inside a
         * path the tracer passes through untraced): replace it. */
        while (s->e[i].p && s->e[i].p != p)
                i = (i + 1) & (s->cap - 1);
        if (!s->e[i].p)
                s->n++;
        s->e[i].p = p;
        s->e[i].meta = (uint64_t)site << 40 | size;
        tr_unlock(&s->lock);
        if (filter) {
                uint8_t *f = &filter[(h >> 24) & ((1u << FILTER_BITS) - 1)];
                if (__atomic_load_n(f, __ATOMIC_RELAXED) != 255)
                        __atomic_fetch_add(f, 1, __ATOMIC_RELAXED);
        }
}

bool tr_table_maybe(uintptr_t p)
{
        uint64_t h;
        if (!filter)
                return true;
        h = hash_ptr(p);
        return __atomic_load_n(&filter[(h >> 24) & ((1u << FILTER_BITS) - 1)],
                               __ATOMIC_RELAXED) != 0;
}

bool tr_table_take(uintptr_t p, uint32_t *site, uint64_t *size)
{
        uint64_t h = hash_ptr(p);
        struct shard *s = &shards[h >> (64 - SHARD_BITS)];
        size_t i, j, mask;
        uint64_t meta;

        tr_lock(&s->lock);
        if (!s->n) {
                tr_unlock(&s->lock);
                return false;
        }
        mask = s->cap - 1;
        i = slot_of(h, s->cap);
        while (s->e[i].p != p) {
                if (!s->e[i].p) {
                        tr_unlock(&s->lock);
                        return false;
                }
                i = (i + 1) & mask;
        }
        meta = s->e[i].meta;
        /* Backward-shift deletion: pull later members of the probe run into
         * the hole when the hole lies on their path from their home slot. */
        for (j = (i + 1) & mask; s->e[j].p; j = (j + 1) & mask) {
                size_t home = slot_of(hash_ptr(s->e[j].p), s->cap);
                if (((j - home) & mask) >= ((j - i) & mask)) {
                        s->e[i] = s->e[j];
                        i = j;
                }
        }
        s->e[i].p = 0;
        s->n--;
        tr_unlock(&s->lock);
        if (filter) {
                uint8_t *f = &filter[(h >> 24) & ((1u << FILTER_BITS) - 1)];
                if (__atomic_load_n(f, __ATOMIC_RELAXED) != 255)
                        __atomic_fetch_sub(f, 1, __ATOMIC_RELAXED);
        }
        *site = (uint32_t)(meta >> 40);
        *size = meta & TR_SIZE_MAX;
        return true;
}

void tr_table_lock_all(void)
{
        for (unsigned i = 0; i < NSHARDS; i++)
                tr_lock(&shards[i].lock);
}

void tr_table_unlock_all(void)
{
        for (unsigned i = NSHARDS; i-- > 0;)
                tr_unlock(&shards[i].lock);
}

/* A fork child traces only its own blocks: the parent's live blocks are
 * forgotten (their frees in the child count as unknown), so merging the
 * parent's and the child's dumps counts no block twice. Runs in the atfork
 * child handler, single-threaded, with every shard lock held by us. */
void tr_table_reset_child(void)
{
        for (unsigned i = 0; i < NSHARDS; i++) {
                struct shard *s = &shards[i];
                tr_unmap(s->e, s->cap * sizeof *s->e);
                s->e = NULL;
                s->cap = s->n = 0;
                s->lock.v = 0;
        }
        if (filter)
                memset(filter, 0, (size_t)1 << FILTER_BITS);
}
