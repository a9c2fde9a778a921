//! The adversarial corpus (`tests/corpus/`): no drift between the generator and the committed
//! files, every case gives its exact code through `dojang_verifier::verify`, and through
//! `dojang verify` for the cases its flags can express, without a panic.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "../corpus/cases.rs"]
#[allow(dead_code)] // the generator's bin uses all of it; this test uses most
mod cases;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dojang_did::PublicJwk;
use dojang_tests::{dojang, run, COMMAND_TIMEOUT};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::trust_list::verify_trust_list;
use dojang_vc::{Algorithm, Budget};
use dojang_verifier::{
    verify, Challenge, Inputs, IssuerTrust, MemoryNonceStore, NonceStore, Policy, StatusListCache,
    TrustListTrust, TrustedIssuers,
};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// The committed cases, in file order, as (file name, parsed JSON).
fn committed() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (name, value)
        })
        .collect()
}

#[test]
fn committed_files_match_the_generator() {
    let built = cases::build();
    assert!(built.len() >= 80, "only {} cases", built.len());
    let dir = corpus_dir().join("cases");
    let expected: BTreeSet<String> = built.iter().map(|c| c.file.clone()).collect();
    let present: BTreeSet<String> = committed().into_iter().map(|(f, _)| f).collect();
    let hint = "regenerate with `cargo run -p dojang-tests --bin gen-corpus`";
    let missing: Vec<_> = expected.difference(&present).collect();
    let extra: Vec<_> = present.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "cases missing from {dir:?}: {missing:?}; {hint}"
    );
    assert!(
        extra.is_empty(),
        "cases the generator does not make: {extra:?}; {hint}"
    );
    for case in &built {
        let on_disk = std::fs::read_to_string(dir.join(&case.file)).unwrap();
        assert!(
            on_disk == case.text,
            "{} differs from the generator; {hint}",
            case.file
        );
    }
    let readme = std::fs::read_to_string(corpus_dir().join("README.md")).unwrap();
    assert!(
        readme == cases::readme(&built),
        "tests/corpus/README.md differs; {hint}"
    );
}

fn policy_of(case: &Value) -> Policy {
    let p = &case["policy"];
    let algorithms = p["allowed_algorithms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| match a.as_str().unwrap() {
            "EdDSA" => Algorithm::EdDSA,
            "ES256" => Algorithm::ES256,
            other => panic!("unknown algorithm {other} in a case policy"),
        })
        .collect();
    Policy {
        allowed_algorithms: algorithms,
        require_key_binding: p["require_key_binding"].as_bool().unwrap(),
        max_credential_age_days: p["max_credential_age_days"].as_i64(),
        accepted_vcts: p["accepted_vcts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        require_status: p["require_status"].as_bool().unwrap(),
        require_log_inclusion: p["require_log_inclusion"].as_bool().unwrap(),
        ..Policy::default()
    }
}

fn trust_of(case: &Value, now: i64) -> Box<dyn IssuerTrust> {
    let t = &case["trust"];
    if let Some(issuers) = t.get("issuers") {
        let mut trust = TrustedIssuers::new();
        for did in issuers.as_array().unwrap() {
            // A DID the DID layer refuses (a small-order key) cannot be trusted at all.
            let _ = trust.trust(did.as_str().unwrap());
        }
        Box::new(trust)
    } else {
        let root = PublicJwk::from_json(&t["root_key"]).unwrap();
        let list = verify_trust_list(
            t["trust_list"].as_str().unwrap(),
            &root,
            now,
            None,
            &Budget::default(),
        );
        // run_case has returned the list's code already when it is refused.
        Box::new(TrustListTrust::new(list.unwrap()))
    }
}

/// Runs one case in process; returns the code (`verified` or an error code).
fn run_case(case: &Value, shared: &MemoryNonceStore) -> String {
    let now = case["now"].as_i64().unwrap();
    let t = &case["trust"];
    if t.get("trust_list").is_some() {
        let root = PublicJwk::from_json(&t["root_key"]).unwrap();
        if let Err(e) = verify_trust_list(
            t["trust_list"].as_str().unwrap(),
            &root,
            now,
            None,
            &Budget::default(),
        ) {
            return e.code().to_owned();
        }
    }
    let trust = trust_of(case, now);
    let policy = policy_of(case);
    let mut status = StatusListCache::new();
    let mut load_error = None;
    for token in case["status_lists"].as_array().unwrap() {
        if let Err(e) = status.insert_trusted(
            token.as_str().unwrap(),
            trust.as_ref(),
            &policy.allowed_algorithms,
            now,
            &policy.budget,
        ) {
            load_error = Some(e.code().to_owned());
        }
    }
    if load_error.as_deref() != case["expect_status_list_load"].as_str() {
        return format!("status list load {load_error:?}");
    }
    let log: Option<LogInclusion> = case
        .get("log_inclusion")
        .map(|l| serde_json::from_value(l.clone()).unwrap());
    let challenge = match (case["aud"].as_str(), case["nonce"].as_str()) {
        (Some(aud), Some(nonce)) => Some(Challenge {
            aud: aud.to_owned(),
            nonce: nonce.to_owned(),
        }),
        _ => None,
    };
    let empty = MemoryNonceStore::default();
    let nonces: Option<&dyn NonceStore> = match case.get("nonce_store").and_then(Value::as_str) {
        Some("shared") => Some(shared),
        Some("empty") => Some(&empty),
        Some(other) => panic!("unknown nonce_store {other}"),
        None => None,
    };
    let outcome = verify(
        case["input"].as_str().unwrap(),
        &Inputs {
            trust: trust.as_ref(),
            policy: &policy,
            challenge: challenge.as_ref(),
            nonces,
            status: Some(&status),
            log: log.as_ref(),
            now,
        },
    );
    match &outcome.result {
        Ok(v) => {
            for absent in case
                .get("claims_absent")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let absent = absent.as_str().unwrap();
                assert!(
                    !v.claims.contains_key(absent),
                    "{}: claim {absent} must be absent",
                    case["name"]
                );
            }
            "verified".to_owned()
        }
        Err(e) => e.code().to_owned(),
    }
}

#[test]
fn every_case_gives_its_code_in_process() {
    let shared = MemoryNonceStore::default();
    // The nonce the `shared` cases answer is issued once, for all of them.
    let mut issued = BTreeSet::new();
    let mut failures = Vec::new();
    for (file, case) in committed() {
        if case.get("nonce_store").and_then(Value::as_str) == Some("shared") {
            let nonce = case["nonce"].as_str().unwrap().to_owned();
            if issued.insert(nonce.clone()) {
                shared.issue(&nonce);
            }
        }
        let got = run_case(&case, &shared);
        let want = case["expect"].as_str().unwrap();
        if got != want {
            failures.push(format!("{file}: expected {want}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What `dojang verify` prints for one case, or `None` when its flags cannot express the case
/// (a nonce store, no challenge, a policy knob without a flag).
fn cli_args(case: &Value, dir: &Path, index: usize) -> Option<Vec<String>> {
    if case.get("nonce_store").is_some() || case["aud"].is_null() {
        return None;
    }
    let p = &case["policy"];
    if p["allowed_algorithms"] != serde_json::json!(["EdDSA"])
        || !p["require_key_binding"].as_bool().unwrap()
    {
        return None;
    }
    assert_eq!(case["now"].as_i64().unwrap(), cases::NOW);
    let write = |name: &str, text: &str| {
        let path = dir.join(format!("{index:03}-{name}"));
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let mut args: Vec<String> = vec!["verify".into()];
    let t = &case["trust"];
    if let Some(issuers) = t.get("issuers") {
        for did in issuers.as_array().unwrap() {
            let did = did.as_str().unwrap();
            // The CLI refuses a DID it cannot parse as a usage error: not this case's subject.
            if dojang_did::Did::parse(did).is_err() {
                return None;
            }
            args.extend(["--trust-issuer".into(), did.to_owned()]);
        }
    } else {
        args.extend([
            "--root-key".into(),
            write("root.jwk", &t["root_key"].to_string()),
            "--trust-list".into(),
            write("trust-list.jwt", t["trust_list"].as_str().unwrap()),
        ]);
    }
    for (i, token) in case["status_lists"].as_array().unwrap().iter().enumerate() {
        args.extend([
            "--status-list".into(),
            write(&format!("status-{i}.jwt"), token.as_str().unwrap()),
        ]);
    }
    if let Some(log) = case.get("log_inclusion") {
        args.extend(["--log-proof".into(), write("log.json", &log.to_string())]);
    }
    if p["require_log_inclusion"].as_bool().unwrap() {
        args.push("--require-log-inclusion".into());
    }
    if p["require_status"].as_bool().unwrap() {
        args.push("--require-status".into());
    }
    if let Some(days) = p["max_credential_age_days"].as_i64() {
        args.extend(["--max-age-days".into(), days.to_string()]);
    }
    for vct in p["accepted_vcts"].as_array().unwrap() {
        args.extend(["--accept-vct".into(), vct.as_str().unwrap().to_owned()]);
    }
    args.extend([
        "--aud".into(),
        case["aud"].as_str().unwrap().to_owned(),
        "--nonce".into(),
        case["nonce"].as_str().unwrap().to_owned(),
        "--now".into(),
        cases::NOW_RFC3339.to_owned(),
        write("presentation.txt", case["input"].as_str().unwrap()),
    ]);
    Some(args)
}

#[test]
fn every_expressible_case_gives_its_code_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    for (index, (file, case)) in committed().into_iter().enumerate() {
        let Some(args) = cli_args(&case, dir.path(), index) else {
            continue;
        };
        ran += 1;
        let out = run(dojang().args(&args), COMMAND_TIMEOUT);
        assert_ne!(
            out.code,
            Some(101),
            "{file}: dojang verify panicked\n{}",
            out.stderr
        );
        // A status list the CLI cannot load is its result (it rejects before verifying).
        let want = case["expect_status_list_load"]
            .as_str()
            .unwrap_or_else(|| case["expect"].as_str().unwrap());
        let json = out.json();
        let got = if json["verified"] == Value::Bool(true) {
            "verified".to_owned()
        } else {
            json["error"]["code"].as_str().unwrap_or("?").to_owned()
        };
        let want_exit = if want == "verified" { 0 } else { 1 };
        if got != want || out.code != Some(want_exit) {
            failures.push(format!(
                "{file}: expected {want} (exit {want_exit}), got {got} (exit {:?})",
                out.code
            ));
        }
    }
    assert!(ran >= 80, "only {ran} cases ran through the CLI");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
