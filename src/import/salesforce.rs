//! A standard Salesforce export: `Opportunity.csv`, and if there, `Account.csv`,
//! `Contact.csv` and `OpportunityContactRole.csv`, with the API field names that Data
//! Loader (in capitals) and the weekly Data Export (as written) use.
//!
//! One snapshot per opportunity, `deal.id` its Id so results can go back onto the record.
//! What Salesforce knows maps onto the snapshot as follows; everything else in the export
//! (Probability, ForecastCategoryName, OwnerId …) is passed over, because the coach reads
//! evidence, not the CRM's own forecast:
//!
//! | Salesforce | snapshot |
//! |---|---|
//! | Id, Name | `deal.id`, `deal.name` |
//! | StageName (standard picklist, or `--stages`) | `deal.stage` |
//! | Amount, CurrencyIsoCode (or `--currency`) | `deal.amount`, `deal.currency` |
//! | CloseDate | `deal.expected_close` |
//! | NextStep | `deal.next_step` |
//! | Description | `deal.notes` (read for objections and signals) |
//! | LastActivityDate | an activity on that day |
//! | AccountId → Account.Name (or an `Account.Name` column) | `account.name` |
//! | contact roles → Contact Name, Title, LastActivityDate | `stakeholders` |
//!
//! Contact roles: Economic Buyer, Economic Decision Maker and Decision Maker are decision
//! makers; Technical Buyer and Evaluator technical gatekeepers; Business User a user;
//! Influencer, Executive Sponsor and Other influencers. The primary contact is the top
//! decision maker when their role is Economic Buyer or Economic Decision Maker, else when
//! it is Decision Maker — at most one person.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_yaml::{Mapping, Value};

use super::table::{Row, Table};
use super::{cells, text_value, CrmDeal, Import, SnapshotBuilder};
use crate::diag::{Diagnostic, Diagnostics};
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::{AliasScope, Aliases, Role, Stage, Vocabulary};

/// The standard StageName picklist.
const STANDARD_STAGES: [(&str, Stage); 10] = [
    ("Prospecting", Stage::Qualify),
    ("Qualification", Stage::Qualify),
    ("Needs Analysis", Stage::Develop),
    ("Value Proposition", Stage::Develop),
    ("Id. Decision Makers", Stage::Develop),
    ("Perception Analysis", Stage::Develop),
    ("Proposal/Price Quote", Stage::Propose),
    ("Negotiation/Review", Stage::Negotiate),
    ("Closed Won", Stage::Won),
    ("Closed Lost", Stage::Lost),
];

/// The standard contact-role picklist, and whether the role marks the economic buyer
/// (first choice for the top decision maker when primary).
const STANDARD_ROLES: [(&str, Role, bool); 9] = [
    ("Economic Buyer", Role::DecisionMaker, true),
    ("Economic Decision Maker", Role::DecisionMaker, true),
    ("Decision Maker", Role::DecisionMaker, false),
    ("Technical Buyer", Role::TechnicalGatekeeper, false),
    ("Evaluator", Role::TechnicalGatekeeper, false),
    ("Business User", Role::User, false),
    ("Influencer", Role::Influencer, false),
    ("Executive Sponsor", Role::Influencer, false),
    ("Other", Role::Influencer, false),
];

/// When one contact holds several roles on an opportunity, the one that says most about
/// the buying decision is kept.
fn role_rank(role: Role) -> u8 {
    match role {
        Role::DecisionMaker => 0,
        Role::TechnicalGatekeeper => 1,
        Role::User => 2,
        Role::Influencer => 3,
    }
}

/// StageName → stage: the standard picklist, overridden and extended by `--stages`.
#[derive(Debug, Clone, Default)]
pub struct StageMap {
    /// From `--stages`: a StageName and its stage (none: the deal gets no stage).
    custom: Vec<(String, Option<Stage>)>,
}

/// A stage word in a `--stages` file, checked where it is written.
struct StageWord(Stage);

impl<'de> Deserialize<'de> for StageWord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::snapshot::checked::text(deserializer, "a stage word", |text| {
            Stage::resolve(text).map(StageWord)
        })
    }
}

impl StageMap {
    /// Reads a `--stages` file: StageName → stage word (`qualify` … `lost`, or a
    /// playbook alias), or `~` for no stage.
    pub fn load(path: &Path, aliases: &Arc<Aliases>) -> Result<StageMap, Diagnostic> {
        let shown = path.display().to_string();
        let text = crate::snapshot::read_text(&shown, crate::snapshot::max_input_bytes())?;
        if text.trim().is_empty() {
            return Err(Diagnostic::error(
                &shown,
                0,
                0,
                "the stage map is empty: write one `StageName: stage` line per stage (e.g. `Discovery: develop`)",
            ));
        }
        let _aliases = AliasScope::enter(Arc::clone(aliases));
        let entries: IndexMap<String, Option<StageWord>> =
            crate::snapshot::from_yaml(&text, &shown)?;
        Ok(StageMap {
            custom: entries
                .into_iter()
                .map(|(name, stage)| (name, stage.map(|word| word.0)))
                .collect(),
        })
    }

    /// The stage a StageName maps to: `None` when neither the map nor the standard
    /// picklist knows it, `Some(None)` when the map says it has none.
    fn stage(&self, name: &str) -> Option<Option<Stage>> {
        let same = |known: &str| known.trim().eq_ignore_ascii_case(name.trim());
        if let Some((_, stage)) = self.custom.iter().find(|(known, _)| same(known)) {
            return Some(*stage);
        }
        STANDARD_STAGES
            .iter()
            .find(|(known, _)| same(known))
            .map(|(_, stage)| Some(*stage))
    }
}

/// How an export is turned into snapshots.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub stages: StageMap,
    /// `deal.as_of` of every snapshot; by default the export's newest modification day.
    pub as_of: Option<Date>,
    /// The currency of a single-currency org, whose export has no CurrencyIsoCode.
    pub currency: Option<String>,
}

/// The files of an export, found by name in any case.
struct Files {
    opportunity: PathBuf,
    account: Option<PathBuf>,
    contact: Option<PathBuf>,
    contact_role: Option<PathBuf>,
}

impl Files {
    fn find(folder: &Path) -> Result<Files, Diagnostic> {
        let shown = folder.display().to_string();
        if !folder.is_dir() {
            return Err(Diagnostic::error(
                &shown,
                0,
                0,
                "is not a folder: name the folder that holds the export's Opportunity.csv",
            ));
        }
        let entries = std::fs::read_dir(folder).map_err(|error| {
            Diagnostic::error(&shown, 0, 0, crate::snapshot::io_message(&error))
        })?;
        let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().to_lowercase();
            by_name.entry(name).or_insert_with(|| entry.path());
        }
        let opportunity = by_name.remove("opportunity.csv").ok_or_else(|| {
            Diagnostic::error(
                &shown,
                0,
                0,
                "has no Opportunity.csv: export the Opportunity object into this folder (Data Loader, or Setup → Data Export), with Account, Contact and OpportunityContactRole if you can",
            )
        })?;
        Ok(Files {
            opportunity,
            account: by_name.remove("account.csv"),
            contact: by_name.remove("contact.csv"),
            contact_role: by_name.remove("opportunitycontactrole.csv"),
        })
    }
}

/// Reads a Salesforce export folder. A file that cannot be read, or a required column
/// missing, is an `Err` (nothing can be imported right); a bad row is one of the
/// import's problems and the other rows are still imported.
pub fn read(
    folder: &Path,
    options: &Options,
    aliases: &Arc<Aliases>,
    max_bytes: u64,
) -> Result<Import, Diagnostics> {
    let files = Files::find(folder).map_err(|problem| Diagnostics(vec![problem]))?;
    let mut fatal = Vec::new();
    let mut import = Import::default();
    let mut table = |path: &Path| match Table::read(path, max_bytes) {
        Ok((table, problems)) => {
            import.problems.extend(problems);
            Some(table)
        }
        Err(problem) => {
            fatal.push(problem);
            None
        }
    };
    let opportunities = table(&files.opportunity);
    let accounts = files.account.as_deref().and_then(&mut table);
    let contacts = files.contact.as_deref().and_then(&mut table);
    let roles = files.contact_role.as_deref().and_then(&mut table);

    let require = |table: &Option<Table>, titles: &[&str], fatal: &mut Vec<Diagnostic>| {
        if let Some(table) = table {
            for title in titles {
                if table.column(title).is_none() {
                    fatal.push(table.missing(title));
                }
            }
        }
    };
    require(&opportunities, &["Id", "Name", "StageName"], &mut fatal);
    require(&accounts, &["Id", "Name"], &mut fatal);
    require(&contacts, &["Id"], &mut fatal);
    require(&roles, &["OpportunityId", "ContactId", "Role"], &mut fatal);
    if let Some(contacts) = &contacts {
        if contacts.column("Name").is_none() && contacts.column("LastName").is_none() {
            fatal.push(contacts.missing("LastName"));
        }
    }
    let Some(opportunities) = opportunities.filter(|_| fatal.is_empty()) else {
        fatal.sort();
        return Err(Diagnostics(fatal));
    };

    let account_names = accounts.as_ref().map(read_accounts).unwrap_or_default();
    let people = contacts
        .as_ref()
        .map(|table| read_contacts(table, &mut import.problems))
        .unwrap_or_default();
    let roles_by_opportunity = roles
        .as_ref()
        .map(|table| read_roles(table, &mut import.problems, aliases))
        .unwrap_or_default();
    if roles.is_some() && contacts.is_none() {
        import.notes.push(format!(
            "{}: note: there is no Contact.csv beside it, so no contact role could be given a name: the snapshots have no stakeholders",
            roles.as_ref().map_or(String::new(), |table| table.path.clone())
        ));
    }

    let mut read = Opportunities::read(&opportunities, options, aliases, &mut import.problems);
    let (as_of, as_of_note) = match (options.as_of, read.newest_change) {
        (Some(day), _) => (day, None),
        (None, Some((day, column))) => (
            day,
            Some(format!(
                "{}: note: as_of is {day}, the newest {column} in the export (--as-of sets another day)",
                opportunities.path
            )),
        ),
        (None, None) => {
            let today = Date::today();
            (
                today,
                Some(format!(
                    "{}: note: as_of is today, {today}: the export has no LastModifiedDate or SystemModstamp (--as-of sets the day)",
                    opportunities.path
                )),
            )
        }
    };
    import.notes.extend(as_of_note);

    let mut unknown_contacts = 0;
    let mut unknown_roles: BTreeMap<String, usize> = BTreeMap::new();
    for opportunity in std::mem::take(&mut read.good) {
        let mut builder = SnapshotBuilder::default();
        builder.set("deal.id", text_value(&opportunity.id));
        builder.set("deal.name", text_value(&opportunity.name));
        builder.set("deal.as_of", text_value(as_of.to_string()));
        if let Some(amount) = opportunity.amount {
            builder.set("deal.amount", amount);
        }
        if let Some(currency) = opportunity.currency.or_else(|| options.currency.clone()) {
            builder.set("deal.currency", text_value(currency));
        }
        if let Some(close) = opportunity.close {
            builder.set("deal.expected_close", text_value(close.to_string()));
        }
        if let Some(stage) = opportunity.stage {
            builder.set("deal.stage", text_value(stage.as_str()));
        }
        if let Some(next_step) = opportunity.next_step {
            builder.set("deal.next_step", text_value(next_step));
        }
        if let Some(description) = opportunity.description {
            builder.set("deal.notes", text_value(description));
        }
        let account = opportunity
            .account_id
            .as_ref()
            .and_then(|id| account_names.get(id).cloned())
            .or(opportunity.account_name);
        if let Some(account) = account {
            builder.set("account.name", text_value(account));
        }
        let roles = roles_by_opportunity
            .get(&opportunity.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        *builder.stakeholders() =
            stakeholders(roles, &people, &mut unknown_contacts, &mut unknown_roles);
        if let Some(day) = opportunity.last_activity {
            let mut activity = Mapping::new();
            activity.insert(Value::from("date"), text_value(day.to_string()));
            builder.activities().push(activity);
        }
        import.deals.push(CrmDeal {
            id: opportunity.id,
            source: opportunities.path.clone(),
            line: opportunity.line,
            snapshot: builder.finish(),
        });
    }

    for (name, count) in &read.unmapped_stages {
        import.notes.push(format!(
            "{}: note: stage `{name}` is not in the standard picklist: {count} open {} no `stage` (map it with --stages MAP.yaml, e.g. `{name}: develop`)",
            opportunities.path,
            if *count == 1 { "opportunity has" } else { "opportunities have" }
        ));
    }
    if read.deleted > 0 {
        import.notes.push(format!(
            "{}: note: {} deleted {} (IsDeleted) left out",
            opportunities.path,
            read.deleted,
            if read.deleted == 1 {
                "opportunity"
            } else {
                "opportunities"
            }
        ));
    }
    if let Some(roles) = &roles {
        for (role, count) in &unknown_roles {
            import.notes.push(format!(
                "{}: note: role `{role}` is not a standard contact role: {count} {} no `role`",
                roles.path,
                if *count == 1 {
                    "person has"
                } else {
                    "people have"
                }
            ));
        }
        if unknown_contacts > 0 && contacts.is_some() {
            import.notes.push(format!(
                "{}: note: {unknown_contacts} contact {} a contact that is not in Contact.csv: left out",
                roles.path,
                if unknown_contacts == 1 { "role names" } else { "roles name" }
            ));
        }
    }
    Ok(import)
}

fn read_accounts(table: &Table) -> HashMap<String, String> {
    let id = table.column("Id");
    let name = table.column("Name");
    let deleted = table.column("IsDeleted");
    table
        .rows
        .iter()
        .filter(|row| !is_true(row.get(deleted)))
        .filter(|row| !row.get(id).is_empty() && !row.get(name).is_empty())
        .map(|row| (row.get(id).to_owned(), cells::text(row.get(name))))
        .collect()
}

fn is_true(cell: &str) -> bool {
    matches!(cell.to_ascii_lowercase().as_str(), "true" | "1")
}

/// A contact as a stakeholder: name, title, the last activity with them.
#[derive(Debug, Clone)]
struct Contact {
    name: String,
    title: Option<String>,
    last_activity: Option<Date>,
}

fn read_contacts(
    table: &Table,
    problems: &mut Vec<crate::diag::Diagnostic>,
) -> HashMap<String, Contact> {
    let id = table.column("Id");
    let [name, first, last, title, last_activity, deleted] = [
        "Name",
        "FirstName",
        "LastName",
        "Title",
        "LastActivityDate",
        "IsDeleted",
    ]
    .map(|title| table.column(title));
    let mut contacts = HashMap::new();
    for row in &table.rows {
        if is_true(row.get(deleted)) || row.get(id).is_empty() {
            continue;
        }
        let full_name = match row.get(name) {
            "" => person_name(row.get(first), row.get(last)),
            written => cells::text(written),
        };
        if full_name.is_empty() {
            problems.push(table.problem(
                row.line,
                "the contact has no name (`Name`, `FirstName` and `LastName` are empty): its roles are left out",
            ));
            continue;
        }
        let last_activity_day = match row.get(last_activity) {
            "" => None,
            cell => match cells::date(cell) {
                Ok(day) => Some(day),
                Err(message) => {
                    problems.push(table.cell_problem(
                        row,
                        last_activity,
                        format!("`LastActivityDate`: {message}"),
                    ));
                    continue;
                }
            },
        };
        contacts.insert(
            row.get(id).to_owned(),
            Contact {
                name: full_name,
                title: Some(cells::text(row.get(title))).filter(|title| !title.is_empty()),
                last_activity: last_activity_day,
            },
        );
    }
    contacts
}

/// A person's name from its parts: `First Last`, or `姓名` with no space when either part
/// is Chinese, Japanese or Korean (as those names are written).
fn person_name(first: &str, last: &str) -> String {
    let (first, last) = (cells::text(first), cells::text(last));
    let cjk = |text: &str| {
        text.chars().any(|c| {
            matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0x20000..=0x2FFFF)
        })
    };
    if cjk(&first) || cjk(&last) {
        format!("{last}{first}")
    } else {
        format!("{first} {last}").trim().to_owned()
    }
}

/// One contact role on one opportunity.
#[derive(Debug, Clone)]
struct ContactRole {
    contact: String,
    role: String,
    primary: bool,
}

fn read_roles(
    table: &Table,
    problems: &mut Vec<crate::diag::Diagnostic>,
    aliases: &Aliases,
) -> HashMap<String, Vec<ContactRole>> {
    let [opportunity, contact, role, primary, deleted] = [
        "OpportunityId",
        "ContactId",
        "Role",
        "IsPrimary",
        "IsDeleted",
    ]
    .map(|title| table.column(title));
    let mut roles: HashMap<String, Vec<ContactRole>> = HashMap::new();
    for row in &table.rows {
        if is_true(row.get(deleted)) {
            continue;
        }
        let is_primary = match row.get(primary) {
            "" => false,
            cell => match cells::flag(cell, aliases) {
                Ok(flag) => flag,
                Err(message) => {
                    problems.push(table.cell_problem(
                        row,
                        primary,
                        format!("`IsPrimary`: {message}"),
                    ));
                    continue;
                }
            },
        };
        if row.get(opportunity).is_empty() || row.get(contact).is_empty() {
            problems.push(table.problem(
                row.line,
                "`OpportunityId` or `ContactId` is empty: the contact role is left out",
            ));
            continue;
        }
        roles
            .entry(row.get(opportunity).to_owned())
            .or_default()
            .push(ContactRole {
                contact: row.get(contact).to_owned(),
                role: row.get(role).to_owned(),
                primary: is_primary,
            });
    }
    roles
}

/// The stakeholders of one opportunity from its contact roles, in the order of the
/// roles file, one per contact, names made unique.
fn stakeholders(
    roles: &[ContactRole],
    contacts: &HashMap<String, Contact>,
    unknown_contacts: &mut usize,
    unknown_roles: &mut BTreeMap<String, usize>,
) -> Vec<Mapping> {
    struct Person<'a> {
        id: &'a str,
        contact: &'a Contact,
        role: Option<Role>,
    }
    let standard = |written: &str| {
        STANDARD_ROLES
            .iter()
            .find(|(name, ..)| name.eq_ignore_ascii_case(written.trim()))
    };
    let mut people: Vec<Person> = Vec::new();
    for contact_role in roles {
        let Some(contact) = contacts.get(&contact_role.contact) else {
            *unknown_contacts += 1;
            continue;
        };
        let role = match contact_role.role.trim() {
            "" => None,
            written => match standard(written) {
                Some((_, role, _)) => Some(*role),
                None => {
                    *unknown_roles.entry(written.to_owned()).or_default() += 1;
                    None
                }
            },
        };
        match people
            .iter_mut()
            .find(|person| person.id == contact_role.contact)
        {
            Some(person) => {
                let better = match (person.role, role) {
                    (Some(held), Some(new)) => role_rank(new) < role_rank(held),
                    (None, Some(_)) => true,
                    _ => false,
                };
                if better {
                    person.role = role;
                }
            }
            None => people.push(Person {
                id: &contact_role.contact,
                contact,
                role,
            }),
        }
    }
    // The top decision maker: the primary contact, if an economic buyer, else if a
    // decision maker. Salesforce allows one primary per opportunity; should an export
    // hold more, the first in the file wins.
    let primary_as = |economic: bool| {
        roles.iter().find(|contact_role| {
            contact_role.primary
                && contacts.contains_key(&contact_role.contact)
                && standard(&contact_role.role).is_some_and(|(_, role, is_economic)| {
                    *role == Role::DecisionMaker && *is_economic == economic
                })
        })
    };
    let top = primary_as(true)
        .or_else(|| primary_as(false))
        .map(|contact_role| contact_role.contact.as_str());

    let names = unique_names(
        &people
            .iter()
            .map(|person| {
                (
                    person.contact.name.as_str(),
                    person.contact.title.as_deref(),
                )
            })
            .collect::<Vec<_>>(),
    );
    people
        .iter()
        .zip(names)
        .map(|(person, name)| {
            let mut fields = Mapping::new();
            fields.insert(Value::from("name"), text_value(name));
            if let Some(title) = &person.contact.title {
                fields.insert(Value::from("title"), text_value(title));
            }
            if let Some(role) = person.role {
                fields.insert(Value::from("role"), text_value(role.as_str()));
            }
            if top == Some(person.id) {
                fields.insert(Value::from("top_decision_maker"), Value::Bool(true));
            }
            if let Some(day) = person.contact.last_activity {
                fields.insert(Value::from("last_contact"), text_value(day.to_string()));
            }
            fields
        })
        .collect()
}

/// Names unique within a deal (objections and activities refer to people by name): two
/// people of one name are told apart by their titles, `Wang Wei (CFO)`, and if that is
/// not enough by a number, `Wang Wei (CFO) 2`.
fn unique_names(people: &[(&str, Option<&str>)]) -> Vec<String> {
    let count = |name: &str| people.iter().filter(|(other, _)| *other == name).count();
    let mut names: Vec<String> = people
        .iter()
        .map(|(name, title)| match title {
            Some(title) if count(name) > 1 => format!("{name} ({title})"),
            _ => (*name).to_owned(),
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for name in &mut names {
        let times = seen.entry(name.clone()).or_default();
        *times += 1;
        if *times > 1 {
            name.push_str(&format!(" {times}"));
        }
    }
    names
}

/// An opportunity row, read.
struct Opportunity {
    line: usize,
    id: String,
    name: String,
    account_id: Option<String>,
    account_name: Option<String>,
    stage: Option<Stage>,
    amount: Option<Value>,
    currency: Option<String>,
    close: Option<Date>,
    next_step: Option<String>,
    description: Option<String>,
    last_activity: Option<Date>,
}

/// Every opportunity row, read: the good ones, and what the export says about itself.
struct Opportunities {
    good: Vec<Opportunity>,
    /// The newest LastModifiedDate / SystemModstamp day, and which column it was.
    newest_change: Option<(Date, &'static str)>,
    unmapped_stages: BTreeMap<String, usize>,
    deleted: usize,
}

impl Opportunities {
    fn read(
        table: &Table,
        options: &Options,
        aliases: &Aliases,
        problems: &mut Vec<Diagnostic>,
    ) -> Opportunities {
        let column = |title: &str| table.column(title);
        let mut read = Opportunities {
            good: Vec::new(),
            newest_change: None,
            unmapped_stages: BTreeMap::new(),
            deleted: 0,
        };
        let mut first_line: HashMap<String, usize> = HashMap::new();
        for row in &table.rows {
            if is_true(row.get(column("IsDeleted"))) {
                read.deleted += 1;
                continue;
            }
            let mut bad = Vec::new();
            let opportunity = opportunity(table, row, options, aliases, &mut read, &mut bad);
            if !bad.is_empty() {
                problems.extend(
                    bad.into_iter()
                        .map(|(column, message)| table.cell_problem(row, column, message)),
                );
                continue;
            }
            let Some(opportunity) = opportunity else {
                continue;
            };
            if let Some(first) = first_line.get(&opportunity.id) {
                problems.push(table.problem(
                    row.line,
                    format!(
                        "opportunity `{}` appears twice (first on line {first}): this row is skipped",
                        opportunity.id
                    ),
                ));
                continue;
            }
            first_line.insert(opportunity.id.clone(), row.line);
            read.good.push(opportunity);
        }
        read
    }
}

/// A bad cell: its column (for the message's place) and what is wrong.
type BadCell = (Option<usize>, String);

/// One row as an opportunity; every bad cell goes into `bad`.
fn opportunity(
    table: &Table,
    row: &Row,
    options: &Options,
    aliases: &Aliases,
    read: &mut Opportunities,
    bad: &mut Vec<BadCell>,
) -> Option<Opportunity> {
    let cell = |title: &str| row.get(table.column(title));
    let text = |title: &str| Some(cells::text(cell(title))).filter(|text| !text.is_empty());
    let at = |title: &str, message: String| (table.column(title), message);
    let date = |title: &str, bad: &mut Vec<BadCell>| match cell(title) {
        "" => None,
        written => match cells::date(written) {
            Ok(day) => Some(day),
            Err(message) => {
                bad.push(at(title, format!("`{title}`: {message}")));
                None
            }
        },
    };
    let id = cell("Id");
    let name = cells::text(cell("Name"));
    if id.is_empty() {
        bad.push(at(
            "Id",
            "`Id` is empty: every opportunity needs its Id (the results go back by it)".to_owned(),
        ));
    }
    if name.is_empty() {
        bad.push(at(
            "Name",
            "`Name` is empty: every deal needs a name".to_owned(),
        ));
    }
    let amount = match cell("Amount") {
        "" => None,
        written => match cells::amount(written) {
            Ok(amount) => Some(amount),
            Err(message) => {
                bad.push(at("Amount", format!("`Amount`: {message}")));
                None
            }
        },
    };
    let flag = |title: &str, bad: &mut Vec<BadCell>| match cell(title) {
        "" => false,
        written => cells::flag(written, aliases).unwrap_or_else(|message| {
            bad.push(at(title, format!("`{title}`: {message}")));
            false
        }),
    };
    let (is_won, is_closed) = (flag("IsWon", bad), flag("IsClosed", bad));
    let stage_name = cells::text(cell("StageName"));
    let stage = match options.stages.stage(&stage_name) {
        Some(stage) => stage,
        None if stage_name.is_empty() => None,
        // A custom stage: a closed deal still says whether it was won; an open one is
        // left without a stage (the coach infers how late it is) and noted once.
        None if is_won => Some(Stage::Won),
        None if is_closed => Some(Stage::Lost),
        None => {
            *read.unmapped_stages.entry(stage_name).or_default() += 1;
            None
        }
    };
    let close = date("CloseDate", bad);
    let last_activity = date("LastActivityDate", bad);
    for column in ["LastModifiedDate", "SystemModstamp"] {
        if let Some(day) = date(column, bad) {
            if read.newest_change.is_none_or(|(newest, _)| day > newest) {
                read.newest_change = Some((day, column));
            }
        }
    }
    (bad.is_empty()).then(|| Opportunity {
        line: row.line,
        id: id.to_owned(),
        name,
        account_id: Some(cell("AccountId").to_owned()).filter(|id| !id.is_empty()),
        account_name: text("Account.Name"),
        stage,
        amount,
        currency: text("CurrencyIsoCode"),
        close,
        next_step: text("NextStep"),
        description: text("Description"),
        last_activity,
    })
}

#[cfg(test)]
mod tests {
    //! The picklists map as documented; people get unique names.
    use super::*;

    #[test]
    fn standard_stages_and_overrides() {
        let map = StageMap {
            custom: vec![
                ("Discovery".into(), Some(Stage::Develop)),
                ("Proposal/Price Quote".into(), Some(Stage::Negotiate)),
                ("Parked".into(), None),
            ],
        };
        assert_eq!(map.stage("Prospecting"), Some(Some(Stage::Qualify)));
        assert_eq!(map.stage("id. decision makers"), Some(Some(Stage::Develop)));
        assert_eq!(
            map.stage("Proposal/Price Quote"),
            Some(Some(Stage::Negotiate))
        );
        assert_eq!(map.stage("discovery"), Some(Some(Stage::Develop)));
        assert_eq!(map.stage("Parked"), Some(None));
        assert_eq!(map.stage("Shortlisted"), None);
    }

    #[test]
    fn namesakes_are_told_apart_by_title_then_number() {
        let names = unique_names(&[
            ("Wang Wei", Some("CFO")),
            ("Li Na", None),
            ("Wang Wei", Some("IT Manager")),
            ("Li Na", None),
        ]);
        assert_eq!(
            names,
            [
                "Wang Wei (CFO)",
                "Li Na",
                "Wang Wei (IT Manager)",
                "Li Na 2"
            ]
        );
    }

    #[test]
    fn chinese_names_are_family_name_first() {
        assert_eq!(person_name("建国", "王"), "王建国");
        assert_eq!(person_name("Emily", "Chen"), "Emily Chen");
        assert_eq!(person_name("", "Chen"), "Chen");
    }
}
