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

AB_DETECTOR(address_space_growth)
{
        size_t n = run->nrounds, skip = ab_trend_warmup(n);
        double *vsz, *pte;
        struct ab_trend tv, tp;
        bool ok = true, grow_v, grow_p;
        char a[32], b[32];
        (void)doc;
        if (n < skip + 4 || run->rounds_per_point)
                return;
        vsz = calloc(n, sizeof *vsz);
        pte = calloc(n, sizeof *pte);
        if (!vsz || !pte)
                goto out;
        for (size_t i = 0; i < n; i++) {
                vsz[i] = run->rounds[i].vsz_kib * 1024;
                pte[i] = run->rounds[i].pte_kib * 1024;
                ok &= !isnan(vsz[i]) && !isnan(pte[i]);
        }
        if (!ok || ab_trend_fit(vsz, n, skip, &tv) != 0 || ab_trend_fit(pte, n, skip, &tp) != 0)
                goto out;
        grow_v = tv.significant && tv.slope >= 1024 * 1024;
        grow_p = tp.significant && tp.slope >= 4096;
        if (!grow_v && !grow_p)
                goto out;
        ab_flag_add(flags, run, "address-space-growth", "high",
                    json_pack("{s:I}", "round", (json_int_t)(n - 1)),
                    json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:I}", "vsz_kib_per_round", tv.slope / 1024,
                              "pte_kib_per_round", tp.slope / 1024, "vsz_kib_first",
                              vsz[skip] / 1024, "vsz_kib_last", vsz[n - 1] / 1024, "pte_kib_first",
                              pte[skip] / 1024, "pte_kib_last", pte[n - 1] / 1024, "warmup_rounds",
                              (json_int_t)skip),
                    "%s grows by %s a round across identical rounds (%s after the last)%s%s",
                    grow_v ? "virtual size" : "page-table size",
                    ab_size_str(grow_v ? tv.slope : tp.slope, a, sizeof a),
                    ab_size_str(grow_v ? vsz[n - 1] : pte[n - 1], b, sizeof b),
                    run->wrap ? " under " : "", run->wrap ? run->wrap : "");
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
out:
        free(vsz);
        free(pte);
}
