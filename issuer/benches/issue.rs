//! Issuance of a 주민등록표 등본 (issue 5), all in one run:
//!
//! - `issuance/durable_issue`: [`Issuer::issue`] on a temporary sled database, the whole durable
//!   step per credential (status index, signature, log leaf and record in one transaction, then
//!   a flush);
//! - `issuance/durable_batch_64` and `durable_batch_256`: [`Issuer::issue_batch`], the same
//!   durable step for 64 or 256 credentials at once (signed on every core, one transaction, one
//!   flush); criterion reports credentials per second;
//! - `issuance/durable_batch_256x2`: two threads of `issue_batch(256)` overlapping (one signs
//!   while the other commits and flushes), as `dojang issuer reissue` runs them;
//! - `issuance/sign_only`: the SD-JWT VC signing alone (`issue_vc`) on the same claims, for
//!   comparison;
//! - `credential_endpoint/concurrent_64`: `POST /credential` of the issuer service driven
//!   in-process (no sockets) by 64 concurrent wallets, each with its own access token, nonce and
//!   key proof (made beforehand, outside the timing): token check, proof-JWT check, nonce,
//!   group commit and the inclusion proof, credentials per second.

// A benchmark binary: no public API to document, and a failed unwrap in setup is a failed run.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dojang_did::{DidMethod, PrivateJwk};
use dojang_issuer::http::{router, AppState, ServiceConfig};
use dojang_issuer::{
    generate, Certificate, FileSigner, IssuancePolicy, IssueRequest, Issuer, IssuerIdentity,
    IssuerSigner,
};
use dojang_vc::oid4vci::{
    parse_offer_uri, sign_proof, CredentialOffer, CredentialRequest, OfferRef, TokenRequest,
};
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::status_list::StatusReference;
use dojang_vc::{Budget, IssueOptions, SdJwt};
use serde_json::Value;
use tower::ServiceExt as _;

const NOW: i64 = 1_780_000_000;
const PUBLIC_URL: &str = "http://127.0.0.1:8081";
const ADMIN: &str = "bench-admin-token-0123456789";
/// Wallets asking at the same time in `credential_endpoint`.
const CONCURRENCY: usize = 64;

fn open_issuer(dir: &std::path::Path, status_base: &str) -> Issuer<FileSigner> {
    let db = dojang_issuer::open_db(&dir.join("db")).unwrap();
    let signer = FileSigner::create(&dir.join("key.jwk")).unwrap();
    let identity = IssuerIdentity::from_key(&signer.public_key(), DidMethod::Key);
    Issuer::open(
        &db,
        signer,
        identity,
        "서울특별시 종로구청",
        IssuancePolicy::default(),
        status_base,
    )
    .unwrap()
}

fn issuance(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let issuer = open_issuer(dir.path(), "https://jongno.example/status");
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
    group.throughput(Throughput::Elements(1));
    group.bench_function("durable_issue", |b| {
        b.iter(|| {
            issuer
                .issue(black_box(&person), Certificate::ResidentCopy, &holder, NOW)
                .is_ok()
        })
    });
    for size in [64usize, 256] {
        let requests: Vec<IssueRequest> = (0..size)
            .map(|_| IssueRequest {
                person_id: person.clone(),
                certificate: Certificate::ResidentCopy,
                holder,
            })
            .collect();
        group.throughput(Throughput::Elements(size as u64));
        group.sample_size(20);
        group.bench_function(format!("durable_batch_{size}"), |b| {
            b.iter(|| {
                issuer
                    .issue_batch(black_box(&requests), NOW)
                    .is_ok_and(|all| all.iter().all(Result::is_ok))
            })
        });
    }
    // Two threads of batches of 256, as `dojang issuer reissue` runs them: one signs while the
    // other commits and flushes.
    let requests: Vec<IssueRequest> = (0..256)
        .map(|_| IssueRequest {
            person_id: person.clone(),
            certificate: Certificate::ResidentCopy,
            holder,
        })
        .collect();
    let batch_ok = || {
        issuer
            .issue_batch(black_box(&requests), NOW)
            .is_ok_and(|all| all.iter().all(Result::is_ok))
    };
    group.throughput(Throughput::Elements(512));
    group.bench_function("durable_batch_256x2", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                let other = scope.spawn(batch_ok);
                batch_ok() && other.join().unwrap()
            })
        })
    });
    group.throughput(Throughput::Elements(1));
    group.sample_size(100);
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

/// One prepared credential request: its access token and its body (a proof over a fresh nonce).
struct Prepared {
    token: String,
    body: Vec<u8>,
}

async fn call(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, body)
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

/// An offer, its token and a nonce, through the service, and the wallet's proof: what a wallet
/// has in hand when it sends `POST /credential`.
async fn prepare(app: &Router, person: &str, holder: &PrivateJwk) -> Prepared {
    let offer_request = Request::post("/admin/offers")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
        .body(Body::from(
            serde_json::json!({"person_id": person, "certificate": "copy"}).to_string(),
        ))
        .unwrap();
    let (status, body) = call(app, offer_request).await;
    assert_eq!(status, StatusCode::CREATED);
    let created = json(&body);
    let OfferRef::ByReference(url) =
        parse_offer_uri(created["offer_uri"].as_str().unwrap()).unwrap()
    else {
        panic!("an offer by value")
    };
    let path = url.strip_prefix(PUBLIC_URL).unwrap().to_owned();
    let (_, body) = call(app, Request::get(path).body(Body::empty()).unwrap()).await;
    let offer = CredentialOffer::from_json(&body, &Budget::default()).unwrap();
    let form = TokenRequest::pre_authorized(
        &offer.pre_authorized().pre_authorized_code,
        created["tx_code"].as_str(),
    )
    .to_form();
    let token_request = Request::post("/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, body) = call(app, token_request).await;
    assert_eq!(status, StatusCode::OK);
    let token = json(&body)["access_token"].as_str().unwrap().to_owned();
    let (_, body) = call(app, Request::post("/nonce").body(Body::empty()).unwrap()).await;
    let nonce = json(&body)["c_nonce"].as_str().unwrap().to_owned();
    let proof = sign_proof(
        &holder.public(),
        PUBLIC_URL,
        &nonce,
        NOW,
        holder.signing_key(),
    )
    .unwrap();
    let request = CredentialRequest::with_proof(&offer.credential_configuration_ids[0], proof);
    Prepared {
        token,
        body: serde_json::to_vec(&request).unwrap(),
    }
}

fn credential_endpoint(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let issuer = open_issuer(dir.path(), &format!("{PUBLIC_URL}/status"));
    let file = generate(20, 2026);
    issuer.register().import(&file).unwrap();
    let person = file.households[0].head.clone();
    let mut config = ServiceConfig::new(PUBLIC_URL);
    config.admin_tokens = vec![ADMIN.into()];
    let state = AppState::new(issuer, config)
        .unwrap()
        .with_clock(Arc::new(|| NOW));
    let app = router(Arc::new(state));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let holder = PrivateJwk::generate();

    let mut group = c.benchmark_group("credential_endpoint");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.bench_function(format!("concurrent_{CONCURRENCY}"), |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let mut prepared = Vec::with_capacity(iters as usize);
                for _ in 0..iters {
                    prepared.push(prepare(&app, &person, &holder).await);
                }
                let queue = Arc::new(std::sync::Mutex::new(prepared));
                let start = Instant::now();
                let wallets: Vec<_> = (0..CONCURRENCY)
                    .map(|_| {
                        let (app, queue) = (app.clone(), Arc::clone(&queue));
                        tokio::spawn(async move {
                            loop {
                                let Some(next) = queue.lock().unwrap().pop() else {
                                    return;
                                };
                                let request = Request::post("/credential")
                                    .header(header::CONTENT_TYPE, "application/json")
                                    .header(header::AUTHORIZATION, format!("Bearer {}", next.token))
                                    .body(Body::from(next.body))
                                    .unwrap();
                                let (status, _) = call(&app, request).await;
                                assert_eq!(status, StatusCode::OK);
                            }
                        })
                    })
                    .collect();
                for wallet in wallets {
                    wallet.await.unwrap();
                }
                start.elapsed().max(Duration::from_nanos(1))
            })
        })
    });
    group.finish();
}

criterion_group!(issue_benches, issuance, credential_endpoint);
criterion_main!(issue_benches);
