# benchmarks/lib.sh - what the benchmark scripts share: messages, arithmetic
# through python3, reading results files, the figure/measured/target/result
# table and the exit status. Source it after setting NAME (used in messages
# and the verdict line).

say() { printf '%s\n' "$*" >&2; }
die() { say "$NAME: $*"; exit 2; }

# py FILE EXPR: evaluate EXPR with d = the JSON document in FILE
py() {
        python3 - "$1" "$2" <<'PYEOF'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d, "statistics": statistics})
print(v)
PYEOF
}
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
calc() { python3 -c "print($1)"; }
le() { python3 -c "import sys; sys.exit(0 if ($1) <= ($2) else 1)"; }
lt() { python3 -c "import sys; sys.exit(0 if ($1) < ($2) else 1)"; }
now_ns() { date +%s%N; }
secs() { python3 -c "print('%.3f' % (($2 - $1) / 1e9))"; }

# Run ./bench quietly into FILE; the table and stderr go to FILE.log. The
# options come first: the arguments may end with "-- PROGRAM ARGS".
bench_to() {
        local out=$1
        shift
        ./bench -q -o "$out" "$@" >"$out.log" 2>&1
}

# The first lines of a report: what ran, on what machine, from which commit.
banner() {
        local cpu
        cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n1)
        echo "allocbench $1"
        echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), $(ldd --version 2>/dev/null | head -n1)"
        echo "git:     $(git describe --always --dirty 2>/dev/null || echo unknown)"
}

ROWS=()
FAILED=0
# row FIGURE MEASURED TARGET RESULT (PASS, FAIL, INFO, SKIPPED)
row() {
        ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4")
        [ "$4" = FAIL ] && FAILED=1
        return 0
}
NOTES=()
note() { NOTES+=("$*"); }

# report WIDTH_MEASURED WIDTH_TARGET: print the table and the notes, and exit
# 1 when a target was missed, else 0.
report() {
        local fmt="%-40s %-${1}s %-${2}s %s\n" r a b c e n
        echo
        printf "$fmt" "figure" "measured" "target" "result"
        printf "$fmt" "------" "--------" "------" "------"
        for r in "${ROWS[@]}"; do
                IFS=$'\t' read -r a b c e <<<"$r"
                printf "$fmt" "$a" "$b" "$c" "$e"
        done
        echo
        for n in "${NOTES[@]}"; do
                echo "- $n"
        done
        echo
        if [ "$FAILED" = 1 ]; then
                echo "${NAME//_/ }: a target was missed"
                exit 1
        fi
        echo "${NAME//_/ }: every target met"
        exit 0
}
