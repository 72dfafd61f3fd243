//! `review --since PREVIOUS.json`: the pipeline against an earlier review of it, for the
//! weekly question "what moved?" — each deal's risk change and its top move then, and how
//! many deals are new, gone, riskier or less risky.
//!
//! PREVIOUS is what `review --format json` printed before. Only the fields a row needs
//! are read (`deals[].id`, `name`, `risk`, `top_move`), so a review written by an older
//! version still compares; anything that is not such a document is a located error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::review::{DealRow, TopMove};
use crate::diag::Diagnostic;

/// The earlier review, by deal id.
#[derive(Debug, Clone)]
pub struct Previous {
    /// The file as the user named it.
    pub file: String,
    /// The language its titles are in (`lang`, absent before it was written).
    pub lang: Option<String>,
    pub deals: BTreeMap<String, PreviousDeal>,
    /// Rows it listed, and deals it read (`summary.read`; absent in older reviews). A
    /// review made with `--top` or a filter lists fewer than it read: a deal it did not
    /// list may have been read then, so it is not new.
    pub listed: usize,
    pub read: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PreviousDeal {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub risk: u32,
    #[serde(default)]
    pub top_move: Option<TopMove>,
}

/// What a review JSON must hold to be compared with.
#[derive(Deserialize)]
struct PreviousDocument {
    #[allow(dead_code)]
    dealcoach: String,
    #[serde(default)]
    lang: Option<String>,
    deals: Vec<PreviousDeal>,
    #[serde(default)]
    summary: Option<PreviousSummary>,
}

#[derive(Deserialize)]
struct PreviousSummary {
    #[serde(default)]
    read: Option<usize>,
}

impl Previous {
    /// Reads `text`, the contents of `file`. A deal id listed twice keeps its first row,
    /// as `review` itself does.
    pub fn parse(text: &str, file: &str) -> Result<Previous, Diagnostic> {
        let not_a_review = |line: usize, column: usize, problem: &str| {
            Diagnostic::error(
                file,
                line,
                column,
                format!(
                    "not the JSON of `dealcoach review --format json`: {problem} — give --since the file an earlier `review --format json` wrote"
                ),
            )
            .with_source(text)
        };
        // JSON of another command (`next` has `deal`, not `deals`) is named as such at
        // the top, not where serde notices a field is missing (the last line).
        if let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(text) {
            if !fields.get("deals").is_some_and(serde_json::Value::is_array) {
                let other = if fields.contains_key("deal") {
                    " (this looks like the JSON of `next` or `diff`)"
                } else {
                    ""
                };
                return Err(not_a_review(
                    1,
                    1,
                    &format!("it has no `deals` list{other}"),
                ));
            }
        }
        let document: PreviousDocument = serde_json::from_str(text).map_err(|error| {
            let message = crate::snapshot::humanize_serde_message(&error.to_string());
            // serde_json appends " at line L column C"; the place goes in front instead.
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(head, _)| head)
                .to_owned();
            not_a_review(error.line(), error.column(), &message)
        })?;
        let listed = document.deals.len();
        let mut deals = BTreeMap::new();
        for deal in document.deals {
            deals.entry(deal.id.clone()).or_insert(deal);
        }
        Ok(Previous {
            file: file.to_owned(),
            lang: document.lang,
            deals,
            listed,
            read: document.summary.and_then(|summary| summary.read),
        })
    }

    /// Deals the earlier review read but did not list.
    pub fn unlisted(&self) -> usize {
        self.read.map_or(0, |read| read.saturating_sub(self.listed))
    }

    /// How `row` moved since the earlier review.
    pub fn compare(&self, row: &DealRow) -> RowChange {
        match self.deals.get(&row.id) {
            Some(before) => RowChange {
                risk_change: Some(i64::from(row.risk) - i64::from(before.risk)),
                risk_before: Some(before.risk),
                top_move_before: before.top_move.clone(),
                before_unknown: false,
                before_lang: self.lang.clone(),
            },
            None => RowChange {
                risk_change: None,
                risk_before: None,
                top_move_before: None,
                before_unknown: self.unlisted() > 0,
                before_lang: None,
            },
        }
    }
}

/// One row against the earlier review; every field `null` for a deal that is new, or
/// whose place then is unknown (`before_unknown`).
#[derive(Debug, Clone, Serialize)]
pub struct RowChange {
    /// Risk now minus risk then.
    pub risk_change: Option<i64>,
    pub risk_before: Option<u32>,
    /// The top move then (the top move now is the row's `top_move`).
    pub top_move_before: Option<TopMove>,
    /// Not in the earlier review's rows, which left out some of the deals it read (made
    /// with `--top` or a filter): maybe read then, so neither new nor compared.
    pub before_unknown: bool,
    /// The language of `top_move_before`'s title.
    #[serde(skip)]
    pub before_lang: Option<String>,
}

/// The counts of a review against an earlier one, over the deals that pass the filters
/// (gone: deals of the earlier review this review did not read at all).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SinceSummary {
    pub file: String,
    pub new: usize,
    /// Rows not in the earlier review's list when that list left deals out
    /// (`before_unknown`): counted neither new nor compared.
    pub unknown: usize,
    pub gone: usize,
    pub risk_up: usize,
    pub risk_down: usize,
    pub unchanged: usize,
    /// The deals gone, by id, as the earlier review had them.
    pub gone_deals: Vec<GoneDeal>,
    /// Rows the earlier review listed, and deals it read (`null` when it does not say).
    pub previous_listed: usize,
    pub previous_read: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GoneDeal {
    pub id: String,
    pub name: String,
    pub risk: u32,
}

impl SinceSummary {
    pub fn new(previous: &Previous) -> SinceSummary {
        SinceSummary {
            file: previous.file.clone(),
            previous_listed: previous.listed,
            previous_read: previous.read,
            ..SinceSummary::default()
        }
    }

    /// Counts one row that passes the filters.
    pub fn count(&mut self, change: &RowChange) {
        match change.risk_change {
            None if change.before_unknown => self.unknown += 1,
            None => self.new += 1,
            Some(delta) if delta > 0 => self.risk_up += 1,
            Some(delta) if delta < 0 => self.risk_down += 1,
            Some(_) => self.unchanged += 1,
        }
    }

    /// Lists the earlier deals whose id this review never read.
    pub fn close(&mut self, previous: &Previous, read: impl Fn(&str) -> bool) {
        self.gone_deals = previous
            .deals
            .values()
            .filter(|deal| !read(&deal.id))
            .map(|deal| GoneDeal {
                id: deal.id.clone(),
                name: deal.name.clone(),
                risk: deal.risk,
            })
            .collect();
        self.gone = self.gone_deals.len();
    }
}
