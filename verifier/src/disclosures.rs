//! Step 6: the Disclosures (RFC 9901 §7.1 steps 3–5), processed into the disclosed claims.

use dojang_vc::process::{path_to_string, process_omitting, Processed};
use dojang_vc::sd_jwt_vc::NON_DISCLOSABLE;
use dojang_vc::SdJwt;
use serde_json::{Map, Value};

use crate::{Policy, VerifyError};

pub(crate) fn process_disclosures(
    sd: &SdJwt,
    payload: &Map<String, Value>,
    policy: &Policy,
) -> Result<Processed, VerifyError> {
    // The registered claims are read from the payload and never shown among the claims: not
    // copied (the pipeline drops any Disclosure of those names too).
    Ok(process_omitting(
        payload,
        sd.disclosures(),
        &policy.budget,
        NON_DISCLOSABLE,
    )?)
}

pub(crate) fn disclosed_paths(p: &Processed) -> Vec<String> {
    p.nodes.iter().map(|n| path_to_string(&n.path)).collect()
}
