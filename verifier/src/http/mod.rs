//! # The relying party's OpenID4VP 1.0 service
//!
//! A bank's or office's back end asks for a credential here, a citizen's wallet answers here, and
//! the verification runs here, offline, with the same pipeline as `dojang verify`
//! ([`crate::verify`]). The protocol types are `dojang_vc::oid4vp`.
//!
//! ## Routes ([`ROUTES`], described by `specs/api/verifier.openapi.json`)
//! - `GET /healthz`: liveness, and the age of the lists held.
//! - `POST /requests` (RP API, `Authorization: Bearer <token>`): ask for `vct` with `claims` and a
//!   `purpose`; answers the `openid4vp://` link to show as a QR code or deep link.
//! - `GET /requests/{id}/result` (RP API): `pending`, `verified`, `rejected` or `expired`, with
//!   the disclosed claims, every check and the provenance chain (the shape of `dojang verify`).
//! - `GET /requests/{id}/object` (wallet): the signed request object (`oauth-authz-req+jwt`).
//! - `POST /response` (wallet): `direct_post` (`vp_token` and `state`) or `direct_post.jwt`
//!   (`response`, a JWE for the key in the request's `client_metadata`).
//!
//! ## Answering a response (`POST /response`)
//! 1. Decode the form strictly (a repeated field is refused); decrypt `response` with the
//!    service's P-256 key (ECDH-ES + A256GCM only).
//! 2. Find the request by `state` (its id: `state_unknown`); the response mode must be the
//!    requested one (`response_mode_mismatch`); the request must not have expired
//!    (`request_expired`); the `vp_token` must hold exactly one presentation for the request's
//!    credential query.
//! 3. (Requests made by earlier versions only: spend the request's nonce in the `nonces` tree,
//!    one atomic compare-and-swap; a second response is `nonce_replayed`.)
//! 4. Run the pipeline with `aud` = the service's `client_id`, the request's nonce, the request's
//!    `vct` and freshness, and the trust and status lists held in memory (a verification never
//!    waits on the network: a background task refreshes them).
//! 5. Check that every requested claim was disclosed (`claims_missing`).
//! 6. Store the result with one atomic compare-and-swap: only if the request has none, which is
//!    what spends its nonce (a second response for the same request is `nonce_replayed`, even
//!    after a restart, and writes nothing). Then wait for a flush that started after the result
//!    was written (a group flush shared by concurrent requests, `flush.rs`); only then answer
//!    `200 {}` (verified) or `400` with the code (rejected). The RP reads the result from
//!    `GET /requests/{id}/result`.
//!
//! ## Retention (`retention.rs`)
//! A background sweep deletes unanswered requests a minute after they expire, and answered ones
//! with their results `result_retention_seconds` (default 600) after the answer (a request
//! answerable still leaves a tombstone until then: `store.rs`); a replay is still refused
//! (`state_unknown`), and the result then reads as `request_unknown`.
//!
//! Logs carry request ids, codes and counts: never a claim value, a nonce, a token or a key.

mod auth;
pub mod client;
mod error;
mod flush;
mod gather;
mod handlers;
mod journal;
mod legacy;
mod record;
mod refresh;
mod result;
mod retention;
mod state;
mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;

pub use error::{AppError, OAuthError};
pub use refresh::run_refresh;
pub use result::{outcome_json, rejected_json};
pub use retention::{run_retention, Swept, EXPIRED_GRACE_SECONDS, SWEEP_BATCH, SWEEP_EVERY};
pub use state::{
    system_clock, AppState, Clock, ListLocation, ServiceConfig, ServiceError, TrustConfig,
};

/// The credential query id of every request this service makes: the key of the presentation in
/// the `vp_token` (`{"credential": ["<presentation>"]}`).
pub const CREDENTIAL_QUERY_ID: &str = "credential";

/// Largest request body accepted, 64 KiB. A presentation of a full 등본 (a household of six,
/// every claim disclosed) is about 12 KiB; as a JWE and form-encoded it grows by about half, so
/// 64 KiB is more than three times the largest real answer, while a verifier serving thousands
/// of wallets at once holds at most 64 KiB per connection. The format's own budget
/// (`Budget::max_input_bytes`, 256 KiB) bounds any SD-JWT the library parses; this service asks
/// for a few claims at a time and never needs that much.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Time allowed to answer one HTTP request: verifying a presentation takes milliseconds and a
/// flush a few more; 10 s covers a slow disk without letting slow clients hold workers.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Threads to allow for the service's blocking work (tokio's `max_blocking_threads`): two a
/// core, at least four. That work is CPU (verifying, signing, journal reads and writes) and the
/// background refresh's fetches; flushes are awaited without holding a thread (`flush.rs`), so
/// more threads than that only add context switches and allocator arenas (tokio's default is 512:
/// 64 concurrent responses ran on some 70 threads).
pub fn blocking_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (2 * cores).max(4)
}

/// Every route of the service as `(method, path)`, in axum's path syntax: the router is built
/// from this list and a test checks it against `specs/api/verifier.openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("POST", "/requests"),
    ("GET", "/requests/{id}/result"),
    ("GET", "/requests/{id}/object"),
    ("POST", "/response"),
];

/// The handler of one route of [`ROUTES`].
fn handler(method: &str, path: &str) -> Option<MethodRouter<Arc<AppState>>> {
    Some(match (method, path) {
        ("GET", "/healthz") => get(handlers::healthz),
        ("POST", "/requests") => post(handlers::create_request),
        ("GET", "/requests/{id}/result") => get(handlers::request_result),
        ("GET", "/requests/{id}/object") => get(handlers::request_object),
        ("POST", "/response") => post(handlers::response),
        _ => return None,
    })
}

/// The service's router: [`ROUTES`], a JSON 404/405 for anything else, the body limit
/// ([`MAX_BODY_BYTES`]), the timeout ([`REQUEST_TIMEOUT`]) and request tracing.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new();
    for (method, path) in ROUTES {
        if let Some(h) = handler(method, path) {
            router = router.route(path, h);
        }
    }
    router
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(timeout))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers `timeout` (503) when a request takes longer than [`REQUEST_TIMEOUT`].
async fn timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout.into_response(),
    }
}

/// Serves `state` on `listener` until `shutdown` completes, with the background refresh of the
/// trust and status lists and the retention sweep (`retention.rs`) running beside it; then lets
/// requests in flight finish, stops both and flushes the database.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let refresher = tokio::spawn(run_refresh(Arc::clone(&state), stop_rx.clone()));
    let sweeper = tokio::spawn(run_retention(Arc::clone(&state), stop_rx));
    let served = axum::serve(listener, router(Arc::clone(&state)))
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
        })
        .await;
    let _ = stop_tx.send(true);
    let _ = refresher.await;
    let _ = sweeper.await;
    state.flush().await.map_err(std::io::Error::other)?;
    served
}
