//! Any CRM's CSV (HubSpot, 销售易, 纷享销客, a spreadsheet) through a column map: a YAML
//! file naming, for each snapshot field, the column that fills it.
//!
//! ```yaml
//! deal.id: 商机编号
//! deal.name: 商机名称
//! deal.amount: 金额
//! deal.stage: {column: 阶段, values: {方案报价: propose, 商务谈判: negotiate, 赢单: won}}
//! deal.currency: {value: CNY}          # the same value for every deal
//! deal.notes: {column: [描述, 跟进记录]}  # text from several columns, one paragraph each
//! account.name: 客户名称
//! stakeholders.name: 联系人             # one person per row
//! stakeholders.role: {column: 角色, values: {拍板人: decision_maker}}
//! ```
//!
//! The map is checked against the CSV's header before any row is read, and every mistake
//! in it points at its line in the map: an unknown field (with the nearest one), a column
//! the file does not have (with the nearest one), a word that is not in the field's
//! vocabulary. `values` translates the CRM's words for a vocabulary (stage, role, stance
//! …); a word missing from it may still be an English word or a playbook alias, and
//! `~` as a translation leaves the field unknown.
//!
//! Rows that share a `deal.id` are one deal: each may add a stakeholder and an activity
//! (an export with a row per deal and contact), and their deal fields must agree.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_yaml::{Mapping, Value};

use super::table::{Row, Table};
use super::{cells, text_value, CrmDeal, Import, SnapshotBuilder};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::Aliases;

/// How a cell is read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Money,
    /// A number that may be negative (an account's profit).
    Signed,
    /// A potential score, 0..10.
    Score,
    Date,
    Flag,
    Whole {
        what: &'static str,
        min: i64,
        max: i64,
        percent: bool,
    },
    /// One word of a vocabulary.
    Word(&'static str),
    /// A list of words of a vocabulary, in one cell (`case_study; demo`).
    Words(&'static str),
}

const COUNT: Kind = Kind::Whole {
    what: "a count",
    min: 0,
    max: i64::MAX,
    percent: false,
};

/// A snapshot field a column can fill.
#[derive(Debug)]
struct Target {
    path: &'static str,
    kind: Kind,
}

const fn target(path: &'static str, kind: Kind) -> Target {
    Target { path, kind }
}

/// Every field a map can fill. `stakeholders.*` and `activities.*` describe one person
/// and one activity per row. Objections, signals and questions are not here: the coach
/// finds them in the notes.
const TARGETS: &[Target] = &[
    target("deal.id", Kind::Text),
    target("deal.name", Kind::Text),
    target("deal.as_of", Kind::Date),
    target("deal.amount", Kind::Money),
    target("deal.currency", Kind::Text),
    target("deal.expected_close", Kind::Date),
    target("deal.stage", Kind::Word("stage")),
    target(
        "deal.temperature",
        Kind::Whole {
            what: "a temperature",
            min: 0,
            max: 100,
            percent: true,
        },
    ),
    target("deal.next_step", Kind::Text),
    target("deal.close_requested", Kind::Flag),
    target("deal.solutions_prepared", COUNT),
    target("deal.proof_assets", Kind::Words("proof_asset")),
    target("deal.notes", Kind::Text),
    target("account.name", Kind::Text),
    target("account.is_key_account", Kind::Flag),
    target(
        "account.relationship_stage",
        Kind::Word("relationship_stage"),
    ),
    target("account.purchase_pattern", Kind::Word("purchase_pattern")),
    target("account.metrics.revenue", Kind::Money),
    target("account.metrics.profit", Kind::Signed),
    target("account.metrics.collected", Kind::Money),
    target("account.metrics.transactions", COUNT),
    target("account.potential.growth", Kind::Score),
    target("account.potential.strategic_fit", Kind::Score),
    target("account.potential.share_of_wallet_left", Kind::Score),
    target("account.credit", Kind::Word("credit")),
    target("account.has_account_file", Kind::Flag),
    target("account.referrals", COUNT),
    target("account.thinks_of_us_first", Kind::Flag),
    target("information.reviewed", Kind::Date),
    target("information.funds_and_credit", Kind::Word("knowledge")),
    target("information.project_reason", Kind::Word("knowledge")),
    target("information.stakeholder_needs", Kind::Word("knowledge")),
    target("information.procurement_process", Kind::Word("knowledge")),
    target(
        "information.procurement_priorities",
        Kind::Word("knowledge"),
    ),
    target("information.org_structure", Kind::Word("knowledge")),
    target("information.project_steps", Kind::Word("knowledge")),
    target("information.key_difficulties", Kind::Word("knowledge")),
    target("information.competitors", Kind::Word("knowledge")),
    target("information.insider", Kind::Flag),
    target("information.external_allies", COUNT),
    target("stakeholders.name", Kind::Text),
    target("stakeholders.title", Kind::Text),
    target("stakeholders.level", Kind::Word("level")),
    target("stakeholders.role", Kind::Word("role")),
    target("stakeholders.top_decision_maker", Kind::Flag),
    target(
        "stakeholders.influence",
        Kind::Whole {
            what: "influence",
            min: 1,
            max: 10,
            percent: false,
        },
    ),
    target("stakeholders.stance", Kind::Word("stance")),
    target("stakeholders.met", Kind::Flag),
    target("stakeholders.last_contact", Kind::Date),
    target("stakeholders.needs", Kind::Text),
    target("activities.date", Kind::Date),
    target("activities.type", Kind::Word("activity")),
    target("activities.note", Kind::Text),
];

/// Where a field's value comes from.
#[derive(Debug, Clone)]
enum Source {
    /// Columns of the CSV (several only for text: joined as paragraphs), by index and title.
    Columns(Vec<(usize, String)>),
    /// The same value for every deal (`{value: CNY}`).
    Constant(Value),
}

/// One line of the map.
#[derive(Debug)]
struct Field {
    target: &'static Target,
    source: Source,
    /// The CRM's words and what they mean (`None`: unknown).
    values: Vec<(String, Option<Value>)>,
    /// An amount column's unit, as a power of ten (`unit: 万元` is 4).
    unit: u32,
}

/// A column map, checked against a CSV's header.
#[derive(Debug)]
pub struct ColumnMap {
    path: String,
    fields: Vec<Field>,
}

impl ColumnMap {
    /// Reads and checks a map for a CSV with this header.
    pub fn load(
        path: &Path,
        header: &[String],
        aliases: &Aliases,
    ) -> Result<ColumnMap, Diagnostic> {
        let shown = path.display().to_string();
        let text = crate::snapshot::read_text(&shown, crate::snapshot::max_input_bytes())?;
        ColumnMap::parse(&text, &shown, header, aliases)
    }

    pub fn parse(
        text: &str,
        shown: &str,
        header: &[String],
        aliases: &Aliases,
    ) -> Result<ColumnMap, Diagnostic> {
        if text.trim().is_empty() {
            return Err(Diagnostic::error(
                shown,
                0,
                0,
                "the map is empty: write one `field: column` line per snapshot field, at least `deal.id` and `deal.name`",
            ));
        }
        // The input guards (nesting, aliases, size) and plain YAML syntax errors first.
        let _: Value = crate::snapshot::from_yaml(text, shown)?;
        let seed = MapSeed {
            header,
            aliases,
            seen: RefCell::new(Vec::new()),
        };
        let fields = seed
            .deserialize(serde_yaml::Deserializer::from_str(text))
            .map_err(|error| crate::snapshot::yaml_diagnostic(&error, text, shown))?;
        let has = |path: &str| fields.iter().any(|field| field.target.path == path);
        for (required, why) in [
            (
                "deal.id",
                "the CRM's record id: results go back onto the record by it",
            ),
            ("deal.name", "every deal needs a name"),
        ] {
            if !has(required) {
                return Err(Diagnostic::error(
                    shown,
                    0,
                    0,
                    format!("the map has no `{required}`: name its column ({why})"),
                ));
            }
        }
        let person_field = fields.iter().find(|field| {
            field.target.path.starts_with("stakeholders.")
                && field.target.path != "stakeholders.name"
        });
        if let (Some(other), false) = (person_field, has("stakeholders.name")) {
            return Err(Diagnostic::error(
                shown,
                0,
                0,
                format!(
                    "`{}` needs `stakeholders.name` too: people are known by name",
                    other.target.path
                ),
            ));
        }
        Ok(ColumnMap {
            path: shown.to_owned(),
            fields,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Reading the map: each part checked while serde_yaml visits it, so a mistake carries
// the line and column where it is written.

struct MapSeed<'a> {
    header: &'a [String],
    aliases: &'a Aliases,
    seen: RefCell<Vec<&'static str>>,
}

impl<'de> DeserializeSeed<'de> for MapSeed<'_> {
    type Value = Vec<Field>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Vec<Field>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed<'_> {
    type Value = Vec<Field>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a column map: one `snapshot.field: column` per line")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Field>, A::Error> {
        let mut fields = Vec::new();
        while let Some(target) = map.next_key_seed(TargetSeed { seen: &self.seen })? {
            let field = map.next_value_seed(FieldSeed {
                target,
                header: self.header,
                aliases: self.aliases,
            })?;
            fields.push(field);
        }
        Ok(fields)
    }
}

/// A snapshot field's path, as a map key.
struct TargetSeed<'a> {
    seen: &'a RefCell<Vec<&'static str>>,
}

impl<'de> DeserializeSeed<'de> for TargetSeed<'_> {
    type Value = &'static Target;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<&'static Target, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for TargetSeed<'_> {
    type Value = &'static Target;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a snapshot field such as `deal.amount`")
    }
    fn visit_str<E: de::Error>(self, written: &str) -> Result<&'static Target, E> {
        let path = written.trim();
        let Some(found) = TARGETS.iter().find(|target| target.path == path) else {
            return Err(E::custom(unknown_field(path)));
        };
        if self.seen.borrow().contains(&found.path) {
            return Err(E::custom(format!(
                "`{path}` is mapped twice: one column (or value) per field"
            )));
        }
        self.seen.borrow_mut().push(found.path);
        Ok(found)
    }
}

fn unknown_field(path: &str) -> String {
    let paths = TARGETS.iter().map(|target| target.path);
    let nearest = did_you_mean(path, paths.clone()).or_else(|| {
        // `amount` for `deal.amount`: the last part alone, when only one field ends so.
        let mut ending = TARGETS
            .iter()
            .filter(|target| target.path.rsplit('.').next() == Some(path));
        match (ending.next(), ending.next()) {
            (Some(only), None) => Some(only.path),
            _ => None,
        }
    });
    match nearest {
        Some(nearest) => format!("unknown snapshot field `{path}` — did you mean `{nearest}`?"),
        None => format!(
            "unknown snapshot field `{path}`: a map fills fields such as deal.id, deal.name, deal.amount, deal.stage, deal.notes, account.name, stakeholders.name (the README lists them all)"
        ),
    }
}

/// What one field is filled from: `column`, `{column, values}`, `{value}`, or a list of
/// columns for text.
struct FieldSeed<'a> {
    target: &'static Target,
    header: &'a [String],
    aliases: &'a Aliases,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Field;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl FieldSeed<'_> {
    fn field(&self, source: Source) -> Field {
        Field {
            target: self.target,
            source,
            values: Vec::new(),
            unit: 0,
        }
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Field;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "the column that fills `{}`, or {{column: …, values: {{…}}}}, or {{value: …}}",
            self.target.path
        )
    }
    fn visit_str<E: de::Error>(self, title: &str) -> Result<Field, E> {
        let column = column(title, self.header).map_err(E::custom)?;
        Ok(self.field(Source::Columns(vec![column])))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field, A::Error> {
        let columns = ColumnsSeed {
            target: self.target,
            header: self.header,
        }
        .visit_seq(seq)?;
        Ok(self.field(Source::Columns(columns)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Field, E> {
        Err(E::custom(format!(
            "`{}` names no column: write the column's title, or leave the field out",
            self.target.path
        )))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
        let mut source = None;
        let mut values = None;
        let mut unit = 0;
        while let Some(key) = map.next_key_seed(SpecKeySeed)? {
            match key {
                SpecKey::Column => {
                    source = Some(Source::Columns(map.next_value_seed(ColumnsSeed {
                        target: self.target,
                        header: self.header,
                    })?))
                }
                SpecKey::Value => {
                    source = Some(Source::Constant(
                        map.next_value_seed(WordSeed {
                            target: self.target,
                            aliases: self.aliases,
                            nullable: false,
                        })?
                        .unwrap_or_default(),
                    ))
                }
                SpecKey::Values => {
                    values = Some(map.next_value_seed(ValuesSeed {
                        target: self.target,
                        aliases: self.aliases,
                    })?)
                }
                SpecKey::Unit => unit = map.next_value_seed(UnitSeed(self.target))?,
            }
        }
        let Some(source) = source else {
            return Err(de::Error::custom(format!(
                "`{}` needs `column:` (the column that fills it) or `value:` (the same value for every deal)",
                self.target.path
            )));
        };
        Ok(Field {
            values: values.unwrap_or_default(),
            unit,
            ..self.field(source)
        })
    }
}

/// The column titled `title`, with the nearest titles when there is none.
fn column(title: &str, header: &[String]) -> Result<(usize, String), String> {
    let wanted = title.trim();
    let exact: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| name.as_str() == wanted)
        .map(|(index, _)| index)
        .collect();
    let found = match exact.as_slice() {
        [only] => Some(*only),
        [] => header
            .iter()
            .position(|name| name.to_lowercase() == wanted.to_lowercase()),
        _ => {
            return Err(format!(
                "the CSV has {} columns titled `{wanted}`: the map cannot tell which one it means (rename one in the file)",
                exact.len()
            ))
        }
    };
    match found {
        Some(index) => Ok((index, header[index].clone())),
        None => {
            let hint = match did_you_mean(wanted, header.iter().map(String::as_str)) {
                Some(nearest) => format!(" — did you mean `{nearest}`?"),
                None => {
                    let shown: Vec<&str> = header.iter().take(30).map(String::as_str).collect();
                    let more = if header.len() > 30 { ", …" } else { "" };
                    format!(" (its columns: {}{more})", shown.join(", "))
                }
            };
            Err(format!("the CSV has no column `{wanted}`{hint}"))
        }
    }
}

/// A column, or (for text) a list of them.
struct ColumnsSeed<'a> {
    target: &'static Target,
    header: &'a [String],
}

impl<'de> DeserializeSeed<'de> for ColumnsSeed<'_> {
    type Value = Vec<(usize, String)>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ColumnsSeed<'_> {
    type Value = Vec<(usize, String)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a column title (or, for text, a list of them)")
    }
    fn visit_str<E: de::Error>(self, title: &str) -> Result<Self::Value, E> {
        Ok(vec![column(title, self.header).map_err(E::custom)?])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut columns = Vec::new();
        while let Some(column) = seq.next_element_seed(OneColumnSeed {
            target: self.target,
            header: self.header,
            first: columns.is_empty(),
        })? {
            columns.push(column);
        }
        if columns.is_empty() {
            return Err(de::Error::custom(format!(
                "`{}` names no column",
                self.target.path
            )));
        }
        Ok(columns)
    }
}

/// One title in a list of columns; only text joins several.
struct OneColumnSeed<'a> {
    target: &'static Target,
    header: &'a [String],
    first: bool,
}

impl<'de> DeserializeSeed<'de> for OneColumnSeed<'_> {
    type Value = (usize, String);
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for OneColumnSeed<'_> {
    type Value = (usize, String);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a column title")
    }
    fn visit_str<E: de::Error>(self, title: &str) -> Result<Self::Value, E> {
        if !self.first && self.target.kind != Kind::Text {
            return Err(E::custom(format!(
                "only a text field joins several columns; `{}` takes one",
                self.target.path
            )));
        }
        column(title, self.header).map_err(E::custom)
    }
}

enum SpecKey {
    Column,
    Values,
    Value,
    Unit,
}

struct SpecKeySeed;

impl<'de> DeserializeSeed<'de> for SpecKeySeed {
    type Value = SpecKey;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<SpecKey, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for SpecKeySeed {
    type Value = SpecKey;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`column`, `values`, `value` or `unit`")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<SpecKey, E> {
        match key {
            "column" => Ok(SpecKey::Column),
            "values" => Ok(SpecKey::Values),
            "value" => Ok(SpecKey::Value),
            "unit" => Ok(SpecKey::Unit),
            other => {
                let hint = did_you_mean(other, ["column", "values", "value", "unit"])
                    .map(|nearest| format!(" — did you mean `{nearest}`?"))
                    .unwrap_or_else(|| {
                        " (expected `column`, `values`, `value` or `unit`)".to_owned()
                    });
                Err(E::custom(format!("unknown key `{other}`{hint}")))
            }
        }
    }
}

/// `unit: 万元`: the unit of an amount column.
struct UnitSeed(&'static Target);

impl<'de> DeserializeSeed<'de> for UnitSeed {
    type Value = u32;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<u32, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UnitSeed {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // The units are the words the amount reader knows (cells::UNITS), not UI text.
        let names: Vec<&str> = cells::UNITS.iter().map(|(name, _)| *name).collect();
        write!(f, "a unit: one of {}", names.join(", "))
    }
    fn visit_str<E: de::Error>(self, unit: &str) -> Result<u32, E> {
        if !matches!(self.0.kind, Kind::Money | Kind::Signed) {
            return Err(E::custom(format!(
                "`unit` is for amounts; `{}` is {}",
                self.0.path,
                kind_name(self.0.kind)
            )));
        }
        cells::UNITS
            .iter()
            .find(|(name, _)| *name == unit.trim())
            .map(|(_, exponent)| *exponent)
            .ok_or_else(|| {
                let names: Vec<&str> = cells::UNITS.iter().map(|(name, _)| *name).collect();
                E::custom(format!(
                    "unknown unit `{unit}` (units: {})",
                    names.join(", ")
                ))
            })
    }
    fn visit_u64<E: de::Error>(self, unit: u64) -> Result<u32, E> {
        self.visit_str(&unit.to_string())
    }
}

/// `values: {CRM word: snapshot word, …}`.
struct ValuesSeed<'a> {
    target: &'static Target,
    aliases: &'a Aliases,
}

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = Vec<(String, Option<Value>)>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = Vec<(String, Option<Value>)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping from the CRM's words to the snapshot's")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::new();
        while let Some(word) = map.next_key_seed(ScalarSeed)? {
            let meaning = map.next_value_seed(WordSeed {
                target: self.target,
                aliases: self.aliases,
                nullable: true,
            })?;
            values.push((
                word.trim().to_owned(),
                meaning.filter(|value| !value.is_null()),
            ));
        }
        Ok(values)
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "free text",
        Kind::Money => "an amount",
        Kind::Signed => "a number",
        Kind::Score => "a score",
        Kind::Date => "a date",
        Kind::Flag => "yes or no",
        Kind::Whole { .. } => "a whole number",
        Kind::Word(_) | Kind::Words(_) => "a vocabulary word",
    }
}

/// Any scalar as text (a CRM word may look like a number: a HubSpot stage id).
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = String;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a word")
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<String, E> {
        Ok(value.to_string())
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<String, E> {
        Ok(value.to_string())
    }
}

/// A value of the target's kind, written in the map (`value:` or a `values` entry).
struct WordSeed<'a> {
    target: &'static Target,
    aliases: &'a Aliases,
    nullable: bool,
}

impl<'de> DeserializeSeed<'de> for WordSeed<'_> {
    type Value = Option<Value>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for WordSeed<'_> {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a value of `{}`", self.target.path)
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        let kind = match self.target.kind {
            // A `values` entry of a list translates one item.
            Kind::Words(vocabulary) if self.nullable => Kind::Word(vocabulary),
            kind => kind,
        };
        read_cell(kind, value, self.aliases)
            .map(Some)
            .map_err(|message| E::custom(format!("`{}`: {message}", self.target.path)))
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        self.visit_str(&value.to_string())
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.visit_str(&value.to_string())
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        self.visit_str(&value.to_string())
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        self.visit_str(&value.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.nullable {
            Ok(None)
        } else {
            Err(E::custom(format!(
                "`{}`: `value` is empty; leave the field out if it is not known",
                self.target.path
            )))
        }
    }
}

/// One cell, read as a kind of value.
fn read_cell(kind: Kind, cell: &str, aliases: &Aliases) -> Result<Value, String> {
    Ok(match kind {
        Kind::Text => text_value(cells::text(cell)),
        Kind::Money => cells::amount(cell)?,
        Kind::Signed => cells::signed_number(cell)?,
        Kind::Score => cells::score10(cell)?,
        Kind::Date => text_value(cells::date(cell)?.to_string()),
        Kind::Flag => Value::Bool(cells::flag(cell, aliases)?),
        Kind::Whole {
            what,
            min,
            max,
            percent,
        } => Value::from(cells::whole(cell, what, min, max, percent)?),
        Kind::Word(vocabulary) => text_value(cells::word(vocabulary, cell, aliases)?),
        Kind::Words(vocabulary) => Value::Sequence(
            list_items(cell)
                .map(|item| cells::word(vocabulary, item, aliases).map(text_value))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The items of a list written in one cell: `case_study; demo`, `案例、演示`.
fn list_items(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([',', ';', '|', '、', '，', '；'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

// ---------------------------------------------------------------------------------------
// Reading the rows.

/// How a mapped CSV is turned into snapshots.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `deal.as_of` of every snapshot; by default the map's `deal.as_of` column, else today.
    pub as_of: Option<Date>,
}

/// A deal being put together from its rows.
struct Group {
    line: usize,
    /// Deal, account and information fields, with the line that gave each.
    fields: IndexMap<&'static str, (Value, usize)>,
    people: Vec<(Mapping, usize)>,
    activities: Vec<Mapping>,
}

/// Reads a CSV through a column map. The file or the map unusable is an `Err`; a bad
/// row is one of the import's problems, and the other rows are still imported.
pub fn read(
    csv: &Path,
    map: &Path,
    options: &Options,
    aliases: &Arc<Aliases>,
    max_bytes: u64,
) -> Result<Import, Diagnostics> {
    let one = |problem: Diagnostic| Diagnostics(vec![problem]);
    let (table, problems) = Table::read(csv, max_bytes).map_err(one)?;
    let map = ColumnMap::load(map, &table.header, aliases).map_err(one)?;
    Ok(convert(&table, problems, &map, options, aliases))
}

/// The deals of a table read through a map.
pub fn convert(
    table: &Table,
    problems: Vec<Diagnostic>,
    map: &ColumnMap,
    options: &Options,
    aliases: &Aliases,
) -> Import {
    let mut import = Import {
        problems,
        ..Import::default()
    };
    let mut groups: IndexMap<String, Group> = IndexMap::new();
    for row in &table.rows {
        match read_row(row, map, aliases) {
            Err(messages) => import.problems.extend(
                messages
                    .into_iter()
                    .map(|(column, message)| table.cell_problem(row, column, message)),
            ),
            Ok(read) => {
                if let Err(message) = add_row(&mut groups, read, row.line) {
                    import.problems.push(table.problem(row.line, message));
                }
            }
        }
    }
    let as_of_from_map = map
        .fields
        .iter()
        .any(|field| field.target.path == "deal.as_of");
    let today = (options.as_of.is_none() && !as_of_from_map).then(Date::today);
    if let Some(today) = today {
        import.notes.push(format!(
            "{}: note: as_of is today, {today}: the map has no `deal.as_of` column (--as-of sets the day)",
            table.path
        ));
    }
    for (id, group) in groups {
        let mut builder = SnapshotBuilder::default();
        for (path, (value, _)) in group.fields {
            builder.set(path, value);
        }
        if let Some(day) = options.as_of.or(today) {
            builder.set("deal.as_of", text_value(day.to_string()));
        }
        *builder.stakeholders() = group.people.into_iter().map(|(person, _)| person).collect();
        *builder.activities() = group.activities;
        import.deals.push(CrmDeal {
            id,
            source: table.path.clone(),
            line: group.line,
            snapshot: builder.finish(),
        });
    }
    import
}

/// What one row says: its deal fields, a person, an activity.
struct RowValues {
    id: String,
    fields: Vec<(&'static str, Value)>,
    person: Mapping,
    activity: Mapping,
}

/// A bad cell: its column (for the message's place) and what is wrong.
type BadCell = (Option<usize>, String);

fn read_row(row: &Row, map: &ColumnMap, aliases: &Aliases) -> Result<RowValues, Vec<BadCell>> {
    let mut bad: Vec<BadCell> = Vec::new();
    let mut read = RowValues {
        id: String::new(),
        fields: Vec::new(),
        person: Mapping::new(),
        activity: Mapping::new(),
    };
    // Each field's column titles (for messages) and first column (for their place).
    let mut columns_of: HashMap<&str, (String, Option<usize>)> = HashMap::new();
    for field in &map.fields {
        let path = field.target.path;
        let value = match &field.source {
            Source::Constant(value) => value.clone(),
            Source::Columns(columns) => {
                let titles: Vec<String> = columns
                    .iter()
                    .map(|(_, title)| format!("`{title}`"))
                    .collect();
                columns_of.insert(path, (titles.join(" + "), columns.first().map(|c| c.0)));
                let written: Vec<(usize, &str)> = columns
                    .iter()
                    .map(|(index, _)| (*index, row.get(Some(*index))))
                    .filter(|(_, cell)| !cell.is_empty())
                    .collect();
                if written.is_empty() {
                    continue;
                }
                let cell = match field.target.kind {
                    Kind::Text => written
                        .iter()
                        .map(|(_, cell)| cells::text(cell))
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                    _ => written[0].1.to_owned(),
                };
                match translate(field, &cell, aliases) {
                    Ok(Some(value)) => value,
                    Ok(None) => continue,
                    Err(message) => {
                        let hint = match field.target.kind {
                            Kind::Word(_) | Kind::Words(_) | Kind::Flag => {
                                format!(" — add it under `values:` of `{path}` in {}", map.path)
                            }
                            _ => String::new(),
                        };
                        bad.push((
                            Some(written[0].0),
                            format!("{} ({path}): {message}{hint}", titles.join(" + ")),
                        ));
                        continue;
                    }
                }
            }
        };
        if let Some(rest) = path.strip_prefix("stakeholders.") {
            read.person.insert(Value::from(rest), value);
        } else if let Some(rest) = path.strip_prefix("activities.") {
            read.activity.insert(Value::from(rest), value);
        } else {
            if path == "deal.id" {
                read.id = value.as_str().unwrap_or_default().to_owned();
            }
            read.fields.push((path, value));
        }
    }
    for (required, why) in [
        ("deal.id", "every deal needs its CRM id"),
        ("deal.name", "every deal needs a name"),
    ] {
        if !read.fields.iter().any(|(path, _)| *path == required) {
            let (titles, column) = columns_of.get(required).cloned().unwrap_or_default();
            bad.push((column, format!("{titles} ({required}) is empty: {why}")));
        }
    }
    if !read.person.is_empty() && !read.person.contains_key("name") {
        let (titles, column) = columns_of
            .get("stakeholders.name")
            .cloned()
            .unwrap_or_default();
        bad.push((
            column,
            format!("{titles} (stakeholders.name) is empty, but the row describes a person: people are known by name"),
        ));
    }
    if bad.is_empty() {
        Ok(read)
    } else {
        Err(bad)
    }
}

/// A cell through the field's `values`, else read as its kind; `None` when `values`
/// says the word means nothing known.
fn translate(field: &Field, cell: &str, aliases: &Aliases) -> Result<Option<Value>, String> {
    let lookup = |word: &str| {
        field
            .values
            .iter()
            .find(|(known, _)| known.to_lowercase() == word.trim().to_lowercase())
            .map(|(_, meaning)| meaning.clone())
    };
    if let Some(meaning) = lookup(cell) {
        return Ok(meaning);
    }
    if let Kind::Words(vocabulary) = field.target.kind {
        let mut items = Vec::new();
        for item in list_items(cell) {
            match lookup(item) {
                Some(Some(meaning)) => items.push(meaning),
                Some(None) => {}
                None => items.push(text_value(cells::word(vocabulary, item, aliases)?)),
            }
        }
        return Ok((!items.is_empty()).then_some(Value::Sequence(items)));
    }
    match field.target.kind {
        Kind::Money => cells::amount_in(cell, field.unit).map(Some),
        Kind::Signed if field.unit != 0 => {
            let magnitude = cells::amount_in(cell.trim().trim_start_matches('-'), field.unit)?;
            if cell.trim().starts_with('-') {
                cells::signed_number(&format!("-{}", inline_number(&magnitude))).map(Some)
            } else {
                Ok(Some(magnitude))
            }
        }
        kind => read_cell(kind, cell, aliases).map(Some),
    }
}

fn inline_number(value: &Value) -> String {
    match value {
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

/// Adds a row to its deal, or says why it contradicts the rows before it.
fn add_row(
    groups: &mut IndexMap<String, Group>,
    read: RowValues,
    line: usize,
) -> Result<(), String> {
    let group = groups.entry(read.id.clone()).or_insert_with(|| Group {
        line,
        fields: IndexMap::new(),
        people: Vec::new(),
        activities: Vec::new(),
    });
    // Check everything first: a contradicting row adds nothing.
    for (path, value) in &read.fields {
        if let Some((known, first)) = group.fields.get(path) {
            if known != value {
                return Err(format!(
                    "`{path}` is {} here but {} on line {first}, for the same deal `{}`: the row is skipped",
                    shown(value),
                    shown(known),
                    read.id
                ));
            }
        }
    }
    let name = read.person.get("name").cloned();
    let same_person = name.as_ref().and_then(|name| {
        group
            .people
            .iter()
            .position(|(person, _)| person.get("name") == Some(name))
    });
    if let Some(index) = same_person {
        let (person, first) = &group.people[index];
        for (field, value) in &read.person {
            if let Some(known) = person.get(field) {
                if known != value {
                    return Err(format!(
                        "`stakeholders.{}` of {} is {} here but {} on line {first}: the row is skipped",
                        shown(field),
                        shown(name.as_ref().unwrap_or(&Value::Null)),
                        shown(value),
                        shown(known)
                    ));
                }
            }
        }
    }
    if read.person.get("top_decision_maker") == Some(&Value::Bool(true)) {
        let other_top = group.people.iter().find(|(person, _)| {
            person.get("top_decision_maker") == Some(&Value::Bool(true))
                && person.get("name") != name.as_ref()
        });
        if let Some((other, first)) = other_top {
            return Err(format!(
                "a second top decision maker for deal `{}` ({} on line {first} is one already): only one person makes the final decision",
                read.id,
                shown(other.get("name").unwrap_or(&Value::Null))
            ));
        }
    }
    for (path, value) in read.fields {
        group.fields.entry(path).or_insert((value, line));
    }
    match same_person {
        Some(index) => {
            for (field, value) in read.person {
                group.people[index].0.entry(field).or_insert(value);
            }
        }
        None if !read.person.is_empty() => group.people.push((read.person, line)),
        None => {}
    }
    if !read.activity.is_empty() && !group.activities.contains(&read.activity) {
        group.activities.push(read.activity);
    }
    Ok(())
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => serde_yaml::to_string(other)
            .map(|text| format!("`{}`", text.trim()))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    //! A map is checked where it is written; rows go through it strictly.
    use super::*;

    fn header(titles: &[&str]) -> Vec<String> {
        titles.iter().map(|title| (*title).to_owned()).collect()
    }

    fn refused(map: &str, titles: &[&str]) -> String {
        let diagnostic =
            ColumnMap::parse(map, "map.yaml", &header(titles), &Aliases::new()).unwrap_err();
        format!(
            "{}:{}: {}",
            diagnostic.line, diagnostic.column, diagnostic.message
        )
    }

    #[test]
    fn map_mistakes_point_at_their_line() {
        let titles = ["编号", "名称", "阶段"];
        let found = refused("deal.id: 编号\ndeal.name: 名称\ndeal.stge: 阶段\n", &titles);
        assert!(
            found.starts_with(
                "3:1: unknown snapshot field `deal.stge` — did you mean `deal.stage`?"
            ),
            "{found}"
        );
        let found = refused("deal.id: 编号\namount: 名称\n", &titles);
        assert!(found.contains("did you mean `deal.amount`?"), "{found}");
        let found = refused("deal.id: 编号\ndeal.name: 名字\n", &titles);
        assert!(
            // serde_yaml names the key before its message.
            found.starts_with(
                "2:12: deal.name: the CSV has no column `名字` — did you mean `名称`?"
            ),
            "{found}"
        );
        let found = refused(
            "deal.id: 编号\ndeal.name: 名称\ndeal.stage: {column: 阶段, values: {方案报价: propse}}\n",
            &titles,
        );
        assert!(found.starts_with("3:"), "{found}");
        assert!(found.contains("did you mean `propose`?"), "{found}");
        let found = refused("deal.id: 编号\n", &titles);
        assert!(found.contains("the map has no `deal.name`"), "{found}");
        let found = refused(
            "deal.id: 编号\ndeal.name: 名称\ndeal.amount: {column: 阶段, vaules: {a: b}}\n",
            &titles,
        );
        assert!(found.contains("did you mean `values`?"), "{found}");
    }

    #[test]
    fn rows_of_one_deal_add_people_and_must_agree() {
        let csv = "id,name,amount,contact,role\nD1,Deal,100,Li,决策者\nD1,Deal,100,Wu,user\nD1,Deal,200,Ma,user\nD2,Other,,,\n";
        let (table, problems) = Table::parse(csv.as_bytes(), "c.csv").unwrap();
        let mut aliases = Aliases::new();
        aliases.insert(
            "role".into(),
            [("决策者".to_owned(), "decision_maker".to_owned())]
                .into_iter()
                .collect(),
        );
        let map = ColumnMap::parse(
            "deal.id: id\ndeal.name: name\ndeal.amount: amount\nstakeholders.name: contact\nstakeholders.role: role\n",
            "m.yaml",
            &table.header,
            &aliases,
        )
        .unwrap();
        let options = Options {
            as_of: Date::parse("2026-11-20").ok(),
        };
        let import = convert(&table, problems, &map, &options, &aliases);
        assert_eq!(import.deals.len(), 2);
        assert_eq!(import.problems.len(), 1);
        assert_eq!(import.problems[0].line, 4);
        assert!(import.problems[0]
            .message
            .contains("`deal.amount` is `200` here but `100` on line 2"));
        let people = import.deals[0].snapshot["stakeholders"]
            .as_sequence()
            .unwrap();
        assert_eq!(people.len(), 2);
        assert_eq!(people[0]["role"].as_str(), Some("decision_maker"));
    }
}
