#!/usr/bin/env bash
# measure_validity.sh - do the figures depend on how they were taken?
#
#   benchmarks/measure_validity.sh      (about 6 minutes on 2 cores)
#
# 1. default run   wall time of ./bench --alloc=all --workload=calloc-sweep
#                  (adaptive repetitions), and the points whose CI95 is wider
#                  than 5% (each must carry its reason); target: at most
#                  TARGET_WALL_S (1.2x the 35 s of the fixed-5-repetition harness,
#                  which ran four allocators; the matrix now has five)
# 2. A/A           the same default command run twice, compared: no slower or
#                  faster verdict, no memory change and the same op count at
#                  every point, PAIRS times over
# 3. op count      glibc calloc-sweep 16 MiB at iterations 8, 32 and 128:
#                  faults and ns per op within 10% of each other
# 4. load          the default run beside two busy loops: the same flags (kind,
#                  allocator, severity, place) and op counts as idle
#
# Tunables (environment): PAIRS (3), TARGET_WALL_S (42), SKIP_LOAD (0).
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup
# error.

set -u
NAME=measure_validity
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
PAIRS=${PAIRS:-3}
TARGET_WALL_S=${TARGET_WALL_S:-42}
SKIP_LOAD=${SKIP_LOAD:-0}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/measure_validity.XXXXXX") || exit 2
BUSY=()
cleanup() {
        for p in "${BUSY[@]}"; do kill "$p" 2>/dev/null; done
        rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in ./bench build/ab-runner; do
        [ -e "$f" ] || die "$f is missing; run make first"
done
# a snapshot of the harness, so that a rebuild during the run changes nothing
mkdir -p "$TMP/bin" "$TMP/workloads" || die "cannot make $TMP/bin"
cp ./bench build/ab-runner "$TMP/bin/" && cp workloads/*.ini "$TMP/workloads/" ||
        die "cannot copy the harness"
# musl's runner too, or --alloc=all would run four allocators, not five
if [ -e build/ab-runner-musl ]; then
        cp build/ab-runner-musl "$TMP/bin/" || die "cannot copy the musl runner"
fi
BENCH=$TMP/bin/bench

banner "measurement validity"
echo

default_run() { # default_run OUT: the wall time in s
        local t0 t1
        t0=$(now_ns)
        "$BENCH" --alloc=all --workload=calloc-sweep -q -o "$1" >"$1.log" 2>&1 ||
                die "the default run failed: $(tail -n3 "$1.log")"
        t1=$(now_ns)
        secs "$t0" "$t1"
}

flags_of() {
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted((f["kind"], f["allocator"], f["severity"], json.dumps(f["where"], sort_keys=True)) for f in d["flags"]))' "$1"
}
ops_of() {
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([p["ops"] for r in d["runs"] for p in r["points"]])' "$1"
}

# --- 1 and 2: the default run, twice per pair ---------------------------------
walls=()
for i in $(seq 1 "$PAIRS"); do
        for s in a b; do
                w=$(default_run "$TMP/aa$i$s.json")
                walls+=("$w")
                say "default run $i$s: $w s"
        done
done
wall=$(median "${walls[@]}")
if le "$wall" "$TARGET_WALL_S"; then res=PASS; else res=FAIL; fi
row "default run wall (median of $((PAIRS * 2)))" "${wall} s" "<= ${TARGET_WALL_S} s" "$res"

imprecise=$(python3 - "$TMP/aa1a.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
bad = [p for r in d["runs"] for p in r["points"] if not p["precision_met"]]
unexplained = [p for p in bad if not p.get("precision_note")]
print(len(bad), sum(len(r["points"]) for r in d["runs"]), len(unexplained))
EOF
)
read -r nbad npts nunexpl <<<"$imprecise"
if [ "$nunexpl" = 0 ]; then res=PASS; else res=FAIL; fi
row "points wider than 5% (run 1a)" "$nbad of $npts, $nunexpl without a reason" "every one with a reason" "$res"

verdicts=0
memverdicts=0
opsdiff=0
for i in $(seq 1 "$PAIRS"); do
        "$BENCH" compare --format json "$TMP/aa${i}a.json" "$TMP/aa${i}b.json" >"$TMP/cmp$i.json" 2>/dev/null
        n=$(py "$TMP/cmp$i.json" 'd["summary"]["slower"] + d["summary"]["faster"]')
        nm=$(py "$TMP/cmp$i.json" 'd["summary"]["memory_regressions"] + d["summary"]["memory_improvements"]')
        nc=$(py "$TMP/cmp$i.json" 'd["summary"]["not_comparable"]')
        verdicts=$((verdicts + n))
        memverdicts=$((memverdicts + nm))
        opsdiff=$((opsdiff + nc))
        [ "$(ops_of "$TMP/aa${i}a.json")" = "$(ops_of "$TMP/aa${i}b.json")" ] || opsdiff=$((opsdiff + 1))
done
if [ "$verdicts" = 0 ]; then res=PASS; else res=FAIL; fi
row "A/A slower+faster verdicts ($PAIRS pairs)" "$verdicts" "0" "$res"
if [ "$memverdicts" = 0 ]; then res=PASS; else res=FAIL; fi
row "A/A memory changes ($PAIRS pairs)" "$memverdicts" "0" "$res"
if [ "$opsdiff" = 0 ]; then res=PASS; else res=FAIL; fi
row "A/A pairs with other op counts" "$opsdiff" "0" "$res"

# --- 3: per-op figures against the op count -------------------------------------
for n in 8 32 128; do
        "$BENCH" --alloc=glibc --workload=calloc-sweep --set sizes=16MiB --set iterations=$n \
                -q -o "$TMP/it$n.json" >/dev/null 2>&1 || die "iterations=$n failed"
done
read -r spread_ns spread_flt desc <<<"$(python3 - "$TMP" <<'EOF'
import json, sys
v = {}
for n in (8, 32, 128):
    p = json.load(open(f"{sys.argv[1]}/it{n}.json"))["runs"][0]["points"][0]
    v[n] = (p["ns_per_op"]["median"], p["minflt_per_op"])
ns = [x[0] for x in v.values()]
fl = [x[1] for x in v.values()]
sns = max(ns) / min(ns) - 1
sfl = (max(fl) - min(fl)) / max(max(fl), 1)
print("%.3f %.3f %s" % (sns, sfl, ";".join("%d:%.0fns,%.2fflt" % (n, a, b) for n, (a, b) in v.items())))
EOF
)"
if le "$spread_ns" 0.10 && le "$spread_flt" 0.10; then res=PASS; else res=FAIL; fi
row "glibc 16MiB at 8/32/128 ops: spread" "ns $spread_ns, faults $spread_flt" "<= 0.10" "$res"
note "glibc 16 MiB per iterations: $desc"

# --- 4: the same flags beside two busy loops ----------------------------------------
if [ "$SKIP_LOAD" != 1 ]; then
        sh -c 'while :; do :; done' &
        BUSY+=($!)
        sh -c 'while :; do :; done' &
        BUSY+=($!)
        w=$(default_run "$TMP/busy.json")
        for p in "${BUSY[@]}"; do kill "$p" 2>/dev/null; done
        BUSY=()
        if [ "$(flags_of "$TMP/busy.json")" = "$(flags_of "$TMP/aa1a.json")" ]; then res=PASS; else res=FAIL; fi
        row "flags beside two busy loops" "$(py "$TMP/busy.json" 'len(d["flags"])') flags, ${w} s" "the idle run's" "$res"
        if [ "$(ops_of "$TMP/busy.json")" = "$(ops_of "$TMP/aa1a.json")" ]; then res=PASS; else res=FAIL; fi
        row "op counts beside two busy loops" "$(ops_of "$TMP/busy.json" | tr -d ' ' | cut -c1-24)..." "the idle run's" "$res"
fi
note "idle flags: $(flags_of "$TMP/aa1a.json")"
report 24 16
