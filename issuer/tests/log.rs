#![allow(clippy::unwrap_used)]
//! The issuer's transparency log on sled: durable appends inside multi-tree transactions,
//! proofs against its own signed checkpoints, and a forked log caught by consistency.

use dojang_did::{did_for_key, DidMethod, PrivateJwk};
use dojang_issuer::{IssuerError, TransparencyLog};
use dojang_vc::log::{verify_checkpoint, Checkpoint, ConsistencyProof, InclusionProof, LogLeaf};
use dojang_vc::merkle;
use dojang_vc::{Budget, VerificationKey};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

fn leaf(i: u64) -> LogLeaf {
    LogLeaf::for_jwt(
        &format!("eyJhbGciOiJFZERTQSJ9.credential-{i}.signature"),
        "urn:dojang:kr:resident-registration-copy:1",
        1_700_000_000 + i as i64,
        Some("https://issuer.example/status/1"),
        Some(i),
    )
}

struct Signer {
    key: PrivateJwk,
    did: String,
    kid: String,
}

impl Signer {
    fn new() -> Self {
        let key = PrivateJwk::generate();
        let (did, kid) = did_for_key(&key.public(), DidMethod::Key);
        Self { key, did, kid }
    }
    fn checkpoint(&self, log: &TransparencyLog, now: i64) -> String {
        log.checkpoint(&self.did, &self.kid, self.key.signing_key(), now)
            .unwrap()
    }
    fn verify(&self, token: &str) -> Checkpoint {
        let vk = VerificationKey::Ed25519(self.key.public());
        verify_checkpoint(token, &vk, &Budget::default()).unwrap()
    }
}

/// Appends `leaf` and a stand-in issuance record in one transaction, as issuance does.
fn issue(db: &sled::Db, log: &TransparencyLog, records: &sled::Tree, leaf: &LogLeaf) -> u64 {
    let (leaves, meta) = log.trees();
    let index = (leaves, meta, records)
        .transaction(|(l, m, r)| {
            let index = TransparencyLog::append_tx(l, m, leaf)?;
            r.insert(leaf.jwt_sha256.as_bytes(), &index.to_be_bytes())?;
            Ok(index)
        })
        .map_err(|e: TransactionError<IssuerError>| e)
        .unwrap();
    db.flush().unwrap();
    index
}

#[test]
fn appends_in_a_transaction_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = dojang_issuer::open_db(dir.path()).unwrap();
        let log = TransparencyLog::open(&db).unwrap();
        let records = db.open_tree("test.records").unwrap();
        for i in 0..5 {
            assert_eq!(issue(&db, &log, &records, &leaf(i)), i);
        }
        // An aborted transaction leaves no leaf behind.
        let (leaves, meta) = log.trees();
        let aborted: Result<(), TransactionError<IssuerError>> =
            (leaves, meta).transaction(|(l, m)| {
                TransparencyLog::append_tx(l, m, &leaf(99))?;
                Err(ConflictableTransactionError::Abort(
                    IssuerError::InvalidTime { at: 0 },
                ))
            });
        assert!(aborted.is_err());
        assert_eq!(log.size().unwrap(), 5);
    }
    let db = dojang_issuer::open_db(dir.path()).unwrap();
    let log = TransparencyLog::open(&db).unwrap();
    let records = db.open_tree("test.records").unwrap();
    assert_eq!(log.size().unwrap(), 5);
    let stored = log.leaves().unwrap();
    assert_eq!(stored, (0..5).map(leaf).collect::<Vec<_>>());
    for (i, l) in stored.iter().enumerate() {
        assert_eq!(log.leaf(i as u64).unwrap().as_ref(), Some(l));
        let recorded = records.get(l.jwt_sha256.as_bytes()).unwrap().unwrap();
        assert_eq!(recorded.as_ref(), (i as u64).to_be_bytes());
    }
    assert_eq!(log.leaf(5).unwrap(), None);
    // Appending continues where it stopped.
    assert_eq!(log.append(&leaf(5)).unwrap(), 5);
    assert_eq!(log.size().unwrap(), 6);
}

#[test]
fn proofs_verify_against_signed_checkpoints() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let log = TransparencyLog::open(&db).unwrap();
    let signer = Signer::new();
    let mut signed = vec![signer.checkpoint(&log, 1_000)];
    let mut next = 0;
    for (size, at) in [
        (1u64, 1_001),
        (6, 1_002),
        (6, 1_003),
        (17, 1_004),
        (32, 1_005),
        (33, 1_006),
    ] {
        while next < size {
            assert_eq!(log.append(&leaf(next)).unwrap(), next);
            next += 1;
        }
        signed.push(signer.checkpoint(&log, at));
    }
    // Stored by size; the later of two checkpoints of the same size is kept.
    let stored = log.checkpoints().unwrap();
    assert_eq!(stored.len(), 6);
    let sizes: Vec<u64> = stored.iter().map(|t| signer.verify(t).tree_size).collect();
    assert_eq!(sizes, [0, 1, 6, 17, 32, 33]);
    assert_eq!(signer.verify(&stored[2]).iat, 1_003);
    assert_eq!(log.latest_checkpoint().unwrap().as_ref(), signed.last());
    assert_eq!(log.checkpoint_at(17).unwrap().as_ref(), Some(&signed[4]));
    assert_eq!(log.checkpoint_at(18).unwrap(), None);

    let checkpoints: Vec<Checkpoint> = stored.iter().map(|t| signer.verify(t)).collect();
    for cp in &checkpoints {
        assert_eq!(cp.origin, signer.did);
        assert_eq!(cp.root().unwrap(), log.root(cp.tree_size).unwrap());
        for i in 0..cp.tree_size {
            let proof = log.inclusion_proof(i, cp.tree_size).unwrap();
            proof.verify(&leaf(i), cp).unwrap();
            assert!(proof.verify(&leaf(i + 1), cp).is_err());
        }
    }
    assert_eq!(checkpoints[0].root().unwrap(), merkle::EMPTY_ROOT);
    // Consistency between each pair of successive checkpoints, and from the first to the last.
    for pair in checkpoints.windows(2) {
        let proof = log
            .consistency_proof(pair[0].tree_size, pair[1].tree_size)
            .unwrap();
        proof.verify(&pair[0], &pair[1]).unwrap();
    }
    let (first, last) = (&checkpoints[1], &checkpoints[5]);
    log.consistency_proof(1, 33)
        .unwrap()
        .verify(first, last)
        .unwrap();
    // Out of range.
    assert_eq!(
        log.inclusion_proof(33, 33).unwrap_err().code(),
        "log_index_out_of_range"
    );
    assert_eq!(
        log.inclusion_proof(0, 34).unwrap_err().code(),
        "log_size_out_of_range"
    );
    assert_eq!(
        log.consistency_proof(6, 5).unwrap_err().code(),
        "log_size_out_of_range"
    );
    assert_eq!(
        log.consistency_proof(1, 40).unwrap_err().code(),
        "log_size_out_of_range"
    );
    assert_eq!(log.root(34).unwrap_err().code(), "log_size_out_of_range");
}

#[test]
fn a_rewritten_log_is_not_consistent_with_its_past() {
    let signer = Signer::new();
    let honest_db = sled::Config::new().temporary(true).open().unwrap();
    let honest = TransparencyLog::open(&honest_db).unwrap();
    for i in 0..10 {
        honest.append(&leaf(i)).unwrap();
    }
    let old = signer.verify(&signer.checkpoint(&honest, 1));

    // The same issuer key, a log whose 8th entry was replaced, then grown further.
    let forked_db = sled::Config::new().temporary(true).open().unwrap();
    let forked = TransparencyLog::open(&forked_db).unwrap();
    for i in 0..20 {
        let l = if i == 7 {
            LogLeaf::for_jwt("a.forged.jwt", "urn:x", 0, None, None)
        } else {
            leaf(i)
        };
        forked.append(&l).unwrap();
    }
    let new = signer.verify(&signer.checkpoint(&forked, 2));
    let proof = forked.consistency_proof(10, 20).unwrap();
    assert_eq!(
        proof.verify(&old, &new).unwrap_err().code(),
        "log_proof_invalid"
    );
    // Nor does the honest log's own proof shape help: the heads do not fit together.
    for i in 10..20 {
        honest.append(&leaf(i)).unwrap();
    }
    let honest_proof = honest.consistency_proof(10, 20).unwrap();
    assert!(honest_proof.verify(&old, &new).is_err());
    let honest_new = signer.verify(&signer.checkpoint(&honest, 3));
    honest_proof.verify(&old, &honest_new).unwrap();
    // The removed leaf's old inclusion proof does not verify in the forked tree.
    let inclusion = honest.inclusion_proof(7, 10).unwrap();
    inclusion.verify(&leaf(7), &old).unwrap();
    let forked_inclusion = forked.inclusion_proof(7, 20).unwrap();
    assert!(forked_inclusion.verify(&leaf(7), &new).is_err());
}

/// Past the in-memory tree's floor (blocks of 64 leaves): heads and proofs at sizes and indexes
/// inside older blocks, whose leaves the log reads back, match the reference computed over every
/// leaf, before and after the log is reopened (its tree then refilled from sled).
#[test]
fn heads_and_proofs_inside_older_blocks_match_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let hashes: Vec<merkle::Hash> = (0..200)
        .map(|i| merkle::leaf_hash(&leaf(i).to_bytes()))
        .collect();
    let check = |log: &TransparencyLog| {
        for size in [
            1u64, 5, 63, 64, 65, 100, 127, 128, 129, 150, 191, 192, 199, 200,
        ] {
            let n = size as usize;
            assert_eq!(
                log.root(size).unwrap(),
                merkle::root(&hashes[..n]),
                "root of {size}"
            );
            for index in [0, 1, 31, 62, 63, 64, 70, 99, 128, 140, 198, 199] {
                if index < size {
                    let proof = log.inclusion_proof(index, size).unwrap();
                    let expected = merkle::inclusion_proof(&hashes[..n], index).unwrap();
                    assert_eq!(
                        proof,
                        InclusionProof::new(index, size, &expected),
                        "{index} in {size}"
                    );
                }
            }
            for old in [0u64, 1, 3, 63, 64, 65, 99, 128, 129, 190] {
                if old <= size {
                    let proof = log.consistency_proof(old, size).unwrap();
                    let expected = merkle::consistency_proof(&hashes[..n], old).unwrap();
                    assert_eq!(
                        proof,
                        ConsistencyProof::new(old, size, &expected),
                        "{old}..{size}"
                    );
                }
            }
        }
    };
    {
        let db = sled::open(dir.path()).unwrap();
        let log = TransparencyLog::open(&db).unwrap();
        for i in 0..200 {
            log.append(&leaf(i)).unwrap();
        }
        check(&log);
    }
    let db = sled::open(dir.path()).unwrap();
    check(&TransparencyLog::open(&db).unwrap());
}
