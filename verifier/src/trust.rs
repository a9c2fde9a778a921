//! Step 3: which issuers are trusted, and with which key.
//!
//! The key always comes from the verifier's own configuration: a DID the caller trusts, resolved
//! offline (did:key and did:jwk carry their key; did:web only from a pinned document). The
//! token's `kid` may only select among that issuer's keys.

use std::collections::BTreeSet;

use dojang_did::{Did, DidUrl, OfflineResolver, Resolver};
use dojang_vc::{VcError, VerificationKey};

use crate::provenance::ProvenanceEntry;

/// Where the verifier's trust in issuers comes from. A trust list signed by the ministry
/// implements this too (accreditation per `vct`, keys with validity windows).
pub trait IssuerTrust {
    /// The key to check `iss`'s signature with, for a credential of type `vct` issued at `iat`;
    /// `kid` is the header's key id, already checked to belong to `iss`.
    fn issuer_key(
        &self,
        iss: &str,
        kid: Option<&str>,
        vct: &str,
        iat: i64,
    ) -> Result<VerificationKey, VcError>;

    /// The key for a token `iss` signs that is not a credential (a status list, a log
    /// checkpoint), named by `kid` and valid at `at`.
    fn token_key(&self, iss: &str, kid: Option<&str>, at: i64) -> Result<VerificationKey, VcError>;

    /// A one-line description for the report (what was trusted, and why).
    fn describe(&self, iss: &str) -> String;

    /// The chain of trust behind `iss`'s key for a credential of type `vct` signed at `iat`
    /// with `kid`, root first (root → trust list → issuer → key). A source with no chain to
    /// show, such as [`TrustedIssuers`], returns none.
    fn provenance(
        &self,
        _iss: &str,
        _kid: Option<&str>,
        _vct: &str,
        _iat: i64,
    ) -> Vec<ProvenanceEntry> {
        Vec::new()
    }
}

/// A fixed set of trusted issuer DIDs (`dojang verify --trust-issuer DID`), accredited for every
/// credential type.
#[derive(Debug, Default)]
pub struct TrustedIssuers {
    dids: BTreeSet<String>,
    resolver: OfflineResolver,
}

impl TrustedIssuers {
    /// No issuer trusted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `did`. It must parse as a DID.
    pub fn trust(&mut self, did: &str) -> Result<(), dojang_did::DidError> {
        let parsed = Did::parse(did)?;
        self.dids.insert(parsed.to_string());
        Ok(())
    }

    /// The trusted DIDs.
    pub fn dids(&self) -> impl Iterator<Item = &str> {
        self.dids.iter().map(String::as_str)
    }
}

impl IssuerTrust for TrustedIssuers {
    fn issuer_key(
        &self,
        iss: &str,
        kid: Option<&str>,
        _vct: &str,
        _iat: i64,
    ) -> Result<VerificationKey, VcError> {
        if !self.dids.contains(iss) {
            return Err(VcError::UntrustedIssuer {
                iss: iss.to_owned(),
            });
        }
        let unknown = |reason: String| VcError::IssuerKeyUnknown {
            iss: iss.to_owned(),
            reason,
        };
        let url = DidUrl::parse(kid.unwrap_or(iss)).map_err(|e| unknown(e.to_string()))?;
        let key = self
            .resolver
            .resolve_assertion_key(&url)
            .map_err(|e| unknown(e.to_string()))?;
        Ok(VerificationKey::Ed25519(key))
    }

    fn token_key(&self, iss: &str, kid: Option<&str>, at: i64) -> Result<VerificationKey, VcError> {
        self.issuer_key(iss, kid, "", at)
    }

    fn describe(&self, iss: &str) -> String {
        format!("{iss} is in the verifier's trusted issuer set; key resolved offline")
    }
}
