#!/usr/bin/env bash
# Times `dealcoach review` over a generated pipeline with the built-in playbooks against
# the same pipeline with a one-rule playbook folder (`when: "false"`): the ratio is what
# the rules cost on top of reading, parsing and deriving facts. Also 1 vs 2 threads, and
# peak memory. Then the same ratio on deals that fire many rules: the 24 held-out coaching
# deals (tests/heldout/coach) and the 3 examples (examples/deals), copied with distinct
# ids to DEALS deals. Each run's wall time and CPU time (user + system, which other
# tenants' load moves less than wall time) are printed.
# Usage: scripts/bench-review.sh [DEALS] [ROUNDS] [instructions]   (defaults 5000, 5)
# With `instructions`, the same two ratios are counted in instructions instead, one thread
# under valgrind's callgrind (which the machine's load does not move), and split: what the
# rule evaluation costs (`ScriptEngine::evaluate_with`: conditions, derived values,
# priorities, items) and what the built-in review would cost with the rules free.
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
varied=$work/varied-$deals
if [[ ! -d $varied ]]; then
  python3 - "$varied" "$deals" <<'PY'
import glob, os, re, sys
folder, count = sys.argv[1], int(sys.argv[2])
deals = []
# Each held-out test's `deal:` block, dedented (standard library only: sliced by lines).
lines = open("tests/heldout/coach/heldout-coach.yaml", encoding="utf-8").read().split("\n")
block = None
for line in lines:
    if line.startswith("    deal:"):
        block = []
    elif block is not None and line.startswith("    expect:"):
        deals.append("\n".join(l[6:] for l in block) + "\n")
        block = None
    elif block is not None:
        block.append(line)
for path in sorted(glob.glob("examples/deals/*.yaml")):
    deals.append(open(path, encoding="utf-8").read())
assert len(deals) == 27, len(deals)
os.makedirs(folder)
for index in range(count):
    text = deals[index % len(deals)]
    text, found = re.subn(r"^(  id: )(\S+)", rf"\g<1>\g<2>-{index}", text, count=1, flags=re.M)
    assert found == 1, text[:200]
    with open(os.path.join(folder, f"deal-{index:07}.yaml"), "w", encoding="utf-8") as out:
        out.write(text)
PY
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

# The one-rule playbook reads no notes (note detection is configured by the playbooks):
# the same rule with the built-in detection is the whole of reading a deal, notes too.
one_rule_notes=$work/one-rule-notes
mkdir -p "$one_rule_notes/playbooks" "$one_rule_notes/rules"
cp "$one_rule/playbooks/one.yaml" playbooks/detection*.yaml "$one_rule_notes/playbooks/"

if [[ ${3:-} == instructions ]]; then
  command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed" >&2; exit 2; }
  # Instructions of one review, and those spent inside the function named (inclusive).
  count() {
    local out=$work/callgrind.out
    RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out" "$@" \
      --format json >/dev/null 2>"$work/callgrind.err"
    local total inside
    total=$(sed -n 's/.*I *refs: *//p' "$work/callgrind.err" | tr -d ,)
    # (awk reads to the end: a reader that stops early fails the pipe, and the script.)
    inside=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null \
      | awk '/ScriptEngine>::evaluate_with / && !found { gsub(",", "", $1); print $1; found = 1 }')
    echo "$total ${inside:-0}"
  }
  # Each playbook's cost once per review (loading it, the first deal) is counted on a
  # one-deal copy of the set and taken out: the ratios are those of one more deal.
  for set in "$pipeline" "$varied"; do
    first=$work/first-of-$(basename "$set")
    rm -rf "$first" && mkdir -p "$first"
    cp "$set/$(ls "$set" | head -1)" "$first/"
    line=("$set" "$deals")
    for playbooks in "" "$one_rule" "$one_rule_notes"; do
      extra=()
      [[ -n $playbooks ]] && extra=(--playbooks "$playbooks")
      read -r total rules < <(count "$bin" review "$set" "${extra[@]}")
      read -r once _ < <(count "$bin" review "$first" "${extra[@]}")
      line+=("$total" "$rules" "$once")
    done
    python3 - "${line[@]}" <<'PY'
import sys
name, deals = sys.argv[1], int(sys.argv[2])
(builtin, rules, builtin_once), (minimal, _, minimal_once), (reading, _, reading_once) = (
    map(int, sys.argv[i:i + 3]) for i in (3, 6, 9))
a_deal = lambda total, once: (total - once) / (deals - 1)
per = lambda n: f"{n / 1e6:,.3f} M" if n < 1e7 else f"{n / 1e6:,.1f} M"
print(f"{name}:")
print(f"  built-in playbooks:    {per(builtin)}, {per(a_deal(builtin, builtin_once))} a deal; "
      f"rule evaluation {per(rules / deals)} a deal")
print(f"  one-rule playbook:     {per(minimal)}, {per(a_deal(minimal, minimal_once))} a deal")
print(f"  one rule, notes read:  {per(reading)}, {per(a_deal(reading, reading_once))} a deal")
for label, total, once in (("one-rule", minimal, minimal_once),
                           ("one rule with notes read", reading, reading_once)):
    whole, deal = builtin / total, a_deal(builtin, builtin_once) / a_deal(total, once)
    free = (a_deal(builtin, builtin_once) - rules / deals) / a_deal(total, once)
    print(f"  built-in / {label}: {whole:.2f} whole review, {deal:.2f} a deal, "
          f"{free:.2f} a deal with the rule evaluation free")
PY
  done
  exit 0
fi

# One timed run: "wall_seconds cpu_seconds peak_kb" (CPU: user + system).
timed() {
  /usr/bin/time -o "$work/time.txt" -f "%e %U %S %M" "$@" >/dev/null 2>/dev/null || true
  tail -1 "$work/time.txt" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "pipeline: $deals deals in $pipeline, $runs rounds; load before: $(cut -d' ' -f1 /proc/loadavg)"
# The machine is shared: the other tenants' load changes from minute to minute. Each
# round times the three runs back to back, so a ratio compares runs made under the same
# load; the medians of the per-round ratios are printed, with each run's best time.
: > "$work/rounds.txt"
: > "$work/varied.txt"
for _ in $(seq "$runs"); do
  read -r builtin builtin_cpu builtin_rss < <(timed "$bin" review "$pipeline" --format json)
  read -r minimal minimal_cpu minimal_rss < <(timed "$bin" review "$pipeline" --format json --playbooks "$one_rule")
  read -r single single_cpu single_rss < <(RAYON_NUM_THREADS=1 timed "$bin" review "$pipeline" --format json)
  echo "$builtin $minimal $single $builtin_rss $minimal_rss $single_rss $builtin_cpu $minimal_cpu $single_cpu" >> "$work/rounds.txt"
  read -r builtin builtin_cpu builtin_rss < <(timed "$bin" review "$varied" --format json)
  read -r minimal minimal_cpu minimal_rss < <(timed "$bin" review "$varied" --format json --playbooks "$one_rule")
  echo "$builtin $minimal $builtin_rss $minimal_rss $builtin_cpu $minimal_cpu" >> "$work/varied.txt"
done
python3 - "$work/rounds.txt" "$work/varied.txt" <<'PY'
import statistics, sys
rounds = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
best = lambda i: min(r[i] for r in rounds)
peak = lambda i: int(max(r[i] for r in rounds))
print("generated pipeline (scripts/gen-pipeline.py):")
print(f"  built-in playbooks:       {best(0):.2f}s best, CPU {best(6):.2f}s best  (peak {peak(3)} KB)")
print(f"  one-rule playbook:        {best(1):.2f}s best, CPU {best(7):.2f}s best  (peak {peak(4)} KB)")
print(f"  built-in, 1 thread:       {best(2):.2f}s best, CPU {best(8):.2f}s best  (peak {peak(5)} KB)")
ratios = [r[0] / r[1] for r in rounds]
print(f"  ratio built-in / one-rule: median {statistics.median(ratios):.2f} "
      f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}); "
      f"in CPU time: median {statistics.median(r[6] / r[7] for r in rounds):.2f}")
print(f"  speed-up 2 threads vs 1:  median {statistics.median(r[2] / r[0] for r in rounds):.2f}")
varied = [list(map(float, line.split())) for line in open(sys.argv[2]) if line.strip()]
print("held-out and example deals (many rules fire):")
print(f"  built-in playbooks:       {min(r[0] for r in varied):.2f}s best, CPU {min(r[4] for r in varied):.2f}s best  (peak {int(max(r[2] for r in varied))} KB)")
print(f"  one-rule playbook:        {min(r[1] for r in varied):.2f}s best, CPU {min(r[5] for r in varied):.2f}s best  (peak {int(max(r[3] for r in varied))} KB)")
ratios = [r[0] / r[1] for r in varied]
print(f"  ratio built-in / one-rule: median {statistics.median(ratios):.2f} "
      f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}); "
      f"in CPU time: median {statistics.median(r[4] / r[5] for r in varied):.2f}")
PY
