//! Presentation: every report of every command, rendered as text, Markdown, CSV or JSON,
//! and the stakeholder power map as SVG ([`map`]).
//!
//! The commands build plain report models (`coach::Report`, `views::review::Review`,
//! `views::accounts::Classified`); this module is the only place that turns them into
//! output. Words come from the playbook's label catalog ([`crate::playbook::labels`]), never from
//! Rust; colour, width and wrapping have one implementation each ([`style`],
//! [`layout`]); and what leaves for a terminal, a spreadsheet or a Markdown viewer is
//! made safe by [`crate::present::escape`].

pub mod accounts;
pub mod diff;
pub mod escape;
pub mod layout;
pub mod map;
pub mod next;
pub mod review;
pub mod style;

use crate::playbook::labels::{Labels, Lang};

pub use style::Style;

/// The words of one language: the label catalog bound to the output language.
#[derive(Clone, Copy)]
pub struct Words<'a> {
    pub labels: &'a Labels,
    pub lang: Lang,
}

impl<'a> Words<'a> {
    pub fn new(labels: &'a Labels, lang: Lang) -> Words<'a> {
        Words { labels, lang }
    }

    /// A fixed word or title.
    pub fn ui(&self, key: &'a str) -> &'a str {
        self.labels.text(key, self.lang)
    }

    /// A fixed word or title, owned.
    pub fn ui_owned(&self, key: &str) -> String {
        self.labels.text(key, self.lang).to_owned()
    }

    /// A column name as a terminal table prints it: in capitals.
    pub fn column(&self, key: &str) -> String {
        self.labels.text(key, self.lang).to_uppercase()
    }

    /// A label with `{names}` filled in.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        self.labels.fill(key, self.lang, values)
    }

    /// A count with its noun: "1 deal", "3 deals", "3个商机".
    pub fn count(&self, key: &str, n: usize) -> String {
        self.labels
            .count(key, i64::try_from(n).unwrap_or(i64::MAX), self.lang)
    }

    /// The label of a vocabulary word (`phase`, `late` → 后期).
    pub fn word(&self, vocabulary: &str, value: &'a str) -> &'a str {
        self.labels.word(vocabulary, value, self.lang)
    }

    /// The label of a concept, for lists and summaries; its id when it has none.
    pub fn concept(&self, concept: &'a str) -> &'a str {
        self.labels.word("concept", concept, self.lang)
    }

    pub fn money(&self, amount: f64, currency: Option<&str>) -> String {
        self.labels.money(amount, currency, self.lang)
    }

    /// A `YYYY-MM-DD` date, short: "12-02" / "12月2日" (`date.short`); as written when
    /// it is not such a date.
    pub fn short_date(&self, date: &str) -> String {
        let mut parts = date.splitn(3, '-');
        let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next())
        else {
            return date.to_owned();
        };
        let number = |text: &str| text.parse::<u32>().map(|n| n.to_string()).ok();
        match (number(month), number(day)) {
            (Some(m), Some(d)) => self.fill(
                "date.short",
                &[
                    ("yyyy", year),
                    ("mm", month),
                    ("dd", day),
                    ("m", &m),
                    ("d", &d),
                ],
            ),
            _ => date.to_owned(),
        }
    }

    pub fn join(&self, items: &[String]) -> String {
        self.labels.join(items, self.lang)
    }
}

/// `label` then `text`, with a space between unless the label ends in full-width
/// punctuation (`可以这样问：`), which carries its own space.
pub fn after(label: &str, text: &str) -> String {
    let wide_end = label
        .chars()
        .last()
        .is_some_and(|c| unicode_width::UnicodeWidthChar::width(c) == Some(2));
    if wide_end || label.is_empty() {
        format!("{label}{text}")
    } else {
        format!("{label} {text}")
    }
}
