//! `dealcoach import` end to end (issue 18): a Salesforce export and a Chinese CRM's CSV
//! become snapshots that `next` and `review` read, bad rows are reported at their exact
//! line while the others are written, and a re-import over snapshots a rep has edited keeps
//! every edit.
//!
//! The Salesforce fixture (tests/fixtures/import/salesforce, made by
//! scripts/gen-salesforce-export.py) is a few hundred opportunities with the standard
//! picklists; the tests check the mapping against the CSV itself — every stage, every
//! single-role contact, every primary economic buyer — rather than against numbers copied
//! from one run, plus a few deals field by field. The mapped fixture is a 销售易-style
//! export (BOM, semicolons, 万元 amounts, Chinese dates, a row per contact) read through
//! the shipped example map, so the example stays valid too.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{root, Cli, Run};
use serde_yaml::Value;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/import").join(name)
}

fn salesforce_export() -> String {
    fixture("salesforce").display().to_string()
}

fn run(args: &[&str]) -> Run {
    Cli::new(args).run()
}

/// Every snapshot file of a folder: file name → text.
fn files(folder: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(folder)
        .expect("the folder exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).expect("a UTF-8 snapshot"),
            )
        })
        .collect()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("a written snapshot is YAML")
}

/// A CSV file of the fixture as rows of column → cell.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("the fixture is there");
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|record| {
            header
                .iter()
                .cloned()
                .zip(record.expect("a row").iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Imports the Salesforce fixture into a fresh folder (`deals` in it).
fn imported_salesforce(extra: &[&str]) -> (tempfile::TempDir, Run) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let out = folder.path().join("deals").display().to_string();
    let export = salesforce_export();
    let mut args = vec!["import", "salesforce", export.as_str(), "-o", out.as_str()];
    args.extend_from_slice(extra);
    (folder, run(&args))
}

fn deals_folder(folder: &tempfile::TempDir) -> PathBuf {
    folder.path().join("deals")
}

// ---------------------------------------------------------------------------------------
// Salesforce.

#[test]
fn salesforce_export_gives_one_snapshot_per_live_opportunity() {
    let (folder, output) = imported_salesforce(&[]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let opportunities = csv_rows(&fixture("salesforce/Opportunity.csv"));
    let live: BTreeSet<String> = opportunities
        .iter()
        .filter(|row| row["IsDeleted"] != "true")
        .map(|row| format!("{}.yaml", row["Id"]))
        .collect();
    assert!(live.len() >= 300, "the fixture is a few hundred deals");
    let written = files(&deals_folder(&folder));
    assert_eq!(written.keys().cloned().collect::<BTreeSet<_>>(), live);
    assert!(
        output
            .stdout
            .contains(&format!("imported {} deals", live.len())),
        "{}",
        output.stdout
    );
    // The default day is the export's newest modification, said once on stderr.
    assert!(
        output
            .stderr
            .contains("note: as_of is 2026-11-18, the newest LastModifiedDate"),
        "{}",
        output.stderr
    );
    assert!(output
        .stderr
        .contains("2 deleted opportunities (IsDeleted) left out"));
    for text in written.values() {
        assert!(text.contains("\n  as_of: 2026-11-18\n"), "{text}");
    }
}

#[test]
fn a_salesforce_deal_field_by_field() {
    let (folder, output) = imported_salesforce(&[]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let text = &files(&deals_folder(&folder))["006Dn0000OxDWJgIQO.yaml"];
    let expected = "\
version: 1
deal:
  id: 006Dn0000OxDWJgIQO
  name: Pearl River Bank – payroll cloud
  as_of: 2026-11-18
  amount: 3612000
  currency: EUR
  expected_close: 2026-09-21
  stage: won
  notes: Procurement is not in a hurry; the project may slip to next year.
account:
  name: Pearl River Bank
stakeholders:
- name: Priya Chen
  title: CIO
  role: technical_gatekeeper
- name: Ethan Khan
  title: IT Director
  role: decision_maker
  last_contact: 2026-09-15
- name: Kenji O'Brien
  title: CIO
  role: user
  last_contact: 2026-08-20
- name: Mia Tanaka
  title: Solution Architect
  role: technical_gatekeeper
  last_contact: 2026-11-07
activities:
- date: 2026-09-29
";
    assert!(text.ends_with(expected), "{text}");
    assert!(
        text.starts_with("# Imported by `dealcoach import`."),
        "{text}"
    );
}

#[test]
fn every_stage_maps_from_the_standard_picklist() {
    let (folder, _) = imported_salesforce(&[]);
    let written = files(&deals_folder(&folder));
    let standard: BTreeMap<&str, &str> = [
        ("Prospecting", "qualify"),
        ("Qualification", "qualify"),
        ("Needs Analysis", "develop"),
        ("Value Proposition", "develop"),
        ("Id. Decision Makers", "develop"),
        ("Perception Analysis", "develop"),
        ("Proposal/Price Quote", "propose"),
        ("Negotiation/Review", "negotiate"),
        ("Closed Won", "won"),
        ("Closed Lost", "lost"),
    ]
    .into_iter()
    .collect();
    let mut seen = BTreeSet::new();
    for row in csv_rows(&fixture("salesforce/Opportunity.csv")) {
        if row["IsDeleted"] == "true" {
            continue;
        }
        let snapshot = yaml(&written[&format!("{}.yaml", row["Id"])]);
        let expected = standard[row["StageName"].as_str()];
        assert_eq!(
            snapshot["deal"]["stage"].as_str(),
            Some(expected),
            "{}",
            row["Id"]
        );
        seen.insert(row["StageName"].clone());
        // Amount, close date and account come across as the CRM holds them.
        let amount: Option<f64> = row["Amount"].parse().ok();
        assert_eq!(snapshot["deal"]["amount"].as_f64(), amount, "{}", row["Id"]);
        assert_eq!(
            snapshot["deal"]["expected_close"].as_str(),
            Some(row["CloseDate"].as_str())
        );
    }
    assert_eq!(seen.len(), 10, "the fixture uses the whole picklist");
}

#[test]
fn contact_roles_become_stakeholders_with_one_top_decision_maker() {
    let (folder, _) = imported_salesforce(&[]);
    let written = files(&deals_folder(&folder));
    let role_of = |salesforce: &str| match salesforce {
        "Economic Buyer" | "Economic Decision Maker" | "Decision Maker" => Some("decision_maker"),
        "Technical Buyer" | "Evaluator" => Some("technical_gatekeeper"),
        "Business User" => Some("user"),
        "Influencer" | "Executive Sponsor" | "Other" => Some("influencer"),
        _ => None,
    };
    let contacts: BTreeMap<String, BTreeMap<String, String>> =
        csv_rows(&fixture("salesforce/Contact.csv"))
            .into_iter()
            .map(|row| (row["Id"].clone(), row))
            .collect();
    let mut roles_by_deal: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for row in csv_rows(&fixture("salesforce/OpportunityContactRole.csv")) {
        roles_by_deal
            .entry(row["OpportunityId"].clone())
            .or_default()
            .push(row);
    }
    let (mut checked_roles, mut checked_tops, mut namesakes) = (0, 0, 0);
    for (file, text) in &written {
        let snapshot = yaml(text);
        let people = snapshot["stakeholders"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        let tops: Vec<&Value> = people
            .iter()
            .filter(|person| person["top_decision_maker"].as_bool() == Some(true))
            .collect();
        assert!(tops.len() <= 1, "{file}: more than one top decision maker");
        let id = file.trim_end_matches(".yaml");
        let roles = roles_by_deal.get(id).cloned().unwrap_or_default();
        let contact_ids: BTreeSet<&str> =
            roles.iter().map(|row| row["ContactId"].as_str()).collect();
        assert_eq!(
            people.len(),
            contact_ids.len(),
            "{file}: one stakeholder per contact"
        );
        for contact_id in &contact_ids {
            let held: Vec<&BTreeMap<String, String>> = roles
                .iter()
                .filter(|row| row["ContactId"] == *contact_id)
                .collect();
            let contact = &contacts[*contact_id];
            let title = contact["Title"].as_str();
            let full_name = format!("{} {}", contact["FirstName"], contact["LastName"]);
            let chinese_name = format!("{}{}", contact["LastName"], contact["FirstName"]);
            // A namesake is told apart by title (`陈伟 (财务总监)`): look for that form
            // first, so two people of one name are never taken for each other.
            let candidates = [
                format!("{full_name} ({title})"),
                format!("{chinese_name} ({title})"),
                full_name.clone(),
                chinese_name.clone(),
            ];
            let person = candidates
                .iter()
                .find_map(|wanted| {
                    people
                        .iter()
                        .find(|person| person["name"].as_str() == Some(wanted.as_str()))
                })
                .unwrap_or_else(|| panic!("{file}: no stakeholder for {full_name}"));
            if person["name"]
                .as_str()
                .is_some_and(|name| name.ends_with(')'))
            {
                namesakes += 1;
            }
            if !title.is_empty() {
                assert_eq!(person["title"].as_str(), Some(title), "{file}");
            }
            if held.len() == 1 {
                assert_eq!(
                    person["role"].as_str(),
                    role_of(&held[0]["Role"]),
                    "{file}: {}",
                    held[0]["Role"]
                );
                checked_roles += 1;
            }
            let primary_role = held
                .iter()
                .find(|row| row["IsPrimary"] == "true")
                .map(|row| row["Role"].as_str());
            let should_be_top = matches!(
                primary_role,
                Some("Economic Buyer" | "Economic Decision Maker" | "Decision Maker")
            );
            assert_eq!(
                person["top_decision_maker"].as_bool() == Some(true),
                should_be_top,
                "{file}: {full_name} primary as {primary_role:?}"
            );
            checked_tops += usize::from(should_be_top);
        }
    }
    assert!(checked_roles > 500, "{checked_roles}");
    assert!(checked_tops > 100, "{checked_tops}");
    assert!(
        namesakes >= 2,
        "two people of one name are told apart by title"
    );
}

#[test]
fn imported_deals_are_coached_and_reviewed() {
    let (folder, output) = imported_salesforce(&[]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let out = deals_folder(&folder);
    let written = files(&out);
    // A won deal, an English open deal, a Chinese open deal, the namesakes' deal, and a
    // deal with no contact roles at all.
    let chinese = written
        .iter()
        .find(|(_, text)| text.contains("stage: propose") && text.contains("锦绣"))
        .map(|(file, _)| file.clone())
        .expect("a Chinese deal in propose");
    let without_people = written
        .iter()
        .find(|(_, text)| !text.contains("stakeholders:"))
        .map(|(file, _)| file.clone())
        .expect("a deal without contact roles");
    for file in [
        "006Dn0000OxDWJgIQO.yaml",
        "006Dn0000enflG6IAI.yaml",
        chinese.as_str(),
        without_people.as_str(),
    ] {
        let path = out.join(file).display().to_string();
        let next = run(&["next", &path, "--format", "json"]);
        assert_eq!(next.code, 0, "{file}: {}", next.stderr);
        let report: serde_json::Value = serde_json::from_str(&next.stdout).unwrap();
        assert_eq!(
            report["deal"]["id"].as_str(),
            Some(file.trim_end_matches(".yaml"))
        );
    }
    // The Description is read for objections and signals: "doesn't trust a new vendor".
    let no_trust = written
        .iter()
        .find(|(_, text)| text.contains("doesn't trust a new vendor"))
        .map(|(file, _)| out.join(file).display().to_string())
        .expect("a deal with that description");
    let next = run(&["next", &no_trust, "--format", "json", "--all"]);
    assert!(
        next.stdout.contains("objection.no_trust"),
        "{}",
        next.stdout
    );

    let folder_path = out.display().to_string();
    let review = run(&["review", &folder_path, "--format", "csv"]);
    assert_eq!(review.code, 0, "{}", review.stderr);
    // The round trip: the first column is the Opportunity Id the CRM matches on.
    let text = review.stdout.clone();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("id,name,account,"));
    let ids: BTreeSet<String> = lines
        .map(|line| format!("{}.yaml", line.split(',').next().unwrap()))
        .collect();
    assert_eq!(ids, written.keys().cloned().collect());
}

#[test]
fn a_missing_required_column_is_one_located_error_and_nothing_is_written() {
    let export = tempfile::tempdir().unwrap();
    std::fs::write(
        export.path().join("Opportunity.csv"),
        "Id,Name,Amount,Custom_Score__c\n006A,Deal A,100,7\n",
    )
    .unwrap();
    std::fs::write(
        export.path().join("Contact.csv"),
        "Id,FirstName,Email\n003A,Li,li@example.com\n",
    )
    .unwrap();
    let out = export.path().join("out");
    let output = run(&[
        "import",
        "salesforce",
        &export.path().display().to_string(),
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(output.code, 2);
    assert_eq!(output.stdout, "");
    let messages = output.stderr.clone();
    let opportunity = export.path().join("Opportunity.csv").display().to_string();
    let contact = export.path().join("Contact.csv").display().to_string();
    assert_eq!(
        messages,
        format!(
            "{contact}:1: missing column `LastName`\n{opportunity}:1: missing column `StageName`\n"
        )
    );
    assert!(
        !out.exists(),
        "nothing is written when the export cannot be read"
    );
}

#[test]
fn extra_columns_and_custom_stages_are_passed_over_with_a_note() {
    let export = tempfile::tempdir().unwrap();
    std::fs::write(
        export.path().join("OPPORTUNITY.CSV"),
        // Data Loader's capitals, a custom field, a custom stage, a closed custom stage.
        "ID,NAME,STAGENAME,AMOUNT,ISCLOSED,ISWON,CUSTOM_SCORE__C,LASTMODIFIEDDATE\n\
         006A,Deal A,Discovery,\"1,200\",false,false,7,2026-11-02T10:00:00.000Z\n\
         006B,Deal B,Signed,500,true,true,,2026-11-03T10:00:00.000Z\n\
         006C,Deal C,Discovery,,false,false,,\n",
    )
    .unwrap();
    let out = export.path().join("out");
    let (export_path, out_path) = (
        export.path().display().to_string(),
        out.display().to_string(),
    );
    let output = run(&["import", "salesforce", &export_path, "-o", &out_path]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output.stderr.contains(
            "note: stage `Discovery` is not in the standard picklist: 2 open opportunities have no `stage` (map it with --stages MAP.yaml"
        ),
        "{}",
        output.stderr
    );
    let written = files(&out);
    assert!(!written["006A.yaml"].contains("stage:"));
    assert!(written["006A.yaml"].contains("amount: 1200\n"));
    assert!(written["006A.yaml"].contains("as_of: 2026-11-03\n"));
    assert!(
        written["006B.yaml"].contains("stage: won\n"),
        "IsWon says so"
    );

    let stages = export.path().join("stages.yaml");
    std::fs::write(&stages, "Discovery: develop\nSigned: ~\n").unwrap();
    let output = run(&[
        "import",
        "salesforce",
        &export_path,
        "-o",
        &out_path,
        "--stages",
        &stages.display().to_string(),
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(!output.stderr.contains("not in the standard picklist"));
    let written = files(&out);
    assert!(written["006A.yaml"].contains("stage: develop\n"));
    assert!(written["006C.yaml"].contains("stage: develop\n"));

    std::fs::write(&stages, "Discovery: develpo\n").unwrap();
    let output = run(&[
        "import",
        "salesforce",
        &export_path,
        "-o",
        &out_path,
        "--stages",
        &stages.display().to_string(),
    ]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.starts_with(&format!(
            "{}:1:12: Discovery: unknown stage `develpo` — did you mean `develop`?",
            stages.display()
        )),
        "{}",
        output.stderr
    );
}

#[test]
fn a_bad_salesforce_row_is_reported_at_its_line_after_multi_line_descriptions() {
    let export = tempfile::tempdir().unwrap();
    for file in ["Account.csv", "Contact.csv", "OpportunityContactRole.csv"] {
        std::fs::copy(fixture("salesforce").join(file), export.path().join(file)).unwrap();
    }
    let original = std::fs::read_to_string(fixture("salesforce/Opportunity.csv")).unwrap();
    // The last live opportunity, after every multi-line Description in the file.
    let rows = csv_rows(&fixture("salesforce/Opportunity.csv"));
    let victim = rows
        .iter()
        .rev()
        .find(|row| row["IsDeleted"] == "false")
        .unwrap();
    let start = original.find(&format!("\"{}\"", victim["Id"])).unwrap();
    let line = original[..start].matches('\n').count() + 1;
    let amount = format!("\"{}\"", victim["Amount"]);
    let row_end = start + original[start..].find('\n').unwrap();
    let broken_row = original[start..row_end].replacen(&amount, "\"12,5\"", 1);
    assert_ne!(
        broken_row,
        original[start..row_end],
        "the row has an amount"
    );
    let broken = format!(
        "{}{}{}",
        &original[..start],
        broken_row,
        &original[row_end..]
    );
    std::fs::write(export.path().join("Opportunity.csv"), &broken).unwrap();
    let out = export.path().join("out");
    let output = run(&[
        "import",
        "salesforce",
        &export.path().display().to_string(),
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(output.code, 1);
    let path = export.path().join("Opportunity.csv").display().to_string();
    // The message points at the Amount cell itself: its line, and its column counted in
    // characters from the start of that line.
    let cell = start + broken_row.find("\"12,5\"").unwrap();
    let cell_line = broken[..cell].matches('\n').count() + 1;
    let line_start = broken[..cell].rfind('\n').map_or(0, |at| at + 1);
    let column = broken[line_start..cell].chars().count() + 1;
    assert_eq!(cell_line, line, "the row is on one line");
    assert!(
        output.stderr.starts_with(&format!(
            "{path}:{line}:{column}: `Amount`: `12,5` is not an amount"
        )),
        "line {line}, column {column}: {}",
        output.stderr
    );
    let written = files(&out);
    assert!(!written.contains_key(&format!("{}.yaml", victim["Id"])));
    assert_eq!(written.len(), 317, "every other deal is written");
}

// ---------------------------------------------------------------------------------------
// Any CRM's CSV through a map.

fn import_mapped(csv: &Path, map: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "import".to_owned(),
        "csv".to_owned(),
        csv.display().to_string(),
        "--map".to_owned(),
        map.display().to_string(),
        "-o".to_owned(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    Cli::new(&args).run()
}

#[test]
fn a_chinese_crm_export_through_the_example_map() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("deals");
    let output = import_mapped(
        &fixture("xiaoshouyi-opportunities.csv"),
        &root().join("examples/import/xiaoshouyi.yaml"),
        &out,
        &["--as-of", "2026-11-20"],
    );
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert_eq!(output.stderr, "");
    let written = files(&out);
    assert_eq!(written.len(), 12, "20 rows, a row per contact, 12 deals");
    let expected = "\
version: 1
deal:
  id: SJ-2026-0001
  name: 锦绣纺织 ERP 升级
  as_of: 2026-11-20
  amount: 1200000
  currency: CNY
  expected_close: 2027-01-15
  stage: propose
  next_step: 2026年12月5日 技术交流会
  notes: |-
    替换十年前的老 ERP，覆盖三个工厂。

    李总说今年预算已经用完了，明年再看。
    王工同意下周安排技术交流会。
account:
  name: 锦绣纺织集团
stakeholders:
- name: 李建国
  title: 总经理
  role: decision_maker
  top_decision_maker: true
- name: 王工
  title: IT总监
  role: technical_gatekeeper
  top_decision_maker: false
- name: 赵敏
  title: 财务经理
  role: influencer
  top_decision_maker: false
activities:
- date: 2026-11-15
";
    assert!(
        written["SJ-2026-0001.yaml"].ends_with(expected),
        "{}",
        written["SJ-2026-0001.yaml"]
    );
    let deal = |id: &str| yaml(&written[&format!("{id}.yaml")])["deal"].clone();
    // 万元, 亿, ¥ with separators, $; Chinese and slashed dates; 暂停 means no stage.
    assert_eq!(deal("SJ-2026-0002")["amount"].as_u64(), Some(3_600_000));
    assert_eq!(deal("SJ-2026-0003")["amount"].as_u64(), Some(855_000));
    assert_eq!(
        deal("SJ-2026-0003")["expected_close"].as_str(),
        Some("2027-03-31")
    );
    assert_eq!(deal("SJ-2026-0006")["amount"].as_u64(), Some(320_000_000));
    assert_eq!(deal("SJ-2026-0008")["amount"].as_u64(), Some(480_000));
    assert_eq!(deal("SJ-2026-0008")["currency"].as_str(), Some("USD"));
    assert_eq!(deal("SJ-2026-0004")["stage"].as_str(), Some("won"));
    assert_eq!(deal("SJ-2026-0007")["stage"].as_str(), Some("lost"));
    assert!(deal("SJ-2026-0010").get("stage").is_none());
    let people = yaml(&written["SJ-2026-0006.yaml"])["stakeholders"].clone();
    assert_eq!(people[1]["name"].as_str(), Some("黄行长"));
    assert_eq!(people[1]["top_decision_maker"].as_bool(), Some(true));

    let out_path = out.display().to_string();
    let review = run(&["review", &out_path, "--format", "csv"]);
    assert_eq!(review.code, 0, "{}", review.stderr);
    let next = run(&[
        "next",
        &out.join("SJ-2026-0001.yaml").display().to_string(),
        "--format",
        "json",
        "--all",
    ]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    // The follow-up log went into the notes and is read: 李总's budget is used up.
    assert!(
        next.stdout.contains("objection.no_budget"),
        "{}",
        next.stdout
    );
}

#[test]
fn the_hubspot_example_map_reads_a_hubspot_export() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("deals");
    let output = import_mapped(
        &fixture("hubspot-deals.csv"),
        &root().join("examples/import/hubspot.yaml"),
        &out,
        &["--as-of", "2026-11-20"],
    );
    assert_eq!(output.code, 0, "{}", output.stderr);
    let written = files(&out);
    assert_eq!(written.len(), 4);
    let acme = yaml(&written["9876543210.yaml"]);
    assert_eq!(
        acme["deal"]["id"].as_str(),
        Some("9876543210"),
        "an id stays text"
    );
    assert_eq!(acme["deal"]["stage"].as_str(), Some("develop"));
    assert_eq!(acme["deal"]["amount"].as_u64(), Some(48_000));
    assert_eq!(acme["deal"]["expected_close"].as_str(), Some("2027-01-31"));
    assert_eq!(acme["activities"][0]["date"].as_str(), Some("2026-11-12"));
    let initech = yaml(&written["9876543212.yaml"]);
    assert_eq!(initech["deal"]["stage"].as_str(), Some("won"));
    assert_eq!(initech["deal"]["amount"].as_f64(), Some(36_000.5));
}

#[test]
fn bad_rows_are_reported_at_their_exact_line_and_the_rest_written() {
    let folder = tempfile::tempdir().unwrap();
    let csv = folder.path().join("商机.csv");
    std::fs::write(
        &csv,
        "\u{feff}编号;名称;金额;阶段;签单日期;备注\n\
         A-1;好的商机;120万;赢单;2026年12月1日;\"第一行\n第二行\"\n\
         A-2;金额错;12,5;赢单;2026-12-01;x\n\
         A-3;日期错;100;赢单;11/20/2026;y\n\
         A-4;阶段错;100;丢单了;2026-12-01;z\n\
         ;没有编号;100;赢单;2026-12-01;\n\
         A-6;\"两行\n的名称\";100;方案报价;2026/12/1;ok\n\
         A-7;短行\n\
         A-8;好的;¥1,000;方案报价;2026/12/1;ok\n",
    )
    .unwrap();
    let map = folder.path().join("map.yaml");
    std::fs::write(
        &map,
        "deal.id: 编号\ndeal.name: 名称\ndeal.amount: 金额\ndeal.stage: {column: 阶段, values: {方案报价: propose}}\ndeal.expected_close: 签单日期\ndeal.notes: 备注\n",
    )
    .unwrap();
    let out = folder.path().join("deals");
    let output = import_mapped(&csv, &map, &out, &["--as-of", "2026-11-20"]);
    assert_eq!(output.code, 1, "{}", output.stderr);
    let file = csv.display().to_string();
    let lines: Vec<String> = output
        .stderr
        .lines()
        .filter(|line| !line.contains(": note: "))
        .map(|line| line.replacen(&file, "FILE", 1))
        .collect();
    assert_eq!(
        lines,
        [
            "FILE:4:9: `金额` (deal.amount): `12,5` is not an amount: `,` must separate groups of three digits (1,200,000); write decimals with `.`",
            "FILE:5:16: `签单日期` (deal.expected_close): `11/20/2026` is not a date: write YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日 (a time after it is ignored)",
            &format!("FILE:6:13: `阶段` (deal.stage): unknown stage `丢单了` (allowed: qualify, develop, propose, negotiate, close, won, lost) — add it under `values:` of `deal.stage` in {}", map.display()),
            "FILE:7:1: `编号` (deal.id) is empty: every deal needs its CRM id",
            "FILE:10: this row has 2 cells but the header has 6 columns: the row is skipped",
        ],
        "{}",
        output.stderr
    );
    let written = files(&out);
    assert_eq!(
        written.keys().cloned().collect::<Vec<_>>(),
        ["A-1.yaml", "A-6.yaml", "A-8.yaml"]
    );
    let good = yaml(&written["A-1.yaml"]);
    assert_eq!(
        good["deal"]["stage"].as_str(),
        Some("won"),
        "a playbook alias"
    );
    assert_eq!(good["deal"]["notes"].as_str(), Some("第一行\n第二行"));
    assert_eq!(
        yaml(&written["A-8.yaml"])["deal"]["amount"].as_u64(),
        Some(1000)
    );
}

#[test]
fn a_gbk_export_is_refused_with_the_way_to_convert_it() {
    let folder = tempfile::tempdir().unwrap();
    let csv = folder.path().join("gbk.csv");
    // "商机编号,商机名称\nSJ-1,华东电网\n" as Excel saves it on a Chinese Windows (GBK).
    std::fs::write(
        &csv,
        b"\xc9\xcc\xbb\xfa\xb1\xe0\xba\xc5,\xc9\xcc\xbb\xfa\xc3\xfb\xb3\xc6\nSJ-1,\xbb\xaa\xb6\xab\xb5\xe7\xcd\xf8\n",
    )
    .unwrap();
    let map = folder.path().join("map.yaml");
    std::fs::write(&map, "deal.id: 商机编号\ndeal.name: 商机名称\n").unwrap();
    let out = folder.path().join("deals");
    let output = import_mapped(&csv, &map, &out, &[]);
    assert_eq!(output.code, 2);
    let message = output.stderr.clone();
    assert!(
        message.starts_with(&format!(
            "{}:1: the file is not UTF-8: it looks like GBK/GB18030",
            csv.display()
        )),
        "{message}"
    );
    assert!(message.contains("iconv -f GB18030 -t UTF-8"), "{message}");
    assert!(!out.exists());
}

#[test]
fn a_map_mistake_points_at_its_line_in_the_map() {
    let folder = tempfile::tempdir().unwrap();
    let csv = folder.path().join("deals.csv");
    std::fs::write(&csv, "编号,名称,阶段\nA,Deal,赢单\n").unwrap();
    let map = folder.path().join("map.yaml");
    std::fs::write(&map, "deal.id: 编号\ndeal.name: 名称\ndeal.stgae: 阶段\n").unwrap();
    let output = import_mapped(&csv, &map, &folder.path().join("out"), &[]);
    assert_eq!(output.code, 2);
    assert!(
        output.stderr.starts_with(&format!(
            "{}:3:1: unknown snapshot field `deal.stgae` — did you mean `deal.stage`?",
            map.display()
        )),
        "{}",
        output.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Re-import, dry run, determinism, links.

/// Whether this build's snapshots take `snoozed` (issue 17); the re-import test adds a
/// snooze when they do.
fn snapshots_take_snoozes() -> bool {
    let folder = tempfile::tempdir().unwrap();
    let deal = folder.path().join("d.yaml");
    std::fs::write(
        &deal,
        "deal: {id: x, name: X, as_of: 2026-11-20}\nsnoozed: [{concept: risk.stale, until: 2026-12-10, reason: waiting}]\n",
    )
    .unwrap();
    run(&["next", &deal.display().to_string()]).code == 0
}

#[test]
fn a_reimport_keeps_every_edit_a_rep_made_and_updates_the_crm_fields() {
    let (folder, output) = imported_salesforce(&["--as-of", "2026-11-18"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let out = deals_folder(&folder);
    let deal = out.join("006Dn0000OxDWJgIQO.yaml");
    // The rep's edits: a stance and influence, notes of their own after the CRM's text,
    // a signal, a question, an activity, information, and (when the build knows it) a snooze.
    let snooze = snapshots_take_snoozes();
    let edited = std::fs::read_to_string(&deal)
        .unwrap()
        .replace(
            "  role: technical_gatekeeper\n- name: Ethan Khan",
            "  role: technical_gatekeeper\n  influence: 8\n  stance: champion\n  met: true\n- name: Ethan Khan",
        )
        .replace(
            "  notes: Procurement is not in a hurry; the project may slip to next year.\n",
            "  notes: |-\n    Procurement is not in a hurry; the project may slip to next year.\n    Rep: Priya says the CFO is the real blocker.\n  temperature: 40\n",
        )
        .replace(
            "activities:\n- date: 2026-09-29\n",
            "information:\n  competitors: partial\nsignals:\n- type: agreed_tech_exchange\n  from: Priya Chen\n  date: 2026-11-10\nquestions:\n- type: problem\n  text: Where does payroll break today?\nactivities:\n- date: 2026-09-29\n- date: 2026-11-12\n  type: visit\n  with: [Priya Chen]\n  note: Priya agreed to a pilot.\n",
        )
        + if snooze {
            "snoozed:\n- concept: risk.stale\n  until: 2026-12-10\n  reason: customer on holiday\n"
        } else {
            ""
        };
    std::fs::write(&deal, &edited).unwrap();
    let rep_snapshot = yaml(&edited);
    assert_eq!(
        rep_snapshot["signals"][0]["from"].as_str(),
        Some("Priya Chen")
    );

    // The CRM moved on: new amount, a longer description, a new close date.
    let export = tempfile::tempdir().unwrap();
    for file in ["Account.csv", "Contact.csv", "OpportunityContactRole.csv"] {
        std::fs::copy(fixture("salesforce").join(file), export.path().join(file)).unwrap();
    }
    let opportunities = std::fs::read_to_string(fixture("salesforce/Opportunity.csv")).unwrap();
    let changed = opportunities.replacen(
        "\"Procurement is not in a hurry; the project may slip to next year.\",\"Closed Won\",\"3612000.00\",\"100\",\"3612000.00\",\"\",\"2026-09-21\"",
        "\"Procurement is not in a hurry; the project may slip to next year. The CFO now wants a pilot first.\",\"Closed Won\",\"3700000.00\",\"100\",\"3700000.00\",\"\",\"2026-09-30\"",
        1,
    );
    assert_ne!(
        changed, opportunities,
        "the fixture row is where the test expects it"
    );
    std::fs::write(export.path().join("Opportunity.csv"), changed).unwrap();
    let export_path = export.path().display().to_string();
    let out_path = out.display().to_string();

    // A dry run shows the change and writes nothing.
    let before: BTreeMap<String, String> = files(&out);
    let dry = run(&[
        "import",
        "salesforce",
        &export_path,
        "-o",
        &out_path,
        "--as-of",
        "2026-11-18",
        "--dry-run",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(files(&out), before, "a dry run writes nothing");
    let report = dry.stdout.clone();
    assert!(
        report.contains(&format!("{}: 3 changes\n", deal.display())),
        "{report}"
    );
    assert!(
        report.contains("  ~ deal.amount: 3612000 → 3700000\n"),
        "{report}"
    );
    assert!(
        report.contains("  ~ deal.expected_close: 2026-09-21 → 2026-09-30\n"),
        "{report}"
    );
    assert!(
        report.contains("  ~ deal.notes: …next year. ⏎ Rep: Priya says the CFO is the real blocker. → …next year. The CFO now wants a pilot first. ⏎ Rep: Priya…"),
        "{report}"
    );
    assert!(
        report.contains("dry run, nothing written: 318 deals into"),
        "{report}"
    );
    assert!(
        report.contains(": 0 new, 1 updated, 317 unchanged\n"),
        "{report}"
    );

    let real = run(&[
        "import",
        "salesforce",
        &export_path,
        "-o",
        &out_path,
        "--as-of",
        "2026-11-18",
    ]);
    assert_eq!(real.code, 0, "{}", real.stderr);
    let after = yaml(&std::fs::read_to_string(&deal).unwrap());
    // The CRM's fields are updated …
    assert_eq!(after["deal"]["amount"].as_u64(), Some(3_700_000));
    assert_eq!(after["deal"]["expected_close"].as_str(), Some("2026-09-30"));
    assert_eq!(
        after["deal"]["notes"].as_str(),
        Some("Procurement is not in a hurry; the project may slip to next year. The CFO now wants a pilot first.\nRep: Priya says the CFO is the real blocker.")
    );
    // … and everything the rep added is still there.
    let mut expected = rep_snapshot.clone();
    expected["deal"]["amount"] = after["deal"]["amount"].clone();
    expected["deal"]["expected_close"] = after["deal"]["expected_close"].clone();
    expected["deal"]["notes"] = after["deal"]["notes"].clone();
    assert_eq!(after, expected, "only the CRM's three changes differ");
    if snooze {
        assert_eq!(
            after["snoozed"][0]["reason"].as_str(),
            Some("customer on holiday")
        );
    }
    let next = run(&["next", &deal.display().to_string()]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    // Every other file is untouched.
    let now = files(&out);
    for (file, text) in &before {
        if !file.starts_with("006Dn0000OxDWJgIQO") {
            assert_eq!(&now[file], text, "{file}");
        }
    }
}

#[test]
fn the_same_export_gives_the_same_bytes() {
    let (first, output) = imported_salesforce(&[]);
    assert_eq!(output.code, 0);
    let (second, _) = imported_salesforce(&[]);
    let (first_files, second_files) = (files(&deals_folder(&first)), files(&deals_folder(&second)));
    assert_eq!(first_files.len(), 318);
    assert!(
        first_files == second_files,
        "two imports of one export differ"
    );

    // Importing again into the same folder changes nothing and says so.
    let out = deals_folder(&first).display().to_string();
    let again = run(&["import", "salesforce", &salesforce_export(), "-o", &out]);
    assert_eq!(again.code, 0);
    assert!(
        again
            .stdout
            .ends_with(": 0 new, 0 updated, 318 unchanged\n"),
        "{}",
        again.stdout
    );
    assert!(files(&deals_folder(&first)) == first_files);

    let (mapped_first, mapped_second) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for folder in [&mapped_first, &mapped_second] {
        let output = import_mapped(
            &fixture("xiaoshouyi-opportunities.csv"),
            &root().join("examples/import/xiaoshouyi.yaml"),
            folder.path(),
            &["--as-of", "2026-11-20"],
        );
        assert_eq!(output.code, 0);
    }
    assert!(files(mapped_first.path()) == files(mapped_second.path()));
}

#[cfg(unix)]
#[test]
fn import_never_writes_through_a_link() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("deals");
    std::fs::create_dir(&out).unwrap();
    let elsewhere = folder.path().join("elsewhere.yaml");
    std::fs::write(&elsewhere, "precious: true\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("SJ-2026-0001.yaml")).unwrap();
    let output = import_mapped(
        &fixture("xiaoshouyi-opportunities.csv"),
        &root().join("examples/import/xiaoshouyi.yaml"),
        &out,
        &["--as-of", "2026-11-20"],
    );
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains(&format!(
            "{}: is a link: import never writes through a link",
            out.join("SJ-2026-0001.yaml").display()
        )),
        "{}",
        output.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        "precious: true\n"
    );
    assert_eq!(
        files(&out).len(),
        12,
        "the link is still there beside the 11 others"
    );
}

#[test]
fn a_rep_file_that_no_longer_reads_is_left_alone() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("deals");
    let first = import_mapped(
        &fixture("xiaoshouyi-opportunities.csv"),
        &root().join("examples/import/xiaoshouyi.yaml"),
        &out,
        &["--as-of", "2026-11-20"],
    );
    assert_eq!(first.code, 0);
    let deal = out.join("SJ-2026-0002.yaml");
    let broken = std::fs::read_to_string(&deal)
        .unwrap()
        .replace("stakeholders:", "stakholders:");
    std::fs::write(&deal, &broken).unwrap();
    let again = import_mapped(
        &fixture("xiaoshouyi-opportunities.csv"),
        &root().join("examples/import/xiaoshouyi.yaml"),
        &out,
        &["--as-of", "2026-11-21"],
    );
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("unknown field `stakholders` — did you mean `stakeholders`? — the import left this file as it is"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_to_string(&deal).unwrap(), broken);
    assert!(
        again.stdout.contains("0 new, 11 updated"),
        "{}",
        again.stdout
    );
}

// ---------------------------------------------------------------------------------------
// `accounts` and CRM exports.

#[test]
fn accounts_passes_over_a_crm_exports_own_columns_with_one_note() {
    let folder = tempfile::tempdir().unwrap();
    let csv = folder.path().join("accounts.csv");
    std::fs::write(
        &csv,
        "Owner,name,revenue,profit,Region\nLi,ACME,\"1,000,000\",50000,East\nWu,Globex,200000,,West\n",
    )
    .unwrap();
    let output = run(&["accounts", &csv.display().to_string(), "--format", "csv"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert_eq!(
        output.stderr,
        format!("{}: note: columns ignored: Owner, Region\n", csv.display())
    );
    assert!(output.stdout.contains("\nACME,"));
}
