//! Rendering a report: text for a terminal, JSON for programs, Markdown for a CRM note.
//!
//! JSON is the contract (`spec/cli-and-output.md`) and is byte-identical for the same deal
//! and playbooks. Text leads with the assessment and the few moves that matter most.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::coach::{Advice, Report, SightingOut};
use crate::escape::markdown as md;
use crate::playbook::{Lang, Playbook};
use crate::template::format_number;
use crate::vocabulary::Severity;

/// How much of the report the text and Markdown formats show.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    /// Moves shown; every high-severity warning is always shown.
    pub top: usize,
    pub all: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    dealcoach: &'static str,
    playbooks: PlaybookRef,
    #[serde(flatten)]
    report: &'a Report,
}

#[derive(Serialize)]
struct PlaybookRef {
    source: String,
    digest: String,
}

pub fn json(report: &Report, playbook: &Playbook) -> String {
    let document = JsonReport {
        dealcoach: env!("CARGO_PKG_VERSION"),
        playbooks: PlaybookRef {
            source: playbook.origin.label(),
            digest: playbook.digest().to_owned(),
        },
        report,
    };
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}

/// Words of the text and Markdown formats, per language.
struct Words {
    as_of: &'static str,
    temperature: &'static str,
    stated: &'static str,
    evidence: &'static str,
    information: &'static str,
    relationship: &'static str,
    account: &'static str,
    tier: &'static str,
    coverage: &'static str,
    phase: &'static str,
    moves: &'static str,
    warnings: &'static str,
    signals: &'static str,
    objections: &'static str,
    open: &'static str,
    handled: &'static str,
    from: &'static str,
    ask: &'static str,
    errors: &'static str,
    more: &'static str,
    nothing: &'static str,
}

const EN: Words = Words {
    as_of: "as of",
    temperature: "Temperature",
    stated: "stated",
    evidence: "from evidence",
    information: "Information",
    relationship: "Relationship",
    account: "Account",
    tier: "tier",
    coverage: "Buying influencers",
    phase: "Phase",
    moves: "Next moves",
    warnings: "Warnings",
    signals: "Buying signals",
    objections: "Objections",
    open: "open",
    handled: "handled",
    from: "from",
    ask: "Ask",
    errors: "Rules that failed",
    more: "more not shown (--all shows everything)",
    nothing: "none",
};

const ZH: Words = Words {
    as_of: "截至",
    temperature: "水温",
    stated: "自评",
    evidence: "据证据",
    information: "信息完整度",
    relationship: "客户关系阶段",
    account: "客户价值",
    tier: "等级",
    coverage: "四种购买影响者",
    phase: "阶段",
    moves: "下一步行动",
    warnings: "警示",
    signals: "购买信号",
    objections: "拒绝",
    open: "未处理",
    handled: "已处理",
    from: "来自",
    ask: "可以这样问",
    errors: "出错的规则",
    more: "条未显示（--all 显示全部）",
    nothing: "无",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

fn role_label(role: &str, lang: Lang) -> &str {
    match (lang, role) {
        (Lang::Zh, "user") => "使用者",
        (Lang::Zh, "technical_gatekeeper") => "技术把关者",
        (Lang::Zh, "decision_maker") => "决策者",
        (Lang::Zh, "influencer") => "其他影响者",
        (Lang::En, "technical_gatekeeper") => "technical gatekeeper",
        (Lang::En, "decision_maker") => "decision maker",
        (_, other) => other,
    }
}

fn status_label(status: &str, lang: Lang) -> &str {
    match (lang, status) {
        (Lang::Zh, "engaged") => "已接触",
        (Lang::Zh, "identified") => "未见面",
        (Lang::Zh, "missing") => "缺失",
        (Lang::En, "identified") => "not met",
        (_, other) => other,
    }
}

/// The deal phase in the output language (shared by every report).
pub fn phase_label(phase: &str, lang: Lang) -> &str {
    match (lang, phase) {
        (Lang::Zh, "early") => "早期",
        (Lang::Zh, "middle") => "中期",
        (Lang::Zh, "late") => "后期",
        (Lang::Zh, "won") => "已赢单",
        (Lang::Zh, "lost") => "已丢单",
        (_, other) => other,
    }
}

fn relationship_label(stage: &str, lang: Lang) -> &str {
    match (lang, stage) {
        (Lang::Zh, "gestation") => "孕育阶段",
        (Lang::Zh, "initial") => "初级阶段",
        (Lang::Zh, "intermediate") => "中级阶段",
        (Lang::Zh, "advanced") => "高级阶段",
        (Lang::Zh, "strategic_alliance") => "战略联盟阶段",
        (Lang::En, "strategic_alliance") => "strategic alliance",
        (_, other) => other,
    }
}

/// The scorecard quadrants of the built-in playbook in Chinese; a trainer's own quadrant
/// names print as written.
fn quadrant_label(quadrant: &str, lang: Lang) -> &str {
    match (lang, quadrant) {
        (Lang::Zh, "develop") => "重点发展",
        (Lang::Zh, "keep") => "保持维护",
        (Lang::Zh, "grow") => "培育潜力",
        (Lang::Zh, "deprioritise") => "降低投入",
        (_, other) => other,
    }
}

fn severity_label(severity: Option<Severity>, lang: Lang) -> &'static str {
    match (lang, severity) {
        (Lang::Zh, Some(Severity::High)) => "高",
        (Lang::Zh, Some(Severity::Medium)) => "中",
        (Lang::Zh, _) => "低",
        (Lang::En, Some(Severity::High)) => "high",
        (Lang::En, Some(Severity::Medium)) => "medium",
        (Lang::En, _) => "low",
    }
}

/// ANSI styling, applied only when writing to a terminal without `NO_COLOR`.
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
    fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }
    fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
}

/// The moves and warnings shown, and how many are left out.
fn selection(report: &Report, shown: Shown) -> (&[Advice], Vec<&Advice>, usize) {
    if shown.all {
        return (&report.moves, report.warnings.iter().collect(), 0);
    }
    let moves = &report.moves[..report.moves.len().min(shown.top)];
    let warnings: Vec<&Advice> = report
        .warnings
        .iter()
        .filter(|w| w.severity == Some(Severity::High))
        .collect();
    let hidden = report.moves.len() - moves.len() + report.warnings.len() - warnings.len();
    (moves, warnings, hidden)
}

fn assessment_lines(report: &Report, lang: Lang) -> Vec<String> {
    let w = words(lang);
    let a = &report.assessment;
    let mut lines = Vec::new();
    let stated = a
        .temperature
        .stated
        .map_or_else(|| "?".to_owned(), |t| t.to_string());
    let mut first = format!(
        "{} {stated} {} · {} {}  |  {} {}%  |  {} {}",
        w.temperature,
        w.stated,
        a.temperature.evidence,
        w.evidence,
        w.information,
        (a.information_completeness * 100.0).round(),
        w.phase,
        phase_label(a.phase, lang)
    );
    if let Some(stage) = a.relationship_stage {
        let _ = write!(
            first,
            "  |  {} {}",
            w.relationship,
            relationship_label(stage, lang)
        );
    }
    lines.push(first);
    if let Some(account) = &a.account {
        let quadrant = account
            .quadrant
            .as_deref()
            .map(|q| format!(" · {}", quadrant_label(q, lang)))
            .unwrap_or_default();
        lines.push(format!(
            "{} {} {} ({}){quadrant}",
            w.account,
            w.tier,
            account.tier,
            format_number(account.score)
        ));
    }
    let coverage: Vec<String> = a
        .influencer_coverage
        .iter()
        .map(|(role, status)| format!("{} {}", role_label(role, lang), status_label(status, lang)))
        .collect();
    lines.push(format!("{}: {}", w.coverage, coverage.join(" · ")));
    lines
}

/// `escape` is applied to the words that come from the deal.
fn sighting_line(
    sighting: &SightingOut,
    lang: Lang,
    escape: fn(&str) -> std::borrow::Cow<'_, str>,
) -> String {
    let w = words(lang);
    let mut line = sighting.concept.clone();
    if let Some(from) = &sighting.from {
        let _ = write!(line, " {} {}", w.from, escape(from));
    }
    if let Some(handled) = sighting.handled {
        let _ = write!(line, " [{}]", if handled { w.handled } else { w.open });
    }
    if let Some(evidence) = &sighting.evidence {
        let _ = write!(line, " — “{}”", escape(evidence));
    }
    let _ = write!(line, " ({})", sighting.source);
    line
}

pub fn text(report: &Report, lang: Lang, shown: Shown, style: Style) -> String {
    let w = words(lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}) · {} {}",
        style.bold(&report.deal.name),
        report.deal.id,
        w.as_of,
        report.deal.as_of
    );
    for line in assessment_lines(report, lang) {
        let _ = writeln!(out, "{line}");
    }
    let (moves, warnings, hidden) = selection(report, shown);

    let _ = writeln!(out, "\n{}", style.bold(w.moves));
    if moves.is_empty() {
        let _ = writeln!(out, "  {}", w.nothing);
    }
    for (index, advice) in moves.iter().enumerate() {
        let priority = advice.priority.unwrap_or_default();
        let _ = writeln!(
            out,
            "{:>3}. {} {}  {}",
            index + 1,
            style.green(&format!("[{priority}]")),
            style.bold(&advice.title),
            style.dim(&advice.concept)
        );
        for reason in &advice.why {
            let _ = writeln!(out, "       - {reason}");
        }
        if let Some(questions) = advice.questions.as_ref().filter(|q| !q.is_empty()) {
            let _ = writeln!(out, "       {}:", w.ask);
            for question in questions {
                let _ = writeln!(out, "         ? {question}");
            }
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold(w.warnings));
        for advice in &warnings {
            let label = severity_label(advice.severity, lang);
            let label = if advice.severity == Some(Severity::High) {
                style.red(&format!("! {label}"))
            } else {
                style.yellow(&format!("! {label}"))
            };
            let _ = writeln!(
                out,
                "  {label}  {}  {}",
                style.bold(&advice.title),
                style.dim(&advice.concept)
            );
            for reason in &advice.why {
                let _ = writeln!(out, "       - {reason}");
            }
        }
    }
    for (label, list) in [
        (w.signals, &report.signals),
        (w.objections, &report.objections),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{}", style.bold(label));
            for sighting in list {
                let _ = writeln!(
                    out,
                    "  - {}",
                    sighting_line(sighting, lang, |text| Cow::Borrowed(text))
                );
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "\n+ {hidden} {}", w.more);
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n{}", style.red(w.errors));
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

pub fn markdown(report: &Report, lang: Lang, shown: Shown) -> String {
    let w = words(lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} ({}) · {} {}\n",
        md(&report.deal.name),
        md(&report.deal.id),
        w.as_of,
        report.deal.as_of
    );
    for line in assessment_lines(report, lang) {
        let _ = writeln!(out, "- {line}");
    }
    let (moves, warnings, hidden) = selection(report, shown);
    let _ = writeln!(out, "\n### {}\n", w.moves);
    if moves.is_empty() {
        let _ = writeln!(out, "{}", w.nothing);
    }
    for (index, advice) in moves.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** (`{}`, {})",
            index + 1,
            md(&advice.title),
            advice.concept,
            advice.priority.unwrap_or_default()
        );
        for reason in &advice.why {
            let _ = writeln!(out, "   - {}", md(reason));
        }
        for question in advice.questions.iter().flatten() {
            let _ = writeln!(out, "   - {}: {}", w.ask, md(question));
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n### {}\n", w.warnings);
        for advice in &warnings {
            let _ = writeln!(
                out,
                "- **{}** (`{}`, {})",
                md(&advice.title),
                advice.concept,
                severity_label(advice.severity, lang)
            );
            for reason in &advice.why {
                let _ = writeln!(out, "  - {}", md(reason));
            }
        }
    }
    for (label, list) in [
        (w.signals, &report.signals),
        (w.objections, &report.objections),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n### {label}\n");
            for sighting in list {
                let _ = writeln!(out, "- {}", sighting_line(sighting, lang, md));
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(out, "\n_+ {hidden} {}_", w.more);
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n### {}\n", w.errors);
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
