//! The accreditation trust list: signed by the pinned root, fresh, never rolled back, well formed;
//! issuers accredited per vct with keys valid in windows.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;

use dojang_did::{did_for_key, DidMethod, PrivateJwk};
use dojang_vc::jws::sign_eddsa;
use dojang_vc::trust_list::{
    sign_trust_list, verify_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey,
    RelyingParty, TrustList, VerifiedTrustList, TRUST_LIST_TYP,
};
use dojang_vc::{Budget, VcError};
use serde_json::{json, Map, Value};

const ROOT_ID: &str = "did:web:mois.example";
const ROOT_KID: &str = "did:web:mois.example#root-1";
const JONGNO: &str = "did:web:jongno.example";
const COPY: &str = "urn:dojang:kr:resident-registration-copy:1";
const ABSTRACT: &str = "urn:dojang:kr:resident-registration-abstract:1";
const FAMILY: &str = "urn:dojang:kr:family-relation-certificate:1";
const NOW: i64 = 1_760_000_000;
const DAY: i64 = 86_400;
/// When Jongno's first key was replaced by its second.
const ROTATION: i64 = NOW - 100 * DAY;

struct Fixture {
    root: PrivateJwk,
    old_key: PrivateJwk,
    new_key: PrivateJwk,
    list: TrustList,
}

fn fixture() -> Fixture {
    let root = PrivateJwk::generate();
    let old_key = PrivateJwk::generate();
    let new_key = PrivateJwk::generate();
    let list = TrustList {
        iss: ROOT_ID.into(),
        seq: 7,
        iat: NOW - DAY,
        exp: NOW + 30 * DAY,
        issuers: vec![AccreditedIssuer {
            did: JONGNO.into(),
            name_ko: "서울특별시 종로구청".into(),
            name_en: "Jongno-gu Office, Seoul".into(),
            status: AccreditationStatus::Active,
            vcts: vec![COPY.into(), ABSTRACT.into()],
            keys: vec![
                IssuerKey {
                    kid: format!("{JONGNO}#key-1"),
                    jwk: old_key.public().to_json(),
                    not_before: NOW - 1000 * DAY,
                    not_after: Some(ROTATION),
                },
                IssuerKey {
                    kid: format!("{JONGNO}#key-2"),
                    jwk: new_key.public().to_json(),
                    not_before: ROTATION,
                    not_after: None,
                },
            ],
            status_list_base: Some("https://jongno.example/status/".into()),
        }],
        relying_parties: vec![RelyingParty {
            id: "https://bank.example".into(),
            name_ko: "도장은행".into(),
            name_en: "Dojang Bank".into(),
            keys: vec![PrivateJwk::generate().public().to_json()],
            entitlements: BTreeMap::from([(
                COPY.to_owned(),
                vec!["name".to_owned(), "address".to_owned(), "rrn".to_owned()],
            )]),
        }],
    };
    Fixture {
        root,
        old_key,
        new_key,
        list,
    }
}

fn sign(f: &Fixture, list: &TrustList) -> String {
    sign_trust_list(list, ROOT_KID, f.root.signing_key()).unwrap()
}

fn verify(f: &Fixture, token: &str, seen: Option<u64>) -> Result<VerifiedTrustList, VcError> {
    verify_trust_list(token, &f.root.public(), NOW, seen, &Budget::default())
}

/// Signs an arbitrary payload as a trust list JWT, bypassing the checks of `sign_trust_list`.
fn sign_raw(f: &Fixture, payload: &Value) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), json!(TRUST_LIST_TYP));
    sign_eddsa(&header, payload.as_object().unwrap(), f.root.signing_key()).unwrap()
}

fn code<T: std::fmt::Debug>(r: Result<T, VcError>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn a_signed_list_verifies_and_answers_lookups() {
    let f = fixture();
    let v = verify(&f, &sign(&f, &f.list), None).unwrap();
    assert_eq!(v.seq(), 7);
    assert_eq!(v.iat(), NOW - DAY);
    assert_eq!(v.exp(), NOW + 30 * DAY);
    assert_eq!(v.iss(), ROOT_ID);
    assert_eq!(v.root_thumbprint(), f.root.public().thumbprint());
    assert_eq!(v.issuer(JONGNO).unwrap().name_ko, "서울특별시 종로구청");
    assert!(v.issuer("did:web:other.example").is_none());
    let (issuer, key, jwk) = v
        .issuer_key(JONGNO, Some(&format!("{JONGNO}#key-2")), COPY, NOW)
        .unwrap();
    assert_eq!(issuer.did, JONGNO);
    assert_eq!(key.kid, format!("{JONGNO}#key-2"));
    assert_eq!(jwk, f.new_key.public());
    // Relying parties and entitlements.
    assert_eq!(
        v.relying_party("https://bank.example").unwrap().name_en,
        "Dojang Bank"
    );
    assert!(v.entitled("https://bank.example", COPY, "rrn"));
    assert!(v.entitled("https://bank.example", COPY, "address.road_address"));
    assert!(!v.entitled("https://bank.example", FAMILY, "name"));
    assert!(!v.entitled("https://bank.example", COPY, "members"));
    assert!(!v.entitled("https://other.example", COPY, "name"));
    // A trailing newline, as in a file, is accepted.
    let token = format!("{}\n", sign(&f, &f.list));
    assert!(verify(&f, &token, None).is_ok());
}

#[test]
fn signature_by_another_key_is_refused() {
    let f = fixture();
    let other = PrivateJwk::generate();
    let token = sign_trust_list(&f.list, ROOT_KID, other.signing_key()).unwrap();
    assert_eq!(
        verify(&f, &token, None).unwrap_err(),
        VcError::TrustListSignatureInvalid
    );
    // A flipped payload byte under the right key fails too.
    let good = sign(&f, &f.list);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&base64_decode(&parts[1])).unwrap();
    payload["seq"] = json!(8);
    parts[1] = base64_encode(&serde_json::to_vec(&payload).unwrap());
    assert_eq!(
        code(verify(&f, &parts.join("."), None)),
        "trust_list_signature_invalid"
    );
}

#[test]
fn wrong_typ_and_non_eddsa_alg_are_refused() {
    let f = fixture();
    let payload = serde_json::to_value(&f.list).unwrap();
    let mut header = Map::new();
    header.insert("typ".into(), json!("JWT"));
    let token = sign_eddsa(&header, payload.as_object().unwrap(), f.root.signing_key()).unwrap();
    assert_eq!(code(verify(&f, &token, None)), "typ_invalid");
    // A header that tries to name its own key is refused, even when signed by the root.
    let mut header = Map::new();
    header.insert("typ".into(), json!(TRUST_LIST_TYP));
    header.insert("jwk".into(), f.root.public().to_json());
    let token = sign_eddsa(&header, payload.as_object().unwrap(), f.root.signing_key()).unwrap();
    assert_eq!(code(verify(&f, &token, None)), "forbidden_header");
}

#[test]
fn expired_list_is_refused() {
    let f = fixture();
    let mut list = f.list.clone();
    list.iat = NOW - 40 * DAY;
    list.exp = NOW;
    assert_eq!(
        verify(&f, &sign(&f, &list), None).unwrap_err(),
        VcError::TrustListExpired { exp: NOW, now: NOW }
    );
    list.exp = NOW + 1;
    assert!(verify(&f, &sign(&f, &list), None).is_ok());
}

#[test]
fn rollback_is_refused_and_equal_sequence_accepted() {
    let f = fixture();
    let token = sign(&f, &f.list);
    assert_eq!(
        verify(&f, &token, Some(8)).unwrap_err(),
        VcError::TrustListRollback { seq: 7, seen: 8 }
    );
    assert_eq!(verify(&f, &token, Some(7)).unwrap().seq(), 7);
    assert_eq!(verify(&f, &token, Some(6)).unwrap().seq(), 7);
}

#[test]
fn issuer_not_accredited_for_the_vct() {
    let f = fixture();
    let v = verify(&f, &sign(&f, &f.list), None).unwrap();
    assert_eq!(
        v.issuer_key(JONGNO, None, FAMILY, NOW).unwrap_err(),
        VcError::IssuerNotAccredited {
            iss: JONGNO.into(),
            vct: FAMILY.into()
        }
    );
    assert_eq!(
        code(v.issuer_key("did:web:unknown.example", None, COPY, NOW)),
        "untrusted_issuer"
    );
}

#[test]
fn suspended_issuer_is_refused_whenever_it_signed() {
    let f = fixture();
    let mut list = f.list.clone();
    list.issuers[0].status = AccreditationStatus::Suspended;
    let v = verify(&f, &sign(&f, &list), None).unwrap();
    for at in [ROTATION - DAY, NOW] {
        assert_eq!(
            v.issuer_key(JONGNO, None, COPY, at).unwrap_err(),
            VcError::IssuerSuspended { iss: JONGNO.into() }
        );
    }
    // Still listed, so a caller can say who it was.
    assert_eq!(
        v.issuer(JONGNO).unwrap().status,
        AccreditationStatus::Suspended
    );
}

#[test]
fn key_used_outside_its_window_is_refused() {
    let f = fixture();
    let v = verify(&f, &sign(&f, &f.list), None).unwrap();
    let key1 = format!("{JONGNO}#key-1");
    let key2 = format!("{JONGNO}#key-2");
    // Before the first key's not_before.
    let early = NOW - 1000 * DAY - 1;
    assert_eq!(
        v.issuer_key(JONGNO, Some(&key1), COPY, early).unwrap_err(),
        VcError::KeyNotValidAt {
            kid: key1.clone(),
            at: early
        }
    );
    // No kid and no key valid then.
    assert_eq!(
        code(v.issuer_key(JONGNO, None, COPY, early)),
        "issuer_key_unknown"
    );
    // The new key before its not_before.
    assert_eq!(
        code(v.issuer_key(JONGNO, Some(&key2), COPY, ROTATION - 1)),
        "key_not_valid_at_iat"
    );
    // A kid that is not on the list.
    assert_eq!(
        code(v.issuer_key(JONGNO, Some(&format!("{JONGNO}#key-9")), COPY, NOW)),
        "issuer_key_unknown"
    );
}

#[test]
fn key_rotation_old_before_new_after() {
    let f = fixture();
    let v = verify(&f, &sign(&f, &f.list), None).unwrap();
    let key1 = format!("{JONGNO}#key-1");
    let key2 = format!("{JONGNO}#key-2");
    // A credential issued before the rotation verifies with the old key …
    let (_, k, jwk) = v
        .issuer_key(JONGNO, Some(&key1), COPY, ROTATION - 1)
        .unwrap();
    assert_eq!(k.kid, key1);
    assert_eq!(jwk, f.old_key.public());
    // … and without a kid the window picks it.
    assert_eq!(
        v.issuer_key(JONGNO, None, COPY, ROTATION - 1).unwrap().2,
        f.old_key.public()
    );
    // After the rotation, the new key.
    let (_, k, jwk) = v.issuer_key(JONGNO, Some(&key2), COPY, ROTATION).unwrap();
    assert_eq!(k.kid, key2);
    assert_eq!(jwk, f.new_key.public());
    assert_eq!(
        v.issuer_key(JONGNO, None, COPY, NOW).unwrap().2,
        f.new_key.public()
    );
    // The old key after its not_after is refused.
    assert_eq!(
        v.issuer_key(JONGNO, Some(&key1), COPY, ROTATION)
            .unwrap_err(),
        VcError::KeyNotValidAt {
            kid: key1,
            at: ROTATION
        }
    );
}

#[test]
fn overlapping_windows_need_a_kid() {
    let f = fixture();
    let mut list = f.list.clone();
    list.issuers[0].keys[0].not_after = Some(NOW + DAY);
    let v = verify(&f, &sign(&f, &list), None).unwrap();
    assert_eq!(
        code(v.issuer_key(JONGNO, None, COPY, NOW)),
        "issuer_key_unknown"
    );
    assert!(v
        .issuer_key(JONGNO, Some(&format!("{JONGNO}#key-1")), COPY, NOW)
        .is_ok());
}

#[test]
fn duplicate_json_key_in_payload_is_refused() {
    let f = fixture();
    let good = serde_json::to_string(&f.list).unwrap();
    // The same `seq` twice: serde_json alone would keep the last one.
    let payload = good.replacen("\"seq\":7", "\"seq\":7,\"seq\":99", 1);
    assert_ne!(payload, good);
    let header = format!(r#"{{"typ":"{TRUST_LIST_TYP}","alg":"EdDSA"}}"#);
    let token =
        dojang_vc::jws::sign_eddsa_raw(header.as_bytes(), payload.as_bytes(), f.root.signing_key())
            .unwrap();
    let err = verify(&f, &token, None).unwrap_err();
    assert_eq!(
        err,
        VcError::DuplicateJsonKey {
            part: "trust list payload",
            key: "seq".into()
        }
    );
}

#[test]
fn private_member_in_a_listed_key_is_refused() {
    let f = fixture();
    let mut list = f.list.clone();
    list.issuers[0].keys[1].jwk = f.new_key.to_json();
    // The signer refuses to sign it …
    assert_eq!(
        code(sign_trust_list(&list, ROOT_KID, f.root.signing_key())),
        "trust_list_invalid"
    );
    // … and a verifier refuses it when another signer did.
    let token = sign_raw(&f, &serde_json::to_value(&list).unwrap());
    let err = verify(&f, &token, None).unwrap_err();
    assert_eq!(err.code(), "trust_list_invalid");
    assert!(err.to_string().contains("`d`"), "{err}");
    // Same for a relying party's request-signing key.
    let mut list = f.list.clone();
    list.relying_parties[0].keys[0] = PrivateJwk::generate().to_json();
    let token = sign_raw(&f, &serde_json::to_value(&list).unwrap());
    assert_eq!(code(verify(&f, &token, None)), "trust_list_invalid");
}

/// A change that makes a list malformed.
type Edit = Box<dyn Fn(&mut TrustList)>;

#[test]
fn malformed_lists_are_refused() {
    let f = fixture();
    let bad = |edit: &dyn Fn(&mut TrustList)| {
        let mut list = f.list.clone();
        edit(&mut list);
        let token = sign_raw(&f, &serde_json::to_value(&list).unwrap());
        verify(&f, &token, None).unwrap_err()
    };
    let cases: Vec<(&str, Edit)> = vec![
        (
            "kid of another DID",
            Box::new(|l| l.issuers[0].keys[0].kid = "did:web:other.example#key-1".into()),
        ),
        (
            "kid without fragment",
            Box::new(|l| l.issuers[0].keys[0].kid = JONGNO.into()),
        ),
        (
            "window reversed",
            Box::new(|l| l.issuers[0].keys[0].not_after = Some(NOW - 2000 * DAY)),
        ),
        (
            "empty window",
            Box::new(|l| {
                let nb = l.issuers[0].keys[0].not_before;
                l.issuers[0].keys[0].not_after = Some(nb);
            }),
        ),
        (
            "duplicate issuer",
            Box::new(|l| {
                let again = l.issuers[0].clone();
                l.issuers.push(again);
            }),
        ),
        (
            "duplicate kid",
            Box::new(|l| {
                let again = l.issuers[0].keys[0].clone();
                l.issuers[0].keys.push(again);
            }),
        ),
        (
            "not a DID",
            Box::new(|l| l.issuers[0].did = "jongno.example".into()),
        ),
        (
            "unsupported key type",
            Box::new(|l| {
                l.issuers[0].keys[0].jwk = json!({"kty":"EC","crv":"P-256","x":"AA","y":"AA"})
            }),
        ),
        (
            "empty name",
            Box::new(|l| l.issuers[0].name_en = " ".into()),
        ),
        ("iat after exp", Box::new(|l| l.iat = l.exp + 1)),
        (
            "duplicate relying party",
            Box::new(|l| {
                let again = l.relying_parties[0].clone();
                l.relying_parties.push(again);
            }),
        ),
        (
            "empty entitlement",
            Box::new(|l| {
                l.relying_parties[0]
                    .entitlements
                    .insert(FAMILY.into(), vec![]);
            }),
        ),
    ];
    for (what, edit) in cases {
        assert_eq!(bad(&*edit).code(), "trust_list_invalid", "{what}");
    }
    // Unknown members are refused: a restriction this verifier does not know is not ignored.
    let mut payload = serde_json::to_value(&f.list).unwrap();
    payload["issuers"][0]["restricted_to"] = json!(["https://bank.example"]);
    assert_eq!(
        code(verify(&f, &sign_raw(&f, &payload), None)),
        "trust_list_invalid"
    );
    // Missing members too.
    let mut payload = serde_json::to_value(&f.list).unwrap();
    payload.as_object_mut().unwrap().remove("seq");
    assert_eq!(
        code(verify(&f, &sign_raw(&f, &payload), None)),
        "trust_list_invalid"
    );
    // Not a JWS at all.
    assert_eq!(code(verify(&f, "not-a-jwt", None)), "malformed_jwt");
}

#[test]
fn did_key_issuer_must_list_its_own_key() {
    let f = fixture();
    let agency = PrivateJwk::generate();
    let (did, kid) = did_for_key(&agency.public(), DidMethod::Key);
    let mut list = f.list.clone();
    list.issuers.push(AccreditedIssuer {
        did: did.clone(),
        name_ko: "부산지방법원 등기국".into(),
        name_en: "Busan District Court Registry Office".into(),
        status: AccreditationStatus::Active,
        vcts: vec![FAMILY.into()],
        keys: vec![IssuerKey {
            kid: kid.clone(),
            jwk: agency.public().to_json(),
            not_before: 0,
            not_after: None,
        }],
        status_list_base: None,
    });
    let v = verify(&f, &sign(&f, &list), None).unwrap();
    assert_eq!(
        v.issuer_key(&did, Some(&kid), FAMILY, NOW).unwrap().2,
        agency.public()
    );
    // Another key under that did:key is a contradiction.
    let last = list.issuers.len() - 1;
    list.issuers[last].keys[0].jwk = PrivateJwk::generate().public().to_json();
    assert_eq!(
        code(sign_trust_list(&list, ROOT_KID, f.root.signing_key())),
        "trust_list_invalid"
    );
}

#[test]
fn entry_budget_exceeded_is_refused() {
    let f = fixture();
    // 1 issuer + 1 relying party = 2 entries.
    let token = sign(&f, &f.list);
    let tight = Budget {
        max_trust_list_entries: 1,
        ..Budget::default()
    };
    assert_eq!(
        verify_trust_list(&token, &f.root.public(), NOW, None, &tight).unwrap_err(),
        VcError::LimitExceeded {
            limit: "trust_list_entries",
            max: 1,
            actual: 2
        }
    );
    let exact = Budget {
        max_trust_list_entries: 2,
        ..Budget::default()
    };
    assert!(verify_trust_list(&token, &f.root.public(), NOW, None, &exact).is_ok());
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
