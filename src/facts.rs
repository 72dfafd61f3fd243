//! Facts: what the engine derives from a snapshot once, so rules need not recompute it.
//!
//! Every rule reads the same derived view of the deal — influencer coverage, days since
//! contact, open objections by type, SPIN counts, the account's value scores — computed
//! here once per deal, in Rust, and handed to rhai as one map. "Not known" stays `None`
//! (rhai `()`) all the way through: a rule must be able to tell "no contact for 40 days"
//! from "no contact recorded".

use std::borrow::Cow;

use indexmap::IndexMap;
use serde::Serialize;

use crate::playbook::settings::EngineSettings;
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::*;
use crate::snapshot::{Information, Question, Snapshot, Stakeholder};

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

/// A stakeholder as rules see them: the snapshot's fields plus what follows from them.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub name: String,
    pub title: Option<String>,
    pub role: Option<&'static str>,
    pub level: Option<&'static str>,
    pub influence: Option<i64>,
    pub stance: Option<&'static str>,
    pub met: Option<bool>,
    pub top: bool,
    pub needs: Option<String>,
    pub has_vip_card: bool,
    pub days_since_contact: Option<i64>,
    pub supportive: bool,
    pub hostile: bool,
}

/// A person and the needs they stated, for questions built from this deal.
#[derive(Debug, Clone, Serialize)]
pub struct NeedsHeard {
    pub name: String,
    pub needs: String,
}

/// The groups of people several rules speak of (`facts.who`): door openers, supportive
/// users, people with no influence score, key people out of touch … Each list holds names
/// in the order of `facts.people` (`key…` and `neglected`: of `facts.key_people`, most
/// influential first) and is `None` (rhai `()`) when nobody is in it, so a condition tests
/// `facts.who.openers != ()` and a text line built on an empty list drops out.
///
/// This was the playbook's derived value `who`, a rhai function run once per deal: at
/// ~35 µs a deal it was the costliest derived value, a large share of a pipeline review.
/// The fields keep the names, order and values that function gave.
#[derive(Debug, Clone, Serialize)]
pub struct PeopleGroups {
    /// How many people are mapped.
    pub count: i64,
    /// The people the rep has met.
    pub met: Option<Vec<String>>,
    /// Met champions and supporters other than the top decision maker: the people who
    /// can open doors for us.
    pub openers: Option<Vec<String>>,
    /// The best of the openers to ask for an introduction, as a list of one (empty
    /// without openers) so a rule can iterate over it with `for_each`.
    pub best_opener: Vec<BestOpener>,
    /// Met users who back us (找对点: users rarely reject and sway the deciders).
    pub supportive_users: Option<Vec<String>>,
    /// Met users who do not back us yet.
    pub unconvinced_users: Option<Vec<String>>,
    /// Decision makers, technical gatekeepers and the top decision maker who are not
    /// (yet) on our side: whom a supportive user can sway.
    pub swayable: Option<Vec<String>>,
    /// Everyone who is not a champion or supporter.
    pub not_supportive: Option<Vec<String>>,
    /// The staff-level people among them (the names of `facts.staff_unsupportive`).
    pub staff_unsupportive: Option<Vec<String>>,
    /// No influence score yet (step 1 of 关系力 is to score everyone).
    pub unscored: Option<Vec<String>>,
    /// No buying-influencer role recorded: until they are classified, the coverage of
    /// the four roles is unknown.
    pub no_role: Option<Vec<String>>,
    /// Needs not written down (absent or empty).
    pub no_needs: Option<Vec<String>>,
    /// The key people (the names of `facts.key_people`).
    pub key: Option<Vec<String>>,
    /// The key people whose needs are not written down.
    pub key_no_needs: Option<Vec<String>>,
    /// The key people without a VIP card (`facts.key_contacts_without_vip_card`).
    pub key_no_vip_card: Option<Vec<String>>,
    /// The key people — persons, not names, so texts can name them and their days —
    /// not contacted for more than `settings.key_person_contact_days`.
    pub neglected: Option<Vec<Person>>,
    /// Anyone has a VIP card (we already do personal relationship work).
    pub any_vip_card: bool,
}

/// The element of `facts.who.best_opener`: `{{item.opener}}` in texts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BestOpener {
    pub opener: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverageGap {
    pub role: &'static str,
    /// `missing` or `identified`.
    pub status: &'static str,
    pub names: Vec<String>,
}

/// A coverage gap as a text context (`facts.gaps.<role>`): the status, and the names of
/// the identified people other than the top decision maker, whose own rule
/// (decision.reach_top) already asks for that meeting; `None` when nobody is left.
#[derive(Debug, Clone, Serialize)]
pub struct GapContext {
    pub status: &'static str,
    pub names: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemperaturePart {
    /// The settings key of the weight (`per_signal_type` …).
    pub factor: &'static str,
    pub points: i64,
}

/// The account's value on the pyramid and the scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct AccountValue {
    /// 0..100, the weighted pyramid score.
    pub score: f64,
    pub tier: String,
    /// Why the tier is lower than the score reaches (`poor_collection`, `thin_profit`):
    /// revenue that is not collected or not profitable flatters the account, so it is
    /// held at `settings.value.best_tier_when_flattered`.
    pub capped_by: Option<Vec<&'static str>>,
    /// 0..10.
    pub current: f64,
    /// 0..10, or `None` without potential scores.
    pub potential: Option<f64>,
    pub quadrant: Option<String>,
    pub collection_rate: Option<f64>,
    pub profit_margin: Option<f64>,
    /// Each single indicator's 0..100 score, for those given.
    pub indicators: IndexMap<&'static str, f64>,
}

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
            value,
            purchase_pattern,
            relationship_stage: snapshot
                .account
                .relationship_stage
                .map(|stage| stage.as_str()),
            organisation_kind: organisation_kind(
                snapshot.account.name.as_deref(),
                &settings.organisation_kinds,
            )
            .to_owned(),
        }
    }
}

/// The text of the latest question of `kind` that has one: the latest dated, or among
/// undated ones the last listed (a dated question counts as later than an undated one).
fn last_asked(questions: &[Question], kind: QuestionType) -> Option<String> {
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

/// The first kind of `kinds` one of whose words `name` holds, without regard to case;
/// `company` when none does or there is no name. A word in Latin letters counts only as
/// a whole word ("Bank" is in "Pearl River Bank", not in "Riverbank Foods"); a Chinese
/// word anywhere (银行 in 珠江银行).
pub fn organisation_kind<'a>(
    name: Option<&str>,
    kinds: &'a IndexMap<String, Vec<String>>,
) -> &'a str {
    let Some(name) = name.map(str::to_lowercase) else {
        return "company";
    };
    let is_word_char = |c: char| c.is_ascii_alphanumeric();
    let holds = |word: &str| {
        name.match_indices(word).any(|(at, _)| {
            let before = name[..at].chars().next_back();
            let after = name[at + word.len()..].chars().next();
            let starts_latin = word.chars().next().is_some_and(is_word_char);
            let ends_latin = word.chars().next_back().is_some_and(is_word_char);
            let glued_before = starts_latin && before.is_some_and(is_word_char);
            let glued_after = ends_latin && after.is_some_and(is_word_char);
            !glued_before && !glued_after
        })
    };
    kinds
        .iter()
        .find(|(_, words)| words.iter().any(|word| holds(word)))
        .map_or("company", |(kind, _)| kind.as_str())
}

fn describe(person: &Stakeholder, snapshot: &Snapshot, as_of: Date) -> Person {
    // A person's last contact is their own `last_contact` or the latest activity with
    // them, whichever is later.
    let name = person.name.0.as_str();
    let activity_contact = snapshot
        .activities
        .iter()
        .filter(|activity| activity.with.iter().any(|with| with.0 == name))
        .filter_map(|activity| activity.date)
        .filter(|date| *date <= as_of)
        .max();
    let last = person
        .last_contact
        .filter(|date| *date <= as_of)
        .max(activity_contact);
    Person {
        name: name.to_owned(),
        title: person
            .title
            .as_deref()
            .map(|title| quote(title).into_owned()),
        role: person.role.map(Role::as_str),
        level: person.level.map(Level::as_str),
        influence: person.influence.map(|influence| influence.0),
        stance: person.stance.map(Stance::as_str),
        met: person.met,
        top: person.top_decision_maker.0,
        needs: person
            .needs
            .as_deref()
            .map(|needs| quote(needs).into_owned()),
        has_vip_card: person.vip_card.is_some(),
        days_since_contact: last.map(|date| as_of.days_since(date)),
        supportive: person.stance.is_some_and(Stance::is_supportive),
        hostile: person.stance.is_some_and(Stance::is_hostile),
    }
}

/// The groups of `facts.who`: `people` in snapshot order, `key_people` most influential
/// first, and the days without contact after which a key person is neglected.
fn objection_counts(objections: &[Sighting]) -> IndexMap<String, i64> {
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

fn gap_context(gap: &CoverageGap, top_name: Option<&str>) -> GapContext {
    let names: Vec<String> = gap
        .names
        .iter()
        .filter(|name| Some(name.as_str()) != top_name)
        .cloned()
        .collect();
    GapContext {
        status: gap.status,
        names: (!names.is_empty()).then_some(names),
    }
}

fn people_groups(people: &[Person], key_people: &[Person], contact_days: i64) -> PeopleGroups {
    // `None` rather than an empty list: rules test `!= ()` and texts drop the line.
    let names_of = |group: &[Person], keep: &dyn Fn(&Person) -> bool| -> Option<Vec<String>> {
        let names: Vec<String> = group
            .iter()
            .filter(|person| keep(person))
            .map(|person| person.name.clone())
            .collect();
        (!names.is_empty()).then_some(names)
    };
    let met = |person: &Person| person.met == Some(true);
    let opener = |person: &Person| met(person) && person.supportive && !person.top;
    let user = |person: &Person| person.role == Some("user");
    let no_needs = |person: &Person| person.needs.as_deref().is_none_or(str::is_empty);

    // The most influential opener, a champion counting one point more; on a tie the
    // first in snapshot order.
    let mut best: Option<(&Person, i64)> = None;
    for person in people.iter().filter(|person| opener(person)) {
        let score = person.influence.unwrap_or(0) + i64::from(person.stance == Some("champion"));
        if best.is_none_or(|(_, best_score)| score > best_score) {
            best = Some((person, score));
        }
    }

    let neglected: Vec<Person> = key_people
        .iter()
        .filter(|person| {
            person
                .days_since_contact
                .is_some_and(|days| days > contact_days)
        })
        .cloned()
        .collect();

    PeopleGroups {
        count: people.len() as i64,
        met: names_of(people, &met),
        openers: names_of(people, &opener),
        best_opener: best
            .map(|(person, _)| BestOpener {
                opener: person.name.clone(),
            })
            .into_iter()
            .collect(),
        supportive_users: names_of(people, &|person| {
            met(person) && user(person) && person.supportive
        }),
        unconvinced_users: names_of(people, &|person| {
            met(person) && user(person) && !person.supportive
        }),
        swayable: names_of(people, &|person| {
            !person.supportive
                && (person.top
                    || matches!(person.role, Some("decision_maker" | "technical_gatekeeper")))
        }),
        not_supportive: names_of(people, &|person| !person.supportive),
        staff_unsupportive: names_of(people, &|person| {
            !person.supportive && person.level == Some("staff")
        }),
        unscored: names_of(people, &|person| person.influence.is_none()),
        no_role: names_of(people, &|person| person.role.is_none()),
        no_needs: names_of(people, &no_needs),
        key: names_of(key_people, &|_| true),
        key_no_needs: names_of(key_people, &no_needs),
        key_no_vip_card: names_of(key_people, &|person| !person.has_vip_card),
        neglected: (!neglected.is_empty()).then_some(neglected),
        any_vip_card: people.iter().any(|person| person.has_vip_card),
    }
}

/// How far along the deal is. A stated stage wins; without one, the evidence decides.
fn phase(
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
fn information(information: &Information) -> (Option<f64>, Vec<&'static str>, Vec<&'static str>) {
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

fn evidence_temperature(
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
fn commitments(
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

/// The value pyramid score and tier, and the scorecard quadrant. Only indicators the
/// snapshot gives are weighted; with none, the account's value is unknown.
pub fn account_value(snapshot: &Snapshot, settings: &EngineSettings) -> Option<AccountValue> {
    let metrics = snapshot.account.metrics.as_ref()?;
    let potential = snapshot.account.potential.as_ref();
    value_of(
        metrics.revenue.map(|m| m.0),
        metrics.profit,
        metrics.collected.map(|m| m.0),
        metrics.transactions.map(|c| c.0 as f64),
        potential.and_then(|p| p.growth).map(|s| s.0),
        potential.and_then(|p| p.strategic_fit).map(|s| s.0),
        potential.and_then(|p| p.share_of_wallet_left).map(|s| s.0),
        settings,
    )
}

/// The value model over raw numbers; shared by deals and the `accounts` CSV.
#[allow(clippy::too_many_arguments)]
pub fn value_of(
    revenue: Option<f64>,
    profit: Option<f64>,
    collected: Option<f64>,
    transactions: Option<f64>,
    growth: Option<f64>,
    strategic_fit: Option<f64>,
    share_of_wallet_left: Option<f64>,
    settings: &EngineSettings,
) -> Option<AccountValue> {
    let model = &settings.value;
    let single = [
        (
            "revenue",
            revenue,
            model.weights.revenue,
            model.full_marks.revenue,
        ),
        (
            "profit",
            profit,
            model.weights.profit,
            model.full_marks.profit,
        ),
        (
            "collected",
            collected,
            model.weights.collected,
            model.full_marks.collected,
        ),
        (
            "transactions",
            transactions,
            model.weights.transactions,
            model.full_marks.transactions,
        ),
    ];
    let mut indicators = IndexMap::new();
    let (mut weighted, mut weight_sum) = (0.0, 0.0);
    for (name, value, weight, full_mark) in single {
        if let Some(value) = value {
            let score = (value / full_mark * 100.0).clamp(0.0, 100.0);
            indicators.insert(name, round2(score));
            weighted += weight * score;
            weight_sum += weight;
        }
    }
    if indicators.is_empty() || weight_sum <= 0.0 {
        return None;
    }
    let score = round2(weighted / weight_sum);
    let reached = model
        .tiers
        .iter()
        .position(|tier| score >= tier.min)
        .unwrap_or(model.tiers.len().checked_sub(1)?);
    let ratio = |part: Option<f64>| match (part, revenue) {
        (Some(part), Some(revenue)) if revenue > 0.0 => Some(round2(part / revenue)),
        _ => None,
    };
    let (collection_rate, profit_margin) = (ratio(collected), ratio(profit));
    let threshold = |name: &str| model.other.get(name).and_then(serde_yaml::Value::as_f64);
    let below = |rate: Option<f64>, name: &str| {
        rate.zip(threshold(name))
            .is_some_and(|(rate, threshold)| rate < threshold)
    };
    let flattered: Vec<&'static str> = [
        (
            "poor_collection",
            below(collection_rate, "poor_collection_below"),
        ),
        ("thin_profit", below(profit_margin, "thin_profit_below")),
    ]
    .into_iter()
    .filter_map(|(why, holds)| holds.then_some(why))
    .collect();
    let cap = model
        .best_tier_when_flattered
        .as_ref()
        .and_then(|name| model.tiers.iter().position(|tier| tier.name == *name))
        .filter(|cap| !flattered.is_empty() && *cap > reached);
    let tier = model.tiers[cap.unwrap_or(reached)].name.clone();
    let current = round2(score / 10.0);

    let potential_parts = [
        (growth, model.potential_weights.growth),
        (strategic_fit, model.potential_weights.strategic_fit),
        (
            share_of_wallet_left,
            model.potential_weights.share_of_wallet_left,
        ),
    ];
    let (mut potential_sum, mut potential_weight) = (0.0, 0.0);
    for (value, weight) in potential_parts {
        if let Some(value) = value {
            potential_sum += value * weight;
            potential_weight += weight;
        }
    }
    let potential = (potential_weight > 0.0).then(|| round2(potential_sum / potential_weight));
    let quadrant = potential.map(|potential| {
        let quadrants = &model.quadrants;
        let high_current = current > model.quadrant_cut;
        let high_potential = potential > model.quadrant_cut;
        match (high_current, high_potential) {
            (true, true) => quadrants.high_current_high_potential.clone(),
            (true, false) => quadrants.high_current_low_potential.clone(),
            (false, true) => quadrants.low_current_high_potential.clone(),
            (false, false) => quadrants.low_current_low_potential.clone(),
        }
    });
    Some(AccountValue {
        score,
        tier,
        capped_by: cap.map(|_| flattered),
        current,
        potential,
        quadrant,
        collection_rate,
        profit_margin,
        indicators,
    })
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    //! `facts.who`: the groups of people rules read, as the rhai function they replace
    //! gave them.
    use super::*;

    fn facts_of(yaml: &str) -> Facts {
        let snapshot: Snapshot = serde_yaml::from_str(yaml).expect("the test deal is valid");
        Facts::derive(&snapshot, &[], &[], &EngineSettings::builtin())
    }

    fn names(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|name| name.to_string()).collect())
    }

    #[test]
    fn people_fall_into_the_groups_rules_speak_of() {
        let facts = facts_of(
            "deal: {id: x, name: x, as_of: 2026-03-01}
stakeholders:
  - {name: 林总, role: decision_maker, top_decision_maker: true, influence: 9,
     stance: sceptic, met: false, needs: '', last_contact: 2026-01-01}
  - {name: Ms. Lin, role: user, influence: 6, stance: champion, met: true,
     needs: faster month-end, vip_card: {}}
  - {name: 王工, role: technical_gatekeeper, influence: 7, stance: supporter, met: true,
     last_contact: 2026-02-20}
  - {name: 小张, role: user, level: staff, met: true}
",
        );
        let who = &facts.who;
        assert_eq!(who.count, 4);
        assert_eq!(who.met, names(&["Ms. Lin", "王工", "小张"]));
        assert_eq!(who.openers, names(&["Ms. Lin", "王工"]));
        // 6 + 1 for a champion ties 王工's 7: the first in snapshot order wins.
        assert_eq!(
            who.best_opener,
            vec![BestOpener {
                opener: "Ms. Lin".to_owned()
            }]
        );
        assert_eq!(who.supportive_users, names(&["Ms. Lin"]));
        assert_eq!(who.unconvinced_users, names(&["小张"]));
        assert_eq!(who.swayable, names(&["林总"]));
        assert_eq!(who.not_supportive, names(&["林总", "小张"]));
        assert_eq!(who.staff_unsupportive, names(&["小张"]));
        assert_eq!(who.unscored, names(&["小张"]));
        // An empty `needs` is not written down either.
        assert_eq!(who.no_needs, names(&["林总", "王工", "小张"]));
        // Key people, most influential first.
        assert_eq!(who.key, names(&["林总", "王工"]));
        assert_eq!(who.key_no_needs, names(&["林总", "王工"]));
        assert_eq!(who.key_no_vip_card, names(&["林总", "王工"]));
        let neglected = who.neglected.as_deref().expect("林总 is out of touch");
        assert_eq!(neglected.len(), 1);
        assert_eq!(neglected[0].name, "林总");
        assert_eq!(neglected[0].days_since_contact, Some(59));
        assert!(who.any_vip_card);
    }

    #[test]
    fn empty_groups_are_unknown_to_scripts() {
        let facts = facts_of(
            "deal: {id: x, name: x, as_of: 2026-03-01}
stakeholders:
  - {name: 王工, role: technical_gatekeeper, influence: 5, stance: supporter, met: true,
     needs: uptime}
",
        );
        let who = &facts.who;
        assert_eq!(who.openers, names(&["王工"]));
        assert_eq!(who.not_supportive, None);
        assert_eq!(who.unscored, None);
        assert_eq!(who.key, None);
        assert!(who.neglected.is_none());

        // Rules test `facts.who.key != ()` and texts drop a line whose list is `()`; a
        // `for_each` over `best_opener` needs a list even when it is empty.
        let nobody = facts_of("deal: {id: x, name: x, as_of: 2026-03-01}\n");
        let who = rhai::serde::to_dynamic(&nobody.who)
            .expect("facts.who converts")
            .cast::<rhai::Map>();
        assert_eq!(who["count"].as_int(), Ok(0));
        for group in ["met", "openers", "swayable", "no_needs", "key", "neglected"] {
            assert!(who[group].is_unit(), "{group} is ()");
        }
        assert!(who["best_opener"].clone().into_array().unwrap().is_empty());
        assert_eq!(who["any_vip_card"].as_bool(), Ok(false));
    }

    fn objection(kind: &str, from: Option<&str>, handled: bool) -> Sighting {
        Sighting {
            concept: format!("objection.{kind}"),
            kind: kind.to_owned(),
            from: from.map(str::to_owned),
            date: None,
            said: None,
            handled: Some(handled),
            source: "objections[0]".to_owned(),
            evidence: None,
            detected_by: None,
        }
    }

    #[test]
    fn objections_are_counted_by_type_with_and_without_who_raised_them() {
        let snapshot: Snapshot =
            serde_yaml::from_str("deal: {id: x, name: x, as_of: 2026-03-01}").expect("valid");
        let objections = [
            objection("no_trust", Some("林总"), false),
            objection("no_trust", None, false),
            objection("no_budget", None, false),
            objection("no_need", Some("王工"), true),
            objection("no_hurry", None, true),
        ];
        let facts = Facts::derive(&snapshot, &[], &objections, &EngineSettings::builtin());
        let count = |key: &str| facts.objection_counts[key];
        assert_eq!(count("no_trust"), 1);
        assert_eq!(count("no_trust_unattributed"), 1);
        assert_eq!(count("no_budget"), 0);
        assert_eq!(count("no_budget_unattributed"), 1);
        // Handled: counted only when it names who raised it.
        assert_eq!(count("handled"), 1);
        assert_eq!(count("no_need"), 0);
        assert_eq!(facts.objection_counts.len(), 9);
    }

    #[test]
    fn a_coverage_gap_names_everyone_identified_but_the_top_decision_maker() {
        let facts = facts_of(
            "deal: {id: x, name: x, as_of: 2026-03-01}
stakeholders:
  - {name: 林总, role: decision_maker, top_decision_maker: true, met: false}
  - {name: 钱经理, role: decision_maker, met: false}
  - {name: 小张, role: user, met: false}
  - {name: 王工, role: technical_gatekeeper, stance: supporter, met: true}
",
        );
        let gap = |role: &str| {
            facts.gaps[role]
                .as_ref()
                .map(|gap| (gap.status, gap.names.clone()))
        };
        assert_eq!(
            gap("decision_maker"),
            Some(("identified", names(&["钱经理"])))
        );
        assert_eq!(gap("user"), Some(("identified", names(&["小张"]))));
        assert_eq!(gap("influencer"), Some(("missing", None)));
        assert_eq!(gap("technical_gatekeeper"), None);
    }

    #[test]
    fn the_account_name_tells_the_kind_of_organisation() {
        let kinds = EngineSettings::builtin().organisation_kinds;
        let kind = |name: Option<&str>| organisation_kind(name, &kinds);
        assert_eq!(kind(Some("Pearl River Bank")), "bank");
        assert_eq!(kind(Some("珠江农商银行")), "bank");
        assert_eq!(kind(Some("RENJI HOSPITAL")), "hospital");
        assert_eq!(kind(Some("Bright Future School")), "school");
        assert_eq!(kind(Some("City Government")), "public");
        assert_eq!(kind(Some("某市人社局")), "public");
        // A Latin word counts only whole: a river bank is no bank.
        assert_eq!(kind(Some("Riverbank Foods")), "company");
        assert_eq!(kind(Some("锦绣纺织")), "company");
        assert_eq!(kind(None), "company");
    }

    #[test]
    fn revenue_that_is_not_collected_or_not_profitable_holds_the_tier_down() {
        let settings = EngineSettings::builtin();
        // 2% margin and 42% collected: the score reaches tier B, the account is held at C.
        let flattered = value_of(
            Some(5_000_000.0),
            Some(100_000.0),
            Some(2_100_000.0),
            Some(50.0),
            None,
            None,
            None,
            &settings,
        )
        .expect("metrics give a value");
        assert!(flattered.score >= 50.0, "score {}", flattered.score);
        assert_eq!(flattered.tier, "C");
        assert_eq!(
            flattered.capped_by,
            Some(vec!["poor_collection", "thin_profit"])
        );
        // Healthy revenue of the same size keeps the tier its score reaches.
        let healthy = value_of(
            Some(5_000_000.0),
            Some(1_000_000.0),
            Some(5_000_000.0),
            Some(50.0),
            None,
            None,
            None,
            &settings,
        )
        .expect("metrics give a value");
        assert_eq!((healthy.tier.as_str(), healthy.capped_by), ("A", None));
        // A tier already below the cap is not raised to it, nor marked as capped.
        let small = value_of(
            Some(100_000.0),
            Some(1_000.0),
            Some(10_000.0),
            None,
            None,
            None,
            None,
            &settings,
        )
        .expect("metrics give a value");
        assert_eq!((small.tier.as_str(), small.capped_by), ("D", None));
    }

    #[test]
    fn the_quadrant_cut_is_strict() {
        let settings = EngineSettings::builtin();
        // Current value exactly 5 (score 50) and potential exactly 5: both count as low.
        let on_the_cut = value_of(
            Some(2_500_000.0),
            None,
            None,
            None,
            Some(5.0),
            None,
            None,
            &settings,
        )
        .expect("metrics give a value");
        assert_eq!(on_the_cut.current, 5.0);
        assert_eq!(on_the_cut.quadrant.as_deref(), Some("deprioritise"));
        let above = value_of(
            Some(2_600_000.0),
            None,
            None,
            None,
            Some(5.1),
            None,
            None,
            &settings,
        )
        .expect("metrics give a value");
        assert_eq!(above.quadrant.as_deref(), Some("develop"));
    }
}
