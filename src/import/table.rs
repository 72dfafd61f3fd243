//! A CRM's CSV file as a header and rows, each row with the line it starts on.
//!
//! Exports come from Excel and CRMs on every platform, so the reader takes what they
//! write: UTF-8 with or without a byte-order mark, a comma, semicolon or tab between
//! cells (sniffed from the header line, or Excel's `sep=;` first line), quoted cells
//! across several lines, CRLF. What it cannot read right it refuses with the way out: a
//! GBK/GB18030 file (Excel's "CSV" on a Chinese Windows) is not guessed at, because every
//! name in it would come out garbled; the message says how to convert it.

use std::io::Read;
use std::path::Path;

use crate::diag::{line_column, Diagnostic};

/// One CSV file, read.
#[derive(Debug)]
pub struct Table {
    /// The path as messages show it.
    pub path: String,
    pub header: Vec<String>,
    pub header_line: usize,
    pub rows: Vec<Row>,
}

/// One record: the line it starts on (a quoted cell may run over several) and its cells.
#[derive(Debug)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
    /// Where each cell starts in the file: 1-based line and character column, so a
    /// message about one cell points at it (an editor jumps there).
    pub starts: Vec<(usize, usize)>,
}

impl Row {
    /// The cell of a column, trimmed; empty when the column is absent.
    pub fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|index| self.cells.get(index))
            .map_or("", |cell| cell.trim())
    }
}

impl Table {
    /// Reads a CSV file under the input size cap. A file that cannot be read as a table
    /// at all is an `Err`; rows that cannot be used come back as problems beside the table
    /// (the other rows are still good).
    pub fn read(path: &Path, max_bytes: u64) -> Result<(Table, Vec<Diagnostic>), Diagnostic> {
        let shown = path.display().to_string();
        let bytes = read_bytes(path, &shown, max_bytes)?;
        Table::parse(&bytes, &shown)
    }

    /// Reads a CSV text given as bytes; `shown` names it in messages.
    pub fn parse(bytes: &[u8], shown: &str) -> Result<(Table, Vec<Diagnostic>), Diagnostic> {
        let text = decode(bytes, shown)?;
        let (delimiter, skipped_lines, body) = delimiter(&text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(body.as_bytes());
        // The csv crate's own line count passes over blank lines; the byte offset of a
        // record is exact, so lines are counted from it.
        let lines = std::cell::RefCell::new(LineCounter::new(body, skipped_lines));
        let line_of = |record: &csv::StringRecord| {
            record.position().map_or((0, None), |position| {
                let (line, offset) = lines.borrow_mut().line_at(position.byte() as usize);
                (line, Some(offset))
            })
        };
        let mut records = reader.records();
        let header = loop {
            match records.next() {
                None => {
                    return Err(Diagnostic::error(
                        shown,
                        0,
                        0,
                        "the file is empty: a CRM export needs a header line naming its columns",
                    ))
                }
                Some(Err(error)) => return Err(csv_problem(shown, &error, &lines)),
                Some(Ok(record)) if record.iter().all(|cell| cell.trim().is_empty()) => continue,
                Some(Ok(record)) => break record,
            }
        };
        let mut table = Table {
            path: shown.to_owned(),
            header: header.iter().map(|title| title.trim().to_owned()).collect(),
            header_line: line_of(&header).0,
            rows: Vec::new(),
        };
        let mut problems = Vec::new();
        for record in records {
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    problems.push(csv_problem(shown, &error, &lines));
                    continue;
                }
            };
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            let (line, offset) = line_of(&record);
            if record.len() != table.header.len() {
                problems.push(Diagnostic::error(
                    shown,
                    line,
                    0,
                    format!(
                        "this row has {} cells but the header has {} columns: the row is skipped",
                        record.len(),
                        table.header.len()
                    ),
                ));
                continue;
            }
            let starts = offset.map_or_else(Vec::new, |offset| {
                cell_starts(body, offset, line, delimiter, record.len())
            });
            table.rows.push(Row {
                line,
                cells: record.iter().map(str::to_owned).collect(),
                starts,
            });
        }
        Ok((table, problems))
    }

    /// The first column with this title, ignoring case and surrounding spaces (Data
    /// Loader writes `STAGENAME`, the weekly export `StageName`).
    pub fn column(&self, title: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|name| name.eq_ignore_ascii_case(title.trim()))
    }

    /// How many columns carry this exact title.
    pub fn count_exact(&self, title: &str) -> usize {
        self.header.iter().filter(|name| *name == title).count()
    }

    /// The columns that must be there, or one located error per missing one.
    pub fn require<const N: usize>(
        &self,
        titles: [&str; N],
    ) -> Result<[usize; N], Vec<Diagnostic>> {
        let found = titles.map(|title| self.column(title));
        let missing: Vec<Diagnostic> = titles
            .iter()
            .zip(&found)
            .filter(|(_, column)| column.is_none())
            .map(|(title, _)| self.missing(title))
            .collect();
        if missing.is_empty() {
            Ok(found.map(|column| column.unwrap_or_default()))
        } else {
            Err(missing)
        }
    }

    /// ``FILE:1: missing column `X` ``, at the header line.
    pub fn missing(&self, title: &str) -> Diagnostic {
        Diagnostic::error(
            &self.path,
            self.header_line.max(1),
            0,
            format!("missing column `{title}`"),
        )
    }

    /// A problem with one row as a whole: `FILE:LINE: message`.
    pub fn problem(&self, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(&self.path, line, 0, message)
    }

    /// A problem with one cell: `FILE:LINE:COLUMN: message`, where the cell starts (the
    /// row's line when the column is not in the file).
    pub fn cell_problem(
        &self,
        row: &Row,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, character) = column
            .and_then(|index| row.starts.get(index).copied())
            .unwrap_or((row.line, 0));
        Diagnostic::error(&self.path, line, character, message)
    }
}

/// Where each of a record's `cells` starts, as (line, character column), reading the
/// record's text from `offset` (on `line`) the way the csv crate does: a quote opens a
/// quoted cell only at the cell's start, `""` inside it is a quote, and a delimiter or a
/// line break inside it is text.
fn cell_starts(
    body: &str,
    offset: usize,
    line: usize,
    delimiter: u8,
    cells: usize,
) -> Vec<(usize, usize)> {
    let bytes = body.as_bytes();
    let mut starts = Vec::with_capacity(cells);
    let mut line = line;
    let mut line_start = body[..offset.min(body.len())]
        .rfind('\n')
        .map_or(0, |at| at + 1);
    let column_of = |line_start: usize, at: usize| body[line_start..at].chars().count() + 1;
    let mut at = offset.min(bytes.len());
    let mut cell_start = true;
    let mut quoted = false;
    starts.push((line, column_of(line_start, at)));
    while at < bytes.len() && starts.len() <= cells {
        let byte = bytes[at];
        if quoted {
            if byte == b'"' {
                if bytes.get(at + 1) == Some(&b'"') {
                    at += 1;
                } else {
                    quoted = false;
                }
            }
        } else if byte == b'"' && cell_start {
            quoted = true;
        } else if byte == delimiter {
            if starts.len() == cells {
                break;
            }
            starts.push((line, column_of(line_start, at + 1)));
            cell_start = true;
            at += 1;
            continue;
        } else if byte == b'\n' || byte == b'\r' {
            break;
        }
        if byte == b'\n' {
            line += 1;
            line_start = at + 1;
        }
        cell_start = false;
        at += 1;
    }
    starts
}

fn read_bytes(path: &Path, shown: &str, max_bytes: u64) -> Result<Vec<u8>, Diagnostic> {
    let fail =
        |error: std::io::Error| Diagnostic::error(shown, 0, 0, crate::snapshot::io_message(&error));
    let file = std::fs::File::open(path).map_err(fail)?;
    let metadata = file.metadata().map_err(fail)?;
    if metadata.is_dir() {
        return Err(Diagnostic::error(
            shown,
            0,
            0,
            "is a folder, not a CSV file",
        ));
    }
    let too_big = |size: u64| {
        Diagnostic::error(
            shown,
            0,
            0,
            format!(
                "the file is {size} bytes, over the {max_bytes}-byte limit for an input (set DEALCOACH_MAX_INPUT_BYTES to raise it)"
            ),
        )
    };
    if metadata.len() > max_bytes {
        return Err(too_big(metadata.len()));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The text of a CSV file: UTF-8, a byte-order mark dropped. Anything else is refused
/// with the way to convert it.
fn decode(bytes: &[u8], shown: &str) -> Result<String, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Err(Diagnostic::error(
            shown,
            0,
            0,
            "the file is UTF-16 text (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" instead",
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => {
            let valid_up_to = error.valid_up_to();
            let before = String::from_utf8_lossy(&bytes[..valid_up_to]);
            let (line, _) = line_column(&before, before.len());
            let message = if looks_like_gb18030(bytes) {
                format!(
                    "the file is not UTF-8: it looks like GBK/GB18030, what Excel and many Chinese CRMs save as \"CSV\". Convert it and import the copy: `iconv -f GB18030 -t UTF-8 '{shown}' > export-utf8.csv`, or save it from Excel as \"CSV UTF-8\""
                )
            } else {
                format!(
                    "the file is not UTF-8 text: save it as \"CSV UTF-8\", or convert it (`iconv -f WINDOWS-1252 -t UTF-8 '{shown}' > export-utf8.csv` for a Western Windows export)"
                )
            };
            Err(Diagnostic::error(shown, line, 0, message))
        }
    }
}

/// Whether every non-ASCII byte of `bytes` forms a GB18030 character: two bytes
/// (0x81–0xFE, then 0x40–0xFE but not 0x7F) or four (0x81–0xFE, 0x30–0x39, 0x81–0xFE,
/// 0x30–0x39). Chinese text in UTF-8 fails this test almost at once, GBK passes it.
fn looks_like_gb18030(bytes: &[u8]) -> bool {
    let mut index = 0;
    let mut characters = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte < 0x80 {
            index += 1;
            continue;
        }
        let lead = (0x81..=0xfe).contains(&byte);
        let two = bytes
            .get(index + 1)
            .is_some_and(|&next| (0x40..=0xfe).contains(&next) && next != 0x7f);
        let four = matches!(
            bytes.get(index + 1..index + 4),
            Some([second, third, fourth])
                if second.is_ascii_digit() && (0x81..=0xfe).contains(third) && fourth.is_ascii_digit()
        );
        if lead && four {
            index += 4;
        } else if lead && two {
            index += 2;
        } else {
            return false;
        }
        characters += 1;
    }
    characters > 0
}

/// The cell delimiter, how many lines before the header are not data (Excel's `sep=;`),
/// and the text from the header on. Without `sep=`, the header line decides: whichever
/// of `,` `;` and tab it holds most, outside quotes (a comma by default).
fn delimiter(text: &str) -> (u8, usize, &str) {
    let first_line_end = text.find('\n').unwrap_or(text.len());
    let first_line = text[..first_line_end].trim_end_matches('\r');
    if let Some(separator) = first_line.strip_prefix("sep=") {
        if let [byte] = separator.as_bytes() {
            return (*byte, 1, &text[(first_line_end + 1).min(text.len())..]);
        }
    }
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                for (delimiter, count) in counts.iter_mut() {
                    if byte == *delimiter {
                        *count += 1;
                    }
                }
            }
            _ => {}
        }
    }
    let best = counts.iter().fold((b',', 0), |best, &(delimiter, count)| {
        if count > best.1 {
            (delimiter, count)
        } else {
            best
        }
    });
    (best.0, 0, text)
}

fn csv_problem(
    shown: &str,
    error: &csv::Error,
    lines: &std::cell::RefCell<LineCounter>,
) -> Diagnostic {
    let line = error.position().map_or(0, |position| {
        lines.borrow_mut().line_at(position.byte() as usize).0
    });
    Diagnostic::error(
        shown,
        line,
        0,
        format!("cannot read this row as CSV: {error}"),
    )
}

/// The 1-based line of a byte offset, counted incrementally (offsets mostly grow).
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
    first_line: usize,
}

impl<'a> LineCounter<'a> {
    /// `skipped_lines`: lines before `text` in the file.
    fn new(text: &'a str, skipped_lines: usize) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: skipped_lines + 1,
            first_line: skipped_lines + 1,
        }
    }

    /// The line a record starting at `offset` is on, and the offset where its text
    /// starts: the offset the csv crate gives is where it started reading, before any
    /// blank lines it passed over.
    fn line_at(&mut self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while matches!(self.text.get(offset), Some(b'\n' | b'\r')) {
            offset += 1;
        }
        if offset < self.offset {
            self.offset = 0;
            self.line = self.first_line;
        }
        self.line += self.text[self.offset..offset]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count();
        self.offset = offset;
        (self.line, offset)
    }
}

#[cfg(test)]
mod tests {
    //! Exports from Excel and CRMs: BOM, semicolons, quoted line breaks, GBK refused.
    use super::*;

    #[test]
    fn rows_carry_the_line_they_start_on() {
        let text = "\u{feff}Id;Name;Notes\n1;A;\"two\nlines\"\n\n2;B;x\n3;C\n";
        let (table, problems) = Table::parse(text.as_bytes(), "t.csv").unwrap();
        assert_eq!(table.header, ["Id", "Name", "Notes"]);
        let lines: Vec<usize> = table.rows.iter().map(|row| row.line).collect();
        assert_eq!(lines, [2, 5]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 6);
        assert_eq!(table.rows[0].get(Some(2)), "two\nlines");
        assert_eq!(table.column("name"), Some(1));
    }

    #[test]
    fn cells_carry_the_line_and_column_they_start_on() {
        let text =
            "Id,Name,Notes,Amount\n1,\"Acme, \"\"Ltd\"\"\",\"two\nlines\",5\n\n2,王五,x\"y,7\n";
        let (table, problems) = Table::parse(text.as_bytes(), "t.csv").unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.rows[0].starts, [(2, 1), (2, 3), (2, 19), (3, 8)]);
        assert_eq!(table.rows[1].starts, [(5, 1), (5, 3), (5, 6), (5, 10)]);
        let problem = table.cell_problem(&table.rows[0], Some(3), "bad");
        assert_eq!(problem.to_string(), "t.csv:3:8: bad");
        let whole_row = table.cell_problem(&table.rows[1], None, "bad");
        assert_eq!(whole_row.to_string(), "t.csv:5: bad");
    }

    #[test]
    fn excel_separator_line_is_honoured() {
        let text = "sep=;\nId;Name\n1;\"A, Ltd\"\n";
        let (table, _) = Table::parse(text.as_bytes(), "t.csv").unwrap();
        assert_eq!(table.header_line, 2);
        assert_eq!(table.rows[0].line, 3);
        assert_eq!(table.rows[0].starts, [(3, 1), (3, 3)]);
        assert_eq!(table.rows[0].get(Some(1)), "A, Ltd");
    }

    #[test]
    fn gbk_is_refused_with_the_way_to_convert_it() {
        // "商机编号,名称\n1,华东\n" in GBK.
        let bytes = b"\xc9\xcc\xbb\xfa\xb1\xe0\xba\xc5,\xc3\xfb\xb3\xc6\n1,\xbb\xaa\xb6\xab\n";
        let refused = Table::parse(bytes, "crm.csv").unwrap_err();
        assert!(
            refused.message.contains("GBK/GB18030"),
            "{}",
            refused.message
        );
        assert!(refused.message.contains("iconv -f GB18030 -t UTF-8"));
        assert_eq!(refused.line, 1);
    }
}
