//! Dates in claims: exactly `YYYY-MM-DD` (ISO 8601 calendar date, four-digit year).
//!
//! Use as `#[serde(with = "dojang_vc::credentials::claim_date")]` on a [`time::Date`] field, or
//! `claim_date::option` on an `Option<Date>`. Parsing is strict: ten ASCII characters, the date
//! must exist. Formatting cannot fail.

use serde::{Deserialize, Deserializer, Serializer};
use time::{Date, Month};

/// Formats `date` as `YYYY-MM-DD`.
pub fn format(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Parses exactly `YYYY-MM-DD` (four-digit year, months 01–12, a day that exists).
pub fn parse(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let day = u8::try_from(num(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Serde `serialize_with` for a [`Date`] claim.
pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*date))
}

/// Serde `deserialize_with` for a [`Date`] claim.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| serde::de::Error::custom("a date must be YYYY-MM-DD and exist"))
}

/// The same for an `Option<Date>` (absent or `null` is `None`; pair with
/// `#[serde(default, skip_serializing_if = "Option::is_none")]`).
pub mod option {
    use super::*;

    /// Serde `serialize_with` for an optional [`Date`] claim.
    pub fn serialize<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => super::serialize(date, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Serde `deserialize_with` for an optional [`Date`] claim.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?;
        match text {
            None => Ok(None),
            Some(text) => parse(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("a date must be YYYY-MM-DD and exist")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn formats_and_parses_exactly() {
        assert_eq!(format(date!(1885 - 03 - 05)), "1885-03-05");
        assert_eq!(parse("2000-02-29"), Some(date!(2000 - 02 - 29)));
        for bad in [
            "1900-02-29",
            "2000-2-29",
            "2000-02-29 ",
            "20000-02-29",
            "2000/02/29",
            "2000-13-01",
            "+200-02-29",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
