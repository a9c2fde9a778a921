//! Pieces shared by the three credential types: the 발급번호, the address object, the
//! validation error, and the claim-map builder.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

use super::claim_date;
use super::rrn::{Rrn, Sex};

/// Why a credential's claims are inconsistent (checked by
/// [`CredentialType::validate`](super::CredentialType::validate) before issuance).
///
/// Variants name the claim (a JSON path such as `members[2].birth_date`), never its value.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialError {
    /// A document number is not `NNNN-NNNN-NNNN-NNNN`.
    #[error("document number `{value}` is not NNNN-NNNN-NNNN-NNNN")]
    InvalidDocumentNumber {
        /// The rejected value (a document number carries no personal data).
        value: String,
    },
    /// A required text claim is empty.
    #[error("claim `{claim}` is empty")]
    EmptyClaim {
        /// Path of the claim.
        claim: String,
    },
    /// A postal code is not five ASCII digits.
    #[error("claim `{claim}` is not a five-digit postal code")]
    InvalidPostalCode {
        /// Path of the claim.
        claim: String,
    },
    /// A `birth_date` differs from the date encoded in the RRN beside it.
    #[error("claim `{claim}` does not match the birth date in the RRN")]
    BirthDateMismatch {
        /// Path of the `birth_date` claim.
        claim: String,
    },
    /// A `sex` differs from the sex digit of the RRN beside it.
    #[error("claim `{claim}` does not match the sex digit of the RRN")]
    SexMismatch {
        /// Path of the `sex` claim.
        claim: String,
    },
    /// A date claim lies before the birth date it relates to, or a history is out of order.
    #[error("claim `{claim}` is out of order: {reason}")]
    DateOrder {
        /// Path of the offending date claim.
        claim: String,
        /// What order was expected.
        reason: &'static str,
    },
    /// The claims break a structural rule of the credential type.
    #[error("claim `{claim}` is inconsistent: {reason}")]
    Inconsistent {
        /// Path of the claim.
        claim: String,
        /// The rule that is broken.
        reason: &'static str,
    },
}

impl CredentialError {
    /// A stable snake_case code for CLI and HTTP output.
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::InvalidDocumentNumber { .. } => "invalid_document_number",
            CredentialError::EmptyClaim { .. } => "empty_claim",
            CredentialError::InvalidPostalCode { .. } => "invalid_postal_code",
            CredentialError::BirthDateMismatch { .. } => "birth_date_mismatch",
            CredentialError::SexMismatch { .. } => "sex_mismatch",
            CredentialError::DateOrder { .. } => "claim_date_order",
            CredentialError::Inconsistent { .. } => "claim_inconsistent",
        }
    }
}

/// 발급번호: the credential number an office quotes and writes on its forms, `NNNN-NNNN-NNNN-NNNN`
/// (for example `2026-1124-0931-0042`). It carries no personal data and is always visible.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentNumber(String);

impl DocumentNumber {
    /// Parses `NNNN-NNNN-NNNN-NNNN`: four groups of four ASCII digits joined by hyphens.
    pub fn parse(text: &str) -> Result<DocumentNumber, CredentialError> {
        let well_formed = text.len() == 19
            && text.bytes().enumerate().all(|(index, b)| {
                if index % 5 == 4 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if well_formed {
            Ok(DocumentNumber(text.to_owned()))
        } else {
            Err(CredentialError::InvalidDocumentNumber {
                value: text.chars().take(40).collect(),
            })
        }
    }

    /// The number as written on forms.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DocumentNumber {
    type Error = CredentialError;

    fn try_from(value: String) -> Result<DocumentNumber, CredentialError> {
        DocumentNumber::parse(&value)
    }
}

impl From<DocumentNumber> for String {
    fn from(value: DocumentNumber) -> String {
        value.0
    }
}

impl fmt::Debug for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DocumentNumber").field(&self.0).finish()
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An address as 도로명주소 (road-name address), exactly as the register writes it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// 도로명주소: 시/도, 시/군/구, 도로명 and 건물번호, e.g. `서울특별시 종로구 세종대로 209`.
    pub road_address: String,
    /// 상세주소: 동/호 or floor, e.g. `101동 1203호`; absent for a detached house.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// 우편번호: the five-digit postal code (국가기초구역번호).
    pub postal_code: String,
}

impl Address {
    /// The claim value: `{"road_address", "detail"?, "postal_code"}`.
    pub fn to_claim(&self) -> Value {
        let mut claims = Claims::new();
        claims.text("road_address", &self.road_address);
        claims.opt_text("detail", self.detail.as_deref());
        claims.text("postal_code", &self.postal_code);
        claims.into_value()
    }

    /// Checks that `road_address` (and `detail`, when present) are not empty and that
    /// `postal_code` has five ASCII digits.
    pub fn validate(&self) -> Result<(), CredentialError> {
        self.check("address")
    }

    pub(crate) fn check(&self, path: &str) -> Result<(), CredentialError> {
        non_empty(&format!("{path}.road_address"), &self.road_address)?;
        if let Some(detail) = &self.detail {
            non_empty(&format!("{path}.detail"), detail)?;
        }
        let code = self.postal_code.as_bytes();
        if code.len() != 5 || !code.iter().all(u8::is_ascii_digit) {
            return Err(CredentialError::InvalidPostalCode {
                claim: format!("{path}.postal_code"),
            });
        }
        Ok(())
    }
}

/// Addresses are personal data: `Debug` prints only the postal district (first 3 digits).
impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let district: String = self.postal_code.chars().take(3).collect();
        f.debug_struct("Address")
            .field("postal_district", &district)
            .finish_non_exhaustive()
    }
}

/// Builds a claim object in a fixed member order.
pub(crate) struct Claims(Map<String, Value>);

impl Claims {
    pub(crate) fn new() -> Claims {
        Claims(Map::new())
    }

    pub(crate) fn text(&mut self, name: &str, value: &str) {
        self.0
            .insert(name.to_owned(), Value::String(value.to_owned()));
    }

    pub(crate) fn opt_text(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.text(name, value);
        }
    }

    pub(crate) fn date(&mut self, name: &str, value: Date) {
        self.0
            .insert(name.to_owned(), Value::String(claim_date::format(value)));
    }

    pub(crate) fn bool(&mut self, name: &str, value: bool) {
        self.0.insert(name.to_owned(), Value::Bool(value));
    }

    pub(crate) fn value(&mut self, name: &str, value: Value) {
        self.0.insert(name.to_owned(), value);
    }

    pub(crate) fn rrn(&mut self, name: &str, value: &Rrn) {
        self.text(name, value.as_str());
    }

    pub(crate) fn sex(&mut self, name: &str, value: Sex) {
        self.text(name, value.as_str());
    }

    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.0
    }

    pub(crate) fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

pub(crate) fn non_empty(claim: &str, value: &str) -> Result<(), CredentialError> {
    if value.is_empty() {
        Err(CredentialError::EmptyClaim {
            claim: claim.to_owned(),
        })
    } else {
        Ok(())
    }
}

pub(crate) fn opt_non_empty(claim: &str, value: Option<&str>) -> Result<(), CredentialError> {
    value.map_or(Ok(()), |value| non_empty(claim, value))
}

/// Checks that `birth_date` is the date the RRN encodes.
pub(crate) fn birth_date_matches(
    claim: &str,
    birth_date: Date,
    rrn: &Rrn,
) -> Result<(), CredentialError> {
    if birth_date == rrn.birth_date() {
        Ok(())
    } else {
        Err(CredentialError::BirthDateMismatch {
            claim: claim.to_owned(),
        })
    }
}

/// Checks that `sex` is the sex the RRN's 7th digit encodes.
pub(crate) fn sex_matches(claim: &str, sex: Sex, rrn: &Rrn) -> Result<(), CredentialError> {
    if sex == rrn.sex() {
        Ok(())
    } else {
        Err(CredentialError::SexMismatch {
            claim: claim.to_owned(),
        })
    }
}

/// Checks that `date` is not before `birth_date`.
pub(crate) fn not_before_birth(
    claim: &str,
    date: Date,
    birth_date: Date,
) -> Result<(), CredentialError> {
    if date >= birth_date {
        Ok(())
    } else {
        Err(CredentialError::DateOrder {
            claim: claim.to_owned(),
            reason: "before the birth date",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_number_format() {
        assert!(DocumentNumber::parse("2026-1124-0931-0042").is_ok());
        for bad in [
            "2026-1124-0931-004",
            "2026-1124-0931-00420",
            "2026 1124 0931 0042",
            "2026-1124-0931-004a",
            "20261124-0931-00422",
            "",
        ] {
            assert!(DocumentNumber::parse(bad).is_err(), "{bad}");
        }
        let json =
            serde_json::to_string(&DocumentNumber::parse("2026-1124-0931-0042").unwrap()).unwrap();
        assert_eq!(json, "\"2026-1124-0931-0042\"");
        assert!(serde_json::from_str::<DocumentNumber>("\"2026-1124\"").is_err());
    }

    #[test]
    fn address_debug_hides_the_address() {
        let address = Address {
            road_address: "서울특별시 종로구 세종대로 209".into(),
            detail: Some("3층".into()),
            postal_code: "03154".into(),
        };
        let printed = format!("{address:?}");
        assert!(!printed.contains("세종대로"), "{printed}");
        assert!(!printed.contains("3층"), "{printed}");
        assert!(address.check("address").is_ok());
        let bad = Address {
            postal_code: "0315".into(),
            ..address
        };
        assert_eq!(
            bad.check("address"),
            Err(CredentialError::InvalidPostalCode {
                claim: "address.postal_code".into()
            })
        );
    }
}
