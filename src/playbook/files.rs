//! The files of a playbook folder: read from disk (or the built-in copy compiled into the
//! binary), kept as text with their origin, exported, and fingerprinted.

use std::path::{Path, PathBuf};

use super::digest::{digest, is_playbook_yaml, is_script, is_yaml};
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
    /// which method produced it. When those files are the built-in ones byte for byte
    /// (wherever they were read from), this is the digest build.rs computed with the same
    /// function: comparing the text costs a fraction of hashing it.
    pub fn digest(&self) -> String {
        if self.are_builtin() {
            return builtin::BUILTIN_DIGEST.to_owned();
        }
        self.computed_digest()
    }

    /// Whether the files the digest covers are the built-in ones, byte for byte.
    fn are_builtin(&self) -> bool {
        let (mut mine, mut built) = (self.digested(), builtin::digested());
        loop {
            match (mine.next(), built.next()) {
                (None, None) => return true,
                (Some(file), Some(builtin)) if file == builtin => {}
                _ => return false,
            }
        }
    }

    /// [`PlaybookFiles::digest`], always hashed.
    pub fn computed_digest(&self) -> String {
        digest(self.digested())
    }

    /// The (path, contents) the digest covers, in order: playbooks, then scripts.
    fn digested(&self) -> impl Iterator<Item = (&str, &str)> {
        self.playbook_yaml()
            .chain(self.scripts())
            .map(|file| (file.path.as_str(), file.text.as_str()))
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
        self.files
            .iter()
            .filter(|file| is_playbook_yaml(&file.path))
    }

    pub fn test_yaml(&self) -> impl Iterator<Item = &SourceFile> {
        self.files
            .iter()
            .filter(|file| file.path.starts_with("playbooks/tests/") && is_yaml(&file.path))
    }

    pub fn scripts(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().filter(|file| is_script(&file.path))
    }
}

pub(super) mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_playbooks.rs"));

    /// The built-in files the digest covers, in the order [`super::PlaybookFiles::digest`]
    /// takes them.
    pub(super) fn digested() -> impl Iterator<Item = (&'static str, &'static str)> {
        let playbooks = BUILTIN_FILES
            .iter()
            .filter(|(path, _)| super::is_playbook_yaml(path));
        let scripts = BUILTIN_FILES
            .iter()
            .filter(|(path, _)| super::is_script(path));
        playbooks.chain(scripts).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest build.rs computed is the one the program computes over the embedded
    /// files: reports read with the built-in playbooks keep their digest.
    #[test]
    fn the_build_time_digest_is_the_digest_of_the_embedded_files() {
        let files = PlaybookFiles::builtin();
        let computed = files.computed_digest();
        assert_eq!(builtin::BUILTIN_DIGEST, computed);
        assert_eq!(files.digest(), computed);
        assert!(computed.starts_with("sha256:") && computed.len() == 7 + 64);
    }

    /// A built-in file changed in memory is hashed: the build-time digest names only the
    /// files as built.
    #[test]
    fn changed_built_in_files_are_hashed() {
        let mut files = PlaybookFiles::builtin();
        let hygiene = files
            .files
            .iter_mut()
            .find(|file| file.path.ends_with("hygiene.yaml"))
            .expect("hygiene.yaml is built in");
        hygiene.text.push_str("\n# a trainer's comment\n");
        let changed = files.digest();
        assert_ne!(changed, builtin::BUILTIN_DIGEST);
        assert_eq!(changed, files.computed_digest());

        let mut fewer = PlaybookFiles::builtin();
        fewer.files.retain(|file| !file.path.ends_with(".rhai"));
        assert_ne!(fewer.digest(), builtin::BUILTIN_DIGEST);
        assert_eq!(fewer.digest(), fewer.computed_digest());
    }

    /// The built-in files exported and read back as a folder have the built-in digest:
    /// it names the files, not where they were read from.
    #[test]
    fn an_exported_copy_has_the_built_in_digest() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        PlaybookFiles::builtin()
            .export(folder.path())
            .expect("export");
        let read = PlaybookFiles::read_folder(folder.path(), 1 << 24).expect("read back");
        assert_eq!(read.digest(), builtin::BUILTIN_DIGEST);
        assert_eq!(read.computed_digest(), builtin::BUILTIN_DIGEST);
    }
}
