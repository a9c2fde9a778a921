//! `dojang load verifier | issuer`: an HTTP load generator for the services (issues 5 and 6).
//!
//! It loads a running service from outside, over loopback, the way many wallets would:
//!
//! 1. **Prepare** (outside the timed window), through the service's own APIs. For a verifier:
//!    a presentation request through the RP API (`POST /requests`), its signed request object
//!    (checked with the relying party's key from the wallet's trust list), and a presentation of
//!    the wallet's credential bound to that request's nonce, ready to post. For an issuer: an
//!    offer through the admin API, its pre-authorized code traded for an access token, a
//!    `c_nonce`, and a key proof over that nonce signed by a fresh holder key, ready to post.
//! 2. **Drive**: `--concurrency` HTTP/1.1 keep-alive connections, each sending its next prepared
//!    request as soon as the previous answer arrives, until the round's work or the time runs out.
//!    Every answer that is not a success of the expected shape counts as an error.
//! 3. **Check samples** (outside the window): every `--sample-every`th successful answer is
//!    checked in full. The verifier's stored result must say `verified` with exactly the
//!    credential's values for the requested claims; an issued credential must verify against the
//!    issuer's key, be of the offered type, be bound to the holder key its proof was signed with
//!    and come with its own log inclusion leaf. A failed check counts as an error.
//! 4. Repeat until `--duration` of driving is done. The first round is small
//!    ([`FIRST_ROUND_PER_CONNECTION`]); later rounds are sized from the measured rate, each to at
//!    most [`ROUND_MAX_DRIVE`] of work and [`ROUND_MAX_PREPARE`] of preparation, so that every
//!    prepared nonce is used well within its lifetime and the client's memory stays bounded. A
//!    round also stops driving at [`ROUND_DEADLINE_FACTOR`] times [`ROUND_MAX_DRIVE`] (work left
//!    over is dropped): a round sized from a faster earlier rate would otherwise drive on, and
//!    its samples would be re-read later than a short result retention keeps them.
//!    Throughput is requests over the time spent driving.
//!
//! With `--pid`, the service's resident memory is read from `/proc/PID/status` every
//! [`MEMORY_INTERVAL`] (VmRSS), at the start and end of the timed window and after each round,
//! with the kernel's high-water mark (VmHWM) at the end; and the CPU time it used while driving
//! (`/proc/PID/stat`), per request, beside this client's own: figures that hold on a machine
//! shared with other work, where throughput does not.
//!
//! Prints a summary, or one JSON object with `--json`; progress goes to standard error. Exit 0
//! when every request and every sampled check passed, 1 otherwise, 2 when the run could not be
//! made. Only loopback addresses are accepted ([`Endpoint::parse`]).
//!
//! Files: this one runs the rounds and reports; `http.rs` is the client (one keep-alive
//! connection per worker), `verifier.rs` and `issuer.rs` prepare and check each target's
//! requests, `service.rs` reads the service's memory and CPU from `/proc`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use dojang_did::PublicJwk;
use dojang_vc::oid4vci::CredentialResponse;
use hyper::body::Bytes;
use serde_json::{json, Map, Value};

use crate::error::CliError;

mod http;
mod issuer;
mod service;
mod verifier;

use http::{Call, Conn, Endpoint};
use issuer::{issuer_setup, issuer_target, IssuerTarget};
use service::{cpu_now, MemoryWatch};
use verifier::{verifier_target, VerifierTarget};

/// Budget: connections at most. Each is a socket on both sides and a task here; past a few
/// hundred the client's own scheduling is measured more than the service, and the usual limit
/// of 1,024 open files per process would be near.
const MAX_CONCURRENCY: usize = 512;
/// Budget: client threads at most (the machine the figures are for has two cores).
const MAX_THREADS: usize = 16;
/// Budget: the longest run, one hour: a soak is minutes; the loop must end by itself.
const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Budget: the largest answer read. An issued 등본 with its inclusion proof is a few KB; a
/// verification result with its checks and provenance under 16 KB.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// How long one request may take before it counts as an error (`timeout`): the services give up
/// on a request after 10 s themselves, so 30 s means the service stopped answering.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Work in the first round, per connection: enough to measure a rate (a few hundred
/// milliseconds of driving at the target rates), little enough to prepare quickly.
const FIRST_ROUND_PER_CONNECTION: usize = 32;
/// The most driving one round is sized for. With [`ROUND_MAX_PREPARE`], the oldest prepared
/// nonce is at most two minutes old when it is used: inside the issuer's five-minute
/// `c_nonce` and access tokens of ten, and the verifier's default five-minute requests. Ten
/// seconds keeps the service holding what wallets answering within seconds would leave open
/// (ten seconds of requests), not a minute's worth prepared ahead, which measured the service's
/// storage of unanswered requests more than its answers (a minute at 2,000/s is 120,000
/// requests held at once, each with its signed request object).
const ROUND_MAX_DRIVE: Duration = Duration::from_secs(10);
/// A round stops driving after this many times [`ROUND_MAX_DRIVE`], done or not.
const ROUND_DEADLINE_FACTOR: u32 = 2;
/// The longest one round's preparation may take (see [`ROUND_MAX_DRIVE`]).
const ROUND_MAX_PREPARE: Duration = Duration::from_secs(120);
/// How often the service's memory is read.
const MEMORY_INTERVAL: Duration = Duration::from_millis(100);
/// How often progress is printed to standard error.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(5);
/// Distinct error kinds kept by name; the rest are counted as `other`.
const MAX_ERROR_KINDS: usize = 32;
/// Characters of a refused preparation call's body quoted in the error.
const QUOTED_BODY_CHARS: usize = 300;

/// The purpose shown with every presentation request the generator makes.
const LOAD_PURPOSE: &str = "부하 시험 (load test)";

#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    #[command(subcommand)]
    target: LoadTarget,
}

#[derive(Debug, Subcommand)]
enum LoadTarget {
    /// Drive a verifier's `POST /response` with presentations of a wallet's credential, each bound
    /// to a request made through the RP API.
    Verifier(VerifierLoadArgs),
    /// Drive an issuer's `POST /credential` with key proofs over fresh nonces, each with an access
    /// token from an offer made through the admin API.
    Issuer(IssuerLoadArgs),
}

/// How to drive, for both targets.
#[derive(Debug, Args)]
struct DriveArgs {
    /// Connections, each with one request in flight at a time.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Time spent driving: `30s`, `5m`, `500ms` or seconds.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// Threads of the client's runtime (1 leaves the other cores to the service).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The service's process id: its memory is read from /proc/PID/status during the run.
    #[arg(long)]
    pid: Option<u32>,
    /// Check every Nth successful answer in full.
    #[arg(long, default_value_t = 100)]
    sample_every: u64,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also write the JSON object to this file.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct VerifierLoadArgs {
    /// The verifier service's base URL (on this machine).
    #[arg(long)]
    url: String,
    /// A file holding an RP API token (its first line).
    #[arg(long)]
    rp_token_file: PathBuf,
    /// A wallet whose credential is presented (passphrase: DOJANG_WALLET_PASSPHRASE, or asked);
    /// repeat it for several holders, presented in turn, as many citizens' wallets would. The
    /// first one's trust list gives the relying party's request-signing key.
    #[arg(long, required = true)]
    wallet: Vec<PathBuf>,
    /// The credential type to ask for.
    #[arg(long, default_value = "urn:dojang:kr:resident-registration-copy:1")]
    vct: String,
    /// Comma-separated claim paths to ask for.
    #[arg(long, value_delimiter = ',', default_value = "name,address")]
    claims: Vec<String>,
    /// Ask for encrypted responses (direct_post.jwt).
    #[arg(long)]
    encrypted: bool,
    #[command(flatten)]
    drive: DriveArgs,
}

#[derive(Debug, Args)]
struct IssuerLoadArgs {
    /// The issuer service's base URL (on this machine).
    #[arg(long)]
    url: String,
    /// A file holding an admin API token (its first line).
    #[arg(long)]
    admin_token_file: PathBuf,
    /// A person id of the register to make offers for (repeatable; used in turn).
    #[arg(long = "person", required = true)]
    persons: Vec<String>,
    /// The certificate offered: copy, abstract, family or family-detailed.
    #[arg(long, default_value = "copy")]
    certificate: String,
    /// The issuer's public key (JWK file) to check sampled credentials against; by default the
    /// key the service publishes at /.well-known/jwt-vc-issuer.
    #[arg(long)]
    issuer_key: Option<PathBuf>,
    #[command(flatten)]
    drive: DriveArgs,
}

/// Parses `30s`, `5m`, `500ms` or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (30s, 5m, 500ms)"))?;
    let seconds = value * scale;
    if !(seconds > 0.0 && seconds <= MAX_DURATION.as_secs_f64()) {
        return Err(format!(
            "a duration is more than 0 and at most {} s",
            MAX_DURATION.as_secs()
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub(crate) fn run(args: LoadArgs) -> Result<u8, CliError> {
    let drive = match &args.target {
        LoadTarget::Verifier(a) => &a.drive,
        LoadTarget::Issuer(a) => &a.drive,
    };
    if drive.concurrency == 0 || drive.concurrency > MAX_CONCURRENCY {
        return Err(CliError::Usage(format!(
            "--concurrency is 1 to {MAX_CONCURRENCY}"
        )));
    }
    if drive.threads == 0 || drive.threads > MAX_THREADS {
        return Err(CliError::Usage(format!("--threads is 1 to {MAX_THREADS}")));
    }
    if drive.sample_every == 0 {
        return Err(CliError::Usage("--sample-every is at least 1".into()));
    }
    let runtime = if drive.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(drive.threads)
            .enable_all()
            .build()
    }
    .map_err(|source| CliError::Io {
        path: PathBuf::from("tokio runtime"),
        source,
    })?;
    let report = runtime.block_on(async {
        let target = match &args.target {
            LoadTarget::Verifier(a) => {
                Target::Verifier(verifier_target(a, Endpoint::parse(&a.url)?)?)
            }
            LoadTarget::Issuer(a) => {
                let setup = issuer_setup(a, Endpoint::parse(&a.url)?)?;
                Target::Issuer(issuer_target(setup).await?)
            }
        };
        run_load(Arc::new(target), drive).await
    })?;
    if let Some(path) = &drive.report {
        crate::error::write_file(path, &format!("{report:#}\n"))?;
    }
    if drive.json {
        println!("{report:#}");
    } else {
        print_summary(&report);
    }
    Ok(if report["passed"] == Value::Bool(true) {
        0
    } else {
        1
    })
}

// ---------------------------------------------------------------------------------------------
// The two targets.

/// What is loaded, with everything its preparation and checks need.
// One value a run: the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Target {
    Verifier(VerifierTarget),
    Issuer(IssuerTarget),
}

/// One request made ready before the timed window.
struct Prepared {
    /// Where it is posted.
    path: String,
    /// The body.
    body: Bytes,
    /// The access token (issuer).
    bearer: Option<String>,
    /// What its sample check needs.
    check: SampleRef,
}

/// What a sampled answer is checked against.
#[derive(Clone)]
enum SampleRef {
    /// The verifier's request id, and which holder presented: its stored result is read back.
    Request(String, usize),
    /// The holder key the issuer must have bound the credential to.
    Holder(PublicJwk),
}

impl Target {
    fn name(&self) -> &'static str {
        match self {
            Target::Verifier(_) => "verifier",
            Target::Issuer(_) => "issuer",
        }
    }

    fn endpoint(&self) -> &Arc<Endpoint> {
        match self {
            Target::Verifier(v) => &v.endpoint,
            Target::Issuer(i) => &i.endpoint,
        }
    }

    /// The driven route, for the report.
    fn route(&self) -> &'static str {
        match self {
            Target::Verifier(_) => "POST /response",
            Target::Issuer(_) => "POST /credential",
        }
    }

    fn content_type(&self) -> &'static str {
        match self {
            Target::Verifier(_) => "application/x-www-form-urlencoded",
            Target::Issuer(_) => "application/json",
        }
    }

    async fn prepare(&self, conn: &mut Conn, index: usize) -> Result<Prepared, CliError> {
        match self {
            Target::Verifier(v) => v.prepare(conn, index).await,
            Target::Issuer(i) => i.prepare(conn, index).await,
        }
    }

    /// Whether an answer in the timed window is a success of the expected shape; else the error
    /// kind. Cheap: the full check is for samples.
    fn answer_ok(&self, status: u16, body: &[u8]) -> Result<(), String> {
        if status != 200 {
            let code = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .filter(|c| c.len() <= 64)
                .unwrap_or_default();
            return Err(format!("http {status} {code}").trim_end().to_owned());
        }
        let shaped = match self {
            Target::Verifier(_) => serde_json::from_slice::<Map<String, Value>>(body).is_ok(),
            Target::Issuer(_) => serde_json::from_slice::<CredentialResponse>(body)
                .is_ok_and(|r| r.credentials.len() == 1),
        };
        if shaped {
            Ok(())
        } else {
            Err("unexpected answer".into())
        }
    }

    async fn check_sample(
        &self,
        conn: &mut Conn,
        sample: &SampleRef,
        body: &[u8],
    ) -> Result<(), String> {
        match (self, sample) {
            (Target::Verifier(v), SampleRef::Request(id, holder)) => {
                v.check(conn, id, *holder).await
            }
            (Target::Issuer(i), SampleRef::Holder(holder)) => i.check(holder, body),
            _ => Err("sample of another target".into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rounds: prepare, drive, check.

/// What the workers of a round saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    kinds: BTreeMap<String, u64>,
    /// Latency of every answered request, microseconds.
    latencies: Vec<u32>,
    /// Sampled successful answers, checked after the round.
    samples: Vec<(SampleRef, Bytes)>,
}

impl Tally {
    fn error(&mut self, kind: String) {
        self.errors += 1;
        self.count_kind(kind, 1);
    }

    /// Counts `n` errors of `kind` by name, or as `other` past [`MAX_ERROR_KINDS`] names.
    fn count_kind(&mut self, kind: String, n: u64) {
        let kind = if self.kinds.len() < MAX_ERROR_KINDS || self.kinds.contains_key(&kind) {
            kind
        } else {
            "other".to_owned()
        };
        *self.kinds.entry(kind).or_insert(0) += n;
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.errors += other.errors;
        for (kind, n) in other.kinds {
            self.count_kind(kind, n);
        }
        self.latencies.extend(other.latencies);
        self.samples.extend(other.samples);
    }
}

/// Counters the progress printer reads.
#[derive(Default)]
struct Progress {
    done: AtomicU64,
    errors: AtomicU64,
    prepared: AtomicUsize,
}

fn task_failed(e: tokio::task::JoinError) -> CliError {
    CliError::Usage(format!("a load task failed: {e}"))
}

/// Prepares up to `count` items over the connections, stopping early at `deadline`.
async fn prepare_round(
    target: &Arc<Target>,
    conns: Vec<Conn>,
    count: usize,
    deadline: Instant,
    progress: &Arc<Progress>,
) -> Result<(Vec<Conn>, Vec<Prepared>), CliError> {
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    progress.prepared.store(0, Ordering::Relaxed);
    let mut tasks = Vec::with_capacity(conns.len());
    for mut conn in conns {
        let (target, next, failed, progress) = (
            Arc::clone(target),
            Arc::clone(&next),
            Arc::clone(&failed),
            Arc::clone(progress),
        );
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::new();
            while !failed.load(Ordering::Relaxed) && Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                match target.prepare(&mut conn, i).await {
                    Ok(p) => {
                        made.push(p);
                        progress.prepared.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        return (conn, Err(e));
                    }
                }
            }
            (conn, Ok(made))
        }));
    }
    let mut conns = Vec::with_capacity(tasks.len());
    let mut items = Vec::with_capacity(count);
    let mut first_error = None;
    for task in tasks {
        let (conn, made) = task.await.map_err(task_failed)?;
        conns.push(conn);
        match made {
            Ok(made) => items.extend(made),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok((conns, items)),
    }
}

/// Drives the prepared items over the connections until they run out or `deadline` passes.
async fn drive_round(
    target: &Arc<Target>,
    conns: Vec<Conn>,
    items: Arc<Vec<Prepared>>,
    deadline: Instant,
    sample_every: u64,
    progress: &Arc<Progress>,
) -> Result<(Vec<Conn>, Tally), CliError> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(conns.len());
    for mut conn in conns {
        let (target, next, items, progress) = (
            Arc::clone(target),
            Arc::clone(&next),
            Arc::clone(&items),
            Arc::clone(progress),
        );
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let content_type = target.content_type();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else {
                    break;
                };
                let started = Instant::now();
                let sent = conn
                    .send(Call::post(
                        &item.path,
                        content_type,
                        item.bearer.as_deref(),
                        item.body.clone(),
                    ))
                    .await;
                let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                progress.done.fetch_add(1, Ordering::Relaxed);
                let outcome = sent.and_then(|(status, body)| {
                    tally.latencies.push(micros);
                    target.answer_ok(status, &body).map(|()| body)
                });
                match outcome {
                    Ok(body) => {
                        tally.ok += 1;
                        if (i as u64).is_multiple_of(sample_every) {
                            tally.samples.push((item.check.clone(), body));
                        }
                    }
                    Err(kind) => {
                        progress.errors.fetch_add(1, Ordering::Relaxed);
                        tally.error(kind);
                    }
                }
            }
            (conn, tally)
        }));
    }
    let mut conns = Vec::with_capacity(tasks.len());
    let mut tally = Tally::default();
    for task in tasks {
        let (conn, t) = task.await.map_err(task_failed)?;
        conns.push(conn);
        tally.merge(t);
    }
    Ok((conns, tally))
}

/// Checks the round's samples over one connection; returns (checked, failed kinds).
async fn check_samples(
    target: &Target,
    conn: &mut Conn,
    samples: &[(SampleRef, Bytes)],
) -> (u64, Vec<String>) {
    let mut failed = Vec::new();
    for (sample, body) in samples {
        if let Err(kind) = target.check_sample(conn, sample, body).await {
            failed.push(format!("sample: {kind}"));
        }
    }
    (samples.len() as u64, failed)
}

/// Latency percentile (nearest rank) of sorted microseconds, in milliseconds.
fn percentile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted
        .get(rank - 1)
        .map_or(0.0, |&us| f64::from(us) / 1000.0)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Prints a progress line every [`PROGRESS_INTERVAL`] until aborted: prepared items while
/// `preparing`, else requests and errors.
fn spawn_progress(progress: Arc<Progress>, preparing: bool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = Instant::now();
        let mut tick = tokio::time::interval(PROGRESS_INTERVAL);
        tick.tick().await;
        loop {
            tick.tick().await;
            let s = started.elapsed().as_secs();
            if preparing {
                eprintln!(
                    "load:   {s} s: prepared {}",
                    progress.prepared.load(Ordering::Relaxed)
                );
            } else {
                eprintln!(
                    "load:   {s} s: {} requests, {} errors",
                    progress.done.load(Ordering::Relaxed),
                    progress.errors.load(Ordering::Relaxed)
                );
            }
        }
    })
}

async fn run_load(target: Arc<Target>, drive: &DriveArgs) -> Result<Value, CliError> {
    let endpoint = Arc::clone(target.endpoint());
    let mut conns = (0..drive.concurrency)
        .map(|_| Conn::new(Arc::clone(&endpoint)))
        .collect::<Result<Vec<_>, _>>()?;
    let memory = drive.pid.map(MemoryWatch::start).transpose()?;
    let progress = Arc::new(Progress::default());
    let mut total = Tally::default();
    let mut driven = Duration::ZERO;
    let mut preparing = Duration::ZERO;
    let mut prepared_total = 0usize;
    let mut rounds = 0u32;
    let mut rss_start = None;
    let mut rss_rounds = Vec::new();
    let (mut checked, mut sample_failures) = (0u64, 0u64);
    // CPU seconds used while driving, by the service and by this client.
    let (mut service_cpu, mut client_cpu) = (Some(0.0), Some(0.0));
    eprintln!(
        "load: {} at {}: {} connection(s), {:.1} s of driving",
        target.name(),
        endpoint.origin,
        drive.concurrency,
        drive.duration.as_secs_f64()
    );
    while driven < drive.duration {
        let remaining = drive.duration - driven;
        let count = if rounds == 0 || total.latencies.is_empty() {
            drive.concurrency * FIRST_ROUND_PER_CONNECTION
        } else {
            let rate = (total.ok + total.errors) as f64 / driven.as_secs_f64().max(1e-3);
            let span = remaining.min(ROUND_MAX_DRIVE).as_secs_f64();
            (rate * span * 1.1) as usize + drive.concurrency
        };
        rounds += 1;
        eprintln!("load: round {rounds}: preparing {count} request(s)");
        let started = Instant::now();
        let ticker = spawn_progress(Arc::clone(&progress), true);
        let outcome = prepare_round(
            &target,
            conns,
            count,
            started + ROUND_MAX_PREPARE,
            &progress,
        )
        .await;
        ticker.abort();
        let (back, items) = outcome?;
        conns = back;
        preparing += started.elapsed();
        prepared_total += items.len();
        if items.is_empty() {
            return Err(CliError::Usage("no work could be prepared".into()));
        }
        eprintln!(
            "load: round {rounds}: {} prepared in {:.1} s; driving",
            items.len(),
            started.elapsed().as_secs_f64()
        );
        if rss_start.is_none() {
            rss_start = memory.as_ref().map(MemoryWatch::rss_now);
        }
        let ticker = spawn_progress(Arc::clone(&progress), false);
        let cpu_before = cpu_now(drive.pid);
        let started = Instant::now();
        let outcome = drive_round(
            &target,
            conns,
            Arc::new(items),
            started + remaining.min(ROUND_MAX_DRIVE * ROUND_DEADLINE_FACTOR),
            drive.sample_every,
            &progress,
        )
        .await;
        let elapsed = started.elapsed();
        let cpu_after = cpu_now(drive.pid);
        let add = |sum: Option<f64>, before: Option<f64>, after: Option<f64>| {
            Some(sum? + after? - before?)
        };
        service_cpu = add(service_cpu, cpu_before.0, cpu_after.0);
        client_cpu = add(client_cpu, cpu_before.1, cpu_after.1);
        ticker.abort();
        let (back, mut tally) = outcome?;
        conns = back;
        driven += elapsed;
        if let Some(m) = &memory {
            rss_rounds.push(m.rss_now());
        }
        let round_requests = tally.ok + tally.errors;
        let samples = std::mem::take(&mut tally.samples);
        if let Some(conn) = conns.first_mut() {
            let (n, failed) = check_samples(&target, conn, &samples).await;
            checked += n;
            sample_failures += failed.len() as u64;
            for kind in failed {
                tally.error(kind);
            }
        }
        eprintln!(
            "load: round {rounds}: {round_requests} request(s) in {:.1} s, {} error(s), {} sample(s) checked",
            elapsed.as_secs_f64(),
            tally.errors,
            samples.len()
        );
        total.merge(tally);
    }
    let memory_report = match memory {
        Some(m) => {
            let pid = m.pid;
            let (end, peak, reads, hwm, gone) = m.finish();
            json!({
                "pid": pid,
                "rss_start_kib": rss_start.unwrap_or(0),
                "rss_end_kib": end,
                "rss_peak_kib": peak,
                "rss_after_each_round_kib": rss_rounds,
                "vm_hwm_kib": hwm,
                "reads": reads,
                "process_gone": gone,
            })
        }
        None => Value::Null,
    };
    let mut sorted = std::mem::take(&mut total.latencies);
    sorted.sort_unstable();
    let answered = sorted.len() as u64;
    let requests = total.ok + total.errors - sample_failures;
    let mean = if sorted.is_empty() {
        0.0
    } else {
        sorted.iter().map(|&u| f64::from(u)).sum::<f64>() / sorted.len() as f64 / 1000.0
    };
    let seconds = driven.as_secs_f64();
    let passed = total.errors == 0 && checked > 0 && requests > 0;
    let mut report = json!({
        "target": target.name(),
        "url": endpoint.origin,
        "route": target.route(),
        "concurrency": drive.concurrency,
        "threads": drive.threads,
        "duration_seconds": round3(drive.duration.as_secs_f64()),
        "driven_seconds": round3(seconds),
        "rounds": rounds,
        "prepared": prepared_total,
        "prepare_seconds": round3(preparing.as_secs_f64()),
        "requests": requests,
        "answered": answered,
        "ok": total.ok,
        "errors": total.errors,
        "error_kinds": total.kinds,
        "throughput_per_second": round3(requests as f64 / seconds.max(1e-9)),
        "latency_ms": {
            "p50": percentile_ms(&sorted, 0.50),
            "p99": percentile_ms(&sorted, 0.99),
            "p99_9": percentile_ms(&sorted, 0.999),
            "max": sorted.last().map_or(0.0, |&u| f64::from(u) / 1000.0),
            "mean": round3(mean),
        },
        "samples": {
            "every": drive.sample_every,
            "checked": checked,
            "failed": sample_failures,
        },
        "cpu": {
            "service_seconds": service_cpu.filter(|_| drive.pid.is_some()).map(round3),
            "service_micros_per_request": service_cpu
                .filter(|_| drive.pid.is_some() && requests > 0)
                .map(|c| round3(c * 1e6 / requests as f64)),
            "client_seconds": client_cpu.map(round3),
            "client_micros_per_request": client_cpu
                .filter(|_| requests > 0)
                .map(|c| round3(c * 1e6 / requests as f64)),
        },
        "memory": memory_report,
        "passed": passed,
    });
    if let (Target::Issuer(i), Value::Object(m)) = (target.as_ref(), &mut report) {
        m.insert("nonces".into(), Value::from("prepared"));
        m.insert("issuer_key".into(), Value::from(i.key_source));
    }
    Ok(report)
}

fn print_summary(r: &Value) {
    let f = |p: &str| r.pointer(p).and_then(Value::as_f64).unwrap_or(0.0);
    let u = |p: &str| r.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let s = |p: &str| r.pointer(p).and_then(Value::as_str).unwrap_or("");
    println!(
        "Dojang load: {} {} at {}, {} connection(s), {} client thread(s)",
        s("/target"),
        s("/route"),
        s("/url"),
        u("/concurrency"),
        u("/threads")
    );
    println!(
        "  {:.1} s driven in {} round(s); {} prepared in {:.1} s (outside the window)",
        f("/driven_seconds"),
        u("/rounds"),
        u("/prepared"),
        f("/prepare_seconds")
    );
    println!();
    println!("  requests      {}", u("/requests"));
    println!("  errors        {}", u("/errors"));
    if let Some(Value::Object(kinds)) = r.get("error_kinds") {
        for (kind, n) in kinds {
            println!("    {n:>8}  {kind}");
        }
    }
    println!("  throughput    {:.1} /s", f("/throughput_per_second"));
    println!(
        "  latency ms    p50 {:.2}   p99 {:.2}   p99.9 {:.2}   max {:.2}   mean {:.2}",
        f("/latency_ms/p50"),
        f("/latency_ms/p99"),
        f("/latency_ms/p99_9"),
        f("/latency_ms/max"),
        f("/latency_ms/mean")
    );
    println!(
        "  samples       {} checked, {} failed (every {}th answer)",
        u("/samples/checked"),
        u("/samples/failed"),
        u("/samples/every")
    );
    if let Some(service) = r
        .pointer("/cpu/service_micros_per_request")
        .and_then(Value::as_f64)
    {
        println!(
            "  service CPU   {:.1} s while driving, {service:.0} µs a request",
            f("/cpu/service_seconds")
        );
    }
    println!(
        "  client CPU    {:.1} s while driving, {:.0} µs a request",
        f("/cpu/client_seconds"),
        f("/cpu/client_micros_per_request")
    );
    if r.get("memory").is_some_and(|m| !m.is_null()) {
        let mib = |p: &str| f(p) / 1024.0;
        println!(
            "  service RSS   pid {}: {:.1} MiB at start, {:.1} MiB at end, peak {:.1} MiB (VmHWM {:.1} MiB)",
            u("/memory/pid"),
            mib("/memory/rss_start_kib"),
            mib("/memory/rss_end_kib"),
            mib("/memory/rss_peak_kib"),
            mib("/memory/vm_hwm_kib")
        );
    }
    println!();
    println!(
        "  {}",
        if r["passed"] == Value::Bool(true) {
            "passed: no errors, every sampled answer checked out"
        } else {
            "FAILED: see errors and samples above"
        }
    );
}
