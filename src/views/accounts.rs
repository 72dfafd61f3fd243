//! `accounts`: which accounts are truly key (domain.md §1), from a CRM export or from the
//! accounts of a pipeline.
//!
//! Per account: each single indicator with its rank among the accounts, the weighted
//! pyramid score and tier and the current × potential quadrant ([`account_value`], the
//! same value model `next` uses), and the playbook's misjudgement warnings. The warnings
//! are not re-implemented here: each account becomes a minimal snapshot (no deal facts,
//! only its `account` section) that goes through [`coach`], and the view keeps the
//! warnings whose concepts `settings.accounts.warnings` names — so they are exactly the
//! playbook's rules, texts included.
//!
//! From deal files, several deals of one account are merged: each account field is taken
//! from the latest snapshot (by `deal.as_of`) that states it, and the relationship KPIs
//! are rolled up across the account's deals (an activity recorded in two deals counts once).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use super::pipeline::{self, Origin};
use super::{concept_matches, ErrorEntry, PortfolioSettings};
use crate::coach::coach;
use crate::coach::template::format_number;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::facts::{account_value, Facts};
use crate::playbook::{Lang, Playbook};
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::{
    ActivityType, AliasScope, Aliases, Flag, PurchasePattern, Vocabulary,
};
use crate::snapshot::{
    Account, Count, Deal, FormatVersion, Information, Metrics, Money, Potential, Score10, Snapshot,
};

/// The columns of a CRM export (deal-snapshot.md), in their documented order.
pub const CSV_COLUMNS: [&str; 10] = [
    "name",
    "revenue",
    "profit",
    "collected",
    "transactions",
    "growth",
    "strategic_fit",
    "share_of_wallet_left",
    "purchase_pattern",
    "is_key_account",
];

/// The single indicators of the value pyramid, in the playbook's order.
pub const INDICATORS: [&str; 4] = ["revenue", "profit", "collected", "transactions"];

/// One account to classify.
#[derive(Debug, Clone)]
pub struct AccountInput {
    pub name: String,
    pub account: Account,
    /// The latest `deal.as_of` among its deals (CSV accounts: none).
    pub as_of: Option<Date>,
    /// How many deals describe it (CSV accounts: none).
    pub deals: Option<usize>,
    pub kpi: Option<Kpi>,
}

/// The relationship KPIs of an account, rolled up across its deals.
#[derive(Debug, Clone, Serialize)]
pub struct Kpi {
    /// The day the 30 days end: the account's latest `deal.as_of`.
    pub as_of: String,
    /// Visits and meetings in the 30 days up to `as_of`.
    pub visits_30d: usize,
    #[serde(serialize_with = "super::whole::option")]
    pub visit_target_30d: Option<f64>,
    pub favors_30d: usize,
    #[serde(serialize_with = "super::whole::option")]
    pub favor_target_30d: Option<f64>,
    /// Key people (influence ≥ `settings.influential`) with no VIP card in any deal.
    pub key_contacts_without_vip_card: Vec<String>,
    pub referrals: Option<i64>,
}

// ---------------------------------------------------------------------------------------
// Reading a CRM export.

/// Reads the CSV export: every bad cell is reported with its line and column. A CRM's
/// export has columns of its own (Owner, Region …): they are passed over and returned, in
/// header order, for a note; a title one typo away from a column the file lacks
/// (`revenu`) is refused instead, since passing it over would lose the column.
pub fn read_csv(
    text: &str,
    path: &str,
    aliases: &Arc<Aliases>,
) -> Result<(Vec<AccountInput>, Vec<String>), Diagnostics> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let _aliases = AliasScope::enter(Arc::clone(aliases));
    let mut problems = Diagnostics::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let located = |line: usize, field: usize, message: String| {
        let column = text
            .lines()
            .nth(line.saturating_sub(1))
            .and_then(|source| field_columns(source).get(field).copied())
            .unwrap_or(0);
        Diagnostic::error(path, line, column, message).with_source(text)
    };

    let header = match records.next() {
        None => {
            return Err(Diagnostics(vec![Diagnostic::error(
                path,
                0,
                0,
                format!(
                    "the file is empty: an account export needs a header line ({})",
                    CSV_COLUMNS.join(", ")
                ),
            )]))
        }
        Some(Err(error)) => return Err(Diagnostics(vec![csv_problem(path, &error, text)])),
        Some(Ok(header)) => header,
    };
    let header_line = header.position().map_or(1, |p| p.line() as usize);
    let mut columns: Vec<Option<&'static str>> = Vec::new();
    let mut ignored = Vec::new();
    let present: Vec<String> = header
        .iter()
        .map(|title| title.trim().to_lowercase())
        .collect();
    for (field, title) in header.iter().enumerate() {
        let wanted = title.trim().to_lowercase();
        match CSV_COLUMNS.iter().find(|known| **known == wanted) {
            Some(known) if columns.contains(&Some(*known)) => problems.push(located(
                header_line,
                field,
                format!("column `{known}` appears twice"),
            )),
            Some(known) => columns.push(Some(known)),
            None => {
                let missing = CSV_COLUMNS
                    .iter()
                    .copied()
                    .filter(|known| !present.iter().any(|title| title == known));
                match did_you_mean(&wanted, missing) {
                    Some(nearest) => problems.push(located(
                        header_line,
                        field,
                        format!(
                            "unknown column `{}` — did you mean `{nearest}`?",
                            title.trim()
                        ),
                    )),
                    None => ignored.push(title.trim().to_owned()),
                }
                columns.push(None);
            }
        }
    }
    if !columns.contains(&Some("name")) {
        problems.push(located(
            header_line,
            0,
            "the header has no `name` column: every account needs a name".to_owned(),
        ));
    }
    if problems.has_errors() {
        return Err(problems);
    }

    let mut accounts: Vec<AccountInput> = Vec::new();
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.push(csv_problem(path, &error, text));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            problems.push(
                Diagnostic::error(
                    path,
                    line,
                    0,
                    format!(
                        "this line has {} cells but the header has {} columns",
                        record.len(),
                        columns.len()
                    ),
                )
                .with_source(text),
            );
            continue;
        }
        let mut row = CsvRow::default();
        for (field, cell) in record.iter().enumerate() {
            let Some(column) = columns[field] else {
                continue;
            };
            if let Err(message) = row.set(column, cell.trim()) {
                problems.push(located(line, field, format!("`{column}`: {message}")));
            }
        }
        let Some(name) = row.name.take() else {
            let field = columns.iter().position(|c| *c == Some("name")).unwrap_or(0);
            problems.push(located(
                line,
                field,
                "`name` is empty: every account needs a name".to_owned(),
            ));
            continue;
        };
        if let Some(first) = first_line.get(&name) {
            problems.push(located(
                line,
                0,
                format!("account `{name}` appears twice (first on line {first})"),
            ));
            continue;
        }
        first_line.insert(name.clone(), line);
        accounts.push(row.into_input(name));
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok((accounts, ignored))
    }
}

fn csv_problem(path: &str, error: &csv::Error, text: &str) -> Diagnostic {
    let line = error.position().map_or(0, |p| p.line() as usize);
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text: save it as UTF-8".to_owned(),
        _ => format!("cannot read this line as CSV: {error}"),
    };
    Diagnostic::error(path, line, 0, message).with_source(text)
}

/// The 1-based character column where each field of a CSV line starts (quotes respected).
fn field_columns(line: &str) -> Vec<usize> {
    let mut columns = vec![1];
    let mut quoted = false;
    for (index, c) in line.chars().enumerate() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => columns.push(index + 2),
            _ => {}
        }
    }
    columns
}

#[derive(Default)]
struct CsvRow {
    name: Option<String>,
    revenue: Option<f64>,
    profit: Option<f64>,
    collected: Option<f64>,
    transactions: Option<i64>,
    growth: Option<f64>,
    strategic_fit: Option<f64>,
    share_of_wallet_left: Option<f64>,
    purchase_pattern: Option<PurchasePattern>,
    is_key_account: Option<bool>,
}

impl CsvRow {
    /// Reads one cell; an empty cell means "not known".
    fn set(&mut self, column: &str, cell: &str) -> Result<(), String> {
        if cell.is_empty() {
            return Ok(());
        }
        match column {
            "name" => self.name = Some(cell.to_owned()),
            "revenue" => self.revenue = Some(non_negative(number(cell)?)?),
            "profit" => self.profit = Some(number(cell)?),
            "collected" => self.collected = Some(non_negative(number(cell)?)?),
            "transactions" => {
                let value = non_negative(number(cell)?)?;
                if value.fract() != 0.0 || value > i64::MAX as f64 {
                    return Err(format!("a count must be a whole number, not `{cell}`"));
                }
                self.transactions = Some(value as i64);
            }
            "growth" => self.growth = Some(score10(number(cell)?)?),
            "strategic_fit" => self.strategic_fit = Some(score10(number(cell)?)?),
            "share_of_wallet_left" => self.share_of_wallet_left = Some(score10(number(cell)?)?),
            "purchase_pattern" => self.purchase_pattern = Some(PurchasePattern::resolve(cell)?),
            "is_key_account" => self.is_key_account = Some(flag(cell)?),
            _ => {}
        }
        Ok(())
    }

    fn into_input(self, name: String) -> AccountInput {
        let has_metrics = self.revenue.is_some()
            || self.profit.is_some()
            || self.collected.is_some()
            || self.transactions.is_some();
        let has_potential = self.growth.is_some()
            || self.strategic_fit.is_some()
            || self.share_of_wallet_left.is_some();
        AccountInput {
            account: Account {
                name: Some(name.clone()),
                is_key_account: self.is_key_account,
                purchase_pattern: self.purchase_pattern,
                metrics: has_metrics.then(|| Metrics {
                    revenue: self.revenue.map(Money),
                    profit: self.profit,
                    collected: self.collected.map(Money),
                    transactions: self.transactions.map(Count),
                }),
                potential: has_potential.then(|| Potential {
                    growth: self.growth.map(Score10),
                    strategic_fit: self.strategic_fit.map(Score10),
                    share_of_wallet_left: self.share_of_wallet_left.map(Score10),
                }),
                ..Account::default()
            },
            name,
            as_of: None,
            deals: None,
            kpi: None,
        }
    }
}

/// A number as CRM exports write it: `1200000`, `1,200,000`, `1 200 000`, `-35000.5`.
fn number(cell: &str) -> Result<f64, String> {
    let plain: String = cell
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}'))
        .collect();
    match plain.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(format!("expected a number, not `{cell}`")),
    }
}

fn non_negative(value: f64) -> Result<f64, String> {
    if value < 0.0 {
        Err(format!("must be 0 or more, not {}", format_number(value)))
    } else {
        Ok(value)
    }
}

fn score10(value: f64) -> Result<f64, String> {
    if (0.0..=10.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "a potential score must be 0 to 10, not {}",
            format_number(value)
        ))
    }
}

/// Yes or no: the usual spellings, or a `flag` alias of the playbooks (`是`, `否`).
fn flag(cell: &str) -> Result<bool, String> {
    match cell.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => return Ok(true),
        "false" | "no" | "n" | "0" => return Ok(false),
        _ => {}
    }
    Flag::resolve(cell)
        .map(|flag| matches!(flag, Flag::True))
        .map_err(|_| format!("expected true or false, not `{cell}`"))
}

// ---------------------------------------------------------------------------------------
// Accounts from deal files.

/// Which deal a merged account field came from: the latest `as_of` wins; ties go to the
/// larger deal id and file, so the result never depends on reading order.
type Stamp = (Date, String, String, usize);

/// An activity, as a key that is equal in two deals recording the same visit.
type ActivityKey = (Date, &'static str, Vec<String>);

/// What one deal says about its account.
struct DealPiece {
    name: String,
    stamp: Stamp,
    account: Account,
    visits: Vec<ActivityKey>,
    favors: Vec<ActivityKey>,
    key_without_card: Vec<String>,
    key_with_card: Vec<String>,
}

#[derive(Default)]
struct AccountState {
    account: Account,
    stamps: BTreeMap<&'static str, Stamp>,
    latest: Option<Date>,
    deals: usize,
    visits: BTreeSet<ActivityKey>,
    favors: BTreeSet<ActivityKey>,
    key_without_card: BTreeSet<String>,
    key_with_card: BTreeSet<String>,
}

impl AccountState {
    fn absorb(&mut self, piece: DealPiece) {
        self.deals += 1;
        let as_of = piece.stamp.0;
        self.latest = self.latest.max(Some(as_of));
        let stamp = &piece.stamp;
        let account = piece.account;
        macro_rules! take {
            ($($field:ident),+) => {$(
                if account.$field.is_some()
                    && self.stamps.get(stringify!($field)).map_or(true, |held| stamp > held)
                {
                    self.account.$field = account.$field.clone();
                    self.stamps.insert(stringify!($field), stamp.clone());
                }
            )+};
        }
        take!(
            name,
            is_key_account,
            relationship_stage,
            purchase_pattern,
            metrics,
            potential,
            credit,
            has_account_file,
            referrals,
            thinks_of_us_first,
            service_issues
        );
        self.visits.extend(piece.visits);
        self.favors.extend(piece.favors);
        self.key_without_card.extend(piece.key_without_card);
        self.key_with_card.extend(piece.key_with_card);
    }

    fn into_input(self, name: String, settings: &PortfolioSettings) -> AccountInput {
        let kpi = self.latest.map(|latest| {
            let recent = |key: &&ActivityKey| key.0 <= latest && latest.days_since(key.0) < 30;
            Kpi {
                as_of: latest.to_string(),
                visits_30d: self.visits.iter().filter(recent).count(),
                visit_target_30d: settings.visit_target_30d,
                favors_30d: self.favors.iter().filter(recent).count(),
                favor_target_30d: settings.favor_target_30d,
                key_contacts_without_vip_card: self
                    .key_without_card
                    .difference(&self.key_with_card)
                    .cloned()
                    .collect(),
                referrals: self.account.referrals.map(|count| count.0),
            }
        });
        AccountInput {
            name,
            account: self.account,
            as_of: self.latest,
            deals: Some(self.deals),
            kpi,
        }
    }
}

/// What a deal contributes to its account; `None` for a deal without `account.name`.
fn piece_of(
    snapshot: Snapshot,
    origin: &Origin,
    playbook: &Playbook,
) -> Result<Option<DealPiece>, ErrorEntry> {
    let Some(name) = snapshot
        .account
        .name
        .as_ref()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
    else {
        return Ok(None);
    };
    let as_of = snapshot.as_of();
    // Signals and objections play no part in the KPIs; the facts are derived without them.
    let facts = Facts::derive(&snapshot, &[], &[], &playbook.engine_settings);
    let window = |kinds: &[ActivityType]| -> Vec<ActivityKey> {
        snapshot
            .activities
            .iter()
            .filter_map(|activity| {
                let kind = activity.kind.filter(|kind| kinds.contains(kind))?;
                let date = activity
                    .date
                    .filter(|date| *date <= as_of && as_of.days_since(*date) < 30)?;
                let mut with: Vec<String> = activity
                    .with
                    .iter()
                    .map(|person| person.0.clone())
                    .collect();
                with.sort();
                Some((date, kind.as_str(), with))
            })
            .collect()
    };
    let visits = window(&[ActivityType::Visit, ActivityType::Meeting]);
    let favors = window(&[ActivityType::Favor]);
    let key_with_card = facts
        .key_people
        .iter()
        .filter(|person| person.has_vip_card)
        .map(|person| person.name.clone())
        .collect();
    Ok(Some(DealPiece {
        stamp: (
            as_of,
            snapshot.deal.id.clone(),
            origin.file.clone(),
            origin.line.unwrap_or(0),
        ),
        name,
        account: snapshot.account,
        visits,
        favors,
        key_without_card: facts.key_contacts_without_vip_card,
        key_with_card,
    }))
}

/// The accounts described by the deals under `paths`, with the deals that could not be
/// read and how many deals name no account, and what the walk passed over.
pub fn from_deals(
    paths: &[PathBuf],
    playbook: &Playbook,
    settings: &PortfolioSettings,
    max_bytes: u64,
) -> (
    Vec<AccountInput>,
    Vec<ErrorEntry>,
    usize,
    Vec<pipeline::Skipped>,
) {
    let mut states: BTreeMap<String, AccountState> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut without_account = 0;
    let skipped = pipeline::for_each_chunk(
        paths,
        &playbook.aliases,
        max_bytes,
        |snapshot, origin| piece_of(snapshot, origin, playbook),
        |outcomes| {
            for outcome in outcomes {
                match outcome {
                    Ok(Some(piece)) => states.entry(piece.name.clone()).or_default().absorb(piece),
                    Ok(None) => without_account += 1,
                    Err(error) => errors.push(error),
                }
            }
        },
    );
    errors.sort();
    let inputs = states
        .into_iter()
        .map(|(name, state)| state.into_input(name, settings))
        .collect();
    (inputs, errors, without_account, skipped)
}

// ---------------------------------------------------------------------------------------
// Classification.

/// One account, classified.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRow {
    pub name: String,
    pub tier: Option<String>,
    /// 0..100, the weighted pyramid score.
    pub score: Option<f64>,
    /// 0..10.
    pub current: Option<f64>,
    /// 0..10.
    pub potential: Option<f64>,
    pub quadrant: Option<String>,
    /// The quadrant in the output language.
    pub quadrant_label: Option<String>,
    pub is_key_account: Option<bool>,
    pub purchase_pattern: Option<String>,
    pub collection_rate: Option<f64>,
    pub profit_margin: Option<f64>,
    /// Each single indicator: its value, its 0..100 score and its rank among the accounts
    /// (1 = the largest; equal values share a rank).
    pub indicators: IndexMap<&'static str, Indicator>,
    pub warnings: Vec<AccountWarning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deals: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kpi: Option<Kpi>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    #[serde(serialize_with = "super::whole::option")]
    pub value: Option<f64>,
    pub score: Option<f64>,
    pub rank: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountWarning {
    pub concept: String,
    pub severity: Option<crate::snapshot::vocabulary::Severity>,
    pub title: String,
    pub why: Vec<String>,
}

/// The classified accounts, best first.
pub struct Classified {
    pub rows: Vec<AccountRow>,
    /// Rules that failed on some account: rule id → (accounts, first message).
    pub rule_failures: BTreeMap<String, (usize, String)>,
}

/// Classifies every account (in parallel) and ranks the single indicators.
pub fn classify(
    inputs: Vec<AccountInput>,
    playbook: &Playbook,
    settings: &PortfolioSettings,
    lang: Lang,
) -> Classified {
    let outcomes: Vec<(AccountRow, Vec<String>)> = inputs
        .into_par_iter()
        .map(|input| classify_one(input, playbook, settings, lang))
        .collect();
    let mut rule_failures: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut rows = Vec::with_capacity(outcomes.len());
    for (row, failures) in outcomes {
        for failure in failures {
            let (id, message) = failure.split_once('\u{1f}').unwrap_or(("?", &failure));
            let entry = rule_failures
                .entry(id.to_owned())
                .or_insert_with(|| (0, format!("{}: {message}", row.name)));
            entry.0 += 1;
        }
        rows.push(row);
    }
    for indicator in INDICATORS {
        let values: Vec<f64> = rows
            .iter()
            .filter_map(|row| row.indicators.get(indicator).and_then(|i| i.value))
            .collect();
        for row in &mut rows {
            if let Some(entry) = row.indicators.get_mut(indicator) {
                entry.rank = entry
                    .value
                    .map(|value| 1 + values.iter().filter(|other| **other > value).count());
            }
        }
    }
    rows.sort_by(|a, b| {
        let score = |row: &AccountRow| row.score.unwrap_or(f64::NEG_INFINITY);
        score(b)
            .total_cmp(&score(a))
            .then_with(|| a.name.cmp(&b.name))
    });
    Classified {
        rows,
        rule_failures,
    }
}

/// The account as a snapshot of its own: an account section and nothing else, so only
/// the account rules have anything to say.
fn account_snapshot(input: &AccountInput) -> Snapshot {
    Snapshot {
        version: FormatVersion(1),
        deal: Deal {
            id: format!("account:{}", input.name),
            name: input.name.clone(),
            as_of: input.as_of,
            amount: None,
            currency: None,
            expected_close: None,
            stage: None,
            temperature: None,
            next_step: None,
            close_requested: None,
            solutions_prepared: None,
            proof_assets: None,
            notes: None,
        },
        account: input.account.clone(),
        information: Information::default(),
        stakeholders: Vec::new(),
        objections: Vec::new(),
        signals: Vec::new(),
        questions: Vec::new(),
        activities: Vec::new(),
    }
}

fn classify_one(
    input: AccountInput,
    playbook: &Playbook,
    settings: &PortfolioSettings,
    lang: Lang,
) -> (AccountRow, Vec<String>) {
    let snapshot = account_snapshot(&input);
    let value = account_value(&snapshot, &playbook.engine_settings);
    let mut failures = Vec::new();
    let mut warnings: Vec<AccountWarning> = Vec::new();
    match coach(playbook, &snapshot, lang) {
        Ok(report) => {
            for error in report.errors {
                failures.push(format!(
                    "{}\u{1f}{}:{}: {}",
                    error.id, error.file, error.line, error.message
                ));
            }
            for advice in report.warnings {
                let wanted = settings
                    .accounts
                    .warnings
                    .iter()
                    .any(|wanted| concept_matches(&advice.concept, wanted));
                let duplicate = warnings
                    .iter()
                    .any(|w| w.concept == advice.concept && w.title == advice.title);
                if wanted && !duplicate {
                    warnings.push(AccountWarning {
                        concept: advice.concept,
                        severity: advice.severity,
                        title: advice.title,
                        why: advice.why,
                    });
                }
            }
        }
        Err(message) => failures.push(format!("(account)\u{1f}{message}")),
    }
    let metrics = input.account.metrics.as_ref();
    let raw = |indicator: &str| -> Option<f64> {
        let metrics = metrics?;
        match indicator {
            "revenue" => metrics.revenue.map(|m| m.0),
            "profit" => metrics.profit,
            "collected" => metrics.collected.map(|m| m.0),
            "transactions" => metrics.transactions.map(|c| c.0 as f64),
            _ => None,
        }
    };
    let indicators = INDICATORS
        .iter()
        .map(|indicator| {
            (
                *indicator,
                Indicator {
                    value: raw(indicator),
                    score: value
                        .as_ref()
                        .and_then(|value| value.indicators.get(indicator).copied()),
                    rank: None,
                },
            )
        })
        .collect();
    let quadrant = value.as_ref().and_then(|value| value.quadrant.clone());
    // The KPI targets follow the account's tier where the playbook sets them per tier.
    let tier_targets = value
        .as_ref()
        .and_then(|value| settings.kpi_by_tier.get(&value.tier));
    let kpi = input.kpi.map(|mut kpi| {
        if let Some((visits, favors)) = tier_targets {
            kpi.visit_target_30d = visits.or(kpi.visit_target_30d);
            kpi.favor_target_30d = favors.or(kpi.favor_target_30d);
        }
        kpi
    });
    let row = AccountRow {
        quadrant_label: quadrant
            .as_ref()
            .map(|quadrant| playbook.labels.word("quadrant", quadrant, lang).to_owned()),
        name: input.name,
        tier: value.as_ref().map(|value| value.tier.clone()),
        score: value.as_ref().map(|value| value.score),
        current: value.as_ref().map(|value| value.current),
        potential: value.as_ref().and_then(|value| value.potential),
        quadrant,
        is_key_account: input.account.is_key_account,
        purchase_pattern: input
            .account
            .purchase_pattern
            .map(|pattern| pattern.as_str().to_owned()),
        collection_rate: value.as_ref().and_then(|value| value.collection_rate),
        profit_margin: value.as_ref().and_then(|value| value.profit_margin),
        indicators,
        warnings,
        deals: input.deals,
        kpi,
    };
    (row, failures)
}

#[cfg(test)]
mod tests {
    //! The CRM export is read strictly (a bad cell names its line and column) and
    //! generously (thousands separators, yes/no, 是/否).
    use super::*;

    #[test]
    fn cells_are_read_with_units_people_write() {
        let text = "name,revenue,profit,transactions,is_key_account,purchase_pattern\nACME,\"1,200,000\",-5000,3,是,group_bulk\n";
        // 是 is an alias of the built-in playbooks, as a trainer's would be.
        let playbook = Playbook::load(crate::playbook::PlaybookFiles::builtin()).unwrap();
        let (accounts, _) = read_csv(text, "a.csv", &playbook.aliases).unwrap();
        assert_eq!(accounts.len(), 1);
        let account = &accounts[0].account;
        let metrics = account.metrics.as_ref().unwrap();
        assert_eq!(metrics.revenue.map(|m| m.0), Some(1_200_000.0));
        assert_eq!(metrics.profit, Some(-5000.0));
        assert_eq!(account.is_key_account, Some(true));
        assert_eq!(account.purchase_pattern, Some(PurchasePattern::GroupBulk));
    }

    #[test]
    fn a_bad_cell_names_line_and_column() {
        let text = "name,revenue,growth\nA,100,5\n\"B, Ltd\",12k,11\n";
        let problems = read_csv(text, "a.csv", &Arc::new(Aliases::new())).unwrap_err();
        let shown: Vec<String> = problems
            .0
            .iter()
            .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
            .collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("3:10: `revenue`"), "{shown:?}");
        assert!(shown[1].starts_with("3:14: `growth`"), "{shown:?}");
    }

    #[test]
    fn a_crm_exports_own_columns_are_passed_over() {
        let text = "Owner,name,revenue,Region\nLi,A,1,East\n";
        let (accounts, ignored) = read_csv(text, "a.csv", &Arc::new(Aliases::new())).unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(ignored, ["Owner", "Region"]);
    }

    #[test]
    fn an_unknown_column_gets_a_suggestion() {
        let text = "name,revenu\nA,1\n";
        let problems = read_csv(text, "a.csv", &Arc::new(Aliases::new())).unwrap_err();
        assert!(
            problems.0[0].message.contains("did you mean `revenue`"),
            "{}",
            problems.0[0].message
        );
        assert_eq!((problems.0[0].line, problems.0[0].column), (1, 6));
    }
}
