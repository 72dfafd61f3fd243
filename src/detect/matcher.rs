//! Finding the playbook's phrases in a clause: compiled patterns, grouped by first piece.

use super::text::*;
use super::*;

/// Which characters and character pairs occur in a clause, hashed into 1,024 bits. A
/// phrase whose later pieces need a bit the clause lacks cannot match there.
#[derive(Default)]
pub(super) struct ClauseSignature {
    pub(super) bits: [u64; 16],
}

impl ClauseSignature {
    pub(super) fn pair_bit(a: char, b: char) -> u16 {
        let mixed = (a as u32).wrapping_mul(0x9E37_79B1) ^ (b as u32).wrapping_mul(0x85EB_CA6B);
        (mixed >> 22) as u16 // the top 10 bits
    }

    pub(super) fn single_bit(c: char) -> u16 {
        ((c as u32).wrapping_mul(0xC2B2_AE35) >> 22) as u16
    }

    /// The bits a text must have to contain `chars`: its pairs, or the character alone.
    pub(super) fn bits_of(chars: &[char]) -> Vec<u16> {
        match chars {
            [single] => vec![Self::single_bit(*single)],
            _ => chars
                .windows(2)
                .map(|w| Self::pair_bit(w[0], w[1]))
                .collect(),
        }
    }

    pub(super) fn fill(&mut self, text: &[char]) {
        self.bits = [0; 16];
        for (at, &c) in text.iter().enumerate() {
            self.set(Self::single_bit(c));
            if let Some(&next) = text.get(at + 1) {
                self.set(Self::pair_bit(c, next));
            }
        }
    }

    pub(super) fn set(&mut self, bit: u16) {
        self.bits[usize::from(bit >> 6)] |= 1 << (bit & 63);
    }

    pub(super) fn has_all(&self, bits: &[u16]) -> bool {
        bits.iter()
            .all(|&bit| self.bits[usize::from(bit >> 6)] & (1 << (bit & 63)) != 0)
    }
}

/// What a compiled phrase does when found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Concept(u16),
    Unless(u16),
    Negator,
    NotNegator,
    NotAProblem,
    ClauseBreak,
}

/// A literal run of a pattern: the text between `*`s.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub(super) chars: Box<[char]>,
    /// The text before must not continue the word ("need" is not found in "kneed").
    pub(super) word_start: bool,
    /// The text after must not continue the word ("no" is not found in "now").
    pub(super) word_end: bool,
}

impl Piece {
    pub(super) fn is_at(&self, text: &[char], at: usize) -> bool {
        piece_is_at(&self.chars, self.word_start, self.word_end, text, at)
    }

    pub(super) fn find_from(&self, text: &[char], from: usize) -> Option<usize> {
        find_piece(&self.chars, self.word_start, self.word_end, text, from)
    }
}

pub(super) fn piece_is_at(
    piece: &[char],
    word_start: bool,
    word_end: bool,
    text: &[char],
    at: usize,
) -> bool {
    let end = at + piece.len();
    let Some(candidate) = text.get(at..end) else {
        return false;
    };
    if word_start && at > 0 && is_word_char(text[at - 1]) {
        return false;
    }
    if word_end && end < text.len() && is_word_char(text[end]) {
        return false;
    }
    // pieces are a few characters long: a plain loop beats a call to memcmp
    piece.iter().zip(candidate).all(|(a, b)| a == b)
}

pub(super) fn find_piece(
    piece: &[char],
    word_start: bool,
    word_end: bool,
    text: &[char],
    from: usize,
) -> Option<usize> {
    let first = *piece.first()?;
    let last_start = text.len().checked_sub(piece.len())?;
    (from..=last_start)
        .find(|&at| text[at] == first && piece_is_at(piece, word_start, word_end, text, at))
}

#[derive(Debug, Clone)]
pub(super) struct Phrase {
    pub(super) pieces: Box<[Piece]>,
    pub(super) role: Role,
    /// Signature bits of the pieces after the first: a clause lacking one of them cannot
    /// complete the phrase, which spares scanning it for the later pieces.
    pub(super) later_pieces_need: Box<[u16]>,
}

pub(super) enum MatchResult {
    /// The first piece is here but a later one is nowhere after it in the clause.
    CannotComplete,
    Matched {
        end: usize,
    },
}

impl Phrase {
    /// Completes a match whose first piece is at `start..first_end`, each later piece at
    /// its earliest place after the previous one (the shortest gaps, so the fewest words
    /// in them can negate). On a match the pieces' spans are appended to `spans`.
    pub(super) fn complete(
        &self,
        text: &[char],
        start: usize,
        first_end: usize,
        spans: &mut Vec<(usize, usize)>,
    ) -> MatchResult {
        let spans_before = spans.len();
        let mut end = first_end;
        spans.push((start, end));
        for piece in self.pieces.iter().skip(1) {
            match piece.find_from(text, end) {
                Some(at) => {
                    end = at + piece.chars.len();
                    spans.push((at, end));
                }
                None => {
                    spans.truncate(spans_before);
                    return MatchResult::CannotComplete;
                }
            }
        }
        MatchResult::Matched { end }
    }
}

/// Phrases grouped by their first piece and indexed by its first character: a clause
/// position tries only the few distinct first pieces that can start there, and each of
/// them once however many phrases share it (word lists make many share one).
#[derive(Debug, Clone)]
pub(super) struct PhraseSet {
    pub(super) phrases: Vec<Phrase>,
    pub(super) heads: Vec<Head>,
    pub(super) ascii: Vec<HeadRange>,
    pub(super) other: Vec<(char, HeadRange)>,
    pub(super) head_ids: Vec<u32>,
    pub(super) longest_head: usize,
}

/// Where in `head_ids` the heads of one first character are: `start..free_from` must
/// begin a word, `free_from..end` may begin anywhere.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HeadRange {
    pub(super) start: u32,
    pub(super) free_from: u32,
    pub(super) end: u32,
}

/// A distinct first piece and the phrases that begin with it.
#[derive(Debug, Clone)]
pub(super) struct Head {
    pub(super) piece: Piece,
    pub(super) phrases: Vec<u32>,
    /// Some phrase of this head is the piece alone (what clause breaks are).
    pub(super) single_piece: bool,
}

impl PhraseSet {
    pub(super) fn new(phrases: Vec<Phrase>) -> Self {
        let mut heads: Vec<Head> = Vec::new();
        let mut head_of: std::collections::HashMap<(Box<[char]>, bool, bool), usize> =
            std::collections::HashMap::new();
        for (id, phrase) in phrases.iter().enumerate() {
            let (Some(first), Ok(id)) = (phrase.pieces.first(), u32::try_from(id)) else {
                continue;
            };
            if first.chars.is_empty() {
                continue;
            }
            let key = (first.chars.clone(), first.word_start, first.word_end);
            let head = *head_of.entry(key).or_insert_with(|| {
                heads.push(Head {
                    piece: first.clone(),
                    phrases: Vec::new(),
                    single_piece: false,
                });
                heads.len() - 1
            });
            heads[head].phrases.push(id);
            heads[head].single_piece |= phrase.pieces.len() == 1;
        }

        // Heads that must start a word come first for each character, so a position
        // inside a word can stop before them.
        let mut keyed: Vec<(char, bool, u32)> = heads
            .iter()
            .enumerate()
            .filter_map(|(id, head)| {
                let first = *head.piece.chars.first()?;
                Some((first, head.piece.word_start, u32::try_from(id).ok()?))
            })
            .collect();
        keyed.sort_unstable_by_key(|&(c, word_start, id)| (c, !word_start, id));
        let head_ids: Vec<u32> = keyed.iter().map(|&(_, _, id)| id).collect();
        let mut ascii = vec![HeadRange::default(); 128];
        let mut other = Vec::new();
        let mut at = 0;
        while at < keyed.len() {
            let first = keyed[at].0;
            let end = keyed[at..]
                .iter()
                .position(|&(c, _, _)| c != first)
                .map_or(keyed.len(), |len| at + len);
            let word_starting = keyed[at..end].iter().filter(|&&(_, ws, _)| ws).count();
            let range = HeadRange {
                start: at as u32,
                free_from: (at + word_starting) as u32,
                end: end as u32,
            };
            if first.is_ascii() {
                ascii[first as usize] = range;
            } else {
                other.push((first, range));
            }
            at = end;
        }
        let longest_head = heads.iter().map(|h| h.piece.chars.len()).max().unwrap_or(0);
        PhraseSet {
            phrases,
            heads,
            ascii,
            other,
            head_ids,
            longest_head,
        }
    }

    /// The heads whose first piece can start at `at` of `text`: those starting with its
    /// character, less those that must begin a word when `at` is inside one.
    pub(super) fn heads_at(&self, text: &[char], at: usize) -> impl Iterator<Item = &Head> {
        let c = text[at];
        let range = if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            match self.other.binary_search_by_key(&c, |&(key, _)| key) {
                Ok(found) => self.other[found].1,
                Err(_) => HeadRange::default(),
            }
        };
        let inside_word = at > 0 && is_word_char(c) && is_word_char(text[at - 1]);
        let start = if inside_word {
            range.free_from
        } else {
            range.start
        };
        self.head_ids[start as usize..range.end as usize]
            .iter()
            .map(|&id| &self.heads[id as usize])
    }

    /// Whether a phrase's first piece spans `start..end` of `text`: a clause break inside
    /// a listed phrase (不过 in 信不过, 但 in 不但) is part of that phrase, not a break.
    pub(super) fn first_piece_covers(&self, text: &[char], start: usize, end: usize) -> bool {
        let earliest = start.saturating_sub(self.longest_head.saturating_sub(1));
        (earliest..=start).any(|at| {
            self.heads_at(text, at)
                .any(|head| at + head.piece.chars.len() >= end && head.piece.is_at(text, at))
        })
    }

    /// The length of the longest single-piece phrase at `at`, if any.
    pub(super) fn longest_single_piece_at(&self, text: &[char], at: usize) -> Option<usize> {
        text.get(at)?;
        self.heads_at(text, at)
            .filter(|head| head.single_piece && head.piece.is_at(text, at))
            .map(|head| head.piece.chars.len())
            .max()
    }
}

/// Parses the trainer's pattern syntax: text pieces separated by `*` gaps. A `*` glued to
/// a word lets that word continue past it (`introduc*`); with a space between, the word
/// must end there (`agreed * pilot`). The pattern's outer ends are word ends.
pub(super) fn compile_pattern(pattern: &str, role: Role) -> Option<Phrase> {
    let segments: Vec<&str> = pattern.split('*').collect();
    let last = segments.len().saturating_sub(1);
    let mut pieces = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let mut buffer = NormalizedText::default();
        normalize_into(segment, 0, &mut buffer);
        let (Some(&first), Some(&final_char)) = (buffer.chars.first(), buffer.chars.last()) else {
            continue;
        };
        let starts_free = index == 0 || segment.starts_with(char::is_whitespace);
        let ends_free = index == last || segment.ends_with(char::is_whitespace);
        pieces.push(Piece {
            chars: buffer.chars.into_boxed_slice(),
            word_start: starts_free && is_word_char(first),
            word_end: ends_free && is_word_char(final_char),
        });
    }
    if pieces.is_empty() {
        return None;
    }
    let mut later_pieces_need: Vec<u16> = pieces
        .iter()
        .skip(1)
        .flat_map(|piece| ClauseSignature::bits_of(&piece.chars))
        .collect();
    later_pieces_need.sort_unstable();
    later_pieces_need.dedup();
    Some(Phrase {
        pieces: pieces.into_boxed_slice(),
        role,
        later_pieces_need: later_pieces_need.into_boxed_slice(),
    })
}

/// The stakeholder names of one call, normalised like the text and kept in one buffer.
/// Names are matched literally (a `*` in a name is just a character), whole words only.
#[derive(Default)]
pub(super) struct NameTable {
    pub(super) text: NormalizedText,
    pub(super) entries: Vec<NameEntry>,
}

pub(super) struct NameEntry {
    /// Index into the caller's `names`.
    pub(super) given: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) word_start: bool,
    pub(super) word_end: bool,
}

impl NameTable {
    pub(super) fn fill(&mut self, names: &[&str]) {
        self.text.clear();
        self.entries.clear();
        for (given, name) in names.iter().enumerate() {
            let start = self.text.chars.len();
            normalize_into(name, 0, &mut self.text);
            let chars = &self.text.chars[start..];
            if let (Some(&first), Some(&last)) = (chars.first(), chars.last()) {
                self.entries.push(NameEntry {
                    given,
                    start,
                    end: self.text.chars.len(),
                    word_start: is_word_char(first),
                    word_end: is_word_char(last),
                });
            }
        }
    }

    pub(super) fn find_in(&self, clause: &[char], hits: &mut Vec<NameHit>) {
        for entry in &self.entries {
            let name = &self.text.chars[entry.start..entry.end];
            let mut from = 0;
            let mut found = 0;
            while found < MAX_HITS_PER_PHRASE_PER_CLAUSE {
                let Some(at) = find_piece(name, entry.word_start, entry.word_end, clause, from)
                else {
                    break;
                };
                hits.push(NameHit {
                    name: entry.given,
                    start: at,
                    end: at + name.len(),
                });
                found += 1;
                from = at + name.len();
            }
        }
    }
}
