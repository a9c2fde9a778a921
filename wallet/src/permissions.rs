//! The wallet's files are its owner's alone: the directories 0700, every file 0600.
//!
//! The directory mode is what keeps other local users out (they cannot open anything inside);
//! the file modes are a second fence, also for copies of the directory. sled creates its files
//! with the process umask, so they are tightened after the store is opened and when the wallet
//! is closed.

use std::path::Path;

/// Owner-only modes for `dir` and everything below it (best effort on files that vanish while
/// walking, such as sled snapshots being replaced).
pub(crate) fn restrict(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(dir)? {
            let Ok(entry) = entry else { continue };
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                restrict(&path)?;
            } else if kind.is_file() {
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Options for a new file that only its owner may read or write.
pub(crate) fn private_file() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}
