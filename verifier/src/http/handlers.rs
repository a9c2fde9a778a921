//! The route handlers. Work that blocks (signing, journal reads and writes) runs in
//! `spawn_blocking`, and responses are answered, verified with the others waiting, on the
//! answering threads ([`super::gather`]); the flush that makes the writes durable is awaited
//! (shared with concurrent requests, [`super::flush`]) before the answer.

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
use crate::status::StatusListCache;
use crate::validity::rfc3339;
use crate::{verify_many, Challenge, Check, Inputs, NonceStore, Outcome, Policy, VerifyError};

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
pub(crate) enum Answer {
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
    let answered = state
        .gather
        .answer(Arc::clone(state), (answer, wallet_state, encrypted))
        .await??;
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

/// A response through steps 2 and 3 of the module docs, waiting for its verification.
pub(crate) struct Admitted {
    req: StoredRequest,
    answer: Answer,
}

impl Admitted {
    /// The presentation to verify, if the wallet sent one ([`admit`] checked there is one).
    fn presentation(&self) -> Option<&str> {
        match &self.answer {
            Answer::Presentations(token) => token
                .get(CREDENTIAL_QUERY_ID)
                .and_then(|list| list.first())
                .map(String::as_str),
            Answer::Declined(_) => None,
        }
    }
}

/// What one response came to: `Err`, refused before anything was written; `Ok(answer)`, the
/// nonce was spent and the result stored, not yet flushed, and `answer` is what to send once
/// they are on disk.
pub(crate) type Answered = Result<Result<Json<Value>, AppError>, AppError>;

fn replayed(req: &StoredRequest, e: VerifyError) -> AppError {
    tracing::warn!(request = %req.id, code = e.code(), "second response for a request refused");
    AppError::Nonce(e)
}

/// Steps 2 and 3 of the module docs: the request, its mode and expiry, one presentation (or a
/// refusal by the wallet), and for a request of the earliest form its nonce spent.
fn admit(
    state: &AppState,
    answer: Answer,
    wallet_state: &str,
    encrypted: bool,
    now: i64,
) -> Result<Admitted, AppError> {
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
    if let Answer::Presentations(token) = &answer {
        let one = match (token.len(), token.get(CREDENTIAL_QUERY_ID)) {
            (1, Some(list)) => list.len() == 1,
            _ => false,
        };
        if !one {
            return Err(AppError::Response(invalid(
                "vp_token must hold exactly one presentation, for the request's credential query",
            )));
        }
    }
    // One response per request. A request of the earliest form spends its nonce first,
    // atomically, in the `nonces` tree; every other one spends it by storing its result
    // ([`conclude`]).
    if !req.spent_by_result {
        state
            .stores
            .spend_earlier_nonce(&req.nonce)
            .map_err(|e| replayed(&req, e))?;
    }
    Ok(Admitted { req, answer })
}

/// Steps 2 to 6 for responses that arrived together, one answer for each, in order: each
/// admitted ([`admit`]), their presentations verified in one batch ([`crate::verify_many`]: the
/// signatures of all of them checked in one computation, each answer the one `verify` gives),
/// each result stored ([`conclude`]).
pub(crate) fn answer_requests(state: &AppState, responses: Vec<Response3>) -> Vec<Answered> {
    let now = state.now();
    let admitted: Vec<Result<Admitted, AppError>> = responses
        .into_iter()
        .map(|(answer, wallet_state, encrypted)| {
            admit(state, answer, &wallet_state, encrypted, now)
        })
        .collect();
    let received_at = rfc3339(now);
    let lists = Lists::read(state, now);
    let setups: Vec<Option<Result<Setup, Result<Judged, serde_json::Error>>>> = admitted
        .iter()
        .map(|a| match a {
            Ok(a) => a
                .presentation()
                .map(|_| lists.setup(state, &a.req, &received_at)),
            Err(_) => None,
        })
        .collect();
    // The presentations to verify, with their inputs.
    let spent: Vec<Option<AlreadySpent<'_>>> = admitted
        .iter()
        .map(|a| a.as_ref().ok().map(|a| AlreadySpent(&a.req.nonce)))
        .collect();
    let mut batch = Vec::new();
    let mut place = Vec::new();
    for (i, setup) in setups.iter().enumerate() {
        if let (Some(Ok(setup)), Ok(a), Some(spent)) = (setup, &admitted[i], &spent[i]) {
            if let Some(p) = a.presentation() {
                batch.push((p.trim(), lists.inputs(setup, spent, now)));
                place.push(i);
            }
        }
    }
    let outcomes = verify_many(&batch);
    let mut outcomes: Vec<Option<Outcome>> = {
        let mut by_place: Vec<Option<Outcome>> = (0..admitted.len()).map(|_| None).collect();
        for (i, outcome) in place.into_iter().zip(outcomes) {
            by_place[i] = Some(outcome);
        }
        by_place
    };
    admitted
        .into_iter()
        .zip(setups)
        .enumerate()
        .map(|(i, (admitted, setup))| {
            let admitted = admitted?;
            let judged = match (setup, outcomes[i].take(), &admitted.answer) {
                (Some(Err(judged)), _, _) => judged,
                (Some(Ok(setup)), Some(outcome), _) => {
                    lists.judge(&admitted.req, &setup, &outcome, &received_at)
                }
                (None, _, Answer::Declined(error)) => declined(&admitted.req, error, &received_at),
                _ => return Err(AppError::Internal("no presentation to verify".into())),
            }
            .map_err(|e| AppError::Internal(format!("serializing the result: {e}")))?;
            conclude(state, &admitted.req, judged, now)
        })
        .collect()
}

/// A response as the handler read it: the answer, the `state` it names, and whether it came
/// encrypted.
pub(crate) type Response3 = (Answer, String, bool);

/// The record of a response by which the wallet declined.
fn declined(
    req: &StoredRequest,
    error: &str,
    received_at: &str,
) -> Result<Judged, serde_json::Error> {
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
        ..rejected_record(req, &[], &added, None, received_at)
    };
    judge(&record, Some(("wallet_declined", &message)))
}

/// The write of step 6: the result stored, atomically, only if no other response stored one
/// first (durably before any answer that relies on it: the caller flushes).
fn conclude(state: &AppState, req: &StoredRequest, judged: Judged, now: i64) -> Answered {
    if !state.stores.put_result(&req.id, &judged.record, now)? {
        return Err(replayed(req, VerifyError::NonceReplayed));
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

/// The lists a batch of responses is verified against, read once.
struct Lists {
    trust: Arc<CurrentTrust>,
    status: Arc<StatusListCache>,
    report: Arc<(Value, String)>,
    /// The trust list's expiry, when it is past.
    expired: Option<VcError>,
}

/// What one verification's [`Inputs`] borrow, besides the lists.
struct Setup {
    policy: Policy,
    challenge: Challenge,
    /// The `lists` check of the result.
    lists_check: Check,
}

impl Lists {
    fn read(state: &AppState, now: i64) -> Self {
        let trust = state.current_trust();
        let status = state.current_status();
        let report = state.lists_report(&trust, now);
        let expired = match trust.as_ref() {
            CurrentTrust::List { trust: t, .. } if now >= t.list().exp() => {
                Some(VcError::TrustListExpired {
                    exp: t.list().exp(),
                    now,
                })
            }
            _ => None,
        };
        Self {
            trust,
            status,
            report,
            expired,
        }
    }

    /// Step 4's inputs for `req`, or, when the trust list has expired, the rejection.
    fn setup(
        &self,
        state: &AppState,
        req: &StoredRequest,
        received_at: &str,
    ) -> Result<Setup, Result<Judged, serde_json::Error>> {
        let (lists, lists_detail) = &*self.report;
        let lists_check = check("lists", true, lists_detail.clone());
        if let Some(e) = &self.expired {
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
            return Err(judge(&record, Some((code, &message))));
        }
        let mut policy = state.policy.clone();
        policy.accepted_vcts = vec![req.vct.clone()];
        policy.require_key_binding = true;
        if req.max_age_days.is_some() {
            policy.max_credential_age_days = req.max_age_days;
        }
        Ok(Setup {
            policy,
            challenge: Challenge {
                aud: state.client_id.clone(),
                nonce: req.nonce.clone(),
            },
            lists_check,
        })
    }

    fn inputs<'a>(&'a self, setup: &'a Setup, spent: &'a AlreadySpent<'_>, now: i64) -> Inputs<'a> {
        Inputs {
            trust: self.trust.as_trust(),
            policy: &setup.policy,
            challenge: Some(&setup.challenge),
            nonces: Some(spent),
            status: Some(&self.status),
            log: None,
            now,
        }
    }

    /// Step 5 of the module docs after the pipeline's outcome: the requested claims, and the
    /// result's record.
    fn judge(
        &self,
        req: &StoredRequest,
        setup: &Setup,
        outcome: &Outcome,
        received_at: &str,
    ) -> Result<Judged, serde_json::Error> {
        let (lists, _) = &*self.report;
        let lists_check = setup.lists_check.clone();
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
}
