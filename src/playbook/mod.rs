//! Playbooks: the coaching method as data, loaded and validated in two stages.
//!
//! A playbook folder (`playbooks/*.yaml` + `rules/*.rhai`, or the built-in copy of the
//! repository's own) is first read into serde types that mirror the files
//! ([`RawPlaybookFile`]), then validated into a [`Playbook`] the engine can run, collecting
//! every problem on the way rather than stopping at the first. A rule whose `when` does not
//! compile does not invalidate the folder: the engine reports it by name and runs the rest.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::coach::judgement::Judgement;
use crate::detect::{DetectionConfig, Detector};
use crate::diag::{Diagnostic, Diagnostics, Skipped};
use crate::engine::{CompiledRule, ScriptEngine};
use crate::playbook::settings::EngineSettings;
use crate::snapshot::vocabulary::{vocabulary_words, Aliases, Severity, VOCABULARY_NAMES};

pub mod labels;
pub mod parse;
pub mod settings;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_playbooks.rs"));
}

/// One file of a playbook folder, by its path relative to the folder.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Where the playbooks came from, as the JSON output reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Folder(PathBuf),
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::Builtin => "builtin".to_owned(),
            Origin::Folder(path) => path.display().to_string(),
        }
    }
}

/// The files of a playbook folder, read but not yet parsed.
#[derive(Debug, Clone)]
pub struct PlaybookFiles {
    pub origin: Origin,
    pub files: Vec<SourceFile>,
    /// What reading the folder passed over (links to folders, pipes, broken links), for
    /// the command to note.
    pub skipped: Vec<Skipped>,
}

impl PlaybookFiles {
    pub fn builtin() -> PlaybookFiles {
        let files = builtin::BUILTIN_FILES
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        PlaybookFiles {
            origin: Origin::Builtin,
            files,
            skipped: Vec::new(),
        }
    }

    /// Reads `folder/playbooks/**.yaml` and `folder/rules/*.rhai`.
    pub fn read_folder(folder: &Path, max_bytes: u64) -> Result<PlaybookFiles, Diagnostics> {
        let shown = folder.display().to_string();
        if !folder.is_dir() {
            return Err(Diagnostics(vec![Diagnostic::error(
                shown,
                0,
                0,
                "is not a playbook folder (no such folder)",
            )]));
        }
        if !folder.join("playbooks").is_dir() {
            return Err(Diagnostics(vec![Diagnostic::error(
                shown,
                0,
                0,
                "is not a playbook folder: it has no `playbooks/` folder (create one with `dealcoach playbooks export DIR`)",
            )]));
        }
        let mut paths = Vec::new();
        let mut skipped = Vec::new();
        collect_files(folder, &folder.join("playbooks"), &mut paths, &mut skipped);
        collect_files(folder, &folder.join("rules"), &mut paths, &mut skipped);
        paths.sort();
        skipped.sort();
        let mut files = Vec::new();
        let mut problems = Diagnostics::default();
        for relative in paths {
            let full = folder.join(&relative);
            match crate::snapshot::read_text(&full.display().to_string(), max_bytes) {
                Ok(text) => files.push(SourceFile {
                    path: relative,
                    text,
                }),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(PlaybookFiles {
                origin: Origin::Folder(folder.to_path_buf()),
                files,
                skipped,
            })
        } else {
            Err(problems)
        }
    }

    /// `sha256:` over the path and contents of every playbook and script file (the test
    /// cases do not change advice, so they are left out), so a report can say exactly
    /// which method produced it.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for file in self.playbook_yaml().chain(self.scripts()) {
            hasher.update(file.path.as_bytes());
            hasher.update([0]);
            hasher.update(file.text.as_bytes());
            hasher.update([0]);
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// Writes the files under `target`, in the layout `--playbooks` reads.
    pub fn export(&self, target: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for file in &self.files {
            let path = target.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &file.text)?;
            written.push(path);
        }
        Ok(written)
    }

    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|file| file.path == path)
    }

    /// Playbook files (not test cases), in path order.
    pub fn playbook_yaml(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().filter(|file| {
            file.path.starts_with("playbooks/")
                && !file.path.starts_with("playbooks/tests/")
                && is_yaml(&file.path)
        })
    }

    pub fn test_yaml(&self) -> impl Iterator<Item = &SourceFile> {
        self.files
            .iter()
            .filter(|file| file.path.starts_with("playbooks/tests/") && is_yaml(&file.path))
    }

    pub fn scripts(&self) -> impl Iterator<Item = &SourceFile> {
        self.files
            .iter()
            .filter(|file| file.path.starts_with("rules/") && file.path.ends_with(".rhai"))
    }
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// The playbook and script files under `folder`, relative to `root`. Links to files are
/// read; links to folders are never followed (`a -> .` would loop forever), and nothing
/// but a regular file is opened (a pipe would block): those are noted in `skipped`.
fn collect_files(root: &Path, folder: &Path, paths: &mut Vec<String>, skipped: &mut Vec<Skipped>) {
    let mut skip = |path: &Path, note: String| {
        skipped.push(Skipped {
            path: path.display().to_string(),
            note,
        })
    };
    for entry in walkdir::WalkDir::new(folder).follow_links(false) {
        let entry = match entry {
            Ok(entry) => entry,
            // A missing `rules/` is no problem; an unreadable subfolder is noted.
            Err(error) if error.depth() == 0 => return,
            Err(error) => {
                let path = error.path().unwrap_or(folder).to_path_buf();
                skip(&path, format!("cannot be read: {error}"));
                continue;
            }
        };
        let path = entry.path();
        let kind = entry.file_type();
        let regular = if kind.is_symlink() {
            match std::fs::metadata(path) {
                Ok(target) if target.is_dir() => {
                    skip(path, Skipped::LINK_TO_FOLDER.to_owned());
                    continue;
                }
                Ok(target) => target.is_file(),
                Err(error) => {
                    skip(path, Skipped::broken_link(&error));
                    continue;
                }
            }
        } else if kind.is_dir() {
            continue;
        } else {
            kind.is_file()
        };
        if !regular {
            skip(path, Skipped::NOT_REGULAR.to_owned());
            continue;
        }
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "rhai")
        ) {
            if let Ok(relative) = path.strip_prefix(root) {
                paths.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Stage one: serde types that mirror the files.

/// One `playbooks/*.yaml` file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlaybookFile {
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub settings: IndexMap<String, serde_yaml::Value>,
    /// The declared type and range of each setting (see [`settings::SettingType`]).
    #[serde(default)]
    pub setting_types: IndexMap<String, serde_yaml::Value>,
    pub detection: Option<DetectionConfig>,
    #[serde(default)]
    pub aliases: Aliases,
    /// The sandbox's limits (`crate::engine::LIMITS`), validated with the file's text.
    pub sandbox: Option<IndexMap<String, serde_yaml::Value>>,
    /// Values computed once per deal and readable by every rule under their name, such as
    /// labels many texts share: `name: rhai expression`.
    #[serde(default)]
    pub derived: IndexMap<String, String>,
    /// The label catalog (see [`crate::playbook::labels`]): key → language → text.
    #[serde(default)]
    pub labels: crate::playbook::labels::RawLabels,
    /// Contexts that change what advice matters (see [`crate::coach::judgement`]).
    #[serde(default)]
    pub gates: Vec<RawGate>,
    /// The `by` of every move that gives none of its own (one file may set it).
    pub default_by: Option<Vec<String>>,
}

/// A gate as written: in a context (`when`), advice is kept (`only`), set aside (`drop`)
/// or held below a priority (`demote` … `to`). Concepts are ids or prefixes
/// (`info` covers every `info.*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGate {
    pub name: String,
    #[serde(deserialize_with = "script_text")]
    pub when: String,
    pub only: Option<Vec<String>>,
    pub drop: Option<Vec<String>>,
    pub demote: Option<Vec<String>>,
    /// The highest priority a demoted move keeps.
    pub to: Option<i64>,
    /// Why, in words a rep reads (shown by `explain` and in JSON `suppressed`).
    pub because: Text,
}

/// A `derived:` value with where it is written.
#[derive(Debug, Clone)]
pub struct DerivedValue {
    pub script: String,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub concept: String,
    #[serde(deserialize_with = "script_text")]
    pub when: String,
    pub priority: Option<RawPriority>,
    pub severity: Option<Severity>,
    pub title: Text,
    pub why: TextList,
    #[serde(default)]
    pub questions: TextList,
    pub for_each: Option<String>,
    /// How many elements `for_each` gives, when a cheaper script can tell: a review
    /// counts the firings without building their texts.
    pub count: Option<String>,
    /// By when to act: placeholders tried in turn (`{{item.date}}`, `{{facts.decide_by}}`);
    /// the first that gives a date is the move's `by`.
    #[serde(default)]
    pub by: Vec<String>,
    /// Moves of one group become one move: the highest-ranked keeps its place and the
    /// others become its steps (reach the top decision maker + who can introduce you).
    pub merge: Option<String>,
    /// Concepts (ids or prefixes) this advice silences when it fires: they would repeat
    /// or contradict it (an open service issue silences asking for referrals).
    #[serde(default)]
    pub suppresses: Vec<String>,
    /// A warning that changes the strategy (a misjudged account): shown without `--all`.
    #[serde(default)]
    pub verdict: bool,
}

/// A move's priority: a fixed number or a rhai expression giving one.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawPriority {
    Fixed(i64),
    Expression(String),
}

/// A text written in several languages (`{zh: …, en: …, fr: …}`): zh and en are
/// required, any other language is optional and falls back to en.
#[derive(Debug, Clone, Default)]
pub struct Localized<T> {
    by_lang: IndexMap<String, T>,
    /// What a language no text is written in gets: only an absent optional text (no
    /// `questions:`) has none at all.
    none: T,
}

/// One text, per language.
pub type Text = Localized<String>;

/// Lines of text, per language.
pub type TextList = Localized<Vec<String>>;

impl<T> Localized<T> {
    /// The text in `lang`, else in English.
    pub fn get(&self, lang: Lang) -> &T {
        self.by_lang
            .get(lang.code())
            .or_else(|| self.by_lang.get(Lang::En.code()))
            .unwrap_or(&self.none)
    }

    /// Every language written, with its text.
    pub fn languages(&self) -> impl Iterator<Item = (Lang, &T)> {
        self.by_lang
            .iter()
            .map(|(code, text)| (Lang::new(code), text))
    }

    /// The text in `lang` only (no fallback).
    pub fn exactly(&self, lang: Lang) -> Option<&T> {
        self.by_lang.get(lang.code())
    }
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Localized<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let by_lang = IndexMap::<String, T>::deserialize(deserializer)?;
        for code in by_lang.keys() {
            if !Lang::is_code(code) {
                return Err(serde::de::Error::custom(format!(
                    "`{code}` is not a language code: texts are written per language (`zh:`, `en:`, `fr:` …)"
                )));
            }
        }
        for required in ["zh", "en"] {
            if !by_lang.contains_key(required) {
                return Err(serde::de::Error::custom(format!(
                    "missing the `{required}` text: every text is written in zh and en (other languages are optional)"
                )));
            }
        }
        Ok(Localized {
            by_lang,
            none: T::default(),
        })
    }
}

/// `when: false` is YAML's boolean, not a string; accept any scalar as script text.
fn script_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Flag(bool),
        Number(f64),
    }
    Ok(match Scalar::deserialize(deserializer)? {
        Scalar::Text(text) => text,
        Scalar::Flag(flag) => flag.to_string(),
        Scalar::Number(number) => number.to_string(),
    })
}

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
    pub count: Option<String>,
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
    pub suppresses: Vec<String>,
    pub verdict: bool,
}

/// Everything the engine needs to coach a deal.
pub struct Playbook {
    pub origin: Origin,
    /// Computed on first use: hashing the folder costs as much as the rest of start-up,
    /// and only some outputs carry it.
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
        let mut detection: Option<(DetectionConfig, (String, usize, usize))> = None;
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
                let (line, column) = find_key(&file.text, "detection");
                match &mut detection {
                    Some((merged, _)) => {
                        if let Err(message) = merged.merge(config) {
                            problems.push(Diagnostic::error(&file.path, line, column, message));
                        }
                    }
                    None => detection = Some((config, (file.path.clone(), line, column))),
                }
            }
            for (vocabulary, table) in raw.aliases {
                let Some(words) = vocabulary_words(&vocabulary) else {
                    let (line, column) = find_key(&file.text, &vocabulary);
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
                        let (line, column) = find_key(&file.text, alias);
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
                    let (line, column) = find_key(&file.text, &key);
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
                    let (line, column) = crate::engine::top_level_key(&file.text, "sandbox")
                        .map_or((0, 0), |offset| {
                            crate::diag::line_column(&file.text, offset)
                        });
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
                    let (line, column) = find_key(&file.text, "default_by");
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
            if let Some((config, (path, line, column))) = &detection {
                for message in config.problems() {
                    problems.push(Diagnostic::error(path, *line, *column, message));
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
        let judgement = Judgement::compile(gates, &scripts, &mut problems);
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

/// The line and column of a path in a file (see `locate` in `load_checked`).
type Locate<'a> = dyn Fn(&str, &[&str]) -> (usize, usize) + 'a;

/// Every setting the folder sets has a declared type (its own, else the built-in one),
/// and its value, merged over the built-in one, is of that type: each problem placed at
/// the value in the file that sets it.
fn check_setting_types(
    settings: &IndexMap<String, serde_yaml::Value>,
    setting_files: &IndexMap<String, String>,
    declared: &IndexMap<String, (settings::SettingType, String)>,
    builtin: Option<&IndexMap<String, settings::SettingType>>,
    files: &PlaybookFiles,
    locate: &Locate,
) -> (Diagnostics, std::collections::BTreeSet<String>) {
    let mut problems = Diagnostics::default();
    let mut mistyped = std::collections::BTreeSet::new();
    for (key, file) in setting_files {
        let text = files.file(file).map_or("", |f| f.text.as_str());
        let kind = declared
            .get(key)
            .map(|(kind, _)| kind)
            .or_else(|| builtin.and_then(|types| types.get(key)));
        let Some(kind) = kind else {
            let (line, column) = locate(file, &["settings", key, ""]);
            let example = match settings.get(key) {
                Some(serde_yaml::Value::Number(n)) if n.is_i64() => "integer 0..",
                Some(serde_yaml::Value::Number(_)) => "number 0..",
                Some(serde_yaml::Value::Bool(_)) => "boolean",
                Some(serde_yaml::Value::Sequence(_)) => "list of text",
                _ => "text",
            };
            problems.push(
                Diagnostic::error(
                    file,
                    line,
                    column,
                    format!("setting `{key}` has no declared type: declare it under `setting_types:` in this file (`{key}: {example}`)"),
                )
                .with_source(text),
            );
            continue;
        };
        let Some(value) = settings.get(key) else {
            continue;
        };
        let mut found = Vec::new();
        kind.check(value, &mut found);
        if !found.is_empty() {
            mistyped.insert(key.clone());
        }
        for (below, message) in found {
            let mut path: Vec<&str> = vec!["settings", key];
            path.extend(below.iter().map(String::as_str));
            let (line, column) = locate(file, &path);
            let mut shown = key.clone();
            for segment in &below {
                if segment.bytes().all(|b| b.is_ascii_digit()) {
                    shown.push_str(&format!("[{segment}]"));
                } else {
                    shown.push_str(&format!(".{segment}"));
                }
            }
            problems.push(
                Diagnostic::error(file, line, column, format!("setting `{shown}` {message}"))
                    .with_source(text),
            );
        }
    }
    for (key, (_, file)) in declared {
        if !settings.contains_key(key) {
            let (line, column) = locate(file, &["setting_types", key, ""]);
            let text = files.file(file).map_or("", |f| f.text.as_str());
            let hint = crate::diag::did_you_mean(key, settings.keys().map(String::as_str))
                .map(|nearest| format!(" — did you mean `{nearest}`?"))
                .unwrap_or_default();
            problems.push(
                Diagnostic::error(
                    file,
                    line,
                    column,
                    format!("`setting_types` declares `{key}`, which no file sets{hint}"),
                )
                .with_source(text),
            );
        }
    }
    (problems, mistyped)
}

/// What a trainer's folder falls back to: the built-in method's settings and labels.
struct BuiltinDefaults {
    setting_types: IndexMap<String, settings::SettingType>,
    settings: IndexMap<String, serde_yaml::Value>,
    labels: IndexMap<String, crate::playbook::labels::Label>,
}

/// The built-in settings and labels, read once per process from the prepared copies.
fn builtin_defaults() -> &'static BuiltinDefaults {
    static DEFAULTS: std::sync::OnceLock<BuiltinDefaults> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let files = PlaybookFiles::builtin();
        let mut defaults = BuiltinDefaults {
            setting_types: IndexMap::new(),
            settings: IndexMap::new(),
            labels: IndexMap::new(),
        };
        for file in files.playbook_yaml() {
            let Some(raw) = prepared(&files, file) else {
                continue;
            };
            defaults.settings.extend(raw.settings);
            for (key, declared) in raw.setting_types {
                if let Ok(kind) = settings::SettingType::parse(&declared) {
                    defaults.setting_types.insert(key, kind);
                }
            }
            for (key, label) in raw.labels {
                defaults.labels.entry(key).or_default().extend(label);
            }
        }
        defaults
    })
}

/// The folder's settings over the built-in ones: a mapping is merged key by key (a
/// trainer may change one weight of `evidence_temperature`), anything else replaced.
fn merge_settings(
    base: &IndexMap<String, serde_yaml::Value>,
    over: IndexMap<String, serde_yaml::Value>,
) -> IndexMap<String, serde_yaml::Value> {
    fn merge(base: &serde_yaml::Value, over: serde_yaml::Value) -> serde_yaml::Value {
        match (base, over) {
            (serde_yaml::Value::Mapping(base), serde_yaml::Value::Mapping(over)) => {
                let mut merged = base.clone();
                for (key, value) in over {
                    let value = match base.get(&key) {
                        Some(inner) => merge(inner, value),
                        None => value,
                    };
                    merged.insert(key, value);
                }
                serde_yaml::Value::Mapping(merged)
            }
            (_, over) => over,
        }
    }
    let mut merged = base.clone();
    for (key, value) in over {
        let value = match base.get(&key) {
            Some(inner) => merge(inner, value),
            None => value,
        };
        merged.insert(key, value);
    }
    merged
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

fn validate_rule(
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
    if raw.count.is_some() && raw.for_each.is_none() {
        return Err(problem(format!(
            "rule `{}` has `count` but no `for_each`: `count` says how many elements `for_each` gives",
            raw.id
        )));
    }
    let script_lines = ["when", "for_each", "count", "priority"]
        .into_iter()
        .filter_map(|key| key_line_in(lines, key, line).map(|found| (key, found)))
        .collect();
    Ok(Rule {
        id: raw.id,
        concept: raw.concept,
        when: raw.when,
        for_each: raw.for_each,
        count: raw.count,
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
        suppresses: raw.suppresses,
        verdict: raw.verdict,
    })
}

/// The first malformed `{{…}}` of a rule's texts, placed at it in the file (`next` and
/// `check` refuse it alike, rather than `next` printing it raw).
fn malformed_text(
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
fn rule_lines(text: &str) -> IndexMap<&str, usize> {
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
fn key_line_in(lines: &[&str], key: &str, from: usize) -> Option<usize> {
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
pub fn find_key(text: &str, key: &str) -> (usize, usize) {
    let needle = format!("{key}:");
    text.lines()
        .enumerate()
        .find_map(|(index, line)| {
            line.find(&needle)
                .map(|column| (index + 1, line[..column].chars().count() + 1))
        })
        .unwrap_or((0, 0))
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
}
