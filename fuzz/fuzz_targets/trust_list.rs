//! The trust list: the `trustlist+jwt` token verified against a fixed root key (the adversarial
//! corpus's root, so its trust lists verify), its JSON decoded and validated, and the lookups the
//! verifier makes through it. The first byte chooses:
//!
//! - 0: the rest is a trust-list token;
//! - 1: the rest is a payload, signed here by the root under a valid header, so that decoding
//!   and validation behind a good signature are fuzzed;
//! - 2: the rest is a `TrustList` as JSON (the signer's side), validated.
//!
//! Invariants: a verified list verifies again to the same list, is not refused as a rollback of
//! its own sequence, fits the entry budget, and every key it lists for an issuer is found by its
//! `kid` when valid.
#![no_main]

use dojang_fuzz::fixtures::{self, NOW};
use dojang_fuzz::seeds::sign_raw;
use dojang_fuzz::split_mode;
use dojang_vc::trust_list::{verify_trust_list, TrustList, TRUST_LIST_TYP};
use dojang_vc::Budget;
use dojang_verifier::{IssuerTrust, TrustListTrust};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fn check_token(token: &str) {
    let budget = Budget::default();
    let root = fixtures::key(fixtures::ROOT_SEED).public();
    let verified = match verify_trust_list(token, &root, NOW, None, &budget) {
        Ok(v) => v,
        Err(e) => {
            let _ = e.code();
            return;
        }
    };
    let list = verified.list().clone();
    assert!(
        list.issuers.len() + list.relying_parties.len() <= budget.max_trust_list_entries,
        "the entry budget holds"
    );
    match verify_trust_list(token, &root, NOW, Some(verified.seq()), &budget) {
        Ok(again) => assert_eq!(again.list(), &list, "verifies again to the same list"),
        Err(e) => panic!("refused against its own sequence: {}", e.code()),
    }
    assert!(list.validate().is_ok());
    for issuer in &list.issuers {
        for key in &issuer.keys {
            let at = key.not_before;
            if key.valid_at(at) {
                let found = verified.signing_key(&issuer.did, Some(&key.kid), at);
                assert!(
                    found.is_ok(),
                    "a listed key valid at {at} is found by its kid"
                );
            }
            for vct in &issuer.vcts {
                let _ = verified.issuer_key(&issuer.did, Some(&key.kid), vct, at);
            }
        }
        let _ = verified.issuer_key(&issuer.did, None, "urn:x", NOW);
    }
    for rp in &list.relying_parties {
        for (vct, paths) in &rp.entitlements {
            for path in paths {
                assert!(
                    verified.entitled(&rp.id, vct, path),
                    "an entitled path is entitled"
                );
            }
        }
    }
    let trust = TrustListTrust::new(verified);
    for issuer in &list.issuers {
        for vct in &issuer.vcts {
            let _ = trust.issuer_key(&issuer.did, None, vct, NOW);
        }
        let _ = trust.token_key(&issuer.did, None, NOW);
        let _ = trust.describe(&issuer.did);
    }
}

fuzz_target!(init: dojang_fuzz::seeds::write_if_requested("trust_list"), |data: &[u8]| {
    let Some((mode, rest)) = split_mode(data, 3) else {
        return;
    };
    match mode {
        0 => {
            if let Ok(token) = std::str::from_utf8(rest) {
                check_token(token);
            }
        }
        1 => {
            let header = json!({"typ": TRUST_LIST_TYP, "kid": fixtures::ROOT_KID, "alg": "EdDSA"});
            if let Some(token) = sign_raw(&header, rest, fixtures::ROOT_SEED) {
                check_token(&token);
            }
        }
        _ => {
            if let Ok(list) = serde_json::from_slice::<TrustList>(rest) {
                let _ = list.validate();
            }
        }
    }
});
