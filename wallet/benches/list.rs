//! Listing a wallet of 10,000 credentials (issue 5: "lists in under 100 ms").
//!
//! - `list/summaries_10000`: [`Wallet::list_summaries`], what `dojang wallet list` shows;
//! - `list/full_credentials_10000`: [`Wallet::list_credentials`], decrypting every whole
//!   credential (what listing did before summaries), for comparison;
//! - `list_cpu/*`: the same two, timed by the CPU time of the whole process (every thread) rather
//!   than the wall clock (Linux only, 10 ms resolution over many runs): on a shared machine the
//!   wall clock also counts the time other processes held the cores, and the summaries of a large
//!   wallet are decrypted on all cores;
//! - `open/store_10000`: [`Wallet::open`] of that wallet with the cheapest KDF, so that the figure
//!   is the store's own opening (sled) and the summary check, not the passphrase;
//! - `unlock/recommended_kdf`: [`Wallet::open`] of an empty wallet with
//!   [`KdfParams::RECOMMENDED`], the Argon2id unlock every command pays once, deliberately slow.
//!
//! The credentials are real SD-JWT VCs of a 주민등록표 등본 shape (a household of four, every
//! claim selectively disclosable, two decoys per object, about 4 KB each), signed once and stored
//! 10,000 times with different labels and dates. Building the wallet (10,000 durable writes)
//! takes a while before the first measurement.

// A benchmark binary: no public API to document, and a failed unwrap in setup is a failed run.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dojang_did::{did_for_key, DidMethod, PrivateJwk, PublicJwk};
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::IssueOptions;
use dojang_wallet::{KdfParams, StoredCredential, Wallet};
use serde_json::{json, Map, Value};

const CREDENTIALS: usize = 10_000;
const PASSPHRASE: &str = "bench passphrase 도장";
const IAT: i64 = 1_780_000_000;

fn member(name: &str, rrn: &str, birth: &str, relation: &str) -> Value {
    json!({"name": name, "rrn": rrn, "birth_date": birth, "relation": relation,
           "moved_in": "2015-03-02"})
}

/// A 등본 issued to `holder`: synthetic claims, a real signature.
fn household_sd_jwt(holder: &PublicJwk) -> String {
    let issuer = PrivateJwk::generate();
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
    let claims = json!({
        "document_number": "1234-5678-9012-3456",
        "name": "김민준",
        "rrn": "800101-1234567",
        "birth_date": "1980-01-01",
        "address": {
            "road_address": "서울특별시 종로구 세종대로 209",
            "postal_code": "03154",
            "detail": "101동 1001호"
        },
        "members": [
            member("김민준", "800101-1234567", "1980-01-01", "본인"),
            member("이서연", "820505-2345678", "1982-05-05", "배우자"),
            member("김하준", "100707-3456789", "2010-07-07", "자녀"),
            member("김서윤", "130909-4567890", "2013-09-09", "자녀"),
        ]
    });
    let claims: Map<String, Value> = serde_json::from_value(claims).unwrap();
    issue_vc(
        &VcIssuance {
            issuer: &did,
            kid: &kid,
            vct: "urn:dojang:kr:resident-registration-copy:1",
            holder: Some(holder),
            iat: IAT,
            exp: Some(IAT + 90 * 86_400),
            status: None,
            claims: &claims,
            always_visible: &["document_number"],
            options: IssueOptions { decoys: 2 },
        },
        issuer.signing_key(),
    )
    .unwrap()
    .to_compact()
}

/// A wallet in `dir` holding [`CREDENTIALS`] credentials, closed.
fn build_wallet(dir: &Path) {
    let wallet = Wallet::init_with_params(dir, PASSPHRASE, KdfParams::INSECURE_FOR_TESTS).unwrap();
    let sd_jwt = household_sd_jwt(&wallet.holder_public_key());
    eprintln!(
        "list bench: storing {CREDENTIALS} credentials of {} bytes …",
        sd_jwt.len()
    );
    for n in 0..CREDENTIALS {
        let n = n as i64;
        wallet
            .put_credential(&StoredCredential {
                sd_jwt: sd_jwt.clone(),
                vct: "urn:dojang:kr:resident-registration-copy:1".into(),
                issuer: "did:web:jongno.example".into(),
                issued_at: IAT + n,
                expires_at: Some(IAT + n + 90 * 86_400),
                received_at: IAT + 2 * n,
                label: format!("등본 {n}"),
                extra: Value::Null,
            })
            .unwrap();
    }
}

/// CPU time this process has used on all its threads (user + system), from `/proc/self/stat` in
/// clock ticks of 10 ms (`USER_HZ` is 100 on Linux); `None` elsewhere.
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some(Duration::from_millis((ticks(14)? + ticks(15)?) * 10))
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    build_wallet(dir.path());

    let mut group = c.benchmark_group("list");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CREDENTIALS as u64));
    {
        let wallet = Wallet::open(dir.path(), PASSPHRASE).unwrap();
        assert_eq!(wallet.list_summaries().unwrap().len(), CREDENTIALS);
        group.bench_function("summaries_10000", |b| {
            b.iter(|| black_box(wallet.list_summaries().unwrap()))
        });
        group.bench_function("full_credentials_10000", |b| {
            b.iter(|| black_box(wallet.list_credentials().unwrap()))
        });
        group.finish();

        if process_cpu_time().is_some() {
            let mut group = c.benchmark_group("list_cpu");
            group.sample_size(10);
            group.throughput(Throughput::Elements(CREDENTIALS as u64));
            let cpu_time = |iters: u64, op: &dyn Fn()| {
                let start = process_cpu_time().unwrap();
                for _ in 0..iters {
                    op();
                }
                process_cpu_time().unwrap().saturating_sub(start)
            };
            group.bench_function("summaries_10000", |b| {
                b.iter_custom(|iters| {
                    cpu_time(iters, &|| drop(black_box(wallet.list_summaries().unwrap())))
                })
            });
            group.bench_function("full_credentials_10000", |b| {
                b.iter_custom(|iters| {
                    cpu_time(iters, &|| {
                        drop(black_box(wallet.list_credentials().unwrap()))
                    })
                })
            });
            group.finish();
        }
    }

    let mut group = c.benchmark_group("open");
    group.sample_size(10);
    group.bench_function("store_10000", |b| {
        b.iter(|| drop(black_box(Wallet::open(dir.path(), PASSPHRASE).unwrap())))
    });
    group.finish();

    let empty = tempfile::tempdir().unwrap();
    drop(Wallet::init(empty.path(), PASSPHRASE).unwrap());
    let mut group = c.benchmark_group("unlock");
    group.sample_size(10);
    group.bench_function("recommended_kdf", |b| {
        b.iter(|| drop(black_box(Wallet::open(empty.path(), PASSPHRASE).unwrap())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
