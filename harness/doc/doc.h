/*
 * doc.h - the results document's contract, and the one way to read it.
 *
 * A results document (schema allocbench/results/1; harness/doc/schema.md
 * describes every field) is what the measuring half of allocbench writes and
 * everything after it reads: the detectors, the table, plot, compare, history.
 * They all read it through this view: the document parsed once into plain,
 * typed, read-only structs. A figure the file has as null, lacks, or has of
 * the wrong type is NAN (numbers) or NULL (strings), never 0, so "not
 * measured" cannot pass for a measurement. Nothing else in allocbench walks a
 * parsed results document.
 *
 * Ownership: a struct ab_doc owns everything it points to, including one
 * reference to the JSON tree (`json`); strings and the borrowed JSON values
 * (a point's params, a flag's where and evidence) live as long as the view.
 * ab_doc_free releases it all. Functions return 0 or -errno with a message in
 * err that names the file, the problem and the accepted form.
 */
#ifndef AB_DOC_H
#define AB_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AB_RESULTS_SCHEMA "allocbench/results/1"

/* The figures of a point (doc/metrics.def). */
enum ab_metric {
#define AB_METRIC(id, key, unit, agg, floor, tracked, help) AB_M_##id,
#include "doc/metrics.def"
#undef AB_METRIC
        AB_M_COUNT
};

enum ab_agg { AB_AGG_MEDIAN, AB_AGG_MAX, AB_AGG_SUMMARY };

struct ab_metric_def {
        const char *key, *unit, *help;
        enum ab_agg agg;
        double floor;
        bool tracked; /* bench history keeps a series of it */
        bool exact;   /* an exact count (instructions under callgrind): history tests
                         its series as exact (report/history/series.h) */
};
extern const struct ab_metric_def ab_metrics[AB_M_COUNT];

/* The metric named `key`, or -1. */
int ab_metric_find(const char *key);

/* The memory system calls the --syscalls pass counts, in this order. */
enum { AB_SC_MMAP, AB_SC_MUNMAP, AB_SC_MPROTECT, AB_SC_MADVISE, AB_SC_BRK, AB_SC_MREMAP, AB_SC_N };
extern const char *const ab_syscall_names[AB_SC_N];

/* A parameter or environment entry: its key and value. num is NAN unless the
 * value is a number; str is NULL unless it is a string; a list (a swept
 * parameter) has is_list and its items in `list`. text is the value as a
 * person reads it ("4096", "none", "[4096,8192]"). */
struct ab_kv {
        const char *key;
        double num;
        const char *str;
        bool is_list;
        double *list;
        size_t nlist;
        char *text;
};

/* A summary of repetitions (ns_per_op, cpu_ns_per_op). */
struct ab_vsum {
        double median, min, max, ci95_lo, ci95_hi, coverage, halfwidth;
};

struct ab_vpoint {
        json_t *params;   /* borrowed: the point's params object, for a flag's where */
        struct ab_kv *kv; /* the params, in the file's order */
        size_t nkv;
        double size;        /* params.size, or NAN */
        char label[512];    /* "size=4096" ("-" without params); see ab_point_label */
        const char *status; /* "ok", "exited", "crashed", "timeout", "oom"; never NULL */
        bool ok;            /* status is "ok" */
        double exit_code, signal;
        const char *error;
        const char *op_hash;
        double ops, reps;
        double *samples; /* samples_ns_per_op, the finite ones */
        size_t nsamples;
        struct ab_vsum ns, cpu;
        double m[AB_M_COUNT]; /* every metric (for SUMMARY ones, the median) */
        /* memory_range: each figure's lowest and highest repetition (NAN when
         * the file has none: older files, programs' figures) */
        double mlo[AB_M_COUNT], mhi[AB_M_COUNT];
        int steady;           /* 1, 0, or -1 (null) */
        double half_ns[2], half_minflt[2];
        int precision_met; /* 1, 0, or -1 (null) */
        const char *precision_note;
        const char *warmup_end;
        bool have_sc;                                /* --syscalls pass ran */
        double sc_per_op[AB_SC_N], sc_mapped_per_op; /* per op of the pass */
        double sc_unmapped_per_op, sc_advised_per_op;
        double sc_ops;            /* ops of the pass */
        double sc_total[AB_SC_N]; /* its exact counts */
        const char *auto_method;  /* iterations=auto: how, or NULL */
};

/* One round of a round-based workload, the median over repetitions. */
struct ab_vround {
        double index, ns, rss_kib, vsz_kib, pte_kib, live_bytes;
        double anon_kib, anon_vsz_kib, threads, procs; /* a program's rounds (NAN for kernels) */
        const char *phase;             /* the phase the program named last, or NULL */
        const struct ab_vpoint *point; /* set when rounds belong to a swept point */
};

/* The totals of an allocation site (sites[].total), in this order. */
#define AB_SITE_TOTALS(X)                                                                          \
        X(ALLOCS, allocs)             /* allocations (malloc family, new) */                       \
        X(FREES, frees)               /* frees of its blocks */                                    \
        X(BYTES_ALLOC, bytes_alloc)   /* bytes asked for */                                        \
        X(BYTES_FREED, bytes_freed)   /* bytes of its blocks freed */                              \
        X(LIVE_BYTES, live_bytes)     /* still allocated when the process ended */                 \
        X(LIVE_BLOCKS, live_blocks)                                                                \
        X(PEAK_LIVE, peak_live)       /* the most live at once */                                  \
        X(BIG_OPS, big_ops)           /* malloc/calloc/realloc/free of blocks >= 128 KiB */        \
        X(ZC_CALLS, zc_calls)         /* callocs >= 128 KiB */                                     \
        X(ZC_NS, zc_ns)               /* their wall time */                                        \
        X(ZC_MINFLT, zc_minflt)       /* their minor faults */                                     \
        X(ZC_BYTES, zc_bytes)         /* their bytes */                                            \
        X(MAP_CALLS, map_calls)       /* the program's own mmap, mremap */                         \
        X(MAP_BYTES, map_bytes)                                                                    \
        X(UNMAP_CALLS, unmap_calls)   /* munmap */                                                 \
        X(UNMAP_BYTES, unmap_bytes)                                                                \
        X(COMMIT_CALLS, commit_calls) /* mprotect to an accessible protection */                   \
        X(COMMIT_BYTES, commit_bytes)                                                              \
        X(RESERVE_BYTES, reserve_bytes) /* mapped PROT_NONE: address space reserved */

enum ab_site_total {
#define AB_ST_ENUM(N, n) AB_ST_##N,
        AB_SITE_TOTALS(AB_ST_ENUM)
#undef AB_ST_ENUM
            AB_ST_COUNT
};
extern const char *const ab_site_total_keys[AB_ST_COUNT];

/* One allocation site of a --trace pass (a run's sites): a call stack's
 * normalised key, its frames, and its counts in total and per round. */
struct ab_vsite {
        const struct ab_vpoint *point; /* the point whose trace pass saw it, or NULL */
        const char *key;               /* never NULL */
        const char *source;            /* "tracer", or "strace" (syscalls attributed by
                                          strace -k stacks); never NULL */
        struct ab_vframe {
                const char *function, *module; /* never NULL ("?" unknown) */
                const char *file;              /* NULL without line information */
                double line;                   /* NAN without */
                bool inlined;
        } *frames; /* innermost first: the key's frames and a few more */
        size_t nframes;
        double stacks; /* raw stacks merged under the key */
        bool unwound, truncated;
        double total[AB_ST_COUNT]; /* NAN where the file lacks one */
        /* its verdict, when verdicts were applied (else all NULL/false) */
        const char *verdict, *verdict_match, *verdict_note, *verdict_entry;
        bool verdict_new; /* no entry matched: undecided and new */
        /* per round of the trace pass; NAN where missing */
        double *live_bytes, *live_blocks, *allocs;
        size_t nrounds;
};

/* How a run's --trace passes went (trace): one entry per traced point. */
struct ab_vtrace {
        const char *target; /* "program" or "launcher"; NULL: the run was not traced */
        double sample_bytes, depth, sites_max;
        struct ab_vtrace_point {
                const struct ab_vpoint *point;
                const char *status, *error; /* "ok", or why there are no sites */
                double processes, rounds, sites_seen, sites_kept;
                bool incomplete;
                json_t *tracer; /* borrowed: the tracer's own figures */
                /* per round of the pass, the phase the program had named
                   last (NULL: none); a site's trend reads the last phase */
                const char **round_phases;
                size_t nround_phases;
        } *points;
        size_t npoints;
};

struct ab_vrun {
        const char *alloc;         /* allocator.name, never NULL */
        const char *alloc_version; /* NULL when unknown */
        const char *alloc_library;
        const char *alloc_requested;
        const char *workload;  /* workload.name, never NULL */
        const char *kernel;    /* workload.kernel (or the name), never NULL */
        char workload_id[512]; /* the name, for cmd with the program ("cmd: python3 x.py"),
                                  and the launcher ("... under qemu-x86_64") */
        char base_id[512];     /* the same without the launcher */
        struct ab_kv *params;  /* workload.params */
        size_t nparams;
        struct ab_kv *env;
        size_t nenv;
        const char **program; /* cmd: its words, or NULL */
        size_t nprogram;
        const char *job_file, *wrap, *cpus, *numa;
        int preload_verified;     /* cmd: 1, 0, or -1 (unknown) */
        const char *served_other; /* cmd: a file other than the allocator's that served
                                     malloc in some process (malloc_served_by), or NULL */
        const char *op_hash, *status;
        double seed, runner_rss_kib, runner_vsz_kib;
        struct ab_vpoint *points;
        size_t npoints;
        struct ab_vround *rounds;
        size_t nrounds;
        bool rounds_per_point; /* the rounds carry params (a sweep of round workloads) */
        double (*timeline)[3]; /* [ms, rss_kib, vsz_kib] */
        size_t ntimeline;
        /* the timeline's stretch per measured process (timeline_spans; none
         * in files before them, or when a span does not fit the timeline) */
        struct ab_vspan {
                double start_ms;               /* since the matrix started */
                size_t first, count;           /* timeline[first .. first+count) */
                const struct ab_vpoint *point; /* NULL when not named */
                int rep;
        } * spans;
        size_t nspans;
        struct ab_vtrace trace; /* --trace; target NULL without */
        struct ab_vsite *sites; /* most bytes allocated first, per point */
        size_t nsites;
};

struct ab_vflag {
        const char *kind, *severity, *allocator, *workload, *message, *hint;
        const char *workload_id; /* its run's ab_vrun.workload_id (the workload when absent) */
        int rank;                /* info 0, warn 1, high 2, -1 unknown */
        json_t *where;           /* borrowed */
        json_t *evidence;        /* borrowed */
        /* accepted by a verdict on its site (bench run --verdicts): the
         * verdict's name, else NULL; an accepted flag does not count for
         * --fail-on */
        const char *accepted;
};

struct ab_vhost {
        const char *hostname, *os, *kernel, *arch, *cpu_model, *libc, *thp, *platform;
        double cores, cpus, numa_nodes, page_size;
};

struct ab_vcal {
        double page_fault_ns, mmap_ns, measure_ms;
        int cached;                       /* 1, 0, -1 */
        double *memset_size, *memset_bpn; /* bytes per ns by size, sorted by size */
        size_t nmemset;
};

struct ab_doc {
        json_t *json;     /* one reference, owned */
        const char *path; /* the file, or "results" when viewed in memory */
        const char *schema, *created, *tool_version, *tool_git;
        bool interrupted;
        double reps, sample_ms; /* reps: NAN when adaptive */
        const char *rep_mode;   /* "adaptive", "fixed", or NULL (older files) */
        double precision, min_reps, max_reps;
        const char *instructions, *valgrind, *syscalls, *strace; /* accounting */
        struct ab_vhost host;
        struct ab_vcal cal;
        struct ab_vrun *runs;
        size_t nruns;
        struct ab_vflag *flags;
        size_t nflags;
};

/* Read and check a results file (allocbench/results/1; runs with
 * allocator.name, workload.name and points). Non-regular files (FIFOs,
 * devices, directories) are refused without being opened for reading. */
int ab_doc_load(const char *path, struct ab_doc *d, char *err, size_t errlen);

/* The same over a document in memory (takes a reference to json): one bench
 * just built, or a hand-made one; its schema is not checked, its shape is. */
int ab_doc_view(json_t *json, struct ab_doc *d, char *err, size_t errlen);

void ab_doc_free(struct ab_doc *d);

/* The calibrated cost of zeroing `size` resident bytes: bandwidth at the
 * nearest calibrated sizes, interpolated in log(size); -1 without figures. */
double ab_doc_memset_ns(const struct ab_doc *d, double size);

/* A parameter of the run by key: the entry, or NULL. */
const struct ab_kv *ab_vrun_param(const struct ab_vrun *r, const char *key);
/* Its number (NAN when absent or not a number) and string (NULL). */
double ab_vrun_num(const struct ab_vrun *r, const char *key);
const char *ab_vrun_str(const struct ab_vrun *r, const char *key);

/* The site of run r whose key is `key` at point p (NULL: any point), or NULL. */
const struct ab_vsite *ab_vrun_site(const struct ab_vrun *r, const struct ab_vpoint *p,
                                    const char *key);

/* The identity of a point across files: "ALLOC|WORKLOAD_ID|LABEL". */
const char *ab_point_key(const struct ab_vrun *r, const struct ab_vpoint *p, char *buf, size_t len);

/* What a document's command (its "command" array, as bench run was given
 * it) says about what was measured: its words without those `drop` names,
 * an OR of
 *   AB_CMD_PROGRAM  bench itself (argv[0], wherever it was) and a leading
 *                   "run";
 *   AB_CMD_OUTPUT   where the results went and how they were shown: -o and
 *                   --output, --format, -q and --quiet;
 *   AB_CMD_SHARD    --shard K/N (which part of the matrix ran).
 * Words after "--" (cmd's program) are kept whole. Two shards of one
 * command have equal words under all three. A new array of strings (empty
 * when command is not an array), or NULL when out of memory. */
enum { AB_CMD_PROGRAM = 1, AB_CMD_OUTPUT = 2, AB_CMD_SHARD = 4 };
json_t *ab_command_words(json_t *command, int drop);

/* Severity rank: info 0, warn 1, high 2; -1 for anything else. */
int ab_severity_rank(const char *s);

/* ---- a flag's where and evidence, for readers that place a flag on a figure
 * (bench plot) without walking its JSON ---------------------------------------- */

/* A number of the flag's where ("size" of {"size": 4096}): NAN when absent
 * or not a number. */
double ab_vflag_where_num(const struct ab_vflag *f, const char *key);
/* A number of the flag's evidence: NAN when absent or not a number. */
double ab_vflag_evidence_num(const struct ab_vflag *f, const char *key);

/* The list of numbers the flag's evidence has under key ("sizes"): how many
 * it has (0 when absent or not a list), the first up to max of them in out,
 * NAN for an item that is not a number. */
size_t ab_vflag_evidence_nums(const struct ab_vflag *f, const char *key, double *out, size_t max);

/* ---- exact integers the view keeps as doubles -------------------------------
 *
 * A double holds integers exactly only up to 2^53; a seed (--seed takes any
 * 64-bit number) can be larger, and two seeds a few units apart would read
 * the same. */

/* The seed of run r of d as the file has it (a JSON integer, so seeds of
 * 2^63 and up read negative, as they were written): 0, or -ENOENT when the
 * run's seed is missing or not an integer. */
int ab_vrun_seed(const struct ab_doc *d, const struct ab_vrun *r, long long *seed);

#endif
