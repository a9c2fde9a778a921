//! `dojang verify`: the verifier's pipeline on one presentation, printed as one JSON object.

use std::io::Read as _;
use std::path::PathBuf;

use clap::Args;
use dojang_vc::Algorithm;
use dojang_verifier::{verify, Challenge, Inputs, Outcome, Policy, TrustedIssuers};
use serde_json::{json, Value};

use crate::error::{read_file, CliError};
use crate::time::{now, parse_rfc3339};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A DID whose credentials are accepted (repeatable). With none, every issuer is untrusted.
    #[arg(long = "trust-issuer", value_name = "DID")]
    trust_issuer: Vec<String>,
    /// The verifier's identifier, which the KB-JWT's `aud` must equal.
    #[arg(long, requires = "nonce", conflicts_with = "no_kb")]
    aud: Option<String>,
    /// The nonce this verifier issued, which the KB-JWT must carry.
    #[arg(long, requires = "aud", conflicts_with = "no_kb")]
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
    let mut trust = TrustedIssuers::new();
    for did in &args.trust_issuer {
        trust
            .trust(did)
            .map_err(|e| CliError::Usage(format!("--trust-issuer {did}: {e}")))?;
    }
    let now = match &args.now {
        Some(t) => parse_rfc3339(t)?,
        None => now(),
    };
    let policy = Policy {
        allowed_algorithms: vec![Algorithm::EdDSA],
        require_key_binding: !args.no_kb,
        kb_max_age_seconds: args.kb_max_age,
        max_credential_age_days: args.max_age_days,
        accepted_vcts: args.accept_vct,
        ..Policy::default()
    };
    let challenge = args
        .aud
        .zip(args.nonce)
        .map(|(aud, nonce)| Challenge { aud, nonce });
    let outcome = verify(
        input.trim(),
        &Inputs {
            trust: &trust,
            policy: &policy,
            challenge: challenge.as_ref(),
            nonces: None,
            now,
        },
    );
    let verified = outcome.result.is_ok();
    println!("{}", outcome_json(&outcome));
    Ok(if verified { 0 } else { 1 })
}

/// The CLI contract: `{"verified","vct","issuer","claims","checks","error"}`.
pub(crate) fn outcome_json(outcome: &Outcome) -> Value {
    let checks = serde_json::to_value(outcome.report.checks()).unwrap_or(Value::Null);
    match &outcome.result {
        Ok(p) => json!({
            "verified": true,
            "vct": p.vct,
            "issuer": p.issuer,
            "claims": p.claims,
            "disclosed": p.disclosed,
            "checks": checks,
            "error": null,
        }),
        Err(e) => json!({
            "verified": false,
            "vct": null,
            "issuer": null,
            "claims": {},
            "checks": checks,
            "error": { "code": e.code(), "message": e.to_string() },
        }),
    }
}
