//! Opening the agency's sled database.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::IssuerError;

/// How long to wait for another handle's lock to go away. sled releases its file lock from a
/// background thread a moment after the last handle is dropped, so a process that closes and
/// reopens its database (or a command started right after another ends) can find it still held.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// sled's page cache, bytes. sled's default is 1 GiB, which a long issuance run fills: a 300 s
/// soak of the credential endpoint grew the service to 810 MB resident. sled counts the cache in
/// on-disk bytes and keeps several times that in memory, so the cap is small: side by side,
/// 120 s of `dojang load issuer` at 64 connections (96,000 credentials) ended at 173 MiB with
/// 16 MiB and at 267 MiB with 64 MiB, at the same throughput (800/s and 803/s). The hot data
/// (offers and tokens being redeemed, the status list in use, the log's right edge) is a small
/// part of the database; what is not cached is read back from disk.
pub(crate) const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// Opens (or creates) the database at `path` with a page cache of `CACHE_BYTES`, waiting up
/// to two seconds for a lock that is being released. A database really in use by another
/// process is still an error.
pub fn open_db(path: &Path) -> Result<sled::Db, IssuerError> {
    let start = Instant::now();
    loop {
        match sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .open()
        {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e)) if is_lock_held(&e) && start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(source) => return Err(IssuerError::Storage { source }),
        }
    }
}

/// sled 0.34 reports a held lock as `Other` with the text "could not acquire lock"; newer
/// versions may say `WouldBlock`.
fn is_lock_held(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}
