//! The agency's admin API, behind Bearer tokens from the service configuration: offers, the
//! register, register events, and status changes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use dojang_vc::oid4vci::offer_uri;
use dojang_vc::status_list::Status;
use serde::{Deserialize, Serialize};

use super::error::HttpError;
use super::metadata::CONFIGURATIONS;
use super::state::AppState;
use super::vci::bearer;
use super::{blocking, flush, BODY_LIMIT, REGISTER_BODY_LIMIT};
use crate::{EventOutcome, ImportSummary, IssuerSigner, RegisterEvent, RegisterFile};

/// Middleware on every admin route: no Bearer token 401, a token that is not configured 403.
/// Runs before the body is read.
pub(crate) async fn require_admin<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let token = bearer(request.headers()).ok_or(HttpError::Unauthorized)?;
    if !state.admin_token_ok(&token) {
        return Err(HttpError::Forbidden);
    }
    Ok(next.run(request).await)
}

/// `POST /admin/offers` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferRequest {
    /// The register's person id.
    person_id: String,
    /// `copy`, `abstract`, `family` or `family-detailed`.
    certificate: String,
}

/// `POST /admin/offers` answer: the secrets, shown once.
#[derive(Debug, Serialize)]
pub(crate) struct OfferCreated {
    /// The offer id (secret: it yields the pre-authorized code).
    offer_id: String,
    /// `openid-credential-offer://?credential_offer_uri=…`, for the QR code.
    offer_uri: String,
    /// `{public_url}/offers/{offer_id}`.
    credential_offer_uri: String,
    /// The six digits to tell the citizen on another channel.
    tx_code: String,
    /// Seconds since the epoch.
    expires_at: i64,
}

/// `POST /admin/offers`: an offer of one certificate for one person of the register.
pub(crate) async fn create_offer<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<OfferCreated>), HttpError> {
    let request: OfferRequest = json_body(body, BODY_LIMIT)?;
    let config = CONFIGURATIONS
        .iter()
        .find(|c| c.admin_name == request.certificate)
        .ok_or_else(|| HttpError::BadRequest {
            reason: "certificate must be copy, abstract, family or family-detailed".into(),
        })?;
    let created = blocking(&state, move |st| {
        let now = st.now();
        // The person must exist now; whether the certificate can be built is decided at
        // issuance, against the register as it is then.
        st.issuer.register().person(&request.person_id)?;
        Ok(st.vci.create_offer(&request.person_id, config.id, now)?)
    })
    .await?;
    flush(&state).await?;
    let credential_offer_uri = state.url(&format!("/offers/{}", created.offer_id));
    Ok((
        StatusCode::CREATED,
        Json(OfferCreated {
            offer_uri: offer_uri(&credential_offer_uri),
            offer_id: created.offer_id,
            credential_offer_uri,
            tx_code: created.tx_code,
            expires_at: created.expires_at,
        }),
    ))
}

/// `POST /admin/register`: replaces the register with a register file (checked whole before
/// anything is stored).
pub(crate) async fn import_register<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportSummary>, HttpError> {
    let bytes = body_bytes(body, REGISTER_BODY_LIMIT)?;
    let summary = blocking(&state, move |st| {
        // Position-only syntax errors: a parser message could quote a name or an RRN.
        let file = RegisterFile::from_json(&bytes)?;
        Ok(st.issuer.register().import(&file)?)
    })
    .await?;
    flush(&state).await?;
    Ok(Json(summary))
}

/// `POST /admin/events`: applies a register event and revokes what it makes stale.
pub(crate) async fn apply_event<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EventOutcome>, HttpError> {
    let event: RegisterEvent = json_body(body, BODY_LIMIT)?;
    let outcome = blocking(&state, move |st| {
        let now = st.now();
        Ok(st.issuer.apply_event(&event, now)?)
    })
    .await?;
    flush(&state).await?;
    Ok(Json(outcome))
}

/// The answer of a status change.
#[derive(Debug, Serialize)]
pub(crate) struct StatusChanged {
    /// The credential number.
    number: String,
    /// The status before.
    previous: &'static str,
    /// The status now.
    status: &'static str,
}

async fn change_status<S: IssuerSigner + 'static>(
    state: Arc<AppState<S>>,
    number: String,
    status: Status,
    cause: &'static str,
) -> Result<Json<StatusChanged>, HttpError> {
    let previous = blocking(&state, {
        let number = number.clone();
        move |st| Ok(st.issuer.set_status(&number, status, st.now(), cause)?)
    })
    .await?;
    flush(&state).await?;
    tracing::info!(cause, "credential status changed");
    Ok(Json(StatusChanged {
        number,
        previous: previous.name(),
        status: status.name(),
    }))
}

/// `POST /admin/credentials/{number}/revoke`: final.
pub(crate) async fn revoke<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    Path(number): Path<String>,
) -> Result<Json<StatusChanged>, HttpError> {
    change_status(state, number, Status::Invalid, "revoke").await
}

/// `POST /admin/credentials/{number}/suspend`.
pub(crate) async fn suspend<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    Path(number): Path<String>,
) -> Result<Json<StatusChanged>, HttpError> {
    change_status(state, number, Status::Suspended, "suspend").await
}

/// `POST /admin/credentials/{number}/reinstate`.
pub(crate) async fn reinstate<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    Path(number): Path<String>,
) -> Result<Json<StatusChanged>, HttpError> {
    change_status(state, number, Status::Valid, "reinstate").await
}

fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, HttpError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            HttpError::PayloadTooLarge {
                limit,
                oauth: false,
            }
        } else {
            HttpError::BadRequest {
                reason: "the body could not be read".into(),
            }
        }
    })
}

/// A JSON body; a syntax error reports only its position (a message could quote a value).
fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<T, HttpError> {
    let bytes = body_bytes(body, limit)?;
    serde_json::from_slice(&bytes).map_err(|e| HttpError::BadRequest {
        reason: format!(
            "the body is not the expected JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
    })
}
