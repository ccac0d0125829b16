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

AB_DETECTOR(leak_growth)
{
        size_t n = run->nrounds, skip = ab_trend_warmup(n);
        double *live, *rss, conns = ab_vrun_num(run, "connections");
        struct ab_trend tl, tr;
        char a[32], b[32];
        (void)doc;
        if (n < skip + 4 || run->rounds_per_point)
                return;
        if (isnan(conns) || conns != floor(conns))
                conns = 0;
        live = calloc(n, sizeof *live);
        rss = calloc(n, sizeof *rss);
        if (live && series(run, LIVE, 1, live) == n && ab_trend_fit(live, n, skip, &tl) == 0 &&
            tl.significant && tl.slope >= 64 && (conns == 0 || tl.slope / conns >= 0.25)) {
                ab_flag_add(flags, run, "leak-growth", "high",
                            json_pack("{s:I}", "round", (json_int_t)(n - 1)),
                            json_pack("{s:f,s:f,s:f,s:I,s:I,s:f,s:f}", "live_bytes_per_round",
                                      tl.slope, "live_bytes_first", live[skip], "live_bytes_last",
                                      live[n - 1], "rounds_used", (json_int_t)tl.n, "warmup_rounds",
                                      (json_int_t)skip, "t", isinf(tl.t) ? 1e9 : tl.t,
                                      "bytes_per_connection_per_round",
                                      conns > 0 ? tl.slope / conns : 0),
                            "what the workload holds after each round grows by %s a round "
                            "(%s after the last)%s",
                            ab_size_str(tl.slope, a, sizeof a),
                            ab_size_str(live[n - 1], b, sizeof b),
                            conns > 0 ? ": objects outlive their connections" : "");
                ab_flag_hint(flags, "blocks allocated in every round are never freed: find the "
                                    "allocation sites that hold the growth (heaptrack, valgrind "
                                    "--tool=massif, or the allocator's profiler) and the object "
                                    "that should have released them at close");
        } else if (rss && series(run, RSS, 1024, rss) == n &&
                   ab_trend_fit(rss, n, skip, &tr) == 0 && tr.significant &&
                   tr.slope >= 256 * 1024 && rss[n - 1] - rss[skip] >= 1024 * 1024) {
                ab_flag_add(flags, run, "leak-growth", "warn",
                            json_pack("{s:I}", "round", (json_int_t)(n - 1)),
                            json_pack("{s:f,s:f,s:f,s:o,s:I,s:f}", "rss_kib_per_round",
                                      tr.slope / 1024, "rss_kib_first", rss[skip] / 1024,
                                      "rss_kib_last", rss[n - 1] / 1024, "live_bytes_last",
                                      ab_jreal(run->rounds[n - 1].live_bytes), "warmup_rounds",
                                      (json_int_t)skip, "t", isinf(tr.t) ? 1e9 : tr.t),
                            "resident memory after each round grows by %s a round while the "
                            "workload holds no more",
                            ab_size_str(tr.slope, a, sizeof a));
                if (run->wrap)
                        ab_flag_hint(flags, "the process under %s holds more after every round "
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
