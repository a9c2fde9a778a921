//! Builds the three credential types from the register. Each builder validates the result
//! ([`CredentialType::validate`]) before returning it.

use dojang_vc::credentials::{
    age_over_19, AddressHistoryEntry, CertificateKind, CredentialType, DocumentNumber,
    FamilyMember, FamilyRelationCertificate, HouseholdMember, PastRelation, RelationEvent,
    ResidentRegistrationAbstract, ResidentRegistrationCopy, Sex,
};
use time::Date;

use super::store::{LoadedPerson, PersonBrief, Register};
use crate::IssuerError;

/// 구분 of a father, a mother, a spouse and a child on the 가족관계증명서.
const FATHER: &str = "부";
const MOTHER: &str = "모";
const SPOUSE: &str = "배우자";
const CHILD: &str = "자녀";

impl Register {
    /// Loads the holder, refusing a deceased one.
    fn holder(&self, person_id: &str) -> Result<LoadedPerson, IssuerError> {
        let holder = self.load_person(person_id)?;
        if holder.entry.died_on.is_some() {
            return Err(IssuerError::PersonDeceased {
                person_id: holder.entry.id,
            });
        }
        Ok(holder)
    }

    /// 주민등록표 등본 for `person_id`: their household, every member, as of the register now;
    /// `age_over_19` is computed on `issued_on`.
    pub fn resident_copy(
        &self,
        person_id: &str,
        issued_on: Date,
        document_number: &str,
        issuing_office: &str,
    ) -> Result<ResidentRegistrationCopy, IssuerError> {
        self.resident_copy_showing(person_id, issued_on, document_number, issuing_office)
            .map(|(credential, _)| credential)
    }

    /// [`Register::resident_copy`], and the register ids of the persons it shows (every member
    /// of the household: what [`Register::persons_shown`] says of a 등본), read once for both.
    pub(crate) fn resident_copy_showing(
        &self,
        person_id: &str,
        issued_on: Date,
        document_number: &str,
        issuing_office: &str,
    ) -> Result<(ResidentRegistrationCopy, Vec<String>), IssuerError> {
        let document_number = DocumentNumber::parse(document_number)?;
        let holder = self.load_brief(person_id)?;
        if holder.deceased {
            return Err(IssuerError::PersonDeceased {
                person_id: holder.id,
            });
        }
        let household_id = holder
            .household
            .as_deref()
            .ok_or_else(|| IssuerError::NotResident {
                person_id: holder.id.clone(),
            })?;
        let household = self
            .household(household_id)?
            .ok_or_else(|| IssuerError::Corrupt {
                what: "person",
                reason: format!("{} refers to a missing household", holder.id),
            })?;
        let mut shown: Vec<String> = household.members.iter().map(|m| m.person.clone()).collect();
        shown.sort();
        shown.dedup();
        let mut members = Vec::with_capacity(household.members.len());
        let mut head_name = None;
        for member in &household.members {
            // The holder is read already.
            let person = if member.person == holder.id {
                PersonBrief {
                    id: holder.id.clone(),
                    name: holder.name.clone(),
                    name_hanja: holder.name_hanja.clone(),
                    rrn: holder.rrn.clone(),
                    deceased: false,
                    household: None,
                }
            } else {
                self.load_brief(&member.person)?
            };
            if member.person == household.head {
                head_name = Some(person.name.clone());
            }
            members.push(HouseholdMember {
                relation: member.relation.clone(),
                name: person.name,
                name_hanja: person.name_hanja,
                birth_date: person.rrn.birth_date(),
                rrn: person.rrn,
                moved_in: member.moved_in,
                change_reason: member.change_reason.clone(),
            });
        }
        let household_head = head_name.ok_or_else(|| IssuerError::Corrupt {
            what: "household",
            reason: format!("the head of {} is not a member", household.id),
        })?;
        let credential = ResidentRegistrationCopy {
            document_number,
            issuing_office: issuing_office.to_owned(),
            name: holder.name,
            name_hanja: holder.name_hanja,
            birth_date: holder.rrn.birth_date(),
            age_over_19: age_over_19(holder.rrn.birth_date(), issued_on),
            rrn: holder.rrn,
            address: household.address,
            household_head,
            household_formation_reason: household.formation_reason,
            household_formation_date: household.formed_on,
            members,
        };
        credential.validate()?;
        Ok((credential, shown))
    }

    /// 주민등록표 초본 for `person_id`: their detail changes and whole address history.
    pub fn resident_abstract(
        &self,
        person_id: &str,
        issued_on: Date,
        document_number: &str,
        issuing_office: &str,
    ) -> Result<ResidentRegistrationAbstract, IssuerError> {
        let document_number = DocumentNumber::parse(document_number)?;
        let holder = self.holder(person_id)?;
        let mut address_history = Vec::with_capacity(holder.entry.address_history.len());
        for entry in &holder.entry.address_history {
            let head = self.load_person(&entry.household_head)?;
            address_history.push(AddressHistoryEntry {
                address: entry.address.clone(),
                moved_in: entry.moved_in,
                change_reason: entry.change_reason.clone(),
                household_head: head.entry.name,
                relation_to_head: entry.relation_to_head.clone(),
            });
        }
        let address = address_history
            .last()
            .map(|entry| entry.address.clone())
            .ok_or_else(|| IssuerError::NotResident {
                person_id: holder.entry.id.clone(),
            })?;
        let credential = ResidentRegistrationAbstract {
            document_number,
            issuing_office: issuing_office.to_owned(),
            name: holder.entry.name,
            name_hanja: holder.entry.name_hanja,
            birth_date: holder.rrn.birth_date(),
            age_over_19: age_over_19(holder.rrn.birth_date(), issued_on),
            rrn: holder.rrn,
            address,
            personal_detail_changes: holder.entry.detail_changes,
            address_history,
        };
        credential.validate()?;
        Ok(credential)
    }

    /// 가족관계증명서 for `person_id`. 일반: parents, the current spouse, living children. 상세
    /// adds `past_relations`: former spouses (divorce), deceased spouses and children (death).
    /// Parents are listed whether living or not, as on the paper certificate.
    pub fn family_relation(
        &self,
        person_id: &str,
        issued_on: Date,
        document_number: &str,
        issuing_office: &str,
        kind: CertificateKind,
    ) -> Result<FamilyRelationCertificate, IssuerError> {
        let document_number = DocumentNumber::parse(document_number)?;
        let holder = self.holder(person_id)?;
        let registration_base = holder.entry.registration_base.clone().ok_or_else(|| {
            IssuerError::NoFamilyRegistration {
                person_id: holder.entry.id.clone(),
            }
        })?;
        let links = self.family_links(person_id)?;

        let mut parents = Vec::with_capacity(links.parents.len());
        for id in &links.parents {
            let parent = self.load_person(id)?;
            let relation = match parent.entry.sex {
                Sex::Male => FATHER,
                Sex::Female => MOTHER,
            };
            parents.push(family_member(relation, parent));
        }
        // 부 before 모, as printed.
        parents.sort_by_key(|parent| parent.sex != Sex::Male);

        let mut past: Vec<PastRelation> = Vec::new();
        let mut spouse = None;
        for marriage in &links.marriages {
            let other = self.load_person(&marriage.spouse)?;
            let ended = match (marriage.divorced_on, other.entry.died_on) {
                (Some(divorced), Some(died)) if died < divorced => {
                    Some((RelationEvent::Death, died))
                }
                (Some(divorced), _) => Some((RelationEvent::Divorce, divorced)),
                (None, Some(died)) => Some((RelationEvent::Death, died)),
                (None, None) => None,
            };
            match ended {
                None => spouse = Some(family_member(SPOUSE, other)),
                Some((event, date)) => past.push(past_relation(SPOUSE, other, event, date)),
            }
        }

        let mut children = Vec::with_capacity(links.children.len());
        for id in &links.children {
            let child = self.load_person(id)?;
            match child.entry.died_on {
                None => children.push(family_member(CHILD, child)),
                Some(died) => past.push(past_relation(CHILD, child, RelationEvent::Death, died)),
            }
        }
        children.sort_by_key(|child| child.birth_date);
        past.sort_by_key(|relation| relation.event_date);

        let credential = FamilyRelationCertificate {
            document_number,
            issuing_office: issuing_office.to_owned(),
            certificate_kind: kind,
            name: holder.entry.name,
            name_hanja: holder.entry.name_hanja,
            birth_date: holder.rrn.birth_date(),
            age_over_19: age_over_19(holder.rrn.birth_date(), issued_on),
            sex: holder.entry.sex,
            rrn: holder.rrn,
            bon: holder.entry.bon,
            registration_base,
            parents,
            spouse,
            children,
            past_relations: match kind {
                CertificateKind::General => None,
                CertificateKind::Detailed => Some(past),
            },
        };
        credential.validate()?;
        Ok(credential)
    }
}

fn family_member(relation: &str, person: LoadedPerson) -> FamilyMember {
    FamilyMember {
        relation: relation.to_owned(),
        name: person.entry.name,
        name_hanja: person.entry.name_hanja,
        birth_date: person.rrn.birth_date(),
        sex: person.entry.sex,
        rrn: person.rrn,
        bon: person.entry.bon,
    }
}

fn past_relation(
    relation: &str,
    person: LoadedPerson,
    event: RelationEvent,
    event_date: Date,
) -> PastRelation {
    PastRelation {
        relation: relation.to_owned(),
        name: person.entry.name,
        name_hanja: person.entry.name_hanja,
        birth_date: person.rrn.birth_date(),
        sex: person.entry.sex,
        rrn: person.rrn,
        bon: person.entry.bon,
        event,
        event_date,
    }
}
