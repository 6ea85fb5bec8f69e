#!/usr/bin/env bash
# The ACD from the command line against a running daemon:
#  - `dialtone agents` lists the configured agents (three dial stations
#    logged in at start); `agents pause ID REASON`, `ready`, `logout`,
#    `login` change them; an unknown agent or command exits non-zero with
#    the reason;
#  - `dialtone simulate --number 800` (another process is the network and
#    the agents' stations) puts calls into the sales queue; the stations
#    answer them and audio is checked both ways through the queue;
#  - `dialtone queues` shows the queue; `dialtone stats queues|agents
#    --json` match counts computed independently from the CDRs (sqlite3) and
#    the queue_log file (awk); the agents' shares of the calls are even
#    (longest-idle).
# Usage: acd.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dialtone-acd.XXXXXX)
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
applications:
  sales: {type: queue, strategy: longest-idle, wrap_up: 0, announce_every: 0, offer_timeout: 10}
agents:
  "1001": {name: Alice, station: "6001", skills: {sales: 10}, logged_in: true}
  "1002": {name: Bob, station: "6002", skills: {sales: 10}, logged_in: true}
  "1003": {name: Carol, station: "6003", skills: {sales: 10}, logged_in: true}
routes:
  - {match: "800", application: sales}
  - {prefix: "60", to: agents}
YAML
"$bin" check-config dialtone.yaml > /dev/null || { echo "FAIL: config"; exit 1; }

dt() { "$bin" "$@" -c dialtone.yaml; }
wait_for() { local deadline=$((SECONDS + $1)); until eval "$2"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$bin" serve -c dialtone.yaml > serve.log 2>&1 &
serve=$!; pids+=($serve)
agents_up() { dt spans --json 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if any(s["name"] == "agents" and s["dchannelUp"] for s in json.load(sys.stdin)) else 1)'; }
wait_for 20 "grep -q 'dialtone started' serve.log"
check "the daemon is up" "grep -q 'dialtone started' serve.log"

"$bin" events -c dialtone.yaml > events.jsonl 2> events.err &
pids+=($!)
wait_for 10 "grep -q subscribed events.err"

dt agents > agents.txt; rc=$?
cat agents.txt
check "dialtone agents lists three ready agents" "[ $rc -eq 0 ] && [ \$(grep -c ' ready ' agents.txt) -eq 3 ]"
dt agents pause 1003 lunch > pause.txt; rc=$?
check "agents pause 1003 lunch: paused with the reason" "[ $rc -eq 0 ] && grep -q 'paused  *lunch' pause.txt"
check "the JSON view says so too" "[ \"\$(dt agents --json | json '[a[\"state\"]+\"/\"+str(a.get(\"reason\")) for a in d if a[\"id\"]==\"1003\"][0]')\" = paused/lunch ]"
dt agents ready 1003 > /dev/null; rc=$?
check "agents ready 1003" "[ $rc -eq 0 ] && dt agents --json | json '[a[\"state\"] for a in d if a[\"id\"]==\"1003\"][0]' | grep -qx ready"
dt agents logout 1002 > /dev/null && dt agents login 1002 > /dev/null; rc=$?
check "agents logout then login 1002" "[ $rc -eq 0 ] && dt agents --json | json '[a[\"state\"] for a in d if a[\"id\"]==\"1002\"][0]' | grep -qx ready"
dt agents pause 9999 > bad.out 2> bad.err; rc=$?
check "an unknown agent is refused with the reason (exit 1)" "[ $rc -eq 1 ] && grep -q 'no agent 9999' bad.err"
dt agents dance 1001 > bad2.out 2> bad2.err; rc=$?
check "an unknown command is a usage error naming the commands" "[ $rc -ne 0 ] && grep -q 'unknown agent command' bad2.err"

calls=60
dt simulate --number 800 --calls $calls --rate 4 --hold 1 --max-calls 6 > simulate.out 2>&1; rc=$?
tail -3 simulate.out
check "$calls calls through the queue, audio checked both ways" "[ $rc -eq 0 ] && grep -q '$calls passed, 0 failed' simulate.out"
wait_for 10 "[ \"\$(dt calls --json | json 'len(d)')\" = 0 ]"

check "dialtone events carries agent states (paused lunch)" "grep '\"type\":\"agent.state\"' events.jsonl | grep -q '\"text\":\"lunch\"'"
check "dialtone events carries the queue log: $calls CONNECTs" "[ \$(grep '\"type\":\"queue.event\"' events.jsonl | grep -c '\"text\":\"CONNECT\"') -eq $calls ]"

dt queues > queues.txt; rc=$?
cat queues.txt
check "dialtone queues shows sales with nobody waiting" "[ $rc -eq 0 ] && grep -qE '^sales +longest-idle +0 ' queues.txt"

wait_for 10 "[ \$(grep -c '|CONNECT|' queue_log 2>/dev/null || echo 0) -ge $calls ]"
dt stats queues --json > stats.json; rc=$?
offered=$(json 'd["queues"][0]["offered"]' < stats.json 2>/dev/null || json '[q for q in d["queues"] if q["queue"]=="sales"][0]["offered"]' < stats.json)
answered=$(python3 -c 'import json,sys; d=json.load(open("stats.json")); q=[q for q in d["queues"] if q.get("queue", q.get("name"))=="sales"][0]; print(q["answered"])')
cdrs=$(sqlite3 cdr.sqlite "SELECT count(*) FROM cdr WHERE dnis = '800' AND disposition = 'answered'")
enter=$(awk -F'|' '$3 == "sales" && $5 == "ENTERQUEUE"' queue_log | wc -l)
connect=$(awk -F'|' '$3 == "sales" && $5 == "CONNECT"' queue_log | wc -l)
echo "stats: offered $offered answered $answered; CDRs answered $cdrs; queue_log ENTERQUEUE $enter CONNECT $connect"
check "stats offered = queue_log ENTERQUEUE = $calls" "[ $rc -eq 0 ] && [ '$offered' = $calls ] && [ $enter -eq $calls ]"
check "stats answered = queue_log CONNECT = answered CDRs" "[ '$answered' = $connect ] && [ $connect -eq $cdrs ] && [ $cdrs -eq $calls ]"

dt stats agents --json > agents-stats.json; rc=$?
shares=$(python3 -c 'import json; d=json.load(open("agents-stats.json")); a=d if isinstance(d, list) else d["agents"]; print(" ".join(str(x.get("answered", x.get("calls"))) for x in sorted(a, key=lambda x: x["agent"])))')
per_agent=$(awk -F'|' '$5 == "CONNECT" {n[$4]++} END {for (a in n) print a, n[a]}' queue_log | sort | awk '{printf "%s ", $2}')
echo "calls per agent: stats $shares; queue_log $per_agent"
check "stats agents match the queue_log per agent" "[ $rc -eq 0 ] && [ \"$shares \" = \"$per_agent\" ]"
check "longest-idle shares the calls evenly (three agents, each 15-25 of $calls)" "[ \$(echo $shares | wc -w) -eq 3 ] && for n in $shares; do [ \$n -ge 15 ] && [ \$n -le 25 ] || exit 1; done"

kill -TERM $serve; wait $serve 2>/dev/null
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
