//! # dojang: the command line of Dojang
//!
//! One binary wires the roles: `dojang issuer …` for an agency, `dojang wallet …` for a citizen,
//! `dojang verify` for a bank or office, plain `dojang key | issue | present` for scripting and
//! interop, and `dojang demo` for the whole story. Exit status: 0 success (verified), 1 refused
//! (rejected), 2 usage or I/O error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod cpu;
mod error;
mod logging;
mod malloc;
mod qr;
mod time;

use commands::{demo, issue, issuer, key, present, verify, wallet};
use error::CliError;

/// Dojang: Korean civil-registry certificates as verifiable credentials (SD-JWT VC), issued by
/// agencies, held in citizens' wallets, shown selectively and verified offline.
#[derive(Debug, Parser)]
#[command(name = "dojang", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ed25519 key files (JWK) and their DIDs.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Sign an SD-JWT VC from a claims file (every claim selectively disclosable).
    Issue(issue::IssueArgs),
    /// Present chosen claims of a credential to a verifier, with a key-binding JWT.
    Present(present::PresentArgs),
    /// Verify a presentation offline; prints one JSON object; exit 0 verified, 1 rejected.
    Verify(verify::VerifyArgs),
    /// An issuing agency: its register, key and issuance records.
    Issuer(issuer::IssuerArgs),
    /// A citizen's encrypted wallet.
    Wallet(wallet::WalletArgs),
    /// The auditor's tools: log consistency, reconciliation of records and log, tracing one
    /// credential. Exit 0 when the check holds, 1 when it does not.
    Audit(commands::audit::AuditArgs),
    /// The whole story in one process, step by step: issue, hold, disclose, verify, reject.
    Demo(demo::DemoArgs),
    /// The root authority: accredits issuers and relying parties, publishes the trust list.
    Trust(commands::trust::TrustArgs),
    /// A relying party's OpenID4VP verifier service, and its back end's calls to it.
    Verifier(commands::verifier_serve::VerifierArgs),
    /// Set up a sandbox to try the services: a ministry with a trust list, an agency with a
    /// synthetic register, a bank registered as relying party, a wallet; prints what to run next.
    Sandbox(commands::sandbox::SandboxArgs),
    /// Measure this machine: verification against the two-signature floor, batch verification,
    /// durable issuance; a table, or JSON with `--json`.
    Bench(commands::bench::BenchArgs),
    /// Load a service on this machine at fixed concurrency for a bounded time: throughput,
    /// latency percentiles, errors, sampled answers checked in full, and the service's memory.
    Load(commands::load::LoadArgs),
}

fn main() -> ExitCode {
    malloc::two_arenas_per_core();
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one command line given as words (the program name first), as the binary would.
pub(crate) fn run_words(words: &[&str]) -> Result<u8, CliError> {
    let cli = Cli::try_parse_from(words).map_err(|e| CliError::Usage(e.to_string()))?;
    dispatch(cli.command)
}

fn dispatch(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Key(c) => key::run(c).map(|()| 0),
        Command::Issue(a) => issue::run(a).map(|()| 0),
        Command::Present(a) => present::run(a).map(|()| 0),
        Command::Verify(a) => verify::run(a),
        Command::Issuer(a) => issuer::run(a).map(|()| 0),
        Command::Wallet(a) => wallet::run(a).map(|()| 0),
        Command::Demo(a) => demo::run(a).map(|()| 0),
        Command::Audit(a) => commands::audit::run(a),
        Command::Trust(a) => commands::trust::run(a).map(|()| 0),
        Command::Verifier(a) => commands::verifier_serve::run(a),
        Command::Sandbox(a) => commands::sandbox::run(&a).map(|()| 0),
        Command::Bench(a) => commands::bench::run(a).map(|()| 0),
        Command::Load(a) => commands::load::run(a),
    }
}
