//! The rule engine: rhai scripts compiled once per run, evaluated against each deal's
//! facts inside a sandbox.
//!
//! Scripts come from trainers, so every evaluation is bounded (operations, call depth,
//! expression depth, string/array/map sizes, and a wall-clock budget per rule), so is the
//! work of a whole deal (elements per `for_each`, firings per deal), and there is no way
//! out: rhai has no file, network or process access, `eval` is disabled, nothing blocks or
//! reads the clock, and `print` goes nowhere (it would corrupt JSON on stdout). The limits
//! and the engine they configure are in `engine/sandbox.rs`. A rule that fails is reported
//! by id and place; the others still run.

#[macro_use]
mod refuse;
mod derived;
mod direct;
mod evaluate;
mod failure;
mod picked;
mod sandbox;
mod script;

use std::collections::BTreeSet;

use indexmap::IndexMap;
use rhai::{Dynamic, Engine, EvalAltResult, Module, Position, Scope, AST};

use crate::diag::{Diagnostic, Diagnostics};
use crate::facts::{Facts, Sighting};
use crate::playbook::{PlaybookFiles, RawPriority, Rule, RuleKind};
use crate::snapshot::Snapshot;
pub use derived::Pending;
use direct::{slots, Direct, Memo, MemoNumbers};
pub use evaluate::Firing;
pub use failure::{describe_error, RuleError};
pub use picked::LazyFacts;
use sandbox::{sandboxed_engine, timed};
pub use sandbox::{top_level_key, SandboxLimits, LIMITS};
pub use script::{position, reads_variable};

use derived::DerivedScript;
use failure::*;
use script::*;

/// The names a condition can read, in the order they are pushed into the scope.
pub const SCOPE_NAMES: &[&str] = &[
    "deal",
    "account",
    "information",
    "stakeholders",
    "objections",
    "signals",
    "questions",
    "activities",
    "facts",
    "settings",
];

/// The configured rhai engine with the functions of `rules/*.rhai`.
pub struct ScriptEngine {
    engine: Engine,
    /// Functions defined in `rules/*.rhai`: (name, number of parameters).
    pub functions: BTreeSet<(String, usize)>,
    /// Where each function is defined: name → file.
    pub function_files: IndexMap<String, String>,
    pub limits: SandboxLimits,
    /// The functions of `rules/*.rhai`, for the direct evaluation to call; `None` when
    /// their file's top-level statements failed (then no script can call them).
    library: Option<AST>,
    settings: Dynamic,
    /// Playbook-derived values (`derived:`), compiled, in evaluation order.
    derived: Vec<DerivedScript>,
    memo_numbers: MemoNumbers,
    /// Whether simple scripts are evaluated directly (see `direct`); off only to check
    /// that both ways agree.
    direct_evaluation: bool,
    /// For each of [`SCOPE_NAMES`], whether any script or text of the playbook reads it
    /// ([`Self::settle_sections_read`]); a section nothing reads is given as `()`, not
    /// built for every deal.
    sections_read: [bool; SCOPE_NAMES.len()],
    /// The fields of `facts` read by name, sorted, `None` when `facts` is read whole
    /// (passed to a function, iterated, a computed key): the others are left out of every
    /// deal's scope. Shared by each deal's [`picked::LazyFacts`].
    facts_names: Option<std::sync::Arc<[String]>>,
}

impl direct::ScriptFunctions for ScriptEngine {
    /// Runs a function of `rules/*.rhai` as a script calling it would, under the same
    /// limits and time budget.
    fn call(&self, name: &str, args: Vec<Dynamic>) -> Option<Dynamic> {
        let library = self.library.as_ref()?;
        let options = rhai::CallFnOptions::new().eval_ast(false);
        timed(&self.limits, || {
            self.engine.call_fn_with_options::<Dynamic>(
                options,
                &mut Scope::new(),
                library,
                name,
                args,
            )
        })
        .ok()
    }
}

/// A condition outside any rule (a gate's `when`), compiled once: its script, the same
/// evaluated directly where it is simple enough, and the derived values it reads.
pub struct Condition {
    pub ast: AST,
    direct: Option<Direct>,
    reads: Vec<usize>,
}

/// The fields of a scope section read by name; `None` once the section is read whole.
struct FieldsRead(Option<BTreeSet<String>>);

impl Default for FieldsRead {
    fn default() -> Self {
        FieldsRead(Some(BTreeSet::new()))
    }
}

impl FieldsRead {
    /// Notes one read: of the field `name`, or of the whole section (`None`).
    fn note(&mut self, name: Option<&str>) {
        match (name, &mut self.0) {
            (Some(name), Some(names)) => {
                names.insert(name.to_owned());
            }
            (None, _) => self.0 = None,
            (Some(_), None) => {}
        }
    }
}

/// A rule with its scripts compiled. A script that did not compile keeps its message, so
/// the rule is reported at every run instead of silently vanishing.
pub struct CompiledRule {
    pub rule: Rule,
    pub when: Result<AST, String>,
    pub for_each: Option<Result<AST, String>>,
    pub priority: Option<Result<AST, String>>,
    /// Whether `when` reads `item`; when it does not, `when` is evaluated once before
    /// `for_each`, and a false condition skips building the items at all.
    pub when_reads_item: bool,
    /// `when`, `for_each` and `priority` evaluated without rhai where they are simple
    /// enough.
    when_direct: Option<Direct>,
    for_each_direct: Option<Direct>,
    priority_direct: Option<Direct>,
    /// The derived values read by `when`, `for_each`, `priority`, the titles and the
    /// `merge` group.
    when_reads: Vec<usize>,
    item_reads: Vec<usize>,
    priority_reads: Vec<usize>,
    title_reads: Vec<usize>,
    merge_reads: Vec<usize>,
    /// `for_each` is `[name]`, one element that cannot fail, and neither `when` nor
    /// `priority` reads `item`: the rule fires once whatever the element, so a review,
    /// which shows one title, builds it only for the move it shows.
    single_item: Option<usize>,
    /// Neither `when` nor `priority` reads `item`, so every element fires alike.
    item_free: bool,
    /// `for_each` is a list written with one element (`[#{…}]`): it fires once.
    one_element: bool,
    /// A title reads `item`: only then is a deferred element built for it.
    title_reads_item: bool,
}

/// The names the `{{…}}` placeholders of `templates` start from (`facts`, `item`, a
/// derived value …).
fn placeholder_roots<'t>(templates: impl IntoIterator<Item = &'t str>) -> Vec<&'t str> {
    templates
        .into_iter()
        .flat_map(crate::coach::template::placeholders)
        .filter_map(|placeholder| {
            crate::coach::template::parse_placeholder(placeholder)
                .0
                .first()
                .copied()
        })
        .collect()
}

impl ScriptEngine {
    /// Builds the sandboxed engine and compiles every `rules/*.rhai` file into one
    /// module of functions. A script with a syntax error invalidates the folder.
    pub fn new(
        files: &PlaybookFiles,
        limits: SandboxLimits,
        settings: &IndexMap<String, serde_yaml::Value>,
        derived: &IndexMap<String, crate::playbook::DerivedValue>,
    ) -> (ScriptEngine, Diagnostics) {
        let mut engine = sandboxed_engine(&limits);
        let mut problems = Diagnostics::default();
        let mut library = AST::empty();
        // Files with statements outside functions, which run once at load.
        let mut top_levels: Vec<(&crate::playbook::SourceFile, AST)> = Vec::new();
        let mut functions = BTreeSet::new();
        let mut function_files = IndexMap::new();
        for file in files.scripts() {
            match engine.compile(&file.text) {
                Ok(mut ast) => {
                    ast.set_source(file.path.as_str());
                    for function in ast.iter_functions() {
                        if let Some(first) = function_files.get(function.name) {
                            if first != &file.path {
                                let line = function_line(&file.text, function.name);
                                problems.push(Diagnostic::error(
                                    &file.path,
                                    line,
                                    0,
                                    format!(
                                        "function `{}` is also defined in {first}",
                                        function.name
                                    ),
                                ));
                            }
                        }
                        functions.insert((function.name.to_owned(), function.params.len()));
                        function_files.insert(function.name.to_owned(), file.path.clone());
                    }
                    library = library.merge(&ast);
                    if !ast.statements().is_empty() {
                        top_levels.push((file, ast));
                    }
                }
                Err(error) => {
                    let (line, column) = position(error.position());
                    problems.push(
                        Diagnostic::error(&file.path, line, column, error.err_type().to_string())
                            .with_source(&file.text),
                    );
                }
            }
        }
        // The statements outside functions run at load, under the same limits and time
        // budget as a rule.
        let callable = match timed(&limits, || {
            Module::eval_ast_as_new(Scope::new(), &library, &engine)
        }) {
            Ok(module) => {
                engine.register_global_module(module.into());
                Some(library.clone_functions_only())
            }
            Err(error) => {
                problems.push(top_level_failure(
                    &engine,
                    &library,
                    &top_levels,
                    &error,
                    &limits,
                ));
                None
            }
        };
        let settings = rhai::serde::to_dynamic(settings).unwrap_or_else(|error| {
            problems.push(Diagnostic::error(
                "playbooks",
                0,
                0,
                format!("settings cannot be given to scripts: {error}"),
            ));
            Dynamic::UNIT
        });
        let mut scripts = ScriptEngine {
            engine,
            functions,
            function_files,
            limits,
            library: callable,
            settings,
            derived: Vec::new(),
            memo_numbers: MemoNumbers::default(),
            sections_read: [true; SCOPE_NAMES.len()],
            facts_names: None,
            direct_evaluation: true,
        };
        scripts.compile_derived(derived, files, &mut problems);
        (scripts, problems)
    }

    /// Compiles a rule's scripts. Variables are checked at compile time (strict mode): a
    /// typo such as `facs.top` is a compile error naming the variable.
    pub fn compile_rule(&self, rule: Rule) -> CompiledRule {
        let mut scope = self.compile_scope();
        let for_each = rule
            .for_each
            .as_ref()
            .map(|script| self.compile_script(&scope, script, &rule, "for_each"));
        if rule.for_each.is_some() {
            scope.push_dynamic("item", Dynamic::UNIT);
        }
        let when = self.compile_script(&scope, &rule.when, &rule, "when");
        let priority = match &rule.kind {
            RuleKind::Move {
                priority: RawPriority::Expression(script),
            } => Some(self.compile_script(&scope, script, &rule, "priority")),
            _ => None,
        };
        let when_reads_item = when
            .as_ref()
            .map_or(true, |ast| reads_variable(ast, "item"));
        let when_direct = self.direct(&when);
        let for_each_direct = for_each.as_ref().and_then(|script| self.direct(script));
        let priority_direct = priority.as_ref().and_then(|script| self.direct(script));
        let when_reads = self.derived_read(when.iter());
        let item_reads = self.derived_read(for_each.iter().flatten());
        let priority_reads = self.derived_read(priority.iter().flatten());
        let title_names =
            placeholder_roots(rule.title.languages().map(|(_, title)| title.as_str()));
        let title_reads = self.derived_named(|name| title_names.contains(&name));
        let title_reads_item = title_names.contains(&"item");
        let merge_names = placeholder_roots(rule.merge.as_deref());
        let merge_reads = self.derived_named(|name| merge_names.contains(&name));
        let priority_reads_item = priority
            .as_ref()
            .and_then(|script| script.as_ref().ok())
            .is_some_and(|ast| reads_variable(ast, "item"));
        let item_free = !(when_reads_item || priority_reads_item);
        let one_element = matches!(&for_each, Some(Ok(ast)) if one_element_list(ast));
        let single_item = match (&for_each, item_free) {
            (Some(Ok(ast)), true) => self.single_variable_list(ast),
            _ => None,
        };
        CompiledRule {
            rule,
            when,
            for_each,
            priority,
            when_reads_item,
            when_direct,
            for_each_direct,
            priority_direct,
            when_reads,
            item_reads,
            priority_reads,
            title_reads,
            merge_reads,
            single_item,
            item_free,
            one_element,
            title_reads_item,
        }
    }

    /// The names of a rule's scope in order: the deal's sections, the derived values, and
    /// `item` last (pushed for each `for_each` element).
    fn layout(&self) -> Vec<&str> {
        SCOPE_NAMES
            .iter()
            .copied()
            .chain(self.derived.iter().map(|derived| derived.name.as_str()))
            .chain(["item"])
            .collect()
    }

    /// The scope position of the variable `[name]` lists, when the script is just that:
    /// its one element is the variable's value and cannot fail.
    fn single_variable_list(&self, ast: &AST) -> Option<usize> {
        let [rhai::Stmt::Expr(expr)] = ast.statements() else {
            return None;
        };
        let rhai::Expr::Array(elements, _) = expr.as_ref() else {
            return None;
        };
        let [rhai::Expr::Variable(variable, _, _)] = elements.as_slice() else {
            return None;
        };
        let name = variable.1.as_str();
        self.layout().iter().position(|known| *known == name)
    }

    /// Runs every script in rhai, as if none were simple enough to evaluate directly: the
    /// reference the direct evaluation is tested against.
    #[doc(hidden)]
    pub fn interpret_only(&mut self) {
        self.direct_evaluation = false;
    }

    /// `direct`, unless direct evaluation is off.
    fn enabled<'d>(&self, direct: Option<&'d Direct>) -> Option<&'d Direct> {
        direct.filter(|_| self.direct_evaluation)
    }

    fn direct(&self, script: &Result<AST, String>) -> Option<Direct> {
        self.direct_of(script.as_ref().ok()?)
    }

    fn direct_of(&self, ast: &AST) -> Option<Direct> {
        let script_functions: Vec<&str> = self
            .functions
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let layout = self.layout();
        let item = layout.len() - 1;
        Direct::compile(ast, &layout, &script_functions, item, &self.memo_numbers)
    }

    /// Settles which sections of the deal scope the playbook reads: those a script names
    /// (`scripts`, and the derived values), those a text's placeholder starts with
    /// (`templates`; a bare `{{name}}` reads `facts`), and `deal` and `facts` always (a
    /// failure names the deal, `| money` reads its currency). rhai functions cannot see
    /// the caller's variables, so what `rules/*.rhai` does is covered by the arguments.
    /// The settings, copied into every deal's scope, keep only the entries read by name
    /// (`settings.stale_days`, `settings["risk"]`), all of them when `settings` is read
    /// whole anywhere (passed to a function, `settings.len()`, a computed key); the facts
    /// likewise keep only the fields read by name (`facts.top`, `{{top.name}}`).
    pub fn settle_sections_read<'a>(
        &mut self,
        scripts: impl Iterator<Item = &'a AST>,
        templates: impl Iterator<Item = &'a str>,
    ) {
        let mut read = [false; SCOPE_NAMES.len()];
        let mut mark = |name: &str| {
            if let Some(index) = SCOPE_NAMES.iter().position(|known| *known == name) {
                read[index] = true;
            }
        };
        mark("deal");
        mark("facts");
        let mut settings_read = FieldsRead::default();
        let mut facts_read = FieldsRead::default();
        let mut walk = |ast: &AST| {
            ast.walk(&mut |path: &[rhai::ASTNode]| {
                if let Some(rhai::ASTNode::Expr(rhai::Expr::Variable(variable, _, _))) = path.last()
                {
                    mark(variable.1.as_str());
                    match variable.1.as_str() {
                        "settings" => settings_read.note(script::field_read(path)),
                        "facts" => facts_read.note(script::field_read(path)),
                        _ => {}
                    }
                }
                true
            });
        };
        scripts.for_each(&mut walk);
        self.derived_scripts().for_each(|(_, ast, _, _)| walk(ast));
        for template in templates {
            for placeholder in crate::coach::template::placeholders(template) {
                let path = placeholder.split('|').next().unwrap_or_default();
                let mut segments = path.split('.').map(str::trim);
                let first = segments.next().unwrap_or_default();
                mark(first);
                match first {
                    "settings" => settings_read.note(segments.next()),
                    "facts" => facts_read.note(segments.next()),
                    // A bare `{{name}}` that names no section reads `facts.name` (or a
                    // derived value, or `item`: keeping a facts field of that name too
                    // costs nothing).
                    bare if !SCOPE_NAMES.contains(&bare) => facts_read.note(Some(bare)),
                    _ => {}
                }
            }
        }
        self.sections_read = read;
        // A `BTreeSet` iterates in order: the names come out sorted.
        self.facts_names = facts_read.0.map(|names| names.into_iter().collect());
        let kept: Option<rhai::Map> = settings_read.0.and_then(|names| {
            let all = self.settings.read_lock::<rhai::Map>()?;
            Some(
                all.iter()
                    .filter(|(key, _)| names.contains(key.as_str()))
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            )
        });
        if let Some(kept) = kept {
            self.settings = Dynamic::from_map(kept);
        }
    }

    /// The sections of the deal scope no script or text of the playbook reads.
    pub fn unread_sections(&self) -> impl Iterator<Item = &'static str> + '_ {
        SCOPE_NAMES
            .iter()
            .zip(self.sections_read)
            .filter(|(_, read)| !read)
            .map(|(name, _)| *name)
    }

    /// The settings given to the scripts (those read by name, or all), in order.
    pub fn settings_given(&self) -> Vec<String> {
        self.settings
            .read_lock::<rhai::Map>()
            .map(|map| map.keys().map(|key| key.to_string()).collect())
            .unwrap_or_default()
    }

    /// The fields of `facts` given to the scripts, sorted: those read by name, or all
    /// (`None`).
    pub fn facts_given(&self) -> Option<&[String]> {
        self.facts_names.as_deref()
    }

    /// Whether the section `name` of the deal scope is read by the playbook.
    fn reads_section(&self, name: &str) -> bool {
        SCOPE_NAMES
            .iter()
            .position(|known| *known == name)
            .is_none_or(|index| self.sections_read[index])
    }

    /// A scope holding every name a script may read, for compile-time checks (strict
    /// variables): the snapshot's sections, facts, settings and the derived values.
    fn compile_scope(&self) -> Scope<'static> {
        let mut scope = Scope::new();
        for name in SCOPE_NAMES {
            scope.push_dynamic(*name, Dynamic::UNIT);
        }
        for derived in &self.derived {
            scope.push_dynamic(derived.name.clone(), Dynamic::UNIT);
        }
        scope
    }

    /// Why `script` does not compile in a rule (`with_item`: the rule has `for_each`),
    /// and where in the script: for `check` to place it in the YAML file.
    pub fn compile_problem(&self, script: &str, with_item: bool) -> Option<(String, Position)> {
        let mut scope = self.compile_scope();
        if with_item {
            scope.push_dynamic("item", Dynamic::UNIT);
        }
        let error = self.engine.compile_with_scope(&scope, script).err()?;
        Some((error.err_type().to_string(), error.position()))
    }

    /// A condition outside any rule (a gate's `when`), compiled against the deal's
    /// names like a rule's, with strict variables, and like a rule's evaluated directly
    /// where it is simple enough.
    pub fn compile_condition(&self, script: &str) -> Result<Condition, String> {
        let scope = self.compile_scope();
        let ast = self
            .engine
            .compile_with_scope(&scope, script)
            .map_err(|error| {
                let (line, column) = position(error.position());
                format!("{} (line {line}, column {column})", error.err_type())
            })?;
        Ok(Condition {
            direct: self.direct_of(&ast),
            reads: self.derived_read(std::iter::once(&ast)),
            ast,
        })
    }

    /// The value of a condition compiled by [`Self::compile_condition`] for this deal;
    /// the derived values it reads are computed first when they are pending.
    pub fn condition_value(
        &self,
        scope: &mut Scope<'static>,
        condition: &Condition,
        pending: Option<&mut Pending>,
    ) -> Result<bool, String> {
        let mut fresh = Memo::default();
        let memo = match pending {
            Some(pending) => {
                self.ensure(scope, pending, &condition.reads);
                &mut pending.memo
            }
            None => &mut fresh,
        };
        let known = self
            .enabled(condition.direct.as_ref())
            .and_then(|direct| direct.eval_bool(&slots(scope).calling(self), memo));
        if let Some(holds) = known {
            return Ok(holds);
        }
        self.run(scope, &condition.ast)?
            .as_bool()
            .map_err(|type_name| format!("`when` gave {type_name}, not true or false"))
    }

    fn compile_script(
        &self,
        scope: &Scope,
        script: &str,
        rule: &Rule,
        key: &str,
    ) -> Result<AST, String> {
        self.engine.compile_with_scope(scope, script).map_err(|error| {
            let (line, column) = position(error.position());
            // Report the place in the YAML file: the key's line, plus the script's own line
            // when the script is a multi-line block (`when: |`).
            let key_line = rule.script_lines.get(key).copied().unwrap_or(rule.place.line);
            let file_line = if script.contains('\n') { key_line + line } else { key_line };
            format!("`{key}` does not compile at {}:{file_line}: {} (script line {line}, column {column})", rule.place.file, error.err_type())
        })
    }

    /// Whether `name` can be called from a condition with `arity` arguments: a function
    /// of `rules/*.rhai` or one built into rhai.
    pub fn has_script_function(&self, name: &str, arity: usize) -> bool {
        self.functions.contains(&(name.to_owned(), arity))
    }

    /// Names of the functions rhai itself provides (`len`, `contains` …). Listing them
    /// formats every signature of the standard library, so only `check` asks.
    pub fn native_function_names(&self) -> BTreeSet<String> {
        self.engine
            .gen_fn_signatures(true)
            .iter()
            .filter_map(|signature| signature.split('(').next())
            .map(|name| {
                name.trim()
                    .trim_start_matches("get$")
                    .trim_start_matches("set$")
                    .to_owned()
            })
            .collect()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}
