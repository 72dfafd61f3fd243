//! Deal snapshots from a CRM: the input side before [`crate::snapshot`] reads them.
//!
//! Nobody types a YAML file per deal when the deals already live in a CRM. Two readers
//! turn an export into what the CRM knows about each deal — [`salesforce`] (a standard
//! export, by API field names) and [`mapped`] (any CRM's CSV through a column map) — as a
//! [`CrmDeal`]: the snapshot's fields the CRM fills, nothing it does not know. [`output`]
//! then writes one snapshot per deal into a folder, and when the folder already holds the
//! deal, [`merge`] updates the CRM's fields and keeps everything the rep added.
//!
//! Every snapshot written is checked by the snapshot reader first, so what `import`
//! writes `next` reads. The same export (and `--as-of`) always gives the same bytes.

use serde_yaml::{Mapping, Value};

pub mod cells;
pub mod mapped;
pub mod merge;
pub mod output;
pub mod salesforce;
pub mod table;

use crate::diag::Diagnostic;

/// What a CRM says about one deal.
#[derive(Debug, Clone)]
pub struct CrmDeal {
    /// `deal.id`: the CRM's record id, so results can go back onto the record.
    pub id: String,
    /// The file and line it came from, for messages about it.
    pub source: String,
    pub line: usize,
    /// The snapshot's fields the CRM fills, in the contract's order; unknown ones left
    /// out (never written as null).
    pub snapshot: Mapping,
}

/// An export, read: the deals, the rows that could not be used (each `FILE:LINE:
/// message`), and notes about what was read (columns or values passed over).
#[derive(Debug, Default)]
pub struct Import {
    pub deals: Vec<CrmDeal>,
    pub problems: Vec<Diagnostic>,
    pub notes: Vec<String>,
}

/// The contract's order of each mapping's keys (deal-snapshot.md), so a written snapshot
/// reads like the spec and like `dealcoach new`'s template.
const TOP: &[&str] = &[
    "version",
    "deal",
    "account",
    "information",
    "stakeholders",
    "objections",
    "signals",
    "questions",
    "activities",
];
const DEAL: &[&str] = &[
    "id",
    "name",
    "as_of",
    "amount",
    "currency",
    "expected_close",
    "stage",
    "temperature",
    "next_step",
    "close_requested",
    "solutions_prepared",
    "proof_assets",
    "notes",
    "owner",
];
const ACCOUNT: &[&str] = &[
    "name",
    "is_key_account",
    "relationship_stage",
    "purchase_pattern",
    "metrics",
    "potential",
    "credit",
    "has_account_file",
    "referrals",
    "thinks_of_us_first",
    "service_issues",
];
const METRICS: &[&str] = &["revenue", "profit", "collected", "transactions"];
const POTENTIAL: &[&str] = &["growth", "strategic_fit", "share_of_wallet_left"];
const INFORMATION: &[&str] = &[
    "reviewed",
    "funds_and_credit",
    "project_reason",
    "stakeholder_needs",
    "procurement_process",
    "procurement_priorities",
    "org_structure",
    "project_steps",
    "key_difficulties",
    "competitors",
    "insider",
    "external_allies",
];
const STAKEHOLDER: &[&str] = &[
    "name",
    "title",
    "level",
    "role",
    "top_decision_maker",
    "influence",
    "stance",
    "met",
    "last_contact",
    "needs",
    "vip_card",
];
const ACTIVITY: &[&str] = &["date", "type", "with", "note"];

/// Puts the keys of a snapshot's mappings in the contract's order; keys the contract
/// does not list (a field added since, or a rep's) keep their order after those.
pub fn arrange(snapshot: &mut Mapping) {
    reorder(snapshot, TOP);
    for (key, order) in [("deal", DEAL), ("information", INFORMATION)] {
        if let Some(Value::Mapping(inner)) = snapshot.get_mut(key) {
            reorder(inner, order);
        }
    }
    if let Some(Value::Mapping(account)) = snapshot.get_mut("account") {
        reorder(account, ACCOUNT);
        for (key, order) in [("metrics", METRICS), ("potential", POTENTIAL)] {
            if let Some(Value::Mapping(inner)) = account.get_mut(key) {
                reorder(inner, order);
            }
        }
    }
    for (key, order) in [("stakeholders", STAKEHOLDER), ("activities", ACTIVITY)] {
        if let Some(Value::Sequence(items)) = snapshot.get_mut(key) {
            for item in items {
                if let Value::Mapping(inner) = item {
                    reorder(inner, order);
                }
            }
        }
    }
}

fn reorder(mapping: &mut Mapping, order: &[&str]) {
    let mut rest = std::mem::take(mapping);
    for key in order {
        if let Some(value) = rest.remove(*key) {
            mapping.insert(Value::from(*key), value);
        }
    }
    for (key, value) in rest {
        mapping.insert(key, value);
    }
}

/// Builds what a CRM knows about one deal, field by field, in any order.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    snapshot: Mapping,
    stakeholders: Vec<Mapping>,
    activities: Vec<Mapping>,
}

impl SnapshotBuilder {
    /// Sets a field by its dotted path (`deal.amount`, `account.metrics.revenue`).
    pub fn set(&mut self, path: &str, value: Value) {
        let mut parts: Vec<&str> = path.split('.').collect();
        let Some(last) = parts.pop() else {
            return;
        };
        let mut mapping = &mut self.snapshot;
        for part in parts {
            let entry = mapping
                .entry(Value::from(part))
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if !entry.is_mapping() {
                *entry = Value::Mapping(Mapping::new());
            }
            let Value::Mapping(inner) = entry else {
                return;
            };
            mapping = inner;
        }
        mapping.insert(Value::from(last), value);
    }

    /// The value already set at a dotted path.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut value: Option<&Value> = None;
        let mut mapping = Some(&self.snapshot);
        for part in path.split('.') {
            value = mapping?.get(part);
            mapping = value.and_then(Value::as_mapping);
        }
        value
    }

    pub fn stakeholders(&mut self) -> &mut Vec<Mapping> {
        &mut self.stakeholders
    }

    pub fn activities(&mut self) -> &mut Vec<Mapping> {
        &mut self.activities
    }

    /// The snapshot, `version: 1` first and every mapping in the contract's order.
    pub fn finish(self) -> Mapping {
        let mut snapshot = self.snapshot;
        snapshot.insert(Value::from("version"), Value::from(1));
        for (key, items) in [
            ("stakeholders", self.stakeholders),
            ("activities", self.activities),
        ] {
            if !items.is_empty() {
                snapshot.insert(
                    Value::from(key),
                    Value::Sequence(items.into_iter().map(Value::Mapping).collect()),
                );
            }
        }
        arrange(&mut snapshot);
        snapshot
    }
}

/// A text value for YAML (a string, even when it looks like a number: an id `12345`
/// must stay text).
pub fn text_value(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

#[cfg(test)]
mod tests {
    //! Written snapshots read like the contract: its key order, whatever order fields
    //! were filled in.
    use super::*;

    #[test]
    fn fields_come_out_in_the_contracts_order() {
        let mut builder = SnapshotBuilder::default();
        builder.set("deal.notes", text_value("n"));
        builder.set("account.metrics.revenue", Value::from(5));
        builder.set("deal.id", text_value("12345"));
        builder.set("deal.name", text_value("X"));
        builder.set("account.name", text_value("A"));
        let snapshot = builder.finish();
        let text = serde_yaml::to_string(&snapshot).unwrap();
        assert_eq!(
            text,
            "version: 1\ndeal:\n  id: '12345'\n  name: X\n  notes: n\naccount:\n  name: A\n  metrics:\n    revenue: 5\n"
        );
    }
}
