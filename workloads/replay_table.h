/*
 * replay_table.h - the replay kernel's table of one recorded thread's
 * blocks: where each block it made is and its size, by the block's index
 * (trace/arec.h: a free names a block by its thread and index).
 *
 * The table is mapped, never malloc'd, and kept small against what the
 * replay measures: 16 bytes a block in pages of slots, and a page goes back
 * to the kernel once all its blocks are made and freed. A page far behind
 * the newest whose blocks are mostly freed (a quarter or fewer live: the
 * few long-lived ones a program keeps) has its live blocks moved to a hash
 * table beside it and goes back too; so the table holds about what is
 * live, not every block ever made.
 *
 * Shared between threads (shared = true): only the owner adds blocks and
 * moves pages out; another thread that takes one of its blocks out (a
 * cross-thread free) does it under the table's lock, as does the owner for
 * a block that was moved out.
 */
#ifndef AB_REPLAY_TABLE_H
#define AB_REPLAY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rp_slot {
        void *p; /* NULL: not made yet; RP_FREED; RP_EMPTY: live, no memory (0 bytes) */
        uint64_t size;
};
#define RP_FREED ((void *)1)
#define RP_EMPTY ((void *)2)

struct rp_table {
        struct rp_slot *slots;
        uint32_t *page_live; /* blocks made and live in each page of slots, or MOVED */
        size_t slots_len, page_live_len;
        uint64_t made;       /* blocks made (published with release) */
        uint64_t per_page, page;
        bool shared;
        uint32_t lock;
        uint64_t scan;       /* the older page the next sweep looks at */
        /* the blocks of pages moved out: index + 1 (0 empty, UINT64_MAX a
         * removed entry) and slot */
        uint64_t *okey;
        struct rp_slot *oval;
        size_t ocap, oused, otomb;
        uint64_t moved_pages, moved_blocks; /* how often (for the tests) */
};

/* 0, or -ENOMEM. `blocks`: how many the thread makes in all. */
int rp_table_init(struct rp_table *t, uint64_t blocks, uint64_t page, bool shared);
void rp_table_fini(struct rp_table *t);

/* The next block (index t->made) is p, of size bytes: 0, or -ENOMEM when
 * a page could not be moved out (the table is left as it was). */
int rp_table_put(struct rp_table *t, void *p, uint64_t size);

/* Block i (made: the caller waited for it) taken out: 0 with its memory and
 * size, or -EINVAL when it is not live (a malformed record). `own`: the
 * caller is the table's thread. */
int rp_table_take(struct rp_table *t, uint64_t i, bool own, void **p, uint64_t *size);

#endif
