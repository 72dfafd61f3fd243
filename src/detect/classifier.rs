//! A naive Bayes classifier over character and word n-grams, trained from the labelled
//! example clauses of the playbook folder (`detection.examples`) when the phrase data is
//! compiled (for the built-in playbooks, by build.rs: see `detect::prepared`).
//!
//! Patterns give precision; this gives recall: a clause no pattern matched is put in the
//! class whose examples it most resembles — Chinese character bigrams and trigrams,
//! English words and word pairs — and reported when that class is a concept and the
//! classifier is sure enough. Binarised multinomial naive Bayes was chosen for being
//! small, exact to explain (every feature's weight is a count), deterministic, and
//! trained in about a millisecond from a thousand clauses, so nothing is cached.
//! Each finding names the labelled examples nearest to the clause.

use indexmap::IndexMap;
use serde::Deserialize;

use super::matcher::{Hit, Matcher};
use super::prepared::{blob_struct, Blob};
use super::text::{is_cjk, is_word_char, normalize_sentence, Normalized, Spellings};
use super::Concept;

/// The class of example clauses that mean none of the concepts.
pub(super) const NOTHING: &str = "none";

/// When the classifier may report a concept on its own (`detection.classifier`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierSettings {
    /// The probability the class must reach (0 to 1).
    pub min_probability: f64,
    /// How many of the clause's n-grams the examples must know: a clause that shares one
    /// or two with them is not evidence of anything.
    pub min_known_features: usize,
    /// Laplace smoothing of the n-gram counts.
    pub smoothing: f64,
}

impl Default for ClassifierSettings {
    fn default() -> Self {
        ClassifierSettings {
            min_probability: 0.9,
            min_known_features: 3,
            smoothing: 0.5,
        }
    }
}

blob_struct!(ClassifierSettings {
    min_probability,
    min_known_features,
    smoothing
});

impl ClassifierSettings {
    pub(super) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(0.0..=1.0).contains(&self.min_probability) {
            problems.push(format!(
                "detection: classifier: min_probability {} must be between 0 and 1",
                self.min_probability
            ));
        }
        if self.smoothing.is_nan() || self.smoothing <= 0.0 {
            problems.push(format!(
                "detection: classifier: smoothing {} must be above 0",
                self.smoothing
            ));
        }
        problems
    }
}

/// The labelled example clauses, as written: (class, text). The class is a concept's
/// index, or `None` for [`NOTHING`].
#[derive(Debug, Clone, Default)]
pub(super) struct Examples {
    labelled: Vec<(Option<u16>, String)>,
}

impl Examples {
    pub(super) fn new(examples: &IndexMap<String, Vec<String>>, concepts: &[Concept]) -> Self {
        let mut labelled = Vec::new();
        for (class, sentences) in examples {
            let index = if class == NOTHING {
                None
            } else {
                match concepts.iter().position(|concept| &concept.id == class) {
                    Some(index) => Some(index as u16),
                    None => continue, // an unknown class is a problem `check` reports
                }
            };
            labelled.extend(
                sentences
                    .iter()
                    .filter(|text| !text.trim().is_empty())
                    .map(|text| (index, text.clone())),
            );
        }
        Examples { labelled }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.labelled.is_empty()
    }
}

/// What the classifier says about one clause.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Verdict {
    /// The concept's index.
    pub(super) concept: u16,
    pub(super) probability: f64,
}

/// The trained model.
#[derive(Debug, Clone, Default)]
pub(super) struct Classifier {
    /// Concepts, then [`NOTHING`] last.
    classes: usize,
    log_prior: Vec<f64>,
    /// Known features, sorted, and per feature how many examples of each class hold it.
    /// The log-likelihoods are computed when a clause is classified, for its few
    /// features only: computing them all at start would cost more than the training.
    features: FeatureMap,
    counts: Vec<u16>,
    /// Per class, ln(features seen in the class + smoothing × vocabulary).
    log_denominator: Vec<f64>,
    /// ln(count + smoothing) for the small counts most features have.
    log_numerator: Vec<f64>,
    /// The training clauses: class, sorted features, text.
    examples: Vec<(usize, Vec<u64>, String)>,
    settings: ClassifierSettings,
}

blob_struct!(Classifier {
    classes,
    log_prior,
    features,
    counts,
    log_denominator,
    log_numerator,
    examples,
    settings
});

impl Classifier {
    /// Trains on `examples`; `concepts` is how many concept classes there are.
    pub(super) fn train(
        examples: &Examples,
        concepts: usize,
        spellings: &Spellings,
        matcher: &Matcher,
        settings: ClassifierSettings,
    ) -> Classifier {
        let classes = concepts + 1;
        let mut scratch = Normalized::default();
        let mut normalized = Normalized::default();
        let mut hits = Vec::new();
        let mut trained: Vec<(usize, Vec<u64>, String)> = Vec::new();
        for (class, text) in &examples.labelled {
            normalize_sentence(text, 0, spellings, &mut scratch, &mut normalized);
            matcher.scan(&normalized, &mut hits);
            let mut features = Vec::new();
            features_of(&normalized.chars, &hits, matcher, &mut features);
            let class = class.map_or(concepts, usize::from);
            trained.push((class, features, text.clone()));
        }
        let mut vocabulary_index: FeatureMap = FeatureMap::default();
        let mut counts: Vec<u16> = Vec::new();
        let mut per_class_total = vec![0u64; classes];
        let mut per_class_examples = vec![0u64; classes];
        for (class, features, _) in &trained {
            per_class_examples[*class] += 1;
            per_class_total[*class] += features.len() as u64;
            for feature in features {
                let next = vocabulary_index.len() as u32;
                let at = *vocabulary_index.entry(*feature).or_insert(next) as usize;
                if at == next as usize {
                    counts.resize(counts.len() + classes, 0);
                }
                let count = &mut counts[at * classes + class];
                *count = count.saturating_add(1);
            }
        }
        let vocabulary = vocabulary_index.len() as f64;
        let alpha = settings.smoothing;
        let log_denominator = per_class_total
            .iter()
            .map(|&total| (total as f64 + alpha * vocabulary).ln())
            .collect();
        let log_numerator = (0..SMALL_COUNTS)
            .map(|count| (count as f64 + alpha).ln())
            .collect();
        let total_examples = trained.len().max(1) as f64;
        let log_prior = per_class_examples
            .iter()
            .map(|&n| ((n as f64 + 1.0) / (total_examples + classes as f64)).ln())
            .collect();
        Classifier {
            classes,
            log_prior,
            features: vocabulary_index,
            counts,
            log_denominator,
            log_numerator,
            examples: trained,
            settings,
        }
    }

    /// The concept a clause most likely states, if the classifier is sure enough and
    /// the clause shares enough features with the examples. `features` are the
    /// clause's, from [`features_of`].
    pub(super) fn classify(&self, features: &[u64]) -> Option<Verdict> {
        if self.features.is_empty() {
            return None;
        }
        let mut scores = self.log_prior.clone();
        let mut known = 0;
        for feature in features.iter() {
            let Some(&at) = self.features.get(feature) else {
                continue;
            };
            let at = at as usize;
            known += 1;
            let row = &self.counts[at * self.classes..(at + 1) * self.classes];
            for ((score, &count), denominator) in
                scores.iter_mut().zip(row).zip(&self.log_denominator)
            {
                let numerator = match self.log_numerator.get(usize::from(count)) {
                    Some(&ln) => ln,
                    None => (f64::from(count) + self.settings.smoothing).ln(),
                };
                *score += numerator - denominator;
            }
        }
        if known < self.settings.min_known_features {
            return None;
        }
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(class, _)| class)?;
        if best + 1 == self.classes {
            return None; // nothing
        }
        let top = scores[best];
        let sum: f64 = scores.iter().map(|score| (score - top).exp()).sum();
        let probability = 1.0 / sum;
        (probability >= self.settings.min_probability).then_some(Verdict {
            concept: best as u16,
            probability,
        })
    }

    /// The labelled examples of `concept` most like the clause (by shared features),
    /// best first: what a trainer reads to see why the classifier decided.
    pub(super) fn nearest(&self, features: &[u64], concept: u16, count: usize) -> Vec<String> {
        let mut scored: Vec<(f64, &str)> = self
            .examples
            .iter()
            .filter(|(class, _, _)| *class == usize::from(concept))
            .map(|(_, theirs, text)| (similarity(features, theirs), text.as_str()))
            .filter(|(score, _)| *score > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(count)
            .map(|(_, text)| text.to_owned())
            .collect()
    }
}

/// Cosine similarity of two sorted feature sets, on what they say (not on whether they
/// are negated, which every clause is or is not).
fn similarity(a: &[u64], b: &[u64]) -> f64 {
    let content = |f: &u64| *f != NEGATED && *f != NOT_NEGATED;
    let (size_a, size_b) = (
        a.iter().filter(|f| content(f)).count(),
        b.iter().filter(|f| content(f)).count(),
    );
    if size_a == 0 || size_b == 0 {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += usize::from(content(&a[i]));
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / ((size_a * size_b) as f64).sqrt()
}

/// The features of a normalised clause, sorted and without repeats: Chinese character
/// bigrams and trigrams (a lone character on its own), English words and word pairs,
/// and for every word of the playbook found in it (`hits`), that word and each word
/// list it belongs to — the playbook's lists are the classifier's dictionary, so 经费
/// in a note counts like 预算 in an example.
pub(super) fn features_of(chars: &[char], hits: &[Hit], matcher: &Matcher, out: &mut Vec<u64>) {
    out.clear();
    for hit in hits {
        out.push(LEXEME ^ u64::from(hit.lexeme));
        for list in matcher.lists_of(hit.lexeme) {
            out.push(LIST ^ u64::from(list));
        }
    }
    // Whether the clause says "not": a naive Bayes model counts only the features a
    // clause has, so the absence of a negation must be a feature too, or 他们很着急
    // would look like 他们不着急.
    let negated = hits.iter().any(|hit| matcher.is_negator(hit.lexeme));
    out.push(if negated { NEGATED } else { NOT_NEGATED });
    let mut at = 0;
    let mut previous_word: Option<u64> = None;
    while at < chars.len() {
        let c = chars[at];
        if is_cjk(c) {
            let start = at;
            while at < chars.len() && is_cjk(chars[at]) {
                at += 1;
            }
            let run = &chars[start..at];
            if run.len() == 1 {
                out.push(hash(1, run));
            }
            for size in [2, 3] {
                out.extend(run.windows(size).map(|gram| hash(size as u8, gram)));
            }
            previous_word = None;
        } else if is_word_char(c) {
            let start = at;
            while at < chars.len() && (is_word_char(chars[at]) || chars[at] == '\'') {
                at += 1;
            }
            let word = hash(10, &chars[start..at]);
            out.push(word);
            if let Some(previous) = previous_word {
                out.push(previous.rotate_left(17) ^ word ^ 0x9E37_79B9_7F4A_7C15);
            }
            previous_word = Some(word);
        } else {
            if c != ' ' && c != '\'' {
                previous_word = None;
            }
            at += 1;
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// Feature → its row in the counts. Features are already hashes: the map's hasher only
/// mixes them, rather than hashing them again with the standard library's SipHash.
type FeatureMap = std::collections::HashMap<u64, u32, std::hash::BuildHasherDefault<MixHasher>>;

#[derive(Default)]
struct MixHasher(u64);

/// Written in row order, which is the order training inserted the features in: read
/// back, the map is built by the same inserts.
impl Blob for FeatureMap {
    fn put(&self, out: &mut Vec<u8>) {
        let mut rows: Vec<(u32, u64)> =
            self.iter().map(|(&feature, &row)| (row, feature)).collect();
        rows.sort_unstable();
        rows.put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let rows = Vec::<(u32, u64)>::take(input)?;
        let mut map = FeatureMap::default();
        for (row, feature) in rows {
            map.insert(feature, row);
        }
        Some(map)
    }
}

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (value ^ (value >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
}

/// Counts below this have their logarithm in a table.
const SMALL_COUNTS: usize = 64;

/// Seeds of the features that are not n-grams.
const LEXEME: u64 = 0x9E37_79B9_0000_0000;
const LIST: u64 = 0x5BD1_E995_0000_0000;
const NEGATED: u64 = 0xC2B2_AE35_0000_0001;
const NOT_NEGATED: u64 = 0xC2B2_AE35_0000_0002;

/// FNV-1a over the characters, seeded with the n-gram kind.
fn hash(kind: u8, chars: &[char]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ u64::from(kind);
    for &c in chars {
        hash ^= u64::from(c);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concepts(ids: &[&str]) -> Vec<Concept> {
        ids.iter()
            .map(|id| Concept {
                id: (*id).to_owned(),
                is_objection: id.starts_with("objection."),
                in_questions: false,
                anchors: Vec::new(),
            })
            .collect()
    }

    fn trained(examples: &[(&str, &[&str])]) -> Classifier {
        let ids: Vec<&str> = examples
            .iter()
            .map(|(class, _)| *class)
            .filter(|class| *class != NOTHING)
            .collect();
        let concepts = concepts(&ids);
        let map: IndexMap<String, Vec<String>> = examples
            .iter()
            .map(|(class, texts)| {
                (
                    (*class).to_owned(),
                    texts.iter().map(|t| (*t).to_owned()).collect(),
                )
            })
            .collect();
        let settings = ClassifierSettings {
            min_probability: 0.6,
            min_known_features: 1,
            smoothing: 0.5,
        };
        Classifier::train(
            &Examples::new(&map, &concepts),
            concepts.len(),
            &Spellings::default(),
            &Matcher::default(),
            settings,
        )
    }

    fn chars(text: &str) -> Vec<char> {
        let mut out = Normalized::default();
        super::super::text::normalize_into(text, 0, &mut out);
        out.chars
    }

    fn features(text: &str) -> Vec<u64> {
        let mut out = Vec::new();
        features_of(&chars(text), &[], &Matcher::default(), &mut out);
        out
    }

    #[test]
    fn features_are_chinese_bigrams_and_trigrams_and_english_words_and_pairs() {
        // n-grams, and whether the clause is negated
        assert_eq!(features("预算紧张").len(), 3 + 2 + 1);
        assert_eq!(features("no budget left").len(), 3 + 2 + 1);
        assert_eq!(features("预").len(), 1 + 1);
        assert_eq!(features("预"), features("预"), "deterministic");
    }

    #[test]
    fn a_clause_goes_to_the_class_whose_examples_it_shares_most_with() {
        let model = trained(&[
            (
                "objection.no_budget",
                &["今年预算很紧张", "钱不够用", "budget is tight"],
            ),
            (
                "objection.no_need",
                &["现在的系统够用", "用不上这个功能", "no use for it"],
            ),
            (
                NOTHING,
                &["今天拜访了客户", "天气不错", "visited the plant"],
            ),
        ]);
        let verdict = model.classify(&features("他们的预算有点紧张"));
        assert_eq!(verdict.map(|v| v.concept), Some(0));
        let verdict = model.classify(&features("the budget is really tight"));
        assert_eq!(verdict.map(|v| v.concept), Some(0));
        let verdict = model.classify(&features("系统够用了"));
        assert_eq!(verdict.map(|v| v.concept), Some(1));
        assert_eq!(model.classify(&features("下午拜访了客户")), None);
        assert_eq!(model.classify(&features("完全无关的一句话")), None);
    }

    #[test]
    fn the_nearest_examples_explain_a_verdict() {
        let model = trained(&[
            ("objection.no_budget", &["今年预算很紧张", "钱不够用"]),
            (NOTHING, &["今天拜访了客户"]),
        ]);
        assert_eq!(
            model.nearest(&features("预算紧张"), 0, 2),
            vec!["今年预算很紧张".to_owned()]
        );
    }

    #[test]
    fn no_examples_no_verdict() {
        let model = trained(&[]);
        assert_eq!(model.classify(&features("预算紧张")), None);
    }
}
