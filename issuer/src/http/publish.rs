//! What verifiers and auditors fetch: status list tokens and the transparency log's checkpoints
//! and proofs. No personal data in any of it.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_vc::log::{verify_checkpoint, ConsistencyProof};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::{Budget, VerificationKey};
use serde::Deserialize;

use super::error::HttpError;
use super::state::AppState;
use super::{blocking, flush};
use crate::IssuerSigner;

/// `GET /status/{list}`: the list's current Status List Token, signed now.
pub(crate) async fn status_list<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    Path(list): Path<String>,
) -> Result<Response, HttpError> {
    let list: u32 = list.parse().map_err(|_| HttpError::NotFound {
        what: "status list",
    })?;
    let ttl = state.status_ttl;
    let token = blocking(&state, move |st| {
        Ok(st
            .issuer
            .status_list_token(list, st.now(), st.status_ttl, st.status_valid_for)?)
    })
    .await?;
    Ok(jwt_response(
        token,
        "application/statuslist+jwt",
        &format!("max-age={ttl}"),
    ))
}

/// `GET /log/checkpoint`: the newest checkpoint, covering the whole log. When there is none, or
/// the log has grown since (or the key was rotated), one is signed now (and stored, flushed).
pub(crate) async fn checkpoint<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
) -> Result<Response, HttpError> {
    let token = blocking(&state, |st| {
        let log = st.issuer.log();
        let key = VerificationKey::Ed25519(st.issuer.public_key());
        let size = log.size()?;
        match log.latest_checkpoint()? {
            Some(cp)
                if verify_checkpoint(&cp, &key, &Budget::default())
                    .is_ok_and(|c| c.tree_size == size) =>
            {
                Ok(cp)
            }
            // `checkpoint` flushes before it returns.
            _ => Ok(st.issuer.checkpoint(st.now())?),
        }
    })
    .await?;
    // The newest checkpoint may be one a batch of credentials has just stored and not yet
    // flushed: none is handed out before the leaves it covers are on disk.
    flush(&state).await?;
    Ok(jwt_response(
        token,
        "application/checkpoint+jwt",
        "no-cache",
    ))
}

/// `GET /log/inclusion/{number}`: a credential's inclusion proof against a signed checkpoint.
pub(crate) async fn inclusion<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    Path(number): Path<String>,
) -> Result<Json<LogInclusion>, HttpError> {
    let inclusion = blocking(&state, move |st| {
        Ok(st.issuer.log_inclusion(&number, st.now())?)
    })
    .await?;
    // As for `/log/checkpoint`: the checkpoint and the leaf are on disk before they are shown.
    flush(&state).await?;
    Ok(Json(inclusion))
}

/// `GET /log/consistency` query.
#[derive(Debug, Deserialize)]
pub(crate) struct ConsistencyQuery {
    /// The older tree size.
    old: u64,
    /// The newer tree size (default: the log's size now).
    new: Option<u64>,
}

/// `GET /log/consistency?old=&new=`: the consistency proof between two tree sizes.
pub(crate) async fn consistency<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    query: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, HttpError> {
    let Query(query) = query.map_err(|_| HttpError::BadRequest {
        reason: "old (and optionally new) must be tree sizes".into(),
    })?;
    let proof = blocking(&state, move |st| {
        let log = st.issuer.log();
        let new = match query.new {
            Some(n) => n,
            None => log.size()?,
        };
        Ok(log.consistency_proof(query.old, new)?)
    })
    .await?;
    Ok(Json(proof))
}

fn jwt_response(token: String, media_type: &'static str, cache: &str) -> Response {
    let mut response = token.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(value) = HeaderValue::from_str(cache) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}
