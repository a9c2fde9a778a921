//! `did:jwk` (<https://github.com/quartzjer/did-jwk/blob/main/spec.md>): a public JWK carried in
//! the identifier itself, `did:jwk:<base64url(UTF-8 JSON of the JWK)>`, whose only verification
//! method is `#0`.
//!
//! **Encoding.** [`encode`] writes `{"kty":"OKP","crv":"Ed25519","use":"sig","x":"…"}`:
//! the member order of RFC 8037's examples and of the did:jwk spec's own OKP example, and
//! `"use":"sig"` because the spec says a JWK *should* carry the `use` its curve supports
//! ("ed25519 is only valid for sig"). Without it the DID document would also list the Ed25519 key
//! under `keyAgreement`. The identifier is stored and compared as a string, never re-derived from
//! a key that arrived in another serialization (the spec warns that one key has many did:jwk).
//!
//! **Decoding** ([`decode`], the spec's *Read* steps):
//! 1. parse the DID ([`crate::Did`]): `did:jwk:` and base64url characters only;
//! 2. base64url-decode (no padding, canonical trailing bits);
//! 3. parse the UTF-8 JSON, rejecting duplicate member names at every depth;
//! 4. validate: a JSON object, no private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`),
//!    a string `kty` among `OKP`, `EC`, `RSA` with its public members, `use`, if present,
//!    `"sig"` or `"enc"`, and an `OKP`/`Ed25519` key a valid one as [`PublicJwk`] reads it (32
//!    bytes, a canonical point not of small order), so that the document of a did:jwk holds no
//!    key that [`crate::DidDocument::from_json`] would refuse.
//!
//! [`decode_ed25519`] further requires `OKP`/`Ed25519`, no `"use":"enc"` and no `alg` other than
//! `EdDSA`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::{Did, DidError, PublicJwk, PRIVATE_JWK_MEMBERS};

/// The fragment of the one verification method of a did:jwk document (`did:jwk:…#0`).
pub const KEY_FRAGMENT: &str = "0";

/// The did:jwk DID of an Ed25519 key (see the module docs for the exact JSON).
pub fn encode(jwk: &PublicJwk) -> String {
    let json = Value::Object(ed25519_members(jwk));
    format!("did:jwk:{}", B64.encode(json.to_string()))
}

/// The JWK that [`encode`] puts in the identifier, members in order.
pub(crate) fn ed25519_members(jwk: &PublicJwk) -> Map<String, Value> {
    let mut members = Map::new();
    members.insert("kty".into(), "OKP".into());
    members.insert("crv".into(), "Ed25519".into());
    members.insert("use".into(), "sig".into());
    members.insert(
        "x".into(),
        B64.encode(jwk.verifying_key().as_bytes()).into(),
    );
    members
}

/// Decodes a did:jwk DID to the public JWK it carries, members in their original order.
pub fn decode(did: &str) -> Result<Map<String, Value>, DidError> {
    decode_did(&Did::parse(did)?)
}

/// [`decode`] for an already parsed DID.
pub fn decode_did(did: &Did) -> Result<Map<String, Value>, DidError> {
    if did.method() != "jwk" {
        return Err(DidError::InvalidDid {
            reason: "not a did:jwk DID",
        });
    }
    let bytes = B64
        .decode(did.method_specific_id())
        .map_err(|_| DidError::InvalidDid {
            reason: "a did:jwk identifier is canonical unpadded base64url",
        })?;
    let jwk = match crate::strict_json::from_slice(&bytes) {
        Ok(Value::Object(jwk)) => jwk,
        _ => {
            return Err(DidError::InvalidPublicKey {
                reason: "a did:jwk identifier must encode a JSON object without duplicate members",
            })
        }
    };
    check_public_jwk(&jwk)?;
    Ok(jwk)
}

/// Decodes a did:jwk DID that must carry an Ed25519 signing key.
pub fn decode_ed25519(did: &str) -> Result<PublicJwk, DidError> {
    let did = Did::parse(did)?;
    let jwk = decode_did(&did)?;
    ed25519_signing_key(&jwk, &format!("{did}#{KEY_FRAGMENT}"))
}

/// The Ed25519 key of a public JWK that may sign: `OKP`/`Ed25519`, `use` absent or `sig`, `alg`
/// absent or `EdDSA`. `id` names the key in errors.
pub(crate) fn ed25519_signing_key(
    jwk: &Map<String, Value>,
    id: &str,
) -> Result<PublicJwk, DidError> {
    let key = PublicJwk::from_json(&Value::Object(jwk.clone()))?;
    if jwk.get("use").is_some_and(|u| u != "sig") {
        return Err(DidError::NotAnAssertionKey { id: id.to_owned() });
    }
    if let Some(alg) = jwk.get("alg") {
        if alg != "EdDSA" {
            return Err(DidError::UnsupportedPublicKeyType {
                key_type: format!("Ed25519 JWK with alg {alg}"),
            });
        }
    }
    Ok(key)
}

/// Step 4 of the module docs: what makes a JSON object a usable public JWK.
pub(crate) fn check_public_jwk(jwk: &Map<String, Value>) -> Result<(), DidError> {
    if let Some(member) = PRIVATE_JWK_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(DidError::PrivateMemberInPublicJwk {
            member: (*member).to_owned(),
        });
    }
    let kty = jwk
        .get("kty")
        .and_then(Value::as_str)
        .ok_or(DidError::InvalidPublicKey {
            reason: "a JWK needs a string `kty`",
        })?;
    let required: &[&str] = match kty {
        "OKP" => &["crv", "x"],
        "EC" => &["crv", "x", "y"],
        "RSA" => &["n", "e"],
        other => {
            return Err(DidError::UnsupportedPublicKeyType {
                key_type: format!("kty={other}"),
            })
        }
    };
    if !required
        .iter()
        .all(|m| jwk.get(*m).is_some_and(Value::is_string))
    {
        return Err(DidError::InvalidPublicKey {
            reason: "a JWK lacks a public member its `kty` requires",
        });
    }
    match jwk.get("use") {
        None => {}
        Some(u) if u == "sig" || u == "enc" => {}
        Some(_) => {
            return Err(DidError::InvalidPublicKey {
                reason: "a JWK `use` must be \"sig\" or \"enc\"",
            })
        }
    }
    if jwk.get("kty").is_some_and(|k| k == "OKP") && jwk.get("crv").is_some_and(|c| c == "Ed25519")
    {
        PublicJwk::from_json(&Value::Object(jwk.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PrivateJwk;

    fn did_for(json: &str) -> String {
        format!("did:jwk:{}", B64.encode(json))
    }

    #[test]
    fn round_trip_and_exact_json() {
        let key = PrivateJwk::new(ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])).public();
        let did = encode(&key);
        let x = B64.encode(key.verifying_key().as_bytes());
        let json = String::from_utf8(B64.decode(&did["did:jwk:".len()..]).expect("base64url"))
            .expect("UTF-8");
        assert_eq!(
            json,
            format!(r#"{{"kty":"OKP","crv":"Ed25519","use":"sig","x":"{x}"}}"#)
        );
        assert_eq!(decode_ed25519(&did), Ok(key));
        let decoded = decode(&did).expect("decode");
        let members: Vec<&str> = decoded.keys().map(String::as_str).collect();
        assert_eq!(members, ["kty", "crv", "use", "x"]);
    }

    #[test]
    fn rejects_private_members() {
        let private = PrivateJwk::generate().to_json().to_string();
        assert_eq!(
            decode(&did_for(&private)),
            Err(DidError::PrivateMemberInPublicJwk { member: "d".into() })
        );
        assert_eq!(
            decode(&did_for(r#"{"kty":"oct","k":"AAAA"}"#)),
            Err(DidError::PrivateMemberInPublicJwk { member: "k".into() })
        );
        assert!(matches!(
            decode_ed25519(&did_for(&private)),
            Err(DidError::PrivateMemberInPublicJwk { .. })
        ));
    }

    #[test]
    fn rejects_malformed_identifiers() {
        let invalid_did = |d: &str| matches!(decode(d), Err(DidError::InvalidDid { .. }));
        assert!(invalid_did("did:jwk:"));
        assert!(invalid_did("did:jwk:eyJ=")); // padding
        assert!(invalid_did("did:jwk:e")); // impossible length
        assert!(invalid_did("did:jwk:eB")); // non-zero trailing bits
        assert!(invalid_did(
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        ));
        assert!(invalid_did(&format!("{}#0", did_for(r#"{"kty":"OKP"}"#))));
        let invalid_key = |json: &str| {
            matches!(
                decode(&did_for(json)),
                Err(DidError::InvalidPublicKey { .. })
            )
        };
        assert!(invalid_key("[]"));
        assert!(invalid_key("not json"));
        assert!(invalid_key(
            r#"{"kty":"OKP","crv":"Ed25519","x":"a","x":"b"}"#
        ));
        assert!(invalid_key(r#"{"crv":"Ed25519","x":"AA"}"#));
        assert!(invalid_key(r#"{"kty":"OKP","crv":"Ed25519"}"#));
        assert!(invalid_key(r#"{"kty":"EC","crv":"P-256","x":"AA"}"#));
        assert!(invalid_key(
            r#"{"kty":"OKP","crv":"X25519","x":"AA","use":"sign"}"#
        ));
        assert!(matches!(
            decode(&did_for(r#"{"kty":"XYZ"}"#)),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
    }

    /// Found by the `did_parse` fuzz target: a did:jwk whose Ed25519 `x` is not a key decoded,
    /// and resolved to a document that `DidDocument::from_json` refuses to read back.
    #[test]
    fn rejects_ed25519_keys_that_are_not_points() {
        let mut identity = [0u8; 32];
        identity[0] = 1; // the neutral element: a point of small order
        for x in [
            "ioiW".to_owned(),
            B64.encode(identity),
            B64.encode([0xffu8; 32]),
        ] {
            let did = did_for(&format!(
                r#"{{"kty":"OKP","crv":"Ed25519","use":"sig","x":"{x}"}}"#
            ));
            assert!(decode(&did).is_err(), "x = {x}");
            let parsed = Did::parse(&did).expect("syntax");
            assert!(
                crate::DidDocument::from_did(&parsed, false).is_err(),
                "x = {x}"
            );
        }
        let key = PrivateJwk::new(ed25519_dalek::SigningKey::from_bytes(&[3u8; 32])).public();
        let did = Did::parse(&encode(&key)).expect("syntax");
        let doc = crate::DidDocument::from_did(&did, false).expect("document");
        assert!(crate::DidDocument::from_json(&doc.to_json()).is_ok());
    }

    #[test]
    fn ed25519_requires_signing_use_and_alg() {
        let key = PrivateJwk::generate().public();
        let x = B64.encode(key.verifying_key().as_bytes());
        let plain = did_for(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#));
        assert_eq!(decode_ed25519(&plain), Ok(key));
        let with_alg = did_for(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"EdDSA","kid":"k1"}}"#
        ));
        assert_eq!(decode_ed25519(&with_alg), Ok(key));
        let enc = did_for(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","use":"enc","x":"{x}"}}"#
        ));
        assert!(matches!(
            decode_ed25519(&enc),
            Err(DidError::NotAnAssertionKey { .. })
        ));
        let es256 = did_for(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"{x}"}}"#
        ));
        assert!(matches!(
            decode_ed25519(&es256),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
        let x25519 = did_for(&format!(r#"{{"kty":"OKP","crv":"X25519","x":"{x}"}}"#));
        assert!(decode(&x25519).is_ok());
        assert!(matches!(
            decode_ed25519(&x25519),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
    }
}
