//! The issuing agency's HTTP service: OpenID4VCI 1.0 (pre-authorized code flow) for wallets,
//! status lists and log proofs for verifiers and auditors, and an admin API for the agency.
//!
//! One axum [`Router`] over an `Arc<`[`AppState`]`>` (see [`router`]); every route is listed
//! once, in [`routes`], which the router is built from and the OpenAPI test checks against
//! `specs/api/issuer.openapi.json`.
//!
//! Rules every handler keeps:
//! - sled and issuance work runs on a blocking thread ([`tokio::task::spawn_blocking`]);
//! - a 2xx that reports a write comes after the database was flushed;
//! - errors go through one [`HttpError`] with a stable code (the OAuth shape on `/token`,
//!   `/nonce` and `/credential`);
//! - bodies are limited ([`BODY_LIMIT`], [`REGISTER_BODY_LIMIT`]), requests time out after
//!   [`REQUEST_TIMEOUT`], and [`serve`] stops on a signal only after in-flight requests end;
//! - the log line of a request names its method, its route *template* (`/offers/{id}`, so no
//!   offer id, code or credential number reaches the log), its status and latency; no handler
//!   logs a person id with a name, an RRN, a token or a code.

mod admin;
mod error;
mod metadata;
mod publish;
mod state;
mod store;
mod vci;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter};
use axum::{Json, Router};
use tower_http::trace::TraceLayer;

pub use error::HttpError;
pub use state::{system_clock, AppState, Clock, ConfigError, ServiceConfig};

use crate::{FileSigner, IssuerError, IssuerSigner};

/// Bytes of a request body on every route but the register import: a credential request with
/// its proof is under 2 KiB and a register event under 4 KiB; 64 KiB leaves room and bounds the
/// memory an anonymous client can make the service hold.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Bytes of a register file posted to `/admin/register`: a register file runs about 675 bytes a
/// person as compact JSON (measured on the synthetic register), so 16 MiB holds some 24,000
/// persons, the extract of a 동 or a small office. The import is a full replace, parsed and
/// checked in memory (several times the body); a whole 구 (hundreds of thousands of persons) is
/// imported on the host with `dojang issuer import`, not over HTTP. Admin-only.
pub const REGISTER_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// How long one request may take: issuance is a few milliseconds and a status list token of
/// 2^18 entries well under a second; 10 s stops slow clients (a body trickled byte by byte)
/// from holding a connection and a worker.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One route of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path, with `{name}` parameters (axum and OpenAPI write them alike).
    pub path: &'static str,
    /// Whether the route needs an admin Bearer token.
    pub admin: bool,
}

type Entry<S> = (Route, MethodRouter<Arc<AppState<S>>>);

fn entry<S, H, T>(method: Method, path: &'static str, admin: bool, handler: H) -> Entry<S>
where
    S: IssuerSigner + 'static,
    H: Handler<T, Arc<AppState<S>>>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    let router = axum::routing::on(filter, handler);
    (
        Route {
            method,
            path,
            admin,
        },
        router,
    )
}

/// The one list of routes: the router is built from it, [`routes`] reports it.
fn table<S: IssuerSigner + 'static>() -> Vec<Entry<S>> {
    use Method as M;
    let mut register = entry(
        M::POST,
        "/admin/register",
        true,
        admin::import_register::<S>,
    );
    register.1 = register.1.layer(DefaultBodyLimit::max(REGISTER_BODY_LIMIT));
    vec![
        entry(M::GET, "/healthz", false, healthz),
        entry(
            M::GET,
            "/.well-known/openid-credential-issuer",
            false,
            metadata::credential_issuer::<S>,
        ),
        entry(
            M::GET,
            "/.well-known/oauth-authorization-server",
            false,
            metadata::authorization_server::<S>,
        ),
        entry(
            M::GET,
            "/.well-known/jwt-vc-issuer",
            false,
            metadata::jwt_vc_issuer::<S>,
        ),
        entry(M::GET, "/offers/{id}", false, vci::offer::<S>),
        entry(M::POST, "/token", false, vci::token::<S>),
        entry(M::POST, "/nonce", false, vci::nonce::<S>),
        entry(M::POST, "/credential", false, vci::credential::<S>),
        entry(M::GET, "/status/{list}", false, publish::status_list::<S>),
        entry(M::GET, "/log/checkpoint", false, publish::checkpoint::<S>),
        entry(
            M::GET,
            "/log/inclusion/{number}",
            false,
            publish::inclusion::<S>,
        ),
        entry(M::GET, "/log/consistency", false, publish::consistency::<S>),
        entry(M::POST, "/admin/offers", true, admin::create_offer::<S>),
        register,
        entry(M::POST, "/admin/events", true, admin::apply_event::<S>),
        entry(
            M::POST,
            "/admin/credentials/{number}/revoke",
            true,
            admin::revoke::<S>,
        ),
        entry(
            M::POST,
            "/admin/credentials/{number}/suspend",
            true,
            admin::suspend::<S>,
        ),
        entry(
            M::POST,
            "/admin/credentials/{number}/reinstate",
            true,
            admin::reinstate::<S>,
        ),
    ]
}

/// Every route the service answers, in the order of the table the router is built from.
pub fn routes() -> Vec<Route> {
    table::<FileSigner>().into_iter().map(|(r, _)| r).collect()
}

/// The service's router. Serve it with [`serve`], or drive it in-process (tests).
pub fn router<S: IssuerSigner + 'static>(state: Arc<AppState<S>>) -> Router {
    let mut public = Router::new();
    let mut admin = Router::new();
    for (route, handler) in table::<S>() {
        if route.admin {
            admin = admin.route(route.path, handler);
        } else {
            public = public.route(route.path, handler);
        }
    }
    let admin = admin.route_layer(middleware::from_fn_with_state(
        Arc::clone(&state),
        admin::require_admin::<S>,
    ));
    public
        .merge(admin)
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(timeout))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    // The route template, never the path itself: offer ids, credential numbers
                    // and query strings stay out of the log.
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("(no route)", MatchedPath::as_str);
                    tracing::info_span!("request", method = %request.method(), route)
                })
                .on_response(
                    |response: &Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            latency_ms = latency.as_secs_f64() * 1000.0,
                            "response"
                        );
                    },
                ),
        )
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then waits for the requests in
/// flight to finish (axum's graceful shutdown) and flushes the database.
pub async fn serve<S, F>(
    listener: tokio::net::TcpListener,
    state: Arc<AppState<S>>,
    shutdown: F,
) -> std::io::Result<()>
where
    S: IssuerSigner + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let db = state.issuer.db().clone();
    let sweeper = tokio::spawn(sweep_expired(Arc::clone(&state)));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    served?;
    tokio::task::spawn_blocking(move || db.flush())
        .await
        .map_err(std::io::Error::other)?
        .map(|_| ())
        .map_err(std::io::Error::other)
}

/// How often expired offers, access tokens and nonces are swept.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Index entries one blocking step of the sweep visits: a few milliseconds of removals, so the
/// sweep never holds a blocking thread for long, however large the backlog.
const SWEEP_BATCH: usize = 1000;

/// The sweep of expired offers, access tokens and nonces, beside the requests (never inside
/// one): every [`SWEEP_EVERY`], batches of [`SWEEP_BATCH`] until nothing expired is left. Runs
/// until aborted.
async fn sweep_expired<S: IssuerSigner + 'static>(state: Arc<AppState<S>>) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let mut removed = 0;
        loop {
            let swept = blocking(&state, |st| Ok(st.vci.sweep(st.now(), SWEEP_BATCH)?)).await;
            match swept {
                Ok(s) => {
                    removed += s.removed;
                    if !s.more {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sweeping expired offers, tokens and nonces failed");
                    break;
                }
            }
        }
        if removed > 0 {
            tracing::debug!(removed, "swept expired offers, tokens and nonces");
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// `GET /healthz`.
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn no_route() -> HttpError {
    HttpError::NoRoute
}

async fn method_not_allowed() -> HttpError {
    HttpError::MethodNotAllowed
}

/// Ends a request that takes longer than [`REQUEST_TIMEOUT`] with `503 timeout`. Blocking work
/// already started runs to its end (each is one durable step, complete or absent).
async fn timeout(request: Request, next: Next) -> Result<Response, HttpError> {
    tokio::time::timeout(REQUEST_TIMEOUT, next.run(request))
        .await
        .map_err(|_| HttpError::Timeout)
}

/// Runs `f` on a blocking thread (sled and signing are synchronous).
pub(crate) async fn blocking<S, T, F>(state: &Arc<AppState<S>>, f: F) -> Result<T, HttpError>
where
    S: IssuerSigner + 'static,
    T: Send + 'static,
    F: FnOnce(&AppState<S>) -> Result<T, HttpError> + Send + 'static,
{
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .unwrap_or(Err(HttpError::Internal {
            what: "a blocking task failed",
        }))
}

/// Flushes the database: what the answer reports is on disk.
pub(crate) async fn flush<S: IssuerSigner + 'static>(
    state: &Arc<AppState<S>>,
) -> Result<(), HttpError> {
    // The blocking flush on a blocking thread, not sled's `flush_async`: concurrent
    // `flush_async` calls can deadlock in sled 0.34 (requests and shutdown then hang; seen
    // under `dojang load issuer` at 16 connections).
    blocking(state, |state| {
        state
            .issuer
            .db()
            .flush()
            .map(|_| ())
            .map_err(|e| HttpError::Issuer {
                source: IssuerError::from(e),
            })
    })
    .await
}
