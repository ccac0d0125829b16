/*
 * test_tracekey.c - the normalised site key and merging (sites.c,
 * symbols.c) on hand-made dumps in raw mode (frames named module!+0xOFFSET,
 * so no debug information is involved): clone suffixes and parameter lists
 * stripped from names, allocator frames dropped, recursion collapsed, two
 * stacks with one key merged, series and totals summed, several dumps
 * merged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../harness/trace/sites.h"
#include "../../harness/trace/symbols.h"
#include "tdump_build.h"

static void base_is(const char *in, const char *want)
{
        char buf[256];
        assert_string_equal(ab_symbols_base_name(in, buf, sizeof buf), want);
}

static void test_base_names(void **state)
{
        (void)state;
        base_is("timer_new", "timer_new");
        base_is("timer_new.isra.0", "timer_new");
        base_is("open_conn.constprop.0.isra.0", "open_conn");
        base_is("one_round.part.3", "one_round");
        base_is("main.cold", "main");
        base_is("f.lto_priv.0", "f");
        base_is("ns::Cls::method(int, char*) const", "ns::Cls::method");
        base_is("(anonymous namespace)::new_leaky()", "(anonymous namespace)::new_leaky");
        base_is("Foo::operator()(int) &&", "Foo::operator()");
        base_is("std::vector<int, std::allocator<int> >::_M_realloc_insert(int&&)",
                "std::vector<int, std::allocator<int> >::_M_realloc_insert");
        base_is("pthread_create@GLIBC_2.2.5", "pthread_create");
        base_is("__libc_start_main@@GLIBC_2.34", "__libc_start_main");
}

static char path[64];

static void write_dump(const char *file, const struct tb *b)
{
        FILE *f = fopen(file, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b->p, 1, b->len, f), b->len);
        fclose(f);
}

static int setup(void **state)
{
        (void)state;
        snprintf(path, sizeof path, "/tmp/abtk.%d", (int)getpid());
        return 0;
}

static int teardown(void **state)
{
        char other[80];
        (void)state;
        unlink(path);
        snprintf(other, sizeof other, "%s.2", path);
        unlink(other);
        return 0;
}

static void load_raw(const uint64_t (*stacks)[8], const uint32_t *depths, uint32_t n,
                     struct ab_sites *s)
{
        struct ab_sites_opts o = {.raw = true};
        struct tb b;
        char err[256];
        tb_simple(&b, stacks, depths, n, 1000);
        write_dump(path, &b);
        free(b.p);
        if (ab_sites_load(path, &o, s, err, sizeof err) != 0)
                fail_msg("load: %s", err);
}

/* Two stacks equal in their first 6 frames are one site; a third differs. */
static void test_merge_same_key(void **state)
{
        static const uint64_t st[3][8] = {
            {0x10100, 0x10200, 0x10300, 0x10400, 0x10500, 0x10600, 0x10700},
            {0x10100, 0x10200, 0x10300, 0x10400, 0x10500, 0x10600, 0x10800},
            {0x10900, 0x10200, 0x10300},
        };
        static const uint32_t d[3] = {7, 7, 3};
        struct ab_sites s;
        const struct ab_site *x;
        (void)state;
        load_raw(st, d, 3, &s);
        assert_int_equal(s.nsites, 2);
        x = ab_sites_find(&s, "prog!+0x100<+0x200<+0x300<+0x400<+0x500<+0x600");
        assert_non_null(x);
        assert_int_equal(x->nstacks, 2);
        assert_int_equal(x->total.allocs, 4);
        assert_int_equal(x->total.bytes_alloc, 2000);
        assert_int_equal(x->nframes, 7);
        assert_int_equal(s.nrounds, 3);
        assert_int_equal(x->rounds[0].live_bytes, 2000);
        assert_int_equal(x->rounds[0].live_blocks, 4);
        assert_int_equal(x->rounds[1].live_bytes, 1000);
        assert_int_equal(x->rounds[2].live_bytes, 0); /* the REPEAT round */
        assert_int_equal(x->rounds[2].bytes_freed, 1000);
        assert_string_equal(s.round_phase[1], "warm");
        assert_null(s.round_phase[0]);
        assert_int_equal(s.round_end_us[2], 300);
        assert_int_equal(s.procs[0].self[AB_TD_SELF_CALLS], 99);
        assert_non_null(ab_sites_find(&s, "prog!+0x900<+0x200<+0x300"));
        ab_sites_free(&s);
}

/* Allocator frames are dropped, recursion collapses. */
static void test_drop_and_collapse(void **state)
{
        static const uint64_t st[2][8] = {
            {0x7f0000000100ull, 0x7f0000000200ull, 0x10100, 0x10100, 0x10100, 0x10200},
            {0x10300, 0x10300, 0x10400},
        };
        static const uint32_t d[2] = {6, 3};
        struct ab_sites s;
        const struct ab_site *x;
        (void)state;
        load_raw(st, d, 2, &s);
        x = ab_sites_find(&s, "prog!+0x100<+0x200");
        assert_non_null(x);
        assert_true(x->frames[0].dropped);
        assert_false(x->frames[2].dropped);
        assert_non_null(ab_sites_find(&s, "prog!+0x300<+0x400"));
        ab_sites_free(&s);
}

/* Dumps of two processes: same keys merge, totals and rounds add up. */
static void test_merge_dumps(void **state)
{
        static const uint64_t st[1][8] = {{0x10100, 0x10200}};
        static const uint32_t d[1] = {2};
        struct ab_sites_opts o = {.raw = true, .key_frames = 1};
        struct ab_sites s;
        struct tb b;
        char other[80], err[256];
        const char *paths[2] = {path, other};
        (void)state;
        snprintf(other, sizeof other, "%s.2", path);
        tb_simple(&b, st, d, 1, 1000);
        write_dump(path, &b);
        write_dump(other, &b);
        free(b.p);
        assert_int_equal(ab_sites_load_many(paths, 2, &o, &s, err, sizeof err), 0);
        assert_int_equal(s.nprocs, 2);
        assert_int_equal(s.nsites, 1);
        assert_string_equal(s.sites[0].key, "prog!+0x100");
        assert_int_equal(s.sites[0].nstacks, 2);
        assert_int_equal(s.sites[0].total.bytes_alloc, 2000);
        assert_int_equal(s.sites[0].rounds[0].live_bytes, 2000);
        ab_sites_free(&s);
}

/* A refused dump reaches the caller with its path and offset. */
static void test_refused_dump(void **state)
{
        struct ab_sites s;
        struct tb b;
        char err[256];
        static const uint64_t st[1][8] = {{0x10100}};
        static const uint32_t d[1] = {1};
        (void)state;
        tb_simple(&b, st, d, 1, 1000);
        b.p[3] = 0;
        write_dump(path, &b);
        free(b.p);
        assert_int_equal(ab_sites_load(path, NULL, &s, err, sizeof err), -22);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "offset 0: bad magic"));
        ab_sites_free(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_base_names),
            cmocka_unit_test_setup_teardown(test_merge_same_key, setup, teardown),
            cmocka_unit_test_setup_teardown(test_drop_and_collapse, setup, teardown),
            cmocka_unit_test_setup_teardown(test_merge_dumps, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refused_dump, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
