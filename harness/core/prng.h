/*
 * prng.h - the project's one source of randomness, and the op-stream hash.
 *
 * splitmix64 expands a 64-bit seed into state; xoshiro256** produces the
 * stream. Both are the reference algorithms of Vigna and Blackman, so a
 * stream can be reproduced outside allocbench. Threaded kernels derive one
 * independent stream per thread with ab_prng_init(&s, seed, thread_index).
 * Header-only and allocation-free: it runs inside measured regions.
 */
#ifndef AB_PRNG_H
#define AB_PRNG_H

#include <stdint.h>

struct ab_prng {
        uint64_t s[4];
};

static inline uint64_t ab_splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

/* Stream `stream` (0 for single-threaded kernels, thread index otherwise) of `seed`. */
static inline void ab_prng_init(struct ab_prng *p, uint64_t seed, uint64_t stream)
{
        uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
        for (int i = 0; i < 4; i++)
                p->s[i] = ab_splitmix64(&x);
}

static inline uint64_t ab_rotl64(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static inline uint64_t ab_prng_next(struct ab_prng *p)
{
        uint64_t *s = p->s;
        uint64_t result = ab_rotl64(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = ab_rotl64(s[3], 45);
        return result;
}

/* Uniform in [0, n) by Lemire's multiply-shift (bias below 2^-32 for n < 2^32). */
static inline uint64_t ab_prng_below(struct ab_prng *p, uint64_t n)
{
        return (uint64_t)(((unsigned __int128)ab_prng_next(p) * n) >> 64);
}

/* The op-stream hash: order-sensitive, seeded with FNV's offset basis. Each
 * operation folds in its code and argument. */
#define AB_HASH_INIT 0xcbf29ce484222325ull

static inline uint64_t ab_hash_u64(uint64_t h, uint64_t v)
{
        uint64_t x = h ^ v;
        return ab_splitmix64(&x);
}

static inline uint64_t ab_hash_op(uint64_t h, uint32_t code, uint64_t arg)
{
        return ab_hash_u64(ab_hash_u64(h, code), arg);
}

#endif
