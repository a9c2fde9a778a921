//! Step 7: holder binding (RFC 9901 §7.3). The KB-JWT must be signed by the key in `cnf.jwk`,
//! for this verifier's `aud` and `nonce`, recently, over exactly what was presented; then the
//! nonce is spent, so that the same presentation cannot be replayed.

use dojang_vc::key_binding::{self, KbExpectations, KeyBindingClaims};
use dojang_vc::SdJwt;
use serde_json::{Map, Value};

use crate::{Challenge, NonceStore, Policy, VerifyError};

pub(crate) fn verify(
    sd: &SdJwt,
    payload: &Map<String, Value>,
    policy: &Policy,
    challenge: Option<&Challenge>,
    now: i64,
) -> Result<Option<KeyBindingClaims>, VerifyError> {
    let Some(challenge) = challenge else {
        if policy.require_key_binding {
            return Err(VerifyError::ChallengeMissing);
        }
        return Ok(None);
    };
    if sd.key_binding().is_none() && !policy.require_key_binding {
        return Ok(None);
    }
    let holder = key_binding::holder_key(payload)?;
    let claims = key_binding::verify(
        sd,
        &holder,
        &KbExpectations {
            aud: &challenge.aud,
            nonce: &challenge.nonce,
            now,
            leeway: policy.leeway_seconds,
            max_age: policy.kb_max_age_seconds,
            allowed: &policy.allowed_algorithms,
        },
    )?;
    Ok(Some(claims))
}

pub(crate) fn spend_nonce(
    store: &dyn NonceStore,
    challenge: &Challenge,
) -> Result<(), VerifyError> {
    store.consume(&challenge.nonce)
}
