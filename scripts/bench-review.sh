#!/usr/bin/env bash
# Times `dealcoach review` over a generated pipeline with the built-in playbooks against
# the same pipeline with a one-rule playbook folder (`when: "false"`): the ratio is what
# the rules cost on top of reading, parsing and deriving facts. Also 1 vs 2 threads, and
# peak memory. Usage: scripts/bench-review.sh [DEALS] [ROUNDS]   (defaults 5000, 5)
# Uses target/release/dealcoach (built first) and writes only under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
deals=${1:-5000}
runs=${2:-5}
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

# One timed run: "seconds peak_kb".
timed() {
  /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" >/dev/null 2>/dev/null || true
  tail -1 "$work/time.txt"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "pipeline: $deals deals in $pipeline, $runs rounds"
# The machine is shared: the other tenants' load changes from minute to minute. Each
# round times the three runs back to back, so a ratio compares runs made under the same
# load; the medians of the per-round ratios are printed, with each run's best time.
: > "$work/rounds.txt"
for _ in $(seq "$runs"); do
  read -r builtin builtin_rss < <(timed "$bin" review "$pipeline" --format json)
  read -r minimal minimal_rss < <(timed "$bin" review "$pipeline" --format json --playbooks "$one_rule")
  read -r single single_rss < <(RAYON_NUM_THREADS=1 timed "$bin" review "$pipeline" --format json)
  echo "$builtin $minimal $single $builtin_rss $minimal_rss $single_rss" >> "$work/rounds.txt"
done
python3 - "$work/rounds.txt" <<'PY'
import statistics, sys
rounds = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
best = lambda i: min(r[i] for r in rounds)
peak = lambda i: int(max(r[i] for r in rounds))
print(f"built-in playbooks:       {best(0):.2f}s best  (peak {peak(3)} KB)")
print(f"one-rule playbook:        {best(1):.2f}s best  (peak {peak(4)} KB)")
print(f"built-in, 1 thread:       {best(2):.2f}s best  (peak {peak(5)} KB)")
ratios = [r[0] / r[1] for r in rounds]
print(f"ratio built-in / one-rule: median {statistics.median(ratios):.2f} "
      f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
print(f"speed-up 2 threads vs 1:  median {statistics.median(r[2] / r[0] for r in rounds):.2f}")
PY
