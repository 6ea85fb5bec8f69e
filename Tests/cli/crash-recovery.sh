#!/usr/bin/env bash
# kill -9 under load with recording on, five times. The far end is another
# process (`dialtone simulate` on `peer: socket:` spans), so it outlives each
# kill and says how many calls the network had taken (CALL PROCEEDING or
# later) and how many were answered. After each restart:
#  - the database passes PRAGMA integrity_check;
#  - the CDRs equal the calls the far end saw taken (the switch sends CALL
#    PROCEEDING only once a call's start is durable: write-ahead);
#  - no call is left open in the database (interrupted calls were closed);
#  - every recording file on disk is indexed and plays (soxi, sox), none is empty.
# Usage: crash-recovery.sh PATH/TO/dialtone [ROUNDS]
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary [rounds]}")
rounds=${2:-5}
work=$(mktemp -d /tmp/dialtone-crash.XXXXXX)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
cat > crash.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
  log_level: notice
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1, peer: "socket:$work/pstn.sock"}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1, peer: "socket:$work/agents.sock"}
routes:
  - {prefix: "555", to: agents}
recording:
  directory: $work/recordings
  format: pcm16
  layout: stereo
  calls: [{span: pstn}]
YAML
"$bin" check-config crash.yaml > /dev/null || { echo "FAIL: config"; exit 1; }

q() { sqlite3 cdr.sqlite "$1" 2>/dev/null; }
taken=0; answered=0
for round in $(seq "$rounds"); do
    "$bin" serve -c crash.yaml > "serve$round.log" 2>&1 &
    serve=$!; pids+=($serve)
    for _ in $(seq 200); do grep -q 'dialtone started' "serve$round.log" && break; sleep 0.1; done
    "$bin" simulate -c crash.yaml --calls 100000 --rate 4 --hold 3 --max-calls 12 --until-link-down > "sim$round.log" 2>&1 &
    sim=$!; pids+=($sim)
    # Let calls build up (setting up, ringing, connected, clearing), then kill -9 at an arbitrary moment.
    sleep $((5 + round))
    kill -9 $serve; wait $serve 2>/dev/null
    for _ in $(seq 200); do kill -0 $sim 2>/dev/null || break; sleep 0.1; done
    kill -9 $sim 2>/dev/null; wait $sim 2>/dev/null
    line=$(grep '^started:' "sim$round.log")
    p=$(echo "$line" | sed -n 's/^started: \([0-9]*\) proceeding.*/\1/p'); c=$(echo "$line" | sed -n 's/.*, \([0-9]*\) connected.*/\1/p')
    taken=$((taken + ${p:-0})); answered=$((answered + ${c:-0}))
    echo "round $round: killed with the far end reporting ${p:-?} calls taken, ${c:-?} answered (total $taken taken, $answered answered)"
    check "round $round: the far end reported what it saw" "[ -n '$p' ] && [ -n '$c' ] && [ ${c:-0} -gt 0 ]"

    # Restart: recovery runs at start; then a clean stop.
    "$bin" serve -c crash.yaml > "restart$round.log" 2>&1 &
    serve=$!; pids+=($serve)
    for _ in $(seq 200); do grep -q 'dialtone started' "restart$round.log" && break; sleep 0.1; done
    kill -TERM $serve; wait $serve
    rm -f pstn.sock agents.sock
    grep -E 'interrupted calls closed|recordings recovered|journal replayed' "restart$round.log" | sed 's/^/  /'
    cdrs=$(q "SELECT count(*) FROM cdr")
    check "round $round: integrity_check ok" "[ \"\$(q 'PRAGMA integrity_check')\" = ok ]"
    check "round $round: CDRs $cdrs = calls the far end saw taken $taken (answered $answered)" "[ $cdrs -eq $taken ] && [ $answered -le $cdrs ]"
    check "round $round: no call left open" "[ \"\$(q 'SELECT count(*) FROM live_call')\" = 0 ]"
    check "round $round: calls up at the kill have an interrupted CDR" "[ \"\$(q \"SELECT count(*) FROM cdr WHERE disposition = 'interrupted'\")\" -ge 1 ]"
    files=$(find recordings -name '*.wav' | sort)
    nfiles=$(echo "$files" | grep -c wav)
    indexed=$(q "SELECT count(DISTINCT path) FROM recording")
    bad=0
    for f in $files; do
        s=$(soxi -s "$f" 2>/dev/null || echo 0)
        { [ "$s" -gt 0 ] && sox "$f" -n stat 2>/dev/null && [ "$(q "SELECT count(*) FROM recording WHERE path = '$work/$f'")" = 1 ]; } || { bad=$((bad + 1)); echo "  bad: $f ($s samples)"; }
    done
    check "round $round: every recording on disk ($nfiles) is indexed ($indexed), plays and is not empty" "[ $nfiles -gt 0 ] && [ $bad -eq 0 ] && [ $indexed -eq $nfiles ]"
done

# SIGTERM under load: the daemon drains (drain_seconds), clears what is left
# and returns only when every CDR is durable: the calls the far end saw taken
# and answered are exactly the CDRs stored, and the answered ones.
before=$(q "SELECT count(*) FROM cdr"); before_answered=$(q "SELECT count(*) FROM cdr WHERE answer_time IS NOT NULL")
sed -i 's/^  log_level: notice/  log_level: notice\n  drain_seconds: 2/' crash.yaml
"$bin" serve -c crash.yaml > term.log 2>&1 &
serve=$!; pids+=($serve)
for _ in $(seq 200); do grep -q 'dialtone started' term.log && break; sleep 0.1; done
"$bin" simulate -c crash.yaml --calls 100000 --rate 4 --hold 6 --max-calls 12 --until-link-down > simterm.log 2>&1 &
sim=$!; pids+=($sim)
sleep 8
kill -TERM $serve; wait $serve; rc=$?
for _ in $(seq 300); do kill -0 $sim 2>/dev/null || break; sleep 0.1; done
kill -9 $sim 2>/dev/null; wait $sim 2>/dev/null
line=$(grep '^started:' simterm.log)
p=$(echo "$line" | sed -n 's/^started: \([0-9]*\) proceeding.*/\1/p'); c=$(echo "$line" | sed -n 's/.*, \([0-9]*\) connected.*/\1/p')
stored=$(( $(q "SELECT count(*) FROM cdr") - before )); stored_answered=$(( $(q "SELECT count(*) FROM cdr WHERE answer_time IS NOT NULL") - before_answered ))
echo "SIGTERM under load: the far end saw ${p:-?} calls taken, ${c:-?} answered; CDRs stored $stored, answered $stored_answered"
check "SIGTERM: clean exit (0) after draining" "[ $rc -eq 0 ] && grep -q 'dialtone stopped' term.log"
check "SIGTERM: answered calls seen by the far end = answered CDRs stored (${c:-?} = $stored_answered)" "[ -n '$c' ] && [ ${c:-0} -gt 0 ] && [ ${c:-0} -eq $stored_answered ]"
check "SIGTERM: calls taken = CDRs stored (${p:-?} = $stored)" "[ -n '$p' ] && [ ${p:-0} -eq $stored ]"
check "SIGTERM: no call left open" "[ \"\$(q 'SELECT count(*) FROM live_call')\" = 0 ]"

echo "crash-recovery: $passed passed, $failed failed"
[ $failed -eq 0 ]
