//! Korean civil-registry credential types, as SD-JWT VC claim sets.
//!
//! Three types, each a serde struct whose [`CredentialType::to_claims`] gives the claims that
//! issuance turns into an SD-JWT VC (it adds `iss`, `iat`, `exp`, `vct`, `cnf` and `status`):
//!
//! | type | 한국어 | `vct` |
//! |---|---|---|
//! | [`ResidentRegistrationCopy`] | 주민등록표 등본 | `urn:dojang:kr:resident-registration-copy:1` |
//! | [`ResidentRegistrationAbstract`] | 주민등록표 초본 | `urn:dojang:kr:resident-registration-abstract:1` |
//! | [`FamilyRelationCertificate`] | 가족관계증명서 (일반/상세) | `urn:dojang:kr:family-relation-certificate:1` |
//!
//! Rules shared by all three (written down in `specs/credentials/`):
//!
//! - Claim names are English snake_case; values are exactly what the register holds (Hangul,
//!   Hanja, UTF-8, never normalised). Codes this system defines (`sex`, `certificate_kind`,
//!   `event`, `item`) are English snake_case; register text (relations, change reasons) is Korean.
//! - Every credential carries the holder claims `name`, `name_hanja` (when the register has it),
//!   `rrn`, `birth_date` (`YYYY-MM-DD`) and `age_over_19` (computed on the issue date), so a
//!   verifier can ask for just those.
//! - Top-level claims named in [`ALWAYS_VISIBLE`] carry no personal data and are plain claims;
//!   every other claim is selectively disclosable, recursively, array elements one by one.
//! - Nothing here prints personal data: [`Rrn`] prints masked, and the `Debug` of every type
//!   that holds a person shows only non-personal fields.
//!
//! Pure code: no I/O, no clock (the issue date is passed in).

use serde_json::{Map, Value};

/// Implements `Debug` printing only the named (non-personal) fields.
macro_rules! redacted_debug {
    ($ty:ident $(, $field:ident)*) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}

pub mod claim_date;
mod common;
mod family_relation_certificate;
mod resident_registration_abstract;
mod resident_registration_copy;
mod rrn;

pub use common::{Address, CredentialError, DocumentNumber};
pub use family_relation_certificate::{
    CertificateKind, FamilyMember, FamilyRelationCertificate, PastRelation, RelationEvent,
};
pub use resident_registration_abstract::{
    AddressHistoryEntry, PersonalDetail, PersonalDetailChange, ResidentRegistrationAbstract,
};
pub use resident_registration_copy::{HouseholdMember, ResidentRegistrationCopy};
pub use rrn::{age_on, age_over_19, mask_rrn_text, Rrn, RrnError, Sex, ADULT_AGE};

/// Top-level claims that carry no personal data and are never selectively disclosable: the
/// 발급번호 an office writes on its forms, the issuing office's name, and 일반/상세.
///
/// Issuance makes every other claim disclosable (recursively, array elements one by one).
pub const ALWAYS_VISIBLE: &[&str] = &["document_number", "issuing_office", "certificate_kind"];

/// The 세대주와의 관계 the register writes for the head of household: 본인.
pub const HEAD_RELATION: &str = "본인";

/// The `vct` values of every credential type, for trust lists and type dispatch.
pub const ALL_VCTS: &[&str] = &[
    ResidentRegistrationCopy::VCT,
    ResidentRegistrationAbstract::VCT,
    FamilyRelationCertificate::VCT,
];

/// What every credential type offers to issuance, wallets and verifiers.
pub trait CredentialType {
    /// The SD-JWT VC `vct`.
    const VCT: &'static str;
    /// Korean display name (e.g. 주민등록표 등본).
    const NAME_KO: &'static str;
    /// English display name.
    const NAME_EN: &'static str;

    /// The claims of the credential, without `iss`, `iat`, `exp`, `vct`, `cnf` and `status`
    /// (issuance adds those). Member order is fixed: [`ALWAYS_VISIBLE`] claims, the holder
    /// claims, then the type's own.
    fn to_claims(&self) -> Map<String, Value>;

    /// Checks the claims' consistency (RRN against birth date and sex, dates in order, the
    /// type's structural rules). Issuance calls it before signing.
    fn validate(&self) -> Result<(), CredentialError>;
}

#[cfg(test)]
mod tests;
