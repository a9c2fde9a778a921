//! The wallet's plaintext metadata file and the directory layout.
//!
//! ```text
//! <dir>/wallet-meta.json   plaintext: format, version, Argon2id salt and costs, wrapped data key
//! <dir>/store/             the sled database; every value in it is encrypted
//! ```
//!
//! The metadata is a file beside the database rather than a record inside it because opening a
//! sled database writes to it (sled extends its segment file and writes a snapshot on every
//! open). Keeping what `open` needs to check the passphrase outside sled means a wrong passphrase
//! is rejected before the database is touched, so it changes nothing on disk. The file holds
//! nothing secret: the salt and costs are public inputs to Argon2id and the data key is encrypted.

use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::crypto::{KdfParams, SALT_LEN};
use crate::WalletError;

/// Name of the metadata file inside the wallet directory.
pub(crate) const META_FILE: &str = "wallet-meta.json";
/// Name of the sled database directory inside the wallet directory.
pub(crate) const STORE_DIR: &str = "store";
/// The `format` member: identifies the file.
const FORMAT: &str = "dojang-wallet";
/// The on-disk format version this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Budget: the largest metadata file `open` reads. A real one is about 300 bytes; the ceiling
/// keeps a planted multi-gigabyte file from being read into memory.
const MAX_META_BYTES: u64 = 16 * 1024;
/// The Argon2 version number stored (0x13, the RFC 9106 version).
const ARGON2_VERSION: u32 = 0x13;

/// What the metadata file holds, decoded.
pub(crate) struct Meta {
    pub(crate) params: KdfParams,
    pub(crate) salt: [u8; SALT_LEN],
    pub(crate) wrapped_data_key: Vec<u8>,
}

/// Read first, to choose how to read the rest.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaFile {
    format: String,
    version: u32,
    kdf: KdfRecord,
    /// base64url(nonce ‖ ciphertext ‖ tag) of the data key under the passphrase-derived key.
    wrapped_data_key: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfRecord {
    algorithm: String,
    argon2_version: u32,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    /// base64url, no padding.
    salt: String,
}

pub(crate) fn meta_path(dir: &Path) -> PathBuf {
    dir.join(META_FILE)
}

pub(crate) fn store_path(dir: &Path) -> PathBuf {
    dir.join(STORE_DIR)
}

impl Meta {
    /// Reads and checks `<dir>/wallet-meta.json`; a missing file is [`WalletError::NotInitialized`].
    pub(crate) fn read(dir: &Path) -> Result<Self, WalletError> {
        let path = meta_path(dir);
        let io_err = |source| WalletError::Io {
            path: path.clone(),
            source,
        };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(WalletError::NotInitialized {
                    dir: dir.to_path_buf(),
                })
            }
            Err(e) => return Err(io_err(e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_META_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io_err)?;
        let corrupt = |reason| WalletError::CorruptMeta {
            path: path.clone(),
            reason,
        };
        if bytes.len() as u64 > MAX_META_BYTES {
            return Err(corrupt("larger than MAX_META_BYTES"));
        }

        let header: Header =
            serde_json::from_slice(&bytes).map_err(|_| corrupt("not a wallet metadata file"))?;
        if header.format != FORMAT {
            return Err(corrupt("not a wallet metadata file"));
        }
        if header.version != FORMAT_VERSION {
            return Err(WalletError::UnsupportedVersion {
                found: header.version,
                supported: FORMAT_VERSION,
            });
        }
        let file: MetaFile =
            serde_json::from_slice(&bytes).map_err(|_| corrupt("malformed metadata"))?;
        if file.kdf.algorithm != "argon2id" || file.kdf.argon2_version != ARGON2_VERSION {
            return Err(corrupt("unsupported key-derivation function"));
        }
        let params = KdfParams::new(file.kdf.m_cost_kib, file.kdf.t_cost, file.kdf.p_cost)
            .map_err(|_| corrupt("key-derivation costs outside the wallet's budgets"))?;
        let salt = B64
            .decode(&file.kdf.salt)
            .ok()
            .and_then(|salt| <[u8; SALT_LEN]>::try_from(salt).ok())
            .ok_or_else(|| corrupt("salt is not 16 base64url bytes"))?;
        let wrapped_data_key = B64
            .decode(&file.wrapped_data_key)
            .map_err(|_| corrupt("wrapped data key is not base64url"))?;
        Ok(Self {
            params,
            salt,
            wrapped_data_key,
        })
    }

    /// Writes `<dir>/wallet-meta.json` durably: a temporary file, fsync, rename, fsync of the
    /// directory. Its presence marks the wallet as complete, so `init` writes it last.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), WalletError> {
        let file = MetaFile {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            kdf: KdfRecord {
                algorithm: "argon2id".to_owned(),
                argon2_version: ARGON2_VERSION,
                m_cost_kib: self.params.m_cost_kib(),
                t_cost: self.params.t_cost(),
                p_cost: self.params.p_cost(),
                salt: B64.encode(self.salt),
            },
            wrapped_data_key: B64.encode(&self.wrapped_data_key),
        };
        let mut json = serde_json::to_vec_pretty(&file).map_err(|source| WalletError::Encode {
            tree: META_FILE,
            source,
        })?;
        json.push(b'\n');

        let path = meta_path(dir);
        let tmp = dir.join(format!("{META_FILE}.tmp"));
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WalletError::Io { path, source }
        };
        let mut out = crate::permissions::private_file()
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        out.write_all(&json).map_err(io_err(&tmp))?;
        out.sync_all().map_err(io_err(&tmp))?;
        drop(out);
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        sync_dir(dir).map_err(io_err(dir))
    }
}

/// Makes a rename inside `dir` durable (POSIX needs an fsync of the directory itself).
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows cannot open a directory as a file; renames there are made durable by the file system.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
