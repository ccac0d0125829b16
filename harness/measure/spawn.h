/*
 * spawn.h - run one measured child process and watch it from outside.
 *
 * The child is started with fork+execve (never a shell), in its own process
 * group so a timeout or Ctrl-C can stop it and everything it started. While it
 * runs the parent reads its records (record.h) and, every sample_ms, samples
 * its resident and virtual size into a timeline. After it ends the parent
 * adds the wait4 rusage and classifies the exit. Memory here is the parent's
 * own (malloc is fine: the parent is never preloaded and never measured).
 */
#ifndef AB_SPAWN_H
#define AB_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "measure/place.h"
#include "prim/prim.h"
#include "runner/record.h"

enum ab_status { AB_ST_OK, AB_ST_CRASHED, AB_ST_TIMEOUT, AB_ST_OOM, AB_ST_EXITED };
const char *ab_status_name(enum ab_status s);

struct ab_spawn {
        char **argv;          /* argv[0] is the executable's path */
        char **envp;
        unsigned sample_ms;   /* 0: no timeline */
        uint64_t timeout_ns;  /* 0: none */
        uint64_t mem_limit;   /* RLIMIT_AS in bytes; 0: none */
        const char *cpus;     /* CPU list to bind to, or NULL */
        const struct ab_numa *numa; /* memory policy, or NULL */
        bool records;         /* hand the child a record pipe on fd 3 */
        /* a program (cmd), watched from outside: */
        bool tree;            /* timeline and rounds sum the whole process tree */
        const char *mark_path; /* listen here for the agent's marks (agent/mark.h), or NULL */
        unsigned round_ms;    /* also end a round every round_ms; 0: none */
        const char *out_path, *err_path; /* append the child's stdout/stderr here;
                                            NULL: inherit bench's */
        /* --trace: hand the child the read end of a pipe as AB_TRACE_ROUND_FD
         * (its environment names it to the tracer) and write a byte to it for
         * every round that ends by a time window, and with trace_all_rounds
         * for every round (a guest's, when the tracer is in its emulator) */
        bool trace_rounds, trace_all_rounds;
};

#define AB_TRACE_ROUND_FD 4

struct ab_sample {
        uint64_t t_ns; /* since the child started */
        int64_t rss_kib, vsz_kib;
};

struct ab_outcome {
        enum ab_status status;
        int exit_code; /* -1 when killed by a signal */
        int signal;    /* 0 when it exited */
        bool interrupted; /* stopped by Ctrl-C: not a result */
        uint64_t start_ns, wall_ns;
        struct rusage ru;
        bool have_info, have_point, have_error;
        struct ab_rec_info info;
        struct ab_rec_point point;
        struct ab_rec_error error;
        struct ab_rec_round *rounds; /* malloc'd; free with ab_outcome_free */
        size_t nrounds;
        struct ab_sample *samples;   /* malloc'd */
        size_t nsamples;
        struct ab_rec_calib *calib;  /* malloc'd: calibration figures */
        size_t ncalib;
        char exec_error[256]; /* non-empty when the program could not be started */
        /* a program watched from outside (tree): */
        struct ab_tree peak;  /* the tree when its virtual size was largest */
        bool have_peak;
        char phase[40];       /* the phase the program last named */
        struct ab_hello {     /* who served malloc in each process that started the agent */
                int pid;
                char owner[240];
        } hello[16];
        size_t nhello;
        bool killed_by_us;    /* SIGKILL came from the timeout or Ctrl-C */
        pid_t pid;            /* the child's */
        long err_from;        /* the size of err_path before the program started */
};

/* Install the SIGCHLD/SIGINT/SIGTERM handling once, before the first spawn. */
int ab_spawn_init(void);

/* True once Ctrl-C (SIGINT) or SIGTERM has been received. */
bool ab_spawn_interrupted(void);
/* The signal that interrupted it (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1), or 0. */
int ab_spawn_interrupt_signal(void);

/* Run the child to its end. Returns 0 when the outcome is filled (whatever the
 * child did), or -errno when it could not be started at all. */
int ab_spawn_run(const struct ab_spawn *s, struct ab_outcome *o);

void ab_outcome_free(struct ab_outcome *o);

/* A child environment: the parent's, minus any preload, plus `preload` (may
 * be NULL or "") and each KEY=VALUE of extra (overriding). NULL-terminated,
 * malloc'd; free with ab_env_free. */
char **ab_env_build(const char *preload, char *const *extra, size_t nextra);
void ab_env_free(char **envp);

#endif
