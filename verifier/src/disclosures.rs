//! Step 6: the Disclosures (RFC 9901 §7.1 steps 3–5), processed into the disclosed claims.

use dojang_vc::process::{path_to_string, process, Processed};
use dojang_vc::SdJwt;
use serde_json::{Map, Value};

use crate::{Policy, VerifyError};

pub(crate) fn process_disclosures(
    sd: &SdJwt,
    payload: &Map<String, Value>,
    policy: &Policy,
) -> Result<Processed, VerifyError> {
    Ok(process(payload, sd.disclosures(), &policy.budget)?)
}

pub(crate) fn disclosed_paths(p: &Processed) -> Vec<String> {
    p.nodes.iter().map(|n| path_to_string(&n.path)).collect()
}
