//! Key binding (RFC 9901 §4.3, §7.3): the holder signs the verifier's `aud` and `nonce`, the time,
//! and `sd_hash`, the hash of exactly the SD-JWT it presents, with the key in `cnf.jwk`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::Signature;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::jws::{sign_eddsa, Algorithm, VerificationKey};
use crate::sd_jwt::SdJwt;
use crate::{json, VcError};

/// The KB-JWT `typ` (RFC 9901 §4.3).
pub const KB_TYP: &str = "kb+jwt";

/// `sd_hash`: base64url(SHA-256(the presented SD-JWT up to and including the last `~`)).
pub fn sd_hash(presented: &str) -> String {
    B64.encode(Sha256::digest(presented.as_bytes()))
}

/// Appends a KB-JWT to `presented` (which ends with `~`), signed with the holder's key.
pub fn bind<S>(
    presented: &str,
    aud: &str,
    nonce: &str,
    iat: i64,
    signer: &S,
) -> Result<String, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(KB_TYP));
    let mut payload = Map::new();
    payload.insert("iat".into(), Value::from(iat));
    payload.insert("aud".into(), Value::from(aud));
    payload.insert("nonce".into(), Value::from(nonce));
    payload.insert("sd_hash".into(), Value::from(sd_hash(presented)));
    let kb = sign_eddsa(&header, &payload, signer)?;
    Ok(format!("{presented}{kb}"))
}

/// The holder's key from `cnf.jwk` of a verified issuer payload (RFC 7800).
pub fn holder_key(payload: &Map<String, Value>) -> Result<VerificationKey, VcError> {
    let jwk = json::member(payload, "cnf")
        .and_then(Value::as_object)
        .and_then(|cnf| json::member(cnf, "jwk"))
        .ok_or_else(|| VcError::CnfInvalid {
            reason: "no cnf.jwk in the credential".into(),
        })?;
    VerificationKey::from_jwk(jwk).map_err(|reason| VcError::CnfInvalid { reason })
}

/// What the verifier expects of a KB-JWT.
#[derive(Debug, Clone, Copy)]
pub struct KbExpectations<'a> {
    /// The verifier's identifier, which must be the KB-JWT's `aud`.
    pub aud: &'a str,
    /// The nonce the verifier issued for this presentation.
    pub nonce: &'a str,
    /// The verifier's clock, seconds since the epoch.
    pub now: i64,
    /// Clock skew allowed, seconds.
    pub leeway: i64,
    /// How old a KB-JWT may be, seconds.
    pub max_age: i64,
    /// Algorithms the policy allows.
    pub allowed: &'a [Algorithm],
}

/// The verified KB-JWT claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBindingClaims {
    /// When the holder signed it.
    pub iat: i64,
    /// The audience.
    pub aud: String,
    /// The nonce.
    pub nonce: String,
}

/// RFC 9901 §7.3 step 5 (and RFC 8725): checks the KB-JWT of `sd_jwt` against `holder`.
///
/// In order: present; `typ` is `kb+jwt`; algorithm allowed and signature valid under the
/// holder key; `iat` within the window; `aud` and `nonce` as expected; `sd_hash` over the exact
/// presented text.
pub fn verify(
    sd_jwt: &SdJwt,
    holder: &VerificationKey,
    expect: &KbExpectations<'_>,
) -> Result<KeyBindingClaims, VcError> {
    let kb = sd_jwt.key_binding().ok_or(VcError::KbMissing)?;
    if kb.header_str("typ") != Some(KB_TYP) {
        return Err(VcError::TypInvalid {
            expected: KB_TYP,
            found: kb.header_str("typ").map(str::to_owned),
        });
    }
    let claims = kb.verify(holder, expect.allowed)?;
    let iat = json::member(claims, "iat")
        .and_then(Value::as_i64)
        .ok_or(VcError::MissingClaim { claim: "iat" })?;
    if iat > expect.now + expect.leeway {
        return Err(VcError::KbIatInvalid {
            iat,
            now: expect.now,
            reason: "in the future",
        });
    }
    if iat < expect.now - expect.max_age - expect.leeway {
        return Err(VcError::KbIatInvalid {
            iat,
            now: expect.now,
            reason: "too old",
        });
    }
    let aud = json::member(claims, "aud").and_then(Value::as_str);
    if aud != Some(expect.aud) {
        return Err(VcError::KbAudienceMismatch);
    }
    let nonce = json::member(claims, "nonce").and_then(Value::as_str);
    if nonce != Some(expect.nonce) {
        return Err(VcError::KbNonceMismatch);
    }
    let hash = json::member(claims, "sd_hash").and_then(Value::as_str);
    let expected =
        crate::base64url::encode_digest(&Sha256::digest(sd_jwt.presented().as_bytes()).into());
    if hash.map(str::as_bytes) != Some(&expected[..]) {
        return Err(VcError::KbSdHashMismatch);
    }
    Ok(KeyBindingClaims {
        iat,
        aud: expect.aud.to_owned(),
        nonce: expect.nonce.to_owned(),
    })
}
