/*
 * matrix.h - the matrix of one `bench run` (measure/ internal): allocators x
 * jobs x points x repetitions, and the parts that run it. run.c sets it up
 * and writes the results; matrix.c runs the repetitions of each point and
 * turns each child's records into repetitions; child.c starts the children
 * (the argv protocol of runner/proto.h, launchers, accounting passes);
 * autoiter.c chooses iterations=auto. Memory here is the parent's own.
 */
#ifndef AB_MATRIX_H
#define AB_MATRIX_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/progress.h"
#include "measure/bench.h"
#include "measure/place.h"
#include "measure/spawn.h"

struct ab_matrix {
        struct ab_opts *o;
        struct ab_run_res *runs; /* nallocs * njobs, job-major */
        char ***envs;            /* per allocator */
        /* cmd: per allocator, the program's environment (the allocator and
         * the marks agent preloaded, the marks socket named), the preload
         * for a launcher's -E, and where its stdout and stderr go (NULL:
         * inherited) */
        char ***penvs;
        char **ppreload;
        char *(*pout)[2];
        char mark_path[128];
        uint64_t start_ns;
        struct ab_progress prog;
        json_t *cal; /* this machine's calibration, or NULL */
        bool interrupted;
        struct ab_numa numa; /* prepared --numa policy */
        char **env_plain;    /* the environment without a preload (strace gets it by -E) */
        char valgrind[PATH_MAX], strace[PATH_MAX]; /* accounting tools, resolved */
        char tmpdir[96]; /* $TMPDIR/allocbench.XXXXXX: passes' outputs, the marks socket */
        struct ab_tools tools;
        int count_err; /* why --count instructions found no counter */
        struct ab_vsummary vsum; /* what applying verdicts and budgets found */
        /* the --trace pass's child being started (trace_pass.c): its
         * environment, the preload a qemu guest gets by -E, and whether
         * every round the parent sees goes to the tracer's round pipe */
        struct {
                char **envp;
                char *guest_preload;
                bool all_rounds;
        } tr;
};

/* How one child is started: the user's launcher, or an accounting pass's. */
enum pass { PASS_NATIVE, PASS_CALLGRIND, PASS_STRACE, PASS_TRACE };

/* How long the runner may take to start with an allocator (preflight). */
#define AB_PREFLIGHT_TIMEOUT_S 30

/* child.c */
/* The launcher allocator a runs under (NULL: natively), and whether it is
 * one of QEMU's user-mode emulators (which take the preload by -E). */
const struct ab_wrap *ab_wrap_of(const struct ab_opts *o, const struct ab_alloc *a);
bool ab_wrap_is_qemu(const struct ab_opts *o, const struct ab_alloc *a);
/* The marks agent (libabmark.so) next to the runner. */
const char *ab_agent_path(void);
/* Start one child for (run ri, point) in `mode` (info or run) and wait for
 * it: 0 with the outcome filled, or -errno when it could not be started
 * (said on stderr). iters replaces iterations=auto; outfile is the pass's. */
int ab_child_spawn(struct ab_matrix *m, size_t ri, const char *mode, size_t point, uint64_t iters,
                   enum pass pass, const char *outfile, struct ab_outcome *out);
int ab_child_one(struct ab_matrix *m, size_t ri, const char *mode, size_t point, uint64_t iters,
                 struct ab_outcome *out);
/* The accounting passes of a point (callgrind, strace), after its timed
 * repetitions. 0, or -1 when a child could not be started. */
int ab_child_account(struct ab_matrix *m, size_t job, size_t point, uint64_t iters);

/* record_pass.c: --record. The traced child's environment entry; the
 * root process's record written where the user asked, its figures (or
 * why it was not) returned for the point's `trace`. */
int ab_record_env(const struct ab_matrix *m, char **out);
json_t *ab_record_take(struct ab_matrix *m, size_t ri, size_t point, pid_t root);

/* trace_pass.c: --trace, after the accounting passes: one child per
 * allocator with the tracer preloaded, its dumps read into the point's
 * sites. 0, or -1 when a child could not be started. */
int ab_trace_pass(struct ab_matrix *m, size_t job, size_t point, uint64_t iters);

/* records.c: a child's records into the run: who was loaded (the first
 * info only), the timeline (times made relative to the matrix's start), a
 * repetition of a kernel's point, of cmd's program, or its failure. */
void ab_take_info(struct ab_run_res *run, const struct ab_outcome *out);
void ab_take_timeline(struct ab_matrix *m, struct ab_run_res *run, size_t point, unsigned rep,
                      const struct ab_outcome *out);
void ab_take_rep(struct ab_point_res *p, const struct ab_outcome *out);
void ab_take_external(struct ab_point_res *p, const struct ab_outcome *out);
void ab_take_failure(struct ab_point_res *p, const struct ab_outcome *out);
/* cmd: the files that served malloc in the program's processes, counted. */
void ab_take_owners(struct ab_run_res *run, const struct ab_outcome *out);

/* matrix.c */
/* The whole matrix: each point's op count, then every repetition in rounds
 * over all cells, then each point's accounting and trace passes. 0, or -1
 * when a child could not be started (m->interrupted when interrupted). */
int ab_matrix_run(struct ab_matrix *m);
/* Each allocator started once: it loads and serves malloc. 0 or AB_BAD_INPUT. */
int ab_matrix_preflight(struct ab_matrix *m);
/* Run status and op_hash of every run, once every point is done. */
void ab_matrix_finish(struct ab_matrix *m, size_t nruns);

/* autoiter.c: the op count of iterations=auto at (job, point), shared by
 * every allocator; 0 when the job has no auto iterations. */
int ab_auto_iterations(struct ab_matrix *m, size_t job, size_t point, uint64_t *iters);

#endif
