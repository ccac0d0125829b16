/*
 * calib.c - `ab-runner calibrate SIZES`: this machine's reference costs, measured
 * in a fresh process with nothing preloaded. The detectors judge time only
 * against these, so a flag means the same on a fast and a slow machine.
 *
 *  - memset: best time to zero SIZE bytes already resident (what a calloc
 *    that zeroes a reused block must pay), for each size given;
 *  - page fault: best time per page to write one byte into each page of fresh
 *    anonymous memory (what a calloc that hands out fresh pages costs later);
 *  - mmap: best time of an mmap+munmap pair of 1 MiB, untouched.
 * Each figure is the best of a few trials: the machine's capability, not its
 * noise. Records go to the parent as AB_REC_CALIB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/parse.h"
#include "prim/prim.h"
#include "runner/record.h"

int ab_calibrate(int argc, char **argv);

static void send_calib(uint32_t what, uint64_t size, double ns)
{
        struct ab_rec r;
        memset(&r, 0, sizeof r);
        r.u.calib.what = what;
        r.u.calib.size = size;
        r.u.calib.ns = ns;
        ab_record_send(&r, AB_REC_CALIB);
}

static void *map(size_t n)
{
        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

/* Zeroing `size` bytes of a resident buffer: zeros, because that is what
 * calloc writes (and on some machines zeros are written faster than other
 * values). Enough repetitions per trial to last ~2 ms. */
static void memset_cost(char *buf, uint64_t size)
{
        size_t n = (size_t)size;
        uint64_t reps = (4u << 20) / size + 1, trials = size >= (256u << 20) ? 2 : 4;
        double best = 1e300;
        for (uint64_t t = 0; t < trials; t++) {
                uint64_t t0 = ab_prim_now_ns();
                for (uint64_t i = 0; i < reps; i++) {
                        memset(buf, 0, n);
                        __asm__ volatile("" : : "r"(buf) : "memory");
                }
                double ns = (double)(ab_prim_now_ns() - t0) / (double)reps;
                if (ns < best)
                        best = ns;
        }
        send_calib(AB_CAL_MEMSET, size, best);
}

static int fault_cost(void)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 32u << 20;
        double best = 1e300;
        for (int t = 0; t < 3; t++) {
                char *buf = map(n);
                uint64_t t0;
                if (!buf)
                        return -ENOMEM;
                t0 = ab_prim_now_ns();
                for (size_t off = 0; off < n; off += page)
                        buf[off] = 1;
                double ns = (double)(ab_prim_now_ns() - t0) / (double)(n / page);
                if (ns < best)
                        best = ns;
                munmap(buf, n);
        }
        send_calib(AB_CAL_PAGEFAULT, page, best);
        return 0;
}

static int mmap_cost(void)
{
        size_t n = 1u << 20;
        double best = 1e300;
        for (int t = 0; t < 5; t++) {
                uint64_t t0 = ab_prim_now_ns();
                for (int i = 0; i < 200; i++) {
                        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        if (p == MAP_FAILED)
                                return -ENOMEM;
                        munmap(p, n);
                }
                double ns = (double)(ab_prim_now_ns() - t0) / 200;
                if (ns < best)
                        best = ns;
        }
        send_calib(AB_CAL_MMAP, n, best);
        return 0;
}

int ab_calibrate(int argc, char **argv)
{
        uint64_t sizes[64];
        size_t n = 0;
        int r;
        if (argc < 1 || ab_parse_list(argv[0], sizes, 64, &n))
                return -EINVAL;
        uint64_t max = 0;
        char *buf;
        if ((r = fault_cost()) || (r = mmap_cost()))
                return r;
        for (size_t i = 0; i < n; i++)
                if (sizes[i] > max)
                        max = sizes[i];
        /* one buffer for every size, faulted in once (huge pages where the
         * kernel allows: fewer faults, the same memset) */
        if (!(buf = map((size_t)max)))
                return -ENOMEM;
#ifdef MADV_HUGEPAGE
        madvise(buf, (size_t)max, MADV_HUGEPAGE);
#endif
        memset(buf, 1, (size_t)max);
        for (size_t i = 0; i < n; i++)
                memset_cost(buf, sizes[i]);
        munmap(buf, (size_t)max);
        return 0;
}
