//! Reading a pipeline: deal folders and list files, a chunk at a time, on every core.
//!
//! A pipeline is a folder of snapshots (one `*.yaml`, `*.yml` or `*.json` file per deal;
//! subfolders are read too, hidden entries skipped) or one YAML file whose top level is a
//! list of snapshots (a JSON array works too); a single deal file is a pipeline of one.
//!
//! Memory stays flat as a folder grows: its entries are walked as a stream, and deals are
//! read, parsed and evaluated [`CHUNK`] at a time in parallel, each thread keeping only
//! what the caller's `visit` returns. A list file is the exception: it is one document,
//! read whole (its entries are still evaluated chunk by chunk), so the input size cap
//! (`DEALCOACH_MAX_INPUT_BYTES`, 8 MiB by default) applies to the whole list. A pipeline
//! of 100,000 deals belongs in a folder.
//!
//! Every entry of a list file is parsed on its own, so that one bad entry is one error
//! and the others are still read, and its messages point at the line and column of the
//! list file itself.

use std::collections::VecDeque;
use std::fs::ReadDir;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::ErrorEntry;
use crate::diag::Diagnostic;
use crate::snapshot::Snapshot;
use crate::vocabulary::Aliases;

/// Deals read and evaluated together; small enough that a chunk's rows are nothing, large
/// enough to keep every core busy between two chunks.
pub const CHUNK: usize = 1024;

/// Where a deal was read from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: String,
    /// The line where the deal starts, for an entry of a list file.
    pub line: Option<usize>,
}

/// One deal to read.
enum Unit {
    File(PathBuf),
    Entry { list: Arc<ListFile>, index: usize },
}

struct ListFile {
    path: String,
    text: String,
    entries: Vec<Entry>,
}

/// One entry of a list file: its bytes, and where it starts.
struct Entry {
    range: Range<usize>,
    /// 1-based line and column of the entry's first character.
    line: usize,
    column: usize,
    /// A block entry (`- deal: …`) starts with the dash that must be blanked out.
    block: bool,
}

/// The deals under the given paths, as a stream.
struct Units {
    paths: VecDeque<PathBuf>,
    folders: Vec<(PathBuf, ReadDir)>,
    list: Option<(Arc<ListFile>, usize)>,
    max_bytes: u64,
}

impl Units {
    fn new(paths: &[PathBuf], max_bytes: u64) -> Units {
        Units {
            paths: paths.iter().cloned().collect(),
            folders: Vec::new(),
            list: None,
            max_bytes,
        }
    }
}

impl Iterator for Units {
    type Item = Result<Unit, ErrorEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((list, index)) = &mut self.list {
                if *index < list.entries.len() {
                    let unit = Unit::Entry {
                        list: Arc::clone(list),
                        index: *index,
                    };
                    *index += 1;
                    return Some(Ok(unit));
                }
                self.list = None;
            }
            if let Some((folder, entries)) = self.folders.last_mut() {
                let Some(entry) = entries.next() else {
                    self.folders.pop();
                    continue;
                };
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(error) => {
                        return Some(Err(ErrorEntry::new(
                            &folder.display().to_string(),
                            0,
                            0,
                            format!("cannot list the folder: {error}"),
                        )))
                    }
                };
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = entry.path();
                // Follow links to files, never to folders (a link cycle would never end).
                let is_folder = entry.file_type().is_ok_and(|kind| kind.is_dir());
                if is_folder {
                    match std::fs::read_dir(&path) {
                        Ok(entries) => self.folders.push((path, entries)),
                        Err(error) => {
                            return Some(Err(ErrorEntry::new(
                                &path.display().to_string(),
                                0,
                                0,
                                format!("cannot list the folder: {error}"),
                            )))
                        }
                    }
                    continue;
                }
                if is_deal_file(&path) && path.is_file() {
                    return Some(Ok(Unit::File(path)));
                }
                continue;
            }
            let path = self.paths.pop_front()?;
            if path.is_dir() {
                match std::fs::read_dir(&path) {
                    Ok(entries) => self.folders.push((path, entries)),
                    Err(error) => {
                        return Some(Err(ErrorEntry::new(
                            &path.display().to_string(),
                            0,
                            0,
                            format!("cannot list the folder: {error}"),
                        )))
                    }
                }
                continue;
            }
            let shown = path.display().to_string();
            let text = match crate::snapshot::read_text(&shown, self.max_bytes) {
                Ok(text) => text,
                Err(problem) => return Some(Err(ErrorEntry::from_diagnostic(&problem))),
            };
            match split_list(&text) {
                Some(entries) => {
                    self.list = Some((
                        Arc::new(ListFile {
                            path: shown,
                            text,
                            entries,
                        }),
                        0,
                    ));
                }
                None => return Some(Ok(Unit::File(path))),
            }
        }
    }
}

fn is_deal_file(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            matches!(
                extension.to_ascii_lowercase().as_str(),
                "yaml" | "yml" | "json"
            )
        })
}

/// Paths that do not exist are a usage error (exit 2, nothing printed), not a bad deal.
pub fn check_paths(paths: &[PathBuf]) -> Result<(), Diagnostic> {
    for path in paths {
        if !path.exists() {
            return Err(Diagnostic::error(
                path.display().to_string(),
                0,
                0,
                "no such file or folder",
            ));
        }
    }
    Ok(())
}

/// Reads every deal under `paths`, `CHUNK` at a time: `visit` runs in parallel on each
/// parsed deal, then `sink` receives the chunk's outcomes in order, on this thread.
pub fn for_each_chunk<T, V, S>(
    paths: &[PathBuf],
    aliases: &Arc<Aliases>,
    max_bytes: u64,
    visit: V,
    mut sink: S,
) where
    T: Send,
    V: Fn(Snapshot, &Origin) -> Result<T, ErrorEntry> + Sync,
    S: FnMut(Vec<Result<T, ErrorEntry>>),
{
    let mut units = Units::new(paths, max_bytes);
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut listing_errors = Vec::new();
        for unit in units.by_ref() {
            match unit {
                Ok(unit) => chunk.push(unit),
                Err(error) => listing_errors.push(Err(error)),
            }
            if chunk.len() >= CHUNK {
                break;
            }
        }
        if chunk.is_empty() && listing_errors.is_empty() {
            return;
        }
        let mut outcomes: Vec<Result<T, ErrorEntry>> = chunk
            .par_iter()
            .map(|unit| {
                let (snapshot, origin) = load(unit, aliases, max_bytes)?;
                visit(snapshot, &origin)
            })
            .collect();
        outcomes.extend(listing_errors);
        sink(outcomes);
    }
}

fn load(
    unit: &Unit,
    aliases: &Arc<Aliases>,
    max_bytes: u64,
) -> Result<(Snapshot, Origin), ErrorEntry> {
    match unit {
        Unit::File(path) => {
            let shown = path.display().to_string();
            let text = crate::snapshot::read_text(&shown, max_bytes)
                .map_err(|problem| ErrorEntry::from_diagnostic(&problem))?;
            let snapshot = crate::snapshot::parse(&text, &shown, aliases)
                .map_err(|problem| ErrorEntry::from_diagnostic(&problem))?;
            Ok((
                snapshot,
                Origin {
                    file: shown,
                    line: None,
                },
            ))
        }
        Unit::Entry { list, index } => {
            let entry = &list.entries[*index];
            let mut text = list.text[entry.range.clone()].to_owned();
            if entry.block {
                // `- deal:` → `  deal:`: the entry becomes a mapping at the same columns.
                text.replace_range(0..1, " ");
            }
            let snapshot =
                crate::snapshot::parse(&text, &list.path, aliases).map_err(|mut problem| {
                    if problem.line > 0 {
                        if problem.line == 1 && problem.column > 0 {
                            problem.column += entry.column - 1;
                        }
                        problem.line += entry.line - 1;
                    } else {
                        problem.line = entry.line;
                        problem.column = entry.column;
                    }
                    ErrorEntry::from_diagnostic(&problem)
                })?;
            Ok((
                snapshot,
                Origin {
                    file: list.path.clone(),
                    line: Some(entry.line),
                },
            ))
        }
    }
}

/// The entries of a list file, or `None` when the text is a single snapshot.
fn split_list(text: &str) -> Option<Vec<Entry>> {
    // The first line that is not blank, a comment or a document marker decides.
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let skip = trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed == "---"
            || trimmed.starts_with("%YAML");
        if !skip {
            let body = line.trim_start();
            let indent = line.len() - body.len();
            if is_block_item(line) {
                return Some(block_entries(text, offset));
            }
            if body.starts_with('[') {
                return Some(flow_entries(text, offset + indent));
            }
            return None;
        }
        offset += line.len();
    }
    None
}

/// A line that opens an entry of a top-level block sequence: `-` at column 1, then a
/// space or the end of the line.
fn is_block_item(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.first() == Some(&b'-')
        && matches!(bytes.get(1), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

fn block_entries(text: &str, start: usize) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut offset = start;
    let first_line = text[..start].matches('\n').count() + 1;
    for (line_number, line) in (first_line..).zip(text[start..].split_inclusive('\n')) {
        if is_block_item(line) {
            if let Some(last) = entries.last_mut() {
                last.range.end = offset;
            }
            entries.push(Entry {
                range: offset..text.len(),
                line: line_number,
                column: 1,
                block: true,
            });
        }
        offset += line.len();
    }
    entries
}

/// The top-level elements of a flow sequence (`[{…}, {…}]`, e.g. a JSON array), found by
/// tracking brackets and quotes.
fn flow_entries(text: &str, open: usize) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut element_start: Option<usize> = None;
    let push = |range: Range<usize>, entries: &mut Vec<Entry>| {
        let slice = &text[range.clone()];
        let leading = slice.len() - slice.trim_start().len();
        let trimmed = slice.trim();
        if trimmed.is_empty() {
            return;
        }
        let begin = range.start + leading;
        let (line, column) = crate::diag::line_column(text, begin);
        entries.push(Entry {
            range: begin..begin + trimmed.len(),
            line,
            column,
            block: false,
        });
    };
    for (index, c) in text[open..].char_indices() {
        let at = open + index;
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                if depth == 1 && element_start.is_none() {
                    element_start = Some(at);
                }
                quote = Some(c);
            }
            '[' | '{' => {
                depth += 1;
                if depth == 2 && element_start.is_none() {
                    element_start = Some(at);
                }
                if depth == 1 {
                    element_start = None;
                }
            }
            ']' | '}' => {
                if depth == 1 {
                    if let Some(begin) = element_start.take() {
                        push(begin..at, &mut entries);
                    }
                    break;
                }
                depth = depth.saturating_sub(1);
            }
            ',' if depth == 1 => {
                if let Some(begin) = element_start.take() {
                    push(begin..at, &mut entries);
                }
            }
            _ if depth == 1 && element_start.is_none() && !c.is_whitespace() => {
                element_start = Some(at);
            }
            _ => {}
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    //! List files: each entry is found, parsed alone, and its errors point into the list
    //! file itself.
    use super::*;

    fn aliases() -> Arc<Aliases> {
        Arc::new(Aliases::new())
    }

    fn read_all(path: &Path) -> Vec<Result<String, ErrorEntry>> {
        let mut out = Vec::new();
        for_each_chunk(
            &[path.to_path_buf()],
            &aliases(),
            1 << 20,
            |snapshot, origin| Ok(format!("{}@{:?}", snapshot.deal.id, origin.line)),
            |chunk| out.extend(chunk),
        );
        out
    }

    #[test]
    fn block_list_entries_are_read_with_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.yaml");
        std::fs::write(
            &path,
            "# two deals\n- deal:\n    id: a\n    name: A\n- deal:\n    id: b\n    name: B\n    stage: nonsense\n- deal: {id: c, name: C}\n",
        )
        .unwrap();
        let outcomes = read_all(&path);
        assert_eq!(outcomes.len(), 3);
        assert_eq!(outcomes[0].as_ref().unwrap(), "a@Some(2)");
        let error = outcomes[1].as_ref().unwrap_err();
        assert_eq!((error.line, error.column), (8, 12), "{}", error.message);
        assert!(
            error.message.contains("list.yaml:8:12:"),
            "{}",
            error.message
        );
        assert_eq!(outcomes[2].as_ref().unwrap(), "c@Some(9)");
    }

    #[test]
    fn a_json_array_is_a_list_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.json");
        std::fs::write(
            &path,
            "[\n  {\"deal\": {\"id\": \"a\", \"name\": \"A, [x]\"}},\n  {\"deal\": {\"id\": \"b\", \"nam\": \"B\"}}\n]\n",
        )
        .unwrap();
        let outcomes = read_all(&path);
        assert_eq!(outcomes.len(), 2);
        assert_eq!(outcomes[0].as_ref().unwrap(), "a@Some(2)");
        let error = outcomes[1].as_ref().unwrap_err();
        assert_eq!(error.line, 3, "{}", error.message);
        assert!(
            error.message.contains("did you mean `name`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_single_snapshot_file_is_a_pipeline_of_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.yaml");
        std::fs::write(&path, "deal:\n  id: solo\n  name: Solo\n").unwrap();
        let outcomes = read_all(&path);
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].as_ref().unwrap(), "solo@None");
    }
}
