//! The retention sweep: what the service stores is deleted once nobody needs it.
//!
//! Every [`SWEEP_EVERY`] the sweep deletes, in batches of at most [`SWEEP_BATCH`] records of each
//! kind, and flushes each batch through the shared flush ([`super::flush`]) before it counts it:
//!
//! 1. requests never answered, [`EXPIRED_GRACE_SECONDS`] after their expiry, with their `state`
//!    and their (issued) nonce;
//! 2. answered requests, `result_retention_seconds` after their result was stored, with the
//!    result (which holds personal data: names, addresses), the `state` and the (spent) nonce.
//!
//! (The `state` and nonce entries exist for requests made by earlier versions only; a request
//! now is its own `state`, and its result spends its nonce: `store.rs`.)
//!
//! A replay stays refused after a sweep: `POST /response` finds its request by `state` and
//! refuses an unknown one (`state_unknown`) or an expired one (`request_expired`) before it
//! touches the nonce; a nonce missing while its request is still there is refused too
//! (`nonce_unknown`). A request whose result goes while it could still be answered (a retention
//! shorter than a request's life) leaves a tombstone, made durable before the result's file
//! goes, so that no crash brings the request back without its result (`store.rs`).
//! `GET /requests/{id}/result` then answers `request_unknown`.

use std::sync::Arc;
use std::time::Duration;

use super::error::AppError;
use super::state::AppState;
use super::store::Batch;
use super::REQUEST_TIMEOUT;

/// How often the sweep runs: often enough that each run's batches stay small under load (about
/// a thousand presentations a second on a small machine).
pub const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// Records of each kind deleted per batch, then flushed: a batch takes milliseconds, so the
/// sweep never holds a blocking thread or delays the flushes of live requests for long.
pub const SWEEP_BATCH: usize = 1000;

/// Batches per sweep, at most: 50 000 records of each kind a run, far more than a run's share
/// of the load, while a backlog (after a long stop) is cleared over several runs.
const MAX_BATCHES_PER_SWEEP: usize = 50;

/// Seconds an unanswered request is kept after its expiry: longer than a response may take
/// ([`REQUEST_TIMEOUT`]), so a response that passed the expiry check just in time finds its
/// request and nonce still there.
pub const EXPIRED_GRACE_SECONDS: i64 = 60;

const _: () = assert!(EXPIRED_GRACE_SECONDS as u64 > REQUEST_TIMEOUT.as_secs());

/// What a sweep deleted, durably.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Swept {
    /// Requests never answered, deleted after their expiry (each with its `state` and nonce).
    pub expired_requests: usize,
    /// Results deleted after their retention (each with its request, `state` and nonce).
    pub results: usize,
}

impl Swept {
    fn add(&mut self, batch: &Batch) {
        self.expired_requests += batch.expired;
        self.results += batch.results;
    }
}

impl AppState {
    /// Runs the retention sweep once (see the module docs) at the service clock's time, and
    /// returns what it deleted once that is on disk.
    pub async fn sweep(self: &Arc<Self>) -> Result<Swept, AppError> {
        let mut swept = Swept::default();
        for _ in 0..MAX_BATCHES_PER_SWEEP {
            let s = Arc::clone(self);
            let batch = tokio::task::spawn_blocking(move || {
                let now = s.now();
                s.stores.sweep_batch(
                    now.saturating_sub(EXPIRED_GRACE_SECONDS),
                    now.saturating_sub(s.result_retention_seconds),
                    SWEEP_BATCH,
                )
            })
            .await
            .map_err(|e| AppError::Internal(format!("sweep task: {e}")))??;
            if batch.expiry_entries + batch.completed_entries > 0 {
                self.stores.durable().await?;
            }
            swept.add(&batch);
            if !batch.more {
                break;
            }
        }
        Ok(swept)
    }
}

/// The background sweep: every [`SWEEP_EVERY`], [`AppState::sweep`], until `stop` turns true.
pub async fn run_retention(state: Arc<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
        match state.sweep().await {
            Ok(swept) if swept != Swept::default() => tracing::info!(
                expired_requests = swept.expired_requests,
                results = swept.results,
                "retention sweep deleted records"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(code = e.code(), error = %e, "the retention sweep failed"),
        }
    }
}
