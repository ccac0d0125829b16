/*
 * workload.h - the contract of a workload kernel.
 *
 * Each kernel is one file in workloads/ exporting one `const struct
 * ab_workload` descriptor; workloads/registry.def lists them (no constructor
 * functions: they would run inside a process whose allocator is replaced).
 * The harness uses the descriptor's parameter table to parse job files,
 * --set and `bench list`; the runner calls `run` in a fresh child process.
 *
 * Every parameter value is a uint64_t: a size in bytes, a count, or the index
 * of an enum choice. A parameter with a `point_key` may be given as a list; the
 * harness runs one point per value, and the kernel sees that point's value.
 * `auto` (where has_auto is set) is passed to the harness as AB_AUTO; the
 * harness resolves it before any child runs, so a kernel never sees AB_AUTO.
 */
#ifndef AB_WORKLOAD_H
#define AB_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prim/prim.h"

#define AB_AUTO UINT64_MAX

/* How ab_warmup ended: not run, faults per op agreed, its time cap, its most ops. */
enum { AB_WARMUP_NONE, AB_WARMUP_STEADY, AB_WARMUP_CAP, AB_WARMUP_MAX };

/* How the runner counts the measured region (--count, --syscalls). */
enum { AB_COUNT_NONE, AB_COUNT_HW, AB_COUNT_CALLGRIND, AB_COUNT_MARKERS };
#define AB_SIZES_MAX 64 /* items in an AB_PT_SIZES list */

enum ab_ptype {
        AB_PT_SIZE,  /* bytes, accepts size suffixes */
        AB_PT_COUNT, /* plain whole number */
        AB_PT_ENUM,  /* one of `choices` ("a|b|c"), stored as its index */
        AB_PT_SIZES, /* a list of sizes the kernel draws from (never swept); the value
                        is the number of items and the kernel reads text[i] */
        AB_PT_RECORD, /* an allocation record (bench run --record): the value is 1
                         when one is named (0 for ""), and the kernel reads the path
                         of the file to map in text[i] (checked by the harness) */
};

struct ab_param {
        const char *name;      /* job-file key and --set KEY */
        enum ab_ptype type;
        const char *def;       /* default, as a user would write it */
        uint64_t min, max;     /* accepted range (sizes in bytes) */
        const char *choices;   /* AB_PT_ENUM: "reuse|fresh" */
        const char *point_key; /* non-NULL: a list here is swept, one point per value */
        bool has_auto;         /* "auto" accepted */
        const char *help;
};

/* What a kernel gets. v[i] is the value of params[i] for this point. */
struct ab_kctx {
        const uint64_t *v;
        const char *const *text; /* text[i]: the value as given (AB_PT_SIZES, AB_PT_RECORD) */
        uint64_t seed;
        /* private to the runner: region start figures */
        uint64_t t0_ns;
        struct ab_usage u0;
        uint64_t op_hash;
        uint64_t paused_ns; /* set by the kernel: untimed pauses inside the region */
        uint64_t live_peak; /* set by the kernel: most bytes it held at once (a bound) */
        /* private to the runner: how the region is counted (runner.c) */
        int count_mode;     /* AB_COUNT_* */
        int icount;         /* hardware counter handle, or -errno */
        /* private to the runner: the halfway mark and the warm-up (region.c) */
        uint64_t mid_ops, mid_t_ns, mid_paused_ns, mid_minflt;
        bool have_mid;
        uint64_t first_ns, first_minflt, warmup_ops;
        uint32_t warmup_end; /* AB_WARMUP_* */
        bool have_first;
};

/* This machine's reference costs (bench calibrate), for op cost models. */
struct ab_costs {
        double page_fault_ns; /* a fresh anonymous page, written once */
        double mmap_ns;       /* an mmap+munmap pair */
        /* zeroing `size` resident bytes, or a negative number when unknown */
        double (*memset_ns)(const struct ab_costs *c, uint64_t size);
        const void *priv;     /* the calibration data memset_ns reads */
};

/* The version of struct ab_workload: a descriptor built against another
 * layout is refused by the registry's test (tests/unit/test_parse.c). */
#define AB_WORKLOAD_ABI 2

/* What a workload runs: a kernel in the runner, or the user's own program
 * (cmd), which the harness starts and measures from outside. */
enum ab_wkind { AB_WK_KERNEL, AB_WK_PROGRAM };

struct ab_workload {
        unsigned abi;       /* AB_WORKLOAD_ABI */
        enum ab_wkind kind;
        const char *name;
        const char *help; /* one line */
        const struct ab_param *params;
        size_t nparams;
        /* Optional: checks that relate parameters to each other, on the
         * harness side before anything runs. 0 or -EINVAL with a message. */
        int (*check)(const uint64_t *v, char *err, size_t len);
        /* AB_WK_KERNEL: runs one point in the calling (fresh) process:
         * warm-up, then exactly one measured region between ab_region_begin
         * and ab_region_end. Returns 0 or -errno (-ENOMEM when an allocation
         * failed). NULL for AB_WK_PROGRAM. */
        int (*run)(struct ab_kctx *k);
        /* Optional, for kernels with iterations=auto: an upper bound of one
         * op's cost in ns at the point v, from this machine's calibrated costs
         * and the op's minor faults counted in a probe. Counts and calibration
         * are the same run after run, so the op count chosen from this bound
         * is too (a timed probe would follow the machine's load). */
        double (*op_cost_ns)(const uint64_t *v, const struct ab_costs *c, double minflt_per_op);
};

/* The strace markers of the measured region (AB_COUNT_MARKERS). */
#define AB_MARK_BEGIN "allocbench:region-begin"
#define AB_MARK_END "allocbench:region-end"

/* Provided by the runner to kernels. None of them allocates. */
void ab_region_begin(struct ab_kctx *k);
void ab_region_end(struct ab_kctx *k, uint64_t ops);
void ab_report_error(int err, const char *msg);

/* The region's halfway mark, after `ops` of its ops: the runner reads the
 * clock and the fault count there (its own time is not counted), so the
 * harness can check that the first and second halves agree on faults per op,
 * i.e. that the warm-up brought the point to the state the region measures.
 * Call it at most once, between ab_region_begin and ab_region_end. */
void ab_region_mid(struct ab_kctx *k, uint64_t ops);

/* Steady-state warm-up, before ab_region_begin. Runs op(arg) at least `min`
 * times, then until two consecutive ops after the first agree on minor faults
 * (within 10% or one fault), at most `max` times, and stops early once the
 * warm-up has taken cap_ns (after `min` ops): ops that cost more than the
 * region's budget are dominated by their own cost, and repeating them only
 * burns time. How it ended is reported (AB_WARMUP_*). The very
 * first op is timed and counted on its own: the point's cold cost
 * (first_op_ns, first_op_minflt), never averaged into the region. Returns 0,
 * or the first nonzero result of op. */
int ab_warmup(struct ab_kctx *k, int (*op)(void *arg), void *arg, uint64_t min, uint64_t max,
              uint64_t cap_ns);

/* Time and count one op as the point's cold cost, outside the region, for
 * kernels whose warm-up is not a loop of identical ops (ab_warmup does this
 * itself). Pair each ab_first_begin with one ab_first_end. */
void ab_first_begin(struct ab_kctx *k);
void ab_first_end(struct ab_kctx *k);

/* After round `index` of a round-based kernel (inside the region, between
 * rounds): reads this process's memory figures and reports them with the
 * round's wall time and the kernel's own exact count of live bytes, and
 * ends the allocation-site tracer's round when one traces the process. Its
 * own time is added to k->paused_ns: reporting is not the workload's work. */
void ab_round_end(struct ab_kctx *k, uint64_t index, uint64_t ns, uint64_t live_bytes);

/* Parse a list parameter's text into out[0..cap) without allocating;
 * returns the count or -errno. */
int ab_kernel_sizes(const char *text, uint64_t *out, size_t cap);

/* Shared by harness and runner: parse one textual value of a parameter
 * (a single value, not a list). Returns 0, -EINVAL (bad form) or -ERANGE. */
int ab_param_parse(const struct ab_param *p, const char *text, uint64_t *out);

/* The accepted form of a parameter, for messages ("a size from 1 B to 1 TiB"). */
void ab_param_form(const struct ab_param *p, char *buf, size_t len);

/* Index of the parameter named `name`, or -1. */
int ab_param_index(const struct ab_workload *w, const char *name);

/* The registry: every built-in kernel, NULL-terminated. */
extern const struct ab_workload *const ab_workloads[];
const struct ab_workload *ab_workload_find(const char *name);

#endif
