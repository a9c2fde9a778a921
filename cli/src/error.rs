//! The CLI's error: a stable code, a message, and the exit status it maps to.

use std::path::PathBuf;

/// Why a command failed. Exit status 2 for usage and I/O errors, 1 for everything refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON: {reason}")]
    Json { path: PathBuf, reason: String },
    #[error(transparent)]
    Vc(#[from] dojang_vc::VcError),
    #[error(transparent)]
    Did(#[from] dojang_did::DidError),
    #[error(transparent)]
    Issuer(#[from] dojang_issuer::IssuerError),
    #[error(transparent)]
    Wallet(#[from] dojang_wallet::WalletError),
    #[error(transparent)]
    Verify(#[from] dojang_verifier::VerifyError),
    #[error("{dir} already holds a root authority")]
    AuthorityExists { dir: PathBuf },
    #[error("{dir} holds no root authority (run `dojang trust --dir DIR init` first)")]
    AuthorityNotInitialized { dir: PathBuf },
    #[error("issuer `{did}` is not on the registry")]
    IssuerNotListed { did: String },
    #[error("issuer `{did}` is already on the registry")]
    IssuerAlreadyListed { did: String },
    #[error("this key is already listed for issuer `{did}`")]
    KeyAlreadyListed { did: String },
    #[error("relying party `{id}` is already on the registry")]
    RelyingPartyAlreadyListed { id: String },
    #[error("{what}: {reason}")]
    ServiceCall { what: String, reason: String },
}

impl CliError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            CliError::Usage(_) => "usage",
            CliError::Io { .. } => "io",
            CliError::Json { .. } => "malformed_json",
            CliError::Vc(e) => e.code(),
            CliError::Did(e) => e.code(),
            CliError::Issuer(e) => e.code(),
            CliError::Wallet(e) => e.code(),
            CliError::Verify(e) => e.code(),
            CliError::AuthorityExists { .. } => "authority_exists",
            CliError::AuthorityNotInitialized { .. } => "authority_not_initialized",
            CliError::IssuerNotListed { .. } => "issuer_not_listed",
            CliError::IssuerAlreadyListed { .. } => "issuer_already_listed",
            CliError::KeyAlreadyListed { .. } => "key_already_listed",
            CliError::RelyingPartyAlreadyListed { .. } => "relying_party_already_listed",
            CliError::ServiceCall { .. } => "service_call_failed",
        }
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::Io { .. }
            | CliError::Json { .. }
            | CliError::ServiceCall { .. } => 2,
            _ => 1,
        }
    }
}

pub(crate) fn read_file(path: &std::path::Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn read_json(path: &std::path::Path) -> Result<serde_json::Value, CliError> {
    let text = read_file(path)?;
    serde_json::from_str(&text).map_err(|e| CliError::Json {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Reads a JSON file into `T`, naming the file in the error.
pub(crate) fn read_json_as<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<T, CliError> {
    serde_json::from_value(read_json(path)?).map_err(|e| CliError::Json {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|source| CliError::Io {
        path: path.to_owned(),
        source,
    })
}
