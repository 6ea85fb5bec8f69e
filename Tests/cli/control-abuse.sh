#!/usr/bin/env bash
# The control socket under abuse while the daemon carries a live call load
# (the built-in line simulator checks every call bit-exact both ways):
# 1,000 clients that close before their reply (some with an RST), 200 idle
# clients, malformed requests; and the start-up refusals: a regular file at
# the socket path, a second daemon on the same config, a live daemon's
# socket, a stale socket. Usage: control-abuse.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
work=$(mktemp -d)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
cd "$work"
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
config() {  # config NAME DATABASE SOCKET
    cat > "$1" <<YAML
daemon:
  control_socket: $3
  database: $2
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
routes:
  - {prefix: "555", to: agents}
simulator:
  calls_per_second: 4
  hold_seconds: 3
  max_calls: 24
YAML
}
config dialtone.yaml "$work/cdr.sqlite" "$work/control.sock"
"$bin" check-config dialtone.yaml > /dev/null || { echo "FAIL: config"; exit 1; }

# A regular file where the socket should go is refused and left alone.
echo "precious" > control.sock
timeout 30 "$bin" serve -c dialtone.yaml > refused.log 2>&1; rc=$?
cat refused.log | grep "cannot start"
check "a regular file at the socket path is refused (exit 1, named)" \
      "[ $rc -eq 1 ] && grep -q 'control.sock: a regular file is there, not a socket' refused.log"
check "... and still exists, unchanged" "[ -f control.sock ] && [ \"\$(cat control.sock)\" = precious ]"
rm -f control.sock

DEMO_SECONDS=45 "$bin" serve -c dialtone.yaml --demo > demo.log 2>&1 &
pid=$!
for _ in $(seq 200); do [ -S control.sock ] && grep -q '^demo:' demo.log && break; sleep 0.1; done
check "the daemon is up with its demo load" "[ -S control.sock ] && kill -0 $pid"
check "the socket has mode 0660" "[ \"\$(stat -c %a control.sock)\" = 660 ]"

# One daemon per config.
timeout 30 "$bin" serve -c dialtone.yaml > second.log 2>&1; rc=$?
cat second.log
check "a second daemon on the same config exits 1 naming the first's pid" \
      "[ $rc -eq 1 ] && grep -qF 'dialtone: cannot start: another dialtone (pid $pid) is running with this config (lock $work/cdr.sqlite.lock)' second.log"

# Another config (own database) pointing at the live daemon's socket.
config other.yaml "$work/other.sqlite" "$work/control.sock"
timeout 30 "$bin" serve -c other.yaml > other.log 2>&1; rc=$?
cat other.log
check "a live daemon's socket is refused, not taken over" \
      "[ $rc -eq 1 ] && grep -q 'another dialtone is answering on it' other.log && \"$bin\" stats -c dialtone.yaml > /dev/null"

# A stale socket (nobody listening) is replaced.
config stale.yaml "$work/stale.sqlite" "$work/stale.sock"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' stale.sock
"$bin" serve -c stale.yaml --log-level notice > stale.log 2>&1 &
stalepid=$!
up=no
for _ in $(seq 100); do "$bin" stats -c stale.yaml > /dev/null 2>&1 && { up=yes; break; }; sleep 0.1; done
kill -TERM $stalepid; wait $stalepid
check "a stale socket is replaced (and removed on a clean stop)" \
      "[ $up = yes ] && grep -q 'replaced a stale socket' stale.log && [ ! -e stale.sock ]"

threads() { awk '/^Threads:/ {print $2}' /proc/$pid/status; }
before=$(threads)

# 1,000 clients that send a request and close before the reply.
python3 - "$work/control.sock" > hangups.out 2>&1 <<'PY'
import socket, struct, sys
path, n, errors = sys.argv[1], 0, 0
for i in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        s.sendall(b"stats\n" if i % 2 == 0 else b"calls\n")
        if i % 3 == 0:  # an abortive close
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        n += 1
    except OSError as e:
        errors += 1
        print("client error:", e)
    finally:
        s.close()
print(f"{n} hung up, {errors} errors")
PY
grep -m5 'client error' hangups.out; tail -1 hangups.out
check "1,000 clients hung up before their reply" "grep -q '^1000 hung up, 0 errors' hangups.out"
check "the daemon is still running" "kill -0 $pid"
"$bin" stats -c dialtone.yaml > stats.out 2>&1
check "and answers stats: $(cat stats.out)" "grep -q '^calls' stats.out"

# 200 idle clients: no thread each, 64 held, the rest told why, idle ones closed.
python3 - "$work/control.sock" "$pid" > idle.out 2>&1 <<'PY'
import json, os, select, socket, sys, time
path, pid = sys.argv[1], sys.argv[2]
def threads():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Threads:"): return int(line.split()[1])
t0 = threads()
clients = []
connected = time.monotonic()
for i in range(200):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    clients.append(s)
time.sleep(1.5)
t1 = threads()
print(f"threads: {t0} before, {t1} with 200 idle clients")
refused, held = 0, []
for s in clients:
    r, _, _ = select.select([s], [], [], 0)
    if r:
        data = s.recv(65536)
        if data and "too many" in json.loads(data)["error"]: refused += 1
        s.close()
    else:
        held.append(s)
print(f"refused {refused}, held {len(held)}")
open_ = list(held)
closed_ok = 0
while open_ and time.monotonic() - connected < 16:
    r, _, _ = select.select(open_, [], [], 0.5)
    for s in r:
        data = b""
        try:
            while chunk := s.recv(65536): data += chunk
        except OSError:
            pass
        if data: json.loads(data)
        closed_ok += 1
        open_.remove(s)
        s.close()
print(f"idle closed {closed_ok} of {len(held)} {time.monotonic() - connected:.1f} s after connecting")
print(f"thread growth {t1 - t0}")
PY
cat idle.out
check "200 idle clients add at most 3 threads" "[ \$(awk '/^thread growth/ {print \$3}' idle.out) -le 3 ]"
check "64 are held and 136 refused with a JSON error" "grep -q '^refused 136, held 64' idle.out"
check "the idle ones are closed by the idle timeout (10 s)" "grep -q '^idle closed 64 of 64 \(9\.[5-9]\|1[0-3]\.[0-9]\) s after connecting' idle.out"

# Malformed requests: every reply is valid JSON ending in a newline.
python3 - "$work/control.sock" > malformed.out 2>&1 <<'PY'
import json, socket, sys
path = sys.argv[1]
requests = [b'"quoted"\n', b'back\\slash\n', b'ctl\x01\x02\x1b[31m\x7f\n', b'\xff\xfe not utf-8 \xc3\x28\n',
            b'x' * 10240 + b'\n', b'\n', b'stats"}, {"x": "\n', b'{"json": [1, 2]}\n', b'\x00nul\n',
            b'record "x\\\\"\n', b'\t \r\n', b'spans\\u0000\n', b'calls\r\n']
ok = 0
for req in requests:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(req)
    data = b""
    try:
        while chunk := s.recv(65536): data += chunk
    except OSError as e:
        print("recv:", e)
    s.close()
    try:
        assert data.endswith(b"\n"), "no newline"
        json.loads(data.decode("utf-8"))
        ok += 1
        print("valid:", repr(req[:40]), "->", data.decode()[:100].replace("\n", " "))
    except Exception as e:
        print("INVALID:", repr(req[:40]), "->", repr(data[:200]), e)
print(f"{ok} of {len(requests)} replies valid JSON")
PY
cat malformed.out
check "13 malformed or odd requests each get valid JSON" "grep -q '^13 of 13 replies valid JSON' malformed.out"
check "a 10 KB line is refused as too long" "grep -q 'longer than 4096 bytes' malformed.out"

after=$(threads)
echo "daemon threads: $before at the start, $after now"
wait $pid; rc=$?
pid=""
grep '^summary:' demo.log
check "the demo ends with exit 0 and no failed call (the daemon never died)" \
      "[ $rc -eq 0 ] && grep -q '^summary: .* completed, 0 failed' demo.log"
check "the socket is removed on the way out" "[ ! -e control.sock ]"
echo "control-abuse: $passed passed, $failed failed"
[ $failed -eq 0 ]
