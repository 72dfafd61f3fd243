//! `accounts`: accounts classified by value, as text, Markdown, CSV or JSON.

use std::io::{self, Write};

use serde::Serialize;

use super::layout::{self, WIDTH};
use super::next::PlaybookRef;
use super::{Style, Words};
use crate::coach::template::format_number;
use crate::playbook::Playbook;
use crate::present::escape::markdown as md;
use crate::views::accounts::{AccountRow, Classified, INDICATORS};
use crate::views::{ErrorEntry, Format, PortfolioSettings};

pub struct View<'a> {
    pub format: Format,
    pub words: Words<'a>,
    pub style: Style,
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

#[derive(Serialize)]
struct JsonAccounts<'a> {
    dealcoach: &'static str,
    playbooks: PlaybookRef,
    tiers: Vec<String>,
    accounts: &'a [AccountRow],
    #[serde(skip_serializing_if = "Option::is_none")]
    deals_without_account: Option<usize>,
    rule_failures: Vec<JsonFailure<'a>>,
    errors: &'a [ErrorEntry],
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
        playbooks: PlaybookRef::of(view.playbook),
        tiers: view
            .playbook
            .engine_settings
            .value
            .tiers
            .iter()
            .map(|tier| tier.name.clone())
            .collect(),
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
        writer.write_record(
            record
                .iter()
                .map(|cell| crate::present::escape::spreadsheet(cell).into_owned()),
        )?;
    }
    writer.flush()
}

/// `1.2M #3`: an indicator's value and rank.
fn indicator_cell(row: &AccountRow, indicator: &str, w: Words) -> String {
    let Some(entry) = row.indicators.get(indicator) else {
        return "-".to_owned();
    };
    let Some(value) = entry.value else {
        return "-".to_owned();
    };
    let shown = if indicator == "transactions" {
        format_number(value)
    } else {
        w.money(value, None)
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

fn quadrant(row: &AccountRow, w: Words) -> String {
    row.quadrant
        .as_deref()
        .map_or_else(|| "-".to_owned(), |q| w.word("quadrant", q).to_owned())
}

fn legend(view: &View) -> String {
    let model = &view.playbook.engine_settings.value;
    let tiers: Vec<String> = model
        .tiers
        .iter()
        .map(|tier| format!("{} ≥ {}", tier.name, format_number(tier.min)))
        .collect();
    view.words.fill(
        "accounts.legend",
        &[
            ("tiers", &tiers.join(" · ")),
            ("cut", &format_number(model.quadrant_cut)),
        ],
    )
}

/// `1/2`: an actual count against its target.
fn against(actual: usize, target: Option<f64>) -> String {
    match target {
        Some(target) => format!("{actual}/{}", format_number(target)),
        None => actual.to_string(),
    }
}

const ACCOUNT_CELLS: usize = 19;

fn title(classified: &Classified, w: Words) -> String {
    w.fill(
        "accounts.title",
        &[("accounts", &w.count("unit.account", classified.rows.len()))],
    )
}

fn write_text(classified: &Classified, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let w = view.words;
    let style = view.style;
    writeln!(out, "{}", style.bold(&title(classified, w)))?;
    writeln!(out)?;
    let header = format!(
        "{}  {}  {}  {}  {}  {}  {}  {}  {}  {}",
        layout::left(&w.column("accounts.column.tier"), 4),
        layout::right(&w.column("accounts.column.score"), 5),
        layout::left(&w.column("accounts.column.account"), ACCOUNT_CELLS),
        layout::left(&w.column("accounts.column.quadrant"), 12),
        layout::right(&w.column("accounts.column.current"), 4),
        layout::right(&w.column("accounts.column.potential"), 4),
        layout::right(&w.column("accounts.column.revenue"), 9),
        layout::right(&w.column("accounts.column.profit"), 9),
        layout::right(&w.column("accounts.column.collected"), 9),
        layout::right(&w.column("accounts.column.transactions"), 7),
    );
    writeln!(out, "{}", style.dim(header.trim_end()))?;
    for row in &classified.rows {
        let flagged = if row.warnings.is_empty() { " " } else { "!" };
        let line = format!(
            "{}  {}  {}  {}  {}  {}  {}  {}  {}  {}",
            layout::left(
                &format!("{}{flagged}", row.tier.as_deref().unwrap_or("-")),
                4
            ),
            layout::right(&one_decimal(row.score), 5),
            layout::left(&row.name, ACCOUNT_CELLS),
            layout::left(&quadrant(row, w), 12),
            layout::right(&one_decimal(row.current), 4),
            layout::right(&one_decimal(row.potential), 4),
            layout::right(&indicator_cell(row, "revenue", w), 9),
            layout::right(&indicator_cell(row, "profit", w), 9),
            layout::right(&indicator_cell(row, "collected", w), 9),
            layout::right(&indicator_cell(row, "transactions", w), 7),
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(out)?;
    for line in layout::wrap(&legend(view), WIDTH - 2, 0) {
        writeln!(out, "  {}", style.dim(&line))?;
    }

    let flagged: Vec<&AccountRow> = classified
        .rows
        .iter()
        .filter(|row| !row.warnings.is_empty())
        .collect();
    if !flagged.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold(w.ui("accounts.warnings")))?;
        for row in flagged {
            let standing = [
                row.tier.clone(),
                row.quadrant.as_ref().map(|_| quadrant(row, w)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            writeln!(out, "  {}  {}", style.bold(&row.name), style.dim(&standing))?;
            for warning in &row.warnings {
                for (index, line) in layout::wrap(&warning.title, WIDTH - 6, 4)
                    .iter()
                    .enumerate()
                {
                    if index == 0 {
                        writeln!(out, "  {}{line}", style.yellow("! "))?;
                    } else {
                        writeln!(out, "  {line}")?;
                    }
                }
                for why in &warning.why {
                    for (index, line) in layout::wrap(why, WIDTH - 8, 2).iter().enumerate() {
                        let lead = if index == 0 { "- " } else { "" };
                        writeln!(out, "      {lead}{line}")?;
                    }
                }
                writeln!(out, "      {}", style.dim(&warning.concept))?;
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
        let targets = w.fill(
            "accounts.kpi.targets",
            &[
                ("visits", &number_or_dash(view.settings.visit_target_30d)),
                ("favors", &number_or_dash(view.settings.favor_target_30d)),
            ],
        );
        writeln!(
            out,
            "{}  {}",
            style.bold(w.ui("accounts.kpi")),
            style.dim(&targets)
        )?;
        let header = format!(
            "{}  {}  {}  {}  {}  {}",
            layout::left(&w.column("accounts.column.account"), ACCOUNT_CELLS),
            layout::right(&w.column("accounts.column.deals"), 5),
            layout::right(&w.column("accounts.column.visits"), 7),
            layout::right(&w.column("accounts.column.favors"), 7),
            layout::right(&w.column("accounts.column.referrals"), 9),
            w.column("accounts.column.no_card")
        );
        writeln!(out, "{}", style.dim(&header))?;
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
                let cell = layout::right(&format!("{text}{}", if below { " ✗" } else { "  " }), 7);
                if below {
                    style.red(&cell)
                } else {
                    cell
                }
            };
            let contacts = if kpi.key_contacts_without_vip_card.is_empty() {
                "-".to_owned()
            } else {
                w.join(&kpi.key_contacts_without_vip_card)
            };
            let used = ACCOUNT_CELLS + 2 + 5 + 2 + 7 + 2 + 7 + 2 + 9 + 2;
            let line = format!(
                "{}  {}  {}  {}  {}  {}",
                layout::left(&row.name, ACCOUNT_CELLS),
                layout::right(&row.deals.unwrap_or(0).to_string(), 5),
                mark(visits, visits_below),
                mark(favors, favors_below),
                layout::right(
                    &kpi.referrals
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "-".to_owned()),
                    9
                ),
                layout::fit(&contacts, WIDTH - used)
            );
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    if view.without_account > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.dim(&w.count("accounts.without_account", view.without_account))
        )?;
    }
    if !classified.rule_failures.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold(w.ui("accounts.failures")))?;
        for (rule, (count, example)) in &classified.rule_failures {
            writeln!(
                out,
                "  {}",
                w.fill(
                    "accounts.failure",
                    &[
                        ("rule", rule),
                        ("accounts", &w.count("unit.account", *count)),
                        ("example", example),
                    ]
                )
            )?;
        }
    }
    if !view.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold(w.ui("accounts.errors")))?;
        for error in view.errors {
            writeln!(out, "  {}", style.red(&error.message))?;
        }
    }
    Ok(())
}

fn write_markdown(classified: &Classified, view: &View, out: &mut dyn Write) -> io::Result<()> {
    let w = view.words;
    writeln!(out, "## {}", md(&title(classified, w)))?;
    writeln!(out)?;
    let columns = [
        "accounts.column.tier",
        "accounts.column.score",
        "accounts.column.account",
        "accounts.column.quadrant",
        "accounts.column.current",
        "accounts.column.potential",
        "accounts.column.revenue",
        "accounts.column.profit",
        "accounts.column.collected",
        "accounts.column.transactions",
        "accounts.warnings",
    ];
    let names: Vec<&str> = columns.iter().map(|key| w.ui(key)).collect();
    writeln!(out, "| {} |", names.join(" | "))?;
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
            md(row.tier.as_deref().unwrap_or("-")),
            number_or_dash(row.score),
            md(&row.name),
            md(&quadrant(row, w)),
            number_or_dash(row.current),
            number_or_dash(row.potential),
            indicator_cell(row, "revenue", w),
            indicator_cell(row, "profit", w),
            indicator_cell(row, "collected", w),
            indicator_cell(row, "transactions", w),
            warnings
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", md(&legend(view)))?;
    let flagged: Vec<&AccountRow> = classified
        .rows
        .iter()
        .filter(|row| !row.warnings.is_empty())
        .collect();
    if !flagged.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.ui("accounts.warnings"))?;
        for row in flagged {
            writeln!(out)?;
            writeln!(out, "**{}**", md(&row.name))?;
            writeln!(out)?;
            for warning in &row.warnings {
                writeln!(out, "- {} (`{}`)", md(&warning.title), warning.concept)?;
                for why in &warning.why {
                    writeln!(out, "  - {}", md(why))?;
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
        writeln!(out, "### {}", w.ui("accounts.kpi"))?;
        writeln!(out)?;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            w.ui("accounts.column.account"),
            w.ui("accounts.column.deals"),
            w.ui("accounts.column.visits"),
            w.ui("accounts.column.favors"),
            w.ui("accounts.column.referrals"),
            w.ui("accounts.column.no_card")
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
                md(&row.name),
                row.deals.unwrap_or(0),
                kpi.visits_30d,
                target(kpi.visit_target_30d),
                kpi.favors_30d,
                target(kpi.favor_target_30d),
                kpi.referrals
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "-".to_owned()),
                if kpi.key_contacts_without_vip_card.is_empty() {
                    w.ui("word.none").to_owned()
                } else {
                    md(&w.join(&kpi.key_contacts_without_vip_card)).into_owned()
                }
            )?;
        }
    }
    if !view.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "### {}", w.ui("accounts.errors"))?;
        writeln!(out)?;
        for error in view.errors {
            writeln!(out, "- {}", md(&error.message))?;
        }
    }
    Ok(())
}
