/*
 * leak-site: the call stack that holds a leak. With --trace, each site has
 * its live bytes at the end of every round of its point's trace pass (an
 * exact count, or an unbiased estimate when sampled); the trend test of
 * leak-growth (ab_trend_fit after ab_trend_warmup's rounds) on that series
 * must find it:
 *  - significant (p < 0.01) and at least 64 B a round (one small record a
 *    round, which a long-running process pays for without end);
 *  - rising by at least 4 rounds' worth from the first round used to the
 *    last: what the site holds at the end has grown, not only the line
 *    fitted through a rise that fell back (a straight line over the 4
 *    rounds the count allows rises 3 rounds' worth: 5 are needed).
 * A bounded cache that fills in round 0 is discarded with the warm-up and
 * flat after it. A program's rounds are those of the last phase it named
 * (as leak-growth reads the run's rounds): the start-up it marked is not
 * its steady state.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect/detect.h"

#define MIB (1024.0 * 1024)

/* The first round of the last phase a program named in the site's trace
 * pass (0: every round), as ab_trend_rounds reads a run's rounds; the
 * phase's name in *phase (NULL: none). */
static size_t last_phase_from(const struct ab_vrun *run, const struct ab_vsite *s,
                              const char **phase)
{
        const struct ab_vtrace_point *tp = NULL;
        const char *last;
        size_t first, n = s->nrounds;
        *phase = NULL;
        for (size_t i = 0; i < run->trace.npoints && !tp; i++)
                if (run->trace.points[i].point == s->point)
                        tp = &run->trace.points[i];
        if (!run->program || !tp || !n || n > tp->nround_phases ||
            !(last = tp->round_phases[n - 1]))
                return 0;
        for (first = n; first > 0; first--) {
                const char *p = tp->round_phases[first - 1];
                if (!p || strcmp(p, last) != 0)
                        break;
        }
        *phase = last;
        return first;
}

struct growth {
        struct ab_trend live, blocks;
        size_t from, skip; /* the rounds used: from + skip .. nrounds */
        double first, last;
        const char *phase; /* the program's last phase, or NULL */
};

static bool grows(const struct ab_vrun *run, const struct ab_vsite *s, struct growth *g)
{
        size_t from = last_phase_from(run, s, &g->phase), n = s->nrounds - from;
        size_t skip = ab_trend_warmup(n);
        if (n < skip + 4)
                return false;
        for (size_t i = from; i < s->nrounds; i++)
                if (isnan(s->live_bytes[i]))
                        return false;
        if (ab_trend_fit(s->live_bytes + from, n, skip, &g->live) != 0)
                return false;
        g->from = from;
        g->skip = skip;
        g->first = s->live_bytes[from + skip];
        g->last = s->live_bytes[s->nrounds - 1];
        if (!g->live.significant || g->live.slope < 64 || g->last - g->first < 4 * g->live.slope)
                return false;
        /* blocks are evidence only: a NAN among them leaves their slope NAN */
        if (ab_trend_fit(s->live_blocks + from, n, skip, &g->blocks) != 0)
                g->blocks.slope = NAN;
        return true;
}

AB_DETECTOR(leak_site)
{
        (void)doc;
        for (size_t i = 0; i < run->nsites; i++) {
                const struct ab_vsite *s = &run->sites[i];
                struct growth g;
                char name[256], a[32], b[32];
                if (!grows(run, s, &g))
                        continue;
                ab_flag_add(
                    flags, run, "leak-site",
                    g.live.slope >= MIB || g.last >= 64 * MIB ? "high" : "warn", ab_where_site(s),
                    json_pack("{s:f,s:o,s:f,s:f,s:I,s:I,s:f,s:s?}", "bytes_per_round", g.live.slope,
                              "blocks_per_round", ab_jreal(g.blocks.slope), "live_bytes_first",
                              g.first, "live_bytes_last", g.last, "rounds_used",
                              (json_int_t)g.live.n, "first_round_used",
                              (json_int_t)(g.from + g.skip), "t", isinf(g.live.t) ? 1e9 : g.live.t,
                              "phase", g.phase),
                    "blocks allocated at %s stay live: %s more after every round across %zu "
                    "rounds (%s after the last)",
                    ab_site_name(s, name, sizeof name), ab_size_str(g.live.slope, a, sizeof a),
                    g.live.n, ab_size_str(g.last, b, sizeof b));
                ab_flag_hint(flags, "every round leaves blocks from this call stack allocated: "
                                    "find the object that should free them (at close, at the "
                                    "end of a request) and the path that skips it; if it is a "
                                    "cache, bound it; the site's key in where names the "
                                    "stack, innermost first");
        }
}
