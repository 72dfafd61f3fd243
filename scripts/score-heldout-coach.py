#!/usr/bin/env python3
"""Scores the held-out coaching cases (tests/heldout/coach) against a dealcoach binary.

Each case lists what a seasoned coach expects: concepts among the first N moves (`top`),
concepts that must appear as a move or warning (`present`) and concepts that would be
wrong (`absent`). The score is the share of those expectations met, per case and overall.
The cases were written without the playbooks in view; never tune on them.

usage: scripts/score-heldout-coach.py [BINARY] [--verbose]
"""
import json, subprocess, sys, tempfile, os
import yaml

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = next((a for a in sys.argv[1:] if not a.startswith("--")), os.path.join(root, "target/release/dealcoach"))
verbose = "--verbose" in sys.argv
cases = yaml.safe_load(open(os.path.join(root, "tests/heldout/coach/heldout-coach.yaml")))["tests"]
met = total = 0
for case in cases:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(case["deal"], f, allow_unicode=True)
        path = f.name
    run = subprocess.run([binary, "next", path, "--format", "json", "--lang", "en"], capture_output=True, text=True)
    os.unlink(path)
    if run.returncode == 2:
        print(f"REFUSED {case['name']}: {run.stderr.strip()}")
        exp = case["expect"]
        total += len(exp.get("top", {})) + len(exp.get("present", [])) + len(exp.get("absent", []))
        continue
    report = json.loads(run.stdout)
    # As `dealcoach test` reads a report: a move folded into another (its steps) is said,
    # at the place of the move that holds it.
    def said(advice):
        return [advice["concept"]] + [step["concept"] for step in advice.get("steps", [])]
    moves = [m["concept"] for m in report["moves"]]
    fired = {c for a in report["moves"] + report["warnings"] for c in said(a)}
    def within(concept, n):
        return any(concept in said(a) for a in report["moves"][:n])
    checks = []
    exp = case["expect"]
    for concept, n in (exp.get("top") or {}).items():
        checks.append((f"top{n} {concept}", within(concept, n)))
    for concept in exp.get("present") or []:
        checks.append((f"present {concept}", concept in fired))
    for concept in exp.get("absent") or []:
        checks.append((f"absent {concept}", concept not in fired))
    ok = sum(1 for _, passed in checks if passed)
    met += ok; total += len(checks)
    print(f"{ok:2}/{len(checks):2}  {case['name']}")
    if verbose:
        for label, passed in checks:
            if not passed:
                print(f"        missed: {label}")
        print(f"        first moves: {moves[:5]}")
print(f"\nheld-out coaching expectations met: {met}/{total} = {met/total:.2f}")
