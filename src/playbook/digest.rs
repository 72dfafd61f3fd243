//! The fingerprint of a set of playbook files, shown in every report so it can say which
//! method produced it.
//!
//! build.rs includes this file too (`#[path]`) and computes the built-in playbooks'
//! digest at build time with this very function, so start-up does not hash them; it
//! therefore uses nothing but `std` and `sha2`.

use sha2::{Digest, Sha256};

/// A YAML file, by its name.
pub fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// A playbook file (`playbooks/**.yaml`), not a test case (`playbooks/tests/`).
pub fn is_playbook_yaml(path: &str) -> bool {
    path.starts_with("playbooks/") && !path.starts_with("playbooks/tests/") && is_yaml(path)
}

/// A rule script (`rules/**.rhai`).
pub fn is_script(path: &str) -> bool {
    path.starts_with("rules/") && path.ends_with(".rhai")
}

/// `sha256:` and the hex digest of every (path, contents) given, in order, each followed
/// by a NUL byte.
pub fn digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut hasher = Sha256::new();
    for (path, text) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}
