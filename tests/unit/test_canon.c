/*
 * test_canon.c - the identity of a results document (harness/report/
 * history/canon.c) against SHA-256 values computed outside allocbench, with
 * coreutils' sha256sum over the canonical text written out by hand:
 *
 *   {"b": 1.0, "a": [0.5, "\u00e9", -0.0, 1e300]}
 *   canonical  {"a":[0.5,"\u00E9",0,1.0000000000000001e300],"b":1}
 *              9bd79b448f41fd84badd8f3213f27f52f36299dc3a77ba4b4908f86e3b502820
 *   as parsed  {"a":[0.5,"\u00E9",-0.0,1.0000000000000001e300],"b":1.0}
 *              4de9518a529feace738f36a8ed0f15df0d792530ea99c4e31884b6935bd8f180
 *   {}         44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
 *
 * Keys sorted, no whitespace, non-ASCII escaped, an integral real as an
 * integer (-0.0 too) unless it does not fit in 64 bits (1e300 stays a real,
 * to 17 digits). These bytes are what every history store holds: they must
 * not change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "report/history/canon.h"

static void test_canonical_and_legacy(void **state)
{
        json_t *d = json_loads("{\"b\": 1.0, \"a\": [0.5, \"\\u00e9\", -0.0, 1e300]}", 0, NULL);
        char hash[AB_HASH_HEX], legacy[AB_HASH_HEX];
        (void)state;
        assert_non_null(d);
        assert_int_equal(ab_canon_hash(d, hash, legacy), 0);
        assert_string_equal(hash,
                            "9bd79b448f41fd84badd8f3213f27f52f36299dc3a77ba4b4908f86e3b502820");
        assert_string_equal(legacy,
                            "4de9518a529feace738f36a8ed0f15df0d792530ea99c4e31884b6935bd8f180");
        /* the document itself is not changed */
        assert_true(json_is_real(json_object_get(d, "b")));
        json_decref(d);
}

/* Key order and whitespace are not part of the identity; numbers are by
 * value (1 and 1.0 are one number). */
static void test_same_results_same_hash(void **state)
{
        json_t *a = json_loads("{\"x\": {\"n\": 1, \"s\": \"v\"}, \"y\": [1, 2.5]}", 0, NULL);
        json_t *b = json_loads(
            "{ \"y\" : [ 1.0 , 2.5 ] ,\n \"x\" : { \"s\" : \"v\", \"n\" : 1.0 } }", 0, NULL);
        char ha[AB_HASH_HEX], hb[AB_HASH_HEX], la[AB_HASH_HEX], lb[AB_HASH_HEX];
        (void)state;
        assert_int_equal(ab_canon_hash(a, ha, la), 0);
        assert_int_equal(ab_canon_hash(b, hb, lb), 0);
        assert_string_equal(ha, hb);
        assert_string_equal(ha, la);     /* a has no integral real */
        assert_string_not_equal(lb, hb); /* b has */
        json_decref(a);
        json_decref(b);
}

static void test_empty(void **state)
{
        json_t *d = json_object();
        char h[AB_HASH_HEX], l[AB_HASH_HEX];
        (void)state;
        assert_int_equal(ab_canon_hash(d, h, l), 0);
        assert_string_equal(h, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
        assert_string_equal(l, h);
        json_decref(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_canonical_and_legacy),
            cmocka_unit_test(test_same_results_same_hash),
            cmocka_unit_test(test_empty),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
