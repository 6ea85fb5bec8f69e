#!/usr/bin/env bash
# Fax jobs, the catalogue and the unified inbox from the command line against
# a running daemon, without a far fax machine (no route to the numbers: every
# call fails with its cause and is reported so):
#  - check-config converts a PDF once into the spool and refuses a TIFF that
#    is not 1728 pixels wide, naming the file and the config line;
#  - `fax documents` lists the catalogue with page counts;
#  - `fax send --at`, `fax jobs`, `fax show`, `fax cancel`; unknown documents
#    and bad files are refused before anything is dialled (exit 1);
#  - `fax broadcast --to FILE` makes one destination per number; each attempt's
#    failure is stored with its cause and text; a scheduled job survives SIGKILL;
#  - `inbox list|show|export|done` over a received fax (its row written with
#    sqlite3, as the fax core will write it through the store writer).
# Usage: fax-jobs.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dialtone-fax.XXXXXX)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
gs() { command gs -q -dNOPAUSE -dBATCH -dSAFER "$@"; }
printf '%%!PS\n/Helvetica findfont 24 scalefont setfont\n72 700 moveto (Price list) show showpage\n72 700 moveto (Page 2) show showpage\n72 700 moveto (Page 3) show showpage\n' > prices.ps
gs -sDEVICE=pdfwrite -sOutputFile=prices.pdf prices.ps
gs -sDEVICE=tiffg4 -r300 -g2480x3508 -sOutputFile=wide.tif prices.ps
printf 'Dear {customer.name},\nyour account {customer.account}.\n' > statement.txt
config() {
cat > dialtone.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
  log_level: info
  drain_seconds: 1
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1, peer: "socket:$work/pstn.sock"}
prompts:
  directory: $here/../../prompts
  language: en
applications:
  support: {type: queue}
  fod: {type: fax-on-demand}
agents:
  "1001": {name: Alice, station: "6001", skills: {support: 10}}
fax:
  spool: $work/spool
  retry: {attempts: 1, delay: 10}
  header: ACME
  documents:
    - {number: "1", name: Price list, file: $1}
  personal:
    - {number: "9", name: Statement, template: statement.txt}
  receive:
    "5552000": queue support
routes:
  - {match: "700", application: fod}
YAML
}
config wide.tif
out=$("$bin" check-config dialtone.yaml 2>&1)
check "a 2480-pixel TIFF is a config error at its line naming the file" \
    "grep -q 'dialtone.yaml:21:.*fax.documents\[0\].file: $work/wide.tif: page 1 is 2480 pixels wide' <<< \"\$out\""
config prices.pdf
check "the PDF catalogue loads" "'$bin' check-config dialtone.yaml > /dev/null"
check "the PDF was converted once into the spool" "[ \$(ls spool/documents/*.tif | wc -l) -eq 1 ]"

dt() { "$bin" "$@" -c dialtone.yaml; }
wait_for() { local deadline=$((SECONDS + $1)); until eval "$2"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
start() {
    "$bin" serve -c dialtone.yaml >> serve.log 2>&1 &
    serve=$!; pids+=($serve)
    wait_for 20 "grep -c 'dialtone started' serve.log | grep -qx $1"
}
start 1
check "the daemon is up" "grep -q 'dialtone started' serve.log"

check "fax documents lists the catalogue with page counts" \
    "[ \"\$(dt fax documents --json | json '[(e[\"number\"], e[\"kind\"], e.get(\"pages\")) for e in d]')\" = \"[('1', 'document', 3), ('9', 'personal', None)]\" ]"
check "fax documents prints a table" "dt fax documents | grep -q '^1 *Price list *document *3'"

job=$(dt fax send 5550001 1 --at +1h --json | json 'd["job"]["id"]')
check "fax send --at makes a scheduled single job" "[ \"\$(dt fax show $job --json | json 'd[\"job\"][\"state\"], d[\"job\"][\"kind\"], d[\"destinations\"][0][\"state\"]')\" = 'scheduled single pending' ]"
check "fax jobs lists it" "dt fax jobs | grep -q \"^$job *single *scheduled\""
check "fax cancel cancels it" "dt fax cancel $job > /dev/null && [ \"\$(dt fax show $job --json | json 'd[\"job\"][\"state\"], d[\"destinations\"][0][\"state\"]')\" = 'cancelled cancelled' ]"
dt fax cancel $job > cancel.out 2> cancel.err; rc=$?
check "cancelling twice exits 1 with the reason" "[ $rc -eq 1 ] && grep -q 'cancelled already' cancel.err"
dt fax send 5550001 99 > /dev/null 2> nodoc.err; rc=$?
check "an unknown document is refused before dialling" "[ $rc -eq 1 ] && grep -q 'no document 99 in the catalogue' nodoc.err"
dt fax send 5550001 wide.tif > /dev/null 2> wide.err; rc=$?
check "a file that is not 1728 pixels wide is refused" "[ $rc -eq 1 ] && grep -q '2480 pixels wide' wide.err"
dt fax send 5550001 9 > /dev/null 2> personal.err; rc=$?
check "a personal document is for callers only" "[ $rc -eq 1 ] && grep -q 'personal' personal.err"

printf '# customers\n5550001\n555-0002\n5550003 # evening\n' > numbers.txt
bjob=$(dt fax broadcast 1 --to numbers.txt --json | json 'd["job"]["id"]')
check "a broadcast from a file has one destination per number" "[ \"\$(dt fax show $bjob --json | json '[x[\"number\"] for x in d[\"destinations\"]]')\" = \"['5550001', '5550002', '5550003']\" ]"
wait_for 10 "dt fax show $bjob --json | json 'd[\"job\"][\"state\"]' | grep -qx failed"
check "every destination fails with its cause and the reason (no fax stage, or no route to 555…)" \
    "dt fax show $bjob --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if all(x[\"state\"] == \"failed\" and x[\"attempts\"] == 1 and x[\"result\"][\"cause\"] and x[\"result\"][\"t30Text\"] for x in d[\"destinations\"]) else 1)'"
check "fax show prints each destination" "[ \$(dt fax show $bjob | grep -c 'failed *1 *failed ([0-9]*)') -eq 3 ]"

later=$(dt fax send 5550009 1 --at +2h --json | json 'd["job"]["id"]')
wait_for 10 "sqlite3 cdr.sqlite \"select state from fax_job where id = '$later'\" | grep -qx scheduled"
kill -9 $serve; wait $serve 2>/dev/null
start 2
"$bin" events -c dialtone.yaml > events.jsonl 2> events.err &
pids+=($!)
wait_for 10 "grep -q subscribed events.err"
check "a scheduled job survives SIGKILL" "[ \"\$(dt fax show $later --json | json 'd[\"job\"][\"state\"]')\" = scheduled ]"
check "finished jobs are listed from the store after a restart" "dt fax jobs | grep -q \"^$bjob *broadcast *failed\""

# A received fax as the fax core will index it (TIFF and PDF in the spool, a row).
mkdir -p spool/received
gs -sDEVICE=tiffg4 -r204x196 -g1728x2292 -sOutputFile=spool/received/c1.tif prices.ps
tiff2pdf -o spool/received/c1.pdf spool/received/c1.tif
sqlite3 cdr.sqlite "insert into fax_received (id, time, call_id, calling, dnis, pages, tiff_path, pdf_path, t30_code, t30_text, rate, ecm, queue, state)
  values ('Rc1', '2026-12-01 10:00:00.000', 'c1', '4930123456', '5552000', 3, '$work/spool/received/c1.tif', '$work/spool/received/c1.pdf', 0, 'OK', 14400, 1, 'support', 'new')"
check "inbox list --queue shows the fax" "dt inbox list --queue support | grep -q '^fax *Rc1 .* 4930123456 *5552000 *queue support *3 pages *new'"
check "inbox list --agent does not" "! dt inbox list --agent 1001 | grep -q Rc1"
mkdir out
check "inbox export copies the PDF" "dt inbox export Rc1 --to out > /dev/null && cmp -s out/c1.pdf spool/received/c1.pdf"
check "inbox done marks it done by an agent" "dt inbox done fax:Rc1 --by 1001 | grep -q 'done by 1001'"
wait_for 10 "sqlite3 cdr.sqlite \"select handled_by from fax_received where id = 'Rc1'\" | grep -qx 1001"
check "a done fax leaves the list" "! dt inbox list --queue support | grep -q Rc1"
check "--all shows it with who dealt with it" "dt inbox list --queue support --all | grep -q 'Rc1 .* done *1001'"
dt inbox done Rc1 --by 1002 > /dev/null 2> done.err; rc=$?
check "done twice exits 1" "[ $rc -eq 1 ] && grep -q 'marked done by 1001 already' done.err"

check "inbox.done is on the event stream with who" \
    "grep -q '\"type\" *: *\"inbox.done\"' events.jsonl && python3 -c 'import json,sys; sys.exit(0 if any(e[\"type\"] == \"inbox.done\" and e[\"text\"] == \"fax:Rc1\" and e[\"agent\"] == \"1001\" for e in map(json.loads, open(\"events.jsonl\"))) else 1)'"
dt fax cancel $later > /dev/null
wait_for 10 "grep -q '\"fax.job\"' events.jsonl"
check "a job's change is on the event stream" \
    "python3 -c 'import json,sys; sys.exit(0 if any(e[\"type\"] == \"fax.job\" and e[\"text\"] == \"$later\" and e[\"state\"] == \"cancelled\" for e in map(json.loads, open(\"events.jsonl\"))) else 1)'"
kill -TERM $serve; wait $serve 2>/dev/null
echo "fax-jobs.sh: $passed passed, $failed failed"
[ $failed -eq 0 ]
