//! Opening the agency's sled database.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::IssuerError;

/// How long to wait for another handle's lock to go away. sled releases its file lock from a
/// background thread a moment after the last handle is dropped, so a process that closes and
/// reopens its database (or a command started right after another ends) can find it still held.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens (or creates) the database at `path`, waiting up to two seconds for a lock that is
/// being released. A database really in use by another process is still an error.
pub fn open_db(path: &Path) -> Result<sled::Db, IssuerError> {
    let start = Instant::now();
    loop {
        match sled::open(path) {
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
