#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prim/prim.h"
#include "measure/spawn.h"
#include "measure/watch.h"

extern char **environ;

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_interrupt;

const char *ab_status_name(enum ab_status s)
{
        static const char *const n[] = {"ok", "crashed", "timeout", "oom", "exited"};
        return n[s];
}

/* pipe2 is not everywhere (macOS): set the flags by hand. */
static int pipe_flags(int fd[2], int fdflags, int flflags)
{
        if (pipe(fd) != 0)
                return -1;
        for (int i = 0; i < 2; i++) {
                if (fcntl(fd[i], F_SETFD, fdflags) != 0 ||
                    (flflags && fcntl(fd[i], F_SETFL, flflags) != 0)) {
                        close(fd[0]);
                        close(fd[1]);
                        return -1;
                }
        }
        return 0;
}

/* The signals that stop bench the way Ctrl-C does: the child stopped, the
 * results of what was measured written, exit 128 + the signal. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1};
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])

static void on_signal(int sig)
{
        int saved = errno;
        if (sig != SIGCHLD && !got_interrupt)
                got_interrupt = sig;
        if (write(wake_pipe[1], "x", 1) < 0) {
                /* the pipe is full: a wake-up is already pending */
        }
        errno = saved;
}

int ab_spawn_init(void)
{
        struct sigaction sa;
        if (wake_pipe[0] >= 0)
                return 0;
        if (pipe_flags(wake_pipe, FD_CLOEXEC, O_NONBLOCK) != 0)
                return -errno;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
        if (sigaction(SIGCHLD, &sa, NULL))
                return -errno;
        for (size_t i = 0; i < NSTOP; i++)
                if (sigaction(stop_signals[i], &sa, NULL))
                        return -errno;
        /* a reader of stdout that went away (bench ... | head) must not cost
         * the results file: writes fail with EPIPE instead */
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

bool ab_spawn_interrupted(void)
{
        return got_interrupt != 0;
}

int ab_spawn_interrupt_signal(void)
{
        return got_interrupt;
}

void ab_outcome_free(struct ab_outcome *o)
{
        free(o->rounds);
        free(o->samples);
        free(o->calib);
        o->calib = NULL;
        o->rounds = NULL;
        o->samples = NULL;
}

static void take_record(struct ab_outcome *o, const struct ab_rec *r)
{
        if (r->magic != AB_REC_MAGIC)
                return;
        switch (r->kind) {
        case AB_REC_INFO:
                o->info = r->u.info;
                o->have_info = true;
                break;
        case AB_REC_POINT:
                o->point = r->u.point;
                o->have_point = true;
                break;
        case AB_REC_ERROR:
                /* the first: a kernel's own words before the runner's strerror */
                if (!o->have_error)
                        o->error = r->u.error;
                o->have_error = true;
                break;
        case AB_REC_CALIB: {
                struct ab_rec_calib *n = realloc(o->calib, (o->ncalib + 1) * sizeof *o->calib);
                if (n) {
                        o->calib = n;
                        o->calib[o->ncalib++] = r->u.calib;
                }
                break;
        }
        case AB_REC_ROUND: {
                struct ab_rec_round *n = realloc(o->rounds, (o->nrounds + 1) * sizeof *o->rounds);
                if (n) {
                        o->rounds = n;
                        o->rounds[o->nrounds++] = r->u.round;
                }
                break;
        }
        }
}

/* Read what the child has written; returns false at end of file. */
static bool drain_records(int fd, struct ab_outcome *o, char *buf, size_t *have)
{
        for (;;) {
                ssize_t n = read(fd, buf + *have, sizeof(struct ab_rec) * 8 - *have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return true; /* EAGAIN: nothing more for now */
                if (n == 0)
                        return false;
                *have += (size_t)n;
                while (*have >= sizeof(struct ab_rec)) {
                        struct ab_rec r;
                        memcpy(&r, buf, sizeof r);
                        take_record(o, &r);
                        memmove(buf, buf + sizeof r, *have - sizeof r);
                        *have -= sizeof r;
                }
        }
}

/* What the child was doing when it failed, for the parent's message. */
enum stage { ST_STDOUT, ST_STDERR, ST_RECORDS, ST_MEMLIMIT, ST_CPUS, ST_NUMA, ST_EXEC };

/* Between fork and exec: async-signal-safe calls only. */
static void child(const struct ab_spawn *s, int rec_w, int err_w, int round_r, pid_t parent)
{
        int e[2];
        enum stage st = ST_STDOUT;
        struct sigaction dfl;
        setpgid(0, 0);
        /* out of the way of the fixed numbers the dup2s below write */
        if (err_w <= AB_TRACE_ROUND_FD)
                err_w = fcntl(err_w, F_DUPFD_CLOEXEC, 16);
        if (round_r >= 0 && round_r <= AB_TRACE_ROUND_FD)
                round_r = fcntl(round_r, F_DUPFD_CLOEXEC, 16);
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGCHLD, &dfl, NULL);
        sigaction(SIGPIPE, &dfl, NULL);
        for (size_t i = 0; i < NSTOP; i++)
                sigaction(stop_signals[i], &dfl, NULL);
        ab_prim_die_with_parent(parent);
        for (int k = 0; k < 2; k++) {
                const char *path = k ? s->err_path : s->out_path;
                int fd;
                if (!path)
                        continue;
                st = k ? ST_STDERR : ST_STDOUT;
                fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, k ? 2 : 1) < 0)
                        goto fail;
                close(fd);
        }
        st = ST_RECORDS;
        if (s->records) {
                if (rec_w == AB_RECORD_FD) {
                        fcntl(rec_w, F_SETFD, 0);
                } else if (dup2(rec_w, AB_RECORD_FD) < 0) {
                        goto fail;
                }
        }
        if (round_r >= 0 && dup2(round_r, AB_TRACE_ROUND_FD) < 0)
                goto fail;
        st = ST_MEMLIMIT;
        if (s->mem_limit) {
                struct rlimit rl = {(rlim_t)s->mem_limit, (rlim_t)s->mem_limit};
                if (setrlimit(RLIMIT_AS, &rl) != 0)
                        goto fail;
        }
        st = ST_CPUS;
        if (s->cpus && ab_prim_bind_cpus(s->cpus) != 0)
                goto fail;
        st = ST_NUMA;
        if (s->numa && s->numa->mode != AB_NUMA_NONE) {
                static const int mode[] = {0, 4, 2, 3}; /* MPOL_LOCAL, MPOL_BIND, MPOL_INTERLEAVE */
                int r = ab_prim_set_mempolicy(mode[s->numa->mode], s->numa->mask, AB_NUMA_MAXNODE);
                if (r) {
                        errno = -r;
                        goto fail;
                }
        }
        st = ST_EXEC;
        execve(s->argv[0], s->argv, s->envp);
fail:
        e[0] = (int)st;
        e[1] = errno;
        if (write(err_w, e, sizeof e) < 0)
                _exit(127);
        _exit(127);
}

/* The parent's words for a child that failed at stage st with errno e. */
static void start_error(const struct ab_spawn *s, const int e[2], char *out, size_t len)
{
        switch ((enum stage)e[0]) {
        case ST_STDOUT:
        case ST_STDERR:
                snprintf(out, len, "cannot write the program's %s to %s: %s",
                         e[0] == ST_STDOUT ? "stdout" : "stderr",
                         e[0] == ST_STDOUT ? s->out_path : s->err_path, strerror(e[1]));
                break;
        case ST_MEMLIMIT:
                snprintf(out, len, "cannot set --mem-limit for %s: %s", s->argv[0], strerror(e[1]));
                break;
        case ST_CPUS:
                snprintf(out, len, "cannot bind %s to --cpus %s: %s", s->argv[0], s->cpus,
                         strerror(e[1]));
                break;
        case ST_NUMA:
                snprintf(out, len, "cannot set the --numa policy for %s: %s", s->argv[0],
                         strerror(e[1]));
                break;
        default:
                snprintf(out, len, "cannot run %s: %s", s->argv[0], strerror(e[1]));
        }
}

/* The largest virtual size the timeline saw, in bytes. */
static uint64_t vsz_seen(const struct ab_outcome *o)
{
        int64_t max = 0;
        for (size_t i = 0; i < o->nsamples; i++)
                if (o->samples[i].vsz_kib > max)
                        max = o->samples[i].vsz_kib;
        if (o->have_peak && o->peak.vsz_kib > max)
                max = o->peak.vsz_kib;
        return (uint64_t)max * 1024;
}

/* Did the program say it ran out of memory? What it wrote to stderr in this
 * run (from byte `from` of the file), last 8 KiB: Python's MemoryError, C++'s
 * bad_alloc, "out of memory", strerror(ENOMEM). */
static bool said_oom(const char *path, long from)
{
        static const char *const says[] = {"MemoryError", "bad_alloc", "out of memory",
                                           "Out of memory", "Cannot allocate memory"};
        char buf[8193];
        size_t n;
        long end;
        FILE *f;
        bool yes = false;
        if (!path || from < 0 || !(f = fopen(path, "re")))
                return false;
        if (fseek(f, 0, SEEK_END) == 0 && (end = ftell(f)) > from) {
                fseek(f, end - from > 8192 ? end - 8192 : from, SEEK_SET);
                n = fread(buf, 1, sizeof buf - 1, f);
                buf[n] = '\0';
                for (size_t i = 0; i < sizeof says / sizeof says[0] && !yes; i++)
                        yes = memmem(buf, n, says[i], strlen(says[i])) != NULL;
        }
        fclose(f);
        return yes;
}

/* A program's end (cmd): a non-zero exit is `exited`; running out of
 * memory (an exit or an abort once its address space reached nine tenths of
 * --mem-limit, an exit after saying so on stderr, a SIGKILL that bench did not
 * send: the kernel's OOM killer) is `oom`; a signal is `crashed`. */
static void classify_program(const struct ab_spawn *s, struct ab_outcome *o)
{
        bool near_limit = s->mem_limit && vsz_seen(o) >= s->mem_limit / 10 * 9;
        if (o->exit_code == 0)
                o->status = AB_ST_OK;
        else if (near_limit && (o->exit_code > 0 || o->signal == SIGABRT || o->signal == SIGSEGV))
                o->status = AB_ST_OOM;
        else if (o->exit_code > 0 && said_oom(s->err_path, o->err_from))
                o->status = AB_ST_OOM;
        else if (o->signal == SIGKILL && !o->killed_by_us)
                o->status = AB_ST_OOM; /* the kernel's OOM killer sends SIGKILL */
        else if (o->exit_code > 0)
                o->status = AB_ST_EXITED;
        else
                o->status = AB_ST_CRASHED;
}

static void classify(const struct ab_spawn *s, struct ab_outcome *o, int st, bool timed_out)
{
        o->exit_code = -1;
        o->signal = 0;
        if (WIFEXITED(st))
                o->exit_code = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
                o->signal = WTERMSIG(st);
        if (timed_out)
                o->status = AB_ST_TIMEOUT;
        else if (s->tree)
                classify_program(s, o);
        else if (o->exit_code == 0)
                o->status = AB_ST_OK;
        else if (o->exit_code == AB_EXIT_OOM || (o->have_error && o->error.err == ENOMEM))
                o->status = AB_ST_OOM;
        else if (s->mem_limit && o->signal && o->nsamples &&
                 (uint64_t)o->samples[o->nsamples - 1].vsz_kib * 1024 >= s->mem_limit / 10 * 9)
                o->status = AB_ST_OOM; /* an allocator that aborts when mmap fails */
        else
                o->status = AB_ST_CRASHED;
}

/* Wait for the child, watching it: its records, its timeline, a program's
 * marks and time windows, the timeout, Ctrl-C. */
/* The rounds since the last call that the tracer cannot see end by itself,
 * one byte each on its round pipe (ab_spawn.trace_rounds). */
static void forward_rounds(const struct ab_spawn *s, const struct ab_outcome *o, int fd,
                           size_t *done)
{
        for (; fd >= 0 && *done < o->nrounds; (*done)++) {
                const char *by = o->rounds[*done].by;
                char b = 1;
                if ((s->trace_all_rounds || strcmp(by, "window") == 0) && write(fd, &b, 1) < 0) {
                        /* the tracer is gone: nothing to tell */
                }
        }
}

static int wait_child(const struct ab_spawn *s, struct ab_outcome *o, struct ab_watch *w, pid_t pid,
                      int rec_fd, int round_fd, bool *timed_out)
{
        char buf[sizeof(struct ab_rec) * 8];
        size_t have = 0, forwarded = 0;
        uint64_t next_sample = o->start_ns + (uint64_t)s->sample_ms * 1000000u, deadline = 0;
        bool rec_open = rec_fd >= 0;
        int st = 0;
        if (s->timeout_ns)
                deadline = o->start_ns + s->timeout_ns;
        for (;;) {
                struct pollfd pf[2 + AB_MARKS_CONNS + 1] = {{wake_pipe[0], POLLIN, 0},
                                                            {rec_fd, POLLIN, 0}};
                uint64_t now = ab_prim_now_ns(), until = ab_watch_due(w);
                size_t nw = ab_watch_fds(w, pf + 2, AB_MARKS_CONNS + 1);
                int timeout_ms;
                char junk[64];
                pid_t r;

                if (s->sample_ms && next_sample < until)
                        until = next_sample;
                if (deadline && deadline < until)
                        until = deadline;
                timeout_ms = until == UINT64_MAX ? -1
                             : until <= now      ? 0
                                                 : (int)((until - now + 999999) / 1000000);
                if (!rec_open)
                        pf[1].fd = -1; /* poll ignores it */
                poll(pf, 2 + nw, timeout_ms);
                while (read(wake_pipe[0], junk, sizeof junk) > 0)
                        ;
                if (rec_open && (pf[1].revents & (POLLIN | POLLHUP)))
                        rec_open = drain_records(rec_fd, o, buf, &have);
                ab_watch_poll(w, pf + 2, nw);

                r = wait4(pid, &st, WNOHANG, &o->ru);
                if (r == pid)
                        break;
                now = ab_prim_now_ns();
                ab_watch_tick(w, now);
                forward_rounds(s, o, round_fd, &forwarded);
                if (s->sample_ms && now >= next_sample) {
                        ab_watch_sample(w, now);
                        while (next_sample <= now)
                                next_sample += (uint64_t)s->sample_ms * 1000000u;
                }
                if (!*timed_out && deadline && now >= deadline) {
                        *timed_out = o->killed_by_us = true;
                        kill(-pid, SIGKILL);
                }
                if (got_interrupt && !o->interrupted) {
                        o->interrupted = o->killed_by_us = true;
                        kill(-pid, SIGKILL);
                }
        }
        if (rec_open)
                drain_records(rec_fd, o, buf, &have);
        return st;
}

int ab_spawn_run(const struct ab_spawn *s, struct ab_outcome *o)
{
        int rec[2] = {-1, -1}, err[2] = {-1, -1}, rnd[2] = {-1, -1};
        struct ab_watch w;
        bool timed_out = false;
        pid_t pid, self;
        int st = 0, e[2] = {0, 0}, r = 0;

        memset(o, 0, sizeof *o);
        if ((r = ab_spawn_init()))
                return r;
        if ((r = ab_watch_start(&w, s, o))) {
                snprintf(o->exec_error, sizeof o->exec_error, "cannot listen for marks at %s: %s",
                         s->mark_path, strerror(-r));
                return r;
        }
        if (s->records && pipe_flags(rec, FD_CLOEXEC, 0) != 0) {
                r = -errno;
                goto out;
        }
        if (pipe_flags(err, FD_CLOEXEC, 0) != 0) {
                r = -errno;
                goto out;
        }
        /* the tracer's round pipe: a slow tracer never blocks the parent */
        if (s->trace_rounds && pipe_flags(rnd, FD_CLOEXEC, 0) != 0) {
                r = -errno;
                goto out;
        }
        if (rnd[1] >= 0)
                fcntl(rnd[1], F_SETFL, O_NONBLOCK);
        o->err_from = -1;
        if (s->err_path) {
                struct stat es;
                o->err_from = stat(s->err_path, &es) == 0 ? (long)es.st_size : 0;
        }
        o->start_ns = ab_prim_now_ns();
        self = getpid();
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto out;
        }
        if (pid == 0)
                child(s, rec[1], err[1], rnd[0], self);
        o->pid = pid;
        setpgid(pid, pid); /* also done by the child: whichever runs first */
        close(err[1]);
        err[1] = -1;
        if (rnd[0] >= 0) {
                close(rnd[0]);
                rnd[0] = -1;
        }
        if (s->records) {
                close(rec[1]);
                rec[1] = -1;
                fcntl(rec[0], F_SETFL, O_NONBLOCK);
        }
        if (read(err[0], e, sizeof e) == (ssize_t)sizeof e) {
                /* the child could not start the program: reap it and say why */
                waitpid(pid, NULL, 0);
                start_error(s, e, o->exec_error, sizeof o->exec_error);
                r = -e[1];
                goto out;
        }
        ab_watch_child(&w, pid);
        st = wait_child(s, o, &w, pid, rec[0], rnd[1], &timed_out);
        o->wall_ns = ab_prim_now_ns() - o->start_ns;
        classify(s, o, st, timed_out);
out:
        ab_watch_end(&w);
        for (int i = 0; i < 2; i++) {
                if (rec[i] >= 0)
                        close(rec[i]);
                if (err[i] >= 0)
                        close(err[i]);
                if (rnd[i] >= 0)
                        close(rnd[i]);
        }
        return r;
}

char **ab_env_build(const char *preload, char *const *extra, size_t nextra)
{
        const char *pv = ab_prim_preload_var();
        size_t pvlen = strlen(pv), n = 0, k = 0;
        char **env;
        for (char **e = environ; *e; e++)
                n++;
        env = calloc(n + nextra + 2, sizeof *env);
        if (!env)
                return NULL;
        for (char **e = environ; *e; e++) {
                bool overridden = strncmp(*e, pv, pvlen) == 0 && (*e)[pvlen] == '=';
                for (size_t i = 0; i < nextra && !overridden; i++) {
                        size_t kl = strcspn(extra[i], "=");
                        overridden = strncmp(*e, extra[i], kl) == 0 && (*e)[kl] == '=';
                }
                if (!overridden && !(env[k++] = strdup(*e)))
                        goto fail;
        }
        for (size_t i = 0; i < nextra; i++)
                if (!(env[k++] = strdup(extra[i])))
                        goto fail;
        if (preload && *preload) {
                if (!(env[k] = malloc(pvlen + strlen(preload) + 2)))
                        goto fail;
                sprintf(env[k++], "%s=%s", pv, preload);
        }
        return env;
fail:
        ab_env_free(env);
        return NULL;
}

void ab_env_free(char **envp)
{
        if (!envp)
                return;
        for (char **e = envp; *e; e++)
                free(*e);
        free(envp);
}
