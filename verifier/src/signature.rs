//! Step 4: the issuer's signature, checked first among everything the token says (RFC 9901 §7.1
//! step 2), with the key from step 3 and an algorithm from the policy's allow-list.

use dojang_vc::{SdJwt, VerificationKey};
use serde_json::{Map, Value};

use crate::{Policy, VerifyError};

/// The verified payload, borrowed from the parsed presentation: nothing is copied.
pub(crate) fn verify<'a>(
    sd: &'a SdJwt,
    key: &VerificationKey,
    policy: &Policy,
) -> Result<&'a Map<String, Value>, VerifyError> {
    Ok(sd.issuer_jwt().verify(key, &policy.allowed_algorithms)?)
}
