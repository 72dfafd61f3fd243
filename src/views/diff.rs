//! `diff OLD NEW`: what changed between two snapshots of one deal, in the deal and in the
//! advice, for the weekly question "what moved since last week?".
//!
//! The deal side compares the snapshots themselves (people by name, the checklist item by
//! item, questions counted by type) and the coach's reading of both (signals and
//! objections, found in the fields and in the notes alike, and the temperature the
//! evidence supports). The advice side runs the coach on both and sorts the concepts
//! advised into resolved, new and still open; a concept that left the advice only because
//! a snooze now hides it is listed as snoozed, not resolved. Every list follows the
//! snapshots' own order, so the same two files always give the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::coach::{Advice, Report, SightingOut};
use crate::snapshot::vocabulary::{QuestionType, Severity, Vocabulary};
use crate::snapshot::{Activity, Snapshot, Stakeholder};

/// The two snapshots compared, and the difference.
#[derive(Debug, Clone, Serialize)]
pub struct DealDiff {
    pub deal: DiffDeal,
    /// What changed in the deal, in a fixed order: the deal's own fields, temperature,
    /// people, objections, signals, questions, the information checklist.
    pub changes: Vec<Change>,
    pub advice: AdviceDiff,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffDeal {
    pub id: String,
    /// The name in NEW (a renamed deal is a `deal.name` change).
    pub name: String,
    /// `deal.currency` in NEW: what `deal.amount` changes are in.
    pub currency: Option<String>,
    pub old: Side,
    pub new: Side,
}

/// One of the two snapshots: where it was read and the day it describes.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub file: String,
    /// `deal.as_of`, or `null` when the snapshot gives none.
    pub as_of: Option<String>,
}

/// One change: `kind` says what (`person.stance`, `objection.handled`, …), `who` the
/// person it concerns, `from` and `to` the value before and after. A key is left out when
/// it has no value (a person added has no `from`; a stance not written before has none).
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
    /// When it happened and with whom, for an activity added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
    /// What the values are, for the words that show them (not in JSON: the values are).
    #[serde(skip)]
    pub values: Values,
}

/// What a change's `from` and `to` hold, so a renderer can put them in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Shown as written (dates, numbers, text).
    Plain,
    /// A word of this vocabulary (`role`, `stance`, `stage`, `knowledge`).
    Word(&'static str),
    /// `true` / `false`.
    YesNo,
    /// A concept id (`objection.no_trust`).
    Concept,
    /// An amount in the deal's currency.
    Money,
}

/// The advice of both snapshots, by concept.
#[derive(Debug, Clone, Serialize)]
pub struct AdviceDiff {
    /// Advised in OLD, no longer in NEW (as OLD advised it).
    pub resolved: Vec<AdviceItem>,
    /// Advised in NEW only.
    pub new: Vec<AdviceItem>,
    /// Advised in both (as NEW advises it).
    pub open: Vec<AdviceItem>,
    /// Advised in OLD, hidden in NEW by a snooze still in force.
    pub snoozed: Vec<AdviceItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdviceItem {
    pub concept: String,
    /// `move`, `warning` or `step` (of a merged move).
    pub kind: &'static str,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// Compares two coached snapshots of one deal (the caller has checked the ids agree).
pub fn diff(old: (&Snapshot, &Report, &str), new: (&Snapshot, &Report, &str)) -> DealDiff {
    let (old_snapshot, old_report, old_file) = old;
    let (new_snapshot, new_report, new_file) = new;
    let mut changes = Vec::new();
    deal_changes(old_snapshot, new_snapshot, &mut changes);
    let (old_temperature, new_temperature) = (
        &old_report.assessment.temperature,
        &new_report.assessment.temperature,
    );
    push(
        &mut changes,
        "temperature.stated",
        None,
        old_temperature.stated.map(Value::from),
        new_temperature.stated.map(Value::from),
        Values::Plain,
    );
    push(
        &mut changes,
        "temperature.evidence",
        None,
        Some(Value::from(old_temperature.evidence)),
        Some(Value::from(new_temperature.evidence)),
        Values::Plain,
    );
    people_changes(
        &old_snapshot.stakeholders,
        &new_snapshot.stakeholders,
        &mut changes,
    );
    objection_changes(&old_report.objections, &new_report.objections, &mut changes);
    signal_changes(&old_report.signals, &new_report.signals, &mut changes);
    question_changes(old_snapshot, new_snapshot, &mut changes);
    activity_changes(
        &old_snapshot.activities,
        &new_snapshot.activities,
        &mut changes,
    );
    information_changes(old_snapshot, new_snapshot, &mut changes);
    let side = |snapshot: &Snapshot, file: &str| Side {
        file: file.to_owned(),
        as_of: snapshot.deal.as_of.map(|date| date.to_string()),
    };
    DealDiff {
        deal: DiffDeal {
            id: new_snapshot.deal.id.clone(),
            name: new_snapshot.deal.name.clone(),
            currency: new_snapshot.deal.currency.clone(),
            old: side(old_snapshot, old_file),
            new: side(new_snapshot, new_file),
        },
        changes,
        advice: advice_diff(old_report, new_report),
    }
}

/// Adds a change when the two values differ.
fn push(
    changes: &mut Vec<Change>,
    kind: &str,
    who: Option<&str>,
    from: Option<Value>,
    to: Option<Value>,
    values: Values,
) {
    if from != to {
        changes.push(Change {
            kind: kind.to_owned(),
            who: who.map(str::to_owned),
            from,
            to,
            date: None,
            with: Vec::new(),
            values,
        });
    }
}

fn text<T: ToString>(value: Option<T>) -> Option<Value> {
    value.map(|value| Value::from(value.to_string()))
}

fn deal_changes(old: &Snapshot, new: &Snapshot, changes: &mut Vec<Change>) {
    type Field = fn(&crate::snapshot::Deal) -> Option<Value>;
    let fields: [(&str, Values, Field); 8] = [
        ("deal.name", Values::Plain, |deal| text(Some(&deal.name))),
        ("deal.stage", Values::Word("stage"), |deal| {
            text(deal.stage.map(|stage| stage.as_str()))
        }),
        ("deal.amount", Values::Money, |deal| {
            deal.amount.map(|amount| Value::from(amount.0))
        }),
        ("deal.expected_close", Values::Plain, |deal| {
            text(deal.expected_close)
        }),
        ("deal.next_step", Values::Plain, |deal| {
            text(deal.next_step.as_deref())
        }),
        ("deal.owner", Values::Plain, |deal| {
            text(deal.owner.as_deref())
        }),
        ("deal.close_requested", Values::YesNo, |deal| {
            deal.close_requested.map(Value::from)
        }),
        ("deal.solutions_prepared", Values::Plain, |deal| {
            deal.solutions_prepared.map(|count| Value::from(count.0))
        }),
    ];
    for (kind, values, field) in fields {
        push(
            changes,
            kind,
            None,
            field(&old.deal),
            field(&new.deal),
            values,
        );
    }
    proof_asset_changes(&old.deal, &new.deal, changes);
}

/// Proof assets (case studies, reference visits …) prepared since, or no longer listed.
fn proof_asset_changes(
    old: &crate::snapshot::Deal,
    new: &crate::snapshot::Deal,
    changes: &mut Vec<Change>,
) {
    let kinds = |deal: &crate::snapshot::Deal| -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = Vec::new();
        for asset in deal.proof_assets.iter().flatten() {
            if !kinds.contains(&asset.as_str()) {
                kinds.push(asset.as_str());
            }
        }
        kinds
    };
    let (before, after) = (kinds(old), kinds(new));
    for asset in after.iter().filter(|asset| !before.contains(asset)) {
        push(
            changes,
            "proof_asset.added",
            None,
            None,
            text(Some(asset)),
            Values::Word("proof_asset"),
        );
    }
    for asset in before.iter().filter(|asset| !after.contains(asset)) {
        push(
            changes,
            "proof_asset.gone",
            None,
            text(Some(asset)),
            None,
            Values::Word("proof_asset"),
        );
    }
}

/// The activities NEW records that OLD does not (same date, type, people and note): what
/// was done between the two snapshots, in NEW's order; then those OLD recorded that NEW
/// no longer does (deleted, or reworded: a reworded one is gone and added).
fn activity_changes(old: &[Activity], new: &[Activity], changes: &mut Vec<Change>) {
    let key = |activity: &Activity| {
        (
            activity.date,
            activity.kind.map(|kind| kind.as_str()),
            activity
                .with
                .iter()
                .map(|person| person.0.clone())
                .collect::<Vec<_>>(),
            activity.note.clone(),
        )
    };
    let change = |kind: &str, activity: &Activity, added: bool| {
        let type_word = text(activity.kind.map(|kind| kind.as_str()));
        let (from, to) = if added {
            (None, type_word)
        } else {
            (type_word, None)
        };
        Change {
            kind: kind.to_owned(),
            who: None,
            from,
            to,
            date: activity.date.map(|date| date.to_string()),
            with: activity
                .with
                .iter()
                .map(|person| person.0.clone())
                .collect(),
            values: Values::Word("activity"),
        }
    };
    let before: Vec<_> = old.iter().map(key).collect();
    let after: Vec<_> = new.iter().map(key).collect();
    for (activity, key) in new.iter().zip(&after) {
        if !before.contains(key) {
            changes.push(change("activity.added", activity, true));
        }
    }
    for (activity, key) in old.iter().zip(&before) {
        if !after.contains(key) {
            changes.push(change("activity.gone", activity, false));
        }
    }
}

fn people_changes(old: &[Stakeholder], new: &[Stakeholder], changes: &mut Vec<Change>) {
    let before: BTreeMap<&str, &Stakeholder> = old
        .iter()
        .map(|person| (person.name.0.as_str(), person))
        .collect();
    let after: BTreeMap<&str, &Stakeholder> = new
        .iter()
        .map(|person| (person.name.0.as_str(), person))
        .collect();
    for person in new {
        let name = person.name.0.as_str();
        match before.get(name) {
            None => push(
                changes,
                "person.added",
                Some(name),
                None,
                text(person.role.map(|role| role.as_str())),
                Values::Word("role"),
            ),
            Some(was) => person_changes(was, person, changes),
        }
    }
    for person in old {
        let name = person.name.0.as_str();
        if !after.contains_key(name) {
            push(
                changes,
                "person.gone",
                Some(name),
                text(person.role.map(|role| role.as_str())),
                None,
                Values::Word("role"),
            );
        }
    }
}

fn person_changes(was: &Stakeholder, is: &Stakeholder, changes: &mut Vec<Change>) {
    type Field = fn(&Stakeholder) -> Option<Value>;
    let fields: [(&str, Values, Field); 6] = [
        ("person.role", Values::Word("role"), |person| {
            text(person.role.map(|role| role.as_str()))
        }),
        ("person.top_decision_maker", Values::YesNo, |person| {
            Some(Value::from(person.top_decision_maker.0))
        }),
        ("person.stance", Values::Word("stance"), |person| {
            text(person.stance.map(|stance| stance.as_str()))
        }),
        ("person.met", Values::YesNo, |person| {
            person.met.map(Value::from)
        }),
        ("person.influence", Values::Plain, |person| {
            person.influence.map(|influence| Value::from(influence.0))
        }),
        ("person.last_contact", Values::Plain, |person| {
            text(person.last_contact)
        }),
    ];
    let who = Some(is.name.0.as_str());
    for (kind, values, field) in fields {
        push(changes, kind, who, field(was), field(is), values);
    }
}

/// Objections by concept and person: whether every sighting of it is handled.
fn handled_by_key(sightings: &[SightingOut]) -> Vec<((&str, Option<&str>), bool)> {
    let mut keyed: Vec<((&str, Option<&str>), bool)> = Vec::new();
    for sighting in sightings {
        let key = (sighting.concept.as_str(), sighting.from.as_deref());
        let handled = sighting.handled.unwrap_or(false);
        match keyed.iter_mut().find(|(held, _)| *held == key) {
            Some((_, all_handled)) => *all_handled &= handled,
            None => keyed.push((key, handled)),
        }
    }
    keyed
}

fn objection_changes(old: &[SightingOut], new: &[SightingOut], changes: &mut Vec<Change>) {
    let before = handled_by_key(old);
    let after = handled_by_key(new);
    for ((concept, who), handled) in &after {
        let was = before
            .iter()
            .find(|(key, _)| key == &(*concept, *who))
            .map(|(_, was_handled)| *was_handled);
        let kinds: &[&str] = match (was, *handled) {
            (None, false) => &["objection.raised"],
            (None, true) => &["objection.raised", "objection.handled"],
            (Some(false), true) => &["objection.handled"],
            (Some(true), false) => &["objection.reopened"],
            (Some(_), _) => &[],
        };
        for kind in kinds {
            push(
                changes,
                kind,
                *who,
                None,
                Some(Value::from(*concept)),
                Values::Concept,
            );
        }
    }
    for ((concept, who), handled) in &before {
        if !after.iter().any(|(key, _)| key == &(*concept, *who)) {
            // An objection no longer recorded at all: it left the notes or the list.
            let gone = if *handled {
                "objection.dropped_handled"
            } else {
                "objection.dropped"
            };
            push(
                changes,
                gone,
                *who,
                Some(Value::from(*concept)),
                None,
                Values::Concept,
            );
        }
    }
}

fn signal_changes(old: &[SightingOut], new: &[SightingOut], changes: &mut Vec<Change>) {
    let key = |signal: &SightingOut| {
        (
            signal.concept.clone(),
            signal.from.clone(),
            signal.date.clone(),
        )
    };
    let before: Vec<_> = old.iter().map(key).collect();
    let mut seen = Vec::new();
    for signal in new {
        let signal_key = key(signal);
        if before.contains(&signal_key) || seen.contains(&signal_key) {
            continue;
        }
        seen.push(signal_key);
        push(
            changes,
            "signal.new",
            signal.from.as_deref(),
            None,
            Some(Value::from(signal.concept.as_str())),
            Values::Concept,
        );
    }
}

fn question_changes(old: &Snapshot, new: &Snapshot, changes: &mut Vec<Change>) {
    let count = |snapshot: &Snapshot, kind: QuestionType| {
        snapshot
            .questions
            .iter()
            .filter(|question| question.kind == kind)
            .count()
    };
    for kind in QuestionType::ALL {
        push(
            changes,
            &format!("questions.{}", kind.as_str()),
            None,
            Some(Value::from(count(old, *kind))),
            Some(Value::from(count(new, *kind))),
            Values::Plain,
        );
    }
}

fn information_changes(old: &Snapshot, new: &Snapshot, changes: &mut Vec<Change>) {
    for ((item, before), (_, after)) in old
        .information
        .items()
        .into_iter()
        .zip(new.information.items())
    {
        push(
            changes,
            &format!("information.{item}"),
            None,
            text(before.map(|knowledge| knowledge.as_str())),
            text(after.map(|knowledge| knowledge.as_str())),
            Values::Word("knowledge"),
        );
    }
    push(
        changes,
        "information.reviewed",
        None,
        text(old.information.reviewed),
        text(new.information.reviewed),
        Values::Plain,
    );
}

/// Each concept advised, once, in the report's order (moves, then warnings).
fn advised(report: &Report) -> Vec<AdviceItem> {
    let mut items: Vec<AdviceItem> = Vec::new();
    let moves = report.moves.iter().map(|advice| ("move", advice));
    let warnings = report.warnings.iter().map(|advice| ("warning", advice));
    for (kind, advice) in moves.chain(warnings) {
        if !items.iter().any(|item| item.concept == advice.concept) {
            items.push(item(kind, advice));
        }
    }
    // A step of a merged move is advice too: reaching the top decision maker does not
    // become "resolved" when it joins the move about their objection.
    for step in report.moves.iter().flat_map(|advice| &advice.steps) {
        if !items.iter().any(|item| item.concept == step.concept) {
            items.push(AdviceItem {
                concept: step.concept.clone(),
                kind: "step",
                title: step.title.clone(),
                severity: None,
            });
        }
    }
    items
}

fn item(kind: &'static str, advice: &Advice) -> AdviceItem {
    AdviceItem {
        concept: advice.concept.clone(),
        kind,
        title: advice.title.clone(),
        severity: advice.severity,
    }
}

fn advice_diff(old: &Report, new: &Report) -> AdviceDiff {
    let before = advised(old);
    let after = advised(new);
    let has =
        |items: &[AdviceItem], concept: &str| items.iter().any(|item| item.concept == concept);
    let snoozed_now = |concept: &str| {
        new.snoozed
            .iter()
            .any(|snooze| snooze.concept == concept && !snooze.hides.is_empty())
    };
    let (snoozed, resolved): (Vec<AdviceItem>, Vec<AdviceItem>) = before
        .iter()
        .filter(|item| !has(&after, &item.concept))
        .cloned()
        .partition(|item| snoozed_now(&item.concept));
    let (open, fresh): (Vec<AdviceItem>, Vec<AdviceItem>) = after
        .into_iter()
        .partition(|item| has(&before, &item.concept));
    AdviceDiff {
        resolved,
        new: fresh,
        open,
        snoozed,
    }
}
