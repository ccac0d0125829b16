/*
 * tdump_build.h - writes tracer dumps by hand, from the format as
 * dumpfmt.h states it (not through the tracer's writer), so the reader is
 * tested against the specification. Header-only; for the trace tests.
 */
#ifndef AB_TDUMP_BUILD_H
#define AB_TDUMP_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/trace/dumpfmt.h"

struct tb {
        uint8_t *p;
        size_t len, cap;
        uint32_t nsec;
};

static inline void tb_bytes(struct tb *b, const void *src, size_t n)
{
        if (b->len + n > b->cap) {
                b->cap = (b->len + n) * 2 + 256;
                b->p = realloc(b->p, b->cap);
                if (!b->p)
                        abort();
        }
        memcpy(b->p + b->len, src, n);
        b->len += n;
}

static inline void tb_le(struct tb *b, uint64_t v, int n)
{
        uint8_t x[8];
        ab_td_put_le(x, v, n);
        tb_bytes(b, x, (size_t)n);
}

static inline void tb_varint(struct tb *b, uint64_t v)
{
        uint8_t x[10];
        tb_bytes(b, x, ab_td_put_varint(x, v));
}

/* The header; sections follow; tb_finish() fills in counts and size. */
static inline void tb_start(struct tb *b, uint64_t sample_bytes)
{
        memset(b, 0, sizeof *b);
        tb_bytes(b, AB_TD_MAGIC, 8);
        tb_le(b, AB_TD_VERSION, 2);
        tb_le(b, AB_TD_HEADER_SIZE, 2);
        tb_le(b, AB_TD_F_FINAL | (sample_bytes ? AB_TD_F_SAMPLED : 0), 4);
        tb_le(b, 1234, 4);         /* pid */
        tb_le(b, 1, 4);            /* ppid */
        tb_le(b, sample_bytes, 8); /* sampling */
        tb_le(b, 128 << 10, 8);    /* big */
        tb_le(b, 32, 4);           /* depth */
        tb_le(b, 0, 4);            /* sections, patched */
        tb_le(b, 1700000000000000000ull, 8);
        tb_le(b, 1000000, 8);
        tb_le(b, 0, 8); /* size, patched */
}

static inline size_t tb_section(struct tb *b, uint32_t tag, uint32_t count)
{
        size_t at = b->len;
        tb_le(b, tag, 4);
        tb_le(b, count, 4);
        tb_le(b, 0, 8);
        b->nsec++;
        return at;
}

static inline void tb_section_end(struct tb *b, size_t at)
{
        ab_td_put_le(b->p + at + 8, b->len - at - AB_TD_SECTION_HDR, 8);
}

static inline void tb_module(struct tb *b, const char *path, uint64_t base, uint64_t size)
{
        uint8_t id[4] = {0xde, 0xad, 0xbe, 0xef};
        tb_varint(b, strlen(path));
        tb_bytes(b, path, strlen(path));
        tb_varint(b, base);
        tb_varint(b, size);
        tb_bytes(b, "\x04", 1);
        tb_bytes(b, id, 4);
}

static inline void tb_stack(struct tb *b, const uint64_t *pcs, uint32_t n)
{
        tb_varint(b, n);
        tb_varint(b, 0);
        for (uint32_t i = 0; i < n; i++)
                tb_varint(b, i ? ab_td_zigzag((int64_t)(pcs[i] - pcs[i - 1])) : pcs[0]);
}

/* A record of allocs, frees, bytes_alloc, bytes_freed (0 fields omitted). */
static inline void tb_rec(struct tb *b, uint32_t gap, uint64_t allocs, uint64_t frees,
                          uint64_t bytes, uint64_t freed)
{
        uint64_t v[4] = {allocs, frees, bytes, freed};
        uint32_t mask = 0;
        for (int f = 0; f < 4; f++)
                if (v[f])
                        mask |= 1u << f;
        tb_varint(b, gap);
        tb_varint(b, mask);
        for (int f = 0; f < 4; f++)
                if (v[f])
                        tb_varint(b, v[f]);
}

static inline void tb_finish(struct tb *b)
{
        size_t at = tb_section(b, AB_TD_END, 0);
        tb_section_end(b, at);
        ab_td_put_le(b->p + 44, b->nsec, 4);
        ab_td_put_le(b->p + 64, b->len, 8);
}

/* Module 0 "/nonexistent/prog" at 0x10000 (size 0x10000), module 1
 * "/nonexistent/libjemalloc.so.2" at 0x7f0000000000. Stacks as given (site
 * 0 is added), two rounds: each site allocates `bytes` in round 0 and
 * frees half in round 1 (REPEAT is used where it applies). */
static inline void tb_simple(struct tb *b, const uint64_t (*stacks)[8], const uint32_t *depths,
                             uint32_t nstacks, uint64_t bytes)
{
        size_t at;
        tb_start(b, 0);
        at = tb_section(b, AB_TD_MODULES, 2);
        tb_module(b, "/nonexistent/prog", 0x10000, 0x10000);
        tb_module(b, "/nonexistent/libjemalloc.so.2", 0x7f0000000000ull, 0x100000);
        tb_section_end(b, at);
        at = tb_section(b, AB_TD_STACKS, nstacks + 1);
        tb_stack(b, NULL, 0);
        for (uint32_t i = 0; i < nstacks; i++)
                tb_stack(b, stacks[i], depths[i]);
        tb_section_end(b, at);
        at = tb_section(b, AB_TD_PHASES, 1);
        tb_varint(b, 1);
        tb_varint(b, 4);
        tb_bytes(b, "warm", 4);
        tb_section_end(b, at);
        at = tb_section(b, AB_TD_ROUNDS, 3);
        tb_varint(b, 100); /* round 0 */
        tb_varint(b, 0);
        tb_varint(b, nstacks);
        for (uint32_t i = 0; i < nstacks; i++)
                tb_rec(b, i ? 0 : 1, 2, 0, bytes, 0); /* site 1 first, then +1 */
        tb_varint(b, 200);                            /* round 1 */
        tb_varint(b, 1);
        tb_varint(b, nstacks);
        for (uint32_t i = 0; i < nstacks; i++)
                tb_rec(b, i ? 0 : 1, 0, 1, 0, bytes / 2);
        tb_varint(b, 300); /* round 2: the same as round 1, by REPEAT */
        tb_varint(b, 1);
        tb_varint(b, nstacks);
        for (uint32_t i = 0; i < nstacks; i++) {
                tb_varint(b, i ? 0 : 1);
                tb_varint(b, AB_TD_REPEAT);
        }
        tb_section_end(b, at);
        at = tb_section(b, AB_TD_TOTALS, nstacks);
        for (uint32_t i = 0; i < nstacks; i++)
                tb_rec(b, i ? 0 : 1, 2, 2, bytes, bytes);
        tb_section_end(b, at);
        at = tb_section(b, AB_TD_SELF, 1);
        tb_varint(b, AB_TD_SELF_CALLS);
        tb_varint(b, 99);
        tb_section_end(b, at);
        tb_finish(b);
}

#endif
