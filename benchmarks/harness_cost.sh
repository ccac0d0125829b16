#!/usr/bin/env bash
# harness_cost.sh - what allocbench itself costs, each figure against its target.
#
#   benchmarks/harness_cost.sh          (or: make bench-harness)
#   QUICK=1 benchmarks/harness_cost.sh  skips the default-run wall time (4)
#
# 1. per-op overhead   the calloc-sweep workload timed by the harness versus a
#                      bare C loop (benchmarks/bare_loop.c) doing the same
#                      calloc(1, SIZE)/free pairs, both with build/libabcount.so
#                      preloaded and pinned to the same CPU; target <= 2 ns/op
# 2. fresh process     wall time of a 200-repetition run of one op each, per
#                      child process, less the measured work; target <= 5 ms
# 3. runner RSS        runner_rss_kib under glibc (nothing preloaded), i.e. the
#                      runner's own footprint; target < 2048 KiB. The other
#                      allocators are shown for information only.
# 4. default run       wall time of ./bench --alloc=all --workload=calloc-sweep;
#                      target <= 180 s
#
# Tunables (environment): N (ops per loop, 1000000), REPS (runs per figure, 7),
# FRESH_REPS (200), SIZES ("64 4096"), QUICK (1 = skip figure 4).
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup
# error (harness not built, bare loop does not compile).

set -u
NAME=harness_cost
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
N=${N:-1000000}
REPS=${REPS:-7}
FRESH_REPS=${FRESH_REPS:-200}
SIZES=${SIZES:-64 4096}
QUICK=${QUICK:-0}
CC=${CC:-cc}

TARGET_OVERHEAD_NS=2
TARGET_FRESH_MS=5
TARGET_RSS_KIB=2048
TARGET_DEFAULT_S=180

COUNT_SO=$ROOT/build/libabcount.so
BARE=$ROOT/build/bare_loop

TMP=$(mktemp -d "${TMPDIR:-/tmp}/harness_cost.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM


# python3 one-liners over a results file: py FILE 'expression using d'

# --- setup -----------------------------------------------------------------

for f in ./bench build/ab-runner "$COUNT_SO"; do
        [ -e "$f" ] || die "$f is missing; run make first"
done
command -v python3 >/dev/null || die "python3 is needed to read the results files"
mkdir -p build
"$CC" -O2 -Wall -Wextra -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-free \
        -o "$BARE" benchmarks/bare_loop.c || die "cannot build $BARE"

PIN=() BENCH_PIN=() PIN_NOTE="not pinned (taskset missing or CPU 1 unavailable)"
if command -v taskset >/dev/null && taskset -c 1 true 2>/dev/null; then
        PIN=(taskset -c 1)
        BENCH_PIN=(--cpus 1)
        PIN_NOTE="bare loop under taskset -c 1, runner with --cpus 1"
fi

banner "harness cost"
echo "pinning: $PIN_NOTE"
echo



# --- 1. per-op overhead ------------------------------------------------------

for size in $SIZES; do
        say "[1] per-op overhead, size $size: $REPS bare runs, then $REPS harness repetitions of $N ops"
        bare=()
        ok=1
        for ((i = 0; i < REPS; i++)); do
                # warmup 2: the workload's default, so both loops do the same pairs
                if ! v=$(LD_PRELOAD=$COUNT_SO "${PIN[@]}" "$BARE" "$size" "$N" 2); then
                        ok=0
                        break
                fi
                bare+=("$v")
        done
        f=$TMP/op-$size.json
        if [ $ok = 1 ] && bench_to "$f" --alloc="$COUNT_SO" --workload=calloc-sweep \
                --set sizes="$size" --set iterations="$N" --reps "$REPS" "${BENCH_PIN[@]}"; then
                bare_med=$(median "${bare[@]}")
                h_med=$(py "$f" 'd["runs"][0]["points"][0]["ns_per_op"]["median"]')
                h_ops=$(py "$f" 'd["runs"][0]["points"][0]["ops"]')
                h_samples=$(py "$f" '" ".join("%.2f" % x for x in d["runs"][0]["points"][0]["samples_ns_per_op"])')
                diff=$(calc "$h_med - $bare_med")
                res=PASS
                le "$diff" "$TARGET_OVERHEAD_NS" || res=FAIL
                [ "$h_ops" = "$N" ] || { res=FAIL; note "size $size: the harness ran $h_ops ops, not $N"; }
                row "per-op overhead, calloc $size B" \
                        "$(printf '%+.2f ns/op' "$diff")" "<= $TARGET_OVERHEAD_NS ns/op" "$res"
                note "size $size: harness median $(printf '%.2f' "$h_med") ns/op (samples $h_samples);" \
                        "bare median $(printf '%.2f' "$bare_med") ns/op (samples $(printf '%.2f ' "${bare[@]}" | sed 's/ $//'))"
        else
                row "per-op overhead, calloc $size B" "error" "<= $TARGET_OVERHEAD_NS ns/op" FAIL
                note "size $size: a run failed: $(cat "$f.log" 2>/dev/null | tail -n 3)"
        fi
done

note "per-op overhead = harness median - bare median; a figure at or below 0 means the two loops" \
        "cost the same within run-to-run noise."

# --- 2. fresh-process cost ---------------------------------------------------

say "[2] fresh-process cost: $FRESH_REPS repetitions of one 4 KiB calloc/free"
f=$TMP/fresh.json
t0=$(now_ns)
bench_to "$f" --alloc=glibc --workload=calloc-sweep --set sizes=4k --set iterations=1 \
        --set warmup=0 --reps "$FRESH_REPS" --sample-ms 0
rc=$?
t1=$(now_ns)
if [ $rc = 0 ]; then
        nsamp=$(py "$f" 'len(d["runs"][0]["points"][0]["samples_ns_per_op"])')
        work_ns=$(py "$f" 'sum(s * d["runs"][0]["points"][0]["ops"] for s in d["runs"][0]["points"][0]["samples_ns_per_op"])')
        # one preflight child (one allocator) + one per repetition; no probes,
        # since iterations is given
        children=$((FRESH_REPS + 1))
        per_ms=$(calc "(($t1 - $t0) - $work_ns) / $children / 1e6")
        res=PASS
        le "$per_ms" "$TARGET_FRESH_MS" || res=FAIL
        [ "$nsamp" = "$FRESH_REPS" ] || { res=FAIL; note "fresh: $nsamp samples, expected $FRESH_REPS"; }
        row "fresh process per point-repetition" "$(printf '%.3f ms' "$per_ms")" \
                "<= $TARGET_FRESH_MS ms" "$res"
        note "fresh: wall $(calc "'%.1f' % (($t1 - $t0) / 1e6)") ms for $children child processes" \
                "($FRESH_REPS repetitions + 1 preflight; the whole bench invocation is included)," \
                "measured work $(calc "'%.3f' % ($work_ns / 1e6)") ms"
else
        row "fresh process per point-repetition" "error (exit $rc)" "<= $TARGET_FRESH_MS ms" FAIL
        note "fresh: bench failed: $(tail -n 3 "$f.log")"
fi

# --- 3. runner resident memory -------------------------------------------------

say "[3] runner resident memory under every installed allocator"
f=$TMP/rss.json
if bench_to "$f" --alloc=all --workload=calloc-sweep --set sizes=64 --set iterations=1 \
        --reps 1 --sample-ms 0; then
        glibc_rss=$(py "$f" 'next((r["runner_rss_kib"] for r in d["runs"] if r["allocator"]["name"] == "glibc"), None)')
        if [ "$glibc_rss" = None ]; then
                row "runner RSS, glibc (the runner itself)" "not measured" "< $TARGET_RSS_KIB KiB" FAIL
        else
                res=PASS
                lt "$glibc_rss" "$TARGET_RSS_KIB" || res=FAIL
                row "runner RSS, glibc (the runner itself)" "$glibc_rss KiB" "< $TARGET_RSS_KIB KiB" "$res"
        fi
        while IFS=$'\t' read -r name kib; do
                [ "$name" = glibc ] && continue
                extra=""
                if [ "$kib" != None ] && [ "$glibc_rss" != None ]; then
                        extra=" ($(calc "$kib - $glibc_rss" | sed 's/^\([0-9]\)/+\1/') vs glibc)"
                fi
                row "runner RSS, $name preloaded" "$kib KiB$extra" "information" INFO
        done < <(py "$f" '"\n".join("%s\t%s" % (r["allocator"]["name"], r["runner_rss_kib"]) for r in d["runs"])')
        note "runner RSS: runner_rss_kib is VmRSS of the runner before the workload starts. Only the" \
                "glibc figure is held to the target: with glibc nothing is preloaded, so it is the runner" \
                "binary, libc, ld.so and stack, i.e. what the harness costs. With jemalloc, tcmalloc or" \
                "mimalloc preloaded the figure also holds that library's code and the arenas/caches its" \
                "initialisation maps and touches; that difference is the allocator's footprint, which" \
                "allocbench measures, not overhead it adds."
        grep -h '^bench: note' "$f.log" >/dev/null 2>&1 && note "runner RSS: $(grep -h '^bench: note' "$f.log" | tr '\n' ' ')"
else
        row "runner RSS, glibc (the runner itself)" "error" "< $TARGET_RSS_KIB KiB" FAIL
        note "runner RSS: bench failed: $(tail -n 3 "$f.log")"
fi

# --- 4. default run wall time ---------------------------------------------------

if [ "$QUICK" = 1 ]; then
        row "default run wall time (--alloc=all)" "-" "<= $TARGET_DEFAULT_S s" SKIPPED
        note "default run: skipped because QUICK=1"
else
        say "[4] default run: ./bench --alloc=all --workload=calloc-sweep (this takes a while)"
        f=$TMP/default.json
        t0=$(now_ns)
        bench_to "$f" --alloc=all --workload=calloc-sweep
        rc=$?
        t1=$(now_ns)
        secs=$(calc "($t1 - $t0) / 1e9")
        if [ $rc = 0 ]; then
                res=PASS
                le "$secs" "$TARGET_DEFAULT_S" || res=FAIL
                row "default run wall time (--alloc=all)" "$(printf '%.1f s' "$secs")" \
                        "<= $TARGET_DEFAULT_S s" "$res"
                note "default run: $(py "$f" '", ".join(r["allocator"]["name"] for r in d["runs"])');" \
                        "$(py "$f" 'len(d["runs"][0]["points"])') points x $(py "$f" 'd["runs"][0]["points"][0]["reps"]') reps each"
        else
                row "default run wall time (--alloc=all)" "$(printf '%.1f s' "$secs"), exit $rc" \
                        "<= $TARGET_DEFAULT_S s" FAIL
                note "default run: bench failed: $(tail -n 3 "$f.log")"
        fi
fi

# --- report --------------------------------------------------------------------

report 28 16
