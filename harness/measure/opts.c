/*
 * opts.c - the options of `bench run`: parsed, validated and resolved into
 * struct ab_opts before anything runs, so bad input is refused with a
 * message naming the option and its accepted form, and nothing is written.
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

#include "measure/bench.h"
#include "measure/job.h"
#include "core/parse.h"
#include "measure/place.h"
#include "prim/prim.h"

#define MAX_REPS AB_MAX_REPS

int ab_argc;
char **ab_argv;

static void run_usage(FILE *f)
{
        fprintf(f,
                "usage: bench [run] --alloc=A[,B..] --workload=W[,X..] [options] [-- PROGRAM ARGS]\n"
                "\n"
                "Runs every workload against every allocator, one fresh process per\n"
                "repetition, prints a summary and writes a JSON results file.\n"
                "\n"
                "  --alloc=LIST        glibc, jemalloc, tcmalloc, mimalloc, all, or a path to a\n"
                "                      malloc-replacing .so (default: glibc)\n"
                "  --workload=LIST     workload names or job files (see `bench list`); cmd\n"
                "                      measures the PROGRAM after --\n"
                "  --set KEY=VALUE     override a workload parameter (repeatable); sizes take\n"
                "                      4k, 16MiB, 1GiB; lists a,b,c or 4KiB..1GiB*2\n"
                "  --reps N            fixed repetitions per point, 1..%d (default: adaptive,\n"
                "                      see --precision)\n"
                "  --precision P       repeat each allocator's point until the 95%% CI of its\n"
                "                      median is within P of it (5%% or 0.05; default 5%%)\n"
                "  --max-reps N        most repetitions per point when adaptive (default 30)\n"
                "  --point-budget SEC  wall time each allocator may spend on a point beyond its\n"
                "                      first 6 repetitions to reach --precision (default 1)\n"
                "  --seed N            seed of the operation stream (default 1)\n"
                "  --threads N         threads of threaded workloads (same as --set threads=N)\n"
                "  --env KEY=VALUE     environment of the workload process only (repeatable)\n"
                "  --wrap 'CMD ARGS'   run the workload process under a launcher (qemu-x86_64,\n"
                "                      'valgrind --tool=none', 'taskset -c 1'); no shell\n"
                "  --numa POLICY       memory policy of the workload process: local, node:N,\n"
                "                      interleave\n"
                "  --timeout SEC       kill a repetition after SEC seconds (status timeout)\n"
                "  --mem-limit SIZE    address-space limit of the workload process (status oom)\n"
                "  --cpus LIST         bind the workload process to these CPUs (0-3,5)\n"
                "  --sample-ms N       RSS/VSZ timeline interval, 0 = off (default 10)\n"
                "  -o, --output FILE   results file (default results/<UTC time>-<host>.json)\n"
                "  --format FMT        stdout: table (default), json or csv\n"
                "  --fail-on LEVEL     exit 2 when a flag of LEVEL (warn or high) or worse is raised\n"
                "  --count WHAT        instructions per op: 'instructions' (hardware counter around\n"
                "                      the region, where the machine has one) or 'callgrind' (exact,\n"
                "                      a separate pass under valgrind; timings stay native)\n"
                "  --syscalls          mmap/munmap/mprotect/madvise/brk/mremap per op, from a\n"
                "                      separate pass under strace\n"
                "  -q, --quiet         no progress line\n"
                "  -h, --help          this text\n"
                "\n"
                "Exit: 0 ok, 1 bad input, 2 flags at --fail-on, 4 a run crashed, timed out or ran\n"
                "out of memory, 130 interrupted.\n",
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
        if (o->nallocs >= AB_MAX_ALLOCS) {
                fprintf(stderr, "bench: --alloc: more than %d allocators (accepted: up to %d)\n",
                        AB_MAX_ALLOCS, AB_MAX_ALLOCS);
                return -1;
        }
        n = realloc(o->allocs, (o->nallocs + 1) * sizeof *n);
        if (!n)
                return -1;
        o->allocs = n;
        o->allocs[o->nallocs++] = a;
        return 0;
}


static bool is_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ab_jobdir(char *out, size_t len)
{
        char dir[PATH_MAX - 64];
        struct stat st;
        if (ab_prim_exe_dir(ab_argv[0], dir, sizeof dir))
                return -ENOENT;
        /* ./bench in the source tree, or a bench built one level below it */
        snprintf(out, len, "%s/workloads", dir);
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
                return 0;
        snprintf(out, len, "%s/../workloads", dir);
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
                return 0;
        return -ENOENT;
}

/* The names a user can give --workload, for messages. */
static void workload_names(char *buf, size_t len)
{
        size_t off = 0;
        buf[0] = '\0';
        for (size_t i = 0; ab_workloads[i] && off < len; i++)
                off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
                                        ab_workloads[i]->name);
        if (off < len)
                snprintf(buf + off, len - off, ", a job file in workloads/, or a path to a .ini");
}

/* --workload=X: a path to a job file; else workloads/X.ini next to bench;
 * else the built-in kernel X with its defaults. */
static int add_job(struct ab_opts *o, const char *name)
{
        char err[1024], path[PATH_MAX], dir[PATH_MAX - 64];
        const struct ab_workload *w;
        struct ab_job *n = realloc(o->jobs, (o->njobs + 1) * sizeof *n);
        struct ab_job *j;
        if (!n)
                return -1;
        o->jobs = n;
        j = &o->jobs[o->njobs];
        path[0] = '\0';
        if (strchr(name, '/') || strstr(name, ".ini")) {
                snprintf(path, sizeof path, "%s", name);
                if (!is_file(path)) {
                        fprintf(stderr, "bench: --workload: no job file %s\n", path);
                        return -1;
                }
        } else if (ab_jobdir(dir, sizeof dir) == 0) {
                snprintf(path, sizeof path, "%s/%s.ini", dir, name);
                if (!is_file(path))
                        path[0] = '\0';
        }
        if (path[0]) {
                const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
                size_t blen = strlen(base);
                if (blen > 4 && strcmp(base + blen - 4, ".ini") == 0)
                        blen -= 4;
                snprintf(dir, sizeof dir, "%.*s", (int)blen, base);
                if (ab_jobfile_load(path, dir, j, err, sizeof err)) {
                        fprintf(stderr, "bench: --workload: %s\n", err);
                        return -1;
                }
                o->njobs++;
                return 0;
        }
        w = ab_workload_find(name);
        if (!w) {
                workload_names(err, sizeof err);
                fprintf(stderr, "bench: --workload: unknown workload '%s' (accepted: %s)\n", name,
                        err);
                return -1;
        }
        if (ab_job_init(j, w, name, err, sizeof err)) {
                fprintf(stderr, "bench: workload %s: %s\n", name, err);
                return -1;
        }
        o->njobs++;
        return 0;
}

/* --wrap 'CMD ARGS': words split on blanks (quotes group words), never a shell. */
static int split_wrap(struct ab_opts *o, const char *text)
{
        size_t n = 0;
        char **av = calloc(strlen(text) / 2 + 2, sizeof *av);
        const char *p = text;
        char resolved[PATH_MAX];
        if (!av)
                return AB_BAD_INPUT;
        while (*p) {
                char word[4096];
                size_t k = 0;
                char q = 0;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                while (*p && (q || (*p != ' ' && *p != '\t')) && k + 1 < sizeof word) {
                        if (!q && (*p == '\'' || *p == '"'))
                                q = *p;
                        else if (q && *p == q)
                                q = 0;
                        else
                                word[k++] = *p;
                        p++;
                }
                if (q)
                        return bad("--wrap '%s': unbalanced quote (accepted: 'CMD ARGS', words "
                                   "split on blanks, quotes group them)",
                                   text);
                word[k] = '\0';
                av[n++] = strdup(word);
        }
        if (n == 0)
                return bad("--wrap is empty (accepted: a launcher such as 'valgrind --tool=none' "
                           "or qemu-x86_64)");
        if (ab_which(av[0], resolved, sizeof resolved))
                return bad("--wrap: %s not found in PATH (qemu-x86_64 is in the Debian package "
                           "qemu-user, valgrind in valgrind)",
                           av[0]);
        free(av[0]);
        av[0] = strdup(resolved);
        o->wrap = (char *)text;
        o->wrap_argv = av;
        o->wrap_argc = n;
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
                return bad("--set/--threads: no selected workload has a parameter '%s' (see bench "
                           "list)",
                           key);
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

/* "5%" or "0.05": a fraction in (0, 1). */
static int parse_fraction(const char *s, double *out)
{
        char *end;
        double v;
        errno = 0;
        v = strtod(s, &end);
        if (end == s || errno)
                return -EINVAL;
        if (*end == '%') {
                v /= 100;
                end++;
        }
        if (*end || !(v > 0 && v < 1))
                return -EINVAL;
        *out = v;
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

char *ab_default_output(void)
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
        OPT_THREADS,
        OPT_WRAP,
        OPT_NUMA,
        OPT_FAILON,
        OPT_COUNT,
        OPT_SYSCALLS,
        OPT_PRECISION,
        OPT_MAXREPS,
        OPT_POINTBUDGET,
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
        {"threads", required_argument, NULL, OPT_THREADS},
        {"wrap", required_argument, NULL, OPT_WRAP},
        {"numa", required_argument, NULL, OPT_NUMA},
        {"fail-on", required_argument, NULL, OPT_FAILON},
        {"count", required_argument, NULL, OPT_COUNT},
        {"syscalls", no_argument, NULL, OPT_SYSCALLS},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"max-reps", required_argument, NULL, OPT_MAXREPS},
        {"point-budget", required_argument, NULL, OPT_POINTBUDGET},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/* Parse the command line into o. Returns 0, or an exit code (help: -1). */
int ab_opts_parse(int argc, char **argv, struct ab_opts *o)
{
        const char *allocs = "glibc", *workloads = NULL, *threads = NULL;
        char **sets = calloc((size_t)argc + 1, sizeof *sets);
        size_t nsets = 0;
        uint64_t u;
        int c, r;
        char err[512];

        if (!sets)
                return AB_BAD_INPUT;
        o->env = calloc((size_t)argc + 1, sizeof *o->env);
        if (!o->env)
                return AB_BAD_INPUT;
        o->reps = 6;
        o->adaptive = true;
        o->precision = 0.05;
        o->max_reps = 30;
        o->point_budget_s = 1;
        o->fail_on = -1;
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
                        o->adaptive = false;
                        break;
                case OPT_PRECISION:
                        if (parse_fraction(optarg, &o->precision))
                                return bad("--precision '%s': expected a relative width such as "
                                           "5%% or 0.05, above 0 and below 100%%",
                                           optarg);
                        break;
                case OPT_MAXREPS:
                        if ((r = parse_uint("--max-reps", optarg, 6, MAX_REPS, &u)))
                                return r;
                        o->max_reps = (unsigned)u;
                        break;
                case OPT_POINTBUDGET:
                        if ((r = parse_uint("--point-budget", optarg, 0, 86400, &u)))
                                return r;
                        o->point_budget_s = (double)u;
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
                        if (ab_place_cpus_check(optarg, err, sizeof err)) {
                                fprintf(stderr, "bench: %s\n", err);
                                return AB_BAD_INPUT;
                        }
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
                case OPT_FAILON:
                        if (strcmp(optarg, "warn") == 0)
                                o->fail_on = 1;
                        else if (strcmp(optarg, "high") == 0)
                                o->fail_on = 2;
                        else
                                return bad("--fail-on '%s': expected warn or high", optarg);
                        break;
                case OPT_COUNT:
                        if (strcmp(optarg, "instructions") == 0)
                                o->count = AB_COUNT_HW;
                        else if (strcmp(optarg, "callgrind") == 0)
                                o->count = AB_COUNT_CALLGRIND;
                        else
                                return bad("--count '%s': expected instructions or callgrind",
                                           optarg);
                        break;
                case OPT_SYSCALLS:
                        o->syscalls = true;
                        break;
                case OPT_THREADS:
                        threads = optarg;
                        break;
                case OPT_WRAP:
                        if ((r = split_wrap(o, optarg)))
                                return r;
                        break;
                case OPT_NUMA:
                        if (ab_place_numa_check(optarg, err, sizeof err)) {
                                fprintf(stderr, "bench: %s\n", err);
                                return AB_BAD_INPUT;
                        }
                        o->numa = optarg;
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
                return bad("unexpected argument '%s' (a program to measure goes after --, with "
                           "--workload=cmd)",
                           argv[optind]);
        if (optind < argc) {
                o->cmd_argv = argv + optind;
                o->cmd_argc = argc - optind;
        }
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
        if (o->count == AB_COUNT_CALLGRIND && o->wrap)
                return bad("--count callgrind runs its pass under valgrind itself; it cannot be "
                           "combined with --wrap");
        if (threads) {
                char kv[64];
                if ((r = parse_uint("--threads", threads, 1, 1024, &u)))
                        return r;
                snprintf(kv, sizeof kv, "threads=%llu", (unsigned long long)u);
                sets[nsets++] = strdup(kv);
        }
        for (size_t i = 0; i < nsets; i++)
                if ((r = apply_set(o, sets[i])))
                        return r;
        free(sets);
        for (size_t i = 0; i < o->njobs; i++) {
                bool is_cmd = o->jobs[i].w->run == NULL;
                char prog[PATH_MAX];
                if (is_cmd && !o->cmd_argv)
                        return bad("--workload=cmd needs a program after -- (e.g. bench "
                                   "--alloc=jemalloc --workload=cmd -- python3 -c 'pass')");
                if (is_cmd && ab_which(o->cmd_argv[0], prog, sizeof prog))
                        return bad("--workload=cmd: program %s not found (accepted: a path or a "
                                   "name in PATH)",
                                   o->cmd_argv[0]);
                if (is_cmd)
                        o->cmd_argv[0] = strdup(prog);
        }
        if (o->cmd_argv) {
                bool any = false;
                for (size_t i = 0; i < o->njobs; i++)
                        any |= o->jobs[i].w->run == NULL;
                if (!any)
                        return bad("a program after -- is measured only with --workload=cmd");
        }

        for (size_t i = 0; i < o->njobs; i++) {
                const struct ab_job *j = &o->jobs[i];
                if (j->w->check && j->w->check(j->v, err, sizeof err)) {
                        fprintf(stderr, "bench: workload %s: %s\n", j->name, err);
                        return AB_BAD_INPUT;
                }
        }
        if (o->out && (r = check_output(o->out)))
                return r;
        return 0;
}

