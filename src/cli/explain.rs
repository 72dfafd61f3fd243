//! `dealcoach explain DEAL [--rule ID]`: why each rule did or did not fire.
//!
//! For every rule: fired or not, each top-level `&&` part of its condition with its value
//! (so the false part stands out), and the value of every fact path the condition reads.
//! A trainer sees why without reading Rust.

use clap::Args;
use rhai::Dynamic;

use super::{print, Exit, Failure, PlaybookArgs};
use crate::engine::SCOPE_NAMES;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The deal snapshot (YAML or JSON); `-` reads standard input.
    #[arg(value_name = "DEAL")]
    pub deal: String,
    /// Explain only the rules whose id contains ID.
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,
    #[command(flatten)]
    pub playbooks: PlaybookArgs,
}

pub fn run(args: &ExplainArgs) -> Result<Exit, Failure> {
    let playbook = args.playbooks.load()?;
    let (shown_path, snapshot) = super::load_deal(&args.deal, &playbook)?;
    let shown_path = shown_path.as_str();
    let context = crate::coach::deal_context(&playbook, &snapshot)
        .map_err(|message| crate::diag::Diagnostic::error(shown_path, 0, 0, message))?;
    let (mut scope, derived_errors) = (context.scope, context.errors);
    let scripts = &playbook.scripts;
    let engine = scripts.engine();

    let mut out = String::new();
    // What was read in the notes, and what decided it: a trainer checks a detection
    // here before looking for the rule it triggers.
    let detected: Vec<&crate::facts::Sighting> = context
        .objections
        .iter()
        .chain(&context.signals)
        .filter(|sighting| sighting.detected_by.is_some())
        .collect();
    if !detected.is_empty() {
        out.push_str("read in the notes:\n");
        for sighting in detected {
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
                sighting.detected_by.as_deref().unwrap_or_default()
            ));
        }
        out.push('\n');
    }
    for error in &derived_errors {
        out.push_str(&format!("{}: ERROR: {}\n\n", error.id, error.message));
    }
    let mut matched = 0;
    let mut failed = false;
    for compiled in &playbook.rules {
        let rule = &compiled.rule;
        if args
            .rule
            .as_deref()
            .is_some_and(|pattern| !rule.id.contains(pattern))
        {
            continue;
        }
        matched += 1;
        let (firings, errors) = scripts.evaluate(std::slice::from_ref(compiled), &mut scope);
        let verdict = match (&errors.first(), firings.len()) {
            (Some(error), _) => {
                failed = true;
                format!("ERROR: {}", error.message)
            }
            (None, 0) => "not fired".to_owned(),
            (None, 1) => "FIRED".to_owned(),
            (None, count) => format!("FIRED {count} times"),
        };
        out.push_str(&format!(
            "{}  [{}]  {verdict}  ({}:{})\n",
            rule.id, rule.concept, rule.place.file, rule.place.line
        ));
        let mut items = vec![None];
        if let Some(Ok(for_each)) = &compiled.for_each {
            out.push_str(&format!(
                "  for_each: {}\n",
                one_line(rule.for_each.as_deref().unwrap_or_default())
            ));
            match scripts.run(&mut scope, for_each).map(Dynamic::into_array) {
                Ok(Ok(list)) => {
                    out.push_str(&format!("    → {} item(s)\n", list.len()));
                    items = list.into_iter().map(Some).collect();
                }
                _ => items.clear(),
            }
        }
        out.push_str(&format!("  when: {}\n", one_line(&rule.when)));
        for item in items {
            let depth = scope.len();
            if let Some(item) = &item {
                out.push_str(&format!("    with item = {}\n", show(item)));
                scope.push_constant_dynamic("item", item.clone());
            }
            let paths = fact_paths(&rule.when);
            for path in paths
                .iter()
                .filter(|path| path.starts_with("item.") == item.is_some() && path.contains('.'))
            {
                let value = engine
                    .compile_with_scope(&scope, path)
                    .map_err(|e| e.to_string())
                    .and_then(|ast| scripts.run(&mut scope, &ast));
                let shown = value
                    .map(|value| show(&value))
                    .unwrap_or_else(|message| format!("({message})"));
                out.push_str(&format!("    reads {path} = {shown}\n"));
            }
            for part in conjuncts(&rule.when) {
                let value = engine
                    .compile_with_scope(&scope, part)
                    .map_err(|e| e.to_string())
                    .and_then(|ast| scripts.run(&mut scope, &ast));
                let mark = match &value {
                    Ok(v) if v.as_bool() == Ok(true) => "true ",
                    Ok(v) if v.as_bool() == Ok(false) => "FALSE",
                    Ok(_) => "value",
                    Err(_) => "error",
                };
                let detail = match value {
                    Ok(v) if v.as_bool().is_err() => format!(" = {}", show(&v)),
                    Err(message) => format!(" ({message})"),
                    _ => String::new(),
                };
                out.push_str(&format!("    {mark}  {}{detail}\n", one_line(part)));
            }
            scope.rewind(depth);
        }
        out.push('\n');
    }
    if matched == 0 {
        return Err(crate::diag::Diagnostic::error(
            playbook.origin.label(),
            0,
            0,
            format!(
                "no rule id contains `{}`",
                args.rule.clone().unwrap_or_default()
            ),
        )
        .into());
    }
    print(&out)?;
    Ok(if failed {
        Exit::Findings
    } else {
        Exit::Success
    })
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

/// The top-level `&&` parts of a single-expression condition; a multi-statement script
/// is one part.
fn conjuncts(script: &str) -> Vec<&str> {
    let trimmed = script.trim();
    let mut parts = Vec::new();
    let (mut depth, mut start, mut in_string) = (0i32, 0usize, false);
    let bytes = trimmed.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' | b'`' => in_string = !in_string,
            b'(' | b'[' | b'{' if !in_string => depth += 1,
            b')' | b']' | b'}' if !in_string => depth -= 1,
            b';' if !in_string && depth == 0 => return vec![trimmed],
            b'&' if !in_string && depth == 0 && bytes.get(index + 1) == Some(&b'&') => {
                parts.push(trimmed[start..index].trim());
                start = index + 2;
                index += 1;
            }
            _ => {}
        }
        index += 1;
    }
    parts.push(trimmed[start..].trim());
    parts.into_iter().filter(|part| !part.is_empty()).collect()
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
