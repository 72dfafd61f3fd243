//! Reading one note: sentence by sentence, clause by clause — what the patterns and the
//! classifier find, what cancels it, and who said it.

use super::classifier::Classifier;
use super::matcher::{FrameMatch, Hit, Role};
use super::speakers::{SentenceView, SpeakerHit, SpeakerTable};
use super::text::{normalize_sentence, sentences, Normalized, Sentence, CLAUSE_MARK};
use super::{Basis, Detector, Finding};

/// Characters that frame the customer's words rather than belong to them.
const EVIDENCE_TRIM: [char; 19] = [
    '"', '\'', '“', '”', '‘', '’', '「', '」', '『', '』', '-', '*', '•', '·', '—', '\u{200B}',
    ':', '：', ',',
];

/// How many labelled examples explain a classifier finding.
const EXAMPLES_SHOWN: usize = 2;

pub(super) fn read_note(detector: &Detector, text: &str, table: &SpeakerTable) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    WORK.with(|cell| match cell.try_borrow_mut() {
        Ok(mut work) => {
            for sentence in sentences(text) {
                work.read_sentence(detector, text, sentence, table, &mut findings);
            }
            work.shrink_after_huge_input();
        }
        Err(_) => {
            let mut work = Work::default();
            for sentence in sentences(text) {
                work.read_sentence(detector, text, sentence, table, &mut findings);
            }
        }
    });
    findings
}

thread_local! {
    static WORK: std::cell::RefCell<Work> = std::cell::RefCell::new(Work::default());
}

/// Buffers reused sentence after sentence, kept per thread, so reading a note allocates
/// little more than its findings.
#[derive(Default)]
struct Work {
    scratch: Normalized,
    sentence: Normalized,
    hits: Vec<Hit>,
    clause_hits: Vec<Hit>,
    breaks: Vec<(u32, u32)>,
    clauses: Vec<(u32, u32)>,
    by_lexeme: Vec<u32>,
    spans: Vec<(u32, u32)>,
    matches: Vec<(usize, FrameMatch)>,
    speakers: Vec<SpeakerHit>,
    features: Vec<u64>,
    words: Vec<char>,
}

impl Work {
    /// Buffers sized for a megabyte-long note are not worth keeping for the next one.
    fn shrink_after_huge_input(&mut self) {
        const KEEP_UP_TO: usize = 1 << 16;
        if self.sentence.chars.capacity() > KEEP_UP_TO || self.hits.capacity() > KEEP_UP_TO {
            *self = Work::default();
        }
    }

    fn read_sentence(
        &mut self,
        detector: &Detector,
        text: &str,
        sentence: Sentence,
        table: &SpeakerTable,
        findings: &mut Vec<Finding>,
    ) {
        let body = text.get(sentence.start..sentence.end).unwrap_or_default();
        normalize_sentence(
            body,
            sentence.start,
            &detector.spellings,
            &mut self.scratch,
            &mut self.sentence,
        );
        if self.sentence.chars.is_empty() {
            return;
        }
        detector.matcher.scan(&self.sentence, &mut self.hits);
        table.find(&self.sentence, &mut self.speakers);
        // a word inside a name is part of the name (总 in 李总, 不 in 不二): only a title
        // that is itself a word of a list (CFO) is kept
        if !self.speakers.is_empty() {
            let speakers = &self.speakers;
            self.hits.retain(|hit| {
                !speakers.iter().any(|name| {
                    name.start <= hit.start
                        && hit.end <= name.end
                        && (name.start, name.end) != (hit.start, hit.end)
                })
            });
        }
        detector.matcher.clause_breaks(&self.hits, &mut self.breaks);
        self.split_clauses();
        self.matches.clear();
        self.spans.clear();
        for (index, &(start, end)) in self.clauses.iter().enumerate() {
            self.clause_hits.clear();
            let from = self.hits.partition_point(|hit| hit.start < start);
            self.clause_hits.extend(
                self.hits[from..]
                    .iter()
                    .take_while(|hit| hit.start < end)
                    .filter(|hit| hit.end <= end),
            );
            let before = self.matches.len();
            let mut found = Vec::new();
            detector.matcher.find_frames(
                &self.clause_hits,
                &self.sentence.chars,
                false,
                &mut self.by_lexeme,
                &mut self.spans,
                &mut found,
            );
            self.matches.extend(found.into_iter().map(|m| (index, m)));
            debug_assert!(self.matches.len() >= before);
        }
        // frames with a `**` gap, over the whole sentence; a match belongs to the clause
        // where it starts
        let mut found = Vec::new();
        detector.matcher.find_frames(
            &self.hits,
            &self.sentence.chars,
            true,
            &mut self.by_lexeme,
            &mut self.spans,
            &mut found,
        );
        for m in found {
            if let Some(index) = self.clauses.iter().position(|&(_, end)| m.start < end) {
                self.matches.push((index, m));
            }
        }
        let cues = Cues::collect(&self.matches);
        let mut words = std::mem::take(&mut self.words);
        let mut features = std::mem::take(&mut self.features);
        let reading = Reading {
            detector,
            sentence,
            clauses: &self.clauses,
            matches: &self.matches,
            spans: &self.spans,
            speakers: &self.speakers,
            hits: &self.hits,
        };
        let view = SentenceView {
            clauses: &self.clauses,
            speakers: &self.speakers,
            relayed: &cues.relayed,
            speech: &cues.speech,
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        for &(clause, found) in self.matches.iter() {
            let Role::Concept(concept) = found.role else {
                continue;
            };
            // a stakeholder's title as the first word (CTO答应把运维组叫上) is the speaker,
            // not a word of the concept
            let first = self.spans.get(found.spans.0 as usize).copied();
            if first.is_some_and(|(s, e)| self.speakers.iter().any(|h| (h.start, h.end) == (s, e)))
            {
                continue;
            }
            if reading.cancelled(concept, clause, found.start, Some(&found)) {
                continue;
            }
            let speaker = view.attribute(clause, found.start, found.end);
            let basis = Basis::Pattern {
                pattern: detector.matcher.pattern(found.source).to_owned(),
            };
            let evidence = self.evidence(text, &view, clause, speaker, found.start);
            candidates.push((found.start, concept, speaker, evidence, basis));
        }
        if let Some(classifier) = detector.classifier() {
            let scratch = (&mut words, &mut features);
            self.classify_clauses(&reading, &view, classifier, text, scratch, &mut candidates);
        }
        // in the order the words stand in the note, whatever found them
        candidates.sort_by_key(|candidate| candidate.0);
        for (_, concept, speaker, evidence, basis) in candidates {
            push_finding(detector, table, concept, speaker, evidence, basis, findings);
        }
        self.words = words;
        self.features = features;
    }

    /// The classifier, on each clause no pattern decided.
    fn classify_clauses(
        &self,
        reading: &Reading,
        view: &SentenceView,
        classifier: &Classifier,
        text: &str,
        (words, features): (&mut Vec<char>, &mut Vec<u64>),
        candidates: &mut Vec<Candidate>,
    ) {
        for clause in 0..self.clauses.len() {
            let has_pattern = self.matches.iter().any(|(c, found)| {
                *c == clause && matches!(found.role, Role::Concept(_) | Role::Unless(_))
            });
            if has_pattern {
                continue; // a pattern decided this clause, found or cancelled
            }
            self.classify_clause(
                reading,
                view,
                classifier,
                text,
                clause,
                (words, features),
                candidates,
            );
        }
    }

    /// Clauses end at clause punctuation and at the playbook's break words.
    fn split_clauses(&mut self) {
        self.clauses.clear();
        let chars = &self.sentence.chars;
        let mut start = 0u32;
        let mut breaks = self.breaks.iter().peekable();
        let mut at = 0u32;
        while (at as usize) < chars.len() {
            if let Some(&&(break_start, break_end)) = breaks.peek() {
                if break_start == at {
                    push_clause(&mut self.clauses, chars, start, at);
                    start = break_end;
                    at = break_end;
                    breaks.next();
                    continue;
                }
            }
            if chars[at as usize] == CLAUSE_MARK {
                push_clause(&mut self.clauses, chars, start, at);
                start = at + 1;
            }
            at += 1;
        }
        push_clause(&mut self.clauses, chars, start, chars.len() as u32);
    }

    #[allow(clippy::too_many_arguments)]
    fn classify_clause(
        &self,
        reading: &Reading,
        view: &SentenceView,
        classifier: &Classifier,
        text: &str,
        clause: usize,
        (words, features): (&mut Vec<char>, &mut Vec<u64>),
        candidates: &mut Vec<Candidate>,
    ) {
        let (clause_start, clause_end) = self.clauses[clause];
        // the words begin after the last stakeholder named before them in the clause
        // (客户说王总觉得太贵 → 太贵, from 王总), with the speech word after the name
        let leading = self
            .speakers
            .iter()
            .filter(|hit| hit.start >= clause_start && hit.end + 1 < clause_end)
            .max_by_key(|hit| hit.end)
            .copied();
        let words_start = match leading {
            Some(hit) => {
                let speech = self.matches.iter().find(|(_, m)| {
                    m.role == Role::Speech && m.start >= hit.end && m.start <= hit.end + 1
                });
                speech.map_or(hit.end, |(_, m)| m.end).min(clause_end)
            }
            None => clause_start,
        };
        // the words without the names in them: a name says nothing about the concept
        words.clear();
        for at in words_start..clause_end {
            let named = self.speakers.iter().any(|h| h.start <= at && at < h.end);
            words.push(if named {
                ' '
            } else {
                self.sentence.chars[at as usize]
            });
        }
        let clause_hits: Vec<Hit> = self
            .hits
            .iter()
            .filter(|hit| hit.start >= words_start && hit.end <= clause_end)
            .copied()
            .collect();
        super::classifier::features_of(words, &clause_hits, &reading.detector.matcher, features);
        let Some(verdict) = classifier.classify(features) else {
            return;
        };
        // the clause must be about the concept at all: a word of one of its anchor lists,
        // as written — 愿意 inside 不愿意 is no word of its own, and no acceptance
        let anchors = reading
            .detector
            .concepts
            .get(usize::from(verdict.concept))
            .map(|concept| concept.anchors.as_slice())
            .unwrap_or_default();
        let matcher = &reading.detector.matcher;
        let inside_a_longer_word = |hit: &Hit| {
            clause_hits.iter().any(|other| {
                other.start <= hit.start
                    && hit.end <= other.end
                    && other.end - other.start > hit.end - hit.start
            })
        };
        if !anchors.is_empty()
            && !clause_hits.iter().any(|hit| {
                matcher
                    .lists_of(hit.lexeme)
                    .any(|list| anchors.contains(&list))
                    && !inside_a_longer_word(hit)
            })
        {
            return;
        }
        if reading.cancelled(verdict.concept, clause, words_start, None) {
            return;
        }
        let speaker = view.attribute(clause, words_start, clause_end);
        let basis = Basis::Examples {
            probability: (verdict.probability * 100.0).floor() as u8,
            like: classifier.nearest(features, verdict.concept, EXAMPLES_SHOWN),
        };
        let evidence = self.evidence(text, view, clause, speaker, words_start);
        candidates.push((words_start, verdict.concept, speaker, evidence, basis));
    }

    /// The customer's words: the clause as the rep wrote it, from where the words begin
    /// (after the speaker when the speaker stands before them in the clause).
    fn evidence(
        &self,
        text: &str,
        view: &SentenceView,
        clause: usize,
        speaker: Option<SpeakerHit>,
        words: u32,
    ) -> String {
        let (clause_start, clause_end) = self.clauses[clause];
        // the speaker before the words in their clause is left out; so is one who only
        // relays a third party's view (吴姐说老板觉得太贵 → 老板觉得太贵)
        let leading = speaker
            .filter(|hit| hit.start >= clause_start && hit.end <= words)
            .or_else(|| {
                self.speakers
                    .iter()
                    .find(|hit| hit.start >= clause_start && hit.start <= clause_start + 1)
                    .filter(|hit| hit.end <= words)
                    .copied()
            });
        let from = match leading {
            Some(hit) => view.words_start(clause, Some(hit)).max(hit.end),
            None => clause_start,
        };
        let whole = self.sentence.original_range(clause_start, clause_end);
        let range = self.sentence.original_range(from, clause_end).or(whole);
        let quoted = |(start, end): (usize, usize)| {
            text.get(start..end)
                .unwrap_or_default()
                .trim_matches(|c: char| c.is_whitespace() || EVIDENCE_TRIM.contains(&c))
                .to_owned()
        };
        let words = range.map(quoted).unwrap_or_default();
        if words.is_empty() {
            whole.map(quoted).unwrap_or_default()
        } else {
            words
        }
    }
}

fn push_clause(clauses: &mut Vec<(u32, u32)>, chars: &[char], start: u32, end: u32) {
    let blank = chars[start as usize..end as usize]
        .iter()
        .all(|c| c.is_whitespace() || *c == CLAUSE_MARK);
    if end > start && !blank {
        clauses.push((start, end));
    }
}

/// A finding of one sentence before it joins the note's: where its words start, the
/// concept, the speaker, the evidence, what decided it.
type Candidate = (u32, u16, Option<SpeakerHit>, String, Basis);

/// One finding per (concept, speaker) in a note: a repeat adds its words to the first.
fn push_finding(
    detector: &Detector,
    table: &SpeakerTable,
    concept: u16,
    speaker: Option<SpeakerHit>,
    evidence: String,
    basis: Basis,
    findings: &mut Vec<Finding>,
) {
    let Some(concept) = detector.concepts.get(usize::from(concept)) else {
        return;
    };
    let from = speaker
        .and_then(|hit| table.name(hit.who))
        .map(str::to_owned);
    if let Some(known) = findings
        .iter_mut()
        .find(|f| f.concept == concept.id && f.from == from)
    {
        if !known.evidence.contains(&evidence) && !evidence.is_empty() {
            known.evidence.push_str(" / ");
            known.evidence.push_str(&evidence);
        }
        // a pattern is the better explanation when both decided
        if matches!(known.basis, Basis::Examples { .. }) && matches!(basis, Basis::Pattern { .. }) {
            known.basis = basis;
        }
        return;
    }
    findings.push(Finding {
        concept: concept.id.clone(),
        from,
        evidence,
        basis,
    });
}

/// The cues of one sentence, by kind: character ranges and their clause.
#[derive(Default)]
struct Cues {
    relayed: Vec<(u32, u32)>,
    speech: Vec<(u32, u32)>,
}

impl Cues {
    fn collect(matches: &[(usize, FrameMatch)]) -> Cues {
        let mut cues = Cues::default();
        for (_, found) in matches {
            match found.role {
                Role::Relayed => cues.relayed.push((found.start, found.end)),
                Role::Speech => cues.speech.push((found.start, found.end)),
                _ => {}
            }
        }
        cues
    }
}

/// One sentence as read: what decides whether a concept found in it stands.
struct Reading<'a> {
    detector: &'a Detector,
    sentence: Sentence,
    clauses: &'a [(u32, u32)],
    matches: &'a [(usize, FrameMatch)],
    spans: &'a [(u32, u32)],
    speakers: &'a [SpeakerHit],
    hits: &'a [Hit],
}

impl Reading<'_> {
    /// The cues of a role that stand on their own: not inside a not-negator (the "if" of
    /// "asked if", the 问 of 问题) nor inside a stakeholder's name.
    fn of_role(&self, role: Role) -> impl Iterator<Item = (usize, &FrameMatch)> {
        self.matches
            .iter()
            .filter(move |(_, found)| found.role == role)
            .filter(move |(_, found)| {
                matches!(role, Role::Concept(_) | Role::Shield)
                    || !self.matches.iter().any(|(_, shield)| {
                        shield.role == Role::Shield
                            && shield.start <= found.start
                            && found.end <= shield.end
                            && shield.end - shield.start > found.end - found.start
                    })
            })
            .map(|(clause, found)| (*clause, found))
    }

    /// Whether concept `concept`, found from `start` in clause `clause` (by the pattern
    /// match `found`, or by the classifier when `None`), is cancelled.
    fn cancelled(
        &self,
        concept: u16,
        clause: usize,
        start: u32,
        found: Option<&FrameMatch>,
    ) -> bool {
        let Some(info) = self.detector.concepts.get(usize::from(concept)) else {
            return true;
        };
        let in_clause = |c: &usize| *c == clause;
        // the concept's own exceptions
        if self
            .of_role(super::matcher::Role::Unless(concept))
            .any(|(c, _)| in_clause(&c))
        {
            return true;
        }
        // a question, or words after an asking word, state nothing — unless the concept
        // is a question itself
        if !info.in_questions
            && (self.sentence.is_question
                || self.of_role(Role::Asking).any(|(_, ask)| ask.start < start))
        {
            return true;
        }
        // a question about details is asked, not stated: it needs a question (a question
        // mark, an asking word, or a request), and a condition inside it does not cancel
        // it ("如果分三期付款，利息怎么算？")
        if info.in_questions {
            let asked = self.sentence.is_question
                || self.of_role(Role::Asking).next().is_some()
                || self.of_role(Role::Request).next().is_some();
            if !asked {
                return true;
            }
        } else if self.of_role(Role::Hypothetical).any(|(c, _)| c <= clause) {
            // a condition: from the start of its clause to the end of the sentence
            return true;
        }
        // our own side speaking, until someone on the customer's side is named or speaks;
        // after a stakeholder or a speech word, "we" is in the customer's reported words
        // (王总说我们可以先试点) and says nothing about who speaks, and a speech word after
        // our words hands the sentence over ("we went over the plan, they said …")
        if self.of_role(Role::Ours).any(|(c, ours)| {
            !self.reported_before(ours.start)
                && !self.speech_between(ours.end, start)
                && ((c == clause && ours.start <= start)
                    || (c < clause && !self.named_between(self.clauses[c].1, start)))
        }) {
            return true;
        }
        if info.is_objection {
            if self.of_role(Role::NotAProblem).any(|(c, _)| in_clause(&c)) {
                return true;
            }
            if self.of_role(Role::Resolved).any(|(_, r)| r.end > start) {
                return true;
            }
            // said before and taken back since (之前说用不上，这次调研后承认…)
            let past = self
                .of_role(Role::Past)
                .any(|(c, p)| c == clause && p.start <= start);
            if past && self.of_role(Role::Since).any(|(_, n)| n.start > start) {
                return true;
            }
        }
        self.negated(clause, start, found)
    }

    /// A stakeholder named, or a speech word (说, said), before `at` in the sentence.
    fn reported_before(&self, at: u32) -> bool {
        self.speakers.iter().any(|hit| hit.end <= at)
            || self
                .of_role(Role::Speech)
                .any(|(_, speech)| speech.end <= at)
    }

    fn speech_between(&self, from: u32, to: u32) -> bool {
        self.of_role(Role::Speech)
            .any(|(_, speech)| speech.start >= from && speech.end <= to)
    }

    fn named_between(&self, from: u32, to: u32) -> bool {
        self.speakers
            .iter()
            .any(|hit| hit.start >= from && hit.end <= to)
    }

    /// A free-standing negator before the words in their clause, or inside one of the
    /// pattern's gaps. A negator inside a pattern found in the clause belongs to it (没 in
    /// 没有预算), one inside a not-negator or not-a-problem phrase is part of it (不 in
    /// 不错), one inside a name is a name. For a classifier finding, which has no gaps,
    /// any free negator in the clause cancels a signal; an objection's words usually
    /// carry their own negation (不需要), which the classifier has learnt.
    fn negated(&self, clause: usize, start: u32, found: Option<&FrameMatch>) -> bool {
        let inside =
            |outer: (u32, u32), inner: &FrameMatch| outer.0 <= inner.start && inner.end <= outer.1;
        let bound = |negator: &FrameMatch| {
            self.matches.iter().any(|(c, other)| {
                *c == clause
                    && match other.role {
                        Role::Shield | Role::NotAProblem => {
                            inside((other.start, other.end), negator)
                        }
                        Role::Concept(_) => self.spans
                            [other.spans.0 as usize..other.spans.1 as usize]
                            .iter()
                            .any(|&span| inside(span, negator)),
                        _ => false,
                    }
            }) || self
                .speakers
                .iter()
                .any(|hit| inside((hit.start, hit.end), negator))
        };
        let (clause_start, clause_end) = self.clauses[clause];
        self.of_role(Role::Negator)
            .filter(|(c, _)| *c == clause)
            .filter(|(_, negator)| !bound(negator))
            .any(|(_, negator)| match found {
                Some(found) => {
                    let pieces = &self.spans[found.spans.0 as usize..found.spans.1 as usize];
                    negator.start < start
                        || pieces
                            .windows(2)
                            .any(|pair| negator.start >= pair[0].1 && negator.start < pair[1].0)
                }
                // a classifier finding has no gaps: any negator among its words cancels
                // it, unless the negator is part of a longer word of the playbook's lists
                // (不 in 用不上, 没 in 没把握), which the classifier has learnt as a whole
                None => {
                    negator.start >= clause_start
                        && negator.end <= clause_end
                        && !self.hits.iter().any(|hit| {
                            hit.start <= negator.start
                                && negator.end <= hit.end
                                && hit.end - hit.start > negator.end - negator.start
                                && self.detector.matcher.lists_of(hit.lexeme).next().is_some()
                        })
                }
            })
    }
}
