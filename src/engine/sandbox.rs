//! The sandbox: the limits every script runs under, how a playbook sets them, and the
//! rhai engine they configure.
//!
//! Scripts come from trainers, so nothing a playbook says may switch a limit off: every
//! limit has a floor and a ceiling, and rhai's "0 means unlimited" is refused. The engine
//! is built from rhai's packages minus those that block or read the clock (`sleep`,
//! `timestamp` …): the wall-clock budget is checked between operations, so a native
//! function that could wait for ever would escape it.

use std::cell::Cell;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicBlobPackage, BasicFnPackage, BasicIteratorPackage,
    BasicMapPackage, BasicMathPackage, BasicStringPackage, BitFieldPackage, LogicPackage,
    MoreStringPackage, Package,
};
use rhai::{Dynamic, Engine, EvalAltResult, OptimizationLevel, Position};

use crate::diag::{line_column, Diagnostic};

/// Sandbox limits, settable in one playbook file under `sandbox:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLimits {
    /// rhai operations one evaluation of one script may take: the deterministic bound.
    pub max_operations: u64,
    pub max_call_depth: usize,
    pub max_expression_depth: usize,
    /// In bytes, over all the strings of one value (rhai counts a list's strings together).
    pub max_string_size: usize,
    /// Elements of one value, nested lists included.
    pub max_array_size: usize,
    /// Entries of one value, nested maps included.
    pub max_map_size: usize,
    /// Wall-clock budget of one evaluation of one script: a backstop for what operations
    /// do not measure, set far above what any built-in rule takes.
    pub max_milliseconds_per_rule: u64,
    /// Elements one rule's `for_each` (or `count`) may give.
    pub max_elements_per_rule: usize,
    /// Firings of all the rules of one deal together.
    pub max_firings_per_deal: usize,
    /// Bytes of the texts (titles, reasons, questions) of one deal's report.
    pub max_report_bytes_per_deal: usize,
}

/// One limit: its key under `sandbox:`, default, floor and ceiling.
pub struct LimitSpec {
    pub key: &'static str,
    pub default: u64,
    pub floor: u64,
    pub ceiling: u64,
}

/// Every limit, in the order docs/playbooks.md lists them.
pub const LIMITS: &[LimitSpec] = &[
    LimitSpec {
        key: "max_operations",
        default: 100_000,
        floor: 1_000,
        ceiling: 10_000_000,
    },
    LimitSpec {
        key: "max_call_depth",
        default: 32,
        floor: 4,
        // rhai's own default: deeper recursion risks the native stack of a review thread.
        ceiling: 64,
    },
    LimitSpec {
        key: "max_expression_depth",
        default: 64,
        floor: 8,
        ceiling: 64,
    },
    LimitSpec {
        key: "max_string_size",
        default: 1_000_000,
        floor: 1_000,
        ceiling: 10_000_000,
    },
    LimitSpec {
        key: "max_array_size",
        // rhai checks a list's size after every change by walking it: a larger list
        // makes each operation slower.
        default: 10_000,
        floor: 100,
        ceiling: 1_000_000,
    },
    LimitSpec {
        key: "max_map_size",
        default: 100_000,
        floor: 100,
        ceiling: 1_000_000,
    },
    LimitSpec {
        key: "max_milliseconds_per_rule",
        default: 2_000,
        floor: 10,
        ceiling: 60_000,
    },
    LimitSpec {
        key: "max_elements_per_rule",
        default: 1_000,
        floor: 1,
        ceiling: 100_000,
    },
    LimitSpec {
        key: "max_firings_per_deal",
        default: 5_000,
        floor: 1,
        ceiling: 100_000,
    },
    LimitSpec {
        key: "max_report_bytes_per_deal",
        default: 8_000_000,
        floor: 10_000,
        ceiling: 100_000_000,
    },
];

impl Default for SandboxLimits {
    fn default() -> Self {
        let values: Vec<u64> = LIMITS.iter().map(|spec| spec.default).collect();
        SandboxLimits::from_values(&values)
    }
}

impl SandboxLimits {
    /// The limits from one value per [`LIMITS`] entry, in order (each within its range).
    fn from_values(values: &[u64]) -> SandboxLimits {
        let size = |index: usize| usize::try_from(values[index]).unwrap_or(usize::MAX);
        SandboxLimits {
            max_operations: values[0],
            max_call_depth: size(1),
            max_expression_depth: size(2),
            max_string_size: size(3),
            max_array_size: size(4),
            max_map_size: size(5),
            max_milliseconds_per_rule: values[6],
            max_elements_per_rule: size(7),
            max_firings_per_deal: size(8),
            max_report_bytes_per_deal: size(9),
        }
    }

    /// Validates a file's `sandbox:` map: every key known, every value a whole number
    /// within its limit's range. Limits not given keep their default. Each problem is
    /// placed at its key or value in `text`; all of them are reported.
    pub fn from_playbook(
        raw: &IndexMap<String, serde_yaml::Value>,
        path: &str,
        text: &str,
    ) -> Result<SandboxLimits, Vec<Diagnostic>> {
        let mut values: Vec<u64> = LIMITS.iter().map(|spec| spec.default).collect();
        let mut problems = Vec::new();
        for (key, value) in raw {
            let Some(index) = LIMITS.iter().position(|spec| spec.key == key) else {
                let (line, column) = sandbox_place(text, key, false);
                let hint = crate::diag::did_you_mean(key, LIMITS.iter().map(|spec| spec.key))
                    .map(|nearest| format!(" — did you mean `{nearest}`?"))
                    .unwrap_or_else(|| {
                        let keys: Vec<&str> = LIMITS.iter().map(|spec| spec.key).collect();
                        format!(" (the limits are {})", keys.join(", "))
                    });
                problems.push(
                    Diagnostic::error(
                        path,
                        line,
                        column,
                        format!("unknown sandbox limit `{key}`{hint}"),
                    )
                    .with_source(text),
                );
                continue;
            };
            let spec = &LIMITS[index];
            let number = value
                .as_u64()
                .filter(|number| (spec.floor..=spec.ceiling).contains(number));
            match number {
                Some(number) => values[index] = number,
                None => {
                    let (line, column) = sandbox_place(text, key, true);
                    let shown = match value {
                        serde_yaml::Value::Number(number) => number.to_string(),
                        serde_yaml::Value::String(text) => format!("{text:?}"),
                        serde_yaml::Value::Null => "empty".to_owned(),
                        serde_yaml::Value::Bool(flag) => flag.to_string(),
                        _ => "not a number".to_owned(),
                    };
                    let zero = if value.as_u64() == Some(0) {
                        " (0 does not mean unlimited)"
                    } else {
                        ""
                    };
                    problems.push(
                        Diagnostic::error(
                            path,
                            line,
                            column,
                            format!(
                                "`sandbox.{key}` is {shown}: it must be a whole number from {} to {}{zero}",
                                spec.floor, spec.ceiling
                            ),
                        )
                        .with_source(text),
                    );
                }
            }
        }
        if problems.is_empty() {
            Ok(SandboxLimits::from_values(&values))
        } else {
            Err(problems)
        }
    }
}

/// Where `key` (or, with `at_value`, its value) is written inside the `sandbox:` map of
/// `text`, as (line, column); the `sandbox:` key itself when it cannot be found.
pub fn sandbox_place(text: &str, key: &str, at_value: bool) -> (usize, usize) {
    let Some(section) = top_level_key(text, "sandbox") else {
        return (0, 0);
    };
    let after = section + "sandbox:".len();
    let rest = &text[after..];
    let found = key_offset(rest, key).map(|offset| {
        let key_start = after + offset;
        if !at_value {
            return key_start;
        }
        let value = &text[key_start + key.len()..];
        let skipped = value.len() - value.trim_start_matches([':', ' ', '\t']).len();
        key_start + key.len() + skipped
    });
    line_column(text, found.unwrap_or(section))
}

/// Byte offset of a top-level `key:` (at the start of a line).
pub fn top_level_key(text: &str, key: &str) -> Option<usize> {
    let needle = format!("{key}:");
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(&needle) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Byte offset of the first `key` followed by `:` in `text` that is a whole word.
fn key_offset(text: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(key) {
        let start = from + found;
        let end = start + key.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after_ok = text[end..].trim_start_matches([' ', '\t']).starts_with(':');
        if before_ok && after_ok {
            return Some(start);
        }
        from = end;
    }
    None
}

thread_local! {
    /// When the evaluation running on this thread started; read by the progress callback
    /// to enforce the wall-clock budget. One engine serves all threads, so the clock is
    /// per thread.
    static EVALUATION_STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `evaluate` with the wall-clock budget of `limits` running. The budget is checked
/// between operations; an evaluation that still returns after it (its last operation a
/// long native call) is over the budget too.
pub fn timed<T>(
    limits: &SandboxLimits,
    evaluate: impl FnOnce() -> Result<T, Box<EvalAltResult>>,
) -> Result<T, Box<EvalAltResult>> {
    let started = Instant::now();
    EVALUATION_STARTED.with(|cell| cell.set(Some(started)));
    let result = evaluate();
    EVALUATION_STARTED.with(|cell| cell.set(None));
    match result {
        Ok(_) if started.elapsed() > Duration::from_millis(limits.max_milliseconds_per_rule) => {
            Err(EvalAltResult::ErrorTerminated(Dynamic::UNIT, Position::NONE).into())
        }
        other => other,
    }
}

/// The rhai engine scripts run in: rhai's packages without those that block or read the
/// clock, and every limit set.
pub fn sandboxed_engine(limits: &SandboxLimits) -> Engine {
    let mut engine = Engine::new_raw();
    // rhai's standard library, minus `LanguageCorePackage` (`sleep`, which blocks the
    // thread beyond the reach of the time budget; `exit`, `parse_json` and the engine's
    // function list) and `BasicTimePackage` (`timestamp`, `elapsed`: the clock would make
    // a rule's answer depend on the machine's load).
    let packages = [
        ArithmeticPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        BasicFnPackage::new().as_shared_module(),
        BitFieldPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicBlobPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
    ];
    for package in packages {
        engine.register_global_module(package);
    }
    configure(&mut engine, limits);
    engine
}

pub(super) fn configure(engine: &mut Engine, limits: &SandboxLimits) {
    engine.set_optimization_level(OptimizationLevel::Simple);
    // rhai interns strings in a cache behind a lock shared by every thread; `review`'s
    // threads queued on it (two threads ran at 1.1x one). Interning saves a little memory
    // and nothing we need.
    engine.set_max_strings_interned(0);
    engine.set_strict_variables(true);
    engine.set_fail_on_invalid_map_property(true);
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_depth);
    engine.set_max_expr_depths(limits.max_expression_depth, limits.max_expression_depth);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_max_modules(0);
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    let budget = Duration::from_millis(limits.max_milliseconds_per_rule);
    engine.on_progress(move |operations| {
        // Reading the clock every operation would cost more than the rules; every 256 is
        // well under a millisecond apart, since no native function left in the engine
        // runs for long (each works on values the size limits bound).
        if operations % 256 != 0 {
            return None;
        }
        let over = EVALUATION_STARTED.with(|started| {
            started
                .get()
                .is_some_and(|started| started.elapsed() > budget)
        });
        over.then(|| Dynamic::from("time budget"))
    });
}

#[cfg(test)]
mod tests {
    //! A playbook may tighten or loosen the sandbox, never switch it off.
    use super::*;

    fn limits(yaml: &str) -> Result<SandboxLimits, Vec<String>> {
        let file: serde_yaml::Value = serde_yaml::from_str(yaml).expect("test YAML");
        let sandbox: IndexMap<String, serde_yaml::Value> =
            serde_yaml::from_value(file["sandbox"].clone()).expect("a map");
        SandboxLimits::from_playbook(&sandbox, "p.yaml", yaml)
            .map_err(|problems| problems.iter().map(|p| p.to_string()).collect())
    }

    /// The time budget is checked between operations: nothing that blocks (or reads the
    /// clock) may be callable.
    #[test]
    fn no_function_that_blocks_or_reads_the_clock_is_registered() {
        let engine = sandboxed_engine(&SandboxLimits::default());
        let signatures = engine.gen_fn_signatures(true);
        for name in ["sleep", "timestamp", "elapsed", "exit", "parse_json"] {
            assert!(
                !signatures
                    .iter()
                    .any(|signature| signature.starts_with(&format!("{name}("))),
                "`{name}` is callable"
            );
        }
        assert!(signatures
            .iter()
            .any(|signature| signature.starts_with("len(")));
    }

    /// A native call that runs past the budget cannot be stopped, but its result is not
    /// taken: the evaluation is over the budget.
    #[test]
    fn an_evaluation_returning_after_its_budget_is_over_it() {
        let limits = SandboxLimits {
            max_milliseconds_per_rule: 10,
            ..SandboxLimits::default()
        };
        let late = timed(&limits, || {
            std::thread::sleep(Duration::from_millis(30));
            Ok(())
        });
        assert!(matches!(
            late.map_err(|error| *error),
            Err(EvalAltResult::ErrorTerminated(..))
        ));
        assert!(timed(&limits, || Ok(())).is_ok());
    }

    #[test]
    fn defaults_lie_within_their_ranges() {
        for spec in LIMITS {
            assert!(
                (spec.floor..=spec.ceiling).contains(&spec.default),
                "{}",
                spec.key
            );
        }
        assert_eq!(LIMITS.len(), 10);
    }

    #[test]
    fn zero_and_out_of_range_values_are_located_at_the_value() {
        let problems =
            limits("rules: []\nsandbox: {max_string_size: 0, max_operations: 99999999999}\n")
                .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("p.yaml:2:28: `sandbox.max_string_size` is 0: it must be a whole number from 1000 to 10000000 (0 does not mean unlimited)"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("p.yaml:2:47: `sandbox.max_operations` is 99999999999"),
            "{problems:?}"
        );
    }

    #[test]
    fn block_style_unknown_keys_and_kept_defaults() {
        let problems =
            limits("sandbox:\n  max_operation: 5000\n  max_call_depth: -1\n").unwrap_err();
        assert!(
            problems[0].starts_with("p.yaml:2:3: unknown sandbox limit `max_operation` — did you mean `max_operations`?"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("p.yaml:3:19: `sandbox.max_call_depth` is -1"),
            "{problems:?}"
        );
        let set = limits("sandbox:\n  max_operations: 5000\n").unwrap();
        assert_eq!(set.max_operations, 5000);
        assert_eq!(set.max_call_depth, SandboxLimits::default().max_call_depth);
    }
}
