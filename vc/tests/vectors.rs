//! The published SD-JWT and JOSE vectors, reproduced (see `tests/vectors/*/SOURCE.md`).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;

use dojang_did::PrivateJwk;
use dojang_vc::disclosure::digest;
use dojang_vc::key_binding::{self, KbExpectations};
use dojang_vc::process::process;
use dojang_vc::{Algorithm, Budget, Disclosure, SdJwt, VerificationKey};
use serde_json::{json, Value};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn rfc9901_disclosure_digests() {
    let v = read_json(&vectors().join("sd-jwt-spec/spec-literal-vectors.json"));
    let obj = &v["object_property"];
    let enc = obj["disclosure"].as_str().unwrap();
    assert_eq!(digest(enc), obj["sha256_digest"]);
    let d = Disclosure::parse(enc, &Budget::default()).unwrap();
    assert_eq!(d.salt(), "_26bc4LT-ac6q2KI6cBW5es");
    assert_eq!(d.name(), Some("family_name"));
    assert_eq!(d.value(), &json!("Möbius"));
    // Other encodings of the same claim decode alike but hash differently: never re-encode.
    for other in obj["equivalent_encodings_same_claim_different_digest"]
        .as_array()
        .unwrap()
    {
        let o = Disclosure::parse(other.as_str().unwrap(), &Budget::default()).unwrap();
        assert_eq!(
            (o.salt(), o.name(), o.value()),
            (d.salt(), d.name(), d.value())
        );
        assert_ne!(o.digest(), d.digest());
    }
    let arr = &v["array_element"];
    let a = Disclosure::parse(arr["disclosure"].as_str().unwrap(), &Budget::default()).unwrap();
    assert_eq!(a.element_count(), 2);
    assert_eq!(a.salt(), "lklxF5jMYlGTPUovMNIvCA");
    assert_eq!(a.value(), &json!("FR"));
    let given =
        &v["simple_example_given_name (regenerated with seed 0; matches published spec example)"];
    assert_eq!(
        digest(given["disclosure"].as_str().unwrap()),
        given["sha256_digest"]
    );
}

#[test]
fn rfc8037_appendix_a4_signature_reproduced_byte_for_byte() {
    let v = read_json(&vectors().join("rfc8037/rfc8037-appendix-a.json"));
    let key = PrivateJwk::from_json(&v["A.1_private_key_jwk"]).unwrap();
    let jws = dojang_vc::jws::sign_eddsa_raw(
        v["A.4_protected_header"].as_str().unwrap().as_bytes(),
        v["A.4_payload_utf8"].as_str().unwrap().as_bytes(),
        key.signing_key(),
    )
    .unwrap();
    assert_eq!(jws, v["A.4_jws_compact"].as_str().unwrap());
    // A.5: verification with the A.2 public key succeeds, and fails once a byte changes. The
    // payload is not JSON, so the signature is checked directly over the signing input.
    let public = VerificationKey::from_jwk(&v["A.2_public_key_jwk"]).unwrap();
    let input = v["A.4_signing_input"].as_str().unwrap();
    let sig_b64 = jws.rsplit('.').next().unwrap();
    let mut sig = B64.decode(sig_b64).unwrap();
    assert!(public.verify_signature(input.as_bytes(), &sig));
    sig[10] ^= 1;
    assert!(!public.verify_signature(input.as_bytes(), &sig));
    assert!(!public.verify_signature(b"Example of Ed25519 signinG", &B64.decode(sig_b64).unwrap()));
}

/// The ES256 issuer key of `settings.yml` (`issuer_keys[0]`, public part).
fn generated_issuer_key() -> VerificationKey {
    VerificationKey::from_jwk(&json!({
        "kty": "EC", "crv": "P-256",
        "x": "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
        "y": "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"
    }))
    .unwrap()
}

/// Reads a generated `.txt` artefact. The generator wraps long lines for the specification's
/// layout; the token itself is the text with the line breaks removed.
fn read_token(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split_whitespace().collect()
}

fn generated_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for set in ["spec-examples", "py-testcases"] {
        for entry in std::fs::read_dir(vectors().join("sd-jwt-generated").join(set)).unwrap() {
            let dir = entry.unwrap().path();
            if dir.join("sd_jwt_presentation.txt").exists() {
                out.push(dir);
            }
        }
    }
    out.sort();
    out
}

/// Verifies a generated presentation as RFC 9901 §7 says: issuer signature, Disclosures, and the
/// KB-JWT when there is one (its `iat` is the generation time, so the age window is opened).
fn verify_generated(dir: &Path, text: &str) -> Result<Value, dojang_vc::VcError> {
    let budget = Budget::default();
    let sd = SdJwt::parse(text, &budget)?;
    let payload = sd
        .issuer_jwt()
        .verify(&generated_issuer_key(), &[Algorithm::ES256])?
        .clone();
    let processed = process(&payload, sd.disclosures(), &budget)?;
    if sd.key_binding().is_some() {
        let kb = read_json(&dir.join("kb_jwt_payload.json"));
        let holder = key_binding::holder_key(&payload)?;
        let iat = kb["iat"].as_i64().unwrap();
        key_binding::verify(
            &sd,
            &holder,
            &KbExpectations {
                aud: kb["aud"].as_str().unwrap(),
                nonce: "1234567890",
                now: iat,
                leeway: 0,
                max_age: 60,
                allowed: &[Algorithm::ES256],
            },
        )?;
    }
    Ok(Value::Object(processed.claims))
}

#[test]
fn sd_jwt_generated_presentations_verify_to_the_expected_claims() {
    let cases = generated_cases();
    assert!(
        cases.len() >= 28,
        "expected the compact cases, found {}",
        cases.len()
    );
    for dir in cases {
        let text = read_token(&dir.join("sd_jwt_presentation.txt"));
        let claims =
            verify_generated(&dir, &text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let expected = read_json(&dir.join("verified_contents.json"));
        assert_eq!(claims, expected, "{}", dir.display());
    }
}

#[test]
fn sd_jwt_generated_issuances_process_to_the_user_claims() {
    // With every Disclosure, the processed payload is the user's claims plus the plain claims.
    for dir in generated_cases() {
        let text = read_token(&dir.join("sd_jwt_issuance.txt"));
        let budget = Budget::default();
        let sd = SdJwt::parse(&text, &budget).unwrap();
        let payload = sd
            .issuer_jwt()
            .verify(&generated_issuer_key(), &[Algorithm::ES256])
            .unwrap();
        assert_eq!(
            &Value::Object(payload.clone()),
            &read_json(&dir.join("sd_jwt_payload.json")),
            "{}",
            dir.display()
        );
        let processed = process(payload, sd.disclosures(), &budget).unwrap();
        let user = read_json(&dir.join("user_claims.json"));
        for (k, v) in user.as_object().unwrap() {
            assert_eq!(
                processed.claims.get(k),
                Some(v),
                "{} claim {k}",
                dir.display()
            );
        }
    }
}

#[test]
fn sd_jwt_generated_tampering_is_rejected() {
    for dir in generated_cases() {
        let text = read_token(&dir.join("sd_jwt_presentation.txt"));
        let parts: Vec<&str> = text.trim_end().split('~').collect();
        // One flipped character in each Disclosure, in the payload, in the signature.
        let mut targets: Vec<(usize, usize)> = (1..parts.len().saturating_sub(1))
            .map(|i| (i, parts[i].len() / 2))
            .collect();
        let jwt_len = parts[0].len();
        let dot1 = parts[0].find('.').unwrap();
        targets.push((0, dot1 + 10));
        targets.push((0, jwt_len - 10));
        for (part, at) in targets {
            let mut owned: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            let mut bytes = owned[part].clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            owned[part] = String::from_utf8(bytes).unwrap();
            let tampered = owned.join("~");
            assert!(
                verify_generated(&dir, &tampered).is_err(),
                "{} part {part} at {at} accepted after tampering",
                dir.display()
            );
        }
    }
}

#[test]
fn json_serialization_cases_are_reported_unsupported() {
    // Dojang speaks the compact serialization only; the JWS JSON serialization cases must not
    // be mistaken for compact input.
    for set in ["spec-examples", "py-testcases"] {
        for case in ["json_serialization_flattened", "json_serialization_general"] {
            let dir = vectors().join("sd-jwt-generated").join(set).join(case);
            let text = std::fs::read_to_string(dir.join("sd_jwt_presentation.json")).unwrap();
            assert!(
                SdJwt::parse(&text, &Budget::default()).is_err(),
                "{}",
                dir.display()
            );
        }
    }
}
