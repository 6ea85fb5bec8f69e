#!/bin/bash
# Generates a prompt set from text: prompts/LANG.txt → prompts/LANG/NAME.wav
# (8 kHz mono 16-bit PCM), with Debian's espeak-ng and sox. Only prompts whose
# text changed (or whose file is missing) are regenerated.
# Usage: scripts/make-prompts.sh [LANG ...]   (default: every prompts/*.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in espeak-ng sox; do
    command -v $tool >/dev/null || { echo "make-prompts: $tool is missing (apt-get install espeak-ng sox)" >&2; exit 1; }
done
langs=("$@")
if [ ${#langs[@]} -eq 0 ]; then for f in prompts/*.txt; do langs+=("$(basename "$f" .txt)"); done; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for lang in "${langs[@]}"; do
    src=prompts/$lang.txt
    [ -f "$src" ] || { echo "make-prompts: no $src" >&2; exit 1; }
    voice=$(sed -n 's/^#[[:space:]]*voice:[[:space:]]*//p' "$src" | head -1); voice=${voice:-$lang}
    mkdir -p "prompts/$lang"
    n=0
    while IFS= read -r line; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        name=${line%%:*}; text=${line#*:}; text=${text# }
        [[ "$name" =~ ^[a-z0-9_-]+$ ]] || { echo "$src: bad prompt name '$name'" >&2; exit 1; }
        out=prompts/$lang/$name.wav stamp=prompts/$lang/.$name.txt
        if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" == "$voice|$text" ]; then continue; fi
        if [[ "$text" == @sine\ * ]]; then
            # A tone, not speech: "@sine HZ SECONDS" (the beep before a recording, on an agent line).
            read -r _ hz secs <<< "$text"
            sox -n -r 8000 -c 1 -b 16 -e signed-integer "$out" synth "$secs" sine "$hz" vol -10dB
        else
            espeak-ng -v "$voice" -s 150 -w "$tmp/raw.wav" "$text"
            sox "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$out" norm -6
        fi
        printf '%s' "$voice|$text" > "$stamp"
        n=$((n + 1))
    done < "$src"
    echo "prompts/$lang: $n generated, $(ls prompts/$lang/*.wav | wc -l) total"
done
