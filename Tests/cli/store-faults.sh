#!/usr/bin/env bash
# The store under faults, with the daemon carrying a live call load (the
# demo's load generator checks every call bit-exact both ways and fails the
# run if any call fails or stalls), a real SQLite file and real faults:
#  (b) another process holds the database locked for 30 s;
#  (c) the database's file system (a real tmpfs) is full for 15 s.
# Every call must go on, every CDR must be in the database afterwards (once),
# and the alarms must be raised and cleared once each.
# Usage: store-faults.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
work=$(mktemp -d /tmp/dialtone-faults.XXXXXX)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; umount -l "$work/db" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
mkdir -p db

config() {  # config FILE DATABASE
cat > "$1" <<YAML
daemon:
  control_socket: $work/control.sock
  database: $2
  log_level: notice
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
routes:
  - {prefix: "555", to: agents}
simulator:
  calls_per_second: 4
  hold_seconds: 2
  max_calls: 12
YAML
}

cdrs() { sqlite3 "$1" "SELECT count(*) FROM cdr" 2>/dev/null || echo -1; }
offered() { sed -n 's/^summary: \([0-9]*\) calls offered.*/\1/p' "$1" | head -1; }

# (b) A lock held by another process for 30 s under load.
config locked.yaml "$work/locked.sqlite"
DEMO_SECONDS=50 "$bin" serve -c locked.yaml --demo --log-level notice > locked.log 2>&1 &
serve=$!; pids+=($serve)
for _ in $(seq 200); do grep -q 'dialtone started' locked.log && break; sleep 0.1; done
sleep 5
python3 - "$work/locked.sqlite" > locker.log 2>&1 <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(30)
c.execute("ROLLBACK")
print("released", flush=True)
PY
locker=$!; pids+=($locker)
for _ in $(seq 100); do grep -q locked locker.log && break; sleep 0.1; done
sleep 10
"$bin" alarms -c locked.yaml > alarms-locked.out 2>&1
cat alarms-locked.out
wait $locker
wait $serve; rc=$?
grep -A6 '^summary' locked.log
n=$(offered locked.log)
check "(b) every call went on while the database was locked (demo exit 0, 0 failed)" "[ $rc -eq 0 ] && grep -q ' 0 failed' locked.log"
check "(b) the alarm was visible while locked" "grep -q 'database-unavailable' alarms-locked.out && grep -q 'journal-in-use' alarms-locked.out"
check "(b) every CDR is in the database after the lock ended ($(cdrs locked.sqlite) of ${n:-?})" "[ -n '$n' ] && [ $(cdrs locked.sqlite) -eq ${n:-0} ]"
check "(b) each CDR once (call ids unique, no live call left)" \
      "[ \$(sqlite3 locked.sqlite 'SELECT count(DISTINCT call_id) FROM cdr') -eq \$(cdrs locked.sqlite) ] && [ \$(sqlite3 locked.sqlite 'SELECT count(*) FROM live_call') -eq 0 ]"
check "(b) raised once and cleared once" \
      "[ \$(grep 'alarm=database-unavailable' locked.log | grep -c 'alarm raised') -eq 1 ] && [ \$(grep 'alarm=database-unavailable' locked.log | grep -c 'alarm cleared') -eq 1 ]"
check "(b) the journal is empty again" "[ ! -s locked.sqlite.journal ]"

# (c) The database's file system full for 15 s under load (a 4 MiB tmpfs).
if mount -t tmpfs -o size=4m tmpfs db 2>/dev/null; then
    config full.yaml "$work/db/cdr.sqlite"
    DEMO_SECONDS=40 "$bin" serve -c full.yaml --demo --log-level notice > full.log 2>&1 &
    serve=$!; pids+=($serve)
    for _ in $(seq 200); do grep -q 'dialtone started' full.log && break; sleep 0.1; done
    sleep 5
    dd if=/dev/zero of=db/filler bs=64k 2>/dev/null
    df -k db | tail -1
    sleep 5
    "$bin" alarms -c full.yaml > alarms-full.out 2>&1
    cat alarms-full.out
    sleep 10
    rm -f db/filler
    wait $serve; rc=$?
    grep -A6 '^summary' full.log
    n=$(offered full.log)
    "$bin" alarms -c full.yaml > /dev/null 2>&1  # (the daemon has stopped; just no crash)
    check "(c) every call went on while the disk was full (demo exit 0, 0 failed)" "[ $rc -eq 0 ] && grep -q ' 0 failed' full.log"
    check "(c) disk-full and database-unavailable alarms raised while full" "grep -q 'disk-full' alarms-full.out && grep -q 'database-unavailable' alarms-full.out"
    check "(c) the alarms cleared once space returned" "[ \$(grep 'alarm=disk-full' full.log | grep -c 'alarm cleared') -eq 1 ] && [ \$(grep 'alarm=database-unavailable' full.log | grep -c 'alarm cleared') -eq 1 ]"
    check "(c) every CDR is in the database after space returned ($(cdrs db/cdr.sqlite) of ${n:-?})" "[ -n '$n' ] && [ $(cdrs db/cdr.sqlite) -eq ${n:-0} ]"
    check "(c) the database passes integrity_check" "[ \"\$(sqlite3 db/cdr.sqlite 'PRAGMA integrity_check')\" = ok ]"
    wal=$(stat -c %s db/cdr.sqlite-wal 2>/dev/null || echo 0)
    check "(c) the WAL is bounded after recovery ($wal bytes)" "[ $wal -le 1048576 ]"
else
    echo "FAIL: (c) cannot mount a tmpfs (needs root)"; failed=$((failed+1))
fi

echo "store-faults: $passed passed, $failed failed"
[ $failed -eq 0 ]
