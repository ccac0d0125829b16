/*
 * leak-growth: the post-round baseline keeps growing across identical
 * rounds. A trend test over the rounds after warm-up (detect.c) must find the
 * slope both significant and material:
 *  - the workload's own live bytes (an exact count): at least 64 B a round,
 *    and for connection workloads at least 0.25 B per connection a round
 *    (one 64-byte record per 256 connections), so a plateau is not a leak;
 *  - or, with live bytes flat, RSS growing by at least 256 KiB a round and
 *    1 MiB over the rounds: memory lost inside the allocator (or its cache
 *    growing without bound), or in a launcher given with --wrap.
 * A program (cmd) has no count of its own: its process tree's resident
 * anonymous memory (RSS less file pages: libraries and page cache do not
 * count) after each round it marked or each time window, from the rounds of
 * the last phase it named, must grow by at least 64 KiB a round and 1 MiB
 * over the rounds used. With a native run of the same program beside a run
 * under a launcher, the flag says whether the growth is the launcher's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

enum field { LIVE, RSS };

/* A field of every round (scaled), or 0 when one is unmeasured. */
static size_t series(const struct ab_vrun *run, enum field f, double scale, double *y)
{
        for (size_t i = 0; i < run->nrounds; i++) {
                y[i] = (f == LIVE ? run->rounds[i].live_bytes : run->rounds[i].rss_kib) * scale;
                if (isnan(y[i]))
                        return 0;
        }
        return run->nrounds;
}

/* A program's rounds: resident anonymous memory (RSS where unknown), from
 * the last phase it named, warm-up discarded. */
static bool program_trend(const struct ab_vrun *run, struct ab_trend *t, double *first,
                          double *last, size_t *used_from)
{
        size_t from = ab_trend_rounds(run), n = run->nrounds - from, skip = ab_trend_warmup(n);
        double *y;
        bool ok = n >= skip + 4;
        if (!ok || !(y = calloc(n, sizeof *y)))
                return false;
        for (size_t i = 0; i < n && ok; i++) {
                const struct ab_vround *r = &run->rounds[from + i];
                y[i] = (isnan(r->anon_kib) ? r->rss_kib : r->anon_kib) * 1024;
                ok = !isnan(y[i]);
        }
        ok = ok && ab_trend_fit(y, n, skip, t) == 0;
        if (ok) {
                *first = y[skip];
                *last = y[n - 1];
                *used_from = from + skip;
        }
        free(y);
        return ok;
}

static void program(const struct ab_doc *doc, const struct ab_vrun *run, struct ab_flags *flags)
{
        const struct ab_vrun *native = ab_native_sibling(doc, run);
        struct ab_trend t, tn = {0};
        double first, last, nfirst, nlast;
        size_t from, nfrom;
        bool native_grows;
        char a[32], b[32], c[32], natively[96] = "";
        if (!program_trend(run, &t, &first, &last, &from) || !t.significant ||
            t.slope < 64 * 1024 || last - first < 1024 * 1024)
                return;
        native_grows = native && program_trend(native, &tn, &nfirst, &nlast, &nfrom) &&
                       tn.significant && tn.slope >= 0.25 * t.slope;
        if (native && !native_grows)
                snprintf(natively, sizeof natively, "; natively it does not (%s a round)",
                         ab_size_str(tn.slope > 0 ? tn.slope : 0, c, sizeof c));
        ab_flag_add(flags, run, "leak-growth",
                    t.slope >= 1024 * 1024 || last - first >= 16 * 1024 * 1024 ? "high" : "warn",
                    json_pack("{s:I}", "round", (json_int_t)(run->nrounds - 1)),
                    json_pack("{s:f,s:f,s:f,s:I,s:I,s:f,s:s?,s:o}", "anon_kib_per_round",
                              t.slope / 1024, "anon_kib_first", first / 1024, "anon_kib_last",
                              last / 1024, "rounds_used", (json_int_t)t.n, "first_round_used",
                              (json_int_t)from, "t", isinf(t.t) ? 1e9 : t.t, "phase",
                              run->rounds[run->nrounds - 1].phase, "native_kib_per_round",
                              native ? ab_jreal(tn.slope / 1024) : json_null()),
                    "the program's resident anonymous memory grows by %s a round across %zu "
                    "rounds (%s after the last)%s%s%s",
                    ab_size_str(t.slope, a, sizeof a), t.n, ab_size_str(last, b, sizeof b),
                    run->wrap ? " under " : "", run->wrap ? run->wrap : "", natively);
        if (run->wrap && native && !native_grows)
                ab_flag_hint(flags,
                             "only the run under %s grows: the launcher keeps memory for "
                             "what the program does (QEMU's user-mode emulator keeps "
                             "bookkeeping for every region ever mapped): reuse one "
                             "mapping, or run natively",
                             run->wrap);
        else
                ab_flag_hint(flags, "something the program allocates every round is never "
                                    "freed: rerun with --trace to see which allocation sites "
                                    "hold it (bench sites FILE), or under heaptrack or valgrind "
                                    "--tool=massif; mark a warm-up phase with allocbench_phase() "
                                    "so that it is not counted");
}

static void kernel(const struct ab_vrun *run, struct ab_flags *flags)
{
        size_t n = run->nrounds, skip = ab_trend_warmup(n);
        double *live, *rss, conns = ab_vrun_num(run, "connections");
        struct ab_trend tl, tr;
        char a[32], b[32];
        if (n < skip + 4 || run->rounds_per_point)
                return;
        if (isnan(conns) || conns != floor(conns))
                conns = 0;
        live = calloc(n, sizeof *live);
        rss = calloc(n, sizeof *rss);
        if (live && series(run, LIVE, 1, live) == n && ab_trend_fit(live, n, skip, &tl) == 0 &&
            tl.significant && tl.slope >= 64 && (conns == 0 || tl.slope / conns >= 0.25)) {
                ab_flag_add(
                    flags, run, "leak-growth", "high",
                    json_pack("{s:I}", "round", (json_int_t)(n - 1)),
                    json_pack("{s:f,s:f,s:f,s:I,s:I,s:I,s:f,s:f}", "live_bytes_per_round", tl.slope,
                              "live_bytes_first", live[skip], "live_bytes_last", live[n - 1],
                              "rounds_used", (json_int_t)tl.n, "warmup_rounds", (json_int_t)skip,
                              "first_round_used", (json_int_t)skip, "t", isinf(tl.t) ? 1e9 : tl.t,
                              "bytes_per_connection_per_round", conns > 0 ? tl.slope / conns : 0),
                    "what the workload holds after each round grows by %s a round "
                    "(%s after the last)%s",
                    ab_size_str(tl.slope, a, sizeof a), ab_size_str(live[n - 1], b, sizeof b),
                    conns > 0 ? ": objects outlive their connections" : "");
                ab_flag_hint(flags, "blocks allocated in every round are never freed: rerun "
                                    "with --trace, whose leak-site flag names the call stack "
                                    "that holds the growth (bench sites FILE lists it), and find "
                                    "the object that should have released them at close");
        } else if (rss && series(run, RSS, 1024, rss) == n &&
                   ab_trend_fit(rss, n, skip, &tr) == 0 && tr.significant &&
                   tr.slope >= 256 * 1024 && rss[n - 1] - rss[skip] >= 1024 * 1024) {
                ab_flag_add(flags, run, "leak-growth", "warn",
                            json_pack("{s:I}", "round", (json_int_t)(n - 1)),
                            json_pack("{s:f,s:f,s:f,s:o,s:I,s:I,s:f}", "rss_kib_per_round",
                                      tr.slope / 1024, "rss_kib_first", rss[skip] / 1024,
                                      "rss_kib_last", rss[n - 1] / 1024, "live_bytes_last",
                                      ab_jreal(run->rounds[n - 1].live_bytes), "warmup_rounds",
                                      (json_int_t)skip, "first_round_used", (json_int_t)skip, "t",
                                      isinf(tr.t) ? 1e9 : tr.t),
                            "resident memory after each round grows by %s a round while the "
                            "workload holds no more",
                            ab_size_str(tr.slope, a, sizeof a));
                if (run->wrap)
                        ab_flag_hint(flags,
                                     "the process under %s holds more after every round "
                                     "although the workload does not: compare with the "
                                     "native run to tell the launcher's memory from the "
                                     "allocator's",
                                     run->wrap);
                else
                        ab_flag_hint(flags, "memory is lost or cached without bound inside the "
                                            "allocator (fragmentation, per-thread caches, or "
                                            "frees that do not free): compare the other "
                                            "allocators on the same rounds");
        }
        free(live);
        free(rss);
}

AB_DETECTOR(leak_growth)
{
        if (run->program)
                program(doc, run, flags);
        else
                kernel(run, flags);
}
