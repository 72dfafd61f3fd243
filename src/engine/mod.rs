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

mod direct;
mod sandbox;

use std::collections::BTreeSet;

use indexmap::IndexMap;
use rhai::{Dynamic, Engine, EvalAltResult, Module, Position, Scope, AST};

use crate::diag::{Diagnostic, Diagnostics};
use crate::facts::{Facts, Sighting};
use crate::playbook::{PlaybookFiles, RawPriority, Rule, RuleKind};
use crate::snapshot::Snapshot;
use direct::{slots, Direct, Memo, MemoNumbers};
use sandbox::{sandboxed_engine, timed};
pub use sandbox::{top_level_key, SandboxLimits, LIMITS};

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
    settings: Dynamic,
    /// Playbook-derived values (`derived:`), compiled, in evaluation order.
    derived: Vec<DerivedScript>,
    memo_numbers: MemoNumbers,
    /// Whether simple scripts are evaluated directly (see `direct`); off only to check
    /// that both ways agree.
    direct_evaluation: bool,
}

/// A derived value's script, compiled.
struct DerivedScript {
    name: String,
    script: Result<AST, String>,
    direct: Option<Direct>,
    /// The derived values its script reads (all before it).
    reads: Vec<usize>,
    /// Where it is written.
    file: String,
    line: usize,
}

/// Which derived values of a deal are still to be computed, when they are computed on
/// demand (a pipeline review), and the failures met computing them.
#[derive(Default)]
pub struct Pending {
    waiting: Vec<bool>,
    pub errors: Vec<RuleError>,
}

/// A rule with its scripts compiled. A script that did not compile keeps its message, so
/// the rule is reported at every run instead of silently vanishing.
pub struct CompiledRule {
    pub rule: Rule,
    pub when: Result<AST, String>,
    pub for_each: Option<Result<AST, String>>,
    pub count: Option<Result<AST, String>>,
    pub priority: Option<Result<AST, String>>,
    /// Whether `when` reads `item`; when it does not, `when` is evaluated once before
    /// `for_each`, and a false condition skips building the items at all.
    pub when_reads_item: bool,
    /// `when`, `for_each` and `priority` evaluated without rhai where they are simple
    /// enough.
    when_direct: Option<Direct>,
    for_each_direct: Option<Direct>,
    count_direct: Option<Direct>,
    priority_direct: Option<Direct>,
    /// The derived values read by `when`, `for_each`, `priority` and the titles.
    when_reads: Vec<usize>,
    item_reads: Vec<usize>,
    count_reads: Vec<usize>,
    priority_reads: Vec<usize>,
    title_reads: Vec<usize>,
    /// `for_each` is `[name]`, one element that cannot fail, and neither `when` nor
    /// `priority` reads `item`: the rule fires once whatever the element, so a review,
    /// which shows one title, builds it only for the move it shows.
    single_item: Option<usize>,
    /// Neither `when` nor `priority` reads `item`, so every element fires alike: with a
    /// `count`, a review counts the firings and builds only the shown move's element.
    item_free: bool,
    /// `for_each` is a list written with one element (`[#{…}]`): it fires once.
    one_element: bool,
    /// A title reads `item`: only then is a deferred element built for it.
    title_reads_item: bool,
}

/// A rule that failed at run time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleError {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl RuleError {
    /// `rule` failed with `message`.
    pub fn of(rule: &Rule, message: String) -> RuleError {
        RuleError {
            id: rule.id.clone(),
            file: rule.place.file.clone(),
            line: rule.place.line,
            message,
        }
    }
}

/// One firing of a rule: the rule, and the `for_each` element it fired for.
pub struct Firing {
    pub rule_index: usize,
    pub item: Option<Dynamic>,
    pub priority: Option<i64>,
    /// The element was not built (see `CompiledRule::single_item`); [`ScriptEngine::item`]
    /// builds it.
    pub deferred: bool,
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
        match timed(&limits, || {
            Module::eval_ast_as_new(Scope::new(), &library, &engine)
        }) {
            Ok(module) => {
                engine.register_global_module(module.into());
            }
            Err(error) => problems.push(top_level_failure(
                &engine,
                &library,
                &top_levels,
                &error,
                &limits,
            )),
        }
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
            settings,
            derived: Vec::new(),
            memo_numbers: MemoNumbers::default(),
            direct_evaluation: true,
        };
        scripts.compile_derived(derived, &mut problems);
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
        let count = rule
            .count
            .as_ref()
            .map(|script| self.compile_script(&scope, script, &rule, "count"));
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
        let count_direct = count.as_ref().and_then(|script| self.direct(script));
        let priority_direct = priority.as_ref().and_then(|script| self.direct(script));
        let when_reads = self.derived_read(when.iter());
        let item_reads = self.derived_read(for_each.iter().flatten());
        let priority_reads = self.derived_read(priority.iter().flatten());
        let count_reads = self.derived_read(count.iter().flatten());
        let title_names: Vec<&str> = rule
            .title
            .languages()
            .flat_map(|(_, title)| crate::coach::template::placeholders(title))
            .filter_map(|placeholder| {
                crate::coach::template::parse_placeholder(placeholder)
                    .0
                    .first()
                    .copied()
            })
            .collect();
        let title_reads = self.derived_named(|name| title_names.contains(&name));
        let title_reads_item = title_names.contains(&"item");
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
            count,
            priority,
            when_reads_item,
            when_direct,
            for_each_direct,
            count_direct,
            priority_direct,
            when_reads,
            item_reads,
            count_reads,
            priority_reads,
            title_reads,
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

    /// The derived values (by position) any of `scripts` reads.
    fn derived_read<'a>(&self, scripts: impl Iterator<Item = &'a AST>) -> Vec<usize> {
        let mut names = BTreeSet::new();
        for ast in scripts {
            names.extend(variables_read(ast));
        }
        self.derived_named(|name| names.contains(name))
    }

    fn derived_named(&self, wanted: impl Fn(&str) -> bool) -> Vec<usize> {
        (0..self.derived.len())
            .filter(|index| wanted(&self.derived[*index].name))
            .collect()
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
        let ast = script.as_ref().ok()?;
        let script_functions: Vec<&str> = self
            .functions
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let layout = self.layout();
        let item = layout.len() - 1;
        Direct::compile(ast, &layout, &script_functions, item, &self.memo_numbers)
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
    /// names like a rule's, with strict variables.
    pub fn compile_condition(&self, script: &str) -> Result<AST, String> {
        let scope = self.compile_scope();
        self.engine
            .compile_with_scope(&scope, script)
            .map_err(|error| {
                let (line, column) = position(error.position());
                format!("{} (line {line}, column {column})", error.err_type())
            })
    }

    /// The value of a condition compiled by [`Self::compile_condition`] for this deal;
    /// the derived values it reads are computed first when they are pending.
    pub fn condition_value(
        &self,
        scope: &mut Scope<'static>,
        ast: &AST,
        pending: Option<&mut Pending>,
    ) -> Result<bool, String> {
        if let Some(pending) = pending {
            let reads = self.derived_read(std::iter::once(ast));
            self.ensure(scope, pending, &reads);
        }
        self.run(scope, ast)?
            .as_bool()
            .map_err(|type_name| format!("`when` gave {type_name}, not true or false"))
    }

    /// Compiles the playbook's `derived:` values, each seeing those before it.
    fn compile_derived(
        &mut self,
        derived: &IndexMap<String, crate::playbook::DerivedValue>,
        problems: &mut Diagnostics,
    ) {
        for (name, value) in derived {
            let scope = self.compile_scope();
            let compiled = self.engine.compile_with_scope(&scope, &value.script).map_err(|error| {
                let (line, column) = position(error.position());
                format!("`derived.{name}` does not compile: {} (script line {line}, column {column})", error.err_type())
            });
            if let Err(message) = &compiled {
                problems.push(Diagnostic::error(
                    &value.file,
                    value.line,
                    0,
                    message.clone(),
                ));
            }
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
        }
    }

    /// Computes the derived values `needed` (and those they read) that are still waiting.
    fn ensure(&self, scope: &mut Scope<'static>, pending: &mut Pending, needed: &[usize]) {
        for &index in needed {
            if !pending.waiting.get(index).copied().unwrap_or(false) {
                continue;
            }
            self.ensure(scope, pending, &self.derived[index].reads);
            let value = self.derived_value(index, scope, &mut Memo::default(), &mut pending.errors);
            if let Some(placeholder) = scope.get_mut(&self.derived[index].name) {
                *placeholder = value.into_read_only();
            }
            pending.waiting[index] = false;
        }
    }

    /// One derived value, evaluated in `scope`; a failure is recorded and gives `()`.
    fn derived_value(
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
            .and_then(|direct| direct.eval_value(&slots(scope), memo));
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

    /// The scope every rule of one deal reads: the snapshot's sections, its merged
    /// signals and objections, the facts and the settings, all constant so that one
    /// rule cannot change what the next one sees.
    pub fn deal_scope(
        &self,
        snapshot: &Snapshot,
        signals: &[Sighting],
        objections: &[Sighting],
        facts: &Facts,
    ) -> Result<Scope<'static>, String> {
        let convert = |value: Result<Dynamic, Box<EvalAltResult>>| {
            value.map_err(|error| format!("cannot give the deal to scripts: {error}"))
        };
        let mut scope = Scope::new();
        scope.push_constant_dynamic("deal", convert(rhai::serde::to_dynamic(&snapshot.deal))?);
        scope.push_constant_dynamic(
            "account",
            convert(rhai::serde::to_dynamic(&snapshot.account))?,
        );
        scope.push_constant_dynamic(
            "information",
            convert(rhai::serde::to_dynamic(&snapshot.information))?,
        );
        scope.push_constant_dynamic(
            "stakeholders",
            convert(rhai::serde::to_dynamic(&snapshot.stakeholders))?,
        );
        scope.push_constant_dynamic("objections", convert(rhai::serde::to_dynamic(objections))?);
        scope.push_constant_dynamic("signals", convert(rhai::serde::to_dynamic(signals))?);
        scope.push_constant_dynamic(
            "questions",
            convert(rhai::serde::to_dynamic(&snapshot.questions))?,
        );
        scope.push_constant_dynamic(
            "activities",
            convert(rhai::serde::to_dynamic(&snapshot.activities))?,
        );
        scope.push_constant_dynamic("facts", convert(rhai::serde::to_dynamic(facts))?);
        scope.push_constant_dynamic("settings", self.settings.clone());
        Ok(scope)
    }

    /// Runs one script under the sandbox; the scope is restored afterwards, so a `let`
    /// in one rule never leaks into the next.
    pub fn run(&self, scope: &mut Scope<'static>, ast: &AST) -> Result<Dynamic, String> {
        let depth = scope.len();
        let result = timed(&self.limits, || {
            self.engine.eval_ast_with_scope::<Dynamic>(scope, ast)
        });
        scope.rewind(depth);
        result.map_err(|error| {
            let message = describe_error(&error, &self.limits);
            // The time budget is the one limit whose outcome depends on the machine: name
            // the deal it was met on, so that the failure can be found and re-run.
            match deal_id(scope).filter(|_| over_time_budget(&error)) {
                Some(id) => format!("{message} on deal `{id}`"),
                None => message,
            }
        })
    }

    /// Evaluates every rule against one deal's scope: which fired (once per `for_each`
    /// element), and which failed.
    pub fn evaluate(
        &self,
        rules: &[CompiledRule],
        scope: &mut Scope<'static>,
    ) -> (Vec<Firing>, Vec<RuleError>) {
        self.evaluate_with(rules, scope, None)
    }

    /// [`Self::evaluate`] for a headline: derived values computed on demand (`pending`,
    /// from [`Self::push_derived_lazily`]) and single elements left to [`Self::item`].
    pub fn evaluate_headline(
        &self,
        rules: &[CompiledRule],
        scope: &mut Scope<'static>,
        pending: &mut Pending,
    ) -> (Vec<Firing>, Vec<RuleError>) {
        self.evaluate_with(rules, scope, Some(pending))
    }

    /// Readies the title of a firing of `compiled` for filling: computes the derived values
    /// it reads, and gives the element it fired for — `built` when the firing has one,
    /// else, for a deferred firing whose title reads `item`, the element built now.
    pub fn title_item(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        pending: &mut Pending,
        built: Option<Dynamic>,
        deferred: bool,
    ) -> Option<Dynamic> {
        self.ensure(scope, pending, &compiled.title_reads);
        if !deferred {
            return built;
        }
        if !compiled.title_reads_item {
            return None;
        }
        self.ensure(scope, pending, &compiled.item_reads);
        if let Some(slot) = compiled.single_item {
            return slots(scope).get(slot).map(|value| (*value).clone());
        }
        // Counted firings are alike: the first element is the shown one.
        let for_each = compiled.for_each.as_ref()?.as_ref().ok()?;
        let items = self.items(compiled, scope, for_each).ok()?;
        items.into_iter().next()
    }

    fn evaluate_with(
        &self,
        rules: &[CompiledRule],
        scope: &mut Scope<'static>,
        mut pending: Option<&mut Pending>,
    ) -> (Vec<Firing>, Vec<RuleError>) {
        let mut firings = Vec::new();
        let mut errors = Vec::new();
        // With derived values computed on demand, those the conditions read are computed
        // first (trying to skip the ones behind a false `&&` cost more than it saved).
        if let Some(pending) = pending.as_deref_mut() {
            for compiled in rules {
                self.ensure(scope, pending, &compiled.when_reads);
            }
        }
        // Conditions that do not read `item` have one value per deal: decide the simple
        // ones first, while the scope is only read.
        let mut decided = vec![None; rules.len()];
        self.decide(rules, scope, &mut decided);
        let most = self.limits.max_firings_per_deal;
        for (rule_index, compiled) in rules.iter().enumerate() {
            let evaluated = self
                .evaluate_rule(compiled, scope, decided[rule_index], pending.as_deref_mut())
                .and_then(|fired| {
                    // Bounded work per deal: past the limit a rule's firings are left out
                    // (rules that do not fire still run).
                    if firings.len() + fired.len() > most {
                        Err(format!(
                            "fired {} times, past the deal's {most} firings (sandbox.max_firings_per_deal): its firings are left out",
                            fired.len()
                        ))
                    } else {
                        Ok(fired)
                    }
                });
            match evaluated {
                Ok(mut fired) => {
                    for firing in &mut fired {
                        firing.rule_index = rule_index;
                    }
                    firings.extend(fired);
                }
                Err(message) => errors.push(RuleError::of(&compiled.rule, message)),
            }
        }
        (firings, errors)
    }

    /// Decides the undecided conditions that do not read `item` and are simple enough,
    /// while the scope is only read.
    fn decide(&self, rules: &[CompiledRule], scope: &Scope<'static>, decided: &mut [Option<bool>]) {
        let slots = slots(scope);
        let mut memo = Memo::default();
        for (compiled, decided) in rules.iter().zip(decided) {
            if decided.is_some() || compiled.when_reads_item {
                continue;
            }
            if let Some(direct) = self.enabled(compiled.when_direct.as_ref()) {
                *decided = direct.eval_bool(&slots, &mut memo);
            }
        }
    }

    fn evaluate_rule(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        decided: Option<bool>,
        pending: Option<&mut Pending>,
    ) -> Result<Vec<Firing>, String> {
        let when = compiled.when.as_ref().map_err(Clone::clone)?;
        let Some(for_each) = &compiled.for_each else {
            let holds = match decided {
                Some(holds) => holds,
                None => self.condition(scope, when, None)?,
            };
            if holds {
                if let Some(pending) = pending {
                    self.ensure(scope, pending, &compiled.priority_reads);
                }
            }
            return Ok(if holds {
                vec![Firing {
                    rule_index: 0,
                    item: None,
                    priority: self.priority(compiled, scope)?,
                    deferred: false,
                }]
            } else {
                Vec::new()
            });
        };
        // A condition that does not look at `item` has one value for every item: check it
        // first, and build the items only when it holds.
        let condition_holds = match decided {
            Some(holds) => Some(holds),
            None if compiled.when_reads_item => None,
            None => Some(self.condition(scope, when, None)?),
        };
        if condition_holds == Some(false) {
            return Ok(Vec::new());
        }
        // A `for_each` that does not compile fails its rule even where it would not run.
        let for_each = for_each.as_ref().map_err(Clone::clone)?;
        if let Some(pending) = pending {
            self.ensure(scope, pending, &compiled.priority_reads);
            let count = match (&compiled.count, compiled.single_item, compiled.item_free) {
                (_, Some(_), _) => Some(1),
                (_, None, true) if compiled.one_element => Some(1),
                (Some(count), None, true) => {
                    self.ensure(scope, pending, &compiled.count_reads);
                    Some(self.count(compiled, scope, count)?)
                }
                _ => None,
            };
            if let Some(count) = count {
                // Every element fires alike; only the shown one is built (`item`).
                let priority = self.priority(compiled, scope)?;
                return Ok((0..count)
                    .map(|_| Firing {
                        rule_index: 0,
                        item: None,
                        priority,
                        deferred: true,
                    })
                    .collect());
            }
            self.ensure(scope, pending, &compiled.item_reads);
        }
        let items = self.items(compiled, scope, for_each)?;
        let mut firings = Vec::new();
        for item in items {
            let depth = scope.len();
            scope.push_constant_dynamic("item", item.clone());
            let fired = match condition_holds {
                Some(holds) => Ok(holds),
                None => self.condition(scope, when, compiled.when_direct.as_ref()),
            }
            .and_then(|fired| Ok((fired, self.priority(compiled, scope)?)));
            scope.rewind(depth);
            let (fired, priority) = fired?;
            if fired {
                firings.push(Firing {
                    rule_index: 0,
                    item: Some(item),
                    priority,
                    deferred: false,
                });
            }
        }
        Ok(firings)
    }

    /// A script's value: directly when it is simple enough, else by rhai; a failure
    /// names the rule key the script is under.
    fn value_of(
        &self,
        direct: Option<&Direct>,
        script: &AST,
        scope: &mut Scope<'static>,
        key: &str,
    ) -> Result<Dynamic, String> {
        let known = self
            .enabled(direct)
            .and_then(|direct| direct.eval_value(&slots(scope), &mut Memo::default()));
        match known {
            Some(value) => Ok(value),
            None => self
                .run(scope, script)
                .map_err(|message| format!("`{key}` failed: {message}")),
        }
    }

    /// The elements `for_each` gives.
    fn items(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        for_each: &AST,
    ) -> Result<rhai::Array, String> {
        let items = self.value_of(
            compiled.for_each_direct.as_ref(),
            for_each,
            scope,
            "for_each",
        )?;
        let type_name = items.type_name();
        let items = items
            .into_array()
            .map_err(|_| format!("`for_each` gave {type_name}, not a list"))?;
        let most = self.limits.max_elements_per_rule;
        if items.len() > most {
            return Err(format!(
                "`for_each` gave {} elements, more than {most} (sandbox.max_elements_per_rule)",
                items.len()
            ));
        }
        Ok(items)
    }

    /// How many elements the rule's `count` says `for_each` gives.
    fn count(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        count: &Result<AST, String>,
    ) -> Result<usize, String> {
        let script = count.as_ref().map_err(Clone::clone)?;
        let value = self.value_of(compiled.count_direct.as_ref(), script, scope, "count")?;
        let number = value
            .as_int()
            .map_err(|type_name| format!("`count` gave {type_name}, not a whole number"))?;
        let most = self.limits.max_elements_per_rule;
        usize::try_from(number)
            .ok()
            .filter(|number| *number <= most)
            .ok_or_else(|| {
                format!(
                    "`count` gave {number}: a count is 0 to {most} (sandbox.max_elements_per_rule)"
                )
            })
    }

    fn condition(
        &self,
        scope: &mut Scope<'static>,
        when: &AST,
        direct: Option<&Direct>,
    ) -> Result<bool, String> {
        self.value_of(direct, when, scope, "when")?
            .as_bool()
            .map_err(|type_name| format!("`when` gave {type_name}, not true or false"))
    }

    fn priority(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
    ) -> Result<Option<i64>, String> {
        match (&compiled.rule.kind, &compiled.priority) {
            (
                RuleKind::Move {
                    priority: RawPriority::Fixed(fixed),
                },
                _,
            ) => Ok(Some(*fixed)),
            (RuleKind::Move { .. }, Some(script)) => {
                let script = script.as_ref().map_err(Clone::clone)?;
                let value =
                    self.value_of(compiled.priority_direct.as_ref(), script, scope, "priority")?;
                priority_of(&value).map(Some)
            }
            _ => Ok(None),
        }
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

/// Where the statements outside functions failed: the file whose own statements fail
/// (each run alone, with every function), at the place rhai gives.
fn top_level_failure(
    engine: &Engine,
    library: &AST,
    top_levels: &[(&crate::playbook::SourceFile, AST)],
    error: &EvalAltResult,
    limits: &SandboxLimits,
) -> Diagnostic {
    let functions = library.clone_functions_only();
    let failing = top_levels.iter().find_map(|(file, ast)| {
        if top_levels.len() == 1 {
            return Some((*file, None));
        }
        let alone = functions.merge(&ast.clone_statements_only());
        timed(limits, || engine.run_ast(&alone))
            .err()
            .map(|error| (*file, Some(error)))
    });
    let Some((file, own_error)) = failing else {
        return Diagnostic::error(
            "rules",
            0,
            0,
            format!(
                "the scripts failed while loading: {}",
                describe_error(error, limits)
            ),
        );
    };
    let error = own_error.as_deref().unwrap_or(error);
    // A failure inside a function called from the statements is placed at the call.
    let (line, column) = position(error.position());
    Diagnostic::error(
        &file.path,
        line,
        column,
        format!(
            "the statements outside functions failed while loading: {}",
            describe_error(error, limits)
        ),
    )
    .with_source(&file.text)
}

/// A priority script's value as a priority: a whole number or a float within 0..=100
/// (a float rounded). Anything else — NaN, an infinity, 1e300 — is an error naming the
/// value, never clamped or cast into range.
fn priority_of(value: &Dynamic) -> Result<i64, String> {
    const RANGE: &str = "a priority is a number from 0 to 100";
    if let Ok(number) = value.as_int() {
        return if (0..=100).contains(&number) {
            Ok(number)
        } else {
            Err(format!("`priority` gave {number}: {RANGE}"))
        };
    }
    let number = value
        .as_float()
        .map_err(|type_name| format!("`priority` gave {type_name}, not a number"))?;
    if number.is_finite() && (0.0..=100.0).contains(&number) {
        Ok(number.round() as i64)
    } else {
        Err(format!("`priority` gave {}: {RANGE}", show_float(number)))
    }
}

/// A float as a trainer wrote it: `NaN`, `inf`, `1e300`, `150.5`.
fn show_float(number: f64) -> String {
    if number.is_finite() && number.abs() >= 1e15 {
        format!("{number:e}")
    } else {
        number.to_string()
    }
}

/// Whether the evaluation was stopped by the time budget, in the script or in a function
/// it called.
fn over_time_budget(error: &EvalAltResult) -> bool {
    match error {
        EvalAltResult::ErrorTerminated(..) => true,
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => over_time_budget(inner),
        _ => false,
    }
}

/// `deal.id` of the deal in `scope`.
fn deal_id(scope: &Scope) -> Option<String> {
    let deal = scope.get("deal")?.read_lock::<rhai::Map>()?;
    deal.get("id")
        .and_then(|id| id.clone().into_immutable_string().ok())
        .map(|id| id.to_string())
}

/// A rhai error in words a trainer can act on, with the script place when there is one.
pub fn describe_error(error: &EvalAltResult, limits: &SandboxLimits) -> String {
    match error {
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "exceeded {} operations (sandbox.max_operations)",
            limits.max_operations
        ),
        EvalAltResult::ErrorTerminated(_, _) => {
            format!(
                "exceeded the {} ms time budget (sandbox.max_milliseconds_per_rule)",
                limits.max_milliseconds_per_rule
            )
        }
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "exceeded {} nested calls (sandbox.max_call_depth)",
            limits.max_call_depth
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            format!("{what} exceeded the sandbox's size limit")
        }
        EvalAltResult::ErrorFunctionNotFound(signature, place) => {
            format!("function not found: {signature}{}", at(*place))
        }
        EvalAltResult::ErrorInFunctionCall(name, source, inner, place) => {
            let source = if source.is_empty() {
                String::new()
            } else {
                format!(" in {source}")
            };
            format!(
                "in function `{name}`{source}{}: {}",
                at(*place),
                describe_error(inner, limits)
            )
        }
        EvalAltResult::ErrorPropertyNotFound(property, place) => {
            format!(
                "no field `{property}`{} (a misspelt name? see docs/playbooks.md for the facts)",
                at(*place)
            )
        }
        other => {
            let mut text = other.to_string();
            if let Some(index) = text.rfind(" (line ") {
                text.truncate(index);
            }
            format!("{text}{}", at(other.position()))
        }
    }
}

fn at(place: Position) -> String {
    match (place.line(), place.position()) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    }
}

/// Whether the script is a list written with one element, `[…]`.
fn one_element_list(ast: &AST) -> bool {
    matches!(ast.statements(), [rhai::Stmt::Expr(expr)]
        if matches!(expr.as_ref(), rhai::Expr::Array(elements, _) if elements.len() == 1))
}

/// The variables the script reads (or assigns), in one walk of its tree.
fn variables_read(ast: &AST) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    ast.walk(&mut |path: &[rhai::ASTNode]| {
        if let Some(rhai::ASTNode::Expr(rhai::Expr::Variable(variable, _, _))) = path.last() {
            names.insert(variable.1.to_string());
        }
        true
    });
    names
}

/// Whether the script reads the variable `name` anywhere.
pub fn reads_variable(ast: &AST, name: &str) -> bool {
    let mut found = false;
    ast.walk(&mut |path: &[rhai::ASTNode]| {
        if let Some(rhai::ASTNode::Expr(rhai::Expr::Variable(variable, _, _))) = path.last() {
            if variable.1.as_str() == name {
                found = true;
            }
        }
        !found
    });
    found
}

/// A rhai position as (line, column), 0 when unknown.
pub fn position(place: Position) -> (usize, usize) {
    (place.line().unwrap_or(0), place.position().unwrap_or(0))
}

fn function_line(text: &str, name: &str) -> usize {
    let needle = format!("fn {name}(");
    text.lines()
        .position(|line| line.contains(&needle))
        .map_or(0, |index| index + 1)
}
