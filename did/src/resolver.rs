//! Resolution without a network: did:key and did:jwk from the identifier, did:web from documents
//! the caller pinned (from the trust list), nothing else.

use std::collections::BTreeMap;

use crate::{Did, DidDocument, DidError, DidUrl, PublicJwk};

/// Turns DIDs into DID documents and DID URLs into signing keys.
///
/// Implementations must not touch the network at verification time: a verifier decides with what
/// it already holds.
pub trait Resolver {
    /// The DID document of `did`.
    fn resolve(&self, did: &Did) -> Result<DidDocument, DidError>;

    /// The Ed25519 key that `url` (a JOSE `kid`, typically) names for verifying assertions:
    /// resolve the DID, check the document is the one asked for, then
    /// [`DidDocument::assertion_key`] with the URL's fragment.
    fn resolve_assertion_key(&self, url: &DidUrl) -> Result<PublicJwk, DidError> {
        let doc = self.resolve(url.did())?;
        if doc.id() != url.did() {
            return Err(DidError::InvalidDocument {
                reason: "the resolver returned the document of another DID",
            });
        }
        doc.assertion_key(url.fragment())
    }
}

impl<R: Resolver + ?Sized> Resolver for &R {
    fn resolve(&self, did: &Did) -> Result<DidDocument, DidError> {
        (**self).resolve(did)
    }

    fn resolve_assertion_key(&self, url: &DidUrl) -> Result<PublicJwk, DidError> {
        (**self).resolve_assertion_key(url)
    }
}

/// A [`Resolver`] that never performs I/O.
///
/// | method | resolution |
/// |---|---|
/// | `did:key` | from the identifier (Ed25519 only); the X25519 `keyAgreement` key is added only with [`OfflineResolver::with_key_agreement_derivation`] |
/// | `did:jwk` | from the identifier |
/// | `did:web` | the document [pinned](OfflineResolver::pin) for it, else [`DidError::NotFound`] |
/// | other | [`DidError::UnsupportedMethod`] |
///
/// Documents pinned for other methods than did:web are kept but never consulted: a did:key or
/// did:jwk document is fully determined by its identifier.
#[derive(Debug, Clone, Default)]
pub struct OfflineResolver {
    pinned: BTreeMap<Did, DidDocument>,
    derive_key_agreement: bool,
}

impl OfflineResolver {
    /// A resolver with nothing pinned and no key-agreement derivation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether did:key documents include the X25519 key-agreement key derived from the Ed25519
    /// key (the did:key spec's `enableEncryptionKeyDerivation`). Verification never needs it.
    pub fn with_key_agreement_derivation(mut self, derive: bool) -> Self {
        self.derive_key_agreement = derive;
        self
    }

    /// Pins the document of a did:web DID (from a verified trust list), replacing any document
    /// pinned before for the same DID (key rotation).
    pub fn pin(&mut self, doc: DidDocument) {
        self.pinned.insert(doc.id().clone(), doc);
    }

    /// Removes a pinned document, returning it.
    pub fn unpin(&mut self, did: &Did) -> Option<DidDocument> {
        self.pinned.remove(did)
    }
}

impl Resolver for OfflineResolver {
    fn resolve(&self, did: &Did) -> Result<DidDocument, DidError> {
        match did.method() {
            "key" | "jwk" => DidDocument::from_did(did, self.derive_key_agreement),
            "web" => self
                .pinned
                .get(did)
                .cloned()
                .ok_or_else(|| DidError::NotFound {
                    did: did.to_string(),
                }),
            method => Err(DidError::UnsupportedMethod {
                method: method.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{did_for_key, DidMethod, PrivateJwk};
    use serde_json::json;

    fn web_doc(key: &PublicJwk) -> DidDocument {
        DidDocument::from_json(&json!({
            "id": "did:web:seoul.go.kr%3A8443:issuers:gangnam",
            "verificationMethod": [{
                "id": "#2025",
                "type": "JsonWebKey2020",
                "controller": "did:web:seoul.go.kr%3A8443:issuers:gangnam",
                "publicKeyJwk": key.to_json(),
            }],
            "assertionMethod": ["#2025"],
        }))
        .expect("valid document")
    }

    #[test]
    fn did_web_only_when_pinned() {
        let key = PrivateJwk::generate().public();
        let doc = web_doc(&key);
        let url = DidUrl::parse("did:web:seoul.go.kr%3A8443:issuers:gangnam#2025").expect("url");
        let mut resolver = OfflineResolver::new();
        assert_eq!(
            resolver.resolve_assertion_key(&url),
            Err(DidError::NotFound {
                did: "did:web:seoul.go.kr%3A8443:issuers:gangnam".into()
            })
        );
        resolver.pin(doc.clone());
        assert_eq!(resolver.resolve(url.did()), Ok(doc));
        assert_eq!(resolver.resolve_assertion_key(&url), Ok(key));
        let by_ref: &dyn Resolver = &resolver;
        assert_eq!((&by_ref).resolve_assertion_key(&url), Ok(key));
        // Rotation: a newer pin replaces the older one.
        let rotated = PrivateJwk::generate().public();
        resolver.pin(web_doc(&rotated));
        assert_eq!(resolver.resolve_assertion_key(&url), Ok(rotated));
        assert!(resolver.unpin(url.did()).is_some());
        assert!(matches!(
            resolver.resolve(url.did()),
            Err(DidError::NotFound { .. })
        ));
    }

    #[test]
    fn other_methods_are_unsupported() {
        let did = Did::parse("did:example:123").expect("did");
        assert_eq!(
            OfflineResolver::new().resolve(&did),
            Err(DidError::UnsupportedMethod {
                method: "example".into()
            })
        );
    }

    #[test]
    fn pinned_did_key_documents_are_ignored() {
        let key = PrivateJwk::generate().public();
        let other = PrivateJwk::generate().public();
        let (did, kid) = did_for_key(&key, DidMethod::Key);
        // A document claiming `did` but carrying another key cannot be built from JSON (its
        // method ids must be its own), and a pinned did:key document is never consulted.
        let mut resolver = OfflineResolver::new();
        resolver.pin(DidDocument::for_key(&other, DidMethod::Key));
        let url = DidUrl::parse(&kid).expect("kid");
        assert_eq!(resolver.resolve_assertion_key(&url), Ok(key));
        assert_eq!(
            resolver.resolve(url.did()).map(|d| d.id().to_string()),
            Ok(did)
        );
    }

    #[test]
    fn key_agreement_derivation_is_opt_in() {
        let key = PrivateJwk::generate().public();
        let did = Did::parse(&did_for_key(&key, DidMethod::Key).0).expect("did");
        let plain = OfflineResolver::new().resolve(&did).expect("doc");
        assert!(plain.to_json().get("keyAgreement").is_none());
        let derived = OfflineResolver::new()
            .with_key_agreement_derivation(true)
            .resolve(&did)
            .expect("doc");
        assert_eq!(
            derived.to_json()["keyAgreement"].as_array().map(Vec::len),
            Some(1)
        );
    }
}
