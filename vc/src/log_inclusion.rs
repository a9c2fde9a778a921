//! The bundle a wallet keeps beside a credential so that a verifier can check offline that the
//! issuer logged it: the leaf, its inclusion proof, and the signed checkpoint it leads to.

use serde::{Deserialize, Serialize};

use crate::log::{InclusionProof, LogLeaf};

/// A credential's proof of inclusion in its issuer's transparency log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogInclusion {
    /// The credential's leaf.
    pub leaf: LogLeaf,
    /// The audit path from the leaf to the checkpoint's root.
    pub proof: InclusionProof,
    /// The issuer-signed checkpoint (`checkpoint+jwt`).
    pub checkpoint: String,
}
