//! 주민등록번호 (resident registration number, RRN) and 만 나이 (age in full years).
//!
//! The rules are written down in `specs/credentials/rrn.md`:
//!
//! 1. The canonical form is `YYMMDD-SNNNNNN`: six digits, an ASCII hyphen, seven digits (14
//!    characters). [`Rrn::parse`] accepts only that form, so a claim value has exactly one spelling
//!    and is hashed exactly as the register has it. [`Rrn::parse_lenient`] also accepts the 13
//!    digits without the hyphen (what an officer types) and inserts it.
//! 2. The 7th digit `S` gives the century and sex: 9/0 → 1800s, 1/2 → 1900s, 3/4 → 2000s,
//!    5/6 → foreign resident born in the 1900s, 7/8 → foreign resident born in the 2000s; odd is
//!    male, even is female.
//! 3. `YYMMDD` must be a date that exists in that century (`000229` is 2000-02-29 with S=3, but
//!    1900-02-29 does not exist, so S=1 is refused).
//! 4. The check digit is **not** checked: numbers issued since October 2020 carry no valid one.
//! 5. The number never reaches a log by accident: `Debug` and `Display` print the masked form
//!    `900101-1******`; only [`Rrn::as_str`] and serde give the full value.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

/// The age of majority in Korea (민법 제4조): 19 full years.
pub const ADULT_AGE: u32 = 19;

/// Number of characters of the canonical form `YYMMDD-SNNNNNN`.
const RRN_LEN: usize = 14;
/// Position (0-based) of the hyphen in the canonical form.
const HYPHEN_AT: usize = 6;
/// Characters kept in clear by [`Rrn::masked`]: `YYMMDD-S`.
const MASK_KEEP: usize = 8;

/// Why a string is not a valid 주민등록번호.
///
/// No variant carries the digits of the number: these errors are printed and logged.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RrnError {
    /// The input does not have the length of `YYMMDD-SNNNNNN` (or 13 digits, when lenient).
    #[error("an RRN has {expected} characters (YYMMDD-SNNNNNN), this input has {actual}")]
    Length {
        /// Characters required.
        expected: usize,
        /// Characters found.
        actual: usize,
    },
    /// The 7th character is not an ASCII hyphen.
    #[error("an RRN has a hyphen after the 6 birth-date digits (YYMMDD-SNNNNNN)")]
    MissingHyphen,
    /// A character that must be an ASCII digit is not one (full-width digits included).
    #[error("an RRN character at position {position} is not an ASCII digit")]
    NotADigit {
        /// 1-based character position in the input.
        position: usize,
    },
    /// `MM` is not a month.
    #[error("the RRN birth month is not between 01 and 12")]
    InvalidMonth,
    /// `YYMMDD` is not a date that exists in the century given by the 7th digit.
    #[error("the RRN birth date does not exist in the {century}s (century from the 7th digit)")]
    InvalidDate {
        /// First year of the century the 7th digit gives (1800, 1900 or 2000).
        century: u16,
    },
}

impl RrnError {
    /// A stable snake_case code for CLI and HTTP output.
    pub fn code(&self) -> &'static str {
        match self {
            RrnError::Length { .. } => "rrn_length",
            RrnError::MissingHyphen => "rrn_missing_hyphen",
            RrnError::NotADigit { .. } => "rrn_not_a_digit",
            RrnError::InvalidMonth => "rrn_invalid_month",
            RrnError::InvalidDate { .. } => "rrn_invalid_date",
        }
    }
}

/// Sex as the register records it (and as the RRN's 7th digit encodes it).
///
/// Serialised as the codes `"male"` / `"female"`; [`Sex::korean`] gives 남 / 여 for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 남: odd 7th digit.
    Male,
    /// 여: even 7th digit.
    Female,
}

impl Sex {
    /// The claim value: `"male"` or `"female"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// The Korean label printed on certificates: 남 or 여.
    pub fn korean(self) -> &'static str {
        match self {
            Sex::Male => "남",
            Sex::Female => "여",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syntactically valid 주민등록번호 whose birth date exists.
///
/// Always held in the canonical form `YYMMDD-SNNNNNN`. `Debug` and `Display` print only the
/// masked form; use [`Rrn::as_str`] where the full value is meant (a disclosed claim).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Rrn {
    value: String,
    birth_date: Date,
    sex: Sex,
    foreign_resident: bool,
}

impl Rrn {
    /// Parses the canonical form `YYMMDD-SNNNNNN` (14 ASCII characters, hyphen required).
    ///
    /// Does not check the check digit (numbers issued since October 2020 have none).
    pub fn parse(input: &str) -> Result<Rrn, RrnError> {
        let chars: Vec<char> = input.chars().collect();
        if chars.len() != RRN_LEN {
            return Err(RrnError::Length {
                expected: RRN_LEN,
                actual: chars.len(),
            });
        }
        let mut digits = [0u8; RRN_LEN - 1];
        let mut next = 0;
        for (index, &c) in chars.iter().enumerate() {
            if index == HYPHEN_AT {
                if c != '-' {
                    return Err(RrnError::MissingHyphen);
                }
                continue;
            }
            digits[next] = ascii_digit(c).ok_or(RrnError::NotADigit {
                position: index + 1,
            })?;
            next += 1;
        }
        Rrn::from_digits(digits)
    }

    /// Parses either the canonical form or the 13 digits without the hyphen, and returns the
    /// canonical form. For input typed by an officer; claim values go through [`Rrn::parse`].
    pub fn parse_lenient(input: &str) -> Result<Rrn, RrnError> {
        let chars: Vec<char> = input.chars().collect();
        if chars.len() == RRN_LEN {
            return Rrn::parse(input);
        }
        if chars.len() != RRN_LEN - 1 {
            return Err(RrnError::Length {
                expected: RRN_LEN,
                actual: chars.len(),
            });
        }
        let mut digits = [0u8; RRN_LEN - 1];
        for (index, &c) in chars.iter().enumerate() {
            digits[index] = ascii_digit(c).ok_or(RrnError::NotADigit {
                position: index + 1,
            })?;
        }
        Rrn::from_digits(digits)
    }

    fn from_digits(d: [u8; RRN_LEN - 1]) -> Result<Rrn, RrnError> {
        let (century, foreign_resident): (i32, bool) = match d[6] {
            9 | 0 => (1800, false),
            1 | 2 => (1900, false),
            3 | 4 => (2000, false),
            5 | 6 => (1900, true),
            _ => (2000, true), // 7 | 8
        };
        let sex = if d[6] % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        let year = century + i32::from(d[0]) * 10 + i32::from(d[1]);
        let month = Month::try_from(d[2] * 10 + d[3]).map_err(|_| RrnError::InvalidMonth)?;
        let day = d[4] * 10 + d[5];
        let birth_date =
            Date::from_calendar_date(year, month, day).map_err(|_| RrnError::InvalidDate {
                century: century as u16,
            })?;
        let mut value = String::with_capacity(RRN_LEN);
        for (index, digit) in d.iter().enumerate() {
            if index == HYPHEN_AT {
                value.push('-');
            }
            value.push(char::from(b'0' + digit));
        }
        Ok(Rrn {
            value,
            birth_date,
            sex,
            foreign_resident,
        })
    }

    /// The full number, `YYMMDD-SNNNNNN`. Only for a disclosed claim or the register itself.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The date of birth encoded by `YYMMDD` and the century digit.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Sex encoded by the 7th digit (odd: male, even: female).
    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// Whether the 7th digit is 5–8 (외국인 등록번호 style: a foreign resident).
    pub fn is_foreign_resident(&self) -> bool {
        self.foreign_resident
    }

    /// The masked form shown when the number is not disclosed: `900101-1******`.
    pub fn masked(&self) -> String {
        mask_rrn_text(&self.value)
    }
}

/// Masks any text that is meant to be an RRN (valid or not): keeps the first 8 characters
/// (`YYMMDD-S`) and replaces every later character with `*`.
///
/// For printing register input that has not been validated yet; a valid [`Rrn`] masks itself.
pub fn mask_rrn_text(text: &str) -> String {
    text.chars()
        .enumerate()
        .map(|(index, c)| if index < MASK_KEEP { c } else { '*' })
        .collect()
}

fn ascii_digit(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        Some(c as u8 - b'0')
    } else {
        None
    }
}

impl fmt::Debug for Rrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rrn").field(&self.masked()).finish()
    }
}

impl fmt::Display for Rrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl std::str::FromStr for Rrn {
    type Err = RrnError;

    fn from_str(s: &str) -> Result<Rrn, RrnError> {
        Rrn::parse(s)
    }
}

impl Serialize for Rrn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for Rrn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rrn, D::Error> {
        struct RrnVisitor;
        impl serde::de::Visitor<'_> for RrnVisitor {
            type Value = Rrn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RRN string YYMMDD-SNNNNNN")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Rrn, E> {
                // The RrnError message carries no digits, so the serde error cannot leak them.
                Rrn::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(RrnVisitor)
    }
}

/// 만 나이: full years from `birth` to `on` (0 if `on` is before `birth`).
///
/// The birthday counts (민법 제158조): someone born 2007-03-15 is 19 on 2026-03-15. Someone born
/// on 29 February gains a year on 1 March in common years (민법 제160조 ③: the period ends on the
/// last day of February).
pub fn age_on(birth: Date, on: Date) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (u8::from(on.month()), on.day()) < (u8::from(birth.month()), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The derived claim `age_over_19`: whether the person is at least [`ADULT_AGE`] full years old
/// on `on` (the issue date).
pub fn age_over_19(birth: Date, on: Date) -> bool {
    age_on(birth, on) >= ADULT_AGE
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// The pre-2020 check digit, to build numbers with a deliberately wrong one.
    fn legacy_check_digit(first12: &str) -> u8 {
        const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
        let sum: u32 = first12
            .bytes()
            .filter(u8::is_ascii_digit)
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        ((11 - sum % 11) % 10) as u8
    }

    #[test]
    fn century_digit_gives_the_birth_year() {
        let cases = [
            ("850315-9123456", 1885, Sex::Male, false),
            ("850315-0123456", 1885, Sex::Female, false),
            ("850315-1123456", 1985, Sex::Male, false),
            ("850315-2123456", 1985, Sex::Female, false),
            ("050315-3123456", 2005, Sex::Male, false),
            ("050315-4123456", 2005, Sex::Female, false),
            ("850315-5123456", 1985, Sex::Male, true),
            ("850315-6123456", 1985, Sex::Female, true),
            ("050315-7123456", 2005, Sex::Male, true),
            ("050315-8123456", 2005, Sex::Female, true),
        ];
        for (text, year, sex, foreign) in cases {
            let rrn = Rrn::parse(text).unwrap();
            assert_eq!(rrn.birth_date().year(), year, "{}", rrn.masked());
            assert_eq!(rrn.birth_date().month(), Month::March);
            assert_eq!(rrn.birth_date().day(), 15);
            assert_eq!(rrn.sex(), sex);
            assert_eq!(rrn.is_foreign_resident(), foreign);
        }
    }

    #[test]
    fn leap_day_depends_on_the_century() {
        // 2000 is a leap year, 1900 and 1800 are not.
        assert_eq!(
            Rrn::parse("000229-3000001").unwrap().birth_date(),
            date!(2000 - 02 - 29)
        );
        assert_eq!(
            Rrn::parse("000229-4000001").unwrap().birth_date(),
            date!(2000 - 02 - 29)
        );
        assert_eq!(
            Rrn::parse("000229-7000001").unwrap().birth_date(),
            date!(2000 - 02 - 29)
        );
        for s in ['1', '2', '5', '6'] {
            assert_eq!(
                Rrn::parse(&format!("000229-{s}000001")),
                Err(RrnError::InvalidDate { century: 1900 })
            );
        }
        for s in ['9', '0'] {
            assert_eq!(
                Rrn::parse(&format!("000229-{s}000001")),
                Err(RrnError::InvalidDate { century: 1800 })
            );
        }
        // 1896 was a leap year in the 1800s.
        assert_eq!(
            Rrn::parse("960229-9000001").unwrap().birth_date(),
            date!(1896 - 02 - 29)
        );
        assert_eq!(
            Rrn::parse("960229-1000001").unwrap().birth_date(),
            date!(1996 - 02 - 29)
        );
        assert!(Rrn::parse("970229-1000001").is_err());
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(Rrn::parse("901301-1234567"), Err(RrnError::InvalidMonth));
        assert_eq!(Rrn::parse("900001-1234567"), Err(RrnError::InvalidMonth));
        assert_eq!(
            Rrn::parse("900431-1234567"),
            Err(RrnError::InvalidDate { century: 1900 })
        );
        assert_eq!(
            Rrn::parse("900100-1234567"),
            Err(RrnError::InvalidDate { century: 1900 })
        );
        assert!(Rrn::parse("901231-1234567").is_ok());
    }

    #[test]
    fn syntax_is_strict() {
        assert_eq!(
            Rrn::parse("9001011234567"),
            Err(RrnError::Length {
                expected: 14,
                actual: 13
            })
        );
        assert_eq!(Rrn::parse("9001011-234567"), Err(RrnError::MissingHyphen));
        assert_eq!(
            Rrn::parse("90010a-1234567"),
            Err(RrnError::NotADigit { position: 6 })
        );
        // Full-width digits are not ASCII digits.
        assert_eq!(
            Rrn::parse("９00101-1234567"),
            Err(RrnError::NotADigit { position: 1 })
        );
        assert!(Rrn::parse(" 900101-1234567").is_err());
        assert!(Rrn::parse("900101-1234567 ").is_err());
        assert!(Rrn::parse("").is_err());
    }

    #[test]
    fn lenient_parse_inserts_the_hyphen() {
        let rrn = Rrn::parse_lenient("9001011234567").unwrap();
        assert_eq!(rrn.as_str(), "900101-1234567");
        assert_eq!(
            Rrn::parse_lenient("900101-1234567").unwrap().as_str(),
            "900101-1234567"
        );
        assert!(Rrn::parse_lenient("900101123456").is_err());
        assert!(Rrn::parse_lenient("900101+1234567").is_err());
        assert!(Rrn::parse_lenient("9013011234567").is_err());
    }

    #[test]
    fn check_digit_is_not_checked() {
        let first12 = "900101123456";
        let good = legacy_check_digit(first12);
        for wrong in (0..10u8).filter(|d| *d != good) {
            let text = format!("900101-123456{wrong}");
            assert!(
                Rrn::parse(&text).is_ok(),
                "wrong check digit {wrong} refused"
            );
        }
        let text = format!("900101-123456{good}");
        assert!(Rrn::parse(&text).is_ok());
    }

    #[test]
    fn masking_keeps_only_date_and_sex_digit() {
        let rrn = Rrn::parse("900101-1234567").unwrap();
        assert_eq!(rrn.masked(), "900101-1******");
        assert_eq!(rrn.to_string(), "900101-1******");
        assert_eq!(rrn.as_str(), "900101-1234567");
        assert_eq!(mask_rrn_text("900101-1234567"), "900101-1******");
        assert_eq!(mask_rrn_text("12"), "12");
    }

    #[test]
    fn debug_and_display_do_not_leak_the_serial_digits() {
        let rrn = Rrn::parse("900101-1234567").unwrap();
        for printed in [format!("{rrn:?}"), format!("{rrn:#?}"), format!("{rrn}")] {
            assert!(!printed.contains("234567"), "{printed}");
            assert!(!printed.contains("1234567"), "{printed}");
            assert!(printed.contains("900101-1******"), "{printed}");
        }
        // Inside a derived Debug of a containing struct as well.
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            rrn: Rrn,
        }
        assert!(!format!("{:?}", Holder { rrn }).contains("234567"));
    }

    #[test]
    fn serde_is_the_plain_full_string() {
        let rrn = Rrn::parse("050315-4123456").unwrap();
        let json = serde_json::to_string(&rrn).unwrap();
        assert_eq!(json, "\"050315-4123456\"");
        let back: Rrn = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rrn);
        // Deserialisation is strict and its error does not echo the number.
        let err = serde_json::from_str::<Rrn>("\"000229-1987654\"").unwrap_err();
        assert!(!err.to_string().contains("987654"), "{err}");
        assert!(serde_json::from_str::<Rrn>("\"0002291987654\"").is_err());
        assert!(serde_json::from_str::<Rrn>("9001011234567").is_err());
    }

    #[test]
    fn errors_never_contain_the_digits() {
        for bad in [
            "000229-1987654",
            "901301-1987654",
            "900101x1987654",
            "90010119876",
        ] {
            let err = Rrn::parse(bad).unwrap_err();
            assert!(!err.to_string().contains("987654"), "{err}");
            assert!(!format!("{err:?}").contains("987654"), "{err:?}");
            assert!(!err.code().is_empty());
        }
    }

    #[test]
    fn age_counts_full_years() {
        let birth = date!(2007 - 03 - 15);
        assert_eq!(age_on(birth, date!(2026 - 03 - 14)), 18);
        assert_eq!(age_on(birth, date!(2026 - 03 - 15)), 19);
        assert_eq!(age_on(birth, date!(2026 - 12 - 31)), 19);
        assert_eq!(age_on(birth, date!(2007 - 03 - 15)), 0);
        assert_eq!(age_on(birth, date!(2000 - 01 - 01)), 0);
    }

    #[test]
    fn age_over_19_turns_on_the_19th_birthday() {
        let birth = date!(2007 - 03 - 15);
        assert!(!age_over_19(birth, date!(2026 - 03 - 14)));
        assert!(age_over_19(birth, date!(2026 - 03 - 15)));
        // Year-end boundary.
        let birth = date!(2007 - 01 - 01);
        assert!(!age_over_19(birth, date!(2025 - 12 - 31)));
        assert!(age_over_19(birth, date!(2026 - 01 - 01)));
    }

    #[test]
    fn leap_day_birthday_moves_to_march_first_in_common_years() {
        let birth = date!(2004 - 02 - 29);
        assert_eq!(age_on(birth, date!(2023 - 02 - 28)), 18);
        assert!(!age_over_19(birth, date!(2023 - 02 - 28)));
        assert!(age_over_19(birth, date!(2023 - 03 - 01)));
        // In a leap year the birthday itself exists.
        let birth = date!(2005 - 02 - 28);
        assert!(age_over_19(birth, date!(2024 - 02 - 28)));
        assert_eq!(age_on(date!(2004 - 02 - 29), date!(2024 - 02 - 29)), 20);
        assert_eq!(age_on(date!(2004 - 02 - 29), date!(2024 - 02 - 28)), 19);
    }
}
