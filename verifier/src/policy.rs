//! The verifier's policy: every knob of verification, explicit (CONVENTIONS 2).

use dojang_vc::{Algorithm, Budget};

/// What this verifier accepts. Nothing in a token can change it.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Signature algorithms accepted, for the issuer JWT and the KB-JWT. Default: EdDSA only.
    pub allowed_algorithms: Vec<Algorithm>,
    /// Whether a KB-JWT is required (the default: a credential without holder binding can be
    /// replayed by anyone who saw it).
    pub require_key_binding: bool,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, seconds.
    pub leeway_seconds: i64,
    /// How old a KB-JWT may be, seconds: the holder signs it when it presents.
    pub kb_max_age_seconds: i64,
    /// Freshness: the credential's `iat` must be at most this many days old (a bank may want a
    /// 등본 issued within 90 days). `None`: any age within validity.
    pub max_credential_age_days: Option<i64>,
    /// Credential types accepted. Empty: any.
    pub accepted_vcts: Vec<String>,
    /// How old a status list may be (now − its `iat`), seconds, before the answer is "cannot
    /// decide". Default one day: an issuer publishes more often than that.
    pub status_max_age_seconds: Option<i64>,
    /// Refuse credentials that carry no `status` reference at all (an issuer that cannot
    /// revoke). Off by default so that plain SD-JWT VCs from other issuers still verify.
    pub require_status: bool,
    /// Refuse a credential without a proof that its issuer logged it (`--require-log-inclusion`).
    pub require_log_inclusion: bool,
    /// Resource limits for untrusted input.
    pub budget: Budget,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allowed_algorithms: vec![Algorithm::EdDSA],
            require_key_binding: true,
            leeway_seconds: 60,
            kb_max_age_seconds: 300,
            max_credential_age_days: None,
            accepted_vcts: Vec::new(),
            status_max_age_seconds: Some(86_400),
            require_status: false,
            require_log_inclusion: false,
            budget: Budget::default(),
        }
    }
}
