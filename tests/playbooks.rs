//! The built-in playbooks, tested the way a trainer tests theirs: every playbook test case
//! under `playbooks/tests/` must pass, and every concept of the method (domain.md) must be
//! produced by a rule, with at least one test where it fires and one where it must not.

use std::collections::BTreeSet;

mod common;

use dealcoach::playbook::{Playbook, PlaybookFiles};
use dealcoach::trainer::testing::{load_tests, run_tests, CorpusPart};

/// The stable concept ids of `spec/domain.md`: the contract with users' integrations.
const CONCEPTS: &[&str] = &[
    "value.tier",
    "value.scorecard",
    "value.misjudge.one_off_large",
    "value.misjudge.group_bulk",
    "value.misjudge.repeat_volume",
    "value.poor_collection",
    "value.thin_profit",
    "info.funds_and_credit",
    "info.project_reason",
    "info.stakeholder_needs",
    "info.procurement_process",
    "info.procurement_priorities",
    "info.org_structure",
    "info.support_coverage",
    "info.project_steps",
    "info.key_difficulties",
    "info.competitors",
    "info.insider",
    "info.external_allies",
    "info.outdated",
    "relation.map_influence",
    "relation.expand_allies",
    "relation.broaden_support",
    "relation.single_threaded",
    "relation.neutralize_opponent",
    "decision.reach_top",
    "decision.top_not_supportive",
    "objection.no_need",
    "objection.no_trust",
    "objection.no_budget",
    "objection.no_hurry",
    "coverage.user",
    "coverage.technical_gatekeeper",
    "coverage.decision_maker",
    "coverage.influencer",
    "leverage.user",
    "spin.situation",
    "spin.problem",
    "spin.implication",
    "spin.need_payoff",
    "spin.too_generic",
    "temperature.overestimated",
    "signal.accepted_rejected_idea",
    "signal.agreed_next_step",
    "signal.introduced_senior",
    "signal.agreed_tech_exchange",
    // issue 13: beyond the seed's four, a question about details is a buying signal
    "signal.asked_details",
    "closing.ready",
    "closing.too_eager",
    "closing.hesitant",
    "closing.options",
    "mindset.patience",
    "tools.proof",
    "tools.presentation",
    "risk.stale",
    "risk.no_next_step",
    "risk.close_date_passed",
    "stage.gestation",
    "stage.initial",
    "stage.intermediate",
    "stage.advanced",
    "stage.strategic_alliance",
    "maintain.quality",
    "maintain.after_sales",
    "maintain.fast_resolution",
    "maintain.anticipate_needs",
    "maintain.key_person",
    "maintain.customer_view",
    "maintain.customer_file",
    "maintain.customization",
    "maintain.follow_up",
    "maintain.adapt",
    "kpi.vip_card",
    "kpi.visit_frequency",
    "kpi.monthly_favor",
    "kpi.first_thought",
    "kpi.referral",
];

/// The held-out part of the note corpus (playbooks/tests/heldout/), written before any
/// tuning and never tuned on, as measured for issue 13: precision 0.912, recall 0.864;
/// 0.909 / 0.864 after the merge with main (one more next-step false positive). Its sixth
/// file (2026-11-30), written blind against refusals read as changes of mind, brought the
/// whole part to 0.880 / 0.842 before the fix it was written for and 0.892 / 0.832 after.
/// The assertion sits a little below, so that a change which makes the detector read
/// unseen notes worse fails CI, while the figure is not a target to tune the phrase lists
/// to.
const HELD_OUT_FLOOR: (f64, f64) = (0.87, 0.81);

fn builtin() -> Playbook {
    Playbook::load(PlaybookFiles::builtin())
        .unwrap_or_else(|problems| panic!("the built-in playbooks are invalid:\n{problems}"))
}

#[test]
fn every_builtin_playbook_test_passes() {
    let playbook = builtin();
    let run = run_tests(&playbook, None)
        .unwrap_or_else(|problems| panic!("test files invalid: {problems:?}"));
    let failures: Vec<String> = run
        .outcomes
        .iter()
        .filter(|outcome| !outcome.passed())
        .map(|outcome| {
            format!(
                "{} ({}): {}",
                outcome.name,
                outcome.file,
                outcome.failures.join("; ")
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} playbook tests failed:\n{}",
        failures.len(),
        run.outcomes.len(),
        failures.join("\n")
    );
    assert!(
        run.outcomes.len() >= 30,
        "the built-in playbooks ship with at least 30 tests, found {}",
        run.outcomes.len()
    );
    let uncovered: Vec<String> = run
        .uncovered(&playbook)
        .iter()
        .map(|rule| rule.id.clone())
        .collect();
    assert!(uncovered.is_empty(), "rules no test fires: {uncovered:?}");
}

/// Issue 13: the detector must read notes it has never seen. The tuning part must meet
/// `detection.goal` (run_tests fails it otherwise, and every_builtin_playbook_test_passes
/// checks that), must read at least as well as the held-out part (no over-fit hidden
/// in averages), and the held-out part must not fall below what was measured.
#[test]
fn the_note_detector_reads_notes_it_was_not_tuned_on() {
    let playbook = builtin();
    let run = run_tests(&playbook, Some("corpus"))
        .unwrap_or_else(|problems| panic!("test files invalid: {problems:?}"));
    let part = |wanted: CorpusPart| {
        run.corpus
            .iter()
            .find(|(part, _)| *part == wanted)
            .map(|(_, score)| score.clone())
            .unwrap_or_else(|| panic!("no {wanted:?} part in the built-in corpus"))
    };
    let (tuning, held_out) = (part(CorpusPart::Tuning), part(CorpusPart::HeldOut));
    let goal = playbook.detector.goal();
    assert!(
        tuning.precision() >= goal.precision && tuning.recall() >= goal.recall,
        "tuning part: precision {:.3}, recall {:.3}",
        tuning.precision(),
        tuning.recall()
    );
    assert!(
        held_out.precision() >= HELD_OUT_FLOOR.0 && held_out.recall() >= HELD_OUT_FLOOR.1,
        "held-out part fell to precision {:.3}, recall {:.3} (floor {:?})",
        held_out.precision(),
        held_out.recall(),
        HELD_OUT_FLOOR
    );
    assert!(
        tuning.precision() >= held_out.precision() && tuning.recall() >= held_out.recall(),
        "the tuning part reads worse than the held-out part"
    );
    assert!(
        tuning.sentences + held_out.sentences >= 1000 && held_out.sentences == 544,
        "{} + {} sentences",
        tuning.sentences,
        held_out.sentences
    );
}

#[test]
fn every_concept_of_the_method_has_a_rule() {
    let playbook = builtin();
    let produced: BTreeSet<&str> = playbook
        .rules
        .iter()
        .map(|compiled| compiled.rule.concept.as_str())
        .collect();
    let missing: Vec<&&str> = CONCEPTS
        .iter()
        .filter(|concept| !produced.contains(**concept))
        .collect();
    assert!(missing.is_empty(), "concepts without a rule: {missing:?}");
}

#[test]
fn every_concept_is_tested_firing_and_staying_quiet() {
    let playbook = builtin();
    let files = load_tests(&playbook).unwrap_or_else(|problems| panic!("{problems:?}"));
    let mut fires = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    for (_, tests, _) in &files {
        for test in tests {
            fires.extend(test.expect.present.iter().cloned());
            fires.extend(test.expect.top.keys().cloned());
            fires.extend(test.expect.rank.keys().cloned());
            quiet.extend(test.expect.absent.iter().cloned());
        }
    }
    let untested_firing: Vec<&&str> = CONCEPTS.iter().filter(|c| !fires.contains(**c)).collect();
    let untested_quiet: Vec<&&str> = CONCEPTS.iter().filter(|c| !quiet.contains(**c)).collect();
    assert!(
        untested_firing.is_empty(),
        "concepts no test expects to fire: {untested_firing:?}"
    );
    assert!(
        untested_quiet.is_empty(),
        "concepts no test expects to stay quiet: {untested_quiet:?}"
    );
}

#[test]
fn builtin_rules_all_compile() {
    let playbook = builtin();
    let broken: Vec<String> = playbook
        .rules
        .iter()
        .filter_map(|compiled| {
            let problems: Vec<&String> = [
                Some(&compiled.when),
                compiled.for_each.as_ref(),
                compiled.priority.as_ref(),
            ]
            .into_iter()
            .flatten()
            .filter_map(|script| script.as_ref().err())
            .collect();
            (!problems.is_empty()).then(|| format!("{}: {:?}", compiled.rule.id, problems))
        })
        .collect();
    assert!(broken.is_empty(), "{broken:?}");
}

/// The built-in playbooks read neither `stakeholders` nor `questions` in any script or
/// text, nor settings such as `decision_lead_days` (Rust reads it), nor facts such as
/// `key_people`, so deals skip building them; a trainer's rule that does read them sees
/// them whole.
#[test]
fn a_section_the_built_in_playbooks_never_read_is_there_for_a_rule_that_does() {
    let playbook = builtin();
    assert_eq!(
        playbook.scripts.unread_sections().collect::<Vec<_>>(),
        ["stakeholders", "questions"]
    );
    let given = playbook.scripts.settings_given();
    assert!(given.contains(&"stale_days".to_owned()), "{given:?}");
    for unread in [
        "decision_lead_days",
        "late_within_days",
        "organisation_kinds",
    ] {
        assert!(!given.contains(&unread.to_owned()), "{unread}: {given:?}");
    }
    let facts: std::collections::BTreeSet<&str> = playbook
        .scripts
        .facts_given()
        .expect("the built-in playbooks read the facts field by field")
        .iter()
        .map(String::as_str)
        .collect();
    assert!(
        facts.contains("people") && facts.contains("top"),
        "{facts:?}"
    );
    for unread in ["key_people", "temperature_parts", "staff_unsupportive"] {
        assert!(!facts.contains(unread), "{unread}: {facts:?}");
    }
    let folder = common::exported_playbooks();
    let hygiene = folder.path().join("playbooks/hygiene.yaml");
    let text = std::fs::read_to_string(&hygiene).unwrap();
    let when = "    when: facts.phase != \"lost\" && facts.commitments.len() > 0\n";
    let title = "      en: \"Prepare the {{item.kind | label: activity}} on {{item.date | date}}: agenda, who attends, the outcome you want\"\n";
    assert!(
        text.contains(when) && text.contains(title),
        "the rule commitment.prepare as written"
    );
    let text = text
        .replacen(when, "    when: facts.phase != \"lost\" && facts.commitments.len() > 0 && stakeholders.len() == 4 && settings.decision_lead_days == 30 && facts.key_people.len() > 0\n", 1)
        .replacen(title, "      en: \"Prepare ({{questions | count}} questions, {{settings.late_within_days}} days, {{facts.temperature_parts | count}} parts, {{staff_unsupportive | count}} staff)\"\n", 1);
    std::fs::write(&hygiene, text).unwrap();
    let bank = common::example("bank-core.yaml");
    let output = common::Cli::new([
        "next",
        &bank,
        "--playbooks",
        folder.path().to_str().unwrap(),
        "--format",
        "json",
        "--lang",
        "en",
    ])
    .run()
    .succeeds();
    let report = output.json();
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    let prepare = report["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|advice| advice["concept"] == "commitment.prepare")
        .unwrap_or_else(|| panic!("commitment.prepare fires on the four people: {report}"));
    assert_eq!(
        prepare["title"], "Prepare (3 questions, 45 days, 4 parts, 1 staff)",
        "{prepare}"
    );
}
