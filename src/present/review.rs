//! `review`: a pipeline, one row per deal riskiest first, as text, Markdown, CSV or JSON.
//!
//! Rows are written as they are merged from disk, never all in memory; the summary and
//! the explanation of the risk score follow the table.

use std::io::{self, Write};

use serde::Serialize;

use super::layout::{self, WIDTH};
use super::{Style, Words};
use crate::coach::template::format_number;
use crate::playbook::Playbook;
use crate::present::escape::markdown as md;
use crate::views::review::{DealRow, Filters, OwnerTotals, Review};
use crate::views::since::{Previous, RowChange, SinceSummary};
use crate::views::{Format, PortfolioSettings};

/// How to print a review.
pub struct View<'a> {
    pub format: Format,
    pub words: Words<'a>,
    pub style: Style,
    /// Print only the N riskiest deals (the summary still counts every deal).
    pub top: Option<usize>,
    pub filters: &'a Filters,
    pub settings: &'a PortfolioSettings,
    pub playbook: &'a Playbook,
    /// An earlier review to compare each row with (`--since`).
    pub since: Option<&'a Previous>,
}

/// A row of the JSON with how it moved since the earlier review.
#[derive(Serialize)]
struct ComparedRow<'a> {
    #[serde(flatten)]
    row: &'a DealRow,
    #[serde(flatten)]
    change: RowChange,
}

/// Writes the review in the view's format.
pub fn write(review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    match view.format {
        Format::Json => write_json(review, view, out),
        Format::Csv => write_csv(review, view, out),
        Format::Text => write_text(review, view, out),
        Format::Markdown => write_markdown(review, view, out),
    }
}

fn write_json(mut review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(
        out,
        "  \"dealcoach\": {},",
        json(&env!("CARGO_PKG_VERSION"))
    )?;
    // The language of the texts (titles) in the rows: a later `--since` in another
    // language knows not to quote them.
    writeln!(out, "  \"lang\": {},", json(view.words.lang.code()))?;
    writeln!(
        out,
        "  \"playbooks\": {},",
        json(&super::next::PlaybookRef::of(view.playbook))
    )?;
    write!(out, "  \"deals\": [")?;
    let mut first = true;
    for row in review.ranked_rows(view.top)? {
        let row = row?;
        let text = match view.since {
            Some(previous) => json(&ComparedRow {
                row: &row,
                change: previous.compare(&row),
            }),
            None => json(&row),
        };
        write!(out, "{}\n    {}", if first { "" } else { "," }, text)?;
        first = false;
    }
    writeln!(out, "{}],", if first { "" } else { "\n  " })?;
    let summary = review.summary(view.settings, view.words.lang);
    writeln!(
        out,
        "  \"summary\": {{\"deals\": {}, \"read\": {}, \"snoozed\": {{\"items\": {}, \"deals\": {}}}, \"concepts\": [{}]}},",
        review.reviewed,
        review.read,
        review.snoozed_items,
        review.snoozed_deals,
        join_lines(summary.iter().map(json))
    )?;
    writeln!(
        out,
        "  \"owners\": [{}],",
        join_lines(review.owners.values().map(json))
    )?;
    if let Some(since) = &review.since {
        writeln!(out, "  \"since\": {},", json(since))?;
    }
    writeln!(out, "  \"risk_model\": {},", json(&view.settings.risk))?;
    writeln!(
        out,
        "  \"rule_failures\": [{}],",
        join_lines(review.rule_failures.iter().map(json))
    )?;
    writeln!(
        out,
        "  \"errors\": [{}],",
        join_lines(review.errors.iter().map(json))
    )?;
    writeln!(
        out,
        "  \"skipped\": [{}]",
        join_lines(review.skipped.iter().map(json))
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
    let mut header = vec![
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
    ];
    if view.since.is_some() {
        header.extend([
            "risk_change",
            "risk_before",
            "top_move_before_concept",
            "top_move_before_title",
            "before_unknown",
        ]);
    }
    writer.write_record(header)?;
    for row in review.ranked_rows(view.top)? {
        let row = row?;
        let number = |value: Option<f64>| value.map(format_number).unwrap_or_default();
        let integer = |value: Option<i64>| value.map(|v| v.to_string()).unwrap_or_default();
        let cells = [
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
        ];
        let mut cells: Vec<String> = cells
            .into_iter()
            .map(crate::present::escape::spreadsheet)
            .map(String::from)
            .collect();
        if let Some(previous) = view.since {
            let change = previous.compare(&row);
            let before = change.top_move_before.as_ref();
            cells.extend(
                [
                    change
                        .risk_change
                        .map(|delta| delta.to_string())
                        .unwrap_or_default(),
                    change
                        .risk_before
                        .map(|risk| risk.to_string())
                        .unwrap_or_default(),
                    before.map(|m| m.concept.clone()).unwrap_or_default(),
                    before.map(|m| m.title.clone()).unwrap_or_default(),
                    // An empty risk_change is a new deal, or one whose place then the
                    // earlier review did not list (made with --top or a filter): this
                    // column tells them apart, as the JSON's field of the same name.
                    change.before_unknown.to_string(),
                ]
                .iter()
                .map(|cell| crate::present::escape::spreadsheet(cell).into_owned()),
            );
        }
        writer.write_record(cells.iter().map(|cell| cell.as_bytes()))?;
    }
    writer.flush()
}

fn temperature_cell(row: &DealRow) -> String {
    match row.temperature {
        Some(stated) => stated.to_string(),
        None => format!("~{}", row.temperature_evidence),
    }
}

const DEAL_CELLS: usize = 32;
const ACCOUNT_CELLS: usize = 22;

fn filters_line(filters: &Filters, w: Words) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(account) = &filters.account {
        parts.push(w.fill("review.filter.account", &[("account", account)]));
    }
    if let Some(min) = filters.min_risk {
        parts.push(w.fill("review.filter.min_risk", &[("min", &min.to_string())]));
    }
    if let Some(concept) = &filters.concept {
        parts.push(w.fill("review.filter.concept", &[("concept", concept)]));
    }
    if let Some(owner) = &filters.owner {
        parts.push(w.fill("review.filter.owner", &[("owner", owner)]));
    }
    (!parts.is_empty()).then(|| w.join(&parts))
}

fn headline(review: &Review, view: &View) -> String {
    let w = view.words;
    let mut line = w.fill(
        "review.title",
        &[("deals", &w.count("unit.deal", review.reviewed))],
    );
    if let Some(filters) = filters_line(view.filters, w) {
        line.push_str(&w.fill("review.filtered", &[("filters", &filters)]));
    }
    let unreadable = review.errors.len().saturating_sub(review.duplicates);
    if unreadable > 0 {
        line.push_str(&w.fill(
            "review.unreadable",
            &[("files", &w.count("unit.file", unreadable))],
        ));
    }
    if review.duplicates > 0 {
        line.push_str(&w.fill(
            "review.duplicates",
            &[("ids", &w.count("unit.duplicate_id", review.duplicates))],
        ));
    }
    line
}

/// The explanation of the risk score, from the model's own numbers.
fn risk_explanation(view: &View) -> String {
    let w = view.words;
    let model = &view.settings.risk;
    let mut weights: Vec<(&String, &f64)> = model.points.iter().collect();
    weights.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let listed: Vec<String> = weights
        .iter()
        .take(6)
        .map(|(concept, points)| format!("{} {}", w.concept(concept), format_number(**points)))
        .collect();
    let factors = &model.phase_factor;
    let phases: Vec<String> = [
        ("early", factors.early),
        ("middle", factors.middle),
        ("late", factors.late),
        ("won", factors.won),
        ("lost", factors.lost),
    ]
    .iter()
    .map(|(phase, factor)| format!("{} {}", w.word("phase", phase), format_number(*factor)))
    .collect();
    let severity = &model.by_severity;
    w.fill(
        "review.explanation",
        &[
            ("source", &view.settings.risk_source),
            ("examples", &w.join(&listed)),
            ("high", &format_number(severity.high)),
            ("medium", &format_number(severity.medium)),
            ("low", &format_number(severity.low)),
            ("phases", &w.join(&phases)),
        ],
    )
}

/// `87 = (gone quiet 25 + reach the top decision maker 20) × 1.2 (late)`.
fn risk_breakdown(row: &DealRow, w: Words) -> String {
    if row.risk_parts.is_empty() {
        return format!("{} = 0", row.risk);
    }
    let parts: Vec<String> = row
        .risk_parts
        .iter()
        .map(|part| {
            format!(
                "{} {}",
                w.concept(&part.concept),
                format_number(part.points)
            )
        })
        .collect();
    format!(
        "{} = ({}) × {} ({})",
        row.risk,
        parts.join(" + "),
        format_number(row.phase_factor),
        w.word("phase", &row.phase)
    )
}

/// "12 snoozed items on 3 deals are not in the risk", or `None` when nothing is snoozed.
fn snoozed_line(review: &Review, w: Words) -> Option<String> {
    (review.snoozed_items > 0).then(|| {
        w.fill(
            "review.snoozed",
            &[
                ("items", &w.count("unit.snoozed_item", review.snoozed_items)),
                ("deals", &w.count("unit.deal", review.snoozed_deals)),
            ],
        )
    })
}

/// One owner's totals: "Li Wei: 4 deals, 6.1M CNY, 2 at high risk".
fn owner_line(totals: &OwnerTotals, w: Words) -> String {
    let amounts: Vec<String> = totals
        .amounts
        .iter()
        .map(|total| w.money(total.amount, total.currency.as_deref()))
        .collect();
    w.fill(
        "review.owner_line",
        &[
            (
                "owner",
                totals.owner.as_deref().unwrap_or(w.ui("review.no_owner")),
            ),
            ("deals", &w.count("unit.deal", totals.deals)),
            (
                "amount",
                &if amounts.is_empty() {
                    "-".to_owned()
                } else {
                    w.join(&amounts)
                },
            ),
            ("high", &totals.high_risk.to_string()),
        ],
    )
}

/// A row's risk change: "+12", "-5", "0", "new" for a deal the earlier review lacks, or
/// "?" for one a cut earlier review may have read without listing.
fn change_cell(change: &RowChange, w: Words) -> String {
    match change.risk_change {
        None if change.before_unknown => w.ui_owned("review.change.unknown"),
        None => w.ui_owned("review.change.new"),
        Some(delta) if delta > 0 => format!("+{delta}"),
        Some(delta) => delta.to_string(),
    }
}

/// The top move then, when it is not the top move now.
fn was_line(row: &DealRow, change: &RowChange, w: Words) -> Option<String> {
    let before = change.top_move_before.as_ref()?;
    let now = row.top_move.as_ref().map(|top| top.concept.as_str());
    (now != Some(before.concept.as_str())).then(|| {
        // A title written in another language is not quoted: the concept's label is.
        let other_language = change
            .before_lang
            .as_deref()
            .is_some_and(|lang| !lang.eq_ignore_ascii_case(w.lang.code()));
        let title = if other_language {
            format!("{} ({})", w.concept(&before.concept), before.concept)
        } else {
            before.title.clone()
        };
        w.fill(
            "review.was",
            &[("title", &title), ("concept", &before.concept)],
        )
    })
}

/// "Since last-week.json: 1 new, 1 gone, 3 riskier, 2 less risky", and the deals gone.
pub fn since_lines(since: &SinceSummary, w: Words) -> Vec<String> {
    let mut lines = vec![w.fill(
        "review.since",
        &[
            ("file", &since.file),
            ("new", &since.new.to_string()),
            ("gone", &since.gone.to_string()),
            ("up", &since.risk_up.to_string()),
            ("down", &since.risk_down.to_string()),
        ],
    )];
    if let Some(read) = since
        .previous_read
        .filter(|read| *read > since.previous_listed)
    {
        lines.push(w.fill(
            "review.since.partial",
            &[
                ("file", &since.file),
                ("listed", &since.previous_listed.to_string()),
                ("read", &read.to_string()),
                ("unknown", &since.unknown.to_string()),
            ],
        ));
    }
    if !since.gone_deals.is_empty() {
        let gone: Vec<String> = since
            .gone_deals
            .iter()
            .map(|deal| {
                w.fill(
                    "review.gone_deal",
                    &[
                        ("name", &deal.name),
                        ("id", &deal.id),
                        ("risk", &deal.risk.to_string()),
                    ],
                )
            })
            .collect();
        lines.push(w.fill("review.gone", &[("deals", &w.join(&gone))]));
    }
    lines
}

fn write_text(mut review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let w = view.words;
    let style = view.style;
    writeln!(out, "{}", style.bold(&headline(&review, view)))?;
    writeln!(out)?;
    // With --since, a column for the change of risk follows the risk.
    let change_column = |text: &str| {
        if view.since.is_some() {
            format!("  {}", layout::right(text, 4))
        } else {
            String::new()
        }
    };
    let header = format!(
        "{}{}  {}  {}  {}  {}  {}  {}",
        layout::right(&w.column("review.column.risk"), 4),
        change_column(&w.column("review.column.change")),
        layout::left(&w.column("review.column.deal"), DEAL_CELLS),
        layout::left(&w.column("review.column.account"), ACCOUNT_CELLS),
        layout::right(&w.column("review.column.amount"), 9),
        layout::left(&w.column("review.column.phase"), 7),
        layout::right(&w.column("review.column.temperature"), 4),
        layout::right(&w.column("review.column.warnings"), 4),
    );
    writeln!(out, "{}", style.dim(header.trim_end()))?;
    let mut explained: Vec<DealRow> = Vec::new();
    let mut shown = 0;
    let mut estimated = false;
    let mut failed = false;
    for row in review.ranked_rows(view.top)? {
        let row = row?;
        shown += 1;
        estimated |= row.temperature.is_none();
        failed |= !row.failed_rules.is_empty();
        let risk = layout::right(&row.risk.to_string(), 4);
        let risk = if row.risk >= view.settings.levels.high {
            style.red(&risk)
        } else if row.risk >= view.settings.levels.medium {
            style.yellow(&risk)
        } else {
            risk
        };
        let amount = row
            .amount
            .map(|amount| w.money(amount, None))
            .unwrap_or_else(|| "-".to_owned());
        let change = view.since.map(|previous| previous.compare(&row));
        let line = format!(
            "{risk}{}  {}  {}  {}  {}  {}  {}",
            change_column(
                &change
                    .as_ref()
                    .map(|change| change_cell(change, w))
                    .unwrap_or_default()
            ),
            layout::left(&row.name, DEAL_CELLS),
            layout::left(row.account.as_deref().unwrap_or("-"), ACCOUNT_CELLS),
            layout::right(&amount, 9),
            layout::left(w.word("phase", &row.phase), 7),
            layout::right(&temperature_cell(&row), 4),
            layout::right(&row.warnings.len().to_string(), 4),
        );
        // Rules failed on this deal: its row may miss risks.
        let line = if row.failed_rules.is_empty() {
            line
        } else {
            format!("{line}  {}", style.red("!"))
        };
        writeln!(out, "{}", line.trim_end())?;
        let (title, concept) = match &row.top_move {
            Some(top) => (top.title.as_str(), format!("  {}", top.concept)),
            None => (w.ui("review.no_move"), String::new()),
        };
        let room = WIDTH.saturating_sub(8 + layout::width(&concept)).max(20);
        writeln!(
            out,
            "      → {}{}",
            layout::fit(title, room),
            style.dim(&concept)
        )?;
        if let Some(was) = change.and_then(|change| was_line(&row, &change, w)) {
            writeln!(
                out,
                "{}",
                style.dim(&format!("        {}", layout::fit(&was, WIDTH - 8)))
            )?;
        }
        if explained.len() < 5 {
            explained.push(row);
        }
    }
    if shown == 0 {
        writeln!(out, "      {}", w.ui("review.nothing"))?;
    }
    if shown < review.reviewed {
        let hidden = review.reviewed - shown;
        writeln!(
            out,
            "{}",
            style.dim(&format!("      {}", w.count("review.more", hidden)))
        )?;
    }
    if estimated {
        writeln!(
            out,
            "{}",
            style.dim(&format!("      {}", w.ui("review.estimated")))
        )?;
    }
    if failed {
        writeln!(
            out,
            "{}",
            style.dim(&format!("      {}", w.ui("review.failed_mark")))
        )?;
    }
    if let Some(line) = snoozed_line(&review, w) {
        writeln!(out, "{}", style.dim(&format!("      {line}")))?;
    }
    if let Some(since) = &review.since {
        writeln!(out)?;
        writeln!(out, "{}", style.bold(w.ui("review.since.title")))?;
        for line in since_lines(since, w) {
            for part in layout::wrap(&line, WIDTH - 2, 2) {
                writeln!(out, "  {part}")?;
            }
        }
    }
    if !review.owners.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold(w.ui("review.owners")))?;
        for totals in review.owners.values() {
            writeln!(out, "  {}", owner_line(totals, w))?;
        }
    }

    let summary = review.summary(view.settings, w.lang);
    if !summary.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.bold(&w.fill(
                "review.across",
                &[("deals", &w.count("unit.deal", review.reviewed))]
            ))
        )?;
        for line in &summary {
            for part in layout::wrap(&line.text, WIDTH - 2, 2) {
                writeln!(out, "  {part}")?;
            }
        }
    }

    writeln!(out)?;
    writeln!(out, "{}", style.bold(w.ui("review.how")))?;
    for line in layout::wrap(&risk_explanation(view), WIDTH - 2, 0) {
        writeln!(out, "  {line}")?;
    }
    if !explained.is_empty() {
        writeln!(out, "{}", w.ui("review.why_top"))?;
        let id_cells = explained
            .iter()
            .map(|row| layout::width(&row.id))
            .max()
            .unwrap_or(0)
            .min(24);
        for row in &explained {
            let breakdown = risk_breakdown(row, w);
            let lead = format!("  {}  ", layout::left(&row.id, id_cells));
            let lines = layout::wrap(&breakdown, WIDTH - id_cells - 4, id_cells + 4);
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
        writeln!(out, "{}", style.bold(w.ui("review.failures")))?;
        for failure in &review.rule_failures {
            writeln!(
                out,
                "  {}",
                w.fill(
                    "review.failure",
                    &[
                        ("rule", &failure.rule),
                        ("deals", &w.count("unit.deal", failure.deals)),
                        ("example", &failure.example),
                    ]
                )
            )?;
        }
    }
    Ok(())
}

fn write_markdown(mut review: Review, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let w = view.words;
    writeln!(out, "## {}", md(&headline(&review, view)))?;
    writeln!(out)?;
    let (change_header, change_rule) = if view.since.is_some() {
        (format!(" {} |", w.ui("review.column.change")), "---:|")
    } else {
        (String::new(), "")
    };
    writeln!(
        out,
        "| {} |{change_header} {} | {} | {} | {} | {} | {} | {} |",
        w.ui("review.column.risk"),
        w.ui("review.column.deal"),
        w.ui("review.column.account"),
        w.ui("review.column.amount"),
        w.ui("review.column.phase"),
        w.ui("review.column.temperature"),
        w.ui("review.column.warnings"),
        w.ui("review.column.top_move"),
    )?;
    writeln!(out, "|---:|{change_rule}---|---|---:|---|---:|---:|---|")?;
    let mut explained: Vec<DealRow> = Vec::new();
    let mut failed = false;
    for row in review.ranked_rows(view.top)? {
        let row = row?;
        failed |= !row.failed_rules.is_empty();
        let mut top = match &row.top_move {
            Some(top) => format!("{} (`{}`)", md(&top.title), top.concept),
            None => w.ui("review.no_move").to_owned(),
        };
        if !row.failed_rules.is_empty() {
            let rules: Vec<String> = row
                .failed_rules
                .iter()
                .map(|rule| format!("`{}`", rule.replace('`', "'")))
                .collect();
            top = format!("{top} **!** {}", rules.join(", "));
        }
        let mut change_cell_md = String::new();
        if let Some(previous) = view.since {
            let change = previous.compare(&row);
            change_cell_md = format!(" {} |", change_cell(&change, w));
            if let Some(was) = was_line(&row, &change, w) {
                top = format!("{top}<br>{}", md(&was));
            }
        }
        writeln!(
            out,
            "| {} |{change_cell_md} {} (`{}`) | {} | {} | {} | {} | {} | {} |",
            row.risk,
            md(&row.name),
            row.id.replace('`', "'"),
            md(row.account.as_deref().unwrap_or("")),
            row.amount
                .map(|amount| w.money(amount, row.currency.as_deref()))
                .unwrap_or_default(),
            w.word("phase", &row.phase),
            temperature_cell(&row),
            row.warnings.len(),
            top
        )?;
        if explained.len() < 5 {
            explained.push(row);
        }
    }
    if failed {
        writeln!(out)?;
        writeln!(out, "{}", md(w.ui("review.failed_mark")))?;
    }
    if let Some(line) = snoozed_line(&review, w) {
        writeln!(out)?;
        writeln!(out, "{}", md(&line))?;
    }
    if let Some(since) = &review.since {
        writeln!(out)?;
        writeln!(out, "### {}", w.ui("review.since.title"))?;
        writeln!(out)?;
        for line in since_lines(since, w) {
            writeln!(out, "- {}", md(&line))?;
        }
    }
    if !review.owners.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.ui("review.owners"))?;
        writeln!(out)?;
        for totals in review.owners.values() {
            writeln!(out, "- {}", md(&owner_line(totals, w)))?;
        }
    }
    let summary = review.summary(view.settings, w.lang);
    if !summary.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "### {}",
            w.fill(
                "review.across",
                &[("deals", &w.count("unit.deal", review.reviewed))]
            )
            .trim_end_matches([':', '：'])
        )?;
        writeln!(out)?;
        for line in &summary {
            writeln!(out, "- {}", md(&line.text))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "### {}", w.ui("review.how"))?;
    writeln!(out)?;
    writeln!(out, "{}", md(&risk_explanation(view)))?;
    writeln!(out)?;
    for row in &explained {
        writeln!(out, "- {}: {}", md(&row.id), md(&risk_breakdown(row, w)))?;
    }
    if !review.rule_failures.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.ui("review.failures"))?;
        writeln!(out)?;
        for failure in &review.rule_failures {
            writeln!(
                out,
                "- {}",
                md(&w.fill(
                    "review.failure",
                    &[
                        ("rule", &failure.rule),
                        ("deals", &w.count("unit.deal", failure.deals)),
                        ("example", &failure.example),
                    ]
                ))
            )?;
        }
    }
    Ok(())
}
