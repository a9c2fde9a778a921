//! The issuer's status lists (IETF Token Status List): one 2-bit entry per credential, stored in
//! sled, published as signed `statuslist+jwt` tokens.
//!
//! Two trees:
//! - `status.lists`: list id (u32 big-endian) → JSON [`ListMeta`]
//!   `{id, uri, bits, size, allocated, purpose: "revocation"}`;
//! - `status.entries`: list id (u32 BE) ‖ index (u32 BE) → one byte, the entry's status.
//!
//! An index is drawn at random (OS RNG) among the free entries of the current list, so that an
//! index tells nothing about when a credential was issued or how many were. Entries never
//! allocated read 0, like valid ones, so a published list does not show how many are in use
//! (draft-ietf-oauth-status-list §13.3 "Default Values and Double Allocation", §12 "Privacy
//! Considerations").
//! A new list is opened once the current one is half full; no index is ever handed out twice.
//!
//! Revocation is final: once an entry is invalid (1) it never changes again. Suspension (2) can be
//! lifted. Every change is flushed to disk before the call returns; allocation inside the
//! caller's transaction ([`StatusLists::allocate_tx`]) is made durable by the caller's flush.
//! A batch of issuances picks its entries first (`reserve`, which also avoids those of other
//! batches in flight), signs, and writes them all in its one transaction (`claim_tx`, which
//! refuses an entry taken in the meantime).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional as _, TransactionalTree,
};

use dojang_vc::status_list::{self, Status, StatusList, StatusReference};

use crate::IssuerError;

/// Entries per status list: 2^18 = 262,144.
///
/// - Size: at 2 bits an entry that is 64 KiB uncompressed, well inside a verifier's
///   `max_status_list_bytes` budget (4 MiB); with the usual few revocations it compresses to a
///   few KiB, and even the worst case (statuses at random, half of them non-zero) stays near
///   64 KiB, small enough for a phone to fetch and cache.
/// - Privacy: a list is shared by up to 131,072 credentials (it is closed at half full), so the
///   list and index a credential carries point at one of a crowd that a 구청 fills in weeks to
///   months, and, being random, say nothing about issuance order or volume.
/// - Allocation: at most half full, a random pick is free with probability at least 1/2, so one
///   or two draws suffice and 64 failing in a row has probability below 2^-64.
pub const LIST_SIZE: u32 = 1 << 18;

/// Bits per entry: valid (0), invalid (1), suspended (2).
pub const STATUS_BITS: u8 = 2;

/// Random draws before allocation gives up (see [`LIST_SIZE`]: 2^-64 odds on a half-full list).
const MAX_DRAWS: u32 = 64;

/// The largest list size accepted from storage: 2^24 entries of 2 bits are 4 MiB, the default
/// `max_status_list_bytes` a verifier accepts. A larger stored size means corrupt metadata (and
/// would cost a large allocation on every snapshot).
const MAX_STORED_LIST_SIZE: u32 = 1 << 24;

/// The one purpose of Dojang's lists: revocation (with suspension).
const PURPOSE: &str = "revocation";

const LISTS_TREE: &str = "status.lists";
const ENTRIES_TREE: &str = "status.entries";

/// What the issuer keeps about one status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMeta {
    /// The list id, also its key.
    pub id: u32,
    /// The URI credentials reference and the token's `sub`: `{base_uri}/{id}`, fixed when the list
    /// is opened.
    pub uri: String,
    /// Bits per entry ([`STATUS_BITS`]).
    pub bits: u8,
    /// Entries ([`LIST_SIZE`]).
    pub size: u32,
    /// Entries handed out so far.
    pub allocated: u32,
    /// `revocation`.
    pub purpose: String,
}

/// A credential's status entry, as allocated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusRef {
    /// The list id.
    pub list: u32,
    /// The index in the list.
    pub idx: u32,
    /// The list's URI.
    pub uri: String,
}

impl StatusRef {
    /// The reference to put in the credential: its `status` claim is
    /// [`StatusReference::to_claim`].
    pub fn reference(&self) -> StatusReference {
        StatusReference {
            idx: u64::from(self.idx),
            uri: self.uri.clone(),
        }
    }
}

type TxError = ConflictableTransactionError<IssuerError>;

fn abort(e: IssuerError) -> TxError {
    ConflictableTransactionError::Abort(e)
}

fn from_tx(e: TransactionError<IssuerError>) -> IssuerError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(source) => IssuerError::Storage { source },
    }
}

fn corrupt(reason: impl Into<String>) -> IssuerError {
    IssuerError::Corrupt {
        what: "status list",
        reason: reason.into(),
    }
}

fn entry_key(list: u32, idx: u32) -> [u8; 8] {
    let mut key = [0; 8];
    key[..4].copy_from_slice(&list.to_be_bytes());
    key[4..].copy_from_slice(&idx.to_be_bytes());
    key
}

/// (list, index) of an entry key.
fn split_key(key: [u8; 8]) -> (u32, u32) {
    let [a, b, c, d, e, f, g, h] = key;
    (
        u32::from_be_bytes([a, b, c, d]),
        u32::from_be_bytes([e, f, g, h]),
    )
}

fn decode_meta(key: &[u8], bytes: &[u8]) -> Result<ListMeta, IssuerError> {
    let meta: ListMeta = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    let per_byte = u32::from(8 / STATUS_BITS);
    if key != meta.id.to_be_bytes()
        || meta.bits != STATUS_BITS
        || meta.size == 0
        || meta.size > MAX_STORED_LIST_SIZE
        || !meta.size.is_multiple_of(per_byte)
        || meta.allocated > meta.size
    {
        return Err(corrupt("list metadata out of range"));
    }
    Ok(meta)
}

fn encode_meta(meta: &ListMeta) -> Result<Vec<u8>, IssuerError> {
    serde_json::to_vec(meta).map_err(|e| corrupt(e.to_string()))
}

fn decode_status(bytes: &[u8]) -> Result<Status, IssuerError> {
    match bytes {
        [b] if *b < 1 << STATUS_BITS => Ok(Status::from_bits(*b)),
        _ => Err(corrupt("entry is not one 2-bit status")),
    }
}

/// The URI of list `id` under `base_uri`, checked to be an absolute URI.
fn list_uri(base_uri: &str, id: u32) -> Result<String, IssuerError> {
    let uri = format!("{}/{id}", base_uri.trim_end_matches('/'));
    // The same rule a verifier applies to the credential's `status.status_list.uri`.
    let reference = StatusReference {
        idx: 0,
        uri: uri.clone(),
    };
    let mut payload = serde_json::Map::new();
    payload.insert("status".into(), reference.to_claim());
    match status_list::status_reference(&payload) {
        Ok(Some(_)) => Ok(uri),
        _ => Err(IssuerError::StatusBaseUriInvalid),
    }
}

/// The metadata of a list not stored yet.
fn new_meta(id: u32, base_uri: &str) -> Result<ListMeta, IssuerError> {
    Ok(ListMeta {
        id,
        uri: list_uri(base_uri, id)?,
        bits: STATUS_BITS,
        size: LIST_SIZE,
        allocated: 0,
        purpose: PURPOSE.to_owned(),
    })
}

fn list_ids_exhausted() -> IssuerError {
    IssuerError::StatusAllocationFailed {
        reason: "every status list id is in use",
    }
}

/// The current list, looking from list `from` on: the first one less than half full, or a new
/// one after the last. `allocated` only grows, so every list before it is closed; lists are few
/// (each takes 131,072 credentials). `get` reads a list's stored metadata (from a tree or a
/// transaction's view), `wrap` turns the crate's error into the caller's.
fn open_list<E>(
    from: u32,
    base_uri: &str,
    mut get: impl FnMut(u32) -> Result<Option<sled::IVec>, E>,
    wrap: impl Fn(IssuerError) -> E,
) -> Result<ListMeta, E> {
    let mut id = from;
    loop {
        match get(id)? {
            None => return new_meta(id, base_uri).map_err(&wrap),
            Some(bytes) => {
                let meta = decode_meta(&id.to_be_bytes(), &bytes).map_err(&wrap)?;
                if meta.allocated < meta.size / 2 {
                    return Ok(meta);
                }
                id = id
                    .checked_add(1)
                    .ok_or_else(|| wrap(list_ids_exhausted()))?;
            }
        }
    }
}

/// A random index of `meta`'s list that `free` accepts, in at most [`MAX_DRAWS`] draws.
fn draw_free<E>(
    meta: &ListMeta,
    rng: &mut impl rand::Rng,
    mut free: impl FnMut([u8; 8]) -> Result<bool, E>,
) -> Result<Option<u32>, E> {
    for _ in 0..MAX_DRAWS {
        let idx = rng.gen_range(0..meta.size);
        if free(entry_key(meta.id, idx))? {
            return Ok(Some(idx));
        }
    }
    Ok(None)
}

/// The issuer's status lists in sled.
pub struct StatusLists {
    db: sled::Db,
    lists: sled::Tree,
    entries: sled::Tree,
    base_uri: String,
}

impl std::fmt::Debug for StatusLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusLists")
            .field("base_uri", &self.base_uri)
            .finish_non_exhaustive()
    }
}

impl StatusLists {
    /// Opens (or creates) the status trees in `db`. New lists get the URI `{base_uri}/{id}`
    /// (e.g. `https://jongno.example/status/0`); `base_uri` must be an absolute URI.
    pub fn open(db: &sled::Db, base_uri: &str) -> Result<Self, IssuerError> {
        list_uri(base_uri, 0)?;
        Ok(Self {
            db: db.clone(),
            lists: db.open_tree(LISTS_TREE)?,
            entries: db.open_tree(ENTRIES_TREE)?,
            base_uri: base_uri.trim_end_matches('/').to_owned(),
        })
    }

    /// The base URI new lists are published under.
    pub fn base_uri(&self) -> &str {
        &self.base_uri
    }

    /// The trees `(status.lists, status.entries)`, for a transaction over several trees that
    /// calls [`StatusLists::allocate_tx`] or [`StatusLists::set_tx`].
    pub fn trees(&self) -> (&sled::Tree, &sled::Tree) {
        (&self.lists, &self.entries)
    }

    /// Allocates an entry inside the caller's transaction: a random free index of the current
    /// list (the first list less than half full, opened if needed), set to valid (0), and the
    /// list's `allocated` count updated. Not flushed here: the caller flushes after the
    /// transaction commits, before reporting success.
    pub fn allocate_tx(
        lists: &TransactionalTree,
        entries: &TransactionalTree,
        base_uri: &str,
    ) -> Result<StatusRef, TxError> {
        let mut meta = open_list(0, base_uri, |id| Ok(lists.get(id.to_be_bytes())?), abort)?;
        let mut rng = rand::rngs::OsRng;
        let Some(idx) = draw_free(&meta, &mut rng, |key| -> Result<bool, TxError> {
            Ok(entries.get(key)?.is_none())
        })?
        else {
            return Err(abort(IssuerError::StatusAllocationFailed {
                reason: "no free index found",
            }));
        };
        entries.insert(&entry_key(meta.id, idx), &[Status::Valid.to_bits()])?;
        meta.allocated += 1;
        lists.insert(&meta.id.to_be_bytes(), encode_meta(&meta).map_err(abort)?)?;
        Ok(StatusRef {
            list: meta.id,
            idx,
            uri: meta.uri,
        })
    }

    /// Picks `n` distinct free entries for a batch of issuances, by the rule of
    /// [`StatusLists::allocate_tx`] (random indexes of the first list under half full, the next
    /// list opened when the batch fills it to half), without writing anything and avoiding
    /// `in_flight` (list, index) pairs, those other batches have picked and not yet written: the
    /// batch's transaction writes them with [`StatusLists::claim_tx`], which refuses an entry
    /// taken in the meantime. (A list may so end a little over half full, by the entries of
    /// batches in flight when it reached half.)
    pub(crate) fn reserve(
        &self,
        n: usize,
        in_flight: &HashSet<(u32, u32)>,
    ) -> Result<Vec<StatusRef>, IssuerError> {
        let mut out = Vec::with_capacity(n);
        let mut picked = HashSet::with_capacity(n);
        let mut rng = rand::rngs::OsRng;
        let mut meta = open_list(
            0,
            &self.base_uri,
            |id| Ok(self.lists.get(id.to_be_bytes())?),
            |e| e,
        )?;
        while out.len() < n {
            if meta.allocated >= meta.size / 2 {
                let next = meta.id.checked_add(1).ok_or(list_ids_exhausted())?;
                meta = open_list(
                    next,
                    &self.base_uri,
                    |id| Ok(self.lists.get(id.to_be_bytes())?),
                    |e| e,
                )?;
                continue;
            }
            let free = |key: [u8; 8]| -> Result<bool, IssuerError> {
                Ok(!picked.contains(&key)
                    && !in_flight.contains(&split_key(key))
                    && self.entries.get(key)?.is_none())
            };
            let Some(idx) = draw_free(&meta, &mut rng, free)? else {
                return Err(IssuerError::StatusAllocationFailed {
                    reason: "no free index found",
                });
            };
            picked.insert(entry_key(meta.id, idx));
            // Counted here so that the batch moves to the next list at half full, as single
            // allocations do; the stored count is updated by `claim_tx`.
            meta.allocated += 1;
            out.push(StatusRef {
                list: meta.id,
                idx,
                uri: meta.uri.clone(),
            });
        }
        Ok(out)
    }

    /// Writes the entries [`StatusLists::reserve`] picked, inside the caller's transaction: each
    /// set to valid (0), each list's `allocated` count raised by its share (a list the batch
    /// opened is created). Aborts, writing nothing, if any entry is no longer free: an index is
    /// never handed out twice.
    pub(crate) fn claim_tx<'r>(
        lists: &TransactionalTree,
        entries: &TransactionalTree,
        base_uri: &str,
        refs: impl IntoIterator<Item = &'r StatusRef>,
    ) -> Result<(), TxError> {
        let mut per_list: BTreeMap<u32, u32> = BTreeMap::new();
        for r in refs {
            let key = entry_key(r.list, r.idx);
            if entries.get(key)?.is_some() {
                return Err(abort(IssuerError::StatusAllocationFailed {
                    reason: "an entry reserved for a batch was taken by another writer",
                }));
            }
            entries.insert(&key, &[Status::Valid.to_bits()])?;
            *per_list.entry(r.list).or_default() += 1;
        }
        for (id, count) in per_list {
            let key = id.to_be_bytes();
            let mut meta = match lists.get(key)? {
                Some(bytes) => decode_meta(&key, &bytes).map_err(abort)?,
                None => new_meta(id, base_uri).map_err(abort)?,
            };
            meta.allocated = meta
                .allocated
                .checked_add(count)
                .filter(|&a| a <= meta.size)
                .ok_or_else(|| abort(corrupt("more entries allocated than the list holds")))?;
            lists.insert(&key, encode_meta(&meta).map_err(abort)?)?;
        }
        Ok(())
    }

    /// Allocates an entry in a transaction of its own and flushes it to disk.
    pub fn allocate(&self) -> Result<StatusRef, IssuerError> {
        let status_ref = (&self.lists, &self.entries)
            .transaction(|(lists, entries)| Self::allocate_tx(lists, entries, &self.base_uri))
            .map_err(from_tx)?;
        self.db.flush()?;
        Ok(status_ref)
    }

    /// Changes an entry inside the caller's transaction and returns its previous status.
    ///
    /// Refused: an index never allocated ([`IssuerError::StatusEntryUnknown`]), any change away
    /// from invalid ([`IssuerError::RevocationFinal`]), and values other than valid, invalid and
    /// suspended ([`IssuerError::StatusValueUnsupported`]). Setting the current value again is
    /// allowed and changes nothing.
    pub fn set_tx(
        entries: &TransactionalTree,
        list: u32,
        idx: u32,
        status: Status,
    ) -> Result<Status, TxError> {
        if let Status::Other(value) = status {
            return Err(abort(IssuerError::StatusValueUnsupported { value }));
        }
        let key = entry_key(list, idx);
        let previous = match entries.get(key)? {
            None => return Err(abort(IssuerError::StatusEntryUnknown { list, idx })),
            Some(bytes) => decode_status(&bytes).map_err(abort)?,
        };
        if previous == Status::Invalid && status != Status::Invalid {
            return Err(abort(IssuerError::RevocationFinal { list, idx }));
        }
        if previous != status {
            entries.insert(&key, &[status.to_bits()])?;
        }
        Ok(previous)
    }

    /// Changes one entry (see [`StatusLists::set_tx`] for what is refused), flushed to disk before
    /// returning; returns the previous status.
    pub fn set(&self, list: u32, idx: u32, status: Status) -> Result<Status, IssuerError> {
        let previous = self
            .entries
            .transaction(|entries| Self::set_tx(entries, list, idx, status))
            .map_err(from_tx)?;
        self.db.flush()?;
        Ok(previous)
    }

    /// Changes several entries `(list, idx)` in one transaction: all or none. Flushed to disk
    /// before returning; returns the previous statuses in the same order.
    pub fn set_many(
        &self,
        refs: &[(u32, u32)],
        status: Status,
    ) -> Result<Vec<Status>, IssuerError> {
        let previous = self
            .entries
            .transaction(|entries| {
                refs.iter()
                    .map(|&(list, idx)| Self::set_tx(entries, list, idx, status))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(from_tx)?;
        self.db.flush()?;
        Ok(previous)
    }

    /// The status of an entry, or `None` if it was never allocated.
    pub fn status(&self, list: u32, idx: u32) -> Result<Option<Status>, IssuerError> {
        self.entries
            .get(entry_key(list, idx))?
            .map(|bytes| decode_status(&bytes))
            .transpose()
    }

    /// One list's metadata.
    pub fn list(&self, list: u32) -> Result<Option<ListMeta>, IssuerError> {
        let key = list.to_be_bytes();
        self.lists
            .get(key)?
            .map(|bytes| decode_meta(&key, &bytes))
            .transpose()
    }

    /// Every list, by id.
    pub fn lists(&self) -> Result<Vec<ListMeta>, IssuerError> {
        self.lists
            .iter()
            .map(|kv| {
                let (key, bytes) = kv?;
                decode_meta(&key, &bytes)
            })
            .collect()
    }

    /// The bitstring of one list: every allocated entry's status, 0 elsewhere.
    pub fn snapshot(&self, list: u32) -> Result<StatusList, IssuerError> {
        let meta = self
            .list(list)?
            .ok_or(IssuerError::StatusListNotFound { list })?;
        let mut bits =
            StatusList::new(meta.bits, u64::from(meta.size)).map_err(|e| corrupt(e.to_string()))?;
        for kv in self.entries.scan_prefix(list.to_be_bytes()) {
            let (key, bytes) = kv?;
            let idx = match key.get(4..).map(<[u8; 4]>::try_from) {
                Some(Ok(idx)) if key.len() == 8 => u32::from_be_bytes(idx),
                _ => return Err(corrupt("entry key is not list ‖ index")),
            };
            let status = decode_status(&bytes)?;
            bits.set(u64::from(idx), status.to_bits())
                .map_err(|_| corrupt("entry index outside its list"))?;
        }
        Ok(bits)
    }

    /// A signed Status List Token for one list, as of `now`: `sub` is the list's URI, `iat` is
    /// `now`, `exp` is `now + valid_for`, and `ttl` tells verifiers how long to cache it.
    #[allow(clippy::too_many_arguments)] // the token's claims, each named by the draft
    pub fn token<S>(
        &self,
        list: u32,
        iss: &str,
        kid: &str,
        signer: &S,
        now: i64,
        ttl: i64,
        valid_for: i64,
    ) -> Result<String, IssuerError>
    where
        S: signature::Signer<ed25519_dalek::Signature> + ?Sized,
    {
        let meta = self
            .list(list)?
            .ok_or(IssuerError::StatusListNotFound { list })?;
        let bits = self.snapshot(list)?;
        let exp = now
            .checked_add(valid_for)
            .ok_or(IssuerError::InvalidTime { at: now })?;
        Ok(status_list::sign_token(
            iss, kid, &meta.uri, now, exp, ttl, &bits, signer,
        )?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const BASE: &str = "https://jongno.example/status";

    fn claim(lists: &StatusLists, refs: &[StatusRef]) -> Result<(), IssuerError> {
        (&lists.lists, &lists.entries)
            .transaction(|(l, e)| StatusLists::claim_tx(l, e, BASE, refs))
            .map_err(from_tx)
    }

    #[test]
    fn a_reservation_is_distinct_and_spills_into_the_next_list_at_half_full() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let lists = StatusLists::open(&db, BASE).unwrap();
        let first = lists.allocate().unwrap();
        // List 0 three short of half full.
        let mut meta = lists.list(0).unwrap().unwrap();
        meta.allocated = LIST_SIZE / 2 - 3;
        lists
            .lists
            .insert(0u32.to_be_bytes(), encode_meta(&meta).unwrap())
            .unwrap();
        let refs = lists.reserve(10, &HashSet::new()).unwrap();
        let per_list: Vec<u32> = refs.iter().map(|r| r.list).collect();
        assert_eq!(per_list, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
        let distinct: HashSet<(u32, u32)> = refs.iter().map(|r| (r.list, r.idx)).collect();
        assert_eq!(distinct.len(), 10);
        assert!(!distinct.contains(&(0, first.idx)));
        // Nothing written yet.
        assert!(refs
            .iter()
            .all(|r| lists.status(r.list, r.idx).unwrap().is_none()));
        claim(&lists, &refs).unwrap();
        assert_eq!(lists.list(0).unwrap().unwrap().allocated, LIST_SIZE / 2);
        let opened = lists.list(1).unwrap().unwrap();
        assert_eq!(
            (opened.allocated, opened.uri.as_str()),
            (7, "https://jongno.example/status/1")
        );
        assert!(refs
            .iter()
            .all(|r| lists.status(r.list, r.idx).unwrap() == Some(Status::Valid)));
    }

    #[test]
    fn a_reservation_avoids_the_entries_of_batches_in_flight() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let lists = StatusLists::open(&db, BASE).unwrap();
        // A list of four entries: three of them picked by batches in flight.
        let mut meta = new_meta(0, BASE).unwrap();
        meta.size = 4;
        lists
            .lists
            .insert(0u32.to_be_bytes(), encode_meta(&meta).unwrap())
            .unwrap();
        let in_flight = HashSet::from([(0, 0), (0, 1), (0, 2)]);
        let refs = lists.reserve(1, &in_flight).unwrap();
        assert_eq!((refs[0].list, refs[0].idx), (0, 3));
        claim(&lists, &refs).unwrap();
        // Nothing left that is neither written nor in flight.
        let err = lists.reserve(1, &in_flight).unwrap_err();
        assert_eq!(err.code(), "status_allocation_failed");
    }

    #[test]
    fn a_reserved_entry_taken_meanwhile_aborts_the_whole_claim() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let lists = StatusLists::open(&db, BASE).unwrap();
        let refs = lists.reserve(5, &HashSet::new()).unwrap();
        // Another writer takes the third entry between reservation and claim.
        lists
            .entries
            .insert(
                entry_key(refs[2].list, refs[2].idx),
                &[Status::Suspended.to_bits()],
            )
            .unwrap();
        let err = claim(&lists, &refs).unwrap_err();
        assert_eq!(err.code(), "status_allocation_failed");
        // Nothing of the claim was written, and the other writer's entry is untouched.
        for (i, r) in refs.iter().enumerate() {
            let expected = (i == 2).then_some(Status::Suspended);
            assert_eq!(lists.status(r.list, r.idx).unwrap(), expected);
        }
        assert!(lists.list(0).unwrap().is_none());
    }
}
