//! The presentation history: what the holder showed to whom, kept encrypted like everything else.
//!
//! Records are keyed by a big-endian `u64` counter, so sled iterates them in the order they were
//! written; the keys reveal only how many presentations there were.

use serde::{Deserialize, Serialize};

use crate::store::{corrupt, HISTORY_TREE};
use crate::{CredentialId, Wallet, WalletError};

/// One presentation made from the wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentationRecord {
    /// When it was made, seconds since the Unix epoch.
    pub at: i64,
    /// Which stored credential it came from.
    pub credential_id: CredentialId,
    /// The credential's type (`vct`).
    pub vct: String,
    /// The verifier it was made for (the KB-JWT `aud`).
    pub audience: String,
    /// The verifier's nonce (the KB-JWT `nonce`).
    pub nonce: String,
    /// Claim paths disclosed.
    pub disclosed: Vec<String>,
    /// Claim paths withheld.
    pub withheld: Vec<String>,
}

impl Wallet {
    /// Appends a presentation record; durable when this returns.
    pub fn record_presentation(&self, record: &PresentationRecord) -> Result<(), WalletError> {
        loop {
            let next = match self
                .history
                .last()
                .map_err(|source| self.storage_error(source))?
            {
                None => 0,
                Some((key, _)) => <[u8; 8]>::try_from(key.as_ref())
                    .ok()
                    .and_then(|counter| u64::from_be_bytes(counter).checked_add(1))
                    .ok_or_else(|| corrupt(HISTORY_TREE, &key))?,
            };
            let key = next.to_be_bytes();
            let sealed = self.seal_record(HISTORY_TREE, &key, record)?;
            // Insert only if nobody took this number meanwhile (another thread of this process).
            let swapped = self
                .history
                .compare_and_swap(key, None::<&[u8]>, Some(sealed))
                .map_err(|source| self.storage_error(source))?;
            if swapped.is_ok() {
                return self.flush();
            }
        }
    }

    /// Every presentation record in time order (`at`; records with equal `at` in the order they
    /// were recorded).
    pub fn history(&self) -> Result<Vec<PresentationRecord>, WalletError> {
        let mut records = Vec::new();
        for entry in self.history.iter() {
            let (key, sealed) = entry.map_err(|source| self.storage_error(source))?;
            records.push(self.open_record::<PresentationRecord>(HISTORY_TREE, &key, &sealed)?);
        }
        records.sort_by_key(|record| record.at);
        Ok(records)
    }
}
