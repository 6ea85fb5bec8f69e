#!/usr/bin/env bash
# A daemon on `peer: socket:` spans, driven from another process: `dialtone
# simulate` attaches over the documented socket framing and places calls;
# `spans`, `calls` and `stats` query the running daemon; SIGTERM stops it
# cleanly. Usage: socket-peer.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
cfg="$root/config/examples/socket-peers.yaml"
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
cd "$work"
"$bin" serve -c "$cfg" --log-level notice > serve.log 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -S var/run/control.sock ] && break; sleep 0.1; done

"$bin" spans -c "$cfg" > spans.out 2>&1
cat spans.out
check "spans lists both spans in alarm before the far end attaches" "grep -q '^pstn .*RED' spans.out && grep -q '^agents .*RED' spans.out"

"$bin" simulate -c "$cfg" --calls 20 > sim.out 2>&1
tail -2 sim.out
check "20 calls from another process, bit-exact both ways" "grep -q '^20 passed, 0 failed' sim.out"

"$bin" calls -c "$cfg" > calls.out 2>&1
check "calls answers (no calls left)" "grep -q 'no calls' calls.out"
"$bin" stats -c "$cfg" > stats.out 2>&1
cat stats.out
check "stats counts 20 answered calls and 20 CDRs" "grep -q '20 answered' stats.out && grep -q 'CDRs 20' stats.out"

# A far end sending malformed messages: dropped, counted, logged at most once a second.
python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("var/run/pstn.sock")
for i in range(40):
    s.send(b"Z junk"); s.send(b"B" + b"\xff" * 100); s.send(b"A\x01")
    time.sleep(0.05)
time.sleep(1.2)
s.send(b"Zlast")
time.sleep(0.3)
PY
lines=$(grep -c 'malformed messages from the far end dropped' serve.log)
total=$(grep 'malformed messages from the far end dropped' serve.log | sed -n 's/.*count=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
check "121 malformed messages counted ($total) in $lines rate-limited log lines" "[ \"$total\" = 121 ] && [ $lines -le 5 ]"

kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid; rc=$?
check "SIGTERM stops the daemon cleanly (exit 0)" "[ $rc -eq 0 ] && grep -q 'dialtone stopped' serve.log"

"$bin" spans -c "$cfg" > down.out 2>&1; rc=$?
check "a stopped daemon gives a clear error" "[ $rc -ne 0 ] && grep -q 'cannot reach the daemon' down.out"

echo "socket-peer: $passed passed, $failed failed"
[ $failed -eq 0 ]
