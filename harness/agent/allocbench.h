/*
 * allocbench.h - marks for a program measured by allocbench
 * (`bench --workload=cmd -- PROGRAM`): where a round of its work ends, and
 * where a phase begins, so that allocbench can tell growth across identical
 * rounds from a program warming up, and attribute allocations per round.
 *
 *   #include "allocbench.h"
 *   for (;;) { serve_connections(); allocbench_round(); }
 *   allocbench_phase("steady");
 *
 * Outside allocbench both calls do nothing and cost a test of a null
 * pointer: the functions are weak references that only allocbench's
 * preloaded agent (libabmark.so) defines. Nothing to link. In a statically
 * linked program they are always no-ops.
 *
 * From Python (ctypes; cffi's ffi.dlopen(None) works alike):
 *
 *   import ctypes
 *   _ab = ctypes.CDLL(None)
 *   round_end = getattr(_ab, "allocbench_round", lambda: None)
 */
#ifndef ALLOCBENCH_H
#define ALLOCBENCH_H

#ifdef __cplusplus
extern "C" {
#endif

void allocbench_round(void) __attribute__((weak));
void allocbench_phase(const char *name) __attribute__((weak));

/* The function when the agent is there, nothing otherwise (a macro of the
 * same name is not expanded again inside itself). */
#define allocbench_round() (allocbench_round ? allocbench_round() : (void)0)
#define allocbench_phase(name) (allocbench_phase ? allocbench_phase(name) : (void)0)

#ifdef __cplusplus
}
#endif

#endif
