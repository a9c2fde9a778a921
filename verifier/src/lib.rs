//! # dojang-verifier: the relying party's verification pipeline
//!
//! A bank or office verifies a presented SD-JWT VC offline, without calling the issuer. The
//! pipeline is [`verify`]; its steps are the files of this crate, in order:
//!
//! 1. `parse.rs`: split and decode within the [`dojang_vc::Budget`];
//! 2. `header.rs`: `typ`, the claimed `iss` and `vct`, and a `kid` that belongs to `iss`;
//! 3. `trust.rs`: is this issuer trusted for this type, and with which key ([`IssuerTrust`]);
//! 4. `signature.rs`: the issuer signature, with the policy's algorithms only;
//! 5. `validity.rs`: `exp`, `nbf`, `iat`, freshness, accepted types;
//! 6. `disclosures.rs`: RFC 9901 §7.1, every digest and Disclosure accounted for;
//! 7. `status.rs`: the credential's entry in its issuer's status list (revoked, suspended, or
//!    "cannot decide" when the list is missing or stale: never silently valid);
//! 8. `log_inclusion.rs`: the credential is in its issuer's transparency log (when required);
//! 9. `binding.rs`: the KB-JWT (RFC 9901 §7.3) and the single-use nonce ([`NonceStore`]).
//!
//! A verified result carries its provenance (`provenance.rs`): root → trust list
//! (`trust_list.rs`) → issuer → key → credential → status → log inclusion.
//!
//! Everything it depends on is an explicit input ([`Inputs`]): trust, [`Policy`], challenge and
//! clock. The result is a [`Verified<Presentation>`], which only this crate can construct, with a
//! [`Report`] of every check either way. Nothing here logs a claim value.

mod audit;
mod binding;
mod challenge;
mod disclosures;
mod error;
mod header;
pub mod http;
mod log_inclusion;
mod nonce_store;
mod parse;
mod pipeline;
mod policy;
mod provenance;
mod report;
mod signature;
mod status;
mod trust;
mod trust_list;
mod validity;
mod verified;
pub mod workload;

pub use audit::{
    check_consistency, check_signatures, reconcile, verify_inclusion, ConsistencyReport, Counts,
    DuplicateLeaves, DuplicateRecords, InclusionChecked, Mismatch, ReconcileReport, RecordView,
    UnloggedRecord, UnrecordedLeaf,
};
pub use challenge::{fresh_nonce, Challenge, MemoryNonceStore, NonceStore};
pub use error::VerifyError;
pub use nonce_store::SledNonceStore;
pub use pipeline::{verify, verify_many, Inputs, Outcome};
pub use policy::Policy;
pub use provenance::ProvenanceEntry;
pub use report::{Check, Report};
pub use status::{check as check_status, StatusChecked, StatusListCache};
pub use trust::{IssuerTrust, TrustedIssuers};
pub use trust_list::{SeenSequence, TrustListTrust};
pub use verified::{Presentation, Verified};
