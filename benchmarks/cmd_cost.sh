#!/usr/bin/env bash
# cmd_cost.sh - what measuring a user's program (--workload=cmd) costs it.
#
#   benchmarks/cmd_cost.sh
#
# 1. watching          gzip -9 of a 6.8 MB file (about 0.8 s of CPU), run RUNS
#                      times directly (wall timed by this script around
#                      fork+exec+wait) and RUNS times by bench (its wall
#                      median: the agent preloaded, the tree read every 10 ms,
#                      its output to a file). Figure: bench's median against
#                      the direct median, in percent. Target <= 3%.
# 2. per mark          build/progs/leak_rounds N 0 (N rounds that keep
#                      nothing), with marks and with --no-marks, 5 repetitions
#                      each under bench. Figure: (wall with marks - wall
#                      without) / N: what one allocbench_round() costs the
#                      program (a socket round trip while the parent reads the
#                      tree's status and maps). Target <= 250 us (informative:
#                      a program marking a round every 25 ms or more loses
#                      under 1%).
# 3. per window        gzip as in 1 under --round-ms 1: a time window reads the
#                      tree from outside, without stopping the program.
#                      Figure: bench's wall median with --round-ms 1 against
#                      without, in percent (for information).
#
# Tunables (environment): RUNS (7), MARKS (2000).
# About 30 seconds on a 2-core VM. Exit: 0 every target met, 1 one missed,
# 2 setup error.

set -u
NAME=cmd_cost
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
RUNS=${RUNS:-7}
MARKS=${MARKS:-2000}
[ -x ./bench ] && [ -x build/progs/leak_rounds ] || die "build first: make && make build/progs/leak_rounds"
command -v gzip >/dev/null || die "gzip is missing"
INPUT=$(readlink -f /usr/bin/python3 2>/dev/null || echo ./bench)
T=$(mktemp -d /tmp/cmd_cost.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT

banner "cmd cost"
echo "input:   $INPUT ($(stat -c %s "$INPUT") bytes)"

# 1. watching
direct=$(python3 - "$RUNS" "$INPUT" <<'PYEOF'
import statistics, subprocess, sys, time
runs, path = int(sys.argv[1]), sys.argv[2]
walls = []
for _ in range(runs):
    t = time.perf_counter_ns()
    subprocess.run(["gzip", "-9", "-c", path], stdout=subprocess.DEVNULL, check=True)
    walls.append(time.perf_counter_ns() - t)
print(statistics.median(walls))
PYEOF
)
bench_to "$T/gz.json" --workload=cmd --reps "$RUNS" --program-output=null -- gzip -9 -c "$INPUT" ||
        die "bench failed: $(cat "$T/gz.json.log")"
watched=$(py "$T/gz.json" 'd["runs"][0]["points"][0]["ns_per_op"]["median"]')
pct=$(calc "100 * ($watched - $direct) / $direct")
res=PASS
le "$pct" 3 || res=FAIL
row "gzip -9: bench wall vs direct" "$(printf '%+.2f%% (%.0f vs %.0f ms)' "$pct" "$(calc "$watched/1e6")" "$(calc "$direct/1e6")")" "<= 3%" "$res"

# 2. per mark
bench_to "$T/m1.json" --workload=cmd --reps 5 -- build/progs/leak_rounds "$MARKS" 0 || die "bench failed"
bench_to "$T/m0.json" --workload=cmd --reps 5 -- build/progs/leak_rounds "$MARKS" 0 --no-marks ||
        die "bench failed"
rounds=$(py "$T/m1.json" 'len(d["runs"][0]["rounds"])')
[ "$rounds" = "$MARKS" ] || note "marked run recorded $rounds rounds, not $MARKS"
with=$(py "$T/m1.json" 'd["runs"][0]["points"][0]["ns_per_op"]["median"]')
without=$(py "$T/m0.json" 'd["runs"][0]["points"][0]["ns_per_op"]["median"]')
per=$(calc "($with - $without) / $MARKS / 1000")
res=PASS
le "$per" 250 || res=FAIL
row "one allocbench_round()" "$(printf '%.1f us' "$per")" "<= 250 us" "$res"

# 3. per window
bench_to "$T/w.json" --workload=cmd --reps "$RUNS" --round-ms 1 --program-output=null -- \
        gzip -9 -c "$INPUT" || die "bench failed"
win=$(py "$T/w.json" 'd["runs"][0]["points"][0]["ns_per_op"]["median"]')
nwin=$(py "$T/w.json" 'len(d["runs"][0]["rounds"])')
row "gzip -9: --round-ms 1 vs none" "$(printf '%+.1f%% (%s windows)' "$(calc "100 * ($win - $watched) / $watched")" "$nwin")" "-" INFO

report 34 12
