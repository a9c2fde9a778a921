//! Integration tests of the wallet's encrypted store.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_wallet::{
    passphrase_from_env_or_prompt, CredentialId, CredentialSummary, KdfParams, PresentationRecord,
    StoredCredential, Wallet, WalletError, PASSPHRASE_ENV,
};
use serde_json::json;

const PASSPHRASE: &str = "올바른 말 배터리 스테이플";
const NAME: &str = "홍길동";
const RRN: &str = "900101-1234567";
const ADDRESS: &str = "서울특별시 종로구 세종대로 209";
/// The certificate's issue number, a plain claim of the issuer payload.
const DOCUMENT_NUMBER: &str = "2026-0412-7788-1234";

fn init(dir: &Path) -> Wallet {
    Wallet::init_with_params(dir, PASSPHRASE, KdfParams::INSECURE_FOR_TESTS).unwrap()
}

fn open(dir: &Path) -> Wallet {
    Wallet::open(dir, PASSPHRASE).unwrap()
}

fn b64_json(value: &serde_json::Value) -> String {
    B64.encode(serde_json::to_vec(value).unwrap())
}

/// An SD-JWT shaped like an issued 초본 (the signature is fake: the store does not verify).
fn sd_jwt() -> String {
    let disclosures = [
        json!(["c2FsdC0x", "name", NAME]),
        json!(["c2FsdC0y", "rrn", RRN]),
        json!(["c2FsdC0z", "address", ADDRESS]),
    ]
    .map(|d| b64_json(&d));
    let header = b64_json(&json!({"alg": "EdDSA", "typ": "dc+sd-jwt"}));
    let payload = b64_json(&json!({
        "vct": "urn:dojang:resident-registration-abstract",
        "iss": "did:web:jongno.go.kr",
        "iat": 1_700_000_000,
        "document_number": DOCUMENT_NUMBER,
        "_sd": ["aGFzaDE", "aGFzaDI", "aGFzaDM"],
    }));
    format!("{header}.{payload}.c2lnbmF0dXJl~{}~", disclosures.join("~"))
}

fn credential(label: &str, received_at: i64) -> StoredCredential {
    StoredCredential {
        sd_jwt: sd_jwt(),
        vct: "urn:dojang:resident-registration-abstract".into(),
        issuer: "did:web:jongno.go.kr".into(),
        issued_at: 1_700_000_000,
        expires_at: Some(1_800_000_000),
        received_at,
        label: label.into(),
        extra: json!({"inclusion_proof": {"leaf_index": 7, "path": ["AAAA", "BBBB"]}}),
    }
}

fn presentation(at: i64, credential_id: CredentialId, audience: &str) -> PresentationRecord {
    PresentationRecord {
        at,
        credential_id,
        vct: "urn:dojang:resident-registration-abstract".into(),
        audience: audience.into(),
        nonce: format!("nonce-{at}"),
        disclosed: vec!["name".into(), "address".into()],
        withheld: vec!["rrn".into()],
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path, bytes);
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The wallet's sled database opened directly, to tamper with it. Like the wallet's own
/// `open_store`, it waits up to two seconds for the lock: sled releases it from a background
/// thread a moment after the dropped wallet's last handle goes (opening at once failed two of 28
/// runs of this file with `could not acquire lock`).
fn raw_store(wallet_dir: &std::path::Path) -> sled::Db {
    let start = std::time::Instant::now();
    loop {
        match sled::open(wallet_dir.join("store")) {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && start.elapsed() < std::time::Duration::from_secs(2) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.unwrap(),
        }
    }
}

#[test]
fn init_then_open_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let public = wallet.holder_public_key();
    assert_eq!(wallet.holder_key().unwrap().public(), public);
    assert!(wallet.list_credentials().unwrap().is_empty());
    assert!(wallet.history().unwrap().is_empty());
    drop(wallet);

    let wallet = open(dir.path());
    assert_eq!(wallet.holder_public_key(), public);
    assert_eq!(wallet.holder_key().unwrap().public(), public);
    assert_eq!(wallet.dir(), dir.path());
    // Debug shows the directory and the public key, nothing secret.
    let debug = format!("{wallet:?}");
    assert!(debug.contains("PublicJwk"));
    let d = wallet.holder_key().unwrap().to_json()["d"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!debug.contains(&d));
    assert!(!format!("{:?}", wallet.holder_key().unwrap()).contains(&d));
}

#[test]
fn init_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/wallet");
    init(&nested);
    drop(open(&nested));
}

#[test]
fn wrong_passphrase_is_rejected_and_changes_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let id = wallet.put_credential(&credential("등본", 10)).unwrap();
    drop(wallet);

    let before = snapshot(dir.path());
    let err = Wallet::open(dir.path(), "틀린 암호").unwrap_err();
    assert!(matches!(err, WalletError::WrongPassphrase), "{err:?}");
    assert_eq!(err.code(), "wrong_passphrase");
    assert!(!err.to_string().contains("틀린"));
    let after = snapshot(dir.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &before {
        assert!(after[path] == *bytes, "{} changed", path.display());
    }

    // The right passphrase still opens it.
    assert_eq!(open(dir.path()).get_credential(&id).unwrap().label, "등본");
}

#[test]
fn empty_passphrase_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let err = Wallet::init_with_params(dir.path(), "", KdfParams::INSECURE_FOR_TESTS).unwrap_err();
    assert_eq!(err.code(), "empty_passphrase");
    assert!(snapshot(dir.path()).is_empty(), "nothing written");
    drop(init(dir.path()));
    let err = Wallet::open(dir.path(), "").unwrap_err();
    assert_eq!(err.code(), "empty_passphrase");
}

#[test]
fn open_without_wallet_is_not_initialized() {
    let dir = tempfile::tempdir().unwrap();
    let err = Wallet::open(dir.path(), PASSPHRASE).unwrap_err();
    assert!(
        matches!(&err, WalletError::NotInitialized { dir: d } if d == dir.path()),
        "{err:?}"
    );
    assert_eq!(err.code(), "wallet_not_initialized");

    let missing = dir.path().join("nowhere");
    let err = Wallet::open(&missing, PASSPHRASE).unwrap_err();
    assert!(matches!(err, WalletError::NotInitialized { .. }), "{err:?}");
    assert!(!missing.exists(), "open must not create anything");
}

#[test]
fn init_on_existing_wallet_fails() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let public = wallet.holder_public_key();
    drop(wallet);
    let before = snapshot(dir.path());

    let err = Wallet::init_with_params(dir.path(), "다른 암호", KdfParams::INSECURE_FOR_TESTS)
        .unwrap_err();
    assert!(
        matches!(&err, WalletError::WalletExists { dir: d } if d == dir.path()),
        "{err:?}"
    );
    assert_eq!(err.code(), "wallet_exists");
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(open(dir.path()).holder_public_key(), public);
}

#[test]
fn credentials_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let first = credential("초본", 20);
    let second = credential("등본", 10);
    let first_id = wallet.put_credential(&first).unwrap();
    let second_id = wallet.put_credential(&second).unwrap();
    assert_ne!(first_id, second_id);
    drop(wallet);

    let wallet = open(dir.path());
    assert_eq!(wallet.get_credential(&first_id).unwrap(), first);
    assert_eq!(wallet.get_credential(&second_id).unwrap(), second);
    // Listed by `received_at`.
    assert_eq!(
        wallet.list_credentials().unwrap(),
        vec![(second_id, second), (first_id, first)]
    );
    // Ids round-trip through their text form (the CLI takes them as arguments).
    let parsed: CredentialId = first_id.to_string().parse().unwrap();
    assert_eq!(parsed, first_id);
}

#[test]
fn remove_then_get_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let keep = wallet.put_credential(&credential("keep", 1)).unwrap();
    let id = wallet.put_credential(&credential("gone", 2)).unwrap();
    wallet.remove_credential(&id).unwrap();

    let err = wallet.get_credential(&id).unwrap_err();
    assert!(
        matches!(&err, WalletError::CredentialNotFound { id: missing } if *missing == id),
        "{err:?}"
    );
    assert_eq!(err.code(), "credential_not_found");
    assert!(err.to_string().contains(&id.to_string()));
    assert_eq!(
        wallet.remove_credential(&id).unwrap_err().code(),
        "credential_not_found"
    );
    drop(wallet);

    // The removal is durable and touched nothing else.
    let wallet = open(dir.path());
    assert_eq!(
        wallet.get_credential(&id).unwrap_err().code(),
        "credential_not_found"
    );
    let listed: Vec<_> = wallet
        .list_credentials()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(listed, vec![keep]);
}

#[test]
fn no_personal_data_or_claim_name_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let stored = credential(&format!("{NAME} 초본"), 5);
    let id = wallet.put_credential(&stored).unwrap();
    wallet
        .record_presentation(&presentation(100, id, "https://bank.example"))
        .unwrap();
    let key = wallet.holder_key().unwrap().to_json();
    drop(wallet);

    let sd_jwt = sd_jwt();
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("Hangul name".into(), NAME.as_bytes().to_vec()),
        ("RRN".into(), RRN.as_bytes().to_vec()),
        ("RRN digits".into(), b"9001011234567".to_vec()),
        ("address".into(), ADDRESS.as_bytes().to_vec()),
        ("claim name".into(), b"address".to_vec()),
        ("claim path".into(), b"rrn".to_vec()),
        ("SD-JWT".into(), sd_jwt.as_bytes().to_vec()),
        ("audience".into(), b"bank.example".to_vec()),
        (
            "document number".into(),
            DOCUMENT_NUMBER.as_bytes().to_vec(),
        ),
        ("issuer".into(), b"jongno.go.kr".to_vec()),
        (
            "holder private key".into(),
            key["d"].as_str().unwrap().as_bytes().to_vec(),
        ),
        (
            "holder private key bytes".into(),
            B64.decode(key["d"].as_str().unwrap()).unwrap(),
        ),
    ];
    // Each SD-JWT segment and disclosure on its own, too.
    for (i, part) in sd_jwt.split(['~', '.']).enumerate() {
        if part.len() > 8 {
            needles.push((format!("SD-JWT part {i}"), part.as_bytes().to_vec()));
        }
    }

    let files = snapshot(dir.path());
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for (what, needle) in &needles {
            assert!(
                !contains(bytes, needle),
                "{what} found in plaintext in {}",
                path.display()
            );
        }
    }
}

#[test]
fn swapped_ciphertexts_fail_as_corrupt_records() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let first = wallet.put_credential(&credential("first", 1)).unwrap();
    let second = wallet.put_credential(&credential("second", 2)).unwrap();
    wallet
        .record_presentation(&presentation(1, first, "https://a.example"))
        .unwrap();
    wallet
        .record_presentation(&presentation(2, second, "https://b.example"))
        .unwrap();
    drop(wallet);

    // Swap the two credentials' ciphertexts, and move a history ciphertext over the other.
    {
        let db = raw_store(dir.path());
        let credentials = db.open_tree("credentials").unwrap();
        // sled keys are the ids' 16 bytes.
        let (key_a, key_b) = (
            hex_to_bytes(&first.to_string()),
            hex_to_bytes(&second.to_string()),
        );
        let a = credentials.get(&key_a).unwrap().unwrap();
        let b = credentials.get(&key_b).unwrap().unwrap();
        credentials.insert(&key_a, b).unwrap();
        credentials.insert(&key_b, a).unwrap();
        let history = db.open_tree("history").unwrap();
        let (_, last) = history.last().unwrap().unwrap();
        let (first_key, _) = history.first().unwrap().unwrap();
        history.insert(first_key, last).unwrap();
        db.flush().unwrap();
    }

    let wallet = open(dir.path());
    for id in [first, second] {
        let err = wallet.get_credential(&id).unwrap_err();
        assert!(
            matches!(&err, WalletError::CorruptRecord { tree: "credentials", id: shown } if *shown == id.to_string()),
            "{err:?}"
        );
        assert_eq!(err.code(), "corrupt_record");
    }
    assert_eq!(
        wallet.list_credentials().unwrap_err().code(),
        "corrupt_record"
    );
    let err = wallet.history().unwrap_err();
    assert!(
        matches!(&err, WalletError::CorruptRecord { tree: "history", id } if id == "0"),
        "{err:?}"
    );
}

#[test]
fn flipped_bit_is_a_corrupt_record() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let id = wallet.put_credential(&credential("x", 1)).unwrap();
    drop(wallet);
    {
        let db = raw_store(dir.path());
        let credentials = db.open_tree("credentials").unwrap();
        let key = hex_to_bytes(&id.to_string());
        let mut value = credentials.get(&key).unwrap().unwrap().to_vec();
        let last = value.len() - 1;
        value[last] ^= 0x01;
        credentials.insert(key, value).unwrap();
        db.flush().unwrap();
    }
    let err = open(dir.path()).get_credential(&id).unwrap_err();
    assert_eq!(err.code(), "corrupt_record");
}

#[test]
fn store_from_another_wallet_is_rejected() {
    // Same passphrase, different data keys: the holder key record does not decrypt.
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    drop(init(a.path()));
    drop(init(b.path()));
    std::fs::copy(
        b.path().join("wallet-meta.json"),
        a.path().join("wallet-meta.json"),
    )
    .unwrap();
    let err = Wallet::open(a.path(), PASSPHRASE).unwrap_err();
    assert!(
        matches!(&err, WalletError::CorruptRecord { tree: "keys", id } if id == "holder"),
        "{err:?}"
    );
}

#[test]
fn hostile_metadata_is_rejected_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    drop(init(dir.path()));
    let path = dir.path().join("wallet-meta.json");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();

    let mut huge = original.clone();
    huge["kdf"]["m_cost_kib"] = json!(u32::MAX);
    std::fs::write(&path, serde_json::to_vec(&huge).unwrap()).unwrap();
    assert_eq!(
        Wallet::open(dir.path(), PASSPHRASE).unwrap_err().code(),
        "corrupt_meta"
    );

    let mut future = original.clone();
    future["version"] = json!(2);
    std::fs::write(&path, serde_json::to_vec(&future).unwrap()).unwrap();
    assert_eq!(
        Wallet::open(dir.path(), PASSPHRASE).unwrap_err().code(),
        "unsupported_wallet_version"
    );

    // Changing the public KDF inputs derives another key: indistinguishable from a wrong
    // passphrase, and no way to weaken the costs of an existing wallet.
    let mut weaker = original.clone();
    weaker["kdf"]["t_cost"] = json!(2);
    std::fs::write(&path, serde_json::to_vec(&weaker).unwrap()).unwrap();
    assert_eq!(
        Wallet::open(dir.path(), PASSPHRASE).unwrap_err().code(),
        "wrong_passphrase"
    );

    std::fs::write(&path, serde_json::to_vec(&original).unwrap()).unwrap();
    drop(open(dir.path()));
}

#[test]
fn history_is_in_time_order_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let id = wallet.put_credential(&credential("등본", 1)).unwrap();
    let records = [
        presentation(300, id, "https://c.example"),
        presentation(100, id, "https://a.example"),
        presentation(200, id, "https://b.example"),
        presentation(200, id, "https://b2.example"),
    ];
    for record in &records {
        wallet.record_presentation(record).unwrap();
    }
    let expected = vec![
        records[1].clone(),
        records[2].clone(),
        records[3].clone(),
        records[0].clone(),
    ];
    assert_eq!(wallet.history().unwrap(), expected);
    drop(wallet);

    let wallet = open(dir.path());
    assert_eq!(wallet.history().unwrap(), expected);
    let later = presentation(400, id, "https://d.example");
    wallet.record_presentation(&later).unwrap();
    let history = wallet.history().unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[4], later);
    assert_eq!(history[4].disclosed, vec!["name", "address"]);
    assert_eq!(history[4].withheld, vec!["rrn"]);
}

#[test]
fn concurrent_history_writes_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let id = wallet.put_credential(&credential("등본", 1)).unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4i64 {
            let wallet = &wallet;
            scope.spawn(move || {
                for i in 0..10 {
                    let record = presentation(thread * 100 + i, id, "https://x.example");
                    wallet.record_presentation(&record).unwrap();
                }
            });
        }
    });
    let ats: Vec<i64> = wallet.history().unwrap().iter().map(|r| r.at).collect();
    let mut expected: Vec<i64> = (0..4)
        .flat_map(|thread| (0..10).map(move |i| thread * 100 + i))
        .collect();
    expected.sort();
    assert_eq!(ats, expected);
}

#[test]
fn wallet_is_locked_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let _wallet = init(dir.path());
    let err = Wallet::open(dir.path(), PASSPHRASE).unwrap_err();
    assert_eq!(err.code(), "storage");
}

#[test]
fn passphrase_comes_from_env_then_prompt() {
    // The only test that touches this variable.
    std::env::remove_var(PASSPHRASE_ENV);
    assert_eq!(
        passphrase_from_env_or_prompt(|| Ok("from prompt".into())).unwrap(),
        "from prompt"
    );
    let err = passphrase_from_env_or_prompt(|| Ok(String::new())).unwrap_err();
    assert_eq!(err.code(), "empty_passphrase");
    let err = passphrase_from_env_or_prompt(|| {
        Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no tty"))
    })
    .unwrap_err();
    assert_eq!(err.code(), "passphrase_unavailable");

    std::env::set_var(PASSPHRASE_ENV, "from env");
    let got = passphrase_from_env_or_prompt(|| panic!("must not prompt")).unwrap();
    assert_eq!(got, "from env");
    std::env::set_var(PASSPHRASE_ENV, "");
    let err = passphrase_from_env_or_prompt(|| panic!("must not prompt")).unwrap_err();
    assert_eq!(err.code(), "empty_passphrase");
    std::env::remove_var(PASSPHRASE_ENV);
}

/// Measures one `open` with the recommended parameters. Run it in release:
/// `cargo test -p dojang-wallet --release --test store -- --ignored kdf_cost --nocapture`
#[test]
#[ignore = "timing: run in release"]
fn kdf_cost() {
    let dir = tempfile::tempdir().unwrap();
    drop(Wallet::init(dir.path(), PASSPHRASE).unwrap());
    let runs = 5;
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = std::time::Instant::now();
        drop(Wallet::open(dir.path(), PASSPHRASE).unwrap());
        times.push(start.elapsed());
    }
    let wrong = std::time::Instant::now();
    assert!(Wallet::open(dir.path(), "wrong").is_err());
    let wrong = wrong.elapsed();
    times.sort();
    println!(
        "open with {:?}: min {:?}, median {:?}, max {:?}; wrong passphrase {:?}",
        KdfParams::RECOMMENDED,
        times[0],
        times[runs / 2],
        times[runs - 1],
        wrong
    );
    assert!(times[runs / 2] < std::time::Duration::from_millis(500));
}

/// What `list_summaries` must show: the summary of each stored credential, in the same order.
fn summaries_of_stored(wallet: &Wallet) -> Vec<(CredentialId, CredentialSummary)> {
    wallet
        .list_credentials()
        .unwrap()
        .iter()
        .map(|(id, c)| (*id, CredentialSummary::of(c)))
        .collect()
}

#[test]
fn summary_holds_what_list_shows() {
    let stored = credential("우리 집 등본", 42);
    let summary = CredentialSummary::of(&stored);
    assert_eq!(summary.vct, stored.vct);
    assert_eq!(summary.issuer, stored.issuer);
    assert_eq!(summary.document_number.as_deref(), Some(DOCUMENT_NUMBER));
    assert_eq!(summary.issued_at, stored.issued_at);
    assert_eq!(summary.expires_at, stored.expires_at);
    assert_eq!(summary.received_at, 42);
    assert_eq!(summary.label, "우리 집 등본");
    let debug = format!("{summary:?}");
    assert!(
        !debug.contains("우리 집") && !debug.contains(DOCUMENT_NUMBER),
        "{debug}"
    );

    let unparsable = StoredCredential {
        sd_jwt: "not an sd-jwt".into(),
        ..stored
    };
    assert_eq!(CredentialSummary::of(&unparsable).document_number, None);
}

#[test]
fn summaries_and_credentials_never_disagree() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    assert!(wallet.list_summaries().unwrap().is_empty());
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(
            wallet
                .put_credential(&credential(&format!("c{n}"), 100 - n))
                .unwrap(),
        );
        assert_eq!(
            wallet.list_summaries().unwrap(),
            summaries_of_stored(&wallet)
        );
    }
    wallet.remove_credential(&ids[2]).unwrap();
    wallet.remove_credential(&ids[5]).unwrap();
    let listed = wallet.list_summaries().unwrap();
    assert_eq!(listed, summaries_of_stored(&wallet));
    let labels: Vec<&str> = listed.iter().map(|(_, s)| s.label.as_str()).collect();
    assert_eq!(
        labels,
        ["c4", "c3", "c1", "c0"],
        "by received_at, removed ones gone"
    );

    // Puts and removes from several threads at once.
    std::thread::scope(|scope| {
        for thread in 0..4i64 {
            let wallet = &wallet;
            scope.spawn(move || {
                for i in 0..8 {
                    let id = wallet
                        .put_credential(&credential(&format!("t{thread}-{i}"), thread * 10 + i))
                        .unwrap();
                    if i % 2 == 0 {
                        wallet.remove_credential(&id).unwrap();
                    }
                }
            });
        }
    });
    let listed = wallet.list_summaries().unwrap();
    assert_eq!(listed.len(), 4 + 4 * 4);
    assert_eq!(listed, summaries_of_stored(&wallet));
    drop(wallet);

    // The same after reopening.
    let wallet = open(dir.path());
    assert_eq!(wallet.list_summaries().unwrap(), listed);
    assert_eq!(summaries_of_stored(&wallet), listed);
}

#[test]
fn a_large_wallet_lists_every_summary_once_in_order() {
    // Enough summaries to be decrypted on several threads (512 or more each).
    const COUNT: i64 = 1100;
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    for n in 0..COUNT {
        // Received in an order unlike the ids' and the insertion order.
        wallet
            .put_credential(&credential(&format!("c{n}"), (n * 7919) % COUNT))
            .unwrap();
    }
    let listed = wallet.list_summaries().unwrap();
    assert_eq!(listed.len(), COUNT as usize);
    assert_eq!(listed, summaries_of_stored(&wallet));
    let received: Vec<i64> = listed.iter().map(|(_, s)| s.received_at).collect();
    assert_eq!(received, (0..COUNT).collect::<Vec<_>>());
}

#[test]
fn a_wallet_without_summaries_gets_them_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let keep = wallet.put_credential(&credential("keep", 1)).unwrap();
    let also = wallet.put_credential(&credential("also", 2)).unwrap();
    let expected = summaries_of_stored(&wallet);
    drop(wallet);

    // Make it look like a wallet from before summaries: no summaries, no record saying they are
    // complete; and a leftover summary whose credential is gone.
    let orphan = [0x5a; 16];
    {
        let db = raw_store(dir.path());
        db.drop_tree("summaries").unwrap();
        db.open_tree("keys")
            .unwrap()
            .remove("summaries-v1")
            .unwrap();
        db.open_tree("summaries")
            .unwrap()
            .insert(orphan, vec![0u8; 64])
            .unwrap();
        db.flush().unwrap();
    }

    let wallet = open(dir.path());
    let listed = wallet.list_summaries().unwrap();
    assert_eq!(listed, expected);
    assert_eq!(
        listed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [keep, also]
    );
    drop(wallet);
    {
        let db = raw_store(dir.path());
        assert!(db
            .open_tree("summaries")
            .unwrap()
            .get(orphan)
            .unwrap()
            .is_none());
        assert!(db
            .open_tree("keys")
            .unwrap()
            .get("summaries-v1")
            .unwrap()
            .is_some());
    }
    // Written once: the next open finds them.
    assert_eq!(open(dir.path()).list_summaries().unwrap(), expected);
}

#[test]
fn swapped_summaries_fail_as_corrupt_records() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = init(dir.path());
    let first = wallet.put_credential(&credential("first", 1)).unwrap();
    let second = wallet.put_credential(&credential("second", 2)).unwrap();
    drop(wallet);
    {
        let db = raw_store(dir.path());
        let summaries = db.open_tree("summaries").unwrap();
        let (key_a, key_b) = (
            hex_to_bytes(&first.to_string()),
            hex_to_bytes(&second.to_string()),
        );
        let a = summaries.get(&key_a).unwrap().unwrap();
        let b = summaries.get(&key_b).unwrap().unwrap();
        summaries.insert(&key_a, b).unwrap();
        summaries.insert(&key_b, a).unwrap();
        db.flush().unwrap();
    }
    let err = open(dir.path()).list_summaries().unwrap_err();
    assert!(
        matches!(
            &err,
            WalletError::CorruptRecord {
                tree: "summaries",
                ..
            }
        ),
        "{err:?}"
    );
}

fn hex_to_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}
