//! Facts: what the engine derives from a snapshot once, so rules need not recompute it.
//!
//! Every rule reads the same derived view of the deal — influencer coverage, days since
//! contact, open objections by type, SPIN counts, the account's value scores — computed
//! here once per deal, in Rust, and handed to rhai as one map. "Not known" stays `None`
//! (rhai `()`) all the way through: a rule must be able to tell "no contact for 40 days"
//! from "no contact recorded".

mod people;
mod progress;
mod sightings;
mod value;

pub use people::{
    organisation_kind, BestOpener, CoverageGap, GapContext, NeedsHeard, PeopleGroups, Person,
};
pub use progress::{Commitment, TemperaturePart};
pub use sightings::{quote, quoted_sightings, Sighting, QUOTE_CHARS};
pub use value::{account_value, value_of, AccountValue};

use people::{describe, gap_context, people_groups};
use progress::{commitments, evidence_temperature, information, last_asked, phase};
use sightings::objection_counts;

use indexmap::IndexMap;
use serde::Serialize;

use crate::playbook::settings::EngineSettings;
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::*;
use crate::snapshot::Snapshot;

/// Everything derived from one snapshot. Field names are the `facts.*` names of
/// `docs/playbooks.md`.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub as_of: String,
    pub phase: &'static str,
    pub open: bool,
    pub late: bool,
    pub amount: Option<f64>,
    pub days_to_close: Option<i64>,
    pub close_date_passed: bool,
    pub days_since_contact: Option<i64>,
    pub last_contact: Option<String>,
    pub has_next_step: bool,
    pub top: Option<Person>,
    pub people: Vec<Person>,
    pub key_people: Vec<Person>,
    pub coverage: IndexMap<&'static str, &'static str>,
    pub coverage_gaps: Vec<CoverageGap>,
    pub met_count: i64,
    pub allies: Vec<String>,
    pub supporters: Vec<String>,
    pub support_share: Option<f64>,
    pub staff: Vec<Person>,
    pub staff_unsupportive: Vec<Person>,
    pub opponents_below_top: Vec<Person>,
    pub who: PeopleGroups,
    /// `None` when the snapshot records no checklist item at all (not assessed).
    pub information_completeness: Option<f64>,
    pub info_unknown: Vec<&'static str>,
    pub info_partial: Vec<&'static str>,
    pub info_days_since_review: Option<i64>,
    pub open_objections: IndexMap<&'static str, Vec<Sighting>>,
    pub open_objection_count: i64,
    /// The concepts of the open objections (`objection.no_budget` …), in the method's
    /// order; `None` when none is open.
    pub open_objection_types: Option<Vec<String>>,
    /// Open objections of each type that name who raised them (`no_trust` …) and that do
    /// not (`no_trust_unattributed` …), and handled ones that name who raised them
    /// (`handled`): the objection rules build their items only when there is one.
    pub objection_counts: IndexMap<String, i64>,
    /// Each buying-influencer role → its coverage gap as a text context, `None` when the
    /// role is engaged.
    pub gaps: IndexMap<&'static str, Option<GapContext>>,
    pub signals_by_type: IndexMap<&'static str, i64>,
    pub signal_types: i64,
    pub spin: IndexMap<&'static str, i64>,
    pub spin_total: i64,
    pub spin_next: Option<&'static str>,
    /// Each kind of question → the text of the latest one asked of that kind (`None`
    /// when none has a text): questions that follow up build on what was asked.
    pub last_asked: IndexMap<&'static str, Option<String>>,
    /// The most influential person other than the top decision maker whose needs are
    /// written down: questions speak of what they said they need.
    pub needs_heard: Option<NeedsHeard>,
    pub activities_30d: IndexMap<&'static str, i64>,
    pub visits_30d: i64,
    pub favors_30d: i64,
    pub key_contacts_without_vip_card: Vec<String>,
    pub service_issues_open: i64,
    pub service_issues_open_high: i64,
    pub oldest_open_issue_days: Option<i64>,
    pub proof_assets: i64,
    pub temperature_stated: Option<i64>,
    pub temperature_evidence: i64,
    pub temperature_parts: Vec<TemperaturePart>,
    /// Dated things ahead within `settings.commitment_window_days` (a planned meeting, a
    /// next step with a date), soonest first.
    pub commitments: Vec<Commitment>,
    /// The soonest of them.
    pub next_commitment: Option<Commitment>,
    /// The date by which the buying decision must move for the expected close to hold:
    /// the close minus `settings.decision_lead_days` (today when that is past).
    pub decide_by: Option<String>,
    /// By when a move with no date of its own is due: the end of the plan horizon
    /// (`as_of` + `settings.commitment_window_days`), or `decide_by` when that is sooner.
    /// A move "by May 31" on an early deal is no next move.
    pub act_by: String,
    pub value: Option<AccountValue>,
    pub purchase_pattern: Option<&'static str>,
    pub relationship_stage: Option<&'static str>,
    /// What kind of organisation the account is (`bank`, `hospital`, `school`, `public`
    /// …, the keys of `settings.organisation_kinds`), told by its name; `company` when
    /// nothing in the name tells. Questions address the customer by it (贵行, 贵院 …).
    pub organisation_kind: String,
}

impl Facts {
    /// Derives the facts of `snapshot`, whose signals and objections (declared and
    /// detected) are `signals` and `objections`.
    pub fn derive(
        snapshot: &Snapshot,
        signals: &[Sighting],
        objections: &[Sighting],
        settings: &EngineSettings,
    ) -> Facts {
        let as_of = snapshot.as_of();
        let deal = &snapshot.deal;
        let days_since = |date: Option<Date>| date.map(|date| as_of.days_since(date));

        let phase = phase(snapshot, signals, as_of, settings);
        let open = !matches!(phase, "won" | "lost");

        // Contact: the latest of any activity and any stakeholder's last contact, never
        // counting a date after `as_of` (a planned meeting is not contact yet).
        let contact_dates = snapshot
            .activities
            .iter()
            .filter_map(|activity| activity.date)
            .chain(
                snapshot
                    .stakeholders
                    .iter()
                    .filter_map(|person| person.last_contact),
            )
            .filter(|date| *date <= as_of);
        let last_contact = contact_dates.max();

        let people: Vec<Person> = snapshot
            .stakeholders
            .iter()
            .map(|person| describe(person, snapshot, as_of))
            .collect();
        let top = people.iter().find(|person| person.top).cloned();
        let mut key_people: Vec<Person> = people
            .iter()
            .filter(|person| person.influence.is_some_and(|i| i >= settings.influential))
            .cloned()
            .collect();
        key_people.sort_by_key(|person| std::cmp::Reverse(person.influence));

        // With people whose role nobody recorded, a role nobody fills may well be theirs:
        // it is unknown, not missing (classifying them comes first).
        let roles_unrecorded = people.iter().any(|person| person.role.is_none());
        let mut coverage = IndexMap::new();
        let mut coverage_gaps = Vec::new();
        for role in Role::ALL {
            let holders: Vec<&Person> = people
                .iter()
                .filter(|person| person.role == Some(role.as_str()))
                .collect();
            let status = if holders.is_empty() && roles_unrecorded {
                "unknown"
            } else if holders.is_empty() {
                "missing"
            } else if holders.iter().any(|person| person.met == Some(true)) {
                "engaged"
            } else {
                "identified"
            };
            coverage.insert(role.as_str(), status);
            if status != "engaged" {
                coverage_gaps.push(CoverageGap {
                    role: role.as_str(),
                    status,
                    names: holders.iter().map(|person| person.name.clone()).collect(),
                });
            }
        }

        let names_where = |keep: &dyn Fn(&Person) -> bool| -> Vec<String> {
            people
                .iter()
                .filter(|person| keep(person))
                .map(|person| person.name.clone())
                .collect()
        };
        let allies = names_where(&|person| person.stance == Some("champion"));
        let supporters = names_where(&|person| person.supportive);
        // Over the people whose stance is recorded: nobody can say what share backs us
        // when nobody's stance is known.
        let with_stance = people
            .iter()
            .filter(|person| person.stance.is_some())
            .count();
        let support_share = (with_stance > 0).then(|| supporters.len() as f64 / with_stance as f64);
        let staff: Vec<Person> = people
            .iter()
            .filter(|person| person.level == Some("staff"))
            .cloned()
            .collect();
        let staff_unsupportive = staff
            .iter()
            .filter(|person| !person.supportive)
            .cloned()
            .collect();
        let opponents_below_top = people
            .iter()
            .filter(|person| {
                !person.top
                    && person.hostile
                    && person.influence.is_some_and(|i| i >= settings.influential)
            })
            .cloned()
            .collect();
        let who = people_groups(&people, &key_people, settings.key_person_contact_days);

        let (information_completeness, info_unknown, info_partial) =
            information(&snapshot.information);

        let mut open_objections: IndexMap<&'static str, Vec<Sighting>> = ObjectionType::ALL
            .iter()
            .map(|kind| (kind.as_str(), Vec::new()))
            .collect();
        for objection in objections
            .iter()
            .filter(|objection| objection.handled != Some(true))
        {
            if let Some(list) = open_objections.get_mut(objection.kind.as_str()) {
                list.push(objection.clone());
            }
        }
        let open_objection_count = open_objections.values().map(|list| list.len() as i64).sum();
        let open_objection_types: Vec<&'static str> = open_objections
            .iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(kind, _)| *kind)
            .collect();
        let objection_counts = objection_counts(objections);
        let top_name = top.as_ref().map(|person| person.name.as_str());
        // An unknown role is not a gap to fill yet: its coverage rule stays quiet until
        // the people are classified.
        let gaps = coverage
            .keys()
            .map(|role| {
                let gap = coverage_gaps
                    .iter()
                    .find(|gap| gap.role == *role && gap.status != "unknown");
                (*role, gap.map(|gap| gap_context(gap, top_name)))
            })
            .collect();

        let signals_by_type: IndexMap<&'static str, i64> = SignalType::ALL
            .iter()
            .map(|kind| {
                (
                    kind.as_str(),
                    signals
                        .iter()
                        .filter(|signal| signal.kind == kind.as_str())
                        .count() as i64,
                )
            })
            .collect();
        // the four signs of the one-step close; details questions are weighed apart
        let signal_types = SignalType::ALL
            .iter()
            .filter(|kind| kind.is_closing_sign())
            .filter(|kind| signals_by_type.get(kind.as_str()).is_some_and(|n| *n > 0))
            .count() as i64;
        let asked_details = signals_by_type
            .get(SignalType::AskedDetails.as_str())
            .is_some_and(|n| *n > 0);

        let spin: IndexMap<&'static str, i64> = QuestionType::ALL
            .iter()
            .map(|kind| {
                (
                    kind.as_str(),
                    snapshot
                        .questions
                        .iter()
                        .filter(|question| question.kind == *kind)
                        .count() as i64,
                )
            })
            .collect();
        let spin_total = snapshot.questions.len() as i64;
        let spin_next = QuestionType::ALL
            .iter()
            .map(|kind| kind.as_str())
            .find(|kind| spin[kind] == 0);

        let last_asked = QuestionType::ALL
            .iter()
            .map(|kind| (kind.as_str(), last_asked(&snapshot.questions, *kind)))
            .collect();
        let needs_heard = people
            .iter()
            .enumerate()
            .filter(|(_, person)| !person.top)
            .filter_map(|(index, person)| {
                let needs = person
                    .needs
                    .as_deref()
                    .filter(|needs| !needs.trim().is_empty())?;
                Some((
                    person.influence.unwrap_or(0),
                    std::cmp::Reverse(index),
                    person,
                    needs,
                ))
            })
            .max_by_key(|(influence, index, _, _)| (*influence, *index))
            .map(|(_, _, person, needs)| NeedsHeard {
                name: person.name.clone(),
                needs: needs.to_owned(),
            });

        let recent = |date: Option<Date>| {
            date.is_some_and(|date| date <= as_of && as_of.days_since(date) < 30)
        };
        let activities_30d: IndexMap<&'static str, i64> = ActivityType::ALL
            .iter()
            .map(|kind| {
                let count = snapshot
                    .activities
                    .iter()
                    .filter(|a| a.kind == Some(*kind) && recent(a.date))
                    .count();
                (kind.as_str(), count as i64)
            })
            .collect();
        let visits_30d = activities_30d["visit"] + activities_30d["meeting"];
        let favors_30d = activities_30d["favor"];

        let key_contacts_without_vip_card = key_people
            .iter()
            .filter(|person| !person.has_vip_card)
            .map(|person| person.name.clone())
            .collect();

        let issues = snapshot
            .account
            .service_issues
            .as_deref()
            .unwrap_or_default();
        let open_issues: Vec<_> = issues
            .iter()
            .filter(|issue| issue.resolved != Some(true))
            .collect();
        let service_issues_open_high = open_issues
            .iter()
            .filter(|issue| issue.severity == Some(Severity::High))
            .count() as i64;
        let oldest_open_issue_days = open_issues
            .iter()
            .filter_map(|issue| days_since(issue.opened))
            .max();

        let temperature_stated = deal.temperature.map(|t| t.0);
        let (temperature_evidence, temperature_parts) = evidence_temperature(
            &settings.evidence_temperature,
            (signal_types, asked_details),
            &spin,
            open_objection_count,
            top.as_ref(),
        );
        let commitments = commitments(snapshot, signals, as_of, settings);
        let decide_by = deal.expected_close.and_then(|close| {
            if close < as_of {
                return None;
            }
            let by = close.add_days(-settings.decision_lead_days);
            Some(if by < as_of { as_of } else { by }.to_string())
        });
        let horizon = as_of.add_days(settings.commitment_window_days);
        let act_by = deal
            .expected_close
            .filter(|close| *close >= as_of)
            .map(|close| close.add_days(-settings.decision_lead_days).max(as_of))
            .map_or(horizon, |decide| decide.min(horizon))
            .to_string();

        let value = account_value(snapshot, settings);
        let purchase_pattern = snapshot
            .account
            .purchase_pattern
            .map(|pattern| pattern.as_str())
            .or_else(|| {
                // Only when the rep did not say: a single transaction is a one-off purchase.
                let transactions = snapshot
                    .account
                    .metrics
                    .as_ref()
                    .and_then(|metrics| metrics.transactions);
                (transactions.map(|count| count.0) == Some(1)).then_some("one_off_large")
            });

        Facts {
            as_of: as_of.to_string(),
            phase,
            open,
            late: phase == "late",
            amount: deal.amount.map(|amount| amount.0),
            days_to_close: deal.expected_close.map(|close| close.days_since(as_of)),
            close_date_passed: deal.expected_close.is_some_and(|close| close < as_of),
            days_since_contact: days_since(last_contact),
            last_contact: last_contact.map(|date| date.to_string()),
            has_next_step: deal
                .next_step
                .as_deref()
                .is_some_and(|step| !step.trim().is_empty()),
            met_count: people
                .iter()
                .filter(|person| person.met == Some(true))
                .count() as i64,
            top,
            key_people,
            coverage,
            coverage_gaps,
            allies,
            supporters,
            support_share,
            staff,
            staff_unsupportive,
            opponents_below_top,
            who,
            people,
            information_completeness,
            info_unknown,
            info_partial,
            info_days_since_review: days_since(snapshot.information.reviewed),
            open_objections,
            objection_counts,
            gaps,
            open_objection_count,
            open_objection_types: (!open_objection_types.is_empty()).then(|| {
                open_objection_types
                    .iter()
                    .map(|kind| format!("objection.{kind}"))
                    .collect()
            }),
            signals_by_type,
            signal_types,
            spin,
            spin_total,
            spin_next,
            last_asked,
            needs_heard,
            activities_30d,
            visits_30d,
            favors_30d,
            key_contacts_without_vip_card,
            service_issues_open: open_issues.len() as i64,
            service_issues_open_high,
            oldest_open_issue_days,
            proof_assets: deal
                .proof_assets
                .as_ref()
                .map_or(0, |assets| assets.len() as i64),
            temperature_stated,
            temperature_evidence,
            temperature_parts,
            next_commitment: commitments.first().cloned(),
            commitments,
            decide_by,
            act_by,
            value,
            purchase_pattern,
            relationship_stage: snapshot
                .account
                .relationship_stage
                .map(|stage| stage.as_str()),
            organisation_kind: organisation_kind(
                snapshot.account.name.as_deref(),
                &settings.organisation_words,
            )
            .to_owned(),
        }
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests;
