//! The folder an import writes: one snapshot file per deal, merged into what is there.
//!
//! A deal goes into the file that already holds its `deal.id` (a rep may have renamed
//! it), else into `<id>.yaml`, the id made safe as a file name. Files are written whole
//! or not at all (a temporary file in the same folder, renamed over the old one), never
//! through a link, and only when something changed, so a file the CRM has nothing new
//! for keeps its comments and its time stamp. Every snapshot is read back by the
//! snapshot reader before it is written: `import` never leaves a file `next` refuses,
//! and never touches a file it cannot read as a snapshot.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::{Mapping, Value};

use super::merge::{self, Change, Fingerprint};
use super::CrmDeal;
use crate::diag::Diagnostic;
use crate::snapshot::vocabulary::Aliases;

/// What happened to one deal.
#[derive(Debug)]
pub enum Written {
    New { file: String },
    Updated { file: String, changes: Vec<Change> },
    Unchanged { file: String },
}

/// The outcome of writing an import into a folder.
#[derive(Debug, Default)]
pub struct Outcome {
    pub written: Vec<Written>,
    /// Deals that could not be written (the others were).
    pub problems: Vec<Diagnostic>,
    /// Things the rep should look at in a file that was written.
    pub warnings: Vec<String>,
    /// The folder did not exist (and was created, or would be).
    pub created_folder: bool,
}

/// The first lines of every written snapshot: where it came from and the merge's rule,
/// for the rep who opens it.
const HEADER: &str =
    "# Imported by `dealcoach import`. On the next import the CRM's fields are updated and
# everything else you add here is kept (comments are not).";

/// Writes (or with `dry_run` only works out) every deal into `folder`.
pub fn write(
    deals: &[CrmDeal],
    folder: &Path,
    dry_run: bool,
    aliases: &Arc<Aliases>,
) -> Result<Outcome, Diagnostic> {
    let shown_folder = folder.display().to_string();
    let mut outcome = Outcome::default();
    match std::fs::metadata(folder) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => {
            return Err(Diagnostic::error(
                &shown_folder,
                0,
                0,
                "is a file: `-o` names the folder the snapshots go into",
            ))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            outcome.created_folder = true;
            if !dry_run {
                std::fs::create_dir_all(folder).map_err(|error| {
                    Diagnostic::error(&shown_folder, 0, 0, format!("cannot create it: {error}"))
                })?;
            }
        }
        Err(error) => {
            return Err(Diagnostic::error(
                &shown_folder,
                0,
                0,
                crate::snapshot::io_message(&error),
            ))
        }
    }
    let existing = if outcome.created_folder {
        Existing::default()
    } else {
        Existing::index(folder, &shown_folder)?
    };
    let mut taken: HashMap<String, &str> = HashMap::new();
    for deal in deals {
        let name = format!("{}.yaml", file_stem(&deal.id));
        let problem = |message: String| Diagnostic::error(&deal.source, deal.line, 0, message);
        let target = match existing.by_id.get(&deal.id).map(Vec::as_slice) {
            Some([only]) => only.clone(),
            Some(several) => {
                let files: Vec<String> = several
                    .iter()
                    .map(|path| format!("`{}`", path.display()))
                    .collect();
                outcome.problems.push(problem(format!(
                    "deal `{}` is in {} files ({}): keep one of them, then import again",
                    deal.id,
                    several.len(),
                    files.join(", ")
                )));
                continue;
            }
            None => {
                if let Some(other) = taken.get(&name.to_lowercase()) {
                    outcome.problems.push(problem(format!(
                        "deal `{}` would be written to `{name}`, the file of deal `{other}`: ids that differ only in case or in characters a file name cannot hold cannot share a folder",
                        deal.id
                    )));
                    continue;
                }
                folder.join(&name)
            }
        };
        taken.insert(name.to_lowercase(), &deal.id);
        let shown = target.display().to_string();
        match write_one(deal, &target, &shown, &existing, dry_run, aliases) {
            Ok((written, warnings)) => {
                outcome.warnings.extend(
                    warnings
                        .into_iter()
                        .map(|warning| format!("{shown}: warning: {warning}")),
                );
                outcome.written.push(written);
            }
            Err(diagnostic) => outcome.problems.push(diagnostic),
        }
    }
    Ok(outcome)
}

fn write_one(
    deal: &CrmDeal,
    target: &Path,
    shown: &str,
    existing: &Existing,
    dry_run: bool,
    aliases: &Arc<Aliases>,
) -> Result<(Written, Vec<String>), Diagnostic> {
    let refuse = |message: &str| Diagnostic::error(shown, 0, 0, message.to_owned());
    if let Some(problem) = existing.unreadable.get(target) {
        return Err(problem.clone());
    }
    let previous = match std::fs::symlink_metadata(target) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(refuse("is a link: import never writes through a link (remove the link, or import into another folder)"))
        }
        Ok(metadata) if !metadata.is_file() => {
            return Err(refuse("is not a regular file: nothing was written for this deal"))
        }
        Ok(_) => match existing.files.get(target) {
            Some(file) => Some(file),
            None => {
                return Err(refuse(
                    "appeared while the import ran: nothing was written for this deal",
                ))
            }
        },
        Err(_) => None,
    };
    let (snapshot, fingerprint, warnings) = match previous {
        Some(file) => {
            if file.id.as_deref() != Some(deal.id.as_str()) {
                return Err(Diagnostic::error(
                    &deal.source,
                    deal.line,
                    0,
                    format!(
                        "`{shown}` holds another deal ({}): move it away to import deal `{}`",
                        file.id
                            .as_deref()
                            .map_or("no `deal.id`".to_owned(), |id| format!("`{id}`")),
                        deal.id
                    ),
                ));
            }
            // The rep's file must be a valid snapshot before anything is merged into it:
            // a half-edited file is left alone, with the reason.
            crate::snapshot::parse(&file.text, shown, aliases).map_err(|mut diagnostic| {
                diagnostic
                    .message
                    .push_str(" — the import left this file as it is: fix it, then import again");
                diagnostic
            })?;
            let merged = merge::merge(&file.snapshot, &file.text, &deal.snapshot);
            (merged.snapshot, merged.notes, merged.warnings)
        }
        None => {
            let notes = deal
                .snapshot
                .get("deal")
                .and_then(|deal| deal.get("notes"))
                .and_then(Value::as_str)
                .map(Fingerprint::of);
            (deal.snapshot.clone(), notes, Vec::new())
        }
    };
    let text = render(&snapshot, fingerprint.as_ref()).map_err(|error| {
        Diagnostic::error(
            &deal.source,
            deal.line,
            0,
            format!("cannot write the snapshot: {error}"),
        )
    })?;
    crate::snapshot::parse(&text, shown, aliases).map_err(|diagnostic| {
        Diagnostic::error(
            &deal.source,
            deal.line,
            0,
            format!(
                "the snapshot of deal `{}` would not be valid, so nothing was written for it: {}",
                deal.id, diagnostic.message
            ),
        )
    })?;
    let file = shown.to_owned();
    let written = match previous {
        Some(previous) if previous.snapshot == snapshot => {
            return Ok((Written::Unchanged { file }, warnings))
        }
        Some(previous) => Written::Updated {
            file,
            changes: merge::changes(&previous.snapshot, &snapshot),
        },
        None => Written::New { file },
    };
    if !dry_run {
        let durable = matches!(written, Written::Updated { .. });
        replace(target, &text, durable)
            .map_err(|error| Diagnostic::error(shown, 0, 0, format!("cannot write it: {error}")))?;
    }
    Ok((written, warnings))
}

/// The file's text: the header, the CRM's notes fingerprint, the snapshot.
pub fn render(
    snapshot: &Mapping,
    notes: Option<&Fingerprint>,
) -> Result<String, serde_yaml::Error> {
    let mut text = String::from(HEADER);
    text.push('\n');
    if let Some(fingerprint) = notes {
        text.push_str(&fingerprint.line());
        text.push('\n');
    }
    text.push_str(&serde_yaml::to_string(snapshot)?);
    Ok(text)
}

/// Writes `text` to `target` whole or not at all: a hidden temporary file in the same
/// folder (a pipeline review skips hidden files), renamed over the target. A rename
/// replaces a link rather than writing through it.
///
/// `durable`: the text reaches the disk before the rename, so a crash cannot leave an
/// empty file where a rep's edited snapshot was. A new file has nothing to lose and skips
/// it: one flush per file was two thirds of a 10,000-deal first import.
fn replace(target: &Path, text: &str, durable: bool) -> std::io::Result<()> {
    let folder = target.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".dealcoach-import-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    temporary.write_all(text.as_bytes())?;
    if durable {
        temporary.as_file().sync_all()?;
    }
    #[cfg(unix)]
    {
        // tempfile creates the file readable by its owner only; a snapshot is an
        // ordinary document (an updated one keeps the permissions it had).
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::symlink_metadata(target)
            .ok()
            .filter(|metadata| metadata.is_file())
            .map_or(std::fs::Permissions::from_mode(0o644), |metadata| {
                metadata.permissions()
            });
        temporary.as_file().set_permissions(permissions)?;
    }
    temporary.persist(target).map_err(|error| error.error)?;
    Ok(())
}

/// A deal id as a file name: letters, digits, `-`, `_` and `.` kept, anything else `_`,
/// never hidden (a leading `.` would hide the file from `review`), at most 100 characters.
pub fn file_stem(id: &str) -> String {
    let mut stem: String = id
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if stem.starts_with('.') {
        stem.replace_range(..1, "_");
    }
    if stem.is_empty() {
        stem.push('_');
    }
    stem
}

/// A snapshot file already in the folder.
#[derive(Debug)]
struct ExistingFile {
    text: String,
    snapshot: Mapping,
    id: Option<String>,
}

/// The folder's snapshot files (its own, not its subfolders'), by deal id.
#[derive(Debug, Default)]
struct Existing {
    files: HashMap<PathBuf, ExistingFile>,
    by_id: BTreeMap<String, Vec<PathBuf>>,
    /// Files that could not be read as YAML: never overwritten.
    unreadable: HashMap<PathBuf, Diagnostic>,
}

impl Existing {
    fn index(folder: &Path, shown_folder: &str) -> Result<Existing, Diagnostic> {
        let mut existing = Existing::default();
        let entries = std::fs::read_dir(folder).map_err(|error| {
            Diagnostic::error(shown_folder, 0, 0, crate::snapshot::io_message(&error))
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| is_snapshot_file(path))
            .collect();
        paths.sort();
        let max_bytes = crate::snapshot::max_input_bytes();
        for path in paths {
            let regular = std::fs::symlink_metadata(&path)
                .is_ok_and(|metadata| metadata.file_type().is_file());
            if !regular {
                continue;
            }
            let shown = path.display().to_string();
            let read = crate::snapshot::read_text(&shown, max_bytes).and_then(|text| {
                let value: Value = crate::snapshot::from_yaml(&text, &shown)?;
                Ok((text, value))
            });
            match read {
                Ok((text, Value::Mapping(snapshot))) => {
                    let id = snapshot
                        .get("deal")
                        .and_then(|deal| deal.get("id"))
                        .and_then(|id| match id {
                            Value::String(text) => Some(text.trim().to_owned()),
                            Value::Number(number) => Some(number.to_string()),
                            _ => None,
                        });
                    if let Some(id) = &id {
                        existing
                            .by_id
                            .entry(id.clone())
                            .or_default()
                            .push(path.clone());
                    }
                    existing
                        .files
                        .insert(path, ExistingFile { text, snapshot, id });
                }
                Ok(_) => {
                    existing.unreadable.insert(
                        path,
                        Diagnostic::error(
                            &shown,
                            0,
                            0,
                            "is not a deal snapshot (its top level is not a mapping): the import left it as it is",
                        ),
                    );
                }
                Err(mut diagnostic) => {
                    diagnostic.message.push_str(
                        " — the import left this file as it is: fix it, then import again",
                    );
                    existing.unreadable.insert(path, diagnostic);
                }
            }
        }
        Ok(existing)
    }
}

fn is_snapshot_file(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.'));
    let yaml = path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| matches!(extension.to_ascii_lowercase().as_str(), "yaml" | "yml"));
    !hidden && yaml
}

#[cfg(test)]
mod tests {
    //! File names from ids: safe, visible, distinct.
    use super::*;

    #[test]
    fn ids_become_safe_visible_file_names() {
        assert_eq!(file_stem("006Dn000004XyZAAQ"), "006Dn000004XyZAAQ");
        assert_eq!(file_stem("商机-2026/001"), "商机-2026_001");
        assert_eq!(file_stem("../etc/passwd"), "_._etc_passwd");
        assert_eq!(file_stem(".hidden"), "_hidden");
        assert_eq!(file_stem("  "), "_");
    }
}
