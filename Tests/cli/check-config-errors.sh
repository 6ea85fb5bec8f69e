#!/usr/bin/env bash
# `dialtone check-config` names FILE:LINE and the key of a bad config and exits
# non-zero; the shipped configs pass.
# Usage: Tests/cli/check-config-errors.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 PATH/TO/dialtone}")
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; sed 's/^/    | /' "$work/out"; }

# run FILE: runs check-config, output in $work/out, status in $rc.
run() { "$bin" check-config "$1" > "$work/out" 2>&1; rc=$?; }

# The shipped loopback default and every example are valid.
for f in config/dialtone.yaml config/examples/*.yaml; do
  [ -f "$f" ] || continue
  run "$f"
  if [ $rc -eq 0 ]; then pass "$f is valid"; else fail "$f is valid (exit $rc)"; fi
done

# Voice mail needs its prompts: a prompt set without one is an error naming it.
mkdir -p "$work/prompts/en" && cp prompts/en/*.wav "$work/prompts/en/" && rm "$work/prompts/en/vm-review.wav"
cat > "$work/vm.yaml" <<EOF
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
prompts: {directory: $work/prompts}
applications:
  vm: {type: voicemail, mailboxes: {"1": {}}}
EOF
run "$work/vm.yaml"
if [ $rc -ne 0 ] && grep -qF "$work/vm.yaml:5:" "$work/out" && grep -qF "vm-review" "$work/out"; then
  pass "voice mail prompt missing: exit $rc, names vm.yaml:5: and vm-review"
else
  fail "voice mail prompt missing: want non-zero exit, 'vm.yaml:5:' and 'vm-review' (exit $rc)"
fi

# A misspelled key on line 6, column 5.
bad="$work/misspelled.yaml"
cat > "$bad" <<'EOF'
spans:
  - name: pstn
    driver: virtual
    type: E1
    role: cpe
    swichtype: euroisdn_e1
EOF
run "$bad"
if [ $rc -ne 0 ] && grep -qF "$bad:6:" "$work/out" && grep -qF "swichtype" "$work/out"; then
  pass "misspelled key: exit $rc, names $bad:6: and swichtype"
else
  fail "misspelled key: want non-zero exit, '$bad:6:' and 'swichtype' (exit $rc)"
fi
if grep -qF "did you mean 'switchtype'" "$work/out"; then pass "misspelled key: suggests switchtype"
else fail "misspelled key: suggests switchtype"; fi

# A bad value: the line of the value and the dotted key.
bad="$work/bad-type.yaml"
printf 'spans:\n  - name: pstn\n    type: E3\n    role: cpe\n    switchtype: euroisdn_e1\n' > "$bad"
run "$bad"
if [ $rc -ne 0 ] && grep -qF "$bad:3:11: spans[0].type:" "$work/out"; then pass "bad span type: names $bad:3:11 and spans[0].type"
else fail "bad span type: want non-zero exit and '$bad:3:11: spans[0].type:' (exit $rc)"; fi

# A file that does not exist.
run "$work/nope.yaml"
if [ $rc -ne 0 ] && grep -qF "$work/nope.yaml:0:" "$work/out"; then pass "missing file: exit $rc, names it"
else fail "missing file: want non-zero exit and '$work/nope.yaml:0:' (exit $rc)"; fi

# An ALSA device that cannot be opened now is a warning (it may come later),
# not an error; one that opens is not mentioned.
alsa="$work/alsa.yaml"
printf 'spans:\n  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}\nrecording:\n  alsa_device: "hw:7,0"\n' > "$alsa"
run "$alsa"
if [ $rc -eq 0 ] && grep -qF "warning: recording.alsa_device 'hw:7,0' cannot be opened now" "$work/out"; then pass "missing ALSA card: a warning, exit 0"
else fail "missing ALSA card: want exit 0 and a warning naming hw:7,0 (exit $rc): $(cat "$work/out")"; fi
printf 'spans:\n  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}\nrecording:\n  alsa_device: tap\n  alsa_config: "pcm.tap { type file slave.pcm { type null } file %s/tap.raw format raw }"\n' "$work" > "$alsa"
run "$alsa"
if [ $rc -eq 0 ] && ! grep -q "warning" "$work/out"; then pass "ALSA file device: opens, no warning"
else fail "ALSA file device: want exit 0 and no warning (exit $rc): $(cat "$work/out")"; fi

echo "check-config: $passed passed, $failed failed"
[ $failed -eq 0 ]
