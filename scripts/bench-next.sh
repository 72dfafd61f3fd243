#!/usr/bin/env bash
# `dealcoach next` on one deal, start to finish (issue 19, item 5: ≤ 20 ms): wall time of
# RUNS runs one after another (median and best), and the CPU time (user + system) per run,
# which other tenants' load moves less than wall time.
# Usage: scripts/bench-next.sh [DEAL] [RUNS]   (defaults examples/deals/bank-core.yaml, 50)
# Uses target/release/dealcoach (built first; DEALCOACH_BIN overrides). No hyperfine
# needed: a Python loop over subprocess runs, standard library only.
set -euo pipefail
cd "$(dirname "$0")/.."
deal=${1:-examples/deals/bank-core.yaml}
runs=${2:-50}
if [[ -z ${DEALCOACH_BIN:-} ]]; then
  cargo build --release --quiet
fi
bin=${DEALCOACH_BIN:-target/release/dealcoach}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1 /proc/loadavg)"
python3 - "$bin" "$deal" "$runs" <<'PY'
import resource, statistics, subprocess, sys, time
binary, deal, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
for form in (["--format", "json"], []):
    command = [binary, "next", deal, *form]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # warm the page cache
    walls = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / runs
    shown = " ".join(command[1:])
    print(f"{shown}: median {statistics.median(walls) * 1000:.1f} ms, best {min(walls) * 1000:.1f} ms, "
          f"CPU {cpu * 1000:.1f} ms per run ({runs} runs)")
PY
