//! Keeping the trust list and the status lists fresh, in the background.
//!
//! A verification reads the lists held in memory and never waits on the network. A background
//! task ([`run_refresh`]) re-reads the trust list every `refresh_seconds` and fetches each
//! configured status list when its `ttl` has passed (draft-ietf-oauth-status-list §13.7), then
//! verifies what it got (the trust list against the pinned root and the newest sequence seen, a
//! status list against its issuer's key in the trust in force) and swaps it in only if it
//! verified. A failure keeps the previous copy and is retried after [`RETRY_SECONDS`]; a list
//! that grows too old is then reported by the pipeline as "cannot decide" (`status_unknown`) or,
//! for the trust list, `trust_list_expired`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dojang_vc::trust_list::verify_trust_list;
use dojang_vc::{Jws, JwtPart, VcError};
use serde_json::{json, Value};

use super::state::{AppState, ListLocation, ServiceError};
use crate::{IssuerTrust, SeenSequence, TrustListTrust, TrustedIssuers};

/// Seconds before a failed fetch is tried again: soon enough to recover from a blip, rare
/// enough not to hammer an issuer that is down.
pub(crate) const RETRY_SECONDS: i64 = 60;
/// Bounds on a status list's `ttl`, seconds: a `ttl` of 0 would make the service fetch on every
/// tick; more than a day would outlive the default status age limit of the policy.
const MIN_TTL_SECONDS: i64 = 30;
const MAX_TTL_SECONDS: i64 = 86_400;
/// How often the task looks for something due (a look at the schedule, no I/O unless due).
const TICK: Duration = Duration::from_secs(1);
/// Bytes of a trust list read or fetched: a national list of a few thousand entries of about a
/// kilobyte each is a few MiB; 16 MiB bounds memory against a hostile or broken source.
const MAX_TRUST_LIST_BYTES: u64 = 16 * 1024 * 1024;
/// Bytes of a status list token: a list may inflate to `Budget::max_status_list_bytes` (4 MiB);
/// even incompressible, its base64url is under 6 MiB.
const MAX_STATUS_TOKEN_BYTES: u64 = 6 * 1024 * 1024;
/// Time allowed for one fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The trust in force.
pub(crate) enum CurrentTrust {
    /// A fixed issuer set (or, before the first trust list loads, an empty one).
    Issuers(Arc<TrustedIssuers>),
    /// A verified trust list, and when it was read.
    List {
        /// The list.
        trust: TrustListTrust,
        /// When the service read it.
        fetched_at: i64,
    },
}

impl CurrentTrust {
    /// As the pipeline's trust.
    pub(crate) fn as_trust(&self) -> &dyn IssuerTrust {
        match self {
            CurrentTrust::Issuers(t) => t.as_ref(),
            CurrentTrust::List { trust, .. } => trust,
        }
    }
}

/// One configured status list: when it was last fetched and verified, when it is due next.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatusEntry {
    /// The URI it holds (the token's `sub`), once fetched.
    pub(crate) uri: Option<String>,
    /// The token's `iat`.
    pub(crate) iat: Option<i64>,
    /// When the service last verified a copy.
    pub(crate) fetched_at: Option<i64>,
    /// When to fetch again.
    pub(crate) next_due: i64,
    /// The last failure, if the last attempt failed (for `/healthz`; no secrets in it).
    pub(crate) last_error: Option<String>,
}

/// What is due when.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    /// When to re-read the trust list.
    pub(crate) trust_next_due: i64,
    /// The last trust list failure.
    pub(crate) trust_last_error: Option<String>,
    /// Configured status list URL → its state.
    pub(crate) status: BTreeMap<String, StatusEntry>,
    /// The last [`AppState::lists_report`], for the trust and second it was made for: every
    /// response reports the lists, and thousands a second share one report. Dropped whenever a
    /// status entry changes.
    report: Option<ListsReport>,
}

/// A lists report and what it was made from.
struct ListsReport {
    trust: Arc<CurrentTrust>,
    now: i64,
    report: Arc<(Value, String)>,
}

impl std::fmt::Debug for ListsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListsReport")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The first load, at start: the trust list must verify; status lists are tried once.
    pub(crate) fn load_initial_lists(&self) -> Result<(), ServiceError> {
        let now = self.now();
        if self.trust_source.is_some() {
            self.refresh_trust(now).map_err(|e| match e {
                RefreshError::Refused(e) => ServiceError::TrustListRefused(e),
                RefreshError::Fetch(e) => ServiceError::TrustList(e),
            })?;
        }
        {
            let mut schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
            for url in &self.status_urls {
                schedule.status.insert(url.clone(), StatusEntry::default());
            }
            schedule.report = None;
        }
        self.refresh_status_due(now);
        Ok(())
    }

    /// Refreshes what is due at the service clock's now. Blocking (network and file I/O).
    pub(crate) fn refresh_due(&self) {
        let now = self.now();
        let trust_due = {
            let schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
            self.trust_source.is_some() && now >= schedule.trust_next_due
        };
        if trust_due {
            if let Err(e) = self.refresh_trust(now) {
                tracing::warn!(error = %e, "trust list refresh failed; keeping the list held");
            }
        }
        self.refresh_status_due(now);
    }

    /// Reads, verifies and swaps in the trust list; records its sequence as seen.
    fn refresh_trust(&self, now: i64) -> Result<(), RefreshError> {
        let Some((root, location)) = &self.trust_source else {
            return Ok(());
        };
        let result = (|| -> Result<_, RefreshError> {
            let token = match location {
                ListLocation::File(path) => read_limited(path, MAX_TRUST_LIST_BYTES)
                    .map_err(|e| RefreshError::Fetch(format!("{}: {e}", path.display())))?,
                ListLocation::Url(url) => {
                    fetch(url, MAX_TRUST_LIST_BYTES).map_err(RefreshError::Fetch)?
                }
            };
            let seen = SeenSequence::load(&self.seen_seq_path)
                .map_err(|e| RefreshError::Fetch(e.to_string()))?;
            let verified = verify_trust_list(token.trim(), root, now, seen, &self.policy.budget)
                .map_err(RefreshError::Refused)?;
            SeenSequence::store(&self.seen_seq_path, verified.seq())
                .map_err(|e| RefreshError::Fetch(e.to_string()))?;
            Ok(verified)
        })();
        let mut schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(verified) => {
                let seq = verified.seq();
                match verified.relying_party(&self.client_id) {
                    None => tracing::warn!(
                        client_id = %self.client_id,
                        "this relying party is not on the trust list: wallets will refuse its requests"
                    ),
                    Some(rp) => {
                        let listed = rp.keys.iter().any(|k| {
                            dojang_did::PublicJwk::from_json(k)
                                .is_ok_and(|k| k.thumbprint() == self.signing_kid)
                        });
                        if !listed {
                            tracing::warn!(
                                "the request-signing key is not among this relying party's keys on the trust list"
                            );
                        }
                    }
                }
                *self.trust.write().unwrap_or_else(|e| e.into_inner()) =
                    Arc::new(CurrentTrust::List {
                        trust: TrustListTrust::new(verified),
                        fetched_at: now,
                    });
                schedule.trust_next_due = now + self.refresh_seconds;
                schedule.trust_last_error = None;
                tracing::info!(seq, "trust list verified and in force");
                Ok(())
            }
            Err(e) => {
                schedule.trust_next_due = now + RETRY_SECONDS.min(self.refresh_seconds);
                schedule.trust_last_error = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Fetches, verifies and swaps in every status list that is due.
    fn refresh_status_due(&self, now: i64) {
        let due: Vec<String> = {
            let schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
            schedule
                .status
                .iter()
                .filter(|(_, e)| now >= e.next_due)
                .map(|(url, _)| url.clone())
                .collect()
        };
        for url in due {
            let outcome = self.refresh_status(&url, now);
            let mut schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
            schedule.report = None;
            let entry = schedule.status.entry(url.clone()).or_default();
            match outcome {
                Ok((uri, iat, ttl)) => {
                    let ttl = ttl
                        .unwrap_or(self.refresh_seconds)
                        .clamp(MIN_TTL_SECONDS, MAX_TTL_SECONDS);
                    entry.uri = Some(uri);
                    entry.iat = Some(iat);
                    entry.fetched_at = Some(now);
                    entry.next_due = now + ttl;
                    entry.last_error = None;
                    tracing::info!(%url, ttl, "status list verified and in force");
                }
                Err(e) => {
                    entry.next_due = now + RETRY_SECONDS.min(self.refresh_seconds);
                    entry.last_error = Some(e.clone());
                    tracing::warn!(%url, error = %e, "status list refresh failed; keeping the list held");
                }
            }
        }
    }

    /// One status list: fetch, verify into a copy of the cache, swap. Answers `(sub, iat, ttl)`.
    fn refresh_status(&self, url: &str, now: i64) -> Result<(String, i64, Option<i64>), String> {
        let token = fetch(url, MAX_STATUS_TOKEN_BYTES)?;
        let token = token.trim();
        let trust = self.current_trust();
        let mut cache = (*self.current_status()).clone();
        cache
            .insert_trusted(
                token,
                trust.as_trust(),
                &self.policy.allowed_algorithms,
                now,
                &self.policy.budget,
            )
            .map_err(|e| format!("{}: {e}", e.code()))?;
        // Verified just above; read the members the schedule needs.
        let jws = Jws::parse(token, &self.policy.budget, JwtPart::Issuer)
            .map_err(|e| e.code().to_owned())?;
        let payload = jws.unverified_payload();
        let sub = payload
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let iat = payload.get("iat").and_then(Value::as_i64).unwrap_or(now);
        let ttl = payload.get("ttl").and_then(Value::as_i64);
        *self.status.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(cache);
        Ok((sub, iat, ttl))
    }

    /// The lists held, with their ages at `now`: what a result reports it was verified against
    /// (its `lists`, and the detail of its `lists` check). Made once for each trust and second.
    pub(crate) fn lists_report(&self, trust: &Arc<CurrentTrust>, now: i64) -> Arc<(Value, String)> {
        let mut schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cached) = &schedule.report {
            if cached.now == now && Arc::ptr_eq(&cached.trust, trust) {
                return Arc::clone(&cached.report);
            }
        }
        let report = Arc::new(Self::make_lists_report(&schedule, trust, now));
        schedule.report = Some(ListsReport {
            trust: Arc::clone(trust),
            now,
            report: Arc::clone(&report),
        });
        report
    }

    fn make_lists_report(schedule: &Schedule, trust: &CurrentTrust, now: i64) -> (Value, String) {
        let (trust_json, mut detail) = match trust {
            CurrentTrust::Issuers(_) => (
                Value::Null,
                "trust: the configured issuer set (no trust list)".to_owned(),
            ),
            CurrentTrust::List { trust, fetched_at } => {
                let l = trust.list();
                (
                    json!({
                        "seq": l.seq(), "iat": l.iat(), "exp": l.exp(),
                        "fetched_at": fetched_at, "age_seconds": now - l.iat(),
                        "since_fetch_seconds": now - fetched_at,
                    }),
                    format!(
                        "trust list seq {} issued {} s ago, read {} s ago",
                        l.seq(),
                        now - l.iat(),
                        now - fetched_at
                    ),
                )
            }
        };
        let mut status = Vec::new();
        for (url, e) in &schedule.status {
            status.push(json!({
                "url": url, "uri": e.uri, "iat": e.iat, "fetched_at": e.fetched_at,
                "age_seconds": e.iat.map(|iat| now - iat),
                "since_fetch_seconds": e.fetched_at.map(|f| now - f),
            }));
            match (e.iat, e.fetched_at) {
                (Some(iat), Some(f)) => detail.push_str(&format!(
                    "; status list {url} issued {} s ago, fetched {} s ago",
                    now - iat,
                    now - f
                )),
                _ => detail.push_str(&format!("; status list {url} not yet fetched")),
            }
        }
        if schedule.status.is_empty() {
            detail.push_str("; no status lists configured");
        }
        (
            json!({ "trust_list": trust_json, "status_lists": status }),
            detail,
        )
    }

    /// For `/healthz`: the lists and their last errors.
    pub(crate) fn health(&self) -> Value {
        let now = self.now();
        let trust = self.current_trust();
        let lists = self.lists_report(&trust, now).0.clone();
        let schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        let errors: Vec<Value> = schedule
            .status
            .iter()
            .filter_map(|(url, e)| {
                e.last_error
                    .as_ref()
                    .map(|err| json!({"url": url, "error": err}))
            })
            .collect();
        json!({
            "status": "ok",
            "client_id": self.client_id,
            "lists": lists,
            "trust_list_error": schedule.trust_last_error,
            "status_list_errors": errors,
        })
    }
}

/// Why a refresh failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RefreshError {
    /// The list could not be read or fetched.
    #[error("{0}")]
    Fetch(String),
    /// It was read and refused.
    #[error("{code}: {0}", code = .0.code())]
    Refused(VcError),
}

/// Reads a file of at most `max` bytes.
fn read_limited(path: &std::path::Path, max: u64) -> std::io::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(max + 1).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(text)
}

/// GETs `url` (blocking), refusing anything but 200 and bodies over `max` bytes.
pub(crate) fn fetch(url: &str, max: u64) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(FETCH_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    response
        .body_mut()
        .with_config()
        .limit(max)
        .read_to_string()
        .map_err(|e| e.to_string())
}

/// The background refresh: every few seconds, refresh what is due (in a blocking task, so the
/// runtime's workers never wait on the network), until `stop` turns true.
pub async fn run_refresh(state: Arc<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
        let s = Arc::clone(&state);
        if let Err(e) = tokio::task::spawn_blocking(move || s.refresh_due()).await {
            tracing::error!(error = %e, "the refresh task failed");
        }
    }
}
