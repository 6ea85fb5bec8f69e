#!/usr/bin/env bash
# `dialtone check-config` names file:line and the key for a bad config and
# exits non-zero; the shipped configs pass. Usage: check-config-errors.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }

for f in "$root"/config/dialtone.yaml "$root"/config/examples/*.yaml; do
  [ -f "$f" ] || continue
  "$bin" check-config "$f" > "$work/out" 2>&1
  check "$(basename "$f") is valid" "[ $? -eq 0 ]"
done

# A misspelled key on a known line.
sed 's/^    switchtype: euroisdn_e1    #/    swichtype: euroisdn_e1    #/' "$root/config/dialtone.yaml" > "$work/bad.yaml"
line=$(grep -n 'swichtype' "$work/bad.yaml" | head -1 | cut -d: -f1)
"$bin" check-config "$work/bad.yaml" > "$work/out" 2>&1; rc=$?
cat "$work/out"
check "misspelled key exits non-zero" "[ $rc -ne 0 ]"
check "message names $work/bad.yaml:$line and the key" "grep -q '$work/bad.yaml:$line:.*swichtype' '$work/out'"
check "message suggests the right key" "grep -q \"did you mean 'switchtype'\" '$work/out'"

# A bad value.
sed 's/type: E1                   #/type: E3                   #/' "$root/config/dialtone.yaml" > "$work/bad2.yaml"
line=$(grep -n 'type: E3' "$work/bad2.yaml" | head -1 | cut -d: -f1)
"$bin" check-config "$work/bad2.yaml" > "$work/out" 2>&1; rc=$?
cat "$work/out"
check "bad span type exits non-zero with file:line" "[ $rc -ne 0 ] && grep -q '$work/bad2.yaml:$line:.*spans\[0\].type' '$work/out'"

# A missing file.
"$bin" check-config "$work/nope.yaml" > "$work/out" 2>&1; rc=$?
check "missing file exits non-zero and names it" "[ $rc -ne 0 ] && grep -q 'nope.yaml' '$work/out'"

echo "check-config: $passed passed, $failed failed"
[ $failed -eq 0 ]
