/*
 * test_detect_program.c - the detectors on a user's program (cmd) run, on
 * hand-made results documents: rounds with the tree's resident anonymous
 * memory, anonymous address space, threads and processes, and phases;
 * native and launcher runs side by side; a program that exits non-zero; a
 * preload that did not serve malloc.
 */
#include "detect_fixtures.h"

/* A cmd run of doc (borrowed): the program's words, a launcher or NULL. */
static json_t *prog_run(json_t *doc, const char *alloc, const char *wrap)
{
        json_t *r = add_run(doc, alloc, "cmd", "cmd", NULL);
        json_object_set_new(r, "program", json_pack("[s,s]", "/usr/bin/leaky", "--fast"));
        json_object_set_new(r, "wrap", wrap ? json_string(wrap) : json_null());
        add_point(r, NULL, 5e8, 1e7);
        return r;
}

/* A program's round: resident anonymous memory and address space (KiB),
 * VSZ (KiB), threads, processes, and the phase named last (or NULL). */
static void prog_round(json_t *run, double anon_kib, double anon_vsz_kib, double vsz_kib,
                       double threads, const char *phase)
{
        size_t i = json_array_size(get(run, "rounds"));
        json_t *r =
            json_pack("{s:I,s:f,s:f,s:f,s:f,s:n,s:f,s:f,s:f,s:f,s:s?}", "index", (json_int_t)i,
                      "ns", 5e7, "rss_kib", anon_kib + 8000, "vsz_kib", vsz_kib, "pte_kib", 120.0,
                      "live_bytes", "anon_kib", anon_kib, "anon_vsz_kib", anon_vsz_kib, "threads",
                      threads, "procs", 1.0, "phase", phase);
        assert_non_null(r);
        json_array_append_new(get(run, "rounds"), r);
}

/* n rounds starting at anon0 KiB, growing by step KiB a round (a small
 * alternating wobble on top, as a real program has). */
static void prog_rounds(json_t *run, int n, double anon0, double step, const char *phase)
{
        for (int i = 0; i < n; i++) {
                double a = anon0 + step * i + (i % 2 ? 6 : 0);
                prog_round(run, a, a + 2048, a + 30000, 1, phase);
        }
}

/* ---- leak-growth ----------------------------------------------------------------- */

/* 256 KiB more resident anonymous memory every round: flagged, the first
 * fifth discarded, the program named in the run's identity. */
static void test_leak_anon_fires(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f;
        struct ab_doc view;
        char err[256];
        (void)state;
        run = prog_run(doc, "glibc", NULL);
        prog_rounds(run, 20, 4000, 256, NULL);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-growth", "warn", "glibc", "cmd");
        check_where_round(f, 19);
        assert_near(ev(f, "anon_kib_per_round"), 256, 1);
        assert_near(ev(f, "first_round_used"), 4, 0);
        assert_near(ev(f, "rounds_used"), 16, 0);
        assert_true(contains(str(f, "message"), "resident anonymous memory grows by 256"));
        assert_true(contains(str(f, "hint"), "allocbench_phase"));
        json_decref(flags);
        /* the flag carries the identity: program and arguments */
        assert_int_equal(ab_doc_view(doc, &view, err, sizeof err), 0);
        assert_string_equal(view.runs[0].workload_id, "cmd: leaky --fast");
        ab_doc_free(&view);
        json_decref(doc);
}

/* Below the floors: 32 KiB a round (under 64 KiB), or flat with a wobble. */
static void test_leak_small_or_flat_none(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags;
        (void)state;
        run = prog_run(doc, "glibc", NULL);
        prog_rounds(run, 20, 4000, 32, NULL);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        run = prog_run(doc, "jemalloc", NULL);
        prog_rounds(run, 20, 4000, 0, NULL);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        /* the same growth at 256 KiB a round is flagged: the floor decides */
        run = prog_run(doc, "mimalloc", NULL);
        prog_rounds(run, 20, 4000, 256, NULL);
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        json_decref(flags);
        json_decref(doc);
}

/* Only the last phase counts: a warm-up that grows is not a leak; a
 * steady phase that grows is, read from its own first rounds. */
static void test_leak_last_phase(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f;
        (void)state;
        run = prog_run(doc, "glibc", NULL);
        prog_rounds(run, 10, 2000, 2048, "warm-up");
        prog_rounds(run, 20, 30000, 0, "steady");
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);

        run = prog_run(doc, "jemalloc", NULL);
        prog_rounds(run, 10, 2000, 0, "warm-up");
        prog_rounds(run, 20, 3000, 512, "steady");
        flags = run_detector(ab_detect_leak_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        assert_string_equal(str(get(f, "evidence"), "phase"), "steady");
        assert_near(ev(f, "first_round_used"), 10 + 4, 0);
        assert_near(ev(f, "anon_kib_per_round"), 512, 1);
        json_decref(flags);
        json_decref(doc);
}

/* Native and under a launcher in one file: only the wrapped run grows, and
 * its flag says so and names the launcher; the native run has none. When
 * both grow, the flag does not blame the launcher. */
static void test_leak_only_under_launcher(void **state)
{
        json_t *doc = doc_new(NULL), *native, *wrapped, *flags, *f;
        (void)state;
        native = prog_run(doc, "glibc", NULL);
        prog_rounds(native, 20, 4000, 0, NULL);
        wrapped = prog_run(doc, "glibc", "qemu-x86_64");
        prog_rounds(wrapped, 20, 9000, 1536, NULL);
        flags = run_detector(ab_detect_leak_growth, doc, native);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        flags = run_detector(ab_detect_leak_growth, doc, wrapped);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "leak-growth", "high", "glibc", "cmd");
        assert_string_equal(str(f, "workload_id"), "cmd: leaky --fast under qemu-x86_64");
        assert_true(contains(str(f, "message"), "under qemu-x86_64; natively it does not"));
        assert_true(contains(str(f, "hint"), "only the run under qemu-x86_64 grows"));
        assert_near(ev(f, "native_kib_per_round"), 0, 1);
        json_decref(flags);
        json_decref(doc);

        doc = doc_new(NULL);
        native = prog_run(doc, "glibc", NULL);
        prog_rounds(native, 20, 4000, 1536, NULL);
        wrapped = prog_run(doc, "glibc", "qemu-x86_64");
        prog_rounds(wrapped, 20, 9000, 1536, NULL);
        flags = run_detector(ab_detect_leak_growth, doc, wrapped);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        assert_false(contains(str(f, "message"), "natively it does not"));
        assert_false(contains(str(f, "hint"), "only the run under"));
        json_decref(flags);
        json_decref(doc);
}

/* ---- address-space-growth ------------------------------------------------------ */

static void test_asg_program_vsz(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f;
        (void)state;
        run = prog_run(doc, "glibc", NULL);
        for (int i = 0; i < 20; i++)
                prog_round(run, 5000, 7000, 240000 + 2048.0 * i, 1, NULL);
        flags = run_detector(ab_detect_address_space_growth, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "address-space-growth", "high", "glibc", "cmd");
        assert_near(ev(f, "vsz_kib_per_round"), 2048, 1);
        assert_near(ev(f, "first_round_used"), 4, 0);
        json_decref(flags);
        json_decref(doc);
}

/* ---- vsz-bloat ------------------------------------------------------------------- */

/* Eight threads with an arena each: 600 MiB of anonymous address space over
 * 8 MiB resident after the last round; with the threads' stacks and 16 MiB
 * per process allowed, 80 MiB is not. */
static void test_vb_program_arenas(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f;
        (void)state;
        run = prog_run(doc, "glibc", NULL);
        prog_round(run, 8 * 1024, 600 * 1024, 640 * 1024, 9, NULL);
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "vsz-bloat", "high", "glibc", "cmd");
        assert_near(ev(f, "threads"), 9, 0);
        assert_string_equal(str(get(f, "evidence"), "when"), "after the last round");
        assert_true(contains(str(f, "message"), "anonymous address space"));
        assert_true(contains(str(f, "hint"), "MALLOC_ARENA_MAX"));
        json_decref(flags);

        run = prog_run(doc, "glibc", NULL);
        prog_round(run, 8 * 1024, 80 * 1024, 120 * 1024, 9, NULL);
        flags = run_detector(ab_detect_vsz_bloat, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

/* ---- run-failure, preload-ignored ----------------------------------------------- */

/* A program that exits 3 said it failed: a warning naming the status and
 * where its output went, not a crash of the allocator. */
static void test_rf_program_exited(void **state)
{
        json_t *doc = doc_new(NULL), *run, *p, *flags, *f;
        (void)state;
        run = prog_run(doc, "jemalloc", NULL);
        p = json_array_get(get(run, "points"), 0);
        json_object_set_new(p, "status", json_string("exited"));
        json_object_set_new(p, "exit_code", json_integer(3));
        json_object_set_new(p, "signal", json_null());
        json_object_set_new(p, "error", json_string("exited with code 3"));
        flags = run_detector(ab_detect_run_failure, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "run-failure", "warn", "jemalloc", "cmd");
        assert_string_equal(str(get(f, "evidence"), "status"), "exited");
        assert_true(contains(str(f, "message"), "exited with status 3"));
        assert_true(contains(str(f, "hint"), "program_output"));
        json_decref(flags);
        json_decref(doc);
}

/* malloc served by the program's own file: flagged, naming it; verified,
 * or not known, is not. */
static void test_preload_ignored(void **state)
{
        json_t *doc = doc_new(NULL), *run, *flags, *f;
        (void)state;
        run = prog_run(doc, "jemalloc", NULL);
        json_object_set_new(get(run, "allocator"), "requested",
                            json_string("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"));
        json_object_set_new(run, "malloc_served_by",
                            json_pack("[{s:s,s:i}]", "library", "/usr/bin/leaky", "processes", 1));
        json_object_set_new(run, "preload_verified", json_false());
        flags = run_detector(ab_detect_preload_ignored, doc, run);
        assert_int_equal(json_array_size(flags), 1);
        f = json_array_get(flags, 0);
        check_flag(f, "preload-ignored", "warn", "jemalloc", "cmd");
        assert_string_equal(str(get(f, "evidence"), "served_by"), "/usr/bin/leaky");
        assert_true(contains(str(f, "message"), "not jemalloc's"));
        json_decref(flags);

        json_object_set_new(run, "preload_verified", json_true());
        flags = run_detector(ab_detect_preload_ignored, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_object_set_new(run, "preload_verified", json_null());
        flags = run_detector(ab_detect_preload_ignored, doc, run);
        assert_int_equal(json_array_size(flags), 0);
        json_decref(flags);
        json_decref(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_leak_anon_fires),
            cmocka_unit_test(test_leak_small_or_flat_none),
            cmocka_unit_test(test_leak_last_phase),
            cmocka_unit_test(test_leak_only_under_launcher),
            cmocka_unit_test(test_asg_program_vsz),
            cmocka_unit_test(test_vb_program_arenas),
            cmocka_unit_test(test_rf_program_exited),
            cmocka_unit_test(test_preload_ignored),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
