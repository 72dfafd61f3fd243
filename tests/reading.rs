//! How deal files are read (issue 19, item 2): a `.json` file is strict JSON, with the
//! place of every problem; a YAML deal is parsed once, and the input guards still speak
//! first when they would have refused it.

mod common;

use common::{dealcoach, stderr, stdout, temp_file};

/// Runs `next` on a file named `name` holding `text`; checks the contract for invalid
/// input (exit 2, nothing on stdout, the file named) and returns stderr.
fn rejected(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, name, text);
    let output = dealcoach().args(["next", &path]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    assert!(output.stdout.is_empty(), "stdout: {}", stdout(&output));
    let message = stderr(&output);
    assert!(message.starts_with(&path), "names the file: {message}");
    message
}

const JSON_DEAL: &str = r#"{
  "deal": {"id": "d-1", "name": "Core banking", "stage": "develop", "as_of": "2026-11-20"},
  "stakeholders": [{"name": "王总", "role": "decision_maker"}]
}
"#;

#[test]
fn a_json_deal_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "deal.json", JSON_DEAL);
    let output = dealcoach()
        .args(["next", &path, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["deal"]["id"], "d-1", "{report}");
}

#[test]
fn a_trailing_comma_in_a_json_deal_is_refused_at_its_place() {
    // YAML's flow style allows the comma, so this passed while JSON was read as YAML.
    let text = "{\n  \"deal\": {\"id\": \"d-1\", \"name\": \"n\",}\n}\n";
    let message = rejected("deal.json", text);
    assert!(
        message.contains("deal.json:2:37: not valid JSON: trailing comma"),
        "{message}"
    );
    // The same text under a YAML name is still YAML.
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "deal.yaml", text);
    let output = dealcoach().args(["next", &path]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn json_deals_get_the_same_checks_with_their_places() {
    // An unknown key, with a suggestion.
    let message = rejected(
        "deal.json",
        "{\"deal\": {\"id\": \"a\", \"name\": \"b\", \"temprature\": 40}}",
    );
    assert!(
        message
            .contains("deal.json:1:35: unknown field `temprature` — did you mean `temperature`?"),
        "{message}"
    );
    // A value out of range; columns count characters, not bytes.
    let message = rejected(
        "deal.json",
        "{\"deal\": {\"id\": \"甲乙\", \"name\": \"b\", \"temperature\": 140}}",
    );
    assert!(
        message.contains("deal.json:1:51: temperature must be 0 to 100, not 140"),
        "{message}"
    );
    // A cross-field check: the reference that names nobody.
    let message = rejected(
        "deal.json",
        "{\"deal\": {\"id\": \"a\", \"name\": \"b\"},\n \"stakeholders\": [{\"name\": \"王总\"}],\n \"signals\": [{\"type\": \"agreed_next_step\", \"from\": \"王宗\"}]}",
    );
    assert!(
        message.contains("deal.json:3:"),
        "the reference's line: {message}"
    );
    assert!(
        message.contains("`王宗` is not one of the stakeholders — did you mean `王总`?"),
        "{message}"
    );
    // YAML in a .json file is not JSON.
    let message = rejected("deal.json", "deal:\n  id: a\n  name: b\n");
    assert!(
        message.contains("deal.json:1:1: not valid JSON: expected value"),
        "{message}"
    );
}

#[test]
fn review_reads_json_strictly_too() {
    let dir = tempfile::tempdir().unwrap();
    temp_file(&dir, "good.json", JSON_DEAL);
    temp_file(
        &dir,
        "comma.json",
        "{\"deal\": {\"id\": \"d-2\", \"name\": \"n\"},\n}\n",
    );
    temp_file(
        &dir,
        "list.json",
        "[\n  {\"deal\": {\"id\": \"d-3\", \"name\": \"n\"}},\n]\n",
    );
    let output = dealcoach()
        .args(["review", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let review: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let rows = review["deals"].as_array().expect("deals");
    assert_eq!(rows.len(), 1, "{review}");
    assert_eq!(rows[0]["id"], "d-1", "{review}");
    let errors = review["errors"].to_string();
    assert!(
        errors.contains("comma.json:2:1: not valid JSON: trailing comma"),
        "{errors}"
    );
    assert!(
        errors.contains("list.json:3:1: not valid JSON: trailing comma"),
        "{errors}"
    );
}

#[test]
fn the_guards_still_refuse_a_deal_read_in_one_pass() {
    // Nested by indentation only: no bracket and no alias, so the deal is parsed once,
    // and the guard's refusal (not serde's type error) is what the rep reads.
    let mut text = String::from("deal: {id: a, name: b}\nquestions:\n");
    for level in 0..70 {
        text.push_str(&"  ".repeat(level));
        text.push_str("- \n");
    }
    let message = rejected("deal.yaml", &text);
    assert!(
        message.contains("collections are nested more than 64 levels deep"),
        "{message}"
    );
    // A syntax error after an unknown key: the error that makes the file unreadable
    // comes first, in `review` as in `next`.
    let broken = "deal:\n  id: x\n  name: y\n  stge: 3\nfoo: [1, 2\n";
    let message = rejected("deal.yaml", broken);
    assert!(
        message.contains("deal.yaml:6:1: not valid YAML"),
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    temp_file(&dir, "deal.yaml", broken);
    let output = dealcoach()
        .args(["review", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let review: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let errors = review["errors"].to_string();
    assert!(errors.contains("deal.yaml:6:1: not valid YAML"), "{errors}");
}

#[test]
fn a_long_review_writes_no_progress_to_a_piped_stderr() {
    // Progress is for a person at a terminal, after a second; here stderr is a pipe, and
    // the review lasts longer than that, so a progress line would show if it ignored
    // where stderr goes.
    let deal = std::fs::read_to_string(common::example("bank-core.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // As many deals as it takes this machine to review for over a second: the review
    // got faster than the 6,000 copies this test began with, and a faster machine
    // reviews more in a second.
    let mut written = 0;
    let mut deals = 6000;
    let output = loop {
        for index in written..deals {
            let text = deal.replace(
                "id: pearl-bank-core-2027",
                &format!("id: pearl-bank-core-copy-{index}"),
            );
            assert_ne!(text, deal, "the example's id is where this test expects it");
            std::fs::write(dir.path().join(format!("deal-{index:06}.yaml")), text).unwrap();
        }
        written = deals;
        let started = std::time::Instant::now();
        let output = dealcoach()
            .args(["review", dir.path().to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap();
        if started.elapsed() > std::time::Duration::from_secs(1) {
            break output;
        }
        assert!(
            deals < 200_000,
            "{deals} deals took under a second: too short to show progress, so this test proves nothing"
        );
        deals *= 2;
    };
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let review: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(review["summary"]["read"], deals, "every deal was read");
    assert!(
        output.stderr.is_empty(),
        "nothing on a piped stderr: {:?}",
        stderr(&output)
    );
}

#[test]
fn a_file_name_ending_in_chinese_is_read_as_yaml() {
    // Telling JSON by the name's last five bytes once cut a character in two.
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "深圳客户", "deal: {id: a, name: b}\n");
    let output = dealcoach()
        .args(["next", &path, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
