#!/usr/bin/env bash
# Config fuzz: seeded mutations of the shipped and other valid configs through
# `dialtone check-config`; every refusal names FILE:LINE:COLUMN: KEY, and each
# accepted config with simulated spans starts under `dialtone serve` and stops
# on SIGTERM without dying by a signal or hanging. The mutator is
# Tests/cli/config_fuzz.py; FUZZ_SEED, FUZZ_COUNT (600), FUZZ_SERVE_MAX (150)
# and FUZZ_DEMO_EVERY (10: every 10th served config runs `serve --demo`
# briefly, placing calls) change the run.
# Usage: Tests/cli/config-fuzz.sh PATH/TO/dialtone
set -u
bin=$(realpath "${1:?usage: $0 PATH/TO/dialtone}")
exec python3 "$(dirname "$0")/config_fuzz.py" "$bin"
