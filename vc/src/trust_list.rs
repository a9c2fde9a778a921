//! The accreditation trust list: a JWT (`typ: trustlist+jwt`) signed by the root authority
//! (행정안전부), naming the issuers a verifier may accept, for which credential types, with which
//! keys and when, and the relying parties with the claims each may ask for. `specs/trust-model.md`
//! describes the model; this module is its format and its checks, with no I/O.
//!
//! [`verify_trust_list`] checks, in order:
//! 1. the compact JWS parses (strict JSON: duplicate member names refused at every depth);
//! 2. header `typ` is `trustlist+jwt`;
//! 3. the signature is the pinned root key's, EdDSA only (the token names neither key nor
//!    algorithm that is used: both come from the caller);
//! 4. the payload decodes as a [`TrustList`], unknown members refused;
//! 5. issuers plus relying parties stay within [`Budget::max_trust_list_entries`];
//! 6. `exp` has not passed;
//! 7. `seq` is not older than the newest the verifier has already seen (rollback);
//! 8. the list is well formed ([`TrustList::validate`]).
//!
//! Only then is a [`VerifiedTrustList`] built, and only this module can build one: code that
//! decides trust takes `&VerifiedTrustList`, never a raw list.

use std::collections::{BTreeMap, BTreeSet};

use dojang_did::{Did, DidUrl, OfflineResolver, PublicJwk, Resolver};
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jws::{sign_eddsa, Algorithm, Jws, JwtPart, VerificationKey};
use crate::{Budget, VcError};

/// The media type of a trust list JWT (its header `typ`).
pub const TRUST_LIST_TYP: &str = "trustlist+jwt";

/// The payload of a trust list, as the root authority signs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustList {
    /// The root authority's identifier, a DID, e.g. `did:web:mois.example`.
    pub iss: String,
    /// The list's sequence number: each publication is one higher than the last. A verifier never
    /// accepts a lower number than one it has seen (rollback protection).
    pub seq: u64,
    /// When the list was signed, seconds since the epoch.
    pub iat: i64,
    /// When the list stops being valid, seconds since the epoch; a verifier refuses it from then on.
    pub exp: i64,
    /// The accredited issuers (agencies), each DID at most once.
    pub issuers: Vec<AccreditedIssuer>,
    /// The relying parties (banks, offices) and what each may ask for, each id at most once.
    pub relying_parties: Vec<RelyingParty>,
}

/// Whether an issuer's accreditation is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccreditationStatus {
    /// Credentials of the accredited types are accepted (keys permitting).
    Active,
    /// Nothing from this issuer is accepted, whenever it was issued.
    Suspended,
}

impl AccreditationStatus {
    /// `active` or `suspended`, as written in the list.
    pub fn as_str(self) -> &'static str {
        match self {
            AccreditationStatus::Active => "active",
            AccreditationStatus::Suspended => "suspended",
        }
    }
}

/// An agency accredited to issue some credential types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccreditedIssuer {
    /// The agency's DID, the `iss` of its credentials: a did:web (`did:web:jongno.example`);
    /// did:key and did:jwk are allowed too (their key is then the DID's own key).
    pub did: String,
    /// The agency's name in Korean, e.g. `서울특별시 종로구청`.
    pub name_ko: String,
    /// The agency's name in English, e.g. `Jongno-gu Office, Seoul`.
    pub name_en: String,
    /// Whether the accreditation is active or suspended.
    pub status: AccreditationStatus,
    /// The credential types (`vct`) this issuer may issue; nothing else from it is accepted.
    pub vcts: Vec<String>,
    /// The issuer's signing keys, each with the window in which it may sign.
    pub keys: Vec<IssuerKey>,
    /// The URI under which the issuer publishes its status lists, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list_base: Option<String>,
}

/// One signing key of an accredited issuer, and when it may sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerKey {
    /// The key id: a DID URL of the issuer's DID (`did:web:jongno.example#key-1`), as the
    /// credential header's `kid` names it.
    pub kid: String,
    /// The public key: an OKP / Ed25519 JWK without private members.
    pub jwk: Value,
    /// The first second at which a credential's `iat` may fall for this key (inclusive).
    pub not_before: i64,
    /// The second from which this key no longer signs (exclusive); `None`: still in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
}

impl IssuerKey {
    /// Whether `at` falls in `[not_before, not_after)`.
    pub fn valid_at(&self, at: i64) -> bool {
        at >= self.not_before && self.not_after.is_none_or(|end| at < end)
    }
}

/// A relying party (a bank, an office) and the claims it may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelyingParty {
    /// The relying party's identifier, e.g. `https://bank.example`.
    pub id: String,
    /// Its name in Korean.
    pub name_ko: String,
    /// Its name in English.
    pub name_en: String,
    /// The public keys (OKP / Ed25519 JWKs) it signs its presentation requests with.
    pub keys: Vec<Value>,
    /// Per credential type (`vct`), the claim paths it may ask for (`name`, `address`, `rrn`,
    /// `members.0.name`): a path covers everything beneath it. Only an institution with a legal
    /// basis is entitled to `rrn`.
    pub entitlements: BTreeMap<String, Vec<String>>,
}

impl RelyingParty {
    /// Whether this relying party may ask for `claim_path` of a credential of type `vct`: the path
    /// itself, or anything beneath an entitled path, is allowed.
    pub fn entitled(&self, vct: &str, claim_path: &str) -> bool {
        self.entitlements.get(vct).is_some_and(|paths| {
            paths.iter().any(|p| {
                claim_path == p
                    || claim_path
                        .strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        })
    }
}

impl TrustList {
    /// Checks that the list is well formed (step 8 of [`verify_trust_list`], also run before
    /// signing): `iss` is a DID; `iat < exp`; every issuer DID is a did:web, did:key or did:jwk
    /// and appears once; names and types are non-empty; every key is a public Ed25519 JWK whose
    /// `kid` is a DID URL of its issuer's DID (for did:key and did:jwk, the DID's own key), kids
    /// are unique per issuer, and every window has `not_before < not_after`; relying-party ids
    /// are unique, their keys public Ed25519 JWKs, their entitlements non-empty paths.
    pub fn validate(&self) -> Result<(), VcError> {
        let invalid = |reason: String| VcError::TrustListInvalid { reason };
        Did::parse(&self.iss).map_err(|e| invalid(format!("iss `{}`: {e}", self.iss)))?;
        if self.iat >= self.exp {
            return Err(invalid(format!(
                "iat {} is not before exp {}",
                self.iat, self.exp
            )));
        }
        let mut dids = BTreeSet::new();
        for issuer in &self.issuers {
            check_issuer(issuer)?;
            if !dids.insert(issuer.did.as_str()) {
                return Err(invalid(format!("issuer `{}` is listed twice", issuer.did)));
            }
        }
        let mut ids = BTreeSet::new();
        for rp in &self.relying_parties {
            check_relying_party(rp)?;
            if !ids.insert(rp.id.as_str()) {
                return Err(invalid(format!(
                    "relying party `{}` is listed twice",
                    rp.id
                )));
            }
        }
        Ok(())
    }
}

fn check_issuer(issuer: &AccreditedIssuer) -> Result<(), VcError> {
    let did_text = &issuer.did;
    let invalid = |what: String| VcError::TrustListInvalid {
        reason: format!("issuer `{did_text}`: {what}"),
    };
    let did = Did::parse(did_text).map_err(|e| invalid(e.to_string()))?;
    if !matches!(did.method(), "web" | "key" | "jwk") {
        return Err(invalid(format!(
            "method `{}` is not accepted (did:web, did:key, did:jwk)",
            did.method()
        )));
    }
    if issuer.name_ko.trim().is_empty() || issuer.name_en.trim().is_empty() {
        return Err(invalid("name_ko and name_en must not be empty".into()));
    }
    let mut vcts = BTreeSet::new();
    for vct in &issuer.vcts {
        if vct.trim().is_empty() {
            return Err(invalid("an accredited vct is empty".into()));
        }
        if !vcts.insert(vct.as_str()) {
            return Err(invalid(format!("vct `{vct}` is listed twice")));
        }
    }
    if let Some(base) = &issuer.status_list_base {
        if !looks_like_uri(base) {
            return Err(invalid(format!(
                "status_list_base `{base}` is not an absolute URI"
            )));
        }
    }
    let mut kids = BTreeSet::new();
    for key in &issuer.keys {
        let jwk = PublicJwk::from_json(&key.jwk)
            .map_err(|e| invalid(format!("key `{}`: {e}", key.kid)))?;
        let url =
            DidUrl::parse(&key.kid).map_err(|e| invalid(format!("kid `{}`: {e}", key.kid)))?;
        if url.did() != &did || url.fragment().is_none() {
            return Err(invalid(format!(
                "kid `{}` is not a DID URL of the issuer's DID",
                key.kid
            )));
        }
        if matches!(did.method(), "key" | "jwk") {
            // The DID is the key: the listed key must be the one the identifier encodes.
            let own = OfflineResolver::new()
                .resolve_assertion_key(&url)
                .map_err(|e| invalid(format!("kid `{}`: {e}", key.kid)))?;
            if own != jwk {
                return Err(invalid(format!(
                    "key `{}` is not the key of its DID",
                    key.kid
                )));
            }
        }
        if let Some(end) = key.not_after {
            if end <= key.not_before {
                return Err(invalid(format!(
                    "key `{}`: not_after {end} is not after not_before {}",
                    key.kid, key.not_before
                )));
            }
        }
        if !kids.insert(key.kid.as_str()) {
            return Err(invalid(format!("kid `{}` is listed twice", key.kid)));
        }
    }
    Ok(())
}

fn check_relying_party(rp: &RelyingParty) -> Result<(), VcError> {
    let invalid = |what: String| VcError::TrustListInvalid {
        reason: format!("relying party `{}`: {what}", rp.id),
    };
    if !looks_like_uri(&rp.id) {
        return Err(invalid("the id is not an absolute URI".into()));
    }
    if rp.name_ko.trim().is_empty() || rp.name_en.trim().is_empty() {
        return Err(invalid("name_ko and name_en must not be empty".into()));
    }
    for jwk in &rp.keys {
        PublicJwk::from_json(jwk).map_err(|e| invalid(format!("request-signing key: {e}")))?;
    }
    for (vct, paths) in &rp.entitlements {
        if vct.trim().is_empty() {
            return Err(invalid("an entitlement names an empty vct".into()));
        }
        if paths.is_empty() {
            return Err(invalid(format!("the entitlement for `{vct}` is empty")));
        }
        if let Some(bad) = paths
            .iter()
            .find(|p| p.is_empty() || p.split('.').any(str::is_empty))
        {
            return Err(invalid(format!(
                "claim path `{bad}` for `{vct}` is not a path"
            )));
        }
    }
    Ok(())
}

/// `scheme:rest`, the scheme per RFC 3986 §3.1, no white space: enough to refuse a typo without
/// parsing URIs in full.
fn looks_like_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(char::is_whitespace)
}

/// Signs `list` as a trust list JWT: header `typ: trustlist+jwt`, `alg: EdDSA`, `kid`. The list
/// is checked with [`TrustList::validate`] first: a malformed list is never signed.
pub fn sign_trust_list<S>(list: &TrustList, kid: &str, signer: &S) -> Result<String, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    list.validate()?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(TRUST_LIST_TYP));
    header.insert("kid".into(), Value::from(kid));
    let payload = match serde_json::to_value(list) {
        Ok(Value::Object(map)) => map,
        _ => return Err(VcError::SigningFailed),
    };
    sign_eddsa(&header, &payload, signer)
}

/// A trust list whose signature, freshness, sequence and form have been checked. Only
/// [`verify_trust_list`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedTrustList {
    list: TrustList,
    /// Parsed keys, `keys[i][j]` for `list.issuers[i].keys[j]`.
    keys: Vec<Vec<PublicJwk>>,
    /// Issuer DID → index in `list.issuers`.
    by_did: BTreeMap<String, usize>,
    root_thumbprint: String,
}

/// Verifies a trust list JWT against the pinned root key (see the module docs for the steps).
///
/// `now` is the verifier's clock; `newest_seen_seq` the highest `seq` this verifier has accepted
/// before (a lower one is a rollback; the same one is accepted again).
pub fn verify_trust_list(
    token: &str,
    root: &PublicJwk,
    now: i64,
    newest_seen_seq: Option<u64>,
    budget: &Budget,
) -> Result<VerifiedTrustList, VcError> {
    // 1. Parse, strict JSON.
    let jws = Jws::parse(token.trim(), budget, JwtPart::Issuer).map_err(relabel)?;
    // 2. typ decides how the token is read: checked before anything else.
    match jws.header_str("typ") {
        Some(TRUST_LIST_TYP) => {}
        other => {
            return Err(VcError::TypInvalid {
                expected: TRUST_LIST_TYP,
                found: other.map(str::to_owned),
            })
        }
    }
    // 3. The pinned root key, EdDSA only (RFC 8725 §3.1).
    let payload = jws
        .verify(&VerificationKey::Ed25519(*root), &[Algorithm::EdDSA])
        .map_err(|e| match e {
            VcError::SignatureInvalid => VcError::TrustListSignatureInvalid,
            other => other,
        })?;
    // 4. Decode, unknown members refused.
    let list: TrustList = serde_json::from_value(Value::Object(payload.clone())).map_err(|e| {
        VcError::TrustListInvalid {
            reason: e.to_string(),
        }
    })?;
    // 5. Entry budget.
    Budget::check(
        "trust_list_entries",
        budget.max_trust_list_entries,
        list.issuers
            .len()
            .saturating_add(list.relying_parties.len()),
    )?;
    // 6. Expiry (RFC 7519 §4.1.4: not accepted on or after exp).
    if now >= list.exp {
        return Err(VcError::TrustListExpired { exp: list.exp, now });
    }
    // 7. Rollback: never older than what was already seen.
    if let Some(seen) = newest_seen_seq {
        if list.seq < seen {
            return Err(VcError::TrustListRollback {
                seq: list.seq,
                seen,
            });
        }
    }
    // 8. Well-formedness.
    list.validate()?;
    let mut keys = Vec::with_capacity(list.issuers.len());
    let mut by_did = BTreeMap::new();
    for (i, issuer) in list.issuers.iter().enumerate() {
        let parsed = issuer
            .keys
            .iter()
            .map(|k| PublicJwk::from_json(&k.jwk))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| VcError::TrustListInvalid {
                reason: format!("issuer `{}`: {e}", issuer.did),
            })?;
        keys.push(parsed);
        by_did.insert(issuer.did.clone(), i);
    }
    Ok(VerifiedTrustList {
        list,
        keys,
        by_did,
        root_thumbprint: root.thumbprint(),
    })
}

/// Names the trust list, not the issuer JWT, in the errors of the shared JWS parser.
fn relabel(e: VcError) -> VcError {
    let part = |p: &'static str| {
        if p.ends_with("header") {
            "trust list header"
        } else if p.ends_with("payload") {
            "trust list payload"
        } else {
            "trust list"
        }
    };
    match e {
        VcError::MalformedJwt { part: p, reason } => VcError::MalformedJwt {
            part: part(p),
            reason,
        },
        VcError::MalformedJson { part: p, reason } => VcError::MalformedJson {
            part: part(p),
            reason,
        },
        VcError::DuplicateJsonKey { part: p, key } => {
            VcError::DuplicateJsonKey { part: part(p), key }
        }
        other => other,
    }
}

impl VerifiedTrustList {
    /// The root authority's identifier (`iss`).
    pub fn iss(&self) -> &str {
        &self.list.iss
    }

    /// The list's sequence number.
    pub fn seq(&self) -> u64 {
        self.list.seq
    }

    /// When the list was signed.
    pub fn iat(&self) -> i64 {
        self.list.iat
    }

    /// When the list expires.
    pub fn exp(&self) -> i64 {
        self.list.exp
    }

    /// The RFC 7638 thumbprint of the root key the list was verified with.
    pub fn root_thumbprint(&self) -> &str {
        &self.root_thumbprint
    }

    /// The verified list's content.
    pub fn list(&self) -> &TrustList {
        &self.list
    }

    /// The issuer with this DID, whatever its status.
    pub fn issuer(&self, did: &str) -> Option<&AccreditedIssuer> {
        self.by_did.get(did).and_then(|&i| self.list.issuers.get(i))
    }

    /// The key to verify a credential of type `vct` from `iss`, signed at `at` (its `iat`), with
    /// the header's `kid` if any. In order:
    /// - `iss` not listed: [`VcError::UntrustedIssuer`];
    /// - suspended: [`VcError::IssuerSuspended`];
    /// - not accredited for `vct`: [`VcError::IssuerNotAccredited`];
    /// - `kid` not among its keys, or with no `kid` not exactly one key valid at `at`:
    ///   [`VcError::IssuerKeyUnknown`];
    /// - the key's window does not contain `at`: [`VcError::KeyNotValidAt`].
    pub fn issuer_key(
        &self,
        iss: &str,
        kid: Option<&str>,
        vct: &str,
        at: i64,
    ) -> Result<(&AccreditedIssuer, &IssuerKey, PublicJwk), VcError> {
        let (issuer, _) = self.entry(iss)?;
        if issuer.status == AccreditationStatus::Suspended {
            return Err(VcError::IssuerSuspended {
                iss: iss.to_owned(),
            });
        }
        if !issuer.vcts.iter().any(|v| v == vct) {
            return Err(VcError::IssuerNotAccredited {
                iss: iss.to_owned(),
                vct: vct.to_owned(),
            });
        }
        self.signing_key(iss, kid, at)
    }

    /// The listed key of `iss` named by `kid` (or the only one valid at `at`), valid at `at`,
    /// for tokens that are not credentials: status lists and log checkpoints. A suspended
    /// issuer's keys still count here, so that its revocations keep working.
    pub fn signing_key(
        &self,
        iss: &str,
        kid: Option<&str>,
        at: i64,
    ) -> Result<(&AccreditedIssuer, &IssuerKey, PublicJwk), VcError> {
        let (issuer, parsed) = self.entry(iss)?;
        let unknown = |reason: String| VcError::IssuerKeyUnknown {
            iss: iss.to_owned(),
            reason,
        };
        let position = match kid {
            Some(kid) => issuer
                .keys
                .iter()
                .position(|k| k.kid == kid)
                .ok_or_else(|| unknown(format!("kid `{kid}` is not on the trust list")))?,
            None => {
                let mut valid = issuer
                    .keys
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| k.valid_at(at))
                    .map(|(i, _)| i);
                match (valid.next(), valid.next()) {
                    (Some(i), None) => i,
                    (None, _) => {
                        return Err(unknown(format!("no listed key is valid at {at}")));
                    }
                    (Some(_), Some(_)) => {
                        return Err(unknown(format!(
                            "several listed keys are valid at {at}: the token must name its kid"
                        )));
                    }
                }
            }
        };
        let (Some(key), Some(jwk)) = (issuer.keys.get(position), parsed.get(position)) else {
            return Err(unknown("the listed key could not be read".into()));
        };
        if !key.valid_at(at) {
            return Err(VcError::KeyNotValidAt {
                kid: key.kid.clone(),
                at,
            });
        }
        Ok((issuer, key, *jwk))
    }

    fn entry(&self, iss: &str) -> Result<(&AccreditedIssuer, &Vec<PublicJwk>), VcError> {
        let untrusted = || VcError::UntrustedIssuer {
            iss: iss.to_owned(),
        };
        let index = *self.by_did.get(iss).ok_or_else(untrusted)?;
        match (self.list.issuers.get(index), self.keys.get(index)) {
            (Some(issuer), Some(parsed)) => Ok((issuer, parsed)),
            _ => Err(untrusted()),
        }
    }

    /// The relying party with this id.
    pub fn relying_party(&self, id: &str) -> Option<&RelyingParty> {
        self.list.relying_parties.iter().find(|rp| rp.id == id)
    }

    /// Whether relying party `rp_id` is listed and may ask for `claim_path` of a credential of
    /// type `vct` (see [`RelyingParty::entitled`]).
    pub fn entitled(&self, rp_id: &str, vct: &str, claim_path: &str) -> bool {
        self.relying_party(rp_id)
            .is_some_and(|rp| rp.entitled(vct, claim_path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_shape() {
        assert!(looks_like_uri("https://bank.example"));
        assert!(looks_like_uri("urn:x"));
        assert!(!looks_like_uri("bank.example"));
        assert!(!looks_like_uri("https://bank example"));
        assert!(!looks_like_uri("1http://x"));
    }

    #[test]
    fn entitlement_covers_paths_beneath() {
        let rp = RelyingParty {
            id: "https://bank.example".into(),
            name_ko: "은행".into(),
            name_en: "Bank".into(),
            keys: vec![],
            entitlements: BTreeMap::from([("v".to_owned(), vec!["address".to_owned()])]),
        };
        assert!(rp.entitled("v", "address"));
        assert!(rp.entitled("v", "address.road_address"));
        assert!(!rp.entitled("v", "address_history"));
        assert!(!rp.entitled("v", "rrn"));
        assert!(!rp.entitled("w", "address"));
    }

    #[test]
    fn key_window_is_half_open() {
        let key = IssuerKey {
            kid: "did:web:a.example#key-1".into(),
            jwk: Value::Null,
            not_before: 10,
            not_after: Some(20),
        };
        assert!(!key.valid_at(9));
        assert!(key.valid_at(10));
        assert!(key.valid_at(19));
        assert!(!key.valid_at(20));
    }
}
