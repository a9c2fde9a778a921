//! The OpenID4VP verifier service, in process: the RP API, the wallet-facing routes, replay,
//! expiry, encrypted responses, entitlements from a trust list, status lists fetched in the
//! background, and the route list against the OpenAPI description.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use dojang_did::{did_for_key, DidMethod, PrivateJwk};
use dojang_vc::oid4vp::{self, RequestObject};
use dojang_vc::present::present;
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::trust_list::{
    sign_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey, RelyingParty, TrustList,
};
use dojang_vc::{Budget, IssueOptions};
use dojang_verifier::http::{
    router, AppState, ListLocation, ServiceConfig, Swept, TrustConfig, CREDENTIAL_QUERY_ID,
    EXPIRED_GRACE_SECONDS, ROUTES,
};
use dojang_verifier::TrustedIssuers;
use serde_json::{json, Map, Value};
use tower::ServiceExt as _;

const NOW: i64 = 1_780_000_000;
const CLIENT_ID: &str = "https://bank.example";
const PUBLIC_URL: &str = "https://verifier.bank.example";
const TOKEN: &str = "rp-token-0123456789abcdef";
const VCT: &str = "urn:dojang:kr:resident-registration-copy:1";

struct Setup {
    app: Router,
    state: Arc<AppState>,
    clock: Arc<AtomicI64>,
    rp: PrivateJwk,
    issuer: PrivateJwk,
    did: String,
    kid: String,
    holder: PrivateJwk,
    _dir: tempfile::TempDir,
}

fn claims() -> Map<String, Value> {
    json!({
        "name": "김민준",
        "rrn": "900101-1234567",
        "address": {"road_address": "서울특별시 종로구 세종대로 209", "postal_code": "03154"},
        "age_over_19": true
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// A service trusting one did:key issuer, or, with `trust`, the given trust configuration.
fn setup_with(
    trust: impl FnOnce(&str, &std::path::Path) -> TrustConfig,
    issuer: PrivateJwk,
    rp: PrivateJwk,
    status_lists: Vec<String>,
) -> Setup {
    setup_configured(trust, issuer, rp, status_lists, |_| {})
}

/// As [`setup_with`], with `configure` applied to the configuration last.
fn setup_configured(
    trust: impl FnOnce(&str, &std::path::Path) -> TrustConfig,
    issuer: PrivateJwk,
    rp: PrivateJwk,
    status_lists: Vec<String>,
    configure: impl FnOnce(&mut ServiceConfig),
) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
    let trust = trust(&did, dir.path());
    let mut config = ServiceConfig::new(
        CLIENT_ID,
        PUBLIC_URL,
        rp.clone(),
        vec![TOKEN.to_owned()],
        trust,
        &dir.path().join("state"),
    );
    config.status_lists = status_lists;
    configure(&mut config);
    let clock = Arc::new(AtomicI64::new(NOW));
    let c = Arc::clone(&clock);
    let state =
        Arc::new(AppState::open(config, Arc::new(move || c.load(Ordering::SeqCst))).unwrap());
    Setup {
        app: router(Arc::clone(&state)),
        state,
        clock,
        rp,
        issuer,
        did,
        kid,
        holder: PrivateJwk::generate(),
        _dir: dir,
    }
}

fn setup() -> Setup {
    setup_retention(600)
}

/// A service trusting one did:key issuer that keeps results `retention` seconds.
fn setup_retention(retention: i64) -> Setup {
    setup_configured(
        |did, _| {
            let mut t = TrustedIssuers::new();
            t.trust(did).unwrap();
            TrustConfig::Issuers(t)
        },
        PrivateJwk::generate(),
        PrivateJwk::generate(),
        Vec::new(),
        |config| config.result_retention_seconds = retention,
    )
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, content_type, body)
}

async fn call_json(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = call(app, req).await;
    (status, serde_json::from_slice(&body).unwrap())
}

fn create_req(token: Option<&str>, body: &Value) -> Request<Body> {
    let mut b = Request::post("/requests").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn result_req(id: &str) -> Request<Body> {
    Request::get(format!("/requests/{id}/result"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap()
}

fn post_form(body: String) -> Request<Body> {
    Request::post("/response")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// Creates a request and plays the wallet's part up to a verified request object.
async fn open_request(s: &Setup, claims: &[&str], mode: &str) -> (String, RequestObject) {
    let (status, created) = call_json(
        &s.app,
        create_req(
            Some(TOKEN),
            &json!({"vct": VCT, "claims": claims, "purpose": "계좌 개설 본인 확인", "response_mode": mode}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let link = oid4vp::parse_request_uri(created["request_uri"].as_str().unwrap()).unwrap();
    assert_eq!(link.client_id, CLIENT_ID);
    assert_eq!(link.request_uri, created["request_object_uri"]);
    let path = link.request_uri.strip_prefix(PUBLIC_URL).unwrap();
    let (status, content_type, body) =
        call(&s.app, Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, oid4vp::REQUEST_OBJECT_CONTENT_TYPE);
    let jwt = String::from_utf8(body).unwrap();
    let req = oid4vp::verify_request_object(
        &jwt,
        &link.client_id,
        &[s.rp.public()],
        s.clock.load(Ordering::SeqCst),
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(req.response_mode.as_str(), mode);
    assert_eq!(req.response_uri, format!("{PUBLIC_URL}/response"));
    assert_eq!(req.dcql_query.credentials[0].id, CREDENTIAL_QUERY_ID);
    (id, req)
}

/// The holder's presentation answering `req`, from a credential of `s`'s issuer.
fn presentation(s: &Setup, req: &RequestObject, status: Option<&Value>) -> String {
    let claims = claims();
    let issued = issue_vc(
        &VcIssuance {
            issuer: &s.did,
            kid: &s.kid,
            vct: VCT,
            holder: Some(&s.holder.public()),
            iat: NOW - 86_400,
            exp: Some(NOW + 365 * 86_400),
            status,
            claims: &claims,
            always_visible: &[],
            options: IssueOptions::default(),
        },
        s.issuer.signing_key(),
    )
    .unwrap();
    present(
        &issued.to_compact(),
        &req.dcql_query.claim_paths(),
        &req.client_id,
        &req.nonce,
        s.clock.load(Ordering::SeqCst),
        s.holder.signing_key(),
    )
    .unwrap()
    .text
}

fn direct_post(req: &RequestObject, presentation: &str) -> String {
    let token = oid4vp::vp_token(&[(CREDENTIAL_QUERY_ID, presentation)]);
    oid4vp::direct_post_form(&token, &req.state)
}

#[tokio::test]
async fn rp_api_requires_a_token() {
    let s = setup();
    let body = json!({"vct": VCT, "claims": ["name"], "purpose": "p"});
    let (status, err) = call_json(&s.app, create_req(None, &body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["error"], "unauthorized");
    assert!(err["message"].is_string());
    let (status, err) = call_json(&s.app, create_req(Some("not-the-token-at-all"), &body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"], "forbidden");
    let (status, _) = call_json(
        &s.app,
        Request::get("/requests/abc/result")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Unknown fields and bad values are refused.
    let (status, err) = call_json(
        &s.app,
        create_req(Some(TOKEN), &json!({"vct": VCT, "purpose": "p", "x": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "invalid_request");
    let (status, _) = call_json(
        &s.app,
        create_req(Some(TOKEN), &json!({"vct": VCT, "purpose": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Unknown routes answer JSON too.
    let (status, err) = call_json(&s.app, Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["error"], "not_found");
    let (status, health) = call_json(
        &s.app,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn direct_post_verified_then_replay_refused() {
    let s = setup();
    let (id, req) = open_request(&s, &["name", "address.road_address"], "direct_post").await;
    let (_, pending) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(pending["status"], "pending");

    let form = direct_post(&req, &presentation(&s, &req, None));
    let (status, body) = call_json(&s.app, post_form(form.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({}));

    let (status, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["status"], "verified", "{result}");
    assert_eq!(result["verified"], true);
    assert_eq!(result["vct"], VCT);
    assert_eq!(result["issuer"], s.did);
    assert_eq!(result["claims"]["name"], "김민준");
    assert_eq!(
        result["claims"]["address"]["road_address"],
        "서울특별시 종로구 세종대로 209"
    );
    assert!(result["claims"].get("rrn").is_none());
    assert!(result["claims"]["address"].get("postal_code").is_none());
    let steps: Vec<&str> = result["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["step"].as_str().unwrap())
        .collect();
    for step in ["signature", "key_binding", "nonce", "request", "lists"] {
        assert!(steps.contains(&step), "{steps:?}");
    }
    assert!(result["lists"].is_object());
    assert_eq!(result["error"], Value::Null);

    // The same response again: the nonce is spent.
    let (status, err) = call_json(&s.app, post_form(form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "nonce_replayed");
    // Wallet-facing routes answer errors in the OAuth shape.
    assert!(err["error_description"].is_string());
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "verified");
}

#[tokio::test]
async fn expired_request_refused() {
    let s = setup();
    let (id, req) = open_request(&s, &["name"], "direct_post").await;
    let form = direct_post(&req, &presentation(&s, &req, None));
    s.clock.fetch_add(301, Ordering::SeqCst);
    let (status, err) = call_json(&s.app, post_form(form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "request_expired");
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "expired");
    assert_eq!(result["error"]["code"], "request_expired");
    let (status, err) = call_json(
        &s.app,
        Request::get(format!("/requests/{id}/object"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(err["error"], "request_expired");
}

#[tokio::test]
async fn results_kept_for_their_retention_then_swept_and_replay_still_refused() {
    let s = setup_retention(30);
    let (id, req) = open_request(&s, &["name"], "direct_post").await;
    let form = direct_post(&req, &presentation(&s, &req, None));
    let (status, body) = call_json(&s.app, post_form(form.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Within the retention period the result stays, whatever the sweep does.
    s.clock.fetch_add(29, Ordering::SeqCst);
    assert_eq!(s.state.sweep().await.unwrap(), Swept::default());
    let (status, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["status"], "verified");
    assert_eq!(result["claims"]["name"], "김민준");

    // Once it has passed, the sweep deletes the request and its result.
    s.clock.fetch_add(1, Ordering::SeqCst);
    let swept = s.state.sweep().await.unwrap();
    assert_eq!((swept.results, swept.expired_requests), (1, 0));
    let (status, err) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
    assert_eq!(err["error"], "request_unknown", "{err}");

    // The request would still be answerable by its expiry (300 s), but the replayed response is
    // refused, and no result reappears.
    assert!(s.clock.load(Ordering::SeqCst) < req.exp);
    let (status, err) = call_json(&s.app, post_form(form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"], "state_unknown");
    let (status, _) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A second sweep finds nothing more.
    assert_eq!(s.state.sweep().await.unwrap(), Swept::default());
}

#[tokio::test]
async fn unanswered_requests_swept_after_expiry_and_a_late_response_refused() {
    let s = setup();
    let (id, req) = open_request(&s, &["name"], "direct_post").await;
    let (answered, answered_req) = open_request(&s, &["name"], "direct_post").await;
    let form = direct_post(&req, &presentation(&s, &req, None));
    let answer = direct_post(&answered_req, &presentation(&s, &answered_req, None));
    let (status, _) = call_json(&s.app, post_form(answer)).await;
    assert_eq!(status, StatusCode::OK);

    // Expired, but within the grace period: kept, and reported as expired.
    s.clock
        .fetch_add(300 + EXPIRED_GRACE_SECONDS - 1, Ordering::SeqCst);
    assert_eq!(s.state.sweep().await.unwrap(), Swept::default());
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "expired");

    // After it: the unanswered request is gone; the answered one waits for its retention.
    s.clock.fetch_add(1, Ordering::SeqCst);
    let swept = s.state.sweep().await.unwrap();
    assert_eq!((swept.expired_requests, swept.results), (1, 0));
    let (status, err) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["error"], "request_unknown");
    let (_, result) = call_json(&s.app, result_req(&answered)).await;
    assert_eq!(result["status"], "verified");

    // The response for the deleted request is refused, not verified.
    let (status, err) = call_json(&s.app, post_form(form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"], "state_unknown");

    s.clock.fetch_add(600, Ordering::SeqCst);
    let swept = s.state.sweep().await.unwrap();
    assert_eq!((swept.expired_requests, swept.results), (0, 1));
    let (status, _) = call_json(&s.app, result_req(&answered)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn result_retention_must_be_positive() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServiceConfig::new(
        CLIENT_ID,
        PUBLIC_URL,
        PrivateJwk::generate(),
        vec![TOKEN.to_owned()],
        TrustConfig::Issuers(TrustedIssuers::new()),
        dir.path(),
    );
    config.result_retention_seconds = 0;
    assert!(AppState::open(config, Arc::new(|| NOW)).is_err());
}

#[tokio::test]
async fn direct_post_jwt_verified() {
    let s = setup();
    let (id, req) = open_request(&s, &["name", "age_over_19"], "direct_post.jwt").await;
    let p = presentation(&s, &req, None);
    // A plain answer to an encrypted request is refused and spends nothing.
    let (status, err) = call_json(&s.app, post_form(direct_post(&req, &p))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "response_mode_mismatch");

    let key = req
        .client_metadata
        .as_ref()
        .and_then(|m| m.encryption_key())
        .unwrap();
    let payload = oid4vp::response_payload(
        &oid4vp::vp_token(&[(CREDENTIAL_QUERY_ID, p.as_str())]),
        &req.state,
    );
    let jwe = oid4vp::encrypt_response(&payload, key).unwrap();
    let (status, body) = call_json(&s.app, post_form(oid4vp::direct_post_jwt_form(&jwe))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "verified", "{result}");
    assert_eq!(result["claims"]["age_over_19"], true);
    assert_eq!(result["response_mode"], "direct_post.jwt");
}

#[tokio::test]
async fn jwe_for_another_key_rejected() {
    let s = setup();
    let (id, req) = open_request(&s, &["name"], "direct_post.jwt").await;
    let p = presentation(&s, &req, None);
    let (_, other_public) = oid4vp::generate_response_key().unwrap();
    let payload = oid4vp::response_payload(
        &oid4vp::vp_token(&[(CREDENTIAL_QUERY_ID, p.as_str())]),
        &req.state,
    );
    let jwe = oid4vp::encrypt_response(&payload, &other_public).unwrap();
    let (status, err) = call_json(&s.app, post_form(oid4vp::direct_post_jwt_form(&jwe))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "response_decryption_failed");
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "pending");
}

#[tokio::test]
async fn malformed_and_mismatched_responses_refused() {
    let s = setup();
    let (id, req) = open_request(&s, &["name", "address"], "direct_post").await;
    // A state that matches no request.
    let mut other = req.clone();
    other.state = "no-such-state".into();
    let p = presentation(&s, &req, None);
    let (status, err) = call_json(&s.app, post_form(direct_post(&other, &p))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "state_unknown");
    // A repeated field.
    let (_, err) = call_json(&s.app, post_form("state=a&state=b".into())).await;
    assert_eq!(err["error"], "response_invalid");
    // Another credential query id.
    let token = oid4vp::vp_token(&[("other", p.as_str())]);
    let (_, err) = call_json(
        &s.app,
        post_form(oid4vp::direct_post_form(&token, &req.state)),
    )
    .await;
    assert_eq!(err["error"], "response_invalid");
    // The wrong media type.
    let (status, err) = call_json(
        &s.app,
        Request::post("/response")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(err["error"], "unsupported_media_type");
    // Too large a body.
    let big = format!(
        "vp_token={}",
        "a".repeat(dojang_verifier::http::MAX_BODY_BYTES)
    );
    let (status, err) = call_json(&s.app, post_form(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(err["error"], "payload_too_large");
    // None of these spent the request: a presentation withholding `address` is then rejected
    // (claims_missing), and that answer is final.
    let paths = vec!["name".to_owned()];
    let claims = claims();
    let issued = issue_vc(
        &VcIssuance {
            issuer: &s.did,
            kid: &s.kid,
            vct: VCT,
            holder: Some(&s.holder.public()),
            iat: NOW - 10,
            exp: None,
            status: None,
            claims: &claims,
            always_visible: &[],
            options: IssueOptions::default(),
        },
        s.issuer.signing_key(),
    )
    .unwrap();
    let partial = present(
        &issued.to_compact(),
        &paths,
        &req.client_id,
        &req.nonce,
        NOW,
        s.holder.signing_key(),
    )
    .unwrap()
    .text;
    let (status, err) = call_json(&s.app, post_form(direct_post(&req, &partial))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "claims_missing");
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "rejected");
    assert_eq!(result["claims"], json!({}));
    let (_, err) = call_json(&s.app, post_form(direct_post(&req, &p))).await;
    assert_eq!(err["error"], "nonce_replayed");
}

#[tokio::test]
async fn presentation_for_another_audience_rejected() {
    let s = setup();
    let (id, req) = open_request(&s, &["name"], "direct_post").await;
    let mut other = req.clone();
    other.client_id = "https://other.example".into();
    let p = presentation(&s, &other, None);
    let (status, err) = call_json(&s.app, post_form(direct_post(&req, &p))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "kb_aud_mismatch");
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "rejected");
    assert_eq!(result["error"]["code"], "kb_aud_mismatch");
}

/// A trust list accrediting `issuer` for VCT and listing the RP with `name` and `address`.
fn trust_list_config(
    root: &PrivateJwk,
    issuer: &PrivateJwk,
    rp: &PrivateJwk,
    dir: &std::path::Path,
) -> TrustConfig {
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
    let list = TrustList {
        iss: "did:web:mois.example".into(),
        seq: 7,
        iat: NOW - 3600,
        exp: NOW + 30 * 86_400,
        issuers: vec![AccreditedIssuer {
            did,
            name_ko: "종로구청".into(),
            name_en: "Jongno-gu Office".into(),
            status: AccreditationStatus::Active,
            vcts: vec![VCT.into()],
            keys: vec![IssuerKey {
                kid,
                jwk: issuer.public().to_json(),
                not_before: NOW - 365 * 86_400,
                not_after: None,
            }],
            status_list_base: None,
        }],
        relying_parties: vec![RelyingParty {
            id: CLIENT_ID.into(),
            name_ko: "도장은행".into(),
            name_en: "Dojang Bank".into(),
            keys: vec![rp.public().to_json()],
            entitlements: [(
                VCT.to_owned(),
                vec!["name".to_owned(), "address".to_owned()],
            )]
            .into_iter()
            .collect(),
        }],
    };
    let jwt = sign_trust_list(&list, "did:web:mois.example#root", root.signing_key()).unwrap();
    let path = dir.join("trust-list.jwt");
    std::fs::write(&path, jwt).unwrap();
    TrustConfig::TrustList {
        root: root.public(),
        location: ListLocation::File(path),
    }
}

#[tokio::test]
async fn trust_list_entitlements_and_provenance() {
    let root = PrivateJwk::generate();
    let issuer = PrivateJwk::generate();
    let rp = PrivateJwk::generate();
    let (i2, rp2) = (issuer.clone(), rp.clone());
    let s = setup_with(
        move |_, dir| trust_list_config(&root, &i2, &rp2, dir),
        issuer,
        rp,
        Vec::new(),
    );
    // Not entitled to the RRN, nor to another type.
    let (status, err) = call_json(
        &s.app,
        create_req(
            Some(TOKEN),
            &json!({"vct": VCT, "claims": ["name", "rrn"], "purpose": "p"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"], "not_entitled");
    let (status, _) = call_json(
        &s.app,
        create_req(
            Some(TOKEN),
            &json!({"vct": "urn:other:1", "claims": ["name"], "purpose": "p"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Entitled: verified, with the chain from the root and the list's age.
    let (id, req) = open_request(&s, &["name", "address.road_address"], "direct_post").await;
    let (status, body) = call_json(
        &s.app,
        post_form(direct_post(&req, &presentation(&s, &req, None))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, result) = call_json(&s.app, result_req(&id)).await;
    assert_eq!(result["status"], "verified", "{result}");
    let chain: Vec<&str> = result["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_str().unwrap())
        .collect();
    assert_eq!(&chain[..4], &["root", "trust_list", "issuer", "key"]);
    assert_eq!(result["lists"]["trust_list"]["seq"], 7);
    assert_eq!(result["lists"]["trust_list"]["age_seconds"], 3600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_list_fetched_and_applied() {
    use dojang_vc::status_list::{sign_token, StatusList};
    // The issuer's status list, served over HTTP; index 3 is revoked.
    let issuer = PrivateJwk::generate();
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/status/1", listener.local_addr().unwrap());
    let mut list = StatusList::new(2, 16).unwrap();
    list.set(3, 1).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = sign_token(
        &did,
        &kid,
        &uri,
        now - 60,
        now + 3600,
        600,
        &list,
        issuer.signing_key(),
    )
    .unwrap();
    let server = Router::new().route(
        "/status/1",
        axum::routing::get(move || {
            let token = token.clone();
            async move { token }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, server).await });

    let uri2 = uri.clone();
    let s = tokio::task::spawn_blocking(move || {
        let s = setup_with(
            |did, _| {
                let mut t = TrustedIssuers::new();
                t.trust(did).unwrap();
                TrustConfig::Issuers(t)
            },
            issuer,
            PrivateJwk::generate(),
            vec![uri2],
        );
        s.clock.store(now, Ordering::SeqCst);
        s
    })
    .await
    .unwrap();
    for (idx, expected) in [(3, "rejected"), (4, "verified")] {
        let (id, req) = open_request(&s, &["name"], "direct_post").await;
        let status = json!({"status_list": {"idx": idx, "uri": uri}});
        let p = presentation(&s, &req, Some(&status));
        let _ = call_json(&s.app, post_form(direct_post(&req, &p))).await;
        let (_, result) = call_json(&s.app, result_req(&id)).await;
        assert_eq!(result["status"], expected, "{result}");
        if expected == "rejected" {
            assert_eq!(result["error"]["code"], "revoked");
        }
        let lists = &result["lists"]["status_lists"][0];
        assert_eq!(lists["uri"], uri);
        assert_eq!(lists["age_seconds"], 60);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServiceConfig::new(
        CLIENT_ID,
        PUBLIC_URL,
        PrivateJwk::generate(),
        vec![TOKEN.to_owned()],
        TrustConfig::Issuers(TrustedIssuers::new()),
        dir.path(),
    );
    let state = Arc::new(AppState::open(config, dojang_verifier::http::system_clock()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dojang_verifier::http::serve(listener, state, async {
        let _ = rx.await;
    }));
    let health = tokio::task::spawn_blocking(move || {
        let mut r = ureq::get(&format!("http://{addr}/healthz")).call().unwrap();
        r.body_mut().read_to_string().unwrap()
    })
    .await
    .unwrap();
    assert!(health.contains("\"ok\""));
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// The router's routes are exactly the OpenAPI description's operations.
#[test]
fn routes_match_the_openapi_description() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/api/verifier.openapi.json");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete", "head", "options"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(served, documented);
}

/// Responses posted at the same time are answered together (`http/gather.rs`): each gets the
/// answer it gets alone, a wrong signature or nonce among them spoils no other, and of two
/// copies of one response racing, exactly one is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_posted_together_are_each_answered_as_alone() {
    let s = setup();
    let mut forms = Vec::new();
    let mut expected = Vec::new();
    let mut ids = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..12 {
        requests.push(open_request(&s, &["name"], "direct_post").await);
    }
    for (i, (id, req)) in requests.iter().enumerate() {
        let good = presentation(&s, req, None);
        let (form, outcome) = match i % 4 {
            1 => {
                // The issuer's signature altered.
                let at = good.find('~').unwrap() - 3;
                let mut bytes = good.clone().into_bytes();
                bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                let bad = String::from_utf8(bytes).unwrap();
                (direct_post(req, &bad), "signature_invalid")
            }
            2 => {
                // Bound to the next request's nonce.
                let other = &requests[(i + 1) % requests.len()].1;
                (
                    direct_post(req, &presentation(&s, other, None)),
                    "kb_nonce_mismatch",
                )
            }
            _ => (direct_post(req, &good), "verified"),
        };
        forms.push(form);
        expected.push(outcome);
        ids.push(id.clone());
    }
    // A copy of the first (valid) response, racing it.
    forms.push(forms[0].clone());
    let tasks: Vec<_> = forms
        .into_iter()
        .map(|form| {
            let app = s.app.clone();
            tokio::spawn(async move { call_json(&app, post_form(form)).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let copy = answers.pop().unwrap();
    let first_and_copy = [&answers[0], &copy];
    assert_eq!(
        first_and_copy
            .iter()
            .filter(|(status, _)| *status == StatusCode::OK)
            .count(),
        1,
        "{first_and_copy:?}"
    );
    assert!(first_and_copy
        .iter()
        .any(|(_, body)| body["error"] == "nonce_replayed"));
    for (i, ((status, body), outcome)) in answers.iter().zip(&expected).enumerate().skip(1) {
        if *outcome == "verified" {
            assert_eq!(*status, StatusCode::OK, "response {i}: {body}");
        } else {
            assert_eq!(*status, StatusCode::BAD_REQUEST, "response {i}: {body}");
            assert_eq!(body["error"], *outcome, "response {i}");
        }
        let (_, result) = call_json(&s.app, result_req(&ids[i])).await;
        let status = if *outcome == "verified" {
            "verified"
        } else {
            "rejected"
        };
        assert_eq!(result["status"], status, "response {i}: {result}");
    }
}
