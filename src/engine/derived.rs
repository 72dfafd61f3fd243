//! Derived values (`derived:` in the playbooks): compiled once in evaluation order, and
//! computed per deal either all at once (`next`) or only when a rule reads them (a
//! pipeline review).

use rhai::{Dynamic, Scope, AST};

use super::*;

/// A derived value's script, compiled.
pub(super) struct DerivedScript {
    pub(super) name: String,
    pub(super) script: Result<AST, String>,
    pub(super) direct: Option<Direct>,
    /// The derived values its script reads (all before it).
    pub(super) reads: Vec<usize>,
    /// Where it is written.
    pub(super) file: String,
    pub(super) line: usize,
}

/// Which derived values of a deal are still to be computed, when they are computed on
/// demand (a pipeline review), and the failures met computing them.
#[derive(Default)]
pub struct Pending {
    pub(super) waiting: Vec<bool>,
    pub errors: Vec<RuleError>,
    /// The deal's paths read so far by the derived values and titles (a fresh memo per
    /// script cost more than the scripts: it is sized by every path of the playbook).
    pub(super) memo: Memo,
}

impl ScriptEngine {
    /// The derived values (by position) any of `scripts` reads.
    pub(super) fn derived_read<'a>(&self, scripts: impl Iterator<Item = &'a AST>) -> Vec<usize> {
        let mut names = BTreeSet::new();
        for ast in scripts {
            names.extend(variables_read(ast));
        }
        self.derived_named(|name| names.contains(name))
    }

    pub(super) fn derived_named(&self, wanted: impl Fn(&str) -> bool) -> Vec<usize> {
        (0..self.derived.len())
            .filter(|index| wanted(&self.derived[*index].name))
            .collect()
    }

    /// Compiles the playbook's `derived:` values, each seeing those before it.
    pub(super) fn compile_derived(
        &mut self,
        derived: &IndexMap<String, crate::playbook::DerivedValue>,
        files: &crate::playbook::PlaybookFiles,
        problems: &mut Diagnostics,
    ) {
        for (name, value) in derived {
            let scope = self.compile_scope();
            let compiled = self.engine.compile_with_scope(&scope, &value.script);
            if let Err(error) = &compiled {
                problems.push(located_compile_error(name, value, files, error));
            }
            let compiled = compiled.map_err(|error| {
                let (line, column) = position(error.position());
                format!(
                    "`derived.{name}` does not compile: {} (script line {line}, column {column})",
                    error.err_type()
                )
            });
            let direct = self.direct(&compiled);
            let reads = self.derived_read(compiled.iter());
            self.derived.push(DerivedScript {
                name: name.clone(),
                script: compiled,
                direct,
                reads,
                file: value.file.clone(),
                line: value.line,
            });
        }
    }

    /// The derived values that compiled: name, script, file and line.
    pub fn derived_scripts(&self) -> impl Iterator<Item = (&str, &AST, &str, usize)> {
        self.derived.iter().filter_map(|derived| {
            let ast = derived.script.as_ref().ok()?;
            Some((
                derived.name.as_str(),
                ast,
                derived.file.as_str(),
                derived.line,
            ))
        })
    }

    /// The names of the derived values, in order.
    pub fn derived_names(&self) -> impl Iterator<Item = &str> {
        self.derived.iter().map(|derived| derived.name.as_str())
    }

    /// Evaluates the derived values once for this deal and adds them to its scope. One
    /// that fails becomes `()` and an error entry; the rules still run.
    pub fn push_derived(&self, scope: &mut Scope<'static>) -> Vec<RuleError> {
        let mut errors = Vec::new();
        let mut memo = Memo::default();
        for index in 0..self.derived.len() {
            let value = self.derived_value(index, scope, &mut memo, &mut errors);
            scope.push_constant_dynamic(self.derived[index].name.clone(), value);
        }
        errors
    }

    /// Adds the derived values to the scope as placeholders, each computed only when a
    /// script about to run reads it ([`Self::ensure`]): a review of thousands of deals
    /// skips the text contexts of the rules that do not fire.
    pub fn push_derived_lazily(&self, scope: &mut Scope<'static>) -> Pending {
        for derived in &self.derived {
            // Writable until computed, then constant like the others.
            scope.push_dynamic(derived.name.clone(), Dynamic::UNIT);
        }
        Pending {
            waiting: vec![true; self.derived.len()],
            errors: Vec::new(),
            memo: Memo::default(),
        }
    }

    /// Computes the derived values `needed` (and those they read) that are still waiting.
    pub(super) fn ensure(
        &self,
        scope: &mut Scope<'static>,
        pending: &mut Pending,
        needed: &[usize],
    ) {
        for &index in needed {
            if !pending.waiting.get(index).copied().unwrap_or(false) {
                continue;
            }
            self.ensure(scope, pending, &self.derived[index].reads);
            let value = self.derived_value(index, scope, &mut pending.memo, &mut pending.errors);
            if let Some(placeholder) = scope.get_mut(&self.derived[index].name) {
                *placeholder = value.into_read_only();
            }
            pending.waiting[index] = false;
        }
    }

    /// One derived value, evaluated in `scope`; a failure is recorded and gives `()`.
    pub(super) fn derived_value(
        &self,
        index: usize,
        scope: &mut Scope<'static>,
        memo: &mut Memo,
        errors: &mut Vec<RuleError>,
    ) -> Dynamic {
        let DerivedScript {
            name,
            script,
            direct,
            file,
            line,
            ..
        } = &self.derived[index];
        let known = self
            .enabled(direct.as_ref())
            .and_then(|direct| direct.eval_value(&slots(scope).calling(self), memo));
        let value = match known {
            Some(value) => Ok(value),
            None => script
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|ast| self.run(scope, ast)),
        };
        value.unwrap_or_else(|message| {
            errors.push(RuleError {
                id: format!("derived.{name}"),
                file: file.clone(),
                line: *line,
                message,
            });
            Dynamic::UNIT
        })
    }
}

/// A derived value that does not compile, placed at rhai's line and column inside the
/// script in its YAML file, with the source line and a caret (at the key when the script
/// cannot be found in the text). Only on failure is the file's position index built.
fn located_compile_error(
    name: &str,
    value: &crate::playbook::DerivedValue,
    files: &crate::playbook::PlaybookFiles,
    error: &rhai::ParseError,
) -> Diagnostic {
    let message = format!("`derived.{name}` does not compile: {}", error.err_type());
    let Some(file) = files.file(&value.file) else {
        return Diagnostic::error(&value.file, value.line, 0, message);
    };
    let places = crate::snapshot::places::Places::of(&file.text);
    let (line, column) = places
        .get(&["derived", name])
        .map(|place| crate::playbook::ScriptPlace::new(&file.text, place))
        .and_then(|place| place.locate(error.position()))
        .unwrap_or((value.line, 0));
    Diagnostic::error(&value.file, line, column, message).with_source(&file.text)
}
