/*
 * bare_loop - the reference loop for benchmarks/harness_cost.sh: the same
 * calloc/free pair the calloc-sweep workload times (reuse mode, touch=none),
 * with nothing of the harness around it. Run it with the allocator preloaded.
 *
 *   bare_loop SIZE N [WARMUP]      prints ns per calloc/free pair on stdout
 *
 * Build with -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-free so the
 * compiler neither folds nor deletes the pair.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Keep the compiler from proving the block unused (as the workload does). */
static inline void escape(void *p)
{
        __asm__ volatile("" : : "r"(p) : "memory");
}

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse(const char *s, unsigned long long *out)
{
        char *end;
        *out = strtoull(s, &end, 10);
        return *s && !*end ? 0 : -1;
}

int main(int argc, char **argv)
{
        unsigned long long size, n, warmup = 2;
        uint64_t t0, t1;

        if (argc < 3 || argc > 4 || parse(argv[1], &size) || parse(argv[2], &n) || n == 0 ||
            (argc == 4 && parse(argv[3], &warmup))) {
                fprintf(stderr, "usage: bare_loop SIZE N [WARMUP]\n");
                return 2;
        }
        for (unsigned long long i = 0; i < warmup; i++) {
                void *p = calloc(1, (size_t)size);
                if (!p)
                        return 1;
                escape(p);
                free(p);
        }
        t0 = now_ns();
        for (unsigned long long i = 0; i < n; i++) {
                void *p = calloc(1, (size_t)size);
                if (!p)
                        return 1;
                escape(p);
                free(p);
        }
        t1 = now_ns();
        printf("%.6f\n", (double)(t1 - t0) / (double)n);
        return 0;
}
