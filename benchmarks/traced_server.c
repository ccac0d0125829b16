/*
 * traced_server - a deterministic, server-like allocation pattern for the
 * tracer-cost benchmark (benchmarks/trace_cost.sh).
 *
 *   traced_server [THREADS] [ROUNDS] [CONNS]       (1, 200, 512)
 *
 * Every round serves CONNS simulated connections (split over THREADS
 * threads, each with its own seeded stream), about 24 allocations each:
 * a header, rx and tx buffers (tx grown once by realloc), a timer, 18
 * records of 16..272 bytes with interleaved lifetimes, and a put into a
 * bounded session cache (full after round 0, then entries are replaced).
 * One connection in 64 leaks its 64-byte timer through its own call chain
 * (conn_open -> timer_arm -> timer_new). With the defaults: 200 x 512 x 24
 * = 2.46 M allocations. Rounds end with allocbench_trace_round() when the
 * tracer is loaded. Prints the number of allocations, the bytes leaked and
 * its own VmHWM (before the tracer writes its dump, at exit).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/core/prng.h"
#include "../harness/trace/abtrace.h"

#define RECORDS     18
#define CACHE_SLOTS 128
#define LEAK_EVERY  64

struct conn {
        char *hdr, *rx, *tx;
        void *timer;
        char *rec[RECORDS];
};

struct worker {
        int index, conns;
        struct ab_prng rng;
        char *cache[CACHE_SLOTS];
        uint64_t allocs, leaked, serial;
        pthread_t th;
};

static int nthreads = 1, rounds = 200, conns = 512;
static pthread_barrier_t start_round, end_round;

static void *count(struct worker *w, void *p)
{
        w->allocs++;
        ((volatile char *)p)[0] = 1;
        return p;
}

__attribute__((noinline)) static void *timer_new(struct worker *w)
{
        return count(w, malloc(64));
}

__attribute__((noinline)) static void *timer_arm(struct worker *w)
{
        return timer_new(w);
}

__attribute__((noinline)) static void conn_open(struct worker *w, struct conn *c)
{
        c->hdr = count(w, malloc(128));
        c->rx = count(w, malloc(2048));
        c->tx = count(w, malloc(1024));
        c->timer = timer_arm(w);
}

/* The work a server does with what it allocates: receive into rx, parse
 * records out of it, answer into tx. It keeps the allocation rate of the
 * benchmark near that of a real server (about 36 ns per allocation here,
 * bare), which is what the tracer's cost is relative to. */
__attribute__((noinline)) static uint64_t receive(struct conn *c, uint64_t seed)
{
        uint64_t sum = 0;
        for (int i = 0; i < 2048; i += 8) {
                uint64_t v = seed ^ (uint64_t)i * 0x9e3779b97f4a7c15ull;
                memcpy(c->rx + i, &v, 8);
                sum += v >> 7;
        }
        return sum;
}

__attribute__((noinline)) static uint64_t parse(const struct conn *c)
{
        uint64_t h = 0;
        for (int i = 0; i < 2048; i += 8) {
                uint64_t v;
                memcpy(&v, c->rx + i, 8);
                h = (h ^ v) * 0x100000001b3ull;
        }
        return h;
}

__attribute__((noinline)) static void handle_records(struct worker *w, struct conn *c)
{
        w->serial += (receive(c, w->serial) + parse(c)) & 1;
        /* records live for a seeded while: some are freed as others come */
        for (int i = 0; i < RECORDS; i++) {
                size_t n = 16 + ab_prng_below(&w->rng, 257);
                c->rec[i] = count(w, malloc(n));
                memcpy(c->rec[i], c->rx + 8 * i, n);
                if (i >= 3 && ab_prng_below(&w->rng, 2)) {
                        int k = (int)ab_prng_below(&w->rng, (uint64_t)i);
                        free(c->rec[k]);
                        c->rec[k] = NULL;
                }
        }
        c->tx = count(w, realloc(c->tx, 4096));
        memset(c->tx, 'a', 4096);
}

__attribute__((noinline)) static void session_put(struct worker *w)
{
        uint64_t slot = w->serial++ % CACHE_SLOTS;
        free(w->cache[slot]);
        w->cache[slot] = count(w, malloc(96));
}

__attribute__((noinline)) static void conn_close(struct worker *w, struct conn *c, bool leak)
{
        for (int i = 0; i < RECORDS; i++)
                free(c->rec[i]);
        free(c->hdr);
        free(c->rx);
        free(c->tx);
        if (leak)
                w->leaked += 64;
        else
                free(c->timer);
}

__attribute__((noinline)) static void serve_conn(struct worker *w, int id)
{
        struct conn c;
        memset(&c, 0, sizeof c);
        conn_open(w, &c);
        handle_records(w, &c);
        session_put(w);
        conn_close(w, &c, id % LEAK_EVERY == LEAK_EVERY - 1);
}

static void serve_round(struct worker *w)
{
        for (int i = 0; i < w->conns; i++)
                serve_conn(w, w->index + i * nthreads);
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        for (int r = 0; r < rounds; r++) {
                pthread_barrier_wait(&start_round);
                serve_round(w);
                pthread_barrier_wait(&end_round);
        }
        return NULL;
}

/* The most this process held resident (its own, from /proc: a parent's
 * wait4 figure would include what the parent had at fork). */
static long vmhwm_kib(void)
{
        char line[256];
        long v = -1;
        FILE *f = fopen("/proc/self/status", "r");
        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "VmHWM: %ld", &v) == 1)
                        break;
        if (f)
                fclose(f);
        return v;
}

int main(int argc, char **argv)
{
        struct worker *ws;
        uint64_t allocs = 0, leaked = 0;

        if (argc > 1)
                nthreads = atoi(argv[1]);
        if (argc > 2)
                rounds = atoi(argv[2]);
        if (argc > 3)
                conns = atoi(argv[3]);
        if (nthreads < 1 || nthreads > 64 || rounds < 1 || conns < nthreads) {
                fprintf(stderr, "usage: traced_server [THREADS 1..64] [ROUNDS] [CONNS]\n");
                return 1;
        }
        ws = calloc((size_t)nthreads, sizeof *ws);
        if (!ws)
                return 1;
        for (int i = 0; i < nthreads; i++) {
                ws[i].index = i;
                ws[i].conns = conns / nthreads + (i < conns % nthreads);
                ab_prng_init(&ws[i].rng, 7, (uint64_t)i);
        }
        if (nthreads == 1) {
                for (int r = 0; r < rounds; r++) {
                        serve_round(&ws[0]);
                        if (allocbench_trace_round)
                                allocbench_trace_round();
                }
        } else {
                pthread_barrier_init(&start_round, NULL, (unsigned)nthreads + 1);
                pthread_barrier_init(&end_round, NULL, (unsigned)nthreads + 1);
                for (int i = 0; i < nthreads; i++)
                        pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
                for (int r = 0; r < rounds; r++) {
                        pthread_barrier_wait(&start_round);
                        pthread_barrier_wait(&end_round);
                        if (allocbench_trace_round)
                                allocbench_trace_round();
                }
                for (int i = 0; i < nthreads; i++)
                        pthread_join(ws[i].th, NULL);
        }
        for (int i = 0; i < nthreads; i++) {
                allocs += ws[i].allocs;
                leaked += ws[i].leaked;
        }
        printf("allocations %llu leaked %llu vmhwm_kib %ld\n", (unsigned long long)allocs,
               (unsigned long long)leaked, vmhwm_kib());
        return 0;
}
