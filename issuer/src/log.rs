//! The issuance transparency log: every credential the issuer signs is appended as a
//! [`LogLeaf`] (a hash of the issuer JWT, its type, time and status reference: no personal data)
//! to an append-only Merkle log (RFC 9162 hashing), whose head the issuer signs as checkpoints.
//!
//! Storage, in the issuer's sled database:
//! - `log.leaves`: leaf index (u64 big-endian) → the leaf's canonical bytes;
//! - `log.meta`: `size` → the number of leaves (u64 big-endian);
//! - `log.checkpoints`: tree size (u64 big-endian) → the checkpoint JWT signed at that size
//!   (a later checkpoint of the same size replaces the earlier: both sign the same head).
//!
//! A leaf is appended in the same sled transaction as the issuance record and the status entry
//! ([`TransparencyLog::append_tx`]), so the log and the records never disagree after a crash.
//!
//! Cost: the log keeps a [`merkle::Tree`] in memory with a floor of [`TREE_FLOOR`]: the heads of
//! its complete subtrees of 64 leaves and more (about one byte a leaf: 1 MB for a million
//! credentials; every head would be 64 bytes a leaf), filled from sled on first use and then only
//! with the leaves appended since it last looked. A tree head, an inclusion proof or a
//! consistency proof of any size then costs `O(log n)` hashes (a few dozen) and, for a size or
//! leaf inside an older block of 64, that block's leaves read back and hashed (a few blocks a
//! proof at most), not a pass over the log.

use std::sync::{Mutex, MutexGuard};

use dojang_vc::log::{sign_checkpoint, Checkpoint, ConsistencyProof, InclusionProof, LogLeaf};
use dojang_vc::merkle::{self, Hash, Tree};
use ed25519_dalek::Signature;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

use crate::IssuerError;

const LEAVES_TREE: &str = "log.leaves";
const META_TREE: &str = "log.meta";
const CHECKPOINTS_TREE: &str = "log.checkpoints";
const SIZE_KEY: &[u8] = b"size";
/// The in-memory tree keeps heads of subtrees of `2^TREE_FLOOR` leaves and more (and those of
/// the block being filled): see the module docs.
const TREE_FLOOR: u32 = 6;

/// The issuer's append-only log of issued credentials.
pub struct TransparencyLog {
    db: sled::Db,
    leaves: sled::Tree,
    meta: sled::Tree,
    checkpoints: sled::Tree,
    /// The tree of the first `size()` leaves, extended from `leaves` as they are needed.
    tree: Mutex<Tree>,
}

impl std::fmt::Debug for TransparencyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransparencyLog").finish_non_exhaustive()
    }
}

/// Why a tree head or proof failed: the sizes asked for (the caller names the error), or reading
/// an older block's leaves back.
enum TreeError {
    Proof,
    Read(IssuerError),
}

impl From<dojang_vc::VcError> for TreeError {
    fn from(_: dojang_vc::VcError) -> Self {
        TreeError::Proof
    }
}

impl TreeError {
    /// The read error, or `proof` for sizes or an index out of range.
    fn or(self, proof: IssuerError) -> IssuerError {
        match self {
            TreeError::Proof => proof,
            TreeError::Read(e) => e,
        }
    }
}

fn corrupt(reason: impl Into<String>) -> IssuerError {
    IssuerError::Corrupt {
        what: "transparency log",
        reason: reason.into(),
    }
}

fn decode_size(bytes: Option<&[u8]>) -> Result<u64, IssuerError> {
    match bytes {
        None => Ok(0),
        Some(b) => <[u8; 8]>::try_from(b)
            .map(u64::from_be_bytes)
            .map_err(|_| corrupt("the log size is not 8 bytes")),
    }
}

impl TransparencyLog {
    /// Opens (or creates) the log's trees in `db`.
    pub fn open(db: &sled::Db) -> Result<Self, IssuerError> {
        Ok(Self {
            db: db.clone(),
            leaves: db.open_tree(LEAVES_TREE)?,
            meta: db.open_tree(META_TREE)?,
            checkpoints: db.open_tree(CHECKPOINTS_TREE)?,
            tree: Mutex::new(Tree::with_floor(TREE_FLOOR)),
        })
    }

    /// The trees a transaction must span to append: `(leaves, meta)`, in the order
    /// [`TransparencyLog::append_tx`] takes their transactional views.
    pub fn trees(&self) -> (&sled::Tree, &sled::Tree) {
        (&self.leaves, &self.meta)
    }

    /// Appends `leaf` inside a transaction over [`TransparencyLog::trees`] (and any other trees
    /// of the same database) and returns its index, the log's size before it. The caller flushes
    /// after the transaction commits.
    pub fn append_tx(
        leaves: &TransactionalTree,
        meta: &TransactionalTree,
        leaf: &LogLeaf,
    ) -> Result<u64, ConflictableTransactionError<IssuerError>> {
        use ConflictableTransactionError::Abort;
        let size = decode_size(meta.get(SIZE_KEY)?.as_deref()).map_err(Abort)?;
        let next = size
            .checked_add(1)
            .ok_or_else(|| Abort(corrupt("the log is full")))?;
        let key = size.to_be_bytes();
        if leaves.get(key)?.is_some() {
            return Err(Abort(corrupt("a leaf exists beyond the recorded size")));
        }
        leaves.insert(&key, leaf.to_bytes())?;
        meta.insert(SIZE_KEY, &next.to_be_bytes())?;
        Ok(size)
    }

    /// Appends `leaf` in a transaction of its own and flushes before returning its index.
    pub fn append(&self, leaf: &LogLeaf) -> Result<u64, IssuerError> {
        let index = (&self.leaves, &self.meta)
            .transaction(|(leaves, meta)| Self::append_tx(leaves, meta, leaf))
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(source) => IssuerError::Storage { source },
            })?;
        self.db.flush()?;
        Ok(index)
    }

    /// The number of leaves.
    pub fn size(&self) -> Result<u64, IssuerError> {
        decode_size(self.meta.get(SIZE_KEY)?.as_deref())
    }

    /// The leaf at `index`, or `None` beyond the log's size.
    pub fn leaf(&self, index: u64) -> Result<Option<LogLeaf>, IssuerError> {
        if index >= self.size()? {
            return Ok(None);
        }
        match self.leaves.get(index.to_be_bytes())? {
            None => Err(corrupt("a leaf below the recorded size is missing")),
            Some(bytes) => LogLeaf::from_bytes(&bytes)
                .map(Some)
                .map_err(|e| corrupt(format!("leaf {index}: {e}"))),
        }
    }

    /// Every leaf, in index order.
    pub fn leaves(&self) -> Result<Vec<LogLeaf>, IssuerError> {
        let size = self.size()?;
        let mut out = Vec::new();
        for (expected, kv) in (0..size).zip(self.leaves.range(..size.to_be_bytes())) {
            let (key, bytes) = kv?;
            if key.as_ref() != expected.to_be_bytes() {
                return Err(corrupt("the leaf indexes are not contiguous"));
            }
            out.push(
                LogLeaf::from_bytes(&bytes)
                    .map_err(|e| corrupt(format!("leaf {expected}: {e}")))?,
            );
        }
        if out.len() as u64 != size {
            return Err(corrupt("a leaf below the recorded size is missing"));
        }
        Ok(out)
    }

    /// The cached tree, holding at least the first `tree_size` leaves (which must not exceed
    /// the log's size).
    fn tree(&self, tree_size: u64) -> Result<MutexGuard<'_, Tree>, IssuerError> {
        let size = self.size()?;
        if tree_size > size {
            return Err(IssuerError::LogSizeOutOfRange {
                requested: tree_size,
                size,
            });
        }
        // A poisoned lock only means another thread panicked while extending the tree; each
        // push adds a complete leaf of a committed transaction, so the tree is still sound.
        let mut tree = self.tree.lock().unwrap_or_else(|e| e.into_inner());
        let have = tree.size();
        if have < tree_size {
            let range = have.to_be_bytes()..tree_size.to_be_bytes();
            for (expected, kv) in (have..tree_size).zip(self.leaves.range(range)) {
                let (key, bytes) = kv?;
                if key.as_ref() != expected.to_be_bytes() {
                    return Err(corrupt("the leaf indexes are not contiguous"));
                }
                LogLeaf::from_bytes(&bytes)
                    .map_err(|e| corrupt(format!("leaf {expected}: {e}")))?;
                tree.push(merkle::leaf_hash(&bytes));
            }
            if tree.size() < tree_size {
                return Err(corrupt("a leaf below the recorded size is missing"));
            }
        }
        Ok(tree)
    }

    /// The leaf hashes of leaves `start .. start + count`, read back for a tree head or proof
    /// inside an older block (see the module docs).
    fn leaf_hashes(&self, start: u64, count: usize) -> Result<Vec<Hash>, TreeError> {
        let end = start.saturating_add(count as u64);
        let mut out = Vec::with_capacity(count);
        for (expected, kv) in
            (start..end).zip(self.leaves.range(start.to_be_bytes()..end.to_be_bytes()))
        {
            let (key, bytes) =
                kv.map_err(|source| TreeError::Read(IssuerError::Storage { source }))?;
            if key.as_ref() != expected.to_be_bytes() {
                return Err(TreeError::Read(corrupt(
                    "the leaf indexes are not contiguous",
                )));
            }
            out.push(merkle::leaf_hash(&bytes));
        }
        if out.len() != count {
            return Err(TreeError::Read(corrupt(
                "a leaf below the recorded size is missing",
            )));
        }
        Ok(out)
    }

    /// The tree head of the first `tree_size` leaves (RFC 9162 §2.1.1).
    pub fn root(&self, tree_size: u64) -> Result<Hash, IssuerError> {
        let tree = self.tree(tree_size)?;
        let out_of_range = IssuerError::LogSizeOutOfRange {
            requested: tree_size,
            size: tree.size(),
        };
        tree.root_from(tree_size, &mut |s, c| self.leaf_hashes(s, c))
            .map_err(|e| e.or(out_of_range))
    }

    /// The inclusion proof of the leaf at `index` in the tree of the first `tree_size` leaves
    /// (a size some checkpoint signed).
    pub fn inclusion_proof(
        &self,
        index: u64,
        tree_size: u64,
    ) -> Result<InclusionProof, IssuerError> {
        let tree = self.tree(tree_size)?;
        if index >= tree_size {
            return Err(IssuerError::LogIndexOutOfRange { index, tree_size });
        }
        let path = tree
            .inclusion_proof_from(index, tree_size, &mut |s, c| self.leaf_hashes(s, c))
            .map_err(|e| e.or(IssuerError::LogIndexOutOfRange { index, tree_size }))?;
        Ok(InclusionProof::new(index, tree_size, &path))
    }

    /// The consistency proof between the trees of the first `old_size` and `new_size` leaves.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, IssuerError> {
        let tree = self.tree(new_size)?;
        let out_of_range = IssuerError::LogSizeOutOfRange {
            requested: old_size,
            size: new_size,
        };
        if old_size > new_size {
            return Err(out_of_range);
        }
        let proof = tree
            .consistency_proof_from(old_size, new_size, &mut |s, c| self.leaf_hashes(s, c))
            .map_err(|e| e.or(out_of_range))?;
        Ok(ConsistencyProof::new(old_size, new_size, &proof))
    }

    /// Signs a checkpoint of the log as it is now (its size and head, at `now`) as issuer
    /// `origin` with the key `kid` (a DID URL of `origin`), stores it, flushes, and returns the
    /// checkpoint JWT.
    pub fn checkpoint<S>(
        &self,
        origin: &str,
        kid: &str,
        signer: &S,
        now: i64,
    ) -> Result<String, IssuerError>
    where
        S: signature::Signer<Signature> + ?Sized,
    {
        let (token, _) = self.stage_checkpoint(origin, kid, signer, now)?;
        self.db.flush()?;
        Ok(token)
    }

    /// [`TransparencyLog::checkpoint`] without the flush: the checkpoint JWT and its tree size.
    /// The caller flushes before handing the checkpoint out (a checkpoint of leaves a crash
    /// could still take away would contradict the log that follows).
    pub(crate) fn stage_checkpoint<S>(
        &self,
        origin: &str,
        kid: &str,
        signer: &S,
        now: i64,
    ) -> Result<(String, u64), IssuerError>
    where
        S: signature::Signer<Signature> + ?Sized,
    {
        let size = self.size()?;
        let head = self.root(size)?;
        let token = sign_checkpoint(&Checkpoint::new(origin, size, &head, now), kid, signer)?;
        self.checkpoints
            .insert(size.to_be_bytes(), token.as_bytes())?;
        Ok((token, size))
    }

    /// Every stored checkpoint JWT, by tree size.
    pub fn checkpoints(&self) -> Result<Vec<String>, IssuerError> {
        self.checkpoints
            .iter()
            .values()
            .map(|v| decode_token(&v?))
            .collect()
    }

    /// The checkpoint of the largest tree signed so far.
    pub fn latest_checkpoint(&self) -> Result<Option<String>, IssuerError> {
        match self.checkpoints.last()? {
            None => Ok(None),
            Some((_, v)) => decode_token(&v).map(Some),
        }
    }

    /// The checkpoint signed at `tree_size`, if any.
    pub fn checkpoint_at(&self, tree_size: u64) -> Result<Option<String>, IssuerError> {
        match self.checkpoints.get(tree_size.to_be_bytes())? {
            None => Ok(None),
            Some(v) => decode_token(&v).map(Some),
        }
    }
}

fn decode_token(bytes: &[u8]) -> Result<String, IssuerError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| corrupt("a checkpoint is not UTF-8"))
}
