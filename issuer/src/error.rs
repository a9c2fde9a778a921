//! The one error type of this crate.

use std::path::PathBuf;

use dojang_vc::credentials::{CredentialError, RrnError};

/// Why the issuer could not do what was asked.
///
/// Every variant names register ids (`P000001`, `H000001`), never a resident registration number
/// or other personal data: these errors are printed and logged. Each has a stable snake_case
/// [`IssuerError::code`] for CLI and HTTP output. `Clone`, so that a batch's failure can be
/// handed to every caller waiting on the batch.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// The embedded database failed.
    #[error("storage error: {source}")]
    Storage {
        /// The sled error.
        #[from]
        source: sled::Error,
    },
    /// Stored bytes do not decode (the database was changed behind the issuer's back).
    #[error("corrupt {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why it does not decode (never the stored value).
        reason: String,
    },
    /// A register file could not be read or written.
    #[error("register file {path}: {reason}")]
    RegisterFileIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// A register file is not JSON of the register format. Only the position is reported: a
    /// parser message could quote a value from the file.
    #[error("register file is not a valid register at line {line}, column {column}")]
    RegisterFileSyntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The register file declares a format this version does not read.
    #[error("register format `{found}` is not supported (expected `{expected}`)")]
    UnsupportedRegisterFormat {
        /// The `format` member found.
        found: String,
        /// The format this version reads.
        expected: &'static str,
    },
    /// A register id is malformed (it must start with an ASCII letter; see the register format).
    /// The id itself is not printed: a malformed id may be personal data put in the wrong place.
    #[error("the {kind} at index {index} has a malformed id")]
    InvalidId {
        /// `person` or `household`.
        kind: &'static str,
        /// 0-based position in the file's list.
        index: usize,
    },
    /// Two entries of the same kind share an id.
    #[error("duplicate {kind} id {id}")]
    DuplicateId {
        /// `person` or `household`.
        kind: &'static str,
        /// The repeated id.
        id: String,
    },
    /// A person's 주민등록번호 is invalid.
    #[error("person {person_id} has an invalid RRN: {source}")]
    InvalidRrn {
        /// The person.
        person_id: String,
        /// Why (carries no digits).
        #[source]
        source: RrnError,
    },
    /// Two persons have the same 주민등록번호.
    #[error("persons {first} and {second} have the same RRN")]
    DuplicateRrn {
        /// The first person with it.
        first: String,
        /// The second.
        second: String,
    },
    /// An entry refers to a person or household the register does not have.
    #[error("{from} refers in `{field}` to {missing}, which is not in the register")]
    DanglingReference {
        /// The entry holding the reference (a person or household id, or `family`).
        from: String,
        /// The member holding it.
        field: &'static str,
        /// The missing id (masked when it is not even shaped like an id).
        missing: String,
    },
    /// An entry breaks a rule of the register format.
    #[error("{id}: {reason}")]
    InconsistentRegister {
        /// The person, household or relation concerned.
        id: String,
        /// The rule that is broken.
        reason: &'static str,
    },
    /// No person with this id.
    #[error("no person {person_id} in the register")]
    PersonNotFound {
        /// The id asked for.
        person_id: String,
    },
    /// The person has no resident registration with this office (no household, no address).
    #[error("person {person_id} has no resident registration here")]
    NotResident {
        /// The person.
        person_id: String,
    },
    /// The person has no family-relation registration (no 등록기준지, e.g. a foreign resident).
    #[error("person {person_id} has no family-relation registration")]
    NoFamilyRegistration {
        /// The person.
        person_id: String,
    },
    /// The person is deceased: no credential is issued to them.
    #[error("person {person_id} is deceased")]
    PersonDeceased {
        /// The person.
        person_id: String,
    },
    /// No household with this id.
    #[error("no household {household_id} in the register")]
    HouseholdNotFound {
        /// The id asked for (masked when it is not shaped like an id).
        household_id: String,
    },
    /// A register event (move-in, marriage, birth, death) contradicts the register; nothing was
    /// changed.
    #[error("{event} refused for {id}: {reason}")]
    EventRefused {
        /// `move_in`, `marriage`, `birth` or `death`.
        event: &'static str,
        /// The person or household concerned (never an RRN or a name).
        id: String,
        /// The rule that is broken.
        reason: &'static str,
    },
    /// A credential type (`vct`) this issuer does not build.
    #[error("unknown credential type `{vct}`")]
    UnknownCredentialType {
        /// The `vct` asked for (at most 64 characters of it).
        vct: String,
    },
    /// The credential built from the register is inconsistent, or an argument (document number)
    /// is malformed.
    #[error("credential refused: {source}")]
    Credential {
        /// What is wrong.
        #[from]
        source: CredentialError,
    },
    /// Signing or encoding the SD-JWT VC failed.
    #[error("signing failed: {source}")]
    Signing {
        /// The format's error.
        #[from]
        source: dojang_vc::VcError,
    },
    /// The key file cannot be created, read or parsed.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why (never the key material).
        reason: String,
    },
    /// A credential number is already recorded (a random collision; issuing again picks another).
    #[error("credential number {number} is already recorded")]
    DuplicateDocumentNumber {
        /// The number.
        number: String,
    },
    /// No issued credential has this number (or it predates status lists and the log).
    #[error("no credential record numbered {number}")]
    RecordNotFound {
        /// The credential number.
        number: String,
    },
    /// The issuance time is outside the calendar.
    #[error("issuance time {at} is out of range")]
    InvalidTime {
        /// Seconds since the epoch.
        at: i64,
    },
    /// No status list with this id.
    #[error("no status list {list}")]
    StatusListNotFound {
        /// The list id asked for.
        list: u32,
    },
    /// A status change names an index that was never allocated to a credential.
    #[error("status list {list} has no allocated entry {idx}")]
    StatusEntryUnknown {
        /// The list id.
        list: u32,
        /// The index.
        idx: u32,
    },
    /// A revoked credential cannot be suspended or reinstated: revocation is final.
    #[error("status list {list} entry {idx} is revoked, and revocation is final")]
    RevocationFinal {
        /// The list id.
        list: u32,
        /// The index.
        idx: u32,
    },
    /// Only valid, invalid (revoked) and suspended are ever written to a status list.
    #[error("status value {value} is not one this issuer writes")]
    StatusValueUnsupported {
        /// The value asked for.
        value: u8,
    },
    /// No free status list entry could be allocated.
    #[error("cannot allocate a status list entry: {reason}")]
    StatusAllocationFailed {
        /// Why.
        reason: &'static str,
    },
    /// The configured status list base URI is not an absolute URI.
    #[error("the status list base URI is not an absolute URI")]
    StatusBaseUriInvalid,
    /// A log index at or beyond the tree size asked about.
    #[error("log index {index} is not below the tree size {tree_size}")]
    LogIndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        tree_size: u64,
    },
    /// A tree size beyond the log's size (or an old size beyond the new one).
    #[error("tree size {requested} is beyond the log's {size} entries")]
    LogSizeOutOfRange {
        /// The size asked for.
        requested: u64,
        /// The size available.
        size: u64,
    },
}

impl IssuerError {
    /// A stable snake_case code for CLI and HTTP output; renaming one is a breaking change.
    pub fn code(&self) -> &'static str {
        match self {
            IssuerError::Storage { .. } => "storage",
            IssuerError::Corrupt { .. } => "storage_corrupt",
            IssuerError::RegisterFileIo { .. } => "register_file_io",
            IssuerError::RegisterFileSyntax { .. } => "register_file_syntax",
            IssuerError::UnsupportedRegisterFormat { .. } => "register_format_unsupported",
            IssuerError::InvalidId { .. } => "register_id_invalid",
            IssuerError::DuplicateId { .. } => "register_id_duplicate",
            IssuerError::InvalidRrn { .. } => "rrn_invalid",
            IssuerError::DuplicateRrn { .. } => "rrn_duplicate",
            IssuerError::DanglingReference { .. } => "register_dangling_reference",
            IssuerError::InconsistentRegister { .. } => "register_inconsistent",
            IssuerError::PersonNotFound { .. } => "person_not_found",
            IssuerError::NotResident { .. } => "person_not_resident",
            IssuerError::NoFamilyRegistration { .. } => "person_no_family_registration",
            IssuerError::PersonDeceased { .. } => "person_deceased",
            IssuerError::HouseholdNotFound { .. } => "household_not_found",
            IssuerError::EventRefused { .. } => "register_event_refused",
            IssuerError::UnknownCredentialType { .. } => "credential_type_unknown",
            IssuerError::Credential { .. } => "credential_invalid",
            IssuerError::Signing { .. } => "signing_failed",
            IssuerError::KeyFile { .. } => "key_file",
            IssuerError::DuplicateDocumentNumber { .. } => "document_number_duplicate",
            IssuerError::InvalidTime { .. } => "invalid_time",
            IssuerError::RecordNotFound { .. } => "record_not_found",
            IssuerError::StatusListNotFound { .. } => "status_list_not_found",
            IssuerError::StatusEntryUnknown { .. } => "status_entry_unknown",
            IssuerError::RevocationFinal { .. } => "status_revocation_final",
            IssuerError::StatusValueUnsupported { .. } => "status_value_unsupported",
            IssuerError::StatusAllocationFailed { .. } => "status_allocation_failed",
            IssuerError::StatusBaseUriInvalid => "status_base_uri_invalid",
            IssuerError::LogIndexOutOfRange { .. } => "log_index_out_of_range",
            IssuerError::LogSizeOutOfRange { .. } => "log_size_out_of_range",
        }
    }
}
