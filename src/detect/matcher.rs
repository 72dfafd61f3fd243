//! Finding the playbook's patterns in a sentence.
//!
//! A pattern is a *frame*: a sequence of slots, each a word or a set of words (a
//! `{list}` of the playbook), either adjacent or separated by a `*` gap. `{doubt}*{ability}`
//! is one frame that stands for every 担心/怀疑/不放心 … followed later in the clause by
//! 交付/能力/案例 … — nothing is multiplied out, so word lists can be long.
//!
//! Every distinct word of every frame is one entry of a [`Lexicon`], which finds all of
//! them in a sentence in one pass (overlapping: 信不过 and 不过 are both reported). A frame
//! is then tried only where a word of its first slot was found, and completed slot by
//! slot from the hits, within one clause (or the sentence, across a `**`).

use std::collections::HashMap;

use super::prepared::{blob_struct, Blob};
use super::text::{is_cjk, is_word_char, normalize_phrase, Lexicon, Normalized, CLAUSE_MARK};

/// What a frame does when found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Reveals the concept of this index.
    Concept(u16),
    /// Cancels the concept of this index in the clause.
    Unless(u16),
    Negator,
    /// Contains a cue word but is not that cue (不错, 没想到, 问题, "not only").
    Shield,
    NotAProblem,
    Resolved,
    Hypothetical,
    Ours,
    Relayed,
    Asking,
    Request,
    Speech,
    Past,
    Since,
    ClauseBreak,
}

/// A role as its place in the list above (and a concept's index).
impl Blob for Role {
    fn put(&self, out: &mut Vec<u8>) {
        let (tag, concept): (u8, u16) = match *self {
            Role::Concept(index) => (0, index),
            Role::Unless(index) => (1, index),
            Role::Negator => (2, 0),
            Role::Shield => (3, 0),
            Role::NotAProblem => (4, 0),
            Role::Resolved => (5, 0),
            Role::Hypothetical => (6, 0),
            Role::Ours => (7, 0),
            Role::Relayed => (8, 0),
            Role::Asking => (9, 0),
            Role::Request => (10, 0),
            Role::Speech => (11, 0),
            Role::Past => (12, 0),
            Role::Since => (13, 0),
            Role::ClauseBreak => (14, 0),
        };
        (tag, concept).put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let (tag, concept) = <(u8, u16)>::take(input)?;
        Some(match tag {
            0 => Role::Concept(concept),
            1 => Role::Unless(concept),
            2 => Role::Negator,
            3 => Role::Shield,
            4 => Role::NotAProblem,
            5 => Role::Resolved,
            6 => Role::Hypothetical,
            7 => Role::Ours,
            8 => Role::Relayed,
            9 => Role::Asking,
            10 => Role::Request,
            11 => Role::Speech,
            12 => Role::Past,
            13 => Role::Since,
            14 => Role::ClauseBreak,
            _ => return None,
        })
    }
}

/// One word a slot accepts, with the word boundaries it needs on each side.
#[derive(Debug, Clone, Copy)]
struct Alternative {
    lexeme: u32,
    word_start: bool,
    word_end: bool,
}

/// What may stand between a slot and the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gap {
    /// Nothing (or one space between words): the slots are adjacent.
    None,
    /// `*`: anything, within the clause.
    Clause,
    /// `**`: anything, later in the sentence, even in another clause.
    Sentence,
}

blob_struct!(Alternative {
    lexeme,
    word_start,
    word_end
});

impl Blob for Gap {
    fn put(&self, out: &mut Vec<u8>) {
        let tag: u8 = match self {
            Gap::None => 0,
            Gap::Clause => 1,
            Gap::Sentence => 2,
        };
        tag.put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        match u8::take(input)? {
            0 => Some(Gap::None),
            1 => Some(Gap::Clause),
            2 => Some(Gap::Sentence),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Slot {
    gap_before: Gap,
    /// Sorted by lexeme, so membership is a binary search.
    alternatives: Box<[Alternative]>,
}

impl Slot {
    fn accepts(&self, hit: &Hit) -> bool {
        match self
            .alternatives
            .binary_search_by_key(&hit.lexeme, |alternative| alternative.lexeme)
        {
            Ok(at) => {
                // a word may be listed twice with different boundaries ("agree", "agree*")
                let same = |a: &&Alternative| a.lexeme == hit.lexeme;
                let before = self.alternatives[..at].iter().rev().take_while(same);
                let after = self.alternatives[at..].iter().take_while(same);
                before.chain(after).any(|alternative| {
                    (!alternative.word_start || hit.word_start)
                        && (!alternative.word_end || hit.word_end)
                })
            }
            Err(_) => false,
        }
    }
}

blob_struct!(Slot {
    gap_before,
    alternatives
});

#[derive(Debug, Clone)]
struct Frame {
    slots: Box<[Slot]>,
    role: Role,
    /// The pattern as the trainer wrote it, for the evidence.
    source: u32,
    /// Has a `**` gap: matched over the whole sentence rather than clause by clause.
    spans_clauses: bool,
}

blob_struct!(Frame {
    slots,
    role,
    source,
    spans_clauses
});

/// A word of some frame found in a sentence (character positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hit {
    pub(super) lexeme: u32,
    pub(super) start: u32,
    pub(super) end: u32,
    word_start: bool,
    word_end: bool,
}

/// A whole frame found in a clause.
#[derive(Debug, Clone, Copy)]
pub(super) struct FrameMatch {
    pub(super) role: Role,
    pub(super) start: u32,
    pub(super) end: u32,
    /// Which pattern: an index into [`Matcher::pattern`].
    pub(super) source: u32,
    /// Index range into the caller's span buffer: where each slot's word was found.
    pub(super) spans: (u32, u32),
}

/// A clause or sentence holds a frame at most this many times before the rest of its
/// hits are ignored: real notes hold one or two; the cap keeps pathological input (a
/// megabyte of 不不不…) linear in time.
const MAX_MATCHES_PER_FRAME: u8 = 8;

/// Steps one attempt to complete a frame may take before it gives up.
const MAX_STEPS_PER_ATTEMPT: u32 = 256;

/// The compiled patterns of every role.
#[derive(Debug, Clone, Default)]
pub(super) struct Matcher {
    lexicon: Lexicon,
    frames: Vec<Frame>,
    /// (lexeme, frame) for each word of each frame's first slot, sorted.
    triggers: Vec<(u32, u32)>,
    patterns: Vec<Box<str>>,
    /// Per lexeme: (is a clause-break word, is a word of some other frame). A break found
    /// inside a longer word of another frame is part of that word (不过 in 信不过).
    kinds: Vec<(bool, bool)>,
    /// Some frame has a `**` gap.
    has_sentence_frames: bool,
    /// (lexeme, word list), sorted: which lists a word found belongs to.
    memberships: Vec<(u32, u16)>,
    /// Per lexeme: is a word of the negators.
    negators: Vec<bool>,
}

blob_struct!(Matcher {
    lexicon,
    frames,
    triggers,
    patterns,
    kinds,
    has_sentence_frames,
    memberships,
    negators
});

/// Builds a [`Matcher`]: collects frames, interning their words.
#[derive(Default)]
pub(super) struct MatcherBuilder {
    lexemes: Vec<String>,
    ids: HashMap<String, u32, std::hash::BuildHasherDefault<WordHasher>>,
    frames: Vec<Frame>,
    patterns: Vec<Box<str>>,
    /// (lexeme, word list) for every word of every list.
    memberships: Vec<(u32, u16)>,
}

/// A word of a parsed pattern: new text, or a word of a list already interned.
#[derive(Debug, Clone)]
pub(super) enum Word {
    Text(String),
    Lexeme(u32),
}

/// A pattern as parsed, before its words are interned: per slot, whether a gap comes
/// before it and its words with their boundaries.
pub(super) type ParsedPattern = Vec<(Gap, Vec<(Word, bool, bool)>)>;

impl MatcherBuilder {
    /// Adds a parsed pattern with its role; `source` is the pattern as written.
    pub(super) fn add(&mut self, parsed: ParsedPattern, role: Role, source: &str) {
        let mut slots = Vec::with_capacity(parsed.len());
        for (gap_before, words) in parsed {
            let mut alternatives: Vec<Alternative> = words
                .into_iter()
                .map(|(word, word_start, word_end)| Alternative {
                    lexeme: match word {
                        Word::Lexeme(lexeme) => lexeme,
                        Word::Text(text) => self.intern(text),
                    },
                    word_start,
                    word_end,
                })
                .collect();
            alternatives.sort_by_key(|a| (a.lexeme, a.word_start, a.word_end));
            alternatives.dedup_by_key(|a| (a.lexeme, a.word_start, a.word_end));
            slots.push(Slot {
                gap_before,
                alternatives: alternatives.into_boxed_slice(),
            });
        }
        if slots.is_empty() {
            return;
        }
        self.patterns.push(source.into());
        let spans_clauses = slots.iter().any(|slot| slot.gap_before == Gap::Sentence);
        self.frames.push(Frame {
            slots: slots.into_boxed_slice(),
            role,
            source: (self.patterns.len() - 1) as u32,
            spans_clauses,
        });
    }

    /// Makes every word of word list number `list` known, so the classifier can use
    /// "a word of this list" as a feature (the playbook's lists are its dictionary:
    /// 预算, 经费, 资金 are one feature however the note spells the idea).
    pub(super) fn add_list(&mut self, list: u16, words: &[ListWord]) {
        for word in words {
            let lexeme = match word.lexeme {
                Some(lexeme) => lexeme,
                None => self.intern(word.folded.clone()),
            };
            self.memberships.push((lexeme, list));
        }
    }

    /// Interns every word of every list once, so the patterns that use a list refer to
    /// its words by number (a list used by ten patterns is not folded, copied and hashed
    /// ten times).
    pub(super) fn intern_lists(&mut self, lists: &mut WordLists) {
        for both in lists.lists.values_mut() {
            for word in both.iter_mut().flatten() {
                word.lexeme = Some(self.intern(word.folded.clone()));
            }
        }
    }

    fn intern(&mut self, word: String) -> u32 {
        if let Some(&id) = self.ids.get(&word) {
            return id;
        }
        let id = self.lexemes.len() as u32;
        self.ids.insert(word.clone(), id);
        self.lexemes.push(word);
        id
    }

    pub(super) fn build(self) -> Matcher {
        let mut triggers: Vec<(u32, u32)> = Vec::new();
        for (index, frame) in self.frames.iter().enumerate() {
            if let Some(first) = frame.slots.first() {
                triggers.extend(first.alternatives.iter().map(|a| (a.lexeme, index as u32)));
            }
        }
        triggers.sort_unstable();
        triggers.dedup();
        let mut memberships = self.memberships;
        memberships.sort_unstable();
        memberships.dedup();
        let mut negators = vec![false; self.lexemes.len()];
        for frame in self
            .frames
            .iter()
            .filter(|frame| frame.role == Role::Negator)
        {
            for alternative in frame.slots.iter().flat_map(|slot| slot.alternatives.iter()) {
                negators[alternative.lexeme as usize] = true;
            }
        }
        let mut kinds = vec![(false, false); self.lexemes.len()];
        for frame in &self.frames {
            for alternative in frame.slots.iter().flat_map(|slot| slot.alternatives.iter()) {
                let kind = &mut kinds[alternative.lexeme as usize];
                if frame.role == Role::ClauseBreak {
                    kind.0 = true;
                } else {
                    kind.1 = true;
                }
            }
        }
        let lexicon = Lexicon::new(self.lexemes.iter().map(String::as_str));
        Matcher {
            lexicon,
            memberships,
            negators,
            has_sentence_frames: self.frames.iter().any(|frame| frame.spans_clauses),
            frames: self.frames,
            triggers,
            patterns: self.patterns,
            kinds,
        }
    }
}

/// FNV-1a: interning the playbook's words hashes a few thousand short strings at every
/// start, where the standard library's DoS-resistant hash costs more than the rest of
/// the interning. The words are the playbook's, not an attacker's.
#[derive(Default)]
pub(super) struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// Parses the trainer's pattern syntax into slots. `{name}` is a word list of `lists`
/// (by language); `*` is a gap; a `*` glued to a word lets the word go on (`agree*`,
/// `*n't`); a space keeps words whole. Chinese has no word boundaries.
pub(super) fn parse_pattern(
    pattern: &str,
    lists: &WordLists,
    lang: &str,
) -> Result<ParsedPattern, String> {
    let mut slots: ParsedPattern = Vec::new();
    for (part_index, part) in split_sentence_gaps(pattern).into_iter().enumerate() {
        let first = slots.len();
        parse_clause_part(part, lists, lang, &mut slots)?;
        if part_index > 0 {
            if let Some(slot) = slots.get_mut(first) {
                slot.0 = Gap::Sentence;
            }
        }
    }
    if slots.is_empty() {
        return Err("has only `*` and spaces, so it would match every clause".to_owned());
    }
    Ok(slots)
}

/// The stretches of a pattern between `**` gaps. (Done by hand: `str::split` with a
/// string builds a substring searcher per call, which at a thousand patterns per start
/// costs more than the parsing.)
fn split_sentence_gaps(pattern: &str) -> Vec<&str> {
    let bytes = pattern.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut at) = (0, 0);
    while at + 1 < bytes.len() {
        if bytes[at] == b'*' && bytes[at + 1] == b'*' {
            parts.push(&pattern[start..at]);
            at += 2;
            start = at;
        } else {
            at += 1;
        }
    }
    parts.push(&pattern[start..]);
    parts
}

/// Parses a stretch of a pattern without `**` and appends its slots.
fn parse_clause_part(
    pattern: &str,
    lists: &WordLists,
    lang: &str,
    slots: &mut ParsedPattern,
) -> Result<(), String> {
    let segments: Vec<&str> = pattern.split('*').collect();
    let last_segment = segments.len() - 1;
    let part_start = slots.len();
    for (index, segment) in segments.iter().enumerate() {
        let starts_free = index == 0 || segment.starts_with(char::is_whitespace);
        let ends_free = index == last_segment || segment.ends_with(char::is_whitespace);
        let atoms = split_atoms(segment)?;
        let count = atoms.len();
        for (position, (atom, space_before, space_after)) in atoms.into_iter().enumerate() {
            let word_start = if position == 0 {
                starts_free
            } else {
                space_before
            };
            let word_end = if position + 1 == count {
                ends_free
            } else {
                space_after
            };
            let words: Vec<(Word, bool, bool)> = match atom {
                Atom::Literal(text) => {
                    let folded = normalize_phrase(&text);
                    if folded.is_empty() {
                        continue;
                    }
                    vec![bounded(folded, word_start, word_end)]
                }
                Atom::List(name) => lists
                    .get(&name, lang)?
                    .iter()
                    .map(|word| {
                        let text = match word.lexeme {
                            Some(lexeme) => Word::Lexeme(lexeme),
                            None => Word::Text(word.folded.clone()),
                        };
                        (
                            text,
                            word_start && !word.glued_front && word.first_is_word,
                            word_end && !word.glued_back && word.last_is_word,
                        )
                    })
                    .collect(),
            };
            if words.is_empty() {
                continue;
            }
            let gap_before = if index > 0 && position == 0 && slots.len() > part_start {
                Gap::Clause
            } else {
                Gap::None
            };
            slots.push((gap_before, words));
        }
    }
    Ok(())
}

/// A word of a list, folded once for every pattern that uses the list.
#[derive(Debug, Clone)]
pub(super) struct ListWord {
    pub(super) folded: String,
    /// Its number once interned ([`MatcherBuilder::intern_lists`]).
    lexeme: Option<u32>,
    /// Whether it begins and ends with a letter or digit (where boundaries matter).
    first_is_word: bool,
    last_is_word: bool,
    /// Written with a `*` before (`*n't`): it may begin inside a word.
    glued_front: bool,
    /// Written with a `*` after (`agree*`): it may go on.
    glued_back: bool,
}

/// The playbook's word lists, folded once: `{money}` is used by many patterns.
#[derive(Debug, Default)]
pub(super) struct WordLists {
    /// Name → (zh words, en words), in file order: their words are numbered in this
    /// order ([`MatcherBuilder::intern_lists`]), so the same phrase data always compiles
    /// to the same detector (build.rs prepares the built-in one).
    lists: indexmap::IndexMap<String, [Vec<ListWord>; 2]>,
}

impl WordLists {
    pub(super) fn new<'a>(
        lists: impl Iterator<Item = (&'a str, &'a [String], &'a [String])>,
    ) -> Self {
        let prepare = |words: &[String]| -> Vec<ListWord> {
            words
                .iter()
                .filter(|w| !w.trim().is_empty() && !w.contains(['{', '}']))
                .flat_map(|word| word_forms(word))
                .filter_map(|word| {
                    let folded = normalize_phrase(word.trim_matches('*'));
                    (!folded.is_empty()).then(|| ListWord {
                        first_is_word: folded.chars().next().is_some_and(is_word_char),
                        last_is_word: folded.chars().last().is_some_and(is_word_char),
                        folded,
                        lexeme: None,
                        glued_front: word.starts_with('*'),
                        glued_back: word.ends_with('*'),
                    })
                })
                .collect()
        };
        WordLists {
            lists: lists
                .map(|(name, zh, en)| (name.to_owned(), [prepare(zh), prepare(en)]))
                .collect(),
        }
    }

    /// The words of list `name` in `lang`, or why a pattern cannot use it.
    pub(super) fn get(&self, name: &str, lang: &str) -> Result<&[ListWord], String> {
        let Some(both) = self.lists.get(name) else {
            let mut known: Vec<&str> = self.lists.keys().map(String::as_str).collect();
            known.sort_unstable();
            return Err(format!(
                "uses the unknown word list `{{{name}}}` (defined under `words:`: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        };
        let words = if lang == "zh" { &both[0] } else { &both[1] };
        if words.is_empty() {
            return Err(format!("uses `{{{name}}}`, which has no {lang} words"));
        }
        Ok(words)
    }
}

/// The endings a `*` glued inside a word of a list stands for: a list word is one slot,
/// so `want* to know` is read as want / wants / wanted / wanting … to know.
const ENDINGS: [&str; 6] = ["", "s", "es", "ed", "d", "ing"];

/// The forms of a list word: itself, or one per ending for each `*` glued inside it.
/// A `*` with spaces (or Chinese) on both sides is a gap, which a list word cannot
/// hold: `check` reports it and the word is left out.
pub(super) fn word_forms(word: &str) -> Vec<String> {
    let inner = word.trim_matches('*');
    if !inner.contains('*') {
        return vec![word.to_owned()];
    }
    let (front, back) = (
        if word.starts_with('*') { "*" } else { "" },
        if word.ends_with('*') { "*" } else { "" },
    );
    let mut forms = vec![String::new()];
    let pieces: Vec<&str> = inner.split('*').collect();
    for (index, piece) in pieces.iter().enumerate() {
        forms = forms.iter().map(|form| format!("{form}{piece}")).collect();
        if index + 1 == pieces.len() {
            break;
        }
        let glued = piece
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && pieces[index + 1].starts_with(|c: char| c.is_whitespace());
        if !glued {
            return Vec::new();
        }
        forms = forms
            .iter()
            .flat_map(|form| ENDINGS.iter().map(move |ending| format!("{form}{ending}")))
            .collect();
    }
    forms
        .into_iter()
        .map(|form| format!("{front}{form}{back}"))
        .collect()
}

/// Boundaries matter only next to letters and digits.
fn bounded(word: String, word_start: bool, word_end: bool) -> (Word, bool, bool) {
    let first_is_word = word.chars().next().is_some_and(is_word_char);
    let last_is_word = word.chars().last().is_some_and(is_word_char);
    (
        Word::Text(word),
        word_start && first_is_word,
        word_end && last_is_word,
    )
}

enum Atom {
    Literal(String),
    List(String),
}

/// A segment between `*`s as literal runs and `{list}`s, each with whether a space stands
/// before and after it.
fn split_atoms(segment: &str) -> Result<Vec<(Atom, bool, bool)>, String> {
    let mut atoms: Vec<(Atom, bool, bool)> = Vec::new();
    let mut rest = segment;
    let mut space_before = false;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            Some(at) if rest[at..].starts_with('}') => {
                return Err("has a `}` without its `{`".to_owned());
            }
            Some(open) => {
                let literal = &rest[..open];
                if !literal.trim().is_empty() {
                    atoms.push((
                        Atom::Literal(literal.trim().to_owned()),
                        space_before || literal.starts_with(char::is_whitespace),
                        literal.ends_with(char::is_whitespace),
                    ));
                    space_before = literal.ends_with(char::is_whitespace);
                } else {
                    space_before = space_before || !literal.is_empty();
                }
                let Some(close) = rest[open..].find('}') else {
                    return Err("has a `{` without its `}`".to_owned());
                };
                let name = rest[open + 1..open + close].trim().to_owned();
                rest = &rest[open + close + 1..];
                let space_after = rest.starts_with(char::is_whitespace);
                atoms.push((Atom::List(name), space_before, space_after));
                space_before = space_after;
            }
            None => {
                if !rest.trim().is_empty() {
                    atoms.push((
                        Atom::Literal(rest.trim().to_owned()),
                        space_before || rest.starts_with(char::is_whitespace),
                        rest.ends_with(char::is_whitespace),
                    ));
                }
                rest = "";
            }
        }
    }
    Ok(atoms)
}

impl Matcher {
    /// The pattern of a match, as the trainer wrote it.
    pub(super) fn pattern(&self, source: u32) -> &str {
        self.patterns
            .get(source as usize)
            .map(|p| p.as_ref())
            .unwrap_or_default()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Whether a found word is a negator (不, 没, not).
    pub(super) fn is_negator(&self, lexeme: u32) -> bool {
        self.negators.get(lexeme as usize).copied().unwrap_or(false)
    }

    /// The word lists a found word belongs to.
    pub(super) fn lists_of(&self, lexeme: u32) -> impl Iterator<Item = u16> + '_ {
        let from = self.memberships.partition_point(|&(l, _)| l < lexeme);
        self.memberships[from..]
            .iter()
            .take_while(move |&&(l, _)| l == lexeme)
            .map(|&(_, list)| list)
    }

    /// Every word of every frame in `sentence`, overlapping, in order of start.
    pub(super) fn scan(&self, sentence: &Normalized, hits: &mut Vec<Hit>) {
        hits.clear();
        let chars = &sentence.chars;
        for at in 0..chars.len() {
            self.lexicon.at(chars, at, |lexeme, end| {
                let word_start = at == 0 || !is_word_char(chars[at - 1]);
                let word_end = chars.get(end).is_none_or(|&c| !is_word_char(c));
                hits.push(Hit {
                    lexeme,
                    start: at as u32,
                    end: end as u32,
                    word_start,
                    word_end,
                });
            });
        }
        hits.sort_unstable_by_key(|hit| (hit.start, hit.end, hit.lexeme));
    }

    /// Where the clause breaks of a sentence are (character ranges), in order: the
    /// playbook's break words (但是, but) that are not part of a longer word of another
    /// frame found around them.
    pub(super) fn clause_breaks(&self, hits: &[Hit], out: &mut Vec<(u32, u32)>) {
        out.clear();
        for hit in hits {
            let kind = self.kinds[hit.lexeme as usize];
            if !kind.0 || !hit.word_start || !hit.word_end {
                continue;
            }
            // words are short: only hits starting shortly before can cover this one
            let from = hits.partition_point(|other| other.start + 32 < hit.start);
            let nearby = hits[from..]
                .iter()
                .take_while(|other| other.start <= hit.start);
            let covered = nearby.clone().any(|other| {
                self.kinds[other.lexeme as usize].1
                    && other.start <= hit.start
                    && other.end >= hit.end
                    && other.end - other.start > hit.end - hit.start
            });
            let overlaps_previous = out.last().is_some_and(|&(_, end)| end > hit.start);
            if !covered && !overlaps_previous {
                out.push((hit.start, hit.end));
            }
        }
    }

    /// Every frame found in one clause. `hits` are the clause's hits (in order of
    /// start), `chars` the sentence; `by_lexeme` is scratch space. Each match appends
    /// its slots' spans to `spans`.
    pub(super) fn find_frames(
        &self,
        hits: &[Hit],
        chars: &[char],
        across_clauses: bool,
        by_lexeme: &mut Vec<u32>,
        spans: &mut Vec<(u32, u32)>,
        found: &mut Vec<FrameMatch>,
    ) {
        if across_clauses && !self.has_sentence_frames {
            return;
        }
        by_lexeme.clear();
        by_lexeme.extend(0..hits.len() as u32);
        by_lexeme.sort_unstable_by_key(|&i| (hits[i as usize].lexeme, hits[i as usize].start));
        let mut counts: Vec<(u32, u8)> = Vec::new();
        let clause = Clause {
            hits,
            chars,
            by_lexeme,
        };
        for hit in hits {
            let from = self
                .triggers
                .partition_point(|&(lexeme, _)| lexeme < hit.lexeme);
            for &(lexeme, frame_id) in &self.triggers[from..] {
                if lexeme != hit.lexeme {
                    break;
                }
                let frame = &self.frames[frame_id as usize];
                if frame.spans_clauses != across_clauses || !frame.slots[0].accepts(hit) {
                    continue;
                }
                let count = match counts.iter_mut().find(|(id, _)| *id == frame_id) {
                    Some((_, count)) => count,
                    None => {
                        counts.push((frame_id, 0));
                        &mut counts.last_mut().expect("just pushed").1
                    }
                };
                if *count >= MAX_MATCHES_PER_FRAME {
                    continue;
                }
                let before = spans.len();
                spans.push((hit.start, hit.end));
                let mut steps = 0;
                if let Some(end) = clause.complete(frame, 1, hit.end, spans, &mut steps) {
                    *count += 1;
                    found.push(FrameMatch {
                        role: frame.role,
                        start: hit.start,
                        end,
                        source: frame.source,
                        spans: (before as u32, spans.len() as u32),
                    });
                } else {
                    spans.truncate(before);
                }
            }
        }
    }
}

/// One clause's hits, indexed for completing frames.
struct Clause<'a> {
    hits: &'a [Hit],
    chars: &'a [char],
    /// Indexes into `hits`, sorted by (lexeme, start).
    by_lexeme: &'a [u32],
}

impl Clause<'_> {
    /// Completes `frame` from slot `slot` on, the previous slot ending at `end`; the
    /// earliest fitting word first (the shortest gaps, so the fewest words in them can
    /// negate). Returns where the whole frame ends.
    fn complete(
        &self,
        frame: &Frame,
        slot: usize,
        end: u32,
        spans: &mut Vec<(u32, u32)>,
        steps: &mut u32,
    ) -> Option<u32> {
        let Some(next) = frame.slots.get(slot) else {
            return Some(end);
        };
        *steps += 1;
        if *steps > MAX_STEPS_PER_ATTEMPT {
            return None;
        }
        let mut candidates: Vec<&Hit> = Vec::new();
        if next.gap_before != Gap::None {
            for alternative in next.alternatives.iter() {
                let from = self.by_lexeme.partition_point(|&i| {
                    let hit = &self.hits[i as usize];
                    (hit.lexeme, hit.start) < (alternative.lexeme, end)
                });
                let first = self.by_lexeme[from..]
                    .iter()
                    .map(|&i| &self.hits[i as usize])
                    .take_while(|hit| hit.lexeme == alternative.lexeme)
                    .find(|hit| next.accepts(hit));
                if let Some(hit) = first {
                    candidates.push(hit);
                }
            }
            candidates.sort_unstable_by_key(|hit| (hit.start, std::cmp::Reverse(hit.end)));
            candidates.dedup();
        } else {
            // adjacent: right after the previous word, or after one space between words
            let mut at = end;
            if self.chars.get(end as usize) == Some(&' ') {
                let before = end.checked_sub(1).and_then(|i| self.chars.get(i as usize));
                if before.is_some_and(|&c| !is_cjk(c)) {
                    at = end + 1;
                }
            }
            let from = self.hits.partition_point(|hit| hit.start < at);
            candidates.extend(
                self.hits[from..]
                    .iter()
                    .take_while(|hit| hit.start == at)
                    .filter(|hit| next.accepts(hit)),
            );
            if at != end {
                let from = self.hits.partition_point(|hit| hit.start < end);
                candidates.extend(
                    self.hits[from..]
                        .iter()
                        .take_while(|hit| hit.start == end)
                        .filter(|hit| next.accepts(hit)),
                );
            }
        }
        for hit in candidates {
            let between = &self.chars[end as usize..(hit.start as usize).max(end as usize)];
            if next.gap_before != Gap::Sentence && between.contains(&CLAUSE_MARK) {
                continue;
            }
            spans.push((hit.start, hit.end));
            if let Some(done) = self.complete(frame, slot + 1, hit.end, spans, steps) {
                return Some(done);
            }
            spans.pop();
        }
        None
    }
}
