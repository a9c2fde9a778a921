//! `dojang bench`: measures a deployment without a Rust toolchain (issue 5).
//!
//! Each operation runs a fixed number of times on one thread, timed with [`Instant`]:
//!
//! 1. the floor: the two Ed25519 `verify_strict` calls a presentation needs (issuer JWT and
//!    KB-JWT), over exactly the bytes the pipeline verifies;
//! 2. full verification of a 주민등록표 등본 presentation (a household of four, ten Disclosures,
//!    KB-JWT) against a signed trust list and the issuer's status list;
//! 3. 64 issuer signatures with `verify_batch`, against 64 `verify_strict` calls;
//! 4. durable issuance through [`Issuer::issue`] on sled in a temporary directory, and the
//!    signing alone.
//!
//! The ratios (full verification over the floor, batch speedup, issuance per second) compare
//! figures measured in the same run. Progress goes to standard error; the table, or `--json`, to
//! standard output.

use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Args;
use dojang_did::{did_for_key, DidMethod, PrivateJwk, PublicJwk};
use dojang_issuer::{
    generate, Certificate, FileSigner, IssuancePolicy, Issuer, IssuerIdentity, IssuerSigner,
};
use dojang_vc::present::present;
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::status_list::{sign_token, StatusList, StatusReference};
use dojang_vc::trust_list::{
    sign_trust_list, verify_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey, TrustList,
};
use dojang_vc::{Algorithm, Budget, IssueOptions, SdJwt, VerificationKey};
use dojang_verifier::{verify, Challenge, Inputs, Policy, StatusListCache, TrustListTrust};
use ed25519_dalek::{Signature, Signer as _, VerifyingKey};
use serde_json::{json, Map, Value};

use crate::error::CliError;

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Runs of each operation; by default as many as fit in about two seconds each.
    #[arg(long)]
    iterations: Option<u64>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

const NOW: i64 = 1_780_000_000;
const VCT: &str = "urn:dojang:kr:resident-registration-copy:1";
const AUD: &str = "https://bank.example";
const NONCE: &str = "bench-nonce-0123456789";
const STATUS_URI: &str = "https://jongno.example/status/0";
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
/// Signatures per `verify_batch` call: an auditor re-checking a day of records in chunks.
const BATCH: usize = 64;
/// Time aimed at per operation when `--iterations` is not given.
const TARGET: Duration = Duration::from_secs(2);

/// One measured operation.
struct Measured {
    name: &'static str,
    what: &'static str,
    iterations: u64,
    /// Items per run (signatures in a batch, 1 otherwise).
    items: u64,
    total: Duration,
}

impl Measured {
    fn micros_per_item(&self) -> f64 {
        self.total.as_secs_f64() * 1e6 / (self.iterations * self.items) as f64
    }
    fn per_second(&self) -> f64 {
        1e6 / self.micros_per_item()
    }
}

/// Runs `op` `iterations` times (calibrated to about [`TARGET`] when `None`).
fn measure(
    name: &'static str,
    what: &'static str,
    items: u64,
    iterations: Option<u64>,
    mut op: impl FnMut() -> bool,
) -> Result<Measured, CliError> {
    eprint!("bench: {name} … ");
    if !op() {
        eprintln!("failed");
        return Err(CliError::Usage(format!(
            "benchmark operation `{name}` did not succeed on its fixture"
        )));
    }
    let iterations = match iterations {
        Some(n) => n.max(1),
        None => {
            // Calibrate on a tenth of a second, then aim at TARGET.
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < TARGET / 20 {
                black_box(op());
                n += 1;
            }
            let per = start.elapsed().as_secs_f64() / n as f64;
            ((TARGET.as_secs_f64() / per) as u64).max(10)
        }
    };
    let start = Instant::now();
    let mut ok = true;
    for _ in 0..iterations {
        ok &= black_box(op());
    }
    let total = start.elapsed();
    if !ok {
        eprintln!("failed");
        return Err(CliError::Usage(format!(
            "benchmark operation `{name}` failed during the run"
        )));
    }
    let m = Measured {
        name,
        what,
        iterations,
        items,
        total,
    };
    eprintln!("{iterations} runs, {:.1} µs", m.micros_per_item());
    Ok(m)
}

fn member(name: &str, rrn: &str, birth: &str, relation: &str) -> Value {
    json!({"name": name, "rrn": rrn, "birth_date": birth, "relation": relation,
           "moved_in": "2015-03-02"})
}

/// A 등본 for the head of a household of four (`n` varies the document).
fn household_claims(n: usize) -> Map<String, Value> {
    let v = json!({
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
            member("김민준", "800101-1234567", "1980-01-01", "본인"),
            member("이서연", "820505-2345678", "1982-05-05", "배우자"),
            member("김하준", "100707-3456789", "2010-07-07", "자녀"),
            member("김서윤", "130909-4567890", "2013-09-09", "자녀"),
        ]
    });
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn issue_one(
    issuer: &PrivateJwk,
    did: &str,
    kid: &str,
    holder: &PublicJwk,
    n: usize,
) -> Result<String, CliError> {
    let claims = household_claims(n);
    let status = StatusReference {
        idx: 4242,
        uri: STATUS_URI.into(),
    }
    .to_claim();
    Ok(issue_vc(
        &VcIssuance {
            issuer: did,
            kid,
            vct: VCT,
            holder: Some(holder),
            iat: NOW - 86_400,
            exp: Some(NOW + 365 * 86_400),
            status: Some(&status),
            claims: &claims,
            always_visible: &[],
            options: IssueOptions { decoys: 2 },
        },
        issuer.signing_key(),
    )?
    .to_compact())
}

/// The signing input of a compact JWS and its signature, made again with `key`: Ed25519 is
/// deterministic (RFC 8032 §5.1.6), so this is the signature the token carries.
fn signed_parts(compact: &str, key: &PrivateJwk) -> (Vec<u8>, Signature) {
    let input = compact.rsplit_once('.').map_or(compact, |(i, _)| i);
    let sig = key.signing_key().sign(input.as_bytes());
    (input.as_bytes().to_vec(), sig)
}

/// Everything the verification measurements use, made once.
struct Verification {
    presentation: String,
    trust: TrustListTrust,
    status: StatusListCache,
    policy: Policy,
    challenge: Challenge,
    issuer_vk: VerifyingKey,
    holder_vk: VerifyingKey,
    issuer_part: (Vec<u8>, Signature),
    kb_part: (Vec<u8>, Signature),
    batch: Vec<(Vec<u8>, Signature)>,
}

fn verification_fixture() -> Result<Verification, CliError> {
    let root = PrivateJwk::generate();
    let issuer = PrivateJwk::generate();
    let holder = PrivateJwk::generate();
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
    let budget = Budget::default();

    let issued = issue_one(&issuer, &did, &kid, &holder.public(), 0)?;
    let paths: Vec<String> = DISCLOSE.iter().map(|s| (*s).to_owned()).collect();
    let presentation = present(&issued, &paths, AUD, NONCE, NOW, holder.signing_key())?.text;

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
    let token = sign_trust_list(&list, &format!("{ROOT_DID}#root"), root.signing_key())?;
    let trust = TrustListTrust::new(verify_trust_list(
        &token,
        &root.public(),
        NOW,
        None,
        &budget,
    )?);

    let status_token = sign_token(
        &did,
        &kid,
        STATUS_URI,
        NOW - 600,
        NOW + 86_400,
        3600,
        &StatusList::new(2, 1 << 17)?,
        issuer.signing_key(),
    )?;
    let mut status = StatusListCache::new();
    status.insert_token(
        &status_token,
        &VerificationKey::Ed25519(issuer.public()),
        &[Algorithm::EdDSA],
        NOW,
        &budget,
    )?;

    let issuer_jwt = presentation.split('~').next().unwrap_or_default();
    let kb_jwt = presentation.rsplit('~').next().unwrap_or_default();
    let batch = (0..BATCH)
        .map(|n| {
            let cred = issue_one(&issuer, &did, &kid, &holder.public(), n + 1)?;
            Ok(signed_parts(
                cred.split('~').next().unwrap_or_default(),
                &issuer,
            ))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(Verification {
        issuer_part: signed_parts(issuer_jwt, &issuer),
        kb_part: signed_parts(kb_jwt, &holder),
        presentation,
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
        issuer_vk: *issuer.public().verifying_key(),
        holder_vk: *holder.public().verifying_key(),
        batch,
    })
}

pub(crate) fn run(args: BenchArgs) -> Result<(), CliError> {
    let n = args.iterations;
    eprintln!("bench: preparing a 등본 presentation, a trust list and a status list …");
    let v = verification_fixture()?;
    let budget = Budget::default();
    let ten = SdJwt::parse(&v.presentation, &budget)?.disclosures().len();
    eprintln!("bench: the presentation has {ten} disclosures and a KB-JWT");

    let mut results = Vec::new();
    results.push(measure(
        "floor",
        "two verify_strict (issuer JWT, KB-JWT)",
        1,
        n,
        || {
            let a = v
                .issuer_vk
                .verify_strict(&v.issuer_part.0, &v.issuer_part.1);
            let k = v.holder_vk.verify_strict(&v.kb_part.0, &v.kb_part.1);
            a.is_ok() && k.is_ok()
        },
    )?);
    results.push(measure(
        "full_verify",
        "dojang verify: trust list, status, KB-JWT",
        1,
        n,
        || {
            verify(
                black_box(&v.presentation),
                &Inputs {
                    trust: &v.trust,
                    policy: &v.policy,
                    challenge: Some(&v.challenge),
                    nonces: None,
                    status: Some(&v.status),
                    log: None,
                    now: NOW,
                },
            )
            .result
            .is_ok()
        },
    )?);
    let messages: Vec<&[u8]> = v.batch.iter().map(|(m, _)| m.as_slice()).collect();
    let signatures: Vec<Signature> = v.batch.iter().map(|(_, s)| *s).collect();
    let keys = vec![v.issuer_vk; BATCH];
    results.push(measure(
        "one_by_one_64",
        "64 issuer signatures, verify_strict each (per signature)",
        BATCH as u64,
        n,
        || {
            messages
                .iter()
                .zip(&signatures)
                .all(|(m, s)| v.issuer_vk.verify_strict(m, s).is_ok())
        },
    )?);
    results.push(measure(
        "verify_batch_64",
        "64 issuer signatures, verify_batch (per signature)",
        BATCH as u64,
        n,
        || ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok(),
    )?);

    eprintln!("bench: preparing an issuer on sled in a temporary directory …");
    let dir = tempfile::tempdir().map_err(|source| CliError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let db = dojang_issuer::open_db(&dir.path().join("db"))?;
    let signer = FileSigner::create(&dir.path().join("key.jwk"))?;
    let identity = IssuerIdentity::from_key(&signer.public_key(), DidMethod::Key);
    let issuer = Issuer::open(
        &db,
        signer,
        identity,
        "서울특별시 종로구청",
        IssuancePolicy::default(),
        "https://jongno.example/status",
    )?;
    let file = generate(20, 2026);
    issuer.register().import(&file)?;
    let person = file
        .households
        .iter()
        .max_by_key(|h| h.members.len())
        .map(|h| h.head.clone())
        .unwrap_or_default();
    let holder = PrivateJwk::generate().public();
    let claims = household_claims(0);
    let status = StatusReference {
        idx: 7,
        uri: STATUS_URI.into(),
    }
    .to_claim();
    results.push(measure(
        "sign_only",
        "issue_vc: SD-JWT VC signing alone",
        1,
        n,
        || {
            issue_vc(
                &VcIssuance {
                    issuer: issuer.did(),
                    kid: issuer.kid(),
                    vct: VCT,
                    holder: Some(&holder),
                    iat: NOW,
                    exp: Some(NOW + 365 * 86_400),
                    status: Some(&status),
                    claims: &claims,
                    always_visible: &[],
                    options: IssueOptions { decoys: 2 },
                },
                issuer.signer(),
            )
            .is_ok()
        },
    )?);
    results.push(measure(
        "durable_issue",
        "Issuer::issue: record, status entry, log leaf, flush",
        1,
        n,
        || {
            issuer
                .issue(&person, Certificate::ResidentCopy, &holder, NOW)
                .is_ok()
        },
    )?);
    drop(issuer);
    drop(db);

    let get = |name: &str| {
        results
            .iter()
            .find(|m| m.name == name)
            .map_or(f64::NAN, Measured::micros_per_item)
    };
    let ratio_verify = get("full_verify") / get("floor");
    let batch_speedup = get("one_by_one_64") / get("verify_batch_64");
    let issuance_per_second = 1e6 / get("durable_issue");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    if args.json {
        let ops: Vec<Value> = results
            .iter()
            .map(|m| {
                json!({
                    "name": m.name,
                    "what": m.what,
                    "iterations": m.iterations,
                    "items_per_iteration": m.items,
                    "micros_per_op": m.micros_per_item(),
                    "per_second_per_core": m.per_second(),
                })
            })
            .collect();
        let out = json!({
            "cores": cores,
            "presentation_disclosures": ten,
            "operations": ops,
            "ratios": {
                "full_verify_over_floor": ratio_verify,
                "batch_speedup": batch_speedup,
                "durable_issuance_per_second": issuance_per_second,
            },
            "targets": {
                "full_verify_over_floor_at_most": 1.2,
                "batch_speedup_at_least": 1.5,
                "durable_issuance_per_second_at_least": 5000.0,
            },
        });
        println!("{out:#}");
        return Ok(());
    }

    println!("Dojang bench: one thread, {cores} core(s) available, a 등본 presentation with {ten} disclosures");
    println!();
    println!(
        "{:<16} {:>10} {:>12} {:>14}  what",
        "operation", "runs", "µs/op", "per s per core"
    );
    for m in &results {
        println!(
            "{:<16} {:>10} {:>12.1} {:>14.0}  {}",
            m.name,
            m.iterations,
            m.micros_per_item(),
            m.per_second(),
            m.what
        );
    }
    println!();
    let verdict = |ok: bool| if ok { "meets" } else { "misses" };
    println!(
        "full verify / floor      {ratio_verify:>8.2}×   target ≤ 1.2×  ({})",
        verdict(ratio_verify <= 1.2)
    );
    println!(
        "batch speedup            {batch_speedup:>8.2}×   target ≥ 1.5×  ({})",
        verdict(batch_speedup >= 1.5)
    );
    println!(
        "durable issuance         {issuance_per_second:>8.0}/s  one by one, one core (the 5,000/s target is for group commit on all cores)"
    );
    Ok(())
}
