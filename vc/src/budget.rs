//! Named resource budgets: every limit on untrusted input, with the reason for its number.

use crate::VcError;

/// Limits applied while parsing and processing untrusted SD-JWTs.
///
/// Each field is checked before the work it bounds is done, and each has a test that exceeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Bytes of the whole compact presentation. A 등본 for a household of six with every
    /// disclosure and decoys is about 12 KiB; 256 KiB leaves room for twenty times that while
    /// bounding memory per request.
    pub max_input_bytes: usize,
    /// Disclosures in one SD-JWT. The largest schema (상세 가족관계증명서, many children) has
    /// under 200; 512 bounds the hashing and lookup work per presentation.
    pub max_disclosures: usize,
    /// Nesting of JSON arrays and objects in any one header, payload or disclosure. Our schemas
    /// nest at most 5 deep; 32 stops stack exhaustion and quadratic walks long before serde_json's
    /// own limit of 128.
    pub max_json_depth: usize,
    /// Disclosures nested inside disclosures (a claim inside a disclosed object inside …).
    /// Our schemas need 4; 16 bounds recursion when processing.
    pub max_disclosure_depth: usize,
    /// Digests in one `_sd` array. Real objects have a few dozen members plus decoys; 1024 bounds
    /// the per-object work.
    pub max_sd_digests: usize,
    /// Bytes of a status list once inflated. A 2-bit list of 2^20 entries is 256 KiB; 4 MiB
    /// allows 8-bit lists of 4 Mi entries and stops a compression bomb (a few KiB of zlib that
    /// would inflate to gigabytes) before it costs memory.
    pub max_status_list_bytes: usize,
    /// Entries in a trust list (issuers plus relying parties). A national list has a few thousand
    /// agencies and institutions; 100,000 bounds parsing and lookup.
    pub max_trust_list_entries: usize,
    /// Hashes in one Merkle proof. A log of 2^64 leaves needs at most 64 for inclusion and about
    /// 128 for consistency.
    pub max_proof_hashes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_input_bytes: 256 * 1024,
            max_disclosures: 512,
            max_json_depth: 32,
            max_disclosure_depth: 16,
            max_sd_digests: 1024,
            max_status_list_bytes: 4 * 1024 * 1024,
            max_trust_list_entries: 100_000,
            max_proof_hashes: 130,
        }
    }
}

impl Budget {
    /// Whether an input of `bytes` bytes is within [`Budget::max_input_bytes`]
    /// (`limit_exceeded` with `input_bytes` when it is not).
    pub fn check_input_bytes(&self, bytes: usize) -> Result<(), VcError> {
        Self::check("input_bytes", self.max_input_bytes, bytes)
    }

    pub(crate) fn check(limit: &'static str, max: usize, actual: usize) -> Result<(), VcError> {
        if actual > max {
            Err(VcError::LimitExceeded { limit, max, actual })
        } else {
            Ok(())
        }
    }
}
