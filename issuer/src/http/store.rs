//! The service's own state in the issuer's sled database: credential offers, access tokens and
//! nonces, each single use and short-lived.
//!
//! Four trees:
//! - `vci.offers`: SHA-256(pre-authorized code) → JSON [`OfferRecord`]. Only hashes are kept:
//!   neither the code nor the transaction code can be read back from the database. The code
//!   itself is derived from the offer id (see [`code_for_offer`]), so that `GET /offers/{id}` can
//!   hand it out without the database holding it.
//! - `vci.tokens`: SHA-256(access token) → JSON [`TokenRecord`].
//! - `vci.nonces`: SHA-256(c_nonce) → expiry (i64 big-endian).
//! - `vci.expiries`: expiry (u64 big-endian) ‖ kind (`o`, `t` or `n`) ‖ the record's key → empty:
//!   the sweep walks it in time order and reads nothing that has not expired. An index entry is
//!   written before its record, so a crash between the two leaves at most an entry pointing at
//!   nothing, never a record the sweep cannot find.
//!
//! Every change happens in a sled transaction, an atomic compare-and-swap or an atomic remove,
//! so two concurrent requests cannot both redeem one code, use one nonce or spend one token. The
//! caller flushes before it answers 2xx.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use rand::{Rng as _, RngCore as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional as _;
use subtle::ConstantTimeEq as _;

use crate::IssuerError;

/// How long a pre-authorized code can be redeemed: 10 minutes, time for the citizen to open the
/// wallet, scan the code and type the transaction code, short enough that a photographed QR code
/// soon goes stale.
pub(crate) const OFFER_TTL: i64 = 600;
/// Wrong transaction codes before the offer is void: with 10^6 six-digit codes, five guesses
/// succeed with probability 5 × 10^-6; the agency makes a new offer for a citizen who mistyped.
pub(crate) const MAX_TX_CODE_ATTEMPTS: u32 = 5;
/// Digits of the transaction code (what the citizen types).
pub(crate) const TX_CODE_LENGTH: u32 = 6;
/// How long an access token is good for: 10 minutes for one credential request.
pub(crate) const ACCESS_TOKEN_TTL: i64 = 600;
/// How long a `c_nonce` is good for: 5 minutes, the same window as a proof's `iat`.
pub(crate) const NONCE_TTL: i64 = 300;
/// Attempts at moving a token's state before giving up: a swap fails only when the record
/// changed since it was read, and a token changes state a few times in its life (taken into
/// use, spent or given back, swept), so a second look nearly always settles it.
const MAX_TOKEN_SWAPS: usize = 8;

const OFFERS_TREE: &str = "vci.offers";
const TOKENS_TREE: &str = "vci.tokens";
const NONCES_TREE: &str = "vci.nonces";
const EXPIRIES_TREE: &str = "vci.expiries";
/// Set in the expiry index once the records stored before it existed are indexed.
const EXPIRIES_INDEXED: &[u8] = b"indexed-v1";
const EXPIRIES_META_TREE: &str = "vci.expiries.meta";

/// Domain separation for deriving the pre-authorized code from the offer id.
const CODE_DERIVATION: &[u8] = b"dojang/oid4vci/pre-authorized_code\0";
/// Domain separation for the transaction code hash (bound to the code it belongs to).
const TX_CODE_HASH: &[u8] = b"dojang/oid4vci/tx_code\0";

/// Where an offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OfferState {
    /// Waiting for its token request.
    Open,
    /// Traded for an access token.
    Redeemed,
    /// Void after too many wrong transaction codes.
    Burned,
}

/// What the service keeps of an offer (no code, no transaction code: hashes only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OfferRecord {
    /// The register's person id the credential is for.
    pub(crate) person_id: String,
    /// The credential configuration id offered.
    pub(crate) configuration_id: String,
    /// base64url SHA-256(domain ‖ code ‖ tx_code).
    tx_code_hash: String,
    /// Seconds since the epoch.
    pub(crate) created_at: i64,
    /// Seconds since the epoch.
    pub(crate) expires_at: i64,
    /// Wrong transaction codes so far.
    failed_attempts: u32,
    /// Open, redeemed or burned.
    pub(crate) state: OfferState,
}

/// Where an access token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TokenState {
    /// Not used yet.
    Unused,
    /// A credential request holding it is being served.
    InUse,
    /// Spent on a credential.
    Used,
}

/// What the service keeps of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    /// The register's person id the credential is for.
    pub(crate) person_id: String,
    /// The credential configuration id the offer named.
    pub(crate) configuration_id: String,
    /// Seconds since the epoch.
    pub(crate) expires_at: i64,
    /// Unused, in use or used.
    pub(crate) state: TokenState,
}

/// A new offer: the secrets handed to the agency once, never stored.
pub(crate) struct NewOffer {
    /// The offer id (a 128-bit secret: it yields the code), in the offer URL.
    pub(crate) offer_id: String,
    /// The transaction code for the citizen.
    pub(crate) tx_code: String,
    /// Seconds since the epoch.
    pub(crate) expires_at: i64,
}

/// Why a token request was refused.
#[derive(Debug)]
pub(crate) enum RedeemError {
    /// Unknown, already redeemed, burned or expired code.
    InvalidCode,
    /// The offer needs a transaction code and none came.
    TxCodeMissing,
    /// Wrong transaction code; `burned` when that was the last attempt.
    TxCodeWrong {
        /// The offer is now void.
        burned: bool,
    },
    /// Storage failed.
    Storage(IssuerError),
}

/// Why a credential request's token is refused.
#[derive(Debug)]
pub(crate) enum TokenError {
    /// Unknown, expired, used or in use.
    Invalid,
    /// Storage failed.
    Storage(IssuerError),
}

/// The four trees (a clone shares them).
#[derive(Clone)]
pub(crate) struct VciStore {
    offers: sled::Tree,
    tokens: sled::Tree,
    nonces: sled::Tree,
    expiries: sled::Tree,
}

/// The kinds of short-lived record, as tagged in the expiry index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Offer,
    Token,
    Nonce,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Offer, Kind::Token, Kind::Nonce];

    fn tag(self) -> u8 {
        match self {
            Kind::Offer => b'o',
            Kind::Token => b't',
            Kind::Nonce => b'n',
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        Kind::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

/// The expiry index key: expiry ‖ kind ‖ record key. Expiries before the epoch sort first.
fn expiry_key(expires_at: i64, kind: Kind, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + key.len());
    k.extend_from_slice(&u64::try_from(expires_at).unwrap_or(0).to_be_bytes());
    k.push(kind.tag());
    k.extend_from_slice(key);
    k
}

/// A record's expiry: the JSON `expires_at` of an offer or token, the 8 bytes of a nonce.
fn record_expiry(kind: Kind, bytes: &[u8]) -> Result<i64, IssuerError> {
    #[derive(Deserialize)]
    struct Expiry {
        expires_at: i64,
    }
    match kind {
        Kind::Offer => Ok(decode::<Expiry>("offer", bytes)?.expires_at),
        Kind::Token => Ok(decode::<Expiry>("access token", bytes)?.expires_at),
        Kind::Nonce => <[u8; 8]>::try_from(bytes)
            .map(i64::from_be_bytes)
            .map_err(|_| IssuerError::Corrupt {
                what: "nonce",
                reason: "the expiry is not 8 bytes".into(),
            }),
    }
}

/// What one call of [`VciStore::sweep`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Swept {
    /// Expired offers, tokens and nonces removed.
    pub(crate) removed: usize,
    /// Whether expired entries remain (the call stopped at its limit).
    pub(crate) more: bool,
}

fn random_b64(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    B64.encode(b)
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn tx_code_hash(code: &str, tx_code: &str) -> String {
    B64.encode(sha256(&[
        TX_CODE_HASH,
        code.as_bytes(),
        b"\0",
        tx_code.as_bytes(),
    ]))
}

/// The pre-authorized code of offer `offer_id`: base64url(SHA-256(domain ‖ id)). Whoever knows
/// the offer URL can read the code from it anyway (that is what an offer by reference is);
/// deriving it lets the database keep only its hash.
pub(crate) fn code_for_offer(offer_id: &str) -> String {
    B64.encode(sha256(&[CODE_DERIVATION, offer_id.as_bytes()]))
}

fn storage(e: impl Into<IssuerError>) -> IssuerError {
    e.into()
}

fn corrupt(what: &'static str, e: &serde_json::Error) -> IssuerError {
    IssuerError::Corrupt {
        what,
        reason: e.to_string(),
    }
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, IssuerError> {
    serde_json::to_vec(value).map_err(|e| corrupt(what, &e))
}

fn decode<T: for<'de> Deserialize<'de>>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, IssuerError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(what, &e))
}

impl From<IssuerError> for RedeemError {
    fn from(e: IssuerError) -> Self {
        RedeemError::Storage(e)
    }
}

impl From<IssuerError> for TokenError {
    fn from(e: IssuerError) -> Self {
        TokenError::Storage(e)
    }
}

impl VciStore {
    /// Opens (or creates) the trees in `db`. At the first open of a database written before
    /// the expiry index existed, indexes its records (once, flushed before it is marked done).
    pub(crate) fn open(db: &sled::Db) -> Result<Self, IssuerError> {
        let store = Self {
            offers: db.open_tree(OFFERS_TREE)?,
            tokens: db.open_tree(TOKENS_TREE)?,
            nonces: db.open_tree(NONCES_TREE)?,
            expiries: db.open_tree(EXPIRIES_TREE)?,
        };
        let meta = db.open_tree(EXPIRIES_META_TREE)?;
        if !meta.contains_key(EXPIRIES_INDEXED)? {
            for kind in Kind::ALL {
                for kv in store.tree(kind).iter() {
                    let (key, bytes) = kv?;
                    // An unreadable record is indexed as expired: the sweep removes it.
                    let expires_at = record_expiry(kind, &bytes).unwrap_or(0);
                    store
                        .expiries
                        .insert(expiry_key(expires_at, kind, &key), &[])?;
                }
            }
            db.flush()?;
            meta.insert(EXPIRIES_INDEXED, &[])?;
            db.flush()?;
        }
        Ok(store)
    }

    fn tree(&self, kind: Kind) -> &sled::Tree {
        match kind {
            Kind::Offer => &self.offers,
            Kind::Token => &self.tokens,
            Kind::Nonce => &self.nonces,
        }
    }

    /// Indexes a record by its expiry, before the record itself is written.
    fn index(&self, expires_at: i64, kind: Kind, key: &[u8]) -> Result<(), IssuerError> {
        self.expiries
            .insert(expiry_key(expires_at, kind, key), &[])?;
        Ok(())
    }

    /// Records a new offer of `configuration_id` for `person_id`; returns its secrets.
    pub(crate) fn create_offer(
        &self,
        person_id: &str,
        configuration_id: &str,
        now: i64,
    ) -> Result<NewOffer, IssuerError> {
        let offer_id = random_b64(16);
        let code = code_for_offer(&offer_id);
        let tx_code = format!(
            "{:0width$}",
            rand::rngs::OsRng.gen_range(0..10u32.pow(TX_CODE_LENGTH)),
            width = TX_CODE_LENGTH as usize
        );
        let record = OfferRecord {
            person_id: person_id.to_owned(),
            configuration_id: configuration_id.to_owned(),
            tx_code_hash: tx_code_hash(&code, &tx_code),
            created_at: now,
            expires_at: now + OFFER_TTL,
            failed_attempts: 0,
            state: OfferState::Open,
        };
        let key = sha256(&[code.as_bytes()]);
        self.index(record.expires_at, Kind::Offer, &key)?;
        let inserted = self
            .offers
            .compare_and_swap(key, None as Option<&[u8]>, Some(encode("offer", &record)?))
            .map_err(storage)?;
        if inserted.is_err() {
            // 128 random bits collided: never in practice, refuse rather than overwrite.
            return Err(IssuerError::Corrupt {
                what: "offer",
                reason: "offer id collision".into(),
            });
        }
        Ok(NewOffer {
            offer_id,
            tx_code,
            expires_at: record.expires_at,
        })
    }

    /// The open, unexpired offer with id `offer_id`, and its code.
    pub(crate) fn open_offer(
        &self,
        offer_id: &str,
        now: i64,
    ) -> Result<Option<(OfferRecord, String)>, IssuerError> {
        let code = code_for_offer(offer_id);
        let Some(bytes) = self.offers.get(sha256(&[code.as_bytes()]))? else {
            return Ok(None);
        };
        let record: OfferRecord = decode("offer", &bytes)?;
        if record.state != OfferState::Open || record.expires_at <= now {
            return Ok(None);
        }
        Ok(Some((record, code)))
    }

    /// Trades a pre-authorized code and its transaction code for a new access token, in one
    /// transaction: the offer becomes redeemed and the token exists, or neither. A wrong
    /// transaction code counts against the offer (and burns it at the limit) and commits that.
    pub(crate) fn redeem(
        &self,
        code: &str,
        tx_code: Option<&str>,
        now: i64,
    ) -> Result<(String, TokenRecord), RedeemError> {
        let key = sha256(&[code.as_bytes()]);
        let token = random_b64(32);
        let token_key = sha256(&[token.as_bytes()]);
        // Indexed ahead: if the token is never written, the entry points at nothing.
        self.index(now + ACCESS_TOKEN_TTL, Kind::Token, &token_key)?;
        let outcome = (&self.offers, &self.tokens)
            .transaction(|(offers, tokens)| {
                use ConflictableTransactionError::Abort;
                let Some(bytes) = offers.get(key)? else {
                    return Err(Abort(RedeemError::InvalidCode));
                };
                let mut record: OfferRecord =
                    decode("offer", &bytes).map_err(|e| Abort(RedeemError::Storage(e)))?;
                if record.state != OfferState::Open || record.expires_at <= now {
                    return Err(Abort(RedeemError::InvalidCode));
                }
                let Some(tx_code) = tx_code else {
                    return Err(Abort(RedeemError::TxCodeMissing));
                };
                let expected = record.tx_code_hash.as_bytes();
                let given = tx_code_hash(code, tx_code);
                if !bool::from(expected.ct_eq(given.as_bytes())) {
                    record.failed_attempts += 1;
                    let burned = record.failed_attempts >= MAX_TX_CODE_ATTEMPTS;
                    if burned {
                        record.state = OfferState::Burned;
                    }
                    offers.insert(
                        &key,
                        encode("offer", &record).map_err(|e| Abort(RedeemError::Storage(e)))?,
                    )?;
                    // Committed: the attempt counts.
                    return Ok(Err(RedeemError::TxCodeWrong { burned }));
                }
                record.state = OfferState::Redeemed;
                offers.insert(
                    &key,
                    encode("offer", &record).map_err(|e| Abort(RedeemError::Storage(e)))?,
                )?;
                let token_record = TokenRecord {
                    person_id: record.person_id.clone(),
                    configuration_id: record.configuration_id.clone(),
                    expires_at: now + ACCESS_TOKEN_TTL,
                    state: TokenState::Unused,
                };
                tokens.insert(
                    &token_key,
                    encode("access token", &token_record)
                        .map_err(|e| Abort(RedeemError::Storage(e)))?,
                )?;
                Ok(Ok(token_record))
            })
            .unwrap_or_else(|e| match e {
                TransactionError::Abort(e) => Err(e),
                TransactionError::Storage(source) => {
                    Err(RedeemError::Storage(IssuerError::Storage { source }))
                }
            });
        outcome.map(|record| (token, record))
    }

    /// The access token's record, if it is known, unexpired and unused.
    pub(crate) fn usable_token(&self, token: &str, now: i64) -> Result<TokenRecord, TokenError> {
        let bytes = self
            .tokens
            .get(sha256(&[token.as_bytes()]))
            .map_err(storage)?
            .ok_or(TokenError::Invalid)?;
        let record: TokenRecord = decode("access token", &bytes)?;
        if record.state != TokenState::Unused || record.expires_at <= now {
            return Err(TokenError::Invalid);
        }
        Ok(record)
    }

    /// Moves the token from `from` to `to` atomically; refused if it is not in `from` (or
    /// expired, when taking it into use).
    ///
    /// A compare-and-swap of the one record, not a sled transaction: sled writes its log buffer
    /// out at every transaction's commit (a write and a sync of the file range), which per
    /// request cost more than the rest of the credential endpoint together. The swap only
    /// succeeds over the exact record read, so two requests cannot both move one token.
    pub(crate) fn move_token(
        &self,
        token: &str,
        from: TokenState,
        to: TokenState,
        now: i64,
    ) -> Result<TokenRecord, TokenError> {
        let key = sha256(&[token.as_bytes()]);
        for _ in 0..MAX_TOKEN_SWAPS {
            let Some(bytes) = self.tokens.get(key).map_err(storage)? else {
                return Err(TokenError::Invalid);
            };
            let mut record: TokenRecord = decode("access token", &bytes)?;
            if record.state != from || (from == TokenState::Unused && record.expires_at <= now) {
                return Err(TokenError::Invalid);
            }
            record.state = to;
            let swapped = self
                .tokens
                .compare_and_swap(key, Some(bytes), Some(encode("access token", &record)?))
                .map_err(storage)?;
            if swapped.is_ok() {
                return Ok(record);
            }
            // Changed in the meantime: read it again (it is most likely no longer in `from`).
        }
        Err(TokenError::Invalid)
    }

    /// A new nonce, recorded until it is used or expires.
    pub(crate) fn new_nonce(&self, now: i64) -> Result<String, IssuerError> {
        let nonce = random_b64(16);
        let expires_at = now + NONCE_TTL;
        let key = sha256(&[nonce.as_bytes()]);
        self.index(expires_at, Kind::Nonce, &key)?;
        self.nonces.insert(key, &expires_at.to_be_bytes())?;
        Ok(nonce)
    }

    /// Uses up `nonce`: true when it was issued here, unused and unexpired. Removed either way,
    /// atomically, so that only one request can ever use it.
    pub(crate) fn take_nonce(&self, nonce: &str, now: i64) -> Result<bool, IssuerError> {
        let Some(bytes) = self.nonces.remove(sha256(&[nonce.as_bytes()]))? else {
            return Ok(false);
        };
        Ok(record_expiry(Kind::Nonce, &bytes)? > now)
    }

    /// Removes the expired offers, tokens and nonces of up to `limit` index entries, oldest
    /// first, walking the expiry index (nothing unexpired is read). Not flushed: losing a
    /// removal in a crash only leaves an expired entry, refused when used (every use checks the
    /// expiry) and removed by the next sweep.
    pub(crate) fn sweep(&self, now: i64, limit: usize) -> Result<Swept, IssuerError> {
        let end = u64::try_from(now.saturating_add(1))
            .unwrap_or(0)
            .to_be_bytes();
        let mut swept = Swept::default();
        for (visited, entry) in self.expiries.range(..end.as_slice()).enumerate() {
            if visited >= limit {
                swept.more = true;
                break;
            }
            let (index_key, _) = entry?;
            let kind = index_key.get(8).copied().and_then(Kind::from_tag);
            if let Some(kind) = kind {
                let key = &index_key[9..];
                let tree = self.tree(kind);
                // The record may be gone (a nonce used, a token never written).
                if let Some(bytes) = tree.get(key)? {
                    if record_expiry(kind, &bytes).map_or(true, |e| e <= now) {
                        tree.remove(key)?;
                        swept.removed += 1;
                    }
                }
            }
            self.expiries.remove(&index_key)?;
        }
        Ok(swept)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn of_many_racing_moves_of_one_token_exactly_one_succeeds() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let store = VciStore::open(&db).unwrap();
        let offer = store.create_offer("P000001", "copy", 0).unwrap();
        let code = code_for_offer(&offer.offer_id);
        let (token, _) = store.redeem(&code, Some(&offer.tx_code), 1).unwrap();
        let moved: Vec<bool> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        store
                            .move_token(&token, TokenState::Unused, TokenState::InUse, 2)
                            .is_ok()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(moved.iter().filter(|&&m| m).count(), 1, "{moved:?}");
        // Then on: spent once, never taken again.
        store
            .move_token(&token, TokenState::InUse, TokenState::Used, 3)
            .unwrap();
        assert!(matches!(
            store.move_token(&token, TokenState::Unused, TokenState::InUse, 4),
            Err(TokenError::Invalid)
        ));
        assert!(matches!(
            store.usable_token(&token, 4),
            Err(TokenError::Invalid)
        ));
    }

    #[test]
    fn the_sweep_removes_exactly_what_expired_in_bounded_steps() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let store = VciStore::open(&db).unwrap();
        // Offers expire at 600, tokens (redeemed at 10) at 610, nonces at 300 and 1300.
        let offers: Vec<_> = (0..5)
            .map(|_| store.create_offer("P000001", "copy", 0).unwrap())
            .collect();
        let code = code_for_offer(&offers[0].offer_id);
        let (token, _) = store.redeem(&code, Some(&offers[0].tx_code), 10).unwrap();
        let early: Vec<_> = (0..3).map(|_| store.new_nonce(0).unwrap()).collect();
        let late = store.new_nonce(1000).unwrap();
        assert!(store.take_nonce(&early[0], 1).unwrap());
        // Nothing has expired at 299: nothing is removed and nothing unexpired is visited.
        assert_eq!(store.sweep(299, 100).unwrap(), Swept::default());
        // At 300 the two unused early nonces go; the used one's index entry is dropped too.
        assert_eq!(
            store.sweep(300, 100).unwrap(),
            Swept {
                removed: 2,
                more: false
            }
        );
        assert_eq!(store.nonces.len(), 1);
        // At 610 the offers and the token, two index entries a step.
        let mut removed = 0;
        let mut steps = 0;
        loop {
            let s = store.sweep(610, 2).unwrap();
            removed += s.removed;
            steps += 1;
            if !s.more {
                break;
            }
        }
        assert_eq!(removed, 6);
        assert!(steps >= 3, "{steps} steps");
        assert!(store.offers.is_empty());
        assert!(store.tokens.is_empty());
        assert!(matches!(
            store.usable_token(&token, 20),
            Err(TokenError::Invalid)
        ));
        // The late nonce is still there, and usable, until 1300.
        assert_eq!(store.expiries.len(), 1);
        assert!(store.take_nonce(&late, 1299).unwrap());
    }

    #[test]
    fn records_written_before_the_index_are_indexed_once_and_swept() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let store = VciStore::open(&db).unwrap();
        store.create_offer("P000001", "copy", 0).unwrap();
        store.new_nonce(0).unwrap();
        // As an older database: records without index entries or marker.
        store.expiries.clear().unwrap();
        db.drop_tree(EXPIRIES_META_TREE).unwrap();
        let reopened = VciStore::open(&db).unwrap();
        assert_eq!(reopened.expiries.len(), 2);
        assert_eq!(reopened.sweep(700, 100).unwrap().removed, 2);
        assert!(reopened.offers.is_empty() && reopened.nonces.is_empty());
        // Marked: a later open does not index again.
        reopened
            .nonces
            .insert(b"unindexed", &0i64.to_be_bytes())
            .unwrap();
        let again = VciStore::open(&db).unwrap();
        assert!(again.expiries.is_empty());
    }
}
