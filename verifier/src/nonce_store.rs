//! Single-use nonces on disk: a nonce consumed before a crash stays consumed.
//!
//! The verifier service keeps its nonces in a sled tree, one key per nonce, with one byte of
//! state: [`ISSUED`] or [`SPENT`]. Spending is one atomic compare-and-swap from `ISSUED` to `SPENT`
//! (so two responses racing for one nonce cannot both win) followed by a flush, so that a replay
//! after a crash and restart still finds the nonce spent. The service makes the flush one shared
//! by concurrent requests ([`SledNonceStore::record_issued`] and [`SledNonceStore::spend`], then
//! its group flush) and answers only after it; [`SledNonceStore::issue_durable`] and
//! [`SledNonceStore::consume_durable`] flush on their own.

use crate::{NonceStore, VerifyError};

/// The state byte of a nonce that was issued and not yet used.
const ISSUED: &[u8] = &[0];
/// The state byte of a nonce that was used.
const SPENT: &[u8] = &[1];

/// Nonces in a sled tree (see the module docs). Cloning shares the tree.
#[derive(Debug, Clone)]
pub struct SledNonceStore {
    tree: sled::Tree,
}

impl SledNonceStore {
    /// Keeps nonces in `tree` (e.g. `db.open_tree("nonces")`).
    pub fn new(tree: sled::Tree) -> Self {
        Self { tree }
    }

    /// Records a newly issued nonce and flushes: durable when this returns. Issuing a nonce that
    /// exists already (issued or spent) changes nothing, so a spent nonce can never be revived.
    pub fn issue_durable(&self, nonce: &str) -> Result<(), sled::Error> {
        self.record_issued(nonce)?;
        self.tree.flush()?;
        Ok(())
    }

    /// Records a newly issued nonce, not flushed: it is durable after the database's next flush,
    /// which the caller awaits before it hands the nonce out. Issuing a nonce that exists already
    /// changes nothing.
    pub fn record_issued(&self, nonce: &str) -> Result<(), sled::Error> {
        // Ok(Err(_)) means the nonce existed already: leave it as it is.
        let _ = self
            .tree
            .compare_and_swap(nonce.as_bytes(), None::<&[u8]>, Some(ISSUED))?;
        Ok(())
    }

    /// Spends `nonce` atomically and flushes before answering: `NonceUnknown` if it was never
    /// issued, `NonceReplayed` if it was already spent. A storage failure is reported as
    /// `NonceUnknown` (the presentation is refused, never accepted on an unrecorded nonce).
    pub fn consume_durable(&self, nonce: &str) -> Result<(), VerifyError> {
        self.spend(nonce)?;
        self.tree.flush().map_err(|_| VerifyError::NonceUnknown)?;
        Ok(())
    }

    /// Spends `nonce` atomically, not flushed: exactly one caller wins a nonce, and the spending
    /// is durable after the database's next flush, which the caller awaits before it answers
    /// anything that relied on it. Errors as [`SledNonceStore::consume_durable`].
    pub fn spend(&self, nonce: &str) -> Result<(), VerifyError> {
        match self
            .tree
            .compare_and_swap(nonce.as_bytes(), Some(ISSUED), Some(SPENT))
        {
            Ok(Ok(())) => {}
            Ok(Err(cas)) => {
                return Err(match cas.current {
                    None => VerifyError::NonceUnknown,
                    Some(_) => VerifyError::NonceReplayed,
                })
            }
            Err(_) => return Err(VerifyError::NonceUnknown),
        }
        Ok(())
    }

    /// Removes `nonce` (issued or spent), for housekeeping of requests long expired.
    pub fn forget(&self, nonce: &str) -> Result<(), sled::Error> {
        self.tree.remove(nonce.as_bytes()).map(|_| ())
    }
}

impl NonceStore for SledNonceStore {
    fn issue(&self, nonce: &str) {
        if let Err(e) = self.issue_durable(nonce) {
            tracing::error!(error = %e, "could not record an issued nonce");
        }
    }

    fn consume(&self, nonce: &str) -> Result<(), VerifyError> {
        self.consume_durable(nonce)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn single_use_and_durable_across_reopen() {
        let dir = std::env::temp_dir().join(format!("dojang-nonce-{}", crate::fresh_nonce()));
        {
            let db = sled::open(&dir).unwrap();
            let store = SledNonceStore::new(db.open_tree("nonces").unwrap());
            store.issue_durable("n1").unwrap();
            store.issue_durable("n2").unwrap();
            assert_eq!(store.consume("x"), Err(VerifyError::NonceUnknown));
            store.consume("n1").unwrap();
            assert_eq!(store.consume("n1"), Err(VerifyError::NonceReplayed));
            // Issuing again does not revive a spent nonce.
            store.issue("n1");
            assert_eq!(store.consume("n1"), Err(VerifyError::NonceReplayed));
        }
        // sled releases its lock from a background thread a moment after the last handle goes.
        let db = (0..100)
            .find_map(|_| {
                sled::open(&dir).ok().or_else(|| {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                })
            })
            .unwrap();
        let store = SledNonceStore::new(db.open_tree("nonces").unwrap());
        assert_eq!(store.consume("n1"), Err(VerifyError::NonceReplayed));
        store.consume("n2").unwrap();
        drop(store);
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
