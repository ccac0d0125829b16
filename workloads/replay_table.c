/*
 * replay_table.c - the replay kernel's table of a thread's blocks
 * (replay_table.h).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "replay_table.h"

#define MOVED UINT32_MAX
#define TOMB UINT64_MAX
#define SWEEP_BEHIND 16 /* pages behind the newest a sweep looks at first */

static void *map(size_t len)
{
        void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

static void lock(struct rp_table *t)
{
        while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE))
                while (__atomic_load_n(&t->lock, __ATOMIC_RELAXED))
                        sched_yield();
}

static void unlock(struct rp_table *t)
{
        __atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

int rp_table_init(struct rp_table *t, uint64_t blocks, uint64_t page, bool shared)
{
        memset(t, 0, sizeof *t);
        t->page = page;
        t->per_page = page / sizeof(struct rp_slot);
        t->shared = shared;
        t->slots_len = (blocks * sizeof(struct rp_slot) + page - 1) / page * page;
        t->page_live_len = (blocks / t->per_page + 1) * sizeof(uint32_t);
        t->slots = map(t->slots_len);
        t->page_live = map(t->page_live_len);
        return t->slots && t->page_live ? 0 : -ENOMEM;
}

void rp_table_fini(struct rp_table *t)
{
        if (t->slots)
                munmap(t->slots, t->slots_len);
        if (t->page_live)
                munmap(t->page_live, t->page_live_len);
        if (t->okey) {
                munmap(t->okey, t->ocap * sizeof *t->okey);
                munmap(t->oval, t->ocap * sizeof *t->oval);
        }
        memset(t, 0, sizeof *t);
}

/* ---- the blocks moved out: open addressing by index ------------------------------ */

static size_t home(const struct rp_table *t, uint64_t key)
{
        return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (t->ocap - 1);
}

static size_t find(const struct rp_table *t, uint64_t i)
{
        uint64_t key = i + 1;
        if (!t->ocap)
                return SIZE_MAX;
        for (size_t j = home(t, key);; j = (j + 1) & (t->ocap - 1)) {
                if (t->okey[j] == key)
                        return j;
                if (!t->okey[j])
                        return SIZE_MAX;
        }
}

static void insert(struct rp_table *t, uint64_t key, const struct rp_slot *v)
{
        size_t j = home(t, key);
        while (t->okey[j] && t->okey[j] != TOMB)
                j = (j + 1) & (t->ocap - 1);
        if (t->okey[j] == TOMB)
                t->otomb--;
        t->okey[j] = key;
        t->oval[j] = *v;
        t->oused++;
}

/* Room for `more` entries: 0 or -ENOMEM. */
static int reserve(struct rp_table *t, size_t more)
{
        size_t cap = 64, ocap = t->ocap;
        uint64_t *okey = t->okey;
        struct rp_slot *oval = t->oval;
        if ((t->oused + t->otomb + more) * 10 < ocap * 7)
                return 0;
        while (cap * 7 < (t->oused + more) * 20) /* below 35 % after */
                cap *= 2;
        t->okey = map(cap * sizeof *t->okey);
        t->oval = map(cap * sizeof *t->oval);
        if (!t->okey || !t->oval) {
                if (t->okey)
                        munmap(t->okey, cap * sizeof *t->okey);
                if (t->oval)
                        munmap(t->oval, cap * sizeof *t->oval);
                t->okey = okey;
                t->oval = oval;
                return -ENOMEM;
        }
        t->ocap = cap;
        t->oused = t->otomb = 0;
        for (size_t j = 0; j < ocap; j++)
                if (okey[j] && okey[j] != TOMB)
                        insert(t, okey[j], &oval[j]);
        if (okey) {
                munmap(okey, ocap * sizeof *okey);
                munmap(oval, ocap * sizeof *oval);
        }
        return 0;
}

/* ---- pages ------------------------------------------------------------------------ */

static uint32_t live_of(const struct rp_table *t, uint64_t pg)
{
        return t->shared ? __atomic_load_n(&t->page_live[pg], __ATOMIC_ACQUIRE) : t->page_live[pg];
}

/* Page pg (all made) moved out when a quarter or fewer of its blocks
 * live: 0 or -ENOMEM. */
static int maybe_move(struct rp_table *t, uint64_t pg)
{
        struct rp_slot *s = t->slots + pg * t->per_page;
        uint32_t live;
        int r = 0;
        if (t->shared)
                lock(t);
        live = live_of(t, pg);
        if (live && live != MOVED && live <= t->per_page / 4 && !(r = reserve(t, live))) {
                for (uint64_t j = 0; j < t->per_page; j++)
                        if (s[j].p && s[j].p != RP_FREED)
                                insert(t, pg * t->per_page + j + 1, &s[j]);
                __atomic_store_n(&t->page_live[pg], MOVED, __ATOMIC_RELEASE);
                madvise(s, t->page, MADV_DONTNEED);
                t->moved_pages++;
                t->moved_blocks += live;
        }
        if (t->shared)
                unlock(t);
        return r;
}

/* A page was started: look at the one SWEEP_BEHIND pages back, and at one
 * older page in turn (pages thin out as their blocks die). */
static int sweep(struct rp_table *t, uint64_t newest)
{
        int r = 0;
        if (newest < SWEEP_BEHIND)
                return 0;
        r = maybe_move(t, newest - SWEEP_BEHIND);
        if (!r && newest > SWEEP_BEHIND) {
                if (t->scan >= newest - SWEEP_BEHIND)
                        t->scan = 0;
                r = maybe_move(t, t->scan++);
        }
        return r;
}

int rp_table_put(struct rp_table *t, void *p, uint64_t size)
{
        uint64_t i = t->made, pg = i / t->per_page;
        struct rp_slot *s = &t->slots[i];
        if (i % t->per_page == 0 && i) {
                int r = sweep(t, pg);
                if (r)
                        return r;
        }
        s->size = size;
        if (t->shared)
                __atomic_add_fetch(&t->page_live[pg], 1, __ATOMIC_RELAXED);
        else
                t->page_live[pg]++;
        __atomic_store_n(&s->p, p, __ATOMIC_RELAXED);
        __atomic_store_n(&t->made, i + 1, __ATOMIC_RELEASE);
        return 0;
}

static int take_slot(struct rp_table *t, uint64_t i, void **p, uint64_t *size)
{
        uint64_t pg = i / t->per_page;
        struct rp_slot *s = &t->slots[i];
        uint32_t left;
        if (!s->p || s->p == RP_FREED)
                return -EINVAL;
        *p = s->p;
        *size = s->size;
        s->p = RP_FREED;
        left = t->shared ? __atomic_sub_fetch(&t->page_live[pg], 1, __ATOMIC_ACQ_REL)
                         : --t->page_live[pg];
        if (!left && (pg + 1) * t->per_page <= __atomic_load_n(&t->made, __ATOMIC_ACQUIRE))
                madvise(t->slots + pg * t->per_page, t->page, MADV_DONTNEED);
        return 0;
}

int rp_table_take(struct rp_table *t, uint64_t i, bool own, void **p, uint64_t *size)
{
        uint64_t pg = i / t->per_page;
        bool locked = t->shared && (!own || live_of(t, pg) == MOVED);
        int r;
        if (locked)
                lock(t);
        if (live_of(t, pg) == MOVED) {
                size_t j = find(t, i);
                if (j == SIZE_MAX) {
                        r = -EINVAL;
                } else {
                        *p = t->oval[j].p;
                        *size = t->oval[j].size;
                        t->okey[j] = TOMB;
                        t->oused--;
                        t->otomb++;
                        r = 0;
                }
        } else {
                r = take_slot(t, i, p, size);
        }
        if (locked)
                unlock(t);
        return r;
}
