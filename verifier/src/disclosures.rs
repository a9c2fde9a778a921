//! Step 6: the Disclosures (RFC 9901 §7.1 steps 3–5), processed into the disclosed claims.

use dojang_vc::process::{process_by_value, DisclosedClaims};
use dojang_vc::sd_jwt_vc::NON_DISCLOSABLE;
use dojang_vc::Disclosure;
use serde_json::{Map, Value};

use crate::{Policy, VerifyError};

/// The Disclosures are given up: their values move into the claims (the presentation's text,
/// which the KB-JWT's `sd_hash` covers, stays with the parsed SD-JWT).
pub(crate) fn process_disclosures(
    disclosures: Vec<Disclosure>,
    payload: &Map<String, Value>,
    policy: &Policy,
) -> Result<DisclosedClaims, VerifyError> {
    // The registered claims are read from the payload and never shown among the claims: not
    // copied (the pipeline drops any Disclosure of those names too).
    Ok(process_by_value(
        payload,
        disclosures,
        &policy.budget,
        NON_DISCLOSABLE,
    )?)
}
