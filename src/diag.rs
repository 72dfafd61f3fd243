//! Diagnostics: problems in files a person wrote, each with a place to look.
//!
//! Everything a user can get wrong — a deal file, a playbook, a script — ends up as a
//! [`Diagnostic`] printed as `path:line:col: message`, optionally followed by the source
//! line and a caret, so an editor can jump there and a person can see it at once.

use std::fmt;

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    pub message: String,
    /// The offending source line, shown under the message with a caret.
    pub source_line: Option<String>,
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Diagnostic {
    pub fn error(
        path: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.into(),
            line,
            column,
            message: message.into(),
            source_line: None,
            severity: Severity::Error,
        }
    }

    pub fn warning(
        path: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, line, column, message)
        }
    }

    /// Attaches the line of `source` the diagnostic points at, for the caret display.
    pub fn with_source(mut self, source: &str) -> Self {
        if self.line > 0 {
            self.source_line = source.lines().nth(self.line - 1).map(str::to_owned);
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {label}{}", self.path, self.message)?,
            (line, 0) => write!(f, "{}:{line}: {label}{}", self.path, self.message)?,
            (line, column) => write!(f, "{}:{line}:{column}: {label}{}", self.path, self.message)?,
        }
        if let Some(source_line) = &self.source_line {
            let gutter = self.line.to_string();
            write!(f, "\n {gutter} | {source_line}")?;
            if self.column > 0 {
                // Count characters, and give wide (CJK) ones two cells, so the caret lands
                // under the right character in a terminal.
                let width: usize = source_line
                    .chars()
                    .take(self.column - 1)
                    .map(|c| if is_wide(c) { 2 } else { 1 })
                    .sum();
                write!(
                    f,
                    "\n {} | {}^",
                    " ".repeat(gutter.len()),
                    " ".repeat(width)
                )?;
            }
        }
        Ok(())
    }
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// Many diagnostics at once: `check` reports every problem, not the first.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}
impl std::error::Error for Diagnostics {}

/// Something a folder walk passed over, and why (a link to a folder, a pipe, a file
/// reached twice): printed as `path: note: why`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub note: String,
}

impl Skipped {
    pub const LINK_TO_FOLDER: &'static str = "a link to a folder is not followed";
    pub const NOT_REGULAR: &'static str =
        "not a regular file (a pipe, socket or device is never opened)";

    /// Why a link could not be followed to a file.
    pub fn broken_link(error: &std::io::Error) -> String {
        if error.kind() == std::io::ErrorKind::NotFound {
            "a broken link: what it points to does not exist".to_owned()
        } else {
            format!("a broken link: {error}")
        }
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: note: {}", self.path, self.note)
    }
}

/// The 1-based line and column of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a
/// plausible typo (at most a third of the word's length, and at least one edit).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, candidate)| (distance, candidate))
        .map(|(_, candidate)| candidate)
}

/// Edit distance over characters, case-insensitive, where swapping two neighbours is one
/// edit (`nmae` → `name`), the commonest typo (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(&a.to_lowercase(), &b.to_lowercase())
}

#[cfg(test)]
mod tests {
    //! The suggestion and the caret are what make a diagnostic actionable.
    use super::*;

    #[test]
    fn suggests_the_nearest_key_for_a_typo() {
        let keys = ["version", "deal", "stakeholders", "signals"];
        assert_eq!(did_you_mean("stakholders", keys), Some("stakeholders"));
        assert_eq!(did_you_mean("sigals", keys), Some("signals"));
        assert_eq!(did_you_mean("budget", keys), None);
        assert_eq!(did_you_mean("nmae", ["name", "met"]), Some("name"));
        assert_eq!(edit_distance("ab", "ba"), 1);
    }

    #[test]
    fn renders_place_source_and_caret() {
        let source = "deal:\n  id: x\n  nmae: y\n";
        let text = Diagnostic::error("deal.yaml", 3, 3, "unknown field `nmae`")
            .with_source(source)
            .to_string();
        assert_eq!(
            text,
            "deal.yaml:3:3: unknown field `nmae`\n 3 |   nmae: y\n   |   ^"
        );
    }

    #[test]
    fn finds_line_and_column_of_an_offset_in_multibyte_text() {
        let text = "a: 李总\nb: x";
        assert_eq!(line_column(text, text.find('x').unwrap()), (2, 4));
        assert_eq!(line_column(text, text.find('总').unwrap()), (1, 5));
    }
}
