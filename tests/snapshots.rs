//! Reviewed snapshots of what a rep sees: each example deal once, in the form that shows
//! it best — bank-core as text in both languages and as the JSON contract, the won clinic
//! chain as text, the early solar deal as Markdown. Any change to the advice, its ranking
//! or its wording shows up here as a diff to review (`INSTA_UPDATE=always cargo test
//! --test snapshots` after reading it). The playbook digest is redacted: it changes with
//! every playbook edit and is checked in tests/next.rs.

mod common;

use common::{example, Cli};

fn next(deal: &str, extra: &[&str]) -> common::Run {
    let path = example(deal);
    let mut args = vec!["next", path.as_str()];
    args.extend_from_slice(extra);
    Cli::new(args).run().succeeds()
}

#[test]
fn bank_core_text_en() {
    insta::assert_snapshot!(next("bank-core.yaml", &["--all", "--lang", "en"]).stdout);
}

#[test]
fn bank_core_text_zh() {
    insta::assert_snapshot!(next("bank-core.yaml", &["--all", "--lang", "zh"]).stdout);
}

#[test]
fn bank_core_json() {
    let mut report = next("bank-core.yaml", &["--format", "json"]).json();
    // Redacted on the parsed report, not by rewriting lines. (insta's own `redactions`
    // feature turns on features of memchr, libc and ahash for the test build only, which
    // would rebuild rhai between the README's run and test commands.)
    report["playbooks"]["digest"] = "[digest]".into();
    insta::assert_json_snapshot!(report);
}

#[test]
fn clinic_chain_won_text_en() {
    insta::assert_snapshot!(next("clinic-chain-won.yaml", &["--lang", "en"]).stdout);
}

#[test]
fn solar_early_markdown_zh() {
    insta::assert_snapshot!(
        next(
            "solar-early.yaml",
            &["--format", "markdown", "--lang", "zh"]
        )
        .stdout
    );
}
