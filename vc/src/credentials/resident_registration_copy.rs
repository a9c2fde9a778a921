//! 주민등록표 등본 (resident-registration copy): the household at its current address.
//!
//! Schema: `specs/credentials/resident-registration-copy.md`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

use super::claim_date;
use super::common::{
    birth_date_matches, non_empty, not_before_birth, opt_non_empty, Address, Claims,
    CredentialError, DocumentNumber,
};
use super::rrn::Rrn;
use super::{CredentialType, HEAD_RELATION};

/// 주민등록표 등본 as an SD-JWT VC: the requesting resident (the holder), the household's address,
/// its head and formation, and every member of the household.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidentRegistrationCopy {
    /// 발급번호 (always visible).
    pub document_number: DocumentNumber,
    /// 발급기관: the issuing office's name, e.g. `서울특별시 종로구청` (always visible).
    pub issuing_office: String,
    /// The holder's 성명 in Hangul.
    pub name: String,
    /// The holder's 성명 in Hanja, when the register has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_hanja: Option<String>,
    /// The holder's 주민등록번호.
    pub rrn: Rrn,
    /// The holder's date of birth (from the RRN).
    #[serde(with = "claim_date")]
    pub birth_date: Date,
    /// Whether the holder was 19 or older on the issue date.
    pub age_over_19: bool,
    /// 현주소: the household's current address.
    pub address: Address,
    /// 세대주 성명: the name of the head of household.
    pub household_head: String,
    /// 세대구성 사유: why the household was formed (register text, e.g. `전입세대구성`).
    pub household_formation_reason: String,
    /// 세대구성 일자: when the household was formed.
    #[serde(with = "claim_date")]
    pub household_formation_date: Date,
    /// 세대원: every member, the head first (relation [`HEAD_RELATION`]).
    pub members: Vec<HouseholdMember>,
}

/// One row of the 등본: a member of the household.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdMember {
    /// 세대주와의 관계: relation to the head as the register writes it (`본인` for the head,
    /// `배우자`, `자`, `부`, `모`, `자의배우자`, `손`, `형제자매`, `동거인`, …).
    pub relation: String,
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
    /// 전입일/변동일: when the member joined the household at this address (moved in, was born,
    /// or otherwise became a member).
    #[serde(with = "claim_date")]
    pub moved_in: Date,
    /// 변동사유: the register's reason for that change (e.g. `전입`, `출생등록`, `세대합가`).
    pub change_reason: String,
}

redacted_debug!(ResidentRegistrationCopy, document_number);
redacted_debug!(HouseholdMember, relation);

impl ResidentRegistrationCopy {
    /// `vct` of the 등본.
    pub const VCT: &'static str = "urn:dojang:kr:resident-registration-copy:1";
    /// Korean display name.
    pub const NAME_KO: &'static str = "주민등록표 등본";
    /// English display name.
    pub const NAME_EN: &'static str = "Resident registration copy";
}

impl HouseholdMember {
    /// The claim value of one `members` element.
    pub fn to_claim(&self) -> Value {
        let mut claims = Claims::new();
        claims.text("relation", &self.relation);
        claims.text("name", &self.name);
        claims.opt_text("name_hanja", self.name_hanja.as_deref());
        claims.rrn("rrn", &self.rrn);
        claims.date("birth_date", self.birth_date);
        claims.date("moved_in", self.moved_in);
        claims.text("change_reason", &self.change_reason);
        claims.into_value()
    }

    fn check(&self, path: &str) -> Result<(), CredentialError> {
        non_empty(&format!("{path}.relation"), &self.relation)?;
        non_empty(&format!("{path}.name"), &self.name)?;
        opt_non_empty(&format!("{path}.name_hanja"), self.name_hanja.as_deref())?;
        birth_date_matches(&format!("{path}.birth_date"), self.birth_date, &self.rrn)?;
        not_before_birth(&format!("{path}.moved_in"), self.moved_in, self.birth_date)?;
        non_empty(&format!("{path}.change_reason"), &self.change_reason)
    }
}

impl CredentialType for ResidentRegistrationCopy {
    const VCT: &'static str = ResidentRegistrationCopy::VCT;
    const NAME_KO: &'static str = ResidentRegistrationCopy::NAME_KO;
    const NAME_EN: &'static str = ResidentRegistrationCopy::NAME_EN;

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
        claims.text("household_head", &self.household_head);
        claims.text(
            "household_formation_reason",
            &self.household_formation_reason,
        );
        claims.date("household_formation_date", self.household_formation_date);
        claims.value(
            "members",
            Value::Array(self.members.iter().map(HouseholdMember::to_claim).collect()),
        );
        claims.into_map()
    }

    fn validate(&self) -> Result<(), CredentialError> {
        non_empty("issuing_office", &self.issuing_office)?;
        non_empty("name", &self.name)?;
        opt_non_empty("name_hanja", self.name_hanja.as_deref())?;
        birth_date_matches("birth_date", self.birth_date, &self.rrn)?;
        self.address.check("address")?;
        non_empty("household_head", &self.household_head)?;
        non_empty(
            "household_formation_reason",
            &self.household_formation_reason,
        )?;
        for (index, member) in self.members.iter().enumerate() {
            member.check(&format!("members[{index}]"))?;
        }
        let head = self.members.first().ok_or(CredentialError::Inconsistent {
            claim: "members".into(),
            reason: "a household has at least its head",
        })?;
        if head.relation != HEAD_RELATION || head.name != self.household_head {
            return Err(CredentialError::Inconsistent {
                claim: "members[0]".into(),
                reason: "the first member is the head (relation 본인, name = household_head)",
            });
        }
        if self
            .members
            .iter()
            .skip(1)
            .any(|member| member.relation == HEAD_RELATION)
        {
            return Err(CredentialError::Inconsistent {
                claim: "members".into(),
                reason: "only the first member is the head",
            });
        }
        let holder = self
            .members
            .iter()
            .find(|member| member.rrn == self.rrn)
            .ok_or(CredentialError::Inconsistent {
                claim: "rrn".into(),
                reason: "the holder is a member of the household",
            })?;
        if holder.name != self.name || holder.name_hanja != self.name_hanja {
            return Err(CredentialError::Inconsistent {
                claim: "name".into(),
                reason: "the holder's name differs from their row in members",
            });
        }
        Ok(())
    }
}
