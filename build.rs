//! Embeds the repository's `playbooks/` and `rules/` into the binary, so that
//! `dealcoach next deal.yaml` works anywhere without the source tree.
//!
//! Each file is pulled in with `include_str!`, which makes rustc track it: editing a
//! playbook rebuilds the binary; the `rerun-if-changed` on the folders catches added and
//! removed files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The digest the program computes for a playbook folder, computed here for the built-in
/// one (`BUILTIN_DIGEST`): the same function over the same bytes.
#[path = "src/playbook/digest.rs"]
mod digest;

/// The program's note detection, to compile the built-in phrase data once, here
/// (`BUILTIN_DETECTOR`, see src/detect/prepared.rs). Only its compiling is used.
#[path = "src/detect/mod.rs"]
#[allow(dead_code, unused_imports)]
mod detect;

/// What `detect` reads of the program's playbook module: here, no prepared detector yet,
/// so the phrase data is compiled.
mod playbook {
    pub static BUILTIN_DETECTOR: &[u8] = &[];
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in ["playbooks", "rules"] {
        println!("cargo:rerun-if-changed={folder}");
        collect(&root, &root.join(folder), &mut files);
    }
    files.sort();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
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
    // The digest of the built-in files, over the text `include_str!` embeds above (the
    // same files, read once more), so `next` need not hash them at every start.
    let texts: Vec<(&str, String)> = files
        .iter()
        .map(|relative| {
            let text =
                std::fs::read_to_string(root.join(relative)).expect("a playbook file is readable");
            (relative.as_str(), text)
        })
        .collect();
    let playbooks = texts
        .iter()
        .filter(|(path, _)| digest::is_playbook_yaml(path));
    let scripts = texts.iter().filter(|(path, _)| digest::is_script(path));
    let builtin_digest = digest::digest(
        playbooks
            .chain(scripts)
            .map(|(path, text)| (*path, text.as_str())),
    );
    writeln!(
        code,
        "/// The digest of the built-in playbooks and scripts (see `PlaybookFiles::digest`).\npub static BUILTIN_DIGEST: &str = {builtin_digest:?};"
    )
    .expect("writing to a String");
    // The built-in detector: the `detection:` sections of the playbook files, merged in
    // file order as loading merges them, compiled. Should loading see other phrase data,
    // the program finds the bytes differ and compiles its own. Phrase data that does not
    // read is left to the program, which reports it with its place (`dealcoach check`).
    let detection = detect::DetectionConfig::from_playbook_files(
        texts
            .iter()
            .filter(|(path, _)| digest::is_playbook_yaml(path))
            .map(|(path, text)| (*path, text.as_str())),
    );
    let prepared = detection
        .map(|config| detect::prepare(&config))
        .unwrap_or_default();
    let prepared_path = out_dir.join("builtin_detector.bin");
    std::fs::write(&prepared_path, prepared).expect("OUT_DIR is writable");
    writeln!(
        code,
        "/// The built-in phrase data and its compiled detector (see `detect::prepared`).\npub static BUILTIN_DETECTOR: &[u8] = include_bytes!({:?});",
        prepared_path.display().to_string()
    )
    .expect("writing to a String");
    // The playbook files as JSON, for a faster start-up. A file that does not parse is
    // left out: loading then parses its YAML and reports the error with its place.
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
