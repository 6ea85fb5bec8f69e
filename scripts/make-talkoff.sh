#!/bin/bash
# Speaks the talk-off corpus (Tests/talkoff/speech.txt) with espeak-ng into
# .build/talkoff/speech/NAME-K.wav: 8 kHz mono 16-bit PCM, band-limited to the
# telephone band (300-3400 Hz) as a line would carry it, peak-normalised; the
# levels on the line (active speech level, dBm0) are set where it is played
# (TalkOffCorpus). Nothing is committed as audio. Only renderings whose text
# or voice changed (or whose file is missing) are made again; files of lines
# no longer in the list are removed.
# Usage: scripts/make-talkoff.sh [OUTPUT_DIR]   (default .build/talkoff)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in espeak-ng sox; do
    command -v $tool >/dev/null || { echo "make-talkoff: $tool is missing (apt-get install espeak-ng sox)" >&2; exit 1; }
done
src=Tests/talkoff/speech.txt
out=${1:-.build/talkoff}/speech
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# sox: repeatable (-R), no dither (-D), so that the same text makes the same
# file on every run; the options are in each file's stamp: changing them makes the files again.
filter="sinc 300-3400 norm -1"
declare -A wanted=()
n=0 lineno=0
while IFS= read -r line; do
    lineno=$((lineno + 1))
    [[ -z "$line" || "$line" == \#* ]] && continue
    IFS='|' read -r name renderings text <<< "$line"
    [[ "$name" =~ ^[a-z0-9_-]+$ && -n "$renderings" && -n "$text" ]] || { echo "$src:$lineno: expected NAME|VOICE:WPM:PITCH ...|TEXT" >&2; exit 1; }
    k=0
    for r in $renderings; do
        IFS=':' read -r voice wpm pitch <<< "$r"
        [[ -n "$voice" && "$wpm" =~ ^[0-9]+$ && "$pitch" =~ ^[0-9]+$ ]] || { echo "$src:$lineno: bad rendering '$r' (VOICE:WPM:PITCH)" >&2; exit 1; }
        base=$name-$k k=$((k + 1))
        wanted[$base]=1
        wav=$out/$base.wav stamp=$out/.$base.txt
        if [ -f "$wav" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" == "$r|-R -D $filter|$text" ]; then continue; fi
        espeak-ng -v "$voice" -s "$wpm" -p "$pitch" -w "$tmp/raw.wav" "$text"
        sox -R -D "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$wav" $filter
        printf '%s' "$r|-R -D $filter|$text" > "$stamp"
        n=$((n + 1))
    done
done < "$src"
for f in "$out"/*.wav; do
    [ -e "$f" ] || continue
    b=$(basename "$f" .wav)
    [ -n "${wanted[$b]:-}" ] || rm -f "$f" "$out/.$b.txt"
done
secs=$(for f in "$out"/*.wav; do soxi -D "$f"; done | awk '{s += $1} END {printf "%.0f", s}')
echo "talk-off corpus: $n spoken, ${#wanted[@]} files, $((secs / 60)) min $((secs % 60)) s of speech in $out"
