//! Embeds the repository's `playbooks/` and `rules/` into the binary, so that
//! `dealcoach next deal.yaml` works anywhere without the source tree.
//!
//! Each file is pulled in with `include_str!`, which makes rustc track it: editing a
//! playbook rebuilds the binary; the `rerun-if-changed` on the folders catches added and
//! removed files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in ["playbooks", "rules"] {
        println!("cargo:rerun-if-changed={folder}");
        collect(&root, &root.join(folder), &mut files);
    }
    files.sort();
    let mut code = String::from("/// The built-in playbook folder: (path relative to the folder, contents).\npub static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for relative in &files {
        let absolute = root.join(relative);
        writeln!(
            code,
            "    ({relative:?}, include_str!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    // The playbook files as JSON, for a faster start-up. A file that does not parse is
    // left out: loading then parses its YAML and reports the error with its place.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    code.push_str("/// The built-in playbook files as JSON: (path, JSON).\npub static BUILTIN_JSON: &[(&str, &str)] = &[\n");
    for (index, relative) in files.iter().enumerate() {
        if !relative.ends_with(".yaml") {
            continue;
        }
        let text =
            std::fs::read_to_string(root.join(relative)).expect("a playbook file is readable");
        let Ok(value) = serde_yaml::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let json_path = out_dir.join(format!("builtin-{index}.json"));
        std::fs::write(&json_path, value.to_string()).expect("OUT_DIR is writable");
        writeln!(
            code,
            "    ({relative:?}, include_str!({:?})),",
            json_path.display().to_string()
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("builtin_playbooks.rs"), code).expect("OUT_DIR is writable");
}

fn collect(root: &Path, folder: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, files);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "rhai")
        ) {
            let relative = path
                .strip_prefix(root)
                .expect("inside the root")
                .to_string_lossy()
                .replace('\\', "/");
            files.push(relative);
        }
    }
}
