/*
 * calloc-sweep: for each size, `iterations` x (calloc, optional touch, free).
 *
 * mode=reuse is the loop of the macOS story: the block is freed and the same
 * size asked for again, which is where a caching allocator hands back a used
 * block and must zero it. mode=fresh keeps every block alive (up to live_max
 * bytes in all), so each calloc gets memory never used before; the frees come
 * at the end of the region. One op is one calloc/free pair.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/prng.h"
#include "workload.h"

enum { P_SIZES, P_ITERATIONS, P_WARMUP, P_TOUCH, P_MODE, P_LIVE_MAX, P_BUDGET_MS, P_WARMUP_MAX };
enum { TOUCH_NONE, TOUCH_FIRST, TOUCH_ALL };
enum { MODE_REUSE, MODE_FRESH };
enum { OP_CALLOC = 1, OP_FREE = 2 };

static const struct ab_param params[] = {
        [P_SIZES] = {"sizes", AB_PT_SIZE, "4KiB..1GiB*2", 1, 1ull << 40, NULL, "size", false,
                     "block sizes to sweep; one point per size"},
        [P_ITERATIONS] = {"iterations", AB_PT_COUNT, "auto", 1, 1u << 30, NULL, NULL, true,
                          "calloc/free pairs per repetition; auto fits budget_ms"},
        [P_WARMUP] = {"warmup", AB_PT_COUNT, "2", 0, 1u << 20, NULL, NULL, false,
                      "reuse mode: at least this many unmeasured pairs before the region, "
                      "then more until faults per op stop changing"},
        [P_TOUCH] = {"touch", AB_PT_ENUM, "none", 0, 2, "none|first|all", NULL, false,
                     "after calloc write nothing, the first byte, or one byte per page"},
        [P_MODE] = {"mode", AB_PT_ENUM, "reuse", 0, 1, "reuse|fresh", NULL, false,
                    "reuse: free then ask again; fresh: keep blocks so memory is new"},
        [P_LIVE_MAX] = {"live_max", AB_PT_SIZE, "1GiB", 1, 1ull << 40, NULL, NULL, false,
                        "fresh mode: most bytes held at once (caps the ops per rep)"},
        [P_BUDGET_MS] = {"budget_ms", AB_PT_COUNT, "20", 1, 600000, NULL, NULL, false,
                         "measured time per repetition that iterations=auto aims for"},
        [P_WARMUP_MAX] = {"warmup_max", AB_PT_COUNT, "64", 0, 1u << 20, NULL, NULL, false,
                          "reuse mode: most warm-up pairs while faults per op still change"},
};

/* Keep the compiler from proving the block unused and deleting the pair. */
static inline void escape(void *p)
{
        __asm__ volatile("" : : "r"(p) : "memory");
}

static inline void touch(char *p, size_t size, int how, size_t page)
{
        if (how == TOUCH_FIRST) {
                p[0] = 1;
        } else if (how == TOUCH_ALL) {
                for (size_t off = 0; off < size; off += page)
                        p[off] = 1;
        }
        escape(p);
}

/* The op stream is fully determined by these figures (no randomness: each op
 * is the same calloc/touch/free), so hashing them is hashing the stream. */
static uint64_t stream_hash(const uint64_t *v, uint64_t ops)
{
        uint64_t h = AB_HASH_INIT;
        h = ab_hash_op(h, OP_CALLOC, v[P_SIZES]);
        h = ab_hash_op(h, OP_FREE, v[P_MODE]);
        h = ab_hash_u64(h, v[P_TOUCH]);
        h = ab_hash_u64(h, v[P_WARMUP]);
        return ab_hash_u64(h, ops);
}

struct pair {
        size_t size, page;
        int how;
};

/* One op of reuse mode: calloc, touch, free. */
static int one_pair(void *arg)
{
        const struct pair *a = arg;
        char *p = calloc(1, a->size);
        if (!p)
                return -ENOMEM;
        touch(p, a->size, a->how, a->page);
        free(p);
        return 0;
}

/* The warm-up brings the point to the state the region measures: blocks of
 * this size cycled and touched as the region will, until faults per op stop
 * changing (glibc's first reused heap block faults every page in once; an op
 * count must not decide how much of that lands in the region). */
static int run_reuse(struct ab_kctx *k, size_t size, size_t page)
{
        const uint64_t *v = k->v;
        struct pair a = {size, page, (int)v[P_TOUCH]};
        uint64_t n = v[P_ITERATIONS];
        int r = ab_warmup(k, one_pair, &a, v[P_WARMUP], v[P_WARMUP_MAX],
                          2 * v[P_BUDGET_MS] * 1000000u);
        if (r)
                return r;
        ab_region_begin(k);
        for (uint64_t i = 0; i < n; i++) {
                char *p;
                if (i == n / 2 && i > 0)
                        ab_region_mid(k, i);
                p = calloc(1, size);
                if (!p)
                        return -ENOMEM;
                touch(p, size, a.how, page);
                free(p);
        }
        ab_region_end(k, n);
        k->op_hash = stream_hash(v, n);
        k->live_peak = size;
        return 0;
}

static int run_fresh(struct ab_kctx *k, size_t size, size_t page)
{
        const uint64_t *v = k->v;
        int how = (int)v[P_TOUCH];
        uint64_t n = v[P_LIVE_MAX] / size;
        uint64_t held = 0;
        size_t bytes;
        char **blk, *first;
        int err = 0;

        if (n == 0)
                n = 1;
        if (n > v[P_ITERATIONS])
                n = v[P_ITERATIONS];
        /* The pointer array comes from mmap, not the allocator under test. */
        bytes = (size_t)n * sizeof *blk;
        blk = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (blk == MAP_FAILED)
                return -ENOMEM;
        for (uint64_t i = 0; i < n; i++) /* fault the array in before timing */
                blk[i] = NULL;
        /* The cold op: the first calloc of this size in the process, kept
         * alive to the end so that the region's blocks are new memory too. */
        ab_first_begin(k);
        first = calloc(1, size);
        if (first)
                touch(first, size, how, page);
        ab_first_end(k);
        if (!first) {
                munmap(blk, bytes);
                return -ENOMEM;
        }
        ab_region_begin(k);
        for (; held < n; held++) {
                if (held == n / 2 && held > 0)
                        ab_region_mid(k, held);
                blk[held] = calloc(1, size);
                if (!blk[held]) {
                        err = -ENOMEM;
                        break;
                }
                touch(blk[held], size, how, page);
        }
        for (uint64_t i = 0; i < held; i++)
                free(blk[i]);
        if (!err) {
                ab_region_end(k, n);
                k->op_hash = stream_hash(v, n);
                k->live_peak = (n + 1) * size; /* and the cold block */
        }
        free(first);
        munmap(blk, bytes);
        return err;
}

static int calloc_sweep_run(struct ab_kctx *k)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t size = (size_t)k->v[P_SIZES];
        if (k->v[P_MODE] == MODE_FRESH)
                return run_fresh(k, size, page);
        return run_reuse(k, size, page);
}

/* At most: zeroing the whole block, the faults the probe counted, and a
 * fixed cost for the calls themselves. */
static double calloc_sweep_cost(const uint64_t *v, const struct ab_costs *c, double minflt)
{
        double zero = c->memset_ns(c, v[P_SIZES]);
        return (zero > 0 ? zero : 0) + minflt * c->page_fault_ns + 50;
}

const struct ab_workload ab_wl_calloc_sweep = {
        .abi = AB_WORKLOAD_ABI,
        .kind = AB_WK_KERNEL,
        .name = "calloc-sweep",
        .help = "calloc/free loops across sizes: the cost of zeroing reused blocks",
        .params = params,
        .nparams = sizeof params / sizeof params[0],
        .run = calloc_sweep_run,
        .op_cost_ns = calloc_sweep_cost,
};
