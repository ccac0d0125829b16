/*
 * run.c - `bench [run]`: parse the options, run the allocator x workload x
 * point x repetition matrix (one fresh child per repetition), write the
 * results file atomically and print the summary.
 *
 * Repetitions are interleaved across allocators (rep 1 of every allocator,
 * then rep 2, ...) so that slow drift of the machine spreads over all of them
 * instead of biasing the one measured last.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "job.h"
#include "parse.h"
#include "prim/prim.h"
#include "prng.h"

#define MAX_REPS 1000

static char runner_path[PATH_MAX];

const char *ab_runner_path(void)
{
        return runner_path;
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

static void run_usage(FILE *f)
{
        fprintf(f,
                "usage: bench [run] --alloc=A[,B..] --workload=W[,X..] [options]\n"
                "\n"
                "Runs every workload against every allocator, one fresh process per\n"
                "repetition, prints a summary and writes a JSON results file.\n"
                "\n"
                "  --alloc=LIST        glibc, jemalloc, tcmalloc, mimalloc, all, or a path to a\n"
                "                      malloc-replacing .so (default: glibc)\n"
                "  --workload=LIST     workload names (see `bench list`)\n"
                "  --set KEY=VALUE     override a workload parameter (repeatable); sizes take\n"
                "                      4k, 16MiB, 1GiB; lists a,b,c or 4KiB..1GiB*2\n"
                "  --reps N            repetitions per point, 1..%d (default 5)\n"
                "  --seed N            seed of the operation stream (default 1)\n"
                "  --env KEY=VALUE     environment of the workload process only (repeatable)\n"
                "  --timeout SEC       kill a repetition after SEC seconds (status timeout)\n"
                "  --mem-limit SIZE    address-space limit of the workload process (status oom)\n"
                "  --cpus LIST         bind the workload process to these CPUs (0-3,5)\n"
                "  --sample-ms N       RSS/VSZ timeline interval, 0 = off (default 10)\n"
                "  -o, --output FILE   results file (default results/<UTC time>-<host>.json)\n"
                "  --format FMT        stdout: table (default), json or csv\n"
                "  -q, --quiet         no progress line\n"
                "  -h, --help          this text\n"
                "\n"
                "Exit: 0 ok, 1 bad input, 4 a run crashed, timed out or ran out of memory.\n",
                MAX_REPS);
}

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "bench: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n(see bench run --help)\n");
        return AB_BAD_INPUT;
}

static int add_alloc(struct ab_opts *o, const char *item)
{
        char err[512];
        struct ab_alloc a;
        struct ab_alloc *n;
        for (size_t i = 0; i < o->nallocs; i++)
                if (strcmp(o->allocs[i].name, item) == 0)
                        return 0; /* named twice: run once */
        if (strcmp(item, "all") == 0) {
                int found = 0;
                for (size_t i = 0; i < ab_nbackends; i++) {
                        char path[PATH_MAX];
                        if (!ab_backend_locate(&ab_backends[i], path, sizeof path)) {
                                fprintf(stderr,
                                        "bench: note: --alloc=all skips %s (not installed; "
                                        "apt-get install %s)\n",
                                        ab_backends[i].name, ab_backends[i].package);
                                continue;
                        }
                        if (add_alloc(o, ab_backends[i].name))
                                return -1;
                        found++;
                }
                return found ? 0 : -1;
        }
        if (ab_backend_resolve(item, &a, err, sizeof err)) {
                fprintf(stderr, "bench: %s\n", err);
                return -1;
        }
        n = realloc(o->allocs, (o->nallocs + 1) * sizeof *n);
        if (!n)
                return -1;
        o->allocs = n;
        o->allocs[o->nallocs++] = a;
        return 0;
}

static int add_job(struct ab_opts *o, const char *name)
{
        char err[512];
        const struct ab_workload *w = ab_workload_find(name);
        struct ab_job *n;
        if (!w) {
                char names[512] = "";
                size_t off = 0;
                for (size_t i = 0; ab_workloads[i]; i++)
                        off += (size_t)snprintf(names + off, sizeof names - off, "%s%s",
                                                i ? ", " : "", ab_workloads[i]->name);
                fprintf(stderr, "bench: --workload: unknown workload '%s' (accepted: %s)\n", name,
                        names);
                return -1;
        }
        n = realloc(o->jobs, (o->njobs + 1) * sizeof *n);
        if (!n)
                return -1;
        o->jobs = n;
        if (ab_job_init(&o->jobs[o->njobs], w, name, err, sizeof err)) {
                fprintf(stderr, "bench: workload %s: %s\n", name, err);
                return -1;
        }
        o->njobs++;
        return 0;
}

/* Apply comma-separated items of a list option through fn. */
static int each_item(struct ab_opts *o, const char *list, int (*fn)(struct ab_opts *, const char *))
{
        char *copy = strdup(list), *save = NULL;
        int r = 0;
        if (!copy)
                return -1;
        if (!*copy)
                r = -1;
        for (char *t = strtok_r(copy, ",", &save); t && !r; t = strtok_r(NULL, ",", &save))
                r = fn(o, t);
        free(copy);
        return r;
}

static int apply_set(struct ab_opts *o, const char *kv)
{
        char err[512], key[128];
        const char *eq = strchr(kv, '=');
        bool used = false;
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
                return bad("--set '%s': expected KEY=VALUE", kv);
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        for (size_t i = 0; i < o->njobs; i++) {
                int idx = ab_param_index(o->jobs[i].w, key);
                if (idx < 0)
                        continue;
                used = true;
                if (ab_job_set(&o->jobs[i], idx, eq + 1, err, sizeof err)) {
                        fprintf(stderr, "bench: --set %s\n", err);
                        return AB_BAD_INPUT;
                }
        }
        if (!used)
                return bad("--set: no selected workload has a parameter '%s' (see bench list)", key);
        return 0;
}

static int parse_uint(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
        int r = ab_parse_u64(s, out);
        if (r || *out < lo || *out > hi) {
                fprintf(stderr, "bench: %s '%s': %s (accepted: a whole number from %llu to %llu)\n",
                        opt, s, r == -EINVAL ? "not a whole number" : "out of range",
                        (unsigned long long)lo, (unsigned long long)hi);
                return AB_BAD_INPUT;
        }
        return 0;
}

static int check_output(const char *path)
{
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        struct stat st;
        if (!*path || (slash && !slash[1]))
                return bad("-o '%s': expected a file name", path);
        if (!slash)
                return 0;
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        if (*dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
                return bad("-o '%s': directory %s does not exist", path, dir);
        return 0;
}

static char *default_output(void)
{
        char host[256] = "host", stamp[32];
        static char path[PATH_MAX];
        time_t now = time(NULL);
        struct tm tm;
        gethostname(host, sizeof host - 1);
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        mkdir("results", 0777);
        snprintf(path, sizeof path, "results/%s-%s.json", stamp, host);
        return path;
}

enum {
        OPT_ALLOC = 256,
        OPT_WORKLOAD,
        OPT_SET,
        OPT_REPS,
        OPT_SEED,
        OPT_ENV,
        OPT_TIMEOUT,
        OPT_MEMLIMIT,
        OPT_CPUS,
        OPT_SAMPLE,
        OPT_FORMAT,
};

static const struct option longopts[] = {
        {"alloc", required_argument, NULL, OPT_ALLOC},
        {"workload", required_argument, NULL, OPT_WORKLOAD},
        {"set", required_argument, NULL, OPT_SET},
        {"reps", required_argument, NULL, OPT_REPS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"env", required_argument, NULL, OPT_ENV},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"mem-limit", required_argument, NULL, OPT_MEMLIMIT},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"sample-ms", required_argument, NULL, OPT_SAMPLE},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/* Parse the command line into o. Returns 0, or an exit code (help: -1). */
static int parse_opts(int argc, char **argv, struct ab_opts *o)
{
        const char *allocs = "glibc", *workloads = NULL;
        char **sets = calloc((size_t)argc + 1, sizeof *sets);
        size_t nsets = 0;
        uint64_t u;
        int c, r;

        if (!sets)
                return AB_BAD_INPUT;
        o->env = calloc((size_t)argc + 1, sizeof *o->env);
        if (!o->env)
                return AB_BAD_INPUT;
        o->reps = 5;
        o->seed = 1;
        o->sample_ms = 10;
        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+o:qh", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_ALLOC:
                        allocs = optarg;
                        break;
                case OPT_WORKLOAD:
                        workloads = optarg;
                        break;
                case OPT_SET:
                        sets[nsets++] = optarg;
                        break;
                case OPT_REPS:
                        if ((r = parse_uint("--reps", optarg, 1, MAX_REPS, &u)))
                                return r;
                        o->reps = (unsigned)u;
                        break;
                case OPT_SEED:
                        if ((r = parse_uint("--seed", optarg, 0, UINT64_MAX, &u)))
                                return r;
                        o->seed = u;
                        break;
                case OPT_ENV:
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return bad("--env '%s': expected KEY=VALUE", optarg);
                        if (strncmp(optarg, ab_prim_preload_var(), strlen(ab_prim_preload_var())) == 0)
                                return bad("--env '%s': the preload variable is set by --alloc",
                                           optarg);
                        o->env[o->nenv++] = optarg;
                        break;
                case OPT_TIMEOUT:
                        if ((r = parse_uint("--timeout", optarg, 1, 86400 * 7, &u)))
                                return r;
                        o->timeout_ns = u * 1000000000ull;
                        break;
                case OPT_MEMLIMIT:
                        if (ab_parse_size(optarg, &u) || u < (1u << 20))
                                return bad("--mem-limit '%s': expected %s, at least 1MiB", optarg,
                                           AB_SIZE_FORM);
                        o->mem_limit = u;
                        break;
                case OPT_CPUS:
                        if (!*optarg || strspn(optarg, "0123456789,-") != strlen(optarg))
                                return bad("--cpus '%s': expected a CPU list such as 0, 0-3 or 1,3",
                                           optarg);
                        o->cpus = optarg;
                        break;
                case OPT_SAMPLE:
                        if ((r = parse_uint("--sample-ms", optarg, 0, 60000, &u)))
                                return r;
                        o->sample_ms = (unsigned)u;
                        break;
                case 'o':
                        o->out = optarg;
                        break;
                case OPT_FORMAT:
                        if (strcmp(optarg, "table") == 0)
                                o->format = AB_FMT_TABLE;
                        else if (strcmp(optarg, "json") == 0)
                                o->format = AB_FMT_JSON;
                        else if (strcmp(optarg, "csv") == 0)
                                o->format = AB_FMT_CSV;
                        else
                                return bad("--format '%s': expected table, json or csv", optarg);
                        break;
                case 'q':
                        o->quiet = true;
                        break;
                case 'h':
                        run_usage(stdout);
                        return -1;
                case ':':
                        return bad("option %s needs a value", argv[optind - 1]);
                default:
                        return bad("unknown option '%s'", argv[optind - 1]);
                }
        }
        if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
                return bad("unexpected argument '%s'", argv[optind]);
        if (!workloads)
                return bad("--workload is required (e.g. --workload=calloc-sweep; bench list shows them)");
        if (each_item(o, allocs, add_alloc) || o->nallocs == 0) {
                if (!*allocs)
                        fprintf(stderr, "bench: --alloc is empty\n");
                return AB_BAD_INPUT;
        }
        if (each_item(o, workloads, add_job) || o->njobs == 0) {
                if (!*workloads)
                        fprintf(stderr, "bench: --workload is empty\n");
                return AB_BAD_INPUT;
        }
        for (size_t i = 0; i < nsets; i++)
                if ((r = apply_set(o, sets[i])))
                        return r;
        free(sets);
        if (o->out && (r = check_output(o->out)))
                return r;
        return 0;
}

/* --- the matrix ------------------------------------------------------------ */

struct matrix {
        struct ab_opts *o;
        struct ab_run_res *runs; /* nallocs * njobs, job-major */
        char ***envs;            /* per allocator */
        uint64_t start_ns;
        size_t done, total;
        bool tty;
        bool interrupted;
};

static void progress(struct matrix *m, const struct ab_run_res *run, size_t point, const char *what)
{
        char val[32] = "";
        const struct ab_job *j = run->job;
        if (!m->tty)
                return;
        if (j->sweep >= 0)
                ab_fmt_size(j->points[point], val, sizeof val);
        fprintf(stderr, "\r\033[K[%zu/%zu] %s %s %s%s%s %s", m->done, m->total, run->alloc->name,
                j->name, j->sweep >= 0 ? j->w->params[j->sweep].point_key : "",
                j->sweep >= 0 ? "=" : "", val, what);
        fflush(stderr);
}

/* argv of one child: runner run --vq --expect --seed WORKLOAD KEY=VALUE... */
static char **child_argv(const struct ab_run_res *run, size_t point, uint64_t iterations_override)
{
        const struct ab_job *j = run->job;
        const struct ab_workload *w = j->w;
        char **av = calloc(w->nparams + 8, sizeof *av);
        size_t k = 0;
        if (!av)
                return NULL;
        av[k++] = strdup(runner_path);
        av[k++] = strdup("run");
        if (asprintf(&av[k++], "--vq=%d", (int)run->alloc->vq) < 0)
                goto fail;
        if (run->alloc->library[0] && asprintf(&av[k++], "--expect=%s", run->alloc->library) < 0)
                goto fail;
        if (asprintf(&av[k++], "--seed=%llu", (unsigned long long)0) < 0)
                goto fail;
        av[k++] = strdup(w->name);
        for (size_t i = 0; i < w->nparams; i++) {
                const struct ab_param *p = &w->params[i];
                uint64_t v = (int)i == j->sweep ? j->points[point] : j->v[i];
                if (v == AB_AUTO)
                        v = iterations_override;
                if (p->type == AB_PT_ENUM) {
                        const char *c = p->choices;
                        for (uint64_t e = 0; e < v; e++)
                                c = strchr(c, '|') + 1;
                        if (asprintf(&av[k++], "%s=%.*s", p->name, (int)strcspn(c, "|"), c) < 0)
                                goto fail;
                } else if (asprintf(&av[k++], "%s=%llu", p->name, (unsigned long long)v) < 0) {
                        goto fail;
                }
        }
        for (size_t i = 0; i < k; i++)
                if (!av[i])
                        goto fail;
        return av;
fail:
        for (size_t i = 0; i < k; i++)
                free(av[i]);
        free(av);
        return NULL;
}

static void free_argv(char **av)
{
        if (!av)
                return;
        for (char **a = av; *a; a++)
                free(*a);
        free(av);
}

/* The seed reaches the child through --seed; patch it in (child_argv writes 0). */
static void set_seed(char **av, uint64_t seed)
{
        for (char **a = av; *a; a++) {
                if (strncmp(*a, "--seed=", 7) == 0) {
                        free(*a);
                        if (asprintf(a, "--seed=%llu", (unsigned long long)seed) < 0)
                                *a = strdup("--seed=1");
                        return;
                }
        }
}

/* Start one child for (run, point) and wait for it. */
static int one_child(struct matrix *m, size_t ri, size_t point, uint64_t iters,
                     struct ab_outcome *out)
{
        struct ab_run_res *run = &m->runs[ri];
        size_t ai = ri % m->o->nallocs;
        struct ab_spawn s = {0};
        char **av = child_argv(run, point, iters);
        int r;
        if (!av)
                return -ENOMEM;
        set_seed(av, m->o->seed);
        s.argv = av;
        s.envp = m->envs[ai];
        s.sample_ms = m->o->sample_ms;
        s.timeout_ns = m->o->timeout_ns;
        s.mem_limit = m->o->mem_limit;
        s.cpus = m->o->cpus;
        s.records = true;
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

static void take_info(struct ab_run_res *run, const struct ab_outcome *out)
{
        if (!out->have_info || run->library[0])
                return;
        snprintf(run->version, sizeof run->version, "%s", out->info.version);
        snprintf(run->library, sizeof run->library, "%s", out->info.library);
        run->runner_rss_kib = out->info.runner_rss_kib;
}

static void take_timeline(struct matrix *m, struct ab_run_res *run, const struct ab_outcome *out)
{
        struct ab_sample *n;
        if (!out->nsamples)
                return;
        n = realloc(run->timeline, (run->ntimeline + out->nsamples) * sizeof *n);
        if (!n)
                return;
        run->timeline = n;
        for (size_t i = 0; i < out->nsamples; i++) {
                struct ab_sample s = out->samples[i];
                s.t_ns += out->start_ns - m->start_ns;
                run->timeline[run->ntimeline++] = s;
        }
}

static void fail_point(struct ab_point_res *p, const struct ab_outcome *out)
{
        p->status = out->status;
        p->exit_code = out->exit_code;
        p->signal = out->signal;
        if (out->have_error)
                snprintf(p->error, sizeof p->error, "%s", out->error.msg);
        else if (out->status == AB_ST_TIMEOUT)
                snprintf(p->error, sizeof p->error, "killed after the --timeout");
        else if (out->signal)
                snprintf(p->error, sizeof p->error, "killed by signal %d (%s)", out->signal,
                         strsignal(out->signal));
        else
                snprintf(p->error, sizeof p->error, "exited with code %d", out->exit_code);
}

static void take_rep(struct ab_point_res *p, const struct ab_outcome *out)
{
        const struct ab_rec_point *r = &out->point;
        double ops = r->ops ? (double)r->ops : 1;
        struct ab_rep *rep = &p->reps[p->nreps++];
        rep->ops = r->ops;
        rep->op_hash = r->op_hash;
        rep->ns_per_op = (double)r->elapsed_ns / ops;
        rep->user_ns_per_op = (double)r->user_ns / ops;
        rep->sys_ns_per_op = (double)r->sys_ns / ops;
        rep->minflt_per_op = (double)r->minflt / ops;
        rep->majflt_per_op = (double)r->majflt / ops;
        rep->rss_kib = r->rss_kib;
        rep->vsz_kib = r->vsz_kib;
        rep->pte_kib = r->pte_kib;
        rep->hwm_kib = r->hwm_kib;
        rep->instructions = r->instructions;
        p->ops = r->ops;
}

/* Cost per op of `iters` ops of (job, point) under every allocator: the slowest. */
static int probe(struct matrix *m, size_t job, size_t point, uint64_t iters, double *worst)
{
        *worst = 0;
        for (size_t a = 0; a < m->o->nallocs && !m->interrupted; a++) {
                size_t ri = job * m->o->nallocs + a;
                struct ab_outcome out;
                progress(m, &m->runs[ri], point, "probe");
                if (one_child(m, ri, point, iters, &out))
                        return -1;
                take_info(&m->runs[ri], &out);
                if (out.status == AB_ST_OK && out.have_point && out.point.ops) {
                        double ns = (double)out.point.elapsed_ns / (double)out.point.ops;
                        if (ns > *worst)
                                *worst = ns;
                }
                ab_outcome_free(&out);
        }
        return 0;
}

/* iterations=auto, like hyperfine: short probes under every allocator at
 * this point, and the slowest decides, so every allocator runs the same
 * operation stream (and op_hash) and a pathological one cannot stretch the
 * run. A first probe of one op bounds the cost; when that predicts many ops,
 * a second probe of about 1/16 of the budget measures them without the
 * one-op clock and cache noise. The count is rounded down to a power of two
 * so small timing noise rarely changes it between runs. */
static int resolve_auto(struct matrix *m, size_t job, size_t point, uint64_t *iters)
{
        const struct ab_job *j = m->runs[job * m->o->nallocs].job;
        int ii = ab_param_index(j->w, "iterations"), bi = ab_param_index(j->w, "budget_ms");
        double worst, budget, want;
        uint64_t n = 1, k = 1, max;
        *iters = 0;
        if (ii < 0 || j->v[ii] != AB_AUTO)
                return 0;
        max = j->w->params[ii].max;
        budget = (double)(bi >= 0 ? j->v[bi] : 20) * 1e6;
        for (int stage = 0; stage < 2; stage++) {
                if (probe(m, job, point, k, &worst))
                        return -1;
                if (worst <= 0)
                        break;
                want = budget / worst;
                n = 1;
                while (n * 2 <= want && n * 2 <= max)
                        n *= 2;
                if (n < 256)
                        break; /* few ops: the one-op probe was long enough to trust */
                k = n / 16;
        }
        *iters = n;
        return 0;
}

static int run_point(struct matrix *m, size_t job, size_t point)
{
        size_t na = m->o->nallocs;
        uint64_t iters = 0;
        if (resolve_auto(m, job, point, &iters))
                return -1;
        for (unsigned rep = 0; rep < m->o->reps && !m->interrupted; rep++) {
                for (size_t a = 0; a < na && !m->interrupted; a++) {
                        size_t ri = job * na + a;
                        struct ab_run_res *run = &m->runs[ri];
                        struct ab_point_res *p = &run->points[point];
                        struct ab_outcome out;
                        char what[32];
                        m->done++;
                        if (p->status != AB_ST_OK)
                                continue; /* failed before: the rest would fail alike */
                        snprintf(what, sizeof what, "rep %u/%u", rep + 1, m->o->reps);
                        progress(m, run, point, what);
                        if (one_child(m, ri, point, iters, &out))
                                return -1;
                        if (out.interrupted) {
                                ab_outcome_free(&out);
                                break;
                        }
                        take_info(run, &out);
                        take_timeline(m, run, &out);
                        if (out.status == AB_ST_OK && out.have_point) {
                                take_rep(p, &out);
                        } else {
                                fail_point(p, &out);
                                if (p->status == AB_ST_OK) /* exited 0 with no result */
                                        p->status = AB_ST_CRASHED;
                        }
                        ab_outcome_free(&out);
                }
        }
        return 0;
}

/* Before the matrix: start each allocator once to prove it loads and serves
 * malloc. A library that does not is bad input, refused before any result. */
static int preflight(struct matrix *m)
{
        for (size_t a = 0; a < m->o->nallocs; a++) {
                const struct ab_alloc *al = &m->o->allocs[a];
                char vq[32], expect[PATH_MAX + 16];
                char *av[] = {(char *)runner_path, "info", vq, expect, NULL};
                struct ab_spawn s = {.argv = av, .envp = m->envs[a], .records = true};
                struct ab_outcome out;
                snprintf(vq, sizeof vq, "--vq=%d", (int)al->vq);
                snprintf(expect, sizeof expect, "--expect=%s", al->library);
                if (!al->library[0])
                        av[3] = NULL;
                if (ab_spawn_run(&s, &out)) {
                        fprintf(stderr, "bench: %s\n", out.exec_error);
                        return AB_BAD_INPUT;
                }
                if (out.status != AB_ST_OK || !out.have_info) {
                        fprintf(stderr,
                                "bench: --alloc=%s: %s cannot serve as an allocator: %s "
                                "(accepted: a shared library that defines malloc, calloc, "
                                "realloc and free)\n",
                                al->name, al->library[0] ? al->library : "the system allocator",
                                out.have_error ? out.error.msg
                                : out.signal   ? strsignal(out.signal)
                                               : "the runner failed to start with it");
                        ab_outcome_free(&out);
                        return AB_BAD_INPUT;
                }
                for (size_t j = 0; j < m->o->njobs; j++)
                        take_info(&m->runs[j * m->o->nallocs + a], &out);
                ab_outcome_free(&out);
        }
        return 0;
}

static void finish_runs(struct matrix *m, size_t nruns)
{
        for (size_t r = 0; r < nruns; r++) {
                struct ab_run_res *run = &m->runs[r];
                uint64_t h = AB_HASH_INIT;
                run->status = AB_ST_OK;
                for (size_t p = 0; p < run->job->npoints; p++) {
                        struct ab_point_res *pt = &run->points[p];
                        if (pt->status != AB_ST_OK && run->status == AB_ST_OK)
                                run->status = pt->status;
                        h = ab_hash_u64(h, pt->nreps ? pt->reps[0].op_hash : 0);
                }
                run->op_hash = h;
        }
}

static int write_and_print(struct matrix *m, size_t nruns)
{
        json_t *doc = ab_results_build(m->o, m->runs, nruns, ab_host_json(), m->interrupted);
        char *text, err[512];
        int r = 0;
        if (!doc)
                return -ENOMEM;
        text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        if (!text) {
                json_decref(doc);
                return -ENOMEM;
        }
        if (ab_write_atomic(m->o->out, text, strlen(text), err, sizeof err)) {
                fprintf(stderr, "bench: %s\n", err);
                r = -EIO;
        }
        switch (m->o->format) {
        case AB_FMT_JSON:
                fputs(text, stdout);
                fputc('\n', stdout);
                break;
        case AB_FMT_CSV:
                ab_csv_print(stdout, doc);
                break;
        default:
                ab_table_print(stdout, m->o, m->runs, nruns);
                break;
        }
        if (!r)
                fprintf(stderr, "results: %s\n", m->o->out);
        free(text);
        json_decref(doc);
        return r;
}

int ab_cmd_run(int argc, char **argv)
{
        struct ab_opts o = {0};
        struct matrix m = {0};
        size_t nruns;
        int r;

        o.argc = ab_argc;
        o.argv = ab_argv;
        if (getenv(ab_prim_preload_var()) && *getenv(ab_prim_preload_var())) {
                fprintf(stderr,
                        "bench: %s is set in the harness's environment; the harness must not be "
                        "preloaded (unset it and pass the library with --alloc=PATH)\n",
                        ab_prim_preload_var());
                return AB_BAD_INPUT;
        }
        if (ab_find_runner(argv[0]))
                return AB_BAD_INPUT;
        r = parse_opts(argc, argv, &o);
        if (r)
                return r < 0 ? AB_OK : r;
        if (!o.out)
                o.out = default_output();

        nruns = o.nallocs * o.njobs;
        m.o = &o;
        m.runs = calloc(nruns, sizeof *m.runs);
        m.envs = calloc(o.nallocs, sizeof *m.envs);
        if (!m.runs || !m.envs)
                return AB_BAD_INPUT;
        for (size_t a = 0; a < o.nallocs; a++)
                if (!(m.envs[a] = ab_env_build(o.allocs[a].library, o.env, o.nenv)))
                        return AB_BAD_INPUT;
        for (size_t j = 0; j < o.njobs; j++) {
                for (size_t a = 0; a < o.nallocs; a++) {
                        struct ab_run_res *run = &m.runs[j * o.nallocs + a];
                        run->alloc = &o.allocs[a];
                        run->job = &o.jobs[j];
                        run->runner_rss_kib = AB_UNKNOWN;
                        run->points = calloc(o.jobs[j].npoints, sizeof *run->points);
                        if (!run->points)
                                return AB_BAD_INPUT;
                        for (size_t p = 0; p < o.jobs[j].npoints; p++) {
                                run->points[p].value = ab_job_point_value(&o.jobs[j], p);
                                run->points[p].reps = calloc(o.reps, sizeof(struct ab_rep));
                                if (!run->points[p].reps)
                                        return AB_BAD_INPUT;
                        }
                }
                m.total += o.jobs[j].npoints * o.reps * o.nallocs;
        }
        m.tty = !o.quiet && isatty(STDERR_FILENO);
        if (ab_spawn_init() || (r = preflight(&m)))
                return r ? r : AB_BAD_INPUT;

        m.start_ns = ab_prim_now_ns();
        for (size_t j = 0; j < o.njobs && !m.interrupted; j++)
                for (size_t p = 0; p < o.jobs[j].npoints && !m.interrupted; p++)
                        if (run_point(&m, j, p))
                                return AB_RUN_FAILED;
        if (m.tty)
                fprintf(stderr, "\r\033[K");
        if (ab_spawn_interrupted())
                m.interrupted = true;
        finish_runs(&m, nruns);
        if (write_and_print(&m, nruns))
                return AB_RUN_FAILED;
        if (m.interrupted) {
                fprintf(stderr, "bench: interrupted; the results file holds what was measured\n");
                return 130;
        }
        for (size_t i = 0; i < nruns; i++)
                if (m.runs[i].status != AB_ST_OK)
                        return AB_RUN_FAILED;
        return AB_OK;
}
