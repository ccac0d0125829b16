# history_fleet.sh - the fleet half of history_cost.sh (sourced by it after
# lib.sh; read history_cost.sh's header for the figures and the tunables):
# a fleet's synthetic history on SQLite and on PostgreSQL, bench history
# check and html timed against their targets, and how their cost grows with
# the nights and with the hosts.

FLEET_HOSTS=${FLEET_HOSTS:-100}
FLEET_NIGHTS=${FLEET_NIGHTS:-365}
BACKENDS=${BACKENDS:-"sqlite postgresql"}
FLEET_REPS=${FLEET_REPS:-3}
FLEET_GROWTH=${FLEET_GROWTH:-1}
TARGET_FLEET_CHECK_S=10
TARGET_FLEET_HTML_S=30
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --- PostgreSQL ------------------------------------------------------------------

PGDIR=""
PGBIN=""
# as_pg CMD..: run a PostgreSQL program as nobody when we are root (postgres
# refuses root), else as we are
as_pg() {
        if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

pg_start() {
        if [ -n "${HISTORY_PG_URL:-}" ]; then
                PGADMIN=$HISTORY_PG_URL
                return 0
        fi
        PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
        [ -x "$PGBIN/initdb" ] || die "PostgreSQL is missing (./setup.sh installs postgresql), or set HISTORY_PG_URL"
        PGDIR=$TMP/pg
        mkdir -p "$PGDIR" && [ "$(id -u)" != 0 ] || chown nobody "$PGDIR" || die "cannot give $PGDIR to nobody"
        as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U ab --auth=trust -E UTF8 --no-sync --no-instructions \
                >"$TMP/initdb.log" 2>&1 || die "initdb failed: $(tail -n 3 "$TMP/initdb.log")"
        as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -o \
                "-k $PGDIR -c listen_addresses='' -c fsync=off -c shared_buffers=512MB -c max_wal_size=8GB -c work_mem=64MB -c maintenance_work_mem=512MB" \
                start >/dev/null || die "the server did not start: $(tail -n 3 "$PGDIR/server.log")"
        PGADMIN="postgresql:///postgres?host=$PGDIR&user=ab"
}

pg_stop() {
        if [ -n "$PGDIR" ] && [ -d "$PGDIR/data" ]; then
                as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1
        fi
}

# pg_url DB: the URL of database DB beside PGADMIN's (which names one)
pg_url() {
        local base=${PGADMIN%%\?*}
        echo "${base%/*}/$1${PGADMIN#"$base"}"
}

# --- the stores ---------------------------------------------------------------------

# fleet_store BACKEND HOSTS NIGHTS: make the store; prints its --db and the
# seconds the SQL took to fill it
fleet_store() {
        local backend=$1 hosts=$2 nights=$3 db t0 t1
        if [ "$backend" = sqlite ]; then
                db=$TMP/fleet-h$hosts-n$nights.sqlite
                rm -f "$db"
                ./bench history add "$TMP/seed/r00000.json" --db "$db" >/dev/null || die "seed add failed"
                t0=$(now_ns)
                sqlite3 -bail "$db" "DELETE FROM run_settings; DELETE FROM settings; DELETE FROM samples;
                        DELETE FROM flags; DELETE FROM series; DELETE FROM runs;" &&
                        sqlite3 -bail -cmd ".parameter set :HOSTS $hosts" \
                                -cmd ".parameter set :NIGHTS $nights" "$db" \
                                <"$HERE/history_fleet_sqlite.sql" >/dev/null ||
                        die "generating $db failed"
        else
                local name=fleet_h${hosts}_n${nights}
                psql -q -d "$PGADMIN" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" \
                        >/dev/null 2>&1 || die "cannot create database $name at $PGADMIN"
                db=$(pg_url "$name")
                ./bench history add "$TMP/seed/r00000.json" --db "$db" >/dev/null || die "seed add failed"
                t0=$(now_ns)
                psql -q -d "$db" -c "DELETE FROM run_settings; DELETE FROM settings; DELETE FROM samples;
                        DELETE FROM flags; DELETE FROM series; DELETE FROM runs;" >/dev/null &&
                        psql -q -d "$db" -v HOSTS="$hosts" -v NIGHTS="$nights" \
                                -f "$HERE/history_fleet_pg.sql" >/dev/null ||
                        die "generating $name failed"
        fi
        t1=$(now_ns)
        echo "$db $(secs "$t0" "$t1")"
}

fleet_drop() {
        if [ "$1" = sqlite ]; then
                rm -f "$2"
        else
                psql -q -d "$PGADMIN" -c "DROP DATABASE IF EXISTS $(basename "${2%%\?*}")" >/dev/null 2>&1
        fi
}

# --- measuring ----------------------------------------------------------------------

# timed OUT CMD..: run CMD with stdout to OUT, print "SECONDS PEAK_MIB EXIT"
timed() {
        local out=$1 rc
        shift
        /usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >"$out" 2>"$out.err"
        rc=$?
        python3 -c "import sys; s, k = open(sys.argv[1]).read().split()[-2:]; print(s, int(k) // 1024, sys.argv[2])" \
                "$TMP/time" "$rc"
}

# The planted changes in check's JSON: found, and the perturbed host's
# labelled; prints a summary, "MISSING" in it when they are not.
verify_check() {
        python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); hosts = int(sys.argv[2]); n = int(sys.argv[3])
got = {(c["host"], c["allocator"], c["point"], c["metric"], c["index"], c["direction"]): c
       for c in d["changes"]}
# a change is found with 3 runs or more on each side (--min-segment)
want = []
if n - n * 7 // 10 >= 3:
    want.append(("fleet-000", "glibc", "size=32768", "ns_per_op", n * 7 // 10, "regression"))
if hosts > 1 and n * 8 // 10 - n * 4 // 10 >= 3:
    want.append(("fleet-001", "tcmalloc", "size=4194304", "rss_kib", n * 4 // 10, "regression"))
if hosts > 1 and n - n * 8 // 10 >= 3:
    want.append(("fleet-001", "tcmalloc", "size=4194304", "rss_kib", n * 8 // 10, "improvement"))
perturbed = [c for c in d["changes"] if c["host"] == "fleet-002" and c["metric"] == "ns_per_op"
             and c["index"] == n * 6 // 10]
labelled = [c for c in perturbed if any(s["setting"] == "env.MALLOC_PERTURB_" and s["after"] == "85"
                                        for s in (c["settings_changed"] or []))]
missing = [w for w in want if w not in got]
if hosts > 2 and n - n * 6 // 10 >= 3 and len(labelled) != 20:
    missing.append("fleet-002: %d of 20 points labelled env.MALLOC_PERTURB_" % len(labelled))
print("%d changes in %d series; %s" % (len(d["changes"]), d["series"],
      "the planted ones found, %d labelled MALLOC_PERTURB_" % len(labelled) if not missing
      else "MISSING %s" % missing))
EOF
}

# fleet_measure BACKEND DB HOSTS NIGHTS REPS TARGETS(1|0)
fleet_measure() {
        local backend=$1 db=$2 hosts=$3 nights=$4 reps=$5 targets=$6 i t s m rc found
        local what="$backend, $hosts hosts x $nights nights" ts=() ms=() res
        for ((i = 0; i < reps; i++)); do
                read -r s m rc < <(timed "$TMP/check.json" ./bench history check --db "$db" --format json)
                ts+=("$s")
                ms+=("$m")
        done
        res=INFO
        found=$(verify_check "$TMP/check.json" "$hosts" "$nights")
        if [ "$rc" != 3 ]; then
                res=FAIL
                note "check $what: exit $rc: $(tail -n 2 "$TMP/check.json.err")"
        fi
        case $found in *MISSING*) res=FAIL ;; esac
        if [ "$targets" = 1 ] && [ "$res" != FAIL ]; then
                res=PASS
                le "$(median "${ts[@]}")" "$TARGET_FLEET_CHECK_S" || res=FAIL
        fi
        row "check, $what" "$(median "${ts[@]}") s" \
                "$([ "$targets" = 1 ] && echo "<= $TARGET_FLEET_CHECK_S s" || echo information)" "$res"
        note "check $what: ${ts[*]} s, peak RSS ${ms[*]} MiB; $found"

        ts=()
        for ((i = 0; i < reps; i++)); do
                rm -rf "$TMP/fleetdash"
                read -r s m rc < <(timed "$TMP/html.log" ./bench history html "$TMP/fleetdash" --db "$db")
                ts+=("$s")
        done
        res=INFO
        local pages charts
        pages=$(find "$TMP/fleetdash/hosts" -name '*.html' 2>/dev/null | wc -l)
        charts=$(cat "$TMP/fleetdash/index.html" "$TMP"/fleetdash/hosts/*.html 2>/dev/null |
                grep -o '<figure class="series' | wc -l)
        if [ "$rc" != 0 ] || [ "$charts" != $((hosts * 480)) ]; then
                res=FAIL
                note "html $what: exit $rc, $charts charts (expected $((hosts * 480))): $(tail -n 2 "$TMP/html.log.err")"
        fi
        if [ "$targets" = 1 ] && [ "$res" != FAIL ]; then
                res=PASS
                le "$(median "${ts[@]}")" "$TARGET_FLEET_HTML_S" || res=FAIL
        fi
        row "html, $what" "$(median "${ts[@]}") s" \
                "$([ "$targets" = 1 ] && echo "<= $TARGET_FLEET_HTML_S s" || echo information)" "$res"
        note "html $what: ${ts[*]} s, peak RSS $m MiB; $pages host pages, $charts charts, $(du -sh "$TMP/fleetdash" | cut -f1)"
}

fleet_cost() {
        local backend h n db made sizes
        command -v sqlite3 >/dev/null || die "sqlite3 is needed (./setup.sh installs it)"
        command -v psql >/dev/null || case $BACKENDS in *postgresql*) die "psql is needed (./setup.sh installs postgresql)" ;; esac
        [ -x /usr/bin/time ] || die "/usr/bin/time is needed (./setup.sh installs time)"
        echo "fleet:   $FLEET_HOSTS hosts x $FLEET_NIGHTS nights x 4 allocators x 20 points x 6 metrics ($((FLEET_HOSTS * FLEET_NIGHTS * 480)) values) on: $BACKENDS"
        gen_files "$TMP/seed" 1
        # the sizes: full first (its targets), then the growth
        sizes="$FLEET_HOSTS:$FLEET_NIGHTS"
        if [ "$FLEET_GROWTH" = 1 ]; then
                sizes="$sizes $FLEET_HOSTS:$((FLEET_NIGHTS / 4)) $FLEET_HOSTS:$((FLEET_NIGHTS / 2))"
                sizes="$sizes $((FLEET_HOSTS / 4)):$FLEET_NIGHTS $((FLEET_HOSTS / 2)):$FLEET_NIGHTS"
        fi
        for backend in $BACKENDS; do
                [ "$backend" = postgresql ] && pg_start
                for hn in $sizes; do
                        h=${hn%%:*}
                        n=${hn##*:}
                        say "[4-6] $backend: $h hosts x $n nights"
                        read -r db made < <(fleet_store "$backend" "$h" "$n")
                        [ -n "$made" ] || exit 2
                        note "$backend, $h hosts x $n nights: the store filled in $made s"
                        if [ "$hn" = "$FLEET_HOSTS:$FLEET_NIGHTS" ]; then
                                fleet_measure "$backend" "$db" "$h" "$n" "$FLEET_REPS" 1
                        else
                                fleet_measure "$backend" "$db" "$h" "$n" 1 0
                        fi
                        fleet_drop "$backend" "$db"
                done
        done
}
