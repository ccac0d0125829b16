/*
 * trace_capture - what one stack capture costs inside libabtrace.so: the
 * frame-pointer walk and unw_backtrace, at 10 and 30 frames. Run it with
 * the tracer preloaded (benchmarks/trace_cost.sh does):
 *
 *   LD_PRELOAD=build/libabtrace.so ALLOCBENCH_TRACE_OUT=/tmp/x build/trace_capture
 *
 * It recurses (frame-pointer frames, not inlined) until the stack is the
 * wanted depth, then captures N times between two clock reads. Prints one
 * line per case: "fp 10 frames 6.1 ns" (the frames actually captured).
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../harness/trace/abtrace.h"

#define N 200000

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void measure(int unwind, int want)
{
        uintptr_t pcs[128];
        int got = allocbench_trace_capture(pcs, want, unwind);
        uint64_t t0 = now_ns();
        for (int i = 0; i < N; i++)
                got = allocbench_trace_capture(pcs, want, unwind);
        printf("%s %d frames %.1f ns\n", unwind ? "unwind" : "fp", got,
               (double)(now_ns() - t0) / N);
}

/* Recurse: each level is one frame with a frame pointer. */
__attribute__((noinline)) static int descend(int levels, int unwind, int want)
{
        volatile int guard = levels;
        if (levels <= 0)
                measure(unwind, want);
        else
                descend(levels - 1, unwind, want);
        return guard;
}

int main(void)
{
        if (!allocbench_trace_capture) {
                fprintf(stderr, "trace_capture: preload build/libabtrace.so\n");
                return 1;
        }
        /* main, __libc_start_call_main, __libc_start_main, _start and
         * measure are 5 frames: recurse for the rest, cap at want */
        for (int unwind = 0; unwind < 2; unwind++) {
                descend(10, unwind, 10);
                descend(30, unwind, 30);
        }
        return 0;
}
