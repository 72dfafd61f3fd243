//! The label catalog: every word the output shows that is not advice — section titles,
//! column headers, the names of concepts, roles, stances, stages and quadrants, units,
//! plurals and money — in every language, as playbook data (`labels:` in a playbook
//! file, the built-in one is `playbooks/labels.yaml`).
//!
//! A trainer fixes a label without a release, and a third language is a playbook folder
//! away: a language is whatever codes the catalog (and the rule texts) use, and a word
//! missing in one language falls back to English, then to its key, so a gap shows as a
//! visible key rather than a blank. `check` proves zh and en complete.

use std::sync::{Mutex, OnceLock};

use indexmap::IndexMap;
use serde::Deserialize;

/// An output language: a code such as `zh`, `en` or `fr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lang(&'static str);

#[allow(non_upper_case_globals)]
impl Lang {
    /// Chinese: the language of the method's outline, and of most reps.
    pub const Zh: Lang = Lang("zh");
    /// English: the fallback of every other language.
    pub const En: Lang = Lang("en");

    /// The language with this code (lower case). Codes are few and live as long as the
    /// process, so each is kept once.
    pub fn new(code: &str) -> Lang {
        let code = code.trim().to_ascii_lowercase();
        match code.as_str() {
            "zh" => return Lang::Zh,
            "en" => return Lang::En,
            _ => {}
        }
        static CODES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
        let mut codes = CODES
            .get_or_init(|| Mutex::new(Vec::new()))
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(known) = codes.iter().find(|known| **known == code) {
            return Lang(known);
        }
        let leaked: &'static str = Box::leak(code.into_boxed_str());
        codes.push(leaked);
        Lang(leaked)
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// Whether a language code is well formed: two or three ASCII letters, optionally a
    /// region (`pt-br`).
    pub fn is_code(code: &str) -> bool {
        let mut parts = code.split(['-', '_']);
        let language = parts.next().unwrap_or_default();
        (2..=3).contains(&language.len())
            && language.chars().all(|c| c.is_ascii_alphabetic())
            && parts.all(|part| {
                (2..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
            })
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// One language's form of a label: a text, or the forms of a count.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Form {
    Text(String),
    /// `{n}` stands for the number. `zero` is used for 0 when given (so "no visit"
    /// instead of "0 visits"), `one` for 1, `other` for the rest.
    Count {
        zero: Option<String>,
        one: Option<String>,
        other: String,
    },
}

impl Form {
    fn text(&self) -> &str {
        match self {
            Form::Text(text) => text,
            Form::Count { other, .. } => other,
        }
    }

    fn count(&self, n: i64) -> &str {
        match self {
            Form::Text(text) => text,
            Form::Count { zero, one, other } => match n {
                0 => zero.as_deref().unwrap_or(other),
                1 => one.as_deref().unwrap_or(other),
                _ => other,
            },
        }
    }
}

/// A label in each language it is written in.
pub type Label = IndexMap<String, Form>;

/// The catalog, as the playbook files give it (key → language → form).
pub type RawLabels = IndexMap<String, Label>;

/// The label catalog of a playbook folder.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    entries: IndexMap<String, Label>,
}

impl Labels {
    pub fn new(entries: IndexMap<String, Label>) -> Labels {
        Labels { entries }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn get(&self, key: &str) -> Option<&Label> {
        self.entries.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The languages the catalog speaks, zh and en first.
    pub fn languages(&self) -> Vec<Lang> {
        let mut languages = vec![Lang::Zh, Lang::En];
        for label in self.entries.values() {
            for code in label.keys() {
                let lang = Lang::new(code);
                if !languages.contains(&lang) {
                    languages.push(lang);
                }
            }
        }
        languages
    }

    /// The form of `key` in `lang`, else in English.
    fn form(&self, key: &str, lang: Lang) -> Option<&Form> {
        let label = self.entries.get(key)?;
        label
            .get(lang.code())
            .or_else(|| label.get(Lang::En.code()))
    }

    /// The text of `key` in `lang` (English when `lang` has none; the key itself when
    /// the catalog lacks it, so a gap is visible rather than blank).
    pub fn text<'a>(&'a self, key: &'a str, lang: Lang) -> &'a str {
        self.form(key, lang).map_or(key, Form::text)
    }

    /// The label of a value of a vocabulary (`role`, `stance` …): `role.user` → "使用者";
    /// a value the catalog does not know is shown as written.
    pub fn word<'a>(&'a self, vocabulary: &str, value: &'a str, lang: Lang) -> &'a str {
        self.form(&format!("{vocabulary}.{value}"), lang)
            .map_or(value, Form::text)
    }

    /// `key`'s form for the count `n`, with `{n}` filled: "1 person", "3 people", "3人".
    pub fn count(&self, key: &str, n: i64, lang: Lang) -> String {
        match self.form(key, lang) {
            Some(form) => form.count(n).replace("{n}", &n.to_string()),
            None => format!("{n} {key}"),
        }
    }

    /// `key`'s text with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, lang: Lang, values: &[(&str, &str)]) -> String {
        let mut text = self.text(key, lang).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Items joined as the language lists them ("a, b" / "a、b").
    pub fn join(&self, items: &[String], lang: Lang) -> String {
        items.join(self.text("list.separator", lang))
    }

    /// Money in a few characters, in the deal's currency: "2.4M CNY", "240万元". The
    /// scales and the currency words are labels (`money.scale`, `currency.*`).
    pub fn money(&self, amount: f64, currency: Option<&str>, lang: Lang) -> String {
        let number = self.short_number(amount, lang);
        match currency {
            Some(code) if !code.trim().is_empty() => {
                let key = format!("currency.{}", code.trim().to_ascii_uppercase());
                let unit = self.form(&key, lang).map_or(code.trim(), Form::text);
                self.fill(
                    "money.with_currency",
                    lang,
                    &[("amount", &number), ("currency", unit)],
                )
            }
            _ => number,
        }
    }

    /// A large number shortened with the language's scale words: `2.4M` / `240万`.
    /// `money.scale` lists them as `"10000: 万"` entries, largest first.
    pub fn short_number(&self, value: f64, lang: Lang) -> String {
        let sign = if value < 0.0 { "-" } else { "" };
        let magnitude = value.abs();
        let scales = self.text("money.scale", lang);
        for scale in scales.split(',') {
            let Some((at, word)) = scale.split_once(':') else {
                continue;
            };
            let Ok(at) = at.trim().parse::<f64>() else {
                continue;
            };
            if at > 0.0 && magnitude >= at {
                let scaled = (magnitude / at * 10.0).round() / 10.0;
                return format!(
                    "{sign}{}{}",
                    crate::coach::template::format_number(scaled),
                    word.trim()
                );
            }
        }
        format!("{sign}{}", crate::coach::template::format_number(magnitude))
    }
}

#[cfg(test)]
mod tests {
    //! The catalog's lookups: fallbacks, plurals and money are where output went wrong
    //! ("1 people", "最近30天只拜访了0次", raw amounts).
    use super::*;

    fn catalog() -> Labels {
        let yaml = r#"
list.separator: {zh: "、", en: ", "}
heading.moves: {zh: 下一步行动, en: Next moves, fr: Prochaines étapes}
unit.person: {zh: "{n}人", en: {one: "{n} person", other: "{n} people"}}
unit.visit: {zh: {zero: 没有拜访, other: "拜访了{n}次"}, en: {zero: no visit, one: one visit, other: "{n} visits"}}
money.scale: {zh: "100000000: 亿, 10000: 万", en: "1000000000: B, 1000000: M, 1000: K"}
money.with_currency: {zh: "{amount}{currency}", en: "{amount} {currency}"}
currency.CNY: {zh: 元, en: CNY}
role.user: {zh: 使用者, en: user}
"#;
        Labels::new(serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn a_language_without_the_word_falls_back_to_english_then_to_the_key() {
        let labels = catalog();
        let fr = Lang::new("FR");
        assert_eq!(labels.text("heading.moves", fr), "Prochaines étapes");
        assert_eq!(labels.word("role", "user", fr), "user");
        assert_eq!(labels.text("heading.nothing", Lang::Zh), "heading.nothing");
        assert_eq!(labels.word("role", "sponsor", Lang::Zh), "sponsor");
        assert_eq!(labels.languages(), vec![Lang::Zh, Lang::En, fr]);
    }

    #[test]
    fn counts_take_the_plural_and_zero_forms() {
        let labels = catalog();
        assert_eq!(labels.count("unit.person", 1, Lang::En), "1 person");
        assert_eq!(labels.count("unit.person", 3, Lang::En), "3 people");
        assert_eq!(labels.count("unit.person", 3, Lang::Zh), "3人");
        assert_eq!(labels.count("unit.visit", 0, Lang::Zh), "没有拜访");
        assert_eq!(labels.count("unit.visit", 2, Lang::Zh), "拜访了2次");
        assert_eq!(labels.count("unit.visit", 1, Lang::En), "one visit");
    }

    #[test]
    fn money_is_short_and_carries_the_deals_currency() {
        let labels = catalog();
        assert_eq!(labels.money(2_400_000.0, Some("CNY"), Lang::En), "2.4M CNY");
        assert_eq!(labels.money(2_400_000.0, Some("cny"), Lang::Zh), "240万元");
        assert_eq!(labels.money(120_000_000.0, None, Lang::Zh), "1.2亿");
        assert_eq!(labels.money(850_000.0, Some("USD"), Lang::En), "850K USD");
        assert_eq!(labels.money(999.0, None, Lang::En), "999");
    }

    #[test]
    fn language_codes_are_checked() {
        assert!(Lang::is_code("fr") && Lang::is_code("pt-br") && Lang::is_code("yue"));
        assert!(!Lang::is_code("french!") && !Lang::is_code("f") && !Lang::is_code(""));
    }
}
