/*
 * mwu_cost.c - the Mann-Whitney test and the ratio interval of bench compare
 * (harness/core/mwu.c) on N samples a side, without bench: compare gives no
 * test beyond 10,000 samples a side, and this shows what the statistics
 * themselves would cost past that. benchmarks/compare_cost.sh builds and
 * times it.
 *
 *   mwu_cost N    prints U, p and the 95% interval of NEW/BASE
 *
 * The samples are made like compare_cost.sh's files: BASE about 100 ns/op,
 * NEW 10% slower, both with a long right tail and rounded to 0.1 ns, so that
 * values tie as a real timer's do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/mwu.h"
#include "core/prng.h"

static void fill(struct ab_prng *r, double *v, size_t n, double scale)
{
        for (size_t i = 0; i < n; i++) {
                double u = ((double)(ab_prng_next(r) >> 11) + 0.5) / 9007199254740992.0;
                /* exponential tail on top of the scale, 0.1 ns resolution */
                v[i] = round(10 * scale * (1 + 0.02 * -log(u))) / 10;
        }
}

int main(int argc, char **argv)
{
        struct ab_prng r;
        struct ab_mwu t;
        struct ab_mwu_ci ci;
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
        double *x, *y;
        if (n == 0) {
                fprintf(stderr, "usage: mwu_cost N (samples a side, at least 1)\n");
                return 2;
        }
        x = malloc(n * sizeof *x);
        y = malloc(n * sizeof *y);
        if (!x || !y) {
                fprintf(stderr, "mwu_cost: out of memory\n");
                return 1;
        }
        ab_prng_init(&r, 1, 0);
        fill(&r, x, n, 100);
        fill(&r, y, n, 110);
        if (ab_mwu_test(y, n, x, n, &t) || ab_mwu_ratio_ci(x, n, y, n, 0.95, &ci)) {
                fprintf(stderr, "mwu_cost: the test or the interval failed\n");
                return 1;
        }
        printf("n %zu  U %.1f  p %.3g  ratio %.5f [%.5f, %.5f]\n", n, t.u, t.p, ci.est, ci.lo,
               ci.hi);
        free(x);
        free(y);
        return 0;
}
