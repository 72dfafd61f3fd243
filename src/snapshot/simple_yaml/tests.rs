//! The simple reader must give serde_yaml's answer whenever it answers at all: the same
//! YAML value, and the same snapshot. Hand cases pin the shapes deal files are written
//! in (so that the fast path cannot quietly stop being taken); generated documents of
//! every style, some broken on purpose, and mutated example deals test the rest against
//! serde_yaml itself.

use proptest::prelude::*;
use serde::Deserialize;

use super::{read, Node};
use crate::snapshot::Snapshot;

/// The simple reader's value of `text`, when it gives one; panics when it disagrees with
/// serde_yaml's.
fn value_agreeing(text: &str) -> Option<serde_yaml::Value> {
    let ours = serde_yaml::Value::deserialize(read(text).ok()?).ok()?;
    let theirs: serde_yaml::Value = serde_yaml::from_str(text).unwrap_or_else(|error| {
        panic!("the simple reader accepted what serde_yaml refuses ({error}):\n{text}")
    });
    assert_eq!(
        format!("{ours:?}"),
        format!("{theirs:?}"),
        "the readers disagree on:\n{text}"
    );
    Some(ours)
}

/// The same for a snapshot: `true` when the simple reader read it.
fn snapshot_agreeing(text: &str) -> bool {
    let Some(ours) = super::from_str::<Snapshot>(text) else {
        return false;
    };
    let theirs: Snapshot = serde_yaml::from_str(text).unwrap_or_else(|error| {
        panic!("the simple reader accepted a snapshot serde_yaml refuses ({error}):\n{text}")
    });
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        serde_json::to_string(&theirs).unwrap(),
        "the readers disagree on the snapshot:\n{text}"
    );
    true
}

fn example_deals() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut deals = Vec::new();
    for folder in ["deals", "pipeline", "week/last-week", "week/this-week"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(folder))
            .expect("the examples are in the repository")
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            deals.push((path.display().to_string(), text));
        }
    }
    assert!(deals.len() >= 25, "found {} example deals", deals.len());
    deals
}

#[test]
fn every_example_deal_is_read_by_the_simple_reader_as_serde_yaml_reads_it() {
    for (path, text) in example_deals() {
        assert!(value_agreeing(&text).is_some(), "{path} left to serde_yaml");
        assert!(
            snapshot_agreeing(&text),
            "{path}: snapshot left to serde_yaml"
        );
    }
}

/// Shapes deal files use, each of which the simple reader must read (and read right).
const READ: &[&str] = &[
    "a: 1\nb: two words\nc: \"quoted \\\"x\\\" \\u00e9\\t\"\nd: 'it''s'\n",
    "a: x # comment\n# whole line\n\nb: C#\nc: http://x.y/z\nd: 10:30\n",
    "list:\n- a\n- b\nnext: 1\n",
    "list:\n  - a\n  -   b\n",
    "people:\n  - name: x\n    role: y\n  - name: z\n",
    "people:\n-   name: x\n    role: y\n",
    "m: {a: 1, b: [x, y z], c: 'q', d: \"e\"}\nn: []\no: {}\n",
    "notes: |\n  one\n\n  two\n    indented\nnext: 1\n",
    "notes: |-\n  one\n  two\n\n\nnext: 1\n",
    "notes: >\n  one\n  two\n\n  three\nnext: 1\n",
    "notes: >-\n    deep\n    text # kept\n",
    "items:\n  - |\n    block in a list\n  - plain\n",
    "empty:\nnull_word: ~\nalso: null\nt: True\nf: FALSE\nn: -0x1F\nz: 007\ne: 1e3\n",
    "a:\n  b:\n    c:\n      d: 1\n",
    "crlf: 1\r\nnext: two\r\n",
    "who: 中文\nkey: 周行长的秘书说：好，\"明天\"见\n",
];

/// Texts the simple reader must leave to serde_yaml (or agree on, if it reads them).
const LEFT: &[&str] = &[
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: multi\n  line\n",
    "a: \"multi\n  line\"\n",
    "a:\tb\n",
    "? a\n: b\n",
    "a: [1,\n  2]\n",
    "a: [1, 2,]\n",
    "a: b: c\n",
    "- a\n- b\n",
    "a: |+\n  keep\n\n",
    "a: |2\n   x\n",
    "a: |\n\n  leading blank\n",
    "a: >\n  x\n    more\n",
    "a: 1\n  b: 2\n",
    "a:\n  b: 1\n c: 2\n",
    "a: \"bad \\q escape\"\n",
    "a: 'open\n",
    "a: x\u{85}y\n",
    "a: x\u{2028}y\n",
    "\"q\": 1\n",
    "a : 1\n",
    "",
    "# only a comment\n",
];

#[test]
fn the_shapes_of_deal_files_are_read_and_agree_with_serde_yaml() {
    for text in READ {
        assert!(
            value_agreeing(text).is_some(),
            "left to serde_yaml:\n{text}"
        );
    }
}

#[test]
fn what_the_simple_reader_leaves_is_left_or_agreed() {
    for text in LEFT {
        assert!(
            value_agreeing(text).is_none(),
            "the simple reader read what it should leave:\n{text}"
        );
    }
}

#[test]
fn a_value_the_snapshot_refuses_is_left_to_serde_yaml_for_its_message() {
    let deal = "deal:\n  id: x\n  name: y\n  temperature: 150\n";
    assert!(read(deal).is_ok());
    assert!(super::from_str::<Snapshot>(deal).is_none());
    let quoted_number = "deal:\n  id: x\n  name: y\n  amount: \"100\"\n";
    assert!(super::from_str::<Snapshot>(quoted_number).is_none());
    assert!(serde_yaml::from_str::<Snapshot>(quoted_number).is_err());
}

#[test]
fn nesting_past_the_cap_is_left_to_serde_yaml() {
    let mut text = String::new();
    for depth in 0..40 {
        text.push_str(&" ".repeat(depth));
        text.push_str("a:\n");
    }
    assert!(matches!(read(&text), Err(super::GaveUp)));
    let flow = format!("a: {}1{}\n", "[".repeat(40), "]".repeat(40));
    assert!(read(&flow).is_err());
    assert!(matches!(
        read("a: [[1]]\n"),
        Ok(Node::Mapping(entries)) if matches!(entries[0].1, Node::Sequence(_))
    ));
}

#[test]
fn eight_bytes_at_a_time_accept_exactly_printable_ascii_and_line_feeds() {
    for position in 0..8 {
        for byte in 0..=255u8 {
            let mut word = *b"abcdefgh";
            word[position] = byte;
            let expected = byte == b'\n' || (0x20..=0x7e).contains(&byte);
            assert_eq!(
                super::is_printable_ascii_or_line_feed(u64::from_le_bytes(word)),
                expected,
                "byte {byte:#04x} at {position}"
            );
        }
    }
    // A refused byte is found wherever it stands, in a whole word or the tail.
    for length in 1..20 {
        for at in 0..length {
            let mut text = "a".repeat(length);
            text.replace_range(at..at + 1, "\u{7}");
            assert!(read(&format!("k: {text}\n")).is_err(), "{length} {at}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Generated documents.

/// The first [`EVERYDAY`] are what deal files hold; the rest are the corners of YAML.
const SCALARS: &[&str] = &[
    "",
    "~",
    "null",
    "true",
    "False",
    "0",
    "-1",
    "+5",
    "1.5",
    "2026-11-24",
    "周行长",
    "多个 空格",
    "it's",
    "say \"hi\"",
    "C#",
    "a#b",
    "a:b",
    "12:30",
    "http://x.y/z",
    "-x",
    "?x",
    "007",
    "trailing ",
    "a, b",
    "…",
    "a\u{a0}b",
    // corners
    "Null",
    "yes",
    "0x1F",
    "-0x1F",
    "0o17",
    "0b101",
    "1e3",
    ".5",
    "5.",
    "-.inf",
    ".nan",
    "1_000",
    "a: b",
    "a #b",
    "- x",
    "? x",
    "[a, b]",
    "{a: 1}",
    "&x y",
    "*x",
    "!tag x",
    "@x",
    "`x",
    "%x",
    "tab\there",
    "back\\slash",
    "x]",
    "x}",
    "#",
    ":",
    "-",
    "|",
    ">",
    "a |",
    "\u{85}",
    "\u{2028}",
    "\u{feff}x",
    "9223372036854775808",
    "-9223372036854775809",
];

const EVERYDAY: usize = 26;

fn scalar_index() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0..EVERYDAY, 1 => 0..SCALARS.len()]
}

/// The first [`NAMES`] are names, as every snapshot key is.
const KEYS: &[&str] = &[
    "deal", "id", "name", "notes", "a", "b-c", "_x", "1", "true", "null", "k", "with",
    // corners
    "周", "a b", "\"q\"", "a", "-a", "a:",
];

const NAMES: usize = 12;

fn key_index() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0..NAMES, 1 => 0..KEYS.len()]
}

const BLOCK_LINES: &[&str] = &[
    "first line",
    "",
    "  more indented",
    "# not a comment",
    "周行长说：好",
    "trailing  ",
    "- dash",
    "key: value",
];

#[derive(Debug, Clone)]
enum Shape {
    /// A scalar from [`SCALARS`] in a style: plain, single-quoted, double-quoted, with a
    /// comment after it, or a block scalar of [`BLOCK_LINES`].
    Scalar {
        text: usize,
        style: u8,
        lines: Vec<usize>,
    },
    Map {
        entries: Vec<(usize, Shape)>,
        step: usize,
    },
    Seq {
        items: Vec<Shape>,
        step: usize,
        indentless: bool,
    },
    FlowSeq(Vec<(usize, u8)>),
    FlowMap(Vec<(usize, usize, u8)>),
}

fn shape() -> impl Strategy<Value = Shape> {
    let scalar = (
        scalar_index(),
        0u8..12,
        prop::collection::vec(0..BLOCK_LINES.len(), 1..4),
    )
        .prop_map(|(text, style, lines)| Shape::Scalar { text, style, lines });
    let flow_seq = prop::collection::vec((scalar_index(), 0u8..3), 0..3).prop_map(Shape::FlowSeq);
    let flow_map =
        prop::collection::vec((key_index(), scalar_index(), 0u8..3), 0..3).prop_map(Shape::FlowMap);
    let leaf = prop_oneof![6 => scalar, 1 => flow_seq, 1 => flow_map];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                prop::collection::vec((key_index(), inner.clone()), 1..4),
                1usize..5
            )
                .prop_map(|(entries, step)| Shape::Map { entries, step }),
            (prop::collection::vec(inner, 1..4), 1usize..5, any::<bool>()).prop_map(
                |(items, step, indentless)| Shape::Seq {
                    items,
                    step,
                    indentless
                }
            ),
        ]
    })
}

fn quote(text: &str, style: u8) -> String {
    match style % 3 {
        0 => text.to_owned(),
        1 => format!("'{}'", text.replace('\'', "''")),
        _ => format!(
            "\"{}\"",
            text.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\t', "\\t")
                .replace('é', "\\u00e9")
        ),
    }
}

/// Renders a value after `key:` or `-` (already in `line`) in a collection at `indent`.
fn render_value(shape: &Shape, indent: usize, mut line: String, out: &mut Vec<String>) {
    match shape {
        Shape::Scalar { text, style, lines } => {
            let text = SCALARS[*text];
            match style {
                0..=2 => line.push_str(&format!(" {}", quote(text, *style))),
                3 => line.push_str(&format!(" {text} # note")),
                4 => line.push_str(&format!(" {text}#note")),
                5 => line.push_str(&format!(" \"{text}\\x41\\N\\/\"")),
                _ => {
                    let header = ["|", "|-", ">", ">-", "|+", "| # c"][(*style as usize - 6) % 6];
                    line.push_str(&format!(" {header}"));
                    out.push(line);
                    let step = 1 + (*style as usize % 3);
                    for &index in lines {
                        let content = BLOCK_LINES[index];
                        if content.is_empty() {
                            out.push(String::new());
                        } else {
                            out.push(format!("{}{content}", " ".repeat(indent + step)));
                        }
                    }
                    return;
                }
            }
            out.push(line);
        }
        Shape::FlowSeq(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|(text, style)| quote(SCALARS[*text], *style))
                .collect();
            line.push_str(&format!(" [{}]", items.join(", ")));
            out.push(line);
        }
        Shape::FlowMap(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, text, style)| {
                    format!("{}: {}", KEYS[*key], quote(SCALARS[*text], *style))
                })
                .collect();
            line.push_str(&format!(" {{{}}}", entries.join(", ")));
            out.push(line);
        }
        Shape::Map { step, .. } => {
            out.push(line);
            render_collection(shape, indent + step, out);
        }
        Shape::Seq {
            step, indentless, ..
        } => {
            out.push(line);
            let at = if *indentless && !line_is_entry(out) {
                indent
            } else {
                indent + step
            };
            render_collection(shape, at, out);
        }
    }
}

/// Whether the last line pushed starts a sequence entry (`- key:` cannot be followed by
/// an indentless sequence the same way a mapping's key can).
fn line_is_entry(out: &[String]) -> bool {
    out.last()
        .is_some_and(|line| line.trim_start().starts_with('-'))
}

fn render_collection(shape: &Shape, indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match shape {
        Shape::Map { entries, .. } => {
            for (key, value) in entries {
                render_value(value, indent, format!("{pad}{}:", KEYS[*key]), out);
            }
        }
        Shape::Seq { items, .. } => {
            for item in items {
                if let Shape::Map { .. } = item {
                    // A mapping begun on the entry's line.
                    let mut lines = Vec::new();
                    render_collection(item, indent + 2, &mut lines);
                    if let Some(first) = lines.first_mut() {
                        *first = format!("{pad}- {}", &first[indent + 2..]);
                    }
                    out.extend(lines);
                } else {
                    render_value(item, indent, format!("{pad}-"), out);
                }
            }
        }
        other => render_value(other, indent, format!("{pad}value:"), out),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    Indent(usize, usize),
    Truncate(usize, usize),
    Insert(usize, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), 1usize..3).prop_map(|(line, by)| Mutation::Indent(line, by)),
        (any::<usize>(), any::<usize>()).prop_map(|(line, at)| Mutation::Truncate(line, at)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                " # c", "\t", ": ", "'", "\"", "[", "{", "&a ", "*a", "- ", "\r", "\\", "#"
            ])
        )
            .prop_map(|(at, text)| Mutation::Insert(at, text)),
    ]
}

fn mutate(lines: &mut Vec<String>, mutations: &[Mutation]) {
    for mutation in mutations {
        if lines.is_empty() {
            return;
        }
        let len = lines.len();
        match mutation {
            Mutation::DeleteLine(line) => {
                lines.remove(line % len);
            }
            Mutation::DuplicateLine(line) => {
                let copy = lines[line % len].clone();
                lines.insert(line % len, copy);
            }
            Mutation::Indent(line, by) => lines[line % len].insert_str(0, &" ".repeat(*by)),
            Mutation::Truncate(line, at) => {
                let target = &mut lines[line % len];
                let cut = target
                    .char_indices()
                    .map(|(index, _)| index)
                    .nth(at % (target.chars().count() + 1))
                    .unwrap_or(target.len());
                target.truncate(cut);
            }
            Mutation::Insert(at, text) => {
                let target = &mut lines[at % len];
                let cut = target
                    .char_indices()
                    .map(|(index, _)| index)
                    .nth(at / len % (target.chars().count() + 1))
                    .unwrap_or(target.len());
                target.insert_str(cut, text);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_documents_read_as_serde_yaml_reads_them(
        entries in prop::collection::vec((key_index(), shape()), 1..5),
        mutations in prop::collection::vec(mutation(), 0..2),
        crlf in prop::bool::weighted(0.2),
    ) {
        let mut lines = Vec::new();
        render_collection(&Shape::Map { entries, step: 2 }, 0, &mut lines);
        mutate(&mut lines, &mutations);
        let text = lines.join(if crlf { "\r\n" } else { "\n" }) + "\n";
        value_agreeing(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_example_deals_read_as_serde_yaml_reads_them(
        deal in any::<prop::sample::Index>(),
        replace in prop::collection::vec((any::<usize>(), scalar_index(), 0u8..6), 0..3),
        mutations in prop::collection::vec(mutation(), 0..3),
        crlf in prop::bool::weighted(0.2),
    ) {
        let deals = example_deals_cached();
        let text = &deals[deal.index(deals.len())];
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for (line, scalar, style) in replace {
            let target = &mut lines[line % text.lines().count()];
            if let Some(colon) = target.find(": ") {
                target.truncate(colon + 1);
                let value = SCALARS[scalar];
                target.push_str(&match style {
                    0..=2 => format!(" {}", quote(value, style)),
                    3 => format!(" {value} # note"),
                    4 => format!(" [{}]", quote(value, style)),
                    _ => format!(" {{name: {}}}", quote(value, style)),
                });
            }
        }
        mutate(&mut lines, &mutations);
        // Deals saved on Windows end their lines with CR LF.
        let text = lines.join(if crlf { "\r\n" } else { "\n" }) + "\n";
        value_agreeing(&text);
        snapshot_agreeing(&text);
    }
}

fn example_deals_cached() -> &'static [String] {
    static DEALS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    DEALS.get_or_init(|| example_deals().into_iter().map(|(_, text)| text).collect())
}
