//! Verification of a typical 주민등록표 등본 presentation (a household of four, ten Disclosures,
//! KB-JWT) next to its cryptographic floor, measured in one run (issue 5):
//!
//! - `floor/two_verify_strict`: the two Ed25519 `verify_strict` calls a presentation needs (issuer
//!   JWT and KB-JWT), over exactly the bytes the pipeline verifies;
//! - `presentation/full_verify`: `dojang_verifier::verify` with a signed trust list, a status list
//!   cache holding the issuer's list, and a policy requiring holder binding;
//! - `presentation/parse_only`: splitting and decoding within the budget;
//! - `batch/*`: 64 issuer signatures with `verify_batch` against 64 `verify_strict` calls;
//! - `lookup/*`: status-list lookup, trust-list lookup, and an inclusion proof in a log of
//!   100,000 leaves.
//!
//! The verifier role depends on no other role, so the household is written out here rather
//! than taken from the issuer's synthetic register.

// A benchmark binary: no public API to document, and a failed unwrap in setup is a failed run.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dojang_did::{did_for_key, DidMethod, PrivateJwk};
use dojang_vc::log::{Checkpoint, InclusionProof, LogLeaf};
use dojang_vc::merkle::{leaf_hash, Tree};
use dojang_vc::present::present;
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::status_list::{sign_token, StatusList, StatusReference};
use dojang_vc::trust_list::{
    sign_trust_list, verify_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey, TrustList,
};
use dojang_vc::{Algorithm, Budget, IssueOptions, Jws, JwtPart, SdJwt, VerificationKey};
use dojang_verifier::{
    check_status, verify, Challenge, Inputs, IssuerTrust, Policy, StatusListCache, TrustListTrust,
};
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{json, Map, Value};

const NOW: i64 = 1_780_000_000;
const VCT: &str = "urn:dojang:kr:resident-registration-copy:1";
const AUD: &str = "https://bank.example";
const NONCE: &str = "bench-nonce-0123456789";
const STATUS_URI: &str = "https://jongno.example/status/0";
const STATUS_IDX: u64 = 4242;
const ROOT_DID: &str = "did:web:mois.example";
/// Ten Disclosures: `name`; `address` and its `road_address`; `members`, two of its elements,
/// and the name and relation of each.
const DISCLOSE: &[&str] = &[
    "name",
    "address.road_address",
    "members.0.name",
    "members.0.relation",
    "members.1.name",
    "members.1.relation",
];
const BATCH: usize = 64;
const LOG_SIZE: u64 = 100_000;
const LOG_INDEX: u64 = 73_519;

fn member(name: &str, rrn: &str, birth: &str, relation: &str, moved_in: &str) -> Value {
    json!({"name": name, "rrn": rrn, "birth_date": birth, "relation": relation, "moved_in": moved_in})
}

/// A 등본 for the head of a household of four.
fn household_claims(n: usize) -> Map<String, Value> {
    json!({
        "name": "김민준",
        "rrn": format!("{:06}-1234567", 800_101 + n % 1000),
        "birth_date": "1980-01-01",
        "age_over_19": true,
        "address": {
            "road_address": "서울특별시 종로구 세종대로 209",
            "postal_code": "03154",
            "detail": "101동 1001호"
        },
        "members": [
            member("김민준", "800101-1234567", "1980-01-01", "본인", "2015-03-02"),
            member("이서연", "820505-2345678", "1982-05-05", "배우자", "2015-03-02"),
            member("김하준", "100707-3456789", "2010-07-07", "자녀", "2015-03-02"),
            member("김서윤", "130909-4567890", "2013-09-09", "자녀", "2015-03-02"),
        ]
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// The signing input (`header.payload`) and signature of a compact JWS.
fn signed_parts(compact: &str) -> (Vec<u8>, Signature) {
    let (input, sig) = compact.rsplit_once('.').unwrap();
    let sig: [u8; 64] = B64.decode(sig).unwrap().try_into().unwrap();
    (input.as_bytes().to_vec(), Signature::from_bytes(&sig))
}

struct Fixture {
    presentation: String,
    issuer_vk: VerifyingKey,
    holder_vk: VerifyingKey,
    issuer_did: String,
    issuer_kid: String,
    trust: TrustListTrust,
    status: StatusListCache,
    policy: Policy,
    challenge: Challenge,
    /// The verified issuer payload, for the status lookup.
    payload: Map<String, Value>,
    /// BATCH issuer JWT signing inputs and signatures, all by the issuer key.
    batch: Vec<(Vec<u8>, Signature)>,
    leaf: LogLeaf,
    proof: InclusionProof,
    checkpoint: Checkpoint,
}

fn issue_one(issuer: &PrivateJwk, did: &str, kid: &str, holder: &PrivateJwk, n: usize) -> String {
    let claims = household_claims(n);
    let status = StatusReference {
        idx: STATUS_IDX,
        uri: STATUS_URI.into(),
    }
    .to_claim();
    issue_vc(
        &VcIssuance {
            issuer: did,
            kid,
            vct: VCT,
            holder: Some(&holder.public()),
            iat: NOW - 86_400,
            exp: Some(NOW + 365 * 86_400),
            status: Some(&status),
            claims: &claims,
            always_visible: &[],
            options: IssueOptions { decoys: 2 },
        },
        issuer.signing_key(),
    )
    .unwrap()
    .to_compact()
}

fn fixture() -> Fixture {
    let root = PrivateJwk::generate();
    let issuer = PrivateJwk::generate();
    let holder = PrivateJwk::generate();
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);

    let issued = issue_one(&issuer, &did, &kid, &holder, 0);
    let paths: Vec<String> = DISCLOSE.iter().map(|s| (*s).to_owned()).collect();
    let presentation = present(&issued, &paths, AUD, NONCE, NOW, holder.signing_key())
        .unwrap()
        .text;
    let budget = Budget::default();
    let sd = SdJwt::parse(&presentation, &budget).unwrap();
    assert_eq!(sd.disclosures().len(), 10, "a ten-disclosure presentation");

    let list = TrustList {
        iss: ROOT_DID.into(),
        seq: 1,
        iat: NOW - 3600,
        exp: NOW + 30 * 86_400,
        issuers: vec![AccreditedIssuer {
            did: did.clone(),
            name_ko: "서울특별시 종로구청".into(),
            name_en: "Jongno-gu Office, Seoul".into(),
            status: AccreditationStatus::Active,
            vcts: vec![VCT.into()],
            keys: vec![IssuerKey {
                kid: kid.clone(),
                jwk: issuer.public().to_json(),
                not_before: NOW - 365 * 86_400,
                not_after: None,
            }],
            status_list_base: None,
        }],
        relying_parties: Vec::new(),
    };
    let token = sign_trust_list(&list, &format!("{ROOT_DID}#root"), root.signing_key()).unwrap();
    let trust =
        TrustListTrust::new(verify_trust_list(&token, &root.public(), NOW, None, &budget).unwrap());

    let status_list = StatusList::new(2, 1 << 17).unwrap();
    let status_token = sign_token(
        &did,
        &kid,
        STATUS_URI,
        NOW - 600,
        NOW + 86_400,
        3600,
        &status_list,
        issuer.signing_key(),
    )
    .unwrap();
    let mut status = StatusListCache::new();
    status
        .insert_token(
            &status_token,
            &VerificationKey::Ed25519(issuer.public()),
            &[Algorithm::EdDSA],
            NOW,
            &budget,
        )
        .unwrap();

    let issuer_jwt = presentation.split('~').next().unwrap();
    let payload = Jws::parse(issuer_jwt, &budget, JwtPart::Issuer)
        .unwrap()
        .unverified_payload()
        .clone();

    let batch = (0..BATCH)
        .map(|n| {
            let cred = issue_one(&issuer, &did, &kid, &holder, n + 1);
            signed_parts(cred.split('~').next().unwrap())
        })
        .collect();

    let leaf = LogLeaf::for_jwt(issuer_jwt, VCT, NOW, Some(STATUS_URI), Some(STATUS_IDX));
    let leaves: Vec<_> = (0..LOG_SIZE)
        .map(|i| {
            if i == LOG_INDEX {
                leaf.hash()
            } else {
                leaf_hash(&i.to_be_bytes())
            }
        })
        .collect();
    let tree = Tree::from_leaves(&leaves);
    let proof = InclusionProof::new(
        LOG_INDEX,
        LOG_SIZE,
        &tree.inclusion_proof(LOG_INDEX, LOG_SIZE).unwrap(),
    );
    let checkpoint = Checkpoint::new(&did, LOG_SIZE, &tree.root(LOG_SIZE).unwrap(), NOW);

    Fixture {
        presentation,
        issuer_vk: *issuer.public().verifying_key(),
        holder_vk: *holder.public().verifying_key(),
        issuer_did: did,
        issuer_kid: kid,
        trust,
        status,
        policy: Policy {
            require_key_binding: true,
            ..Policy::default()
        },
        challenge: Challenge {
            aud: AUD.into(),
            nonce: NONCE.into(),
        },
        payload,
        batch,
        leaf,
        proof,
        checkpoint,
    }
}

fn full_verify(f: &Fixture, input: &str) -> bool {
    verify(
        input,
        &Inputs {
            trust: &f.trust,
            policy: &f.policy,
            challenge: Some(&f.challenge),
            nonces: None,
            status: Some(&f.status),
            log: None,
            now: NOW,
        },
    )
    .result
    .is_ok()
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    assert!(full_verify(&f, &f.presentation), "the fixture verifies");
    let issuer_jwt = f.presentation.split('~').next().unwrap();
    let kb_jwt = f.presentation.rsplit('~').next().unwrap();
    let (issuer_input, issuer_sig) = signed_parts(issuer_jwt);
    let (kb_input, kb_sig) = signed_parts(kb_jwt);

    // (a) and (b) side by side in one group, so the ratio is read from one report.
    let mut group = c.benchmark_group("presentation");
    group.bench_function("floor_two_verify_strict", |b| {
        b.iter(|| {
            let a = f
                .issuer_vk
                .verify_strict(black_box(&issuer_input), &issuer_sig);
            let k = f.holder_vk.verify_strict(black_box(&kb_input), &kb_sig);
            a.is_ok() && k.is_ok()
        })
    });
    group.bench_function("full_verify", |b| {
        b.iter(|| full_verify(&f, black_box(&f.presentation)))
    });
    // (c)
    let budget = Budget::default();
    group.bench_function("parse_only", |b| {
        b.iter(|| SdJwt::parse(black_box(&f.presentation), &budget).is_ok())
    });
    group.finish();

    // (d)
    let messages: Vec<&[u8]> = f.batch.iter().map(|(m, _)| m.as_slice()).collect();
    let signatures: Vec<Signature> = f.batch.iter().map(|(_, s)| *s).collect();
    let keys = vec![f.issuer_vk; BATCH];
    assert!(ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok());
    let mut group = c.benchmark_group("batch64");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("verify_strict_one_by_one", |b| {
        b.iter(|| {
            messages
                .iter()
                .zip(&signatures)
                .all(|(m, s)| f.issuer_vk.verify_strict(black_box(m), s).is_ok())
        })
    });
    group.bench_function("verify_batch", |b| {
        b.iter(|| ed25519_dalek::verify_batch(black_box(&messages), &signatures, &keys).is_ok())
    });
    group.finish();

    // (e)
    let mut group = c.benchmark_group("lookup");
    group.bench_function("status_list", |b| {
        b.iter(|| {
            check_status(
                black_box(&f.payload),
                &f.issuer_did,
                &f.status,
                Some(86_400),
                NOW,
            )
            .is_ok()
        })
    });
    group.bench_function("trust_list_issuer_key", |b| {
        b.iter(|| {
            f.trust
                .issuer_key(
                    black_box(&f.issuer_did),
                    Some(&f.issuer_kid),
                    VCT,
                    NOW - 86_400,
                )
                .is_ok()
        })
    });
    assert!(f.proof.verify(&f.leaf, &f.checkpoint).is_ok());
    group.bench_function("log_inclusion_proof_100k", |b| {
        b.iter(|| f.proof.verify(black_box(&f.leaf), &f.checkpoint).is_ok())
    });
    group.finish();
}

criterion_group!(verify_benches, benches);
criterion_main!(verify_benches);
