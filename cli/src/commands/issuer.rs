//! `dojang issuer …`: an issuing agency's register, key and issuance.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use dojang_did::PublicJwk;
use dojang_issuer::{
    generate, Certificate, FileSigner, IssuancePolicy, IssueRequest, IssuedCredential, Issuer,
    IssuerIdentity, IssuerSigner as _, RegisterEvent, RegisterFile,
};
use dojang_vc::status_list::Status;
use serde::{Deserialize, Serialize};

use super::key::{load_public, Method};
use crate::error::{write_file, CliError};
use crate::time::{format, now};

#[derive(Debug, Args)]
pub(crate) struct IssuerArgs {
    /// The agency's directory (key, configuration, database). Not needed by `generate`.
    #[arg(long, env = "DOJANG_ISSUER_DIR")]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: IssuerCommand,
}

#[derive(Debug, Subcommand)]
enum IssuerCommand {
    /// Create an agency: a signing key (mode 0600), its DID, and an empty register.
    Init {
        /// The office's name as printed on certificates, e.g. 서울특별시 종로구청.
        #[arg(long)]
        office: String,
        /// The agency's did:web identifier (e.g. did:web:jongno.example), whose keys verifiers
        /// take from the trust list. Without it, the DID is derived from the key.
        #[arg(long)]
        did: Option<String>,
        /// The DID method of the agency's key, when no --did is given.
        #[arg(long, value_enum, default_value_t = Method::Key)]
        did_method: Method,
        /// Where status lists are published (default: https://HOST/status for did:web:HOST).
        #[arg(long)]
        status_base: Option<String>,
    },
    /// Replace the signing key (the old file is kept); print the new public JWK for the trust
    /// list's `rotate-key`. Only for did:web agencies: a did:key is its key.
    RotateKey,
    /// Revoke a credential (status `invalid`; final).
    Revoke {
        /// The credential number (발급번호).
        number: String,
    },
    /// Suspend a credential (status `suspended`).
    Suspend {
        /// The credential number (발급번호).
        number: String,
    },
    /// Reinstate a suspended credential.
    Reinstate {
        /// The credential number (발급번호).
        number: String,
    },
    /// Every status change of a credential (JSON), for auditors.
    StatusHistory {
        /// The credential number (발급번호).
        number: String,
    },
    /// Publish the signed status list tokens (statuslist+jwt), one file per list.
    StatusList {
        /// Output directory (one `<list id>.jwt` per list).
        #[arg(long)]
        out: PathBuf,
        /// Seconds a verifier may cache a list.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
        /// Hours until the tokens expire.
        #[arg(long, default_value_t = 24)]
        valid_hours: i64,
    },
    /// Apply a register event (JSON: move_in, marriage, birth, death; see
    /// specs/register-events.md) and revoke the credentials it makes stale, in one durable step.
    Event {
        /// The event file, or `-` for standard input.
        file: PathBuf,
    },
    /// Sign a checkpoint of the transparency log (tree size and root); prints it.
    Checkpoint,
    /// The log inclusion proof of a credential against a signed checkpoint (JSON), for the
    /// holder's wallet and for verifiers that require it.
    LogProof {
        /// The credential number.
        number: String,
        /// Write it here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A consistency proof between two tree sizes (JSON), for auditors.
    ConsistencyProof {
        /// The older tree size.
        #[arg(long)]
        old: u64,
        /// The newer tree size (default: the current size).
        #[arg(long)]
        new: Option<u64>,
    },
    /// Every signed checkpoint, one per line, oldest first.
    Checkpoints,
    /// Every log leaf as JSON lines (no personal data), for auditors.
    LogExport,
    /// Print the agency's DID.
    Did,
    /// Import a register file (see specs/register-format.md), checked before anything is stored.
    Import {
        /// The register JSON file.
        file: PathBuf,
    },
    /// Write a synthetic register: realistic names, addresses, valid RRNs, families.
    Generate {
        /// Households to generate.
        #[arg(long, default_value_t = 100)]
        households: usize,
        /// Seed: the same seed gives the same register.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// List the register's person ids.
    Persons,
    /// Issue a certificate for a person to a holder's key; prints the SD-JWT VC.
    Issue {
        /// The register's person id (e.g. P000001), never the RRN.
        #[arg(long)]
        person: String,
        /// Which certificate.
        #[arg(long, value_enum)]
        certificate: CertificateArg,
        /// The holder's public JWK file (`dojang wallet holder-key --out FILE`).
        #[arg(long)]
        holder_key: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        valid_days: i64,
        /// Write the credential to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Re-issue a certificate in bulk: a 등본 for the head of every household, or the chosen
    /// certificate for every person, bound to one holder key, in durable batches (one
    /// transaction and one flush each). Writes JSON lines (document_number, person_id,
    /// credential) to --out, shows progress on standard error, and prints a summary line.
    Reissue {
        /// Every household (등본) or every person (the other certificates). Required, unless
        /// --limit asks for a trial run: this issues thousands of credentials.
        #[arg(long, required_unless_present = "limit")]
        all: bool,
        /// Only the first N households or persons, in register order (a trial run).
        #[arg(long, conflicts_with = "all")]
        limit: Option<usize>,
        /// Which certificate: copy issues one per household (to its head), the others one per
        /// person.
        #[arg(long, value_enum, default_value_t = CertificateArg::Copy)]
        certificate: CertificateArg,
        /// The holder's public JWK file the credentials are bound to (in a real re-issue each
        /// citizen's wallet key; `dojang wallet holder-key --out FILE`).
        #[arg(long)]
        holder_key: PathBuf,
        /// Credentials per durable batch.
        #[arg(long, default_value_t = DEFAULT_REISSUE_BATCH)]
        batch: usize,
        /// The output file (JSON lines; created with mode 0600, it must not exist: it holds the
        /// credentials, with their personal data).
        #[arg(long)]
        out: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        valid_days: i64,
    },
    /// List issuance records (credential number, type, subject id, times, JWT hash).
    Records,
    /// Run the agency's HTTP service (OpenID4VCI, status lists, log proofs, admin API) until
    /// SIGINT or SIGTERM; prints `listening on http://ADDR` once bound.
    Serve(super::issuer_serve::ServeArgs),
    /// Ask a running issuer service for a credential offer (admin API); prints the offer link,
    /// its QR code and the transaction code to hand to the citizen.
    Offer {
        /// The issuer service's base URL.
        #[arg(long)]
        url: String,
        /// A file holding the admin bearer token (else DOJANG_ADMIN_TOKEN).
        #[arg(long)]
        admin_token_file: Option<PathBuf>,
        /// The register's person id.
        #[arg(long)]
        person: String,
        /// Which certificate.
        #[arg(long, value_enum)]
        certificate: CertificateArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CertificateArg {
    /// 주민등록표 등본
    Copy,
    /// 주민등록표 초본
    Abstract,
    /// 가족관계증명서 (일반)
    Family,
    /// 가족관계증명서 (상세)
    FamilyDetailed,
}

impl From<CertificateArg> for Certificate {
    fn from(c: CertificateArg) -> Self {
        match c {
            CertificateArg::Copy => Certificate::ResidentCopy,
            CertificateArg::Abstract => Certificate::ResidentAbstract,
            CertificateArg::Family => Certificate::FamilyGeneral,
            CertificateArg::FamilyDetailed => Certificate::FamilyDetailed,
        }
    }
}

/// `issuer.json` in the agency's directory.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct IssuerConfig {
    /// The office's name as printed on certificates.
    pub(crate) office: String,
    /// The `iss` DID.
    pub(crate) did: String,
    /// The DID URL of the current signing key.
    pub(crate) kid: String,
    /// The current key file, relative to the directory.
    pub(crate) key_file: String,
    /// Where the status lists are published: `{status_base}/{list id}`.
    pub(crate) status_base: String,
}

const CONFIG: &str = "issuer.json";
const KEY: &str = "issuer-key.jwk";
const DB: &str = "db";

/// Creates an agency in `dir`.
pub(crate) fn init(
    dir: &Path,
    office: &str,
    did: Option<&str>,
    method: Method,
    status_base: Option<&str>,
) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: dir.to_owned(),
        source,
    };
    if dir.join(CONFIG).exists() {
        return Err(CliError::Usage(format!(
            "{} already holds an issuer",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let signer = FileSigner::create(&dir.join(KEY))?;
    let identity = match did {
        Some(did) => {
            let parsed = dojang_did::Did::parse(did)?;
            if parsed.method() != "web" {
                return Err(CliError::Usage(
                    "--did must be a did:web identifier; for did:key or did:jwk use --did-method"
                        .into(),
                ));
            }
            IssuerIdentity {
                did: did.to_owned(),
                kid: format!("{did}#key-1"),
            }
        }
        None => IssuerIdentity::from_key(&signer.public_key(), method.into()),
    };
    let status_base = match (status_base, identity.did.strip_prefix("did:web:")) {
        (Some(base), _) => base.trim_end_matches('/').to_owned(),
        (None, Some(host)) => format!(
            "https://{}/status",
            host.replace("%3A", ":").replace(':', "/")
        ),
        (None, None) => format!(
            "https://status.invalid/{}",
            &signer.public_key().thumbprint()[..16]
        ),
    };
    let config = IssuerConfig {
        office: office.to_owned(),
        did: identity.did,
        kid: identity.kid,
        key_file: KEY.to_owned(),
        status_base,
    };
    save_config(dir, &config)
}

fn load_config(dir: &Path) -> Result<IssuerConfig, CliError> {
    crate::error::read_json_as(&dir.join(CONFIG))
}

/// Writes the configuration atomically: a new file, synced, then renamed over the old one.
fn save_config(dir: &Path, config: &IssuerConfig) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: dir.join(CONFIG),
        source,
    };
    let text = serde_json::to_string_pretty(config).unwrap_or_default();
    let tmp = dir.join(format!("{CONFIG}.tmp"));
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, dir.join(CONFIG)).map_err(io)
}

/// Opens the agency in `dir`.
pub(crate) fn open(dir: &Path, policy: IssuancePolicy) -> Result<Issuer<FileSigner>, CliError> {
    let config = load_config(dir)?;
    let signer = FileSigner::load(&dir.join(&config.key_file))?;
    let db = dojang_issuer::open_db(&dir.join(DB))?;
    let identity = IssuerIdentity {
        did: config.did,
        kid: config.kid,
    };
    Ok(Issuer::open(
        &db,
        signer,
        identity,
        &config.office,
        policy,
        &config.status_base,
    )?)
}

/// A new key for a did:web agency: the next `#key-N`, the old key file kept for the record.
fn rotate_key(dir: &Path) -> Result<(), CliError> {
    let mut config = load_config(dir)?;
    if !config.did.starts_with("did:web:") {
        return Err(CliError::Usage(
            "only a did:web agency can rotate its key: a did:key or did:jwk is its key".into(),
        ));
    }
    let n = config
        .kid
        .rsplit_once("#key-")
        .and_then(|(_, n)| n.parse::<u32>().ok())
        .unwrap_or(1)
        + 1;
    let file = format!("issuer-key-{n}.jwk");
    let signer = FileSigner::create(&dir.join(&file))?;
    config.kid = format!("{}#key-{n}", config.did);
    config.key_file = file;
    save_config(dir, &config)?;
    eprintln!(
        "new key {} in {}; accredit it on the trust list before issuing with it",
        config.kid,
        dir.display()
    );
    let public = signer.public_key().to_json();
    println!(
        "{}",
        serde_json::to_string_pretty(&public).unwrap_or_default()
    );
    Ok(())
}

fn need_dir(dir: Option<PathBuf>) -> Result<PathBuf, CliError> {
    dir.ok_or_else(|| CliError::Usage("--dir DIR (or DOJANG_ISSUER_DIR) is required".into()))
}

pub(crate) fn run(args: IssuerArgs) -> Result<(), CliError> {
    match args.command {
        IssuerCommand::Generate {
            households,
            seed,
            out,
        } => {
            let file = generate(households, seed);
            file.save(&out)?;
            eprintln!(
                "wrote {} households, {} persons (seed {seed}) to {}",
                file.households.len(),
                file.persons.len(),
                out.display()
            );
            Ok(())
        }
        IssuerCommand::Init {
            office,
            did,
            did_method,
            status_base,
        } => {
            let dir = need_dir(args.dir)?;
            init(
                &dir,
                &office,
                did.as_deref(),
                did_method,
                status_base.as_deref(),
            )?;
            let issuer = open(&dir, IssuancePolicy::default())?;
            eprintln!("created issuer {office} in {}", dir.display());
            println!("{}", issuer.did());
            Ok(())
        }
        IssuerCommand::RotateKey => rotate_key(&need_dir(args.dir)?),
        IssuerCommand::Serve(serve) => super::issuer_serve::run(&need_dir(args.dir)?, serve),
        IssuerCommand::Offer {
            url,
            admin_token_file,
            person,
            certificate,
        } => offer(&url, admin_token_file.as_deref(), &person, certificate),
        command => {
            let dir = need_dir(args.dir)?;
            let policy = match &command {
                IssuerCommand::Issue { valid_days, .. }
                | IssuerCommand::Reissue { valid_days, .. } => IssuancePolicy {
                    valid_days: *valid_days,
                    ..IssuancePolicy::default()
                },
                _ => IssuancePolicy::default(),
            };
            let issuer = open(&dir, policy)?;
            run_open(&issuer, command)
        }
    }
}

fn run_open(issuer: &Issuer<FileSigner>, command: IssuerCommand) -> Result<(), CliError> {
    match command {
        IssuerCommand::Did => {
            println!("{}", issuer.did());
        }
        IssuerCommand::Import { file } => {
            let register = RegisterFile::load(&file)?;
            let summary = issuer.register().import(&register)?;
            eprintln!("imported {summary:?}");
        }
        IssuerCommand::Persons => {
            for id in issuer.register().person_ids()? {
                println!("{id}");
            }
        }
        IssuerCommand::Issue {
            person,
            certificate,
            holder_key,
            valid_days: _,
            out,
        } => {
            let holder = load_public(&holder_key)?;
            let issued = issuer.issue(&person, certificate.into(), &holder, now())?;
            eprintln!(
                "issued {} no. {} for {person}, valid until {} (recorded)",
                Certificate::from(certificate).name_ko(),
                issued.record.document_number,
                format(issued.record.expires_at)
            );
            match out {
                Some(path) => write_file(&path, &format!("{}\n", issued.sd_jwt))?,
                None => println!("{}", issued.sd_jwt),
            }
        }
        IssuerCommand::Reissue {
            all: _,
            limit,
            certificate,
            holder_key,
            batch,
            out,
            valid_days: _,
        } => {
            let holder = load_public(&holder_key)?;
            reissue(issuer, certificate.into(), &holder, limit, batch, &out)?;
        }
        IssuerCommand::Records => {
            for r in issuer.records().list()? {
                println!("{}", serde_json::to_string(&r).unwrap_or_default());
            }
        }
        IssuerCommand::Revoke { number } => {
            change_status(issuer, &number, Status::Invalid, "revoke")?
        }
        IssuerCommand::Suspend { number } => {
            change_status(issuer, &number, Status::Suspended, "suspend")?
        }
        IssuerCommand::Reinstate { number } => {
            change_status(issuer, &number, Status::Valid, "reinstate")?
        }
        IssuerCommand::StatusHistory { number } => {
            let history = issuer.status_history(&number)?;
            println!("{}", serde_json::to_string(&history).unwrap_or_default());
        }
        IssuerCommand::StatusList {
            out,
            ttl,
            valid_hours,
        } => {
            std::fs::create_dir_all(&out).map_err(|source| CliError::Io {
                path: out.clone(),
                source,
            })?;
            for meta in issuer.status_lists().lists()? {
                let token = issuer.status_list_token(meta.id, now(), ttl, valid_hours * 3600)?;
                let path = out.join(format!("{}.jwt", meta.id));
                write_file(&path, &format!("{token}\n"))?;
                eprintln!(
                    "wrote {} ({}, {} of {} entries allocated)",
                    path.display(),
                    meta.uri,
                    meta.allocated,
                    meta.size
                );
            }
        }
        IssuerCommand::Event { file } => {
            let text = if file.as_os_str() == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|source| {
                    CliError::Io {
                        path: file.clone(),
                        source,
                    }
                })?;
                s
            } else {
                crate::error::read_file(&file)?
            };
            let event: RegisterEvent = serde_json::from_str(&text).map_err(|e| CliError::Json {
                path: file.clone(),
                reason: format!(
                    "not a register event: line {}, column {}",
                    e.line(),
                    e.column()
                ),
            })?;
            let outcome = issuer.apply_event(&event, now())?;
            eprintln!(
                "{}; {} credential(s) revoked",
                outcome.summary,
                outcome.revoked.len()
            );
            println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
        }
        IssuerCommand::Checkpoint => println!("{}", issuer.checkpoint(now())?),
        IssuerCommand::Checkpoints => {
            for cp in issuer.log().checkpoints()? {
                println!("{cp}");
            }
        }
        IssuerCommand::LogProof { number, out } => {
            let inclusion = issuer.log_inclusion(&number, now())?;
            let text = serde_json::to_string_pretty(&inclusion).unwrap_or_default();
            match out {
                Some(path) => write_file(&path, &format!("{text}\n"))?,
                None => println!("{text}"),
            }
        }
        IssuerCommand::ConsistencyProof { old, new } => {
            let new = match new {
                Some(n) => n,
                None => issuer.log().size()?,
            };
            let proof = issuer.log().consistency_proof(old, new)?;
            println!("{}", serde_json::to_string(&proof).unwrap_or_default());
        }
        IssuerCommand::LogExport => {
            for leaf in issuer.log().leaves()? {
                println!("{}", serde_json::to_string(&leaf).unwrap_or_default());
            }
        }
        IssuerCommand::Init { .. }
        | IssuerCommand::Generate { .. }
        | IssuerCommand::RotateKey
        | IssuerCommand::Serve(_)
        | IssuerCommand::Offer { .. } => {}
    }
    Ok(())
}

/// Credentials per batch of `reissue`: 256 share one transaction and one flush, which then
/// costs about as much as signing ten of them; larger batches gain little and make each
/// progress step (and the work lost to a crash mid-batch) longer.
const DEFAULT_REISSUE_BATCH: usize = 256;

/// Re-issues `certificate` for every household head (a 등본) or every person, in batches.
fn reissue(
    issuer: &Issuer<FileSigner>,
    certificate: Certificate,
    holder: &PublicJwk,
    limit: Option<usize>,
    batch: usize,
    out: &Path,
) -> Result<(), CliError> {
    if batch == 0 {
        return Err(CliError::Usage("--batch must be at least 1".into()));
    }
    let (unit, mut subjects) = if certificate == Certificate::ResidentCopy {
        ("households", issuer.register().household_heads()?)
    } else {
        ("persons", issuer.register().person_ids()?)
    };
    if let Some(n) = limit {
        subjects.truncate(n);
    }
    let io = |source| CliError::Io {
        path: out.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(out).map_err(io)?;

    // Two batches in flight (each signed on every core): one signs while the other commits
    // and flushes. The output on a third thread: a batch's lines are written while the next
    // ones sign.
    let total = subjects.len();
    let chunks: Vec<&[String]> = subjects.chunks(batch).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Issued>(2);
    let (issuing, writing) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || write_reissued(file, receiver, unit, total));
        let issue_chunks = |sender: std::sync::mpsc::SyncSender<Issued>| {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else {
                    return Ok(());
                };
                let requests: Vec<IssueRequest> = chunk
                    .iter()
                    .map(|person_id| IssueRequest {
                        person_id: person_id.clone(),
                        certificate,
                        holder: *holder,
                    })
                    .collect();
                let outcome = match issuer.issue_batch(&requests, now()) {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        // The other thread stops after its current batch.
                        next.store(chunks.len(), std::sync::atomic::Ordering::Relaxed);
                        return Err(CliError::from(e));
                    }
                };
                let done = requests
                    .into_iter()
                    .map(|r| r.person_id)
                    .zip(outcome)
                    .collect();
                if sender.send(done).is_err() {
                    // The writer stopped on an error: it reports it.
                    return Ok(());
                }
            }
        };
        let other = {
            let sender = sender.clone();
            scope.spawn(move || issue_chunks(sender))
        };
        let mut issuing: Result<(), CliError> = issue_chunks(sender);
        let other = other
            .join()
            .unwrap_or_else(|_| Err(CliError::Usage("an issuing thread failed".into())));
        if issuing.is_ok() {
            issuing = other;
        }
        let writing = writer
            .join()
            .unwrap_or_else(|_| Err(CliError::Usage("the output thread failed".into())));
        (issuing, writing)
    });
    let (issued, refused, progress) = writing?;
    let elapsed = started.elapsed().as_secs_f64();
    progress.finish();
    if let Err(e) = issuing {
        eprintln!(
            "re-issue stopped: the {issued} credentials in {} are issued and recorded",
            out.display()
        );
        return Err(e);
    }
    let refusals = if refused.is_empty() {
        "none refused".to_owned()
    } else {
        let codes: Vec<String> = refused.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        format!(
            "{} refused ({})",
            refused.values().sum::<usize>(),
            codes.join(", ")
        )
    };
    println!(
        "re-issued {issued} {} for {} {unit} in {elapsed:.2} s: {:.0} credentials/s; {refusals}; written to {}",
        certificate.name_ko(),
        subjects.len(),
        issued as f64 / elapsed.max(1e-9),
        out.display()
    );
    Ok(())
}

/// One batch's outcome, by person id.
type Issued = Vec<(String, Result<IssuedCredential, dojang_issuer::IssuerError>)>;

/// One line of `reissue`'s output file.
#[derive(Serialize)]
struct ReissuedLine<'a> {
    document_number: &'a str,
    person_id: &'a str,
    credential: &'a str,
}

/// The output side of `reissue`: each batch's credentials as JSON lines (flushed per batch:
/// what the file holds is issued and on disk), refusals counted by code, the progress bar.
/// Returns the credentials written, the refusals and the progress bar.
fn write_reissued(
    file: std::fs::File,
    batches: std::sync::mpsc::Receiver<Issued>,
    unit: &'static str,
    total: usize,
) -> Result<(usize, BTreeMap<&'static str, usize>, Progress), CliError> {
    let mut progress = Progress::new(unit, total);
    let mut writer = std::io::BufWriter::new(file);
    let mut issued = 0usize;
    let mut refused: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut shown_refusals = 0usize;
    for batch in batches {
        let n = batch.len();
        for (person_id, outcome) in batch {
            match outcome {
                Ok(credential) => {
                    let line = ReissuedLine {
                        document_number: &credential.record.document_number,
                        person_id: &person_id,
                        credential: &credential.sd_jwt,
                    };
                    serde_json::to_writer(&mut writer, &line)
                        .map_err(std::io::Error::from)
                        .and_then(|()| writer.write_all(b"\n"))
                        .map_err(|source| CliError::Io {
                            path: PathBuf::from("(reissue output)"),
                            source,
                        })?;
                    issued += 1;
                }
                Err(e) => {
                    *refused.entry(e.code()).or_default() += 1;
                    if shown_refusals < MAX_REFUSALS_SHOWN {
                        shown_refusals += 1;
                        progress.note(&format!("{person_id}: refused ({})", e.code()));
                    }
                }
            }
        }
        writer.flush().map_err(|source| CliError::Io {
            path: PathBuf::from("(reissue output)"),
            source,
        })?;
        progress.advance(n);
    }
    let file = writer.into_inner().map_err(|e| CliError::Io {
        path: PathBuf::from("(reissue output)"),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(|source| CliError::Io {
        path: PathBuf::from("(reissue output)"),
        source,
    })?;
    Ok((issued, refused, progress))
}

/// Refusals named one by one on standard error (by register id); the rest are only counted.
const MAX_REFUSALS_SHOWN: usize = 20;

/// A progress bar on standard error: redrawn in place when it is a terminal, otherwise a plain
/// line now and then (every tenth of the work or every ten seconds).
struct Progress {
    unit: &'static str,
    total: usize,
    done: usize,
    started: Instant,
    terminal: bool,
    last_drawn: Option<Instant>,
    next_tenth: usize,
}

impl Progress {
    /// How often a terminal bar is redrawn.
    const REDRAW: Duration = Duration::from_millis(100);
    /// How often a plain line is written at the least.
    const PLAIN_EVERY: Duration = Duration::from_secs(10);

    fn new(unit: &'static str, total: usize) -> Self {
        let progress = Self {
            unit,
            total,
            done: 0,
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            last_drawn: None,
            next_tenth: 1,
        };
        if !progress.terminal {
            eprintln!("re-issue: {total} {unit}");
        }
        progress
    }

    fn line(&self) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = self.done as f64 / elapsed.max(1e-9);
        let left = self.total.saturating_sub(self.done);
        let eta = if self.done == 0 {
            "ETA -".to_owned()
        } else {
            format!("ETA {:.0} s", left as f64 / rate.max(1e-9))
        };
        let percent = if self.total == 0 {
            100.0
        } else {
            self.done as f64 * 100.0 / self.total as f64
        };
        const WIDTH: usize = 30;
        let filled = (self.done * WIDTH)
            .checked_div(self.total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        format!(
            "[{}{}] {}/{} {} {percent:.0}% {rate:.0}/s {eta}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.done,
            self.total,
            self.unit
        )
    }

    fn advance(&mut self, n: usize) {
        self.done = (self.done + n).min(self.total);
        let now = Instant::now();
        if self.terminal {
            let due = match self.last_drawn {
                None => true,
                Some(t) => now - t >= Self::REDRAW,
            };
            if due || self.done == self.total {
                eprint!("\r{}\x1b[K", self.line());
                self.last_drawn = Some(now);
            }
        } else {
            let tenth_reached = self.total > 0 && self.done * 10 >= self.next_tenth * self.total;
            let quiet_too_long =
                self.last_drawn.unwrap_or(self.started).elapsed() >= Self::PLAIN_EVERY;
            if tenth_reached || quiet_too_long {
                eprintln!("re-issue: {}", self.line());
                self.last_drawn = Some(now);
                while self.total > 0 && self.done * 10 >= self.next_tenth * self.total {
                    self.next_tenth += 1;
                }
            }
        }
    }

    /// A message on its own line, the bar redrawn after it.
    fn note(&mut self, message: &str) {
        if self.terminal {
            eprint!("\r\x1b[K{message}\n{}", self.line());
        } else {
            eprintln!("re-issue: {message}");
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!("\r{}\x1b[K", self.line());
        }
    }
}

fn change_status(
    issuer: &Issuer<FileSigner>,
    number: &str,
    status: Status,
    cause: &str,
) -> Result<(), CliError> {
    let previous = issuer.set_status(number, status, now(), cause)?;
    eprintln!(
        "credential {number}: {} -> {} (on disk; publish the status list for verifiers)",
        previous.name(),
        status.name()
    );
    Ok(())
}

/// `dojang issuer offer`: POST /admin/offers on a running service.
fn offer(
    url: &str,
    token_file: Option<&Path>,
    person: &str,
    certificate: CertificateArg,
) -> Result<(), CliError> {
    let token = match token_file {
        Some(path) => crate::error::read_file(path)?.trim().to_owned(),
        None => std::env::var("DOJANG_ADMIN_TOKEN").map_err(|_| {
            CliError::Usage("give --admin-token-file or set DOJANG_ADMIN_TOKEN".into())
        })?,
    };
    let kind = match certificate {
        CertificateArg::Copy => "copy",
        CertificateArg::Abstract => "abstract",
        CertificateArg::Family => "family",
        CertificateArg::FamilyDetailed => "family-detailed",
    };
    let body = serde_json::json!({ "person_id": person, "certificate": kind });
    let endpoint = format!("{}/admin/offers", url.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&endpoint)
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(&body)
        .map_err(|e| CliError::Usage(format!("{endpoint}: {e}")))?;
    let status = response.status().as_u16();
    let answer: serde_json::Value = response
        .body_mut()
        .read_json()
        .map_err(|e| CliError::Usage(format!("{endpoint}: not JSON: {e}")))?;
    if status / 100 != 2 {
        return Err(CliError::Usage(format!(
            "the issuer refused the offer ({status}): {}",
            answer
        )));
    }
    let link = answer["offer_uri"].as_str().unwrap_or_default();
    println!("{link}");
    crate::qr::print(link);
    eprintln!(
        "transaction code (hand it to the citizen separately): {}",
        answer["tx_code"].as_str().unwrap_or_default()
    );
    Ok(())
}
