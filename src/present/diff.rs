//! `diff`: what changed between two snapshots of one deal, as text, Markdown or JSON.
//!
//! Each change is one label of the catalog (`diff.change.<kind>`) with `{who}`, `{from}`
//! and `{to}` filled in words: vocabulary values by their labels, concepts by theirs,
//! yes/no, amounts as money; a side without a value reads `diff.unset`.

use serde_json::Value;

use super::{Style, Words};
use crate::coach::template::format_number;
use crate::playbook::Playbook;
use crate::present::escape::markdown as md;
use crate::views::diff::{AdviceItem, Change, DealDiff, Values};

pub fn json(diff: &DealDiff, playbook: &Playbook) -> String {
    super::next::document(diff, playbook)
}

/// "Pearl River Bank core system replacement (pearl-bank-core-2027): 11-24 → 12-01".
fn headline(diff: &DealDiff, w: Words) -> String {
    let date = |as_of: &Option<String>| match as_of {
        Some(date) => w.short_date(date),
        None => w.ui_owned("word.date_unknown"),
    };
    w.fill(
        "diff.title",
        &[
            ("name", &diff.deal.name),
            ("id", &diff.deal.id),
            ("from", &date(&diff.deal.old.as_of)),
            ("to", &date(&diff.deal.new.as_of)),
        ],
    )
}

/// One side of a change in words.
fn value(change: &Change, side: Option<&Value>, currency: Option<&str>, w: Words) -> String {
    let Some(side) = side else {
        return w.ui_owned("diff.unset");
    };
    let written = match side {
        Value::String(text) => text.clone(),
        Value::Number(number) => number
            .as_f64()
            .map(format_number)
            .unwrap_or_else(|| number.to_string()),
        other => other.to_string(),
    };
    match change.values {
        Values::Plain => written,
        Values::Word(vocabulary) => w.word(vocabulary, &written).to_owned(),
        Values::Concept => w.concept(&written).to_owned(),
        Values::YesNo => w.ui_owned(if side.as_bool() == Some(true) {
            "word.yes"
        } else {
            "word.no"
        }),
        Values::Money => side
            .as_f64()
            .map(|amount| w.money(amount, currency))
            .unwrap_or(written),
    }
}

/// One change as a sentence of the label catalog.
pub fn change_line(change: &Change, currency: Option<&str>, w: Words) -> String {
    let (key, what) = match change.kind.split_once('.') {
        Some(("questions", kind)) => ("diff.change.questions".to_owned(), w.word("question", kind)),
        Some(("information", item)) if item != "reviewed" => {
            ("diff.change.information".to_owned(), w.word("info", item))
        }
        _ => (format!("diff.change.{}", change.kind), ""),
    };
    let who = match (&change.who, change.with.is_empty()) {
        (Some(who), _) => who.clone(),
        (None, false) => w.join(&change.with),
        (None, true) => w.ui_owned("diff.someone"),
    };
    let date = match &change.date {
        Some(date) => w.short_date(date),
        None => w.ui_owned("word.date_unknown"),
    };
    w.fill(
        &key,
        &[
            ("who", &who),
            ("what", what),
            ("date", &date),
            ("from", &value(change, change.from.as_ref(), currency, w)),
            ("to", &value(change, change.to.as_ref(), currency, w)),
        ],
    )
}

/// The four advice lists with their titles and marks, in the order a manager reads them.
fn advice_groups(diff: &DealDiff) -> [(&'static str, &'static str, &[AdviceItem]); 4] {
    [
        ("diff.resolved", "✓", &diff.advice.resolved),
        ("diff.new", "+", &diff.advice.new),
        ("diff.snoozed", "z", &diff.advice.snoozed),
        ("diff.open", "·", &diff.advice.open),
    ]
}

pub fn text(diff: &DealDiff, w: Words, style: Style) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(style.bold(&headline(diff, w)));
    line(String::new());
    line(style.bold(w.ui("diff.deal")));
    if diff.changes.is_empty() {
        line(format!("  {}", w.ui("diff.nothing")));
    }
    for change in &diff.changes {
        line(format!(
            "  {}",
            change_line(change, diff.deal.currency.as_deref(), w)
        ));
    }
    line(String::new());
    line(style.bold(w.ui("diff.advice")));
    for (key, mark, items) in advice_groups(diff) {
        if items.is_empty() {
            continue;
        }
        line(format!(
            "  {}",
            w.fill(key, &[("n", &items.len().to_string())])
        ));
        for item in items {
            line(format!(
                "    {mark} {}  {}",
                item.title,
                style.dim(&item.concept)
            ));
        }
    }
    if advice_groups(diff)
        .iter()
        .all(|(_, _, items)| items.is_empty())
    {
        line(format!("  {}", w.ui("diff.no_advice")));
    }
    out
}

pub fn markdown(diff: &DealDiff, w: Words) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("## {}", md(&headline(diff, w))));
    line(String::new());
    line(format!("### {}", w.ui("diff.deal")));
    line(String::new());
    if diff.changes.is_empty() {
        line(md(w.ui("diff.nothing")).into_owned());
    }
    for change in &diff.changes {
        line(format!(
            "- {}",
            md(&change_line(change, diff.deal.currency.as_deref(), w))
        ));
    }
    line(String::new());
    line(format!("### {}", w.ui("diff.advice")));
    let mut any = false;
    for (key, mark, items) in advice_groups(diff) {
        if items.is_empty() {
            continue;
        }
        any = true;
        line(String::new());
        line(format!(
            "#### {}",
            w.fill(key, &[("n", &items.len().to_string())])
        ));
        line(String::new());
        for item in items {
            line(format!(
                "- {mark} {} (`{}`)",
                md(&item.title),
                item.concept.replace('`', "'")
            ));
        }
    }
    if !any {
        line(String::new());
        line(md(w.ui("diff.no_advice")).into_owned());
    }
    out
}
