/*
 * wire.h - the byte-level codings the tracer's files share (dumpfmt.h, the
 * dump; arec.h, the allocation record): LEB128 varints, zigzag for signed
 * values, fixed-width little-endian integers. Header-only, allocation-free:
 * the tracer writes with them inside a traced process.
 */
#ifndef AB_WIRE_H
#define AB_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* v at p (room for 10 bytes); returns the bytes written. */
static inline size_t ab_put_varint(uint8_t *p, uint64_t v)
{
        size_t n = 0;
        while (v >= 0x80) {
                p[n++] = (uint8_t)(v | 0x80);
                v >>= 7;
        }
        p[n++] = (uint8_t)v;
        return n;
}

/* A varint from [*p, end): 0 and *p advanced, or -1 when it is cut short,
 * longer than 10 bytes or overflows 64 bits. */
static inline int ab_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
        uint64_t v = 0;
        const uint8_t *q = *p;
        for (unsigned shift = 0; shift < 70; shift += 7) {
                uint8_t b;
                if (q >= end)
                        return -1;
                b = *q++;
                if (shift == 63 && b > 1)
                        return -1;
                v |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *p = q;
                        *out = v;
                        return 0;
                }
        }
        return -1;
}

static inline uint64_t ab_zigzag(int64_t v)
{
        return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t ab_unzigzag(uint64_t v)
{
        return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void ab_put_le(uint8_t *p, uint64_t v, int bytes)
{
        for (int i = 0; i < bytes; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t ab_get_le(const uint8_t *p, int bytes)
{
        uint64_t v = 0;
        for (int i = 0; i < bytes; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

#endif
