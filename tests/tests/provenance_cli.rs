//! The trust story through the `dojang` binary: a ministry's trust list, a did:web agency, status
//! lists, the transparency log, register events, key rotation and the auditor's tools.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;

use dojang_tests::setup::{Dojang, Setting, ABSTRACT, AGENCY, COPY};
use dojang_tests::{path_str as s, provenance_steps, Output};
use serde_json::{json, Value};

const AUD: &str = "https://bank.example";
const NONCE: &str = "nonce-provenance-1";
const DOJANG: Dojang = Dojang::with_passphrase("provenance test 도장");

fn d(args: &[&str]) -> Output {
    DOJANG.run(args)
}

/// Issues a 등본 to the wallet with its log proof; returns (credential number, wallet id).
fn issue_copy(w: &Setting, person: &str, tag: &str) -> (String, String) {
    let cred = w.path(&format!("copy-{tag}.txt"));
    w.agency(&[
        "issue",
        "--person",
        person,
        "--certificate",
        "copy",
        "--holder-key",
        s(&w.path("holder.jwk")),
        "--out",
        s(&cred),
    ])
    .success();
    let records = w.agency(&["records"]).stdout.clone();
    let number = records
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["vct"] == COPY)
        .max_by_key(|r| r["log_index"].as_u64().unwrap())
        .unwrap()["document_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let proof = w.path(&format!("proof-{tag}.json"));
    w.agency(&["log-proof", &number, "--out", s(&proof)])
        .success();
    let id = w
        .wallet(&[
            "import",
            s(&cred),
            "--trust-list",
            s(&w.path("list.jwt")),
            "--root-key",
            s(&w.path("root.jwk")),
            "--log-proof",
            s(&proof),
        ])
        .success()
        .text()
        .to_owned();
    (number, id)
}

/// The wallet presents name and address; the verifier checks with the trust list, the
/// agency's current status list and the log proof.
fn present_and_verify(w: &Setting, id: &str, list: &Path, extra: &[&str]) -> Output {
    let pres = w.path("pres.txt");
    let proof = w.path("pres-proof.json");
    w.wallet(&[
        "present",
        id,
        "--disclose",
        "name,address",
        "--aud",
        AUD,
        "--nonce",
        NONCE,
        "--out",
        s(&pres),
        "--log-proof-out",
        s(&proof),
    ])
    .success();
    let status = w.path("status");
    w.agency(&["status-list", "--out", s(&status)]).success();
    let root = w.path("root.jwk");
    let mut args = vec![
        "verify",
        "--root-key",
        s(&root),
        "--trust-list",
        s(list),
        "--aud",
        AUD,
        "--nonce",
        NONCE,
    ];
    args.push("--status-dir");
    args.push(s(&status));
    args.extend_from_slice(&["--require-log-inclusion", "--log-proof", s(&proof)]);
    args.extend_from_slice(extra);
    args.push(s(&pres));
    d(&args)
}

/// A ministry whose published trust list accredits the agency for 등본 and 초본, the agency with
/// a register of six households, and a wallet with a holder key; returns them and the head of a
/// household of two or more.
fn setup() -> (Setting, String) {
    let w = Setting::temporary(DOJANG);
    w.accredit_agency(&[COPY, ABSTRACT]);
    w.publish();
    let reg = w.import_register(6, Some(5));
    w.wallet(&["init"]).success();
    w.wallet(&["holder-key", "--out", s(&w.path("holder.jwk"))])
        .success();
    let person = reg["households"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["members"].as_array().unwrap().len() >= 2)
        .unwrap()["head"]
        .as_str()
        .unwrap()
        .to_owned();
    (w, person)
}

#[test]
fn trust_list_status_log_and_provenance() {
    let (w, person) = setup();
    let (number, id) = issue_copy(&w, &person, "a");
    let list = w.path("list.jwt");
    let ok = present_and_verify(&w, &id, &list, &[]);
    ok.success();
    let v = ok.json();
    let steps = provenance_steps(&v);
    assert_eq!(
        steps,
        [
            "root",
            "trust_list",
            "issuer",
            "key",
            "credential",
            "status",
            "log"
        ]
    );
    assert_eq!(v["provenance"][1]["data"]["seq"], 1);
    assert_eq!(v["issuer"], AGENCY);

    // A move-in revokes the 등본 in the same durable step as the register change.
    let event = w.path("event.json");
    std::fs::write(
        &event,
        serde_json::to_string(&json!({
            "event": "move_in", "person": person, "date": "2026-11-20",
            "address": {"road_address": "서울특별시 종로구 율곡로 283", "postal_code": "03080"},
            "household": null, "reason": "전입"
        }))
        .unwrap(),
    )
    .unwrap();
    let moved = w.agency(&["event", s(&event)]);
    moved.success();
    let outcome = moved.json();
    assert!(
        outcome["revoked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == number.as_str()),
        "{outcome}"
    );
    let revoked = present_and_verify(&w, &id, &list, &[]);
    revoked.expect_code(1);
    assert_eq!(revoked.json()["error"]["code"], "revoked");
    let (_, fresh) = issue_copy(&w, &person, "b");
    let v = present_and_verify(&w, &fresh, &list, &[]);
    v.success();
    assert_eq!(
        v.json()["claims"]["address"]["road_address"],
        "서울특별시 종로구 율곡로 283"
    );

    // The auditor: records and log reconcile; the log only grew between checkpoints.
    std::fs::write(w.path("records.jsonl"), &w.agency(&["records"]).stdout).unwrap();
    std::fs::write(w.path("leaves.jsonl"), &w.agency(&["log-export"]).stdout).unwrap();
    let rec = d(&[
        "audit",
        "--json",
        "reconcile",
        "--records",
        s(&w.path("records.jsonl")),
        "--leaves",
        s(&w.path("leaves.jsonl")),
    ]);
    rec.success();
    assert_eq!(rec.json()["matched"], 2);
    let cps = w.agency(&["checkpoints"]).stdout.clone();
    let first = cps.lines().next().unwrap().to_owned();
    std::fs::write(w.path("cp-old.jwt"), &first).unwrap();
    let latest = w.agency(&["checkpoint"]).success().text().to_owned();
    std::fs::write(w.path("cp-new.jwt"), &latest).unwrap();
    let old_size: u64 = {
        let payload = first.split('.').nth(1).unwrap();
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice::<Value>(&bytes).unwrap()["tree_size"]
            .as_u64()
            .unwrap()
    };
    let proof = w
        .agency(&["consistency-proof", "--old", &old_size.to_string()])
        .success()
        .text()
        .to_owned();
    std::fs::write(w.path("consistency.json"), &proof).unwrap();
    let audit = |proof_file: &Path| {
        d(&[
            "audit",
            "consistency",
            "--old",
            s(&w.path("cp-old.jwt")),
            "--new",
            s(&w.path("cp-new.jwt")),
            "--proof",
            s(proof_file),
            "--trust-list",
            s(&list),
            "--root-key",
            s(&w.path("root.jwk")),
        ])
    };
    audit(&w.path("consistency.json")).success();
    // One changed hash in the proof: the auditor says no.
    let mut bad: Value = serde_json::from_str(&proof).unwrap();
    if let Some(h) = bad["hashes"].as_array_mut().and_then(|a| a.first_mut()) {
        let text = h.as_str().unwrap().to_owned();
        let flipped: String = text
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 3 {
                    if c == 'A' {
                        'B'
                    } else {
                        'A'
                    }
                } else {
                    c
                }
            })
            .collect();
        *h = Value::String(flipped);
        std::fs::write(w.path("bad.json"), bad.to_string()).unwrap();
        audit(&w.path("bad.json")).expect_code(1);
    }
    std::fs::write(
        w.path("history.json"),
        &w.agency(&["status-history", &number]).success().stdout,
    )
    .unwrap();
    let trace = d(&[
        "audit",
        "--json",
        "trace",
        &number,
        "--records",
        s(&w.path("records.jsonl")),
        "--leaves",
        s(&w.path("leaves.jsonl")),
        "--checkpoint",
        s(&w.path("cp-new.jwt")),
        "--trust-list",
        s(&list),
        "--root-key",
        s(&w.path("root.jwk")),
        "--status-list",
        s(&w.path("status/0.jwt")),
        "--status-history",
        s(&w.path("history.json")),
    ]);
    trace.success();
    let t = trace.json();
    let history = t["status"]["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["cause"], "issued");
    assert_eq!(history[1]["to"], "invalid");
    assert_eq!(history[1]["cause"], "register event move_in");
    assert_eq!(t["status"]["status"], "revoked");
    assert_eq!(t["issuer"]["accredited"], true);
}

#[test]
fn key_rotation_rollback_and_refusals() {
    let (w, person) = setup();
    let (_, old_id) = issue_copy(&w, &person, "old");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let new_key = w.agency(&["rotate-key"]).success().stdout.clone();
    std::fs::write(w.path("new-key.jwk"), &new_key).unwrap();
    w.trust(&["rotate-key", AGENCY, "--key", s(&w.path("new-key.jwk"))])
        .success();
    w.trust(&["publish", "--out", s(&w.path("list.jwt"))])
        .success();
    std::fs::copy(w.path("list.jwt"), w.path("list2.jwt")).unwrap();
    let (_, new_id) = issue_copy(&w, &person, "new");
    // The old credential still verifies (its key was valid when it was issued); so does the new.
    present_and_verify(&w, &old_id, &w.path("list2.jwt"), &[]).success();
    let v = present_and_verify(&w, &new_id, &w.path("list2.jwt"), &[]);
    v.success();
    assert_eq!(
        v.json()["provenance"][3]["data"]["kid"],
        format!("{AGENCY}#key-2")
    );

    // Rollback: once seq 2 is seen, an older list is refused.
    let state = w.path("seen-seq");
    present_and_verify(
        &w,
        &old_id,
        &w.path("list2.jwt"),
        &["--trust-state", s(&state)],
    )
    .success();
    assert_eq!(std::fs::read_to_string(&state).unwrap().trim(), "2");
    // The verifier has since seen seq 5 (from a later list): seq 2 is now a rollback.
    std::fs::write(&state, "5\n").unwrap();
    let rolled = present_and_verify(
        &w,
        &old_id,
        &w.path("list2.jwt"),
        &["--trust-state", s(&state)],
    );
    rolled.expect_code(1);
    assert_eq!(rolled.json()["error"]["code"], "trust_list_rollback");

    // A list checked against another root than the one that signed it.
    d(&["key", "generate", "--out", s(&w.path("other-root.jwk"))]).success();
    let wrong = d(&[
        "verify",
        "--root-key",
        s(&w.path("other-root.jwk")),
        "--trust-list",
        s(&w.path("list2.jwt")),
        "--aud",
        AUD,
        "--nonce",
        NONCE,
        s(&w.path("pres.txt")),
    ]);
    wrong.expect_code(1);
    assert_eq!(
        wrong.json()["error"]["code"],
        "trust_list_signature_invalid"
    );

    // Suspension on a newer list.
    w.trust(&["suspend", AGENCY]).success();
    w.trust(&["publish", "--out", s(&w.path("list3.jwt"))])
        .success();
    let suspended = present_and_verify(&w, &old_id, &w.path("list3.jwt"), &[]);
    suspended.expect_code(1);
    assert_eq!(suspended.json()["error"]["code"], "issuer_suspended");
}

/// `dojang audit signatures`: every credential of a re-issue checks out against the trust list,
/// in any of the two input forms; credentials whose signatures were altered are listed by line
/// and credential number, with no claim, and the exit code is 1.
#[test]
fn audit_signatures_rechecks_a_reissue() {
    let (w, _) = setup();
    let out = w.path("reissued.jsonl");
    w.agency(&[
        "reissue",
        "--all",
        "--holder-key",
        s(&w.path("holder.jwk")),
        "--out",
        s(&out),
    ])
    .success();
    let (list, root) = (w.path("list.jwt"), w.path("root.jwk"));
    let audit = |file: &Path, json: bool| {
        let mut args = vec!["audit"];
        if json {
            args.push("--json");
        }
        args.extend(["signatures", s(file), "--trust-list", s(&list)]);
        args.extend(["--root-key", s(&root)]);
        d(&args)
    };
    let ok = audit(&out, false);
    ok.success();
    assert!(ok.stdout.contains(": 6 valid, 0 failed"), "{}", ok.stdout);

    let mut lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One SD-JWT VC a line is read too.
    let plain = w.path("plain.txt");
    let texts: Vec<&str> = lines
        .iter()
        .map(|l| l["credential"].as_str().unwrap())
        .collect();
    std::fs::write(&plain, texts.join("\n")).unwrap();
    assert!(audit(&plain, false).success().stdout.contains(": 6 valid"));

    // A character in the middle of the signatures of lines 2 and 5 changed.
    for i in [1, 4] {
        let mut text = lines[i]["credential"].as_str().unwrap().to_owned();
        let at = text.find('~').unwrap() - 3;
        let c = if &text[at..=at] == "A" { "B" } else { "A" };
        text.replace_range(at..=at, c);
        lines[i]["credential"] = Value::from(text);
    }
    let altered = w.path("altered.jsonl");
    let body: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&altered, body.join("\n")).unwrap();
    let bad = audit(&altered, true);
    bad.expect_code(1);
    let report = bad.json();
    assert_eq!(report["checked"], 6);
    assert_eq!(report["valid"], 4);
    let failed = report["failed"].as_array().unwrap();
    let listed: Vec<(u64, &str, &str)> = failed
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["document_number"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
            )
        })
        .collect();
    let number = |i: usize| lines[i]["document_number"].as_str().unwrap();
    assert_eq!(
        listed,
        [
            (2, number(1), "signature_invalid"),
            (5, number(4), "signature_invalid")
        ]
    );
    let text = audit(&altered, false);
    text.expect_code(1);
    assert!(
        text.stdout.contains(": 4 valid, 2 failed"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(&format!("line 5 ({})", number(4))),
        "{}",
        text.stdout
    );
}
