#!/usr/bin/env bash
# Times the README's two commands as a newcomer runs them: a fresh clone of HEAD, an
# empty target folder, `cargo run --release -- next …` and then `cargo test --release`,
# and counts the crates each one compiles. The second must compile only dealcoach and
# crates that only the tests use: a crate compiled by both means the dev-dependencies
# turned on a feature the normal build lacks (see Cargo.toml, "One build").
# Usage: scripts/bench-build.sh [WORK]   (default /tmp/dealcoach-build; writes only there)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-${TMPDIR:-/tmp}/dealcoach-build}
rm -rf "$work"
mkdir -p "$work"
head=$(git rev-parse HEAD)
git clone --quiet --no-checkout . "$work/clone"
git -C "$work/clone" checkout --quiet "$head"
export CARGO_TARGET_DIR=$work/target CARGO_TERM_COLOR=never
cd "$work/clone"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Wall time and CPU time (user + system of cargo and every compiler it waited for: less
# moved by other tenants' load than wall time).
timed() {
  local log=$1
  shift
  /usr/bin/time -o "$log.time" -f "%e %U %S" "$@" >"$log.out" 2>"$log.err" \
    || { echo "failed: $*" >&2; tail -20 "$log.err" >&2; exit 1; }
  tail -1 "$log.time" | awk '{ printf "%.0f s wall, %.0f s CPU", $1, $2 + $3 }'
}
echo "run:  $(timed "$work/run" cargo run --release -- next examples/deals/bank-core.yaml), $(grep -c '^ *Compiling' "$work/run.err") crates compiled"
echo "test: $(timed "$work/test" cargo test --release), $(grep -c '^ *Compiling' "$work/test.err") crates compiled"
echo "load now $(cut -d' ' -f1-3 /proc/loadavg)"
grep -h 'Finished' "$work/run.err" "$work/test.err"
# Name and version (two versions of one crate are two crates); dealcoach itself is built
# again by the tests, as test targets.
crates() { grep '^ *Compiling' "$1" | awk '$2 != "dealcoach" {print $2, $3}' | sort -u; }
both=$(comm -12 <(crates "$work/run.err") <(crates "$work/test.err"))
if [[ -n $both ]]; then
  echo "compiled by both commands (a feature differs between the two builds):"
  echo "$both"
  exit 1
fi
echo "no crate compiled by both commands"
