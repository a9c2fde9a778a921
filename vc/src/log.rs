//! The issuance log's formats (`specs/log-format.md`): the leaf that records one credential, the
//! signed checkpoint of a tree head, and the JSON of inclusion and consistency proofs.
//!
//! A leaf holds a hash of the issuer-signed JWT and the credential's type, issuance time and
//! status reference: nothing about the person. A verifier that holds the credential rebuilds the
//! leaf from it ([`LogLeaf::for_jwt`]), so the log proves the credential was logged without the
//! log ever showing what it says.
//!
//! The leaf encoding is canonical: [`LogLeaf::from_bytes`] accepts exactly the bytes that
//! [`LogLeaf::to_bytes`] produces, so a leaf hash names one leaf and one only.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::jws::{sign_eddsa, Jws, JwtPart};
use crate::merkle::{self, Hash};
use crate::{json, Algorithm, Budget, VcError, VerificationKey};

/// The `typ` header of a checkpoint JWT.
pub const CHECKPOINT_TYP: &str = "checkpoint+jwt";

/// The version member `v` of the leaf encoding.
pub const LEAF_VERSION: u64 = 1;

const LEAF_PART: &str = "log leaf";

/// base64url (no padding) of SHA-256 over `issuer_jwt`, the issuer-signed JWT exactly as signed
/// (the first `~`-separated part of an SD-JWT, without disclosures or key binding).
pub fn jwt_sha256(issuer_jwt: &str) -> String {
    B64.encode(Sha256::digest(issuer_jwt.as_bytes()))
}

/// One entry of the issuance log: which credential was issued, of what type, when, and where its
/// status is kept. No personal data: not the subject, not a name, not a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLeaf {
    /// base64url SHA-256 of the issuer-signed JWT ([`jwt_sha256`]).
    pub jwt_sha256: String,
    /// The credential type (`vct`).
    pub vct: String,
    /// The credential's `iat`, seconds since the epoch.
    pub iat: i64,
    /// The credential's status list URI (`status.status_list.uri`), if it has one.
    pub status_uri: Option<String>,
    /// The credential's index in that list (`status.status_list.idx`), if it has one.
    pub status_idx: Option<u64>,
}

impl LogLeaf {
    /// The leaf of the issuer-signed JWT `issuer_jwt` with its claims `vct`, `iat` and status.
    pub fn for_jwt(
        issuer_jwt: &str,
        vct: &str,
        iat: i64,
        status_uri: Option<&str>,
        status_idx: Option<u64>,
    ) -> Self {
        Self {
            jwt_sha256: jwt_sha256(issuer_jwt),
            vct: vct.to_owned(),
            iat,
            status_uri: status_uri.map(str::to_owned),
            status_idx,
        }
    }

    /// The canonical encoding (`specs/log-format.md` §Leaf): one JSON object without whitespace,
    /// members in the order `v`, `jwt_sha256`, `vct`, `iat`, `status_uri`, `status_idx`, the last
    /// two only when present; strings escaped as RFC 8785 does, integers in plain decimal.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(128);
        out.push_str("{\"v\":");
        out.push_str(&LEAF_VERSION.to_string());
        out.push_str(",\"jwt_sha256\":");
        push_json_string(&mut out, &self.jwt_sha256);
        out.push_str(",\"vct\":");
        push_json_string(&mut out, &self.vct);
        out.push_str(",\"iat\":");
        out.push_str(&self.iat.to_string());
        if let Some(uri) = &self.status_uri {
            out.push_str(",\"status_uri\":");
            push_json_string(&mut out, uri);
        }
        if let Some(idx) = self.status_idx {
            out.push_str(",\"status_idx\":");
            out.push_str(&idx.to_string());
        }
        out.push('}');
        out.into_bytes()
    }

    /// Decodes a leaf, strictly: the bytes (at most [`Budget::max_input_bytes`]) must be exactly
    /// the canonical encoding of a leaf with a well-formed `jwt_sha256` (43 base64url characters,
    /// 32 bytes) and a non-empty `vct`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VcError> {
        let bad = |reason: &str| VcError::MalformedJson {
            part: LEAF_PART,
            reason: reason.to_owned(),
        };
        Budget::default().check_input_bytes(bytes.len())?;
        let obj = json::parse_object(bytes, 2, LEAF_PART)?;
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "v" | "jwt_sha256" | "vct" | "iat" | "status_uri" | "status_idx"
            ) {
                return Err(bad("unknown member"));
            }
        }
        if obj.get("v").and_then(Value::as_u64) != Some(LEAF_VERSION) {
            return Err(bad("`v` must be 1"));
        }
        let string = |name: &str| -> Result<Option<String>, VcError> {
            match obj.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(bad("a string member has another type")),
            }
        };
        let jwt_sha256 = string("jwt_sha256")?.ok_or_else(|| bad("`jwt_sha256` is missing"))?;
        decode_hash(&jwt_sha256).ok_or_else(|| bad("`jwt_sha256` is not base64url of 32 bytes"))?;
        let vct = string("vct")?.ok_or_else(|| bad("`vct` is missing"))?;
        if vct.is_empty() {
            return Err(bad("`vct` is empty"));
        }
        let iat = obj
            .get("iat")
            .ok_or_else(|| bad("`iat` is missing"))?
            .as_i64()
            .ok_or_else(|| bad("`iat` is not an integer"))?;
        let status_uri = string("status_uri")?;
        let status_idx = match obj.get("status_idx") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| bad("`status_idx` is not a non-negative integer"))?,
            ),
        };
        let leaf = Self {
            jwt_sha256,
            vct,
            iat,
            status_uri,
            status_idx,
        };
        if leaf.to_bytes() != bytes {
            return Err(bad(
                "not in canonical form (member order, whitespace, escapes or numbers)",
            ));
        }
        Ok(leaf)
    }

    /// The Merkle leaf hash of this leaf: `SHA-256(0x00 ‖ to_bytes())`.
    pub fn hash(&self) -> Hash {
        merkle::leaf_hash(&self.to_bytes())
    }
}

/// Appends `s` as a JSON string the way RFC 8785 §3.2.2.2 serializes strings: `"` and `\`
/// escaped with a backslash; U+0008, U+0009, U+000A, U+000C, U+000D as `\b \t \n \f \r`; other
/// code points below U+0020 as `\u00xx` (lowercase hex); everything else as its UTF-8 bytes.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A hash in base64url without padding, as the log formats write them.
pub fn encode_hash(hash: &Hash) -> String {
    B64.encode(hash)
}

/// A base64url hash decoded strictly: exactly 43 characters, canonical, 32 bytes.
fn decode_hash(text: &str) -> Option<Hash> {
    if text.len() != 43 {
        return None;
    }
    B64.decode(text).ok()?.try_into().ok()
}

/// A signed statement of the log's state: its size and tree head at a time, by its issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The log's issuer DID (the JWT's `iss`).
    pub origin: String,
    /// Leaves in the tree.
    pub tree_size: u64,
    /// The tree head MTH, base64url.
    pub root_hash: String,
    /// When it was signed, seconds since the epoch.
    pub iat: i64,
}

impl Checkpoint {
    /// A checkpoint of `tree_size` leaves with head `root`.
    pub fn new(origin: &str, tree_size: u64, root: &Hash, iat: i64) -> Self {
        Self {
            origin: origin.to_owned(),
            tree_size,
            root_hash: encode_hash(root),
            iat,
        }
    }

    /// The tree head, decoded.
    pub fn root(&self) -> Result<Hash, VcError> {
        decode_hash(&self.root_hash).ok_or(VcError::CheckpointInvalid {
            reason: "root_hash is not base64url of 32 bytes",
        })
    }
}

/// Signs `cp` as a compact JWS with header `{"typ":"checkpoint+jwt","kid":kid,"alg":"EdDSA"}` and
/// payload `{"iss","tree_size","root_hash","iat"}`. `kid` must be a DID URL of `cp.origin`.
pub fn sign_checkpoint<S>(cp: &Checkpoint, kid: &str, signer: &S) -> Result<String, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    if cp.origin.is_empty() {
        return Err(VcError::CheckpointInvalid {
            reason: "the origin is empty",
        });
    }
    cp.root()?;
    if kid.split('#').next() != Some(cp.origin.as_str()) {
        return Err(VcError::KidMismatch {
            kid: kid.to_owned(),
            iss: cp.origin.clone(),
        });
    }
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(CHECKPOINT_TYP));
    header.insert("kid".into(), Value::from(kid));
    let mut payload = Map::new();
    payload.insert("iss".into(), Value::from(cp.origin.as_str()));
    payload.insert("tree_size".into(), Value::from(cp.tree_size));
    payload.insert("root_hash".into(), Value::from(cp.root_hash.as_str()));
    payload.insert("iat".into(), Value::from(cp.iat));
    sign_eddsa(&header, &payload, signer)
}

/// The header `kid` of a checkpoint JWT, read without verifying anything: only for choosing which
/// of the issuer's keys (from the trust list) to verify it with.
pub fn checkpoint_kid(token: &str) -> Option<String> {
    let budget = Budget::default();
    if token.len() > budget.max_input_bytes {
        return None;
    }
    let jws = Jws::parse(token, &budget, JwtPart::Issuer).ok()?;
    jws.header_str("kid").map(str::to_owned)
}

/// Verifies a checkpoint JWT with `key`, which the caller chose from its trust configuration.
///
/// `typ` must be `checkpoint+jwt` (else `typ_invalid`); `alg` must be EdDSA and the key's
/// (`alg_not_allowed`, `alg_key_mismatch`); the signature must verify (`signature_invalid`); the
/// payload must hold exactly `iss` (non-empty), `tree_size`, `root_hash` (32 bytes, base64url)
/// and `iat`, and the header `kid` must be a DID URL of `iss` (`kid_mismatch`). Anything else
/// malformed is `checkpoint_invalid`.
pub fn verify_checkpoint(
    token: &str,
    key: &VerificationKey,
    budget: &Budget,
) -> Result<Checkpoint, VcError> {
    budget.check_input_bytes(token.len())?;
    let jws = Jws::parse(token, budget, JwtPart::Issuer).map_err(|e| match e {
        VcError::MalformedJwt { .. } => VcError::CheckpointInvalid {
            reason: "not a compact JWS",
        },
        VcError::MalformedJson { .. } => VcError::CheckpointInvalid {
            reason: "the header or payload is not a JSON object",
        },
        other => other,
    })?;
    match jws.header_str("typ") {
        Some(CHECKPOINT_TYP) => {}
        other => {
            return Err(VcError::TypInvalid {
                expected: CHECKPOINT_TYP,
                found: other.map(str::to_owned),
            })
        }
    }
    let payload = jws.verify(key, &[Algorithm::EdDSA])?;
    let invalid = |reason| VcError::CheckpointInvalid { reason };
    for name in payload.keys() {
        if !matches!(name.as_str(), "iss" | "tree_size" | "root_hash" | "iat") {
            return Err(invalid("the payload has an unknown member"));
        }
    }
    let origin = payload
        .get("iss")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(invalid("iss is missing or not a non-empty string"))?;
    let tree_size = payload
        .get("tree_size")
        .and_then(Value::as_u64)
        .ok_or(invalid(
            "tree_size is missing or not a non-negative integer",
        ))?;
    let root_hash = payload
        .get("root_hash")
        .and_then(Value::as_str)
        .ok_or(invalid("root_hash is missing or not a string"))?;
    let iat = payload
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(invalid("iat is missing or not an integer"))?;
    let kid = match jws.header().get("kid") {
        Some(Value::String(kid)) => kid,
        Some(_) => return Err(invalid("kid is not a string")),
        None => return Err(invalid("kid is missing")),
    };
    if kid.split('#').next() != Some(origin) {
        return Err(VcError::KidMismatch {
            kid: kid.clone(),
            iss: origin.to_owned(),
        });
    }
    let cp = Checkpoint {
        origin: origin.to_owned(),
        tree_size,
        root_hash: root_hash.to_owned(),
        iat,
    };
    cp.root()?;
    Ok(cp)
}

/// Decodes the hashes of a proof, after checking their number against the budget.
fn decode_proof_hashes(hashes: &[String]) -> Result<Vec<Hash>, VcError> {
    Budget::check(
        "proof_hashes",
        Budget::default().max_proof_hashes,
        hashes.len(),
    )?;
    hashes
        .iter()
        .map(|h| {
            decode_hash(h).ok_or(VcError::LogProofInvalid {
                reason: "a proof hash is not base64url of 32 bytes",
            })
        })
        .collect()
}

fn proof_from_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    budget: &Budget,
    part: &'static str,
) -> Result<T, VcError> {
    budget.check_input_bytes(bytes.len())?;
    let value = json::parse(bytes, budget.max_json_depth, part)?;
    serde_json::from_value(value).map_err(|e| VcError::MalformedJson {
        part,
        reason: e.to_string(),
    })
}

/// An inclusion proof as handed to the wallet: the leaf's index, the tree size it proves against
/// and the audit path (RFC 9162 §2.1.3), as JSON `{"leaf_index","tree_size","hashes"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// 0-based index of the leaf.
    pub leaf_index: u64,
    /// Leaves in the tree the proof leads to (a checkpoint's `tree_size`).
    pub tree_size: u64,
    /// The audit path, leaf's sibling first, base64url.
    pub hashes: Vec<String>,
}

impl InclusionProof {
    /// A proof from its parts.
    pub fn new(leaf_index: u64, tree_size: u64, hashes: &[Hash]) -> Self {
        Self {
            leaf_index,
            tree_size,
            hashes: hashes.iter().map(encode_hash).collect(),
        }
    }

    /// Parses the proof's JSON strictly (duplicate or unknown members refused).
    pub fn from_json(bytes: &[u8], budget: &Budget) -> Result<Self, VcError> {
        proof_from_json(bytes, budget, "inclusion proof")
    }

    /// Checks that `leaf` is in the tree that `checkpoint` (already verified) signs: the proof's
    /// tree size must be the checkpoint's, then RFC 9162 §2.1.3.2.
    pub fn verify(&self, leaf: &LogLeaf, checkpoint: &Checkpoint) -> Result<(), VcError> {
        if self.tree_size != checkpoint.tree_size {
            return Err(VcError::LogProofInvalid {
                reason: "the proof is for another tree size than the checkpoint",
            });
        }
        let hashes = decode_proof_hashes(&self.hashes)?;
        merkle::verify_inclusion(
            &leaf.hash(),
            self.leaf_index,
            self.tree_size,
            &hashes,
            &checkpoint.root()?,
        )
    }
}

/// A consistency proof between two tree sizes (RFC 9162 §2.1.4), as JSON
/// `{"old_size","new_size","hashes"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// Leaves in the older tree.
    pub old_size: u64,
    /// Leaves in the newer tree.
    pub new_size: u64,
    /// The proof, base64url.
    pub hashes: Vec<String>,
}

impl ConsistencyProof {
    /// A proof from its parts.
    pub fn new(old_size: u64, new_size: u64, hashes: &[Hash]) -> Self {
        Self {
            old_size,
            new_size,
            hashes: hashes.iter().map(encode_hash).collect(),
        }
    }

    /// Parses the proof's JSON strictly (duplicate or unknown members refused).
    pub fn from_json(bytes: &[u8], budget: &Budget) -> Result<Self, VcError> {
        proof_from_json(bytes, budget, "consistency proof")
    }

    /// Checks that the log of `new` extends the log of `old` (both already verified): same
    /// origin, the proof's sizes are the checkpoints', then RFC 9162 §2.1.4.2.
    pub fn verify(&self, old: &Checkpoint, new: &Checkpoint) -> Result<(), VcError> {
        if old.origin != new.origin {
            return Err(VcError::CheckpointInvalid {
                reason: "the checkpoints are of different logs",
            });
        }
        if self.old_size != old.tree_size || self.new_size != new.tree_size {
            return Err(VcError::LogProofInvalid {
                reason: "the proof is for other tree sizes than the checkpoints",
            });
        }
        let hashes = decode_proof_hashes(&self.hashes)?;
        merkle::verify_consistency(
            self.old_size,
            self.new_size,
            &old.root()?,
            &new.root()?,
            &hashes,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf() -> LogLeaf {
        LogLeaf::for_jwt(
            "a.b.c",
            "urn:dojang:kr:resident-registration-copy:1",
            1_700_000_000,
            Some("https://issuer.example/status/1"),
            Some(42),
        )
    }

    #[test]
    fn leaf_encoding_is_fixed() {
        let l = leaf();
        let text = String::from_utf8(l.to_bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"v\":1,\"jwt_sha256\":\"{}\",\"vct\":\"urn:dojang:kr:resident-registration-copy:1\",\
                 \"iat\":1700000000,\"status_uri\":\"https://issuer.example/status/1\",\"status_idx\":42}}",
                jwt_sha256("a.b.c")
            )
        );
        assert_eq!(LogLeaf::from_bytes(text.as_bytes()).unwrap(), l);
    }

    #[test]
    fn escapes_round_trip() {
        let mut l = leaf();
        l.vct = "a\"b\\c\u{1}\n\u{7f}한".into();
        l.status_uri = None;
        let bytes = l.to_bytes();
        assert!(String::from_utf8(bytes.clone())
            .unwrap()
            .contains(r#""a\"b\\c\u0001\n"#));
        assert_eq!(LogLeaf::from_bytes(&bytes).unwrap(), l);
    }

    #[test]
    fn non_canonical_leaves_refused() {
        let text = String::from_utf8(leaf().to_bytes()).unwrap();
        let variants = [
            text.replacen(',', ", ", 1),
            format!("{text} "),
            text.replacen("{\"v\":1,\"jwt_sha256\"", "{\"jwt_sha256\"", 1)
                .replacen(",\"vct\"", ",\"v\":1,\"vct\"", 1),
            text.replacen("1700000000", "1.7e9", 1),
            text.replacen("\"v\":1", "\"v\":2", 1),
            text.replacen("}", ",\"name\":\"x\"}", 1),
            text.replacen("\"v\":1", "\"v\":1,\"v\":1", 1),
            text.replacen("dojang", "\\u0064ojang", 1),
        ];
        for v in variants {
            assert!(LogLeaf::from_bytes(v.as_bytes()).is_err(), "{v}");
        }
    }

    #[test]
    fn checkpoint_kid_must_name_origin() {
        let key = dojang_did::PrivateJwk::generate();
        let cp = Checkpoint::new("did:example:a", 3, &[7; 32], 10);
        assert_eq!(
            sign_checkpoint(&cp, "did:example:b#0", key.signing_key())
                .unwrap_err()
                .code(),
            "kid_mismatch"
        );
        let token = sign_checkpoint(&cp, "did:example:a#0", key.signing_key()).unwrap();
        assert_eq!(checkpoint_kid(&token).as_deref(), Some("did:example:a#0"));
        let vk = VerificationKey::Ed25519(key.public());
        assert_eq!(
            verify_checkpoint(&token, &vk, &Budget::default()).unwrap(),
            cp
        );
    }
}
