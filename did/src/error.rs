//! The one error type of this crate.

/// Why a DID, DID URL or key could not be used.
///
/// Each variant has a stable snake_case [`DidError::code`] for CLI and HTTP output.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DidError {
    /// The string is not a syntactically valid DID.
    #[error("not a valid DID: {reason}")]
    InvalidDid {
        /// What was wrong.
        reason: &'static str,
    },
    /// The string is not a syntactically valid DID URL.
    #[error("not a valid DID URL: {reason}")]
    InvalidDidUrl {
        /// What was wrong.
        reason: &'static str,
    },
    /// The DID method is known but this implementation cannot resolve it offline.
    #[error("DID method `{method}` is not supported")]
    UnsupportedMethod {
        /// The method name.
        method: String,
    },
    /// The encoded public key bytes are malformed (bad multibase, base64url, JSON).
    #[error("invalid public key: {reason}")]
    InvalidPublicKey {
        /// What was wrong.
        reason: &'static str,
    },
    /// The key has the wrong length for its type.
    #[error("invalid public key length: expected {expected} bytes, got {actual}")]
    InvalidPublicKeyLength {
        /// Required length.
        expected: usize,
        /// Length found.
        actual: usize,
    },
    /// The key is of a type this implementation does not support (only Ed25519 signs here).
    #[error("unsupported public key type: {key_type}")]
    UnsupportedPublicKeyType {
        /// The multicodec or JWK type that was found.
        key_type: String,
    },
    /// A JWK that must be public carries private members such as `d`.
    #[error("a public JWK must not contain the private member `{member}`")]
    PrivateMemberInPublicJwk {
        /// The offending member.
        member: String,
    },
    /// A private JWK lacks its private part or its public part does not match it.
    #[error("invalid private key: {reason}")]
    InvalidPrivateKey {
        /// What was wrong.
        reason: &'static str,
    },
    /// The resolver has no document for this DID (did:web not pinned, for example).
    #[error("DID `{did}` is not known to this resolver")]
    NotFound {
        /// The DID asked for.
        did: String,
    },
    /// The DID document has no verification method with this id.
    #[error("no verification method `{id}` in the DID document")]
    VerificationMethodNotFound {
        /// The DID URL asked for.
        id: String,
    },
    /// The verification method exists but may not sign assertions: it is not listed in
    /// `assertionMethod`, or its JWK says `"use": "enc"`.
    #[error("verification method `{id}` is not an assertion method")]
    NotAnAssertionKey {
        /// The DID URL of the verification method (or the DID when no fragment was given).
        id: String,
    },
    /// No fragment was given and the document has more than one assertion method to choose from.
    #[error(
        "DID `{did}` has {count} assertion methods; the DID URL must name one with a fragment"
    )]
    AmbiguousVerificationMethod {
        /// The DID whose document was asked.
        did: String,
        /// How many assertion methods it lists.
        count: usize,
    },
    /// A DID document is not well formed (missing `id`, duplicate or foreign verification method
    /// ids, dangling references, …).
    #[error("invalid DID document: {reason}")]
    InvalidDocument {
        /// What was wrong.
        reason: &'static str,
    },
    /// An input exceeds one of this crate's named budgets.
    #[error("{what} is too large: {actual} exceeds the limit of {limit}")]
    TooLarge {
        /// Which input (`DID`, `DID URL`, `verification methods`).
        what: &'static str,
        /// The budget.
        limit: usize,
        /// The size found.
        actual: usize,
    },
}

impl DidError {
    /// A stable machine-readable code (snake_case), listed in `specs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            DidError::InvalidDid { .. } => "invalid_did",
            DidError::InvalidDidUrl { .. } => "invalid_did_url",
            DidError::UnsupportedMethod { .. } => "unsupported_did_method",
            DidError::InvalidPublicKey { .. } => "invalid_public_key",
            DidError::InvalidPublicKeyLength { .. } => "invalid_public_key_length",
            DidError::UnsupportedPublicKeyType { .. } => "unsupported_public_key_type",
            DidError::PrivateMemberInPublicJwk { .. } => "private_member_in_public_jwk",
            DidError::InvalidPrivateKey { .. } => "invalid_private_key",
            DidError::NotFound { .. } => "did_not_found",
            DidError::VerificationMethodNotFound { .. } => "verification_method_not_found",
            DidError::NotAnAssertionKey { .. } => "not_an_assertion_key",
            DidError::AmbiguousVerificationMethod { .. } => "ambiguous_verification_method",
            DidError::InvalidDocument { .. } => "invalid_did_document",
            DidError::TooLarge { .. } => "input_too_large",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let errors = [
            DidError::InvalidDid { reason: "" },
            DidError::InvalidDidUrl { reason: "" },
            DidError::UnsupportedMethod {
                method: String::new(),
            },
            DidError::InvalidPublicKey { reason: "" },
            DidError::InvalidPublicKeyLength {
                expected: 0,
                actual: 0,
            },
            DidError::UnsupportedPublicKeyType {
                key_type: String::new(),
            },
            DidError::PrivateMemberInPublicJwk {
                member: String::new(),
            },
            DidError::InvalidPrivateKey { reason: "" },
            DidError::NotFound { did: String::new() },
            DidError::VerificationMethodNotFound { id: String::new() },
            DidError::NotAnAssertionKey { id: String::new() },
            DidError::AmbiguousVerificationMethod {
                did: String::new(),
                count: 0,
            },
            DidError::InvalidDocument { reason: "" },
            DidError::TooLarge {
                what: "",
                limit: 0,
                actual: 0,
            },
        ];
        let mut codes: Vec<&str> = errors.iter().map(DidError::code).collect();
        assert!(codes
            .iter()
            .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
    }
}
