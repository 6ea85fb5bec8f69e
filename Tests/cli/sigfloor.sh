#!/usr/bin/env bash
# The signalling floor of `make bench` (bench/sigfloor.c) builds and runs:
# a second of calls with one leg and with two, every call completed — its
# figures are not checked. Usage: sigfloor.sh
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
cc -O2 -Wall -Werror -o "$work/sigfloor" "$root/bench/sigfloor.c" -lpri
check "bench/sigfloor.c builds without warnings" "[ -x '$work/sigfloor' ]"
# legs in_spans out_spans in_flight seconds → legs in out in_flight calls failed wall cpu p50 p99
for args in "1 1 0 8 1" "2 2 3 40 1"; do
  out=$("$work/sigfloor" $args) || out=""
  echo "sigfloor $args: $out"
  read -r _ _ _ _ calls fails _ <<< "$out"
  check "sigfloor $args: calls completed, none failed" "[ '${calls:-0}' -gt 0 ] && [ '${fails:-1}' -eq 0 ]"
done
check "sigfloor refuses more calls in flight than the inbound spans carry" "! '$work/sigfloor' 2 1 2 31 1 2>/dev/null"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
