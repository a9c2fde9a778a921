//! The register file (`specs/register-format.md`, `specs/register.schema.json`): what a registry
//! hands the issuer, and what [`crate::generate`] writes. Parsing checks only the JSON shape;
//! [`RegisterFile::validate`] checks every RRN and every reference, naming ids, never RRNs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use dojang_vc::credentials::{
    claim_date, mask_rrn_text, Address, PersonalDetail, PersonalDetailChange, Rrn, Sex,
    HEAD_RELATION,
};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::IssuerError;

/// The `format` member this version reads and writes.
pub const REGISTER_FORMAT: &str = "dojang-register/1";

/// Longest register id accepted.
const MAX_ID_LEN: usize = 32;

/// A whole register extract: persons, households and family relations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterFile {
    /// Always [`REGISTER_FORMAT`].
    pub format: String,
    /// Every person the other sections refer to.
    pub persons: Vec<PersonEntry>,
    /// Households (세대) registered with this office.
    pub households: Vec<HouseholdEntry>,
    /// Parent/child and marriage relations.
    pub families: FamilyRelations,
}

/// One person of the register.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonEntry {
    /// Stable register id such as `P000001` (never the RRN).
    pub id: String,
    /// 성명 in Hangul, exactly as registered.
    pub name: String,
    /// 성명 in Hanja, when registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_hanja: Option<String>,
    /// 주민등록번호 `YYMMDD-SNNNNNN`; the birth date is derived from it. Checked by
    /// [`RegisterFile::validate`], which names the person, not the number.
    pub rrn: String,
    /// 성별; must agree with the RRN's 7th digit.
    pub sex: Sex,
    /// 본(本), when registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bon: Option<String>,
    /// 등록기준지; absent for a person without a family-relation registration (a foreign
    /// resident), who can then get no 가족관계증명서.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_base: Option<String>,
    /// 사망일, when deceased.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "claim_date::option"
    )]
    pub died_on: Option<Date>,
    /// 인적사항 변경 (개명 …), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail_changes: Vec<PersonalDetailChange>,
    /// 주소 변동, oldest first; the last entry is the current address. Empty for a person
    /// registered at another office (a parent or former spouse known only through a relation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_history: Vec<ResidenceEntry>,
}

/// Only the id and the masked RRN: the rest is personal data.
impl fmt::Debug for PersonEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonEntry")
            .field("id", &self.id)
            .field("rrn", &mask_rrn_text(&self.rrn))
            .finish_non_exhaustive()
    }
}

/// One address in a person's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidenceEntry {
    /// The address.
    pub address: Address,
    /// 전입일/변동일.
    #[serde(with = "claim_date")]
    pub moved_in: Date,
    /// 변동사유.
    pub change_reason: String,
    /// Person id of the 세대주 at that address.
    pub household_head: String,
    /// 세대주와의 관계 (`본인` when the person was the head).
    pub relation_to_head: String,
}

/// A household (세대).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdEntry {
    /// Stable register id such as `H000001`.
    pub id: String,
    /// Person id of the 세대주; also the first member.
    pub head: String,
    /// 현주소.
    pub address: Address,
    /// 세대구성 사유.
    pub formation_reason: String,
    /// 세대구성 일자.
    #[serde(with = "claim_date")]
    pub formed_on: Date,
    /// 세대원, the head first.
    pub members: Vec<MemberEntry>,
}

/// A member of a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberEntry {
    /// Person id.
    pub person: String,
    /// 세대주와의 관계 (`본인` for the head).
    pub relation: String,
    /// 전입일/변동일.
    #[serde(with = "claim_date")]
    pub moved_in: Date,
    /// 변동사유.
    pub change_reason: String,
}

/// The family-relation section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyRelations {
    /// Parent/child relations.
    pub parent_child: Vec<ParentChild>,
    /// Marriages, current and past.
    pub marriages: Vec<Marriage>,
}

/// A parent and a child (부/모 follows from the parent's sex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentChild {
    /// Person id of the parent.
    pub parent: String,
    /// Person id of the child.
    pub child: String,
}

/// A marriage; it ends by divorce (`divorced_on`) or by the death of either spouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marriage {
    /// Person ids of the two spouses.
    pub spouses: [String; 2],
    /// 혼인신고일.
    #[serde(with = "claim_date")]
    pub married_on: Date,
    /// 이혼일, when divorced.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "claim_date::option"
    )]
    pub divorced_on: Option<Date>,
}

/// What an import holds (or would hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// Persons.
    pub persons: usize,
    /// Households.
    pub households: usize,
    /// Household memberships.
    pub members: usize,
    /// Parent/child relations.
    pub parent_child: usize,
    /// Marriages.
    pub marriages: usize,
}

/// A person's family relations as stored per person (the `register.families` tree).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyLinks {
    /// Person ids of the parents.
    pub parents: Vec<String>,
    /// Person ids of the children.
    pub children: Vec<String>,
    /// Marriages, in the file's order.
    pub marriages: Vec<MarriageLink>,
}

/// One marriage seen from one spouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarriageLink {
    /// Person id of the other spouse.
    pub spouse: String,
    /// 혼인신고일.
    #[serde(with = "claim_date")]
    pub married_on: Date,
    /// 이혼일, when divorced.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "claim_date::option"
    )]
    pub divorced_on: Option<Date>,
}

/// What validation derives for the store: who lives where, and each person's relations.
pub(crate) struct Checked<'a> {
    pub(crate) summary: ImportSummary,
    pub(crate) household_of: HashMap<&'a str, &'a str>,
    pub(crate) links: BTreeMap<&'a str, FamilyLinks>,
}

/// Whether `id` has the shape of a register id: an ASCII letter, then up to 31 ASCII letters,
/// digits, `_` or `-`. An RRN (it starts with a digit) never has it.
pub(crate) fn is_register_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && id.len() <= MAX_ID_LEN
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An id fit for an error message: itself when it is shaped like an id, else a placeholder (it
/// may be an RRN typed in the wrong place).
pub(crate) fn shown_id(id: &str) -> String {
    if is_register_id(id) {
        id.to_owned()
    } else {
        format!("<malformed id of {} characters>", id.chars().count())
    }
}

fn inconsistent(id: &str, reason: &'static str) -> IssuerError {
    IssuerError::InconsistentRegister {
        id: shown_id(id),
        reason,
    }
}

fn dangling(from: &str, field: &'static str, missing: &str) -> IssuerError {
    IssuerError::DanglingReference {
        from: from.to_owned(),
        field,
        missing: shown_id(missing),
    }
}

impl RegisterFile {
    /// An empty register of the current format.
    pub fn empty() -> RegisterFile {
        RegisterFile {
            format: REGISTER_FORMAT.to_owned(),
            persons: Vec::new(),
            households: Vec::new(),
            families: FamilyRelations::default(),
        }
    }

    /// Parses a register file (JSON). Checks the shape and the format only; [`Self::validate`]
    /// (and [`crate::Register::import`]) check the content.
    pub fn from_json(bytes: &[u8]) -> Result<RegisterFile, IssuerError> {
        let file: RegisterFile =
            serde_json::from_slice(bytes).map_err(|e| IssuerError::RegisterFileSyntax {
                line: e.line(),
                column: e.column(),
            })?;
        if file.format != REGISTER_FORMAT {
            return Err(IssuerError::UnsupportedRegisterFormat {
                found: file.format.chars().take(64).collect(),
                expected: REGISTER_FORMAT,
            });
        }
        Ok(file)
    }

    /// Reads and parses a register file.
    pub fn load(path: &Path) -> Result<RegisterFile, IssuerError> {
        let bytes = std::fs::read(path).map_err(|e| IssuerError::RegisterFileIo {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        RegisterFile::from_json(&bytes)
    }

    /// The file as pretty-printed JSON (UTF-8, values as held, never escaped to ASCII).
    pub fn to_json(&self) -> Result<Vec<u8>, IssuerError> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| IssuerError::Corrupt {
            what: "register file",
            reason: format!("cannot serialise: {:?}", e.classify()),
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Writes the file (see [`Self::to_json`]).
    pub fn save(&self, path: &Path) -> Result<(), IssuerError> {
        std::fs::write(path, self.to_json()?).map_err(|e| IssuerError::RegisterFileIo {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Checks every id, RRN, date order and reference; the first problem is returned, naming
    /// ids only.
    pub fn validate(&self) -> Result<ImportSummary, IssuerError> {
        self.check().map(|checked| checked.summary)
    }

    pub(crate) fn check(&self) -> Result<Checked<'_>, IssuerError> {
        if self.format != REGISTER_FORMAT {
            return Err(IssuerError::UnsupportedRegisterFormat {
                found: self.format.chars().take(64).collect(),
                expected: REGISTER_FORMAT,
            });
        }
        let (persons, rrns) = self.check_persons()?;
        let household_of = self.check_households(&persons, &rrns)?;
        let links = self.check_families(&persons, &rrns)?;
        Ok(Checked {
            summary: ImportSummary {
                persons: self.persons.len(),
                households: self.households.len(),
                members: household_of.len(),
                parent_child: self.families.parent_child.len(),
                marriages: self.families.marriages.len(),
            },
            household_of,
            links,
        })
    }

    /// Ids, RRNs, sex, and each person's own dates. Returns id → index, and the parsed RRNs.
    fn check_persons(&self) -> Result<(HashMap<&str, usize>, Vec<Rrn>), IssuerError> {
        let mut index_of: HashMap<&str, usize> = HashMap::with_capacity(self.persons.len());
        let mut owner_of_rrn: HashMap<&str, &str> = HashMap::with_capacity(self.persons.len());
        let mut rrns = Vec::with_capacity(self.persons.len());
        for (index, person) in self.persons.iter().enumerate() {
            if !is_register_id(&person.id) {
                return Err(IssuerError::InvalidId {
                    kind: "person",
                    index,
                });
            }
            if index_of.insert(&person.id, index).is_some() {
                return Err(IssuerError::DuplicateId {
                    kind: "person",
                    id: person.id.clone(),
                });
            }
            let rrn = Rrn::parse(&person.rrn).map_err(|source| IssuerError::InvalidRrn {
                person_id: person.id.clone(),
                source,
            })?;
            if let Some(first) = owner_of_rrn.insert(&person.rrn, &person.id) {
                return Err(IssuerError::DuplicateRrn {
                    first: first.to_owned(),
                    second: person.id.clone(),
                });
            }
            if rrn.sex() != person.sex {
                return Err(inconsistent(
                    &person.id,
                    "sex differs from the RRN's 7th digit",
                ));
            }
            if person.name.is_empty() {
                return Err(inconsistent(&person.id, "the name is empty"));
            }
            if [&person.name_hanja, &person.bon, &person.registration_base]
                .into_iter()
                .any(|text| text.as_deref() == Some(""))
            {
                return Err(inconsistent(
                    &person.id,
                    "an optional text is present but empty (omit it instead)",
                ));
            }
            let birth = rrn.birth_date();
            if person.died_on.is_some_and(|died| died < birth) {
                return Err(inconsistent(&person.id, "died_on is before the birth date"));
            }
            check_detail_changes(person, birth)?;
            rrns.push(rrn);
        }
        // Address histories refer to persons, so they are checked once all ids are known.
        for (person, rrn) in self.persons.iter().zip(&rrns) {
            let mut previous = rrn.birth_date();
            for entry in &person.address_history {
                if entry.moved_in < previous {
                    return Err(inconsistent(
                        &person.id,
                        "address_history is not oldest first, or starts before the birth date",
                    ));
                }
                previous = entry.moved_in;
                if person.died_on.is_some_and(|died| entry.moved_in > died) {
                    return Err(inconsistent(&person.id, "an address change after death"));
                }
                entry.address.validate().map_err(|_| {
                    inconsistent(&person.id, "an address_history address is malformed")
                })?;
                if entry.change_reason.is_empty() || entry.relation_to_head.is_empty() {
                    return Err(inconsistent(&person.id, "an address_history text is empty"));
                }
                if !index_of.contains_key(entry.household_head.as_str()) {
                    return Err(dangling(
                        &person.id,
                        "address_history.household_head",
                        &entry.household_head,
                    ));
                }
            }
        }
        Ok((index_of, rrns))
    }

    fn check_households<'a>(
        &'a self,
        persons: &HashMap<&str, usize>,
        rrns: &[Rrn],
    ) -> Result<HashMap<&'a str, &'a str>, IssuerError> {
        let mut household_ids: HashSet<&str> = HashSet::with_capacity(self.households.len());
        let mut household_of: HashMap<&str, &str> = HashMap::with_capacity(self.persons.len());
        for (index, household) in self.households.iter().enumerate() {
            if !is_register_id(&household.id) {
                return Err(IssuerError::InvalidId {
                    kind: "household",
                    index,
                });
            }
            if !household_ids.insert(&household.id) {
                return Err(IssuerError::DuplicateId {
                    kind: "household",
                    id: household.id.clone(),
                });
            }
            if !persons.contains_key(household.head.as_str()) {
                return Err(dangling(&household.id, "head", &household.head));
            }
            household
                .address
                .validate()
                .map_err(|_| inconsistent(&household.id, "the household address is malformed"))?;
            if household.formation_reason.is_empty() {
                return Err(inconsistent(&household.id, "formation_reason is empty"));
            }
            let head_first = household.members.first().is_some_and(|first| {
                first.person == household.head && first.relation == HEAD_RELATION
            });
            if !head_first {
                return Err(inconsistent(
                    &household.id,
                    "the first member is the head, with relation 본인",
                ));
            }
            for (position, member) in household.members.iter().enumerate() {
                let Some(&person_index) = persons.get(member.person.as_str()) else {
                    return Err(dangling(&household.id, "members.person", &member.person));
                };
                if position > 0 && member.relation == HEAD_RELATION {
                    return Err(inconsistent(
                        &household.id,
                        "only the first member has relation 본인",
                    ));
                }
                if member.relation.is_empty() || member.change_reason.is_empty() {
                    return Err(inconsistent(&household.id, "a member text is empty"));
                }
                if household_of.insert(&member.person, &household.id).is_some() {
                    return Err(inconsistent(
                        &member.person,
                        "a person is a member of at most one household, once",
                    ));
                }
                let person = &self.persons[person_index];
                if person.died_on.is_some() {
                    return Err(inconsistent(
                        &member.person,
                        "a deceased person is not a household member",
                    ));
                }
                if member.moved_in < rrns[person_index].birth_date() {
                    return Err(inconsistent(
                        &member.person,
                        "moved_in is before the birth date",
                    ));
                }
                if let Some(current) = person.address_history.last() {
                    if current.address != household.address {
                        return Err(inconsistent(
                            &member.person,
                            "the last address_history entry is not the household's address",
                        ));
                    }
                }
            }
        }
        Ok(household_of)
    }

    fn check_families<'a>(
        &'a self,
        persons: &HashMap<&str, usize>,
        rrns: &[Rrn],
    ) -> Result<BTreeMap<&'a str, FamilyLinks>, IssuerError> {
        let mut links: BTreeMap<&str, FamilyLinks> = BTreeMap::new();
        let mut pairs: HashSet<(&str, &str)> = HashSet::new();
        for (index, relation) in self.families.parent_child.iter().enumerate() {
            let from = format!("families.parent_child[{index}]");
            let parent = *persons
                .get(relation.parent.as_str())
                .ok_or_else(|| dangling(&from, "parent", &relation.parent))?;
            let child = *persons
                .get(relation.child.as_str())
                .ok_or_else(|| dangling(&from, "child", &relation.child))?;
            if rrns[parent].birth_date() >= rrns[child].birth_date() {
                return Err(inconsistent(&from, "a parent is born before the child"));
            }
            if !pairs.insert((&relation.parent, &relation.child)) {
                return Err(inconsistent(&from, "the relation is listed twice"));
            }
            let child_links = links.entry(&relation.child).or_default();
            child_links.parents.push(relation.parent.clone());
            if child_links.parents.len() > 2 {
                return Err(inconsistent(&relation.child, "more than two parents"));
            }
            links
                .entry(&relation.parent)
                .or_default()
                .children
                .push(relation.child.clone());
        }
        for (index, marriage) in self.families.marriages.iter().enumerate() {
            let from = format!("families.marriages[{index}]");
            let [a, b] = &marriage.spouses;
            let a_index = *persons
                .get(a.as_str())
                .ok_or_else(|| dangling(&from, "spouses", a))?;
            let b_index = *persons
                .get(b.as_str())
                .ok_or_else(|| dangling(&from, "spouses", b))?;
            if a == b {
                return Err(inconsistent(&from, "a person does not marry themself"));
            }
            if marriage.married_on < rrns[a_index].birth_date()
                || marriage.married_on < rrns[b_index].birth_date()
            {
                return Err(inconsistent(&from, "married_on is before a spouse's birth"));
            }
            if marriage
                .divorced_on
                .is_some_and(|divorced| divorced < marriage.married_on)
            {
                return Err(inconsistent(&from, "divorced_on is before married_on"));
            }
            for (me, other) in [(a, b), (b, a)] {
                links.entry(me).or_default().marriages.push(MarriageLink {
                    spouse: other.clone(),
                    married_on: marriage.married_on,
                    divorced_on: marriage.divorced_on,
                });
            }
        }
        // Marriages of one person must not overlap: each one ends (divorce or death) before the
        // next begins, so at most one is current.
        let died_on = |id: &str| persons.get(id).and_then(|&i| self.persons[i].died_on);
        for (id, person_links) in &links {
            let mut marriages: Vec<&MarriageLink> = person_links.marriages.iter().collect();
            marriages.sort_by_key(|m| m.married_on);
            for pair in marriages.windows(2) {
                let ended = [pair[0].divorced_on, died_on(&pair[0].spouse), died_on(id)]
                    .into_iter()
                    .flatten()
                    .min();
                if ended.is_none_or(|end| end > pair[1].married_on) {
                    return Err(inconsistent(id, "marriages overlap"));
                }
            }
        }
        Ok(links)
    }
}

fn check_detail_changes(person: &PersonEntry, birth: Date) -> Result<(), IssuerError> {
    let mut previous = birth;
    for change in &person.detail_changes {
        if change.changed_on < previous {
            return Err(inconsistent(
                &person.id,
                "detail_changes are not oldest first, or start before the birth date",
            ));
        }
        previous = change.changed_on;
        if change.previous.is_empty() || change.current.is_empty() || change.reason.is_empty() {
            return Err(inconsistent(&person.id, "a detail_changes text is empty"));
        }
    }
    for item in [PersonalDetail::Name, PersonalDetail::NameHanja] {
        let now = match item {
            PersonalDetail::Name => Some(person.name.as_str()),
            PersonalDetail::NameHanja => person.name_hanja.as_deref(),
        };
        let last = person
            .detail_changes
            .iter()
            .rev()
            .find(|change| change.item == item);
        if last.is_some_and(|change| Some(change.current.as_str()) != now) {
            return Err(inconsistent(
                &person.id,
                "the latest detail change does not end in the current value",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_ids() {
        for good in ["P000001", "H1", "p_1-a", "X"] {
            assert!(is_register_id(good), "{good}");
        }
        for bad in [
            "",
            "900101-1234567",
            "9001011234567",
            "1P",
            "P 1",
            "P/1",
            "가1",
        ] {
            assert!(!is_register_id(bad), "{bad}");
        }
        assert!(!is_register_id(&"P".repeat(33)));
        assert_eq!(
            shown_id("900101-1234567"),
            "<malformed id of 14 characters>"
        );
    }

    #[test]
    fn person_debug_masks_the_rrn() {
        let person = PersonEntry {
            id: "P000001".into(),
            name: "홍길동".into(),
            name_hanja: None,
            rrn: "900101-1234567".into(),
            sex: Sex::Male,
            bon: None,
            registration_base: None,
            died_on: None,
            detail_changes: Vec::new(),
            address_history: Vec::new(),
        };
        let printed = format!("{person:?}");
        assert!(printed.contains("P000001"));
        assert!(!printed.contains("234567"), "{printed}");
        assert!(!printed.contains("홍길동"), "{printed}");
    }
}
