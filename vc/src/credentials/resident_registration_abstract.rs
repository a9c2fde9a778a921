//! 주민등록표 초본 (resident-registration abstract): one person and their address history.
//!
//! Schema: `specs/credentials/resident-registration-abstract.md`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

use super::claim_date;
use super::common::{
    birth_date_matches, non_empty, not_before_birth, opt_non_empty, Address, Claims,
    CredentialError, DocumentNumber,
};
use super::rrn::Rrn;
use super::CredentialType;

/// 주민등록표 초본 as an SD-JWT VC: the holder, changes of their personal details, their current
/// address and the history of addresses with the household head at each.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidentRegistrationAbstract {
    /// 발급번호 (always visible).
    pub document_number: DocumentNumber,
    /// 발급기관 (always visible).
    pub issuing_office: String,
    /// 성명 in Hangul.
    pub name: String,
    /// 성명 in Hanja, when the register has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_hanja: Option<String>,
    /// 주민등록번호.
    pub rrn: Rrn,
    /// Date of birth (from the RRN).
    #[serde(with = "claim_date")]
    pub birth_date: Date,
    /// Whether the holder was 19 or older on the issue date.
    pub age_over_19: bool,
    /// 현주소: the current address (the same as the last `address_history` entry), so that a
    /// verifier can ask for it without the history.
    pub address: Address,
    /// 인적사항 변경 내용: changes of name and similar details, oldest first (may be empty).
    pub personal_detail_changes: Vec<PersonalDetailChange>,
    /// 주소 변동 사항: every address, oldest first; the last one is current.
    pub address_history: Vec<AddressHistoryEntry>,
}

/// Which personal detail a [`PersonalDetailChange`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalDetail {
    /// 성명 (Hangul name), e.g. after 개명.
    Name,
    /// 한자 성명.
    NameHanja,
}

impl PersonalDetail {
    /// The claim value: `"name"` or `"name_hanja"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonalDetail::Name => "name",
            PersonalDetail::NameHanja => "name_hanja",
        }
    }
}

/// One 인적사항 변경: a detail's value before and after, when and why.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalDetailChange {
    /// Which detail changed.
    pub item: PersonalDetail,
    /// The value before the change.
    pub previous: String,
    /// The value after the change.
    pub current: String,
    /// 변경일.
    #[serde(with = "claim_date")]
    pub changed_on: Date,
    /// 변경사유 as the register writes it (e.g. `개명`).
    pub reason: String,
}

/// One 주소 변동 row.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressHistoryEntry {
    /// The address.
    pub address: Address,
    /// 전입일/변동일.
    #[serde(with = "claim_date")]
    pub moved_in: Date,
    /// 변동사유 (e.g. `전입`, `출생등록`).
    pub change_reason: String,
    /// 세대주 성명 at that address.
    pub household_head: String,
    /// 세대주와의 관계 at that address (`본인`, `배우자`, `자`, …).
    pub relation_to_head: String,
}

redacted_debug!(ResidentRegistrationAbstract, document_number);
redacted_debug!(PersonalDetailChange, item);
redacted_debug!(AddressHistoryEntry, relation_to_head);

impl ResidentRegistrationAbstract {
    /// `vct` of the 초본.
    pub const VCT: &'static str = "urn:dojang:kr:resident-registration-abstract:1";
    /// Korean display name.
    pub const NAME_KO: &'static str = "주민등록표 초본";
    /// English display name.
    pub const NAME_EN: &'static str = "Resident registration abstract";
}

impl PersonalDetailChange {
    /// The claim value of one `personal_detail_changes` element.
    pub fn to_claim(&self) -> Value {
        let mut claims = Claims::new();
        claims.text("item", self.item.as_str());
        claims.text("previous", &self.previous);
        claims.text("current", &self.current);
        claims.date("changed_on", self.changed_on);
        claims.text("reason", &self.reason);
        claims.into_value()
    }
}

impl AddressHistoryEntry {
    /// The claim value of one `address_history` element.
    pub fn to_claim(&self) -> Value {
        let mut claims = Claims::new();
        claims.value("address", self.address.to_claim());
        claims.date("moved_in", self.moved_in);
        claims.text("change_reason", &self.change_reason);
        claims.text("household_head", &self.household_head);
        claims.text("relation_to_head", &self.relation_to_head);
        claims.into_value()
    }
}

impl CredentialType for ResidentRegistrationAbstract {
    const VCT: &'static str = ResidentRegistrationAbstract::VCT;
    const NAME_KO: &'static str = ResidentRegistrationAbstract::NAME_KO;
    const NAME_EN: &'static str = ResidentRegistrationAbstract::NAME_EN;

    fn to_claims(&self) -> Map<String, Value> {
        let mut claims = Claims::new();
        claims.text("document_number", self.document_number.as_str());
        claims.text("issuing_office", &self.issuing_office);
        claims.text("name", &self.name);
        claims.opt_text("name_hanja", self.name_hanja.as_deref());
        claims.rrn("rrn", &self.rrn);
        claims.date("birth_date", self.birth_date);
        claims.bool("age_over_19", self.age_over_19);
        claims.value("address", self.address.to_claim());
        claims.value(
            "personal_detail_changes",
            Value::Array(
                self.personal_detail_changes
                    .iter()
                    .map(PersonalDetailChange::to_claim)
                    .collect(),
            ),
        );
        claims.value(
            "address_history",
            Value::Array(
                self.address_history
                    .iter()
                    .map(AddressHistoryEntry::to_claim)
                    .collect(),
            ),
        );
        claims.into_map()
    }

    fn validate(&self) -> Result<(), CredentialError> {
        non_empty("issuing_office", &self.issuing_office)?;
        non_empty("name", &self.name)?;
        opt_non_empty("name_hanja", self.name_hanja.as_deref())?;
        birth_date_matches("birth_date", self.birth_date, &self.rrn)?;
        self.address.check("address")?;
        let mut previous_date = self.birth_date;
        for (index, change) in self.personal_detail_changes.iter().enumerate() {
            let path = format!("personal_detail_changes[{index}]");
            non_empty(&format!("{path}.previous"), &change.previous)?;
            non_empty(&format!("{path}.current"), &change.current)?;
            non_empty(&format!("{path}.reason"), &change.reason)?;
            if change.changed_on < previous_date {
                return Err(CredentialError::DateOrder {
                    claim: format!("{path}.changed_on"),
                    reason: "changes are oldest first and not before the birth date",
                });
            }
            previous_date = change.changed_on;
        }
        for item in [PersonalDetail::Name, PersonalDetail::NameHanja] {
            let now = match item {
                PersonalDetail::Name => Some(self.name.as_str()),
                PersonalDetail::NameHanja => self.name_hanja.as_deref(),
            };
            let last = self
                .personal_detail_changes
                .iter()
                .rposition(|change| change.item == item);
            if let Some(index) = last {
                if Some(self.personal_detail_changes[index].current.as_str()) != now {
                    return Err(CredentialError::Inconsistent {
                        claim: format!("personal_detail_changes[{index}].current"),
                        reason: "the latest change of a detail ends in its current value",
                    });
                }
            }
        }
        let mut previous_date = self.birth_date;
        for (index, entry) in self.address_history.iter().enumerate() {
            let path = format!("address_history[{index}]");
            entry.address.check(&format!("{path}.address"))?;
            not_before_birth(&format!("{path}.moved_in"), entry.moved_in, self.birth_date)?;
            if entry.moved_in < previous_date {
                return Err(CredentialError::DateOrder {
                    claim: format!("{path}.moved_in"),
                    reason: "the address history is oldest first",
                });
            }
            previous_date = entry.moved_in;
            non_empty(&format!("{path}.change_reason"), &entry.change_reason)?;
            non_empty(&format!("{path}.household_head"), &entry.household_head)?;
            non_empty(&format!("{path}.relation_to_head"), &entry.relation_to_head)?;
        }
        let current = self
            .address_history
            .last()
            .ok_or(CredentialError::Inconsistent {
                claim: "address_history".into(),
                reason: "the history holds at least the current address",
            })?;
        if current.address != self.address {
            return Err(CredentialError::Inconsistent {
                claim: "address".into(),
                reason: "the current address is the last address_history entry",
            });
        }
        Ok(())
    }
}
