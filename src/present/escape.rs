//! Output that is safe to open: in a terminal, in a spreadsheet, in a Markdown viewer.
//!
//! Deal files, CRM exports and playbooks are written by people other than the one who
//! reads the output, so their text is never trusted to be inert:
//! - a terminal obeys escape sequences: a deal name could clear the screen, rewrite what
//!   was printed above it or set a hyperlink, so text output keeps no control character
//!   but line breaks, tabs and the few colour codes dealcoach itself uses;
//! - a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, so such
//!   cells are prefixed with `'`, as OWASP advises for CSV injection;
//! - a Markdown viewer renders raw HTML and links, so text from a deal is escaped;
//! - an SVG or HTML document (the power map, the page of `serve`) would take a name as
//!   markup, so text from a deal is escaped as XML text.

use std::borrow::Cow;

/// The colour codes dealcoach's own styles use (SGR: reset, bold, dim, red, green,
/// yellow). Only these survive in text output, and only when colour is on: at worst a
/// deal can colour its own text, never move the cursor, clear the screen, change the
/// window title or hide what follows.
const OWN_STYLES: &[&str] = &["0", "1", "2", "31", "32", "33"];

/// Text for a terminal: every control character removed except line breaks and tabs,
/// and, when `keep_styles`, dealcoach's own colour codes. Bidirectional overrides go too:
/// they make a line read differently from what it contains.
pub fn terminal(text: &str, keep_styles: bool) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' && keep_styles {
            if let Some(style) = own_style(rest) {
                out.push_str(style);
                rest = &rest[style.len()..];
                continue;
            }
        }
        if !is_unsafe(c) {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The escape sequence `text` starts with, when it is one of dealcoach's own styles.
fn own_style(text: &str) -> Option<&str> {
    let body = text.strip_prefix("\u{1b}[")?;
    let end = body.find('m')?;
    OWN_STYLES
        .contains(&&body[..end])
        .then(|| &text[..2 + end + 1])
}

/// A CSV cell a spreadsheet will not run: text that starts like a formula gets a leading
/// `'`; numbers (`-5000`) stay numbers. Control characters other than line breaks go.
pub fn spreadsheet(cell: &str) -> Cow<'_, str> {
    let cleaned: Cow<str> = if cell
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        Cow::Owned(
            cell.chars()
                .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
                .collect(),
        )
    } else {
        Cow::Borrowed(cell)
    };
    let risky = cleaned
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && cleaned.trim().parse::<f64>().is_err() {
        Cow::Owned(format!("'{cleaned}"))
    } else {
        cleaned
    }
}

/// Text from a deal or a playbook placed in Markdown: HTML, links, images, code spans
/// and table cells cannot be opened or broken by it.
pub fn markdown(text: &str) -> Cow<'_, str> {
    const SPECIAL: &[char] = &['<', '>', '&', '[', ']', '`', '|', '\\', '*'];
    if !text.contains(SPECIAL) && !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push(' '),
            '[' | ']' | '`' | '|' | '\\' | '*' => {
                out.push('\\');
                out.push(c);
            }
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text from a deal or a playbook placed in XML or HTML (text or a quoted attribute):
/// markup characters become entities, and what XML 1.0 cannot hold (control characters
/// other than tab, line breaks are made spaces, U+FFFE, U+FFFF) is dropped, as are
/// bidirectional overrides; the document stays well-formed whatever a name contains.
pub fn xml(text: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '<' | '>' | '&' | '"' | '\'' | '\u{fffe}' | '\u{ffff}')
            || is_unsafe(c)
            || c == '\n'
            || c == '\t'
    };
    if !text.chars().any(special) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(' '),
            '\u{fffe}' | '\u{ffff}' => {}
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Writes text output through [`terminal`]: every text report of every command passes
/// here on its way out, so no renderer has to remember it.
pub struct TerminalSafe<W: std::io::Write> {
    inner: W,
    keep_styles: bool,
}

impl<W: std::io::Write> TerminalSafe<W> {
    pub fn new(inner: W, keep_styles: bool) -> TerminalSafe<W> {
        TerminalSafe { inner, keep_styles }
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafe<W> {
    /// Takes the whole buffer: `write!` hands over whole formatted pieces, so a style's
    /// escape sequence is never split. Bytes that are not UTF-8 are written as the
    /// replacement character.
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buffer);
        self.inner
            .write_all(terminal(&text, self.keep_styles).as_bytes())?;
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    //! D11 (issue 15): what a hostile deal can do to the screen, a spreadsheet or a
    //! Markdown viewer, it must not.
    use super::*;

    #[test]
    fn terminal_text_keeps_no_escape_sequence_but_our_own_styles() {
        let hostile = "ACME\u{1b}[2J\u{1b}]0;owned\u{7}\r\u{9b}31m \u{202e}cba";
        assert_eq!(terminal(hostile, false), "ACME[2J]0;owned31m cba");
        let styled = "\u{1b}[1mbold\u{1b}[0m \u{1b}[8mhidden";
        assert_eq!(terminal(styled, true), "\u{1b}[1mbold\u{1b}[0m [8mhidden");
        assert_eq!(terminal(styled, false), "[1mbold[0m [8mhidden");
        assert_eq!(terminal("a\tb\nc 李总", false), "a\tb\nc 李总");
    }

    #[test]
    fn spreadsheet_cells_that_start_like_formulas_are_quoted_numbers_are_not() {
        assert_eq!(spreadsheet("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet("+1+2"), "'+1+2");
        assert_eq!(spreadsheet("-2+3"), "'-2+3");
        assert_eq!(spreadsheet("\tx"), "'\tx");
        assert_eq!(spreadsheet("-5000"), "-5000");
        assert_eq!(spreadsheet("ACME - east"), "ACME - east");
        assert_eq!(spreadsheet("a\u{1b}b"), "ab");
    }

    #[test]
    fn markdown_text_cannot_open_html_links_or_cells() {
        assert_eq!(
            markdown("<script>x</script> [a](b) |c| `d`"),
            "&lt;script&gt;x&lt;/script&gt; \\[a\\](b) \\|c\\| \\`d\\`"
        );
        assert_eq!(markdown("周行长 ok"), "周行长 ok");
    }

    #[test]
    fn xml_text_cannot_open_markup_or_break_the_document() {
        assert_eq!(
            xml("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(xml("a\u{1}b\u{1b}c\nd\u{202e}e\u{ffff}"), "abc de");
        assert_eq!(xml("周行长 Ms. Lin"), "周行长 Ms. Lin");
    }
}
