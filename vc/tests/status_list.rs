#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
//! IETF Token Status List: the draft's vectors (see `tests/vectors/token-status-list/SOURCE.md`),
//! the Status List Token in JWT format, and the budget against compression bombs.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::PrivateJwk;
use dojang_vc::jws::sign_eddsa;
use dojang_vc::status_list::{
    sign_token, status_reference, verify_token, Status, StatusList, StatusReference,
};
use dojang_vc::{Algorithm, Budget, VcError, VerificationKey};
use serde_json::{json, Map, Value};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/token-status-list")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_vector_decodes_to_its_statuses_and_encodes_back() {
    let v: Value = serde_json::from_str(&read(&vectors().join("tsl-vectors.json"))).unwrap();
    let list = v["vectors"].as_array().unwrap();
    assert_eq!(list.len(), 6);
    for vector in list {
        let name = vector["name"].as_str().unwrap();
        let bits = u8::try_from(vector["bits"].as_u64().unwrap()).unwrap();
        let lst = vector["lst"].as_str().unwrap();
        let size = vector["size"].as_u64().unwrap();
        let nonzero: HashMap<u64, u8> = vector["nonzero"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.parse().unwrap(),
                    u8::try_from(v.as_u64().unwrap()).unwrap(),
                )
            })
            .collect();
        let decoded = StatusList::decode(bits, lst, &Budget::default()).unwrap();
        assert_eq!(decoded.bits(), bits, "{name}");
        assert_eq!(decoded.len(), size, "{name}: entries");
        for idx in 0..size {
            let expected = nonzero.get(&idx).copied().unwrap_or(0);
            assert_eq!(decoded.get(idx), Some(expected), "{name}: index {idx}");
        }
        assert_eq!(decoded.get(size), None, "{name}: one past the end");
        let prefix = vector["raw_hex_prefix"].as_str().unwrap();
        let hex: String = decoded.as_bytes()[..prefix.len() / 2]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, prefix, "{name}: raw bytes");
        // zlib level 9 on the whole array reproduces the draft's `lst` byte for byte.
        assert_eq!(decoded.encode(), lst, "{name}: re-encoded");
        // And building the list from its statuses gives the same bytes.
        let mut built = StatusList::new(bits, size).unwrap();
        for (&idx, &value) in &nonzero {
            built.set(idx, value).unwrap();
        }
        assert_eq!(built, decoded, "{name}: built from statuses");
    }
}

fn example_token() -> String {
    read(&vectors().join("examples/status_list_jwt_raw.md"))
        .split_whitespace()
        .collect()
}

fn example_key() -> VerificationKey {
    let v: Value = serde_json::from_str(&read(&vectors().join("example-key.json"))).unwrap();
    let k = &v["example_key"];
    // The public part only: from_jwk refuses a JWK that carries `d`.
    VerificationKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": k["x"], "y": k["y"]}))
        .unwrap()
}

#[test]
fn draft_example_token_verifies_with_the_example_key() {
    let token = example_token();
    // The draft prints the token's decoded header and payload beside it.
    let printed = read(&vectors().join("examples/status_list_jwt.md"));
    assert!(printed.contains(r#""typ": "statuslist+jwt""#));
    assert!(printed.contains(r#""lst": "eNrbuRgAAhcBXQ""#));
    let iat = 1_686_920_170;
    let v = verify_token(
        &token,
        &example_key(),
        &[Algorithm::ES256],
        "https://example.com/statuslists/1",
        iat + 60,
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(v.sub, "https://example.com/statuslists/1");
    assert_eq!(v.iat, iat);
    assert_eq!(v.exp, Some(2_291_720_170));
    assert_eq!(v.ttl, Some(43_200));
    assert_eq!(v.iss.as_deref(), Some("https://example.com"));
    assert_eq!(v.list.bits(), 1);
    assert_eq!(v.list.encode(), "eNrbuRgAAhcBXQ");
    assert_eq!(v.list.as_bytes(), [0xb9, 0xa3]);
    assert_eq!(Status::from_bits(v.list.get(0).unwrap()), Status::Invalid);
    assert_eq!(Status::from_bits(v.list.get(1).unwrap()), Status::Valid);

    // Past its exp the token is refused.
    let late = verify_token(
        &token,
        &example_key(),
        &[Algorithm::ES256],
        "https://example.com/statuslists/1",
        2_291_720_170,
        &Budget::default(),
    );
    assert!(matches!(late, Err(VcError::Expired { .. })));
    // Another list's URI.
    let other = verify_token(
        &token,
        &example_key(),
        &[Algorithm::ES256],
        "https://example.com/statuslists/2",
        iat,
        &Budget::default(),
    );
    assert_eq!(other.unwrap_err().code(), "status_list_sub_mismatch");
    // ES256 not allowed by the policy.
    let eddsa_only = verify_token(
        &token,
        &example_key(),
        &[Algorithm::EdDSA],
        "https://example.com/statuslists/1",
        iat,
        &Budget::default(),
    );
    assert_eq!(eddsa_only.unwrap_err().code(), "alg_not_allowed");
}

#[test]
fn tampered_example_token_fails() {
    let token = example_token();
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let mut sig: Vec<u8> = sig.bytes().collect();
    let mid = sig.len() / 2;
    sig[mid] = if sig[mid] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{signed}.{}", String::from_utf8(sig).unwrap());
    let err = verify_token(
        &tampered,
        &example_key(),
        &[Algorithm::ES256],
        "https://example.com/statuslists/1",
        1_686_920_170,
        &Budget::default(),
    )
    .unwrap_err();
    assert_eq!(err, VcError::StatusListSignatureInvalid);

    // A payload changed to mark index 1 revoked ([0xbb, 0xa3]) keeps the old signature: refused.
    let (header, rest) = token.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let text = String::from_utf8(B64.decode(payload).unwrap()).unwrap();
    let forged_lst = StatusList::from_bytes(1, vec![0xbb, 0xa3])
        .unwrap()
        .encode();
    let forged = text.replace("eNrbuRgAAhcBXQ", &forged_lst);
    assert_ne!(forged, text);
    let forged = format!("{header}.{}.{sig}", B64.encode(forged));
    let err = verify_token(
        &forged,
        &example_key(),
        &[Algorithm::ES256],
        "https://example.com/statuslists/1",
        1_686_920_170,
        &Budget::default(),
    )
    .unwrap_err();
    assert_eq!(err, VcError::StatusListSignatureInvalid);
}

const URI: &str = "https://jongno.example/status/0";

#[test]
fn eddsa_token_round_trip_and_refusals() {
    let key = PrivateJwk::generate();
    let vk = VerificationKey::Ed25519(key.public());
    let mut list = StatusList::new(2, 1 << 18).unwrap();
    list.set(7, Status::Invalid.to_bits()).unwrap();
    list.set(262_143, Status::Suspended.to_bits()).unwrap();
    let iat = 1_760_000_000;
    let token = sign_token(
        "did:example:jongno",
        "did:example:jongno#key-1",
        URI,
        iat,
        iat + 86_400,
        3_600,
        &list,
        key.signing_key(),
    )
    .unwrap();
    let b = Budget::default();
    let v = verify_token(&token, &vk, &[Algorithm::EdDSA], URI, iat + 10, &b).unwrap();
    assert_eq!(v.list, list);
    assert_eq!(
        (v.iat, v.exp, v.ttl),
        (iat, Some(iat + 86_400), Some(3_600))
    );
    assert_eq!(v.iss.as_deref(), Some("did:example:jongno"));
    assert_eq!(v.list.get(7), Some(1));
    assert_eq!(v.list.get(262_143), Some(2));
    assert_eq!(v.list.get(8), Some(0));

    // Another key.
    let other = VerificationKey::Ed25519(PrivateJwk::generate().public());
    assert_eq!(
        verify_token(&token, &other, &[Algorithm::EdDSA], URI, iat, &b).unwrap_err(),
        VcError::StatusListSignatureInvalid
    );
    // Expired: exp is the first second it no longer holds.
    assert_eq!(
        verify_token(&token, &vk, &[Algorithm::EdDSA], URI, iat + 86_400, &b).unwrap_err(),
        VcError::Expired {
            exp: iat + 86_400,
            now: iat + 86_400
        }
    );
    // Wrong typ: a credential JWT is not a status list.
    let mut header = Map::new();
    header.insert("typ".into(), json!("dc+sd-jwt"));
    let payload = B64.decode(token.split('.').nth(1).unwrap()).unwrap();
    let payload: Map<String, Value> = serde_json::from_slice(&payload).unwrap();
    let wrong_typ = sign_eddsa(&header, &payload, key.signing_key()).unwrap();
    assert_eq!(
        verify_token(&wrong_typ, &vk, &[Algorithm::EdDSA], URI, iat, &b)
            .unwrap_err()
            .code(),
        "typ_invalid"
    );
    // Malformed tokens are invalid status lists.
    for bad in ["", "a.b", "not.a.token", "e30.e30.AA.x"] {
        assert_eq!(
            verify_token(bad, &vk, &[Algorithm::EdDSA], URI, iat, &b)
                .unwrap_err()
                .code(),
            "status_list_invalid",
            "{bad:?}"
        );
    }
    // Bad arguments to the signer.
    for (exp, ttl) in [(iat, 60), (iat + 60, 0)] {
        assert_eq!(
            sign_token("i", "k", URI, iat, exp, ttl, &list, key.signing_key())
                .unwrap_err()
                .code(),
            "invalid_claim"
        );
    }
}

#[test]
fn bad_status_list_claims_in_a_signed_token() {
    let key = PrivateJwk::generate();
    let vk = VerificationKey::Ed25519(key.public());
    let mut header = Map::new();
    header.insert("typ".into(), json!("statuslist+jwt"));
    let b = Budget::default();
    let cases = [
        (
            json!({"bits": 3, "lst": "eNrbuRgAAhcBXQ"}),
            "status_list_invalid",
        ),
        (
            json!({"bits": 0, "lst": "eNrbuRgAAhcBXQ"}),
            "status_list_invalid",
        ),
        (
            json!({"bits": 256, "lst": "eNrbuRgAAhcBXQ"}),
            "status_list_invalid",
        ),
        (
            json!({"bits": "1", "lst": "eNrbuRgAAhcBXQ"}),
            "status_list_invalid",
        ),
        (json!({"bits": 1}), "status_list_invalid"),
        (
            json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ=="}),
            "status_list_invalid",
        ),
        (json!({"bits": 1, "lst": "AAAAAAAA"}), "status_list_invalid"),
        (json!("eNrbuRgAAhcBXQ"), "status_list_invalid"),
        (Value::Null, "missing_claim"),
    ];
    for (status_list, code) in cases {
        let mut payload = Map::new();
        payload.insert("sub".into(), json!(URI));
        payload.insert("iat".into(), json!(1));
        if !status_list.is_null() {
            payload.insert("status_list".into(), status_list.clone());
        }
        let token = sign_eddsa(&header, &payload, key.signing_key()).unwrap();
        assert_eq!(
            verify_token(&token, &vk, &[Algorithm::EdDSA], URI, 2, &b)
                .unwrap_err()
                .code(),
            code,
            "{status_list}"
        );
    }
}

#[test]
fn bad_bits_refused() {
    assert_eq!(
        StatusList::decode(3, "eNrbuRgAAhcBXQ", &Budget::default()).unwrap_err(),
        VcError::StatusListInvalid {
            reason: "bits must be 1, 2, 4 or 8"
        }
    );
    for bits in [0, 3, 5, 6, 7, 9, 16] {
        assert_eq!(
            StatusList::new(bits, 8).unwrap_err().code(),
            "status_list_invalid"
        );
    }
}

#[test]
fn compression_bomb_stops_at_the_budget() {
    // 64 MiB of zeros, compressed to about 64 KiB, streamed so the test itself stays small.
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = B64.encode(enc.finish().unwrap());
    assert!(bomb.len() < 200 * 1024);
    let budget = Budget::default();
    let err = StatusList::decode(2, &bomb, &budget).unwrap_err();
    match err {
        VcError::LimitExceeded { limit, max, actual } => {
            assert_eq!(limit, "status_list_bytes");
            assert_eq!(max, budget.max_status_list_bytes);
            // Inflating stopped right past the budget, not after 64 MiB.
            assert!(actual > max && actual <= max + 1, "{actual}");
        }
        other => panic!("expected limit_exceeded, got {other:?}"),
    }
    // A tighter budget stops it earlier.
    let small = Budget {
        max_status_list_bytes: 1000,
        ..Budget::default()
    };
    assert!(matches!(
        StatusList::decode(2, &bomb, &small),
        Err(VcError::LimitExceeded { max: 1000, .. })
    ));
}

#[test]
fn set_get_round_trip_on_boundaries_for_every_width() {
    for bits in [1u8, 2, 4, 8] {
        let per_byte = 8 / u64::from(bits);
        let len = 64 * per_byte;
        let max = if bits == 8 { 255 } else { (1u8 << bits) - 1 };
        let mut list = StatusList::new(bits, len).unwrap();
        assert_eq!(list.len(), len);
        let edges = [
            0,
            per_byte - 1,
            per_byte,
            2 * per_byte - 1,
            len - per_byte,
            len - 1,
        ];
        for &idx in &edges {
            list.set(idx, max).unwrap();
        }
        for idx in 0..len {
            let expected = if edges.contains(&idx) { max } else { 0 };
            assert_eq!(list.get(idx), Some(expected), "bits {bits}, index {idx}");
        }
        assert_eq!(list.get(len), None);
        assert_eq!(
            list.set(len, 1).unwrap_err(),
            VcError::StatusIndexOutOfRange { idx: len, len }
        );
        if bits < 8 {
            assert_eq!(
                list.set(0, max + 1).unwrap_err().code(),
                "status_list_invalid"
            );
        }
        let decoded = StatusList::decode(bits, &list.encode(), &Budget::default()).unwrap();
        assert_eq!(decoded, list);
        // Lowering one entry leaves its neighbours alone.
        list.set(per_byte, 1).unwrap();
        assert_eq!(list.get(per_byte), Some(1));
        assert_eq!(list.get(per_byte - 1), Some(max));
        let next = if edges.contains(&(per_byte + 1)) {
            max
        } else {
            0
        };
        assert_eq!(list.get(per_byte + 1), Some(next));
        list.set(per_byte, 0).unwrap();
        assert_eq!(list.get(per_byte), Some(0));
    }
    // Lengths that are not a whole number of bytes round up.
    assert_eq!(StatusList::new(2, 5).unwrap().len(), 8);
    assert_eq!(StatusList::new(1, 0).unwrap().len(), 0);
}

#[test]
fn status_values() {
    for (v, s) in [
        (0, Status::Valid),
        (1, Status::Invalid),
        (2, Status::Suspended),
        (3, Status::Other(3)),
        (255, Status::Other(255)),
    ] {
        assert_eq!(Status::from_bits(v), s);
        assert_eq!(s.to_bits(), v);
    }
}

#[test]
fn status_reference_from_a_payload() {
    let payload = json!({
        "iss": "did:example:jongno",
        "status": {"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}}
    });
    let r = status_reference(payload.as_object().unwrap()).unwrap();
    assert_eq!(
        r,
        Some(StatusReference {
            idx: 0,
            uri: "https://example.com/statuslists/1".into()
        })
    );
}
