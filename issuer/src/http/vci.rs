//! The OpenID4VCI 1.0 pre-authorized code flow: the offer, the token, the nonce and the
//! credential endpoints.
//!
//! The credential endpoint, in order:
//! 1. the Bearer access token is known, unexpired and unspent (`invalid_token`, 401);
//! 2. the body is a credential request for the offered configuration
//!    (`invalid_credential_request`, `unknown_credential_configuration`);
//! 3. it carries one key proof JWT that proves possession of its `jwk` for this issuer, fresh
//!    (`invalid_proof`; `dojang_vc::oid4vci::verify_proof`);
//! 4. the proof's nonce was issued by `/nonce` and is used now, once (`invalid_nonce`);
//! 5. the token is taken (atomically: a concurrent request with the same token gets
//!    `invalid_token`), the credential is issued to the offer's person bound to the proven key
//!    (recorded, logged and flushed by `Issuer::issue`), and the token is spent;
//! 6. the answer carries the credential and its log inclusion proof.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FormRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use dojang_vc::oid4vci::{
    CredentialObject, CredentialOffer, CredentialRequest, CredentialResponse, Grants,
    NonceResponse, PreAuthorizedCodeGrant, TokenRequest, TokenResponse, TxCodeSpec,
    PRE_AUTHORIZED_CODE_GRANT,
};
use dojang_vc::Budget;

use super::error::HttpError;
use super::metadata::configuration;
use super::state::AppState;
use super::store::{RedeemError, TokenError, TokenState, ACCESS_TOKEN_TTL, TX_CODE_LENGTH};
use super::{blocking, flush, BODY_LIMIT};
use crate::IssuerSigner;

/// How old a key proof may be (its `iat`), seconds: the nonce it carries lives as long.
const PROOF_MAX_AGE: i64 = super::store::NONCE_TTL;
/// Clock skew allowed between wallet and service, seconds.
const PROOF_LEEWAY: i64 = 60;

/// `GET /offers/{id}`: the credential offer, while it is open.
pub(crate) async fn offer<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    Path(id): Path<String>,
) -> Result<Json<CredentialOffer>, HttpError> {
    let found = blocking(&state, move |st| Ok(st.vci.open_offer(&id, st.now())?)).await?;
    let (record, code) = found.ok_or(HttpError::NotFound { what: "open offer" })?;
    Ok(Json(CredentialOffer {
        credential_issuer: state.public_url.clone(),
        credential_configuration_ids: vec![record.configuration_id],
        grants: Grants {
            pre_authorized_code: PreAuthorizedCodeGrant {
                pre_authorized_code: code,
                tx_code: Some(TxCodeSpec {
                    length: Some(TX_CODE_LENGTH),
                    input_mode: Some("numeric".into()),
                    description: Some(
                        "발급 기관에서 안내받은 여섯 자리 번호 (the six-digit code the office gave you)"
                            .into(),
                    ),
                }),
            },
        },
    }))
}

/// `POST /token`: the pre-authorized code (and transaction code) for an access token.
pub(crate) async fn token<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, HttpError> {
    let Form(request) = form.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            HttpError::PayloadTooLarge {
                limit: BODY_LIMIT,
                oauth: true,
            }
        } else {
            HttpError::InvalidRequest {
                description: "the body must be an application/x-www-form-urlencoded token \
                              request with grant_type and pre-authorized_code"
                    .into(),
            }
        }
    })?;
    if request.grant_type != PRE_AUTHORIZED_CODE_GRANT {
        return Err(HttpError::UnsupportedGrantType);
    }
    let outcome = blocking(&state, move |st| {
        let now = st.now();
        st.maybe_sweep(now)?;
        Ok(st.vci.redeem(
            &request.pre_authorized_code,
            request.tx_code.as_deref(),
            now,
        ))
    })
    .await?;
    // A wrong transaction code changed the offer (its attempt count): flushed before answering
    // either way.
    flush(&state).await?;
    let (access_token, _) = outcome.map_err(|e| match e {
        RedeemError::InvalidCode => HttpError::InvalidGrant {
            description: "the pre-authorized code is unknown, already used, void or expired",
        },
        RedeemError::TxCodeMissing => HttpError::InvalidRequest {
            description: "this offer requires the transaction code (tx_code)".into(),
        },
        RedeemError::TxCodeWrong { burned: false } => HttpError::InvalidGrant {
            description: "the transaction code is wrong",
        },
        RedeemError::TxCodeWrong { burned: true } => HttpError::InvalidGrant {
            description: "the transaction code is wrong; too many attempts, the offer is now void",
        },
        RedeemError::Storage(source) => HttpError::Issuer { source },
    })?;
    Ok(no_store(Json(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TOKEN_TTL,
    })))
}

/// `POST /nonce`: a fresh `c_nonce`, single use, valid five minutes.
pub(crate) async fn nonce<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
) -> Result<Response, HttpError> {
    let c_nonce = blocking(&state, |st| {
        let now = st.now();
        st.maybe_sweep(now)?;
        Ok(st.vci.new_nonce(now)?)
    })
    .await?;
    flush(&state).await?;
    Ok(no_store(Json(NonceResponse { c_nonce })))
}

/// `POST /credential`: see the module documentation for the steps.
pub(crate) async fn credential<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    // 1. The access token.
    let token = bearer(&headers).ok_or(HttpError::InvalidToken {
        description: "a Bearer access token is required",
    })?;
    let token_for_check = token.clone();
    let record = blocking(&state, move |st| {
        st.vci
            .usable_token(&token_for_check, st.now())
            .map_err(token_error)
    })
    .await?;
    // 2. The request.
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            HttpError::PayloadTooLarge {
                limit: BODY_LIMIT,
                oauth: true,
            }
        } else {
            HttpError::InvalidCredentialRequest {
                description: "the body could not be read".into(),
            }
        }
    })?;
    let request: CredentialRequest =
        serde_json::from_slice(&body).map_err(|e| HttpError::InvalidCredentialRequest {
            description: format!(
                "not a credential request (JSON error at line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
    if request.credential_configuration_id != record.configuration_id {
        return Err(HttpError::UnknownCredentialConfiguration);
    }
    let config =
        configuration(&record.configuration_id).ok_or(HttpError::UnknownCredentialConfiguration)?;
    // 3. The key proof.
    let jwts = request
        .proof_jwts()
        .map_err(|source| HttpError::InvalidProof { source })?;
    let [jwt] = jwts.as_slice() else {
        return Err(HttpError::InvalidCredentialRequest {
            description: "one key proof per request: Dojang issues one credential at a time".into(),
        });
    };
    let now = state.now();
    let (holder, nonce) = dojang_vc::oid4vci::verify_proof(
        jwt,
        &state.public_url,
        now,
        PROOF_MAX_AGE,
        PROOF_LEEWAY,
        &Budget::default(),
    )
    .map_err(|source| HttpError::InvalidProof { source })?;
    // 4–5. The nonce, the token, the credential: one blocking step, so that a request cut off
    // by the timeout still leaves the token spent exactly when the credential was issued.
    let person_id = record.person_id;
    let certificate = config.certificate;
    let issued = blocking(&state, move |st| {
        let now = st.now();
        if !st.vci.take_nonce(&nonce, now)? {
            return Err(HttpError::InvalidNonce);
        }
        st.vci
            .move_token(&token, TokenState::Unused, TokenState::InUse, now)
            .map_err(token_error)?;
        let issued = match st.issuer.issue(&person_id, certificate, &holder, now) {
            Ok(issued) => issued,
            Err(source) => {
                // Give the token back: the refusal did not spend it.
                if let Err(e) =
                    st.vci
                        .move_token(&token, TokenState::InUse, TokenState::Unused, now)
                {
                    tracing::error!(error = ?e, "could not release an access token");
                }
                return Err(HttpError::CredentialRequestDenied { source });
            }
        };
        st.vci
            .move_token(&token, TokenState::InUse, TokenState::Used, now)
            .map_err(token_error)?;
        // 6. The inclusion proof. The credential is issued and recorded already: a failure
        // here is logged, and the wallet can fetch the proof later from /log/inclusion.
        let inclusion = match st.issuer.log_inclusion(&issued.record.document_number, now) {
            Ok(inclusion) => Some(inclusion),
            Err(e) => {
                tracing::error!(
                    code = e.code(),
                    "no log inclusion proof for a new credential"
                );
                None
            }
        };
        tracing::info!(
            vct = issued.record.vct,
            log_index = issued.record.log_index,
            "credential issued"
        );
        Ok((issued.sd_jwt, inclusion))
    })
    .await;
    // The nonce is gone and the token moved whatever the outcome: flush before answering.
    flush(&state).await?;
    let (credential, inclusion) = issued?;
    Ok(no_store(Json(CredentialResponse {
        credentials: vec![CredentialObject { credential }],
        notification_id: None,
        dojang_log_inclusion: inclusion,
    })))
}

fn token_error(e: TokenError) -> HttpError {
    match e {
        TokenError::Invalid => HttpError::InvalidToken {
            description: "the access token is unknown, expired or already used",
        },
        TokenError::Storage(source) => HttpError::Issuer { source },
    }
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// A JSON answer that must not be cached (RFC 6749 §5.1).
fn no_store(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
