/*
 * child.c - starting the measured children: where the runner is, the words
 * of each child (a launcher, then the runner in the argv protocol of
 * runner/proto.h, or cmd's program), and the accounting passes that run a
 * point once more under callgrind or strace after its timed repetitions.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fmt.h"
#include "measure/matrix.h"
#include "prim/prim.h"

static char runner_path[PATH_MAX], agent_path[PATH_MAX];

void ab_runner_sibling(const char *file, char *buf, size_t len)
{
        const char *slash = strrchr(runner_path, '/');
        snprintf(buf, len, "%.*s/%s", slash ? (int)(slash - runner_path) : 1,
                 slash ? runner_path : ".", file);
}

const char *ab_agent_path(void)
{
        ab_runner_sibling("libabmark.so", agent_path, sizeof agent_path);
        return agent_path;
}

const char *ab_tracer_path(void)
{
        static char path[PATH_MAX];
        ab_runner_sibling("libabtrace.so", path, sizeof path);
        return path;
}

const char *ab_runner_path(void)
{
        return runner_path;
}

const char *ab_alloc_runner(const struct ab_alloc *a)
{
        return a->runner[0] ? a->runner : runner_path;
}

int ab_find_runner(const char *argv0)
{
        char dir[PATH_MAX - 32];
        const char *env = getenv("ALLOCBENCH_RUNNER");
        if (env && *env) {
                snprintf(runner_path, sizeof runner_path, "%s", env);
                return access(runner_path, X_OK) == 0 ? 0 : -ENOENT;
        }
        if (ab_prim_exe_dir(argv0, dir, sizeof dir) == 0) {
                snprintf(runner_path, sizeof runner_path, "%s/build/ab-runner", dir);
                if (access(runner_path, X_OK) == 0)
                        return 0;
                snprintf(runner_path, sizeof runner_path, "%s/ab-runner", dir);
                if (access(runner_path, X_OK) == 0)
                        return 0;
        }
        fprintf(stderr, "bench: cannot find the runner build/ab-runner next to bench "
                        "(run make, or set ALLOCBENCH_RUNNER)\n");
        return -ENOENT;
}

const struct ab_wrap *ab_wrap_of(const struct ab_opts *o, const struct ab_alloc *a)
{
        return a->wrap > 0 && a->wrap <= o->nwraps ? &o->wraps[a->wrap - 1] : NULL;
}

bool ab_wrap_is_qemu(const struct ab_opts *o, const struct ab_alloc *a)
{
        const struct ab_wrap *w = ab_wrap_of(o, a);
        const char *base;
        if (!w || !w->argc)
                return false;
        base = strrchr(w->argv[0], '/');
        base = base ? base + 1 : w->argv[0];
        return strncmp(base, "qemu-", 5) == 0;
}

/* A growable argv for one child. */
/* A growable argv for one child. */
struct argv {
        char **v;
        size_t n, cap;
        bool failed;
};

__attribute__((format(printf, 2, 3))) static void push(struct argv *a, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        if (a->failed)
                return;
        if (a->n + 2 > a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 32;
                char **v = realloc(a->v, cap * sizeof *v);
                if (!v) {
                        a->failed = true;
                        return;
                }
                a->v = v;
                a->cap = cap;
        }
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                a->failed = true;
        va_end(ap);
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
}

static void free_argv(char **av)
{
        if (!av)
                return;
        for (char **a = av; *a; a++)
                free(*a);
        free(av);
}

static char **child_argv(const struct ab_matrix *m, const struct ab_run_res *run, const char *mode,
                         size_t point, uint64_t iters, enum pass pass, const char *outfile)
{
        const struct ab_opts *o = m->o;
        const struct ab_job *j = run->job;
        const struct ab_workload *w = j->w;
        struct argv a = {0};
        const struct ab_wrap *wrap = ab_wrap_of(o, run->alloc);
        bool preload_arg = ab_wrap_is_qemu(o, run->alloc);
        bool program = w->kind == AB_WK_PROGRAM && strcmp(mode, AB_PROTO_RUN) == 0;
        const char *preload =
            pass == PASS_TRACE && m->tr.guest_preload ? m->tr.guest_preload
            : program                                 ? m->ppreload[(size_t)(run - m->runs) % o->nallocs]
                                                      : run->alloc->library;

        if (pass == PASS_CALLGRIND) {
                push(&a, "%s", m->valgrind);
                push(&a, "--tool=callgrind");
                push(&a, "--collect-atstart=no");
                push(&a, "--callgrind-out-file=%s", outfile);
                push(&a, "-q");
        } else if (pass == PASS_STRACE) {
                push(&a, "%s", m->strace);
                push(&a, "-f");
                push(&a, "-qq");
                if (o->trace != AB_TRACE_OFF)
                        push(&a, "-k"); /* stacks for the sites (strace_sites.c); slower */
                push(&a, "-o");
                push(&a, "%s", outfile);
                push(&a, "-e");
                push(&a, "trace=mmap,munmap,mprotect,madvise,brk,mremap,write");
                push(&a, "-e");
                push(&a, "signal=none");
                preload_arg = true; /* strace itself must not be preloaded */
        } else {
                for (size_t i = 0; wrap && i < wrap->argc; i++)
                        push(&a, "%s", wrap->argv[i]);
        }
        if (preload_arg && preload[0]) { /* the traced program's environment */
                push(&a, "-E");
                push(&a, "%s=%s", ab_prim_preload_var(), preload);
        } else if (preload_arg && pass == PASS_TRACE && m->tr.all_rounds) {
                /* the emulator is traced: its preload is not the guest's */
                push(&a, "-U");
                push(&a, "%s", ab_prim_preload_var());
        }
        if (program) {
                for (int i = 0; i < o->cmd_argc; i++)
                        push(&a, "%s", o->cmd_argv[i]);
                goto out;
        }
        push(&a, "%s", ab_alloc_runner(run->alloc));
        push(&a, "%s", mode);
        push(&a, AB_PROTO_VQ "%d", (int)run->alloc->vq);
        /* the tracer serves malloc first in its pass (and forwards): the
         * allocator was proved in the timed repetitions */
        if (run->alloc->library[0] && pass != PASS_TRACE)
                push(&a, AB_PROTO_EXPECT "%s", run->alloc->library);
        push(&a, AB_PROTO_SEED "%llu", (unsigned long long)o->seed);
        if (pass == PASS_CALLGRIND)
                push(&a, AB_PROTO_COUNT "%s", ab_proto_count_names[AB_COUNT_CALLGRIND]);
        else if (pass == PASS_STRACE)
                push(&a, AB_PROTO_COUNT "%s", ab_proto_count_names[AB_COUNT_MARKERS]);
        else if (o->count == AB_COUNT_HW)
                push(&a, AB_PROTO_COUNT "%s", ab_proto_count_names[AB_COUNT_HW]);
        if (strcmp(mode, AB_PROTO_RUN) != 0)
                goto out;
        push(&a, "%s", w->name);
        for (size_t i = 0; i < w->nparams; i++) {
                const struct ab_param *p = &w->params[i];
                uint64_t v = (int)i == j->sweep ? j->points[point] : j->v[i];
                if (v == AB_AUTO)
                        v = iters;
                if (p->type == AB_PT_RECORD) {
                        push(&a, "%s=%s", p->name,
                             j->local[i] ? j->local[i] : j->text[i] ? j->text[i] : "");
                } else if (p->type == AB_PT_SIZES) {
                        push(&a, "%s=%s", p->name, j->text[i]);
                } else if (p->type == AB_PT_ENUM) {
                        const char *c = p->choices;
                        for (uint64_t e = 0; e < v; e++)
                                c = strchr(c, '|') + 1;
                        push(&a, "%s=%.*s", p->name, (int)strcspn(c, "|"), c);
                } else {
                        push(&a, "%s=%llu", p->name, (unsigned long long)v);
                }
        }
out:
        if (a.failed) {
                free_argv(a.v);
                return NULL;
        }
        return a.v;
}

/* Start one child for (run, point) and wait for it. */
int ab_child_spawn(struct ab_matrix *m, size_t ri, const char *mode, size_t point,
                       uint64_t iters, enum pass pass, const char *outfile,
                       struct ab_outcome *out)
{
        struct ab_run_res *run = &m->runs[ri];
        size_t ai = ri % m->o->nallocs;
        struct ab_spawn s = {0};
        char **av = child_argv(m, run, mode, point, iters, pass, outfile);
        int r;
        if (!av)
                return -ENOMEM;
        s.argv = av;
        s.envp = pass == PASS_STRACE ? m->env_plain : m->envs[ai];
        s.sample_ms = strcmp(mode, AB_PROTO_RUN) == 0 ? m->o->sample_ms : 0;
        s.timeout_ns = m->o->timeout_ns;
        /* starting the runner with an allocator takes milliseconds: one that
         * hangs in its initialisation is not waited for forever */
        if (strcmp(mode, AB_PROTO_INFO) == 0 &&
            (!s.timeout_ns || s.timeout_ns > AB_PREFLIGHT_TIMEOUT_S * 1000000000ull))
                s.timeout_ns = AB_PREFLIGHT_TIMEOUT_S * 1000000000ull;
        s.mem_limit = m->o->mem_limit;
        s.cpus = m->o->cpus;
        s.numa = m->o->numa ? &m->numa : NULL;
        s.records = run->job->w->kind == AB_WK_KERNEL || strcmp(mode, AB_PROTO_RUN) != 0;
        if (!s.records) { /* cmd's program, watched from outside */
                s.envp = m->penvs[ai];
                s.tree = true;
                s.mark_path = m->mark_path;
                s.round_ms = m->o->round_ms;
                s.out_path = m->pout[ai][0];
                s.err_path = m->pout[ai][1];
        }
        if (pass == PASS_TRACE) {
                s.envp = m->tr.envp;
                s.sample_ms = 0; /* the timed repetitions have the timeline */
                s.trace_rounds = true;
                s.trace_all_rounds = m->tr.all_rounds;
        }
        r = ab_spawn_run(&s, out);
        free_argv(av);
        if (r) {
                fprintf(stderr, "\nbench: %s\n", out->exec_error[0] ? out->exec_error : strerror(-r));
                return r;
        }
        if (out->interrupted)
                m->interrupted = true;
        return 0;
}

int ab_child_one(struct ab_matrix *m, size_t ri, const char *mode, size_t point, uint64_t iters,
                     struct ab_outcome *out)
{
        return ab_child_spawn(m, ri, mode, point, iters, PASS_NATIVE, NULL, out);
}

/* --syscalls with --trace: the strace pass's memory calls by call site
 * (its log has stacks), onto the point. */
static void strace_sites(struct ab_matrix *m, size_t ri, size_t point, const char *file)
{
        const struct ab_run_res *run = &m->runs[ri];
        const char *lib = run->alloc->library, *slash = strrchr(lib, '/');
        const char *drop[2] = {lib[0] ? (slash ? slash + 1 : lib) : NULL, NULL};
        char err[256];
        json_t *s = ab_strace_sites(file, point, m->o->trace_sites, drop, err, sizeof err);
        if (!s) {
                fprintf(stderr, "\nbench: note: the strace pass of %s has no sites: %s\n",
                        run->alloc->name, err);
                return;
        }
        json_decref(run->points[point].sc_sites);
        run->points[point].sc_sites = s;
}

/* The accounting passes of a point: one child per allocator under callgrind
 * and/or strace, after the timed repetitions and never mixed with them. */
int ab_child_account(struct ab_matrix *m, size_t job, size_t point, uint64_t iters)
{
        size_t na = m->o->nallocs;
        for (int pass = PASS_CALLGRIND; pass <= PASS_STRACE && !m->interrupted; pass++) {
                if ((pass == PASS_CALLGRIND && m->o->count != AB_COUNT_CALLGRIND) ||
                    (pass == PASS_STRACE && !m->o->syscalls))
                        continue;
                for (size_t a = 0; a < na && !m->interrupted; a++) {
                        size_t ri = job * na + a;
                        struct ab_point_res *p = &m->runs[ri].points[point];
                        struct ab_outcome out;
                        char file[PATH_MAX];
                        if (p->skipped || p->status != AB_ST_OK ||
                            m->runs[ri].job->w->kind != AB_WK_KERNEL)
                                continue;
                        snprintf(file, sizeof file, "%s/%s.%zu.%zu", m->tmpdir,
                                 pass == PASS_CALLGRIND ? "callgrind" : "strace", ri, point);
                        ab_progress_step(&m->prog, m->runs[ri].alloc->name,
                                      pass == PASS_CALLGRIND ? "callgrind" : "strace");
                        if (ab_child_spawn(m, ri, AB_PROTO_RUN, point, iters, (enum pass)pass, file, &out))
                                return -1;
                        if (out.status == AB_ST_OK && out.have_point && out.point.ops) {
                                if (pass == PASS_CALLGRIND) {
                                        int64_t ir;
                                        if (ab_callgrind_total(file, &ir) == 0)
                                                p->callgrind_per_op =
                                                        (double)ir / (double)out.point.ops;
                                } else if (ab_strace_parse(file, &p->sc) == 0) {
                                        p->have_syscalls = true;
                                        p->sc_ops = out.point.ops;
                                        if (m->o->trace != AB_TRACE_OFF)
                                                strace_sites(m, ri, point, file);
                                }
                        } else if (!out.interrupted) {
                                fprintf(stderr, "\nbench: note: the %s pass of %s failed (%s)\n",
                                        pass == PASS_CALLGRIND ? "callgrind" : "strace",
                                        m->runs[ri].alloc->name,
                                        out.have_error ? out.error.msg : ab_status_name(out.status));
                        }
                        unlink(file);
                        ab_outcome_free(&out);
                }
        }
        return 0;
}
