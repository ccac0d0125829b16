/*
 * address-space-growth: VSZ or page-table size grows across identical
 * rounds (the emulator story: each 6 GiB map/unmap round left bookkeeping
 * behind). Significant and material: VSZ at least 1 MiB a round, or page
 * tables at least 4 KiB a round, by the trend test after warm-up.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

struct growth {
        struct ab_trend v, p; /* VSZ and page tables, in bytes */
        double v_first, v_last, p_first, p_last;
        size_t skip, from; /* warm-up rounds; the first round of the last phase */
        bool grow_v, grow_p;
};

/* The trend of VSZ and page tables over run's rounds (a program's: of the
 * last phase it named), warm-up discarded. False when it cannot be fitted. */
static bool growth(const struct ab_vrun *run, struct growth *g)
{
        size_t from = ab_trend_rounds(run), n = run->nrounds - from;
        double *vsz, *pte;
        bool ok = true;
        memset(g, 0, sizeof *g);
        g->skip = ab_trend_warmup(n);
        g->from = from;
        if (n < g->skip + 4 || run->rounds_per_point)
                return false;
        vsz = calloc(n, sizeof *vsz);
        pte = calloc(n, sizeof *pte);
        for (size_t i = 0; vsz && pte && i < n; i++) {
                vsz[i] = run->rounds[from + i].vsz_kib * 1024;
                pte[i] = run->rounds[from + i].pte_kib * 1024;
                ok &= !isnan(vsz[i]) && !isnan(pte[i]);
        }
        ok = ok && vsz && pte && ab_trend_fit(vsz, n, g->skip, &g->v) == 0 &&
             ab_trend_fit(pte, n, g->skip, &g->p) == 0;
        if (ok) {
                g->grow_v = g->v.significant && g->v.slope >= 1024 * 1024;
                g->grow_p = g->p.significant && g->p.slope >= 4096;
                g->v_first = vsz[g->skip];
                g->v_last = vsz[n - 1];
                g->p_first = pte[g->skip];
                g->p_last = pte[n - 1];
        }
        free(vsz);
        free(pte);
        return ok;
}

AB_DETECTOR(address_space_growth)
{
        const struct ab_vrun *native = ab_native_sibling(doc, run);
        struct growth g, gn;
        bool native_flat;
        char a[32], b[32], natively[96] = "";
        if (!growth(run, &g) || (!g.grow_v && !g.grow_p))
                return;
        native_flat = native && growth(native, &gn) && !gn.grow_v && !gn.grow_p;
        if (native_flat)
                snprintf(
                    natively, sizeof natively, "; natively it does not (%s a round)",
                    ab_size_str(g.grow_v ? fmax(gn.v.slope, 0) : fmax(gn.p.slope, 0), a, sizeof a));
        ab_flag_add(flags, run, "address-space-growth", "high",
                    json_pack("{s:I}", "round", (json_int_t)(run->nrounds - 1)),
                    json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:o}", "vsz_kib_per_round",
                              g.v.slope / 1024, "pte_kib_per_round", g.p.slope / 1024,
                              "vsz_kib_first", g.v_first / 1024, "vsz_kib_last", g.v_last / 1024,
                              "pte_kib_first", g.p_first / 1024, "pte_kib_last", g.p_last / 1024,
                              "warmup_rounds", (json_int_t)g.skip, "first_round_used",
                              (json_int_t)(g.from + g.skip), "native_vsz_kib_per_round",
                              native_flat ? ab_jreal(gn.v.slope / 1024) : json_null()),
                    "%s grows by %s a round across identical rounds (%s after the last)%s%s%s",
                    g.grow_v ? "virtual size" : "page-table size",
                    ab_size_str(g.grow_v ? g.v.slope : g.p.slope, a, sizeof a),
                    ab_size_str(g.grow_v ? g.v_last : g.p_last, b, sizeof b),
                    run->wrap ? " under " : "", run->wrap ? run->wrap : "", natively);
        if (run->wrap)
                ab_flag_hint(flags,
                             "the launcher (%s) keeps bookkeeping for every region the process "
                             "ever mapped (QEMU's user-mode page tables); compare with the native "
                             "run, and reuse one reservation instead of mapping anew",
                             run->wrap);
        else
                ab_flag_hint(flags, "something maps address space every round and never unmaps "
                                    "it (a reservation per thread or per large block, a guard "
                                    "region left behind): strace -f -e mmap,munmap,mprotect shows "
                                    "which call");
}
