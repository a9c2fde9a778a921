//! The service's state, shared by every handler as `Arc<AppState>`: who the relying party is,
//! its keys, what it trusts, the lists it holds and its stores.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use dojang_did::{PrivateJwk, PublicJwk};
use dojang_vc::oid4vp;
use dojang_vc::VcError;
use serde_json::Value;

use super::gather::Gather;
use super::refresh::{CurrentTrust, Schedule};
use super::store::Stores;
use crate::{Policy, StatusListCache, TrustedIssuers};

/// The service's clock, seconds since the epoch. Handlers read time only through it, so tests
/// can move it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp())
}

/// Where the trust list comes from.
#[derive(Debug, Clone)]
pub enum ListLocation {
    /// A file, re-read at each refresh (another process replaces it).
    File(PathBuf),
    /// An `http://` URL, fetched at each refresh.
    Url(String),
}

/// Whom the service trusts to issue credentials.
#[derive(Debug)]
pub enum TrustConfig {
    /// A fixed set of issuer DIDs, accredited for every type (small setups, tests).
    Issuers(TrustedIssuers),
    /// The ministry's trust list, checked against the pinned root key and refreshed in the
    /// background; the relying party's entitlements come from it too.
    TrustList {
        /// The pinned root public key.
        root: PublicJwk,
        /// Where to read the list.
        location: ListLocation,
    },
}

/// Everything the service is configured with.
pub struct ServiceConfig {
    /// The relying party's id on the trust list (`https://bank.example`): the OpenID4VP
    /// `client_id` and the KB-JWT audience.
    pub client_id: String,
    /// The base URL wallets reach the service at (`https://verifier.bank.example`), without a
    /// trailing slash.
    pub public_url: String,
    /// The key that signs request objects (its public JWK is on the trust list).
    pub signing_key: PrivateJwk,
    /// Bearer tokens of the RP API (the bank's back end). At least one, each at least 16 bytes.
    pub rp_tokens: Vec<String>,
    /// The issuers trusted.
    pub trust: TrustConfig,
    /// Status list URLs fetched in the background (`http://`), per their `ttl`.
    pub status_lists: Vec<String>,
    /// Verification defaults; each request sets its `vct` and freshness on top.
    pub policy: Policy,
    /// How long a request may be answered, seconds (default 300: a person scans a QR code and
    /// confirms within minutes; longer widens the window for a stolen request link).
    pub request_ttl_seconds: i64,
    /// How long an answered request and its result are kept after the answer, seconds (default
    /// 600): the relying party reads the result within seconds; the result holds personal data
    /// (names, addresses), kept no longer than that (`http/retention.rs`; its bytes stay in a
    /// results segment on disk, out of reach, up to a minute more: `http/journal.rs`).
    pub result_retention_seconds: i64,
    /// How often the trust list is re-read, and the refresh period of a status list whose token
    /// has no `ttl`, seconds (default 300).
    pub refresh_seconds: i64,
    /// The state directory: the requests and results journals (`requests`, `results`), the
    /// lock that keeps a second service out (`lock`), the response-encryption key, and, where
    /// an earlier version left one, its sled database (`db`).
    pub state_dir: PathBuf,
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .field(
                "rp_tokens",
                &format_args!("[{} hidden]", self.rp_tokens.len()),
            )
            .field("trust", &self.trust)
            .field("status_lists", &self.status_lists)
            .field("state_dir", &self.state_dir)
            .finish_non_exhaustive()
    }
}

impl ServiceConfig {
    /// A configuration with the defaults: default policy, 300 s requests and refresh, results
    /// kept 600 s.
    pub fn new(
        client_id: &str,
        public_url: &str,
        signing_key: PrivateJwk,
        rp_tokens: Vec<String>,
        trust: TrustConfig,
        state_dir: &Path,
    ) -> Self {
        Self {
            client_id: client_id.to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            signing_key,
            rp_tokens,
            trust,
            status_lists: Vec::new(),
            policy: Policy::default(),
            request_ttl_seconds: 300,
            result_retention_seconds: 600,
            refresh_seconds: 300,
            state_dir: state_dir.to_owned(),
        }
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The configuration is unusable.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database of earlier versions failed (or is open in another process).
    #[error("storage: {0}")]
    Storage(#[from] sled::Error),
    /// A journal (of requests or of results) could not be opened or synced.
    #[error("journal: {0}")]
    Journal(String),
    /// Another service holds the state directory.
    #[error("{path}: the state directory is in use by another verifier service")]
    InUse {
        /// The lock file.
        path: PathBuf,
    },
    /// The trust list could not be fetched or did not verify at start.
    #[error("trust list: {0}")]
    TrustList(String),
    /// The trust list was refused.
    #[error("trust list: {0}")]
    TrustListRefused(VcError),
    /// The response-encryption key is unusable.
    #[error("response-encryption key {path}: {reason}")]
    ResponseKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Bytes of an RP API token, at least: 16 bytes of a random token are 128 bits.
const MIN_TOKEN_BYTES: usize = 16;

/// The service's shared state. Built once by [`AppState::open`], then shared as `Arc<AppState>`.
pub struct AppState {
    pub(crate) client_id: String,
    pub(crate) public_url: String,
    pub(crate) signing_key: PrivateJwk,
    pub(crate) signing_kid: String,
    pub(crate) response_key_private: Value,
    pub(crate) response_key_public: Value,
    pub(crate) rp_tokens: Vec<String>,
    /// The pinned root key and where the trust list is, when trust comes from a trust list.
    pub(crate) trust_source: Option<(PublicJwk, ListLocation)>,
    pub(crate) seen_seq_path: PathBuf,
    pub(crate) status_urls: Vec<String>,
    pub(crate) policy: Policy,
    pub(crate) request_ttl_seconds: i64,
    pub(crate) result_retention_seconds: i64,
    pub(crate) refresh_seconds: i64,
    pub(crate) clock: Clock,
    pub(crate) stores: Stores,
    /// Where responses wait to be answered together (`gather.rs`).
    pub(crate) gather: Gather,
    pub(crate) trust: RwLock<Arc<CurrentTrust>>,
    pub(crate) status: RwLock<Arc<StatusListCache>>,
    pub(crate) schedule: Mutex<Schedule>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .field("signing_kid", &self.signing_kid)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the state directory (database, response-encryption key: generated with josekit at
    /// first start, kept in `response-key.jwk`, mode 0600), loads the trust (a trust list must
    /// verify, else the service does not start) and fetches the status lists once (a list that
    /// fails is retried in the background; until then its credentials get `status_unknown`).
    ///
    /// Blocking (file and network I/O): call it before the runtime serves, or in
    /// `spawn_blocking`.
    pub fn open(config: ServiceConfig, clock: Clock) -> Result<Self, ServiceError> {
        if config.rp_tokens.is_empty() {
            return Err(ServiceError::Config("no RP API token configured".into()));
        }
        if config
            .rp_tokens
            .iter()
            .any(|t| t.trim().len() < MIN_TOKEN_BYTES)
        {
            return Err(ServiceError::Config(format!(
                "every RP API token must be at least {MIN_TOKEN_BYTES} bytes"
            )));
        }
        if !(config.public_url.starts_with("http://") || config.public_url.starts_with("https://"))
        {
            return Err(ServiceError::Config(
                "the public URL must be an http(s) URL".into(),
            ));
        }
        if config.client_id.is_empty() {
            return Err(ServiceError::Config("the client_id is empty".into()));
        }
        if config.request_ttl_seconds <= 0
            || config.refresh_seconds <= 0
            || config.result_retention_seconds <= 0
        {
            return Err(ServiceError::Config(
                "request, result retention and refresh periods must be positive".into(),
            ));
        }
        std::fs::create_dir_all(&config.state_dir).map_err(|source| ServiceError::Io {
            path: config.state_dir.clone(),
            source,
        })?;
        let (response_key_private, response_key_public) =
            load_or_create_response_key(&config.state_dir.join("response-key.jwk"))?;
        let stores = Stores::open(&config.state_dir, clock())?;
        let signing_kid = config.signing_key.public().thumbprint();
        let (initial_trust, trust_source) = match config.trust {
            TrustConfig::Issuers(issuers) => (CurrentTrust::Issuers(Arc::new(issuers)), None),
            // An empty set, replaced by the first load below before anything is served.
            TrustConfig::TrustList { root, location } => (
                CurrentTrust::Issuers(Arc::new(TrustedIssuers::new())),
                Some((root, location)),
            ),
        };
        let state = Self {
            client_id: config.client_id,
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            signing_key: config.signing_key,
            signing_kid,
            response_key_private,
            response_key_public,
            rp_tokens: config
                .rp_tokens
                .into_iter()
                .map(|t| t.trim().to_owned())
                .collect(),
            trust_source,
            seen_seq_path: config.state_dir.join("trust-list.seq"),
            status_urls: config.status_lists,
            policy: config.policy,
            request_ttl_seconds: config.request_ttl_seconds,
            result_retention_seconds: config.result_retention_seconds,
            refresh_seconds: config.refresh_seconds,
            clock,
            stores,
            gather: Gather::start().map_err(|source| ServiceError::Io {
                path: config.state_dir.clone(),
                source,
            })?,
            trust: RwLock::new(Arc::new(initial_trust)),
            status: RwLock::new(Arc::new(StatusListCache::new())),
            schedule: Mutex::new(Schedule::default()),
        };
        state.load_initial_lists()?;
        Ok(state)
    }

    /// The service's clock.
    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The relying party's `client_id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The public JWK of the request-signing key (what `register-rp --key` lists).
    pub fn signing_public_jwk(&self) -> Value {
        self.signing_key.public().to_json()
    }

    /// The public JWK of the response-encryption key (sent in `client_metadata.jwks`).
    pub fn response_public_jwk(&self) -> &Value {
        &self.response_key_public
    }

    /// The trust in force now (cheap: clones an `Arc`; never waits on a refresh).
    pub(crate) fn current_trust(&self) -> Arc<CurrentTrust> {
        Arc::clone(&self.trust.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The status lists held now (cheap: clones an `Arc`).
    pub(crate) fn current_status(&self) -> Arc<StatusListCache> {
        Arc::clone(&self.status.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Syncs the journals (and the earlier versions' database, if open) at shutdown.
    pub async fn flush(&self) -> Result<(), ServiceError> {
        self.stores.flush_async().await
    }
}

/// How long to wait for a sled lock that is being released by a closing handle (the database
/// of earlier versions, `legacy.rs`).
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Budget: bytes of sled's page cache (its default, 1 GiB, would let the cache alone grow to ten
/// times the service's memory target of 100 MB). A response reads one request (a few KB) and
/// writes a nonce and a result (a few KB): the hot pages are those of the requests made in the
/// last minutes; pages evicted are read back through the OS page cache. sled's other memory (its
/// page table) still grows with the number of records kept.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) fn open_db(path: &Path) -> Result<sled::Db, sled::Error> {
    let start = Instant::now();
    loop {
        match sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .open()
        {
            Ok(db) => return Ok(db),
            // sled 0.34 reports a held lock as Other("could not acquire lock").
            Err(sled::Error::Io(e))
                if (e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock"))
                    && start.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads the response-encryption key, or makes one (EC P-256, for ECDH-ES) and writes it with
/// mode 0600 before using it, so that responses encrypted to it stay readable after a restart.
fn load_or_create_response_key(path: &Path) -> Result<(Value, Value), ServiceError> {
    let bad = |reason: String| ServiceError::ResponseKey {
        path: path.to_owned(),
        reason,
    };
    let private = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<Value>(&text).map_err(|e| bad(e.to_string()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (private, _) = oid4vp::generate_response_key().map_err(|e| bad(e.to_string()))?;
            write_private_file(path, &private).map_err(|source| ServiceError::Io {
                path: path.to_owned(),
                source,
            })?;
            tracing::info!(path = %path.display(), "generated the response-encryption key");
            private
        }
        Err(source) => {
            return Err(ServiceError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    if private.get("d").and_then(Value::as_str).is_none() {
        return Err(bad("not a private key (no `d`)".into()));
    }
    let public = oid4vp::public_response_key(&private).map_err(|e| bad(e.to_string()))?;
    // Prove now that it decrypts what is encrypted to its public half.
    let probe = serde_json::json!({ "probe": true });
    let jwe = oid4vp::encrypt_response(&probe, &public).map_err(|e| bad(e.to_string()))?;
    match oid4vp::decrypt_response(&jwe, &private) {
        Ok(v) if v == probe => Ok((private, public)),
        _ => Err(bad("the key does not decrypt its own test message".into())),
    }
}

/// Writes a private key file: created new, mode 0600, synced.
fn write_private_file(path: &Path, value: &Value) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
