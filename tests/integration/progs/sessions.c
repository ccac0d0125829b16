/*
 * sessions: a server that opens sessions every round and, through one
 * path, leaves one behind, built twice by the Makefile: as
 * progs/sessions, and as progs/sessions-rebuilt (-DREBUILT: lines moved,
 * make_session inlined into open_session, and built for release without
 * debug information, so the inlined function is no frame at all), so that
 * a verdict decided on the first build must be matched on the second by
 * the fuzzy rule (one inlined frame less).
 *   sessions [ROUNDS]        (12)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocbench.h"

#ifdef REBUILT
/*
 * The rebuilt program: these comment lines move every line below, as an
 * edit above them would, and make_session is inlined (see MAKE_SESSION).
 */
#define MAKE_SESSION static inline __attribute__((always_inline))
#else
#define MAKE_SESSION static __attribute__((noinline))
#endif

struct session {
        char *state;
        size_t n;
};

/* The allocation: a session's state. */
static __attribute__((noinline)) char *alloc_state(size_t n)
{
        char *p = malloc(n);
        if (p)
                memset(p, 1, n);
        return p;
}

MAKE_SESSION struct session make_session(size_t n)
{
        struct session s = {alloc_state(n), n};
        return s;
}

static __attribute__((noinline)) struct session open_session(size_t n)
{
        struct session s = make_session(n);
        __asm__ volatile("" : : "r"(s.state) : "memory");
        return s;
}

/* A round: 64 sessions opened and closed; the one that times out is
 * forgotten, not closed. */
static __attribute__((noinline)) void serve(void **forgotten, size_t *nforgotten)
{
        for (int i = 0; i < 64; i++) {
                struct session s = open_session(256 + (size_t)i);
                if (i == 63)
                        forgotten[(*nforgotten)++] = s.state;
                else
                        free(s.state);
        }
}

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 12;
        void *forgotten[1024];
        size_t n = 0;
        if (rounds < 1 || rounds > 1024)
                return 2;
        for (int r = 0; r < rounds; r++) {
                serve(forgotten, &n);
                allocbench_round();
        }
        printf("%zu sessions forgotten\n", n);
        return 0;
}
