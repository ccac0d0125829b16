/*
 * arec.h - the record file: every allocation event of a traced process,
 * in order per thread, written by libabtrace.so with ALLOCBENCH_TRACE_RECORD
 * (tr_record.c) and replayed by the replay kernel (workloads/replay.c),
 * summarised and cut by bench trace (measure/tracecmd.c). Header-only: the
 * tracer, the runner and bench each decode it, without allocating.
 *
 * Little-endian. A 32-byte file header:
 *     0  8  magic "ABRECORD"
 *     8  2  version (AB_AREC_VERSION)
 *    10  2  header size (32)
 *    12  4  flags (0)
 *    16  4  pid of the recorded process
 *    20  4  page size of the machine it ran on
 *    24  8  start, CLOCK_REALTIME ns
 * then chunks, each a 12-byte header { u32 tag, u32 thread, u32 length }
 * and `length` bytes of payload:
 *   EVTS  the next events of thread `thread` (0 the first to allocate,
 *         then in order of their first allocation): a thread's chunks,
 *         concatenated in file order, are its event stream;
 *   ROUN  a round ended: varint round index, varint the bytes the tracer
 *         counted live then (requested sizes), varint thread count n, then
 *         n varints: each thread's events so far (a thread not yet seen has
 *         none);
 *   END   the process ended: varint events, varint threads n, varint
 *         rounds, varint flags (bit 0: more threads than the format holds
 *         allocated, and theirs are missing), then n pairs (varint events,
 *         varint blocks made) one per thread. It is last, and a file
 *         without it is refused (the process did not end, or the file was
 *         cut).
 * Every event of a thread lies whole in one EVTS chunk.
 *
 * An event (one per allocation call), first a head byte:
 *     bits 0-2  op: MALLOC, CALLOC, MEMALIGN, REALLOC, FREE_OWN, FREE_OTHER
 *     bits 3-6  the size, as an index (1..15) into the thread's 15 recent
 *               sizes (struct ab_arec_state), or 0: the size follows as a
 *               varint
 *     bit  7    the same site as the thread's previous allocation (else
 *               the site follows as a varint)
 *   MALLOC, CALLOC      [size] [site]
 *   MEMALIGN            varint log2(alignment), [size] [site]
 *   REALLOC             varint old: 0 = NULL, else (age << 1 | other):
 *                       other = 0: the thread's own block `age` blocks back
 *                       (its newest is 0); other = 1: varint thread and
 *                       varint block index follow; then [size] [site]
 *   FREE_OWN            bits 3-7 hold the age (0..30) of one of the
 *                       thread's own blocks, 31: a varint age follows
 *   FREE_OTHER          varint thread, varint block index
 * Every MALLOC, CALLOC, MEMALIGN and REALLOC makes the thread's next block
 * (indices count from 0 per thread); a REALLOC's old block is gone, and a
 * FREE names a block that is live. Sizes are what the program asked for
 * (calloc: count x size). The bytes a program writes are not recorded: a
 * replay writes one byte per page of each block it allocates (the pages a
 * program touches are what its resident memory is made of).
 */
#ifndef AB_AREC_H
#define AB_AREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

#define AB_AREC_MAGIC       "ABRECORD"
#define AB_AREC_VERSION     1
#define AB_AREC_HEADER      32
#define AB_AREC_CHUNK       12
#define AB_AREC_MAX_THREADS 256
#define AB_AREC_SIZES       15

enum { AB_AT_EVTS = 0x53545645, AB_AT_ROUN = 0x4e554f52, AB_AT_END = 0x00444e45 };

enum ab_arec_op {
        AB_AO_MALLOC,
        AB_AO_CALLOC,
        AB_AO_MEMALIGN,
        AB_AO_REALLOC,
        AB_AO_FREE_OWN,
        AB_AO_FREE_OTHER,
};

/* A thread's decoding (and encoding) state: its recent sizes, its last
 * site, how many blocks it made. The recent sizes organise themselves by
 * transposition: a size used again moves one place to the front, a new one
 * takes the first free place, or the last; what is used often ends near
 * the front at the cost of one swap (a move to the front would be a
 * memmove per event). */
struct ab_arec_state {
        uint64_t sizes[AB_AREC_SIZES]; /* size + 1; 0 unused */
        uint64_t site;
        uint64_t blocks;
        unsigned nsizes;
};

static inline void ab_arec_size_used(struct ab_arec_state *s, unsigned i)
{
        if (i) {
                uint64_t t = s->sizes[i - 1];
                s->sizes[i - 1] = s->sizes[i];
                s->sizes[i] = t;
        }
}

static inline void ab_arec_size_new(struct ab_arec_state *s, uint64_t size)
{
        if (s->nsizes < AB_AREC_SIZES)
                s->sizes[s->nsizes++] = size + 1;
        else
                s->sizes[AB_AREC_SIZES - 1] = size + 1;
}

/* The size's index (1..15) in the recent sizes, or 0 when it is not there
 * (then it is added); the sizes are updated as the decoder will. */
static inline unsigned ab_arec_size_index(struct ab_arec_state *s, uint64_t size)
{
        uint64_t key = size + 1;
        for (unsigned i = 0; i < s->nsizes; i++)
                if (s->sizes[i] == key) {
                        ab_arec_size_used(s, i);
                        return i + 1;
                }
        ab_arec_size_new(s, size);
        return 0;
}

/* The size at index k (1..15): 0 and *size, or -1 when that index holds
 * none yet (a malformed stream). */
static inline int ab_arec_size_at(struct ab_arec_state *s, unsigned k, uint64_t *size)
{
        if (k > s->nsizes)
                return -1;
        *size = s->sizes[k - 1] - 1;
        ab_arec_size_used(s, k - 1);
        return 0;
}

/* One decoded event. */
struct ab_arec_event {
        enum ab_arec_op op;
        uint64_t size, site, align_log2;
        /* the block freed or reallocated: thread and index; old_null for
         * realloc(NULL, size) */
        uint32_t thread;
        uint64_t block;
        bool old_null;
};

/* Decode the event at *p (thread `self` decoding with state s): 0 and *p
 * advanced, -1 when malformed or cut short. A FREE_OWN's or own REALLOC's
 * age is turned into the block's index here. */
static inline int ab_arec_decode(const uint8_t **p, const uint8_t *end, uint32_t self,
                                struct ab_arec_state *s, struct ab_arec_event *e)
{
        uint64_t v;
        uint8_t head;
        unsigned k;
        if (*p >= end)
                return -1;
        head = *(*p)++;
        e->op = (enum ab_arec_op)(head & 7);
        e->old_null = false;
        e->thread = self;
        if (e->op == AB_AO_FREE_OWN) {
                uint64_t age = head >> 3;
                if (age == 31 && ab_get_varint(p, end, &age))
                        return -1;
                if (age >= s->blocks)
                        return -1;
                e->block = s->blocks - 1 - age;
                return 0;
        }
        if (e->op == AB_AO_FREE_OTHER) {
                if (ab_get_varint(p, end, &v) || v >= AB_AREC_MAX_THREADS ||
                    ab_get_varint(p, end, &e->block))
                        return -1;
                e->thread = (uint32_t)v;
                return 0;
        }
        if (e->op > AB_AO_REALLOC)
                return -1;
        e->align_log2 = 0;
        if (e->op == AB_AO_MEMALIGN && (ab_get_varint(p, end, &e->align_log2) ||
                                        e->align_log2 > 40))
                return -1;
        if (e->op == AB_AO_REALLOC) {
                if (ab_get_varint(p, end, &v))
                        return -1;
                if (v == 0) {
                        e->old_null = true;
                } else if (!((v - 1) & 1)) {
                        uint64_t age = (v - 1) >> 1;
                        if (age >= s->blocks)
                                return -1;
                        e->block = s->blocks - 1 - age;
                } else {
                        uint64_t t;
                        if (ab_get_varint(p, end, &t) || t >= AB_AREC_MAX_THREADS ||
                            ab_get_varint(p, end, &e->block))
                                return -1;
                        e->thread = (uint32_t)t;
                }
        }
        k = (head >> 3) & 15;
        if (k) {
                if (ab_arec_size_at(s, k, &e->size))
                        return -1;
        } else {
                if (ab_get_varint(p, end, &e->size) || e->size >= UINT64_MAX - 1)
                        return -1;
                ab_arec_size_new(s, e->size);
        }
        if (!(head & 0x80) && ab_get_varint(p, end, &s->site))
                return -1;
        e->site = s->site;
        s->blocks++;
        return 0;
}

/* The longest event: a head byte and four varints. */
#define AB_AREC_EVENT_MAX 41

/* Encode allocation event e of thread `self` (MALLOC, CALLOC, MEMALIGN or
 * REALLOC; a REALLOC's old block in e->thread, e->block unless
 * e->old_null) at q; returns its length. The thread's next block is made. */
static inline size_t ab_arec_encode_alloc(uint8_t *q, struct ab_arec_state *s, uint32_t self,
                                          const struct ab_arec_event *e)
{
        uint8_t *p = q++; /* the head byte, written last */
        unsigned k;
        if (e->op == AB_AO_MEMALIGN)
                q += ab_put_varint(q, e->align_log2);
        if (e->op == AB_AO_REALLOC) {
                if (e->old_null) {
                        q += ab_put_varint(q, 0);
                } else if (e->thread == self) {
                        q += ab_put_varint(q, 1 + ((s->blocks - 1 - e->block) << 1));
                } else {
                        q += ab_put_varint(q, 2);
                        q += ab_put_varint(q, e->thread);
                        q += ab_put_varint(q, e->block);
                }
        }
        k = ab_arec_size_index(s, e->size);
        if (!k)
                q += ab_put_varint(q, e->size);
        *p = (uint8_t)(e->op | k << 3);
        if (s->site == e->site && s->blocks)
                *p |= 0x80;
        else
                q += ab_put_varint(q, e->site);
        s->site = e->site;
        s->blocks++;
        return (size_t)(q - p);
}

/* Encode a free by thread `self` of block `block` of thread `thread`. */
static inline size_t ab_arec_encode_free(uint8_t *q, const struct ab_arec_state *s, uint32_t self,
                                         uint32_t thread, uint64_t block)
{
        uint8_t *p = q;
        if (thread == self) {
                uint64_t age = s->blocks - 1 - block;
                if (age < 31)
                        return *q = (uint8_t)(AB_AO_FREE_OWN | age << 3), 1;
                *q++ = (uint8_t)(AB_AO_FREE_OWN | 31 << 3);
                q += ab_put_varint(q, age);
                return (size_t)(q - p);
        }
        *q++ = AB_AO_FREE_OTHER;
        q += ab_put_varint(q, thread);
        q += ab_put_varint(q, block);
        return (size_t)(q - p);
}

#endif
