//! Hostile and broken input must never panic, hang or give different answers twice.
//! Deal files come from hand edits and CRM exports; these tests mutate real deals the way
//! such files break (lines deleted, values truncated, types swapped, bytes garbled) and
//! check the loader and the coach only ever succeed or refuse with a located message.
//! (A `cargo fuzz` target needs a nightly toolchain, which this project's machines do not
//! have; proptest gives the same guarantee on stable.)

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use dealcoach::coach::coach;
use dealcoach::playbook::{Lang, Playbook, PlaybookFiles};
use dealcoach::snapshot::parse;
use proptest::prelude::*;

fn playbook() -> &'static Playbook {
    static PLAYBOOK: OnceLock<Playbook> = OnceLock::new();
    PLAYBOOK
        .get_or_init(|| Playbook::load(PlaybookFiles::builtin()).expect("built-in playbooks load"))
}

fn seeds() -> Vec<String> {
    let mut seeds: Vec<String> = std::fs::read_dir(common::root().join("examples/deals"))
        .unwrap()
        .flatten()
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
        .collect();
    seeds.sort();
    seeds
}

/// One way a deal file gets broken.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    TruncateLine(usize, usize),
    DuplicateLine(usize),
    ReplaceValue(usize, &'static str),
    InsertByte(usize, u8),
    Indent(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let values = prop::sample::select(vec![
        "",
        "~",
        "[]",
        "{}",
        "-1",
        "1e309",
        "999999999999999999999",
        "true",
        "\"\"",
        "[a, b",
        "2026-02-30",
        "&x",
        "*x",
        "!!binary x",
        "\"\\u0000\"",
        "李总",
        "- x",
    ]);
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), any::<usize>()).prop_map(|(line, at)| Mutation::TruncateLine(line, at)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), values).prop_map(|(line, value)| Mutation::ReplaceValue(line, value)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::InsertByte(at, byte)),
        any::<usize>().prop_map(Mutation::Indent),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for mutation in mutations {
        if lines.is_empty() {
            break;
        }
        let len = lines.len();
        match mutation {
            Mutation::DeleteLine(line) => {
                lines.remove(line % len);
            }
            Mutation::TruncateLine(line, at) => {
                let target = &mut lines[line % len];
                let cut = target
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(at % (target.chars().count() + 1))
                    .unwrap_or(target.len());
                target.truncate(cut);
            }
            Mutation::DuplicateLine(line) => {
                let copy = lines[line % len].clone();
                lines.insert(line % len, copy);
            }
            Mutation::ReplaceValue(line, value) => {
                let target = &mut lines[line % len];
                if let Some(colon) = target.find(": ") {
                    target.truncate(colon + 2);
                    target.push_str(value);
                }
            }
            Mutation::InsertByte(at, byte) => {
                let joined = lines.join("\n");
                let mut bytes = joined.into_bytes();
                let position = at % (bytes.len() + 1);
                bytes.insert(position, *byte);
                lines = String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(str::to_owned)
                    .collect();
            }
            Mutation::Indent(line) => lines[line % len].insert_str(0, "  "),
        }
    }
    lines.join("\n")
}

/// Parses and coaches `text`; panics are caught and reported as test failures with the
/// input that caused them. Returns the JSON (or the error) for the determinism check.
fn outcome(text: &str) -> Result<String, String> {
    let playbook = playbook();
    let result = catch_unwind(AssertUnwindSafe(|| {
        match parse(text, "mutated.yaml", &playbook.aliases) {
            Ok(snapshot) => coach(playbook, &snapshot, Lang::En)
                .map(|report| dealcoach::present::next::json(&report, playbook)),
            Err(diagnostic) => Err(diagnostic.to_string()),
        }
    }));
    match result {
        Ok(outcome) => outcome,
        Err(_) => panic!("panicked on input:\n{text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_deals_never_panic_and_answer_the_same_twice(seed in 0usize..16, mutations in prop::collection::vec(mutation(), 1..6)) {
        let seeds = seeds();
        let text = apply(&seeds[seed % seeds.len()], &mutations);
        let first = outcome(&text);
        let second = outcome(&text);
        prop_assert_eq!(&first, &second);
        if let Err(message) = &first {
            prop_assert!(message.starts_with("mutated.yaml"), "a refusal names the file: {}", message);
        }
    }
}

#[test]
fn mutated_deal_files_give_only_exit_codes_0_1_2() {
    // The same through the binary, on a few hundred files, checking exit codes and that a
    // refusal leaves stdout empty.
    let seeds = seeds();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng as usize
    };
    let mut paths = Vec::new();
    for index in 0..200 {
        let mutations: Vec<Mutation> = (0..1 + next() % 4)
            .map(|_| match next() % 5 {
                0 => Mutation::DeleteLine(next()),
                1 => Mutation::TruncateLine(next(), next()),
                2 => Mutation::ReplaceValue(
                    next(),
                    ["[]", "-5", "x", "{a: 1}", "2026-13-01"][next() % 5],
                ),
                3 => Mutation::InsertByte(next(), (next() % 256) as u8),
                _ => Mutation::DuplicateLine(next()),
            })
            .collect();
        let text = apply(&seeds[index % seeds.len()], &mutations);
        paths.push(common::temp_file(
            &dir,
            &format!("deal-{index}.yaml"),
            &text,
        ));
    }
    for path in paths {
        let output = common::dealcoach()
            .args(["next", &path, "--format", "json"])
            .output()
            .unwrap();
        let code = output.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{path}: exit {code:?}, stderr {}",
            common::stderr(&output)
        );
        if code == Some(2) {
            assert!(
                output.stdout.is_empty(),
                "{path}: partial output on refusal"
            );
            assert!(!common::stderr(&output).contains("panicked"));
        }
    }
}

#[test]
fn a_60_mb_deal_file_is_refused_in_well_under_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let mut text = String::from("deal: {id: a, name: b}\nquestions:\n");
    let line = "  - {type: situation, text: \"how many plants run the old system today?\"}\n";
    while text.len() < 60 * 1024 * 1024 {
        text.push_str(line);
    }
    std::fs::write(&path, text).unwrap();
    let started = std::time::Instant::now();
    let output = common::dealcoach()
        .args(["next", path.to_str().unwrap()])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        common::stderr(&output).contains("over the 8388608-byte limit"),
        "{}",
        common::stderr(&output)
    );
    assert!(
        elapsed < std::time::Duration::from_secs(1),
        "took {elapsed:?}"
    );
}

#[test]
fn deeply_nested_yaml_is_refused_not_overflowed() {
    let depth = 100_000;
    let text = format!(
        "deal: {{id: a, name: b}}\nquestions: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let message = outcome(&text).unwrap_err();
    assert!(message.starts_with("mutated.yaml"), "{message}");
}
