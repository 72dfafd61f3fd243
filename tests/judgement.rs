//! Coach judgement is playbook data a trainer can get wrong (issue 11): `check` refuses a
//! concept that is both a move and a warning, warns about advice that can come with no
//! reason and about gates or silencing that name no concept, and refuses a malformed gate.
//! The behaviour itself is tested by the playbook test cases (playbooks/tests); these
//! tests edit an exported copy of the built-in playbooks as a trainer would, and check
//! what the trainer is told.

mod common;

use std::path::Path;

use common::{dealcoach, example, exported_playbooks, stderr, stdout};

fn check(folder: &Path) -> (Option<i32>, String) {
    let output = dealcoach()
        .arg("check")
        .arg("--playbooks")
        .arg(folder)
        .output()
        .unwrap();
    (output.status.code(), stderr(&output))
}

fn edit(folder: &Path, file: &str, from: &str, to: &str) {
    let path = folder.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_built_in_judgement_passes_check_without_a_warning() {
    let folder = exported_playbooks();
    let (code, errors) = check(folder.path());
    assert_eq!(code, Some(0), "{errors}");
    assert!(!errors.contains("warning"), "{errors}");
}

#[test]
fn a_concept_that_is_both_a_move_and_a_warning_is_an_error() {
    let folder = exported_playbooks();
    // commitment.prepare is a move; a warning with the same concept speaks twice.
    edit(
        folder.path(),
        "playbooks/hygiene.yaml",
        "  - id: risk.no_next_step\n    concept: risk.no_next_step\n",
        "  - id: risk.no_next_step\n    concept: commitment.prepare\n",
    );
    let (code, errors) = check(folder.path());
    assert_eq!(code, Some(1), "{errors}");
    assert!(
        errors.contains("makes concept `commitment.prepare` a warning")
            && errors.contains("one concept is one voice"),
        "{errors}"
    );
}

#[test]
fn advice_whose_every_reason_can_vanish_is_flagged() {
    let folder = exported_playbooks();
    edit(
        folder.path(),
        "playbooks/hygiene.yaml",
        "        - \"a commitment already made moves a deal most: prepared well, it becomes the next step\"\n",
        "",
    );
    edit(
        folder.path(),
        "playbooks/hygiene.yaml",
        "        - \"已经约定的事最能推动项目：准备充分，就把承诺变成下一步\"\n",
        "",
    );
    let (_, errors) = check(folder.path());
    assert!(
        errors.contains(
            "rule `commitment.prepare`: every `why` line reads a fact that may be unknown"
        ),
        "{errors}"
    );
}

#[test]
fn silencing_or_gating_a_concept_nobody_produces_is_flagged() {
    let folder = exported_playbooks();
    edit(
        folder.path(),
        "playbooks/relationship.yaml",
        "suppresses: [kpi.referral]",
        "suppresses: [kpi.referal]",
    );
    edit(
        folder.path(),
        "playbooks/judgement.yaml",
        "only: [review.lost, value]",
        "only: [review.los, value]",
    );
    let (_, errors) = check(folder.path());
    assert!(
        errors.contains("`suppresses` names `kpi.referal`, which no rule produces"),
        "{errors}"
    );
    assert!(
        errors.contains("gate `lost` names `review.los`, which no rule produces"),
        "{errors}"
    );
}

#[test]
fn a_gate_without_exactly_one_action_is_refused() {
    let folder = exported_playbooks();
    edit(
        folder.path(),
        "playbooks/judgement.yaml",
        "    only: [review.lost, value]\n",
        "    only: [review.lost, value]\n    drop: [info]\n",
    );
    let (code, errors) = check(folder.path());
    assert_eq!(code, Some(1), "{errors}");
    assert!(
        errors.contains("gate `lost` needs exactly one of `only`, `drop` or `demote`"),
        "{errors}"
    );
    // `next` will not run a method with a broken gate either.
    let output = dealcoach()
        .args(["next", &example("bank-core.yaml")])
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
}

/// What a gate sets aside is reported with its reason, so a rep (or `explain`) can see
/// what was not said and why. The gate holds even for a trainer's rule that forgets to
/// ask whether the deal is still open.
#[test]
fn what_a_won_deal_sets_aside_is_reported_with_the_reason() {
    let folder = exported_playbooks();
    edit(
        folder.path(),
        "playbooks/four_dimensions.yaml",
        "      facts.open && (facts.proof_assets < settings.min_proof_assets",
        "      (facts.proof_assets < settings.min_proof_assets",
    );
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example("bank-core.yaml")).unwrap();
    assert!(text.contains("stage: propose"));
    let won = common::temp_file(
        &dir,
        "won.yaml",
        &text.replace("stage: propose", "stage: won"),
    );
    let output = dealcoach()
        .args(["next", &won, "--format", "json"])
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let said: Vec<&str> = report["moves"]
        .as_array()
        .unwrap()
        .iter()
        .chain(report["warnings"].as_array().unwrap())
        .map(|advice| advice["concept"].as_str().unwrap())
        .collect();
    assert!(!said.contains(&"tools.proof"), "{said:?}");
    let suppressed = report["suppressed"].as_array().unwrap();
    assert!(
        suppressed
            .iter()
            .any(|entry| entry["concept"] == "tools.proof"
                && entry["because"]
                    .as_str()
                    .unwrap()
                    .starts_with("gate won: the deal is won")),
        "{suppressed:?}"
    );
}

/// `explain` tells a trainer what fired but was not said, and why: without it a rule
/// that fires and never shows looks broken.
#[test]
fn explain_lists_what_judgement_set_aside() {
    let output = dealcoach()
        .args([
            "explain",
            &example("clinic-chain-won.yaml"),
            "--rule",
            "kpi.",
        ])
        .output()
        .unwrap();
    let text = stdout(&output);
    let section = text
        .split("fired, but not said (judgement):")
        .nth(1)
        .unwrap_or_else(|| panic!("no set-aside section:\n{text}"));
    assert!(
        section.contains("kpi.referral  [kpi.referral]  silenced by maintain.fast_resolution"),
        "{section}"
    );
    // Only the rules asked about are listed.
    assert!(!section.contains("maintain.customization"), "{section}");
}

/// The moves about one person are one conversation: on the contract's ACME deal, 李总's
/// budget objection and the moves to reach him (never met) were two moves that both
/// quoted his needs. They merge by person (`merge: "person {{…}}"`): one move, the others
/// its steps, his needs said once.
#[test]
fn the_moves_about_one_person_become_one_move_with_steps() {
    let deal = common::contract_example("acme-erp.yaml");
    let run = common::Cli::new(["next", &deal, "--format", "json"])
        .run()
        .succeeds();
    let report = run.json();
    let moves = report["moves"].as_array().expect("moves");
    let first = &moves[0];
    assert_eq!(first["concept"], "objection.no_budget", "{first}");
    let steps: Vec<&str> = first["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| step["concept"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"decision.reach_top"), "{steps:?}");
    assert!(
        moves
            .iter()
            .all(|advice| advice["concept"] != "decision.reach_top"),
        "reaching 李总 is a step of the move about him, not a move of its own"
    );
    let text = common::Cli::new(["next", &deal, "--lang", "en"])
        .run()
        .succeeds()
        .stdout;
    assert_eq!(
        text.matches("cares about: cost control this year").count(),
        1,
        "his needs are said once: {text}"
    );
}

/// An objection is never a step: when 李总 raises two, each is a move of its own with his
/// words (the rep answers each), and the moves to reach him join the first of them.
#[test]
fn two_objections_from_one_person_stay_two_moves() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::contract_example("acme-erp.yaml")).unwrap();
    let second = "  - type: no_trust\n    from: 李总\n    said: \"你们没做过我们这个行业\"\n    date: 2026-11-16\n    handled: false\nsignals:";
    assert!(text.contains("\nsignals:"), "the fixture has signals");
    let deal = dir.path().join("acme-two.yaml");
    std::fs::write(
        &deal,
        text.replacen("\nsignals:", &format!("\n{second}"), 1),
    )
    .unwrap();
    let deal = deal.to_str().unwrap();
    let report = common::Cli::new(["next", deal, "--format", "json"])
        .run()
        .succeeds()
        .json();
    let moves = report["moves"].as_array().expect("moves");
    let objections: Vec<&serde_json::Value> = moves
        .iter()
        .filter(|advice| {
            advice["concept"]
                .as_str()
                .unwrap()
                .starts_with("objection.")
        })
        .collect();
    assert_eq!(objections.len(), 2, "one move per objection: {moves:#?}");
    let steps_of = |advice: &serde_json::Value| -> Vec<String> {
        advice["steps"]
            .as_array()
            .map(|steps| {
                steps
                    .iter()
                    .map(|step| step["concept"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        steps_of(objections[0]).contains(&"decision.reach_top".to_owned()),
        "reaching 李总 joins the first move about him: {:#?}",
        objections[0]
    );
    assert!(
        objections.iter().all(|advice| steps_of(advice)
            .iter()
            .all(|step| !step.starts_with("objection."))),
        "no objection is a step"
    );
    let text = common::Cli::new(["next", deal, "--lang", "en"])
        .run()
        .succeeds()
        .stdout;
    for words in ["今年预算已经用完了", "你们没做过我们这个行业"] {
        assert!(
            text.contains(words),
            "the customer's words are kept: {words}\n{text}"
        );
    }
}

/// `never_a_step` only says how a move joins its merge group: without a group it would
/// do nothing, silently, so the folder is refused at the rule.
#[test]
fn never_a_step_without_a_merge_group_is_refused() {
    let folder = exported_playbooks();
    edit(
        folder.path(),
        "playbooks/four_dimensions.yaml",
        "    merge: \"person {{item.from}}\"\n    never_a_step: true\n",
        "    never_a_step: true\n",
    );
    let (code, errors) = check(folder.path());
    assert_eq!(code, Some(1), "{errors}");
    assert!(
        errors.contains("four_dimensions.yaml:")
            && errors.contains(
                "`never_a_step` says how a move joins its `merge` group, and it has none"
            ),
        "{errors}"
    );
}

/// A misspelt name in a person's merge group would merge nothing, silently: `check`
/// names it, at its place, with the nearest real name.
#[test]
fn a_misspelt_merge_group_is_caught() {
    let folder = exported_playbooks();
    edit(
        folder.path(),
        "playbooks/powers.yaml",
        "merge: \"person {{facts.top.name}}\"",
        "merge: \"person {{facts.top.nme}}\"",
    );
    let (code, errors) = check(folder.path());
    assert_eq!(code, Some(1), "{errors}");
    assert!(
        errors.contains("`merge` placeholder `{{facts.top.nme}}` names no fact: `top` has no field `nme` — did you mean `name`?"),
        "{errors}"
    );
}
