#!/usr/bin/env bash
# A daemon (a child `dialtone serve`) killed with SIGKILL while callers (a
# `dialtone simulate` in another process, on socket spans) are leaving
# voice mail messages leaves no corrupt or dangling index entry:
# after the restart every indexed message is a whole WAV file that sox
# reads to its end, no temp file is left, an entry whose file vanished is
# dropped. The simulated callers send idle after their short pattern, so the
# messages the kill interrupted hold silence and are removed as too short;
# a temp file holding speech whose header was never rewritten (a kill in
# the first second) is planted beside them and must be recovered: header
# repaired, indexed with the caller from its name.
# Usage: voicemail-crash.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 dialtone-binary}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAIL: $1"; fi; }
cd "$work"
cat > dialtone.yaml <<YAML
daemon:
  control_socket: $work/control.sock
  database: $work/cdr.sqlite
spans:
  - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1, peer: "socket:$work/pstn.sock"}
  - {name: agents, type: E1, role: net, switchtype: euroisdn_e1, peer: "socket:$work/agents.sock"}
prompts:
  directory: $root/prompts
  language: en
applications:
  vm:
    type: voicemail
    directory: $work/vm
    min_message: 1
    mailboxes:
      "1234": {owner: Crash Test, pin: "4321"}
routes:
  - {match: "71234", application: vm, argument: "1234"}
YAML
"$bin" check-config dialtone.yaml || { echo "FAIL: config"; exit 1; }
"$bin" serve -c dialtone.yaml > serve1.log 2>&1 &
pid=$!
trap 'kill -9 $pid $sim 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
for _ in $(seq 300); do grep -q 'dialtone started' serve1.log && break; sleep 0.1; done
# Four callers each hold 60 s: the greeting, the tone, then their (pattern) audio is the message.
"$bin" simulate -c dialtone.yaml --number 71234 --calls 4 --rate 4 --hold 60 --max-calls 4 --until-link-down > sim.log 2>&1 &
sim=$!
# The simulated callers hear the greeting, then their (pattern) audio is recorded: wait for 4 temp files past 3 s of audio.
big() { find vm -name 'tmp-*.wav' -size +48k 2>/dev/null | wc -l; }
for _ in $(seq 600); do [ "$(big)" -ge 4 ] && break; sleep 0.1; done
n=$(big)
[ -n "${KEEP:-}" ] && cp -r vm vm-before-restart
kill -9 $pid
wait $pid 2>/dev/null
for _ in $(seq 100); do kill -0 $sim 2>/dev/null || break; sleep 0.1; done
kill -9 $sim 2>/dev/null; wait $sim 2>/dev/null
check "messages were being recorded when the daemon was killed ($n temp files)" "[ $n -ge 4 ]"
# A temp file that holds nearly nothing (killed right after the tone) must be removed, not indexed.
cp "$(find vm -name 'tmp-*.wav' | head -1)" vm/1234/tmp-short-4155550000.wav
truncate -s 100 vm/1234/tmp-short-4155550000.wav
# A message with speech whose header still says 0 bytes (RIFF and data sizes zeroed).
cp "$root/prompts/en/vm-intro.wav" vm/1234/tmp-planted-4155550001.wav
printf '\x00\x00\x00\x00' | dd of=vm/1234/tmp-planted-4155550001.wav bs=1 seek=4 conv=notrunc status=none
printf '\x00\x00\x00\x00' | dd of=vm/1234/tmp-planted-4155550001.wav bs=1 seek=40 conv=notrunc status=none
speech=$(soxi -D "$root/prompts/en/vm-intro.wav")
# A finished message whose index entry never made it (killed between the rename and the store's commit).
cp "$root/prompts/en/vm-pin.wav" vm/1234/msg-20260101-120000-orphan-4155550002.wav
# An index entry whose file is gone (written before a crash that lost the file) must be dropped.
sqlite3 cdr.sqlite "INSERT INTO voicemail_message (application, mailbox, path, folder, caller, call_id, received_time, seconds)
                    VALUES ('vm', '1234', '$work/vm/1234/msg-20260101-000000-gone-1.wav', 'new', '1', 'gone', '2026-01-01 00:00:00.000', 3)"

"$bin" serve -c dialtone.yaml > serve2.log 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q 'dialtone started' serve2.log && break; sleep 0.1; done
# The recovery runs before the first call; the store writer has the index changes once it stops.
kill -TERM $pid; wait $pid
grep "voice mail recovered" serve2.log
check "no temp file is left" "[ \$(find vm -name 'tmp-*' | wc -l) -eq 0 ]"
rows=$(sqlite3 cdr.sqlite "SELECT path FROM voicemail_message WHERE application = 'vm'")
indexed=$(echo "$rows" | grep -c wav)
check "the partial message with speech and the unindexed finished one are indexed, the silent ones removed ($indexed indexed)" \
      "[ $indexed -eq 2 ] && echo \"\$rows\" | grep -q 'msg-.*-planted-4155550001.wav'"
check "the finished message that was not indexed is indexed" "echo \"\$rows\" | grep -q 'msg-20260101-120000-orphan-4155550002.wav'"
caller=$(sqlite3 cdr.sqlite "SELECT caller || ' ' || folder || ' ' || seconds FROM voicemail_message WHERE path LIKE '%planted%'")
echo "recovered: $caller (the speech lasts $speech s)"
check "its caller, folder and length (trailing silence trimmed) are right" \
      "echo '$caller' | awk -v s=$speech '{ exit !(\$1 == \"4155550001\" && \$2 == \"new\" && \$3 > 2 && \$3 <= s + 0.01) }'"
check "the entry without a file is dropped" "! echo \"\$rows\" | grep -q gone"
ok=0
for f in $rows; do
    size=$(stat -c %s "$f" 2>/dev/null || echo 0); samples=$(soxi -s "$f" 2>/dev/null || echo 0)
    if [ "$(soxi -r "$f")" = 8000 ] && [ $(( (size - 44) / 2 )) -eq "$samples" ] && [ "$samples" -ge 8000 ] \
       && sox "$f" -n stat 2>/dev/null; then ok=$((ok + 1)); fi
done
check "every indexed message is a whole WAV of at least the minimum length ($ok of $indexed)" "[ $ok -eq $indexed ]"
files=$(find vm -name 'msg-*.wav' | wc -l)
check "every message file is indexed ($files files)" "[ $files -eq $indexed ]"

# The control socket and the CLI on the recovered mailbox: list, show, export, mark, delete.
"$bin" serve -c dialtone.yaml > serve3.log 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q 'dialtone started' serve3.log && break; sleep 0.1; done
vm() { "$bin" voicemail -c dialtone.yaml "$@"; }
check "voicemail lists the mailbox with its two new messages" "vm | grep -Eq '^vm +1234 +Crash Test +2 +0'"
msg=$(vm show 1234 | awk '/planted/ {print $1}')
check "voicemail show names the recovered message, its caller and length" "vm show 1234 | grep -Eq '^$msg +new +[0-9-]+ [0-9:]+ +4155550001 +6\.[01]'"
vm export 1234 "$msg" exported.wav > /dev/null
check "voicemail export copies the WAV" "cmp -s exported.wav vm/1234/$msg"
vm mark 1234 "$msg" old > /dev/null
check "voicemail mark moves it to old" "vm | grep -Eq '^vm +1234 +Crash Test +1 +1'"
vm delete 1234 "$msg" > /dev/null
check "voicemail delete removes the file and the entry" "[ ! -e vm/1234/$msg ] && vm | grep -Eq '^vm +1234 +Crash Test +1 +0'"
check "an unknown message is refused with exit status 1" "! vm delete 1234 msg-none.wav 2> err.txt && grep -q 'no message' err.txt"
kill -TERM $pid; wait $pid
check "the deletion is in the database" "[ \$(sqlite3 cdr.sqlite \"SELECT count(*) FROM voicemail_message WHERE path LIKE '%planted%'\") -eq 0 ]"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
