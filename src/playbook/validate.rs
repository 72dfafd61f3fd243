//! The second loading stage for rules: each raw rule checked and located, so one bad rule
//! is reported by name and skipped while the file's others load.

use super::*;

pub(super) fn validate_rule(
    raw: RawRule,
    file: &str,
    line: usize,
    text: &str,
    lines: &[&str],
) -> Result<Rule, Diagnostic> {
    let problem = |message: String| Diagnostic::error(file, line, 0, message).with_source(text);
    if let Some(problem) = malformed_text(&raw, file, line, lines, text) {
        return Err(problem);
    }
    let kind = match (raw.priority, raw.severity) {
        (Some(_), Some(_)) => {
            return Err(problem(format!(
                "rule `{}` has both `priority` and `severity`: a move has a priority, a warning a severity",
                raw.id
            )))
        }
        (None, None) => {
            return Err(problem(format!(
                "rule `{}` needs `priority` (a move, 0..100) or `severity` (a warning: low, medium, high)",
                raw.id
            )))
        }
        (Some(RawPriority::Fixed(priority)), None) if !(0..=100).contains(&priority) => {
            return Err(problem(format!("rule `{}` has priority {priority}: a priority is 0 to 100", raw.id)))
        }
        (Some(priority), None) => RuleKind::Move { priority },
        (None, Some(severity)) => RuleKind::Warning { severity },
    };
    if raw.verdict && !matches!(kind, RuleKind::Warning { .. }) {
        return Err(problem(format!(
            "rule `{}`: `verdict` marks a warning that changes the strategy; a move cannot be one",
            raw.id
        )));
    }
    if raw.merge.is_some() && !matches!(kind, RuleKind::Move { .. }) {
        return Err(problem(format!(
            "rule `{}`: `merge` folds moves into one; a warning carries its own action",
            raw.id
        )));
    }
    if raw.never_a_step && raw.merge.is_none() {
        return Err(problem(format!(
            "rule `{}`: `never_a_step` says how a move joins its `merge` group, and it has none — give it `merge:` or delete the line",
            raw.id
        )));
    }
    if raw.id.trim().is_empty() || raw.concept.trim().is_empty() {
        return Err(problem(
            "a rule's `id` and `concept` may not be empty".to_owned(),
        ));
    }
    for (lang, title) in raw.title.languages() {
        if title.trim().is_empty() {
            return Err(problem(format!(
                "rule `{}` has an empty {lang} title",
                raw.id
            )));
        }
    }
    let lines_in = |texts: &TextList, lang: Lang| texts.exactly(lang).map_or(0, Vec::len);
    if (lines_in(&raw.why, Lang::Zh) == 0) != (lines_in(&raw.why, Lang::En) == 0) {
        return Err(problem(format!(
            "rule `{}` gives `why` in one language only: write both zh and en",
            raw.id
        )));
    }
    if (lines_in(&raw.questions, Lang::Zh) == 0) != (lines_in(&raw.questions, Lang::En) == 0) {
        return Err(problem(format!(
            "rule `{}` gives `questions` in one language only: write both zh and en",
            raw.id
        )));
    }
    if raw.count.is_some() {
        return Err(problem(format!(
            "rule `{}`: `count` is no longer read — the engine counts `for_each` itself; delete the line",
            raw.id
        )));
    }
    let script_lines = ["when", "for_each", "priority"]
        .into_iter()
        .filter_map(|key| key_line_in(lines, key, line).map(|found| (key, found)))
        .collect();
    Ok(Rule {
        id: raw.id,
        concept: raw.concept,
        when: raw.when,
        for_each: raw.for_each,
        kind,
        title: raw.title,
        why: raw.why,
        questions: raw.questions,
        place: RulePlace {
            file: file.to_owned(),
            line,
        },
        script_lines,
        by: raw.by,
        merge: raw.merge,
        never_a_step: raw.never_a_step,
        suppresses: raw.suppresses,
        verdict: raw.verdict,
    })
}

/// The first malformed `{{…}}` of a rule's texts, placed at it in the file (`next` and
/// `check` refuse it alike, rather than `next` printing it raw).
pub(super) fn malformed_text(
    raw: &RawRule,
    file: &str,
    line: usize,
    lines: &[&str],
    text: &str,
) -> Option<Diagnostic> {
    let texts = raw
        .title
        .languages()
        .map(|(lang, title)| ("title", lang, std::slice::from_ref(title)))
        .chain(
            raw.why
                .languages()
                .map(|(lang, lines)| ("why", lang, lines.as_slice())),
        )
        .chain(
            raw.questions
                .languages()
                .map(|(lang, lines)| ("questions", lang, lines.as_slice())),
        );
    for (key, lang, templates) in texts {
        for template in templates {
            let Some((offset, what)) = crate::coach::template::malformed(template) else {
                continue;
            };
            // The placeholder as written, to find it in the file and show it.
            let fragment: String = template[offset..].chars().take(24).collect();
            let fragment = fragment.split_whitespace().next().unwrap_or_default();
            let (found_line, column) = lines
                .iter()
                .enumerate()
                .skip(line.saturating_sub(1))
                .find_map(|(index, source)| {
                    source
                        .find(fragment)
                        .map(|at| (index + 1, source[..at].chars().count() + 1))
                })
                .unwrap_or((line, 0));
            return Some(
                Diagnostic::error(
                    file,
                    found_line,
                    column,
                    format!(
                        "rule `{}`: malformed placeholder in the {lang} `{key}`: {what} (`{fragment}`)",
                        raw.id
                    ),
                )
                .with_source(text),
            );
        }
    }
    None
}

/// Rule id → 1-based line of its `id:` key. serde does not keep positions, and ids are
/// unique by contract, so a line scan finds them.
pub(super) fn rule_lines(text: &str) -> IndexMap<&str, usize> {
    let mut lines = IndexMap::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
        if let Some(rest) = trimmed.strip_prefix("id:") {
            let id = rest
                .split('#')
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches(|c| c == '"' || c == '\'');
            lines.entry(id).or_insert(index + 1);
        }
    }
    lines
}

/// The first line at or after `from` (1-based) whose key is `key`, within one rule.
pub(super) fn key_line_in(lines: &[&str], key: &str, from: usize) -> Option<usize> {
    let start = from.saturating_sub(1);
    let needle_len = key.len() + 1;
    lines
        .iter()
        .enumerate()
        .skip(start)
        .take_while(|(index, line)| *index == start || !line.trim_start().starts_with("- id:"))
        .find_map(|(index, line)| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            (trimmed.len() >= needle_len
                && trimmed.starts_with(key)
                && trimmed[key.len()..].starts_with(':'))
            .then_some(index + 1)
        })
}

/// Line and column of the first `key:` in the text, or (0, 0).
///
/// One search over the whole text, then the line and column counted up to the match:
/// searching line by line built a substring searcher per line, ~7 % of `next`'s start-up.
pub fn find_key(text: &str, key: &str) -> (usize, usize) {
    let needle = format!("{key}:");
    if needle.contains('\n') {
        return (0, 0); // a key never spans lines
    }
    let Some(at) = text.find(&needle) else {
        return (0, 0);
    };
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.bytes().filter(|&byte| byte == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::find_key;

    /// The line-by-line search `find_key` replaced, kept as the reference it must agree with.
    fn line_by_line(text: &str, key: &str) -> (usize, usize) {
        let needle = format!("{key}:");
        text.lines()
            .enumerate()
            .find_map(|(index, line)| {
                line.find(&needle)
                    .map(|column| (index + 1, line[..column].chars().count() + 1))
            })
            .unwrap_or((0, 0))
    }

    #[test]
    fn find_key_places_a_key_where_the_line_by_line_search_did() {
        let files = crate::playbook::PlaybookFiles::builtin();
        let keys = [
            "stale",
            "top_unmet",
            "value_ctx",
            "name: won",
            "rules",
            "id",
            "zh",
            "en",
            "priority",
            "no such key",
            "最高决策者",
            "a\nb",
            "",
        ];
        let texts = files.playbook_yaml().map(|file| file.text.as_str()).chain([
            "",
            "x",
            "stale:",
            "\r\nstale: 1\r\n",
            "张三 stale: 1",
            "a\n\n  stale:",
        ]);
        let mut found = 0;
        for text in texts {
            for key in keys {
                let place = find_key(text, key);
                assert_eq!(place, line_by_line(text, key), "{key:?} in {text:.40?}");
                found += usize::from(place != (0, 0));
            }
        }
        assert!(
            found > 20,
            "the keys are found in the built-in files ({found})"
        );
    }
}
