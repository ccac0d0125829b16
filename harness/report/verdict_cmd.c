/*
 * verdict_cmd.c - bench verdicts: set one, show them, check a results file
 * against them (with budgets), and carry them to and from LSan and
 * valgrind suppressions (verdict.h has the file and the matching).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/parse.h"
#include "doc/doc.h"
#include "report/report.h"
#include "report/sites.h"
#include "report/verdict.h"

#define MAX_BUDGETS 32

static void usage(FILE *f)
{
        fprintf(f,
                "usage: bench verdicts set SITE VERDICT [-m NOTE].. [--bound SIZE] [--from "
                "RESULTS.json]\n"
                "                          [--by WHO] [--file FILE]\n"
                "       bench verdicts show [--verdict V] [--file FILE]\n"
                "       bench verdicts check RESULTS.json [--fail-on warn|high] [--budget B].. "
                "[--fail-on-new-site]\n"
                "                          [--file FILE]\n"
                "       bench verdicts export --lsan|--valgrind [--file FILE]\n"
                "       bench verdicts import --lsan SUPPRESSIONS [--verdict V] [-m NOTE] [--file "
                "FILE]\n\n"
                "Verdicts on allocation sites (bench run --trace), kept in FILE (default\n"
                "./" AB_VERDICTS_DEFAULT ") in your repository and applied to every traced run:\n"
                "undecided, safe, prob-safe, bounded [--bound 4KiB: a round], leak, fixed.\n"
                "SITE is a site's key from the results (bench sites FILE lists them), a glob\n"
                "over keys, or a function name that names one site of --from or of FILE.\n"
                "check: exit 2 when a flag at --fail-on (warn) is not accepted by a verdict, a\n"
                "fixed site is flagged again, a site is past its bound or a --budget\n"
                "([GLOB:]left_per_round|live_end|bytes|allocs<=VALUE), or with\n"
                "--fail-on-new-site a site has no verdict. README, Verdicts, has the format.\n");
}

/* ---- set ------------------------------------------------------------------------ */

/* The keys of f's traced sites (and of v's entries) that name function fn. */
static size_t keys_with(const char *fn, const struct ab_doc *d, const struct ab_verdicts *v,
                        const char **out, size_t max)
{
        size_t n = 0;
        for (size_t r = 0; d && r < d->nruns; r++)
                for (size_t s = 0; s < d->runs[r].nsites; s++) {
                        const char *key = d->runs[r].sites[s].key;
                        char buf[2048];
                        const char *fns[32];
                        size_t k = ab_key_functions(key, buf, sizeof buf, fns, 32);
                        bool has = false, dup = false;
                        for (size_t i = 0; i < k; i++)
                                has |= strcmp(fns[i], fn) == 0;
                        for (size_t i = 0; i < n; i++)
                                dup |= strcmp(out[i], key) == 0;
                        if (has && !dup && n < max)
                                out[n++] = key;
                }
        for (size_t e = 0; v && e < v->n && n < max; e++) {
                char buf[2048];
                const char *fns[32];
                size_t k = ab_key_functions(v->e[e].site, buf, sizeof buf, fns, 32);
                bool has = false, dup = false;
                for (size_t i = 0; i < k; i++)
                        has |= strcmp(fns[i], fn) == 0;
                for (size_t i = 0; i < n; i++)
                        dup |= strcmp(out[i], v->e[e].site) == 0;
                if (has && !dup)
                        out[n++] = v->e[e].site;
        }
        return n;
}

/* SITE as given: a key or glob as it is, a function name resolved to the
 * one key that has it. NULL with the message said. */
static const char *resolve_site(const char *given, const struct ab_doc *d,
                                const struct ab_verdicts *v, const char *file)
{
        const char *keys[16];
        size_t n;
        if (strpbrk(given, "<!*?[") || !given[0])
                return given;
        n = keys_with(given, d, v, keys, 16);
        if (n == 1)
                return keys[0];
        if (n == 0) {
                ab_err("verdicts", "no site has a function named '%s' (in %s%s%s); give its key "
                                   "(bench sites FILE lists them)",
                       given, d ? d->path : "", d ? " or " : "", file);
                return NULL;
        }
        ab_err("verdicts", "'%s' names %zu sites; give the key of one:", given, n);
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "  %s\n", keys[i]);
        return NULL;
}

/* The frames of the site named key in d, as `at` lines of e. */
static void take_stack(struct ab_ventry *e, const struct ab_doc *d, const char *key)
{
        for (size_t r = 0; d && r < d->nruns; r++) {
                const struct ab_vsite *s = ab_vrun_site(&d->runs[r], NULL, key);
                if (!s || !s->nframes)
                        continue;
                for (size_t k = 0; k < e->nstack; k++)
                        free(e->stack[k]);
                free(e->stack);
                e->stack = calloc(s->nframes, sizeof *e->stack);
                e->nstack = 0;
                for (size_t i = 0; e->stack && i < s->nframes; i++) {
                        const struct ab_vframe *f = &s->frames[i];
                        char line[1024];
                        if (f->file && !isnan(f->line))
                                snprintf(line, sizeof line, "%s %s:%.0f %s", f->function, f->file,
                                         f->line, f->module);
                        else
                                snprintf(line, sizeof line, "%s %s", f->function, f->module);
                        if ((e->stack[e->nstack] = strdup(line)))
                                e->nstack++;
                }
                return;
        }
}

struct set_args {
        const char *site, *verdict, *file, *from, *by;
        const char *notes[64];
        size_t nnotes;
        double bound;
};

static int do_set(const struct set_args *a)
{
        struct ab_verdicts v;
        struct ab_doc d, *dp = NULL;
        struct ab_ventry *e;
        char err[1024], who[256], when[32];
        const char *site;
        int vd = ab_verdict_find(a->verdict), lock, r = AB_BAD_INPUT;
        time_t now = time(NULL);
        if (vd < 0)
                return ab_bad("verdicts", "unknown verdict '%s' (accepted: undecided, safe, "
                                          "prob-safe, bounded, leak, fixed)",
                              a->verdict);
        if (!isnan(a->bound) && vd != AB_V_BOUNDED)
                return ab_bad("verdicts", "--bound goes with the verdict bounded");
        if (a->from && ab_doc_load(a->from, &d, err, sizeof err) != 0)
                return ab_bad("verdicts", "%s", err);
        if (a->from)
                dp = &d;
        if ((lock = ab_verdicts_lock(a->file)) < 0) {
                ab_err("verdicts", "cannot lock the directory of %s: %s", a->file, strerror(-lock));
                goto out;
        }
        if ((r = ab_verdicts_load(a->file, &v, err, sizeof err)) && r != -ENOENT) {
                ab_err("verdicts", "%s", err);
                r = AB_BAD_INPUT;
                goto unlock;
        }
        r = AB_BAD_INPUT;
        if (!(site = resolve_site(a->site, dp, &v, a->file)) || !(e = ab_verdicts_entry(&v, site)))
                goto free;
        e->verdict = (enum ab_verdict)vd;
        e->bound = vd == AB_V_BOUNDED ? a->bound : NAN;
        if (a->nnotes) {
                for (size_t k = 0; k < e->nnotes; k++)
                        free(e->notes[k]);
                free(e->notes);
                e->notes = calloc(a->nnotes, sizeof *e->notes);
                e->nnotes = 0;
                for (size_t k = 0; e->notes && k < a->nnotes; k++)
                        if ((e->notes[e->nnotes] = strdup(a->notes[k])))
                                e->nnotes++;
        }
        if (a->by)
                snprintf(who, sizeof who, "%s", a->by);
        else
                snprintf(who, sizeof who, "%s", getenv("USER") ? getenv("USER") : "unknown");
        for (char *p = who; *p; p++)
                if (*p == ' ' || *p == '\n')
                        *p = '_';
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        free(e->by);
        free(e->when);
        e->by = strdup(who);
        e->when = strdup(when);
        take_stack(e, dp, site);
        if (ab_verdicts_write(&v, a->file, err, sizeof err)) {
                ab_err("verdicts", "%s", err);
                goto free;
        }
        printf("%s: %s is %s\n", a->file, site, ab_verdict_names[vd]);
        r = AB_OK;
free:
        ab_verdicts_free(&v);
unlock:
        close(lock);
out:
        if (dp)
                ab_doc_free(dp);
        return r;
}

/* ---- show -------------------------------------------------------------------------- */

static int do_show(const char *file, const char *only)
{
        struct ab_verdicts v;
        char err[1024];
        int r = ab_verdicts_load(file, &v, err, sizeof err), want = only ? ab_verdict_find(only) : -1;
        if (only && want < 0)
                return ab_bad("verdicts", "--verdict '%s': unknown (accepted: undecided, safe, "
                                          "prob-safe, bounded, leak, fixed)",
                              only);
        if (r == -ENOENT)
                return ab_bad("verdicts", "%s does not exist (bench verdicts set makes it)", file);
        if (r)
                return ab_bad("verdicts", "%s", err);
        for (size_t i = 0; i < v.n; i++) {
                const struct ab_ventry *e = &v.e[i];
                if (want >= 0 && (int)e->verdict != want)
                        continue;
                printf("%-9s  %s", ab_verdict_names[e->verdict], e->site);
                if (e->verdict == AB_V_BOUNDED && !isnan(e->bound)) {
                        char b[32];
                        printf("  (<= %s a round)", ab_site_bytes(e->bound, b, sizeof b));
                }
                if (e->by)
                        printf("  [%s %s]", e->by, e->when);
                putchar('\n');
                for (size_t k = 0; k < e->nnotes; k++)
                        printf("           %s\n", e->notes[k]);
        }
        ab_verdicts_free(&v);
        return AB_OK;
}

/* ---- check ------------------------------------------------------------------------ */

struct check_args {
        const char *results, *file;
        int fail_on; /* severity rank */
        bool fail_new;
        struct ab_budget budgets[MAX_BUDGETS];
        size_t nb;
};

static void print_sites(const struct ab_doc *d)
{
        for (size_t r = 0; r < d->nruns; r++) {
                const struct ab_vrun *run = &d->runs[r];
                if (!run->nsites)
                        continue;
                printf("\n%s on %s:\n", run->alloc, run->workload_id);
                for (size_t i = 0; i < run->nsites; i++) {
                        const struct ab_vsite *s = &run->sites[i];
                        char left[32], key[200];
                        ab_site_text(key, sizeof key, s->key, 70);
                        printf("  %-9s %-6s %10s/round  %s\n", s->verdict ? s->verdict : "-",
                               s->verdict_new ? "new" : s->verdict_match ? s->verdict_match : "",
                               ab_site_bytes(ab_site_leftover(s), left, sizeof left), key);
                }
        }
}

/* Exit 2 when anything at fault; the faults on stderr. */
static int check_verdicts(const struct ab_doc *d, const struct check_args *a,
                          const struct ab_vsummary *sum)
{
        size_t bad = 0;
        for (size_t i = 0; i < d->nflags; i++) {
                const struct ab_vflag *f = &d->flags[i];
                /* a budget is failed whatever --fail-on says */
                if (f->accepted ||
                    (f->rank < a->fail_on && strcmp(f->kind, "budget-exceeded") != 0))
                        continue;
                if (!bad++)
                        fprintf(stderr, "bench verdicts: at fault:\n");
                fprintf(stderr, "  %s  %s  %s: %s\n", f->severity, f->kind, f->allocator,
                        f->message);
        }
        if (a->fail_new && sum->new_sites) {
                fprintf(stderr, "bench verdicts: %zu site%s without a verdict "
                                "(--fail-on-new-site):\n",
                        sum->new_sites, sum->new_sites == 1 ? "" : "s");
                for (size_t r = 0; r < d->nruns; r++)
                        for (size_t i = 0; i < d->runs[r].nsites; i++)
                                if (d->runs[r].sites[i].verdict_new)
                                        fprintf(stderr, "  %s\n", d->runs[r].sites[i].key);
                bad++;
        }
        return bad ? AB_FLAGGED : AB_OK;
}

static int do_check(const struct check_args *a)
{
        struct ab_verdicts v;
        struct ab_vsummary sum;
        struct ab_doc d;
        char err[1024];
        json_t *doc;
        int r;
        if ((r = ab_doc_load(a->results, &d, err, sizeof err)))
                return ab_bad("verdicts", "%s", err);
        doc = json_incref(d.json);
        ab_doc_free(&d);
        r = ab_verdicts_load(a->file, &v, err, sizeof err);
        if (r && r != -ENOENT) {
                json_decref(doc);
                return ab_bad("verdicts", "%s", err);
        }
        r = ab_verdicts_apply(doc, &v, a->budgets, a->nb, &sum);
        ab_verdicts_free(&v);
        if (r || ab_doc_view(doc, &d, err, sizeof err)) {
                json_decref(doc);
                ab_err("verdicts", "out of memory");
                return AB_BAD_INPUT;
        }
        json_decref(doc);
        if (!sum.sites)
                ab_note("verdicts", "%s has no sites: run bench with --trace", a->results);
        printf("%s against %s: %zu sites, %zu with a verdict (%zu matched fuzzily), %zu new; "
               "%zu flags accepted, %zu regressions, %zu past their bound, %zu past a budget\n",
               a->results, a->file, sum.sites, sum.matched, sum.fuzzy, sum.new_sites,
               sum.accepted, sum.regressions, sum.over_bound, sum.over_budget);
        print_sites(&d);
        r = check_verdicts(&d, a, &sum);
        ab_doc_free(&d);
        return r;
}

/* ---- export and import ------------------------------------------------------------- */

static int do_export(const char *file, bool lsan)
{
        struct ab_verdicts v;
        char err[1024];
        int r = ab_verdicts_load(file, &v, err, sizeof err);
        if (r == -ENOENT)
                return ab_bad("verdicts", "%s does not exist", file);
        if (r)
                return ab_bad("verdicts", "%s", err);
        printf("%s allocbench verdicts from %s: the sites judged safe, prob-safe or bounded\n",
               lsan ? "#" : "#", file);
        for (size_t i = 0; i < v.n; i++) {
                const struct ab_ventry *e = &v.e[i];
                char buf[2048];
                const char *fn[32];
                size_t n = ab_key_functions(e->site, buf, sizeof buf, fn, 32);
                if (!ab_verdict_accepts(e->verdict) || !n || strpbrk(e->site, "*?["))
                        continue;
                if (lsan) {
                        printf("# %s: %s\nleak:%s\n", ab_verdict_names[e->verdict], e->site, fn[0]);
                        continue;
                }
                printf("{\n   allocbench %s: %s\n   Memcheck:Leak\n   "
                       "match-leak-kinds: definite,indirect,possible,reachable\n   ...\n",
                       ab_verdict_names[e->verdict], e->site);
                /* valgrind shows nothing below main: a frame it never
                 * shows would make the suppression match nothing */
                for (size_t k = 0; k < n; k++) {
                        printf("   fun:%s\n", strcmp(fn[k], "?") ? fn[k] : "*");
                        if (strcmp(fn[k], "main") == 0)
                                break;
                }
                printf("}\n");
        }
        ab_verdicts_free(&v);
        return AB_OK;
}

static int do_import(const char *supp, const char *file, const char *verdict, const char *note)
{
        struct ab_verdicts v;
        char err[1024], *line = NULL, reason[512];
        size_t cap = 0, added = 0, skipped = 0;
        int vd = ab_verdict_find(verdict), lock, r, ln = 0, rc = AB_BAD_INPUT;
        FILE *f;
        if (vd < 0)
                return ab_bad("verdicts", "--verdict '%s': unknown", verdict);
        if (!(f = fopen(supp, "re")))
                return ab_bad("verdicts", "%s: %s", supp, strerror(errno));
        if ((lock = ab_verdicts_lock(file)) < 0) {
                fclose(f);
                return ab_bad("verdicts", "cannot lock the directory of %s", file);
        }
        r = ab_verdicts_load(file, &v, err, sizeof err);
        if (r && r != -ENOENT) {
                ab_err("verdicts", "%s", err);
                goto out;
        }
        snprintf(reason, sizeof reason, "%s", note ? note : "");
        while (getline(&line, &cap, f) > 0) {
                char glob[1024], *p = line;
                struct ab_ventry *e;
                ln++;
                p[strcspn(p, "\r\n")] = '\0';
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p || *p == '#')
                        continue;
                if (strncmp(p, "leak:", 5) != 0 || !p[5]) {
                        skipped++; /* thread:, race:, ...: not about leaks */
                        continue;
                }
                snprintf(glob, sizeof glob, "*%s*", p + 5);
                if (!(e = ab_verdicts_entry(&v, glob)))
                        goto out;
                e->verdict = (enum ab_verdict)vd;
                if (!e->nnotes) {
                        char n[1200];
                        snprintf(n, sizeof n, "imported from LSan suppressions %s:%d%s%s", supp, ln,
                                 reason[0] ? ": " : "", reason);
                        e->notes = calloc(1, sizeof *e->notes);
                        if (e->notes && (e->notes[0] = strdup(n)))
                                e->nnotes = 1;
                }
                added++;
        }
        if (ab_verdicts_write(&v, file, err, sizeof err)) {
                ab_err("verdicts", "%s", err);
                goto out;
        }
        printf("%s: %zu verdict%s from %s (%zu lines not about leaks skipped)\n", file, added,
               added == 1 ? "" : "s", supp, skipped);
        rc = AB_OK;
out:
        free(line);
        fclose(f);
        ab_verdicts_free(&v);
        close(lock);
        return rc;
}

/* ---- the command -------------------------------------------------------------------- */

int ab_cmd_verdicts(int argc, char **argv)
{
        static const struct option lo[] = {{"file", required_argument, NULL, 'f'},
                                           {"bound", required_argument, NULL, 'b'},
                                           {"from", required_argument, NULL, 'r'},
                                           {"by", required_argument, NULL, 'w'},
                                           {"verdict", required_argument, NULL, 'v'},
                                           {"fail-on", required_argument, NULL, 'F'},
                                           {"budget", required_argument, NULL, 'B'},
                                           {"fail-on-new-site", no_argument, NULL, 'N'},
                                           {"lsan", no_argument, NULL, 'l'},
                                           {"valgrind", no_argument, NULL, 'g'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
        struct set_args s = {.file = AB_VERDICTS_DEFAULT, .bound = NAN};
        struct check_args c = {.file = AB_VERDICTS_DEFAULT, .fail_on = 1};
        const char *sub = argc > 1 ? argv[1] : NULL, *only = NULL;
        bool lsan = false, valgrind = false;
        char err[512];
        int ch;
        if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
                usage(sub ? stdout : stderr);
                return sub ? AB_OK : AB_BAD_INPUT;
        }
        optind = 2;
        opterr = 0;
        while ((ch = getopt_long(argc, argv, ":m:", lo, NULL)) != -1) {
                uint64_t b;
                switch (ch) {
                case 'f':
                        s.file = c.file = optarg;
                        break;
                case 'm':
                        if (s.nnotes == 64)
                                return ab_bad("verdicts", "at most 64 notes");
                        s.notes[s.nnotes++] = optarg;
                        break;
                case 'b':
                        if (ab_parse_size(optarg, &b))
                                return ab_bad("verdicts", "--bound '%s': not a size (accepted: "
                                                          "4096, 4KiB, 0)",
                                              optarg);
                        s.bound = (double)b;
                        break;
                case 'r':
                        s.from = optarg;
                        break;
                case 'w':
                        s.by = optarg;
                        break;
                case 'v':
                        only = optarg;
                        break;
                case 'F':
                        if (strcmp(optarg, "warn") != 0 && strcmp(optarg, "high") != 0)
                                return ab_bad("verdicts", "--fail-on '%s' (accepted: warn, high)",
                                              optarg);
                        c.fail_on = strcmp(optarg, "warn") == 0 ? 1 : 2;
                        break;
                case 'B':
                        if (c.nb == MAX_BUDGETS)
                                return ab_bad("verdicts", "at most %d budgets", MAX_BUDGETS);
                        if (ab_budget_parse(optarg, &c.budgets[c.nb++], err, sizeof err))
                                return ab_bad("verdicts", "%s", err);
                        break;
                case 'N':
                        c.fail_new = true;
                        break;
                case 'l':
                        lsan = true;
                        break;
                case 'g':
                        valgrind = true;
                        break;
                case 'h':
                        usage(stdout);
                        return AB_OK;
                case ':':
                        return ab_bad("verdicts", "option %s needs a value", argv[optind - 1]);
                default:
                        return ab_bad("verdicts", "unknown option '%s'", argv[optind - 1]);
                }
        }
        if (strcmp(sub, "set") == 0) {
                if (argc - optind != 2)
                        return ab_bad("verdicts", "set takes SITE and VERDICT");
                s.site = argv[optind];
                s.verdict = argv[optind + 1];
                return do_set(&s);
        }
        if (strcmp(sub, "show") == 0)
                return argc == optind ? do_show(s.file, only)
                                      : ab_bad("verdicts", "show takes no argument");
        if (strcmp(sub, "check") == 0) {
                if (argc - optind != 1)
                        return ab_bad("verdicts", "check takes one results file");
                c.results = argv[optind];
                return do_check(&c);
        }
        if (strcmp(sub, "export") == 0) {
                if (lsan == valgrind || argc != optind)
                        return ab_bad("verdicts", "export takes --lsan or --valgrind");
                return do_export(s.file, lsan);
        }
        if (strcmp(sub, "import") == 0) {
                if (!lsan || argc - optind != 1)
                        return ab_bad("verdicts", "import takes --lsan SUPPRESSIONS");
                return do_import(argv[optind], s.file, only ? only : "safe",
                                 s.nnotes ? s.notes[0] : NULL);
        }
        return ab_bad("verdicts", "unknown subcommand '%s' (accepted: set, show, check, export, "
                                  "import)",
                      sub);
}
