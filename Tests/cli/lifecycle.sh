#!/usr/bin/env bash
# The daemon as a systemd service under a live, checked call load:
#  - sd_notify: READY=1 once the spans are up, WATCHDOG=1 pings, RELOADING=1/READY=1
#    around a SIGHUP reload, STOPPING=1 on SIGTERM (a real datagram socket
#    stands in for systemd's NOTIFY_SOCKET);
#  - `dialtone reload` during calls (every fourth caller walks the IVR, its
#    prompts checked by correlation): no call dropped, new calls follow the
#    new routes, the prompt files are read again; a broken config is refused with file:line:column and the
#    running one stays; a span change is refused as needing a restart.
# Usage: lifecycle.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dialtone-life.XXXXXX)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"

write_config() {  # write_config AGENTS-SPAN [EXTRA-SPAN-LINE]
cat > dialtone.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
  log_level: notice
  drain_seconds: 5
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
  - {name: agents2, type: E1, role: net, switchtype: euroisdn_e1}
${2:-}
prompts:
  directory: $here/../../prompts
  language: en
menus:
  main:
    prompt: welcome
    options: {"1": {route: "5551001"}, "2": {route: "5551002"}}
routes:
  - {match: "5552000", menu: main}
  - {prefix: "555", to: $1}
simulator:
  calls_per_second: 4
  hold_seconds: 2
  max_calls: 12
YAML
}

# systemd's side of sd_notify: every datagram, one line each, with its time.
python3 - "$work/notify.sock" > notify.log 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data = s.recv(4096).decode()
    print("%.3f %s" % (time.time(), data.replace("\n", " | ")), flush=True)
PY
pids+=($!); disown $!
for _ in $(seq 50); do [ -S notify.sock ] && break; sleep 0.1; done

write_config agents
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=500000 DEMO_SECONDS=40 "$bin" serve -c dialtone.yaml --demo --log-level notice > serve.log 2>&1 &
serve=$!; pids+=($serve)
for _ in $(seq 200); do grep -q 'READY=1' notify.log && break; sleep 0.1; done
check "READY=1 once the daemon is up (after 'dialtone started')" "grep -q 'READY=1' notify.log && grep -q 'dialtone started' serve.log"
sleep 6

write_config agents2
"$bin" reload -c dialtone.yaml > reload1.out 2>&1; rc=$?
reloaded_at=$(date -u +%s)
cat reload1.out
check "reload during calls (IVR callers among them) applies the new routes and reloads the prompt files" "[ $rc -eq 0 ] && grep -q 'reloaded: routes' reload1.out && grep -q 'prompt files reloaded' reload1.out"
sleep 8

cp dialtone.yaml good.yaml
sed -i 's/max_calls: 12/max_calls: twelve/' dialtone.yaml
"$bin" reload -c good.yaml > reload2.out 2>&1; rc=$?
cat reload2.out
check "a broken config is refused with file:line:column, exit 1" "[ $rc -eq 1 ] && grep -Eq 'dialtone.yaml:[0-9]+:[0-9]+' reload2.out"

write_config agents2 "  - {name: agents3, type: E1, role: net, switchtype: euroisdn_e1}"
"$bin" reload -c good.yaml > reload3.out 2>&1; rc=$?
cat reload3.out
check "a span change is refused as needing a restart" "[ $rc -eq 1 ] && grep -q 'spans changed' reload3.out && grep -q 'restart' reload3.out"

cp good.yaml dialtone.yaml
kill -HUP $serve
for _ in $(seq 50); do grep -q 'RELOADING=1' notify.log && break; sleep 0.1; done
# READY=1 again once the reload is done (the prompt set is read again: wait for it, up to 10 s).
for _ in $(seq 100); do [ "$(grep -c 'READY=1' notify.log)" -ge 2 ] && break; sleep 0.1; done
check "SIGHUP reloads: RELOADING=1 then READY=1 on the notify socket" "grep -q 'RELOADING=1' notify.log && [ \$(grep -c 'READY=1' notify.log) -ge 2 ]"
check "the watchdog is pinged (WATCHDOG_USEC=500000)" "[ \$(grep -c 'WATCHDOG=1' notify.log) -ge 10 ]"

wait $serve; rc=$?
grep -A4 '^summary' serve.log
check "no call dropped or failed across the reloads (demo exit 0, 0 failed)" "[ $rc -eq 0 ] && grep -q ' 0 failed' serve.log"
check "STOPPING=1 when the daemon stops" "grep -q 'STOPPING=1' notify.log"
before=$(sqlite3 cdr.sqlite "SELECT count(*) FROM cdr WHERE out_span = 'agents'")
after=$(sqlite3 cdr.sqlite "SELECT count(*) FROM cdr WHERE out_span = 'agents2'")
late_old=$(sqlite3 cdr.sqlite "SELECT count(*) FROM cdr WHERE out_span = 'agents' AND strftime('%s', start_time) > '$((reloaded_at + 1))'")
echo "CDRs to agents (before the reload): $before, to agents2 (after): $after, to agents after the reload: $late_old"
check "calls before the reload went to agents, new calls after it to agents2" "[ $before -gt 0 ] && [ $after -gt 0 ] && [ $late_old -eq 0 ]"
# The shipped unit: valid for systemd, notify/reload/watchdog, hardened.
unit="$here/../../udev/dialtone.service"
mkdir -p unit && sed "s|/usr/local/bin/dialtone|$bin|g" "$unit" > unit/dialtone.service
systemd-analyze verify unit/dialtone.service > verify.out 2>&1; rc=$?
cat verify.out
exposure=$(systemd-analyze security --offline=yes unit/dialtone.service 2>/dev/null | sed -n 's/.*Overall exposure level for dialtone.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $exposure"
check "the systemd unit verifies (Type=notify, ExecReload, WatchdogSec) and is hardened (exposure $exposure ≤ 2.0)" \
      "[ $rc -eq 0 ] && [ ! -s verify.out ] && grep -q '^Type=notify' unit/dialtone.service && grep -q '^ExecReload=' unit/dialtone.service && grep -q '^WatchdogSec=' unit/dialtone.service && awk 'BEGIN{exit !($exposure <= 2.0)}'"
echo "lifecycle: $passed passed, $failed failed"
[ $failed -eq 0 ]
