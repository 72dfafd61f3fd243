//! The first loading stage: serde types that mirror a playbook file as written, before
//! validation.

use serde::Deserialize;

use super::*;

/// One `playbooks/*.yaml` file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlaybookFile {
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub settings: IndexMap<String, serde_yaml::Value>,
    /// The declared type and range of each setting (see [`settings::SettingType`]).
    #[serde(default)]
    pub setting_types: IndexMap<String, serde_yaml::Value>,
    pub detection: Option<DetectionConfig>,
    #[serde(default)]
    pub aliases: Aliases,
    /// The sandbox's limits (`crate::engine::LIMITS`), validated with the file's text.
    pub sandbox: Option<IndexMap<String, serde_yaml::Value>>,
    /// Values computed once per deal and readable by every rule under their name, such as
    /// labels many texts share: `name: rhai expression`.
    #[serde(default)]
    pub derived: IndexMap<String, String>,
    /// The label catalog (see [`crate::playbook::labels`]): key → language → text.
    #[serde(default)]
    pub labels: crate::playbook::labels::RawLabels,
    /// Contexts that change what advice matters (see [`crate::coach::judgement`]).
    #[serde(default)]
    pub gates: Vec<RawGate>,
    /// The `by` of every move that gives none of its own (one file may set it).
    pub default_by: Option<Vec<String>>,
}

/// A gate as written: in a context (`when`), advice is kept (`only`), set aside (`drop`)
/// or held below a priority (`demote` … `to`). Concepts are ids or prefixes
/// (`info` covers every `info.*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGate {
    pub name: String,
    #[serde(deserialize_with = "script_text")]
    pub when: String,
    pub only: Option<Vec<String>>,
    pub drop: Option<Vec<String>>,
    pub demote: Option<Vec<String>>,
    /// The highest priority a demoted move keeps.
    pub to: Option<i64>,
    /// Why, in words a rep reads (shown by `explain` and in JSON `suppressed`).
    pub because: Text,
}

/// A `derived:` value with where it is written.
#[derive(Debug, Clone)]
pub struct DerivedValue {
    pub script: String,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub concept: String,
    #[serde(deserialize_with = "script_text")]
    pub when: String,
    pub priority: Option<RawPriority>,
    pub severity: Option<Severity>,
    pub title: Text,
    pub why: TextList,
    #[serde(default)]
    pub questions: TextList,
    pub for_each: Option<String>,
    /// Retired: it told a pipeline review how many elements `for_each` gives, for speed.
    /// The engine counts them itself (at no measurable cost), so a `count:` still written
    /// is refused with a note to delete it rather than read as an unknown key.
    pub count: Option<String>,
    /// By when to act: placeholders tried in turn (`{{item.date}}`, `{{facts.decide_by}}`);
    /// the first that gives a date is the move's `by`.
    #[serde(default)]
    pub by: Vec<String>,
    /// Moves of one group become one move: the highest-ranked keeps its place and the
    /// others become its steps (reach the top decision maker + who can introduce you).
    pub merge: Option<String>,
    /// The move hosts its merge group but never becomes a step of another move: each
    /// open objection stays a move of its own, with the customer's words, and the moves
    /// about that person (reaching them, winning their support) join it.
    #[serde(default)]
    pub never_a_step: bool,
    /// Concepts (ids or prefixes) this advice silences when it fires: they would repeat
    /// or contradict it (an open service issue silences asking for referrals).
    #[serde(default)]
    pub suppresses: Vec<String>,
    /// A warning that changes the strategy (a misjudged account): shown without `--all`.
    #[serde(default)]
    pub verdict: bool,
}

/// A move's priority: a fixed number or a rhai expression giving one.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawPriority {
    Fixed(i64),
    Expression(String),
}

/// A text written in several languages (`{zh: …, en: …, fr: …}`): zh and en are
/// required, any other language is optional and falls back to en.
#[derive(Debug, Clone, Default)]
pub struct Localized<T> {
    by_lang: IndexMap<String, T>,
    /// What a language no text is written in gets: only an absent optional text (no
    /// `questions:`) has none at all.
    none: T,
}

/// One text, per language.
pub type Text = Localized<String>;

/// Lines of text, per language.
pub type TextList = Localized<Vec<String>>;

/// `when: false` is YAML's boolean, not a string; accept any scalar as script text.
pub(super) fn script_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Flag(bool),
        Number(f64),
    }
    Ok(match Scalar::deserialize(deserializer)? {
        Scalar::Text(text) => text,
        Scalar::Flag(flag) => flag.to_string(),
        Scalar::Number(number) => number.to_string(),
    })
}

impl<T> Localized<T> {
    /// The text in `lang`, else in English.
    pub fn get(&self, lang: Lang) -> &T {
        self.by_lang
            .get(lang.code())
            .or_else(|| self.by_lang.get(Lang::En.code()))
            .unwrap_or(&self.none)
    }

    /// Every language written, with its text.
    pub fn languages(&self) -> impl Iterator<Item = (Lang, &T)> {
        self.by_lang
            .iter()
            .map(|(code, text)| (Lang::new(code), text))
    }

    /// The text in `lang` only (no fallback).
    pub fn exactly(&self, lang: Lang) -> Option<&T> {
        self.by_lang.get(lang.code())
    }
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Localized<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let by_lang = IndexMap::<String, T>::deserialize(deserializer)?;
        for code in by_lang.keys() {
            if !Lang::is_code(code) {
                return Err(serde::de::Error::custom(format!(
                    "`{code}` is not a language code: texts are written per language (`zh:`, `en:`, `fr:` …)"
                )));
            }
        }
        for required in ["zh", "en"] {
            if !by_lang.contains_key(required) {
                return Err(serde::de::Error::custom(format!(
                    "missing the `{required}` text: every text is written in zh and en (other languages are optional)"
                )));
            }
        }
        Ok(Localized {
            by_lang,
            none: T::default(),
        })
    }
}
