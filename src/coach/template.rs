//! `{{…}}` placeholders in playbook texts, filled from the deal.
//!
//! A placeholder is a dotted path from one of the condition's names (`deal.name`,
//! `item.from`) or, for any other first name, from `facts` (`{{top.name}}`). Optional
//! filters, all of them words of the label catalog ([`crate::playbook::labels`]):
//! - `| count` — the length of a list;
//! - `| count: UNIT` — a number (or a list's length) with its noun, `unit.UNIT` in the
//!   catalog: "1 person" / "3 people", "没有拜访" for zero;
//! - `| percent` — 0.45 → 45%;
//! - `| money` — an amount, short, in the deal's currency: 2.4M CNY / 240万元;
//! - `| date` — a `YYYY-MM-DD` date the short way of the language: 12月3日 / 12-03;
//! - `| label: VOCABULARY` — a word of the snapshot (or a list of them) by its label,
//!   `VOCABULARY.word` in the catalog: `{{facts.phase | label: phase}}` → 后期.

use rhai::{Dynamic, Map, Scope};

use crate::present::Words;

/// The filters a placeholder may use, for `check`.
pub const FILTERS: &[&str] = &["count", "percent", "money", "label", "date"];

/// What a placeholder resolved to.
pub enum Filled {
    Text(String),
    /// The fact is not known (`()`): a `why` line or question holding it is dropped.
    Unknown,
}

/// Where `{{` (`pair` `b'{'`) or `}}` (`b'}'`) first starts in `text`. Templates are
/// filled for every deal: a byte search, where `str::find` would set up a substring
/// searcher at each call.
fn find_pair(text: &str, pair: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = memchr::memchr(pair, &bytes[from..]) {
        let at = from + at;
        if bytes.get(at + 1) == Some(&pair) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Fills `template`. `None` when a placeholder is unknown and `drop_unknown` is set;
/// otherwise an unknown value prints as `?`.
pub fn fill(template: &str, scope: &Scope, words: Words, drop_unknown: bool) -> Option<String> {
    let mut output = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = find_pair(rest, b'{') {
        output.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = find_pair(after, b'}') else {
            output.push_str(&rest[start..]);
            rest = "";
            break;
        };
        match resolve(after[..end].trim(), scope, words) {
            Filled::Text(text) => output.push_str(&text),
            Filled::Unknown if drop_unknown => return None,
            Filled::Unknown => output.push('?'),
        }
        rest = &after[end + 2..];
    }
    output.push_str(rest);
    Some(output)
}

/// The first malformed placeholder of a template: its byte offset and what is wrong. A
/// `{{` must be closed by `}}` before the next `{{`, hold a name, and a `}}` must close
/// something: otherwise the text would print a raw `{{deal.name`.
pub fn malformed(template: &str) -> Option<(usize, &'static str)> {
    let mut offset = 0;
    loop {
        let rest = &template[offset..];
        let open = find_pair(rest, b'{');
        let close = find_pair(rest, b'}');
        match (open, close) {
            (None, None) => return None,
            (None, Some(close)) => return Some((offset + close, "`}}` closes no `{{`")),
            (Some(open), Some(close)) if close < open => {
                return Some((offset + close, "`}}` closes no `{{`"))
            }
            (Some(open), close) => {
                let inside = &rest[open + 2..];
                let end = close.map(|close| close - open - 2);
                let next_open = find_pair(inside, b'{');
                match end {
                    Some(end) if next_open.is_none_or(|next| next > end) => {
                        if inside[..end].trim().is_empty() {
                            return Some((offset + open, "`{{}}` names nothing"));
                        }
                        offset += open + 2 + end + 2;
                    }
                    _ => return Some((offset + open, "`{{` is not closed by `}}`")),
                }
            }
        }
    }
}

/// The placeholders of a template, as written (for `check`).
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = find_pair(rest, b'{') {
        let after = &rest[start + 2..];
        let Some(end) = find_pair(after, b'}') else {
            break;
        };
        found.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    found
}

/// Splits `path | filter` into the path's segments and the filter.
pub fn parse_placeholder(placeholder: &str) -> (Vec<&str>, Option<&str>) {
    let (path, filter) = match placeholder.split_once('|') {
        Some((path, filter)) => (path.trim(), Some(filter.trim())),
        None => (placeholder.trim(), None),
    };
    (path.split('.').map(str::trim).collect(), filter)
}

/// Splits a filter into its name and argument: `count: visit` → (`count`, `visit`).
pub fn parse_filter(filter: &str) -> (&str, Option<&str>) {
    match filter.split_once(':') {
        Some((name, argument)) => (name.trim(), Some(argument.trim())),
        None => (filter.trim(), None),
    }
}

fn resolve(placeholder: &str, scope: &Scope, words: Words) -> Filled {
    let (segments, filter) = parse_placeholder(placeholder);
    let Some((first, rest)) = segments.split_first() else {
        return Filled::Unknown;
    };
    let (root, rest): (Option<&Dynamic>, &[&str]) = match scope.get(first) {
        Some(value) => (Some(value), rest),
        None => (scope.get("facts"), &segments[..]),
    };
    // Walk by reference and copy only the value found: the root is usually `facts`,
    // and copying it for every placeholder cost more than evaluating the rules.
    let value = root.and_then(|root| lookup(root, rest));
    let (filter, argument) = filter.map_or(("", None), parse_filter);
    if filter == "label" {
        // A word nobody recorded reads as the vocabulary's "unknown" label when it has
        // one ("of unknown stance"); otherwise the line is left out.
        let vocabulary = argument.unwrap_or_default();
        let missing = value.as_ref().is_none_or(Dynamic::is_unit);
        if missing {
            let key = format!("{vocabulary}.unknown");
            return match words.labels.get(&key) {
                Some(_) => Filled::Text(words.ui_owned(&key)),
                None => Filled::Unknown,
            };
        }
    }
    let Some(value) = value.filter(|value| !value.is_unit()) else {
        return Filled::Unknown;
    };
    match (filter, argument) {
        ("count", unit) => {
            let count = value
                .read_lock::<rhai::Array>()
                .map(|array| array.len() as i64)
                .or_else(|| value.as_int().ok());
            match (count, unit) {
                (Some(count), Some(unit)) => Filled::Text(words.labels.count(
                    &format!("unit.{unit}"),
                    count,
                    words.lang,
                )),
                (Some(count), None) => Filled::Text(count.to_string()),
                (None, _) => Filled::Unknown,
            }
        }
        ("percent", _) => match number(&value) {
            Some(fraction) => Filled::Text(format!("{}%", (fraction * 100.0).round())),
            None => Filled::Unknown,
        },
        ("date", _) => match value.clone().into_immutable_string() {
            Ok(date) => Filled::Text(words.short_date(&date)),
            Err(_) => Filled::Unknown,
        },
        ("money", _) => match number(&value) {
            Some(amount) => {
                let currency = scope
                    .get("deal")
                    .and_then(|deal| lookup(deal, &["currency"]))
                    .filter(|currency| currency.is_string())
                    .map(|currency| currency.to_string());
                Filled::Text(words.money(amount, currency.as_deref()))
            }
            None => Filled::Unknown,
        },
        ("label", vocabulary) => {
            let vocabulary = vocabulary.unwrap_or_default();
            // A word, or true/false (`{{top.met | label: met}}` → `met.true`).
            let label = |value: &Dynamic| {
                let word = match value.as_bool() {
                    Ok(flag) => flag.to_string(),
                    Err(_) => value.clone().into_immutable_string().ok()?.to_string(),
                };
                Some(words.labels.word(vocabulary, &word, words.lang).to_owned())
            };
            let labelled = match value.read_lock::<rhai::Array>() {
                Some(array) => {
                    let parts: Vec<String> = array.iter().filter_map(label).collect();
                    (!parts.is_empty()).then(|| words.join(&parts))
                }
                None => label(&value),
            };
            labelled.map_or(Filled::Unknown, Filled::Text)
        }
        _ => match format_value(&value, words) {
            Some(text) => Filled::Text(text),
            None => Filled::Unknown,
        },
    }
}

/// The value at `path` under `value`, copied; `None` when a step does not exist.
fn lookup(value: &Dynamic, path: &[&str]) -> Option<Dynamic> {
    let Some((first, rest)) = path.split_first() else {
        // The facts are only read field by field while they stand lazily in the scope.
        return (!value.is::<crate::engine::LazyFacts>()).then(|| value.clone());
    };
    if let Some(lazy) = value.read_lock::<crate::engine::LazyFacts>() {
        return lazy.field(first).and_then(|next| lookup(next, rest));
    }
    if let Some(map) = value.read_lock::<Map>() {
        return map.get(*first).and_then(|next| lookup(next, rest));
    }
    if let Some(array) = value.read_lock::<rhai::Array>() {
        return first
            .parse::<usize>()
            .ok()
            .and_then(|index| array.get(index))
            .and_then(|next| lookup(next, rest));
    }
    None
}

fn number(value: &Dynamic) -> Option<f64> {
    value
        .as_float()
        .ok()
        .or_else(|| value.as_int().ok().map(|int| int as f64))
}

/// A value as text in `lang`: lists joined, people by name, numbers plainly. An empty
/// list is unknown too: "who is missing: " with nobody is not a reason.
pub fn format_value(value: &Dynamic, words: Words) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if let Ok(flag) = value.as_bool() {
        return Some(
            words
                .ui(if flag { "word.yes" } else { "word.no" })
                .to_owned(),
        );
    }
    if let Ok(int) = value.as_int() {
        return Some(int.to_string());
    }
    if let Ok(float) = value.as_float() {
        return Some(format_number(float));
    }
    if let Some(array) = value.read_lock::<rhai::Array>() {
        let parts: Vec<String> = array
            .iter()
            .filter_map(|element| format_value(element, words))
            .collect();
        if parts.is_empty() {
            return None;
        }
        return Some(words.join(&parts));
    }
    if let Some(map) = value.read_lock::<Map>() {
        // People, objections and gaps print by their most telling field.
        for key in ["name", "from", "role", "type"] {
            if let Some(text) = map.get(key).and_then(|field| format_value(field, words)) {
                return Some(text);
            }
        }
        return None;
    }
    Some(value.to_string())
}

/// At most two decimals, no trailing zeros.
pub fn format_number(number: f64) -> String {
    let text = format!("{number:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    //! A placeholder is well formed or refused: never printed raw.
    use super::*;

    #[test]
    fn malformed_placeholders_are_found_where_they_start() {
        assert_eq!(malformed("Meet {{top.name}} on {{deal.name}}"), None);
        assert_eq!(malformed("no placeholder"), None);
        assert_eq!(
            malformed("title {{deal.name"),
            Some((6, "`{{` is not closed by `}}`"))
        );
        assert_eq!(
            malformed("{{a {{b}}"),
            Some((0, "`{{` is not closed by `}}`"))
        );
        assert_eq!(malformed("x }} y"), Some((2, "`}}` closes no `{{`")));
        assert_eq!(malformed("{{a}} }}"), Some((6, "`}}` closes no `{{`")));
        assert_eq!(malformed("a {{ }} b"), Some((2, "`{{}}` names nothing")));
    }
}
