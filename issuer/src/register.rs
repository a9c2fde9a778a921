//! The issuer's register: the file format a registry hands over ([`RegisterFile`]), its
//! validation, the sled store ([`Register`]) and the builders that turn a person's records into
//! the credential types of `dojang_vc::credentials`.
//!
//! Ids, never RRNs, identify persons and households (`P000001`, `H000001`); every error names
//! ids only, and nothing in this module logs.

mod certificates;
mod file;
mod store;

pub use file::{
    FamilyLinks, FamilyRelations, HouseholdEntry, ImportSummary, Marriage, MarriageLink,
    MemberEntry, ParentChild, PersonEntry, RegisterFile, ResidenceEntry, REGISTER_FORMAT,
};
pub use store::{PreparedReplace, Register};

pub(crate) use file::{is_register_id, shown_id};
