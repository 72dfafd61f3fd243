//! A struct serialized with only some of its fields.
//!
//! The facts are given to the scripts as a rhai map built through serde, about a fifth
//! of what reviewing a deal costs; the built-in playbooks read 49 of the facts' 58 fields
//! and never the others (`key_people`, `temperature_parts` …), which were built for
//! every deal only to be dropped. [`Picked`] serializes a struct through any serializer
//! with the fields not kept skipped before their values are visited, so nothing of
//! theirs is built. Which fields a playbook reads is worked out once, when it loads
//! (`ScriptEngine::settle_sections_read`).
//!
//! Of those, a deal's conditions read about two thirds (a condition stops at its first
//! false `&&`). [`LazyFacts`] stands in the scope for the facts map until a script must
//! run in rhai: the direct evaluation and the texts take each field from it, built the
//! first time it is read.

use std::sync::{Arc, OnceLock};

use rhai::Dynamic;
use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

use crate::facts::Facts;

/// `value`, a struct, with only the fields named in `keep` (sorted).
pub struct Picked<'a, T> {
    pub value: &'a T,
    pub keep: &'a [String],
}

fn kept(keep: &[String], key: &str) -> bool {
    keep.binary_search_by(|name| name.as_str().cmp(key)).is_ok()
}

/// Lists the fields of [`Facts`] once more, by name: serializing the struct to build one
/// field visits all the others, which cost as much as the field. A test holds the list to
/// the struct's own.
macro_rules! facts_fields {
    ($($field:ident),* $(,)?) => {
        /// Hands the field `name` of `facts` to `visitor` (`None`: no such field).
        fn visit_facts_field<V: FieldVisitor>(
            facts: &Facts,
            name: &str,
            visitor: V,
        ) -> Option<V::Out> {
            Some(match name {
                $(stringify!($field) => visitor.visit(&facts.$field),)*
                _ => return None,
            })
        }

        #[cfg(test)]
        const FACTS_FIELDS: &[&str] = &[$(stringify!($field)),*];
    };
}

facts_fields!(
    as_of,
    phase,
    open,
    late,
    amount,
    days_to_close,
    close_date_passed,
    days_since_contact,
    last_contact,
    has_next_step,
    top,
    people,
    key_people,
    coverage,
    coverage_gaps,
    met_count,
    allies,
    supporters,
    support_share,
    staff,
    staff_unsupportive,
    opponents_below_top,
    who,
    information_completeness,
    info_unknown,
    info_partial,
    info_days_since_review,
    open_objections,
    open_objection_count,
    open_objection_types,
    objection_counts,
    gaps,
    signals_by_type,
    signal_types,
    spin,
    spin_total,
    spin_next,
    last_asked,
    needs_heard,
    activities_30d,
    visits_30d,
    favors_30d,
    key_contacts_without_vip_card,
    service_issues_open,
    service_issues_open_high,
    oldest_open_issue_days,
    proof_assets,
    temperature_stated,
    temperature_evidence,
    temperature_parts,
    commitments,
    next_commitment,
    decide_by,
    act_by,
    value,
    purchase_pattern,
    relationship_stage,
    organisation_kind,
);

/// Something done with one field of the facts, whatever its type.
pub trait FieldVisitor {
    type Out;
    fn visit<T: Serialize + ?Sized>(self, value: &T) -> Self::Out;
}

/// The field as rhai holds it in the facts map.
struct ToDynamic;

impl FieldVisitor for ToDynamic {
    type Out = Result<Dynamic, Box<rhai::EvalAltResult>>;

    fn visit<T: Serialize + ?Sized>(self, value: &T) -> Self::Out {
        rhai::serde::to_dynamic(value)
    }
}

/// A deal's facts in the scope while no script has run in rhai: each field read by name
/// (the only way a playbook that names its facts fields reads them) is built as a rhai
/// value on first read, and the whole map only for a script rhai must run.
#[derive(Clone)]
pub struct LazyFacts {
    facts: Arc<Facts>,
    /// The fields the playbook reads, sorted, and each one's value once built.
    names: Arc<[String]>,
    values: Vec<OnceLock<Option<Dynamic>>>,
}

impl LazyFacts {
    pub fn new(facts: Arc<Facts>, names: Arc<[String]>) -> LazyFacts {
        LazyFacts {
            values: (0..names.len()).map(|_| OnceLock::new()).collect(),
            facts,
            names,
        }
    }

    /// The field `name` as the facts map holds it; `None` for a field the playbook does
    /// not read (rhai then runs the script, on the whole map, and says what is wrong).
    pub fn field(&self, name: &str) -> Option<&Dynamic> {
        let index = self.index(name)?;
        self.values[index]
            .get_or_init(|| visit_facts_field(&self.facts, name, ToDynamic)?.ok())
            .as_ref()
    }

    /// Hands the Rust value of the field `name` to `visitor` while it is not built (a
    /// path into it need not build it); `None` once it is built, or for a field the
    /// playbook does not read.
    pub fn visit_unbuilt<V: FieldVisitor>(&self, name: &str, visitor: V) -> Option<V::Out> {
        let index = self.index(name)?;
        if self.values[index].get().is_some() {
            return None;
        }
        visit_facts_field(&self.facts, name, visitor)
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names
            .binary_search_by(|known| known.as_str().cmp(name))
            .ok()
    }

    /// The facts map a script run by rhai reads: every field the playbook reads.
    pub fn whole(&self) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
        rhai::serde::to_dynamic(Picked {
            value: &*self.facts,
            keep: &self.names,
        })
    }
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
    keep: &'a [String],
}

/// The struct's fields as they come, the kept ones passed on.
struct PickingStruct<'a, S> {
    inner: S,
    keep: &'a [String],
}

impl<S: SerializeStruct> SerializeStruct for PickingStruct<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<V: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> Result<(), S::Error> {
        if kept(self.keep, key) {
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

    refuse_serializing!(not_a_struct();
        serialize_bool, serialize_i8, serialize_i16, serialize_i32, serialize_i64,
        serialize_u8, serialize_u16, serialize_u32, serialize_u64, serialize_f32,
        serialize_f64, serialize_char, serialize_str, serialize_bytes, serialize_none,
        serialize_some, serialize_unit, serialize_unit_struct, serialize_unit_variant,
        serialize_newtype_struct, serialize_newtype_variant, serialize_seq,
        serialize_tuple, serialize_tuple_struct, serialize_tuple_variant, serialize_map,
        serialize_struct_variant);
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

    /// Each field built on its own is the field of the whole facts map, for every field
    /// of the struct (the list of names cannot miss one or name one too many) on every
    /// example deal.
    #[test]
    fn a_field_built_alone_is_the_field_of_the_whole_map() {
        let playbook = crate::playbook::Playbook::load(crate::playbook::PlaybookFiles::builtin())
            .expect("built-in playbooks");
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deals");
        let mut deals = 0;
        for entry in std::fs::read_dir(folder).expect("examples") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("deal");
            let name = path.display().to_string();
            let snapshot = crate::snapshot::parse(&text, &name, &playbook.aliases).expect(&name);
            let context = crate::coach::deal_context(&playbook, &snapshot).expect(&name);
            let whole = rhai::serde::to_dynamic(&*context.facts)
                .expect("facts")
                .cast::<rhai::Map>();
            let mut names: Vec<&str> = whole.keys().map(|key| key.as_str()).collect();
            let mut listed = FACTS_FIELDS.to_vec();
            names.sort_unstable();
            listed.sort_unstable();
            assert_eq!(
                names, listed,
                "the fields of Facts and the list in picked.rs"
            );
            let all: Arc<[String]> = names.iter().map(|name| name.to_string()).collect();
            let lazy = LazyFacts::new(context.facts.clone(), all);
            for (key, value) in &whole {
                let alone = lazy.field(key).expect(key);
                assert_eq!(alone.type_name(), value.type_name(), "{name}: {key}");
                assert_eq!(format!("{alone:?}"), format!("{value:?}"), "{name}: {key}");
            }
            assert!(lazy.field("no_such_field").is_none());
            deals += 1;
        }
        assert!(deals >= 3);
    }

    #[test]
    fn only_the_kept_fields_reach_the_map_in_their_order() {
        let sample = Sample {
            kept: 3,
            dropped: vec!["never built".to_owned()],
            also_kept: "x",
        };
        let names = ["also_kept", "kept"].map(str::to_owned);
        let keep = &names[..];
        let picked = serde_json::to_value(Picked {
            value: &sample,
            keep,
        })
        .unwrap();
        assert_eq!(picked.to_string(), r#"{"kept":3,"also_kept":"x"}"#);
        let map = rhai::serde::to_dynamic(Picked {
            value: &sample,
            keep,
        })
        .unwrap()
        .cast::<rhai::Map>();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["also_kept", "kept"]);
        assert!(serde_json::to_value(Picked { value: &7, keep }).is_err());
    }
}
