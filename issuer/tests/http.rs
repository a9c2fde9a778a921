#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
//! The issuer service, driven in-process (no sockets): metadata, the OpenID4VCI pre-authorized
//! flow end to end, every refusal of the flow, the admin API's guard, status lists and log
//! proofs, and the OpenAPI document against the router.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use dojang_did::{DidMethod, PrivateJwk};
use dojang_issuer::http::{router, routes, AppState, ServiceConfig, BODY_LIMIT};
use dojang_issuer::{
    generate, FileSigner, IssuancePolicy, Issuer, IssuerIdentity, IssuerSigner as _,
};
use dojang_vc::log::{jwt_sha256, verify_checkpoint, ConsistencyProof};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::oid4vci::{
    parse_offer_uri, sign_proof, AuthorizationServerMetadata, CredentialOffer, CredentialRequest,
    CredentialResponse, ErrorResponse, IssuerMetadata, JwtVcIssuerMetadata, NonceResponse,
    OfferRef, TokenRequest, TokenResponse,
};
use dojang_vc::status_list::{status_reference, verify_token, Status};
use dojang_vc::{Algorithm, Budget, SdJwt, VerificationKey};
use serde_json::Value;
use tower::ServiceExt as _;

const PUBLIC_URL: &str = "http://127.0.0.1:8081";
const ADMIN: &str = "admin-token-0123456789abcdef";
const NOW: i64 = 1_780_000_000;

struct Service {
    app: Router,
    state: Arc<AppState<FileSigner>>,
    clock: Arc<AtomicI64>,
    issuer_key: VerificationKey,
    /// A person with a household (a 등본 can be issued).
    person: String,
    _dir: tempfile::TempDir,
}

fn service() -> Service {
    let dir = tempfile::tempdir().unwrap();
    let db = dojang_issuer::open_db(&dir.path().join("db")).unwrap();
    let signer = FileSigner::create(&dir.path().join("key.jwk")).unwrap();
    let issuer_key = VerificationKey::Ed25519(signer.public_key());
    let identity = IssuerIdentity::from_key(&signer.public_key(), DidMethod::Key);
    let issuer = Issuer::open(
        &db,
        signer,
        identity,
        "서울특별시 종로구청",
        IssuancePolicy::default(),
        &format!("{PUBLIC_URL}/status"),
    )
    .unwrap();
    let file = generate(3, 7);
    issuer.register().import(&file).unwrap();
    let person = file.households[0].head.clone();
    let clock = Arc::new(AtomicI64::new(NOW));
    let c = Arc::clone(&clock);
    let mut config = ServiceConfig::new(&format!("{PUBLIC_URL}/"));
    config.admin_tokens = vec![ADMIN.into()];
    let state = Arc::new(
        AppState::new(issuer, config)
            .unwrap()
            .with_clock(Arc::new(move || c.load(Ordering::SeqCst))),
    );
    Service {
        app: router(Arc::clone(&state)),
        state,
        clock,
        issuer_key,
        person,
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{e}: {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
    /// The `error` member of an error body.
    fn error(&self) -> String {
        self.json::<Value>()["error"].as_str().unwrap().to_owned()
    }
}

async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, path: &str) -> Answer {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

fn post_json(path: &str, bearer: Option<&str>, body: &Value) -> Request<Body> {
    let mut r = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = bearer {
        r = r.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    r.body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

async fn admin_post(app: &Router, path: &str, body: &Value) -> Answer {
    send(app, post_json(path, Some(ADMIN), body)).await
}

/// An offer made through the admin API: (the offer, its transaction code).
async fn make_offer(s: &Service, certificate: &str) -> (CredentialOffer, String) {
    let created = admin_post(
        &s.app,
        "/admin/offers",
        &serde_json::json!({"person_id": s.person, "certificate": certificate}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let created: Value = created.json();
    let tx_code = created["tx_code"].as_str().unwrap().to_owned();
    assert_eq!(tx_code.len(), 6);
    assert!(tx_code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(created["expires_at"], NOW + 600);
    // The wallet's path: the link, then the offer by reference.
    let OfferRef::ByReference(url) =
        parse_offer_uri(created["offer_uri"].as_str().unwrap()).unwrap()
    else {
        panic!("offer by value")
    };
    assert_eq!(url, created["credential_offer_uri"]);
    let path = url.strip_prefix(PUBLIC_URL).unwrap();
    assert_eq!(
        path,
        format!("/offers/{}", created["offer_id"].as_str().unwrap())
    );
    let offer = get(&s.app, path).await;
    assert_eq!(offer.status, StatusCode::OK, "{}", offer.text());
    (offer.json(), tx_code)
}

async fn token_request(app: &Router, form: String) -> Answer {
    send(
        app,
        Request::post("/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap(),
    )
    .await
}

async fn redeem(s: &Service, offer: &CredentialOffer, tx_code: &str) -> String {
    let form =
        TokenRequest::pre_authorized(&offer.pre_authorized().pre_authorized_code, Some(tx_code))
            .to_form();
    let answer = token_request(&s.app, form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let token: TokenResponse = answer.json();
    assert_eq!(token.token_type, "Bearer");
    assert!(token.expires_in > 0);
    token.access_token
}

async fn nonce(s: &Service) -> String {
    let answer = send(&s.app, Request::post("/nonce").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json::<NonceResponse>().c_nonce
}

fn now(s: &Service) -> i64 {
    s.clock.load(Ordering::SeqCst)
}

async fn credential_request(
    s: &Service,
    token: &str,
    configuration_id: &str,
    proof: String,
) -> Answer {
    let request = CredentialRequest::with_proof(configuration_id, proof);
    send(
        &s.app,
        post_json(
            "/credential",
            Some(token),
            &serde_json::to_value(request).unwrap(),
        ),
    )
    .await
}

/// The whole flow for a fresh holder key: (holder, the answer).
async fn obtain(s: &Service, certificate: &str) -> (PrivateJwk, CredentialResponse) {
    let (offer, tx_code) = make_offer(s, certificate).await;
    let token = redeem(s, &offer, &tx_code).await;
    let holder = PrivateJwk::generate();
    let n = nonce(s).await;
    let proof = sign_proof(
        &holder.public(),
        &offer.credential_issuer,
        &n,
        now(s),
        holder.signing_key(),
    )
    .unwrap();
    let answer = credential_request(s, &token, &offer.credential_configuration_ids[0], proof).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    (holder, answer.json())
}

fn issuer_payload(s: &Service, credential: &str) -> serde_json::Map<String, Value> {
    let sd_jwt = SdJwt::parse(credential, &Budget::default()).unwrap();
    sd_jwt
        .issuer_jwt()
        .verify(&s.issuer_key, &[Algorithm::EdDSA])
        .unwrap()
        .clone()
}

fn oauth_error(answer: &Answer) -> ErrorResponse {
    answer.json()
}

#[tokio::test]
async fn metadata_documents() {
    let s = service();
    let meta = get(&s.app, "/.well-known/openid-credential-issuer").await;
    assert_eq!(meta.status, StatusCode::OK);
    let meta = IssuerMetadata::from_json(&meta.body, &Budget::default()).unwrap();
    assert_eq!(meta.credential_issuer, PUBLIC_URL);
    assert_eq!(meta.credential_endpoint, format!("{PUBLIC_URL}/credential"));
    assert_eq!(meta.nonce_endpoint.unwrap(), format!("{PUBLIC_URL}/nonce"));
    assert_eq!(meta.token_endpoint.unwrap(), format!("{PUBLIC_URL}/token"));
    let ids: Vec<&str> = meta
        .credential_configurations_supported
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        ids,
        [
            "family_relation_detailed",
            "family_relation_general",
            "resident_registration_abstract",
            "resident_registration_copy"
        ]
    );
    let copy = &meta.credential_configurations_supported["resident_registration_copy"];
    assert_eq!(copy.format, "dc+sd-jwt");
    assert_eq!(
        copy.vct.as_deref(),
        Some("urn:dojang:kr:resident-registration-copy:1")
    );
    assert_eq!(copy.cryptographic_binding_methods_supported, ["jwk"]);
    assert_eq!(copy.credential_signing_alg_values_supported, ["EdDSA"]);
    assert_eq!(
        copy.proof_types_supported["jwt"].proof_signing_alg_values_supported,
        ["EdDSA"]
    );
    let names: Vec<(&str, &str)> = copy
        .display_names()
        .iter()
        .map(|d| (d.name.as_str(), d.locale.as_deref().unwrap()))
        .collect();
    assert_eq!(names[0], ("주민등록표 등본", "ko"));
    assert_eq!(names[1].1, "en");
    let detailed = &meta.credential_configurations_supported["family_relation_detailed"];
    assert_eq!(detailed.display[0].name, "가족관계증명서 (상세)");

    let oauth = get(&s.app, "/.well-known/oauth-authorization-server").await;
    let oauth: AuthorizationServerMetadata = oauth.json();
    assert_eq!(oauth.issuer, PUBLIC_URL);
    assert_eq!(oauth.token_endpoint, format!("{PUBLIC_URL}/token"));
    assert_eq!(
        oauth.grant_types_supported,
        ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    );

    let jwks: JwtVcIssuerMetadata = get(&s.app, "/.well-known/jwt-vc-issuer").await.json();
    assert_eq!(jwks.issuer, PUBLIC_URL);
    assert_eq!(jwks.jwks.keys.len(), 1);
    let key = &jwks.jwks.keys[0];
    assert!(key["kid"].as_str().unwrap().starts_with("did:key:"));
    let mut public = key.clone();
    for member in ["kid", "alg", "use"] {
        public.as_object_mut().unwrap().remove(member);
    }
    assert_eq!(
        VerificationKey::from_jwk(&public).unwrap().algorithm(),
        Algorithm::EdDSA
    );

    let health = get(&s.app, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn pre_authorized_flow_issues_a_bound_logged_credential() {
    let s = service();
    let (holder, response) = obtain(&s, "copy").await;
    assert_eq!(response.credentials.len(), 1);
    let credential = &response.credentials[0].credential;
    let payload = issuer_payload(&s, credential);
    assert_eq!(payload["vct"], "urn:dojang:kr:resident-registration-copy:1");
    assert_eq!(payload["iat"], NOW);
    // Bound to the key the proof proved.
    assert_eq!(payload["cnf"]["jwk"], holder.public().to_json());
    // The log inclusion proof verifies and is about this credential.
    let inclusion = response.dojang_log_inclusion.unwrap();
    let checkpoint =
        verify_checkpoint(&inclusion.checkpoint, &s.issuer_key, &Budget::default()).unwrap();
    inclusion
        .proof
        .verify(&inclusion.leaf, &checkpoint)
        .unwrap();
    let jwt = credential.split('~').next().unwrap();
    assert_eq!(inclusion.leaf.jwt_sha256, jwt_sha256(jwt));

    // Every configuration can be issued the same way.
    let (_, family) = obtain(&s, "family-detailed").await;
    let payload = issuer_payload(&s, &family.credentials[0].credential);
    assert_eq!(
        payload["vct"],
        "urn:dojang:kr:family-relation-certificate:1"
    );
}

#[tokio::test]
async fn access_token_and_pre_authorized_code_are_single_use() {
    let s = service();
    let (offer, tx_code) = make_offer(&s, "abstract").await;
    let token = redeem(&s, &offer, &tx_code).await;
    // The code again: refused, and the offer is no longer served.
    let again = token_request(
        &s.app,
        TokenRequest::pre_authorized(&offer.pre_authorized().pre_authorized_code, Some(&tx_code))
            .to_form(),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&again).error, "invalid_grant");
    // The token: one credential.
    let holder = PrivateJwk::generate();
    let id = &offer.credential_configuration_ids[0];
    let issue = |n: String| {
        sign_proof(&holder.public(), PUBLIC_URL, &n, NOW, holder.signing_key()).unwrap()
    };
    let first = credential_request(&s, &token, id, issue(nonce(&s).await)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let second = credential_request(&s, &token, id, issue(nonce(&s).await)).await;
    assert_eq!(second.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&second).error, "invalid_token");
    assert_eq!(
        second.headers[header::WWW_AUTHENTICATE],
        r#"Bearer error="invalid_token""#
    );
    // No token at all.
    let none = send(
        &s.app,
        post_json("/credential", None, &serde_json::json!({})),
    )
    .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&none).error, "invalid_token");
}

#[tokio::test]
async fn wrong_transaction_codes_burn_the_offer() {
    let s = service();
    let (offer, tx_code) = make_offer(&s, "copy").await;
    let code = &offer.pre_authorized().pre_authorized_code;
    let wrong = if tx_code == "000000" {
        "000001"
    } else {
        "000000"
    };
    // Missing: a malformed request, not an attempt.
    let missing = token_request(&s.app, TokenRequest::pre_authorized(code, None).to_form()).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&missing).error, "invalid_request");
    for attempt in 1..=5 {
        let answer = token_request(
            &s.app,
            TokenRequest::pre_authorized(code, Some(wrong)).to_form(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        let error = oauth_error(&answer);
        assert_eq!(error.error, "invalid_grant");
        let description = error.error_description.unwrap();
        assert!(
            description.contains("transaction code is wrong"),
            "{description}"
        );
        assert_eq!(description.contains("void"), attempt == 5, "{description}");
    }
    // Burned: the right code no longer helps, and the offer is gone.
    let late = token_request(
        &s.app,
        TokenRequest::pre_authorized(code, Some(&tx_code)).to_form(),
    )
    .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&late).error, "invalid_grant");
    assert!(!oauth_error(&late)
        .error_description
        .unwrap()
        .contains("transaction code"));

    // Another offer: unknown grant type, unknown code, an expired code.
    let (offer, tx_code) = make_offer(&s, "copy").await;
    let code = &offer.pre_authorized().pre_authorized_code;
    let other_grant =
        token_request(&s.app, "grant_type=password&pre-authorized_code=x".into()).await;
    assert_eq!(oauth_error(&other_grant).error, "unsupported_grant_type");
    let unknown = token_request(
        &s.app,
        TokenRequest::pre_authorized("not-a-code", Some(&tx_code)).to_form(),
    )
    .await;
    assert_eq!(oauth_error(&unknown).error, "invalid_grant");
    let not_a_form = token_request(&s.app, "{}".into()).await;
    assert_eq!(oauth_error(&not_a_form).error, "invalid_request");
    s.clock.store(NOW + 601, Ordering::SeqCst);
    let expired = token_request(
        &s.app,
        TokenRequest::pre_authorized(code, Some(&tx_code)).to_form(),
    )
    .await;
    assert_eq!(oauth_error(&expired).error, "invalid_grant");
}

#[tokio::test]
async fn stale_reused_and_unknown_nonces_are_refused() {
    let s = service();
    // A nonce used by a first, successful issuance …
    let (offer, tx_code) = make_offer(&s, "copy").await;
    let token = redeem(&s, &offer, &tx_code).await;
    let holder = PrivateJwk::generate();
    let proof_with = |n: &str, iat: i64| {
        sign_proof(&holder.public(), PUBLIC_URL, n, iat, holder.signing_key()).unwrap()
    };
    let used = nonce(&s).await;
    let id = "resident_registration_copy";
    assert_eq!(
        credential_request(&s, &token, id, proof_with(&used, NOW))
            .await
            .status,
        StatusCode::OK
    );
    // … is refused the second time, and the refusal does not spend the token.
    let (offer, tx_code) = make_offer(&s, "copy").await;
    let token = redeem(&s, &offer, &tx_code).await;
    let reused = credential_request(&s, &token, id, proof_with(&used, NOW)).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&reused).error, "invalid_nonce");
    let unknown = credential_request(&s, &token, id, proof_with("made-up", NOW)).await;
    assert_eq!(oauth_error(&unknown).error, "invalid_nonce");
    // A nonce older than five minutes (the proof itself fresh).
    let stale = nonce(&s).await;
    s.clock.store(NOW + 301, Ordering::SeqCst);
    let answer = credential_request(&s, &token, id, proof_with(&stale, NOW + 301)).await;
    assert_eq!(oauth_error(&answer).error, "invalid_nonce");
    // A proof whose iat is stale, with a fresh nonce.
    let fresh = nonce(&s).await;
    let answer = credential_request(&s, &token, id, proof_with(&fresh, NOW - 100)).await;
    assert_eq!(oauth_error(&answer).error, "invalid_proof");
    // The token still works with a fresh nonce and proof.
    let fresh = nonce(&s).await;
    let answer = credential_request(&s, &token, id, proof_with(&fresh, NOW + 301)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn proofs_that_prove_nothing_are_refused() {
    let s = service();
    let (offer, tx_code) = make_offer(&s, "copy").await;
    let token = redeem(&s, &offer, &tx_code).await;
    let id = "resident_registration_copy";
    let holder = PrivateJwk::generate();
    let thief = PrivateJwk::generate();
    // Signed by another key than the one in its header.
    let n = nonce(&s).await;
    let forged = sign_proof(&holder.public(), PUBLIC_URL, &n, NOW, thief.signing_key()).unwrap();
    let answer = credential_request(&s, &token, id, forged).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let error = oauth_error(&answer);
    assert_eq!(error.error, "invalid_proof");
    assert!(error.error_description.unwrap().contains("proof_invalid"));
    // For another issuer.
    let other = sign_proof(
        &holder.public(),
        "https://other.example",
        &n,
        NOW,
        holder.signing_key(),
    )
    .unwrap();
    let answer = credential_request(&s, &token, id, other).await;
    assert_eq!(oauth_error(&answer).error, "invalid_proof");
    // A configuration the offer did not name.
    let good = sign_proof(&holder.public(), PUBLIC_URL, &n, NOW, holder.signing_key()).unwrap();
    let answer = credential_request(&s, &token, "family_relation_general", good.clone()).await;
    assert_eq!(
        oauth_error(&answer).error,
        "unknown_credential_configuration"
    );
    // No proof; not JSON.
    let answer = send(
        &s.app,
        post_json(
            "/credential",
            Some(&token),
            &serde_json::json!({"credential_configuration_id": id}),
        ),
    )
    .await;
    assert_eq!(oauth_error(&answer).error, "invalid_proof");
    let answer = send(
        &s.app,
        Request::post("/credential")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from("not json"))
            .unwrap(),
    )
    .await;
    assert_eq!(oauth_error(&answer).error, "invalid_credential_request");
    // The nonce was never consumed by the refusals: the good proof still works.
    let answer = credential_request(&s, &token, id, good).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn admin_routes_need_the_admin_token() {
    let s = service();
    let body = serde_json::json!({"person_id": s.person, "certificate": "copy"});
    let missing = send(&s.app, post_json("/admin/offers", None, &body)).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.error(), "unauthorized");
    assert_eq!(missing.headers[header::WWW_AUTHENTICATE], "Bearer");
    let wrong = send(
        &s.app,
        post_json("/admin/offers", Some("admin-token-0123456789abcdeX"), &body),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.error(), "forbidden");
    for path in [
        "/admin/register",
        "/admin/events",
        "/admin/credentials/2026-0101-0000-0000/revoke",
    ] {
        let answer = send(&s.app, post_json(path, Some("nope"), &body)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Refusals of the admin API itself.
    let bad = admin_post(
        &s.app,
        "/admin/offers",
        &serde_json::json!({"person_id": s.person, "certificate": "passport"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error(), "bad_request");
    let nobody = admin_post(
        &s.app,
        "/admin/offers",
        &serde_json::json!({"person_id": "P999999", "certificate": "copy"}),
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    assert_eq!(nobody.error(), "person_not_found");
    let unknown = admin_post(
        &s.app,
        "/admin/credentials/2026-0101-0000-0000/revoke",
        &Value::Null,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error(), "record_not_found");
}

#[tokio::test]
async fn revocation_shows_in_the_published_status_list() {
    let s = service();
    let (_, response) = obtain(&s, "copy").await;
    let payload = issuer_payload(&s, &response.credentials[0].credential);
    let reference = status_reference(&payload).unwrap().unwrap();
    let path = reference.uri.strip_prefix(PUBLIC_URL).unwrap().to_owned();
    let fetch = || async {
        let answer = get(&s.app, &path).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.headers[header::CONTENT_TYPE],
            "application/statuslist+jwt"
        );
        let list = verify_token(
            &answer.text(),
            &s.issuer_key,
            &[Algorithm::EdDSA],
            &reference.uri,
            NOW,
            &Budget::default(),
        )
        .unwrap();
        Status::from_bits(list.list.get(reference.idx).unwrap())
    };
    assert_eq!(fetch().await, Status::Valid);
    // The credential number (발급번호), visible in the credential, as an office has it.
    let number = payload["document_number"].as_str().unwrap().to_owned();
    let revoked = admin_post(
        &s.app,
        &format!("/admin/credentials/{number}/revoke"),
        &Value::Null,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    let revoked: Value = revoked.json();
    assert_eq!(revoked["previous"], "valid");
    assert_eq!(revoked["status"], "invalid");
    assert_eq!(fetch().await, Status::Invalid);
    // Revocation is final.
    let reinstate = admin_post(
        &s.app,
        &format!("/admin/credentials/{number}/reinstate"),
        &Value::Null,
    )
    .await;
    assert_eq!(reinstate.status, StatusCode::CONFLICT);
    assert_eq!(reinstate.error(), "status_revocation_final");
    // Unknown lists.
    assert_eq!(
        get(&s.app, "/status/99").await.error(),
        "status_list_not_found"
    );
    assert_eq!(get(&s.app, "/status/x").await.status, StatusCode::NOT_FOUND);
}

/// Concurrent `POST /credential` requests go through the group committer: every one is answered
/// with its own credential, status slot, number and a verifying inclusion proof, the log holds
/// exactly them, and each token is spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_credential_requests_share_batches() {
    const WALLETS: usize = 24;
    let s = Arc::new(service());
    let mut prepared = Vec::new();
    for _ in 0..WALLETS {
        let (offer, tx_code) = make_offer(&s, "copy").await;
        let token = redeem(&s, &offer, &tx_code).await;
        let holder = PrivateJwk::generate();
        let n = nonce(&s).await;
        let proof = sign_proof(
            &holder.public(),
            &offer.credential_issuer,
            &n,
            now(&s),
            holder.signing_key(),
        )
        .unwrap();
        let id = offer.credential_configuration_ids[0].clone();
        prepared.push((holder, token, id, proof));
    }
    let tasks: Vec<_> = prepared
        .into_iter()
        .map(|(holder, token, id, proof)| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let answer = credential_request(&s, &token, &id, proof.clone()).await;
                (holder, token, id, proof, answer)
            })
        })
        .collect();
    let mut slots = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    let mut leaves = BTreeSet::new();
    for task in tasks {
        let (holder, token, id, proof, answer) = task.await.unwrap();
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        let response: CredentialResponse = answer.json();
        let credential = &response.credentials[0].credential;
        let payload = issuer_payload(&s, credential);
        assert_eq!(payload["cnf"]["jwk"], holder.public().to_json());
        let reference = status_reference(&payload).unwrap().unwrap();
        assert!(slots.insert((reference.uri, reference.idx)), "slot reused");
        assert!(numbers.insert(payload["document_number"].as_str().unwrap().to_owned()));
        let inclusion = response.dojang_log_inclusion.unwrap();
        let checkpoint =
            verify_checkpoint(&inclusion.checkpoint, &s.issuer_key, &Budget::default()).unwrap();
        inclusion
            .proof
            .verify(&inclusion.leaf, &checkpoint)
            .unwrap();
        assert_eq!(
            inclusion.leaf.jwt_sha256,
            jwt_sha256(credential.split('~').next().unwrap())
        );
        assert!(leaves.insert(inclusion.proof.leaf_index));
        // The same request again: the token is spent.
        let again = credential_request(&s, &token, &id, proof).await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text());
    }
    let issuer = s.state.issuer();
    assert_eq!(issuer.log().size().unwrap(), WALLETS as u64);
    assert_eq!(issuer.records().list().unwrap().len(), WALLETS);
    let stats = s.state.committer().stats();
    assert_eq!(stats.requests, WALLETS as u64, "{stats:?}");
    assert!(stats.batches >= 1 && stats.batches <= WALLETS as u64);
}

#[tokio::test]
async fn log_proofs_verify() {
    let s = service();
    let (_, first) = obtain(&s, "copy").await;
    let first_cp = verify_checkpoint(
        &get(&s.app, "/log/checkpoint").await.text(),
        &s.issuer_key,
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(first_cp.tree_size, 1);
    let (_, second) = obtain(&s, "abstract").await;
    let checkpoint = get(&s.app, "/log/checkpoint").await;
    assert_eq!(
        checkpoint.headers[header::CONTENT_TYPE],
        "application/checkpoint+jwt"
    );
    let new_cp = verify_checkpoint(&checkpoint.text(), &s.issuer_key, &Budget::default()).unwrap();
    assert_eq!(new_cp.tree_size, 2);
    // Inclusion of the first credential, fetched by its number.
    let number = issuer_payload(&s, &first.credentials[0].credential)["document_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let inclusion: LogInclusion = get(&s.app, &format!("/log/inclusion/{number}"))
        .await
        .json();
    let cp = verify_checkpoint(&inclusion.checkpoint, &s.issuer_key, &Budget::default()).unwrap();
    inclusion.proof.verify(&inclusion.leaf, &cp).unwrap();
    assert_eq!(inclusion.leaf, first.dojang_log_inclusion.unwrap().leaf);
    assert!(second.dojang_log_inclusion.is_some());
    // Consistency between the two checkpoints.
    let proof = get(&s.app, "/log/consistency?old=1&new=2").await;
    assert_eq!(proof.status, StatusCode::OK, "{}", proof.text());
    let proof = ConsistencyProof::from_json(&proof.body, &Budget::default()).unwrap();
    proof.verify(&first_cp, &new_cp).unwrap();
    let default_new: ConsistencyProof = get(&s.app, "/log/consistency?old=1").await.json();
    assert_eq!(default_new, proof);
    assert_eq!(
        get(&s.app, "/log/consistency?old=3&new=2").await.error(),
        "log_size_out_of_range"
    );
    assert_eq!(
        get(&s.app, "/log/consistency?old=x").await.error(),
        "bad_request"
    );
    assert_eq!(
        get(&s.app, "/log/inclusion/2026-0101-0000-0000")
            .await
            .error(),
        "record_not_found"
    );
}

#[tokio::test]
async fn register_and_events_through_the_admin_api() {
    let s = service();
    // A death revokes the credentials that show the person, in the same step.
    let (_, response) = obtain(&s, "copy").await;
    let number = issuer_payload(&s, &response.credentials[0].credential)["document_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = serde_json::json!({"event": "death", "person": s.person, "date": "2026-05-01"});
    let answer = admin_post(&s.app, "/admin/events", &event).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let outcome: Value = answer.json();
    assert_eq!(outcome["revoked"], serde_json::json!([number]));
    // No credential for the deceased: the offer is made, the issuance refused.
    let (offer, tx_code) = make_offer(&s, "abstract").await;
    let token = redeem(&s, &offer, &tx_code).await;
    let holder = PrivateJwk::generate();
    let n = nonce(&s).await;
    let proof = sign_proof(&holder.public(), PUBLIC_URL, &n, NOW, holder.signing_key()).unwrap();
    let answer = credential_request(&s, &token, "resident_registration_abstract", proof).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let error = oauth_error(&answer);
    assert_eq!(error.error, "credential_request_denied");
    assert!(error.error_description.unwrap().contains("person_deceased"));
    // The same event again is refused by the register.
    let again = admin_post(&s.app, "/admin/events", &event).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    assert_eq!(again.error(), "person_deceased");
    let not_an_event = admin_post(&s.app, "/admin/events", &serde_json::json!({"x": 1})).await;
    assert_eq!(not_an_event.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_an_event.error(), "bad_request");

    // A new register replaces the old one.
    let file = generate(2, 11);
    let imported = admin_post(
        &s.app,
        "/admin/register",
        &serde_json::to_value(&file).unwrap(),
    )
    .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text());
    assert_eq!(
        imported.json::<Value>()["persons"],
        file.persons.len() as u64
    );
    // A register file that is not one: refused, by position only.
    let bad = admin_post(&s.app, "/admin/register", &serde_json::json!({"x": 1})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.error(), "register_file_syntax");
}

#[tokio::test]
async fn bodies_are_limited() {
    let s = service();
    let big = Value::String("x".repeat(BODY_LIMIT + 1));
    let answer = send(&s.app, post_json("/credential", Some("t"), &big)).await;
    // The token is checked first: an anonymous caller learns nothing else.
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = admin_post(&s.app, "/admin/offers", &big).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error(), "payload_too_large");
    let answer = token_request(&s.app, "x".repeat(BODY_LIMIT + 1)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(oauth_error(&answer).error, "invalid_request");
    // The register route takes more than 64 KiB (and refuses this as a register, not a size).
    let answer = admin_post(&s.app, "/admin/register", &big).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let s = service();
    let answer = get(&s.app, "/nowhere").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error(), "no_route");
    let answer = get(&s.app, "/token").await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.error(), "method_not_allowed");
    let answer = get(&s.app, "/offers/unknown").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error(), "not_found");
}

/// The OpenAPI document (JSON, OpenAPI 3.1) lists exactly the router's routes, and the router
/// answers every route of the table (not with `no_route` or `method_not_allowed`).
#[tokio::test]
async fn openapi_document_matches_the_router() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/api/issuer.openapi.json"
    );
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (route, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                documented.insert((method.to_uppercase(), route.clone()));
            }
        }
    }
    let table: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(table.len(), routes().len(), "a route is listed twice");
    let undocumented: Vec<_> = table.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&table).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the spec: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "spec paths the router lacks: {unrouted:?}"
    );
    // Admin routes are the ones the spec secures with the admin token.
    for route in routes() {
        let op = &spec["paths"][route.path][route.method.as_str().to_lowercase()];
        let admin = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x.get("adminToken").is_some()));
        assert_eq!(admin, route.admin, "{}", route.path);
    }

    let s = service();
    for route in routes() {
        let uri = route
            .path
            .replace("{id}", "x")
            .replace("{list}", "0")
            .replace("{number}", "x");
        let request = Request::builder()
            .method(route.method.clone())
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let answer = send(&s.app, request).await;
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            route.path
        );
        if answer.status == StatusCode::NOT_FOUND {
            assert_ne!(answer.error(), "no_route", "{}", route.path);
        }
        assert!(route.method == Method::GET || route.method == Method::POST);
    }
}
