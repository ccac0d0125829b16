#!/bin/sh
# layers.sh - the harness's layering rules, checked over the source and the
# objects of a build (make check runs it):
#
#   1. report/ and detect/ never include measure/, runner/, trace/ or
#      workloads/ (they read results documents, from any machine);
#   2. doc/ and core/ include only core/, doc/ (doc) and prim/;
#   3. runner/ and workloads/ never include measure/, report/, detect/ or
#      doc/ (the measured process knows nothing of reporting);
#   4. no circles: neither between folders (by #include) nor between files
#      (by calls: an object's undefined symbols resolved to the object that
#      defines them), checked with tsort.
#
# usage: tests/layers.sh BUILD_DIR     (exit 0 when every rule holds)
set -eu
cd "$(dirname "$0")/.."
O=${1:-build}
fail=0
say() { printf 'layers: %s\n' "$*" >&2; }

# "FILE LAYER INCLUDED_LAYER" for every quoted include of the harness and
# the workloads; the layer of a file is its folder under harness/ (main for
# harness/main.c), workloads for workloads/; an include "workload.h" or
# "registry.def" is the workloads layer.
edges=$(for f in harness/*.c harness/*/*.[ch] harness/*/*.def workloads/*.[ch] workloads/*.def; do
        [ -e "$f" ] || continue
        case $f in
        harness/main.c) from=main ;;
        harness/*) from=$(echo "$f" | cut -d/ -f2) ;;
        workloads/*) from=workloads ;;
        esac
        sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
                case $inc in
                */*) to=${inc%%/*} ;;
                workload.h | registry.def) to=workloads ;;
                *) to=$from ;; # a header beside the file
                esac
                case $to in ..) to=other ;; esac
                echo "$f $from $to"
        done
done)

check() { # check RULE_TEXT FROM_LAYERS FORBIDDEN_LAYERS
        echo "$edges" | awk -v from="$2" -v bad="$3" -v rule="$1" '
                BEGIN { nf = split(from, F, " "); nb = split(bad, B, " ") }
                { for (i = 1; i <= nf; i++) if ($2 == F[i]) for (j = 1; j <= nb; j++)
                        if ($3 == B[j]) { printf "layers: %s: %s includes %s/\n", rule, $1, $3 > "/dev/stderr"; n++ } }
                END { exit n > 0 }' || fail=1
}
check "report and detect read documents only" "report detect" "measure runner trace workloads"
check "doc and core stand alone" "doc core" "measure runner trace workloads report detect"
check "the measured process knows no reporting" "runner workloads" "measure report detect doc"

# 4a. no circle between folders
if ! echo "$edges" | awk '$2 != $3 { print $2, $3 }' | sort -u | tsort >/dev/null 2>"$O/layers.tsort"; then
        say "folders include each other in a circle: $(tr '\n' ' ' <"$O/layers.tsort")"
        fail=1
fi

# 4b. no circle between files, by calls: the harness's objects (not the
# workloads' descriptors, which the registry collects)
objs=$(find "$O/obj/harness" -name '*.o' 2>/dev/null | sort | while read -r o; do
        src=${o#"$O/obj/"}
        [ -e "${src%.o}.c" ] && echo "$o" # not the objects of a file since moved
done)
if [ -z "$objs" ]; then
        say "no objects under $O/obj/harness: build first"
        exit 1
fi
nm -A $objs 2>/dev/null | awk '
        { file = $1; sub(/:.*/, "", file) }
        NF >= 3 && $(NF-1) ~ /^[TDBR]$/ { def[$NF] = file }
        $(NF-1) == "U" { use[file, $NF] = 1 }
        END { for (k in use) { split(k, p, SUBSEP); if ((p[2] in def) && def[p[2]] != p[1]) print p[1], def[p[2]] } }' |
        sed "s#$O/obj/##g" | sort -u >"$O/layers.calls"
if ! tsort <"$O/layers.calls" >/dev/null 2>"$O/layers.tsort"; then
        say "files call each other in a circle: $(grep -v '^tsort: -: input contains a loop:' "$O/layers.tsort" | sed 's/^tsort: //' | tr '\n' ' ')"
        fail=1
fi

[ "$fail" = 0 ] && echo "layers: every rule holds ($(echo "$edges" | wc -l) includes, $(wc -l <"$O/layers.calls") calls between files)"
exit "$fail"
