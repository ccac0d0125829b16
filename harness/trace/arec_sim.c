/*
 * arec_sim.c - an allocation record played through (arec_sim.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/arec_sim.h"

static const char *const op_name[] = {"malloc", "calloc", "aligned allocation", "realloc",
                                      "free", "free"};

static int bad(char *err, size_t len, size_t off, const char *what, uint32_t thread,
               const struct ab_arec_event *e)
{
        snprintf(err, len,
                 "byte %zu: thread %u's %s of block %llu of thread %u: %s (accepted: a "
                 "record whose every free names a block made and still live)",
                 off, thread, op_name[e->op], (unsigned long long)e->block, e->thread, what);
        return -EINVAL;
}

static unsigned size_class(uint64_t size)
{
        return size <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(size - 1);
}

static uint64_t site_slot(uint64_t key, uint64_t cap)
{
        uint64_t h = key * 0x9e3779b97f4a7c15ull;
        return (h ^ h >> 29) & (cap - 1);
}

/* Distinct sites in an open-addressing set of id + 1 (0 marks a free slot),
 * kept at most half full: its size follows how many sites there are, not
 * how large an id a record names. */
static int note_site(struct ab_arec_sim *s, uint64_t site)
{
        uint64_t key = site + 1, i;
        if (!key)
                key = 1; /* UINT64_MAX shares a slot with 0; counted once */
        if ((s->st.sites + 1) * 2 > s->seen_cap) {
                uint64_t cap = s->seen_cap ? s->seen_cap * 2 : 256;
                uint64_t *n = calloc(cap, sizeof *n);
                if (!n)
                        return -ENOMEM;
                for (uint64_t j = 0; j < s->seen_cap; j++) {
                        if (!s->seen_site[j])
                                continue;
                        for (i = site_slot(s->seen_site[j], cap); n[i];
                             i = (i + 1) & (cap - 1))
                                ;
                        n[i] = s->seen_site[j];
                }
                free(s->seen_site);
                s->seen_site = n;
                s->seen_cap = cap;
        }
        for (i = site_slot(key, s->seen_cap); s->seen_site[i];
             i = (i + 1) & (s->seen_cap - 1))
                if (s->seen_site[i] == key)
                        return 0;
        s->seen_site[i] = key;
        s->st.sites++;
        return 0;
}

/* The block an event frees or reallocates is live: 0, or 1 when it is not
 * made yet (the event waits), or -EINVAL. */
static int check_old(struct ab_arec_sim *s, uint32_t self, const struct ab_arec_event *e,
                     char *err, size_t elen)
{
        const struct ab_arec_sim_thread *o = &s->t[e->thread];
        uint64_t w;
        if (e->block >= o->made) {
                if (e->thread == self)
                        return bad(err, elen, ab_arec_cursor_offset(&s->t[self].cur),
                                   "not made yet", self, e);
                return 1;
        }
        w = o->blk[e->block];
        if (!(w & AB_SIM_LIVE))
                return bad(err, elen, ab_arec_cursor_offset(&s->t[self].cur), "already freed",
                           self, e);
        return 0;
}

static void release(struct ab_arec_sim *s, uint32_t thread, uint64_t block)
{
        uint64_t *w = &s->t[thread].blk[block];
        s->st.live -= AB_SIM_SIZE(*w);
        s->st.live_blocks--;
        *w = (*w & ~AB_SIM_LIVE) | AB_SIM_FREED;
}

static int play(struct ab_arec_sim *s, uint32_t self, const struct ab_arec_event *e,
                const struct ab_arec_sim_ops *ops)
{
        struct ab_arec_sim_thread *t = &s->t[self];
        uint64_t made = UINT64_MAX;
        s->st.ops[e->op]++;
        if (e->op >= AB_AO_FREE_OWN || (e->op == AB_AO_REALLOC && !e->old_null)) {
                if (e->thread != self)
                        s->st.cross++;
                release(s, e->thread, e->block);
        }
        if (e->op <= AB_AO_REALLOC) {
                enum ab_arec_op kind = e->op == AB_AO_REALLOC ? AB_AO_MALLOC : e->op;
                made = t->made++;
                t->blk[made] = AB_SIM_LIVE | (e->size & ((1ull << 48) - 1)) |
                               (uint64_t)(e->align_log2 & 63) << 48 | (uint64_t)kind << 54;
                t->site[made] = (uint32_t)e->site;
                s->st.live += e->size;
                s->st.live_blocks++;
                s->st.bytes += e->size;
                s->st.hist[size_class(e->size)]++;
                if (s->st.live > s->st.peak) {
                        s->st.peak = s->st.live;
                        s->st.peak_blocks = s->st.live_blocks;
                }
                if (note_site(s, e->site))
                        return -ENOMEM;
        }
        t->done++;
        if (ops && ops->event)
                ops->event(ops->arg, s, self, e, made);
        return 0;
}

static bool wants(const struct ab_arec_sim_thread *t)
{
        return t->done < t->target || t->made < t->need;
}

/* Run thread `self` while it has events to play before the round end (or
 * blocks another waits for): 0 (done or waiting: *wait_on set to the
 * thread it waits for), or -errno. */
static int run_thread(struct ab_arec_sim *s, uint32_t self, const struct ab_arec_sim_ops *ops,
                      int *progressed, int64_t *wait_on, char *err, size_t elen)
{
        struct ab_arec_sim_thread *t = &s->t[self];
        *wait_on = -1;
        while (wants(t)) {
                int r;
                if (!t->pending) {
                        r = ab_arec_next(&t->cur, &t->ev);
                        if (r <= 0) {
                                snprintf(err, elen,
                                         "byte %zu: thread %u's event %llu does not decode, or "
                                         "its stream ends early (accepted: an allocbench "
                                         "allocation record, version 1)",
                                         ab_arec_cursor_offset(&t->cur), self,
                                         (unsigned long long)t->done);
                                return -EINVAL;
                        }
                        t->pending = true;
                }
                if (t->ev.op >= AB_AO_FREE_OWN || (t->ev.op == AB_AO_REALLOC && !t->ev.old_null)) {
                        r = check_old(s, self, &t->ev, err, elen);
                        if (r < 0)
                                return r;
                        if (r == 1) {
                                struct ab_arec_sim_thread *o = &s->t[t->ev.thread];
                                if (o->need < t->ev.block + 1) {
                                        o->need = t->ev.block + 1;
                                        *progressed = 1; /* news for the maker: go round again */
                                }
                                *wait_on = t->ev.thread;
                                return 0;
                        }
                }
                if (t->done >= t->target)
                        s->st.borrowed++;
                t->pending = false;
                if ((r = play(s, self, &t->ev, ops)) < 0)
                        return r;
                *progressed = 1;
        }
        return 0;
}

/* Play every thread up to its target. */
static int run_to_targets(struct ab_arec_sim *s, const struct ab_arec_sim_ops *ops, char *err,
                          size_t elen)
{
        uint32_t n = s->a->nthreads;
        for (;;) {
                int progressed = 0, r;
                bool any = false;
                for (uint32_t i = 0; i < n; i++) {
                        int64_t w;
                        if (!wants(&s->t[i]))
                                continue;
                        if ((r = run_thread(s, i, ops, &progressed, &w, err, elen)) < 0)
                                return r;
                        any |= wants(&s->t[i]);
                }
                if (!any)
                        return 0;
                if (!progressed) {
                        for (uint32_t i = 0; i < n; i++)
                                if (wants(&s->t[i]) && s->t[i].pending)
                                        return bad(err, elen, ab_arec_cursor_offset(&s->t[i].cur),
                                                   "the threads wait on each other's blocks", i,
                                                   &s->t[i].ev);
                        snprintf(err, elen, "the threads' streams cannot be played together");
                        return -EINVAL;
                }
        }
}

static void sim_free(struct ab_arec_sim *s)
{
        for (uint32_t i = 0; i < AB_AREC_MAX_THREADS; i++) {
                free(s->t[i].blk);
                free(s->t[i].site);
        }
        free(s->seen_site);
        free(s);
}

static int sim_init(struct ab_arec_sim *s, const struct ab_arec *a)
{
        s->a = a;
        s->st.threads = a->nthreads;
        for (uint32_t i = 0; i < a->nthreads; i++) {
                size_t n = a->t_blocks[i] ? a->t_blocks[i] : 1;
                ab_arec_cursor_init(&s->t[i].cur, a, i);
                s->t[i].blk = calloc(n, sizeof *s->t[i].blk);
                s->t[i].site = calloc(n, sizeof *s->t[i].site);
                if (!s->t[i].blk || !s->t[i].site)
                        return -ENOMEM;
        }
        return 0;
}

int ab_arec_simulate(const struct ab_arec *a, const struct ab_arec_sim_ops *ops,
                     struct ab_arec_stats *st, char *err, size_t elen)
{
        struct ab_arec_sim *s = calloc(1, sizeof *s);
        static struct ab_arec_round r;
        size_t off = a->first_round;
        int ret = -ENOMEM;
        if (!s || sim_init(s, a) < 0) {
                snprintf(err, elen, "out of memory for a record of %llu events",
                         (unsigned long long)a->events);
                goto out;
        }
        while (ab_arec_round_next(a, &off, &r) == 1) {
                for (uint32_t i = 0; i < a->nthreads; i++)
                        if (s->t[i].target < r.events[i])
                                s->t[i].target = r.events[i];
                if ((ret = run_to_targets(s, ops, err, elen)) < 0)
                        goto out;
                s->st.rounds++;
                if (ops && ops->round && ops->round(ops->arg, s, &r)) {
                        ret = 0;
                        goto out;
                }
        }
        for (uint32_t i = 0; i < a->nthreads; i++)
                s->t[i].target = a->t_events[i];
        if ((ret = run_to_targets(s, ops, err, elen)) < 0)
                goto out;
        for (uint32_t i = 0; i < a->nthreads; i++) {
                struct ab_arec_event e;
                if (ab_arec_next(&s->t[i].cur, &e) != 0) {
                        snprintf(err, elen,
                                 "byte %zu: thread %u has more events than the %llu END counts",
                                 ab_arec_cursor_offset(&s->t[i].cur), i,
                                 (unsigned long long)a->t_events[i]);
                        ret = -EINVAL;
                        goto out;
                }
        }
        ret = 0;
out:
        if (s && st)
                *st = s->st;
        if (s)
                sim_free(s);
        return ret;
}
