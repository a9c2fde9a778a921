//! Issuance of a 주민등록표 등본 (issue 5):
//!
//! - `issuance/durable_issue`: [`Issuer::issue`] on a temporary sled database, the whole durable
//!   step per credential (status index, signature, log leaf and record in one transaction, then
//!   a flush);
//! - `issuance/sign_only`: the SD-JWT VC signing alone (`issue_vc`) on the same claims, for
//!   comparison.

// A benchmark binary: no public API to document, and a failed unwrap in setup is a failed run.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dojang_did::{DidMethod, PrivateJwk};
use dojang_issuer::{
    generate, Certificate, FileSigner, IssuancePolicy, Issuer, IssuerIdentity, IssuerSigner,
};
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::status_list::StatusReference;
use dojang_vc::{IssueOptions, SdJwt};

const NOW: i64 = 1_780_000_000;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = dojang_issuer::open_db(&dir.path().join("db")).unwrap();
    let signer = FileSigner::create(&dir.path().join("key.jwk")).unwrap();
    let identity = IssuerIdentity::from_key(&signer.public_key(), DidMethod::Key);
    let issuer = Issuer::open(
        &db,
        signer,
        identity,
        "서울특별시 종로구청",
        IssuancePolicy::default(),
        "https://jongno.example/status",
    )
    .unwrap();
    let file = generate(20, 2026);
    issuer.register().import(&file).unwrap();
    // The head of the largest household: a 등본 with the most members.
    let person = file
        .households
        .iter()
        .max_by_key(|h| h.members.len())
        .unwrap()
        .head
        .clone();
    let holder = PrivateJwk::generate().public();

    // The claims of one such credential, for the signing-only comparison.
    let sample = issuer
        .issue(&person, Certificate::ResidentCopy, &holder, NOW)
        .unwrap();
    let budget = dojang_vc::Budget::default();
    let sd = SdJwt::parse(&sample.sd_jwt, &budget).unwrap();
    let processed = dojang_vc::process::process(
        sd.issuer_jwt().unverified_payload(),
        sd.disclosures(),
        &budget,
    )
    .unwrap();
    let claims = processed.claims.clone();
    let status = StatusReference {
        idx: 7,
        uri: "https://jongno.example/status/0".into(),
    }
    .to_claim();
    let (did, kid) = (issuer.did().to_owned(), issuer.kid().to_owned());

    let mut group = c.benchmark_group("issuance");
    group.bench_function("durable_issue", |b| {
        b.iter(|| {
            issuer
                .issue(black_box(&person), Certificate::ResidentCopy, &holder, NOW)
                .is_ok()
        })
    });
    group.bench_function("sign_only", |b| {
        b.iter(|| {
            issue_vc(
                &VcIssuance {
                    issuer: &did,
                    kid: &kid,
                    vct: Certificate::ResidentCopy.vct(),
                    holder: Some(&holder),
                    iat: NOW,
                    exp: Some(NOW + 365 * 86_400),
                    status: Some(&status),
                    claims: black_box(&claims),
                    always_visible: &[],
                    options: IssueOptions { decoys: 2 },
                },
                issuer.signer(),
            )
            .is_ok()
        })
    });
    group.finish();
}

criterion_group!(issue_benches, benches);
criterion_main!(issue_benches);
