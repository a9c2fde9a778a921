//! End to end through the `dojang` binary: the CLI contract, the roles, and the demo.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use dojang_tests::setup::{Dojang, Setting, COPY};
use dojang_tests::{
    dojang, files_under, path_str as s, provenance_steps, run, Output, COMMAND_TIMEOUT,
};
use serde_json::{json, Value};
use tempfile::TempDir;

const PASSPHRASE: &str = "correct horse battery staple 도장";
const AUD: &str = "https://bank.example/verifier";
/// Starts with `-`, as a base64url nonce may: the CLI must take it as a value, not a flag.
const NONCE: &str = "-nonce-cli-1";

const DOJANG: Dojang = Dojang::with_passphrase(PASSPHRASE);

fn dojang_run(args: &[&str]) -> Output {
    DOJANG.run(args)
}

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p
}

#[test]
fn key_issue_present_verify_contract() {
    let t = TempDir::new().unwrap();
    let issuer = t.path().join("issuer.jwk");
    let holder = t.path().join("holder.jwk");
    dojang_run(&["key", "generate", "--out", s(&issuer)]).success();
    dojang_run(&["key", "generate", "--out", s(&holder)]).success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&issuer).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "key file must be readable by its owner only"
        );
    }
    // Generating over an existing file refuses and keeps the old key.
    let before = std::fs::read(&issuer).unwrap();
    dojang_run(&["key", "generate", "--out", s(&issuer)]).expect_code(1);
    assert_eq!(std::fs::read(&issuer).unwrap(), before);

    let did_key = dojang_run(&["key", "did", s(&issuer)])
        .success()
        .text()
        .to_owned();
    assert!(did_key.starts_with("did:key:z6Mk"), "{did_key}");
    let did_jwk = dojang_run(&["key", "did", s(&issuer), "--method", "jwk"])
        .success()
        .text()
        .to_owned();
    assert!(did_jwk.starts_with("did:jwk:"), "{did_jwk}");

    let claims = write_json(
        t.path(),
        "claims.json",
        &json!({"name": "김민준", "rrn": "900101-1234567",
                "address": {"road_address": "서울특별시 종로구 세종대로 209", "postal_code": "03154"}}),
    );
    for (method, did) in [("key", &did_key), ("jwk", &did_jwk)] {
        let cred = dojang_run(&[
            "issue",
            "--key",
            s(&issuer),
            "--holder-key",
            s(&holder),
            "--vct",
            "urn:test:vct",
            "--claims",
            s(&claims),
            "--did-method",
            method,
        ])
        .success()
        .text()
        .to_owned();
        let cred_file = t.path().join(format!("cred-{method}.txt"));
        std::fs::write(&cred_file, &cred).unwrap();
        let pres = dojang_run(&[
            "present",
            "--holder-key",
            s(&holder),
            "--disclose",
            "name,address.postal_code",
            "--aud",
            AUD,
            "--nonce",
            NONCE,
            s(&cred_file),
        ])
        .success()
        .text()
        .to_owned();
        let pres_file = t.path().join(format!("pres-{method}.txt"));
        std::fs::write(&pres_file, &pres).unwrap();

        let ok = dojang_run(&[
            "verify",
            "--trust-issuer",
            did,
            "--aud",
            AUD,
            "--nonce",
            NONCE,
            s(&pres_file),
        ]);
        ok.success();
        let v = ok.json();
        assert_eq!(v["verified"], true);
        assert_eq!(v["issuer"], did.as_str());
        assert_eq!(v["vct"], "urn:test:vct");
        assert_eq!(
            v["claims"],
            json!({"name": "김민준", "address": {"postal_code": "03154"}})
        );
        assert_eq!(v["error"], Value::Null);
        assert!(v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true));

        // The wrong nonce, an untrusted issuer: rejected with exit 1 and the code.
        let bad = dojang_run(&[
            "verify",
            "--trust-issuer",
            did,
            "--aud",
            AUD,
            "--nonce",
            "other",
            s(&pres_file),
        ]);
        bad.expect_code(1);
        assert_eq!(bad.json()["error"]["code"], "kb_nonce_mismatch");
        assert_eq!(bad.json()["verified"], false);
        let untrusted = dojang_run(&["verify", "--aud", AUD, "--nonce", NONCE, s(&pres_file)]);
        untrusted.expect_code(1);
        assert_eq!(untrusted.json()["error"]["code"], "untrusted_issuer");
        // Verifying as of a time after expiry.
        let late = dojang_run(&[
            "verify",
            "--trust-issuer",
            did,
            "--aud",
            AUD,
            "--nonce",
            NONCE,
            "--now",
            "2099-01-01T00:00:00Z",
            "--kb-max-age",
            "999999999999",
            s(&pres_file),
        ]);
        late.expect_code(1);
        assert_eq!(late.json()["error"]["code"], "expired");
        // Stripping the KB-JWT.
        let stripped = &pres[..=pres.rfind('~').unwrap()];
        let sf = t.path().join("stripped.txt");
        std::fs::write(&sf, stripped).unwrap();
        let out = dojang_run(&[
            "verify",
            "--trust-issuer",
            did,
            "--aud",
            AUD,
            "--nonce",
            NONCE,
            s(&sf),
        ]);
        out.expect_code(1);
        assert_eq!(out.json()["error"]["code"], "kb_missing");
    }
    // Usage errors exit 2.
    dojang_run(&["verify", s(&claims)]).expect_code(2);
    dojang_run(&["verify", "--no-kb", "/nonexistent/file"]).expect_code(2);
    dojang_run(&[
        "present",
        "--holder-key",
        s(&holder),
        "--disclose",
        "no.such.claim",
        "--aud",
        AUD,
        "--nonce",
        NONCE,
        s(&t.path().join("cred-key.txt")),
    ])
    .expect_code(1);
}

#[test]
fn verify_never_panics_on_garbage() {
    let t = TempDir::new().unwrap();
    let inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"~".to_vec(),
        b"~~~~".to_vec(),
        b"a.b.c~".to_vec(),
        b"eyJhbGciOiJFZERTQSJ9.e30.AAAA~WyJhIl0~".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7e],
        "가.나.다~라~".as_bytes().to_vec(),
        "[".repeat(10_000).into_bytes(),
    ];
    for (i, input) in inputs.iter().enumerate() {
        let f = t.path().join(format!("in{i}"));
        std::fs::write(&f, input).unwrap();
        let out = dojang_run(&["verify", "--no-kb", s(&f)]);
        assert!(
            matches!(out.code, Some(1) | Some(2)),
            "input {i}: exit {:?}: {}",
            out.code,
            out.stderr
        );
        if out.code == Some(1) {
            assert_eq!(out.json()["verified"], false);
        }
    }
}

/// An agency, a wallet and a bank through the role commands.
#[test]
fn agency_wallet_bank_round_trip() {
    let t = TempDir::new().unwrap();
    let at = Setting::new(DOJANG, t.path());
    let wallet = at.path("wallet");
    let register = at.path("register.json");
    dojang_run(&[
        "issuer",
        "generate",
        "--households",
        "5",
        "--seed",
        "11",
        "--out",
        s(&register),
    ])
    .success();
    let did = at
        .agency(&["init", "--office", "서울특별시 종로구청"])
        .success()
        .text()
        .to_owned();
    at.agency(&["import", s(&register)]).success();
    let persons = at.agency(&["persons"]).success().stdout.clone();
    let reg: Value = serde_json::from_str(&std::fs::read_to_string(&register).unwrap()).unwrap();
    let head = reg["households"][0]["head"].as_str().unwrap().to_owned();
    assert!(persons.lines().any(|l| l == head));
    let rrn = reg["persons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == head.as_str())
        .unwrap()["rrn"]
        .as_str()
        .unwrap()
        .to_owned();

    at.wallet(&["init"]).success();
    let holder = t.path().join("holder.jwk");
    at.wallet(&["holder-key", "--out", s(&holder)]).success();
    let cred = t.path().join("copy.txt");
    let issue = at.agency(&[
        "issue",
        "--person",
        &head,
        "--certificate",
        "copy",
        "--holder-key",
        s(&holder),
        "--out",
        s(&cred),
    ]);
    issue.success();
    assert!(
        !issue.stderr.contains(&rrn),
        "issuance must not print the RRN"
    );
    let records = at.agency(&["records"]).success().stdout.clone();
    assert_eq!(records.lines().count(), 1);
    assert!(!records.contains(&rrn));
    let record: Value = serde_json::from_str(records.lines().next().unwrap()).unwrap();
    let number = record["document_number"].as_str().unwrap().to_owned();
    assert_eq!(record["log_index"], 0);
    let log_proof = t.path().join("log-proof.json");
    at.agency(&["log-proof", &number, "--out", s(&log_proof)])
        .success();

    let id = at
        .wallet(&["import", s(&cred), "--log-proof", s(&log_proof)])
        .success()
        .text()
        .to_owned();
    let listing = at.wallet(&["list"]).success().stdout.clone();
    assert!(listing.contains(&id) && listing.contains("resident-registration-copy"));
    let shown = at.wallet(&["show", &id]).success().stdout.clone();
    assert!(!shown.contains(&rrn), "show masks the RRN");
    assert!(shown.contains(&format!("{}******", &rrn[..8])));
    let revealed = at
        .wallet(&["show", &id, "--reveal-rrn"])
        .success()
        .stdout
        .clone();
    assert!(revealed.contains(&rrn));

    // The wallet's files hold no plaintext claim.
    let name = reg["persons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == head.as_str())
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    for entry in files_under(&wallet) {
        let bytes = std::fs::read(&entry).unwrap();
        for needle in [rrn.as_bytes(), name.as_bytes(), b"road_address".as_slice()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds plaintext",
                entry.display()
            );
        }
    }

    // A wrong passphrase is refused and changes nothing.
    let snapshot: Vec<(PathBuf, Vec<u8>)> = files_under(&wallet)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    let mut cmd = dojang();
    cmd.args(["wallet", "--dir", s(&wallet), "list"])
        .env("DOJANG_WALLET_PASSPHRASE", "wrong");
    let out = run(&mut cmd, COMMAND_TIMEOUT);
    out.expect_code(1);
    assert!(out.stderr.contains("wrong_passphrase"), "{}", out.stderr);
    for (p, bytes) in &snapshot {
        assert_eq!(&std::fs::read(p).unwrap(), bytes, "{} changed", p.display());
    }

    let pres = t.path().join("pres.txt");
    let proof_for_verifier = t.path().join("proof-for-verifier.json");
    at.wallet(&[
        "present",
        &id,
        "--disclose",
        "name,address",
        "--aud",
        AUD,
        "--nonce",
        NONCE,
        "--out",
        s(&pres),
        "--log-proof-out",
        s(&proof_for_verifier),
    ])
    .success();
    let lists = t.path().join("status");
    at.agency(&["status-list", "--out", s(&lists)]).success();
    let list0 = lists.join("0.jwt");
    let run_verify = |extra: &[&str]| {
        let mut args: Vec<&str> = vec![
            "verify",
            "--trust-issuer",
            &did,
            "--aud",
            AUD,
            "--nonce",
            NONCE,
            "--max-age-days",
            "90",
            "--accept-vct",
            COPY,
        ];
        args.extend_from_slice(extra);
        args.push(s(&pres));
        dojang_run(&args)
    };
    // Without the issuer's status list: cannot decide, never silently valid.
    let unknown = run_verify(&[]);
    unknown.expect_code(1);
    assert_eq!(unknown.json()["error"]["code"], "status_unknown");
    // A log proof is required and none given.
    let missing = run_verify(&["--status-list", s(&list0), "--require-log-inclusion"]);
    missing.expect_code(1);
    assert_eq!(missing.json()["error"]["code"], "log_inclusion_missing");
    let v = run_verify(&[
        "--status-list",
        s(&list0),
        "--require-log-inclusion",
        "--log-proof",
        s(&proof_for_verifier),
    ]);
    v.success();
    let v = v.json();
    let steps = provenance_steps(&v);
    assert_eq!(steps, ["credential", "status", "log"]);
    assert_eq!(v["claims"]["name"], name.as_str());
    assert!(v["claims"]["address"]["road_address"].is_string());
    assert!(v["claims"].get("rrn").is_none() && v["claims"].get("members").is_none());
    // Always-visible, non-personal claims come along.
    assert!(v["claims"]["document_number"].is_string());

    // The agency suspends, reinstates, then revokes it; each time the verifier uses the new list.
    at.agency(&["suspend", &number]).success();
    at.agency(&["status-list", "--out", s(&lists)]).success();
    let suspended = run_verify(&["--status-list", s(&list0)]);
    suspended.expect_code(1);
    assert_eq!(suspended.json()["error"]["code"], "suspended");
    at.agency(&["reinstate", &number]).success();
    at.agency(&["revoke", &number]).success();
    at.agency(&["reinstate", &number]).expect_code(1);
    at.agency(&["status-list", "--out", s(&lists)]).success();
    let revoked = run_verify(&["--status-list", s(&list0)]);
    revoked.expect_code(1);
    assert_eq!(revoked.json()["error"]["code"], "revoked");

    let history = at.wallet(&["history"]).success().stdout.clone();
    let h: Value = serde_json::from_str(history.lines().next().unwrap()).unwrap();
    assert_eq!(h["audience"], AUD);
    assert_eq!(h["disclosed"], json!(["name", "address"]));
    assert!(h["withheld"].as_array().unwrap().iter().any(|w| w == "rrn"));
}

#[test]
fn demo_tells_the_story_and_leaks_no_rrn() {
    let t = TempDir::new().unwrap();
    let out = dojang_run(&["demo", "--dir", s(t.path())]);
    out.success();
    for marker in [
        "did:web:jongno.example",
        "주민등록표 등본",
        "주민등록표 초본",
        "가족관계증명서",
        "disclosed: name, address",
        "disclosure_unreferenced",
        "nonce_replayed",
        "kb_aud_mismatch",
        "(revoked)",
        "Provenance:",
        "→ status",
        "→ log",
        "consistently extended",
        "leaves: clean",
    ] {
        assert!(
            out.stdout.contains(marker),
            "demo output lacks {marker:?}:\n{}",
            out.stdout
        );
    }
    assert!(!out.stdout.contains("UNEXPECTED"));
    // No full RRN anywhere in what the demo prints (masked ones end in ******).
    let text = format!("{}{}", out.stdout, out.stderr);
    let chars: Vec<char> = text.chars().collect();
    for w in chars.windows(14) {
        let full = w[..6].iter().all(char::is_ascii_digit)
            && w[6] == '-'
            && w[7..].iter().all(char::is_ascii_digit);
        assert!(
            !full,
            "a full RRN was printed: {}",
            w.iter().collect::<String>()
        );
    }
}
