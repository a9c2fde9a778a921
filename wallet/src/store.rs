//! The encrypted store: opening the wallet, credentials and the holder key.
//!
//! The sled database has four trees; every value is an encrypted record
//! (`nonce ‖ ciphertext ‖ tag`, see [`crate::crypto`]) whose associated data names its tree and
//! key, and every key is meaningless on its own:
//!
//! | tree | key | value (before encryption) |
//! |---|---|---|
//! | `keys` | `holder` | the holder's private Ed25519 JWK |
//! | `keys` | `summaries-v1` | `true`: every credential has its summary |
//! | `credentials` | 16 random bytes ([`CredentialId`]) | a [`StoredCredential`] as JSON |
//! | `summaries` | the credential's id | its [`CredentialSummary`] as JSON |
//! | `history` | a big-endian `u64` counter | a [`crate::PresentationRecord`] as JSON |
//!
//! Plaintexts are padded with spaces to a multiple of [`PAD_BLOCK`] bytes before encryption so
//! that ciphertext lengths reveal only a coarse size. Every write calls `flush` before it returns.
//!
//! A credential and its summary are written and removed together, in one sled transaction across
//! the two trees, so listing ([`Wallet::list_summaries`]) decrypts a few hundred bytes per
//! credential instead of the whole SD-JWT and still shows exactly what is stored. A wallet made
//! before summaries existed has no `summaries-v1` record: its first [`Wallet::open`] writes the
//! summaries of every credential that decrypts (and drops any summary without a credential), then
//! the record. A credential that does not decrypt gets no summary, so `list` leaves it out; `show`
//! and `present` still report it as a corrupt record.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use dojang_did::{PrivateJwk, PublicJwk};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use dojang_vc::{Budget, SdJwt};
use sled::Transactional as _;

use crate::crypto::{random_bytes, record_aad, SecretKey, SALT_LEN};
use crate::meta::{meta_path, store_path, Meta};
use crate::{KdfParams, WalletError};

/// Tree of encrypted credentials.
pub(crate) const CREDENTIALS_TREE: &str = "credentials";
/// Tree of encrypted credential summaries, keyed like [`CREDENTIALS_TREE`].
pub(crate) const SUMMARIES_TREE: &str = "summaries";
/// Tree of encrypted presentation records.
pub(crate) const HISTORY_TREE: &str = "history";
/// Tree of encrypted keys.
pub(crate) const KEYS_TREE: &str = "keys";
/// Key of the holder's private key in [`KEYS_TREE`].
const HOLDER_KEY_ID: &[u8] = b"holder";
/// Key in [`KEYS_TREE`] of the record saying that every credential has its summary.
const SUMMARIES_READY_ID: &[u8] = b"summaries-v1";
/// [`Wallet::list_summaries`] starts another thread only for at least this many summaries: a
/// thread costs tens of microseconds to start, a summary a few to decrypt.
const SUMMARIES_PER_THREAD: usize = 512;
/// Plaintexts are padded to a multiple of this many bytes: enough to hide the length of a name or
/// an address inside a credential, small against a credential's usual 1–4 KB.
pub(crate) const PAD_BLOCK: usize = 256;

/// The identifier of a stored credential: 16 random bytes, shown as 32 lowercase hex digits. It is
/// never derived from the credential's content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialId([u8; 16]);

impl CredentialId {
    fn random() -> Self {
        Self(random_bytes())
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    fn from_key(key: &[u8]) -> Option<Self> {
        <[u8; 16]>::try_from(key).ok().map(Self)
    }
}

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialId({self})")
    }
}

impl FromStr for CredentialId {
    type Err = WalletError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || WalletError::InvalidCredentialId {
            input: s.to_owned(),
        };
        let digits = s.as_bytes();
        if digits.len() != 32 {
            return Err(invalid());
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let high = hex_value(pair[0]).ok_or_else(invalid)?;
            let low = hex_value(pair[1]).ok_or_else(invalid)?;
            *byte = (high << 4) | low;
        }
        Ok(Self(bytes))
    }
}

impl Serialize for CredentialId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CredentialId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom("invalid credential id"))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// A credential as the wallet keeps it. `Debug` leaves out the SD-JWT, the label and `extra`,
/// which may hold personal data.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCredential {
    /// The issued SD-JWT with all its disclosures, exactly as received.
    pub sd_jwt: String,
    /// The credential type (`vct`).
    pub vct: String,
    /// The issuer (`iss`).
    pub issuer: String,
    /// Issued at (`iat`), seconds since the Unix epoch.
    pub issued_at: i64,
    /// Expiry (`exp`), seconds since the Unix epoch, if any.
    pub expires_at: Option<i64>,
    /// When the wallet received it, seconds since the Unix epoch.
    pub received_at: i64,
    /// The holder's own label for it.
    pub label: String,
    /// Anything else kept with it (a log inclusion proof, for instance).
    pub extra: Value,
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("sd_jwt", &format_args!("<{} bytes>", self.sd_jwt.len()))
            .field("vct", &self.vct)
            .field("issuer", &self.issuer)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("received_at", &self.received_at)
            .finish_non_exhaustive()
    }
}

/// What `dojang wallet list` shows of a stored credential, kept encrypted beside it: the type, the
/// issuer, the document number, the dates and the holder's own label; no claim about the person.
/// `Debug` leaves out the label and the document number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialSummary {
    /// The credential type (`vct`).
    pub vct: String,
    /// The issuer (`iss`).
    pub issuer: String,
    /// The certificate's issue number (the plain `document_number` claim), if it has one.
    pub document_number: Option<String>,
    /// Issued at (`iat`), seconds since the Unix epoch.
    pub issued_at: i64,
    /// Expiry (`exp`), seconds since the Unix epoch, if any.
    pub expires_at: Option<i64>,
    /// When the wallet received it, seconds since the Unix epoch.
    pub received_at: i64,
    /// The holder's own label for it.
    pub label: String,
}

impl CredentialSummary {
    /// The summary of `credential`. The document number is read from the issuer-signed payload
    /// (a claim the issuer leaves visible); a credential without one, or whose SD-JWT does not
    /// parse, has none.
    pub fn of(credential: &StoredCredential) -> Self {
        let document_number = SdJwt::parse(&credential.sd_jwt, &Budget::default())
            .ok()
            .and_then(|sd| {
                sd.issuer_jwt()
                    .unverified_payload()
                    .get("document_number")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        Self {
            vct: credential.vct.clone(),
            issuer: credential.issuer.clone(),
            document_number,
            issued_at: credential.issued_at,
            expires_at: credential.expires_at,
            received_at: credential.received_at,
            label: credential.label.clone(),
        }
    }
}

impl fmt::Debug for CredentialSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialSummary")
            .field("vct", &self.vct)
            .field("issuer", &self.issuer)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("received_at", &self.received_at)
            .finish_non_exhaustive()
    }
}

/// An open wallet: the encrypted store, unlocked with the data key.
///
/// The data key stays in memory (wiped on drop) while the wallet is open; the holder's private
/// key is decrypted only when asked for. sled locks the store, so one process at a time can have
/// a wallet open.
pub struct Wallet {
    dir: PathBuf,
    db: sled::Db,
    credentials: sled::Tree,
    summaries: sled::Tree,
    pub(crate) history: sled::Tree,
    keys: sled::Tree,
    data_key: SecretKey,
    holder_public: PublicJwk,
}

impl fmt::Debug for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wallet")
            .field("dir", &self.dir)
            .field("holder", &self.holder_public)
            .finish_non_exhaustive()
    }
}

impl Wallet {
    /// Creates a wallet in `dir` with [`KdfParams::RECOMMENDED`]: see
    /// [`Wallet::init_with_params`].
    pub fn init(dir: &Path, passphrase: &str) -> Result<Wallet, WalletError> {
        Self::init_with_params(dir, passphrase, KdfParams::RECOMMENDED)
    }

    /// Creates a wallet in `dir` (created if missing): a random Argon2id salt, a random data key
    /// wrapped under the passphrase-derived key, a fresh Ed25519 holder key stored encrypted.
    ///
    /// Fails with [`WalletError::WalletExists`] if `dir` already holds a wallet, or the remains
    /// of an interrupted `init` (which a person should look at before deleting).
    pub fn init_with_params(
        dir: &Path,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<Wallet, WalletError> {
        if passphrase.is_empty() {
            return Err(WalletError::EmptyPassphrase);
        }
        params.check()?;
        let meta_file = meta_path(dir);
        let store = store_path(dir);
        for path in [&meta_file, &store] {
            let exists = path.try_exists().map_err(|source| WalletError::Io {
                path: path.clone(),
                source,
            })?;
            if exists {
                return Err(WalletError::WalletExists {
                    dir: dir.to_path_buf(),
                });
            }
        }
        std::fs::create_dir_all(dir).map_err(|source| WalletError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        crate::permissions::restrict(dir).map_err(|source| WalletError::Io {
            path: dir.to_path_buf(),
            source,
        })?;

        let salt: [u8; SALT_LEN] = random_bytes();
        let kek = SecretKey::derive(passphrase, &salt, &params)?;
        let data_key = SecretKey::random();
        let wrapped_data_key = kek
            .wrap(&data_key)
            .map_err(|_| WalletError::Encrypt { tree: "meta" })?;
        drop(kek);

        // `create_new`: if another process raced us here, one of us fails instead of sharing.
        let db = sled::Config::new()
            .path(&store)
            .create_new(true)
            .open()
            .map_err(|source| storage_error(dir, source))?;
        let holder = PrivateJwk::generate();
        let wallet = Self::assemble(dir, db, data_key, holder.public())?;
        let mut jwk = holder.to_json();
        let sealed = wallet.seal_record(KEYS_TREE, HOLDER_KEY_ID, &jwk);
        wipe_private_member(&mut jwk);
        wallet.insert(&wallet.keys, HOLDER_KEY_ID, sealed?)?;
        // No credential yet: every one has its summary.
        let ready = wallet.seal_record(KEYS_TREE, SUMMARIES_READY_ID, &true)?;
        wallet.insert(&wallet.keys, SUMMARIES_READY_ID, ready)?;

        // Written last: a metadata file means a complete wallet.
        Meta {
            params,
            salt,
            wrapped_data_key,
        }
        .write(dir)?;
        crate::permissions::restrict(dir).map_err(|source| WalletError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(wallet)
    }

    /// Opens the wallet in `dir`.
    ///
    /// The passphrase is checked (AEAD on the wrapped data key) before the database is opened, so
    /// a wrong one returns [`WalletError::WrongPassphrase`] and changes nothing on disk. A
    /// directory without a wallet is [`WalletError::NotInitialized`]; a store whose holder key
    /// does not decrypt under the unwrapped data key (another wallet's store, tampering) is
    /// [`WalletError::CorruptRecord`] in `keys`; a store locked by another process is
    /// [`WalletError::Storage`]. A store written before credential summaries existed gets them
    /// now (see the module documentation).
    pub fn open(dir: &Path, passphrase: &str) -> Result<Wallet, WalletError> {
        if passphrase.is_empty() {
            return Err(WalletError::EmptyPassphrase);
        }
        let meta = Meta::read(dir)?;
        let kek = SecretKey::derive(passphrase, &meta.salt, &meta.params)?;
        let data_key = kek
            .unwrap_key(&meta.wrapped_data_key)
            .map_err(|_| WalletError::WrongPassphrase)?;
        drop(kek);

        let store = store_path(dir);
        if !store.is_dir() {
            return Err(WalletError::StoreMissing {
                dir: dir.to_path_buf(),
            });
        }
        let db = open_store(&store).map_err(|source| storage_error(dir, source))?;
        let keys = db
            .open_tree(KEYS_TREE)
            .map_err(|source| storage_error(dir, source))?;
        let sealed = keys
            .get(HOLDER_KEY_ID)
            .map_err(|source| storage_error(dir, source))?
            .ok_or_else(|| corrupt(KEYS_TREE, HOLDER_KEY_ID))?;
        let holder = decrypt_holder_key(&data_key, &sealed)?;
        let wallet = Self::assemble(dir, db, data_key, holder.public())?;
        wallet.ensure_summaries()?;
        Ok(wallet)
    }

    fn assemble(
        dir: &Path,
        db: sled::Db,
        data_key: SecretKey,
        holder_public: PublicJwk,
    ) -> Result<Wallet, WalletError> {
        let tree = |name| {
            db.open_tree(name)
                .map_err(|source| storage_error(dir, source))
        };
        Ok(Wallet {
            dir: dir.to_path_buf(),
            credentials: tree(CREDENTIALS_TREE)?,
            summaries: tree(SUMMARIES_TREE)?,
            history: tree(HISTORY_TREE)?,
            keys: tree(KEYS_TREE)?,
            db,
            data_key,
            holder_public,
        })
    }

    /// The wallet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The holder's private key, decrypted now.
    pub fn holder_key(&self) -> Result<PrivateJwk, WalletError> {
        let sealed = self
            .keys
            .get(HOLDER_KEY_ID)
            .map_err(|source| self.storage_error(source))?
            .ok_or_else(|| corrupt(KEYS_TREE, HOLDER_KEY_ID))?;
        decrypt_holder_key(&self.data_key, &sealed)
    }

    /// The holder's public key (credentials are bound to it through `cnf.jwk`).
    pub fn holder_public_key(&self) -> PublicJwk {
        self.holder_public
    }

    /// Stores a credential and its summary under a new random id, in one transaction; durable
    /// when this returns.
    pub fn put_credential(
        &self,
        credential: &StoredCredential,
    ) -> Result<CredentialId, WalletError> {
        let summary = CredentialSummary::of(credential);
        loop {
            let id = CredentialId::random();
            let sealed = self.seal_record(CREDENTIALS_TREE, id.as_bytes(), credential)?;
            let sealed_summary = self.seal_record(SUMMARIES_TREE, id.as_bytes(), &summary)?;
            let stored = (&self.credentials, &self.summaries).transaction(|(c, s)| {
                // A collision of 128 random bits will not happen, but never overwrite.
                if c.get(id.as_bytes())?.is_some() {
                    return Ok(false);
                }
                c.insert(id.as_bytes(), sealed.as_slice())?;
                s.insert(id.as_bytes(), sealed_summary.as_slice())?;
                Ok(true)
            });
            if self.committed(stored)? {
                self.flush()?;
                return Ok(id);
            }
        }
    }

    /// The credential stored under `id`.
    pub fn get_credential(&self, id: &CredentialId) -> Result<StoredCredential, WalletError> {
        let sealed = self
            .credentials
            .get(id.as_bytes())
            .map_err(|source| self.storage_error(source))?
            .ok_or(WalletError::CredentialNotFound { id: *id })?;
        self.open_record(CREDENTIALS_TREE, id.as_bytes(), &sealed)
    }

    /// Every stored credential in full, oldest `received_at` first (ties by id). This decrypts
    /// every SD-JWT: to show what the wallet holds, [`Wallet::list_summaries`] is much cheaper.
    pub fn list_credentials(&self) -> Result<Vec<(CredentialId, StoredCredential)>, WalletError> {
        let mut all = Vec::new();
        for entry in self.credentials.iter() {
            let (key, sealed) = entry.map_err(|source| self.storage_error(source))?;
            let id = CredentialId::from_key(&key).ok_or_else(|| corrupt(CREDENTIALS_TREE, &key))?;
            let credential: StoredCredential = self.open_record(CREDENTIALS_TREE, &key, &sealed)?;
            all.push((id, credential));
        }
        all.sort_by(|(a_id, a), (b_id, b)| a.received_at.cmp(&b.received_at).then(a_id.cmp(b_id)));
        Ok(all)
    }

    /// The summary of every stored credential, oldest `received_at` first (ties by id): what
    /// `dojang wallet list` shows, without decrypting the credentials themselves.
    ///
    /// Decryption dominates the cost (a few microseconds a summary), so a large wallet's
    /// summaries are decrypted on all cores.
    pub fn list_summaries(&self) -> Result<Vec<(CredentialId, CredentialSummary)>, WalletError> {
        let sealed = self
            .summaries
            .iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| self.storage_error(source))?;
        let open = |part: &[(sled::IVec, sled::IVec)]| {
            part.iter()
                .map(|(key, sealed)| {
                    let id =
                        CredentialId::from_key(key).ok_or_else(|| corrupt(SUMMARIES_TREE, key))?;
                    Ok((id, self.open_record(SUMMARIES_TREE, key, sealed)?))
                })
                .collect::<Result<Vec<(CredentialId, CredentialSummary)>, WalletError>>()
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(sealed.len() / SUMMARIES_PER_THREAD)
            .max(1);
        let mut all = if threads == 1 {
            open(&sealed)?
        } else {
            let parts: Vec<_> = std::thread::scope(|scope| {
                let running: Vec<_> = sealed
                    .chunks(sealed.len().div_ceil(threads))
                    .map(|part| scope.spawn(move || open(part)))
                    .collect();
                running
                    .into_iter()
                    .map(|thread| {
                        thread
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            });
            let mut all = Vec::with_capacity(sealed.len());
            for part in parts {
                all.extend(part?);
            }
            all
        };
        all.sort_by(|(a_id, a), (b_id, b)| a.received_at.cmp(&b.received_at).then(a_id.cmp(b_id)));
        Ok(all)
    }

    /// Deletes a credential and its summary, in one transaction; durable when this returns. sled
    /// may keep the old ciphertexts in its log until it reclaims the segment: they stay
    /// encrypted.
    pub fn remove_credential(&self, id: &CredentialId) -> Result<(), WalletError> {
        let removed = (&self.credentials, &self.summaries).transaction(|(c, s)| {
            let removed = c.remove(id.as_bytes())?.is_some();
            s.remove(id.as_bytes())?;
            Ok(removed)
        });
        if !self.committed(removed)? {
            return Err(WalletError::CredentialNotFound { id: *id });
        }
        self.flush()
    }

    /// Gives every credential its summary and drops summaries without a credential, unless the
    /// store says this was done (see the module documentation).
    fn ensure_summaries(&self) -> Result<(), WalletError> {
        let ready = self
            .keys
            .get(SUMMARIES_READY_ID)
            .map_err(|source| self.storage_error(source))?;
        if let Some(sealed) = ready {
            // Anything but our own sealed `true` is a corrupt record, as for the holder key.
            return match self.open_record::<bool>(KEYS_TREE, SUMMARIES_READY_ID, &sealed)? {
                true => Ok(()),
                false => Err(corrupt(KEYS_TREE, SUMMARIES_READY_ID)),
            };
        }
        for entry in self.credentials.iter() {
            let (key, sealed) = entry.map_err(|source| self.storage_error(source))?;
            let Some(id) = CredentialId::from_key(&key) else {
                continue;
            };
            let Ok(credential) =
                self.open_record::<StoredCredential>(CREDENTIALS_TREE, &key, &sealed)
            else {
                continue;
            };
            let summary = self.seal_record(
                SUMMARIES_TREE,
                id.as_bytes(),
                &CredentialSummary::of(&credential),
            )?;
            // `open` has not returned: nothing else writes to this store now.
            self.summaries
                .insert(id.as_bytes(), summary)
                .map_err(|source| self.storage_error(source))?;
        }
        for entry in self.summaries.iter() {
            let (key, _) = entry.map_err(|source| self.storage_error(source))?;
            let orphan = !self
                .credentials
                .contains_key(&key)
                .map_err(|source| self.storage_error(source))?;
            if orphan {
                self.summaries
                    .remove(&key)
                    .map_err(|source| self.storage_error(source))?;
            }
        }
        self.flush()?;
        let ready = self.seal_record(KEYS_TREE, SUMMARIES_READY_ID, &true)?;
        self.insert(&self.keys, SUMMARIES_READY_ID, ready)
    }

    /// The value of a transaction that cannot abort, or its storage error.
    fn committed<T>(
        &self,
        result: sled::transaction::TransactionResult<T, std::convert::Infallible>,
    ) -> Result<T, WalletError> {
        result.map_err(|e| match e {
            sled::transaction::TransactionError::Storage(source) => self.storage_error(source),
            sled::transaction::TransactionError::Abort(never) => match never {},
        })
    }

    /// Serialises, pads and encrypts a record bound to `(tree, id)`.
    pub(crate) fn seal_record<T: Serialize + ?Sized>(
        &self,
        tree: &'static str,
        id: &[u8],
        value: &T,
    ) -> Result<Vec<u8>, WalletError> {
        let mut plaintext = Zeroizing::new(Vec::with_capacity(4 * PAD_BLOCK));
        serde_json::to_writer(&mut *plaintext, value)
            .map_err(|source| WalletError::Encode { tree, source })?;
        let padded = plaintext.len().div_ceil(PAD_BLOCK).max(1) * PAD_BLOCK;
        // JSON allows trailing whitespace, so the padding needs no length field.
        plaintext.resize(padded, b' ');
        self.data_key
            .seal(&record_aad(tree, id), &plaintext)
            .map_err(|_| WalletError::Encrypt { tree })
    }

    /// Decrypts and decodes a record; any failure is [`WalletError::CorruptRecord`].
    pub(crate) fn open_record<T: DeserializeOwned>(
        &self,
        tree: &'static str,
        id: &[u8],
        sealed: &[u8],
    ) -> Result<T, WalletError> {
        let plaintext = self
            .data_key
            .open(&record_aad(tree, id), sealed)
            .map_err(|_| corrupt(tree, id))?;
        serde_json::from_slice(&plaintext).map_err(|_| corrupt(tree, id))
    }

    fn insert(&self, tree: &sled::Tree, key: &[u8], sealed: Vec<u8>) -> Result<(), WalletError> {
        tree.insert(key, sealed)
            .map_err(|source| self.storage_error(source))?;
        self.flush()
    }

    /// Makes every write so far durable (sled alone flushes only every 500 ms).
    pub(crate) fn flush(&self) -> Result<(), WalletError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|source| self.storage_error(source))
    }

    pub(crate) fn storage_error(&self, source: sled::Error) -> WalletError {
        storage_error(&self.dir, source)
    }
}

fn storage_error(dir: &Path, source: sled::Error) -> WalletError {
    WalletError::Storage {
        dir: dir.to_path_buf(),
        source,
    }
}

/// [`WalletError::CorruptRecord`] naming the record the way a person would look it up.
pub(crate) fn corrupt(tree: &'static str, key: &[u8]) -> WalletError {
    let id = match (tree, <[u8; 8]>::try_from(key)) {
        (HISTORY_TREE, Ok(counter)) => u64::from_be_bytes(counter).to_string(),
        _ if key.iter().all(u8::is_ascii_alphanumeric) && !key.is_empty() => {
            String::from_utf8_lossy(key).into_owned()
        }
        _ => hex(key),
    };
    WalletError::CorruptRecord { tree, id }
}

fn decrypt_holder_key(data_key: &SecretKey, sealed: &[u8]) -> Result<PrivateJwk, WalletError> {
    let plaintext = data_key
        .open(&record_aad(KEYS_TREE, HOLDER_KEY_ID), sealed)
        .map_err(|_| corrupt(KEYS_TREE, HOLDER_KEY_ID))?;
    let mut jwk: Value =
        serde_json::from_slice(&plaintext).map_err(|_| corrupt(KEYS_TREE, HOLDER_KEY_ID))?;
    let key = PrivateJwk::from_json(&jwk).map_err(|_| corrupt(KEYS_TREE, HOLDER_KEY_ID));
    wipe_private_member(&mut jwk);
    key
}

/// Overwrites the JWK's private member `d` in memory once it is no longer needed.
fn wipe_private_member(jwk: &mut Value) {
    if let Some(Value::String(d)) = jwk.get_mut("d") {
        d.zeroize();
    }
}

/// Opens the store, waiting up to two seconds for a lock that is being released: sled drops its
/// file lock from a background thread a moment after the last handle goes, so a wallet closed
/// and reopened at once (or a command started right after another) can find it still held. A
/// store really open in another process is still an error.
fn open_store(path: &Path) -> Result<sled::Db, sled::Error> {
    let start = std::time::Instant::now();
    loop {
        match sled::Config::new().path(path).open() {
            Err(sled::Error::Io(e))
                if (e.kind() == std::io::ErrorKind::WouldBlock
                    || e.to_string().contains("could not acquire lock"))
                    && start.elapsed() < std::time::Duration::from_secs(2) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

impl Drop for Wallet {
    /// sled may have created files (snapshots, segments) with the process umask while the wallet
    /// was open: tighten them before the process goes.
    fn drop(&mut self) {
        let _ = self.db.flush();
        let _ = crate::permissions::restrict(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_id_text_round_trip() {
        let id = CredentialId::random();
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(text.parse::<CredentialId>().unwrap(), id);
        assert_eq!(text.to_uppercase().parse::<CredentialId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<CredentialId>(&json).unwrap(), id);
        for bad in [
            "",
            "00",
            &text[..31],
            &format!("{text}0"),
            &format!("g{}", &text[1..]),
        ] {
            let err = bad.parse::<CredentialId>().unwrap_err();
            assert_eq!(err.code(), "invalid_credential_id");
        }
    }

    #[test]
    fn corrupt_record_ids_read_well() {
        let err = corrupt(HISTORY_TREE, &7u64.to_be_bytes());
        assert!(matches!(err, WalletError::CorruptRecord { tree: "history", ref id } if id == "7"));
        let err = corrupt(KEYS_TREE, HOLDER_KEY_ID);
        assert!(matches!(err, WalletError::CorruptRecord { ref id, .. } if id == "holder"));
        let err = corrupt(CREDENTIALS_TREE, &[0xab; 16]);
        assert!(matches!(err, WalletError::CorruptRecord { ref id, .. } if id == &"ab".repeat(16)));
    }

    #[test]
    fn stored_credential_debug_hides_content() {
        let credential = StoredCredential {
            sd_jwt: "eyJ.secret~".into(),
            vct: "urn:x".into(),
            issuer: "did:web:x".into(),
            issued_at: 1,
            expires_at: None,
            received_at: 2,
            label: "홍길동".into(),
            extra: serde_json::json!({"address": "서울"}),
        };
        let debug = format!("{credential:?}");
        assert!(!debug.contains("secret") && !debug.contains("홍길동") && !debug.contains("서울"));
        assert!(debug.contains("urn:x"));
    }
}
