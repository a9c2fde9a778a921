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

pub(crate) fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}
