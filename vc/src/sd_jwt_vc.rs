//! The SD-JWT VC layer (IETF SD-JWT VC): `typ: dc+sd-jwt`, `iss`, `vct`, `iat`, `exp`, `cnf`,
//! `status`, and the checks on them that follow signature verification.

use dojang_did::PublicJwk;
use ed25519_dalek::Signature;
use serde_json::{Map, Value};

use crate::issue::{issue, IssueOptions, Issued};
use crate::jws::Jws;
use crate::{json, VcError};

/// The media type Dojang issues.
pub const TYP: &str = "dc+sd-jwt";
/// The earlier media type, still accepted on input.
pub const LEGACY_TYP: &str = "vc+sd-jwt";

/// Claims that are never selectively disclosable (SD-JWT VC §3.2.2): the verifier needs them to
/// decide whether to trust the credential at all.
pub const NON_DISCLOSABLE: &[&str] = &[
    "iss",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "_sd",
    "_sd_alg",
    "...",
];

/// What an issuer puts into one SD-JWT VC.
#[derive(Debug, Clone, Copy)]
pub struct VcIssuance<'a> {
    /// The issuer's identifier (a DID), the `iss` claim.
    pub issuer: &'a str,
    /// The DID URL of the signing key, the header `kid`.
    pub kid: &'a str,
    /// The credential type.
    pub vct: &'a str,
    /// The holder's key for `cnf.jwk`; `None` issues an unbound credential.
    pub holder: Option<&'a PublicJwk>,
    /// Issued-at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: Option<i64>,
    /// The `status` claim (a status list reference), if any.
    pub status: Option<&'a Value>,
    /// The subject claims. Registered claims among them stay plain; so do `always_visible` ones;
    /// every other member is made selectively disclosable, recursively.
    pub claims: &'a Map<String, Value>,
    /// Top-level claims that carry no personal data and stay visible.
    pub always_visible: &'a [&'a str],
    /// Decoys and other shaping.
    pub options: IssueOptions,
}

/// Signs an SD-JWT VC.
pub fn issue_vc<S>(req: &VcIssuance<'_>, signer: &S) -> Result<Issued, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(TYP));
    header.insert("kid".into(), Value::from(req.kid));
    let mut plain = Map::new();
    plain.insert("iss".into(), Value::from(req.issuer));
    plain.insert("vct".into(), Value::from(req.vct));
    plain.insert("iat".into(), Value::from(req.iat));
    if let Some(exp) = req.exp {
        plain.insert("exp".into(), Value::from(exp));
    }
    if let Some(holder) = req.holder {
        plain.insert("cnf".into(), serde_json::json!({ "jwk": holder.to_json() }));
    }
    if let Some(status) = req.status {
        plain.insert("status".into(), status.clone());
    }
    let mut disclosable = Map::new();
    for (k, v) in req.claims {
        if NON_DISCLOSABLE.contains(&k.as_str()) || req.always_visible.contains(&k.as_str()) {
            plain.entry(k.clone()).or_insert_with(|| v.clone());
        } else {
            disclosable.insert(k.clone(), v.clone());
        }
    }
    issue(&header, &plain, &disclosable, req.options, signer)
}

/// Checks the issuer JWT's `typ` (before its signature: it decides how the token is read).
pub fn check_typ(jwt: &Jws) -> Result<(), VcError> {
    match jwt.header_str("typ") {
        Some(TYP) | Some(LEGACY_TYP) => Ok(()),
        other => Err(VcError::TypInvalid {
            expected: TYP,
            found: other.map(str::to_owned),
        }),
    }
}

/// The `iss` of an issuer JWT payload.
pub fn issuer(payload: &Map<String, Value>) -> Result<&str, VcError> {
    string_claim(payload, "iss")
}

/// The `vct` of an issuer JWT payload.
pub fn vct(payload: &Map<String, Value>) -> Result<&str, VcError> {
    string_claim(payload, "vct")
}

fn string_claim<'a>(
    payload: &'a Map<String, Value>,
    claim: &'static str,
) -> Result<&'a str, VcError> {
    match json::member(payload, claim) {
        None => Err(VcError::MissingClaim { claim }),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(VcError::InvalidClaim {
            claim,
            reason: "must be a non-empty string",
        }),
    }
}

/// The header `kid`, which when present must be a DID URL of the `iss` DID.
pub fn check_kid(jwt: &Jws, iss: &str) -> Result<Option<String>, VcError> {
    match json::member(jwt.header(), "kid") {
        None => Ok(None),
        Some(Value::String(kid)) => {
            let did = kid.split('#').next().unwrap_or("");
            if did == iss {
                Ok(Some(kid.clone()))
            } else {
                Err(VcError::KidMismatch {
                    kid: kid.clone(),
                    iss: iss.to_owned(),
                })
            }
        }
        Some(_) => Err(VcError::MalformedJwt {
            part: "issuer-signed JWT",
            reason: "kid must be a string",
        }),
    }
}

/// The validity times of a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// Issued-at.
    pub iat: i64,
    /// Expiry, if any.
    pub exp: Option<i64>,
    /// Not-before, if any.
    pub nbf: Option<i64>,
}

/// Checks `iat` (required), `exp` and `nbf` against `now` with `leeway` seconds of clock skew.
pub fn check_validity(
    payload: &Map<String, Value>,
    now: i64,
    leeway: i64,
) -> Result<Validity, VcError> {
    let time = |claim: &'static str| -> Result<Option<i64>, VcError> {
        match json::member(payload, claim) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or(VcError::InvalidClaim {
                claim,
                reason: "must be an integer NumericDate",
            }),
        }
    };
    let iat = time("iat")?.ok_or(VcError::MissingClaim { claim: "iat" })?;
    let exp = time("exp")?;
    let nbf = time("nbf")?;
    if let Some(exp) = exp {
        if now >= exp + leeway {
            return Err(VcError::Expired { exp, now });
        }
    }
    if let Some(nbf) = nbf {
        if now + leeway < nbf {
            return Err(VcError::NotYetValid { nbf, now });
        }
    }
    if iat > now + leeway {
        return Err(VcError::IssuedInFuture { iat, now });
    }
    Ok(Validity { iat, exp, nbf })
}
