/*
 * test_results.c - the results document (SPEC §5, allocbench/results/1)
 * built from hand-made runs, serialized and parsed back; and the atomic
 * file write every output goes through.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "measure/bench.h"
#include "measure/job.h"
#include "workload.h"


extern const struct ab_workload ab_wl_calloc_sweep;

/* ---- helpers ------------------------------------------------------------- */

static bool matches(const char *re, const char *s)
{
        regex_t r;
        int ok;
        if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
                fail_msg("bad regex %s", re);
        ok = regexec(&r, s, 0, NULL, 0) == 0;
        regfree(&r);
        return ok;
}

static json_t *get(json_t *o, const char *key)
{
        json_t *v;
        if (!json_is_object(o))
                fail_msg("looking up \"%s\" in a non-object", key);
        v = json_object_get(o, key);
        if (!v)
                fail_msg("missing key \"%s\"", key);
        return v;
}

static double num(json_t *o, const char *key)
{
        json_t *v = get(o, key);
        if (!json_is_number(v))
                fail_msg("\"%s\" is not a number", key);
        return json_number_value(v);
}

static const char *str(json_t *o, const char *key)
{
        json_t *v = get(o, key);
        if (!json_is_string(v))
                fail_msg("\"%s\" is not a string", key);
        return json_string_value(v);
}

static void assert_null_key(json_t *o, const char *key)
{
        if (!json_is_null(get(o, key)))
                fail_msg("\"%s\" should be null", key);
}

/* Read a whole file; NUL-terminated, malloc'd. */
static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        if (len)
                *len = (size_t)n;
        return buf;
}

/* Number of entries of dir whose name contains needle ("" counts all). */
static int count_entries(const char *dir, const char *needle)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;
        assert_non_null(d);
        while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                if (strstr(e->d_name, needle))
                        n++;
        }
        closedir(d);
        return n;
}

/* ---- the document ------------------------------------------------------- */

struct fixture {
        struct ab_alloc alloc;
        struct ab_job job;
        struct ab_opts opts;
        struct ab_rep reps0[3], reps1[3];
        struct ab_point_res ok_points[2], crashed_points[2];
        struct ab_sample timeline[2];
        struct ab_run_res runs[2];
        char *argv[4];
        char *env[1];
        json_t *doc; /* parsed back from its serialization */
        char *text;  /* the serialization */
};

static struct ab_rep rep(double ns, int64_t rss, int64_t hwm, int64_t instr)
{
        struct ab_rep r = {0};
        r.ops = 1000;
        r.op_hash = 0x55;
        r.ns_per_op = ns;
        r.user_ns_per_op = ns * 0.75;
        r.sys_ns_per_op = ns * 0.25;
        r.minflt_per_op = 0.5;
        r.majflt_per_op = 0;
        r.rss_kib = rss;
        r.vsz_kib = 20000;
        r.pte_kib = 64;
        r.hwm_kib = hwm;
        r.instructions = instr;
        return r;
}

static int setup_doc(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        char err[512] = "";
        json_error_t jerr;
        json_t *built;

        assert_non_null(f);
        snprintf(f->alloc.name, sizeof f->alloc.name, "glibc");
        f->alloc.library[0] = '\0';
        f->alloc.vq = AB_VQ_GLIBC;

        if (ab_job_init(&f->job, &ab_wl_calloc_sweep, "calloc-sweep", err, sizeof err) != 0)
                fail_msg("ab_job_init: %s", err);
        if (ab_job_set(&f->job, ab_param_index(&ab_wl_calloc_sweep, "sizes"), "4k,8k", err,
                       sizeof err) != 0)
                fail_msg("ab_job_set: %s", err);
        assert_int_equal(f->job.npoints, 2);

        f->argv[0] = "bench";
        f->argv[1] = "run";
        f->argv[2] = "calloc-sweep";
        f->argv[3] = NULL;
        f->env[0] = "MALLOC_ARENA_MAX=2";
        f->opts.allocs = &f->alloc;
        f->opts.nallocs = 1;
        f->opts.jobs = &f->job;
        f->opts.njobs = 1;
        f->opts.reps = 3;
        f->opts.seed = 42;
        f->opts.env = f->env;
        f->opts.nenv = 1;
        f->opts.sample_ms = 10;
        f->opts.argc = 3;
        f->opts.argv = f->argv;

        /* run 0: both points measured, 3 reps each */
        f->reps0[0] = rep(12.5, 100, 300, 5000);
        f->reps0[1] = rep(10.0, 120, 310, 6000);
        f->reps0[2] = rep(11.0, 110, 305, 7000);
        f->reps1[0] = rep(20.0, 200, 400, 9000);
        f->reps1[1] = rep(30.0, AB_UNKNOWN, 420, AB_UNKNOWN); /* rss not measured */
        f->reps1[2] = rep(25.0, 220, 410, 9000);
        f->ok_points[0] = (struct ab_point_res){.value = 4096, .ops = 1000, .reps = f->reps0,
                                                .nreps = 3, .status = AB_ST_OK};
        f->ok_points[1] = (struct ab_point_res){.value = 8192, .ops = 1000, .reps = f->reps1,
                                                .nreps = 3, .status = AB_ST_OK};
        f->timeline[0] = (struct ab_sample){.t_ns = 5000000, .rss_kib = 100, .vsz_kib = 20000};
        f->timeline[1] = (struct ab_sample){.t_ns = 15000000, .rss_kib = AB_UNKNOWN,
                                            .vsz_kib = 20100};
        f->runs[0].alloc = &f->alloc;
        f->runs[0].job = &f->job;
        snprintf(f->runs[0].version, sizeof f->runs[0].version, "2.36");
        f->runs[0].library[0] = '\0';
        f->runs[0].runner_rss_kib = 1234;
        f->runs[0].op_hash = 0xabc;
        f->runs[0].status = AB_ST_OK;
        f->runs[0].points = f->ok_points;
        f->runs[0].timeline = f->timeline;
        f->runs[0].ntimeline = 2;

        /* run 1: the child crashed before measuring anything */
        for (int i = 0; i < 2; i++) {
                f->crashed_points[i] = (struct ab_point_res){
                        .value = i ? 8192 : 4096, .ops = 0, .reps = NULL, .nreps = 0,
                        .status = AB_ST_CRASHED, .exit_code = -1, .signal = 11};
                snprintf(f->crashed_points[i].error, sizeof f->crashed_points[i].error,
                         "killed by signal 11");
        }
        f->runs[1].alloc = &f->alloc;
        f->runs[1].job = &f->job;
        f->runs[1].runner_rss_kib = AB_UNKNOWN;
        f->runs[1].op_hash = 0;
        f->runs[1].status = AB_ST_CRASHED;
        f->runs[1].points = f->crashed_points;

        built = ab_results_build(&f->opts, f->runs, 2, ab_host_json(), NULL, false);
        assert_non_null(built);
        f->text = json_dumps(built, JSON_INDENT(2));
        json_decref(built);
        assert_non_null(f->text);
        f->doc = json_loads(f->text, 0, &jerr);
        if (!f->doc)
                fail_msg("results do not parse back: %s at line %d", jerr.text, jerr.line);
        *state = f;
        return 0;
}

static int teardown_doc(void **state)
{
        struct fixture *f = *state;
        json_decref(f->doc);
        free(f->text);
        ab_job_free(&f->job);
        free(f);
        return 0;
}

static json_t *run_n(struct fixture *f, size_t i)
{
        json_t *runs = get(f->doc, "runs");
        assert_true(json_is_array(runs));
        assert_int_equal(json_array_size(runs), 2);
        return json_array_get(runs, i);
}

static json_t *point_n(json_t *run, size_t i)
{
        json_t *points = get(run, "points");
        assert_true(json_is_array(points));
        assert_int_equal(json_array_size(points), 2);
        return json_array_get(points, i);
}

static void test_doc_top(void **state)
{
        struct fixture *f = *state;
        json_t *tool, *cmd;
        assert_string_equal(str(f->doc, "schema"), "allocbench/results/1");
        tool = get(f->doc, "tool");
        assert_string_equal(str(tool, "name"), "allocbench");
        assert_true(strlen(str(tool, "version")) > 0);
        assert_true(json_is_string(get(tool, "git")));

        assert_true(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                            str(f->doc, "created")));

        cmd = get(f->doc, "command");
        assert_true(json_is_array(cmd));
        assert_int_equal(json_array_size(cmd), 3);
        assert_string_equal(json_string_value(json_array_get(cmd, 0)), "bench");
        assert_string_equal(json_string_value(json_array_get(cmd, 2)), "calloc-sweep");

        assert_true(json_is_false(get(f->doc, "interrupted")));
        assert_true(json_is_object(get(f->doc, "calibration")));
        assert_true(json_is_object(get(get(f->doc, "calibration"), "memset_bytes_per_ns")));
        get(get(f->doc, "calibration"), "page_fault_ns");
        get(get(f->doc, "calibration"), "mmap_ns");
        assert_true(json_is_array(get(f->doc, "flags")));
        assert_int_equal(json_array_size(get(f->doc, "runs")), 2);
}

static void test_doc_created_is_now(void **state)
{
        /* built again under a far-off time zone: "created" is UTC all the same */
        struct fixture *f = *state;
        struct tm tm = {0};
        char created[64];
        const char *end, *old = getenv("TZ");
        char *saved = old ? strdup(old) : NULL;
        json_t *d;
        time_t t;

        setenv("TZ", "XYZ-05:30", 1); /* POSIX form: 5h30 east of UTC, no tzdata needed */
        tzset();
        d = ab_results_build(&f->opts, f->runs, 1, json_object(), NULL, false);
        if (saved)
                setenv("TZ", saved, 1);
        else
                unsetenv("TZ");
        tzset();
        free(saved);
        assert_non_null(d);
        snprintf(created, sizeof created, "%s", str(d, "created"));
        json_decref(d);

        assert_true(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", created));
        end = strptime(created, "%Y-%m-%dT%H:%M:%SZ", &tm);
        assert_non_null(end);
        assert_int_equal(*end, '\0');
        t = timegm(&tm);
        /* within minutes of now, not hours off */
        assert_true(labs((long)(t - time(NULL))) < 300);
}

static void test_doc_host(void **state)
{
        struct fixture *f = *state;
        static const char *const keys[] = {"hostname", "os", "kernel", "libc", "cpu_model",
                                           "cores", "numa_nodes", "page_size", "thp"};
        json_t *host = get(f->doc, "host");
        struct utsname u;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                get(host, keys[i]);
        assert_int_equal((long)num(host, "page_size"), sysconf(_SC_PAGESIZE));
        assert_int_equal(uname(&u), 0);
        assert_string_equal(str(host, "kernel"), u.release);
        assert_true(strlen(str(host, "hostname")) > 0);
        assert_true(strlen(str(host, "os")) > 0);
        assert_true(strlen(str(host, "libc")) > 0);
        assert_true(json_is_null(get(host, "cores")) || num(host, "cores") >= 1);
        assert_true(json_is_null(get(host, "numa_nodes")) || num(host, "numa_nodes") >= 1);
        assert_true(json_is_null(get(host, "cpu_model")) || json_is_string(get(host, "cpu_model")));
        assert_true(matches("^(always|madvise|never|unknown)$", str(host, "thp")));
}

static void test_run_fields(void **state)
{
        struct fixture *f = *state;
        json_t *run = run_n(f, 0), *alloc, *wl, *params, *sizes, *env;

        alloc = get(run, "allocator");
        assert_string_equal(str(alloc, "name"), "glibc");
        assert_null_key(alloc, "library"); /* nothing preloaded */
        assert_string_equal(str(alloc, "version"), "2.36");

        wl = get(run, "workload");
        assert_string_equal(str(wl, "name"), "calloc-sweep");
        params = get(wl, "params");
        sizes = get(params, "sizes");
        assert_true(json_is_array(sizes));
        assert_int_equal(json_array_size(sizes), 2);
        assert_int_equal(json_integer_value(json_array_get(sizes, 0)), 4096);
        assert_int_equal(json_integer_value(json_array_get(sizes, 1)), 8192);
        assert_string_equal(str(params, "iterations"), "auto");
        assert_string_equal(str(params, "mode"), "reuse");
        assert_string_equal(str(params, "touch"), "none");
        assert_int_equal(json_integer_value(get(params, "live_max")), 1 << 30);
        assert_int_equal(json_integer_value(get(params, "warmup")), 2);

        assert_null_key(run, "wrap");
        env = get(run, "env");
        assert_true(json_is_object(env));
        assert_int_equal(json_object_size(env), 1);
        assert_string_equal(str(env, "MALLOC_ARENA_MAX"), "2");
        assert_int_equal(json_integer_value(get(run, "seed")), 42);
        assert_string_equal(str(run, "op_hash"), "0000000000000abc");
        assert_true(matches("^[0-9a-f]{16}$", str(run, "op_hash")));
        assert_string_equal(str(run, "status"), "ok");
        assert_true(json_is_array(get(run, "points")));
        assert_true(json_is_array(get(run, "rounds")));
        assert_int_equal(json_array_size(get(run, "rounds")), 0);
}

static void test_run_timeline(void **state)
{
        struct fixture *f = *state;
        json_t *tl = get(run_n(f, 0), "timeline"), *s0, *s1;
        assert_true(json_is_array(tl));
        assert_int_equal(json_array_size(tl), 2);
        s0 = json_array_get(tl, 0);
        s1 = json_array_get(tl, 1);
        assert_int_equal(json_array_size(s0), 3);
        assert_float_equal(json_number_value(json_array_get(s0, 0)), 5.0, 1e-9); /* ms */
        assert_int_equal(json_integer_value(json_array_get(s0, 1)), 100);
        assert_int_equal(json_integer_value(json_array_get(s0, 2)), 20000);
        assert_float_equal(json_number_value(json_array_get(s1, 0)), 15.0, 1e-9);
        assert_true(json_is_null(json_array_get(s1, 1))); /* unknown rss: null, never 0 */
        assert_int_equal(json_integer_value(json_array_get(s1, 2)), 20100);
}

static void test_point_measured(void **state)
{
        struct fixture *f = *state;
        json_t *p = point_n(run_n(f, 0), 0), *want, *samples, *ns;

        want = json_pack("{s:i}", "size", 4096);
        assert_true(json_equal(get(p, "params"), want));
        json_decref(want);
        assert_string_equal(str(p, "status"), "ok");
        assert_int_equal(json_integer_value(get(p, "reps")), 3);
        assert_int_equal(json_integer_value(get(p, "ops")), 1000);

        samples = get(p, "samples_ns_per_op");
        assert_true(json_is_array(samples));
        assert_int_equal(json_array_size(samples), 3);
        /* in repetition order, not sorted */
        assert_float_equal(json_number_value(json_array_get(samples, 0)), 12.5, 1e-12);
        assert_float_equal(json_number_value(json_array_get(samples, 1)), 10.0, 1e-12);
        assert_float_equal(json_number_value(json_array_get(samples, 2)), 11.0, 1e-12);

        ns = get(p, "ns_per_op");
        assert_float_equal(num(ns, "median"), 11.0, 1e-12);
        assert_float_equal(num(ns, "min"), 10.0, 1e-12);
        assert_float_equal(num(ns, "max"), 12.5, 1e-12);
        /* three samples: the interval is [min, max] */
        assert_float_equal(num(ns, "ci95_lo"), 10.0, 1e-12);
        assert_float_equal(num(ns, "ci95_hi"), 12.5, 1e-12);

        assert_float_equal(num(p, "user_ns_per_op"), 8.25, 1e-12);
        assert_float_equal(num(p, "sys_ns_per_op"), 2.75, 1e-12);
        assert_float_equal(num(p, "minflt_per_op"), 0.5, 1e-12);
        assert_float_equal(num(p, "majflt_per_op"), 0.0, 1e-12);
        assert_int_equal(json_integer_value(get(p, "rss_kib")), 110);
        assert_true(json_is_integer(get(p, "rss_kib")));
        assert_int_equal(json_integer_value(get(p, "vsz_kib")), 20000);
        assert_int_equal(json_integer_value(get(p, "pte_kib")), 64);
        /* the median of the repetitions' VmHWM (300, 310, 305), not the
         * largest: it must not grow with the number of repetitions */
        assert_int_equal(json_integer_value(get(p, "peak_rss_kib")), 305);
        assert_float_equal(num(p, "instructions_per_op"), 6.0, 1e-12);
}

static void test_point_unknown_is_null(void **state)
{
        struct fixture *f = *state;
        json_t *p = point_n(run_n(f, 0), 1), *want, *ns;

        want = json_pack("{s:i}", "size", 8192);
        assert_true(json_equal(get(p, "params"), want));
        json_decref(want);
        ns = get(p, "ns_per_op");
        assert_float_equal(num(ns, "median"), 25.0, 1e-12);
        assert_float_equal(num(ns, "min"), 20.0, 1e-12);
        assert_float_equal(num(ns, "max"), 30.0, 1e-12);
        assert_int_equal(json_array_size(get(p, "samples_ns_per_op")), 3);
        /* one repetition could not measure rss: null, never 0 or a partial median */
        assert_null_key(p, "rss_kib");
        /* the other figures were measured in every repetition */
        assert_int_equal(json_integer_value(get(p, "vsz_kib")), 20000);
        assert_int_equal(json_integer_value(get(p, "peak_rss_kib")), 410);
        assert_null_key(p, "instructions_per_op");
}

static void test_point_peak_partial_is_null(void **state)
{
        /* The peak of a point is the median VmHWM over its repetitions; when
         * one repetition could not measure it, the median is not known, so
         * it is null like every other figure some repetition lacks. */
        struct fixture *f = *state;
        json_t *d, *p0, *p1;
        bool p1_null;
        json_int_t p0_peak;
        f->reps1[1].hwm_kib = AB_UNKNOWN;
        d = ab_results_build(&f->opts, f->runs, 1, json_object(), NULL, false);
        assert_non_null(d);
        p0 = json_array_get(get(json_array_get(get(d, "runs"), 0), "points"), 0);
        p1 = json_array_get(get(json_array_get(get(d, "runs"), 0), "points"), 1);
        assert_non_null(p0);
        assert_non_null(p1);
        p1_null = json_is_null(get(p1, "peak_rss_kib"));
        p0_peak = json_integer_value(get(p0, "peak_rss_kib"));
        json_decref(d);
        if (!p1_null)
                fail_msg("peak_rss_kib of a point with a repetition lacking VmHWM should be null");
        /* while point 0, fully measured, keeps its peak */
        assert_int_equal(p0_peak, 305);
}

static void test_point_crashed(void **state)
{
        struct fixture *f = *state;
        json_t *run = run_n(f, 1), *p, *want;
        assert_string_equal(str(run, "status"), "crashed");
        assert_string_equal(str(run, "op_hash"), "0000000000000000");
        for (size_t i = 0; i < 2; i++) {
                p = point_n(run, i);
                want = json_pack("{s:i}", "size", i ? 8192 : 4096);
                assert_true(json_equal(get(p, "params"), want));
                json_decref(want);
                assert_string_equal(str(p, "status"), "crashed");
                assert_int_equal(json_integer_value(get(p, "reps")), 0);
                assert_true(json_is_integer(get(p, "reps")));
                assert_null_key(p, "ns_per_op");
                assert_int_equal(json_array_size(get(p, "samples_ns_per_op")), 0);
                assert_null_key(p, "ops");
                assert_null_key(p, "rss_kib");
                assert_null_key(p, "vsz_kib");
                assert_null_key(p, "pte_kib");
                assert_null_key(p, "peak_rss_kib");
                assert_null_key(p, "user_ns_per_op");
                assert_null_key(p, "instructions_per_op");
                assert_int_equal(json_integer_value(get(p, "signal")), 11);
                assert_null_key(p, "exit_code"); /* killed: no exit code */
                assert_string_equal(str(p, "error"), "killed by signal 11");
        }
        assert_int_equal(json_array_size(get(run, "timeline")), 0);
}

static void test_doc_write_roundtrip(void **state)
{
        /* the serialized document goes through ab_write_atomic intact */
        struct fixture *f = *state;
        char dir[] = "/tmp/ab_test_results.XXXXXX", path[512], err[512] = "";
        char *back;
        size_t len;
        json_t *again;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/results.json", dir);
        assert_int_equal(ab_write_atomic(path, f->text, strlen(f->text), err, sizeof err), 0);
        back = slurp(path, &len);
        assert_non_null(back);
        assert_int_equal(len, strlen(f->text));
        assert_string_equal(back, f->text);
        again = json_loads(back, 0, NULL);
        assert_non_null(again);
        assert_true(json_equal(again, f->doc));
        json_decref(again);
        free(back);
        assert_int_equal(count_entries(dir, ".tmp."), 0);
        unlink(path);
        assert_int_equal(rmdir(dir), 0);
}

/* ---- ab_write_atomic ------------------------------------------------------ */

static void test_write_readback(void **state)
{
        char dir[] = "/tmp/ab_test_write.XXXXXX", path[512], err[512] = "";
        static const char data[] = "line one\nline two\0with a NUL\n";
        char *back;
        size_t len;
        struct stat st;
        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/out.txt", dir);
        assert_int_equal(ab_write_atomic(path, data, sizeof data - 1, err, sizeof err), 0);
        back = slurp(path, &len);
        assert_non_null(back);
        assert_int_equal(len, sizeof data - 1);
        assert_memory_equal(back, data, sizeof data - 1);
        free(back);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(count_entries(dir, ""), 1); /* only the file itself */

        /* empty content makes an empty file */
        assert_int_equal(ab_write_atomic(path, "", 0, err, sizeof err), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, 0);
        unlink(path);
        assert_int_equal(rmdir(dir), 0);
}

static void test_write_missing_dir(void **state)
{
        char dir[] = "/tmp/ab_test_write.XXXXXX", path[512], err[512] = "";
        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/no/such/dir/out.json", dir);
        assert_int_equal(ab_write_atomic(path, "{}", 2, err, sizeof err), -ENOENT);
        if (!strstr(err, path))
                fail_msg("message does not name the path: \"%s\"", err);
        assert_int_equal(count_entries(dir, ".tmp."), 0);
        assert_int_equal(count_entries(dir, ""), 0);
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(rmdir(dir), 0);
}

static void test_write_fails_late_leaves_no_tmp(void **state)
{
        /* the target is a directory: the temporary file is written, then the
         * rename fails; the temporary must be removed */
        char dir[] = "/tmp/ab_test_write.XXXXXX", path[512], inner[600], err[512] = "";
        int r;
        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/target", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(inner, sizeof inner, "%s/keep", path);
        assert_int_equal(ab_write_atomic(inner, "x", 1, err, sizeof err), 0);

        err[0] = '\0';
        r = ab_write_atomic(path, "{}", 2, err, sizeof err);
        assert_true(r < 0);
        if (!strstr(err, path))
                fail_msg("message does not name the path: \"%s\"", err);
        assert_int_equal(count_entries(dir, ".tmp."), 0);
        assert_int_equal(count_entries(dir, ""), 1); /* just target/ */
        assert_int_equal(count_entries(path, ""), 1); /* target/ untouched */
        unlink(inner);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_write_overwrites_whole(void **state)
{
        char dir[] = "/tmp/ab_test_write.XXXXXX", path[512], err[512] = "";
        static const char longer[] = "{\"a\": 1, \"b\": 2, \"c\": \"a much longer first version\"}\n";
        static const char shorter[] = "{}\n";
        char *back;
        size_t len;
        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/out.json", dir);
        assert_int_equal(ab_write_atomic(path, longer, sizeof longer - 1, err, sizeof err), 0);
        assert_int_equal(ab_write_atomic(path, shorter, sizeof shorter - 1, err, sizeof err), 0);
        back = slurp(path, &len);
        assert_non_null(back);
        assert_int_equal(len, sizeof shorter - 1); /* no tail of the old content */
        assert_string_equal(back, shorter);
        free(back);
        assert_int_equal(count_entries(dir, ""), 1);
        unlink(path);
        assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
        const struct CMUnitTest doc[] = {
                cmocka_unit_test_setup_teardown(test_doc_top, setup_doc, teardown_doc),
                cmocka_unit_test_setup_teardown(test_doc_created_is_now, setup_doc, teardown_doc),
                cmocka_unit_test_setup_teardown(test_doc_host, setup_doc, teardown_doc),
                cmocka_unit_test_setup_teardown(test_run_fields, setup_doc, teardown_doc),
                cmocka_unit_test_setup_teardown(test_run_timeline, setup_doc, teardown_doc),
                cmocka_unit_test_setup_teardown(test_point_measured, setup_doc, teardown_doc),
                cmocka_unit_test_setup_teardown(test_point_unknown_is_null, setup_doc,
                                                teardown_doc),
                cmocka_unit_test_setup_teardown(test_point_peak_partial_is_null, setup_doc,
                                                teardown_doc),
                cmocka_unit_test_setup_teardown(test_point_crashed, setup_doc, teardown_doc),
                cmocka_unit_test_setup_teardown(test_doc_write_roundtrip, setup_doc, teardown_doc),
        };
        const struct CMUnitTest write[] = {
                cmocka_unit_test(test_write_readback),
                cmocka_unit_test(test_write_missing_dir),
                cmocka_unit_test(test_write_fails_late_leaves_no_tmp),
                cmocka_unit_test(test_write_overwrites_whole),
        };
        int failed = cmocka_run_group_tests_name("results document", doc, NULL, NULL);
        failed += cmocka_run_group_tests_name("ab_write_atomic", write, NULL, NULL);
        return failed;
}
