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
    /// Named word lists: `{senior}` in a pattern stands for any word of `words.senior`
    /// in the pattern's language, so one line covers 老板 / 领导 / 高层 or boss / CFO / VP.
    #[serde(default)]
    pub words: IndexMap<String, LanguagePhrases>,
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

    fn in_language(&self, lang: &str) -> &[String] {
        if lang == "zh" {
            &self.zh
        } else {
            &self.en
        }
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
        for (name, words) in &self.words {
            if name.trim().is_empty() || name.contains(['{', '}', '*']) {
                problems.push(format!(
                    "detection: words: list name `{name}` must be a plain name such as `senior`"
                ));
            }
            for (lang, position, word) in words.tagged() {
                let at = format!(
                    "detection: words `{name}`: {lang} word #{} `{word}`",
                    position + 1
                );
                if word.trim().is_empty() {
                    problems.push(format!("{at} is empty"));
                } else if word.contains(['{', '}']) {
                    problems.push(format!(
                        "{at} uses `{{…}}`; word lists cannot refer to other lists"
                    ));
                }
            }
        }

        let breaks = PhraseSet::new(self.compiled_clause_breaks());
        let lists = [
            ("clause_breaks", &self.clause_breaks),
            ("negators", &self.negators),
            ("not_negators", &self.not_negators),
            ("not_a_problem", &self.not_a_problem),
        ];
        for (list, phrases) in lists {
            let plain_words_only = list == "clause_breaks";
            self.check_phrase_list(list, phrases, &breaks, plain_words_only, &mut problems);
        }

        for (concept, phrases) in &self.concepts {
            if !KNOWN_CONCEPTS.contains(&concept.as_str()) {
                let hint = match closest_known_concept(concept) {
                    Some(known) => format!(" — did you mean `{known}`?"),
                    None => format!("; detectable concepts are {}", KNOWN_CONCEPTS.join(", ")),
                };
                problems.push(format!(
                    "detection: unknown concept `{concept}`{hint} (only the objections and signals of the snapshot format can be detected)"
                ));
            }
            if phrases.zh.is_empty() && phrases.en.is_empty() {
                problems.push(format!(
                    "detection: concept `{concept}` has no zh or en patterns, so it is never detected"
                ));
            }
            let name = format!("concept `{concept}`");
            self.check_phrase_list(&name, &phrases.patterns(), &breaks, false, &mut problems);
            let unless = format!("{name}, unless");
            self.check_phrase_list(&unless, &phrases.unless, &breaks, false, &mut problems);
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
            self.push_compiled(
                &concept_phrases.patterns(),
                Role::Concept(index),
                &mut phrases,
            );
            self.push_compiled(&concept_phrases.unless, Role::Unless(index), &mut phrases);
        }
        self.push_compiled(&self.negators, Role::Negator, &mut phrases);
        self.push_compiled(&self.not_negators, Role::NotNegator, &mut phrases);
        self.push_compiled(&self.not_a_problem, Role::NotAProblem, &mut phrases);
        Detector {
            concepts,
            phrases: PhraseSet::new(phrases),
            clause_breaks: PhraseSet::new(self.compiled_clause_breaks()),
        }
    }

    /// Compiles every expansion of every pattern; broken patterns are skipped here and
    /// reported by `problems`, so a bad line never takes the rest of the data down.
    fn push_compiled(&self, source: &LanguagePhrases, role: Role, out: &mut Vec<Phrase>) {
        for (lang, _, pattern) in source.tagged() {
            if let Ok(expanded) = self.expand_word_lists(pattern, lang) {
                out.extend(expanded.iter().filter_map(|p| compile_pattern(p, role)));
            }
        }
    }

    /// Clause breaks are plain words: a `*` in one is reported by `problems` and the entry
    /// is skipped, because a break spanning a gap has no sensible meaning.
    fn compiled_clause_breaks(&self) -> Vec<Phrase> {
        let mut breaks = Vec::new();
        for (lang, _, word) in self.clause_breaks.tagged() {
            if word.contains('*') {
                continue;
            }
            if let Ok(expanded) = self.expand_word_lists(word, lang) {
                breaks.extend(
                    expanded
                        .iter()
                        .filter_map(|w| compile_pattern(w, Role::ClauseBreak)),
                );
            }
        }
        breaks
    }

    /// Replaces each `{list}` with each word of that list in `lang`: one pattern per
    /// combination, so matching itself stays simple.
    fn expand_word_lists(&self, pattern: &str, lang: &str) -> Result<Vec<String>, String> {
        let mut expansions = vec![String::new()];
        let mut rest = pattern;
        while let Some(open) = rest.find(['{', '}']) {
            let (literal, from_brace) = rest.split_at(open);
            if from_brace.starts_with('}') {
                return Err("has a `}` without its `{`".to_string());
            }
            let Some(close) = from_brace.find('}') else {
                return Err("has a `{` without its `}`".to_string());
            };
            let name = &from_brace[1..close];
            let Some(list) = self.words.get(name.trim()) else {
                let known: Vec<&str> = self.words.keys().map(String::as_str).collect();
                return Err(format!(
                    "uses the unknown word list `{{{name}}}` (defined under `words:`: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            };
            let words: Vec<&String> = list
                .in_language(lang)
                .iter()
                .filter(|w| !w.trim().is_empty() && !w.contains(['{', '}']))
                .collect();
            if words.is_empty() {
                return Err(format!("uses `{{{name}}}`, which has no {lang} words"));
            }
            if expansions.len().saturating_mul(words.len()) > MAX_EXPANSIONS_PER_PATTERN {
                return Err(format!(
                    "expands to more than {MAX_EXPANSIONS_PER_PATTERN} phrases; split it or shorten its word lists"
                ));
            }
            expansions = expansions
                .iter()
                .flat_map(|prefix| words.iter().map(move |w| format!("{prefix}{literal}{w}")))
                .collect();
            rest = &from_brace[close + 1..];
        }
        for expansion in &mut expansions {
            expansion.push_str(rest);
        }
        Ok(expansions)
    }

    fn check_phrase_list(
        &self,
        list: &str,
        phrases: &LanguagePhrases,
        clause_breaks: &PhraseSet,
        plain_words_only: bool,
        problems: &mut Vec<String>,
    ) {
        type PhraseKey = Vec<(Box<[char]>, bool, bool)>;
        let mut seen: std::collections::HashSet<(&str, PhraseKey)> = Default::default();
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
            let expanded = match self.expand_word_lists(pattern, lang) {
                Ok(expanded) => expanded,
                Err(message) => {
                    problems.push(format!("{at} {message}"));
                    continue;
                }
            };
            for expansion in &expanded {
                if let Some(separator) = expansion.chars().find(|&c| separator_kind(c).is_some()) {
                    problems.push(format!(
                        "{at} can never match: `{separator}` ends a clause, and a pattern is matched within one clause"
                    ));
                    break;
                }
                let Some(phrase) = compile_pattern(expansion, Role::NotNegator) else {
                    problems.push(format!(
                        "{at} has only `*` and spaces, so it would match every clause"
                    ));
                    break;
                };
                if !plain_words_only {
                    if let Some(word) = clause_break_inside(&phrase, clause_breaks) {
                        problems.push(format!(
                            "{at} can never match as `{expansion}`: `{word}` is a clause break, and a pattern is matched within one clause"
                        ));
                        break;
                    }
                }
                let key: PhraseKey = phrase
                    .pieces
                    .iter()
                    .map(|p| (p.chars.clone(), p.word_start, p.word_end))
                    .collect();
                if !seen.insert((lang, key)) {
                    problems.push(format!("{at} repeats an earlier pattern of the same list"));
                    break;
                }
            }
        }
    }
}

/// A pattern whose word lists multiply beyond this is almost certainly a mistake, and
/// would slow every deal down.
const MAX_EXPANSIONS_PER_PATTERN: usize = 2000;

/// The clause break found inside a piece after the first of `phrase`, if one is. (A
/// break inside the first piece is protected by it: 信不过 keeps its 不过.)
fn clause_break_inside(phrase: &Phrase, clause_breaks: &PhraseSet) -> Option<String> {
    phrase.pieces.iter().skip(1).find_map(|piece| {
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
    /// `objection.no_budget`, `signal.agreed_tech_exchange`, ...
    pub concept: String,
    /// The stakeholder who said it, exactly as given in `names`; `None` when no name is
    /// in the sentence before it (or in its clause).
    pub from: Option<String>,
    /// The clause that matched, as the rep wrote it.
    pub evidence: String,
}

impl Detector {
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

/// Which characters and character pairs occur in a clause, hashed into 1,024 bits. A
/// phrase whose later pieces need a bit the clause lacks cannot match there.
#[derive(Default)]
struct ClauseSignature {
    bits: [u64; 16],
}

impl ClauseSignature {
    fn pair_bit(a: char, b: char) -> u16 {
        let mixed = (a as u32).wrapping_mul(0x9E37_79B1) ^ (b as u32).wrapping_mul(0x85EB_CA6B);
        (mixed >> 22) as u16 // the top 10 bits
    }

    fn single_bit(c: char) -> u16 {
        ((c as u32).wrapping_mul(0xC2B2_AE35) >> 22) as u16
    }

    /// The bits a text must have to contain `chars`: its pairs, or the character alone.
    fn bits_of(chars: &[char]) -> Vec<u16> {
        match chars {
            [single] => vec![Self::single_bit(*single)],
            _ => chars
                .windows(2)
                .map(|w| Self::pair_bit(w[0], w[1]))
                .collect(),
        }
    }

    fn fill(&mut self, text: &[char]) {
        self.bits = [0; 16];
        for (at, &c) in text.iter().enumerate() {
            self.set(Self::single_bit(c));
            if let Some(&next) = text.get(at + 1) {
                self.set(Self::pair_bit(c, next));
            }
        }
    }

    fn set(&mut self, bit: u16) {
        self.bits[usize::from(bit >> 6)] |= 1 << (bit & 63);
    }

    fn has_all(&self, bits: &[u16]) -> bool {
        bits.iter()
            .all(|&bit| self.bits[usize::from(bit >> 6)] & (1 << (bit & 63)) != 0)
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
        piece_is_at(&self.chars, self.word_start, self.word_end, text, at)
    }

    fn find_from(&self, text: &[char], from: usize) -> Option<usize> {
        find_piece(&self.chars, self.word_start, self.word_end, text, from)
    }
}

fn piece_is_at(piece: &[char], word_start: bool, word_end: bool, text: &[char], at: usize) -> bool {
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

fn find_piece(
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
struct Phrase {
    pieces: Box<[Piece]>,
    role: Role,
    /// Signature bits of the pieces after the first: a clause lacking one of them cannot
    /// complete the phrase, which spares scanning it for the later pieces.
    later_pieces_need: Box<[u16]>,
}

enum MatchResult {
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
    fn complete(
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
struct PhraseSet {
    phrases: Vec<Phrase>,
    heads: Vec<Head>,
    ascii: Vec<HeadRange>,
    other: Vec<(char, HeadRange)>,
    head_ids: Vec<u32>,
    longest_head: usize,
}

/// Where in `head_ids` the heads of one first character are: `start..free_from` must
/// begin a word, `free_from..end` may begin anywhere.
#[derive(Debug, Clone, Copy, Default)]
struct HeadRange {
    start: u32,
    free_from: u32,
    end: u32,
}

/// A distinct first piece and the phrases that begin with it.
#[derive(Debug, Clone)]
struct Head {
    piece: Piece,
    phrases: Vec<u32>,
    /// Some phrase of this head is the piece alone (what clause breaks are).
    single_piece: bool,
}

impl PhraseSet {
    fn new(phrases: Vec<Phrase>) -> Self {
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
    fn heads_at(&self, text: &[char], at: usize) -> impl Iterator<Item = &Head> {
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
    fn first_piece_covers(&self, text: &[char], start: usize, end: usize) -> bool {
        let earliest = start.saturating_sub(self.longest_head.saturating_sub(1));
        (earliest..=start).any(|at| {
            self.heads_at(text, at)
                .any(|head| at + head.piece.chars.len() >= end && head.piece.is_at(text, at))
        })
    }

    /// The length of the longest single-piece phrase at `at`, if any.
    fn longest_single_piece_at(&self, text: &[char], at: usize) -> Option<usize> {
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
struct NameTable {
    text: NormalizedText,
    entries: Vec<NameEntry>,
}

struct NameEntry {
    /// Index into the caller's `names`.
    given: usize,
    start: usize,
    end: usize,
    word_start: bool,
    word_end: bool,
}

impl NameTable {
    fn fill(&mut self, names: &[&str]) {
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

    fn find_in(&self, clause: &[char], hits: &mut Vec<NameHit>) {
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
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0x20000..=0x3FFFF)
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    !is_cjk(c) && c.is_alphanumeric()
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
    /// The punctuation that ended it, if any.
    separator: Option<char>,
}

/// Splits text at punctuation and line breaks. A `.` ends a sentence only where a
/// sentence can end: before a space, the end, or non-Latin text, and not after an
/// abbreviation or initial, so "3.5", "e.g." and "Mr. Chen" stay whole.
#[derive(Clone, Copy)]
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
fn sentence_is_a_question(text: &str, first: &Segment, mut rest: Segments) -> bool {
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

    const PLAYBOOK: &str = include_str!("../playbooks/detection.yaml");
    const CORPUS: &str = include_str!("../playbooks/tests/corpus.yaml");

    #[derive(Deserialize)]
    struct PlaybookFile {
        detection: DetectionConfig,
    }

    #[derive(Deserialize)]
    struct CorpusFile {
        corpus: Vec<CorpusEntry>,
    }

    fn playbook() -> DetectionConfig {
        match serde_yaml::from_str::<PlaybookFile>(PLAYBOOK) {
            Ok(file) => file.detection,
            Err(error) => panic!("playbooks/detection.yaml does not parse: {error}"),
        }
    }

    fn corpus() -> Vec<CorpusEntry> {
        match serde_yaml::from_str::<CorpusFile>(CORPUS) {
            Ok(file) => file.corpus,
            Err(error) => panic!("playbooks/tests/corpus.yaml does not parse: {error}"),
        }
    }

    fn shipped() -> &'static Detector {
        static DETECTOR: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
        DETECTOR.get_or_init(|| playbook().compile())
    }

    /// (concept, from) pairs, the part of a finding most tests care about.
    fn found(text: &str, names: &[&str]) -> Vec<(String, Option<String>)> {
        shipped()
            .detect(text, names)
            .into_iter()
            .map(|f| (f.concept, f.from))
            .collect()
    }

    fn finding(concept: &str, from: Option<&str>) -> (String, Option<String>) {
        (concept.to_string(), from.map(str::to_string))
    }

    /// A tiny playbook, so mechanics are tested apart from the shipped phrase lists.
    fn config(yaml: &str) -> DetectionConfig {
        match serde_yaml::from_str::<PlaybookFile>(yaml) {
            Ok(file) => file.detection,
            Err(error) => panic!("test playbook does not parse: {error}"),
        }
    }

    const SMALL: &str = r#"
detection:
  clause_breaks: {zh: [但是, 不过], en: [but]}
  negators: {zh: [不, 没, 不是], en: [not, no, "*n't"]}
  not_negators: {zh: [不错], en: [not only]}
  not_a_problem: {zh: [没问题], en: [not an issue]}
  words:
    title: {zh: [老板, 领导], en: [boss, cfo]}
  concepts:
    objection.no_budget:
      zh: [没有预算, 预算*用完]
      en: [no budget, "budget* * used up"]
      unless: {en: [whether * budget]}
    objection.no_need:
      zh: [不需要]
      en: [no need]
    signal.introduced_senior:
      zh: ["引荐*{title}"]
      en: ["introduc* * {title}"]
    signal.agreed_tech_exchange:
      zh: [同意*技术交流]
      en: ["agree* * tech exchange"]
"#;

    fn small(text: &str, names: &[&str]) -> Vec<(String, Option<String>)> {
        config(SMALL)
            .compile()
            .detect(text, names)
            .into_iter()
            .map(|f| (f.concept, f.from))
            .collect()
    }

    #[test]
    fn the_acme_example_note_gives_exactly_its_objection_and_signal() {
        let note = "李总说今年预算已经用完了，明年再看。王工同意下周安排技术交流会。";
        let findings = shipped().detect(note, &["李总", "王工", "赵主管"]);
        assert_eq!(
            findings,
            vec![
                Finding {
                    concept: "objection.no_budget".into(),
                    from: Some("李总".into()),
                    evidence: "李总说今年预算已经用完了".into(),
                },
                Finding {
                    concept: "signal.agreed_tech_exchange".into(),
                    from: Some("王工".into()),
                    evidence: "王工同意下周安排技术交流会".into(),
                },
            ]
        );
    }

    #[test]
    fn saying_budget_is_not_a_problem_is_no_objection() {
        for note in [
            "预算没问题。",
            "Budget is not an issue.",
            "The budget issue is no longer a problem.",
        ] {
            assert_eq!(found(note, &[]), vec![], "{note}");
        }
        assert_eq!(small("预算没问题", &[]), vec![]);
        assert_eq!(small("budget is not an issue", &[]), vec![]);
    }

    #[test]
    fn a_negator_that_is_part_of_the_phrase_does_not_cancel_it() {
        let no_budget = vec![finding("objection.no_budget", None)];
        assert_eq!(small("没有预算", &[]), no_budget);
        assert_eq!(small("they have no budget", &[]), no_budget);
        assert_eq!(small("预算已经用完了", &[]), no_budget);
        // two objections in one clause: neither phrase's 没/no negates the other
        assert_eq!(
            small("没有预算也不需要", &[]),
            vec![
                finding("objection.no_budget", None),
                finding("objection.no_need", None)
            ]
        );
    }

    #[test]
    fn a_negator_before_the_phrase_or_in_its_gap_cancels_it() {
        assert_eq!(small("不是没有预算", &[]), vec![]);
        assert_eq!(small("预算还没用完", &[]), vec![]);
        assert_eq!(small("the budget is not used up", &[]), vec![]);
        assert_eq!(small("王工没同意技术交流", &["王工"]), vec![]);
        assert_eq!(
            found("Sun Hao did not agree to a technical workshop.", &[]),
            vec![]
        );
    }

    #[test]
    fn a_double_negative_is_not_an_objection() {
        assert_eq!(small("不是不需要", &[]), vec![]);
        assert_eq!(found("我们不是不需要这套系统。", &[]), vec![]);
        assert_eq!(found("It's not that they don't need it.", &[]), vec![]);
        assert_eq!(found("We do need it.", &[]), vec![]);
        assert_eq!(
            small("不需要", &[]),
            vec![finding("objection.no_need", None)]
        );
    }

    #[test]
    fn a_word_containing_a_negator_does_not_negate() {
        assert_eq!(
            small("方案不错同意技术交流", &[]),
            vec![finding("signal.agreed_tech_exchange", None)]
        );
        assert_eq!(
            found("没想到李总这么快就同意了技术交流会。", &["李总"]),
            vec![finding("signal.agreed_tech_exchange", Some("李总"))]
        );
    }

    #[test]
    fn not_a_problem_cancels_objections_but_not_signals() {
        assert_eq!(
            small("没问题同意技术交流", &[]),
            vec![finding("signal.agreed_tech_exchange", None)]
        );
        assert_eq!(small("没问题没有预算", &[]), vec![]);
    }

    #[test]
    fn unless_phrases_cancel_their_concept_in_the_clause() {
        assert_eq!(small("unclear whether they have no budget", &[]), vec![]);
        assert_eq!(found("They are not in a hurry to drop us.", &[]), vec![]);
        assert_eq!(
            found("They are in no hurry to replace their old ERP.", &[]),
            vec![finding("objection.no_hurry", None)]
        );
    }

    #[test]
    fn negation_stops_at_the_clause_boundary() {
        // the 没 of the first clause does not reach the second
        assert_eq!(
            small("王工没来，但是李总同意技术交流", &["王工", "李总"]),
            vec![finding("signal.agreed_tech_exchange", Some("李总"))]
        );
        assert_eq!(
            small(
                "Chen did not come but Sun agreed to a tech exchange",
                &["Chen", "Sun"]
            ),
            vec![finding("signal.agreed_tech_exchange", Some("Sun"))]
        );
        // a conjunction splits even without punctuation
        assert_eq!(
            small("不是不需要不过没有预算", &[]),
            vec![finding("objection.no_budget", None)]
        );
    }

    #[test]
    fn a_question_states_nothing() {
        assert_eq!(small("王工同意技术交流吗？", &["王工"]), vec![]);
        assert_eq!(small("王工，同意技术交流吗", &["王工"]), vec![]);
        assert_eq!(
            small("agreed to a tech exchange? 没有预算。", &[]),
            vec![finding("objection.no_budget", None)]
        );
        // the question's names do not carry into the next sentence
        assert_eq!(
            small("王工呢？没有预算", &["王工"]),
            vec![finding("objection.no_budget", None)]
        );
    }

    #[test]
    fn a_clause_break_inside_a_listed_phrase_does_not_split_it() {
        // 不过 ("but") is inside 信不过 ("do not trust")
        assert_eq!(
            found("他们信不过我们的交付团队。", &[]),
            vec![finding("objection.no_trust", None)]
        );
    }

    #[test]
    fn evidence_is_the_matching_clause_not_the_whole_note() {
        let findings = small("拜访了王工。\n- 李总说没有预算， 明年再看\n", &["李总"]);
        assert_eq!(findings, vec![finding("objection.no_budget", Some("李总"))]);
        let detailed = config(SMALL).compile().detect(
            "Visited the site; \"they have no budget\", but agreed to a tech exchange.",
            &[],
        );
        let evidence: Vec<&str> = detailed.iter().map(|f| f.evidence.as_str()).collect();
        assert_eq!(
            evidence,
            vec!["they have no budget", "agreed to a tech exchange"]
        );
    }

    #[test]
    fn the_speaker_is_the_nearest_name_before_the_phrase_in_the_sentence() {
        let names = ["王工", "李总"];
        // same clause wins over an earlier clause
        assert_eq!(
            small("王工说，李总没有预算", &names),
            vec![finding("objection.no_budget", Some("李总"))]
        );
        // nearest before, within one clause
        assert_eq!(
            found("王工说李总不太相信我们的交付能力。", &names),
            vec![finding("objection.no_trust", Some("李总"))]
        );
        // earlier clause of the same sentence
        assert_eq!(
            small("李总说，今年没有预算", &names),
            vec![finding("objection.no_budget", Some("李总"))]
        );
        // a name in an earlier sentence is not carried over
        assert_eq!(
            small("李总来了。没有预算", &names),
            vec![finding("objection.no_budget", None)]
        );
        // a name inside the phrase is its object, not its speaker
        assert_eq!(
            small("王工同意引荐李总老板", &names),
            vec![finding("signal.introduced_senior", Some("王工"))]
        );
        // a name after the phrase in its clause when none comes before
        assert_eq!(
            small("no budget according to Chen Jie", &["Chen Jie"]),
            vec![finding("objection.no_budget", Some("Chen Jie"))]
        );
    }

    #[test]
    fn english_names_match_whole_words_in_any_case() {
        assert_eq!(
            small("MA LIN's team has no budget", &["Ma Lin"]),
            vec![finding("objection.no_budget", Some("Ma Lin"))]
        );
        // "Li" is not found inside "Liu"
        assert_eq!(
            small("Liu has no budget", &["Li"]),
            vec![finding("objection.no_budget", None)]
        );
        // an abbreviation's period does not end the sentence
        assert_eq!(
            found(
                "Mr. Chen agreed to move forward with the proposal.",
                &["Mr. Chen"]
            ),
            vec![finding("signal.agreed_next_step", Some("Mr. Chen"))]
        );
    }

    #[test]
    fn english_phrases_match_whole_words_only() {
        assert_eq!(small("kno needle", &[]), vec![]);
        assert_eq!(small("no needles here", &[]), vec![]);
        assert_eq!(
            small("NO NEED.", &[]),
            vec![finding("objection.no_need", None)]
        );
        assert_eq!(
            small("no   need", &[]),
            vec![finding("objection.no_need", None)]
        );
        // a * glued to a word lets it continue; with a space the next word stays whole
        assert_eq!(
            small("budgets are used up", &[]),
            vec![finding("objection.no_budget", None)]
        );
        assert_eq!(
            small("he introduced us to the CFO", &[]),
            vec![finding("signal.introduced_senior", None)]
        );
        assert_eq!(small("he introduced us to the cfos", &[]), vec![]);
    }

    #[test]
    fn typography_does_not_matter() {
        // curly apostrophe, full-width letters, spaces between Chinese characters
        assert_eq!(
            found("They don’t need it.", &[]),
            vec![finding("objection.no_need", None)]
        );
        assert_eq!(
            found("对方同意先做ＰＯＣ。", &[]),
            vec![finding("signal.agreed_next_step", None)]
        );
        assert_eq!(
            small("没有 预算", &[]),
            vec![finding("objection.no_budget", None)]
        );
        assert_eq!(
            small("没有\u{200B}预算", &[]),
            vec![finding("objection.no_budget", None)]
        );
    }

    #[test]
    fn one_finding_per_concept_and_speaker_per_clause_in_order_of_appearance() {
        assert_eq!(
            small("没有预算也没有预算", &[]),
            vec![finding("objection.no_budget", None)]
        );
        assert_eq!(
            small("没有预算，没有预算", &[]),
            vec![
                finding("objection.no_budget", None),
                finding("objection.no_budget", None)
            ]
        );
        assert_eq!(
            small("同意技术交流，不需要", &[]),
            vec![
                finding("signal.agreed_tech_exchange", None),
                finding("objection.no_need", None)
            ]
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let detector = shipped();
        let odd = [
            "",
            " ",
            "\n\n\r\n",
            "，。；！？、",
            "...",
            ".a.b.c",
            "e.g.",
            "*",
            "{senior}",
            "\u{0}\u{1}\u{7f}",
            "\u{200B}\u{FEFF}\u{200D}",
            "e\u{301}\u{301}\u{301}",
            "🙂🙂 no budget 🙂",
            "مرحبا no budget שלום",
            "\u{202E}没有预算\u{202C}",
            "İstanbul ǅ ß ﬁ",
            "𠀀𠀁 没有预算 𪚥",
            "但是但是但是",
            "but but but",
        ];
        for text in odd {
            let _ = detector.detect(text, &[]);
            let _ = detector.detect(text, &["", " ", "*", "🙂", "李总", "e\u{301}", "but"]);
        }
        assert_eq!(
            detector.detect("🙂🙂 no budget 🙂", &["🙂"]).len(),
            1,
            "emoji around a phrase do not hide it"
        );
    }

    #[test]
    fn very_long_text_is_read_in_linear_time() {
        let detector = shipped();
        let long_clause = "预算".repeat(50_000) + "用完";
        assert_eq!(detector.detect(&long_clause, &["李总"]).len(), 1);
        let negators = "不".repeat(100_000) + "需要";
        let _ = detector.detect(&negators, &[]);
        let words = "no need budget agreed tech exchange ".repeat(5_000);
        let _ = detector.detect(&words, &["no", "need"]);
        let note = "李总说今年预算已经用完了，明年再看。王工同意下周安排技术交流会。".repeat(2_000);
        assert_eq!(detector.detect(&note, &["李总", "王工"]).len(), 4_000);
    }

    #[test]
    fn the_detector_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Detector>();
        let detector = shipped();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    assert_eq!(detector.detect("没有预算", &[]).len(), 1);
                });
            }
        });
    }

    #[test]
    fn problems_name_the_concept_and_the_pattern() {
        let broken = config(
            r#"
detection:
  clause_breaks: {zh: [但是], en: ["b*ut"]}
  negators: {zh: [""]}
  words:
    title: {zh: [老板]}
  concepts:
    objection.no_budgte:
      zh: [没有预算]
    objection.no_need:
      zh: ["  ", "*", "不需要，", 不需要, 不需要, "引荐*{boss}", "介绍*{title", "同意*但是*交流"]
      en: ["{title} * x"]
    signal.agreed_next_step: {}
"#,
        );
        let problems = broken.problems();
        let expected = [
            "clause_breaks: en pattern #1 `b*ut` contains `*`",
            "negators: zh pattern #1 `` is empty",
            "unknown concept `objection.no_budgte` — did you mean `objection.no_budget`?",
            "concept `objection.no_need`: zh pattern #1 `  ` is empty",
            "concept `objection.no_need`: zh pattern #2 `*` has only `*` and spaces",
            "concept `objection.no_need`: zh pattern #3 `不需要，` can never match: `，` ends a clause",
            "concept `objection.no_need`: zh pattern #5 `不需要` repeats an earlier pattern",
            "concept `objection.no_need`: zh pattern #6 `引荐*{boss}` uses the unknown word list `{boss}`",
            "concept `objection.no_need`: zh pattern #7 `介绍*{title` has a `{` without its `}`",
            "concept `objection.no_need`: zh pattern #8 `同意*但是*交流` can never match",
            "concept `objection.no_need`: en pattern #1 `{title} * x` uses `{title}`, which has no en words",
            "concept `signal.agreed_next_step` has no zh or en patterns",
        ];
        for fragment in expected {
            assert!(
                problems.iter().any(|p| p.contains(fragment)),
                "no problem mentions {fragment:?}; got:\n{}",
                problems.join("\n")
            );
        }
        assert_eq!(problems.len(), expected.len(), "{}", problems.join("\n"));
        // broken lines are skipped; the rest still works
        let detector = broken.compile();
        assert_eq!(detector.detect("不需要", &[]).len(), 1);
    }

    #[test]
    fn an_empty_config_detects_nothing() {
        let detector = DetectionConfig::default().compile();
        assert_eq!(detector.detect("没有预算 no budget", &["李总"]), vec![]);
        assert_eq!(DetectionConfig::default().problems(), Vec::<String>::new());
    }

    #[test]
    fn unknown_keys_in_the_phrase_data_are_rejected() {
        let typo = "detection:\n  negator: {zh: [不]}\n";
        assert!(serde_yaml::from_str::<PlaybookFile>(typo).is_err());
        let language = "detection:\n  concepts:\n    objection.no_need: {ja: [いらない]}\n";
        assert!(serde_yaml::from_str::<PlaybookFile>(language).is_err());
    }

    #[test]
    fn expected_findings_are_a_concept_or_a_concept_with_its_speaker() {
        let yaml = r#"
corpus:
  - text: a
    expect: [objection.no_budget, {concept: signal.agreed_next_step, from: 李总}, {concept: objection.no_need}]
"#;
        let entries = match serde_yaml::from_str::<CorpusFile>(yaml) {
            Ok(file) => file.corpus,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(
            entries[0].expect,
            vec![
                ExpectedFinding {
                    concept: "objection.no_budget".into(),
                    from: None
                },
                ExpectedFinding {
                    concept: "signal.agreed_next_step".into(),
                    from: Some("李总".into())
                },
                ExpectedFinding {
                    concept: "objection.no_need".into(),
                    from: None
                },
            ]
        );
        for bad in [
            "corpus: [{text: a, expect: [{concept: x, form: 李总}]}]",
            "corpus: [{text: a, expect: [{from: 李总}]}]",
            "corpus: [{text: a, expect: [[x]]}]",
        ] {
            assert!(serde_yaml::from_str::<CorpusFile>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scoring_counts_misses_extras_and_wrong_speakers() {
        let entries = match serde_yaml::from_str::<CorpusFile>(
            r#"
corpus:
  - text: 没有预算
    expect: [objection.no_budget]
  - text: 李总没有预算
    names: [李总]
    expect: [objection.no_budget]
  - text: 不需要
  - text: 天气很好
    expect: [objection.no_need]
"#,
        ) {
            Ok(file) => file.corpus,
            Err(error) => panic!("{error}"),
        };
        let score = score_corpus(&config(SMALL).compile(), &entries);
        assert_eq!(
            (
                score.true_positives,
                score.false_positives,
                score.false_negatives
            ),
            (1, 2, 2)
        );
        assert_eq!(score.failures.len(), 3, "{:#?}", score.failures);
        assert!(score.failures[0].contains("#2") && score.failures[0].contains("from 李总"));
        assert!((score.precision() - 1.0 / 3.0).abs() < 1e-9);
        assert!((score.recall() - 1.0 / 3.0).abs() < 1e-9);
        let empty = CorpusScore::default();
        assert_eq!((empty.precision(), empty.recall()), (1.0, 1.0));
    }

    #[test]
    fn the_corpus_is_detected_exactly_as_labelled() {
        let score = score_corpus(&playbook().compile(), &corpus());
        assert!(
            score.precision() == 1.0 && score.recall() == 1.0,
            "precision {:.3}, recall {:.3}; {} failures:\n{}",
            score.precision(),
            score.recall(),
            score.failures.len(),
            score.failures.join("\n")
        );
    }

    #[test]
    fn the_shipped_phrase_data_has_no_problems() {
        assert_eq!(playbook().problems(), Vec::<String>::new());
    }
}
