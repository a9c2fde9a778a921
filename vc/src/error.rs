//! The one error type of this crate: every way an SD-JWT (VC) can be refused.

/// Why an SD-JWT, SD-JWT VC or KB-JWT was refused, or could not be built.
///
/// Each variant has a stable snake_case [`VcError::code`] listed in `specs/errors.md`; the CLI and
/// HTTP services print that code, so renaming one is a breaking change.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum VcError {
    /// The input breaks a resource budget (see [`crate::Budget`]).
    #[error("limit exceeded: {limit} is {actual}, the budget allows {max}")]
    LimitExceeded {
        /// Which budget.
        limit: &'static str,
        /// The budget.
        max: usize,
        /// What the input needed (or at least this much).
        actual: usize,
    },
    /// The SD-JWT is not `<JWT>~<Disclosure>~…~[<KB-JWT>]`.
    #[error("malformed SD-JWT: {reason}")]
    MalformedSdJwt {
        /// What was wrong.
        reason: &'static str,
    },
    /// A JWT is not three base64url segments of a JSON header, a JSON payload and a signature.
    #[error("malformed JWT ({part}): {reason}")]
    MalformedJwt {
        /// `issuer-signed JWT` or `KB-JWT`.
        part: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A JSON text is invalid, or is not the object or array required there.
    #[error("malformed JSON in {part}: {reason}")]
    MalformedJson {
        /// Where the JSON was.
        part: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A JSON object repeats a member name (serde_json would silently keep the last one).
    #[error("duplicate JSON key `{key}` in {part}")]
    DuplicateJsonKey {
        /// Where the JSON was.
        part: &'static str,
        /// The repeated member name.
        key: String,
    },
    /// The JOSE header names an algorithm outside the policy's allow-list, or `none`.
    #[error("algorithm `{alg}` is not allowed here")]
    AlgNotAllowed {
        /// The `alg` the header claimed.
        alg: String,
    },
    /// The header's algorithm does not match the key the verifier chose for this issuer.
    #[error("header alg `{alg}` does not match the {key_alg} key trusted for this signer")]
    AlgKeyMismatch {
        /// The header's `alg`.
        alg: String,
        /// The trusted key's algorithm.
        key_alg: &'static str,
    },
    /// The JOSE header carries a member that would let the token choose its own key.
    #[error("header member `{member}` is not accepted: keys come from the trust configuration")]
    ForbiddenHeader {
        /// The member (`jwk`, `x5c`, `jku`, `x5u`, `crit`).
        member: &'static str,
    },
    /// The issuer's signature does not verify.
    #[error("the issuer signature is invalid")]
    SignatureInvalid,
    /// The `typ` header is not the one this token type requires.
    #[error("typ must be {expected}, found {found:?}")]
    TypInvalid {
        /// What was required.
        expected: &'static str,
        /// What the header said (absent: `None`).
        found: Option<String>,
    },
    /// The header `kid` names a DID other than the `iss` DID.
    #[error("kid `{kid}` does not belong to issuer `{iss}`")]
    KidMismatch {
        /// The header's kid.
        kid: String,
        /// The payload's iss.
        iss: String,
    },
    /// The issuer is not one the caller trusts.
    #[error("issuer `{iss}` is not trusted")]
    UntrustedIssuer {
        /// The payload's iss.
        iss: String,
    },
    /// The issuer's key could not be found from its identifier.
    #[error("no key for issuer `{iss}`: {reason}")]
    IssuerKeyUnknown {
        /// The issuer.
        iss: String,
        /// Why.
        reason: String,
    },
    /// A required claim is missing.
    #[error("required claim `{claim}` is missing")]
    MissingClaim {
        /// The claim name.
        claim: &'static str,
    },
    /// A claim has the wrong type or an invalid value.
    #[error("claim `{claim}` is invalid: {reason}")]
    InvalidClaim {
        /// The claim name.
        claim: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// `exp` is in the past (beyond the leeway).
    #[error("expired at {exp}, now is {now}")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("not valid before {nbf}, now is {now}")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("issued in the future: iat {iat}, now is {now}")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `_sd_alg` names a hash algorithm this implementation does not support.
    #[error("unsupported _sd_alg `{alg}`")]
    SdAlgUnsupported {
        /// The value found.
        alg: String,
    },
    /// `_sd_alg` appears somewhere other than the top level of the payload.
    #[error("_sd_alg is only allowed at the top level of the payload")]
    SdAlgMisplaced,
    /// A Disclosure is not base64url of a JSON array of 2 or 3 elements with a string salt.
    #[error("malformed disclosure: {reason}")]
    DisclosureMalformed {
        /// What was wrong.
        reason: &'static str,
    },
    /// The same Disclosure string was sent twice.
    #[error("a disclosure was sent more than once")]
    DisclosureDuplicate,
    /// A Disclosure's digest is not referenced by the payload or by another disclosure.
    #[error("a disclosure is not referenced by any digest")]
    DisclosureUnreferenced,
    /// A digest appears more than once in the payload and disclosures.
    #[error("a digest appears more than once")]
    DigestDuplicate,
    /// A disclosure tries to set a reserved claim name.
    #[error("a disclosure uses the reserved claim name `{name}`")]
    DisclosureReservedName {
        /// `_sd` or `...`.
        name: String,
    },
    /// A disclosed claim name already exists in the same object.
    #[error("a disclosure collides with the existing claim `{name}`")]
    DisclosureClaimCollision {
        /// The claim name.
        name: String,
    },
    /// An object-property disclosure is referenced from an array, or an array-element disclosure
    /// from an object's `_sd`.
    #[error("a {found}-element disclosure is referenced where a {expected}-element one belongs")]
    DisclosureWrongKind {
        /// Elements needed here.
        expected: usize,
        /// Elements the disclosure has.
        found: usize,
    },
    /// `_sd` is not an array of strings, or `...` is not a lone string member.
    #[error("invalid digest container: {reason}")]
    DigestContainerInvalid {
        /// What was wrong.
        reason: &'static str,
    },
    /// The presentation has no KB-JWT but the policy requires holder binding.
    #[error("a key-binding JWT is required but missing")]
    KbMissing,
    /// The payload has no usable `cnf.jwk` holder key.
    #[error("holder key (cnf.jwk) is missing or invalid: {reason}")]
    CnfInvalid {
        /// What was wrong.
        reason: String,
    },
    /// The KB-JWT signature does not verify against `cnf.jwk`.
    #[error("the key-binding JWT signature is invalid")]
    KbSignatureInvalid,
    /// The KB-JWT `aud` is not the verifier.
    #[error("KB-JWT audience mismatch")]
    KbAudienceMismatch,
    /// The KB-JWT `nonce` is not the one the verifier issued.
    #[error("KB-JWT nonce mismatch")]
    KbNonceMismatch,
    /// The KB-JWT `iat` is outside the acceptable window.
    #[error("KB-JWT iat {iat} is outside the window ({reason}), now is {now}")]
    KbIatInvalid {
        /// The KB-JWT's iat.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// `too old` or `in the future`.
        reason: &'static str,
    },
    /// The KB-JWT `sd_hash` is not the hash of the presented SD-JWT.
    #[error("KB-JWT sd_hash does not match the presentation")]
    KbSdHashMismatch,
    /// A presentation was asked for a claim path that the credential does not have.
    #[error("the credential has no claim at `{path}`")]
    UnknownClaimPath {
        /// The requested path.
        path: String,
    },
    /// Building a token failed (the signer refused).
    #[error("signing failed")]
    SigningFailed,

    // --- Token Status List (IETF draft-ietf-oauth-status-list) ---
    /// A status list token or its `status_list` is malformed (bad `bits`, bad `lst`, not zlib).
    #[error("invalid status list: {reason}")]
    StatusListInvalid {
        /// What was wrong.
        reason: &'static str,
    },
    /// The status list token's signature does not verify with the credential issuer's key.
    #[error("the status list token signature is invalid")]
    StatusListSignatureInvalid,
    /// The status list token's `sub` is not the URI the credential references.
    #[error("status list token is for `{found}`, the credential references `{expected}`")]
    StatusListSubMismatch {
        /// The credential's `status.status_list.uri`.
        expected: String,
        /// The token's `sub`.
        found: String,
    },
    /// The credential's index lies outside the status list.
    #[error("status index {idx} is outside the list of {len} entries")]
    StatusIndexOutOfRange {
        /// The credential's index.
        idx: u64,
        /// Entries in the list.
        len: u64,
    },

    // --- Trust list ---
    /// The trust list is malformed.
    #[error("invalid trust list: {reason}")]
    TrustListInvalid {
        /// What was wrong.
        reason: String,
    },
    /// The trust list is not signed by the pinned root key.
    #[error("the trust list is not signed by the pinned root key")]
    TrustListSignatureInvalid,
    /// The trust list has expired.
    #[error("the trust list expired at {exp}, now is {now}")]
    TrustListExpired {
        /// The list's `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The trust list is older than one the verifier has already seen (rollback).
    #[error("trust list sequence {seq} is older than {seen}, already seen")]
    TrustListRollback {
        /// The list's sequence number.
        seq: u64,
        /// The newest sequence the verifier has seen.
        seen: u64,
    },
    /// The issuer is on the trust list but not accredited for this credential type.
    #[error("issuer `{iss}` is not accredited for `{vct}`")]
    IssuerNotAccredited {
        /// The issuer.
        iss: String,
        /// The credential type.
        vct: String,
    },
    /// The issuer's accreditation is suspended.
    #[error("issuer `{iss}` is suspended on the trust list")]
    IssuerSuspended {
        /// The issuer.
        iss: String,
    },
    /// The signing key was not valid when the credential (or token) was issued.
    #[error("key `{kid}` was not valid at {at}")]
    KeyNotValidAt {
        /// The key id.
        kid: String,
        /// The time it was used (the credential's `iat`).
        at: i64,
    },

    // --- Transparency log (RFC 9162 hashing) ---
    /// An inclusion or consistency proof does not verify.
    #[error("log proof invalid: {reason}")]
    LogProofInvalid {
        /// What failed.
        reason: &'static str,
    },
    /// A checkpoint is malformed or not signed by the issuer's key.
    #[error("checkpoint invalid: {reason}")]
    CheckpointInvalid {
        /// What was wrong.
        reason: &'static str,
    },

    // --- OpenID4VCI ---
    /// A credential offer or offer link is malformed.
    #[error("invalid credential offer: {reason}")]
    OfferInvalid {
        /// What was wrong.
        reason: String,
    },
    /// A key proof (OpenID4VCI proof JWT) does not prove possession of its key for this issuer.
    #[error("invalid key proof: {reason}")]
    ProofInvalid {
        /// What was wrong.
        reason: &'static str,
    },

    // --- OpenID4VP 1.0 (request objects, responses) ---
    /// A request object (RFC 9101, OpenID4VP 1.0 §5) is malformed or breaks a protocol rule.
    #[error("invalid request object: {reason}")]
    RequestObjectInvalid {
        /// What was wrong.
        reason: String,
    },
    /// A request object is not signed by any key the trust list gives for its relying party.
    #[error("the request object is not signed by a key of the relying party")]
    RequestObjectSignatureInvalid,
    /// A request object has expired.
    #[error("the request object expired at {exp}, now is {now}")]
    RequestObjectExpired {
        /// The request's `exp`.
        exp: i64,
        /// The wallet's clock.
        now: i64,
    },
    /// An `openid4vp://` link is malformed.
    #[error("invalid openid4vp request link: {reason}")]
    RequestUriInvalid {
        /// What was wrong.
        reason: String,
    },
    /// An authorization response (form, `vp_token`, JWE header) is malformed.
    #[error("invalid authorization response: {reason}")]
    ResponseInvalid {
        /// What was wrong.
        reason: String,
    },
    /// Encrypting a `direct_post.jwt` response failed (no usable key).
    #[error("response encryption failed: {reason}")]
    ResponseEncryptionFailed {
        /// Why.
        reason: String,
    },
    /// A `direct_post.jwt` response does not decrypt with the relying party's key (another key,
    /// or an altered byte).
    #[error("the encrypted response does not decrypt with this relying party's key")]
    ResponseDecryptionFailed,
}

impl VcError {
    /// A stable machine-readable code (snake_case), listed in `specs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            VcError::LimitExceeded { .. } => "limit_exceeded",
            VcError::MalformedSdJwt { .. } => "malformed_sd_jwt",
            VcError::MalformedJwt { .. } => "malformed_jwt",
            VcError::MalformedJson { .. } => "malformed_json",
            VcError::DuplicateJsonKey { .. } => "duplicate_json_key",
            VcError::AlgNotAllowed { .. } => "alg_not_allowed",
            VcError::AlgKeyMismatch { .. } => "alg_key_mismatch",
            VcError::ForbiddenHeader { .. } => "forbidden_header",
            VcError::SignatureInvalid => "signature_invalid",
            VcError::TypInvalid { .. } => "typ_invalid",
            VcError::KidMismatch { .. } => "kid_mismatch",
            VcError::UntrustedIssuer { .. } => "untrusted_issuer",
            VcError::IssuerKeyUnknown { .. } => "issuer_key_unknown",
            VcError::MissingClaim { .. } => "missing_claim",
            VcError::InvalidClaim { .. } => "invalid_claim",
            VcError::Expired { .. } => "expired",
            VcError::NotYetValid { .. } => "not_yet_valid",
            VcError::IssuedInFuture { .. } => "issued_in_future",
            VcError::SdAlgUnsupported { .. } => "sd_alg_unsupported",
            VcError::SdAlgMisplaced => "sd_alg_misplaced",
            VcError::DisclosureMalformed { .. } => "disclosure_malformed",
            VcError::DisclosureDuplicate => "disclosure_duplicate",
            VcError::DisclosureUnreferenced => "disclosure_unreferenced",
            VcError::DigestDuplicate => "digest_duplicate",
            VcError::DisclosureReservedName { .. } => "disclosure_reserved_name",
            VcError::DisclosureClaimCollision { .. } => "disclosure_claim_collision",
            VcError::DisclosureWrongKind { .. } => "disclosure_wrong_kind",
            VcError::DigestContainerInvalid { .. } => "digest_container_invalid",
            VcError::KbMissing => "kb_missing",
            VcError::CnfInvalid { .. } => "cnf_invalid",
            VcError::KbSignatureInvalid => "kb_signature_invalid",
            VcError::KbAudienceMismatch => "kb_aud_mismatch",
            VcError::KbNonceMismatch => "kb_nonce_mismatch",
            VcError::KbIatInvalid { .. } => "kb_iat_invalid",
            VcError::KbSdHashMismatch => "kb_sd_hash_mismatch",
            VcError::UnknownClaimPath { .. } => "unknown_claim_path",
            VcError::SigningFailed => "signing_failed",
            VcError::StatusListInvalid { .. } => "status_list_invalid",
            VcError::StatusListSignatureInvalid => "status_list_signature_invalid",
            VcError::StatusListSubMismatch { .. } => "status_list_sub_mismatch",
            VcError::StatusIndexOutOfRange { .. } => "status_index_out_of_range",
            VcError::TrustListInvalid { .. } => "trust_list_invalid",
            VcError::TrustListSignatureInvalid => "trust_list_signature_invalid",
            VcError::TrustListExpired { .. } => "trust_list_expired",
            VcError::TrustListRollback { .. } => "trust_list_rollback",
            VcError::IssuerNotAccredited { .. } => "issuer_not_accredited",
            VcError::IssuerSuspended { .. } => "issuer_suspended",
            VcError::KeyNotValidAt { .. } => "key_not_valid_at_iat",
            VcError::LogProofInvalid { .. } => "log_proof_invalid",
            VcError::CheckpointInvalid { .. } => "checkpoint_invalid",
            VcError::RequestObjectInvalid { .. } => "request_object_invalid",
            VcError::RequestObjectSignatureInvalid => "request_object_signature_invalid",
            VcError::RequestObjectExpired { .. } => "request_object_expired",
            VcError::RequestUriInvalid { .. } => "request_uri_invalid",
            VcError::ResponseInvalid { .. } => "response_invalid",
            VcError::ResponseEncryptionFailed { .. } => "response_encryption_failed",
            VcError::ResponseDecryptionFailed => "response_decryption_failed",
            VcError::OfferInvalid { .. } => "credential_offer_invalid",
            VcError::ProofInvalid { .. } => "proof_invalid",
        }
    }
}
