/*
 * resolve.c - what `bench run`'s command line names, made real on this
 * machine: the allocators (built-in names, all, or a library path), the
 * workloads (job files or kernels, with --set applied), the launcher of
 * --wrap, the program of cmd, the results file. Options were read and their
 * values checked by opts.c; here their meaning is checked.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/parse.h"
#include "measure/bench.h"
#include "measure/job.h"
#include "measure/matrix.h" /* ab_wrap_is_qemu */
#include "measure/opts.h"
#include "measure/program.h"
#include "prim/prim.h"

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
                        if (ab_backends[i].runner && (o->trace != AB_TRACE_OFF || o->record ||
                                                      o->cmd_argv)) {
                                fprintf(stderr,
                                        "bench: note: --alloc=all skips %s (its runner is "
                                        "static: nothing can be preloaded into it, %s)\n",
                                        ab_backends[i].name,
                                        o->cmd_argv ? "and a program brings its own C library"
                                                    : "the tracer included");
                                continue;
                        }
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
                if (!ab_is_regular(path)) {
                        struct stat st;
                        fprintf(stderr, "bench: --workload: %s %s (accepted: an INI job file)\n",
                                path,
                                stat(path, &st) == 0 ? "is not a regular file" : "does not exist");
                        return -1;
                }
        } else if (ab_jobdir(dir, sizeof dir) == 0) {
                snprintf(path, sizeof path, "%s/%s.ini", dir, name);
                if (!ab_is_regular(path))
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
                        ab_job_free(j); /* not counted in njobs: ab_opts_free misses it */
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
                ab_job_free(j);
                return -1;
        }
        o->njobs++;
        return 0;
}

/* One launcher's words (text, an item of the list `whole`): split on
 * blanks (quotes group them), never a shell; the first found in PATH. "none"
 * is no launcher. 0 or an exit code. */
static int split_launcher(const char *text, const char *whole, struct ab_wrap *w)
{
        size_t n = 0;
        char **av = calloc(strlen(text) / 2 + 2, sizeof *av);
        const char *p = text;
        char resolved[PATH_MAX];
        /* w owns av from here, on error too: ab_opts_free frees its words */
        w->argv = av;
        if (!av || !(w->text = strdup(text)))
                return AB_BAD_INPUT;
        w->argc = 0;
        if (strcmp(text, "none") == 0)
                return 0;
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
                        return ab_bad("",
                                      "--wrap '%s': unbalanced quote (accepted: 'CMD ARGS', "
                                      "words split on blanks, quotes group them)",
                                      text);
                word[k] = '\0';
                av[n++] = strdup(word);
        }
        if (n == 0)
                return ab_bad("", "--wrap is empty (accepted: a launcher such as 'valgrind "
                                  "--tool=none' or qemu-x86_64, or a list of them with none for "
                                  "natively)");
        if (ab_which(av[0], resolved, sizeof resolved))
                return ab_bad("",
                              "--wrap: %s not found in PATH (qemu-x86_64 is in the Debian "
                              "package qemu-user, valgrind in valgrind)%s",
                              av[0],
                              strchr(whole, ',') ? "; a comma separates launchers: quote a "
                                                   "word that holds one, as in --wrap "
                                                   "\"taskset -c '0,1'\""
                                                 : "");
        free(av[0]);
        av[0] = strdup(resolved);
        w->argc = n;
        return 0;
}

/* --wrap LIST: launchers separated by commas outside quotes ("none" runs
 * natively), e.g. none,qemu-x86_64 or 'valgrind --tool=none'. */
static int resolve_wrap(struct ab_opts *o, const char *text)
{
        const char *p = text;
        int r;
        o->wraps = calloc(strlen(text) + 1, sizeof *o->wraps);
        if (!o->wraps)
                return AB_BAD_INPUT;
        for (;;) {
                char item[4096];
                size_t k = 0;
                char q = 0;
                while (*p && (q || *p != ',') && k + 1 < sizeof item) {
                        if (!q && (*p == '\'' || *p == '"'))
                                q = *p;
                        else if (q && *p == q)
                                q = 0;
                        item[k++] = *p++;
                }
                item[k] = '\0';
                for (size_t i = 0; i < o->nwraps; i++)
                        if (strcmp(o->wraps[i].text, item) == 0)
                                return ab_bad("", "--wrap '%s': %s is named twice", text, item);
                if ((r = split_launcher(item, text, &o->wraps[o->nwraps++])))
                        return r;
                if (!*p)
                        break;
                p++;
        }
        for (size_t i = 0; i < o->nwraps && !o->wrap; i++) {
                if (!o->wraps[i].argc)
                        continue;
                o->wrap = o->wraps[i].text;
                o->wrap_argv = o->wraps[i].argv;
                o->wrap_argc = o->wraps[i].argc;
        }
        return 0;
}

/* Every allocator under every launcher of --wrap: allocs[] becomes
 * allocator x launcher, launcher-major (natively first where asked). */
static int expand_wraps(struct ab_opts *o)
{
        struct ab_alloc *v;
        size_t n = o->nallocs * (o->nwraps ? o->nwraps : 1);
        if (!o->nwraps)
                return 0;
        if (n > AB_MAX_ALLOCS)
                return ab_bad("", "--alloc x --wrap: %zu runs per workload (accepted: up to %d)", n,
                              AB_MAX_ALLOCS);
        if (!(v = calloc(n, sizeof *v)))
                return AB_BAD_INPUT;
        for (size_t w = 0; w < o->nwraps; w++)
                for (size_t a = 0; a < o->nallocs; a++) {
                        v[w * o->nallocs + a] = o->allocs[a];
                        v[w * o->nallocs + a].wrap = o->wraps[w].argc ? w + 1 : 0;
                }
        free(o->allocs);
        o->allocs = v;
        o->nallocs = n;
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
                return ab_bad("", "--set '%s': expected KEY=VALUE", kv);
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
                return ab_bad(
                    "",
                    "--set/--threads: no selected workload has a parameter '%s' (see bench "
                    "list)",
                    key);
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
        snprintf(path, sizeof path, "results/%s-%s.json", stamp, host);
        return path;
}

/* Every item of a comma list through fn; a list with no item (",,", "") is
 * refused by name. */
static int each_named(struct ab_opts *o, const char *opt, const char *list,
                      int (*fn)(struct ab_opts *, const char *))
{
        bool any = false;
        for (const char *p = list; *p; p++)
                any |= *p != ',';
        if (!any)
                return ab_bad("",
                              "--%s '%s': names nothing (accepted: a comma-separated list "
                              "of names)",
                              opt, list);
        return each_item(o, list, fn) ? AB_BAD_INPUT : 0;
}

/* A preloaded allocator cannot apply to a static or a secure program:
 * measuring it "under jemalloc" would measure glibc's malloc and say
 * otherwise. The system allocator preloads nothing and always applies. */
static int check_preloadable(const struct ab_opts *o, const char *prog)
{
        char what[PATH_MAX];
        enum ab_prog_kind k = ab_program_kind(prog, what, sizeof what);
        if (k != AB_PROG_STATIC && k != AB_PROG_SECURE)
                return 0;
        for (size_t a = 0; a < o->nallocs; a++) {
                if (!o->allocs[a].library[0])
                        continue;
                return ab_bad("",
                              "--alloc=%s --workload=cmd: %s %s, so the dynamic linker "
                              "will not preload %s into it (accepted: a dynamically linked "
                              "program, or --alloc=glibc, which preloads nothing)",
                              o->allocs[a].name, what,
                              k == AB_PROG_STATIC ? "is statically linked"
                                                  : "is setuid or setgid for another user",
                              o->allocs[a].library);
        }
        return 0;
}

/* An allocator that comes with a runner of its own (musl) measures its
 * malloc in that runner, a static program: a program (cmd) brings its own C
 * library, which nothing can replace with musl's. */
static int check_own_runner(const struct ab_opts *o)
{
        for (size_t a = 0; a < o->nallocs; a++)
                if (o->allocs[a].runner[0])
                        return ab_bad("",
                                      "--alloc=%s --workload=cmd: %s's allocator is measured in "
                                      "allocbench's static runner %s, and a program brings its "
                                      "own C library: nothing can be preloaded to make it use "
                                      "%s's malloc (accepted: the kernels with --alloc=%s; a "
                                      "program linked against %s runs with its own malloc under "
                                      "--alloc=glibc, which preloads nothing)",
                                      o->allocs[a].name, o->allocs[a].name, o->allocs[a].runner,
                                      o->allocs[a].name, o->allocs[a].name, o->allocs[a].name);
        return 0;
}

/* cmd's program: found in PATH, and measured only by cmd. */
static int resolve_program(struct ab_opts *o)
{
        char prog[PATH_MAX];
        bool any = false;
        for (size_t i = 0; i < o->njobs; i++) {
                bool is_cmd = o->jobs[i].w->kind == AB_WK_PROGRAM;
                any |= is_cmd;
                if (is_cmd && !o->cmd_argv)
                        return ab_bad("", "--workload=cmd needs a program after -- (e.g. bench "
                                          "--alloc=jemalloc --workload=cmd -- python3 -c 'pass')");
        }
        if (o->cmd_argv && !any)
                return ab_bad("", "a program after -- is measured only with --workload=cmd");
        if (!any)
                return 0;
        if (ab_which(o->cmd_argv[0], prog, sizeof prog))
                return ab_bad("",
                              "--workload=cmd: program %s not found (accepted: a path or a "
                              "name in PATH)",
                              o->cmd_argv[0]);
        if (!(o->cmd_prog = strdup(prog)))
                return AB_BAD_INPUT;
        o->cmd_argv[0] = o->cmd_prog;
        return check_own_runner(o) ? AB_BAD_INPUT : check_preloadable(o, prog);
}

static void defaults(struct ab_opts *o)
{
        o->reps = 6;
        o->adaptive = true;
        o->precision = 0.05;
        o->max_reps = 30;
        o->point_budget_s = 1;
        o->fail_on = -1;
        o->seed = 1;
        o->sample_ms = 10;
        o->trace_depth = 32;
        o->trace_sites = 16;
}

/* The verdicts file: --verdicts FILE must be there; the default one is
 * read when it is. A malformed one is refused before anything runs. */
static int load_verdicts(struct ab_opts *o, const struct ab_cli *c)
{
        char err[1024];
        int r;
        if (!c->verdicts_given) {
                if (access(AB_VERDICTS_DEFAULT, F_OK) != 0)
                        return 0;
                o->verdicts_path = AB_VERDICTS_DEFAULT;
        }
        r = ab_verdicts_load(o->verdicts_path, &o->verdicts, err, sizeof err);
        if (r == -ENOENT)
                return ab_bad("", "--verdicts %s: no such file (bench verdicts set makes one)",
                              o->verdicts_path);
        if (r)
                return ab_bad("", "--verdicts: %s", err);
        return 0;
}

/* --record FILE: traced (exactly: a record holds every event), into a
 * directory that takes the file. */
static int resolve_record(struct ab_opts *o)
{
        struct ab_target t;
        if (o->trace_sample)
                return ab_bad("", "--record keeps every allocation, --trace-sample samples them: "
                                  "give one of the two");
        if (o->trace == AB_TRACE_OFF)
                o->trace = AB_TRACE_PROGRAM;
        if (!o->record[0])
                return ab_bad("", "--record needs a file name (accepted: --record FILE, or "
                                  "FILE.zst for a compressed record)");
        return ab_target_check(&t, "--record", o->record, false) ? AB_BAD_INPUT : 0;
}

/* The tracer is preloaded into the traced process: a static runner (musl's)
 * takes no preload, so its trace pass would silently see nothing. Under
 * --trace=launcher the emulator (dynamic) is traced, whatever it runs. */
static int check_traceable(const struct ab_opts *o)
{
        for (size_t a = 0; a < o->nallocs; a++) {
                const struct ab_alloc *al = &o->allocs[a];
                if (!al->runner[0] || (o->trace == AB_TRACE_LAUNCHER && ab_wrap_is_qemu(o, al)))
                        continue;
                return ab_bad("",
                              "%s needs a dynamically linked runner to preload the tracer into; "
                              "%s's is static (%s) (accepted: %s without --alloc=%s, or "
                              "--wrap qemu-x86_64 --trace=launcher, which traces the emulator "
                              "that runs it)",
                              o->record ? "--record" : "--trace", al->name, al->runner,
                              o->record ? "--record" : "--trace", al->name);
        }
        return 0;
}

/* --trace and its tuning: the tracer built, a launcher to trace for
 * =launcher (an emulator, which runs the workload inside its own process:
 * a launcher that execs the workload would pass the tracer on to it). */
static int resolve_trace(struct ab_opts *o, const struct ab_cli *c)
{
        bool emulated = false;
        int r;
        if (o->record && (r = resolve_record(o)))
                return r;
        if (c->trace_tuned && o->trace == AB_TRACE_OFF)
                return ab_bad("", "%s needs --trace", c->trace_tuned);
        if ((c->verdicts_given || o->nbudgets || o->fail_new_site) && o->trace == AB_TRACE_OFF)
                return ab_bad("", "%s needs --trace (verdicts and budgets are about allocation "
                                  "sites)",
                              c->verdicts_given ? "--verdicts"
                              : o->nbudgets     ? "--budget"
                                                : "--fail-on-new-site");
        if (o->trace == AB_TRACE_OFF)
                return 0;
        if ((r = check_traceable(o)) || (r = load_verdicts(o, c)))
                return r;
        if (access(ab_tracer_path(), R_OK) != 0)
                return ab_bad("", "--trace needs %s (run make)", ab_tracer_path());
        if (o->trace != AB_TRACE_LAUNCHER)
                return 0;
        for (size_t i = 0; i < o->nwraps; i++) {
                const char *w = o->wraps[i].argc ? o->wraps[i].argv[0] : NULL;
                const char *base = w && strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
                if (!w)
                        continue;
                if (strncmp(base, "qemu-", 5) != 0)
                        return ab_bad("", "--trace=launcher traces an emulator that runs the "
                                          "workload inside its own process (qemu-x86_64); %s "
                                          "starts the workload as a process of its own: use "
                                          "--trace",
                                      base);
                emulated = true;
        }
        if (!emulated)
                return ab_bad("", "--trace=launcher needs an emulator to trace (--wrap "
                                  "qemu-x86_64, or --wrap none,qemu-x86_64 for both sides)");
        return 0;
}

/* Everything after the options were read, into c->o. c->sets has room for
 * one more entry (--threads as a set). */
static int resolve(int argc, char **argv, struct ab_cli *c)
{
        struct ab_opts *o = c->o;
        char err[512], threads_kv[64];
        int r;

        defaults(o);
        if ((r = ab_opts_scan(argc, argv, c)))
                return r;
        if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
                return ab_bad("",
                              "unexpected argument '%s' (a program to measure goes after --, "
                              "with --workload=cmd)",
                              argv[optind]);
        if (optind < argc) {
                o->cmd_argv = argv + optind;
                o->cmd_argc = argc - optind;
        }
        if (c->wrap && (r = resolve_wrap(o, c->wrap)))
                return r;
        if (!c->workloads)
                return ab_bad("", "--workload is required (e.g. --workload=calloc-sweep; bench "
                                  "list shows them)");
        if ((r = each_named(o, "alloc", c->allocs, add_alloc)) || o->nallocs == 0)
                return r ? r : AB_BAD_INPUT;
        if ((r = expand_wraps(o)))
                return r;
        if ((r = each_named(o, "workload", c->workloads, add_job)) || o->njobs == 0)
                return r ? r : AB_BAD_INPUT;
        if ((r = resolve_trace(o, c)))
                return r;
        if (o->count == AB_COUNT_CALLGRIND && o->wrap)
                return ab_bad("", "--count callgrind runs its pass under valgrind itself; it "
                                  "cannot be combined with --wrap");
        if (c->threads) {
                /* applied below, while this frame lives: nothing to free */
                snprintf(threads_kv, sizeof threads_kv, "threads=%llu",
                         (unsigned long long)c->threads);
                c->sets[c->nsets++] = threads_kv;
        }
        for (size_t i = 0; i < c->nsets; i++)
                if ((r = apply_set(o, c->sets[i])))
                        return r;
        if ((r = resolve_program(o)))
                return r;
        for (size_t i = 0; i < o->njobs; i++) {
                const struct ab_job *j = &o->jobs[i];
                if (j->w->check && j->w->check(j->v, err, sizeof err)) {
                        ab_err("", "workload %s: %s", j->name, err);
                        return AB_BAD_INPUT;
                }
        }
        if (!o->out) {
                o->out = ab_default_output();
                return ab_target_check(&o->target, "-o", o->out, true);
        }
        return ab_target_check(&o->target, "-o", o->out, false);
}

int ab_opts_parse(int argc, char **argv, struct ab_opts *o)
{
        struct ab_cli c = {.o = o, .allocs = "glibc"};
        int r;

        c.sets = calloc((size_t)argc + 2, sizeof *c.sets);
        o->env = calloc((size_t)argc + 1, sizeof *o->env);
        r = c.sets && o->env ? resolve(argc, argv, &c) : AB_BAD_INPUT;
        free(c.sets); /* its entries are argv's words, or were resolve's */
        return r;
}

void ab_opts_free(struct ab_opts *o)
{
        for (size_t i = 0; i < o->njobs; i++)
                ab_job_free(&o->jobs[i]);
        free(o->jobs);
        free(o->allocs);
        free(o->env); /* its entries are argv's words */
        for (size_t i = 0; i < o->nwraps; i++) {
                /* argv is NULL-terminated (calloc'd with room to spare) */
                for (char **w = o->wraps[i].argv; w && *w; w++)
                        free(*w);
                free(o->wraps[i].argv);
                free(o->wraps[i].text);
        }
        free(o->wraps);
        free(o->cmd_prog);
        ab_verdicts_free(&o->verdicts); /* --verdicts, or ./allocbench.verdicts */
        o->jobs = NULL;
        o->allocs = NULL;
        o->env = NULL;
        o->wraps = NULL;
        o->cmd_prog = NULL;
        o->njobs = o->nallocs = o->nenv = o->nwraps = 0;
        o->wrap = NULL;
        o->wrap_argv = NULL;
        o->wrap_argc = 0;
}
