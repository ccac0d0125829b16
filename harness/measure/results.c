/*
 * results.c - the results document (SPEC §5, schema allocbench/results/1) and
 * the atomic file write every output of allocbench goes through.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "measure/bench.h"
#include "measure/job.h"
#include "measure/shard.h"
#include "core/parse.h"
#include "prim/prim.h"
#include "core/stats.h"

#ifndef AB_VERSION
#define AB_VERSION "0.0.0"
#endif
#ifndef AB_GIT
#define AB_GIT "unknown"
#endif

/* A measured integer, or null when it could not be measured. */
static json_t *jint(int64_t v)
{
        return v == AB_UNKNOWN ? json_null() : json_integer(v);
}

static const char *enum_text(const struct ab_param *p, uint64_t v, char *buf, size_t len)
{
        const char *c = p->choices;
        for (uint64_t e = 0; e < v && c; e++) {
                c = strchr(c, '|');
                if (c)
                        c++;
        }
        snprintf(buf, len, "%.*s", c ? (int)strcspn(c, "|") : 0, c ? c : "");
        return buf;
}

static json_t *param_value(const struct ab_param *p, uint64_t v, const char *text)
{
        char buf[64];
        if (p->type == AB_PT_SIZES) {
                uint64_t vals[AB_SIZES_MAX];
                size_t n = 0;
                json_t *a = json_array();
                if (text && ab_parse_list(text, vals, AB_SIZES_MAX, &n) == 0)
                        for (size_t i = 0; i < n; i++)
                                json_array_append_new(a, json_integer((json_int_t)vals[i]));
                return a;
        }
        if (p->type == AB_PT_RECORD)
                return text ? json_string(text) : json_null();
        if (v == AB_AUTO)
                return json_string("auto");
        if (p->type == AB_PT_ENUM)
                return json_string(enum_text(p, v, buf, sizeof buf));
        return json_integer((json_int_t)v);
}

json_t *ab_job_params_json(const struct ab_job *j)
{
        json_t *o = json_object();
        for (size_t i = 0; i < j->w->nparams; i++) {
                const struct ab_param *p = &j->w->params[i];
                if ((int)i == j->sweep && j->npoints > 1) {
                        json_t *a = json_array();
                        for (size_t k = 0; k < j->npoints; k++)
                                json_array_append_new(a, json_integer((json_int_t)j->points[k]));
                        json_object_set_new(o, p->name, a);
                } else {
                        uint64_t v = (int)i == j->sweep ? j->points[0] : j->v[i];
                        json_object_set_new(o, p->name, param_value(p, v, j->text[i]));
                }
        }
        return o;
}

json_t *ab_point_params_json(const struct ab_job *j, uint64_t value)
{
        json_t *o = json_object();
        if (j->sweep >= 0)
                json_object_set_new(o, j->w->params[j->sweep].point_key,
                                    json_integer((json_int_t)value));
        return o;
}

/* How iterations=auto chose this point's op count. */
static json_t *auto_json(const struct ab_point_res *p)
{
        if (!p->auto_method)
                return NULL;
        return json_pack("{s:s,s:o,s:o}", "method", p->auto_method, "op_cost_ns",
                         isnan(p->auto_cost_ns) ? json_null() : json_real(p->auto_cost_ns),
                         "minflt_per_op",
                         isnan(p->auto_minflt) ? json_null() : json_real(p->auto_minflt));
}

static json_t *summary_json(bool have, const struct ab_summary *s)
{
        if (!have)
                return json_null();
        return json_pack(
            "{s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "median", s->median, "min", s->min, "max", s->max,
            "ci95_lo", s->ci95_lo, "ci95_hi", s->ci95_hi, "ci_coverage", s->coverage, "halfwidth",
            s->median > 0 ? fmax(s->ci95_hi - s->median, s->median - s->ci95_lo) / s->median : 0.0);
}

static json_t *jreal(double v)
{
        return isnan(v) ? json_null() : json_real(v);
}

/* steady, the halves, the cold op and the warm-up. */
static void warm_json(json_t *o, const struct ab_point_sum *s)
{
        json_object_set_new(o, "steady", s->steady < 0 ? json_null() : json_boolean(s->steady));
        if (s->steady >= 0)
                json_object_set_new(o, "halves",
                                    json_pack("{s:[f,f],s:[f,f]}", "ns_per_op", s->half_ns[0],
                                              s->half_ns[1], "minflt_per_op", s->half_minflt[0],
                                              s->half_minflt[1]));
        json_object_set_new(o, "first_op_ns", jreal(s->first_ns));
        json_object_set_new(o, "first_op_minflt", jreal(s->first_minflt));
        if (s->warmup_end) {
                json_object_set_new(o, "warmup_ops", jreal(s->warmup_ops));
                json_object_set_new(o, "warmup_end", json_string(s->warmup_end));
        }
}

/* The strace pass: per op, and its exact counts over its `ops` ops. */
static void syscalls_json(json_t *o, const struct ab_point_res *p)
{
        json_t *per = json_object(), *tot = json_object();
        double ops = (double)p->sc_ops;
        if (!p->have_syscalls || !p->sc_ops) {
                json_decref(per);
                json_decref(tot);
                json_object_set_new(o, "syscalls_per_op", json_null());
                return;
        }
        for (int i = 0; i < AB_SC_N; i++) {
                json_object_set_new(per, ab_syscall_names[i], json_real((double)p->sc.n[i] / ops));
                json_object_set_new(tot, ab_syscall_names[i], json_integer((json_int_t)p->sc.n[i]));
        }
        json_object_set_new(per, "mapped_bytes", json_real((double)p->sc.mapped_bytes / ops));
        json_object_set_new(per, "unmapped_bytes", json_real((double)p->sc.unmapped_bytes / ops));
        json_object_set_new(per, "advised_bytes", json_real((double)p->sc.advised_bytes / ops));
        json_object_set_new(per, "ops", json_integer((json_int_t)p->sc_ops));
        json_object_set_new(tot, "mapped_bytes", json_integer((json_int_t)p->sc.mapped_bytes));
        json_object_set_new(tot, "unmapped_bytes", json_integer((json_int_t)p->sc.unmapped_bytes));
        json_object_set_new(tot, "advised_bytes", json_integer((json_int_t)p->sc.advised_bytes));
        json_object_set_new(tot, "ops", json_integer((json_int_t)p->sc_ops));
        json_object_set_new(o, "syscalls_per_op", per);
        json_object_set_new(o, "syscalls", tot);
}

/* memory_range: each figure compare judges as [lowest, highest] over the
 * repetitions (ab_point_summarise); a figure some repetition lacks is left
 * out. compare counts a change only when the two files' ranges do not
 * overlap, so one process in a few keeping an extra span is no regression. */
static json_t *memory_range_json(const struct ab_point_sum *s)
{
        const struct {
                const char *key;
                const int64_t *r;
        } kib[] = {{"rss_kib", s->rss_range},
                   {"vsz_kib", s->vsz_range},
                   {"pte_kib", s->pte_range},
                   {"peak_rss_kib", s->peak_range}};
        json_t *o = json_object();
        for (size_t k = 0; k < sizeof kib / sizeof kib[0]; k++)
                if (kib[k].r[0] != AB_UNKNOWN)
                        json_object_set_new(o, kib[k].key,
                                            json_pack("[I, I]", (json_int_t)kib[k].r[0],
                                                      (json_int_t)kib[k].r[1]));
        if (!isnan(s->minflt_range[0]))
                json_object_set_new(o, "minflt_per_op",
                                    json_pack("[f, f]", s->minflt_range[0], s->minflt_range[1]));
        return o;
}

static json_t *point_json(const struct ab_opts *opt, const struct ab_run_res *run,
                          const struct ab_point_res *p)
{
        json_t *o = json_object(), *samples = json_array(), *starts = json_array(), *iter_auto;
        bool kernel = run->job->w->kind == AB_WK_KERNEL;
        struct ab_point_sum s;
        char hash[20];
        uint64_t live = 0;

        ab_point_summarise(p, opt->precision, &s);
        json_object_set_new(o, "params", ab_point_params_json(run->job, p->value));
        json_object_set_new(o, "status", json_string(ab_status_name(p->status)));
        if (p->status != AB_ST_OK) {
                json_object_set_new(o, "exit_code",
                                    p->exit_code >= 0 ? json_integer(p->exit_code) : json_null());
                json_object_set_new(o, "signal", p->signal ? json_integer(p->signal) : json_null());
                json_object_set_new(o, "error", json_string(p->error));
        }
        json_object_set_new(o, "ops", p->nreps ? json_integer((json_int_t)p->ops) : json_null());
        json_object_set_new(o, "reps", json_integer((json_int_t)p->nreps));
        for (size_t i = 0; i < p->nreps; i++) {
                json_array_append_new(samples, json_real(p->reps[i].ns_per_op));
                json_array_append_new(starts, json_real((double)p->reps[i].start_ns / 1e6));
                if (p->reps[i].live_peak > live)
                        live = p->reps[i].live_peak;
        }
        json_object_set_new(o, "samples_ns_per_op", samples);
        json_object_set_new(o, "samples_start_ms", starts);
        json_object_set_new(o, "ns_per_op", summary_json(s.have_ns, &s.ns));
        json_object_set_new(o, "precision_met",
                            p->nreps ? json_boolean(s.precision_met) : json_null());
        if (p->nreps && s.precision_note)
                json_object_set_new(o, "precision_note", json_string(s.precision_note));
        json_object_set_new(o, "cpu_ns_per_op", summary_json(s.have_cpu, &s.cpu));
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)p->op_hash);
        json_object_set_new(o, "op_hash", p->nreps && kernel ? json_string(hash) : json_null());
        if ((iter_auto = auto_json(p)))
                json_object_set_new(o, "iterations_auto", iter_auto);
        warm_json(o, &s);
        json_object_set_new(o, "user_ns_per_op", jreal(s.user));
        json_object_set_new(o, "sys_ns_per_op", jreal(s.sys));
        json_object_set_new(o, "minflt_per_op", jreal(s.minflt));
        json_object_set_new(o, "majflt_per_op", jreal(s.majflt));
        json_object_set_new(o, "rss_kib", jint(s.rss_kib));
        json_object_set_new(o, "vsz_kib", jint(s.vsz_kib));
        json_object_set_new(o, "pte_kib", jint(s.pte_kib));
        json_object_set_new(o, "peak_rss_kib", jint(s.peak_kib));
        json_object_set_new(o, "memory_range", memory_range_json(&s));
        json_object_set_new(o, "live_peak_bytes",
                            p->nreps && kernel ? json_integer((json_int_t)live) : json_null());
        json_object_set_new(o, "instructions_per_op", jreal(s.instructions));
        if (!kernel) { /* a program: its process tree at its largest */
                json_object_set_new(o, "anon_kib", jint(s.anon_kib));
                json_object_set_new(o, "anon_vsz_kib", jint(s.anon_vsz_kib));
                json_object_set_new(o, "threads", jint(s.threads));
                json_object_set_new(o, "procs", jint(s.procs));
        }
        syscalls_json(o, p);
        return o;
}

/* One round's figures: a kernel's (with its own count of live bytes), or a
 * program's (the process tree from outside: anonymous memory, threads,
 * processes, the phase it last named). */
static json_t *round_json(const struct ab_round_sum *rs, bool program)
{
        json_t *r = json_pack("{s:I,s:f,s:o,s:o,s:o,s:o}", "index", (json_int_t)rs->index, "ns",
                              rs->ns, "rss_kib", jint(rs->rss_kib), "vsz_kib", jint(rs->vsz_kib),
                              "pte_kib", jint(rs->pte_kib), "live_bytes", jreal(rs->live_bytes));
        if (program) {
                json_object_set_new(r, "anon_kib", jint(rs->anon_kib));
                json_object_set_new(r, "anon_vsz_kib", jint(rs->anon_vsz_kib));
                json_object_set_new(r, "threads", jint(rs->threads));
                json_object_set_new(r, "procs", jint(rs->procs));
                if (rs->phase[0])
                        json_object_set_new(r, "phase", json_string(rs->phase));
                if (rs->by[0])
                        json_object_set_new(r, "by", json_string(rs->by));
        }
        return r;
}

static json_t *rounds_json(const struct ab_run_res *run)
{
        json_t *rounds = json_array();
        bool program = run->job->w->kind == AB_WK_PROGRAM;
        for (size_t p = 0; p < run->job->npoints; p++) {
                struct ab_round_sum *rs;
                size_t n = ab_rounds_summary(&run->points[p], &rs);
                for (size_t i = 0; i < n; i++) {
                        json_t *r = round_json(&rs[i], program);
                        if (run->job->sweep >= 0)
                                json_object_set_new(
                                    r, "params",
                                    ab_point_params_json(run->job, run->points[p].value));
                        json_array_append_new(rounds, r);
                }
                free(rs);
        }
        return rounds;
}

/* Was the program served by the allocator asked for? Every process that
 * started the marks agent named the file serving its malloc: true when each
 * is the requested library (glibc: the C library), false when one is not,
 * null when none said (the program exited first, or is static). */
static json_t *preload_verified(const struct ab_run_res *run)
{
        char want[PATH_MAX], got[PATH_MAX];
        if (!run->nowners)
                return json_null();
        for (size_t i = 0; i < run->nowners; i++) {
                const char *owner = run->malloc_owner[i].owner;
                if (run->alloc->library[0]) {
                        if (!realpath(run->alloc->library, want) || !realpath(owner, got) ||
                            strcmp(want, got) != 0)
                                return json_false();
                } else if (!strstr(owner, "/libc.so") && !strstr(owner, "/libc-")) {
                        return json_false();
                }
        }
        return json_true();
}

/* cmd: the program, where its output went, and who served its malloc. */
static void program_json(json_t *o, const struct ab_opts *opt, const struct ab_run_res *run)
{
        json_t *cmd = json_array(), *served = json_array();
        for (int i = 0; i < opt->cmd_argc; i++)
                json_array_append_new(cmd, json_string(opt->cmd_argv[i]));
        json_object_set_new(o, "program", cmd);
        json_object_set_new(
            o, "program_output",
            json_pack("{s:s?,s:s?}", "stdout", run->program_out[0], "stderr", run->program_out[1]));
        for (size_t i = 0; i < run->nowners; i++)
                json_array_append_new(served,
                                      json_pack("{s:s,s:i}", "library", run->malloc_owner[i].owner,
                                                "processes", (int)run->malloc_owner[i].procs));
        json_object_set_new(o, "malloc_served_by", served);
        json_object_set_new(o, "preload_verified", preload_verified(run));
}

/* Point p of the run as the document indexes it: the job's index, less
 * the points before it that another shard measures (--shard). */
static json_int_t doc_point(const struct ab_run_res *run, size_t p)
{
        json_int_t k = 0;
        for (size_t i = 0; i < p && i < run->job->npoints; i++)
                k += !run->points[i].skipped;
        return k;
}

/* An object of point p's passes (its trace, a site) into arr. They name
 * their point by the job's index; in a shard's document, where that is
 * not the document's, a copy names it by the document's (the point's own
 * objects stay as they are). */
static void add_pointed(json_t *arr, json_t *item, const struct ab_run_res *run, size_t p)
{
        json_t *copy;
        if (doc_point(run, p) == (json_int_t)p) {
                json_array_append(arr, item);
                return;
        }
        copy = json_deep_copy(item);
        json_object_set_new(copy, "point", json_integer(doc_point(run, p)));
        json_array_append_new(arr, copy);
}

/* One stretch of the timeline per measured process: the point (index into
 * points) and repetition it ran, when it started, and its samples. */
static json_t *spans_json(const struct ab_run_res *run)
{
        json_t *a = json_array();
        for (size_t i = 0; i < run->nspans; i++) {
                const struct ab_span *sp = &run->spans[i];
                json_array_append_new(
                    a, json_pack("{s:I,s:i,s:f,s:I,s:I}", "point", doc_point(run, sp->point), "rep",
                                 (int)sp->rep, "start_ms", (double)sp->start_ns / 1e6, "first",
                                 (json_int_t)sp->first, "count", (json_int_t)sp->count));
        }
        return a;
}

/* --trace: how each point's trace pass went, and the sites of every point
 * in one list (each names its point). */
static void trace_json(json_t *o, const struct ab_opts *opt, const struct ab_run_res *run)
{
        json_t *points = json_array(), *sites = json_array();
        bool launcher = opt->trace == AB_TRACE_LAUNCHER && run->alloc->wrap > 0 &&
                        run->alloc->wrap <= opt->nwraps &&
                        opt->wraps[run->alloc->wrap - 1].argc > 0;
        for (size_t p = 0; p < run->job->npoints; p++) {
                const struct ab_point_res *pt = &run->points[p];
                json_t *s;
                size_t i;
                if (pt->trace)
                        add_pointed(points, pt->trace, run, p);
                json_array_foreach(pt->sites, i, s) add_pointed(sites, s, run, p);
                json_array_foreach(pt->sc_sites, i, s) add_pointed(sites, s, run, p);
        }
        json_object_set_new(o, "trace",
                            json_pack("{s:s,s:I,s:i,s:i,s:o}", "target",
                                      launcher ? "launcher" : "program", "sample_bytes",
                                      (json_int_t)opt->trace_sample, "depth", (int)opt->trace_depth,
                                      "sites_max", (int)opt->trace_sites, "points", points));
        json_object_set_new(o, "sites", sites);
}

static json_t *run_json(const struct ab_opts *opt, const struct ab_run_res *run)
{
        json_t *o = json_object(), *env = json_object(), *points = json_array();
        json_t *timeline = json_array();
        char hash[20];

        json_object_set_new(o, "allocator",
                            json_pack("{s:s,s:s?,s:s?,s:s?}", "name", run->alloc->name, "library",
                                      run->library[0] ? run->library : NULL, "requested",
                                      run->alloc->library[0] ? run->alloc->library : NULL,
                                      "version", run->version[0] ? run->version : NULL));
        json_object_set_new(o, "workload",
                            json_pack("{s:s,s:s,s:o}", "name", run->job->name, "kernel",
                                      run->job->w->name, "params", ab_job_params_json(run->job)));
        json_object_set_new(o, "wrap",
                            run->alloc->wrap > 0 && run->alloc->wrap <= opt->nwraps
                                ? json_string(opt->wraps[run->alloc->wrap - 1].text)
                                : json_null());
        json_object_set_new(o, "placement",
                            json_pack("{s:s?,s:s?}", "cpus", opt->cpus, "numa", opt->numa));
        if (run->job->w->kind == AB_WK_PROGRAM)
                program_json(o, opt, run);
        if (run->job->source[0])
                json_object_set_new(o, "job_file", json_string(run->job->source));
        for (size_t i = 0; i < opt->nenv; i++) {
                const char *e = opt->env[i];
                size_t k = strcspn(e, "=");
                char key[256];
                snprintf(key, sizeof key, "%.*s", (int)k, e);
                json_object_set_new(env, key, json_string(e + k + 1));
        }
        json_object_set_new(o, "env", env);
        json_object_set_new(o, "seed", json_integer((json_int_t)opt->seed));
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)run->op_hash);
        json_object_set_new(o, "op_hash", json_string(hash));
        json_object_set_new(o, "status", json_string(ab_status_name(run->status)));
        /* the runner's C library; a program (cmd) brings its own */
        json_object_set_new(o, "libc",
                            run->libc[0] && strcmp(run->libc, "unknown") != 0 &&
                                    run->job->w->kind == AB_WK_KERNEL
                                ? json_string(run->libc)
                                : json_null());
        json_object_set_new(o, "runner_rss_kib", jint(run->runner_rss_kib));
        json_object_set_new(o, "runner_vsz_kib", jint(run->runner_vsz_kib));
        for (size_t p = 0; p < run->job->npoints; p++)
                if (!run->points[p].skipped)
                        json_array_append_new(points, point_json(opt, run, &run->points[p]));
        json_object_set_new(o, "points", points);
        json_object_set_new(o, "rounds", rounds_json(run));
        for (size_t i = 0; i < run->ntimeline; i++) {
                const struct ab_sample *s = &run->timeline[i];
                json_array_append_new(timeline, json_pack("[f,o,o]", (double)s->t_ns / 1e6,
                                                          jint(s->rss_kib), jint(s->vsz_kib)));
        }
        json_object_set_new(o, "timeline", timeline);
        json_object_set_new(o, "timeline_spans", spans_json(run));
        if (opt->trace)
                trace_json(o, opt, run);
        return o;
}

/* The allocators and each workload's points, in the canonical order. */
static json_t *matrix_json(const struct ab_opts *o)
{
        json_t *allocs = json_array(), *jobs = json_array();
        for (size_t a = 0; a < o->nallocs; a++) {
                const struct ab_alloc *al = &o->allocs[a];
                json_array_append_new(allocs, json_pack("{s:s,s:s?}", "name", al->name, "wrap",
                                                        al->wrap > 0 && al->wrap <= o->nwraps
                                                            ? o->wraps[al->wrap - 1].text
                                                            : NULL));
        }
        for (size_t j = 0; j < o->njobs; j++) {
                const struct ab_job *jb = &o->jobs[j];
                json_t *points = json_array();
                for (size_t p = 0; p < jb->npoints; p++)
                        json_array_append_new(points,
                                              ab_point_params_json(jb, ab_job_point_value(jb, p)));
                json_array_append_new(jobs,
                                      json_pack("{s:s,s:o}", "name", jb->name, "points", points));
        }
        return json_pack("{s:o,s:o}", "allocators", allocs, "workloads", jobs);
}

/* --shard: the document's "shard" object (harness/doc/schema.md): index,
 * count, rule, cells_total, cells (this shard's canonical indices) and
 * matrix (the allocators and each workload's points, which define the
 * canonical order). */
static json_t *shard_json(const struct ab_opts *o)
{
        json_t *cells = json_array();
        for (size_t j = 0; j < o->njobs; j++)
                for (size_t p = 0; p < o->jobs[j].npoints; p++)
                        for (size_t a = 0; a < o->nallocs; a++)
                                if (ab_shard_mine(o, j, p, a))
                                        json_array_append_new(
                                            cells,
                                            json_integer((json_int_t)ab_shard_cell(o, j, p, a)));
        return json_pack("{s:i,s:i,s:s,s:I,s:o,s:o}", "index", (int)o->shard_k, "count",
                         (int)o->shard_n, "rule", AB_SHARD_RULE, "cells_total",
                         (json_int_t)ab_shard_cells(o), "cells", cells, "matrix", matrix_json(o));
}

json_t *ab_results_build(const struct ab_opts *o, struct ab_run_res *runs, size_t nruns,
                         json_t *host, json_t *calibration, bool interrupted)
{
        json_t *doc = json_object(), *cmd = json_array(), *arr = json_array();
        char created[32];
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
        for (int i = 0; i < o->argc; i++)
                json_array_append_new(cmd, json_string(o->argv[i]));
        json_object_set_new(doc, "schema", json_string("allocbench/results/1"));
        json_object_set_new(
            doc, "tool",
            json_pack("{s:s,s:s,s:s}", "name", "allocbench", "version", AB_VERSION, "git", AB_GIT));
        json_object_set_new(doc, "created", json_string(created));
        json_object_set_new(doc, "command", cmd);
        json_object_set_new(doc, "interrupted", json_boolean(interrupted));
        json_object_set_new(doc, "host", host);
        json_object_set_new(doc, "calibration",
                            calibration ? calibration
                                        : json_pack("{s:{},s:n,s:n}", "memset_bytes_per_ns",
                                                    "page_fault_ns", "mmap_ns"));
        json_object_set_new(doc, "reps", o->adaptive ? json_null() : json_integer(o->reps));
        json_object_set_new(doc, "repetitions",
                            json_pack("{s:s,s:f,s:i,s:i,s:f}", "mode",
                                      o->adaptive ? "adaptive" : "fixed", "precision", o->precision,
                                      "min", o->adaptive ? (o->reps > 6 ? o->reps : 6) : o->reps,
                                      "max", o->adaptive ? o->max_reps : o->reps, "point_budget_s",
                                      o->point_budget_s));
        json_object_set_new(doc, "sample_ms", json_integer(o->sample_ms));
        for (size_t i = 0; i < nruns; i++)
                if (doc_point(&runs[i], runs[i].job->npoints) > 0) /* a cell of this shard */
                        json_array_append_new(arr, run_json(o, &runs[i]));
        json_object_set_new(doc, "runs", arr);
        json_object_set_new(doc, "flags", json_array());
        if (o->shard_n)
                json_object_set_new(doc, "shard", shard_json(o));
        return doc;
}
