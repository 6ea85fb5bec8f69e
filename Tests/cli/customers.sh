#!/usr/bin/env bash
# `dialtone customers` imports a CSV (RFC 4180: quotes, commas, line breaks),
# shows a customer by a number written any way, exports what it imported,
# refuses a bad file naming its line (and imports nothing), and `--skip-bad`
# imports the rest; `dialtone stats queues/agents` read queue events from
# the same database; `dialtone stats` alone still asks the daemon.
# Usage: Tests/cli/customers.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 PATH/TO/dialtone}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; sed 's/^/    | /' out 2>/dev/null; fi; }

cat > dialtone.yaml <<YAML
daemon:
  database: $work/db/dialtone.sqlite
  control_socket: $work/control.sock
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
customers:
  country_code: 49
  area_code: 30
  national_prefix: 0
  international_prefix: "00"
YAML

printf 'number,name,grade,notes,agent,account\r\n+44 20 7946 0018,"Smith, Jane",A,"VIP\r\nsays ""hi""",1001,ACC-1\r\n030 123456,Müller GmbH,B,,sales,ACC-2\r\n' > good.csv
"$bin" customers import -c dialtone.yaml good.csv > out 2>&1
check "import: 2 customers" "grep -q 'imported 2 customers' out"

"$bin" customers show -c dialtone.yaml 123456 > out 2>&1
check "show by a local number finds +4930123456" "grep -q '^number: *+4930123456' out && grep -q '^name: *Müller GmbH' out && grep -q '^account: *ACC-2' out"
"$bin" customers show -c dialtone.yaml "0044 20 7946-0018" > out 2>&1
check "show by an international number with its prefix" "grep -q '^name: *Smith, Jane' out && grep -q '^grade: *A' out"
"$bin" customers show -c dialtone.yaml 999 > out 2>&1; rc=$?
check "show an unknown number: exit 1" "[ $rc -eq 1 ] && grep -q 'no customer +4930999' out"

"$bin" customers export -c dialtone.yaml exported.csv > out 2>&1
check "export to a file equals what was imported (numbers as +E.164)" \
  "printf 'number,name,grade,notes,agent,account\r\n+442079460018,\"Smith, Jane\",A,\"VIP\r\nsays \"\"hi\"\"\",1001,ACC-1\r\n+4930123456,Müller GmbH,B,,sales,ACC-2\r\n' | cmp -s - exported.csv"
"$bin" customers export -c dialtone.yaml > stdout.csv 2>out
check "export to standard output" "cmp -s stdout.csv exported.csv"
"$bin" customers import -c dialtone.yaml exported.csv > out 2>&1
check "the export imports again" "grep -q 'imported 2 customers' out"

printf 'number,name\n+4930111,A\n+4930222,"B\nsecond line"\n12ab,C\n+4930444,D\n' > bad.csv
"$bin" customers import -c dialtone.yaml bad.csv > out 2>&1; rc=$?
check "a bad row: exit 1, names bad.csv:5, the column and 'nothing was imported'" \
  "[ $rc -eq 1 ] && grep -q 'bad.csv:5: line 5: column 1 (number)' out && grep -q 'nothing was imported' out"
"$bin" customers list -c dialtone.yaml > out 2>&1
check "nothing of the bad file was imported" "grep -q '1–2 of 2' out && ! grep -q '4930111' out"
"$bin" customers import -c dialtone.yaml --skip-bad bad.csv > out 2>&1; rc=$?
check "--skip-bad imports 3, reports line 5, exit 1" "[ $rc -eq 1 ] && grep -q 'imported 3 customers' out && grep -q 'bad.csv:5: skipped' out"
"$bin" customers list -c dialtone.yaml > out 2>&1
check "list shows 5 customers" "grep -q '1–5 of 5' out && grep -q '+4930222' out"

# Queue events as the store writer stores them (time text in UTC, data a JSON array).
python3 - "$work/db/dialtone.sqlite" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = [("2026-01-15 08:01:40.000", "c1", "sales", "NONE", "ENTERQUEUE", '["","4930111","1"]'),
        ("2026-01-15 08:01:50.000", "c1", "sales", "1001", "CONNECT", '["10","c1-2","1"]'),
        ("2026-01-15 08:04:50.000", "c1", "sales", "1001", "COMPLETECALLER", '["10","180","1"]'),
        ("2026-01-15 08:05:00.000", "c2", "sales", "NONE", "ENTERQUEUE", '["","4930222","1"]'),
        ("2026-01-15 08:05:30.000", "c2", "sales", "NONE", "ABANDON", '["1","1","30"]')]
c.executemany("INSERT INTO queue_event (time, call_id, queue, agent, event, data) VALUES (?,?,?,?,?,?)", rows)
c.commit()
PY
period="--from 2026-01-15T08:00:00Z --to 2026-01-15T09:00:00Z"
"$bin" stats queues -c dialtone.yaml $period --json > out 2>&1
check "stats queues --json: 2 offered, 1 answered, 1 abandoned, SL 50 %" \
  "python3 -c 'import json,sys; s=json.load(open(\"out\")); q=s[\"queues\"][0]; sys.exit(not (q[\"queue\"]==\"sales\" and q[\"offered\"]==2 and q[\"answered\"]==1 and q[\"abandoned\"]==1 and q[\"serviceLevel\"]==0.5 and q[\"aht\"]==180))'"
"$bin" stats queues -c dialtone.yaml $period --hourly --utc > out 2>&1
check "stats queues --hourly: a table and the 08:00 hour" "grep -q '^sales  *2  *1  *1  *50.0%' out && grep -q '^08:00–09:00' out"
"$bin" stats agents -c dialtone.yaml $period > out 2>&1
check "stats agents: 1001 answered 1, talk 180" "grep -q '^1001  *1  *180' out"
"$bin" stats queues -c dialtone.yaml --from tomorrow > out 2>&1; rc=$?
check "a bad --from is refused" "[ $rc -ne 0 ] && grep -q 'not an ISO 8601 date' out"
"$bin" stats -c dialtone.yaml > out 2>&1; rc=$?
check "plain 'dialtone stats' still asks the daemon (none running: exit 2)" "[ $rc -eq 2 ]"

echo "customers.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
