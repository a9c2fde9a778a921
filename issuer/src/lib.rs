//! # dojang-issuer: the issuing agency
//!
//! A 구청 or court registry office issues credentials from its own register. This crate holds:
//! - the register ([`Register`]): persons, households and family relations in sled, imported
//!   from a [`RegisterFile`] (`specs/register-format.md`), and the builders of the three
//!   credential types of [`dojang_vc::credentials`];
//! - a deterministic synthetic register [`generate`]d from a seed, for demos, tests and load;
//! - issuance ([`Issuer`]): a certificate built from the register, signed as an SD-JWT VC by an
//!   [`IssuerSigner`] (a 0600 key file today, a KMS or HSM later), recorded durably
//!   ([`Records`]) before it is handed out; in batches ([`Issuer::issue_batch`]: one
//!   transaction and one flush for many credentials, signed on every core), and through a
//!   [`GroupCommitter`] that lets concurrent callers share them;
//! - the HTTP service ([`http`]): OpenID4VCI 1.0 for wallets, status lists and log proofs for
//!   verifiers and auditors, an admin API for the agency;
//! - the crate's one error type, [`IssuerError`].
//!
//! Persons are keyed by register ids (`P000001`), never by resident registration number, and no
//! error or log line carries personal data.

mod error;
mod events;
mod generator;
mod group_commit;
pub mod http;
mod issuance;
mod lifecycle;
mod log;
mod records;
mod register;
mod signer;
mod status;
mod storage;

pub use error::IssuerError;
pub use events::{apply_event, EventEffect, RegisterEvent, StaleSet};
pub use generator::{generate, SYNTHETIC_REFERENCE_DATE};
pub use group_commit::{AfterCommit, Answer, CommitStats, Committed, GroupCommitter};
pub use issuance::{
    Certificate, IssuancePolicy, IssueRequest, IssuedCredential, Issuer, IssuerIdentity,
};
pub use lifecycle::{EventOutcome, LogInclusion, StatusChange};
pub use log::TransparencyLog;
pub use records::{IssuanceRecord, Records};
pub use register::{
    FamilyLinks, FamilyRelations, HouseholdEntry, ImportSummary, Marriage, MarriageLink,
    MemberEntry, ParentChild, PersonEntry, PreparedReplace, Register, RegisterFile, ResidenceEntry,
    REGISTER_FORMAT,
};
pub use signer::{read_private_jwk, write_private_jwk, FileSigner, IssuerSigner};
pub use status::{ListMeta, StatusLists, StatusRef, LIST_SIZE, STATUS_BITS};
pub use storage::open_db;
