/*
 * program.h - what kind of program cmd is asked to run, before it runs:
 * whether a preloaded allocator can apply to it at all. ld.so ignores
 * LD_PRELOAD for a statically linked program, and for a setuid or setgid
 * one run by another user (secure mode); a script is judged by its
 * interpreter. Read with libelf (elfutils).
 */
#ifndef AB_PROGRAM_H
#define AB_PROGRAM_H

#include <stddef.h>

enum ab_prog_kind {
        AB_PROG_DYNAMIC, /* an ELF program with an interpreter: preloads apply */
        AB_PROG_STATIC,  /* an ELF program without one: they do not */
        AB_PROG_SECURE,  /* setuid or setgid for another user: ld.so ignores them */
        AB_PROG_UNKNOWN, /* not ELF, not a script whose interpreter could be followed */
};

/* The kind of the program at path (following "#!" interpreters, through
 * `env` too, up to four deep); `what` names the file that decided it. */
enum ab_prog_kind ab_program_kind(const char *path, char *what, size_t len);

#endif
