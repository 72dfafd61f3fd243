//! `review`: a whole pipeline ranked by risk, one row per deal with its top move, and a
//! summary of how often each risk occurs across the pipeline.
//!
//! Each deal goes through the same [`coach`] as `next`; its risk is the sum of the
//! playbook's points for the concepts that fire on it (`settings.risk`), times the factor
//! of its phase, capped at 100. Rows are ranked by risk, highest first, ties by deal id.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::pipeline::{self, Origin};
use super::spill::Sorter;
use super::table::{self, Paint};
use super::{concept_matches, short_money, ErrorEntry, Format, PortfolioSettings, RiskModel};
use crate::coach::{coach_with, Detail};
use crate::engine::RuleError;
use crate::playbook::{Lang, Playbook};
use crate::render::phase_label;
use crate::snapshot::Snapshot;
use crate::template::format_number;
use crate::vocabulary::{Severity, Vocabulary};

/// Rows held in memory before a sorted run is spilled to disk (see `spill`).
const RUN_SIZE: usize = 8 * 1024;

/// Which deals to show.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Only deals of this account (`account.name`, ignoring case and surrounding spaces).
    pub account: Option<String>,
    /// Only deals whose risk is at least this.
    pub min_risk: Option<u32>,
    /// Only deals where this concept (or a concept under it) fires.
    pub concept: Option<String>,
}

/// One deal of the pipeline, as `review` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DealRow {
    pub id: String,
    pub name: String,
    pub account: Option<String>,
    #[serde(serialize_with = "super::whole::option")]
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub stage: Option<String>,
    /// `facts.phase`: early, middle, late, won or lost.
    pub phase: String,
    /// The rep's temperature (`deal.temperature`), or `null`.
    pub temperature: Option<i64>,
    /// The temperature the evidence supports.
    pub temperature_evidence: i64,
    /// 0..100.
    pub risk: u32,
    /// Where the risk comes from: points per concept, before the phase factor.
    pub risk_parts: Vec<RiskPart>,
    pub phase_factor: f64,
    /// How many moves the deal has.
    pub moves: usize,
    /// The warning concepts that fire, most severe first.
    pub warnings: Vec<String>,
    pub top_move: Option<TopMove>,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The rules that failed on this deal (the others still ran): its row is incomplete.
    #[serde(default)]
    pub failed_rules: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RiskPart {
    pub concept: String,
    #[serde(serialize_with = "super::whole::number")]
    pub points: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopMove {
    pub concept: String,
    pub title: String,
    pub priority: Option<i64>,
}

/// Highest risk first; ties by deal id, then by where the deal was read.
fn rank(a: &DealRow, b: &DealRow) -> Ordering {
    b.risk
        .cmp(&a.risk)
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.file.cmp(&b.file))
        .then_with(|| a.line.cmp(&b.line))
}

/// A rule that failed on some deals (the rest of the rules still ran).
#[derive(Debug, Clone, Serialize)]
pub struct RuleFailure {
    pub rule: String,
    pub deals: usize,
    /// The failure on the first deal by file path, then line (not the first evaluated,
    /// which depends on the order threads finish), as `deal-file: rule-file:line: message`.
    pub example: String,
    /// Where that deal was read: what chooses the example.
    #[serde(skip)]
    example_origin: (String, Option<usize>),
}

/// A reviewed pipeline: the rows (ranked on demand), the counts behind the summary,
/// and what could not be read.
pub struct Review {
    rows: Sorter<DealRow>,
    /// Deals read and coached, before the filters.
    pub read: usize,
    /// Deals that pass the filters; the summary counts are over these.
    pub reviewed: usize,
    /// Concept → deals (that pass the filters) on which it adds risk.
    pub counts: BTreeMap<String, usize>,
    pub errors: Vec<ErrorEntry>,
    pub rule_failures: Vec<RuleFailure>,
}

/// One coached deal, before the filters.
struct Assessed {
    row: DealRow,
    concepts: BTreeSet<String>,
    rule_errors: Vec<RuleError>,
}

/// Reads and coaches every deal under `paths`, on every core, keeping one row per deal.
pub fn review(
    paths: &[PathBuf],
    playbook: &Playbook,
    settings: &PortfolioSettings,
    lang: Lang,
    filters: &Filters,
    max_bytes: u64,
) -> io::Result<Review> {
    let mut rows = Sorter::new(RUN_SIZE, rank);
    let mut read = 0;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut failures: BTreeMap<String, RuleFailure> = BTreeMap::new();
    let mut spill_error: Option<io::Error> = None;
    let wanted_account = filters
        .account
        .as_ref()
        .map(|name| name.trim().to_lowercase());

    pipeline::for_each_chunk(
        paths,
        &playbook.aliases,
        max_bytes,
        |snapshot, origin| assess(playbook, settings, lang, snapshot, origin),
        |outcomes| {
            for outcome in outcomes {
                let assessed = match outcome {
                    Ok(assessed) => assessed,
                    Err(error) => {
                        errors.push(error);
                        continue;
                    }
                };
                read += 1;
                for error in &assessed.rule_errors {
                    let origin = (assessed.row.file.clone(), assessed.row.line);
                    let example = || {
                        format!(
                            "{}: {}:{}: {}",
                            assessed.row.file, error.file, error.line, error.message
                        )
                    };
                    let failure = failures
                        .entry(error.id.clone())
                        .or_insert_with(|| RuleFailure {
                            rule: error.id.clone(),
                            deals: 0,
                            example: example(),
                            example_origin: origin.clone(),
                        });
                    if origin < failure.example_origin {
                        failure.example = example();
                        failure.example_origin = origin;
                    }
                    failure.deals += 1;
                }
                let row = assessed.row;
                let account_ok = wanted_account.as_ref().is_none_or(|wanted| {
                    row.account
                        .as_ref()
                        .is_some_and(|name| name.trim().to_lowercase() == *wanted)
                });
                let risk_ok = filters.min_risk.is_none_or(|min| row.risk >= min);
                let concept_ok = filters.concept.as_ref().is_none_or(|wanted| {
                    assessed
                        .concepts
                        .iter()
                        .any(|concept| concept_matches(concept, wanted))
                });
                if !(account_ok && risk_ok && concept_ok) {
                    continue;
                }
                for part in &row.risk_parts {
                    *counts.entry(part.concept.clone()).or_default() += 1;
                }
                if spill_error.is_none() {
                    if let Err(error) = rows.push(row) {
                        spill_error = Some(error);
                    }
                }
            }
        },
    );
    if let Some(error) = spill_error {
        return Err(error);
    }
    errors.sort();
    Ok(Review {
        reviewed: rows.len(),
        rows,
        read,
        counts,
        errors,
        rule_failures: failures.into_values().collect(),
    })
}

fn assess(
    playbook: &Playbook,
    settings: &PortfolioSettings,
    lang: Lang,
    snapshot: Snapshot,
    origin: &Origin,
) -> Result<Assessed, ErrorEntry> {
    let report = coach_with(playbook, &snapshot, lang, Detail::Headline)
        .map_err(|message| ErrorEntry::new(&origin.file, origin.line.unwrap_or(0), 0, message))?;
    let phase = report.assessment.phase;
    let fired: Vec<Fired> = report
        .advice()
        .map(|advice| Fired {
            concept: &advice.concept,
            rule: &advice.rule.id,
            severity: advice.severity,
        })
        .collect();
    let (risk, risk_parts, phase_factor) = score(&settings.risk, phase, &fired);
    let mut warnings: Vec<String> = Vec::new();
    for advice in &report.warnings {
        if !warnings.contains(&advice.concept) {
            warnings.push(advice.concept.clone());
        }
    }
    let concepts = fired.iter().map(|fired| fired.concept.to_owned()).collect();
    let deal = snapshot.deal;
    Ok(Assessed {
        row: DealRow {
            id: deal.id,
            name: deal.name,
            account: snapshot.account.name,
            amount: deal.amount.map(|amount| amount.0),
            currency: deal.currency,
            stage: deal.stage.map(|stage| stage.as_str().to_owned()),
            phase: phase.to_owned(),
            temperature: report.assessment.temperature.stated,
            temperature_evidence: report.assessment.temperature.evidence,
            risk,
            risk_parts,
            phase_factor,
            moves: report.moves.len(),
            warnings,
            top_move: report.moves.first().map(|advice| TopMove {
                concept: advice.concept.clone(),
                title: advice.title.clone(),
                priority: advice.priority,
            }),
            file: origin.file.clone(),
            line: origin.line,
            failed_rules: report.errors.iter().map(|error| error.id.clone()).collect(),
        },
        concepts,
        rule_errors: report.errors,
    })
}

/// A rule that fired on a deal: its concept, its id, and its severity if a warning.
#[derive(Debug, Clone, Copy)]
pub struct Fired<'a> {
    pub concept: &'a str,
    pub rule: &'a str,
    pub severity: Option<Severity>,
}

/// The risk of a deal in `phase` on which the `fired` rules fired: each concept counts
/// once, with the most points any of its rules gives (the rule's own points, else its
/// concept's, else for a warning the points of its severity); the sum times the phase
/// factor, within 0..100.
pub fn score(model: &RiskModel, phase: &str, fired: &[Fired]) -> (u32, Vec<RiskPart>, f64) {
    let mut by_concept: BTreeMap<&str, f64> = BTreeMap::new();
    for firing in fired {
        let points = model
            .points
            .get(firing.rule)
            .or_else(|| model.points.get(firing.concept))
            .copied()
            .or_else(|| {
                firing.severity.map(|severity| match severity {
                    Severity::High => model.by_severity.high,
                    Severity::Medium => model.by_severity.medium,
                    Severity::Low => model.by_severity.low,
                })
            })
            .filter(|points| points.is_finite())
            .unwrap_or(0.0);
        by_concept
            .entry(firing.concept)
            .and_modify(|held| *held = held.max(points))
            .or_insert(points);
    }
    let mut parts: Vec<RiskPart> = by_concept
        .into_iter()
        .filter(|(_, points)| *points != 0.0)
        .map(|(concept, points)| RiskPart {
            concept: concept.to_owned(),
            points,
        })
        .collect();
    parts.sort_by(|a, b| {
        b.points
            .total_cmp(&a.points)
            .then_with(|| a.concept.cmp(&b.concept))
    });
    let factor = model.phase_factor.of(phase);
    let total: f64 = parts.iter().map(|part| part.points).sum();
    let risk = (total * factor).round().clamp(0.0, 100.0) as u32;
    (risk, parts, factor)
}

// ---------------------------------------------------------------------------------------
// Output.

/// How to print a review.
pub struct View<'a> {
    pub format: Format,
    pub lang: Lang,
    pub paint: Paint,
    /// Print only the N riskiest deals (the summary still counts every deal).
    pub top: Option<usize>,
    pub filters: &'a Filters,
    pub settings: &'a PortfolioSettings,
    pub playbook: &'a Playbook,
}

/// A line of the summary: one concept, how many deals it touches, in words.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryLine {
    pub concept: String,
    pub deals: usize,
    pub of: usize,
    pub text: String,
}

impl Review {
    /// The summary, most frequent concept first.
    pub fn summary(&self, settings: &PortfolioSettings, lang: Lang) -> Vec<SummaryLine> {
        let mut lines: Vec<SummaryLine> = self
            .counts
            .iter()
            .map(|(concept, count)| {
                let template = settings
                    .review
                    .summary
                    .get(concept)
                    .unwrap_or(&settings.review.summary_other)
                    .get(lang);
                SummaryLine {
                    concept: concept.clone(),
                    deals: *count,
                    of: self.reviewed,
                    text: template
                        .replace("{count}", &count.to_string())
                        .replace("{total}", &self.reviewed.to_string())
                        .replace("{concept}", concept),
                }
            })
            .collect();
        lines.sort_by(|a, b| {
            b.deals
                .cmp(&a.deals)
                .then_with(|| a.concept.cmp(&b.concept))
        });
        lines
    }
}

/// Writes the review; rows are merged from disk as they are written, never all in memory.
pub fn write(review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    match view.format {
        Format::Json => write_json(review, view, out),
        Format::Csv => write_csv(review, view, out),
        Format::Text => write_text(review, view, out),
        Format::Markdown => write_markdown(review, view, out),
    }
}

fn shown_rows(
    review: &mut Review,
    top: Option<usize>,
) -> io::Result<impl Iterator<Item = io::Result<DealRow>>> {
    let rows = std::mem::replace(&mut review.rows, Sorter::new(1, rank));
    Ok(rows.into_sorted()?.take(top.unwrap_or(usize::MAX)))
}

fn write_json(mut review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(
        out,
        "  \"dealcoach\": {},",
        json(&env!("CARGO_PKG_VERSION"))
    )?;
    writeln!(
        out,
        "  \"playbooks\": {{\"source\": {}, \"digest\": {}}},",
        json(&view.playbook.origin.label()),
        json(view.playbook.digest())
    )?;
    write!(out, "  \"deals\": [")?;
    let mut first = true;
    for row in shown_rows(&mut review, view.top)? {
        let row = row?;
        write!(out, "{}\n    {}", if first { "" } else { "," }, json(&row))?;
        first = false;
    }
    writeln!(out, "{}],", if first { "" } else { "\n  " })?;
    let summary = review.summary(view.settings, view.lang);
    writeln!(
        out,
        "  \"summary\": {{\"deals\": {}, \"read\": {}, \"concepts\": [{}]}},",
        review.reviewed,
        review.read,
        join_lines(summary.iter().map(json))
    )?;
    writeln!(out, "  \"risk_model\": {},", json(&view.settings.risk))?;
    writeln!(
        out,
        "  \"rule_failures\": [{}],",
        join_lines(review.rule_failures.iter().map(json))
    )?;
    writeln!(
        out,
        "  \"errors\": [{}]",
        join_lines(review.errors.iter().map(json))
    )?;
    writeln!(out, "}}")
}

/// `[a, b]` as one item per line inside a two-space-indented document.
fn join_lines(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        String::new()
    } else {
        format!("\n    {}\n  ", items.join(",\n    "))
    }
}

/// Compact JSON of one value. Serializing these plain types cannot fail; if it ever
/// did, the message is printed as a JSON string rather than unwrapped.
pub(super) fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|error| {
        serde_json::to_string(&format!("unprintable: {error}"))
            .unwrap_or_else(|_| "null".to_owned())
    })
}

fn write_csv(mut review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "id",
        "name",
        "account",
        "amount",
        "currency",
        "stage",
        "phase",
        "temperature",
        "temperature_evidence",
        "risk",
        "warnings",
        "warning_concepts",
        "top_move_concept",
        "top_move_title",
        "file",
        "line",
        "failed_rules",
    ])?;
    for row in shown_rows(&mut review, view.top)? {
        let row = row?;
        let number = |value: Option<f64>| value.map(format_number).unwrap_or_default();
        let integer = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
        writer.write_record([
            row.id.as_str(),
            &row.name,
            row.account.as_deref().unwrap_or_default(),
            &number(row.amount),
            row.currency.as_deref().unwrap_or_default(),
            row.stage.as_deref().unwrap_or_default(),
            &row.phase,
            &integer(row.temperature),
            &row.temperature_evidence.to_string(),
            &row.risk.to_string(),
            &row.warnings.len().to_string(),
            &row.warnings.join(";"),
            row.top_move
                .as_ref()
                .map(|m| m.concept.as_str())
                .unwrap_or_default(),
            row.top_move
                .as_ref()
                .map(|m| m.title.as_str())
                .unwrap_or_default(),
            &row.file,
            &row.line.map(|line| line.to_string()).unwrap_or_default(),
            &row.failed_rules.join(";"),
        ])?;
    }
    writer.flush()
}

/// Words of the text and Markdown formats.
struct Words {
    title: &'static str,
    deals: &'static str,
    unreadable: &'static str,
    risk: &'static str,
    deal: &'static str,
    account: &'static str,
    amount: &'static str,
    phase: &'static str,
    temperature: &'static str,
    warnings: &'static str,
    no_move: &'static str,
    filtered: &'static str,
    more: &'static str,
    across: &'static str,
    nothing: &'static str,
    how: &'static str,
    why_top: &'static str,
    errors: &'static str,
    failures: &'static str,
    estimated: &'static str,
    failed_mark: &'static str,
}

const EN: Words = Words {
    title: "Pipeline review",
    deals: "deals",
    unreadable: "could not be read",
    risk: "RISK",
    deal: "DEAL",
    account: "ACCOUNT",
    amount: "AMOUNT",
    phase: "PHASE",
    temperature: "TEMP",
    warnings: "WARN",
    no_move: "no move",
    filtered: "only",
    more: "more deals not shown (--top)",
    across: "Across the {n} deals reviewed:",
    nothing: "no deal matches",
    how: "How risk is scored",
    why_top: "Why the riskiest deals score what they do:",
    errors: "Could not be reviewed",
    failures: "Rules that failed (the other rules still ran)",
    estimated: "~ = temperature estimated from the evidence (no stated temperature)",
    failed_mark:
        "! = some rules failed on this deal, so its row may miss risks (see the rules that failed)",
};

const ZH: Words = Words {
    title: "商机管道评审",
    deals: "个商机",
    unreadable: "无法读取",
    risk: "风险",
    deal: "商机",
    account: "客户",
    amount: "金额",
    phase: "阶段",
    temperature: "水温",
    warnings: "警示",
    no_move: "无行动",
    filtered: "筛选",
    more: "个商机未显示（--top）",
    across: "在所评审的{n}个商机中：",
    nothing: "没有符合条件的商机",
    how: "风险分如何计算",
    why_top: "风险最高的商机，分数从何而来：",
    errors: "无法评审",
    failures: "出错的规则（其余规则照常运行）",
    estimated: "~ 表示未填写水温，按证据估算",
    failed_mark: "! 表示该商机上有规则出错，这一行可能漏掉风险（见出错的规则）",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

fn temperature_cell(row: &DealRow) -> String {
    match row.temperature {
        Some(stated) => stated.to_string(),
        None => format!("~{}", row.temperature_evidence),
    }
}

/// Total width of the text output: what fits a terminal.
const WIDTH: usize = 100;
const DEAL_CELLS: usize = 32;
const ACCOUNT_CELLS: usize = 22;

fn filters_line(view: &View, lang: Lang) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(account) = &view.filters.account {
        parts.push(match lang {
            Lang::Zh => format!("客户 = {account}"),
            Lang::En => format!("account = {account}"),
        });
    }
    if let Some(min) = view.filters.min_risk {
        parts.push(match lang {
            Lang::Zh => format!("风险 ≥ {min}"),
            Lang::En => format!("risk ≥ {min}"),
        });
    }
    if let Some(concept) = &view.filters.concept {
        parts.push(match lang {
            Lang::Zh => format!("触发 {concept}"),
            Lang::En => format!("{concept} fires"),
        });
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn headline(review: &Review, view: &View) -> String {
    let w = words(view.lang);
    let mut line = match view.lang {
        Lang::Zh => format!("{}：{}{}", w.title, review.reviewed, w.deals),
        Lang::En => format!("{}: {} {}", w.title, review.reviewed, w.deals),
    };
    if let Some(filters) = filters_line(view, view.lang) {
        line.push_str(&match view.lang {
            Lang::Zh => format!("（{}：{filters}）", w.filtered),
            Lang::En => format!(" ({} {filters})", w.filtered),
        });
    }
    if !review.errors.is_empty() {
        line.push_str(&match view.lang {
            Lang::Zh => format!("，{}个文件{}", review.errors.len(), w.unreadable),
            Lang::En => format!(
                ", {} file{} {}",
                review.errors.len(),
                if review.errors.len() == 1 { "" } else { "s" },
                w.unreadable
            ),
        });
    }
    line
}

/// The explanation of the risk score, from the model's own numbers.
fn risk_explanation(view: &View) -> String {
    let model = &view.settings.risk;
    let mut weights: Vec<(&String, &f64)> = model.points.iter().collect();
    weights.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let listed: Vec<String> = weights
        .iter()
        .take(6)
        .map(|(concept, points)| format!("{concept} {}", format_number(**points)))
        .collect();
    let factors = &model.phase_factor;
    let phases = [
        ("early", factors.early),
        ("middle", factors.middle),
        ("late", factors.late),
        ("won", factors.won),
        ("lost", factors.lost),
    ]
    .iter()
    .map(|(phase, factor)| {
        format!(
            "{} {}",
            phase_label(phase, view.lang),
            format_number(*factor)
        )
    })
    .collect::<Vec<_>>();
    let severity = &model.by_severity;
    match view.lang {
        Lang::Zh => format!(
            "（权重见 settings.risk，{}）每个在商机上触发的概念按其分值计入一次，例如 {} 等；未列出的警示按严重程度计分（高 {}、中 {}、低 {}）；总分乘以阶段系数（{}），最高 100。",
            view.settings.risk_source,
            listed.join("、"),
            format_number(severity.high),
            format_number(severity.medium),
            format_number(severity.low),
            phases.join("、")
        ),
        Lang::En => format!(
            "(weights in settings.risk, {}) every concept that fires on a deal adds its points once, e.g. {}; a warning not listed adds points by severity (high {}, medium {}, low {}); the sum is multiplied by the phase factor ({}) and capped at 100.",
            view.settings.risk_source,
            listed.join(", "),
            format_number(severity.high),
            format_number(severity.medium),
            format_number(severity.low),
            phases.join(", ")
        ),
    }
}

/// `87 = (risk.stale 25 + decision.reach_top 20) × 1.2 (late)`.
fn risk_breakdown(row: &DealRow, lang: Lang) -> String {
    if row.risk_parts.is_empty() {
        return format!("{} = 0", row.risk);
    }
    let parts: Vec<String> = row
        .risk_parts
        .iter()
        .map(|part| format!("{} {}", part.concept, format_number(part.points)))
        .collect();
    let capped = if row.risk == 100 {
        match lang {
            Lang::Zh => "，封顶",
            Lang::En => ", capped",
        }
    } else {
        ""
    };
    format!(
        "{} = ({}) × {} ({}{capped})",
        row.risk,
        parts.join(" + "),
        format_number(row.phase_factor),
        phase_label(&row.phase, lang)
    )
}

/// Breaks `text` into lines of at most `width` cells, the later ones indented. Lines
/// break at spaces, and anywhere around a Chinese character (which needs no space).
pub(super) fn wrap_text(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    // Where `line` may be broken: a byte offset.
    let mut break_at: Option<usize> = None;
    for c in text.chars() {
        let room = if lines.is_empty() {
            width
        } else {
            width.saturating_sub(indent)
        }
        .max(2);
        let wide = table::char_width(c) > 1;
        // Chinese punctuation never starts a line, and an opening bracket never ends one.
        let closing = "，。、；：？！）》」』”’".contains(c);
        let opening = "（《「『“‘".contains(c);
        if c == ' ' || (wide && !closing) {
            break_at = Some(line.len());
        }
        line.push(c);
        if table::width(&line) > room {
            let cut = match break_at {
                Some(at) if at > 0 => at,
                _ => line.len() - c.len_utf8(),
            };
            let rest = line.split_off(cut);
            lines.push(line.trim_end().to_owned());
            line = rest.trim_start().to_owned();
            break_at = None;
        }
        if wide && !opening {
            break_at = Some(line.len());
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            if index == 0 {
                line
            } else {
                format!("{}{line}", " ".repeat(indent))
            }
        })
        .collect()
}

fn write_text(mut review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let lang = view.lang;
    let w = words(lang);
    let paint = view.paint;
    writeln!(out, "{}", paint.bold(&headline(&review, view)))?;
    writeln!(out)?;
    let header = format!(
        "{}  {}  {}  {}  {}  {}  {}",
        table::right(w.risk, 4),
        table::left(w.deal, DEAL_CELLS),
        table::left(w.account, ACCOUNT_CELLS),
        table::right(w.amount, 7),
        table::left(w.phase, 7),
        table::right(w.temperature, 4),
        table::right(w.warnings, 4),
    );
    writeln!(out, "{}", paint.dim(header.trim_end()))?;
    let mut explained: Vec<DealRow> = Vec::new();
    let mut shown = 0;
    let mut estimated = false;
    let mut failed = false;
    for row in shown_rows(&mut review, view.top)? {
        let row = row?;
        shown += 1;
        estimated |= row.temperature.is_none();
        failed |= !row.failed_rules.is_empty();
        let risk = table::right(&row.risk.to_string(), 4);
        let risk = if row.risk >= 70 {
            paint.red(&risk)
        } else if row.risk >= 40 {
            paint.yellow(&risk)
        } else {
            risk
        };
        let line = format!(
            "{risk}  {}  {}  {}  {}  {}  {}",
            table::left(&row.name, DEAL_CELLS),
            table::left(row.account.as_deref().unwrap_or("-"), ACCOUNT_CELLS),
            table::right(
                &row.amount
                    .map(|amount| short_money(amount, lang))
                    .unwrap_or_else(|| "-".to_owned()),
                7
            ),
            table::left(phase_label(&row.phase, lang), 7),
            table::right(&temperature_cell(&row), 4),
            table::right(&row.warnings.len().to_string(), 4),
        );
        let line = if row.failed_rules.is_empty() {
            line
        } else {
            format!("{line}  {}", paint.red("!"))
        };
        writeln!(out, "{}", line.trim_end())?;
        let (title, concept) = match &row.top_move {
            Some(top) => (top.title.as_str(), format!("  [{}]", top.concept)),
            None => (w.no_move, String::new()),
        };
        let room = WIDTH.saturating_sub(8 + table::width(&concept)).max(20);
        writeln!(
            out,
            "      → {}{}",
            table::fit(title, room),
            paint.dim(&concept)
        )?;
        if explained.len() < 5 {
            explained.push(row);
        }
    }
    if shown == 0 {
        writeln!(out, "      {}", w.nothing)?;
    }
    if shown < review.reviewed {
        let hidden = review.reviewed - shown;
        writeln!(
            out,
            "{}",
            paint.dim(&match lang {
                Lang::Zh => format!("      另有{hidden}{}", w.more),
                Lang::En => format!("      {hidden} {}", w.more),
            })
        )?;
    }
    if estimated {
        writeln!(out, "{}", paint.dim(&format!("      {}", w.estimated)))?;
    }
    if failed {
        writeln!(out, "{}", paint.dim(&format!("      {}", w.failed_mark)))?;
    }

    let summary = review.summary(view.settings, lang);
    if !summary.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint.bold(&w.across.replace("{n}", &review.reviewed.to_string()))
        )?;
        for line in &summary {
            for part in wrap_text(&line.text, WIDTH - 2, 2) {
                writeln!(out, "  {part}")?;
            }
        }
    }

    writeln!(out)?;
    writeln!(out, "{}", paint.bold(w.how))?;
    for line in wrap_text(&risk_explanation(view), WIDTH - 2, 0) {
        writeln!(out, "  {line}")?;
    }
    if !explained.is_empty() {
        writeln!(out, "{}", w.why_top)?;
        let id_cells = explained
            .iter()
            .map(|row| table::width(&row.id))
            .max()
            .unwrap_or(0)
            .min(24);
        for row in &explained {
            let breakdown = risk_breakdown(row, lang);
            let lead = format!("  {}  ", table::left(&row.id, id_cells));
            let lines = wrap_text(&breakdown, WIDTH - id_cells - 4, id_cells + 4);
            for (index, line) in lines.iter().enumerate() {
                if index == 0 {
                    writeln!(out, "{lead}{line}")?;
                } else {
                    writeln!(out, "{line}")?;
                }
            }
        }
    }

    if !review.rule_failures.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold(w.failures))?;
        for failure in &review.rule_failures {
            writeln!(
                out,
                "  {} × {}: {}",
                failure.rule, failure.deals, failure.example
            )?;
        }
    }
    if !review.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold(w.errors))?;
        for error in &review.errors {
            writeln!(out, "  {}", paint.red(&error.message))?;
        }
    }
    Ok(())
}

fn write_markdown(mut review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let lang = view.lang;
    let w = words(lang);
    let cell = table::markdown_cell;
    writeln!(out, "## {}", cell(&headline(&review, view)))?;
    writeln!(out)?;
    let (risk, deal, account, amount, phase, temperature, warnings, top_move) = match lang {
        Lang::Zh => (
            "风险",
            "商机",
            "客户",
            "金额",
            "阶段",
            "水温",
            "警示",
            "首要行动",
        ),
        Lang::En => (
            "Risk", "Deal", "Account", "Amount", "Phase", "Temp", "Warnings", "Top move",
        ),
    };
    writeln!(
        out,
        "| {risk} | {deal} | {account} | {amount} | {phase} | {temperature} | {warnings} | {top_move} |"
    )?;
    writeln!(out, "|---:|---|---|---:|---|---:|---:|---|")?;
    let mut explained: Vec<DealRow> = Vec::new();
    let mut failed = false;
    for row in shown_rows(&mut review, view.top)? {
        let row = row?;
        failed |= !row.failed_rules.is_empty();
        let top = match &row.top_move {
            Some(top) => format!("{} (`{}`)", cell(&top.title), top.concept),
            None => w.no_move.to_owned(),
        };
        writeln!(
            out,
            "| {} | {} (`{}`) | {} | {} | {} | {} | {} | {} |",
            row.risk,
            cell(&row.name),
            cell(&row.id),
            cell(row.account.as_deref().unwrap_or("")),
            row.amount
                .map(|amount| short_money(amount, lang))
                .unwrap_or_default(),
            phase_label(&row.phase, lang),
            temperature_cell(&row),
            row.warnings.len(),
            if row.failed_rules.is_empty() {
                top
            } else {
                let rules: Vec<String> = row
                    .failed_rules
                    .iter()
                    .map(|rule| format!("`{}`", rule.replace('`', "'")))
                    .collect();
                format!("{top} **!** {}", rules.join(", "))
            }
        )?;
        if explained.len() < 5 {
            explained.push(row);
        }
    }
    if failed {
        writeln!(out)?;
        writeln!(out, "**!**{}", &w.failed_mark[1..])?;
    }
    let summary = review.summary(view.settings, lang);
    if !summary.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "### {}",
            w.across
                .replace("{n}", &review.reviewed.to_string())
                .trim_end_matches([':', '：'])
        )?;
        writeln!(out)?;
        for line in &summary {
            writeln!(out, "- {}", line.text)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "### {}", w.how)?;
    writeln!(out)?;
    writeln!(out, "{}", risk_explanation(view))?;
    writeln!(out)?;
    for row in &explained {
        writeln!(out, "- `{}`: {}", row.id, risk_breakdown(row, lang))?;
    }
    if !review.rule_failures.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.failures)?;
        writeln!(out)?;
        for failure in &review.rule_failures {
            writeln!(
                out,
                "- `{}` × {}: {}",
                failure.rule,
                failure.deals,
                cell(&failure.example)
            )?;
        }
    }
    if !review.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.errors)?;
        writeln!(out)?;
        for error in &review.errors {
            writeln!(out, "- `{}`", error.message.replace('`', "'"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The risk score is the playbook's arithmetic: concepts once each, severity for
    //! unlisted warnings, the phase factor, and the 0..100 bounds.
    use super::*;
    use crate::portfolio::{BySeverity, PhaseFactors};

    fn model() -> RiskModel {
        RiskModel {
            points: [
                ("risk.stale".to_owned(), 25.0),
                ("risk.stale.no_contact".to_owned(), 8.0),
                ("closing.ready".to_owned(), -10.0),
            ]
            .into_iter()
            .collect(),
            by_severity: BySeverity {
                high: 10.0,
                medium: 5.0,
                low: 0.0,
            },
            phase_factor: PhaseFactors {
                early: 0.5,
                middle: 1.0,
                late: 2.0,
                won: 0.0,
                lost: 0.0,
            },
        }
    }

    fn fired<'a>(list: &[(&'a str, &'a str, Option<Severity>)]) -> Vec<Fired<'a>> {
        list.iter()
            .map(|&(concept, rule, severity)| Fired {
                concept,
                rule,
                severity,
            })
            .collect()
    }

    #[test]
    fn concepts_count_once_and_unlisted_warnings_by_severity() {
        let fired = fired(&[
            ("risk.stale", "risk.stale", Some(Severity::High)),
            ("risk.stale", "risk.stale.reconnect", None),
            (
                "temperature.overestimated",
                "temperature.overestimated",
                Some(Severity::Medium),
            ),
            ("value.tier", "value.tier", Some(Severity::Low)),
            ("spin.problem", "spin.problem", None),
        ]);
        let (risk, parts, factor) = score(&model(), "middle", &fired);
        assert_eq!(risk, 30);
        assert_eq!(factor, 1.0);
        let concepts: Vec<&str> = parts.iter().map(|p| p.concept.as_str()).collect();
        assert_eq!(concepts, ["risk.stale", "temperature.overestimated"]);
    }

    #[test]
    fn a_rule_id_weighs_instead_of_its_concept() {
        let fired = fired(&[("risk.stale", "risk.stale.no_contact", Some(Severity::Low))]);
        assert_eq!(score(&model(), "middle", &fired).0, 8);
    }

    #[test]
    fn phase_scales_and_bounds_hold() {
        let two = fired(&[
            ("risk.stale", "risk.stale", None),
            ("x.y", "x.y", Some(Severity::High)),
        ]);
        assert_eq!(score(&model(), "late", &two).0, 70);
        assert_eq!(score(&model(), "won", &two).0, 0);
        let many: Vec<(&str, &str, Option<Severity>)> = ["a.a", "b.b", "c.c", "d.d", "e.e"]
            .iter()
            .map(|c| (*c, *c, Some(Severity::High)))
            .chain([("risk.stale", "risk.stale", None)])
            .collect();
        assert_eq!(score(&model(), "late", &fired(&many)).0, 100);
        let good = fired(&[("closing.ready", "closing.ready", None)]);
        assert_eq!(score(&model(), "middle", &good).0, 0);
    }

    #[test]
    fn wrapping_keeps_lines_inside_the_width() {
        let text = "一二三四五六七八九十一二三四五六七八九十 and some english words here";
        for line in wrap_text(text, 20, 2) {
            assert!(table::width(&line) <= 20, "{line}");
        }
    }
}
