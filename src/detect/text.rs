//! Reading text: normalisation, sentences and clauses.

/// Text prepared for matching: one entry per kept character, with the byte range of the
/// original character it came from (for the evidence).
#[derive(Default)]
pub(super) struct NormalizedText {
    pub(super) chars: Vec<char>,
    pub(super) origins: Vec<(usize, usize)>,
}

impl NormalizedText {
    pub(super) fn clear(&mut self) {
        self.chars.clear();
        self.origins.clear();
    }
}

/// Folds what should not matter: case, full-width letters (ＰＯＣ), curly apostrophes,
/// zero-width characters, and runs of spaces. Spaces next to a Chinese character are
/// dropped, so "没有 预算" still reads as 没有预算.
pub(super) fn normalize_into(text: &str, base: usize, out: &mut NormalizedText) {
    let start_len = out.chars.len();
    let mut pending_space: Option<(usize, usize)> = None;
    for (offset, original) in text.char_indices() {
        let origin = (base + offset, base + offset + original.len_utf8());
        let Some(c) = fold_char(original) else {
            continue;
        };
        if c.is_whitespace() || c.is_control() {
            pending_space.get_or_insert(origin);
            continue;
        }
        if let (Some(space), Some(&previous)) = (pending_space.take(), out.chars.last()) {
            if out.chars.len() > start_len && !is_cjk(previous) && !is_cjk(c) {
                out.chars.push(' ');
                out.origins.push(space);
            }
        }
        out.chars.push(c);
        out.origins.push(origin);
    }
}

pub(super) fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
        '\u{3000}' => Some(' '),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).map(lowercase),
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' => Some('\''),
        _ => Some(lowercase(c)),
    }
}

pub(super) fn lowercase(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if is_cjk(c) {
        return c; // no case, and the common case in Chinese notes
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c, // expands to several characters: keep it, so one char stays one char
    }
}

/// Han, kana and CJK symbols: scripts written without spaces, so they have no word
/// boundaries.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0x20000..=0x3FFFF)
}

pub(super) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    !is_cjk(c) && c.is_alphanumeric()
}

/// How a character ends a stretch of text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Separator {
    Clause,
    Sentence,
}

pub(super) fn separator_kind(c: char) -> Option<Separator> {
    match c {
        '。' | '｡' | '．' | '!' | '！' | '?' | '？' | '\n' | '\r' => {
            Some(Separator::Sentence)
        }
        ',' | '，' | '﹐' | '、' | '﹑' | ';' | '；' | ':' | '：' | '…' => {
            Some(Separator::Clause)
        }
        _ => None,
    }
}

/// A stretch of the original text between separators.
pub(super) struct Segment {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) ends_sentence: bool,
    /// The punctuation that ended it, if any.
    pub(super) separator: Option<char>,
}

/// Splits text at punctuation and line breaks. A `.` ends a sentence only where a
/// sentence can end: before a space, the end, or non-Latin text, and not after an
/// abbreviation or initial, so "3.5", "e.g." and "Mr. Chen" stay whole.
#[derive(Clone, Copy)]
pub(super) struct Segments<'a> {
    pub(super) text: &'a str,
    pub(super) position: usize,
}

impl<'a> Segments<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Segments { text, position: 0 }
    }
}

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        if self.position >= self.text.len() {
            return None;
        }
        let start = self.position;
        let rest = self.text.get(start..)?;
        let mut chars = rest.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            let kind = match c {
                '.' => {
                    let next = chars.peek().map(|&(_, next)| next);
                    period_ends_sentence(&rest[..offset], next).then_some(Separator::Sentence)
                }
                _ => separator_kind(c),
            };
            if let Some(kind) = kind {
                let end = start + offset;
                self.position = end + c.len_utf8();
                return Some(Segment {
                    start,
                    end,
                    ends_sentence: kind == Separator::Sentence,
                    separator: Some(c),
                });
            }
        }
        self.position = self.text.len();
        Some(Segment {
            start,
            end: self.text.len(),
            ends_sentence: true,
            separator: None,
        })
    }
}

/// Whether the sentence that begins with `first` (followed by `rest`) is a question: it
/// ends with a question mark, or with the particle 吗.
pub(super) fn sentence_is_a_question(text: &str, first: &Segment, mut rest: Segments) -> bool {
    let last = if first.ends_sentence {
        Some((first.start, first.end, first.separator))
    } else {
        rest.find(|segment| segment.ends_sentence)
            .map(|segment| (segment.start, segment.end, segment.separator))
    };
    let Some((start, end, separator)) = last else {
        return false;
    };
    matches!(separator, Some('?' | '？'))
        || text
            .get(start..end)
            .is_some_and(|sentence| sentence.trim_end().ends_with('吗'))
}

pub(super) fn period_ends_sentence(before: &str, next: Option<char>) -> bool {
    if let Some(next) = next {
        if !(next.is_whitespace() || !next.is_ascii() || "\"')]".contains(next)) {
            return false; // 3.5, www.acme.com, e.g
        }
    }
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let abbreviation = word.len() == 1
        || matches!(
            word.as_str(),
            "mr" | "mrs" | "ms" | "dr" | "prof" | "jr" | "sr" | "st" | "vs"
        );
    !abbreviation
}
