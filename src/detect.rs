//! Detection of objections (the four rejections, 四大拒绝) and buying signals (一步成交的
//!四个标志) in the free text reps write: `deal.notes` and `activities[].note`.
//!
//! Reps write notes, not structured fields, so the coach has to read them. Everything that
//! decides *what* counts as an objection or a signal is playbook data (`detection:` in
//! `playbooks/detection.yaml`) so trainers can tune it without recompiling; this module only
//! knows *how* to read a note:
//!
//! 1. The note is cut into sentences and clauses (punctuation, line breaks, and the
//!    playbook's `clause_breaks` words such as 但是 / but), because negation and
//!    attribution in notes rarely reach across a comma.
//! 2. In each clause every phrase of the playbook is looked up with a small char matcher
//!    (plain phrases plus a `*` gap; no regular expressions, which trainers cannot write).
//! 3. A concept match is cancelled by a negator before it or inside its gap, by a
//!    "not a problem" phrase in the clause (objections only), or by the concept's `unless`
//!    phrases. Negators that are part of a matched phrase (没 in 没有预算) belong to that
//!    phrase, which is what makes 没有预算 an objection and 不是不需要 none.
//! 4. The stakeholder named nearest before the match is who said it.
//!
//! The compiled [`Detector`] is immutable and shared by every thread of `review`.

use indexmap::IndexMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// The concept ids this module may report: the engine turns a finding into an entry of
/// `objections` or `signals`, whose types are fixed by the snapshot format, so a concept
/// outside this list could never be shown and is a mistake in the phrase data.
const KNOWN_CONCEPTS: [&str; 8] = [
    "objection.no_need",
    "objection.no_trust",
    "objection.no_budget",
    "objection.no_hurry",
    "signal.accepted_rejected_idea",
    "signal.agreed_next_step",
    "signal.introduced_senior",
    "signal.agreed_tech_exchange",
];

/// Objections are cancelled by "not a problem" phrases; signals are not, because for a
/// signal "no problem" means yes ("技术交流会没问题").
const OBJECTION_PREFIX: &str = "objection.";

/// How many times one phrase is looked at in one clause. Real clauses hold a phrase once
/// or twice; the cap keeps pathological input (a megabyte of 不不不…) linear in time.
const MAX_HITS_PER_PHRASE_PER_CLAUSE: u16 = 16;

/// Marks a phrase whose later pieces are missing from the rest of the clause: no later
/// start can complete it either, so it is not tried again in that clause.
const PHRASE_CANNOT_COMPLETE: u16 = u16::MAX;

/// The `detection:` section of the playbooks: phrase data, edited by trainers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    /// Words that start a new clause even without punctuation (但是, 不过, but, however).
    #[serde(default)]
    pub clause_breaks: LanguagePhrases,
    /// Words that cancel a concept phrase after them in the same clause (不, 没, not, never).
    #[serde(default)]
    pub negators: LanguagePhrases,
    /// Words that contain a negator but do not negate (不错, 不少, 没想到, not only).
    #[serde(default)]
    pub not_negators: LanguagePhrases,
    /// Phrases that say an objection does not hold (没问题, not an issue); they cancel
    /// every objection in their clause.
    #[serde(default)]
    pub not_a_problem: LanguagePhrases,
    /// Concept id → the phrases that reveal it. Kept in file order so output is stable.
    #[serde(default)]
    pub concepts: IndexMap<String, ConceptPhrases>,
}

/// Phrases per language. The matcher treats both alike; the split keeps the lists
/// readable for trainers who maintain one language each.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguagePhrases {
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

impl LanguagePhrases {
    fn tagged(&self) -> impl Iterator<Item = (&'static str, usize, &str)> {
        let zh = self
            .zh
            .iter()
            .enumerate()
            .map(|(i, p)| ("zh", i, p.as_str()));
        let en = self
            .en
            .iter()
            .enumerate()
            .map(|(i, p)| ("en", i, p.as_str()));
        zh.chain(en)
    }

    fn is_empty(&self) -> bool {
        self.zh.is_empty() && self.en.is_empty()
    }
}

/// The phrases of one concept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConceptPhrases {
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
    /// The concept is not detected in a clause that also contains one of these
    /// ("not in a hurry to drop us" is no `no_hurry` objection).
    #[serde(default)]
    pub unless: LanguagePhrases,
}

impl ConceptPhrases {
    fn patterns(&self) -> LanguagePhrases {
        LanguagePhrases {
            zh: self.zh.clone(),
            en: self.en.clone(),
        }
    }
}

impl DetectionConfig {
    /// Every problem with the phrase data (empty pattern, unknown concept, ...) as human messages naming the concept and pattern.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let breaks = PhraseSet::new(compile_clause_breaks(&self.clause_breaks));

        for (list, phrases) in [
            ("clause_breaks", &self.clause_breaks),
            ("negators", &self.negators),
            ("not_negators", &self.not_negators),
            ("not_a_problem", &self.not_a_problem),
        ] {
            check_phrase_list(
                list,
                phrases,
                &breaks,
                list == "clause_breaks",
                &mut problems,
            );
        }

        for (concept, phrases) in &self.concepts {
            if !KNOWN_CONCEPTS.contains(&concept.as_str()) {
                let hint = match closest_known_concept(concept) {
                    Some(known) => format!(" — did you mean `{known}`?"),
                    None => format!("; detectable concepts are {}", KNOWN_CONCEPTS.join(", ")),
                };
                problems.push(format!(
                    "detection: unknown concept `{concept}`{hint} (only objections and signals of the snapshot format can be detected)"
                ));
            }
            if phrases.zh.is_empty() && phrases.en.is_empty() {
                problems.push(format!(
                    "detection: concept `{concept}` has no zh or en patterns, so it is never detected"
                ));
            }
            let name = format!("concept `{concept}`");
            check_phrase_list(&name, &phrases.patterns(), &breaks, false, &mut problems);
            check_phrase_list(
                &format!("{name}, unless"),
                &phrases.unless,
                &breaks,
                false,
                &mut problems,
            );
        }
        problems
    }

    /// Compile once; the result is used for thousands of deals, across threads (must be Send + Sync).
    pub fn compile(&self) -> Detector {
        let mut concepts = Vec::new();
        let mut phrases = Vec::new();
        for (id, concept_phrases) in &self.concepts {
            let Ok(index) = u16::try_from(concepts.len()) else {
                break; // more than 65,535 concepts is not phrase data anyone maintains
            };
            concepts.push(CompiledConcept {
                id: id.clone(),
                is_objection: id.starts_with(OBJECTION_PREFIX),
            });
            push_compiled(
                &concept_phrases.patterns(),
                Role::Concept(index),
                &mut phrases,
            );
            push_compiled(&concept_phrases.unless, Role::Unless(index), &mut phrases);
        }
        push_compiled(&self.negators, Role::Negator, &mut phrases);
        push_compiled(&self.not_negators, Role::NotNegator, &mut phrases);
        push_compiled(&self.not_a_problem, Role::NotAProblem, &mut phrases);
        Detector {
            concepts,
            phrases: PhraseSet::new(phrases),
            clause_breaks: PhraseSet::new(compile_clause_breaks(&self.clause_breaks)),
        }
    }
}

fn push_compiled(source: &LanguagePhrases, role: Role, out: &mut Vec<Phrase>) {
    out.extend(
        source
            .tagged()
            .filter_map(|(_, _, pattern)| compile_pattern(pattern, role)),
    );
}

/// Clause breaks are plain words: a `*` in one is reported by `problems` and the entry is
/// skipped, because a break spanning a gap has no sensible meaning.
fn compile_clause_breaks(source: &LanguagePhrases) -> Vec<Phrase> {
    source
        .tagged()
        .filter(|(_, _, word)| !word.contains('*'))
        .filter_map(|(_, _, word)| compile_pattern(word, Role::ClauseBreak))
        .collect()
}

fn check_phrase_list(
    list: &str,
    phrases: &LanguagePhrases,
    clause_breaks: &PhraseSet,
    plain_words_only: bool,
    problems: &mut Vec<String>,
) {
    let mut seen: Vec<(&str, Vec<Vec<char>>)> = Vec::new();
    for (lang, position, pattern) in phrases.tagged() {
        let at = format!(
            "detection: {list}: {lang} pattern #{} `{pattern}`",
            position + 1
        );
        if pattern.trim().is_empty() {
            problems.push(format!("{at} is empty"));
            continue;
        }
        if plain_words_only && pattern.contains('*') {
            problems.push(format!("{at} contains `*`; clause breaks are plain words"));
            continue;
        }
        let Some(phrase) = compile_pattern(pattern, Role::NotNegator) else {
            problems.push(format!(
                "{at} has only `*` and spaces, so it would match every clause"
            ));
            continue;
        };
        if let Some(separator) = pattern.chars().find(|&c| separator_kind(c).is_some()) {
            problems.push(format!(
                "{at} can never match: `{separator}` ends a clause, and a pattern is matched within one clause"
            ));
            continue;
        }
        if !plain_words_only {
            if let Some(word) = clause_break_inside(&phrase, clause_breaks) {
                problems.push(format!(
                    "{at} can never match: `{word}` is a clause break, and a pattern is matched within one clause"
                ));
                continue;
            }
        }
        let key: Vec<Vec<char>> = phrase.pieces.iter().map(|p| p.chars.to_vec()).collect();
        if seen.iter().any(|(l, k)| *l == lang && *k == key) {
            problems.push(format!("{at} is listed twice"));
        } else {
            seen.push((lang, key));
        }
    }
}

/// The clause break found inside any piece of `phrase`, if one is.
fn clause_break_inside(phrase: &Phrase, clause_breaks: &PhraseSet) -> Option<String> {
    phrase.pieces.iter().find_map(|piece| {
        (0..piece.chars.len()).find_map(|at| {
            clause_breaks
                .longest_single_piece_at(&piece.chars, at)
                .map(|len| piece.chars[at..at + len].iter().collect())
        })
    })
}

fn closest_known_concept(concept: &str) -> Option<&'static str> {
    KNOWN_CONCEPTS
        .iter()
        .map(|known| (edit_distance(concept, known), *known))
        .filter(|(distance, _)| *distance <= 4)
        .min()
        .map(|(_, known)| known)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Compiled phrase data. Immutable, so one instance serves every thread.
#[derive(Debug, Clone)]
pub struct Detector {
    concepts: Vec<CompiledConcept>,
    /// Concept patterns, `unless` phrases, negators, not-negators, not-a-problem phrases.
    phrases: PhraseSet,
    clause_breaks: PhraseSet,
}

#[derive(Debug, Clone)]
struct CompiledConcept {
    id: String,
    is_objection: bool,
}

/// One objection or signal read from free text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub concept: String, // "objection.no_budget" or "signal.agreed_tech_exchange"
    pub from: Option<String>, // stakeholder name attributed, if any
    pub evidence: String, // the clause that matched
}

impl Detector {
    /// Findings in order of appearance; at most one finding per (concept, from) per clause; `names` are stakeholder names.
    pub fn detect(&self, text: &str, names: &[&str]) -> Vec<Finding> {
        let mut findings = Vec::new();
        if self.concepts.is_empty() || text.trim().is_empty() {
            return findings;
        }
        let names = compile_names(names);
        let mut buffer = NormalizedText::default();
        let mut work = ClauseWork::new(self.phrases.phrases.len(), self.concepts.len());
        let mut sentence = SentenceState::default();

        for segment in Segments::new(text) {
            buffer.clear();
            let segment_text = text.get(segment.start..segment.end).unwrap_or_default();
            normalize_into(segment_text, segment.start, &mut buffer);
            let chars = &buffer.chars;
            let mut clause_start = 0;
            let mut at = 0;
            while at < chars.len() {
                match self.clause_breaks.longest_single_piece_at(chars, at) {
                    Some(len) => {
                        self.read_clause(
                            text,
                            &buffer,
                            clause_start..at,
                            &names,
                            &mut work,
                            &mut sentence,
                            &mut findings,
                        );
                        at += len;
                        clause_start = at;
                    }
                    None => at += 1,
                }
            }
            self.read_clause(
                text,
                &buffer,
                clause_start..chars.len(),
                &names,
                &mut work,
                &mut sentence,
                &mut findings,
            );
            if segment.ends_sentence {
                sentence = SentenceState::default();
            }
        }
        findings
    }

    /// Finds everything in one clause and appends its findings.
    #[allow(clippy::too_many_arguments)] // the clause's context, passed apart to keep borrows simple
    fn read_clause(
        &self,
        text: &str,
        buffer: &NormalizedText,
        range: std::ops::Range<usize>,
        names: &[CompiledName],
        work: &mut ClauseWork,
        sentence: &mut SentenceState,
        findings: &mut Vec<Finding>,
    ) {
        if range.is_empty() {
            return;
        }
        let clause = &buffer.chars[range.clone()];
        work.reset();
        self.scan_phrases(clause, work);
        find_names(clause, names, &mut work.name_hits);
        work.drop_phrase_bound_negators();

        let mut evidence: Option<String> = None;
        for index in 0..work.raw_matches.len() {
            let raw = work.raw_matches[index];
            let concept = &self.concepts[usize::from(raw.concept)];
            if work.concept_excepted[usize::from(raw.concept)]
                || (concept.is_objection && work.has_not_a_problem)
                || work.is_negated(&raw)
            {
                continue;
            }
            let from = attribute(&raw, &work.name_hits, sentence.last_name);
            if work
                .fired
                .iter()
                .any(|&(c, f)| c == raw.concept && f == from)
            {
                continue;
            }
            work.fired.push((raw.concept, from));
            let evidence = evidence
                .get_or_insert_with(|| clause_evidence(text, &buffer.origins[range.clone()]))
                .clone();
            findings.push(Finding {
                concept: concept.id.clone(),
                from: from.map(|index| names[index].original.clone()),
                evidence,
            });
        }
        if let Some(last) = work.name_hits.iter().max_by_key(|hit| (hit.start, hit.end)) {
            sentence.last_name = Some(last.name);
        }
    }

    /// Looks up every phrase that can start at each position of the clause.
    fn scan_phrases(&self, clause: &[char], work: &mut ClauseWork) {
        for start in 0..clause.len() {
            for &id in self.phrases.candidates(clause[start]) {
                let id = id as usize;
                let hits = &mut work.hits_per_phrase[id];
                if *hits >= MAX_HITS_PER_PHRASE_PER_CLAUSE {
                    continue; // capped, or known not to complete in this clause
                }
                let phrase = &self.phrases.phrases[id];
                let spans_before = work.piece_spans.len();
                match phrase.match_at(clause, start, &mut work.piece_spans) {
                    MatchResult::NoMatch => continue,
                    MatchResult::CannotComplete => {
                        *hits = PHRASE_CANNOT_COMPLETE;
                        continue;
                    }
                    MatchResult::Matched { end } => {
                        *hits += 1;
                        let span = (start, end);
                        match phrase.role {
                            Role::Concept(concept) => work.raw_matches.push(RawMatch {
                                concept,
                                start,
                                end,
                                pieces: (spans_before, work.piece_spans.len()),
                            }),
                            Role::Unless(concept) => {
                                work.concept_excepted[usize::from(concept)] = true
                            }
                            Role::Negator => work.negators.push(span),
                            Role::NotNegator => work.shields.push(span),
                            Role::NotAProblem => {
                                work.has_not_a_problem = true;
                                work.shields.push(span);
                            }
                            Role::ClauseBreak => {}
                        }
                        if !matches!(phrase.role, Role::Concept(_)) {
                            work.piece_spans.truncate(spans_before);
                        }
                    }
                }
            }
        }
    }
}

/// Who said it: the stakeholder named last before the match in its clause, else the first
/// one named after it in the clause, else the last one named earlier in the sentence.
/// Names inside the match are its object ("同意引荐李总"), not its speaker.
fn attribute(
    raw: &RawMatch,
    hits: &[NameHit],
    earlier_in_sentence: Option<usize>,
) -> Option<usize> {
    let before = hits
        .iter()
        .filter(|hit| hit.end <= raw.start)
        .max_by_key(|hit| (hit.start, hit.end));
    let after = hits
        .iter()
        .filter(|hit| hit.start >= raw.end)
        .min_by_key(|hit| (hit.start, std::cmp::Reverse(hit.end)));
    before.or(after).map(|hit| hit.name).or(earlier_in_sentence)
}

/// The clause as the rep wrote it, without surrounding spaces, quotes or list bullets.
fn clause_evidence(text: &str, origins: &[(usize, usize)]) -> String {
    let (Some(first), Some(last)) = (origins.first(), origins.last()) else {
        return String::new();
    };
    text.get(first.0..last.1)
        .unwrap_or_default()
        .trim_matches(|c: char| c.is_whitespace() || EVIDENCE_TRIM.contains(&c))
        .to_string()
}

/// Characters that frame a clause rather than belong to it.
const EVIDENCE_TRIM: [char; 16] = [
    '"', '\'', '“', '”', '‘', '’', '「', '」', '『', '』', '-', '*', '•', '·', '—', '\u{200B}',
];

#[derive(Default)]
struct SentenceState {
    /// The stakeholder named last in the sentence's earlier clauses.
    last_name: Option<usize>,
}

/// A concept phrase found in a clause, before cancellation is decided.
#[derive(Clone, Copy)]
struct RawMatch {
    concept: u16,
    start: usize,
    end: usize,
    /// Index range into `ClauseWork::piece_spans`: where each literal piece matched.
    pieces: (usize, usize),
}

#[derive(Clone, Copy)]
struct NameHit {
    name: usize,
    start: usize,
    end: usize,
}

/// Per-call scratch space, reused clause after clause so reading a clause allocates
/// nothing once the buffers have grown.
struct ClauseWork {
    hits_per_phrase: Vec<u16>,
    concept_excepted: Vec<bool>,
    has_not_a_problem: bool,
    raw_matches: Vec<RawMatch>,
    piece_spans: Vec<(usize, usize)>,
    negators: Vec<(usize, usize)>,
    shields: Vec<(usize, usize)>,
    name_hits: Vec<NameHit>,
    fired: Vec<(u16, Option<usize>)>,
}

impl ClauseWork {
    fn new(phrase_count: usize, concept_count: usize) -> Self {
        ClauseWork {
            hits_per_phrase: vec![0; phrase_count],
            concept_excepted: vec![false; concept_count],
            has_not_a_problem: false,
            raw_matches: Vec::new(),
            piece_spans: Vec::new(),
            negators: Vec::new(),
            shields: Vec::new(),
            name_hits: Vec::new(),
            fired: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.hits_per_phrase.fill(0);
        self.concept_excepted.fill(false);
        self.has_not_a_problem = false;
        self.raw_matches.clear();
        self.piece_spans.clear();
        self.negators.clear();
        self.shields.clear();
        self.name_hits.clear();
        self.fired.clear();
    }

    /// A negator negates only when it stands on its own. One inside a matched concept
    /// phrase belongs to that phrase (没 in 没有预算), one inside a not-negator or a
    /// not-a-problem phrase is part of those (不 in 不错, 没 in 没问题), and one inside a
    /// stakeholder's name is a name.
    fn drop_phrase_bound_negators(&mut self) {
        let inside =
            |outer: (usize, usize), inner: (usize, usize)| outer.0 <= inner.0 && inner.1 <= outer.1;
        let (shields, spans, names) = (&self.shields, &self.piece_spans, &self.name_hits);
        self.negators.retain(|&negator| {
            !shields.iter().any(|&s| inside(s, negator))
                && !spans.iter().any(|&s| inside(s, negator))
                && !names.iter().any(|n| inside((n.start, n.end), negator))
        });
    }

    /// Cancelled by a free-standing negator before the match or inside one of its gaps
    /// ("预算还没用完" has 没 between 预算 and 用完).
    fn is_negated(&self, raw: &RawMatch) -> bool {
        let pieces = &self.piece_spans[raw.pieces.0..raw.pieces.1];
        self.negators.iter().any(|&(negator_start, _)| {
            negator_start < raw.start
                || pieces
                    .windows(2)
                    .any(|pair| negator_start >= pair[0].1 && negator_start < pair[1].0)
        })
    }
}

/// What a compiled phrase does when found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Concept(u16),
    Unless(u16),
    Negator,
    NotNegator,
    NotAProblem,
    ClauseBreak,
}

/// A literal run of a pattern: the text between `*`s.
#[derive(Debug, Clone)]
struct Piece {
    chars: Box<[char]>,
    /// The text before must not continue the word ("need" is not found in "kneed").
    word_start: bool,
    /// The text after must not continue the word ("no" is not found in "now").
    word_end: bool,
}

impl Piece {
    fn is_at(&self, text: &[char], at: usize) -> bool {
        let end = at + self.chars.len();
        if end > text.len() || text[at..end] != *self.chars {
            return false;
        }
        if self.word_start && at > 0 && is_word_char(text[at - 1]) {
            return false;
        }
        if self.word_end && end < text.len() && is_word_char(text[end]) {
            return false;
        }
        true
    }

    fn find_from(&self, text: &[char], from: usize) -> Option<usize> {
        let first = *self.chars.first()?;
        let last_start = text.len().checked_sub(self.chars.len())?;
        (from..=last_start).find(|&at| text[at] == first && self.is_at(text, at))
    }
}

#[derive(Debug, Clone)]
struct Phrase {
    pieces: Box<[Piece]>,
    role: Role,
}

enum MatchResult {
    NoMatch,
    /// The first piece is here but a later one is nowhere after it in the clause.
    CannotComplete,
    Matched {
        end: usize,
    },
}

impl Phrase {
    /// Matches with the first piece at `start` and each later piece at its earliest
    /// place after the previous one (the shortest gaps, so the fewest words in them can
    /// negate). On a match the pieces' spans are appended to `spans`.
    fn match_at(
        &self,
        text: &[char],
        start: usize,
        spans: &mut Vec<(usize, usize)>,
    ) -> MatchResult {
        let Some((first, rest)) = self.pieces.split_first() else {
            return MatchResult::NoMatch;
        };
        if !first.is_at(text, start) {
            return MatchResult::NoMatch;
        }
        let spans_before = spans.len();
        let mut end = start + first.chars.len();
        spans.push((start, end));
        for piece in rest {
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

/// Phrases indexed by their first character, so a clause position only tries the few
/// phrases that can start there.
#[derive(Debug, Clone)]
struct PhraseSet {
    phrases: Vec<Phrase>,
    ascii: Vec<(u32, u32)>,
    other: Vec<(char, u32, u32)>,
    ids: Vec<u32>,
}

impl PhraseSet {
    fn new(phrases: Vec<Phrase>) -> Self {
        let mut keyed: Vec<(char, u32)> = phrases
            .iter()
            .enumerate()
            .filter_map(|(id, phrase)| {
                let first = *phrase.pieces.first()?.chars.first()?;
                Some((first, u32::try_from(id).ok()?))
            })
            .collect();
        keyed.sort_unstable();
        let ids: Vec<u32> = keyed.iter().map(|&(_, id)| id).collect();
        let mut ascii = vec![(0u32, 0u32); 128];
        let mut other = Vec::new();
        let mut at = 0;
        while at < keyed.len() {
            let first = keyed[at].0;
            let end = keyed[at..]
                .iter()
                .position(|&(c, _)| c != first)
                .map_or(keyed.len(), |len| at + len);
            let range = (at as u32, end as u32);
            if first.is_ascii() {
                ascii[first as usize] = range;
            } else {
                other.push((first, range.0, range.1));
            }
            at = end;
        }
        PhraseSet {
            phrases,
            ascii,
            other,
            ids,
        }
    }

    fn candidates(&self, c: char) -> &[u32] {
        let (start, end) = if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            match self.other.binary_search_by_key(&c, |&(key, _, _)| key) {
                Ok(found) => (self.other[found].1, self.other[found].2),
                Err(_) => (0, 0),
            }
        };
        &self.ids[start as usize..end as usize]
    }

    /// The length of the longest single-piece phrase at `at`, if any.
    fn longest_single_piece_at(&self, text: &[char], at: usize) -> Option<usize> {
        let c = *text.get(at)?;
        self.candidates(c)
            .iter()
            .filter_map(|&id| match &*self.phrases[id as usize].pieces {
                [piece] if piece.is_at(text, at) => Some(piece.chars.len()),
                _ => None,
            })
            .max()
    }
}

/// Parses the trainer's pattern syntax: text pieces separated by `*` gaps. A `*` glued to
/// a word lets that word continue past it (`introduc*`); with a space between, the word
/// must end there (`agreed * pilot`). The pattern's outer ends are word ends.
fn compile_pattern(pattern: &str, role: Role) -> Option<Phrase> {
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
    Some(Phrase {
        pieces: pieces.into_boxed_slice(),
        role,
    })
}

struct CompiledName {
    original: String,
    piece: Piece,
}

/// Names are matched literally (a `*` in a name is just a character), whole words only.
fn compile_names(names: &[&str]) -> Vec<CompiledName> {
    names
        .iter()
        .filter_map(|name| {
            let mut buffer = NormalizedText::default();
            normalize_into(name, 0, &mut buffer);
            let (&first, &last) = (buffer.chars.first()?, buffer.chars.last()?);
            Some(CompiledName {
                original: name.trim().to_string(),
                piece: Piece {
                    chars: buffer.chars.into_boxed_slice(),
                    word_start: is_word_char(first),
                    word_end: is_word_char(last),
                },
            })
        })
        .collect()
}

fn find_names(clause: &[char], names: &[CompiledName], hits: &mut Vec<NameHit>) {
    for (index, name) in names.iter().enumerate() {
        let mut from = 0;
        let mut found = 0;
        while found < MAX_HITS_PER_PHRASE_PER_CLAUSE {
            let Some(at) = name.piece.find_from(clause, from) else {
                break;
            };
            let end = at + name.piece.chars.len();
            hits.push(NameHit {
                name: index,
                start: at,
                end,
            });
            found += 1;
            from = end;
        }
    }
}

/// Text prepared for matching: one entry per kept character, with the byte range of the
/// original character it came from (for the evidence).
#[derive(Default)]
struct NormalizedText {
    chars: Vec<char>,
    origins: Vec<(usize, usize)>,
}

impl NormalizedText {
    fn clear(&mut self) {
        self.chars.clear();
        self.origins.clear();
    }
}

/// Folds what should not matter: case, full-width letters (ＰＯＣ), curly apostrophes,
/// zero-width characters, and runs of spaces. Spaces next to a Chinese character are
/// dropped, so "没有 预算" still reads as 没有预算.
fn normalize_into(text: &str, base: usize, out: &mut NormalizedText) {
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
            if !is_cjk(previous) && !is_cjk(c) {
                out.chars.push(' ');
                out.origins.push(space);
            }
        }
        out.chars.push(c);
        out.origins.push(origin);
    }
}

fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
        '\u{3000}' => Some(' '),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).map(lowercase),
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' => Some('\''),
        _ => Some(lowercase(c)),
    }
}

fn lowercase(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c, // expands to several characters: keep it, so one char stays one char
    }
}

/// Han, kana and CJK symbols: scripts written without spaces, so they have no word
/// boundaries.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0x20000..=0x3FFFF)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// How a character ends a stretch of text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Separator {
    Clause,
    Sentence,
}

fn separator_kind(c: char) -> Option<Separator> {
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
struct Segment {
    start: usize,
    end: usize,
    ends_sentence: bool,
}

/// Splits text at punctuation and line breaks. A `.` ends a sentence only where a
/// sentence can end: before a space, the end, or non-Latin text, and not after an
/// abbreviation or initial, so "3.5", "e.g." and "Mr. Chen" stay whole.
struct Segments<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Segments<'a> {
    fn new(text: &'a str) -> Self {
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
                });
            }
        }
        self.position = self.text.len();
        Some(Segment {
            start,
            end: self.text.len(),
            ends_sentence: true,
        })
    }
}

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

/// Scores a labelled corpus: (true positives, false positives, false negatives, and one message per sentence that was not detected exactly as labelled).
pub fn score_corpus(detector: &Detector, corpus: &[CorpusEntry]) -> CorpusScore {
    let mut score = CorpusScore::default();
    for (index, entry) in corpus.iter().enumerate() {
        let names: Vec<&str> = entry.names.iter().map(String::as_str).collect();
        let mut unmatched: Vec<Finding> = detector.detect(&entry.text, &names);
        let mut missing = Vec::new();
        for expected in &entry.expect {
            let found = unmatched
                .iter()
                .position(|f| f.concept == expected.concept && f.from == expected.from);
            match found {
                Some(position) => {
                    unmatched.remove(position);
                    score.true_positives += 1;
                }
                None => missing.push(expected),
            }
        }
        score.false_negatives += missing.len();
        score.false_positives += unmatched.len();
        if missing.is_empty() && unmatched.is_empty() {
            continue;
        }
        let mut problems: Vec<String> = missing
            .iter()
            .map(|m| format!("missed {}", describe(&m.concept, m.from.as_deref())))
            .collect();
        problems.extend(unmatched.iter().map(|f| {
            format!(
                "unexpected {} in \"{}\"",
                describe(&f.concept, f.from.as_deref()),
                f.evidence
            )
        }));
        score.failures.push(format!(
            "corpus entry #{} \"{}\": {}",
            index + 1,
            entry.text,
            problems.join("; ")
        ));
    }
    score
}

fn describe(concept: &str, from: Option<&str>) -> String {
    match from {
        Some(name) => format!("{concept} from {name}"),
        None => format!("{concept} (from no one)"),
    }
}

/// One labelled note of the corpus.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusEntry {
    pub text: String,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub expect: Vec<ExpectedFinding>,
}

/// A finding the corpus expects. Written either as a bare concept id
/// (`objection.no_budget`, meaning: attributed to no one) or as
/// `{concept: objection.no_budget, from: 李总}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedFinding {
    pub concept: String,
    pub from: Option<String>,
}

impl<'de> Deserialize<'de> for ExpectedFinding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ExpectedFindingVisitor)
    }
}

struct ExpectedFindingVisitor;

impl<'de> Visitor<'de> for ExpectedFindingVisitor {
    type Value = ExpectedFinding;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a concept id, or a map {concept: ..., from: ...}")
    }

    fn visit_str<E: de::Error>(self, concept: &str) -> Result<ExpectedFinding, E> {
        Ok(ExpectedFinding {
            concept: concept.to_string(),
            from: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExpectedFinding, A::Error> {
        let mut concept: Option<String> = None;
        let mut from: Option<Option<String>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "concept" if concept.is_some() => {
                    return Err(de::Error::duplicate_field("concept"))
                }
                "concept" => concept = Some(map.next_value()?),
                "from" if from.is_some() => return Err(de::Error::duplicate_field("from")),
                "from" => from = Some(map.next_value()?),
                other => return Err(de::Error::unknown_field(other, &["concept", "from"])),
            }
        }
        Ok(ExpectedFinding {
            concept: concept.ok_or_else(|| de::Error::missing_field("concept"))?,
            from: from.flatten(),
        })
    }
}

/// How well the phrase data reads a labelled corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CorpusScore {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub failures: Vec<String>,
}

impl CorpusScore {
    /// Share of detected findings that were labelled; 1.0 when nothing was detected,
    /// since nothing detected was wrong.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Share of labelled findings that were detected; 1.0 when nothing was labelled.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
}
