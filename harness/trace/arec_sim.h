/*
 * arec_sim.h - an allocation record played through once without
 * allocating its blocks (in the harness, not in a measured process): the
 * check that every free names a live block and that the threads' streams
 * can be replayed together, the figures of `bench trace info`, and the
 * events `bench trace cut` copies.
 *
 * The threads run one at a time in a fixed order, each up to the next
 * round end's count of its events. One that must free (or reallocate)
 * another thread's block that thread has not made yet waits, and the other
 * runs; if the other has already reached the round end, it runs on past it
 * until the block is made (a borrowed event: the round end was read while
 * that thread was between the two events). The replay kernel
 * (workloads/replay.c) orders its threads by the same rules.
 */
#ifndef AB_AREC_SIM_H
#define AB_AREC_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/arec_read.h"

/* A block's state word in the simulation (and its kind, for a cut). */
#define AB_SIM_LIVE     (1ull << 63)
#define AB_SIM_FREED    (1ull << 62)
#define AB_SIM_SIZE(w)  ((w) & ((1ull << 48) - 1))
#define AB_SIM_ALIGN(w) (((w) >> 48) & 63)
#define AB_SIM_KIND(w)  ((enum ab_arec_op)(((w) >> 54) & 3))

struct ab_arec_stats {
        uint64_t ops[AB_AO_FREE_OTHER + 1]; /* events by kind */
        uint64_t cross;                     /* frees and reallocs of another thread's block */
        uint64_t bytes;                     /* bytes asked for, in all */
        uint64_t live, live_blocks;         /* now (at the end: still live) */
        uint64_t peak, peak_blocks;         /* the most live at once */
        uint64_t hist[65];                  /* allocations by ceil(log2(size)) */
        uint64_t sites;                     /* distinct sites */
        uint64_t borrowed;                  /* events run past a round end (see above) */
        uint64_t rounds;
        uint64_t threads;
};

struct ab_arec_sim;

/* Called for every event as it is played (the block it made, for an
 * allocation, in *made) and at every round end with the live bytes then;
 * a nonzero return from round() ends the simulation early (0 returned). */
struct ab_arec_sim_ops {
        void (*event)(void *arg, const struct ab_arec_sim *s, uint32_t thread,
                      const struct ab_arec_event *e, uint64_t made);
        int (*round)(void *arg, const struct ab_arec_sim *s, const struct ab_arec_round *r);
        void *arg;
};

struct ab_arec_sim_thread {
        struct ab_arec_cursor cur;
        uint64_t *blk;   /* each block's state word */
        uint32_t *site;  /* each block's site */
        uint64_t made;   /* blocks made so far */
        uint64_t done;   /* events played so far */
        uint64_t target; /* events to play before the next round end */
        uint64_t need;   /* blocks it must make for a waiting thread */
        bool pending;    /* ev is decoded but waits for another thread's block */
        struct ab_arec_event ev;
};

struct ab_arec_sim {
        const struct ab_arec *a;
        struct ab_arec_sim_thread t[AB_AREC_MAX_THREADS];
        struct ab_arec_stats st;
        uint64_t *seen_site; /* a set of site id + 1, 0 for a free slot */
        uint64_t seen_cap;   /* its slots, a power of two */
};

/* Play the whole record: 0 with *st filled, or -EINVAL (a malformed or
 * impossible stream, with the byte offset in err) or -ENOMEM. */
int ab_arec_simulate(const struct ab_arec *a, const struct ab_arec_sim_ops *ops,
                     struct ab_arec_stats *st, char *err, size_t errlen);

#endif
