//! The route handlers. Work that blocks (signing, verifying, journal reads and writes) runs in
//! `spawn_blocking`; the flush that makes the writes durable is awaited (shared with concurrent
//! requests, [`super::flush`]) before the answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_vc::oid4vp::{
    self, ClientMetadata, DcqlQuery, Jwks, RequestObject, ResponseMode, JWE_ENC,
    RESPONSE_TYPE_VP_TOKEN, SELF_ISSUED_AUD,
};
use dojang_vc::VcError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::RpAuth;
use super::error::OAuthError;
use super::refresh::CurrentTrust;
use super::result::{has_claim, open_result, Checks, ErrorBody, ResultRecord};
use super::store::StoredRequest;
use super::{AppError, AppState, CREDENTIAL_QUERY_ID, MAX_BODY_BYTES};
use crate::validity::rfc3339;
use crate::{verify, Challenge, Check, Inputs, NonceStore, VerifyError};

/// Claim paths in one request: the largest schema has a few dozen top-level claims; 64 leaves
/// room while bounding the DCQL query and the entitlement checks.
const MAX_CLAIMS: usize = 64;
/// Bytes of one claim path or `vct`: real ones are under 64.
const MAX_NAME_BYTES: usize = 256;
/// Characters of a purpose: a sentence or two shown on a phone screen.
const MAX_PURPOSE_CHARS: usize = 500;
/// Freshness a request may ask for, days: ten years covers any policy.
const MAX_AGE_DAYS_LIMIT: i64 = 3650;
/// Bytes of a request id in a path (ours are 56: [`ordered_value`]).
const MAX_ID_BYTES: usize = 64;

/// `GET /healthz`.
pub(crate) async fn healthz(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(state.health())
}

/// The body of `POST /requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequestBody {
    vct: String,
    #[serde(default)]
    claims: Vec<String>,
    purpose: String,
    #[serde(default)]
    max_age_days: Option<i64>,
    #[serde(default)]
    response_mode: Option<ResponseMode>,
}

/// The body, or why it cannot be read.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, AppError> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge {
                max: MAX_BODY_BYTES,
            }
        } else {
            AppError::InvalidRequest(r.body_text())
        }
    })
}

/// Whether the `Content-Type` is `expected` (parameters such as `charset` allowed).
fn content_type_is(headers: &HeaderMap, expected: &'static str) -> Result<(), AppError> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected));
    if ok {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType { expected })
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Runs blocking work and awaits it.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("blocking task: {e}")))?
}

/// `POST /requests` (RP API): makes a signed request for `vct` with `claims`, stores it and its
/// nonce durably, and answers the `openid4vp://` link.
pub(crate) async fn create_request(
    _auth: RpAuth,
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    content_type_is(&headers, "application/json")?;
    let body = body_bytes(body)?;
    let req: CreateRequestBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::InvalidRequest(format!("body: {e}")))?;
    check_create(&req)?;
    check_entitled(&state, &req)?;
    let s = Arc::clone(&state);
    let created = blocking(move || make_request(&s, req)).await?;
    // The request and its nonce are on disk before the link goes out.
    state.stores.durable().await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

fn check_create(req: &CreateRequestBody) -> Result<(), AppError> {
    let bad = |m: &str| Err(AppError::InvalidRequest(m.to_owned()));
    if req.vct.is_empty() || req.vct.len() > MAX_NAME_BYTES {
        return bad("vct must be 1 to 256 bytes");
    }
    if req.claims.len() > MAX_CLAIMS {
        return bad("at most 64 claims");
    }
    for c in &req.claims {
        if c.is_empty() || c.len() > MAX_NAME_BYTES || c.split('.').any(str::is_empty) {
            return bad("a claim path is a dot path of non-empty names, at most 256 bytes");
        }
    }
    let purpose_chars = req.purpose.chars().count();
    if purpose_chars == 0 || purpose_chars > MAX_PURPOSE_CHARS {
        return bad("purpose must be 1 to 500 characters");
    }
    if let Some(d) = req.max_age_days {
        if !(1..=MAX_AGE_DAYS_LIMIT).contains(&d) {
            return bad("max_age_days must be 1 to 3650");
        }
    }
    Ok(())
}

/// With a trust list, the relying party asks only for what it is entitled to
/// (`specs/trust-model.md` §7): a wallet would refuse the rest anyway.
fn check_entitled(state: &AppState, req: &CreateRequestBody) -> Result<(), AppError> {
    let trust = state.current_trust();
    let CurrentTrust::List { trust, .. } = trust.as_ref() else {
        return Ok(());
    };
    let list = trust.list();
    let not_entitled = |path: &str| AppError::NotEntitled {
        vct: req.vct.clone(),
        path: path.to_owned(),
    };
    let rp = list
        .relying_party(&state.client_id)
        .ok_or_else(|| not_entitled("*"))?;
    if !rp.entitlements.contains_key(&req.vct) {
        return Err(not_entitled("*"));
    }
    match req.claims.iter().find(|c| !rp.entitled(&req.vct, c)) {
        Some(path) => Err(not_entitled(path)),
        None => Ok(()),
    }
}

/// A fresh value for a request's id (which is also its `state`) or nonce: the time as 13 hex
/// digits of microseconds since the epoch, then 256 random bits ([`oid4vp::random_value`], 43
/// characters). The random part makes it unguessable; the prefix makes values made one after
/// another sort together, so the stores' B-trees (keyed by ids) take new records at their right
/// edge, and a response, which comes in seconds or minutes, finds its request and writes its
/// result in pages still cached instead of reading a random page back from disk each time.
/// 56 characters, inside the 64 that a request id may have ([`MAX_ID_BYTES`]).
fn ordered_value() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    format!("{micros:013x}{}", oid4vp::random_value())
}

fn make_request(state: &AppState, body: CreateRequestBody) -> Result<Value, AppError> {
    let now = state.now();
    let id = ordered_value();
    let mode = body.response_mode.unwrap_or(ResponseMode::DirectPost);
    let encrypted = mode == ResponseMode::DirectPostJwt;
    let object_uri = format!("{}/requests/{id}/object", state.public_url);
    let request = RequestObject {
        client_id: state.client_id.clone(),
        response_type: RESPONSE_TYPE_VP_TOKEN.to_owned(),
        response_mode: mode,
        response_uri: format!("{}/response", state.public_url),
        nonce: ordered_value(),
        // The request's id: a response finds its request with one read (`store.rs`). Whoever
        // holds the request link can read the `state` from the request object anyway.
        state: id.clone(),
        dcql_query: DcqlQuery::single(CREDENTIAL_QUERY_ID, &body.vct, &body.claims),
        client_metadata: Some(ClientMetadata {
            jwks: encrypted.then(|| Jwks {
                keys: vec![state.response_key_public.clone()],
            }),
            encrypted_response_enc_values_supported: encrypted.then(|| vec![JWE_ENC.to_owned()]),
            vp_formats_supported: Some(json!({
                "dc+sd-jwt": {
                    "sd-jwt_alg_values": ["EdDSA"],
                    "kb-jwt_alg_values": ["EdDSA"],
                }
            })),
        }),
        iat: now,
        exp: now + state.request_ttl_seconds,
        purpose: Some(body.purpose.clone()),
        aud: SELF_ISSUED_AUD.to_owned(),
    };
    let object = oid4vp::sign_request_object(
        &request,
        &state.signing_kid,
        state.signing_key.signing_key(),
    )
    .map_err(|e| AppError::Internal(format!("signing the request object: {e}")))?;
    let stored = StoredRequest {
        id: id.clone(),
        state: request.state.clone(),
        nonce: request.nonce.clone(),
        vct: body.vct,
        claims: body.claims,
        purpose: body.purpose,
        response_mode: mode,
        max_age_days: body.max_age_days,
        iat: now,
        exp: request.exp,
        object: String::new(),
        spent_by_result: true,
    };
    state.stores.put_request(&stored, &object)?;
    tracing::info!(
        request = %id,
        vct = %stored.vct,
        claims = stored.claims.len(),
        mode = %mode.as_str(),
        "presentation request created"
    );
    Ok(json!({
        "id": id,
        "request_uri": oid4vp::request_uri(&state.client_id, &object_uri),
        "request_object_uri": object_uri,
        "response_mode": mode.as_str(),
        "expires_at": rfc3339(request.exp),
    }))
}

/// `GET /requests/{id}/result` (RP API).
pub(crate) async fn request_result(
    _auth: RpAuth,
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, AppError> {
    let Ok(Path(id)) = id else {
        return Err(AppError::RequestUnknown);
    };
    if !valid_id(&id) {
        return Err(AppError::RequestUnknown);
    }
    let req = state.stores.request(&id)?.ok_or(AppError::RequestUnknown)?;
    if let Some(mut result) = state.stores.result(&id)? {
        if let Value::Object(m) = &mut result {
            m.insert("id".into(), Value::from(id));
            m.insert("expires_at".into(), Value::from(rfc3339(req.exp)));
        }
        return Ok(Json(result));
    }
    let status = if state.now() >= req.exp {
        "expired"
    } else {
        "pending"
    };
    Ok(Json(open_result(&id, status, &req.vct, &rfc3339(req.exp))))
}

/// `GET /requests/{id}/object` (wallet): the signed request object, until the request expires.
pub(crate) async fn request_object(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Ok(Path(id)) = id else {
        return Err(AppError::RequestUnknown);
    };
    if !valid_id(&id) {
        return Err(AppError::RequestUnknown);
    }
    let req = state.stores.request(&id)?.ok_or(AppError::RequestUnknown)?;
    if state.now() >= req.exp {
        return Err(AppError::RequestExpired { gone: true });
    }
    let mut response = state.stores.request_object(&req)?.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(oid4vp::REQUEST_OBJECT_CONTENT_TYPE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// What a wallet answered, decoded.
#[derive(Debug)]
enum Answer {
    /// Presentations by credential query id.
    Presentations(BTreeMap<String, Vec<String>>),
    /// The wallet declined (OpenID4VP 1.0 §8.5: `error`, e.g. `access_denied`).
    Declined(String),
}

/// `POST /response` (wallet): `direct_post` or `direct_post.jwt`; see the module docs for the
/// steps.
pub(crate) async fn response(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, OAuthError> {
    Ok(answer_response(&state, &headers, body).await?)
}

async fn answer_response(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, AppError> {
    content_type_is(headers, "application/x-www-form-urlencoded")?;
    let body = body_bytes(body)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::Response(invalid("the form is not UTF-8")))?;
    let form = oid4vp::parse_form(text).map_err(AppError::Response)?;
    let budget = state.policy.budget;
    let (answer, wallet_state, encrypted) = if let Some(jwe) = field(&form, "response") {
        if form.len() != 1 {
            return Err(AppError::Response(invalid(
                "a direct_post.jwt form holds `response` only",
            )));
        }
        let payload = oid4vp::decrypt_response(jwe, &state.response_key_private)
            .map_err(AppError::Response)?;
        let (answer, st) = read_payload(&payload, &budget)?;
        (answer, st, true)
    } else {
        let (answer, st) = read_form(&form, &budget)?;
        (answer, st, false)
    };
    let s = Arc::clone(state);
    let answered = blocking(move || answer_request(&s, answer, &wallet_state, encrypted)).await?;
    // The nonce was spent and the result stored: answer once both are on disk.
    state.stores.durable().await?;
    answered
}

fn invalid(reason: &str) -> VcError {
    VcError::ResponseInvalid {
        reason: reason.to_owned(),
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The parameters an authorization response may carry.
const RESPONSE_PARAMETERS: [&str; 4] = ["vp_token", "state", "error", "error_description"];

/// Whether `error` is an OAuth error code as a wallet sends it: 1 to 64 of `a-z` and `_`.
fn error_code_ok(error: &str) -> bool {
    !error.is_empty()
        && error.len() <= 64
        && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn unknown_parameter() -> AppError {
    AppError::Response(invalid(
        "the response carries a parameter this verifier does not take",
    ))
}

fn either_token_or_error() -> AppError {
    AppError::Response(invalid(
        "the response holds either vp_token or an error code",
    ))
}

fn state_required() -> AppError {
    AppError::Response(invalid("state is required"))
}

/// Reads the authorization response parameters of a `direct_post` form: `vp_token` (its JSON
/// parsed once, strictly: duplicate keys, depth and size budgets) and `state`, or `error` (with
/// an optional `error_description`) and `state`. The same checks, in the same order, as
/// [`read_payload`] makes on a decrypted `direct_post.jwt` payload.
fn read_form(
    form: &[(String, String)],
    budget: &dojang_vc::Budget,
) -> Result<(Answer, String), AppError> {
    let token = field(form, "vp_token")
        .map(|text| oid4vp::parse_vp_token_text(text, budget).map_err(AppError::Response))
        .transpose()?;
    if form
        .iter()
        .any(|(k, _)| !RESPONSE_PARAMETERS.contains(&k.as_str()))
    {
        return Err(unknown_parameter());
    }
    let state = field(form, "state").ok_or_else(state_required)?.to_owned();
    match (token, field(form, "error")) {
        (Some(parsed), None) => Ok((Answer::Presentations(parsed), state)),
        (None, Some(error)) if error_code_ok(error) => {
            Ok((Answer::Declined(error.to_owned()), state))
        }
        _ => Err(either_token_or_error()),
    }
}

/// Reads the authorization response parameters of a decrypted `direct_post.jwt` payload:
/// `vp_token` and `state`, or `error` (with an optional `error_description`) and `state`.
fn read_payload(payload: &Value, budget: &dojang_vc::Budget) -> Result<(Answer, String), AppError> {
    let obj = payload
        .as_object()
        .ok_or_else(|| AppError::Response(invalid("the response is not an object")))?;
    if obj
        .keys()
        .any(|k| !RESPONSE_PARAMETERS.contains(&k.as_str()))
    {
        return Err(unknown_parameter());
    }
    let state = obj
        .get("state")
        .and_then(Value::as_str)
        .ok_or_else(state_required)?
        .to_owned();
    match (obj.get("vp_token"), obj.get("error")) {
        (Some(token), None) => {
            let parsed = oid4vp::parse_vp_token(token, budget).map_err(AppError::Response)?;
            Ok((Answer::Presentations(parsed), state))
        }
        (None, Some(Value::String(error))) if error_code_ok(error) => {
            Ok((Answer::Declined(error.clone()), state))
        }
        _ => Err(either_token_or_error()),
    }
}

/// A nonce store for a nonce the handler has already spent (atomically, durably) before running
/// the pipeline: the pipeline's nonce step then records that it was spent for this response.
struct AlreadySpent<'a>(&'a str);

impl NonceStore for AlreadySpent<'_> {
    fn issue(&self, _nonce: &str) {}
    fn consume(&self, nonce: &str) -> Result<(), VerifyError> {
        if nonce == self.0 {
            Ok(())
        } else {
            Err(VerifyError::NonceUnknown)
        }
    }
}

/// What a response came to: the stored result's bytes, and the answer's code and message when
/// it was rejected.
struct Judged {
    record: Vec<u8>,
    rejected: Option<(String, String)>,
}

/// Steps 2 to 5 and the writes of step 6 of the module docs. `Err`: refused before anything was
/// written. `Ok(answer)`: the nonce was spent and the result stored, not yet flushed; `answer`
/// is what to send once they are on disk.
fn answer_request(
    state: &AppState,
    answer: Answer,
    wallet_state: &str,
    encrypted: bool,
) -> Result<Result<Json<Value>, AppError>, AppError> {
    let now = state.now();
    let req = state
        .stores
        .request_by_state(wallet_state)?
        .ok_or(AppError::StateUnknown)?;
    if encrypted != (req.response_mode == ResponseMode::DirectPostJwt) {
        return Err(AppError::ResponseModeMismatch);
    }
    if now >= req.exp {
        return Err(AppError::RequestExpired { gone: false });
    }
    let presentation = match &answer {
        Answer::Presentations(token) => {
            let only = match (token.len(), token.get(CREDENTIAL_QUERY_ID)) {
                (1, Some(list)) if list.len() == 1 => list.first(),
                _ => None,
            };
            Some(only.ok_or_else(|| {
                AppError::Response(invalid(
                    "vp_token must hold exactly one presentation, for the request's credential query",
                ))
            })?)
        }
        Answer::Declined(_) => None,
    };
    let replayed = |e: VerifyError| {
        tracing::warn!(request = %req.id, code = e.code(), "second response for a request refused");
        AppError::Nonce(e)
    };
    // One response per request. A request of the earlier form spends its nonce first,
    // atomically, in the `nonces` tree; every other one spends it by storing its result, below.
    if !req.spent_by_result {
        state
            .stores
            .spend_earlier_nonce(&req.nonce)
            .map_err(replayed)?;
    }
    let received_at = rfc3339(now);
    let judged = match (presentation, &answer) {
        (Some(p), _) => verify_presentation(state, &req, p, now, &received_at),
        (None, Answer::Declined(error)) => {
            let message = format!("the wallet answered `{error}`");
            let added = [check(
                "response",
                false,
                "the wallet declined to present".into(),
            )];
            let record = ResultRecord {
                error: Some(ErrorBody {
                    code: "wallet_declined",
                    message: &message,
                }),
                ..rejected_record(&req, &[], &added, None, &received_at)
            };
            judge(&record, Some(("wallet_declined", &message)))
        }
        (None, Answer::Presentations(_)) => {
            return Err(AppError::Internal("no presentation to verify".into()))
        }
    }
    .map_err(|e| AppError::Internal(format!("serializing the result: {e}")))?;
    // Atomically, only if no other response stored a result first (durably before any answer
    // that relies on it: the caller flushes).
    if !state.stores.put_result(&req.id, &judged.record, now)? {
        return Err(replayed(VerifyError::NonceReplayed));
    }
    Ok(match judged.rejected {
        None => {
            tracing::info!(request = %req.id, "presentation verified");
            Ok(Json(json!({})))
        }
        Some((code, message)) => {
            tracing::info!(request = %req.id, %code, "presentation rejected");
            Err(AppError::Rejected { code, message })
        }
    })
}

fn check(step: &'static str, ok: bool, detail: String) -> Check {
    Check { step, ok, detail }
}

/// The claims of a result with none.
static NO_CLAIMS: std::sync::LazyLock<serde_json::Map<String, Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

/// A rejection's record ([`super::result::rejected_json`]'s shape) for `req`; `error` is set by
/// the caller.
fn rejected_record<'a>(
    req: &'a StoredRequest,
    pipeline: &'a [Check],
    added: &'a [Check],
    lists: Option<&'a Value>,
    received_at: &'a str,
) -> ResultRecord<'a> {
    ResultRecord {
        verified: false,
        vct: None,
        issuer: None,
        claims: &NO_CLAIMS,
        disclosed: &[],
        checks: Checks { pipeline, added },
        provenance: &[],
        error: None,
        lists,
        status: "rejected",
        requested_vct: &req.vct,
        response_mode: req.response_mode.as_str(),
        received_at,
    }
}

/// The record's bytes, with the rejection's code and message if it is one.
fn judge(
    record: &ResultRecord<'_>,
    rejected: Option<(&str, &str)>,
) -> Result<Judged, serde_json::Error> {
    Ok(Judged {
        record: serde_json::to_vec(record)?,
        rejected: rejected.map(|(c, m)| (c.to_owned(), m.to_owned())),
    })
}

/// Steps 4 and 5 of the module docs: the pipeline, then the requested claims.
fn verify_presentation(
    state: &AppState,
    req: &StoredRequest,
    presentation: &str,
    now: i64,
    received_at: &str,
) -> Result<Judged, serde_json::Error> {
    let trust = state.current_trust();
    let status = state.current_status();
    let report = state.lists_report(&trust, now);
    let (lists, lists_detail) = &*report;
    let lists_check = check("lists", true, lists_detail.clone());
    if let CurrentTrust::List { trust: t, .. } = trust.as_ref() {
        if now >= t.list().exp() {
            let e = VcError::TrustListExpired {
                exp: t.list().exp(),
                now,
            };
            let (code, message) = (e.code(), e.to_string());
            let pipeline = [check("trust_list", false, format!("{code}: {e}"))];
            let added = [lists_check];
            let record = ResultRecord {
                error: Some(ErrorBody {
                    code,
                    message: &message,
                }),
                ..rejected_record(req, &pipeline, &added, Some(lists), received_at)
            };
            return judge(&record, Some((code, &message)));
        }
    }
    let mut policy = state.policy.clone();
    policy.accepted_vcts = vec![req.vct.clone()];
    policy.require_key_binding = true;
    if req.max_age_days.is_some() {
        policy.max_credential_age_days = req.max_age_days;
    }
    let challenge = Challenge {
        aud: state.client_id.clone(),
        nonce: req.nonce.clone(),
    };
    let spent = AlreadySpent(&req.nonce);
    let outcome = verify(
        presentation.trim(),
        &Inputs {
            trust: trust.as_trust(),
            policy: &policy,
            challenge: Some(&challenge),
            nonces: Some(&spent),
            status: Some(&status),
            log: None,
            now,
        },
    );
    let pipeline = outcome.report.checks();
    let p = match &outcome.result {
        Ok(p) => p,
        Err(e) => {
            let (code, message) = (e.code(), e.to_string());
            let added = [lists_check];
            let record = ResultRecord {
                error: Some(ErrorBody {
                    code,
                    message: &message,
                }),
                ..rejected_record(req, pipeline, &added, Some(lists), received_at)
            };
            return judge(&record, Some((code, &message)));
        }
    };
    let missing: Vec<&str> = req
        .claims
        .iter()
        .filter(|c| !has_claim(&p.claims, c))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let detail = format!("requested claim(s) not disclosed: {}", missing.join(", "));
        let added = [check("request", false, detail.clone()), lists_check];
        let record = ResultRecord {
            error: Some(ErrorBody {
                code: "claims_missing",
                message: &detail,
            }),
            ..rejected_record(req, pipeline, &added, Some(lists), received_at)
        };
        return judge(&record, Some(("claims_missing", &detail)));
    }
    let detail = format!("all {} requested claim(s) disclosed", req.claims.len());
    let added = [check("request", true, detail), lists_check];
    let record = ResultRecord {
        verified: true,
        vct: Some(&p.vct),
        issuer: Some(&p.issuer),
        claims: &p.claims,
        disclosed: &p.disclosed,
        checks: Checks {
            pipeline,
            added: &added,
        },
        provenance: &outcome.provenance,
        error: None,
        lists: Some(lists),
        status: "verified",
        requested_vct: &req.vct,
        response_mode: req.response_mode.as_str(),
        received_at,
    };
    judge(&record, None)
}
