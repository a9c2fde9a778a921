//! Register events: a move-in, a marriage, a birth, a death. Each is a pure function from one
//! register file to the next ([`apply_event`]), which also says which issued credentials the
//! change makes stale ([`StaleSet`]). The rules and their reasons are written down in
//! `specs/register-events.md`.
//!
//! 1. The event is checked against the register: every person and household it names exists, no
//!    deceased person acts, dates are not before what the register already records, a birth's
//!    RRN agrees with its date and sex, a spouse is not already married.
//! 2. The change is applied to a copy of the file. A person who leaves a household (moving out,
//!    dying) leaves it to the next adult member as 세대주 when they were the head (세대주변경),
//!    and dissolves it when they were alone.
//! 3. The new file is validated as a whole ([`RegisterFile::validate`]).
//! 4. The stale sets name the persons whose credentials of each type no longer show the register:
//!    a credential is stale when the persons it shows ([`Register::persons_shown`]) meet the set.
//!
//! Errors name register ids, never an RRN or a name; nothing here logs.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use dojang_vc::credentials::{
    age_on, claim_date, mask_rrn_text, Address, FamilyRelationCertificate,
    ResidentRegistrationAbstract, ResidentRegistrationCopy, Rrn, Sex, ADULT_AGE, HEAD_RELATION,
};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::register::{
    is_register_id, shown_id, HouseholdEntry, Marriage, MemberEntry, ParentChild, PersonEntry,
    Register, RegisterFile, ResidenceEntry,
};
use crate::IssuerError;

/// 변동사유 of a move-in when the event gives none.
const MOVED_IN: &str = "전입";
/// 변동사유 and 세대구성 사유 when the head of a household changes.
const HEAD_CHANGED: &str = "세대주변경";
/// 변동사유 of a newborn's entry.
const BIRTH_REGISTERED: &str = "출생등록";
/// 세대주와의 관계 of a member who is no relative of the head.
const COHABITANT: &str = "동거인";

/// 민법 제807조: a person may marry at 18 full years.
const MARRIAGEABLE_AGE: u32 = 18;
/// 민법 제844조: a child born within 300 days after a marriage ends (a death) is presumed the
/// husband's, so a father may have died up to this many days before the birth.
const POSTHUMOUS_BIRTH_DAYS: i64 = 300;

fn default_move_reason() -> String {
    MOVED_IN.to_owned()
}

/// A change reported to the register. Serialised with an `event` tag (`move_in`, `marriage`,
/// `birth`, `death`) and dates as `YYYY-MM-DD`, so that a JSON file can drive it.
///
/// `Debug` prints ids and the masked RRN only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum RegisterEvent {
    /// 전입: a person moves to an address, joining a household there or forming a new one.
    MoveIn {
        /// Person id of the mover.
        person: String,
        /// The new address (the household's address when joining one).
        address: Address,
        /// 전입일.
        #[serde(with = "claim_date")]
        date: Date,
        /// The household joined; `None`: the person forms a new household as its head, with the
        /// next free id (`H…`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        household: Option<String>,
        /// 변동사유 (and the new household's 세대구성 사유); `전입` when omitted.
        #[serde(default = "default_move_reason")]
        reason: String,
    },
    /// 혼인신고: two persons marry.
    Marriage {
        /// Person ids of the two spouses.
        spouses: [String; 2],
        /// 혼인신고일.
        #[serde(with = "claim_date")]
        date: Date,
    },
    /// 출생신고: a child is registered.
    Birth {
        /// Person id of the mother.
        mother: String,
        /// Person id of the father, when registered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        father: Option<String>,
        /// 성명 in Hangul.
        name: String,
        /// 성명 in Hanja, when registered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_hanja: Option<String>,
        /// 성별; must agree with the RRN's 7th digit.
        sex: Sex,
        /// Date of birth; must be the RRN's.
        #[serde(with = "claim_date")]
        date: Date,
        /// 주민등록번호 `YYMMDD-SNNNNNN`.
        rrn: String,
        /// Register id of the child; the next free `P…` when omitted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person_id: Option<String>,
    },
    /// 사망신고: a person died.
    Death {
        /// Person id.
        person: String,
        /// 사망일.
        #[serde(with = "claim_date")]
        date: Date,
    },
}

/// Ids and the masked RRN only: names, addresses and dates are personal data.
impl fmt::Debug for RegisterEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterEvent::MoveIn {
                person, household, ..
            } => f
                .debug_struct("MoveIn")
                .field("person", &shown_id(person))
                .field("household", &household.as_deref().map(shown_id))
                .finish_non_exhaustive(),
            RegisterEvent::Marriage { spouses, .. } => f
                .debug_struct("Marriage")
                .field("spouses", &spouses.each_ref().map(|id| shown_id(id)))
                .finish_non_exhaustive(),
            RegisterEvent::Birth {
                mother,
                father,
                rrn,
                person_id,
                ..
            } => f
                .debug_struct("Birth")
                .field("mother", &shown_id(mother))
                .field("father", &father.as_deref().map(shown_id))
                .field("person_id", &person_id.as_deref().map(shown_id))
                .field("rrn", &mask_rrn_text(rrn))
                .finish_non_exhaustive(),
            RegisterEvent::Death { person, .. } => f
                .debug_struct("Death")
                .field("person", &shown_id(person))
                .finish_non_exhaustive(),
        }
    }
}

impl RegisterEvent {
    /// The `event` tag: `move_in`, `marriage`, `birth` or `death`.
    pub fn kind(&self) -> &'static str {
        match self {
            RegisterEvent::MoveIn { .. } => "move_in",
            RegisterEvent::Marriage { .. } => "marriage",
            RegisterEvent::Birth { .. } => "birth",
            RegisterEvent::Death { .. } => "death",
        }
    }
}

/// Credentials of one type made stale by an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleSet {
    /// The credential type: one of the `VCT`s of [`ResidentRegistrationCopy`],
    /// [`ResidentRegistrationAbstract`] and [`FamilyRelationCertificate`].
    pub vct: &'static str,
    /// A credential of this type is stale when the persons it shows
    /// ([`Register::persons_shown`], recorded at issuance) include one of these.
    pub persons: BTreeSet<String>,
}

/// What an event does to the register.
#[derive(Debug, Clone)]
pub struct EventEffect {
    /// The new register, validated.
    pub register: RegisterFile,
    /// Stale credentials, at most one set per type (등본, 초본, 가족관계증명서, in that order),
    /// none empty.
    pub stale: Vec<StaleSet>,
    /// One line for the operator: the event and the ids concerned, no personal data.
    pub summary: String,
}

/// Applies `event` to `file` and returns the new register, validated, with the credentials the
/// change makes stale. `file` is not changed; nothing is written. Refusals name ids only:
/// `person_not_found`, `household_not_found`, `person_deceased`, `rrn_invalid`,
/// `rrn_duplicate`, `register_id_duplicate`, `register_event_refused`, or a validation code
/// of the new register.
pub fn apply_event(file: &RegisterFile, event: &RegisterEvent) -> Result<EventEffect, IssuerError> {
    let mut edit = Edit {
        file: file.clone(),
        event: event.kind(),
    };
    let (stale, summary) = match event {
        RegisterEvent::MoveIn {
            person,
            address,
            date,
            household,
            reason,
        } => edit.move_in(person, address, *date, household.as_deref(), reason)?,
        RegisterEvent::Marriage { spouses, date } => edit.marriage(spouses, *date)?,
        RegisterEvent::Birth {
            mother,
            father,
            name,
            name_hanja,
            sex,
            date,
            rrn,
            person_id,
        } => edit.birth(&Birth {
            mother,
            father: father.as_deref(),
            name,
            name_hanja: name_hanja.as_deref(),
            sex: *sex,
            date: *date,
            rrn,
            person_id: person_id.as_deref(),
        })?,
        RegisterEvent::Death { person, date } => edit.death(person, *date)?,
    };
    edit.file.validate()?;
    Ok(EventEffect {
        register: edit.file,
        stale,
        summary,
    })
}

impl Register {
    /// The ids of every person whose data a credential of type `vct` issued now to `person_id`
    /// shows, for matching against [`StaleSet::persons`]:
    ///
    /// - 주민등록표 등본: every member of the holder's household;
    /// - 주민등록표 초본: the holder (the heads in the address history appear by name only, and no
    ///   event changes a name);
    /// - 가족관계증명서: the holder, the parents, every spouse (current and past) and every child
    ///   (living or not): one `vct` covers 일반 and 상세, so the set is that of 상세.
    ///
    /// Refuses what the credential's builder refuses (`person_not_found`, `person_deceased`,
    /// `person_not_resident`, `person_no_family_registration`) and an unknown `vct`
    /// (`credential_type_unknown`).
    pub fn persons_shown(
        &self,
        person_id: &str,
        vct: &str,
    ) -> Result<BTreeSet<String>, IssuerError> {
        let person = self.person(person_id)?;
        if person.died_on.is_some() {
            return Err(IssuerError::PersonDeceased {
                person_id: person.id,
            });
        }
        let mut shown = BTreeSet::new();
        if vct == ResidentRegistrationCopy::VCT {
            let household =
                self.household_of(&person.id)?
                    .ok_or_else(|| IssuerError::NotResident {
                        person_id: person.id.clone(),
                    })?;
            shown.extend(household.members.into_iter().map(|member| member.person));
        } else if vct == ResidentRegistrationAbstract::VCT {
            if person.address_history.is_empty() {
                return Err(IssuerError::NotResident {
                    person_id: person.id,
                });
            }
            shown.insert(person.id);
        } else if vct == FamilyRelationCertificate::VCT {
            if person.registration_base.is_none() {
                return Err(IssuerError::NoFamilyRegistration {
                    person_id: person.id,
                });
            }
            let links = self.family_links(&person.id)?;
            shown.extend(links.parents);
            shown.extend(links.children);
            shown.extend(links.marriages.into_iter().map(|marriage| marriage.spouse));
            shown.insert(person.id);
        } else {
            return Err(IssuerError::UnknownCredentialType {
                vct: vct.chars().take(64).collect(),
            });
        }
        Ok(shown)
    }
}

/// A birth, borrowed from the event.
struct Birth<'a> {
    mother: &'a str,
    father: Option<&'a str>,
    name: &'a str,
    name_hanja: Option<&'a str>,
    sex: Sex,
    date: Date,
    rrn: &'a str,
    person_id: Option<&'a str>,
}

/// A person leaving a household.
struct Departure {
    /// The household left.
    household: String,
    /// Its members before (the leaver included).
    members_before: Vec<String>,
    /// The new head, when the leaver was the head and others remain.
    new_head: Option<String>,
    /// Members after (empty when the household is dissolved).
    remaining: Vec<String>,
}

impl Departure {
    /// How the summary line describes it.
    fn describe(&self) -> String {
        match (&self.new_head, self.remaining.is_empty()) {
            (_, true) => format!("left {} (dissolved)", self.household),
            (Some(head), false) => format!("left {} (new head {head})", self.household),
            (None, false) => format!("left {}", self.household),
        }
    }
}

/// The stale sets in the documented order, empty ones left out.
fn stale_sets(
    copy: BTreeSet<String>,
    abstract_: BTreeSet<String>,
    family: BTreeSet<String>,
) -> Vec<StaleSet> {
    [
        (ResidentRegistrationCopy::VCT, copy),
        (ResidentRegistrationAbstract::VCT, abstract_),
        (FamilyRelationCertificate::VCT, family),
    ]
    .into_iter()
    .filter(|(_, persons)| !persons.is_empty())
    .map(|(vct, persons)| StaleSet { vct, persons })
    .collect()
}

/// The smallest id `<prefix>NNNNNN` above every id of that shape in `ids`.
fn next_id<'a>(prefix: char, ids: impl Iterator<Item = &'a str>) -> String {
    let highest = ids
        .filter_map(|id| id.strip_prefix(prefix))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|digits| digits.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    format!("{prefix}{:06}", highest.saturating_add(1))
}

/// The working copy of the register while an event is applied.
struct Edit {
    file: RegisterFile,
    event: &'static str,
}

impl Edit {
    fn refuse(&self, id: &str, reason: &'static str) -> IssuerError {
        IssuerError::EventRefused {
            event: self.event,
            id: shown_id(id),
            reason,
        }
    }

    fn person_index(&self, id: &str) -> Result<usize, IssuerError> {
        self.file
            .persons
            .iter()
            .position(|person| person.id == id)
            .ok_or_else(|| IssuerError::PersonNotFound {
                person_id: shown_id(id),
            })
    }

    /// The person, refused when deceased.
    fn living(&self, id: &str) -> Result<usize, IssuerError> {
        let index = self.person_index(id)?;
        if self.file.persons[index].died_on.is_some() {
            return Err(IssuerError::PersonDeceased {
                person_id: shown_id(id),
            });
        }
        Ok(index)
    }

    fn household_index(&self, id: &str) -> Result<usize, IssuerError> {
        self.file
            .households
            .iter()
            .position(|household| household.id == id)
            .ok_or_else(|| IssuerError::HouseholdNotFound {
                household_id: shown_id(id),
            })
    }

    /// The household `person` is a member of: (household index, member index).
    fn membership(&self, person: &str) -> Option<(usize, usize)> {
        self.file
            .households
            .iter()
            .enumerate()
            .find_map(|(h, household)| {
                household
                    .members
                    .iter()
                    .position(|member| member.person == person)
                    .map(|m| (h, m))
            })
    }

    /// The latest date the register records for the person's residence: birth, last address
    /// change, 전입일 in the current household.
    fn last_residence_change(&self, index: usize) -> Result<Date, IssuerError> {
        let person = &self.file.persons[index];
        let mut last = birth_of(person)?;
        if let Some(entry) = person.address_history.last() {
            last = last.max(entry.moved_in);
        }
        if let Some((h, m)) = self.membership(&person.id) {
            last = last.max(self.file.households[h].members[m].moved_in);
        }
        Ok(last)
    }

    /// Removes `person` from their household, if any. A head who leaves others behind hands
    /// the household to the next adult member in register order (the eldest member when none
    /// is adult): 세대주변경 on `date`, every remaining member's relation re-derived from the
    /// family relations and recorded in their address history. A household left empty is
    /// dissolved.
    fn leave_household(
        &mut self,
        person: &str,
        date: Date,
    ) -> Result<Option<Departure>, IssuerError> {
        let Some((h, _)) = self.membership(person) else {
            return Ok(None);
        };
        let household = &mut self.file.households[h];
        let members_before: Vec<String> = household
            .members
            .iter()
            .map(|member| member.person.clone())
            .collect();
        let was_head = household.head == person;
        household.members.retain(|member| member.person != person);
        let remaining: Vec<String> = household
            .members
            .iter()
            .map(|member| member.person.clone())
            .collect();
        let household_id = household.id.clone();
        if remaining.is_empty() {
            self.file.households.remove(h);
            return Ok(Some(Departure {
                household: household_id,
                members_before,
                new_head: None,
                remaining,
            }));
        }
        if !was_head {
            return Ok(Some(Departure {
                household: household_id,
                members_before,
                new_head: None,
                remaining,
            }));
        }

        // The next head: the first adult in register order, else the eldest.
        let mut births = Vec::with_capacity(remaining.len());
        for id in &remaining {
            let index = self.person_index(id)?;
            if self.last_residence_change(index)? > date {
                return Err(self.refuse(
                    &household_id,
                    "the date is before a remaining member's last recorded change",
                ));
            }
            births.push(birth_of(&self.file.persons[index])?);
        }
        let chosen = births
            .iter()
            .position(|&birth| age_on(birth, date) >= ADULT_AGE)
            .or_else(|| {
                births
                    .iter()
                    .enumerate()
                    .min_by_key(|(position, birth)| (**birth, *position))
                    .map(|(position, _)| position)
            })
            .unwrap_or(0);
        let new_head = remaining[chosen].clone();
        let relations: Vec<String> = {
            let kinship = Kinship::new(&self.file);
            remaining
                .iter()
                .map(|id| kinship.relation(&new_head, id).to_owned())
                .collect()
        };

        let household = &mut self.file.households[h];
        household.head = new_head.clone();
        household.formation_reason = HEAD_CHANGED.to_owned();
        household.formed_on = date;
        let mut members: Vec<MemberEntry> = remaining
            .iter()
            .zip(&relations)
            .map(|(id, relation)| MemberEntry {
                person: id.clone(),
                relation: relation.clone(),
                moved_in: date,
                change_reason: HEAD_CHANGED.to_owned(),
            })
            .collect();
        let head_entry = members.remove(chosen);
        members.insert(0, head_entry);
        household.members = members;
        let address = household.address.clone();
        for (id, relation) in remaining.iter().zip(relations) {
            let index = self.person_index(id)?;
            self.file.persons[index]
                .address_history
                .push(ResidenceEntry {
                    address: address.clone(),
                    moved_in: date,
                    change_reason: HEAD_CHANGED.to_owned(),
                    household_head: new_head.clone(),
                    relation_to_head: relation,
                });
        }
        Ok(Some(Departure {
            household: household_id,
            members_before,
            new_head: Some(new_head),
            remaining,
        }))
    }

    fn move_in(
        &mut self,
        person: &str,
        address: &Address,
        date: Date,
        household: Option<&str>,
        reason: &str,
    ) -> Result<(Vec<StaleSet>, String), IssuerError> {
        let index = self.living(person)?;
        let person = self.file.persons[index].id.clone();
        if address.validate().is_err() {
            return Err(self.refuse(&person, "the address is malformed"));
        }
        if reason.is_empty() {
            return Err(self.refuse(&person, "the reason is empty"));
        }
        if date < self.last_residence_change(index)? {
            return Err(self.refuse(
                &person,
                "the date is before the person's birth or last residence change",
            ));
        }
        let current = self
            .membership(&person)
            .map(|(h, _)| self.file.households[h].id.clone());
        if let Some(target) = household {
            let target = &self.file.households[self.household_index(target)?];
            if current.as_deref() == Some(target.id.as_str()) {
                return Err(self.refuse(&person, "the person is already a member of the household"));
            }
            if &target.address != address {
                return Err(self.refuse(&target.id, "the address is not the household's address"));
            }
            if date < target.formed_on {
                return Err(self.refuse(&target.id, "the date is before the household was formed"));
            }
        }

        let departure = self.leave_household(&person, date)?;

        let (joined, members_after, relation, head) = match household {
            Some(target) => {
                let h = self.household_index(target)?;
                let head = self.file.households[h].head.clone();
                let relation = Kinship::new(&self.file).relation(&head, &person).to_owned();
                let household = &mut self.file.households[h];
                household.members.push(MemberEntry {
                    person: person.clone(),
                    relation: relation.clone(),
                    moved_in: date,
                    change_reason: reason.to_owned(),
                });
                let members: Vec<String> = household
                    .members
                    .iter()
                    .map(|member| member.person.clone())
                    .collect();
                (household.id.clone(), members, relation, head)
            }
            None => {
                let id = next_id('H', self.file.households.iter().map(|h| h.id.as_str()));
                self.file.households.push(HouseholdEntry {
                    id: id.clone(),
                    head: person.clone(),
                    address: address.clone(),
                    formation_reason: reason.to_owned(),
                    formed_on: date,
                    members: vec![MemberEntry {
                        person: person.clone(),
                        relation: HEAD_RELATION.to_owned(),
                        moved_in: date,
                        change_reason: reason.to_owned(),
                    }],
                });
                (
                    id,
                    vec![person.clone()],
                    HEAD_RELATION.to_owned(),
                    person.clone(),
                )
            }
        };
        self.file.persons[index]
            .address_history
            .push(ResidenceEntry {
                address: address.clone(),
                moved_in: date,
                change_reason: reason.to_owned(),
                household_head: head,
                relation_to_head: relation,
            });

        let mut copy: BTreeSet<String> = members_after.into_iter().collect();
        let mut abstract_ = BTreeSet::from([person.clone()]);
        let mut summary = format!("move_in {person}:");
        if let Some(departure) = &departure {
            copy.extend(departure.members_before.iter().cloned());
            if departure.new_head.is_some() {
                abstract_.extend(departure.remaining.iter().cloned());
            }
            summary.push(' ');
            summary.push_str(&departure.describe());
            summary.push(',');
        }
        summary.push_str(&format!(" joined {joined}"));
        if household.is_none() {
            summary.push_str(" (new household)");
        }
        Ok((stale_sets(copy, abstract_, BTreeSet::new()), summary))
    }

    fn marriage(
        &mut self,
        spouses: &[String; 2],
        date: Date,
    ) -> Result<(Vec<StaleSet>, String), IssuerError> {
        let [a, b] = spouses;
        if a == b {
            return Err(self.refuse(a, "a person does not marry themself"));
        }
        for id in [a, b] {
            let index = self.living(id)?;
            if age_on(birth_of(&self.file.persons[index])?, date) < MARRIAGEABLE_AGE {
                return Err(self.refuse(id, "the person is under the marriageable age of 18"));
            }
        }
        let parents = |id: &str| -> BTreeSet<&str> {
            self.file
                .families
                .parent_child
                .iter()
                .filter(|relation| relation.child == id)
                .map(|relation| relation.parent.as_str())
                .collect()
        };
        let (parents_a, parents_b) = (parents(a), parents(b));
        if parents_a.contains(b.as_str())
            || parents_b.contains(a.as_str())
            || !parents_a.is_disjoint(&parents_b)
        {
            return Err(self.refuse(a, "the spouses are parent and child or siblings"));
        }
        let died_on = |id: &str| {
            self.file
                .persons
                .iter()
                .find(|person| person.id == id)
                .and_then(|person| person.died_on)
        };
        for marriage in &self.file.families.marriages {
            for id in [a, b] {
                if !marriage.spouses.contains(id) {
                    continue;
                }
                let ended = [
                    marriage.divorced_on,
                    died_on(&marriage.spouses[0]),
                    died_on(&marriage.spouses[1]),
                ]
                .into_iter()
                .flatten()
                .min();
                match ended {
                    None => return Err(self.refuse(id, "the person is already married")),
                    Some(end) if end > date => {
                        return Err(self.refuse(id, "the date is before a previous marriage ended"))
                    }
                    Some(_) => {}
                }
            }
        }
        self.file.families.marriages.push(Marriage {
            spouses: [a.clone(), b.clone()],
            married_on: date,
            divorced_on: None,
        });
        let family = BTreeSet::from([a.clone(), b.clone()]);
        Ok((
            stale_sets(BTreeSet::new(), BTreeSet::new(), family),
            format!("marriage {a} {b}"),
        ))
    }

    fn birth(&mut self, birth: &Birth<'_>) -> Result<(Vec<StaleSet>, String), IssuerError> {
        let id = match birth.person_id {
            Some(id) => id.to_owned(),
            None => next_id('P', self.file.persons.iter().map(|p| p.id.as_str())),
        };
        if !is_register_id(&id) {
            return Err(self.refuse(&id, "the person id is malformed"));
        }
        if self.file.persons.iter().any(|person| person.id == id) {
            return Err(IssuerError::DuplicateId { kind: "person", id });
        }
        let rrn = Rrn::parse(birth.rrn).map_err(|source| IssuerError::InvalidRrn {
            person_id: id.clone(),
            source,
        })?;
        if rrn.birth_date() != birth.date {
            return Err(self.refuse(&id, "the RRN's birth date differs from the date of birth"));
        }
        if rrn.sex() != birth.sex {
            return Err(self.refuse(&id, "the RRN's 7th digit differs from the sex"));
        }
        if let Some(owner) = self
            .file
            .persons
            .iter()
            .find(|person| person.rrn == rrn.as_str())
        {
            return Err(IssuerError::DuplicateRrn {
                first: owner.id.clone(),
                second: id,
            });
        }

        let mother = &self.file.persons[self.person_index(birth.mother)?];
        if mother.sex != Sex::Female {
            return Err(self.refuse(&mother.id, "the mother is not registered as female"));
        }
        if mother.died_on.is_some_and(|died| died < birth.date) {
            return Err(self.refuse(&mother.id, "the mother died before the birth"));
        }
        if birth_of(mother)? >= birth.date {
            return Err(self.refuse(&mother.id, "the mother is not born before the child"));
        }
        let mut parents = vec![mother];
        if let Some(father_id) = birth.father {
            let father = &self.file.persons[self.person_index(father_id)?];
            if father.sex != Sex::Male {
                return Err(self.refuse(&father.id, "the father is not registered as male"));
            }
            if father
                .died_on
                .is_some_and(|died| died + Duration::days(POSTHUMOUS_BIRTH_DAYS) < birth.date)
            {
                return Err(self.refuse(
                    &father.id,
                    "the father died more than 300 days before the birth",
                ));
            }
            if birth_of(father)? >= birth.date {
                return Err(self.refuse(&father.id, "the father is not born before the child"));
            }
            parents.insert(0, father);
        }
        // 민법 제781조: the father's 본 (and here his 등록기준지), the mother's without a father
        // (or when the father has none, as a foreign father).
        let bon = parents.iter().find_map(|parent| parent.bon.clone());
        let registration_base = parents
            .iter()
            .find_map(|parent| parent.registration_base.clone());
        let parent_ids: Vec<String> = parents.iter().map(|parent| parent.id.clone()).collect();
        let mother_id = parent_ids[parent_ids.len() - 1].clone();

        self.file.persons.push(PersonEntry {
            id: id.clone(),
            name: birth.name.to_owned(),
            name_hanja: birth.name_hanja.map(str::to_owned),
            rrn: rrn.as_str().to_owned(),
            sex: birth.sex,
            bon,
            registration_base,
            died_on: None,
            detail_changes: Vec::new(),
            address_history: Vec::new(),
        });
        let child = self.file.persons.len() - 1;
        for parent in &parent_ids {
            self.file.families.parent_child.push(ParentChild {
                parent: parent.clone(),
                child: id.clone(),
            });
        }

        let mut copy = BTreeSet::new();
        let mut summary = format!("birth {id}: mother {mother_id}");
        if let Some(father) = birth.father {
            summary.push_str(&format!(", father {}", shown_id(father)));
        }
        if let Some((h, _)) = self.membership(&mother_id) {
            let head = self.file.households[h].head.clone();
            let relation = Kinship::new(&self.file).relation(&head, &id).to_owned();
            let household = &mut self.file.households[h];
            household.members.push(MemberEntry {
                person: id.clone(),
                relation: relation.clone(),
                moved_in: birth.date,
                change_reason: BIRTH_REGISTERED.to_owned(),
            });
            copy.extend(household.members.iter().map(|member| member.person.clone()));
            summary.push_str(&format!(", joined {}", household.id));
            let address = household.address.clone();
            self.file.persons[child]
                .address_history
                .push(ResidenceEntry {
                    address,
                    moved_in: birth.date,
                    change_reason: BIRTH_REGISTERED.to_owned(),
                    household_head: head,
                    relation_to_head: relation,
                });
        }
        let family: BTreeSet<String> = parent_ids.into_iter().collect();
        Ok((stale_sets(copy, BTreeSet::new(), family), summary))
    }

    fn death(&mut self, person: &str, date: Date) -> Result<(Vec<StaleSet>, String), IssuerError> {
        let index = self.living(person)?;
        let person = self.file.persons[index].id.clone();
        let mut last = self.last_residence_change(index)?;
        if let Some(change) = self.file.persons[index].detail_changes.last() {
            last = last.max(change.changed_on);
        }
        for marriage in &self.file.families.marriages {
            if marriage.spouses.contains(&person) {
                last = last.max(marriage.married_on);
                if let Some(divorced) = marriage.divorced_on {
                    last = last.max(divorced);
                }
            }
        }
        if date < last {
            return Err(self.refuse(
                &person,
                "the date is before the person's birth or last recorded change",
            ));
        }
        self.file.persons[index].died_on = Some(date);
        let departure = self.leave_household(&person, date)?;

        let mut copy = BTreeSet::from([person.clone()]);
        let mut abstract_ = BTreeSet::from([person.clone()]);
        let mut summary = format!("death {person}");
        if let Some(departure) = &departure {
            copy.extend(departure.members_before.iter().cloned());
            if departure.new_head.is_some() {
                abstract_.extend(departure.remaining.iter().cloned());
            }
            summary.push_str(": ");
            summary.push_str(&departure.describe());
        }
        let family = BTreeSet::from([person]);
        Ok((stale_sets(copy, abstract_, family), summary))
    }
}

/// The birth date, from the RRN.
fn birth_of(person: &PersonEntry) -> Result<Date, IssuerError> {
    Rrn::parse(&person.rrn)
        .map(|rrn| rrn.birth_date())
        .map_err(|source| IssuerError::InvalidRrn {
            person_id: person.id.clone(),
            source,
        })
}

/// Family relations indexed for deriving 세대주와의 관계.
struct Kinship<'a> {
    sex: HashMap<&'a str, Sex>,
    parents: HashMap<&'a str, Vec<&'a str>>,
    children: HashMap<&'a str, Vec<&'a str>>,
    /// Current spouses: marriages neither dissolved by divorce nor by a death.
    spouse: HashMap<&'a str, &'a str>,
    /// Spouses of marriages not dissolved by divorce, current or ended by a death: 인척 (in-law)
    /// relations survive a spouse's death (민법 제775조), not a divorce.
    in_law: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Kinship<'a> {
    fn new(file: &'a RegisterFile) -> Kinship<'a> {
        let mut sex = HashMap::with_capacity(file.persons.len());
        let mut deceased = std::collections::HashSet::new();
        for person in &file.persons {
            sex.insert(person.id.as_str(), person.sex);
            if person.died_on.is_some() {
                deceased.insert(person.id.as_str());
            }
        }
        let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for relation in &file.families.parent_child {
            parents
                .entry(relation.child.as_str())
                .or_default()
                .push(relation.parent.as_str());
            children
                .entry(relation.parent.as_str())
                .or_default()
                .push(relation.child.as_str());
        }
        let mut spouse = HashMap::new();
        let mut in_law: HashMap<&str, Vec<&str>> = HashMap::new();
        for marriage in &file.families.marriages {
            let [a, b] = &marriage.spouses;
            if marriage.divorced_on.is_some() {
                continue;
            }
            in_law.entry(a.as_str()).or_default().push(b.as_str());
            in_law.entry(b.as_str()).or_default().push(a.as_str());
            if !deceased.contains(a.as_str()) && !deceased.contains(b.as_str()) {
                spouse.insert(a.as_str(), b.as_str());
                spouse.insert(b.as_str(), a.as_str());
            }
        }
        Kinship {
            sex,
            parents,
            children,
            spouse,
            in_law,
        }
    }

    fn parents_of(&self, id: &str) -> &[&'a str] {
        self.parents.get(id).map_or(&[], Vec::as_slice)
    }

    fn children_of(&self, id: &str) -> &[&'a str] {
        self.children.get(id).map_or(&[], Vec::as_slice)
    }

    fn in_laws_of(&self, id: &str) -> &[&'a str] {
        self.in_law.get(id).map_or(&[], Vec::as_slice)
    }

    fn female(&self, id: &str) -> bool {
        self.sex.get(id) == Some(&Sex::Female)
    }

    /// 세대주와의 관계 of `person` in the household of `head`, in the register's words; 동거인
    /// when the register knows no relation between them.
    fn relation(&self, head: &str, person: &str) -> &'static str {
        let spouse = self.spouse.get(head).copied();
        let children = self.children_of(head);
        if person == head {
            HEAD_RELATION
        } else if spouse == Some(person) {
            "배우자"
        } else if children.contains(&person) {
            "자"
        } else if self.parents_of(head).contains(&person) {
            if self.female(person) {
                "모"
            } else {
                "부"
            }
        } else if children
            .iter()
            .any(|child| self.children_of(child).contains(&person))
        {
            "손"
        } else if children
            .iter()
            .any(|child| self.in_laws_of(child).contains(&person))
        {
            if self.female(person) {
                "자부"
            } else {
                "사위"
            }
        } else if self
            .in_laws_of(head)
            .iter()
            .any(|spouse| self.parents_of(spouse).contains(&person))
        {
            match (self.female(head), self.female(person)) {
                (true, false) => "시부",
                (true, true) => "시모",
                (false, false) => "장인",
                (false, true) => "장모",
            }
        } else if self
            .parents_of(head)
            .iter()
            .any(|parent| self.parents_of(person).contains(parent))
        {
            if self.female(person) {
                "자매"
            } else {
                "형제"
            }
        } else {
            COHABITANT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_ids_follow_the_highest_numbered_one() {
        let ids = ["H000002", "H000010", "Hx", "H", "X000099", "H12a"];
        assert_eq!(next_id('H', ids.into_iter()), "H000011");
        assert_eq!(next_id('P', std::iter::empty()), "P000001");
    }

    #[test]
    fn event_debug_shows_ids_and_the_masked_rrn_only() {
        let event = RegisterEvent::Birth {
            mother: "P000002".into(),
            father: None,
            name: "김하늘".into(),
            name_hanja: None,
            sex: Sex::Female,
            date: time::macros::date!(2025 - 03 - 07),
            rrn: "250307-4123456".into(),
            person_id: None,
        };
        let printed = format!("{event:?}");
        assert!(printed.contains("P000002"), "{printed}");
        assert!(
            !printed.contains("김하늘") && !printed.contains("123456"),
            "{printed}"
        );
    }
}
