//! The wallet's trust configuration: the ministry's pinned root key and the current trust list,
//! kept as plain files beside the encrypted store (both are public data).
//!
//! ```text
//! <dir>/trust-root.jwk   the root public key (Ed25519 JWK), pinned by the holder
//! <dir>/trust-list.jwt   the newest trust list installed, exactly as the root authority signed it
//! ```
//!
//! [`install_trust`] verifies a list against the root key before writing anything, and refuses
//! a list older than the one installed under the same root (rollback, `trust_list_rollback`).
//! [`load_trust`] verifies the installed list again on every use (its `exp` may have passed since),
//! so code that decides trust only ever sees a [`VerifiedTrustList`]. With a trust list:
//! - `import` and `receive` take a did:web issuer's key from it (and refuse an issuer that is not
//!   accredited for the credential's type);
//! - `respond` takes the relying party's name, request-signing keys and entitlements from it, and
//!   answers nobody who is not on it.

use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use dojang_did::PublicJwk;
use dojang_vc::trust_list::{verify_trust_list, VerifiedTrustList};
use dojang_vc::{Budget, Jws, JwtPart};
use serde_json::Value;

use crate::meta::meta_path;
use crate::{Wallet, WalletError};

/// The pinned root key's file inside the wallet directory.
pub const TRUST_ROOT_FILE: &str = "trust-root.jwk";
/// The installed trust list's file inside the wallet directory.
pub const TRUST_LIST_FILE: &str = "trust-list.jwt";
/// Budget: the largest root key file read (a JWK is about 100 bytes).
const MAX_ROOT_KEY_BYTES: u64 = 16 * 1024;
/// Budget: the largest trust list file read. A national list of a few thousand agencies and
/// institutions is a few megabytes; `Budget::max_trust_list_entries` bounds it again once parsed.
const MAX_TRUST_LIST_BYTES: u64 = 64 * 1024 * 1024;

/// Verifies `trust_list` against `root` (the eight steps of
/// [`verify_trust_list`](dojang_vc::trust_list::verify_trust_list)) and, only if it passes,
/// writes both into the wallet directory `dir`, durably (temporary file, fsync, rename, fsync of
/// the directory).
///
/// A list with a lower `seq` than the one already installed under the same root key is refused
/// (`trust_list_rollback`); the same `seq` again is accepted. `dir` must hold a wallet.
pub fn install_trust(
    dir: &Path,
    root: &PublicJwk,
    trust_list: &str,
    now: i64,
) -> Result<VerifiedTrustList, WalletError> {
    let exists = meta_path(dir)
        .try_exists()
        .map_err(|source| io_error(&meta_path(dir), source))?;
    if !exists {
        return Err(WalletError::NotInitialized {
            dir: dir.to_path_buf(),
        });
    }
    let token = trust_list.trim();
    let newest_seen = installed_seq_under(dir, root)?;
    let verified = verify_trust_list(token, root, now, newest_seen, &Budget::default())?;
    let root_text = match serde_json::to_string_pretty(&root.to_json()) {
        Ok(text) => text,
        Err(source) => {
            return Err(WalletError::Encode {
                tree: TRUST_ROOT_FILE,
                source,
            })
        }
    };
    // The list first, then the root: a crash in between leaves the old root with a list it does
    // not verify, which `load_trust` refuses rather than trusting anything.
    write_durably(dir, TRUST_LIST_FILE, format!("{token}\n").as_bytes())?;
    write_durably(dir, TRUST_ROOT_FILE, format!("{root_text}\n").as_bytes())?;
    Ok(verified)
}

/// The wallet's trust configuration, verified now: `None` when none was installed, the verified
/// list when both files are there. One file without the other is
/// [`WalletError::TrustIncomplete`]; an expired or otherwise invalid list is refused with the
/// trust list's own code (`trust_list_expired` …): install a newer one.
pub fn load_trust(dir: &Path, now: i64) -> Result<Option<VerifiedTrustList>, WalletError> {
    let root_path = dir.join(TRUST_ROOT_FILE);
    let list_path = dir.join(TRUST_LIST_FILE);
    let root = read_limited(&root_path, MAX_ROOT_KEY_BYTES)?;
    let list = read_limited(&list_path, MAX_TRUST_LIST_BYTES)?;
    let (root, list) = match (root, list) {
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(WalletError::TrustIncomplete { missing: list_path }),
        (None, Some(_)) => return Err(WalletError::TrustIncomplete { missing: root_path }),
        (Some(root), Some(list)) => (root, list),
    };
    let root = parse_root(&root_path, &root)?;
    let list = String::from_utf8(list).map_err(|_| WalletError::CorruptMeta {
        path: list_path.clone(),
        reason: "the installed trust list is not UTF-8",
    })?;
    let verified = verify_trust_list(list.trim(), &root, now, None, &Budget::default())?;
    Ok(Some(verified))
}

impl Wallet {
    /// [`install_trust`] into this wallet's directory.
    pub fn install_trust(
        &self,
        root: &PublicJwk,
        trust_list: &str,
        now: i64,
    ) -> Result<VerifiedTrustList, WalletError> {
        install_trust(self.dir(), root, trust_list, now)
    }

    /// [`load_trust`] from this wallet's directory.
    pub fn trust(&self, now: i64) -> Result<Option<VerifiedTrustList>, WalletError> {
        load_trust(self.dir(), now)
    }
}

/// The `seq` of the installed list if it was installed under `root`, for the rollback check. The
/// installed list was verified when it was written; here only its number is read.
fn installed_seq_under(dir: &Path, root: &PublicJwk) -> Result<Option<u64>, WalletError> {
    let root_path = dir.join(TRUST_ROOT_FILE);
    let (Some(installed_root), Some(list)) = (
        read_limited(&root_path, MAX_ROOT_KEY_BYTES)?,
        read_limited(&dir.join(TRUST_LIST_FILE), MAX_TRUST_LIST_BYTES)?,
    ) else {
        return Ok(None);
    };
    if parse_root(&root_path, &installed_root)? != *root {
        // A new root (reconfiguration): its lists number from wherever it starts.
        return Ok(None);
    }
    let seq = std::str::from_utf8(&list)
        .ok()
        .and_then(|text| Jws::parse(text.trim(), &Budget::default(), JwtPart::Issuer).ok())
        .and_then(|jws| jws.unverified_payload().get("seq").and_then(Value::as_u64));
    Ok(seq)
}

fn parse_root(path: &Path, bytes: &[u8]) -> Result<PublicJwk, WalletError> {
    let corrupt = |reason| WalletError::CorruptMeta {
        path: path.to_path_buf(),
        reason,
    };
    let json: Value =
        serde_json::from_slice(bytes).map_err(|_| corrupt("the pinned root key is not JSON"))?;
    PublicJwk::from_json(&json)
        .map_err(|_| corrupt("the pinned root key is not a public Ed25519 JWK"))
}

/// The file's bytes, `None` if it does not exist; larger than `max` is refused.
fn read_limited(path: &Path, max: u64) -> Result<Option<Vec<u8>>, WalletError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, e)),
    };
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > max {
        return Err(WalletError::CorruptMeta {
            path: path.to_path_buf(),
            reason: "larger than the wallet reads",
        });
    }
    Ok(Some(bytes))
}

fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), WalletError> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let mut out = crate::permissions::private_file()
        .open(&tmp)
        .map_err(|e| io_error(&tmp, e))?;
    out.write_all(bytes).map_err(|e| io_error(&tmp, e))?;
    out.sync_all().map_err(|e| io_error(&tmp, e))?;
    drop(out);
    fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))?;
    sync_dir(dir).map_err(|e| io_error(dir, e))
}

fn io_error(path: &Path, source: std::io::Error) -> WalletError {
    WalletError::Io {
        path: PathBuf::from(path),
        source,
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
