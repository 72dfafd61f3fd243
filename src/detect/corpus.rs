//! Scoring the detector on a labelled corpus.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

use super::*;

/// Scores a labelled corpus. A finding is keyed by (concept, from): the right concept
/// credited to the wrong person is one false positive and one false negative, because
/// the coach would answer the wrong stakeholder.
pub fn score_corpus(detector: &Detector, corpus: &[CorpusEntry]) -> CorpusScore {
    let mut score = CorpusScore {
        sentences: corpus.len(),
        ..CorpusScore::default()
    };
    for (index, entry) in corpus.iter().enumerate() {
        let mut unmatched: Vec<Finding> = detector.detect(&entry.text, &entry.speakers());
        let mut missing = Vec::new();
        for expected in &entry.expect {
            let found = unmatched
                .iter()
                .position(|f| f.concept == expected.concept && f.from == expected.from);
            match found {
                Some(position) => {
                    unmatched.remove(position);
                    score.count(&expected.concept, |tally| tally.true_positives += 1);
                }
                None => {
                    score.count(&expected.concept, |tally| tally.false_negatives += 1);
                    missing.push(expected);
                }
            }
        }
        for finding in &unmatched {
            score.count(&finding.concept, |tally| tally.false_positives += 1);
        }
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
    /// A title the note may use instead of a name (`CFO`, `财务总监`) → the name of the
    /// stakeholder who holds it, as a deal's `stakeholders[].title` says.
    #[serde(default)]
    pub titles: indexmap::IndexMap<String, String>,
    #[serde(default)]
    pub expect: Vec<ExpectedFinding>,
}

impl CorpusEntry {
    /// The entry's stakeholders: each name, and each title with its holder.
    pub fn speakers(&self) -> Vec<Speaker<'_>> {
        let mut speakers: Vec<Speaker> =
            self.names.iter().map(|name| Speaker::named(name)).collect();
        speakers.extend(self.titles.iter().map(|(title, name)| Speaker {
            name,
            title: Some(title),
        }));
        speakers
    }
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

/// True and false positives and false negatives of one concept, or of all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Tally {
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

    fn add(&mut self, other: &Tally) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

/// How well the detector reads a labelled corpus: overall, per concept, and the
/// sentences it did not read exactly as labelled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CorpusScore {
    pub sentences: usize,
    pub total: Tally,
    /// Per concept, in the order of the detectable concepts.
    pub per_concept: Vec<(String, Tally)>,
    pub failures: Vec<String>,
}

impl CorpusScore {
    pub fn precision(&self) -> f64 {
        self.total.precision()
    }

    pub fn recall(&self) -> f64 {
        self.total.recall()
    }

    /// Adds another corpus's score (another file of the same part).
    pub fn add(&mut self, other: &CorpusScore) {
        self.sentences += other.sentences;
        // `count` keeps `total` in step with the concepts
        for (concept, tally) in &other.per_concept {
            self.count(concept, |mine| mine.add(tally));
        }
        self.failures.extend(other.failures.iter().cloned());
    }

    fn count(&mut self, concept: &str, change: impl FnOnce(&mut Tally)) {
        let at = match self.per_concept.iter().position(|(c, _)| c == concept) {
            Some(at) => at,
            None => {
                self.per_concept
                    .push((concept.to_owned(), Tally::default()));
                let rank = |c: &str| {
                    KNOWN_CONCEPTS
                        .iter()
                        .position(|known| *known == c)
                        .unwrap_or(KNOWN_CONCEPTS.len())
                };
                self.per_concept
                    .sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then(a.cmp(b)));
                self.per_concept
                    .iter()
                    .position(|(c, _)| c == concept)
                    .unwrap_or_default()
            }
        };
        let before = self.per_concept[at].1;
        change(&mut self.per_concept[at].1);
        let after = self.per_concept[at].1;
        self.total.true_positives += after.true_positives - before.true_positives;
        self.total.false_positives += after.false_positives - before.false_positives;
        self.total.false_negatives += after.false_negatives - before.false_negatives;
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}
