//! `dojang issuer reissue`: a whole register re-issued in batches through the binary. Every line
//! of the output file is a credential that verifies, recorded and logged; refusals are counted,
//! not fatal; an existing output file is never overwritten; the mass operation needs `--all`.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::path::Path;

use dojang_did::PublicJwk;
use dojang_tests::path_str as s;
use dojang_tests::setup::{Dojang, Setting};
use dojang_vc::{Algorithm, Budget, SdJwt, VerificationKey};
use serde_json::Value;

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_register_is_reissued_in_batches_to_a_file_of_verifying_credentials() {
    let t = tempfile::tempdir().unwrap();
    let at = Setting::new(Dojang::PLAIN, t.path());
    at.agency(&["init", "--office", "서울특별시 종로구청"])
        .success();
    let reg = at.import_register(7, Some(3));
    let holder = t.path().join("holder.jwk");
    Dojang::PLAIN
        .run(&["key", "generate", "--out", s(&holder)])
        .success();
    let heads: BTreeSet<String> = reg["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["head"].as_str().unwrap().to_owned())
        .collect();

    // Without --all (or --limit): refused, nothing issued.
    let out = t.path().join("none.jsonl");
    at.agency(&["reissue", "--holder-key", s(&holder), "--out", s(&out)])
        .expect_code(2);
    assert!(!out.exists());

    let out = t.path().join("copies.jsonl");
    let done = at.agency(&[
        "reissue",
        "--all",
        "--batch",
        "3",
        "--holder-key",
        s(&holder),
        "--out",
        s(&out),
    ]);
    done.success();
    assert!(
        done.stdout
            .starts_with("re-issued 7 주민등록표 등본 for 7 households"),
        "{}",
        done.stdout
    );
    assert!(done.stdout.contains("none refused"), "{}", done.stdout);
    // Progress on standard error, as plain lines (not a terminal here).
    assert!(done.stderr.contains("re-issue: "), "{}", done.stderr);
    assert!(!done.stderr.contains('\r'), "{}", done.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the file holds personal data");
    }

    let jwk: Value =
        serde_json::from_str(&std::fs::read_to_string(at.path("agency/issuer-key.jwk")).unwrap())
            .unwrap();
    let key = VerificationKey::Ed25519(PublicJwk::from_json_public_part(&jwk).unwrap());
    let holder_jwk: Value =
        serde_json::from_str(&std::fs::read_to_string(&holder).unwrap()).unwrap();
    let holder_public = PublicJwk::from_json_public_part(&holder_jwk).unwrap();
    let budget = Budget::default();
    let written = lines(&out);
    let mut persons = BTreeSet::new();
    let mut numbers = BTreeSet::new();
    for line in &written {
        let sd_jwt = SdJwt::parse(line["credential"].as_str().unwrap(), &budget).unwrap();
        let payload = sd_jwt
            .issuer_jwt()
            .verify(&key, &[Algorithm::EdDSA])
            .unwrap();
        assert_eq!(payload["cnf"]["jwk"], holder_public.to_json());
        assert_eq!(payload["document_number"], line["document_number"]);
        persons.insert(line["person_id"].as_str().unwrap().to_owned());
        numbers.insert(line["document_number"].as_str().unwrap().to_owned());
    }
    assert_eq!(persons, heads, "one 등본 per household, to its head");
    // Every line is recorded and logged.
    let records: BTreeSet<String> = at
        .agency(&["records"])
        .success()
        .stdout
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            r["document_number"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(records, numbers);
    let leaves = at.agency(&["log-export"]).success().stdout.lines().count();
    assert_eq!(leaves, 7);

    // The output file is never overwritten: refused, nothing issued.
    let again = at.agency(&[
        "reissue",
        "--all",
        "--holder-key",
        s(&holder),
        "--out",
        s(&out),
    ]);
    again.expect_code(2);
    assert_eq!(lines(&out).len(), 7);
    let leaves = at.agency(&["log-export"]).success().stdout.lines().count();
    assert_eq!(leaves, 7);

    // Another certificate goes to persons; those it cannot be issued to are counted.
    let out = t.path().join("family.jsonl");
    let done = at.agency(&[
        "reissue",
        "--limit",
        "9",
        "--certificate",
        "family",
        "--holder-key",
        s(&holder),
        "--out",
        s(&out),
    ]);
    done.success();
    let issued = lines(&out).len();
    let summary = &done.stdout;
    assert!(
        summary.starts_with(&format!(
            "re-issued {issued} 가족관계증명서 (일반) for 9 persons"
        )),
        "{summary}"
    );
    if issued < 9 {
        assert!(
            summary.contains(&format!("{} refused (", 9 - issued)),
            "{summary}"
        );
    }
}
