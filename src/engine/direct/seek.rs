//! A path followed into the Rust value of a facts field, without building the field.
//!
//! Reading `facts.who.count` through [`LazyFacts`](super::LazyFacts) built all of
//! `facts.who` as rhai maps (every group of people) to read one number; `facts.value.tier`
//! built the account's whole value assessment. [`Seek`] is a serializer that serializes
//! nothing: handed the field's Rust value, it passes over the fields and entries not on
//! the path and builds a rhai value for the one at its end only. It takes field names (of
//! a struct or a string-keyed map), `?.` on nothing, and `.len()`; on anything else it
//! gives up ([`Sought::GiveUp`]), and the caller builds the field and walks it as before.
//! What it reaches is, by construction, the value the built field holds there: rhai's own
//! serializer builds the end of the path, and a test holds every path of the example
//! deals' facts to the walk of the built map.

use std::fmt;

use rhai::{Dynamic, INT};
use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct};
use serde::Serializer;

use super::{Scalar, Step, StepKind};
use crate::engine::picked::FieldVisitor;

/// What following a path into a Rust value gave.
pub(super) enum Sought {
    /// What [`super::walk`] gives on the built value: the leaf's answer, or `None` where
    /// the path leads nowhere rhai could follow (a missing field, a field of a number).
    Reached(Option<Scalar>),
    /// A step this reader does not take: build the value and walk it.
    GiveUp,
}

/// Follows `steps` (at least one) into a value and hands the value reached, as rhai
/// holds it, to `leaf`. Serializing gives the leaf's answer; an error is giving up.
pub(super) struct Seek<'a, 'l> {
    steps: &'a [Step],
    leaf: &'l mut dyn FnMut(&Dynamic) -> Option<Scalar>,
}

type Reached = Result<Option<Scalar>, GiveUp>;

impl<'a, 'l> Seek<'a, 'l> {
    pub(super) fn new(
        steps: &'a [Step],
        leaf: &'l mut dyn FnMut(&Dynamic) -> Option<Scalar>,
    ) -> Seek<'a, 'l> {
        debug_assert!(!steps.is_empty());
        Seek { steps, leaf }
    }

    /// Whether the only step left is `.len()`.
    fn only_len(&self) -> bool {
        matches!(
            self.steps,
            [Step {
                kind: StepKind::Len,
                ..
            }]
        )
    }

    /// A number or a boolean, with steps left: neither has a field or a length.
    fn scalar_reached(self) -> Reached {
        match self.steps[0].kind {
            StepKind::Field(_) | StepKind::Len => Ok(None),
            _ => Err(GiveUp),
        }
    }

    /// A map or a struct: the field the first step names, or its entries counted.
    fn into_compound(self) -> Result<Compound<'a, 'l>, GiveUp> {
        if self.only_len() {
            return Ok(Compound::Count(0));
        }
        match &self.steps[0].kind {
            StepKind::Field(name) => Ok(Compound::Field {
                name: name.as_str(),
                rest: &self.steps[1..],
                leaf: self.leaf,
                key_matches: false,
                found: None,
            }),
            _ => Err(GiveUp),
        }
    }
}

impl FieldVisitor for Seek<'_, '_> {
    type Out = Sought;

    fn visit<T: Serialize + ?Sized>(self, value: &T) -> Sought {
        match value.serialize(self) {
            Ok(reached) => Sought::Reached(reached),
            Err(GiveUp) => Sought::GiveUp,
        }
    }
}

/// `value`, reached with `rest` steps still to take.
fn step_into<T: Serialize + ?Sized>(
    value: &T,
    rest: &[Step],
    leaf: &mut dyn FnMut(&Dynamic) -> Option<Scalar>,
) -> Reached {
    if rest.is_empty() {
        let built = rhai::serde::to_dynamic(value).map_err(|_| GiveUp)?;
        return Ok(leaf(&built));
    }
    value.serialize(Seek::new(rest, leaf))
}

/// A map, struct or list being passed over for the path.
pub(super) enum Compound<'a, 'l> {
    /// The field `name` of a struct or map; `rest`: the steps after it.
    Field {
        name: &'a str,
        rest: &'a [Step],
        leaf: &'l mut dyn FnMut(&Dynamic) -> Option<Scalar>,
        key_matches: bool,
        found: Option<Option<Scalar>>,
    },
    /// `.len()`: the entries or elements so far.
    Count(usize),
    /// A field of a list: rhai fails on it.
    Nothing,
}

impl Compound<'_, '_> {
    /// An entry of a struct or map, by its key.
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), GiveUp> {
        match self {
            Compound::Field {
                name,
                rest,
                leaf,
                found,
                ..
            } => {
                if found.is_none() && *name == key {
                    *found = Some(step_into(value, rest, &mut **leaf)?);
                }
            }
            Compound::Count(count) => *count += 1,
            Compound::Nothing => {}
        }
        Ok(())
    }

    fn end(self) -> Reached {
        match self {
            // No such field: rhai fails on it.
            Compound::Field { found, .. } => Ok(found.flatten()),
            Compound::Count(count) => {
                Ok(Some(Scalar::Int(INT::try_from(count).map_err(|_| GiveUp)?)))
            }
            Compound::Nothing => Ok(None),
        }
    }
}

impl SerializeStruct for Compound<'_, '_> {
    type Ok = Option<Scalar>;
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        self.entry(key, value)
    }

    fn end(self) -> Reached {
        Compound::end(self)
    }
}

impl SerializeMap for Compound<'_, '_> {
    type Ok = Option<Scalar>;
    type Error = GiveUp;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), GiveUp> {
        if let Compound::Field {
            name, key_matches, ..
        } = self
        {
            // rhai's maps are keyed by strings: any other key fails its serializer too.
            *key_matches = key.serialize(KeyIs(name))?;
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        match self {
            Compound::Field {
                rest,
                leaf,
                key_matches: true,
                found: found @ None,
                ..
            } => *found = Some(step_into(value, rest, &mut **leaf)?),
            Compound::Count(count) => *count += 1,
            _ => {}
        }
        Ok(())
    }

    fn end(self) -> Reached {
        Compound::end(self)
    }
}

impl SerializeSeq for Compound<'_, '_> {
    type Ok = Option<Scalar>;
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), GiveUp> {
        if let Compound::Count(count) = self {
            *count += 1;
        }
        Ok(())
    }

    fn end(self) -> Reached {
        Compound::end(self)
    }
}

/// Nothing of the facts is a tuple, a character, bytes or an enum variant with data: the
/// seek gives up on them, and the walk of the built field decides.
impl<'a, 'l> Serializer for Seek<'a, 'l> {
    type Ok = Option<Scalar>;
    type Error = GiveUp;
    type SerializeSeq = Compound<'a, 'l>;
    type SerializeMap = Compound<'a, 'l>;
    type SerializeStruct = Compound<'a, 'l>;
    type SerializeTuple = Impossible<Option<Scalar>, GiveUp>;
    type SerializeTupleStruct = Impossible<Option<Scalar>, GiveUp>;
    type SerializeTupleVariant = Impossible<Option<Scalar>, GiveUp>;
    type SerializeStructVariant = Impossible<Option<Scalar>, GiveUp>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a, 'l>, GiveUp> {
        self.into_compound()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'l>, GiveUp> {
        self.into_compound()
    }
    /// A list: `.len()` counts it; it has no fields.
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'l>, GiveUp> {
        match self.steps[0].kind {
            _ if self.only_len() => Ok(Compound::Count(0)),
            StepKind::Field(_) => Ok(Compound::Nothing),
            _ => Err(GiveUp),
        }
    }

    /// `()`: `?.` ends the path with `()`; any other step fails in rhai.
    fn serialize_unit(self) -> Reached {
        Ok(self.steps[0].elvis.then_some(Scalar::Unit))
    }
    fn serialize_none(self) -> Reached {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Reached {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Reached {
        value.serialize(self)
    }

    /// A string has no fields; its length is in characters, as rhai counts it.
    fn serialize_str(self, text: &str) -> Reached {
        match self.steps[0].kind {
            StepKind::Field(_) => Ok(None),
            _ if self.only_len() => Ok(Some(Scalar::Int(
                INT::try_from(text.chars().count()).map_err(|_| GiveUp)?,
            ))),
            _ => Err(GiveUp),
        }
    }

    fn serialize_bool(self, _: bool) -> Reached {
        self.scalar_reached()
    }
    fn serialize_i8(self, _: i8) -> Reached {
        self.scalar_reached()
    }
    fn serialize_i16(self, _: i16) -> Reached {
        self.scalar_reached()
    }
    fn serialize_i32(self, _: i32) -> Reached {
        self.scalar_reached()
    }
    fn serialize_i64(self, _: i64) -> Reached {
        self.scalar_reached()
    }
    fn serialize_u8(self, _: u8) -> Reached {
        self.scalar_reached()
    }
    fn serialize_u16(self, _: u16) -> Reached {
        self.scalar_reached()
    }
    fn serialize_u32(self, _: u32) -> Reached {
        self.scalar_reached()
    }
    fn serialize_u64(self, _: u64) -> Reached {
        self.scalar_reached()
    }
    fn serialize_f32(self, _: f32) -> Reached {
        self.scalar_reached()
    }
    fn serialize_f64(self, _: f64) -> Reached {
        self.scalar_reached()
    }

    refuse_serializing!(GiveUp;
        serialize_char, serialize_bytes, serialize_unit_struct, serialize_unit_variant,
        serialize_newtype_variant, serialize_tuple, serialize_tuple_struct,
        serialize_tuple_variant, serialize_struct_variant);
}

/// The seek gives up: a step it does not take, a key that is not a string, a value
/// rhai's serializer refuses. The caller builds the field and gets rhai's own outcome.
#[derive(Debug)]
pub(super) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("not followed")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> GiveUp {
        GiveUp
    }
}

/// Whether a map key is the text given; a key that is not text is a [`GiveUp`].
struct KeyIs<'a>(&'a str);

impl Serializer for KeyIs<'_> {
    type Ok = bool;
    type Error = GiveUp;
    type SerializeSeq = ser::Impossible<bool, GiveUp>;
    type SerializeTuple = ser::Impossible<bool, GiveUp>;
    type SerializeTupleStruct = ser::Impossible<bool, GiveUp>;
    type SerializeTupleVariant = ser::Impossible<bool, GiveUp>;
    type SerializeMap = ser::Impossible<bool, GiveUp>;
    type SerializeStruct = ser::Impossible<bool, GiveUp>;
    type SerializeStructVariant = ser::Impossible<bool, GiveUp>;

    fn serialize_str(self, text: &str) -> Result<bool, GiveUp> {
        Ok(text == self.0)
    }

    refuse_serializing!(GiveUp;
        serialize_bool, serialize_i8, serialize_i16, serialize_i32, serialize_i64,
        serialize_u8, serialize_u16, serialize_u32, serialize_u64, serialize_f32,
        serialize_f64, serialize_char, serialize_bytes, serialize_none, serialize_some,
        serialize_unit, serialize_unit_struct, serialize_unit_variant,
        serialize_newtype_struct, serialize_newtype_variant, serialize_seq,
        serialize_tuple, serialize_tuple_struct, serialize_tuple_variant, serialize_map,
        serialize_struct, serialize_struct_variant);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::picked::LazyFacts;
    use rhai::ImmutableString;
    use std::sync::Arc;

    fn field(name: &str) -> Step {
        Step {
            elvis: false,
            kind: StepKind::Field(ImmutableString::from(name)),
        }
    }

    /// Every path of two and three steps into the facts — each field and entry of a map
    /// field and of a map inside it, `.len()` at each depth, a name no map has, `?.` on
    /// `()` — followed into the Rust value gives what walking the built field gives, and
    /// hands the leaf the same value, on every example and pipeline deal. A path the seek
    /// gives up on is fine (the caller walks it), but most must be reached.
    #[test]
    fn a_path_followed_unbuilt_reaches_what_the_built_field_holds() {
        let playbook = crate::playbook::Playbook::load(crate::playbook::PlaybookFiles::builtin())
            .expect("built-in playbooks");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let (mut reached, mut given_up) = (0, 0);
        for folder in ["deals", "pipeline"] {
            for entry in std::fs::read_dir(root.join(folder)).expect("examples") {
                let path = entry.expect("entry").path();
                let text = std::fs::read_to_string(&path).expect("deal");
                let name = path.display().to_string();
                let snapshot =
                    crate::snapshot::parse(&text, &name, &playbook.aliases).expect(&name);
                let context = crate::coach::deal_context(&playbook, &snapshot).expect(&name);
                let whole = rhai::serde::to_dynamic(&*context.facts)
                    .expect("facts")
                    .cast::<rhai::Map>();
                let names: Arc<[String]> = whole.keys().map(|key| key.to_string()).collect();
                for (key, value) in &whole {
                    for rest in paths_into(value) {
                        let lazy = LazyFacts::new(context.facts.clone(), names.clone());
                        let mut sought_leaf = None;
                        let mut leaf = |value: &Dynamic| {
                            sought_leaf = Some(format!("{}: {value:?}", value.type_name()));
                            Scalar::of(value)
                        };
                        let sought = lazy
                            .visit_unbuilt(key, Seek::new(&rest, &mut leaf))
                            .expect("a field of the facts, not built");
                        let mut walked_leaf = None;
                        let walked = super::super::walk(value, &rest, &[], &mut |value| {
                            walked_leaf = Some(format!("{}: {value:?}", value.type_name()));
                            Scalar::of(value)
                        });
                        let shown = format!("{name}: facts.{key} then {rest:?}");
                        match sought {
                            Sought::Reached(scalar) => {
                                assert_eq!(scalar, walked, "{shown}");
                                assert_eq!(sought_leaf, walked_leaf, "{shown}");
                                reached += 1;
                            }
                            Sought::GiveUp => given_up += 1,
                        }
                    }
                }
            }
        }
        assert!(
            reached > 20 * given_up && reached > 1000,
            "{reached} reached, {given_up} given up"
        );
    }

    /// The steps after a field's name worth trying on `value`.
    fn paths_into(value: &Dynamic) -> Vec<Vec<Step>> {
        let mut paths = vec![
            vec![Step {
                elvis: false,
                kind: StepKind::Len,
            }],
            vec![field("no_such_name")],
            vec![Step {
                elvis: true,
                kind: StepKind::Field("no_such_name".into()),
            }],
        ];
        if let Ok(map) = value.as_map_ref() {
            for (key, inner) in map.iter() {
                paths.push(vec![field(key)]);
                paths.push(vec![
                    field(key),
                    Step {
                        elvis: true,
                        kind: StepKind::Field("x".into()),
                    },
                ]);
                for deeper in paths_into(inner) {
                    let mut path = vec![field(key)];
                    path.extend(deeper.into_iter().take(2));
                    if path.len() <= 3 {
                        paths.push(path);
                    }
                }
            }
        }
        paths
    }
}
