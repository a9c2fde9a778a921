#![allow(clippy::unwrap_used)]
//! The issuance log's formats: leaves, signed checkpoints and proofs, end to end.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::{did_for_key, DidMethod, PrivateJwk};
use dojang_vc::log::{
    checkpoint_kid, jwt_sha256, sign_checkpoint, verify_checkpoint, Checkpoint, ConsistencyProof,
    InclusionProof, LogLeaf,
};
use dojang_vc::merkle::{consistency_proof, inclusion_proof, root, Hash};
use dojang_vc::{Budget, VerificationKey};

struct Log {
    key: PrivateJwk,
    did: String,
    kid: String,
    leaves: Vec<LogLeaf>,
}

impl Log {
    fn new(n: usize) -> Self {
        let key = PrivateJwk::generate();
        let (did, kid) = did_for_key(&key.public(), DidMethod::Key);
        let leaves = (0..n)
            .map(|i| {
                LogLeaf::for_jwt(
                    &format!("header.payload{i}.sig"),
                    "urn:dojang:kr:resident-registration-copy:1",
                    1_700_000_000 + i as i64,
                    Some("https://issuer.example/status/1"),
                    Some(i as u64),
                )
            })
            .collect();
        Self {
            key,
            did,
            kid,
            leaves,
        }
    }

    fn hashes(&self, size: usize) -> Vec<Hash> {
        self.leaves[..size].iter().map(LogLeaf::hash).collect()
    }

    fn checkpoint(&self, size: usize, iat: i64) -> String {
        let cp = Checkpoint::new(&self.did, size as u64, &root(&self.hashes(size)), iat);
        sign_checkpoint(&cp, &self.kid, self.key.signing_key()).unwrap()
    }

    fn vk(&self) -> VerificationKey {
        VerificationKey::Ed25519(self.key.public())
    }
}

fn verify(token: &str, vk: &VerificationKey) -> Result<Checkpoint, dojang_vc::VcError> {
    verify_checkpoint(token, vk, &Budget::default())
}

#[test]
fn leaf_round_trip_and_hash_of_jwt() {
    let leaf = LogLeaf::for_jwt("a.b.c", "urn:x", -5, None, None);
    assert_eq!(leaf.jwt_sha256.len(), 43);
    assert_eq!(leaf.jwt_sha256, jwt_sha256("a.b.c"));
    let bytes = leaf.to_bytes();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        format!(
            r#"{{"v":1,"jwt_sha256":"{}","vct":"urn:x","iat":-5}}"#,
            leaf.jwt_sha256
        )
    );
    assert_eq!(LogLeaf::from_bytes(&bytes).unwrap(), leaf);
    assert_ne!(
        leaf.hash(),
        LogLeaf::for_jwt("a.b.d", "urn:x", -5, None, None).hash()
    );
}

#[test]
fn malformed_leaves_refused() {
    let good = LogLeaf::for_jwt("a.b.c", "urn:x", 1, Some("u"), Some(2));
    let text = String::from_utf8(good.to_bytes()).unwrap();
    let short = text.replacen(&good.jwt_sha256, "AAAA", 1);
    let padded = text.replacen(&good.jwt_sha256, &format!("{}=", good.jwt_sha256), 1);
    for bad in [
        "",
        "[]",
        "{}",
        &short,
        &padded,
        &text.replacen("\"urn:x\"", "\"\"", 1),
        &text.replacen("\"iat\":1", "\"iat\":\"1\"", 1),
        &text.replacen("\"status_idx\":2", "\"status_idx\":-2", 1),
        &text.replacen("\"u\"", "null", 1),
        &text.replacen('}', ",\"subject\":\"P000001\"}", 1),
    ] {
        let e = LogLeaf::from_bytes(bad.as_bytes()).unwrap_err();
        assert_eq!(e.code(), "malformed_json", "{bad}: {e}");
    }
    let dup = text.replacen(
        "\"vct\":\"urn:x\"",
        "\"vct\":\"urn:x\",\"vct\":\"urn:x\"",
        1,
    );
    assert_eq!(
        LogLeaf::from_bytes(dup.as_bytes()).unwrap_err().code(),
        "duplicate_json_key"
    );
}

#[test]
fn checkpoint_signed_and_verified() {
    let log = Log::new(5);
    let token = log.checkpoint(5, 1_700_000_100);
    assert_eq!(checkpoint_kid(&token).as_deref(), Some(log.kid.as_str()));
    let cp = verify(&token, &log.vk()).unwrap();
    assert_eq!(cp.origin, log.did);
    assert_eq!(cp.tree_size, 5);
    assert_eq!(cp.iat, 1_700_000_100);
    assert_eq!(cp.root().unwrap(), root(&log.hashes(5)));
    let header: serde_json::Value =
        serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["typ"], "checkpoint+jwt");
    assert_eq!(header["alg"], "EdDSA");
}

/// Re-signs a checkpoint with edited header or payload JSON.
fn resign(log: &Log, header: &str, payload: &str) -> String {
    dojang_vc::jws::sign_eddsa_raw(header.as_bytes(), payload.as_bytes(), log.key.signing_key())
        .unwrap()
}

#[test]
fn forged_and_malformed_checkpoints_refused() {
    let log = Log::new(3);
    let token = log.checkpoint(3, 10);
    let other = Log::new(3);
    // Another key.
    assert_eq!(
        verify(&token, &other.vk()).unwrap_err().code(),
        "signature_invalid"
    );
    // A payload changed after signing (tree size 3 -> 4).
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = String::from_utf8(B64.decode(&parts[1]).unwrap()).unwrap();
    parts[1] = B64.encode(payload.replace("\"tree_size\":3", "\"tree_size\":4"));
    assert_eq!(
        verify(&parts.join("."), &log.vk()).unwrap_err().code(),
        "signature_invalid"
    );
    assert_eq!(
        verify("not a jwt", &log.vk()).unwrap_err().code(),
        "checkpoint_invalid"
    );
    let kid = &log.kid;
    let did = &log.did;
    let root = B64.encode([1u8; 32]);
    let good_payload = format!(r#"{{"iss":"{did}","tree_size":3,"root_hash":"{root}","iat":1}}"#);
    let good_header = format!(r#"{{"typ":"checkpoint+jwt","kid":"{kid}","alg":"EdDSA"}}"#);
    verify(&resign(&log, &good_header, &good_payload), &log.vk()).unwrap();
    let cases: Vec<(String, String, &str)> = vec![
        (
            good_header.replace("checkpoint+jwt", "dc+sd-jwt"),
            good_payload.clone(),
            "typ_invalid",
        ),
        (
            good_header.replace("\"EdDSA\"", "\"none\""),
            good_payload.clone(),
            "alg_not_allowed",
        ),
        (
            good_header.replace("\"EdDSA\"", "\"ES256\""),
            good_payload.clone(),
            "alg_not_allowed",
        ),
        (
            good_header.replace(kid.as_str(), "did:example:mallory#0"),
            good_payload.clone(),
            "kid_mismatch",
        ),
        (
            good_header.replace(&format!(",\"kid\":\"{kid}\""), ""),
            good_payload.clone(),
            "checkpoint_invalid",
        ),
        (
            good_header.clone(),
            good_payload.replace("\"tree_size\":3", "\"tree_size\":-3"),
            "checkpoint_invalid",
        ),
        (
            good_header.clone(),
            good_payload.replace(&root, "AAAA"),
            "checkpoint_invalid",
        ),
        (
            good_header.clone(),
            good_payload.replace("\"iat\":1", "\"iat\":1,\"extra\":1"),
            "checkpoint_invalid",
        ),
        (
            good_header.clone(),
            good_payload.replace("\"iat\":1", "\"iat\":1,\"iat\":2"),
            "duplicate_json_key",
        ),
        (
            good_header.clone(),
            good_payload.replace(did.as_str(), ""),
            "checkpoint_invalid",
        ),
    ];
    for (header, payload, code) in cases {
        let token = resign(&log, &header, &payload);
        let err = verify(&token, &log.vk()).unwrap_err();
        assert_eq!(err.code(), code, "{header} {payload}: {err}");
    }
    // Over the input budget.
    let budget = Budget {
        max_input_bytes: 16,
        ..Budget::default()
    };
    assert_eq!(
        verify_checkpoint(&token, &log.vk(), &budget)
            .unwrap_err()
            .code(),
        "limit_exceeded"
    );
}

#[test]
fn inclusion_proofs_against_checkpoints() {
    let log = Log::new(13);
    let cp = verify(&log.checkpoint(13, 1), &log.vk()).unwrap();
    let hashes = log.hashes(13);
    for i in 0..13 {
        let proof = InclusionProof::new(i, 13, &inclusion_proof(&hashes, i).unwrap());
        let json = serde_json::to_vec(&proof).unwrap();
        let parsed = InclusionProof::from_json(&json, &Budget::default()).unwrap();
        assert_eq!(parsed, proof);
        parsed.verify(&log.leaves[i as usize], &cp).unwrap();
        // Another leaf at that index fails; so does the proof against another size.
        let other = &log.leaves[(i as usize + 1) % 13];
        assert_eq!(
            parsed.verify(other, &cp).unwrap_err().code(),
            "log_proof_invalid"
        );
        let mut wrong_size = parsed.clone();
        wrong_size.tree_size = 12;
        assert_eq!(
            wrong_size
                .verify(&log.leaves[i as usize], &cp)
                .unwrap_err()
                .code(),
            "log_proof_invalid"
        );
    }
    // A leaf that differs in any field (here the status index) is not the logged one.
    let mut changed = log.leaves[4].clone();
    changed.status_idx = Some(99);
    let proof = InclusionProof::new(4, 13, &inclusion_proof(&hashes, 4).unwrap());
    assert!(proof.verify(&changed, &cp).is_err());
    // Strict JSON.
    let budget = Budget::default();
    for bad in [
        r#"{"leaf_index":1,"tree_size":2,"hashes":[],"extra":1}"#,
        r#"{"leaf_index":1,"leaf_index":1,"tree_size":2,"hashes":[]}"#,
        r#"{"leaf_index":-1,"tree_size":2,"hashes":[]}"#,
        r#"{"tree_size":2,"hashes":[]}"#,
    ] {
        assert!(
            InclusionProof::from_json(bad.as_bytes(), &budget).is_err(),
            "{bad}"
        );
    }
    let bad_hash = InclusionProof {
        leaf_index: 0,
        tree_size: 13,
        hashes: vec!["AAAA".into()],
    };
    assert_eq!(
        bad_hash.verify(&log.leaves[0], &cp).unwrap_err().code(),
        "log_proof_invalid"
    );
    let too_long = InclusionProof {
        leaf_index: 0,
        tree_size: 13,
        hashes: vec![B64.encode([0u8; 32]); budget.max_proof_hashes + 1],
    };
    assert_eq!(
        too_long.verify(&log.leaves[0], &cp).unwrap_err().code(),
        "limit_exceeded"
    );
}

#[test]
fn consistency_between_checkpoints() {
    let log = Log::new(20);
    let hashes = log.hashes(20);
    let old = verify(&log.checkpoint(7, 1), &log.vk()).unwrap();
    let new = verify(&log.checkpoint(20, 2), &log.vk()).unwrap();
    let proof = ConsistencyProof::new(7, 20, &consistency_proof(&hashes, 7).unwrap());
    let json = serde_json::to_vec(&proof).unwrap();
    let parsed = ConsistencyProof::from_json(&json, &Budget::default()).unwrap();
    parsed.verify(&old, &new).unwrap();
    // Reversed checkpoints, wrong sizes, another log's checkpoint.
    assert!(parsed.verify(&new, &old).is_err());
    let mut wrong = parsed.clone();
    wrong.old_size = 6;
    assert_eq!(
        wrong.verify(&old, &new).unwrap_err().code(),
        "log_proof_invalid"
    );
    let other = Log::new(20);
    let foreign = verify(&other.checkpoint(20, 2), &other.vk()).unwrap();
    assert_eq!(
        parsed.verify(&old, &foreign).unwrap_err().code(),
        "checkpoint_invalid"
    );
    // A forked log: the same first 6 leaves, a different 7th, then the rest.
    let mut forked = Log::new(0);
    forked.key = log.key.clone();
    forked.did = log.did.clone();
    forked.kid = log.kid.clone();
    forked.leaves = log.leaves.clone();
    forked.leaves[6] = LogLeaf::for_jwt("x.y.z", "urn:x", 0, None, None);
    let fork_new = verify(&forked.checkpoint(20, 3), &forked.vk()).unwrap();
    let fork_proof =
        ConsistencyProof::new(7, 20, &consistency_proof(&forked.hashes(20), 7).unwrap());
    assert!(fork_proof.verify(&old, &fork_new).is_err());
    assert!(parsed.verify(&old, &fork_new).is_err());
}

/// The example of `specs/log-format.md` §2, computed independently with Python's `hashlib`.
#[test]
fn specification_example() {
    use dojang_vc::log::encode_hash;
    let l0 = LogLeaf::for_jwt(
        "eyJhbGciOiJFZERTQSJ9.e30.c2ln",
        "urn:dojang:kr:resident-registration-copy:1",
        1_767_225_600,
        Some("https://jongno.example/status/3"),
        Some(1207),
    );
    let l1 = LogLeaf::for_jwt(
        "eyJhbGciOiJFZERTQSJ9.e30.c2lo",
        "urn:dojang:kr:family-relation-certificate:1",
        1_767_229_200,
        None,
        None,
    );
    assert_eq!(
        String::from_utf8(l0.to_bytes()).unwrap(),
        r#"{"v":1,"jwt_sha256":"uMx91Qd6f3T8CranKJ18ShtgoJxgXdwpDeoCkRu5S_U","vct":"urn:dojang:kr:resident-registration-copy:1","iat":1767225600,"status_uri":"https://jongno.example/status/3","status_idx":1207}"#
    );
    assert_eq!(
        String::from_utf8(l1.to_bytes()).unwrap(),
        r#"{"v":1,"jwt_sha256":"JtHgsK-eW5wCfBrpqPSHsSGmMkTeofCR2UhhOAidqKU","vct":"urn:dojang:kr:family-relation-certificate:1","iat":1767229200}"#
    );
    assert_eq!(
        encode_hash(&l0.hash()),
        "7stiHV1aDiNtWjBJwnRYI_FJoGt313VD85haZTeelxA"
    );
    assert_eq!(
        encode_hash(&l1.hash()),
        "3lg2rS-5-gt15hz4XsdFHRS0LgNIYL4_YhO9yZgmuEs"
    );
    assert_eq!(
        encode_hash(&root(&[l0.hash(), l1.hash()])),
        "FNJx-s7in5mmbbHND9L4s-kauuIZmtTpr1OugGtLiAU"
    );
    let proof = InclusionProof::new(0, 2, &inclusion_proof(&[l0.hash(), l1.hash()], 0).unwrap());
    assert_eq!(
        serde_json::to_string(&proof).unwrap(),
        r#"{"leaf_index":0,"tree_size":2,"hashes":["3lg2rS-5-gt15hz4XsdFHRS0LgNIYL4_YhO9yZgmuEs"]}"#
    );
}
