//! Reviewed snapshots of what a rep sees: the text, Markdown and JSON reports of the
//! project's example deals. Any change to the advice, its ranking or its wording shows up
//! here as a diff to review (`INSTA_UPDATE=always cargo test --test snapshots` after
//! reading it). The playbook digest is masked: it changes with every playbook edit and
//! is checked in tests/next.rs.

mod common;

use common::{dealcoach, example, stdout};

fn run(args: &[&str]) -> String {
    let output = dealcoach().args(args).output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        common::stderr(&output)
    );
    stdout(&output)
}

fn masked_json(deal: &str) -> String {
    let text = run(&["next", &example(deal), "--format", "json"]);
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("\"digest\"") {
                "    \"digest\": \"[masked]\""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bank_core_text_en() {
    insta::assert_snapshot!(run(&[
        "next",
        &example("bank-core.yaml"),
        "--all",
        "--lang",
        "en"
    ]));
}

#[test]
fn bank_core_text_zh() {
    insta::assert_snapshot!(run(&[
        "next",
        &example("bank-core.yaml"),
        "--all",
        "--lang",
        "zh"
    ]));
}

#[test]
fn bank_core_json() {
    insta::assert_snapshot!(masked_json("bank-core.yaml"));
}

#[test]
fn clinic_chain_won_text_en() {
    insta::assert_snapshot!(run(&[
        "next",
        &example("clinic-chain-won.yaml"),
        "--lang",
        "en"
    ]));
}

#[test]
fn clinic_chain_won_json() {
    insta::assert_snapshot!(masked_json("clinic-chain-won.yaml"));
}

#[test]
fn solar_early_markdown_zh() {
    insta::assert_snapshot!(run(&[
        "next",
        &example("solar-early.yaml"),
        "--format",
        "markdown",
        "--lang",
        "zh"
    ]));
}

#[test]
fn solar_early_json() {
    insta::assert_snapshot!(masked_json("solar-early.yaml"));
}
