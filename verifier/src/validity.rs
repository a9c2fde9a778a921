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
    let exp = v
        .exp
        .map_or_else(|| "no expiry".to_owned(), |e| format!("exp {}", rfc3339(e)));
    format!("iat {}, {exp}", rfc3339(v.iat))
}

/// `t` as RFC 3339 in UTC (`2026-05-28T20:26:40Z`), or the plain number when the year falls
/// outside 0000–9999. Written out by hand: reports and provenance print several times per
/// verification, and the general-purpose formatter costs several times more.
pub(crate) fn rfc3339(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) if (0..=9999).contains(&d.year()) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        _ => t.to_string(),
    }
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
    }
}
