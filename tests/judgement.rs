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
