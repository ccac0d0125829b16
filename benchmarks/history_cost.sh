#!/usr/bin/env bash
# history_cost.sh - what bench history costs on a large store, each figure
# against its target: one host's long history (local), and a fleet's
# (fleet).
#
#   benchmarks/history_cost.sh [local|fleet|all]      (default all)
#
# ---- local ----
#
# The store: RUNS synthetic results files of ALLOCS allocators x POINTS
# points of calloc-sweep (1,000 x 4 x 20 by default: 480 series of six
# metrics, 480,000 values), written by a generator below that follows SPEC §5,
# and added with `./bench history add`, i.e. through the real add code. Three
# series get steps on purpose (glibc's 32 KiB ns/op +20% from 70% of the way;
# tcmalloc's 4 MiB RSS +30% from 40% and back at 80%), so that check has
# change points to find and the figures below also check it finds them.
#
# 1. history check   wall time of `./bench history check` over the store;
#                    target <= 5 s
# 2. history html    wall time of `./bench history html DIR`; target <= 30 s
# 3. history add     wall time of adding all the files in one call, and per
#                    file (information only)
#
# Tunables (environment): RUNS (1000), ALLOCS (4, at most 6), POINTS (20),
# REPS (timings per figure, 3; the median is held to the target), KEEP (1:
# keep the temporary directory and print its path).
#
# ---- fleet ----
#
# FLEET_HOSTS hosts x FLEET_NIGHTS nights x 4 allocators x 20 points x 6
# metrics (100 x 365: 36,500 runs, 48,000 series, 17.52 M values), on
# SQLite and on PostgreSQL (BACKENDS), each store made by `bench history add`
# of one file (its schema) and then filled straight by SQL, set-based
# (benchmarks/history_fleet_{sqlite,pg}.sql: changes planted, each run's
# settings, three kinds of host), not through 36,500 results files.
#
# 4. history check   wall time and peak RSS; target <= 10 s at full size, the
#                    planted changes found, the perturbed host's 20 labelled
#                    env.MALLOC_PERTURB_
# 5. history html    wall time; target <= 30 s at full size; a page per host
#                    with its 480 charts
# 6. growth          check and html at a quarter and half the nights, and a
#                    quarter and half the hosts (FLEET_GROWTH=0: full size only)
#
# PostgreSQL: a temporary cluster this script makes and runs as nobody on a
# Unix socket (Debian's postgresql, /usr/lib/postgresql/N/bin), stopped and
# removed at the end; or HISTORY_PG_URL, a database URL whose user may
# CREATE DATABASE (the stores are made beside it and dropped).
# Tunables: FLEET_HOSTS (100), FLEET_NIGHTS (365), BACKENDS ("sqlite
# postgresql"), FLEET_REPS (timings at full size, 3), FLEET_GROWTH (1).
#
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup
# error (bench not built, python3, sqlite3 or PostgreSQL missing).

set -u
NAME=history_cost
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/.." || exit 2
MODE=${1:-all}
case $MODE in local | fleet | all) ;; *) echo "usage: $0 [local|fleet|all]" >&2; exit 2 ;; esac
RUNS=${RUNS:-1000}
ALLOCS=${ALLOCS:-4}
POINTS=${POINTS:-20}
REPS=${REPS:-3}
KEEP=${KEEP:-0}

TARGET_CHECK_S=5
TARGET_HTML_S=30

TMP=$(mktemp -d "${TMPDIR:-/tmp}/history_cost.XXXXXX") || exit 2
chmod 755 "$TMP"
pg_stop() { :; } # history_fleet.sh's, once sourced
cleanup() {
        pg_stop
        if [ "$KEEP" = 1 ]; then echo "kept: $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


[ -x ./bench ] || die "./bench is missing; run make first"
command -v python3 >/dev/null || die "python3 is needed to generate the results files"
[ "$ALLOCS" -ge 1 ] && [ "$ALLOCS" -le 6 ] || die "ALLOCS must be 1 to 6"

banner "history cost"
[ "$MODE" != fleet ] && echo "store:   $RUNS runs x $ALLOCS allocators x $POINTS points x 6 metrics"
echo

# --- the synthetic results files ---------------------------------------------

# gen_files DIR N: N results files of one host in DIR
gen_files() {
python3 - "$1" "$2" "$ALLOCS" "$POINTS" <<'EOF' || die "the generator failed"
import datetime, json, os, random, sys

out, nruns, nallocs, npoints = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(out, exist_ok=True)
rnd = random.Random(1)
allocs = ["glibc", "jemalloc", "tcmalloc", "mimalloc", "abcount", "zerocache"][:nallocs]
t0 = datetime.datetime(2024, 1, 1, 2, 0, 0)
for i in range(nruns):
    runs = []
    for a, name in enumerate(allocs):
        points = []
        for k in range(npoints):
            size = 4096 << k if k < 18 else (1 << 30) + k
            base = 30.0 * (1 + k) * (1 + 0.1 * a)
            if name == "glibc" and k == 3 and i >= int(nruns * 0.7):
                base *= 1.2
            samples = [base * rnd.gauss(1, 0.03) for _ in range(5)]
            s = sorted(samples)
            rss = 1600 + 10 * k
            if name == "tcmalloc" and k == 10 and int(nruns * 0.4) <= i < int(nruns * 0.8):
                rss += 480
            points.append({
                "params": {"size": size}, "status": "ok", "ops": 1000, "reps": 5,
                "samples_ns_per_op": samples,
                "ns_per_op": {"median": s[2], "min": s[0], "max": s[4], "ci95_lo": s[0],
                              "ci95_hi": s[4], "ci_coverage": 0.9375},
                "user_ns_per_op": s[2], "sys_ns_per_op": 0.0,
                "minflt_per_op": rnd.choice([0.0, 0.01, 0.02]), "majflt_per_op": 0.0,
                "rss_kib": rss, "vsz_kib": 2500 + 10 * k, "pte_kib": 40,
                "peak_rss_kib": rss + rnd.choice([0, 4]), "live_peak_bytes": size,
                "instructions_per_op": None})
        runs.append({"allocator": {"name": name, "library": None, "version": "1"},
                     "workload": {"name": "calloc-sweep", "params": {}}, "wrap": None, "env": [],
                     "seed": 1, "op_hash": "%016x" % (k + 1), "status": "ok", "points": points,
                     "rounds": [], "timeline": []})
    doc = {"schema": "allocbench/results/1",
           "tool": {"name": "allocbench", "version": "0.1.0", "git": "history-cost"},
           "created": (t0 + datetime.timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "command": ["bench", "(synthetic)"],
           "host": {"hostname": "history-cost", "os": "synthetic", "page_size": 4096},
           "calibration": {}, "runs": runs, "flags": []}
    with open(os.path.join(out, "r%05d.json" % i), "w") as f:
        json.dump(doc, f)
EOF
}

local_cost() {
say "[0] generating $RUNS results files in $TMP/files"
gen_files "$TMP/files" "$RUNS"


DB=$TMP/history.sqlite

# --- 3. add (first: it builds the store) ----------------------------------------

say "[3] history add of $RUNS files"
t0=$(now_ns)
./bench history add --db "$DB" "$TMP"/files/*.json >"$TMP/add.log" 2>&1
rc=$?
t1=$(now_ns)
if [ $rc != 0 ]; then
        row "history add ($RUNS files, one call)" "error (exit $rc)" "information" FAIL
        note "add: $(tail -n 3 "$TMP/add.log")"
else
        added=$(grep -c '^added ' "$TMP/add.log")
        s=$(secs "$t0" "$t1")
        res=INFO
        [ "$added" = "$RUNS" ] || { res=FAIL; note "add: $added of $RUNS files added"; }
        row "history add ($RUNS files, one call)" "$s s" "information" "$res"
        row "history add, per file" "$(python3 -c "print('%.2f ms' % ($s * 1000 / $RUNS))")" \
                "information" "$res"
        note "store: $(du -h "$DB" | cut -f1) on disk ($(python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print('%d runs, %d series, %d values' % tuple(c.execute(q).fetchone()[0] for q in (
    'SELECT count(*) FROM runs', 'SELECT count(*) FROM series', 'SELECT count(*) FROM samples')))
" "$DB" 2>/dev/null || echo "sqlite3 module missing"))"
fi

# --- 1. check --------------------------------------------------------------------

say "[1] history check, $REPS times"
times=()
rc=0
for ((i = 0; i < REPS; i++)); do
        t0=$(now_ns)
        ./bench history check --db "$DB" --format json >"$TMP/check.json" 2>"$TMP/check.err"
        rc=$?
        t1=$(now_ns)
        times+=("$(secs "$t0" "$t1")")
done
if [ $rc != 3 ] && [ $rc != 0 ]; then
        row "history check" "error (exit $rc)" "<= $TARGET_CHECK_S s" FAIL
        note "check: $(tail -n 3 "$TMP/check.err")"
else
        med=$(median "${times[@]}")
        res=PASS
        le "$med" "$TARGET_CHECK_S" || res=FAIL
        # the planted changes must be found: glibc 32 KiB ns/op up (newest, exit 3),
        # tcmalloc 4 MiB rss_kib up and back down
        found=$(python3 - "$TMP/check.json" "$RUNS" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
got = sorted((c["allocator"], c["point"], c["metric"], c["index"], c["direction"]) for c in d["changes"])
want = [("glibc", "size=32768", "ns_per_op", int(n * 0.7), "regression"),
        ("tcmalloc", "size=4194304", "rss_kib", int(n * 0.4), "regression"),
        ("tcmalloc", "size=4194304", "rss_kib", int(n * 0.8), "improvement")]
missing = [w for w in want if w not in got]
print("%d changes in %d series; %s" % (len(got), d["series"],
      "the planted ones found" if not missing else "MISSING %s" % missing))
EOF
)
        case $found in *MISSING*) res=FAIL ;; esac
        [ $rc = 3 ] || { res=FAIL; note "check: exit $rc, expected 3 (the glibc step is the newest change)"; }
        row "history check ($RUNS runs)" "$med s" "<= $TARGET_CHECK_S s" "$res"
        note "check: ${times[*]} s; $found; exit $rc"
fi

# --- 2. html ----------------------------------------------------------------------

say "[2] history html, $REPS times"
times=()
rc=0
for ((i = 0; i < REPS; i++)); do
        rm -rf "$TMP/dash"
        t0=$(now_ns)
        ./bench history html "$TMP/dash" --db "$DB" >"$TMP/html.log" 2>&1
        rc=$?
        t1=$(now_ns)
        times+=("$(secs "$t0" "$t1")")
done
if [ $rc != 0 ]; then
        row "history html" "error (exit $rc)" "<= $TARGET_HTML_S s" FAIL
        note "html: $(tail -n 3 "$TMP/html.log")"
else
        med=$(median "${times[@]}")
        res=PASS
        le "$med" "$TARGET_HTML_S" || res=FAIL
        charts=$(grep -o '<figure class="series' "$TMP/dash/index.html" | wc -l)
        want=$((ALLOCS * POINTS * 6))
        [ "$charts" = "$want" ] || { res=FAIL; note "html: $charts charts, expected $want"; }
        row "history html ($RUNS runs)" "$med s" "<= $TARGET_HTML_S s" "$res"
        note "html: ${times[*]} s; index.html $(du -h "$TMP/dash/index.html" | cut -f1), $charts charts"
fi

}

# --- report -----------------------------------------------------------------------

[ "$MODE" != fleet ] && local_cost
if [ "$MODE" != local ]; then
        . "$(dirname "$0")/history_fleet.sh"
        fleet_cost
fi
report 24 16
