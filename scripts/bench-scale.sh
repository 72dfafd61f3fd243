#!/usr/bin/env bash
# `dealcoach review` over generated pipelines of 1,000, 10,000 and 100,000 deals (or the
# sizes given): wall time, CPU time (user + system: less moved by other tenants' load
# than wall time) and peak memory of one run each, built-in playbooks, every
# core. Runs are back to back, so their ratios compare runs made under the same load.
# Usage: scripts/bench-scale.sh [DEALS...]   (default 1000 10000 100000)
# Uses target/release/dealcoach (built first; DEALCOACH_BIN overrides) and writes only
# under /tmp (the 100,000-deal pipeline is ~400 MB and takes ~70 s to generate once).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TMPDIR:-/tmp}/dealcoach-bench
mkdir -p "$work"
if [[ -z ${DEALCOACH_BIN:-} ]]; then
  cargo build --release --quiet
fi
bin=${DEALCOACH_BIN:-target/release/dealcoach}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 10000 100000)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for deals in "${sizes[@]}"; do
  pipeline=$work/pipeline-$deals
  if [[ ! -d $pipeline ]]; then
    python3 scripts/gen-pipeline.py "$pipeline" "$deals" >/dev/null
  fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -o "$work/time.txt" -f "%e %U %S %M" "$bin" review "$pipeline" --format json >/dev/null 2>"$work/review.err" \
    || { echo "review failed:" >&2; tail -5 "$work/review.err" >&2; exit 1; }
  read -r seconds user system peak_kb < <(tail -1 "$work/time.txt")
  cpu=$(python3 -c "import sys; print(f'{float(sys.argv[1]) + float(sys.argv[2]):.2f}')" "$user" "$system")
  echo "$deals deals: ${seconds} s wall, ${cpu} s CPU, peak ${peak_kb} KB (load before the run: $load)"
done
