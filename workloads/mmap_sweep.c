/*
 * mmap-sweep (the emulator story): rounds of reserve a large region
 * (PROT_NONE, MAP_NORESERVE), commit part of it (mprotect read/write), touch
 * part of that (one write per page) and release it all. Identical rounds:
 * anything that grows across them (VSZ, page tables, RSS) is kept by whoever
 * runs the process (an emulator, a tracer), not by the workload.
 * via=malloc asks the allocator for one block of `reserve` bytes instead,
 * touches `touch` bytes of it and frees it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/prng.h"
#include "workload.h"

enum { P_RESERVE, P_COMMIT, P_TOUCH, P_ROUNDS, P_VIA };
enum { VIA_SYSCALL, VIA_MALLOC };
enum { OP_MAP = 1, OP_PROTECT, OP_TOUCH, OP_UNMAP };

static const struct ab_param params[] = {
        [P_RESERVE] = {"reserve", AB_PT_SIZE, "6GiB", 4096, 1ull << 40, NULL, NULL, false,
                       "address space reserved each round (PROT_NONE)"},
        [P_COMMIT] = {"commit", AB_PT_SIZE, "256MiB", 0, 1ull << 40, NULL, NULL, false,
                      "part made read/write with mprotect (<= reserve)"},
        [P_TOUCH] = {"touch", AB_PT_SIZE, "16MiB", 0, 1ull << 40, NULL, NULL, false,
                     "part written, one byte per page (<= commit)"},
        [P_ROUNDS] = {"rounds", AB_PT_COUNT, "20", 1, 1000000, NULL, NULL, false,
                      "identical reserve/commit/touch/release rounds"},
        [P_VIA] = {"via", AB_PT_ENUM, "syscall", 0, 1, "syscall|malloc", NULL, false,
                   "syscall: mmap/mprotect/munmap; malloc: one huge block from the allocator"},
};

static int mmap_sweep_check(const uint64_t *v, char *err, size_t len)
{
        if (v[P_COMMIT] > v[P_RESERVE] && v[P_VIA] == VIA_SYSCALL) {
                snprintf(err, len, "commit (%llu) must not exceed reserve (%llu)",
                         (unsigned long long)v[P_COMMIT], (unsigned long long)v[P_RESERVE]);
                return -EINVAL;
        }
        bool sys = v[P_VIA] == VIA_SYSCALL;
        if (v[P_TOUCH] > (sys ? v[P_COMMIT] : v[P_RESERVE])) {
                snprintf(err, len, "touch (%llu) must not exceed %s (%llu)",
                         (unsigned long long)v[P_TOUCH], sys ? "commit" : "reserve",
                         (unsigned long long)(sys ? v[P_COMMIT] : v[P_RESERVE]));
                return -EINVAL;
        }
        return 0;
}

static void touch(char *p, uint64_t bytes, size_t page)
{
        for (uint64_t off = 0; off < bytes; off += page)
                p[off] = 1;
        __asm__ volatile("" : : "r"(p) : "memory");
}

static int one_round(const uint64_t *v, size_t page)
{
        if (v[P_VIA] == VIA_MALLOC) {
                char *p = malloc((size_t)v[P_RESERVE]);
                if (!p)
                        return -ENOMEM;
                touch(p, v[P_TOUCH], page);
                free(p);
                return 0;
        }
        char *p = mmap(NULL, (size_t)v[P_RESERVE], PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
                return -ENOMEM;
        if (v[P_COMMIT] && mprotect(p, (size_t)v[P_COMMIT], PROT_READ | PROT_WRITE) != 0) {
                munmap(p, (size_t)v[P_RESERVE]);
                return -ENOMEM;
        }
        touch(p, v[P_TOUCH], page);
        if (munmap(p, (size_t)v[P_RESERVE]) != 0)
                return -errno;
        return 0;
}

static int mmap_sweep_run(struct ab_kctx *k)
{
        const uint64_t *v = k->v;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        uint64_t ops_per_round = v[P_VIA] == VIA_MALLOC ? 2 : 3, h = AB_HASH_INIT;
        int r;

        ab_region_begin(k);
        for (uint64_t i = 0; i < v[P_ROUNDS]; i++) {
                uint64_t t0 = ab_prim_now_ns();
                if ((r = one_round(v, page)))
                        return r;
                ab_round_end(k, i, ab_prim_now_ns() - t0, 0);
        }
        ab_region_end(k, v[P_ROUNDS] * ops_per_round);
        /* no randomness: the stream is the same round, `rounds` times */
        h = ab_hash_op(h, OP_MAP, v[P_RESERVE]);
        h = ab_hash_op(h, OP_PROTECT, v[P_VIA] == VIA_MALLOC ? 0 : v[P_COMMIT]);
        h = ab_hash_op(h, OP_TOUCH, v[P_TOUCH]);
        h = ab_hash_op(h, OP_UNMAP, v[P_VIA]);
        k->op_hash = ab_hash_u64(h, v[P_ROUNDS]);
        k->live_peak = v[P_RESERVE];
        return 0;
}

const struct ab_workload ab_wl_mmap_sweep = {
        .abi = AB_WORKLOAD_ABI,
        .kind = AB_WK_KERNEL,
        .name = "mmap-sweep",
        .help = "reserve/commit/touch/release rounds: address-space and page-table growth",
        .params = params,
        .nparams = sizeof params / sizeof params[0],
        .check = mmap_sweep_check,
        .run = mmap_sweep_run,
};
