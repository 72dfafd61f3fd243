//! Static checks of a playbook folder, beyond what loading already refuses: scripts that
//! would fail at run time (a typo in a variable, a call to a function that exists
//! nowhere), placeholders that name no fact, texts missing in one language, test cases
//! that expect concepts or rules that do not exist. `dealcoach check` prints these with
//! the loader's own problems, all in one run.

use std::collections::BTreeSet;

use rhai::{ASTNode, Expr, AST};

use crate::coach::template::{parse_placeholder, placeholders};
use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::{CompiledRule, SCOPE_NAMES};
use crate::playbook::ScriptPlace;
use crate::playbook::{Lang, Playbook};
use crate::snapshot::places::Places;
use crate::snapshot::{Account, Information, Snapshot};
use crate::trainer::names::{unknown_names, Shape};

/// Functions rhai handles as keywords; they are not in the function registry.
const KEYWORD_FUNCTIONS: &[&str] = &[
    "Fn",
    "call",
    "curry",
    "type_of",
    "print",
    "debug",
    "is_def_var",
    "is_def_fn",
    "is_shared",
    "eval",
];

/// Every static problem of the loaded playbook.
pub fn lint(playbook: &Playbook) -> Diagnostics {
    let mut problems = Diagnostics::default();
    let fields = FieldNames::new(playbook);
    // When a script file does not compile, its functions are unknown and every call to
    // them would be reported too: check calls only against a complete library.
    let broken_scripts: Vec<&str> = playbook
        .files
        .scripts()
        .filter(|file| playbook.scripts.engine().compile(&file.text).is_err())
        .map(|file| file.path.as_str())
        .collect();
    let native = if broken_scripts.is_empty() {
        Some(playbook.scripts.native_function_names())
    } else {
        problems.push(Diagnostic::warning(
            broken_scripts.join(", "),
            0,
            0,
            "calls to functions were not checked: fix this script first, then run check again",
        ));
        None
    };
    let mut sources = Sources::default();
    for compiled in &playbook.rules {
        lint_rule(
            playbook,
            compiled,
            &fields,
            native.as_ref(),
            &mut sources,
            &mut problems,
        );
    }
    if let Some(native) = &native {
        lint_script_files(playbook, native, &mut problems);
    }
    lint_derived(
        playbook,
        native.as_ref(),
        &fields,
        &mut sources,
        &mut problems,
    );
    lint_gates(playbook, &fields, &mut sources, &mut problems);
    lint_tests(playbook, &mut problems);
    lint_labels(playbook, &mut problems);
    lint_judgement(playbook, &mut problems);
    problems
}

/// One voice per concept, and judgement that names concepts that exist.
fn lint_judgement(playbook: &Playbook, problems: &mut Diagnostics) {
    use crate::playbook::RuleKind;
    use crate::views::concept_matches;
    // A concept is said as a move or as a warning, never both: the warning carries its
    // action, or the rep reads the same thing twice.
    let mut kinds: Vec<(&str, bool, &crate::playbook::Rule)> = Vec::new();
    for compiled in &playbook.rules {
        let rule = &compiled.rule;
        let is_move = matches!(rule.kind, RuleKind::Move { .. });
        match kinds
            .iter()
            .find(|(concept, _, _)| *concept == rule.concept)
        {
            Some((_, first_is_move, first)) if *first_is_move != is_move => {
                problems.push(Diagnostic::error(
                    &rule.place.file,
                    rule.place.line,
                    0,
                    format!(
                        "rule `{}` makes concept `{}` a {} but rule `{}` ({}:{}) makes it a {}: one concept is one voice — let the warning carry the action",
                        rule.id,
                        rule.concept,
                        if is_move { "move" } else { "warning" },
                        first.id,
                        first.place.file,
                        first.place.line,
                        if is_move { "warning" } else { "move" },
                    ),
                ));
            }
            Some(_) => {}
            None => kinds.push((&rule.concept, is_move, rule)),
        }
    }
    let names_a_concept = |pattern: &str| {
        playbook
            .rules
            .iter()
            .any(|compiled| concept_matches(&compiled.rule.concept, pattern))
    };
    for compiled in &playbook.rules {
        let rule = &compiled.rule;
        for pattern in &rule.suppresses {
            if !names_a_concept(pattern) {
                problems.push(Diagnostic::warning(
                    &rule.place.file,
                    rule.place.line,
                    0,
                    format!(
                        "rule `{}`: `suppresses` names `{pattern}`, which no rule produces",
                        rule.id
                    ),
                ));
            }
        }
    }
    for (gate, pattern) in playbook.judgement.patterns() {
        if !names_a_concept(pattern) {
            problems.push(Diagnostic::warning(
                &gate.file,
                gate.line,
                0,
                format!(
                    "gate `{}` names `{pattern}`, which no rule produces",
                    gate.name
                ),
            ));
        }
    }
}

/// `message` placed at the label `key` in the playbook file that defines it.
fn at_label(
    playbook: &Playbook,
    key: &str,
    severity: crate::diag::Severity,
    message: String,
) -> Diagnostic {
    let severity = |path: &str, line, column, message| Diagnostic {
        severity,
        ..Diagnostic::error(path, line, column, message)
    };
    let place = playbook.files.playbook_yaml().find_map(|file| {
        let (line, column) = crate::playbook::find_key(&file.text, key);
        (line > 0).then_some((file, line, column))
    });
    match place {
        Some((file, line, column)) => {
            severity(&file.path, line, column, message).with_source(&file.text)
        }
        None => severity(&playbook.origin.label(), 0, 0, message),
    }
}

/// `check --lang CODE`: what a translator still has to write in `lang` — every label and
/// every rule text (title, why, questions) with no `lang` version, which falls back to
/// English. zh and en are always required, so for them this finds nothing new.
pub fn untranslated(playbook: &Playbook, lang: Lang) -> Diagnostics {
    let mut problems = Diagnostics::default();
    if lang == Lang::Zh || lang == Lang::En {
        return problems;
    }
    for key in playbook.labels.keys() {
        if playbook
            .labels
            .get(key)
            .is_some_and(|label| !label.contains_key(lang.code()))
        {
            problems.push(at_label(
                playbook,
                key,
                crate::diag::Severity::Warning,
                format!("label `{key}` has no `{lang}` text: English is shown instead"),
            ));
        }
    }
    for compiled in &playbook.rules {
        let rule = &compiled.rule;
        let mut missing = Vec::new();
        if rule.title.exactly(lang).is_none() {
            missing.push("title");
        }
        if rule.why.exactly(lang).is_none() {
            missing.push("why");
        }
        if rule.questions.exactly(Lang::En).is_some() && rule.questions.exactly(lang).is_none() {
            missing.push("questions");
        }
        if !missing.is_empty() {
            problems.push(Diagnostic::warning(
                &rule.place.file,
                rule.place.line,
                0,
                format!(
                    "rule `{}` has no `{lang}` text for {}: English is shown instead",
                    rule.id,
                    missing
                        .iter()
                        .map(|key| format!("`{key}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    problems
}

/// The label catalog: every label in zh and en, and a label for every concept a rule
/// produces and every word of the snapshot's vocabularies (else the output shows ids).
fn lint_labels(playbook: &Playbook, problems: &mut Diagnostics) {
    let labels = &playbook.labels;
    for key in labels.keys() {
        let Some(label) = labels.get(key) else {
            continue;
        };
        for required in [Lang::Zh, Lang::En] {
            if !label.contains_key(required.code()) {
                problems.push(at_label(
                    playbook,
                    key,
                    crate::diag::Severity::Error,
                    format!(
                        "label `{key}` has no `{required}` text: every label is written in zh and en"
                    ),
                ));
            }
        }
    }
    let mut wanted: Vec<(String, String)> = Vec::new();
    for compiled in &playbook.rules {
        let key = format!("concept.{}", compiled.rule.concept);
        if !wanted.iter().any(|(known, _)| *known == key) {
            wanted.push((
                key,
                format!(
                    "concept `{}` (rule `{}`)",
                    compiled.rule.concept, compiled.rule.id
                ),
            ));
        }
    }
    for vocabulary in crate::snapshot::vocabulary::VOCABULARY_NAMES {
        if matches!(*vocabulary, "objection" | "signal") {
            continue; // their words are concepts: `concept.objection.no_need`
        }
        for word in crate::snapshot::vocabulary::vocabulary_words(vocabulary).unwrap_or_default() {
            wanted.push((
                format!("{vocabulary}.{word}"),
                format!("{vocabulary} `{word}`"),
            ));
        }
    }
    for word in ["early", "middle", "late", "won", "lost"] {
        wanted.push((format!("phase.{word}"), format!("phase `{word}`")));
    }
    let quadrants = &playbook.engine_settings.value.quadrants;
    for quadrant in [
        &quadrants.high_current_high_potential,
        &quadrants.high_current_low_potential,
        &quadrants.low_current_high_potential,
        &quadrants.low_current_low_potential,
    ] {
        wanted.push((
            format!("quadrant.{quadrant}"),
            format!("quadrant `{quadrant}`"),
        ));
    }
    for (key, what) in wanted {
        if !labels.contains(&key) {
            problems.push(Diagnostic::warning(
                playbook.origin.label(),
                0,
                0,
                format!("{what} has no label `{key}`: the output shows it as written"),
            ));
        }
    }
}

/// The position index of each playbook file, built when a script in it is checked.
#[derive(Default)]
struct Sources {
    places: std::collections::HashMap<String, Places>,
}

impl Sources {
    fn of<'a>(&'a mut self, playbook: &Playbook, file: &str) -> &'a Places {
        self.places.entry(file.to_owned()).or_insert_with(|| {
            Places::of(playbook.files.file(file).map_or("", |f| f.text.as_str()))
        })
    }

    /// Where the script under `key` of rule `id` is written.
    fn rule_script(
        &mut self,
        playbook: &Playbook,
        file: &str,
        id: &str,
        key: &str,
    ) -> Option<ScriptPlace> {
        self.entry_script(playbook, file, ("rules", "id", id), key)
    }

    /// Where the script under `key` is written in the entry of the list `list` whose
    /// `name_key` is `name` (a rule by its `id`, a gate by its `name`).
    fn entry_script(
        &mut self,
        playbook: &Playbook,
        file: &str,
        (list, name_key, name): (&str, &str, &str),
        key: &str,
    ) -> Option<ScriptPlace> {
        let text = playbook.files.file(file)?.text.as_str();
        let places = self.of(playbook, file);
        let index = places.children(&[list]).iter().find(|index| {
            places
                .get(&[list, index, name_key])
                .and_then(|place| text.get(place.start.index..place.end.index))
                .is_some_and(|written| written.trim().trim_matches(['"', '\'']) == name)
        })?;
        let place = places.get(&[list, index, key])?;
        Some(ScriptPlace::new(text, place))
    }

    /// Where a `derived:` value is written.
    fn derived_script(
        &mut self,
        playbook: &Playbook,
        file: &str,
        name: &str,
    ) -> Option<ScriptPlace> {
        let text = playbook.files.file(file)?.text.as_str();
        let place = self.of(playbook, file).get(&["derived", name])?;
        Some(ScriptPlace::new(text, place))
    }
}

/// The problems of one script: it does not compile, or it reads fields that do not
/// exist, each placed in the file where the script is written (`what` names the script
/// in the message: ``rule `x`: `when` ``).
#[allow(clippy::too_many_arguments)]
fn lint_script(
    playbook: &Playbook,
    script: &str,
    compiled: &Result<AST, String>,
    with_item: bool,
    fields: &FieldNames,
    place: Option<&ScriptPlace>,
    (file, fallback_line, what): (&str, usize, &str),
    problems: &mut Diagnostics,
) {
    let text = playbook
        .files
        .file(file)
        .map(|file| file.text.as_str())
        .unwrap_or_default();
    let at = |position: rhai::Position| {
        place
            .and_then(|place| place.locate(position))
            .unwrap_or((fallback_line, 0))
    };
    match compiled {
        Err(message) => {
            let problem = match playbook.scripts.compile_problem(script, with_item) {
                Some((why, position)) => {
                    let (line, column) = at(position);
                    Diagnostic::error(
                        file,
                        line,
                        column,
                        format!("{what} does not compile: {why}"),
                    )
                }
                None => Diagnostic::error(file, fallback_line, 0, format!("{what}: {message}")),
            };
            problems.push(problem.with_source(text));
        }
        Ok(ast) => {
            for unknown in unknown_names(ast, &fields.roots) {
                let (line, column) = at(unknown.position);
                problems.push(
                    Diagnostic::error(file, line, column, format!("{what} {}", unknown.message()))
                        .with_source(text),
                );
            }
        }
    }
}

fn lint_rule(
    playbook: &Playbook,
    compiled: &CompiledRule,
    fields: &FieldNames,
    native: Option<&BTreeSet<String>>,
    sources: &mut Sources,
    problems: &mut Diagnostics,
) {
    let rule = &compiled.rule;
    let text = playbook
        .files
        .file(&rule.place.file)
        .map(|file| file.text.as_str())
        .unwrap_or_default();
    let scripts = [
        ("when", Some(&compiled.when)),
        ("for_each", compiled.for_each.as_ref()),
        ("priority", compiled.priority.as_ref()),
    ];
    for (key, script) in scripts {
        let Some(script) = script else { continue };
        let line = rule
            .script_lines
            .get(key)
            .copied()
            .unwrap_or(rule.place.line);
        let source = match key {
            "when" => Some(rule.when.as_str()),
            "for_each" => rule.for_each.as_deref(),
            _ => match &rule.kind {
                crate::playbook::RuleKind::Move {
                    priority: crate::playbook::RawPriority::Expression(script),
                } => Some(script.as_str()),
                _ => None,
            },
        };
        let with_item = rule.for_each.is_some() && matches!(key, "when" | "priority");
        let place = sources.rule_script(playbook, &rule.place.file, &rule.id, key);
        lint_script(
            playbook,
            source.unwrap_or_default(),
            script,
            with_item,
            fields,
            place.as_ref(),
            (
                &rule.place.file,
                line,
                &format!("rule `{}`: `{key}`", rule.id),
            ),
            problems,
        );
        match script {
            Err(_) => {}
            Ok(ast) => {
                let Some(native) = native else { continue };
                for message in undefined_functions(playbook, native, ast) {
                    problems.push(
                        Diagnostic::error(
                            &rule.place.file,
                            line,
                            0,
                            format!("rule `{}`: `{key}` {message}", rule.id),
                        )
                        .with_source(text),
                    );
                }
            }
        }
    }
    // `merge` too: a merge group naming a person (`person {{item.from}}`) with a misspelt
    // name would merge nothing, silently.
    for (key, template) in rule.templates() {
        for placeholder in placeholders(template) {
            if let Some(problem) = fields.problem(placeholder, rule.for_each.is_some()) {
                let (line, column) = find_placeholder(text, rule.place.line, placeholder);
                problems.push(
                    Diagnostic::error(
                        &rule.place.file,
                        line,
                        column,
                        format!(
                            "rule `{}`: `{key}` placeholder `{{{{{placeholder}}}}}` {problem}",
                            rule.id
                        ),
                    )
                    .with_source(text),
                );
            }
        }
    }
    // Every item says why: a `why` line whose fact is unknown is left out, so a rule whose
    // every line reads a fact can print a move with no reason at all.
    let why = rule.why.get(Lang::En);
    if !why.is_empty() && why.iter().all(|line| !placeholders(line).is_empty()) {
        problems.push(Diagnostic::warning(
            &rule.place.file,
            rule.place.line,
            0,
            format!(
                "rule `{}`: every `why` line reads a fact that may be unknown, so the advice can come with no reason: add one line that always holds (why it matters)",
                rule.id
            ),
        ));
    }
    let lines =
        |texts: &crate::playbook::TextList, lang: Lang| texts.exactly(lang).map_or(0, Vec::len);
    for (key, zh, en) in [
        (
            "why",
            lines(&rule.why, Lang::Zh),
            lines(&rule.why, Lang::En),
        ),
        (
            "questions",
            lines(&rule.questions, Lang::Zh),
            lines(&rule.questions, Lang::En),
        ),
    ] {
        if zh != en {
            problems.push(Diagnostic::warning(
                &rule.place.file,
                rule.place.line,
                0,
                format!("rule `{}`: `{key}` has {zh} zh lines but {en} en lines: one language is missing a reason", rule.id),
            ));
        }
    }
}

/// Calls to functions defined neither in `rules/*.rhai` nor by rhai, and calls with the
/// wrong number of arguments.
fn undefined_functions(playbook: &Playbook, native: &BTreeSet<String>, ast: &AST) -> Vec<String> {
    undefined_calls(playbook, native, ast)
        .into_iter()
        .map(|(message, position)| {
            let place = position
                .line()
                .map(|l| format!(" (script line {l})"))
                .unwrap_or_default();
            match message.split_once(" — ") {
                Some((message, hint)) => format!("{message}{place} — {hint}"),
                None => format!("{message}{place}"),
            }
        })
        .collect()
}

/// [`undefined_functions`], each message with the call's place in the script. rhai's
/// functions that block or read the clock (`sleep`, `timestamp`) are not in the sandbox,
/// so calls to them are reported here too.
fn undefined_calls(
    playbook: &Playbook,
    native: &BTreeSet<String>,
    ast: &AST,
) -> Vec<(String, rhai::Position)> {
    let scripts = &playbook.scripts;
    let local: BTreeSet<(String, usize)> = ast
        .iter_functions()
        .map(|f| (f.name.to_owned(), f.params.len()))
        .collect();
    let mut messages = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        // A call is an expression, or a statement of its own (`sleep(1); true`).
        let call = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, position))) => Some((call, *position)),
            Some(ASTNode::Stmt(rhai::Stmt::FnCall(call, position))) => Some((call, *position)),
            _ => None,
        };
        if let Some((call, position)) = call {
            let name = call.name.as_str();
            let arity = call.args.len();
            let plain = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') && !name.starts_with("anon$");
            if plain && call.op_token.is_none() && call.namespace.is_empty() {
                let defined = local.contains(&(name.to_owned(), arity))
                    || scripts.has_script_function(name, arity)
                    || native.contains(name)
                    || KEYWORD_FUNCTIONS.contains(&name);
                if !defined {
                    let arities: Vec<usize> = scripts.functions.iter().filter(|(n, _)| n == name).map(|(_, a)| *a).collect();
                    if arities.is_empty() {
                        let names = scripts.functions.iter().map(|(n, _)| n.as_str());
                        let hint = crate::diag::did_you_mean(name, names).map(|n| format!(" — did you mean `{n}`?")).unwrap_or_default();
                        messages.push((format!("calls the unknown function `{name}`: no rules/*.rhai file defines it and the sandbox does not provide it{hint}"), position));
                    } else {
                        messages.push((format!("calls `{name}` with {arity} arguments, but it takes {arities:?}"), position));
                    }
                }
            }
        }
        true
    });
    messages
}

/// Calls to unknown functions in the `rules/*.rhai` files themselves, placed at the call.
fn lint_script_files(playbook: &Playbook, native: &BTreeSet<String>, problems: &mut Diagnostics) {
    for file in playbook.files.scripts() {
        let Ok(ast) = playbook.scripts.engine().compile(&file.text) else {
            continue;
        };
        for (message, position) in undefined_calls(playbook, native, &ast) {
            let (line, column) = crate::engine::position(position);
            problems
                .push(Diagnostic::error(&file.path, line, column, message).with_source(&file.text));
        }
    }
}

/// Unknown fields and calls to unknown functions in the `derived:` values.
/// [`lint_script`] for a script that compiled (one that did not is reported where it is
/// compiled), read without `item`.
fn lint_compiled(
    playbook: &Playbook,
    ast: &AST,
    fields: &FieldNames,
    place: Option<&ScriptPlace>,
    at: (&str, usize, &str),
    problems: &mut Diagnostics,
) {
    lint_script(
        playbook,
        "",
        &Ok(ast.clone()),
        false,
        fields,
        place,
        at,
        problems,
    );
}

/// A gate's `when:` reads the deal as a rule's does: each field it reads must exist. (A
/// `when:` that does not compile is reported as the gates are loaded.)
fn lint_gates(
    playbook: &Playbook,
    fields: &FieldNames,
    sources: &mut Sources,
    problems: &mut Diagnostics,
) {
    for gate in &playbook.judgement.gates {
        let Ok(crate::engine::Condition { ast, .. }) = &gate.when else {
            continue;
        };
        let place =
            sources.entry_script(playbook, &gate.file, ("gates", "name", &gate.name), "when");
        let what = format!("gate `{}`: `when`", gate.name);
        lint_compiled(
            playbook,
            ast,
            fields,
            place.as_ref(),
            (&gate.file, gate.line, &what),
            problems,
        );
    }
}

fn lint_derived(
    playbook: &Playbook,
    native: Option<&BTreeSet<String>>,
    fields: &FieldNames,
    sources: &mut Sources,
    problems: &mut Diagnostics,
) {
    for (name, ast, file, line) in playbook.scripts.derived_scripts() {
        let text = playbook
            .files
            .file(file)
            .map(|f| f.text.as_str())
            .unwrap_or_default();
        let place = sources.derived_script(playbook, file, name);
        let what = format!("`derived.{name}`");
        lint_compiled(
            playbook,
            ast,
            fields,
            place.as_ref(),
            (file, line, &what),
            problems,
        );
        let Some(native) = native else { continue };
        for message in undefined_functions(playbook, native, ast) {
            problems.push(
                Diagnostic::error(file, line, 0, format!("`derived.{name}` {message}"))
                    .with_source(text),
            );
        }
    }
}

/// The field names a placeholder may use, taken from the real types so they never drift.
struct FieldNames {
    facts: BTreeSet<String>,
    deal: BTreeSet<String>,
    account: BTreeSet<String>,
    information: BTreeSet<String>,
    person: BTreeSet<String>,
    value: BTreeSet<String>,
    who: BTreeSet<String>,
    objection_counts: BTreeSet<String>,
    gaps: BTreeSet<String>,
    settings: BTreeSet<String>,
    derived: BTreeSet<String>,
    /// Every prefix of a label key (`concept`, `concept.objection` …): what `| label:`
    /// may name.
    vocabularies: BTreeSet<String>,
    /// The units of the catalog (`visit` for `unit.visit`): what `| count:` may name.
    units: BTreeSet<String>,
    /// The shapes of the names a script may read, for following its field reads.
    roots: std::collections::BTreeMap<&'static str, Shape>,
}

fn keys_of(value: &impl serde::Serialize) -> BTreeSet<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

impl FieldNames {
    fn new(playbook: &Playbook) -> FieldNames {
        let sample: Snapshot = serde_yaml::from_str(
            "deal: {id: x, name: x}\nstakeholders: [{name: a, top_decision_maker: true}]\naccount: {metrics: {revenue: 1}}\n",
        )
        .expect("the sample snapshot is valid");
        let facts = crate::facts::Facts::derive(&sample, &[], &[], &playbook.engine_settings);
        let shape = |value: Result<serde_json::Value, serde_json::Error>| {
            value.map_or(Shape::Open, |value| Shape::of_json(&value))
        };
        let roots = std::collections::BTreeMap::from([
            ("facts", shape(serde_json::to_value(&facts))),
            ("deal", shape(serde_json::to_value(&sample.deal))),
            ("account", shape(serde_json::to_value(&sample.account))),
            (
                "information",
                shape(serde_json::to_value(&sample.information)),
            ),
            ("settings", shape(serde_json::to_value(&playbook.settings))),
            (
                "stakeholders",
                shape(serde_json::to_value(&sample.stakeholders)),
            ),
        ]);
        FieldNames {
            roots,
            facts: keys_of(&facts),
            deal: keys_of(&sample.deal),
            account: keys_of(&Account::default()),
            information: keys_of(&Information::default()),
            person: facts.top.as_ref().map(keys_of).unwrap_or_default(),
            value: facts.value.as_ref().map(keys_of).unwrap_or_default(),
            who: keys_of(&facts.who),
            objection_counts: facts.objection_counts.keys().cloned().collect(),
            gaps: facts.gaps.keys().map(|role| role.to_string()).collect(),
            settings: playbook.settings.keys().cloned().collect(),
            derived: playbook
                .scripts
                .derived_names()
                .map(str::to_owned)
                .collect(),
            vocabularies: playbook
                .labels
                .keys()
                .flat_map(|key| key.match_indices('.').map(|(at, _)| key[..at].to_owned()))
                .collect(),
            units: playbook
                .labels
                .keys()
                .filter_map(|key| key.strip_prefix("unit."))
                .map(str::to_owned)
                .collect(),
        }
    }

    /// Why `placeholder` names no fact, or `None` when it is fine.
    fn problem(&self, placeholder: &str, has_item: bool) -> Option<String> {
        let (segments, filter) = parse_placeholder(placeholder);
        if let Some(filter) = filter {
            let (name, argument) = crate::coach::template::parse_filter(filter);
            if !crate::coach::template::FILTERS.contains(&name) {
                return Some(format!(
                    "uses the filter `{name}`; the filters are `{}`",
                    crate::coach::template::FILTERS.join("`, `")
                ));
            }
            match (name, argument) {
                ("label", None) => {
                    return Some("uses `label` without a vocabulary: `label: role`".to_owned())
                }
                ("label", Some(vocabulary)) if !self.vocabularies.contains(vocabulary) => {
                    return Some(format!(
                        "labels its value with `{vocabulary}`, but the catalog has no `{vocabulary}.*` label"
                    ));
                }
                ("count", Some(unit)) if !self.units.contains(unit) => {
                    return Some(format!(
                        "counts in `{unit}`, but the catalog has no label `unit.{unit}`"
                    ));
                }
                _ => {}
            }
        }
        let first = *segments.first()?;
        if self.derived.contains(first) {
            return None;
        }
        let (root, rest): (&str, &[&str]) = if SCOPE_NAMES.contains(&first) || first == "item" {
            (first, &segments[1..])
        } else {
            ("facts", &segments[..])
        };
        if root == "item" {
            return (!has_item).then(|| "uses `item`, but the rule has no `for_each`".to_owned());
        }
        let second = rest.first()?;
        let known = match root {
            "facts" => &self.facts,
            "deal" => &self.deal,
            "account" => &self.account,
            "information" => &self.information,
            "settings" => &self.settings,
            _ => return None,
        };
        if !known.contains(*second) {
            let what = if root == "facts" && first != "facts" {
                "a fact".to_owned()
            } else {
                format!("a field of `{root}`")
            };
            let hint = crate::diag::did_you_mean(second, known.iter().map(String::as_str))
                .map(|nearest| format!(" — did you mean `{nearest}`?"))
                .unwrap_or_default();
            return Some(format!("names no fact: `{second}` is not {what}{hint}"));
        }
        if root == "facts" {
            let nested = match *second {
                "top" => Some(&self.person),
                "value" => Some(&self.value),
                "who" => Some(&self.who),
                "objection_counts" => Some(&self.objection_counts),
                "gaps" => Some(&self.gaps),
                _ => None,
            };
            if let (Some(nested), Some(third)) = (nested, rest.get(1)) {
                if !nested.contains(*third) {
                    let hint = crate::diag::did_you_mean(third, nested.iter().map(String::as_str))
                        .map(|nearest| format!(" — did you mean `{nearest}`?"))
                        .unwrap_or_default();
                    return Some(format!(
                        "names no fact: `{second}` has no field `{third}`{hint}"
                    ));
                }
            }
        }
        None
    }
}

fn find_placeholder(text: &str, from_line: usize, placeholder: &str) -> (usize, usize) {
    let needle = format!("{{{{{placeholder}");
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find_map(|(index, line)| {
            line.find(&needle)
                .map(|column| (index + 1, line[..column].chars().count() + 1))
        })
        .unwrap_or((from_line, 0))
}

/// Test cases that name concepts no rule produces or rules that do not exist.
fn lint_tests(playbook: &Playbook, problems: &mut Diagnostics) {
    let concepts: BTreeSet<&str> = playbook
        .rules
        .iter()
        .map(|compiled| compiled.rule.concept.as_str())
        .collect();
    let rules: BTreeSet<&str> = playbook
        .rules
        .iter()
        .map(|compiled| compiled.rule.id.as_str())
        .collect();
    let files = match crate::trainer::testing::load_tests(playbook) {
        Ok(files) => files,
        Err(found) => {
            problems.0.extend(found);
            return;
        }
    };
    // A test naming a rule that failed to load fails only because of that rule, already
    // reported where it is written: one line says so, rather than one per test.
    let unloaded: BTreeSet<&str> = playbook.failed_rules.iter().map(String::as_str).collect();
    let mut waiting: Vec<(&str, String)> = Vec::new();
    for (file, tests, _) in &files {
        for test in tests {
            let expect = &test.expect;
            let names_unloaded = expect
                .fires
                .iter()
                .chain(&expect.quiet)
                .find(|id| unloaded.contains(id.as_str()) && !rules.contains(id.as_str()));
            if let Some(name) = names_unloaded {
                waiting.push((file.path.as_str(), name.clone()));
                continue;
            }
            let (line, _) = find_key_value(&file.text, &test.name);
            let named = expect
                .present
                .iter()
                .chain(&expect.absent)
                .chain(expect.top.keys())
                .chain(expect.rank.keys());
            for concept in named {
                if !concepts.contains(concept.as_str()) {
                    let hint = crate::diag::did_you_mean(concept, concepts.iter().copied())
                        .map(|n| format!(" — did you mean `{n}`?"))
                        .unwrap_or_default();
                    problems.push(
                        Diagnostic::error(&file.path, line, 0, format!("test `{}` expects concept `{concept}`, which no rule produces{hint}", test.name))
                            .with_source(&file.text),
                    );
                }
            }
            for id in expect.fires.iter().chain(&expect.quiet) {
                if !rules.contains(id.as_str()) {
                    problems.push(
                        Diagnostic::error(
                            &file.path,
                            line,
                            0,
                            format!(
                                "test `{}` names rule `{id}`, which does not exist",
                                test.name
                            ),
                        )
                        .with_source(&file.text),
                    );
                }
            }
            for concept in expect
                .signals
                .iter()
                .chain(&expect.objections)
                .chain(&expect.not_detected)
            {
                let valid = concept
                    .split_once('.')
                    .is_some_and(|(family, kind)| match family {
                        "signal" => crate::snapshot::vocabulary::vocabulary_words("signal")
                            .is_some_and(|w| w.contains(&kind)),
                        "objection" => crate::snapshot::vocabulary::vocabulary_words("objection")
                            .is_some_and(|w| w.contains(&kind)),
                        _ => false,
                    });
                if !valid {
                    problems.push(Diagnostic::error(&file.path, line, 0, format!("test `{}` expects `{concept}`, which is not a signal or objection concept", test.name)).with_source(&file.text));
                }
            }
        }
    }
    if !waiting.is_empty() {
        let files: BTreeSet<&str> = waiting.iter().map(|(file, _)| *file).collect();
        let names: BTreeSet<&str> = waiting.iter().map(|(_, name)| name.as_str()).collect();
        problems.push(Diagnostic::warning(
            files.into_iter().collect::<Vec<_>>().join(", "),
            0,
            0,
            format!(
                "{} {} not checked: {} {} {}, which {} not loaded (see {} above)",
                waiting.len(),
                if waiting.len() == 1 {
                    "test is"
                } else {
                    "tests are"
                },
                if waiting.len() == 1 {
                    "it names"
                } else {
                    "they name"
                },
                if names.len() == 1 { "rule" } else { "rules" },
                names
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if names.len() == 1 { "is" } else { "are" },
                if names.len() == 1 {
                    "its error"
                } else {
                    "their errors"
                },
            ),
        ));
    }
}

fn find_key_value(text: &str, value: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(index, line)| {
            (line.contains("name:") && line.contains(value)).then_some((index + 1, 0))
        })
        .unwrap_or((0, 0))
}
