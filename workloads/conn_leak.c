/*
 * conn-leak (the TCP relay story): rounds of `connections` simulated
 * connections. Each owns a header, rx and tx buffers, a timer record and
 * small records (queue entries) that come and go while it lives; at most
 * `concurrency` are open at once, and which one acts next and how long each
 * lives are seeded, so lifetimes interleave. When a connection closes it frees
 * everything, except that with leak_every=N every Nth connection leaves its
 * timer behind. The kernel counts its live bytes exactly (requested sizes);
 * after each round and a short settle it reports them with RSS, VSZ and page
 * tables. Connection state lives in mmap'd memory, not in the allocator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/prng.h"
#include "workload.h"

enum { P_CONNECTIONS, P_ROUNDS, P_RX, P_TX, P_LEAK_EVERY, P_CONCURRENCY, P_RECORDS, P_SETTLE };
enum { OP_OPEN = 1, OP_CLOSE, OP_REC_ALLOC, OP_REC_FREE, OP_LEAK };
#define HEADER_SIZE 512
#define TIMER_SIZE 64
#define MAX_RECORDS 64

static const uint64_t rec_sizes[] = {32, 48, 64, 96, 128, 192, 256};

static const struct ab_param params[] = {
        [P_CONNECTIONS] = {"connections", AB_PT_COUNT, "512", 1, 10000000, NULL, NULL, false,
                           "connections per round"},
        [P_ROUNDS] = {"rounds", AB_PT_COUNT, "10", 1, 100000, NULL, NULL, false,
                      "identical rounds"},
        [P_RX] = {"rx", AB_PT_SIZE, "16KiB", 1, 1ull << 30, NULL, NULL, false,
                  "receive buffer per connection"},
        [P_TX] = {"tx", AB_PT_SIZE, "16KiB", 1, 1ull << 30, NULL, NULL, false,
                  "send buffer per connection"},
        [P_LEAK_EVERY] = {"leak_every", AB_PT_COUNT, "0", 0, 10000000, NULL, NULL, false,
                          "every Nth connection leaves its 64-byte timer behind (0 = none)"},
        [P_CONCURRENCY] = {"concurrency", AB_PT_COUNT, "128", 1, 1000000, NULL, NULL, false,
                           "connections open at once"},
        [P_RECORDS] = {"records", AB_PT_COUNT, "8", 0, MAX_RECORDS, NULL, NULL, false,
                       "small records a connection holds at most"},
        [P_SETTLE] = {"settle_ms", AB_PT_COUNT, "20", 0, 60000, NULL, NULL, false,
                      "pause after each round before measuring (not timed)"},
};

struct conn {
        uint64_t id, left, nrec;
        char *header, *rx, *tx, *timer;
        void *rec[MAX_RECORDS];
        uint64_t rec_size[MAX_RECORDS];
};

struct sim {
        const uint64_t *v;
        struct ab_prng prng;
        bool dry;     /* replay for the hash: decide, do not allocate */
        uint64_t hash;
        uint64_t live; /* bytes held, exactly */
        uint64_t peak; /* the most held at once */
        uint64_t ops;
        struct conn *conn; /* concurrency slots */
        void **leaked;
        uint64_t nleaked, cap_leaked;
        int err;
};

static void *xalloc(struct sim *s, uint32_t code, uint64_t size)
{
        s->ops++;
        if (s->dry) {
                s->hash = ab_hash_op(s->hash, code, size);
                return (void *)1;
        }
        char *p = malloc(size);
        if (!p) {
                s->err = ENOMEM;
                return NULL;
        }
        p[0] = 1; /* a real connection writes its state */
        s->live += size;
        if (s->live > s->peak)
                s->peak = s->live;
        return p;
}

static void xfree(struct sim *s, uint32_t code, void *p, uint64_t size)
{
        s->ops++;
        if (s->dry) {
                s->hash = ab_hash_op(s->hash, code, size);
                return;
        }
        free(p);
        s->live -= size;
}

/* The timer has an allocation path of its own, as a server's timer code
 * would: it is what leak_every leaves behind, and the tracer's site key
 * (function names, not lines) tells it from the header and the buffers. */
static __attribute__((noinline)) char *timer_new(struct sim *s)
{
        char *t = xalloc(s, OP_OPEN, TIMER_SIZE);
        __asm__ volatile("" : : "r"(t) : "memory"); /* a call, not a jump: its own frame */
        return t;
}

static void open_conn(struct sim *s, struct conn *c, uint64_t id)
{
        const uint64_t *v = s->v;
        c->id = id;
        c->nrec = 0;
        c->left = 4 + ab_prng_below(&s->prng, 60);
        c->header = xalloc(s, OP_OPEN, HEADER_SIZE);
        c->rx = xalloc(s, OP_OPEN, v[P_RX]);
        c->tx = xalloc(s, OP_OPEN, v[P_TX]);
        c->timer = timer_new(s);
}

static void close_conn(struct sim *s, struct conn *c)
{
        const uint64_t *v = s->v;
        for (uint64_t i = 0; i < c->nrec; i++)
                xfree(s, OP_REC_FREE, c->rec[i], c->rec_size[i]);
        xfree(s, OP_CLOSE, c->tx, v[P_TX]);
        xfree(s, OP_CLOSE, c->rx, v[P_RX]);
        xfree(s, OP_CLOSE, c->header, HEADER_SIZE);
        if (v[P_LEAK_EVERY] && c->id % v[P_LEAK_EVERY] == v[P_LEAK_EVERY] - 1) {
                if (s->dry)
                        s->hash = ab_hash_op(s->hash, OP_LEAK, TIMER_SIZE);
                else if (s->nleaked < s->cap_leaked)
                        s->leaked[s->nleaked++] = c->timer;
        } else {
                xfree(s, OP_CLOSE, c->timer, TIMER_SIZE);
        }
}

static void one_round(struct sim *s)
{
        const uint64_t *v = s->v;
        uint64_t opened = 0, active = 0;
        while ((opened < v[P_CONNECTIONS] || active > 0) && !s->err) {
                struct conn *c;
                uint64_t j;
                while (active < v[P_CONCURRENCY] && opened < v[P_CONNECTIONS])
                        open_conn(s, &s->conn[active++], opened++);
                j = ab_prng_below(&s->prng, active);
                c = &s->conn[j];
                if (c->left == 0) {
                        close_conn(s, c);
                        s->conn[j] = s->conn[--active];
                        continue;
                }
                c->left--;
                if (c->nrec < v[P_RECORDS] && ab_prng_below(&s->prng, 2)) {
                        uint64_t size = rec_sizes[ab_prng_below(
                                &s->prng, sizeof rec_sizes / sizeof rec_sizes[0])];
                        c->rec[c->nrec] = xalloc(s, OP_REC_ALLOC, size);
                        c->rec_size[c->nrec++] = size;
                } else if (c->nrec > 0) {
                        uint64_t i = ab_prng_below(&s->prng, c->nrec);
                        xfree(s, OP_REC_FREE, c->rec[i], c->rec_size[i]);
                        c->rec[i] = c->rec[--c->nrec];
                        c->rec_size[i] = c->rec_size[c->nrec];
                }
        }
}

static void sleep_ms(uint64_t ms)
{
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

static int conn_leak_run(struct ab_kctx *k)
{
        const uint64_t *v = k->v;
        size_t cbytes = sizeof(struct conn) * v[P_CONCURRENCY];
        uint64_t cap = v[P_LEAK_EVERY] ? v[P_ROUNDS] * (v[P_CONNECTIONS] / v[P_LEAK_EVERY] + 1) : 1;
        size_t lbytes = sizeof(void *) * cap;
        struct sim s = {.v = v, .cap_leaked = cap};

        s.conn = mmap(NULL, cbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        s.leaked = mmap(NULL, lbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s.conn == MAP_FAILED || s.leaked == MAP_FAILED)
                return -ENOMEM;
        ab_prng_init(&s.prng, k->seed, 0);

        ab_region_begin(k);
        for (uint64_t r = 0; r < v[P_ROUNDS] && !s.err; r++) {
                uint64_t t0 = ab_prim_now_ns(), t1;
                one_round(&s);
                t1 = ab_prim_now_ns();
                sleep_ms(v[P_SETTLE]);
                k->paused_ns += ab_prim_now_ns() - t1;
                ab_round_end(k, r, t1 - t0, s.live);
        }
        if (s.err)
                return -s.err;
        k->live_peak = s.peak;
        ab_region_end(k, s.ops);

        /* replay the same decisions without allocating, for the op hash */
        {
                struct sim d = {.v = v, .dry = true, .hash = AB_HASH_INIT, .conn = s.conn};
                ab_prng_init(&d.prng, k->seed, 0);
                for (uint64_t r = 0; r < v[P_ROUNDS]; r++)
                        one_round(&d);
                k->op_hash = d.hash;
        }
        munmap(s.conn, cbytes);
        munmap(s.leaked, lbytes); /* the leaked blocks themselves stay allocated */
        return 0;
}

const struct ab_workload ab_wl_conn_leak = {
        .abi = AB_WORKLOAD_ABI,
        .kind = AB_WK_KERNEL,
        .name = "conn-leak",
        .help = "rounds of simulated connections; leak_every=N leaves a record behind",
        .params = params,
        .nparams = sizeof params / sizeof params[0],
        .run = conn_leak_run,
};
