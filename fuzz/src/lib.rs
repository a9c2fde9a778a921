//! # dojang-fuzz: shared fixtures and seed corpora for the cargo-fuzz targets
//!
//! Every fuzz target calls the public API the way the services, the wallet and the CLI do. What
//! the targets need besides the fuzzer's bytes lives here:
//!
//! - [`fixtures`]: fixed keys (`SigningKey::from_bytes(&[n; 32])`, the same seeds as the
//!   adversarial corpus: issuer 1, holder 2, root 4) and the inputs built from them: the
//!   verifier's workload (a trust list, a status list, a policy and a challenge, as
//!   `dojang_verifier::workload::Workload` makes them but with fixed keys) and a valid
//!   presentation for it. Fixed keys make a presentation written as a seed by one process verify
//!   in the next, so the fuzzer starts from inputs that reach the end of the pipeline.
//! - [`seeds`]: the seed corpus of each target, built from `tests/vectors/**`, `tests/corpus/**`
//!   and the fixtures, written when the environment variable [`seeds::SEED_DIR_ENV`] names a
//!   directory (`scripts/fuzz` does that before each run).
//!
//! Nothing here is a secret: every key is derived from a one-byte seed.

#![forbid(unsafe_code)]

pub mod fixtures;
pub mod seeds;

/// Splits a fuzz input into a mode (its first byte, modulo `modes`) and the rest.
pub fn split_mode(data: &[u8], modes: u8) -> Option<(u8, &[u8])> {
    let (&first, rest) = data.split_first()?;
    Some((first % modes, rest))
}

/// A fuzz input with a mode byte in front, for seed files.
pub fn with_mode(mode: u8, rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rest.len() + 1);
    out.push(mode);
    out.extend_from_slice(rest);
    out
}
