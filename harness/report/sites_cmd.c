/*
 * sites_cmd.c - bench sites FILE [options]: every allocation site of every
 * run of a results file traced with --trace (bench run --trace), read
 * through the results document's view (doc/doc.h) and nothing else.
 *
 * This file is the command: its options, the file, which runs and sites
 * are selected, and the default bottom-up view (a block per site with its
 * frames); --top-down and --folded are sites_tree.c's. Every check is made
 * before anything is printed, so bad input prints nothing on stdout.
 * Exit: 0, or 1 on bad input (options, the file, a file without sites, a
 * selection that matches nothing).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "report/report.h"
#include "report/sites.h"

#define USAGE "bench sites FILE [--top-down | --folded] [--value V] [filters]"

static void usage(FILE *f)
{
        fputs("usage: " USAGE "\n"
              "\n"
              "Lists the allocation sites of every run of FILE that was traced (bench run\n"
              "--trace): the call stacks that allocated, with what each allocated, freed\n"
              "and left behind.\n"
              "\n"
              "views (one of):\n"
              "  (default)        bottom-up: a block per site, the largest VALUE first: its\n"
              "                   calls, bytes allocated, live at the end, left over per\n"
              "                   round, big callocs and maps, the flags naming it, and its\n"
              "                   frames innermost first with file:line and module\n"
              "  --top-down       a call tree from the outermost frame down, VALUE summed\n"
              "                   along each path, indented\n"
              "  --folded         folded stacks for flamegraph.pl, speedscope or inferno:\n"
              "                   a line per site, its frames outermost first joined by ';',\n"
              "                   a space, and VALUE (sites whose VALUE is 0 are left out;\n"
              "                   with several runs selected, a first frame names the\n"
              "                   run, and in a sweep a frame names the point)\n"
              "\n"
              "options:\n"
              "  --value bytes|live|allocs|leftover\n"
              "                   VALUE: bytes allocated (default); live bytes when the\n"
              "                   process ended; allocations; or live bytes of the last\n"
              "                   round minus the first after warm-up (the first fifth of\n"
              "                   the rounds), at least 0\n"
              "  --alloc NAME     runs of allocator NAME only\n"
              "  --workload NAME  runs of workload NAME only\n"
              "  --function TEXT  sites with a frame whose function contains TEXT\n"
              "  --module TEXT    sites with a frame whose module contains TEXT\n"
              "  -h, --help       this text\n"
              "\n"
              "Left over per round: the least-squares slope of the site's live bytes at each\n"
              "round end, after the first fifth of the rounds (as the leak detectors read\n"
              "them); \"-\" for a site without rounds.\n"
              "\n"
              "Exit: 0, or 1 on bad input (an option, the file, a file without sites, or\n"
              "filters that match no site).\n"
              "\n"
              "Examples:\n"
              "  bench sites results/leak.json --function timer_new\n"
              "  bench sites results/leak.json --folded | flamegraph.pl > leak-sites.svg\n",
              f);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
        va_list ap;
        fputs("bench sites: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(" (usage: " USAGE "; bench sites --help)\n", stderr);
        return AB_BAD_INPUT;
}

/* ---- options ------------------------------------------------------------------------- */

enum view { BOTTOM_UP, TOP_DOWN, FOLDED };

struct opts {
        const char *file;
        enum view view;
        enum ab_site_value value;
        const char *value_text; /* as given, NULL when not */
        const char *alloc, *workload, *function, *module;
};

/* The valued options, and where each one's value goes. */
static const char **valued(struct opts *o, const char *name)
{
        static const char *const names[] = {"--value", "--alloc", "--workload", "--function",
                                            "--module"};
        const char **where[] = {&o->value_text, &o->alloc, &o->workload, &o->function, &o->module};
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                if (strcmp(name, names[k]) == 0)
                        return where[k];
        return NULL;
}

static int set_value(struct opts *o)
{
        for (int v = 0; v < AB_SV_COUNT; v++) {
                if (strcmp(o->value_text, ab_site_value_names[v]) == 0) {
                        o->value = (enum ab_site_value)v;
                        return 0;
                }
        }
        return bad("--value: '%s' is not a value (accepted: bytes, live, allocs, leftover)",
                   o->value_text);
}

static int set_view(struct opts *o, enum view v, const char *a)
{
        if (o->view != BOTTOM_UP && o->view != v)
                return bad("%s: --top-down and --folded are two views; give one", a);
        o->view = v;
        return 0;
}

/* One option at argv[*i]. 0, AB_BAD_INPUT, or -1 after --help. */
static int option(struct opts *o, int argc, char **argv, int *i)
{
        const char *a = argv[*i], *eq = strchr(a, '='), **dst, *val;
        char name[32];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                usage(stdout);
                return -1;
        }
        if (strcmp(a, "--top-down") == 0)
                return set_view(o, TOP_DOWN, a);
        if (strcmp(a, "--folded") == 0)
                return set_view(o, FOLDED, a);
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
        if (!(dst = valued(o, name)))
                return bad("unknown option '%s' (accepted: --top-down, --folded, --value, "
                           "--alloc, --workload, --function, --module, --help)",
                           a);
        if (eq)
                val = eq + 1;
        else if (*i + 1 < argc)
                val = argv[++*i];
        else
                return bad("%s needs a value", name);
        if (*dst)
                return bad("%s given twice", name);
        if (!*val)
                return bad("%s: empty value (accepted: %s)", name,
                           strcmp(name, "--value") == 0 ? "bytes, live, allocs, leftover"
                                                        : "a name, or text a name contains");
        *dst = val;
        return strcmp(name, "--value") == 0 ? set_value(o) : 0;
}

/* 0, AB_BAD_INPUT, or -1 after --help. */
static int options(struct opts *o, int argc, char **argv)
{
        bool dashdash = false;
        int r;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!dashdash && strcmp(a, "--") == 0) {
                        dashdash = true;
                } else if (!dashdash && a[0] == '-' && a[1]) {
                        if ((r = option(o, argc, argv, &i)))
                                return r;
                } else if (o->file) {
                        return bad("unexpected argument '%s' (accepted: one results file)", a);
                } else {
                        o->file = a;
                }
        }
        if (!o->file)
                return bad("no results file given");
        return 0;
}

/* ---- which runs and sites ---------------------------------------------------------- */

static bool frame_matches(const struct ab_vsite *s, const char *function, const char *module)
{
        struct ab_site_stack st;
        bool fn = !function, mod = !module;
        if (ab_site_stack(s, &st))
                return false;
        for (size_t i = 0; i < st.n; i++) {
                fn |= function && strstr(st.f[i].function, function);
                mod |= module && strstr(st.f[i].module, module);
        }
        ab_site_stack_free(&st);
        return fn && mod;
}

static bool run_wanted(const struct opts *o, const struct ab_vrun *r)
{
        return r->trace.target && (!o->alloc || strcmp(r->alloc, o->alloc) == 0) &&
               (!o->workload || strcmp(r->workload, o->workload) == 0 ||
                strcmp(r->workload_id, o->workload) == 0);
}

/* "glibc, jemalloc": the allocators (which 0) or workloads (1) of the
 * traced runs, once each. */
static void traced_names(const struct ab_doc *d, int which, char *buf, size_t len)
{
        size_t off = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < d->nruns && off < len; i++) {
                const char *n = which ? d->runs[i].workload : d->runs[i].alloc;
                char shown[128];
                bool seen = false;
                if (!d->runs[i].trace.target)
                        continue;
                for (size_t j = 0; j < i; j++)
                        seen |= d->runs[j].trace.target &&
                                strcmp(which ? d->runs[j].workload : d->runs[j].alloc, n) == 0;
                ab_site_text(shown, sizeof shown, n, 60);
                if (!seen)
                        off +=
                            (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", shown);
        }
}

/* Why no traced run is of --alloc NAME, of --workload NAME, or of both. */
static int nothing_traced(const struct opts *o, const struct ab_doc *d)
{
        struct opts one = {.alloc = o->alloc};
        char names[512];
        bool any = false;
        for (size_t i = 0; i < d->nruns; i++)
                any |= run_wanted(&one, &d->runs[i]);
        if (o->alloc && !any) {
                traced_names(d, 0, names, sizeof names);
                return bad("--alloc %s: %s has no traced run of that allocator (accepted: %s)",
                           o->alloc, o->file, names);
        }
        one = (struct opts){.workload = o->workload};
        any = false;
        for (size_t i = 0; i < d->nruns; i++)
                any |= run_wanted(&one, &d->runs[i]);
        if (o->workload && !any) {
                traced_names(d, 1, names, sizeof names);
                return bad("--workload %s: %s has no traced run of that workload (accepted: %s)",
                           o->workload, o->file, names);
        }
        return bad("--alloc %s --workload %s: %s has no traced run of that allocator on that "
                   "workload",
                   o->alloc, o->workload, o->file);
}

/* Why the file has no sites at all, or 0 when it has some. */
static int check_has_sites(const struct ab_doc *d, const char *file)
{
        const struct ab_vrun *traced = NULL;
        char raw[1100], who[600], why[600];
        for (size_t i = 0; i < d->nruns; i++) {
                if (d->runs[i].nsites)
                        return 0;
                if (!traced && d->runs[i].trace.target)
                        traced = &d->runs[i];
        }
        if (!traced)
                return bad("%s has no sites: run bench with --trace", file);
        snprintf(raw, sizeof raw, "%s on %s", traced->alloc, traced->workload_id);
        ab_site_text(who, sizeof who, raw, 120);
        if (ab_site_trace_problem(traced, why, sizeof why))
                return bad("%s has no sites: the trace pass of %s: %s", file, who, why);
        return bad("%s has no sites: the trace pass of %s saw no allocation", file, who);
}

struct valued_site {
        const struct ab_vsite *s;
        double v;
        size_t index;
};

static int by_value(const void *a, const void *b)
{
        const struct valued_site *x = a, *y = b;
        if (x->v != y->v)
                return x->v < y->v ? 1 : -1;
        return (x->index > y->index) - (x->index < y->index);
}

/* The selected sites of run r, the largest value first (the file's order
 * among equals). */
static int select_sites(const struct opts *o, const struct ab_vrun *r, struct ab_sites_sel *sel)
{
        struct valued_site *v = calloc(r->nsites + 1, sizeof *v);
        sel->run = r;
        sel->n = 0;
        sel->sites = calloc(r->nsites + 1, sizeof *sel->sites);
        if (!v || !sel->sites) {
                free(v);
                return -ENOMEM;
        }
        for (size_t i = 0; i < r->nsites; i++)
                if (frame_matches(&r->sites[i], o->function, o->module))
                        v[sel->n++] = (struct valued_site){
                            &r->sites[i], ab_site_value(&r->sites[i], o->value), i};
        qsort(v, sel->n, sizeof *v, by_value);
        for (size_t i = 0; i < sel->n; i++)
                sel->sites[i] = v[i].s;
        free(v);
        return 0;
}

/* The runs and sites to show, in sel (one entry per wanted run, *nsel of
 * them): 0, or AB_BAD_INPUT after saying why nothing is selected. */
static int select_all(const struct opts *o, const struct ab_doc *d, struct ab_sites_sel *sel,
                      size_t *nsel)
{
        char names[512];
        size_t shown = 0, all = 0;
        *nsel = 0;
        for (size_t i = 0; i < d->nruns; i++) {
                if (!run_wanted(o, &d->runs[i]))
                        continue;
                all += d->runs[i].nsites;
                if (select_sites(o, &d->runs[i], &sel[*nsel]))
                        return bad("out of memory");
                shown += sel[(*nsel)++].n;
        }
        if (!*nsel)
                return nothing_traced(o, d);
        if (!shown) {
                snprintf(names, sizeof names, "%s%s%s%s%s%s%s",
                         o->function ? "function contains '" : "", o->function ? o->function : "",
                         o->function ? "'" : "",
                         o->function && o->module ? ", and a frame whose " : "",
                         o->module ? "module contains '" : "", o->module ? o->module : "",
                         o->module ? "'" : "");
                return bad("no site of the %zu selected in %s has a frame whose %s (accepted: "
                           "text a frame's function or module name contains)",
                           all, o->file, names);
        }
        return 0;
}

/* ---- the bottom-up view -------------------------------------------------------------- */

/* "glibc on conn-leak: 4 sites, trace pass of 10 rounds" and what they are
 * ordered by. */
static void run_header(FILE *f, const struct ab_sites_sel *sel, const struct opts *o, bool first)
{
        const struct ab_vrun *r = sel->run;
        char raw[1024], who[1024];
        double rounds = 0;
        for (size_t i = 0; i < r->trace.npoints; i++)
                rounds = fmax(rounds, r->trace.points[i].rounds);
        snprintf(raw, sizeof raw, "%s%s%s on %s", r->alloc, r->wrap ? " under " : "",
                 r->wrap ? r->wrap : "", r->workload_id);
        ab_site_text(who, sizeof who, raw, 200);
        fprintf(f, "%s%s: ", first ? "" : "\n", who);
        if (sel->n < r->nsites)
                fprintf(f, "%zu of %zu sites", sel->n, r->nsites);
        else
                fprintf(f, "%zu site%s", r->nsites, r->nsites == 1 ? "" : "s");
        if (rounds > 0)
                fprintf(f, ", trace pass of %.0f round%s", rounds, rounds == 1 ? "" : "s");
        fprintf(f, "; by %s, the largest first\n", ab_site_value_help[o->value]);
        if (ab_site_trace_problem(r, raw, sizeof raw))
                fprintf(f, "  (the trace pass: %s; its sites are what it saw until then)\n", raw);
}

/* The figures of a site: "640 calls, 320 KiB allocated, ...". */
static void site_numbers(FILE *f, const struct ab_vsite *s)
{
        char a[32], b[32], c[32];
        double zc = s->total[AB_ST_ZC_CALLS], maps = s->total[AB_ST_MAP_CALLS];
        fprintf(f, "    %s call%s, %s allocated, %s live at the end",
                ab_site_value_text(s->total[AB_ST_ALLOCS], AB_SV_ALLOCS, a, sizeof a),
                s->total[AB_ST_ALLOCS] == 1 ? "" : "s",
                ab_site_bytes(s->total[AB_ST_BYTES_ALLOC], b, sizeof b),
                ab_site_bytes(s->total[AB_ST_LIVE_BYTES], c, sizeof c));
        if (ab_site_has_trend(s))
                fprintf(f, ", %s left over per round\n",
                        ab_site_bytes(ab_site_leftover(s), a, sizeof a));
        else
                fprintf(f, "; %s: no left-over per round\n",
                        s->nrounds ? "too few rounds" : "no rounds");
        fprintf(f, "    big callocs %s", ab_site_value_text(zc, AB_SV_ALLOCS, a, sizeof a));
        if (zc > 0)
                fprintf(f, " (%s)", ab_site_bytes(s->total[AB_ST_ZC_BYTES], a, sizeof a));
        fprintf(f, ", maps %s", ab_site_value_text(maps, AB_SV_ALLOCS, a, sizeof a));
        if (maps > 0)
                fprintf(f, " (%s, unmapped %s)",
                        ab_site_bytes(s->total[AB_ST_MAP_BYTES], a, sizeof a),
                        ab_site_bytes(s->total[AB_ST_UNMAP_BYTES], b, sizeof b));
        if (s->total[AB_ST_RESERVE_BYTES] > 0)
                fprintf(f, ", reserved %s",
                        ab_site_bytes(s->total[AB_ST_RESERVE_BYTES], a, sizeof a));
        if (s->total[AB_ST_COMMIT_CALLS] > 0)
                fprintf(f, ", committed %s",
                        ab_site_bytes(s->total[AB_ST_COMMIT_BYTES], a, sizeof a));
        if (strcmp(s->source, "tracer") != 0) {
                char src[64];
                ab_site_text(src, sizeof src, s->source, 20);
                fprintf(f, "; seen by %s", src);
        }
        fputc('\n', f);
}

/* "flagged: leak-site (high)", one line per flag naming the site. */
static void site_flags(FILE *f, const struct ab_doc *d, const struct ab_vrun *r,
                       const struct ab_vsite *s)
{
        for (size_t i = 0; i < d->nflags; i++) {
                const struct ab_vflag *fl = &d->flags[i];
                char kind[64], msg[400];
                if (!ab_site_flag_names(fl, r, s))
                        continue;
                ab_site_text(kind, sizeof kind, fl->kind ? fl->kind : "?", 30);
                ab_site_text(msg, sizeof msg, fl->message ? fl->message : "", 120);
                fprintf(f, "    flagged: %s (%s)%s%s\n", kind, fl->severity ? fl->severity : "?",
                        *msg ? ": " : "", msg);
        }
}

/* "file.c:76" of a frame, "?" without line information. */
static const char *frame_place(const struct ab_vframe *fr, char *buf, size_t len)
{
        char loc[300];
        if (!fr->file) {
                snprintf(buf, len, "?");
                return buf;
        }
        ab_site_text(loc, sizeof loc, fr->file, 60);
        snprintf(buf, len, isfinite(fr->line) ? "%s:%.0f" : "%s", loc, fr->line);
        return buf;
}

static void site_frames(FILE *f, const struct ab_vsite *s)
{
        struct ab_site_stack st;
        int fw = 8, lw = 8;
        if (ab_site_stack(s, &st))
                return;
        /* columns as wide as the widest function and place, within reason */
        for (size_t i = 0; i < st.n; i++) {
                char where[600];
                fw = (int)fmax(fw, (double)strlen(st.f[i].function));
                lw = (int)fmax(lw, (double)strlen(frame_place(&st.f[i], where, sizeof where)));
        }
        fw = fw > 40 ? 40 : fw;
        lw = lw > 48 ? 48 : lw;
        for (size_t i = 0; i < st.n; i++) {
                const struct ab_vframe *fr = &st.f[i];
                char fn[256], where[600], mod[128];
                ab_site_text(fn, sizeof fn, fr->function, 60);
                ab_site_text(mod, sizeof mod, fr->module, 40);
                frame_place(fr, where, sizeof where);
                fprintf(f, "      #%-2zu %-*s  %-*s  %s%s\n", i, fw, fn, lw, where, mod,
                        fr->inlined ? "  (inlined)" : "");
        }
        ab_site_stack_free(&st);
}

static void bottom_up(FILE *f, const struct ab_doc *d, const struct ab_sites_sel *sel, size_t nsel,
                      const struct opts *o)
{
        for (size_t k = 0; k < nsel; k++) {
                const struct ab_vrun *r = sel[k].run;
                run_header(f, &sel[k], o, k == 0);
                for (size_t i = 0; i < sel[k].n; i++) {
                        const struct ab_vsite *s = sel[k].sites[i];
                        char key[4096];
                        ab_site_text(key, sizeof key, s->key, 1000);
                        fprintf(f, "\n  %s%s%s%s\n", r->npoints > 1 && s->point ? "[" : "",
                                r->npoints > 1 && s->point ? s->point->label : "",
                                r->npoints > 1 && s->point ? "] " : "", key);
                        site_numbers(f, s);
                        site_flags(f, d, r, s);
                        site_frames(f, s);
                }
        }
}

int ab_cmd_sites(int argc, char **argv)
{
        struct opts o = {0};
        struct ab_doc d = {0};
        struct ab_sites_sel *sel = NULL;
        char err[4096];
        size_t nsel = 0;
        int r;

        if ((r = options(&o, argc, argv)))
                return r < 0 ? AB_OK : r;
        if (ab_doc_load(o.file, &d, err, sizeof err)) {
                ab_err("sites", "%s", err);
                return AB_BAD_INPUT;
        }
        if ((r = check_has_sites(&d, o.file)))
                goto out;
        if (!(sel = calloc(d.nruns + 1, sizeof *sel))) {
                r = bad("out of memory");
                goto out;
        }
        if ((r = select_all(&o, &d, sel, &nsel)))
                goto out;
        if (o.view == TOP_DOWN)
                r = ab_sites_top_down(stdout, sel, nsel, o.value);
        else if (o.view == FOLDED)
                r = ab_sites_folded(stdout, sel, nsel, o.value);
        else
                bottom_up(stdout, &d, sel, nsel, &o);
        if (r)
                r = bad("out of memory");
out:
        for (size_t i = 0; sel && i < nsel; i++)
                free(sel[i].sites);
        free(sel);
        ab_doc_free(&d);
        return r;
}
