//! `dojang present`: choose which claims of a credential to show, and bind them to a verifier.

use std::path::PathBuf;

use clap::Args;
use dojang_vc::present::present;

use super::key::load_private;
use crate::error::{read_file, CliError};
use crate::time::now;

#[derive(Debug, Args)]
pub(crate) struct PresentArgs {
    /// The holder's private JWK file (the key in the credential's cnf.jwk).
    #[arg(long)]
    holder_key: PathBuf,
    /// Comma-separated claim paths to disclose, such as `name,address.road_address,members.0`.
    /// Disclosing an object or array discloses everything beneath it.
    #[arg(long, value_delimiter = ',')]
    disclose: Vec<String>,
    /// The verifier's identifier (the KB-JWT `aud`).
    #[arg(long)]
    aud: String,
    /// The verifier's nonce.
    #[arg(long, allow_hyphen_values = true)]
    nonce: String,
    /// The issued SD-JWT VC, with all its disclosures.
    credential: PathBuf,
}

pub(crate) fn run(args: PresentArgs) -> Result<(), CliError> {
    let holder = load_private(&args.holder_key)?;
    let text = read_file(&args.credential)?;
    let paths: Vec<String> = args
        .disclose
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    let p = present(
        text.trim(),
        &paths,
        &args.aud,
        &args.nonce,
        now(),
        holder.signing_key(),
    )?;
    println!("{}", p.text);
    Ok(())
}
