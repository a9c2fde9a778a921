//! Crash recovery: the agency's issuer service, the bank's verifier service and the wallet are
//! killed with SIGKILL at random moments (a seeded RNG; `DOJANG_CRASH_SEED` picks another seed)
//! and restarted on the same directory. Nothing a client saw acknowledged may be lost: every
//! credential answered with a 200 has its record, its status entry and its log leaf; no status
//! index is handed out twice; every acknowledged revocation is in the published status list; each
//! new log checkpoint is a consistent extension of every earlier one; a nonce spent before the
//! crash stays spent; a presentation or import the wallet reported stays in its store.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![cfg(unix)] // SIGKILL

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dojang_did::{PrivateJwk, PublicJwk};
use dojang_tests::http::{request, try_request, Response};
use dojang_tests::setup::{Dojang, Setting, COPY};
use dojang_tests::{dojang, path_str as s, Output};
use dojang_vc::log::{jwt_sha256, verify_checkpoint, Checkpoint, ConsistencyProof};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::oid4vci::{
    parse_offer_uri, sign_proof, CredentialOffer, CredentialRequest, CredentialResponse, OfferRef,
    TokenRequest,
};
use dojang_vc::status_list::{status_reference, verify_token, Status};
use dojang_vc::{Algorithm, Budget, SdJwt, VerificationKey};
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "crash-admin-token-0123456789";
const RP_TOKEN: &str = "crash-rp-token-0123456789";
const PASSPHRASE: &str = "crash test 도장";
const DOJANG: Dojang = Dojang::with_passphrase(PASSPHRASE);
/// SIGKILLs of the issuer service (the issue asks for at least 50).
const ISSUER_KILLS: usize = 52;

/// splitmix64: a small seeded generator, so that a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn seeded(default: u64) -> Rng {
        let seed = std::env::var("DOJANG_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        eprintln!("crash seed {seed} (set DOJANG_CRASH_SEED to replay another)");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A `dojang … serve` child that this test kills with SIGKILL (the shared `Service` stops its
/// child gracefully; here the point is that it does not get the chance). Dropping it kills and
/// reaps the child if it still runs, so no process outlives the test.
struct Proc {
    child: Child,
    url: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Proc {
    fn start(command: &mut Command, log: &Path) -> Proc {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the service did not start: {line:?}");
        };
        Proc {
            url: url.to_owned(),
            child,
            _stdout: stdout,
        }
    }

    /// SIGKILL (no graceful shutdown, no flush), then reap.
    fn kill9(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // `Child::kill` sends SIGKILL; a reaped child is not signalled again.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The issuer
// ---------------------------------------------------------------------------------------------

/// A credential the client saw acknowledged (a 200 from /credential, read whole).
#[derive(Debug, Clone)]
struct Acked {
    number: String,
    jwt_sha256: String,
    status_uri: String,
    status_idx: u64,
}

struct Agency {
    at: Setting,
    key: VerificationKey,
    persons: Vec<String>,
}

impl Agency {
    fn new() -> Agency {
        let at = Setting::temporary(DOJANG);
        at.agency(&["init", "--office", "서울특별시 종로구청"])
            .success();
        let reg = at.import_register(6, Some(11));
        let persons = reg["households"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["head"].as_str().unwrap().to_owned())
            .collect();
        let jwk: Value = serde_json::from_str(
            &std::fs::read_to_string(at.path("agency/issuer-key.jwk")).unwrap(),
        )
        .unwrap();
        let key = VerificationKey::Ed25519(PublicJwk::from_json_public_part(&jwk).unwrap());
        Agency { at, key, persons }
    }

    fn start(&self) -> Proc {
        Proc::start(
            &mut self.at.agency_service(ADMIN_TOKEN),
            &self.at.path("issuer.log"),
        )
    }

    fn cli(&self, args: &[&str]) -> Output {
        self.at.agency(args).success().clone()
    }
}

/// What one step of the client's traffic ended in.
enum Step {
    /// Acknowledged.
    Done,
    /// The connection failed: the service is (being) killed. Nothing is known of the step.
    Lost,
}

/// `Err` only for a connection failure; an unexpected status while the service lives is a bug.
fn call(
    method: &str,
    url: &str,
    bearer: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Result<Response, ()> {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    try_request(method, url, &headers, body).map_err(|_| ())
}

fn expect_2xx(what: &str, r: &Response) {
    assert!(
        r.status / 100 == 2,
        "{what} answered {} while the service was up: {}",
        r.status,
        r.body
    );
}

/// The whole OpenID4VCI flow for one credential.
fn issue_one(
    url: &str,
    person: &str,
    holder: &PrivateJwk,
    key: &VerificationKey,
) -> Result<Acked, ()> {
    let body = json!({"person_id": person, "certificate": "copy"}).to_string();
    let r = call(
        "POST",
        &format!("{url}/admin/offers"),
        Some(ADMIN_TOKEN),
        Some(("application/json", body.as_bytes())),
    )?;
    expect_2xx("POST /admin/offers", &r);
    let created = r.json();
    let OfferRef::ByReference(offer_url) =
        parse_offer_uri(created["offer_uri"].as_str().unwrap()).unwrap()
    else {
        panic!("an offer by value")
    };
    let tx_code = created["tx_code"].as_str().unwrap().to_owned();
    let r = call("GET", &offer_url, None, None)?;
    expect_2xx("GET the offer", &r);
    let offer = CredentialOffer::from_json(r.body.as_bytes(), &Budget::default()).unwrap();
    let form =
        TokenRequest::pre_authorized(&offer.pre_authorized().pre_authorized_code, Some(&tx_code))
            .to_form();
    let r = call(
        "POST",
        &format!("{url}/token"),
        None,
        Some(("application/x-www-form-urlencoded", form.as_bytes())),
    )?;
    expect_2xx("POST /token", &r);
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = call("POST", &format!("{url}/nonce"), None, None)?;
    expect_2xx("POST /nonce", &r);
    let c_nonce = r.json()["c_nonce"].as_str().unwrap().to_owned();
    let proof = sign_proof(
        &holder.public(),
        &offer.credential_issuer,
        &c_nonce,
        now(),
        holder.signing_key(),
    )
    .unwrap();
    let request = CredentialRequest::with_proof(&offer.credential_configuration_ids[0], proof);
    let body = serde_json::to_vec(&request).unwrap();
    let r = call(
        "POST",
        &format!("{url}/credential"),
        Some(&access),
        Some(("application/json", &body)),
    )?;
    expect_2xx("POST /credential", &r);
    let response: CredentialResponse = serde_json::from_str(&r.body).unwrap();
    let credential = &response.credentials[0].credential;
    let issuer_jwt = credential.split('~').next().unwrap();
    let sd_jwt = SdJwt::parse(credential, &Budget::default()).unwrap();
    let payload = sd_jwt
        .issuer_jwt()
        .verify(key, &[Algorithm::EdDSA])
        .unwrap()
        .clone();
    let reference = status_reference(&payload).unwrap().unwrap();
    Ok(Acked {
        number: payload["document_number"].as_str().unwrap().to_owned(),
        jwt_sha256: jwt_sha256(issuer_jwt),
        status_uri: reference.uri,
        status_idx: reference.idx,
    })
}

/// The published status list `uri`, fetched from the service and verified.
fn published_list(
    url: &str,
    uri: &str,
    key: &VerificationKey,
) -> dojang_vc::status_list::StatusList {
    let id = uri.rsplit('/').next().unwrap();
    let r = request("GET", &format!("{url}/status/{id}"), &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    verify_token(
        &r.body,
        key,
        &[Algorithm::EdDSA],
        uri,
        now(),
        &Budget::default(),
    )
    .unwrap()
    .list
}

/// The service's current checkpoint, verified.
fn checkpoint(url: &str, key: &VerificationKey) -> Checkpoint {
    let r = request("GET", &format!("{url}/log/checkpoint"), &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    verify_checkpoint(&r.body, key, &Budget::default()).unwrap()
}

#[test]
fn issuer_survives_sigkill_under_issuance_and_revocation() {
    let started = Instant::now();
    let agency = Agency::new();
    let mut rng = Rng::seeded(0x646f_6a61_6e67);
    let holder = PrivateJwk::generate();
    let mut acked: Vec<Acked> = Vec::new();
    let mut revoked: BTreeSet<String> = BTreeSet::new();
    // Credentials whose revocation was sent but not acknowledged: never revoked again.
    let mut maybe_revoked: BTreeSet<String> = BTreeSet::new();
    let mut seen_idx: BTreeMap<(String, u64), String> = BTreeMap::new();
    let mut checkpoints: Vec<Checkpoint> = Vec::new();
    let mut lost_steps = 0usize;
    let mut fresh_from = 0usize;

    for round in 0..=ISSUER_KILLS {
        let mut service = agency.start();
        let url = service.url.clone();

        // After a restart: the service serves, and has lost nothing acknowledged.
        let health = request("GET", &format!("{url}/healthz"), &[], None);
        assert_eq!(health.status, 200, "round {round}: {}", health.body);
        let cp = checkpoint(&url, &agency.key);
        assert!(
            cp.tree_size >= acked.len() as u64,
            "round {round}: the log has {} leaves, {} credentials were acknowledged",
            cp.tree_size,
            acked.len()
        );
        for old in checkpoints.iter().filter(|o| o.tree_size > 0) {
            let r = request(
                "GET",
                &format!(
                    "{url}/log/consistency?old={}&new={}",
                    old.tree_size, cp.tree_size
                ),
                &[],
                None,
            );
            assert_eq!(r.status, 200, "round {round}: {}", r.body);
            ConsistencyProof::from_json(r.body.as_bytes(), &Budget::default())
                .unwrap()
                .verify(old, &cp)
                .unwrap_or_else(|e| {
                    panic!(
                        "round {round}: checkpoint {} does not extend checkpoint {}: {e}",
                        cp.tree_size, old.tree_size
                    )
                });
        }
        checkpoints.push(cp.clone());
        // The credentials acknowledged in the last burst: their leaf, under this checkpoint.
        for a in &acked[fresh_from..] {
            let r = request(
                "GET",
                &format!("{url}/log/inclusion/{}", a.number),
                &[],
                None,
            );
            assert_eq!(r.status, 200, "round {round}: {} {}", a.number, r.body);
            let inclusion: LogInclusion = serde_json::from_str(&r.body).unwrap();
            assert_eq!(inclusion.leaf.jwt_sha256, a.jwt_sha256, "{}", a.number);
            let included =
                verify_checkpoint(&inclusion.checkpoint, &agency.key, &Budget::default()).unwrap();
            inclusion.proof.verify(&inclusion.leaf, &included).unwrap();
        }
        // Every acknowledged revocation is published.
        let uris: BTreeSet<&str> = acked.iter().map(|a| a.status_uri.as_str()).collect();
        for uri in uris {
            let list = published_list(&url, uri, &agency.key);
            for a in acked.iter().filter(|a| a.status_uri == uri) {
                let status = list.get(a.status_idx).map(Status::from_bits);
                if revoked.contains(&a.number) {
                    assert_eq!(status, Some(Status::Invalid), "round {round}: {}", a.number);
                } else if !maybe_revoked.contains(&a.number) {
                    assert_eq!(status, Some(Status::Valid), "round {round}: {}", a.number);
                }
            }
        }
        if round == ISSUER_KILLS {
            drop(service);
            break;
        }

        // A burst of traffic, and a SIGKILL at a random moment within it.
        fresh_from = acked.len();
        let pid = service.child.id().to_string();
        let delay = Duration::from_millis(rng.range(10, 100));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        });
        loop {
            let candidates: Vec<&Acked> = acked
                .iter()
                .filter(|a| !revoked.contains(&a.number) && !maybe_revoked.contains(&a.number))
                .collect();
            let step = if !candidates.is_empty() && rng.range(0, 100) < 30 {
                let number = candidates[rng.range(0, candidates.len() as u64) as usize]
                    .number
                    .clone();
                match call(
                    "POST",
                    &format!("{url}/admin/credentials/{number}/revoke"),
                    Some(ADMIN_TOKEN),
                    None,
                ) {
                    Ok(r) => {
                        expect_2xx("revoke", &r);
                        assert_eq!(r.json()["status"], "invalid", "{}", r.body);
                        revoked.insert(number);
                        Step::Done
                    }
                    Err(()) => {
                        maybe_revoked.insert(number);
                        Step::Lost
                    }
                }
            } else {
                let person = &agency.persons[rng.range(0, agency.persons.len() as u64) as usize];
                match issue_one(&url, person, &holder, &agency.key) {
                    Ok(a) => {
                        if let Some(earlier) =
                            seen_idx.insert((a.status_uri.clone(), a.status_idx), a.number.clone())
                        {
                            panic!(
                                "status index {} of {} handed out twice: {earlier} and {}",
                                a.status_idx, a.status_uri, a.number
                            );
                        }
                        acked.push(a);
                        Step::Done
                    }
                    Err(()) => Step::Lost,
                }
            };
            if let Step::Lost = step {
                lost_steps += 1;
                break;
            }
        }
        killer.join().unwrap();
        service.kill9();
    }

    assert!(
        // A floor, not a target: on a loaded machine a burst may end before its first answer.
        // Half as many credentials as kills still means traffic across most crashes.
        acked.len() >= ISSUER_KILLS / 2,
        "too little traffic to mean anything: {} credentials",
        acked.len()
    );

    // The agency's directory, opened the way the CLI opens it after the last kill.
    let records: Vec<Value> = agency
        .cli(&["records"])
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let leaves: Vec<Value> = agency
        .cli(&["log-export"])
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_number: BTreeMap<&str, &Value> = records
        .iter()
        .map(|r| (r["document_number"].as_str().unwrap(), r))
        .collect();
    assert_eq!(
        records.len(),
        leaves.len(),
        "every record has one log leaf and every leaf a record"
    );
    let mut slots = BTreeSet::new();
    for r in &records {
        let slot = (
            r["status_uri"].as_str().unwrap().to_owned(),
            r["status_idx"].as_u64().unwrap(),
        );
        assert!(
            slots.insert(slot.clone()),
            "status slot {slot:?} used twice"
        );
        let leaf = &leaves[r["log_index"].as_u64().unwrap() as usize];
        assert_eq!(leaf["jwt_sha256"], r["jwt_sha256"], "{r}");
        assert_eq!(leaf["status_uri"], r["status_uri"], "{r}");
        assert_eq!(leaf["status_idx"], r["status_idx"], "{r}");
    }
    for a in &acked {
        let r = by_number
            .get(a.number.as_str())
            .unwrap_or_else(|| panic!("acknowledged credential {} has no record", a.number));
        assert_eq!(r["jwt_sha256"], a.jwt_sha256.as_str());
        assert_eq!(r["status_uri"], a.status_uri.as_str());
        assert_eq!(r["status_idx"], a.status_idx);
    }
    for number in revoked.iter().take(5) {
        let history = agency.cli(&["status-history", number]).stdout;
        assert!(history.contains("invalid"), "{number}: {history}");
    }
    let stored = agency.cli(&["checkpoints"]).stdout;
    for cp in checkpoints.iter().filter(|c| c.tree_size > 0) {
        assert!(
            stored.lines().any(
                |line| verify_checkpoint(line, &agency.key, &Budget::default())
                    .is_ok_and(|c| c.tree_size == cp.tree_size && c.root_hash == cp.root_hash)
            ),
            "checkpoint of size {} was served but is not stored",
            cp.tree_size
        );
    }
    eprintln!(
        "{} kills, {} credentials and {} revocations acknowledged, {lost_steps} steps cut short, {:?}",
        ISSUER_KILLS,
        acked.len(),
        revoked.len(),
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// The verifier's single-use nonces
// ---------------------------------------------------------------------------------------------

fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn jwt_payload(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A ministry with a trust list accrediting a did:web agency and registering a bank, the agency
/// with a register, and a wallet; [`issue_offline`] and [`import`] give it
/// credentials.
fn trusted() -> Setting {
    let w = Setting::temporary(DOJANG);
    w.accredit_agency(&[COPY]);
    w.register_bank();
    w.publish();
    w.import_register(3, Some(5));
    w.wallet(&["init"]).success();
    w
}

/// Issues (offline, before any service holds the agency's database) `n` credentials of the
/// household heads to the wallet's key; returns their files.
fn issue_offline(w: &Setting, n: usize) -> Vec<PathBuf> {
    let holder_key = w.path("holder.jwk");
    w.wallet(&["holder-key", "--out", s(&holder_key)]).success();
    let reg: Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("register.json")).unwrap()).unwrap();
    let heads: Vec<&str> = reg["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["head"].as_str().unwrap())
        .collect();
    (0..n)
        .map(|i| {
            let out = w.path(&format!("credential-{i}.txt"));
            w.agency(&[
                "issue",
                "--person",
                heads[i % heads.len()],
                "--certificate",
                "copy",
                "--holder-key",
                s(&holder_key),
                "--out",
                s(&out),
            ])
            .success();
            out
        })
        .collect()
}

fn import(w: &Setting, file: &Path, label: &str) -> Output {
    w.wallet(&[
        "import",
        s(file),
        "--label",
        label,
        "--trust-list",
        s(&w.path("list.jwt")),
        "--root-key",
        s(&w.path("root.jwk")),
    ])
}

#[test]
fn a_nonce_spent_before_a_sigkill_stays_spent() {
    let w = trusted();
    let credentials = issue_offline(&w, 1);
    let id = import(&w, &credentials[0], "등본")
        .success()
        .text()
        .to_owned();

    let issuer = Proc::start(&mut w.agency_service(ADMIN_TOKEN), &w.path("issuer.log"));
    let status_list_url = format!("{}/status/0", issuer.url);
    let start_verifier = || {
        Proc::start(
            &mut w.bank_service(&status_list_url, &[], RP_TOKEN),
            &w.path("verifier.log"),
        )
    };
    let mut verifier = start_verifier();
    let rp = format!("Bearer {RP_TOKEN}");
    // The status list is loaded before the presentation arrives, so that it verifies.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let health = request("GET", &format!("{}/healthz", verifier.url), &[], None).json();
        if health["lists"].to_string().contains("status/0")
            && health["status_list_errors"]
                .as_array()
                .is_some_and(Vec::is_empty)
        {
            break;
        }
        assert!(Instant::now() < deadline, "no status list: {health}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let body = json!({"vct": COPY, "claims": ["name", "address"], "purpose": "계좌 개설"});
    let created = request(
        "POST",
        &format!("{}/requests", verifier.url),
        &[("Authorization", &rp)],
        Some(("application/json", body.to_string().as_bytes())),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let request_id = created.json()["id"].as_str().unwrap().to_owned();
    let object = request(
        "GET",
        &format!("{}/requests/{request_id}/object", verifier.url),
        &[],
        None,
    );
    assert_eq!(object.status, 200, "{}", object.body);
    let claims = jwt_payload(object.body.trim());
    let presentation = w
        .wallet(&[
            "present",
            &id,
            "--disclose",
            "name,address",
            "--aud",
            claims["client_id"].as_str().unwrap(),
            "--nonce",
            claims["nonce"].as_str().unwrap(),
        ])
        .success()
        .text()
        .to_owned();
    let query_id = claims["dcql_query"]["credentials"][0]["id"]
        .as_str()
        .unwrap();
    let vp_token = json!({ query_id: [presentation] }).to_string();
    let form = format!(
        "vp_token={}&state={}",
        form_encode(&vp_token),
        form_encode(claims["state"].as_str().unwrap())
    );
    let post = |url: &str| {
        request(
            "POST",
            &format!("{url}/response"),
            &[],
            Some(("application/x-www-form-urlencoded", form.as_bytes())),
        )
    };
    let first = post(&verifier.url);
    assert_eq!(first.status, 200, "{}", first.body);
    // Killed right after the 200: no graceful shutdown, no flush.
    verifier.kill9();
    let verifier = start_verifier();
    let again = post(&verifier.url);
    assert_eq!(again.status / 100, 4, "{}", again.body);
    assert_eq!(again.json()["error"], "nonce_replayed", "{}", again.body);
    // The result recorded before the crash is still there.
    let result = request(
        "GET",
        &format!("{}/requests/{request_id}/result", verifier.url),
        &[("Authorization", &rp)],
        None,
    )
    .json();
    assert_eq!(result["status"], "verified", "{result}");
}

// ---------------------------------------------------------------------------------------------
// The wallet
// ---------------------------------------------------------------------------------------------

#[test]
fn wallet_imports_and_history_survive_sigkill() {
    let w = trusted();
    const IMPORTS: usize = 6;
    let credentials = issue_offline(&w, IMPORTS + 1);
    let id = import(&w, &credentials[0], "first")
        .success()
        .text()
        .to_owned();
    let mut rng = Rng::seeded(0x7761_6c6c_6574);
    // How long one command takes here, to aim the kills inside it.
    let timer = Instant::now();
    w.wallet(&["list"]).success();
    let typical = timer.elapsed().as_millis() as u64 + 1;

    let mut acked_labels = vec!["first".to_owned()];
    let mut acked_audiences: Vec<String> = Vec::new();
    let mut imports = 1..=IMPORTS;
    let (mut kills, mut finished) = (0, 0);
    for round in 0..15 {
        let dir = w.path("wallet");
        let mut cmd = dojang();
        cmd.env("DOJANG_WALLET_PASSPHRASE", PASSPHRASE)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (label, audience) = match (round % 3, imports.next()) {
            (0, Some(i)) => {
                let label = format!("import-{i}");
                cmd.args(["wallet", "--dir", s(&dir), "import", s(&credentials[i])])
                    .args(["--label", &label, "--trust-list", s(&w.path("list.jwt"))])
                    .args(["--root-key", s(&w.path("root.jwk"))]);
                (Some(label), None)
            }
            _ => {
                let aud = format!("https://rp-{round}.example");
                cmd.args(["wallet", "--dir", s(&dir), "present", &id])
                    .args(["--disclose", "name", "--aud", &aud, "--nonce"])
                    .arg(format!("nonce-{round}"));
                (None, Some(aud))
            }
        };
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.range(0, typical * 3 / 2)));
        let status = match child.try_wait().unwrap() {
            Some(status) => status,
            None => {
                let _ = Command::new("kill")
                    .args(["-KILL", &child.id().to_string()])
                    .status();
                child.wait().unwrap()
            }
        };
        if status.success() {
            finished += 1;
            acked_labels.extend(label);
            acked_audiences.extend(audience);
        } else {
            kills += 1;
        }
        // The wallet still opens, and holds everything it acknowledged.
        let list = w.wallet(&["list"]).success().stdout.clone();
        for label in &acked_labels {
            assert!(
                list.contains(&format!("[{label}]")),
                "round {round}: {label} lost:\n{list}"
            );
        }
        let history = w.wallet(&["history"]).success().stdout.clone();
        for aud in &acked_audiences {
            assert!(
                history.contains(aud.as_str()),
                "round {round}: {aud} lost:\n{history}"
            );
        }
    }
    eprintln!("wallet: {kills} commands killed, {finished} finished");
    assert!(kills > 0, "no command was killed: the test proved nothing");
}
