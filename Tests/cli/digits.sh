#!/usr/bin/env bash
# Every digit with its time, watched through `dialtone events`: a call from
# the network (`dialtone simulate --dtmf … --keypad …`, another process on a
# socket span) to a route with {application: control} is answered by
# `dialtone call answer`, keys digits in band (SpanDSP's DTMF generator,
# 100 ms tones and pauses) and then by keypad (Q.931 keypad facility, one
# INFORMATION per digit), and hangs up. The events file must have one
# `digits` event per digit, for that call's leg 1, on span pstn and the
# call's channel, in the order keyed, with:
#  - source `inband` for the tones and `keypad` for the keypad digits;
#  - at_ms (since the answer) strictly increasing, from 0 to the call's
#    length, tones about 200 ms apart, the keypad digits after the tones;
#    start_ms (since the SETUP) at least at_ms;
#  - duration_ms on the in-band digits only, between 30 ms and the tone's
#    100 ms plus 40 ms of slack (the Q.24 receiver measures the tone).
# `dialtone events --text` shows the same fields, one line per event.
# Also: the span's `dtmf:` key is read (and a bad min_level refused with
# file:line and key), and the daemon's log lines carry milliseconds.
# Usage: digits.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dialtone-digits.XXXXXX)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
dtmf="159#"; keypad="42"; tone_ms=100
cat > dialtone.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
  log_level: info
  drain_seconds: 2
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1, peer: "socket:$work/pstn.sock",
     dtmf: {standard: etsi, min_level: -35, dialtone_filter: true}}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
prompts:
  directory: $here/../../prompts
  language: en
routes:
  - {match: "5559000", action: {application: control}}
  - {prefix: "555", to: agents}
YAML
"$bin" check-config dialtone.yaml > /dev/null || { echo "FAIL: config"; exit 1; }
sed 's/min_level: -35/min_level: -50/' dialtone.yaml > bad.yaml
"$bin" check-config bad.yaml > bad.out 2>&1; rc=$?
cat bad.out
check "a dtmf min_level of -50 dBm0 is refused with file:line and key" \
      "[ $rc -ne 0 ] && grep -q 'bad.yaml:[0-9]*:[0-9]*: spans\[0\].dtmf.min_level: -50 dBm0' bad.out"

dt() { "$bin" "$@" -c dialtone.yaml; }
wait_for() { local deadline=$((SECONDS + $1)); until eval "$2"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done; }
has_event() { grep -F "\"call\":\"$1\"" events.jsonl | grep -qF "\"type\":\"$2\""; }

"$bin" serve -c dialtone.yaml > serve.log 2>&1 &
serve=$!; pids+=($serve)
wait_for 20 "grep -q 'dialtone started' serve.log"
check "the daemon is up" "grep -q 'dialtone started' serve.log"
check "log lines carry milliseconds (ISO 8601, .SSS): $(grep -m1 'dialtone started' serve.log | cut -c1-40)" \
      "grep 'dialtone started' serve.log | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4} '"

"$bin" events -c dialtone.yaml > events.jsonl 2> events.err &
events=$!; pids+=($events)
"$bin" events -c dialtone.yaml --text > events.txt 2> events-text.err &
texts=$!; pids+=($texts)
wait_for 10 "grep -q subscribed events.err && grep -q subscribed events-text.err"
check "dialtone events subscribed (JSON and --text)" "grep -q subscribed events.err && grep -q subscribed events-text.err"

"$bin" simulate -c dialtone.yaml --number 5559000 --dtmf "$dtmf" --keypad "$keypad" --dtmf-ms $tone_ms --hold 1 > simulate.log 2>&1 &
sim=$!; pids+=($sim)
presented() { grep -F '"dnis":"5559000"' events.jsonl | grep -F '"type":"call.created"' | sed -n 's/.*"call":"\([^"]*\)".*/\1/p' | head -1; }
wait_for 30 "[ -n \"\$(presented)\" ] && has_event \"\$(presented)\" application.started"
id=$(presented)
check "the call is presented to the API ($id)" "[ -n '$id' ] && has_event '$id' application.started"
dt call answer "$id" > answer.out 2>&1; rc=$?
check "call answer" "[ $rc -eq 0 ]"
wait_for 60 "! kill -0 $sim 2>/dev/null"
wait $sim; rc=$?
cat simulate.log
check "simulate keyed $dtmf in band and $keypad by keypad, then hung up (exit 0)" \
      "[ $rc -eq 0 ] && grep -q 'in band: $dtmf' simulate.log && grep -q 'keypad: $keypad' simulate.log"
wait_for 10 "has_event '$id' call.ended"
check "call.ended" "has_event '$id' call.ended"

echo "--- the call's digit events, as dialtone events printed them:"
grep -F "\"call\":\"$id\"" events.jsonl | grep -F '"type":"digits"'
python3 - "$id" "$dtmf" "$keypad" "$tone_ms" > digits.out 2>&1 <<'PY'
import json, sys
call, dtmf, keypad, tone_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
events = [json.loads(line) for line in open("events.jsonl")]
mine = [e for e in events if e.get("call") == call]
created = next(e for e in mine if e["type"] == "call.created")
answered = next(e for e in mine if e["type"] == "leg.answered" and e.get("leg") == 1)
ended = next(e for e in mine if e["type"] == "call.ended")
digits = [e for e in mine if e["type"] == "digits"]
failures = []
def need(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok: failures.append(what)
keys = "".join(e.get("digits", "?") for e in digits)
need(keys == dtmf + keypad, f"one digits event per digit, in order: {keys!r} (keyed {dtmf + keypad!r})")
need([e.get("source") for e in digits] == ["inband"] * len(dtmf) + ["keypad"] * len(keypad),
     f"sources: {[e.get('source') for e in digits]}")
need(all(e.get("leg") == 1 and e.get("span") == "pstn" and e.get("channel") == created.get("channel") for e in digits),
     f"leg 1 on pstn channel {created.get('channel')}: {[(e.get('leg'), e.get('span'), e.get('channel')) for e in digits]}")
at = [e.get("at_ms") for e in digits]
need(all(isinstance(a, int) for a in at), f"at_ms on every digit: {at}")
if all(isinstance(a, int) for a in at):
    need(all(a < b for a, b in zip(at, at[1:])), f"at_ms strictly increasing: {at}")
    from datetime import datetime
    t = lambda e: datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
    length_ms = (t(ended) - t(answered)) * 1000
    need(0 <= at[0] and at[-1] <= length_ms, f"at_ms within the answered call (0 to {length_ms:.0f} ms)")
    inband = at[:len(dtmf)]
    gaps = [b - a for a, b in zip(inband, inband[1:])]
    # Keyed 2 × tone_ms apart; the switch's receipt time varies with the load (tolerated: a half to five times that).
    need(all(tone_ms <= g <= 10 * tone_ms for g in gaps), f"in-band digits about {2 * tone_ms} ms apart as keyed (gaps {gaps}, allowed {tone_ms}-{10 * tone_ms})")
    need(at[len(dtmf)] > at[len(dtmf) - 1], "the keypad digits after the tones")
    need(all(isinstance(e.get("start_ms"), int) and e["start_ms"] >= e["at_ms"] for e in digits), "start_ms >= at_ms on every digit")
dur = [e.get("duration_ms") for e in digits]
need(all(isinstance(d, int) and 30 <= d <= tone_ms + 40 for d in dur[:len(dtmf)]),
     f"duration_ms of the in-band digits 30-{tone_ms + 40} ms (tones of {tone_ms} ms): {dur[:len(dtmf)]}")
need(all(d is None for d in dur[len(dtmf):]), f"no duration_ms on keypad digits: {dur[len(dtmf):]}")
sys.exit(1 if failures else 0)
PY
rc=$?
cat digits.out
check "the digit events: sources, channel, at_ms increasing and plausible, duration_ms for the tones" "[ $rc -eq 0 ]"

echo "--- the same, as dialtone events --text printed them:"
grep -F "call=$id " events.txt | grep -F ' digits '
text_digits=$(grep -F "call=$id " events.txt | grep -cE " digits call=$id leg=1 digits=. source=(inband|keypad) span=pstn channel=[0-9]+ at_ms=-?[0-9]+ start_ms=[0-9]+ ")
text_tones=$(grep -F "call=$id " events.txt | grep -cE " source=inband .* duration_ms=[0-9]+ ")
check "dialtone events --text: a line per digit with its source, channel, at_ms (and duration_ms in band)" \
      "[ $text_digits -eq $(( ${#dtmf} + ${#keypad} )) ] && [ $text_tones -eq ${#dtmf} ]"

kill -TERM $serve; wait $serve; rc=$?
wait_for 10 "! kill -0 $events 2>/dev/null && ! kill -0 $texts 2>/dev/null" || kill -9 $events $texts
check "SIGTERM: the daemon exits 0" "[ $rc -eq 0 ]"
echo "digits: $passed passed, $failed failed"
[ $failed -eq 0 ]
