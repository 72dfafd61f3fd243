//! The deal snapshot: the input contract (`spec/deal-snapshot.md`), read and validated.
//!
//! Loading is strict because a silently ignored typo is advice on the wrong deal: unknown
//! keys and values are errors naming their line and column with a suggestion, numbers out
//! of range are errors, and the cross-field checks (names that must refer to a
//! stakeholder, a single top decision maker) point at the offending value too.
//!
//! A file named `*.json` is read as strict JSON (serde_json), anything else as YAML; both
//! give the same located messages for what the snapshot's own checks refuse.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

use crate::diag::{did_you_mean, line_column, Diagnostic};
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::*;

pub mod checked;
pub mod date;
mod events;
pub(crate) mod outline;
pub mod places;
mod simple_yaml;
pub mod vocabulary;

/// One deal on one day.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(default = "format_version_1")]
    pub version: FormatVersion,
    pub deal: Deal,
    #[serde(default)]
    pub account: Account,
    #[serde(default)]
    pub information: Information,
    #[serde(default)]
    pub stakeholders: Vec<Stakeholder>,
    #[serde(default)]
    pub objections: Vec<Objection>,
    #[serde(default)]
    pub signals: Vec<Signal>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// Advice the rep has set aside for a known reason until a date (`coach` hides it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snoozed: Vec<Snooze>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deal {
    #[serde(deserialize_with = "non_empty_text")]
    pub id: String,
    #[serde(deserialize_with = "non_empty_text")]
    pub name: String,
    pub as_of: Option<Date>,
    pub amount: Option<Money>,
    pub currency: Option<String>,
    pub expected_close: Option<Date>,
    pub stage: Option<Stage>,
    pub temperature: Option<Temperature>,
    pub next_step: Option<String>,
    pub close_requested: Option<bool>,
    pub solutions_prepared: Option<Count>,
    pub proof_assets: Option<Vec<ProofAsset>>,
    pub notes: Option<String>,
    /// The rep who owns the deal: `review` totals per owner and filters by it.
    #[serde(default, deserialize_with = "optional_non_empty_text")]
    pub owner: Option<String>,
}

/// `snoozed:` — one concept's move or warning hidden until a date, for a reason. The
/// snooze holds while `deal.as_of` is before `until` and lapses on that day, so the same
/// snapshot gives the same advice on every machine (never the clock).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Snooze {
    pub concept: SnoozedConcept,
    pub until: Date,
    #[serde(deserialize_with = "non_empty_text")]
    pub reason: String,
}

impl Snooze {
    /// Whether the snooze still hides its concept on `as_of`.
    pub fn holds_on(&self, as_of: Date) -> bool {
        as_of < self.until
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: Option<String>,
    pub is_key_account: Option<bool>,
    pub relationship_stage: Option<RelationshipStage>,
    pub purchase_pattern: Option<PurchasePattern>,
    pub metrics: Option<Metrics>,
    pub potential: Option<Potential>,
    pub credit: Option<Credit>,
    pub has_account_file: Option<bool>,
    pub referrals: Option<Count>,
    pub thinks_of_us_first: Option<bool>,
    pub service_issues: Option<Vec<ServiceIssue>>,
}

/// Trailing twelve months, in the deal's currency.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    pub revenue: Option<Money>,
    /// May be negative: a loss-making account is exactly what `value.thin_profit` is for.
    pub profit: Option<f64>,
    pub collected: Option<Money>,
    pub transactions: Option<Count>,
}

/// Each 0..10.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Potential {
    pub growth: Option<Score10>,
    pub strategic_fit: Option<Score10>,
    pub share_of_wallet_left: Option<Score10>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceIssue {
    pub opened: Option<Date>,
    pub resolved: Option<bool>,
    pub severity: Option<Severity>,
}

/// What we know about the customer (information power). Absent items are unknown.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Information {
    pub reviewed: Option<Date>,
    pub funds_and_credit: Option<Knowledge>,
    pub project_reason: Option<Knowledge>,
    pub stakeholder_needs: Option<Knowledge>,
    pub procurement_process: Option<Knowledge>,
    pub procurement_priorities: Option<Knowledge>,
    pub org_structure: Option<Knowledge>,
    pub project_steps: Option<Knowledge>,
    pub key_difficulties: Option<Knowledge>,
    pub competitors: Option<Knowledge>,
    pub insider: Option<bool>,
    pub external_allies: Option<Count>,
}

impl Information {
    /// The nine knowledge items, in checklist order.
    pub const ITEMS: [&'static str; 9] = [
        "funds_and_credit",
        "project_reason",
        "stakeholder_needs",
        "procurement_process",
        "procurement_priorities",
        "org_structure",
        "project_steps",
        "key_difficulties",
        "competitors",
    ];

    pub fn items(&self) -> [(&'static str, Option<Knowledge>); 9] {
        let values = [
            self.funds_and_credit,
            self.project_reason,
            self.stakeholder_needs,
            self.procurement_process,
            self.procurement_priorities,
            self.org_structure,
            self.project_steps,
            self.key_difficulties,
            self.competitors,
        ];
        std::array::from_fn(|index| (Self::ITEMS[index], values[index]))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stakeholder {
    pub name: StakeholderName,
    pub title: Option<String>,
    pub level: Option<Level>,
    pub role: Option<Role>,
    #[serde(default)]
    pub top_decision_maker: TopFlag,
    pub influence: Option<Influence>,
    pub stance: Option<Stance>,
    pub met: Option<bool>,
    pub last_contact: Option<Date>,
    pub needs: Option<String>,
    pub vip_card: Option<VipCard>,
}

/// The relationship card kept for a key contact.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VipCard {
    pub interests: Option<Vec<String>>,
    pub personal: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Objection {
    #[serde(rename = "type")]
    pub kind: ObjectionType,
    pub from: Option<StakeholderRef>,
    pub said: Option<String>,
    pub date: Option<Date>,
    pub handled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    #[serde(rename = "type")]
    pub kind: SignalType,
    pub from: Option<StakeholderRef>,
    pub date: Option<Date>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub text: Option<String>,
    pub date: Option<Date>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub date: Option<Date>,
    #[serde(rename = "type")]
    pub kind: Option<ActivityType>,
    #[serde(default)]
    pub with: Vec<StakeholderRef>,
    pub note: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Checked scalars. Each validates while deserializing, so serde_yaml attaches the line and
// column of the offending value to the message.

fn non_empty_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    checked::text(deserializer, "a text", |text| {
        if text.trim().is_empty() {
            return Err("may not be empty".to_owned());
        }
        Ok(text.to_owned())
    })
}

fn optional_non_empty_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    non_empty_text(deserializer).map(Some)
}

fn format_version_1() -> FormatVersion {
    FormatVersion(1)
}

/// Only version 1 exists; a later file should fail loudly, not be half-read.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FormatVersion(pub u32);

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked::integer(deserializer, "the format version, 1", |version| {
            if version != 1 {
                return Err(format!(
                    "unsupported snapshot version {version}: this dealcoach reads version 1"
                ));
            }
            Ok(FormatVersion(1))
        })
    }
}

macro_rules! bounded_integer {
    ($(#[$meta:meta])* $name:ident, $what:literal, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        pub struct $name(pub i64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                checked::integer(deserializer, concat!($what, ", a whole number"), |value| {
                    if !($min..=$max).contains(&value) {
                        let range = if $max == i64::MAX { format!("{} or more", $min) } else { format!("{} to {}", $min, $max) };
                        return Err(format!("{} must be {range}, not {value}", $what));
                    }
                    Ok($name(value))
                })
            }
        }
    };
}

bounded_integer!(
    /// The rep's read of buying intent, on the 10 / 40 / 80 / 100 scale.
    Temperature, "temperature", 0, 100);
bounded_integer!(
    /// The rep's score of a person's influence.
    Influence, "influence", 1, 10);
bounded_integer!(Count, "a count", 0, i64::MAX);

/// A non-negative amount of money.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
pub struct Money(pub f64);

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked::number(deserializer, "an amount of money", |value| {
            if value < 0.0 {
                return Err(format!("an amount of money must be 0 or more, not {value}"));
            }
            Ok(Money(value))
        })
    }
}

/// A potential score, 0..10.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
pub struct Score10(pub f64);

impl<'de> Deserialize<'de> for Score10 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked::number(deserializer, "a score from 0 to 10", |value| {
            if !(0.0..=10.0).contains(&value) {
                return Err(format!("a potential score must be 0 to 10, not {value}"));
            }
            Ok(Score10(value))
        })
    }
}

// ---------------------------------------------------------------------------------------
// Cross-field checks (see `read_checked`): when one fails, the text is read again with the
// names installed in `CROSS_CHECK`, and the failing value itself raises the error.

#[derive(Default)]
struct CrossCheck {
    names: Vec<String>,
    seen_names: BTreeSet<String>,
    seen_top: bool,
    /// Concepts snoozed so far: one concept takes one snooze (two would disagree on the
    /// date or the reason, and only one could be shown).
    seen_snoozes: BTreeSet<String>,
}

thread_local! {
    static CROSS_CHECK: RefCell<Option<CrossCheck>> = const { RefCell::new(None) };
}

fn with_cross_check<T>(check: impl FnOnce(&mut CrossCheck) -> T) -> Option<T> {
    CROSS_CHECK.with(|active| active.borrow_mut().as_mut().map(check))
}

/// A stakeholder's name; names are how objections, signals and activities refer to
/// people, so two people may not share one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StakeholderName(pub String);

impl<'de> Deserialize<'de> for StakeholderName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked::text(deserializer, "a name", |name| {
            if name.trim().is_empty() {
                return Err("a stakeholder's name may not be empty".to_owned());
            }
            let duplicate = with_cross_check(|check| !check.seen_names.insert(name.to_owned()))
                .unwrap_or(false);
            if duplicate {
                return Err(format!(
                    "two stakeholders are named `{name}`: names identify people in objections, signals and activities"
                ));
            }
            Ok(StakeholderName(name.to_owned()))
        })
    }
}

/// A reference to a stakeholder by name (`from`, `with`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StakeholderRef(pub String);

impl<'de> Deserialize<'de> for StakeholderRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked::text(deserializer, "a stakeholder's name", |name| {
            let problem = with_cross_check(|check| {
                if check.names.iter().any(|known| known == name) {
                    return None;
                }
                let hint = did_you_mean(name, check.names.iter().map(String::as_str))
                    .map(|nearest| format!(" — did you mean `{nearest}`?"))
                    .unwrap_or_else(|| " — add them under `stakeholders`".to_owned());
                Some(format!("`{name}` is not one of the stakeholders{hint}"))
            })
            .flatten();
            match problem {
                Some(message) => Err(message),
                None => Ok(StakeholderRef(name.to_owned())),
            }
        })
    }
}

/// The concept a snooze names: one the playbook's rules produce. The playbook's concepts
/// travel in the same thread-local scope as its aliases ([`CONCEPTS_KEY`]), so the
/// unknown concept is reported at its own line and column; without a playbook in scope
/// (a snapshot read on its own) any non-empty concept is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SnoozedConcept(pub String);

impl<'de> Deserialize<'de> for SnoozedConcept {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked::text(deserializer, "a concept such as `risk.stale`", |written| {
            let concept = written.trim();
            if concept.is_empty() {
                return Err("a snoozed concept may not be empty".to_owned());
            }
            let unknown = with_playbook_concepts(|known| {
                (!known.contains_key(concept)).then(|| {
                    did_you_mean(concept, known.keys().map(String::as_str))
                        .map(|nearest| format!(" — did you mean `{nearest}`?"))
                        .unwrap_or_default()
                })
            })
            .flatten();
            if let Some(hint) = unknown {
                return Err(format!(
                    "no rule of the playbooks produces concept `{concept}`, so there is nothing to snooze{hint}"
                ));
            }
            let twice = with_cross_check(|check| !check.seen_snoozes.insert(concept.to_owned()))
                .unwrap_or(false);
            if twice {
                return Err(format!(
                    "concept `{concept}` is already snoozed above: keep one snooze for it, with the date and reason that hold"
                ));
            }
            Ok(SnoozedConcept(concept.to_owned()))
        })
    }
}

/// `top_decision_maker`: at most one person may be the final decision maker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TopFlag(pub bool);

impl<'de> Deserialize<'de> for TopFlag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked::boolean(deserializer, |flag| {
            let second = flag
                && with_cross_check(|check| std::mem::replace(&mut check.seen_top, true))
                    .unwrap_or(false);
            if second {
                return Err("a second stakeholder has `top_decision_maker: true`: only one person makes the final decision".to_owned());
            }
            Ok(TopFlag(flag))
        })
    }
}

impl Snapshot {
    /// The day the snapshot describes: `deal.as_of`, or today when the rep left it out.
    pub fn as_of(&self) -> Date {
        self.deal.as_of.unwrap_or_else(Date::today)
    }

    fn violates_cross_checks(&self) -> bool {
        let names: Vec<&str> = self
            .stakeholders
            .iter()
            .map(|person| person.name.0.as_str())
            .collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        let known = |reference: &StakeholderRef| unique.contains(reference.0.as_str());
        unique.len() != names.len()
            || self
                .stakeholders
                .iter()
                .filter(|person| person.top_decision_maker.0)
                .count()
                > 1
            || self
                .objections
                .iter()
                .filter_map(|item| item.from.as_ref())
                .any(|r| !known(r))
            || self
                .signals
                .iter()
                .filter_map(|item| item.from.as_ref())
                .any(|r| !known(r))
            || self
                .activities
                .iter()
                .flat_map(|item| &item.with)
                .any(|r| !known(r))
            || {
                let snoozed: BTreeSet<&str> = self
                    .snoozed
                    .iter()
                    .map(|snooze| snooze.concept.0.as_str())
                    .collect();
                snoozed.len() != self.snoozed.len()
            }
    }
}

// ---------------------------------------------------------------------------------------
// Reading.

/// Inputs larger than this are refused before parsing (`DEALCOACH_MAX_INPUT_BYTES`).
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 8 * 1024 * 1024;

/// The largest cap `DEALCOACH_MAX_INPUT_BYTES` may set (1 GiB): reading a YAML document
/// takes many times its size in memory, so a larger input is never a deal.
pub const MAX_INPUT_BYTES_CEILING: u64 = 1024 * 1024 * 1024;

/// The size cap `DEALCOACH_MAX_INPUT_BYTES` sets, or the default when it is unset or
/// empty; a value that is not a whole number from 1 to [`MAX_INPUT_BYTES_CEILING`] is a
/// usage error (a typo must not silently turn the cap off, or overflow it to zero).
pub fn max_input_bytes_setting() -> Result<u64, Diagnostic> {
    const NAME: &str = "DEALCOACH_MAX_INPUT_BYTES";
    let Some(raw) = std::env::var_os(NAME) else {
        return Ok(DEFAULT_MAX_INPUT_BYTES);
    };
    let shown = raw.to_string_lossy();
    let value = shown.trim();
    if value.is_empty() {
        return Ok(DEFAULT_MAX_INPUT_BYTES);
    }
    match value.parse::<u64>() {
        Ok(bytes) if (1..=MAX_INPUT_BYTES_CEILING).contains(&bytes) => Ok(bytes),
        _ => Err(Diagnostic::error(
            NAME,
            0,
            0,
            format!(
                "`{shown}` is not a size in bytes: set a whole number from 1 to {MAX_INPUT_BYTES_CEILING} (1 GiB), or unset it for the default {DEFAULT_MAX_INPUT_BYTES} (8 MiB)"
            ),
        )),
    }
}

/// The size cap in force: `DEALCOACH_MAX_INPUT_BYTES` or the default. The command line
/// refuses an invalid setting before any command runs ([`max_input_bytes_setting`]);
/// here an invalid one falls back to the default.
pub fn max_input_bytes() -> u64 {
    max_input_bytes_setting().unwrap_or(DEFAULT_MAX_INPUT_BYTES)
}

/// Reads a file (or stdin for `-`) as UTF-8 text, refusing oversized input unread.
pub fn read_text(path: &str, max_bytes: u64) -> Result<String, Diagnostic> {
    let too_big = |size: u64| {
        Diagnostic::error(
            path,
            0,
            0,
            format!(
                "the file is {size} bytes, over the {max_bytes}-byte limit for an input (set DEALCOACH_MAX_INPUT_BYTES to raise it)"
            ),
        )
    };
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|error| {
                Diagnostic::error(
                    "<stdin>",
                    0,
                    0,
                    format!("cannot read standard input: {error}"),
                )
            })?;
        if bytes.len() as u64 > max_bytes {
            return Err(Diagnostic {
                path: "<stdin>".into(),
                ..too_big(bytes.len() as u64)
            });
        }
    } else {
        let file = std::fs::File::open(path)
            .map_err(|error| Diagnostic::error(path, 0, 0, io_message(&error)))?;
        let metadata = file
            .metadata()
            .map_err(|error| Diagnostic::error(path, 0, 0, io_message(&error)))?;
        if metadata.is_dir() {
            return Err(Diagnostic::error(
                path,
                0,
                0,
                "is a folder, not a deal file",
            ));
        }
        if metadata.len() > max_bytes {
            return Err(too_big(metadata.len()));
        }
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|error| Diagnostic::error(path, 0, 0, io_message(&error)))?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_big(bytes.len() as u64));
        }
    }
    let mut text = String::from_utf8(bytes).map_err(|error| {
        let valid_up_to = error.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&error.as_bytes()[..valid_up_to]).into_owned();
        let (line, column) = line_column(&text, valid_up_to);
        Diagnostic::error(
            path,
            line,
            column,
            "the file is not UTF-8 text: save it as UTF-8",
        )
    })?;
    // Windows editors start UTF-8 files with a byte-order mark; it is not content (and
    // would shift every position on the first line).
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

pub(crate) fn io_message(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => format!("cannot read: {error}"),
    }
}

/// Parses and validates one snapshot. `path` is only used in messages.
pub fn parse(text: &str, path: &str, aliases: &Arc<Aliases>) -> Result<Snapshot, Diagnostic> {
    parse_within(text, path, aliases, Within::Whole, Guard::Run)
}

/// Where in a document the value to read is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Within {
    /// The document is the value.
    Whole,
    /// The document is a sequence of this many elements and the value is the last one:
    /// the others are anchored nodes it refers to (see `portfolio::pipeline`).
    LastOf(usize),
}

/// Whether a text still has to pass the input guards (see [`outline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    Run,
    /// The caller's own pass over the parser's events already did (a pipeline reads a
    /// file's events once, to tell a list from a deal and to guard it).
    Done,
}

/// [`parse`], for a value that may be the last element of a document (`Within`), and a
/// text that may have been guarded already.
pub(crate) fn parse_within(
    text: &str,
    path: &str,
    aliases: &Arc<Aliases>,
    within: Within,
    guarded: Guard,
) -> Result<Snapshot, Diagnostic> {
    let _aliases = AliasScope::enter(Arc::clone(aliases));
    if is_json(path) && within == Within::Whole {
        return read_checked(path, || from_json(text, path));
    }
    let guard_first = guarded == Guard::Run && !text.trim().is_empty();
    if guard_first && !(within == Within::Whole && serde_reveals_refusals(text)) {
        guard(text, path)?;
        return read_checked(path, || read_document(text, path, within));
    }
    read_checked(path, || read_document(text, path, within)).map_err(|problem| {
        // The guards were left to run only if serde failed: a refusal, at its place,
        // is what the file would have been told had they run first.
        match guard_first.then(|| guard(text, path)) {
            Some(Err(refusal)) => refusal,
            _ => problem,
        }
    })
}

/// Reads a snapshot with `read` and runs the cross-field checks. They need the whole
/// document (the list of names), so they run after the read; only when one fails is the
/// text read again with the facts installed in `CROSS_CHECK`, so that the failing value
/// itself raises the error at its line and column. The happy path pays for one read.
fn read_checked(
    path: &str,
    read: impl Fn() -> Result<Snapshot, Diagnostic>,
) -> Result<Snapshot, Diagnostic> {
    let snapshot = read()?;
    if !snapshot.violates_cross_checks() {
        return Ok(snapshot);
    }
    let names = snapshot
        .stakeholders
        .iter()
        .map(|person| person.name.0.clone())
        .collect();
    CROSS_CHECK.with(|active| {
        *active.borrow_mut() = Some(CrossCheck {
            names,
            ..CrossCheck::default()
        })
    });
    let located = read();
    CROSS_CHECK.with(|active| *active.borrow_mut() = None);
    located?;
    // Unreachable in practice: every cross check is re-raised by the second read.
    Err(Diagnostic::error(
        path,
        0,
        0,
        "stakeholder references do not match the stakeholders",
    ))
}

/// Reads a snapshot's document: with the simple reader when the text is in the shape
/// deal files are written in, else with serde_yaml. A text the simple reader accepts
/// passes every input guard (one document, no alias, nesting it bounds), so the guards
/// skipped for it cannot have refused it. The second read of [`read_checked`], which
/// places a cross-field problem, is always serde_yaml's: the simple reader keeps no
/// places, and its partial run would have filled the checks' state.
fn read_document(text: &str, path: &str, within: Within) -> Result<Snapshot, Diagnostic> {
    let placing = CROSS_CHECK.with(|active| active.borrow().is_some());
    if within == Within::Whole && !placing {
        if let Some(snapshot) = simple_yaml::from_str(text) {
            return Ok(snapshot);
        }
    }
    from_document(text, path, within)
}

/// Whether, for a deal snapshot, serde failing is the only way the input guards could
/// refuse `text`, so that the guards need to run only when it fails (one pass of the
/// YAML parser instead of two for almost every deal). What a guard refuses, and why
/// serde cannot accept such a text when this holds:
/// - a syntax error, in any document: serde_yaml parses the whole first document before
///   building anything, and refuses a second document, broken or not;
/// - an alias past the limits: there is no alias without a `*`;
/// - more than [`outline::MAX_NODES`] nodes: without aliases, every node is a scalar's
///   own bytes or comes from an indicator byte (`:`, `-`, `?`, `,`, `[`, `{`), at most
///   two from each, so a text of a quarter of that many bytes has too few;
/// - nesting past [`outline::MAX_NESTING`]: no field of a snapshot is deeper than five
///   levels, so serde refuses the first collection where a text or a number belongs.
///   What this leaves to bound is libyaml's own cost of reading deep nesting before
///   serde sees it, which grows with the square of flow nesting (`[[[…`): with no more
///   brackets than the guard allows levels, that stays small.
fn serde_reveals_refusals(text: &str) -> bool {
    if text.len() as u64 > outline::MAX_NODES / 4 {
        return false;
    }
    let bytes = text.as_bytes();
    let mut brackets = 0;
    // memchr's vector search: a deal holds a handful of these bytes in kilobytes of text.
    for at in memchr::memchr3_iter(b'*', b'[', b'{', bytes) {
        if bytes[at] == b'*' {
            return false;
        }
        brackets += 1;
    }
    brackets <= outline::MAX_NESTING
}

/// Whether `text` is, for [`serde_reveals_refusals`], a deal snapshot's text, and its
/// top level (the first thing after blank lines and comments) is a plain or quoted
/// scalar or a flow mapping: a mapping, never a list. A pipeline then reads it as one
/// deal without a pass of its own over the parser's events.
pub(crate) fn surely_single_deal(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim_start);
    let first = lines.find(|line| !line.is_empty() && !line.starts_with('#'));
    let Some(&byte) = first.and_then(|line| line.as_bytes().first()) else {
        return false;
    };
    (byte.is_ascii_alphanumeric() || matches!(byte, b'"' | b'\'' | b'_' | b'{') || byte >= 0x80)
        && serde_reveals_refusals(text)
}

/// Whether a file is read as JSON: by its name, as the person who saved it meant it.
pub(crate) fn is_json(path: &str) -> bool {
    // Bytes, not characters: a name may end in any text (`报价.json`, `张总`).
    let bytes = path.as_bytes();
    bytes.len() > 5 && bytes[bytes.len() - 5..].eq_ignore_ascii_case(b".json")
}

/// Reads strict JSON (RFC 8259: no trailing commas, no comments, no YAML), with the
/// line and column of the first problem. serde_json reads as it goes, so no guard is
/// needed: there are no aliases, every value costs its bytes, and a collection where a
/// snapshot has none is refused when it opens.
fn from_json<T: serde::de::DeserializeOwned>(text: &str, path: &str) -> Result<T, Diagnostic> {
    if text.trim().is_empty() {
        return Err(empty_file(path));
    }
    serde_json::from_str(text).map_err(|error| json_diagnostic(&error, text, path))
}

/// Makes a serde_json error into `path:line:col: message`, the column counted in
/// characters like every other position. serde_json places a problem at the last byte
/// it read; a problem with a value (an unknown key, a number out of range) is placed at
/// the start of that key or value instead, where the YAML reader places it.
pub(crate) fn json_diagnostic(error: &serde_json::Error, text: &str, path: &str) -> Diagnostic {
    use serde_json::error::Category;
    let line = error.line();
    let shown = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let mut at = error.column().saturating_sub(1).min(shown.len());
    while !shown.is_char_boundary(at) {
        at -= 1;
    }
    let syntax = matches!(error.classify(), Category::Syntax | Category::Eof);
    let mut message = strip_location(&error.to_string());
    if syntax {
        // `[1, 2,]`: serde_json expects another value; what the writer did is a
        // trailing comma, as serde_json itself says of one in an object.
        let before = text
            .lines()
            .take(line.saturating_sub(1))
            .chain([&shown[..at]])
            .flat_map(|part| part.trim_end().chars().last())
            .last();
        if message == "expected value" && before == Some(',') {
            message = "trailing comma".to_owned();
        }
        message = format!("not valid JSON: {message}");
    } else {
        at = json_token_start(shown, at);
        message = humanize_serde_message(&message);
    }
    let column = if line == 0 {
        0
    } else {
        shown[..at].chars().count() + 1
    };
    Diagnostic::error(path, line, column, message).with_source(text)
}

/// The start of the JSON token whose last byte is at `at` in `line`: a string's opening
/// quote, a number's or a literal's first character.
fn json_token_start(line: &str, at: usize) -> usize {
    let bytes = line.as_bytes();
    match bytes.get(at) {
        Some(b'"') => {
            let mut start = at;
            while let Some(quote) = bytes[..start].iter().rposition(|&byte| byte == b'"') {
                let escapes = bytes[..quote]
                    .iter()
                    .rev()
                    .take_while(|&&byte| byte == b'\\')
                    .count();
                start = quote;
                if escapes % 2 == 0 {
                    return quote;
                }
            }
            start
        }
        Some(byte) if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'+') => {
            let mut start = at;
            while start > 0
                && (bytes[start - 1].is_ascii_alphanumeric()
                    || matches!(bytes[start - 1], b'.' | b'-' | b'+'))
            {
                start -= 1;
            }
            start
        }
        _ => at,
    }
}

fn empty_file(path: &str) -> Diagnostic {
    Diagnostic::error(
        path,
        0,
        0,
        "the file is empty: a snapshot needs at least `deal.id` and `deal.name`",
    )
}

/// Deserializes YAML (or JSON) into `T`, turning serde's error into a located diagnostic
/// with a suggestion for unknown keys.
pub fn from_yaml<T: serde::de::DeserializeOwned>(text: &str, path: &str) -> Result<T, Diagnostic> {
    if !text.trim().is_empty() {
        guard(text, path)?;
    }
    from_document(text, path, Within::Whole)
}

fn from_document<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &str,
    within: Within,
) -> Result<T, Diagnostic> {
    if text.trim().is_empty() {
        return Err(empty_file(path));
    }
    let result = match within {
        Within::Whole => serde_yaml::from_str(text),
        Within::LastOf(count) => serde::de::DeserializeSeed::deserialize(
            LastOf::<T>(count, std::marker::PhantomData),
            serde_yaml::Deserializer::from_str(text),
        ),
    };
    result.map_err(|error| located_yaml_error(&error, text, path, within))
}

/// The limits every document is read under: nesting, aliases expanded within the input
/// cap, and a node count (see [`outline`]).
pub(crate) fn document_limits() -> outline::Limits {
    outline::Limits {
        max_expanded_bytes: max_input_bytes(),
        max_nodes: Some(outline::MAX_NODES),
    }
}

/// Refuses, before serde builds anything, a document whose reading would cost more than
/// its size: collections nested past [`outline::MAX_NESTING`], aliases that expand it past
/// the input cap, more than [`outline::MAX_NODES`] nodes. The parser's own events decide,
/// so quotes and comments cannot hide a bracket or an alias.
pub(crate) fn guard(text: &str, path: &str) -> Result<(), Diagnostic> {
    outline::guard(text, document_limits()).map_err(|refusal| {
        let (line, column) = refusal.mark.line_column();
        let diagnostic = Diagnostic::error(path, line, column, refusal.message);
        // Hostile files put everything on one line; echoing megabytes helps nobody.
        let at = refusal.mark.index.min(text.len());
        let line_start = text.as_bytes()[..at]
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        let line_end = text.as_bytes()[at..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(text.len(), |newline| at + newline);
        if line_end - line_start <= 500 {
            diagnostic.with_source(text)
        } else {
            diagnostic
        }
    })
}

/// The last of `.0` elements of a sequence, the others skipped unbuilt.
struct LastOf<T>(usize, std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> serde::de::DeserializeSeed<'de> for LastOf<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for LastOf<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(formatter, "a sequence of {} elements", self.0)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<T, A::Error> {
        use serde::de::{Error, IgnoredAny};
        for _ in 1..self.0 {
            items.next_element::<IgnoredAny>()?;
        }
        let value = items
            .next_element::<T>()?
            .ok_or_else(|| A::Error::custom("the entry is missing"))?;
        while items.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

/// serde_yaml names the place of a problem by its path from the document's root; inside
/// a `Within::LastOf` document that path starts with the element's index (`.[2].deal`),
/// which means nothing to the person who wrote the entry.
fn without_wrapper_path(message: &str) -> String {
    let Some(rest) = message.strip_prefix(".[") else {
        return message.to_owned();
    };
    let Some(close) = rest.find(']') else {
        return message.to_owned();
    };
    if !rest[..close].bytes().all(|byte| byte.is_ascii_digit()) {
        return message.to_owned();
    }
    let after = &rest[close + 1..];
    if let Some(inner) = after.strip_prefix('.') {
        inner.to_owned()
    } else if let Some(inner) = after.strip_prefix(": ") {
        inner.to_owned()
    } else {
        after.to_owned()
    }
}

/// Makes a serde_yaml error into `path:line:col: message`.
pub fn yaml_diagnostic(error: &serde_yaml::Error, text: &str, path: &str) -> Diagnostic {
    located_yaml_error(error, text, path, Within::Whole)
}

fn located_yaml_error(
    error: &serde_yaml::Error,
    text: &str,
    path: &str,
    within: Within,
) -> Diagnostic {
    let (line, column) = error
        .location()
        .map_or((0, 0), |place| (place.line(), place.column()));
    let mut message = strip_location(&error.to_string());
    if within != Within::Whole {
        message = without_wrapper_path(&message);
    }
    Diagnostic::error(path, line, column, humanize_serde_message(&message)).with_source(text)
}

/// serde_yaml appends " at line L column C"; the diagnostic says that in its own place.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) if message[index..].contains(" column ") => message[..index].to_owned(),
        _ => message.to_owned(),
    }
}

/// Rewrites serde's phrasing into ours: a suggestion for unknown fields, plain words for
/// type errors.
pub fn humanize_serde_message(message: &str) -> String {
    // "<path>: unknown field `x`, expected one of `a`, `b`" (or "expected `a` or `b`")
    let (prefix, body) = match message.find(": unknown field `") {
        Some(index) => (&message[..index], &message[index + 2..]),
        None if message.starts_with("unknown field `") => ("", message),
        None => return plain_type_error(message),
    };
    let Some(rest) = body.strip_prefix("unknown field `") else {
        return message.to_owned();
    };
    let Some(end) = rest.find('`') else {
        return message.to_owned();
    };
    let field = &rest[..end];
    let expected: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
    let hint = match did_you_mean(field, expected.iter().copied()) {
        Some(nearest) => format!(" — did you mean `{nearest}`?"),
        None if expected.is_empty() => String::new(),
        None => format!(" (expected one of: {})", expected.join(", ")),
    };
    let place = if prefix.is_empty() {
        String::new()
    } else {
        format!(" in `{prefix}`")
    };
    format!("unknown field `{field}`{place}{hint}")
}

fn plain_type_error(message: &str) -> String {
    message
        .replace("invalid type: ", "wrong type: ")
        .replace("expected i64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected a boolean", "expected true or false")
        .replace(
            "struct Snapshot",
            "a deal snapshot (a mapping with `deal:`)",
        )
}
