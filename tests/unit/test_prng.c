/*
 * test_prng.c - prng.h against golden values: splitmix64's published
 * sequence, xoshiro256**'s published vector, and an independent
 * transcription of both reference algorithms, so a stream allocbench
 * recorded can still be reproduced outside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/prng.h"


/* ---- a straightforward transcription of the reference algorithms -------
 * splitmix64.c and xoshiro256starstar.c of Blackman and Vigna
 * (prng.di.unimi.it), written out again here without the library's code. */

static uint64_t ref_splitmix64(uint64_t *state)
{
        uint64_t z;
        *state = *state + UINT64_C(0x9E3779B97F4A7C15);
        z = *state;
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        return z ^ (z >> 31);
}

static uint64_t ref_rotl(uint64_t x, unsigned k)
{
        return (x << k) | (x >> (64u - k));
}

static uint64_t ref_xoshiro_next(uint64_t s[4])
{
        const uint64_t result = ref_rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = ref_rotl(s[3], 45);
        return result;
}

/* Seeding as prng.h documents it. */
static void ref_seed(uint64_t s[4], uint64_t seed, uint64_t stream)
{
        uint64_t x = seed ^ (stream * UINT64_C(0xd1342543de82ef95));
        for (int i = 0; i < 4; i++)
                s[i] = ref_splitmix64(&x);
}

/* ---- tests -------------------------------------------------------------- */

static void test_splitmix_published(void **state)
{
        uint64_t x = 0, r = 0;
        (void)state;
        /* the published sequence from state 0 */
        assert_true(ab_splitmix64(&x) == UINT64_C(0xe220a8397b1dcdaf));
        assert_true(ab_splitmix64(&x) == UINT64_C(0x6e789e6aa1b965f4));
        assert_true(ab_splitmix64(&x) == UINT64_C(0x06c45d188009454f));
        assert_true(ab_splitmix64(&x) == UINT64_C(0xf88bb8a8724c81ec));
        /* and the transcription agrees, so it can vouch for the rest */
        assert_true(ref_splitmix64(&r) == UINT64_C(0xe220a8397b1dcdaf));
        assert_true(ref_splitmix64(&r) == UINT64_C(0x6e789e6aa1b965f4));
        assert_true(ref_splitmix64(&r) == UINT64_C(0x06c45d188009454f));
        assert_true(ref_splitmix64(&r) == UINT64_C(0xf88bb8a8724c81ec));
        assert_true(x == r); /* both advanced the state the same way */
}

static void test_xoshiro_published_vector(void **state)
{
        /* The reference implementation's outputs from state {1, 2, 3, 4}. */
        static const uint64_t want[] = {11520u, 0u, 1509978240u, UINT64_C(1215971899390074240),
                                        UINT64_C(1216172134540287360)};
        struct ab_prng p = {{1, 2, 3, 4}};
        uint64_t r[4] = {1, 2, 3, 4};
        (void)state;
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
                assert_true(ab_prng_next(&p) == want[i]);
                assert_true(ref_xoshiro_next(r) == want[i]);
        }
        assert_memory_equal(p.s, r, sizeof r);
}

static void test_xoshiro_seed1_matches_reference(void **state)
{
        /* Observed from ab_prng_init(&p, 1, 0) and checked against the
         * transcription below; hard-coded so a change of algorithm or of
         * seeding is caught even if both sides changed together. */
        static const uint64_t golden[4] = {
                UINT64_C(0xb3f2af6d0fc710c5),
                UINT64_C(0x853b559647364cea),
                UINT64_C(0x92f89756082a4514),
                UINT64_C(0x642e1c7bc266a3a7),
        };
        struct ab_prng p;
        uint64_t r[4];
        (void)state;
        ab_prng_init(&p, 1, 0);
        ref_seed(r, 1, 0);
        assert_memory_equal(p.s, r, sizeof r);
        for (int i = 0; i < 4; i++) {
                uint64_t got = ab_prng_next(&p), ref = ref_xoshiro_next(r);
                if (got != ref || got != golden[i])
                        fail_msg("output %d: ab_prng_next 0x%016llx, reference 0x%016llx, "
                                 "golden 0x%016llx",
                                 i, (unsigned long long)got, (unsigned long long)ref,
                                 (unsigned long long)golden[i]);
        }
}

static void test_xoshiro_long_run_matches_reference(void **state)
{
        struct ab_prng p;
        uint64_t r[4];
        (void)state;
        for (uint64_t stream = 0; stream < 4; stream++) {
                ab_prng_init(&p, UINT64_C(0x123456789abcdef0), stream);
                ref_seed(r, UINT64_C(0x123456789abcdef0), stream);
                for (int i = 0; i < 10000; i++)
                        assert_true(ab_prng_next(&p) == ref_xoshiro_next(r));
        }
}

static void test_streams_differ(void **state)
{
        struct ab_prng a, b;
        int same = 0;
        (void)state;
        ab_prng_init(&a, 1, 0);
        ab_prng_init(&b, 1, 1);
        assert_memory_not_equal(a.s, b.s, sizeof a.s);
        for (int i = 0; i < 1000; i++)
                same += ab_prng_next(&a) == ab_prng_next(&b);
        assert_int_equal(same, 0);

        /* different seeds, same stream, differ too */
        ab_prng_init(&a, 1, 0);
        ab_prng_init(&b, 2, 0);
        assert_true(ab_prng_next(&a) != ab_prng_next(&b));
}

static void test_same_seed_same_values(void **state)
{
        struct ab_prng a, b;
        uint64_t first[1000];
        (void)state;
        ab_prng_init(&a, 42, 3);
        for (int i = 0; i < 1000; i++)
                first[i] = ab_prng_next(&a);
        ab_prng_init(&b, 42, 3);
        for (int i = 0; i < 1000; i++)
                assert_true(ab_prng_next(&b) == first[i]);
        /* and the stream is not trivially constant */
        assert_true(first[0] != first[1]);
}

static void test_below_range_and_coverage(void **state)
{
        struct ab_prng p;
        unsigned seen[10] = {0};
        (void)state;
        ab_prng_init(&p, 7, 0);
        for (int i = 0; i < 1000; i++) {
                uint64_t v = ab_prng_below(&p, 10);
                assert_true(v < 10);
                seen[v]++;
        }
        for (int v = 0; v < 10; v++)
                if (seen[v] == 0)
                        fail_msg("value %d never drawn in 1000 draws", v);

        /* n = 1 can only give 0 */
        for (int i = 0; i < 100; i++)
                assert_int_equal(ab_prng_below(&p, 1), 0);
}

static void test_below_is_multiply_shift(void **state)
{
        /* Lemire's mapping: the high 64 bits of next * n. */
        struct ab_prng p, q;
        (void)state;
        ab_prng_init(&p, 99, 0);
        ab_prng_init(&q, 99, 0);
        for (int i = 0; i < 100; i++) {
                uint64_t n = 1000003;
                uint64_t want = (uint64_t)(((unsigned __int128)ab_prng_next(&q) * n) >> 64);
                assert_true(ab_prng_below(&p, n) == want);
        }
}

static void test_hash_order_sensitive(void **state)
{
        uint64_t ab = ab_hash_op(ab_hash_op(AB_HASH_INIT, 1, 4096), 2, 8192);
        uint64_t ba = ab_hash_op(ab_hash_op(AB_HASH_INIT, 2, 8192), 1, 4096);
        uint64_t ab2 = ab_hash_op(ab_hash_op(AB_HASH_INIT, 1, 4096), 2, 8192);
        (void)state;
        assert_true(ab != ba);
        assert_true(ab == ab2); /* deterministic */
        /* code and argument are not interchangeable */
        assert_true(ab_hash_op(AB_HASH_INIT, 1, 2) != ab_hash_op(AB_HASH_INIT, 2, 1));
        /* every op changes the hash */
        assert_true(ab_hash_op(AB_HASH_INIT, 0, 0) != AB_HASH_INIT);
        /* the same op twice is not the identity */
        assert_true(ab_hash_op(ab_hash_op(AB_HASH_INIT, 1, 1), 1, 1) != AB_HASH_INIT);
}

static void test_hash_definition(void **state)
{
        /* ab_hash_u64 is one splitmix64 step from h ^ v (prng.h) */
        uint64_t x = AB_HASH_INIT ^ 5;
        (void)state;
        assert_true(AB_HASH_INIT == UINT64_C(0xcbf29ce484222325));
        assert_true(ab_hash_u64(AB_HASH_INIT, 5) == ref_splitmix64(&x));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_splitmix_published),
                cmocka_unit_test(test_xoshiro_published_vector),
                cmocka_unit_test(test_xoshiro_seed1_matches_reference),
                cmocka_unit_test(test_xoshiro_long_run_matches_reference),
                cmocka_unit_test(test_streams_differ),
                cmocka_unit_test(test_same_seed_same_values),
                cmocka_unit_test(test_below_range_and_coverage),
                cmocka_unit_test(test_below_is_multiply_shift),
                cmocka_unit_test(test_hash_order_sensitive),
                cmocka_unit_test(test_hash_definition),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
