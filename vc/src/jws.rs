//! Compact JWS: parse keeping the exact bytes received, sign with Ed25519, and verify with a key
//! and algorithm chosen by the verifier, never by the token (RFC 7515, RFC 8725 §2.1, §3.1).

use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::PublicJwk;
use ed25519_dalek::Signature;
use serde_json::{Map, Value};

use crate::{base64url, json, Budget, VcError};

/// A JWS algorithm this crate can verify. Only what the policy lists is ever accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 (RFC 8037), Dojang's own algorithm.
    EdDSA,
    /// ECDSA P-256 with SHA-256, for interoperability (the RFC 9901 examples are ES256).
    ES256,
}

impl Algorithm {
    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
        }
    }
}

/// A public key the verifier trusts for one signer, with its one algorithm.
#[derive(Clone)]
pub enum VerificationKey {
    /// An Ed25519 key, verified by `verify_strict`'s rules (`dojang_did::ed25519`).
    Ed25519(PublicJwk),
    /// A P-256 key as a public JWK (verified through josekit).
    Es256(Map<String, Value>),
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerificationKey::Ed25519(k) => write!(f, "Ed25519({k:?})"),
            VerificationKey::Es256(_) => f.write_str("Es256(..)"),
        }
    }
}

impl VerificationKey {
    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            VerificationKey::Ed25519(_) => Algorithm::EdDSA,
            VerificationKey::Es256(_) => Algorithm::ES256,
        }
    }

    /// A key from a public JWK: OKP/Ed25519, or EC/P-256. Private members are refused.
    pub fn from_jwk(jwk: &Value) -> Result<Self, String> {
        let obj = jwk.as_object().ok_or("a JWK must be a JSON object")?;
        match json::member(obj, "kty").and_then(Value::as_str) {
            Some("OKP") => PublicJwk::from_json(jwk)
                .map(VerificationKey::Ed25519)
                .map_err(|e| e.to_string()),
            Some("EC") => {
                if obj.contains_key("d") {
                    return Err("a public JWK must not contain `d`".into());
                }
                if obj.get("crv").and_then(Value::as_str) != Some("P-256") {
                    return Err("only the P-256 curve is supported for EC keys".into());
                }
                // Validate now, so that a bad key is reported as a bad key, not a bad signature.
                es256_verifier(obj)?;
                Ok(VerificationKey::Es256(obj.clone()))
            }
            _ => Err("unsupported key type (kty)".into()),
        }
    }

    /// Checks a raw signature over `message` (Ed25519 by `verify_strict`'s rules). Prefer
    /// [`Jws::verify`], which also applies the header rules.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            VerificationKey::Ed25519(key) => Signature::from_slice(signature)
                .map(|sig| key.verify_strict(message, &sig))
                .unwrap_or(false),
            VerificationKey::Es256(jwk) => es256_verifier(jwk)
                .map(|v| josekit::jws::JwsVerifier::verify(&v, message, signature).is_ok())
                .unwrap_or(false),
        }
    }
}

fn es256_verifier(
    jwk: &Map<String, Value>,
) -> Result<josekit::jws::alg::ecdsa::EcdsaJwsVerifier, String> {
    let jwk = josekit::jwk::Jwk::from_map(jwk.clone()).map_err(|e| e.to_string())?;
    josekit::jws::ES256
        .verifier_from_jwk(&jwk)
        .map_err(|e| e.to_string())
}

/// Which JWT of an SD-JWT this is; selects error codes and the header rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtPart {
    /// The issuer-signed JWT.
    Issuer,
    /// The holder's key-binding JWT.
    KeyBinding,
}

impl JwtPart {
    fn label(self) -> &'static str {
        match self {
            JwtPart::Issuer => "issuer-signed JWT",
            JwtPart::KeyBinding => "KB-JWT",
        }
    }
    fn header_label(self) -> &'static str {
        match self {
            JwtPart::Issuer => "issuer JWT header",
            JwtPart::KeyBinding => "KB-JWT header",
        }
    }
    fn payload_label(self) -> &'static str {
        match self {
            JwtPart::Issuer => "issuer JWT payload",
            JwtPart::KeyBinding => "KB-JWT payload",
        }
    }
}

/// What [`Jws::read`] decodes, before the text is kept.
struct Read {
    signing_input_len: usize,
    header: Map<String, Value>,
    payload: Map<String, Value>,
    signature: Option<[u8; 64]>,
    part: JwtPart,
}

impl Read {
    fn keep(self, text: Arc<String>, range: std::ops::Range<usize>) -> Jws {
        Jws {
            text,
            start: range.start,
            end: range.end,
            signing_input_len: self.signing_input_len,
            header: self.header,
            payload: self.payload,
            signature: self.signature,
            part: self.part,
            paired: OnceLock::new(),
        }
    }
}

/// Signatures checked in one computation by [`Jws::verify_many`]: past a few dozen the time a
/// signature levels off (0.35× a `verify_strict` at 64 under one key), and a batch that fails is
/// checked again one by one to find which signature is wrong, so a larger batch costs more when
/// one is.
pub const VERIFY_BATCH: usize = 64;

/// Header members that would let a token pick its own key or change how it is processed.
const FORBIDDEN_HEADER_MEMBERS: &[&str] = &["jwk", "x5c", "jku", "x5u", "crit"];

/// A compact JWS as received: the exact text, its parsed header, and its not yet trusted payload.
#[derive(Clone)]
pub struct Jws {
    /// The text the JWS was read from (for a JWS of an SD-JWT, the whole SD-JWT, shared), and
    /// where in it the compact JWS lies.
    text: Arc<String>,
    start: usize,
    end: usize,
    signing_input_len: usize,
    header: Map<String, Value>,
    payload: Map<String, Value>,
    /// The signature if it is 64 bytes long (Ed25519 and ES256 alike); `None` verifies under no key.
    signature: Option<[u8; 64]>,
    part: JwtPart,
    /// The Ed25519 key (its bytes) under which [`Jws::verify_paired`] or [`Jws::verify_many`]
    /// found this JWS's signature valid, in the same computation as others': [`Jws::verify`]
    /// and [`Jws::verify_paired`] under that key then make the header checks only. Set by
    /// nothing else.
    paired: OnceLock<[u8; 32]>,
}

impl std::fmt::Debug for Jws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jws")
            .field("compact", &self.as_str())
            .field("signing_input_len", &self.signing_input_len)
            .field("header", &self.header)
            .field("payload", &self.payload)
            .field("signature", &self.signature)
            .field("part", &self.part)
            .finish()
    }
}

impl Jws {
    /// Splits and decodes a compact JWS. Header and payload must be strict JSON objects.
    pub fn parse(compact: &str, budget: &Budget, part: JwtPart) -> Result<Self, VcError> {
        let read = Self::read(compact, budget, part)?;
        Ok(read.keep(Arc::new(compact.to_owned()), 0..compact.len()))
    }

    /// [`Jws::parse`] of `text[range]`, keeping `text` shared rather than copying the range.
    pub(crate) fn parse_within(
        text: &Arc<String>,
        range: std::ops::Range<usize>,
        budget: &Budget,
        part: JwtPart,
    ) -> Result<Self, VcError> {
        let compact = text.get(range.clone()).unwrap_or_default();
        let read = Self::read(compact, budget, part)?;
        Ok(read.keep(Arc::clone(text), range))
    }

    fn read(compact: &str, budget: &Budget, part: JwtPart) -> Result<Read, VcError> {
        let malformed = |reason| VcError::MalformedJwt {
            part: part.label(),
            reason,
        };
        let mut pieces = compact.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (pieces.next(), pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(malformed("a compact JWS has exactly three segments"));
        };
        // Header, payload and signature are decoded in turn into the thread's buffer; the
        // signature, 64 bytes for both algorithms, is then copied inline.
        let (header, payload, signature) = crate::scratch::with_bytes(|decoded| {
            base64url::decode_into(h, decoded)
                .map_err(|()| malformed("header is not base64url"))?;
            let header_len = decoded.len();
            base64url::decode_into(p, decoded)
                .map_err(|()| malformed("payload is not base64url"))?;
            let payload_end = decoded.len();
            base64url::decode_into(s, decoded)
                .map_err(|()| malformed("signature is not base64url"))?;
            let (header_and_payload, signature) = decoded.split_at(payload_end);
            let signature = match signature.len() {
                0 => return Err(malformed("the signature is empty")),
                // Another length verifies under no key.
                _ => <[u8; 64]>::try_from(signature).ok(),
            };
            let (header_json, payload_json) = header_and_payload.split_at(header_len);
            let header =
                json::parse_object(header_json, budget.max_json_depth, part.header_label())?;
            let payload =
                json::parse_object(payload_json, budget.max_json_depth, part.payload_label())?;
            Ok((header, payload, signature))
        })?;
        Ok(Read {
            signing_input_len: h.len() + 1 + p.len(),
            header,
            payload,
            signature,
            part,
        })
    }

    /// The exact compact text received.
    pub fn as_str(&self) -> &str {
        self.text.get(self.start..self.end).unwrap_or_default()
    }

    /// The protected header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// A string member of the header.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        json::member(&self.header, name).and_then(Value::as_str)
    }

    /// The payload, before its signature is checked: use it only to find which key to check with.
    pub fn unverified_payload(&self) -> &Map<String, Value> {
        &self.payload
    }

    /// Checks the signature with `key`, which the caller chose from its own trust configuration.
    ///
    /// RFC 8725 §3.1: the header's `alg` must be in `allowed` and must be the key's own algorithm;
    /// `none` is never allowed; header members that name keys (`jwk`, `x5c`, `jku`, `x5u`) or
    /// demand extensions (`crit`) are refused. Ed25519 uses `verify_strict`, which rejects
    /// small-order keys and non-canonical signatures.
    pub fn verify(
        &self,
        key: &VerificationKey,
        allowed: &[Algorithm],
    ) -> Result<&Map<String, Value>, VcError> {
        self.check_header(key, allowed)?;
        if self.checked_under(key) {
            return Ok(&self.payload);
        }
        self.check_signature(key)
    }

    /// Whether this JWS's signature was found valid under `key` with others' (`paired`).
    fn checked_under(&self, key: &VerificationKey) -> bool {
        match key {
            VerificationKey::Ed25519(k) => self.paired.get() == Some(k.verifying_key().as_bytes()),
            VerificationKey::Es256(_) => false,
        }
    }

    /// [`Jws::verify`] of this JWS under `key` and, in the same computation, of the signature of
    /// `other` under `other_key`: a presentation's issuer JWT and KB-JWT, two Ed25519 signatures
    /// checked at about 0.7 of two checks' cost (`dojang_did::PublicJwk::verify_strict_pair`,
    /// which makes `verify_strict`'s decisions but in one case that takes both private keys).
    /// Answers for this JWS only. When both signatures are valid, `other` remembers it, and its
    /// own [`Jws::verify`] under `other_key` then makes the header checks only; in every other
    /// case (another algorithm, `other`'s header refused, either signature invalid) `other` is
    /// left as it was and this JWS is checked alone.
    pub fn verify_paired(
        &self,
        key: &VerificationKey,
        allowed: &[Algorithm],
        other: &Jws,
        other_key: &VerificationKey,
    ) -> Result<&Map<String, Value>, VcError> {
        if self.checked_under(key) {
            // Found valid with others already ([`Jws::verify_many`]); `other` too, or it is
            // checked alone by its own `verify`.
            return self.verify(key, allowed);
        }
        self.check_header(key, allowed)?;
        if let (
            VerificationKey::Ed25519(k),
            VerificationKey::Ed25519(other_k),
            Some(sig),
            Some(other_sig),
            Ok(()),
        ) = (
            key,
            other_key,
            self.signature,
            other.signature,
            other.check_header(other_key, allowed),
        ) {
            if k.verify_strict_pair(
                self.signing_input(),
                &Signature::from_bytes(&sig),
                other_k,
                other.signing_input(),
                &Signature::from_bytes(&other_sig),
                &mut rand::thread_rng(),
            ) {
                // A second pairing under another key would find the same: keep the first.
                let _ = other.paired.set(*other_k.verifying_key().as_bytes());
                return Ok(&self.payload);
            }
        }
        self.check_signature(key)
    }

    /// [`Jws::verify`] of each JWS under its key, with the Ed25519 signatures checked
    /// [`VERIFY_BATCH`] at a time in one computation (`dojang_did::ed25519::verify_strict_batch`:
    /// `verify_strict`'s decisions but in one case that takes the signers' private keys). A
    /// batch that fails is checked one by one, so each answer is the one `verify` gives. For an
    /// auditor re-checking many credentials, and a verifier checking the presentations that
    /// arrived together; one answer per item, in order. Each JWS found valid under an Ed25519
    /// key remembers it, so that its [`Jws::verify`] under that key then makes the header checks
    /// only.
    pub fn verify_many(
        items: &[(&Jws, &VerificationKey)],
        allowed: &[Algorithm],
    ) -> Vec<Result<(), VcError>> {
        let mut answers: Vec<Result<(), VcError>> = items
            .iter()
            .map(|(jws, key)| jws.check_header(key, allowed))
            .collect();
        // (index, key, signature) of each Ed25519 signature whose header passed.
        let mut batchable = Vec::with_capacity(items.len());
        for (i, (jws, key)) in items.iter().enumerate() {
            if answers[i].is_err() {
                continue;
            }
            match (key, jws.signature) {
                (VerificationKey::Ed25519(k), Some(sig)) => {
                    batchable.push((i, k.verifying_key(), Signature::from_bytes(&sig)));
                }
                _ => answers[i] = jws.check_signature(key).map(|_| ()),
            }
        }
        let mut rng = rand::thread_rng();
        for chunk in batchable.chunks(VERIFY_BATCH) {
            let signed: Vec<dojang_did::ed25519::Signed<'_>> = chunk
                .iter()
                .map(|(i, k, sig)| (*k, items[*i].0.signing_input(), sig))
                .collect();
            let all_valid = dojang_did::ed25519::verify_strict_batch(&signed, &mut rng);
            for (i, k, _) in chunk {
                let (jws, key) = items[*i];
                if !all_valid {
                    answers[*i] = jws.check_signature(key).map(|_| ());
                }
                if answers[*i].is_ok() {
                    // A second key for one JWS would find the same: keep the first.
                    let _ = jws.paired.set(*k.as_bytes());
                }
            }
        }
        answers
    }

    /// The bytes signed: `header.payload` as received.
    fn signing_input(&self) -> &[u8] {
        &self.as_str().as_bytes()[..self.signing_input_len]
    }

    /// The signature under `key`, alone.
    fn check_signature(&self, key: &VerificationKey) -> Result<&Map<String, Value>, VcError> {
        if self
            .signature
            .is_some_and(|sig| key.verify_signature(self.signing_input(), &sig))
        {
            Ok(&self.payload)
        } else {
            Err(match self.part {
                JwtPart::Issuer => VcError::SignatureInvalid,
                JwtPart::KeyBinding => VcError::KbSignatureInvalid,
            })
        }
    }

    /// RFC 8725 §3.1's header rules of [`Jws::verify`].
    fn check_header(&self, key: &VerificationKey, allowed: &[Algorithm]) -> Result<(), VcError> {
        let alg = self.header_str("alg").unwrap_or("");
        if !allowed.iter().any(|a| a.name() == alg) {
            return Err(VcError::AlgNotAllowed {
                alg: alg.to_owned(),
            });
        }
        if key.algorithm().name() != alg {
            return Err(VcError::AlgKeyMismatch {
                alg: alg.to_owned(),
                key_alg: key.algorithm().name(),
            });
        }
        // The header has a few members: comparing their names costs less than hashing each
        // forbidden name for a lookup. The first forbidden name present, in the list's order.
        if let Some(member) = FORBIDDEN_HEADER_MEMBERS
            .iter()
            .find(|m| self.header.keys().any(|k| k == **m))
        {
            return Err(VcError::ForbiddenHeader { member });
        }
        Ok(())
    }
}

/// Signs `header` and `payload` (serialized once, compactly) as a compact EdDSA JWS.
/// The header's `alg` is set to `EdDSA`.
pub fn sign_eddsa<S>(
    header: &Map<String, Value>,
    payload: &Map<String, Value>,
    signer: &S,
) -> Result<String, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    let mut header = header.clone();
    header.insert("alg".into(), Value::from("EdDSA"));
    let header_json = serde_json::to_vec(&header).map_err(|_| VcError::SigningFailed)?;
    let payload_json = serde_json::to_vec(payload).map_err(|_| VcError::SigningFailed)?;
    sign_eddsa_raw(&header_json, &payload_json, signer)
}

/// Signs exact header and payload bytes as a compact EdDSA JWS (RFC 7515 §5.1).
pub fn sign_eddsa_raw<S>(header: &[u8], payload: &[u8], signer: &S) -> Result<String, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    let mut out = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let sig = signer
        .try_sign(out.as_bytes())
        .map_err(|_| VcError::SigningFailed)?;
    out.push('.');
    out.push_str(&B64.encode(sig.to_bytes()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_did::PrivateJwk;

    fn key() -> PrivateJwk {
        PrivateJwk::generate()
    }

    /// `verify_paired` answers for the first JWS as `verify` does; the second is spared its
    /// signature check only under the key it was found valid with, and keeps its header rules.
    #[test]
    fn verify_paired_answers_as_two_verify_calls() {
        let (issuer, holder, stranger) = (key(), key(), key());
        let allowed = [Algorithm::EdDSA];
        let mut claims = Map::new();
        claims.insert("n".into(), Value::from(1));
        let signed = |k: &PrivateJwk, part| {
            let compact = sign_eddsa(&Map::new(), &claims, k.signing_key()).unwrap();
            Jws::parse(&compact, &Budget::default(), part).unwrap()
        };
        let [ik, hk, sk] =
            [&issuer, &holder, &stranger].map(|k| VerificationKey::Ed25519(k.public()));
        let code = |r: Result<&Map<String, Value>, VcError>| r.unwrap_err().code();

        let iss = signed(&issuer, JwtPart::Issuer);
        let kb = signed(&holder, JwtPart::KeyBinding);
        assert_eq!(iss.verify_paired(&ik, &allowed, &kb, &hk).unwrap(), &claims);
        assert_eq!(
            kb.paired.get(),
            Some(holder.public().verifying_key().as_bytes())
        );
        assert!(kb.verify(&hk, &allowed).is_ok());
        assert_eq!(code(kb.verify(&sk, &allowed)), "kb_signature_invalid");
        assert_eq!(code(kb.verify(&hk, &[Algorithm::ES256])), "alg_not_allowed");

        // A KB-JWT signed with another key: the issuer JWT verifies, the KB-JWT does not.
        let forged = signed(&stranger, JwtPart::KeyBinding);
        assert!(iss.verify_paired(&ik, &allowed, &forged, &hk).is_ok());
        assert!(forged.paired.get().is_none());
        assert_eq!(code(forged.verify(&hk, &allowed)), "kb_signature_invalid");

        // An issuer JWT signed with another key: refused, and the KB-JWT left unchecked.
        let bad = signed(&stranger, JwtPart::Issuer);
        let kb2 = signed(&holder, JwtPart::KeyBinding);
        assert_eq!(
            code(bad.verify_paired(&ik, &allowed, &kb2, &hk)),
            "signature_invalid"
        );
        assert!(kb2.paired.get().is_none());
        // The first JWS's header rules come first, as in `verify`.
        assert_eq!(
            code(iss.verify_paired(&ik, &[Algorithm::ES256], &kb2, &hk)),
            "alg_not_allowed"
        );
    }

    /// `verify_many` gives each JWS the answer `verify` gives it, across batches that pass and
    /// batches with a wrong signature, a wrong key or a refused header in them.
    #[test]
    fn verify_many_answers_as_verify_does() {
        let (a, b, stranger) = (key(), key(), key());
        let [ka, kb] = [&a, &b].map(|k| VerificationKey::Ed25519(k.public()));
        let allowed = [Algorithm::EdDSA];
        let mut owned = Vec::new();
        for i in 0..150 {
            let mut claims = Map::new();
            claims.insert("n".into(), Value::from(i));
            let mut header = Map::new();
            if i == 90 {
                header.insert("jku".into(), Value::from("https://evil.example"));
            }
            let signer = match i {
                3 | 70 => &stranger,
                _ if i % 3 == 0 => &b,
                _ => &a,
            };
            let mut compact = sign_eddsa(&header, &claims, signer.signing_key()).unwrap();
            if i == 149 {
                // The last character carries two bits of the signature: one of A, Q, g, w.
                let last = compact.pop().unwrap();
                compact.push(if last == 'A' { 'Q' } else { 'A' });
            }
            let jws = Jws::parse(&compact, &Budget::default(), JwtPart::Issuer).unwrap();
            // The key each is checked with: b's for every third, a's for the others.
            let key = if i % 3 == 0 { &kb } else { &ka };
            owned.push((jws, key));
        }
        let items: Vec<(&Jws, &VerificationKey)> = owned.iter().map(|(j, k)| (j, *k)).collect();
        // Checked one by one first, on copies (a check marks nothing but what it found valid).
        let alone: Vec<Result<(), VcError>> = owned
            .iter()
            .map(|(j, k)| j.clone().verify(k, &allowed).map(|_| ()))
            .collect();
        let many = Jws::verify_many(&items, &allowed);
        let codes = |r: &Result<(), VcError>| r.as_ref().err().map(VcError::code);
        let mut refused = Vec::new();
        let sk = VerificationKey::Ed25519(stranger.public());
        for (i, ((jws, key), answer)) in items.iter().zip(&many).enumerate() {
            assert_eq!(codes(answer), codes(&alone[i]), "item {i}");
            let VerificationKey::Ed25519(k) = key else {
                unreachable!()
            };
            if answer.is_err() {
                refused.push(i);
                assert!(jws.paired.get().is_none(), "item {i}");
            } else {
                // Marked under its key only: `verify` under another key still checks.
                assert_eq!(jws.paired.get(), Some(k.verifying_key().as_bytes()));
                assert!(jws.verify(key, &allowed).is_ok());
                assert_eq!(
                    jws.verify(&sk, &allowed).unwrap_err().code(),
                    "signature_invalid"
                );
            }
        }
        assert_eq!(refused, [3, 70, 90, 149]);
    }

    #[test]
    fn verify_refuses_alg_outside_allow_list_and_none() {
        let k = key();
        let jws = sign_eddsa(&Map::new(), &Map::new(), k.signing_key()).unwrap();
        let parsed = Jws::parse(&jws, &Budget::default(), JwtPart::Issuer).unwrap();
        let vk = VerificationKey::Ed25519(k.public());
        assert!(parsed.verify(&vk, &[Algorithm::EdDSA]).is_ok());
        assert_eq!(
            parsed.verify(&vk, &[Algorithm::ES256]).unwrap_err().code(),
            "alg_not_allowed"
        );
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none"}"#),
            B64.encode(b"{}")
        );
        assert_eq!(
            Jws::parse(&none, &Budget::default(), JwtPart::Issuer)
                .unwrap_err()
                .code(),
            "malformed_jwt"
        );
    }

    #[test]
    fn forbidden_header_members_refused() {
        let k = key();
        let mut h = Map::new();
        h.insert("jwk".into(), k.public().to_json());
        let jws = sign_eddsa(&h, &Map::new(), k.signing_key()).unwrap();
        let parsed = Jws::parse(&jws, &Budget::default(), JwtPart::Issuer).unwrap();
        let err = parsed
            .verify(&VerificationKey::Ed25519(k.public()), &[Algorithm::EdDSA])
            .unwrap_err();
        assert_eq!(err, VcError::ForbiddenHeader { member: "jwk" });
    }

    #[test]
    fn wrong_key_and_flipped_byte_fail() {
        let k = key();
        let jws = sign_eddsa(&Map::new(), &Map::new(), k.signing_key()).unwrap();
        let parsed = Jws::parse(&jws, &Budget::default(), JwtPart::KeyBinding).unwrap();
        let other = VerificationKey::Ed25519(key().public());
        assert_eq!(
            parsed.verify(&other, &[Algorithm::EdDSA]).unwrap_err(),
            VcError::KbSignatureInvalid
        );
    }

    #[test]
    fn signatures_of_other_lengths_fail_and_bad_base64_is_malformed() {
        let k = key();
        let jws = sign_eddsa(&Map::new(), &Map::new(), k.signing_key()).unwrap();
        let (input, _) = jws.rsplit_once('.').unwrap();
        let vk = VerificationKey::Ed25519(k.public());
        for len in [1, 63, 65, 200] {
            let forged = format!("{input}.{}", B64.encode(vec![7u8; len]));
            let parsed = Jws::parse(&forged, &Budget::default(), JwtPart::Issuer).unwrap();
            assert_eq!(
                parsed.verify(&vk, &[Algorithm::EdDSA]).unwrap_err(),
                VcError::SignatureInvalid,
                "{len}"
            );
        }
        for bad in ["a", "!!!!", &format!("{}=", B64.encode([1u8; 64]))] {
            let forged = format!("{input}.{bad}");
            assert_eq!(
                Jws::parse(&forged, &Budget::default(), JwtPart::Issuer)
                    .unwrap_err()
                    .code(),
                "malformed_jwt",
                "{bad}"
            );
        }
    }

    #[test]
    fn es256_key_rejects_eddsa_header() {
        let jwk = serde_json::json!({"kty":"EC","crv":"P-256",
            "x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
            "y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"});
        let vk = VerificationKey::from_jwk(&jwk).unwrap();
        let k = key();
        let jws = sign_eddsa(&Map::new(), &Map::new(), k.signing_key()).unwrap();
        let parsed = Jws::parse(&jws, &Budget::default(), JwtPart::Issuer).unwrap();
        assert_eq!(
            parsed
                .verify(&vk, &[Algorithm::EdDSA, Algorithm::ES256])
                .unwrap_err()
                .code(),
            "alg_key_mismatch"
        );
    }
}
