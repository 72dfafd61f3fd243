//! The YAML parser's own events, each with its place in the text.
//!
//! serde_yaml reads YAML with libyaml (`unsafe-libyaml`, a mechanical Rust translation of
//! the C library) but keeps the parser to itself. Running the same parser here lets the
//! input guards and the list-file splitter see a text exactly as the deserializer will:
//! quotes, apostrophes in plain text, comments, block scalars and escapes are the parser's
//! business, never re-scanned by hand. The unsafe code is confined to this file and
//! follows serde_yaml's own wrapper (`serde_yaml_ng/src/libyaml/parser.rs`).

use std::ffi::CStr;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_sys;

/// A place in the text: `index` is a byte offset; `line` and `column` are 0-based, the
/// column counting characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    pub index: usize,
    pub line: usize,
    pub column: usize,
}

impl Mark {
    fn from_sys(mark: unsafe_sys::yaml_mark_t) -> Mark {
        Mark {
            index: usize::try_from(mark.index).unwrap_or(usize::MAX),
            line: usize::try_from(mark.line).unwrap_or(usize::MAX),
            column: usize::try_from(mark.column).unwrap_or(usize::MAX),
        }
    }

    /// The 1-based line and column a diagnostic prints.
    pub fn line_column(self) -> (usize, usize) {
        (self.line.saturating_add(1), self.column.saturating_add(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias,
    Scalar,
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
}

/// One event: for a node, `start..end` is its text, properties (`&anchor`, `!tag`)
/// included; for an alias, `anchor` is the name it refers to.
#[derive(Debug)]
pub struct Event {
    pub kind: Kind,
    pub anchor: Option<Box<[u8]>>,
    /// A collection written in flow style (`[…]`, `{…}`).
    pub flow: bool,
    pub start: Mark,
    pub end: Mark,
}

/// What libyaml could not parse, and where.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub problem: String,
    pub context: Option<String>,
    pub mark: Mark,
}

impl SyntaxError {
    /// `problem, context` in the parser's words.
    pub fn message(&self) -> String {
        match &self.context {
            Some(context) => format!("{}, {context}", self.problem),
            None => self.problem.clone(),
        }
    }
}

/// The events of one text, one at a time.
pub struct Parser<'input> {
    /// Boxed because libyaml keeps a pointer to the parser itself (its read handler's
    /// data), so it must not move once set up.
    sys: Box<MaybeUninit<unsafe_sys::yaml_parser_t>>,
    initialized: bool,
    finished: bool,
    /// libyaml reads the input through a raw pointer: the text must outlive the parser.
    input: PhantomData<&'input str>,
}

impl<'input> Parser<'input> {
    pub fn new(text: &'input str) -> Parser<'input> {
        let mut parser = Parser {
            sys: Box::new(MaybeUninit::uninit()),
            initialized: false,
            finished: false,
            input: PhantomData,
        };
        let raw = parser.sys.as_mut_ptr();
        // SAFETY: `raw` points to memory owned by the box, which never moves; the input
        // pointer and length describe `text`, which outlives the parser ('input).
        unsafe {
            if unsafe_sys::yaml_parser_initialize(raw).fail {
                return parser;
            }
            parser.initialized = true;
            unsafe_sys::yaml_parser_set_encoding(raw, unsafe_sys::YAML_UTF8_ENCODING);
            unsafe_sys::yaml_parser_set_input_string(raw, text.as_ptr(), text.len() as u64);
        }
        parser
    }

    /// The next event; `None` after the end of the stream.
    pub fn next_event(&mut self) -> Option<Result<Event, SyntaxError>> {
        if self.finished {
            return None;
        }
        if !self.initialized {
            self.finished = true;
            return Some(Err(SyntaxError {
                problem: "the YAML parser could not start (out of memory)".to_owned(),
                context: None,
                mark: Mark::default(),
            }));
        }
        let raw = self.sys.as_mut_ptr();
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: the parser was initialized; libyaml fills `event` when it succeeds, and
        // the event is read, then deleted exactly once. Anchor names are NUL-terminated
        // strings owned by the event, copied before it is deleted.
        unsafe {
            let failed_before = (&*raw).error != unsafe_sys::YAML_NO_ERROR;
            if failed_before || unsafe_sys::yaml_parser_parse(raw, event.as_mut_ptr()).fail {
                self.finished = true;
                return Some(Err(syntax_error(raw)));
            }
            let event = event.as_mut_ptr();
            let flow = match (*event).type_ {
                unsafe_sys::YAML_SEQUENCE_START_EVENT => {
                    (*event).data.sequence_start.style == unsafe_sys::YAML_FLOW_SEQUENCE_STYLE
                }
                unsafe_sys::YAML_MAPPING_START_EVENT => {
                    (*event).data.mapping_start.style == unsafe_sys::YAML_FLOW_MAPPING_STYLE
                }
                _ => false,
            };
            let (kind, anchor) = match (*event).type_ {
                unsafe_sys::YAML_STREAM_START_EVENT => (Kind::StreamStart, std::ptr::null()),
                unsafe_sys::YAML_STREAM_END_EVENT => (Kind::StreamEnd, std::ptr::null()),
                unsafe_sys::YAML_DOCUMENT_START_EVENT => (Kind::DocumentStart, std::ptr::null()),
                unsafe_sys::YAML_DOCUMENT_END_EVENT => (Kind::DocumentEnd, std::ptr::null()),
                unsafe_sys::YAML_ALIAS_EVENT => {
                    (Kind::Alias, (*event).data.alias.anchor.cast_const())
                }
                unsafe_sys::YAML_SCALAR_EVENT => {
                    (Kind::Scalar, (*event).data.scalar.anchor.cast_const())
                }
                unsafe_sys::YAML_SEQUENCE_START_EVENT => (
                    Kind::SequenceStart,
                    (*event).data.sequence_start.anchor.cast_const(),
                ),
                unsafe_sys::YAML_SEQUENCE_END_EVENT => (Kind::SequenceEnd, std::ptr::null()),
                unsafe_sys::YAML_MAPPING_START_EVENT => (
                    Kind::MappingStart,
                    (*event).data.mapping_start.anchor.cast_const(),
                ),
                unsafe_sys::YAML_MAPPING_END_EVENT => (Kind::MappingEnd, std::ptr::null()),
                _ => {
                    // YAML_NO_EVENT: libyaml has nothing more to give.
                    unsafe_sys::yaml_event_delete(event);
                    self.finished = true;
                    return None;
                }
            };
            let anchor =
                (!anchor.is_null()).then(|| Box::from(CStr::from_ptr(anchor.cast()).to_bytes()));
            let parsed = Event {
                kind,
                anchor,
                flow,
                start: Mark::from_sys((*event).start_mark),
                end: Mark::from_sys((*event).end_mark),
            };
            unsafe_sys::yaml_event_delete(event);
            if kind == Kind::StreamEnd {
                self.finished = true;
            }
            Some(Ok(parsed))
        }
    }
}

/// # Safety
/// `raw` is an initialized parser that reported an error.
unsafe fn syntax_error(raw: *const unsafe_sys::yaml_parser_t) -> SyntaxError {
    let text = |pointer: *const std::ffi::c_char| {
        (!pointer.is_null()).then(|| {
            // SAFETY: libyaml's problem and context are static NUL-terminated strings.
            unsafe { CStr::from_ptr(pointer) }
                .to_string_lossy()
                .into_owned()
        })
    };
    // SAFETY: guaranteed by the caller.
    // (The error fields are reached through `Deref`, hence the explicit reference.)
    let parser = unsafe { &*raw };
    let (problem, context, mark) = (
        text(parser.problem),
        text(parser.context),
        Mark::from_sys(parser.problem_mark),
    );
    SyntaxError {
        problem: problem.unwrap_or_else(|| "the YAML parser failed".to_owned()),
        context,
        mark,
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        if self.initialized {
            // SAFETY: initialized, and deleted only here.
            unsafe { unsafe_sys::yaml_parser_delete(self.sys.as_mut_ptr()) }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The wrapper must give the parser's own view: positions as byte offsets, quotes and
    //! comments understood, errors with their place.
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        let mut parser = Parser::new(text);
        let mut kinds = Vec::new();
        while let Some(event) = parser.next_event() {
            kinds.push(event.expect("valid YAML").kind);
        }
        kinds
    }

    #[test]
    fn an_apostrophe_in_plain_text_is_not_a_quote() {
        use Kind::*;
        assert_eq!(
            kinds("- note: call Bob's boss # it's urgent\n- [a]\n"),
            [
                StreamStart,
                DocumentStart,
                SequenceStart,
                MappingStart,
                Scalar,
                Scalar,
                MappingEnd,
                SequenceStart,
                Scalar,
                SequenceEnd,
                SequenceEnd,
                DocumentEnd,
                StreamEnd
            ]
        );
    }

    #[test]
    fn marks_are_byte_offsets_with_character_columns() {
        let text = "名字: &a 李总\nb: *a\n";
        let mut parser = Parser::new(text);
        let mut aliases = Vec::new();
        while let Some(event) = parser.next_event() {
            let event = event.unwrap();
            if event.kind == Kind::Alias {
                aliases.push((event.anchor.clone(), event.start));
            }
            if event.kind == Kind::Scalar && event.anchor.is_some() {
                assert_eq!(&text[event.start.index..event.end.index], "&a 李总");
                assert_eq!((event.start.line, event.start.column), (0, 4));
            }
        }
        assert_eq!(aliases.len(), 1);
        assert_eq!(aliases[0].0.as_deref(), Some(&b"a"[..]));
        assert_eq!(aliases[0].1.line_column(), (2, 4));
    }

    #[test]
    fn a_syntax_error_has_its_place() {
        let mut parser = Parser::new("a: [1, 2\nb: 3\n");
        let error = loop {
            match parser.next_event() {
                Some(Ok(_)) => continue,
                Some(Err(error)) => break error,
                None => panic!("the error was not reported"),
            }
        };
        assert!(error.message().contains("flow sequence"), "{error:?}");
        assert!(parser.next_event().is_none());
    }
}
