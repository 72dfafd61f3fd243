//! The shape nearly every deal file is written in, read without libyaml.
//!
//! Deal files are written one way: block mappings and sequences, plain or quoted
//! one-line scalars, one-line flow collections (`{revenue: 1800000}`, `[white_paper]`),
//! literal or folded notes (`|`, `>`), comments. For such a text this reader builds the
//! document in one pass over its lines and hands it to the snapshot's own `Deserialize`
//! impls — libyaml's scanner and parser and serde_yaml's event buffer cost about three
//! times everything else reading a deal does. Anything outside that shape (anchors,
//! tags, multi-line plain or quoted scalars, explicit keys, tabs, document markers …),
//! and any value the snapshot refuses, makes it give up: the caller then reads the text
//! with serde_yaml, which stays the authority on every message and every place. So this
//! reader has only to be right when it succeeds; a differential test holds it to
//! serde_yaml's result on generated and mutated texts (`simple_yaml/tests.rs`).
//!
//! How a scalar becomes a value (null, a boolean, a number, a text) follows serde_yaml_ng
//! 0.10 (`de.rs`), whose functions are copied below under their own names.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

#[cfg(test)]
mod tests;

/// Reads `text` as a `T`, or `None` when serde_yaml has to read it instead.
pub(crate) fn from_str<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
    let document = read(text).ok()?;
    T::deserialize(document).ok()
}

/// One node of the document.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    /// `plain` when written without quotes or a block indicator: only a plain scalar can
    /// be null, a boolean or a number.
    Scalar {
        text: Cow<'a, str>,
        plain: bool,
    },
    Sequence(Vec<Node<'a>>),
    Mapping(Vec<(&'a str, Node<'a>)>),
}

impl Node<'_> {
    fn empty() -> Self {
        Node::Scalar {
            text: Cow::Borrowed(""),
            plain: true,
        }
    }
}

/// The text is not in the simple shape, or its value is not what was asked for. Never
/// shown: serde_yaml reads the text again and says what is wrong, and where.
#[derive(Debug)]
pub(crate) struct GaveUp;

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("not in the simple shape of a deal file")
    }
}

impl std::error::Error for GaveUp {}

impl de::Error for GaveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GaveUp
    }
}

/// Nesting beyond this is left to serde_yaml and the input guards.
const MAX_DEPTH: usize = 24;

/// libyaml refuses a key longer than this (a "simple key" must fit in 1024 characters).
const MAX_KEY_BYTES: usize = 1000;

/// Reads the one document of `text`.
pub(crate) fn read(text: &str) -> Result<Node<'_>, GaveUp> {
    check_characters(text)?;
    let mut lines = Vec::with_capacity(text.len() / 20);
    for whole in text.split('\n') {
        let whole = whole.strip_suffix('\r').unwrap_or(whole);
        let content = whole.trim_start_matches(' ');
        let indent = whole.len() - content.len();
        // Directives and document markers: a stream of several documents, or one
        // declared with care, is serde_yaml's to read.
        if indent == 0
            && (content.starts_with("---")
                || content.starts_with("...")
                || content.starts_with('%'))
        {
            return Err(GaveUp);
        }
        lines.push(Line {
            indent,
            content,
            whole,
        });
    }
    let mut reader = Reader {
        lines,
        at: 0,
        depth: 0,
    };
    let first = reader.next_content().ok_or(GaveUp)?;
    if is_sequence_entry(first.content) {
        return Err(GaveUp);
    }
    let root = reader.mapping(first.indent)?;
    match reader.next_content() {
        Some(_) => Err(GaveUp),
        None => Ok(root),
    }
}

/// Bytes libyaml refuses or reads as something other than text: control characters
/// (tabs too: they are indentation errors in some places and not others), a lone
/// carriage return, the C1 controls with NEL, the line and paragraph separators, a
/// byte-order mark inside the text, U+FFFE and U+FFFF.
fn check_characters(text: &str) -> Result<(), GaveUp> {
    let bytes = text.as_bytes();
    let mut index = 0;
    // Eight bytes at a time where they are printable ASCII or line feeds, as nearly all
    // of a deal file is; a word holding anything else is checked byte by byte.
    while index < bytes.len() {
        if let Some(word) = bytes.get(index..index + 8) {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            if is_printable_ascii_or_line_feed(word) {
                index += 8;
                continue;
            }
        }
        let end = (index + 8).min(bytes.len());
        if (index..end).any(|at| refused_at(bytes, at)) {
            return Err(GaveUp);
        }
        index = end;
    }
    Ok(())
}

/// Whether each of the eight bytes of `word` is from `0x20` to `0x7e`, or `\n`.
fn is_printable_ascii_or_line_feed(word: u64) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    if word & HIGH != 0 {
        return false;
    }
    // With every byte under 0x80, `(byte | 0x80) - n` borrows from no other byte and
    // keeps its high bit exactly when `byte >= n`; `(byte ^ c | 0x80) - 1` loses it
    // exactly when `byte == c`.
    let at_least_space = (word | HIGH).wrapping_sub(ONES * 0x20) & HIGH;
    let equal = |c: u64| !((word ^ (ONES * c)) | HIGH).wrapping_sub(ONES) & HIGH;
    (at_least_space | equal(0x0a)) == HIGH && equal(0x7f) == 0
}

/// Whether libyaml refuses the byte at `index` (see [`check_characters`]).
fn refused_at(bytes: &[u8], index: usize) -> bool {
    let next = |offset: usize| bytes.get(index + offset).copied().unwrap_or(0);
    match bytes[index] {
        b'\n' | 0x20..=0x7e => false,
        b'\r' => next(1) != b'\n',
        0xc2 => next(1) < 0xa0,
        0xe2 => next(1) == 0x80 && matches!(next(2), 0xa8 | 0xa9),
        0xef => (next(1) == 0xbb && next(2) == 0xbf) || (next(1) == 0xbf && next(2) >= 0xbe),
        // The other bytes of characters from U+00A0 on (valid UTF-8 by `&str`).
        0x80..=0xff => false,
        _ => true,
    }
}

#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// Leading spaces.
    indent: usize,
    /// The rest of the line, without its line break; empty on a blank line.
    content: &'a str,
    /// The whole line without its line break (block scalars cut their own indentation).
    whole: &'a str,
}

impl Line<'_> {
    fn is_blank_or_comment(&self) -> bool {
        self.content.is_empty() || self.content.starts_with('#')
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    /// The next line to read.
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// The next line with content, blank lines and comments skipped; not consumed.
    fn next_content(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.lines.get(self.at) {
            if !line.is_blank_or_comment() {
                return Some(*line);
            }
            self.at += 1;
        }
        None
    }

    fn descend(&mut self) -> Result<(), GaveUp> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GaveUp);
        }
        Ok(())
    }

    /// A block mapping whose keys stand at `indent`.
    fn mapping(&mut self, indent: usize) -> Result<Node<'a>, GaveUp> {
        self.descend()?;
        let mut entries = Vec::new();
        while let Some(line) = self.next_content() {
            if line.indent < indent {
                break;
            }
            // Deeper: a continuation or an error. At the keys' indentation, an entry of
            // a sequence belongs to the key before, which read it already.
            if line.indent > indent || is_sequence_entry(line.content) {
                return Err(GaveUp);
            }
            let (key, rest) = split_key(line.content).ok_or(GaveUp)?;
            self.at += 1;
            let value = self.value(rest, indent, true)?;
            entries.push((key, value));
        }
        self.depth -= 1;
        Ok(Node::Mapping(entries))
    }

    /// A block sequence whose `-` stand at `indent`.
    fn sequence(&mut self, indent: usize) -> Result<Node<'a>, GaveUp> {
        self.descend()?;
        let mut items = Vec::new();
        while let Some(line) = self.next_content() {
            if line.indent < indent || (line.indent == indent && !is_sequence_entry(line.content)) {
                break;
            }
            if line.indent > indent {
                return Err(GaveUp);
            }
            let after_dash = &line.content[1..];
            let rest = after_dash.trim_start_matches(' ');
            if is_sequence_entry(rest) {
                return Err(GaveUp);
            }
            if split_key(rest).is_some() {
                // A mapping begun on the entry's line: its keys line up under the first.
                let column = indent + 1 + (after_dash.len() - rest.len());
                self.lines[self.at] = Line {
                    indent: column,
                    content: rest,
                    whole: line.whole,
                };
                items.push(self.mapping(column)?);
            } else {
                self.at += 1;
                items.push(self.value(rest, indent, false)?);
            }
        }
        self.depth -= 1;
        Ok(Node::Sequence(items))
    }

    /// The value after a key's `:` or an entry's `-` (`rest`), in a collection at
    /// `parent`. A mapping's value may be a sequence at the mapping's own indentation.
    fn value(
        &mut self,
        rest: &'a str,
        parent: usize,
        sequence_at_parent: bool,
    ) -> Result<Node<'a>, GaveUp> {
        let rest = rest.trim_start_matches(' ');
        if rest.is_empty() || rest.starts_with('#') {
            return self.nested(parent, sequence_at_parent);
        }
        if rest.starts_with(['|', '>']) {
            return self.block_scalar(rest, parent);
        }
        let node = inline(rest, self.depth)?;
        // A deeper line after a one-line value continues a plain scalar, or is an error.
        match self.next_content() {
            Some(next) if next.indent > parent => Err(GaveUp),
            _ => Ok(node),
        }
    }

    /// The collection on the lines below a key or an entry with no value on its line;
    /// none is null, as serde_yaml reads it.
    fn nested(&mut self, parent: usize, sequence_at_parent: bool) -> Result<Node<'a>, GaveUp> {
        match self.next_content() {
            Some(line) if line.indent > parent => {
                if is_sequence_entry(line.content) {
                    self.sequence(line.indent)
                } else {
                    self.mapping(line.indent)
                }
            }
            Some(line)
                if sequence_at_parent
                    && line.indent == parent
                    && is_sequence_entry(line.content) =>
            {
                self.sequence(parent)
            }
            _ => Ok(Node::empty()),
        }
    }

    /// A literal (`|`) or folded (`>`) scalar whose header is `header`, for a value in a
    /// collection at `parent`. Kept simple: clip or strip chomping, the indentation
    /// taken from the first line, no leading blank lines, no more-indented lines in a
    /// folded scalar (they keep their line breaks, a rule left to libyaml).
    fn block_scalar(&mut self, header: &'a str, parent: usize) -> Result<Node<'a>, GaveUp> {
        let folded = header.starts_with('>');
        let after = &header[1..];
        let (strip, after) = match after.as_bytes().first() {
            Some(b'-') => (true, &after[1..]),
            Some(b'+' | b'0'..=b'9') => return Err(GaveUp),
            _ => (false, after),
        };
        end_of_line(after)?;
        let start = self.at;
        let first = *self.lines.get(start).ok_or(GaveUp)?;
        let indent = first.indent;
        if first.content.is_empty() || indent <= parent {
            return Err(GaveUp);
        }
        let mut last_content = start;
        let mut end = start;
        while let Some(line) = self.lines.get(end) {
            if line.content.is_empty() {
                // A blank line with spaces past the indentation holds those spaces.
                if line.indent > indent {
                    return Err(GaveUp);
                }
            } else if line.indent < indent {
                break;
            } else {
                last_content = end;
            }
            end += 1;
        }
        let body = &self.lines[start..=last_content];
        let mut text = String::with_capacity(body.iter().map(|line| line.whole.len() + 1).sum());
        if folded {
            let mut blanks = 0;
            for (index, line) in body.iter().enumerate() {
                if line.content.is_empty() {
                    blanks += 1;
                    continue;
                }
                if line.indent > indent {
                    return Err(GaveUp);
                }
                if index > 0 {
                    if blanks == 0 {
                        text.push(' ');
                    }
                    for _ in 0..blanks {
                        text.push('\n');
                    }
                }
                blanks = 0;
                text.push_str(&line.whole[indent..]);
            }
        } else {
            for (index, line) in body.iter().enumerate() {
                if index > 0 {
                    text.push('\n');
                }
                if !line.content.is_empty() {
                    text.push_str(&line.whole[indent..]);
                }
            }
        }
        if !strip {
            text.push('\n');
        }
        self.at = last_content + 1;
        Ok(Node::Scalar {
            text: Cow::Owned(text),
            plain: false,
        })
    }
}

fn is_sequence_entry(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// `key:` at the start of `content`, and what follows the colon. Keys are names
/// (letters, digits, `_`, `-`), as every key of a snapshot is.
fn split_key(content: &str) -> Option<(&str, &str)> {
    let bytes = content.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_alphanumeric() || first == b'_') {
        return None;
    }
    let end = bytes
        .iter()
        .position(|&byte| !(byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'))?;
    if bytes[end] != b':' || end > MAX_KEY_BYTES {
        return None;
    }
    let rest = &content[end + 1..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((&content[..end], rest))
}

/// What may follow a value on its line: spaces, and a comment after a space.
fn end_of_line(after: &str) -> Result<(), GaveUp> {
    let rest = after.trim_start_matches(' ');
    if rest.is_empty() || (rest.starts_with('#') && rest.len() < after.len()) {
        Ok(())
    } else {
        Err(GaveUp)
    }
}

/// A value written on one line: quoted, a flow collection, or plain.
fn inline(rest: &str, depth: usize) -> Result<Node<'_>, GaveUp> {
    let (node, after) = match rest.as_bytes()[0] {
        b'"' | b'\'' => quoted(rest)?,
        b'[' | b'{' => flow(rest, depth + 1)?,
        _ => return plain(rest),
    };
    end_of_line(after)?;
    Ok(node)
}

/// Whether a plain scalar may not start with `first` (then `second`): an indicator.
fn starts_with_indicator(first: u8, second: Option<u8>) -> bool {
    match first {
        b'-' | b'?' => matches!(second, None | Some(b' ')),
        b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
        | b'\'' | b'"' | b'%' | b'@' | b'`' => true,
        _ => false,
    }
}

/// A plain scalar in a block: to the end of the line or a comment, trailing spaces cut.
fn plain(rest: &str) -> Result<Node<'_>, GaveUp> {
    let bytes = rest.as_bytes();
    if starts_with_indicator(bytes[0], bytes.get(1).copied()) {
        return Err(GaveUp);
    }
    let text = match memchr::memmem::find(bytes, b" #") {
        Some(comment) => &rest[..comment],
        None => rest,
    };
    let text = text.trim_end_matches(' ');
    // `a: b` on a value's line is a mapping where none may start.
    if text.ends_with(':') || memchr::memmem::find(text.as_bytes(), b": ").is_some() {
        return Err(GaveUp);
    }
    Ok(Node::Scalar {
        text: Cow::Borrowed(text),
        plain: true,
    })
}

/// A quoted scalar that closes on its line, and the text after it.
fn quoted(rest: &str) -> Result<(Node<'_>, &str), GaveUp> {
    let bytes = rest.as_bytes();
    let quote = bytes[0];
    let mut owned: Option<String> = None;
    let mut piece_start = 1;
    let mut index = 1;
    loop {
        let &byte = bytes.get(index).ok_or(GaveUp)?;
        if byte == quote {
            if quote == b'\'' && bytes.get(index + 1) == Some(&b'\'') {
                let text = owned.get_or_insert_with(String::new);
                text.push_str(&rest[piece_start..=index]);
                index += 2;
                piece_start = index;
                continue;
            }
            break;
        }
        if quote == b'"' && byte == b'\\' {
            let text = owned.get_or_insert_with(String::new);
            text.push_str(&rest[piece_start..index]);
            index = escape(rest, index + 1, text)?;
            piece_start = index;
            continue;
        }
        index += 1;
    }
    let text = match owned {
        Some(mut text) => {
            text.push_str(&rest[piece_start..index]);
            Cow::Owned(text)
        }
        None => Cow::Borrowed(&rest[1..index]),
    };
    Ok((Node::Scalar { text, plain: false }, &rest[index + 1..]))
}

/// The escape after a backslash at `at - 1`, pushed onto `text`; the index after it.
fn escape(rest: &str, at: usize, text: &mut String) -> Result<usize, GaveUp> {
    let letter = *rest.as_bytes().get(at).ok_or(GaveUp)?;
    let simple = match letter {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' | b'u' | b'U' => {
            let digits = match letter {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let hex = rest.get(at + 1..at + 1 + digits).ok_or(GaveUp)?;
            if !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return Err(GaveUp);
            }
            let code = u32::from_str_radix(hex, 16).map_err(|_| GaveUp)?;
            text.push(char::from_u32(code).ok_or(GaveUp)?);
            return Ok(at + 1 + digits);
        }
        _ => return Err(GaveUp),
    };
    text.push(simple);
    Ok(at + 1)
}

/// A flow collection that closes on its line (`[a, b]`, `{k: v}`), and the text after.
fn flow(rest: &str, depth: usize) -> Result<(Node<'_>, &str), GaveUp> {
    if depth > MAX_DEPTH {
        return Err(GaveUp);
    }
    let close = if rest.starts_with('[') { b']' } else { b'}' };
    let mut at = skip_spaces(rest, 1);
    let mut items = Vec::new();
    let mut entries = Vec::new();
    if rest.as_bytes().get(at) == Some(&close) {
        at += 1;
    } else {
        loop {
            if close == b'}' {
                let (key, after) = split_key(&rest[at..]).ok_or(GaveUp)?;
                // `{a: , b: 1}`: an empty value is serde_yaml's to read.
                if !after.starts_with(' ') {
                    return Err(GaveUp);
                }
                at += key.len() + 1;
                at = skip_spaces(rest, at);
                let (value, next) = flow_value(&rest[at..], depth)?;
                entries.push((key, value));
                at = rest.len() - next.len();
            } else {
                let (item, next) = flow_value(&rest[at..], depth)?;
                items.push(item);
                at = rest.len() - next.len();
            }
            at = skip_spaces(rest, at);
            match rest.as_bytes().get(at) {
                Some(b',') => at = skip_spaces(rest, at + 1),
                Some(&byte) if byte == close => {
                    at += 1;
                    break;
                }
                _ => return Err(GaveUp),
            }
            // A trailing comma, or a comma then a line break: serde_yaml's to read.
            if matches!(rest.as_bytes().get(at), None | Some(b']' | b'}' | b',')) {
                return Err(GaveUp);
            }
        }
    }
    let node = if close == b']' {
        Node::Sequence(items)
    } else {
        Node::Mapping(entries)
    };
    Ok((node, &rest[at..]))
}

fn skip_spaces(text: &str, mut at: usize) -> usize {
    while text.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    at
}

/// One value inside a flow collection, and the text after it.
fn flow_value(rest: &str, depth: usize) -> Result<(Node<'_>, &str), GaveUp> {
    let bytes = rest.as_bytes();
    match bytes.first() {
        None => Err(GaveUp),
        Some(b'"' | b'\'') => quoted(rest),
        Some(b'[' | b'{') => flow(rest, depth + 1),
        Some(&first) => {
            // In a flow collection `?` is a key's indicator even before a letter.
            if first == b'?' || starts_with_indicator(first, bytes.get(1).copied()) {
                return Err(GaveUp);
            }
            let end = bytes
                .iter()
                .position(|byte| matches!(byte, b',' | b'[' | b']' | b'{' | b'}' | b':' | b'#'))
                .ok_or(GaveUp)?;
            // Only a comma or the closing bracket may end a plain value here.
            if !matches!(bytes[end], b',' | b']' | b'}') {
                return Err(GaveUp);
            }
            let text = rest[..end].trim_end_matches(' ');
            if text.is_empty() {
                return Err(GaveUp);
            }
            Ok((
                Node::Scalar {
                    text: Cow::Borrowed(text),
                    plain: true,
                },
                &rest[end..],
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------
// The document as a serde `Deserializer`, resolving scalars as serde_yaml does.

impl<'de> Deserializer<'de> for Node<'de> {
    type Error = GaveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match self {
            Node::Scalar { text, plain: true } => visit_untagged_scalar(visitor, text),
            Node::Scalar { text, plain: false } => visit_text(visitor, text),
            Node::Sequence(items) => visit_items(visitor, items),
            Node::Mapping(entries) => visit_entries(visitor, entries),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match &self {
            Node::Scalar { text, plain: true } => match parse_bool(text) {
                Some(value) => visitor.visit_bool(value),
                None => Err(GaveUp),
            },
            _ => Err(GaveUp),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match &self {
            Node::Scalar { text, plain: true } => match parse_signed_int(text) {
                Some(value) => visitor.visit_i64(value),
                None => Err(GaveUp),
            },
            _ => Err(GaveUp),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match &self {
            Node::Scalar { text, plain: true } => match parse_f64(text) {
                Some(value) => visitor.visit_f64(value),
                None => Err(GaveUp),
            },
            _ => Err(GaveUp),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match self {
            Node::Scalar { text, .. } => visit_text(visitor, text),
            _ => Err(GaveUp),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match &self {
            Node::Scalar { text, plain: true } if text.is_empty() || is_null(text) => {
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match self {
            Node::Sequence(items) => visit_items(visitor, items),
            Node::Scalar { text, plain: true } if text.is_empty() => {
                visit_items(visitor, Vec::new())
            }
            _ => Err(GaveUp),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        match self {
            Node::Mapping(entries) => visit_entries(visitor, entries),
            Node::Scalar { text, plain: true } if text.is_empty() => {
                visit_entries(visitor, Vec::new())
            }
            _ => Err(GaveUp),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        self.deserialize_map(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, GaveUp> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GaveUp> {
        visitor.visit_unit()
    }

    // What no snapshot field asks for is left to serde_yaml.
    fn deserialize_u8<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_char<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, GaveUp> {
        Err(GaveUp)
    }
}

fn visit_text<'de, V: Visitor<'de>>(visitor: V, text: Cow<'de, str>) -> Result<V::Value, GaveUp> {
    match text {
        Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
        Cow::Owned(text) => visitor.visit_string(text),
    }
}

/// A visitor that leaves items unread is refused, as serde_yaml refuses it.
fn visit_items<'de, V: Visitor<'de>>(
    visitor: V,
    items: Vec<Node<'de>>,
) -> Result<V::Value, GaveUp> {
    let mut access = Items(items.into_iter());
    let value = visitor.visit_seq(&mut access)?;
    match access.0.len() {
        0 => Ok(value),
        _ => Err(GaveUp),
    }
}

fn visit_entries<'de, V: Visitor<'de>>(
    visitor: V,
    entries: Vec<(&'de str, Node<'de>)>,
) -> Result<V::Value, GaveUp> {
    let mut access = Entries {
        entries: entries.into_iter(),
        value: None,
    };
    let value = visitor.visit_map(&mut access)?;
    match access.entries.len() {
        0 => Ok(value),
        _ => Err(GaveUp),
    }
}

struct Items<'de>(std::vec::IntoIter<Node<'de>>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = GaveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, GaveUp> {
        self.0.next().map(|item| seed.deserialize(item)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'de> {
    entries: std::vec::IntoIter<(&'de str, Node<'de>)>,
    value: Option<Node<'de>>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = GaveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, GaveUp> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        // A key is a plain scalar like any other (`true:` is a boolean to serde_yaml).
        seed.deserialize(Node::Scalar {
            text: Cow::Borrowed(key),
            plain: true,
        })
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, GaveUp> {
        seed.deserialize(self.value.take().ok_or(GaveUp)?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

// ---------------------------------------------------------------------------------------
// Scalar resolution, as serde_yaml_ng 0.10 `de.rs` does it (MIT OR Apache-2.0).

fn is_null(scalar: &str) -> bool {
    matches!(scalar, "null" | "Null" | "NULL" | "~")
}

fn parse_bool(scalar: &str) -> Option<bool> {
    match scalar {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn visit_untagged_scalar<'de, V: Visitor<'de>>(
    visitor: V,
    text: Cow<'de, str>,
) -> Result<V::Value, GaveUp> {
    if text.is_empty() || is_null(&text) {
        return visitor.visit_unit();
    }
    if let Some(boolean) = parse_bool(&text) {
        return visitor.visit_bool(boolean);
    }
    if let Some(int) = parse_unsigned_int(&text, u64::from_str_radix) {
        return visitor.visit_u64(int);
    }
    if let Some(int) = parse_negative_int(&text, i64::from_str_radix) {
        return visitor.visit_i64(int);
    }
    if let Some(int) = parse_unsigned_int(&text, u128::from_str_radix) {
        return visitor.visit_u128(int);
    }
    if let Some(int) = parse_negative_int(&text, i128::from_str_radix) {
        return visitor.visit_i128(int);
    }
    if !digits_but_not_number(&text) {
        if let Some(float) = parse_f64(&text) {
            return visitor.visit_f64(float);
        }
    }
    visit_text(visitor, text)
}

type FromStrRadix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

fn parse_unsigned_int<T>(scalar: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(rest, radix) {
                return Some(int);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(scalar: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = scalar.strip_prefix(prefix) {
            if let Ok(int) = from_str_radix(&format!("-{rest}"), radix) {
                return Some(int);
            }
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

fn parse_signed_int(scalar: &str) -> Option<i64> {
    let unpositive = match scalar.strip_prefix('+') {
        Some(unpositive) if unpositive.starts_with(['+', '-']) => return None,
        Some(unpositive) => unpositive,
        None => scalar,
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = i64::from_str_radix(rest, radix) {
                return Some(int);
            }
        }
        if let Some(rest) = scalar
            .strip_prefix('-')
            .and_then(|rest| rest.strip_prefix(prefix))
        {
            if let Ok(int) = i64::from_str_radix(&format!("-{rest}"), radix) {
                return Some(int);
            }
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    unpositive.parse::<i64>().ok()
}

fn parse_f64(scalar: &str) -> Option<f64> {
    let unpositive = match scalar.strip_prefix('+') {
        Some(unpositive) if unpositive.starts_with(['+', '-']) => return None,
        Some(unpositive) => unpositive,
        None => scalar,
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = scalar {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = scalar {
        return Some(f64::NAN.copysign(1.0));
    }
    match unpositive.parse::<f64>() {
        Ok(float) if float.is_finite() => Some(float),
        _ => None,
    }
}

/// Leading zeros followed by digits make a string in YAML 1.2.
fn digits_but_not_number(scalar: &str) -> bool {
    let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    scalar.len() > 1 && scalar.starts_with('0') && scalar[1..].bytes().all(|b| b.is_ascii_digit())
}
