/*
 * cli.c - `bench history add FILE.. | show | check | html DIR`: nightly
 * tracking of results files in a store (store.h; default
 * results/history.sqlite, --db PATH). This file is the command: its
 * options, its usage and the dispatch to add.c, check.c and dashboard.c.
 *
 * A run is one results file, identified by the hash of its canonical form
 * (canon.h). A series is one figure of one point (its params, as the view
 * labels them) of one allocator and workload on one host; it has at most
 * one value per run and is ordered by the runs' `created`, then by the
 * order they were added. The figures are those doc/metrics.def marks
 * tracked, each with its noise floor; all of them are worse when higher.
 *
 * Every input is checked before the store is opened: a missing or invalid
 * results file, a bad option or an unknown subcommand exits 1 with nothing
 * written.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "doc/doc.h"
#include "report/history/add.h"
#include "report/history/check.h"
#include "report/history/dashboard.h"
#include "report/history/series.h"
#include "report/history/settings.h"
#include "report/history/store.h"
#include "report/report.h"

enum sub { SUB_ADD, SUB_SHOW, SUB_CHECK, SUB_HTML, NSUB };
static const char *const sub_names[NSUB] = {"add", "show", "check", "html"};

struct hopts {
        enum sub sub;
        const char *db;
        bool default_db;
        const char *rev;
        struct ab_hfilter filter; /* comma lists */
        struct ab_cp_params cp;
        double exact_eps;
        size_t last;
        bool json;
        bool sites;  /* show --sites */
        char **args; /* files (add) or DIR (html) */
        int nargs;
};

/* The tracked metrics: "a, b, c", or with their floors ("a 1 ns, b 0.5
 * faults/op") wrapped into lines of the usage's width after indent. */
static void print_metrics(FILE *f, bool floors, const char *indent)
{
        size_t col = strlen(indent);
        const char *sep = "";
        for (int m = 0; m < AB_M_COUNT; m++) {
                char item[96];
                if (!ab_metrics[m].tracked)
                        continue;
                if (floors)
                        snprintf(item, sizeof item, "%s %g %s", ab_metrics[m].key,
                                 ab_metrics[m].floor, ab_metrics[m].unit);
                else
                        snprintf(item, sizeof item, "%s", ab_metrics[m].key);
                if (floors && *sep && col + strlen(sep) + strlen(item) > 78) {
                        fprintf(f, ",\n%s", indent);
                        col = strlen(indent);
                } else {
                        fputs(sep, f);
                        col += strlen(sep);
                }
                fputs(item, f);
                col += strlen(item);
                sep = ", ";
        }
}

static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: bench history add FILE.. [--rev REV] [--db DB]\n"
            "       bench history show  [filters] [--last N] [--sites] [--format table|json]\n"
            "                           [--db DB]\n"
            "       bench history check [filters] [detection] [--format table|json] [--db DB]\n"
            "       bench history html DIR [filters] [detection] [--db DB]\n"
            "\n"
            "Nightly tracking of results files in a store: an SQLite file "
            "(default\n" AB_HISTORY_DEFAULT_DB "), or a PostgreSQL database that a fleet of hosts\n"
            "shares. DB: the path of an SQLite file, or postgresql://[USER[:PASSWORD]@]\n"
            "[HOST][:PORT][/DBNAME][?PARAM=VALUE&...] (postgres:// too; a Unix socket as\n"
            "?host=/run/postgresql). Without --db, $" AB_HISTORY_DB_ENV " names it when set.\n"
            "  add     store results files; one series per host x allocator x workload x\n"
            "          point x metric, keyed by the file's time and --rev (a commit or version).\n"
            "          Adding the same results again adds nothing. Safe with concurrent adds.\n"
            "          Each allocation site of a traced run (bench run --trace) adds two\n"
            "          series, left_per_round and live_end, with the site's key where a\n"
            "          point's label would be (\"[POINT] KEY\" in a sweep), and a line of its\n"
            "          verdict history: the run's verdict and note on it (--verdicts).\n"
            "  show    print the series (--last N: only the newest N values of each);\n"
            "          --sites: the sites instead, each with its verdict and note in the\n"
            "          newest run that saw it, how many runs saw it, the first and the last,\n"
            "          and its left-over per round then\n"
            "  check   find change points in every series; exit 3 when the newest change of\n"
            "          any series is an increase (every figure is worse when higher). Each\n"
            "          change says what changed in how the runs were made at it (--env\n"
            "          variables, allocator version, kernel, libc, the command's options)\n"
            "  html    write DIR/index.html: a static dashboard (no server, no network) with\n"
            "          a trend chart per series (y axis from 0), its change points and where\n"
            "          the runs' settings changed, the latest run's flags, the allocation\n"
            "          sites (verdict, note, runs seen, left-over per round over the runs,\n"
            "          stack), links to figures (PNG/SVG in DIR, or next to the latest\n"
            "          results files with the same name stem, copied into DIR/figures/), and\n"
            "          for several hosts the hosts side by side (what differs in host and\n"
            "          settings, each workload's newest figures); above 2000 charts, one\n"
            "          page per host (DIR/hosts/)\n"
            "\n"
            "filters (comma lists of exact names):\n"
            "  --host H  --alloc A  --workload W  --point P (e.g. size=4096)  --metric M\n"
            "  metrics: ns_per_op (median), minflt_per_op, rss_kib, vsz_kib, pte_kib,\n"
            "           peak_rss_kib, instructions_per_op (runs with --count callgrind);\n"
            "           a site's: left_per_round, live_end (bytes; --point takes a site's\n"
            "           series by the point its trace pass ran, '-' unswept)\n"
            "detection (change points proposed by binary segmentation and kept when\n"
            "Student's t test on the logarithms of the values against their neighbouring\n"
            "segments supports them (timings vary in proportion to their level); see\n"
            "harness/core/changepoint.h):\n"
            "  --threshold PCT    minimum change of the mean, percent (default 5)\n"
            "  --alpha P          significance after a Bonferroni correction for the\n"
            "                     splits possible (default 0.001)\n"
            "  --min-segment N    runs on each side of a change, at least (default 3)\n"
            "  --exact-epsilon E  instructions_per_op is an exact count (callgrind): no test,\n"
            "                     a change is any move beyond E relative (default %g),\n"
            "                     from one run on\n"
            "  The change is relative to the mean before it, but never to less than the\n"
            "  metric's noise floor (harness/doc/metrics.def):\n  ",
            AB_HEXACT_EPS);
        print_metrics(f, true, "  ");
        fprintf(f,
                ";\n  a site's figures %g B, tested as they are (a left-over per round is often\n"
                "  0 and may be below it)."
                "\n"
                "\n"
                "Nightly (cron or a CI job): a time pass and a counted pass\n"
                "  f=results/nightly-$(date -u +%%Y%%m%%d)\n"
                "  ./bench --alloc=all --workload=calloc-sweep -q -o \"$f.json\"\n"
                "  ./bench --alloc=all --workload=calloc-sweep --set sizes=4k,64k --reps 3 \\\n"
                "          --count callgrind -q -o \"$f-counted.json\"\n"
                "  ./bench history add \"$f.json\" \"$f-counted.json\" --rev \"$(git rev-parse "
                "--short HEAD)\"\n"
                "  ./bench history html public/allocbench   # publish the directory as it is\n"
                "  ./bench history check                    # exit 3: a regression\n"
                "\n"
                "Exit codes: 0 ok; 1 bad input (usage, a missing or invalid results file, a\n"
                "database that cannot be opened or written, a URL that is not one, a server\n"
                "that cannot be reached); 3 check: a regression.\n"
                "\n"
                "Schema (" AB_HISTORY_STORE_SCHEMA "; add migrates a store of " AB_HISTORY_STORE_V1
                " or " AB_HISTORY_STORE_V2 ",\nwhich have no sites or no settings), in SQLite:\n"
                "\n%s\n"
                "In PostgreSQL, the same tables and columns:\n\n%s",
                AB_HSITE_FLOOR, ab_store_sqlite.schema, ab_store_pg.schema);
}

/* ---- options ------------------------------------------------------------- */

enum {
        OPT_DB = 256,
        OPT_REV,
        OPT_HOST,
        OPT_ALLOC,
        OPT_WORKLOAD,
        OPT_POINT,
        OPT_METRIC,
        OPT_THRESHOLD,
        OPT_ALPHA,
        OPT_MINSEG,
        OPT_LAST,
        OPT_FORMAT,
        OPT_SITES,
        OPT_EXACT_EPS,
};

static const struct option longopts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"rev", required_argument, NULL, OPT_REV},
    {"host", required_argument, NULL, OPT_HOST},
    {"alloc", required_argument, NULL, OPT_ALLOC},
    {"workload", required_argument, NULL, OPT_WORKLOAD},
    {"point", required_argument, NULL, OPT_POINT},
    {"metric", required_argument, NULL, OPT_METRIC},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"alpha", required_argument, NULL, OPT_ALPHA},
    {"min-segment", required_argument, NULL, OPT_MINSEG},
    {"last", required_argument, NULL, OPT_LAST},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"sites", no_argument, NULL, OPT_SITES},
    {"exact-epsilon", required_argument, NULL, OPT_EXACT_EPS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Which subcommands take an option (bit per enum sub). */
static unsigned opt_subs(int c)
{
        const unsigned all = 0xf, add = 1u << SUB_ADD, show = 1u << SUB_SHOW,
                       check = 1u << SUB_CHECK, html = 1u << SUB_HTML;
        switch (c) {
        case OPT_REV:
                return add;
        case OPT_HOST:
        case OPT_ALLOC:
        case OPT_WORKLOAD:
        case OPT_POINT:
        case OPT_METRIC:
                return show | check | html;
        case OPT_THRESHOLD:
        case OPT_ALPHA:
        case OPT_MINSEG:
        case OPT_EXACT_EPS:
                return check | html;
        case OPT_LAST:
        case OPT_SITES:
                return show;
        case OPT_FORMAT:
                return show | check;
        default:
                return all;
        }
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "bench history: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n");
        return AB_BAD_INPUT;
}

static int parse_num(const char *opt, const char *s, double lo, double hi, bool pct, double *out)
{
        char *end;
        double v;
        errno = 0;
        v = strtod(s, &end);
        if (pct && end != s && *end == '%')
                end++;
        if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
                return bad("%s '%s': expected a number from %g to %g%s", opt, s, lo, hi,
                           pct ? " (percent; '5' or '5%')" : "");
        *out = v;
        return 0;
}

/* --metric: a comma list of tracked metrics. */
static int parse_metrics(const char *list)
{
        for (const char *p = list; *p;) {
                size_t k = strcspn(p, ",");
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)(k < 63 ? k : 63), p);
                if (k >= sizeof name || (ab_hmetric(name) < 0 && !ab_hsite_metric(name))) {
                        fprintf(stderr, "bench history: --metric '%s': expected a comma list of ",
                                list);
                        print_metrics(stderr, false, "");
                        fprintf(stderr, ", " AB_HSITE_LEFT ", " AB_HSITE_LIVE "\n");
                        return AB_BAD_INPUT;
                }
                p += k + (p[k] == ',');
        }
        return 0;
}

/* Whole numbers (--min-segment, --last). */
static int parse_whole(const char *opt, const char *s, double lo, double hi, const char *expect,
                       size_t *out)
{
        double v;
        if (parse_num(opt, s, lo, hi, false, &v) || v != floor(v))
                return bad("%s '%s': expected a whole number %s", opt, s, expect);
        *out = (size_t)v;
        return 0;
}

/* One option's value into o. Returns 0 or an exit code. */
static int parse_opt(int c, const char *arg, struct hopts *o)
{
        double v;
        switch (c) {
        case OPT_DB:
                if (!*arg)
                        return bad("--db '': expected the path of an SQLite file or a "
                                   "postgresql:// URL");
                o->db = arg;
                o->default_db = false;
                return 0;
        case OPT_EXACT_EPS:
                return parse_num("--exact-epsilon", arg, 0, 0.5, false, &o->exact_eps)
                           ? AB_BAD_INPUT
                           : 0;
        case OPT_REV:
                if (!*arg || strlen(arg) > 200)
                        return bad("--rev '%s': expected a commit or version, 1 to 200 characters",
                                   arg);
                o->rev = arg;
                return 0;
        case OPT_HOST:
                o->filter.host = arg;
                return 0;
        case OPT_ALLOC:
                o->filter.alloc = arg;
                return 0;
        case OPT_WORKLOAD:
                o->filter.workload = arg;
                return 0;
        case OPT_POINT:
                o->filter.point = arg;
                return 0;
        case OPT_METRIC:
                o->filter.metric = arg;
                return parse_metrics(arg);
        case OPT_THRESHOLD:
                if (parse_num("--threshold", arg, 0, 1000, true, &v))
                        return AB_BAD_INPUT;
                o->cp.min_change = v / 100;
                return 0;
        case OPT_ALPHA:
                if (parse_num("--alpha", arg, 1e-300, 0.5, false, &v))
                        return AB_BAD_INPUT;
                o->cp.alpha = v;
                return 0;
        case OPT_MINSEG:
                return parse_whole("--min-segment", arg, 2, 100000, "from 2 to 100000",
                                   &o->cp.min_seg);
        case OPT_LAST:
                return parse_whole("--last", arg, 1, 1e9, "from 1", &o->last);
        case OPT_SITES:
                o->sites = true;
                return 0;
        default: /* OPT_FORMAT */
                if (strcmp(arg, "table") != 0 && strcmp(arg, "json") != 0)
                        return bad("--format '%s': expected table or json", arg);
                o->json = strcmp(arg, "json") == 0;
                return 0;
        }
}

/* The subcommand in argv[1]. Returns 0, an exit code, or -1 after --help. */
static int parse_sub(int argc, char **argv, struct hopts *o)
{
        int c;
        if (argc < 2)
                return bad("a subcommand is needed (accepted: add FILE.., show, check, html DIR; "
                           "see bench history --help)");
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return -1;
        }
        for (c = 0; c < NSUB; c++)
                if (strcmp(argv[1], sub_names[c]) == 0)
                        break;
        if (c == NSUB)
                return bad("unknown subcommand '%s' (accepted: add FILE.., show, check, html DIR; "
                           "see bench history --help)",
                           argv[1]);
        o->sub = (enum sub)c;
        return 0;
}

/* The arguments left after the options. */
static int check_args(const struct hopts *o)
{
        switch (o->sub) {
        case SUB_ADD:
                if (o->nargs < 1)
                        return bad("add needs one or more results files (bench history add "
                                   "FILE.. [--rev REV] [--db PATH])");
                return 0;
        case SUB_HTML:
                if (o->nargs != 1)
                        return bad("html needs one directory (bench history html DIR [--db "
                                   "PATH])");
                return 0;
        default:
                if (o->nargs)
                        return bad("unexpected argument '%s' (bench history %s takes options "
                                   "only; see bench history --help)",
                                   o->args[0], sub_names[o->sub]);
                return 0;
        }
}

/* Returns 0, an exit code, or -1 after --help. */
static int parse_opts(int argc, char **argv, struct hopts *o)
{
        int c, li = 0, r;
        memset(o, 0, sizeof *o);
        o->db = AB_HISTORY_DEFAULT_DB;
        o->default_db = true;
        if (getenv(AB_HISTORY_DB_ENV) && *getenv(AB_HISTORY_DB_ENV)) {
                o->db = getenv(AB_HISTORY_DB_ENV);
                o->default_db = false;
        }
        o->exact_eps = AB_HEXACT_EPS;
        ab_cp_defaults(&o->cp);
        if ((r = parse_sub(argc, argv, o)))
                return r;
        argc--;
        argv++;
        opterr = 0;
        optind = 0; /* glibc: start afresh */
        while ((c = getopt_long(argc, argv, ":h", longopts, &li)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        return -1;
                }
                if (c == ':')
                        return bad("option %s needs a value (see bench history --help)",
                                   argv[optind - 1]);
                if (c == '?')
                        return bad("unknown option '%s' (see bench history --help)",
                                   argv[optind - 1]);
                if (!(opt_subs(c) & (1u << o->sub)))
                        return bad("option --%s does not apply to history %s (see bench history "
                                   "--help)",
                                   longopts[li].name, sub_names[o->sub]);
                if ((r = parse_opt(c, optarg, o)))
                        return r;
        }
        o->args = argv + optind;
        o->nargs = argc - optind;
        return check_args(o);
}

/* ---- the commands that read ------------------------------------------------- */

static int cmd_html(const struct hopts *o, const struct ab_history *h)
{
        char err[1024];
        size_t nreg = 0;
        if (ab_dashboard_write(o->args[0], h, err, sizeof err)) {
                ab_err("history",
                       "%s (accepted: bench history html DIR, a directory that can be created or "
                       "written)",
                       err);
                return AB_BAD_INPUT;
        }
        for (size_t i = 0; i < h->nseries; i++)
                nreg += ab_hseries_regressed(&h->series[i]);
        printf("dashboard: %s/index.html (%zu series over %zu runs, %zu whose newest change is a "
               "regression)\n",
               o->args[0], h->nseries, h->nruns, nreg);
        return AB_OK;
}

/* Load the history the filters select from the store; h->db is name, the
 * store as people may see it. */
static int load(const struct hopts *o, struct ab_history *h, const char *name)
{
        struct ab_store *s = NULL;
        char err[1024], cerr[256];
        int r;
        memset(h, 0, sizeof *h);
        h->db = name;
        h->params = o->cp;
        h->exact_eps = o->exact_eps;
        if (!(r = ab_store_open(o->db, AB_STORE_READ, &s, err, sizeof err)))
                r = ab_store_load(s, &o->filter,
                                  o->sub == SUB_HTML
                                      ? AB_LOAD_FLAGS | AB_LOAD_SITES | AB_LOAD_SETTINGS
                                  : o->sub == SUB_CHECK ? AB_LOAD_SETTINGS
                                  : o->sites            ? AB_LOAD_SITES
                                                        : 0,
                                  h, err, sizeof err);
        /* reading changes nothing: closing cannot lose anything */
        ab_store_close(s, cerr, sizeof cerr);
        if (r) {
                ab_err("history", "%s", err);
                return AB_BAD_INPUT;
        }
        return 0;
}

int ab_cmd_history(int argc, char **argv)
{
        struct hopts o;
        struct ab_history h;
        char *name;
        int r = parse_opts(argc, argv, &o);
        if (r)
                return r < 0 ? AB_OK : r;
        if (o.sub == SUB_ADD)
                return ab_hadd(o.db, o.default_db, o.rev, o.args, o.nargs);
        if (!(name = ab_store_display(o.db)))
                return bad("out of memory");
        if ((r = load(&o, &h, name))) {
                free(name);
                return r;
        }
        if (o.sub != SUB_SHOW &&
            (ab_history_detect(&h) == -ENOMEM || ab_history_explain(&h) == -ENOMEM)) {
                ab_history_free(&h);
                free(name);
                return bad("out of memory detecting change points");
        }
        switch (o.sub) {
        case SUB_SHOW:
                r = o.sites ? ab_hshow_sites(&h, o.json) : ab_hshow(&h, o.last, o.json);
                break;
        case SUB_CHECK:
                r = ab_hcheck(&h, o.json);
                break;
        default:
                r = cmd_html(&o, &h);
        }
        ab_history_free(&h);
        free(name);
        return r;
}
