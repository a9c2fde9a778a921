//! Step: status. Is the credential revoked or suspended, according to its issuer's Token Status
//! List (draft-ietf-oauth-status-list §8.3)?
//!
//! The verifier never calls the issuer here: status list tokens are fetched ahead of time (a file,
//! a periodic download, their `ttl` says how often) and verified into a [`StatusListCache`].
//! [`check`] then answers from the cache:
//!
//! 1. no `status` claim: [`StatusChecked::NotApplicable`] (the policy decides if that is enough);
//! 2. the credential's `status.status_list.{idx, uri}` is read (malformed: `invalid_claim`);
//! 3. no verified list for that URI: `status_unknown`, "cannot decide", never valid;
//! 4. the list was signed by another issuer than the credential: `status_list_wrong_issuer`;
//! 5. the list has expired, or is older than the policy's maximum age: `status_unknown`;
//! 6. the index is outside the list: `status_index_out_of_range`;
//! 7. status 1: `revoked`; 2: `suspended`; 3 (application-specific): `status_unknown`;
//!    0: [`StatusChecked::Valid`], with the list's `iat` for the provenance chain.

use std::collections::HashMap;

use dojang_vc::status_list::{self, Status, StatusList};
use dojang_vc::{Algorithm, Budget, VcError, VerificationKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::provenance::Shape;
use crate::VerifyError;

/// One verified status list token, as remembered.
#[derive(Debug, Clone)]
struct CachedList {
    list: StatusList,
    iss: String,
    iat: i64,
    exp: Option<i64>,
    ttl: Option<i64>,
    verified_at: i64,
    key: VerificationKey,
}

/// Verified status lists, by URI (the tokens' `sub`). Holds only lists whose token verified.
#[derive(Debug, Default, Clone)]
pub struct StatusListCache {
    lists: HashMap<String, CachedList>,
}

impl StatusListCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Verifies a Status List Token and keeps its list under the URI the token names (`sub`).
    ///
    /// `issuer_key` must be the key the verifier trusts for the token's `iss` (read it first with
    /// [`status_list::unverified_subject_and_issuer`] to choose the key); the token must carry
    /// `iss`, which [`check`] compares with the credential's issuer. A token older (`iat`) than
    /// the one already held for the same URI is verified and then ignored, so that replaying an
    /// old list cannot undo a revocation.
    pub fn insert_token(
        &mut self,
        token: &str,
        issuer_key: &VerificationKey,
        allowed: &[Algorithm],
        now: i64,
        budget: &Budget,
    ) -> Result<(), VcError> {
        let (sub, _) = status_list::unverified_subject_and_issuer(token, budget)?;
        // A missing or non-string `sub` is reported by verify_token, after the signature.
        let sub = sub.unwrap_or_default();
        let verified = status_list::verify_token(token, issuer_key, allowed, &sub, now, budget)?;
        let iss = verified.iss.ok_or(VcError::MissingClaim { claim: "iss" })?;
        if let Some(held) = self.lists.get(&verified.sub) {
            if held.iat > verified.iat {
                return Ok(());
            }
        }
        self.lists.insert(
            verified.sub,
            CachedList {
                list: verified.list,
                iss,
                iat: verified.iat,
                exp: verified.exp,
                ttl: verified.ttl,
                verified_at: now,
                key: issuer_key.clone(),
            },
        );
        Ok(())
    }

    /// Verifies a Status List Token with the key that `trust` holds for its issuer (named by the
    /// token's `iss` and header `kid`, valid when the token was made) and keeps it.
    pub fn insert_trusted(
        &mut self,
        token: &str,
        trust: &dyn crate::IssuerTrust,
        allowed: &[Algorithm],
        now: i64,
        budget: &Budget,
    ) -> Result<(), VcError> {
        let jws =
            dojang_vc::Jws::parse(token, budget, dojang_vc::JwtPart::Issuer).map_err(|_| {
                VcError::StatusListInvalid {
                    reason: "not a compact JWS with JSON header and payload",
                }
            })?;
        let payload = jws.unverified_payload();
        let iss = payload
            .get("iss")
            .and_then(Value::as_str)
            .ok_or(VcError::MissingClaim { claim: "iss" })?;
        let iat = payload
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(VcError::MissingClaim { claim: "iat" })?;
        let key = trust.token_key(iss, jws.header_str("kid"), iat)?;
        self.insert_token(token, &key, allowed, now, budget)
    }

    /// Lists held.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// Whether no list is held.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// The `iat` of the list held for `uri`.
    pub fn issued_at(&self, uri: &str) -> Option<i64> {
        self.lists.get(uri).map(|c| c.iat)
    }

    /// The key the list held for `uri` was verified with.
    pub fn verified_with(&self, uri: &str) -> Option<&VerificationKey> {
        self.lists.get(uri).map(|c| &c.key)
    }

    /// URIs whose copy is due for a refresh at `now` (draft §13.7): its `ttl` since it was
    /// verified has passed, or it has expired. Sorted.
    pub fn due_for_refresh(&self, now: i64) -> Vec<&str> {
        let mut due: Vec<&str> = self
            .lists
            .iter()
            .filter(|(_, c)| {
                c.ttl
                    .is_some_and(|ttl| now >= c.verified_at.saturating_add(ttl))
                    || c.exp.is_some_and(|exp| now >= exp)
            })
            .map(|(uri, _)| uri.as_str())
            .collect();
        due.sort_unstable();
        due
    }
}

/// The outcome of the status step when the credential is not refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StatusChecked {
    /// The credential has no `status` claim.
    NotApplicable,
    /// The credential's entry is 0 (valid) in its issuer's list.
    Valid {
        /// The status list.
        uri: String,
        /// The credential's index in it.
        idx: u64,
        /// When the issuer made that list: the status is as of then.
        list_iat: i64,
    },
}

/// `status` as data, member for member what `serde_json::to_value` makes of it (the test below
/// compares them), built directly; the URI moves into it.
pub(crate) fn into_data(status: StatusChecked) -> Value {
    static VALID: Shape<4> = Shape::new();
    match status {
        StatusChecked::NotApplicable => {
            let mut map = Map::with_capacity(1);
            map.insert("status".into(), Value::from("not_applicable"));
            Value::Object(map)
        }
        StatusChecked::Valid { uri, idx, list_iat } => Value::Object(VALID.object([
            ("status", Value::from("valid")),
            ("uri", Value::String(uri)),
            ("idx", Value::from(idx)),
            ("list_iat", Value::from(list_iat)),
        ])),
    }
}

/// Checks a credential's status against the verified lists in `cache` (module docs, steps 1–7).
///
/// `credential_payload` is the verified issuer-signed payload, `credential_iss` its `iss`;
/// `max_age_seconds` is the policy's limit on the list's age (`now - iat`), if any.
pub fn check(
    credential_payload: &Map<String, Value>,
    credential_iss: &str,
    cache: &StatusListCache,
    max_age_seconds: Option<i64>,
    now: i64,
) -> Result<StatusChecked, VerifyError> {
    let Some(reference) = status_list::status_reference(credential_payload)? else {
        return Ok(StatusChecked::NotApplicable);
    };
    let unknown = |reason: String| VerifyError::StatusUnknown { reason };
    let Some(held) = cache.lists.get(&reference.uri) else {
        return Err(unknown(format!(
            "no verified status list for {}",
            reference.uri
        )));
    };
    if held.iss != credential_iss {
        return Err(VerifyError::StatusListWrongIssuer {
            expected: credential_iss.to_owned(),
            found: held.iss.clone(),
        });
    }
    if let Some(exp) = held.exp {
        if now >= exp {
            return Err(unknown(format!(
                "the status list expired at {exp}, now is {now}"
            )));
        }
    }
    if let Some(max_age) = max_age_seconds {
        let age = now.saturating_sub(held.iat);
        if age > max_age {
            return Err(unknown(format!(
                "the status list is {age} s old, the policy accepts {max_age} s"
            )));
        }
    }
    let value = held
        .list
        .get(reference.idx)
        .ok_or(VcError::StatusIndexOutOfRange {
            idx: reference.idx,
            len: held.list.len(),
        })?;
    match Status::from_bits(value) {
        Status::Valid => Ok(StatusChecked::Valid {
            uri: reference.uri,
            idx: reference.idx,
            list_iat: held.iat,
        }),
        Status::Invalid => Err(VerifyError::Revoked {
            uri: reference.uri,
            idx: reference.idx,
        }),
        Status::Suspended => Err(VerifyError::Suspended {
            uri: reference.uri,
            idx: reference.idx,
        }),
        Status::Other(v) => Err(unknown(format!(
            "status value {v} is application-specific and has no meaning here"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_did::PrivateJwk;
    use serde_json::json;

    const ISS: &str = "did:example:jongno";
    const URI: &str = "https://jongno.example/status/0";
    const NOW: i64 = 1_760_000_000;
    const DAY: i64 = 86_400;

    #[test]
    fn data_is_what_serde_makes_of_the_status() {
        for status in [
            StatusChecked::NotApplicable,
            StatusChecked::Valid {
                uri: URI.into(),
                idx: 4242,
                list_iat: NOW,
            },
            StatusChecked::Valid {
                uri: String::new(),
                idx: u64::MAX,
                list_iat: -1,
            },
        ] {
            let serde = serde_json::to_value(&status).unwrap();
            let direct = into_data(status.clone());
            assert_eq!(direct, serde);
            assert_eq!(direct.to_string(), serde.to_string());
        }
    }

    fn token(key: &PrivateJwk, iss: &str, uri: &str, iat: i64, statuses: &[(u64, u8)]) -> String {
        let mut list = StatusList::new(2, 1024).unwrap();
        for &(idx, v) in statuses {
            list.set(idx, v).unwrap();
        }
        status_list::sign_token(
            iss,
            "kid",
            uri,
            iat,
            iat + DAY,
            3_600,
            &list,
            key.signing_key(),
        )
        .unwrap()
    }

    fn cache_with(key: &PrivateJwk, statuses: &[(u64, u8)]) -> StatusListCache {
        let mut cache = StatusListCache::new();
        cache
            .insert_token(
                &token(key, ISS, URI, NOW, statuses),
                &VerificationKey::Ed25519(key.public()),
                &[Algorithm::EdDSA],
                NOW,
                &Budget::default(),
            )
            .unwrap();
        cache
    }

    fn credential(idx: u64) -> Map<String, Value> {
        json!({"iss": ISS, "status": {"status_list": {"idx": idx, "uri": URI}}})
            .as_object()
            .unwrap()
            .clone()
    }

    fn code(r: Result<StatusChecked, VerifyError>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn no_status_claim_is_not_applicable() {
        let payload = json!({"iss": ISS}).as_object().unwrap().clone();
        assert_eq!(
            check(&payload, ISS, &StatusListCache::new(), None, NOW).unwrap(),
            StatusChecked::NotApplicable
        );
    }

    #[test]
    fn malformed_status_claim_is_rejected() {
        let payload = json!({"status": {"status_list": {"idx": "7", "uri": URI}}});
        let r = check(
            payload.as_object().unwrap(),
            ISS,
            &StatusListCache::new(),
            None,
            NOW,
        );
        assert_eq!(code(r), "invalid_claim");
    }

    #[test]
    fn missing_list_cannot_decide() {
        let r = check(&credential(1), ISS, &StatusListCache::new(), None, NOW);
        assert!(matches!(r, Err(VerifyError::StatusUnknown { .. })));
    }

    #[test]
    fn each_status_value() {
        let key = PrivateJwk::generate();
        let cache = cache_with(&key, &[(1, 1), (2, 2), (3, 3)]);
        assert_eq!(
            check(&credential(0), ISS, &cache, Some(DAY), NOW + 5).unwrap(),
            StatusChecked::Valid {
                uri: URI.into(),
                idx: 0,
                list_iat: NOW
            }
        );
        assert_eq!(
            check(&credential(1), ISS, &cache, None, NOW).unwrap_err(),
            VerifyError::Revoked {
                uri: URI.into(),
                idx: 1
            }
        );
        assert_eq!(
            check(&credential(2), ISS, &cache, None, NOW).unwrap_err(),
            VerifyError::Suspended {
                uri: URI.into(),
                idx: 2
            }
        );
        assert_eq!(
            code(check(&credential(3), ISS, &cache, None, NOW)),
            "status_unknown"
        );
        // The last index of the list, and one past it.
        assert!(check(&credential(1023), ISS, &cache, None, NOW).is_ok());
        assert_eq!(
            check(&credential(1024), ISS, &cache, None, NOW).unwrap_err(),
            VerifyError::Credential(VcError::StatusIndexOutOfRange {
                idx: 1024,
                len: 1024
            })
        );
        let json =
            serde_json::to_value(check(&credential(0), ISS, &cache, None, NOW).unwrap()).unwrap();
        assert_eq!(
            json,
            json!({"status": "valid", "uri": URI, "idx": 0, "list_iat": NOW})
        );
    }

    #[test]
    fn stale_or_expired_list_cannot_decide() {
        let key = PrivateJwk::generate();
        let cache = cache_with(&key, &[]);
        // Older than the policy's limit.
        assert_eq!(
            code(check(&credential(0), ISS, &cache, Some(600), NOW + 601)),
            "status_unknown"
        );
        assert!(check(&credential(0), ISS, &cache, Some(600), NOW + 600).is_ok());
        // Past the list's own exp, whatever the policy.
        assert_eq!(
            code(check(&credential(0), ISS, &cache, None, NOW + DAY)),
            "status_unknown"
        );
        assert_eq!(cache.due_for_refresh(NOW + 3_599), Vec::<&str>::new());
        assert_eq!(cache.due_for_refresh(NOW + 3_600), vec![URI]);
    }

    #[test]
    fn list_of_another_issuer_is_rejected() {
        // Another accredited issuer signs a list claiming the credential's URI.
        let other = PrivateJwk::generate();
        let mut cache = StatusListCache::new();
        cache
            .insert_token(
                &token(&other, "did:example:mapo", URI, NOW, &[]),
                &VerificationKey::Ed25519(other.public()),
                &[Algorithm::EdDSA],
                NOW,
                &Budget::default(),
            )
            .unwrap();
        assert_eq!(
            check(&credential(0), ISS, &cache, None, NOW).unwrap_err(),
            VerifyError::StatusListWrongIssuer {
                expected: ISS.into(),
                found: "did:example:mapo".into()
            }
        );
    }

    #[test]
    fn insert_refuses_bad_tokens() {
        let key = PrivateJwk::generate();
        let mut cache = StatusListCache::new();
        let wrong_key = VerificationKey::Ed25519(PrivateJwk::generate().public());
        let err = cache
            .insert_token(
                &token(&key, ISS, URI, NOW, &[]),
                &wrong_key,
                &[Algorithm::EdDSA],
                NOW,
                &Budget::default(),
            )
            .unwrap_err();
        assert_eq!(err, VcError::StatusListSignatureInvalid);
        // No `iss`: the issuer check could not be made.
        let mut header = Map::new();
        header.insert("typ".into(), json!("statuslist+jwt"));
        let payload = json!({"sub": URI, "iat": NOW,
            "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}});
        let no_iss =
            dojang_vc::jws::sign_eddsa(&header, payload.as_object().unwrap(), key.signing_key())
                .unwrap();
        let err = cache
            .insert_token(
                &no_iss,
                &VerificationKey::Ed25519(key.public()),
                &[Algorithm::EdDSA],
                NOW,
                &Budget::default(),
            )
            .unwrap_err();
        assert_eq!(err, VcError::MissingClaim { claim: "iss" });
        assert!(cache.is_empty());
    }

    #[test]
    fn an_older_list_does_not_replace_a_newer_one() {
        let key = PrivateJwk::generate();
        let vk = VerificationKey::Ed25519(key.public());
        let mut cache = StatusListCache::new();
        let b = Budget::default();
        let newer = token(&key, ISS, URI, NOW, &[(5, 1)]);
        let older = token(&key, ISS, URI, NOW - 3_600, &[]);
        cache
            .insert_token(&newer, &vk, &[Algorithm::EdDSA], NOW, &b)
            .unwrap();
        cache
            .insert_token(&older, &vk, &[Algorithm::EdDSA], NOW, &b)
            .unwrap();
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.issued_at(URI), Some(NOW));
        assert!(cache.verified_with(URI).is_some());
        assert_eq!(
            code(check(&credential(5), ISS, &cache, None, NOW)),
            "revoked"
        );
    }
}
