//! `dojang verify`: the verifier's pipeline on one presentation, printed as one JSON object.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::Args;
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::trust_list::verify_trust_list;
use dojang_vc::Algorithm;
use dojang_verifier::http::{outcome_json, rejected_json};
use dojang_verifier::{
    verify, Challenge, Inputs, IssuerTrust, Policy, SeenSequence, StatusListCache, TrustListTrust,
    TrustedIssuers,
};
use serde_json::json;

use crate::error::{read_file, CliError};
use crate::time::{now, parse_rfc3339};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A DID whose credentials are accepted (repeatable), for simple use and interop. With
    /// neither this nor --trust-list, every issuer is untrusted.
    #[arg(
        long = "trust-issuer",
        value_name = "DID",
        conflicts_with = "trust_list"
    )]
    trust_issuer: Vec<String>,
    /// The ministry's root public key (JWK), pinned like a TLS root.
    #[arg(long, requires = "trust_list")]
    root_key: Option<PathBuf>,
    /// The trust list (a JWT signed by the root): accredited issuers, their keys and types.
    #[arg(long, requires = "root_key")]
    trust_list: Option<PathBuf>,
    /// A file remembering the newest trust-list sequence seen, so that an older list is refused
    /// (rollback). Updated when a newer list is accepted.
    #[arg(long, requires = "trust_list")]
    trust_state: Option<PathBuf>,
    /// A Status List Token (repeatable), signed by the credential's issuer.
    #[arg(long = "status-list", value_name = "FILE")]
    status_list: Vec<PathBuf>,
    /// A directory of Status List Tokens (every `*.jwt` in it), such as a verifier's cache or
    /// the output of `dojang issuer status-list`.
    #[arg(long, value_name = "DIR")]
    status_dir: Option<PathBuf>,
    /// How old a status list may be, in seconds, before the status is "cannot decide".
    #[arg(long, default_value_t = 86_400)]
    status_max_age: i64,
    /// Refuse credentials that carry no status reference.
    #[arg(long)]
    require_status: bool,
    /// The holder's proof that the issuer logged the credential (`wallet present
    /// --log-proof-out`); its checkpoint must be signed by a key the trust holds.
    #[arg(long)]
    log_proof: Option<PathBuf>,
    /// Refuse a credential without a log inclusion proof.
    #[arg(long)]
    require_log_inclusion: bool,
    /// The verifier's identifier, which the KB-JWT's `aud` must equal.
    #[arg(long, requires = "nonce", conflicts_with = "no_kb")]
    aud: Option<String>,
    /// The nonce this verifier issued, which the KB-JWT must carry.
    #[arg(
        long,
        requires = "aud",
        conflicts_with = "no_kb",
        allow_hyphen_values = true
    )]
    nonce: Option<String>,
    /// Accept a presentation without holder binding (not recommended).
    #[arg(long)]
    no_kb: bool,
    /// Verify as of this time (RFC 3339) instead of the clock.
    #[arg(long)]
    now: Option<String>,
    /// Reject credentials issued more than this many days ago (e.g. 90 for a bank's 등본).
    #[arg(long, value_name = "DAYS")]
    max_age_days: Option<i64>,
    /// How old a KB-JWT may be, in seconds.
    #[arg(long, default_value_t = 300)]
    kb_max_age: i64,
    /// Accept only this credential type (repeatable).
    #[arg(long = "accept-vct", value_name = "VCT")]
    accept_vct: Vec<String>,
    /// The presentation file, or `-` for standard input.
    input: PathBuf,
}

pub(crate) fn run(args: VerifyArgs) -> Result<u8, CliError> {
    let input = if args.input.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|source| CliError::Io {
                path: "-".into(),
                source,
            })?;
        s
    } else {
        read_file(&args.input)?
    };
    if args.aud.is_none() && !args.no_kb {
        return Err(CliError::Usage(
            "give --aud and --nonce to check holder binding, or --no-kb to skip it".into(),
        ));
    }
    let now = match &args.now {
        Some(t) => parse_rfc3339(t)?,
        None => now(),
    };
    let policy_budget = dojang_vc::Budget::default();
    // Trust comes first: a trust list that fails is a rejection of its own, reported as such.
    let trust: Box<dyn IssuerTrust> = match (&args.trust_list, &args.root_key) {
        (Some(list), Some(root)) => {
            match load_trust_list(list, root, args.trust_state.as_deref(), now) {
                Ok(t) => Box::new(t),
                Err(CliError::Vc(e)) => return Ok(reject_early("trust_list", &e)),
                Err(e) => return Err(e),
            }
        }
        _ => {
            let mut trust = TrustedIssuers::new();
            for did in &args.trust_issuer {
                trust
                    .trust(did)
                    .map_err(|e| CliError::Usage(format!("--trust-issuer {did}: {e}")))?;
            }
            Box::new(trust)
        }
    };
    let mut status = StatusListCache::new();
    let mut status_files = args.status_list.clone();
    if let Some(dir) = &args.status_dir {
        let io = |source| CliError::Io {
            path: dir.clone(),
            source,
        };
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jwt"))
            .collect();
        found.sort();
        status_files.extend(found);
    }
    for file in &status_files {
        let token = read_file(file)?;
        if let Err(e) = status.insert_trusted(
            token.trim(),
            trust.as_ref(),
            &[Algorithm::EdDSA],
            now,
            &policy_budget,
        ) {
            return Ok(reject_early("status_list", &e));
        }
    }
    let policy = Policy {
        allowed_algorithms: vec![Algorithm::EdDSA],
        require_key_binding: !args.no_kb,
        kb_max_age_seconds: args.kb_max_age,
        max_credential_age_days: args.max_age_days,
        accepted_vcts: args.accept_vct,
        status_max_age_seconds: Some(args.status_max_age),
        require_status: args.require_status,
        require_log_inclusion: args.require_log_inclusion,
        ..Policy::default()
    };
    let inclusion = match &args.log_proof {
        Some(path) => Some(crate::error::read_json_as::<LogInclusion>(path)?),
        None => None,
    };
    let challenge = args
        .aud
        .zip(args.nonce)
        .map(|(aud, nonce)| Challenge { aud, nonce });
    let outcome = verify(
        input.trim(),
        &Inputs {
            trust: trust.as_ref(),
            policy: &policy,
            challenge: challenge.as_ref(),
            nonces: None,
            status: Some(&status),
            log: inclusion.as_ref(),
            now,
        },
    );
    let verified = outcome.result.is_ok();
    println!("{}", outcome_json(&outcome));
    Ok(if verified { 0 } else { 1 })
}

/// A rejection before the presentation is looked at (the trust list or a status list failed).
fn reject_early(step: &str, e: &dojang_vc::VcError) -> u8 {
    let checks = json!([{ "step": step, "ok": false, "detail": format!("{}: {e}", e.code()) }]);
    println!("{}", rejected_json(checks, e.code(), &e.to_string()));
    1
}

/// Verifies the trust list against the pinned root, refusing a rollback below the newest
/// sequence recorded in `state`, and records this one.
fn load_trust_list(
    list: &Path,
    root: &Path,
    state: Option<&Path>,
    now: i64,
) -> Result<TrustListTrust, CliError> {
    let root = super::key::load_public(root)?;
    let token = read_file(list)?;
    let seen = match state {
        Some(path) => SeenSequence::load(path).map_err(|source| CliError::Io {
            path: path.to_owned(),
            source,
        })?,
        None => None,
    };
    let verified = verify_trust_list(
        token.trim(),
        &root,
        now,
        seen,
        &dojang_vc::Budget::default(),
    )?;
    if let Some(path) = state {
        SeenSequence::store(path, verified.seq()).map_err(|source| CliError::Io {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(TrustListTrust::new(verified))
}
