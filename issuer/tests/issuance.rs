#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
//! Durable issuance in batches: every credential of a batch verifies and is recorded, logged
//! and given its own status entry in one transaction; a refused request leaves no trace and
//! sinks nothing else; batches, single issuances and the group committer racing each other
//! never hand out a status index twice and keep records and log in step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use dojang_did::{DidMethod, PrivateJwk, PublicJwk};
use dojang_issuer::{
    generate, Certificate, FileSigner, GroupCommitter, IssuancePolicy, IssueRequest,
    IssuedCredential, Issuer, IssuerError, IssuerIdentity, IssuerSigner as _, RegisterFile,
};
use dojang_vc::log::{jwt_sha256, verify_checkpoint};
use dojang_vc::status_list::{status_reference, Status};
use dojang_vc::{Algorithm, Budget, SdJwt, VerificationKey};

const NOW: i64 = 1_780_000_000;
const STATUS_BASE: &str = "https://jongno.example/status";

struct Agency {
    issuer: Arc<Issuer<FileSigner>>,
    key: VerificationKey,
    file: RegisterFile,
}

fn open(dir: &Path) -> Issuer<FileSigner> {
    let db = dojang_issuer::open_db(&dir.join("db")).unwrap();
    let key_file = dir.join("key.jwk");
    let signer = if key_file.exists() {
        FileSigner::load(&key_file).unwrap()
    } else {
        FileSigner::create(&key_file).unwrap()
    };
    let identity = IssuerIdentity::from_key(&signer.public_key(), DidMethod::Key);
    Issuer::open(
        &db,
        signer,
        identity,
        "서울특별시 종로구청",
        IssuancePolicy::default(),
        STATUS_BASE,
    )
    .unwrap()
}

fn agency(dir: &Path, households: usize) -> Agency {
    let issuer = open(dir);
    let file = generate(households, 2026);
    issuer.register().import(&file).unwrap();
    Agency {
        key: VerificationKey::Ed25519(issuer.public_key()),
        issuer: Arc::new(issuer),
        file,
    }
}

/// A 등본 for the head of every household, bound to `holder`.
fn heads(file: &RegisterFile, holder: &PublicJwk) -> Vec<IssueRequest> {
    file.households
        .iter()
        .map(|h| IssueRequest {
            person_id: h.head.clone(),
            certificate: Certificate::ResidentCopy,
            holder: *holder,
        })
        .collect()
}

/// Checks one issued credential against the agency's own stores: the signature verifies, its
/// claims carry the record's number, and the record, the log leaf and the status entry agree.
/// Returns its status slot.
fn check(a: &Agency, issued: &IssuedCredential, holder: &PublicJwk) -> (String, u64) {
    let budget = Budget::default();
    let sd_jwt = SdJwt::parse(&issued.sd_jwt, &budget).unwrap();
    let payload = sd_jwt
        .issuer_jwt()
        .verify(&a.key, &[Algorithm::EdDSA])
        .unwrap()
        .clone();
    let claims = dojang_vc::process::process(&payload, sd_jwt.disclosures(), &budget)
        .unwrap()
        .claims;
    let record = &issued.record;
    assert_eq!(claims["document_number"], record.document_number.as_str());
    assert_eq!(record.holder_thumbprint, holder.thumbprint());
    // It covers the persons it shows, as register events read them.
    let shown: Vec<String> = a
        .issuer
        .register()
        .persons_shown(&record.subject, &record.vct)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(record.covers, shown);
    let issuer_jwt = issued.sd_jwt.split('~').next().unwrap();
    assert_eq!(record.jwt_sha256, jwt_sha256(issuer_jwt));
    // The stored record is the one returned.
    assert_eq!(
        a.issuer.records().get(&record.document_number).unwrap(),
        Some(record.clone())
    );
    // Its leaf.
    let leaf = a
        .issuer
        .log()
        .leaf(record.log_index.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(leaf.jwt_sha256, record.jwt_sha256);
    // Its status entry: the one the credential names, allocated and valid.
    let reference = status_reference(&payload).unwrap().unwrap();
    assert_eq!(Some(reference.uri.clone()), record.status_uri);
    assert_eq!(Some(reference.idx), record.status_idx);
    assert_eq!(leaf.status_uri, record.status_uri);
    assert_eq!(leaf.status_idx, record.status_idx);
    let list: u32 = reference.uri.rsplit('/').next().unwrap().parse().unwrap();
    let idx = u32::try_from(reference.idx).unwrap();
    assert_eq!(
        a.issuer.status_lists().status(list, idx).unwrap(),
        Some(Status::Valid)
    );
    (reference.uri, reference.idx)
}

/// Records and log agree one to one, and no status slot is used twice.
fn check_stores(a: &Agency, expected: usize) {
    let records = a.issuer.records().list().unwrap();
    let leaves = a.issuer.log().leaves().unwrap();
    assert_eq!(records.len(), expected, "records");
    assert_eq!(leaves.len(), expected, "log leaves");
    let mut slots = BTreeSet::new();
    let mut indexes = BTreeSet::new();
    for r in &records {
        let index = r.log_index.unwrap();
        assert!(indexes.insert(index), "log index {index} used twice");
        let leaf = &leaves[usize::try_from(index).unwrap()];
        assert_eq!(leaf.jwt_sha256, r.jwt_sha256);
        assert_eq!(leaf.status_uri, r.status_uri);
        assert_eq!(leaf.status_idx, r.status_idx);
        let slot = (r.status_uri.clone().unwrap(), r.status_idx.unwrap());
        assert!(
            slots.insert(slot.clone()),
            "status slot {slot:?} used twice"
        );
    }
    let allocated: u64 = a
        .issuer
        .status_lists()
        .lists()
        .unwrap()
        .iter()
        .map(|m| u64::from(m.allocated))
        .sum();
    assert_eq!(allocated, expected as u64, "allocated status entries");
}

#[test]
fn a_batch_issues_every_credential_in_one_durable_step() {
    let dir = tempfile::tempdir().unwrap();
    let holder = PrivateJwk::generate().public();
    let (numbers, slots) = {
        let a = agency(dir.path(), 40);
        // One earlier credential: the batch's leaves follow it.
        let first = a
            .issuer
            .issue(
                &a.file.households[0].head,
                Certificate::ResidentAbstract,
                &holder,
                NOW,
            )
            .unwrap();
        assert_eq!(first.record.log_index, Some(0));
        let requests = heads(&a.file, &holder);
        let outcome = a.issuer.issue_batch(&requests, NOW).unwrap();
        assert_eq!(outcome.len(), requests.len());
        let mut slots = BTreeSet::from([check(&a, &first, &holder)]);
        let mut numbers = BTreeSet::from([first.record.document_number.clone()]);
        for (i, (request, issued)) in requests.iter().zip(&outcome).enumerate() {
            let issued = issued.as_ref().unwrap();
            assert_eq!(issued.record.subject, request.person_id);
            // The log grows in request order.
            assert_eq!(issued.record.log_index, Some(i as u64 + 1));
            assert!(
                slots.insert(check(&a, issued, &holder)),
                "status slot reused"
            );
            assert!(numbers.insert(issued.record.document_number.clone()));
        }
        assert_eq!(a.issuer.log().size().unwrap(), 41);
        check_stores(&a, 41);
        (numbers, slots)
    };
    // Durable: everything is there after reopening the database.
    let issuer = open(dir.path());
    let records = issuer.records().list().unwrap();
    let stored: BTreeSet<String> = records.iter().map(|r| r.document_number.clone()).collect();
    assert_eq!(stored, numbers);
    let stored_slots: BTreeSet<(String, u64)> = records
        .iter()
        .map(|r| (r.status_uri.clone().unwrap(), r.status_idx.unwrap()))
        .collect();
    assert_eq!(stored_slots, slots);
    assert_eq!(issuer.log().size().unwrap(), 41);
}

#[test]
fn a_refused_request_leaves_no_trace_and_sinks_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let a = agency(dir.path(), 6);
    let holder = PrivateJwk::generate().public();
    let mut requests = heads(&a.file, &holder);
    requests.insert(
        2,
        IssueRequest {
            person_id: "P999999".into(),
            certificate: Certificate::ResidentCopy,
            holder,
        },
    );
    // A deceased person, when the register has one; else a second unknown id.
    let deceased = a
        .file
        .persons
        .iter()
        .find(|p| p.died_on.is_some())
        .map_or("P999998".to_owned(), |p| p.id.clone());
    requests.push(IssueRequest {
        person_id: deceased,
        certificate: Certificate::ResidentAbstract,
        holder,
    });
    let outcome = a.issuer.issue_batch(&requests, NOW).unwrap();
    assert_eq!(outcome.len(), 8);
    let refused: Vec<usize> = outcome
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_err())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(refused, [2, 7]);
    assert_eq!(outcome[2].as_ref().unwrap_err().code(), "person_not_found");
    assert!(matches!(
        outcome[7].as_ref().unwrap_err(),
        IssuerError::PersonDeceased { .. } | IssuerError::PersonNotFound { .. }
    ));
    let mut log_indexes = Vec::new();
    for issued in outcome.iter().filter_map(|o| o.as_ref().ok()) {
        check(&a, issued, &holder);
        log_indexes.push(issued.record.log_index.unwrap());
    }
    // The issued six fill the log without gaps; the refused took no entry, leaf or record.
    assert_eq!(log_indexes, (0..6).collect::<Vec<u64>>());
    check_stores(&a, 6);
}

#[test]
fn a_batch_that_cannot_be_dated_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = agency(dir.path(), 3);
    let holder = PrivateJwk::generate().public();
    let err = a
        .issuer
        .issue_batch(&heads(&a.file, &holder), i64::MAX)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_time");
    check_stores(&a, 0);
    // An empty batch is no error and writes nothing either.
    assert!(a.issuer.issue_batch(&[], NOW).unwrap().is_empty());
    check_stores(&a, 0);
}

#[test]
fn batches_racing_single_issuances_keep_indexes_distinct_and_the_log_whole() {
    let dir = tempfile::tempdir().unwrap();
    let a = Arc::new(agency(dir.path(), 24));
    let holder = PrivateJwk::generate().public();
    let batches = {
        let a = Arc::clone(&a);
        std::thread::spawn(move || {
            let requests = heads(&a.file, &holder);
            let mut issued = Vec::new();
            for chunk in requests.chunks(8).cycle().take(6) {
                for o in a.issuer.issue_batch(chunk, NOW).unwrap() {
                    issued.push(o.unwrap());
                }
            }
            issued
        })
    };
    let singles = {
        let a = Arc::clone(&a);
        std::thread::spawn(move || {
            (0..40)
                .map(|i| {
                    let head = &a.file.households[i % a.file.households.len()].head;
                    a.issuer
                        .issue(head, Certificate::ResidentAbstract, &holder, NOW)
                        .unwrap()
                })
                .collect::<Vec<_>>()
        })
    };
    let more_batches = {
        let a = Arc::clone(&a);
        std::thread::spawn(move || {
            let requests = heads(&a.file, &holder);
            let mut issued = Vec::new();
            for chunk in requests.chunks(12).take(2) {
                for o in a.issuer.issue_batch(chunk, NOW).unwrap() {
                    issued.push(o.unwrap());
                }
            }
            issued
        })
    };
    let mut all = batches.join().unwrap();
    all.extend(singles.join().unwrap());
    all.extend(more_batches.join().unwrap());
    assert_eq!(all.len(), 48 + 40 + 24);
    let mut slots = BTreeSet::new();
    for issued in &all {
        assert!(
            slots.insert(check(&a, issued, &holder)),
            "status slot reused"
        );
    }
    check_stores(&a, 112);
    // The log is one sequence: a checkpoint over all of it, and every leaf's proof against it.
    let token = a.issuer.checkpoint(NOW).unwrap();
    let checkpoint = verify_checkpoint(&token, &a.key, &Budget::default()).unwrap();
    assert_eq!(checkpoint.tree_size, 112);
    for issued in &all {
        let inclusion = a
            .issuer
            .log_inclusion(&issued.record.document_number, NOW)
            .unwrap();
        inclusion
            .proof
            .verify(&inclusion.leaf, &checkpoint)
            .unwrap();
    }
}

/// A register event racing batches of issuance: every 등본 still valid afterwards shows the
/// register after the event; every one built before it is revoked by it.
#[test]
fn an_event_racing_batches_leaves_no_stale_credential_valid() {
    let dir = tempfile::tempdir().unwrap();
    let a = Arc::new(agency(dir.path(), 12));
    let holder = PrivateJwk::generate().public();
    // A household of at least two: a member other than the head dies.
    let household = a
        .file
        .households
        .iter()
        .find(|h| h.members.len() >= 2)
        .unwrap()
        .clone();
    let member = household
        .members
        .iter()
        .find(|m| m.person != household.head)
        .unwrap()
        .person
        .clone();
    let members_before = household.members.len();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let issuing: Vec<_> = (0..2)
        .map(|_| {
            let (a, done, head) = (Arc::clone(&a), Arc::clone(&done), household.head.clone());
            std::thread::spawn(move || {
                let request = IssueRequest {
                    person_id: head,
                    certificate: Certificate::ResidentCopy,
                    holder,
                };
                let requests = vec![request; 8];
                let mut issued = Vec::new();
                // Batches until the event is in, and two more.
                let mut after = 0;
                while after < 2 {
                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                        after += 1;
                    }
                    for o in a.issuer.issue_batch(&requests, NOW).unwrap() {
                        issued.push(o.unwrap());
                    }
                }
                issued
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let event = dojang_issuer::RegisterEvent::Death {
        person: member,
        date: time::macros::date!(2026 - 05 - 01),
    };
    let outcome = a.issuer.apply_event(&event, NOW).unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let issued: Vec<IssuedCredential> = issuing
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let revoked: BTreeSet<&str> = outcome.revoked.iter().map(String::as_str).collect();
    let budget = Budget::default();
    let (mut before, mut after) = (0, 0);
    for credential in &issued {
        let sd_jwt = SdJwt::parse(&credential.sd_jwt, &budget).unwrap();
        let payload = sd_jwt
            .issuer_jwt()
            .verify(&a.key, &[Algorithm::EdDSA])
            .unwrap();
        let claims = dojang_vc::process::process(payload, sd_jwt.disclosures(), &budget)
            .unwrap()
            .claims;
        let members = claims["members"].as_array().unwrap().len();
        let number = credential.record.document_number.as_str();
        if members == members_before {
            // Built before the event: revoked by it.
            before += 1;
            assert!(
                revoked.contains(number),
                "{number} shows the dead member and stays valid"
            );
        } else {
            assert_eq!(members, members_before - 1);
            after += 1;
            assert!(
                !revoked.contains(number),
                "{number} is current and was revoked"
            );
        }
        let (list, idx) = (
            0,
            u32::try_from(credential.record.status_idx.unwrap()).unwrap(),
        );
        let status = a.issuer.status_lists().status(list, idx).unwrap().unwrap();
        let expected = if revoked.contains(number) {
            Status::Invalid
        } else {
            Status::Valid
        };
        assert_eq!(status, expected, "{number}");
    }
    assert!(after >= 2 * 2 * 8, "{after} credentials after the event");
    assert_eq!(before, revoked.len(), "only this head's 등본 were issued");
}

#[test]
fn the_group_committer_shares_batches_and_answers_after_the_flush() {
    let dir = tempfile::tempdir().unwrap();
    let a = Arc::new(agency(dir.path(), 12));
    let committer = Arc::new(GroupCommitter::start(Arc::clone(&a.issuer), 4).unwrap());
    let threads: Vec<_> = (0..24)
        .map(|i| {
            let (a, committer) = (Arc::clone(&a), Arc::clone(&committer));
            std::thread::spawn(move || {
                let holder = PrivateJwk::generate().public();
                // Every sixth request names nobody: refused alone.
                let person_id = if i % 6 == 5 {
                    "P999999".to_owned()
                } else {
                    a.file.households[i % a.file.households.len()].head.clone()
                };
                let request = IssueRequest {
                    person_id,
                    certificate: Certificate::ResidentCopy,
                    holder,
                };
                (holder, committer.issue(request, NOW + i as i64))
            })
        })
        .collect();
    let mut issued = BTreeMap::new();
    let mut refused = 0;
    for t in threads {
        let (holder, outcome) = t.join().unwrap();
        match outcome {
            Ok(committed) => {
                let slot = check(&a, &committed.credential, &holder);
                // Its inclusion proof verifies against the checkpoint signed for its batch.
                let inclusion = committed.inclusion.unwrap();
                let checkpoint =
                    verify_checkpoint(&inclusion.checkpoint, &a.key, &Budget::default()).unwrap();
                assert_eq!(
                    inclusion.leaf.jwt_sha256,
                    committed.credential.record.jwt_sha256
                );
                inclusion
                    .proof
                    .verify(&inclusion.leaf, &checkpoint)
                    .unwrap();
                // The checkpoint handed out is stored.
                assert_eq!(
                    a.issuer.log().checkpoint_at(checkpoint.tree_size).unwrap(),
                    Some(inclusion.checkpoint.clone())
                );
                assert!(issued.insert(slot, committed.credential).is_none());
            }
            Err(e) => {
                assert_eq!(e.code(), "person_not_found");
                refused += 1;
            }
        }
    }
    assert_eq!((issued.len(), refused), (20, 4));
    check_stores(&a, 20);
    let stats = committer.stats();
    assert_eq!(stats.requests, 24);
    assert!(stats.largest_batch <= 4, "{stats:?}");
    assert!(stats.batches >= 6, "{stats:?}");
}

/// Requests submitted faster than batches run: each batch takes at most the limit, and every
/// caller's `after_commit` step runs, told whether its credential was issued, before the answer
/// comes.
#[test]
fn the_group_committer_keeps_its_batch_limit_and_runs_each_after_commit_step() {
    let dir = tempfile::tempdir().unwrap();
    let a = agency(dir.path(), 6);
    let committer = GroupCommitter::start(Arc::clone(&a.issuer), 5).unwrap();
    let holder = PrivateJwk::generate().public();
    let notes = a.issuer.db().open_tree("test.after_commit").unwrap();
    let answers: Vec<_> = (0..40u32)
        .map(|i| {
            // Every eighth request names nobody.
            let person_id = if i % 8 == 7 {
                "P999999".to_owned()
            } else {
                a.file.households[i as usize % 6].head.clone()
            };
            let request = IssueRequest {
                person_id,
                certificate: Certificate::ResidentCopy,
                holder,
            };
            let notes = notes.clone();
            let step: dojang_issuer::AfterCommit = Box::new(move |issued| {
                notes
                    .insert(i.to_be_bytes(), if issued { "issued" } else { "refused" })
                    .unwrap();
            });
            committer.submit(request, NOW, Some(step))
        })
        .collect();
    for (i, answer) in (0..40u32).zip(answers) {
        let outcome = answer.blocking_recv().unwrap();
        let note = notes.get(i.to_be_bytes()).unwrap().unwrap();
        match outcome {
            Ok(_) => assert_eq!(note, "issued", "{i}"),
            Err(e) => {
                assert_eq!(e.code(), "person_not_found", "{i}");
                assert_eq!(note, "refused", "{i}");
            }
        }
    }
    check_stores(&a, 35);
    let stats = committer.stats();
    assert_eq!(stats.requests, 40);
    assert!(stats.largest_batch <= 5, "{stats:?}");
    assert!(stats.batches >= 8, "{stats:?}");
    // Dropped: the thread ends; nothing is lost.
    drop(committer);
    assert_eq!(a.issuer.log().size().unwrap(), 35);
}
