//! `dojang issue`: sign an SD-JWT VC from a claims file, every claim selectively disclosable.

use std::path::PathBuf;

use clap::Args;
use dojang_did::did_for_key;
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::IssueOptions;

use super::key::{load_private, load_public, Method};
use crate::error::{read_json, CliError};
use crate::time::now;

#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// The issuer's private JWK file.
    #[arg(long)]
    key: PathBuf,
    /// The holder's JWK file (private or public; only the public part is used), for cnf.jwk.
    #[arg(long)]
    holder_key: PathBuf,
    /// The credential type (vct).
    #[arg(long)]
    vct: String,
    /// A JSON object of claims. Registered JWT/VC claims stay plain; every other claim is made
    /// selectively disclosable, recursively, array elements one by one.
    #[arg(long)]
    claims: PathBuf,
    /// The issuer's DID method.
    #[arg(long, value_enum, default_value_t = Method::Key)]
    did_method: Method,
    /// Validity in days from now.
    #[arg(long, default_value_t = 365)]
    valid_days: i64,
    /// Decoy digests per object and array, hiding how many claims there are.
    #[arg(long, default_value_t = 0)]
    decoys: usize,
}

pub(crate) fn run(args: IssueArgs) -> Result<(), CliError> {
    let key = load_private(&args.key)?;
    let holder = load_public(&args.holder_key)?;
    let claims = read_json(&args.claims)?;
    let claims = claims.as_object().ok_or_else(|| {
        CliError::Usage(format!(
            "{}: claims must be a JSON object",
            args.claims.display()
        ))
    })?;
    if args.valid_days <= 0 {
        return Err(CliError::Usage("--valid-days must be positive".into()));
    }
    let (did, kid) = did_for_key(&key.public(), args.did_method.into());
    let iat = now();
    let issued = issue_vc(
        &VcIssuance {
            issuer: &did,
            kid: &kid,
            vct: &args.vct,
            holder: Some(&holder),
            iat,
            exp: Some(iat + args.valid_days * 86_400),
            status: None,
            claims,
            always_visible: &[],
            options: IssueOptions {
                decoys: args.decoys,
            },
        },
        key.signing_key(),
    )?;
    println!("{}", issued.to_compact());
    Ok(())
}
