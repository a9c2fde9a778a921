//! Test support: the files of the workspace's shared test data (`tests/corpus`, `tests/vectors`),
//! for the differential tests of the parser and the claim walk.

use std::path::{Path, PathBuf};

/// Every file under each of `dirs` (relative to the workspace's `tests/` folder), sorted.
pub(crate) fn files_under(dirs: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let mut files = Vec::new();
    for dir in dirs {
        walk(&root.join(dir), &mut files);
    }
    files.sort();
    files
}
