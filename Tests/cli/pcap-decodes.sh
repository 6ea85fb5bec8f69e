#!/usr/bin/env bash
# A D-channel capture from a loopback run decodes in tshark as LAPD/Q.931
# with no malformed packets. Usage: pcap-decodes.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }

(cd "$work" && "$bin" loopback -c "$root/config/dialtone.yaml" --calls 10 --pcap "$work/dchan.pcap" > "$work/loopback.out" 2>&1)
check "loopback run with --pcap passed" "grep -q '^[0-9]* passed, 0 failed' '$work/loopback.out'" || grep -E 'PASS|FAIL|passed' "$work/loopback.out"
frames=$(tshark -r "$work/dchan.pcap" 2>/dev/null | wc -l)
q931=$(tshark -r "$work/dchan.pcap" -Y q931 2>/dev/null | wc -l)
setups=$(tshark -r "$work/dchan.pcap" -Y 'q931.message_type == 0x05' 2>/dev/null | wc -l)
malformed=$(tshark -r "$work/dchan.pcap" -Y '_ws.malformed' 2>/dev/null | wc -l)
echo "capture: $frames frames, $q931 Q.931 messages, $setups SETUPs, $malformed malformed"
check "capture holds LAPD frames" "[ $frames -gt 100 ]"
check "capture holds Q.931 SETUPs" "[ $setups -ge 10 ]"
check "no malformed packets" "[ $malformed -eq 0 ]"
echo "pcap: $passed passed, $failed failed"
[ $failed -eq 0 ]
