//! The wallet's one error type.
//!
//! Errors carry context (the wallet directory, the tree and id of a record) but never key material,
//! passphrases or decrypted plaintext: they end up in logs and on terminals.

use std::io;
use std::path::PathBuf;

use crate::CredentialId;

/// Everything that can go wrong in the wallet's store. Match on [`WalletError::code`] for a stable
/// machine-readable code (CLI and HTTP output).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The passphrase does not unwrap the wallet's data key (detected by AEAD failure). Nothing on
    /// disk was changed.
    #[error("wrong passphrase for this wallet")]
    WrongPassphrase,

    /// There is no wallet in this directory (no metadata file).
    #[error("no wallet in {}: run init first", dir.display())]
    NotInitialized {
        /// The wallet directory.
        dir: PathBuf,
    },

    /// `init` found a wallet (or the remains of an interrupted `init`) in this directory.
    #[error("a wallet already exists in {}", dir.display())]
    WalletExists {
        /// The wallet directory.
        dir: PathBuf,
    },

    /// The wallet's metadata file exists but its encrypted store does not.
    #[error("the wallet in {} has metadata but no store: it is incomplete or damaged", dir.display())]
    StoreMissing {
        /// The wallet directory.
        dir: PathBuf,
    },

    /// The plaintext metadata file could not be parsed or holds values outside their budgets.
    #[error("invalid wallet metadata in {}: {reason}", path.display())]
    CorruptMeta {
        /// The metadata file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The metadata file declares a format version this build cannot read.
    #[error("unsupported wallet format version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version found on disk.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },

    /// A stored record failed to decrypt (tampered with, moved to another record, or from
    /// another wallet) or decrypted to something that does not decode.
    #[error("record {id} in `{tree}` is corrupt or was tampered with")]
    CorruptRecord {
        /// The store's tree (`credentials`, `history`, `keys`).
        tree: &'static str,
        /// The record's id within the tree.
        id: String,
    },

    /// No credential with this id.
    #[error("no credential with id {id}")]
    CredentialNotFound {
        /// The id asked for.
        id: CredentialId,
    },

    /// A credential id is not 32 hexadecimal digits.
    #[error("invalid credential id {input:?}: expected 32 hexadecimal digits")]
    InvalidCredentialId {
        /// The text given.
        input: String,
    },

    /// The Argon2id parameters are invalid or outside the wallet's budgets.
    #[error("invalid key-derivation parameters: {reason}")]
    InvalidKdfParams {
        /// What is wrong with them.
        reason: &'static str,
    },

    /// An empty passphrase was given.
    #[error("the wallet passphrase must not be empty")]
    EmptyPassphrase,

    /// The passphrase in the environment is not valid UTF-8.
    #[error("the passphrase in the environment is not valid UTF-8")]
    PassphraseNotUtf8,

    /// The passphrase prompt failed (no terminal, I/O error).
    #[error("could not read the wallet passphrase: {source}")]
    PassphraseUnavailable {
        /// The prompt's error.
        source: io::Error,
    },

    /// A record could not be serialised before encryption.
    #[error("could not encode a record for `{tree}`: {source}")]
    Encode {
        /// The tree it was meant for.
        tree: &'static str,
        /// The serialiser's error.
        source: serde_json::Error,
    },

    /// Encryption failed (only possible for a record too large for the AEAD).
    #[error("could not encrypt a record for `{tree}`")]
    Encrypt {
        /// The tree it was meant for.
        tree: &'static str,
    },

    /// The embedded database (sled) failed, or is locked by another process.
    #[error("wallet storage error in {}: {source}", dir.display())]
    Storage {
        /// The wallet directory.
        dir: PathBuf,
        /// sled's error.
        source: sled::Error,
    },

    /// A file-system operation on the wallet directory failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A credential offered for import failed a check (its code is the format's own).
    #[error(transparent)]
    Credential(#[from] dojang_vc::VcError),
    /// The issuer's key could not be resolved offline from its DID.
    #[error("no key for issuer `{iss}`: {reason}")]
    IssuerKeyUnknown {
        /// The issuer.
        iss: String,
        /// Why.
        reason: String,
    },
    /// The credential is bound (`cnf.jwk`) to another holder's key.
    #[error("the credential is bound to another holder key, not this wallet's")]
    NotBoundToThisWallet,
}

impl WalletError {
    /// A stable, snake_case machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongPassphrase => "wrong_passphrase",
            Self::NotInitialized { .. } => "wallet_not_initialized",
            Self::WalletExists { .. } => "wallet_exists",
            Self::StoreMissing { .. } => "wallet_store_missing",
            Self::CorruptMeta { .. } => "corrupt_meta",
            Self::UnsupportedVersion { .. } => "unsupported_wallet_version",
            Self::CorruptRecord { .. } => "corrupt_record",
            Self::CredentialNotFound { .. } => "credential_not_found",
            Self::InvalidCredentialId { .. } => "invalid_credential_id",
            Self::InvalidKdfParams { .. } => "invalid_kdf_params",
            Self::EmptyPassphrase => "empty_passphrase",
            Self::PassphraseNotUtf8 => "passphrase_not_utf8",
            Self::PassphraseUnavailable { .. } => "passphrase_unavailable",
            Self::Encode { .. } => "encode",
            Self::Encrypt { .. } => "encrypt",
            Self::Storage { .. } => "storage",
            Self::Io { .. } => "io",
            Self::Credential(e) => e.code(),
            Self::IssuerKeyUnknown { .. } => "issuer_key_unknown",
            Self::NotBoundToThisWallet => "not_bound_to_this_wallet",
        }
    }
}
