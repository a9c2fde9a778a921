//! The peer comparison (`scripts/bench-peers`) compares the same work: `dojang bench --export`
//! writes the benchmark workload, and each peer's `bench` mode (the Python `sd-jwt` reference
//! implementation, the `@sd-jwt/*` TypeScript libraries) must accept it and see exactly the claims
//! Dojang's verification yields, and must fail rather than time a rejection when the
//! presentation is tampered with, the verifier's clock is past its expiry, or the expected claims
//! differ. No timing is asserted here: speed belongs in `scripts/bench-peers`.
//!
//! Run with `scripts/test`, which installs the peers; without them these tests fail, saying so.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_tests::{dojang, node_peer, python_peer, run, Output, COMMAND_TIMEOUT};
use serde_json::{json, Value};
use tempfile::TempDir;

/// Verifications per peer run: enough to exercise the measured loop, few enough to stay quick.
const ITERATIONS: u64 = 3;

#[derive(Debug, Clone, Copy)]
enum Peer {
    Python,
    Node,
}

const PEERS: [Peer; 2] = [Peer::Python, Peer::Node];

impl Peer {
    fn command(self) -> Command {
        match self {
            Peer::Python => python_peer(),
            Peer::Node => node_peer(),
        }
    }
}

/// The exported workload in a folder of its own.
struct Exported {
    dir: TempDir,
    workload: Value,
    claims: Value,
}

impl Exported {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            dojang().args(["bench", "--export"]).arg(dir.path()),
            COMMAND_TIMEOUT,
        );
        out.success();
        assert!(
            out.stdout.trim().is_empty(),
            "--export measures nothing: {}",
            out.stdout
        );
        let read = |name: &str| -> Value {
            let text = std::fs::read_to_string(dir.path().join(name))
                .unwrap_or_else(|e| panic!("--export wrote no {name}: {e}"));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
        };
        let workload = read("workload.json");
        let claims = read("claims.json");
        Self {
            dir,
            workload,
            claims,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn presentation(&self) -> String {
        std::fs::read_to_string(self.path("presentation.sd-jwt"))
            .unwrap()
            .trim()
            .to_owned()
    }

    fn now(&self) -> i64 {
        self.workload["now"].as_i64().unwrap()
    }

    /// A peer's bench of `presentation` at time `now`, checked against `expect` when given.
    fn bench(&self, peer: Peer, presentation: &Path, now: i64, expect: Option<&Path>) -> Output {
        let mut cmd = peer.command();
        cmd.args(["bench", "--issuer-jwk"])
            .arg(self.path("issuer.jwk"))
            .args(["--aud", self.workload["aud"].as_str().unwrap()])
            .args(["--nonce", self.workload["nonce"].as_str().unwrap()])
            .args(["--now", &now.to_string()])
            .args(["--iterations", &ITERATIONS.to_string()]);
        if let Some(expect) = expect {
            cmd.arg("--expect-claims").arg(expect);
        }
        cmd.arg(presentation);
        run(&mut cmd, COMMAND_TIMEOUT)
    }

    /// Writes `text` as a presentation file named `name`.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn assert_rejected(&self, peer: Peer, out: &Output, why: &str) {
        assert_eq!(
            out.code,
            Some(1),
            "{peer:?}'s bench must fail on {why}\n--- stdout\n{}\n--- stderr\n{}",
            out.stdout,
            out.stderr
        );
        assert!(
            out.stdout.trim().is_empty(),
            "{peer:?} printed a result for {why}: {}",
            out.stdout
        );
        assert!(
            out.stderr.contains("rejected"),
            "{peer:?} must say why: {}",
            out.stderr
        );
    }
}

/// The claims a peer printed, less the two only peers show (the holder's key, the status
/// reference), which must be there.
fn comparable(peer: Peer, claims: &Value) -> Value {
    let mut claims = claims.as_object().unwrap().clone();
    let cnf = claims.remove("cnf");
    assert!(
        cnf.as_ref().is_some_and(|c| c["jwk"]["x"].is_string()),
        "{peer:?} saw no holder key: {cnf:?}"
    );
    let status = claims.remove("status");
    assert!(
        status.is_some(),
        "{peer:?} saw no status reference: the workload has one"
    );
    Value::Object(claims)
}

#[test]
fn export_holds_the_workload_and_dojangs_claims() {
    let e = Exported::new();
    assert_eq!(e.workload["disclosures"], 10);
    assert!(e.workload["aud"].is_string() && e.workload["nonce"].is_string());
    assert_eq!(e.workload["now"], dojang_verifier::workload::NOW);
    let presentation = e.presentation();
    assert_eq!(
        presentation.split('~').count(),
        12,
        "JWT, ten disclosures, KB-JWT"
    );
    assert!(!presentation.ends_with('~'), "a KB-JWT closes it");

    let jwk: Value =
        serde_json::from_str(&std::fs::read_to_string(e.path("issuer.jwk")).unwrap()).unwrap();
    assert_eq!(jwk["kty"], "OKP");
    assert!(
        jwk.get("d").is_none(),
        "the export holds the public key only"
    );

    // Exactly what the workload discloses (workload::DISCLOSE), with the registered claims.
    let household = dojang_verifier::workload::household_claims(0);
    let member = |i: usize| {
        let m = &household["members"][i];
        json!({ "name": m["name"], "relation": m["relation"] })
    };
    let mut expected = json!({
        "name": household["name"],
        "address": { "road_address": household["address"]["road_address"] },
        "members": [member(0), member(1)],
        "iss": e.workload["iss"],
        "vct": dojang_verifier::workload::VCT,
    });
    for registered in ["iat", "exp"] {
        assert!(e.claims[registered].is_i64(), "{registered}: {}", e.claims);
        expected[registered] = e.claims[registered].clone();
    }
    assert_eq!(e.claims, expected);
}

#[test]
fn each_peer_accepts_the_workload_and_sees_dojangs_claims() {
    let e = Exported::new();
    let presentation = e.path("presentation.sd-jwt");
    let expect = e.path("claims.json");
    for peer in PEERS {
        // Checked by the peer itself (--expect-claims) and here.
        let out = e.bench(peer, &presentation, e.now(), Some(&expect));
        let report = out.success().json();
        assert_eq!(report["iterations"], ITERATIONS, "{peer:?}: {report}");
        for figure in ["total_seconds", "per_verification_us"] {
            let x = report[figure].as_f64().unwrap();
            assert!(x.is_finite() && x > 0.0, "{peer:?} {figure}: {report}");
        }
        assert_eq!(
            comparable(peer, &report["claims"]),
            e.claims,
            "{peer:?} must see what Dojang sees"
        );
    }
}

#[test]
fn each_peer_bench_fails_on_a_tampered_presentation() {
    let e = Exported::new();
    let presentation = e.presentation();
    let mut parts: Vec<String> = presentation.split('~').map(str::to_owned).collect();

    // A disclosure rewritten with another value: its digest is in no `_sd`.
    let (index, forged) = parts
        .iter()
        .enumerate()
        .skip(1)
        .find_map(|(i, d)| {
            let decoded: Value = serde_json::from_slice(&B64.decode(d).ok()?).ok()?;
            (decoded.get(1)? == "name").then(|| {
                let mut forged = decoded.clone();
                forged[2] = json!("홍길동");
                (i, B64.encode(serde_json::to_vec(&forged).unwrap()))
            })
        })
        .expect("the workload discloses a name");
    let mut forged_parts = parts.clone();
    forged_parts[index] = forged;
    let forged_disclosure = e.write("forged-disclosure.sd-jwt", &forged_parts.join("~"));

    // One character of the issuer signature changed.
    let jwt = &mut parts[0];
    let at = jwt.len() - 20;
    let replacement = if &jwt[at..=at] == "A" { "B" } else { "A" };
    jwt.replace_range(at..=at, replacement);
    let bad_signature = e.write("bad-signature.sd-jwt", &parts.join("~"));

    let good = e.path("presentation.sd-jwt");
    // A year after the credential expired.
    let late = e.claims["exp"].as_i64().unwrap() + 365 * 86_400;
    for peer in PEERS {
        for (file, why) in [
            (&forged_disclosure, "a forged disclosure"),
            (&bad_signature, "a bad issuer signature"),
        ] {
            let out = e.bench(peer, file, e.now(), None);
            e.assert_rejected(peer, &out, why);
        }
        let out = e.bench(peer, &good, late, None);
        e.assert_rejected(peer, &out, "a clock past the credential's expiry");
    }
}

#[test]
fn each_peer_bench_fails_when_the_claims_differ() {
    let e = Exported::new();
    let mut other = e.claims.clone();
    other["name"] = json!("홍길동");
    let other_file = e.write("other-claims.json", &other.to_string());
    for peer in PEERS {
        let out = e.bench(
            peer,
            &e.path("presentation.sd-jwt"),
            e.now(),
            Some(&other_file),
        );
        e.assert_rejected(peer, &out, "claims that differ from the expected ones");
    }
}
