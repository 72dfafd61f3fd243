//! `explain`: why each rule did or did not fire on one deal, as a model that the command
//! line prints as text and `serve` answers as JSON (`POST /v1/explain`).
//!
//! For every rule: fired or not, each top-level `&&` part of its condition with its value
//! (so the false part stands out), the value of every fact path the rule reads, and what
//! each derived value it reads is made of. A `for_each` that gave no item still shows the
//! parts that need none. A trainer sees why without reading Rust.

use rhai::Dynamic;
use serde::Serialize;

use crate::engine::{RuleError, SCOPE_NAMES};
use crate::playbook::{Lang, Playbook};
use crate::snapshot::Snapshot;

/// Every explained rule of one deal.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// What was read in the notes, and what decided it: a trainer checks a detection
    /// here before looking for the rule it triggers.
    pub detected: Vec<Detected>,
    /// What fired but a coach would not say (gates, `suppresses:`), with the reason.
    pub suppressed: Vec<crate::coach::judgement::Suppressed>,
    /// Derived values (`derived:` in the playbooks) that failed on this deal.
    pub derived_errors: Vec<RuleError>,
    pub rules: Vec<RuleExplained>,
}

/// An objection or buying signal found in the notes.
#[derive(Debug, Clone, Serialize)]
pub struct Detected {
    pub concept: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `notes`, `activities[2].note` …
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The pattern, or the classifier and the labelled examples nearest to the words.
    pub detected_by: String,
}

/// One rule on one deal.
#[derive(Debug, Clone, Serialize)]
pub struct RuleExplained {
    pub id: String,
    pub concept: String,
    pub file: String,
    pub line: usize,
    /// The title as written (placeholders unfilled), in the language asked for.
    pub title: String,
    /// `fired`, `not_fired` or `error`.
    pub outcome: Outcome,
    /// How many times it fired (a `for_each` rule fires once per item).
    pub firings: usize,
    /// The rule's run-time error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `for_each:` script on one line, with how many items it gave (`None` when it
    /// failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_each: Option<ForEach>,
    /// The `when:` script on one line.
    pub when: String,
    /// Every fact path the rule reads that does not depend on `item` (in `when`,
    /// `for_each` and `priority`), with its value — read whatever the outcome.
    pub reads: Vec<Shown>,
    /// The derived values the condition reads, with what they are made of.
    pub derived: Vec<DerivedShown>,
    /// One case per item of `for_each` (one case without an item otherwise, and one
    /// when `for_each` gave no item: the parts that need none still have values).
    pub cases: Vec<Case>,
}

/// A derived value (`derived:` in the playbooks) as one rule reads it: its value, and
/// its own parts and reads, so `FALSE ready_to_close` says which part made it false.
#[derive(Debug, Clone, Serialize)]
pub struct DerivedShown {
    pub name: String,
    pub file: String,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its script's top-level parts, with their values.
    pub parts: Vec<Part>,
    /// The fact paths its script reads, with their values.
    pub reads: Vec<Shown>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Fired,
    NotFired,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForEach {
    pub script: String,
    pub items: Option<usize>,
}

/// The condition evaluated once (for one item of `for_each`).
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The item, shown as rhai prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The `item` paths the condition reads, with their values (the other paths are the
    /// rule's `reads`).
    pub reads: Vec<Shown>,
    /// The top-level `&&` parts of the condition, with their values.
    pub parts: Vec<Part>,
}

/// A value as shown (or why it could not be computed).
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One `&&` part of a condition.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub condition: String,
    /// `true`, `false`, `value` (not a boolean) or `error`.
    pub result: PartResult,
    /// The value, when it is not a boolean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartResult {
    True,
    False,
    Value,
    Error,
}

/// Explains every rule whose id contains `rule` (every rule without it). `Err` when the
/// deal cannot be handed to the scripts, or when no rule id contains `rule`.
pub fn explain(
    playbook: &Playbook,
    snapshot: &Snapshot,
    rule_filter: Option<&str>,
    lang: Lang,
) -> Result<Explanation, NotExplained> {
    let context = crate::coach::deal_context(playbook, snapshot).map_err(NotExplained::BadDeal)?;
    let detected = context
        .objections
        .iter()
        .chain(&context.signals)
        .filter_map(|sighting| {
            Some(Detected {
                concept: sighting.concept.clone(),
                from: sighting.from.clone(),
                date: sighting.date.clone(),
                source: sighting.source.clone(),
                evidence: sighting.evidence.clone(),
                detected_by: sighting.detected_by.clone()?,
            })
        })
        .collect();
    let (mut scope, derived_errors) = (context.scope, context.errors);
    let scripts = &playbook.scripts;
    let derived_sources = derived_sources(playbook);
    let evaluate = |scope: &mut rhai::Scope<'static>, script: &str| {
        scripts
            .engine()
            .compile_with_scope(scope, script)
            .map_err(|e| e.to_string())
            .and_then(|ast| scripts.run(scope, &ast))
    };
    let shown = |scope: &mut rhai::Scope<'static>, script: &str, path: String| {
        let value = evaluate(scope, script);
        Shown {
            path,
            value: value.as_ref().ok().map(show),
            error: value.err(),
        }
    };
    // The top-level parts of `script` with their values; without an item, a part that
    // reads one says so instead of failing.
    let parts_of = |scope: &mut rhai::Scope<'static>, script: &str, no_item: bool| {
        conjuncts(script)
            .into_iter()
            .map(|part| {
                let part = part.as_str();
                let value = if no_item
                    && fact_paths(part)
                        .iter()
                        .any(|path| path == "item" || path.starts_with("item."))
                {
                    Err("not evaluated: `for_each` gave no item".to_owned())
                } else {
                    evaluate(scope, part)
                };
                let result = match &value {
                    Ok(v) if v.as_bool() == Ok(true) => PartResult::True,
                    Ok(v) if v.as_bool() == Ok(false) => PartResult::False,
                    Ok(_) => PartResult::Value,
                    Err(_) => PartResult::Error,
                };
                Part {
                    condition: one_line(part),
                    result,
                    value: match &value {
                        Ok(v) if v.as_bool().is_err() => Some(show(v)),
                        _ => None,
                    },
                    error: value.err(),
                }
            })
            .collect::<Vec<_>>()
    };
    let mut rules = Vec::new();
    for compiled in &playbook.rules {
        let rule = &compiled.rule;
        if rule_filter.is_some_and(|pattern| !rule.id.contains(pattern)) {
            continue;
        }
        let (firings, errors) = scripts.evaluate(std::slice::from_ref(compiled), &mut scope);
        let (outcome, error) = match errors.first() {
            Some(error) => (Outcome::Error, Some(error.message.clone())),
            None if firings.is_empty() => (Outcome::NotFired, None),
            None => (Outcome::Fired, None),
        };
        let mut items = vec![None];
        let mut for_each = None;
        if let Some(Ok(script)) = &compiled.for_each {
            let listed = match scripts.run(&mut scope, script).map(Dynamic::into_array) {
                Ok(Ok(list)) => Some(list),
                _ => None,
            };
            for_each = Some(ForEach {
                script: one_line(rule.for_each.as_deref().unwrap_or_default()),
                items: listed.as_ref().map(Vec::len),
            });
            items = listed
                .map(|list| list.into_iter().map(Some).collect())
                .unwrap_or_default();
        }
        // A `for_each` that gave nothing (or failed) still shows the condition's parts:
        // those that need no item have values.
        let no_item = items.is_empty();
        if no_item {
            items.push(None);
        }
        let scripts_read = [
            Some(rule.when.as_str()),
            rule.for_each.as_deref(),
            priority_script(rule),
        ];
        let reads = scripts_read
            .iter()
            .flatten()
            .flat_map(|script| fact_paths(script))
            .fold(Vec::<String>::new(), |mut paths, path| {
                if !path.starts_with("item") && path.contains('.') && !paths.contains(&path) {
                    paths.push(path);
                }
                paths
            })
            .into_iter()
            .map(|path| shown(&mut scope, &path, path.clone()))
            .collect();
        let derived = derived_read(&rule.when, &derived_sources)
            .into_iter()
            .map(|(name, source)| {
                let value = evaluate(&mut scope, &name);
                DerivedShown {
                    file: source.file.clone(),
                    line: source.line,
                    value: value.as_ref().ok().map(show),
                    error: value.err(),
                    parts: parts_of(&mut scope, &source.script, false),
                    reads: fact_paths(&source.script)
                        .into_iter()
                        .filter(|path| path.contains('.'))
                        .map(|path| shown(&mut scope, &path, path.clone()))
                        .collect(),
                    name,
                }
            })
            .collect();
        let mut cases = Vec::new();
        for item in items {
            let depth = scope.len();
            if let Some(item) = &item {
                scope.push_constant_dynamic("item", item.clone());
            }
            let reads = fact_paths(&rule.when)
                .into_iter()
                .filter(|path| item.is_some() && path.starts_with("item."))
                .map(|path| shown(&mut scope, &path, path.clone()))
                .collect();
            cases.push(Case {
                item: item.as_ref().map(show),
                reads,
                parts: parts_of(&mut scope, &rule.when, no_item),
            });
            scope.rewind(depth);
        }
        rules.push(RuleExplained {
            id: rule.id.clone(),
            concept: rule.concept.clone(),
            file: rule.place.file.clone(),
            line: rule.place.line,
            title: one_line(rule.title.get(lang)),
            outcome,
            firings: firings.len(),
            error,
            for_each,
            when: one_line(&rule.when),
            reads,
            derived,
            cases,
        });
    }
    if rules.is_empty() {
        return Err(NotExplained::NoSuchRule(format!(
            "no rule id contains `{}`",
            rule_filter.unwrap_or_default()
        )));
    }
    // What judgement set aside is only known once everything has fired: the whole
    // coaching run tells it.
    let suppressed = crate::coach::coach(playbook, snapshot, lang)
        .map(|report| report.suppressed)
        .unwrap_or_default()
        .into_iter()
        .filter(|set_aside| rule_filter.is_none_or(|pattern| set_aside.rule.contains(pattern)))
        .collect();
    Ok(Explanation {
        detected,
        suppressed,
        derived_errors,
        rules,
    })
}

/// Why a deal could not be explained.
#[derive(Debug, Clone)]
pub enum NotExplained {
    /// The deal cannot be handed to the scripts at all.
    BadDeal(String),
    /// The rule filter matches no rule id.
    NoSuchRule(String),
}

impl Explanation {
    /// As the command line prints it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if !self.detected.is_empty() {
            out.push_str("read in the notes:\n");
            for sighting in &self.detected {
                let from = sighting.from.as_deref().unwrap_or("(no stakeholder named)");
                let date = sighting
                    .date
                    .as_deref()
                    .map(|date| format!(", {date}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {}  from {from}  ({}{date}): “{}”\n    by {}\n",
                    sighting.concept,
                    sighting.source,
                    sighting.evidence.as_deref().unwrap_or_default(),
                    sighting.detected_by
                ));
            }
            out.push('\n');
        }
        for error in &self.derived_errors {
            out.push_str(&format!("{}: ERROR: {}\n\n", error.id, error.message));
        }
        for rule in &self.rules {
            let verdict = match (rule.outcome, rule.firings) {
                (Outcome::Error, _) => format!("ERROR: {}", rule.error.as_deref().unwrap_or("")),
                (_, 0) => "not fired".to_owned(),
                (_, 1) => "FIRED".to_owned(),
                (_, count) => format!("FIRED {count} times"),
            };
            out.push_str(&format!(
                "{}  [{}]  {verdict}  ({}:{})\n",
                rule.id, rule.concept, rule.file, rule.line
            ));
            out.push_str(&format!("  title: {}\n", rule.title));
            if let Some(for_each) = &rule.for_each {
                out.push_str(&format!("  for_each: {}\n", for_each.script));
                if let Some(count) = for_each.items {
                    out.push_str(&format!("    → {count} item(s)\n"));
                }
            }
            out.push_str(&format!("  when: {}\n", rule.when));
            write_reads(&mut out, "  ", &rule.reads);
            for derived in &rule.derived {
                let value = match (&derived.value, &derived.error) {
                    (Some(value), _) => value.clone(),
                    (None, error) => format!("({})", error.as_deref().unwrap_or("")),
                };
                out.push_str(&format!(
                    "  derived {} = {value}  ({}:{}), made of:\n",
                    derived.name, derived.file, derived.line
                ));
                write_parts(&mut out, "      ", &derived.parts);
                write_reads(&mut out, "      ", &derived.reads);
            }
            for case in &rule.cases {
                match &case.item {
                    Some(item) => out.push_str(&format!("    with item = {item}\n")),
                    None if rule.for_each.is_some() => {
                        out.push_str("    with no item (the parts that need none):\n")
                    }
                    None => {}
                }
                write_reads(&mut out, "    ", &case.reads);
                write_parts(&mut out, "    ", &case.parts);
            }
            out.push('\n');
        }
        if !self.suppressed.is_empty() {
            out.push_str("fired, but not said (judgement):\n");
            for set_aside in &self.suppressed {
                out.push_str(&format!(
                    "  {}  [{}]  {}\n",
                    set_aside.rule, set_aside.concept, set_aside.because
                ));
            }
        }
        out
    }

    /// As `explain --format json` prints it (and `POST /v1/explain` answers): the
    /// playbooks and the deal it is about, then the explanation.
    pub fn json(&self, playbook: &Playbook, snapshot: &Snapshot) -> String {
        #[derive(Serialize)]
        struct Document<'a> {
            dealcoach: &'static str,
            playbooks: crate::present::next::PlaybookRef,
            deal: crate::coach::DealRef,
            #[serde(flatten)]
            explanation: &'a Explanation,
        }
        let document = Document {
            dealcoach: env!("CARGO_PKG_VERSION"),
            playbooks: crate::present::next::PlaybookRef::of(playbook),
            deal: crate::coach::DealRef {
                id: snapshot.deal.id.clone(),
                name: snapshot.deal.name.clone(),
                as_of: snapshot.as_of().to_string(),
            },
            explanation: self,
        };
        let mut text = serde_json::to_string_pretty(&document)
            .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
        text.push('\n');
        text
    }
}

/// A move's priority when it is a script (a fixed number reads nothing).
fn priority_script(rule: &crate::playbook::Rule) -> Option<&str> {
    match &rule.kind {
        crate::playbook::RuleKind::Move {
            priority: crate::playbook::RawPriority::Expression(script),
        } => Some(script),
        _ => None,
    }
}

/// A derived value's script and where it is written.
struct DerivedSource {
    script: String,
    file: String,
    line: usize,
}

/// The source of every derived value, read from the playbook files (the engine keeps
/// only the compiled scripts), by name.
fn derived_sources(playbook: &Playbook) -> Vec<(String, DerivedSource)> {
    let mut sources = Vec::new();
    for file in playbook.files.playbook_yaml() {
        let Ok(document) = serde_yaml::from_str::<serde_yaml::Value>(&file.text) else {
            continue;
        };
        let Some(derived) = document.get("derived").and_then(|d| d.as_mapping()) else {
            continue;
        };
        for (name, script) in derived {
            let (Some(name), Some(script)) = (name.as_str(), script.as_str()) else {
                continue;
            };
            let (line, _) = crate::playbook::find_key(&file.text, name);
            sources.push((
                name.to_owned(),
                DerivedSource {
                    script: script.to_owned(),
                    file: file.path.clone(),
                    line,
                },
            ));
        }
    }
    sources
}

/// The derived values `script` reads, then those they read in turn, each once, in order
/// of first appearance.
fn derived_read<'a>(
    script: &str,
    sources: &'a [(String, DerivedSource)],
) -> Vec<(String, &'a DerivedSource)> {
    let mut found: Vec<(String, &DerivedSource)> = Vec::new();
    let mut pending = vec![script.to_owned()];
    while let Some(script) = pending.pop() {
        for name in bare_names(&script) {
            if found.iter().any(|(known, _)| *known == name) {
                continue;
            }
            if let Some((_, source)) = sources.iter().find(|(known, _)| *known == name) {
                pending.push(source.script.clone());
                found.push((name, source));
            }
        }
    }
    found
}

/// The names a script reads on their own (not after a `.`, not called).
fn bare_names(script: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = script;
    let mut previous = ' ';
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') {
        let before = rest[..start].chars().last().unwrap_or(previous);
        let end = rest[start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(rest.len(), |at| start + at);
        let name = &rest[start..end];
        let called = rest[end..].trim_start().starts_with('(');
        let quoted = rest[..start].matches('"').count() % 2 == 1;
        if before != '.' && !before.is_alphanumeric() && !called && !quoted {
            names.push(name.to_owned());
        }
        previous = rest[..end].chars().last().unwrap_or(previous);
        rest = &rest[end..];
    }
    names
}

fn write_reads(out: &mut String, indent: &str, reads: &[Shown]) {
    for read in reads {
        let shown = match (&read.value, &read.error) {
            (Some(value), _) => value.clone(),
            (None, error) => format!("({})", error.as_deref().unwrap_or("")),
        };
        out.push_str(&format!("{indent}reads {} = {shown}\n", read.path));
    }
}

fn write_parts(out: &mut String, indent: &str, parts: &[Part]) {
    for part in parts {
        let mark = match part.result {
            PartResult::True => "true ",
            PartResult::False => "FALSE",
            PartResult::Value => "value",
            PartResult::Error => "error",
        };
        let detail = match (&part.value, &part.error) {
            (Some(value), _) => format!(" = {value}"),
            (None, Some(error)) => format!(" ({error})"),
            _ => String::new(),
        };
        out.push_str(&format!("{indent}{mark}  {}{detail}\n", part.condition));
    }
}

fn one_line(script: &str) -> String {
    script.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value, short: unknown is `()`, lists and maps as rhai prints them, long ones cut.
fn show(value: &Dynamic) -> String {
    if value.is_unit() {
        return "() (not known)".to_owned();
    }
    let text = if value.is_string() {
        format!("{value:?}")
    } else {
        value.to_string()
    };
    let text = if value.is_array() || value.is_map() {
        value.to_string()
    } else {
        text
    };
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

/// The top-level parts of a single-expression condition, split where rhai's own parse
/// splits it: `a && b || c` is `a && b` or `c` (`&&` binds tighter), never `a` and
/// `b || c`. A multi-statement script, or one that does not compile, is one part.
fn conjuncts(script: &str) -> Vec<String> {
    let trimmed = script.trim();
    let whole = || vec![trimmed.to_owned()];
    let engine = rhai::Engine::new_raw();
    let Ok(ast) = engine.compile(trimmed) else {
        return whole();
    };
    let [rhai::Stmt::Expr(expr)] = ast.statements() else {
        return whole();
    };
    let parts = match expr.as_ref() {
        rhai::Expr::And(parts, _) | rhai::Expr::Or(parts, _) => parts,
        _ => return whole(),
    };
    // Byte offsets of each line, to turn rhai's (line, column) into a place in the text.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(trimmed.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    let offset = |position: rhai::Position| -> Option<usize> {
        let start = *line_starts.get(position.line()?.checked_sub(1)?)?;
        let column = position.position().unwrap_or(1).saturating_sub(1);
        Some(
            trimmed[start..]
                .char_indices()
                .nth(column)
                .map_or(trimmed.len(), |(at, _)| start + at),
        )
    };
    let starts: Option<Vec<usize>> = parts.iter().map(|part| offset(leftmost(part))).collect();
    let Some(mut starts) = starts else {
        return whole();
    };
    starts[0] = 0;
    starts.push(trimmed.len());
    starts
        .windows(2)
        .map(|pair| clean_part(&trimmed[pair[0]..pair[1]]))
        .filter(|part| !part.is_empty())
        .collect()
}

/// Where an expression's text begins. rhai places an operator call at its operator
/// (`a.len() > 0` at `>`), so the start is the leftmost position of its operands.
fn leftmost(expr: &rhai::Expr) -> rhai::Position {
    let children: Vec<&rhai::Expr> = match expr {
        rhai::Expr::FnCall(call, _) => call.args.iter().collect(),
        rhai::Expr::And(parts, _) | rhai::Expr::Or(parts, _) | rhai::Expr::Coalesce(parts, _) => {
            parts.iter().collect()
        }
        rhai::Expr::Dot(chain, ..) | rhai::Expr::Index(chain, ..) => vec![&chain.lhs],
        _ => Vec::new(),
    };
    let key = |position: rhai::Position| (position.line(), position.position());
    children
        .into_iter()
        .map(leftmost)
        .chain(std::iter::once(expr.start_position()))
        .filter(|position| position.line().is_some())
        .min_by_key(|position| key(*position))
        .unwrap_or(rhai::Position::NONE)
}

/// One part cut out between the starts of two parts: without the operator that follows
/// it, and without a bracket that belongs to a neighbour.
fn clean_part(part: &str) -> String {
    let mut part = part.trim();
    loop {
        let shorter = part
            .strip_suffix("&&")
            .or_else(|| part.strip_suffix("||"))
            .or_else(|| part.strip_suffix('('))
            .map(str::trim_end);
        match shorter {
            Some(shorter) => part = shorter,
            None => break,
        }
    }
    let count = |text: &str, c: char| text.matches(c).count();
    while part.ends_with(')') && count(part, ')') > count(part, '(') {
        part = part[..part.len() - 1].trim_end();
    }
    while part.starts_with('(') && count(part, '(') > count(part, ')') {
        part = part[1..].trim_start();
    }
    part.to_owned()
}

/// Dotted paths from the condition's names (`facts.top.met`, `deal.stage`), in order of
/// first appearance.
fn fact_paths(script: &str) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    let chars: Vec<char> = script.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let starts_word = chars[index].is_ascii_alphabetic()
            && (index == 0
                || !(chars[index - 1].is_alphanumeric()
                    || chars[index - 1] == '_'
                    || chars[index - 1] == '.'));
        if starts_word {
            let begin = index;
            while index < chars.len()
                && (chars[index].is_alphanumeric() || chars[index] == '_' || chars[index] == '.')
            {
                index += 1;
            }
            let word: String = chars[begin..index]
                .iter()
                .collect::<String>()
                .trim_end_matches('.')
                .to_owned();
            let is_call = chars.get(index) == Some(&'(');
            let root = word.split('.').next().unwrap_or_default();
            if (SCOPE_NAMES.contains(&root) || root == "item") && !is_call && !paths.contains(&word)
            {
                paths.push(word);
            } else if is_call && word.contains('.') {
                // `facts.people.filter(...)`: the receiver is what is read.
                let receiver = word
                    .rsplit_once('.')
                    .map(|(receiver, _)| receiver.to_owned())
                    .unwrap_or_default();
                if SCOPE_NAMES.contains(&root) && !paths.contains(&receiver) {
                    paths.push(receiver);
                }
            }
        } else {
            index += 1;
        }
    }
    paths
}

#[cfg(test)]
mod precedence_tests {
    //! explain must show a condition's parts as rhai evaluates them.
    use super::*;

    #[test]
    fn parts_follow_rhai_precedence() {
        assert_eq!(conjuncts("a && b || c"), ["a && b", "c"]);
        assert_eq!(conjuncts("a || b && c"), ["a", "b && c"]);
        assert_eq!(
            conjuncts("x > 1 && (y || z) && w"),
            ["x > 1", "y || z", "w"]
        );
        assert_eq!(conjuncts("(a || b) && c"), ["(a || b)", "c"]);
        assert_eq!(conjuncts("a || (b && c)"), ["a", "b && c"]);
        assert_eq!(conjuncts("let x = 1; x > 0"), ["let x = 1; x > 0"]);
        // rhai places `a.len() > 0` at its `>`: the part starts at `a`.
        assert_eq!(
            conjuncts("facts.phase == \"won\" && facts.list.len() > 0"),
            ["facts.phase == \"won\"", "facts.list.len() > 0"]
        );
        assert_eq!(conjuncts("x && 1 + y.z > 2"), ["x", "1 + y.z > 2"]);
    }
}
