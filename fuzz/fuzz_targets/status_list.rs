//! The Token Status List: the `lst` decoder (base64url, zlib inflated within the budget, index
//! lookups) and the `statuslist+jwt` token, read as the verifier reads it (subject and issuer
//! first, then verified with the issuer's key and kept in a `StatusListCache`, then a
//! credential's entry looked up). The first byte chooses:
//!
//! - 0: the next byte is `bits`, the rest `lst`;
//! - 1: the rest is a Status List Token;
//! - 2: the rest is a token payload, signed here with the issuer's key under a valid header, so
//!   that the claims and the list behind a good signature are fuzzed.
//!
//! Invariants: a decoded list holds `8 / bits` entries per byte, every entry below the index
//! bound fits in `bits` and none beyond it exists; it encodes and decodes back to itself; it
//! never inflates past the budget.
#![no_main]

use dojang_fuzz::fixtures::{self, NOW};
use dojang_fuzz::seeds::sign_raw;
use dojang_fuzz::split_mode;
use dojang_vc::status_list::{self, StatusList, STATUS_LIST_JWT_TYP};
use dojang_vc::{Algorithm, Budget};
use dojang_verifier::{check_status, StatusListCache};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

fn check_list(list: &StatusList, budget: &Budget) {
    let bits = list.bits();
    assert!(matches!(bits, 1 | 2 | 4 | 8));
    assert!(list.as_bytes().len() <= budget.max_status_list_bytes);
    let len = list.len();
    assert_eq!(len, list.as_bytes().len() as u64 * u64::from(8 / bits));
    for idx in [0, 1, 7, len / 2, len.saturating_sub(1)] {
        if idx < len {
            let v = list.get(idx).unwrap_or(u8::MAX);
            assert!(
                u16::from(v) < 1u16 << bits,
                "entry {idx} fits in {bits} bits"
            );
        }
    }
    for idx in [len, len.saturating_add(1), u64::MAX] {
        assert_eq!(list.get(idx), None, "no entry at {idx} of {len}");
    }
    let encoded = list.encode();
    match StatusList::decode(bits, &encoded, budget) {
        Ok(back) => assert_eq!(back.as_bytes(), list.as_bytes(), "decode(encode(l)) == l"),
        Err(e) => panic!(
            "a decoded list does not decode after encoding: {}",
            e.code()
        ),
    }
}

fn load_token(token: &str, budget: &Budget) {
    let key = fixtures::verification_key(fixtures::ISSUER_SEED);
    let (sub, iss) = match status_list::unverified_subject_and_issuer(token, budget) {
        Ok(pair) => pair,
        Err(e) => {
            let _ = e.code();
            return;
        }
    };
    let sub = sub.unwrap_or_default();
    if let Ok(verified) =
        status_list::verify_token(token, &key, &[Algorithm::EdDSA], &sub, NOW, budget)
    {
        check_list(&verified.list, budget);
    }
    let mut cache = StatusListCache::new();
    if cache
        .insert_token(token, &key, &[Algorithm::EdDSA], NOW, budget)
        .is_ok()
    {
        assert_eq!(cache.len(), 1);
        let iss = iss.unwrap_or_default();
        for idx in [0u64, 7, 9, 4242, 1 << 20, u64::MAX] {
            let credential = json!({
                "iss": iss,
                "status": {"status_list": {"idx": idx, "uri": sub}},
            });
            if let Value::Object(payload) = credential {
                let _ = check_status(&payload, &iss, &cache, Some(86_400), NOW);
            }
        }
        let _ = cache.due_for_refresh(NOW + 86_400);
    }
}

fuzz_target!(init: dojang_fuzz::seeds::write_if_requested("status_list"), |data: &[u8]| {
    let Some((mode, rest)) = split_mode(data, 3) else {
        return;
    };
    let budget = Budget::default();
    match mode {
        0 => {
            let Some((&bits, lst)) = rest.split_first() else {
                return;
            };
            let Ok(lst) = std::str::from_utf8(lst) else {
                return;
            };
            if let Ok(list) = StatusList::decode(bits, lst, &budget) {
                check_list(&list, &budget);
            }
        }
        1 => {
            if let Ok(token) = std::str::from_utf8(rest) {
                load_token(token, &budget);
            }
        }
        _ => {
            let (_, kid) = fixtures::did_and_kid(fixtures::ISSUER_SEED);
            let mut header = Map::new();
            header.insert("typ".into(), Value::from(STATUS_LIST_JWT_TYP));
            header.insert("kid".into(), Value::from(kid));
            header.insert("alg".into(), Value::from("EdDSA"));
            if let Some(token) = sign_raw(&Value::Object(header), rest, fixtures::ISSUER_SEED) {
                load_token(&token, &budget);
            }
        }
    }
});
