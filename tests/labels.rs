//! The label catalog is the one place a word of the output lives (issue 12): a trainer
//! adds a language or fixes a label from a playbook folder alone, `check` proves zh and
//! en complete, and a setting or label a folder leaves out is the built-in one — never a
//! value kept in Rust. Each test works on an exported copy of the built-in playbooks, as
//! a trainer would.

mod common;

use std::path::Path;

use common::{dealcoach, example, exported_playbooks, stderr, stdout};

fn write(folder: &Path, relative: &str, text: &str) {
    std::fs::write(folder.join(relative), text).expect("the folder is writable");
}

#[test]
fn a_third_language_comes_from_a_playbook_folder_alone() {
    let folder = exported_playbooks();
    write(
        folder.path(),
        "playbooks/labels-fr.yaml",
        "labels:\n  heading.moves: {fr: Prochaines étapes}\n  next.ask: {fr: \"À demander :\"}\n  phase.late: {fr: avancée}\n",
    );
    let output = dealcoach()
        .args(["next", &example("bank-core.yaml"), "--lang", "fr"])
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("Prochaines étapes"), "{text}");
    assert!(text.contains("À demander :"), "{text}");
    assert!(text.contains("phase: avancée"), "{text}");
    // What French leaves out reads in English, advice included.
    assert!(text.contains("Buying influencers"), "{text}");
    assert!(text.contains("Get in front of 周行长"), "{text}");

    // A language nobody wrote is refused, naming the ones there are.
    let output = dealcoach()
        .args(["next", &example("bank-core.yaml"), "--lang", "de"])
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("zh, en, fr"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_language_code_is_read_in_any_case() {
    let output = dealcoach()
        .args(["next", &example("bank-core.yaml"), "--lang", "ZH"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("下一步行动"));
}

#[test]
fn the_locale_picks_a_language_the_playbooks_speak() {
    for (locale, heading) in [
        ("zh_CN.UTF-8", "下一步行动"),
        ("en_GB.UTF-8", "Next moves"),
        ("fr_FR.UTF-8", "Next moves"),
        ("C", "Next moves"),
    ] {
        let output = dealcoach()
            .env("LANG", locale)
            .args(["next", &example("bank-core.yaml")])
            .output()
            .unwrap();
        assert!(stdout(&output).contains(heading), "{locale}");
    }
}

#[test]
fn check_names_a_label_missing_in_english_at_its_line() {
    let folder = exported_playbooks();
    let labels = folder.path().join("playbooks/labels.yaml");
    let text = std::fs::read_to_string(&labels).unwrap();
    // A word of the folder's own: the built-in catalog cannot stand in for it.
    let text = text.replace(
        "  heading.warnings:",
        "  heading.house_rules: {zh: 本公司规定}\n  heading.warnings:",
    );
    std::fs::write(&labels, &text).unwrap();
    let line = text
        .lines()
        .position(|line| line.contains("heading.house_rules"))
        .unwrap()
        + 1;
    let output = dealcoach()
        .arg("check")
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!(
            "playbooks/labels.yaml:{line}:3: label `heading.house_rules` has no `en` text"
        )),
        "{errors}"
    );
}

#[test]
fn check_warns_about_a_concept_without_a_label() {
    let folder = exported_playbooks();
    let labels = folder.path().join("playbooks/labels.yaml");
    let text = std::fs::read_to_string(&labels).unwrap();
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with("concept.risk.stale:"))
        .unwrap()
        .to_owned();
    // Labels a folder leaves out fall back to the built-in ones; a concept of the
    // folder's own needs its own.
    std::fs::write(&labels, text.replace(&line, "")).unwrap();
    let powers = folder.path().join("playbooks/hygiene.yaml");
    let rules = std::fs::read_to_string(&powers).unwrap();
    std::fs::write(
        &powers,
        rules.replacen("concept: risk.stale\n", "concept: risk.stale_house\n", 1),
    )
    .unwrap();
    let output = dealcoach()
        .arg("check")
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .unwrap();
    let errors = stderr(&output);
    assert!(
        errors.contains("concept `risk.stale_house`")
            && errors.contains("has no label `concept.risk.stale_house`"),
        "{errors}"
    );
    assert!(!errors.contains("`concept.risk.stale`:"), "{errors}");
}

/// The fallback of a setting a trainer's folder leaves out is the built-in value: with
/// `evidence_temperature` deleted, bank-core's evidence temperature used to drop from 36
/// to 18 (a Rust default).
#[test]
fn a_setting_left_out_of_a_folder_is_the_built_in_one() {
    let builtin = stdout(
        &dealcoach()
            .args(["next", &example("bank-core.yaml"), "--format", "json"])
            .output()
            .unwrap(),
    );
    let folder = exported_playbooks();
    let settings = folder.path().join("playbooks/settings.yaml");
    let text = std::fs::read_to_string(&settings).unwrap();
    let start = text.find("  evidence_temperature:").unwrap();
    let end = start + text[start..].find("  overestimate_margin").unwrap();
    let mut edited = text.clone();
    edited.replace_range(start..end, "");
    std::fs::write(&settings, &edited).unwrap();
    let output = dealcoach()
        .args(["next", &example("bank-core.yaml"), "--format", "json"])
        .arg("--playbooks")
        .arg(folder.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let evidence = |json: &str| {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        value["assessment"]["temperature"]["evidence"].clone()
    };
    assert_eq!(evidence(&stdout(&output)), evidence(&builtin));
}

/// No word of the output is written in Rust: the source holds no Chinese outside
/// comments and tests. Three places read Chinese input rather than print it: the note
/// detector (src/detect), the dates reps write (`12月5日`, src/snapshot/date.rs), and the
/// amounts and dates CRM exports write (`120万元`, `2026年3月5日`, src/import/cells.rs).
#[test]
fn no_chinese_ui_text_lives_in_rust_code() {
    let mut found = Vec::new();
    let mut stack = vec![common::root().join("src")];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            continue;
        }
        let reads_input = ["detect", "snapshot/date.rs", "import/cells.rs"]
            .iter()
            .any(|allowed| path.to_string_lossy().contains(allowed));
        // A module's tests kept in a file of their own (`facts/tests.rs`) are tests too.
        let test_module = path.file_name().is_some_and(|name| name == "tests.rs");
        if path.extension().is_none_or(|e| e != "rs") || reads_input || test_module {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (index, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break; // test modules close every file here
            }
            let code = line.split("//").next().unwrap_or_default();
            if code.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                found.push(format!("{}:{}: {line}", path.display(), index + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
