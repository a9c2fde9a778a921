#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
//! The issuer's status lists: random, never repeated allocation; durable changes; final
//! revocation; snapshots and signed tokens a verifier accepts.

use std::collections::HashSet;

use dojang_did::PrivateJwk;
use dojang_issuer::{IssuerError, ListMeta, StatusLists, StatusRef, LIST_SIZE, STATUS_BITS};
use dojang_vc::status_list::{verify_token, Status};
use dojang_vc::{Algorithm, Budget, VerificationKey};
use sled::transaction::Transactional as _;

const BASE: &str = "https://jongno.example/status";

fn temp_db() -> sled::Db {
    sled::Config::new().temporary(true).open().unwrap()
}

/// Allocates in the caller's transaction, as issuance does, without a flush per allocation.
fn allocate_in_tx(lists: &StatusLists) -> StatusRef {
    let (l, e) = lists.trees();
    (l, e)
        .transaction(|(l, e)| StatusLists::allocate_tx(l, e, BASE))
        .unwrap()
}

#[test]
fn allocation_is_random_and_never_repeats() {
    let db = temp_db();
    let lists = StatusLists::open(&db, BASE).unwrap();
    let mut seen = HashSet::new();
    let mut first = Vec::new();
    for i in 0..20_000 {
        let r = allocate_in_tx(&lists);
        assert_eq!(r.list, 0);
        assert_eq!(r.uri, "https://jongno.example/status/0");
        assert!(r.idx < LIST_SIZE);
        assert!(seen.insert(r.idx), "index {} handed out twice", r.idx);
        if i < 100 {
            first.push(r.idx);
        }
    }
    // Not sequential: the first hundred are out of order and spread over the list.
    assert!(first.windows(2).any(|w| w[0] > w[1]));
    let span = first.iter().max().unwrap() - first.iter().min().unwrap();
    assert!(span > LIST_SIZE / 2, "span {span}");
    let meta = lists.lists().unwrap();
    assert_eq!(
        meta,
        vec![ListMeta {
            id: 0,
            uri: "https://jongno.example/status/0".into(),
            bits: STATUS_BITS,
            size: LIST_SIZE,
            allocated: 20_000,
            purpose: "revocation".into(),
        }]
    );
    for &idx in seen.iter().take(500) {
        assert_eq!(lists.status(0, idx).unwrap(), Some(Status::Valid));
    }
}

#[test]
fn a_half_full_list_is_closed_and_the_next_one_opened() {
    let db = temp_db();
    let lists = StatusLists::open(&db, "https://jongno.example/status/").unwrap();
    let first = lists.allocate().unwrap();
    assert_eq!(first.list, 0);
    // Fill list 0 to exactly half by its metadata (as if 131,072 credentials had been issued).
    let mut meta = lists.list(0).unwrap().unwrap();
    meta.allocated = LIST_SIZE / 2;
    lists
        .trees()
        .0
        .insert(0u32.to_be_bytes(), serde_json::to_vec(&meta).unwrap())
        .unwrap();
    let next = lists.allocate().unwrap();
    assert_eq!(next.list, 1);
    assert_eq!(next.uri, "https://jongno.example/status/1");
    assert_eq!(lists.lists().unwrap().len(), 2);
    assert_eq!(lists.list(1).unwrap().unwrap().allocated, 1);
    // The earlier list still holds its entries.
    assert_eq!(lists.status(0, first.idx).unwrap(), Some(Status::Valid));
}

#[test]
fn bad_base_uri_refused() {
    let db = temp_db();
    for bad in ["", "jongno.example/status", "https://jongno example/status"] {
        assert_eq!(
            StatusLists::open(&db, bad).unwrap_err().code(),
            "status_base_uri_invalid",
            "{bad:?}"
        );
    }
}

#[test]
fn durable_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.sled");
    let (revoked, suspended, valid) = {
        let db = dojang_issuer::open_db(&path).unwrap();
        let lists = StatusLists::open(&db, BASE).unwrap();
        let refs: Vec<StatusRef> = (0..10).map(|_| lists.allocate().unwrap()).collect();
        lists.set(0, refs[0].idx, Status::Invalid).unwrap();
        lists.set(0, refs[1].idx, Status::Suspended).unwrap();
        (refs[0].clone(), refs[1].clone(), refs[2].clone())
    };
    let db = dojang_issuer::open_db(&path).unwrap();
    let lists = StatusLists::open(&db, BASE).unwrap();
    assert_eq!(lists.status(0, revoked.idx).unwrap(), Some(Status::Invalid));
    assert_eq!(
        lists.status(0, suspended.idx).unwrap(),
        Some(Status::Suspended)
    );
    assert_eq!(lists.status(0, valid.idx).unwrap(), Some(Status::Valid));
    assert_eq!(lists.list(0).unwrap().unwrap().allocated, 10);
    let more = lists.allocate().unwrap();
    assert_ne!(more.idx, revoked.idx);
    assert_eq!(lists.list(0).unwrap().unwrap().allocated, 11);
}

#[test]
fn transitions_and_refusals() {
    let db = temp_db();
    let lists = StatusLists::open(&db, BASE).unwrap();
    let a = lists.allocate().unwrap();
    let (l, i) = (a.list, a.idx);
    // suspend, reinstate, suspend again, revoke
    assert_eq!(lists.set(l, i, Status::Suspended).unwrap(), Status::Valid);
    assert_eq!(lists.set(l, i, Status::Valid).unwrap(), Status::Suspended);
    assert_eq!(lists.set(l, i, Status::Valid).unwrap(), Status::Valid);
    assert_eq!(lists.set(l, i, Status::Suspended).unwrap(), Status::Valid);
    assert_eq!(lists.set(l, i, Status::Invalid).unwrap(), Status::Suspended);
    // revocation is final; revoking again is harmless
    for s in [Status::Valid, Status::Suspended] {
        assert!(matches!(
            lists.set(l, i, s).unwrap_err(),
            IssuerError::RevocationFinal { list, idx } if list == l && idx == i
        ));
    }
    assert_eq!(lists.set(l, i, Status::Invalid).unwrap(), Status::Invalid);
    assert_eq!(lists.status(l, i).unwrap(), Some(Status::Invalid));
    // never allocated
    let free = (0..LIST_SIZE).find(|&x| x != i).unwrap();
    let err = lists.set(l, free, Status::Invalid).unwrap_err();
    assert_eq!(err.code(), "status_entry_unknown");
    assert_eq!(lists.status(l, free).unwrap(), None);
    assert_eq!(
        lists.set(7, 0, Status::Invalid).unwrap_err().code(),
        "status_entry_unknown"
    );
    // application-specific values are not written
    let b = lists.allocate().unwrap();
    assert_eq!(
        lists
            .set(b.list, b.idx, Status::Other(3))
            .unwrap_err()
            .code(),
        "status_value_unsupported"
    );
    assert_eq!(lists.status(b.list, b.idx).unwrap(), Some(Status::Valid));
}

#[test]
fn set_many_is_all_or_nothing() {
    let db = temp_db();
    let lists = StatusLists::open(&db, BASE).unwrap();
    let refs: Vec<(u32, u32)> = (0..5)
        .map(|_| {
            let r = lists.allocate().unwrap();
            (r.list, r.idx)
        })
        .collect();
    lists.set(refs[4].0, refs[4].1, Status::Invalid).unwrap();
    // One revoked entry cannot be suspended: nothing changes.
    let err = lists.set_many(&refs, Status::Suspended).unwrap_err();
    assert_eq!(err.code(), "status_revocation_final");
    for &(l, i) in &refs[..4] {
        assert_eq!(lists.status(l, i).unwrap(), Some(Status::Valid));
    }
    // An unknown entry: nothing changes either.
    let mut with_unknown = refs[..4].to_vec();
    with_unknown.push((9, 9));
    assert_eq!(
        lists
            .set_many(&with_unknown, Status::Invalid)
            .unwrap_err()
            .code(),
        "status_entry_unknown"
    );
    for &(l, i) in &refs[..4] {
        assert_eq!(lists.status(l, i).unwrap(), Some(Status::Valid));
    }
    let previous = lists.set_many(&refs, Status::Invalid).unwrap();
    assert_eq!(
        previous,
        vec![
            Status::Valid,
            Status::Valid,
            Status::Valid,
            Status::Valid,
            Status::Invalid
        ]
    );
    for &(l, i) in &refs {
        assert_eq!(lists.status(l, i).unwrap(), Some(Status::Invalid));
    }
}

#[test]
fn allocate_and_set_inside_one_bigger_transaction() {
    let db = temp_db();
    let lists = StatusLists::open(&db, BASE).unwrap();
    let records = db.open_tree("test.records").unwrap();
    let (l, e) = lists.trees();
    let r = (l, e, &records)
        .transaction(|(l, e, records)| {
            let r = StatusLists::allocate_tx(l, e, BASE)?;
            records.insert(b"doc-1".as_slice(), serde_json::to_vec(&r).unwrap())?;
            StatusLists::set_tx(e, r.list, r.idx, Status::Suspended)?;
            Ok(r)
        })
        .unwrap();
    db.flush().unwrap();
    assert_eq!(
        lists.status(r.list, r.idx).unwrap(),
        Some(Status::Suspended)
    );
    let stored: StatusRef =
        serde_json::from_slice(&records.get(b"doc-1").unwrap().unwrap()).unwrap();
    assert_eq!(stored, r);
    // An abort later in the same transaction undoes the allocation.
    let before = lists.list(0).unwrap().unwrap().allocated;
    let err = (l, e)
        .transaction(|(l, e)| {
            StatusLists::allocate_tx(l, e, BASE)?;
            sled::transaction::abort::<(), _>(IssuerError::StatusListNotFound { list: 99 })
        })
        .unwrap_err();
    assert!(matches!(
        err,
        sled::transaction::TransactionError::Abort(IssuerError::StatusListNotFound { list: 99 })
    ));
    assert_eq!(lists.list(0).unwrap().unwrap().allocated, before);
    assert_eq!(lists.snapshot(0).unwrap(), {
        let mut only = dojang_vc::status_list::StatusList::new(2, u64::from(LIST_SIZE)).unwrap();
        only.set(u64::from(r.idx), Status::Suspended.to_bits())
            .unwrap();
        only
    });
}

#[test]
fn snapshot_and_token_show_the_entries() {
    let db = temp_db();
    let lists = StatusLists::open(&db, BASE).unwrap();
    let mut expected = Vec::new();
    for n in 0..300u32 {
        let r = allocate_in_tx(&lists);
        let status = match n % 10 {
            0 => Status::Invalid,
            1 => Status::Suspended,
            _ => Status::Valid,
        };
        if status != Status::Valid {
            lists.set(r.list, r.idx, status).unwrap();
        }
        expected.push((r.idx, status));
    }
    let snapshot = lists.snapshot(0).unwrap();
    assert_eq!(snapshot.bits(), 2);
    assert_eq!(snapshot.len(), u64::from(LIST_SIZE));
    for &(idx, status) in &expected {
        assert_eq!(snapshot.get(u64::from(idx)), Some(status.to_bits()));
        assert_eq!(lists.status(0, idx).unwrap(), Some(status));
    }
    let nonzero = (0..snapshot.len())
        .filter(|&i| snapshot.get(i) != Some(0))
        .count();
    assert_eq!(nonzero, 60);
    assert_eq!(
        lists.snapshot(5).unwrap_err().code(),
        "status_list_not_found"
    );

    let key = PrivateJwk::generate();
    let now = 1_760_000_000;
    let token = lists
        .token(
            0,
            "did:example:jongno",
            "did:example:jongno#key-1",
            key.signing_key(),
            now,
            3_600,
            86_400,
        )
        .unwrap();
    let verified = verify_token(
        &token,
        &VerificationKey::Ed25519(key.public()),
        &[Algorithm::EdDSA],
        "https://jongno.example/status/0",
        now + 60,
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(verified.list, snapshot);
    assert_eq!(verified.iat, now);
    assert_eq!(verified.exp, Some(now + 86_400));
    assert_eq!(verified.ttl, Some(3_600));
    assert_eq!(verified.iss.as_deref(), Some("did:example:jongno"));
    for &(idx, status) in &expected {
        assert_eq!(
            Status::from_bits(verified.list.get(u64::from(idx)).unwrap()),
            status
        );
    }
    assert_eq!(
        lists
            .token(3, "i", "k", key.signing_key(), now, 60, 60)
            .unwrap_err()
            .code(),
        "status_list_not_found"
    );
}
