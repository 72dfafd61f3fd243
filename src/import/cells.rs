//! One CRM cell into one snapshot value: amounts, dates, yes/no, whole numbers and
//! vocabulary words, as CRM exports and spreadsheets write them.
//!
//! Each reader accepts the spellings exports really use and refuses the rest with a
//! message saying what to write instead: an amount read wrong is advice on the wrong deal,
//! so an ambiguous cell is never guessed at.

use serde_yaml::{Number, Value};

use crate::diag::did_you_mean;
use crate::snapshot::date::Date;
use crate::snapshot::vocabulary::{vocabulary_words, Aliases};

/// Currency marks an amount may carry before or after its digits. `元` is the yuan;
/// three capital letters are an ISO code (`CNY 1,200`, `1200 USD`).
const CURRENCY_SIGNS: [&str; 7] = ["US$", "¥", "￥", "$", "€", "£", "元"];

/// An amount of money, 0 or more, as a YAML number (whole amounts stay whole).
///
/// Accepted: `1200000`, `1,200,000`, `1 200 000`, `1'200'000`, `1200000.50`, with a
/// currency mark (`¥ $ € £ 元`, `US$`, or a three-letter code such as CNY) before or
/// after, and `万` (×10,000) or `亿` (×100,000,000) after the digits: `120万`,
/// `85.5万元`. `,` groups thousands and `.` is the decimal mark, as Chinese and English
/// exports write them; `1.200.000,50` (both marks, the comma last) is read the
/// European way. A comma that does not start a group of three digits (`12,5`) is refused.
pub fn amount(cell: &str) -> Result<Value, String> {
    amount_in(cell, 0)
}

/// An amount in a column whose unit is 10^`unit_exponent` (a `金额（万元）` column:
/// 4); a `万` or `亿` in the cell itself takes precedence.
pub fn amount_in(cell: &str, unit_exponent: u32) -> Result<Value, String> {
    let bad = |why: &str| format!("`{cell}` is not an amount: {why}");
    let mut text = cell.trim();
    let mut factor_exponent = 0u32;
    // Unit and currency marks may come in either order around the number (`¥120万`,
    // `120万元`, `USD 1,200`): peel them off until none is left.
    loop {
        let before = text;
        for sign in CURRENCY_SIGNS {
            text = text.strip_prefix(sign).unwrap_or(text).trim();
            text = text.strip_suffix(sign).unwrap_or(text).trim();
        }
        text = strip_currency_code(text);
        for (unit, exponent) in [("万", 4), ("亿", 8)] {
            if let Some(rest) = text.strip_suffix(unit) {
                if factor_exponent != 0 {
                    return Err(bad("write one of 万 or 亿"));
                }
                factor_exponent = exponent;
                text = rest.trim();
            }
        }
        if text == before {
            break;
        }
    }
    if text.starts_with('-') || text.starts_with('(') {
        return Err(bad("an amount must be 0 or more"));
    }
    let plain: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '_'))
        .collect();
    if plain.is_empty()
        || !plain
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return Err(bad(
            "write digits, with `,` between thousands and `.` before decimals (e.g. 1,200,000.50 or 120万)",
        ));
    }
    let (whole, fraction) = split_decimal(&plain).map_err(|why| bad(&why))?;
    if whole.is_empty() && fraction.is_empty() {
        return Err(bad("there are no digits"));
    }
    let exponent = if factor_exponent == 0 {
        unit_exponent
    } else {
        factor_exponent
    };
    decimal_value(&whole, &fraction, exponent).ok_or_else(|| bad("it is too large"))
}

/// The units a map may give an amount column (`unit: 万元`), as powers of ten.
pub const UNITS: [(&str, u32); 10] = [
    ("元", 0),
    ("1", 0),
    ("千", 3),
    ("千元", 3),
    ("k", 3),
    ("万", 4),
    ("万元", 4),
    ("百万", 6),
    ("亿", 8),
    ("亿元", 8),
];

fn strip_currency_code(text: &str) -> &str {
    let is_code = |part: &str| part.len() == 3 && part.bytes().all(|b| b.is_ascii_uppercase());
    let mut text = text;
    if text.len() > 3 && text.is_char_boundary(3) && is_code(&text[..3]) {
        text = text[3..].trim_start();
    }
    if text.len() > 3 && text.is_char_boundary(text.len() - 3) && is_code(&text[text.len() - 3..]) {
        text = text[..text.len() - 3].trim_end();
    }
    text
}

/// The digits before and after the decimal mark, thousands separators removed.
fn split_decimal(plain: &str) -> Result<(String, String), String> {
    let last_comma = plain.rfind(',');
    let last_dot = plain.rfind('.');
    let (thousands, decimal) = match (last_comma, last_dot) {
        (Some(comma), Some(dot)) if comma > dot => ('.', Some(',')),
        (_, Some(_)) if plain.matches('.').count() > 1 && last_comma.is_none() => ('.', None),
        (_, Some(_)) => (',', Some('.')),
        (Some(_), None) => (',', None),
        (None, None) => (',', None),
    };
    let (integer, fraction) = match decimal.and_then(|mark| plain.rfind(mark)) {
        Some(at) => (&plain[..at], &plain[at + 1..]),
        None => (plain, ""),
    };
    if fraction.contains([',', '.']) {
        return Err("it has more than one decimal mark".to_owned());
    }
    let groups: Vec<&str> = integer.split(thousands).collect();
    if integer.contains(if thousands == ',' { '.' } else { ',' }) {
        return Err("it mixes `,` and `.` between thousands".to_owned());
    }
    if groups.len() > 1 {
        let first = groups[0];
        let grouped = !first.is_empty()
            && first.len() <= 3
            && groups[1..].iter().all(|group| group.len() == 3);
        if !grouped {
            return Err(format!(
                "`{thousands}` must separate groups of three digits (1,200,000); write decimals with `.`"
            ));
        }
    }
    Ok((groups.concat(), fraction.to_owned()))
}

/// `whole.fraction` × 10^exponent as a YAML number, computed in decimal so `1.1万` is
/// exactly 11000 (in floating point it is 11000.000000000002).
fn decimal_value(whole: &str, fraction: &str, exponent: u32) -> Option<Value> {
    let shift = exponent as usize;
    let mut digits = format!("{whole}{fraction}");
    let mut decimals = fraction.len();
    if shift >= decimals {
        digits.push_str(&"0".repeat(shift - decimals));
        decimals = 0;
    } else {
        decimals -= shift;
    }
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    let (integer, fraction) = if decimals == 0 {
        (digits.to_owned(), String::new())
    } else {
        let padded = format!("{digits:0>width$}", width = decimals + 1);
        let split = padded.len() - decimals;
        (
            padded[..split].to_owned(),
            padded[split..].trim_end_matches('0').to_owned(),
        )
    };
    if fraction.is_empty() {
        return integer.parse::<u64>().ok().map(|n| Value::Number(n.into()));
    }
    let value: f64 = format!("{integer}.{fraction}").parse().ok()?;
    value
        .is_finite()
        .then(|| Value::Number(Number::from(value)))
}

/// A date as CRM exports write it: `2026-11-20`, `2026/11/20` (or `2026/3/5`),
/// `2026年3月5日`, each optionally followed by a time (`2026-11-18T09:12:44.000Z`,
/// `2026/11/20 14:30`), which is dropped: the snapshot counts days. `11/20/2026` is
/// refused: month and day cannot be told apart.
pub fn date(cell: &str) -> Result<Date, String> {
    let bad = || {
        format!("`{cell}` is not a date: write YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日 (a time after it is ignored)")
    };
    let text = cell.trim();
    let day_part = text
        .split(|c: char| c == 'T' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    let (year, rest) = if let Some((year, rest)) = day_part.split_once('年') {
        let rest = rest.strip_suffix('日').ok_or_else(bad)?;
        let (month, day) = rest.split_once('月').ok_or_else(bad)?;
        (year, (month, day))
    } else {
        let separator = if day_part.contains('/') { '/' } else { '-' };
        let mut parts = day_part.split(separator);
        let (Some(year), Some(month), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        (year, (month, day))
    };
    let (month, day) = rest;
    let digits = |part: &str, widths: std::ops::RangeInclusive<usize>| {
        widths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(year, 4..=4) || !digits(month, 1..=2) || !digits(day, 1..=2) {
        return Err(bad());
    }
    Date::parse(&format!("{year}-{month:0>2}-{day:0>2}"))
        .map_err(|_| format!("`{cell}` is not a day of the calendar"))
}

/// Yes or no: `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0` (any case), or a `flag`
/// alias of the playbooks (`是`, `否` …).
pub fn flag(cell: &str, aliases: &Aliases) -> Result<bool, String> {
    let text = cell.trim();
    match text.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => return Ok(true),
        "false" | "no" | "n" | "0" => return Ok(false),
        _ => {}
    }
    match aliases
        .get("flag")
        .and_then(|table| table.get(text))
        .map(String::as_str)
    {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(format!(
            "expected yes or no (true/false, 是/否), not `{cell}`"
        )),
    }
}

/// A whole number within `min..=max`; `percent` also takes a trailing `%` (a
/// temperature written `80%`).
pub fn whole(cell: &str, what: &str, min: i64, max: i64, percent: bool) -> Result<i64, String> {
    let mut text = cell.trim();
    if percent {
        text = text.strip_suffix('%').unwrap_or(text).trim_end();
    }
    let plain: String = text.chars().filter(|c| *c != ',').collect();
    let value: f64 = plain
        .parse()
        .ok()
        .filter(|value: &f64| value.is_finite())
        .ok_or_else(|| format!("`{cell}` is not a number"))?;
    if value.fract() != 0.0 {
        return Err(format!("{what} must be a whole number, not `{cell}`"));
    }
    if value < min as f64 || value > max as f64 {
        let range = if max == i64::MAX {
            format!("{min} or more")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!("{what} must be {range}, not `{cell}`"));
    }
    Ok(value as i64)
}

/// Any number, negative too (a loss-making account's profit).
pub fn signed_number(cell: &str) -> Result<Value, String> {
    let text = cell.trim();
    match text.strip_prefix('-') {
        Some(rest) => match amount(rest)? {
            Value::Number(number) => {
                let negative = number.as_f64().map(|value| -value).unwrap_or(0.0);
                Ok(match number.as_u64() {
                    Some(whole) if whole <= i64::MAX as u64 => {
                        Value::Number((-(whole as i64)).into())
                    }
                    _ => Value::Number(Number::from(negative)),
                })
            }
            other => Ok(other),
        },
        None => amount(text),
    }
}

/// A score from 0 to 10 (the account's potential).
pub fn score10(cell: &str) -> Result<Value, String> {
    let value = amount(cell).map_err(|_| format!("`{cell}` is not a score from 0 to 10"))?;
    let within = value
        .as_f64()
        .is_some_and(|score| (0.0..=10.0).contains(&score));
    if within {
        Ok(value)
    } else {
        Err(format!("a score must be 0 to 10, not `{cell}`"))
    }
}

/// A word of one of the snapshot's vocabularies (`stage`, `role` …): the English word,
/// or an alias the playbooks declare (`赢单` → `won`).
pub fn word(vocabulary: &str, cell: &str, aliases: &Aliases) -> Result<&'static str, String> {
    let words = vocabulary_words(vocabulary).unwrap_or_default();
    let written = cell.trim();
    if let Some(word) = words.iter().find(|word| **word == written) {
        return Ok(word);
    }
    let aliased = aliases
        .get(vocabulary)
        .and_then(|table| table.get(written))
        .and_then(|canonical| words.iter().find(|word| **word == canonical.as_str()));
    if let Some(word) = aliased {
        return Ok(word);
    }
    let hint = did_you_mean(written, words.iter().copied())
        .map(|nearest| format!(" — did you mean `{nearest}`?"))
        .unwrap_or_default();
    Err(format!(
        "unknown {} `{written}`{hint} (allowed: {})",
        vocabulary.replace('_', " "),
        words.join(", ")
    ))
}

/// Free text from a cell: line ends made `\n`, trailing spaces and blank edges gone,
/// so that what is written reads back the same (YAML keeps a block's text exactly).
pub fn text(cell: &str) -> String {
    cell.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    //! The spellings real exports use are read exactly; ambiguous ones are refused.
    use super::*;

    fn read(cell: &str) -> String {
        match amount(cell) {
            Ok(value) => serde_yaml::to_string(&value).unwrap().trim().to_owned(),
            Err(message) => format!("error: {message}"),
        }
    }

    #[test]
    fn amounts_as_exports_write_them() {
        assert_eq!(read("1200000"), "1200000");
        assert_eq!(read("1,200,000"), "1200000");
        assert_eq!(read("1 200 000"), "1200000");
        assert_eq!(read("¥1,200,000.00"), "1200000");
        assert_eq!(read("$ 98,500.50"), "98500.5");
        assert_eq!(read("USD 1,200"), "1200");
        assert_eq!(read("1200 EUR"), "1200");
        assert_eq!(read("120万"), "1200000");
        assert_eq!(read("85.5万元"), "855000");
        assert_eq!(read("1.1万"), "11000");
        assert_eq!(read("¥3.25亿"), "325000000");
        assert_eq!(read("1.200.000,50 €"), "1200000.5");
        assert_eq!(read("125000.0"), "125000");
        assert_eq!(read("0.5"), "0.5");
        let in_wan = |cell: &str| serde_yaml::to_string(&amount_in(cell, 4).unwrap()).unwrap();
        assert_eq!(in_wan("85.5"), "855000\n");
        assert_eq!(in_wan("3亿"), "300000000\n");
    }

    #[test]
    fn ambiguous_or_wrong_amounts_are_refused() {
        for cell in [
            "12,5",
            "1,20,000",
            "-5000",
            "12k",
            "abc",
            "万",
            "1.2.3,4,5",
            "(300)",
        ] {
            assert!(read(cell).starts_with("error"), "{cell} → {}", read(cell));
        }
    }

    #[test]
    fn dates_as_exports_write_them() {
        let day = |cell: &str| date(cell).map(|d| d.to_string());
        assert_eq!(day("2026-11-20").as_deref(), Ok("2026-11-20"));
        assert_eq!(day("2026/3/5").as_deref(), Ok("2026-03-05"));
        assert_eq!(day("2026年3月5日").as_deref(), Ok("2026-03-05"));
        assert_eq!(day("2026-11-18T09:12:44.000Z").as_deref(), Ok("2026-11-18"));
        assert_eq!(day("2026/11/20 14:30").as_deref(), Ok("2026-11-20"));
        assert!(day("11/20/2026").is_err());
        assert!(day("2026-02-30").unwrap_err().contains("not a day"));
        assert!(day("2026年3月5").is_err());
        assert!(day("20261120").is_err());
    }

    #[test]
    fn words_resolve_through_the_playbooks_aliases() {
        let mut aliases = Aliases::new();
        aliases.insert(
            "stage".into(),
            [("赢单".to_owned(), "won".to_owned())]
                .into_iter()
                .collect(),
        );
        assert_eq!(word("stage", "won", &aliases), Ok("won"));
        assert_eq!(word("stage", "赢单", &aliases), Ok("won"));
        let refused = word("stage", "propse", &aliases).unwrap_err();
        assert!(refused.contains("did you mean `propose`"), "{refused}");
    }

    #[test]
    fn text_reads_back_the_same() {
        assert_eq!(text("  a \r\nb  \r\n\r\n"), "a\nb");
    }
}
