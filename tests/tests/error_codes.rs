//! Every error code a crate can return is documented in `specs/errors.md` (drift check).

use std::path::Path;

const ERROR_SOURCES: &[&str] = &[
    "did/src/error.rs",
    "vc/src/error.rs",
    "vc/src/credentials/common.rs",
    "vc/src/credentials/rrn.rs",
    "verifier/src/error.rs",
    "wallet/src/error.rs",
    "issuer/src/error.rs",
    "issuer/src/http/error.rs",
    "verifier/src/http/error.rs",
    "cli/src/error.rs",
];

/// The string literals returned by the `fn code(&self)` bodies of a source file.
fn codes_in(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("fn code(&self)") {
        let body = &rest[start..];
        let end = body.find("\n    }").unwrap_or(body.len());
        for piece in body[..end].split("=> \"").skip(1) {
            if let Some(code) = piece.split('"').next() {
                out.push(code.to_owned());
            }
        }
        rest = &body[end..];
    }
    out
}

#[test]
fn every_code_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("specs/errors.md")).expect("specs/errors.md");
    let mut total = 0;
    let mut missing = Vec::new();
    for file in ERROR_SOURCES {
        let source = std::fs::read_to_string(root.join(file)).expect(file);
        let codes = codes_in(&source);
        assert!(!codes.is_empty(), "{file}: no fn code(&self) found");
        for code in codes {
            total += 1;
            if !doc.contains(&format!("`{code}`")) {
                missing.push(format!("{file}: {code}"));
            }
        }
    }
    assert!(total > 100, "only {total} codes found: is the scan broken?");
    assert!(missing.is_empty(), "undocumented codes: {missing:#?}");
}
