//! Detection of objections (the four rejections, 四大拒绝) and buying signals (一步成交的
//! 四个标志) in the free text reps write: `deal.notes` and `activities[].note`.
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
//! 5. A question (ending in ？/? or 吗) states nothing and gives no finding.
//!
//! The compiled [`Detector`] is immutable and shared by every thread of `review`.

mod config;
mod corpus;
mod matcher;
#[cfg(test)]
mod tests;
mod text;

pub use config::{ConceptPhrases, CorpusGoal, DetectionConfig, LanguagePhrases};
pub use corpus::{score_corpus, CorpusEntry, CorpusScore, ExpectedFinding, Tally};

use matcher::*;
use text::*;

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

/// Compiled phrase data. Immutable, so one instance serves every thread.
#[derive(Debug, Clone)]
pub struct Detector {
    concepts: Vec<CompiledConcept>,
    /// Concept patterns, `unless` phrases, negators, not-negators, not-a-problem phrases.
    phrases: PhraseSet,
    clause_breaks: PhraseSet,
    goal: CorpusGoal,
}

#[derive(Debug, Clone)]
struct CompiledConcept {
    id: String,
    is_objection: bool,
}

/// One objection or signal read from free text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// `objection.no_budget`, `signal.agreed_tech_exchange`, ...
    pub concept: String,
    /// The stakeholder who said it, exactly as given in `names`; `None` when no name is
    /// in the sentence before it (or in its clause).
    pub from: Option<String>,
    /// The clause that matched, as the rep wrote it.
    pub evidence: String,
}

impl Detector {
    /// What the labelled corpus's tuning part must reach (`detection.goal`).
    pub fn goal(&self) -> CorpusGoal {
        self.goal
    }

    /// Findings in order of appearance; at most one finding per (concept, from) per clause; `names` are stakeholder names.
    pub fn detect(&self, text: &str, names: &[&str]) -> Vec<Finding> {
        if self.concepts.is_empty() || text.trim().is_empty() {
            return Vec::new();
        }
        // Buffers are reused per thread, so reading a note allocates only its findings.
        let reused = SCRATCH.try_with(|cell| {
            cell.try_borrow_mut()
                .ok()
                .map(|mut scratch| self.detect_with(text, names, &mut scratch))
        });
        match reused {
            Ok(Some(findings)) => findings,
            _ => self.detect_with(text, names, &mut Scratch::default()),
        }
    }

    fn detect_with(&self, text: &str, names: &[&str], scratch: &mut Scratch) -> Vec<Finding> {
        let mut findings = Vec::new();
        let Scratch {
            buffer,
            work,
            names: name_table,
        } = scratch;
        name_table.fill(names);
        let note = Note {
            text,
            names,
            name_table,
        };
        work.prepare(self.phrases.phrases.len(), self.concepts.len());

        let mut segments = Segments::new(text);
        let mut sentence_is_question: Option<bool> = None;
        while let Some(segment) = segments.next() {
            let is_question = *sentence_is_question
                .get_or_insert_with(|| sentence_is_a_question(text, &segment, segments));
            if segment.ends_sentence {
                sentence_is_question = None;
            }
            if is_question {
                work.last_name_in_sentence = None;
                continue; // a question states nothing: "技术交流会安排了吗？"
            }
            buffer.clear();
            let segment_text = text.get(segment.start..segment.end).unwrap_or_default();
            normalize_into(segment_text, segment.start, buffer);
            let chars = &buffer.chars;
            let mut clause_start = 0;
            let mut at = 0;
            while at < chars.len() {
                match self.clause_breaks.longest_single_piece_at(chars, at) {
                    Some(len) if !self.phrases.first_piece_covers(chars, at, at + len) => {
                        self.read_clause(&note, buffer, clause_start..at, work, &mut findings);
                        at += len;
                        clause_start = at;
                    }
                    _ => at += 1,
                }
            }
            self.read_clause(
                &note,
                buffer,
                clause_start..chars.len(),
                work,
                &mut findings,
            );
            if segment.ends_sentence {
                work.last_name_in_sentence = None;
            }
        }
        scratch.shrink_after_huge_input();
        findings
    }

    /// Finds everything in one clause (`range` of the normalised `buffer`) and appends
    /// its findings.
    fn read_clause(
        &self,
        note: &Note,
        buffer: &NormalizedText,
        range: std::ops::Range<usize>,
        work: &mut ClauseWork,
        findings: &mut Vec<Finding>,
    ) {
        if range.is_empty() {
            return;
        }
        let clause = &buffer.chars[range.clone()];
        work.reset();
        work.signature.fill(clause);
        self.scan_phrases(clause, work);
        note.name_table.find_in(clause, &mut work.name_hits);
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
            let from = attribute(&raw, &work.name_hits, work.last_name_in_sentence);
            if work
                .fired
                .iter()
                .any(|&(c, f)| c == raw.concept && f == from)
            {
                continue;
            }
            work.fired.push((raw.concept, from));
            let evidence = evidence
                .get_or_insert_with(|| clause_evidence(note.text, &buffer.origins[range.clone()]))
                .clone();
            findings.push(Finding {
                concept: concept.id.clone(),
                from: from
                    .and_then(|index| note.names.get(index))
                    .map(|name| name.to_string()),
                evidence,
            });
        }
        if let Some(last) = work.name_hits.iter().max_by_key(|hit| (hit.start, hit.end)) {
            work.last_name_in_sentence = Some(last.name);
        }
    }

    /// Looks up every phrase that can start at each position of the clause.
    fn scan_phrases(&self, clause: &[char], work: &mut ClauseWork) {
        for start in 0..clause.len() {
            for head in self.phrases.heads_at(clause, start) {
                if !head.piece.is_at(clause, start) {
                    continue;
                }
                let first_end = start + head.piece.chars.len();
                for &id in &head.phrases {
                    self.try_phrase(id as usize, clause, start, first_end, work);
                }
            }
        }
    }

    /// Completes one phrase whose first piece was found at `start` and records the match.
    fn try_phrase(
        &self,
        id: usize,
        clause: &[char],
        start: usize,
        first_end: usize,
        work: &mut ClauseWork,
    ) {
        let hits = work.hits_per_phrase[id];
        if hits >= MAX_HITS_PER_PHRASE_PER_CLAUSE {
            return; // capped, or known not to complete in this clause
        }
        if hits == 0 {
            work.touched_phrases.push(id);
        }
        let phrase = &self.phrases.phrases[id];
        if !work.signature.has_all(&phrase.later_pieces_need) {
            work.hits_per_phrase[id] = PHRASE_CANNOT_COMPLETE;
            return;
        }
        let spans_before = work.piece_spans.len();
        let end = match phrase.complete(clause, start, first_end, &mut work.piece_spans) {
            MatchResult::CannotComplete => {
                work.hits_per_phrase[id] = PHRASE_CANNOT_COMPLETE;
                return;
            }
            MatchResult::Matched { end } => end,
        };
        work.hits_per_phrase[id] = hits + 1;
        let span = (start, end);
        match phrase.role {
            Role::Concept(concept) => {
                work.raw_matches.push(RawMatch {
                    concept,
                    start,
                    end,
                    pieces: (spans_before, work.piece_spans.len()),
                });
                return; // keeps its piece spans: negators inside them belong to it
            }
            Role::Unless(concept) => work.concept_excepted[usize::from(concept)] = true,
            Role::Negator => work.negators.push(span),
            Role::NotNegator => work.shields.push(span),
            Role::NotAProblem => {
                work.has_not_a_problem = true;
                work.shields.push(span);
            }
            Role::ClauseBreak => {}
        }
        work.piece_spans.truncate(spans_before);
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

/// The note being read, as the caller gave it.
struct Note<'a> {
    text: &'a str,
    names: &'a [&'a str],
    name_table: &'a NameTable,
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

/// Scratch space for reading notes, kept per thread.
#[derive(Default)]
struct Scratch {
    buffer: NormalizedText,
    work: ClauseWork,
    names: NameTable,
}

impl Scratch {
    /// Buffers sized for a megabyte-long note are not worth keeping for the next one.
    fn shrink_after_huge_input(&mut self) {
        const KEEP_UP_TO_CHARS: usize = 1 << 16;
        if self.buffer.chars.capacity() > KEEP_UP_TO_CHARS {
            self.buffer = NormalizedText::default();
        }
        if self.work.negators.capacity() > KEEP_UP_TO_CHARS
            || self.work.name_hits.capacity() > KEEP_UP_TO_CHARS
        {
            self.work = ClauseWork::default();
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Per-clause scratch space, reused clause after clause so reading a clause allocates
/// nothing once the buffers have grown.
#[derive(Default)]
struct ClauseWork {
    signature: ClauseSignature,
    hits_per_phrase: Vec<u16>,
    /// Phrases whose count is not zero, so a reset touches only them.
    touched_phrases: Vec<usize>,
    concept_excepted: Vec<bool>,
    has_not_a_problem: bool,
    raw_matches: Vec<RawMatch>,
    piece_spans: Vec<(usize, usize)>,
    negators: Vec<(usize, usize)>,
    shields: Vec<(usize, usize)>,
    name_hits: Vec<NameHit>,
    fired: Vec<(u16, Option<usize>)>,
    /// The stakeholder named last in the current sentence's earlier clauses.
    last_name_in_sentence: Option<usize>,
}

impl ClauseWork {
    /// Starts a note: sizes the per-phrase and per-concept tables for the detector's data.
    fn prepare(&mut self, phrase_count: usize, concept_count: usize) {
        self.last_name_in_sentence = None;
        self.touched_phrases.clear();
        self.hits_per_phrase.clear();
        self.hits_per_phrase.resize(phrase_count, 0);
        self.concept_excepted.clear();
        self.concept_excepted.resize(concept_count, false);
    }

    fn reset(&mut self) {
        for &id in &self.touched_phrases {
            self.hits_per_phrase[id] = 0;
        }
        self.touched_phrases.clear();
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
