//! Portfolio views: many deals or many accounts at once, for the manager's weekly and
//! quarterly questions ("which deals are in danger, and what is the one move on each?",
//! "which accounts are truly key?").
//!
//! - [`pipeline`] reads a pipeline (deal folders and list files) chunk by chunk and
//!   evaluates each chunk on every core, so memory stays flat however many deals there are;
//! - [`review`] ranks deals by a risk score whose weights are the playbook's;
//! - [`diff`] compares two snapshots of one deal, and the advice on each;
//! - [`since`] compares a review with an earlier one (`review --since`);
//! - [`accounts`] classifies accounts (a CRM export or the accounts of a pipeline) on the
//!   value pyramid and scorecard, with the playbook's misjudgement warnings and the
//!   relationship KPIs rolled up across an account's deals;
//! - `spill` keeps the ranked rows of a large pipeline on disk, `table` draws text tables.
//!
//! Like the rest of the engine, the method is data: risk weights, summary sentences,
//! which warnings the account view shows and the quadrants' names are the `risk`,
//! `review` and `accounts` settings (`playbooks/portfolio.yaml`).

pub mod accounts;
pub mod diff;
pub mod pipeline;
pub mod review;
pub mod since;
mod spill;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::playbook::{Playbook, PlaybookFiles, RawPlaybookFile, Text};

/// How a portfolio view is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
    Markdown,
}

/// A deal file (or list entry) that could not be used; the others still are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub file: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    /// `file:line:col: message`, ready to print.
    pub message: String,
}

impl ErrorEntry {
    pub fn from_diagnostic(diagnostic: &Diagnostic) -> ErrorEntry {
        let one_line = Diagnostic {
            source_line: None,
            ..diagnostic.clone()
        };
        ErrorEntry {
            file: diagnostic.path.clone(),
            line: diagnostic.line,
            column: diagnostic.column,
            message: one_line.to_string(),
        }
    }

    pub fn new(file: &str, line: usize, column: usize, message: impl Into<String>) -> ErrorEntry {
        ErrorEntry::from_diagnostic(&Diagnostic::error(file, line, column, message))
    }
}

// ---------------------------------------------------------------------------------------
// Settings of the portfolio views.

/// How a deal's risk (0 or more, no ceiling) is scored: points per concept that fires, times a factor
/// for how far along the deal is.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RiskModel {
    /// Concept or rule id → points it adds when it fires on a deal (as a move or a
    /// warning). A rule id wins over its concept; a concept counts once per deal, with
    /// the most points any of its firing rules gives. May be negative (a good sign).
    #[serde(default)]
    pub points: IndexMap<String, f64>,
    /// Points for a warning whose concept `concepts` does not list, by its severity.
    pub by_severity: BySeverity,
    /// The sum is multiplied by the factor of the deal's phase.
    pub phase_factor: PhaseFactors,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BySeverity {
    pub high: f64,
    pub medium: f64,
    pub low: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseFactors {
    pub early: f64,
    pub middle: f64,
    pub late: f64,
    pub won: f64,
    pub lost: f64,
}

impl PhaseFactors {
    pub fn of(&self, phase: &str) -> f64 {
        match phase {
            "early" => self.early,
            "middle" => self.middle,
            "late" => self.late,
            "won" => self.won,
            "lost" => self.lost,
            _ => 1.0,
        }
    }
}

/// `settings.risk_levels`: where a risk starts counting as high (owner totals, red) and
/// medium (yellow).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RiskLevels {
    pub high: u32,
    pub medium: u32,
}

/// The sentences of `review`'s summary block.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewTexts {
    /// Concept → sentence with `{count}` and `{total}`.
    #[serde(default)]
    pub summary: IndexMap<String, Text>,
    /// For a concept without its own sentence: `{count}`, `{total}` and `{concept}`.
    pub summary_other: Text,
}

/// What the `accounts` view shows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountTexts {
    /// Warning concepts (or prefixes such as `value.misjudge`) shown per account.
    pub warnings: Vec<String>,
}

/// Every setting the portfolio views read, validated.
#[derive(Debug, Clone)]
pub struct PortfolioSettings {
    pub risk: RiskModel,
    pub levels: RiskLevels,
    pub review: ReviewTexts,
    pub accounts: AccountTexts,
    /// `settings.visit_target_30d` and `favor_target_30d` (the relationship KPIs).
    pub visit_target_30d: Option<f64>,
    pub favor_target_30d: Option<f64>,
    /// `settings.kpi_by_tier`: tier → (visits, favours) per 30 days, over the two above.
    pub kpi_by_tier: IndexMap<String, (Option<f64>, Option<f64>)>,
    /// Where the `risk` settings came from, for the explanation in text output.
    pub risk_source: String,
}

impl PortfolioSettings {
    /// Reads the `risk`, `review` and `accounts` settings of `playbook`. A trainer's folder
    /// written before these settings existed gets the built-in ones (content stays data;
    /// none of it is repeated in Rust).
    pub fn load(playbook: &Playbook) -> Result<PortfolioSettings, Diagnostic> {
        // The built-in settings are parsed only for a folder that lacks one (parsing them
        // at every `review` was 4.5 M of its start-up, for the built-in folder itself).
        let builtin = std::cell::OnceCell::new();
        // A setting's value, and whether the playbooks give it (else the built-in one).
        let pick = |key: &str| -> Result<(serde_yaml::Value, bool), Diagnostic> {
            if let Some(value) = playbook.settings.get(key) {
                return Ok((value.clone(), true));
            }
            builtin
                .get_or_init(builtin_settings)
                .as_ref()
                .and_then(|settings| settings.get(key))
                .map(|value| (value.clone(), false))
                .ok_or_else(|| {
                    Diagnostic::error(
                        playbook.origin.label(),
                        0,
                        0,
                        format!("the playbooks have no `{key}` setting (see {BUILTIN_FILE})"),
                    )
                })
        };
        let (risk_value, risk_given) = pick("risk")?;
        // Where the risk model is written is shown in text output; the other settings'
        // places are looked for only when one is wrong (`setting_problem`).
        let risk_source = if risk_given {
            let (file, line) = setting_place(&playbook.files, "risk")
                .unwrap_or_else(|| (playbook.origin.label(), 0));
            format!("{file}:{line}")
        } else {
            format!("{BUILTIN_FILE} (built-in)")
        };
        let risk: RiskModel = typed(&playbook.files, "risk", risk_value)?;
        let (levels_value, _) = pick("risk_levels")?;
        let levels: RiskLevels = typed(&playbook.files, "risk_levels", levels_value)?;
        let (review_value, _) = pick("review")?;
        let review: ReviewTexts = typed(&playbook.files, "review", review_value)?;
        let (accounts_value, _) = pick("accounts")?;
        let accounts: AccountTexts = typed(&playbook.files, "accounts", accounts_value)?;

        let factors = &risk.phase_factor;
        let bad_factor = [
            factors.early,
            factors.middle,
            factors.late,
            factors.won,
            factors.lost,
        ]
        .iter()
        .any(|factor| !factor.is_finite() || *factor < 0.0);
        if bad_factor {
            return Err(setting_problem(
                &playbook.files,
                "risk",
                "settings.risk.phase_factor: every factor must be 0 or more",
            ));
        }
        let number = |key: &str| {
            playbook
                .settings
                .get(key)
                .and_then(serde_yaml::Value::as_f64)
        };
        Ok(PortfolioSettings {
            risk,
            levels,
            review,
            accounts,
            visit_target_30d: number("visit_target_30d"),
            favor_target_30d: number("favor_target_30d"),
            kpi_by_tier: playbook
                .settings
                .get("kpi_by_tier")
                .and_then(serde_yaml::Value::as_mapping)
                .into_iter()
                .flatten()
                .filter_map(|(tier, targets)| {
                    let target = |key: &str| targets.get(key).and_then(serde_yaml::Value::as_f64);
                    Some((
                        tier.as_str()?.to_owned(),
                        (target("visits"), target("favors")),
                    ))
                })
                .collect(),
            risk_source,
        })
    }

    /// Concepts (or rule ids) the settings name that no rule of the playbook has: likely
    /// typos, reported as warnings (the playbooks are edited separately from these
    /// settings, so a missing one must not stop a review).
    pub fn unknown_concepts(&self, playbook: &Playbook) -> Vec<String> {
        let known: std::collections::BTreeSet<&str> = playbook
            .rules
            .iter()
            .flat_map(|rule| [rule.rule.concept.as_str(), rule.rule.id.as_str()])
            .collect();
        // A concept may be both weighed and summarised: name it once.
        let mut named = std::collections::BTreeSet::new();
        self.risk
            .points
            .keys()
            .chain(self.review.summary.keys())
            .filter(|concept| !known.contains(concept.as_str()))
            .filter(|concept| named.insert(concept.as_str()))
            .cloned()
            .collect()
    }
}

const BUILTIN_FILE: &str = "playbooks/portfolio.yaml";

fn builtin_settings() -> Option<IndexMap<String, serde_yaml::Value>> {
    let files = PlaybookFiles::builtin();
    let file = files.file(BUILTIN_FILE)?;
    crate::snapshot::from_yaml::<RawPlaybookFile>(&file.text, &file.path)
        .ok()
        .map(|raw| raw.settings)
}

fn typed<T: serde::de::DeserializeOwned>(
    files: &PlaybookFiles,
    key: &str,
    value: serde_yaml::Value,
) -> Result<T, Diagnostic> {
    serde_yaml::from_value(value).map_err(|error| {
        let message = crate::snapshot::humanize_serde_message(&error.to_string());
        setting_problem(files, key, &format!("settings.{key}: {message}"))
    })
}

fn setting_problem(files: &PlaybookFiles, key: &str, message: &str) -> Diagnostic {
    match setting_place(files, key) {
        Some((file, line)) => Diagnostic::error(file, line, 0, message),
        None => Diagnostic::error(BUILTIN_FILE, 0, 0, message),
    }
}

/// The file and line where a top-level setting is written (`  risk:` under `settings:`).
fn setting_place(files: &PlaybookFiles, key: &str) -> Option<(String, usize)> {
    let wanted = format!("{key}:");
    files.playbook_yaml().find_map(|file| {
        let mut in_settings = false;
        for (index, line) in file.text.lines().enumerate() {
            if !line.starts_with(' ') && !line.starts_with('#') && !line.trim().is_empty() {
                in_settings = line.trim_end() == "settings:";
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if in_settings && indent <= 4 && line.trim_start().starts_with(&wanted) {
                return Some((file.path.clone(), index + 1));
            }
        }
        None
    })
}

// ---------------------------------------------------------------------------------------
// Small shared helpers.

/// Whether `concept` is `wanted` or lies under it (`value.misjudge` covers
/// `value.misjudge.one_off_large`).
pub fn concept_matches(concept: &str, wanted: &str) -> bool {
    concept == wanted
        || concept
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Numbers in JSON as people write them: `2400000`, not `2400000.0`.
pub mod whole {
    use serde::Serializer;

    fn is_whole(value: f64) -> bool {
        value.fract() == 0.0 && value.abs() < 9.0e15
    }

    pub fn number<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if is_whole(*value) {
            serializer.serialize_i64(*value as i64)
        } else {
            serializer.serialize_f64(*value)
        }
    }

    pub fn option<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => number(value, serializer),
            None => serializer.serialize_none(),
        }
    }
}

/// Writes to `out`, treating a closed pipe (`| head`) as the reader's choice, not an error.
pub fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    //! The small helpers every portfolio view leans on.
    use super::*;

    #[test]
    fn concept_prefixes_match_whole_segments_only() {
        assert!(concept_matches(
            "value.misjudge.one_off_large",
            "value.misjudge"
        ));
        assert!(concept_matches("risk.stale", "risk.stale"));
        assert!(!concept_matches("risk.stalemate", "risk.stale"));
    }
}
