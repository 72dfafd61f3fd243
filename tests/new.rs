//! `dealcoach new`: it creates a template and never writes through what is already
//! there — a file, or a link (even a dangling one, whose target it would create).

mod common;

use common::{dealcoach, stderr, stdout};

#[cfg(unix)]
#[test]
fn new_refuses_a_dangling_link_and_never_follows_one() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere/created.yaml");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let link = dir.path().join("link.yaml");
    symlink(&target, &link).unwrap();
    let output = dealcoach()
        .args(["new", link.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains("link.yaml: is a link to `")
            && stderr(&output).contains("--force"),
        "{}",
        stderr(&output)
    );
    assert!(!target.exists(), "the link's target was created");

    // With --force the link itself is replaced by a new file; the target is untouched.
    let output = dealcoach()
        .args(["new", link.to_str().unwrap(), "--force"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!target.exists(), "the link's target was created");
    let written = std::fs::symlink_metadata(&link).unwrap();
    assert!(written.file_type().is_file());

    // A link to an existing file: refused, and with --force the file it points to is
    // left as it was.
    std::fs::write(&target, "deal: {id: mine, name: Mine}\n").unwrap();
    std::fs::remove_file(&link).unwrap();
    symlink(&target, &link).unwrap();
    let output = dealcoach()
        .args(["new", link.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = dealcoach()
        .args(["new", link.to_str().unwrap(), "--force"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "deal: {id: mine, name: Mine}\n"
    );
}

#[test]
fn new_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deal.yaml");
    std::fs::write(&path, "deal: {id: mine, name: Mine}\n").unwrap();
    let output = dealcoach()
        .args(["new", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "deal: {id: mine, name: Mine}\n"
    );
    let output = dealcoach()
        .args(["new", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is a folder"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn new_dash_prints_the_template() {
    let output = dealcoach().args(["new", "-"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let template = stdout(&output);
    assert!(
        template.starts_with("# A deal snapshot for dealcoach"),
        "{template}"
    );
    assert!(!std::path::Path::new("-").exists(), "no file named `-`");
    // The printed template is a valid deal.
    let output = dealcoach()
        .args(["next", "-", "--format", "json"])
        .write_stdin(template)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn new_writes_json_for_a_json_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deal.json");
    let output = dealcoach()
        .args(["new", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("JSON has no comments"),
        "{}",
        stdout(&output)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).expect("the file is JSON");
    assert_eq!(value["deal"]["id"], "my-deal-2026");
    let output = dealcoach()
        .args(["next", path.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
