//! Ed25519 keys as JSON Web Keys (RFC 8037 `OKP` / `Ed25519`) and their RFC 7638 thumbprints.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::ed25519::SMALL_ORDER_ENCODINGS;
use crate::DidError;

/// JWK members that only a private key has (RFC 7517, RFC 7518 §6, RFC 8037 §2).
pub const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A public Ed25519 key, as carried in JWKs (`cnf.jwk`, did:jwk, key files).
#[derive(Clone, Copy)]
pub struct PublicJwk {
    key: VerifyingKey,
    /// Whether the key is known not to have small order: set only when it was read from its bytes
    /// by [`ed25519_from_bytes`], which refuses small-order keys, so that [`Self::verify_strict`]
    /// need not test it again for every signature (three point doublings and a comparison).
    large_order: bool,
}

/// Two keys are equal when their keys are: how a key was made does not count.
impl PartialEq for PublicJwk {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for PublicJwk {}

impl std::fmt::Debug for PublicJwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicJwk({})", B64.encode(self.key.as_bytes()))
    }
}

impl PublicJwk {
    /// Wraps a verifying key.
    pub fn new(key: VerifyingKey) -> Self {
        Self {
            key,
            large_order: false,
        }
    }

    /// The Ed25519 verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Whether `signature` signs `message` under this key, by the rules of ed25519-dalek's
    /// `verify_strict` ([`crate::ed25519::verify_strict`]).
    pub fn verify_strict(&self, message: &[u8], signature: &ed25519_dalek::Signature) -> bool {
        if self.large_order {
            crate::ed25519::verify_strict_large_order(&self.key, message, signature)
        } else {
            crate::ed25519::verify_strict(&self.key, message, signature)
        }
    }

    /// Whether `signature` signs `message` under this key and `other_signature` signs
    /// `other_message` under `other`, checked together in one computation at about 0.7 of the
    /// two [`Self::verify_strict`] calls' cost, with their decisions except in one case that
    /// takes both private keys ([`crate::ed25519`], "Two signatures in one computation"). `rng`
    /// draws the random coefficient.
    pub fn verify_strict_pair(
        &self,
        message: &[u8],
        signature: &ed25519_dalek::Signature,
        other: &PublicJwk,
        other_message: &[u8],
        other_signature: &ed25519_dalek::Signature,
        rng: &mut impl rand_core::CryptoRngCore,
    ) -> bool {
        let small = |k: &PublicJwk| !k.large_order && k.key.is_weak();
        !small(self)
            && !small(other)
            && crate::ed25519::verify_strict_pair(
                (&self.key, message, signature),
                (&other.key, other_message, other_signature),
                rng,
            )
    }

    /// Parses a public OKP/Ed25519 JWK. Private members are an error: a public key slot must never
    /// carry a private key.
    pub fn from_json(jwk: &Value) -> Result<Self, DidError> {
        let obj = jwk.as_object().ok_or(DidError::InvalidPublicKey {
            reason: "a JWK must be a JSON object",
        })?;
        // A JWK has a few members: comparing their names costs less than hashing each private
        // name for a lookup. The first private name present, in the list's order.
        if let Some(member) = PRIVATE_JWK_MEMBERS
            .iter()
            .find(|m| obj.keys().any(|k| k == **m))
        {
            return Err(DidError::PrivateMemberInPublicJwk {
                member: (*member).to_owned(),
            });
        }
        Self::from_members(obj)
    }

    /// Parses the public part of a JWK that may also be private (a key file): `d` is ignored.
    pub fn from_json_public_part(jwk: &Value) -> Result<Self, DidError> {
        let obj = jwk.as_object().ok_or(DidError::InvalidPublicKey {
            reason: "a JWK must be a JSON object",
        })?;
        Self::from_members(obj)
    }

    fn from_members(obj: &Map<String, Value>) -> Result<Self, DidError> {
        check_okp_ed25519(obj)?;
        let x = member(obj, "x")
            .and_then(Value::as_str)
            .ok_or(DidError::InvalidPublicKey {
                reason: "missing `x` member",
            })?;
        let bytes = decode_b64_32(
            x,
            DidError::InvalidPublicKey {
                reason: "`x` is not base64url",
            },
        )?;
        let key = ed25519_from_bytes(&bytes)?;
        Ok(Self {
            key,
            large_order: true,
        })
    }

    /// The JWK as JSON: `{"kty":"OKP","crv":"Ed25519","x":…}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": B64.encode(self.key.as_bytes()),
        })
    }

    /// The RFC 7638 canonical JSON over the required members, in lexicographic order.
    pub fn thumbprint_input(&self) -> String {
        format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            B64.encode(self.key.as_bytes())
        )
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url without padding.
    pub fn thumbprint(&self) -> String {
        B64.encode(Sha256::digest(self.thumbprint_input().as_bytes()))
    }
}

/// A private Ed25519 key as a JWK (`kty`, `crv`, `x`, `d`). Never printed by `Debug`.
#[derive(Clone)]
pub struct PrivateJwk {
    key: SigningKey,
}

impl std::fmt::Debug for PrivateJwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateJwk(public: {:?})", self.public())
    }
}

impl PrivateJwk {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Self {
        Self {
            key: SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    /// Wraps a signing key.
    pub fn new(key: SigningKey) -> Self {
        Self { key }
    }

    /// The Ed25519 signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The public half.
    pub fn public(&self) -> PublicJwk {
        PublicJwk::new(self.key.verifying_key())
    }

    /// Parses a private OKP/Ed25519 JWK; `x`, when present, must match `d`.
    pub fn from_json(jwk: &Value) -> Result<Self, DidError> {
        let obj = jwk.as_object().ok_or(DidError::InvalidPrivateKey {
            reason: "a JWK must be a JSON object",
        })?;
        check_okp_ed25519(obj)?;
        let d = obj
            .get("d")
            .and_then(Value::as_str)
            .ok_or(DidError::InvalidPrivateKey {
                reason: "missing `d` member (is this a public key?)",
            })?;
        let seed = decode_b64_32(
            d,
            DidError::InvalidPrivateKey {
                reason: "`d` is not 32 base64url-encoded bytes",
            },
        )?;
        let key = SigningKey::from_bytes(&seed);
        if obj.contains_key("x") {
            let public = PublicJwk::from_members(obj)?;
            if public.verifying_key() != &key.verifying_key() {
                return Err(DidError::InvalidPrivateKey {
                    reason: "`x` does not match `d`",
                });
            }
        }
        Ok(Self { key })
    }

    /// The JWK as JSON with its private member `d`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": B64.encode(self.key.verifying_key().as_bytes()),
            "d": B64.encode(self.key.to_bytes()),
        })
    }
}

/// Decodes 32 bytes as an Ed25519 public key (RFC 8032 §5.1.3) and refuses the encodings that
/// name no usable key: a point not on the curve, a non-canonical encoding (so that one key has one
/// `x`, one did:key and one thumbprint), and a small-order point (any signature would be forgeable
/// by anyone; `verify_strict` refuses them too, this refuses them before they reach a trust list).
pub(crate) fn ed25519_from_bytes(bytes: &[u8; 32]) -> Result<VerifyingKey, DidError> {
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| DidError::InvalidPublicKey {
        reason: "not a valid Ed25519 point",
    })?;
    if !is_canonical_y(bytes) {
        return Err(DidError::InvalidPublicKey {
            reason: "non-canonical Ed25519 point encoding",
        });
    }
    if has_small_order(bytes) {
        return Err(DidError::InvalidPublicKey {
            reason: "small-order Ed25519 point",
        });
    }
    Ok(key)
}

/// Whether the point that the canonical encoding `bytes` decodes to has small order, as
/// `VerifyingKey::is_weak` says (three point doublings and a comparison), from the bytes alone.
/// The points of small order are closed under negation, which changes only the sign bit, and the
/// two of them with `x = 0` decode with either sign bit: so a point decoded from a canonical `y`
/// has small order exactly when its `y` is the `y` of one of [`SMALL_ORDER_ENCODINGS`]. A test
/// holds this to `is_weak`.
fn has_small_order(bytes: &[u8; 32]) -> bool {
    SMALL_ORDER_ENCODINGS
        .iter()
        .any(|e| e[..31] == bytes[..31] && (e[31] ^ bytes[31]) & 0x7f == 0)
}

/// Whether the encoded `y` (the low 255 bits, little-endian) is below p = 2^255 - 19, the only
/// non-canonical case left once the point decodes: `x = 0` with the sign bit set only happens for
/// y = ±1, which are small-order and refused. Comparing bytes costs nothing, where re-encoding the
/// point to compare would cost a field inversion on every holder key a verifier reads.
fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    let top_is_max = bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|b| *b == 0xff);
    !(top_is_max && bytes[0] >= 0xed)
}

/// The member `name` of a JWK, found by comparing names: a JWK has a few members, and comparing
/// them costs less than hashing the name for a look-up.
fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    jwk.iter()
        .find_map(|(k, v)| (k.as_str() == name).then_some(v))
}

fn check_okp_ed25519(obj: &Map<String, Value>) -> Result<(), DidError> {
    let kty = member(obj, "kty").and_then(Value::as_str).unwrap_or("");
    let crv = member(obj, "crv").and_then(Value::as_str).unwrap_or("");
    if kty != "OKP" || crv != "Ed25519" {
        return Err(DidError::UnsupportedPublicKeyType {
            key_type: format!("kty={kty} crv={crv}"),
        });
    }
    Ok(())
}

fn decode_b64_32(text: &str, err: DidError) -> Result<[u8; 32], DidError> {
    // Decoded in place; a text too long for 32 bytes is decoded again, only to report its length
    // (or that it is not base64url).
    let mut bytes = [0u8; 32];
    let len = match B64.decode_slice(text, &mut bytes) {
        Ok(32) => return Ok(bytes),
        Ok(len) => len,
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            B64.decode(text).map_err(|_| err)?.len()
        }
        Err(base64::DecodeSliceError::DecodeError(_)) => return Err(err),
    };
    Err(DidError::InvalidPublicKeyLength {
        expected: 32,
        actual: len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_jwk_rejects_private_member() {
        let jwk = PrivateJwk::generate().to_json();
        assert_eq!(
            PublicJwk::from_json(&jwk),
            Err(DidError::PrivateMemberInPublicJwk { member: "d".into() })
        );
        assert!(PublicJwk::from_json_public_part(&jwk).is_ok());
    }

    #[test]
    fn private_jwk_round_trips_and_checks_x() {
        let key = PrivateJwk::generate();
        let back = PrivateJwk::from_json(&key.to_json()).expect("round trip");
        assert_eq!(back.public(), key.public());
        let mut other = key.to_json();
        other["x"] = PrivateJwk::generate().public().to_json()["x"].clone();
        assert!(matches!(
            PrivateJwk::from_json(&other),
            Err(DidError::InvalidPrivateKey { .. })
        ));
    }

    #[test]
    fn rejects_small_order_and_non_canonical_points() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            ed25519_from_bytes(&identity),
            Err(DidError::InvalidPublicKey {
                reason: "small-order Ed25519 point"
            })
        );
        // y = p + 1 = 2^255 - 18 is the identity again, encoded non-canonically.
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        assert!(matches!(
            ed25519_from_bytes(&non_canonical),
            Err(DidError::InvalidPublicKey { .. })
        ));
        let jwk = serde_json::json!({"kty":"OKP","crv":"Ed25519","x": B64.encode(identity)});
        assert!(matches!(
            PublicJwk::from_json(&jwk),
            Err(DidError::InvalidPublicKey { .. })
        ));
        // y = p + 3 encodes the same large-order point as y = 3 (sign bit chosen so it decodes):
        // refused as non-canonical, while the canonical encoding is accepted.
        let mut checked = 0;
        for y in 2u8..19 {
            let mut canonical = [0u8; 32];
            canonical[0] = y;
            let Ok(point) = VerifyingKey::from_bytes(&canonical) else {
                continue;
            };
            if point.is_weak() {
                continue;
            }
            let mut wrapped = [0xffu8; 32];
            wrapped[0] = 0xed + y;
            wrapped[31] = 0x7f;
            assert!(
                VerifyingKey::from_bytes(&wrapped).is_ok(),
                "y = p + {y} decodes"
            );
            assert_eq!(
                ed25519_from_bytes(&wrapped),
                Err(DidError::InvalidPublicKey {
                    reason: "non-canonical Ed25519 point encoding"
                }),
                "y = p + {y}"
            );
            assert_eq!(ed25519_from_bytes(&canonical), Ok(point));
            checked += 1;
        }
        assert!(checked > 0, "some y in 2..19 is a large-order point");
        for canonical in [[0xffu8; 32], [0u8; 32]].map(|mut b| {
            b[31] &= 0x7f;
            b[0] = b[0].min(0xec);
            b
        }) {
            assert!(is_canonical_y(&canonical));
        }
        let good = PrivateJwk::generate().public();
        assert_eq!(
            ed25519_from_bytes(good.verifying_key().as_bytes()),
            Ok(*good.verifying_key())
        );
    }

    /// The small-order test by bytes agrees with `is_weak` on every encoding that decodes with
    /// a canonical `y`: the eight points of small order with either sign bit, their neighbours,
    /// and random bytes (about half of which decode, all to large-order points).
    #[test]
    fn small_order_by_bytes_agrees_with_is_weak() {
        let mut candidates = Vec::new();
        for e in SMALL_ORDER_ENCODINGS {
            for sign in [0u8, 0x80] {
                let mut b = e;
                b[31] = (b[31] & 0x7f) | sign;
                candidates.push(b);
                b[0] ^= 1;
                candidates.push(b);
            }
        }
        for i in 0u32..2000 {
            candidates.push(Sha256::digest(i.to_le_bytes()).into());
        }
        let (mut weak, mut decoded) = (std::collections::BTreeSet::new(), 0);
        for b in candidates {
            let Ok(key) = VerifyingKey::from_bytes(&b) else {
                continue;
            };
            if !is_canonical_y(&b) {
                continue;
            }
            decoded += 1;
            if key.is_weak() {
                weak.insert(b);
            }
            assert_eq!(has_small_order(&b), key.is_weak(), "{b:02x?}");
        }
        // The eight canonical encodings, and the two points with x = 0 with the sign bit set.
        assert_eq!(weak.len(), 10);
        assert!(decoded > 900, "{decoded}");
    }

    #[test]
    fn rejects_other_curves() {
        let jwk = serde_json::json!({"kty":"EC","crv":"P-256","x":"AA","y":"AA"});
        assert!(matches!(
            PublicJwk::from_json(&jwk),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
    }
}
