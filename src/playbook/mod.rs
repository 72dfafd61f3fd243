//! Playbooks: the coaching method as data, loaded and validated in two stages.
//!
//! A playbook folder (`playbooks/*.yaml` + `rules/*.rhai`, or the built-in copy of the
//! repository's own) is first read into serde types that mirror the files
//! ([`RawPlaybookFile`]), then validated into a [`Playbook`] the engine can run, collecting
//! every problem on the way rather than stopping at the first. A rule whose `when` does not
//! compile does not invalidate the folder: the engine reports it by name and runs the rest.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::coach::judgement::Judgement;
use crate::detect::{DetectionConfig, Detector};
use crate::diag::{Diagnostic, Diagnostics, Skipped};
use crate::engine::{CompiledRule, ScriptEngine};
use crate::playbook::settings::EngineSettings;
use crate::snapshot::vocabulary::{vocabulary_words, Aliases, Severity, VOCABULARY_NAMES};

mod digest;
mod files;
pub mod labels;
pub mod parse;
mod raw;
mod script_place;
mod setting_types;
pub mod settings;
mod validate;

/// The built-in playbooks' detector, prepared by build.rs (see `detect::prepared`).
pub(crate) use files::builtin::BUILTIN_DETECTOR;
pub use files::{Origin, PlaybookFiles, SourceFile};
pub use raw::*;
pub use script_place::ScriptPlace;
pub use validate::find_key;

use files::builtin;
use setting_types::*;
use validate::*;

// ---------------------------------------------------------------------------------------
// Stage one: serde types that mirror the files.

// ---------------------------------------------------------------------------------------
// Stage two: the validated playbook.

pub use crate::playbook::labels::Lang;

/// Where a rule is written, for the output's `rule` field and for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulePlace {
    pub file: String,
    pub line: usize,
}

/// Move or warning, with its rank.
#[derive(Debug, Clone)]
pub enum RuleKind {
    Move { priority: RawPriority },
    Warning { severity: Severity },
}

/// A validated rule, before its scripts are compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub concept: String,
    pub when: String,
    pub for_each: Option<String>,
    pub kind: RuleKind,
    pub title: Text,
    pub why: TextList,
    pub questions: TextList,
    pub place: RulePlace,
    /// The lines of the `when:`, `for_each:`, `count:` and `priority:` keys, for script
    /// errors.
    pub script_lines: IndexMap<&'static str, usize>,
    pub by: Vec<String>,
    pub merge: Option<String>,
    /// See `raw::RawRule::never_a_step`.
    pub never_a_step: bool,
    pub suppresses: Vec<String>,
    pub verdict: bool,
}

impl Rule {
    /// Every text of the rule that holds `{{…}}` placeholders filled from the deal, with
    /// its key: the titles, the reasons and questions in every language, `by` and `merge`.
    pub fn templates(&self) -> Vec<(&'static str, &str)> {
        let mut templates: Vec<(&'static str, &str)> = Vec::new();
        templates.extend(
            self.title
                .languages()
                .map(|(_, text)| ("title", text.as_str())),
        );
        templates.extend(
            self.why
                .languages()
                .flat_map(|(_, lines)| lines)
                .map(|line| ("why", line.as_str())),
        );
        templates.extend(
            self.questions
                .languages()
                .flat_map(|(_, lines)| lines)
                .map(|line| ("questions", line.as_str())),
        );
        templates.extend(self.by.iter().map(|by| ("by", by.as_str())));
        templates.extend(self.merge.iter().map(|merge| ("merge", merge.as_str())));
        templates
    }
}

/// Everything the engine needs to coach a deal.
pub struct Playbook {
    pub origin: Origin,
    /// Computed on first use, and only for a folder whose files are not the built-in ones:
    /// the built-in digest is computed when dealcoach is built (`PlaybookFiles::digest`).
    digest: std::sync::OnceLock<String>,
    pub files: PlaybookFiles,
    pub rules: Vec<CompiledRule>,
    pub settings: IndexMap<String, serde_yaml::Value>,
    pub engine_settings: EngineSettings,
    pub detector: Detector,
    pub aliases: Arc<Aliases>,
    pub scripts: ScriptEngine,
    /// Every word of the output that is not advice.
    pub labels: crate::playbook::labels::Labels,
    /// Which advice a coach would give of what fires (gates; rules carry the rest).
    pub judgement: Judgement,
    /// Rules written in the files that could not be read (each reported where it is
    /// written): tests naming them are summarised, not failed one by one.
    pub failed_rules: Vec<String>,
}

/// Concept prefixes of the method (domain.md); a rule under another prefix is allowed but
/// `check` warns, since it is often a typo.
pub const KNOWN_CONCEPT_PREFIXES: &[&str] = &[
    "value",
    "info",
    "relation",
    "decision",
    "objection",
    "coverage",
    "leverage",
    "spin",
    "temperature",
    "signal",
    "closing",
    "mindset",
    "tools",
    "risk",
    "stage",
    "maintain",
    "kpi",
    // dealcoach's own additions to the method: the debrief of a lost deal, and preparing
    // the dated commitments ahead.
    "review",
    "commitment",
];

impl Playbook {
    /// Loads and validates a playbook folder. Errors here make the folder unusable
    /// (exit 2 for `next`); per-rule script errors are kept in the compiled rules instead.
    pub fn load(files: PlaybookFiles) -> Result<Playbook, Diagnostics> {
        let (playbook, problems) = Playbook::load_checked(files, false);
        if problems.has_errors() {
            Err(problems)
        } else {
            Ok(playbook)
        }
    }

    /// Loads as much as can be loaded and returns it with every problem found, so that
    /// `check` reports all of them in one run. The playbook holds the rules that
    /// validated and the script functions that compiled.
    pub fn load_lenient(files: PlaybookFiles) -> (Playbook, Diagnostics) {
        Playbook::load_checked(files, true)
    }

    /// `check_phrases`: validate the detection phrase data too. Only `check` asks: it
    /// costs as much as compiling the phrases, a bad phrase is skipped by the detector
    /// rather than breaking a run, and `check` reports it with its place.
    fn load_checked(files: PlaybookFiles, check_phrases: bool) -> (Playbook, Diagnostics) {
        let mut problems = Diagnostics::default();
        let mut rules = Vec::new();
        let mut settings: IndexMap<String, serde_yaml::Value> = IndexMap::new();
        let mut setting_files: IndexMap<String, String> = IndexMap::new();
        let mut detection: Option<(DetectionConfig, String)> = None;
        let mut aliases = Aliases::new();
        let mut sandbox: Option<(crate::engine::SandboxLimits, String)> = None;
        let mut derived: IndexMap<String, DerivedValue> = IndexMap::new();
        // A trainer's folder stands on the built-in method: a setting or a label it leaves
        // out is the built-in one, never a value kept in Rust.
        let builtin = (files.origin != Origin::Builtin).then(builtin_defaults);
        let mut labels: IndexMap<String, crate::playbook::labels::Label> = builtin
            .map(|defaults| defaults.labels.clone())
            .unwrap_or_default();
        let mut label_files: IndexMap<(String, String), String> = IndexMap::new();
        let mut gates: Vec<(RawGate, String, usize)> = Vec::new();
        let mut default_by: Option<(Vec<String>, String)> = None;
        let mut failed_rules: Vec<String> = Vec::new();
        let mut setting_types: IndexMap<String, (settings::SettingType, String)> = IndexMap::new();
        // Positions are looked up only when there is a problem to place.
        let places = std::cell::RefCell::new(std::collections::HashMap::<
            String,
            crate::snapshot::places::Places,
        >::new());
        // The value at `at` (or its nearest ancestor); a path ending in `""` asks for the
        // key instead.
        let locate = |path: &str, at: &[&str]| -> (usize, usize) {
            let mut places = places.borrow_mut();
            let index = places.entry(path.to_owned()).or_insert_with(|| {
                crate::snapshot::places::Places::of(
                    files.file(path).map_or("", |f| f.text.as_str()),
                )
            });
            match at.split_last() {
                Some((&"", key)) => index.key_line_column(key),
                _ => index.nearest(at),
            }
            .unwrap_or((0, 0))
        };

        for (file, parsed) in parse_playbook_files(&files) {
            let Some(parsed) = parsed else {
                continue;
            };
            problems.0.extend(parsed.problems);
            failed_rules.extend(parsed.failed_rules);
            let raw = parsed.raw;
            for (key, declared) in raw.setting_types {
                match settings::SettingType::parse(&declared) {
                    Ok(kind) => {
                        if let Some((_, first)) = setting_types.get(&key) {
                            let (line, column) = locate(&file.path, &["setting_types", &key, ""]);
                            problems.push(
                                Diagnostic::error(
                                    &file.path,
                                    line,
                                    column,
                                    format!(
                                        "the type of setting `{key}` is also declared in {first}"
                                    ),
                                )
                                .with_source(&file.text),
                            );
                            continue;
                        }
                        setting_types.insert(key, (kind, file.path.clone()));
                    }
                    Err(message) => {
                        let (line, column) = locate(&file.path, &["setting_types", &key, ""]);
                        problems.push(
                            Diagnostic::error(
                                &file.path,
                                line,
                                column,
                                format!("the type of setting `{key}`: {message}"),
                            )
                            .with_source(&file.text),
                        );
                    }
                }
            }
            for (key, value) in raw.settings {
                if let Some(first) = setting_files.get(&key) {
                    let (line, column) = locate(&file.path, &["settings", &key, ""]);
                    problems.push(
                        Diagnostic::error(
                            &file.path,
                            line,
                            column,
                            format!("setting `{key}` is also defined in {first}"),
                        )
                        .with_source(&file.text),
                    );
                    continue;
                }
                setting_files.insert(key.clone(), file.path.clone());
                settings.insert(key, value);
            }
            // `detection` may be split over files (phrases in one, the classifier's
            // examples in another): the sections are merged, then checked as a whole.
            if let Some(config) = raw.detection {
                match &mut detection {
                    Some((merged, _)) => {
                        if let Err(message) = merged.merge(config) {
                            let (line, column) = locate(&file.path, &["detection", ""]);
                            problems.push(Diagnostic::error(&file.path, line, column, message));
                        }
                    }
                    None => detection = Some((config, file.path.clone())),
                }
            }
            for (vocabulary, table) in raw.aliases {
                let Some(words) = vocabulary_words(&vocabulary) else {
                    let (line, column) = locate(&file.path, &["aliases", &vocabulary, ""]);
                    let hint =
                        crate::diag::did_you_mean(&vocabulary, VOCABULARY_NAMES.iter().copied())
                            .map(|nearest| format!(" — did you mean `{nearest}`?"))
                            .unwrap_or_else(|| {
                                format!(" (aliases exist for: {})", VOCABULARY_NAMES.join(", "))
                            });
                    problems.push(
                        Diagnostic::error(
                            &file.path,
                            line,
                            column,
                            format!("no vocabulary is called `{vocabulary}`{hint}"),
                        )
                        .with_source(&file.text),
                    );
                    continue;
                };
                for (alias, canonical) in &table {
                    if !words.contains(&canonical.as_str()) {
                        let (line, column) =
                            locate(&file.path, &["aliases", &vocabulary, alias, ""]);
                        problems.push(
                            Diagnostic::error(
                                &file.path,
                                line,
                                column,
                                format!("alias `{alias}` names `{canonical}`, which is not a {vocabulary} (allowed: {})", words.join(", ")),
                            )
                            .with_source(&file.text),
                        );
                    }
                }
                aliases.entry(vocabulary).or_default().extend(table);
            }
            for (name, script) in raw.derived {
                let (line, column) = find_key(&file.text, &name);
                let reserved =
                    crate::engine::SCOPE_NAMES.contains(&name.as_str()) || name == "item";
                let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if reserved || !valid {
                    problems.push(Diagnostic::error(&file.path, line, column, format!("`derived.{name}`: a derived value needs a name of letters, digits and `_` that is not one of {} or `item`", crate::engine::SCOPE_NAMES.join(", "))).with_source(&file.text));
                } else if let Some(first) = derived.get(&name) {
                    problems.push(
                        Diagnostic::error(
                            &file.path,
                            line,
                            column,
                            format!("`derived.{name}` is also defined in {}", first.file),
                        )
                        .with_source(&file.text),
                    );
                } else {
                    derived.insert(
                        name,
                        DerivedValue {
                            script,
                            file: file.path.clone(),
                            line,
                        },
                    );
                }
            }
            for (key, label) in raw.labels {
                // Both problems are placed at the label's key, with its source line.
                let at_key = |message: String| {
                    let (line, column) = locate(&file.path, &["labels", &key, ""]);
                    Diagnostic::error(&file.path, line, column, message).with_source(&file.text)
                };
                for (code, form) in label {
                    let place = (key.clone(), code.clone());
                    if let Some(first) = label_files.get(&place) {
                        problems.push(at_key(format!(
                            "label `{key}` in `{code}` is also defined in {first}"
                        )));
                        continue;
                    }
                    if !crate::playbook::labels::Lang::is_code(&code) {
                        problems.push(at_key(format!(
                            "label `{key}`: `{code}` is not a language code (write `zh:`, `en:`, `fr:` …)"
                        )));
                        continue;
                    }
                    label_files.insert(place, file.path.clone());
                    labels.entry(key.clone()).or_default().insert(code, form);
                }
            }
            if let Some(raw_limits) = raw.sandbox {
                // One file sets the sandbox: with two, which one wins would depend on
                // file names.
                if let Some((_, first)) = &sandbox {
                    let (line, column) = locate(&file.path, &["sandbox", ""]);
                    problems.push(
                        Diagnostic::error(
                            &file.path,
                            line,
                            column,
                            format!(
                                "`sandbox` is also defined in {first}: set the limits in one file"
                            ),
                        )
                        .with_source(&file.text),
                    );
                } else {
                    match crate::engine::SandboxLimits::from_playbook(
                        &raw_limits,
                        &file.path,
                        &file.text,
                    ) {
                        Ok(limits) => sandbox = Some((limits, file.path.clone())),
                        Err(found) => {
                            problems.0.extend(found);
                            sandbox =
                                Some((crate::engine::SandboxLimits::default(), file.path.clone()));
                        }
                    }
                }
            }
            if let Some(templates) = raw.default_by {
                if let Some((_, first)) = &default_by {
                    let (line, column) = locate(&file.path, &["default_by", ""]);
                    problems.push(
                        Diagnostic::error(
                            &file.path,
                            line,
                            column,
                            format!("`default_by` is also defined in {first}"),
                        )
                        .with_source(&file.text),
                    );
                } else {
                    default_by = Some((templates, file.path.clone()));
                }
            }
            for gate in raw.gates {
                let (line, _) = find_key(&file.text, &format!("name: {}", gate.name));
                gates.push((gate, file.path.clone(), line));
            }
            if raw.rules.is_empty() {
                continue; // the label, phrase and settings files: no rule to place
            }
            let rule_lines = rule_lines(&file.text);
            let lines: Vec<&str> = file.text.lines().collect();
            for raw_rule in raw.rules {
                let line = rule_lines.get(raw_rule.id.as_str()).copied().unwrap_or(0);
                let id = raw_rule.id.clone();
                match validate_rule(raw_rule, &file.path, line, &file.text, &lines) {
                    Ok(rule) => rules.push(rule),
                    Err(problem) => {
                        problems.push(problem);
                        failed_rules.push(id);
                    }
                }
            }
        }

        if let Some((templates, _)) = &default_by {
            for rule in &mut rules {
                if rule.by.is_empty() && matches!(rule.kind, RuleKind::Move { .. }) {
                    rule.by = templates.clone();
                }
            }
        }
        let mut seen: IndexMap<String, RulePlace> = IndexMap::new();
        for rule in &rules {
            if let Some(first) = seen.get(&rule.id) {
                problems.push(
                    Diagnostic::error(
                        &rule.place.file,
                        rule.place.line,
                        0,
                        format!(
                            "duplicate rule id `{}`: first defined at {}:{}",
                            rule.id, first.file, first.line
                        ),
                    )
                    .with_source(
                        &files
                            .file(&rule.place.file)
                            .map(|f| f.text.clone())
                            .unwrap_or_default(),
                    ),
                );
            } else {
                seen.insert(rule.id.clone(), rule.place.clone());
            }
            let prefix = rule.concept.split('.').next().unwrap_or_default();
            if !KNOWN_CONCEPT_PREFIXES.contains(&prefix) {
                problems.push(Diagnostic::warning(
                    &rule.place.file,
                    rule.place.line,
                    0,
                    format!("rule `{}` uses concept `{}`, whose prefix `{prefix}` is not one of the method's", rule.id, rule.concept),
                ));
            }
        }
        if rules.is_empty() && problems.is_empty() {
            problems.push(Diagnostic::error(
                files.origin.label(),
                0,
                0,
                "the playbook folder has no rules: add at least one under `rules:` in a playbooks/*.yaml file",
            ));
        }
        if let Some(defaults) = builtin {
            settings = merge_settings(&defaults.settings, settings);
        }
        let (typing_problems, mistyped_keys) = check_setting_types(
            &settings,
            &setting_files,
            &setting_types,
            builtin.map(|defaults| &defaults.setting_types),
            &files,
            &locate,
        );
        let mistyped = !mistyped_keys.is_empty();
        problems.0.extend(typing_problems.0);
        let engine_settings = match EngineSettings::from_map(&settings) {
            Ok(engine_settings) => engine_settings,
            Err(messages) => {
                for message in messages {
                    // Each message starts `settings.KEY…`: place it at that setting in the
                    // file that sets it.
                    let key = message
                        .strip_prefix("settings.")
                        .or_else(|| message.strip_prefix("settings: "))
                        .and_then(|rest| rest.split(['.', ' ', ':', '`']).next())
                        .unwrap_or_default();
                    let Some(file) = setting_files.get(key).cloned() else {
                        // A wrong type is reported above, at its place.
                        if !mistyped {
                            problems.push(Diagnostic::error(files.origin.label(), 0, 0, message));
                        }
                        continue;
                    };
                    if mistyped_keys.contains(key)
                        || (mistyped && message.starts_with("settings: "))
                    {
                        continue;
                    }
                    let (line, column) = locate(&file, &["settings", key]);
                    let text = files.file(&file).map_or("", |f| f.text.as_str());
                    problems.push(
                        Diagnostic::error(file.clone(), line, column, message).with_source(text),
                    );
                }
                EngineSettings::from_map(&builtin_defaults().settings)
                    .unwrap_or_else(|_| panic!("the built-in settings are valid (tested)"))
            }
        };

        if check_phrases {
            if let Some((config, path)) = &detection {
                for message in config.problems() {
                    let (line, column) = locate(path, &["detection", ""]);
                    problems.push(Diagnostic::error(path, line, column, message));
                }
            }
        }
        // Compiling the phrase patterns and compiling the scripts are independent and take
        // about as long each: do them side by side, so start-up uses both cores.
        let ((scripts, script_problems, rules), detector) = std::thread::scope(|threads| {
            let phrases = threads.spawn(|| {
                detection
                    .map(|(config, _)| config.compile())
                    .unwrap_or_else(|| DetectionConfig::default().compile())
            });
            let (scripts, script_problems) = ScriptEngine::new(
                &files,
                sandbox.map(|(limits, _)| limits).unwrap_or_default(),
                &settings,
                &derived,
            );
            let rules: Vec<CompiledRule> = rules
                .into_iter()
                .map(|rule| scripts.compile_rule(rule))
                .collect();
            let detector = phrases
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            ((scripts, script_problems, rules), detector)
        });
        problems.0.extend(script_problems.0);
        let mut scripts = scripts;
        let judgement = Judgement::compile(gates, &scripts, &mut problems);
        scripts.settle_sections_read(
            rules
                .iter()
                .flat_map(|compiled| {
                    [
                        Some(&compiled.when),
                        compiled.for_each.as_ref(),
                        compiled.priority.as_ref(),
                    ]
                })
                .flatten()
                .filter_map(|script| script.as_ref().ok())
                .chain(
                    judgement
                        .gates
                        .iter()
                        .filter_map(|gate| gate.when.as_ref().ok())
                        .map(|condition| &condition.ast),
                ),
            rules
                .iter()
                .flat_map(|compiled| compiled.rule.templates())
                .map(|(_, template)| template),
        );
        // A snapshot's `snoozed` concepts are checked against these while it is read.
        aliases.insert(
            crate::snapshot::vocabulary::CONCEPTS_KEY.to_owned(),
            rules
                .iter()
                .map(|compiled| (compiled.rule.concept.clone(), compiled.rule.concept.clone()))
                .collect(),
        );
        let playbook = Playbook {
            origin: files.origin.clone(),
            digest: std::sync::OnceLock::new(),
            rules,
            settings,
            engine_settings,
            detector,
            aliases: Arc::new(aliases),
            scripts,
            files,
            labels: crate::playbook::labels::Labels::new(labels),
            judgement,
            failed_rules,
        };
        (playbook, problems)
    }
}

/// One playbook file read as far as it could be, with its problems.
type Parsed = parse::ParsedFile;

/// Parses every playbook file (`None` for an empty one), in file order. Parsing YAML is
/// the largest part of start-up, so the files are shared between two threads, largest
/// first, to use both cores.
fn parse_playbook_files(files: &PlaybookFiles) -> Vec<(&SourceFile, Option<Parsed>)> {
    let parse = |file: &SourceFile| {
        if file.text.trim().is_empty() {
            return None;
        }
        if let Some(raw) = prepared(files, file) {
            return Some(parse::ParsedFile {
                raw,
                ..parse::ParsedFile::default()
            });
        }
        Some(parse::parse_file(&file.text, &file.path))
    };
    let mut order: Vec<(usize, &SourceFile)> = files.playbook_yaml().enumerate().collect();
    order.sort_by_key(|(_, file)| std::cmp::Reverse(file.text.len()));
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    let (mut my_bytes, mut their_bytes) = (0, 0);
    for (index, file) in order {
        if my_bytes <= their_bytes {
            my_bytes += file.text.len();
            mine.push((index, file));
        } else {
            their_bytes += file.text.len();
            theirs.push((index, file));
        }
    }
    let mut parsed: Vec<(usize, &SourceFile, Option<Parsed>)> = std::thread::scope(|threads| {
        let other = threads.spawn(|| {
            theirs
                .into_iter()
                .map(|(index, file)| (index, file, parse(file)))
                .collect::<Vec<_>>()
        });
        let mut parsed: Vec<_> = mine
            .into_iter()
            .map(|(index, file)| (index, file, parse(file)))
            .collect();
        parsed.extend(
            other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        parsed
    });
    parsed.sort_by_key(|(index, _, _)| *index);
    parsed
        .into_iter()
        .map(|(_, file, result)| (file, result))
        .collect()
}

/// A built-in file as parsed at build time (JSON, see build.rs), when the file is the one
/// that was built in.
fn prepared(files: &PlaybookFiles, file: &SourceFile) -> Option<RawPlaybookFile> {
    if files.origin != Origin::Builtin {
        return None;
    }
    let (_, json) = builtin::BUILTIN_JSON
        .iter()
        .find(|(path, _)| *path == file.path)?;
    let (_, yaml) = builtin::BUILTIN_FILES
        .iter()
        .find(|(path, _)| *path == file.path)?;
    if *yaml != file.text {
        return None;
    }
    serde_json::from_str(json).ok()
}

impl Playbook {
    /// The digest of the playbook files (see [`PlaybookFiles::digest`]).
    pub fn digest(&self) -> &str {
        self.digest.get_or_init(|| self.files.digest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in files as prepared at build time (JSON) read exactly as their YAML.
    #[test]
    fn the_prepared_built_in_files_read_as_their_yaml() {
        let files = PlaybookFiles::builtin();
        let mut compared = 0;
        for file in files.playbook_yaml() {
            let prepared = prepared(&files, file).expect("every built-in file is prepared");
            let from_yaml = crate::snapshot::from_yaml::<RawPlaybookFile>(&file.text, &file.path)
                .expect("the built-in YAML parses");
            assert_eq!(
                format!("{prepared:?}"),
                format!("{from_yaml:?}"),
                "{}",
                file.path
            );
            compared += 1;
        }
        assert!(compared >= 8, "only {compared} playbook files");
    }

    /// A built-in file changed in memory is read from its text, not from the prepared copy.
    #[test]
    fn a_changed_built_in_file_is_read_from_its_text() {
        let mut files = PlaybookFiles::builtin();
        let file = files
            .files
            .iter_mut()
            .find(|file| file.path.ends_with("hygiene.yaml"))
            .expect("hygiene.yaml is built in");
        file.text = file.text.replacen("rules:", "rules: []\nunused:", 1);
        let file = files
            .playbook_yaml()
            .find(|file| file.path.ends_with("hygiene.yaml"))
            .expect("still there");
        assert!(prepared(&files, file).is_none());
    }

    /// Problems found after deserializing are placed from the parser's positions, at the
    /// key itself: the same word written earlier as another key does not mislead them.
    #[test]
    fn a_problem_is_placed_at_its_own_key_not_the_first_like_it() {
        let text =
            "settings:\n  champ: 1\naliases:\n  stance:\n    champ: nonsense\n  mood:\n    x: y\n";
        let files = PlaybookFiles {
            origin: Origin::Folder(std::path::PathBuf::from("folder")),
            files: vec![SourceFile {
                path: "playbooks/main.yaml".to_owned(),
                text: text.to_owned(),
            }],
            skipped: Vec::new(),
        };
        let (_, problems) = Playbook::load_lenient(files);
        let placed = |needle: &str| {
            problems
                .0
                .iter()
                .find(|problem| problem.message.contains(needle))
                .map(|problem| (problem.line, problem.column))
                .unwrap_or_else(|| panic!("no problem about {needle}: {problems:?}"))
        };
        assert_eq!(placed("alias `champ`"), (5, 5));
        assert_eq!(placed("no vocabulary is called `mood`"), (6, 3));
    }
}
