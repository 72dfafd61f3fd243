//! `dealcoach diff OLD NEW` end to end (issue 17): a manager compares this week's snapshot
//! of a deal with last week's and reads what moved — people, objections, signals,
//! questions, information, temperature — and which advice was resolved, is new or is
//! still open. Two snapshots of different deals, or a bad file on either side, are a
//! located error (exit 2) with nothing on stdout.
//!
//! The two weeks are the example deal `examples/deals/bank-core.yaml` (as of 2026-11-24)
//! and `examples/week/this-week/bank-core.yaml`, the same deal a week later, which the
//! README shows; variations are written to temporary files.

mod common;

use common::{dealcoach, example, root, stderr, stdout, temp_file};
use serde_json::{json, Value};

fn last_week() -> String {
    example("bank-core.yaml")
}

fn this_week() -> String {
    root()
        .join("examples/week/this-week/bank-core.yaml")
        .display()
        .to_string()
}

fn diff_json(old: &str, new: &str) -> Value {
    let output = dealcoach()
        .args(["diff", old, new, "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("JSON")
}

fn concepts(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["concept"].as_str().expect("a concept").to_owned())
        .collect()
}

/// The change of `kind` about `who` (or about nobody in particular).
fn change<'a>(diff: &'a Value, kind: &str, who: Option<&str>) -> &'a Value {
    diff["changes"]
        .as_array()
        .expect("`changes`")
        .iter()
        .find(|change| change["kind"] == kind && change["who"].as_str() == who)
        .unwrap_or_else(|| panic!("no `{kind}` change for {who:?}: {}", diff["changes"]))
}

#[test]
fn the_weeks_changes_in_the_deal_are_listed_with_who_from_and_to() {
    let diff = diff_json(&last_week(), &this_week());
    assert_eq!(diff["deal"]["id"], "pearl-bank-core-2027");
    assert_eq!(diff["deal"]["old"]["as_of"], "2026-11-24");
    assert_eq!(diff["deal"]["new"]["as_of"], "2026-12-01");
    assert_eq!(
        *change(&diff, "person.stance", Some("周行长")),
        json!({"kind": "person.stance", "who": "周行长", "from": "neutral", "to": "supporter"})
    );
    assert_eq!(change(&diff, "person.met", Some("周行长"))["to"], true);
    // A side without a value has no key: the new person has no `from`.
    assert_eq!(
        *change(&diff, "person.added", Some("郑主任")),
        json!({"kind": "person.added", "who": "郑主任", "to": "influencer"})
    );
    assert_eq!(
        change(&diff, "objection.handled", Some("周行长"))["to"],
        "objection.no_trust"
    );
    assert_eq!(
        change(&diff, "objection.raised", Some("郑主任"))["to"],
        "objection.no_hurry"
    );
    assert_eq!(
        change(&diff, "signal.new", Some("周行长"))["to"],
        "signal.agreed_next_step"
    );
    let asked = change(&diff, "questions.need_payoff", None);
    assert_eq!(
        (asked["from"].clone(), asked["to"].clone()),
        (json!(0), json!(1))
    );
    let process = change(&diff, "information.procurement_process", None);
    assert_eq!(process["from"], "unknown");
    assert_eq!(process["to"], "partial");
    let evidence = change(&diff, "temperature.evidence", None);
    assert!(
        evidence["to"].as_i64() > evidence["from"].as_i64(),
        "meeting the president and a new signal warm the evidence: {evidence}"
    );
    // The week's visit and technical exchange, with their dates and people; the reference
    // visit prepared as proof.
    let activities: Vec<&Value> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|change| change["kind"] == "activity.added")
        .collect();
    assert_eq!(
        activities,
        [
            &json!({"kind": "activity.added", "to": "tech_exchange", "date": "2026-11-27", "with": ["Ms. Lin", "郑主任"]}),
            &json!({"kind": "activity.added", "to": "visit", "date": "2026-11-28", "with": ["周行长"]}),
        ]
    );
    assert_eq!(
        *change(&diff, "proof_asset.added", None),
        json!({"kind": "proof_asset.added", "to": "reference_visit"})
    );
    // What did not change is not listed: the stated temperature stayed at 80.
    assert!(!diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|change| change["kind"] == "temperature.stated"));
}

/// Asking for the order, the solutions prepared and a proof asset dropped are changes too.
#[test]
fn the_close_the_solutions_and_the_proof_assets_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(last_week()).unwrap();
    let old = temp_file(&dir, "old.yaml", &text);
    let changed = text
        .replace("  close_requested: false\n", "  close_requested: true\n")
        .replace("  solutions_prepared: 1\n", "  solutions_prepared: 3\n");
    assert!(
        changed.contains("close_requested: true") && changed.contains("solutions_prepared: 3"),
        "the fixture has not asked yet, with one solution"
    );
    let new = temp_file(&dir, "new.yaml", &changed);
    let diff = diff_json(&old, &new);
    assert_eq!(
        *change(&diff, "deal.close_requested", None),
        json!({"kind": "deal.close_requested", "from": false, "to": true})
    );
    assert_eq!(
        *change(&diff, "deal.solutions_prepared", None),
        json!({"kind": "deal.solutions_prepared", "from": 1, "to": 3})
    );
    // The reverse: the proof asset prepared this week is gone when the weeks swap, and
    // last week records no activity this week lacks.
    let back = diff_json(&this_week(), &last_week());
    assert_eq!(
        *change(&back, "proof_asset.gone", None),
        json!({"kind": "proof_asset.gone", "from": "reference_visit"})
    );
    assert!(!back["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|change| change["kind"] == "activity.added"));
    // …and this week's visit is an activity no longer recorded.
    assert!(back["changes"].as_array().unwrap().contains(
        &json!({"kind": "activity.gone", "from": "visit", "date": "2026-11-28", "with": ["周行长"]})
    ));
    common::Cli::new(["diff", &old, &new, "--lang", "en"])
        .run()
        .succeeds()
        .stdout_has("Asked for the order: no → yes")
        .stdout_has("Solutions prepared: 1 → 3");
}

#[test]
fn advice_is_sorted_into_resolved_new_and_still_open() {
    let diff = diff_json(&last_week(), &this_week());
    let resolved = concepts(&diff["advice"]["resolved"]);
    let new = concepts(&diff["advice"]["new"]);
    let open = concepts(&diff["advice"]["open"]);
    assert!(
        resolved.contains(&"decision.reach_top".to_owned()),
        "{resolved:?}"
    );
    assert!(
        resolved.contains(&"objection.no_trust".to_owned()),
        "{resolved:?}"
    );
    assert!(new.contains(&"objection.no_hurry".to_owned()), "{new:?}");
    assert!(open.contains(&"commitment.prepare".to_owned()), "{open:?}");
    for concept in &resolved {
        assert!(
            !new.contains(concept) && !open.contains(concept),
            "{concept} twice"
        );
    }
    for concept in &new {
        assert!(!open.contains(concept), "{concept} twice");
    }
    // Read backwards, what was resolved is new and the other way round.
    let backwards = diff_json(&this_week(), &last_week());
    assert_eq!(concepts(&backwards["advice"]["new"]), resolved);
    assert_eq!(concepts(&backwards["advice"]["resolved"]), new);
}

#[test]
fn the_same_snapshot_twice_changes_nothing_and_everything_is_still_open() {
    let diff = diff_json(&last_week(), &last_week());
    assert_eq!(diff["changes"], json!([]));
    assert_eq!(diff["advice"]["resolved"], json!([]));
    assert_eq!(diff["advice"]["new"], json!([]));
    assert!(concepts(&diff["advice"]["open"]).contains(&"decision.reach_top".to_owned()));
    let output = dealcoach()
        .args(["diff", &last_week(), &last_week()])
        .output()
        .unwrap();
    assert!(
        stdout(&output).contains("Nothing changed in the deal."),
        "{}",
        stdout(&output)
    );
}

#[test]
fn advice_a_snooze_now_hides_is_snoozed_not_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(last_week()).unwrap();
    let snoozed = temp_file(
        &dir,
        "snoozed.yaml",
        &format!(
            "{text}snoozed:\n  - {{concept: decision.reach_top, until: 2026-12-10, reason: \"the president is abroad until December\"}}\n"
        ),
    );
    let diff = diff_json(&last_week(), &snoozed);
    assert_eq!(concepts(&diff["advice"]["snoozed"]), ["decision.reach_top"]);
    assert!(!concepts(&diff["advice"]["resolved"]).contains(&"decision.reach_top".to_owned()));
}

#[test]
fn text_and_markdown_speak_both_languages() {
    let run = |format: &str, lang: &str| {
        let output = dealcoach()
            .args([
                "diff",
                &last_week(),
                &this_week(),
                "--format",
                format,
                "--lang",
                lang,
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
    };
    let text = run("text", "en");
    assert!(text.contains("What changed in the deal"), "{text}");
    assert!(
        text.contains("周行长: was neutral, now a supporter"),
        "{text}"
    );
    assert!(text.contains("New person: 郑主任 (influencer)"), "{text}");
    assert!(
        text.contains("Objection handled: \"we don't believe it\" (周行长)"),
        "{text}"
    );
    assert!(text.contains("Resolved ("), "{text}");
    let chinese = run("text", "zh");
    assert!(chinese.contains("商机的变化"), "{chinese}");
    assert!(
        chinese.contains("周行长：态度由中立变为支持者"),
        "{chinese}"
    );
    assert!(chinese.contains("已解决（"), "{chinese}");
    assert!(!chinese.contains("Resolved"), "{chinese}");
    let markdown = run("markdown", "en");
    assert!(
        markdown.starts_with("## Pearl River Bank core system replacement"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- ✓ Get in front of 周行长"),
        "{markdown}"
    );
    assert!(markdown.contains("(`decision.reach_top`)"), "{markdown}");
}

#[test]
fn two_different_deals_are_a_located_error() {
    let output = dealcoach()
        .args(["diff", &last_week(), &example("solar-early.yaml")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    let message = stderr(&output);
    assert!(message.contains("solar-early.yaml:4:7:"), "{message}");
    assert!(message.contains("`gobi-solar-monitoring`"), "{message}");
    assert!(message.contains("`pearl-bank-core-2027`"), "{message}");
}

#[test]
fn a_bad_file_on_either_side_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(this_week()).unwrap();
    let typo = temp_file(
        &dir,
        "typo.yaml",
        &text.replace("    stance: supporter", "    stanse: supporter"),
    );
    for (old, new) in [(last_week(), typo.clone()), (typo.clone(), last_week())] {
        let output = dealcoach().args(["diff", &old, &new]).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stdout(&output), "");
        let message = stderr(&output);
        assert!(message.contains("typo.yaml:"), "{message}");
        assert!(message.contains("did you mean `stance`?"), "{message}");
    }
}

#[test]
fn the_json_is_byte_identical_across_runs() {
    let run = || {
        dealcoach()
            .args(["diff", &last_week(), &this_week(), "--format", "json"])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run(), run());
}

/// A move that becomes a step of another is still advised: on ACME, reaching 李总 (never
/// met) is its own move until he raises "no budget", then a step of the move answering
/// him — `open`, as a step, never `resolved` (the rep has not met him).
#[test]
fn a_move_that_becomes_a_step_is_still_open_not_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::contract_example("acme-erp.yaml")).unwrap();
    let objection = "  - type: no_budget\n    from: 李总\n    said: \"今年预算已经用完了\"\n    date: 2026-11-15\n    handled: false\n";
    let heard = "李总说今年预算已经用完了，明年再看。";
    assert!(
        text.contains(objection) && text.contains(heard),
        "the fixture's objection and the note that reports it are as written here"
    );
    let old = temp_file(
        &dir,
        "old.yaml",
        &text.replace(objection, "").replace(heard, ""),
    );
    let new = temp_file(&dir, "new.yaml", &text);
    let diff = diff_json(&old, &new);
    let advice = &diff["advice"];
    assert!(
        !concepts(&advice["resolved"]).contains(&"decision.reach_top".to_owned()),
        "{advice:#}"
    );
    let still = advice["open"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["concept"] == "decision.reach_top")
        .unwrap_or_else(|| panic!("reaching 李总 is still open: {advice:#}"));
    assert_eq!(still["kind"], "step");
    assert!(concepts(&advice["new"]).contains(&"objection.no_budget".to_owned()));
}
