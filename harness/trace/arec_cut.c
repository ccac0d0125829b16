/*
 * arec_cut.c - rounds first..last of an allocation record as a record of
 * their own (bench trace cut): a reproducer small enough to send.
 *
 * The record is played through (arec_sim.h). At the end of round first-1
 * every block still live is made again at the start of the new record, by
 * the thread that made it, with its size, kind, alignment and site (the
 * prelude); then every event up to the end of round `last` is copied,
 * renumbered (blocks count from 0 per thread in the new record), with the
 * round ends between them. What was live at the end of `last` stays live,
 * as it did in the recording then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/arec_cut.h"

#define CHUNK_MAX (64u << 10)
#define NONE UINT64_MAX

struct out_thread {
        uint8_t *buf;
        size_t len, cap, chunk; /* chunk: where the open chunk's header is */
        struct ab_arec_state st;
        uint64_t events;
        uint64_t *map; /* source block -> block in the new record, or NONE */
};

struct cut {
        const struct ab_arec *a;
        uint64_t first, last;
        bool copying;
        struct out_thread t[AB_AREC_MAX_THREADS];
        uint8_t *rounds;
        size_t rlen, rcap;
        uint64_t nrounds;
        int err;
};

static int grow(uint8_t **b, size_t *cap, size_t need)
{
        size_t n = *cap ? *cap : 4096;
        uint8_t *nb;
        if (need <= *cap)
                return 0;
        while (n < need)
                n *= 2;
        if (!(nb = realloc(*b, n)))
                return -ENOMEM;
        *b = nb;
        *cap = n;
        return 0;
}

static void close_chunk(struct out_thread *o, uint32_t thread)
{
        size_t payload;
        if (o->chunk == NONE)
                return;
        payload = o->len - o->chunk - AB_AREC_CHUNK;
        if (!payload) {
                o->len = o->chunk; /* no empty chunks */
        } else {
                ab_put_le(o->buf + o->chunk, AB_AT_EVTS, 4);
                ab_put_le(o->buf + o->chunk + 4, thread, 4);
                ab_put_le(o->buf + o->chunk + 8, payload, 4);
        }
        o->chunk = NONE;
}

/* Room for one event in thread's open chunk: where it goes, or NULL. */
static uint8_t *room(struct cut *c, uint32_t thread)
{
        struct out_thread *o = &c->t[thread];
        if (o->chunk != NONE && o->len - o->chunk - AB_AREC_CHUNK + AB_AREC_EVENT_MAX > CHUNK_MAX)
                close_chunk(o, thread);
        if (grow(&o->buf, &o->cap, o->len + AB_AREC_CHUNK + AB_AREC_EVENT_MAX)) {
                c->err = -ENOMEM;
                return NULL;
        }
        if (o->chunk == NONE) {
                o->chunk = o->len;
                o->len += AB_AREC_CHUNK;
        }
        return o->buf + o->len;
}

static void emit_alloc(struct cut *c, uint32_t thread, uint64_t src_block, struct ab_arec_event *e)
{
        struct out_thread *o = &c->t[thread];
        uint8_t *q = room(c, thread);
        if (!q)
                return;
        o->map[src_block] = o->st.blocks;
        o->len += ab_arec_encode_alloc(q, &o->st, thread, e);
        o->events++;
}

/* The blocks live now, made again by their threads. */
static void prelude(struct cut *c, const struct ab_arec_sim *s)
{
        for (uint32_t t = 0; t < c->a->nthreads; t++) {
                const struct ab_arec_sim_thread *st = &s->t[t];
                for (uint64_t i = 0; i < st->made; i++) {
                        uint64_t w = st->blk[i];
                        struct ab_arec_event e = {.op = AB_SIM_KIND(w),
                                                  .size = AB_SIM_SIZE(w),
                                                  .align_log2 = AB_SIM_ALIGN(w),
                                                  .site = st->site[i],
                                                  .old_null = true};
                        if (w & AB_SIM_LIVE)
                                emit_alloc(c, t, i, &e);
                }
        }
}

static void on_event(void *arg, const struct ab_arec_sim *s, uint32_t self,
                     const struct ab_arec_event *e, uint64_t made)
{
        struct cut *c = arg;
        struct ab_arec_event n = *e;
        (void)s;
        if (!c->copying || c->err)
                return;
        if (e->op >= AB_AO_FREE_OWN || (e->op == AB_AO_REALLOC && !e->old_null)) {
                n.block = c->t[e->thread].map[e->block];
                if (n.block == NONE) { /* cannot be: the block was live */
                        c->err = -EINVAL;
                        return;
                }
        }
        if (e->op <= AB_AO_REALLOC) {
                emit_alloc(c, self, made, &n);
        } else {
                uint8_t *q = room(c, self);
                if (!q)
                        return;
                c->t[self].len += ab_arec_encode_free(q, &c->t[self].st, self, n.thread, n.block);
                c->t[self].events++;
        }
}

static int on_round(void *arg, const struct ab_arec_sim *s, const struct ab_arec_round *r)
{
        struct cut *c = arg;
        uint8_t *q;
        size_t n = 0;
        if (c->err)
                return 1;
        if (!c->copying) {
                if (r->index + 1 == c->first) {
                        c->copying = true;
                        prelude(c, s);
                }
                return 0;
        }
        if (grow(&c->rounds, &c->rcap, c->rlen + AB_AREC_CHUNK + 32 + 10 * AB_AREC_MAX_THREADS)) {
                c->err = -ENOMEM;
                return 1;
        }
        q = c->rounds + c->rlen + AB_AREC_CHUNK;
        n += ab_put_varint(q + n, r->index - c->first);
        n += ab_put_varint(q + n, r->live);
        n += ab_put_varint(q + n, c->a->nthreads);
        for (uint32_t t = 0; t < c->a->nthreads; t++)
                n += ab_put_varint(q + n, c->t[t].events);
        ab_put_le(c->rounds + c->rlen, AB_AT_ROUN, 4);
        ab_put_le(c->rounds + c->rlen + 4, 0, 4);
        ab_put_le(c->rounds + c->rlen + 8, n, 4);
        c->rlen += AB_AREC_CHUNK + n;
        c->nrounds++;
        return r->index >= c->last; /* the last round copied: stop */
}

/* Header, each thread's chunks, the round ends, END. */
static int assemble(struct cut *c, uint8_t **out, size_t *outlen)
{
        size_t len = AB_AREC_HEADER + c->rlen + AB_AREC_CHUNK + 32 + 20 * AB_AREC_MAX_THREADS, n;
        uint64_t events = 0;
        uint8_t *b, *q;
        for (uint32_t t = 0; t < c->a->nthreads; t++) {
                close_chunk(&c->t[t], t);
                len += c->t[t].len;
                events += c->t[t].events;
        }
        if (!(b = malloc(len)))
                return -ENOMEM;
        memcpy(b, c->a->p, AB_AREC_HEADER);
        n = AB_AREC_HEADER;
        for (uint32_t t = 0; t < c->a->nthreads; t++) {
                memcpy(b + n, c->t[t].buf, c->t[t].len);
                n += c->t[t].len;
        }
        memcpy(b + n, c->rounds, c->rlen);
        n += c->rlen;
        q = b + n + AB_AREC_CHUNK;
        {
                size_t e = 0;
                e += ab_put_varint(q + e, events);
                e += ab_put_varint(q + e, c->a->nthreads);
                e += ab_put_varint(q + e, c->nrounds);
                e += ab_put_varint(q + e, c->a->flags);
                for (uint32_t t = 0; t < c->a->nthreads; t++) {
                        e += ab_put_varint(q + e, c->t[t].events);
                        e += ab_put_varint(q + e, c->t[t].st.blocks);
                }
                ab_put_le(b + n, AB_AT_END, 4);
                ab_put_le(b + n + 4, 0, 4);
                ab_put_le(b + n + 8, e, 4);
                n += AB_AREC_CHUNK + e;
        }
        *out = b;
        *outlen = n;
        return 0;
}

int ab_arec_cut(const struct ab_arec *a, uint64_t first, uint64_t last, uint8_t **out,
                size_t *outlen, char *err, size_t elen)
{
        struct cut *c;
        struct ab_arec_sim_ops ops = {.event = on_event, .round = on_round};
        int r;
        if (first > last || last >= a->nrounds) {
                snprintf(err, elen, "rounds %llu..%llu: the record has %llu rounds (0..%llu)",
                         (unsigned long long)first, (unsigned long long)last,
                         (unsigned long long)a->nrounds,
                         (unsigned long long)(a->nrounds ? a->nrounds - 1 : 0));
                return -EINVAL;
        }
        if (!(c = calloc(1, sizeof *c)))
                return -ENOMEM;
        c->a = a;
        c->first = first;
        c->last = last;
        c->copying = first == 0;
        ops.arg = c;
        r = 0;
        for (uint32_t t = 0; t < a->nthreads && !r; t++) {
                c->t[t].chunk = NONE;
                if (!(c->t[t].map = malloc((a->t_blocks[t] ? a->t_blocks[t] : 1) * sizeof(uint64_t))))
                        r = -ENOMEM;
                else
                        memset(c->t[t].map, 0xff, (a->t_blocks[t] ? a->t_blocks[t] : 1) * 8);
        }
        if (!r)
                r = ab_arec_simulate(a, &ops, NULL, err, elen);
        if (!r && c->err)
                r = c->err;
        if (!r)
                r = assemble(c, out, outlen);
        if (r == -ENOMEM)
                snprintf(err, elen, "out of memory cutting a record of %llu events",
                         (unsigned long long)a->events);
        else if (r == -EINVAL && c->err)
                snprintf(err, elen, "the record frees a block that is not live");
        for (uint32_t t = 0; t < AB_AREC_MAX_THREADS; t++) {
                free(c->t[t].buf);
                free(c->t[t].map);
        }
        free(c->rounds);
        free(c);
        return r;
}
