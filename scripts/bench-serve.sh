#!/usr/bin/env bash
# Load-tests `dealcoach serve` with wrk (a real load generator: apt-get install wrk):
# POST /v1/next with a deal (default examples/deals/bank-core.yaml) at concurrency 1, 8
# and 32, printing requests/s and p50/p99 latency as wrk measures them, and the server's
# CPU time (user + system, from /proc) per request, which the load of other tenants and
# of wrk itself moves less than the rates; then keeps
# posting at concurrency 8 until REQUESTS requests have been answered, sampling the
# server's resident memory (VmRSS) after every slice, to show whether it stays flat.
# Usage: scripts/bench-serve.sh [SECONDS] [REQUESTS] [DEAL]   (defaults 15, 100000)
# Uses target/release/dealcoach (built first); writes only under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
total=${2:-100000}
deal=${3:-examples/deals/bank-core.yaml}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
work=${TMPDIR:-/tmp}/dealcoach-bench-serve
mkdir -p "$work"
cargo build --release --quiet
bin=target/release/dealcoach

"$bin" serve --addr 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break
  sleep 0.05
done
base=$(sed -n 's/^listening on //p' "$work/serve.out")
[[ -n $base ]] || { echo "the server did not start: $(cat "$work/serve.err")" >&2; exit 1; }

# wrk posts the deal's bytes as the body (Lua long string: any text but "]==]").
{
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/yaml"\nwrk.body = [==['
  cat "$deal"
  printf ']==]\n'
} >"$work/post.lua"
url="$base/v1/next?lang=en"
status=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$deal" "$url")
[[ $status == 200 ]] || { echo "POST /v1/next answered $status" >&2; exit 1; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
ticks_per_second=$(getconf CLK_TCK)
# "requests/s p50 p99 requests errors" of one wrk run.
run() {
  local connections=$1 duration=$2 threads=$(( $1 < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/post.lua" "$url" >"$work/wrk.txt"
  awk '
    /Requests\/sec/ {rps=$2}
    $1=="50%" {p50=$2} $1=="99%" {p99=$2}
    /requests in/ {n=$1}
    /Non-2xx|Socket errors/ {err=err $0 " "}
    END {printf "%s %s %s %s %s\n", rps, p50, p99, n, (err=="" ? "none" : err)}
  ' "$work/wrk.txt"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "deal: $deal ($(wc -c <"$deal") bytes), built-in playbooks, ${seconds}s per run"
run 8 3 >/dev/null # warm-up: the allocator's pools, the CPU's caches
echo
echo "| concurrency | requests/s | p50 | p99 | server CPU per request | errors |"
echo "|---|---|---|---|---|---|"
for connections in 1 8 32; do
  cpu_before=$(cpu_ticks)
  read -r rps p50 p99 answered errors < <(run "$connections" "$seconds")
  cpu_after=$(cpu_ticks)
  cpu=$(python3 -c "import sys; t, n = float(sys.argv[1]) / float(sys.argv[2]), int(sys.argv[3]); print(f'{t * 1000 / n:.2f} ms' if n else '-')" \
    "$(( cpu_after - cpu_before ))" "$ticks_per_second" "$answered")
  echo "| $connections | $rps | $p50 | $p99 | $cpu | $errors |"
done

echo
echo "memory at concurrency 8 until $total requests:"
echo
echo "| requests answered | VmRSS |"
echo "|---|---|"
echo "| 0 (after the runs above) | $(rss_kb) kB |"
done_requests=0
while (( done_requests < total )); do
  read -r _ _ _ answered _ < <(run 8 5)
  done_requests=$(( done_requests + answered ))
  echo "| $done_requests | $(rss_kb) kB |"
done
