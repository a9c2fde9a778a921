//! The service's sled stores: requests (by id, and by `state`), results, and single-use nonces.
//! Every write that a 2xx reports is flushed before the answer (CONVENTIONS 11): the writes here
//! are not flushed one by one; the handler awaits [`Stores::durable`], a flush shared with the
//! requests writing at the same time ([`super::flush`]).

use std::path::Path;

use dojang_vc::oid4vp::ResponseMode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::flush::GroupFlush;
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
    /// The signed request object, served as is.
    pub(crate) object: String,
}

/// The trees of the service's database.
pub(crate) struct Stores {
    db: sled::Db,
    requests: sled::Tree,
    states: sled::Tree,
    results: sled::Tree,
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
    pub(crate) fn open(path: &Path) -> Result<Self, sled::Error> {
        let db = super::state::open_db(path)?;
        Ok(Self {
            requests: db.open_tree("requests")?,
            states: db.open_tree("states")?,
            results: db.open_tree("results")?,
            nonces: SledNonceStore::new(db.open_tree("nonces")?),
            group: GroupFlush::for_db(db.clone()).map_err(sled::Error::Io)?,
            db,
        })
    }

    /// Records a new request, its `state` and its nonce; durable after [`Stores::durable`].
    pub(crate) fn put_request(&self, req: &StoredRequest) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(req).map_err(|e| StorageError(e.to_string()))?;
        self.requests.insert(req.id.as_bytes(), bytes)?;
        self.states
            .insert(req.state.as_bytes(), req.id.as_bytes())?;
        self.nonces.record_issued(&req.nonce)?;
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

    /// The request with this `state`.
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

    /// Stores the result of a request; durable after [`Stores::durable`]. A result is written
    /// once: the nonce, spent before, guarantees one response per request.
    pub(crate) fn put_result(&self, id: &str, result: &Value) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(result).map_err(|e| StorageError(e.to_string()))?;
        self.results.insert(id.as_bytes(), bytes)?;
        Ok(())
    }

    /// The result of a request, once answered.
    pub(crate) fn result(&self, id: &str) -> Result<Option<Value>, StorageError> {
        match self.results.get(id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StorageError(format!("result record: {e}"))),
        }
    }

    /// Flushes everything (at shutdown).
    pub(crate) async fn flush_async(&self) -> Result<(), sled::Error> {
        self.db.flush_async().await.map(|_| ())
    }
}
