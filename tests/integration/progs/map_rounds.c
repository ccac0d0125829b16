/*
 * map_rounds: rounds of mapping a large region, touching part of it and
 * unmapping it whole, like the emulator story's WebAssembly VM: natively the
 * process is the same after every round; under QEMU's user-mode emulator,
 * which keeps bookkeeping for every region ever mapped, it grows.
 *   map_rounds ROUNDS MAP_MIB TOUCH_MIB
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "allocbench.h"

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 20;
        size_t map = (size_t)(argc > 2 ? atol(argv[2]) : 256) << 20;
        size_t touch = (size_t)(argc > 3 ? atol(argv[3]) : 8) << 20;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        for (int r = 0; r < rounds; r++) {
                char *p = mmap(NULL, map, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                               -1, 0);
                if (p == MAP_FAILED)
                        return 2;
                if (mprotect(p, touch, PROT_READ | PROT_WRITE) != 0)
                        return 2;
                for (size_t off = 0; off < touch; off += page)
                        p[off] = 1;
                munmap(p, map);
                allocbench_round();
        }
        printf("%d rounds\n", rounds);
        return 0;
}
