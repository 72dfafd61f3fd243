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

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use super::table::{Row, Table};
use super::{cells, text_value, CrmDeal, Import, SnapshotBuilder};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::Aliases;

mod column_map;

pub use column_map::ColumnMap;
use column_map::*;

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
