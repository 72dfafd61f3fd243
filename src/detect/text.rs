//! Reading text: sentences, normalisation (case, width, spacing, the playbook's
//! spellings), and where clauses end.
//!
//! Everything after this module works on one normalised sentence at a time: its
//! characters (what the [`Lexicon`] scans and positions count in), the same text as a
//! `String`, and for each character the bytes of the original note it came from (what
//! the evidence quotes).

use super::prepared::blob_struct;

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
    /// The folded text; every clause punctuation mark is [`CLAUSE_MARK`]. Positions
    /// everywhere else are indexes into this.
    pub(super) chars: Vec<char>,
    /// For each character, the byte range in the original note it stands for.
    pub(super) origins: Vec<(usize, usize)>,
}

impl Normalized {
    pub(super) fn clear(&mut self) {
        self.chars.clear();
        self.origins.clear();
    }

    fn push(&mut self, c: char, origin: (usize, usize)) {
        self.chars.push(c);
        self.origins.push(origin);
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
        return;
    }
    scratch.clear();
    normalize_into(text, base, scratch);
    spellings.fold(scratch, out);
}

/// Spelling variants reps type (typos of the pinyin input method, pinyin for a word) and
/// the word they stand for: `我门` → `我们`, `yusuan` → `预算`.
#[derive(Debug, Clone, Default)]
pub(super) struct Spellings {
    variants: Lexicon,
    /// (variant is a whole Latin word, replacement), per variant.
    replacements: Vec<(bool, Box<[char]>)>,
}

blob_struct!(Spellings {
    variants,
    replacements
});

impl Spellings {
    pub(super) fn new<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Spellings {
        let mut variants: Vec<String> = Vec::new();
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
        Spellings {
            variants: Lexicon::new(variants.iter().map(String::as_str)),
            replacements,
        }
    }

    fn is_empty(&self) -> bool {
        self.replacements.is_empty()
    }

    /// Copies `from` into `to`, each variant (the longest at each place, left to right)
    /// replaced by its word; a replacement's characters all stand for the variant's
    /// original bytes.
    fn fold(&self, from: &Normalized, to: &mut Normalized) {
        let chars = &from.chars;
        let mut at = 0;
        while at < chars.len() {
            let mut longest: Option<(u32, usize)> = None;
            self.variants.at(chars, at, |id, end| {
                let (whole_word, _) = &self.replacements[id as usize];
                let bounded = !*whole_word
                    || ((at == 0 || !is_word_char(chars[at - 1]))
                        && chars.get(end).is_none_or(|&after| !is_word_char(after)));
                if bounded && longest.is_none_or(|(_, known)| end > known) {
                    longest = Some((id, end));
                }
            });
            match longest {
                Some((id, end)) => {
                    let origin = from
                        .original_range(at as u32, end as u32)
                        .unwrap_or(from.origins[at]);
                    for &c in self.replacements[id as usize].1.iter() {
                        to.push(c, origin);
                    }
                    at = end;
                }
                None => {
                    to.push(chars[at], from.origins[at]);
                    at += 1;
                }
            }
        }
    }
}

/// A dictionary of words found at any place of a text by their first two characters:
/// an index built in a fraction of a millisecond (an Aho-Corasick automaton over the
/// playbook's ~2,400 words took as long to build as the rest of the detector, at every
/// start), and a lookup of two binary searches per character, fast enough for an 80 KB
/// transcript. Every word at a place is found, so overlapping words (信不过, 不过) are
/// all seen.
#[derive(Debug, Clone, Default)]
pub(super) struct Lexicon {
    /// Every word's characters, one after the other, and where each word lies in them.
    chars: Vec<char>,
    words: Vec<(u32, u32)>,
    /// (first character, second character or [`NO_CHAR`], word), sorted.
    index: Vec<(char, char, u32)>,
    /// Each first character with where its entries of `index` begin, sorted: a lookup
    /// compares characters, not pairs.
    firsts: Vec<(char, u32)>,
    /// For ASCII first characters, their place in `firsts` directly (`u32::MAX`: none).
    ascii: Vec<u32>,
    /// One bit per character of the Basic Multilingual Plane: does a word begin with it?
    /// Most characters of a note begin none, and are passed over with one test.
    starts: Vec<u64>,
}

/// Stands for "no second character" in the index: normalised text never holds it.
const NO_CHAR: char = '\0';

blob_struct!(Lexicon {
    chars,
    words,
    index,
    firsts,
    ascii,
    starts
});

impl Lexicon {
    pub(super) fn new<'a>(words: impl Iterator<Item = &'a str>) -> Lexicon {
        let mut chars = Vec::new();
        let mut spans = Vec::new();
        for word in words {
            let start = chars.len() as u32;
            chars.extend(word.chars());
            spans.push((start, chars.len() as u32));
        }
        let mut index: Vec<(char, char, u32)> = spans
            .iter()
            .enumerate()
            .filter_map(|(id, &(start, end))| {
                let word = &chars[start as usize..end as usize];
                let first = *word.first()?;
                Some((first, word.get(1).copied().unwrap_or(NO_CHAR), id as u32))
            })
            .collect();
        index.sort_unstable();
        let mut starts = vec![0u64; 1 << 10];
        for &(first, _, _) in &index {
            if let Some(bits) = starts.get_mut(first as usize >> 6) {
                *bits |= 1 << (first as u32 & 63);
            }
        }
        let mut firsts: Vec<(char, u32)> = Vec::new();
        for (at, &(first, _, _)) in index.iter().enumerate() {
            if firsts.last().is_none_or(|&(known, _)| known != first) {
                firsts.push((first, at as u32));
            }
        }
        let mut ascii = vec![u32::MAX; 0x80];
        for (at, &(first, _)) in firsts.iter().enumerate() {
            if (first as u32) < 0x80 {
                ascii[first as usize] = at as u32;
            }
        }
        Lexicon {
            chars,
            words: spans,
            index,
            firsts,
            ascii,
            starts,
        }
    }

    /// Calls `found(word, end)` for every word that starts at `at` of `text`.
    pub(super) fn at(&self, text: &[char], at: usize, mut found: impl FnMut(u32, usize)) {
        let Some(&first) = text.get(at) else {
            return;
        };
        if let Some(bits) = self.starts.get(first as usize >> 6) {
            if bits & (1 << (first as u32 & 63)) == 0 {
                return;
            }
        }
        let found_first = if (first as u32) < 0x80 {
            match self.ascii.get(first as usize) {
                Some(&at) if at != u32::MAX => at as usize,
                _ => return,
            }
        } else {
            match self.firsts.binary_search_by_key(&first, |&(c, _)| c) {
                Ok(at) => at,
                Err(_) => return,
            }
        };
        let begin = self.firsts[found_first].1 as usize;
        let end = self
            .firsts
            .get(found_first + 1)
            .map_or(self.index.len(), |&(_, next)| next as usize);
        let entries = &self.index[begin..end];
        // one-character words come first ([`NO_CHAR`] sorts before every character)
        for &(_, second, id) in entries {
            if second != NO_CHAR {
                break;
            }
            found(id, at + 1);
        }
        let Some(&next) = text.get(at + 1) else {
            return;
        };
        let from = entries.partition_point(|&(_, second, _)| second < next);
        for &(_, second, id) in &entries[from..] {
            if second != next {
                break;
            }
            let (start, end) = self.words[id as usize];
            let word = &self.chars[start as usize..end as usize];
            if text[at..].starts_with(word) {
                found(id, at + word.len());
            }
        }
    }
}

/// A phrase of the playbook, folded like a note (so `ＰＯＣ` in a phrase list still
/// matches `poc` in a note). The same rules as [`normalize_into`], without keeping where
/// each character came from: the playbook's thousands of words are folded at every start.
pub(super) fn normalize_phrase(phrase: &str) -> String {
    let mut out = String::with_capacity(phrase.len());
    let mut previous: Option<char> = None;
    let mut pending_space = false;
    for original in phrase.chars() {
        let Some(mut c) = fold_char(original) else {
            continue;
        };
        if c.is_whitespace() || c.is_control() {
            pending_space = true;
            continue;
        }
        if is_separator(c) {
            c = CLAUSE_MARK;
        }
        if let (true, Some(before)) = (std::mem::take(&mut pending_space), previous) {
            if !is_cjk(before) && !is_cjk(c) && before != CLAUSE_MARK && c != CLAUSE_MARK {
                out.push(' ');
            }
        }
        out.push(c);
        previous = Some(c);
    }
    out
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
        let text: String = out.chars.iter().collect();
        assert_eq!(text, "poc ok,没有预算,they agree");
        assert_eq!(
            normalize_phrase("ＰＯＣ  ok，没有 预算；They   Agree"),
            text
        );
    }

    #[test]
    fn spellings_replace_variants_and_keep_the_original_bytes() {
        let spellings = Spellings::new([("我门", "我们"), ("yusuan", "预算")].into_iter());
        let (mut scratch, mut out) = (Normalized::default(), Normalized::default());
        let note = "我门的yusuan不够, not yusuanx";
        normalize_sentence(note, 0, &spellings, &mut scratch, &mut out);
        let text: String = out.chars.iter().collect();
        assert_eq!(text, "我们的预算不够,not yusuanx");
        let at = out.chars.iter().position(|&c| c == '预').unwrap_or(0) as u32;
        let (start, end) = out.original_range(at, at + 2).unwrap_or_default();
        assert_eq!(&note[start..end], "yusuan");
    }
}
