#!/usr/bin/env python3
"""Check heldout-coach.yaml against deal-snapshot.md (format v1) and domain.md concept ids.

Usage: python3 validate_heldout.py [heldout-coach.yaml] [path/to/domain.md]
Exit 0 when every test is well formed, 1 otherwise (problems are printed).
"""
import datetime
import re
import sys

import yaml

HERE = sys.argv[1] if len(sys.argv) > 1 else "/work/staging/heldout-deals/heldout-coach.yaml"
DOMAIN = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/spec/domain.md"

# ---- the snapshot contract, transcribed from deal-snapshot.md -------------
TOP_KEYS = {"version", "deal", "account", "information", "stakeholders", "objections",
            "signals", "questions", "activities"}
DEAL_KEYS = {"id", "name", "as_of", "amount", "currency", "expected_close", "stage",
             "temperature", "next_step", "close_requested", "solutions_prepared",
             "proof_assets", "notes"}
ACCOUNT_KEYS = {"name", "is_key_account", "relationship_stage", "purchase_pattern", "metrics",
                "potential", "credit", "has_account_file", "referrals", "thinks_of_us_first",
                "service_issues"}
METRIC_KEYS = {"revenue", "profit", "collected", "transactions"}
POTENTIAL_KEYS = {"growth", "strategic_fit", "share_of_wallet_left"}
ISSUE_KEYS = {"opened", "resolved", "severity"}
INFO_ENUM_KEYS = {"funds_and_credit", "project_reason", "stakeholder_needs", "procurement_process",
                  "procurement_priorities", "org_structure", "project_steps", "key_difficulties",
                  "competitors"}
INFO_KEYS = INFO_ENUM_KEYS | {"reviewed", "insider", "external_allies"}
STAKEHOLDER_KEYS = {"name", "title", "level", "role", "top_decision_maker", "influence", "stance",
                    "met", "last_contact", "needs", "vip_card"}
VIP_KEYS = {"interests", "personal"}
OBJECTION_KEYS = {"type", "from", "said", "date", "handled"}
SIGNAL_KEYS = {"type", "from", "date"}
QUESTION_KEYS = {"type", "text", "date"}
ACTIVITY_KEYS = {"date", "type", "with", "note"}

ENUMS = {
    "stage": {"qualify", "develop", "propose", "negotiate", "close", "won", "lost"},
    "proof": {"case_study", "testimonial", "video", "demo", "reference_visit", "white_paper"},
    "relationship_stage": {"gestation", "initial", "intermediate", "advanced", "strategic_alliance"},
    "purchase_pattern": {"one_off_large", "group_bulk", "repeat_volume", "strategic"},
    "credit": {"good", "watch", "poor"},
    "severity": {"low", "medium", "high"},
    "info": {"known", "partial", "unknown"},
    "level": {"executive", "manager", "staff"},
    "role": {"user", "technical_gatekeeper", "decision_maker", "influencer"},
    "stance": {"champion", "supporter", "neutral", "sceptic", "opponent"},
    "objection": {"no_need", "no_trust", "no_budget", "no_hurry"},
    "signal": {"accepted_rejected_idea", "agreed_next_step", "introduced_senior", "agreed_tech_exchange"},
    "question": {"situation", "problem", "implication", "need_payoff"},
    "activity": {"visit", "call", "meeting", "tech_exchange", "demo", "favor", "after_sales",
                 "proposal", "email"},
}
TEST_KEYS = {"name", "coach_read", "deal", "expect"}
EXPECT_KEYS = {"top", "present", "absent"}

problems = []


def err(where, msg):
    problems.append(f"{where}: {msg}")


def keys(where, obj, allowed):
    if not isinstance(obj, dict):
        err(where, f"expected a mapping, got {type(obj).__name__}")
        return False
    for k in obj:
        if k not in allowed:
            err(where, f"unknown field `{k}`")
    return True


def is_date(v):
    return isinstance(v, datetime.date) and not isinstance(v, datetime.datetime)


def date_field(where, obj, key, required=False):
    if key not in obj:
        if required:
            err(where, f"`{key}` missing")
        return
    if not is_date(obj[key]):
        err(where, f"`{key}` is not a YYYY-MM-DD date: {obj[key]!r}")


def enum(where, obj, key, allowed):
    if key in obj and obj[key] not in ENUMS[allowed]:
        err(where, f"`{key}` = {obj[key]!r} not in {sorted(ENUMS[allowed])}")


def boolean(where, obj, key):
    if key in obj and not isinstance(obj[key], bool):
        err(where, f"`{key}` must be true/false, got {obj[key]!r}")


def number(where, obj, key, lo=0, hi=None, integer=False):
    if key not in obj:
        return
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
        err(where, f"`{key}` must be a number, got {v!r}")
        return
    if v < lo or (hi is not None and v > hi):
        err(where, f"`{key}` = {v} outside {lo}..{hi}")


def text(where, obj, key, required=False):
    if key not in obj:
        if required:
            err(where, f"`{key}` missing")
        return
    if not isinstance(obj[key], str) or not obj[key].strip():
        err(where, f"`{key}` must be non-empty text")


def check_snapshot(w, snap):
    if not keys(w, snap, TOP_KEYS):
        return
    if "version" in snap and snap["version"] != 1:
        err(w, "version must be 1")
    d = snap.get("deal")
    if not keys(f"{w}.deal", d, DEAL_KEYS):
        return
    text(f"{w}.deal", d, "id", True)
    text(f"{w}.deal", d, "name", True)
    date_field(f"{w}.deal", d, "as_of")
    date_field(f"{w}.deal", d, "expected_close")
    enum(f"{w}.deal", d, "stage", "stage")
    number(f"{w}.deal", d, "temperature", 0, 100)
    number(f"{w}.deal", d, "amount")
    number(f"{w}.deal", d, "solutions_prepared", integer=True)
    boolean(f"{w}.deal", d, "close_requested")
    text(f"{w}.deal", d, "next_step")
    for p in d.get("proof_assets", []) or []:
        if p not in ENUMS["proof"]:
            err(f"{w}.deal.proof_assets", f"{p!r} not allowed")

    a = snap.get("account")
    if a is not None and keys(f"{w}.account", a, ACCOUNT_KEYS):
        enum(f"{w}.account", a, "relationship_stage", "relationship_stage")
        enum(f"{w}.account", a, "purchase_pattern", "purchase_pattern")
        enum(f"{w}.account", a, "credit", "credit")
        for b in ("is_key_account", "has_account_file", "thinks_of_us_first"):
            boolean(f"{w}.account", a, b)
        number(f"{w}.account", a, "referrals", integer=True)
        if "metrics" in a and keys(f"{w}.account.metrics", a["metrics"], METRIC_KEYS):
            for k in METRIC_KEYS:
                number(f"{w}.account.metrics", a["metrics"], k)
        if "potential" in a and keys(f"{w}.account.potential", a["potential"], POTENTIAL_KEYS):
            for k in POTENTIAL_KEYS:
                number(f"{w}.account.potential", a["potential"], k, 0, 10)
        for i, s in enumerate(a.get("service_issues", []) or []):
            ww = f"{w}.account.service_issues[{i}]"
            if keys(ww, s, ISSUE_KEYS):
                date_field(ww, s, "opened")
                boolean(ww, s, "resolved")
                enum(ww, s, "severity", "severity")

    info = snap.get("information")
    if info is not None and keys(f"{w}.information", info, INFO_KEYS):
        date_field(f"{w}.information", info, "reviewed")
        for k in INFO_ENUM_KEYS:
            if k in info and info[k] not in ENUMS["info"]:
                err(f"{w}.information", f"`{k}` = {info[k]!r}")
        boolean(f"{w}.information", info, "insider")
        number(f"{w}.information", info, "external_allies", integer=True)

    names = set()
    tops = 0
    for i, s in enumerate(snap.get("stakeholders", []) or []):
        ww = f"{w}.stakeholders[{i}]"
        if not keys(ww, s, STAKEHOLDER_KEYS):
            continue
        text(ww, s, "name", True)
        if s.get("name") in names:
            err(ww, f"duplicate stakeholder {s.get('name')!r}")
        names.add(s.get("name"))
        enum(ww, s, "level", "level")
        enum(ww, s, "role", "role")
        enum(ww, s, "stance", "stance")
        number(ww, s, "influence", 1, 10, integer=True)
        boolean(ww, s, "met")
        boolean(ww, s, "top_decision_maker")
        date_field(ww, s, "last_contact")
        if s.get("top_decision_maker") is True:
            tops += 1
        if "vip_card" in s:
            keys(f"{ww}.vip_card", s["vip_card"], VIP_KEYS)
    if tops > 1:
        err(w, f"{tops} stakeholders have top_decision_maker: true")

    def who(ww, v):
        if v not in names:
            err(ww, f"{v!r} is not a stakeholder")

    for i, o in enumerate(snap.get("objections", []) or []):
        ww = f"{w}.objections[{i}]"
        if keys(ww, o, OBJECTION_KEYS):
            enum(ww, o, "type", "objection")
            date_field(ww, o, "date")
            boolean(ww, o, "handled")
            if "from" in o:
                who(ww, o["from"])
    for i, o in enumerate(snap.get("signals", []) or []):
        ww = f"{w}.signals[{i}]"
        if keys(ww, o, SIGNAL_KEYS):
            enum(ww, o, "type", "signal")
            date_field(ww, o, "date")
            if "from" in o:
                who(ww, o["from"])
    for i, o in enumerate(snap.get("questions", []) or []):
        ww = f"{w}.questions[{i}]"
        if keys(ww, o, QUESTION_KEYS):
            enum(ww, o, "type", "question")
            date_field(ww, o, "date")
    for i, o in enumerate(snap.get("activities", []) or []):
        ww = f"{w}.activities[{i}]"
        if keys(ww, o, ACTIVITY_KEYS):
            enum(ww, o, "type", "activity")
            date_field(ww, o, "date", True)
            for n in o.get("with", []) or []:
                who(ww, n)
            if "as_of" in d and is_date(o.get("date")) and o["date"] > d["as_of"]:
                err(ww, "activity dated after as_of")


def main():
    domain = open(DOMAIN, encoding="utf-8").read()
    concepts = set(re.findall(r"\|\s*`([a-z_]+\.[a-z_.]+)`\s*\|", domain))
    data = yaml.safe_load(open(HERE, encoding="utf-8"))
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, list) or not tests:
        print("no tests")
        return 1
    ids, test_names = set(), set()
    for t_i, t in enumerate(tests):
        w = f"test[{t_i}]"
        if not keys(w, t, TEST_KEYS):
            continue
        for k in TEST_KEYS:
            if k not in t:
                err(w, f"`{k}` missing")
        if t.get("name") in test_names:
            err(w, "duplicate test name")
        test_names.add(t.get("name"))
        lines = [l for l in str(t.get("coach_read", "")).strip().splitlines() if l.strip()]
        if not 2 <= len(lines) <= 5:
            err(w, f"coach_read has {len(lines)} lines (want 2..5)")
        snap = t.get("deal")
        check_snapshot(f"{w}.deal", snap)
        did = (snap or {}).get("deal", {}).get("id")
        if did in ids:
            err(w, f"duplicate deal id {did}")
        ids.add(did)
        e = t.get("expect")
        if not keys(f"{w}.expect", e, EXPECT_KEYS):
            continue
        top = e.get("top") or {}
        present = e.get("present") or []
        absent = e.get("absent") or []
        used = list(top) + list(present) + list(absent)
        for c in used:
            if c not in concepts:
                err(f"{w}.expect", f"concept {c!r} is not in domain.md")
        for c, n in top.items():
            if not isinstance(n, int) or not 1 <= n <= 3:
                err(f"{w}.expect.top", f"{c}: N must be 1..3, got {n!r}")
        clash = (set(top) | set(present)) & set(absent)
        if clash:
            err(f"{w}.expect", f"both expected and absent: {sorted(clash)}")
        if len(set(absent)) != len(absent) or len(set(present)) != len(present):
            err(f"{w}.expect", "duplicate ids in present/absent")
    for p in problems:
        print(p)
    print(f"{len(tests)} tests, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
