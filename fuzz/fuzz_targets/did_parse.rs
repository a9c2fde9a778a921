//! DID and DID URL parsing, did:key and did:jwk decoding to keys, offline resolution of a `kid`,
//! and the JSON forms of keys and DID documents (dojang_did), on arbitrary text.
//!
//! Invariants: a parsed DID or DID URL is exactly its text and parses again equal; its parts
//! join back to it; a did:key that decodes is the canonical encoding of its key (no two
//! identifiers for one key); a did:jwk that decodes to an Ed25519 key resolves to that key.
#![no_main]

use dojang_did::{
    did_jwk, did_key, Did, DidDocument, DidUrl, OfflineResolver, PrivateJwk, PublicJwk, Resolver,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(init: dojang_fuzz::seeds::write_if_requested("did_parse"), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let resolver = OfflineResolver::new();
    if let Ok(did) = Did::parse(text) {
        assert_eq!(did.as_str(), text);
        assert_eq!(
            format!("did:{}:{}", did.method(), did.method_specific_id()),
            text
        );
        assert_eq!(Did::parse(did.as_str()).ok().as_ref(), Some(&did));
        if let Ok(doc) = resolver.resolve(&did) {
            assert_eq!(doc.id(), &did, "a resolved document is the DID's own");
            let _ = doc.assertion_key(None);
            let json = doc.to_json();
            let reparsed = DidDocument::from_json(&json);
            assert!(reparsed.is_ok(), "a resolved document's JSON parses again");
        }
        let _ = DidDocument::from_did(&did, true);
    }
    if let Ok(url) = DidUrl::parse(text) {
        assert_eq!(url.as_str(), text);
        assert!(text.starts_with(url.did().as_str()));
        if let Some(fragment) = url.fragment() {
            assert_eq!(
                DidUrl::with_fragment(url.did(), fragment).ok().as_ref(),
                Some(&url)
            );
        }
        let _ = resolver.resolve_assertion_key(&url);
    }
    if let Ok(key) = did_key::decode(text) {
        assert_eq!(did_key::encode(&key), text, "did:key is canonical");
    }
    let _ = did_key::decode_multibase(text);
    let _ = did_jwk::decode(text);
    if let Ok(jwk) = did_jwk::decode_ed25519(text) {
        if let Ok(url) = DidUrl::parse(&format!("{text}#{}", did_jwk::KEY_FRAGMENT)) {
            let resolved = resolver.resolve_assertion_key(&url);
            assert_eq!(resolved.ok(), Some(jwk), "did:jwk resolves to the key it carries");
        }
    }
    // The JSON forms: a JWK, a private JWK, a DID document.
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        if let Ok(public) = PublicJwk::from_json(&json) {
            let back = PublicJwk::from_json(&public.to_json());
            assert_eq!(back.ok(), Some(public));
            let _ = public.thumbprint();
        }
        let _ = PublicJwk::from_json_public_part(&json);
        if let Ok(private) = PrivateJwk::from_json(&json) {
            // `x` is optional in a private JWK; when present it is the public half of `d`.
            let public = private.public();
            if json.get("x").is_some() {
                assert_eq!(PublicJwk::from_json_public_part(&json).ok(), Some(public));
            }
            let back = PrivateJwk::from_json(&private.to_json()).map(|k| k.public());
            assert_eq!(back.ok(), Some(public), "a private JWK round-trips");
        }
        if let Ok(doc) = DidDocument::from_json(&json) {
            let _ = doc.assertion_key(None);
            for vm in doc.verification_methods() {
                let _ = doc.assertion_key(Some(vm.fragment()));
                let _ = vm.ed25519_key();
            }
        }
    }
});
