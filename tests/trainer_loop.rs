//! The trainer's loop, followed as docs/playbooks.md tells it: export the method, add the
//! worked example's rule, setting and tests, then `check` and `test`. Each step is also
//! done with a typo, and `check` must name it, once, at the line and column that hold it.
//! The example's YAML is taken from the guide itself, so the guide and this test cannot
//! drift apart.

mod common;

use std::path::Path;

use common::{dealcoach, exported_playbooks, stderr, stdout};

/// The YAML blocks of the guide's worked example, in order, unindented.
fn worked_example() -> Vec<String> {
    let guide = std::fs::read_to_string(common::root().join("docs/playbooks.md"))
        .expect("docs/playbooks.md is readable");
    let start = guide
        .find("## Adding a rule, with its test — a worked example")
        .expect("the guide has its worked example");
    let section = &guide[start..];
    let end = section[3..]
        .find("\n## ")
        .map_or(section.len(), |at| at + 3);
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for line in section[..end].lines() {
        let trimmed = line.trim_start();
        match (&mut current, trimmed) {
            (None, "```yaml") => current = Some((line.len() - trimmed.len(), Vec::new())),
            (Some((indent, lines)), "```") => {
                let indent = *indent;
                blocks.push(
                    lines
                        .iter()
                        .map(|l| l.get(indent..).unwrap_or("").to_owned() + "\n")
                        .collect(),
                );
                current = None;
            }
            (Some((_, lines)), _) => lines.push(line.to_owned()),
            (None, _) => {}
        }
    }
    assert_eq!(blocks.len(), 3, "the rule, the setting and the tests");
    blocks
}

/// An exported folder with the worked example added, `edit` applied to each block
/// (rule, setting, tests) first.
struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn with_example(edit: impl Fn(usize, String) -> String) -> Folder {
        let dir = exported_playbooks();
        let blocks: Vec<String> = worked_example()
            .into_iter()
            .enumerate()
            .map(|(step, block)| edit(step, block))
            .collect();
        let append = |file: &str, text: &str| {
            let path = dir.path().join(file);
            let mut content = std::fs::read_to_string(&path).expect("exported file");
            content.push_str(text);
            std::fs::write(&path, content).expect("writable");
        };
        append("playbooks/four_dimensions.yaml", &blocks[0]);
        // The setting and its type go under `settings:` and `setting_types:`.
        let settings = dir.path().join("playbooks/settings.yaml");
        let mut text = std::fs::read_to_string(&settings).expect("exported settings");
        let mut section = String::new();
        for line in blocks[1].lines() {
            if line.ends_with(':') && !line.starts_with(' ') {
                section = line.to_owned();
            } else {
                let header = format!("\n{section}\n");
                let at =
                    text.find(&header).expect("the section is in settings.yaml") + header.len();
                text.insert_str(at, &format!("{line}\n"));
            }
        }
        std::fs::write(&settings, text).expect("writable");
        append("playbooks/tests/four_dimensions.yaml", &blocks[2]);
        Folder { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `check`'s output (stderr then stdout) and exit code.
    fn check(&self) -> (String, Option<i32>) {
        let output = dealcoach()
            .args(["check", "--playbooks"])
            .arg(self.path())
            .output()
            .expect("runs");
        (
            format!("{}{}", stderr(&output), stdout(&output)),
            output.status.code(),
        )
    }

    /// The 1-based line of the first line of `file` that holds `needle`.
    fn line_of(&self, file: &str, needle: &str) -> usize {
        let text = std::fs::read_to_string(self.path().join(file)).expect("readable");
        text.lines()
            .position(|line| line.contains(needle))
            .map(|index| index + 1)
            .unwrap_or_else(|| panic!("`{needle}` is not in {file}"))
    }
}

/// Asserts `output` says `message` at `file:line:col` exactly once, with a caret.
fn assert_located(output: &str, file: &str, line: usize, column: usize, message: &str) {
    let place = format!("{file}:{line}:{column}: ");
    let hits: Vec<&str> = output
        .lines()
        .filter(|l| l.starts_with(&place) && l.contains(message))
        .collect();
    assert_eq!(hits.len(), 1, "want `{place}…{message}` once in:\n{output}");
    assert!(output.contains("^"), "no caret in:\n{output}");
}

#[test]
fn the_worked_example_checks_and_tests_clean() {
    let folder = Folder::with_example(|_, block| block);
    let (output, code) = folder.check();
    assert!(output.contains(": 0 errors, 0 warnings"), "{output}");
    assert_eq!(code, Some(0), "{output}");
    let output = dealcoach()
        .args(["test", "--filter", "big_deal", "--playbooks"])
        .arg(folder.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("2 passed, 0 failed"),
        "{}",
        stdout(&output)
    );
}

/// Item 3: one misspelt key costs its rule only; the file's other rules load, and the
/// tests naming the rule are summarised in one line.
#[test]
fn a_misspelt_rule_key_costs_only_that_rule() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block.replace("priority: 72", "priorty: 72"),
        _ => block,
    });
    let (output, code) = folder.check();
    let line = folder.line_of("playbooks/four_dimensions.yaml", "priorty: 72");
    assert_located(
        &output,
        "playbooks/four_dimensions.yaml",
        line,
        5,
        "rule `tools.proof.big_deal` is not loaded: unknown field `priorty` — did you mean `priority`?",
    );
    assert_eq!(code, Some(1));
    // Every other rule of the file is still checked and counted.
    let builtin = dealcoach().arg("check").output().expect("runs");
    let rules = |text: &str| {
        text.split(" rules,")
            .next()
            .and_then(|head| head.rsplit(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect("a rule count")
    };
    assert_eq!(rules(&output), rules(&stdout(&builtin)), "{output}");
    assert!(
        output.contains(
            "2 tests are not checked: they name rule `tools.proof.big_deal`, which is not loaded"
        ),
        "{output}"
    );
    assert_eq!(
        output.matches("which does not exist").count(),
        0,
        "{output}"
    );
}

/// Item 3: every problem of a file in one run, not the first one only.
#[test]
fn every_problem_of_a_file_is_reported_in_one_run() {
    let folder = Folder::with_example(|step, block| match step {
        0 => format!(
            "{}{}",
            block.replace("priority: 72", "priorty: 72"),
            block
                .replace("tools.proof.big_deal", "tools.proof.big_deal2")
                .replace("concept: tools.proof", "concpt: tools.proof")
        ),
        _ => block,
    });
    let (output, _) = folder.check();
    assert!(output.contains("unknown field `priorty`"), "{output}");
    assert!(output.contains("unknown field `concpt`"), "{output}");
}

/// Item 4: a key written twice is reported at the second one.
#[test]
fn a_duplicate_key_is_placed_at_the_duplicate() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block.replace("priority: 72\n", "priority: 72\n    priority: 70\n"),
        _ => block,
    });
    let (output, _) = folder.check();
    let line = folder.line_of("playbooks/four_dimensions.yaml", "priority: 70");
    assert_located(
        &output,
        "playbooks/four_dimensions.yaml",
        line,
        5,
        "`priority` is written twice in the same mapping",
    );
}

/// Item 4: a syntax error is reported as such, before what serde would say about the
/// part it read first.
#[test]
fn a_syntax_error_comes_before_schema_errors() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block
            .replace("concept: tools.proof", "concpt: tools.proof")
            .replace("carry trust\"]", "carry trust\""),
        _ => block,
    });
    let (output, _) = folder.check();
    assert!(output.contains("not valid YAML"), "{output}");
    assert!(!output.contains("concpt"), "{output}");
}

/// Item 2: a setting of the wrong type or out of its range is an error at the value, in
/// the file that holds it; one with no declared type is refused at the key.
#[test]
fn a_mistyped_setting_is_an_error_at_its_value() {
    let folder = Folder::with_example(|step, block| match step {
        1 => block.replace("big_deal_amount: 1000000", "big_deal_amount: \"1,000,000\""),
        _ => block,
    });
    let (output, code) = folder.check();
    let line = folder.line_of("playbooks/settings.yaml", "big_deal_amount: \"1,000,000\"");
    assert_located(
        &output,
        "playbooks/settings.yaml",
        line,
        20,
        "setting `big_deal_amount` is the text \"1,000,000\", but must be a number of 0 or more",
    );
    assert_eq!(code, Some(1));

    let folder = Folder::with_example(|step, block| match step {
        1 => block.replace("  big_deal_amount: number 0..\n", ""),
        _ => block,
    });
    let (output, _) = folder.check();
    let line = folder.line_of("playbooks/settings.yaml", "big_deal_amount: 1000000");
    assert_located(
        &output,
        "playbooks/settings.yaml",
        line,
        3,
        "setting `big_deal_amount` has no declared type",
    );
}

/// Item 2: an engine setting out of range names settings.yaml and its line, not another
/// file with no line, and `next` refuses the folder rather than dropping a warning.
#[test]
fn an_engine_setting_out_of_range_is_placed_in_its_own_file() {
    let folder = Folder::with_example(|_, block| block);
    let settings = folder.path().join("playbooks/settings.yaml");
    let text = std::fs::read_to_string(&settings).expect("readable");
    std::fs::write(
        &settings,
        text.replace("  influential: 7\n", "  influential: 70\n")
            .replace("  stale_days: 21\n", "  stale_days: \"three weeks\"\n"),
    )
    .expect("writable");
    let (output, _) = folder.check();
    let line = folder.line_of("playbooks/settings.yaml", "influential: 70");
    assert_located(
        &output,
        "playbooks/settings.yaml",
        line,
        16,
        "setting `influential` is `70`, but must be a whole number from 1 to 10",
    );
    assert_eq!(
        output.matches("influential").count(),
        2,
        "once, with its source line: {output}"
    );
    let output = dealcoach()
        .args(["next", &common::example("bank-core.yaml"), "--playbooks"])
        .arg(folder.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("stale_days"),
        "{}",
        stderr(&output)
    );
}

/// Item 1: a misspelt name in a condition is found like a misspelt placeholder: with the
/// nearest real name, at its line and column, once.
#[test]
fn a_misspelt_name_in_a_condition_is_caught_at_its_place() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block
            .replace("when: facts.open &&", "when: facts.opn &&")
            .replace("settings.big_deal_amount", "settings.big_deal_amout"),
        _ => block,
    });
    let (output, code) = folder.check();
    let file = "playbooks/four_dimensions.yaml";
    let line = folder.line_of(file, "when: facts.opn &&");
    assert_located(
        &output,
        file,
        line,
        17,
        "rule `tools.proof.big_deal`: `when` reads `facts.opn`, but `facts` has no field `opn` — did you mean `open`?",
    );
    let source = std::fs::read_to_string(folder.path().join(file)).expect("readable");
    let column = source
        .lines()
        .nth(line - 1)
        .and_then(|l| l.find("big_deal_amout"))
        .expect("there")
        + 1;
    assert_located(
        &output,
        file,
        line,
        column,
        "reads `settings.big_deal_amout`, but `settings` has no field `big_deal_amout` — did you mean `big_deal_amount`?",
    );
    assert_eq!(code, Some(1));
}

/// Item 1: a field read deep in a chain, in a derived value and in `deal`, is checked too.
#[test]
fn misspelt_fields_are_caught_in_chains_and_derived_values() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block.replace(
            "facts.proof_assets == 0",
            "facts.proof_assets == 0 && facts.top?.nmae != () && deal.temprature != ()",
        ),
        _ => block,
    });
    let settings = folder.path().join("playbooks/settings.yaml");
    let text = std::fs::read_to_string(&settings).expect("readable");
    std::fs::write(
        &settings,
        text.replace("> settings.stale_days\n", "> settings.stale_dys\n"),
    )
    .expect("writable");
    let (output, _) = folder.check();
    assert!(
        output.contains(
            "reads `facts.top.nmae`, but `facts.top` has no field `nmae` — did you mean `name`?"
        ),
        "{output}"
    );
    assert!(output.contains("reads `deal.temprature`, but `deal` has no field `temprature` — did you mean `temperature`?"), "{output}");
    let line = folder.line_of("playbooks/settings.yaml", "> settings.stale_dys");
    assert!(
        output.contains(&format!(
            "playbooks/settings.yaml:{line}:46: `derived.stale` reads `settings.stale_dys`"
        )),
        "{output}"
    );
}

/// Item 4: a script that does not compile is placed at its line and column in the YAML
/// file, once, with a caret, not at the key with the place repeated in the message.
#[test]
fn a_script_error_is_placed_in_the_yaml_file() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block.replace("facts.proof_assets == 0", "facts.proof_assets == = 0"),
        _ => block,
    });
    let (output, _) = folder.check();
    let file = "playbooks/four_dimensions.yaml";
    let line = folder.line_of(file, "== = 0");
    let source = std::fs::read_to_string(folder.path().join(file)).expect("readable");
    let column = source
        .lines()
        .nth(line - 1)
        .and_then(|l| l.find("= 0"))
        .expect("there")
        + 1;
    assert_located(
        &output,
        file,
        line,
        column,
        "rule `tools.proof.big_deal`: `when` does not compile:",
    );
    assert!(!output.contains("script line"), "{output}");
}

/// Item 6: a filter that matches nothing is an error, not "0 passed"; a failure names its
/// file and line; `--quiet` prints only failures and the summary.
#[test]
fn test_reports_what_a_trainer_needs() {
    let folder = Folder::with_example(|step, block| match step {
        2 => block.replacen(
            "fires: [tools.proof.big_deal]",
            "quiet: [tools.proof.big_deal]",
            1,
        ),
        _ => block,
    });
    let run = |extra: &[&str]| {
        let output = dealcoach()
            .arg("test")
            .args(extra)
            .arg("--playbooks")
            .arg(folder.path())
            .output()
            .expect("runs");
        (stdout(&output), stderr(&output), output.status.code())
    };
    let (_, error, code) = run(&["--filter", "zzz"]);
    assert_eq!(code, Some(2));
    assert!(error.contains("no test's name contains `zzz`"), "{error}");

    let (out, _, code) = run(&["--filter", "big_deal"]);
    assert_eq!(code, Some(1), "{out}");
    let line = folder.line_of(
        "playbooks/tests/four_dimensions.yaml",
        "tools.proof.big_deal fires on a big deal",
    );
    assert!(
        out.contains(&format!(
            "    at playbooks/tests/four_dimensions.yaml:{line}\n"
        )),
        "{out}"
    );
    let (quiet, _, _) = run(&["--quiet"]);
    assert!(!quiet.contains("... ok"), "{quiet}");
    assert!(quiet.contains("... FAILED"), "{quiet}");
    assert!(quiet.lines().count() < 10, "{quiet}");
}

/// Item 8: no speed duty on trainers. `count:` (a review's hint of how many elements
/// `for_each` gives, which could disagree with it) is retired: the engine counts itself,
/// and a `count:` left in a folder is refused at its rule with a note to delete it.
#[test]
fn a_retired_count_is_refused_at_its_rule_with_the_fix() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block.replace(
            "  priority: 72\n",
            "  priority: 72\n    for_each: \"[1, 2]\"\n    count: \"1\"\n",
        ),
        _ => block,
    });
    let (out, code) = folder.check();
    assert_eq!(code, Some(1), "{out}");
    let line = folder.line_of("playbooks/four_dimensions.yaml", "id: tools.proof.big_deal");
    assert!(
        out.contains(&format!(
            "four_dimensions.yaml:{line}: rule `tools.proof.big_deal`: `count` is no longer read — the engine counts `for_each` itself; delete the line"
        )),
        "{out}"
    );
}

/// Item 9: the project is self-contained — no test reads a folder beside the checkout, so
/// none can pass by testing less when it is missing.
#[test]
fn no_test_reads_outside_the_repository() {
    let tests = common::root().join("tests");
    for entry in std::fs::read_dir(&tests).expect("tests folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable");
            let needle = ["..", "/shared"].concat();
            assert!(!text.contains(&needle), "{} reads {needle}", path.display());
        }
    }
    let common = std::fs::read_to_string(tests.join("common/mod.rs")).expect("readable");
    assert!(!common.contains(&["..", "/shared"].concat()));
}

/// Item 5: `explain` shows what a derived value is made of (not only `FALSE
/// ready_to_close`), every fact the rule read whether or not it failed, and the
/// condition's parts when `for_each` gave no item — each part cut where it begins, not at
/// its operator (`….len() > 0` was cut into `….len()` and `> 0`).
#[test]
fn explain_shows_derived_values_reads_and_parts_of_an_empty_for_each() {
    let explain = |rule: &str| {
        let output = dealcoach()
            .args([
                "explain",
                &common::example("bank-core.yaml"),
                "--rule",
                rule,
            ])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
    };
    let ready = explain("closing.ready");
    for line in [
        "  reads deal.close_requested = false\n",
        "  derived ready_to_close = false  (playbooks/settings.yaml:199), made of:\n",
        "      FALSE  facts.signal_types >= settings.closing_ready_signal_types\n",
        "      reads settings.closing_ready_signal_types = 2\n",
        // ready_to_close reads top_unmet, another derived value: shown too.
        "  derived top_unmet = true",
    ] {
        assert!(ready.contains(line), "missing {line:?} in\n{ready}");
    }
    let empty = explain("objection.no_budget.closed");
    for line in [
        "    → 0 item(s)\n",
        "  reads facts.phase = \"late\"\n",
        "    with no item (the parts that need none):\n",
        "    FALSE  facts.phase == \"won\"\n",
        "    FALSE  facts.open_objections.no_budget.len() > 0\n",
    ] {
        assert!(empty.contains(line), "missing {line:?} in\n{empty}");
    }
}

/// Item 7: `check` and `explain` take `--lang` as `next` and `test` do, in any case.
/// `check --lang` lists what a translator still has to write; `explain --lang` shows the
/// titles in that language; a malformed or unspoken code is refused with exit 2.
#[test]
fn check_and_explain_take_lang_in_any_case() {
    let check = |code: &str| {
        dealcoach()
            .args(["check", "--lang", code])
            .output()
            .expect("runs")
    };
    let upper = check("FR");
    let lower = check("fr");
    assert_eq!(upper.status.code(), Some(0), "{}", stderr(&upper));
    assert_eq!(stderr(&upper), stderr(&lower), "case does not matter");
    let warnings = stderr(&upper);
    let line = std::fs::read_to_string(common::root().join("playbooks/four_dimensions.yaml"))
        .expect("the built-in file")
        .lines()
        .position(|line| line.trim() == "- id: closing.ready")
        .expect("the rule is built in")
        + 1;
    assert!(
        warnings.contains(&format!(
            "playbooks/four_dimensions.yaml:{line}: warning: rule `closing.ready` has no `fr` text for `title`, `why`"
        )),
        "{warnings}"
    );
    assert!(
        warnings.contains("warning: label `concept.closing.ready` has no `fr` text"),
        "{warnings}"
    );
    // zh and en are required anyway: nothing more to say, whatever the case.
    let english = check("EN");
    assert_eq!(english.status.code(), Some(0));
    assert!(
        stdout(&english).contains(": 0 errors, 0 warnings"),
        "{}",
        stdout(&english)
    );
    let malformed = check("x1");
    assert_eq!(malformed.status.code(), Some(2));
    assert!(stderr(&malformed).contains("`x1` is not a language code"));

    let explain = |lang: Option<&str>| {
        let mut command = dealcoach();
        command.args([
            "explain",
            &common::example("bank-core.yaml"),
            "--rule",
            "closing.ready",
        ]);
        if let Some(lang) = lang {
            command.args(["--lang", lang]);
        }
        command.env("LANG", "zh_CN.UTF-8").output().expect("runs")
    };
    let chinese = stdout(&explain(Some("ZH")));
    assert!(chinese.contains("  title: 时机已到"), "{chinese}");
    // Without --lang, English whatever the locale, as `test`.
    let default = stdout(&explain(None));
    assert!(!default.contains("时机已到"), "{default}");
    assert!(default.contains("  title: "), "{default}");
    let unspoken = explain(Some("xx"));
    assert_eq!(unspoken.status.code(), Some(2));
    assert!(stderr(&unspoken).contains("the playbooks have no words in `xx`"));
}

/// Item 8: `let` and `switch` cost no correctness. The direct evaluator cannot read them,
/// so such scripts go to rhai — in `when` and in `for_each` — and `test` holds `next` to
/// the expectations and a review to the same firings.
#[test]
fn let_and_switch_in_rules_give_the_right_answer_in_next_and_review() {
    let rule = |id: &str, keys: &str| {
        format!(
            "  - id: letswitch.{id}\n    concept: risk.stale\n{keys}    severity: low\n    title: {{zh: 标题, en: title {id}}}\n    why: {{zh: [原因], en: [reason]}}\n"
        )
    };
    let rules = [
        rule(
            "let_fires",
            "    when: |\n      let amount = deal.amount;\n      amount > 1000\n",
        ),
        rule(
            "switch_fires",
            "    when: |\n      switch deal.stage { \"develop\" => false, _ => true }\n",
        ),
        rule(
            "both_per_item",
            "    for_each: |\n      let xs = [1, 2, 3];\n      xs\n    when: |\n      let n = item;\n      switch n { 1 => false, _ => deal.amount > 1000 }\n",
        ),
    ]
    .concat();
    let tests = "  - name: letswitch on a big deal in develop\n    deal:\n      deal: {id: ls1, name: Big, as_of: 2026-11-20, amount: 2000000, stage: develop}\n    expect:\n      fires: [letswitch.let_fires, letswitch.both_per_item]\n      quiet: [letswitch.switch_fires]\n  - name: letswitch on a small deal at the close\n    deal:\n      deal: {id: ls2, name: Small, as_of: 2026-11-20, amount: 500, stage: close}\n    expect:\n      fires: [letswitch.switch_fires]\n      quiet: [letswitch.let_fires, letswitch.both_per_item]\n";
    let folder = Folder::with_example(|_, block| block);
    for (file, text) in [
        ("playbooks/four_dimensions.yaml", rules.as_str()),
        ("playbooks/tests/four_dimensions.yaml", tests),
    ] {
        let path = folder.path().join(file);
        let mut content = std::fs::read_to_string(&path).expect("exported file");
        content.push_str(text);
        std::fs::write(&path, content).expect("writable");
    }
    let output = dealcoach()
        .args(["test", "--filter", "letswitch", "--playbooks"])
        .arg(folder.path())
        .output()
        .expect("runs");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert!(out.contains("2 passed, 0 failed"), "{out}");
    // And `next` itself: the per-item rule fires once per item that passes (2 and 3).
    let deal = folder.path().join("big.yaml");
    std::fs::write(
        &deal,
        "deal: {id: ls1, name: Big, as_of: 2026-11-20, amount: 2000000, stage: develop}\n",
    )
    .expect("writable");
    let next = dealcoach()
        .args(["next", "--all", "--format", "json"])
        .arg(&deal)
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&next.stdout).expect("JSON");
    let mut fired: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|warning| warning["rule"]["id"].as_str())
        .filter(|id| id.starts_with("letswitch."))
        .collect();
    fired.sort_unstable();
    assert_eq!(
        fired,
        [
            "letswitch.both_per_item",
            "letswitch.both_per_item",
            "letswitch.let_fires"
        ],
        "{report}"
    );
}

/// Item 1: a gate's `when:` and a path into `stakeholders` are name-checked like any
/// condition: a misspelt field is placed at its line and column, with the nearest name.
/// Both used to pass `check` and then never match.
#[test]
fn gates_and_stakeholder_paths_are_name_checked() {
    let folder = Folder::with_example(|step, block| match step {
        0 => block.replace(
            "facts.proof_assets == 0",
            "facts.proof_assets == 0 && stakeholders[0].nmae != ()",
        ),
        _ => block,
    });
    let judgement = folder.path().join("playbooks/judgement.yaml");
    let text = std::fs::read_to_string(&judgement).expect("readable");
    std::fs::write(
        &judgement,
        text.replacen(
            "    when: facts.phase == \"won\"\n",
            "    when: facts.phsae == \"won\"\n",
            1,
        ),
    )
    .expect("writable");
    let (output, code) = folder.check();
    assert_eq!(code, Some(1), "{output}");
    let line = folder.line_of("playbooks/judgement.yaml", "facts.phsae");
    assert_located(
        &output,
        "playbooks/judgement.yaml",
        line,
        17,
        "gate `won`: `when` reads `facts.phsae`, but `facts` has no field `phsae` — did you mean `phase`?",
    );
    let line = folder.line_of("playbooks/four_dimensions.yaml", "stakeholders[0].nmae");
    let column = std::fs::read_to_string(folder.path().join("playbooks/four_dimensions.yaml"))
        .expect("readable")
        .lines()
        .nth(line - 1)
        .and_then(|text| text.find(".nmae"))
        .expect("the typo's column")
        + 2;
    assert_located(
        &output,
        "playbooks/four_dimensions.yaml",
        line,
        column,
        "reads `stakeholders[…].nmae`, but `stakeholders[…]` has no field `nmae` — did you mean `name`?",
    );
}

/// Item 4: a derived value that does not compile is placed at rhai's line and column
/// inside the script, like a rule's, not at its key.
#[test]
fn a_derived_value_that_does_not_compile_is_placed_inside_its_script() {
    let folder = Folder::with_example(|_, block| block);
    let settings = folder.path().join("playbooks/settings.yaml");
    let text = std::fs::read_to_string(&settings).expect("readable");
    std::fs::write(
        &settings,
        text.replace("> settings.stale_days\n", "> settings.stale_days )\n"),
    )
    .expect("writable");
    let (output, code) = folder.check();
    assert_eq!(code, Some(1), "{output}");
    let line = folder.line_of("playbooks/settings.yaml", "> settings.stale_days )");
    let column = std::fs::read_to_string(&settings)
        .expect("readable")
        .lines()
        .nth(line - 1)
        .and_then(|text| text.find(')'))
        .expect("the stray bracket")
        + 1;
    assert_located(
        &output,
        "playbooks/settings.yaml",
        line,
        column,
        "`derived.stale` does not compile: Expecting ';' to terminate this statement",
    );
}
