#!/usr/bin/env bash
# replay_cost.sh - allocation records: how big, how fast a replay plays
# them, and how faithful a replay is to the run it recorded.
#
#   benchmarks/replay_cost.sh          (make bench-replay builds what it needs)
#
# Records made by bench run --record of: conn-leak (leak_every=8, 10 rounds,
# 210 k events), arena-churn with 4 threads freeing half of each other's
# blocks, python3 building and dumping a JSON document, and sqlite3 filling
# and indexing a table in memory.
#
# 1. size            bytes per event of each record, plain and zstd.
#                    Target: conn-leak <= 4 bytes an event.
# 2. replay speed    each single-threaded record replayed (touch=none) under
#                    build/libbump.so, an allocator that costs next to
#                    nothing (carves blocks, never frees), RUNS repetitions:
#                    events per second of the measured region, i.e. what the
#                    replay kernel itself costs an event (decoding, its table
#                    of blocks), the allocator's time left out. Target: conn-
#                    leak >= 20 M events/s on one thread. Under glibc too,
#                    for information.
# 3. fidelity        conn-leak: the replay's live bytes at every round end
#                    against the recorded run's own (equal, counted), and
#                    leak-growth raised by both. python3 and sqlite3: the
#                    replay's peak live bytes against the record's (equal),
#                    and the ranking of the four allocators by wall time in
#                    real runs (the program under each, RUNS times) against
#                    their ranking by the replay's time (for information:
#                    a replay leaves out the program's own work, and what it
#                    ranks is the allocators' share).
#
# Tunables (environment): RUNS (7). About 2 minutes on a 2-core VM.
# Exit: 0 every target met, 1 one missed, 2 setup error.

set -u
NAME=replay_cost
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
RUNS=${RUNS:-7}
B=${AB_BUILD:-build}
[ -x ./bench ] && [ -e "$B/libbump.so" ] && [ -e "$B/libabtrace.so" ] || die "build first: make"
for c in python3 sqlite3 zstd; do command -v $c >/dev/null || die "$c is missing"; done
T=$(mktemp -d /tmp/replay_cost.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
BUMP=$(readlink -f "$B/libbump.so")

PY='import json; d=[{"k": i, "v": str(i) * 10, "l": list(range(i % 20))} for i in range(300000)]; s=json.dumps(d); print(len(json.loads(s)))'
SQ="create table t(a, b, c); with recursive n(x) as (select 1 union all select x+1 from n where x < 200000) insert into t select x, hex(randomblob(60)), x % 97 from n; create index tb on t(b); create index tc on t(c, a); select count(*), sum(length(b)) from t group by c order by 2 desc limit 3;"

banner "replay cost"

# the records
bench_to "$T/cl.json" --workload=conn-leak --set leak_every=8 --reps 1 --record "$T/cl.arec" ||
        die "recording conn-leak failed: $(cat "$T/cl.json.log")"
bench_to "$T/xf.json" --workload=arena-churn --set threads=4 --set cross_free=50 --reps 1 \
        --record "$T/xf.arec" || die "recording arena-churn failed"
bench_to "$T/py.json" --workload=cmd --reps 1 --program-output=null --record "$T/py.arec" -- \
        python3 -c "$PY" || die "recording python3 failed"
bench_to "$T/sq.json" --workload=cmd --reps 1 --program-output=null --record "$T/sq.arec" -- \
        sqlite3 :memory: "$SQ" || die "recording sqlite3 failed"

# 1. size
for r in cl xf py sq; do
        ./bench trace info "$T/$r.arec" --json >"$T/$r.info" || die "trace info $r failed"
        zstd -q -3 "$T/$r.arec" -o "$T/$r.arec.zst"
done
label() { case $1 in cl) echo conn-leak ;; xf) echo "arena-churn, 4 threads" ;; py) echo python3 ;; sq) echo sqlite3 ;; esac; }
for r in cl xf py sq; do
        ev=$(py "$T/$r.info" 'd["events"]')
        bpe=$(calc "$(stat -c %s "$T/$r.arec") / $ev")
        zpe=$(calc "$(stat -c %s "$T/$r.arec.zst") / $ev")
        res=INFO
        [ $r = cl ] && { le "$bpe" 4 && res=PASS || res=FAIL; }
        row "size, $(label $r) ($ev events)" "$(printf '%.2f B/ev (zstd %.2f)' "$bpe" "$zpe")" \
                "$([ $r = cl ] && echo '<= 4 B/ev' || echo -)" "$res"
done

# 2. replay speed
for r in cl py sq; do
        bench_to "$T/$r-bump.json" --alloc="$BUMP" --workload=replay --set trace="$T/$r.arec" \
                --set touch=none --reps "$RUNS" || die "replay of $r under libbump.so failed"
        bench_to "$T/$r-glibc.json" --alloc=glibc --workload=replay --set trace="$T/$r.arec" \
                --reps "$RUNS" || die "replay of $r under glibc failed"
        ns=$(py "$T/$r-bump.json" 'd["runs"][0]["points"][0]["ns_per_op"]["median"]')
        rate=$(calc "1000 / $ns")
        res=INFO
        [ $r = cl ] && { le 20 "$rate" && res=PASS || res=FAIL; }
        row "replay speed, $(label $r), libbump" "$(printf '%.1f M ev/s (%.1f ns)' "$rate" "$ns")" \
                "$([ $r = cl ] && echo '>= 20 M ev/s' || echo -)" "$res"
        row "replay, $(label $r), glibc" \
                "$(py "$T/$r-glibc.json" "'%.1f ns/ev' % d['runs'][0]['points'][0]['ns_per_op']['median']")" \
                "-" INFO
done

# 3. fidelity: conn-leak
bench_to "$T/cl-rep.json" --alloc=glibc,jemalloc,tcmalloc,mimalloc --workload=replay \
        --set trace="$T/cl.arec" --set touch=first --reps 3 || die "replaying conn-leak failed"
same=$(python3 - "$T/cl.json" "$T/cl-rep.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
live = [r["live_bytes"] for r in a["runs"][0]["rounds"]]
ok = all([r["live_bytes"] for r in run["rounds"]] == live for run in b["runs"])
flags = lambda d, k: sorted(f["allocator"] for f in d["flags"] if f["kind"] == k)
print("%s %d %s" % ("equal" if ok else "DIFFERENT", len(live),
                    ",".join(flags(b, "leak-growth")) or "none"))
PYEOF
)
read -r eq nr lg <<<"$same"
row "conn-leak: live bytes per round" "$eq over $nr rounds, 4 allocators" "equal" \
        "$([ "$eq" = equal ] && echo PASS || echo FAIL)"
row "conn-leak: leak-growth in replays" "$lg" "all four" \
        "$([ "$lg" = glibc,jemalloc,mimalloc,tcmalloc ] && echo PASS || echo FAIL)"

# 3. fidelity: real programs
ALL=--alloc=glibc,jemalloc,tcmalloc,mimalloc
rank() { # FILE: the allocators by median time, fastest first
        py "$1" "' < '.join('%s %.1f' % (r['allocator']['name'], r['points'][0]['ns_per_op']['median'] / (1e6 if r['workload']['kernel'] == 'cmd' else 1)) for r in sorted(d['runs'], key=lambda r: r['points'][0]['ns_per_op']['median']))"
}
for r in py sq; do
        if [ $r = py ]; then
                bench_to "$T/$r-real.json" $ALL --workload=cmd --reps "$RUNS" --program-output=null \
                        -- python3 -c "$PY" || die "real python3 runs failed"
        else
                bench_to "$T/$r-real.json" $ALL --workload=cmd --reps "$RUNS" --program-output=null \
                        -- sqlite3 :memory: "$SQ" || die "real sqlite3 runs failed"
        fi
        bench_to "$T/$r-rep.json" $ALL --workload=replay --set trace="$T/$r.arec" --reps "$RUNS" ||
                die "replays of $r failed"
        peak=$(py "$T/$r.info" 'd["peak_live"]')
        got=$(py "$T/$r-rep.json" '",".join(str(r["points"][0]["live_peak_bytes"]) for r in d["runs"])')
        ok=PASS
        for g in ${got//,/ }; do [ "$g" = "$peak" ] || ok=FAIL; done
        row "$(label $r): peak live, replay = record" "$peak B x4" "equal" "$ok"
        real=$(rank "$T/$r-real.json")
        rep=$(rank "$T/$r-rep.json")
        order() { echo "$1" | sed 's/ [0-9.]*//g'; }
        row "$(label $r): same ranking" \
                "$([ "$(order "$real")" = "$(order "$rep")" ] && echo yes || echo no)" "-" INFO
        note "$(label $r) real runs (ms): $real"
        note "$(label $r) replays (ns/event): $rep"
done
report 34 14
