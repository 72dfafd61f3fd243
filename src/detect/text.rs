//! Reading text: sentences, normalisation (case, width, spacing, the playbook's
//! spellings), and where clauses end.
//!
//! Everything after this module works on one normalised sentence at a time: its text as
//! a `String` (what the Aho-Corasick automaton scans), the same text as characters
//! (what positions count in), and for each character the bytes of the original note it
//! came from (what the evidence quotes).

use aho_corasick::AhoCorasick;

/// A sentence of the original note: its bytes, and whether it asks rather than states.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sentence {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Ends with a question mark, or with the particle 吗.
    pub(super) is_question: bool,
}

/// Cuts a note into sentences at 。！？!? and line breaks, and at a `.` that can end a
/// sentence (not in "3.5", "e.g." or "Mr. Chen").
pub(super) fn sentences(text: &str) -> Vec<Sentence> {
    let mut found = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        let ends = match c {
            '.' => {
                let next = chars.peek().map(|&(_, next)| next);
                period_ends_sentence(&text[start..offset], next)
            }
            _ => is_sentence_end(c),
        };
        if ends {
            push_sentence(text, start, offset, Some(c), &mut found);
            start = offset + c.len_utf8();
        }
    }
    push_sentence(text, start, text.len(), None, &mut found);
    found
}

fn push_sentence(
    text: &str,
    start: usize,
    end: usize,
    separator: Option<char>,
    found: &mut Vec<Sentence>,
) {
    let body = text.get(start..end).unwrap_or_default();
    if body.trim().is_empty() {
        return;
    }
    let is_question = matches!(separator, Some('?' | '？'))
        || body
            .trim_end_matches(|c: char| c.is_whitespace() || is_clause_end(c))
            .ends_with('吗');
    found.push(Sentence {
        start,
        end,
        is_question,
    });
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '｡' | '．' | '!' | '！' | '?' | '？' | '\n' | '\r')
}

/// Punctuation that ends a clause but not a sentence. The enumeration comma 、 does not:
/// "硬件、软件、服务的价格分开报" is one clause.
pub(super) fn is_clause_end(c: char) -> bool {
    matches!(c, ',' | '，' | '﹐' | ';' | '；' | ':' | '：' | '…')
}

/// Whether a character cannot be part of a phrase: it ends a clause or a sentence.
pub(super) fn is_separator(c: char) -> bool {
    is_clause_end(c) || is_sentence_end(c)
}

/// The character a normalised sentence uses for every clause-ending punctuation mark.
pub(super) const CLAUSE_MARK: char = ',';

fn period_ends_sentence(before: &str, next: Option<char>) -> bool {
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

/// A sentence prepared for matching.
#[derive(Debug, Default)]
pub(super) struct Normalized {
    /// The folded text; every clause punctuation mark is [`CLAUSE_MARK`].
    pub(super) text: String,
    /// `text` as characters: positions everywhere else are indexes into this.
    pub(super) chars: Vec<char>,
    /// For each character, the byte range in the original note it stands for.
    pub(super) origins: Vec<(usize, usize)>,
    /// For each byte of `text` (and one past the end), the index of its character.
    pub(super) char_at: Vec<u32>,
}

impl Normalized {
    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.chars.clear();
        self.origins.clear();
        self.char_at.clear();
    }

    fn push(&mut self, c: char, origin: (usize, usize)) {
        self.chars.push(c);
        self.origins.push(origin);
        self.text.push(c);
    }

    /// Fills `char_at` once `text` is final.
    fn index(&mut self) {
        self.char_at.clear();
        for (index, c) in self.chars.iter().enumerate() {
            for _ in 0..c.len_utf8() {
                self.char_at.push(index as u32);
            }
        }
        self.char_at.push(self.chars.len() as u32);
    }

    /// The character index of byte `offset` of `text`.
    pub(super) fn char_index(&self, offset: usize) -> u32 {
        self.char_at
            .get(offset)
            .copied()
            .unwrap_or(self.chars.len() as u32)
    }

    /// The original bytes behind characters `start..end`.
    pub(super) fn original_range(&self, start: u32, end: u32) -> Option<(usize, usize)> {
        let first = self.origins.get(start as usize)?;
        let last = self.origins.get((end as usize).checked_sub(1)?)?;
        Some((first.0, last.1))
    }
}

/// Folds what should not matter: case, full-width letters (ＰＯＣ), curly apostrophes,
/// zero-width characters, and runs of spaces. Spaces next to a Chinese character are
/// dropped, so "没有 预算" still reads as 没有预算; clause punctuation becomes
/// [`CLAUSE_MARK`].
pub(super) fn normalize_into(text: &str, base: usize, out: &mut Normalized) {
    let start_len = out.chars.len();
    let mut pending_space: Option<(usize, usize)> = None;
    for (offset, original) in text.char_indices() {
        let origin = (base + offset, base + offset + original.len_utf8());
        let Some(mut c) = fold_char(original) else {
            continue;
        };
        if c.is_whitespace() || c.is_control() {
            pending_space.get_or_insert(origin);
            continue;
        }
        if is_separator(c) {
            c = CLAUSE_MARK;
        }
        if let (Some(space), Some(&previous)) = (pending_space.take(), out.chars.last()) {
            let joins_words = !is_cjk(previous) && !is_cjk(c) && previous != CLAUSE_MARK;
            if out.chars.len() > start_len && joins_words && c != CLAUSE_MARK {
                out.push(' ', space);
            }
        }
        out.push(c, origin);
    }
}

/// Prepares one sentence: normalised, with the playbook's spellings folded in.
pub(super) fn normalize_sentence(
    text: &str,
    base: usize,
    spellings: &Spellings,
    scratch: &mut Normalized,
    out: &mut Normalized,
) {
    out.clear();
    if spellings.is_empty() {
        normalize_into(text, base, out);
        out.index();
        return;
    }
    scratch.clear();
    normalize_into(text, base, scratch);
    scratch.index();
    spellings.fold(scratch, out);
    out.index();
}

/// Spelling variants reps type (typos of the pinyin input method, pinyin for a word) and
/// the word they stand for: `我门` → `我们`, `yusuan` → `预算`.
#[derive(Debug, Clone, Default)]
pub(super) struct Spellings {
    automaton: Option<AhoCorasick>,
    /// (variant is a whole Latin word, replacement), per pattern of the automaton.
    replacements: Vec<(bool, Box<[char]>)>,
}

impl Spellings {
    pub(super) fn new<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Spellings {
        let mut variants = Vec::new();
        let mut replacements = Vec::new();
        for (variant, canonical) in pairs {
            let variant = normalize_phrase(variant);
            let canonical: Box<[char]> = normalize_phrase(canonical).chars().collect();
            if variant.is_empty() || canonical.is_empty() {
                continue;
            }
            let whole_word = variant.chars().any(is_word_char);
            variants.push(variant);
            replacements.push((whole_word, canonical));
        }
        let automaton = if variants.is_empty() {
            None
        } else {
            aho_corasick::AhoCorasickBuilder::new()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&variants)
                .ok()
        };
        Spellings {
            automaton,
            replacements,
        }
    }

    fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// Copies `from` into `to`, each variant replaced by its word; a replacement's
    /// characters all stand for the variant's original bytes.
    fn fold(&self, from: &Normalized, to: &mut Normalized) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let mut next = 0u32;
        for found in automaton.find_iter(&from.text) {
            let start = from.char_index(found.start());
            let end = from.char_index(found.end());
            let (whole_word, replacement) = &self.replacements[found.pattern().as_usize()];
            let bounded = !*whole_word
                || ((start == 0 || !is_word_char(from.chars[start as usize - 1]))
                    && from
                        .chars
                        .get(end as usize)
                        .is_none_or(|&after| !is_word_char(after)));
            if !bounded || start < next {
                continue;
            }
            for at in next..start {
                to.push(from.chars[at as usize], from.origins[at as usize]);
            }
            let origin = from
                .original_range(start, end)
                .unwrap_or(from.origins[start as usize]);
            for &c in replacement.iter() {
                to.push(c, origin);
            }
            next = end;
        }
        for at in next as usize..from.chars.len() {
            to.push(from.chars[at], from.origins[at]);
        }
    }
}

/// A phrase of the playbook, folded like a note (so `ＰＯＣ` in a phrase list still
/// matches `poc` in a note).
pub(super) fn normalize_phrase(phrase: &str) -> String {
    let mut out = Normalized::default();
    normalize_into(phrase, 0, &mut out);
    out.text
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

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(note: &str) -> Vec<(&str, bool)> {
        sentences(note)
            .iter()
            .map(|s| (note[s.start..s.end].trim(), s.is_question))
            .collect()
    }

    #[test]
    fn sentences_end_at_stops_and_line_breaks_but_not_inside_numbers_or_titles() {
        assert_eq!(
            texts("李总来了。预算紧张！技术交流吗\nMr. Chen paid 3.5 million. Done?"),
            vec![
                ("李总来了", false),
                ("预算紧张", false),
                ("技术交流吗", true),
                ("Mr. Chen paid 3.5 million", false),
                ("Done", true),
            ]
        );
    }

    #[test]
    fn normalising_folds_case_width_spacing_and_clause_marks() {
        let mut out = Normalized::default();
        normalize_into("ＰＯＣ  ok，没有 预算；They   Agree", 0, &mut out);
        assert_eq!(out.text, "poc ok,没有预算,they agree");
        out.index();
        assert_eq!(out.char_index(out.text.find('没').unwrap_or(0)), 7);
    }

    #[test]
    fn spellings_replace_variants_and_keep_the_original_bytes() {
        let spellings = Spellings::new([("我门", "我们"), ("yusuan", "预算")].into_iter());
        let (mut scratch, mut out) = (Normalized::default(), Normalized::default());
        let note = "我门的yusuan不够, not yusuanx";
        normalize_sentence(note, 0, &spellings, &mut scratch, &mut out);
        assert_eq!(out.text, "我们的预算不够,not yusuanx");
        let budget = out.text.find('预').unwrap_or(0);
        let at = out.char_index(budget);
        let (start, end) = out.original_range(at, at + 2).unwrap_or_default();
        assert_eq!(&note[start..end], "yusuan");
    }
}
