//! `dojang issuer …`: an issuing agency's register, key and issuance.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use dojang_issuer::{generate, Certificate, FileSigner, IssuancePolicy, Issuer, RegisterFile};
use serde::{Deserialize, Serialize};

use super::key::{load_public, Method};
use crate::error::{read_json, write_file, CliError};
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
        /// The DID method of the agency's key.
        #[arg(long, value_enum, default_value_t = Method::Key)]
        did_method: Method,
    },
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
    /// List issuance records (credential number, type, subject id, times, JWT hash).
    Records,
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
    pub(crate) office: String,
    pub(crate) did_method: String,
}

const CONFIG: &str = "issuer.json";
const KEY: &str = "issuer-key.jwk";
const DB: &str = "db";

/// Creates an agency in `dir`.
pub(crate) fn init(dir: &Path, office: &str, method: Method) -> Result<(), CliError> {
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
    FileSigner::create(&dir.join(KEY))?;
    let config = IssuerConfig {
        office: office.to_owned(),
        did_method: match method {
            Method::Key => "key".into(),
            Method::Jwk => "jwk".into(),
        },
    };
    let text = serde_json::to_string_pretty(&config).unwrap_or_default();
    write_file(&dir.join(CONFIG), &text)
}

/// Opens the agency in `dir`.
pub(crate) fn open(dir: &Path, policy: IssuancePolicy) -> Result<Issuer<FileSigner>, CliError> {
    let config: IssuerConfig =
        serde_json::from_value(read_json(&dir.join(CONFIG))?).map_err(|e| CliError::Json {
            path: dir.join(CONFIG),
            reason: e.to_string(),
        })?;
    let method = if config.did_method == "jwk" {
        dojang_did::DidMethod::Jwk
    } else {
        dojang_did::DidMethod::Key
    };
    let signer = FileSigner::load(&dir.join(KEY))?;
    let db = sled::open(dir.join(DB)).map_err(dojang_issuer::IssuerError::from)?;
    Ok(Issuer::open(&db, signer, method, &config.office, policy)?)
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
        IssuerCommand::Init { office, did_method } => {
            let dir = need_dir(args.dir)?;
            init(&dir, &office, did_method)?;
            let issuer = open(&dir, IssuancePolicy::default())?;
            eprintln!("created issuer {office} in {}", dir.display());
            println!("{}", issuer.did());
            Ok(())
        }
        command => {
            let dir = need_dir(args.dir)?;
            let policy = match &command {
                IssuerCommand::Issue { valid_days, .. } => IssuancePolicy {
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
        IssuerCommand::Records => {
            for r in issuer.records().list()? {
                println!("{}", serde_json::to_string(&r).unwrap_or_default());
            }
        }
        IssuerCommand::Init { .. } | IssuerCommand::Generate { .. } => {}
    }
    Ok(())
}
