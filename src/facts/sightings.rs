//! Signals and objections as rules see them, and how much of a customer's words reach
//! a rule.

use std::borrow::Cow;

use indexmap::IndexMap;
use serde::Serialize;

use crate::snapshot::vocabulary::{ObjectionType, Vocabulary};

/// How many characters of a free text — a person's needs or title, an objection's words —
/// reach the rules. Advice quotes such a text in one line; a whole 80 KB note would only
/// meet the sandbox's size limits when a rule lists it, and fail a valid deal.
pub const QUOTE_CHARS: usize = 200;

/// `text` as advice quotes it: cut to [`QUOTE_CHARS`] characters, with an ellipsis, when
/// longer.
pub fn quote(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", text[..cut].trim_end())),
    }
}

/// The sightings with their words (`said`, `evidence`) quoted as rules see them; borrowed
/// when no text is long enough to cut, as on nearly every deal.
pub fn quoted_sightings(sightings: &[Sighting]) -> Cow<'_, [Sighting]> {
    let long = |text: &Option<String>| {
        text.as_deref()
            .is_some_and(|text| matches!(quote(text), Cow::Owned(_)))
    };
    if !sightings
        .iter()
        .any(|sighting| long(&sighting.said) || long(&sighting.evidence))
    {
        return Cow::Borrowed(sightings);
    }
    let cut = |text: &Option<String>| text.as_deref().map(|text| quote(text).into_owned());
    Cow::Owned(
        sightings
            .iter()
            .map(|sighting| Sighting {
                said: cut(&sighting.said),
                evidence: cut(&sighting.evidence),
                ..sighting.clone()
            })
            .collect(),
    )
}

/// A signal or objection, declared in the snapshot or detected in its notes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sighting {
    /// `objection.no_budget`, `signal.agreed_next_step` …
    pub concept: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub from: Option<String>,
    pub date: Option<String>,
    /// Objections only.
    pub said: Option<String>,
    /// Objections only.
    pub handled: Option<bool>,
    /// `objections[0]`, `signals[1]`, `notes`, `activities[2].note`.
    pub source: String,
    /// The words behind it: what the customer said, or the note's matching words.
    pub evidence: Option<String>,
    /// For a detection, what decided it: the pattern, or the classifier and the labelled
    /// examples nearest to the words. Shown by `explain` and in the JSON report; rules
    /// have no use for it.
    #[serde(skip)]
    pub detected_by: Option<String>,
}

pub(super) fn objection_counts(objections: &[Sighting]) -> IndexMap<String, i64> {
    let mut counts: IndexMap<String, i64> = ObjectionType::ALL
        .iter()
        .flat_map(|kind| {
            [
                kind.as_str().to_owned(),
                format!("{}_unattributed", kind.as_str()),
            ]
        })
        .chain(["handled".to_owned()])
        .map(|key| (key, 0))
        .collect();
    for objection in objections {
        let key = if objection.handled == Some(true) {
            if objection.from.is_none() {
                continue;
            }
            "handled".to_owned()
        } else if objection.from.is_none() {
            format!("{}_unattributed", objection.kind)
        } else {
            objection.kind.clone()
        };
        if let Some(count) = counts.get_mut(&key) {
            *count += 1;
        }
    }
    counts
}
