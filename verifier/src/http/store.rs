//! The service's stores: the requests it made and the results of the responses, each in a
//! journal of its own ([`super::journal`]: `requests/` and `results/` in the state directory),
//! and, where a state directory was written by an earlier version, its sled database
//! ([`super::legacy`]). Every write that a 2xx reports is durable before the answer
//! (CONVENTIONS 11): the writes here are not synced one by one; the handler awaits
//! [`Stores::durable`], a sync of both journals (and of the earlier database, if there is one)
//! shared with the requests writing at the same time ([`super::flush`]). A lock on the file
//! `lock` keeps a second service out of the state directory.
//!
//! ## One response per request
//! A request's `state` is its id, so a response finds its request with one read. Its result is
//! appended to the results journal only if the request has none
//! ([`super::journal::Journal::append`]): exactly one response per request wins, and the nonce
//! of a request answered before a crash stays spent after it, with no write of its own
//! ([`Stores::put_result`]). A request made by the earliest versions (a `state` of its own, its
//! nonce in the `nonces` tree: [`StoredRequest::spent_by_result`] unset) is found through the
//! earlier database and has its nonce spent there first, as then. Results stored by earlier
//! versions stay in that database, read and swept as before, and count as answers: a request
//! answered then is not answered again.
//!
//! ## What may be deleted, and when
//! The retention sweep ([`Stores::sweep_batch`]) drops an unanswered request
//! `EXPIRED_GRACE_SECONDS` after its expiry, and a result (with its request) once its retention
//! has ended **and** its request has been expired that long. Dropping a record from a journal's
//! index is not written anywhere: a crash before its segment's file is deleted brings it back.
//! That is harmless because of the second rule: whatever comes back is a request past its
//! expiry, which no response can use (`request_expired`), with or without its result. So a
//! request never outlives the result that spent its nonce while it can still be answered.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dojang_vc::oid4vp::ResponseMode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::flush::GroupFlush;
use super::journal::{self, Due, Journal};
use super::legacy::Legacy;
use super::record;
use super::state::ServiceError;
use crate::VerifyError;

/// A presentation request as the service remembers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredRequest {
    /// The request's id (in its URLs).
    pub(crate) id: String,
    /// The OpenID4VP `state`: how a response finds its request.
    pub(crate) state: String,
    /// The nonce the KB-JWT must carry; single use.
    pub(crate) nonce: String,
    /// The credential type asked for.
    pub(crate) vct: String,
    /// The claim paths asked for (dot form).
    pub(crate) claims: Vec<String>,
    /// Why, as shown to the holder.
    pub(crate) purpose: String,
    /// How the wallet must answer.
    pub(crate) response_mode: ResponseMode,
    /// Freshness asked for, if any.
    pub(crate) max_age_days: Option<i64>,
    /// Created at.
    pub(crate) iat: i64,
    /// Answerable until (exclusive).
    pub(crate) exp: i64,
    /// The signed request object, served as is: inline only in records of the earliest
    /// versions (empty, and not written, since). Kept after the request's JSON in its journal
    /// record ([`Stores::put_request`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) object: String,
    /// Set on every request made since `state` became the request's id: its nonce is spent by
    /// writing its result ([`Stores::put_result`]). Unset (absent) in records of the earliest
    /// versions, whose `state` is found through the earlier database's `states` tree and whose
    /// nonce is spent in its `nonces` tree.
    #[serde(default)]
    pub(crate) spent_by_result: bool,
}

/// The service's stores (see the module docs).
pub(crate) struct Stores {
    requests: Arc<Journal>,
    results: Arc<Journal>,
    /// The sled database of earlier versions, where the state directory has one.
    legacy: Option<Arc<Legacy>>,
    group: GroupFlush,
    /// Held while the stores are open: one service a state directory.
    _lock: File,
}

/// A storage failure, with what was being done (for the log; clients see `storage`).
#[derive(Debug)]
pub(crate) struct StorageError(pub(crate) String);

impl From<sled::Error> for StorageError {
    fn from(e: sled::Error) -> Self {
        StorageError(e.to_string())
    }
}

/// How long to wait for the state directory's lock held by a service that is stopping.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Takes the lock of the state directory `dir` (the file `lock` in it), waiting up to
/// [`LOCK_WAIT`] for a service that is stopping.
fn lock_state_dir(dir: &Path) -> Result<File, ServiceError> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| ServiceError::Io {
            path: path.clone(),
            source,
        })?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(TryLockError::WouldBlock) => return Err(ServiceError::InUse { path }),
            Err(TryLockError::Error(source)) => return Err(ServiceError::Io { path, source }),
        }
    }
}

/// A request's journal record: the length of its JSON (u32, little-endian), the JSON, then its
/// signed request object.
fn request_record(req: &StoredRequest, object: &str) -> Result<Vec<u8>, StorageError> {
    let json = serde_json::to_vec(req).map_err(|e| StorageError(e.to_string()))?;
    let len = u32::try_from(json.len()).map_err(|_| StorageError("request too large".into()))?;
    let mut bytes = Vec::with_capacity(4 + json.len() + object.len());
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(object.as_bytes());
    Ok(bytes)
}

/// The JSON and the object of a request's journal record.
fn split_request_record(bytes: &[u8]) -> Result<(&[u8], &[u8]), StorageError> {
    let bad = || StorageError("a request record is malformed".into());
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or_else(bad)?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| bad())?;
    if len > rest.len() {
        return Err(bad());
    }
    Ok(rest.split_at(len))
}

impl Stores {
    /// Opens the stores of the state directory `dir`: its lock, the two journals and, if there
    /// is one, the database of earlier versions (indexed at its first open as of `now`).
    pub(crate) fn open(dir: &Path, now: i64) -> Result<Self, ServiceError> {
        let lock = lock_state_dir(dir)?;
        let legacy = Legacy::open_if_present(&dir.join("db"), now)?.map(Arc::new);
        let journal = |name: &str, kind| {
            Journal::open(&dir.join(name), kind)
                .map(Arc::new)
                .map_err(|e| ServiceError::Journal(e.0))
        };
        let requests = journal("requests", journal::REQUESTS)?;
        let results = journal("results", journal::RESULTS)?;
        let group = {
            let (requests, results) = (Arc::clone(&requests), Arc::clone(&results));
            let db = legacy.as_ref().map(|l| l.db.clone());
            GroupFlush::new(Box::new(move || {
                requests.sync()?;
                results.sync()?;
                match &db {
                    Some(db) => db.flush().map(|_| ()).map_err(|e| e.to_string()),
                    None => Ok(()),
                }
            }))
            .map_err(|source| ServiceError::Io {
                path: dir.to_owned(),
                source,
            })?
        };
        Ok(Self {
            requests,
            results,
            legacy,
            group,
            _lock: lock,
        })
    }

    /// Records a new request and its signed request object; durable after [`Stores::durable`].
    /// Only the current form is made (its `state` its id, its nonce spent by its result).
    pub(crate) fn put_request(
        &self,
        req: &StoredRequest,
        object: &str,
    ) -> Result<(), StorageError> {
        if req.state != req.id || !req.spent_by_result {
            return Err(StorageError(
                "a request of the earliest form is not made any more".into(),
            ));
        }
        if !self
            .requests
            .append(&req.id, req.exp, &request_record(req, object)?)?
        {
            return Err(StorageError(format!("request id {} taken", req.id)));
        }
        Ok(())
    }

    /// Returns once every write made before the call is on disk: a sync shared with concurrent
    /// callers ([`GroupFlush::durable`]).
    pub(crate) async fn durable(&self) -> Result<(), StorageError> {
        self.group.durable().await
    }

    /// The request with this id.
    pub(crate) fn request(&self, id: &str) -> Result<Option<StoredRequest>, StorageError> {
        if let Some(bytes) = self.requests.get(id)? {
            if bytes.is_empty() {
                // A tombstone ([`Stores::forget_early`]).
                return Ok(None);
            }
            let (json, _) = split_request_record(&bytes)?;
            return serde_json::from_slice(json)
                .map(Some)
                .map_err(|e| StorageError(format!("request record: {e}")));
        }
        match &self.legacy {
            Some(legacy) => legacy.request(id),
            None => Ok(None),
        }
    }

    /// The signed request object of the request `req`.
    pub(crate) fn request_object(&self, req: &StoredRequest) -> Result<String, StorageError> {
        if !req.object.is_empty() {
            return Ok(req.object.clone());
        }
        let object = match self.requests.get(&req.id)? {
            Some(bytes) if !bytes.is_empty() => Some(split_request_record(&bytes)?.1.to_vec()),
            Some(_) => None,
            None => match &self.legacy {
                Some(legacy) => legacy.request_object(req)?.map(String::into_bytes),
                None => None,
            },
        };
        let object =
            object.ok_or_else(|| StorageError("a request without its request object".into()))?;
        String::from_utf8(object).map_err(|_| StorageError("a request object is not UTF-8".into()))
    }

    /// The request with this `state`: the request whose id it is, or, for a request of the
    /// earliest form, the one the earlier database's `states` tree names.
    pub(crate) fn request_by_state(
        &self,
        state: &str,
    ) -> Result<Option<StoredRequest>, StorageError> {
        if let Some(req) = self.request(state)? {
            // Another request's id is no `state` of an earlier request's.
            if req.state == state {
                return Ok(Some(req));
            }
        }
        match &self.legacy {
            Some(legacy) => legacy.request_by_state(state),
            None => Ok(None),
        }
    }

    /// Spends the nonce of a request of the earliest form ([`StoredRequest::spent_by_result`]
    /// unset), atomically; such a request exists only in the earlier database.
    pub(crate) fn spend_earlier_nonce(&self, nonce: &str) -> Result<(), VerifyError> {
        match &self.legacy {
            Some(legacy) => legacy.spend_nonce(nonce),
            None => Err(VerifyError::NonceUnknown),
        }
    }

    /// Stores the result of a request if it has none, atomically: `Ok(false)` (nothing
    /// written) if another response stored one first, whenever that was. Durable after
    /// [`Stores::durable`]. This is what spends a request's nonce
    /// ([`StoredRequest::spent_by_result`]; a request of the earliest form had its nonce spent
    /// before). `completed_at` starts its retention period. `result` is the record's JSON, as
    /// `GET /requests/{id}/result` reads it back; it is stored packed ([`super::record`]).
    pub(crate) fn put_result(
        &self,
        id: &str,
        result: &[u8],
        completed_at: i64,
    ) -> Result<bool, StorageError> {
        // Answered by an earlier version: that cannot change before the append below.
        if let Some(legacy) = &self.legacy {
            if legacy.answered(id)? {
                return Ok(false);
            }
        }
        let packed = record::pack(result)?;
        self.results.append(id, completed_at, &packed)
    }

    /// Whether a request has a result.
    fn answered(&self, id: &str) -> Result<bool, StorageError> {
        if self.results.contains(id)? {
            return Ok(true);
        }
        match &self.legacy {
            Some(legacy) => legacy.answered(id),
            None => Ok(false),
        }
    }

    /// The result of a request, once answered.
    pub(crate) fn result(&self, id: &str) -> Result<Option<Value>, StorageError> {
        let stored = match (self.results.get(id)?, &self.legacy) {
            (Some(packed), _) => packed,
            (None, Some(legacy)) => match legacy.result(id)? {
                Some(stored) => stored,
                None => return Ok(None),
            },
            (None, None) => return Ok(None),
        };
        serde_json::from_slice(&record::unpack(&stored)?)
            .map(Some)
            .map_err(|e| StorageError(format!("result record: {e}")))
    }

    /// Deletes, in one bounded batch, unanswered requests whose expiry is at or before
    /// `expired_before`, and results stored at or before `completed_before` whose requests'
    /// expiries are at or before `expired_before`, each with its request (module docs). Not
    /// synced: durable after [`Stores::durable`]. Visits at most `limit` records of each kind
    /// in each store.
    pub(crate) fn sweep_batch(
        &self,
        expired_before: i64,
        completed_before: i64,
        limit: usize,
    ) -> Result<Batch, StorageError> {
        let mut batch = Batch::default();
        if let Some(legacy) = &self.legacy {
            legacy.sweep_batch(
                expired_before,
                completed_before,
                limit,
                |id| self.answered(id),
                &mut batch,
            )?;
        }
        // Results, with their requests, once both are due.
        let swept = self.results.sweep(
            completed_before,
            limit,
            |id| {
                if let Some(req) = self.request(id)? {
                    self.forget_request(&req, req.exp > expired_before)?;
                }
                Ok(Due::Drop)
            },
            || self.sync_forgetting(),
        )?;
        batch.results += swept.dropped;
        batch.completed_entries += swept.visited + swept.files;
        batch.more |= swept.more;
        // Unanswered requests (an answered one went with its result, above), and the files of
        // segments emptied.
        let swept = self.requests.sweep(
            expired_before,
            limit,
            |id| {
                Ok(if self.answered(id)? {
                    Due::Keep
                } else {
                    Due::Drop
                })
            },
            || Ok(()),
        )?;
        batch.expired += swept.dropped;
        batch.expiry_entries += swept.visited + swept.files;
        batch.more |= swept.more;
        Ok(batch)
    }

    /// Forgets a request, wherever it is, as its result goes. One that could still be answered
    /// (`answerable`: a retention shorter than a request's life) leaves a tombstone (an empty
    /// record) in the requests journal until its expiry, so that no crash brings the request
    /// back answerable without the result that spent its nonce. Durable after
    /// [`Stores::sync_forgetting`], which the results journal calls before it deletes the
    /// result's file.
    fn forget_request(&self, req: &StoredRequest, answerable: bool) -> Result<(), StorageError> {
        if self.requests.remove(&req.id)? {
            if answerable {
                self.requests.append(&req.id, req.exp, &[])?;
            }
        } else if let Some(legacy) = &self.legacy {
            legacy.forget_request(&req.id)?;
        }
        Ok(())
    }

    /// Makes what the results' sweep forgot durable: the requests journal's tombstones, and
    /// the deletions in the earlier database.
    fn sync_forgetting(&self) -> Result<(), StorageError> {
        self.requests.sync().map_err(StorageError)?;
        if let Some(legacy) = &self.legacy {
            legacy.db.flush()?;
        }
        Ok(())
    }

    /// Syncs everything (at shutdown).
    pub(crate) async fn flush_async(&self) -> Result<(), ServiceError> {
        self.requests.sync().map_err(ServiceError::Journal)?;
        self.results.sync().map_err(ServiceError::Journal)?;
        if let Some(legacy) = &self.legacy {
            legacy.db.flush_async().await?;
        }
        Ok(())
    }
}

/// What one sweep batch deleted ([`Stores::sweep_batch`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Batch {
    /// Unanswered requests deleted.
    pub(crate) expired: usize,
    /// Results deleted (each with its request).
    pub(crate) results: usize,
    /// Requests visited, and their index entries and files deleted.
    pub(crate) expiry_entries: usize,
    /// Results visited, and their index entries and files deleted.
    pub(crate) completed_entries: usize,
    /// Whether more was due than the batch's limit.
    pub(crate) more: bool,
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A request of the earliest form: a `state` of its own, its nonce in the `nonces` tree.
    pub(crate) fn request(id: &str, exp: i64) -> StoredRequest {
        StoredRequest {
            id: id.to_owned(),
            state: format!("state-{id}"),
            nonce: format!("nonce-{id}"),
            vct: "urn:example:vct".into(),
            claims: vec!["name".into()],
            purpose: "test".into(),
            response_mode: ResponseMode::DirectPost,
            max_age_days: None,
            iat: exp - 300,
            exp,
            object: String::new(),
            spent_by_result: false,
        }
    }

    /// A request in the current form: its `state` is its id, its nonce spent by its result.
    pub(crate) fn current(id: &str, exp: i64) -> StoredRequest {
        StoredRequest {
            state: id.to_owned(),
            spent_by_result: true,
            ..request(id, exp)
        }
    }

    fn files(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn requests_are_found_by_state_answered_once_and_kept_with_their_results() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::open(dir.path(), 0).unwrap();
        // No database of earlier versions is made.
        assert!(stores.legacy.is_none());
        assert!(!dir.path().join("db").exists());
        stores
            .put_request(&current("new", 1000), "object-new")
            .unwrap();
        stores
            .put_request(&current("other", 1000), "object-o")
            .unwrap();
        // The earliest form is not made any more; an id is not taken twice.
        assert!(stores.put_request(&request("old", 1000), "x").is_err());
        assert!(stores.put_request(&current("new", 1000), "x").is_err());
        let new = stores.request_by_state("new").unwrap().unwrap();
        assert_eq!((new.id.as_str(), new.exp), ("new", 1000));
        assert_eq!(stores.request_object(&new).unwrap(), "object-new");
        assert!(stores.request_by_state("nothing").unwrap().is_none());
        assert_eq!(
            stores.spend_earlier_nonce("nonce-new"),
            Err(VerifyError::NonceUnknown)
        );
        // The first result wins; the second writes nothing.
        assert!(stores.put_result("new", b"{\"n\":1}", 900).unwrap());
        assert!(!stores.put_result("new", b"{\"n\":2}", 901).unwrap());
        assert_eq!(stores.result("new").unwrap().unwrap()["n"], 1);

        // Past the expiry: the unanswered request goes, the answered one stays with its result.
        let batch = stores.sweep_batch(1000, 0, 10).unwrap();
        assert_eq!((batch.expired, batch.results), (1, 0));
        assert!(stores.request("other").unwrap().is_none());
        assert!(stores.request("new").unwrap().is_some());
        assert!(stores.result("new").unwrap().is_some());
        // Both due: the result and its request go, and with them their files.
        let batch = stores.sweep_batch(1000, 900, 10).unwrap();
        assert_eq!((batch.expired, batch.results), (0, 1));
        assert!(stores.request_by_state("new").unwrap().is_none());
        assert!(stores.result("new").unwrap().is_none());
        assert_eq!(files(&dir.path().join("requests")), 0);
        assert_eq!(files(&dir.path().join("results")), 0);
    }

    #[test]
    fn a_result_swept_before_its_request_expires_leaves_a_tombstone_that_outlives_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        {
            let stores = Stores::open(dir.path(), 0).unwrap();
            stores.put_request(&current("a", 1000), "object-a").unwrap();
            assert!(stores.put_result("a", b"{\"n\":1}", 100).unwrap());
            // Retention over at 130, the request answerable until 1000: the result goes now,
            // the request with it, a tombstone in its place.
            let batch = stores.sweep_batch(130 - 60, 130, 10).unwrap();
            assert_eq!((batch.expired, batch.results), (0, 1));
            assert!(stores.result("a").unwrap().is_none());
            assert!(stores.request_by_state("a").unwrap().is_none());
            assert_eq!(files(&dir.path().join("results")), 0);
            // A crash now: nothing else is synced.
        }
        let stores = Stores::open(dir.path(), 0).unwrap();
        // The request does not come back without the result that spent its nonce.
        assert!(stores.request_by_state("a").unwrap().is_none());
        assert!(stores.request("a").unwrap().is_none());
        // The tombstone goes at the request's expiry, and the requests' files with it.
        let batch = stores.sweep_batch(999, 1000, 10).unwrap();
        assert_eq!(batch.expired, 0);
        assert_eq!(files(&dir.path().join("requests")), 1);
        let batch = stores.sweep_batch(1000, 1000, 10).unwrap();
        assert_eq!((batch.expired, batch.results), (1, 0));
        assert_eq!(files(&dir.path().join("requests")), 0);
    }

    #[test]
    fn requests_and_results_are_read_back_after_a_reopen_and_the_directory_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        {
            let stores = Stores::open(dir.path(), 0).unwrap();
            stores.put_request(&current("a", 1000), "object-a").unwrap();
            stores.put_request(&current("b", 1000), "object-b").unwrap();
            assert!(stores.put_result("a", b"{\"n\":1}", 900).unwrap());
            // A second service is kept out while this one runs.
            let started = Instant::now();
            assert!(matches!(
                Stores::open(dir.path(), 0),
                Err(ServiceError::InUse { .. })
            ));
            assert!(started.elapsed() >= LOCK_WAIT);
            futures_lite(stores.flush_async()).unwrap();
        }
        let stores = Stores::open(dir.path(), 0).unwrap();
        let b = stores.request("b").unwrap().unwrap();
        assert_eq!(stores.request_object(&b).unwrap(), "object-b");
        assert!(!stores.put_result("a", b"{\"n\":2}", 901).unwrap());
        assert_eq!(stores.result("a").unwrap().unwrap()["n"], 1);
        assert!(stores.put_result("b", b"{\"n\":3}", 901).unwrap());
    }

    #[test]
    fn a_malformed_request_record_is_an_error_not_a_panic() {
        assert!(split_request_record(b"").is_err());
        assert!(split_request_record(&[9, 0, 0, 0, b'{']).is_err());
        let bytes = request_record(&current("a", 1), "object").unwrap();
        let (json, object) = split_request_record(&bytes).unwrap();
        assert_eq!(object, b"object");
        assert!(serde_json::from_slice::<StoredRequest>(json).is_ok());
    }

    /// Runs a future to its end on a runtime of its own.
    fn futures_lite<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}

#[cfg(test)]
mod upgrade_tests {
    #![allow(clippy::unwrap_used)]
    use super::tests::{current, request};
    use super::*;

    /// A state directory as earlier versions left it: a sled database at `db`.
    fn earlier(dir: &Path) -> Legacy {
        let db = sled::open(dir.join("db")).unwrap();
        drop(db);
        Legacy::open_if_present(&dir.join("db"), 0)
            .unwrap()
            .unwrap()
    }

    fn reopen(dir: &Path, now: i64) -> Stores {
        // sled lets go of its lock a moment after the last handle is dropped.
        (0..100)
            .find_map(|_| {
                Stores::open(dir, now).ok().or_else(|| {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                })
            })
            .unwrap()
    }

    #[test]
    fn records_stored_before_the_indexes_are_indexed_once_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            // A database as the service wrote it before: records, no index.
            let db = sled::open(&path).unwrap();
            let requests = db.open_tree("requests").unwrap();
            let results = db.open_tree("results").unwrap();
            for id in ["a", "b"] {
                // The signed request object inline, as records had it before the objects tree.
                let old = StoredRequest {
                    object: format!("object-{id}"),
                    ..request(id, 1000)
                };
                let bytes = serde_json::to_vec(&old).unwrap();
                requests.insert(id, bytes).unwrap();
            }
            results.insert("b", b"{}".to_vec()).unwrap();
            db.flush().unwrap();
        }
        let stores = reopen(dir.path(), 5000);
        // A result stored as plain JSON is still read.
        assert_eq!(stores.result("b").unwrap().unwrap(), serde_json::json!({}));
        // A request answered then stays answered: no second result in the journal.
        assert!(!stores.put_result("b", b"{\"again\":true}", 5000).unwrap());
        assert_eq!(stores.result("b").unwrap().unwrap(), serde_json::json!({}));
        // An inline request object is still served.
        let b = stores.request("b").unwrap().unwrap();
        assert_eq!(stores.request_object(&b).unwrap(), "object-b");
        // Completed "now" (5000): kept until its retention from then.
        let batch = stores.sweep_batch(1000, 4999, 10).unwrap();
        assert_eq!((batch.expired, batch.results), (1, 0));
        assert!(stores.request("a").unwrap().is_none());
        let batch = stores.sweep_batch(1000, 5000, 10).unwrap();
        assert_eq!((batch.expired, batch.results), (0, 1));
        assert!(stores.result("b").unwrap().is_none());
    }

    #[test]
    fn requests_of_earlier_versions_are_answered_and_swept_beside_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        {
            let legacy = earlier(dir.path());
            // The earliest form (a `state` of its own, a nonce), and the form of the version
            // before the requests journal (its id its `state`).
            legacy
                .put_request(&request("old", 1000), "object-old")
                .unwrap();
            legacy
                .put_request(&request("answered", 1000), "object")
                .unwrap();
            legacy.spend_nonce("nonce-answered").unwrap();
            legacy
                .put_result("answered", br#"{"status":"verified"}"#, 900)
                .unwrap();
            legacy
                .put_request(&current("recent", 1000), "object-r")
                .unwrap();
            legacy.db.flush().unwrap();
        }
        let stores = reopen(dir.path(), 0);
        assert!(stores.legacy.is_some());
        stores
            .put_request(&current("new", 1000), "object-new")
            .unwrap();
        // Found where they are, by `state`.
        assert_eq!(
            stores.request_by_state("state-old").unwrap().unwrap().id,
            "old"
        );
        assert!(stores.request_by_state("old").unwrap().is_none());
        let recent = stores.request_by_state("recent").unwrap().unwrap();
        assert_eq!(stores.request_object(&recent).unwrap(), "object-r");
        assert_eq!(stores.request_by_state("new").unwrap().unwrap().id, "new");
        // The earliest form spends its nonce in the earlier database, once.
        stores.spend_earlier_nonce("nonce-old").unwrap();
        assert_eq!(
            stores.spend_earlier_nonce("nonce-old"),
            Err(VerifyError::NonceReplayed)
        );
        assert!(stores.put_result("old", b"{\"n\":1}", 900).unwrap());
        // The version before the journal: answered in the journal now.
        assert!(stores.put_result("recent", b"{\"n\":2}", 900).unwrap());
        assert!(!stores.put_result("recent", b"{\"n\":3}", 900).unwrap());
        // Answered by an earlier version: stays answered.
        assert!(!stores.put_result("answered", b"{}", 900).unwrap());

        // Due: all go, wherever they are; the new unanswered one as expired.
        let mut expired = 0;
        let mut results = 0;
        loop {
            let batch = stores.sweep_batch(1000, 900, 2).unwrap();
            expired += batch.expired;
            results += batch.results;
            if !batch.more {
                break;
            }
        }
        assert_eq!((expired, results), (1, 3));
        for id in ["old", "answered", "recent", "new"] {
            assert!(stores.request(id).unwrap().is_none(), "{id}");
            assert!(stores.result(id).unwrap().is_none(), "{id}");
        }
        assert_eq!(
            stores.spend_earlier_nonce("nonce-old"),
            Err(VerifyError::NonceUnknown)
        );
        assert_eq!(stores.legacy.as_ref().unwrap().entries(), 0);
    }
}
