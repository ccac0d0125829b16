/*
 * opts.c - the options of `bench run`, as data: one table gives each
 * option's name, kind, accepted range or choices and help, and drives the
 * parsing, the checking of every value and the --help text alike, as
 * struct ab_param does for a workload's parameters. Values that need the
 * machine (allocators, job files, launchers) are resolved in resolve.c.
 * Everything is checked before anything runs: bad input is refused with a
 * message naming the option and its accepted form, and nothing is written.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/parse.h"
#include "measure/bench.h"
#include "measure/opts.h"
#include "measure/place.h"
#include "measure/shard.h"
#include "prim/prim.h"

enum kind {
        K_FLAG,     /* no value */
        K_UINT,     /* a whole number from min to max */
        K_SIZE,     /* a size from min to max (4096, 4k, 16MiB) */
        K_FRACTION, /* 5% or 0.05, above 0 and below 1 */
        K_CHOICE,   /* one of choices ("table|json|csv"): its index */
        K_OPTCHOICE, /* --name alone (the first choice) or --name=CHOICE */
        K_TEXT,     /* anything; the option's apply function checks it */
};

struct val {
        const char *text;
        uint64_t n; /* K_UINT, K_SIZE, K_CHOICE */
        double d;   /* K_FRACTION */
};

struct opt_def {
        const char *name; /* without the dashes */
        char letter;      /* its short form, or 0 */
        enum kind kind;
        const char *metavar;
        uint64_t min, max;
        const char *choices;
        int (*apply)(struct ab_cli *c, const struct val *v);
        const char *help;
};

/* ---- what each option does ------------------------------------------------------ */

#define OPTS(c) ((c)->o)

static int set_alloc(struct ab_cli *c, const struct val *v)
{
        c->allocs = v->text;
        return 0;
}
static int set_workload(struct ab_cli *c, const struct val *v)
{
        c->workloads = v->text;
        return 0;
}
static int add_set(struct ab_cli *c, const struct val *v)
{
        c->sets[c->nsets++] = v->text;
        return 0;
}
static int set_reps(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->reps = (unsigned)v->n;
        OPTS(c)->adaptive = false;
        return 0;
}
static int set_precision(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->precision = v->d;
        return 0;
}
static int set_max_reps(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->max_reps = (unsigned)v->n;
        return 0;
}
static int set_point_budget(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->point_budget_s = (double)v->n;
        return 0;
}
static int set_seed(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->seed = v->n;
        return 0;
}
static int set_threads(struct ab_cli *c, const struct val *v)
{
        c->threads = v->n;
        return 0;
}
static int add_env(struct ab_cli *c, const struct val *v)
{
        const char *pv = ab_prim_preload_var();
        if (!strchr(v->text, '=') || v->text[0] == '=')
                return ab_bad("", "--env '%s': expected KEY=VALUE", v->text);
        if (strncmp(v->text, pv, strlen(pv)) == 0 && v->text[strlen(pv)] == '=')
                return ab_bad("", "--env '%s': the preload variable is set by --alloc", v->text);
        OPTS(c)->env[OPTS(c)->nenv++] = (char *)v->text;
        return 0;
}
static int set_wrap(struct ab_cli *c, const struct val *v)
{
        c->wrap = v->text;
        return 0;
}
static int set_numa(struct ab_cli *c, const struct val *v)
{
        char err[256];
        if (ab_place_numa_check(v->text, err, sizeof err))
                return ab_bad("", "%s", err);
        OPTS(c)->numa = v->text;
        return 0;
}
static int set_timeout(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->timeout_ns = v->n * 1000000000ull;
        return 0;
}
static int set_mem_limit(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->mem_limit = v->n;
        return 0;
}
static int set_cpus(struct ab_cli *c, const struct val *v)
{
        char err[256];
        if (ab_place_cpus_check(v->text, err, sizeof err))
                return ab_bad("", "%s", err);
        OPTS(c)->cpus = v->text;
        return 0;
}
static int set_sample_ms(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->sample_ms = (unsigned)v->n;
        return 0;
}
static int set_output(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->out = v->text;
        return 0;
}
static int set_format(struct ab_cli *c, const struct val *v)
{
        static const enum ab_format f[] = {AB_FMT_TABLE, AB_FMT_JSON, AB_FMT_CSV};
        OPTS(c)->format = f[v->n];
        return 0;
}
static int set_fail_on(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->fail_on = (int)v->n + 1; /* warn 1, high 2: severity ranks */
        return 0;
}
static int set_count(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->count = v->n == 0 ? AB_COUNT_HW : AB_COUNT_CALLGRIND;
        return 0;
}
static int set_syscalls(struct ab_cli *c, const struct val *v)
{
        (void)v;
        OPTS(c)->syscalls = true;
        return 0;
}
static int set_round_ms(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->round_ms = (unsigned)v->n;
        return 0;
}
static int set_round_signal(struct ab_cli *c, const struct val *v)
{
        int sig = ab_prim_signal_number(v->text);
        if (sig <= 0)
                return ab_bad("",
                              "--round-signal '%s': not a signal a program can catch "
                              "(accepted: USR1, USR2, SIGUSR2, or a number such as 12)",
                              v->text);
        OPTS(c)->round_signal = sig;
        return 0;
}
static int set_program_output(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->program_output = v->text;
        return 0;
}
static int set_trace(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->trace = v->n == 0 ? AB_TRACE_PROGRAM : AB_TRACE_LAUNCHER;
        return 0;
}
static int set_trace_sample(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->trace_sample = v->n;
        c->trace_tuned = "--trace-sample";
        return 0;
}
static int set_trace_depth(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->trace_depth = (unsigned)v->n;
        c->trace_tuned = "--trace-depth";
        return 0;
}
static int set_trace_sites(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->trace_sites = (unsigned)v->n;
        c->trace_tuned = "--trace-sites";
        return 0;
}
static int set_record(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->record = v->text;
        return 0;
}
static int set_verdicts(struct ab_cli *c, const struct val *v)
{
        OPTS(c)->verdicts_path = v->text;
        c->verdicts_given = true;
        return 0;
}
static int add_budget(struct ab_cli *c, const struct val *v)
{
        char err[512];
        struct ab_opts *o = OPTS(c);
        if (o->nbudgets == sizeof o->budgets / sizeof o->budgets[0])
                return ab_bad("", "--budget: at most %zu", sizeof o->budgets / sizeof o->budgets[0]);
        if (ab_budget_parse(v->text, &o->budgets[o->nbudgets], err, sizeof err))
                return ab_bad("", "%s", err);
        o->nbudgets++;
        return 0;
}
static int set_fail_new_site(struct ab_cli *c, const struct val *v)
{
        (void)v;
        OPTS(c)->fail_new_site = true;
        return 0;
}
static int set_shard(struct ab_cli *c, const struct val *v)
{
        char err[128];
        if (ab_shard_parse(v->text, &OPTS(c)->shard_k, &OPTS(c)->shard_n, err, sizeof err))
                return ab_bad("", "--shard '%s': %s (accepted: %s)", v->text, err, AB_SHARD_FORM);
        return 0;
}
static int set_quiet(struct ab_cli *c, const struct val *v)
{
        (void)v;
        OPTS(c)->quiet = true;
        return 0;
}

/* The options of bench run, in the order --help lists them. */
static const struct opt_def defs[] = {
    {"alloc", 0, K_TEXT, "LIST", 0, 0, NULL, set_alloc,
     "glibc, jemalloc, tcmalloc, mimalloc, musl (in its static runner), all, or a path "
     "to a malloc-replacing .so (default: glibc)"},
    {"workload", 0, K_TEXT, "LIST", 0, 0, NULL, set_workload,
     "workload names or job files (see `bench list`); cmd measures the PROGRAM after --"},
    {"set", 0, K_TEXT, "KEY=VALUE", 0, 0, NULL, add_set,
     "override a workload parameter (repeatable); sizes take 4k, 16MiB, 1GiB; lists a,b,c "
     "or 4KiB..1GiB*2"},
    {"reps", 0, K_UINT, "N", 1, AB_MAX_REPS, NULL, set_reps,
     "fixed repetitions per point (default: adaptive, see --precision)"},
    {"precision", 0, K_FRACTION, "P", 0, 0, NULL, set_precision,
     "repeat each allocator's point until the 95% CI of its median is within P of it (5% "
     "or 0.05; default 5%)"},
    {"max-reps", 0, K_UINT, "N", 6, AB_MAX_REPS, NULL, set_max_reps,
     "most repetitions per point when adaptive (default 30)"},
    {"point-budget", 0, K_UINT, "SEC", 0, 86400, NULL, set_point_budget,
     "wall time each allocator may spend on a point beyond its first 6 repetitions to reach "
     "--precision (default 1)"},
    {"seed", 0, K_UINT, "N", 0, UINT64_MAX, NULL, set_seed,
     "seed of the operation stream (default 1)"},
    {"threads", 0, K_UINT, "N", 1, 1024, NULL, set_threads,
     "threads of threaded workloads (same as --set threads=N)"},
    {"env", 0, K_TEXT, "KEY=VALUE", 0, 0, NULL, add_env,
     "environment of the workload process only (repeatable)"},
    {"wrap", 0, K_TEXT, "'CMD ARGS'[,..]", 0, 0, NULL, set_wrap,
     "run the workload process under a launcher (qemu-x86_64, 'valgrind --tool=none', "
     "'taskset -c 1'); no shell. A list runs every point under each, 'none' natively: "
     "--wrap none,qemu-x86_64"},
    {"numa", 0, K_TEXT, "POLICY", 0, 0, NULL, set_numa,
     "memory policy of the workload process: local, node:N, interleave"},
    {"timeout", 0, K_UINT, "SEC", 1, 86400 * 7, NULL, set_timeout,
     "kill a repetition after SEC seconds (status timeout)"},
    {"mem-limit", 0, K_SIZE, "SIZE", 1u << 20, UINT64_MAX, NULL, set_mem_limit,
     "address-space limit of the workload process (status oom)"},
    {"cpus", 0, K_TEXT, "LIST", 0, 0, NULL, set_cpus,
     "bind the workload process to these CPUs (0-3,5)"},
    {"sample-ms", 0, K_UINT, "N", 0, 60000, NULL, set_sample_ms,
     "RSS/VSZ timeline interval, 0 = off (default 10)"},
    {"output", 'o', K_TEXT, "FILE", 0, 0, NULL, set_output,
     "results file (default results/<UTC time>-<host>.json)"},
    {"format", 0, K_CHOICE, "FMT", 0, 0, "table|json|csv", set_format,
     "stdout: table (default), json or csv"},
    {"shard", 0, K_TEXT, "K/N", 0, 0, NULL, set_shard,
     "run the K-th of N deterministic parts of the allocator x workload x point matrix "
     "(round-robin over its cells; shards 1..N make the whole matrix once); the results "
     "record which cells; bench merge joins the shards' files"},
    {"fail-on", 0, K_CHOICE, "LEVEL", 0, 0, "warn|high", set_fail_on,
     "exit 2 when a flag of LEVEL (warn or high) or worse is raised"},
    {"count", 0, K_CHOICE, "WHAT", 0, 0, "instructions|callgrind", set_count,
     "instructions per op: 'instructions' (hardware counter around the region, where the "
     "machine has one) or 'callgrind' (exact, a separate pass under valgrind; timings stay "
     "native)"},
    {"round-ms", 0, K_UINT, "N", 1, 3600000, NULL, set_round_ms,
     "cmd: end a round of the program every N ms (when it cannot mark its rounds)"},
    {"round-signal", 0, K_TEXT, "SIG", 0, 0, NULL, set_round_signal,
     "cmd: the signal (USR2) the program or a script sends it to end a round"},
    {"program-output", 0, K_TEXT, "WHERE", 0, 0, NULL, set_program_output,
     "cmd: the program's stdout and stderr: files beside the results (default), inherit, "
     "null, or a FILE"},
    {"syscalls", 0, K_FLAG, NULL, 0, 0, NULL, set_syscalls,
     "mmap/munmap/mprotect/madvise/brk/mremap per op, from a separate pass under strace"},
    {"trace", 0, K_OPTCHOICE, "[=launcher]", 0, 0, "program|launcher", set_trace,
     "allocation sites: after each point's timed repetitions, one more run per allocator "
     "with libabtrace.so preloaded attributes every allocation to its call stack, per round "
     "(sites in the results, site flags, bench sites FILE); =launcher traces the --wrap "
     "emulator itself (qemu-*) instead of the workload"},
    {"trace-sample", 0, K_SIZE, "BYTES", 1024, UINT64_MAX, NULL, set_trace_sample,
     "--trace: sample one allocation per BYTES allocated on average (Poisson, reweighted "
     "without bias), for large programs; default exact"},
    {"trace-depth", 0, K_UINT, "N", 1, 128, NULL, set_trace_depth,
     "--trace: frames per stack (default 32)"},
    {"trace-sites", 0, K_UINT, "N", 1, 1000, NULL, set_trace_sites,
     "--trace: sites kept per point in the results (default 16; the sites the detectors "
     "need come first)"},
    {"record", 0, K_TEXT, "FILE", 0, 0, NULL, set_record,
     "write every allocation event of the traced run to FILE (turns --trace on; zstd when "
     "FILE ends in .zst), to replay against any allocator: --workload=replay --set "
     "trace=FILE; with several traced runs, each FILE gets the allocator (job, point) before "
     "its extension"},
    {"verdicts", 0, K_TEXT, "FILE", 0, 0, NULL, set_verdicts,
     "--trace: verdicts on sites to apply (default ./" AB_VERDICTS_DEFAULT " when there; bench "
     "verdicts edits it): flags of sites judged safe, prob-safe or bounded are accepted and do "
     "not count for --fail-on"},
    {"budget", 0, K_TEXT, "[GLOB:]METRIC<=V", 0, 0, NULL, add_budget,
     "--trace: what each site (or those GLOB names) may do: left_per_round, live_end, bytes or "
     "allocs at most V (repeatable); exit 2 past it"},
    {"fail-on-new-site", 0, K_FLAG, NULL, 0, 0, NULL, set_fail_new_site,
     "--trace: exit 2 when a site has no verdict"},
    {"quiet", 'q', K_FLAG, NULL, 0, 0, NULL, set_quiet, "no progress on stderr"},
    {"help", 'h', K_FLAG, NULL, 0, 0, NULL, NULL, "this text"},
};
#define NDEFS (sizeof defs / sizeof defs[0])

/* ---- the accepted forms ------------------------------------------------------------ */

/* "table, json or csv" from "table|json|csv". */
static void choices_text(const char *choices, char *buf, size_t len)
{
        size_t off = 0, n = 1, k = 0;
        for (const char *c = choices; *c; c++)
                n += *c == '|';
        buf[0] = '\0';
        for (const char *c = choices; *c && off < len; k++) {
                size_t w = strcspn(c, "|");
                off += (size_t)snprintf(buf + off, len - off, "%s%.*s",
                                        k == 0       ? ""
                                        : k + 1 == n ? " or "
                                                     : ", ",
                                        (int)w, c);
                c += w + (c[w] == '|');
        }
}

static void form(const struct opt_def *d, char *buf, size_t len)
{
        char lo[32];
        switch (d->kind) {
        case K_UINT:
                snprintf(buf, len, "a whole number from %llu to %llu", (unsigned long long)d->min,
                         (unsigned long long)d->max);
                break;
        case K_SIZE:
                ab_fmt_size(d->min, lo, sizeof lo);
                snprintf(buf, len, "%s, at least %s", AB_SIZE_FORM, lo);
                break;
        case K_FRACTION:
                snprintf(buf, len, "a relative width such as 5%% or 0.05, above 0 and below 100%%");
                break;
        case K_CHOICE:
        case K_OPTCHOICE:
                choices_text(d->choices, buf, len);
                break;
        default:
                snprintf(buf, len, "%s", d->metavar ? d->metavar : "no value");
        }
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

static int choice_index(const char *choices, const char *text, uint64_t *out)
{
        uint64_t i = 0;
        size_t n = strlen(text);
        for (const char *c = choices; *c; i++) {
                size_t w = strcspn(c, "|");
                if (w == n && strncmp(c, text, n) == 0) {
                        *out = i;
                        return 0;
                }
                c += w + (c[w] == '|');
        }
        return -EINVAL;
}

/* Check a value against its option's kind: 0 or an exit code (message said). */
static int check_value(const struct opt_def *d, const char *text, struct val *v)
{
        char f[160];
        int r = 0;
        v->text = text;
        switch (d->kind) {
        case K_UINT:
                r = ab_parse_u64(text, &v->n);
                if (!r && (v->n < d->min || v->n > d->max))
                        r = -ERANGE;
                break;
        case K_SIZE:
                r = ab_parse_size(text, &v->n);
                if (!r && (v->n < d->min || v->n > d->max))
                        r = -ERANGE;
                break;
        case K_FRACTION:
                r = parse_fraction(text, &v->d);
                break;
        case K_CHOICE:
        case K_OPTCHOICE:
                r = choice_index(d->choices, text, &v->n);
                break;
        default:
                break;
        }
        if (!r)
                return 0;
        form(d, f, sizeof f);
        return ab_bad("", "--%s '%s': %s (accepted: %s)", d->name, text,
                      r == -ERANGE          ? "out of range"
                      : d->kind == K_UINT   ? "not a whole number"
                      : d->kind == K_CHOICE || d->kind == K_OPTCHOICE ? "not one of the choices"
                                            : "malformed",
                      f);
}

/* ---- --help ----------------------------------------------------------------------- */

/* Words of text, wrapped at `width` columns, continuation lines indented by
 * `indent` (the first line is already there). */
static void wrapped(FILE *f, const char *text, int indent, int width)
{
        int col = indent;
        while (*text) {
                int w = (int)strcspn(text, " ");
                if (col > indent && col + 1 + w > width) {
                        fprintf(f, "\n%*s", indent, "");
                        col = indent;
                } else if (col > indent) {
                        fputc(' ', f);
                        col++;
                }
                fprintf(f, "%.*s", w, text);
                col += w;
                text += w;
                while (*text == ' ')
                        text++;
        }
        fputc('\n', f);
}

void ab_opts_usage(FILE *f)
{
        fprintf(f, "usage: bench [run] --alloc=A[,B..] --workload=W[,X..] [options] [-- PROGRAM "
                   "ARGS]\n\n"
                   "Runs every workload against every allocator, one fresh process per\n"
                   "repetition, prints a summary and writes a JSON results file.\n\n");
        for (size_t i = 0; i < NDEFS; i++) {
                const struct opt_def *d = &defs[i];
                char head[64];
                int n = d->letter ? snprintf(head, sizeof head, "  -%c, --%s", d->letter, d->name)
                                  : snprintf(head, sizeof head, "  --%s", d->name);
                if (d->metavar)
                        n += snprintf(head + n, sizeof head - (size_t)n,
                                      d->kind == K_OPTCHOICE ? "%s" : " %s", d->metavar);
                if (n > 21)
                        fprintf(f, "%s\n%22s", head, "");
                else
                        fprintf(f, "%-22s", head);
                wrapped(f, d->help, 22, 80);
        }
        fprintf(f, "\nExit: 0 ok, 1 bad input, 2 flags at --fail-on, 4 a run crashed, timed out or "
                   "ran\nout of memory, 130 interrupted.\n");
}

/* ---- parsing ---------------------------------------------------------------------- */

/* The option an unknown or valueless argument looks like, for the message. */
static const struct opt_def *def_named(const char *arg)
{
        for (size_t i = 0; i < NDEFS; i++) {
                size_t n = strlen(defs[i].name);
                if (strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, defs[i].name, n) == 0 &&
                    (arg[2 + n] == '\0' || arg[2 + n] == '='))
                        return &defs[i];
                if (defs[i].letter && arg[0] == '-' && arg[1] == defs[i].letter && !arg[2])
                        return &defs[i];
        }
        return NULL;
}

int ab_opts_scan(int argc, char **argv, struct ab_cli *c)
{
        struct option lo[NDEFS + 1];
        char shorts[2 * NDEFS + 4] = "+:";
        size_t ns = 2;
        int ch, idx;
        for (size_t i = 0; i < NDEFS; i++) {
                lo[i] = (struct option){defs[i].name,
                                        defs[i].kind == K_FLAG        ? no_argument
                                        : defs[i].kind == K_OPTCHOICE ? optional_argument
                                                                      : required_argument,
                                        NULL, 1000 + (int)i};
                if (defs[i].letter) {
                        shorts[ns++] = defs[i].letter;
                        if (defs[i].kind != K_FLAG)
                                shorts[ns++] = ':';
                }
        }
        lo[NDEFS] = (struct option){NULL, 0, NULL, 0};
        shorts[ns] = '\0';
        opterr = 0;
        optind = 1;
        while ((ch = getopt_long(argc, argv, shorts, lo, &idx)) != -1) {
                const struct opt_def *d = NULL;
                struct val v = {0};
                int r;
                if (ch >= 1000)
                        d = &defs[ch - 1000];
                for (size_t i = 0; !d && i < NDEFS; i++)
                        if (defs[i].letter && defs[i].letter == ch)
                                d = &defs[i];
                if (ch == ':') {
                        const struct opt_def *m = def_named(argv[optind - 1]);
                        char f[160] = "";
                        if (m)
                                form(m, f, sizeof f);
                        return ab_bad("", "option %s needs a value%s%s%s", argv[optind - 1],
                                      m ? " (accepted: " : "", f, m ? ")" : "");
                }
                if (!d)
                        return ab_bad("", "unknown option '%s'", argv[optind - 1]);
                if (!d->apply) { /* --help */
                        ab_opts_usage(stdout);
                        return -1;
                }
                if (d->kind == K_OPTCHOICE && !optarg)
                        v.n = 0; /* --trace alone: the first choice */
                else if (d->kind != K_FLAG && (r = check_value(d, optarg, &v)))
                        return r;
                if ((r = d->apply(c, &v)))
                        return r;
        }
        return 0;
}
