//! Scoring the detector on a labelled corpus.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

use super::*;

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
