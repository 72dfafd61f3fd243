//! Helpers shared by the end-to-end tests: run the built binary, locate fixtures.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;

/// The binary under test, with a neutral environment (English, no colour, built-in
/// playbooks) so results do not depend on the machine running the tests.
pub fn dealcoach() -> Command {
    let mut command = Command::cargo_bin("dealcoach").expect("the binary is built by cargo test");
    command
        .env_remove("DEALCOACH_PLAYBOOKS")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "en_US.UTF-8")
        .env_remove("NO_COLOR")
        .env_remove("DEALCOACH_MAX_INPUT_BYTES");
    command
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A deal under the project's own `examples/deals/`.
pub fn example(name: &str) -> String {
    root()
        .join("examples/deals")
        .join(name)
        .display()
        .to_string()
}

/// One of the product contract's example deals, kept in the repository
/// (`tests/fixtures/contract/`, copied from the spec's `examples/deals/`) so that no test
/// depends on a folder outside the checkout, nor tests less without it.
pub fn contract_example(name: &str) -> String {
    let path = root().join("tests/fixtures/contract").join(name);
    assert!(
        path.is_file(),
        "the contract example {name} is in the repository"
    );
    path.display().to_string()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `text` to a fresh temporary file named `name` and returns its path, keeping the
/// folder alive for the test's duration.
pub fn temp_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("temp dir is writable");
    path.display().to_string()
}

/// A playbook folder holding `text` as `playbooks/main.yaml`, with an empty `rules/`.
pub fn playbook_folder(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(dir.path().join("playbooks")).expect("temp dir is writable");
    std::fs::create_dir_all(dir.path().join("rules")).expect("temp dir is writable");
    std::fs::write(dir.path().join("playbooks/main.yaml"), text).expect("temp dir is writable");
    dir
}

/// One entry of a `rules:` list: a high warning on `risk.stale` titled `title {id}`, with
/// `keys` (whole lines, indented as rule keys) before its condition.
pub fn rule_with(id: &str, keys: &str, when: &str) -> String {
    format!(
        "  - id: {id}\n    concept: risk.stale\n{keys}    when: {when}\n    severity: high\n    title: {{zh: 标题, en: title {id}}}\n    why: {{zh: [原因], en: [reason]}}\n"
    )
}

/// The built-in playbooks, exported into a fresh folder, as a trainer starts.
pub fn exported_playbooks() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = dealcoach()
        .args([
            "playbooks",
            "export",
            dir.path().to_str().expect("a UTF-8 path"),
        ])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    dir
}
