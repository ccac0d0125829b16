#!/usr/bin/env bash
# run_cost.sh - what a run costs: the timeline sampler's effect on the measured
# time, and the wall time of the default runs, each figure against its target.
#
#   benchmarks/run_cost.sh
#   QUICK=1 benchmarks/run_cost.sh      skips the default-run wall times (2)
#
# 1. sampling cost     the parent samples the child's RSS/VSZ from
#                      /proc/PID/statm every --sample-ms (default 10, 0 = off).
#                      Each workload below is run with --sample-ms 10 (on),
#                      --sample-ms 0 (off) and --sample-ms 0 again (off2, the
#                      A/A control), in ROUNDS rounds whose order rotates
#                      (on off off2, off off2 on, off2 on off, ...) to cancel
#                      drift. Figure: median over rounds of the per-run median
#                      ns_per_op, on against off, in percent. Target: |on - off|
#                      <= 1%. On a noisy machine it also passes when |on - off|
#                      is within the A/A noise floor: the larger of |off2 - off|
#                      and the 95th percentile of |difference of medians| over
#                      every split of the 2 x ROUNDS unsampled runs into two
#                      groups of ROUNDS (one A/A difference alone can come out
#                      near 0 by chance). The table says which rule passed it.
#                      For information: a permutation test of the on runs
#                      against the pooled unsampled runs.
#                      Workloads (measured region >= 200 ms per repetition, so
#                      that every repetition gets about 20 samples; the sampling
#                      clock restarts with every child, so a repetition shorter
#                      than --sample-ms gets no sample at all):
#                        calloc-sweep sizes=64k iterations=CALLOC_ITERS
#                          --reps CALLOC_REPS --cpus 1
#                        conn-leak settle_ms=0 rounds=CONN_ROUNDS
#                          --reps CONN_REPS --cpus 1
#                      Before the rounds a probe run checks the region; when it
#                      is under 200 ms the count is scaled up to aim at
#                      REGION_AIM_MS. Also checked: every sampled run has
#                      timeline samples (len(runs[].timeline) > 0) and every
#                      unsampled run has none.
# 2. default run       wall time of ./bench --alloc=X --workload=W -q -o F for
#                      X in glibc jemalloc tcmalloc mimalloc and W in conn-leak
#                      arena-churn; target <= 30 s each.
#
# It runs copies of ./bench, build/ab-runner and workloads/*.ini taken at the
# start, so a rebuild of the tree during the run changes nothing.
#
# Tunables (environment): ROUNDS (6, best a multiple of 3), CALLOC_ITERS
# (620000), CALLOC_REPS (15), CONN_ROUNDS (700), CONN_REPS (9), REGION_AIM_MS
# (250), SAMPLE_MS (10), TARGET_PCT (1), QUICK (1 = skip figure 2).
# About 3 minutes on a 2-core VM.
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup
# error (harness not built, python3 missing).

set -u
NAME=run_cost
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
ROUNDS=${ROUNDS:-6}
CALLOC_ITERS=${CALLOC_ITERS:-620000}
CALLOC_REPS=${CALLOC_REPS:-15}
CONN_ROUNDS=${CONN_ROUNDS:-700}
CONN_REPS=${CONN_REPS:-9}
REGION_AIM_MS=${REGION_AIM_MS:-250}
SAMPLE_MS=${SAMPLE_MS:-10}
TARGET_PCT=${TARGET_PCT:-1}
QUICK=${QUICK:-0}

TARGET_REGION_MS=200
TARGET_DEFAULT_S=30
ALLOCS="glibc jemalloc tcmalloc mimalloc"
DEFAULT_WORKLOADS="conn-leak arena-churn"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/run_cost.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM


# python3 one-liners over a results file: py FILE 'expression using d'

# --- setup -----------------------------------------------------------------

for f in ./bench build/ab-runner; do
        [ -e "$f" ] || die "$f is missing; run make first"
done
command -v python3 >/dev/null || die "python3 is needed to read the results files"

# Run a snapshot of the harness: the tree may be rebuilt while this runs (a
# runner replaced mid-run fails to exec, or the runs compare two builds).
# bench finds its runner and job files next to itself: bin/ab-runner and
# bin/../workloads.
mkdir -p "$TMP/bin" "$TMP/workloads" || die "cannot make $TMP/bin"
cp ./bench build/ab-runner "$TMP/bin/" || die "cannot copy the harness"
cp workloads/*.ini "$TMP/workloads/" 2>/dev/null
BENCH=$TMP/bin/bench
"$BENCH" list >/dev/null 2>&1 || die "the copied ./bench does not run (being rebuilt? run make and retry)"

BENCH_PIN=() PIN_NOTE="not pinned (CPU 1 unavailable)"
if command -v taskset >/dev/null && taskset -c 1 true 2>/dev/null; then
        BENCH_PIN=(--cpus 1)
        PIN_NOTE="workload process with --cpus 1 (figure 1); figure 2 unpinned, as the default run is"
fi

banner "run cost"
echo "pinning: $PIN_NOTE"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at start (1, 5, 15 min)"
echo "harness: copies of ./bench ($(stat -c %y bench | cut -d. -f1)) and build/ab-runner ($(stat -c %y build/ab-runner | cut -d. -f1)) and workloads/*.ini, taken at start"
echo



# One line per results file: median ns/op, ops, shortest and median region per
# repetition in ms, timeline samples, sample_ms, status of the point.
summ() {
        python3 - "$1" <<'EOF'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0]
p = r["points"][0]
ok = p.get("status") == "ok" and p["ns_per_op"]["median"] is not None
if ok:
    reg = [s * p["ops"] / 1e6 for s in p["samples_ns_per_op"]]
    print("%r %d %.1f %.1f %d %s %s" % (p["ns_per_op"]["median"], p["ops"], min(reg),
          statistics.median(reg), len(r["timeline"]), d.get("sample_ms"), p["status"]))
else:
    print("nan %s nan nan %d %s %s" % (p.get("ops"), len(r.get("timeline") or []),
          d.get("sample_ms"), p.get("status")))
EOF
}

# --- 1. sampling cost ------------------------------------------------------------

# sampling_cost TAG LABEL PARAM VALUE REPS ARGS...
#   TAG names files, LABEL the table rows, PARAM the count scaled so that the
#   measured region is >= TARGET_REGION_MS; ARGS the rest of the command line.
sampling_cost() {
        local tag=$1 label=$2 param=$3 value=$4 reps=$5
        shift 5
        local args=("$@") f rc line region
        local -a order=(on off off2)

        # probe: is the region long enough? scale the count up if not
        for try in 1 2 3; do
                f=$TMP/$tag-probe$try.json
                say "[1] $label: probe, $param=$value, 3 reps"
                if ! bench_to "$f" "${args[@]}" --set "$param=$value" --reps 3 --sample-ms 0; then
                        row "sampling cost, $label" "error (probe)" "<= $TARGET_PCT %" FAIL
                        note "$label: probe failed: $(tail -n 3 "$f.log" | tr '\n' ' ')"
                        return
                fi
                read -r _ _ _ region _ <<<"$(summ "$f")"
                if le "$TARGET_REGION_MS" "$region"; then
                        break
                fi
                local nv
                nv=$(calc "int($value * $REGION_AIM_MS / max($region, 0.001)) + 1")
                note "$label: probe region $region ms per rep at $param=$value is under" \
                        "$TARGET_REGION_MS ms; $param raised to $nv"
                value=$nv
        done

        local cmd="./bench ${args[*]} --set $param=$value --reps $reps --sample-ms {$SAMPLE_MS|0} -q -o F"
        note "$label: $cmd"
        local list=()
        for ((i = 0; i < ROUNDS; i++)); do
                for ((k = 0; k < 3; k++)); do
                        local s=${order[$(((i + k) % 3))]} ms=0
                        [ "$s" = on ] && ms=$SAMPLE_MS
                        f=$TMP/$tag-$s-$i.json
                        say "[1] $label: round $((i + 1))/$ROUNDS, $s (--sample-ms $ms)"
                        bench_to "$f" "${args[@]}" --set "$param=$value" --reps "$reps" --sample-ms "$ms"
                        rc=$?
                        if [ $rc != 0 ]; then
                                row "sampling cost, $label" "error (exit $rc)" "<= $TARGET_PCT %" FAIL
                                note "$label: run $s round $i failed: $(tail -n 3 "$f.log" | tr '\n' ' ')"
                                return
                        fi
                        list+=("$s $(summ "$f")")
                done
        done

        # analysis: prints shell assignments (numbers and fixed words only)
        local out
        out=$(printf '%s\n' "${list[@]}" | python3 -c '
import math, statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
by = {"on": [], "off": [], "off2": []}
for s, med, ops, rmin, rmed, ns, sms, st in rows:
    by[s].append(dict(med=float(med), rmin=float(rmin), rmed=float(rmed), ns=int(ns), st=st))
def mm(s): return statistics.median(x["med"] for x in by[s])
on, off, off2 = mm("on"), mm("off"), mm("off2")
pct = lambda a, b: (a - b) / b * 100
aa_runs = []
offs = [x["med"] for x in by["off"] + by["off2"]]
print("MED_ON=%.4f MED_OFF=%.4f MED_OFF2=%.4f" % (on, off, off2))
print("DIFF=%.3f AA=%.3f" % (pct(on, off), pct(off2, off)))
print("SPREAD_OFF=%.2f" % ((max(offs) - min(offs)) / statistics.median(offs) * 100))
print("ON_RUNS=\"%s\"" % " ".join("%.2f" % x["med"] for x in by["on"]))
print("OFF_RUNS=\"%s\"" % " ".join("%.2f" % x["med"] for x in by["off"]))
print("OFF2_RUNS=\"%s\"" % " ".join("%.2f" % x["med"] for x in by["off2"]))
print("NS_ON_MIN=%d NS_ON_MAX=%d" % (min(x["ns"] for x in by["on"]), max(x["ns"] for x in by["on"])))
print("NS_ON_MED=%g" % statistics.median(x["ns"] for x in by["on"]))
print("NS_OFF_MAX=%d" % max(x["ns"] for x in by["off"] + by["off2"]))
allr = [x for v in by.values() for x in v]
print("REGION_MIN=%.1f REGION_MED=%.1f" % (min(x["rmin"] for x in allr),
      statistics.median(x["rmed"] for x in allr)))
print("ALL_OK=%d" % all(x["st"] == "ok" for x in allr))
# permutation test (information only): is "on" different from the pooled
# unsampled runs? p = share of relabellings whose |difference of medians| is
# at least the observed one (exact up to 20000 relabellings, else sampled)
import itertools, random
a = [x["med"] for x in by["on"]]
pool = a + offs
n = len(a)
obs = abs(statistics.median(a) - statistics.median(offs))
def stat(idx):
    s = set(idx)
    return abs(statistics.median(pool[i] for i in s) -
               statistics.median(pool[i] for i in range(len(pool)) if i not in s))
if math.comb(len(pool), n) <= 20000:
    combos = list(itertools.combinations(range(len(pool)), n))
else:
    rng = random.Random(1)
    combos = [rng.sample(range(len(pool)), n) for _ in range(20000)]
hits = sum(stat(c) >= obs - 1e-12 for c in combos)
print("PERM_P=%.3f PERM_N=%d" % (hits / len(combos), len(combos)))
# A/A noise floor: every split of the unsampled runs into two groups of
# ROUNDS (off against off2 is one of them); the 95th percentile of
# |difference of medians| in percent. One A/A difference alone can come out
# near 0 or large by chance; the distribution over the splits is steadier.
m = len(by["off"])
if math.comb(len(offs), m) <= 20000:
    splits = list(itertools.combinations(range(len(offs)), m))
else:
    rng = random.Random(2)
    splits = [rng.sample(range(len(offs)), m) for _ in range(20000)]
ref = statistics.median(offs)
aad = []
for c in splits:
    s = set(c)
    aad.append(abs(statistics.median(offs[i] for i in s) -
                   statistics.median(offs[i] for i in range(len(offs)) if i not in s)) / ref * 100)
aad.sort()
print("AA95=%.3f AA_SPLITS=%d" % (aad[min(len(aad) - 1, int(math.ceil(0.95 * len(aad))) - 1)], len(aad)))
print("ON_VS_POOL=%.3f" % ((statistics.median(a) - statistics.median(offs)) / statistics.median(offs) * 100))
') || { row "sampling cost, $label" "analysis error" "<= $TARGET_PCT %" FAIL; return; }
        local MED_ON MED_OFF MED_OFF2 DIFF AA SPREAD_OFF ON_RUNS OFF_RUNS OFF2_RUNS
        local NS_ON_MIN NS_ON_MAX NS_ON_MED NS_OFF_MAX REGION_MIN REGION_MED ALL_OK
        local PERM_P PERM_N ON_VS_POOL AA95 AA_SPLITS
        eval "$out"

        # noise floor: the larger of the off-vs-off2 difference and the 95th
        # percentile over all A/A splits of the unsampled runs
        local floor res why
        floor=$(calc "'%.3f' % max(abs($AA), $AA95)")
        if [ "$ALL_OK" != 1 ]; then
                res=FAIL why="a point did not end ok"
        elif le "abs($DIFF)" "$TARGET_PCT"; then
                res=PASS why="|diff| <= ${TARGET_PCT}%"
                le "abs($DIFF)" "$floor" && why="$why (also within A/A noise ${floor}%)"
        elif le "abs($DIFF)" "$floor"; then
                res=PASS why="|diff| > ${TARGET_PCT}%; PASS only as within A/A noise ${floor}%"
        else
                res=FAIL why="|diff| > ${TARGET_PCT}% and > A/A noise ${floor}%"
        fi
        row "sampling cost, $label" "$(printf '%+.2f %%' "$DIFF")" "<= $TARGET_PCT % or noise" "$res"
        row "  A/A noise floor, $label" "$(printf 'off2-off %+.2f %%, 95th pct %.2f %%' "$AA" "$AA95")" \
                "information" INFO
        row "  decided by" "$why" "" ""
        res=PASS
        if [ "$NS_ON_MIN" -lt 1 ] || [ "$NS_OFF_MAX" != 0 ]; then res=FAIL; fi
        row "  timeline samples, $label" "on $NS_ON_MIN..$NS_ON_MAX, off $NS_OFF_MAX" \
                "on > 0, off 0" "$res"
        res=PASS
        le "$TARGET_REGION_MS" "$REGION_MIN" || res=FAIL
        row "  region per rep, $label" "min $REGION_MIN ms, median $REGION_MED ms" \
                ">= $TARGET_REGION_MS ms" "$res"
        note "$label: A/A noise floor ${floor}% = max(|off2 - off| $(printf '%.2f' "${AA#-}")%," \
                "95th percentile ${AA95}% of |difference of medians| over the $AA_SPLITS splits of the" \
                "$((2 * ROUNDS)) unsampled runs into two groups of $ROUNDS)"
        note "$label: median of per-run medians: on $MED_ON, off $MED_OFF, off2 $MED_OFF2 ns/op;" \
                "per-run medians on [$ON_RUNS], off [$OFF_RUNS], off2 [$OFF2_RUNS] ns/op;" \
                "spread (max - min) of the $((2 * ROUNDS)) unsampled runs' medians: $SPREAD_OFF % of their median"
        note "$label: for information, not the decision: on against all $((2 * ROUNDS)) unsampled runs" \
                "pooled $(printf '%+.2f' "$ON_VS_POOL") %; permutation test of the run medians, two-sided" \
                "p = $PERM_P over $PERM_N relabellings (small p: the on runs differ more than chance" \
                "relabelling explains; large p: indistinguishable from noise)"
        note "$label: timeline samples per sampled run $NS_ON_MIN..$NS_ON_MAX (median $NS_ON_MED," \
                "$reps reps x ~$REGION_MED ms / $SAMPLE_MS ms = ~$(calc "int($reps * $REGION_MED / $SAMPLE_MS)")" \
                "expected from the regions alone), $NS_OFF_MAX in every unsampled run"
}

sampling_cost calloc "calloc-sweep 64k" iterations "$CALLOC_ITERS" "$CALLOC_REPS" \
        --alloc=glibc --workload=calloc-sweep --set sizes=64k "${BENCH_PIN[@]}"
sampling_cost conn "conn-leak" rounds "$CONN_ROUNDS" "$CONN_REPS" \
        --alloc=glibc --workload=conn-leak --set settle_ms=0 "${BENCH_PIN[@]}"

# the conn-leak command with its default rounds: how long is its region, and
# does the sampler ever see it?
f=$TMP/conn-default.json
say "[1] conn-leak with the default 10 rounds, --sample-ms $SAMPLE_MS"
if bench_to "$f" --alloc=glibc --workload=conn-leak --reps 9 "${BENCH_PIN[@]}" --set settle_ms=0 \
        --sample-ms "$SAMPLE_MS"; then
        read -r _ _ _ region ns _ <<<"$(summ "$f")"
        row "  conn-leak default rounds (10)" "region $region ms, $ns samples" "information" INFO
        note "conn-leak with its default 10 rounds: the measured region is $region ms per rep," \
                "shorter than --sample-ms $SAMPLE_MS, so its timeline has $ns samples; that is why" \
                "figure 1 raises rounds (the sampling clock restarts with every child)"
else
        row "  conn-leak default rounds (10)" "error" "information" INFO
fi

# --- 2. default run wall time --------------------------------------------------

if [ "$QUICK" = 1 ]; then
        row "default run wall time" "-" "<= $TARGET_DEFAULT_S s" SKIPPED
        note "default run: skipped because QUICK=1"
else
        for w in $DEFAULT_WORKLOADS; do
                for a in $ALLOCS; do
                        say "[2] default run: ./bench --alloc=$a --workload=$w"
                        f=$TMP/default-$a-$w.json
                        t0=$(now_ns)
                        bench_to "$f" --alloc="$a" --workload="$w"
                        rc=$?
                        t1=$(now_ns)
                        secs=$(calc "($t1 - $t0) / 1e9")
                        if [ $rc = 0 ]; then
                                res=PASS
                                le "$secs" "$TARGET_DEFAULT_S" || res=FAIL
                                row "default run, $w, $a" "$(printf '%.2f s' "$secs")" \
                                        "<= $TARGET_DEFAULT_S s" "$res"
                        else
                                row "default run, $w, $a" "$(printf '%.2f s' "$secs"), exit $rc" \
                                        "<= $TARGET_DEFAULT_S s" FAIL
                                note "default run $w $a: bench failed: $(tail -n 3 "$f.log" | tr '\n' ' ')"
                        fi
                done
        done
        note "default run: wall time of the whole ./bench invocation (preflight, all reps, writing" \
                "the file); ./bench --alloc=X --workload=W -q -o F with everything else default"
fi

# --- report --------------------------------------------------------------------

note "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min); this script keeps" \
        "about one CPU busy itself, more than that means something else ran alongside"
report 34 20
