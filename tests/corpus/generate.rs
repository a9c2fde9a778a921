//! `gen-corpus`: writes the adversarial corpus, `tests/corpus/cases/NNN-name.json`, and its index
//! `tests/corpus/README.md`, from `cases.rs`. Deterministic: the same files on every run.
//! `tests/tests/corpus.rs` fails when the committed files and this generator disagree.
//!
//! Run from anywhere: `cargo run -p dojang-tests --bin gen-corpus`.

#[path = "cases.rs"]
mod cases;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let dir = root.join("cases");
    let built = cases::build();
    let result = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        // Remove files the generator no longer makes.
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                std::fs::remove_file(&path)?;
            }
        }
        for case in &built {
            std::fs::write(dir.join(&case.file), &case.text)?;
        }
        std::fs::write(root.join("README.md"), cases::readme(&built))?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            println!("wrote {} cases to {}", built.len(), dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-corpus: {e}");
            ExitCode::FAILURE
        }
    }
}
