//! `dealcoach next` end to end: the rep's main job. These run the built binary on the
//! project's and the contract's example deals and check what a rep and an integration
//! rely on: the JSON contract, determinism, ranking, languages, formats, and trainers'
//! playbook folders (including a broken rule that must not take the others down).

mod common;

use common::{contract_example, dealcoach, example, stderr, stdout, temp_file};
use serde_json::Value;

fn json_of(deal: &str) -> (String, Value) {
    let output = dealcoach()
        .args(["next", deal, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let text = stdout(&output);
    let value: Value = serde_json::from_str(&text).expect("valid JSON");
    (text, value)
}

fn concepts(value: &Value, list: &str) -> Vec<String> {
    value[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["concept"].as_str().unwrap().to_owned())
        .collect()
}

fn all_deals() -> Vec<String> {
    let mut deals: Vec<String> = [
        "bank-core.yaml",
        "clinic-chain-won.yaml",
        "solar-early.yaml",
    ]
    .iter()
    .map(|name| example(name))
    .collect();
    deals.extend(
        [
            "acme-erp.yaml",
            "harbor-wms-closing.yaml",
            "north-steel-account.yaml",
        ]
        .iter()
        .map(|name| contract_example(name)),
    );
    deals
}

#[test]
fn json_follows_the_contract_for_every_example() {
    for deal in all_deals() {
        let (_, value) = json_of(&deal);
        for key in [
            "dealcoach",
            "playbooks",
            "deal",
            "assessment",
            "moves",
            "warnings",
            "signals",
            "objections",
            "errors",
        ] {
            assert!(value.get(key).is_some(), "{deal}: missing `{key}`");
        }
        assert_eq!(value["playbooks"]["source"], "builtin");
        assert!(value["playbooks"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
        let assessment = &value["assessment"];
        for key in [
            "temperature",
            "influencer_coverage",
            "information_completeness",
            "relationship_stage",
            "account",
        ] {
            assert!(
                assessment.get(key).is_some(),
                "{deal}: assessment lacks `{key}`"
            );
        }
        let priorities: Vec<i64> = value["moves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["priority"].as_i64().unwrap())
            .collect();
        assert!(
            priorities.windows(2).all(|pair| pair[0] >= pair[1]),
            "{deal}: moves not sorted by priority: {priorities:?}"
        );
        for item in value["moves"]
            .as_array()
            .unwrap()
            .iter()
            .chain(value["warnings"].as_array().unwrap())
        {
            assert!(
                item["concept"].as_str().unwrap().contains('.'),
                "{deal}: {item}"
            );
            assert!(
                !item["title"].as_str().unwrap().contains("{{"),
                "{deal}: unfilled placeholder in {item}"
            );
            assert!(
                item["rule"]["file"]
                    .as_str()
                    .unwrap()
                    .starts_with("playbooks/"),
                "{deal}: {item}"
            );
            assert!(
                item["rule"]["line"].as_u64().unwrap() > 0,
                "{deal}: rule line unknown in {item}"
            );
            assert!(
                !item["why"].as_array().unwrap().is_empty(),
                "{deal}: advice without a reason: {item}"
            );
        }
        assert_eq!(
            value["errors"].as_array().unwrap().len(),
            0,
            "{deal}: {}",
            value["errors"]
        );
    }
}

#[test]
fn json_is_byte_identical_across_runs() {
    for deal in all_deals() {
        let (first, _) = json_of(&deal);
        let (second, _) = json_of(&deal);
        assert_eq!(first, second, "{deal}");
    }
}

#[test]
fn an_unmet_top_decision_maker_late_in_a_deal_leads_the_moves() {
    let (_, value) = json_of(&example("bank-core.yaml"));
    let moves = concepts(&value, "moves");
    assert_eq!(moves[0], "decision.reach_top", "{moves:?}");
    let first = &value["moves"][0];
    assert!(
        first["title"].as_str().unwrap().contains("周行长"),
        "the move names the person: {first}"
    );
    // A missing VIP card matters far less than meeting the president.
    if let Some(vip) = moves.iter().position(|concept| concept == "kpi.vip_card") {
        assert!(vip > 3, "{moves:?}");
    }
}

#[test]
fn every_open_objection_gets_a_move_and_notes_are_read() {
    let (_, value) = json_of(&example("bank-core.yaml"));
    assert!(concepts(&value, "moves").contains(&"objection.no_trust".to_owned()));
    let objection = &value["objections"][0];
    assert_eq!(objection["concept"], "objection.no_trust");
    assert_eq!(objection["from"], "周行长");
    assert_eq!(objection["handled"], false);
    assert_eq!(objection["source"], "objections[0]");
}

/// Issue 13: a finding in an activity note carries the activity's date; one in the
/// deal's undated `notes` has none (it used to take `as_of`, making an old remark look
/// like today's); titles name their holder; the evidence leaves the speaker out.
#[test]
fn a_detection_is_dated_by_its_activity_and_credited_to_a_title_holder() {
    let dir = tempfile::tempdir().unwrap();
    let deal = temp_file(
        &dir,
        "deal.yaml",
        "deal: {id: d, name: D, as_of: 2026-11-20, notes: \"财务总监说今年预算已经冻结了。\"}\n\
         stakeholders:\n  - {name: 刘洋, title: 财务总监}\n  - {name: 王工}\n\
         activities:\n  - {date: 2026-11-02, type: meeting, note: \"王工答应下周安排技术交流会。\"}\n",
    );
    let (_, value) = json_of(&deal);
    let objection = &value["objections"][0];
    assert_eq!(objection["concept"], "objection.no_budget");
    assert_eq!(objection["from"], "刘洋");
    assert_eq!(objection["source"], "notes");
    assert!(objection.get("date").is_none(), "{objection}");
    assert_eq!(objection["evidence"], "今年预算已经冻结了");
    assert!(objection["detected_by"]
        .as_str()
        .is_some_and(|by| by.starts_with("pattern")));
    let signal = &value["signals"][0];
    assert_eq!(signal["concept"], "signal.agreed_tech_exchange");
    assert_eq!(signal["from"], "王工");
    assert_eq!(signal["date"], "2026-11-02");
    assert_eq!(signal["source"], "activities[0].note");
}

#[test]
fn the_contract_example_gets_deal_specific_advice() {
    let acme = contract_example("acme-erp.yaml");
    let (_, value) = json_of(&acme);
    let moves = concepts(&value, "moves");
    // Reaching the top decision maker (never met) is among the first three moves — on
    // this deal as a step of the move answering his budget objection (one conversation).
    let early: Vec<&str> = value["moves"]
        .as_array()
        .expect("moves")
        .iter()
        .take(3)
        .flat_map(|advice| {
            let steps = advice["steps"].as_array().into_iter().flatten();
            std::iter::once(&advice["concept"]).chain(steps.map(|step| &step["concept"]))
        })
        .filter_map(|concept| concept.as_str())
        .collect();
    assert!(early.contains(&"decision.reach_top"), "{early:?}");
    assert!(
        moves.contains(&"objection.no_budget".to_owned()),
        "{moves:?}"
    );
    assert_eq!(value["deal"]["id"], "acme-erp-2026");
    assert_eq!(value["assessment"]["temperature"]["stated"], 40);
    assert_eq!(
        value["assessment"]["influencer_coverage"]["decision_maker"],
        "identified"
    );
    assert_eq!(
        value["assessment"]["influencer_coverage"]["influencer"],
        "missing"
    );
    assert_eq!(
        value["signals"][0]["concept"],
        "signal.agreed_tech_exchange"
    );
    assert_eq!(value["signals"][0]["from"], "王工");
}

#[test]
fn a_won_deal_is_coached_on_the_relationship_not_the_close() {
    let (_, value) = json_of(&example("clinic-chain-won.yaml"));
    let all: Vec<String> = concepts(&value, "moves")
        .into_iter()
        .chain(concepts(&value, "warnings"))
        .collect();
    assert!(
        all.iter()
            .any(|c| c.starts_with("maintain.") || c.starts_with("kpi.")),
        "{all:?}"
    );
    for forbidden in [
        "closing.ready",
        "closing.hesitant",
        "decision.reach_top",
        "risk.no_next_step",
        "spin.situation",
    ] {
        assert!(
            !all.contains(&forbidden.to_owned()),
            "{forbidden} on a won deal: {all:?}"
        );
    }
}

#[test]
fn chinese_and_english_are_both_complete() {
    let deal = example("bank-core.yaml");
    let zh = dealcoach()
        .args(["next", &deal, "--format", "json", "--lang", "zh"])
        .output()
        .unwrap();
    let en = dealcoach()
        .args(["next", &deal, "--format", "json", "--lang", "en"])
        .output()
        .unwrap();
    let zh: Value = serde_json::from_slice(&zh.stdout).unwrap();
    let en: Value = serde_json::from_slice(&en.stdout).unwrap();
    assert_eq!(
        concepts(&zh, "moves"),
        concepts(&en, "moves"),
        "the language changes words, not advice"
    );
    for (zh_move, en_move) in zh["moves"]
        .as_array()
        .unwrap()
        .iter()
        .zip(en["moves"].as_array().unwrap())
    {
        let title = zh_move["title"].as_str().unwrap();
        assert!(
            title
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "zh title without Chinese: {title}"
        );
        assert_ne!(zh_move["title"], en_move["title"]);
        assert_eq!(
            zh_move["why"].as_array().unwrap().len(),
            en_move["why"].as_array().unwrap().len(),
            "{title}"
        );
    }
}

#[test]
fn language_defaults_from_the_locale() {
    let deal = example("solar-early.yaml");
    let output = dealcoach()
        .env("LANG", "zh_CN.UTF-8")
        .args(["next", &deal])
        .output()
        .unwrap();
    assert!(
        stdout(&output).contains("下一步行动"),
        "{}",
        stdout(&output)
    );
    let output = dealcoach()
        .env("LANG", "zh_CN.UTF-8")
        .env("LC_ALL", "en_US.UTF-8")
        .args(["next", &deal])
        .output()
        .unwrap();
    assert!(stdout(&output).contains("Next moves"));
}

#[test]
fn text_output_leads_with_the_assessment_and_the_top_moves() {
    let deal = example("bank-core.yaml");
    let output = dealcoach()
        .args(["next", &deal, "--top", "3"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(text.starts_with("Pearl River Bank core system replacement · as of 2026-11-24  pearl-bank-core-2027\nTemperature: you say 80℃, the evidence supports about 53℃"), "{text}");
    assert!(
        text.contains("  1. [") && text.contains("  3. [") && !text.contains("  4. ["),
        "{text}"
    );
    assert!(
        text.contains("more not shown (--all shows everything)"),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let all = stdout(&dealcoach().args(["next", &deal, "--all"]).output().unwrap());
    assert!(
        all.contains("  8. [") && !all.contains("not shown"),
        "{all}"
    );
}

#[test]
fn markdown_is_ready_to_paste() {
    let output = dealcoach()
        .args(["next", &example("bank-core.yaml"), "--format", "markdown"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(
        text.starts_with("## Pearl River Bank core system replacement"),
        "{text}"
    );
    assert!(text.contains("### Next moves\n\n1. **"), "{text}");
}

#[test]
fn json_on_stdin_works_like_yaml() {
    let json = r#"{"deal": {"id": "j", "name": "JSON deal", "as_of": "2026-11-20", "stage": "propose"},
                   "stakeholders": [{"name": "Boss", "role": "decision_maker", "top_decision_maker": true, "influence": 9, "met": false}]}"#;
    let output = dealcoach()
        .args(["next", "-", "--format", "json"])
        .write_stdin(json)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["moves"][0]["concept"], "decision.reach_top");
}

#[test]
fn a_trainer_edits_an_exported_playbook_without_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("method");
    let output = dealcoach()
        .args(["playbooks", "export", folder.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let powers = folder.join("playbooks/powers.yaml");
    let text = std::fs::read_to_string(&powers).unwrap();
    let marker = "en: \"Get in front of {{top.name}}, the top decision maker\"";
    assert!(
        text.contains(marker),
        "the exported rule is the built-in one"
    );
    std::fs::write(
        &powers,
        text.replace(marker, "en: \"Book lunch with {{top.name}}\""),
    )
    .unwrap();
    let output = dealcoach()
        .args([
            "next",
            &example("bank-core.yaml"),
            "--playbooks",
            folder.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["moves"][0]["title"], "Book lunch with 周行长");
    assert_eq!(value["playbooks"]["source"], folder.display().to_string());
    // The same through the environment.
    let output = dealcoach()
        .env("DEALCOACH_PLAYBOOKS", &folder)
        .args(["next", &example("bank-core.yaml")])
        .output()
        .unwrap();
    assert!(stdout(&output).contains("Book lunch with 周行长"));
    // Export never overwrites a trainer's work by accident.
    let again = dealcoach()
        .args(["playbooks", "export", folder.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"));
}

fn folder_with(rules: &str) -> tempfile::TempDir {
    common::playbook_folder(rules)
}

fn rule(id: &str, when: &str) -> String {
    common::rule_with(id, "", when)
}

#[test]
fn a_failing_rule_is_reported_by_name_while_the_others_still_run() {
    let rules = format!(
        "rules:\n{}{}{}{}",
        rule("loops", "\"loop {}\""),
        rule("calls-nothing", "no_such_function(deal)"),
        rule("grows", "\"let s = \\\"x\\\"; loop { s += s; }\""),
        rule("healthy", "\"true\"")
    );
    let dir = folder_with(&rules);
    let started = std::time::Instant::now();
    let output = dealcoach()
        .args([
            "next",
            &example("solar-early.yaml"),
            "--playbooks",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1), "a failed rule means exit 1");
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["warnings"][0]["rule"]["id"], "healthy");
    let errors = value["errors"].as_array().unwrap();
    let message_of = |id: &str| {
        errors
            .iter()
            .find(|e| e["id"] == id)
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(message_of("loops").contains("exceeded"), "{errors:?}");
    assert!(
        message_of("calls-nothing").contains("function not found: no_such_function"),
        "{errors:?}"
    );
    assert!(
        message_of("grows").contains("exceeded") || message_of("grows").contains("size limit"),
        "{errors:?}"
    );
    assert_eq!(errors[0]["file"], "playbooks/main.yaml");
    assert!(
        stderr(&output).contains("rule `loops` failed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn one_rule_that_never_fires_is_a_valid_playbook() {
    let dir = folder_with(&format!("rules:\n{}", rule("never", "false")));
    let output = dealcoach()
        .args([
            "next",
            &example("solar-early.yaml"),
            "--playbooks",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        value["moves"].as_array().unwrap().is_empty()
            && value["warnings"].as_array().unwrap().is_empty()
    );
}

#[test]
fn a_folder_without_rules_or_with_broken_yaml_is_invalid() {
    let dir = folder_with("settings: {stale_days: 20}\n");
    let output = dealcoach()
        .args([
            "next",
            &example("solar-early.yaml"),
            "--playbooks",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("no rules"), "{}", stderr(&output));

    let dir = folder_with("rules:\n  - id: x\n    concept: risk.stale\n    when: true\n    title: {zh: a, en: b}\n    why: {zh: [a], en: [b]}\n");
    let output = dealcoach()
        .args([
            "next",
            &example("solar-early.yaml"),
            "--playbooks",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("playbooks/main.yaml:2: rule `x` needs `priority`"),
        "{}",
        stderr(&output)
    );

    let missing = tempfile::tempdir().unwrap();
    let output = dealcoach()
        .args([
            "next",
            &example("solar-early.yaml"),
            "--playbooks",
            missing.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no `playbooks/` folder"),
        "{}",
        stderr(&output)
    );
    let _ = temp_file;
}
