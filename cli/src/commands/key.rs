//! `dojang key generate | did`: Ed25519 keys as JWK files, and their DIDs.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use dojang_did::{did_for_key, DidMethod, PrivateJwk, PublicJwk};

use crate::error::{read_json, CliError};

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Write a new private Ed25519 JWK (kty, crv, x, d) to a file readable by its owner only.
    Generate {
        /// The file to create (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the DID of a key file (private or public JWK).
    Did {
        /// The JWK file.
        file: PathBuf,
        /// The DID method.
        #[arg(long, value_enum, default_value_t = Method::Key)]
        method: Method,
    },
}

/// A DID method for keys held offline.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Method {
    /// did:key (multibase base58btc of the multicodec key).
    Key,
    /// did:jwk (base64url of the public JWK).
    Jwk,
}

impl From<Method> for DidMethod {
    fn from(m: Method) -> Self {
        match m {
            Method::Key => DidMethod::Key,
            Method::Jwk => DidMethod::Jwk,
        }
    }
}

pub(crate) fn run(cmd: KeyCommand) -> Result<(), CliError> {
    match cmd {
        KeyCommand::Generate { out } => {
            let key = PrivateJwk::generate();
            dojang_issuer::write_private_jwk(&out, &key)?;
            let (did, _) = did_for_key(&key.public(), DidMethod::Key);
            eprintln!("wrote {} (mode 0600); its did:key is {did}", out.display());
            Ok(())
        }
        KeyCommand::Did { file, method } => {
            let key = load_public(&file)?;
            println!("{}", did_for_key(&key, method.into()).0);
            Ok(())
        }
    }
}

/// The public key of a private or public JWK file.
pub(crate) fn load_public(path: &Path) -> Result<PublicJwk, CliError> {
    Ok(PublicJwk::from_json_public_part(&read_json(path)?)?)
}

/// The private key of a JWK file.
pub(crate) fn load_private(path: &Path) -> Result<PrivateJwk, CliError> {
    Ok(PrivateJwk::from_json(&read_json(path)?)?)
}
