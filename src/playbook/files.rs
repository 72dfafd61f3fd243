//! The files of a playbook folder: read from disk (or the built-in copy compiled into the
//! binary), kept as text with their origin, exported, and fingerprinted.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::*;

/// One file of a playbook folder, by its path relative to the folder.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Where the playbooks came from, as the JSON output reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Folder(PathBuf),
}

/// The files of a playbook folder, read but not yet parsed.
#[derive(Debug, Clone)]
pub struct PlaybookFiles {
    pub origin: Origin,
    pub files: Vec<SourceFile>,
    /// What reading the folder passed over (links to folders, pipes, broken links), for
    /// the command to note.
    pub skipped: Vec<Skipped>,
}

pub(super) fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// The playbook and script files under `folder`, relative to `root`. Links to files are
/// read; links to folders are never followed (`a -> .` would loop forever), and nothing
/// but a regular file is opened (a pipe would block): those are noted in `skipped`.
pub(super) fn collect_files(
    root: &Path,
    folder: &Path,
    paths: &mut Vec<String>,
    skipped: &mut Vec<Skipped>,
) {
    let mut skip = |path: &Path, note: String| {
        skipped.push(Skipped {
            path: path.display().to_string(),
            note,
        })
    };
    for entry in walkdir::WalkDir::new(folder).follow_links(false) {
        let entry = match entry {
            Ok(entry) => entry,
            // A missing `rules/` is no problem; an unreadable subfolder is noted.
            Err(error) if error.depth() == 0 => return,
            Err(error) => {
                let path = error.path().unwrap_or(folder).to_path_buf();
                skip(&path, format!("cannot be read: {error}"));
                continue;
            }
        };
        let path = entry.path();
        let kind = entry.file_type();
        let regular = if kind.is_symlink() {
            match std::fs::metadata(path) {
                Ok(target) if target.is_dir() => {
                    skip(path, Skipped::LINK_TO_FOLDER.to_owned());
                    continue;
                }
                Ok(target) => target.is_file(),
                Err(error) => {
                    skip(path, Skipped::broken_link(&error));
                    continue;
                }
            }
        } else if kind.is_dir() {
            continue;
        } else {
            kind.is_file()
        };
        if !regular {
            skip(path, Skipped::NOT_REGULAR.to_owned());
            continue;
        }
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "rhai")
        ) {
            if let Ok(relative) = path.strip_prefix(root) {
                paths.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::Builtin => "builtin".to_owned(),
            Origin::Folder(path) => path.display().to_string(),
        }
    }
}

impl PlaybookFiles {
    pub fn builtin() -> PlaybookFiles {
        let files = builtin::BUILTIN_FILES
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        PlaybookFiles {
            origin: Origin::Builtin,
            files,
            skipped: Vec::new(),
        }
    }

    /// Reads `folder/playbooks/**.yaml` and `folder/rules/*.rhai`.
    pub fn read_folder(folder: &Path, max_bytes: u64) -> Result<PlaybookFiles, Diagnostics> {
        let shown = folder.display().to_string();
        if !folder.is_dir() {
            return Err(Diagnostics(vec![Diagnostic::error(
                shown,
                0,
                0,
                "is not a playbook folder (no such folder)",
            )]));
        }
        if !folder.join("playbooks").is_dir() {
            return Err(Diagnostics(vec![Diagnostic::error(
                shown,
                0,
                0,
                "is not a playbook folder: it has no `playbooks/` folder (create one with `dealcoach playbooks export DIR`)",
            )]));
        }
        let mut paths = Vec::new();
        let mut skipped = Vec::new();
        collect_files(folder, &folder.join("playbooks"), &mut paths, &mut skipped);
        collect_files(folder, &folder.join("rules"), &mut paths, &mut skipped);
        paths.sort();
        skipped.sort();
        let mut files = Vec::new();
        let mut problems = Diagnostics::default();
        for relative in paths {
            let full = folder.join(&relative);
            match crate::snapshot::read_text(&full.display().to_string(), max_bytes) {
                Ok(text) => files.push(SourceFile {
                    path: relative,
                    text,
                }),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(PlaybookFiles {
                origin: Origin::Folder(folder.to_path_buf()),
                files,
                skipped,
            })
        } else {
            Err(problems)
        }
    }

    /// `sha256:` over the path and contents of every playbook and script file (the test
    /// cases do not change advice, so they are left out), so a report can say exactly
    /// which method produced it.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for file in self.playbook_yaml().chain(self.scripts()) {
            hasher.update(file.path.as_bytes());
            hasher.update([0]);
            hasher.update(file.text.as_bytes());
            hasher.update([0]);
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// Writes the files under `target`, in the layout `--playbooks` reads.
    pub fn export(&self, target: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for file in &self.files {
            let path = target.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &file.text)?;
            written.push(path);
        }
        Ok(written)
    }

    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|file| file.path == path)
    }

    /// Playbook files (not test cases), in path order.
    pub fn playbook_yaml(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().filter(|file| {
            file.path.starts_with("playbooks/")
                && !file.path.starts_with("playbooks/tests/")
                && is_yaml(&file.path)
        })
    }

    pub fn test_yaml(&self) -> impl Iterator<Item = &SourceFile> {
        self.files
            .iter()
            .filter(|file| file.path.starts_with("playbooks/tests/") && is_yaml(&file.path))
    }

    pub fn scripts(&self) -> impl Iterator<Item = &SourceFile> {
        self.files
            .iter()
            .filter(|file| file.path.starts_with("rules/") && file.path.ends_with(".rhai"))
    }
}

pub(super) mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_playbooks.rs"));
}
