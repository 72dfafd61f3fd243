//! The column map: which CSV column fills which snapshot field, read from YAML with
//! every mistake located at its line in the map and checked against the CSV's header.

use std::cell::RefCell;
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_yaml::Value;

use super::*;

/// How a cell is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
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

pub(super) const COUNT: Kind = Kind::Whole {
    what: "a count",
    min: 0,
    max: i64::MAX,
    percent: false,
};

/// A snapshot field a column can fill.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) path: &'static str,
    pub(super) kind: Kind,
}

pub(super) const fn target(path: &'static str, kind: Kind) -> Target {
    Target { path, kind }
}

/// Every field a map can fill. `stakeholders.*` and `activities.*` describe one person
/// and one activity per row. Objections, signals and questions are not here: the coach
/// finds them in the notes.
pub(super) const TARGETS: &[Target] = &[
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
pub(super) enum Source {
    /// Columns of the CSV (several only for text: joined as paragraphs), by index and title.
    Columns(Vec<(usize, String)>),
    /// The same value for every deal (`{value: CNY}`).
    Constant(Value),
}

/// One line of the map.
#[derive(Debug)]
pub(super) struct Field {
    pub(super) target: &'static Target,
    pub(super) source: Source,
    /// The CRM's words and what they mean (`None`: unknown).
    pub(super) values: Vec<(String, Option<Value>)>,
    /// An amount column's unit, as a power of ten (`unit: 万元` is 4).
    pub(super) unit: u32,
}

/// A column map, checked against a CSV's header.
#[derive(Debug)]
pub struct ColumnMap {
    pub(super) path: String,
    pub(super) fields: Vec<Field>,
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

pub(super) struct MapSeed<'a> {
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
pub(super) struct TargetSeed<'a> {
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

pub(super) fn unknown_field(path: &str) -> String {
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
pub(super) struct FieldSeed<'a> {
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
pub(super) fn column(title: &str, header: &[String]) -> Result<(usize, String), String> {
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
pub(super) struct ColumnsSeed<'a> {
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
pub(super) struct OneColumnSeed<'a> {
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

pub(super) enum SpecKey {
    Column,
    Values,
    Value,
    Unit,
}

pub(super) struct SpecKeySeed;

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
pub(super) struct UnitSeed(&'static Target);

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
pub(super) struct ValuesSeed<'a> {
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

pub(super) fn kind_name(kind: Kind) -> &'static str {
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
pub(super) struct ScalarSeed;

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
pub(super) struct WordSeed<'a> {
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
