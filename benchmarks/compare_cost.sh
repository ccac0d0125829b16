#!/usr/bin/env bash
# compare_cost.sh - what bench compare costs as the samples of a point grow,
# each figure against its target.
#
#   benchmarks/compare_cost.sh
#   BENCH=/other/build/bench benchmarks/compare_cost.sh   (an older build: before/after)
#
# 1. bench compare   two synthetic results files of one point each with N
#                    samples (SIZES: 1,000, 10,000 and 100,000 a side), BASE
#                    about 100 ns/op and NEW 10% slower, long-tailed and
#                    rounded to 0.1 ns so that values tie as a timer's do.
#                    Wall time (median of REPS) and peak RSS (the largest)
#                    from /usr/bin/time -v, and the verdict; targets <= 2 s
#                    and <= 256 MiB. bench run writes at most 1,000 samples a
#                    point, and compare tests at most 10,000 a side (more is
#                    "not tested"), so the 100,000 row times reading the files.
# 2. mwu alone       the test and the interval of harness/core/mwu.c on
#                    100,000 and 1,000,000 samples a side (benchmarks/mwu_cost.c):
#                    what they cost past compare's limit; targets <= 5 s and
#                    <= 256 MiB.
#
# Before the interval stopped making the nx*ny pairwise differences, 10,000
# samples a side took 15.5 s and 1.57 GB in bench compare.
#
# Tunables (environment): BENCH (./bench; figure 2 always builds this
# tree's mwu.c), SIZES ("1000 10000 100000"), MWU_SIZES ("100000 1000000";
# empty skips figure 2), REPS (3), KEEP (1: keep the temporary directory and
# print its path).
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup
# error (bench not built, python3 or /usr/bin/time missing).

set -u
NAME=compare_cost
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
BENCH=${BENCH:-./bench}
SIZES=${SIZES:-1000 10000 100000}
MWU_SIZES=${MWU_SIZES-100000 1000000}
REPS=${REPS:-3}
KEEP=${KEEP:-0}
CC=${CC:-cc}

TARGET_S=2
TARGET_MWU_S=5
TARGET_MIB=256

TMP=$(mktemp -d "${TMPDIR:-/tmp}/compare_cost.XXXXXX") || exit 2
if [ "$KEEP" = 1 ]; then
        trap 'echo "kept: $TMP"' EXIT
else
        trap 'rm -rf "$TMP"' EXIT
fi
trap 'exit 130' INT TERM

[ -x "$BENCH" ] || die "$BENCH is missing; run make first"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed for the peak RSS (apt-get install time)"
command -v python3 >/dev/null || die "python3 is needed to generate the results files"
MWU=$TMP/mwu_cost
"$CC" -O2 -Wall -Wextra -I"$ROOT/harness" -o "$MWU" benchmarks/mwu_cost.c harness/core/mwu.c \
        -lm || die "cannot build benchmarks/mwu_cost.c"

banner "compare cost"
echo "bench:   $BENCH"
echo

# timed OUT CMD...: run CMD under /usr/bin/time -v, its stdout to OUT; prints
# "SECONDS KIB EXIT". The seconds are timed here (time -v counts in 10 ms
# steps), the peak RSS is time's.
timed() {
        local out=$1 rc t0 t1
        shift
        t0=$(now_ns)
        /usr/bin/time -v -o "$TMP/time.txt" "$@" >"$out" 2>"$TMP/stderr.txt"
        rc=$?
        t1=$(now_ns)
        python3 - "$TMP/time.txt" "$rc" "$t0" "$t1" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
code = re.search(r"Exit status: (\d+)", t)
secs = (int(sys.argv[4]) - int(sys.argv[3])) / 1e9
print("%.3f %d %s" % (secs, kib, code.group(1) if code else sys.argv[2]))
EOF
}

# --- the synthetic results files ---------------------------------------------------

say "[0] generating results files of $SIZES samples a side"
python3 - "$TMP" $SIZES <<'EOF' || die "the generator failed"
import json, math, random, sys

out, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
for n in sizes:
    for side, scale in (("base", 100.0), ("new", 110.0)):
        rnd = random.Random(n * 2 + (side == "new"))
        # a long right tail on top of the scale, 0.1 ns resolution: ties
        samples = [round(10 * scale * (1 + 0.02 * rnd.expovariate(1))) / 10 for _ in range(n)]
        s = sorted(samples)
        point = {"params": {"size": 4096}, "status": "ok", "ops": 1000, "reps": n,
                 "samples_ns_per_op": samples,
                 "ns_per_op": {"median": s[n // 2], "min": s[0], "max": s[-1],
                               "ci95_lo": s[0], "ci95_hi": s[-1]},
                 "op_hash": "00000000000000aa", "rss_kib": 2048, "vsz_kib": 8192,
                 "pte_kib": 64, "peak_rss_kib": 2100, "minflt_per_op": 0.0}
        run = {"allocator": {"name": "glibc"},
               "workload": {"name": "calloc-sweep", "kernel": "calloc-sweep",
                            "params": {"iterations": 1000}},
               "seed": 1, "op_hash": "00000000000000aa", "status": "ok", "env": {},
               "points": [point]}
        doc = {"schema": "allocbench/results/1", "created": "2026-01-01T00:00:00Z",
               "host": {"hostname": "compare-cost", "os": "synthetic"},
               "runs": [run], "flags": []}
        with open("%s/%s-%d.json" % (out, side, n), "w") as f:
            json.dump(doc, f)
EOF

# --- 1. bench compare ---------------------------------------------------------------

for n in $SIZES; do
        say "[1] bench compare, $n samples a side, $REPS times"
        times=() peak=0 code=
        for ((i = 0; i < REPS; i++)); do
                read -r s kib code < <(timed "$TMP/report.json" "$BENCH" compare --format json \
                        "$TMP/base-$n.json" "$TMP/new-$n.json")
                times+=("$s")
                [ "$kib" -gt "$peak" ] && peak=$kib
        done
        label=$(printf "bench compare, %'d a side" "$n")
        if [ "$code" != 0 ] && [ "$code" != 3 ]; then
                row "$label" "error (exit $code)" "<= $TARGET_S s" FAIL
                note "$label: $(tail -n 2 "$TMP/stderr.txt")"
                continue
        fi
        verdict=$(py "$TMP/report.json" 'd["points"][0]["verdict"]')
        med=$(median "${times[@]}")
        mib=$(calc "round($peak / 1024, 1)")
        res=PASS
        le "$med" "$TARGET_S" || res=FAIL
        le "$mib" "$TARGET_MIB" || res=FAIL
        row "$label" "$med s, $mib MiB" "<= $TARGET_S s, $TARGET_MIB MiB" "$res"
        note "$label: verdict $verdict, exit $code; times ${times[*]} s; peak RSS $peak KiB"
done

# --- 2. the statistics alone ---------------------------------------------------------

for n in $MWU_SIZES; do
        say "[2] mwu alone, $n samples a side"
        read -r s kib code < <(timed "$TMP/mwu.txt" "$MWU" "$n")
        label=$(printf "test + interval alone, %'d a side" "$n")
        if [ "$code" != 0 ]; then
                row "$label" "error (exit $code)" "<= $TARGET_MWU_S s" FAIL
                continue
        fi
        mib=$(calc "round($kib / 1024, 1)")
        res=PASS
        le "$s" "$TARGET_MWU_S" || res=FAIL
        le "$mib" "$TARGET_MIB" || res=FAIL
        row "$label" "$s s, $mib MiB" "<= $TARGET_MWU_S s, $TARGET_MIB MiB" "$res"
        note "$label: $(cat "$TMP/mwu.txt")"
done

report 22 24
