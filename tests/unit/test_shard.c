/*
 * test_shard.c - the shard rule and --shard's parser (measure/shard.c), and
 * the words of a command that decide what it measured (doc/command.c), on
 * which bench merge and compare's host view rely.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "doc/doc.h"
#include "measure/shard.h"

/* For every matrix size up to 200 cells and every split into up to 12
 * shards: each cell in exactly one shard from 1 to N, and the shards' cell
 * counts differ by at most one. */
static void test_rule_partitions_and_balances(void **state)
{
        (void)state;
        for (uint64_t m = 0; m <= 200; m++)
                for (unsigned n = 1; n <= 12; n++) {
                        uint64_t count[13] = {0}, lo = UINT64_MAX, hi = 0;
                        for (uint64_t c = 0; c < m; c++) {
                                unsigned k = ab_shard_of(c, n);
                                assert_true(k >= 1 && k <= n);
                                count[k]++;
                        }
                        for (unsigned k = 1; k <= n; k++) {
                                lo = count[k] < lo ? count[k] : lo;
                                hi = count[k] > hi ? count[k] : hi;
                        }
                        assert_true(hi - lo <= 1);
                        assert_int_equal(hi, (m + n - 1) / n);
                }
}

/* The turn: with as many allocators as shards (cells of one point in a
 * row), no shard gets every cell of one allocator; each gets each
 * allocator once per N points. */
static void test_rule_turns(void **state)
{
        const unsigned n = 4, allocs = 4, points = 8;
        (void)state;
        for (unsigned a = 0; a < allocs; a++) {
                unsigned per_shard[5] = {0};
                for (unsigned p = 0; p < points; p++)
                        per_shard[ab_shard_of((uint64_t)p * allocs + a, n)]++;
                for (unsigned k = 1; k <= n; k++)
                        assert_int_equal(per_shard[k], points / n);
        }
        /* the first cells, by hand: 0..3 to 1..4, then 4..7 to 2,3,4,1 */
        assert_int_equal(ab_shard_of(0, 4), 1);
        assert_int_equal(ab_shard_of(3, 4), 4);
        assert_int_equal(ab_shard_of(4, 4), 2);
        assert_int_equal(ab_shard_of(7, 4), 1);
        assert_int_equal(ab_shard_of(16, 4), 1);
}

static void test_parse(void **state)
{
        static const char *const bad[] = {"0/4",  "5/4", "x",  "1/0", "3",    "1/4/2",
                                          "-1/4", "2/",  "/4", "",    " 1/4", "1/100001"};
        unsigned k = 0, n = 0;
        char err[128];
        (void)state;
        assert_int_equal(ab_shard_parse("2/4", &k, &n, err, sizeof err), 0);
        assert_int_equal(k, 2);
        assert_int_equal(n, 4);
        assert_int_equal(ab_shard_parse("1/1", &k, &n, err, sizeof err), 0);
        assert_int_equal(ab_shard_parse("100000/100000", &k, &n, err, sizeof err), 0);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                err[0] = '\0';
                assert_int_not_equal(ab_shard_parse(bad[i], &k, &n, err, sizeof err), 0);
                assert_true(err[0] != '\0');
        }
        assert_int_equal(ab_shard_parse("5/4", &k, &n, err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "K must be from 1 to N"));
}

/* The words of cmd (a space-separated command) under drop, space-separated. */
static const char *words(const char *cmd, int drop)
{
        static char out[512];
        char buf[512], *save, *w;
        json_t *a = json_array(), *r, *v;
        size_t off = 0, i;
        snprintf(buf, sizeof buf, "%s", cmd);
        for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
                json_array_append_new(a, json_string(w));
        r = ab_command_words(a, drop);
        out[0] = '\0';
        json_array_foreach(r, i, v) off += (size_t)snprintf(out + off, sizeof out - off, "%s%s",
                                                            i ? " " : "", json_string_value(v));
        json_decref(a);
        json_decref(r);
        return out;
}

static void test_command_words(void **state)
{
        const int all = AB_CMD_PROGRAM | AB_CMD_OUTPUT | AB_CMD_SHARD;
        (void)state;
        assert_string_equal(words("./bench --alloc=glibc --shard 2/4 -o s2.json -q", all),
                            "--alloc=glibc");
        assert_string_equal(
            words("/usr/bin/bench run --shard=1/4 --output=a.json --format json --reps 3", all),
            "--reps 3");
        assert_string_equal(words("bench -ofile.json --quiet --format=csv --seed 7", all),
                            "--seed 7");
        /* only what is asked: the merged command keeps bench, -o and the rest */
        assert_string_equal(words("./bench --alloc=glibc --shard 2/4 -o s2.json", AB_CMD_SHARD),
                            "./bench --alloc=glibc -o s2.json");
        /* the program after -- is kept whole, its -o and --shard too */
        assert_string_equal(words("bench --workload=cmd -q -- prog -o x --shard 1/2", all),
                            "--workload=cmd -- prog -o x --shard 1/2");
        /* a trailing option without its value */
        assert_string_equal(words("bench --reps 3 -o", all), "--reps 3");
        assert_string_equal(words("", all), "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rule_partitions_and_balances),
            cmocka_unit_test(test_rule_turns),
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_command_words),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
