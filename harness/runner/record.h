/*
 * record.h - what the runner (child) tells the harness (parent).
 *
 * The runner writes fixed-size records to file descriptor AB_RECORD_FD, each
 * with one write(2) of sizeof(struct ab_rec) <= PIPE_BUF bytes, so a record is
 * never split or interleaved even when threads report rounds. Records are
 * formatted without malloc and only outside the measured region. Integer
 * figures that could not be measured are AB_UNKNOWN (-1).
 */
#ifndef AB_RECORD_H
#define AB_RECORD_H

#include <stdint.h>

#define AB_RECORD_FD   3
#define AB_REC_MAGIC   0x31434241u /* "ABC1" */
#define AB_VERSION_LEN 64
#define AB_LIBRARY_LEN 256
#define AB_LIBC_LEN    32
#define AB_ERRMSG_LEN  200

enum ab_rec_kind {
        AB_REC_INFO = 1,  /* once, before the workload: who was loaded */
        AB_REC_POINT = 2, /* once, after the measured region */
        AB_REC_ROUND = 3, /* after each round of a round-based workload */
        AB_REC_ERROR = 4, /* the workload failed; msg says why */
        AB_REC_CALIB = 5, /* one reference cost measured by `ab-runner calibrate` */
};

/* Exit codes of the runner besides 0, so the parent can tell them apart from crashes. */
enum ab_runner_exit {
        AB_EXIT_USAGE = 64,   /* bad arguments from the parent: a harness bug */
        AB_EXIT_OOM = 65,     /* an allocation failed: the memory limit was hit */
        AB_EXIT_PRELOAD = 66, /* the requested allocator is not what serves malloc */
        AB_EXIT_FAIL = 67,    /* any other workload error (see the ERROR record) */
};

struct ab_rec_info {
        char version[AB_VERSION_LEN]; /* "" when the library has no version query */
        char library[AB_LIBRARY_LEN]; /* the object that serves malloc (dladdr) */
        char libc[AB_LIBC_LEN];       /* the runner's C library ("glibc 2.36", "musl 1.2.3") */
        int64_t runner_rss_kib;       /* runner's resident set before the workload */
        int64_t runner_vsz_kib;       /* and its virtual size */
};

struct ab_rec_point {
        uint64_t ops;        /* operations in the measured region */
        uint64_t elapsed_ns; /* monotonic wall time of the region */
        uint64_t user_ns, sys_ns, minflt, majflt;
        int64_t rss_kib, vsz_kib, pte_kib, hwm_kib; /* right after the region */
        int64_t instructions;                       /* AB_UNKNOWN unless counting */
        uint64_t op_hash;
        uint64_t live_peak; /* most bytes the workload itself held at once (or a bound) */
        int32_t count_err;  /* --count instructions: errno why the counter is unavailable */
        /* The cold cost: the point's very first op in this process (a warm-up
         * op, never in the region), when the kernel times one. */
        uint64_t first_ns, first_minflt;
        uint32_t have_first;
        /* Halves of the region (ab_region_mid): ops, wall ns and minor faults
         * of [0, mid) and [mid, end). have_halves is 0 when not marked. */
        uint32_t have_halves;
        uint64_t half_ops[2], half_ns[2], half_minflt[2];
        uint64_t warmup_ops; /* unmeasured ops run before the region */
        uint32_t warmup_end; /* how the warm-up ended (AB_WARMUP_* of workload.h) */
};

/* A round's end. The runner reports a kernel's rounds (live_bytes is the
 * kernel's own count); the parent records a program's rounds from outside
 * (live_bytes AB_UNKNOWN, the whole process tree summed, with its anonymous
 * memory, threads and processes, and the phase the program last named). */
struct ab_rec_round {
        uint64_t index, ns;
        int64_t live_bytes;
        int64_t rss_kib, vsz_kib, pte_kib;
        int64_t anon_kib, anon_vsz_kib, threads, procs;
        char phase[40];
        char by[8]; /* a program's: what ended it (mark, signal, window); "" for kernels */
};

enum ab_calib_what { AB_CAL_MEMSET = 1, AB_CAL_PAGEFAULT = 2, AB_CAL_MMAP = 3 };

struct ab_rec_calib {
        uint32_t what; /* enum ab_calib_what */
        uint64_t size; /* bytes per operation */
        double ns;     /* best time of one operation */
};

struct ab_rec_error {
        int32_t err; /* positive errno */
        char msg[AB_ERRMSG_LEN];
};

struct ab_rec {
        uint32_t magic;
        uint32_t kind;
        union {
                struct ab_rec_info info;
                struct ab_rec_point point;
                struct ab_rec_round round;
                struct ab_rec_error error;
                struct ab_rec_calib calib;
        } u;
};

_Static_assert(sizeof(struct ab_rec) <= 512, "records must stay far below PIPE_BUF");

/* Write one record to AB_RECORD_FD (runner side; no malloc). */
void ab_record_send(struct ab_rec *r, uint32_t kind);

/* Send the POINT record filled by ab_region_end, with the op-stream hash. */
void ab_region_send_point(uint64_t op_hash, uint64_t live_peak);
/* When bench traces this process (ALLOCBENCH_TRACE_OUT set, libabtrace.so
 * preloaded), every ab_round_end ends the tracer's round too. Call once,
 * before the workload. */
void ab_region_trace_init(void);

#endif
