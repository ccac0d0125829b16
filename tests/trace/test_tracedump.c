/*
 * test_tracedump.c - the dump reader (harness/trace/dump.c) against dumps
 * written by hand from the format's specification (tdump_build.h) and
 * against a dump the tracer wrote: every field decoded, REPEAT records
 * expanded, and every truncation or corruption refused with the byte
 * offset, never a crash. Environment: AB_BUILD (default build) holds
 * libabtrace.so and trace_prog for the real dump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../harness/trace/dump.h"
#include "tdump_build.h"

static const uint64_t stacks3[3][8] = {
    {0x10100, 0x10200, 0x10300},
    {0x10400, 0x10200, 0x10300},
    {0x7f0000000100ull, 0x10500},
};
static const uint32_t depths3[3] = {3, 3, 2};

static void refused(const uint8_t *p, size_t len, const char *want)
{
        struct ab_tdump d;
        char err[256];
        int r = ab_tdump_parse(p, len, &d, err, sizeof err);
        assert_int_equal(r, -22);
        assert_non_null(strstr(err, "offset "));
        if (want && !strstr(err, want))
                fail_msg("error '%s' lacks '%s'", err, want);
        ab_tdump_free(&d);
}

static void test_fields(void **state)
{
        struct tb b;
        struct ab_tdump d;
        char err[256];
        (void)state;
        tb_simple(&b, stacks3, depths3, 3, 1000);
        assert_int_equal(ab_tdump_parse(b.p, b.len, &d, err, sizeof err), 0);
        assert_int_equal(d.version, AB_TD_VERSION);
        assert_int_equal(d.pid, 1234);
        assert_int_equal(d.nmodules, 2);
        assert_string_equal(d.modules[1].path, "/nonexistent/libjemalloc.so.2");
        assert_int_equal(d.modules[1].build_id_len, 4);
        assert_int_equal(d.modules[1].build_id[0], 0xde);
        assert_int_equal(d.nstacks, 4);
        assert_int_equal(d.stacks[0].depth, 0);
        assert_int_equal(d.stacks[3].depth, 2);
        assert_true(d.stacks[3].pcs[0] == 0x7f0000000100ull); /* zigzag down */
        assert_true(d.stacks[3].pcs[1] == 0x10500);
        assert_int_equal(d.nphases, 1);
        assert_string_equal(d.phases[0].name, "warm");
        assert_int_equal(d.nrounds, 3);
        assert_int_equal(d.rounds[1].phase, 1);
        assert_int_equal(d.rounds[2].nrecs, 3);
        for (int k = 0; k < 3; k++) {
                assert_int_equal(d.rounds[0].recs[k].site, k + 1);
                assert_int_equal(d.rounds[0].recs[k].v[AB_TD_BYTES_ALLOC], 1000);
                /* round 2 repeats round 1 */
                assert_int_equal(d.rounds[2].recs[k].site, k + 1);
                assert_int_equal(d.rounds[2].recs[k].v[AB_TD_FREES], 1);
                assert_int_equal(d.rounds[2].recs[k].v[AB_TD_BYTES_FREED], 500);
                assert_int_equal(d.rounds[2].recs[k].v[AB_TD_BYTES_ALLOC], 0);
        }
        assert_int_equal(d.ntotals, 3);
        assert_int_equal(d.totals[2].v[AB_TD_ALLOCS], 2);
        assert_int_equal(d.self[AB_TD_SELF_CALLS], 99);
        ab_tdump_free(&d);
        free(b.p);
}

static void test_truncated_everywhere(void **state)
{
        struct tb b;
        (void)state;
        tb_simple(&b, stacks3, depths3, 3, 1000);
        for (size_t n = 0; n < b.len; n++) {
                /* the header's size no longer matches: patch it so that the
                 * sections themselves are checked too */
                uint8_t *p = malloc(b.len);
                memcpy(p, b.p, b.len);
                if (n >= AB_TD_HEADER_SIZE)
                        ab_td_put_le(p + 64, n, 8);
                refused(p, n, NULL);
                free(p);
        }
        free(b.p);
}

static void test_bad_header(void **state)
{
        struct tb b;
        (void)state;
        tb_simple(&b, stacks3, depths3, 3, 1000);
        b.p[0] = 'X';
        refused(b.p, b.len, "offset 0: bad magic");
        b.p[0] = 'A';
        b.p[8] = 1; /* version 1: REPEAT was bit 15, without ZC_BYTES and RESERVE_BYTES */
        refused(b.p, b.len, "offset 8: version 1 not supported");
        b.p[8] = AB_TD_VERSION + 1;
        refused(b.p, b.len, "not supported");
        b.p[8] = AB_TD_VERSION;
        ab_td_put_le(b.p + 64, b.len + 5, 8);
        refused(b.p, b.len, "truncated");
        ab_td_put_le(b.p + 64, b.len, 8);
        ab_td_put_le(b.p + 44, 0, 4);
        refused(b.p, b.len, "offset 44: section count 0");
        free(b.p);
}

/* A dump whose STACKS section claims depth 200 for site 1. */
static void test_depth_out_of_range(void **state)
{
        struct tb b;
        size_t at;
        char want[64];
        (void)state;
        tb_start(&b, 0);
        at = tb_section(&b, AB_TD_MODULES, 0);
        tb_section_end(&b, at);
        at = tb_section(&b, AB_TD_STACKS, 2);
        tb_stack(&b, NULL, 0);
        snprintf(want, sizeof want, "offset %zu: stack depth 200 out of range", b.len);
        tb_varint(&b, 200);
        for (int i = 0; i < 400; i++)
                tb_varint(&b, 1);
        tb_section_end(&b, at);
        tb_finish(&b);
        refused(b.p, b.len, want);
        free(b.p);
}

/* Counts and site ids beyond what the dump holds. */
static void test_counts_out_of_range(void **state)
{
        struct tb b;
        size_t at;
        (void)state;
        tb_start(&b, 0);
        at = tb_section(&b, AB_TD_MODULES, 0);
        tb_section_end(&b, at);
        at = tb_section(&b, AB_TD_STACKS, 1);
        tb_stack(&b, NULL, 0);
        tb_section_end(&b, at);
        at = tb_section(&b, AB_TD_ROUNDS, 1);
        tb_varint(&b, 1);
        tb_varint(&b, 0);
        tb_varint(&b, 1);
        tb_rec(&b, 5, 1, 0, 8, 0); /* site 5 of 1 */
        tb_section_end(&b, at);
        at = tb_section(&b, AB_TD_TOTALS, 0);
        tb_section_end(&b, at);
        tb_finish(&b);
        refused(b.p, b.len, "record site 5 out of range (1 stacks)");
        free(b.p);

        tb_start(&b, 0);
        at = tb_section(&b, AB_TD_MODULES, 4000000);
        tb_section_end(&b, at);
        tb_finish(&b);
        refused(b.p, b.len, "offset 76: module count 4000000 out of range");
        free(b.p);

        tb_start(&b, 0);
        at = tb_section(&b, AB_TD_MODULES, 60000);
        tb_varint(&b, 0);
        tb_section_end(&b, at);
        tb_finish(&b);
        refused(b.p, b.len, "needs more bytes");
        free(b.p);
}

/* Every single-bit flip of a valid dump parses or is refused with an
 * offset; none crashes (the fuzzer goes further: make fuzz-trace). */
static void test_bit_flips(void **state)
{
        struct tb b;
        (void)state;
        tb_simple(&b, stacks3, depths3, 3, 1000);
        for (size_t i = 0; i < b.len; i++)
                for (int bit = 0; bit < 8; bit++) {
                        struct ab_tdump d;
                        char err[256] = "";
                        int r;
                        b.p[i] ^= (uint8_t)(1u << bit);
                        r = ab_tdump_parse(b.p, b.len, &d, err, sizeof err);
                        if (r != 0 && !strstr(err, "offset "))
                                fail_msg("flip at %zu bit %d: '%s'", i, bit, err);
                        ab_tdump_free(&d);
                        b.p[i] ^= (uint8_t)(1u << bit);
                }
        free(b.p);
}

/* A dump the tracer wrote: parses; every prefix is refused. */
static void test_real_dump(void **state)
{
        const char *build = getenv("AB_BUILD") ? getenv("AB_BUILD") : "build";
        char lib[512], prog[512], out[256], cmd[2048], path[300], err[256], pid[32];
        struct ab_tdump d;
        FILE *f;
        uint8_t *buf;
        long len;
        (void)state;
        snprintf(lib, sizeof lib, "%s/libabtrace.so", build);
        snprintf(prog, sizeof prog, "%s/trace_prog", build);
        if (access(lib, R_OK) != 0 || access(prog, X_OK) != 0)
                skip();
        snprintf(out, sizeof out, "/tmp/abtd.%d", (int)getpid());
        snprintf(cmd, sizeof cmd, "LD_PRELOAD=%s ALLOCBENCH_TRACE_OUT=%s.%%p %s 3 >%s.txt", lib,
                 out, prog, out);
        assert_int_equal(system(cmd), 0);
        f = fopen(strcat(strcpy(path, out), ".txt"), "r");
        assert_non_null(f);
        assert_int_equal(fscanf(f, "pid %31s", pid), 1);
        fclose(f);
        snprintf(path, sizeof path, "%s.%s", out, pid);
        assert_int_equal(ab_tdump_read(path, &d, err, sizeof err), 0);
        assert_true(d.flags & AB_TD_F_FINAL);
        assert_int_equal(d.nrounds, 3);
        assert_true(d.nstacks > 8);
        assert_true(d.nmodules > 3);
        ab_tdump_free(&d);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        rewind(f);
        buf = malloc((size_t)len);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        for (long n = 0; n < len; n++)
                refused(buf, (size_t)n, NULL);
        free(buf);
        snprintf(cmd, sizeof cmd, "rm -f %s.*", out);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields),
            cmocka_unit_test(test_truncated_everywhere),
            cmocka_unit_test(test_bad_header),
            cmocka_unit_test(test_depth_out_of_range),
            cmocka_unit_test(test_counts_out_of_range),
            cmocka_unit_test(test_bit_flips),
            cmocka_unit_test(test_real_dump),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
