/*
 * threads_arenas: THREADS threads that allocate and free small blocks at the
 * same time, then hold one while all of them are alive, as the glibc arena
 * story's server did: when threads contend for an arena, glibc gives them
 * arenas of their own and reserves 64 MiB of address space for each. The
 * threads wait for each other, the main thread marks a round, then they all
 * let go.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allocbench.h"

static pthread_barrier_t start, all_in, all_done;

static void *worker(void *arg)
{
        char *p = NULL;
        (void)arg;
        pthread_barrier_wait(&start);
        for (int i = 0; i < 200000; i++) { /* contend: every thread at once */
                char *q = malloc(64 + (size_t)(i & 1023));
                if (!q)
                        return NULL;
                q[0] = 1;
                if (i % 1000 == 0) {
                        free(p);
                        p = q;
                } else {
                        free(q);
                }
        }
        pthread_barrier_wait(&all_in);
        pthread_barrier_wait(&all_done);
        free(p);
        return NULL;
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 8;
        pthread_t t[256];
        struct timespec ts = {0, 100 * 1000000L};
        if (n < 1 || n > 256)
                return 2;
        pthread_barrier_init(&start, NULL, (unsigned)n);
        pthread_barrier_init(&all_in, NULL, (unsigned)n + 1);
        pthread_barrier_init(&all_done, NULL, (unsigned)n + 1);
        for (int i = 0; i < n; i++)
                pthread_create(&t[i], NULL, worker, NULL);
        pthread_barrier_wait(&all_in);
        nanosleep(&ts, NULL); /* long enough for the timeline to see it */
        allocbench_round();
        pthread_barrier_wait(&all_done);
        for (int i = 0; i < n; i++)
                pthread_join(t[i], NULL);
        printf("%d threads\n", n);
        return 0;
}
