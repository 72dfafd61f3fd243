//! Hostile and broken input must never panic, hang or give different answers twice.
//! Deal files come from hand edits and CRM exports; these tests mutate real deals the way
//! such files break (lines deleted, values truncated, types swapped, bytes garbled) and
//! check the loader and the coach only ever succeed or refuse with a located message.
//! (A `cargo fuzz` target needs a nightly toolchain, which this project's machines do not
//! have; proptest gives the same guarantee on stable.)

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dealcoach::coach::coach;
use dealcoach::playbook::{Lang, Playbook, PlaybookFiles};
use dealcoach::snapshot::parse;
use dealcoach::views::pipeline::for_each_chunk;
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
        "&big [1, 2, 3]",
        "*big",
        "call Bob's boss",
        "rock 'n roll",
        "'it''s'",
        "\"a \\\\\"",
        "# it's [",
        "'",
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

// ---------------------------------------------------------------------------------------
// List files and aliases: the parser splits a list, so what is written is what is read.

/// One deal of a generated list file: what is written, and what must be read back.
#[derive(Debug, Clone)]
struct ListedDeal {
    name: String,
    /// A literal block (`notes: |`) whose lines may start with `- `.
    notes: Option<Vec<String>>,
    comment: String,
}

/// Text with everything that fooled hand-made scanners: quotes, apostrophes, `#`,
/// brackets, commas, backslashes, `: `, a dash at a line start, anchors and aliases.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "Bob's",
            "rock 'n roll",
            "\"",
            "'",
            "''",
            "#",
            " # ",
            "[",
            "]",
            "{",
            "}",
            ",",
            "\\",
            "\\\"",
            ": ",
            "- ",
            "\n- ",
            "&x",
            "*x",
            "李总",
            "ok",
            " ",
            "%",
            "@",
            "`",
            "|",
            ">",
            "!",
            "?",
            "\t",
        ]),
        1..8,
    )
    .prop_map(|parts| parts.concat())
}

/// Words a plain (unquoted) scalar may hold, apostrophes included.
fn plain_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "call", "Bob's", "boss", "rock", "'n", "roll", "it's", "O'Brien", "李总", "x\"y",
        ]),
        1..5,
    )
    .prop_map(|words| format!("deal {}", words.join(" ")))
}

/// How a name is written: plain, single-quoted or double-quoted.
#[derive(Debug, Clone, Copy)]
enum Quoting {
    Plain,
    Single,
    Double,
}

fn scalar(text: &str, quoting: Quoting) -> String {
    match quoting {
        Quoting::Plain => text.to_owned(),
        Quoting::Single if !text.contains('\n') && !text.contains('\t') => {
            format!("'{}'", text.replace('\'', "''"))
        }
        // JSON strings are YAML double-quoted scalars.
        _ => serde_json::to_string(text).expect("a string serializes"),
    }
}

fn listed_deal() -> impl Strategy<Value = (ListedDeal, Quoting)> {
    let name = prop_oneof![
        plain_text().prop_map(|text| (text, Quoting::Plain)),
        tricky_text().prop_map(|text| (text, Quoting::Single)),
        tricky_text().prop_map(|text| (text, Quoting::Double)),
    ];
    let notes = prop::option::of(prop::collection::vec(
        tricky_text().prop_map(|line| line.replace(['\n', '\t'], " ").trim().to_owned()),
        1..4,
    ));
    let comment = tricky_text().prop_map(|text| text.replace('\n', " "));
    (name, notes, comment).prop_map(|((mut name, quoting), notes, comment)| {
        if name.trim().is_empty() {
            name.push('x'); // a deal's name may not be blank
        }
        let notes = notes.map(|lines| {
            lines
                .into_iter()
                .map(|line| {
                    if line.is_empty() {
                        "x".to_owned()
                    } else {
                        line
                    }
                })
                .collect()
        });
        (
            ListedDeal {
                name,
                notes,
                comment,
            },
            quoting,
        )
    })
}

/// A list file holding `deals`, as block entries (`- deal: …`) or a flow sequence; with
/// `shared`, the first entry anchors an account every other entry refers to.
fn list_text(deals: &[(ListedDeal, Quoting)], flow: bool, bom: bool, shared: bool) -> String {
    let mut text = String::from(if bom { "\u{feff}" } else { "" });
    text.push_str("# a list of deals: Bob's, \"quoted\", [brackets]\n");
    if flow {
        text.push_str("[\n");
    }
    for (index, (deal, quoting)) in deals.iter().enumerate() {
        let name = scalar(&deal.name, *quoting);
        if flow {
            // Flow context: no literal blocks; the notes as one double-quoted scalar.
            let notes = deal
                .notes
                .as_ref()
                .map(|lines| {
                    format!(
                        ", notes: {}",
                        scalar(&format!("{}\n", lines.join("\n")), Quoting::Double)
                    )
                })
                .unwrap_or_default();
            let comma = if index + 1 < deals.len() { "," } else { "" };
            let account = match (shared, index) {
                (false, _) => "",
                (true, 0) => ", account: &acme {name: \"Acme's\"}",
                (true, _) => ", account: *acme",
            };
            text.push_str(&format!(
                "  {{deal: {{id: d{index}, name: {name}{notes}}}{account}}}{comma} # {}\n",
                deal.comment
            ));
        } else {
            text.push_str(&format!(
                "- deal:  # {}\n    id: d{index}\n    name: {name}\n",
                deal.comment
            ));
            if let Some(lines) = &deal.notes {
                text.push_str("    notes: |\n");
                for line in lines {
                    text.push_str(&format!("      {line}\n"));
                }
            }
            match (shared, index) {
                (false, _) => {}
                (true, 0) => text.push_str("  account: &acme\n    name: Acme's\n"),
                (true, _) => text.push_str("  account: *acme\n"),
            }
        }
    }
    if flow {
        text.push_str("]\n");
    }
    text
}

/// What `read_pipeline` gives for a deal: id, name, notes, account name.
type ReadDeal = (String, String, Option<String>, Option<String>);

/// Reads a pipeline in process, each deal or its error.
fn read_pipeline(paths: &[PathBuf]) -> Vec<Result<ReadDeal, String>> {
    let aliases = Arc::clone(&playbook().aliases);
    let mut outcomes = Vec::new();
    for_each_chunk(
        paths,
        &aliases,
        dealcoach::snapshot::DEFAULT_MAX_INPUT_BYTES,
        |snapshot, _origin| {
            Ok((
                snapshot.deal.id.clone(),
                snapshot.deal.name.clone(),
                snapshot.deal.notes.clone(),
                snapshot.account.name.clone(),
            ))
        },
        |chunk| {
            outcomes.extend(
                chunk
                    .into_iter()
                    .map(|outcome| outcome.map_err(|error| error.message)),
            )
        },
    );
    outcomes
}

fn written(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp dir is writable");
    path
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// Quotes, apostrophes and comments in entries, lines starting with `- ` inside a
    /// note, a byte-order mark, an anchor shared between entries: a list file reviews
    /// exactly the entries written, each read exactly as written.
    #[test]
    fn list_files_read_exactly_the_entries_written(
        deals in prop::collection::vec(listed_deal(), 1..7),
        flow in any::<bool>(),
        bom in any::<bool>(),
        shared in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let text = list_text(&deals, flow, bom, shared);
        let path = written(dir.path(), "list.yaml", &text);
        let outcomes = read_pipeline(&[path]);
        prop_assert_eq!(outcomes.len(), deals.len(), "{}\n{:?}", text, outcomes);
        for (index, ((deal, _), outcome)) in deals.iter().zip(&outcomes).enumerate() {
            let (id, name, notes, account) = outcome.as_ref().map_err(|error| {
                TestCaseError::fail(format!("{error}\n{text}"))
            })?;
            prop_assert_eq!(id, &format!("d{index}"));
            prop_assert_eq!(name, &deal.name, "{}", text);
            let expected = deal.notes.as_ref().map(|lines| format!("{}\n", lines.join("\n")));
            prop_assert_eq!(notes, &expected, "{}", text);
            prop_assert_eq!(account.as_deref(), shared.then_some("Acme's"), "{}", text);
        }
    }

    /// An anchored note aliased many times is read exactly while the expanded document
    /// fits the input cap, and refused at an alias (quickly) when it would not.
    #[test]
    fn alias_heavy_documents_are_refused_quickly_or_read_exactly(
        length in 1usize..400_000,
        aliases in 0usize..60,
    ) {
        let note = "n".repeat(length);
        let mut text = format!("deal: {{id: a, name: b, notes: &note {note}}}\nstakeholders:\n");
        for index in 0..aliases {
            text.push_str(&format!("  - {{name: p{index}, needs: *note}}\n"));
        }
        // Each alias stands for `&note` and the note, less its own two characters.
        let expanded = text.len() + aliases * (length + "&note ".len() - "*note".len());
        let started = std::time::Instant::now();
        let outcome = parse(&text, "aliases.yaml", &playbook().aliases);
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
        if expanded as u64 <= dealcoach::snapshot::DEFAULT_MAX_INPUT_BYTES {
            let snapshot = outcome.map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(snapshot.stakeholders.len(), aliases);
            prop_assert!(snapshot.stakeholders.iter().all(|person| person.needs.as_deref() == Some(note.as_str())));
        } else {
            let message = outcome.map(|_| ()).unwrap_err().to_string();
            prop_assert!(message.starts_with("aliases.yaml:") && message.contains("the alias `*note`"), "{}", message);
        }
    }

    /// Chains of aliases (each level repeats the one before) never take long or panic.
    #[test]
    fn alias_chains_are_refused_or_read_quickly(levels in 1usize..12, fan_out in 1usize..12) {
        let mut text = String::from("deal: {id: a, name: b}\nquestions:\n  - &l0 {type: situation, text: t}\n");
        for level in 1..levels {
            let previous = format!("*l{}", level - 1);
            text.push_str(&format!("  - &l{level} [{}]\n", vec![previous.as_str(); fan_out].join(", ")));
        }
        let started = std::time::Instant::now();
        let first = outcome(&text);
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
        prop_assert_eq!(first, outcome(&text));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// A list file of real deals, broken the way hand edits break files: never a panic,
    /// the same answer twice, and every refusal names the list file.
    #[test]
    fn mutated_list_files_never_panic(mutations in prop::collection::vec(mutation(), 1..6), flow in any::<bool>()) {
        let seeds = seeds();
        let entries: Vec<String> = seeds.iter().take(4).map(|seed| {
            if flow {
                // Each deal as one JSON object: a JSON array is a flow list.
                let value: serde_json::Value = serde_yaml::from_str(seed).expect("seed deals are valid");
                serde_json::to_string(&value).expect("JSON")
            } else {
                let indented: Vec<String> = seed.lines().map(|line| format!("  {line}")).collect();
                format!("-{}", &indented.join("\n")[1..])
            }
        }).collect();
        let list = if flow { format!("[\n{}\n]\n", entries.join(",\n")) } else { entries.join("\n") + "\n" };
        let text = apply(&list, &mutations);
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path(), "list.yaml", &text);
        let first = catch_unwind(AssertUnwindSafe(|| read_pipeline(std::slice::from_ref(&path))))
            .map_err(|_| TestCaseError::fail(format!("panicked on:\n{text}")))?;
        let second = read_pipeline(std::slice::from_ref(&path));
        prop_assert_eq!(&first, &second);
        prop_assert!(!first.is_empty());
        let shown = path.display().to_string();
        for outcome in &first {
            if let Err(message) = outcome {
                prop_assert!(message.starts_with(&shown), "a refusal names the list file: {}", message);
            }
        }
    }
}
