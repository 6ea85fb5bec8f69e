#!/usr/bin/env bash
# Call control from the command line against a running daemon, watched
# through `dialtone events`:
#  - `dialtone call originate` a call (the built-in line simulator's agent
#    port answers it), blind `transfer` it to a second agent (the two are
#    bridged), `hold` and `retrieve` it, `conference … add` a third agent,
#    `hangup`;
#  - a call from the network (`dialtone simulate --number`) to a route with
#    {application: control} is presented, then `answer`ed and hung up, and
#    followed by `dialtone events --call ID --count N`;
#  - refused commands exit non-zero with the reason and code on stderr
#    (unknown call: not-found; retrieve of a call not held: conflict), and
#    malformed request lines get {"error", "code": "invalid"} from the daemon;
#  - the events file has each call's events in order, strictly increasing
#    seq, ISO 8601 times with milliseconds; the stream ends cleanly when the
#    daemon stops.
# Usage: call-control.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dialtone-callctl.XXXXXX)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
# pstn: another process is the network (`dialtone simulate`); agents: the
# built-in simulator, whose stations answer every call after 100 ms.
cat > dialtone.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
  log_level: notice
  drain_seconds: 2
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1, peer: "socket:$work/pstn.sock"}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
prompts:
  directory: $here/../../prompts
  language: en
routes:
  - {match: "5559000", action: {application: control}}
  - {prefix: "555", to: agents}
YAML
"$bin" check-config dialtone.yaml > /dev/null || { echo "FAIL: config"; exit 1; }

dt() { "$bin" "$@" -c dialtone.yaml; }  # (background processes run "$bin" itself, so that $! is its pid)
# wait_for SECONDS CONDITION: polls CONDITION every 0.1 s until it holds or time is up.
wait_for() { local deadline=$((SECONDS + $1)); until eval "$2"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done; }
# has_event CALL TYPE [FILE]: the stream had an event of TYPE for CALL (keys are sorted, the JSON compact).
has_event() { grep -F "\"call\":\"$1\"" "${3:-events.jsonl}" | grep -qF "\"type\":\"$2\""; }
count_events() { grep -F "\"call\":\"$1\"" events.jsonl | grep -cF "\"type\":\"$2\""; }
# raw LINE: one request on the socket, the reply as it comes.
raw() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode()+b"\n"); d=b""
while (c := s.recv(65536)): d += c
sys.stdout.write(d.decode())' "$work/control.sock" "$1"; }

"$bin" serve -c dialtone.yaml > serve.log 2>&1 &
serve=$!; pids+=($serve)
agents_up() { dt spans --json 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if any(s["name"] == "agents" and s["dchannelUp"] for s in json.load(sys.stdin)) else 1)'; }
wait_for 20 "grep -q 'dialtone started' serve.log && agents_up"
check "the daemon is up, the agents' D-channel too" "agents_up"

"$bin" events -c dialtone.yaml > events.jsonl 2> events.err &
events=$!; pids+=($events)
wait_for 10 "grep -q subscribed events.err"
check "dialtone events subscribed: $(cat events.err)" "grep -q 'subscribed (events after seq [0-9]*)' events.err"

# An originated call, answered by an agent station: alone until a command connects it.
id=$(dt call originate 5551001 2> originate.err); rc=$?
check "call originate prints the call's id ($id)" "[ $rc -eq 0 ] && [ -n '$id' ]"
wait_for 10 "has_event '$id' leg.answered"
check "the originated call is answered (leg.answered)" "has_event '$id' leg.answered"
dt call show "$id" --json > show1.json
check "call show: alone(1)" "grep -q '\"state\" : \"alone(1)\"' show1.json"

dt call transfer "$id" 5551002 > transfer.out 2>&1; rc=$?
cat transfer.out
wait_for 10 "has_event '$id' bridged"
check "call transfer: leg 2 placed, answered and bridged with leg 1" "[ $rc -eq 0 ] && grep -q 'leg 2' transfer.out && has_event '$id' transferred && has_event '$id' bridged"

dt call hold "$id" > hold.out 2>&1; rc=$?
cat hold.out
wait_for 10 "has_event '$id' leg.held"
check "call hold: leg.held, the call held(1 by 2)" "[ $rc -eq 0 ] && grep -q 'held(1 by 2)' hold.out && has_event '$id' leg.held"

dt call retrieve "$id" > retrieve.out 2>&1; rc=$?
cat retrieve.out
wait_for 10 "has_event '$id' leg.retrieved && [ \$(count_events '$id' bridged) -ge 2 ]"
check "call retrieve: leg.retrieved and bridged again" "[ $rc -eq 0 ] && has_event '$id' leg.retrieved && [ \$(count_events '$id' bridged) -ge 2 ]"

# Refusals: non-zero exit, the reason and code on stderr, nothing changed.
dt call retrieve "$id" > refused1.out 2> refused1.err; rc=$?
cat refused1.err
check "retrieve of a call not held is refused: exit 1, conflict" \
      "[ $rc -eq 1 ] && [ ! -s refused1.out ] && grep -q 'retrieve does not apply (conflict)' refused1.err"
dt call hangup no-such-call > refused2.out 2> refused2.err; rc=$?
cat refused2.err
check "a command for an unknown call is refused: exit 1, not-found" "[ $rc -eq 1 ] && grep -q 'no call no-such-call (not-found)' refused2.err"
dt call hangup "$id" --cause 200 > refused3.out 2> refused3.err; rc=$?
check "a cause outside Q.850 1-127 is refused before it is sent (exit 64)" "[ $rc -eq 64 ] && grep -q 'cause must be a Q.850 cause 1-127' refused3.err"
raw "call hold $id leg=two" > raw1.json
raw "call park $id" > raw2.json
raw "call conference $id drop" > raw3.json
cat raw1.json raw2.json raw3.json
check "malformed request lines: {error, code: invalid}, naming what is wrong" \
      "grep -q '\"code\" : \"invalid\"' raw1.json && grep -q 'not .two.' raw1.json && grep -q 'unknown call command .park.' raw2.json && grep -q 'missing LEG' raw3.json"
raw "call show $id" > raw4.json
check "the call is still up and bridged after the refusals" "grep -q '\"state\" : \"active(1,2)\"' raw4.json"

dt call conference "$id" add 5551003 > conference.out 2>&1; rc=$?
cat conference.out
wait_for 10 "[ \$(count_events '$id' conference.joined) -ge 3 ]"
dt call show "$id" > show2.out
cat show2.out
check "call conference add: leg 3 answers, all three in the conference" \
      "[ $rc -eq 0 ] && grep -q 'leg 3' conference.out && [ \$(count_events '$id' conference.joined) -eq 3 ] && grep -q 'conference: legs 1, 2, 3' show2.out"

dt call hangup "$id" > hangup.out 2>&1; rc=$?
wait_for 10 "has_event '$id' call.ended"
check "call hangup: call.ended" "[ $rc -eq 0 ] && has_event '$id' call.ended"

# A call from the network to the control route: presented (ALERTING), answered by command.
"$bin" simulate -c dialtone.yaml --number 5559000 --calls 1 --hold 60 --max-calls 1 > simulate.log 2>&1 &
sim=$!; pids+=($sim)
presented() { grep -F '"dnis":"5559000"' events.jsonl | grep -F '"type":"call.created"' | sed -n 's/.*"call":"\([^"]*\)".*/\1/p' | head -1; }
wait_for 20 "[ -n \"\$(presented)\" ] && has_event \"\$(presented)\" application.started"
id2=$(presented)
check "a call to the control route is presented ($id2): leg.alerting, application.started" \
      "[ -n '$id2' ] && has_event '$id2' leg.alerting && has_event '$id2' application.started"
dt call show "$id2" > show3.out
check "call show: presented" "grep -q ': presented' show3.out"
"$bin" events -c dialtone.yaml --call "$id2" --count 2 > call2.jsonl 2> call2.err &
follow=$!; pids+=($follow)
wait_for 10 "grep -q subscribed call2.err"
dt call answer "$id2" > answer.out 2>&1; rc=$?
cat answer.out
wait_for 10 "has_event '$id2' leg.answered"
check "call answer: leg.answered, alone(1)" "[ $rc -eq 0 ] && grep -q 'alone(1)' answer.out && has_event '$id2' leg.answered"
dt call attach "$id2" queue sales desk > attach.out 2>&1
dt call hangup "$id2" --cause 16 > hangup2.out 2>&1; rc=$?
wait_for 10 "has_event '$id2' call.ended"
check "call hangup of the answered call: call.ended" "[ $rc -eq 0 ] && has_event '$id2' call.ended"
wait_for 10 "! kill -0 $follow 2>/dev/null" || kill -9 $follow
wait $follow; rc=$?
cat call2.jsonl
check "events --call ID --count 2: exits 0 after that call's next 2 events" \
      "[ $rc -eq 0 ] && [ \$(wc -l < call2.jsonl) -eq 2 ] && [ \$(grep -cF '\"call\":\"$id2\"' call2.jsonl) -eq 2 ] && head -1 call2.jsonl | grep -qF '\"type\":\"leg.answered\"' && grep -qF '\"value\":\"sales desk\"' call2.jsonl"
kill $sim 2>/dev/null; wait $sim 2>/dev/null

# The whole stream: valid JSON lines, strictly increasing seq, each call's events in order.
python3 - "$id" "$id2" > order.out 2>&1 <<'PY'
import json, re, sys
first, second = sys.argv[1], sys.argv[2]
events = [json.loads(line) for line in open("events.jsonl")]
seqs = [e["seq"] for e in events]
assert all(a < b for a, b in zip(seqs, seqs[1:])), f"seq not strictly increasing: {seqs}"
bad = [e["time"] for e in events if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["time"])]
assert not bad, f"times: {bad[:3]}"
def order(call, expected):
    got = [(e["type"], e.get("leg")) for e in events if e.get("call") == call]
    i = 0
    for step in got:
        if i < len(expected) and step[0] == expected[i][0] and (expected[i][1] is None or step[1] == expected[i][1]):
            i += 1
    print(call, " ".join(f"{t}{'' if l is None else '/' + str(l)}" for t, l in got))
    assert i == len(expected), f"{call}: missing {expected[i]} after {expected[:i]}"
order(first, [("call.created", None), ("leg.answered", 1), ("leg.created", 2), ("leg.answered", 2), ("bridged", 1),
              ("transferred", 1), ("leg.held", 1), ("leg.retrieved", 1), ("bridged", 1), ("leg.created", 3),
              ("leg.answered", 3), ("conference.joined", 1), ("conference.joined", 2), ("conference.joined", 3),
              ("call.ended", None)])
order(second, [("call.created", 1), ("leg.alerting", 1), ("application.started", None), ("leg.answered", 1),
               ("data.attached", None), ("call.ended", None)])
print(f"{len(events)} events, seq {seqs[0]}..{seqs[-1]} strictly increasing")
PY
rc=$?
cat order.out
check "the events file: each call's events in order, seq strictly increasing, times with milliseconds" "[ $rc -eq 0 ]"

# The daemon stops: the stream ends cleanly (EOF after whole lines; events exits 0).
kill -TERM $serve; wait $serve; rc=$?
wait_for 10 "! kill -0 $events 2>/dev/null" || kill -9 $events
wait $events; erc=$?
cat events.err
check "SIGTERM: the daemon exits 0 and the event stream ends cleanly (dialtone events exits 0)" \
      "[ $rc -eq 0 ] && [ $erc -eq 0 ] && grep -q 'the daemon closed the stream' events.err && [ \"\$(tail -c 1 events.jsonl | od -An -c | tr -d ' ')\" = '\\n' ]"
echo "call-control: $passed passed, $failed failed"
[ $failed -eq 0 ]
