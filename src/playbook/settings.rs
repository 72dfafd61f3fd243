//! Playbook settings: thresholds, targets and weights a trainer tunes.
//!
//! Rules read every setting freely (`settings.stale_days`). The few the engine itself
//! needs to derive facts are read here into [`EngineSettings`], checked for type and
//! range. A trainer's folder that leaves one out gets the built-in one (the folder's
//! settings are merged over `playbooks/settings.yaml`): no setting has a value in Rust.

use indexmap::IndexMap;
use serde::Deserialize;

/// The settings the engine uses to derive facts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    /// Influence (1..10) from which a person counts as a key person.
    pub influential: i64,
    /// A deal without a stage is late when its close is this many days away or fewer.
    pub late_within_days: i64,
    /// A key person not contacted for more than this many days is neglected
    /// (`facts.who.neglected`).
    pub key_person_contact_days: i64,
    /// Dated things this many days ahead or fewer are commitments to prepare for
    /// (`facts.commitments`).
    pub commitment_window_days: i64,
    /// How long before the expected close the buying decision must move
    /// (`facts.decide_by`).
    pub decision_lead_days: i64,
    pub evidence_temperature: TemperatureWeights,
    pub value: ValueModel,
    /// Kind of organisation → words in an account's name that tell it (`bank: [银行,
    /// Bank]`), in the order they are tried; `facts.organisation_kind` is the first kind
    /// one of whose words the name holds, and texts address the customer by it (贵行,
    /// 贵院 …). Kept in lower case, as names are compared without case.
    pub organisation_kinds: IndexMap<String, Vec<String>>,
    /// The same words, each with its searcher built once.
    #[serde(skip)]
    pub organisation_words: OrganisationWords,
}

/// The words of each kind of organisation with a substring searcher for each, in order.
#[derive(Debug, Clone, Default)]
pub struct OrganisationWords {
    pub kinds: Vec<(String, Vec<(String, memchr::memmem::Finder<'static>)>)>,
}

impl OrganisationWords {
    pub fn new(kinds: &IndexMap<String, Vec<String>>) -> OrganisationWords {
        OrganisationWords {
            kinds: kinds
                .iter()
                .map(|(kind, words)| {
                    let words = words
                        .iter()
                        .map(|word| {
                            let finder = memchr::memmem::Finder::new(word.as_bytes()).into_owned();
                            (word.clone(), finder)
                        })
                        .collect();
                    (kind.clone(), words)
                })
                .collect(),
        }
    }
}

/// The estimated buying temperature: the rung the questioning reached, plus points each
/// piece of evidence adds (or, negative, takes); the sum is clamped to 0..100.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemperatureWeights {
    pub ladder: Ladder,
    pub per_signal_type: f64,
    /// The customer asked for details (price breakdown, terms, delivery …): interest,
    /// weighed apart from the four signs of the one-step close.
    pub asked_details: f64,
    pub per_open_objection: f64,
    pub top_not_met: f64,
    pub top_supportive: f64,
}

/// The temperature of each rung: the deepest SPIN question asked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    pub none: f64,
    pub situation: f64,
    pub problem: f64,
    pub implication: f64,
    pub need_payoff: f64,
}

/// The value pyramid (weighted single indicators → score → tier) and the value
/// scorecard (current × potential → quadrant).
/// Not `deny_unknown_fields`: rules keep their own value thresholds beside these (serde
/// cannot combine that with `flatten`).
#[derive(Debug, Clone, Deserialize)]
pub struct ValueModel {
    pub weights: Indicators,
    /// The value of each indicator that scores 100.
    pub full_marks: Indicators,
    /// Best first; an account takes the first tier whose `min` its score reaches.
    pub tiers: Vec<Tier>,
    pub potential_weights: PotentialWeights,
    /// On the 0..10 scale: strictly above is "high" (a 5 is not high).
    pub quadrant_cut: f64,
    pub quadrants: Quadrants,
    /// The best tier an account can reach while its revenue flatters it (cash collected
    /// below `poor_collection_below`, or margin below `thin_profit_below`); `None`: no cap.
    #[serde(default)]
    pub best_tier_when_flattered: Option<String>,
    /// Any other value settings (thresholds rules read, such as `poor_collection_below`).
    #[serde(flatten)]
    pub other: IndexMap<String, serde_yaml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    pub revenue: f64,
    pub profit: f64,
    pub collected: f64,
    pub transactions: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub min: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PotentialWeights {
    pub growth: f64,
    pub strategic_fit: f64,
    pub share_of_wallet_left: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quadrants {
    pub high_current_high_potential: String,
    pub high_current_low_potential: String,
    pub low_current_high_potential: String,
    pub low_current_low_potential: String,
}

impl EngineSettings {
    /// The built-in method's settings (playbooks/settings.yaml).
    pub fn builtin() -> EngineSettings {
        crate::playbook::Playbook::load(crate::playbook::PlaybookFiles::builtin())
            .map(|playbook| playbook.engine_settings)
            .unwrap_or_else(|problems| panic!("the built-in settings are invalid: {problems}"))
    }

    /// Reads the engine's settings out of the merged settings map; every problem is a
    /// message naming the setting.
    pub fn from_map(
        settings: &IndexMap<String, serde_yaml::Value>,
    ) -> Result<EngineSettings, Vec<String>> {
        let mut subset = serde_yaml::Mapping::new();
        for key in [
            "influential",
            "late_within_days",
            "key_person_contact_days",
            "commitment_window_days",
            "decision_lead_days",
            "evidence_temperature",
            "value",
            "organisation_kinds",
        ] {
            if let Some(value) = settings.get(key) {
                subset.insert(serde_yaml::Value::String(key.to_owned()), value.clone());
            }
        }
        let mut engine: EngineSettings = serde_yaml::from_value(serde_yaml::Value::Mapping(subset))
            .map_err(|error| {
                vec![format!(
                    "settings: {}",
                    crate::snapshot::humanize_serde_message(&error.to_string())
                )]
            })?;
        for words in engine.organisation_kinds.values_mut() {
            for word in words.iter_mut() {
                *word = word.trim().to_lowercase();
            }
            words.retain(|word| !word.is_empty());
        }
        engine.organisation_words = OrganisationWords::new(&engine.organisation_kinds);
        let problems = engine.problems();
        if problems.is_empty() {
            Ok(engine)
        } else {
            Err(problems)
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=10).contains(&self.influential) {
            problems.push(format!(
                "settings.influential must be 1 to 10, not {}",
                self.influential
            ));
        }
        if self.late_within_days < 0 {
            problems.push("settings.late_within_days must be 0 or more".to_owned());
        }
        if self.key_person_contact_days < 0 {
            problems.push("settings.key_person_contact_days must be 0 or more".to_owned());
        }
        if self.commitment_window_days < 0 {
            problems.push("settings.commitment_window_days must be 0 or more".to_owned());
        }
        if self.decision_lead_days < 0 {
            problems.push("settings.decision_lead_days must be 0 or more".to_owned());
        }
        let value = &self.value;
        let weights = [
            value.weights.revenue,
            value.weights.profit,
            value.weights.collected,
            value.weights.transactions,
        ];
        if weights.iter().any(|w| *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
            problems.push("settings.value.weights must be 0 or more and not all 0".to_owned());
        }
        let marks = [
            value.full_marks.revenue,
            value.full_marks.profit,
            value.full_marks.collected,
            value.full_marks.transactions,
        ];
        if marks.iter().any(|m| *m <= 0.0) {
            problems.push("settings.value.full_marks must all be more than 0".to_owned());
        }
        let potential = &value.potential_weights;
        let potential = [
            potential.growth,
            potential.strategic_fit,
            potential.share_of_wallet_left,
        ];
        if potential.iter().any(|w| *w < 0.0) || potential.iter().sum::<f64>() <= 0.0 {
            problems.push(
                "settings.value.potential_weights must be 0 or more and not all 0".to_owned(),
            );
        }
        if value.tiers.is_empty() {
            problems.push("settings.value.tiers needs at least one tier".to_owned());
        }
        if value
            .tiers
            .windows(2)
            .any(|pair| pair[0].min <= pair[1].min)
        {
            problems.push("settings.value.tiers must be listed best first, each `min` lower than the one before".to_owned());
        }
        if value.tiers.last().is_some_and(|lowest| lowest.min > 0.0) {
            problems.push(
                "settings.value.tiers: the last tier's `min` must be 0 so every account has a tier"
                    .to_owned(),
            );
        }
        if !(0.0..=10.0).contains(&value.quadrant_cut) {
            problems.push("settings.value.quadrant_cut must be 0 to 10".to_owned());
        }
        problems
    }
}

// ---------------------------------------------------------------------------------------
// Declared types: every setting says what it holds, beside its value.

/// A setting's declared type, written under `setting_types:` in the file that sets it:
/// `integer 1..10`, `number 0..`, `text`, `boolean`, `texts` (one text per language),
/// `list of T`, `map of T`, a mapping of field → type, or a list of one type (`[T]`,
/// the same as `list of T`); `{map of: {…}}` is a map of a mapping type. Ranges are inclusive; either end may be left open.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingType {
    Integer(Range),
    Number(Range),
    Text,
    Boolean,
    Texts,
    List(Box<SettingType>),
    Map(Box<SettingType>),
    Fields(IndexMap<String, SettingType>),
}

/// An inclusive range; `None` leaves an end open.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Range {
    fn parse(text: &str) -> Result<Range, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Range::default());
        }
        let Some((min, max)) = text.split_once("..") else {
            return Err(format!(
                "`{text}` is not a range: write `MIN..MAX`, `MIN..` or `..MAX`"
            ));
        };
        let end = |part: &str| -> Result<Option<f64>, String> {
            let part = part.trim();
            if part.is_empty() {
                return Ok(None);
            }
            part.replace('_', "")
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("`{part}` is not a number (in the range `{text}`)"))
        };
        Ok(Range {
            min: end(min)?,
            max: end(max)?,
        })
    }

    fn contains(self, value: f64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }

    fn describe(self) -> String {
        let show = |n: f64| {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                n.to_string()
            }
        };
        match (self.min, self.max) {
            (Some(min), Some(max)) => format!("from {} to {}", show(min), show(max)),
            (Some(min), None) => format!("of {} or more", show(min)),
            (None, Some(max)) => format!("of {} or less", show(max)),
            (None, None) => String::new(),
        }
    }
}

/// A problem with a value: the path below the setting (`["tiers", "2", "min"]`) and why.
pub type TypeProblem = (Vec<String>, String);

impl SettingType {
    /// Reads a declaration as written in `setting_types:`.
    pub fn parse(declared: &serde_yaml::Value) -> Result<SettingType, String> {
        match declared {
            serde_yaml::Value::String(text) => SettingType::parse_text(text),
            serde_yaml::Value::Sequence(items) if items.len() == 1 => {
                Ok(SettingType::List(Box::new(SettingType::parse(&items[0])?)))
            }
            // `{map of: TYPE}` / `{list of: TYPE}`: a map or list of a mapping type.
            serde_yaml::Value::Mapping(fields)
                if fields.len() == 1
                    && matches!(fields.keys().next().and_then(|k| k.as_str()), Some("map of" | "list of")) =>
            {
                let (key, inner) = fields.iter().next().expect("one entry");
                let inner = Box::new(SettingType::parse(inner)?);
                Ok(if key.as_str() == Some("map of") {
                    SettingType::Map(inner)
                } else {
                    SettingType::List(inner)
                })
            }
            serde_yaml::Value::Mapping(fields) => {
                let mut parsed = IndexMap::new();
                for (key, value) in fields {
                    let Some(key) = key.as_str() else {
                        return Err("a field name must be text".to_owned());
                    };
                    let field = SettingType::parse(value).map_err(|m| format!("`{key}`: {m}"))?;
                    parsed.insert(key.to_owned(), field);
                }
                Ok(SettingType::Fields(parsed))
            }
            _ => Err("a type is text such as `integer 1..10`, `list of text`, a mapping of fields, or `[TYPE]`".to_owned()),
        }
    }

    fn parse_text(text: &str) -> Result<SettingType, String> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("list of ") {
            return Ok(SettingType::List(Box::new(SettingType::parse_text(inner)?)));
        }
        if let Some(inner) = text.strip_prefix("map of ") {
            return Ok(SettingType::Map(Box::new(SettingType::parse_text(inner)?)));
        }
        let (word, range) = text.split_once(' ').unwrap_or((text, ""));
        let ranged = |make: fn(Range) -> SettingType| Range::parse(range).map(make);
        let plain = |kind: SettingType| {
            if range.trim().is_empty() {
                Ok(kind)
            } else {
                Err(format!("`{word}` takes no range"))
            }
        };
        match word {
            "integer" => ranged(SettingType::Integer),
            "number" => ranged(SettingType::Number),
            "text" => plain(SettingType::Text),
            "boolean" => plain(SettingType::Boolean),
            "texts" => plain(SettingType::Texts),
            _ => {
                let words = [
                    "integer", "number", "text", "boolean", "texts", "list of", "map of",
                ];
                let hint = crate::diag::did_you_mean(word, words)
                    .map(|nearest| format!(" — did you mean `{nearest}`?"))
                    .unwrap_or_else(|| format!(" (the types: {})", words.join(", ")));
                Err(format!("`{word}` is not a type{hint}"))
            }
        }
    }

    /// What a value of this type is, in words.
    pub fn describe(&self) -> String {
        let with_range = |what: &str, range: &Range| {
            let range = range.describe();
            if range.is_empty() {
                what.to_owned()
            } else {
                format!("{what} {range}")
            }
        };
        match self {
            SettingType::Integer(range) => with_range("a whole number", range),
            SettingType::Number(range) => with_range("a number", range),
            SettingType::Text => "a text".to_owned(),
            SettingType::Boolean => "true or false".to_owned(),
            SettingType::Texts => "a text per language (`{zh: …, en: …}`)".to_owned(),
            SettingType::List(item) => format!("a list of {}", plural(&item.describe())),
            SettingType::Map(item) => format!("a mapping of names to {}", plural(&item.describe())),
            SettingType::Fields(fields) => format!(
                "a mapping of {}",
                fields
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Every way `value` is not of this type.
    pub fn check(&self, value: &serde_yaml::Value, problems: &mut Vec<TypeProblem>) {
        self.check_at(value, &mut Vec::new(), problems);
    }

    fn check_at(
        &self,
        value: &serde_yaml::Value,
        path: &mut Vec<String>,
        problems: &mut Vec<TypeProblem>,
    ) {
        use serde_yaml::Value;
        let mut wrong = |path: &[String]| {
            problems.push((
                path.to_vec(),
                format!("is {}, but must be {}", shown(value), self.describe()),
            ))
        };
        match (self, value) {
            (SettingType::Integer(range), Value::Number(number)) => match number.as_i64() {
                Some(whole) if range.contains(whole as f64) => {}
                _ => wrong(path),
            },
            (SettingType::Number(range), Value::Number(number)) => match number.as_f64() {
                Some(n) if n.is_finite() && range.contains(n) => {}
                _ => wrong(path),
            },
            (SettingType::Text, Value::String(_)) | (SettingType::Boolean, Value::Bool(_)) => {}
            (SettingType::Texts, Value::Mapping(texts)) => {
                let complete = ["zh", "en"]
                    .iter()
                    .all(|lang| texts.get(*lang).is_some_and(Value::is_string));
                let all_text = texts.iter().all(|(k, v)| {
                    k.as_str().is_some_and(crate::playbook::Lang::is_code) && v.is_string()
                });
                if !complete || !all_text {
                    wrong(path);
                }
            }
            (SettingType::List(item), Value::Sequence(items)) => {
                for (index, element) in items.iter().enumerate() {
                    path.push(index.to_string());
                    item.check_at(element, path, problems);
                    path.pop();
                }
            }
            (SettingType::Map(item), Value::Mapping(entries)) => {
                for (key, element) in entries {
                    path.push(key_text(key));
                    item.check_at(element, path, problems);
                    path.pop();
                }
            }
            (SettingType::Fields(fields), Value::Mapping(entries)) => {
                for (key, element) in entries {
                    let name = key_text(key);
                    path.push(name.clone());
                    match fields.get(&name) {
                        Some(field) => field.check_at(element, path, problems),
                        None => {
                            let hint =
                                crate::diag::did_you_mean(&name, fields.keys().map(String::as_str))
                                    .map(|nearest| format!(" — did you mean `{nearest}`?"))
                                    .unwrap_or_else(|| {
                                        format!(
                                            " (its fields: {})",
                                            fields
                                                .keys()
                                                .map(|k| format!("`{k}`"))
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        )
                                    });
                            problems.push((
                                path.clone(),
                                format!("is not a field of this setting{hint}"),
                            ));
                        }
                    }
                    path.pop();
                }
                for name in fields.keys() {
                    if !entries.contains_key(name.as_str()) {
                        problems.push((path.clone(), format!("has no `{name}`")));
                    }
                }
            }
            _ => wrong(path),
        }
    }
}

fn plural(described: &str) -> String {
    described
        .strip_prefix("a ")
        .map(|rest| {
            let (head, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let head = if head.ends_with('s') {
                head.to_owned()
            } else {
                format!("{head}s")
            };
            if tail.is_empty() {
                head
            } else {
                format!("{head} {tail}")
            }
        })
        .unwrap_or_else(|| described.to_owned())
}

fn key_text(key: &serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(text) => text.clone(),
        other => shown(other),
    }
}

/// A value as a person wrote it, short.
fn shown(value: &serde_yaml::Value) -> String {
    use serde_yaml::Value;
    match value {
        Value::Null => "empty".to_owned(),
        Value::Bool(flag) => format!("`{flag}`"),
        Value::Number(number) => format!("`{number}`"),
        Value::String(text) => {
            let short: String = text.chars().take(40).collect();
            format!("the text \"{short}\"")
        }
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        Value::Tagged(tagged) => shown(&tagged.value),
    }
}

#[cfg(test)]
mod type_tests {
    //! A declared type is the contract a trainer's value is held to.
    use super::*;

    fn check(declared: &str, value: &str) -> Vec<TypeProblem> {
        let declared: serde_yaml::Value = serde_yaml::from_str(declared).unwrap();
        let value: serde_yaml::Value = serde_yaml::from_str(value).unwrap();
        let mut problems = Vec::new();
        SettingType::parse(&declared)
            .unwrap()
            .check(&value, &mut problems);
        problems
    }

    #[test]
    fn a_wrongly_typed_or_ranged_value_is_refused() {
        assert!(check("integer 1..10", "7").is_empty());
        assert_eq!(
            check("integer 1..10", "70")[0].1,
            "is `70`, but must be a whole number from 1 to 10"
        );
        assert_eq!(
            check("integer 0..", "three weeks")[0].1,
            "is the text \"three weeks\", but must be a whole number of 0 or more"
        );
        assert!(check("number 0..1", "0.5").is_empty());
        assert!(check("number 0..1", "1.5").len() == 1);
    }

    #[test]
    fn nested_problems_carry_their_path() {
        let problems = check(
            "{tiers: [{name: text, min: number 0..100}], cut: number}",
            "{tiers: [{name: A, min: 75}, {name: B, min: lots}], cut: 5, cot: 1}",
        );
        let paths: Vec<String> = problems.iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(paths, ["tiers.1.min", "cot"]);
        assert!(problems[1].1.contains("did you mean `cut`"));
    }

    #[test]
    fn an_unknown_type_suggests_one() {
        let declared = serde_yaml::Value::String("integr 1..3".to_owned());
        let error = SettingType::parse(&declared).unwrap_err();
        assert!(error.contains("did you mean `integer`"), "{error}");
    }
}
