/*
 * detect_fixtures.h - what the detector tests share: assertions on flags,
 * and results documents built in C with the shape `bench` writes (see a
 * results file: host.page_size, calibration.memset_bytes_per_ns keyed by
 * size, runs with allocator/workload/params, points with params/status/
 * ns_per_op/faults/rss/vsz/live_peak_bytes, rounds with rss/vsz/pte/
 * live_bytes), run through the document's view as bench runs them.
 * Header-only: each test file is one program and uses what it needs.
 */
#ifndef AB_DETECT_FIXTURES_H
#define AB_DETECT_FIXTURES_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"

#define KIB     1024.0
#define MIB     (1024.0 * 1024)
#define FIXTURE static __attribute__((unused))

/* ---- assertions ------------------------------------------------------------ */

#define assert_near(a, b, eps)                                                                     \
        do {                                                                                       \
                double a_ = (a), b_ = (b), e_ = (eps);                                             \
                if (!(fabs(a_ - b_) <= e_))                                                        \
                        fail_msg("%s = %.10g, expected %.10g (within %g)", #a, a_, b_, e_);        \
        } while (0)

FIXTURE bool contains(const char *s, const char *needle)
{
        return s && strstr(s, needle) != NULL;
}

FIXTURE json_t *get(json_t *o, const char *key)
{
        json_t *v;
        if (!json_is_object(o))
                fail_msg("looking up \"%s\" in a non-object", key);
        v = json_object_get(o, key);
        if (!v)
                fail_msg("missing key \"%s\"", key);
        return v;
}

FIXTURE const char *str(json_t *o, const char *key)
{
        json_t *v = get(o, key);
        if (!json_is_string(v))
                fail_msg("\"%s\" is not a string", key);
        return json_string_value(v);
}

/* A number of a flag's evidence. */
FIXTURE double ev(json_t *flag, const char *key)
{
        json_t *v = get(get(flag, "evidence"), key);
        if (!json_is_number(v))
                fail_msg("evidence \"%s\" is not a number", key);
        return json_number_value(v);
}

/* An array of a flag's evidence, checked for its length. */
FIXTURE json_t *ev_array(json_t *flag, const char *key, size_t n)
{
        json_t *v = get(get(flag, "evidence"), key);
        if (!json_is_array(v))
                fail_msg("evidence \"%s\" is not an array", key);
        if (json_array_size(v) != n)
                fail_msg("evidence \"%s\" has %zu entries, expected %zu", key, json_array_size(v),
                         n);
        return v;
}

FIXTURE double at(json_t *arr, size_t i)
{
        json_t *v = json_array_get(arr, i);
        if (!json_is_number(v))
                fail_msg("entry %zu is not a number", i);
        return json_number_value(v);
}

/* The SPEC §4 fields of one flag. */
FIXTURE void check_flag(json_t *f, const char *kind, const char *severity, const char *alloc,
                        const char *workload)
{
        assert_true(json_is_object(f));
        assert_string_equal(str(f, "kind"), kind);
        assert_string_equal(str(f, "severity"), severity);
        assert_string_equal(str(f, "allocator"), alloc);
        assert_string_equal(str(f, "workload"), workload);
        assert_true(json_is_object(get(f, "where")));
        assert_true(json_is_object(get(f, "evidence")));
        assert_true(json_object_size(get(f, "evidence")) > 0);
        assert_true(strlen(str(f, "message")) > 0);
        assert_true(strlen(str(f, "hint")) > 0);
        assert_null(json_object_get(f, "_order"));
}

FIXTURE void check_where_size(json_t *f, double size)
{
        json_t *w = get(f, "where");
        assert_int_equal(json_object_size(w), 1);
        assert_near(json_number_value(get(w, "size")), size, 0);
}

FIXTURE void check_where_round(json_t *f, json_int_t round)
{
        json_t *w = get(f, "where");
        assert_int_equal(json_object_size(w), 1);
        assert_true(json_is_integer(get(w, "round")));
        assert_int_equal(json_integer_value(get(w, "round")), round);
}

FIXTURE size_t count_kind(json_t *flags, const char *kind)
{
        json_t *f;
        size_t i, n = 0;
        json_array_foreach(flags, i, f) n +=
            strcmp(json_string_value(json_object_get(f, "kind")) ?: "", kind) == 0;
        return n;
}

/* ---- documents ---------------------------------------------------------------- */

FIXTURE json_t *jnum(double v)
{
        return isnan(v) ? json_null() : json_real(v);
}

/* memset bandwidth bw bytes/ns at every size; page_fault_ns as given (NAN: null). */
FIXTURE json_t *cal_flat(double bw, double fault_ns)
{
        json_t *c =
            json_pack("{s:{s:f,s:f,s:f},s:o,s:f}", "memset_bytes_per_ns", "4096", bw, "1048576", bw,
                      "1073741824", bw, "page_fault_ns", jnum(fault_ns), "mmap_ns", 5000.0);
        assert_non_null(c);
        return c;
}

FIXTURE json_t *doc_new(json_t *cal)
{
        json_t *d = json_pack("{s:s,s:{s:i,s:s},s:o,s:[],s:[]}", "schema", "allocbench/results/1",
                              "host", "page_size", 4096, "os", "test", "calibration",
                              cal ? cal : json_null(), "runs", "flags");
        assert_non_null(d);
        return d;
}

/* A run of doc (borrowed): params stolen. */
FIXTURE json_t *add_run(json_t *doc, const char *alloc, const char *name, const char *kernel,
                        json_t *params)
{
        json_t *r = json_pack("{s:{s:s,s:n,s:s},s:{s:s,s:s,s:o},s:n,s:{},s:i,s:s,s:s,s:i,s:i,"
                              "s:[],s:[],s:[]}",
                              "allocator", "name", alloc, "library", "version", "test", "workload",
                              "name", name, "kernel", kernel, "params",
                              params ? params : json_object(), "wrap", "env", "seed", 1, "op_hash",
                              "0123456789abcdef", "status", "ok", "runner_rss_kib", 1356,
                              "runner_vsz_kib", 2368, "points", "rounds", "timeline");
        assert_non_null(r);
        json_array_append_new(get(doc, "runs"), r);
        return r;
}

/* A measured point of run (borrowed): params stolen; CI95 of +-ci around the median. */
FIXTURE json_t *add_point(json_t *run, json_t *params, double median, double ci)
{
        json_t *p =
            json_pack("{s:o,s:s,s:i,s:i,s:[f,f,f],s:{s:f,s:f,s:f,s:f,s:f},s:n,s:n,s:n,"
                      "s:n,s:n,s:n,s:n}",
                      "params", params ? params : json_object(), "status", "ok", "ops", 64, "reps",
                      3, "samples_ns_per_op", median - ci, median, median + ci, "ns_per_op",
                      "median", median, "min", median - ci, "max", median + ci, "ci95_lo",
                      median - ci, "ci95_hi", median + ci, "minflt_per_op", "majflt_per_op",
                      "rss_kib", "vsz_kib", "pte_kib", "live_peak_bytes", "instructions_per_op");
        assert_non_null(p);
        json_array_append_new(get(run, "points"), p);
        return p;
}

FIXTURE void pset(json_t *p, const char *key, double v)
{
        json_object_set_new(p, key, jnum(v));
}

FIXTURE json_t *size_params(double size)
{
        return json_pack("{s:I}", "size", (json_int_t)size);
}

FIXTURE void add_round(json_t *run, double rss_kib, double vsz_kib, double pte_kib, double live)
{
        size_t i = json_array_size(get(run, "rounds"));
        json_t *r = json_pack("{s:I,s:f,s:o,s:o,s:o,s:o}", "index", (json_int_t)i, "ns", 1e6,
                              "rss_kib", jnum(rss_kib), "vsz_kib", jnum(vsz_kib), "pte_kib",
                              jnum(pte_kib), "live_bytes", jnum(live));
        assert_non_null(r);
        json_array_append_new(get(run, "rounds"), r);
}

/* Run one detector over run (borrowed) of doc, through the document's view
 * as bench does; the new flags array. */
FIXTURE json_t *run_detector(ab_detector_fn fn, json_t *doc, json_t *run)
{
        struct ab_flags fl = {0};
        struct ab_doc view;
        json_t *flags, *r;
        char err[256];
        size_t i;
        assert_int_equal(ab_doc_view(doc, &view, err, sizeof err), 0);
        json_array_foreach(get(doc, "runs"), i, r) if (r == run) fn(&view, &view.runs[i], &fl);
        ab_doc_free(&view);
        flags = ab_flags_json(&fl);
        ab_flags_free(&fl);
        return flags;
}

/* Every detector over doc, setting its flags: the number of flags. */
FIXTURE long detect_all(json_t *doc)
{
        return ab_detect_json(doc);
}

/* ---- ab_doc_memset_ns ------------------------------------------------------- */

/* The calibrated memset cost of a document with calibration cal (stolen;
 * NULL: none). */
FIXTURE double ab_calib_memset_ns(json_t *cal, uint64_t size)
{
        json_t *doc = doc_new(cal ? json_incref(cal) : NULL);
        struct ab_doc view;
        char err[256];
        double ns;
        assert_int_equal(ab_doc_view(doc, &view, err, sizeof err), 0);
        ns = ab_doc_memset_ns(&view, size);
        ab_doc_free(&view);
        json_decref(doc);
        return ns;
}

/* ---- run-failure ---------------------------------------------------------------- */

FIXTURE void add_failed(json_t *run, double size, const char *status, json_t *exit_code,
                        json_t *sig, const char *error, int reps)
{
        json_t *p =
            json_pack("{s:o,s:s,s:o,s:o,s:s,s:n,s:i,s:[],s:n,s:n,s:n,s:n,s:n}", "params",
                      size_params(size), "status", status, "exit_code", exit_code, "signal", sig,
                      "error", error, "ops", "reps", reps, "samples_ns_per_op", "ns_per_op",
                      "minflt_per_op", "rss_kib", "vsz_kib", "live_peak_bytes");
        assert_non_null(p);
        json_array_append_new(get(run, "points"), p);
}

/* ---- calloc-zeroing ---------------------------------------------------------------- */

/* Calibration: memset at 16 B/ns everywhere (1 MiB: 65536 ns, 256 KiB: 16384 ns). */
FIXTURE json_t *cz_run(json_t *doc, const char *alloc, const char *touch, const char *mode)
{
        return add_run(doc, alloc, "calloc-sweep", "calloc-sweep",
                       json_pack("{s:[i,i],s:s,s:s,s:s,s:I}", "sizes", 131072, 67108864,
                                 "iterations", "auto", "touch", touch, "mode", mode, "live_max",
                                 (json_int_t)1 << 30));
}

FIXTURE json_t *cz_point(json_t *run, double size, double ns, double minflt)
{
        json_t *p = add_point(run, size_params(size), ns, ns * 0.02);
        pset(p, "minflt_per_op", minflt);
        pset(p, "majflt_per_op", 0);
        pset(p, "rss_kib", 2000);
        pset(p, "vsz_kib", 3000);
        pset(p, "pte_kib", 44);
        pset(p, "live_peak_bytes", size);
        return p;
}

FIXTURE json_t *cal_uncalibrated(void)
{
        return json_pack("{s:{},s:n,s:n}", "memset_bytes_per_ns", "page_fault_ns", "mmap_ns");
}

/* ---- size-cliff ---------------------------------------------------------------- */

FIXTURE json_t *sc_point(json_t *run, double size, double median, double ci, double minflt)
{
        json_t *p = add_point(run, size_params(size), median, ci);
        pset(p, "minflt_per_op", minflt);
        pset(p, "rss_kib", 2000);
        pset(p, "vsz_kib", 3000);
        pset(p, "live_peak_bytes", size);
        return p;
}

FIXTURE json_t *sc_run(json_t *doc, const char *alloc)
{
        return add_run(doc, alloc, "calloc-sweep", "calloc-sweep",
                       json_pack("{s:s,s:s}", "touch", "none", "mode", "fresh"));
}

/* ---- vsz-bloat ---------------------------------------------------------------- */

FIXTURE json_t *vb_point(json_t *run, double vsz_kib, double rss_kib, double live)
{
        json_t *p = add_point(run, NULL, 50, 2);
        pset(p, "minflt_per_op", 0.01);
        pset(p, "vsz_kib", vsz_kib);
        pset(p, "rss_kib", rss_kib);
        pset(p, "live_peak_bytes", live);
        return p;
}

FIXTURE json_t *arena_run(json_t *doc, const char *alloc, int threads)
{
        return add_run(doc, alloc, "arena-churn", "arena-churn",
                       json_pack("{s:i,s:i,s:i,s:I}", "threads", threads, "rounds", 10, "ops",
                                 50000, "stack", (json_int_t)262144));
}

/* ---- rss-retention ---------------------------------------------------------------- */

/* The runner starts at 1356 KiB resident. */
FIXTURE json_t *rr_point(json_t *run, double size, double kept_kib, double peak)
{
        json_t *p = add_point(run, size_params(size), 500, 10);
        pset(p, "minflt_per_op", 0.01);
        pset(p, "rss_kib", 1356 + kept_kib);
        pset(p, "vsz_kib", 1356 + kept_kib + 2000);
        pset(p, "live_peak_bytes", peak);
        return p;
}

FIXTURE json_t *rr_run(json_t *doc, const char *alloc)
{
        return add_run(doc, alloc, "calloc-sweep", "calloc-sweep",
                       json_pack("{s:s,s:s}", "touch", "all", "mode", "fresh"));
}

/* ---- leak-growth ---------------------------------------------------------------- */

FIXTURE json_t *leak_run(json_t *doc, const char *alloc, int connections)
{
        json_t *run = add_run(doc, alloc, "conn-leak", "conn-leak",
                              connections ? json_pack("{s:i,s:i,s:i}", "connections", connections,
                                                      "rounds", 10, "leak_every", 64)
                                          : json_pack("{s:i}", "rounds", 10));
        json_t *p = add_point(run, NULL, 40, 2);
        pset(p, "minflt_per_op", 0.003);
        pset(p, "rss_kib", 4000);
        pset(p, "vsz_kib", 6800);
        pset(p, "live_peak_bytes", 4 * MIB);
        return run;
}

/* ---- address-space-growth ---------------------------------------------------------- */

FIXTURE json_t *mmap_run(json_t *doc, const char *wrap)
{
        json_t *run = add_run(doc, "glibc", "mmap-sweep", "mmap-sweep",
                              json_pack("{s:I,s:i}", "reserve", (json_int_t)6 << 30, "rounds", 10));
        json_t *p = add_point(run, NULL, 5e5, 1e4);
        if (wrap)
                json_object_set_new(run, "wrap", json_string(wrap));
        pset(p, "minflt_per_op", 10);
        pset(p, "rss_kib", 3000);
        pset(p, "vsz_kib", 6800);
        pset(p, "live_peak_bytes", 0);
        return run;
}

/* ---- allocation sites (--trace) ---------------------------------------------------- */

/* A site of run (borrowed) at its point index `point`, as --trace writes it:
 * the key ("mod!f<g<h", innermost first) and a frame for each of its parts
 * (a part without "mod!" is in the module before it); totals: an object of
 * sites[].total keys (stolen), every other total 0; rounds: live bytes at
 * each of n round ends (live blocks: a 64-byte block each; allocs 1), or
 * none when live is NULL. Returns the site, to adjust. */
FIXTURE json_t *add_site(json_t *run, int point, const char *key, json_t *totals,
                         const double *live, size_t n)
{
        json_t *t = json_object(), *frames = json_array(), *lb = json_array();
        json_t *bl = json_array(), *al = json_array(), *s, *sites, *f;
        char part[256], mod[256] = "?";
        for (int k = 0; k < AB_ST_COUNT; k++)
                json_object_set_new(t, ab_site_total_keys[k], json_integer(0));
        if (totals)
                json_object_update(t, totals);
        json_decref(totals);
        for (const char *p = key; *p;) {
                size_t len = strcspn(p, "<");
                const char *bang;
                snprintf(part, sizeof part, "%.*s", (int)len, p);
                if ((bang = strchr(part, '!'))) {
                        snprintf(mod, sizeof mod, "%.*s", (int)(bang - part), part);
                        memmove(part, bang + 1, strlen(bang));
                }
                f = json_pack("{s:s,s:s,s:n,s:n,s:b}", "function", part, "module", mod, "file",
                              "line", "inlined", 0);
                assert_non_null(f);
                json_array_append_new(frames, f);
                p += len + (p[len] == '<');
        }
        for (size_t i = 0; live && i < n; i++) {
                json_array_append_new(lb, jnum(live[i]));
                json_array_append_new(bl, jnum(floor(live[i] / 64)));
                json_array_append_new(al, json_integer(1));
        }
        s = json_pack("{s:i,s:s,s:o,s:i,s:b,s:b,s:o,s:{s:o,s:o,s:o}}", "point", point, "key", key,
                      "frames", frames, "stacks", 1, "unwound", 0, "truncated", 0, "total", t,
                      "rounds", "live_bytes", lb, "live_blocks", bl, "allocs", al);
        assert_non_null(s);
        if (!(sites = json_object_get(run, "sites"))) {
                sites = json_array();
                json_object_set_new(run, "sites", sites);
        }
        json_array_append_new(sites, s);
        return s;
}

/* The trace pass of run's point `point`: its rounds and the phase each
 * ended in (phases: n strings or NULLs; NULL: no round_phases). */
FIXTURE void add_trace_point(json_t *run, int point, size_t n, const char *const *phases)
{
        json_t *tr = json_object_get(run, "trace"), *ph = json_array(), *tp;
        if (!json_is_object(tr)) {
                tr = json_pack("{s:s,s:i,s:i,s:i,s:[]}", "target", "program", "sample_bytes", 0,
                               "depth", 32, "sites_max", 16, "points");
                json_object_set_new(run, "trace", tr);
        }
        for (size_t i = 0; phases && i < n; i++)
                json_array_append_new(ph, phases[i] ? json_string(phases[i]) : json_null());
        if (!phases) {
                json_decref(ph);
                ph = json_null();
        }
        tp = json_pack("{s:i,s:s,s:n,s:i,s:I,s:o,s:i,s:i,s:b}", "point", point, "status", "ok",
                       "error", "processes", 1, "rounds", (json_int_t)n, "round_phases", ph,
                       "sites_seen", 4, "sites_kept", 4, "incomplete", 0);
        assert_non_null(tp);
        json_array_append_new(get(tr, "points"), tp);
}

#endif
