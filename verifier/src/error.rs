//! The one error type of the verifier: why a presentation was rejected.

use dojang_vc::VcError;

/// Why a presentation was rejected. [`VerifyError::code`] gives the stable code that the CLI and
/// services print (`specs/errors.md`).
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The SD-JWT VC itself failed a check of RFC 9901 / SD-JWT VC (the code is the format's).
    #[error(transparent)]
    Credential(#[from] VcError),
    /// The presentation answers a nonce this verifier did not issue.
    #[error("the nonce was not issued by this verifier")]
    NonceUnknown,
    /// The presentation answers a nonce that was already used: a replay.
    #[error("the nonce was already used: this presentation is a replay")]
    NonceReplayed,
    /// The credential is older than the policy accepts (e.g. a bank wants a 등본 of 90 days).
    #[error("issued at {iat}, older than the {max_age_days} days the policy accepts")]
    TooOld {
        /// The credential's `iat`.
        iat: i64,
        /// The policy's freshness limit.
        max_age_days: i64,
    },
    /// The credential type is not one the request asked for.
    #[error("credential type `{vct}` was not requested")]
    UnexpectedVct {
        /// The credential's `vct`.
        vct: String,
    },
    /// Holder binding is required but the caller gave no audience and nonce to check it against.
    #[error("key binding is required: an audience and a nonce must be given")]
    ChallengeMissing,
    /// The issuer revoked the credential (status `invalid`).
    #[error("the credential is revoked (status list {uri}, index {idx})")]
    Revoked {
        /// The status list.
        uri: String,
        /// The index.
        idx: u64,
    },
    /// The issuer suspended the credential.
    #[error("the credential is suspended (status list {uri}, index {idx})")]
    Suspended {
        /// The status list.
        uri: String,
        /// The index.
        idx: u64,
    },
    /// Cannot decide: the status list is missing or older than the policy allows. This is not
    /// "valid" and not "invalid": the verifier must refresh its list and try again.
    #[error("cannot decide the status: {reason}")]
    StatusUnknown {
        /// Why (missing list, stale list, unknown status value).
        reason: String,
    },
    /// The status list the verifier holds for the credential's URI was signed by another issuer
    /// than the credential's: it says nothing about this credential.
    #[error("the status list is issued by `{found}`, the credential by `{expected}`")]
    StatusListWrongIssuer {
        /// The credential's `iss`.
        expected: String,
        /// The status list token's `iss`.
        found: String,
    },
    /// The policy requires a status reference and the credential has none.
    #[error("the credential has no status reference, and the policy requires one")]
    StatusMissing,
    /// The policy requires a log inclusion proof and none was given.
    #[error("a log inclusion proof is required but none was given")]
    LogInclusionMissing,
}

impl VerifyError {
    /// A stable machine-readable code (snake_case), listed in `specs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Credential(e) => e.code(),
            VerifyError::NonceUnknown => "nonce_unknown",
            VerifyError::NonceReplayed => "nonce_replayed",
            VerifyError::TooOld { .. } => "credential_too_old",
            VerifyError::UnexpectedVct { .. } => "unexpected_vct",
            VerifyError::ChallengeMissing => "challenge_missing",
            VerifyError::Revoked { .. } => "revoked",
            VerifyError::Suspended { .. } => "suspended",
            VerifyError::StatusUnknown { .. } => "status_unknown",
            VerifyError::StatusListWrongIssuer { .. } => "status_list_wrong_issuer",
            VerifyError::LogInclusionMissing => "log_inclusion_missing",
            VerifyError::StatusMissing => "status_missing",
        }
    }
}
