//! Where each value of a YAML document is written, from the parser's own events.
//!
//! serde keeps no positions, so a problem found after deserializing (a setting of the
//! wrong type, a misspelt name in a script) used to be placed by searching the text for
//! `key:`, which finds the first of several and never a column. One pass over the events
//! gives every node's key mark and span by its path from the root (`rules.3.when`,
//! `settings.value.weights`), finds keys written twice at the second one, and finds a
//! syntax error before serde can report a schema error from the part it read first.

use std::collections::HashMap;

use super::events::{Kind, Parser};
pub use super::events::{Mark, SyntaxError};

/// What kind of node a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Scalar,
    Sequence,
    Mapping,
    Alias,
}

/// One node: its key's place (in a mapping), and its own text `start..end`.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub key: Option<Mark>,
    pub start: Mark,
    pub end: Mark,
    pub kind: NodeKind,
}

/// A key written twice in one mapping.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub key: String,
    pub first: Mark,
    pub again: Mark,
}

/// Every node of the first document of a text, by path.
#[derive(Debug, Default)]
pub struct Places {
    nodes: HashMap<String, Place>,
    children: HashMap<String, Vec<String>>,
    pub duplicates: Vec<Duplicate>,
    pub syntax_error: Option<SyntaxError>,
    /// The document uses an alias (`*name`): a part of it may not read on its own.
    pub has_aliases: bool,
}

/// Path segments are joined with a character no key holds (keys may hold dots:
/// `risk.stale`).
const SEPARATOR: char = '\u{1f}';

fn join(path: &[&str]) -> String {
    let mut joined = String::new();
    for (index, segment) in path.iter().enumerate() {
        if index > 0 {
            joined.push(SEPARATOR);
        }
        joined.push_str(segment);
    }
    joined
}

fn child(parent: &str, segment: &str) -> String {
    if parent.is_empty() {
        segment.to_owned()
    } else {
        format!("{parent}{SEPARATOR}{segment}")
    }
}

enum Frame {
    Mapping {
        path: String,
        key: Option<(String, Mark)>,
        seen: HashMap<String, Mark>,
    },
    Sequence {
        path: String,
        index: usize,
    },
    /// A collection used as a mapping key: nothing inside it is indexed.
    Ignored,
}

impl Places {
    /// Indexes `text`. A syntax error ends the walk and is kept with its place.
    pub fn of(text: &str) -> Places {
        let mut places = Places::default();
        let mut parser = Parser::new(text);
        let mut stack: Vec<Frame> = Vec::new();
        let mut documents = 0;
        while let Some(event) = parser.next_event() {
            let event = match event {
                Ok(event) => event,
                Err(error) => {
                    places.syntax_error = Some(error);
                    break;
                }
            };
            match event.kind {
                Kind::DocumentStart => {
                    documents += 1;
                    if documents > 1 {
                        break;
                    }
                }
                Kind::StreamStart | Kind::StreamEnd | Kind::DocumentEnd => {}
                Kind::SequenceEnd | Kind::MappingEnd => {
                    let path = match stack.pop() {
                        Some(Frame::Mapping { path, .. } | Frame::Sequence { path, .. }) => path,
                        _ => continue,
                    };
                    if let Some(place) = places.nodes.get_mut(&path) {
                        place.end = event.end;
                    }
                }
                Kind::Scalar | Kind::Alias | Kind::SequenceStart | Kind::MappingStart => {
                    if event.kind == Kind::Alias {
                        places.has_aliases = true;
                    }
                    let kind = match event.kind {
                        Kind::Scalar => NodeKind::Scalar,
                        Kind::Alias => NodeKind::Alias,
                        Kind::SequenceStart => NodeKind::Sequence,
                        _ => NodeKind::Mapping,
                    };
                    let opens = matches!(kind, NodeKind::Sequence | NodeKind::Mapping);
                    // Where this node goes: its path and its key's mark, or nowhere.
                    let target: Option<(String, Option<Mark>)> = match stack.last_mut() {
                        None => Some((String::new(), None)),
                        Some(Frame::Ignored) => None,
                        Some(Frame::Sequence { path, index }) => {
                            let path = child(path, &index.to_string());
                            *index += 1;
                            Some((path, None))
                        }
                        Some(Frame::Mapping { path, key, seen }) => match key.take() {
                            Some((name, mark)) => Some((child(path, &name), Some(mark))),
                            None => {
                                if kind == NodeKind::Scalar {
                                    let name = scalar_text(text, event.start, event.end);
                                    if let Some(first) = seen.get(&name) {
                                        places.duplicates.push(Duplicate {
                                            key: name.clone(),
                                            first: *first,
                                            again: event.start,
                                        });
                                    } else {
                                        seen.insert(name.clone(), event.start);
                                    }
                                    *key = Some((name, event.start));
                                } else {
                                    *key = Some(("?".to_owned(), event.start));
                                    if opens {
                                        stack.push(Frame::Ignored);
                                    }
                                }
                                continue;
                            }
                        },
                    };
                    let Some((path, key)) = target else {
                        if opens {
                            stack.push(Frame::Ignored);
                        }
                        continue;
                    };
                    if let Some(parent) = parent_of(&path) {
                        let segment = path.rsplit(SEPARATOR).next().unwrap_or_default();
                        places
                            .children
                            .entry(parent.to_owned())
                            .or_default()
                            .push(segment.to_owned());
                    }
                    places.nodes.insert(
                        path.clone(),
                        Place {
                            key,
                            start: event.start,
                            end: event.end,
                            kind,
                        },
                    );
                    match kind {
                        NodeKind::Sequence => stack.push(Frame::Sequence { path, index: 0 }),
                        NodeKind::Mapping => stack.push(Frame::Mapping {
                            path,
                            key: None,
                            seen: HashMap::new(),
                        }),
                        _ => {}
                    }
                }
            }
        }
        places
    }

    /// The node at `path` (`["rules", "3", "when"]`); `[]` is the root.
    pub fn get(&self, path: &[&str]) -> Option<&Place> {
        self.nodes.get(&join(path))
    }

    /// The keys (or indices) under `path`, in the order written.
    pub fn children(&self, path: &[&str]) -> &[String] {
        self.children
            .get(&join(path))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The 1-based line and column of the key at `path`, else of its value.
    pub fn key_line_column(&self, path: &[&str]) -> Option<(usize, usize)> {
        let place = self.get(path)?;
        Some(place.key.unwrap_or(place.start).line_column())
    }

    /// The 1-based line and column of the value at `path`.
    pub fn value_line_column(&self, path: &[&str]) -> Option<(usize, usize)> {
        Some(self.get(path)?.start.line_column())
    }

    /// The nearest place for `path`: the node itself, else its closest ancestor.
    pub fn nearest(&self, path: &[&str]) -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|len| self.value_line_column(&path[..len]))
    }
}

fn parent_of(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    Some(path.rfind(SEPARATOR).map_or("", |at| &path[..at]))
}

/// A scalar's value as far as a key needs it: plain, or quoted without escapes.
fn scalar_text(text: &str, start: Mark, end: Mark) -> String {
    let raw = text.get(start.index..end.index).unwrap_or_default().trim();
    let unquoted = raw
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .or_else(|| {
            raw.strip_prefix('\'')
                .and_then(|inner| inner.strip_suffix('\''))
        });
    unquoted.unwrap_or(raw).to_owned()
}

/// `text` as the text of the node at `place` alone, at its own lines and columns: blank
/// lines before it and spaces before its first line, so that a parse of the result
/// reports the positions of the whole file.
pub fn node_text(text: &str, place: &Place) -> String {
    let body = text
        .get(place.start.index..place.end.index)
        .unwrap_or_default();
    let mut alone = String::with_capacity(body.len() + place.start.line + place.start.column);
    for _ in 0..place.start.line {
        alone.push('\n');
    }
    for _ in 0..place.start.column {
        alone.push(' ');
    }
    alone.push_str(body);
    alone.push('\n');
    alone
}

#[cfg(test)]
mod tests {
    //! The index is what every later diagnostic trusts for its place.
    use super::*;

    #[test]
    fn places_nested_keys_and_sequence_elements() {
        let text =
            "rules:\n  - id: a\n    when: x\n  - id: b\n    when: |\n      y\nsettings: {a.b: 1}\n";
        let places = Places::of(text);
        assert_eq!(
            places.key_line_column(&["rules", "1", "when"]),
            Some((5, 5))
        );
        assert_eq!(
            places.value_line_column(&["rules", "0", "when"]),
            Some((3, 11))
        );
        assert_eq!(
            places.value_line_column(&["settings", "a.b"]),
            Some((7, 17))
        );
        assert_eq!(places.children(&["rules"]), ["0", "1"]);
        assert_eq!(places.children(&[]), ["rules", "settings"]);
    }

    #[test]
    fn finds_a_duplicate_key_at_the_second_one() {
        let places = Places::of("a: 1\nb: 2\na: 3\n");
        assert_eq!(places.duplicates.len(), 1);
        assert_eq!(places.duplicates[0].again.line_column(), (3, 1));
        assert_eq!(places.duplicates[0].first.line_column(), (1, 1));
    }

    #[test]
    fn a_node_alone_keeps_the_file_positions() {
        let text = "rules:\n  - id: a\n    nope: 1\n";
        let places = Places::of(text);
        let rule = places.get(&["rules", "0"]).unwrap();
        let alone = node_text(text, rule);
        let error =
            serde_yaml::from_str::<std::collections::BTreeMap<String, bool>>(&alone).unwrap_err();
        let location = error.location().unwrap();
        assert_eq!((location.line(), location.column()), (2, 9));
    }
}
