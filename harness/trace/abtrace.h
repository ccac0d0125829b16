/*
 * abtrace.h - what a traced program may call in libabtrace.so. Declared
 * weak: a program built with these calls runs unchanged without the tracer
 * (each function's address is then NULL, so test it before calling):
 *
 *   if (allocbench_trace_round)
 *           allocbench_trace_round();
 *
 * allocbench_trace_round() ends a round: the per-site counters of all
 * threads are summed and what changed since the previous round end is
 * recorded (at most 100,000 rounds). Call it from one thread while the
 * others are quiet for exact per-round figures.
 * allocbench_trace_phase(name) names the rounds that end from now on (the
 * name is copied, at most 255 bytes).
 * allocbench_trace_capture(pcs, max, unwind) captures the caller's stack
 * into pcs (at most max <= 128 return addresses, innermost first) by the
 * frame-pointer walk (unwind 0) or unw_backtrace (1) and returns how many:
 * for the capture-cost benchmark.
 */
#ifndef AB_ABTRACE_H
#define AB_ABTRACE_H

__attribute__((weak, visibility("default"))) void allocbench_trace_round(void);
__attribute__((weak, visibility("default"))) void allocbench_trace_phase(const char *name);
__attribute__((weak, visibility("default"))) int allocbench_trace_capture(void *pcs, int max,
                                                                          int unwind);

#endif
