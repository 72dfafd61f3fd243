//! `dealcoach explain DEAL [--rule ID]`: why each rule did or did not fire.
//!
//! For every rule: fired or not, each top-level part of its condition (split by rhai's
//! own precedence) with its value
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
                let part = part.as_str();
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
    let starts: Option<Vec<usize>> = parts
        .iter()
        .map(|part| offset(part.start_position()))
        .collect();
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

#[cfg(test)]
mod tests {
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
    }
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
