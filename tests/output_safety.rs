//! Output safe to open and to cut short (issue 15, D7 and D11): a deal written by someone
//! else cannot drive the reader's terminal, run a formula in their spreadsheet or inject
//! HTML into their Markdown viewer, and a reader who stops reading (`| head`) never makes
//! dealcoach panic. Each test runs the real binary, as a user's shell would.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{dealcoach, stdout, temp_file};

/// A deal whose texts carry a terminal escape sequence, a spreadsheet formula and HTML.
const HOSTILE_DEAL: &str = r#"{"deal": {"id": "=HYPERLINK(\"http://x\")", "name": "ACME \u001b[2J\u001b]0;owned\u0007<script>alert(1)</script>", "stage": "develop", "temperature": 40, "as_of": "2026-11-20"},
 "account": {"name": "@SUM(A1:A9)"},
 "stakeholders": [{"name": "Mr. \u001b[31mRed", "role": "decision_maker", "top_decision_maker": true, "influence": 9, "met": false}]}"#;

fn hostile_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    temp_file(&dir, "hostile.json", HOSTILE_DEAL);
    dir
}

#[test]
fn d11_text_output_carries_no_escape_sequence_from_a_deal() {
    let dir = hostile_folder();
    let deal = dir.path().join("hostile.json");
    for args in [
        vec!["next", deal.to_str().unwrap(), "--all"],
        vec!["next", deal.to_str().unwrap(), "--format", "markdown"],
        vec!["review", dir.path().to_str().unwrap()],
        vec![
            "review",
            dir.path().to_str().unwrap(),
            "--format",
            "markdown",
        ],
        vec!["accounts", dir.path().to_str().unwrap()],
    ] {
        let output = dealcoach().args(&args).output().unwrap();
        let text = stdout(&output);
        assert!(
            ["ACME", "@SUM", "Red"]
                .iter()
                .any(|word| text.contains(word)),
            "{args:?}: {text}"
        );
        assert!(
            !text.contains(['\u{1b}', '\u{7}']),
            "{args:?} printed a control character: {text:?}"
        );
    }
}

#[test]
fn d11_csv_cells_that_start_like_formulas_are_escaped() {
    let dir = hostile_folder();
    let output = dealcoach()
        .args(["review", dir.path().to_str().unwrap(), "--format", "csv"])
        .output()
        .unwrap();
    let csv = stdout(&output);
    assert!(
        csv.contains(r#""'=HYPERLINK(""http://x"")""#),
        "the id must be escaped: {csv}"
    );
    assert!(
        csv.contains("'@SUM(A1:A9)"),
        "the account must be escaped: {csv}"
    );
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",@SUM"),
        "{csv}"
    );
}

#[test]
fn d11_markdown_escapes_html_from_a_deal() {
    let dir = hostile_folder();
    let deal = dir.path().join("hostile.json");
    for args in [
        vec!["next", deal.to_str().unwrap(), "--format", "markdown"],
        vec![
            "review",
            dir.path().to_str().unwrap(),
            "--format",
            "markdown",
        ],
    ] {
        let markdown = stdout(&dealcoach().args(&args).output().unwrap());
        assert!(!markdown.contains("<script>"), "{args:?}: {markdown}");
        assert!(markdown.contains("&lt;script&gt;"), "{args:?}: {markdown}");
    }
}

/// Runs the binary with stdout and stderr read by nobody: both pipes are closed before it
/// writes its first byte (start-up alone takes milliseconds).
fn run_with_closed_pipes(args: &[&str]) -> (Option<i32>, Duration) {
    let binary = assert_cmd::cargo::cargo_bin("dealcoach");
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .env("LANG", "en_US.UTF-8")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    drop(child.stdout.take());
    drop(child.stderr.take());
    let deadline = started + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status.code(), started.elapsed());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} did not end with nobody reading its output");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn d7_a_closed_pipe_ends_quietly_with_the_contracts_exit_code() {
    let dir = hostile_folder();
    temp_file(
        &dir,
        "broken.yaml",
        "deal: {id: x, name: X, stage: nowhere}\n",
    );
    let folder = dir.path().to_str().unwrap();
    let example = common::example("bank-core.yaml");
    for (args, expected) in [
        (vec!["review", folder, "--format", "csv"], 1),
        (vec!["review", folder], 1),
        (vec!["accounts", folder, "--format", "csv"], 1),
        (vec!["next", example.as_str()], 0),
        (vec!["next", example.as_str(), "--format", "json"], 0),
        (vec!["next", folder], 2),
        (vec!["check"], 0),
    ] {
        let (code, _) = run_with_closed_pipes(&args);
        assert_eq!(code, Some(expected), "{args:?} (101 is a panic)");
    }
}

#[test]
fn d7_watch_stops_when_nobody_reads_its_output() {
    let example = common::example("bank-core.yaml");
    let (code, _) = run_with_closed_pipes(&["watch", example.as_str()]);
    assert_eq!(code, Some(0));
}

#[test]
fn d7_a_reader_that_stops_after_one_line_gets_that_line() {
    let dir = hostile_folder();
    let mut child = dealcoach_std()
        .args(["review", dir.path().to_str().unwrap(), "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = [0u8; 2];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    assert_eq!(&first, b"id");
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "panicked");
}

fn dealcoach_std() -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("dealcoach"));
    command.env("LANG", "en_US.UTF-8").stdin(Stdio::null());
    command
}
