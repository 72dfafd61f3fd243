//! `next`: one deal's report as text for a terminal, Markdown for a CRM note, or JSON for
//! programs. JSON is the contract (README "JSON output") and byte-identical for the same
//! deal and playbooks; text leads with the deal at a glance and the few moves that matter.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Style, Words};
use crate::coach::template::format_number;
use crate::coach::{Advice, Report, SightingOut, SnoozedOut};
use crate::playbook::Playbook;
use crate::present::escape::markdown as md;
use crate::snapshot::vocabulary::Severity;

/// How much of the report the text and Markdown formats show.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    /// Moves shown; every high-severity warning is always shown.
    pub top: usize,
    pub all: bool,
}

/// A JSON document of any command: the version and the playbooks, then the body's fields.
#[derive(Serialize)]
struct JsonDocument<'a, T: Serialize> {
    dealcoach: &'static str,
    playbooks: PlaybookRef,
    #[serde(flatten)]
    body: &'a T,
}

/// `body` as a pretty-printed JSON document, after `dealcoach` and `playbooks`.
pub fn document<T: Serialize>(body: &T, playbook: &Playbook) -> String {
    let document = JsonDocument {
        dealcoach: env!("CARGO_PKG_VERSION"),
        playbooks: PlaybookRef::of(playbook),
        body,
    };
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}

/// Which playbooks made a report, as every JSON document says.
#[derive(Serialize)]
pub struct PlaybookRef {
    pub source: String,
    pub digest: String,
}

impl PlaybookRef {
    pub fn of(playbook: &Playbook) -> PlaybookRef {
        PlaybookRef {
            source: playbook.origin.label(),
            digest: playbook.digest().to_owned(),
        }
    }
}

pub fn json(report: &Report, playbook: &Playbook) -> String {
    document(report, playbook)
}

/// Steps of a merged move the text shows without `--all`: what fits one conversation.
const MOST_STEPS: usize = 4;

/// The moves and warnings shown, and how many are left out.
fn selection(report: &Report, shown: Shown) -> (&[Advice], Vec<&Advice>, usize) {
    if shown.all {
        return (&report.moves, report.warnings.iter().collect(), 0);
    }
    let moves = &report.moves[..report.moves.len().min(shown.top)];
    // The verdict shows whatever `--top` says: high warnings and those that change the
    // strategy (a misjudged account) are never hidden.
    let warnings: Vec<&Advice> = report
        .warnings
        .iter()
        .filter(|w| w.severity == Some(Severity::High) || w.verdict)
        .collect();
    let hidden = report.moves.len() - moves.len() + report.warnings.len() - warnings.len();
    (moves, warnings, hidden)
}

/// The deal at a glance: temperature, information, phase, relationship; account value;
/// coverage of the four buying influencers.
fn assessment_lines(report: &Report, w: Words) -> Vec<String> {
    let a = &report.assessment;
    let evidence = a.temperature.evidence.to_string();
    let temperature = match a.temperature.stated {
        Some(stated) => w.fill(
            if stated > a.temperature.evidence {
                "next.temperature.below"
            } else {
                "next.temperature.at_or_above"
            },
            &[("stated", &stated.to_string()), ("evidence", &evidence)],
        ),
        None => w.fill("next.temperature.unstated", &[("evidence", &evidence)]),
    };
    let information = match a.information_completeness {
        Some(share) => w.fill(
            "next.information",
            &[("percent", &format_number((share * 100.0).round()))],
        ),
        None => w.ui("next.information.unassessed").to_owned(),
    };
    let mut first = vec![
        temperature,
        information,
        w.fill("next.phase", &[("phase", w.word("phase", a.phase))]),
    ];
    if let Some(stage) = a.relationship_stage {
        first.push(w.fill(
            "next.relationship",
            &[("stage", w.word("relationship_stage", stage))],
        ));
    }
    let mut lines = vec![first.join(" · ")];
    if let Some(account) = &a.account {
        let mut line = w.fill(
            "next.account",
            &[
                ("tier", &account.tier),
                ("score", &format_number(account.score)),
            ],
        );
        if let Some(reasons) = &account.capped_by {
            let why: Vec<String> = reasons
                .iter()
                .map(|reason| {
                    let concept = format!("value.{reason}");
                    w.labels.word("concept", &concept, w.lang).to_owned()
                })
                .collect();
            let held = w.fill(
                "next.account.capped",
                &[
                    ("tier", &account.tier),
                    ("why", &why.join(w.ui("list.separator"))),
                ],
            );
            let _ = write!(line, " · {held}");
        }
        if let Some(quadrant) = &account.quadrant {
            let _ = write!(line, " · {}", w.word("quadrant", quadrant));
        }
        lines.push(line);
    }
    let coverage: Vec<String> = a
        .influencer_coverage
        .iter()
        .map(|(role, status)| format!("{} {}", w.word("role", role), w.word("coverage", status)))
        .collect();
    lines.push(w.fill("next.coverage", &[("list", &coverage.join(" · "))]));
    lines
}

/// "我不相信 — 周行长：“对外部厂商不太放心” [未处理]": the label leads, the concept id and
/// where it was found trail. `escape` is applied to the words that come from the deal.
fn sighting_line(
    sighting: &SightingOut,
    w: Words,
    escape: fn(&str) -> std::borrow::Cow<'_, str>,
) -> (String, String) {
    let mut line = w.concept(&sighting.concept).to_owned();
    match (&sighting.from, &sighting.evidence) {
        (Some(who), Some(words)) => {
            let _ = write!(
                line,
                " — {}",
                w.fill(
                    "sighting.said",
                    &[("who", &escape(who)), ("words", &escape(words))]
                )
            );
        }
        (Some(who), None) => {
            let _ = write!(
                line,
                " — {}",
                w.fill("sighting.from", &[("who", &escape(who))])
            );
        }
        (None, Some(words)) => {
            let _ = write!(line, " — “{}”", escape(words));
        }
        (None, None) => {}
    }
    if let Some(handled) = sighting.handled {
        let state = if handled {
            "sighting.handled"
        } else {
            "sighting.open"
        };
        let _ = write!(line, " [{}]", w.ui(state));
    }
    let trail = format!("{} · {}", sighting.concept, sighting.source);
    (line, trail)
}

/// "by 12-02" / "12月2日前", from a `YYYY-MM-DD` date.
fn by(date: Option<&str>, w: Words) -> Option<String> {
    let date = date?;
    Some(w.fill("next.by", &[("date", &w.short_date(date))]))
}

/// "until 12-10: waiting for the budget round" / "12月10日前暂缓：等预算".
fn snooze_line(entry: &SnoozedOut, w: Words) -> String {
    w.fill(
        "next.snoozed_until",
        &[("date", &entry.until), ("reason", &entry.reason)],
    )
}

fn severity<'a>(advice: &Advice, w: Words<'a>) -> &'a str {
    let key = match advice.severity {
        Some(Severity::High) => "high",
        Some(Severity::Medium) => "medium",
        _ => "low",
    };
    w.word("severity", key)
}

pub fn text(report: &Report, w: Words, shown: Shown, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · {}  {}",
        style.bold(&report.deal.name),
        w.fill("next.as_of", &[("date", &report.deal.as_of)]),
        style.dim(&report.deal.id)
    );
    for line in assessment_lines(report, w) {
        let _ = writeln!(out, "{line}");
    }
    let (moves, warnings, hidden) = selection(report, shown);

    let _ = writeln!(out, "\n{}", style.bold(w.ui("heading.moves")));
    if moves.is_empty() {
        let _ = writeln!(out, "  {}", w.ui("next.nothing"));
    }
    for (index, advice) in moves.iter().enumerate() {
        let priority = advice.priority.unwrap_or_default();
        let _ = writeln!(
            out,
            "{:>3}. {} {}{}  {}",
            index + 1,
            style.green(&format!("[{priority}]")),
            style.bold(&advice.title),
            by(advice.by.as_deref(), w)
                .map_or_else(String::new, |by| format!("  {}", style.yellow(&by))),
            style.dim(&advice.concept)
        );
        for reason in &advice.why {
            let _ = writeln!(out, "       - {reason}");
        }
        if !advice.steps.is_empty() {
            let _ = writeln!(out, "       {}", w.ui("next.steps"));
            let limit = if shown.all { usize::MAX } else { MOST_STEPS };
            for (number, step) in advice.steps.iter().take(limit).enumerate() {
                let _ = writeln!(
                    out,
                    "         {}. {}{}  {}",
                    number + 1,
                    step.title,
                    by(step.by.as_deref(), w).map_or_else(String::new, |by| format!("  {by}")),
                    style.dim(&step.concept)
                );
            }
            if advice.steps.len() > limit {
                let _ = writeln!(
                    out,
                    "         {}",
                    style.dim(&w.count("next.more_steps", advice.steps.len() - limit))
                );
            }
        }
        if let Some(questions) = advice.questions.as_ref().filter(|q| !q.is_empty()) {
            let _ = writeln!(out, "       {}", w.ui("next.ask"));
            for question in questions {
                let _ = writeln!(out, "         ? {question}");
            }
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold(w.ui("heading.warnings")));
        for advice in &warnings {
            let label = format!("! {}", severity(advice, w));
            let label = if advice.severity == Some(Severity::High) {
                style.red(&label)
            } else {
                style.yellow(&label)
            };
            let _ = writeln!(
                out,
                "  {label}  {}{}  {}",
                style.bold(&advice.title),
                by(advice.by.as_deref(), w)
                    .map_or_else(String::new, |by| format!("  {}", style.yellow(&by))),
                style.dim(&advice.concept)
            );
            for reason in &advice.why {
                let _ = writeln!(out, "       - {reason}");
            }
        }
    }
    if !report.snoozed.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold(w.ui("heading.snoozed")));
        for entry in &report.snoozed {
            let _ = writeln!(
                out,
                "  z {}  {}",
                snooze_line(entry, w),
                style.dim(&entry.concept)
            );
            for hidden in &entry.hides {
                if !hidden.title.is_empty() {
                    let _ = writeln!(out, "       - {}", hidden.title);
                }
            }
            if entry.hides.is_empty() {
                let _ = writeln!(out, "       {}", style.dim(w.ui("next.snooze_idle")));
            }
        }
    }
    for (heading, list) in [
        ("heading.signals", &report.signals),
        ("heading.objections", &report.objections),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{}", style.bold(w.ui(heading)));
            for sighting in list {
                let (line, trail) = sighting_line(sighting, w, |text| text.into());
                let _ = writeln!(out, "  - {line}  {}", style.dim(&trail));
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "\n+ {}", w.count("next.more", hidden));
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n{}", style.red(w.ui("heading.errors")));
        for error in &report.errors {
            let _ = writeln!(
                out,
                "  {}:{}: rule `{}`: {}",
                error.file, error.line, error.id, error.message
            );
        }
    }
    out
}

pub fn markdown(report: &Report, w: Words, shown: Shown) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} · {} (`{}`)\n",
        md(&report.deal.name),
        w.fill("next.as_of", &[("date", &report.deal.as_of)]),
        report.deal.id.replace('`', "'")
    );
    for line in assessment_lines(report, w) {
        let _ = writeln!(out, "- {line}");
    }
    let (moves, warnings, hidden) = selection(report, shown);
    let _ = writeln!(out, "\n### {}\n", w.ui("heading.moves"));
    if moves.is_empty() {
        let _ = writeln!(out, "{}", w.ui("next.nothing"));
    }
    for (index, advice) in moves.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** (`{}`, {}){}",
            index + 1,
            md(&advice.title),
            advice.concept,
            advice.priority.unwrap_or_default(),
            by(advice.by.as_deref(), w).map_or_else(String::new, |by| format!(" — {by}")),
        );
        for reason in &advice.why {
            let _ = writeln!(out, "   - {}", md(reason));
        }
        if !advice.steps.is_empty() {
            let _ = writeln!(out, "   - {}", w.ui("next.steps"));
            for step in &advice.steps {
                let _ = writeln!(
                    out,
                    "     - {} (`{}`){}",
                    md(&step.title),
                    step.concept,
                    by(step.by.as_deref(), w).map_or_else(String::new, |by| format!(" — {by}")),
                );
            }
        }
        for question in advice.questions.iter().flatten() {
            let _ = writeln!(
                out,
                "   - {}",
                super::after(w.ui("next.ask"), &md(question))
            );
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n### {}\n", w.ui("heading.warnings"));
        for advice in &warnings {
            let _ = writeln!(
                out,
                "- **{}** (`{}`, {})",
                md(&advice.title),
                advice.concept,
                severity(advice, w)
            );
            for reason in &advice.why {
                let _ = writeln!(out, "  - {}", md(reason));
            }
        }
    }
    if !report.snoozed.is_empty() {
        let _ = writeln!(out, "\n### {}\n", w.ui("heading.snoozed"));
        for entry in &report.snoozed {
            let _ = writeln!(
                out,
                "- {} (`{}`)",
                md(&snooze_line(entry, w)),
                entry.concept
            );
            for hidden in &entry.hides {
                if !hidden.title.is_empty() {
                    let _ = writeln!(out, "  - {}", md(&hidden.title));
                }
            }
            if entry.hides.is_empty() {
                let _ = writeln!(out, "  - _{}_", w.ui("next.snooze_idle"));
            }
        }
    }
    for (heading, list) in [
        ("heading.signals", &report.signals),
        ("heading.objections", &report.objections),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n### {}\n", w.ui(heading));
            for sighting in list {
                let (line, trail) = sighting_line(sighting, w, md);
                let _ = writeln!(out, "- {line} (`{trail}`)");
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "\n_+ {}_", w.count("next.more", hidden));
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n### {}\n", w.ui("heading.errors"));
        for error in &report.errors {
            let _ = writeln!(
                out,
                "- `{}` ({}:{}): {}",
                error.id.replace('`', "'"),
                md(&error.file),
                error.line,
                md(&error.message)
            );
        }
    }
    out
}
