//! The people of a deal as rules see them: each stakeholder with what follows from their
//! record, and the groups several rules speak of (`facts.who`).

use serde::Serialize;

use crate::playbook::settings::OrganisationWords;
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::*;
use crate::snapshot::{Snapshot, Stakeholder};

use super::quote;

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

/// The first kind of `kinds` one of whose words `name` holds, without regard to case;
/// `company` when none does or there is no name. A word in Latin letters counts only as
/// a whole word ("Bank" is in "Pearl River Bank", not in "Riverbank Foods"); a Chinese
/// word anywhere (银行 in 珠江银行).
pub fn organisation_kind<'a>(name: Option<&str>, kinds: &'a OrganisationWords) -> &'a str {
    let Some(name) = name.map(str::to_lowercase) else {
        return "company";
    };
    let is_word_char = |c: char| c.is_ascii_alphanumeric();
    let holds = |word: &str, finder: &memchr::memmem::Finder| {
        finder.find_iter(name.as_bytes()).any(|at| {
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
        .kinds
        .iter()
        .find(|(_, words)| words.iter().any(|(word, finder)| holds(word, finder)))
        .map_or("company", |(kind, _)| kind.as_str())
}

pub(super) fn describe(person: &Stakeholder, snapshot: &Snapshot, as_of: Date) -> Person {
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

pub(super) fn gap_context(gap: &CoverageGap, top_name: Option<&str>) -> GapContext {
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

/// The groups of `facts.who`: `people` in snapshot order, `key_people` most influential
/// first, and the days without contact after which a key person is neglected.
pub(super) fn people_groups(
    people: &[Person],
    key_people: &[Person],
    contact_days: i64,
) -> PeopleGroups {
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
