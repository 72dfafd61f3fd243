#!/usr/bin/env python3
"""Generate a large synthetic pipeline for measuring `dealcoach review`.

    python3 scripts/gen-pipeline.py /tmp/pipe100k 100000

Writes COUNT deal snapshots (one YAML file per deal) into FOLDER, varied enough to fire
most rules: stages, temperatures, stakeholders met or not, stale contact, objections,
signals, questions, activities and account metrics. Deterministic (fixed seed), so two
runs give the same files. Standard library only. The output is measurement data: keep it
out of the repository (write it under /tmp).
"""

import os
import random
import sys

STAGES = ["qualify", "develop", "propose", "negotiate", "close", "won", "lost"]
ROLES = ["decision_maker", "technical_gatekeeper", "user", "influencer"]
STANCES = ["champion", "supporter", "neutral", "sceptic", "opponent"]
LEVELS = ["executive", "manager", "staff"]
OBJECTIONS = ["no_need", "no_trust", "no_budget", "no_hurry"]
SIGNALS = ["accepted_rejected_idea", "agreed_next_step", "introduced_senior", "agreed_tech_exchange"]
QUESTIONS = ["situation", "problem", "implication", "need_payoff"]
ACTIVITIES = ["visit", "call", "meeting", "tech_exchange", "demo", "favor", "email"]
PATTERNS = ["one_off_large", "group_bulk", "repeat_volume", "strategic"]
REL_STAGES = ["gestation", "initial", "intermediate", "advanced", "strategic_alliance"]
KNOWLEDGE = ["known", "partial", "unknown"]
INFO = ["funds_and_credit", "project_reason", "stakeholder_needs", "procurement_process",
        "procurement_priorities", "org_structure", "project_steps", "key_difficulties", "competitors"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "Smith", "Garcia", "Khan", "Ito"]


def date(day_offset):
    """2026-11-20 minus day_offset days, as YYYY-MM-DD (simple, month lengths of 2026)."""
    import datetime
    return (datetime.date(2026, 11, 20) - datetime.timedelta(days=day_offset)).isoformat()


def deal(index, rng):
    accounts = 1 + index // 7  # about seven deals per account
    account = f"Account {accounts:06d}"
    stage = rng.choice(STAGES)
    people = []
    for n in range(rng.randint(0, 6)):
        name = f"{rng.choice(SURNAMES)}{n}"
        met = rng.random() < 0.6
        people.append({
            "name": name,
            "title": "manager",
            "level": rng.choice(LEVELS),
            "role": ROLES[n % 4] if n < 4 else rng.choice(ROLES),
            "top": n == 0 and rng.random() < 0.8,
            "influence": rng.randint(1, 10),
            "stance": rng.choice(STANCES),
            "met": met,
            "last": date(rng.randint(0, 90)) if met else None,
            "vip": rng.random() < 0.3,
        })
    lines = [
        "version: 1",
        "deal:",
        f"  id: gen-{index:07d}",
        f"  name: Generated deal {index} for {account}",
        "  as_of: 2026-11-20",
        f"  amount: {rng.randint(50, 5000) * 1000}",
        f"  stage: {stage}",
        f"  expected_close: {date(rng.randint(-200, 30))}",
        f"  temperature: {rng.choice([10, 40, 80, 100])}",
    ]
    if rng.random() < 0.7:
        lines.append(f"  next_step: \"follow-up meeting {index}\"")
    lines.append(f"  close_requested: {'true' if rng.random() < 0.2 else 'false'}")
    lines.append(f"  solutions_prepared: {rng.randint(0, 3)}")
    if rng.random() < 0.3:
        lines.append("  notes: |\n    客户说今年预算已经用完了。They agreed to a technical exchange next week.")
    lines += [
        "account:",
        f"  name: {account}",
        f"  is_key_account: {'true' if rng.random() < 0.5 else 'false'}",
        f"  relationship_stage: {rng.choice(REL_STAGES)}",
        f"  purchase_pattern: {rng.choice(PATTERNS)}",
        "  metrics:",
        f"    revenue: {rng.randint(0, 8000) * 1000}",
        f"    profit: {rng.randint(-200, 1500) * 1000}",
        f"    collected: {rng.randint(0, 7000) * 1000}",
        f"    transactions: {rng.randint(1, 80)}",
        "  potential:",
        f"    growth: {rng.randint(0, 10)}",
        f"    strategic_fit: {rng.randint(0, 10)}",
        f"    share_of_wallet_left: {rng.randint(0, 10)}",
        f"  referrals: {rng.randint(0, 3)}",
        "information:",
        f"  reviewed: {date(rng.randint(0, 120))}",
    ]
    for item in INFO:
        lines.append(f"  {item}: {rng.choice(KNOWLEDGE)}")
    lines.append(f"  insider: {'true' if rng.random() < 0.4 else 'false'}")
    if people:
        lines.append("stakeholders:")
        for p in people:
            lines += [
                f"  - name: {p['name']}",
                f"    title: {p['title']}",
                f"    level: {p['level']}",
                f"    role: {p['role']}",
                f"    top_decision_maker: {'true' if p['top'] else 'false'}",
                f"    influence: {p['influence']}",
                f"    stance: {p['stance']}",
                f"    met: {'true' if p['met'] else 'false'}",
            ]
            if p["last"]:
                lines.append(f"    last_contact: {p['last']}")
            if p["vip"]:
                lines.append("    vip_card: {interests: [tea]}")
        names = [p["name"] for p in people]
        if rng.random() < 0.5:
            lines.append("objections:")
            for _ in range(rng.randint(1, 2)):
                lines.append(f"  - {{type: {rng.choice(OBJECTIONS)}, from: {rng.choice(names)}, "
                             f"handled: {'true' if rng.random() < 0.3 else 'false'}}}")
        if rng.random() < 0.6:
            lines.append("signals:")
            for _ in range(rng.randint(1, 3)):
                lines.append(f"  - {{type: {rng.choice(SIGNALS)}, from: {rng.choice(names)}}}")
        if rng.random() < 0.8:
            lines.append("activities:")
            for _ in range(rng.randint(1, 5)):
                lines.append(f"  - {{date: {date(rng.randint(0, 60))}, type: {rng.choice(ACTIVITIES)}, "
                             f"with: [{rng.choice(names)}]}}")
    if rng.random() < 0.8:
        lines.append("questions:")
        for _ in range(rng.randint(1, 6)):
            lines.append(f"  - {{type: {rng.choice(QUESTIONS)}}}")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    folder, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(20261120)
    for index in range(count):
        with open(os.path.join(folder, f"deal-{index:07d}.yaml"), "w", encoding="utf-8") as out:
            out.write(deal(index, rng))


if __name__ == "__main__":
    main()
