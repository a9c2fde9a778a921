//! The issuer's record of every credential it signed: no personal data beyond the register's
//! own person id, durable before issuance reports success.

use serde::{Deserialize, Serialize};

use crate::IssuerError;

/// One issued credential, as the agency keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuanceRecord {
    /// The credential number (발급번호) printed for offices, also the record key.
    pub document_number: String,
    /// The credential type.
    pub vct: String,
    /// The register's person id of the subject (never the RRN).
    pub subject: String,
    /// Issued-at, seconds since the epoch.
    pub issued_at: i64,
    /// Expiry, seconds since the epoch.
    pub expires_at: i64,
    /// base64url SHA-256 of the issuer-signed JWT: what the log and auditors match on.
    pub jwt_sha256: String,
    /// The holder key's RFC 7638 thumbprint.
    pub holder_thumbprint: String,
    /// The credential's leaf in the issuer's transparency log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// The status list the credential points to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_uri: Option<String>,
    /// Its index in that list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_idx: Option<u64>,
    /// Register ids of every person whose data the credential shows: a register event touching
    /// one of them makes the credential stale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
}

/// The records tree.
pub struct Records {
    tree: sled::Tree,
    db: sled::Db,
}

impl Records {
    /// Opens (or creates) the records in `db`.
    pub fn open(db: &sled::Db) -> Result<Self, IssuerError> {
        Ok(Self {
            tree: db.open_tree("issuance.records")?,
            db: db.clone(),
        })
    }

    /// The records tree, for a transaction that spans several trees.
    pub fn tree(&self) -> &sled::Tree {
        &self.tree
    }

    /// Stores a record inside a transaction; aborts if its credential number is taken.
    pub fn insert_tx(
        tree: &sled::transaction::TransactionalTree,
        record: &IssuanceRecord,
    ) -> Result<(), sled::transaction::ConflictableTransactionError<IssuerError>> {
        use sled::transaction::ConflictableTransactionError::Abort;
        let bytes = serde_json::to_vec(record).map_err(|e| {
            Abort(IssuerError::Corrupt {
                what: "issuance record",
                reason: e.to_string(),
            })
        })?;
        if tree.get(record.document_number.as_bytes())?.is_some() {
            return Err(Abort(IssuerError::DuplicateDocumentNumber {
                number: record.document_number.clone(),
            }));
        }
        tree.insert(record.document_number.as_bytes(), bytes)?;
        Ok(())
    }

    /// Stores a record and flushes it to disk before returning.
    pub fn insert(&self, record: &IssuanceRecord) -> Result<(), IssuerError> {
        let bytes = serde_json::to_vec(record).map_err(|e| IssuerError::Corrupt {
            what: "issuance record",
            reason: e.to_string(),
        })?;
        if self
            .tree
            .compare_and_swap(
                record.document_number.as_bytes(),
                None as Option<&[u8]>,
                Some(bytes),
            )?
            .is_err()
        {
            return Err(IssuerError::DuplicateDocumentNumber {
                number: record.document_number.clone(),
            });
        }
        self.db.flush()?;
        Ok(())
    }

    /// Every record, in credential-number order.
    pub fn list(&self) -> Result<Vec<IssuanceRecord>, IssuerError> {
        self.tree
            .iter()
            .map(|kv| {
                let (_, v) = kv?;
                serde_json::from_slice(&v).map_err(|e| IssuerError::Corrupt {
                    what: "issuance record",
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Whether a record with this credential number exists.
    pub fn contains(&self, number: &str) -> Result<bool, IssuerError> {
        Ok(self.tree.contains_key(number.as_bytes())?)
    }

    /// The record of one credential number.
    pub fn get(&self, number: &str) -> Result<Option<IssuanceRecord>, IssuerError> {
        match self.tree.get(number.as_bytes())? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| IssuerError::Corrupt {
                    what: "issuance record",
                    reason: e.to_string(),
                }),
        }
    }
}
