//! A rule that fails at run time: what is reported, by id and place, in words a trainer
//! can act on.

use rhai::{EvalAltResult, Position, Scope};

use super::*;

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

/// Where the statements outside functions failed: the file whose own statements fail
/// (each run alone, with every function), at the place rhai gives.
pub(super) fn top_level_failure(
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

/// Whether the evaluation was stopped by the time budget, in the script or in a function
/// it called.
pub(super) fn over_time_budget(error: &EvalAltResult) -> bool {
    match error {
        EvalAltResult::ErrorTerminated(..) => true,
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => over_time_budget(inner),
        _ => false,
    }
}

/// `deal.id` of the deal in `scope`.
pub(super) fn deal_id(scope: &Scope) -> Option<String> {
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

pub(super) fn at(place: Position) -> String {
    match (place.line(), place.position()) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    }
}
