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
//! 5. the token is taken into use (atomically: a concurrent request with the same token gets
//!    `invalid_token`), and the credential is issued to the offer's person bound to the proven
//!    key through the [`GroupCommitter`](crate::GroupCommitter): concurrent requests share one
//!    transaction (records, status entries, log leaves) and one flush. Between the two, the
//!    token is recorded as spent (or given back, when the request is refused), so that the
//!    flush makes the spent nonce, the token's state and the credential durable together,
//!    before any answer;
//! 6. the answer carries the credential and its log inclusion proof, against the checkpoint
//!    signed for its batch.
//!
//! Steps 1–4 (the token lookup, the request, the proof's signature) run per request, before
//! the request joins a batch. A refusal is on disk before it is answered.

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
use crate::{AfterCommit, Answer, Committed, IssueRequest, IssuerError, IssuerSigner};

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
    // Steps 1–5 in one blocking step: one hand-over to a blocking thread and back.
    let answer = blocking(&state, move |st| Ok(admit(st, token, body))).await?;
    let answer = match answer {
        Ok(answer) => answer,
        Err(Refusal { error, wrote }) => {
            if wrote {
                // The nonce was spent: on disk before the answer.
                flush(&state).await?;
            }
            return Err(error);
        }
    };
    let outcome = answer.await.unwrap_or_else(|_| {
        Err(IssuerError::Corrupt {
            what: "issuer",
            reason: "the issuance thread stopped".into(),
        })
    });
    let Committed {
        credential,
        inclusion,
    } = match outcome {
        Ok(committed) => committed,
        Err(source) => {
            // Its batch flushed the refusal already, unless the batch never ran.
            flush(&state).await?;
            return Err(HttpError::CredentialRequestDenied { source });
        }
    };
    // 6. The inclusion proof, against the checkpoint signed for the batch. The credential is
    // issued and recorded already: a missing proof is logged, and the wallet can fetch it later
    // from /log/inclusion.
    if inclusion.is_none() {
        tracing::error!("no log inclusion proof for a new credential");
    }
    tracing::info!(
        vct = credential.record.vct,
        log_index = credential.record.log_index,
        "credential issued"
    );
    Ok(no_store(Json(CredentialResponse {
        credentials: vec![CredentialObject {
            credential: credential.sd_jwt,
        }],
        notification_id: None,
        dojang_log_inclusion: inclusion,
    })))
}

/// A request refused in [`admit`]; `wrote` when it spent its nonce (or more) first.
struct Refusal {
    error: HttpError,
    wrote: bool,
}

impl From<HttpError> for Refusal {
    fn from(error: HttpError) -> Self {
        Refusal {
            error,
            wrote: false,
        }
    }
}

/// Steps 1–5 of the module documentation for a request bearing `token`, on a blocking thread:
/// the checks, then the nonce spent and the token taken, then the request submitted to the
/// group committer, whose answer is returned.
fn admit<S: IssuerSigner + 'static>(
    st: &AppState<S>,
    token: String,
    body: Result<Bytes, BytesRejection>,
) -> Result<Answer, Refusal> {
    // 1. The access token.
    let record = st.vci.usable_token(&token, st.now()).map_err(token_error)?;
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
        return Err(HttpError::UnknownCredentialConfiguration.into());
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
        }
        .into());
    };
    let now = st.now();
    let (holder, nonce) = dojang_vc::oid4vci::verify_proof(
        jwt,
        &st.public_url,
        now,
        PROOF_MAX_AGE,
        PROOF_LEEWAY,
        &Budget::default(),
    )
    .map_err(|source| HttpError::InvalidProof { source })?;
    // 4. The nonce: used now, once (removed whatever the outcome).
    let wrote = |error: HttpError| Refusal { error, wrote: true };
    if !st
        .vci
        .take_nonce(&nonce, now)
        .map_err(|e| wrote(e.into()))?
    {
        return Err(wrote(HttpError::InvalidNonce));
    }
    // 5. The token, taken into use; the request joins a batch. Between the batch's transaction
    // and its flush the token is spent with the credential, or given back when the request is
    // refused (it did not spend it); the flush makes the spent nonce, the token's state and the
    // credential durable together, before any answer.
    st.vci
        .move_token(&token, TokenState::Unused, TokenState::InUse, now)
        .map_err(|e| wrote(token_error(e)))?;
    let vci = st.vci.clone();
    let settle_token: AfterCommit = Box::new(move |issued| {
        let to = if issued {
            TokenState::Used
        } else {
            TokenState::Unused
        };
        if let Err(e) = vci.move_token(&token, TokenState::InUse, to, now) {
            tracing::error!(error = ?e, "could not settle an access token");
        }
    });
    let request = IssueRequest {
        person_id: record.person_id,
        certificate: config.certificate,
        holder,
    };
    Ok(st.committer.submit(request, now, Some(settle_token)))
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
