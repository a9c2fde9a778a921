//! Step 9: holder binding (RFC 9901 §7.3). The KB-JWT must be signed by the key in `cnf.jwk`,
//! for this verifier's `aud` and `nonce`, recently, over exactly what was presented; then the
//! nonce is spent, so that the same presentation cannot be replayed.
//!
//! What the step checks with is read before step 4 ([`prepare`]), so that step 4 can check the
//! KB-JWT's signature in the same computation as the issuer's ([`crate::signature`]); the step
//! itself, and every error of its inputs, stays in its place after the status and log steps.

use dojang_vc::key_binding::{self, KbExpectations, KeyBindingClaims};
use dojang_vc::{SdJwt, VcError, VerificationKey};
use serde_json::{Map, Value};

use crate::{Challenge, NonceStore, Policy, VerifyError};

/// What step 9 checks the KB-JWT with.
pub(crate) struct Binding<'c> {
    challenge: &'c Challenge,
    /// The key in `cnf.jwk`, or why there is none usable.
    holder: Result<VerificationKey, VcError>,
}

/// Step 9's inputs: `Ok(None)` when it checks no KB-JWT (no challenge and binding not
/// required, or no KB-JWT and binding not required), an error it will report. `payload` is the
/// issuer JWT's payload before its signature is checked: the holder key read from it is used
/// only once that signature has been found valid (by step 4, or with it).
pub(crate) fn prepare<'c>(
    sd: &SdJwt,
    payload: &Map<String, Value>,
    policy: &Policy,
    challenge: Option<&'c Challenge>,
) -> Result<Option<Binding<'c>>, VerifyError> {
    let Some(challenge) = challenge else {
        if policy.require_key_binding {
            return Err(VerifyError::ChallengeMissing);
        }
        return Ok(None);
    };
    if sd.key_binding().is_none() && !policy.require_key_binding {
        return Ok(None);
    }
    Ok(Some(Binding {
        challenge,
        holder: key_binding::holder_key(payload),
    }))
}

/// The holder key step 9 will check with, if there is one.
pub(crate) fn holder<'a>(
    prepared: &'a Result<Option<Binding<'_>>, VerifyError>,
) -> Option<&'a VerificationKey> {
    match prepared {
        Ok(Some(b)) => b.holder.as_ref().ok(),
        _ => None,
    }
}

pub(crate) fn verify(
    sd: &SdJwt,
    prepared: Result<Option<Binding<'_>>, VerifyError>,
    policy: &Policy,
    now: i64,
) -> Result<Option<KeyBindingClaims>, VerifyError> {
    let Some(Binding { challenge, holder }) = prepared? else {
        return Ok(None);
    };
    let claims = key_binding::verify(
        sd,
        &holder?,
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
