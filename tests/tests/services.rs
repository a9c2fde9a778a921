//! The whole flow over real HTTP on loopback: an agency's issuer service and a bank's verifier
//! service as separate processes, the wallet CLI between them (OpenID4VCI offer → credential,
//! OpenID4VP request → presentation → result), and the refusals the protocols require.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use dojang_did::PrivateJwk;
use dojang_tests::http::{request, Service};
use dojang_tests::setup::{Dojang, Setting, AGENCY, BANK, COPY};
use dojang_tests::{path_str as s, provenance_steps, run, COMMAND_TIMEOUT};
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "admin-token-for-tests-0123456789";
const RP_TOKEN: &str = "rp-token-for-tests-0123456789";
const DOJANG: Dojang = Dojang::with_passphrase("services test 도장");

/// The parties made by [`setup`] in a temporary directory, and the two services.
struct World {
    at: Setting,
    issuer: Service,
    verifier: Service,
    person: String,
}

impl World {
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

/// A ministry whose published trust list accredits the agency for 등본 and registers the bank,
/// the agency with a register of four households serving on loopback, the bank's verifier
/// serving with requests that expire after `request_ttl` seconds, and a wallet that trusts the
/// list.
fn setup(request_ttl: &str) -> World {
    let at = Setting::temporary(DOJANG);
    at.accredit_agency(&[COPY]);
    at.register_bank();
    at.publish();
    let reg = at.import_register(4, Some(3));
    let person = reg["households"][0]["head"].as_str().unwrap().to_owned();

    let issuer = Service::start(&mut at.agency_service(ADMIN_TOKEN), &at.path("issuer.log"));
    // The agency's first status list exists once it has issued; make one before the bank starts.
    let status_list_url = format!("{}/status/0", issuer.url);
    let mut verifier_cmd =
        at.bank_service(&status_list_url, &["--request-ttl", request_ttl], RP_TOKEN);
    let verifier = Service::start(&mut verifier_cmd, &at.path("verifier.log"));
    let w = World {
        at,
        issuer,
        verifier,
        person,
    };
    w.at.wallet(&["init"]).success();
    w.at.wallet(&[
        "trust",
        "--root-key",
        s(&w.at.path("root.jwk")),
        "--trust-list",
        s(&w.at.path("list.jwt")),
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
    let refused = w.at.wallet(&["receive", &offer, "--tx-code", wrong]);
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
    w.at.wallet(&["receive", &offer, "--tx-code", &tx_code])
        .success();
    // The offer is single use: redeeming it again is refused (the offer is gone with its code).
    let again = w.at.wallet(&["receive", &offer, "--tx-code", &tx_code]);
    again.expect_code(1);
    assert!(
        again.stderr.contains("invalid_grant") || again.stderr.contains("not_found"),
        "{}",
        again.stderr
    );
    let listing = w.at.wallet(&["list"]).success().stdout.clone();
    assert_eq!(listing.lines().count(), 1, "{listing}");

    // The bank's background refresh picks up the agency's first status list (it had none yet).
    wait_for_status_list(&w);

    // The bank asks; the wallet checks who asks and for what, discloses, posts.
    let (id, uri) = w.ask(false);
    assert!(uri.starts_with("openid4vp://"), "{uri}");
    w.at.wallet(&["respond", &uri, "--yes"]).success();
    let v = wait_verified(&w, &id);
    assert_eq!(v["status"], "verified", "{v}");
    assert_eq!(v["issuer"], AGENCY);
    assert!(v["claims"]["name"].is_string());
    assert!(v["claims"]["address"]["road_address"].is_string());
    assert!(
        v["claims"].get("rrn").is_none() && v["claims"].get("members").is_none(),
        "{v}"
    );
    let steps = provenance_steps(&v);
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
    let history = w.at.wallet(&["history"]).success().stdout.clone();
    assert!(history.contains(BANK), "{history}");

    // The same request answered again: refused.
    let replay = w.at.wallet(&["respond", &uri, "--yes"]);
    replay.expect_code(1);
    assert!(
        replay.stderr.contains("nonce_replayed") || replay.stderr.contains("request"),
        "{}",
        replay.stderr
    );

    // An encrypted response (direct_post.jwt).
    let (id, uri) = w.ask(true);
    w.at.wallet(&["respond", &uri, "--yes"]).success();
    let v = wait_verified(&w, &id);
    assert_eq!(v["status"], "verified", "{v}");

    // Without --yes and without a terminal the wallet refuses to answer at all.
    let (_, uri) = w.ask(false);
    w.at.wallet(&["respond", &uri]).expect_code(2);

    // Neither service logged the citizen's name, RRN or address, nor a token.
    let register: Value =
        serde_json::from_str(&std::fs::read_to_string(w.at.path("register.json")).unwrap())
            .unwrap();
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
        let text = std::fs::read_to_string(w.at.path(log)).unwrap();
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
    w.at.wallet(&["receive", &offer, "--tx-code", &tx])
        .success();
    wait_for_status_list(&w);
    let (id, uri) = w.ask(false);
    std::thread::sleep(std::time::Duration::from_millis(3000));
    let late = w.at.wallet(&["respond", &uri, "--yes"]);
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
