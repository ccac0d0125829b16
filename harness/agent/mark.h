/*
 * mark.h - how a program run by `bench --workload=cmd` tells the harness
 * that a round ended or a phase began: the protocol between the preloaded
 * agent (libabmark.so, agent/mark.c) and the parent (measure/spawn.c).
 *
 * The parent listens on a Unix stream socket whose path is in the
 * program's environment (AB_MARK_ENV). Each process of the program that
 * marks connects once (again after a fork), sends one fixed-size message
 * per mark and waits for a one-byte answer: the parent answers once it has
 * sampled the process tree, so a round's figures are those of the moment
 * the program marked it. With AB_MARK_SIGNAL_ENV set, the agent also turns
 * that signal into a round (from a thread of its own, never in the handler).
 * A program not run under allocbench has no agent: the marks are no-ops.
 */
#ifndef AB_MARK_H
#define AB_MARK_H

#include <stdint.h>

#define AB_MARK_ENV        "ALLOCBENCH_MARK"         /* the socket's path */
#define AB_MARK_SIGNAL_ENV "ALLOCBENCH_ROUND_SIGNAL" /* a signal number: a round */
#define AB_MARK_MAGIC      0x4b4d4241u               /* "ABMK" */
#define AB_MARK_TIMEOUT_MS 10000                     /* a parent that does not answer is given up */

enum ab_mark_kind {
        AB_MARK_HELLO = 1, /* a process started with the agent: who serves its malloc */
        AB_MARK_ROUND = 2, /* a round ended: name "signal" when by the signal */
        AB_MARK_PHASE = 3, /* a phase begins: name */
};

struct ab_mark_msg {
        uint32_t magic;
        uint32_t kind;
        int32_t pid;
        uint32_t pad;
        char name[240]; /* the phase, or (hello) the file that serves malloc */
};

#endif
