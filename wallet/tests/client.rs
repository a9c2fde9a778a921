//! The wallet as an OpenID4VCI / OpenID4VP client, against a tiny fake issuer and a fake
//! relying party: plain HTTP/1.1 servers on 127.0.0.1 answering from fixed handlers, with every
//! message built and checked with `dojang_vc` (a real credential from a did:key issuer, a real
//! trust list signed by a root key made here, real request objects and key proofs).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use dojang_did::{did_for_key, DidMethod, PrivateJwk, PublicJwk};
use dojang_vc::key_binding::{self, KbExpectations};
use dojang_vc::log::{sign_checkpoint, Checkpoint, InclusionProof, LogLeaf};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::oid4vci::{
    self, CredentialConfiguration, CredentialMetadata, CredentialOffer, CredentialRequest,
    CredentialResponse, Display, Grants, IssuerMetadata, PreAuthorizedCodeGrant,
    ProofTypeSupported, TxCodeSpec,
};
use dojang_vc::oid4vp::{
    self, ClientMetadata, DcqlQuery, Jwks, RequestObject, ResponseMode, SELF_ISSUED_AUD,
};
use dojang_vc::process::process;
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::trust_list::{
    sign_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey, RelyingParty, TrustList,
    VerifiedTrustList,
};
use dojang_vc::{Algorithm, Budget, IssueOptions, SdJwt, VerificationKey};
use dojang_wallet::{
    install_trust, load_trust, log_inclusion_of, receive, respond, ConsentView, KdfParams, Wallet,
    WalletError,
};
use serde_json::{json, Map, Value};

const PASSPHRASE: &str = "올바른 말 배터리 스테이플";
const NOW: i64 = 1_780_000_000;
const COPY: &str = "urn:dojang:kr:resident-registration-copy:1";
const FAMILY: &str = "urn:dojang:kr:family-relation-certificate:1";
const BANK: &str = "https://bank.example";
const RRN: &str = "900101-1234567";
const TX_CODE: &str = "4821";
const PRE_AUTH: &str = "pre-auth-1";
const ACCESS_TOKEN: &str = "access-1";
const C_NONCE: &str = "c-nonce-1";
const VP_NONCE: &str = "vp-nonce-1";
const STATE: &str = "state-1";

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 server
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn form(&self) -> BTreeMap<String, String> {
        oid4vp::parse_form(&self.body)
            .unwrap()
            .into_iter()
            .collect()
    }
}

struct Response {
    status: u16,
    content_type: &'static str,
    body: String,
}

fn json_response(status: u16, body: &Value) -> Response {
    Response {
        status,
        content_type: "application/json",
        body: body.to_string(),
    }
}

type Handler = Box<dyn Fn(&Request) -> Response + Send + Sync>;

/// A server answering `(method, path)` from its handlers (404 otherwise), logging every request.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn start(routes: impl FnOnce(&str) -> Vec<(&'static str, &'static str, Handler)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes = routes(&base);
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                seen.lock().unwrap().push(request.clone());
                let response = routes
                    .iter()
                    .find(|(m, p, _)| *m == request.method && *p == request.path)
                    .map_or_else(
                        || json_response(404, &json!({"error": "not_found"})),
                        |(_, _, handler)| handler(&request),
                    );
                let head = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    response.status,
                    response.content_type,
                    response.body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(response.body.as_bytes());
                let _ = stream.flush();
            }
        });
        Self { base, log }
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

// ---------------------------------------------------------------------------------------------
// The world: a root, an issuer (did:key), a bank, a wallet
// ---------------------------------------------------------------------------------------------

struct World {
    root: PrivateJwk,
    issuer: Arc<PrivateJwk>,
    bank: PrivateJwk,
    dir: tempfile::TempDir,
    wallet: Wallet,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let wallet =
            Wallet::init_with_params(dir.path(), PASSPHRASE, KdfParams::INSECURE_FOR_TESTS)
                .unwrap();
        Self {
            root: PrivateJwk::generate(),
            issuer: Arc::new(PrivateJwk::generate()),
            bank: PrivateJwk::generate(),
            dir,
            wallet,
        }
    }

    fn issuer_did(&self) -> (String, String) {
        did_for_key(&self.issuer.public(), DidMethod::Key)
    }

    /// A trust list accrediting the issuer for the 등본 and listing the bank, entitled to
    /// `name`, `address`, `rrn` of a 등본 and `members` of a 가족관계증명서.
    fn trust_list(&self, seq: u64) -> String {
        let (did, kid) = self.issuer_did();
        let list = TrustList {
            iss: "did:web:mois.example".into(),
            seq,
            iat: NOW - 60,
            exp: NOW + 30 * 86_400,
            issuers: vec![AccreditedIssuer {
                did,
                name_ko: "서울특별시 종로구청".into(),
                name_en: "Jongno-gu Office, Seoul".into(),
                status: AccreditationStatus::Active,
                vcts: vec![COPY.into()],
                keys: vec![IssuerKey {
                    kid,
                    jwk: self.issuer.public().to_json(),
                    not_before: 0,
                    not_after: None,
                }],
                status_list_base: None,
            }],
            relying_parties: vec![RelyingParty {
                id: BANK.into(),
                name_ko: "도장은행".into(),
                name_en: "Dojang Bank".into(),
                keys: vec![self.bank.public().to_json()],
                entitlements: BTreeMap::from([
                    (
                        COPY.to_owned(),
                        vec!["name".into(), "address".into(), "rrn".into()],
                    ),
                    (FAMILY.to_owned(), vec!["members".into()]),
                ]),
            }],
        };
        sign_trust_list(
            &list,
            "did:web:mois.example#root-1",
            self.root.signing_key(),
        )
        .unwrap()
    }

    fn install_trust(&self) -> VerifiedTrustList {
        self.wallet
            .install_trust(&self.root.public(), &self.trust_list(1), NOW)
            .unwrap()
    }

    /// Stores a 등본 issued to this wallet's key directly (no network), for the respond tests.
    fn store_credential(&self) {
        let text = issue_credential(&self.issuer, &self.wallet.holder_public_key()).0;
        self.wallet.import(&text, "등본", NOW).unwrap();
    }
}

fn subject_claims() -> Map<String, Value> {
    json!({
        "name": "홍길동",
        "rrn": RRN,
        "birth_date": "1990-01-01",
        "address": {"road_address": "서울특별시 종로구 세종대로 209", "postal_code": "03171"},
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A 등본 from the did:key issuer bound to `holder`, with a log inclusion proof for it.
fn issue_credential(issuer: &PrivateJwk, holder: &PublicJwk) -> (String, LogInclusion) {
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
    let claims = subject_claims();
    let issued = issue_vc(
        &VcIssuance {
            issuer: &did,
            kid: &kid,
            vct: COPY,
            holder: Some(holder),
            iat: NOW,
            exp: Some(NOW + 90 * 86_400),
            status: None,
            claims: &claims,
            always_visible: &[],
            options: IssueOptions::default(),
        },
        issuer.signing_key(),
    )
    .unwrap();
    let leaf = LogLeaf::for_jwt(&issued.jwt, COPY, NOW, None, None);
    let checkpoint = sign_checkpoint(
        &Checkpoint::new(&did, 1, &leaf.hash(), NOW),
        &kid,
        issuer.signing_key(),
    )
    .unwrap();
    let inclusion = LogInclusion {
        leaf,
        proof: InclusionProof::new(0, 1, &[]),
        checkpoint,
    };
    (issued.to_compact(), inclusion)
}

// ---------------------------------------------------------------------------------------------
// The fake issuer
// ---------------------------------------------------------------------------------------------

fn offer(base: &str, with_tx_code: bool) -> CredentialOffer {
    CredentialOffer {
        credential_issuer: base.to_owned(),
        credential_configuration_ids: vec!["resident_registration_copy".into()],
        grants: Grants {
            pre_authorized_code: PreAuthorizedCodeGrant {
                pre_authorized_code: PRE_AUTH.into(),
                tx_code: with_tx_code.then(|| TxCodeSpec {
                    length: Some(4),
                    input_mode: Some("numeric".into()),
                    description: Some("구청에서 문자로 받은 네 자리 번호".into()),
                }),
            },
        },
    }
}

fn metadata(base: &str) -> IssuerMetadata {
    IssuerMetadata {
        credential_issuer: base.to_owned(),
        authorization_servers: vec![],
        credential_endpoint: format!("{base}/credential"),
        nonce_endpoint: Some(format!("{base}/nonce")),
        token_endpoint: Some(format!("{base}/token")),
        display: vec![],
        credential_configurations_supported: BTreeMap::from([(
            "resident_registration_copy".to_owned(),
            CredentialConfiguration {
                format: oid4vci::FORMAT_SD_JWT_VC.into(),
                vct: Some(COPY.into()),
                cryptographic_binding_methods_supported: vec!["jwk".into()],
                credential_signing_alg_values_supported: vec!["EdDSA".into()],
                proof_types_supported: BTreeMap::from([(
                    "jwt".to_owned(),
                    ProofTypeSupported {
                        proof_signing_alg_values_supported: vec!["EdDSA".into()],
                    },
                )]),
                display: vec![],
                credential_metadata: Some(CredentialMetadata {
                    display: vec![
                        Display {
                            name: "Resident registration copy".into(),
                            locale: Some("en".into()),
                        },
                        Display {
                            name: "주민등록표 등본".into(),
                            locale: Some("ko".into()),
                        },
                    ],
                }),
            },
        )]),
    }
}

/// The issuer's endpoints. The credential endpoint checks the bearer token and the key proof
/// (`verify_proof`: aud = this issuer, nonce = the one handed out) and issues a real credential
/// bound to the proven key.
fn fake_issuer(issuer: Arc<PrivateJwk>, with_tx_code: bool) -> Server {
    Server::start(move |base| {
        let base = base.to_owned();
        let offer_json = serde_json::to_value(offer(&base, with_tx_code)).unwrap();
        let metadata_json = serde_json::to_value(metadata(&base)).unwrap();
        vec![
            (
                "GET",
                "/offers/1",
                Box::new(move |_: &Request| json_response(200, &offer_json)) as Handler,
            ),
            (
                "GET",
                "/.well-known/openid-credential-issuer",
                Box::new(move |_: &Request| json_response(200, &metadata_json)),
            ),
            (
                "POST",
                "/token",
                Box::new(move |r: &Request| {
                    let form = r.form();
                    let code_ok = form.get("pre-authorized_code").map(String::as_str)
                        == Some(PRE_AUTH)
                        && form.get("grant_type").map(String::as_str)
                            == Some(oid4vci::PRE_AUTHORIZED_CODE_GRANT);
                    let tx_ok =
                        !with_tx_code || form.get("tx_code").map(String::as_str) == Some(TX_CODE);
                    if code_ok && tx_ok {
                        json_response(
                            200,
                            &json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 300}),
                        )
                    } else {
                        json_response(
                            400,
                            &json!({"error": "invalid_grant", "error_description": "the transaction code does not match"}),
                        )
                    }
                }),
            ),
            (
                "POST",
                "/nonce",
                Box::new(|_: &Request| json_response(200, &json!({"c_nonce": C_NONCE}))),
            ),
            (
                "POST",
                "/credential",
                Box::new(move |r: &Request| {
                    if r.header("authorization") != Some(&format!("Bearer {ACCESS_TOKEN}")) {
                        return json_response(401, &json!({"error": "invalid_token"}));
                    }
                    let request: CredentialRequest = serde_json::from_str(&r.body).unwrap();
                    let jwts = request.proof_jwts().unwrap();
                    let (holder, nonce) = match oid4vci::verify_proof(
                        jwts[0],
                        &base,
                        NOW,
                        300,
                        60,
                        &Budget::default(),
                    ) {
                        Ok(proven) => proven,
                        Err(e) => {
                            return json_response(
                                400,
                                &json!({"error": "invalid_proof", "error_description": e.to_string()}),
                            )
                        }
                    };
                    if nonce != C_NONCE {
                        return json_response(400, &json!({"error": "invalid_nonce"}));
                    }
                    let (credential, inclusion) = issue_credential(&issuer, &holder);
                    let response = CredentialResponse {
                        credentials: vec![oid4vci::CredentialObject { credential }],
                        notification_id: None,
                        dojang_log_inclusion: Some(inclusion),
                    };
                    json_response(200, &serde_json::to_value(response).unwrap())
                }),
            ),
        ]
    })
}

fn offer_link(server: &Server) -> String {
    oid4vci::offer_uri(&format!("{}/offers/1", server.base))
}

// ---------------------------------------------------------------------------------------------
// The fake relying party
// ---------------------------------------------------------------------------------------------

/// A request object for `claims` of a credential of type `vct`, posted back to `base`.
fn request_object(base: &str, vct: &str, claims: &[&str], mode: ResponseMode) -> RequestObject {
    let paths: Vec<String> = claims.iter().map(|c| (*c).to_owned()).collect();
    RequestObject {
        client_id: BANK.into(),
        response_type: oid4vp::RESPONSE_TYPE_VP_TOKEN.into(),
        response_mode: mode,
        response_uri: format!("{base}/response"),
        nonce: VP_NONCE.into(),
        state: STATE.into(),
        dcql_query: DcqlQuery::single("copy", vct, &paths),
        client_metadata: None,
        iat: NOW,
        exp: NOW + 300,
        purpose: Some("계좌 개설 실명확인 (real-name check to open an account)".into()),
        aud: SELF_ISSUED_AUD.into(),
    }
}

/// A relying party serving `request` signed by `signer` at `/request/1`, and taking responses at
/// `/response`.
fn fake_verifier(
    signer: &PrivateJwk,
    build: impl FnOnce(&str) -> RequestObject,
) -> (Server, String) {
    let signer = signer.clone();
    let server = Server::start(move |base| {
        let request = build(base);
        let jwt = oid4vp::sign_request_object(
            &request,
            &format!("{BANK}#request-1"),
            signer.signing_key(),
        )
        .unwrap();
        vec![
            (
                "GET",
                "/request/1",
                Box::new(move |_: &Request| Response {
                    status: 200,
                    content_type: oid4vp::REQUEST_OBJECT_CONTENT_TYPE,
                    body: jwt.clone(),
                }) as Handler,
            ),
            (
                "POST",
                "/response",
                Box::new(|_: &Request| {
                    json_response(200, &json!({"redirect_uri": "https://bank.example/done"}))
                }),
            ),
        ]
    });
    let link = oid4vp::request_uri(BANK, &format!("{}/request/1", server.base));
    (server, link)
}

/// Verifies a presentation as a relying party would, with `dojang_vc` alone: issuer signature
/// with the did:key issuer's key, disclosures, key binding to `cnf.jwk` for the bank and nonce.
/// Returns the disclosed claims.
fn verify_presentation(presentation: &str, issuer: &PublicJwk) -> Map<String, Value> {
    let budget = Budget::default();
    let sd = SdJwt::parse(presentation, &budget).unwrap();
    let payload = sd
        .issuer_jwt()
        .verify(&VerificationKey::Ed25519(*issuer), &[Algorithm::EdDSA])
        .unwrap();
    let processed = process(payload, sd.disclosures(), &budget).unwrap();
    let holder = key_binding::holder_key(payload).unwrap();
    key_binding::verify(
        &sd,
        &holder,
        &KbExpectations {
            aud: BANK,
            nonce: VP_NONCE,
            now: NOW,
            leeway: 60,
            max_age: 300,
            allowed: &[Algorithm::EdDSA],
        },
    )
    .unwrap();
    processed.claims
}

/// The personal claims among `claims` (the registered ones taken out).
fn personal(claims: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = claims
        .keys()
        .filter(|k| !["iss", "vct", "iat", "exp", "cnf"].contains(&k.as_str()))
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn agree(seen: &Arc<Mutex<Vec<ConsentView>>>) -> impl FnMut(&ConsentView) -> bool + '_ {
    move |view: &ConsentView| {
        seen.lock().unwrap().push(view.clone());
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Receive (OpenID4VCI)
// ---------------------------------------------------------------------------------------------

#[test]
fn receive_runs_the_pre_authorized_flow_and_stores_a_checked_credential() {
    let world = World::new();
    let trust = world.install_trust();
    let server = fake_issuer(Arc::clone(&world.issuer), true);

    let (id, stored) = receive(
        &world.wallet,
        &offer_link(&server),
        Some(TX_CODE),
        Some(&trust),
        NOW,
    )
    .unwrap();

    assert_eq!(stored.vct, COPY);
    assert_eq!(stored.issuer, world.issuer_did().0);
    assert_eq!(stored.label, "주민등록표 등본");
    assert_eq!(world.wallet.get_credential(&id).unwrap(), stored);
    let inclusion = log_inclusion_of(&stored).expect("the log inclusion proof is kept");
    assert_eq!(inclusion.leaf.vct, COPY);
    assert_eq!(
        server.paths(),
        [
            "GET /offers/1",
            "GET /.well-known/openid-credential-issuer",
            "POST /token",
            "POST /nonce",
            "POST /credential",
        ]
    );
    let requests = server.requests();
    let token = requests[2].form();
    assert_eq!(token["tx_code"], TX_CODE);
    assert_eq!(token["pre-authorized_code"], PRE_AUTH);
    assert!(requests[2]
        .header("content-type")
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    // The key proof is the holder's: the fake issuer bound the credential to the proven key, and
    // import checked that this is the wallet's key.
    let body: Value = serde_json::from_str(&requests[4].body).unwrap();
    assert_eq!(
        body["credential_configuration_id"],
        "resident_registration_copy"
    );
}

#[test]
fn receive_without_a_trust_list_takes_the_did_key_issuer_from_its_did() {
    let world = World::new();
    let server = fake_issuer(Arc::clone(&world.issuer), false);
    let (_, stored) = receive(&world.wallet, &offer_link(&server), None, None, NOW).unwrap();
    assert_eq!(stored.vct, COPY);
    assert!(!server.requests()[2].form().contains_key("tx_code"));
}

#[test]
fn wrong_transaction_code_is_shown_with_the_issuers_words() {
    let world = World::new();
    let server = fake_issuer(Arc::clone(&world.issuer), true);
    let err = receive(&world.wallet, &offer_link(&server), Some("0000"), None, NOW).unwrap_err();
    assert_eq!(err.code(), "issuer_refused");
    assert_eq!(
        err.to_string(),
        "the issuer refused the transaction code (invalid_grant): the transaction code does not match"
    );
    assert!(matches!(
        &err,
        WalletError::IssuerRefused { error, .. } if error == "invalid_grant"
    ));
    assert!(world.wallet.list_credentials().unwrap().is_empty());
    assert!(!server.paths().contains(&"POST /credential".to_owned()));
}

#[test]
fn missing_transaction_code_is_asked_for_before_anything_is_redeemed() {
    let world = World::new();
    let server = fake_issuer(Arc::clone(&world.issuer), true);
    let err = receive(&world.wallet, &offer_link(&server), None, None, NOW).unwrap_err();
    assert_eq!(err.code(), "tx_code_required");
    assert!(err
        .to_string()
        .contains("구청에서 문자로 받은 네 자리 번호"));
    assert_eq!(server.paths(), ["GET /offers/1"]);
}

#[test]
fn receive_refuses_an_issuer_the_trust_list_does_not_accredit() {
    let world = World::new();
    let trust = world.install_trust();
    let stranger = Arc::new(PrivateJwk::generate());
    let server = fake_issuer(stranger, false);
    let err = receive(&world.wallet, &offer_link(&server), None, Some(&trust), NOW).unwrap_err();
    assert_eq!(err.code(), "untrusted_issuer");
    assert!(world.wallet.list_credentials().unwrap().is_empty());
}

#[test]
fn unreachable_issuer_is_a_typed_error() {
    let world = World::new();
    // A port nobody listens on: bind, learn the port, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let link = oid4vci::offer_uri(&format!("http://127.0.0.1:{port}/offers/1"));
    let err = receive(&world.wallet, &link, None, None, NOW).unwrap_err();
    assert_eq!(err.code(), "service_unreachable");
    let err = receive(&world.wallet, "https://not-an-offer", None, None, NOW).unwrap_err();
    assert_eq!(err.code(), "credential_offer_invalid");
}

// ---------------------------------------------------------------------------------------------
// Respond (OpenID4VP)
// ---------------------------------------------------------------------------------------------

#[test]
fn respond_discloses_exactly_what_was_asked_after_consent() {
    let world = World::new();
    let trust = world.install_trust();
    world.store_credential();
    let (server, link) = fake_verifier(&world.bank, |base| {
        request_object(
            base,
            COPY,
            &["name", "rrn", "address.road_address"],
            ResponseMode::DirectPost,
        )
    });

    let seen = Arc::new(Mutex::new(Vec::new()));
    let outcome = respond(&world.wallet, &link, &trust, &mut agree(&seen), NOW).unwrap();

    assert_eq!(outcome.rp_id, BANK);
    assert_eq!(outcome.disclosed, ["name", "rrn", "address.road_address"]);
    assert_eq!(outcome.status_code, 200);
    assert_eq!(
        outcome.redirect_uri.as_deref(),
        Some("https://bank.example/done")
    );

    // What the holder was shown.
    let views = seen.lock().unwrap();
    let view = &views[0];
    assert_eq!(view.rp_id, BANK);
    assert_eq!(view.rp_name_ko, "도장은행");
    assert_eq!(view.rp_name_en, "Dojang Bank");
    assert!(view.purpose.as_deref().unwrap().contains("실명확인"));
    assert_eq!(view.vct, COPY);
    assert_eq!(
        view.claims_disclosed,
        [
            ("name".to_owned(), json!("홍길동")),
            ("rrn".to_owned(), json!("900101-1******")),
            (
                "address.road_address".to_owned(),
                json!("서울특별시 종로구 세종대로 209")
            ),
        ]
    );
    // birth_date and address.postal_code stay behind.
    assert_eq!(view.claims_withheld_count, 2);

    // What the bank received: a presentation that verifies and discloses exactly that.
    let requests = server.requests();
    assert_eq!(server.paths(), ["GET /request/1", "POST /response"]);
    let form = requests[1].form();
    assert_eq!(form["state"], STATE);
    let token = oid4vp::parse_vp_token_text(&form["vp_token"], &Budget::default()).unwrap();
    assert_eq!(token.keys().collect::<Vec<_>>(), ["copy"]);
    let claims = verify_presentation(&token["copy"][0], &world.issuer.public());
    assert_eq!(personal(&claims), ["address", "name", "rrn"]);
    assert_eq!(claims["rrn"], RRN, "the bank gets the RRN in full");
    assert_eq!(
        claims["address"],
        json!({"road_address": "서울특별시 종로구 세종대로 209"})
    );

    // And the history says so.
    let history = world.wallet.history().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].audience, BANK);
    assert_eq!(history[0].nonce, VP_NONCE);
    assert_eq!(
        history[0].disclosed,
        ["name", "rrn", "address.road_address"]
    );
}

#[test]
fn respond_encrypts_for_direct_post_jwt() {
    let world = World::new();
    let trust = world.install_trust();
    world.store_credential();
    let (private, public) = oid4vp::generate_response_key().unwrap();
    let (server, link) = fake_verifier(&world.bank, move |base| RequestObject {
        client_metadata: Some(ClientMetadata {
            jwks: Some(Jwks { keys: vec![public] }),
            encrypted_response_enc_values_supported: Some(vec![oid4vp::JWE_ENC.into()]),
            vp_formats_supported: None,
        }),
        ..request_object(base, COPY, &["name"], ResponseMode::DirectPostJwt)
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    respond(&world.wallet, &link, &trust, &mut agree(&seen), NOW).unwrap();

    let form = server.requests()[1].form();
    assert_eq!(form.keys().collect::<Vec<_>>(), ["response"]);
    let payload = oid4vp::decrypt_response(&form["response"], &private).unwrap();
    assert_eq!(payload["state"], STATE);
    let token = oid4vp::parse_vp_token(&payload["vp_token"], &Budget::default()).unwrap();
    let claims = verify_presentation(&token["copy"][0], &world.issuer.public());
    assert_eq!(personal(&claims), ["name"]);
}

/// Runs `respond` expecting a refusal; checks that nothing was posted, no consent asked and no
/// history written.
fn refused(world: &World, server: &Server, link: &str, trust: &VerifiedTrustList) -> WalletError {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let err = respond(&world.wallet, link, trust, &mut agree(&seen), NOW).unwrap_err();
    assert!(seen.lock().unwrap().is_empty(), "consent was not asked");
    assert!(
        !server.paths().contains(&"POST /response".to_owned()),
        "nothing was sent"
    );
    assert!(world.wallet.history().unwrap().is_empty());
    err
}

#[test]
fn respond_refuses_a_relying_party_not_on_the_trust_list() {
    let world = World::new();
    let trust = world.install_trust();
    world.store_credential();
    let (server, _) = fake_verifier(&world.bank, |base| {
        request_object(base, COPY, &["name"], ResponseMode::DirectPost)
    });
    let link = oid4vp::request_uri(
        "https://shop.example",
        &format!("{}/request/1", server.base),
    );
    let err = refused(&world, &server, &link, &trust);
    assert_eq!(err.code(), "relying_party_unknown");
    assert!(err.to_string().contains("https://shop.example"));
    assert!(
        server.requests().is_empty(),
        "an unknown party is not even contacted"
    );
}

#[test]
fn respond_refuses_a_request_signed_by_another_key() {
    let world = World::new();
    let trust = world.install_trust();
    world.store_credential();
    let impostor = PrivateJwk::generate();
    let (server, link) = fake_verifier(&impostor, |base| {
        request_object(base, COPY, &["name"], ResponseMode::DirectPost)
    });
    let err = refused(&world, &server, &link, &trust);
    assert_eq!(err.code(), "request_not_verified");
    assert!(err.to_string().contains(BANK));
}

#[test]
fn respond_refuses_claims_beyond_the_entitlement() {
    let world = World::new();
    let trust = world.install_trust();
    world.store_credential();
    let (server, link) = fake_verifier(&world.bank, |base| {
        request_object(
            base,
            COPY,
            &["name", "birth_date"],
            ResponseMode::DirectPost,
        )
    });
    let err = refused(&world, &server, &link, &trust);
    assert_eq!(err.code(), "request_beyond_entitlement");
    assert!(matches!(
        &err,
        WalletError::RequestBeyondEntitlement { claims, .. } if claims == &["birth_date".to_owned()]
    ));
    assert!(err.to_string().contains("birth_date"));
}

#[test]
fn respond_says_when_no_credential_matches() {
    let world = World::new();
    let trust = world.install_trust();
    world.store_credential();
    // A type the wallet holds none of (the bank is entitled to it).
    let (server, link) = fake_verifier(&world.bank, |base| {
        request_object(base, FAMILY, &["members"], ResponseMode::DirectPost)
    });
    let err = refused(&world, &server, &link, &trust);
    assert_eq!(err.code(), "no_matching_credential");
    assert!(matches!(
        &err,
        WalletError::NoMatchingCredential { missing, .. } if missing.is_empty()
    ));
    // The right type, but a claim the credential lacks (entitled, under `address`).
    let (server, link) = fake_verifier(&world.bank, |base| {
        request_object(
            base,
            COPY,
            &["name", "address.detail"],
            ResponseMode::DirectPost,
        )
    });
    let err = refused(&world, &server, &link, &trust);
    assert!(matches!(
        &err,
        WalletError::NoMatchingCredential { missing, .. } if missing == &["address.detail".to_owned()]
    ));
}

#[test]
fn declined_consent_sends_and_records_nothing() {
    let world = World::new();
    let trust = world.install_trust();
    world.store_credential();
    let (server, link) = fake_verifier(&world.bank, |base| {
        request_object(base, COPY, &["name", "rrn"], ResponseMode::DirectPost)
    });
    let mut asked = 0;
    let err = respond(
        &world.wallet,
        &link,
        &trust,
        &mut |view: &ConsentView| {
            asked += 1;
            assert_eq!(view.claims_disclosed[1].1, json!("900101-1******"));
            false
        },
        NOW,
    )
    .unwrap_err();
    assert_eq!(asked, 1);
    assert_eq!(err.code(), "consent_declined");
    assert_eq!(server.paths(), ["GET /request/1"]);
    assert!(world.wallet.history().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Trust configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn trust_configuration_is_verified_installed_and_loaded() {
    let world = World::new();
    let dir: &Path = world.dir.path();
    assert!(load_trust(dir, NOW).unwrap().is_none());
    assert!(world.wallet.trust(NOW).unwrap().is_none());

    // A list the root did not sign: refused, nothing written.
    let other_root = PrivateJwk::generate();
    let err = install_trust(dir, &other_root.public(), &world.trust_list(1), NOW).unwrap_err();
    assert_eq!(err.code(), "trust_list_signature_invalid");
    assert!(load_trust(dir, NOW).unwrap().is_none());

    let installed = install_trust(dir, &world.root.public(), &world.trust_list(2), NOW).unwrap();
    assert_eq!(installed.seq(), 2);
    let loaded = world.wallet.trust(NOW).unwrap().unwrap();
    assert_eq!(loaded.seq(), 2);
    assert!(loaded.relying_party(BANK).is_some());

    // Rollback to an older list under the same root: refused, the newer one stays.
    let err = install_trust(dir, &world.root.public(), &world.trust_list(1), NOW).unwrap_err();
    assert_eq!(err.code(), "trust_list_rollback");
    assert_eq!(load_trust(dir, NOW).unwrap().unwrap().seq(), 2);
    // The same one again is fine.
    install_trust(dir, &world.root.public(), &world.trust_list(2), NOW).unwrap();

    // Once the list has expired, the wallet says so rather than trusting it.
    let err = load_trust(dir, NOW + 31 * 86_400).unwrap_err();
    assert_eq!(err.code(), "trust_list_expired");

    // One file without the other.
    std::fs::remove_file(dir.join(dojang_wallet::TRUST_LIST_FILE)).unwrap();
    assert_eq!(
        load_trust(dir, NOW).unwrap_err().code(),
        "wallet_trust_incomplete"
    );

    // Not a wallet directory.
    let empty = tempfile::tempdir().unwrap();
    let err = install_trust(
        empty.path(),
        &world.root.public(),
        &world.trust_list(1),
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.code(), "wallet_not_initialized");
}
