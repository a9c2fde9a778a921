//! Issuance and presentation properties of the SD-JWT codec (RFC 9901 §4, §5).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use dojang_did::PrivateJwk;
use dojang_vc::present::{present, resolve_path, select};
use dojang_vc::process::{path_to_string, process};
use dojang_vc::{issue, Budget, IssueOptions, SdJwt};
use serde_json::{json, Map, Value};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn claims() -> Map<String, Value> {
    obj(json!({
        "name": "김민준",
        "address": {"road_address": "서울특별시 종로구 세종대로 209", "detail": "101동 1001호"},
        "members": [{"relation": "본인", "name": "김민준"}, {"relation": "자녀", "name": "김하준"}],
        "nationalities": ["KR", "US"]
    }))
}

fn issued(decoys: usize) -> (PrivateJwk, String) {
    let key = PrivateJwk::generate();
    let plain = obj(json!({"iss": "did:example:issuer", "iat": 1}));
    let i = issue(
        &Map::new(),
        &plain,
        &claims(),
        IssueOptions { decoys },
        key.signing_key(),
    )
    .unwrap();
    (key, i.to_compact())
}

#[test]
fn every_claim_is_concealed_and_recovered() {
    let (_, text) = issued(0);
    let sd = SdJwt::parse(&text, &Budget::default()).unwrap();
    let payload = sd.issuer_jwt().unverified_payload();
    // Nothing personal in the signed payload: only digests.
    let signed = serde_json::to_string(payload).unwrap();
    // As JSON strings (quoted): a random base64url digest may well contain the letters "KR".
    for secret in ["김민준", "세종대로", "KR", "relation", "road_address"] {
        let quoted = format!("\"{secret}\"");
        assert!(!signed.contains(&quoted), "{quoted} in the payload");
    }
    assert_eq!(payload["_sd_alg"], "sha-256");
    let digests: Vec<&str> = payload["_sd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let mut sorted = digests.clone();
    sorted.sort();
    assert_eq!(digests, sorted, "_sd is sorted, so order reveals nothing");
    // 4 top-level + 2 address members + 2 members (+2x2 of their fields) + 2 nationalities.
    assert_eq!(sd.disclosures().len(), 4 + 2 + 2 + 4 + 2);
    let processed = process(payload, sd.disclosures(), &Budget::default()).unwrap();
    let mut expected = claims();
    expected.insert("iss".into(), json!("did:example:issuer"));
    expected.insert("iat".into(), json!(1));
    assert_eq!(Value::Object(processed.claims), Value::Object(expected));
}

#[test]
fn decoys_are_added_and_ignored() {
    let (_, text) = issued(3);
    let sd = SdJwt::parse(&text, &Budget::default()).unwrap();
    let payload = sd.issuer_jwt().unverified_payload();
    assert_eq!(payload["_sd"].as_array().unwrap().len(), 4 + 3);
    let processed = process(payload, sd.disclosures(), &Budget::default()).unwrap();
    assert_eq!(processed.claims["nationalities"], json!(["KR", "US"]));
    assert_eq!(processed.claims["address"]["detail"], "101동 1001호");
}

#[test]
fn a_nested_claim_brings_its_parents_and_only_them() {
    let (key, text) = issued(1);
    let sd = SdJwt::parse(&text, &Budget::default()).unwrap();
    let processed = process(
        sd.issuer_jwt().unverified_payload(),
        sd.disclosures(),
        &Budget::default(),
    )
    .unwrap();
    let path = resolve_path(&processed, "members.1.name").unwrap();
    let chosen = select(&processed, &[path]);
    let paths: Vec<String> = chosen
        .iter()
        .map(|i| {
            path_to_string(
                &processed
                    .nodes
                    .iter()
                    .find(|n| n.disclosure == *i)
                    .unwrap()
                    .path,
            )
        })
        .collect();
    assert_eq!(paths, vec!["members", "members.1", "members.1.name"]);

    let p = present(
        &text,
        &["members.1.name".into(), "nationalities.0".into()],
        "aud",
        "n",
        5,
        key.signing_key(),
    )
    .unwrap();
    let shown = SdJwt::parse(&p.text, &Budget::default()).unwrap();
    let got = process(
        shown.issuer_jwt().unverified_payload(),
        shown.disclosures(),
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(got.claims["members"], json!([{"name": "김하준"}]));
    assert_eq!(got.claims["nationalities"], json!(["KR"]));
    assert!(!got.claims.contains_key("name") && !got.claims.contains_key("address"));
    assert!(p.withheld.contains(&"address".to_string()));
    assert!(p.withheld.contains(&"members.0".to_string()));
}

#[test]
fn disclosing_an_object_discloses_its_members() {
    let (key, text) = issued(0);
    let p = present(&text, &["address".into()], "aud", "n", 5, key.signing_key()).unwrap();
    let shown = SdJwt::parse(&p.text, &Budget::default()).unwrap();
    let got = process(
        shown.issuer_jwt().unverified_payload(),
        shown.disclosures(),
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(got.claims["address"], claims()["address"]);
    assert_eq!(shown.disclosures().len(), 3);
}

#[test]
fn unknown_paths_are_refused() {
    let (key, text) = issued(0);
    for bad in [
        "nope",
        "address.nope",
        "members.7",
        "members.x",
        "name.first",
        "",
    ] {
        let err = present(&text, &[bad.into()], "aud", "n", 5, key.signing_key()).unwrap_err();
        assert_eq!(err.code(), "unknown_claim_path", "{bad}");
    }
}

#[test]
fn presenting_nothing_shows_only_plain_claims() {
    let (key, text) = issued(2);
    let p = present(&text, &[], "aud", "n", 5, key.signing_key()).unwrap();
    let shown = SdJwt::parse(&p.text, &Budget::default()).unwrap();
    assert!(shown.disclosures().is_empty());
    let got = process(
        shown.issuer_jwt().unverified_payload(),
        shown.disclosures(),
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(
        Value::Object(got.claims),
        json!({"iss": "did:example:issuer", "iat": 1})
    );
}
