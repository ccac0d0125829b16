/*
 * arec_read.h - reading an allocation record (arec.h) without allocating:
 * the file is mapped, its chunks walked and checked once (ab_arec_open),
 * then each thread's event stream is decoded by a cursor of its own, and
 * the round ends are read in order. The replay kernel runs it inside the
 * measured process, bench's trace tools and job checks in the harness.
 */
#ifndef AB_AREC_READ_H
#define AB_AREC_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/arec.h"

struct ab_arec {
        const uint8_t *p; /* the whole file, mapped read-only (or a caller's buffer) */
        size_t len;
        bool mapped;
        uint32_t version, pid, page;
        uint64_t start_ns;
        /* from END */
        uint32_t nthreads;
        uint64_t events, nrounds, flags;
        uint64_t t_events[AB_AREC_MAX_THREADS]; /* each thread's events */
        uint64_t t_blocks[AB_AREC_MAX_THREADS]; /* and the blocks it made */
        size_t t_first[AB_AREC_MAX_THREADS];    /* offset of its first EVTS chunk */
        size_t first_round;                     /* offset of the first ROUN chunk, or len */
        uint64_t chunks;
};

/* Map and check `path`: 0, or -errno with a message naming the file, the
 * byte offset and what was wrong (err). */
int ab_arec_open(struct ab_arec *a, const char *path, char *err, size_t errlen);
/* The same, on len bytes in memory (kept by the caller; not copied). */
int ab_arec_parse(struct ab_arec *a, const uint8_t *p, size_t len, char *err, size_t errlen);
void ab_arec_close(struct ab_arec *a);

/* One thread's event stream, in order. */
struct ab_arec_cursor {
        const struct ab_arec *a;
        uint32_t thread;
        size_t next;              /* offset of the next chunk header to look at */
        const uint8_t *lo;        /* the current chunk's events */
        const uint8_t *p, *end;   /* the rest of them */
        struct ab_arec_state st;
        uint64_t done;            /* events decoded so far */
        size_t at;                /* offset of the last event decoded */
};

void ab_arec_cursor_init(struct ab_arec_cursor *c, const struct ab_arec *a, uint32_t thread);
/* Moves to the thread's next chunk: 1, or 0 when there is none. */
int ab_arec_cursor_chunk(struct ab_arec_cursor *c);

/* The thread's next event in *e: 1; 0 at the end of its stream; -1 when the
 * stream is malformed at byte ab_arec_cursor_offset(c) (an event that does
 * not decode, names a block that was never made, or the stream holds more
 * or fewer events than END says). */
static inline int ab_arec_next(struct ab_arec_cursor *c, struct ab_arec_event *e)
{
        while (c->p >= c->end) {
                if (!ab_arec_cursor_chunk(c))
                        return c->done == c->a->t_events[c->thread] ? 0 : -1;
        }
        c->at = (size_t)(c->p - c->a->p);
        if (c->done >= c->a->t_events[c->thread] ||
            ab_arec_decode(&c->p, c->end, c->thread, &c->st, e) < 0 ||
            (e->op <= AB_AO_REALLOC && c->st.blocks > c->a->t_blocks[c->thread]))
                return -1;
        if ((e->op >= AB_AO_FREE_OWN || (e->op == AB_AO_REALLOC && !e->old_null)) &&
            (e->thread >= c->a->nthreads || e->block >= c->a->t_blocks[e->thread]))
                return -1;
        c->done++;
        return 1;
}

static inline size_t ab_arec_cursor_offset(const struct ab_arec_cursor *c)
{
        return c->at;
}

/* A round end as recorded. */
struct ab_arec_round {
        uint64_t index, live;
        uint32_t nthreads;
        uint64_t events[AB_AREC_MAX_THREADS]; /* each thread's events before it */
        size_t offset;
};

/* The round end after offset *off (start at a->first_round): 1 with *r and
 * *off moved past it, or 0 when there are no more. */
int ab_arec_round_next(const struct ab_arec *a, size_t *off, struct ab_arec_round *r);

#endif
