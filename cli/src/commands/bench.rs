//! `dojang bench`: measures a deployment without a Rust toolchain (issue 5).
//!
//! Each operation runs a fixed number of times on one thread, timed with [`Instant`]:
//!
//! 1. the floor: the two Ed25519 `verify_strict` calls a presentation needs (issuer JWT and
//!    KB-JWT), over exactly the bytes the pipeline verifies; and the same two checks as the
//!    pipeline makes them (`PublicJwk::verify_strict_pair` of keys read from JWKs: the two
//!    together, by `verify_strict`'s rules);
//! 2. full verification of a 주민등록표 등본 presentation (a household of four, ten Disclosures,
//!    KB-JWT) against a signed trust list and the issuer's status list;
//! 3. 64 issuer signatures with `verify_batch` and with `ed25519::verify_strict_batch` (the rules
//!    of `verify_strict`, which `verify_batch` does not keep), against 64 `verify_strict` calls;
//!    the batch speedup is the second's;
//! 4. durable issuance through [`Issuer::issue`] on sled in a temporary directory, and the
//!    signing alone;
//! 5. durable issuance in batches of 64 and 256 through [`Issuer::issue_batch`] (signed on every
//!    core, one transaction and one flush per batch), per credential; and two threads of batches
//!    of 256 overlapping, as `dojang issuer reissue` runs them.
//!
//! The ratios (full verification over the floor, batch speedup, issuance per second) compare
//! figures measured in the same run. The two ratios to the floor are the median of [`ROUNDS`]
//! short rounds that each time the floor, the pipeline's signature checks and full verification
//! back to back ([`to_floor`]): on a shared machine the load changes more between two long
//! blocks of runs than within one round. Progress goes to standard error; the table, or `--json`, to
//! standard output. `--only verify` measures the first three alone; `--export DIR` writes the
//! verification workload for the side-by-side comparison with the Python and TypeScript SD-JWT
//! libraries (`scripts/bench-peers`) and measures nothing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Args;
use dojang_did::{DidMethod, PrivateJwk, PublicJwk};
use dojang_issuer::{
    generate, Certificate, FileSigner, IssuancePolicy, IssueRequest, Issuer, IssuerIdentity,
    IssuerSigner,
};
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::status_list::StatusReference;
use dojang_vc::{Budget, IssueOptions, SdJwt};
use dojang_verifier::verify;
use dojang_verifier::workload::{
    household_claims, issue_household, Workload, NOW, STATUS_URI, VCT,
};
use ed25519_dalek::{Signature, Signer as _, VerifyingKey};
use serde_json::{json, Value};

use crate::error::{write_file, CliError};

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Runs of each operation; by default as many as fit in about two seconds each. A batch
    /// operation counts credentials: it runs this many divided by its batch size, at least once.
    #[arg(long)]
    iterations: Option<u64>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Measure only these operations: `verify` is the floor, the pipeline's signature checks and
    /// full verification (what `scripts/bench-peers` compares with the Python and TypeScript
    /// SD-JWT libraries).
    #[arg(long, value_enum, conflicts_with = "export")]
    only: Option<Only>,
    /// Write the verification workload to DIR and exit without measuring: the presentation
    /// (`presentation.sd-jwt`), the issuer's public JWK (`issuer.jwk`), `workload.json` (aud,
    /// nonce, the verifier's time `now`, the disclosure count) and `claims.json` (what Dojang's
    /// verification of it yields: the disclosed claims with iss, vct, iat and exp). The
    /// presentation carries a status reference, which the peers do not check.
    #[arg(long, value_name = "DIR")]
    export: Option<std::path::PathBuf>,
}

/// What `--only` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Only {
    /// The two-signature floor and full verification.
    Verify,
}

/// Signatures per `verify_batch` call: an auditor re-checking a day of records in chunks.
const BATCH: usize = 64;
/// Time aimed at per operation when `--iterations` is not given.
const TARGET: Duration = Duration::from_secs(2);
/// Rounds of the floor, the signature checks and full verification back to back, for the ratios
/// to the floor: odd, so that the median is one round's ratio.
const ROUNDS: usize = 21;

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
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "what": self.what,
            "iterations": self.iterations,
            "items_per_iteration": self.items,
            "micros_per_op": self.micros_per_item(),
            "per_second_per_core": self.per_second(),
        })
    }
}

/// A ratio to the floor over [`ROUNDS`] rounds: the median and the quartiles.
#[derive(Debug, Clone, Copy)]
struct Ratio {
    median: f64,
    low: f64,
    high: f64,
}

impl Ratio {
    fn of(mut rounds: Vec<f64>) -> Self {
        rounds.sort_by(f64::total_cmp);
        let at = |i: usize| rounds.get(i).copied().unwrap_or(f64::NAN);
        Self {
            median: at(rounds.len() / 2),
            low: at(rounds.len() / 4),
            high: at(3 * rounds.len() / 4),
        }
    }
    /// `1.27× (quartiles 1.25–1.30)`.
    fn text(&self) -> String {
        format!(
            "{:>8.2}×   (quartiles {:.2}–{:.2})",
            self.median, self.low, self.high
        )
    }
}

/// Full verification and the pipeline's signature checks, each over the floor.
struct ToFloor {
    full_verify: Ratio,
    strict_check: Ratio,
    runs_per_round: u64,
}

impl ToFloor {
    /// The two lines of the table: the medians of the rounds, with their quartiles.
    fn print(&self) {
        println!(
            "full verify / floor      {}  target ≤ 1.2× ({}); median of {ROUNDS} rounds back to back",
            self.full_verify.text(),
            verdict(self.full_verify.median <= 1.2)
        );
        println!(
            "strict check / floor     {}  the pipeline's two signature checks",
            self.strict_check.text()
        );
    }
    fn to_json(&self) -> Value {
        json!({
            "rounds": ROUNDS,
            "runs_per_round": self.runs_per_round,
            "full_verify_over_floor_quartiles": [self.full_verify.low, self.full_verify.high],
            "strict_check_over_floor_quartiles": [self.strict_check.low, self.strict_check.high],
        })
    }
}

/// Times `floor`, `strict_check` and `full_verify` back to back in each of [`ROUNDS`] rounds, a
/// fortieth of the fewest runs a block of them made (`results`) each, and returns their ratios.
fn to_floor(
    results: &[Measured],
    mut floor: impl FnMut() -> bool,
    mut strict_check: impl FnMut() -> bool,
    mut full_verify: impl FnMut() -> bool,
) -> ToFloor {
    let runs_per_round = results
        .iter()
        .map(|m| m.iterations)
        .min()
        .map_or(1, |n| (n / 40).max(1));
    eprint!("bench: the three back to back, {ROUNDS} rounds of {runs_per_round} runs … ");
    let time = |op: &mut dyn FnMut() -> bool| {
        let start = Instant::now();
        for _ in 0..runs_per_round {
            black_box(op());
        }
        start.elapsed().as_secs_f64()
    };
    let (mut full, mut strict) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for _ in 0..ROUNDS {
        let f = time(&mut floor);
        strict.push(time(&mut strict_check) / f);
        full.push(time(&mut full_verify) / f);
    }
    let out = ToFloor {
        full_verify: Ratio::of(full),
        strict_check: Ratio::of(strict),
        runs_per_round,
    };
    eprintln!("full verify {:.2}× the floor", out.full_verify.median);
    out
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

/// The signing input of a compact JWS and its signature, made again with `key`: Ed25519 is
/// deterministic (RFC 8032 §5.1.6), so this is the signature the token carries.
fn signed_parts(compact: &str, key: &PrivateJwk) -> (Vec<u8>, Signature) {
    let input = compact.rsplit_once('.').map_or(compact, |(i, _)| i);
    let sig = key.signing_key().sign(input.as_bytes());
    (input.as_bytes().to_vec(), sig)
}

/// The shared workload, and the parts the floor and batch measurements need.
struct Verification {
    workload: Workload,
    issuer_vk: VerifyingKey,
    holder_vk: VerifyingKey,
    /// The same keys read from their JWKs, as the pipeline reads them (the trust list, `cnf.jwk`).
    issuer_jwk: PublicJwk,
    holder_jwk: PublicJwk,
    issuer_part: (Vec<u8>, Signature),
    kb_part: (Vec<u8>, Signature),
    batch: Vec<(Vec<u8>, Signature)>,
}

fn verification_fixture() -> Result<Verification, CliError> {
    let w = Workload::new()?;
    let issuer_jwt = w.presentation.split('~').next().unwrap_or_default();
    let kb_jwt = w.presentation.rsplit('~').next().unwrap_or_default();
    let batch = (0..BATCH)
        .map(|n| {
            let cred = issue_household(&w.issuer, &w.did, &w.kid, &w.holder.public(), n + 1)?;
            Ok(signed_parts(
                cred.split('~').next().unwrap_or_default(),
                &w.issuer,
            ))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(Verification {
        issuer_part: signed_parts(issuer_jwt, &w.issuer),
        kb_part: signed_parts(kb_jwt, &w.holder),
        issuer_vk: *w.issuer.public().verifying_key(),
        holder_vk: *w.holder.public().verifying_key(),
        issuer_jwk: PublicJwk::from_json(&w.issuer.public().to_json())?,
        holder_jwk: PublicJwk::from_json(&w.holder.public().to_json())?,
        batch,
        workload: w,
    })
}

pub(crate) fn run(args: BenchArgs) -> Result<(), CliError> {
    if let Some(dir) = &args.export {
        return export(dir);
    }
    let n = args.iterations;
    eprintln!("bench: preparing a 등본 presentation, a trust list and a status list …");
    let v = verification_fixture()?;
    let budget = Budget::default();
    let ten = SdJwt::parse(&v.workload.presentation, &budget)?
        .disclosures()
        .len();
    eprintln!("bench: the presentation has {ten} disclosures and a KB-JWT");

    // The floor, the pipeline's two signature checks, and full verification: each measured in
    // a block of its own for its µs, then the three back to back for the ratios.
    let floor = || {
        let a = v
            .issuer_vk
            .verify_strict(&v.issuer_part.0, &v.issuer_part.1);
        let k = v.holder_vk.verify_strict(&v.kb_part.0, &v.kb_part.1);
        a.is_ok() && k.is_ok()
    };
    // The generator is fetched for each check, as the pipeline does.
    let strict_check = || {
        v.issuer_jwk.verify_strict_pair(
            &v.issuer_part.0,
            &v.issuer_part.1,
            &v.holder_jwk,
            &v.kb_part.0,
            &v.kb_part.1,
            &mut rand::thread_rng(),
        )
    };
    let full_verify = || {
        verify(black_box(&v.workload.presentation), &v.workload.inputs())
            .result
            .is_ok()
    };
    let mut results = vec![
        measure(
            "floor",
            "two verify_strict (issuer JWT, KB-JWT)",
            1,
            n,
            floor,
        )?,
        measure(
            "strict_check",
            "the same two as dojang checks them: together, verify_strict's rules",
            1,
            n,
            strict_check,
        )?,
        measure(
            "full_verify",
            "dojang verify: trust list, status, KB-JWT",
            1,
            n,
            full_verify,
        )?,
    ];
    let to_floor = to_floor(&results, floor, strict_check, full_verify);
    if args.only == Some(Only::Verify) {
        report_verify_only(&results, &to_floor, ten, args.json);
        return Ok(());
    }
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
    let strict_items: Vec<dojang_did::ed25519::Signed<'_>> = messages
        .iter()
        .zip(&signatures)
        .map(|(m, s)| (&v.issuer_vk, *m, s))
        .collect();
    results.push(measure(
        "strict_batch_64",
        "64 issuer signatures, dojang's batch with verify_strict's rules (per signature)",
        BATCH as u64,
        n,
        || dojang_did::ed25519::verify_strict_batch(&strict_items, &mut rand::thread_rng()),
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
    for (name, size) in [("durable_batch_64", 64), ("durable_batch_256", 256)] {
        let requests: Vec<IssueRequest> = (0..size)
            .map(|_| IssueRequest {
                person_id: person.clone(),
                certificate: Certificate::ResidentCopy,
                holder,
            })
            .collect();
        results.push(measure(
            name,
            "Issuer::issue_batch on every core, one flush (per credential)",
            size as u64,
            n.map(|k| (k / size as u64).max(1)),
            || {
                issuer
                    .issue_batch(&requests, NOW)
                    .is_ok_and(|all| all.iter().all(Result::is_ok))
            },
        )?);
    }
    // Two threads of batches, as `dojang issuer reissue` runs them: one signs while the other
    // commits and flushes.
    let requests: Vec<IssueRequest> = (0..256)
        .map(|_| IssueRequest {
            person_id: person.clone(),
            certificate: Certificate::ResidentCopy,
            holder,
        })
        .collect();
    let batch_ok = || {
        issuer
            .issue_batch(&requests, NOW)
            .is_ok_and(|all| all.iter().all(Result::is_ok))
    };
    results.push(measure(
        "durable_batch_256x2",
        "two threads of issue_batch(256) overlapping (per credential)",
        512,
        n.map(|k| (k / 512).max(1)),
        || {
            std::thread::scope(|scope| {
                let other = scope.spawn(batch_ok);
                let mine = batch_ok();
                other.join().unwrap_or(false) && mine
            })
        },
    )?);
    drop(issuer);
    drop(db);

    let get = |name: &str| micros_of(&results, name);
    // The batch the product can use: `verify_batch` lets through what `verify_strict` refuses.
    let batch_speedup = get("one_by_one_64") / get("strict_batch_64");
    let issuance_per_second = 1e6 / get("durable_issue");
    let batched_per_second = 1e6 / get("durable_batch_256").min(get("durable_batch_256x2"));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    if args.json {
        let ops: Vec<Value> = results.iter().map(Measured::to_json).collect();
        let out = json!({
            "cores": cores,
            "presentation_disclosures": ten,
            "operations": ops,
            "ratios": {
                "full_verify_over_floor": to_floor.full_verify.median,
                "strict_check_over_floor": to_floor.strict_check.median,
                "batch_speedup": batch_speedup,
                "durable_issuance_per_second": issuance_per_second,
                "batched_issuance_per_second": batched_per_second,
            },
            "ratio_rounds": to_floor.to_json(),
            "targets": {
                "full_verify_over_floor_at_most": 1.2,
                "batch_speedup_at_least": 1.5,
                "durable_issuance_per_second_at_least": 5000.0,
                "batched_issuance_per_second_at_least": 5000.0,
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
    to_floor.print();
    println!(
        "batch speedup            {batch_speedup:>8.2}×   target ≥ 1.5×  ({})",
        verdict(batch_speedup >= 1.5)
    );
    println!(
        "durable issuance         {issuance_per_second:>8.0}/s  one by one, one core (the 5,000/s target is for group commit on all cores)"
    );
    println!(
        "batched issuance         {batched_per_second:>8.0}/s  batches of 256 (best of one and two threads), {cores} core(s), target ≥ 5,000/s  ({})",
        verdict(batched_per_second >= 5000.0)
    );
    Ok(())
}

/// How a figure stands against its target, in the table.
fn verdict(meets: bool) -> &'static str {
    if meets {
        "meets"
    } else {
        "misses"
    }
}

/// µs per item of the operation `name` among `results` (NaN if it was not measured).
fn micros_of(results: &[Measured], name: &str) -> f64 {
    results
        .iter()
        .find(|m| m.name == name)
        .map_or(f64::NAN, Measured::micros_per_item)
}

/// `--only verify`: the floor, the pipeline's signature checks and full verification, with their
/// ratios to the floor.
fn report_verify_only(results: &[Measured], to_floor: &ToFloor, disclosures: usize, as_json: bool) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if as_json {
        let out = json!({
            "cores": cores,
            "presentation_disclosures": disclosures,
            "operations": results.iter().map(Measured::to_json).collect::<Vec<_>>(),
            "ratios": {
                "full_verify_over_floor": to_floor.full_verify.median,
                "strict_check_over_floor": to_floor.strict_check.median,
            },
            "ratio_rounds": to_floor.to_json(),
        });
        println!("{out:#}");
        return;
    }
    println!("Dojang bench (verification only): one thread, {cores} core(s) available, a 등본 presentation with {disclosures} disclosures");
    println!();
    println!("{:<16} {:>10} {:>12}  what", "operation", "runs", "µs/op");
    for m in results {
        println!(
            "{:<16} {:>10} {:>12.1}  {}",
            m.name,
            m.iterations,
            m.micros_per_item(),
            m.what
        );
    }
    println!();
    to_floor.print();
}

/// `--export DIR`: the workload's presentation, what a verifier needs to check it, and the
/// claims Dojang's verification yields, for the peers' benchmarks (`scripts/bench-peers`).
fn export(dir: &std::path::Path) -> Result<(), CliError> {
    let w = Workload::new()?;
    let disclosures = SdJwt::parse(&w.presentation, &Budget::default())?
        .disclosures()
        .len();
    let verified = verify(&w.presentation, &w.inputs()).result?;
    // What the peers print, less what only they show (`cnf`, `status`): the disclosed claims and
    // the registered ones a verifier reads.
    let mut claims = verified.claims.clone();
    claims.insert("iss".into(), json!(verified.issuer));
    claims.insert("vct".into(), json!(verified.vct));
    claims.insert("iat".into(), json!(verified.validity.iat));
    if let Some(exp) = verified.validity.exp {
        claims.insert("exp".into(), json!(exp));
    }
    if let Some(nbf) = verified.validity.nbf {
        claims.insert("nbf".into(), json!(nbf));
    }
    let workload = json!({
        "aud": w.challenge.aud,
        "nonce": w.challenge.nonce,
        "now": NOW,
        "iss": verified.issuer,
        "vct": verified.vct,
        "disclosures": disclosures,
    });
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let pretty = |v: &Value| format!("{v:#}\n");
    write_file(
        &dir.join("presentation.sd-jwt"),
        &format!("{}\n", w.presentation),
    )?;
    write_file(
        &dir.join("issuer.jwk"),
        &pretty(&w.issuer.public().to_json()),
    )?;
    write_file(&dir.join("workload.json"), &pretty(&workload))?;
    write_file(&dir.join("claims.json"), &pretty(&Value::Object(claims)))?;
    eprintln!(
        "bench: wrote a 등본 presentation with {disclosures} disclosures, the issuer key, the \
         challenge and Dojang's claims to {}",
        dir.display()
    );
    Ok(())
}
