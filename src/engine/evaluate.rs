//! Running the compiled rules on one deal: the deal's scope, each rule's condition,
//! elements and priority, and the firings they give.

use rhai::serde::to_dynamic;
use rhai::{Dynamic, Scope, AST};

use super::*;

/// One firing of a rule: the rule, and the `for_each` element it fired for.
pub struct Firing {
    pub rule_index: usize,
    pub item: Option<Dynamic>,
    pub priority: Option<i64>,
    /// The element was not built (see `CompiledRule::single_item`); [`ScriptEngine::item`]
    /// builds it.
    pub deferred: bool,
}

/// A priority script's value as a priority: a whole number or a float within 0..=100
/// (a float rounded). Anything else — NaN, an infinity, 1e300 — is an error naming the
/// value, never clamped or cast into range.
pub(super) fn priority_of(value: &Dynamic) -> Result<i64, String> {
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
pub(super) fn show_float(number: f64) -> String {
    if number.is_finite() && number.abs() >= 1e15 {
        format!("{number:e}")
    } else {
        number.to_string()
    }
}

/// Builds one section of a deal's scope as a rhai value.
type BuildSection<'a> = dyn Fn() -> Result<Dynamic, Box<EvalAltResult>> + 'a;

impl ScriptEngine {
    /// The scope every rule of one deal reads: the snapshot's sections, its merged
    /// signals and objections, the facts and the settings, all constant so that one
    /// rule cannot change what the next one sees.
    pub fn deal_scope(
        &self,
        snapshot: &Snapshot,
        signals: &[Sighting],
        objections: &[Sighting],
        facts: &std::sync::Arc<Facts>,
    ) -> Result<Scope<'static>, String> {
        let mut scope = Scope::new();
        // A section no script or text of the playbook reads is `()`: not built per deal.
        let section = |name: &'static str, value: &BuildSection| {
            if self.reads_section(name) {
                value().map_err(|error| format!("cannot give the deal to scripts: {error}"))
            } else {
                Ok(Dynamic::UNIT)
            }
        };
        let sections: [(&str, &BuildSection); 8] = [
            ("deal", &|| to_dynamic(&snapshot.deal)),
            ("account", &|| to_dynamic(&snapshot.account)),
            ("information", &|| to_dynamic(&snapshot.information)),
            ("stakeholders", &|| to_dynamic(&snapshot.stakeholders)),
            ("objections", &|| to_dynamic(objections)),
            ("signals", &|| to_dynamic(signals)),
            ("questions", &|| to_dynamic(&snapshot.questions)),
            ("activities", &|| to_dynamic(&snapshot.activities)),
        ];
        for (name, value) in sections {
            scope.push_constant_dynamic(name, section(name, value)?);
        }
        // The facts: a field at a time as the scripts read them, the whole map only for a
        // script rhai runs ([`Self::whole_facts`]); when some script reads `facts` whole,
        // or every script runs in rhai (the reference of the tests), the whole map now.
        match (&self.facts_names, self.direct_evaluation) {
            (Some(names), true) => {
                let lazy = super::picked::LazyFacts::new(facts.clone(), names.clone());
                // Writable, to be replaced by the whole map; rhai never runs before that.
                scope.push_dynamic("facts", Dynamic::from(lazy));
            }
            (names, _) => {
                let whole = section("facts", &|| match names {
                    Some(names) => to_dynamic(super::picked::Picked {
                        value: &**facts,
                        keep: names,
                    }),
                    None => to_dynamic(&**facts),
                })?;
                scope.push_constant_dynamic("facts", whole);
            }
        }
        scope.push_constant_dynamic(
            "settings",
            section("settings", &|| Ok(self.settings.clone()))?,
        );
        Ok(scope)
    }

    /// Puts the whole facts map in the scope in place of the [`super::picked::LazyFacts`]
    /// that stands for it, before a script runs in rhai or the scope is handed out.
    pub fn whole_facts(&self, scope: &mut Scope<'static>) -> Result<(), String> {
        // Once whole, `facts` is a constant and `get_mut` gives nothing.
        let Some(slot) = scope.get_mut("facts") else {
            return Ok(());
        };
        let whole = match slot.read_lock::<super::picked::LazyFacts>() {
            Some(lazy) => lazy.whole(),
            None => return Ok(()),
        };
        *slot = whole
            .map_err(|error| format!("cannot give the deal to scripts: {error}"))?
            .into_read_only();
        Ok(())
    }

    /// Runs one script under the sandbox; the scope is restored afterwards, so a `let`
    /// in one rule never leaks into the next.
    pub fn run(&self, scope: &mut Scope<'static>, ast: &AST) -> Result<Dynamic, String> {
        self.whole_facts(scope)?;
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

    /// Readies the `merge` group of a firing of `compiled` for filling: computes the
    /// derived values it reads (a review computes derived values on demand, and a group
    /// whose placeholder has no value merges nothing).
    pub fn merge_ready(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        pending: &mut Pending,
    ) {
        self.ensure(scope, pending, &compiled.merge_reads);
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
        let items = self
            .items(compiled, scope, for_each, &mut pending.memo)
            .ok()?;
        items.into_iter().next()
    }

    pub(super) fn evaluate_with(
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
        // One memo for the deal: a path such as `facts.open` is read once, whichever
        // script reads it first.
        let mut memo = Memo::default();
        let mut decided = vec![None; rules.len()];
        self.decide(rules, scope, &mut decided, &mut memo);
        let most = self.limits.max_firings_per_deal;
        for (rule_index, compiled) in rules.iter().enumerate() {
            let evaluated = self
                .evaluate_rule(
                    compiled,
                    scope,
                    decided[rule_index],
                    pending.as_deref_mut(),
                    &mut memo,
                )
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
    pub(super) fn decide(
        &self,
        rules: &[CompiledRule],
        scope: &Scope<'static>,
        decided: &mut [Option<bool>],
        memo: &mut Memo,
    ) {
        let slots = slots(scope).calling(self);
        for (compiled, decided) in rules.iter().zip(decided) {
            if decided.is_some() || compiled.when_reads_item {
                continue;
            }
            if let Some(direct) = self.enabled(compiled.when_direct.as_ref()) {
                *decided = direct.eval_bool(&slots, memo);
            }
        }
    }

    pub(super) fn evaluate_rule(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        decided: Option<bool>,
        pending: Option<&mut Pending>,
        memo: &mut Memo,
    ) -> Result<Vec<Firing>, String> {
        let when = compiled.when.as_ref().map_err(Clone::clone)?;
        let Some(for_each) = &compiled.for_each else {
            let holds = match decided {
                Some(holds) => holds,
                None => self.condition(scope, when, None, memo)?,
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
                    priority: self.priority(compiled, scope, memo)?,
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
            None => Some(self.condition(scope, when, None, memo)?),
        };
        if condition_holds == Some(false) {
            return Ok(Vec::new());
        }
        // A `for_each` that does not compile fails its rule even where it would not run.
        let for_each = for_each.as_ref().map_err(Clone::clone)?;
        if let Some(pending) = pending {
            self.ensure(scope, pending, &compiled.priority_reads);
            // A rule that fires once whatever its element: only the shown one is built.
            // Any other `for_each` is built and counted (measured: building the elements
            // of the built-in rules costs a review nothing measurable, so no trainer
            // writes a count for speed).
            let count = match (compiled.single_item, compiled.item_free) {
                (Some(_), _) => Some(1),
                (None, true) if compiled.one_element => Some(1),
                _ => None,
            };
            if let Some(count) = count {
                // Every element fires alike; only the shown one is built (`item`).
                let priority = self.priority(compiled, scope, memo)?;
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
        let items = self.items(compiled, scope, for_each, memo)?;
        let mut firings = Vec::new();
        for item in items {
            let depth = scope.len();
            scope.push_constant_dynamic("item", item.clone());
            let fired = match condition_holds {
                Some(holds) => Ok(holds),
                None => self.condition(scope, when, compiled.when_direct.as_ref(), memo),
            }
            .and_then(|fired| Ok((fired, self.priority(compiled, scope, memo)?)));
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
    pub(super) fn value_of(
        &self,
        direct: Option<&Direct>,
        script: &AST,
        scope: &mut Scope<'static>,
        key: &str,
        memo: &mut Memo,
    ) -> Result<Dynamic, String> {
        let known = self
            .enabled(direct)
            .and_then(|direct| direct.eval_value(&slots(scope).calling(self), memo));
        match known {
            Some(value) => Ok(value),
            None => self
                .run(scope, script)
                .map_err(|message| format!("`{key}` failed: {message}")),
        }
    }

    /// The elements `for_each` gives.
    pub(super) fn items(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        for_each: &AST,
        memo: &mut Memo,
    ) -> Result<rhai::Array, String> {
        let items = self.value_of(
            compiled.for_each_direct.as_ref(),
            for_each,
            scope,
            "for_each",
            memo,
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

    pub(super) fn condition(
        &self,
        scope: &mut Scope<'static>,
        when: &AST,
        direct: Option<&Direct>,
        memo: &mut Memo,
    ) -> Result<bool, String> {
        self.value_of(direct, when, scope, "when", memo)?
            .as_bool()
            .map_err(|type_name| format!("`when` gave {type_name}, not true or false"))
    }

    pub(super) fn priority(
        &self,
        compiled: &CompiledRule,
        scope: &mut Scope<'static>,
        memo: &mut Memo,
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
                let value = self.value_of(
                    compiled.priority_direct.as_ref(),
                    script,
                    scope,
                    "priority",
                    memo,
                )?;
                priority_of(&value).map(Some)
            }
            _ => Ok(None),
        }
    }
}
