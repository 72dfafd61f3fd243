//! Calendar dates, as the snapshot writes them (`YYYY-MM-DD`).
//!
//! Every "days since" fact is a difference of two of these, so a day count is all the
//! engine needs: no time zones, no clock except for the single `today()` fallback when a
//! snapshot has no `as_of`. Written by hand because the two conversions below are the
//! whole need and a date crate would add more surface than it removes.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proleptic Gregorian calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Days since 1970-01-01 (negative before).
    days: i64,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting impossible days such as `2026-02-30`.
    pub fn parse(text: &str) -> Result<Date, String> {
        let bad = || format!("`{text}` is not a date: write it as YYYY-MM-DD, e.g. 2026-11-20");
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| -> Result<i64, String> {
            let part = &text[range];
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse::<i64>().map_err(|_| bad())
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(format!("`{text}` is not a day of the calendar"));
        }
        Ok(Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// The current day in UTC; used only when a snapshot gives no `as_of`.
    pub fn today() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs() as i64)
            .unwrap_or(0);
        Date {
            days: seconds.div_euclid(86_400),
        }
    }

    /// Whole days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i64 {
        self.days - earlier.days
    }

    pub fn add_days(self, days: i64) -> Date {
        Date {
            days: self.days + days,
        }
    }

    fn civil(self) -> (i64, i64, i64) {
        civil_from_days(self.days)
    }

    /// The day a valid year, month and day name, if they do.
    fn from_parts(year: i64, month: i64, day: i64) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then(|| Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// The first date written in free text, as reps write them in a next step:
    /// `2026-12-05`, `2026/12/5`, `2026年12月5日`, `12月5日` (or 号), `Dec 5`, `5 December`.
    /// A date without a year is the one nearest after `today` minus half a year, so
    /// "1月10日" written in December is next January.
    pub fn find_in_text(text: &str, today: Date) -> Option<Date> {
        let chars: Vec<char> = text.chars().collect();
        let number_at = |start: usize| -> Option<(i64, usize)> {
            let digits: String = chars[start..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            (!digits.is_empty() && digits.len() <= 4)
                .then(|| (digits.parse().unwrap_or(0), start + digits.chars().count()))
        };
        let yearless = |month: i64, day: i64| -> Option<Date> {
            let (year, ..) = today.civil();
            let this_year = Date::from_parts(year, month, day)?;
            Some(if today.days_since(this_year) > 183 {
                Date::from_parts(year + 1, month, day)?
            } else {
                this_year
            })
        };
        let mut index = 0;
        while index < chars.len() {
            let starts_number =
                chars[index].is_ascii_digit() && (index == 0 || !chars[index - 1].is_ascii_digit());
            if starts_number {
                if let Some((first, after)) = number_at(index) {
                    let separator = chars.get(after).copied();
                    // 2026-12-05, 2026/12/5, 2026.12.5, 2026年12月5日
                    if after - index == 4 && matches!(separator, Some('-' | '/' | '.' | '年')) {
                        if let Some((month, after_month)) = number_at(after + 1) {
                            let second = chars.get(after_month).copied();
                            let fits = match separator {
                                Some('年') => second == Some('月'),
                                _ => second == separator,
                            };
                            if fits {
                                if let Some((day, _)) = number_at(after_month + 1) {
                                    if let Some(date) = Date::from_parts(first, month, day) {
                                        return Some(date);
                                    }
                                }
                            }
                        }
                    }
                    // 12月5日, 12月5号
                    if separator == Some('月') {
                        if let Some((day, after_day)) = number_at(after + 1) {
                            if matches!(chars.get(after_day), Some('日' | '号')) {
                                if let Some(date) = yearless(first, day) {
                                    return Some(date);
                                }
                            }
                        }
                    }
                    // 5 Dec, 5 December
                    if separator == Some(' ') {
                        if let Some(month) = month_named(&chars[after + 1..]) {
                            if let Some(date) = yearless(month, first) {
                                return Some(date);
                            }
                        }
                    }
                    index = after;
                    continue;
                }
            }
            // Dec 5, December 5
            let starts_word = chars[index].is_ascii_alphabetic()
                && (index == 0 || !chars[index - 1].is_ascii_alphabetic());
            if starts_word {
                if let Some(month) = month_named(&chars[index..]) {
                    let word_end = index
                        + chars[index..]
                            .iter()
                            .take_while(|c| c.is_ascii_alphabetic() || **c == '.')
                            .count();
                    if chars.get(word_end) == Some(&' ') {
                        if let Some((day, _)) = number_at(word_end + 1) {
                            if let Some(date) = yearless(month, day) {
                                return Some(date);
                            }
                        }
                    }
                }
            }
            index += 1;
        }
        None
    }
}

/// The month an English month name (or its three-letter form) at the start of `chars`
/// names.
fn month_named(chars: &[char]) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word: String = chars
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|month| {
            *month == word
                || (word.len() == 3 && month.starts_with(&word))
                || (word == "sept" && *month == "september")
        })
        .map(|index| index as i64 + 1)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.civil();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::snapshot::checked::text(deserializer, "a date (YYYY-MM-DD)", Date::parse)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`: exact for every proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod find_tests {
    //! Dated commitments come from next steps written as reps write them.
    use super::*;

    #[test]
    fn finds_the_dates_reps_write_in_a_next_step() {
        let today = Date::parse("2026-11-20").unwrap();
        let found = |text: &str| Date::find_in_text(text, today).map(|d| d.to_string());
        assert_eq!(
            found("tech exchange with IT, 2026-12-05").as_deref(),
            Some("2026-12-05")
        );
        assert_eq!(
            found("评审会 2026/12/5 下午").as_deref(),
            Some("2026-12-05")
        );
        assert_eq!(
            found("2026年12月5日 联合工作坊").as_deref(),
            Some("2026-12-05")
        );
        assert_eq!(found("12月5号见张总").as_deref(), Some("2026-12-05"));
        assert_eq!(found("1月10日 采购委员会").as_deref(), Some("2027-01-10"));
        assert_eq!(
            found("steering committee on Dec 3").as_deref(),
            Some("2026-12-03")
        );
        assert_eq!(
            found("workshop 3 December, room 4").as_deref(),
            Some("2026-12-03")
        );
        assert_eq!(found("call back next week").as_deref(), None);
        assert_eq!(found("budget 2026 plan, 300 seats").as_deref(), None);
        assert_eq!(found("2026-02-30").as_deref(), None);
    }
}

#[cfg(test)]
mod tests {
    //! Day counts drive every staleness rule; an off-by-one here is advice on the wrong day.
    use super::*;

    #[test]
    fn counts_days_across_months_and_leap_years() {
        let as_of = Date::parse("2026-11-20").unwrap();
        assert_eq!(as_of.days_since(Date::parse("2026-11-15").unwrap()), 5);
        assert_eq!(Date::parse("2027-03-31").unwrap().days_since(as_of), 131);
        assert_eq!(
            Date::parse("2024-03-01")
                .unwrap()
                .days_since(Date::parse("2024-02-28").unwrap()),
            2
        );
    }

    #[test]
    fn round_trips_through_text() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-20",
            "1969-12-31",
            "2100-12-31",
        ] {
            assert_eq!(Date::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn rejects_impossible_and_malformed_days() {
        for text in [
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "20261120",
            "2026-11-2x",
            "２０２６-11-20",
            "",
        ] {
            assert!(Date::parse(text).is_err(), "{text} should be rejected");
        }
        assert!(Date::parse("2025-02-29").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
    }
}
