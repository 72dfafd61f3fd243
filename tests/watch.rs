//! `watch` as a trainer uses it: it refuses what it cannot watch (standard input, a file
//! that is not there) at once instead of waiting forever, and re-runs on a change with
//! each run marked when the output is not a terminal. The hidden `--max-runs` ends the
//! loop so the tests finish.

mod common;

use std::time::{Duration, Instant};

use common::{dealcoach, example, stderr, stdout};

#[test]
fn watch_refuses_standard_input() {
    let output = dealcoach()
        .args(["watch", "-", "--max-runs", "3"])
        .write_stdin("deal: {id: x, name: y}\n")
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("standard input can be read only once"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn watch_refuses_a_missing_deal() {
    let output = dealcoach()
        .args(["watch", "missing.yaml", "--max-runs", "3"])
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("missing.yaml: no such file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn watch_reruns_on_a_change_and_marks_each_run_when_piped() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let deal = dir.path().join("deal.yaml");
    std::fs::copy(example("bank-core.yaml"), &deal).expect("copy");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dealcoach"))
        .args([
            "watch",
            deal.to_str().expect("UTF-8"),
            "--max-runs",
            "2",
            "--lang",
            "en",
        ])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    // Change the deal until the watch has noticed (modification times can be coarse).
    let started = Instant::now();
    let status = loop {
        std::thread::sleep(Duration::from_millis(700));
        let text = std::fs::read_to_string(&deal).expect("readable");
        std::fs::write(&deal, format!("{text}\n")).expect("writable");
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "watch did not re-run"
        );
    };
    let output = child.wait_with_output().expect("output");
    assert_eq!(status.code(), Some(0));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("\n── run 2 ──\n"), "{out}");
    assert_eq!(out.matches("Pearl River Bank").count(), 2, "{out}");
}

/// `test --lang` fills the advice texts in that language; a code is matched without
/// regard to case, as `next --lang` does.
#[test]
fn test_takes_a_language() {
    for code in ["zh", "ZH"] {
        let output = dealcoach()
            .args(["test", "--quiet", "--filter", "risk.stale", "--lang", code])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
}
