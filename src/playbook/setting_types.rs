//! Settings as a folder gives them: deep-merged over the built-in settings.yaml (the one
//! source of every default), and checked against the types `setting_types:` declares.

use super::*;

/// The line and column of a path in a file (see `locate` in `load_checked`).
type Locate<'a> = dyn Fn(&str, &[&str]) -> (usize, usize) + 'a;

/// Every setting the folder sets has a declared type (its own, else the built-in one),
/// and its value, merged over the built-in one, is of that type: each problem placed at
/// the value in the file that sets it.
pub(super) fn check_setting_types(
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
pub(super) struct BuiltinDefaults {
    pub(super) setting_types: IndexMap<String, settings::SettingType>,
    pub(super) settings: IndexMap<String, serde_yaml::Value>,
    pub(super) labels: IndexMap<String, crate::playbook::labels::Label>,
}

/// The built-in settings and labels, read once per process from the prepared copies.
pub(super) fn builtin_defaults() -> &'static BuiltinDefaults {
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
pub(super) fn merge_settings(
    base: &IndexMap<String, serde_yaml::Value>,
    over: IndexMap<String, serde_yaml::Value>,
) -> IndexMap<String, serde_yaml::Value> {
    merge_entries(base, over)
}

/// One setting's value over the built-in one, by the same rule, at any depth.
fn merge_value(base: &serde_yaml::Value, over: serde_yaml::Value) -> serde_yaml::Value {
    match (base, over) {
        (serde_yaml::Value::Mapping(base), serde_yaml::Value::Mapping(over)) => {
            serde_yaml::Value::Mapping(merge_entries(base, over))
        }
        (_, over) => over,
    }
}

/// `over`'s entries on a copy of `base`, each merged with the entry it replaces. The
/// settings file's top level (keys are names) and a mapping inside it (keys are YAML
/// values) are merged alike.
fn merge_entries<M: Entries>(base: &M, over: M) -> M {
    let mut merged = base.clone();
    for (key, value) in over {
        let value = match base.entry(&key) {
            Some(inner) => merge_value(inner, value),
            None => value,
        };
        merged.put(key, value);
    }
    merged
}

/// A mapping of settings values, whatever its keys.
trait Entries: Clone + IntoIterator<Item = (Self::Key, serde_yaml::Value)> {
    type Key;
    fn entry(&self, key: &Self::Key) -> Option<&serde_yaml::Value>;
    fn put(&mut self, key: Self::Key, value: serde_yaml::Value);
}

impl Entries for IndexMap<String, serde_yaml::Value> {
    type Key = String;
    fn entry(&self, key: &String) -> Option<&serde_yaml::Value> {
        self.get(key)
    }
    fn put(&mut self, key: String, value: serde_yaml::Value) {
        self.insert(key, value);
    }
}

impl Entries for serde_yaml::Mapping {
    type Key = serde_yaml::Value;
    fn entry(&self, key: &serde_yaml::Value) -> Option<&serde_yaml::Value> {
        self.get(key)
    }
    fn put(&mut self, key: serde_yaml::Value, value: serde_yaml::Value) {
        self.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> IndexMap<String, serde_yaml::Value> {
        serde_yaml::from_str(text).unwrap()
    }

    /// A trainer who changes one weight keeps every other built-in value, at any depth;
    /// a value that is not a mapping replaces the built-in one whole.
    #[test]
    fn a_folder_setting_changes_only_what_it_names() {
        let built_in = settings(
            "stale_days: 30\n\
             evidence_temperature:\n  base: 10\n  per_signal: {visit: 5, demo: 8}\n\
             closing_words: [sign, order]\n",
        );
        let folder = settings(
            "evidence_temperature:\n  per_signal: {demo: 12}\n\
             closing_words: [contract]\n\
             new_setting: 1\n",
        );
        let merged = merge_settings(&built_in, folder);
        assert_eq!(
            merged,
            settings(
                "stale_days: 30\n\
                 evidence_temperature:\n  base: 10\n  per_signal: {visit: 5, demo: 12}\n\
                 closing_words: [contract]\n\
                 new_setting: 1\n",
            )
        );
    }
}
