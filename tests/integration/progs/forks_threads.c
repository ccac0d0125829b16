/*
 * forks_threads: allocation sites whose live bytes the program counts
 * itself, across threads that start and end, blocks freed by another
 * thread than the one that allocated them, a fork child, and realloc
 * chains. Each kind of block has an allocating function of its own, so each
 * is a site of its own; at the end every process prints, per function, the
 * bytes it still holds:
 *     live keep_chain 16384
 *     live thread_keep 245760
 *     live child_keep 40960        (the fork child's)
 *   forks_threads [THREADS] [ROUNDS]        (4, 6)
 * Rounds are marked with allocbench.h; in each, THREADS threads start,
 * allocate, keep a few blocks, free the rest, and end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocbench.h"

#define KEEP_PER_THREAD 6
#define BLOCK           4096

static void *kept[4096];
static size_t nkept;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t live_chain, live_thread;

/* A buffer grown by realloc, step by step: each realloc frees the old
 * block and allocates the new one here. */
static __attribute__((noinline)) char *keep_chain(int steps)
{
        size_t n = 16;
        char *p = malloc(n);
        for (int i = 0; i < steps && p; i++) {
                char *q = realloc(p, n * 2);
                if (!q)
                        break;
                p = q;
                n *= 2;
                p[n - 1] = 1;
        }
        live_chain += p ? n : 0;
        return p;
}

static __attribute__((noinline)) void *thread_keep(size_t n)
{
        char *p = malloc(n);
        if (p)
                p[0] = 1;
        return p;
}

static __attribute__((noinline)) void *thread_scratch(size_t n)
{
        char *p = malloc(n);
        if (p)
                p[0] = 2; /* not thread_keep's code: the compiler would fold the two */
        return p;
}

static void *worker(void *arg)
{
        void *scratch[64];
        (void)arg;
        for (int i = 0; i < 64; i++)
                scratch[i] = thread_scratch(64 + (size_t)i * 8);
        pthread_mutex_lock(&lock);
        for (int i = 0; i < KEEP_PER_THREAD && nkept < sizeof kept / sizeof kept[0]; i++) {
                kept[nkept] = thread_keep(BLOCK);
                if (kept[nkept]) {
                        live_thread += BLOCK;
                        nkept++;
                }
        }
        pthread_mutex_unlock(&lock);
        for (int i = 0; i < 64; i++)
                free(scratch[i]);
        return NULL;
}

static __attribute__((noinline)) void *child_keep(size_t n)
{
        char *p = malloc(n);
        if (p)
                p[0] = 3;
        return p;
}

/* The fork child keeps 10 blocks of its own and ends normally. */
static void child(void)
{
        size_t live = 0;
        for (int i = 0; i < 10; i++)
                if (child_keep(BLOCK))
                        live += BLOCK;
        printf("live child_keep %zu\n", live);
        fflush(stdout);
        exit(0);
}

int main(int argc, char **argv)
{
        int threads = argc > 1 ? atoi(argv[1]) : 4, rounds = argc > 2 ? atoi(argv[2]) : 6;
        pthread_t t[64];
        char *chains[64];
        pid_t pid;
        if (threads < 1 || threads > 64 || rounds < 1 || rounds > 64)
                return 2;
        for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < threads; i++)
                        pthread_create(&t[i], NULL, worker, NULL);
                for (int i = 0; i < threads; i++)
                        pthread_join(t[i], NULL);
                chains[r] = keep_chain(6 + r % 4);
                /* the main thread frees one block another thread allocated */
                pthread_mutex_lock(&lock);
                if (nkept) {
                        free(kept[--nkept]);
                        live_thread -= BLOCK;
                }
                pthread_mutex_unlock(&lock);
                allocbench_round();
        }
        fflush(stdout);
        pid = fork();
        if (pid == 0)
                child();
        if (pid > 0)
                waitpid(pid, NULL, 0);
        printf("live keep_chain %zu\nlive thread_keep %zu\n", live_chain, live_thread);
        (void)chains;
        return 0;
}
