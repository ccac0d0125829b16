/*
 * merge.c - `bench merge FILE.. -o OUT`: the shards of one matrix (bench
 * run --shard K/N) joined into one results document (merge.h), checked
 * first: one split (the same N, rule and matrix, always), one command and
 * one host (unless --allow-mixed, --allow-hosts), each cell in one shard,
 * and every cell there (unless --partial, which marks the document
 * partial). The detectors then run again over the whole matrix, since a
 * flag can need points from several shards (a size cliff between
 * neighbouring sizes, a zeroing range), and the document is written and
 * shown as bench run writes and shows its own. Exit codes as bench run's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "detect/detect.h"
#include "measure/bench.h"
#include "measure/merge.h"
#include "measure/publish.h"
#include "measure/shard.h"

struct mopts {
        char **files;
        size_t nfiles;
        const char *out;
        struct ab_target target;
        bool allow_hosts, allow_mixed, partial;
        int fail_on; /* severity rank that makes bench exit 2, or -1 */
        enum ab_format format;
        const char *verdicts_path; /* --verdicts FILE, or NULL */
        struct ab_verdicts verdicts;
};

static void usage(FILE *f)
{
        fprintf(f,
                "usage: bench merge SHARD.json.. -o OUT.json [options]\n"
                "\n"
                "Join the results files of the shards of one matrix (bench run --shard K/N)\n"
                "into the document one run of the whole matrix would have written: its runs in\n"
                "the matrix's order, each with every shard's points, rounds, timeline and sites.\n"
                "The detectors run again over the merged document, so flags that need points of\n"
                "several shards (a size cliff, a zeroing range) are found. Refused, naming what\n"
                "is wrong: files that are not shards; shards of different splits (N, rule or\n"
                "matrix); a shard given twice or cells in two shards; shards of different\n"
                "commands (options other than --shard, -o, --format and -q) or allocbench\n"
                "builds, or from different hosts (the host object and the allocators'\n"
                "versions), unless asked; missing shards or cells, and interrupted shards,\n"
                "unless --partial. The shards' order on the command line does not matter.\n"
                "\n"
                "options:\n"
                "  -o, --output FILE   the merged results file (required; not one of the shards);\n"
                "                      written atomically, never over another run's file\n"
                "  --allow-hosts       merge shards from different hosts: the document takes the\n"
                "                      lowest shard's host and calibration (time-based evidence\n"
                "                      reads them); each shard's are kept under merge.shards\n"
                "  --allow-mixed       merge shards of different commands or builds (the same\n"
                "                      matrix): the lowest shard's settings stand for all; each\n"
                "                      shard's command is kept under merge.shards\n"
                "  --partial           merge what is there when shards or cells are missing or a\n"
                "                      shard was interrupted: merge.partial is true and\n"
                "                      merge.missing lists the cells\n"
                "  --verdicts FILE     verdicts on sites to apply to the merged flags, as bench\n"
                "                      run --verdicts does\n"
                "  --fail-on warn|high exit 2 when a flag of that severity or worse is raised\n"
                "  --format table|json|csv   what stdout shows (default table)\n"
                "  -h, --help          this text\n"
                "\n"
                "Exit: 0 ok, 1 bad input or a refusal, 2 flags at --fail-on, 4 a run in the\n"
                "shards crashed, timed out or ran out of memory, or OUT could not be written\n"
                "(the document is then in $TMPDIR, and bench says where).\n"
                "\n"
                "Example:\n"
                "  for k in 1 2 3 4; do bench --alloc=all --workload=calloc-sweep --shard $k/4 \\\n"
                "      -o shard-$k.json; done\n"
                "  bench merge shard-*.json -o all.json\n");
}

/* ---- options ------------------------------------------------------------------------ */

/* The index of val among names[0..n), or -1 after a message. */
static int choice(const char *opt, const char *val, const char *const *names, int n,
                  const char *form)
{
        for (int i = 0; i < n; i++)
                if (strcmp(val, names[i]) == 0)
                        return i;
        ab_bad("merge", "%s '%s': not one of the choices (accepted: %s)", opt, val, form);
        return -1;
}

/* A valued option at argv[*i] ("--opt V", "--opt=V", "-oV"): true with *val
 * set (NULL when missing), or false when argv[*i] is not `name` (or
 * `letter`). */
static bool valued(int argc, char **argv, int *i, const char *name, const char *letter,
                   const char **val)
{
        const char *a = argv[*i];
        size_t n = strlen(name);
        *val = NULL;
        if (strncmp(a, name, n) == 0 && a[n] == '=')
                *val = a + n + 1;
        else if (letter && strncmp(a, letter, 2) == 0 && a[2])
                *val = a + 2;
        else if (strcmp(a, name) == 0 || (letter && strcmp(a, letter) == 0))
                *val = *i + 1 < argc ? argv[++*i] : NULL;
        else
                return false;
        return true;
}

/* The value v of valued option k (vopts[k]): 0 or AB_BAD_INPUT. */
static int set_valued(struct mopts *o, int k, const char *v)
{
        static const char *const sev[] = {"warn", "high"}, *const fmt[] = {"table", "json", "csv"};
        static const enum ab_format fmts[] = {AB_FMT_TABLE, AB_FMT_JSON, AB_FMT_CSV};
        int c;
        switch (k) {
        case 0:
                o->out = v;
                return 0;
        case 1:
                o->verdicts_path = v;
                return 0;
        case 2:
                if ((c = choice("--fail-on", v, sev, 2, "warn or high")) < 0)
                        return AB_BAD_INPUT;
                o->fail_on = c + 1; /* warn 1, high 2: severity ranks */
                return 0;
        default:
                if ((c = choice("--format", v, fmt, 3, "table, json or csv")) < 0)
                        return AB_BAD_INPUT;
                o->format = fmts[c];
                return 0;
        }
}

/* One option at argv[*i]: 0, AB_BAD_INPUT, or -1 after --help. */
static int one_option(int argc, char **argv, int *i, struct mopts *o)
{
        static const struct {
                const char *name, *letter;
        } vopts[] = {
            {"--output", "-o"}, {"--verdicts", NULL}, {"--fail-on", NULL}, {"--format", NULL}};
        const char *a = argv[*i], *v;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                usage(stdout);
                return -1;
        }
        if (strcmp(a, "--allow-hosts") == 0 || strcmp(a, "--allow-mixed") == 0 ||
            strcmp(a, "--partial") == 0) {
                if (strcmp(a, "--partial") == 0)
                        o->partial = true;
                else if (strcmp(a, "--allow-hosts") == 0)
                        o->allow_hosts = true;
                else
                        o->allow_mixed = true;
                return 0;
        }
        for (int k = 0; k < (int)(sizeof vopts / sizeof vopts[0]); k++) {
                if (!valued(argc, argv, i, vopts[k].name, vopts[k].letter, &v))
                        continue;
                if (!v)
                        return ab_bad("merge", "option %s needs a value", a);
                return set_valued(o, k, v);
        }
        return ab_bad("merge",
                      "unknown option '%s' (accepted: -o, --allow-hosts, --allow-mixed, --partial, "
                      "--verdicts, --fail-on, --format, --help)",
                      a);
}

/* 0, AB_BAD_INPUT, or -1 after --help. */
static int parse_opts(int argc, char **argv, struct mopts *o)
{
        bool dashdash = false;
        int r;
        o->fail_on = -1;
        o->format = AB_FMT_TABLE;
        if (!(o->files = calloc((size_t)argc + 1, sizeof *o->files)))
                return AB_BAD_INPUT;
        for (int i = 1; i < argc; i++) {
                if (dashdash || argv[i][0] != '-' || !argv[i][1])
                        o->files[o->nfiles++] = argv[i];
                else if (strcmp(argv[i], "--") == 0)
                        dashdash = true;
                else if ((r = one_option(argc, argv, &i, o)))
                        return r;
        }
        if (!o->nfiles)
                return ab_bad("merge", "no shards given (usage: bench merge SHARD.json.. -o "
                                       "OUT.json)");
        if (!o->out)
                return ab_bad("merge", "-o OUT.json is required: where the merged results go");
        if ((r = ab_target_check(&o->target, "-o", o->out, false)))
                return r;
        if (o->verdicts_path) {
                char err[512] = "";
                int e = ab_verdicts_load(o->verdicts_path, &o->verdicts, err, sizeof err);
                if (e == -ENOENT)
                        return ab_bad("merge",
                                      "--verdicts %s: no such file (accepted: a verdicts "
                                      "file, see bench verdicts --help)",
                                      o->verdicts_path);
                if (e)
                        return ab_bad("merge", "--verdicts: %s", err);
        }
        return 0;
}

/* ---- reading the shards --------------------------------------------------------------- */

/* -o must not name a shard: the merged document would replace it. */
static int out_is_input(const struct mopts *o)
{
        struct stat so, si;
        if (stat(o->target.path, &so) != 0)
                return 0;
        for (size_t i = 0; i < o->nfiles; i++)
                if (stat(o->files[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
                        return ab_bad("merge",
                                      "-o %s is one of the shards being merged (accepted: a new "
                                      "file, or one that is not a shard here)",
                                      o->out);
        return 0;
}

/* Load one shard: its view, and its shard object's index and count. */
static int load_one(const char *path, struct ab_merge_in *s)
{
        char err[1024];
        json_t *k, *n;
        s->path = path;
        if (ab_doc_load(path, &s->doc, err, sizeof err)) {
                ab_err("merge", "%s", err);
                return AB_BAD_INPUT;
        }
        s->shard = json_object_get(s->doc.json, "shard");
        k = json_object_get(s->shard, "index");
        n = json_object_get(s->shard, "count");
        if (!json_is_object(s->shard) || !json_is_integer(k) || !json_is_integer(n) ||
            json_integer_value(k) < 1 || json_integer_value(k) > json_integer_value(n) ||
            json_integer_value(n) > AB_SHARD_MAX) {
                ab_err("merge",
                       "%s is not a shard: it has no valid \"shard\" object (accepted: results "
                       "files of bench run --shard K/N)",
                       path);
                return AB_BAD_INPUT;
        }
        s->k = (unsigned)json_integer_value(k);
        s->n = (unsigned)json_integer_value(n);
        return 0;
}

static int by_index(const void *x, const void *y)
{
        const struct ab_merge_in *a = x, *b = y;
        return (a->k > b->k) - (a->k < b->k);
}

/* One split: the same count, rule and matrix as the first shard, each
 * index once, and each shard's cells the rule's for its index. */
static int check_split(struct ab_merge_in *in, size_t nin, const struct ab_merge_matrix *mx)
{
        static const char *const same[] = {"count", "rule", "cells_total", "matrix"},
                                 *const what[] = {"the number of shards", "the shard rule",
                                                  "the matrix's size",
                                                  "the matrix (allocators, workloads, points)"};
        for (size_t s = 0; s < nin; s++) {
                json_t *c;
                size_t i, want = 0;
                for (size_t k = 0; k < sizeof same / sizeof same[0]; k++)
                        if (!json_equal(json_object_get(in[s].shard, same[k]),
                                        json_object_get(in[0].shard, same[k]))) {
                                ab_err("merge",
                                       "%s (shard %u/%u) and %s (shard %u/%u) split different "
                                       "matrices: %s differs (shard.%s); accepted: the shards "
                                       "of one bench run command",
                                       in[0].path, in[0].k, in[0].n, in[s].path, in[s].k, in[s].n,
                                       what[k], same[k]);
                                return AB_BAD_INPUT;
                        }
                if (s > 0 && in[s].k == in[s - 1].k) {
                        ab_err("merge",
                               "%s and %s are both shard %u/%u (accepted: each shard once)",
                               in[s - 1].path, in[s].path, in[s].k, in[s].n);
                        return AB_BAD_INPUT;
                }
                for (uint64_t cell = 0; cell < mx->ncells; cell++)
                        want += ab_shard_of(cell, in[s].n) == in[s].k;
                json_array_foreach(json_object_get(in[s].shard, "cells"), i, c)
                {
                        if (!json_is_integer(c) || json_integer_value(c) < 0 ||
                            (uint64_t)json_integer_value(c) >= mx->ncells ||
                            ab_shard_of((uint64_t)json_integer_value(c), in[s].n) != in[s].k)
                                break;
                }
                if (i != want || json_array_size(json_object_get(in[s].shard, "cells")) != want) {
                        ab_err("merge",
                               "%s: its cells are not those of shard %u/%u under rule %s "
                               "(was the file edited?)",
                               in[s].path, in[s].k, in[s].n, AB_SHARD_RULE);
                        return AB_BAD_INPUT;
                }
        }
        if (mx->ncells !=
                (uint64_t)json_integer_value(json_object_get(in[0].shard, "cells_total")) ||
            strcmp(json_string_value(json_object_get(in[0].shard, "rule")) ?: "", AB_SHARD_RULE)) {
                ab_err("merge", "%s: shard rule or cell count not understood (accepted: rule %s)",
                       in[0].path, AB_SHARD_RULE);
                return AB_BAD_INPUT;
        }
        return 0;
}

/* The words of a shard's command that decide what it measured. */
static json_t *words(const struct ab_merge_in *s)
{
        return ab_command_words(json_object_get(s->doc.json, "command"),
                                AB_CMD_PROGRAM | AB_CMD_OUTPUT | AB_CMD_SHARD);
}

/* Words as a person reads them: space-separated, a missing one "(none)". */
static const char *word_at(json_t *w, size_t i)
{
        const char *s = json_string_value(json_array_get(w, i));
        return s ? s : "(none)";
}

/* One command and one build, unless --allow-mixed. */
static int check_command(struct ab_merge_in *in, size_t nin, bool allow)
{
        json_t *first = words(&in[0]);
        int r = 0;
        for (size_t s = 1; s < nin && !r && first; s++) {
                json_t *w = words(&in[s]);
                size_t d = 0;
                bool tool = !json_equal(json_object_get(in[s].doc.json, "tool"),
                                        json_object_get(in[0].doc.json, "tool"));
                while (d < json_array_size(first) &&
                       json_equal(json_array_get(first, d), json_array_get(w, d)))
                        d++;
                if (json_equal(first, w) && !tool) {
                        json_decref(w);
                        continue;
                }
                if (allow)
                        ab_note("merge", "%s and %s differ in their %s (--allow-mixed: merged)",
                                in[0].path, in[s].path, tool ? "allocbench build" : "command");
                else if (!json_equal(first, w))
                        ab_err("merge",
                               "%s and %s ran different commands: word %zu is '%s' against '%s'\n"
                               "(shards must differ only in --shard, -o, --format and -q; "
                               "--allow-mixed merges them anyway, the lowest shard's settings "
                               "standing for all)",
                               in[0].path, in[s].path, d + 1, word_at(first, d), word_at(w, d));
                else
                        ab_err("merge",
                               "%s and %s were made by different allocbench builds (%s, git %s "
                               "against %s, git %s); --allow-mixed merges them anyway",
                               in[0].path, in[s].path, in[0].doc.tool_version ?: "?",
                               in[0].doc.tool_git ?: "?", in[s].doc.tool_version ?: "?",
                               in[s].doc.tool_git ?: "?");
                r = allow ? 0 : AB_BAD_INPUT;
                json_decref(w);
        }
        json_decref(first);
        return r;
}

/* What differs between the hosts of two shards: host fields, and the
 * versions of an allocator both ran. Appended to buf; how many. */
static int host_diff(const struct ab_merge_in *a, const struct ab_merge_in *b, char *buf,
                     size_t len)
{
        json_t *ha = json_object_get(a->doc.json, "host"),
               *hb = json_object_get(b->doc.json, "host");
        const char *key;
        json_t *v;
        size_t off = strlen(buf);
        int n = 0;
        json_t *both = json_deep_copy(ha ? ha : json_object());
        json_object_update(both, hb ? hb : json_object());
        json_object_foreach(both, key, v)
        {
                json_t *x = json_object_get(ha, key), *y = json_object_get(hb, key);
                char *tx, *ty;
                if (json_equal(x ? x : json_null(), y ? y : json_null()))
                        continue;
                tx = json_dumps(x ? x : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
                ty = json_dumps(y ? y : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
                if (off < len)
                        off += (size_t)snprintf(buf + off, len - off, "%s%s %s vs %s",
                                                off ? ", " : "", key, tx ? tx : "?", ty ? ty : "?");
                free(tx);
                free(ty);
                n++;
        }
        json_decref(both);
        for (size_t i = 0; i < a->doc.nruns; i++) {
                const struct ab_vrun *ra = &a->doc.runs[i], *rb = NULL;
                const char *va = ra->alloc_version ? ra->alloc_version : "unknown", *vb;
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = strcmp(a->doc.runs[k].alloc, ra->alloc) == 0;
                for (size_t k = 0; k < b->doc.nruns && !rb; k++)
                        if (strcmp(b->doc.runs[k].alloc, ra->alloc) == 0)
                                rb = &b->doc.runs[k];
                if (seen || !rb)
                        continue; /* told already, or not in both */
                vb = rb->alloc_version ? rb->alloc_version : "unknown";
                if (strcmp(va, vb) == 0)
                        continue;
                if (off < len)
                        off += (size_t)snprintf(buf + off, len - off, "%s%s version %s vs %s",
                                                off ? ", " : "", ra->alloc, va, vb);
                n++;
        }
        return n;
}

/* One host, unless --allow-hosts. */
static int check_hosts(struct ab_merge_in *in, size_t nin, bool allow)
{
        for (size_t s = 1; s < nin; s++) {
                char what[2048] = "";
                if (!host_diff(&in[0], &in[s], what, sizeof what))
                        continue;
                if (allow) {
                        ab_note("merge",
                                "%s and %s come from different hosts (%s); --allow-hosts: "
                                "merged, with %s's host and calibration",
                                in[0].path, in[s].path, what, in[0].path);
                        continue;
                }
                ab_err("merge",
                       "%s and %s come from different hosts: %s\n(their timings are not one "
                       "machine's; --allow-hosts merges them anyway, with the lowest shard's host "
                       "and calibration, each shard's kept under merge.shards)",
                       in[0].path, in[s].path, what);
                return AB_BAD_INPUT;
        }
        return 0;
}

/* ---- what is missing ---------------------------------------------------------------- */

/* The cells no shard holds, as merge.missing; said on stderr (as an error
 * without --partial, which refuses, or as a note). */
static int check_missing(const struct ab_merge_in *in, size_t nin, const struct ab_merge_matrix *mx,
                         const struct ab_merge_cell *cells, bool partial, json_t **missing)
{
        unsigned n = in[0].n;
        char shards[512] = "", name[512];
        size_t off = 0, nmiss = 0, told = 0;
        bool interrupted = false;
        *missing = json_array();
        for (unsigned k = 1, s = 0; k <= n; k++) {
                while (s < nin && in[s].k < k)
                        s++;
                if ((s < nin && in[s].k == k) || off >= sizeof shards)
                        continue;
                off += (size_t)snprintf(shards + off, sizeof shards - off, "%s%u/%u",
                                        off ? ", " : "", k, n);
        }
        for (uint64_t c = 0; c < mx->ncells; c++) {
                if (cells[c].shard >= 0)
                        continue;
                json_array_append_new(*missing,
                                      json_pack("{s:I,s:i,s:s}", "cell", (json_int_t)c, "shard",
                                                (int)ab_shard_of(c, n), "name",
                                                ab_merge_cell_name(mx, c, name, sizeof name)));
                nmiss++;
        }
        for (size_t s = 0; s < nin; s++)
                if (in[s].doc.interrupted) {
                        (partial ? ab_note : ab_err)("merge",
                                                     "%s (shard %u/%u) was interrupted: some of "
                                                     "its cells hold fewer repetitions or none",
                                                     in[s].path, in[s].k, in[s].n);
                        interrupted = true;
                }
        if (!nmiss && !interrupted)
                return 0;
        if (nmiss) {
                (partial ? ab_note : ab_err)(
                    "merge", "%zu of the matrix's %llu cells are missing%s%s%s:", nmiss,
                    (unsigned long long)mx->ncells, off ? " (shards " : "", shards,
                    off ? " not given)" : "");
                for (size_t i = 0; i < json_array_size(*missing) && told < 12; i++, told++) {
                        json_t *e = json_array_get(*missing, i);
                        fprintf(stderr, "  cell %lld of shard %lld/%u: %s\n",
                                (long long)json_integer_value(json_object_get(e, "cell")),
                                (long long)json_integer_value(json_object_get(e, "shard")), n,
                                json_string_value(json_object_get(e, "name")));
                }
                if (nmiss > told)
                        fprintf(stderr, "  and %zu more\n", nmiss - told);
        }
        if (partial)
                return 0;
        ab_err("merge", "refusing an incomplete matrix: give every shard, or merge anyway with "
                        "--partial (marked merge.partial in the document)");
        return AB_BAD_INPUT;
}

/* ---- the command ---------------------------------------------------------------------- */

/* The "merge" object: this command, the split, each shard (file, index,
 * cells, when, whether interrupted, host, calibration, command), and what
 * is missing. */
static json_t *merge_json(const struct ab_merge_in *in, size_t nin, const struct mopts *o,
                          json_t *missing)
{
        json_t *cmd = json_array(), *shards = json_array();
        for (int i = 0; i < ab_argc; i++)
                json_array_append_new(cmd, json_string(ab_argv[i]));
        for (size_t s = 0; s < nin; s++) {
                json_t *d = in[s].doc.json;
                json_array_append_new(
                    shards,
                    json_pack("{s:s,s:i,s:I,s:O?,s:b,s:O?,s:O?,s:O?}", "file", in[s].path, "index",
                              (int)in[s].k, "cells",
                              (json_int_t)json_array_size(json_object_get(in[s].shard, "cells")),
                              "created", json_object_get(d, "created"), "interrupted",
                              in[s].doc.interrupted, "host", json_object_get(d, "host"),
                              "calibration", json_object_get(d, "calibration"), "command",
                              json_object_get(d, "command")));
        }
        return json_pack("{s:o,s:s,s:i,s:O,s:o,s:b,s:o,s:{s:b,s:b}}", "command", cmd, "rule",
                         AB_SHARD_RULE, "count", (int)in[0].n, "cells_total",
                         json_object_get(in[0].shard, "cells_total"), "shards", shards, "partial",
                         json_array_size(missing) > 0 || o->partial, "missing", missing, "allowed",
                         "hosts", o->allow_hosts, "mixed", o->allow_mixed);
}

/* Every check, in the order a person fixes them; 0 or AB_BAD_INPUT. */
static int check_all(struct ab_merge_in *in, size_t nin, const struct mopts *o,
                     struct ab_merge_matrix *mx, struct ab_merge_cell **cells, json_t **missing)
{
        int r;
        if ((r = ab_merge_matrix_read(json_object_get(in[0].shard, "matrix"), in[0].path, mx)) ||
            (r = check_split(in, nin, mx)) || (r = check_command(in, nin, o->allow_mixed)) ||
            (r = check_hosts(in, nin, o->allow_hosts)))
                return r;
        if (!(*cells = calloc(mx->ncells + 1, sizeof **cells))) {
                ab_err("merge", "out of memory");
                return AB_BAD_INPUT;
        }
        for (uint64_t c = 0; c < mx->ncells; c++)
                (*cells)[c].shard = -1;
        if ((r = ab_merge_locate(in, nin, mx, *cells)))
                return r;
        return check_missing(in, nin, mx, *cells, o->partial, missing);
}

/* Did a shard apply verdicts to its sites (bench run --verdicts)? */
static bool has_verdicts(json_t *doc)
{
        json_t *run, *site;
        size_t i, k;
        json_array_foreach(json_object_get(doc, "runs"), i, run)
        {
                json_array_foreach(json_object_get(run, "sites"), k, site)
                {
                        if (json_object_get(site, "verdict"))
                                return true;
                }
        }
        return false;
}

/* The merged document's flags (the detectors over the whole matrix, and
 * --verdicts), written and shown; bench run's exit code. */
static int finish(json_t *doc, const struct mopts *o)
{
        struct ab_vsummary vsum = {0};
        json_t *m = json_object_get(doc, "merge"), *run;
        int worst = -1, r;
        size_t i;
        ab_note("merge", "%zu shard%s of %lld, %lld of the matrix's %lld cells%s; flags decided "
                         "again over the merged document",
                json_array_size(json_object_get(m, "shards")),
                json_array_size(json_object_get(m, "shards")) == 1 ? "" : "s",
                (long long)json_integer_value(json_object_get(m, "count")),
                (long long)(json_integer_value(json_object_get(m, "cells_total")) -
                            (json_int_t)json_array_size(json_object_get(m, "missing"))),
                (long long)json_integer_value(json_object_get(m, "cells_total")),
                json_is_true(json_object_get(m, "partial")) ? " (partial)" : "");
        if (!o->verdicts_path && has_verdicts(doc))
                ab_note("merge", "the shards applied verdicts to their sites; pass --verdicts "
                                 "FILE to apply them to the merged flags (a flag they accepted "
                                 "counts again otherwise)");
        if (ab_detect_json(doc) < 0 ||
            (o->verdicts_path && ab_verdicts_apply(doc, &o->verdicts, NULL, 0, &vsum))) {
                ab_err("merge", "out of memory");
                return AB_BAD_INPUT;
        }
        if ((r = ab_publish(doc, &o->target, o->format, NULL, NULL, &worst)))
                return r == -ENOMEM ? AB_BAD_INPUT : AB_RUN_FAILED;
        json_array_foreach(json_object_get(doc, "runs"), i, run)
        {
                const char *st = json_string_value(json_object_get(run, "status"));
                if (st && strcmp(st, "ok") != 0)
                        return AB_RUN_FAILED;
        }
        return o->fail_on >= 0 && worst >= o->fail_on ? AB_FLAGGED : AB_OK;
}

int ab_cmd_merge(int argc, char **argv)
{
        struct mopts o = {0};
        struct ab_merge_in *in = NULL;
        struct ab_merge_matrix mx = {0};
        struct ab_merge_cell *cells = NULL;
        json_t *missing = NULL, *doc;
        size_t nin = 0;
        int r = parse_opts(argc, argv, &o);
        if (r)
                goto out;
        if ((r = out_is_input(&o)))
                goto out;
        if (!(in = calloc(o.nfiles, sizeof *in))) {
                r = AB_BAD_INPUT;
                goto out;
        }
        for (; nin < o.nfiles; nin++)
                if ((r = load_one(o.files[nin], &in[nin]))) {
                        nin++; /* its view is freed below */
                        goto out;
                }
        qsort(in, nin, sizeof *in, by_index);
        if ((r = check_all(in, nin, &o, &mx, &cells, &missing)))
                goto out;
        doc = ab_merge_build(in, nin, &mx, cells, merge_json(in, nin, &o, missing));
        missing = NULL; /* merge_json stole it */
        if (!doc) {
                ab_err("merge", "out of memory");
                r = AB_BAD_INPUT;
                goto out;
        }
        r = finish(doc, &o);
        json_decref(doc);
out:
        for (size_t i = 0; i < nin; i++)
                ab_doc_free(&in[i].doc);
        free(in);
        free(cells);
        json_decref(missing);
        ab_merge_matrix_free(&mx);
        ab_verdicts_free(&o.verdicts);
        free(o.files);
        return r < 0 ? AB_OK : r;
}
