//! End to end through `dojang trust`: the root authority accredits issuers and relying parties,
//! rotates keys, suspends, and publishes trust lists that a verifier checks against the pinned
//! root key.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;

use dojang_did::PublicJwk;
use dojang_tests::setup::{ABSTRACT, BANK, COPY, FAMILY, MINISTRY_INIT};
use dojang_tests::{dojang, path_str as s, run_dojang, Output};
use dojang_vc::trust_list::{verify_trust_list, VerifiedTrustList};
use dojang_vc::{Budget, Jws, JwtPart, VcError};
use serde_json::Value;
use tempfile::TempDir;

const COURT: &str = "did:web:court.example";

fn dojang_run(args: &[&str]) -> Output {
    run_dojang(dojang().args(args).env_remove("DOJANG_TRUST_DIR"))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

fn ts(rfc3339: &str) -> i64 {
    // Only the dates used below.
    match rfc3339 {
        "2024-06-01" => 1_717_200_000,
        "2025-01-01" => 1_735_689_600,
        "2025-06-01" => 1_748_736_000,
        _ => unreachable!(),
    }
}

/// A root authority with the standard arguments, in `t/authority`.
struct Authority {
    dir: String,
    root: PublicJwk,
}

impl Authority {
    fn trust(&self, args: &[&str]) -> Output {
        let mut all = vec!["trust", "--dir", &self.dir];
        all.extend_from_slice(args);
        dojang_run(&all)
    }

    fn publish(&self, t: &TempDir, name: &str) -> (Value, String) {
        let out = t.path().join(name);
        let summary = self
            .trust(&["publish", "--valid-days", "10", "--out", s(&out)])
            .success()
            .json();
        (summary, std::fs::read_to_string(out).unwrap())
    }

    fn verify(&self, token: &str, seen: Option<u64>) -> Result<VerifiedTrustList, VcError> {
        verify_trust_list(token, &self.root, unix_now(), seen, &Budget::default())
    }
}

fn authority(t: &TempDir) -> Authority {
    let dir = t.path().join("authority");
    let mut init = vec!["trust", "--dir", s(&dir)];
    init.extend(MINISTRY_INIT);
    let out = dojang_run(&init);
    out.success();
    assert_eq!(out.text(), "did:web:mois.example");
    let pinned = t.path().join("root.pub.jwk");
    let thumbprint = dojang_run(&["trust", "--dir", s(&dir), "root-key", "--out", s(&pinned)])
        .success()
        .text()
        .to_owned();
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&pinned).unwrap()).unwrap();
    // The pinned file is a public key: parsing it as one refuses any private member.
    let root = PublicJwk::from_json(&json).unwrap();
    assert_eq!(root.thumbprint(), thumbprint);
    Authority {
        dir: s(&dir).to_owned(),
        root,
    }
}

fn keygen(t: &TempDir, name: &str) -> String {
    let path = t.path().join(name);
    dojang_run(&["key", "generate", "--out", s(&path)]).success();
    s(&path).to_owned()
}

#[test]
fn init_writes_a_private_root_key_and_refuses_twice() {
    let t = TempDir::new().unwrap();
    let a = authority(&t);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = Path::new(&a.dir).join("root-key.jwk");
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the root key is readable by its owner only"
        );
    }
    let again = a.trust(&[
        "init",
        "--id",
        "did:web:mois.example",
        "--name-ko",
        "행정안전부",
        "--name-en",
        "MOIS",
    ]);
    again.expect_code(1);
    assert!(
        again.stderr.contains("error[authority_exists]"),
        "{}",
        again.stderr
    );
    // Not a DID.
    let t2 = TempDir::new().unwrap();
    dojang_run(&[
        "trust",
        "--dir",
        s(&t2.path().join("a")),
        "init",
        "--id",
        "mois.example",
        "--name-ko",
        "행정안전부",
        "--name-en",
        "MOIS",
    ])
    .expect_code(1);
    // No authority there.
    let none = dojang_run(&[
        "trust",
        "--dir",
        s(&t2.path().join("nothing")),
        "publish",
        "--out",
        s(&t2.path().join("list.jwt")),
    ]);
    none.expect_code(1);
    assert!(
        none.stderr.contains("error[authority_not_initialized]"),
        "{}",
        none.stderr
    );
}

#[test]
fn accredit_publish_and_verify_an_issued_credential() {
    let t = TempDir::new().unwrap();
    let a = authority(&t);

    // An agency (did:key) with a register, and a holder.
    let agency = t.path().join("agency");
    let agency_did = dojang_run(&[
        "issuer",
        "--dir",
        s(&agency),
        "init",
        "--office",
        "서울특별시 종로구청",
    ])
    .success()
    .text()
    .to_owned();
    let register = t.path().join("register.json");
    dojang_run(&[
        "issuer",
        "generate",
        "--households",
        "2",
        "--seed",
        "3",
        "--out",
        s(&register),
    ])
    .success();
    dojang_run(&["issuer", "--dir", s(&agency), "import", s(&register)]).success();
    let reg: Value = serde_json::from_str(&std::fs::read_to_string(&register).unwrap()).unwrap();
    let head = reg["households"][0]["head"].as_str().unwrap().to_owned();
    let holder = keygen(&t, "holder.jwk");
    let cred_path = t.path().join("copy.sdjwt");
    dojang_run(&[
        "issuer",
        "--dir",
        s(&agency),
        "issue",
        "--person",
        &head,
        "--certificate",
        "copy",
        "--holder-key",
        &holder,
        "--out",
        s(&cred_path),
    ])
    .success();

    // The ministry accredits it for 등본 and 초본, from its key file.
    let agency_key = agency.join("issuer-key.jwk");
    let accredit = a.trust(&[
        "accredit",
        "--did",
        &agency_did,
        "--name-ko",
        "서울특별시 종로구청",
        "--name-en",
        "Jongno-gu Office, Seoul",
        "--vct",
        COPY,
        "--vct",
        ABSTRACT,
        "--key",
        s(&agency_key),
        "--not-before",
        "2020-01-01T00:00:00Z",
        "--status-list-base",
        "https://jongno.example/status/",
    ]);
    accredit.success();
    assert!(
        accredit.stderr.contains("private key"),
        "{}",
        accredit.stderr
    );
    // Twice is refused.
    let twice = a.trust(&[
        "accredit",
        "--did",
        &agency_did,
        "--name-ko",
        "x",
        "--name-en",
        "x",
        "--vct",
        COPY,
        "--key",
        s(&agency_key),
    ]);
    twice.expect_code(1);
    assert!(
        twice.stderr.contains("error[issuer_already_listed]"),
        "{}",
        twice.stderr
    );
    // A did:key that is not the key given is refused, and nothing is written.
    let other = keygen(&t, "other.jwk");
    a.trust(&[
        "accredit",
        "--did",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "--name-ko",
        "x",
        "--name-en",
        "x",
        "--vct",
        COPY,
        "--key",
        &other,
    ])
    .expect_code(2);

    // A relying party; rrn is flagged as needing a legal basis.
    let bank_key = keygen(&t, "bank.jwk");
    let rp = a.trust(&[
        "register-rp",
        "--id",
        BANK,
        "--name-ko",
        "도장은행",
        "--name-en",
        "Dojang Bank",
        "--key",
        &bank_key,
        "--entitle",
        &format!("{COPY}=name,address"),
        "--entitle",
        &format!("{COPY}=rrn"),
    ]);
    rp.success();
    assert!(rp.stderr.contains("legal basis"), "{}", rp.stderr);
    a.trust(&[
        "register-rp",
        "--id",
        "https://shop.example",
        "--name-ko",
        "상점",
        "--name-en",
        "Shop",
        "--entitle",
        "no-equals-sign",
    ])
    .expect_code(2);

    let (summary, token) = a.publish(&t, "list-1.jwt");
    assert_eq!(summary["seq"], 1);
    assert_eq!(summary["issuers"], 1);
    assert_eq!(summary["relying_parties"], 1);
    let list = a.verify(&token, None).unwrap();
    assert_eq!(list.seq(), 1);
    assert_eq!(list.iss(), "did:web:mois.example");
    assert!(list.exp() - list.iat() == 10 * 86_400);
    assert!(list.entitled(BANK, COPY, "rrn"));
    assert!(list.entitled(BANK, COPY, "address.road_address"));
    assert!(!list.entitled(BANK, FAMILY, "name"));
    assert_eq!(list.relying_party(BANK).unwrap().keys.len(), 1);
    assert_eq!(
        list.issuer(&agency_did)
            .unwrap()
            .status_list_base
            .as_deref(),
        Some("https://jongno.example/status/")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(t.path().join("list-1.jwt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "a published list is public");
    }

    // The issued credential: its iss, kid, vct and iat select the key from the list, and its
    // signature verifies with it.
    let cred = std::fs::read_to_string(&cred_path).unwrap();
    let jwt = Jws::parse(
        cred.trim().split('~').next().unwrap(),
        &Budget::default(),
        JwtPart::Issuer,
    )
    .unwrap();
    let payload = jwt.unverified_payload();
    let iss = payload["iss"].as_str().unwrap();
    let vct = payload["vct"].as_str().unwrap();
    let iat = payload["iat"].as_i64().unwrap();
    assert_eq!(iss, agency_did);
    assert_eq!(vct, COPY);
    let (issuer, key, jwk) = list
        .issuer_key(iss, jwt.header_str("kid"), vct, iat)
        .unwrap();
    assert_eq!(issuer.name_ko, "서울특별시 종로구청");
    assert_eq!(Some(key.kid.as_str()), jwt.header_str("kid"));
    jwt.verify(
        &dojang_vc::VerificationKey::Ed25519(jwk),
        &[dojang_vc::Algorithm::EdDSA],
    )
    .unwrap();
    assert_eq!(
        list.issuer_key(iss, jwt.header_str("kid"), FAMILY, iat)
            .unwrap_err()
            .code(),
        "issuer_not_accredited"
    );

    // Suspension: the next list refuses everything from the agency; the old list is now a
    // rollback for a verifier that saw the new one.
    a.trust(&["suspend", &agency_did]).success();
    let again = a.trust(&["suspend", &agency_did]);
    again.success();
    assert!(again.stderr.contains("already"), "{}", again.stderr);
    let (summary, token2) = a.publish(&t, "list-2.jwt");
    assert_eq!(summary["seq"], 2);
    let list2 = a.verify(&token2, Some(1)).unwrap();
    assert_eq!(
        list2.issuer_key(iss, None, vct, iat).unwrap_err().code(),
        "issuer_suspended"
    );
    assert_eq!(
        a.verify(&token, Some(2)).unwrap_err(),
        VcError::TrustListRollback { seq: 1, seen: 2 }
    );
    a.trust(&["reinstate", &agency_did]).success();
    let (_, token3) = a.publish(&t, "list-3.jwt");
    let list3 = a.verify(&token3, Some(2)).unwrap();
    assert_eq!(list3.seq(), 3);
    assert!(list3.issuer_key(iss, None, vct, iat).is_ok());

    // Removal.
    a.trust(&["remove", &agency_did]).success();
    let gone = a.trust(&["remove", &agency_did]);
    gone.expect_code(1);
    assert!(
        gone.stderr.contains("error[issuer_not_listed]"),
        "{}",
        gone.stderr
    );
    let (_, token4) = a.publish(&t, "list-4.jwt");
    assert_eq!(
        a.verify(&token4, Some(3))
            .unwrap()
            .issuer_key(iss, None, vct, iat)
            .unwrap_err()
            .code(),
        "untrusted_issuer"
    );

    // The registry remembers the last sequence published.
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&a.dir).join("authority.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["last_seq"], 4);
    // Nothing but the registry and the key in the authority's directory (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(&a.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["authority.json", "root-key.jwk"]);
}

#[test]
fn rotate_key_splits_the_window() {
    let t = TempDir::new().unwrap();
    let a = authority(&t);
    let k1 = keygen(&t, "court-1.jwk");
    let k2 = keygen(&t, "court-2.jwk");
    let k1_pub = PublicJwk::from_json_public_part(
        &serde_json::from_str(&std::fs::read_to_string(&k1).unwrap()).unwrap(),
    )
    .unwrap();
    let k2_pub = PublicJwk::from_json_public_part(
        &serde_json::from_str(&std::fs::read_to_string(&k2).unwrap()).unwrap(),
    )
    .unwrap();
    a.trust(&[
        "accredit",
        "--did",
        COURT,
        "--name-ko",
        "서울가정법원 가족관계등록과",
        "--name-en",
        "Seoul Family Court, Family Registration",
        "--vct",
        FAMILY,
        "--key",
        &k1,
        "--not-before",
        "2020-01-01T00:00:00+09:00",
    ])
    .success();
    // Unknown DID, key already listed, bad time: refused, nothing written.
    let unknown = a.trust(&["rotate-key", "did:web:nobody.example", "--key", &k2]);
    unknown.expect_code(1);
    assert!(
        unknown.stderr.contains("error[issuer_not_listed]"),
        "{}",
        unknown.stderr
    );
    let same = a.trust(&["rotate-key", COURT, "--key", &k1]);
    same.expect_code(1);
    assert!(
        same.stderr.contains("error[key_already_listed]"),
        "{}",
        same.stderr
    );
    a.trust(&["rotate-key", COURT, "--key", &k2, "--at", "yesterday"])
        .expect_code(2);

    a.trust(&[
        "rotate-key",
        COURT,
        "--key",
        &k2,
        "--at",
        "2025-01-01T00:00:00Z",
    ])
    .success();
    let (_, token) = a.publish(&t, "list.jwt");
    let list = a.verify(&token, None).unwrap();
    let court = list.issuer(COURT).unwrap();
    assert_eq!(court.keys.len(), 2);
    assert_eq!(court.keys[0].kid, format!("{COURT}#key-1"));
    assert_eq!(court.keys[0].not_after, Some(ts("2025-01-01")));
    assert_eq!(court.keys[1].kid, format!("{COURT}#key-2"));
    assert_eq!(court.keys[1].not_before, ts("2025-01-01"));
    assert_eq!(court.keys[1].not_after, None);

    let key1 = format!("{COURT}#key-1");
    let key2 = format!("{COURT}#key-2");
    // Before the rotation: the old key; after: the new one; the old one after is refused.
    let (_, _, k) = list
        .issuer_key(COURT, Some(&key1), FAMILY, ts("2024-06-01"))
        .unwrap();
    assert_eq!(k, k1_pub);
    let (_, _, k) = list
        .issuer_key(COURT, Some(&key2), FAMILY, ts("2025-06-01"))
        .unwrap();
    assert_eq!(k, k2_pub);
    assert_eq!(
        list.issuer_key(COURT, Some(&key1), FAMILY, ts("2025-06-01"))
            .unwrap_err(),
        VcError::KeyNotValidAt {
            kid: key1,
            at: ts("2025-06-01")
        }
    );
    assert_eq!(
        list.issuer_key(COURT, None, FAMILY, ts("2025-06-01"))
            .unwrap()
            .2,
        k2_pub
    );

    // A did:key issuer cannot rotate: its DID is its key.
    let agency_key = keygen(&t, "agency.jwk");
    let did = dojang_run(&["key", "did", &agency_key])
        .success()
        .text()
        .to_owned();
    a.trust(&[
        "accredit",
        "--did",
        &did,
        "--name-ko",
        "부산광역시 해운대구청",
        "--name-en",
        "Haeundae-gu Office, Busan",
        "--vct",
        COPY,
        "--key",
        &agency_key,
    ])
    .success();
    a.trust(&["rotate-key", &did, "--key", &k2]).expect_code(2);
}
