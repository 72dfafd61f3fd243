//! A struct serialized with only some of its fields.
//!
//! The facts are given to the scripts as a rhai map built through serde, about a fifth
//! of what reviewing a deal costs; the built-in playbooks read 49 of the facts' 58 fields
//! and never the others (`key_people`, `temperature_parts` …), which were built for
//! every deal only to be dropped. [`Picked`] serializes a struct through any serializer
//! with the fields not kept skipped before their values are visited, so nothing of
//! theirs is built. Which fields a playbook reads is worked out once, when it loads
//! (`ScriptEngine::settle_sections_read`).

use std::collections::BTreeSet;

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

/// `value`, a struct, with only the fields named in `keep`.
pub struct Picked<'a, T> {
    pub value: &'a T,
    pub keep: &'a BTreeSet<String>,
}

impl<T: Serialize> Serialize for Picked<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Picking {
            inner: serializer,
            keep: self.keep,
        })
    }
}

/// The serializer [`Picked`] hands its struct: it accepts only a struct, and passes the
/// kept fields on to `inner`.
struct Picking<'a, S> {
    inner: S,
    keep: &'a BTreeSet<String>,
}

/// The struct's fields as they come, the kept ones passed on.
struct PickingStruct<'a, S> {
    inner: S,
    keep: &'a BTreeSet<String>,
}

impl<S: SerializeStruct> SerializeStruct for PickingStruct<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<V: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> Result<(), S::Error> {
        if self.keep.contains(key) {
            self.inner.serialize_field(key, value)
        } else {
            self.inner.skip_field(key)
        }
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.inner.end()
    }
}

fn not_a_struct<E: ser::Error>() -> E {
    E::custom("only the fields of a struct can be picked")
}

impl<'a, S: Serializer> Serializer for Picking<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeStruct = PickingStruct<'a, S::SerializeStruct>;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(PickingStruct {
            inner: self.inner.serialize_struct(name, self.keep.len())?,
            keep: self.keep,
        })
    }

    fn serialize_bool(self, _: bool) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_i8(self, _: i8) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_i16(self, _: i16) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_i32(self, _: i32) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_i64(self, _: i64) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_u8(self, _: u8) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_u16(self, _: u16) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_u32(self, _: u32) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_u64(self, _: u64) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_f32(self, _: f32) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_f64(self, _: f64) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_char(self, _: char) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_str(self, _: &str) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_some<V: ?Sized + Serialize>(self, _: &V) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_newtype_struct<V: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &V,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_newtype_variant<V: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Err(not_a_struct())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Sample {
        kept: i64,
        dropped: Vec<String>,
        also_kept: &'static str,
    }

    #[test]
    fn only_the_kept_fields_reach_the_map_in_their_order() {
        let sample = Sample {
            kept: 3,
            dropped: vec!["never built".to_owned()],
            also_kept: "x",
        };
        let keep: BTreeSet<String> = ["also_kept", "kept"].map(str::to_owned).into();
        let picked = serde_json::to_value(Picked {
            value: &sample,
            keep: &keep,
        })
        .unwrap();
        assert_eq!(picked.to_string(), r#"{"kept":3,"also_kept":"x"}"#);
        let map = rhai::serde::to_dynamic(Picked {
            value: &sample,
            keep: &keep,
        })
        .unwrap()
        .cast::<rhai::Map>();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["also_kept", "kept"]);
        assert!(serde_json::to_value(Picked {
            value: &7,
            keep: &keep
        })
        .is_err());
    }
}
