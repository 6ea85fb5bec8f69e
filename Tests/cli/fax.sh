#!/usr/bin/env bash
# Fax from the command line against a running daemon:
#  - `dialtone simulate --fax-send DOC --number N --json`: the simulated
#    network's fax machine calls a control route and sends a 3-page document
#    (CNG first); `dialtone call fax ID detect` hears the CNG (fax.detected),
#    `dialtone call fax ID receive FILE` answers and receives it; the
#    simulator prints its T.30 result as JSON; fax.started/page/ended on the
#    event stream; the received TIFF has 3 pages 1728 wide and a PDF is made;
#  - `dialtone call fax ID send` of a file that is not a fax page is refused,
#    naming the file (invalid);
#  - `dialtone simulate --fax-number N --busy-number M --station-seconds S`:
#    the switch originates a call to N (a fax machine) and sends the document
#    with `call fax ID send` (the simulator prints the fax it received as
#    JSON); a call to M is refused busy (cause 17).
# Usage: fax.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dialtone-fax.XXXXXX)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
cat > dialtone.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
  log_level: notice
  drain_seconds: 2
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1, peer: "socket:$work/pstn.sock"}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1, peer: "socket:$work/agents.sock"}
prompts:
  directory: $here/../../prompts
  language: en
routes:
  - {match: "5559000", action: {application: control}}
  - {prefix: "555", to: agents}
YAML
"$bin" check-config dialtone.yaml > /dev/null || { echo "FAIL: config"; exit 1; }
dt() { "$bin" "$@" -c dialtone.yaml; }
wait_for() { local deadline=$((SECONDS + $1)); until eval "$2"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done; }
has_event() { grep -F "\"call\":\"$1\"" events.jsonl | grep -qF "\"type\":\"$2\""; }

# The document: three sparse fine pages (ghostscript, 1728 wide, G4).
cat > doc.ps <<'PS'
%!PS
/Helvetica-Bold findfont 36 scalefont setfont
72 600 moveto (Dialtone fax CLI test page 1) show showpage
72 560 moveto (Dialtone fax CLI test page 2) show showpage
72 520 moveto (Dialtone fax CLI test page 3) show showpage
PS
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -g1728x2156 -dFIXEDMEDIA -o doc.tif doc.ps
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -dAdjustWidth=0 -r200 -g1700x200 -o narrow.tif -c showpage

# start_daemon: a fresh daemon and its event stream (events.jsonl).
start_daemon() {
    "$bin" serve -c dialtone.yaml >> serve.log 2>&1 &
    serve=$!; pids+=($serve)
    wait_for 20 "[ -S '$work/control.sock' ] && grep -q 'dialtone started' serve.log"
    "$bin" events -c dialtone.yaml >> events.jsonl 2> events.err &
    pids+=($!)
    wait_for 10 "grep -q subscribed events.err"
}
start_daemon

"$bin" simulate -c dialtone.yaml --number 5559000 --fax-send "$work/doc.tif" --json > simulate.json 2> simulate.err &
sim=$!; pids+=($sim)
presented() { grep -F '"dnis":"5559000"' events.jsonl | grep -F '"type":"call.created"' | sed -n 's/.*"call":"\([^"]*\)".*/\1/p' | head -1; }
wait_for 20 "[ -n \"\$(presented)\" ] && has_event \"\$(presented)\" application.started"
id=$(presented)
check "the fax machine's call is presented ($id)" "[ -n '$id' ]"
dt call answer "$id" > /dev/null
dt call play "$id" hold > /dev/null
dt call fax "$id" detect > detect.out 2>&1; rc=$?
check "call fax ID detect" "[ $rc -eq 0 ]"
wait_for 20 "has_event '$id' fax.detected"
check "CNG heard while a prompt plays: fax.detected cng" "has_event '$id' fax.detected && grep -F '\"type\":\"fax.detected\"' events.jsonl | grep -qF '\"text\":\"cng\"'"
dt call fax "$id" send narrow.tif > narrow.out 2>&1; rc=$?
check "a page 1700 wide is refused, the file named: $(cat narrow.out)" "[ $rc -eq 1 ] && grep -q 'narrow.tif: page 1 is 1700 pixels wide' narrow.out && grep -q invalid narrow.out"
dt call fax "$id" receive received.tif > receive.out 2>&1; rc=$?
check "call fax ID receive: $(cat receive.out)" "[ $rc -eq 0 ]"
wait_for 120 "! kill -0 $sim 2>/dev/null"
wait $sim; rc=$?
cat simulate.json simulate.err
check "simulate --fax-send: exit 0, 3 pages, code 0, ECM" "[ $rc -eq 0 ] && grep -q '\"code\":0' simulate.json && grep -q '\"pages\":3' simulate.json && grep -q '\"ecm\":true' simulate.json"
wait_for 20 "has_event '$id' fax.ended"
check "fax.started, 3 fax.page, fax.ended code 0" "has_event '$id' fax.started && [ \$(grep -F '\"call\":\"$id\"' events.jsonl | grep -cF '\"type\":\"fax.page\"') -eq 3 ] && grep -F '\"type\":\"fax.ended\"' events.jsonl | grep -qF '\"code\":0'"
check "the received TIFF has 3 pages 1728 wide" "[ \$(tiffinfo received.tif 2>/dev/null | grep -c 'Image Width: 1728') -eq 3 ]"
tiff2pdf -o received.pdf received.tif 2>/dev/null
check "a PDF is made of it" "head -c 5 received.pdf | grep -q '%PDF-'"

# Stations for calls the switch places: a fax machine and a busy line
# (a second simulator, attached once the first has gone).
"$bin" simulate -c dialtone.yaml --fax-number 5551234 --fax-directory "$work" --busy-number 5551235 \
    --station-seconds 120 --json > stations.json 2> stations.err &
st=$!; pids+=($st)
agents_up() { dt spans --json 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if all(s["dchannelUp"] for s in json.load(sys.stdin)) else 1)'; }
wait_for 20 "agents_up"
out=$(dt call originate 5551234 2>&1); fid=$out
wait_for 10 "has_event '$fid' leg.answered"
check "call originate to the fax machine's number: answered ($fid)" "has_event '$fid' leg.answered"
dt call fax "$fid" send "$work/doc.tif" > send.out 2>&1; rc=$?
check "call fax ID send: $(cat send.out)" "[ $rc -eq 0 ]"
wait_for 120 "grep -q '\"number\":\"5551234\"' stations.json"
cat stations.json
check "the station's fax machine received 3 pages, code 0" "grep '\"number\":\"5551234\"' stations.json | grep -q '\"pages\":3' && grep -q '\"code\":0' stations.json"
wait_for 20 "has_event '$fid' fax.ended"
check "fax.ended code 0 for the originated call" "grep -F '\"call\":\"$fid\"' events.jsonl | grep -F '\"type\":\"fax.ended\"' | grep -qF '\"code\":0'"
bid=$(dt call originate 5551235 2>&1)
wait_for 10 "has_event '$bid' call.ended"
check "the busy number: call.ended cause 17" "grep -F '\"call\":\"$bid\"' events.jsonl | grep -F '\"type\":\"call.ended\"' | grep -qF '\"cause\":17'"
kill $st 2>/dev/null

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
