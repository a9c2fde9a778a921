//! The verifier's whole pipeline (`dojang_verifier::verify`) with fixed inputs: the workload's
//! trust list, status list, policy and challenge, with keys from fixed seeds (see
//! `dojang_fuzz::fixtures`). The first byte chooses what the rest of the input is:
//!
//! - 0: the whole presentation;
//! - 1: everything after the fixture's issuer-signed JWT and its `~` (Disclosures and KB-JWT), so
//!   that the issuer signature holds and the fuzzer works on the later steps;
//! - 2: `~`-separated Disclosures after the fixture's issuer JWT, bound with a fresh, valid
//!   KB-JWT by the holder: the input reaches status, log and binding whenever its Disclosures
//!   pass;
//! - 3: the KB-JWT payload, signed by the holder, after the fixture's valid Disclosures.
//!
//! Invariants: a verified presentation verifies again the same way, names the fixture's issuer
//! and type, carries a provenance chain and no `_sd`; a rejection carries no provenance.
#![no_main]

use dojang_fuzz::fixtures::{self, NOW};
use dojang_fuzz::seeds::sign_raw;
use dojang_fuzz::split_mode;
use dojang_vc::key_binding;
use dojang_verifier::workload::VCT;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn has_sd_member(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.contains_key("_sd") || o.values().any(has_sd_member),
        Value::Array(a) => a.iter().any(has_sd_member),
        _ => false,
    }
}

fn input_for(mode: u8, rest: &str) -> Option<String> {
    let p = fixtures::pipeline();
    let w = &p.workload;
    Some(match mode {
        0 => rest.to_owned(),
        1 => format!("{}~{rest}", p.issuer_jwt),
        2 => {
            let disclosures = rest.trim_end_matches('~');
            let presented = if disclosures.is_empty() {
                format!("{}~", p.issuer_jwt)
            } else {
                format!("{}~{disclosures}~", p.issuer_jwt)
            };
            key_binding::bind(
                &presented,
                &w.challenge.aud,
                &w.challenge.nonce,
                NOW,
                w.holder.signing_key(),
            )
            .ok()?
        }
        _ => {
            let presented = format!("{}~{}~", p.issuer_jwt, p.disclosures.join("~"));
            let header = json!({"typ": key_binding::KB_TYP, "alg": "EdDSA"});
            let kb = sign_raw(&header, rest.as_bytes(), fixtures::HOLDER_SEED)?;
            format!("{presented}{kb}")
        }
    })
}

fuzz_target!(
    init: {
        dojang_fuzz::seeds::write_if_requested("verify_presentation");
        let _ = fixtures::pipeline();
    },
    |data: &[u8]| {
        let Some((mode, rest)) = split_mode(data, 4) else {
            return;
        };
        let Ok(rest) = std::str::from_utf8(rest) else {
            return;
        };
        let Some(input) = input_for(mode, rest) else {
            return;
        };
        let p = fixtures::pipeline();
        let inputs = p.workload.inputs();
        let outcome = dojang_verifier::verify(&input, &inputs);
        match &outcome.result {
            Ok(verified) => {
                assert_eq!(verified.issuer, p.workload.did);
                assert_eq!(verified.vct, VCT);
                assert!(!outcome.provenance.is_empty(), "a verified result has provenance");
                assert!(!has_sd_member(&Value::Object(verified.claims.clone())));
                let again = dojang_verifier::verify(&input, &inputs);
                match &again.result {
                    Ok(v) => assert_eq!(**v, **verified, "verifies again the same way"),
                    Err(e) => panic!("verified once, then refused: {}", e.code()),
                }
            }
            Err(e) => {
                let _ = e.code();
                assert!(outcome.provenance.is_empty(), "a rejection has no provenance");
            }
        }
    }
);
