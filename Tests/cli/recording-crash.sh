#!/usr/bin/env bash
# A daemon killed with SIGKILL in the middle of recordings leaves files that
# are playable after the restart: the WAV headers are rewritten every second
# while recording and repaired at start-up. Checked with sox's soxi and sox.
# Usage: recording-crash.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
work=$(mktemp -d)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
cd "$work"
cat > dialtone.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
routes:
  - {prefix: "555", to: agents}
recording:
  directory: $work/recordings
  format: pcm16
  layout: stereo
  calls: [{span: pstn}]
simulator:
  calls_per_second: 4
  hold_seconds: 30
  max_calls: 8
YAML
"$bin" check-config dialtone.yaml || { echo "FAIL: config"; exit 1; }
"$bin" serve -c dialtone.yaml --demo > serve1.log 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
# Wait until calls have been recording for a few seconds, then kill -9.
for _ in $(seq 100); do [ "$(find recordings -name '*.wav' 2>/dev/null | wc -l)" -ge 4 ] && break; sleep 0.1; done
sleep 4
kill -9 $pid
wait $pid 2>/dev/null
files=$(find recordings -name '*.wav' | sort)
n=$(echo "$files" | grep -c wav)
check "recordings were in progress when the daemon was killed ($n files)" "[ $n -ge 4 ]"
# Before the restart the header may lag the data by up to a second.
lag=0
for f in $files; do
    size=$(stat -c %s "$f"); header=$(( $(od -An -tu4 -j40 -N4 "$f") ))
    [ $((size - 44)) -gt "$header" ] && lag=$((lag + 1))
done
echo "files whose header lags their data before the restart: $lag of $n"
check "every header already covers audio (rewritten each second)" \
      "for f in \$files; do [ \$(( \$(od -An -tu4 -j40 -N4 \$f) )) -gt 16000 ] || exit 1; done"

# Restart: start-up repairs the headers; then stop it cleanly.
"$bin" serve -c dialtone.yaml > serve2.log 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S control.sock ] && break; sleep 0.1; done
sleep 1
kill -TERM $pid; wait $pid
grep -q "recordings repaired" serve2.log && echo "start-up: $(grep -c 'recording repaired' serve2.log) recordings repaired"
check "start-up repaired the lagging headers" "[ $lag -eq 0 ] || grep -q 'recordings repaired' serve2.log"
ok=0
for f in $files; do
    size=$(stat -c %s "$f"); samples=$(soxi -s "$f" 2>/dev/null || echo 0)
    if [ "$(soxi -c "$f")" = 2 ] && [ "$(soxi -r "$f")" = 8000 ] && [ $(( (size - 44) / 4 )) -eq "$samples" ] \
       && sox "$f" -n stat 2>/dev/null; then ok=$((ok + 1)); fi
done
check "all $n recordings play: soxi agrees with the file size and sox reads them to the end" "[ $ok -eq $n ]"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
