//! One pass over a document's parser events, before anything is built from it: the input
//! guards, and the outline of a list file.
//!
//! The guards keep the cost of reading a file bounded by its size:
//! - nesting: no collection deeper than [`MAX_NESTING`] (libyaml slows down sharply on
//!   tens of thousands of nested brackets, long before serde's recursion limit);
//! - aliases: a YAML alias repeats its anchor's node, so a small file can stand for an
//!   enormous one. Each anchored node's expanded size is known when it closes; every alias
//!   adds it, and the document is refused at the alias that would take its expanded size
//!   past the input cap, or its node count past [`MAX_NODES`];
//! - nodes: deserializing holds every event of a document in memory (~150 bytes a node),
//!   so a document of more than [`MAX_NODES`] values, lists and mappings is refused.
//!
//! The outline of a list file (a document whose top level is a sequence) gives each
//! top-level entry's span and the anchored nodes outside it that it refers to, so the
//! entry can be parsed on its own. A list file is not held as events: its entries are.

use std::collections::HashMap;

use super::events::{Kind, Parser};
pub use super::events::{Mark, SyntaxError};

/// Collections nested deeper than this are refused; no deal or playbook comes close.
pub const MAX_NESTING: usize = 64;

/// A document (a deal, a playbook file, one entry of a list file) with more values, lists
/// and mappings than this, aliases expanded, is refused. A large deal has a few thousand;
/// the largest built-in playbook test file, 34,000. serde_yaml holds about 225 bytes per
/// node while it reads, so this keeps one document under about 115 MB.
pub const MAX_NODES: u64 = 500_000;

/// What a pass enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The input cap: the document with its aliases expanded may not be larger.
    pub max_expanded_bytes: u64,
    /// `None` for a list file, whose entries are held one at a time.
    pub max_nodes: Option<u64>,
}

/// Why a document is refused, and where.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub mark: Mark,
    pub message: String,
}

/// A node's text: `start..end` (byte offsets in `Mark::index`).
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: Mark,
    pub end: Mark,
}

/// One top-level entry of a list file.
#[derive(Debug, Clone)]
pub struct Entry {
    pub span: Span,
    /// Its values, lists and mappings, aliases expanded.
    pub nodes: u64,
    /// Anchored nodes outside the entry that its aliases need (directly or through other
    /// such nodes), outermost only, in document order.
    pub borrowed: Vec<Span>,
}

/// What a list pass found.
#[derive(Debug, Default)]
pub struct ListOutline {
    /// `[…]` (a JSON array, say) rather than `- …` lines.
    pub flow: bool,
    /// Where the list starts (its `[` or first `-`).
    pub start: Mark,
    pub entries: Vec<Entry>,
    /// A syntax error that ended the pass: the entries before it are whole, those after
    /// it cannot be found.
    pub broken: Option<SyntaxError>,
    /// Where a second document starts (a list file holds one).
    pub second_document: Option<Mark>,
}

/// The shape of a text, as far as `list` needs to know.
#[derive(Debug)]
pub enum Shape {
    /// Not a list (a mapping, a scalar, nothing, or a syntax error before the top-level
    /// node): one document, guarded whole under the document limits.
    Single,
    List(ListOutline),
}

/// Checks a whole document (every document of the stream: serde_yaml parses a second one
/// before refusing it). A syntax error is refused here, at its place: serde reads the
/// document as it goes and would otherwise report an unknown field or a wrong type in
/// the part before it, hiding the error that makes the file unreadable.
pub fn guard(text: &str, limits: Limits) -> Result<(), Refusal> {
    let mut pass = Pass::new(text, limits, false);
    while let Some(event) = pass.parser.next_event() {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                return Err(Refusal {
                    mark: error.mark,
                    message: syntax_message(&error),
                })
            }
        };
        if event.kind == Kind::DocumentStart {
            pass.new_document();
        }
        pass.step(&event)?;
    }
    Ok(())
}

/// A syntax error in words: libyaml's own, said as what it is.
pub fn syntax_message(error: &SyntaxError) -> String {
    format!("not valid YAML (or JSON): {}", error.message())
}

/// Guards a text and, when its first document's top level is a sequence, finds its
/// entries, in one pass: a text that is not a list is guarded like [`guard`] under
/// `document` limits; a list is guarded whole under `list` limits (no node count: its
/// entries are held one at a time), and each entry's node count is kept for the caller.
pub fn list(text: &str, document: Limits, list: Limits) -> Result<Shape, Refusal> {
    let mut pass = Pass::new(text, document, true);
    let mut outline = ListOutline::default();
    let mut shape: Option<bool> = None;
    let mut documents = 0;
    while let Some(event) = pass.parser.next_event() {
        let event = match event {
            Ok(event) => event,
            Err(error) if shape == Some(true) => {
                outline.broken = Some(error);
                break;
            }
            // The deserializer reports it, having built nothing past it.
            Err(_) => return Ok(Shape::Single),
        };
        match event.kind {
            Kind::DocumentStart => {
                documents += 1;
                if documents > 1 && shape == Some(true) {
                    outline.second_document = Some(event.start);
                    break;
                }
                pass.new_document();
            }
            Kind::SequenceStart if shape.is_none() => {
                shape = Some(true);
                outline.flow = event.flow;
                outline.start = event.start;
                pass.limits = list;
            }
            Kind::Alias | Kind::Scalar | Kind::MappingStart if shape.is_none() => {
                shape = Some(false);
                pass.track_list = false;
            }
            _ => {}
        }
        pass.step(&event)?;
    }
    if shape != Some(true) {
        return Ok(Shape::Single);
    }
    outline.entries = pass.entries();
    Ok(Shape::List(outline))
}

/// An anchored node.
struct Anchored {
    span: Span,
    /// Known once the node closes; an alias to an unclosed node is a cycle.
    closed: bool,
    expanded_bytes: u64,
    expanded_nodes: u64,
}

/// A collection being read.
struct Frame {
    anchored: Option<usize>,
    start: Mark,
    extra_bytes_before: u64,
    nodes_before: u64,
}

struct Pass<'text> {
    text: &'text str,
    parser: Parser<'text>,
    limits: Limits,
    depth: usize,
    frames: Vec<Frame>,
    anchored: Vec<Anchored>,
    /// Anchor name → the latest node that defined it, in this document.
    names: HashMap<Box<[u8]>, usize>,
    /// Bytes that aliases add beyond their own text, so far.
    extra_bytes: u64,
    /// Nodes so far, aliases expanded.
    nodes: u64,
    /// For a list: every alias (its offset and the anchored node it names), and the
    /// top-level entries.
    track_list: bool,
    aliases: Vec<(usize, usize)>,
    spans: Vec<(Span, u64)>,
    /// Where the entry being read starts, and the node count then.
    entry_start: Option<(Mark, u64)>,
}

impl<'text> Pass<'text> {
    fn new(text: &'text str, limits: Limits, track_list: bool) -> Pass<'text> {
        Pass {
            text,
            parser: Parser::new(text),
            limits,
            depth: 0,
            frames: Vec::new(),
            anchored: Vec::new(),
            names: HashMap::new(),
            extra_bytes: 0,
            nodes: 0,
            track_list,
            aliases: Vec::new(),
            spans: Vec::new(),
            entry_start: None,
        }
    }

    /// Anchors do not reach across documents.
    fn new_document(&mut self) {
        self.names.clear();
    }

    fn step(&mut self, event: &super::events::Event) -> Result<(), Refusal> {
        match event.kind {
            Kind::Scalar | Kind::Alias | Kind::SequenceStart | Kind::MappingStart => {
                if self.track_list && self.depth == 1 {
                    self.entry_start = Some((event.start, self.nodes));
                }
                let nodes_before = self.nodes;
                self.nodes += 1;
                if event.kind == Kind::Alias {
                    self.alias(event)?;
                }
                self.check_nodes(event.start)?;
                // An alias event's `anchor` is the name it refers to, not a definition.
                let defined = event.anchor.as_ref().filter(|_| event.kind != Kind::Alias);
                let anchored = defined.map(|name| {
                    let index = self.anchored.len();
                    self.anchored.push(Anchored {
                        span: Span {
                            start: event.start,
                            end: event.end,
                        },
                        closed: event.kind == Kind::Scalar,
                        expanded_bytes: event.end.index.saturating_sub(event.start.index) as u64,
                        expanded_nodes: 1,
                    });
                    self.names.insert(name.clone(), index);
                    index
                });
                if matches!(event.kind, Kind::SequenceStart | Kind::MappingStart) {
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return Err(Refusal {
                            mark: event.start,
                            message: format!("collections are nested more than {MAX_NESTING} levels deep here; no deal or playbook needs that"),
                        });
                    }
                    self.frames.push(Frame {
                        anchored,
                        start: event.start,
                        extra_bytes_before: self.extra_bytes,
                        nodes_before,
                    });
                } else {
                    self.end_entry(event.end);
                }
            }
            Kind::SequenceEnd | Kind::MappingEnd => {
                self.depth = self.depth.saturating_sub(1);
                if let Some(frame) = self.frames.pop() {
                    if let Some(index) = frame.anchored {
                        let node = &mut self.anchored[index];
                        node.span.end = event.end;
                        node.closed = true;
                        node.expanded_bytes = event.end.index.saturating_sub(frame.start.index)
                            as u64
                            + (self.extra_bytes - frame.extra_bytes_before);
                        node.expanded_nodes = self.nodes - frame.nodes_before;
                    }
                }
                self.end_entry(event.end);
            }
            _ => {}
        }
        Ok(())
    }

    fn end_entry(&mut self, end: Mark) {
        if self.track_list && self.depth == 1 {
            if let Some((start, nodes_before)) = self.entry_start.take() {
                self.spans
                    .push((Span { start, end }, self.nodes - nodes_before));
            }
        }
    }

    fn alias(&mut self, event: &super::events::Event) -> Result<(), Refusal> {
        let name = event.anchor.as_deref().unwrap_or_default();
        // An unknown anchor is left to the deserializer, which names it.
        let Some(&index) = self.names.get(name) else {
            return Ok(());
        };
        let shown = String::from_utf8_lossy(name);
        let node = &self.anchored[index];
        if !node.closed {
            return Err(Refusal {
                mark: event.start,
                message: format!(
                    "the alias `*{shown}` is inside the node it refers to: it would repeat forever"
                ),
            });
        }
        let own = event.end.index.saturating_sub(event.start.index) as u64;
        self.extra_bytes = self
            .extra_bytes
            .saturating_add(node.expanded_bytes.saturating_sub(own));
        self.nodes = self
            .nodes
            .saturating_add(node.expanded_nodes.saturating_sub(1));
        let expanded = (self.text.len() as u64).saturating_add(self.extra_bytes);
        if expanded > self.limits.max_expanded_bytes {
            return Err(Refusal {
                mark: event.start,
                message: format!(
                    "the alias `*{shown}` takes the document past the {}-byte limit for an input once its aliases are expanded (use fewer aliases, or set DEALCOACH_MAX_INPUT_BYTES to raise the limit)",
                    self.limits.max_expanded_bytes
                ),
            });
        }
        if self.track_list {
            self.aliases.push((event.start.index, index));
        }
        Ok(())
    }

    fn check_nodes(&self, mark: Mark) -> Result<(), Refusal> {
        match self.limits.max_nodes {
            Some(max) if self.nodes > max => Err(Refusal {
                mark,
                message: format!(
                    "the document has more than {max} values, lists and mappings (aliases expanded) by here; no deal or playbook needs that many (a pipeline belongs in a folder)"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// The entries, each with the anchored nodes outside it that it needs.
    fn entries(self) -> Vec<Entry> {
        // The aliases inside a span are a range of `aliases` (sorted by offset); those
        // naming a node that starts before the span reach outside it. An anchored node's
        // own outside references are found once and kept.
        let aliases = self.aliases;
        let anchored = self.anchored;
        let mut outside_of: HashMap<usize, Vec<usize>> = HashMap::new();
        let outside = |span: Span| -> Vec<usize> {
            let from = aliases.partition_point(|&(at, _)| at < span.start.index);
            let to = aliases.partition_point(|&(at, _)| at < span.end.index);
            let mut found: Vec<usize> = aliases[from..to]
                .iter()
                .map(|&(_, node)| node)
                .filter(|&node| anchored[node].span.start.index < span.start.index)
                .collect();
            found.sort_unstable();
            found.dedup();
            found
        };
        self.spans
            .into_iter()
            .map(|(span, nodes)| {
                let mut needed: Vec<usize> = Vec::new();
                let mut queue = outside(span);
                while let Some(node) = queue.pop() {
                    if needed.contains(&node) {
                        continue;
                    }
                    needed.push(node);
                    let further = outside_of
                        .entry(node)
                        .or_insert_with(|| outside(anchored[node].span));
                    queue.extend(further.iter().copied());
                }
                needed.sort_unstable_by_key(|&node| anchored[node].span.start.index);
                // Outermost only: a node inside another needed node comes with it.
                let mut borrowed: Vec<Span> = Vec::new();
                for node in needed {
                    let node_span = anchored[node].span;
                    let inside_previous = borrowed
                        .last()
                        .is_some_and(|last| node_span.end.index <= last.end.index);
                    if !inside_previous {
                        borrowed.push(node_span);
                    }
                }
                Entry {
                    span,
                    nodes,
                    borrowed,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    //! The guards refuse what would cost more than the input's size, at the token that
    //! does it; the outline finds a list's entries the way the parser sees them.
    use super::*;

    const ROOMY: Limits = Limits {
        max_expanded_bytes: 1 << 20,
        max_nodes: Some(MAX_NODES),
    };

    fn list_entries(text: &str) -> Vec<String> {
        match list(text, ROOMY, ROOMY).expect("not refused") {
            Shape::List(outline) => outline
                .entries
                .iter()
                .map(|entry| text[entry.span.start.index..entry.span.end.index].to_owned())
                .collect(),
            Shape::Single => panic!("not a list: {text}"),
        }
    }

    #[test]
    fn nesting_is_counted_on_the_parsers_tokens() {
        // An apostrophe and an escaped backslash fooled the old quote tracking.
        for prefix in ["a: rock 'n roll\n", "a: \"\\\\\"\n", "a: 'it''s'\n"] {
            let text = format!("{prefix}b: {}{}\n", "[".repeat(100), "]".repeat(100));
            let refusal = guard(&text, ROOMY).unwrap_err();
            // The top-level mapping is the first level; the 64th bracket is the 65th.
            assert_eq!(refusal.mark.line_column(), (2, 4 + 63), "{text}");
        }
        let fine = format!("b: {}{}\n", "[".repeat(63), "]".repeat(63));
        assert!(guard(&fine, ROOMY).is_ok());
        // Brackets inside quotes and comments are text.
        let quoted = format!("b: '{}' # {}\n", "[".repeat(500), "{".repeat(500));
        assert!(guard(&quoted, ROOMY).is_ok());
    }

    #[test]
    fn aliases_are_charged_their_expanded_size() {
        let limits = Limits {
            max_expanded_bytes: 10_000,
            max_nodes: None,
        };
        let big = "x".repeat(1000);
        let few = format!("a: &big {big}\nb: [*big, *big, *big]\n");
        assert!(guard(&few, limits).is_ok());
        let many = format!("a: &big {big}\nb: [{}]\n", ["*big"; 20].join(", "));
        let refusal = guard(&many, limits).unwrap_err();
        assert!(refusal.message.contains("`*big`"), "{}", refusal.message);
        // The alias that crosses the line: 1 KB of text plus nine copies.
        assert_eq!(refusal.mark.line_column(), (2, 5 + 6 * 8));
    }

    #[test]
    fn nested_aliases_multiply_and_are_refused_early() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let previous = format!("*a{}", level - 1);
            bomb.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                [previous.as_str(); 10].join(", ")
            ));
        }
        let started = std::time::Instant::now();
        let refusal = guard(&bomb, ROOMY).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(refusal.message.contains("alias"), "{}", refusal.message);
    }

    #[test]
    fn an_alias_inside_its_own_anchor_is_a_cycle() {
        let refusal = guard("a: &a [1, *a]\n", ROOMY).unwrap_err();
        assert!(refusal.message.contains("repeat forever"));
        assert_eq!(refusal.mark.line_column(), (1, 11));
    }

    #[test]
    fn too_many_nodes_are_refused() {
        let limits = Limits {
            max_expanded_bytes: 1 << 20,
            max_nodes: Some(100),
        };
        let text = format!("a: [{}]\n", ["1"; 200].join(","));
        let refusal = guard(&text, limits).unwrap_err();
        assert!(
            refusal.message.contains("more than 100"),
            "{}",
            refusal.message
        );
    }

    #[test]
    fn list_entries_are_the_parsers_not_the_lines() {
        let text = "# deals\n- deal: {id: a, name: \"Bob's boss\"}\n- note: |\n    - not an entry\n  deal: {id: b}\n- 'it''s [one]'\n";
        assert_eq!(
            list_entries(text),
            [
                "deal: {id: a, name: \"Bob's boss\"}\n",
                "note: |\n    - not an entry\n  deal: {id: b}\n",
                "'it''s [one]'"
            ]
        );
        assert_eq!(
            list_entries("[{\"a\": \"x, ]\"}, 'y''s', {b: [1, 2]}]"),
            ["{\"a\": \"x, ]\"}", "'y''s'", "{b: [1, 2]}"]
        );
        assert!(matches!(
            list("deal: {id: a}\n", ROOMY, ROOMY).unwrap(),
            Shape::Single
        ));
        // Not a list, but guarded all the same, in the same pass.
        let deep = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert!(list(&deep, ROOMY, ROOMY).is_err());
    }

    #[test]
    fn an_entry_knows_the_anchors_it_borrows() {
        let text = "- a: &x 1\n  b: &y [*x, 2]\n- c: *y\n- d: 3\n";
        let Shape::List(outline) = list(text, ROOMY, ROOMY).unwrap() else {
            panic!("a list")
        };
        let borrowed: Vec<Vec<&str>> = outline
            .entries
            .iter()
            .map(|entry| {
                entry
                    .borrowed
                    .iter()
                    .map(|span| &text[span.start.index..span.end.index])
                    .collect()
            })
            .collect();
        assert_eq!(
            borrowed,
            [vec![], vec!["&x 1", "&y [*x, 2]"], vec![]] as [Vec<&str>; 3]
        );
    }

    #[test]
    fn a_broken_list_keeps_the_entries_before_the_error() {
        let Shape::List(outline) = list("- a: 1\n- b: [2\n- c: 3\n", ROOMY, ROOMY).unwrap() else {
            panic!("a list")
        };
        assert_eq!(outline.entries.len(), 1);
        assert!(outline.broken.is_some());
    }
}
