/*
 * run.c - `bench [run]`: read the options, set up the matrix of allocators x
 * workloads x points (matrix.c runs it, one fresh child per repetition),
 * then build the results document, decide the flags, write the file
 * atomically and print the summary from the document itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fmt.h"
#include "detect/detect.h"
#include "measure/job.h"
#include "measure/matrix.h"
#include "measure/recfile.h"
#include "measure/opts.h"
#include "measure/publish.h"
#include "measure/shard.h"
#include "agent/mark.h"
#include "prim/prim.h"

/* --trace with verdicts or budgets: applied to the document before it is
 * written (verdicts on sites, flags accepted, flags of their own). */
static int apply_verdicts(struct ab_matrix *m, json_t *doc)
{
        const struct ab_opts *o = m->o;
        if (!o->trace || (!o->verdicts_path && !o->nbudgets && !o->fail_new_site))
                return 0;
        return ab_verdicts_apply(doc, &o->verdicts, o->budgets, o->nbudgets, &m->vsum);
}

/* The line the verdicts add under the flags. */
static void print_verdicts(FILE *f, void *arg)
{
        const struct ab_matrix *m = arg;
        const struct ab_vsummary *s = &m->vsum;
        if (!m->o->verdicts_path && !m->o->nbudgets)
                return;
        fprintf(f,
                "\nverdicts%s%s%s: %zu sites, %zu with a verdict (%zu matched fuzzily), %zu new; "
                "%zu flags accepted, %zu regressions, %zu past their bound, %zu past a budget\n",
                m->o->verdicts_path ? " (" : "", m->o->verdicts_path ? m->o->verdicts_path : "",
                m->o->verdicts_path ? ")" : "", s->sites, s->matched, s->fuzzy, s->new_sites,
                s->accepted, s->regressions, s->over_bound, s->over_budget);
}

/* Build the document, decide the flags, write it and print the summary
 * from it (publish.c). *worst is the highest severity rank raised (-1 for
 * none). */
static int write_and_print(struct ab_matrix *m, size_t nruns, json_t *cal,
                           const struct ab_tools *tools, int *worst)
{
        /* the document takes a reference to cal: the matrix keeps its own */
        json_t *doc = ab_results_build(m->o, m->runs, nruns, ab_host_json(), json_incref(cal),
                                       m->interrupted);
        int r;
        *worst = -1;
        if (!doc)
                return -ENOMEM;
        json_object_set_new(doc, "accounting",
                            json_pack("{s:s?,s:s?,s:s?,s:s?}", "instructions",
                                      m->o->count == AB_COUNT_CALLGRIND ? "callgrind"
                                      : m->o->count == AB_COUNT_HW      ? "hardware"
                                                                        : NULL,
                                      "valgrind", tools->valgrind[0] ? tools->valgrind : NULL,
                                      "syscalls", m->o->syscalls ? "strace" : NULL, "strace",
                                      tools->strace[0] ? tools->strace : NULL));
        if (ab_detect_json(doc) < 0 || apply_verdicts(m, doc)) {
                json_decref(doc);
                return -ENOMEM;
        }
        r = ab_publish(doc, &m->o->target, m->o->format, print_verdicts, m, worst);
        json_decref(doc);
        return r;
}

/* The runs of the matrix (job-major) with room for every repetition, and
 * each allocator's environment. 0 or -ENOMEM. */
static int setup_runs(struct ab_matrix *m)
{
        const struct ab_opts *o = m->o;
        m->runs = calloc(o->nallocs * o->njobs, sizeof *m->runs);
        m->envs = calloc(o->nallocs, sizeof *m->envs);
        if (!m->runs || !m->envs)
                return -ENOMEM;
        for (size_t a = 0; a < o->nallocs; a++)
                if (!(m->envs[a] = ab_env_build(
                          ab_wrap_is_qemu(o, &o->allocs[a]) ? NULL : o->allocs[a].library, o->env,
                          o->nenv)))
                        return -ENOMEM;
        for (size_t j = 0; j < o->njobs; j++) {
                for (size_t a = 0; a < o->nallocs; a++) {
                        struct ab_run_res *run = &m->runs[j * o->nallocs + a];
                        run->alloc = &o->allocs[a];
                        run->job = &o->jobs[j];
                        run->runner_rss_kib = run->runner_vsz_kib = AB_UNKNOWN;
                        run->points = calloc(o->jobs[j].npoints, sizeof *run->points);
                        if (!run->points)
                                return -ENOMEM;
                        for (size_t p = 0; p < o->jobs[j].npoints; p++) {
                                struct ab_point_res *pt = &run->points[p];
                                pt->value = ab_job_point_value(&o->jobs[j], p);
                                pt->skipped = !ab_shard_mine(o, j, p, a);
                                pt->capreps = o->adaptive ? o->max_reps : o->reps;
                                pt->reps = calloc(pt->capreps, sizeof(struct ab_rep));
                                if (!pt->reps)
                                        return -ENOMEM;
                        }
                }
        }
        return 0;
}

/* Empty dir (bench's own: no subdirectories) and remove it. */
static void remove_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX];
        if (!d)
                return;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        closedir(d);
        rmdir(dir);
}

/* The temporary directories of earlier runs that were killed (SIGKILL, a
 * crash: nothing of theirs could clean up), named allocbench.PID.* after a
 * process that is gone: removed. */
static void sweep_stale(const char *tmp)
{
        DIR *d = opendir(tmp);
        struct dirent *e;
        char path[PATH_MAX];
        if (!d)
                return;
        while ((e = readdir(d))) {
                char *end;
                long pid;
                if (strncmp(e->d_name, "allocbench.", 11) != 0)
                        continue;
                pid = strtol(e->d_name + 11, &end, 10);
                if (end == e->d_name + 11 || *end != '.' || pid <= 0 ||
                    (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
                        if (end != e->d_name + 11 && *end == '.' && pid > 0) {
                                snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
                                remove_dir(path);
                        }
                }
        }
        closedir(d);
}

/* A temporary directory for the passes' outputs, the marks socket and the
 * tracer's dumps, made once: $TMPDIR/allocbench.PID.XXXXXX (the pid lets a
 * later run remove it if this one is killed). 0 or an exit code. */
static int make_tmpdir(struct ab_matrix *m)
{
        const char *t = getenv("TMPDIR");
        if (m->tmpdir[0])
                return 0;
        if (!t || t[0] != '/' || strlen(t) > sizeof m->tmpdir - 32)
                t = "/tmp";
        sweep_stale(t);
        snprintf(m->tmpdir, sizeof m->tmpdir, "%s/allocbench.%d.XXXXXX", t, (int)getpid());
        if (!mkdtemp(m->tmpdir)) {
                ab_err("", "cannot make a temporary directory: %s", strerror(errno));
                m->tmpdir[0] = '\0';
                return AB_BAD_INPUT;
        }
        return 0;
}

/* Where a program's stdout and stderr go for allocator a: files beside the
 * results (RESULTS.program/ALLOC.stdout, .stderr, appended over the
 * repetitions), bench's own (inherit), nowhere (null), or one FILE. */
static int program_output(struct ab_matrix *m, size_t a)
{
        const char *how = m->o->program_output;
        char stem[PATH_MAX], dir[PATH_MAX + 16];
        size_t n;
        if (how && strcmp(how, "inherit") == 0)
                return 0;
        if (how) {
                const char *file = strcmp(how, "null") == 0 ? "/dev/null" : how;
                int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0)
                        return -errno; /* said before anything runs */
                close(fd);
                m->pout[a][0] = strdup(file);
                m->pout[a][1] = strdup(file);
                return m->pout[a][0] && m->pout[a][1] ? 0 : -ENOMEM;
        }
        snprintf(stem, sizeof stem, "%s", m->o->out);
        n = strlen(stem);
        if (n > 5 && strcmp(stem + n - 5, ".json") == 0)
                stem[n - 5] = '\0';
        snprintf(dir, sizeof dir, "%s.program", stem);
        if (ab_mkdir_p(dir))
                return -errno;
        if (asprintf(&m->pout[a][0], "%s/%s.stdout", dir, m->o->allocs[a].name) < 0)
                m->pout[a][0] = NULL; /* undefined after a failure; freed by matrix_free */
        else if (asprintf(&m->pout[a][1], "%s/%s.stderr", dir, m->o->allocs[a].name) < 0)
                m->pout[a][1] = NULL;
        return m->pout[a][0] && m->pout[a][1] ? 0 : -ENOMEM;
}

/* cmd: allocator a's environment for the program, with `extra` (the
 * --env entries, the marks socket, the round signal), and where its output
 * goes. 0 or an exit code. */
static int setup_program_alloc(struct ab_matrix *m, size_t a, char **extra)
{
        const struct ab_opts *o = m->o;
        const char *lib = o->allocs[a].library;
        int r;
        if (asprintf(&m->ppreload[a], "%s%s%s", lib, lib[0] ? ":" : "", ab_agent_path()) < 0) {
                m->ppreload[a] = NULL; /* undefined after a failure: matrix_free frees it */
                return AB_BAD_INPUT;
        }
        m->penvs[a] = ab_env_build(ab_wrap_is_qemu(o, &o->allocs[a]) ? NULL : m->ppreload[a], extra,
                                   o->nenv + (o->round_signal ? 2 : 1));
        if (!m->penvs[a])
                return AB_BAD_INPUT;
        if ((r = program_output(m, a))) {
                if (o->program_output)
                        ab_err("",
                               "--program-output '%s': cannot write to it: %s "
                               "(accepted: inherit, null, or a FILE that can be "
                               "written)",
                               o->program_output, strerror(-r));
                else
                        ab_err("", "cannot write the program's output beside %s: %s", o->out,
                               strerror(-r));
                return AB_BAD_INPUT;
        }
        for (size_t j = 0; j < o->njobs; j++) {
                m->runs[j * o->nallocs + a].program_out[0] = m->pout[a][0];
                m->runs[j * o->nallocs + a].program_out[1] = m->pout[a][1];
        }
        return 0;
}

/* cmd: each allocator's environment for the program (the allocator and the
 * marks agent preloaded, the marks socket and the round signal named) and
 * where its output goes. 0 or an exit code. */
static int setup_program(struct ab_matrix *m)
{
        const struct ab_opts *o = m->o;
        char **extra, sig[32], mark[200];
        bool any = false;
        int r;
        for (size_t j = 0; j < o->njobs; j++)
                any |= o->jobs[j].w->kind == AB_WK_PROGRAM;
        if (!any)
                return 0;
        if ((r = make_tmpdir(m)))
                return r;
        snprintf(m->mark_path, sizeof m->mark_path, "%s/mark.sock", m->tmpdir);
        snprintf(mark, sizeof mark, "%s=%s", AB_MARK_ENV, m->mark_path);
        snprintf(sig, sizeof sig, "%s=%d", AB_MARK_SIGNAL_ENV, o->round_signal);
        m->penvs = calloc(o->nallocs, sizeof *m->penvs);
        m->ppreload = calloc(o->nallocs, sizeof *m->ppreload);
        m->pout = calloc(o->nallocs, sizeof *m->pout);
        extra = calloc(o->nenv + 2, sizeof *extra);
        if (!m->penvs || !m->ppreload || !m->pout || !extra) {
                free(extra);
                return AB_BAD_INPUT;
        }
        memcpy(extra, o->env, o->nenv * sizeof *extra);
        extra[o->nenv] = mark;
        extra[o->nenv + 1] = sig;
        r = 0;
        for (size_t a = 0; a < o->nallocs && !r; a++)
                r = setup_program_alloc(m, a, extra);
        free(extra); /* its entries are o->env's and this frame's */
        return r;
}

/* The tools of the accounting passes (--count callgrind, --syscalls), their
 * versions, and a temporary directory for their outputs. 0 or an exit code. */
static int setup_accounting(struct ab_matrix *m)
{
        const struct ab_opts *o = m->o;
        if (o->count != AB_COUNT_CALLGRIND && !o->syscalls)
                return 0;
        if (o->count == AB_COUNT_CALLGRIND &&
            ab_which("valgrind", m->valgrind, sizeof m->valgrind)) {
                ab_err("", "--count callgrind needs valgrind (apt-get install valgrind)");
                return AB_BAD_INPUT;
        }
        if (o->syscalls && ab_which("strace", m->strace, sizeof m->strace)) {
                ab_err("", "--syscalls needs strace (apt-get install strace)");
                return AB_BAD_INPUT;
        }
        if (make_tmpdir(m))
                return AB_BAD_INPUT;
        if (!(m->env_plain = ab_env_build(NULL, o->env, o->nenv)))
                return AB_BAD_INPUT;
        if (o->count == AB_COUNT_CALLGRIND)
                ab_tool_version(m->valgrind, "--version", m->tools.valgrind,
                                sizeof m->tools.valgrind);
        if (o->syscalls)
                ab_tool_version(m->strace, "-V", m->tools.strace, sizeof m->tools.strace);
        return 0;
}

/* Every point of every job, in order. Returns true when a child could not
 * be started (the matrix stops there, keeping what was measured). */
static bool run_matrix(struct ab_matrix *m)
{
        m->start_ns = ab_prim_now_ns();
        return ab_matrix_run(m) != 0;
}

/* bench's exit code once the results are written. */
static int exit_code(const struct ab_matrix *m, size_t nruns, bool aborted, int worst)
{
        if (aborted) {
                ab_err("", "stopped because a workload process could not be started; the results "
                           "file holds what was measured before");
                return AB_RUN_FAILED;
        }
        if (m->interrupted) {
                int sig = ab_spawn_interrupt_signal() ? ab_spawn_interrupt_signal() : SIGINT;
                ab_err("", "interrupted (%s); the results file holds what was measured",
                       strsignal(sig));
                return 128 + sig;
        }
        for (size_t i = 0; i < nruns; i++)
                if (m->runs[i].status != AB_ST_OK)
                        return AB_RUN_FAILED;
        if (m->o->fail_on >= 0 && worst >= m->o->fail_on)
                return AB_FLAGGED;
        if (m->vsum.over_budget || (m->o->fail_new_site && m->vsum.new_sites)) {
                ab_err("", "%s", m->vsum.over_budget ? "a site is past a --budget (budget-exceeded "
                                                       "flags above)"
                                                     : "--fail-on-new-site: a site has no verdict");
                return AB_FLAGGED;
        }
        return AB_OK;
}

/* The temporary directory and whatever is left in it (the marks socket, a
 * pass's outputs after an interruption): it is bench's own. */
static void remove_tmpdir(struct ab_matrix *m)
{
        if (!m->tmpdir[0])
                return;
        remove_dir(m->tmpdir);
        m->tmpdir[0] = '\0';
}

/* Replay jobs: a compressed record is unpacked into the temporary
 * directory, for the runner to map (it links no decompressor, and a
 * measured process should not spend its time unpacking). 0 or an exit
 * code. */
static int unpack_records(struct ab_matrix *m, struct ab_opts *o)
{
        char out[PATH_MAX], err[900];
        size_t tag = 0;
        for (size_t j = 0; j < o->njobs; j++)
                for (size_t i = 0; i < o->jobs[j].w->nparams; i++) {
                        struct ab_job *job = &o->jobs[j];
                        if (job->w->params[i].type != AB_PT_RECORD || !job->text[i])
                                continue;
                        if (make_tmpdir(m))
                                return AB_BAD_INPUT;
                        if (ab_recfile_local(job->text[i], m->tmpdir, tag++, out, sizeof out, err,
                                             sizeof err)) {
                                ab_err("", "%s", err);
                                return AB_BAD_INPUT;
                        }
                        if (strcmp(out, job->text[i]) != 0 && !(job->local[i] = strdup(out)))
                                return AB_BAD_INPUT;
                }
        return 0;
}

/* --shard: which part of the matrix this run measures; a shard without
 * cells still writes its document (with the shard and no runs), so that
 * bench merge sees every shard of the split. */
static void say_shard(const struct ab_opts *o)
{
        unsigned long long mine, all;
        if (!o->shard_n)
                return;
        mine = (unsigned long long)ab_shard_count_mine(o);
        all = (unsigned long long)ab_shard_cells(o);
        if (mine == 0)
                ab_note("",
                        "shard %u/%u has no cells: the matrix has %llu (workload x point x "
                        "allocator), fewer than the shards; its results file records the "
                        "shard and holds no runs",
                        o->shard_k, o->shard_n, all);
        else if (!o->quiet)
                ab_note("",
                        "shard %u/%u: %llu of the matrix's %llu cells (workload x point x "
                        "allocator)",
                        o->shard_k, o->shard_n, mine, all);
}

/* The matrix from the options in o to the results file: bench run's exit
 * code. Leaves the temporary directory to the caller. */
static int run_all(struct ab_matrix *m, struct ab_opts *o)
{
        char err[512];
        int worst = -1, r;
        bool aborted;
        size_t nruns = o->nallocs * o->njobs;

        m->o = o;
        if (setup_runs(m))
                return AB_BAD_INPUT;
        say_shard(o);
        if ((r = setup_accounting(m)) || (r = setup_program(m)))
                return r;
        if (o->trace && make_tmpdir(m)) /* the tracer's dumps go there */
                return AB_BAD_INPUT;
        if ((r = unpack_records(m, o)))
                return r;
        if (o->numa && ab_place_numa_prepare(o->numa, &m->numa, err, sizeof err)) {
                ab_err("", "%s", err);
                return AB_BAD_INPUT;
        }
        ab_progress_init(&m->prog, o->quiet, isatty(STDERR_FILENO), 0);
        if (ab_spawn_init() || (r = ab_matrix_preflight(m)))
                return r ? r : AB_BAD_INPUT;
        m->cal = ab_calibration_get(o, false, !o->quiet, err, sizeof err);
        if (!m->cal)
                ab_note("", "%s; time-based evidence is off", err);

        aborted = run_matrix(m);
        if (aborted) /* a child could not be started: keep what was measured */
                m->interrupted = true;
        ab_progress_clear(&m->prog);
        if (ab_spawn_interrupted())
                m->interrupted = true;
        ab_matrix_finish(m, nruns);
        remove_tmpdir(m);
        if (o->count == AB_COUNT_HW && m->count_err)
                ab_note("",
                        "--count instructions: this machine gives no hardware instruction "
                        "counter (perf_event_open: %s); instructions_per_op is null. --count "
                        "callgrind counts exactly.",
                        strerror(m->count_err));
        if (write_and_print(m, nruns, m->cal, &m->tools, &worst))
                return AB_RUN_FAILED;
        return exit_code(m, nruns, aborted, worst);
}

/* A point's repetitions (and their rounds) and what its trace pass kept. */
static void point_free(struct ab_point_res *p)
{
        for (size_t i = 0; i < p->nreps; i++)
                free(p->reps[i].rounds);
        free(p->reps);
        json_decref(p->trace);
        json_decref(p->sites);
        json_decref(p->sc_sites);
}

/* Everything run_all allocated into m, however far it got (m->o is the
 * options it ran; the runs are calloc'd, so unset parts are NULL). */
static void matrix_free(struct ab_matrix *m)
{
        const struct ab_opts *o = m->o;
        for (size_t r = 0; m->runs && r < o->nallocs * o->njobs; r++) {
                struct ab_run_res *run = &m->runs[r];
                for (size_t p = 0; run->points && p < run->job->npoints; p++)
                        point_free(&run->points[p]);
                free(run->points);
                free(run->timeline);
                free(run->spans);
        }
        free(m->runs);
        for (size_t a = 0; o && a < o->nallocs; a++) {
                if (m->envs)
                        ab_env_free(m->envs[a]);
                if (m->penvs)
                        ab_env_free(m->penvs[a]);
                if (m->ppreload)
                        free(m->ppreload[a]);
                if (m->pout) {
                        free(m->pout[a][0]);
                        free(m->pout[a][1]);
                }
        }
        free(m->envs);
        free(m->penvs);
        free(m->ppreload);
        free(m->pout);
        ab_env_free(m->env_plain);
        json_decref(m->cal);
        memset(m, 0, sizeof *m);
}

int ab_cmd_run(int argc, char **argv)
{
        struct ab_opts o = {0};
        struct ab_matrix m = {0};
        int r;

        o.argc = ab_argc;
        o.argv = ab_argv;
        if (getenv(ab_prim_preload_var()) && *getenv(ab_prim_preload_var())) {
                ab_err("",
                       "%s is set in the harness's environment; the harness must not be "
                       "preloaded (unset it and pass the library with --alloc=PATH)",
                       ab_prim_preload_var());
                return AB_BAD_INPUT;
        }
        if (ab_find_runner(argv[0]))
                return AB_BAD_INPUT;
        if ((r = ab_opts_parse(argc, argv, &o))) {
                ab_opts_free(&o);
                return r < 0 ? AB_OK : r;
        }
        if (!o.out)
                o.out = ab_default_output();
        r = run_all(&m, &o);
        remove_tmpdir(&m);
        matrix_free(&m);
        ab_opts_free(&o);
        return r;
}
