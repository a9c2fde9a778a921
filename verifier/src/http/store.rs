//! The service's stores: in sled, requests (by id), their signed request objects, and, for
//! requests made by earlier versions, an index by `state` and single-use nonces; results in the
//! results journal ([`super::journal`]). Every write that a 2xx reports is flushed before the
//! answer (CONVENTIONS 11): the writes here are not flushed one by one; the handler awaits
//! [`Stores::durable`], a flush of both shared with the requests writing at the same time
//! ([`super::flush`]).
//!
//! ## One response per request
//! A request's `state` is its id, so a response finds its request with one read. Its result is
//! appended to the journal only if the request has none ([`super::journal::Journal::append`]):
//! exactly one response per request wins, and the nonce of a request answered before a crash
//! stays spent after it, with no write of its own ([`Stores::put_result`]). A request made by an
//! earlier version (a `state` of its own, its nonce in the `nonces` tree:
//! [`StoredRequest::spent_by_result`] unset) is found through the `states` tree and has its
//! nonce spent there first, as then.
//!
//! Results stored by earlier versions stay in sled's `results` tree, read and swept as before,
//! and count as answers: a request answered then is not answered again.
//!
//! Time-ordered indexes let the retention sweep ([`super::retention`]) find what to delete
//! without reading every record: `expiries` (a request's `exp`, then its id), `completed` (the
//! time a result was stored in sled, then the request's id) and the journal's segments, oldest
//! first. The keys of the two trees are 8 bytes of big-endian seconds followed by the id, so a
//! range scan from the start visits the oldest first.

use std::path::Path;
use std::sync::Arc;

use dojang_vc::oid4vp::ResponseMode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::flush::GroupFlush;
use super::journal::Journal;
use super::record;
use super::state::ServiceError;
use crate::nonce_store::SledNonceStore;

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
    /// The signed request object, served as is: inline only in records written before the
    /// `objects` tree (empty, and not written, since). Kept apart, it stays out of the record
    /// that every response reads ([`Stores::put_request`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) object: String,
    /// Set on every request made since `state` became the request's id: its nonce is spent by
    /// writing its result ([`Stores::put_result`]), and it has no entry in the `states` and
    /// `nonces` trees. Unset (absent) in records written before, whose `state` is found through
    /// the `states` tree and whose nonce is spent in the `nonces` tree.
    #[serde(default)]
    pub(crate) spent_by_result: bool,
}

/// The trees of the service's database.
pub(crate) struct Stores {
    db: sled::Db,
    requests: sled::Tree,
    objects: sled::Tree,
    states: sled::Tree,
    /// Results stored by earlier versions (read and swept; no longer written).
    results: sled::Tree,
    expiries: sled::Tree,
    /// The completion index of `results`.
    completed: sled::Tree,
    journal: Arc<Journal>,
    pub(crate) nonces: SledNonceStore,
    group: GroupFlush,
}

/// A storage failure, with what was being done (for the log; clients see `storage`).
#[derive(Debug)]
pub(crate) struct StorageError(pub(crate) String);

impl From<sled::Error> for StorageError {
    fn from(e: sled::Error) -> Self {
        StorageError(e.to_string())
    }
}

impl Stores {
    /// Opens the database at `path` and the results journal in `journal`; at the first open of
    /// a database written before the retention indexes existed, indexes its records
    /// ([`Stores::index_existing`]) as of `now`.
    pub(crate) fn open(path: &Path, journal: &Path, now: i64) -> Result<Self, ServiceError> {
        let db = super::state::open_db(path)?;
        let journal =
            Arc::new(Journal::open(journal).map_err(|e| ServiceError::ResultsJournal(e.0))?);
        let stores = Self {
            requests: db.open_tree("requests")?,
            objects: db.open_tree("request_objects")?,
            states: db.open_tree("states")?,
            results: db.open_tree("results")?,
            expiries: db.open_tree("request_expiries")?,
            completed: db.open_tree("results_completed")?,
            nonces: SledNonceStore::new(db.open_tree("nonces")?),
            group: GroupFlush::for_stores(db.clone(), Arc::clone(&journal))
                .map_err(sled::Error::Io)?,
            journal,
            db,
        };
        stores.index_existing(now)?;
        Ok(stores)
    }

    /// Indexes, once per database, the requests and results stored before the retention
    /// indexes existed: each request by its expiry, each result as completed at `now` (its
    /// completion time was not recorded), so the sweep deletes them too. Marked done in the
    /// `retention` tree, flushed before the service starts.
    fn index_existing(&self, now: i64) -> Result<(), sled::Error> {
        const MARK: &[u8] = b"indexed-v1";
        let meta = self.db.open_tree("retention")?;
        if meta.contains_key(MARK)? {
            return Ok(());
        }
        for entry in self.requests.iter() {
            let (id, bytes) = entry?;
            // An unreadable record is left as it is; the service reports it if it is asked for.
            if let (Ok(id), Ok(req)) = (
                std::str::from_utf8(&id),
                serde_json::from_slice::<StoredRequest>(&bytes),
            ) {
                self.expiries.insert(time_key(req.exp, id), &[])?;
            }
        }
        for entry in self.results.iter() {
            let (id, _) = entry?;
            if let Ok(id) = std::str::from_utf8(&id) {
                self.completed.insert(time_key(now, id), &[])?;
            }
        }
        meta.insert(MARK, &[])?;
        self.db.flush()?;
        Ok(())
    }

    /// Records a new request and its signed request object; durable after [`Stores::durable`].
    /// The object (about a kilobyte, read once by the wallet) goes to a tree of its own, so the
    /// request record that each response reads stays a few hundred bytes and many of them share
    /// a cached page. A request in the earlier form (a `state` of its own, its nonce spent in
    /// the `nonces` tree) is indexed by `state` and has its nonce recorded as issued.
    pub(crate) fn put_request(
        &self,
        req: &StoredRequest,
        object: &str,
    ) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(req).map_err(|e| StorageError(e.to_string()))?;
        self.objects.insert(req.id.as_bytes(), object.as_bytes())?;
        self.requests.insert(req.id.as_bytes(), bytes)?;
        if req.state != req.id {
            self.states
                .insert(req.state.as_bytes(), req.id.as_bytes())?;
        }
        if !req.spent_by_result {
            self.nonces.record_issued(&req.nonce)?;
        }
        self.expiries.insert(time_key(req.exp, &req.id), &[])?;
        Ok(())
    }

    /// Returns once every write made before the call is on disk: a flush shared with concurrent
    /// callers ([`GroupFlush::durable`]).
    pub(crate) async fn durable(&self) -> Result<(), StorageError> {
        self.group.durable().await
    }

    /// The request with this id.
    pub(crate) fn request(&self, id: &str) -> Result<Option<StoredRequest>, StorageError> {
        match self.requests.get(id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StorageError(format!("request record: {e}"))),
        }
    }

    /// The signed request object of the request `req`.
    pub(crate) fn request_object(&self, req: &StoredRequest) -> Result<String, StorageError> {
        if !req.object.is_empty() {
            return Ok(req.object.clone());
        }
        let bytes = self
            .objects
            .get(req.id.as_bytes())?
            .ok_or_else(|| StorageError("a request without its request object".into()))?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| StorageError("a request object is not UTF-8".into()))
    }

    /// The request with this `state`: the request whose id it is, or, for a request made by an
    /// earlier version, the one the `states` tree names.
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
        match self.states.get(state.as_bytes())? {
            None => Ok(None),
            Some(id) => {
                let id = String::from_utf8(id.to_vec())
                    .map_err(|_| StorageError("state index holds a non-UTF-8 id".into()))?;
                self.request(&id)
            }
        }
    }

    /// Stores the result of a request if it has none, atomically: `Ok(false)` (nothing
    /// written) if another response stored one first, whenever that was. Durable after
    /// [`Stores::durable`]. This is what spends a request's nonce
    /// ([`StoredRequest::spent_by_result`]; a request of the earlier form had its nonce spent
    /// before). `completed_at` starts its retention period. `result` is the record's JSON, as
    /// `GET /requests/{id}/result` reads it back; it is stored packed ([`super::record`]).
    pub(crate) fn put_result(
        &self,
        id: &str,
        result: &[u8],
        completed_at: i64,
    ) -> Result<bool, StorageError> {
        // Answered before the journal: the `results` tree is no longer written, so this cannot
        // change before the append below.
        if self.results.contains_key(id.as_bytes())? {
            return Ok(false);
        }
        let packed = record::pack(result)?;
        self.journal.append(id, completed_at, &packed)
    }

    /// Whether a request has a result.
    fn answered(&self, id: &str) -> Result<bool, StorageError> {
        Ok(self.journal.contains(id)? || self.results.contains_key(id.as_bytes())?)
    }

    /// The result of a request, once answered.
    pub(crate) fn result(&self, id: &str) -> Result<Option<Value>, StorageError> {
        let stored = match self.journal.get(id)? {
            Some(packed) => packed,
            None => match self.results.get(id.as_bytes())? {
                Some(stored) => stored.to_vec(),
                None => return Ok(None),
            },
        };
        serde_json::from_slice(&record::unpack(&stored)?)
            .map(Some)
            .map_err(|e| StorageError(format!("result record: {e}")))
    }

    /// Deletes, in one bounded batch, unanswered requests whose expiry is at or before
    /// `expired_before`, and answered requests whose result was stored at or before
    /// `completed_before`, each with its `state`, result and nonce. Not flushed: durable after
    /// [`Stores::durable`]. Visits at most `limit` index entries of each index.
    pub(crate) fn sweep_batch(
        &self,
        expired_before: i64,
        completed_before: i64,
        limit: usize,
    ) -> Result<Batch, StorageError> {
        let mut batch = Batch::default();
        for entry in self
            .expiries
            .range(..time_key(expired_before.saturating_add(1), ""))
        {
            if batch.expiry_entries == limit {
                batch.more = true;
                break;
            }
            let (key, _) = entry?;
            batch.expiry_entries += 1;
            // Answered: the journal (or, for a result stored by an earlier version, the
            // `completed` index) keeps it until its retention ends. A key without
            // a UTF-8 id (never written by this service) is dropped, so it cannot stall the sweep.
            if let Some(id) = key_id(&key) {
                if !self.answered(id)? {
                    batch.expired += usize::from(self.forget_request(id)?);
                }
            }
            self.expiries.remove(&key)?;
        }
        for entry in self
            .completed
            .range(..time_key(completed_before.saturating_add(1), ""))
        {
            if batch.completed_entries == limit {
                batch.more = true;
                break;
            }
            let (key, _) = entry?;
            batch.completed_entries += 1;
            if let Some(id) = key_id(&key) {
                self.forget_request(id)?;
                if self.results.remove(id.as_bytes())?.is_some() {
                    batch.results += 1;
                }
            }
            self.completed.remove(&key)?;
        }
        if batch.completed_entries < limit {
            let swept = self.journal.sweep(
                completed_before,
                limit - batch.completed_entries,
                |id| self.forget_request(id).map(|_| ()),
                || self.db.flush().map(|_| ()).map_err(StorageError::from),
            )?;
            batch.results += swept.results;
            batch.completed_entries += swept.results + swept.files;
            batch.more |= swept.more;
        } else {
            batch.more = true;
        }
        Ok(batch)
    }

    /// Deletes a request, its request object, its `state` and its nonce (whether issued or
    /// spent); `false` if the request was gone already. The request goes first: from then on its
    /// result reads as unknown and a response for its `state` finds no request
    /// (`state_unknown`), so the nonce, deleted last, is never needed again to refuse a replay.
    fn forget_request(&self, id: &str) -> Result<bool, StorageError> {
        let Some(req) = self.request(id)? else {
            return Ok(false);
        };
        self.requests.remove(id.as_bytes())?;
        self.objects.remove(id.as_bytes())?;
        if req.state != req.id {
            self.states.remove(req.state.as_bytes())?;
        }
        if !req.spent_by_result {
            self.nonces.forget(&req.nonce)?;
        }
        Ok(true)
    }

    /// Flushes everything (at shutdown).
    pub(crate) async fn flush_async(&self) -> Result<(), ServiceError> {
        self.journal.sync().map_err(ServiceError::ResultsJournal)?;
        self.db.flush_async().await?;
        Ok(())
    }
}

/// What one sweep batch deleted ([`Stores::sweep_batch`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Batch {
    /// Unanswered requests deleted (each with its `state` and nonce).
    pub(crate) expired: usize,
    /// Results deleted (each with its request, `state` and nonce).
    pub(crate) results: usize,
    /// Entries of the expiry index visited (and deleted).
    pub(crate) expiry_entries: usize,
    /// Entries of the completion index visited (and deleted), and results and segment files of
    /// the journal dropped.
    pub(crate) completed_entries: usize,
    /// Whether an index had more entries due than the batch's limit.
    pub(crate) more: bool,
}

/// An index key: `seconds` as 8 big-endian bytes (times before the epoch count as 0, so the
/// order is the order of time), then `id`.
fn time_key(seconds: i64, id: &str) -> Vec<u8> {
    let mut key = u64::try_from(seconds.max(0))
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    key.extend_from_slice(id.as_bytes());
    key
}

/// The id of an index key, if it holds one.
fn key_id(key: &[u8]) -> Option<&str> {
    key.get(8..).and_then(|id| std::str::from_utf8(id).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::VerifyError;

    pub(super) fn request(id: &str, exp: i64) -> StoredRequest {
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
    pub(super) fn current(id: &str, exp: i64) -> StoredRequest {
        StoredRequest {
            state: id.to_owned(),
            spent_by_result: true,
            ..request(id, exp)
        }
    }

    #[test]
    fn current_requests_are_found_by_state_and_answered_once() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::open(&dir.path().join("db"), &dir.path().join("results"), 0).unwrap();
        stores.put_request(&current("new", 1000), "object").unwrap();
        stores.put_request(&request("old", 1000), "object").unwrap();
        // Neither a `state` index entry nor a nonce for the current form.
        assert_eq!(stores.states.len(), 1);
        assert_eq!(
            stores.nonces.spend("nonce-new"),
            Err(VerifyError::NonceUnknown)
        );
        assert_eq!(stores.request_by_state("new").unwrap().unwrap().id, "new");
        assert_eq!(
            stores.request_by_state("state-old").unwrap().unwrap().id,
            "old"
        );
        // The id of a request of the earlier form is not its `state`.
        assert!(stores.request_by_state("old").unwrap().is_none());
        assert!(stores.request_by_state("nothing").unwrap().is_none());
        // The first result wins; the second writes nothing.
        assert!(stores.put_result("new", b"{\"n\":1}", 900).unwrap());
        assert!(!stores.put_result("new", b"{\"n\":2}", 901).unwrap());
        assert_eq!(stores.result("new").unwrap().unwrap()["n"], 1);
        // In the journal, not in the trees of earlier versions.
        assert!(stores.journal.contains("new").unwrap());
        assert!(stores.results.is_empty() && stores.completed.is_empty());
        // Swept with its result after the retention, like any other.
        let batch = stores.sweep_batch(0, 900, 10).unwrap();
        assert_eq!((batch.expired, batch.results), (0, 1));
        assert!(stores.request_by_state("new").unwrap().is_none());
        assert_eq!(stores.requests.len(), 1);
    }

    #[test]
    fn sweep_deletes_requests_results_and_nonces_in_bounded_batches() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::open(&dir.path().join("db"), &dir.path().join("results"), 0).unwrap();
        for n in 0..5 {
            stores
                .put_request(&request(&format!("old{n}"), 1000), "object")
                .unwrap();
        }
        stores
            .put_request(&request("answered", 1000), "object")
            .unwrap();
        stores.nonces.spend("nonce-answered").unwrap();
        stores
            .put_result("answered", br#"{"status":"verified"}"#, 900)
            .unwrap();
        stores
            .put_request(&request("live", 2000), "object")
            .unwrap();

        // Nothing is due before the expiry and the retention.
        let batch = stores.sweep_batch(999, 899, 2).unwrap();
        assert_eq!((batch.expired, batch.results, batch.more), (0, 0, false));

        // Expired: at most two index entries a batch; the answered request is left to its retention.
        let batch = stores.sweep_batch(1000, 899, 2).unwrap();
        assert_eq!(
            (batch.expiry_entries, batch.results, batch.more),
            (2, 0, true)
        );
        let mut expired = batch.expired;
        loop {
            let batch = stores.sweep_batch(1000, 899, 2).unwrap();
            expired += batch.expired;
            if !batch.more {
                break;
            }
        }
        assert_eq!(expired, 5);
        for n in 0..5 {
            let id = format!("old{n}");
            assert!(stores.request(&id).unwrap().is_none());
            assert!(stores
                .request_by_state(&format!("state-{id}"))
                .unwrap()
                .is_none());
            // The nonce is gone: spending it finds nothing (it was issued, not spent).
            assert_eq!(
                stores.nonces.spend(&format!("nonce-{id}")),
                Err(VerifyError::NonceUnknown)
            );
        }
        assert!(stores.result("answered").unwrap().is_some());
        assert_eq!(
            stores.nonces.spend("nonce-answered"),
            Err(VerifyError::NonceReplayed)
        );

        // Retention passed: the result, its request, its state and its spent nonce go.
        let batch = stores.sweep_batch(1000, 900, 2).unwrap();
        assert_eq!((batch.expired, batch.results), (0, 1));
        assert!(stores.result("answered").unwrap().is_none());
        assert!(stores.request("answered").unwrap().is_none());
        assert!(stores.request_by_state("state-answered").unwrap().is_none());
        assert_eq!(
            stores.nonces.spend("nonce-answered"),
            Err(VerifyError::NonceUnknown)
        );
        // The live request is untouched, and the indexes are empty but for it.
        assert!(stores.request("live").unwrap().is_some());
        assert_eq!(stores.expiries.len(), 1);
        assert_eq!(stores.objects.len(), 1);
        assert!(stores.completed.is_empty());
    }
}

#[cfg(test)]
mod upgrade_tests {
    #![allow(clippy::unwrap_used)]
    use super::tests::request;
    use super::*;

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
        let stores = (0..100)
            .find_map(|_| {
                Stores::open(&path, &dir.path().join("results"), 5000)
                    .ok()
                    .or_else(|| {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        None
                    })
            })
            .unwrap();
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
}
