//! Step 5: time and type. `exp`, `nbf` and `iat` against the verifier's clock with leeway; the
//! policy's freshness limit; the accepted credential types.

use dojang_vc::sd_jwt_vc::{self, Validity};
use serde_json::{Map, Value};

use crate::{Policy, VerifyError};

const DAY: i64 = 86_400;

pub(crate) fn check(
    payload: &Map<String, Value>,
    vct: &str,
    policy: &Policy,
    now: i64,
) -> Result<Validity, VerifyError> {
    if !policy.accepted_vcts.is_empty() && !policy.accepted_vcts.iter().any(|v| v == vct) {
        return Err(VerifyError::UnexpectedVct {
            vct: vct.to_owned(),
        });
    }
    let validity = sd_jwt_vc::check_validity(payload, now, policy.leeway_seconds)?;
    if let Some(days) = policy.max_credential_age_days {
        if now - validity.iat > days * DAY + policy.leeway_seconds {
            return Err(VerifyError::TooOld {
                iat: validity.iat,
                max_age_days: days,
            });
        }
    }
    Ok(validity)
}

pub(crate) fn describe(v: &Validity) -> String {
    // "iat " and ", exp " with two dates of 20 characters: one allocation of the final size.
    let mut out = String::with_capacity(50);
    out.push_str("iat ");
    push_rfc3339(&mut out, v.iat);
    match v.exp {
        Some(e) => {
            out.push_str(", exp ");
            push_rfc3339(&mut out, e);
        }
        None => out.push_str(", no expiry"),
    }
    out
}

/// [`rfc3339`] for `format!` and friends, written without a `String` of its own.
#[derive(Clone, Copy)]
pub(crate) struct Rfc3339(pub(crate) i64);

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match civil(self.0) {
            Some(buf) => f.write_str(std::str::from_utf8(&buf).unwrap_or_default()),
            None => write!(f, "{}", self.0),
        }
    }
}

/// `t` as RFC 3339 in UTC (`2026-05-28T20:26:40Z`), or the plain number when the year falls
/// outside 0000–9999. Written out by hand (days to civil date, H. Hinnant's algorithm): reports
/// and provenance print several times per verification, and the general-purpose date types and
/// formatter cost several times more. The test below compares it with the `time` crate.
pub(crate) fn rfc3339(t: i64) -> String {
    let mut out = String::with_capacity(20);
    push_rfc3339(&mut out, t);
    out
}

/// Appends [`rfc3339`]`(t)` to `out`.
pub(crate) fn push_rfc3339(out: &mut String, t: i64) {
    match civil(t) {
        Some(buf) => out.push_str(std::str::from_utf8(&buf).unwrap_or_default()),
        None => out.push_str(&t.to_string()),
    }
}

/// `t` as `YYYY-MM-DDTHH:MM:SSZ`, or `None` when the year falls outside 0000–9999.
fn civil(t: i64) -> Option<[u8; 20]> {
    // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
    if !(-62_167_219_200..=253_402_300_799).contains(&t) {
        return None;
    }
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut buf = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            // v is within 0..10^width here: the digit fits a byte.
            buf[i] = b'0' + u8::try_from(v % 10).unwrap_or(0);
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, secs / 3600);
    put(14, 2, secs / 60 % 60);
    put(17, 2, secs % 60);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_matches_the_general_formatter() {
        let general = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| {
                    d.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| t.to_string())
        };
        let mut t: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
        while t < 253_402_300_800 {
            assert_eq!(rfc3339(t), general(t), "{t}");
            t += 86_399 * 37 + 12_345;
        }
        for t in [0, 1_780_000_000, 951_782_400, 253_402_300_799] {
            assert_eq!(rfc3339(t), general(t), "{t}");
        }
        assert_eq!(rfc3339(253_402_300_800), "253402300800");
        assert_eq!(rfc3339(-62_167_219_201), "-62167219201");
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
        for t in [0, 1_780_000_000, -62_167_219_201, 253_402_300_800, i64::MIN] {
            assert_eq!(super::Rfc3339(t).to_string(), rfc3339(t), "{t}");
        }
    }

    #[test]
    fn describe_reads_as_before() {
        use dojang_vc::sd_jwt_vc::Validity;
        let old = |v: &Validity| {
            let exp = v
                .exp
                .map_or_else(|| "no expiry".to_owned(), |e| format!("exp {}", rfc3339(e)));
            format!("iat {}, {exp}", rfc3339(v.iat))
        };
        for (iat, exp) in [
            (0, None),
            (1_780_000_000, Some(1_790_000_000)),
            (-1, Some(i64::MAX)),
        ] {
            let v = Validity {
                iat,
                exp,
                nbf: None,
            };
            assert_eq!(super::describe(&v), old(&v));
        }
    }
}
