//! Step 4: the issuer's signature, checked first among everything the token says (RFC 9901 §7.1
//! step 2), with the key from step 3 and an algorithm from the policy's allow-list. With holder
//! binding, the KB-JWT's signature under the key in `cnf.jwk` is checked in the same computation
//! (`Jws::verify_paired`); step 9 then checks the rest of the KB-JWT, and checks its signature
//! alone when this pairing did not find it valid.

use dojang_vc::{SdJwt, VerificationKey};
use serde_json::{Map, Value};

use crate::{Policy, VerifyError};

/// The verified payload, borrowed from the parsed presentation: nothing is copied. `holder` is
/// the key step 9 will check the KB-JWT with, if any.
pub(crate) fn verify<'a>(
    sd: &'a SdJwt,
    key: &VerificationKey,
    holder: Option<&VerificationKey>,
    policy: &Policy,
) -> Result<&'a Map<String, Value>, VerifyError> {
    let allowed = &policy.allowed_algorithms;
    let jwt = sd.issuer_jwt();
    Ok(match (holder, sd.key_binding()) {
        (Some(holder), Some(kb)) => jwt.verify_paired(key, allowed, kb, holder)?,
        _ => jwt.verify(key, allowed)?,
    })
}
