//! Reading one playbook file into [`RawPlaybookFile`], part by part.
//!
//! serde stops at the first problem of a document, so one misspelt key in one rule used
//! to throw away the whole file: its other rules vanished, every test naming them failed,
//! and the file's other mistakes showed only once the first was fixed. Here the parser's
//! events place every top-level section and every rule first ([`Places`]); each is then
//! deserialized on its own, from its own text at its own lines, so a problem costs only
//! the rule (or section) that holds it, and every problem of the file is reported, each
//! where it is written.

use serde::de::DeserializeOwned;

use crate::diag::Diagnostic;
use crate::playbook::{RawPlaybookFile, RawRule};
use crate::snapshot::places::{node_text, NodeKind, Places};

/// The top-level keys of a playbook file.
pub const FILE_KEYS: &[&str] = &[
    "rules",
    "settings",
    "setting_types",
    "detection",
    "aliases",
    "sandbox",
    "derived",
    "labels",
    "gates",
    "default_by",
];

/// A file read as far as it could be.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub raw: RawPlaybookFile,
    pub problems: Vec<Diagnostic>,
    /// Ids of the rules that were written but could not be read.
    pub failed_rules: Vec<String>,
}

/// Reads `text` (the file `path`), recovering per section and per rule.
pub fn parse_file(text: &str, path: &str) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    // Guards first (size, nesting, aliases), then a syntax error before anything serde
    // would say about the part it read before it.
    if let Err(problem) = crate::snapshot::guard(text, path) {
        parsed.problems.push(problem);
        return parsed;
    }
    let places = Places::of(text);
    let whole =
        |parsed: &mut ParsedFile| match crate::snapshot::from_yaml::<RawPlaybookFile>(text, path) {
            Ok(raw) => parsed.raw = raw,
            Err(problem) => parsed.problems.push(problem),
        };
    // A part that refers to an anchor elsewhere cannot be read on its own; such a file
    // (rare in playbooks) is read whole, as before.
    if places.has_aliases || places.get(&[]).map(|root| root.kind) != Some(NodeKind::Mapping) {
        whole(&mut parsed);
        return parsed;
    }
    for duplicate in &places.duplicates {
        let (line, column) = duplicate.again.line_column();
        let (first, _) = duplicate.first.line_column();
        parsed.problems.push(
            Diagnostic::error(
                path,
                line,
                column,
                format!(
                    "`{}` is written twice in the same mapping (first at line {first}): keep one",
                    duplicate.key
                ),
            )
            .with_source(text),
        );
    }
    let duplicated = !places.duplicates.is_empty();
    let mut section_problem = |problem: Diagnostic, parsed: &mut ParsedFile| {
        // The duplicate is reported at its place above; serde's own "duplicate" is the
        // same problem again.
        if !(duplicated && problem.message.contains("duplicate")) {
            parsed.problems.push(problem);
        }
    };
    for key in places.children(&[]) {
        let Some(place) = places.get(&[key]) else {
            continue;
        };
        if key == "rules" {
            read_rules(text, path, &places, &mut parsed, &mut section_problem);
            continue;
        }
        if !FILE_KEYS.contains(&key.as_str()) {
            let (line, column) = place.key.unwrap_or(place.start).line_column();
            let hint = crate::diag::did_you_mean(key, FILE_KEYS.iter().copied())
                .map(|nearest| format!(" — did you mean `{nearest}`?"))
                .unwrap_or_else(|| format!(" (expected one of: {})", FILE_KEYS.join(", ")));
            parsed.problems.push(
                Diagnostic::error(path, line, column, format!("unknown field `{key}`{hint}"))
                    .with_source(text),
            );
            continue;
        }
        if let Err(problem) =
            read_section(&mut parsed.raw, key, &node_text(text, place), text, path)
        {
            section_problem(problem, &mut parsed);
        }
    }
    parsed
}

/// One top-level section other than `rules` into its field of `raw`.
fn read_section(
    raw: &mut RawPlaybookFile,
    key: &str,
    alone: &str,
    text: &str,
    path: &str,
) -> Result<(), Diagnostic> {
    match key {
        "settings" => raw.settings = section(alone, text, path)?,
        "setting_types" => raw.setting_types = section(alone, text, path)?,
        "detection" => raw.detection = section(alone, text, path)?,
        "aliases" => raw.aliases = section(alone, text, path)?,
        "sandbox" => raw.sandbox = section(alone, text, path)?,
        "derived" => raw.derived = section(alone, text, path)?,
        "labels" => raw.labels = section(alone, text, path)?,
        "gates" => raw.gates = section(alone, text, path)?,
        "default_by" => raw.default_by = section(alone, text, path)?,
        _ => {}
    }
    Ok(())
}

/// Every rule of the file on its own: a rule that does not read is reported (with its id
/// when it has one) and the others load.
fn read_rules(
    text: &str,
    path: &str,
    places: &Places,
    parsed: &mut ParsedFile,
    problem: &mut impl FnMut(Diagnostic, &mut ParsedFile),
) {
    let Some(list) = places.get(&["rules"]) else {
        return;
    };
    if list.kind != NodeKind::Sequence {
        if let Err(found) = section::<Vec<RawRule>>(&node_text(text, list), text, path) {
            problem(found, parsed);
        }
        return;
    }
    for index in places.children(&["rules"]) {
        let Some(place) = places.get(&["rules", index]) else {
            continue;
        };
        match section::<RawRule>(&node_text(text, place), text, path) {
            Ok(rule) => parsed.raw.rules.push(rule),
            Err(mut found) => {
                let id = places
                    .get(&["rules", index, "id"])
                    .filter(|id| id.kind == NodeKind::Scalar)
                    .and_then(|id| text.get(id.start.index..id.end.index))
                    .map(|id| id.trim().trim_matches(|c| c == '"' || c == '\'').to_owned());
                if let Some(id) = &id {
                    found.message = format!("rule `{id}` is not loaded: {}", found.message);
                    parsed.failed_rules.push(id.clone());
                } else {
                    found.message = format!("rule {} is not loaded: {}", index, found.message);
                }
                problem(found, parsed);
            }
        }
    }
}

/// One part of the file, read from its own text (which keeps the file's positions).
fn section<T: DeserializeOwned>(alone: &str, text: &str, path: &str) -> Result<T, Diagnostic> {
    serde_yaml::from_str::<T>(alone)
        .map_err(|error| crate::snapshot::yaml_diagnostic(&error, text, path))
}

#[cfg(test)]
mod tests {
    //! One bad rule must cost that rule only, and every problem must show in one run.
    use super::*;

    const RULE: &str = "concept: info.x\n    when: \"true\"\n    severity: low\n    title: {zh: 标题, en: title}\n    why: {zh: [因为], en: [because]}\n";

    #[test]
    fn a_misspelt_key_costs_only_its_rule() {
        let text = format!(
            "rules:\n  - id: a\n    {RULE}  - id: b\n    priorty: 3\n    {RULE}  - id: c\n    {RULE}"
        );
        let parsed = parse_file(&text, "p.yaml");
        let ids: Vec<&str> = parsed.raw.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(parsed.failed_rules, ["b"]);
        assert_eq!(parsed.problems.len(), 1, "{:?}", parsed.problems);
        let problem = &parsed.problems[0];
        assert_eq!((problem.line, problem.column), (9, 5), "{problem}");
        assert!(
            problem.message.contains("did you mean `priority`"),
            "{problem}"
        );
    }

    #[test]
    fn every_section_reports_its_own_problem() {
        let text = "settings:\n  a: 1\n  a: 2\nderived: [x]\nsettingz: {}\n";
        let parsed = parse_file(text, "p.yaml");
        let places: Vec<(usize, usize)> =
            parsed.problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(places, [(3, 3), (4, 10), (5, 1)], "{:?}", parsed.problems);
    }

    #[test]
    fn a_syntax_error_comes_before_schema_errors() {
        let text = "rules:\n  - id: a\n    whn: true\n    when: [1, 2\n";
        let parsed = parse_file(text, "p.yaml");
        assert_eq!(parsed.problems.len(), 1);
        assert!(
            parsed.problems[0].message.contains("not valid YAML"),
            "{}",
            parsed.problems[0]
        );
    }
}
