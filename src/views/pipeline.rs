//! Reading a pipeline: deal folders and list files, a chunk at a time, on every core.
//!
//! A pipeline is a folder of snapshots (one `*.yaml`, `*.yml` or `*.json` file per deal;
//! subfolders are read too, hidden entries skipped) or one YAML file whose top level is a
//! list of snapshots (a JSON array works too); a single deal file is a pipeline of one,
//! and a list file inside a folder is read as a list.
//!
//! Memory stays flat as a folder grows: its entries are walked as a stream, and deals are
//! read, parsed and evaluated [`CHUNK`] at a time in parallel, each thread keeping only
//! what the caller's `visit` returns; each file claimed is remembered by a 16-byte
//! [`Fingerprint`] of its canonical path, not by the path. A list file is the exception:
//! it is one document, read whole (its entries are still evaluated chunk by chunk), so
//! the input size cap (`DEALCOACH_MAX_INPUT_BYTES`, 8 MiB by default) applies to the
//! whole list. A pipeline of 100,000 deals belongs in a folder.
//!
//! A list file is split by the YAML parser, never by hand: one pass over its events finds
//! each top-level entry's span (`snapshot::outline`), then every entry is parsed on its
//! own, so that one bad entry is one error and the others are still read, and its
//! messages point at the line and column of the list file itself. An entry that uses an
//! anchor defined in another entry is parsed together with that anchored node.
//!
//! Walks never follow a link to a folder (a link cycle would never end) and never open
//! anything but a regular file (a pipe would block); what they pass over is reported as
//! [`Skipped`], like a file reached twice (each deal file is read once).

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::ErrorEntry;
use crate::diag::Diagnostic;
pub use crate::diag::Skipped;
use crate::snapshot::outline::{self, Mark, Shape, Span};
use crate::snapshot::vocabulary::Aliases;
use crate::snapshot::{Guard, Snapshot, Within};

/// Deals read and evaluated together; small enough that a chunk's rows are nothing, large
/// enough to keep every core busy between two chunks.
pub const CHUNK: usize = 1024;

/// A 128-bit digest standing for a name (a file's canonical path, a deal's id) in the
/// sets that grow by one entry a deal: 16 bytes whatever the name's length, so that
/// reading 100,000 deals does not keep 100,000 paths.
///
/// The first 16 bytes of SHA-256, which is already in the build (`serve` hashes its
/// token with it). A collision-resistant hash rather than a keyed hasher such as
/// std's SipHash: two names that collide would be taken for one, and with SHA-256 even
/// names made on purpose cannot be found to collide (that takes ~2^64 hashes), while
/// SipHash with std's fixed keys is only a checksum against crafted input, and with
/// random keys would make the rare outcome differ from run to run. Its cost, two
/// compressions of 64 bytes for a path of ~60 bytes (under a microsecond, with the CPU's
/// SHA instructions where it has them), is nothing beside reading a deal (~0.5 ms).
///
/// What a collision would mean: by the birthday bound, among n names the chance that
/// any two share a digest is about n² / 2^129 — 1.5 × 10^-29 for a million names.
/// Were it to happen, a file would be passed over as "already read" and a deal would be
/// counted as read for `--since`; the duplicate-id error is checked against the id
/// itself, so it is never wrong (`review`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 16]);

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Fingerprint {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(bytes);
        let mut first = [0; 16];
        first.copy_from_slice(&digest[..16]);
        Fingerprint(first)
    }

    fn of_path(path: &Path) -> Fingerprint {
        Fingerprint::of(path.as_os_str().as_encoded_bytes())
    }
}

/// Where a deal was read from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: String,
    /// The line where the deal starts, for an entry of a list file.
    pub line: Option<usize>,
}

/// One deal, or one file of deals, to read.
enum Unit {
    /// A file found in a folder: a deal, or a list of them.
    File(PathBuf),
    /// A file named on the command line, already read: one deal, guarded already or not.
    Text {
        path: String,
        text: String,
        guard: Guard,
    },
    /// One entry of a list file named on the command line.
    Entry { list: Arc<ListFile>, index: usize },
}

struct ListFile {
    path: String,
    text: String,
    /// `[…]` rather than `- …` lines.
    flow: bool,
    entries: Vec<outline::Entry>,
    /// What ended the list early (a syntax error, a second document), reported after its
    /// entries.
    trailing: Vec<ErrorEntry>,
}

/// A file's text, as one deal (guarded already, or to be guarded by its parse) or as a
/// list.
enum Listed {
    Single(String, Guard),
    List(ListFile),
}

/// The deals under the given paths, as a stream.
struct Units {
    paths: VecDeque<PathBuf>,
    walk: Option<Walk>,
    list: Option<(Arc<ListFile>, usize)>,
    max_bytes: u64,
    /// The canonical paths of the files claimed so far, so that each is read once, as
    /// [`Fingerprint`]s: 16 bytes a file rather than its path.
    seen: HashSet<Fingerprint>,
    /// Folders given on the command line: canonical path and the path as given.
    folders: Vec<(PathBuf, String)>,
    skipped: Vec<Skipped>,
}

/// A folder being walked.
struct Walk {
    entries: walkdir::FilterEntry<walkdir::IntoIter, fn(&walkdir::DirEntry) -> bool>,
    root: PathBuf,
    canonical_root: PathBuf,
}

impl Units {
    fn new(paths: &[PathBuf], max_bytes: u64) -> Units {
        Units {
            paths: paths.iter().cloned().collect(),
            walk: None,
            list: None,
            max_bytes,
            seen: HashSet::new(),
            folders: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn skip(&mut self, path: &Path, note: impl Into<String>) {
        self.skipped.push(Skipped {
            path: path.display().to_string(),
            note: note.into(),
        });
    }

    /// A path named on the command line. Links are followed here: the user named them.
    fn given(&mut self, path: PathBuf) -> Option<Result<Unit, ErrorEntry>> {
        let shown = path.display().to_string();
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) => {
                return Some(Err(ErrorEntry::new(
                    &shown,
                    0,
                    0,
                    crate::snapshot::io_message(&error),
                )))
            }
        };
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if metadata.is_dir() {
            let earlier = self
                .folders
                .iter()
                .find(|(folder, _)| canonical.starts_with(folder))
                .map(|(_, given)| given.clone());
            if let Some(earlier) = earlier {
                self.skip(
                    &path,
                    format!("already read as part of `{earlier}`: its deals are read once"),
                );
                return None;
            }
            self.folders.push((canonical.clone(), shown));
            let entries = walkdir::WalkDir::new(&path)
                .follow_links(false)
                .into_iter()
                .filter_entry(not_hidden as fn(&walkdir::DirEntry) -> bool);
            self.walk = Some(Walk {
                entries,
                root: path,
                canonical_root: canonical,
            });
            return None;
        }
        if !self.seen.insert(Fingerprint::of_path(&canonical)) {
            self.skip(
                &path,
                "already read: the same file was given or found before",
            );
            return None;
        }
        let text = match crate::snapshot::read_text(&shown, self.max_bytes) {
            Ok(text) => text,
            Err(problem) => return Some(Err(ErrorEntry::from_diagnostic(&problem))),
        };
        match open_list(&shown, text, self.max_bytes) {
            Ok(Listed::List(list)) => {
                self.list = Some((Arc::new(list), 0));
                None
            }
            Ok(Listed::Single(text, guard)) => Some(Ok(Unit::Text {
                path: shown,
                text,
                guard,
            })),
            Err(error) => Some(Err(error)),
        }
    }

    /// An entry of a folder walk: a deal file to read, or something passed over.
    fn found(&mut self, entry: &walkdir::DirEntry) -> Option<Unit> {
        let kind = entry.file_type();
        if entry.depth() == 0 || kind.is_dir() {
            return None;
        }
        let path = entry.path();
        if kind.is_symlink() {
            return match std::fs::metadata(path) {
                Err(error) => {
                    self.skip(path, Skipped::broken_link(&error));
                    None
                }
                Ok(target) if target.is_dir() => {
                    self.skip(path, Skipped::LINK_TO_FOLDER);
                    None
                }
                Ok(target) if target.is_file() => {
                    if !is_deal_file(path) {
                        return None;
                    }
                    let canonical = std::fs::canonicalize(path).ok()?;
                    self.claim(path, canonical)
                }
                Ok(_) => {
                    self.skip(path, Skipped::NOT_REGULAR);
                    None
                }
            };
        }
        if !kind.is_file() {
            self.skip(path, Skipped::NOT_REGULAR);
            return None;
        }
        if !is_deal_file(path) {
            return None;
        }
        // No link is followed below the root, so the canonical path is the root's plus
        // the entry's own: no system call per file.
        let walk = self.walk.as_ref()?;
        let canonical = walk
            .canonical_root
            .join(path.strip_prefix(&walk.root).unwrap_or(path));
        self.claim(path, canonical)
    }

    fn claim(&mut self, path: &Path, canonical: PathBuf) -> Option<Unit> {
        if self.seen.insert(Fingerprint::of_path(&canonical)) {
            Some(Unit::File(path.to_path_buf()))
        } else {
            self.skip(
                path,
                "already read: the same file was given or found before",
            );
            None
        }
    }
}

impl Iterator for Units {
    type Item = Result<Unit, ErrorEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((list, index)) = &mut self.list {
                let count = list.entries.len();
                if *index < count {
                    let unit = Unit::Entry {
                        list: Arc::clone(list),
                        index: *index,
                    };
                    *index += 1;
                    return Some(Ok(unit));
                }
                if let Some(error) = list.trailing.get(*index - count) {
                    *index += 1;
                    return Some(Err(error.clone()));
                }
                self.list = None;
            }
            if let Some(walk) = &mut self.walk {
                match walk.entries.next() {
                    None => self.walk = None,
                    Some(Err(error)) => {
                        let path = error
                            .path()
                            .map_or_else(|| walk.root.clone(), Path::to_path_buf);
                        let reason = error
                            .io_error()
                            .map_or_else(|| error.to_string(), crate::snapshot::io_message);
                        return Some(Err(ErrorEntry::new(
                            &path.display().to_string(),
                            0,
                            0,
                            format!("cannot list the folder: {reason}"),
                        )));
                    }
                    Some(Ok(entry)) => {
                        if let Some(unit) = self.found(&entry) {
                            return Some(Ok(unit));
                        }
                    }
                }
                continue;
            }
            let path = self.paths.pop_front()?;
            if let Some(outcome) = self.given(path) {
                return Some(outcome);
            }
        }
    }
}

/// How many deals a long read has got through, on stderr: a line redrawn in place, shown
/// once the read has lasted [`Progress::AFTER`] and only when stderr is a terminal
/// (nothing is written to a pipe or a file, so scripts and logs never see it), and
/// cleared when the read ends, before any output.
///
/// indicatif draws it: redrawing in place at a bounded rate, clearing the line, terminal
/// width and the spinner are its business (and `console`, which it draws with, is
/// already in the build through insta); a hand-made `\r` line got the width of CJK text
/// and the clearing wrong.
pub struct Progress<'a> {
    /// The words for `{n}` deals read, in the output language; `None` when hidden.
    words: Option<Box<dyn Fn(usize) -> String + 'a>>,
    started: std::time::Instant,
    bar: Option<indicatif::ProgressBar>,
    read: usize,
}

impl<'a> Progress<'a> {
    /// A read shorter than this shows nothing.
    pub const AFTER: std::time::Duration = std::time::Duration::from_secs(1);

    /// Progress for a person at a terminal; `words` says "{n} deals read".
    pub fn shown(words: impl Fn(usize) -> String + 'a) -> Progress<'a> {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let mut progress = Progress::hidden();
        if terminal {
            progress.words = Some(Box::new(words));
        }
        progress
    }

    /// No progress at all.
    pub fn hidden() -> Progress<'a> {
        Progress {
            words: None,
            started: std::time::Instant::now(),
            bar: None,
            read: 0,
        }
    }

    fn advance(&mut self, deals: usize) {
        self.read += deals;
        let Some(words) = &self.words else {
            return;
        };
        if self.bar.is_none() && self.started.elapsed() >= Self::AFTER {
            // Elapsed from the start of the read, not from the bar's first drawing.
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            )
            .with_elapsed(self.started.elapsed())
            .with_message(words(self.read));
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            self.bar = Some(bar);
        } else if let Some(bar) = &self.bar {
            bar.set_message(words(self.read));
        }
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Hidden entries (`.git`, editor lock files) are not part of a pipeline; the folder
/// given is read whatever its name.
fn not_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.')
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
/// Returns what was passed over, sorted by path.
pub fn for_each_chunk<T, V, S>(
    paths: &[PathBuf],
    aliases: &Arc<Aliases>,
    max_bytes: u64,
    visit: V,
    sink: S,
) -> Vec<Skipped>
where
    T: Send,
    V: Fn(Snapshot, &Origin) -> Result<T, ErrorEntry> + Sync,
    S: FnMut(Vec<Result<T, ErrorEntry>>),
{
    for_each_chunk_showing(paths, aliases, max_bytes, Progress::hidden(), visit, sink)
}

/// [`for_each_chunk`], telling a person at a terminal how far it has got ([`Progress`]).
pub fn for_each_chunk_showing<T, V, S>(
    paths: &[PathBuf],
    aliases: &Arc<Aliases>,
    max_bytes: u64,
    mut progress: Progress<'_>,
    visit: V,
    mut sink: S,
) -> Vec<Skipped>
where
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
            let mut skipped = units.skipped;
            skipped.sort();
            return skipped;
        }
        let mut outcomes: Vec<Result<T, ErrorEntry>> = chunk
            .par_iter()
            .map(|unit| load(unit, aliases, max_bytes, &visit))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect();
        progress.advance(outcomes.len());
        outcomes.extend(listing_errors);
        sink(outcomes);
    }
}

/// The outcomes of one unit: one per deal (a file found in a folder may be a list).
fn load<T, V>(
    unit: &Unit,
    aliases: &Arc<Aliases>,
    max_bytes: u64,
    visit: &V,
) -> Vec<Result<T, ErrorEntry>>
where
    V: Fn(Snapshot, &Origin) -> Result<T, ErrorEntry>,
{
    // `open_list` guarded the text in the pass that told it from a list, or left the
    // guards to the parse (`guard`).
    let single = |path: &str, text: &str, guard: Guard| {
        let snapshot = crate::snapshot::parse_within(text, path, aliases, Within::Whole, guard)
            .map_err(|problem| ErrorEntry::from_diagnostic(&problem))?;
        visit(
            snapshot,
            &Origin {
                file: path.to_owned(),
                line: None,
            },
        )
    };
    let entry = |list: &ListFile, index: usize| {
        let (snapshot, line) = parse_entry(list, index, aliases)?;
        visit(
            snapshot,
            &Origin {
                file: list.path.clone(),
                line: Some(line),
            },
        )
    };
    match unit {
        Unit::Text { path, text, guard } => vec![single(path, text, *guard)],
        Unit::Entry { list, index } => vec![entry(list, *index)],
        Unit::File(path) => {
            let shown = path.display().to_string();
            let text = match crate::snapshot::read_text(&shown, max_bytes) {
                Ok(text) => text,
                Err(problem) => return vec![Err(ErrorEntry::from_diagnostic(&problem))],
            };
            match open_list(&shown, text, max_bytes) {
                Err(error) => vec![Err(error)],
                Ok(Listed::Single(text, guard)) => vec![single(&shown, &text, guard)],
                Ok(Listed::List(list)) => (0..list.entries.len())
                    .map(|index| entry(&list, index))
                    .chain(list.trailing.iter().cloned().map(Err))
                    .collect(),
            }
        }
    }
}

/// Reads a text as a list file when its top level is a sequence, guarding it in the same
/// pass over its events: a single deal under the limits of any document, a list whole
/// (nesting, and its aliases expanded within the input cap) with each entry's size kept.
///
/// Two kinds of text skip that pass: a deal whose parse runs the guards itself, and only
/// if serde fails (`snapshot::surely_single_deal`: almost every file of a folder, read in
/// one pass of the YAML parser instead of two), and a `.json` file that is not an array,
/// which serde_json reads strictly. A `.json` array must be strict JSON as a whole before
/// its entries are read.
fn open_list(path: &str, text: String, max_bytes: u64) -> Result<Listed, ErrorEntry> {
    if crate::snapshot::is_json(path) {
        if !text.trim_start().starts_with('[') {
            return Ok(Listed::Single(text, Guard::Run));
        }
        if let Err(error) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            let problem = crate::snapshot::json_diagnostic(&error, &text, path);
            return Err(ErrorEntry::from_diagnostic(&problem));
        }
    } else if crate::snapshot::surely_single_deal(&text) {
        return Ok(Listed::Single(text, Guard::Run));
    }
    let document = outline::Limits {
        max_expanded_bytes: max_bytes,
        max_nodes: Some(outline::MAX_NODES),
    };
    let list = outline::Limits {
        max_nodes: None,
        ..document
    };
    let outline = match outline::list(&text, document, list) {
        Ok(Shape::Single) => return Ok(Listed::Single(text, Guard::Done)),
        Ok(Shape::List(outline)) => outline,
        Err(refusal) => {
            let (line, column) = refusal.mark.line_column();
            return Err(ErrorEntry::new(path, line, column, refusal.message));
        }
    };
    if outline.entries.is_empty() && outline.broken.is_none() {
        // Reviewed as nothing, the file would vanish from the review without a word:
        // said like an empty deal file.
        let (line, column) = outline.start.line_column();
        return Err(ErrorEntry::new(
            path,
            line,
            column,
            "the list is empty: a list file holds one deal snapshot per entry",
        ));
    }
    let mut trailing = Vec::new();
    if let Some(error) = &outline.broken {
        let (line, column) = error.mark.line_column();
        trailing.push(ErrorEntry::new(
            path,
            line,
            column,
            format!(
                "{}; the list's entries from here on cannot be read",
                error.message()
            ),
        ));
    }
    if let Some(mark) = outline.second_document {
        let (line, column) = mark.line_column();
        trailing.push(ErrorEntry::new(
            path,
            line,
            column,
            "a second document: a list file holds one list, and what follows it is not read",
        ));
    }
    Ok(Listed::List(ListFile {
        path: path.to_owned(),
        text,
        flow: outline.flow,
        entries: outline.entries,
        trailing,
    }))
}

/// Parses one entry of a list file; its errors point into the list file. Returns the
/// deal and the line it starts on.
fn parse_entry(
    list: &ListFile,
    index: usize,
    aliases: &Arc<Aliases>,
) -> Result<(Snapshot, usize), ErrorEntry> {
    let entry = &list.entries[index];
    let (start_line, start_column) = entry.span.start.line_column();
    let document = EntryDocument::new(&list.text, entry, list.flow);
    // The list's pass checked the nesting and the aliases of every entry; an entry alone
    // needs its own pass only for the node count, or when it is parsed with the anchored
    // nodes it borrows.
    let guarded = if entry.borrowed.is_empty() && entry.nodes <= outline::MAX_NODES {
        Guard::Done
    } else {
        Guard::Run
    };
    let snapshot = crate::snapshot::parse_within(
        &document.text,
        &list.path,
        aliases,
        document.within,
        guarded,
    )
    .map_err(|mut problem| {
        let (line, column) = document
            .original(problem.line, problem.column)
            .unwrap_or((start_line, start_column));
        problem.line = line;
        problem.column = column;
        ErrorEntry::from_diagnostic(&problem)
    })?;
    Ok((snapshot, start_line))
}

/// The text that reads one entry of a list file on its own, laid out so that every line
/// of it keeps its column: the entry's first line has what precedes the entry blanked
/// out. An entry that borrows anchored nodes from other entries becomes the last element
/// of a sequence whose first elements are those nodes, in the list's own style.
struct EntryDocument {
    text: String,
    within: Within,
    /// (first line here, first line in the list file, lines), 1-based.
    pieces: Vec<(usize, usize, usize)>,
}

impl EntryDocument {
    fn new(text: &str, entry: &outline::Entry, flow: bool) -> EntryDocument {
        let mut document = EntryDocument {
            text: String::new(),
            within: Within::Whole,
            pieces: Vec::new(),
        };
        if entry.borrowed.is_empty() {
            document.push(text, entry.span);
            return document;
        }
        document.within = Within::LastOf(entry.borrowed.len() + 1);
        if flow {
            document.text.push_str("[\n");
        }
        for (index, span) in entry.borrowed.iter().chain([&entry.span]).enumerate() {
            if !flow {
                document.text.push_str("-\n");
            } else if index > 0 {
                document.text.push_str(",\n");
            }
            document.push(text, *span);
        }
        if flow {
            document.text.push_str("]\n");
        }
        document
    }

    /// Appends the lines of `span`, the part of its first line before it blanked out.
    fn push(&mut self, text: &str, span: Span) {
        let first_line = self.text.matches('\n').count() + 1;
        let start = span.start.index.min(text.len());
        let end = span.end.index.clamp(start, text.len());
        let line_start = line_start(text, span.start);
        self.text
            .extend(text[line_start..start].chars().map(|_| ' '));
        let piece = &text[start..end];
        self.text.push_str(piece);
        if !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        let lines = self.text.matches('\n').count() + 1 - first_line;
        self.pieces.push((first_line, span.start.line + 1, lines));
    }

    /// Where a line and column of this text are in the list file.
    fn original(&self, line: usize, column: usize) -> Option<(usize, usize)> {
        self.pieces
            .iter()
            .find(|(first, _, count)| (*first..first + count).contains(&line))
            .map(|(first, original, _)| (original + line - first, column))
    }
}

/// The byte offset where the line of `mark` starts: `mark.column` characters back, as
/// the parser counted them (it knows every kind of line break).
fn line_start(text: &str, mark: Mark) -> usize {
    let start = mark.index.min(text.len());
    text[..start]
        .char_indices()
        .rev()
        .nth(mark.column.saturating_sub(1))
        .filter(|_| mark.column > 0)
        .map_or(start, |(offset, _)| offset)
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
    fn an_empty_list_is_refused_where_it_starts_not_reviewed_as_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text, at) in [
            ("empty.yaml", "# nothing yet\n[]\n", (2, 1)),
            ("empty.json", "[\n]\n", (1, 1)),
            ("spaced.yaml", "\n  [ ]\n", (2, 3)),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let outcomes = read_all(&path);
            assert_eq!(outcomes.len(), 1, "{name}");
            let error = outcomes[0].as_ref().unwrap_err();
            assert_eq!((error.line, error.column), at, "{name}: {}", error.message);
            assert!(
                error.message.contains("the list is empty"),
                "{}",
                error.message
            );
        }
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

    fn read_paths(paths: &[PathBuf]) -> (Vec<Result<String, ErrorEntry>>, Vec<Skipped>) {
        let mut out = Vec::new();
        let skipped = for_each_chunk(
            paths,
            &aliases(),
            1 << 20,
            |snapshot, origin| Ok(format!("{}@{:?}", snapshot.deal.id, origin.line)),
            |chunk| out.extend(chunk),
        );
        (out, skipped)
    }

    fn ids(outcomes: &[Result<String, ErrorEntry>]) -> Vec<String> {
        let mut ids: Vec<String> = outcomes
            .iter()
            .filter_map(|outcome| outcome.as_ref().ok())
            .map(|read| read.split('@').next().unwrap_or_default().to_owned())
            .collect();
        ids.sort();
        ids
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn d4_apostrophes_in_plain_text_and_comments_lose_no_entry() {
        // "call Bob's boss" made the hand-made flow splitter see a quote: 2 of 5 reviewed.
        let dir = tempfile::tempdir().unwrap();
        let flow = write(
            dir.path(),
            "flow.yaml",
            "[ # Bob's list\n  {deal: {id: a, name: A}},\n  {deal: {id: b, name: B, next_step: call Bob's boss}},\n  {deal: {id: c, name: C}}, # it's fine\n  {deal: {id: d, name: \"D \\\\\"}},\n  {deal: {id: e, name: 'E''s'}}\n]\n",
        );
        let (outcomes, _) = read_all_with(&flow);
        assert_eq!(ids(&outcomes), ["a", "b", "c", "d", "e"], "{outcomes:?}");
        let block = write(
            dir.path(),
            "block.yaml",
            "- deal: {id: a, name: A} # Bob's\n- deal: {id: b, name: B, next_step: call Bob's boss}\n- deal: {id: c, name: \"C [\"}\n",
        );
        let (outcomes, _) = read_all_with(&block);
        assert_eq!(ids(&outcomes), ["a", "b", "c"], "{outcomes:?}");
    }

    fn read_all_with(path: &Path) -> (Vec<Result<String, ErrorEntry>>, Vec<Skipped>) {
        read_paths(&[path.to_path_buf()])
    }

    #[test]
    fn d16_a_quoted_line_starting_with_a_dash_is_not_an_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "list.yaml",
            "- deal:\n    id: a\n    name: A\n    notes: \"first line\n- not an entry\"\n- deal: {id: b, name: B}\n",
        );
        let (outcomes, _) = read_all_with(&path);
        assert_eq!(ids(&outcomes), ["a", "b"], "{outcomes:?}");
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    }

    #[test]
    fn d16_a_byte_order_mark_does_not_break_a_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "list.yaml",
            "\u{feff}- deal: {id: a, name: A}\n- deal: {id: b, name: B, stage: nonsense}\n",
        );
        let (outcomes, _) = read_all_with(&path);
        assert_eq!(ids(&outcomes), ["a"]);
        let error = outcomes[1].as_ref().unwrap_err();
        assert_eq!((error.line, error.column), (2, 33), "{}", error.message);
    }

    #[test]
    fn d16_an_anchor_shared_between_entries_is_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let block = write(
            dir.path(),
            "block.yaml",
            "- deal: {id: a, name: A}\n  account: &acme\n    name: Acme\n    credit: good\n- deal: {id: b, name: B}\n  account: *acme\n- deal: {id: c, name: C, stage: nonsense}\n  account: *acme\n",
        );
        let (outcomes, _) = read_all_with(&block);
        assert_eq!(ids(&outcomes), ["a", "b"], "{outcomes:?}");
        // An error in an entry that borrows still points into the list file.
        let error = outcomes[2].as_ref().unwrap_err();
        assert_eq!((error.line, error.column), (7, 33), "{}", error.message);
        assert!(
            error.message.starts_with(&format!(
                "{}:7:33: deal.stage: unknown stage",
                block.display()
            )),
            "{}",
            error.message
        );

        // A flow list with anchors is YAML: a `.json` file is strict JSON, and an anchor
        // in it is refused (`a_json_list_is_strict_json` below).
        let flow = write(
            dir.path(),
            "flow.yaml",
            "[{\"deal\": &d {\"id\": \"a\", \"name\": \"A\"}},\n{\"deal\": *d, \"account\": {\"name\": \"X\"}},\n{\"deal\": *d, \"nam\": 1}]\n",
        );
        let (outcomes, _) = read_all_with(&flow);
        assert_eq!(ids(&outcomes), ["a", "a"], "{outcomes:?}");
        let error = outcomes[2].as_ref().unwrap_err();
        assert_eq!(error.line, 3, "{}", error.message);
        assert!(
            error.message.contains("unknown field `nam`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_json_list_is_strict_json() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[{\"deal\": &d {\"id\": \"a\", \"name\": \"A\"}},\n{\"deal\": *d}]\n";
        let json = write(dir.path(), "flow.json", text);
        let (outcomes, _) = read_all_with(&json);
        assert_eq!(outcomes.len(), 1, "{outcomes:?}");
        let error = outcomes[0].as_ref().unwrap_err();
        assert_eq!((error.line, error.column), (1, 11), "{}", error.message);
        assert!(
            error.message.contains("not valid JSON: expected value"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_syntax_error_in_a_list_keeps_the_entries_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "list.yaml",
            "- deal: {id: a, name: A}\n- deal: {id: b, name: [B}\n- deal: {id: c, name: C}\n",
        );
        let (outcomes, _) = read_all_with(&path);
        assert_eq!(ids(&outcomes), ["a"]);
        let error = outcomes[1].as_ref().unwrap_err();
        assert_eq!(error.line, 2, "{}", error.message);
        assert!(
            error.message.contains("cannot be read"),
            "{}",
            error.message
        );
    }

    #[test]
    fn d16_a_list_file_inside_a_folder_is_read_as_a_list() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "one.yaml", "deal: {id: one, name: One}\n");
        write(
            dir.path(),
            "list.yaml",
            "- deal: {id: two, name: Two}\n- deal: {id: three, name: Three}\n",
        );
        let (outcomes, _) = read_all_with(dir.path());
        assert_eq!(ids(&outcomes), ["one", "three", "two"], "{outcomes:?}");
    }

    #[cfg(unix)]
    #[test]
    fn d13_links_pipes_and_repeats_are_skipped_with_a_note() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "deal.yaml", "deal: {id: one, name: One}\n");
        symlink(".", root.join("loop")).unwrap();
        symlink("missing.yaml", root.join("dangling.yaml")).unwrap();
        symlink("deal.yaml", root.join("same.yaml")).unwrap();
        let fifo = root.join("pipe.yaml");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let folder = root.to_path_buf();
        let (outcomes, skipped) =
            read_paths(&[folder.clone(), folder.clone(), root.join("deal.yaml")]);
        assert_eq!(ids(&outcomes), ["one"], "each deal file is read once");
        let notes: Vec<(String, String)> = skipped
            .iter()
            .map(|skip| {
                let name = Path::new(&skip.path)
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name, skip.note.clone())
            })
            .collect();
        let has = |name: &str, note: &str| {
            notes
                .iter()
                .any(|(found, text)| found == name && text.contains(note))
        };
        assert!(
            has("loop", "a link to a folder is not followed"),
            "{notes:?}"
        );
        assert!(has("dangling.yaml", "a broken link"), "{notes:?}");
        assert!(has("pipe.yaml", "not a regular file"), "{notes:?}");
        assert!(
            has("same.yaml", "already read") || has("deal.yaml", "already read"),
            "{notes:?}"
        );
        assert_eq!(
            skipped
                .iter()
                .filter(|skip| skip.note.contains("already read as part of"))
                .count(),
            1,
            "{notes:?}"
        );
        assert!(skipped
            .iter()
            .all(|skip| !skip.to_string().is_empty() && skip.to_string().contains(": note: ")));
    }
}
