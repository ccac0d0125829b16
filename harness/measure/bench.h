/*
 * bench.h - the types the harness's commands share: a resolved job (which
 * kernel, which parameter values, which points), the options of a run, and
 * what a run measured. Owned by the parent; nothing here enters a child.
 */
#ifndef AB_BENCH_H
#define AB_BENCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "measure/account.h"
#include "measure/backend.h"
#include "measure/spawn.h"
#include "measure/target.h"
#include "report/verdict.h"
#include "core/stats.h"
#include "workload.h"

#define AB_MAX_PARAMS 64

#define AB_MAX_REPS   1000 /* --reps and --max-reps */
#define AB_MAX_ALLOCS 64   /* allocators in one run */

struct ab_job {
        char name[128]; /* as the user named it: built-in name or job file */
        const struct ab_workload *w;
        uint64_t v[AB_MAX_PARAMS]; /* scalar values; AB_AUTO where auto */
        char *text[AB_MAX_PARAMS]; /* AB_PT_SIZES values as given, AB_PT_RECORD's absolute
                                      path (malloc'd) */
        char *local[AB_MAX_PARAMS]; /* AB_PT_RECORD: the file the runner maps, when not
                                       text[i] (a compressed record unpacked; malloc'd) */
        char source[512];          /* job file it came from, "" for a built-in */
        char help[256];            /* the job file's help line */
        int sweep;                 /* index of the swept parameter, or -1 */
        uint64_t *points;          /* values of the swept parameter */
        size_t npoints;            /* >= 1 */
};

struct ab_opts {
        struct ab_alloc *allocs;
        size_t nallocs;
        struct ab_job *jobs;
        size_t njobs;
        unsigned reps;    /* fixed repetitions (--reps), or the minimum when adaptive */
        bool adaptive;    /* repetitions until --precision, --max-reps or the budget */
        double precision; /* CI95 half-width wanted, relative to the median */
        unsigned max_reps;
        double point_budget_s; /* adaptive: wall time per point beyond the minimum */
        uint64_t seed;
        const char *out;
        struct ab_target target; /* out, checked: where the results file goes */
        enum ab_format format;
        bool quiet;
        int fail_on;   /* severity rank that makes bench exit 2, or -1 */
        int count;     /* AB_COUNT_NONE, AB_COUNT_HW (--count instructions), AB_COUNT_CALLGRIND */
        bool syscalls; /* --syscalls: an strace accounting pass per point */
        enum ab_trace_target {
                AB_TRACE_OFF,
                AB_TRACE_PROGRAM,  /* --trace: the workload process (runner or program) */
                AB_TRACE_LAUNCHER, /* --trace=launcher: the --wrap emulator's own process */
        } trace;
        uint64_t trace_sample; /* --trace-sample: mean bytes between samples; 0 exact */
        unsigned trace_depth;  /* --trace-depth (32) */
        unsigned trace_sites;  /* --trace-sites: sites kept per point (16) */
        const char *record;    /* --record FILE: the traced runs' allocation records */
        /* verdicts on sites (--verdicts FILE, or ./allocbench.verdicts when
         * there), budgets (--budget) and --fail-on-new-site */
        const char *verdicts_path; /* NULL: none applied */
        struct ab_verdicts verdicts;
        struct ab_budget budgets[32];
        size_t nbudgets;
        bool fail_new_site;
        char **env;    /* --env KEY=VALUE */
        size_t nenv;
        unsigned sample_ms;
        uint64_t timeout_ns;
        uint64_t mem_limit;
        const char *cpus;
        const char *numa; /* --numa policy as given, or NULL */
        /* --wrap: the launchers, each run natively ("none": argc 0) or under
         * it; with several, every allocator runs under each (the runs of
         * allocs[] carry their launcher's index). wrap/wrap_argv/wrap_argc are
         * the first launcher that is not "none" (calibration runs under it). */
        struct ab_wrap {
                char *text;  /* as given */
                char **argv; /* its words; [0] resolved through PATH */
                size_t argc; /* 0: none (natively) */
        } * wraps;
        size_t nwraps;
        char *wrap;
        char **wrap_argv;
        size_t wrap_argc;
        char **cmd_argv; /* after --: the program of the cmd workload */
        char *cmd_prog;  /* cmd_argv[0] resolved through PATH (malloc'd), or NULL */
        int cmd_argc;
        /* cmd: rounds in the user's program, and where its output goes */
        unsigned round_ms; /* --round-ms: a round every N ms; 0: none */
        int round_signal;  /* --round-signal: the program's signal that ends a round; 0: none */
        const char *program_output; /* --program-output: "inherit", "null", a FILE, or NULL:
                                       files beside the results */
        /* --shard K/N: this run measures the cells of shard k of n
         * (measure/shard.h); n 0: the whole matrix */
        unsigned shard_k, shard_n;
        int argc;                   /* the whole command line, for the results file */
        char **argv;
};

/* One repetition of one point, as measured. */
struct ab_rep {
        uint64_t start_ns; /* when its process was started, since the matrix started */
        uint64_t ops, op_hash;
        double ns_per_op, user_ns_per_op, sys_ns_per_op, minflt_per_op, majflt_per_op;
        int64_t rss_kib, vsz_kib, pte_kib, hwm_kib, instructions;
        /* a program's tree at its largest (cmd); AB_UNKNOWN for kernels */
        int64_t anon_kib, anon_vsz_kib, threads, procs;
        uint64_t live_peak;
        double cpu_ns_per_op;          /* user + sys */
        double first_ns, first_minflt; /* the cold op; NAN when not timed */
        uint64_t warmup_ops;
        uint32_t warmup_end;
        bool have_halves;
        double half_ns_per_op[2], half_minflt_per_op[2];
        struct ab_rec_round *rounds; /* malloc'd copy of the repetition's rounds */
        size_t nrounds;
};

struct ab_point_res {
        uint64_t value;   /* of the swept parameter (unused without a sweep) */
        uint64_t ops;     /* per repetition */
        uint64_t op_hash; /* of the point's op stream (equal in every repetition) */
        struct ab_rep *reps;
        size_t nreps, capreps;
        uint64_t iters;             /* the op count asked of the runner (0: the workload's) */
        uint64_t last_ns, spent_ns; /* wall time of the last repetition; of those past the minimum */
        bool done;                  /* adaptive repetitions: this allocator needs no more */
        bool skipped;               /* --shard: another shard's cell; never run, not written */
        const char *precision_note; /* why the precision was not met, or NULL */
        /* iterations=auto: how the op count was chosen (method NULL: not auto) */
        const char *auto_method;
        double auto_cost_ns, auto_minflt;
        enum ab_status status;
        int exit_code, signal;
        char error[256];
        double callgrind_per_op; /* instructions per op from the callgrind pass; NAN if none */
        bool have_syscalls;      /* from the strace pass */
        struct ab_syscalls sc;
        uint64_t sc_ops; /* ops of the strace pass */
        /* --trace: how the point's trace pass went (schema.md: trace.points)
         * and its sites (sites), built by trace_pass.c; NULL without */
        json_t *trace, *sites;
        /* --syscalls with --trace: the strace pass's mmap/munmap/mprotect
         * attributed to their callers by strace -k stacks (sites with
         * "source": "strace"); NULL without */
        json_t *sc_sites;
};

struct ab_run_res {
        const struct ab_alloc *alloc;
        const struct ab_job *job;
        char version[AB_VERSION_LEN]; /* "" when unknown */
        char library[AB_LIBRARY_LEN];
        char libc[AB_LIBC_LEN]; /* the measured process's C library, as it says; "" unknown */
        int64_t runner_rss_kib, runner_vsz_kib;
        uint64_t op_hash;
        enum ab_status status;
        struct ab_point_res *points; /* job->npoints */
        struct ab_sample *timeline;  /* t_ns since the matrix started */
        size_t ntimeline;
        /* the timeline's stretches, one per measured process: which point
         * and repetition it ran, when it started, its samples */
        struct ab_span {
                size_t point;
                unsigned rep;        /* 1-based */
                uint64_t start_ns;   /* since the matrix started */
                size_t first, count; /* timeline[first .. first+count) */
        } * spans;
        size_t nspans;
        /* cmd: which files served malloc in the program's processes (from
         * the marks agent's hello), and in how many processes each */
        struct {
                char owner[240];
                unsigned procs;
        } malloc_owner[8];
        size_t nowners;
        const char *program_out[2]; /* cmd: where stdout and stderr went (NULL: inherited) */
};

/* The figures of a point over its repetitions (summary.c): what the results
 * writer writes, computed once. NAN or AB_UNKNOWN where not measured. */
struct ab_point_sum {
        size_t n; /* repetitions */
        bool have_ns, have_cpu;
        struct ab_summary ns, cpu; /* wall and CPU time per op */
        double halfwidth;          /* of ns, relative to its median */
        bool precision_met;
        const char *precision_note;                     /* why not met, or NULL */
        double user, sys, minflt, majflt;               /* per op, medians */
        int64_t rss_kib, vsz_kib, pte_kib, peak_kib;    /* AB_UNKNOWN when a repetition lacks it */
        /* memory_range: the lowest and highest repetition of the figures
         * compare judges (AB_UNKNOWN / NAN when a repetition lacks it) */
        int64_t rss_range[2], vsz_range[2], pte_range[2], peak_range[2];
        double minflt_range[2];
        int64_t anon_kib, anon_vsz_kib, threads, procs; /* cmd: the tree at its largest */
        double instructions; /* per op: the callgrind pass, else the counter; NAN */
        int steady;          /* 1, 0, or -1 when not checked (one op per repetition) */
        double half_ns[2], half_minflt[2];
        double first_ns, first_minflt, warmup_ops; /* NAN when the cold op was not timed */
        const char *warmup_end;                    /* "steady", "time cap", "most ops", or NULL */
};

/* Summarise p's repetitions against the wanted precision. */
void ab_point_summarise(const struct ab_point_res *p, double precision, struct ab_point_sum *s);

/* One round, summarised over the repetitions (median of each figure). */
struct ab_round_sum {
        uint64_t index;
        double ns, live_bytes;             /* live_bytes NAN when unknown (a program's rounds) */
        int64_t rss_kib, vsz_kib, pte_kib; /* AB_UNKNOWN when unmeasured */
        int64_t anon_kib, anon_vsz_kib, threads, procs;
        char phase[40]; /* the first repetition's ("" when none) */
        char by[8];     /* the first repetition's: mark, signal, window ("" for kernels) */
};

/* Rounds of a point: out[i] for the round indices every repetition reached.
 * Returns the count (out is malloc'd, NULL when 0). */
size_t ab_rounds_summary(const struct ab_point_res *p, struct ab_round_sum **out);

/* results.c */
json_t *ab_results_build(const struct ab_opts *o, struct ab_run_res *runs, size_t nruns,
                         json_t *host, json_t *calibration, bool interrupted);
json_t *ab_job_params_json(const struct ab_job *j);
json_t *ab_point_params_json(const struct ab_job *j, uint64_t value);

/* host.c */
json_t *ab_host_json(void);

/* table.c */

/* jobfile.c: load a job file into j (named `name`). */
int ab_jobfile_load(const char *path, const char *name, struct ab_job *j, char *err, size_t errlen);

/* The directory of the shipped job files: workloads/ next to bench, or one
 * level up (bench built in build/). Returns 0 or -ENOENT. */
int ab_jobdir(char *out, size_t len);

/* calibrate.c: the calibration object of SPEC §5, cached per host and
 * launcher (o may be NULL: no launcher, no placement). With tell, a line on
 * stderr says when and why it measures rather than reuses. NULL on failure
 * with a message. */
json_t *ab_calibration_get(const struct ab_opts *o, bool force, bool tell, char *err,
                           size_t errlen);
int ab_cmd_calibrate(int argc, char **argv);

/* The calibration object's costs for a kernel's cost model (the object is
 * borrowed by c). 0, or -ENOENT when it has no page-fault cost. */
int ab_calibration_costs(json_t *cal, struct ab_costs *c);

/* The calibrated cost of zeroing `size` bytes, or -1 without figures. */
double ab_calib_memset_ns(json_t *cal, uint64_t size);

/* account pass tools and their versions, for the results */
struct ab_tools {
        char valgrind[64], strace[64];
};

/* run.c */
int ab_cmd_run(int argc, char **argv);
int ab_cmd_list(int argc, char **argv); /* list.c */
int ab_cmd_trace(int argc, char **argv); /* trace_cmd.c: bench trace info|cut */
int ab_cmd_merge(int argc, char **argv); /* merge.c: bench merge SHARD.. -o OUT */
const char *ab_runner_path(void);
/* The runner a child of allocator a starts: a->runner (ab-runner-musl for
 * musl), or ab-runner. */
const char *ab_alloc_runner(const struct ab_alloc *a);
/* A file next to the runner (its agent, its tracer, another runner), into buf. */
void ab_runner_sibling(const char *file, char *buf, size_t len);
/* The allocation-site tracer, libabtrace.so, next to the runner. */
const char *ab_tracer_path(void);
int ab_find_runner(const char *argv0);

#endif
