/*
 * test_arec.c - the allocation record's encoding (trace/arec.h), reader
 * (arec_read.c), player (arec_sim.c) and cut (arec_cut.c) on streams made
 * here: every event decodes to what was encoded, across chunk boundaries
 * and threads; the player's figures are the model's; a cut record holds
 * the rounds asked for; malformed records are refused at the byte where
 * they break.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/prng.h"
#include "trace/arec_cut.h"
#include "trace/arec_read.h"
#include "trace/arec_sim.h"

#define NT 3
#define NEV 20000

/* A record built in memory: per thread its events (as encoded), then the
 * file. */
struct model {
        struct ab_arec_event ev[NT][NEV];
        uint64_t nev[NT], blocks[NT];
        uint64_t *live[NT]; /* size + 1 of each live block, 0 when freed */
        uint8_t *buf;
        size_t len, cap;
        uint64_t round_at[8][NT], round_live[8], nrounds;
        uint64_t total, peak; /* live bytes now, at most */
};

static void put(struct model *m, const void *p, size_t n)
{
        if (m->len + n > m->cap) {
                m->cap = (m->len + n) * 2;
                m->buf = realloc(m->buf, m->cap);
                assert_non_null(m->buf);
        }
        memcpy(m->buf + m->len, p, n);
        m->len += n;
}

static void chunk(struct model *m, uint32_t tag, uint32_t thread, const uint8_t *p, size_t n)
{
        uint8_t h[AB_AREC_CHUNK];
        ab_put_le(h, tag, 4);
        ab_put_le(h + 4, thread, 4);
        ab_put_le(h + 8, n, 4);
        put(m, h, sizeof h);
        put(m, p, n);
}

/* A live block of thread t other than none, or UINT64_MAX. */
static uint64_t pick_live(struct model *m, struct ab_prng *g, uint32_t t)
{
        for (int tries = 0; tries < 8 && m->blocks[t]; tries++) {
                uint64_t i = m->blocks[t] - 1 - ab_prng_below(g, m->blocks[t] < 64 ? m->blocks[t] : 64);
                if (tries > 4)
                        i = ab_prng_below(g, m->blocks[t]);
                if (m->live[t][i])
                        return i;
        }
        return UINT64_MAX;
}

/* Site ids are multiplied by this (a record may name any 64-bit id). */
static uint64_t site_scale = 1;

/* One event of thread t, in the model (not encoded yet). */
static void make_event(struct model *m, struct ab_prng *g, uint32_t t)
{
        static const uint64_t sizes[] = {8, 16, 24, 32, 48, 64, 100, 4096, 1 << 20, 3,
                                         17, 1000, 77, 5, 256, 512, 0, 123456789};
        struct ab_arec_event *e = &m->ev[t][m->nev[t]];
        uint32_t o = (uint32_t)ab_prng_below(g, NT);
        uint64_t b = pick_live(m, g, o), r = ab_prng_below(g, 10);
        memset(e, 0, sizeof *e);
        e->thread = t;
        if (r < 4 && b != UINT64_MAX) { /* a free, own or another's */
                e->op = o == t ? AB_AO_FREE_OWN : AB_AO_FREE_OTHER;
                e->thread = o;
                e->block = b;
                m->total -= m->live[o][b] - 1;
                m->live[o][b] = 0;
                m->nev[t]++;
                return;
        }
        e->op = (enum ab_arec_op)(r < 6 ? AB_AO_MALLOC : r < 7 ? AB_AO_CALLOC : r < 8 ? AB_AO_MEMALIGN
                                                                                     : AB_AO_REALLOC);
        e->size = sizes[ab_prng_below(g, sizeof sizes / sizeof sizes[0])];
        e->site = (ab_prng_below(g, 4) == 0 ? ab_prng_below(g, 50) : t) * site_scale;
        e->align_log2 = e->op == AB_AO_MEMALIGN ? 4 + ab_prng_below(g, 9) : 0;
        e->old_null = true;
        if (e->op == AB_AO_REALLOC && b != UINT64_MAX && ab_prng_below(g, 4)) {
                e->old_null = false;
                e->thread = o;
                e->block = b;
                m->total -= m->live[o][b] - 1;
                m->live[o][b] = 0;
        }
        m->live[t][m->blocks[t]++] = e->size + 1;
        m->total += e->size;
        if (m->total > m->peak)
                m->peak = m->total;
        m->nev[t]++;
}

/* The model's threads take turns (so every free follows its allocation in
 * time), each thread's events encoded into chunks of at most 256 bytes,
 * a round end every NEV/2 turns. */
static void build(struct model *m, uint64_t seed, uint64_t turns)
{
        struct ab_prng g;
        struct ab_arec_state st[NT];
        uint8_t evbuf[NT][512], hdr[AB_AREC_HEADER] = {0}, rb[256];
        size_t fill[NT] = {0};
        uint64_t made[NT] = {0};
        memset(m, 0, sizeof *m);
        memset(st, 0, sizeof st);
        for (int t = 0; t < NT; t++)
                m->live[t] = calloc(NEV, sizeof(uint64_t));
        ab_prng_init(&g, seed, 0);
        memcpy(hdr, AB_AREC_MAGIC, 8);
        ab_put_le(hdr + 8, AB_AREC_VERSION, 2);
        ab_put_le(hdr + 10, AB_AREC_HEADER, 2);
        ab_put_le(hdr + 20, 4096, 4);
        put(m, hdr, sizeof hdr);
        for (uint64_t k = 0; k < turns; k++) {
                uint32_t t = (uint32_t)(k % NT);
                struct ab_arec_event *e;
                make_event(m, &g, t);
                e = &m->ev[t][m->nev[t] - 1];
                if (fill[t] > 256 - AB_AREC_EVENT_MAX) {
                        chunk(m, AB_AT_EVTS, t, evbuf[t], fill[t]);
                        fill[t] = 0;
                }
                if (e->op >= AB_AO_FREE_OWN)
                        fill[t] += ab_arec_encode_free(evbuf[t] + fill[t], &st[t], t, e->thread,
                                                       e->block);
                else {
                        fill[t] += ab_arec_encode_alloc(evbuf[t] + fill[t], &st[t], t, e);
                        made[t]++;
                }
                if ((k + 1) % (turns / 4) == 0 && m->nrounds < 3) {
                        size_t n = 0;
                        n += ab_put_varint(rb + n, m->nrounds);
                        n += ab_put_varint(rb + n, m->total);
                        n += ab_put_varint(rb + n, NT);
                        for (int u = 0; u < NT; u++) {
                                m->round_at[m->nrounds][u] = m->nev[u];
                                n += ab_put_varint(rb + n, m->nev[u]);
                        }
                        m->round_live[m->nrounds++] = m->total;
                        chunk(m, AB_AT_ROUN, 0, rb, n);
                }
        }
        for (uint32_t t = 0; t < NT; t++)
                if (fill[t])
                        chunk(m, AB_AT_EVTS, t, evbuf[t], fill[t]);
        {
                size_t n = 0;
                uint64_t all = 0;
                for (int t = 0; t < NT; t++)
                        all += m->nev[t];
                n += ab_put_varint(rb + n, all);
                n += ab_put_varint(rb + n, NT);
                n += ab_put_varint(rb + n, m->nrounds);
                n += ab_put_varint(rb + n, 0);
                for (int t = 0; t < NT; t++) {
                        n += ab_put_varint(rb + n, m->nev[t]);
                        n += ab_put_varint(rb + n, made[t]);
                }
                chunk(m, AB_AT_END, 0, rb, n);
        }
}

static void model_free(struct model *m)
{
        for (int t = 0; t < NT; t++)
                free(m->live[t]);
        free(m->buf);
}

static void test_round_trip(void **state)
{
        static struct model m;
        struct ab_arec a;
        char err[600];
        (void)state;
        for (uint64_t seed = 1; seed <= 4; seed++) {
                build(&m, seed, NEV);
                assert_int_equal(ab_arec_parse(&a, m.buf, m.len, err, sizeof err), 0);
                assert_int_equal(a.nthreads, NT);
                assert_int_equal(a.nrounds, m.nrounds);
                for (uint32_t t = 0; t < NT; t++) {
                        struct ab_arec_cursor c;
                        struct ab_arec_event e;
                        uint64_t n = 0;
                        ab_arec_cursor_init(&c, &a, t);
                        while (ab_arec_next(&c, &e) == 1) {
                                const struct ab_arec_event *w = &m.ev[t][n++];
                                assert_int_equal(e.op, w->op);
                                if (e.op >= AB_AO_FREE_OWN ||
                                    (e.op == AB_AO_REALLOC && !w->old_null)) {
                                        assert_int_equal(e.thread, w->thread);
                                        assert_int_equal(e.block, w->block);
                                }
                                if (e.op <= AB_AO_REALLOC) {
                                        assert_int_equal(e.size, w->size);
                                        assert_int_equal(e.site, w->site);
                                        assert_int_equal(e.align_log2, w->align_log2);
                                        if (e.op == AB_AO_REALLOC)
                                                assert_int_equal(e.old_null, w->old_null);
                                }
                        }
                        assert_int_equal(n, m.nev[t]);
                }
                model_free(&m);
        }
}

static uint64_t seen_live[8];
static int note_round(void *arg, const struct ab_arec_sim *s, const struct ab_arec_round *r)
{
        (void)arg;
        seen_live[r->index] = s->st.live;
        return 0;
}

/* The player's figures are the model's: the turns it took are a valid
 * order, the rounds fall where they were recorded. */
static void test_simulate(void **state)
{
        static struct model m;
        struct ab_arec a;
        struct ab_arec_stats st;
        struct ab_arec_sim_ops ops = {.round = note_round};
        uint64_t live = 0;
        char err[600];
        (void)state;
        build(&m, 7, NEV);
        assert_int_equal(ab_arec_parse(&a, m.buf, m.len, err, sizeof err), 0);
        assert_int_equal(ab_arec_simulate(&a, &ops, &st, err, sizeof err), 0);
        for (int t = 0; t < NT; t++)
                for (uint64_t i = 0; i < m.blocks[t]; i++)
                        live += m.live[t][i] ? m.live[t][i] - 1 : 0;
        assert_int_equal(st.live, live);
        assert_int_equal(st.borrowed, 0);
        assert_int_equal(st.rounds, m.nrounds);
        for (uint64_t r = 0; r < m.nrounds; r++)
                assert_int_equal(seen_live[r], m.round_live[r]);
        assert_true(st.peak >= m.round_live[0]);
        assert_true(st.cross > 0);
        model_free(&m);
}

/* Rounds 1..2 cut: parses, plays, ends its rounds with the whole's live
 * bytes of rounds 1 and 2. */
static void test_cut(void **state)
{
        static struct model m;
        struct ab_arec a, c;
        struct ab_arec_stats st;
        struct ab_arec_sim_ops ops = {.round = note_round};
        uint8_t *out = NULL;
        size_t len = 0;
        char err[600];
        (void)state;
        build(&m, 9, NEV);
        assert_int_equal(ab_arec_parse(&a, m.buf, m.len, err, sizeof err), 0);
        assert_int_equal(ab_arec_cut(&a, 1, 2, &out, &len, err, sizeof err), 0);
        assert_int_equal(ab_arec_parse(&c, out, len, err, sizeof err), 0);
        assert_int_equal(c.nrounds, 2);
        assert_int_equal(ab_arec_simulate(&c, &ops, &st, err, sizeof err), 0);
        assert_int_equal(seen_live[0], m.round_live[1]);
        assert_int_equal(seen_live[1], m.round_live[2]);
        assert_int_equal(ab_arec_cut(&a, 2, 5, &out, &len, err, sizeof err), -22);
        assert_non_null(strstr(err, "has 3 rounds"));
        free(out);
        model_free(&m);
}

/* Cut anywhere, or with a byte changed in a chunk header: refused, at an
 * offset inside the file, never read past it. */
static void test_refusals(void **state)
{
        static struct model m;
        struct ab_arec a;
        struct ab_arec_stats st;
        char err[600];
        (void)state;
        build(&m, 11, 3000);
        for (size_t cut = 0; cut < m.len; cut += 1 + cut / 7) {
                uint8_t *copy = malloc(cut ? cut : 1);
                memcpy(copy, m.buf, cut);
                assert_int_not_equal(ab_arec_parse(&a, copy, cut, err, sizeof err), 0);
                assert_non_null(strstr(err, "byte "));
                assert_true((size_t)atol(strstr(err, "byte ") + 5) <= cut);
                free(copy);
        }
        /* a free of a block freed already: the header parses, the play fails */
        {
                uint8_t *copy = malloc(m.len);
                size_t off = AB_AREC_HEADER + AB_AREC_CHUNK, bad = 0;
                memcpy(copy, m.buf, m.len);
                /* thread 0's first chunk: its first event becomes a free of block 0 */
                copy[off] = AB_AO_FREE_OWN;
                bad = ab_arec_parse(&a, copy, m.len, err, sizeof err) == 0 &&
                      ab_arec_simulate(&a, NULL, &st, err, sizeof err) != 0;
                assert_true(bad);
                assert_non_null(strstr(err, "byte "));
                free(copy);
        }
        model_free(&m);
}

/* Sites are counted by id, however large the ids: the player's set grows
 * with how many sites there are (ids near 2^63 once asked it for a bitmap
 * of 2^60 bytes). */
static void test_sites(void **state)
{
        static struct model m;
        static uint64_t seen[NT * NEV];
        uint64_t nseen = 0;
        struct ab_arec a;
        struct ab_arec_stats st;
        char err[600];
        (void)state;
        for (int k = 0; k < 2; k++) {
                site_scale = k ? (1ull << 57) + 3 : 1;
                build(&m, 13, 6000);
                nseen = 0;
                for (int t = 0; t < NT; t++)
                        for (uint64_t i = 0; i < m.nev[t]; i++) {
                                const struct ab_arec_event *e = &m.ev[t][i];
                                uint64_t j = 0;
                                if (e->op >= AB_AO_FREE_OWN)
                                        continue;
                                while (j < nseen && seen[j] != e->site)
                                        j++;
                                if (j == nseen)
                                        seen[nseen++] = e->site;
                        }
                assert_int_equal(ab_arec_parse(&a, m.buf, m.len, err, sizeof err), 0);
                assert_int_equal(ab_arec_simulate(&a, NULL, &st, err, sizeof err), 0);
                assert_true(nseen > 40);
                assert_int_equal(st.sites, nseen);
                model_free(&m);
        }
        site_scale = 1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip),
            cmocka_unit_test(test_simulate),
            cmocka_unit_test(test_cut),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_sites),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
