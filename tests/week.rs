//! The manager's week (issue 17), end to end: a snoozed move or warning leaves the advice
//! and the risk until its date and comes back on that date; a snooze on a concept the
//! playbooks do not know is a located error; `review` totals each owner's deals and
//! filters by owner; tied risks rank by amount, then id (never file order); a deal id
//! read twice is an error naming both files while the other deals are still reviewed.
//!
//! Fixtures live in `tests/fixtures/week/`: `pipeline/` (the three example deals with
//! owners, the bank deal carrying three snoozes), `ties/` (three deals equal but for their
//! amounts) and `duplicates/` (one deal id in two files). Dates are compared with
//! `deal.as_of`, so nothing here depends on the day the tests run.

mod common;

use common::{dealcoach, root, stderr, stdout, temp_file};
use serde_json::{json, Value};

fn fixture(path: &str) -> String {
    root()
        .join("tests/fixtures/week")
        .join(path)
        .display()
        .to_string()
}

fn bank() -> String {
    fixture("pipeline/bank-snoozed.yaml")
}

fn json_of(args: &[&str]) -> (i32, Value, String) {
    let output = dealcoach().args(args).output().expect("runs");
    let text = stdout(&output);
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {text}\n{}", stderr(&output)));
    (output.status.code().unwrap_or(-1), value, stderr(&output))
}

fn concepts(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["concept"].as_str().expect("a concept").to_owned())
        .collect()
}

/// The bank deal with `as_of` moved to `date`, written to a temporary folder.
fn bank_on(dir: &tempfile::TempDir, date: &str) -> String {
    let text = std::fs::read_to_string(bank()).expect("fixture");
    let moved = text.replace("as_of: 2026-11-24", &format!("as_of: {date}"));
    assert_ne!(moved, text, "the fixture's as_of moved");
    temp_file(dir, "bank.yaml", &moved)
}

mod snooze {
    use super::*;

    #[test]
    fn a_snoozed_move_and_warning_leave_the_advice_and_are_listed_with_reason_and_date() {
        let (code, report, _) = json_of(&["next", &bank(), "--format", "json"]);
        assert_eq!(code, 0);
        assert!(!concepts(&report["moves"]).contains(&"decision.reach_top".to_owned()));
        assert!(!concepts(&report["warnings"]).contains(&"temperature.overestimated".to_owned()));
        let snoozed = report["snoozed"].as_array().expect("`snoozed` list");
        assert_eq!(
            concepts(&report["snoozed"]),
            [
                "decision.reach_top",
                "temperature.overestimated",
                "risk.stale"
            ]
        );
        assert_eq!(snoozed[0]["until"], "2026-12-10");
        assert!(snoozed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("President Zhou is abroad"));
        assert_eq!(snoozed[0]["hides"][0]["kind"], "move");
        assert_eq!(snoozed[1]["hides"][0]["kind"], "warning");
        assert_eq!(snoozed[1]["hides"][0]["severity"], "high");
    }

    #[test]
    fn without_the_snoozes_the_same_deal_gets_that_advice() {
        // Guards the test above: the snoozed concepts really fire on this deal.
        let (_, report, _) = json_of(&[
            "next",
            &common::example("bank-core.yaml"),
            "--format",
            "json",
        ]);
        assert!(concepts(&report["moves"]).contains(&"decision.reach_top".to_owned()));
        assert!(concepts(&report["warnings"]).contains(&"temperature.overestimated".to_owned()));
        assert_eq!(report["snoozed"], Value::Array(vec![]));
    }

    #[test]
    fn the_advice_returns_on_the_snoozes_date_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        // The day before: both still hidden.
        let (_, report, _) = json_of(&["next", &bank_on(&dir, "2026-11-30"), "--format", "json"]);
        assert!(!concepts(&report["warnings"]).contains(&"temperature.overestimated".to_owned()));
        // On 12-01 the temperature snooze lapses; the decision-maker one holds to 12-10.
        let (_, report, _) = json_of(&["next", &bank_on(&dir, "2026-12-01"), "--format", "json"]);
        assert!(concepts(&report["warnings"]).contains(&"temperature.overestimated".to_owned()));
        assert!(!concepts(&report["moves"]).contains(&"decision.reach_top".to_owned()));
        assert_eq!(
            concepts(&report["snoozed"]),
            ["decision.reach_top", "risk.stale"]
        );
        let (_, report, _) = json_of(&["next", &bank_on(&dir, "2026-12-10"), "--format", "json"]);
        assert!(concepts(&report["moves"]).contains(&"decision.reach_top".to_owned()));
    }

    #[test]
    fn a_snooze_on_advice_that_does_not_fire_is_a_note_not_an_error() {
        let output = dealcoach().args(["next", &bank()]).output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        let text = stdout(&output);
        let section = text.split("\nSnoozed\n").nth(1).expect("a Snoozed section");
        assert!(section.contains("until 2026-12-10: President Zhou is abroad"));
        assert!(section.contains("Get in front of 周行长"), "{section}");
        let stale = section
            .lines()
            .skip_while(|line| !line.contains("risk.stale"))
            .nth(1)
            .expect("a line under risk.stale");
        assert!(stale.contains("nothing fires for it"), "{section}");
        let (_, report, _) = json_of(&["next", &bank(), "--format", "json"]);
        assert_eq!(report["snoozed"][2]["hides"], Value::Array(vec![]));
    }

    #[test]
    fn markdown_and_chinese_list_the_snoozes_in_their_own_words() {
        let output = dealcoach()
            .args(["next", &bank(), "--format", "markdown", "--lang", "zh"])
            .output()
            .unwrap();
        let text = stdout(&output);
        assert!(text.contains("### 暂缓"), "{text}");
        assert!(
            text.contains("2026-12-10前暂缓：President Zhou is abroad"),
            "{text}"
        );
        assert!(text.contains("这条暂缓可能已过时"), "{text}");
    }

    #[test]
    fn an_unknown_concept_is_a_located_error_with_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(bank()).unwrap();
        let typo = temp_file(
            &dir,
            "typo.yaml",
            &text.replace("concept: risk.stale", "concept: risk.stael"),
        );
        let output = dealcoach().args(["next", &typo]).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        let message = stderr(&output);
        let line = text
            .lines()
            .position(|line| line.contains("concept: risk.stale"))
            .unwrap()
            + 1;
        assert!(
            message.contains(&format!("typo.yaml:{line}:14:")),
            "{message}"
        );
        assert!(message.contains("did you mean `risk.stale`?"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
    }

    #[test]
    fn a_snooze_without_a_date_or_reason_is_refused_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        for (entry, expected) in [
            (
                "{concept: risk.stale, reason: later}",
                "missing field `until`",
            ),
            (
                "{concept: risk.stale, until: 2026-12-40, reason: later}",
                "snoozed[0].until",
            ),
            (
                "{concept: risk.stale, until: 2026-12-10, reason: ''}",
                "may not be empty",
            ),
            (
                "{concept: risk.stale, until: 2026-12-10, reason: x, by: me}",
                "unknown field `by`",
            ),
        ] {
            let deal = temp_file(
                &dir,
                "deal.yaml",
                &format!("deal: {{id: d, name: D, as_of: 2026-11-24}}\nsnoozed:\n  - {entry}\n"),
            );
            let output = dealcoach().args(["next", &deal]).output().unwrap();
            assert_eq!(output.status.code(), Some(2), "{entry}");
            let message = stderr(&output);
            assert!(message.contains("deal.yaml:3:"), "{entry}: {message}");
            assert!(message.contains(expected), "{entry}: {message}");
        }
    }

    /// One concept, one snooze: two would disagree on the date or the reason.
    #[test]
    fn a_concept_snoozed_twice_is_a_located_error() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(bank()).unwrap();
        let twice = temp_file(
            &dir,
            "twice.yaml",
            &text.replace("  - concept: risk.stale", "  - concept: decision.reach_top"),
        );
        let output = dealcoach().args(["next", &twice]).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stdout(&output), "");
        let line = text
            .lines()
            .position(|line| line == "  - concept: risk.stale")
            .expect("the fixture snoozes risk.stale")
            + 1;
        let message = stderr(&output);
        assert!(
            message.contains(&format!("twice.yaml:{line}:14:")),
            "{message}"
        );
        assert!(
            message.contains("`decision.reach_top` is already snoozed"),
            "{message}"
        );
    }

    /// On ACME, reaching 李总 (never met) is a step of the move about his budget objection;
    /// snoozing it ("he is abroad") takes the step out of that move and lists it as hidden
    /// — not as a snooze with nothing to hide — in `next` and in the review's count.
    #[test]
    fn a_snoozed_step_leaves_its_merged_move_and_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(common::contract_example("acme-erp.yaml")).unwrap();
        let deal = temp_file(
            &dir,
            "acme.yaml",
            &format!(
                "{}\nsnoozed:\n  - {{concept: decision.reach_top, until: 2026-12-10, reason: 李总 is abroad}}\n",
                text.trim_end()
            ),
        );
        let (code, report, errors) = json_of(&["next", &deal, "--format", "json"]);
        assert_eq!(code, 0, "{errors}");
        let said: Vec<&str> = report["moves"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|advice| {
                let steps = advice["steps"].as_array().into_iter().flatten();
                std::iter::once(&advice["concept"]).chain(steps.map(|step| &step["concept"]))
            })
            .filter_map(Value::as_str)
            .collect();
        assert!(said.contains(&"objection.no_budget"), "{said:?}");
        assert!(!said.contains(&"decision.reach_top"), "{said:?}");
        assert_eq!(
            report["snoozed"][0]["hides"],
            json!([{"kind": "step", "title": "Get in front of 李总, the top decision maker", "rule": "decision.reach_top"}])
        );
        let output = dealcoach()
            .args(["next", &deal, "--lang", "en"])
            .output()
            .unwrap();
        let text = stdout(&output);
        assert!(!text.contains("nothing fires for it"), "{text}");
        let (_, review, _) = json_of(&["review", &deal, "--format", "json"]);
        assert_eq!(review["deals"][0]["snoozed"], 1);
    }

    #[test]
    fn review_ranks_by_what_is_not_snoozed_and_counts_the_snoozed() {
        let (_, snoozed, _) = json_of(&["review", &bank(), "--format", "json"]);
        let (_, plain, _) = json_of(&[
            "review",
            &common::example("bank-core.yaml"),
            "--format",
            "json",
        ]);
        let row = &snoozed["deals"][0];
        assert_eq!(row["snoozed"], 2);
        assert_eq!(plain["deals"][0]["snoozed"], 0);
        assert!(
            row["risk"].as_u64().unwrap() < plain["deals"][0]["risk"].as_u64().unwrap(),
            "a snoozed warning no longer adds risk: {} vs {}",
            row["risk"],
            plain["deals"][0]["risk"]
        );
        assert!(!row["warnings"]
            .as_array()
            .unwrap()
            .contains(&Value::from("temperature.overestimated")));
        assert_eq!(snoozed["summary"]["snoozed"]["items"], 2);
        assert_eq!(snoozed["summary"]["snoozed"]["deals"], 1);
        let output = dealcoach().args(["review", &bank()]).output().unwrap();
        assert!(stdout(&output).contains("2 items on 1 deal snoozed, not counted in the risk"));
    }
}

mod owners {
    use super::*;

    #[test]
    fn review_totals_deals_amount_and_high_risk_per_owner() {
        let (code, review, _) = json_of(&["review", &fixture("pipeline"), "--format", "json"]);
        assert_eq!(code, 0);
        let owners = review["owners"].as_array().expect("`owners`");
        let names: Vec<&str> = owners
            .iter()
            .map(|o| o["owner"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Li Wei", "Zhang Min"]);
        let li = &owners[0];
        assert_eq!(li["deals"], 2);
        // Gobi Solar (600K, no currency written) is high risk; the bank deal is not.
        assert_eq!(li["high_risk"], 1);
        assert_eq!(
            li["amounts"],
            serde_json::json!([
                {"currency": null, "amount": 600000},
                {"currency": "CNY", "amount": 2400000}
            ])
        );
        assert_eq!(owners[1]["deals"], 1);
        assert_eq!(owners[1]["high_risk"], 0);
        for row in review["deals"].as_array().unwrap() {
            assert!(row["owner"].is_string(), "{row}");
        }
    }

    #[test]
    fn owner_filter_keeps_only_that_owners_deals_ignoring_case() {
        let (_, review, _) = json_of(&[
            "review",
            &fixture("pipeline"),
            "--owner",
            " li wei ",
            "--format",
            "json",
        ]);
        let ids: Vec<&str> = review["deals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["gobi-solar-monitoring", "pearl-bank-core-2027"]);
        assert_eq!(review["summary"]["deals"], 2);
        assert_eq!(review["owners"].as_array().unwrap().len(), 1);
        let output = dealcoach()
            .args(["review", &fixture("pipeline"), "--owner", "Zhang Min"])
            .output()
            .unwrap();
        let text = stdout(&output);
        assert!(text.contains("(only owner = Zhang Min)"), "{text}");
        assert!(text.contains("Zhang Min: 1 deal, 950K"), "{text}");
    }

    #[test]
    fn deals_without_an_owner_are_totalled_last_and_an_empty_owner_is_refused() {
        let (_, review, _) = json_of(&["review", &fixture("duplicates"), "--format", "json"]);
        assert_eq!(review["owners"][0]["owner"], Value::Null);
        let dir = tempfile::tempdir().unwrap();
        let deal = temp_file(&dir, "deal.yaml", "deal: {id: d, name: D, owner: '  '}\n");
        let output = dealcoach().args(["next", &deal]).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr(&output).contains("deal.yaml:1:"),
            "{}",
            stderr(&output)
        );
    }
}

mod integrity {
    use super::*;

    #[test]
    fn tied_risks_rank_by_amount_then_id_not_file_order() {
        let (_, review, _) = json_of(&["review", &fixture("ties"), "--format", "json"]);
        let rows = review["deals"].as_array().unwrap();
        let risks: Vec<u64> = rows.iter().map(|r| r["risk"].as_u64().unwrap()).collect();
        assert!(
            risks.windows(2).all(|pair| pair[0] == pair[1]),
            "a tie: {risks:?}"
        );
        let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["tie-b-large", "tie-a-small", "tie-c-none"]);
        let (_, top, _) = json_of(&["review", &fixture("ties"), "--top", "1", "--format", "json"]);
        assert_eq!(top["deals"][0]["id"], "tie-b-large");
    }

    #[test]
    fn a_deal_id_read_twice_is_an_error_naming_both_files_and_the_rest_is_reviewed() {
        let (code, review, _) = json_of(&["review", &fixture("duplicates"), "--format", "json"]);
        assert_eq!(code, 1);
        let ids: Vec<&str> = review["deals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["harbor-crm", "lake-erp"], "reviewed once each");
        assert_eq!(review["deals"][0]["name"], "Harbor CRM rollout");
        let errors = review["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1);
        let message = errors[0]["message"].as_str().unwrap();
        assert!(message.contains("two.yaml"), "{message}");
        assert!(message.contains("one.yaml"), "{message}");
        assert!(message.contains("`harbor-crm`"), "{message}");
        assert_eq!(review["owners"][0]["deals"], 2);
        let output = dealcoach()
            .args(["review", &fixture("duplicates")])
            .output()
            .unwrap();
        let headline = stdout(&output)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            headline,
            "Pipeline review: 2 deals, 1 deal id read twice (the first copy reviewed)"
        );
    }

    /// The first copy's place comes back whole (file and line), though only a
    /// fingerprint of each id is kept while the pipeline is read.
    #[test]
    fn a_deal_id_twice_in_a_list_file_names_the_first_entrys_line() {
        let dir = tempfile::tempdir().unwrap();
        let list = temp_file(
            &dir,
            "list.yaml",
            "- deal: {id: alpha, name: Alpha}\n- deal: {id: beta, name: Beta}\n- deal: {id: alpha, name: Alpha again}\n",
        );
        let (code, review, _) = json_of(&["review", &list, "--format", "json"]);
        assert_eq!(code, 1);
        let errors = review["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0]["message"],
            format!(
                "{list}:3: deal id `alpha` is also in {list}:1: reviewed once, from there — give each deal its own id or remove the copy"
            )
        );
        let names: Vec<&str> = review["deals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"Alpha") && !names.contains(&"Alpha again"),
            "{names:?}"
        );
    }

    #[test]
    fn the_review_json_is_byte_identical_across_runs() {
        let run = || {
            dealcoach()
                .args([
                    "review",
                    &fixture("pipeline"),
                    &fixture("ties"),
                    "--format",
                    "json",
                ])
                .output()
                .unwrap()
                .stdout
        };
        assert_eq!(run(), run());
    }

    /// Risk has no ceiling (issue 17): a capped score tied every deal with enough trouble
    /// at 100, so the worst deal of the examples ranked with one that had fewer risks.
    #[test]
    fn risk_has_no_ceiling_so_more_risks_rank_higher() {
        let pipeline = root().join("examples/pipeline").display().to_string();
        let (_, review, _) = json_of(&["review", &pipeline, "--top", "2", "--format", "json"]);
        let rows = review["deals"].as_array().unwrap();
        let first = rows[0]["risk"].as_u64().unwrap();
        let second = rows[1]["risk"].as_u64().unwrap();
        assert!(first > 100, "the worst deal is over 100: {first}");
        assert!(first > second, "no tie at the top: {first} vs {second}");
        assert_eq!(rows[0]["id"], "fintech-risk");
    }

    /// "High risk" is playbook data: moving `settings.risk_levels.high` moves the owner
    /// totals, and a level that is not a number is refused at its place.
    #[test]
    fn the_high_risk_level_is_a_setting() {
        let folder = common::exported_playbooks();
        let file = folder.path().join("playbooks/portfolio.yaml");
        let text = std::fs::read_to_string(&file).unwrap();
        let lowered = text.replace("risk_levels: {high: 70,", "risk_levels: {high: 1,");
        assert_ne!(lowered, text);
        std::fs::write(&file, &lowered).unwrap();
        let playbooks = folder.path().display().to_string();
        let (_, review, _) = json_of(&[
            "review",
            &fixture("pipeline"),
            "--playbooks",
            &playbooks,
            "--format",
            "json",
        ]);
        assert_eq!(review["owners"][0]["owner"], "Li Wei");
        assert_eq!(review["owners"][0]["high_risk"], 2, "{}", review["owners"]);
        std::fs::write(
            &file,
            text.replace("risk_levels: {high: 70,", "risk_levels: {high: lots,"),
        )
        .unwrap();
        let output = dealcoach()
            .args(["review", &fixture("pipeline"), "--playbooks", &playbooks])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let message = stderr(&output);
        assert!(message.contains("portfolio.yaml:"), "{message}");
        assert!(message.contains("risk_levels"), "{message}");
    }
}

/// `review --since PREVIOUS.json`: last week's review JSON (made here from
/// `examples/week/last-week/`, so it always matches the playbooks under test) against
/// `examples/week/this-week/`: the bank deal got safer, the solar deal riskier, the retail
/// deal is new and the clinics deal is gone.
mod since {
    use super::*;

    fn week(name: &str) -> String {
        root()
            .join("examples/week")
            .join(name)
            .display()
            .to_string()
    }

    /// `examples/week/last-week/` is the example deals as they stood a week before
    /// `this-week/`: the README's `diff` runs on `examples/deals/bank-core.yaml`, its
    /// `review --since` on `last-week/`, and the two must tell one story. Each file is
    /// its example deal under one line saying so.
    #[test]
    fn last_week_is_the_example_deals() {
        let folder = root().join("examples/week/last-week");
        let mut names: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
        for name in names {
            let copy = std::fs::read_to_string(folder.join(&name)).unwrap();
            let example = std::fs::read_to_string(root().join("examples/deals").join(&name))
                .unwrap_or_else(|_| panic!("{name:?} is one of examples/deals"));
            let (first, rest) = copy.split_once('\n').unwrap();
            assert!(first.starts_with("# examples/deals/"), "{name:?}: {first}");
            assert_eq!(rest, example, "{name:?} drifted from examples/deals");
        }
    }

    /// Last week's review, as `review --format json` wrote it, in `dir`.
    fn last_week(dir: &tempfile::TempDir) -> String {
        let output = dealcoach()
            .args(["review", &week("last-week"), "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        temp_file(dir, "last-week.json", &stdout(&output))
    }

    fn review_since(previous: &str, format: &str) -> std::process::Output {
        dealcoach()
            .args(["review", &week("this-week"), "--since", previous])
            .args(["--format", format])
            .output()
            .unwrap()
    }

    #[test]
    fn each_deal_carries_its_risk_change_and_top_move_then() {
        let dir = tempfile::tempdir().unwrap();
        let previous = last_week(&dir);
        let output = review_since(&previous, "json");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let review: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let row = |id: &str| {
            review["deals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|row| row["id"] == id)
                .unwrap_or_else(|| panic!("no row {id}"))
                .clone()
        };
        let bank = row("pearl-bank-core-2027");
        assert!(bank["risk_change"].as_i64().unwrap() < 0, "{bank}");
        assert_eq!(
            bank["risk_change"].as_i64().unwrap(),
            bank["risk"].as_i64().unwrap() - bank["risk_before"].as_i64().unwrap()
        );
        assert_eq!(bank["top_move_before"]["concept"], "decision.reach_top");
        assert_eq!(bank["top_move"]["concept"], "objection.no_hurry");
        let solar = row("gobi-solar-monitoring");
        assert!(solar["risk_change"].as_i64().unwrap() > 0, "{solar}");
        let retail = row("retail-crm");
        assert!(retail["risk_change"].is_null() && retail["top_move_before"].is_null());
        let since = &review["since"];
        assert_eq!(
            (
                &since["new"],
                &since["gone"],
                &since["risk_up"],
                &since["risk_down"]
            ),
            (&json!(1), &json!(1), &json!(1), &json!(1))
        );
        assert_eq!(since["gone_deals"][0]["id"], "sunrise-clinics-2026");
    }

    /// Last week's review was read in English; this week's is in Chinese: the top move
    /// then is named in Chinese by its concept, not quoted in English.
    #[test]
    fn a_review_in_another_language_names_the_top_move_then_in_this_one() {
        let dir = tempfile::tempdir().unwrap();
        let previous = last_week(&dir);
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&previous).unwrap()).unwrap();
        assert_eq!(
            written["lang"], "en",
            "a review says the language of its titles"
        );
        let this_week = week("this-week");
        let zh = common::Cli::new(["review", &this_week, "--since", &previous, "--lang", "zh"])
            .run()
            .succeeds();
        assert!(!zh.stdout.contains("Get in front of"), "{}", zh.stdout);
        zh.stdout_has("之前：");
        let en = common::Cli::new(["review", &this_week, "--since", &previous, "--lang", "en"])
            .run()
            .succeeds();
        en.stdout_has("before: Get in front of 周行长");
    }

    #[test]
    fn text_markdown_and_csv_show_the_change_too() {
        let dir = tempfile::tempdir().unwrap();
        let previous = last_week(&dir);
        let text = stdout(&review_since(&previous, "text"));
        assert!(text.contains("RISK     Δ  DEAL"), "{text}");
        assert!(text.contains("before: Get in front of 周行长"), "{text}");
        assert!(
            text.contains(": 1 new, 1 gone, 1 riskier, 1 less risky"),
            "{text}"
        );
        assert!(
            text.contains("Gone: Sunrise Clinics imaging rollout"),
            "{text}"
        );
        let markdown = stdout(&review_since(&previous, "markdown"));
        assert!(markdown.contains("| Risk | Δ |"), "{markdown}");
        assert!(markdown.contains("### Since the last review"), "{markdown}");
        let csv = review_since(&previous, "csv");
        let table = stdout(&csv);
        let header = table.lines().next().unwrap();
        assert!(
            header.ends_with(
                ",risk_change,risk_before,top_move_before_concept,top_move_before_title,before_unknown"
            ),
            "{header}"
        );
        assert!(table.contains(",decision.reach_top,"), "{table}");
        // The new deal: no risk change, and not one whose place then is unknown.
        let retail = table
            .lines()
            .find(|line| line.contains("Sunrise Retail CRM"))
            .unwrap();
        assert!(retail.ends_with(",,,,,false"), "{retail}");
        assert!(stderr(&csv).contains("1 new, 1 gone"), "{}", stderr(&csv));
        // Without --since nothing of this appears.
        let output = dealcoach()
            .args(["review", &week("this-week"), "--format", "json"])
            .output()
            .unwrap();
        assert!(!stdout(&output).contains("risk_change"));
    }

    /// Last week's review was cut to its riskiest deal: the deals it read but did not list
    /// are not new — their place then is unknown, and the review says why.
    #[test]
    fn a_cut_review_marks_the_deals_it_left_out_unknown_not_new() {
        let dir = tempfile::tempdir().unwrap();
        let output = dealcoach()
            .args([
                "review",
                &week("last-week"),
                "--format",
                "json",
                "--top",
                "1",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let cut = temp_file(&dir, "top-1.json", &stdout(&output));
        let listed: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let listed_id = listed["deals"][0]["id"].as_str().unwrap().to_owned();

        let review: Value = serde_json::from_str(&stdout(&review_since(&cut, "json"))).unwrap();
        let since = &review["since"];
        assert_eq!(
            (
                &since["new"],
                &since["unknown"],
                &since["previous_listed"],
                &since["previous_read"]
            ),
            (&json!(0), &json!(2), &json!(1), &json!(3)),
            "{since}"
        );
        for row in review["deals"].as_array().unwrap() {
            let listed_then = row["id"] == listed_id.as_str();
            assert_eq!(row["before_unknown"], json!(!listed_then), "{row}");
            assert_eq!(row["risk_change"].is_null(), !listed_then, "{row}");
        }

        let text = stdout(&review_since(&cut, "text"));
        assert!(text.contains(": 0 new, 0 gone"), "{text}");
        assert!(
            text.contains("listed 1 of the 3 deals it read (made with --top or a filter)"),
            "{text}"
        );
        assert!(!text.contains("   new  "), "no row says new: {text}");
        // In CSV an empty risk_change is new or unknown: the last column says which.
        let table = stdout(&review_since(&cut, "csv"));
        let mut rows = csv::Reader::from_reader(table.as_bytes());
        let header = rows.headers().unwrap().clone();
        let column = |name: &str| header.iter().position(|cell| cell == name).unwrap();
        let (id, change, unknown) = (
            column("id"),
            column("risk_change"),
            column("before_unknown"),
        );
        let mut seen = 0;
        for record in rows.records() {
            let record = record.unwrap();
            let listed_then = record[id] == listed_id;
            assert_eq!(
                &record[unknown],
                if listed_then { "false" } else { "true" },
                "{record:?}"
            );
            assert_eq!(record[change].is_empty(), !listed_then, "{record:?}");
            seen += 1;
        }
        assert_eq!(seen, 3, "{table}");
        // A full review lists every deal it read: no deal is unknown, none is said so.
        let full = last_week(&dir);
        let review: Value = serde_json::from_str(&stdout(&review_since(&full, "json"))).unwrap();
        assert_eq!(review["since"]["unknown"], json!(0));
        assert!(review["deals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["before_unknown"] == json!(false)));
        assert!(!stdout(&review_since(&full, "text")).contains("made with --top"));
    }

    #[test]
    fn a_previous_file_that_is_not_a_review_is_a_located_error() {
        let dir = tempfile::tempdir().unwrap();
        let next = dealcoach()
            .args(["next", &bank(), "--format", "json"])
            .output()
            .unwrap();
        let next_json = temp_file(&dir, "next.json", &stdout(&next));
        let bad_risk = temp_file(
            &dir,
            "bad.json",
            "{\"dealcoach\": \"0.1.0\",\n \"deals\": [{\"id\": \"x\", \"risk\": \"high\"}]}\n",
        );
        for (file, place, words) in [
            (&next_json, "next.json:1:1:", "no `deals` list"),
            (&bad_risk, "bad.json:2:", "expected u32"),
        ] {
            let output = review_since(file, "text");
            assert_eq!(output.status.code(), Some(2));
            assert_eq!(stdout(&output), "");
            let message = stderr(&output);
            assert!(message.contains(place), "{message}");
            assert!(message.contains(words), "{message}");
        }
    }

    #[test]
    fn the_json_since_is_byte_identical_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let previous = last_week(&dir);
        assert_eq!(
            review_since(&previous, "json").stdout,
            review_since(&previous, "json").stdout
        );
    }
}
