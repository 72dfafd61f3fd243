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
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use super::pipeline::{self, Origin};
use super::table::{self, Paint};
use super::{concept_matches, short_money, ErrorEntry, Format, PortfolioSettings};
use crate::coach::coach;
use crate::date::Date;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::facts::{account_value, Facts};
use crate::playbook::{Lang, Playbook};
use crate::snapshot::{
    Account, Count, Deal, FormatVersion, Information, Metrics, Money, Potential, Score10, Snapshot,
};
use crate::template::format_number;
use crate::vocabulary::{ActivityType, AliasScope, Aliases, PurchasePattern, Vocabulary};

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
const INDICATORS: [&str; 4] = ["revenue", "profit", "collected", "transactions"];

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

/// Reads the CSV export: every bad cell is reported with its line and column.
pub fn read_csv(
    text: &str,
    path: &str,
    aliases: &Arc<Aliases>,
) -> Result<Vec<AccountInput>, Diagnostics> {
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
                let hint = did_you_mean(&wanted, CSV_COLUMNS.iter().copied())
                    .map(|nearest| format!(" — did you mean `{nearest}`?"))
                    .unwrap_or_else(|| format!(" (columns: {})", CSV_COLUMNS.join(", ")));
                problems.push(located(
                    header_line,
                    field,
                    format!("unknown column `{}`{hint}", title.trim()),
                ));
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
        Ok(accounts)
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

fn flag(cell: &str) -> Result<bool, String> {
    match cell.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "是" => Ok(true),
        "false" | "no" | "n" | "0" | "否" => Ok(false),
        _ => Err(format!("expected true or false, not `{cell}`")),
    }
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
    pub severity: Option<crate::vocabulary::Severity>,
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
    let row = AccountRow {
        quadrant_label: quadrant
            .as_ref()
            .map(|quadrant| settings.quadrant_label(quadrant, lang)),
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
        kpi: input.kpi,
    };
    (row, failures)
}

// ---------------------------------------------------------------------------------------
// Output.

/// How to print the accounts.
pub struct View<'a> {
    pub format: Format,
    pub lang: Lang,
    pub paint: Paint,
    pub settings: &'a PortfolioSettings,
    pub playbook: &'a Playbook,
    /// Deals that could not be read (deal input only).
    pub errors: &'a [ErrorEntry],
    /// Deals without `account.name` (deal input only).
    pub without_account: usize,
}

pub fn write(classified: &Classified, view: &View, out: &mut dyn Write) -> io::Result<()> {
    match view.format {
        Format::Json => write_json(classified, view, out),
        Format::Csv => write_csv(classified, out),
        Format::Text => write_text(classified, view, out),
        Format::Markdown => write_markdown(classified, view, out),
    }
}

fn tier_names(playbook: &Playbook) -> Vec<String> {
    playbook
        .engine_settings
        .value
        .tiers
        .iter()
        .map(|tier| tier.name.clone())
        .collect()
}

#[derive(Serialize)]
struct JsonAccounts<'a> {
    dealcoach: &'static str,
    playbooks: JsonPlaybooks,
    tiers: Vec<String>,
    accounts: &'a [AccountRow],
    #[serde(skip_serializing_if = "Option::is_none")]
    deals_without_account: Option<usize>,
    rule_failures: Vec<JsonFailure<'a>>,
    errors: &'a [ErrorEntry],
}

#[derive(Serialize)]
struct JsonPlaybooks {
    source: String,
    digest: String,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    rule: &'a str,
    accounts: usize,
    example: &'a str,
}

fn write_json(classified: &Classified, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let document = JsonAccounts {
        dealcoach: env!("CARGO_PKG_VERSION"),
        playbooks: JsonPlaybooks {
            source: view.playbook.origin.label(),
            digest: view.playbook.digest().to_owned(),
        },
        tiers: tier_names(view.playbook),
        accounts: &classified.rows,
        deals_without_account: (view.without_account > 0).then_some(view.without_account),
        rule_failures: classified
            .rule_failures
            .iter()
            .map(|(rule, (accounts, example))| JsonFailure {
                rule,
                accounts: *accounts,
                example,
            })
            .collect(),
        errors: view.errors,
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
}

fn write_csv(classified: &Classified, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<String> = [
        "name",
        "tier",
        "score",
        "current",
        "potential",
        "quadrant",
        "is_key_account",
        "purchase_pattern",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for indicator in INDICATORS {
        header.push(indicator.to_owned());
        header.push(format!("{indicator}_rank"));
    }
    header.extend(
        [
            "collection_rate",
            "profit_margin",
            "warnings",
            "deals",
            "visits_30d",
            "favors_30d",
            "key_contacts_without_vip_card",
            "referrals",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    writer.write_record(&header)?;
    let number = |value: Option<f64>| value.map(format_number).unwrap_or_default();
    for row in &classified.rows {
        let mut record = vec![
            row.name.clone(),
            row.tier.clone().unwrap_or_default(),
            number(row.score),
            number(row.current),
            number(row.potential),
            row.quadrant.clone().unwrap_or_default(),
            row.is_key_account
                .map(|flag| flag.to_string())
                .unwrap_or_default(),
            row.purchase_pattern.clone().unwrap_or_default(),
        ];
        for indicator in INDICATORS {
            let entry = row.indicators.get(indicator);
            record.push(number(entry.and_then(|e| e.value)));
            record.push(
                entry
                    .and_then(|e| e.rank)
                    .map(|rank| rank.to_string())
                    .unwrap_or_default(),
            );
        }
        let kpi = row.kpi.as_ref();
        record.extend([
            number(row.collection_rate),
            number(row.profit_margin),
            row.warnings
                .iter()
                .map(|w| w.concept.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            row.deals.map(|d| d.to_string()).unwrap_or_default(),
            kpi.map(|k| k.visits_30d.to_string()).unwrap_or_default(),
            kpi.map(|k| k.favors_30d.to_string()).unwrap_or_default(),
            kpi.map(|k| k.key_contacts_without_vip_card.join(";"))
                .unwrap_or_default(),
            kpi.and_then(|k| k.referrals)
                .map(|r| r.to_string())
                .unwrap_or_default(),
        ]);
        writer.write_record(&record)?;
    }
    writer.flush()
}

struct Words {
    title: &'static str,
    accounts: &'static str,
    tier: &'static str,
    score: &'static str,
    account: &'static str,
    quadrant: &'static str,
    current: &'static str,
    potential: &'static str,
    indicators: [&'static str; 4],
    warnings: &'static str,
    kpi: &'static str,
    deals: &'static str,
    visits: &'static str,
    favors: &'static str,
    referrals: &'static str,
    no_card: &'static str,
    errors: &'static str,
    failures: &'static str,
    without_account: &'static str,
    none: &'static str,
}

const EN: Words = Words {
    title: "Accounts by value",
    accounts: "accounts",
    tier: "TIER",
    score: "SCORE",
    account: "ACCOUNT",
    quadrant: "QUADRANT",
    current: "NOW",
    potential: "POT.",
    indicators: ["REVENUE", "PROFIT", "COLLECTED", "ORDERS"],
    warnings: "Warnings",
    kpi: "Relationship KPIs",
    deals: "DEALS",
    visits: "VISITS",
    favors: "FAVOURS",
    referrals: "REFERRALS",
    no_card: "KEY CONTACTS WITHOUT A VIP CARD",
    errors: "Could not be read",
    failures: "Rules that failed (the other rules still ran)",
    without_account: "deals name no account (`account.name`) and were left out",
    none: "none",
};

const ZH: Words = Words {
    title: "客户价值分级",
    accounts: "个客户",
    tier: "等级",
    score: "得分",
    account: "客户",
    quadrant: "象限",
    current: "现实",
    potential: "潜在",
    indicators: ["销售额", "利润", "回款", "交易数"],
    warnings: "警示",
    kpi: "客户关系指标",
    deals: "商机",
    visits: "拜访",
    favors: "帮忙",
    referrals: "转介绍",
    no_card: "没有VIP卡的关键人",
    errors: "无法读取",
    failures: "出错的规则（其余规则照常运行）",
    without_account: "个商机没有填写客户名称（account.name），未计入",
    none: "无",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// `1.2M #3`: an indicator's value and rank.
fn indicator_cell(row: &AccountRow, indicator: &str, lang: Lang) -> String {
    let Some(entry) = row.indicators.get(indicator) else {
        return "-".to_owned();
    };
    let Some(value) = entry.value else {
        return "-".to_owned();
    };
    let shown = if indicator == "transactions" {
        format_number(value)
    } else {
        short_money(value, lang)
    };
    match entry.rank {
        Some(rank) => format!("{shown} #{rank}"),
        None => shown,
    }
}

fn number_or_dash(value: Option<f64>) -> String {
    value.map(format_number).unwrap_or_else(|| "-".to_owned())
}

/// Scores in a table column: one decimal, so the column lines up.
fn one_decimal(value: Option<f64>) -> String {
    value
        .map(|value| format!("{value:.1}"))
        .unwrap_or_else(|| "-".to_owned())
}

fn legend(view: &View) -> String {
    let model = &view.playbook.engine_settings.value;
    let tiers: Vec<String> = model
        .tiers
        .iter()
        .map(|tier| format!("{} ≥ {}", tier.name, format_number(tier.min)))
        .collect();
    let cut = format_number(model.quadrant_cut);
    match view.lang {
        Lang::Zh => format!(
            "金字塔等级按加权得分（settings.value）：{}；现实价值、潜在价值（0–10）≥ {cut} 为高。#n 为该单项指标在所有客户中的排名；! 表示该客户有警示（见下文）。",
            tiers.join(" · ")
        ),
        Lang::En => format!(
            "Pyramid tiers by weighted score (settings.value): {}; current and potential value (0–10) of {cut} or more count as high. #n is the account's rank on that single indicator; ! marks an account with warnings (below).",
            tiers.join(" · ")
        ),
    }
}

/// `1/2`: an actual count against its target.
fn against(actual: usize, target: Option<f64>) -> String {
    match target {
        Some(target) => format!("{actual}/{}", format_number(target)),
        None => actual.to_string(),
    }
}

const ACCOUNT_CELLS: usize = 19;

fn write_text(classified: &Classified, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let lang = view.lang;
    let w = words(lang);
    let paint = view.paint;
    let title = match lang {
        Lang::Zh => format!("{}：{}{}", w.title, classified.rows.len(), w.accounts),
        Lang::En => format!("{}: {} {}", w.title, classified.rows.len(), w.accounts),
    };
    writeln!(out, "{}", paint.bold(&title))?;
    writeln!(out)?;
    let header = format!(
        "{}  {}  {}  {}  {}  {}  {}  {}  {}  {}",
        table::left(w.tier, 4),
        table::right(w.score, 5),
        table::left(w.account, ACCOUNT_CELLS),
        table::left(w.quadrant, 12),
        table::right(w.current, 4),
        table::right(w.potential, 4),
        table::right(w.indicators[0], 9),
        table::right(w.indicators[1], 9),
        table::right(w.indicators[2], 9),
        table::right(w.indicators[3], 7),
    );
    writeln!(out, "{}", paint.dim(header.trim_end()))?;
    for row in &classified.rows {
        let flagged = if row.warnings.is_empty() { " " } else { "!" };
        let line = format!(
            "{}  {}  {}  {}  {}  {}  {}  {}  {}  {}",
            table::left(
                &format!("{}{flagged}", row.tier.as_deref().unwrap_or("-")),
                4
            ),
            table::right(&one_decimal(row.score), 5),
            table::left(&row.name, ACCOUNT_CELLS),
            table::left(row.quadrant_label.as_deref().unwrap_or("-"), 12),
            table::right(&one_decimal(row.current), 4),
            table::right(&one_decimal(row.potential), 4),
            table::right(&indicator_cell(row, "revenue", lang), 9),
            table::right(&indicator_cell(row, "profit", lang), 9),
            table::right(&indicator_cell(row, "collected", lang), 9),
            table::right(&indicator_cell(row, "transactions", lang), 7),
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(out)?;
    for line in super::review::wrap_text(&legend(view), 98, 0) {
        writeln!(out, "  {}", paint.dim(&line))?;
    }

    let flagged: Vec<&AccountRow> = classified
        .rows
        .iter()
        .filter(|row| !row.warnings.is_empty())
        .collect();
    if !flagged.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold(w.warnings))?;
        for row in flagged {
            let standing = [row.tier.clone(), row.quadrant_label.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            writeln!(out, "  {}  {}", paint.bold(&row.name), paint.dim(&standing))?;
            for warning in &row.warnings {
                for (index, line) in super::review::wrap_text(&warning.title, 94, 0)
                    .iter()
                    .enumerate()
                {
                    let lead = if index == 0 { "  ! " } else { "    " };
                    writeln!(out, "  {}{}", paint.yellow(lead), line)?;
                }
                for why in &warning.why {
                    for (index, line) in super::review::wrap_text(why, 92, 0).iter().enumerate() {
                        let lead = if index == 0 { "- " } else { "  " };
                        writeln!(out, "      {lead}{line}")?;
                    }
                }
                writeln!(
                    out,
                    "      {}",
                    paint.dim(&format!("[{}]", warning.concept))
                )?;
            }
        }
    }

    let with_kpi: Vec<&AccountRow> = classified
        .rows
        .iter()
        .filter(|row| row.kpi.is_some())
        .collect();
    if !with_kpi.is_empty() {
        writeln!(out)?;
        let targets = match lang {
            Lang::Zh => format!(
                "近30天；目标（settings）：拜访 {} 次、帮忙 {} 件",
                number_or_dash(view.settings.visit_target_30d),
                number_or_dash(view.settings.favor_target_30d)
            ),
            Lang::En => format!(
                "last 30 days; targets (settings): visits {}, favours {}",
                number_or_dash(view.settings.visit_target_30d),
                number_or_dash(view.settings.favor_target_30d)
            ),
        };
        writeln!(out, "{}  {}", paint.bold(w.kpi), paint.dim(&targets))?;
        let header = format!(
            "{}  {}  {}  {}  {}  {}",
            table::left(w.account, ACCOUNT_CELLS),
            table::right(w.deals, 5),
            table::right(w.visits, 7),
            table::right(w.favors, 7),
            table::right(w.referrals, 9),
            w.no_card
        );
        writeln!(out, "{}", paint.dim(&header))?;
        for row in with_kpi {
            let Some(kpi) = &row.kpi else { continue };
            let visits = against(kpi.visits_30d, kpi.visit_target_30d);
            let favors = against(kpi.favors_30d, kpi.favor_target_30d);
            let visits_below = kpi
                .visit_target_30d
                .is_some_and(|target| (kpi.visits_30d as f64) < target);
            let favors_below = kpi
                .favor_target_30d
                .is_some_and(|target| (kpi.favors_30d as f64) < target);
            let mark = |text: String, below: bool| {
                let cell = table::right(&format!("{text}{}", if below { " ✗" } else { "  " }), 7);
                if below {
                    paint.red(&cell)
                } else {
                    cell
                }
            };
            let contacts = if kpi.key_contacts_without_vip_card.is_empty() {
                "-".to_owned()
            } else {
                kpi.key_contacts_without_vip_card.join(match lang {
                    Lang::Zh => "、",
                    Lang::En => ", ",
                })
            };
            let used = ACCOUNT_CELLS + 2 + 5 + 2 + 7 + 2 + 7 + 2 + 9 + 2;
            let line = format!(
                "{}  {}  {}  {}  {}  {}",
                table::left(&row.name, ACCOUNT_CELLS),
                table::right(&row.deals.unwrap_or(0).to_string(), 5),
                mark(visits, visits_below),
                mark(favors, favors_below),
                table::right(
                    &kpi.referrals
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "-".to_owned()),
                    9
                ),
                table::fit(&contacts, 100 - used)
            );
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    if view.without_account > 0 {
        writeln!(out)?;
        let note = match lang {
            Lang::Zh => format!("{}{}", view.without_account, w.without_account),
            Lang::En => format!("{} {}", view.without_account, w.without_account),
        };
        writeln!(out, "{}", paint.dim(&note))?;
    }
    if !classified.rule_failures.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold(w.failures))?;
        for (rule, (count, example)) in &classified.rule_failures {
            writeln!(out, "  {rule} × {count}: {example}")?;
        }
    }
    if !view.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold(w.errors))?;
        for error in view.errors {
            writeln!(out, "  {}", paint.red(&error.message))?;
        }
    }
    Ok(())
}

fn write_markdown(classified: &Classified, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let lang = view.lang;
    let w = words(lang);
    let cell = table::markdown_cell;
    writeln!(
        out,
        "## {}",
        match lang {
            Lang::Zh => format!("{}：{}{}", w.title, classified.rows.len(), w.accounts),
            Lang::En => format!("{}: {} {}", w.title, classified.rows.len(), w.accounts),
        }
    )?;
    writeln!(out)?;
    let (tier, score, account, quadrant, current, potential) = match lang {
        Lang::Zh => ("等级", "得分", "客户", "象限", "现实价值", "潜在价值"),
        Lang::En => (
            "Tier",
            "Score",
            "Account",
            "Quadrant",
            "Current",
            "Potential",
        ),
    };
    let names: Vec<&str> = match lang {
        Lang::Zh => vec!["销售额", "利润", "回款", "交易次数", "警示"],
        Lang::En => vec!["Revenue", "Profit", "Collected", "Transactions", "Warnings"],
    };
    writeln!(
        out,
        "| {tier} | {score} | {account} | {quadrant} | {current} | {potential} | {} |",
        names.join(" | ")
    )?;
    writeln!(out, "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|")?;
    for row in &classified.rows {
        let warnings = row
            .warnings
            .iter()
            .map(|w| format!("`{}`", w.concept))
            .collect::<Vec<_>>()
            .join(" ");
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.tier.as_deref().unwrap_or("-"),
            number_or_dash(row.score),
            cell(&row.name),
            cell(row.quadrant_label.as_deref().unwrap_or("-")),
            number_or_dash(row.current),
            number_or_dash(row.potential),
            indicator_cell(row, "revenue", lang),
            indicator_cell(row, "profit", lang),
            indicator_cell(row, "collected", lang),
            indicator_cell(row, "transactions", lang),
            warnings
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", legend(view))?;
    let flagged: Vec<&AccountRow> = classified
        .rows
        .iter()
        .filter(|row| !row.warnings.is_empty())
        .collect();
    if !flagged.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.warnings)?;
        for row in flagged {
            writeln!(out)?;
            writeln!(out, "**{}**", cell(&row.name))?;
            writeln!(out)?;
            for warning in &row.warnings {
                writeln!(out, "- {} (`{}`)", warning.title, warning.concept)?;
                for why in &warning.why {
                    writeln!(out, "  - {why}")?;
                }
            }
        }
    }
    let with_kpi: Vec<&AccountRow> = classified
        .rows
        .iter()
        .filter(|row| row.kpi.is_some())
        .collect();
    if !with_kpi.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.kpi)?;
        writeln!(out)?;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            w.account, w.deals, w.visits, w.favors, w.referrals, w.no_card
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---|")?;
        for row in with_kpi {
            let Some(kpi) = &row.kpi else { continue };
            let target = |value: Option<f64>| {
                value
                    .map(|t| format!("/{}", format_number(t)))
                    .unwrap_or_default()
            };
            writeln!(
                out,
                "| {} | {} | {}{} | {}{} | {} | {} |",
                cell(&row.name),
                row.deals.unwrap_or(0),
                kpi.visits_30d,
                target(kpi.visit_target_30d),
                kpi.favors_30d,
                target(kpi.favor_target_30d),
                kpi.referrals
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "-".to_owned()),
                if kpi.key_contacts_without_vip_card.is_empty() {
                    w.none.to_owned()
                } else {
                    cell(&kpi.key_contacts_without_vip_card.join(", "))
                }
            )?;
        }
    }
    if !view.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.errors)?;
        writeln!(out)?;
        for error in view.errors {
            writeln!(out, "- `{}`", error.message.replace('`', "'"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The CRM export is read strictly (a bad cell names its line and column) and
    //! generously (thousands separators, yes/no, 是/否).
    use super::*;

    #[test]
    fn cells_are_read_with_units_people_write() {
        let text = "name,revenue,profit,transactions,is_key_account,purchase_pattern\nACME,\"1,200,000\",-5000,3,是,group_bulk\n";
        let accounts = read_csv(text, "a.csv", &Arc::new(Aliases::new())).unwrap();
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
