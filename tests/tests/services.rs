//! The whole flow over real HTTP on loopback: an agency's issuer service and a bank's verifier
//! service as separate processes, the wallet CLI between them (OpenID4VCI offer → credential,
//! OpenID4VP request → presentation → result), and the refusals the protocols require.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::PathBuf;

use dojang_did::PrivateJwk;
use dojang_tests::http::{request, Service};
use dojang_tests::{dojang, path_str as s, run, run_dojang, Output, COMMAND_TIMEOUT};
use serde_json::{json, Value};
use tempfile::TempDir;

const AGENCY: &str = "did:web:jongno.example";
const BANK: &str = "https://bank.example";
const COPY: &str = "urn:dojang:kr:resident-registration-copy:1";
const ADMIN_TOKEN: &str = "admin-token-for-tests-0123456789";
const RP_TOKEN: &str = "rp-token-for-tests-0123456789";

fn d(args: &[&str]) -> Output {
    run_dojang(
        dojang()
            .args(args)
            .env("DOJANG_WALLET_PASSPHRASE", "services test 도장"),
    )
}

struct World {
    t: TempDir,
    issuer: Service,
    verifier: Service,
    person: String,
}

impl World {
    fn p(&self, name: &str) -> PathBuf {
        self.t.path().join(name)
    }

    fn wallet(&self, args: &[&str]) -> Output {
        let dir = self.p("wallet");
        let mut all = vec!["wallet", "--dir", s(&dir)];
        all.extend_from_slice(args);
        d(&all)
    }

    /// An offer made through the agency's admin API: (offer URI, transaction code).
    fn offer(&self) -> (String, String) {
        let body = json!({"person_id": self.person, "certificate": "copy"}).to_string();
        let r = request(
            "POST",
            &format!("{}/admin/offers", self.issuer.url),
            &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
            Some(("application/json", body.as_bytes())),
        );
        assert!(r.status / 100 == 2, "offer: {} {}", r.status, r.body);
        let v = r.json();
        (
            v["offer_uri"].as_str().unwrap().to_owned(),
            v["tx_code"].as_str().unwrap().to_owned(),
        )
    }

    /// A presentation request through the bank's API: (request id, openid4vp:// URI).
    fn ask(&self, encrypted: bool) -> (String, String) {
        let mut body =
            json!({"vct": COPY, "claims": ["name", "address"], "purpose": "계좌 개설 실명 확인"});
        if encrypted {
            body["response_mode"] = json!("direct_post.jwt");
        }
        let r = request(
            "POST",
            &format!("{}/requests", self.verifier.url),
            &[("Authorization", &format!("Bearer {RP_TOKEN}"))],
            Some(("application/json", body.to_string().as_bytes())),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        (
            v["id"].as_str().unwrap().to_owned(),
            v["request_uri"].as_str().unwrap().to_owned(),
        )
    }

    fn result(&self, id: &str) -> Value {
        request(
            "GET",
            &format!("{}/requests/{id}/result", self.verifier.url),
            &[("Authorization", &format!("Bearer {RP_TOKEN}"))],
            None,
        )
        .json()
    }
}

fn setup(request_ttl: &str) -> World {
    let t = TempDir::new().unwrap();
    let p = |n: &str| t.path().join(n);
    let trust = |args: &[&str]| {
        let dir = p("ministry");
        let mut all = vec!["trust", "--dir", s(&dir)];
        all.extend_from_slice(args);
        d(&all).success().clone()
    };
    trust(&[
        "init",
        "--id",
        "did:web:mois.example",
        "--name-ko",
        "행정안전부",
        "--name-en",
        "Ministry of the Interior and Safety",
    ]);
    trust(&["root-key", "--out", s(&p("root.jwk"))]);
    d(&[
        "issuer",
        "--dir",
        s(&p("agency")),
        "init",
        "--office",
        "서울특별시 종로구청",
        "--did",
        AGENCY,
    ])
    .success();
    trust(&[
        "accredit",
        "--did",
        AGENCY,
        "--name-ko",
        "서울특별시 종로구청",
        "--name-en",
        "Jongno-gu Office",
        "--vct",
        COPY,
        "--key",
        s(&p("agency/issuer-key.jwk")),
        "--not-before",
        "2026-01-01T00:00:00Z",
    ]);
    let bank_key = d(&[
        "verifier",
        "--dir",
        s(&p("bank")),
        "init",
        "--client-id",
        BANK,
    ])
    .success()
    .stdout
    .clone();
    std::fs::write(p("bank-key.jwk"), bank_key).unwrap();
    trust(&[
        "register-rp",
        "--id",
        BANK,
        "--name-ko",
        "한빛은행",
        "--name-en",
        "Hanbit Bank",
        "--key",
        s(&p("bank-key.jwk")),
        "--entitle",
        &format!("{COPY}=name,address"),
    ]);
    trust(&["publish", "--out", s(&p("list.jwt"))]);

    let register = p("register.json");
    d(&[
        "issuer",
        "generate",
        "--households",
        "4",
        "--seed",
        "3",
        "--out",
        s(&register),
    ])
    .success();
    d(&["issuer", "--dir", s(&p("agency")), "import", s(&register)]).success();
    let reg: Value = serde_json::from_str(&std::fs::read_to_string(&register).unwrap()).unwrap();
    let person = reg["households"][0]["head"].as_str().unwrap().to_owned();

    let mut issuer_cmd = dojang();
    issuer_cmd
        .args([
            "issuer",
            "--dir",
            s(&p("agency")),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("DOJANG_ADMIN_TOKEN", ADMIN_TOKEN);
    let issuer = Service::start(&mut issuer_cmd, &p("issuer.log"));
    // The agency's first status list exists once it has issued; make one before the bank starts.
    let mut verifier_cmd = dojang();
    verifier_cmd
        .args([
            "verifier",
            "serve",
            "--dir",
            s(&p("bank")),
            "--listen",
            "127.0.0.1:0",
            "--root-key",
            s(&p("root.jwk")),
            "--trust-list",
            s(&p("list.jwt")),
            "--status-list-url",
            &format!("{}/status/0", issuer.url),
            "--request-ttl",
            request_ttl,
            "--refresh",
            "1",
        ])
        .env("DOJANG_RP_TOKEN", RP_TOKEN);
    let verifier = Service::start(&mut verifier_cmd, &p("verifier.log"));
    let w = World {
        t,
        issuer,
        verifier,
        person,
    };
    w.wallet(&["init"]).success();
    w.wallet(&[
        "trust",
        "--root-key",
        s(&w.p("root.jwk")),
        "--trust-list",
        s(&w.p("list.jwt")),
    ])
    .success();
    w
}

fn wait_for_status_list(w: &World) {
    for _ in 0..100 {
        let health = request("GET", &format!("{}/healthz", w.verifier.url), &[], None).json();
        if health["status_list_errors"]
            .as_array()
            .is_some_and(Vec::is_empty)
            && health["lists"].to_string().contains("status/0")
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the verifier never loaded the agency's status list");
}

fn wait_verified(w: &World, id: &str) -> Value {
    for _ in 0..50 {
        let v = w.result(id);
        if v["status"] != "pending" {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    w.result(id)
}

#[test]
fn offer_credential_request_presentation_result() {
    let w = setup("300");
    // A wrong transaction code is refused, and says so.
    let (offer, tx_code) = w.offer();
    let wrong = if tx_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = w.wallet(&["receive", &offer, "--tx-code", wrong]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("invalid_grant"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.to_lowercase().contains("transaction code"),
        "{}",
        refused.stderr
    );
    // The right code: the credential arrives, is checked against the trust list, and stored.
    w.wallet(&["receive", &offer, "--tx-code", &tx_code])
        .success();
    // The offer is single use: redeeming it again is refused (the offer is gone with its code).
    let again = w.wallet(&["receive", &offer, "--tx-code", &tx_code]);
    again.expect_code(1);
    assert!(
        again.stderr.contains("invalid_grant") || again.stderr.contains("not_found"),
        "{}",
        again.stderr
    );
    let listing = w.wallet(&["list"]).success().stdout.clone();
    assert_eq!(listing.lines().count(), 1, "{listing}");

    // The bank's background refresh picks up the agency's first status list (it had none yet).
    wait_for_status_list(&w);

    // The bank asks; the wallet checks who asks and for what, discloses, posts.
    let (id, uri) = w.ask(false);
    assert!(uri.starts_with("openid4vp://"), "{uri}");
    w.wallet(&["respond", &uri, "--yes"]).success();
    let v = wait_verified(&w, &id);
    assert_eq!(v["status"], "verified", "{v}");
    assert_eq!(v["issuer"], AGENCY);
    assert!(v["claims"]["name"].is_string());
    assert!(v["claims"]["address"]["road_address"].is_string());
    assert!(
        v["claims"].get("rrn").is_none() && v["claims"].get("members").is_none(),
        "{v}"
    );
    let steps: Vec<&str> = v["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert!(
        steps.starts_with(&[
            "root",
            "trust_list",
            "issuer",
            "key",
            "credential",
            "status"
        ]),
        "{steps:?}"
    );
    let history = w.wallet(&["history"]).success().stdout.clone();
    assert!(history.contains(BANK), "{history}");

    // The same request answered again: refused.
    let replay = w.wallet(&["respond", &uri, "--yes"]);
    replay.expect_code(1);
    assert!(
        replay.stderr.contains("nonce_replayed") || replay.stderr.contains("request"),
        "{}",
        replay.stderr
    );

    // An encrypted response (direct_post.jwt).
    let (id, uri) = w.ask(true);
    w.wallet(&["respond", &uri, "--yes"]).success();
    let v = wait_verified(&w, &id);
    assert_eq!(v["status"], "verified", "{v}");

    // Without --yes and without a terminal the wallet refuses to answer at all.
    let (_, uri) = w.ask(false);
    w.wallet(&["respond", &uri]).expect_code(2);

    // Neither service logged the citizen's name, RRN or address, nor a token.
    let register: Value =
        serde_json::from_str(&std::fs::read_to_string(w.p("register.json")).unwrap()).unwrap();
    let person = register["persons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == w.person.as_str())
        .unwrap()
        .clone();
    let road = person["address_history"]
        .as_array()
        .and_then(|h| h.last())
        .map(|a| a["address"]["road_address"].as_str().unwrap().to_owned())
        .unwrap();
    for log in ["issuer.log", "verifier.log"] {
        let text = std::fs::read_to_string(w.p(log)).unwrap();
        assert!(
            text.lines().count() > 3,
            "{log} has almost no lines: nothing was scanned"
        );
        for secret in [
            person["name"].as_str().unwrap(),
            person["rrn"].as_str().unwrap(),
            &person["rrn"].as_str().unwrap()[..6],
            road.as_str(),
            ADMIN_TOKEN,
            RP_TOKEN,
        ] {
            assert!(
                !text.contains(secret),
                "{log} contains personal data or a token: {secret}"
            );
        }
    }
}

#[test]
fn stale_proof_nonce_and_expired_request() {
    let w = setup("2");
    // A key proof carrying a nonce the issuer never gave (or already spent): invalid_nonce.
    let (offer, tx_code) = w.offer();
    let offer_url = offer
        .split("credential_offer_uri=")
        .nth(1)
        .map(|u| u.replace("%3A", ":").replace("%2F", "/"))
        .unwrap();
    let offer_json = request("GET", &offer_url, &[], None).json();
    let code = offer_json["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={code}&tx_code={tx_code}"
    );
    let token = request(
        "POST",
        &format!("{}/token", w.issuer.url),
        &[],
        Some(("application/x-www-form-urlencoded", form.as_bytes())),
    );
    assert_eq!(token.status, 200, "{}", token.body);
    let access = token.json()["access_token"].as_str().unwrap().to_owned();
    // The pre-authorized code is single use.
    let reused = request(
        "POST",
        &format!("{}/token", w.issuer.url),
        &[],
        Some(("application/x-www-form-urlencoded", form.as_bytes())),
    );
    assert_eq!(reused.status, 400, "{}", reused.body);
    assert_eq!(reused.json()["error"], "invalid_grant");
    let holder = PrivateJwk::generate();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let issuer_id = offer_json["credential_issuer"].as_str().unwrap();
    let proof = dojang_vc::oid4vci::sign_proof(
        &holder.public(),
        issuer_id,
        "a-nonce-never-issued",
        now,
        holder.signing_key(),
    )
    .unwrap();
    let body = json!({"credential_configuration_id": offer_json["credential_configuration_ids"][0], "proofs": {"jwt": [proof]}});
    let r = request(
        "POST",
        &format!("{}/credential", w.issuer.url),
        &[("Authorization", &format!("Bearer {access}"))],
        Some(("application/json", body.to_string().as_bytes())),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_nonce");

    // A presentation posted after the request expired.
    let (offer, tx) = w.offer();
    w.wallet(&["receive", &offer, "--tx-code", &tx]).success();
    wait_for_status_list(&w);
    let (id, uri) = w.ask(false);
    std::thread::sleep(std::time::Duration::from_millis(3000));
    let late = w.wallet(&["respond", &uri, "--yes"]);
    late.expect_code(1);
    assert!(late.stderr.contains("expired"), "{}", late.stderr);
    assert_ne!(w.result(&id)["status"], "verified");
}

/// The README's walkthrough, as the script that runs it: sandbox, two services, offer, receive,
/// request, respond, result.
#[test]
fn the_readme_walkthrough_runs() {
    let script = dojang_tests::workspace_root().join("scripts/demo-http");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(&script)
        .env("DOJANG_BIN", dojang_tests::dojang_bin());
    let out = run(&mut cmd, COMMAND_TIMEOUT);
    out.success();
    assert!(
        out.stdout.contains("\"status\": \"verified\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\"road_address\""), "{}", out.stdout);
    // The script stops the services it started: nothing listens on their ports any more.
    let urls: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("http://127.0.0.1:"))
        .collect();
    assert_eq!(urls.len(), 2, "{}", out.stdout);
    for url in urls {
        let addr = url.trim_start_matches("http://");
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "{url} still answers after the script ended"
        );
    }
}
