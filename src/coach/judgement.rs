//! Judgement: which of the advice that fired a coach would actually give, and how.
//!
//! Rules fire independently; a coach does not say everything that is true. What this
//! module applies is playbook data, never Rust:
//! - **gates** (`gates:` in a playbook file): a context that changes what matters — a won
//!   deal gets after-sales and relationship advice only (`only`), a misjudged account no
//!   key-account investment (`drop`), an alliance account no discovery moves near the top
//!   (`demote` … `to`);
//! - **`suppresses:`** on a rule: when it fires, the concepts it names are not said (they
//!   would repeat or contradict it: an open service issue silences "ask for referrals");
//! - **`merge:`** on moves: moves of one group become one move, the highest-ranked with
//!   the others as its steps (reach the top decision maker + who can introduce you).
//!
//! Everything set aside is reported with its reason (JSON `suppressed`), so `explain`
//! and a curious rep can see what was not said and why.

use rhai::Scope;
use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::{Firing, RuleError, ScriptEngine};
use crate::playbook::{Lang, RawGate, Rule, RuleKind, Text};
use crate::views::concept_matches;

/// What a gate does to the advice of its context.
#[derive(Debug, Clone)]
pub enum Action {
    /// Only these concepts are said.
    Only(Vec<String>),
    /// These concepts are not said.
    Drop(Vec<String>),
    /// These moves keep at most this priority.
    Demote(Vec<String>, i64),
}

/// A gate, its condition compiled.
pub struct Gate {
    pub name: String,
    pub when: Result<crate::engine::Condition, String>,
    pub action: Action,
    pub because: Text,
    pub file: String,
    pub line: usize,
}

/// The playbook's judgement: its gates (rules carry `suppresses` and `merge` themselves).
#[derive(Default)]
pub struct Judgement {
    pub gates: Vec<Gate>,
}

impl Judgement {
    /// Validates and compiles the gates; a bad gate is reported and left out.
    pub fn compile(
        raw: Vec<(RawGate, String, usize)>,
        scripts: &ScriptEngine,
        problems: &mut Diagnostics,
    ) -> Judgement {
        let mut gates: Vec<Gate> = Vec::new();
        for (gate, file, line) in raw {
            let problem = |message: String| Diagnostic::error(&file, line, 0, message);
            if gates.iter().any(|known| known.name == gate.name) {
                problems.push(problem(format!("gate `{}` is defined twice", gate.name)));
                continue;
            }
            let action = match (gate.only, gate.drop, gate.demote, gate.to) {
                (Some(only), None, None, None) => Action::Only(only),
                (None, Some(drop), None, None) => Action::Drop(drop),
                (None, None, Some(demote), Some(to)) if (0..=100).contains(&to) => {
                    Action::Demote(demote, to)
                }
                (None, None, Some(_), Some(to)) => {
                    problems.push(problem(format!(
                        "gate `{}`: `to: {to}` is not a priority (0 to 100)",
                        gate.name
                    )));
                    continue;
                }
                (None, None, Some(_), None) => {
                    problems.push(problem(format!(
                        "gate `{}`: `demote` needs `to`, the highest priority the moves keep",
                        gate.name
                    )));
                    continue;
                }
                _ => {
                    problems.push(problem(format!(
                        "gate `{}` needs exactly one of `only`, `drop` or `demote` (with `to`)",
                        gate.name
                    )));
                    continue;
                }
            };
            let when = scripts.compile_condition(&gate.when).map_err(|message| {
                format!("gate `{}`: `when` does not compile: {message}", gate.name)
            });
            if let Err(message) = &when {
                problems.push(problem(message.clone()));
            }
            gates.push(Gate {
                name: gate.name,
                when,
                action,
                because: gate.because,
                file,
                line,
            });
        }
        Judgement { gates }
    }

    /// Every concept pattern the gates name, with the gate, for `check`.
    pub fn patterns(&self) -> impl Iterator<Item = (&Gate, &str)> {
        self.gates.iter().flat_map(|gate| {
            let patterns = match &gate.action {
                Action::Only(list) | Action::Drop(list) | Action::Demote(list, _) => list,
            };
            patterns.iter().map(move |pattern| (gate, pattern.as_str()))
        })
    }
}

/// Why a piece of advice was not said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A gate's context (its index).
    Gate(usize),
    /// Another concept that fired silences it.
    SilencedBy(String),
}

/// A firing set aside, with its reason.
pub struct SetAside {
    pub firing: Firing,
    pub reason: Reason,
}

/// The firings a coach would say, with the steps folded into each.
pub struct Judged {
    /// Kept firings, each with the firings merged into it (its steps).
    pub kept: Vec<(Firing, Vec<Firing>)>,
    pub set_aside: Vec<SetAside>,
}

/// Applies the playbook's judgement (its gates, merges and ranking, over its rules) to one
/// deal's firings; `scope` and `pending` are the deal's, for the gates' conditions and the
/// merge groups' placeholders.
pub fn judge(
    playbook: &crate::playbook::Playbook,
    scope: &mut Scope<'static>,
    mut pending: Option<&mut crate::engine::Pending>,
    firings: Vec<Firing>,
    errors: &mut Vec<RuleError>,
    words: crate::present::Words,
) -> Judged {
    let (judgement, rules, scripts) = (&playbook.judgement, &playbook.rules, &playbook.scripts);
    let rule = |firing: &Firing| -> &Rule { &rules[firing.rule_index].rule };
    let mut set_aside = Vec::new();

    // Gates: the context decides first.
    let mut active: Vec<usize> = Vec::new();
    for (index, gate) in judgement.gates.iter().enumerate() {
        let holds = gate
            .when
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|condition| {
                scripts.condition_value(scope, condition, pending.as_deref_mut())
            });
        match holds {
            Ok(true) => active.push(index),
            Ok(false) => {}
            Err(message) => errors.push(RuleError {
                id: format!("gate.{}", gate.name),
                file: gate.file.clone(),
                line: gate.line,
                message,
            }),
        }
    }
    let mut kept: Vec<Firing> = Vec::new();
    'firing: for mut firing in firings {
        let concept = rule(&firing).concept.as_str();
        for &index in &active {
            let matches = |patterns: &[String]| {
                patterns
                    .iter()
                    .any(|pattern| concept_matches(concept, pattern))
            };
            match &judgement.gates[index].action {
                Action::Only(patterns) if !matches(patterns) => {
                    set_aside.push(SetAside {
                        firing,
                        reason: Reason::Gate(index),
                    });
                    continue 'firing;
                }
                Action::Drop(patterns) if matches(patterns) => {
                    set_aside.push(SetAside {
                        firing,
                        reason: Reason::Gate(index),
                    });
                    continue 'firing;
                }
                Action::Demote(patterns, to) if matches(patterns) => {
                    firing.priority = firing.priority.map(|priority| priority.min(*to));
                }
                _ => {}
            }
        }
        kept.push(firing);
    }

    // Silencing: advice that fired (and was not set aside) silences what it names.
    let silencers: Vec<(&str, &[String])> = kept
        .iter()
        .map(|firing| {
            let rule = rule(firing);
            (rule.concept.as_str(), rule.suppresses.as_slice())
        })
        .filter(|(_, silenced)| !silenced.is_empty())
        .collect();
    let silenced_by = |concept: &str| -> Option<String> {
        silencers
            .iter()
            .find(|(silencer, patterns)| {
                *silencer != concept
                    && patterns
                        .iter()
                        .any(|pattern| concept_matches(concept, pattern))
            })
            .map(|(silencer, _)| (*silencer).to_owned())
    };
    let mut said: Vec<Firing> = Vec::new();
    for firing in kept {
        match silenced_by(&rule(&firing).concept) {
            Some(silencer) => set_aside.push(SetAside {
                firing,
                reason: Reason::SilencedBy(silencer),
            }),
            None => said.push(firing),
        }
    }

    // Merging: the best-ranked move of a group takes the others as its steps.
    // Moves first, then by priority, concept and rule id, borrowed: a key that cloned the
    // two names allocated twice per comparison (~45 K instructions a deal in a review).
    let rank_key = |firing: &'_ Firing| {
        let rule = rule(firing);
        (
            !matches!(rule.kind, RuleKind::Move { .. }),
            std::cmp::Reverse(firing.priority),
            rule.concept.as_str(),
            rule.id.as_str(),
        )
    };
    let mut kept: Vec<(Firing, Vec<Firing>)> = Vec::new();
    // Stable: firings of one rule keep their `for_each` order.
    said.sort_by(|a, b| rank_key(a).cmp(&rank_key(b)));
    let mut groups: Vec<(String, usize)> = Vec::new();
    for firing in said {
        let group = match (&rule(&firing).kind, &rule(&firing).merge) {
            (RuleKind::Move { .. }, Some(group)) => {
                if let Some(pending) = pending.as_deref_mut() {
                    scripts.merge_ready(&rules[firing.rule_index], scope, pending);
                }
                merge_group(group, &firing, scope, words)
            }
            _ => None,
        };
        let host = group
            .as_deref()
            .and_then(|group| groups.iter().find(|(known, _)| known == group))
            .map(|&(_, host)| host);
        match host {
            // `never_a_step` (an objection): its own move even when its group has a host.
            Some(_) if rule(&firing).never_a_step => kept.push((firing, Vec::new())),
            Some(host) => kept[host].1.push(firing),
            None => {
                if let Some(group) = group {
                    groups.push((group, kept.len()));
                }
                kept.push((firing, Vec::new()));
            }
        }
    }
    Judged { kept, set_aside }
}

/// The group a move merges into: `merge:` as written, or with its `{{…}}` filled for this
/// firing (`person {{item.from}}`: the moves about one person become one). A placeholder
/// with no value (no element, an unknown person) merges nothing.
fn merge_group(
    group: &str,
    firing: &Firing,
    scope: &mut Scope<'static>,
    words: crate::present::Words,
) -> Option<String> {
    if !group.contains("{{") {
        return Some(group.to_owned());
    }
    let depth = scope.len();
    if let Some(item) = &firing.item {
        scope.push_constant_dynamic("item", item.clone());
    }
    let filled = crate::coach::template::fill(group, scope, words, true);
    scope.rewind(depth);
    filled
}

/// Advice that was not said, as JSON `suppressed` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    pub concept: String,
    pub rule: String,
    /// `gate <name>: <because>` or `said instead: <concept>`.
    pub because: String,
}

impl Suppressed {
    pub fn of(
        set_aside: &SetAside,
        rules: &[crate::engine::CompiledRule],
        judgement: &Judgement,
        lang: Lang,
    ) -> Suppressed {
        let rule = &rules[set_aside.firing.rule_index].rule;
        let because = match &set_aside.reason {
            Reason::Gate(index) => {
                let gate = &judgement.gates[*index];
                format!("gate {}: {}", gate.name, gate.because.get(lang))
            }
            Reason::SilencedBy(concept) => format!("silenced by {concept}"),
        };
        Suppressed {
            concept: rule.concept.clone(),
            rule: rule.id.clone(),
            because,
        }
    }
}
