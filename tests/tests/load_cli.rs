//! `dojang load` against real services on loopback, started as child processes: a short run
//! against the verifier and against the issuer reports no errors, a request count, latency
//! percentiles, checked samples and the service's memory; a verifier that does not trust the
//! presented credentials makes the error counter count; a non-loopback URL is refused before any
//! traffic. No timing assertions: the figures belong to `scripts/load`.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use dojang_tests::http::{request, Service};
use dojang_tests::setup::Dojang;
use dojang_tests::{dojang, path_str as s, Output};
use serde_json::{json, Value};
use tempfile::TempDir;

const PASSPHRASE: &str = "load test 도장";

const DOJANG: Dojang = Dojang::with_passphrase(PASSPHRASE);

fn d(args: &[&str]) -> Output {
    DOJANG.run(args)
}

fn token(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

/// A sandbox (`dojang sandbox`) with its issuer service running and one credential in its wallet.
struct World {
    t: TempDir,
    issuer: Service,
    person: String,
}

impl World {
    fn p(&self, name: &str) -> PathBuf {
        self.t.path().join("s").join(name)
    }

    fn new() -> World {
        let t = TempDir::new().unwrap();
        let dir = t.path().join("s");
        d(&["sandbox", "--dir", s(&dir), "--households", "3"]).success();
        let p = |n: &str| dir.join(n);
        let register: Value =
            serde_json::from_str(&std::fs::read_to_string(p("register.json")).unwrap()).unwrap();
        let person = register["households"][0]["head"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut cmd = dojang();
        cmd.args([
            "issuer",
            "--dir",
            s(&p("agency")),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-token-file",
            s(&p("admin-token")),
        ]);
        let issuer = Service::start(&mut cmd, &t.path().join("issuer.log"));
        let w = World { t, issuer, person };
        // One credential in the wallet (the agency's status list exists once it has issued).
        let body = json!({"person_id": w.person, "certificate": "copy"}).to_string();
        let offer = request(
            "POST",
            &format!("{}/admin/offers", w.issuer.url),
            &[(
                "Authorization",
                &format!("Bearer {}", token(&w.p("admin-token"))),
            )],
            Some(("application/json", body.as_bytes())),
        );
        assert_eq!(offer.status, 201, "{}", offer.body);
        let offer = offer.json();
        d(&[
            "wallet",
            "--dir",
            s(&w.p("wallet")),
            "receive",
            offer["offer_uri"].as_str().unwrap(),
            "--tx-code",
            offer["tx_code"].as_str().unwrap(),
        ])
        .success();
        w
    }

    /// The bank's verifier service, from state directory `dir`, trusting `trust`.
    fn verifier(&self, dir: &Path, trust: &[&str], log: &str) -> Service {
        let status = format!("{}/status/0", self.issuer.url);
        let mut cmd = dojang();
        cmd.args([
            "verifier",
            "--dir",
            s(dir),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--status-list-url",
            &status,
            "--rp-token-file",
            s(&self.p("rp-token")),
        ])
        .args(trust);
        let verifier = Service::start(&mut cmd, &self.t.path().join(log));
        for _ in 0..100 {
            let health = request("GET", &format!("{}/healthz", verifier.url), &[], None).json();
            if health["lists"].to_string().contains("status/0") {
                return verifier;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the verifier never loaded the agency's status list");
    }

    fn load_verifier(&self, verifier: &Service) -> Output {
        let pid = verifier.pid().to_string();
        d(&[
            "load",
            "verifier",
            "--url",
            &verifier.url,
            "--rp-token-file",
            s(&self.p("rp-token")),
            "--wallet",
            s(&self.p("wallet")),
            "--concurrency",
            "2",
            "--duration",
            "2s",
            "--sample-every",
            "10",
            "--pid",
            &pid,
            "--json",
        ])
    }
}

/// The report's shape: counts, latency percentiles in order, samples, memory of the service.
fn check_report(report: &Value, target: &str) {
    assert_eq!(report["target"], target);
    for field in ["p50", "p99", "p99_9", "max", "mean"] {
        let x = report["latency_ms"][field].as_f64().unwrap();
        assert!(x.is_finite() && x >= 0.0, "latency {field}: {report}");
    }
    let l = |f: &str| report["latency_ms"][f].as_f64().unwrap();
    assert!(l("p50") <= l("p99") && l("p99") <= l("p99_9") && l("p99_9") <= l("max"));
    for field in ["driven_seconds", "throughput_per_second", "prepare_seconds"] {
        assert!(report[field].as_f64().unwrap() >= 0.0, "{field}: {report}");
    }
    assert!(report["rounds"].as_u64().unwrap() >= 1);
    assert!(report["prepared"].as_u64().unwrap() >= report["requests"].as_u64().unwrap());
    let memory = &report["memory"];
    for field in ["rss_start_kib", "rss_end_kib", "rss_peak_kib", "vm_hwm_kib"] {
        assert!(memory[field].as_u64().unwrap() > 0, "{field}: {report}");
    }
    assert!(memory["rss_peak_kib"].as_u64() >= memory["rss_end_kib"].as_u64());
    assert_eq!(memory["process_gone"], false);
}

#[test]
fn verifier_load_counts_answers_checks_samples_and_counts_refusals_as_errors() {
    let w = World::new();
    let verifier = w.verifier(
        &w.p("bank"),
        &[
            "--root-key",
            s(&w.p("root.jwk")),
            "--trust-list",
            s(&w.p("trust-list.jwt")),
        ],
        "verifier.log",
    );
    let out = w.load_verifier(&verifier);
    out.success();
    assert!(out.stderr.contains("load: round 1"), "{}", out.stderr);
    let report = out.json();
    check_report(&report, "verifier");
    assert_eq!(report["errors"], 0, "{report}");
    assert_eq!(report["error_kinds"], json!({}));
    let requests = report["requests"].as_u64().unwrap();
    assert!(requests > 0, "{report}");
    assert_eq!(report["ok"].as_u64().unwrap(), requests);
    assert!(
        report["samples"]["checked"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert_eq!(report["samples"]["failed"], 0);
    assert_eq!(report["passed"], true);

    // The same relying party (its signing key, so the wallet side still verifies its requests),
    // but a service that trusts another issuer only: every presentation is refused.
    let bank2 = w.p("bank-untrusting");
    std::fs::create_dir(&bank2).unwrap();
    for f in ["verifier.json", "signing-key.jwk", "signing-key.pub.jwk"] {
        std::fs::copy(w.p("bank").join(f), bank2.join(f)).unwrap();
    }
    let untrusting = w.verifier(
        &bank2,
        &["--trust-issuer", "did:web:another-agency.example"],
        "verifier2.log",
    );
    let out = w.load_verifier(&untrusting);
    out.expect_code(1);
    let report = out.json();
    check_report(&report, "verifier");
    let errors = report["errors"].as_u64().unwrap();
    assert!(errors > 0, "{report}");
    assert_eq!(report["ok"], 0, "{report}");
    assert_eq!(report["requests"].as_u64().unwrap(), errors);
    let kinds = report["error_kinds"].as_object().unwrap();
    assert!(
        kinds.keys().all(|k| k.starts_with("http 400")),
        "refusals are HTTP 400 with the verifier's code: {report}"
    );
    assert_eq!(report["samples"]["checked"], 0);
    assert_eq!(report["passed"], false);
}

#[test]
fn issuer_load_counts_credentials_and_verifies_samples() {
    let w = World::new();
    let pid = w.issuer.pid().to_string();
    let out = d(&[
        "load",
        "issuer",
        "--url",
        &w.issuer.url,
        "--admin-token-file",
        s(&w.p("admin-token")),
        "--person",
        &w.person,
        "--issuer-key",
        s(&w.p("agency/issuer-key.jwk")),
        "--concurrency",
        "2",
        "--duration",
        "2s",
        "--sample-every",
        "10",
        "--pid",
        &pid,
        "--json",
    ]);
    out.success();
    let report = out.json();
    check_report(&report, "issuer");
    assert_eq!(report["errors"], 0, "{report}");
    assert!(report["requests"].as_u64().unwrap() > 0, "{report}");
    assert!(
        report["samples"]["checked"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert_eq!(report["samples"]["failed"], 0);
    assert_eq!(report["issuer_key"], "--issuer-key");
    assert_eq!(report["passed"], true);

    // Samples are checked against the key given: another key fails every sample.
    let other = w.t.path().join("other-key.jwk");
    d(&["key", "generate", "--out", s(&other)]).success();
    let out = d(&[
        "load",
        "issuer",
        "--url",
        &w.issuer.url,
        "--admin-token-file",
        s(&w.p("admin-token")),
        "--person",
        &w.person,
        "--issuer-key",
        s(&other),
        "--concurrency",
        "1",
        "--duration",
        "500ms",
        "--sample-every",
        "5",
        "--json",
    ]);
    out.expect_code(1);
    let report = out.json();
    let failed = report["samples"]["failed"].as_u64().unwrap();
    assert!(failed > 0, "{report}");
    assert_eq!(report["samples"]["checked"].as_u64().unwrap(), failed);
    assert!(
        report["error_kinds"]
            .to_string()
            .contains("sample: credential: signature_invalid"),
        "{report}"
    );
    assert_eq!(report["passed"], false);
}

#[test]
fn load_refuses_a_service_off_this_machine() {
    let t = TempDir::new().unwrap();
    let token = t.path().join("token");
    std::fs::write(&token, "0123456789abcdef0123456789abcdef\n").unwrap();
    let out = d(&[
        "load",
        "issuer",
        // TEST-NET-1 (RFC 5737): never routed; refused before any connection is tried.
        "--url",
        "http://192.0.2.1:8081",
        "--admin-token-file",
        s(&token),
        "--person",
        "P000001",
        "--duration",
        "1s",
    ]);
    out.expect_code(2);
    assert!(out.stderr.contains("loopback"), "{}", out.stderr);
}
