//! The pipeline against RFC 9901 §7 and RFC 8725: every must-reject case with its own code.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::{did_for_key, DidMethod, PrivateJwk};
use dojang_vc::disclosure::digest;
use dojang_vc::jws::{sign_eddsa, sign_eddsa_raw};
use dojang_vc::key_binding::{bind, sd_hash};
use dojang_vc::present::present;
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::{Disclosure, IssueOptions};
use dojang_verifier::{
    check_signatures, verify, Challenge, Inputs, MemoryNonceStore, NonceStore, Outcome, Policy,
    TrustedIssuers,
};
use serde_json::{json, Map, Value};

const NOW: i64 = 1_780_000_000;
const AUD: &str = "https://bank.example/verifier";
const NONCE: &str = "n-0S6_WzA2Mj";
const VCT: &str = "urn:dojang:kr:resident-registration-copy:1";

struct World {
    issuer: PrivateJwk,
    holder: PrivateJwk,
    did: String,
    kid: String,
}

fn world(method: DidMethod) -> World {
    let issuer = PrivateJwk::generate();
    let (did, kid) = did_for_key(&issuer.public(), method);
    World {
        issuer,
        holder: PrivateJwk::generate(),
        did,
        kid,
    }
}

fn claims() -> Map<String, Value> {
    json!({
        "name": "김민준",
        "rrn": "900101-1234567",
        "address": {"road_address": "서울특별시 종로구 세종대로 209", "postal_code": "03154"},
        "members": [{"relation": "본인", "name": "김민준"}, {"relation": "배우자", "name": "이서연"}],
        "age_over_19": true
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn issue(w: &World, iat: i64, exp: i64) -> String {
    let claims = claims();
    issue_vc(
        &VcIssuance {
            issuer: &w.did,
            kid: &w.kid,
            vct: VCT,
            holder: Some(&w.holder.public()),
            iat,
            exp: Some(exp),
            status: None,
            claims: &claims,
            always_visible: &[],
            options: IssueOptions { decoys: 2 },
        },
        w.issuer.signing_key(),
    )
    .unwrap()
    .to_compact()
}

fn present_paths(w: &World, issued: &str, paths: &[&str]) -> String {
    let paths: Vec<String> = paths.iter().map(|s| s.to_string()).collect();
    present(issued, &paths, AUD, NONCE, NOW, w.holder.signing_key())
        .unwrap()
        .text
}

fn run_with(w: &World, input: &str, policy: &Policy, nonces: Option<&dyn NonceStore>) -> Outcome {
    let mut trust = TrustedIssuers::new();
    trust.trust(&w.did).unwrap();
    let challenge = Challenge {
        aud: AUD.into(),
        nonce: NONCE.into(),
    };
    verify(
        input,
        &Inputs {
            trust: &trust,
            policy,
            challenge: Some(&challenge),
            nonces,
            status: None,
            log: None,
            now: NOW,
        },
    )
}

fn run(w: &World, input: &str) -> Outcome {
    run_with(w, input, &Policy::default(), None)
}

fn code(outcome: &Outcome) -> &'static str {
    match &outcome.result {
        Ok(_) => "verified",
        Err(e) => e.code(),
    }
}

/// Signs an arbitrary issuer JWT and joins it with raw disclosure strings, then binds it.
fn craft(w: &World, header: Value, payload: Value, disclosures: &[&str]) -> String {
    let jwt = sign_eddsa(
        header.as_object().unwrap(),
        payload.as_object().unwrap(),
        w.issuer.signing_key(),
    )
    .unwrap();
    let presented = dojang_vc::join(&jwt, disclosures.iter().copied());
    bind(&presented, AUD, NONCE, NOW, w.holder.signing_key()).unwrap()
}

fn base_header(w: &World) -> Value {
    json!({"typ": "dc+sd-jwt", "kid": w.kid})
}

fn base_payload(w: &World, sd: Vec<String>) -> Value {
    json!({
        "iss": w.did, "vct": VCT, "iat": NOW - 100, "exp": NOW + 1000,
        "cnf": {"jwk": w.holder.public().to_json()},
        "_sd": sd, "_sd_alg": "sha-256"
    })
}

fn disclosure(name: Option<&str>, value: Value) -> Disclosure {
    Disclosure::new(name, value)
}

#[test]
fn discloses_only_what_was_chosen_did_key_and_did_jwk() {
    for method in [DidMethod::Key, DidMethod::Jwk] {
        let w = world(method);
        let issued = issue(&w, NOW - 100, NOW + 1000);
        let p = present_paths(&w, &issued, &["name", "address.road_address", "members.1"]);
        let out = run(&w, &p);
        let v = out.result.expect("verified");
        assert_eq!(v.claims["name"], "김민준");
        assert_eq!(
            v.claims["address"],
            json!({"road_address": "서울특별시 종로구 세종대로 209"})
        );
        assert_eq!(
            v.claims["members"],
            json!([{"relation": "배우자", "name": "이서연"}])
        );
        assert!(!v.claims.contains_key("rrn"));
        assert!(!v.claims.contains_key("age_over_19"));
        assert!(out.report.checks().iter().all(|c| c.ok));
        assert_eq!(out.report.checks().len(), 9);
    }
}

#[test]
fn untrusted_issuer_rejected() {
    let w = world(DidMethod::Key);
    let other = world(DidMethod::Key);
    let issued = issue(&other, NOW - 100, NOW + 1000);
    let paths: Vec<String> = vec!["name".into()];
    let p = present(&issued, &paths, AUD, NONCE, NOW, other.holder.signing_key()).unwrap();
    assert_eq!(code(&run(&w, &p.text)), "untrusted_issuer");
}

#[test]
fn kid_of_another_did_rejected() {
    let w = world(DidMethod::Key);
    let other = world(DidMethod::Key);
    let p = craft(
        &w,
        json!({"typ": "dc+sd-jwt", "kid": other.kid}),
        base_payload(&w, vec![]),
        &[],
    );
    assert_eq!(code(&run(&w, &p)), "kid_mismatch");
}

#[test]
fn algorithm_confusion_rejected() {
    let w = world(DidMethod::Key);
    // Header claims ES256 but the trusted key is Ed25519; `none` is never accepted.
    for alg in ["ES256", "none", "HS256", "RS256"] {
        let header = json!({"typ": "dc+sd-jwt", "kid": w.kid, "alg": alg});
        let h = serde_json::to_vec(&header).unwrap();
        let p = serde_json::to_vec(&base_payload(&w, vec![])).unwrap();
        let jwt = sign_eddsa_raw(&h, &p, w.issuer.signing_key()).unwrap();
        let presented = format!("{jwt}~");
        let input = bind(&presented, AUD, NONCE, NOW, w.holder.signing_key()).unwrap();
        assert_eq!(code(&run(&w, &input)), "alg_not_allowed", "{alg}");
    }
}

#[test]
fn embedded_key_in_header_rejected() {
    let w = world(DidMethod::Key);
    let header = json!({"typ": "dc+sd-jwt", "kid": w.kid, "jwk": w.issuer.public().to_json()});
    let p = craft(&w, header, base_payload(&w, vec![]), &[]);
    assert_eq!(code(&run(&w, &p)), "forbidden_header");
}

#[test]
fn typ_checked_and_legacy_typ_accepted() {
    let w = world(DidMethod::Key);
    let bad = craft(
        &w,
        json!({"typ": "JWT", "kid": w.kid}),
        base_payload(&w, vec![]),
        &[],
    );
    assert_eq!(code(&run(&w, &bad)), "typ_invalid");
    let legacy = craft(
        &w,
        json!({"typ": "vc+sd-jwt", "kid": w.kid}),
        base_payload(&w, vec![]),
        &[],
    );
    assert_eq!(code(&run(&w, &legacy)), "verified");
}

#[test]
fn signature_flip_rejected() {
    let w = world(DidMethod::Key);
    let issued = issue(&w, NOW - 100, NOW + 1000);
    let p = present_paths(&w, &issued, &["name"]);
    let jwt_end = p.find('~').unwrap();
    let mut bytes = p.into_bytes();
    bytes[jwt_end - 3] = if bytes[jwt_end - 3] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let p = String::from_utf8(bytes).unwrap();
    assert_eq!(code(&run(&w, &p)), "signature_invalid");
}

#[test]
fn time_checks() {
    let w = world(DidMethod::Key);
    let expired = present_paths(&w, &issue(&w, NOW - 1000, NOW - 200), &["name"]);
    assert_eq!(code(&run(&w, &expired)), "expired");
    let future = present_paths(&w, &issue(&w, NOW + 3600, NOW + 7200), &["name"]);
    assert_eq!(code(&run(&w, &future)), "issued_in_future");
    let mut payload = base_payload(&w, vec![]);
    payload["nbf"] = json!(NOW + 3600);
    let nbf = craft(&w, base_header(&w), payload, &[]);
    assert_eq!(code(&run(&w, &nbf)), "not_yet_valid");
    // Within the leeway is fine.
    let edge = present_paths(&w, &issue(&w, NOW + 30, NOW + 7200), &["name"]);
    assert_eq!(code(&run(&w, &edge)), "verified");
}

#[test]
fn freshness_policy() {
    let w = world(DidMethod::Key);
    let old = present_paths(&w, &issue(&w, NOW - 100 * 86_400, NOW + 1000), &["name"]);
    let policy = Policy {
        max_credential_age_days: Some(90),
        ..Policy::default()
    };
    assert_eq!(
        code(&run_with(&w, &old, &policy, None)),
        "credential_too_old"
    );
    assert_eq!(code(&run(&w, &old)), "verified");
}

#[test]
fn disclosure_level_attacks() {
    let w = world(DidMethod::Key);
    let name = disclosure(Some("name"), json!("김민준"));
    let stray = disclosure(Some("rrn"), json!("900101-1234567"));
    let ok = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![name.digest().into()]),
        &[name.as_str()],
    );
    assert_eq!(code(&run(&w, &ok)), "verified");

    // An unreferenced Disclosure (from elsewhere) is refused.
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![name.digest().into()]),
        &[name.as_str(), stray.as_str()],
    );
    assert_eq!(code(&run(&w, &p)), "disclosure_unreferenced");
    // The same Disclosure twice.
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![name.digest().into()]),
        &[name.as_str(), name.as_str()],
    );
    assert_eq!(code(&run(&w, &p)), "disclosure_duplicate");
    // A digest twice in the payload.
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![name.digest().into(), name.digest().into()]),
        &[name.as_str()],
    );
    assert_eq!(code(&run(&w, &p)), "digest_duplicate");
    // Substitution: a Disclosure with the same name but another value does not match the digest.
    let forged = disclosure(Some("name"), json!("홍길동"));
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![name.digest().into()]),
        &[forged.as_str()],
    );
    assert_eq!(code(&run(&w, &p)), "disclosure_unreferenced");
}

#[test]
fn reserved_names_and_collisions() {
    let w = world(DidMethod::Key);
    for reserved in ["_sd", "..."] {
        let d = disclosure(Some(reserved), json!("x"));
        let p = craft(
            &w,
            base_header(&w),
            base_payload(&w, vec![d.digest().into()]),
            &[d.as_str()],
        );
        assert_eq!(code(&run(&w, &p)), "disclosure_reserved_name", "{reserved}");
    }
    let d = disclosure(Some("vct"), json!("urn:other"));
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![d.digest().into()]),
        &[d.as_str()],
    );
    assert_eq!(code(&run(&w, &p)), "disclosure_claim_collision");
}

#[test]
fn wrong_element_counts() {
    let w = world(DidMethod::Key);
    // An array-element Disclosure referenced from `_sd`.
    let elem = disclosure(None, json!("KR"));
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![elem.digest().into()]),
        &[elem.as_str()],
    );
    assert_eq!(code(&run(&w, &p)), "disclosure_wrong_kind");
    // An object-property Disclosure referenced from an array.
    let prop = disclosure(Some("nat"), json!("KR"));
    let mut payload = base_payload(&w, vec![]);
    payload["nationalities"] = json!([{"...": prop.digest()}]);
    let p = craft(&w, base_header(&w), payload, &[prop.as_str()]);
    assert_eq!(code(&run(&w, &p)), "disclosure_wrong_kind");
    // Four elements.
    let four = B64.encode(r#"["salt","a","b","c"]"#);
    let mut payload = base_payload(&w, vec![digest(&four)]);
    payload["x"] = json!(1);
    let p = craft(&w, base_header(&w), payload, &[&four]);
    assert_eq!(code(&run(&w, &p)), "disclosure_malformed");
}

#[test]
fn sd_alg_checks() {
    let w = world(DidMethod::Key);
    let mut payload = base_payload(&w, vec![]);
    payload["_sd_alg"] = json!("sha-512");
    assert_eq!(
        code(&run(&w, &craft(&w, base_header(&w), payload, &[]))),
        "sd_alg_unsupported"
    );
    let mut payload = base_payload(&w, vec![]);
    payload["address"] = json!({"_sd_alg": "sha-256", "_sd": []});
    assert_eq!(
        code(&run(&w, &craft(&w, base_header(&w), payload, &[]))),
        "sd_alg_misplaced"
    );
}

#[test]
fn duplicate_json_keys_at_every_depth() {
    let w = world(DidMethod::Key);
    let payload = serde_json::to_string(&base_payload(&w, vec![])).unwrap();
    let cases = [
        // In the payload, top level.
        payload.replacen('{', r#"{"iss":"did:key:zAttacker","#, 1),
        // In the payload, nested.
        payload.replacen(r#""cnf":{"#, r#""cnf":{"x":1,"x":2,"#, 1),
    ];
    for case in cases {
        let h =
            serde_json::to_vec(&json!({"typ": "dc+sd-jwt", "kid": w.kid, "alg": "EdDSA"})).unwrap();
        let jwt = sign_eddsa_raw(&h, case.as_bytes(), w.issuer.signing_key()).unwrap();
        let input = bind(&format!("{jwt}~"), AUD, NONCE, NOW, w.holder.signing_key()).unwrap();
        assert_eq!(code(&run(&w, &input)), "duplicate_json_key", "{case}");
    }
    // In the header.
    let h = format!(
        r#"{{"typ":"dc+sd-jwt","kid":"{}","alg":"EdDSA","alg":"EdDSA"}}"#,
        w.kid
    );
    let jwt = sign_eddsa_raw(h.as_bytes(), payload.as_bytes(), w.issuer.signing_key()).unwrap();
    let input = bind(&format!("{jwt}~"), AUD, NONCE, NOW, w.holder.signing_key()).unwrap();
    assert_eq!(code(&run(&w, &input)), "duplicate_json_key");
    // In a Disclosure.
    let d = B64.encode(r#"["salt","address",{"a":1,"a":2}]"#);
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![digest(&d)]),
        &[&d],
    );
    assert_eq!(code(&run(&w, &p)), "duplicate_json_key");
}

#[test]
fn key_binding_checks() {
    let w = world(DidMethod::Key);
    let issued = issue(&w, NOW - 100, NOW + 1000);
    let paths = vec!["name".to_string()];
    let make = |aud: &str, nonce: &str, iat: i64, key: &PrivateJwk| {
        present(&issued, &paths, aud, nonce, iat, key.signing_key())
            .unwrap()
            .text
    };
    assert_eq!(
        code(&run(&w, &make(AUD, NONCE, NOW, &w.holder))),
        "verified"
    );
    assert_eq!(
        code(&run(
            &w,
            &make("https://other.example", NONCE, NOW, &w.holder)
        )),
        "kb_aud_mismatch"
    );
    assert_eq!(
        code(&run(&w, &make(AUD, "other-nonce", NOW, &w.holder))),
        "kb_nonce_mismatch"
    );
    assert_eq!(
        code(&run(&w, &make(AUD, NONCE, NOW - 3600, &w.holder))),
        "kb_iat_invalid"
    );
    assert_eq!(
        code(&run(&w, &make(AUD, NONCE, NOW + 3600, &w.holder))),
        "kb_iat_invalid"
    );
    let thief = PrivateJwk::generate();
    assert_eq!(
        code(&run(&w, &make(AUD, NONCE, NOW, &thief))),
        "kb_signature_invalid"
    );

    // Stripping the KB-JWT when the policy requires one.
    let full = make(AUD, NONCE, NOW, &w.holder);
    let stripped = &full[..=full.rfind('~').unwrap()];
    assert_eq!(code(&run(&w, stripped)), "kb_missing");

    // sd_hash: dropping a Disclosure after binding breaks it.
    let two = present(
        &issued,
        &["name".into(), "rrn".into()],
        AUD,
        NONCE,
        NOW,
        w.holder.signing_key(),
    )
    .unwrap()
    .text;
    let parts: Vec<&str> = two.split('~').collect();
    let dropped = format!("{}~{}~{}", parts[0], parts[1], parts[parts.len() - 1]);
    assert_eq!(code(&run(&w, &dropped)), "kb_sd_hash_mismatch");

    // A KB-JWT with the wrong typ.
    let presented = &full[..=full.rfind('~').unwrap()];
    let kb = sign_eddsa(
        json!({"typ": "JWT"}).as_object().unwrap(),
        json!({"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(presented)})
            .as_object()
            .unwrap(),
        w.holder.signing_key(),
    )
    .unwrap();
    assert_eq!(code(&run(&w, &format!("{presented}{kb}"))), "typ_invalid");
}

#[test]
fn nonce_is_single_use() {
    let w = world(DidMethod::Key);
    let store = MemoryNonceStore::default();
    store.issue(NONCE);
    let p = present_paths(&w, &issue(&w, NOW - 100, NOW + 1000), &["name"]);
    assert_eq!(
        code(&run_with(&w, &p, &Policy::default(), Some(&store))),
        "verified"
    );
    assert_eq!(
        code(&run_with(&w, &p, &Policy::default(), Some(&store))),
        "nonce_replayed"
    );
    let fresh = MemoryNonceStore::default();
    assert_eq!(
        code(&run_with(&w, &p, &Policy::default(), Some(&fresh))),
        "nonce_unknown"
    );
}

#[test]
fn budgets_enforced() {
    let w = world(DidMethod::Key);
    let huge = "a".repeat(Policy::default().budget.max_input_bytes + 1);
    assert_eq!(code(&run(&w, &huge)), "limit_exceeded");
    // Disclosures nested deeper than the budget.
    let mut inner = disclosure(Some("leaf"), json!(1));
    let mut all = vec![inner.clone()];
    for i in 0..20 {
        let d = disclosure(Some(&format!("n{i}")), json!({"_sd": [inner.digest()]}));
        all.push(d.clone());
        inner = d;
    }
    let strs: Vec<&str> = all.iter().map(Disclosure::as_str).collect();
    let p = craft(
        &w,
        base_header(&w),
        base_payload(&w, vec![inner.digest().into()]),
        &strs,
    );
    assert_eq!(code(&run(&w, &p)), "limit_exceeded");
}

#[test]
fn report_names_the_failing_step() {
    let w = world(DidMethod::Key);
    let p = present_paths(&w, &issue(&w, NOW - 1000, NOW - 200), &["name"]);
    let out = run(&w, &p);
    let last = out.report.checks().last().unwrap();
    assert_eq!(last.step, "validity");
    assert!(!last.ok);
    assert!(out.report.checks()[..out.report.checks().len() - 1]
        .iter()
        .all(|c| c.ok));
    // No claim value appears in the report.
    let text = serde_json::to_string(&out.report).unwrap();
    assert!(!text.contains("김민준") && !text.contains("900101"));
}

mod status {
    use super::*;
    use dojang_vc::status_list::{sign_token, StatusList};
    use dojang_vc::{Algorithm, Budget, VerificationKey};
    use dojang_verifier::StatusListCache;

    const URI: &str = "https://jongno.example/status/0";

    fn issue_with_status(w: &World, idx: u64) -> String {
        let claims = claims();
        let status = json!({"status_list": {"idx": idx, "uri": URI}});
        issue_vc(
            &VcIssuance {
                issuer: &w.did,
                kid: &w.kid,
                vct: VCT,
                holder: Some(&w.holder.public()),
                iat: NOW - 100,
                exp: Some(NOW + 1000),
                status: Some(&status),
                claims: &claims,
                always_visible: &[],
                options: IssueOptions::default(),
            },
            w.issuer.signing_key(),
        )
        .unwrap()
        .to_compact()
    }

    fn cache(signer: &World, iat: i64, entries: &[(u64, u8)]) -> StatusListCache {
        let mut list = StatusList::new(2, 1024).unwrap();
        for (i, v) in entries {
            list.set(*i, *v).unwrap();
        }
        let token = sign_token(
            &signer.did,
            &signer.kid,
            URI,
            iat,
            iat + 7 * 86_400,
            3600,
            &list,
            signer.issuer.signing_key(),
        )
        .unwrap();
        let mut cache = StatusListCache::new();
        cache
            .insert_token(
                &token,
                &VerificationKey::Ed25519(signer.issuer.public()),
                &[Algorithm::EdDSA],
                NOW,
                &Budget::default(),
            )
            .unwrap();
        cache
    }

    fn run_status(
        w: &World,
        input: &str,
        cache: Option<&StatusListCache>,
        policy: &Policy,
    ) -> Outcome {
        let mut trust = TrustedIssuers::new();
        trust.trust(&w.did).unwrap();
        let challenge = Challenge {
            aud: AUD.into(),
            nonce: NONCE.into(),
        };
        verify(
            input,
            &Inputs {
                trust: &trust,
                policy,
                challenge: Some(&challenge),
                nonces: None,
                status: cache,
                log: None,
                now: NOW,
            },
        )
    }

    #[test]
    fn valid_revoked_suspended_reinstated() {
        let w = world(DidMethod::Key);
        let p = present_paths(&w, &issue_with_status(&w, 7), &["name"]);
        let policy = Policy::default();
        let ok = run_status(
            &w,
            &p,
            Some(&cache(&w, NOW - 60, &[(6, 1), (8, 2)])),
            &policy,
        );
        assert_eq!(code(&ok), "verified");
        assert_eq!(
            ok.provenance.iter().map(|e| e.step).collect::<Vec<_>>(),
            ["credential", "status"]
        );
        assert_eq!(
            code(&run_status(
                &w,
                &p,
                Some(&cache(&w, NOW - 60, &[(7, 1)])),
                &policy
            )),
            "revoked"
        );
        assert_eq!(
            code(&run_status(
                &w,
                &p,
                Some(&cache(&w, NOW - 60, &[(7, 2)])),
                &policy
            )),
            "suspended"
        );
        // Reinstated: a newer list shows it valid again.
        assert_eq!(
            code(&run_status(
                &w,
                &p,
                Some(&cache(&w, NOW - 30, &[(7, 0)])),
                &policy
            )),
            "verified"
        );
        assert_eq!(
            code(&run_status(
                &w,
                &p,
                Some(&cache(&w, NOW - 60, &[(7, 3)])),
                &policy
            )),
            "status_unknown"
        );
    }

    #[test]
    fn missing_stale_foreign_and_out_of_range_lists() {
        let w = world(DidMethod::Key);
        let p = present_paths(&w, &issue_with_status(&w, 7), &["name"]);
        let policy = Policy::default();
        assert_eq!(code(&run_status(&w, &p, None, &policy)), "status_unknown");
        let stale = cache(&w, NOW - 2 * 86_400 + 100, &[]);
        assert_eq!(
            code(&run_status(&w, &p, Some(&stale), &policy)),
            "status_unknown"
        );
        let other = world(DidMethod::Key);
        assert_eq!(
            code(&run_status(
                &w,
                &p,
                Some(&cache(&other, NOW - 60, &[])),
                &policy
            )),
            "status_list_wrong_issuer"
        );
        let far = present_paths(&w, &issue_with_status(&w, 5000), &["name"]);
        assert_eq!(
            code(&run_status(
                &w,
                &far,
                Some(&cache(&w, NOW - 60, &[])),
                &policy
            )),
            "status_index_out_of_range"
        );
        // A credential without a status reference, under a policy that demands one.
        let plain = present_paths(&w, &issue(&w, NOW - 100, NOW + 1000), &["name"]);
        let strict = Policy {
            require_status: true,
            ..Policy::default()
        };
        assert_eq!(
            code(&run_status(&w, &plain, None, &strict)),
            "status_missing"
        );
        assert_eq!(code(&run_status(&w, &plain, None, &policy)), "verified");
    }
}

/// The auditor's re-check: each credential gets the answer of the pipeline's steps 2 to 4, the
/// signatures checked in batches; one wrong signature among many is found, as are an issuer
/// outside the trust, a malformed credential and one over the input budget.
#[test]
fn check_signatures_answers_for_each_credential() {
    let w = world(DidMethod::Key);
    let stranger = world(DidMethod::Jwk);
    let mut credentials: Vec<String> = (0..100)
        .map(|i| issue(&w, NOW - 100 - i, NOW + 1000))
        .collect();
    // A character in the middle of credential 41's signature changed.
    let at = credentials[41].find('~').unwrap() - 3;
    let c = if &credentials[41][at..=at] == "A" {
        "B"
    } else {
        "A"
    };
    credentials[41].replace_range(at..=at, c);
    credentials[7] = issue(&stranger, NOW - 100, NOW + 1000);
    credentials[63] = "not a credential".into();
    credentials[99] = format!("{}~{}", credentials[98], "x".repeat(300 * 1024));
    let mut trust = TrustedIssuers::new();
    trust.trust(&w.did).unwrap();
    let texts: Vec<&str> = credentials.iter().map(String::as_str).collect();
    let answers = check_signatures(&texts, &trust, &dojang_vc::Budget::default());
    let refused: Vec<(usize, &str)> = answers
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().err().map(|e| (i, e.code())))
        .collect();
    assert_eq!(
        refused,
        [
            (7, "untrusted_issuer"),
            (41, "signature_invalid"),
            (63, "malformed_jwt"),
            (99, "limit_exceeded")
        ]
    );
    // A valid credential alone passes, as the pipeline's signature step would have it.
    assert!(check_signatures(&texts[..1], &trust, &dojang_vc::Budget::default())[0].is_ok());
}

/// A KB-JWT whose `R` carries a torsion point, signed by the holder with the right key, is
/// refused as `verify_strict` refuses it: the pipeline's pair check lets no torsion through when
/// the issuer's signature has none. The same construction without torsion verifies.
#[test]
fn kb_jwt_with_torsion_in_r_refused() {
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
    use curve25519_dalek::edwards::EdwardsPoint;
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest as _, Sha512};

    let w = world(DidMethod::Key);
    let full = present_paths(&w, &issue(&w, NOW - 100, NOW + 1000), &["name"]);
    let presented = &full[..=full.rfind('~').unwrap()];
    let header = B64.encode(br#"{"alg":"EdDSA","typ":"kb+jwt"}"#);
    let claims = json!({"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(presented)});
    let input = format!("{header}.{}", B64.encode(claims.to_string()));
    let a = w.holder.signing_key().to_scalar();
    let key = w.holder.public().verifying_key().to_bytes();
    let with_torsion = |t: &EdwardsPoint| {
        let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest(b"kb nonce").into());
        let r_bytes = (B * r + t).compress().to_bytes();
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(key);
        h.update(input.as_bytes());
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let mut sig = r_bytes.to_vec();
        sig.extend_from_slice((r + k * a).as_bytes());
        format!("{presented}{input}.{}", B64.encode(sig))
    };
    assert_eq!(code(&run(&w, &with_torsion(&EIGHT_TORSION[0]))), "verified");
    for t in &EIGHT_TORSION[1..] {
        assert_eq!(code(&run(&w, &with_torsion(t))), "kb_signature_invalid");
    }
}

/// `verify_many` answers each presentation of a batch as `verify` answers it alone: the same
/// outcome and the same report, whichever of its neighbours is wrong (an issuer signature, a
/// KB-JWT signature, a KB-JWT by another holder, a nonce, a header, an untrusted issuer), for
/// batches where all signatures hold and where one does not, with several holders and issuers.
#[test]
fn verify_many_answers_each_presentation_as_verify_does() {
    let worlds: Vec<World> = (0..3).map(|_| world(DidMethod::Key)).collect();
    let stranger = world(DidMethod::Key);
    let mut trust = TrustedIssuers::new();
    for w in &worlds {
        trust.trust(&w.did).unwrap();
    }
    let flip = |p: &str, at: usize| {
        let mut bytes = p.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let mut inputs = Vec::new();
    for (i, w) in worlds.iter().enumerate() {
        let issued = issue(w, NOW - 100, NOW + 1000);
        let good = present_paths(w, &issued, &["name"]);
        inputs.push(good.clone());
        // The issuer's signature, then the KB-JWT's, altered.
        inputs.push(flip(&good, good.find('~').unwrap() - 3));
        inputs.push(flip(&good, good.len() - 3));
        // A KB-JWT by another holder than `cnf` names.
        let paths = vec!["name".to_owned()];
        let other = &worlds[(i + 1) % worlds.len()].holder;
        inputs.push(
            present(&issued, &paths, AUD, NONCE, NOW, other.signing_key())
                .unwrap()
                .text,
        );
        // Another nonce; a header with an embedded key.
        inputs.push(
            present(
                &issued,
                &paths,
                AUD,
                "other-nonce",
                NOW,
                w.holder.signing_key(),
            )
            .unwrap()
            .text,
        );
        inputs.push(craft(
            w,
            json!({"typ": "dc+sd-jwt", "kid": w.kid, "jwk": w.issuer.public().to_json()}),
            base_payload(w, vec![]),
            &[],
        ));
    }
    // An issuer this verifier does not trust.
    let issued = issue(&stranger, NOW - 100, NOW + 1000);
    inputs.push(present_paths(&stranger, &issued, &["name"]));
    let policy = Policy::default();
    let challenge = Challenge {
        aud: AUD.into(),
        nonce: NONCE.into(),
    };
    let make = || Inputs {
        trust: &trust,
        policy: &policy,
        challenge: Some(&challenge),
        nonces: None,
        status: None,
        log: None,
        now: NOW,
    };
    let alone: Vec<Outcome> = inputs.iter().map(|p| verify(p, &make())).collect();
    assert_eq!(
        alone.iter().filter(|o| o.result.is_ok()).count(),
        worlds.len(),
        "{:?}",
        alone.iter().map(code).collect::<Vec<_>>()
    );
    let describe = |o: &Outcome| format!("{} {:?}", code(o), o.report);
    // Every presentation in one batch, and the valid ones in a batch of their own (where the
    // batched check passes as a whole).
    let batch: Vec<(&str, Inputs)> = inputs.iter().map(|p| (p.as_str(), make())).collect();
    let many = dojang_verifier::verify_many(&batch);
    assert_eq!(many.len(), alone.len());
    for (i, (m, a)) in many.iter().zip(&alone).enumerate() {
        assert_eq!(describe(m), describe(a), "presentation {i}");
    }
    let valid: Vec<(&str, Inputs)> = inputs
        .iter()
        .zip(&alone)
        .filter(|(_, o)| o.result.is_ok())
        .map(|(p, _)| (p.as_str(), make()))
        .collect();
    for (m, (p, _)) in dojang_verifier::verify_many(&valid).iter().zip(&valid) {
        assert_eq!(code(m), "verified");
        assert_eq!(describe(m), describe(&verify(p, &make())));
    }
    assert!(dojang_verifier::verify_many(&[]).is_empty());
}
