//! The direct evaluator against rhai on generated input: expressions drawn from the
//! grammar `direct` claims to cover, over generated facts, deal and `item` values. Where
//! the direct evaluator answers, rhai must give the same value of the same type; where
//! rhai fails, the direct evaluator must say "ask rhai". Hand-picked cases (the test in
//! `direct.rs`) missed planted bugs such as a string's length counted in bytes; generated
//! ones with non-ASCII text, floats a rounding apart and every mix of types do not.

use super::{slots, Direct, Memo, MemoNumbers};
use crate::engine::sandbox::sandboxed_engine;
use crate::engine::SandboxLimits;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rhai::{Dynamic, Engine, Scope, INT};
use std::cell::Cell;

/// The scope of a deal as the engine lays it out: `item` last, not memoised.
const LAYOUT: [&str; 3] = ["deal", "facts", "item"];

fn int() -> impl Strategy<Value = INT> {
    prop_oneof![
        4 => -3 as INT..=3,
        1 => Just(INT::MAX),
        1 => Just(INT::MIN),
        1 => any::<INT>(),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.1,
            0.2,
            0.3,
            0.1 + 0.2,
            1.0,
            1.0 + f64::EPSILON,
            3.0,
            -2.5,
            1e-310,
            f64::MAX,
            9.223_372_036_854_776e18,
        ]),
        -10.0..10.0f64,
    ]
}

/// Text with characters of one, two, three and four bytes, so a length in bytes and one
/// in characters differ (CJK written as escapes: tests/labels.rs keeps Chinese out of
/// the source).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["", "a", "b", "won", "é", "\u{65e5}\u{672c}", "🙂x"])
            .prop_map(String::from),
        "[abé\u{65e5}🙂]{0,4}",
    ]
}

fn scalar() -> impl Strategy<Value = Dynamic> {
    prop_oneof![
        1 => Just(Dynamic::UNIT),
        1 => any::<bool>().prop_map(Dynamic::from_bool),
        3 => int().prop_map(Dynamic::from_int),
        3 => float().prop_map(Dynamic::from_float),
        3 => text().prop_map(Dynamic::from),
    ]
}

fn list() -> impl Strategy<Value = Dynamic> {
    prop::collection::vec(scalar(), 0..4).prop_map(Dynamic::from_array)
}

/// A map with the given fields, each missing now and then (reading a missing field is an
/// error in rhai the direct evaluator must leave to it).
fn map(fields: Vec<(&'static str, BoxedStrategy<Dynamic>)>) -> BoxedStrategy<Dynamic> {
    let fields: Vec<_> = fields
        .into_iter()
        .map(|(name, value)| {
            prop::option::weighted(0.9, value).prop_map(move |value| (name, value))
        })
        .collect();
    fields
        .prop_map(|fields| {
            let mut map = rhai::Map::new();
            for (name, value) in fields {
                if let Some(value) = value {
                    map.insert(name.into(), value);
                }
            }
            Dynamic::from_map(map)
        })
        .boxed()
}

fn numeric() -> BoxedStrategy<Dynamic> {
    prop_oneof![
        int().prop_map(Dynamic::from_int),
        float().prop_map(Dynamic::from_float)
    ]
    .boxed()
}

fn facts() -> BoxedStrategy<Dynamic> {
    // Fields named like generated texts, so computed keys (`facts.map[facts.s1]`) and
    // `text in facts.map` find one now and then.
    let inner = map(vec![
        ("n1", numeric()),
        ("s1", text().prop_map(Dynamic::from).boxed()),
        ("none", Just(Dynamic::UNIT).boxed()),
        ("list", list().boxed()),
        ("a", numeric()),
        ("won", scalar().boxed()),
    ]);
    // Under keys that generated texts name: chains that go on after a computed key
    // (`facts.keyed[facts.s1].n1`).
    let keyed = map(vec![
        ("a", map(vec![("n1", numeric()), ("list", list().boxed())])),
        ("won", list().boxed()),
    ]);
    map(vec![
        ("keyed", keyed),
        ("n1", numeric()),
        ("n2", numeric()),
        ("s1", text().prop_map(Dynamic::from).boxed()),
        ("s2", text().prop_map(Dynamic::from).boxed()),
        ("f1", any::<bool>().prop_map(Dynamic::from_bool).boxed()),
        ("u", scalar().boxed()),
        ("list", list().boxed()),
        (
            "map",
            prop_oneof![4 => inner, 1 => Just(Dynamic::UNIT)].boxed(),
        ),
    ])
}

fn deal() -> BoxedStrategy<Dynamic> {
    map(vec![
        ("amount", numeric()),
        ("stage", text().prop_map(Dynamic::from).boxed()),
    ])
}

fn item() -> BoxedStrategy<Dynamic> {
    prop_oneof![
        scalar(),
        map(vec![
            ("n1", numeric()),
            ("s1", text().prop_map(Dynamic::from).boxed())
        ]),
    ]
    .boxed()
}

/// Literals and paths: what the direct evaluator reads.
fn leaf() -> BoxedStrategy<String> {
    let literals = prop::sample::select(vec![
        "0",
        "1",
        "2",
        "3",
        "-1",
        "9223372036854775807",
        "0.0",
        "0.1",
        "0.2",
        "0.3",
        "3.0",
        "2.5",
        "true",
        "false",
        "()",
        "[]",
        r#""""#,
        r#""a""#,
        r#""won""#,
        r#""é""#,
        "\"\u{65e5}\u{672c}\"",
    ]);
    let paths = prop::sample::select(vec![
        "facts.n1",
        "facts.n2",
        "facts.s1",
        "facts.s2",
        "facts.f1",
        "facts.u",
        "facts.missing",
        "facts.list",
        "facts.map",
        "facts.map.n1",
        "facts.map.s1",
        "facts.map.none",
        "facts.map?.none?.x",
        "facts.map?.n1",
        "facts.u?.x",
        r#"facts["s1"]"#,
        r#"facts.map["n1"]"#,
        "facts.list[0]",
        "facts.list[3]",
        "facts.map[facts.s1]",
        "facts.map[item]",
        "facts.map[item.s1]",
        "facts.map?.list[facts.n1]",
        "facts.list[facts.n1]",
        "facts[facts.s2]",
        "facts[facts.map.s1].len()",
        "facts.keyed[facts.s1].n1",
        "facts.keyed[item]?.n1",
        "facts.keyed[facts.s2][0]",
        "facts.keyed[facts.s1][facts.n1]",
        "facts.keyed[item.s1].list[facts.n1]",
        "facts.keyed?[facts.s2].list.len()",
        "facts.keyed[\"a\"].n1",
        "facts[\"keyed\"][facts.s1]?.list",
        "facts.s1.len()",
        "facts.s2.len()",
        "facts.u.len()",
        "facts.list.len()",
        "facts.map.len()",
        "facts.map.list.len()",
        "facts.map?.list?.len()",
        "deal.amount",
        "deal.stage",
        "deal.stage.len()",
        "item",
        "item.n1",
        "item.s1",
        "item?.s1",
    ]);
    prop_oneof![literals, paths].prop_map(String::from).boxed()
}

fn expression() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 32, 3, |inner| {
        let binary = prop::sample::select(vec![
            "==", "!=", "<", "<=", ">", ">=", "&&", "||", "??", "+", "-", "/",
        ]);
        prop_oneof![
            4 => (inner.clone(), binary, inner.clone())
                .prop_map(|(left, operator, right)| format!("({left} {operator} {right})")),
            1 => inner.clone().prop_map(|operand| format!("!{operand}")),
            1 => (inner.clone(), prop::sample::select(vec!["facts.list", "facts.map.list", "facts.u", "facts.map", "item"]))
                .prop_map(|(element, list)| format!("({element} in {list})")),
            1 => (inner.clone(), inner.clone(), inner.clone()).prop_map(|(condition, then, otherwise)| {
                format!("if {condition} {{ {then} }} else {{ {otherwise} }}")
            }),
            1 => (inner.clone(), inner.clone()).prop_map(|(condition, then)| format!("if {condition} {{ {then} }}")),
            1 => (inner.clone(), inner.clone()).prop_map(|(first, second)| format!("[{first}, {second}]")),
            1 => (inner.clone(), inner).prop_map(|(first, second)| format!("#{{ a: {first}, b: {second} }}")),
        ]
    })
}

/// How often the direct evaluator answered, to prove the test compared something.
#[derive(Default)]
struct Tally {
    compared: Cell<usize>,
    answered: Cell<usize>,
}

fn check_one(
    engine: &Engine,
    names: &Scope<'static>,
    scope: &Scope<'static>,
    source: &str,
    numbers: &MemoNumbers,
    memo: &mut Memo,
    tally: &Tally,
) -> Result<(), TestCaseError> {
    // A generated expression rhai itself refuses (`if` where it takes no expression) is
    // outside the grammar.
    let Ok(ast) = engine.compile_with_scope(names, source) else {
        return Ok(());
    };
    let Some(direct) = Direct::compile(&ast, &LAYOUT, &[], LAYOUT.len() - 1, numbers) else {
        return Ok(());
    };
    tally.compared.set(tally.compared.get() + 1);
    let by_rhai = engine.eval_ast_with_scope::<Dynamic>(&mut scope.clone(), &ast);
    let values = slots(scope);
    let scalar = direct.eval(&values, memo).and_then(Scalar::into_dynamic);
    let value = direct.eval_value(&values, memo);
    for (how, answer) in [("eval", scalar), ("eval_value", value)] {
        let Some(answer) = answer else { continue };
        tally.answered.set(tally.answered.get() + 1);
        match &by_rhai {
            Ok(expected) => {
                prop_assert_eq!(
                    (answer.type_name(), answer.to_string()),
                    (expected.type_name(), expected.to_string()),
                    "{}: `{}` on {:?}",
                    how,
                    source,
                    scope
                );
            }
            Err(error) => {
                return Err(TestCaseError::fail(format!(
                    "{how}: `{source}` gave {answer}, rhai failed: {error} on {scope:?}"
                )))
            }
        }
    }
    Ok(())
}

use super::Scalar;

#[test]
fn direct_evaluation_agrees_with_rhai_on_generated_expressions() {
    let engine = sandboxed_engine(&SandboxLimits::default());
    // Compiled against names, not values, as the engine compiles rules.
    let mut names = Scope::new();
    for name in LAYOUT {
        names.push_dynamic(name, Dynamic::UNIT);
    }
    let tally = Tally::default();
    // 1500 deals of 6 expressions each: about a second in a release build.
    let mut runner = TestRunner::new(Config {
        cases: 1500,
        failure_persistence: None,
        ..Config::default()
    });
    let input = (
        deal(),
        facts(),
        item(),
        prop::collection::vec(expression(), 6),
    );
    let result = runner.run(&input, |(deal, facts, item, sources)| {
        let mut scope = Scope::new();
        for (name, value) in LAYOUT.into_iter().zip([deal, facts, item]) {
            scope.push_constant_dynamic(name, value);
        }
        // One memo for the whole deal, as a deal's rules share it.
        let numbers = MemoNumbers::default();
        let mut memo = Memo::default();
        for source in &sources {
            check_one(&engine, &names, &scope, source, &numbers, &mut memo, &tally)?;
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // Most generated expressions mix types or read missing fields and go to rhai; still,
    // hundreds must have been answered directly for the comparison to mean anything.
    assert!(
        tally.answered.get() > 1000,
        "only {} of {} expressions answered directly",
        tally.answered.get(),
        tally.compared.get()
    );
}
