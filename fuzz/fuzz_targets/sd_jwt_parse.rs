//! Arbitrary text as an SD-JWT or SD-JWT+KB (RFC 9901 §4): split and decode within the budget,
//! then the RFC 9901 §7.1 processing, the SD-JWT VC header checks and the KB-JWT checks on
//! whatever parses, as the verifier runs them (here without trusting the issuer signature first,
//! so that processing meets every payload shape).
#![no_main]

use dojang_fuzz::fixtures::{self, NOW};
use dojang_vc::disclosure::{self, Disclosure};
use dojang_vc::key_binding::{self, KbExpectations};
use dojang_vc::process::process;
use dojang_vc::{sd_jwt_vc, Algorithm, Budget, SdJwt};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn has_sd_member(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.contains_key("_sd") || o.values().any(has_sd_member),
        Value::Array(a) => a.iter().any(has_sd_member),
        _ => false,
    }
}

fuzz_target!(init: dojang_fuzz::seeds::write_if_requested("sd_jwt_parse"), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let budget = Budget::default();
    // Each `~`-separated part as a Disclosure, as the parser reads them.
    for part in text.split('~').take(64) {
        if let Ok(d) = Disclosure::parse(part, &budget) {
            assert_eq!(d.as_str(), part, "a Disclosure keeps its exact text");
            assert_eq!(d.digest(), disclosure::digest(part));
            assert_eq!(d.name().is_some(), d.element_count() == 3);
        }
    }
    let sd = match SdJwt::parse(text, &budget) {
        Ok(sd) => sd,
        Err(e) => {
            let _ = e.code();
            return;
        }
    };
    // Parsing what was parsed gives the same pieces.
    assert!(sd.presented().ends_with('~'));
    assert!(text.starts_with(sd.presented()));
    let again = match SdJwt::parse(&sd.to_compact(), &budget) {
        Ok(again) => again,
        Err(e) => panic!("the compact form of a parsed SD-JWT does not parse: {}", e.code()),
    };
    assert_eq!(again.presented(), sd.presented());
    assert_eq!(again.disclosures().len(), sd.disclosures().len());
    assert_eq!(
        again.key_binding().map(|k| k.as_str()),
        sd.key_binding().map(|k| k.as_str())
    );

    // The SD-JWT VC header and claim checks (steps 2 of the verifier).
    let jwt = sd.issuer_jwt();
    let payload = jwt.unverified_payload();
    let _ = sd_jwt_vc::check_typ(jwt);
    if let Ok(iss) = sd_jwt_vc::issuer(payload) {
        let _ = sd_jwt_vc::check_kid(jwt, iss);
    }
    let _ = sd_jwt_vc::vct(payload);
    let _ = sd_jwt_vc::check_validity(payload, NOW, 60);
    let _ = jwt.verify(&fixtures::verification_key(fixtures::ISSUER_SEED), &[Algorithm::EdDSA]);

    // RFC 9901 §7.1 steps 3-5.
    match process(payload, sd.disclosures(), &budget) {
        Ok(p) => {
            assert_eq!(
                p.nodes.len(),
                sd.disclosures().len(),
                "every Disclosure is used exactly once"
            );
            assert!(
                !has_sd_member(&Value::Object(p.claims.clone())),
                "no `_sd` is left after processing"
            );
            let twice = process(payload, sd.disclosures(), &budget);
            assert_eq!(twice.ok().as_ref(), Some(&p), "processing is deterministic");
        }
        Err(e) => {
            let _ = e.code();
        }
    }

    // RFC 9901 §7.3: the KB-JWT against the holder key the payload names.
    if let Ok(holder) = key_binding::holder_key(payload) {
        let expect = KbExpectations {
            aud: "https://bank.example",
            nonce: "n",
            now: NOW,
            leeway: 60,
            max_age: 300,
            allowed: &[Algorithm::EdDSA],
        };
        let _ = key_binding::verify(&sd, &holder, &expect);
    }
});
