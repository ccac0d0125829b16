/*
 * trace_cmd.c - bench trace info|cut: what an allocation record holds (bench
 * run --record), and rounds of one cut into a record of their own. Both
 * check the record through and through first (every event played,
 * arec_sim.h) and refuse a malformed one with the byte offset; cut writes
 * its file atomically, and nothing when it fails.
 * Exit: 0, or 1 on bad input (options, a file that is no record or a
 * malformed one, rounds the record does not have).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/fmt.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/parse.h"
#include "measure/bench.h"
#include "measure/recfile.h"
#include "trace/arec_cut.h"

#define USAGE "bench trace info FILE [--json] | bench trace cut FILE --rounds A..B -o OUT"

static void usage(FILE *f)
{
        fputs("usage: " USAGE "\n"
              "\n"
              "Allocation records: every allocation event of a traced run, written by\n"
              "bench run --record FILE and replayed against any allocator with\n"
              "bench run --workload=replay --set trace=FILE. A FILE ending in .zst (or\n"
              "any zstd-compressed record) is read as well.\n"
              "\n"
              "  info FILE        what the record holds: events by kind, threads, sites,\n"
              "                   peak live bytes, the live bytes at each round end, and\n"
              "                   the allocations by size\n"
              "      --json       the same as one JSON object on stdout\n"
              "  cut FILE --rounds A..B -o OUT\n"
              "                   rounds A to B (counted from 0, as the results file\n"
              "                   numbers them) as a record of their own: the blocks live\n"
              "                   when round A starts are made first, then every event to\n"
              "                   the end of round B; OUT.zst is compressed\n"
              "  -h, --help       this text\n"
              "\n"
              "Both play the whole record first and refuse a malformed one, naming the\n"
              "byte where it breaks. Exit: 0, or 1 on bad input.\n"
              "\n"
              "Examples:\n"
              "  bench run --workload=conn-leak --set leak_every=8 --record conn.arec\n"
              "  bench trace info conn.arec\n"
              "  bench trace cut conn.arec --rounds 5..7 -o leak-repro.arec.zst\n"
              "  bench run --workload=replay --set trace=leak-repro.arec.zst --alloc=glibc,jemalloc\n",
              f);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
        va_list ap;
        fputs("bench trace: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(" (usage: " USAGE "; bench trace --help)\n", stderr);
        return AB_BAD_INPUT;
}

/* The record at path, loaded (unpacked) and parsed: 0, or an exit code
 * with the message said. */
static int load(const char *path, uint8_t **data, struct ab_arec *a)
{
        char err[900], why[700];
        size_t len;
        int r = ab_recfile_load(path, data, &len, err, sizeof err);
        if (r) {
                fprintf(stderr, "bench trace: %s\n", err);
                return AB_BAD_INPUT;
        }
        if (ab_arec_parse(a, *data, len, why, sizeof why)) {
                fprintf(stderr, "bench trace: %s: %s\n", path, why);
                free(*data);
                return AB_BAD_INPUT;
        }
        return 0;
}

/* ---- info ------------------------------------------------------------------------------ */

struct rounds {
        uint64_t n;
        uint64_t *events, *recorded, *played, *blocks;
};

static int on_round(void *arg, const struct ab_arec_sim *s, const struct ab_arec_round *r)
{
        struct rounds *rs = arg;
        uint64_t ev = 0;
        for (uint32_t t = 0; t < s->a->nthreads; t++)
                ev += s->t[t].done;
        rs->events[rs->n] = ev;
        rs->recorded[rs->n] = r->live;
        rs->blocks[rs->n] = s->st.live_blocks;
        rs->played[rs->n++] = s->st.live;
        return 0;
}

static json_t *info_json(const char *path, const struct ab_arec *a, const struct ab_arec_stats *st,
                         const struct rounds *rs)
{
        static const char *const kinds[] = {"malloc", "calloc", "aligned", "realloc", "free_own",
                                            "free_other"};
        json_t *o = json_object(), *ops = json_object(), *th = json_array(), *rd = json_array();
        json_t *hist = json_array();
        for (int k = 0; k <= AB_AO_FREE_OTHER; k++)
                json_object_set_new(ops, kinds[k], json_integer((json_int_t)st->ops[k]));
        for (uint32_t t = 0; t < a->nthreads; t++)
                json_array_append_new(th, json_pack("{s:I,s:I}", "events",
                                                    (json_int_t)a->t_events[t], "blocks",
                                                    (json_int_t)a->t_blocks[t]));
        for (uint64_t i = 0; i < rs->n; i++)
                json_array_append_new(
                    rd, json_pack("{s:I,s:I,s:I,s:I,s:I}", "index", (json_int_t)i, "events",
                                  (json_int_t)rs->events[i], "live_recorded",
                                  (json_int_t)rs->recorded[i], "live_played",
                                  (json_int_t)rs->played[i], "live_blocks",
                                  (json_int_t)rs->blocks[i]));
        for (int b = 0; b < 65; b++)
                if (st->hist[b])
                        json_array_append_new(hist, json_pack("{s:I,s:I}", "up_to",
                                                              (json_int_t)(b ? 1ull << b : 1),
                                                              "allocations",
                                                              (json_int_t)st->hist[b]));
        json_object_set_new(o, "file", json_string(path));
        json_object_set_new(o, "bytes", json_integer((json_int_t)a->len));
        json_object_set_new(o, "version", json_integer(a->version));
        json_object_set_new(o, "pid", json_integer(a->pid));
        json_object_set_new(o, "page", json_integer(a->page));
        json_object_set_new(o, "start_unix_ns", json_integer((json_int_t)a->start_ns));
        json_object_set_new(o, "events", json_integer((json_int_t)a->events));
        json_object_set_new(o, "bytes_per_event",
                            json_real(a->events ? (double)a->len / (double)a->events : 0));
        json_object_set_new(o, "ops", ops);
        json_object_set_new(o, "cross_thread", json_integer((json_int_t)st->cross));
        json_object_set_new(o, "threads", th);
        json_object_set_new(o, "threads_missing", json_boolean(a->flags & 1));
        json_object_set_new(o, "sites", json_integer((json_int_t)st->sites));
        json_object_set_new(o, "bytes_allocated", json_integer((json_int_t)st->bytes));
        json_object_set_new(o, "peak_live", json_integer((json_int_t)st->peak));
        json_object_set_new(o, "peak_live_blocks", json_integer((json_int_t)st->peak_blocks));
        json_object_set_new(o, "live_end", json_integer((json_int_t)st->live));
        json_object_set_new(o, "live_end_blocks", json_integer((json_int_t)st->live_blocks));
        json_object_set_new(o, "borrowed", json_integer((json_int_t)st->borrowed));
        json_object_set_new(o, "rounds", rd);
        json_object_set_new(o, "sizes", hist);
        return o;
}

static void print_info(const char *path, const struct ab_arec *a, const struct ab_arec_stats *st,
                       const struct rounds *rs)
{
        char b1[32], b2[32], b3[32], when[64];
        time_t secs = (time_t)(a->start_ns / 1000000000u);
        uint64_t most = 1, allocs = st->ops[0] + st->ops[1] + st->ops[2] + st->ops[3];
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        printf("%s: allocation record v%u of pid %u, made %s (page %s)\n", path, a->version, a->pid,
               when, ab_fmt_size(a->page, b1, sizeof b1));
        printf("  %" PRIu64 " events in %zu bytes (%.2f bytes an event), %u thread%s, %" PRIu64
               " rounds, %" PRIu64 " sites\n",
               a->events, a->len, a->events ? (double)a->len / (double)a->events : 0.0,
               a->nthreads, a->nthreads == 1 ? "" : "s", a->nrounds, st->sites);
        printf("  calls: malloc %" PRIu64 ", calloc %" PRIu64 ", aligned %" PRIu64
               ", realloc %" PRIu64 ", free %" PRIu64 " (%" PRIu64
               " of blocks another thread made or reallocated)\n",
               st->ops[0], st->ops[1], st->ops[2], st->ops[3], st->ops[4] + st->ops[5], st->cross);
        printf("  asked for %s in %" PRIu64 " allocations; peak live %s in %" PRIu64
               " blocks; live at the end %s in %" PRIu64 " blocks\n",
               ab_fmt_size(st->bytes, b1, sizeof b1), allocs, ab_fmt_size(st->peak, b2, sizeof b2),
               st->peak_blocks, ab_fmt_size(st->live, b3, sizeof b3), st->live_blocks);
        if (a->flags & 1)
                printf("  the process had more threads than a record holds (%d): the rest are "
                       "missing\n",
                       AB_AREC_MAX_THREADS);
        if (a->nthreads > 1) {
                printf("\n  thread      events      blocks\n");
                for (uint32_t t = 0; t < a->nthreads; t++)
                        printf("  %6u  %10" PRIu64 "  %10" PRIu64 "\n", t, a->t_events[t],
                               a->t_blocks[t]);
        }
        if (rs->n) {
                printf("\n  round      events  live (recorded)  live (played)\n");
                for (uint64_t i = 0; i < rs->n; i++)
                        printf("  %5" PRIu64 "  %10" PRIu64 "  %15s  %13s\n", i, rs->events[i],
                               ab_fmt_size(rs->recorded[i], b1, sizeof b1),
                               ab_fmt_size(rs->played[i], b2, sizeof b2));
        }
        for (int b = 0; b < 65; b++)
                if (st->hist[b] > most)
                        most = st->hist[b];
        if (allocs)
                printf("\n  sizes asked for       allocations\n");
        for (int b = 0; b < 65; b++) {
                char bar[41];
                int w;
                if (!st->hist[b])
                        continue;
                w = (int)((st->hist[b] * 40 + most - 1) / most);
                memset(bar, '#', (size_t)w);
                bar[w] = '\0';
                printf("  up to %-10s %12" PRIu64 "  %s\n",
                       ab_fmt_size(b ? 1ull << b : 1, b1, sizeof b1), st->hist[b], bar);
        }
}

static int cmd_info(const char *path, bool as_json)
{
        uint8_t *data;
        struct ab_arec a;
        struct ab_arec_stats st;
        struct rounds rs = {0};
        struct ab_arec_sim_ops ops = {.round = on_round, .arg = &rs};
        char err[900];
        int r = load(path, &data, &a);
        if (r)
                return r;
        rs.events = calloc(a.nrounds + 1, sizeof *rs.events);
        rs.recorded = calloc(a.nrounds + 1, sizeof *rs.recorded);
        rs.played = calloc(a.nrounds + 1, sizeof *rs.played);
        rs.blocks = calloc(a.nrounds + 1, sizeof *rs.blocks);
        if (!rs.events || !rs.recorded || !rs.played || !rs.blocks)
                r = -ENOMEM;
        else
                r = ab_arec_simulate(&a, &ops, &st, err, sizeof err);
        if (r) {
                fprintf(stderr, "bench trace: %s: %s\n", path,
                        r == -ENOMEM ? "out of memory" : err);
                r = AB_BAD_INPUT;
        } else if (as_json) {
                json_t *o = info_json(path, &a, &st, &rs);
                json_dumpf(o, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(o);
        } else {
                print_info(path, &a, &st, &rs);
        }
        free(rs.events);
        free(rs.recorded);
        free(rs.played);
        free(rs.blocks);
        free(data);
        return r;
}

/* ---- cut ------------------------------------------------------------------------------- */

static int parse_rounds(const char *text, uint64_t *first, uint64_t *last)
{
        const char *dots = strstr(text, "..");
        char a[32];
        if (!dots) {
                if (ab_parse_u64(text, first))
                        return -1;
                *last = *first;
                return 0;
        }
        if ((size_t)(dots - text) >= sizeof a)
                return -1;
        memcpy(a, text, (size_t)(dots - text));
        a[dots - text] = '\0';
        return ab_parse_u64(a, first) || ab_parse_u64(dots + 2, last) ? -1 : 0;
}

static int cmd_cut(const char *path, const char *rounds, const char *out)
{
        uint8_t *data, *cut = NULL;
        size_t len = 0;
        struct ab_arec a;
        uint64_t first, last;
        char err[900], tmp[4096];
        int r;
        if (!rounds)
                return bad("cut needs --rounds A..B");
        if (!out)
                return bad("cut needs -o OUT");
        if (parse_rounds(rounds, &first, &last))
                return bad("--rounds '%s': expected A..B or A (whole numbers, from 0)", rounds);
        if ((r = load(path, &data, &a)))
                return r;
        r = ab_arec_cut(&a, first, last, &cut, &len, err, sizeof err);
        free(data);
        if (r) {
                fprintf(stderr, "bench trace: %s: %s\n", path, err);
                return AB_BAD_INPUT;
        }
        /* through a temporary file, compressed as OUT's name says */
        snprintf(tmp, sizeof tmp, "%s.cut-XXXXXX", out);
        {
                int fd = mkstemp(tmp);
                FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
                bool ok = f && fwrite(cut, 1, len, f) == len;
                if (f)
                        ok = fclose(f) == 0 && ok;
                else if (fd >= 0)
                        close(fd);
                free(cut);
                if (!ok) {
                        fprintf(stderr, "bench trace: %s: %s\n", out, strerror(errno));
                        if (fd >= 0)
                                unlink(tmp);
                        return AB_BAD_INPUT;
                }
        }
        r = ab_recfile_publish(tmp, out, err, sizeof err);
        unlink(tmp);
        if (r) {
                fprintf(stderr, "bench trace: %s\n", err);
                return AB_BAD_INPUT;
        }
        fprintf(stderr, "bench trace: rounds %" PRIu64 "..%" PRIu64 " of %s written to %s\n",
                first, last, path, out);
        return 0;
}

int ab_cmd_trace(int argc, char **argv)
{
        const char *sub = argc > 1 ? argv[1] : NULL, *file = NULL, *rounds = NULL, *out = NULL;
        bool as_json = false;
        if (!sub)
                return bad("expected info or cut");
        if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(sub, "info") != 0 && strcmp(sub, "cut") != 0)
                return bad("'%s' is not a trace command (accepted: info, cut)", sub);
        for (int i = 2; i < argc; i++) {
                const char *o = argv[i];
                if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
                        usage(stdout);
                        return 0;
                } else if (strcmp(o, "--json") == 0 && sub[0] == 'i') {
                        as_json = true;
                } else if (strcmp(o, "--rounds") == 0 && sub[0] == 'c' && i + 1 < argc) {
                        rounds = argv[++i];
                } else if (strncmp(o, "--rounds=", 9) == 0 && sub[0] == 'c') {
                        rounds = o + 9;
                } else if (strcmp(o, "-o") == 0 && sub[0] == 'c' && i + 1 < argc) {
                        out = argv[++i];
                } else if (o[0] == '-' && o[1]) {
                        return bad("%s: not an option of trace %s", o, sub);
                } else if (file) {
                        return bad("one record at a time ('%s' and '%s')", file, o);
                } else {
                        file = o;
                }
        }
        if (!file)
                return bad("%s needs a record FILE", sub);
        return sub[0] == 'i' ? cmd_info(file, as_json) : cmd_cut(file, rounds, out);
}
