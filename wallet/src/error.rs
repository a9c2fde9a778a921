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

    /// The wallet's trust configuration is half there: the pinned root key without the trust
    /// list, or the other way round.
    #[error(
        "the wallet's trust configuration is incomplete: {} is missing (run `dojang wallet trust` again)",
        missing.display()
    )]
    TrustIncomplete {
        /// The file that is missing.
        missing: PathBuf,
    },

    /// Answering a presentation request needs the trust list (to know who is asking and what it
    /// may ask for), and the wallet has none.
    #[error(
        "this wallet has no trust list, so it cannot tell who is asking: install one with `dojang wallet trust`"
    )]
    TrustNotConfigured,

    /// A service (an issuer, a verifier) could not be reached, or the exchange broke off.
    #[error("could not reach {url}: {reason}")]
    ServiceUnreachable {
        /// The address called.
        url: String,
        /// What went wrong (connection refused, timeout …).
        reason: String,
    },

    /// A service answered something this wallet cannot use (not the JSON the protocol expects, an
    /// unexpected HTTP status, too large).
    #[error("{url} answered something unusable: {reason}")]
    ServiceResponseInvalid {
        /// The address called.
        url: String,
        /// What is wrong with the answer.
        reason: String,
    },

    /// A credential offer or presentation request link could not be read.
    #[error("this is not a link the wallet can use: {reason}")]
    LinkInvalid {
        /// What is wrong with it.
        reason: String,
    },

    /// The credential offer asks for a transaction code (a PIN sent separately) and none was
    /// given.
    #[error("the issuer asks for a transaction code{}: give it with --tx-code", describe_tx_code(.description.as_deref(), .length.as_ref().copied()))]
    TxCodeRequired {
        /// The issuer's description of where to find the code, if any.
        description: Option<String>,
        /// The number of characters, if the issuer says.
        length: Option<u32>,
    },

    /// The issuer refused a step of the issuance with an OAuth / OpenID4VCI error
    /// (`{"error", "error_description"}`).
    #[error(
        "the issuer refused {what} ({error}){}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    IssuerRefused {
        /// What was refused, in words ("the transaction code", "the credential request" …).
        what: &'static str,
        /// The OAuth error code (`invalid_grant`, `invalid_proof` …).
        error: String,
        /// The issuer's explanation, if it gave one.
        description: Option<String>,
    },

    /// The issuer's metadata does not offer what the credential offer names.
    #[error("the issuer's metadata does not fit its offer: {reason}")]
    OfferUnsupported {
        /// What does not fit.
        reason: String,
    },

    /// The party asking for a presentation is not a relying party on the trust list.
    #[error(
        "refused: `{client_id}` is not a registered relying party on the trust list, so the wallet will not show it anything"
    )]
    RelyingPartyUnknown {
        /// Who the request says it comes from.
        client_id: String,
    },

    /// The presentation request is not signed by a key the trust list gives the relying party.
    #[error(
        "refused: the request does not carry a valid signature of {client_id} (it may not come from them): {reason}"
    )]
    RequestNotVerified {
        /// The relying party it claims to come from.
        client_id: String,
        /// Why the signature or request was refused.
        reason: String,
    },

    /// The relying party asks for claims that the trust list does not entitle it to.
    #[error(
        "refused: {rp_id} asks for more than it is allowed to see ({}); nothing was sent",
        .claims.join(", ")
    )]
    RequestBeyondEntitlement {
        /// The relying party.
        rp_id: String,
        /// The credential type asked for.
        vct: String,
        /// The claim paths beyond its entitlement.
        claims: Vec<String>,
    },

    /// The request asks for something this wallet does not support (several credentials at once,
    /// another credential format, another response mode).
    #[error("the wallet cannot answer this request: {reason}")]
    RequestUnsupported {
        /// What is not supported.
        reason: String,
    },

    /// No stored credential of an asked type has every asked claim.
    #[error("{}", no_matching_message(.vcts, .missing))]
    NoMatchingCredential {
        /// The credential types asked for.
        vcts: Vec<String>,
        /// The asked claims missing from the closest stored credential (empty: the wallet holds
        /// no valid credential of these types at all).
        missing: Vec<String>,
    },

    /// The holder declined to disclose: nothing was sent, nothing recorded.
    #[error("you declined: nothing was sent")]
    ConsentDeclined,

    /// The relying party refused the exchange (fetching its request, or the presentation sent)
    /// with an OAuth error, or an HTTP error status.
    #[error(
        "the relying party refused {what} ({error}){}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    VerifierRefused {
        /// What was refused ("the presentation", "to hand out its request").
        what: &'static str,
        /// The OAuth error code, or `http_<status>` when the answer carried none.
        error: String,
        /// The verifier's explanation, if it gave one.
        description: Option<String>,
    },
}

fn describe_tx_code(description: Option<&str>, length: Option<u32>) -> String {
    match (description, length) {
        (Some(d), Some(n)) => format!(" ({d}; {n} characters)"),
        (Some(d), None) => format!(" ({d})"),
        (None, Some(n)) => format!(" ({n} characters)"),
        (None, None) => String::new(),
    }
}

fn no_matching_message(vcts: &[String], missing: &[String]) -> String {
    if missing.is_empty() {
        format!(
            "you hold no valid credential of the type asked for ({})",
            vcts.join(", ")
        )
    } else {
        format!(
            "none of your credentials of the type asked for ({}) has every claim asked; missing: {}",
            vcts.join(", "),
            missing.join(", ")
        )
    }
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
            Self::TrustIncomplete { .. } => "wallet_trust_incomplete",
            Self::TrustNotConfigured => "wallet_trust_not_configured",
            Self::ServiceUnreachable { .. } => "service_unreachable",
            Self::ServiceResponseInvalid { .. } => "service_response_invalid",
            Self::LinkInvalid { .. } => "link_invalid",
            Self::TxCodeRequired { .. } => "tx_code_required",
            Self::IssuerRefused { .. } => "issuer_refused",
            Self::OfferUnsupported { .. } => "offer_unsupported",
            Self::RelyingPartyUnknown { .. } => "relying_party_unknown",
            Self::RequestNotVerified { .. } => "request_not_verified",
            Self::RequestBeyondEntitlement { .. } => "request_beyond_entitlement",
            Self::RequestUnsupported { .. } => "request_unsupported",
            Self::NoMatchingCredential { .. } => "no_matching_credential",
            Self::ConsentDeclined => "consent_declined",
            Self::VerifierRefused { .. } => "verifier_refused",
        }
    }
}
