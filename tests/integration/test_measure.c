/*
 * test_measure.c - figures that do not depend on how they were taken:
 * steady state before the region, op counts that do not change per-op
 * figures, reproducible iterations=auto, adaptive repetitions, compare
 * refusing to pair different work. Every assertion is on counts (faults,
 * ops, repetitions, verdict names), never on timings.
 */
#include "itest.h"

static json_t *point_n(json_t *doc, size_t run, size_t point)
{
        return json_array_get(json_object_get(json_array_get(json_object_get(doc, "runs"), run),
                                              "points"),
                              point);
}

/* glibc's first reused 16 MiB heap block faults every page in once. With the
 * steady-state warm-up that happens before the region, so faults per op are
 * the same at 8 and at 128 ops and the halves of the region agree; without a
 * warm-up (warmup=0, warmup_max=0) the region's first ops pay it, the halves
 * disagree and the point says so. */
static void test_steady_state(void **state)
{
        json_t *d8, *d128, *cold, *p8, *p128, *pc;
        (void)state;
        d8 = run_doc("steady8.json", "--alloc=glibc", "--workload=calloc-sweep", "--set",
                     "sizes=16MiB", "--set", "iterations=8", "--reps", "3", NULL);
        d128 = run_doc("steady128.json", "--alloc=glibc", "--workload=calloc-sweep", "--set",
                       "sizes=16MiB", "--set", "iterations=128", "--reps", "3", NULL);
        cold = run_doc("cold.json", "--alloc=glibc", "--workload=calloc-sweep", "--set",
                       "sizes=16MiB", "--set", "iterations=8", "--set", "warmup=0", "--set",
                       "warmup_max=0", "--reps", "3", NULL);
        p8 = point_n(d8, 0, 0);
        p128 = point_n(d128, 0, 0);
        pc = point_n(cold, 0, 0);
        /* 4096 pages: none faulted per op in the steady region, at any count */
        assert_true(num(p8, "minflt_per_op") < 1);
        assert_true(num(p128, "minflt_per_op") < 1);
        assert_true(fabs(num(p8, "minflt_per_op") - num(p128, "minflt_per_op")) <= 1);
        assert_true(json_is_true(json_object_get(p8, "steady")));
        assert_true(json_is_true(json_object_get(p128, "steady")));
        assert_int_equal(json_array_size(json_object_get(json_object_get(p8, "halves"),
                                                         "minflt_per_op")),
                         2);
        /* the cold op is reported apart: the first calloc of the size */
        assert_true(num(p8, "first_op_minflt") >= 0);
        assert_true(num(p8, "first_op_ns") > 0);
        assert_true(num(p8, "warmup_ops") >= 3);
        assert_string_equal(jstr(p8, "warmup_end"), "steady");
        /* without a warm-up the first half pays ~4096 faults, the second none */
        assert_true(num(pc, "minflt_per_op") > 100);
        assert_true(json_is_false(json_object_get(pc, "steady")));
        {
                json_t *h = json_object_get(json_object_get(pc, "halves"), "minflt_per_op");
                assert_true(json_number_value(json_array_get(h, 0)) > 500);
                assert_true(json_number_value(json_array_get(h, 1)) < 1);
        }
        assert_true(json_is_null(json_object_get(pc, "first_op_ns")));
        json_decref(d8);
        json_decref(d128);
        json_decref(cold);
}

/* iterations=auto comes from the calibrated cost model and counted faults:
 * two identical commands choose the same op count at every point, every
 * allocator runs it, and the results say how it was chosen. */
static void test_auto_reproducible(void **state)
{
        json_t *a, *b;
        (void)state;
        a = run_doc("auto1.json", "--alloc=glibc,mimalloc", "--workload=calloc-sweep", "--set",
                    "sizes=4k,256k,16M,64M", "--reps", "2", NULL);
        b = run_doc("auto2.json", "--alloc=glibc,mimalloc", "--workload=calloc-sweep", "--set",
                    "sizes=4k,256k,16M,64M", "--reps", "2", NULL);
        for (size_t p = 0; p < 4; p++) {
                json_t *pa = point_n(a, 0, p);
                long long ops = json_integer_value(json_object_get(pa, "ops"));
                assert_true(ops >= 1);
                assert_int_equal(json_integer_value(json_object_get(point_n(a, 1, p), "ops")),
                                 ops);
                assert_int_equal(json_integer_value(json_object_get(point_n(b, 0, p), "ops")),
                                 ops);
                assert_int_equal(json_integer_value(json_object_get(point_n(b, 1, p), "ops")),
                                 ops);
                assert_string_equal(jstr(pa, "op_hash"), jstr(point_n(b, 1, p), "op_hash"));
                assert_non_null(strstr(jstr(pa, "iterations_auto.method"), "calibrated"));
        }
        /* mimalloc faults every page of a reused 64 MiB block back in: the
         * probe counted it, so the count there is 1 */
        assert_int_equal(json_integer_value(json_object_get(point_n(a, 0, 3), "ops")), 1);
        json_decref(a);
        json_decref(b);
}

/* The relative half-width of the 95% interval of the median of the first n
 * samples of a point, as bench computes it (at n <= 8 the interval is
 * [min, max]). */
static double first_halfwidth(json_t *p, size_t n)
{
        json_t *s = json_object_get(p, "samples_ns_per_op");
        double x[8], med;
        assert_true(n <= 8 && json_array_size(s) >= n);
        for (size_t i = 0; i < n; i++)
                x[i] = json_number_value(json_array_get(s, i));
        for (size_t i = 1; i < n; i++) /* insertion sort */
                for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
                        double t = x[j];
                        x[j] = x[j - 1];
                        x[j - 1] = t;
                }
        med = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
        return fmax(x[n - 1] - med, med - x[0]) / med;
}

/* Adaptive repetitions: at least 6 (the fewest that give a 95% interval of
 * the median), then until --precision or --max-reps; fixed with --reps. The
 * stopping rule is checked against the samples the run recorded, so a
 * machine that happens to be busy cannot fail it. */
static void test_adaptive_reps(void **state)
{
        json_t *d, *p;
        long long reps;
        (void)state;
        d = run_doc("loose.json", "--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k",
                    "--set", "iterations=2000", "--precision", "60%", "--max-reps", "8", NULL);
        p = point_n(d, 0, 0);
        reps = json_integer_value(json_object_get(p, "reps"));
        assert_true(reps >= 6 && reps <= 8);
        /* it stops at the first repetition count that reaches the precision */
        if (first_halfwidth(p, 6) <= 0.6) {
                assert_int_equal(reps, 6);
                assert_true(json_is_true(json_object_get(p, "precision_met")));
                assert_null(json_object_get(p, "precision_note"));
        } else {
                assert_true(reps > 6);
        }
        assert_string_equal(jstr(d, "repetitions.mode"), "adaptive");
        assert_true(json_is_null(json_object_get(d, "reps")));
        json_decref(d);

        d = run_doc("tight.json", "--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k",
                    "--set", "iterations=2000", "--precision", "0.0001%", "--max-reps", "7",
                    "--point-budget", "100", NULL);
        p = point_n(d, 0, 0);
        assert_int_equal(json_integer_value(json_object_get(p, "reps")), 7);
        assert_true(json_is_false(json_object_get(p, "precision_met")));
        assert_string_equal(jstr(p, "precision_note"), "--max-reps reached");
        json_decref(d);

        d = run_doc("fixed.json", "--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k",
                    "--set", "iterations=100", "--reps", "3", NULL);
        p = point_n(d, 0, 0);
        assert_int_equal(json_integer_value(json_object_get(p, "reps")), 3);
        assert_true(json_is_false(json_object_get(p, "precision_met")));
        assert_string_equal(jstr(p, "precision_note"), "fewer than 6 repetitions: no 95% interval");
        assert_int_equal(json_integer_value(json_object_get(d, "reps")), 3);
        json_decref(d);

        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--precision", "0", "-q"),
                         1);
        assert_non_null(strstr(errtext, "--precision"));
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--precision", "100%",
                             "-q"),
                         1);
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--max-reps", "5", "-q"),
                         1);
        assert_non_null(strstr(errtext, "--max-reps"));
}

/* compare gives no verdict to points that did different work, says what
 * differs, and --strict refuses; cmd runs of different programs never pair. */
static void test_compare_different_work(void **state)
{
        const char *a = tmpfile_path("w8.json"), *b = tmpfile_path("w16.json");
        (void)state;
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k,8k",
                             "--set", "iterations=8", "--reps", "6", "-q", "-o", a),
                         0);
        assert_int_equal(run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k,8k",
                             "--set", "iterations=16", "--reps", "6", "-q", "-o", b),
                         0);
        assert_int_equal(run("compare", a, b), 0);
        assert_int_equal(count_of(outtext, "not comparable ["), 2);
        assert_non_null(strstr(outtext, "ops 8 vs 16"));
        assert_non_null(strstr(outtext, "2 points did different work"));
        assert_int_equal(run("compare", "--format", "json", a, b), 0);
        {
                json_t *rep = json_loads(outtext, 0, NULL);
                assert_non_null(rep);
                assert_int_equal(json_integer_value(json_object_get(
                                         json_object_get(rep, "summary"), "not_comparable")),
                                 2);
                assert_int_equal(json_integer_value(json_object_get(
                                         json_object_get(rep, "summary"), "slower")) +
                                         json_integer_value(json_object_get(
                                                 json_object_get(rep, "summary"), "faster")),
                                 0);
                json_decref(rep);
        }
        assert_int_equal(run("compare", "--strict", a, b), 1);
        assert_non_null(strstr(errtext, "ops 8 vs 16"));
        assert_int_equal(run("compare", "--strict", a, a), 0);
        assert_int_equal(count_of(outtext, "not comparable ["), 0);

        a = tmpfile_path("cmd-true.json");
        b = tmpfile_path("cmd-sh.json");
        assert_int_equal(run("--workload=cmd", "--reps", "2", "-q", "-o", a, "--", "true"), 0);
        assert_int_equal(run("--workload=cmd", "--reps", "2", "-q", "-o", b, "--", "sh", "-c",
                             "true"),
                         0);
        assert_int_equal(run("compare", "--format", "json", a, b), 0);
        {
                json_t *rep = json_loads(outtext, 0, NULL);
                assert_non_null(rep);
                assert_int_equal(json_array_size(json_object_get(rep, "points")), 0);
                assert_int_equal(json_array_size(json_object_get(rep, "only_in_base")), 1);
                assert_string_equal(jstr(json_array_get(json_object_get(rep, "only_in_base"), 0),
                                         "workload"),
                                    "cmd: true");
                json_decref(rep);
        }
}

/* Progress: on a pipe, a line when the last repetition is done; -q silences it.
 * Calibration is announced only when it is measured, with the reason. */
static void test_progress_and_calibration_notes(void **state)
{
        char cache[600], env_cache[700];
        char *envp[256];
        size_t n = 0;
        (void)state;
        snprintf(cache, sizeof cache, "%s/cache", tmpdir);
        mkdir(cache, 0700);
        snprintf(env_cache, sizeof env_cache, "ALLOCBENCH_CACHE=%s", cache);
        for (char **e = environ; *e && n < 254; e++)
                if (strncmp(*e, "ALLOCBENCH_CACHE=", 17) != 0)
                        envp[n++] = *e;
        envp[n++] = env_cache;
        envp[n] = NULL;
        assert_int_equal(run_envp(envp, "--alloc=glibc", "--workload=calloc-sweep", "--set",
                                  "sizes=4k,8k", "--set", "iterations=10", "--reps", "1", "-o",
                                  tmpfile_path("prog1.json"), NULL),
                         0);
        assert_non_null(strstr(errtext, "calibrating this machine"));
        assert_non_null(strstr(errtext, "no figures cached"));
        assert_non_null(strstr(errtext, "2/2 repetitions done"));
        assert_int_equal(run_envp(envp, "--alloc=glibc", "--workload=calloc-sweep", "--set",
                                  "sizes=4k", "--set", "iterations=10", "--reps", "1", "-o",
                                  tmpfile_path("prog2.json"), NULL),
                         0);
        assert_null(strstr(errtext, "calibrating"));
        assert_int_equal(run_envp(envp, "--alloc=glibc", "--workload=calloc-sweep", "--set",
                                  "sizes=4k", "--set", "iterations=10", "--reps", "1", "-q", "-o",
                                  tmpfile_path("prog3.json"), NULL),
                         0);
        assert_null(strstr(errtext, "repetitions done"));
}

/* Repetitions run in rounds over the whole matrix: round k runs the k-th
 * repetition of every point of every allocator, so a point's repetitions
 * spread over the run instead of sitting in one stretch of it. Each
 * repetition's start (samples_start_ms) shows the order. */
static void test_reps_in_rounds(void **state)
{
        json_t *d;
        double prev = -1;
        (void)state;
        d = run_doc("rounds.json", "--alloc=glibc,jemalloc", "--workload=calloc-sweep", "--set",
                    "sizes=4k,8k,16k", "--set", "iterations=10", "--reps", "3", NULL);
        /* in time order: rep 1 of points 0,1,2 (glibc then jemalloc at each),
         * then rep 2 of each, then rep 3 */
        for (size_t rep = 0; rep < 3; rep++)
                for (size_t pt = 0; pt < 3; pt++)
                        for (size_t a = 0; a < 2; a++) {
                                json_t *p = point_n(d, a, pt),
                                       *starts = json_object_get(p, "samples_start_ms");
                                assert_int_equal(json_array_size(starts), 3);
                                assert_int_equal(
                                    json_array_size(json_object_get(p, "samples_ns_per_op")), 3);
                                assert_true(json_number_value(json_array_get(starts, rep)) > prev);
                                prev = json_number_value(json_array_get(starts, rep));
                        }
        json_decref(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_steady_state),
                cmocka_unit_test(test_reps_in_rounds),
                cmocka_unit_test(test_auto_reproducible),
                cmocka_unit_test(test_adaptive_reps),
                cmocka_unit_test(test_compare_different_work),
                cmocka_unit_test(test_progress_and_calibration_notes),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
