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

mod from_csv;
mod from_deals;

pub use from_csv::read_csv;
pub use from_deals::from_deals;

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

// ---------------------------------------------------------------------------------------
// Accounts from deal files.

/// Which deal a merged account field came from: the latest `as_of` wins; ties go to the
/// larger deal id and file, so the result never depends on reading order.
type Stamp = (Date, String, String, usize);

/// An activity, as a key that is equal in two deals recording the same visit.
type ActivityKey = (Date, &'static str, Vec<String>);

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
            owner: None,
        },
        account: input.account.clone(),
        information: Information::default(),
        stakeholders: Vec::new(),
        objections: Vec::new(),
        signals: Vec::new(),
        questions: Vec::new(),
        activities: Vec::new(),
        snoozed: Vec::new(),
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
