//! The sandbox and the engine under hostile or simply large input (issue 15): a trainer's
//! script must not hang a run, switch the limits off or make the output depend on the
//! machine's load, and the built-in method must not fail on a valid deal, however large.
//! Each test is named after the defect it guards against (`d1_…`). They run the built
//! binary on one-rule playbook folders and deals generated in the test; none depends on
//! timing to pass: a run that hangs is killed after a generous deadline and fails.

mod common;

use common::{example, playbook_folder, rule_with, Cli};
use serde_json::Value;
use tempfile::TempDir;

/// Runs dealcoach with `args`: (exit code, stdout, stderr). A run killed at the deadline
/// fails the test.
fn run(args: &[&str]) -> (i32, String, String) {
    let run = Cli::new(args).run();
    (run.code, run.stdout, run.stderr)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

fn folder(dir: &TempDir) -> &str {
    dir.path().to_str().unwrap()
}

/// `next DEAL --format json` with the playbook folder: (exit code, report, stderr).
fn next_json(deal: &str, playbooks: &TempDir) -> (i32, Value, String) {
    let (code, out, err) = run(&[
        "next",
        deal,
        "--playbooks",
        folder(playbooks),
        "--format",
        "json",
    ]);
    (code, json(&out), err)
}

/// The error entries of a report, as `id: message`.
fn errors(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .expect("`errors`")
        .iter()
        .map(|error| format!("{}: {}", error["id"].as_str().unwrap(), error["message"]))
        .collect()
}

/// The rule ids of a report's moves and warnings.
fn fired(report: &Value) -> Vec<String> {
    ["moves", "warnings"]
        .iter()
        .flat_map(|list| report[*list].as_array().unwrap().iter())
        .map(|advice| advice["rule"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A playbook folder of `rules` plus a `healthy` rule that always fires, with
/// `rules/extra.rhai` holding `script` when given.
fn with_healthy(rules: &str, script: Option<&str>) -> TempDir {
    let dir = playbook_folder(&format!(
        "rules:\n{rules}{}",
        rule_with("healthy", "", "\"true\"")
    ));
    if let Some(script) = script {
        std::fs::write(dir.path().join("rules/extra.rhai"), script).unwrap();
    }
    dir
}

// ---------------------------------------------------------------------------------------
// D1: `sleep()` escaped the sandbox.

#[test]
fn d1_sleep_cannot_hang_a_rule() {
    let dir = with_healthy(&rule_with("sleeper", "", "'sleep(1000000); true'"), None);
    let (code, report, err) = next_json(&example("solar-early.yaml"), &dir);
    assert_eq!(code, 1, "{err}");
    assert_eq!(fired(&report), ["healthy"]);
    let errors = errors(&report);
    assert!(
        errors.len() == 1 && errors[0].starts_with("sleeper: ") && errors[0].contains("sleep"),
        "{errors:?}"
    );
    // A review of a pipeline runs the same rule on every deal.
    let pipeline = common::root().join("examples/pipeline");
    let (code, out, _) = run(&[
        "review",
        pipeline.to_str().unwrap(),
        "--playbooks",
        folder(&dir),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(json(&out)["rule_failures"][0]["rule"], "sleeper");
}

#[test]
fn d1_check_reports_sleep_and_timestamp_as_unknown_functions() {
    let dir = with_healthy(
        &rule_with("sleeper", "", "'sleep(1000000); true'"),
        Some("fn waits() {\n    sleep(5);\n    timestamp()\n}\n"),
    );
    let (code, _, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("rule `sleeper`: `when` calls the unknown function `sleep`"),
        "{err}"
    );
    assert!(
        err.contains("rules/extra.rhai:2:5: calls the unknown function `sleep`"),
        "{err}"
    );
    assert!(
        err.contains("rules/extra.rhai:3:5: calls the unknown function `timestamp`"),
        "{err}"
    );
}

#[test]
fn d1_sleep_at_the_top_level_of_a_script_is_a_located_error_not_a_hang() {
    let dir = with_healthy("", Some("sleep(1000000);\nfn helper() { 1 }\n"));
    let (code, out, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("rules/extra.rhai:1:1: the statements outside functions failed while loading: function not found: sleep"),
        "{err}"
    );
    assert!(
        err.contains("rules/extra.rhai:1:1: calls the unknown function `sleep`"),
        "{err}"
    );
    assert!(out.contains(": 2 errors"), "{out}");
    let (code, out, err) = run(&[
        "next",
        &example("solar-early.yaml"),
        "--playbooks",
        folder(&dir),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("rules/extra.rhai:1:1:"), "{err}");
}

#[test]
fn d1_the_top_level_of_a_script_runs_under_the_operation_limit() {
    let dir = with_healthy("", Some("let n = 0;\nloop { n += 1; }\n"));
    let (code, _, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("rules/extra.rhai:2:")
            && err.contains("exceeded 100000 operations (sandbox.max_operations)"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// D5: a playbook could switch the sandbox off.

#[test]
fn d5_zero_and_out_of_range_limits_are_located_errors() {
    let dir = playbook_folder(&format!(
        "sandbox: {{max_string_size: 0, max_operations: 0}}\nrules:\n{}",
        rule_with("healthy", "", "\"true\"")
    ));
    let (code, _, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("playbooks/main.yaml:1:28: `sandbox.max_string_size` is 0: it must be a whole number from 1000 to 10000000 (0 does not mean unlimited)"),
        "{err}"
    );
    assert!(
        err.contains("playbooks/main.yaml:1:47: `sandbox.max_operations` is 0: it must be a whole number from 1000 to 10000000"),
        "{err}"
    );
    // `next` refuses the folder with the same place, and prints nothing.
    let (code, out, err) = run(&[
        "next",
        &example("solar-early.yaml"),
        "--playbooks",
        folder(&dir),
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("playbooks/main.yaml:1:28:"), "{err}");

    let dir = playbook_folder(&format!(
        "sandbox:\n  max_operations: 99999999999\n  max_milliseconds_per_rule: -5\n  max_call_depth: deep\n  max_strings: 10\nrules:\n{}",
        rule_with("healthy", "", "\"true\"")
    ));
    let (code, _, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1, "{err}");
    for expected in [
        "playbooks/main.yaml:2:19: `sandbox.max_operations` is 99999999999: it must be a whole number from 1000 to 10000000",
        "playbooks/main.yaml:3:30: `sandbox.max_milliseconds_per_rule` is -5",
        "playbooks/main.yaml:4:19: `sandbox.max_call_depth` is \"deep\"",
        "playbooks/main.yaml:5:3: unknown sandbox limit `max_strings`",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

#[test]
fn d5_sandbox_in_two_files_is_an_error_naming_both() {
    let dir = playbook_folder(&format!(
        "sandbox: {{max_operations: 5000}}\nrules:\n{}",
        rule_with("healthy", "", "\"true\"")
    ));
    std::fs::write(
        dir.path().join("playbooks/zz-later.yaml"),
        "settings: {}\nsandbox:\n  max_operations: 9000000\n",
    )
    .unwrap();
    let (code, _, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "playbooks/zz-later.yaml:2:1: `sandbox` is also defined in playbooks/main.yaml"
        ),
        "{err}"
    );
}

#[test]
fn d5_a_limit_within_its_range_applies() {
    let dir = playbook_folder(&format!(
        "sandbox: {{max_operations: 1000}}\nrules:\n{}{}",
        rule_with(
            "counts",
            "",
            "'let n = 0; for i in 0..5000 { n += i; } n > 0'"
        ),
        rule_with("healthy", "", "\"true\"")
    ));
    let (code, report, _) = next_json(&example("solar-early.yaml"), &dir);
    assert_eq!(code, 1);
    assert_eq!(fired(&report), ["healthy"]);
    assert!(
        errors(&report)[0].contains("exceeded 1000 operations (sandbox.max_operations)"),
        "{:?}",
        errors(&report)
    );
}

// ---------------------------------------------------------------------------------------
// D14: a NaN priority was taken as 0, and 1e300 printed as i64::MAX.

/// A move whose priority is the rhai expression `priority`, firing always.
fn move_rule(id: &str, priority: &str) -> String {
    format!(
        "  - id: {id}\n    concept: risk.stale\n    when: \"true\"\n    priority: \"{priority}\"\n    title: {{zh: 标题, en: title {id}}}\n    why: {{zh: [原因], en: [reason]}}\n"
    )
}

#[test]
fn d14_a_non_finite_or_out_of_range_priority_is_an_error_naming_the_value() {
    let dir = with_healthy(
        &[
            move_rule("not_a_number", "(-1.0).sqrt()"),
            move_rule("infinite", "1e300 * 1e300"),
            move_rule("huge", "1e300"),
            move_rule("negative", "-0.6"),
            move_rule("fine", "99.6"),
        ]
        .concat(),
        None,
    );
    let (code, report, err) = next_json(&example("solar-early.yaml"), &dir);
    assert_eq!(code, 1, "{err}");
    assert_eq!(fired(&report), ["fine", "healthy"]);
    assert_eq!(report["moves"][0]["priority"], 100);
    let errors = errors(&report);
    for expected in [
        "not_a_number: \"`priority` gave NaN: a priority is a number from 0 to 100\"",
        "infinite: \"`priority` gave inf: a priority is a number from 0 to 100\"",
        "huge: \"`priority` gave 1e300: a priority is a number from 0 to 100\"",
        "negative: \"`priority` gave -0.6: a priority is a number from 0 to 100\"",
    ] {
        assert!(
            errors.iter().any(|e| e == expected),
            "{expected}\n{errors:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// D17: `next` printed a raw `{{deal.name` that `check` refused.

#[test]
fn d17_a_malformed_placeholder_is_refused_by_next_and_check_alike() {
    let rule = "  - id: broken\n    concept: risk.stale\n    when: \"true\"\n    severity: high\n    title: {zh: \"标题 {{deal.name\", en: \"title {{deal.name\"}\n    why: {zh: [原因], en: [\"reason }} here\"]}\n";
    let dir = with_healthy(rule, None);
    let expected = "playbooks/main.yaml:6:21: rule `broken`: malformed placeholder in the zh `title`: `{{` is not closed by `}}` (`{{deal.name`)";
    let (code, out, err) = run(&[
        "next",
        &example("solar-early.yaml"),
        "--playbooks",
        folder(&dir),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty(), "nothing printed raw: {out}");
    assert!(err.contains(expected), "{err}");
    let (code, _, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1);
    assert!(err.contains(expected), "{err}");
    // A stray `}}` is refused too, at its place.
    let dir = with_healthy(
        &rule
            .replace("标题 {{deal.name", "标题")
            .replace("title {{deal.name", "title"),
        None,
    );
    let (code, _, err) = run(&["check", "--playbooks", folder(&dir)]);
    assert_eq!(code, 1);
    assert!(
        err.contains("playbooks/main.yaml:7:34: rule `broken`: malformed placeholder in the en `why`: `}}` closes no `{{`"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// D8: no bound on the total work of one deal (100 rules × 10,000 elements → 4.3 GB).

/// A warning rule `id` firing once per element of a list of `elements` numbers.
fn rule_over(id: &str, elements: usize) -> String {
    rule_with(
        id,
        &format!("    for_each: 'let list = []; list.pad({elements}, 0); list'\n"),
        "\"true\"",
    )
}

#[test]
fn d8_a_for_each_giving_more_elements_than_the_limit_fails_its_rule() {
    // The case: 100 rules each giving 10,000 elements.
    let rules: String = (0..100)
        .map(|n| rule_over(&format!("wide{n}"), 10_000))
        .collect();
    let dir = with_healthy(&rules, None);
    let (code, out, err) = run(&[
        "next",
        &example("solar-early.yaml"),
        "--playbooks",
        folder(&dir),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.len() < 100_000, "a small report: {} bytes", out.len());
    let report = json(&out);
    assert_eq!(fired(&report), ["healthy"]);
    let errors = errors(&report);
    assert_eq!(errors.len(), 100);
    assert!(
        errors[0].starts_with("wide0: \"`for_each` gave 10000 elements, more than 1000 (sandbox.max_elements_per_rule)\""),
        "{errors:?}"
    );
    assert_eq!(report["errors"][0]["file"], "playbooks/main.yaml");
    assert_eq!(report["errors"][0]["line"], 2);
}

#[test]
fn d8_the_firings_of_a_deal_are_bounded_and_the_rules_past_the_bound_are_named() {
    let rules: String = (1..=6)
        .map(|n| rule_over(&format!("r{n}"), 1_000))
        .collect();
    let dir = playbook_folder(&format!(
        "rules:\n{}{rules}{}",
        rule_with("first", "", "\"true\""),
        rule_with("quiet", "", "\"false\"")
    ));
    let (code, report, err) = next_json(&example("solar-early.yaml"), &dir);
    assert_eq!(code, 1, "{err}");
    assert_eq!(report["warnings"].as_array().unwrap().len(), 4_001);
    let errors = errors(&report);
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (error, id) in errors.iter().zip(["r5", "r6"]) {
        assert_eq!(
            error,
            &format!("{id}: \"fired 1000 times, past the deal's 5000 firings (sandbox.max_firings_per_deal): its firings are left out\"")
        );
    }
}

#[test]
fn d8_the_text_of_a_deals_report_is_bounded() {
    let dir = playbook_folder(&format!(
        "sandbox: {{max_report_bytes_per_deal: 10000}}\nrules:\n{}{}",
        rule_with("first", "", "\"true\""),
        rule_over("wordy", 1_000)
    ));
    let (code, out, err) = run(&[
        "next",
        &example("solar-early.yaml"),
        "--playbooks",
        folder(&dir),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    let texts: usize = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|advice| advice["title"].as_str().unwrap().len() + "reason".len())
        .sum();
    assert!(texts <= 10_000, "{texts} bytes of text");
    assert_eq!(
        errors(&report),
        ["wordy: \"its texts take the deal's report past 10000 bytes (sandbox.max_report_bytes_per_deal): they are left out\""]
    );
    assert!(err.contains("playbooks/main.yaml:"), "{err}");
}

// ---------------------------------------------------------------------------------------
// D9: built-in rules failed on valid deals (a long note, many objections, many people).

/// A valid deal whose one note is 80 KB of words without a full stop, with "no budget"
/// in the middle.
fn deal_with_a_long_note() -> String {
    let words = "we went over the plan and the schedule with the team ".repeat(800);
    format!(
        "deal: {{id: long-note, name: Long note, as_of: 2026-11-20, stage: develop}}\nstakeholders:\n  - {{name: Boss, role: decision_maker, top_decision_maker: true, influence: 9}}\nactivities:\n  - {{type: visit, date: 2026-11-10, note: \"{words} they said there is no budget this year {words}\"}}\n"
    )
}

/// A valid deal with 420 open "no budget" objections, all from the same person.
fn deal_with_420_objections() -> String {
    let objections: String = (0..420)
        .map(|n| format!("  - {{type: no_budget, from: Boss, said: \"no money for this in quarter {n}, maybe next year\"}}\n"))
        .collect();
    format!(
        "deal: {{id: many-objections, name: Many objections, as_of: 2026-11-20, stage: propose}}\nstakeholders:\n  - {{name: Boss, role: decision_maker, top_decision_maker: true, influence: 9, met: true}}\nobjections:\n{objections}"
    )
}

/// A valid deal with 500 stakeholders, a fifth of them influential opponents.
fn deal_with_500_stakeholders() -> String {
    let stances = ["champion", "supporter", "neutral", "sceptic", "opponent"];
    let roles = [
        "user",
        "technical_gatekeeper",
        "decision_maker",
        "influencer",
    ];
    let people: String = (0..500)
        .map(|n| {
            format!(
                "  - {{name: Person {n}, title: head of department {n}, role: {}, influence: {}, stance: {}, met: {}, needs: \"uptime and a predictable budget for department {n}\"}}\n",
                roles[n % 4],
                1 + n % 10,
                stances[n % 5],
                n % 2 == 1
            )
        })
        .collect();
    format!(
        "deal: {{id: many-people, name: Many people, as_of: 2026-11-20, stage: propose, expected_close: 2027-01-10}}\nstakeholders:\n  - {{name: Boss, role: decision_maker, top_decision_maker: true, influence: 10, met: false}}\n{people}"
    )
}

/// `next` with the built-in playbooks: (exit code, report, stderr).
fn builtin_next(deal: &str) -> (i32, Value, String) {
    let (code, out, err) = run(&["next", deal, "--format", "json"]);
    (code, json(&out), err)
}

fn rule_ids(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|advice| advice["rule"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn d9_an_80_kb_note_is_answered_and_quoted_short() {
    let dir = tempfile::tempdir().unwrap();
    let deal = common::temp_file(&dir, "long-note.yaml", &deal_with_a_long_note());
    let (code, report, err) = builtin_next(&deal);
    assert_eq!(code, 0, "{err}");
    assert_eq!(errors(&report), Vec::<String>::new());
    let answer = report["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|advice| advice["rule"]["id"] == "objection.no_budget.unattributed")
        .expect("the objection is answered");
    let quote = answer["why"][0].as_str().unwrap();
    assert!(
        quote.ends_with("…”") && quote.chars().count() < 300,
        "the note is quoted short: {quote}"
    );
}

#[test]
fn d9_420_objections_each_get_their_answer() {
    let dir = tempfile::tempdir().unwrap();
    let deal = common::temp_file(&dir, "objections.yaml", &deal_with_420_objections());
    let (code, report, err) = builtin_next(&deal);
    assert_eq!(code, 0, "{err}");
    assert_eq!(errors(&report), Vec::<String>::new());
    let answers = rule_ids(&report, "moves")
        .into_iter()
        .filter(|id| id == "objection.no_budget")
        .count();
    assert_eq!(answers, 420);
}

#[test]
fn d9_500_stakeholders_are_coached_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let deal = common::temp_file(&dir, "people.yaml", &deal_with_500_stakeholders());
    let (code, report, err) = builtin_next(&deal);
    assert_eq!(code, 0, "{err}");
    assert_eq!(errors(&report), Vec::<String>::new());
    let moves = rule_ids(&report, "moves");
    // Persons 8 and 9 of every ten: sceptics and opponents of influence 7 or more.
    let opponents = moves
        .iter()
        .filter(|id| *id == "relation.neutralize_opponent")
        .count();
    assert_eq!(opponents, 100, "{moves:?}");
    assert_eq!(moves[0], "decision.reach_top");
}

#[test]
fn d9_a_review_of_the_large_deals_has_no_rule_failures() {
    let dir = tempfile::tempdir().unwrap();
    common::temp_file(&dir, "long-note.yaml", &deal_with_a_long_note());
    common::temp_file(&dir, "objections.yaml", &deal_with_420_objections());
    common::temp_file(&dir, "people.yaml", &deal_with_500_stakeholders());
    let (code, out, err) = run(&["review", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let review = json(&out);
    assert_eq!(review["rule_failures"], serde_json::json!([]));
    assert_eq!(review["deals"].as_array().unwrap().len(), 3);
}

// ---------------------------------------------------------------------------------------
// D10: output that depended on the machine's load or on directory order.

#[test]
fn d10_a_rule_over_its_time_budget_is_named_with_its_rule_and_deal() {
    // Ten million operations on a 100 KB string take far longer than 10 ms anywhere: the
    // time budget, not the operation limit, stops this rule.
    let dir = playbook_folder(&format!(
        "sandbox: {{max_milliseconds_per_rule: 10, max_operations: 10000000}}\nrules:\n{}{}",
        rule_with(
            "slow",
            "",
            "'let s = \"\"; s.pad(100000, \"y\"); loop { s.replace(\"y\", \"z\"); s.replace(\"z\", \"y\"); }'"
        ),
        rule_with("healthy", "", "\"true\"")
    ));
    let (code, report, err) = next_json(&example("solar-early.yaml"), &dir);
    assert_eq!(code, 1, "{err}");
    assert_eq!(fired(&report), ["healthy"]);
    assert_eq!(
        errors(&report),
        ["slow: \"`when` failed: exceeded the 10 ms time budget (sandbox.max_milliseconds_per_rule) on deal `gobi-solar-monitoring`\""]
    );
}

/// A folder of the 23 example deals under names whose order differs from their ids',
/// and a playbook whose `picky` rule fails on the deals with a long id.
fn failing_pipeline() -> (TempDir, TempDir) {
    let deals = tempfile::tempdir().unwrap();
    let mut entries: Vec<_> = std::fs::read_dir(common::root().join("examples/pipeline"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for (index, path) in entries.iter().enumerate() {
        let name = format!(
            "{:02}-{}",
            99 - index,
            path.file_name().unwrap().to_str().unwrap()
        );
        std::fs::copy(path, deals.path().join(name)).unwrap();
    }
    let playbooks = playbook_folder(&format!(
        "rules:\n{}{}",
        rule_with(
            "picky",
            "",
            "'if deal.id.len() > 12 { facts.nonexistent } else { true }'"
        ),
        rule_with("healthy", "", "\"true\"")
    ));
    (deals, playbooks)
}

#[test]
fn d10_the_example_of_a_rule_failure_is_the_first_deal_by_path() {
    let (deals, playbooks) = failing_pipeline();
    let review = |threads: &str| {
        Cli::new([
            "review",
            deals.path().to_str().unwrap(),
            "--playbooks",
            folder(&playbooks),
            "--format",
            "json",
        ])
        .env("RAYON_NUM_THREADS", threads)
        .run()
        .exits(1)
        .stdout
    };
    let one_thread = review("1");
    assert_eq!(
        one_thread,
        review("2"),
        "the same review whatever the threads"
    );
    // The deal files given one by one in reverse order are evaluated in that order: the
    // example is still the first by path.
    let mut files: Vec<String> = std::fs::read_dir(deals.path())
        .unwrap()
        .map(|entry| entry.unwrap().path().display().to_string())
        .collect();
    files.sort_by(|a, b| b.cmp(a));
    let mut args = vec![
        "review",
        "--playbooks",
        folder(&playbooks),
        "--format",
        "json",
    ];
    args.extend(files.iter().map(String::as_str));
    let (_, reversed, _) = run(&args);
    assert_eq!(
        json(&reversed)["rule_failures"],
        json(&one_thread)["rule_failures"]
    );
    let failures = &json(&one_thread)["rule_failures"];
    assert_eq!(failures.as_array().unwrap().len(), 1, "{failures}");
    assert_eq!(failures[0]["rule"], "picky");
    // insurer-claims and logistics-tms fail; named in reverse, logistics-tms is first.
    let example = failures[0]["example"].as_str().unwrap();
    assert!(
        example.contains(
            "-logistics-tms.yaml: playbooks/main.yaml:2: `when` failed: no field `nonexistent`"
        ),
        "{example}"
    );
}

#[test]
fn d10_rows_whose_rules_failed_are_marked_in_every_review_format() {
    let (deals, playbooks) = failing_pipeline();
    let review = |format: &str| {
        let (code, out, err) = run(&[
            "review",
            deals.path().to_str().unwrap(),
            "--playbooks",
            folder(&playbooks),
            "--format",
            format,
        ]);
        assert_eq!(code, 1, "{err}");
        out
    };
    let report = json(&review("json"));
    for row in report["deals"].as_array().unwrap() {
        let failed = matches!(
            row["id"].as_str().unwrap(),
            "insurer-claims" | "logistics-tms"
        );
        let expected = if failed {
            serde_json::json!(["picky"])
        } else {
            serde_json::json!([])
        };
        assert_eq!(row["failed_rules"], expected, "{row}");
    }
    let csv = review("csv");
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",line,failed_rules"));
    let marked: Vec<&str> = lines.filter(|line| line.ends_with(",picky")).collect();
    assert_eq!(marked.len(), 2, "{csv}");
    let text = review("text");
    let marked: Vec<&str> = text.lines().filter(|line| line.ends_with("  !")).collect();
    assert_eq!(marked.len(), 2, "{text}");
    assert!(marked[0].contains("Harbor Insurance") || marked[0].contains("Swift Logistics"));
    assert!(
        text.contains("! = some rules failed on this deal"),
        "{text}"
    );
    let markdown = review("markdown");
    let marked: Vec<&str> = markdown
        .lines()
        .filter(|line| line.ends_with("**!** `picky` |"))
        .collect();
    assert_eq!(marked.len(), 2, "{markdown}");
}
