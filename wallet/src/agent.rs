//! The wallet as the citizen's agent: it checks a credential before keeping it, and presents only
//! the claims the citizen chose, recording every presentation.

use dojang_did::{DidUrl, OfflineResolver, Resolver};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::present::{present, Presentation};
use dojang_vc::process::{process, Processed};
use dojang_vc::trust_list::VerifiedTrustList;
use dojang_vc::{key_binding, sd_jwt_vc, Algorithm, Budget, SdJwt, VcError, VerificationKey};
use serde_json::{Map, Value};

use crate::{CredentialId, PresentationRecord, StoredCredential, Wallet, WalletError};

/// Clock skew tolerated when checking a credential on import, seconds.
const IMPORT_LEEWAY_SECONDS: i64 = 60;

impl Wallet {
    /// Checks an issued SD-JWT VC and stores it.
    ///
    /// The checks: the issuer signature (EdDSA, key resolved offline from the `iss` DID and its
    /// `kid`), `typ`, validity times, every Disclosure (RFC 9901 §7.1), and that `cnf.jwk` is this
    /// wallet's holder key: a credential bound to someone else's key is useless here and refused.
    pub fn import(
        &self,
        sd_jwt: &str,
        label: &str,
        now: i64,
    ) -> Result<(CredentialId, StoredCredential), WalletError> {
        self.import_with(sd_jwt, label, None, None, now)
    }

    /// [`Wallet::import`], taking the issuer's key from a verified trust list when one is given
    /// (did:web agencies publish their keys there, not in a DID document the wallet could
    /// fetch), and keeping the issuer's log inclusion proof beside the credential once it is
    /// checked to be this credential's.
    pub fn import_with(
        &self,
        sd_jwt: &str,
        label: &str,
        trust: Option<&VerifiedTrustList>,
        inclusion: Option<&LogInclusion>,
        now: i64,
    ) -> Result<(CredentialId, StoredCredential), WalletError> {
        let sd_jwt = sd_jwt.trim();
        let budget = Budget::default();
        let sd = SdJwt::parse(sd_jwt, &budget)?;
        if sd.key_binding().is_some() {
            return Err(VcError::MalformedSdJwt {
                reason: "this is a presentation (it has a KB-JWT), not an issued credential",
            }
            .into());
        }
        let jwt = sd.issuer_jwt();
        sd_jwt_vc::check_typ(jwt)?;
        let iss = sd_jwt_vc::issuer(jwt.unverified_payload())?.to_owned();
        let kid = sd_jwt_vc::check_kid(jwt, &iss)?;
        let unverified = jwt.unverified_payload();
        let key = match trust {
            Some(list) => {
                let vct = sd_jwt_vc::vct(unverified)?;
                let iat = unverified.get("iat").and_then(Value::as_i64).unwrap_or(now);
                VerificationKey::Ed25519(list.issuer_key(&iss, kid.as_deref(), vct, iat)?.2)
            }
            None => issuer_key(&iss, kid.as_deref())?,
        };
        let payload = jwt.verify(&key, &[Algorithm::EdDSA])?;
        let vct = sd_jwt_vc::vct(payload)?.to_owned();
        if let Some(inclusion) = inclusion {
            if inclusion.leaf.jwt_sha256 != dojang_vc::log::jwt_sha256(jwt.as_str()) {
                return Err(VcError::LogProofInvalid {
                    reason: "the inclusion proof is for another credential",
                }
                .into());
            }
        }
        let validity = sd_jwt_vc::check_validity(payload, now, IMPORT_LEEWAY_SECONDS)?;
        process(payload, sd.disclosures(), &budget)?;
        let bound = key_binding::holder_key(payload)?;
        let ours = VerificationKey::Ed25519(self.holder_public_key());
        if !same_key(&bound, &ours) {
            return Err(WalletError::NotBoundToThisWallet);
        }
        let stored = StoredCredential {
            sd_jwt: sd_jwt.to_owned(),
            vct,
            issuer: iss,
            issued_at: validity.iat,
            expires_at: validity.exp,
            received_at: now,
            label: label.to_owned(),
            extra: match inclusion {
                Some(i) => serde_json::json!({ "log_inclusion": i }),
                None => Value::Null,
            },
        };
        let id = self.put_credential(&stored)?;
        Ok((id, stored))
    }

    /// Presents the claims at `paths` of credential `id` to `aud`, bound to its `nonce`, and
    /// records what was disclosed and withheld in the history before returning it.
    pub fn present(
        &self,
        id: &CredentialId,
        paths: &[String],
        aud: &str,
        nonce: &str,
        now: i64,
    ) -> Result<Presentation, WalletError> {
        let credential = self.get_credential(id)?;
        let key = self.holder_key()?;
        let p = present(
            &credential.sd_jwt,
            paths,
            aud,
            nonce,
            now,
            key.signing_key(),
        )?;
        self.record_presentation(&PresentationRecord {
            at: now,
            credential_id: *id,
            vct: credential.vct.clone(),
            audience: aud.to_owned(),
            nonce: nonce.to_owned(),
            disclosed: p.disclosed.clone(),
            withheld: p.withheld.clone(),
        })?;
        Ok(p)
    }
}

/// The issuer's log inclusion proof kept with a credential, if any.
pub fn log_inclusion_of(credential: &StoredCredential) -> Option<LogInclusion> {
    serde_json::from_value(credential.extra.get("log_inclusion")?.clone()).ok()
}

/// Every claim of a stored credential (all Disclosures applied), for the holder's own eyes.
pub fn claims_of(credential: &StoredCredential) -> Result<Map<String, Value>, WalletError> {
    Ok(processed_of(credential)?.claims)
}

/// A stored credential with all its Disclosures applied, and where each went. The holder reads
/// its own credential; the signature was checked on import.
pub(crate) fn processed_of(credential: &StoredCredential) -> Result<Processed, WalletError> {
    let budget = Budget::default();
    let sd = SdJwt::parse(&credential.sd_jwt, &budget)?;
    Ok(process(
        sd.issuer_jwt().unverified_payload(),
        sd.disclosures(),
        &budget,
    )?)
}

/// A copy of `claims` with every `rrn` shown masked (`900101-1******`), for display.
pub fn masked(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .map(|(k, v)| {
            let shown = match (k.as_str(), v) {
                ("rrn", Value::String(s)) => {
                    Value::String(dojang_vc::credentials::mask_rrn_text(s))
                }
                (_, Value::Object(o)) => Value::Object(masked(o)),
                (_, Value::Array(items)) => Value::Array(
                    items
                        .iter()
                        .map(|i| match i {
                            Value::Object(o) => Value::Object(masked(o)),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                _ => v.clone(),
            };
            (k.clone(), shown)
        })
        .collect()
}

fn issuer_key(iss: &str, kid: Option<&str>) -> Result<VerificationKey, WalletError> {
    let unknown = |reason: String| WalletError::IssuerKeyUnknown {
        iss: iss.to_owned(),
        reason,
    };
    let url = DidUrl::parse(kid.unwrap_or(iss)).map_err(|e| unknown(e.to_string()))?;
    let key = OfflineResolver::new()
        .resolve_assertion_key(&url)
        .map_err(|e| unknown(e.to_string()))?;
    Ok(VerificationKey::Ed25519(key))
}

fn same_key(a: &VerificationKey, b: &VerificationKey) -> bool {
    match (a, b) {
        (VerificationKey::Ed25519(x), VerificationKey::Ed25519(y)) => x == y,
        _ => false,
    }
}
