//! Verification of a typical 주민등록표 등본 presentation (a household of four, ten Disclosures,
//! KB-JWT) next to its cryptographic floor, measured in one run (issue 5):
//!
//! - `presentation/floor_two_verify_strict`: the two Ed25519 `verify_strict` calls a presentation
//!   needs (issuer JWT and KB-JWT), over exactly the bytes the pipeline verifies;
//! - `presentation/strict_check`: the same two as the pipeline checks them, together
//!   (`PublicJwk::verify_strict_pair` of keys read from JWKs: `verify_strict`'s rules in one
//!   multi-scalar multiplication);
//! - `presentation/full_verify`: `dojang_verifier::verify` with a signed trust list, a status list
//!   cache holding the issuer's list, and a policy requiring holder binding;
//! - `presentation/parse_only`: splitting and decoding within the budget;
//! - `batch64/*`: 64 issuer signatures with `verify_batch`, and with `verify_strict_batch` (the
//!   same rules as `verify_strict`), against 64 `verify_strict` calls;
//! - `lookup/*`: status-list lookup, trust-list lookup, and an inclusion proof in a log of
//!   100,000 leaves.
//!
//! The workload (`dojang_verifier::workload`) is shared with `dojang bench`; the verifier role
//! depends on no other role, so its household is written out there rather than taken from the
//! issuer's synthetic register.

// A benchmark binary: no public API to document, and a failed unwrap in setup is a failed run.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dojang_did::PublicJwk;
use dojang_vc::log::{Checkpoint, InclusionProof, LogLeaf};
use dojang_vc::merkle::{leaf_hash, Tree};
use dojang_vc::{Budget, Jws, JwtPart, SdJwt};
use dojang_verifier::workload::{issue_household, Workload, NOW, STATUS_IDX, STATUS_URI, VCT};
use dojang_verifier::{check_status, verify, IssuerTrust};
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Map, Value};

const BATCH: usize = 64;
const LOG_SIZE: u64 = 100_000;
const LOG_INDEX: u64 = 73_519;

/// The signing input (`header.payload`) and signature of a compact JWS.
fn signed_parts(compact: &str) -> (Vec<u8>, Signature) {
    let (input, sig) = compact.rsplit_once('.').unwrap();
    let sig: [u8; 64] = B64.decode(sig).unwrap().try_into().unwrap();
    (input.as_bytes().to_vec(), Signature::from_bytes(&sig))
}

struct Fixture {
    /// The shared workload (`dojang bench` measures the same).
    w: Workload,
    issuer_vk: VerifyingKey,
    holder_vk: VerifyingKey,
    /// The same keys read from their JWKs, as the pipeline reads them (the trust list, `cnf.jwk`).
    issuer_jwk: PublicJwk,
    holder_jwk: PublicJwk,
    /// The verified issuer payload, for the status lookup.
    payload: Map<String, Value>,
    /// BATCH issuer JWT signing inputs and signatures, all by the issuer key.
    batch: Vec<(Vec<u8>, Signature)>,
    leaf: LogLeaf,
    proof: InclusionProof,
    checkpoint: Checkpoint,
}

fn fixture() -> Fixture {
    let w = Workload::new().unwrap();
    let budget = Budget::default();
    let sd = SdJwt::parse(&w.presentation, &budget).unwrap();
    assert_eq!(sd.disclosures().len(), 10, "a ten-disclosure presentation");
    let issuer_jwt = w.presentation.split('~').next().unwrap();
    let payload = Jws::parse(issuer_jwt, &budget, JwtPart::Issuer)
        .unwrap()
        .unverified_payload()
        .clone();

    let batch = (0..BATCH)
        .map(|n| {
            let cred =
                issue_household(&w.issuer, &w.did, &w.kid, &w.holder.public(), n + 1).unwrap();
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
    let checkpoint = Checkpoint::new(&w.did, LOG_SIZE, &tree.root(LOG_SIZE).unwrap(), NOW);

    Fixture {
        issuer_vk: *w.issuer.public().verifying_key(),
        holder_vk: *w.holder.public().verifying_key(),
        issuer_jwk: PublicJwk::from_json(&w.issuer.public().to_json()).unwrap(),
        holder_jwk: PublicJwk::from_json(&w.holder.public().to_json()).unwrap(),
        payload,
        batch,
        leaf,
        proof,
        checkpoint,
        w,
    }
}

fn full_verify(f: &Fixture, input: &str) -> bool {
    verify(input, &f.w.inputs()).result.is_ok()
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    assert!(full_verify(&f, &f.w.presentation), "the fixture verifies");
    let issuer_jwt = f.w.presentation.split('~').next().unwrap();
    let kb_jwt = f.w.presentation.rsplit('~').next().unwrap();
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
    // The same two signatures as the pipeline checks them: together, by verify_strict's rules
    // (did/src/ed25519.rs), with keys read from JWKs.
    // The generator is fetched for each check, as the pipeline does.
    group.bench_function("strict_check", |b| {
        b.iter(|| {
            f.issuer_jwk.verify_strict_pair(
                black_box(&issuer_input),
                &issuer_sig,
                &f.holder_jwk,
                black_box(&kb_input),
                &kb_sig,
                &mut rand::thread_rng(),
            )
        })
    });
    group.bench_function("full_verify", |b| {
        b.iter(|| full_verify(&f, black_box(&f.w.presentation)))
    });
    // (c)
    let budget = Budget::default();
    group.bench_function("parse_only", |b| {
        b.iter(|| SdJwt::parse(black_box(&f.w.presentation), &budget).is_ok())
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
    // With verify_strict's decisions (did/src/ed25519.rs), which verify_batch does not make.
    let items: Vec<dojang_did::ed25519::Signed<'_>> = messages
        .iter()
        .zip(&signatures)
        .map(|(m, s)| (&f.issuer_vk, *m, s))
        .collect();
    group.bench_function("verify_strict_batch", |b| {
        b.iter(|| {
            dojang_did::ed25519::verify_strict_batch(black_box(&items), &mut rand::thread_rng())
        })
    });
    group.finish();

    // (e)
    let mut group = c.benchmark_group("lookup");
    group.bench_function("status_list", |b| {
        b.iter(|| {
            check_status(
                black_box(&f.payload),
                &f.w.did,
                &f.w.status,
                Some(86_400),
                NOW,
            )
            .is_ok()
        })
    });
    group.bench_function("trust_list_issuer_key", |b| {
        b.iter(|| {
            f.w.trust
                .issuer_key(black_box(&f.w.did), Some(&f.w.kid), VCT, NOW - 86_400)
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
