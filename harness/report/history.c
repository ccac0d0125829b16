/*
 * history.c - `bench history add FILE.. | show | check | html DIR`: nightly
 * tracking of results files in an SQLite store (default
 * results/history.sqlite, --db PATH).
 *
 * The store (schema allocbench/history/1; `bench history --help` prints the
 * same SQL, which is the text of schema_sql below):
 *
 *   meta(key PRIMARY KEY, value)        -- schema = allocbench/history/1
 *   runs(id INTEGER PRIMARY KEY,
 *        file_hash TEXT UNIQUE,         -- SHA-256 of the file's canonical JSON
 *        file, created, host, rev,      -- created: the results file's UTC time
 *        tool_git, interrupted, added)  -- added: when bench history add ran
 *   series(id INTEGER PRIMARY KEY, host, allocator, workload, point, metric,
 *          UNIQUE(host, allocator, workload, point, metric))
 *   samples(series_id, run_id, value, PRIMARY KEY(series_id, run_id))
 *   flags(run_id, kind, severity, allocator, workload, where_json, message)
 *
 * A run is one results file. Its identity is the SHA-256 of the document
 * re-serialised with sorted keys, no whitespace and numbers by value (a real
 * with an integral value as that integer, other reals to 17 digits), so
 * adding the same results twice (even re-indented, rewritten by `jq .`, or
 * from another path) adds nothing. A
 * series is one figure of one point (its params, as ab_point_label names
 * them) of one allocator and workload on one host; it has at most one value
 * per run and is ordered by the runs' `created`, then by the order they were
 * added. Metrics: ns_per_op (the median over repetitions), minflt_per_op,
 * rss_kib, vsz_kib, pte_kib, peak_rss_kib; a null figure, a negative one
 * (none of them can be; add says so on stderr), and every figure of a point
 * whose status is not ok, is not stored. All of them are worse when higher.
 *
 * Reading, the ids in the store are looked up, never used as indices; an id
 * below 1 (bench history never writes one) refuses the database (exit 1).
 *
 * Several writers at once: the database is in WAL mode, each connection
 * waits up to a minute for the write lock (sqlite3_busy_timeout), and each
 * file is added in one BEGIN IMMEDIATE transaction, so a file is in the
 * store whole or not at all and concurrent adds serialise rather than fail.
 * synchronous=NORMAL: a power cut may lose the last adds, never the store.
 *
 * Every input is checked before the store is opened: a missing or invalid
 * results file, a bad option or an unknown subcommand exits 1 with nothing
 * written.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "measure/bench.h"
#include "report/report.h"
#include "report/history.h"
#include "doc/resfile.h"

#define HISTORY_SCHEMA "allocbench/history/1"
#define DEFAULT_DB     "results/history.sqlite"

static const char schema_sql[] =
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL                -- key 'schema': 'allocbench/history/1'\n"
    ");\n"
    "CREATE TABLE runs (                  -- one per results file added\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  file_hash   TEXT NOT NULL UNIQUE,  -- SHA-256 of the canonical JSON (sorted keys)\n"
    "  file        TEXT NOT NULL,         -- its path when added\n"
    "  created     TEXT NOT NULL,         -- its \"created\" (UTC ISO-8601): the time key\n"
    "  host        TEXT NOT NULL,         -- host.hostname\n"
    "  rev         TEXT,                  -- --rev (commit or version), NULL if none\n"
    "  tool_git    TEXT,                  -- tool.git of the bench that wrote it\n"
    "  interrupted INTEGER NOT NULL,      -- 1 when the run was stopped early\n"
    "  added       TEXT NOT NULL          -- when it was added (UTC ISO-8601)\n"
    ");\n"
    "CREATE INDEX runs_created ON runs (created, id);\n"
    "CREATE TABLE series (                -- one figure of one point over time\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  host      TEXT NOT NULL,\n"
    "  allocator TEXT NOT NULL,           -- allocator.name\n"
    "  workload  TEXT NOT NULL,           -- workload.name\n"
    "  point     TEXT NOT NULL,           -- its params, 'size=4096' ('-': no sweep)\n"
    "  metric    TEXT NOT NULL,           -- ns_per_op (the median), minflt_per_op,\n"
    "                                     -- rss_kib, vsz_kib, pte_kib, peak_rss_kib\n"
    "  UNIQUE (host, allocator, workload, point, metric)\n"
    ");\n"
    "CREATE TABLE samples (\n"
    "  series_id INTEGER NOT NULL REFERENCES series (id),\n"
    "  run_id    INTEGER NOT NULL REFERENCES runs (id),\n"
    "  value     REAL NOT NULL,\n"
    "  PRIMARY KEY (series_id, run_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE flags (                 -- the detectors' flags of each run\n"
    "  run_id     INTEGER NOT NULL REFERENCES runs (id),\n"
    "  kind       TEXT NOT NULL,\n"
    "  severity   TEXT NOT NULL,\n"
    "  allocator  TEXT,\n"
    "  workload   TEXT,\n"
    "  where_json TEXT,                   -- the flag's \"where\" as JSON\n"
    "  message    TEXT\n"
    ");\n"
    "CREATE INDEX flags_run ON flags (run_id);\n";

/* The figures tracked per point. floor: the smallest denominator of a
 * relative change (see changepoint.h), so that 0.01 -> 0.02 faults per op
 * or 40 -> 44 KiB of page tables is not a 10-100% regression. */
static const struct metric {
        const char *name, *unit;
        double floor;
} metrics[] = {
    {"ns_per_op", "ns", 1},   {"minflt_per_op", "faults/op", 1}, {"rss_kib", "KiB", 1024},
    {"vsz_kib", "KiB", 1024}, {"pte_kib", "KiB", 1024},          {"peak_rss_kib", "KiB", 1024},
};
#define NMETRICS (sizeof metrics / sizeof metrics[0])

enum sub { SUB_ADD, SUB_SHOW, SUB_CHECK, SUB_HTML };
static const char *const sub_names[] = {"add", "show", "check", "html"};

struct hopts {
        enum sub sub;
        const char *db;
        bool default_db;
        const char *rev;
        const char *host, *alloc, *workload, *point, *metric; /* comma lists */
        struct ab_cp_params cp;
        size_t last;
        bool json;
        char **args; /* files (add) or DIR (html) */
        int nargs;
};

static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: bench history add FILE.. [--rev REV] [--db PATH]\n"
            "       bench history show  [filters] [--last N] [--format table|json] [--db PATH]\n"
            "       bench history check [filters] [detection] [--format table|json] [--db PATH]\n"
            "       bench history html DIR [filters] [detection] [--db PATH]\n"
            "\n"
            "Nightly tracking of results files in SQLite (default " DEFAULT_DB ").\n"
            "  add     store results files; one series per host x allocator x workload x\n"
            "          point x metric, keyed by the file's time and --rev (a commit or version).\n"
            "          Adding the same results again adds nothing. Safe with concurrent adds.\n"
            "  show    print the series (--last N: only the newest N values of each)\n"
            "  check   find change points in every series; exit 3 when the newest change of\n"
            "          any series is an increase (every figure is worse when higher)\n"
            "  html    write DIR/index.html: a static dashboard (no server, no network) with\n"
            "          a trend chart per series, its change points, the latest run's flags\n"
            "          and links to figures (PNG/SVG in DIR, or next to the latest results\n"
            "          files with the same name stem, copied into DIR/figures/)\n"
            "\n"
            "filters (comma lists of exact names):\n"
            "  --host H  --alloc A  --workload W  --point P (e.g. size=4096)  --metric M\n"
            "  metrics: ns_per_op (median), minflt_per_op, rss_kib, vsz_kib, pte_kib,\n"
            "           peak_rss_kib\n"
            "detection (change points proposed by binary segmentation and kept when\n"
            "Student's t test on the logarithms of the values against their neighbouring\n"
            "segments supports them (timings vary in proportion to their level); see\n"
            "harness/changepoint.h):\n"
            "  --threshold PCT    minimum change of the mean, percent (default 5)\n"
            "  --alpha P          significance after a Bonferroni correction for the\n"
            "                     splits possible (default 0.001)\n"
            "  --min-segment N    runs on each side of a change, at least (default 3)\n"
            "  The change is relative to the mean before it, but never to less than 1 ns,\n"
            "  1 fault/op or 1024 KiB.\n"
            "\n"
            "Nightly (cron or a CI job):\n"
            "  f=results/nightly-$(date -u +%%Y%%m%%d).json\n"
            "  ./bench --alloc=all --workload=calloc-sweep -q -o \"$f\"\n"
            "  ./bench history add \"$f\" --rev \"$(git rev-parse --short HEAD)\"\n"
            "  ./bench history html public/allocbench   # publish the directory as it is\n"
            "  ./bench history check                    # exit 3: a regression\n"
            "\n"
            "Exit codes: 0 ok; 1 bad input (usage, a missing or invalid results file, a\n"
            "database that cannot be opened or written); 3 check: a regression.\n"
            "\n"
            "Schema (" HISTORY_SCHEMA "):\n"
            "\n%s",
            schema_sql);
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

/* ---- SHA-256 (FIPS 180-4), for the identity of a results document ---------- */

struct sha256 {
        uint32_t h[8];
        uint64_t len;
        unsigned char buf[64];
        size_t nbuf;
};

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n)
{
        return (x >> n) | (x << (32 - n));
}

static void sha_block(struct sha256 *s, const unsigned char *p)
{
        uint32_t w[64], a, b, c, d, e, f, g, h;
        for (int i = 0; i < 16; i++)
                w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        for (int i = 16; i < 64; i++) {
                uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
        e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
        for (int i = 0; i < 64; i++) {
                uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
                              sha_k[i] + w[i];
                uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
                h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
        s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(struct sha256 *s)
{
        static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        memcpy(s->h, h0, sizeof h0);
        s->len = 0;
        s->nbuf = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
        const unsigned char *p = data;
        s->len += len;
        while (len) {
                size_t k = 64 - s->nbuf < len ? 64 - s->nbuf : len;
                memcpy(s->buf + s->nbuf, p, k);
                s->nbuf += k;
                p += k;
                len -= k;
                if (s->nbuf == 64) {
                        sha_block(s, s->buf);
                        s->nbuf = 0;
                }
        }
}

static void sha_hex(struct sha256 *s, char out[65])
{
        uint64_t bits = s->len * 8;
        unsigned char pad[72] = {0x80};
        size_t npad = (s->nbuf < 56 ? 56 : 120) - s->nbuf;
        for (int i = 0; i < 8; i++)
                pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
        sha_update(s, pad, npad + 8);
        for (int i = 0; i < 8; i++)
                snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

static int sha_dump_cb(const char *buf, size_t len, void *data)
{
        sha_update(data, buf, len);
        return 0;
}

/* Numbers as JSON means them, not as a parser happened to keep them: a real
 * with an integral value that fits in an integer becomes that integer (0.0
 * and 0 are one number; `jq .` writes 0.0 as 0), in place. */
static void canon_numbers(json_t *j)
{
        const char *key;
        json_t *v;
        size_t i;
        void *tmp;
        if (json_is_object(j)) {
                json_object_foreach_safe(j, tmp, key, v)
                {
                        double d = json_is_real(v) ? json_real_value(v) : 0;
                        if (json_is_real(v) && d == trunc(d) && d >= -0x1p63 && d < 0x1p63)
                                json_object_set_new(j, key, json_integer((json_int_t)d));
                        else
                                canon_numbers(v);
                }
        } else if (json_is_array(j)) {
                json_array_foreach(j, i, v)
                {
                        double d = json_is_real(v) ? json_real_value(v) : 0;
                        if (json_is_real(v) && d == trunc(d) && d >= -0x1p63 && d < 0x1p63)
                                json_array_set_new(j, i, json_integer((json_int_t)d));
                        else
                                canon_numbers(v);
                }
        }
}

static void hash_dump(json_t *doc, char out[65])
{
        struct sha256 s;
        sha_init(&s);
        json_dump_callback(doc, sha_dump_cb, &s,
                           JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII |
                               JSON_REAL_PRECISION(17));
        sha_hex(&s, out);
}

/* The identity of a document: the hash of its canonical serialisation
 * (sorted keys, no whitespace, numbers by value, reals to 17 digits, which
 * round-trip). legacy: the hash stores written before numbers were
 * canonicalised hold (the document as parsed), so that a file added then is
 * still recognised; the same as out when the document has no integral real.
 * Returns 0, or -1 when out of memory. */
static int doc_hash(json_t *doc, char out[65], char legacy[65])
{
        json_t *c = json_deep_copy(doc);
        if (!c)
                return -1;
        canon_numbers(c);
        hash_dump(c, out);
        json_decref(c);
        hash_dump(doc, legacy);
        return 0;
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
                return check | html;
        case OPT_LAST:
                return show;
        case OPT_FORMAT:
                return show | check;
        default:
                return all;
        }
}

static bool in_list(const char *list, const char *v)
{
        size_t n = strlen(v);
        if (!list)
                return true;
        for (const char *p = list; *p;) {
                size_t k = strcspn(p, ",");
                if (k == n && strncmp(p, v, n) == 0)
                        return true;
                p += k + (p[k] == ',');
        }
        return false;
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

/* Returns 0, an exit code, or -1 after --help. */
static int parse_opts(int argc, char **argv, struct hopts *o)
{
        int c, li = 0;
        double v;
        memset(o, 0, sizeof *o);
        o->db = DEFAULT_DB;
        o->default_db = true;
        ab_cp_defaults(&o->cp);
        if (argc < 2)
                return bad("a subcommand is needed (accepted: add FILE.., show, check, html DIR; "
                           "see bench history --help)");
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return -1;
        }
        for (c = 0; c < 4; c++)
                if (strcmp(argv[1], sub_names[c]) == 0)
                        break;
        if (c == 4)
                return bad("unknown subcommand '%s' (accepted: add FILE.., show, check, html DIR; "
                           "see bench history --help)",
                           argv[1]);
        o->sub = (enum sub)c;
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
                switch (c) {
                case OPT_DB:
                        if (!*optarg)
                                return bad("--db '': expected the path of the history database");
                        o->db = optarg;
                        o->default_db = false;
                        break;
                case OPT_REV:
                        if (!*optarg || strlen(optarg) > 200)
                                return bad("--rev '%s': expected a commit or version, 1 to 200 "
                                           "characters",
                                           optarg);
                        o->rev = optarg;
                        break;
                case OPT_HOST:
                        o->host = optarg;
                        break;
                case OPT_ALLOC:
                        o->alloc = optarg;
                        break;
                case OPT_WORKLOAD:
                        o->workload = optarg;
                        break;
                case OPT_POINT:
                        o->point = optarg;
                        break;
                case OPT_METRIC:
                        for (const char *p = optarg; *p;) {
                                size_t k = strcspn(p, ","), m;
                                for (m = 0; m < NMETRICS; m++)
                                        if (strlen(metrics[m].name) == k &&
                                            strncmp(metrics[m].name, p, k) == 0)
                                                break;
                                if (m == NMETRICS)
                                        return bad("--metric '%s': expected a comma list of "
                                                   "ns_per_op, minflt_per_op, rss_kib, vsz_kib, "
                                                   "pte_kib, peak_rss_kib",
                                                   optarg);
                                p += k + (p[k] == ',');
                        }
                        o->metric = optarg;
                        break;
                case OPT_THRESHOLD:
                        if (parse_num("--threshold", optarg, 0, 1000, true, &v))
                                return AB_BAD_INPUT;
                        o->cp.min_change = v / 100;
                        break;
                case OPT_ALPHA:
                        if (parse_num("--alpha", optarg, 1e-300, 0.5, false, &v))
                                return AB_BAD_INPUT;
                        o->cp.alpha = v;
                        break;
                case OPT_MINSEG:
                        if (parse_num("--min-segment", optarg, 2, 100000, false, &v) ||
                            v != floor(v))
                                return bad("--min-segment '%s': expected a whole number from 2 "
                                           "to 100000",
                                           optarg);
                        o->cp.min_seg = (size_t)v;
                        break;
                case OPT_LAST:
                        if (parse_num("--last", optarg, 1, 1e9, false, &v) || v != floor(v))
                                return bad("--last '%s': expected a whole number from 1", optarg);
                        o->last = (size_t)v;
                        break;
                case OPT_FORMAT:
                        if (strcmp(optarg, "table") == 0)
                                o->json = false;
                        else if (strcmp(optarg, "json") == 0)
                                o->json = true;
                        else
                                return bad("--format '%s': expected table or json", optarg);
                        break;
                }
        }
        o->args = argv + optind;
        o->nargs = argc - optind;
        switch (o->sub) {
        case SUB_ADD:
                if (o->nargs < 1)
                        return bad("add needs one or more results files (bench history add "
                                   "FILE.. [--rev REV] [--db PATH])");
                break;
        case SUB_HTML:
                if (o->nargs != 1)
                        return bad("html needs one directory (bench history html DIR [--db "
                                   "PATH])");
                break;
        default:
                if (o->nargs)
                        return bad("unexpected argument '%s' (bench history %s takes options "
                                   "only; see bench history --help)",
                                   o->args[0], sub_names[o->sub]);
        }
        return 0;
}

/* ---- the database ------------------------------------------------------- */

static int dberr(sqlite3 *db, const char *path, const char *what)
{
        fprintf(stderr,
                "bench history: %s %s: %s (accepted: --db PATH, an SQLite file bench history add "
                "can create and write; default " DEFAULT_DB ")\n",
                what, path, db ? sqlite3_errmsg(db) : "out of memory");
        return AB_BAD_INPUT;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? (const char *)t : NULL;
}

/* "" when the database holds our schema, else why not. n_tables: how many
 * tables it has at all. */
static int check_schema(sqlite3 *db, int *n_tables, char *why, size_t len)
{
        sqlite3_stmt *st = NULL;
        int rc;
        why[0] = '\0';
        rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1,
                                &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
                rc = SQLITE_OK;
        *n_tables = rc == SQLITE_OK ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
                return rc;
        if (*n_tables == 0)
                return SQLITE_OK;
        rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL);
        if (rc != SQLITE_OK) {
                snprintf(why, len, "not an allocbench history database (it has no meta table)");
                return SQLITE_OK;
        }
        if (sqlite3_step(st) != SQLITE_ROW)
                snprintf(why, len, "not an allocbench history database (no schema in meta)");
        else if (strcmp(col_text(st, 0) ? col_text(st, 0) : "", HISTORY_SCHEMA) != 0)
                snprintf(why, len, "schema %s, this bench reads " HISTORY_SCHEMA,
                         col_text(st, 0) ? col_text(st, 0) : "null");
        sqlite3_finalize(st);
        return SQLITE_OK;
}

/* Run sql, retrying while another connection holds a lock the busy handler
 * does not wait for (changing the journal mode of a new database). */
static int exec_retry(sqlite3 *db, const char *sql)
{
        int rc;
        for (int i = 0; i < 6000; i++) {
                rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
                if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                        return rc;
                usleep(10000);
        }
        return rc;
}

/* Open the store. write: create it (and its schema) when missing. */
static int db_open(const struct hopts *o, bool write, sqlite3 **out)
{
        sqlite3 *db = NULL;
        struct stat st;
        char why[256];
        int rc, ntab;

        *out = NULL;
        if (stat(o->db, &st) == 0 && S_ISDIR(st.st_mode))
                return bad("--db %s is a directory (accepted: --db PATH of an SQLite file; "
                           "default " DEFAULT_DB ")",
                           o->db);
        if (!write && stat(o->db, &st) != 0)
                return bad("no history database at %s (bench history add FILE.. creates it; "
                           "--db PATH names another)",
                           o->db);
        if (write && o->default_db)
                mkdir("results", 0777);
        rc = sqlite3_open_v2(
            o->db, &db, write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE,
            NULL);
        if (rc != SQLITE_OK && !write) {
                /* a read-only copy (a CI artifact) is fine to read */
                sqlite3_close(db);
                db = NULL;
                rc = sqlite3_open_v2(o->db, &db, SQLITE_OPEN_READONLY, NULL);
        }
        if (rc != SQLITE_OK) {
                dberr(db, o->db, "cannot open the history database");
                sqlite3_close(db);
                return AB_BAD_INPUT;
        }
        sqlite3_busy_timeout(db, 60000);
        if (write) {
                sqlite3_stmt *q = NULL;
                rc = SQLITE_OK;
                for (int i = 0; i < 6000; i++) {
                        rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
                        if (rc == SQLITE_OK)
                                rc = sqlite3_step(q);
                        if (rc == SQLITE_ROW &&
                            strcmp(col_text(q, 0) ? col_text(q, 0) : "", "wal") != 0)
                                rc = SQLITE_ERROR;
                        sqlite3_finalize(q);
                        q = NULL;
                        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                                break;
                        usleep(10000);
                }
                if (rc != SQLITE_ROW) {
                        dberr(db, o->db, "cannot write the history database");
                        sqlite3_close(db);
                        return AB_BAD_INPUT;
                }
                if (exec_retry(db, "PRAGMA synchronous = NORMAL") != SQLITE_OK ||
                    exec_retry(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
                        dberr(db, o->db, "cannot write the history database");
                        sqlite3_close(db);
                        return AB_BAD_INPUT;
                }
        }
        rc = check_schema(db, &ntab, why, sizeof why);
        if (rc != SQLITE_OK) {
                dberr(db, o->db, "cannot read the history database");
                sqlite3_close(db);
                return AB_BAD_INPUT;
        }
        if (!why[0] && ntab == 0) {
                if (!write)
                        snprintf(why, sizeof why, "an empty database (bench history add fills it)");
                else if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
                         sqlite3_exec(
                             db,
                             "INSERT INTO meta (key, value) VALUES ('schema', '" HISTORY_SCHEMA
                             "')",
                             NULL, NULL, NULL) != SQLITE_OK) {
                        dberr(db, o->db, "cannot create the history schema in");
                        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
                        sqlite3_close(db);
                        return AB_BAD_INPUT;
                }
        }
        if (why[0]) {
                if (write)
                        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
                sqlite3_close(db);
                return bad("%s: %s (accepted: --db PATH of a database bench history add created)",
                           o->db, why);
        }
        if (write && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                dberr(db, o->db, "cannot write the history database");
                sqlite3_close(db);
                return AB_BAD_INPUT;
        }
        *out = db;
        return 0;
}

/* ---- add ----------------------------------------------------------------- */

struct addst {
        sqlite3_stmt *run_by_hash, *ins_run, *sel_series, *ins_series, *ins_sample, *ins_flag;
};

static const char *addst_sql[] = {
    "SELECT id FROM runs WHERE file_hash IN (?1, ?2) ORDER BY file_hash = ?1 DESC LIMIT 1",
    "INSERT INTO runs (file_hash, file, created, host, rev, tool_git, interrupted, added) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "SELECT id FROM series WHERE host = ?1 AND allocator = ?2 AND workload = ?3 AND "
    "point = ?4 AND metric = ?5",
    "INSERT INTO series (host, allocator, workload, point, metric) VALUES (?1, ?2, ?3, ?4, "
    "?5)",
    "INSERT OR IGNORE INTO samples (series_id, run_id, value) VALUES (?1, ?2, ?3)",
    "INSERT INTO flags (run_id, kind, severity, allocator, workload, where_json, message) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

static sqlite3_stmt **addst_at(struct addst *s, size_t i)
{
        sqlite3_stmt **all[] = {&s->run_by_hash, &s->ins_run,    &s->sel_series,
                                &s->ins_series,  &s->ins_sample, &s->ins_flag};
        return all[i];
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
        if (s)
                sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

/* Step a statement that returns no row (or one id); -1 on error. */
static int64_t step_id(sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);
        int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : -1;
}

/* A point's figure: metric m, or NAN when it was not measured. */
static double point_figure(json_t *pt, size_t m)
{
        json_t *v = json_object_get(pt, metrics[m].name);
        if (m == 0 && json_is_object(v))
                v = json_object_get(v, "median");
        return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *or_empty(json_t *s)
{
        return json_is_string(s) ? json_string_value(s) : "";
}

static void utc_now(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct added {
        int64_t run_id;
        bool dup;
        size_t values, new_series, skipped_points;
        size_t negative;    /* negative figures, not stored */
        char neg_what[640]; /* the first of them */
};

/* Add one document in one transaction. Returns 0 or -1 (message printed). */
static int add_doc(sqlite3 *db, struct addst *st, const struct hopts *o, const char *path,
                   json_t *doc, const char *hash, const char *legacy, struct added *res)
{
        char real[PATH_MAX], now[32];
        const char *host, *created;
        json_t *run, *pt, *flag;
        size_t i, j;
        memset(res, 0, sizeof *res);
        host = json_string_value(json_object_get(json_object_get(doc, "host"), "hostname"));
        created = json_string_value(json_object_get(doc, "created"));
        if (!realpath(path, real))
                snprintf(real, sizeof real, "%s", path);
        utc_now(now, sizeof now);
        if (exec_retry(db, "BEGIN IMMEDIATE") != SQLITE_OK)
                goto fail;
        sqlite3_bind_text(st->run_by_hash, 1, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st->run_by_hash, 2, legacy, -1, SQLITE_TRANSIENT);
        res->run_id = step_id(st->run_by_hash);
        if (res->run_id < 0)
                goto fail;
        if (res->run_id > 0) {
                res->dup = true;
                return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
        }
        bind_text(st->ins_run, 1, hash);
        bind_text(st->ins_run, 2, real);
        bind_text(st->ins_run, 3, created);
        bind_text(st->ins_run, 4, host);
        bind_text(st->ins_run, 5, o->rev);
        bind_text(st->ins_run, 6,
                  json_string_value(json_object_get(json_object_get(doc, "tool"), "git")));
        sqlite3_bind_int(st->ins_run, 7, json_is_true(json_object_get(doc, "interrupted")));
        bind_text(st->ins_run, 8, now);
        if (step_id(st->ins_run) < 0)
                goto fail;
        res->run_id = sqlite3_last_insert_rowid(db);
        json_array_foreach(json_object_get(doc, "runs"), i, run)
        {
                const char *alloc =
                    json_string_value(json_object_get(json_object_get(run, "allocator"), "name"));
                const char *wl =
                    json_string_value(json_object_get(json_object_get(run, "workload"), "name"));
                json_array_foreach(json_object_get(run, "points"), j, pt)
                {
                        const char *status = json_string_value(json_object_get(pt, "status"));
                        char label[512];
                        if (status && strcmp(status, "ok") != 0) {
                                res->skipped_points++;
                                continue;
                        }
                        ab_point_label(pt, label, sizeof label);
                        for (size_t m = 0; m < NMETRICS; m++) {
                                double v = point_figure(pt, m);
                                int64_t sid;
                                if (!isfinite(v))
                                        continue;
                                /* a time, a size or a fault count is never
                                 * negative, and every figure is tested on a
                                 * log scale */
                                if (v < 0) {
                                        if (!res->negative++)
                                                snprintf(res->neg_what, sizeof res->neg_what,
                                                         "%s %s %s %s = %g", alloc ? alloc : "?",
                                                         wl ? wl : "?", label, metrics[m].name, v);
                                        continue;
                                }
                                bind_text(st->sel_series, 1, host);
                                bind_text(st->sel_series, 2, alloc);
                                bind_text(st->sel_series, 3, wl);
                                bind_text(st->sel_series, 4, label);
                                bind_text(st->sel_series, 5, metrics[m].name);
                                sid = step_id(st->sel_series);
                                if (sid < 0)
                                        goto fail;
                                if (sid == 0) {
                                        bind_text(st->ins_series, 1, host);
                                        bind_text(st->ins_series, 2, alloc);
                                        bind_text(st->ins_series, 3, wl);
                                        bind_text(st->ins_series, 4, label);
                                        bind_text(st->ins_series, 5, metrics[m].name);
                                        if (step_id(st->ins_series) < 0)
                                                goto fail;
                                        sid = sqlite3_last_insert_rowid(db);
                                        res->new_series++;
                                }
                                sqlite3_bind_int64(st->ins_sample, 1, sid);
                                sqlite3_bind_int64(st->ins_sample, 2, res->run_id);
                                sqlite3_bind_double(st->ins_sample, 3, v);
                                if (step_id(st->ins_sample) < 0)
                                        goto fail;
                                res->values += (size_t)sqlite3_changes(db);
                        }
                }
        }
        json_array_foreach(json_object_get(doc, "flags"), i, flag)
        {
                char *where = json_dumps(json_object_get(flag, "where"),
                                         JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
                sqlite3_bind_int64(st->ins_flag, 1, res->run_id);
                bind_text(st->ins_flag, 2, or_empty(json_object_get(flag, "kind")));
                bind_text(st->ins_flag, 3, or_empty(json_object_get(flag, "severity")));
                bind_text(st->ins_flag, 4, json_string_value(json_object_get(flag, "allocator")));
                bind_text(st->ins_flag, 5, json_string_value(json_object_get(flag, "workload")));
                bind_text(st->ins_flag, 6, where);
                bind_text(st->ins_flag, 7, json_string_value(json_object_get(flag, "message")));
                free(where);
                if (step_id(st->ins_flag) < 0)
                        goto fail;
        }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                goto fail;
        return 0;
fail:
        fprintf(stderr, "bench history: adding %s to %s failed: %s; nothing of it was added\n",
                path, o->db, sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
}

static int cmd_add(const struct hopts *o)
{
        json_t **docs = calloc((size_t)o->nargs, sizeof *docs);
        char(*hash)[65] = calloc((size_t)o->nargs, sizeof *hash);
        char(*legacy)[65] = calloc((size_t)o->nargs, sizeof *legacy);
        char err[1024];
        struct addst st = {0};
        sqlite3 *db = NULL;
        int ret = AB_OK;

        if (!docs || !hash || !legacy) {
                ret = bad("out of memory");
                goto out;
        }
        /* every file is checked before the store is touched */
        for (int i = 0; i < o->nargs; i++) {
                json_t *doc = ab_results_load(o->args[i], err, sizeof err);
                if (!doc) {
                        ret = bad("%s", err);
                        goto out;
                }
                docs[i] = doc;
                if (!json_is_string(json_object_get(doc, "created")) ||
                    !json_is_string(json_object_get(json_object_get(doc, "host"), "hostname"))) {
                        ret = bad("%s: lacks \"created\" or \"host.hostname\" (accepted: a results "
                                  "file written by bench run)",
                                  o->args[i]);
                        goto out;
                }
                if (doc_hash(doc, hash[i], legacy[i])) {
                        ret = bad("out of memory");
                        goto out;
                }
        }
        if ((ret = db_open(o, true, &db)))
                goto out;
        for (size_t k = 0; k < sizeof addst_sql / sizeof addst_sql[0]; k++) {
                if (sqlite3_prepare_v2(db, addst_sql[k], -1, addst_at(&st, k), NULL) != SQLITE_OK) {
                        ret = dberr(db, o->db, "cannot use the history database");
                        goto out;
                }
        }
        for (int i = 0; i < o->nargs; i++) {
                struct added a;
                if (add_doc(db, &st, o, o->args[i], docs[i], hash[i], legacy[i], &a)) {
                        ret = AB_BAD_INPUT;
                        continue;
                }
                if (a.dup) {
                        printf("%s: already in the history as run %lld (the same results); "
                               "nothing added\n",
                               o->args[i], (long long)a.run_id);
                        continue;
                }
                printf("added %s as run %lld (%s, %s%s%s): %zu values, %zu new series", o->args[i],
                       (long long)a.run_id,
                       json_string_value(
                           json_object_get(json_object_get(docs[i], "host"), "hostname")),
                       json_string_value(json_object_get(docs[i], "created")),
                       o->rev ? ", rev " : "", o->rev ? o->rev : "", a.values, a.new_series);
                if (a.skipped_points)
                        printf(" (%zu points not ok, not stored)", a.skipped_points);
                if (a.negative)
                        printf(" (%zu negative value%s, not stored)", a.negative,
                               a.negative == 1 ? "" : "s");
                printf("\n");
                if (a.negative)
                        fprintf(stderr,
                                "bench history: %s: %zu negative value%s not stored (a time, a "
                                "size or a fault count cannot be negative), the first: %s\n",
                                o->args[i], a.negative, a.negative == 1 ? "" : "s", a.neg_what);
        }
out:
        for (size_t k = 0; k < sizeof addst_sql / sizeof addst_sql[0]; k++)
                sqlite3_finalize(*addst_at(&st, k));
        sqlite3_close(db);
        for (int i = 0; docs && i < o->nargs; i++)
                json_decref(docs[i]);
        free(docs);
        free(hash);
        free(legacy);
        return ret;
}

/* ---- reading the store back ---------------------------------------------- */

static size_t metric_index(const char *name)
{
        for (size_t m = 0; m < NMETRICS; m++)
                if (strcmp(metrics[m].name, name) == 0)
                        return m;
        return NMETRICS;
}

static int cmp_series(const void *pa, const void *pb)
{
        const struct ab_hseries *a = pa, *b = pb;
        int c;
        if ((c = strcmp(a->host, b->host)) || (c = strcmp(a->workload, b->workload)) ||
            (c = ab_natcmp(a->point, b->point)) || (c = strcmp(a->alloc, b->alloc)))
                return c;
        c = (int)metric_index(a->metric) - (int)metric_index(b->metric);
        return c ? c : strcmp(a->metric, b->metric);
}

struct pair {
        size_t run;
        double v;
};

static int cmp_pair(const void *pa, const void *pb)
{
        const struct pair *a = pa, *b = pb;
        return a->run < b->run ? -1 : a->run > b->run;
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

static void history_free(struct ab_history *h)
{
        for (size_t i = 0; i < h->nruns; i++) {
                free(h->runs[i].created);
                free(h->runs[i].rev);
                free(h->runs[i].host);
                free(h->runs[i].file);
        }
        for (size_t i = 0; i < h->nseries; i++) {
                struct ab_hseries *s = &h->series[i];
                free(s->host);
                free(s->alloc);
                free(s->workload);
                free(s->point);
                free(s->metric);
                free(s->v);
                free(s->run);
                free(s->cp);
        }
        for (size_t i = 0; i < h->nflags; i++) {
                struct ab_hflag *f = &h->flags[i];
                free(f->kind);
                free(f->severity);
                free(f->alloc);
                free(f->workload);
                free(f->where);
                free(f->message);
        }
        free(h->runs);
        free(h->series);
        free(h->flags);
        memset(h, 0, sizeof *h);
}

static bool series_wanted(const struct hopts *o, const char *host, const char *alloc,
                          const char *wl, const char *point, const char *metric)
{
        return in_list(o->host, host) && in_list(o->alloc, alloc) && in_list(o->workload, wl) &&
               in_list(o->point, point) && in_list(o->metric, metric);
}

#define LOAD_FAIL(what)                                                                            \
        do {                                                                                       \
                dberr(db, o->db, what);                                                            \
                goto fail;                                                                         \
        } while (0)

/* A row id bench history add cannot have written (SQLite numbers rows from
 * 1): the database was made or changed by something else. */
#define LOAD_BAD_ID(table, col, id)                                                                \
        do {                                                                                       \
                bad("%s: %s.%s %lld is out of range (rows are numbered from 1): this database "    \
                    "was not written by bench history (accepted: --db PATH of a database bench "   \
                    "history add created)",                                                        \
                    o->db, table, col, (long long)(id));                                           \
                goto fail;                                                                         \
        } while (0)

/* A database id and the index of its row in memory. Ids are looked up in a
 * sorted array of these, never used as indices: they are whatever the file
 * says. */
struct idmap {
        int64_t id;
        size_t i;
};

static int cmp_idmap(const void *pa, const void *pb)
{
        const struct idmap *a = pa, *b = pb;
        return a->id < b->id ? -1 : a->id > b->id;
}

/* The index of id in m[0..n) (sorted), or SIZE_MAX. */
static size_t idmap_find(const struct idmap *m, size_t n, int64_t id)
{
        struct idmap key = {.id = id};
        const struct idmap *f = n ? bsearch(&key, m, n, sizeof *m, cmp_idmap) : NULL;
        return f ? f->i : SIZE_MAX;
}

/* Sort m[0..n); the first id that occurs twice, or 0 when they are unique. */
static int64_t idmap_sort(struct idmap *m, size_t n)
{
        if (n)
                qsort(m, n, sizeof *m, cmp_idmap);
        for (size_t i = 1; i < n; i++)
                if (m[i].id == m[i - 1].id)
                        return m[i].id;
        return 0;
}

/* Load runs, the series the filters select (with their values) and, when
 * flags, the flags of each host's latest run. Returns 0 or an exit code. */
static int load_history(sqlite3 *db, const struct hopts *o, struct ab_history *h, bool flags)
{
        sqlite3_stmt *st = NULL;
        struct idmap *rmap = NULL, *smap = NULL;
        size_t nr = 0;
        struct {
                struct pair *p;
                size_t n, cap;
        } *acc = NULL;
        int64_t dup;
        int rc;

        memset(h, 0, sizeof *h);
        h->db = o->db;
        h->params = o->cp;

        /* runs, oldest first */
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM runs", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
                LOAD_FAIL("cannot read the history database");
        nr = (size_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        h->runs = calloc(nr ? nr : 1, sizeof *h->runs);
        rmap = calloc(nr ? nr : 1, sizeof *rmap);
        if (!h->runs || !rmap)
                LOAD_FAIL("out of memory reading");
        if (sqlite3_prepare_v2(db,
                               "SELECT id, created, rev, host, file FROM runs ORDER BY created, id",
                               -1, &st, NULL) != SQLITE_OK)
                LOAD_FAIL("cannot read the history database");
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && h->nruns < nr) {
                struct ab_hrun *r = &h->runs[h->nruns];
                r->id = sqlite3_column_int64(st, 0);
                if (r->id < 1)
                        LOAD_BAD_ID("runs", "id", r->id);
                r->created = dup_or_null(col_text(st, 1));
                r->rev = dup_or_null(col_text(st, 2));
                r->host = dup_or_null(col_text(st, 3));
                r->file = dup_or_null(col_text(st, 4));
                rmap[h->nruns].id = r->id;
                rmap[h->nruns].i = h->nruns;
                h->nruns++;
                if (!r->created || !r->host || !r->file)
                        LOAD_FAIL("out of memory or bad data reading");
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                LOAD_FAIL("cannot read the history database");
        sqlite3_finalize(st);
        st = NULL;
        if ((dup = idmap_sort(rmap, h->nruns)))
                LOAD_BAD_ID("runs", "id (twice)", dup);
        for (size_t i = h->nruns; i-- > 0;) {
                bool seen = false;
                for (size_t k = i + 1; k < h->nruns && !seen; k++)
                        seen = strcmp(h->runs[k].host, h->runs[i].host) == 0;
                h->runs[i].latest = !seen;
        }

        /* the series the filters select */
        {
                size_t cap = 0;
                if (sqlite3_prepare_v2(db,
                                       "SELECT id, host, allocator, workload, point, metric FROM "
                                       "series",
                                       -1, &st, NULL) != SQLITE_OK)
                        LOAD_FAIL("cannot read the history database");
                while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                        struct ab_hseries *s;
                        const char *host = col_text(st, 1), *alloc = col_text(st, 2),
                                   *wl = col_text(st, 3), *point = col_text(st, 4),
                                   *metric = col_text(st, 5);
                        size_t m;
                        if (sqlite3_column_int64(st, 0) < 1)
                                LOAD_BAD_ID("series", "id", sqlite3_column_int64(st, 0));
                        if (!host || !alloc || !wl || !point || !metric)
                                continue;
                        if (!series_wanted(o, host, alloc, wl, point, metric))
                                continue;
                        if (h->nseries == cap) {
                                void *p;
                                cap = cap ? 2 * cap : 64;
                                p = realloc(h->series, cap * sizeof *h->series);
                                if (!p)
                                        LOAD_FAIL("out of memory reading");
                                h->series = p;
                        }
                        s = &h->series[h->nseries++];
                        memset(s, 0, sizeof *s);
                        s->id = sqlite3_column_int64(st, 0);
                        s->host = strdup(host);
                        s->alloc = strdup(alloc);
                        s->workload = strdup(wl);
                        s->point = strdup(point);
                        s->metric = strdup(metric);
                        m = metric_index(metric);
                        s->unit = m < NMETRICS ? metrics[m].unit : "";
                        if (!s->host || !s->alloc || !s->workload || !s->point || !s->metric)
                                LOAD_FAIL("out of memory reading");
                }
                if (rc != SQLITE_DONE)
                        LOAD_FAIL("cannot read the history database");
                sqlite3_finalize(st);
                st = NULL;
                if (h->nseries)
                        qsort(h->series, h->nseries, sizeof *h->series, cmp_series);
                smap = calloc(h->nseries ? h->nseries : 1, sizeof *smap);
                acc = calloc(h->nseries ? h->nseries : 1, sizeof *acc);
                if (!smap || !acc)
                        LOAD_FAIL("out of memory reading");
                for (size_t i = 0; i < h->nseries; i++) {
                        smap[i].id = h->series[i].id;
                        smap[i].i = i;
                }
                if ((dup = idmap_sort(smap, h->nseries)))
                        LOAD_BAD_ID("series", "id (twice)", dup);

                /* their values */
                if (sqlite3_prepare_v2(db, "SELECT series_id, run_id, value FROM samples", -1, &st,
                                       NULL) != SQLITE_OK)
                        LOAD_FAIL("cannot read the history database");
                while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                        int64_t sid = sqlite3_column_int64(st, 0),
                                rid = sqlite3_column_int64(st, 1);
                        size_t si, ri;
                        if (sid < 1)
                                LOAD_BAD_ID("samples", "series_id", sid);
                        if (rid < 1)
                                LOAD_BAD_ID("samples", "run_id", rid);
                        si = idmap_find(smap, h->nseries, sid);
                        ri = idmap_find(rmap, h->nruns, rid);
                        if (si == SIZE_MAX || ri == SIZE_MAX)
                                continue;
                        if (acc[si].n == acc[si].cap) {
                                void *p;
                                acc[si].cap = acc[si].cap ? 2 * acc[si].cap : 16;
                                p = realloc(acc[si].p, acc[si].cap * sizeof *acc[si].p);
                                if (!p)
                                        LOAD_FAIL("out of memory reading");
                                acc[si].p = p;
                        }
                        acc[si].p[acc[si].n].run = ri;
                        acc[si].p[acc[si].n++].v = sqlite3_column_double(st, 2);
                }
                if (rc != SQLITE_DONE)
                        LOAD_FAIL("cannot read the history database");
                sqlite3_finalize(st);
                st = NULL;
                for (size_t i = 0; i < h->nseries; i++) {
                        struct ab_hseries *s = &h->series[i];
                        size_t n = acc[i].n;
                        if (n)
                                qsort(acc[i].p, n, sizeof *acc[i].p, cmp_pair);
                        s->v = malloc((n ? n : 1) * sizeof *s->v);
                        s->run = malloc((n ? n : 1) * sizeof *s->run);
                        if (!s->v || !s->run)
                                LOAD_FAIL("out of memory reading");
                        for (size_t k = 0; k < n; k++) {
                                s->v[k] = acc[i].p[k].v;
                                s->run[k] = acc[i].p[k].run;
                        }
                        s->n = n;
                }
        }

        /* the flags of each host's latest run */
        if (flags) {
                size_t cap = 0;
                if (sqlite3_prepare_v2(db,
                                       "SELECT kind, severity, allocator, workload, where_json, "
                                       "message FROM flags WHERE run_id = ?1 ORDER BY rowid",
                                       -1, &st, NULL) != SQLITE_OK)
                        LOAD_FAIL("cannot read the history database");
                for (size_t i = 0; i < h->nruns; i++) {
                        if (!h->runs[i].latest || !in_list(o->host, h->runs[i].host))
                                continue;
                        sqlite3_bind_int64(st, 1, h->runs[i].id);
                        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                                struct ab_hflag *f;
                                const char *alloc = col_text(st, 2), *wl = col_text(st, 3);
                                if ((o->alloc && (!alloc || !in_list(o->alloc, alloc))) ||
                                    (o->workload && (!wl || !in_list(o->workload, wl))))
                                        continue;
                                if (h->nflags == cap) {
                                        void *p;
                                        cap = cap ? 2 * cap : 16;
                                        p = realloc(h->flags, cap * sizeof *h->flags);
                                        if (!p)
                                                LOAD_FAIL("out of memory reading");
                                        h->flags = p;
                                }
                                f = &h->flags[h->nflags++];
                                f->run = i;
                                f->kind = dup_or_null(col_text(st, 0));
                                f->severity = dup_or_null(col_text(st, 1));
                                f->alloc = dup_or_null(alloc);
                                f->workload = dup_or_null(wl);
                                f->where = dup_or_null(col_text(st, 4));
                                f->message = dup_or_null(col_text(st, 5));
                        }
                        sqlite3_reset(st);
                        if (rc != SQLITE_DONE)
                                LOAD_FAIL("cannot read the history database");
                }
                sqlite3_finalize(st);
                st = NULL;
        }
        for (size_t i = 0; acc && i < h->nseries; i++)
                free(acc[i].p);
        free(acc);
        free(rmap);
        free(smap);
        return 0;
fail:
        sqlite3_finalize(st);
        for (size_t i = 0; acc && i < h->nseries; i++)
                free(acc[i].p);
        free(acc);
        free(rmap);
        free(smap);
        history_free(h);
        return AB_BAD_INPUT;
}

/* Change points of every series, each with its metric's floor. A series
 * the detector cannot test (a negative value on a log scale, from a store
 * written before add refused them, or one edited by hand) is skipped with a
 * warning: it has no change points. Returns 0 or -ENOMEM. */
static int detect_all(struct ab_history *h)
{
        for (size_t i = 0; i < h->nseries; i++) {
                struct ab_hseries *s = &h->series[i];
                struct ab_cp_params p = h->params;
                size_t m = metric_index(s->metric), cap = s->n / p.min_seg + 1;
                int r;
                p.floor = m < NMETRICS ? metrics[m].floor : 0;
                /* timings and sizes vary in proportion to their level: test
                 * their logarithms, report their values */
                p.log_scale = p.floor > 0;
                s->cp = calloc(cap, sizeof *s->cp);
                if (!s->cp)
                        return -ENOMEM;
                r = ab_cp_detect(s->v, s->n, &p, s->cp, cap);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        size_t k = 0;
                        while (k < s->n && isfinite(s->v[k]) && !(p.log_scale && s->v[k] < 0))
                                k++;
                        if (k < s->n)
                                fprintf(stderr,
                                        "bench history: warning: series %s %s %s %s %s not tested "
                                        "for change points: its value %g of run #%lld (%s) is "
                                        "%s\n",
                                        s->host, s->alloc, s->workload, s->point, s->metric,
                                        s->v[k], (long long)h->runs[s->run[k]].id,
                                        h->runs[s->run[k]].created,
                                        isfinite(s->v[k]) ? "negative" : "not finite");
                        else
                                fprintf(stderr,
                                        "bench history: warning: series %s %s %s %s %s not tested "
                                        "for change points: %s\n",
                                        s->host, s->alloc, s->workload, s->point, s->metric,
                                        strerror(-r));
                        s->ncp = 0;
                        continue;
                }
                s->ncp = (size_t)r < cap ? (size_t)r : cap;
        }
        return 0;
}

/* ---- output -------------------------------------------------------------- */

/* A table printed with its columns aligned: text left, numbers right. */
#define TCOLS 12
struct table {
        char (*cell)[TCOLS][96];
        size_t rows, cap, cols;
        bool right[TCOLS];
};

__attribute__((format(printf, 3, 4))) static void tset(struct table *t, size_t col, const char *fmt,
                                                       ...)
{
        va_list ap;
        if (t->rows == 0 || col >= TCOLS)
                return;
        va_start(ap, fmt);
        vsnprintf(t->cell[t->rows - 1][col], sizeof t->cell[0][0], fmt, ap);
        va_end(ap);
        if (col + 1 > t->cols)
                t->cols = col + 1;
}

static int trow(struct table *t)
{
        if (t->rows == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 64;
                void *p = realloc(t->cell, cap * sizeof *t->cell);
                if (!p)
                        return -ENOMEM;
                t->cell = p;
                t->cap = cap;
        }
        memset(t->cell[t->rows++], 0, sizeof *t->cell);
        return 0;
}

/* Display width of UTF-8 text (every code point one column). */
static size_t width(const char *s)
{
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

static void tprint(FILE *f, struct table *t, const char *indent)
{
        size_t w[TCOLS] = {0};
        for (size_t r = 0; r < t->rows; r++)
                for (size_t c = 0; c < t->cols; c++)
                        if (width(t->cell[r][c]) > w[c])
                                w[c] = width(t->cell[r][c]);
        for (size_t r = 0; r < t->rows; r++) {
                char line[TCOLS * 100] = "";
                size_t off = 0;
                for (size_t c = 0; c < t->cols; c++) {
                        const char *s = t->cell[r][c];
                        size_t pad = w[c] - width(s);
                        off += (size_t)snprintf(line + off, sizeof line - off, "%s%*s%s%*s",
                                                c ? "  " : "", t->right[c] ? (int)pad : 0, "", s,
                                                t->right[c] || c + 1 == t->cols ? 0 : (int)pad, "");
                        if (off >= sizeof line)
                                break;
                }
                while (off > 0 && off < sizeof line && line[off - 1] == ' ')
                        line[--off] = '\0';
                fprintf(f, "%s%s\n", indent, line);
        }
        free(t->cell);
        memset(t, 0, sizeof *t);
}

static const char *rev_or(const struct ab_hrun *r)
{
        return r->rev ? r->rev : "-";
}

/* A JSON number, or null for NaN and infinities (JSON has neither). */
static json_t *jreal(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

static json_t *run_json(const struct ab_hrun *r)
{
        return json_pack("{sI ss so ss ss}", "id", (json_int_t)r->id, "created", r->created, "rev",
                         r->rev ? json_string(r->rev) : json_null(), "host", r->host, "file",
                         r->file);
}

static json_t *series_json(const struct ab_hseries *s)
{
        return json_pack("{ss ss ss ss ss ss}", "host", s->host, "allocator", s->alloc, "workload",
                         s->workload, "point", s->point, "metric", s->metric, "unit", s->unit);
}

static int dump_json(json_t *doc)
{
        int r;
        if (!doc)
                return bad("out of memory");
        r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        printf("\n");
        json_decref(doc);
        return r ? bad("cannot write the output") : AB_OK;
}

static void print_header(const struct ab_history *h, const char *what)
{
        printf("%s %s: %zu run%s", what, h->db, h->nruns, h->nruns == 1 ? "" : "s");
        if (h->nruns)
                printf(" from %s to %s", h->runs[0].created, h->runs[h->nruns - 1].created);
        printf(", %zu series%s\n", h->nseries, h->nseries ? "" : " (none matches the filters)");
}

static int cmd_show(const struct hopts *o, struct ab_history *h)
{
        char buf[64];
        if (o->json) {
                json_t *doc = json_pack("{ss ss so so}", "schema", HISTORY_SCHEMA, "db", h->db,
                                        "runs", json_array(), "series", json_array());
                json_t *runs = json_object_get(doc, "runs"),
                       *series = json_object_get(doc, "series");
                for (size_t i = 0; i < h->nruns; i++)
                        json_array_append_new(runs, run_json(&h->runs[i]));
                for (size_t i = 0; i < h->nseries; i++) {
                        const struct ab_hseries *s = &h->series[i];
                        json_t *js = series_json(s), *vals = json_array();
                        size_t from = o->last && s->n > o->last ? s->n - o->last : 0;
                        for (size_t k = from; k < s->n; k++) {
                                const struct ab_hrun *r = &h->runs[s->run[k]];
                                json_array_append_new(
                                    vals, json_pack("{sI ss so sf}", "run", (json_int_t)r->id,
                                                    "created", r->created, "rev",
                                                    r->rev ? json_string(r->rev) : json_null(),
                                                    "value", s->v[k]));
                        }
                        json_object_set_new(js, "values", vals);
                        json_array_append_new(series, js);
                }
                return dump_json(doc);
        }
        print_header(h, "history");
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                struct table t = {0};
                size_t from = o->last && s->n > o->last ? s->n - o->last : 0;
                printf("\n%s  %s  %s  %s  %s  (%zu value%s%s)\n", s->host, s->workload, s->point,
                       s->alloc, s->metric, s->n, s->n == 1 ? "" : "s",
                       from ? ", the newest shown" : "");
                t.right[0] = t.right[3] = true;
                trow(&t);
                tset(&t, 0, "run");
                tset(&t, 1, "created");
                tset(&t, 2, "rev");
                tset(&t, 3, "value");
                for (size_t k = from; k < s->n; k++) {
                        const struct ab_hrun *r = &h->runs[s->run[k]];
                        if (trow(&t))
                                break;
                        tset(&t, 0, "%lld", (long long)r->id);
                        tset(&t, 1, "%s", r->created);
                        tset(&t, 2, "%s", rev_or(r));
                        tset(&t, 3, "%s", ab_hvalue_str(s->v[k], s->unit, buf, sizeof buf));
                }
                tprint(stdout, &t, "  ");
        }
        return AB_OK;
}

static void fmt_change(double c, char *buf, size_t len)
{
        if (isinf(c))
                snprintf(buf, len, "%s from 0", c > 0 ? "up" : "down");
        else
                snprintf(buf, len, "%+.1f%%", 100 * c);
}

static const char method_text[] =
    "change points proposed by binary segmentation, kept by Student's t test on the logarithms "
    "of the values against the "
    "neighbouring segments (variance pooled, never below either side's own), Bonferroni over "
    "the splits possible, and a minimum relative change of the mean";

static int cmd_check(const struct hopts *o, struct ab_history *h)
{
        size_t nchanges = 0, nreg = 0;
        char a[64], b[64], c[64];
        for (size_t i = 0; i < h->nseries; i++) {
                nchanges += h->series[i].ncp;
                nreg += ab_hseries_regressed(&h->series[i]);
        }
        if (o->json) {
                json_t *doc = json_pack(
                    "{ss ss s{ss sf sf si} sI sI so so}", "schema", "allocbench/history-check/1",
                    "db", h->db, "method", "test", method_text, "alpha", h->params.alpha,
                    "min_change", h->params.min_change, "min_segment", (int)h->params.min_seg,
                    "runs", (json_int_t)h->nruns, "series", (json_int_t)h->nseries, "changes",
                    json_array(), "regressions", json_array());
                json_t *changes = json_object_get(doc, "changes"),
                       *regs = json_object_get(doc, "regressions");
                for (size_t i = 0; i < h->nseries; i++) {
                        const struct ab_hseries *s = &h->series[i];
                        for (size_t k = 0; k < s->ncp; k++) {
                                const struct ab_cp *cp = &s->cp[k];
                                json_t *j = series_json(s);
                                bool up = cp->after > cp->before;
                                json_object_update_new(
                                    j, json_pack(
                                           "{sI sI sI sI so sf sf so so so so sb ss}", "index",
                                           (json_int_t)cp->index, "values", (json_int_t)s->n,
                                           "runs_before", (json_int_t)(cp->index - cp->start),
                                           "runs_after", (json_int_t)(cp->end - cp->index), "run",
                                           run_json(&h->runs[s->run[cp->index]]), "before",
                                           cp->before, "after", cp->after, "change",
                                           jreal(cp->change), "p", jreal(cp->p), "t", jreal(cp->t),
                                           "df", jreal(cp->df), "newest", k + 1 == s->ncp,
                                           "direction", up ? "regression" : "improvement"));
                                if (k + 1 == s->ncp && up)
                                        json_array_append(regs, j);
                                json_array_append_new(changes, j);
                        }
                }
                dump_json(doc);
                return nreg ? AB_REGRESSION : AB_OK;
        }
        print_header(h, "history check of");
        printf("method: binary segmentation, Student's t test (on logarithms) against the neighbouring "
               "segments; a change is reported when p < %g (Bonferroni over the splits possible), "
               "the mean moves by %g%% or more, and %zu or more runs lie on each side\n",
               h->params.alpha, 100 * h->params.min_change, h->params.min_seg);
        if (!nchanges) {
                printf("\nno changes\n");
                return AB_OK;
        }
        {
                struct table t = {0};
                trow(&t);
                t.right[6] = t.right[7] = t.right[8] = t.right[9] = t.right[10] = true;
                const char *head[] = {
                    "host", "workload", "point", "allocator", "metric", "first run (created, rev)",
                    "runs", "before",   "after", "change",    "p",      ""};
                for (size_t k = 0; k < TCOLS; k++)
                        tset(&t, k, "%s", head[k]);
                for (size_t i = 0; i < h->nseries; i++) {
                        const struct ab_hseries *s = &h->series[i];
                        for (size_t k = 0; k < s->ncp; k++) {
                                const struct ab_cp *cp = &s->cp[k];
                                const struct ab_hrun *r = &h->runs[s->run[cp->index]];
                                bool up = cp->after > cp->before;
                                if (trow(&t))
                                        break;
                                tset(&t, 0, "%s", s->host);
                                tset(&t, 1, "%s", s->workload);
                                tset(&t, 2, "%s", s->point);
                                tset(&t, 3, "%s", s->alloc);
                                tset(&t, 4, "%s", s->metric);
                                tset(&t, 5, "#%lld %s %s", (long long)r->id, r->created, rev_or(r));
                                tset(&t, 6, "%zu+%zu", cp->index - cp->start, cp->end - cp->index);
                                tset(&t, 7, "%s", ab_hvalue_str(cp->before, s->unit, a, sizeof a));
                                tset(&t, 8, "%s", ab_hvalue_str(cp->after, s->unit, b, sizeof b));
                                fmt_change(cp->change, c, sizeof c);
                                tset(&t, 9, "%s", c);
                                tset(&t, 10, "%s", ab_hp_str(cp->p, c, sizeof c));
                                tset(&t, 11, "%s%s", up ? "regression" : "improvement",
                                     k + 1 == s->ncp ? ", newest" : "");
                        }
                }
                printf("\n");
                tprint(stdout, &t, "");
        }
        printf("\n%zu change%s in %zu series; ", nchanges, nchanges == 1 ? "" : "s", h->nseries);
        if (!nreg) {
                printf("no series' newest change is a regression\n");
                return AB_OK;
        }
        printf("%zu series whose newest change is a regression (exit 3):\n", nreg);
        for (size_t i = 0; i < h->nseries; i++) {
                const struct ab_hseries *s = &h->series[i];
                const struct ab_cp *cp;
                const struct ab_hrun *r;
                if (!ab_hseries_regressed(s))
                        continue;
                cp = &s->cp[s->ncp - 1];
                r = &h->runs[s->run[cp->index]];
                fmt_change(cp->change, c, sizeof c);
                printf("  %s %s %s %s %s: %s (%s -> %s) from run #%lld (%s%s%s)\n", s->host,
                       s->workload, s->point, s->alloc, s->metric, c,
                       ab_hvalue_str(cp->before, s->unit, a, sizeof a),
                       ab_hvalue_str(cp->after, s->unit, b, sizeof b), (long long)r->id, r->created,
                       r->rev ? ", rev " : "", r->rev ? r->rev : "");
        }
        return AB_REGRESSION;
}

static int cmd_html(const struct hopts *o, struct ab_history *h)
{
        char err[1024];
        size_t nreg = 0;
        if (ab_dashboard_write(o->args[0], h, err, sizeof err)) {
                fprintf(stderr,
                        "bench history: %s (accepted: bench history html DIR, a directory "
                        "that can be created or written)\n",
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

int ab_cmd_history(int argc, char **argv)
{
        struct hopts o;
        struct ab_history h;
        sqlite3 *db = NULL;
        int r = parse_opts(argc, argv, &o);
        if (r)
                return r < 0 ? AB_OK : r;
        if (o.sub == SUB_ADD)
                return cmd_add(&o);
        if ((r = db_open(&o, false, &db)))
                return r;
        r = load_history(db, &o, &h, o.sub == SUB_HTML);
        sqlite3_close(db);
        if (r)
                return r;
        if (o.sub != SUB_SHOW && detect_all(&h) == -ENOMEM) {
                history_free(&h);
                return bad("out of memory detecting change points");
        }
        switch (o.sub) {
        case SUB_SHOW:
                r = cmd_show(&o, &h);
                break;
        case SUB_CHECK:
                r = cmd_check(&o, &h);
                break;
        default:
                r = cmd_html(&o, &h);
        }
        history_free(&h);
        return r;
}


bool ab_hseries_regressed(const struct ab_hseries *s)
{
        return s->ncp > 0 && s->cp[s->ncp - 1].after > s->cp[s->ncp - 1].before;
}

const char *ab_hvalue_str(double v, const char *unit, char *buf, size_t len)
{
        if (isnan(v)) {
                snprintf(buf, len, "-");
        } else if (strcmp(unit, "ns") == 0) {
                static const char *u[] = {"ns", "us", "ms", "s"};
                int k = 0;
                while (fabs(v) >= 1000 && k < 3) {
                        v /= 1000;
                        k++;
                }
                snprintf(buf, len,
                         fabs(v) >= 100  ? "%.0f%s"
                         : fabs(v) >= 10 ? "%.1f%s"
                                         : "%.2f%s",
                         v, u[k]);
        } else if (strcmp(unit, "KiB") == 0) {
                if (fabs(v) < 1024)
                        snprintf(buf, len, "%.0fK", v);
                else if (fabs(v) < 1024 * 1024)
                        snprintf(buf, len, "%.1fM", v / 1024);
                else
                        snprintf(buf, len, "%.2fG", v / (1024 * 1024));
        } else {
                snprintf(buf, len, fabs(v) >= 100 ? "%.0f" : "%.3g", v);
        }
        return buf;
}

const char *ab_hp_str(double p, char *buf, size_t len)
{
        if (p < 1e-16)
                snprintf(buf, len, "<1e-16");
        else
                snprintf(buf, len, "%.2g", p);
        return buf;
}

int ab_natcmp(const char *a, const char *b)
{
        while (*a && *b) {
                if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
                        const char *ea, *eb;
                        size_t na, nb;
                        while (*a == '0' && a[1] >= '0' && a[1] <= '9')
                                a++;
                        while (*b == '0' && b[1] >= '0' && b[1] <= '9')
                                b++;
                        for (ea = a; *ea >= '0' && *ea <= '9'; ea++)
                                ;
                        for (eb = b; *eb >= '0' && *eb <= '9'; eb++)
                                ;
                        na = (size_t)(ea - a);
                        nb = (size_t)(eb - b);
                        if (na != nb)
                                return na < nb ? -1 : 1;
                        for (; a < ea; a++, b++)
                                if (*a != *b)
                                        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
                        continue;
                }
                if (*a != *b)
                        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
                a++;
                b++;
        }
        return *a ? 1 : *b ? -1 : 0;
}
