//! Step 8 (when the policy requires it, or a proof is given): the credential is in its issuer's
//! transparency log. The leaf must describe exactly this credential (the hash of the issuer JWT
//! as presented, its `vct`, `iat` and status entry); the checkpoint must be signed by a key the
//! verifier's trust holds for the issuer; the proof must lead from the leaf to that checkpoint.

use dojang_vc::log::jwt_sha256;
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::status_list::status_reference;
use dojang_vc::{Budget, Jws, JwtPart, SdJwt, VcError};
use serde_json::{Map, Value};

use crate::audit::{verify_inclusion, InclusionChecked};
use crate::{IssuerTrust, Policy, VerifyError};

pub(crate) fn check(
    sd: &SdJwt,
    payload: &Map<String, Value>,
    iss: &str,
    trust: &dyn IssuerTrust,
    inclusion: Option<&LogInclusion>,
    policy: &Policy,
) -> Result<Option<InclusionChecked>, VerifyError> {
    let Some(inclusion) = inclusion else {
        return if policy.require_log_inclusion {
            Err(VerifyError::LogInclusionMissing)
        } else {
            Ok(None)
        };
    };
    let not_this = |reason| VcError::LogProofInvalid { reason };
    let leaf = &inclusion.leaf;
    if leaf.jwt_sha256 != jwt_sha256(sd.issuer_jwt().as_str()) {
        return Err(not_this("the leaf is for another credential").into());
    }
    let status = status_reference(payload)?;
    let same = Some(leaf.vct.as_str()) == payload.get("vct").and_then(Value::as_str)
        && Some(leaf.iat) == payload.get("iat").and_then(Value::as_i64)
        && leaf.status_uri.as_deref() == status.as_ref().map(|s| s.uri.as_str())
        && leaf.status_idx == status.as_ref().map(|s| s.idx);
    if !same {
        return Err(
            not_this("the leaf's type, time or status entry differ from the credential").into(),
        );
    }
    // The checkpoint's key comes from the verifier's trust, valid when the checkpoint was signed.
    let budget = Budget::default();
    let cp = Jws::parse(&inclusion.checkpoint, &budget, JwtPart::Issuer).map_err(|_| {
        VcError::CheckpointInvalid {
            reason: "not a compact JWS with JSON header and payload",
        }
    })?;
    let at = cp
        .unverified_payload()
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(VcError::CheckpointInvalid { reason: "no iat" })?;
    let key = trust.token_key(iss, cp.header_str("kid"), at)?;
    let checked = verify_inclusion(leaf, &inclusion.proof, &inclusion.checkpoint, &key)?;
    if checked.origin() != iss {
        return Err(VcError::CheckpointInvalid {
            reason: "the checkpoint is of another issuer's log",
        }
        .into());
    }
    Ok(Some(checked))
}
