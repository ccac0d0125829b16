/*
 * arena-churn (the glibc arena story): T threads allocate and free mixed
 * small sizes for `rounds` rounds. Each op picks a seeded slot of the thread's
 * table: an empty slot gets a block of a seeded size from `sizes` (its first
 * byte written), a full one is freed. With cross_free=P, P% of new blocks go
 * to the next thread through a single-producer ring and that thread frees
 * them (producer/consumer). With turnover=on the threads end after every
 * round and new ones start. Every round ends with everything freed, so the
 * figures after a round show what the allocator keeps.
 *
 * Threads are created with a known stack size (`stack`), so the harness can
 * tell thread stacks from allocator reservations. Per-thread state lives in
 * mmap'd memory, never in the allocator under test.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/prng.h"
#include "workload.h"

enum { P_THREADS, P_ROUNDS, P_OPS, P_SIZES, P_SLOTS, P_CROSS, P_TURNOVER, P_STACK };
enum { OP_ALLOC = 1, OP_FREE = 2, OP_SEND = 3 };
#define RING 4096 /* entries per producer/consumer ring (a power of two) */

static const struct ab_param params[] = {
        [P_THREADS] = {"threads", AB_PT_COUNT, "8", 1, 1024, NULL, NULL, false,
                       "worker threads (--threads sets it)"},
        [P_ROUNDS] = {"rounds", AB_PT_COUNT, "10", 1, 100000, NULL, NULL, false,
                      "rounds; every round ends with all blocks freed"},
        [P_OPS] = {"ops", AB_PT_COUNT, "50000", 1, 1000000000, NULL, NULL, false,
                   "operations per thread per round"},
        [P_SIZES] = {"sizes", AB_PT_SIZES, "16..4096*2", 1, 1ull << 30, NULL, NULL, false,
                     "block sizes, drawn uniformly"},
        [P_SLOTS] = {"slots", AB_PT_COUNT, "1024", 1, 1u << 20, NULL, NULL, false,
                     "blocks a thread holds at most"},
        [P_CROSS] = {"cross_free", AB_PT_COUNT, "0", 0, 100, NULL, NULL, false,
                     "percent of new blocks freed by the next thread"},
        [P_TURNOVER] = {"turnover", AB_PT_ENUM, "off", 0, 1, "off|on", NULL, false,
                        "on: threads end after each round and new ones start"},
        [P_STACK] = {"stack", AB_PT_SIZE, "256KiB", 16384, 1ull << 30, NULL, NULL, false,
                     "stack size of each thread"},
};

struct entry {
        void *p;
        uint64_t size;
};

struct ring {
        _Atomic uint64_t head, tail; /* head: producer's, tail: consumer's */
        struct entry e[RING];
};

struct worker {
        const struct ab_kctx *k;
        struct shared *sh;
        unsigned idx;
        struct ab_prng prng;
        int64_t live; /* bytes this thread allocated minus bytes it freed */
        int64_t peak; /* the most of it at once */
        int err;
        void **slot;
        uint64_t *slot_size;
        struct ring *in; /* what the previous thread sends this one */
        struct ring *out;
};

struct shared {
        pthread_barrier_t bar;
        uint64_t nsizes;
        uint64_t sizes[AB_SIZES_MAX];
        bool persistent;
        _Atomic int stop;
};

static inline void escape(void *p)
{
        __asm__ volatile("" : : "r"(p) : "memory");
}

static void *map(size_t bytes)
{
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

static void drain(struct worker *w)
{
        struct ring *r = w->in;
        uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
        uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
        for (; t != h; t++) {
                struct entry *e = &r->e[t & (RING - 1)];
                w->live -= (int64_t)e->size;
                free(e->p);
        }
        atomic_store_explicit(&r->tail, t, memory_order_release);
}

static bool send(struct worker *w, void *p, uint64_t size)
{
        struct ring *r = w->out;
        uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
        if (h - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING)
                return false;
        r->e[h & (RING - 1)] = (struct entry){p, size};
        atomic_store_explicit(&r->head, h + 1, memory_order_release);
        return true;
}

static void one_round(struct worker *w)
{
        const uint64_t *v = w->k->v;
        const struct shared *sh = w->sh;
        for (uint64_t i = 0; i < v[P_OPS] && !w->err; i++) {
                uint64_t s = ab_prng_below(&w->prng, v[P_SLOTS]);
                if (w->in)
                        drain(w);
                if (w->slot[s]) {
                        free(w->slot[s]);
                        w->live -= (int64_t)w->slot_size[s];
                        w->slot[s] = NULL;
                } else {
                        uint64_t size = sh->sizes[ab_prng_below(&w->prng, sh->nsizes)];
                        bool cross = v[P_CROSS] && ab_prng_below(&w->prng, 100) < v[P_CROSS];
                        char *p = malloc(size);
                        if (!p) {
                                w->err = ENOMEM;
                                break;
                        }
                        p[0] = 1;
                        escape(p);
                        w->live += (int64_t)size;
                        if (w->live > w->peak)
                                w->peak = w->live;
                        if (!cross || !send(w, p, size)) {
                                w->slot[s] = p;
                                w->slot_size[s] = size;
                        }
                }
        }
}

static void cleanup(struct worker *w)
{
        for (uint64_t s = 0; s < w->k->v[P_SLOTS]; s++) {
                if (w->slot[s]) {
                        free(w->slot[s]);
                        w->live -= (int64_t)w->slot_size[s];
                        w->slot[s] = NULL;
                }
        }
        if (w->in)
                drain(w);
}

/* One round's work: ops, wait for every producer, then free what is left.
 * Persistent threads loop over rounds between the main thread's barriers. */
static void *thread_main(void *arg)
{
        struct worker *w = arg;
        struct shared *sh = w->sh;
        for (;;) {
                if (sh->persistent) {
                        pthread_barrier_wait(&sh->bar); /* round starts */
                        if (atomic_load(&sh->stop))
                                return NULL;
                }
                one_round(w);
                pthread_barrier_wait(&sh->bar); /* all produced */
                cleanup(w);
                if (!sh->persistent)
                        return NULL;
                pthread_barrier_wait(&sh->bar); /* all clean: round ends */
        }
}

/* The operation stream the generator decides, replayed without allocating
 * (after the region): slot choices, sizes and cross-thread sends per thread. */
static uint64_t stream_hash(const struct ab_kctx *k, const struct shared *sh)
{
        const uint64_t *v = k->v;
        uint64_t h = AB_HASH_INIT;
        size_t bytes = (size_t)v[P_SLOTS];
        unsigned char *full = map(bytes);
        if (!full)
                return 0;
        for (uint64_t t = 0; t < v[P_THREADS]; t++) {
                struct ab_prng p;
                ab_prng_init(&p, k->seed, t);
                memset(full, 0, bytes);
                h = ab_hash_u64(h, t);
                for (uint64_t r = 0; r < v[P_ROUNDS]; r++) {
                        for (uint64_t i = 0; i < v[P_OPS]; i++) {
                                uint64_t s = ab_prng_below(&p, v[P_SLOTS]);
                                if (full[s]) {
                                        full[s] = 0;
                                        h = ab_hash_op(h, OP_FREE, s);
                                } else {
                                        uint64_t size = sh->sizes[ab_prng_below(&p, sh->nsizes)];
                                        bool cross = v[P_CROSS] &&
                                                     ab_prng_below(&p, 100) < v[P_CROSS];
                                        h = ab_hash_op(h, cross ? OP_SEND : OP_ALLOC, size);
                                        full[s] = !cross;
                                }
                        }
                        memset(full, 0, bytes);
                }
        }
        munmap(full, bytes);
        return h;
}

static int arena_churn_run(struct ab_kctx *k)
{
        const uint64_t *v = k->v;
        unsigned T = (unsigned)v[P_THREADS];
        size_t wbytes = sizeof(struct worker) * T, rbytes = sizeof(struct ring) * T;
        size_t sbytes = (sizeof(void *) + sizeof(uint64_t)) * v[P_SLOTS] * T;
        struct shared *sh = map(sizeof *sh);
        struct worker *w = map(wbytes);
        struct ring *rings = v[P_CROSS] ? map(rbytes) : NULL;
        char *slots = map(sbytes);
        pthread_t *tid = map(sizeof(pthread_t) * T);
        pthread_attr_t attr;
        uint64_t ops = 0;
        int n, err = 0;

        if (!sh || !w || !slots || !tid || (v[P_CROSS] && !rings))
                return -ENOMEM;
        n = ab_kernel_sizes(k->text[P_SIZES], sh->sizes, AB_SIZES_MAX);
        if (n <= 0)
                return -EINVAL;
        sh->nsizes = (uint64_t)n;
        sh->persistent = v[P_TURNOVER] == 0;
        memset(slots, 0, sbytes);
        for (unsigned t = 0; t < T; t++) {
                w[t] = (struct worker){.k = k, .sh = sh, .idx = t};
                ab_prng_init(&w[t].prng, k->seed, t);
                w[t].slot = (void **)(slots + t * v[P_SLOTS] * sizeof(void *));
                w[t].slot_size = (uint64_t *)(slots + T * v[P_SLOTS] * sizeof(void *) +
                                              t * v[P_SLOTS] * sizeof(uint64_t));
                if (rings) {
                        w[t].out = &rings[t];
                        w[t].in = &rings[(t + T - 1) % T];
                }
        }
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, (size_t)v[P_STACK]);
        pthread_barrier_init(&sh->bar, NULL, T + (sh->persistent ? 1 : 0));
        if (sh->persistent) {
                for (unsigned t = 0; t < T && !err; t++)
                        err = pthread_create(&tid[t], &attr, thread_main, &w[t]);
                if (err)
                        return -err; /* threads already started wait forever: the process exits */
        }

        ab_region_begin(k);
        for (uint64_t r = 0; r < v[P_ROUNDS] && !err; r++) {
                uint64_t t0 = ab_prim_now_ns();
                int64_t live = 0;
                if (sh->persistent) {
                        pthread_barrier_wait(&sh->bar); /* start */
                        pthread_barrier_wait(&sh->bar); /* produced */
                        pthread_barrier_wait(&sh->bar); /* clean */
                } else {
                        for (unsigned t = 0; t < T && !err; t++)
                                err = pthread_create(&tid[t], &attr, thread_main, &w[t]);
                        for (unsigned t = 0; t < T && !err; t++)
                                pthread_join(tid[t], NULL);
                        if (err)
                                break;
                }
                for (unsigned t = 0; t < T; t++) {
                        live += w[t].live;
                        if (w[t].err)
                                err = w[t].err;
                }
                ops += v[P_OPS] * T;
                ab_round_end(k, r, ab_prim_now_ns() - t0, (uint64_t)live);
        }
        if (sh->persistent && !err) {
                atomic_store(&sh->stop, 1);
                pthread_barrier_wait(&sh->bar);
                for (unsigned t = 0; t < T; t++)
                        pthread_join(tid[t], NULL);
        }
        if (err)
                return -err;
        ab_region_end(k, ops);
        k->op_hash = stream_hash(k, sh);
        /* the sum of per-thread peaks bounds the process's peak from above */
        for (unsigned t = 0; t < T; t++)
                k->live_peak += (uint64_t)w[t].peak;
        return 0;
}

const struct ab_workload ab_wl_arena_churn = {
        .abi = AB_WORKLOAD_ABI,
        .kind = AB_WK_KERNEL,
        .name = "arena-churn",
        .help = "threads allocating and freeing small blocks: per-thread arenas, VSZ against RSS",
        .params = params,
        .nparams = sizeof params / sizeof params[0],
        .run = arena_churn_run,
};
