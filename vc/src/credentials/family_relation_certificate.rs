//! 가족관계증명서 (family-relation certificate), 일반 (general) or 상세 (detailed).
//!
//! Schema: `specs/credentials/family-relation-certificate.md`. 특정 (chosen items) needs no type
//! of its own: the holder discloses only the chosen claims.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

use super::claim_date;
use super::common::{
    birth_date_matches, non_empty, not_before_birth, opt_non_empty, sex_matches, Claims,
    CredentialError, DocumentNumber,
};
use super::rrn::{Rrn, Sex};
use super::CredentialType;

/// 일반 or 상세.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// 일반증명서: the current family (parents, current spouse, living children).
    General,
    /// 상세증명서: the current family and past relations (former or deceased spouses, deceased
    /// children).
    Detailed,
}

impl CertificateKind {
    /// The claim value: `"general"` or `"detailed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateKind::General => "general",
            CertificateKind::Detailed => "detailed",
        }
    }

    /// 일반 or 상세.
    pub fn korean(self) -> &'static str {
        match self {
            CertificateKind::General => "일반",
            CertificateKind::Detailed => "상세",
        }
    }
}

/// The event that ended a relation shown only on the 상세 certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationEvent {
    /// 이혼: a former spouse.
    Divorce,
    /// 사망: a deceased spouse or child.
    Death,
}

impl RelationEvent {
    /// The claim value: `"divorce"` or `"death"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationEvent::Divorce => "divorce",
            RelationEvent::Death => "death",
        }
    }

    /// 이혼 or 사망.
    pub fn korean(self) -> &'static str {
        match self {
            RelationEvent::Divorce => "이혼",
            RelationEvent::Death => "사망",
        }
    }
}

/// 가족관계증명서 as an SD-JWT VC: the holder (본인) with 등록기준지, 성별 and 본, their parents,
/// current spouse and children, and on the 상세 certificate the past relations.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyRelationCertificate {
    /// 발급번호 (always visible).
    pub document_number: DocumentNumber,
    /// 발급기관, e.g. `서울가정법원 가족관계등록과` (always visible).
    pub issuing_office: String,
    /// 일반 or 상세 (always visible).
    pub certificate_kind: CertificateKind,
    /// 성명 in Hangul.
    pub name: String,
    /// 성명 in Hanja, when the register has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_hanja: Option<String>,
    /// 주민등록번호.
    pub rrn: Rrn,
    /// 출생연월일 (from the RRN).
    #[serde(with = "claim_date")]
    pub birth_date: Date,
    /// Whether the holder was 19 or older on the issue date.
    pub age_over_19: bool,
    /// 성별.
    pub sex: Sex,
    /// 본(本): the clan seat, e.g. `김해`; absent when the register has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bon: Option<String>,
    /// 등록기준지: the registration base, as the register writes it.
    pub registration_base: String,
    /// 부 and 모 (may be empty when the register records none).
    pub parents: Vec<FamilyMember>,
    /// 배우자: the current spouse, `null` when there is none.
    pub spouse: Option<FamilyMember>,
    /// 자녀: living children, oldest first.
    pub children: Vec<FamilyMember>,
    /// 상세 only: relations that ended (present, possibly empty, exactly when
    /// `certificate_kind` is `detailed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past_relations: Option<Vec<PastRelation>>,
}

/// One row of the certificate: a relative.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyMember {
    /// 구분 as the register writes it: `부`, `모`, `배우자`, `자녀` (or `양부`, `양모`, …).
    pub relation: String,
    /// 성명 in Hangul.
    pub name: String,
    /// 성명 in Hanja, when the register has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_hanja: Option<String>,
    /// 출생연월일.
    #[serde(with = "claim_date")]
    pub birth_date: Date,
    /// 주민등록번호.
    pub rrn: Rrn,
    /// 성별.
    pub sex: Sex,
    /// 본(本), when the register has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bon: Option<String>,
}

/// A relation that ended, shown on the 상세 certificate: the relative and the event.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastRelation {
    /// 구분 as the register writes it (`배우자`, `자녀`, …).
    pub relation: String,
    /// 성명 in Hangul.
    pub name: String,
    /// 성명 in Hanja, when the register has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_hanja: Option<String>,
    /// 출생연월일.
    #[serde(with = "claim_date")]
    pub birth_date: Date,
    /// 주민등록번호.
    pub rrn: Rrn,
    /// 성별.
    pub sex: Sex,
    /// 본(本), when the register has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bon: Option<String>,
    /// What ended the relation.
    pub event: RelationEvent,
    /// When (이혼 신고일 or 사망일).
    #[serde(with = "claim_date")]
    pub event_date: Date,
}

redacted_debug!(FamilyRelationCertificate, document_number, certificate_kind);
redacted_debug!(FamilyMember, relation);
redacted_debug!(PastRelation, relation, event);

impl FamilyRelationCertificate {
    /// `vct` of the 가족관계증명서.
    pub const VCT: &'static str = "urn:dojang:kr:family-relation-certificate:1";
    /// Korean display name.
    pub const NAME_KO: &'static str = "가족관계증명서";
    /// English display name.
    pub const NAME_EN: &'static str = "Family relation certificate";
}

impl FamilyMember {
    /// The claim value of a `parents`/`children` element or of `spouse`.
    pub fn to_claim(&self) -> Value {
        let mut claims = Claims::new();
        claims.text("relation", &self.relation);
        claims.text("name", &self.name);
        claims.opt_text("name_hanja", self.name_hanja.as_deref());
        claims.date("birth_date", self.birth_date);
        claims.rrn("rrn", &self.rrn);
        claims.sex("sex", self.sex);
        claims.opt_text("bon", self.bon.as_deref());
        claims.into_value()
    }

    fn check(&self, path: &str) -> Result<(), CredentialError> {
        check_person(
            path,
            &self.relation,
            &self.name,
            self.name_hanja.as_deref(),
            self.birth_date,
            &self.rrn,
            self.sex,
            self.bon.as_deref(),
        )
    }
}

impl PastRelation {
    /// The claim value of one `past_relations` element.
    pub fn to_claim(&self) -> Value {
        let mut claims = Claims::new();
        claims.text("relation", &self.relation);
        claims.text("name", &self.name);
        claims.opt_text("name_hanja", self.name_hanja.as_deref());
        claims.date("birth_date", self.birth_date);
        claims.rrn("rrn", &self.rrn);
        claims.sex("sex", self.sex);
        claims.opt_text("bon", self.bon.as_deref());
        claims.text("event", self.event.as_str());
        claims.date("event_date", self.event_date);
        claims.into_value()
    }

    fn check(&self, path: &str) -> Result<(), CredentialError> {
        check_person(
            path,
            &self.relation,
            &self.name,
            self.name_hanja.as_deref(),
            self.birth_date,
            &self.rrn,
            self.sex,
            self.bon.as_deref(),
        )?;
        not_before_birth(
            &format!("{path}.event_date"),
            self.event_date,
            self.birth_date,
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn check_person(
    path: &str,
    relation: &str,
    name: &str,
    name_hanja: Option<&str>,
    birth_date: Date,
    rrn: &Rrn,
    sex: Sex,
    bon: Option<&str>,
) -> Result<(), CredentialError> {
    non_empty(&format!("{path}.relation"), relation)?;
    non_empty(&format!("{path}.name"), name)?;
    opt_non_empty(&format!("{path}.name_hanja"), name_hanja)?;
    birth_date_matches(&format!("{path}.birth_date"), birth_date, rrn)?;
    sex_matches(&format!("{path}.sex"), sex, rrn)?;
    opt_non_empty(&format!("{path}.bon"), bon)
}

impl CredentialType for FamilyRelationCertificate {
    const VCT: &'static str = FamilyRelationCertificate::VCT;
    const NAME_KO: &'static str = FamilyRelationCertificate::NAME_KO;
    const NAME_EN: &'static str = FamilyRelationCertificate::NAME_EN;

    fn to_claims(&self) -> Map<String, Value> {
        let mut claims = Claims::new();
        claims.text("document_number", self.document_number.as_str());
        claims.text("issuing_office", &self.issuing_office);
        claims.text("certificate_kind", self.certificate_kind.as_str());
        claims.text("name", &self.name);
        claims.opt_text("name_hanja", self.name_hanja.as_deref());
        claims.rrn("rrn", &self.rrn);
        claims.date("birth_date", self.birth_date);
        claims.bool("age_over_19", self.age_over_19);
        claims.sex("sex", self.sex);
        claims.opt_text("bon", self.bon.as_deref());
        claims.text("registration_base", &self.registration_base);
        claims.value(
            "parents",
            Value::Array(self.parents.iter().map(FamilyMember::to_claim).collect()),
        );
        claims.value(
            "spouse",
            self.spouse
                .as_ref()
                .map_or(Value::Null, FamilyMember::to_claim),
        );
        claims.value(
            "children",
            Value::Array(self.children.iter().map(FamilyMember::to_claim).collect()),
        );
        if let Some(past) = &self.past_relations {
            claims.value(
                "past_relations",
                Value::Array(past.iter().map(PastRelation::to_claim).collect()),
            );
        }
        claims.into_map()
    }

    fn validate(&self) -> Result<(), CredentialError> {
        non_empty("issuing_office", &self.issuing_office)?;
        non_empty("name", &self.name)?;
        opt_non_empty("name_hanja", self.name_hanja.as_deref())?;
        birth_date_matches("birth_date", self.birth_date, &self.rrn)?;
        sex_matches("sex", self.sex, &self.rrn)?;
        opt_non_empty("bon", self.bon.as_deref())?;
        non_empty("registration_base", &self.registration_base)?;
        if self.parents.len() > 2 {
            return Err(CredentialError::Inconsistent {
                claim: "parents".into(),
                reason: "at most two parents (부, 모) are listed",
            });
        }
        for (index, parent) in self.parents.iter().enumerate() {
            parent.check(&format!("parents[{index}]"))?;
            if parent.birth_date >= self.birth_date {
                return Err(CredentialError::DateOrder {
                    claim: format!("parents[{index}].birth_date"),
                    reason: "a parent is born before the child",
                });
            }
        }
        if let Some(spouse) = &self.spouse {
            spouse.check("spouse")?;
        }
        for (index, child) in self.children.iter().enumerate() {
            child.check(&format!("children[{index}]"))?;
            if child.birth_date <= self.birth_date {
                return Err(CredentialError::DateOrder {
                    claim: format!("children[{index}].birth_date"),
                    reason: "a child is born after the parent",
                });
            }
        }
        match (self.certificate_kind, &self.past_relations) {
            (CertificateKind::General, None) => Ok(()),
            (CertificateKind::General, Some(_)) => Err(CredentialError::Inconsistent {
                claim: "past_relations".into(),
                reason: "a general (일반) certificate shows no past relations",
            }),
            (CertificateKind::Detailed, None) => Err(CredentialError::Inconsistent {
                claim: "past_relations".into(),
                reason: "a detailed (상세) certificate always carries past_relations",
            }),
            (CertificateKind::Detailed, Some(past)) => {
                for (index, relation) in past.iter().enumerate() {
                    relation.check(&format!("past_relations[{index}]"))?;
                }
                Ok(())
            }
        }
    }
}
