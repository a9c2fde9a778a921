//! The DID and key id (`kid`) under which a holder or issuer publishes an Ed25519 key.

use crate::{did_jwk, did_key, PublicJwk};

/// Which offline DID method names a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DidMethod {
    /// `did:key:z6Mk…`, kid `did:key:z6Mk…#z6Mk…`.
    Key,
    /// `did:jwk:…`, kid `did:jwk:…#0`.
    Jwk,
}

/// The DID of `key` under `method` and the DID URL of its verification method, for a JOSE `kid`:
/// - did:key: `(did:key:z6Mk…, did:key:z6Mk…#z6Mk…)`, the fragment being the multibase key
///   (did:key v0.9);
/// - did:jwk: `(did:jwk:…, did:jwk:…#0)`, see [`did_jwk::encode`] for the JWK written.
pub fn did_for_key(key: &PublicJwk, method: DidMethod) -> (String, String) {
    match method {
        DidMethod::Key => {
            let multibase = did_key::multibase_ed25519(key.verifying_key());
            (
                format!("did:key:{multibase}"),
                format!("did:key:{multibase}#{multibase}"),
            )
        }
        DidMethod::Jwk => {
            let did = did_jwk::encode(key);
            let kid = format!("{did}#{}", did_jwk::KEY_FRAGMENT);
            (did, kid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DidDocument, DidUrl, OfflineResolver, PrivateJwk, Resolver};

    #[test]
    fn kids_resolve_to_the_key() {
        let key = PrivateJwk::generate().public();
        for method in [DidMethod::Key, DidMethod::Jwk] {
            let (did, kid) = did_for_key(&key, method);
            let url = DidUrl::parse(&kid).expect("kid is a DID URL");
            assert_eq!(url.did().as_str(), did);
            assert_eq!(OfflineResolver::new().resolve_assertion_key(&url), Ok(key));
            let doc = DidDocument::for_key(&key, method);
            assert_eq!(doc.id().as_str(), did);
            assert_eq!(doc.verification_methods()[0].id().as_str(), kid);
        }
        let (did, kid) = did_for_key(&key, DidMethod::Key);
        assert_eq!(kid, format!("{did}#{}", &did["did:key:".len()..]));
    }
}
