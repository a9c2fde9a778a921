//! Secrets and personal data: key and wallet files are not readable by other users; the demo's
//! output and the services' logs (at debug level) hold no full resident registration number and
//! no citizen's name; the admin and relying-party APIs refuse a missing (401) or wrong (403)
//! bearer token.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;

use dojang_did::PrivateJwk;
use dojang_tests::http::{request, Service};
use dojang_tests::setup::{Dojang, Setting, BANK, COPY};
use dojang_tests::{dojang, files_under, path_str as s, Output};
use dojang_vc::oid4vci::{
    parse_offer_uri, sign_proof, CredentialOffer, CredentialRequest, OfferRef, TokenRequest,
};
use dojang_vc::Budget;
use serde_json::{json, Value};
use tempfile::TempDir;

const ADMIN_TOKEN: &str = "secrets-admin-token-0123456789";
const RP_TOKEN: &str = "secrets-rp-token-0123456789";

const DOJANG: Dojang = Dojang::with_passphrase("secrets test 도장");

fn d(args: &[&str]) -> Output {
    DOJANG.run(args)
}

/// Every full RRN-shaped string (`YYMMDD-NNNNNNN`, seven digits after the dash) in `text`;
/// a masked one (`900101-1******`) is not.
fn full_rrns(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (0..b.len().saturating_sub(13))
        .filter(|&i| {
            digits(i..i + 6)
                && b[i + 6] == b'-'
                && digits(i + 7..i + 14)
                && (i == 0 || !b[i - 1].is_ascii_digit())
                && !b.get(i + 14).is_some_and(u8::is_ascii_digit)
        })
        .map(|i| text[i..i + 14].to_owned())
        .collect()
}

/// (names, RRNs) of everyone in a register file.
fn register_people(register: &Path) -> (Vec<String>, Vec<String>) {
    let reg: Value = serde_json::from_str(&std::fs::read_to_string(register).unwrap()).unwrap();
    let persons = reg["persons"].as_array().unwrap();
    let field = |k: &str| -> Vec<String> {
        persons
            .iter()
            .map(|p| p[k].as_str().unwrap().to_owned())
            .collect()
    };
    (field("name"), field("rrn"))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn key_and_wallet_files_are_not_readable_by_others() {
    let at = Setting::temporary(DOJANG);
    at.agency(&["init", "--office", "종로구청"]).success();
    let key = at.path("agency/issuer-key.jwk");
    assert_eq!(
        mode(&key),
        0o600,
        "{} has mode {:o}",
        key.display(),
        mode(&key)
    );

    let wallet = at.path("wallet");
    at.wallet(&["init"]).success();
    let reg = at.import_register(2, None);
    let holder = at.path("holder.jwk");
    at.wallet(&["holder-key", "--out", s(&holder)]).success();
    let credential = at.path("credential.txt");
    let (names, rrns) = register_people(&at.path("register.json"));
    let head = reg["households"][0]["head"].as_str().unwrap();
    at.agency(&[
        "issue",
        "--person",
        head,
        "--certificate",
        "copy",
        "--holder-key",
        s(&holder),
        "--out",
        s(&credential),
    ])
    .success();
    at.wallet(&["import", s(&credential)]).success();

    let mut readable = Vec::new();
    for file in files_under(&wallet) {
        if mode(&file) & 0o044 != 0 {
            readable.push(format!("{} ({:o})", file.display(), mode(&file)));
        }
        // Whatever the mode, no file holds a claim in the clear.
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in names.iter().chain(&rrns) {
            assert!(
                !text.contains(secret.as_str()),
                "{} holds personal data in the clear",
                file.display()
            );
        }
    }
    assert!(
        readable.is_empty(),
        "wallet files readable by group or others: {readable:?}"
    );
    assert_eq!(
        mode(&wallet) & 0o077,
        0,
        "the wallet directory is open to others"
    );
}

#[test]
fn the_demo_prints_no_full_rrn_and_no_bystander() {
    let t = TempDir::new().unwrap();
    let out = d(&[
        "demo",
        "--dir",
        s(&t.path().join("demo")),
        "--households",
        "20",
        "--seed",
        "2026",
    ]);
    out.success();
    let register = t.path().join("register.json");
    d(&[
        "issuer",
        "generate",
        "--households",
        "20",
        "--seed",
        "2026",
        "--out",
        s(&register),
    ])
    .success();
    let (names, rrns) = register_people(&register);
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        full_rrns(&all),
        Vec::<String>::new(),
        "a full RRN in the demo's output"
    );
    for rrn in &rrns {
        assert!(!all.contains(rrn.as_str()), "{rrn} in the demo's output");
    }
    // The story's holder sees their own name, and the bank the name it asked for; nobody else's
    // name appears, and none in the log lines (standard error).
    let shown: Vec<&String> = names
        .iter()
        .filter(|n| out.stdout.contains(n.as_str()))
        .collect();
    assert!(
        shown.len() <= 1,
        "names of bystanders in the demo: {shown:?}"
    );
    for name in &names {
        assert!(
            !out.stderr.contains(name.as_str()),
            "{name} logged by the demo"
        );
    }
}

/// The issuer service at debug level, through issuance for every household head and a revocation:
/// nothing personal in its log.
#[test]
fn issuer_log_holds_no_personal_data_and_admin_routes_need_the_token() {
    let at = Setting::temporary(DOJANG);
    at.agency(&["init", "--office", "종로구청"]).success();
    let reg = at.import_register(4, Some(9));
    let register = at.path("register.json");
    let mut cmd = at.agency_service(ADMIN_TOKEN);
    cmd.env("DOJANG_LOG", "debug");
    let log = at.path("issuer.log");
    let service = Service::start(&mut cmd, &log);
    let url = service.url.clone();
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let holder = PrivateJwk::generate();
    let mut number = String::new();
    for household in reg["households"].as_array().unwrap() {
        let body = json!({"person_id": household["head"], "certificate": "copy"}).to_string();
        let r = request(
            "POST",
            &format!("{url}/admin/offers"),
            &[("Authorization", &admin)],
            Some(("application/json", body.as_bytes())),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let created = r.json();
        let OfferRef::ByReference(offer_url) =
            parse_offer_uri(created["offer_uri"].as_str().unwrap()).unwrap()
        else {
            panic!("an offer by value")
        };
        let offer = CredentialOffer::from_json(
            request("GET", &offer_url, &[], None).body.as_bytes(),
            &Budget::default(),
        )
        .unwrap();
        let form = TokenRequest::pre_authorized(
            &offer.pre_authorized().pre_authorized_code,
            created["tx_code"].as_str(),
        )
        .to_form();
        let token = request(
            "POST",
            &format!("{url}/token"),
            &[],
            Some(("application/x-www-form-urlencoded", form.as_bytes())),
        )
        .json();
        let access = format!("Bearer {}", token["access_token"].as_str().unwrap());
        let nonce = request("POST", &format!("{url}/nonce"), &[], None).json();
        let proof = sign_proof(
            &holder.public(),
            &offer.credential_issuer,
            nonce["c_nonce"].as_str().unwrap(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64,
            holder.signing_key(),
        )
        .unwrap();
        let body = serde_json::to_vec(&CredentialRequest::with_proof(
            &offer.credential_configuration_ids[0],
            proof,
        ))
        .unwrap();
        let r = request(
            "POST",
            &format!("{url}/credential"),
            &[("Authorization", &access)],
            Some(("application/json", &body)),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let credential = r.json()["credentials"][0]["credential"]
            .as_str()
            .unwrap()
            .to_owned();
        let payload = credential.split('.').nth(1).unwrap().to_owned();
        use base64::Engine as _;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        number = claims["document_number"].as_str().unwrap().to_owned();
    }
    let revoke = format!("{url}/admin/credentials/{number}/revoke");
    assert_eq!(
        request("POST", &revoke, &[("Authorization", &admin)], None).status,
        200
    );

    // Every admin route: no token 401, a wrong one 403, and nothing happens.
    let wrong = format!("Bearer {ADMIN_TOKEN}x");
    for path in [
        "/admin/offers".to_owned(),
        "/admin/events".to_owned(),
        "/admin/register".to_owned(),
        format!("/admin/credentials/{number}/revoke"),
        format!("/admin/credentials/{number}/suspend"),
        format!("/admin/credentials/{number}/reinstate"),
    ] {
        let body = Some(("application/json", &b"{}"[..]));
        let none = request("POST", &format!("{url}{path}"), &[], body);
        assert_eq!(none.status, 401, "{path}: {}", none.body);
        let bad = request(
            "POST",
            &format!("{url}{path}"),
            &[("Authorization", &wrong)],
            body,
        );
        assert_eq!(bad.status, 403, "{path}: {}", bad.body);
        let basic = request(
            "POST",
            &format!("{url}{path}"),
            &[("Authorization", &format!("Basic {ADMIN_TOKEN}"))],
            body,
        );
        assert!(
            matches!(basic.status, 401 | 403),
            "{path}: {}",
            basic.status
        );
    }
    drop(service);

    let (names, rrns) = register_people(&register);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines().count() > 10,
        "the log is nearly empty: nothing was scanned"
    );
    assert_eq!(
        full_rrns(&text),
        Vec::<String>::new(),
        "a full RRN in the issuer's log"
    );
    for secret in names
        .iter()
        .chain(&rrns)
        .map(String::as_str)
        .chain([ADMIN_TOKEN])
    {
        assert!(!text.contains(secret), "the issuer's log holds {secret}");
    }
}

#[test]
fn relying_party_routes_need_the_token() {
    let at = Setting::temporary(DOJANG);
    let bank = at.path("bank");
    at.bank(&["init", "--client-id", BANK]).success();
    let issuer = at
        .agency(&["init", "--office", "구청"])
        .success()
        .text()
        .to_owned();
    let mut cmd = dojang();
    cmd.args([
        "verifier",
        "serve",
        "--dir",
        s(&bank),
        "--listen",
        "127.0.0.1:0",
    ])
    .args(["--trust-issuer", &issuer])
    .env("DOJANG_RP_TOKEN", RP_TOKEN)
    .env("DOJANG_LOG", "debug");
    let log = at.path("verifier.log");
    let service = Service::start(&mut cmd, &log);
    let url = service.url.clone();
    let body = json!({"vct": COPY, "claims": ["name"]}).to_string();
    let wrong = format!("Bearer {RP_TOKEN}x");
    for (method, path, body) in [
        (
            "POST",
            "/requests",
            Some(("application/json", body.as_bytes())),
        ),
        ("GET", "/requests/abc/result", None),
    ] {
        let none = request(method, &format!("{url}{path}"), &[], body);
        assert_eq!(none.status, 401, "{path}: {}", none.body);
        let bad = request(
            method,
            &format!("{url}{path}"),
            &[("Authorization", &wrong)],
            body,
        );
        assert_eq!(bad.status, 403, "{path}: {}", bad.body);
    }
    drop(service);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(RP_TOKEN), "the verifier logged its token");
}
