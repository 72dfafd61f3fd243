#!/usr/bin/env bash
# Times `dealcoach review` over a generated pipeline with the built-in playbooks against
# the same pipeline with a one-rule playbook folder (`when: "false"`): the ratio is what
# the rules cost on top of reading, parsing and deriving facts. Also 1 vs 2 threads, and
# peak memory. Usage: scripts/bench-review.sh [DEALS] [RUNS]   (defaults 5000, 3)
# Uses target/release/dealcoach (built first) and writes only under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
deals=${1:-5000}
runs=${2:-3}
work=${TMPDIR:-/tmp}/dealcoach-bench
pipeline=$work/pipeline-$deals
one_rule=$work/one-rule
cargo build --release --quiet
bin=target/release/dealcoach
if [[ ! -d $pipeline ]]; then
  python3 scripts/gen-pipeline.py "$pipeline" "$deals" >/dev/null
fi
mkdir -p "$one_rule/playbooks" "$one_rule/rules"
cat > "$one_rule/playbooks/one.yaml" <<'YAML'
rules:
  - id: never
    concept: risk.stale
    when: "false"
    severity: low
    title: {zh: 从不, en: never}
    why: {zh: [从不], en: [never]}
YAML

# Best (minimum) wall time of $runs runs, in seconds, and the peak RSS of the last run.
measure() {
  local best="" rss=""
  for _ in $(seq "$runs"); do
    local out
    /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" >/dev/null 2>/dev/null || true
    out=$(tail -1 "$work/time.txt")
    local seconds=${out% *}
    rss=${out#* }
    if [[ -z $best ]] || awk "BEGIN{exit !($seconds < $best)}"; then best=$seconds; fi
  done
  echo "$best $rss"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "pipeline: $deals deals in $pipeline, best of $runs runs"
read -r builtin builtin_rss < <(measure "$bin" review "$pipeline" --format json)
read -r minimal minimal_rss < <(measure "$bin" review "$pipeline" --format json --playbooks "$one_rule")
read -r single single_rss < <(RAYON_NUM_THREADS=1 measure "$bin" review "$pipeline" --format json)
echo "built-in playbooks:       ${builtin}s  (peak ${builtin_rss} KB)"
echo "one-rule playbook:        ${minimal}s  (peak ${minimal_rss} KB)"
echo "built-in, 1 thread:       ${single}s  (peak ${single_rss} KB)"
awk -v a="$builtin" -v b="$minimal" -v c="$single" 'BEGIN {
  if (b > 0) printf "ratio built-in / one-rule: %.2f\n", a / b;
  if (a > 0) printf "speed-up 2 threads vs 1:  %.2f\n", c / a;
}'
