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
        }
    }
}
