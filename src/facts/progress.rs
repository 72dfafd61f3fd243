//! How far the deal has come: its phase, the information checklist, the buying
//! temperature the evidence supports, the dated commitments ahead and the questions asked.

use serde::Serialize;

use crate::playbook::settings::EngineSettings;
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::*;
use crate::snapshot::{Information, Question, Snapshot};

use indexmap::IndexMap;

use super::{quote, round2, Person, Sighting};

#[derive(Debug, Clone, Serialize)]
pub struct TemperaturePart {
    /// The settings key of the weight (`per_signal_type` …).
    pub factor: &'static str,
    pub points: i64,
}

/// The text of the latest question of `kind` that has one: the latest dated, or among
/// undated ones the last listed (a dated question counts as later than an undated one).
pub(super) fn last_asked(questions: &[Question], kind: QuestionType) -> Option<String> {
    questions
        .iter()
        .enumerate()
        .filter(|(_, question)| question.kind == kind)
        .filter_map(|(index, question)| {
            let text = question.text.as_deref().map(str::trim)?;
            (!text.is_empty()).then_some((question.date, index, text))
        })
        .max_by_key(|(date, index, _)| (*date, *index))
        .map(|(_, _, text)| quote(text).into_owned())
}

/// How far along the deal is. A stated stage wins; without one, the evidence decides.
pub(super) fn phase(
    snapshot: &Snapshot,
    signals: &[Sighting],
    as_of: Date,
    settings: &EngineSettings,
) -> &'static str {
    let deal = &snapshot.deal;
    if let Some(stage) = deal.stage {
        return match stage {
            Stage::Qualify => "early",
            Stage::Develop => "middle",
            Stage::Propose | Stage::Negotiate | Stage::Close => "late",
            Stage::Won => "won",
            Stage::Lost => "lost",
        };
    }
    // From the evidence only: the rep's own temperature is what the evidence checks,
    // so it cannot also decide the phase. A details question is interest, not one of
    // the kinds of buying signal that make a deal late.
    let signal_kinds: std::collections::BTreeSet<&str> = signals
        .iter()
        .map(|signal| signal.kind.as_str())
        .filter(|kind| *kind != SignalType::AskedDetails.as_str())
        .collect();
    let close_is_near = deal
        .expected_close
        .is_some_and(|close| close.days_since(as_of) <= settings.late_within_days);
    if deal.close_requested == Some(true) || signal_kinds.len() >= 2 || close_is_near {
        "late"
    } else if signal_kinds.is_empty()
        && snapshot
            .questions
            .iter()
            .all(|q| q.kind == QuestionType::Situation)
    {
        "early"
    } else {
        "middle"
    }
}

/// The share of the checklist known (partly known counts half), and the items unknown
/// and partly known. `None` when the rep recorded nothing at all: not assessed is not
/// "nothing known", and it asks for one walk through the checklist, not nine moves.
pub(super) fn information(
    information: &Information,
) -> (Option<f64>, Vec<&'static str>, Vec<&'static str>) {
    if information
        .items()
        .iter()
        .all(|(_, knowledge)| knowledge.is_none())
    {
        return (None, Information::ITEMS.to_vec(), Vec::new());
    }
    let mut score = 0.0;
    let mut unknown = Vec::new();
    let mut partial = Vec::new();
    for (item, knowledge) in information.items() {
        match knowledge {
            Some(Knowledge::Known) => score += 1.0,
            Some(Knowledge::Partial) => {
                score += 0.5;
                partial.push(item);
            }
            Some(Knowledge::Unknown) | None => unknown.push(item),
        }
    }
    (
        Some(round2(score / Information::ITEMS.len() as f64)),
        unknown,
        partial,
    )
}

pub(super) fn evidence_temperature(
    weights: &crate::playbook::settings::TemperatureWeights,
    (signal_types, asked_details): (i64, bool),
    spin: &IndexMap<&'static str, i64>,
    open_objections: i64,
    top: Option<&Person>,
) -> (i64, Vec<TemperaturePart>) {
    // The outline's ladder: the water warms as the questions go deeper — background
    // (~10℃), problems (~40℃), implications (~80℃ with a buying signal), need-payoff
    // (80–100℃ with several kinds of signal and no open rejection).
    let rung = ["need_payoff", "implication", "problem", "situation"]
        .into_iter()
        .find(|kind| spin.get(kind).is_some_and(|count| *count > 0))
        .unwrap_or("none");
    let ladder = &weights.ladder;
    let rung_points = match rung {
        "need_payoff" => ladder.need_payoff,
        "implication" => ladder.implication,
        "problem" => ladder.problem,
        "situation" => ladder.situation,
        _ => ladder.none,
    };
    let contributions = [
        (rung, rung_points),
        (
            "per_signal_type",
            weights.per_signal_type * signal_types as f64,
        ),
        (
            "asked_details",
            if asked_details {
                weights.asked_details
            } else {
                0.0
            },
        ),
        (
            "per_open_objection",
            weights.per_open_objection * open_objections as f64,
        ),
        (
            "top_not_met",
            if top.is_some_and(|top| top.met != Some(true)) {
                weights.top_not_met
            } else {
                0.0
            },
        ),
        (
            "top_supportive",
            if top.is_some_and(|top| top.supportive) {
                weights.top_supportive
            } else {
                0.0
            },
        ),
    ];
    let total: f64 = contributions.iter().map(|(_, points)| points).sum();
    let parts = contributions
        .iter()
        .filter(|(_, points)| points.round() != 0.0)
        .map(|(factor, points)| TemperaturePart {
            factor,
            points: points.round() as i64,
        })
        .collect();
    (total.round().clamp(0.0, 100.0) as i64, parts)
}

/// A dated thing ahead: a planned meeting, a signal dated ahead, a next step naming a day.
#[derive(Debug, Clone, Serialize)]
pub struct Commitment {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub days: i64,
    /// The activity type (`tech_exchange`, `meeting` …), `signal` or `next_step`.
    pub kind: String,
    /// Who it is with, when the snapshot says.
    pub with: Option<Vec<String>>,
    /// The activity's note, the signal's note or the next step's text.
    pub what: Option<String>,
}

/// The commitments ahead within the window, soonest first (ties in snapshot order).
pub(super) fn commitments(
    snapshot: &Snapshot,
    signals: &[Sighting],
    as_of: Date,
    settings: &EngineSettings,
) -> Vec<Commitment> {
    let window = settings.commitment_window_days;
    let ahead = |date: Date| date > as_of && date.days_since(as_of) <= window;
    let mut found: Vec<Commitment> = Vec::new();
    for activity in &snapshot.activities {
        let Some(date) = activity.date.filter(|date| ahead(*date)) else {
            continue;
        };
        let with: Vec<String> = activity.with.iter().map(|name| name.0.clone()).collect();
        found.push(Commitment {
            date: date.to_string(),
            days: date.days_since(as_of),
            kind: activity
                .kind
                .map_or("meeting", |kind| kind.as_str())
                .to_owned(),
            with: (!with.is_empty()).then_some(with),
            what: activity.note.clone(),
        });
    }
    for signal in signals {
        let Some(date) = signal
            .date
            .as_deref()
            .and_then(|date| Date::parse(date).ok())
            .filter(|date| ahead(*date))
        else {
            continue;
        };
        found.push(Commitment {
            date: date.to_string(),
            days: date.days_since(as_of),
            kind: "signal".to_owned(),
            with: signal.from.clone().map(|name| vec![name]),
            what: signal.evidence.clone(),
        });
    }
    if let Some(step) = snapshot.deal.next_step.as_deref() {
        if let Some(date) = Date::find_in_text(step, as_of).filter(|date| ahead(*date)) {
            if !found.iter().any(|known| known.date == date.to_string()) {
                found.push(Commitment {
                    date: date.to_string(),
                    days: date.days_since(as_of),
                    kind: "next_step".to_owned(),
                    with: None,
                    what: Some(step.to_owned()),
                });
            }
        }
    }
    found.sort_by_key(|commitment| commitment.days);
    found
}
