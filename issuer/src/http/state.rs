//! What every request shares: the issuer, the service's configuration and its single-use stores.

use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::store::VciStore;
use crate::{GroupCommitter, Issuer, IssuerError, IssuerSigner};

/// The service's clock: seconds since the epoch. Tests move it; production reads the system time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

/// How the service runs.
#[derive(Clone)]
pub struct ServiceConfig {
    /// The service's base URL as wallets reach it (`https://jongno.example`,
    /// `http://127.0.0.1:8081`): the credential issuer identifier, the `aud` of key proofs, and
    /// the prefix of every endpoint URL in the metadata. No trailing slash.
    pub public_url: String,
    /// Bearer tokens accepted on `/admin/…`. Empty: every admin request is refused (403).
    pub admin_tokens: Vec<String>,
    /// Seconds a verifier may cache a status list (`ttl` of the token).
    pub status_ttl: i64,
    /// Seconds a status list token stays valid (`exp - iat`).
    pub status_valid_for: i64,
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("public_url", &self.public_url)
            .field("admin_tokens", &self.admin_tokens.len())
            .field("status_ttl", &self.status_ttl)
            .field("status_valid_for", &self.status_valid_for)
            .finish()
    }
}

impl ServiceConfig {
    /// Defaults for `public_url`: no admin token, status lists cached 5 minutes and valid a day.
    ///
    /// Five minutes bounds how long a revocation stays unseen by a verifier that follows `ttl`;
    /// a day of validity lets verifiers ride out an outage of the agency.
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            admin_tokens: Vec::new(),
            status_ttl: 300,
            status_valid_for: 86_400,
        }
    }
}

/// A refused service configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `public_url` is not an absolute http(s) URL without query or fragment.
    #[error("public URL must be an absolute http(s) URL without query or fragment")]
    PublicUrl,
    /// An admin token shorter than 16 characters (too easy to guess).
    #[error("admin tokens must be at least 16 characters long")]
    WeakAdminToken,
    /// Opening the service's trees failed.
    #[error("{0}")]
    Issuer(#[from] IssuerError),
    /// The issuance thread (the group committer) could not be started.
    #[error("cannot start the issuance thread: {0}")]
    CommitterThread(#[source] std::io::Error),
}

/// The state every handler gets, behind an `Arc`.
pub struct AppState<S: IssuerSigner> {
    pub(crate) issuer: Arc<Issuer<S>>,
    pub(crate) public_url: String,
    /// SHA-256 of each admin token: compared in constant time, with equal lengths.
    admin_token_hashes: Vec<[u8; 32]>,
    pub(crate) status_ttl: i64,
    pub(crate) status_valid_for: i64,
    pub(crate) vci: VciStore,
    /// Concurrent credential requests share its batches: one transaction and one flush each.
    pub(crate) committer: GroupCommitter,
    clock: Clock,
}

impl<S: IssuerSigner + 'static> AppState<S> {
    /// The state for `issuer` served as `config` describes, on the system clock. Starts the
    /// credential endpoint's group committer (a thread, ended when the state is dropped).
    pub fn new(issuer: Issuer<S>, config: ServiceConfig) -> Result<Self, ConfigError> {
        let url = config.public_url.trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or(ConfigError::PublicUrl)?;
        if rest.is_empty() || rest.contains(['?', '#', ' ']) {
            return Err(ConfigError::PublicUrl);
        }
        if config.admin_tokens.iter().any(|t| t.len() < 16) {
            return Err(ConfigError::WeakAdminToken);
        }
        let vci = VciStore::open(issuer.db())?;
        let issuer = Arc::new(issuer);
        let committer =
            GroupCommitter::start(Arc::clone(&issuer), GroupCommitter::DEFAULT_MAX_BATCH)
                .map_err(ConfigError::CommitterThread)?;
        Ok(Self {
            issuer,
            public_url: url.to_owned(),
            admin_token_hashes: config
                .admin_tokens
                .iter()
                .map(|t| Sha256::digest(t.as_bytes()).into())
                .collect(),
            status_ttl: config.status_ttl,
            status_valid_for: config.status_valid_for,
            vci,
            committer,
            clock: system_clock(),
        })
    }
}

impl<S: IssuerSigner> AppState<S> {
    /// The same state on another clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The issuer.
    pub fn issuer(&self) -> &Issuer<S> {
        &self.issuer
    }

    /// The group committer of the credential endpoint (its statistics show how requests were
    /// batched).
    pub fn committer(&self) -> &GroupCommitter {
        &self.committer
    }

    /// The credential issuer identifier (the public URL).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Now, by the service's clock.
    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    /// `{public_url}{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Whether `token` is one of the admin tokens. Every configured token is compared, each in
    /// constant time over SHA-256 digests (equal lengths, so the length leaks nothing either).
    pub(crate) fn admin_token_ok(&self, token: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.admin_token_hashes
            .iter()
            .fold(subtle::Choice::from(0), |ok, h| ok | h.ct_eq(&given))
            .into()
    }
}
