//! The portfolio views end to end: `review` must rank a real pipeline so that the deals a
//! manager should worry about (stale, single-threaded, never met the top decision maker)
//! come before healthy ones, count each risk across the pipeline correctly, and survive
//! bad files; `accounts` must classify a CRM export the way the method does (top tier,
//! quadrants, the three misjudgements) and reject a bad cell with its line and column.
//!
//! The fixtures are the project's own `examples/pipeline/` (23 deals) and
//! `examples/accounts.csv` (13 accounts). The built-in playbooks are still being refined,
//! so these tests check behaviour — which deals rank above which, which concepts fire —
//! never exact titles or scores; what a deal "is" (stale, single-threaded …) is read from
//! `dealcoach next` on that deal, not assumed.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{dealcoach, root, stderr, stdout, Cli};
use serde_json::Value;

fn pipeline() -> PathBuf {
    root().join("examples/pipeline")
}

fn accounts_csv() -> String {
    root().join("examples/accounts.csv").display().to_string()
}

/// Runs a command, returning (exit code, parsed JSON stdout, stderr).
fn json_of(args: &[&str]) -> (i32, Value, String) {
    let run = Cli::new(args).run();
    (run.code, run.json(), run.stderr)
}

fn review_json(extra: &[&str]) -> (i32, Value, String) {
    let path = pipeline().display().to_string();
    let mut args = vec!["review", path.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    json_of(&args)
}

fn deals(review: &Value) -> &Vec<Value> {
    review["deals"].as_array().expect("`deals` is a list")
}

fn risk_of(review: &Value) -> BTreeMap<String, u64> {
    deals(review)
        .iter()
        .map(|deal| {
            (
                deal["id"].as_str().unwrap().to_owned(),
                deal["risk"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every concept that fires on each example deal, as `next` reports it: id → concepts.
/// Computed once for all the tests of this file.
fn concepts_per_deal() -> &'static BTreeMap<String, BTreeSet<String>> {
    static CONCEPTS: std::sync::OnceLock<BTreeMap<String, BTreeSet<String>>> =
        std::sync::OnceLock::new();
    CONCEPTS.get_or_init(read_concepts_per_deal)
}

fn read_concepts_per_deal() -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(pipeline()).unwrap() {
        let path = entry.unwrap().path();
        let (_, report, _) = json_of(&["next", &path.display().to_string(), "--format", "json"]);
        let concepts = ["moves", "warnings"]
            .iter()
            .flat_map(|list| report[*list].as_array().unwrap().iter())
            .map(|advice| advice["concept"].as_str().unwrap().to_owned())
            .collect();
        out.insert(report["deal"]["id"].as_str().unwrap().to_owned(), concepts);
    }
    out
}

/// Deals written to be healthy: everyone met and on our side, recent contact, a next step.
const HEALTHY: [&str; 7] = [
    "steel-mes",
    "steel-ehs",
    "auto-plm",
    "energy-scada",
    "airline-crew",
    "bank-cards",
    "mining-iot",
];

mod review {
    //! Ranking, summary counts, filters, formats, and bad files in a pipeline.
    use super::*;

    #[test]
    fn stale_single_threaded_and_decision_maker_blind_deals_rank_above_healthy_ones() {
        let (code, review, err) = review_json(&[]);
        assert_eq!(code, 0, "{err}");
        assert!(
            deals(&review).len() >= 20,
            "the example pipeline has 20+ deals"
        );
        let risk = risk_of(&review);
        let concepts = concepts_per_deal();
        let danger = [
            "risk.stale",
            "relation.single_threaded",
            "decision.reach_top",
        ];
        // The fixture still means what it says: each kind of danger is present…
        for (deal, concept) in [
            ("logistics-tms", "risk.stale"),
            ("bank-branch", "risk.stale"),
            ("retail-crm", "relation.single_threaded"),
            ("textile-erp", "relation.single_threaded"),
            ("bank-core", "decision.reach_top"),
            ("pharma-erp", "decision.reach_top"),
            ("fintech-risk", "risk.stale"),
            ("fintech-risk", "relation.single_threaded"),
            ("fintech-risk", "decision.reach_top"),
        ] {
            assert!(
                concepts[deal].contains(concept),
                "{deal} should have {concept}"
            );
        }
        // … and the healthy deals have none of it.
        for deal in HEALTHY {
            for concept in danger {
                assert!(!concepts[deal].contains(concept), "{deal} has {concept}");
            }
        }
        let endangered: Vec<&String> = concepts
            .iter()
            .filter(|(_, fired)| danger.iter().any(|c| fired.contains(*c)))
            .map(|(deal, _)| deal)
            .collect();
        assert!(endangered.len() >= 6, "{endangered:?}");
        let healthiest_worry = endangered.iter().map(|deal| risk[*deal]).min().unwrap();
        let worst_healthy = HEALTHY.iter().map(|deal| risk[*deal]).max().unwrap();
        assert!(
            healthiest_worry > worst_healthy,
            "every endangered deal must outrank every healthy one: {risk:?}"
        );
    }

    #[test]
    fn rows_are_sorted_by_risk_then_amount_then_id_and_carry_the_contract_fields() {
        let (_, review, _) = review_json(&[]);
        let rows = deals(&review);
        for pair in rows.windows(2) {
            // Amounts are whole numbers in the fixtures; no amount ranks below any amount.
            let key = |row: &Value| {
                (
                    std::cmp::Reverse(row["risk"].as_u64().unwrap()),
                    std::cmp::Reverse(row["amount"].as_f64().map_or(-1, |a| a as i64)),
                    row["id"].as_str().unwrap().to_owned(),
                )
            };
            assert!(
                key(&pair[0]) <= key(&pair[1]),
                "{} before {}",
                pair[0]["id"],
                pair[1]["id"]
            );
        }
        for row in rows {
            for field in [
                "id",
                "name",
                "amount",
                "temperature",
                "risk",
                "top_move",
                "warnings",
            ] {
                assert!(row.get(field).is_some(), "row lacks `{field}`: {row}");
            }
            // Risk is a whole number from 0 up, without a ceiling: the points times the
            // phase factor, so a row's breakdown adds up to its risk.
            let points: f64 = row["risk_parts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|part| part["points"].as_f64().unwrap())
                .sum();
            let factor = row["phase_factor"].as_f64().unwrap();
            assert_eq!(
                row["risk"].as_u64().unwrap() as f64,
                (points * factor).round().max(0.0),
                "{row}"
            );
            if let Some(top) = row["top_move"].as_object() {
                assert!(top["concept"].is_string() && top["title"].is_string());
            }
        }
        assert_eq!(review["errors"], Value::Array(vec![]));
    }

    #[test]
    fn summary_counts_how_many_deals_each_risk_touches() {
        let (_, review, _) = review_json(&[]);
        let concepts = concepts_per_deal();
        let total = deals(&review).len();
        let summary = review["summary"]["concepts"].as_array().unwrap();
        assert!(!summary.is_empty());
        for line in summary {
            let concept = line["concept"].as_str().unwrap();
            let expected = concepts
                .values()
                .filter(|fired| fired.contains(concept))
                .count();
            assert_eq!(
                line["deals"].as_u64().unwrap() as usize,
                expected,
                "{concept}"
            );
            assert_eq!(line["of"].as_u64().unwrap() as usize, total);
            let text = line["text"].as_str().unwrap();
            assert!(
                text.contains(&format!("{expected} of {total}")),
                "the sentence carries the counts: {text}"
            );
        }
        // The headline risks are always summarised, in words.
        let find = |concept: &str| {
            summary
                .iter()
                .find(|line| line["concept"] == concept)
                .unwrap_or_else(|| panic!("{concept} is summarised"))
        };
        assert!(find("decision.reach_top")["text"]
            .as_str()
            .unwrap()
            .contains("never met their top decision maker"));
        find("risk.stale");
        find("relation.single_threaded");
    }

    #[test]
    fn summary_speaks_chinese_too() {
        let path = pipeline().display().to_string();
        let output = dealcoach()
            .args(["review", &path, "--lang", "zh"])
            .output()
            .unwrap();
        let text = stdout(&output);
        assert!(text.contains("从未见过最高决策者"), "{text}");
        assert!(text.contains("风险分如何计算"), "{text}");
    }

    #[test]
    fn text_table_fits_a_terminal_and_explains_the_score() {
        let path = pipeline().display().to_string();
        for lang in ["en", "zh"] {
            let output = dealcoach()
                .args(["review", &path, "--lang", lang])
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(0));
            let text = stdout(&output);
            for line in text.lines() {
                assert!(cells(line) <= 100, "{} cells: {line}", cells(line));
            }
            assert!(!text.contains('\x1b'), "no colour when not on a terminal");
        }
        let output = dealcoach().args(["review", &path]).output().unwrap();
        let text = stdout(&output);
        assert!(text.contains("How risk is scored"), "{text}");
        assert!(text.contains("settings.risk"), "{text}");
        assert!(
            text.contains("fintech-risk"),
            "the riskiest deal is explained: {text}"
        );
    }

    #[test]
    fn filters_narrow_the_rows_and_the_summary() {
        let (_, all, _) = review_json(&[]);
        let (_, bank, _) = review_json(&["--account", "pearl river BANK"]);
        let ids: BTreeSet<&str> = deals(&bank)
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            BTreeSet::from(["bank-branch", "bank-cards", "bank-core"])
        );
        assert_eq!(bank["summary"]["deals"], 3);

        let (_, risky, _) = review_json(&["--min-risk", "50"]);
        assert!(deals(&risky)
            .iter()
            .all(|d| d["risk"].as_u64().unwrap() >= 50));
        let expected = deals(&all)
            .iter()
            .filter(|d| d["risk"].as_u64().unwrap() >= 50)
            .count();
        assert_eq!(deals(&risky).len(), expected);

        let concepts = concepts_per_deal();
        let (_, single, _) = review_json(&["--concept", "relation.single_threaded"]);
        let got: BTreeSet<String> = deals(&single)
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect();
        let want: BTreeSet<String> = concepts
            .iter()
            .filter(|(_, fired)| fired.contains("relation.single_threaded"))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(got, want);

        let (_, top, _) = review_json(&["--top", "3"]);
        assert_eq!(deals(&top).len(), 3);
        assert_eq!(top["summary"]["deals"], all["summary"]["deals"]);
    }

    #[test]
    fn an_unknown_concept_filter_is_a_usage_error() {
        let path = pipeline().display().to_string();
        let output = dealcoach()
            .args(["review", &path, "--concept", "risk.stael"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        assert!(
            stderr(&output).contains("did you mean `risk.stale`"),
            "{}",
            stderr(&output)
        );
    }

    #[test]
    fn a_bad_file_is_one_error_entry_and_the_other_deals_are_still_reviewed() {
        let dir = tempfile::tempdir().unwrap();
        let copied = copy_pipeline(dir.path());
        std::fs::write(
            dir.path().join("broken.yaml"),
            "deal:\n  id: broken\n  name: Broken\n  stage: closing\n",
        )
        .unwrap();
        let path = dir.path().display().to_string();
        let (code, review, _) = json_of(&["review", &path, "--format", "json"]);
        assert_eq!(code, 1, "a bad file makes the exit code 1");
        assert_eq!(deals(&review).len(), copied);
        let errors = review["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0]["file"].as_str().unwrap().ends_with("broken.yaml"));
        let message = errors[0]["message"].as_str().unwrap();
        assert!(
            message.contains("broken.yaml:4:10:"),
            "file:line:col: {message}"
        );
        assert!(message.contains("closing"), "{message}");

        // Every format: the file's error on stderr, exit 1, and stdout holding the report
        // alone — text and Markdown count the file in the headline, JSON lists it under
        // `errors`, CSV has only rows. (It used to reach stderr for CSV only.)
        for format in ["text", "markdown", "json", "csv"] {
            let output = dealcoach()
                .args(["review", &path, "--format", format])
                .output()
                .unwrap();
            let (out, err) = (stdout(&output), stderr(&output));
            assert_eq!(output.status.code(), Some(1), "{format}: {err}");
            assert!(err.contains("broken.yaml:4:10:"), "{format}: {err}");
            match format {
                "json" => {
                    let report: Value = serde_json::from_str(&out).expect("stdout is JSON");
                    assert_eq!(report["errors"].as_array().map(Vec::len), Some(1));
                }
                "csv" => {
                    let rows = csv::Reader::from_reader(output.stdout.as_slice())
                        .records()
                        .collect::<Result<Vec<_>, _>>()
                        .expect("stdout is CSV");
                    assert_eq!(rows.len(), copied);
                }
                _ => {
                    assert!(!out.contains("broken.yaml"), "{format}: {out}");
                    assert!(out.contains("1 file could not be read"), "{format}: {out}");
                }
            }
        }
    }

    #[test]
    fn a_list_file_is_a_pipeline_and_its_errors_point_into_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipeline.yaml");
        std::fs::write(
            &path,
            "# three deals in one file\n\
             - deal: {id: one, name: One, as_of: 2026-11-20, stage: develop}\n\
             - deal:\n    id: two\n    name: Two\n    temperature: 140\n\
             - deal:\n    id: three\n    name: Three\n",
        )
        .unwrap();
        let (code, review, _) =
            json_of(&["review", &path.display().to_string(), "--format", "json"]);
        assert_eq!(code, 1);
        let ids: BTreeSet<&str> = deals(&review)
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, BTreeSet::from(["one", "three"]));
        let error = &review["errors"][0];
        assert_eq!(error["line"], 6, "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("pipeline.yaml:6:"),
            "{error}"
        );
    }

    #[test]
    fn folders_and_list_files_mix_and_markdown_is_a_table() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("more.yaml");
        std::fs::write(&list, "- deal: {id: extra, name: Extra deal}\n").unwrap();
        let output = dealcoach()
            .args([
                "review",
                &pipeline().display().to_string(),
                &list.display().to_string(),
                "--format",
                "markdown",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(text.contains("| Risk | Deal |"), "{text}");
        assert!(text.contains("`extra`"), "{text}");
        assert!(text.contains("`fintech-risk`"), "{text}");
    }

    /// Exports the built-in playbooks into a fresh folder, for a trainer-style edit.
    fn exported_playbooks() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let output = dealcoach()
            .args(["playbooks", "export", &dir.path().display().to_string()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        dir
    }

    #[test]
    fn the_risk_weights_are_the_playbooks_not_the_codes() {
        let playbooks = exported_playbooks();
        let settings = playbooks.path().join("playbooks/portfolio.yaml");
        let text = std::fs::read_to_string(&settings).unwrap();
        // A trainer who cares above all about presentation makes it the biggest risk.
        let edited = text.replace(
            "    points:\n",
            "    points:\n      tools.presentation: 100\n",
        );
        assert_ne!(edited, text, "portfolio.yaml has a `points:` table");
        std::fs::write(&settings, edited).unwrap();
        let folder = playbooks.path().display().to_string();
        let (code, review, err) = review_json(&["--playbooks", &folder]);
        assert_eq!(code, 0, "{err}");
        // Every deal on which that concept fires now carries those points.
        let edited_risk = risk_of(&review);
        let presented: Vec<&String> = concepts_per_deal()
            .iter()
            .filter(|(_, fired)| fired.contains("tools.presentation"))
            .map(|(deal, _)| deal)
            .collect();
        assert!(!presented.is_empty());
        for deal in presented {
            assert!(edited_risk[deal] >= 70, "{deal}: {}", edited_risk[deal]);
        }
    }

    #[test]
    fn a_playbook_folder_without_portfolio_settings_uses_the_built_in_ones() {
        let playbooks = exported_playbooks();
        std::fs::remove_file(playbooks.path().join("playbooks/portfolio.yaml")).unwrap();
        let folder = playbooks.path().display().to_string();
        let (code, review, err) = review_json(&["--playbooks", &folder]);
        assert_eq!(code, 0, "{err}");
        let (_, builtin, _) = review_json(&[]);
        assert_eq!(risk_of(&review), risk_of(&builtin));
    }

    #[test]
    fn a_missing_path_is_a_usage_error_with_nothing_on_stdout() {
        let output = dealcoach()
            .args(["review", "no/such/folder"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        assert!(stderr(&output).contains("no/such/folder"));
    }
}

mod accounts {
    //! Classification of the CRM export, misjudgements, bad cells, and accounts rolled up
    //! from a folder of deals.
    use super::*;

    fn accounts_json(path: &str) -> (i32, Value) {
        let (code, value, _) = json_of(&["accounts", path, "--format", "json"]);
        (code, value)
    }

    fn account<'a>(document: &'a Value, name: &str) -> &'a Value {
        document["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|account| account["name"] == name)
            .unwrap_or_else(|| panic!("no account {name}"))
    }

    fn warning_concepts(account: &Value) -> Vec<String> {
        account["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["concept"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_strategic_profitable_high_potential_account_sits_in_the_top_tier() {
        let (code, document) = accounts_json(&accounts_csv());
        assert_eq!(code, 0);
        assert!(document["accounts"].as_array().unwrap().len() >= 10);
        let top_tier = document["tiers"][0].clone();
        let huaxin = account(&document, "Huaxin Group");
        assert_eq!(huaxin["tier"], top_tier);
        assert_eq!(huaxin["indicators"]["revenue"]["rank"], 1);
        assert!(warning_concepts(huaxin).is_empty(), "{huaxin}");
        // Sorted by score, best first.
        let scores: Vec<f64> = document["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["score"].as_f64().unwrap_or(f64::NEG_INFINITY))
            .collect();
        assert!(
            scores.windows(2).all(|pair| pair[0] >= pair[1]),
            "{scores:?}"
        );
    }

    #[test]
    fn the_three_misjudged_key_accounts_each_get_their_warning() {
        let (_, document) = accounts_json(&accounts_csv());
        for (name, concept) in [
            ("锦绣纺织", "value.misjudge.one_off_large"),
            ("Metro Media", "value.misjudge.group_bulk"),
            ("Jade Chemicals", "value.misjudge.repeat_volume"),
        ] {
            let found = account(&document, name);
            let warning = found["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["concept"] == concept)
                .unwrap_or_else(|| panic!("{name} should get {concept}: {found}"));
            assert!(!warning["title"].as_str().unwrap().is_empty());
            assert!(!warning["why"].as_array().unwrap().is_empty(), "{warning}");
        }
        // The same patterns on accounts we do not treat as key accounts are no mistake.
        for name in ["Old Mill Paper", "Corner Bakery"] {
            let found = account(&document, name);
            assert!(
                !warning_concepts(found)
                    .iter()
                    .any(|c| c.starts_with("value.misjudge")),
                "{found}"
            );
        }
        // Collection and margin warnings come with their reasons.
        assert!(warning_concepts(account(&document, "Swift Logistics"))
            .contains(&"value.poor_collection".to_owned()));
        assert!(warning_concepts(account(&document, "Jade Chemicals"))
            .contains(&"value.thin_profit".to_owned()));
    }

    #[test]
    fn a_small_high_potential_account_has_its_own_quadrant() {
        let (_, document) = accounts_json(&accounts_csv());
        let quadrant = |name: &str| account(&document, name)["quadrant"].clone();
        let top = quadrant("Huaxin Group");
        let small_promising = quadrant("Pearl River Bank");
        let small_hopeless = quadrant("Corner Bakery");
        assert_ne!(small_promising, top);
        assert_ne!(small_promising, small_hopeless);
        assert_ne!(top, small_hopeless);
    }

    #[test]
    fn warnings_follow_the_output_language() {
        let output = dealcoach()
            .args(["accounts", &accounts_csv(), "--lang", "zh"])
            .output()
            .unwrap();
        let text = stdout(&output);
        assert!(text.contains("一次大额采购不等于大客户"), "{text}");
        for line in text.lines() {
            assert!(cells(line) <= 100, "{} cells: {line}", cells(line));
        }
    }

    #[test]
    fn a_bad_cell_is_exit_2_with_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.csv");
        std::fs::write(
            &path,
            "name,revenue,profit,collected,transactions,growth,strategic_fit,share_of_wallet_left,purchase_pattern,is_key_account\n\
             ACME,100000,10000,90000,3,5,5,5,strategic,true\n\
             Bolt,12k,10000,90000,3,5,5,5,strategic,true\n",
        )
        .unwrap();
        let output = dealcoach()
            .args(["accounts", &path.display().to_string()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        let message = stderr(&output);
        assert!(message.contains("crm.csv:3:6: `revenue`"), "{message}");
        assert!(message.contains("12k"), "{message}");
    }

    #[test]
    fn a_folder_of_deals_rolls_its_accounts_and_kpis_up() {
        let (code, document) = accounts_json(&pipeline().display().to_string());
        assert_eq!(code, 0);
        let bank = account(&document, "Pearl River Bank");
        assert_eq!(bank["deals"], 3);
        let kpi = &bank["kpi"];
        assert!(kpi["visits_30d"].as_u64().unwrap() >= 2, "{kpi}");
        // The visit target follows the tier (settings.kpi_by_tier): a tier-C account
        // is visited monthly.
        assert_eq!(bank["tier"], "C", "{bank}");
        assert_eq!(kpi["visit_target_30d"], 1);
        let missing_cards: Vec<&str> = kpi["key_contacts_without_vip_card"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(missing_cards.contains(&"周行长"), "{kpi}");
        let steel = account(&document, "East China Steel");
        assert_eq!(steel["deals"], 2);
        assert_eq!(steel["tier"], document["tiers"][0]);
        // Activities of both steel deals count; the one visit both share counts once.
        assert_eq!(steel["kpi"]["visits_30d"], 3, "{}", steel["kpi"]);
    }

    #[test]
    fn csv_and_markdown_formats_hold_every_account() {
        let output = dealcoach()
            .args(["accounts", &accounts_csv(), "--format", "csv"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
        let headers = reader.headers().unwrap().clone();
        assert!(headers.iter().any(|h| h == "revenue_rank"));
        assert_eq!(reader.records().count(), 13);
        let output = dealcoach()
            .args(["accounts", &accounts_csv(), "--format", "markdown"])
            .output()
            .unwrap();
        let text = stdout(&output);
        assert!(text.contains("| Tier | Score | Account |"), "{text}");
        assert!(text.contains("value.misjudge.group_bulk"), "{text}");
    }
}

/// Terminal cells of a line: CJK characters take two.
fn cells(line: &str) -> usize {
    line.chars()
        .map(|c| {
            let wide = matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF
                | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Copies the example pipeline into `dir`; returns how many deals it has.
fn copy_pipeline(dir: &Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(pipeline()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        count += 1;
    }
    count
}

/// A playbook file with one rule (see `common::rule_with`).
fn one_rule(id: &str, keys: &str, when: &str) -> String {
    format!("rules:\n{}", common::rule_with(id, keys, when))
}

/// A playbook folder holding `playbook` as its one file, and its path.
fn playbook_folder(playbook: &str) -> (tempfile::TempDir, String) {
    let dir = common::playbook_folder(playbook);
    let folder = dir.path().display().to_string();
    (dir, folder)
}

/// A review with the playbook folder holding `playbook`: (exit code, JSON, stderr).
fn review_with(playbook: &str) -> (i32, Value, String) {
    let (_dir, folder) = playbook_folder(playbook);
    review_json(&["--playbooks", folder.as_str()])
}

#[test]
fn a_setting_naming_a_concept_no_rule_produces_is_warned_about_once() {
    let (code, _, warnings) = review_with(&one_rule("never", "", "\"false\""));
    assert_eq!(code, 0, "{warnings}");
    // The built-in portfolio settings both weigh and summarise `decision.reach_top`.
    let named = warnings
        .lines()
        .filter(|line| line.contains("`decision.reach_top`"))
        .count();
    assert_eq!(named, 1, "{warnings}");
}

/// The one rule that failed in a review, and its example message.
fn only_failure(report: &Value) -> (String, String) {
    let failures = report["rule_failures"].as_array().expect("rule_failures");
    assert_eq!(failures.len(), 1, "{report}");
    (
        failures[0]["rule"].as_str().unwrap_or_default().to_owned(),
        failures[0]["example"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// `count:` is retired (the engine counts `for_each` itself): a folder that still writes
/// it is refused before any deal is read, saying to delete the line.
#[test]
fn a_retired_count_is_refused_with_the_fix() {
    let counted = "    for_each: \"[1, 2]\"\n    count: \"2\"\n";
    let (_dir, folder) = playbook_folder(&one_rule("stale.counted", counted, "\"true\""));
    let pipeline = pipeline();
    common::Cli::new([
        "review",
        pipeline.to_str().unwrap(),
        "--playbooks",
        folder.as_str(),
    ])
    .run()
    .rejected()
    .stderr_has("rule `stale.counted`: `count` is no longer read — the engine counts `for_each` itself; delete the line");
}

/// A rule whose `for_each` does not compile fails, by name, in a review.
#[test]
fn a_rule_with_a_broken_for_each_fails_in_a_review() {
    let broken = "    for_each: \"[1, 2\"\n";
    let (code, report, warnings) = review_with(&one_rule("each.broken", broken, "\"true\""));
    assert_eq!(code, 1, "{warnings}");
    assert_eq!(only_failure(&report).0, "each.broken");
}
