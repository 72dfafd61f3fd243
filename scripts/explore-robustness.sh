#!/usr/bin/env bash
# Runs the property tests of tests/robustness.rs many times, each with a fresh random
# seed, and prints every seed that failed with proptest's minimal failing input.
#
# CI runs them with one fixed seed (.ci/run) so that a submission's result depends on
# the submission alone; the exploration for new inputs happens here, and on any run of
# `cargo test` without PROPTEST_RNG_SEED.
#
#   scripts/explore-robustness.sh [RUNS]    (default 50; each run takes ~5 s on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-50}"
cargo test --release --test robustness --no-run >/dev/null 2>&1
failed=0
for run in $(seq 1 "$runs"); do
  seed="$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')"
  if ! output="$(PROPTEST_RNG_SEED="$seed" cargo test --release --test robustness 2>&1)"; then
    failed=$((failed + 1))
    echo "run $run failed: PROPTEST_RNG_SEED=$seed cargo test --release --test robustness"
    grep -E -A20 "Test failed|minimal failing input" <<<"$output" | head -40
  fi
done
echo "$runs runs, $failed failed"
[ "$failed" = 0 ]
