//! The sled database that earlier versions kept requests, results and nonces in (`db` in the
//! state directory): opened only where it exists, read, and emptied by the retention sweep.
//! Nothing new is written to it but what answering and sweeping its own requests takes (a
//! spent nonce, deletions).
//!
//! It holds, as earlier versions left them: requests by id (`requests`), their signed request
//! objects (`request_objects`, or inline in the oldest records), for the earliest form an index
//! by `state` (`states`) and single-use nonces (`nonces`), results as JSON or packed
//! (`results`), and the time-ordered indexes of the retention sweep (`request_expiries`,
//! `results_completed`: 8 bytes of big-endian seconds, then the id, so that a range scan from
//! the start visits the oldest first).

use std::path::Path;

use super::store::{Batch, StorageError, StoredRequest};
use crate::nonce_store::SledNonceStore;
use crate::VerifyError;

/// The trees of the earlier versions' database.
pub(crate) struct Legacy {
    pub(crate) db: sled::Db,
    requests: sled::Tree,
    objects: sled::Tree,
    states: sled::Tree,
    results: sled::Tree,
    expiries: sled::Tree,
    /// The completion index of `results`.
    completed: sled::Tree,
    nonces: SledNonceStore,
}

impl Legacy {
    /// Opens the database at `path` if there is one; at the first open of a database written
    /// before the retention indexes existed, indexes its records ([`Legacy::index_existing`])
    /// as of `now`.
    pub(crate) fn open_if_present(path: &Path, now: i64) -> Result<Option<Self>, sled::Error> {
        if !path.is_dir() {
            return Ok(None);
        }
        let db = super::state::open_db(path)?;
        let legacy = Self {
            requests: db.open_tree("requests")?,
            objects: db.open_tree("request_objects")?,
            states: db.open_tree("states")?,
            results: db.open_tree("results")?,
            expiries: db.open_tree("request_expiries")?,
            completed: db.open_tree("results_completed")?,
            nonces: SledNonceStore::new(db.open_tree("nonces")?),
            db,
        };
        legacy.index_existing(now)?;
        Ok(Some(legacy))
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

    /// Whether the request `id` was answered by an earlier version (its `results` tree is no
    /// longer written).
    pub(crate) fn answered(&self, id: &str) -> Result<bool, StorageError> {
        Ok(self.results.contains_key(id.as_bytes())?)
    }

    /// The stored result of the request `id` (JSON or packed), if an earlier version stored one.
    pub(crate) fn result(&self, id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.results.get(id.as_bytes())?.map(|r| r.to_vec()))
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

    /// The signed request object of `req`, kept apart from its record.
    pub(crate) fn request_object(
        &self,
        req: &StoredRequest,
    ) -> Result<Option<String>, StorageError> {
        self.objects
            .get(req.id.as_bytes())?
            .map(|bytes| {
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| StorageError("a request object is not UTF-8".into()))
            })
            .transpose()
    }

    /// The request of the earliest form whose `state` this is.
    pub(crate) fn request_by_state(
        &self,
        state: &str,
    ) -> Result<Option<StoredRequest>, StorageError> {
        match self.states.get(state.as_bytes())? {
            None => Ok(None),
            Some(id) => {
                let id = String::from_utf8(id.to_vec())
                    .map_err(|_| StorageError("state index holds a non-UTF-8 id".into()))?;
                self.request(&id)
            }
        }
    }

    /// Spends the nonce of a request of the earliest form, atomically.
    pub(crate) fn spend_nonce(&self, nonce: &str) -> Result<(), VerifyError> {
        self.nonces.spend(nonce)
    }

    /// One bounded batch of the sweep of this database (see `Stores::sweep_batch`): unanswered
    /// requests expired at or before `expired_before` (`answered` tells, the journal being
    /// where results are now), and results stored at or before `completed_before`, with their
    /// requests.
    pub(crate) fn sweep_batch(
        &self,
        expired_before: i64,
        completed_before: i64,
        limit: usize,
        answered: impl Fn(&str) -> Result<bool, StorageError>,
        batch: &mut Batch,
    ) -> Result<(), StorageError> {
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
            // Answered: kept until its result's retention ends. A key without a UTF-8 id
            // (never written by this service) is dropped, so it cannot stall the sweep.
            if let Some(id) = key_id(&key) {
                if !answered(id)? {
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
        Ok(())
    }

    /// Deletes a request, its request object, its `state` and its nonce (whether issued or
    /// spent); `false` if the request was gone already. The request goes first: from then on its
    /// result reads as unknown and a response for its `state` finds no request
    /// (`state_unknown`), so the nonce, deleted last, is never needed again to refuse a replay.
    pub(crate) fn forget_request(&self, id: &str) -> Result<bool, StorageError> {
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

    /// Writes a request as an earlier version did (tests of the upgrade path).
    #[cfg(test)]
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

    /// Writes a result as an earlier version did, completed at `at` (tests of the upgrade
    /// path).
    #[cfg(test)]
    pub(crate) fn put_result(&self, id: &str, result: &[u8], at: i64) -> Result<(), StorageError> {
        self.results.insert(id.as_bytes(), result)?;
        self.completed.insert(time_key(at, id), &[])?;
        Ok(())
    }

    /// Entries of every tree (tests).
    #[cfg(test)]
    pub(crate) fn entries(&self) -> usize {
        [
            &self.requests,
            &self.objects,
            &self.states,
            &self.results,
            &self.expiries,
            &self.completed,
        ]
        .iter()
        .map(|t| t.len())
        .sum()
    }
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
