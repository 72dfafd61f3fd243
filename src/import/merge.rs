//! Re-import: the CRM's new values into a snapshot a rep has been working on.
//!
//! The rule is that nothing a rep typed is lost. The CRM owns the fields it fills — they
//! are updated, and an edit to one of them in the snapshot is replaced (change it in the
//! CRM; `--dry-run` shows every such change first) — and everything else is the rep's and
//! is kept as it is: stances, influence, signals, questions, objections, activities, a
//! `snoozed` list, any key this version does not know. The merge works on YAML values, so
//! the comments a rep wrote in the file cannot survive a rewrite (a file the import does
//! not change is not rewritten).
//!
//! Lists are merged by identity: a stakeholder by name (the CRM's fields updated, the
//! rep's kept, people the CRM does not list kept), an activity by its date and what the
//! CRM says about it (added once, never removed). Only one person may be the top decision
//! maker: when the CRM names one, a flag the rep put on someone else is taken off.
//! `deal.as_of` becomes the later of the two days.
//!
//! `deal.notes` holds both the CRM's text (Salesforce's Description) and whatever the rep
//! wrote around it. The written file carries, in a comment, the length and a digest of the
//! CRM's text it holds ([`Fingerprint`]), so the next import finds exactly that text
//! among the rep's lines and replaces only it. When it cannot be found (the rep edited
//! it), both texts are kept, the CRM's new one first, and a warning says so.

use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

/// The CRM's part of `deal.notes`, as the comment line of a written snapshot records it:
/// `# crm-notes: 143 chars, sha256 1a2b3c4d5e6f7a8b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub chars: usize,
    pub digest: String,
}

const FINGERPRINT_PREFIX: &str = "# crm-notes: ";

/// How many line starts of the notes are tried for the CRM's text: plenty for notes a
/// person writes, and a bound on the work for a file that is not.
const MAX_LINE_STARTS: usize = 10_000;

impl Fingerprint {
    pub fn of(text: &str) -> Fingerprint {
        Fingerprint {
            chars: text.chars().count(),
            digest: digest(text),
        }
    }

    /// The comment line that records it.
    pub fn line(&self) -> String {
        format!(
            "{FINGERPRINT_PREFIX}{} chars, sha256 {}",
            self.chars, self.digest
        )
    }

    /// The fingerprint recorded in a file's leading comment lines, if any.
    pub fn in_header(text: &str) -> Option<Fingerprint> {
        text.lines()
            .map(|line| line.trim_start_matches('\u{feff}'))
            .take_while(|line| line.starts_with('#') || line.trim().is_empty())
            .find_map(|line| {
                let rest = line.strip_prefix(FINGERPRINT_PREFIX)?;
                let (chars, digest) = rest.split_once(" chars, sha256 ")?;
                Some(Fingerprint {
                    chars: chars.trim().parse().ok()?,
                    digest: digest.trim().to_owned(),
                })
            })
    }

    /// The byte range of `notes` that is the text this fingerprint records, starting at
    /// the beginning of a line.
    fn find(&self, notes: &str) -> Option<std::ops::Range<usize>> {
        let starts = std::iter::once(0).chain(
            notes
                .match_indices('\n')
                .map(|(at, _)| at + 1)
                .filter(|at| *at < notes.len()),
        );
        for start in starts.take(MAX_LINE_STARTS) {
            let rest = &notes[start..];
            let end = rest
                .char_indices()
                .nth(self.chars)
                .map_or(rest.len(), |(at, _)| at);
            if rest[..end].chars().count() == self.chars && digest(&rest[..end]) == self.digest {
                return Some(start..start + end);
            }
        }
        None
    }
}

fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    hash.iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A merged snapshot, the CRM's part of its notes, and what the rep should know.
#[derive(Debug)]
pub struct Merged {
    pub snapshot: Mapping,
    /// For the comment line of the written file.
    pub notes: Option<Fingerprint>,
    pub warnings: Vec<String>,
}

/// The CRM's view of a deal (`crm`) merged into the snapshot a folder holds
/// (`existing`, whose file text is `existing_text`, for its fingerprint).
pub fn merge(existing: &Mapping, existing_text: &str, crm: &Mapping) -> Merged {
    let mut snapshot = existing.clone();
    let mut warnings = Vec::new();
    let previous = Fingerprint::in_header(existing_text);
    let mut notes = previous.clone();
    for (key, value) in crm {
        match (key.as_str(), value) {
            (Some("deal"), Value::Mapping(deal)) => {
                let target = mapping_at(&mut snapshot, "deal");
                for (field, value) in deal {
                    match (field.as_str(), value) {
                        (Some("notes"), Value::String(crm_notes)) => {
                            let (merged, warning) =
                                merge_notes(target.get("notes"), crm_notes, previous.as_ref());
                            target.insert(field.clone(), Value::String(merged));
                            warnings.extend(warning);
                            notes = Some(Fingerprint::of(crm_notes));
                        }
                        (Some("as_of"), Value::String(crm_day)) => {
                            let later = match target.get("as_of").and_then(Value::as_str) {
                                // Both are YYYY-MM-DD (the existing snapshot was read
                                // first), so text order is date order.
                                Some(rep_day) if rep_day > crm_day.as_str() => rep_day.to_owned(),
                                _ => crm_day.clone(),
                            };
                            target.insert(field.clone(), Value::String(later));
                        }
                        _ => overlay(target, field, value),
                    }
                }
            }
            (Some("stakeholders"), Value::Sequence(people)) => {
                merge_people(sequence_at(&mut snapshot, "stakeholders"), people);
            }
            (Some("activities"), Value::Sequence(activities)) => {
                let target = sequence_at(&mut snapshot, "activities");
                for activity in activities {
                    if !target.iter().any(|known| covers(known, activity)) {
                        target.push(activity.clone());
                    }
                }
            }
            (Some("version"), _) if snapshot.contains_key("version") => {}
            _ => overlay(&mut snapshot, key, value),
        }
    }
    super::arrange(&mut snapshot);
    Merged {
        snapshot,
        notes,
        warnings,
    }
}

/// The CRM's value over the snapshot's; mappings field by field, so the rep's fields
/// beside the CRM's stay.
fn overlay(target: &mut Mapping, key: &Value, value: &Value) {
    match (target.get_mut(key), value) {
        (Some(Value::Mapping(inner)), Value::Mapping(fields)) => {
            for (field, value) in fields {
                overlay(inner, field, value);
            }
        }
        _ => {
            target.insert(key.clone(), value.clone());
        }
    }
}

fn mapping_at<'a>(snapshot: &'a mut Mapping, key: &str) -> &'a mut Mapping {
    let entry = snapshot
        .entry(Value::from(key))
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if !entry.is_mapping() {
        *entry = Value::Mapping(Mapping::new());
    }
    match entry {
        Value::Mapping(mapping) => mapping,
        _ => unreachable!("made a mapping just above"),
    }
}

fn sequence_at<'a>(snapshot: &'a mut Mapping, key: &str) -> &'a mut Vec<Value> {
    let entry = snapshot
        .entry(Value::from(key))
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if !entry.is_sequence() {
        *entry = Value::Sequence(Vec::new());
    }
    match entry {
        Value::Sequence(items) => items,
        _ => unreachable!("made a sequence just above"),
    }
}

/// Whether a snapshot's activity already records the CRM's: same value for every field
/// the CRM states (a rep who added a type or a note to it has not made it new).
fn covers(known: &Value, crm: &Value) -> bool {
    match (known, crm) {
        (Value::Mapping(known), Value::Mapping(crm)) => crm
            .iter()
            .all(|(field, value)| known.get(field) == Some(value)),
        _ => known == crm,
    }
}

fn merge_people(people: &mut Vec<Value>, crm_people: &[Value]) {
    let name_of = |person: &Value| {
        person
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let crm_top = crm_people.iter().find_map(|person| {
        (person.get("top_decision_maker") == Some(&Value::Bool(true)))
            .then(|| name_of(person))
            .flatten()
    });
    if let Some(top) = &crm_top {
        for person in people.iter_mut() {
            if name_of(person).as_deref() != Some(top.as_str()) {
                if let Value::Mapping(fields) = person {
                    if fields.get("top_decision_maker") == Some(&Value::Bool(true)) {
                        fields.remove("top_decision_maker");
                    }
                }
            }
        }
    }
    for crm_person in crm_people {
        let Value::Mapping(crm_fields) = crm_person else {
            continue;
        };
        let name = name_of(crm_person);
        let known = people
            .iter_mut()
            .find(|person| name.is_some() && name_of(person) == name);
        match known {
            Some(Value::Mapping(fields)) => {
                for (field, value) in crm_fields {
                    fields.insert(field.clone(), value.clone());
                }
            }
            _ => people.push(crm_person.clone()),
        }
    }
}

/// The snapshot's notes with the CRM's text replaced by its new one, and a warning when
/// the old one could not be found to replace.
fn merge_notes(
    existing: Option<&Value>,
    crm_notes: &str,
    previous: Option<&Fingerprint>,
) -> (String, Option<String>) {
    let existing = match existing {
        Some(Value::String(text)) if !text.trim().is_empty() => text.as_str(),
        _ => return (crm_notes.to_owned(), None),
    };
    if let Some(range) = previous.and_then(|fingerprint| fingerprint.find(existing)) {
        let mut merged = String::with_capacity(existing.len() + crm_notes.len());
        merged.push_str(&existing[..range.start]);
        merged.push_str(crm_notes);
        merged.push_str(&existing[range.end..]);
        return (merged, None);
    }
    if existing.contains(crm_notes) {
        return (existing.to_owned(), None);
    }
    let merged = format!("{crm_notes}\n\n{existing}");
    let warning = previous.map(|_| {
        "`deal.notes`: the CRM's text changed, and its old text is no longer in the notes as it was imported (edited?): both are kept, the CRM's new text first — remove what is out of date".to_owned()
    });
    (merged, warning)
}

// ---------------------------------------------------------------------------------------
// What changed, for `--dry-run` and the import's report.

/// One change to a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Added {
        path: String,
        value: String,
    },
    Updated {
        path: String,
        from: String,
        to: String,
    },
    Removed {
        path: String,
        value: String,
    },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Added { path, .. }
            | Change::Updated { path, .. }
            | Change::Removed { path, .. } => path,
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added { path, value } => write!(f, "+ {path}: {value}"),
            Change::Updated { path, from, to } => write!(f, "~ {path}: {from} → {to}"),
            Change::Removed { path, value } => write!(f, "- {path}: {value}"),
        }
    }
}

/// Every difference from `before` to `after`, field by field; list items by their name
/// (stakeholders) or as whole items (activities).
pub fn changes(before: &Mapping, after: &Mapping) -> Vec<Change> {
    let mut found = Vec::new();
    diff_mappings("", before, after, &mut found);
    found
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn diff_mappings(path: &str, before: &Mapping, after: &Mapping, found: &mut Vec<Change>) {
    for (key, new) in after {
        let key_text = shown(key);
        diff(&join(path, &key_text), before.get(key), Some(new), found);
    }
    for (key, old) in before {
        if !after.contains_key(key) {
            diff(&join(path, &shown(key)), Some(old), None, found);
        }
    }
}

fn diff(path: &str, before: Option<&Value>, after: Option<&Value>, found: &mut Vec<Change>) {
    match (before, after) {
        (None, Some(new)) => found.push(Change::Added {
            path: path.to_owned(),
            value: shown(new),
        }),
        (Some(old), None) => found.push(Change::Removed {
            path: path.to_owned(),
            value: shown(old),
        }),
        (Some(Value::Mapping(old)), Some(Value::Mapping(new))) => {
            diff_mappings(path, old, new, found)
        }
        (Some(Value::Sequence(old)), Some(Value::Sequence(new))) => {
            diff_sequences(path, old, new, found)
        }
        (Some(Value::String(old)), Some(Value::String(new))) if old != new => {
            // Texts often change at the end (a line added to a description): show them
            // from where they start to differ.
            let (from, to) = from_difference(old, new);
            found.push(Change::Updated {
                path: path.to_owned(),
                from: shown(&Value::String(from)),
                to: shown(&Value::String(to)),
            })
        }
        (Some(old), Some(new)) if old != new => found.push(Change::Updated {
            path: path.to_owned(),
            from: shown(old),
            to: shown(new),
        }),
        _ => {}
    }
}

fn diff_sequences(path: &str, old: &[Value], new: &[Value], found: &mut Vec<Change>) {
    let name = |item: &Value| item.get("name").and_then(Value::as_str).map(str::to_owned);
    let named = |items: &[Value]| items.iter().all(|item| name(item).is_some());
    if named(old) && named(new) {
        for item in new {
            let key = name(item).unwrap_or_default();
            let previous = old
                .iter()
                .find(|known| name(known).as_deref() == Some(&key));
            diff(&format!("{path}[{key}]"), previous, Some(item), found);
        }
        for item in old {
            let key = name(item).unwrap_or_default();
            if !new.iter().any(|now| name(now).as_deref() == Some(&key)) {
                diff(&format!("{path}[{key}]"), Some(item), None, found);
            }
        }
        return;
    }
    let label = |item: &Value| {
        item.get("date")
            .map(shown)
            .unwrap_or_else(|| "…".to_owned())
    };
    for item in new.iter().filter(|item| !old.contains(item)) {
        diff(&format!("{path}[{}]", label(item)), None, Some(item), found);
    }
    for item in old.iter().filter(|item| !new.contains(item)) {
        diff(&format!("{path}[{}]", label(item)), Some(item), None, found);
    }
}

/// Two texts from a little before where they first differ, `…` marking what was left
/// out, when they share a long beginning.
fn from_difference(old: &str, new: &str) -> (String, String) {
    let common = old
        .char_indices()
        .zip(new.chars())
        .find(|((_, a), b)| a != b)
        .map_or(old.len().min(new.len()), |((at, _), _)| at);
    let common = common.min(old.len()).min(new.len());
    // Keep ten characters of context, and start at a character boundary.
    let context_start = old[..common]
        .char_indices()
        .rev()
        .nth(9)
        .map_or(0, |(at, _)| at);
    if context_start < 20 || !new.is_char_boundary(context_start) {
        return (old.to_owned(), new.to_owned());
    }
    (
        format!("…{}", &old[context_start..]),
        format!("…{}", &new[context_start..]),
    )
}

/// The most characters a value takes in a change line, `…` included.
const SHOWN_CHARS: usize = 60;

/// A value on one short line: scalars as written, line breaks as ⏎, collections inline,
/// at most [`SHOWN_CHARS`] characters, a longer one cut after its last whole word that
/// fits (a cut word reads as a typo in the CRM's text) and marked `…`.
fn shown(value: &Value) -> String {
    let text = inline(value);
    if text.chars().count() <= SHOWN_CHARS {
        return text;
    }
    let cut: String = text.chars().take(SHOWN_CHARS - 1).collect();
    // The character after the cut starts a word when it is a space: the cut is whole.
    let next_is_space = text
        .chars()
        .nth(SHOWN_CHARS - 1)
        .is_some_and(char::is_whitespace);
    let whole_words = match cut.rfind(char::is_whitespace) {
        // Text without spaces (Chinese) is cut at any character.
        Some(at) if !next_is_space && at > 0 => cut[..at].trim_end(),
        _ => cut.trim_end(),
    };
    format!("{whole_words}…")
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "~".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim_end().replace('\n', " ⏎ "),
        Value::Sequence(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::Mapping(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(key, value)| format!("{}: {}", inline(key), inline(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(tagged) => inline(&tagged.value),
    }
}

#[cfg(test)]
mod tests {
    //! A re-import keeps what the rep typed: the CRM's text is found and replaced inside
    //! the rep's notes, people and activities merged by identity.
    use super::*;

    fn yaml(text: &str) -> Mapping {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn the_crms_text_is_replaced_among_the_reps_lines() {
        let old = "Budget approved in Q3.";
        let header = Fingerprint::of(old).line();
        let existing_text = format!(
            "{header}\ndeal:\n  id: x\n  name: X\n  notes: |-\n    Called Li first.\n    {old}\n    Li wants a demo.\n"
        );
        let existing = yaml(&existing_text);
        let crm =
            yaml("deal: {id: x, name: X, notes: 'Budget approved in Q3. Legal review started.'}");
        let merged = merge(&existing, &existing_text, &crm);
        assert_eq!(
            merged.snapshot["deal"]["notes"].as_str(),
            Some(
                "Called Li first.\nBudget approved in Q3. Legal review started.\nLi wants a demo."
            )
        );
        assert!(merged.warnings.is_empty());
        assert_eq!(
            merged.notes,
            Some(Fingerprint::of(
                "Budget approved in Q3. Legal review started."
            ))
        );
    }

    #[test]
    fn an_edited_crm_text_keeps_both_and_warns() {
        let existing_text = format!(
            "{}\ndeal: {{id: x, name: X, notes: 'Budget approved in Q4, says Li'}}\n",
            Fingerprint::of("Budget approved in Q3").line()
        );
        let merged = merge(
            &yaml(&existing_text),
            &existing_text,
            &yaml("deal: {id: x, name: X, notes: 'Budget frozen'}"),
        );
        assert_eq!(
            merged.snapshot["deal"]["notes"].as_str(),
            Some("Budget frozen\n\nBudget approved in Q4, says Li")
        );
        assert_eq!(merged.warnings.len(), 1);
    }

    #[test]
    fn people_merge_by_name_and_one_top_decision_maker_remains() {
        let text = "deal: {id: x, name: X}\nstakeholders:\n  - {name: Li, stance: champion, top_decision_maker: true}\n  - {name: Wu, role: user, influence: 7}\n";
        let crm = yaml("stakeholders:\n  - {name: Wu, title: CFO, role: decision_maker, top_decision_maker: true}\n  - {name: Ma, role: user}\n");
        let merged = merge(&yaml(text), text, &crm);
        let people = merged.snapshot["stakeholders"].as_sequence().unwrap();
        assert_eq!(people.len(), 3);
        assert_eq!(people[0]["stance"].as_str(), Some("champion"));
        assert!(people[0].get("top_decision_maker").is_none());
        assert_eq!(people[1]["influence"].as_i64(), Some(7));
        assert_eq!(people[1]["role"].as_str(), Some("decision_maker"));
        assert_eq!(people[1]["top_decision_maker"].as_bool(), Some(true));
        assert_eq!(people[2]["name"].as_str(), Some("Ma"));
    }

    #[test]
    fn activities_are_added_once_and_as_of_never_goes_back() {
        let text = "deal: {id: x, name: X, as_of: 2026-11-25}\nactivities:\n  - {date: 2026-11-02, type: visit, note: met IT}\n";
        let crm = yaml("deal: {id: x, name: X, as_of: 2026-11-20}\nactivities:\n  - {date: 2026-11-02}\n  - {date: 2026-11-19}\n");
        let merged = merge(&yaml(text), text, &crm);
        assert_eq!(
            merged.snapshot["activities"].as_sequence().unwrap().len(),
            2
        );
        assert_eq!(
            merged.snapshot["deal"]["as_of"].as_str(),
            Some("2026-11-25")
        );
        let changes = changes(&yaml(text), &merged.snapshot);
        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["+ activities[2026-11-19]: {date: 2026-11-19}"]);
    }

    #[test]
    fn long_values_are_cut_after_a_whole_word_within_sixty_characters() {
        let long =
            Value::from("The CFO now wants a pilot first, then a reference visit in Shanghai.");
        let cut = super::shown(&long);
        assert_eq!(
            cut,
            "The CFO now wants a pilot first, then a reference visit in…"
        );
        assert!(cut.chars().count() <= SHOWN_CHARS);
        let chinese = Value::from("客户".repeat(40));
        let cut = super::shown(&chinese);
        assert_eq!(cut.chars().count(), SHOWN_CHARS);
        assert!(cut.ends_with("客…"));
        assert_eq!(super::shown(&Value::from("short")), "short");
    }
}
