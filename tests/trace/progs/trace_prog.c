/*
 * trace_prog - the C program the tracer tests run under each allocator.
 * 20 rounds; each allocates through distinct call chains and keeps its
 * own exact count of the live bytes of each chain (a "site", named by the
 * function that calls the allocator), recorded at every round end:
 *
 *   timer_new     64-byte timers, one per connection; LEAK_PER_ROUND of
 *                 them per round are never freed (the leak)
 *   cache_put     a bounded cache of CACHE_SLOTS blocks: full after round
 *                 0, then entries are replaced (growth 0 from round 1)
 *   grow_buf      a realloc/reallocarray chain, freed in the round
 *   aligned_keep  posix_memalign, aligned_alloc, memalign, valloc; one
 *                 1000-byte block kept per round
 *   zero_big      calloc of 256 KiB (timed by the tracer), freed
 *   churn         blocks of 1 B to 64 KiB allocated and freed at once
 *   worker_alloc  4 threads allocate; each frees its neighbour's blocks
 *                 (cross-thread frees) but 2
 *   map_region    mmap 1 MiB PROT_NONE, mprotect 64 KiB RW, munmap
 * In round FORK_ROUND it forks once; the child allocates through
 * child_work, frees half, prints its count and exits.
 *
 * Output (stdout), for the test to compare with the tracer's dump:
 *   pid PID
 *   child PID
 *   child_site child_work LIVE
 *   site NAME LIVE_AT_ROUND_END_0 ... LIVE_AT_ROUND_END_19
 *   total_bytes N          (everything this program asked for)
 * Usage: trace_prog [ROUNDS]
 *        trace_prog signal N   allocates 1000 bytes N times, each followed by
 *                              SIGUSR2 to itself and a 100 ms pause (for the
 *                              round-signal and round-timer tests)
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../../harness/core/prng.h"
#include "../../../harness/trace/abtrace.h"

#define ROUNDS_MAX     64
#define CONNS          8192
#define LEAK_PER_ROUND 4096
#define CACHE_SLOTS    32
#define CACHE_BYTES    200
#define CHURN          2000
#define THREADS        4
#define PER_THREAD     50
#define FORK_ROUND     10

enum { S_TIMER, S_CACHE, S_GROW, S_ALIGNED, S_ZERO, S_CHURN, S_WORKER, S_MAP, NSITES };
static const char *const site_names[NSITES] = {"timer_new",    "cache_put", "grow_buf",
                                               "aligned_keep", "zero_big",  "churn",
                                               "worker_alloc", "map_region"};

static int64_t live[NSITES];
static int64_t at_round[NSITES][ROUNDS_MAX];
static uint64_t total_bytes;
static struct ab_prng rng;

static void got(int site, int64_t bytes)
{
        __atomic_add_fetch(&live[site], bytes, __ATOMIC_RELAXED);
        if (bytes > 0)
                __atomic_add_fetch(&total_bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
}

static void *timer_new(void)
{
        void *t = malloc(64);
        memset(t, 1, 64);
        got(S_TIMER, 64);
        return t;
}

static void timer_free(void *t)
{
        free(t);
        got(S_TIMER, -64);
}

static void open_conn(int i, void **keep)
{
        void *t = timer_new();
        if (i < LEAK_PER_ROUND)
                *keep = t; /* lost at the end of the round: the leak */
        else
                timer_free(t);
}

static void *cache[CACHE_SLOTS];

static void cache_put(int slot)
{
        if (cache[slot]) {
                free(cache[slot]);
                got(S_CACHE, -CACHE_BYTES);
        }
        cache[slot] = malloc(CACHE_BYTES);
        got(S_CACHE, CACHE_BYTES);
}

static void grow_buf(void)
{
        char *p = NULL;
        size_t n = 0;
        for (size_t want = 16; want <= 4096; want *= 2) {
                p = want < 1024 ? realloc(p, want) : reallocarray(p, want / 16, 16);
                got(S_GROW, (int64_t)want - (int64_t)n);
                n = want;
                p[n - 1] = 1;
        }
        free(p);
        got(S_GROW, -(int64_t)n);
}

static void *kept_aligned[ROUNDS_MAX];

static void aligned_keep(int round)
{
        void *a, *b, *c, *d;
        if (posix_memalign(&a, 64, 1000) != 0)
                abort();
        b = aligned_alloc(128, 1024);
        c = memalign(256, 500);
        d = valloc(300);
        got(S_ALIGNED, 1000 + 1024 + 500 + 300);
        free(b);
        free(c);
        free(d);
        got(S_ALIGNED, -(1024 + 500 + 300));
        kept_aligned[round] = a;
}

static void zero_big(void)
{
        char *p = calloc(1, 256 << 10);
        got(S_ZERO, 256 << 10);
        if (p[1000])
                abort();
        free(p);
        got(S_ZERO, -(256 << 10));
}

static void churn(void)
{
        for (int i = 0; i < CHURN; i++) {
                size_t n = 1 + ab_prng_below(&rng, 64 << 10);
                char *p = malloc(n);
                got(S_CHURN, (int64_t)n);
                p[0] = 1;
                free(p);
                got(S_CHURN, -(int64_t)n);
        }
}

static void map_region(void)
{
        void *p = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || mprotect(p, 64 << 10, PROT_READ | PROT_WRITE) != 0)
                abort();
        ((char *)p)[0] = 1;
        munmap(p, 1 << 20);
}

/* ---- threads: cross-thread frees -------------------------------------------- */

static void *slots[THREADS][PER_THREAD];
static pthread_barrier_t barrier;

static void worker_alloc(int me)
{
        for (int i = 0; i < PER_THREAD; i++) {
                slots[me][i] = malloc(48);
                got(S_WORKER, 48);
        }
}

static void *worker(void *arg)
{
        int me = (int)(intptr_t)arg, next = (me + 1) % THREADS;
        worker_alloc(me);
        pthread_barrier_wait(&barrier);
        for (int i = 2; i < PER_THREAD; i++) {
                free(slots[next][i]);
                got(S_WORKER, -48);
        }
        return NULL;
}

static void run_threads(void)
{
        pthread_t th[THREADS];
        pthread_barrier_init(&barrier, NULL, THREADS);
        for (int i = 0; i < THREADS; i++)
                pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
        for (int i = 0; i < THREADS; i++)
                pthread_join(th[i], NULL);
        pthread_barrier_destroy(&barrier);
}

/* ---- the fork child ------------------------------------------------------------ */

static void child_work(void)
{
        void *p[10];
        for (int i = 0; i < 10; i++)
                p[i] = malloc(128);
        for (int i = 0; i < 5; i++)
                free(p[i]);
        printf("child_site child_work %d\n", 5 * 128);
        fflush(stdout);
        exit(0);
}

static void one_round(int round)
{
        void **leaked = malloc(LEAK_PER_ROUND * sizeof *leaked);
        for (int i = 0; i < CONNS; i++)
                open_conn(i, i < LEAK_PER_ROUND ? &leaked[i] : NULL);
        free(leaked); /* the array only: the timers stay */
        for (int i = 0; i < (round == 0 ? CACHE_SLOTS : 8); i++)
                cache_put(round == 0 ? i : (round * 8 + i) % CACHE_SLOTS);
        grow_buf();
        aligned_keep(round);
        zero_big();
        churn();
        run_threads();
        map_region();
        if (round == FORK_ROUND) {
                pid_t pid;
                fflush(stdout);
                pid = fork();
                if (pid == 0)
                        child_work();
                printf("child %d\n", (int)pid);
                fflush(stdout);
                waitpid(pid, NULL, 0);
        }
}

static void *signal_kept[64];

static int signal_rounds(int n)
{
        struct timespec pause = {0, 100 * 1000 * 1000};
        printf("pid %d\n", (int)getpid());
        fflush(stdout);
        for (int i = 0; i < n && i < 64; i++) {
                signal_kept[i] = malloc(1000);
                raise(SIGUSR2);
                nanosleep(&pause, NULL);
        }
        return 0;
}

int main(int argc, char **argv)
{
        int rounds;
        if (argc > 2 && strcmp(argv[1], "signal") == 0)
                return signal_rounds(atoi(argv[2]));
        rounds = argc > 1 ? atoi(argv[1]) : 20;
        if (rounds < 1 || rounds > ROUNDS_MAX)
                rounds = 20;
        ab_prng_init(&rng, 42, 0);
        printf("pid %d\n", (int)getpid());
        fflush(stdout);
        for (int r = 0; r < rounds; r++) {
                one_round(r);
                for (int s = 0; s < NSITES; s++)
                        at_round[s][r] = live[s];
                if (allocbench_trace_round)
                        allocbench_trace_round();
        }
        for (int s = 0; s < NSITES; s++) {
                printf("site %s", site_names[s]);
                for (int r = 0; r < rounds; r++)
                        printf(" %lld", (long long)at_round[s][r]);
                printf("\n");
        }
        printf("total_bytes %llu\n", (unsigned long long)total_bytes);
        return 0;
}
