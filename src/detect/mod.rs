//! Detection of objections (the four rejections, 四大拒绝) and buying signals (一步成交的
//! 四个标志, and questions about details) in the free text reps write: `deal.notes` and
//! `activities[].note`.
//!
//! Reps write notes, not structured fields, so the coach has to read them. Everything that
//! decides *what* counts as an objection or a signal is playbook data (`detection:` in
//! `playbooks/detection*.yaml`) so trainers can tune it without recompiling; this module
//! only knows *how* to read a note:
//!
//! 1. [`text`]: the note is cut into sentences, folded (case, width, spacing, the
//!    playbook's spellings: 我门 → 我们) and cut into clauses at punctuation and the
//!    playbook's `clause_breaks` (但是, but), because negation and attribution in notes
//!    rarely reach across a comma.
//! 2. [`matcher`]: every pattern — a frame of words and `{word lists}` with `*` gaps — is
//!    found with one pass of a two-character index over each sentence.
//! 3. [`read`]: a concept's match stands unless something cancels it: a negator before it
//!    or in its gaps (one inside the pattern belongs to it: 没有预算), a "not a problem"
//!    or "resolved" phrase (objections), a condition (如果, if), our own side speaking,
//!    or a question (except for concepts that are questions, such as asked_details).
//! 4. [`classifier`]: a clause no pattern matched goes to a naive Bayes classifier
//!    trained from the playbook's labelled example clauses; it reports a concept when
//!    sure, under the same cancellations.
//! 5. [`speakers`]: the stakeholder named (or titled: 财务总监, CFO) nearest before the
//!    words said them, unless a third party's view is being relayed; the evidence quotes
//!    the customer's words without the speaker.
//!
//! Every finding says what decided it: the pattern, or the nearest labelled examples.
//! The compiled [`Detector`] is immutable and shared by every thread of `review`.

mod classifier;
mod config;
mod corpus;
#[cfg(test)]
mod cue_tests;
mod matcher;
mod prepared;
mod read;
mod speakers;
#[cfg(test)]
mod tests;
mod text;

pub use classifier::ClassifierSettings;
pub use config::{ConceptPhrases, CorpusGoal, DetectionConfig, LanguagePhrases};
pub use corpus::{score_corpus, CorpusEntry, CorpusScore, ExpectedFinding, Tally};
pub use prepared::prepare;

use classifier::Classifier;
use matcher::Matcher;
use prepared::blob_struct;
use text::Spellings;

/// The concept ids this module may report: the engine turns a finding into an entry of
/// `objections` or `signals`, whose types are fixed by the snapshot format, so a concept
/// outside this list could never be shown and is a mistake in the phrase data.
pub const KNOWN_CONCEPTS: [&str; 9] = [
    "objection.no_need",
    "objection.no_trust",
    "objection.no_budget",
    "objection.no_hurry",
    "signal.accepted_rejected_idea",
    "signal.agreed_next_step",
    "signal.introduced_senior",
    "signal.agreed_tech_exchange",
    "signal.asked_details",
];

/// Objections are cancelled by "not a problem" and "resolved" phrases; signals are not,
/// because for a signal "no problem" means yes ("技术交流会没问题").
const OBJECTION_PREFIX: &str = "objection.";

/// A detectable concept as compiled.
#[derive(Debug, Clone)]
pub(crate) struct Concept {
    id: String,
    is_objection: bool,
    /// Found in questions too (asked_details).
    in_questions: bool,
    /// Word lists a clause must draw on for the classifier to report the concept.
    anchors: Vec<u16>,
}

blob_struct!(Concept {
    id,
    is_objection,
    in_questions,
    anchors
});

/// Compiled phrase data and the classifier trained from the examples. Immutable, so one
/// instance serves every thread.
#[derive(Debug, Clone)]
pub struct Detector {
    concepts: Vec<Concept>,
    matcher: Matcher,
    spellings: Spellings,
    /// `None` when the playbook has no labelled examples.
    classifier: Option<Classifier>,
    goal: CorpusGoal,
}

blob_struct!(Detector {
    concepts,
    matcher,
    spellings,
    classifier,
    goal
});

/// A stakeholder a note may speak of: by name, or by their title ("CFO", "财务总监").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speaker<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
}

impl<'a> Speaker<'a> {
    pub fn named(name: &'a str) -> Speaker<'a> {
        Speaker { name, title: None }
    }
}

/// One objection or signal read from free text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// `objection.no_budget`, `signal.agreed_tech_exchange`, ...
    pub concept: String,
    /// The stakeholder who said it, exactly as given in `speakers` (a title is reported
    /// as its holder's name); `None` when no stakeholder is named for it.
    pub from: Option<String>,
    /// The customer's words as the rep wrote them, without the speaker ("今年预算紧张",
    /// not "王总说今年预算紧张").
    pub evidence: String,
    /// What decided it.
    pub basis: Basis,
}

/// What decided a finding: a pattern of the playbook, or the classifier with the
/// labelled examples nearest to the words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Basis {
    Pattern {
        pattern: String,
    },
    Examples {
        /// The classifier's probability, in percent.
        probability: u8,
        like: Vec<String>,
    },
}

impl Basis {
    /// One line for a trainer: `pattern 担心*交付` or `like "…", "…" (93%)`.
    pub fn describe(&self) -> String {
        match self {
            Basis::Pattern { pattern } => format!("pattern `{pattern}`"),
            Basis::Examples { probability, like } => {
                let quoted: Vec<String> = like.iter().map(|e| format!("“{e}”")).collect();
                format!(
                    "classifier {probability}%, like {}",
                    if quoted.is_empty() {
                        "no single example".to_owned()
                    } else {
                        quoted.join(", ")
                    }
                )
            }
        }
    }
}

/// Reads the notes of one deal ([`Detector::reader`]).
pub struct NoteReader<'a, 's> {
    detector: &'a Detector,
    speakers: &'s [Speaker<'a>],
    table: std::cell::OnceCell<speakers::SpeakerTable<'a>>,
}

impl NoteReader<'_, '_> {
    /// [`Detector::detect`] on one note of the deal.
    pub fn read(&self, text: &str) -> Vec<Finding> {
        let detector = self.detector;
        if (detector.matcher.is_empty() && detector.classifier.is_none()) || text.trim().is_empty()
        {
            return Vec::new();
        }
        let table = self
            .table
            .get_or_init(|| speakers::SpeakerTable::new(self.speakers));
        read::read_note(detector, text, table)
    }
}

impl Detector {
    /// What the labelled corpus's tuning part must reach (`detection.goal`).
    pub fn goal(&self) -> CorpusGoal {
        self.goal
    }

    /// Findings in order of appearance, at most one per (concept, speaker) in a note.
    pub fn detect(&self, text: &str, speakers: &[Speaker]) -> Vec<Finding> {
        self.reader(speakers).read(text)
    }

    /// A reader of the notes of one deal: its speakers' names and titles are normalised
    /// once, when the first note with text comes, not for every note (a deal's
    /// activities each have one).
    pub fn reader<'a, 's>(&'a self, speakers: &'s [Speaker<'a>]) -> NoteReader<'a, 's> {
        NoteReader {
            detector: self,
            speakers,
            table: std::cell::OnceCell::new(),
        }
    }

    /// [`Detector::detect`] for stakeholders known by name only.
    pub fn detect_names(&self, text: &str, names: &[&str]) -> Vec<Finding> {
        let speakers: Vec<Speaker> = names.iter().map(|name| Speaker::named(name)).collect();
        self.detect(text, &speakers)
    }

    fn classifier(&self) -> Option<&Classifier> {
        self.classifier.as_ref()
    }
}
