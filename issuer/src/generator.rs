//! A deterministic synthetic register, for demos, tests and load: [`generate`]`(households, seed)`
//! always gives the same [`RegisterFile`] for the same arguments (ChaCha8 seeded from `seed`).
//!
//! What it produces (described in `specs/register-format.md`):
//!
//! - households of 1–6: one-person households (some widowed or divorced), couples, couples with
//!   children, single parents (divorced or widowed), three generations (a widowed parent of the
//!   head moved in), and rarely a foreign resident (RRN 7th digit 5–8, no 본, no 등록기준지);
//! - surnames with Hanja and 본 weighted by frequency, given names from syllable lists with
//!   Hanja (some native names without), children taking the father's surname and 본;
//! - realistic ages: parents 20–45 years older than their children, marriages after both are
//!   adults, children born during the marriage, deaths after every child's birth;
//! - valid, unique RRNs for the birth date (check digit before October 2020, none after);
//! - road-name addresses with 동/호 or floor and a 5-digit postal code; address histories with
//!   the household head at each address (the head's father at birth, when known); spouses and
//!   children follow the head's moves; some 개명 (name changes);
//! - parents of heads and spouses (often deceased, registered elsewhere: no household), former
//!   spouses after divorce, deceased spouses and, rarely, a deceased child, so that 상세
//!   certificates have past relations.
//!
//! Every event lies before [`SYNTHETIC_REFERENCE_DATE`]; no clock is read.

mod tables;

use std::collections::HashSet;

use dojang_vc::credentials::{
    age_on, Address, PersonalDetail, PersonalDetailChange, Sex, HEAD_RELATION,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::macros::date;
use time::{Date, Duration};

use crate::register::{
    FamilyRelations, HouseholdEntry, Marriage, MemberEntry, ParentChild, PersonEntry, RegisterFile,
    ResidenceEntry, REGISTER_FORMAT,
};
use tables::{
    District, Surname, DISTRICTS, FEMALE_SYLLABLES, FOREIGN_NAMES, MALE_SYLLABLES, NATIVE_NAMES,
    SURNAMES,
};

/// The synthetic register describes the world as of this date: every birth, move, marriage,
/// divorce and death lies before it. Issue credentials on or after it.
pub const SYNTHETIC_REFERENCE_DATE: Date = date!(2026 - 01 - 01);

/// The last day an event may fall on.
const LAST_DAY: Date = date!(2025 - 12 - 31);

/// Numbers issued from this date on carry no valid check digit.
const NO_CHECK_DIGIT_SINCE: Date = date!(2020 - 10 - 01);

/// Largest household generated.
const MAX_MEMBERS: usize = 6;

/// 세대주와의 관계 and 변동사유 the generator writes.
const SPOUSE: &str = "배우자";
const CHILD: &str = "자";
const FATHER: &str = "부";
const MOTHER: &str = "모";
const MOVED_IN: &str = "전입";
const BIRTH_REGISTERED: &str = "출생등록";
const JOINED: &str = "세대합가";
const SPLIT: &str = "세대분리";
const RENAMED: &str = "개명";

/// Generates `households` households and everyone they relate to, deterministically from
/// `seed`.
pub fn generate(households: usize, seed: u64) -> RegisterFile {
    let mut generator = Generator::new(seed, households);
    for _ in 0..households {
        generator.household();
    }
    generator.finish()
}

/// Surname and 본, passed from father to child.
#[derive(Clone, Copy)]
struct Lineage {
    surname: &'static Surname,
    bon: &'static str,
}

/// An address the head lived at from a date: spouses and children follow these.
struct Stay {
    address: Address,
    from: Date,
}

/// Household composition.
enum Kind {
    Single,
    Couple { children: usize, with_parent: bool },
    SingleParent { children: usize },
    Foreign,
}

struct Generator {
    rng: ChaCha8Rng,
    persons: Vec<PersonEntry>,
    births: Vec<Date>,
    lineages: Vec<Option<Lineage>>,
    households: Vec<HouseholdEntry>,
    parent_child: Vec<ParentChild>,
    marriages: Vec<Marriage>,
    used_rrns: HashSet<String>,
}

fn person_id(index: usize) -> String {
    format!("P{:06}", index + 1)
}

/// `date` moved by whole years; 29 February becomes 28 February in a common year.
fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    match date.replace_year(year) {
        Ok(moved) => moved,
        Err(_) => date
            .replace_day(28)
            .and_then(|day| day.replace_year(year))
            .unwrap_or(date),
    }
}

/// The pre-2020 RRN check digit over the first 12 digits.
fn check_digit(digits: &[u8; 12]) -> u8 {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    ((11 - sum % 11) % 10) as u8
}

fn other_sex(sex: Sex) -> Sex {
    match sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    }
}

impl Generator {
    fn new(seed: u64, households: usize) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            persons: Vec::with_capacity(households * 4),
            births: Vec::with_capacity(households * 4),
            lineages: Vec::with_capacity(households * 4),
            households: Vec::with_capacity(households),
            parent_child: Vec::with_capacity(households * 3),
            marriages: Vec::with_capacity(households * 2),
            used_rrns: HashSet::with_capacity(households * 4),
        }
    }

    fn finish(self) -> RegisterFile {
        RegisterFile {
            format: REGISTER_FORMAT.to_owned(),
            persons: self.persons,
            households: self.households,
            families: FamilyRelations {
                parent_child: self.parent_child,
                marriages: self.marriages,
            },
        }
    }

    // ---- randomness -------------------------------------------------------------------------

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// A uniform date in `lo..=hi` (`lo` when the range is empty).
    fn date_between(&mut self, lo: Date, hi: Date) -> Date {
        if hi <= lo {
            return lo;
        }
        let days = (hi - lo).whole_days();
        lo + Duration::days(self.rng.gen_range(0..=days))
    }

    /// A birth date for someone aged `min_age..=max_age` on the last day.
    fn birth_for_age(&mut self, min_age: i32, max_age: i32) -> Date {
        let latest = add_years(LAST_DAY, -min_age);
        let earliest = add_years(LAST_DAY, -(max_age + 1)) + Duration::days(1);
        self.date_between(earliest, latest)
    }

    /// A birth date about `years` years (± `spread`) from `date`, no later than 18 years before
    /// the last day.
    fn birth_near(&mut self, date: Date, spread: i32) -> Date {
        let lo = add_years(date, -spread);
        let hi = add_years(date, spread).min(add_years(LAST_DAY, -23));
        self.date_between(lo.min(hi), hi)
    }

    fn weighted<T>(&mut self, items: &'static [T], weight: impl Fn(&T) -> u32) -> &'static T {
        let total: u32 = items.iter().map(&weight).sum();
        let mut pick = self.rng.gen_range(0..total.max(1));
        for item in items {
            let w = weight(item);
            if pick < w {
                return item;
            }
            pick -= w;
        }
        &items[items.len() - 1]
    }

    fn lineage(&mut self) -> Lineage {
        let surname = self.weighted(SURNAMES, |s| s.weight);
        let bon = self.weighted(surname.bons, |b| b.1).0;
        Lineage { surname, bon }
    }

    fn address(&mut self) -> Address {
        let district: &District = self.weighted(DISTRICTS, |d| d.weight);
        let road = district.roads[self.rng.gen_range(0..district.roads.len())];
        let number = self.rng.gen_range(1..=320);
        let mut road_address = String::with_capacity(64);
        road_address.push_str(district.sido);
        if !district.sigungu.is_empty() {
            road_address.push(' ');
            road_address.push_str(district.sigungu);
        }
        road_address.push(' ');
        road_address.push_str(road);
        road_address.push(' ');
        road_address.push_str(&number.to_string());
        if self.chance(0.12) {
            road_address.push_str(&format!("-{}", self.rng.gen_range(1..=9)));
        }
        let detail = match self.rng.gen_range(0..100) {
            0..=59 => Some(format!(
                "{}동 {}{:02}호",
                self.rng.gen_range(101..=115),
                self.rng.gen_range(1..=25),
                self.rng.gen_range(1..=6)
            )),
            60..=74 => Some(format!("{}층", self.rng.gen_range(1..=5))),
            _ => None,
        };
        let (lo, hi) = district.postal;
        Address {
            road_address,
            detail,
            postal_code: format!("{:05}", self.rng.gen_range(lo..=hi)),
        }
    }

    fn registration_base(&mut self) -> String {
        let district: &District = self.weighted(DISTRICTS, |d| d.weight);
        let road = district.roads[self.rng.gen_range(0..district.roads.len())];
        let number = self.rng.gen_range(1..=320);
        if district.sigungu.is_empty() {
            format!("{} {road} {number}", district.sido)
        } else {
            format!("{} {} {road} {number}", district.sido, district.sigungu)
        }
    }

    /// A given name in Hangul and, unless it is a native name, Hanja.
    fn given_name(&mut self, sex: Sex, birth: Date) -> (String, Option<String>) {
        if birth.year() >= 1985 && self.chance(0.08) {
            let name = NATIVE_NAMES[self.rng.gen_range(0..NATIVE_NAMES.len())];
            return (name.to_owned(), None);
        }
        let syllables = match sex {
            Sex::Male => MALE_SYLLABLES,
            Sex::Female => FEMALE_SYLLABLES,
        };
        let first = self.rng.gen_range(0..syllables.len());
        let mut second = self.rng.gen_range(0..syllables.len() - 1);
        if second >= first {
            second += 1;
        }
        let (a, a_hanja) = syllables[first];
        let (b, b_hanja) = syllables[second];
        (format!("{a}{b}"), Some(format!("{a_hanja}{b_hanja}")))
    }

    /// A fresh, valid RRN for this birth date, sex and residency.
    fn rrn(&mut self, birth: Date, sex: Sex, foreign: bool) -> String {
        let century_digit: u8 = match (birth.year() / 100, sex, foreign) {
            (18, Sex::Male, _) => 9,
            (18, Sex::Female, _) => 0,
            (19, Sex::Male, false) => 1,
            (19, Sex::Female, false) => 2,
            (19, Sex::Male, true) => 5,
            (19, Sex::Female, true) => 6,
            (_, Sex::Male, false) => 3,
            (_, Sex::Female, false) => 4,
            (_, Sex::Male, true) => 7,
            (_, Sex::Female, true) => 8,
        };
        let yy = (birth.year() % 100) as u8;
        let mm = u8::from(birth.month());
        let dd = birth.day();
        loop {
            let mut digits = [0u8; 13];
            digits[..7].copy_from_slice(&[
                yy / 10,
                yy % 10,
                mm / 10,
                mm % 10,
                dd / 10,
                dd % 10,
                century_digit,
            ]);
            if birth < NO_CHECK_DIGIT_SINCE {
                // Region (2 digits, 00–95), office (2), order of the day (1), check digit.
                let region = self.rng.gen_range(0..=95u8);
                let office = self.rng.gen_range(0..=99u8);
                digits[7] = region / 10;
                digits[8] = region % 10;
                digits[9] = office / 10;
                digits[10] = office % 10;
                digits[11] = self.rng.gen_range(1..=9);
                let mut first12 = [0u8; 12];
                first12.copy_from_slice(&digits[..12]);
                digits[12] = check_digit(&first12);
            } else {
                for digit in &mut digits[7..] {
                    *digit = self.rng.gen_range(0..=9);
                }
            }
            let mut text = String::with_capacity(14);
            for (index, digit) in digits.iter().enumerate() {
                if index == 6 {
                    text.push('-');
                }
                text.push(char::from(b'0' + digit));
            }
            if self.used_rrns.insert(text.clone()) {
                return text;
            }
        }
    }

    // ---- persons and relations --------------------------------------------------------------

    /// Adds a person; `lineage` `None` makes a foreign resident.
    fn add_person(&mut self, birth: Date, sex: Sex, lineage: Option<Lineage>) -> usize {
        let index = self.persons.len();
        let foreign = lineage.is_none();
        let (name, name_hanja, bon, registration_base) = match lineage {
            Some(lineage) => {
                let (given, given_hanja) = self.given_name(sex, birth);
                (
                    format!("{}{given}", lineage.surname.hangul),
                    given_hanja.map(|hanja| format!("{}{hanja}", lineage.surname.hanja)),
                    Some(lineage.bon.to_owned()),
                    Some(self.registration_base()),
                )
            }
            None => {
                let candidates: Vec<&str> = FOREIGN_NAMES
                    .iter()
                    .filter(|(_, male)| *male == (sex == Sex::Male))
                    .map(|(name, _)| *name)
                    .collect();
                let name = candidates[self.rng.gen_range(0..candidates.len())];
                (name.to_owned(), None, None, None)
            }
        };
        let rrn = self.rrn(birth, sex, foreign);
        self.persons.push(PersonEntry {
            id: person_id(index),
            name,
            name_hanja,
            rrn,
            sex,
            bon,
            registration_base,
            died_on: None,
            detail_changes: Vec::new(),
            address_history: Vec::new(),
        });
        self.births.push(birth);
        self.lineages.push(lineage);
        index
    }

    fn link_parent(&mut self, parent: usize, child: usize) {
        self.parent_child.push(ParentChild {
            parent: person_id(parent),
            child: person_id(child),
        });
    }

    fn marry(&mut self, a: usize, b: usize, married_on: Date, divorced_on: Option<Date>) {
        self.marriages.push(Marriage {
            spouses: [person_id(a), person_id(b)],
            married_on,
            divorced_on,
        });
    }

    fn age(&self, person: usize) -> i32 {
        i32::try_from(age_on(self.births[person], LAST_DAY)).unwrap_or(i32::MAX)
    }

    /// A child of `father` and `mother` born in `lo..=hi` (if that window exists).
    fn add_child(&mut self, father: usize, mother: usize, lo: Date, hi: Date) -> Option<usize> {
        if lo > hi {
            return None;
        }
        let birth = self.date_between(lo, hi);
        let sex = if self.chance(0.51) {
            Sex::Male
        } else {
            Sex::Female
        };
        let child = self.add_person(birth, sex, self.lineages[father]);
        // A child is registered at the father's 등록기준지.
        self.persons[child].registration_base = self.persons[father].registration_base.clone();
        self.link_parent(father, child);
        self.link_parent(mother, child);
        Some(child)
    }

    /// The window in which `father` and `mother` could have a child: both 22 or older, the
    /// mother at most 42, the father at most 45 (so parents are 20–45 years older), within
    /// `from..=until`.
    fn birth_window(&self, father: usize, mother: usize, from: Date, until: Date) -> (Date, Date) {
        let lo = from
            .max(add_years(self.births[father], 22))
            .max(add_years(self.births[mother], 22));
        let hi = until
            .min(add_years(self.births[father], 45))
            .min(add_years(self.births[mother], 42))
            .min(LAST_DAY);
        (lo, hi)
    }

    /// Creates the parents of `child` (registered elsewhere: no household), married before the
    /// child's birth; each may have died since, unless `keep_alive` names their sex. Returns
    /// `(father, mother)`.
    fn add_parents(&mut self, child: usize, keep_alive: Option<Sex>) -> (usize, usize) {
        let child_birth = self.births[child];
        let father_age = self.rng.gen_range(24..=42);
        let mother_age = self.rng.gen_range(21..=38);
        let father_birth =
            add_years(child_birth, -father_age) - Duration::days(self.rng.gen_range(0..365));
        let mother_birth =
            add_years(child_birth, -mother_age) - Duration::days(self.rng.gen_range(0..365));
        let father = self.add_person(father_birth, Sex::Male, self.lineages[child]);
        self.persons[father].registration_base = self.persons[child].registration_base.clone();
        let mother_lineage = self.lineage();
        let mother = self.add_person(mother_birth, Sex::Female, Some(mother_lineage));
        let earliest = add_years(father_birth, 22)
            .max(add_years(mother_birth, 20))
            .max(add_years(child_birth, -6));
        let married_on = self.date_between(earliest, child_birth);
        self.marry(father, mother, married_on, None);
        self.link_parent(father, child);
        self.link_parent(mother, child);
        for (parent, sex) in [(father, Sex::Male), (mother, Sex::Female)] {
            if keep_alive == Some(sex) {
                continue;
            }
            let p = match self.age(parent) {
                95.. => 1.0,
                85..=94 => 0.75,
                75..=84 => 0.4,
                65..=74 => 0.15,
                _ => 0.04,
            };
            let earliest =
                (child_birth + Duration::days(1)).max(add_years(self.births[parent], 45));
            if earliest <= LAST_DAY && self.chance(p) {
                let died = self.date_between(earliest, LAST_DAY);
                self.persons[parent].died_on = Some(died);
            }
        }
        (father, mother)
    }

    // ---- address histories ------------------------------------------------------------------

    fn push_entry(
        &mut self,
        person: usize,
        address: Address,
        moved_in: Date,
        change_reason: &str,
        head: usize,
        relation: &str,
    ) {
        self.persons[person].address_history.push(ResidenceEntry {
            address,
            moved_in,
            change_reason: change_reason.to_owned(),
            household_head: person_id(head),
            relation_to_head: relation.to_owned(),
        });
    }

    /// The birth entry in the father's household, when the father is known.
    fn birth_entry(&mut self, person: usize, father: Option<usize>) {
        if let Some(father) = father {
            let address = self.address();
            let birth = self.births[person];
            self.push_entry(person, address, birth, BIRTH_REGISTERED, father, CHILD);
        }
    }

    /// `count` addresses of the person's own (as 본인) in `from..until`.
    fn own_stays(&mut self, person: usize, from: Date, until: Date, count: usize) {
        if count == 0 || from >= until {
            return;
        }
        let mut dates: Vec<Date> = (0..count)
            .map(|_| self.date_between(from, until - Duration::days(1)))
            .collect();
        dates.sort();
        for moved_in in dates {
            let address = self.address();
            self.push_entry(person, address, moved_in, MOVED_IN, person, HEAD_RELATION);
        }
    }

    /// The head's own addresses: `past` of them from `adult_start`, then the current one from
    /// `formed_on`. Returns them for the members to follow.
    fn head_stays(
        &mut self,
        head: usize,
        adult_start: Date,
        formed_on: Date,
        current: &Address,
        past: usize,
    ) -> Vec<Stay> {
        let mut dates = Vec::with_capacity(past);
        if past > 0 && adult_start < formed_on {
            dates.push(adult_start);
            for _ in 1..past {
                let date = self.date_between(adult_start, formed_on - Duration::days(1));
                dates.push(date);
            }
            dates.sort();
        }
        let mut stays: Vec<Stay> = dates
            .into_iter()
            .map(|from| Stay {
                address: self.address(),
                from,
            })
            .collect();
        stays.push(Stay {
            address: current.clone(),
            from: formed_on,
        });
        for stay in &stays {
            self.push_entry(
                head,
                stay.address.clone(),
                stay.from,
                MOVED_IN,
                head,
                HEAD_RELATION,
            );
        }
        stays
    }

    /// A member joins the head on `join` (birth or marriage) and follows every later move.
    /// Returns the date of the last entry: the member's 전입일/변동일 at the current address.
    fn follow(
        &mut self,
        person: usize,
        stays: &[Stay],
        join: Date,
        join_reason: &str,
        head: usize,
        relation: &str,
    ) -> Date {
        let active = stays
            .iter()
            .rposition(|stay| stay.from <= join)
            .unwrap_or(0);
        let mut last = join;
        for (index, stay) in stays.iter().enumerate().skip(active) {
            let (moved_in, reason) = if index == active {
                (join, join_reason)
            } else {
                (stay.from, MOVED_IN)
            };
            self.push_entry(
                person,
                stay.address.clone(),
                moved_in,
                reason,
                head,
                relation,
            );
            last = moved_in;
        }
        last
    }

    /// Past addresses of a head: more is likelier, at least one when someone joined before the
    /// current address.
    fn past_count(&mut self, at_least_one: bool) -> usize {
        let count = match self.rng.gen_range(0..100) {
            0..=24 => 0,
            25..=59 => 1,
            60..=84 => 2,
            _ => 3,
        };
        count.max(usize::from(at_least_one))
    }

    /// Sometimes a 개명: the previous name (and Hanja) recorded as a detail change.
    fn maybe_rename(&mut self, person: usize) {
        if self.age(person) < 12 || !self.chance(0.02) {
            return;
        }
        let Some(lineage) = self.lineages[person] else {
            return;
        };
        let sex = self.persons[person].sex;
        let birth = self.births[person];
        let (given, given_hanja) = self.given_name(sex, birth);
        let previous = format!("{}{given}", lineage.surname.hangul);
        if previous == self.persons[person].name {
            return;
        }
        let changed_on = self.date_between(add_years(birth, 10), LAST_DAY);
        let entry = &mut self.persons[person];
        entry.detail_changes.push(PersonalDetailChange {
            item: PersonalDetail::Name,
            previous,
            current: entry.name.clone(),
            changed_on,
            reason: RENAMED.to_owned(),
        });
        if let (Some(current), Some(hanja)) = (&entry.name_hanja, given_hanja) {
            let previous = format!("{}{hanja}", lineage.surname.hanja);
            if &previous != current {
                entry.detail_changes.push(PersonalDetailChange {
                    item: PersonalDetail::NameHanja,
                    previous,
                    current: current.clone(),
                    changed_on,
                    reason: RENAMED.to_owned(),
                });
            }
        }
    }

    fn push_household(
        &mut self,
        head: usize,
        address: Address,
        formation_reason: &str,
        formed_on: Date,
        members: Vec<(usize, MemberEntry)>,
    ) {
        for (index, _) in &members {
            self.maybe_rename(*index);
        }
        let members = members.into_iter().map(|(_, member)| member).collect();
        self.households.push(HouseholdEntry {
            id: format!("H{:06}", self.households.len() + 1),
            head: person_id(head),
            address,
            formation_reason: formation_reason.to_owned(),
            formed_on,
            members,
        });
    }

    fn member(person: usize, relation: &str, moved_in: Date, reason: &str) -> (usize, MemberEntry) {
        let entry = MemberEntry {
            person: person_id(person),
            relation: relation.to_owned(),
            moved_in,
            change_reason: reason.to_owned(),
        };
        (person, entry)
    }

    // ---- households -------------------------------------------------------------------------

    fn household(&mut self) {
        let kind = match self.rng.gen_range(0..100) {
            0..=32 => Kind::Single,
            33..=50 => Kind::Couple {
                children: 0,
                with_parent: false,
            },
            51..=83 => Kind::Couple {
                children: match self.rng.gen_range(0..100) {
                    0..=34 => 1,
                    35..=82 => 2,
                    _ => 3,
                },
                with_parent: false,
            },
            84..=91 => Kind::SingleParent {
                children: self.rng.gen_range(1..=2),
            },
            92..=97 => Kind::Couple {
                children: self.rng.gen_range(1..=2),
                with_parent: true,
            },
            _ => Kind::Foreign,
        };
        match kind {
            Kind::Single => self.single_household(),
            Kind::Couple {
                children,
                with_parent,
            } => self.couple_household(children, with_parent),
            Kind::SingleParent { children } => self.single_parent_household(children),
            Kind::Foreign => self.foreign_household(),
        }
    }

    /// 1인 세대, sometimes widowed or divorced.
    fn single_household(&mut self) {
        let sex = if self.chance(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let birth = self.birth_for_age(20, 85);
        let lineage = self.lineage();
        let head = self.add_person(birth, sex, Some(lineage));
        let age = self.age(head);
        if age >= 60 && self.chance(0.45) {
            let spouse_birth = self.birth_near(birth, 3);
            let spouse_lineage = self.lineage();
            let spouse = self.add_person(spouse_birth, other_sex(sex), Some(spouse_lineage));
            let earliest = add_years(birth, 24).max(add_years(spouse_birth, 22));
            let married_on = self.date_between(earliest, add_years(earliest, 8));
            let died = self.date_between(add_years(married_on, 5), LAST_DAY);
            self.marry(head, spouse, married_on, None);
            self.persons[spouse].died_on = Some(died);
        } else if age >= 35 && self.chance(0.15) {
            let ex_birth = self.birth_near(birth, 3);
            let ex_lineage = self.lineage();
            let ex = self.add_person(ex_birth, other_sex(sex), Some(ex_lineage));
            let earliest = add_years(birth, 24).max(add_years(ex_birth, 22));
            let married_on = self.date_between(earliest, add_years(earliest, 6));
            let divorced_on = self.date_between(
                add_years(married_on, 1),
                add_years(married_on, 10).min(LAST_DAY),
            );
            self.marry(head, ex, married_on, Some(divorced_on));
        }
        let father = self.chance(0.6).then(|| self.add_parents(head, None).0);
        self.birth_entry(head, father);
        let formed_on = self.date_between(add_years(birth, 20), LAST_DAY);
        let adult_start = add_years(birth, self.rng.gen_range(19..=24)).min(formed_on);
        let past = self.past_count(false);
        let current = self.address();
        self.head_stays(head, adult_start, formed_on, &current, past);
        let reason = if father.is_some() && self.chance(0.25) {
            SPLIT
        } else {
            MOVED_IN
        };
        let members = vec![Self::member(head, HEAD_RELATION, formed_on, MOVED_IN)];
        self.push_household(head, current, reason, formed_on, members);
    }

    /// A married couple, their children, perhaps a child of the head's former marriage and a
    /// widowed parent of the head.
    fn couple_household(&mut self, wanted_children: usize, with_parent: bool) {
        let head_sex = if self.chance(0.85) {
            Sex::Male
        } else {
            Sex::Female
        };
        let (min_age, max_age) = match (with_parent, wanted_children) {
            (true, _) => (35, 58),
            (false, 0) => (25, 85),
            (false, _) => (28, 62),
        };
        let head_birth = self.birth_for_age(min_age, max_age);
        let head_lineage = self.lineage();
        let head = self.add_person(head_birth, head_sex, Some(head_lineage));
        let head_age = self.age(head);
        let gap = self.rng.gen_range(-1..=6);
        let spouse_age = match head_sex {
            Sex::Male => head_age - gap,
            Sex::Female => head_age + gap,
        }
        .clamp(23, 95);
        let spouse_birth = self.birth_for_age(spouse_age, spouse_age);
        let spouse_lineage = self.lineage();
        let spouse = self.add_person(spouse_birth, other_sex(head_sex), Some(spouse_lineage));
        let (husband, wife) = match head_sex {
            Sex::Male => (head, spouse),
            Sex::Female => (spouse, head),
        };

        // A former marriage of the head, ended by divorce.
        let mut earliest_marriage = add_years(head_birth, 24).max(add_years(spouse_birth, 22));
        let mut former = None;
        if head_age >= 32 && self.chance(0.08) {
            let ex_birth = self.birth_near(head_birth, 3);
            let lo = add_years(head_birth, 23).max(add_years(ex_birth, 21));
            let hi = add_years(head_birth, 30).min(add_years(LAST_DAY, -8));
            if lo <= hi {
                let married_on = self.date_between(lo, hi);
                let days = self.rng.gen_range(365..=6 * 365);
                let divorced_on = married_on + Duration::days(days);
                if divorced_on < add_years(LAST_DAY, -1) {
                    let ex_lineage = self.lineage();
                    let ex = self.add_person(ex_birth, other_sex(head_sex), Some(ex_lineage));
                    self.marry(head, ex, married_on, Some(divorced_on));
                    earliest_marriage = earliest_marriage.max(divorced_on + Duration::days(30));
                    former = Some((ex, married_on, divorced_on));
                }
            }
        }
        let latest_marriage = add_years(earliest_marriage, 12).min(LAST_DAY - Duration::days(60));
        let married_on = self.date_between(earliest_marriage, latest_marriage);
        self.marry(head, spouse, married_on, None);

        // Children of this marriage, then perhaps one of the former marriage.
        let room = MAX_MEMBERS - 2 - usize::from(with_parent);
        let (lo, hi) = self.birth_window(husband, wife, married_on, LAST_DAY);
        let mut children = Vec::new();
        for _ in 0..wanted_children.min(room) {
            if let Some(child) = self.add_child(husband, wife, lo, hi) {
                children.push(child);
            }
        }
        if let Some((ex, from, until)) = former {
            if children.len() < room && self.chance(0.5) {
                let (father, mother) = match head_sex {
                    Sex::Male => (head, ex),
                    Sex::Female => (ex, head),
                };
                let (lo, hi) = self.birth_window(father, mother, from, until);
                if let Some(child) = self.add_child(father, mother, lo, hi) {
                    children.push(child);
                }
            }
        }
        children.sort_by_key(|&child| self.births[child]);
        // Rarely a child who died: only the 상세 certificate shows them.
        if !children.is_empty() && self.chance(0.015) {
            if let Some(child) = self.add_child(husband, wife, lo, hi - Duration::days(1)) {
                let died = self.date_between(self.births[child] + Duration::days(1), LAST_DAY);
                self.persons[child].died_on = Some(died);
            }
        }

        // Parents (registered elsewhere, or the widowed one living here).
        let keep_alive = with_parent.then(|| {
            if self.chance(0.7) {
                Sex::Female
            } else {
                Sex::Male
            }
        });
        let head_parents =
            (with_parent || self.chance(0.6)).then(|| self.add_parents(head, keep_alive));
        let spouse_father = self.chance(0.4).then(|| self.add_parents(spouse, None).0);

        // The household and everyone's address history.
        let current = self.address();
        let head_adult = add_years(head_birth, 20);
        let formed_on = if self.chance(0.6) {
            let lo = add_years(married_on, -2).max(head_adult);
            self.date_between(lo, LAST_DAY)
        } else {
            self.date_between(head_adult, LAST_DAY)
        };
        let mut earliest_dependent = married_on;
        if let Some((_, former_married_on, _)) = former {
            earliest_dependent = earliest_dependent.min(former_married_on);
        }
        if let Some(&first) = children.first() {
            earliest_dependent = earliest_dependent.min(self.births[first]);
        }
        let adult_start = add_years(head_birth, self.rng.gen_range(19..=24))
            .min(earliest_dependent)
            .min(formed_on);
        let past = self.past_count(earliest_dependent < formed_on);
        self.birth_entry(head, head_parents.map(|(father, _)| father));
        let stays = self.head_stays(head, adult_start, formed_on, &current, past);

        let mut members = vec![Self::member(head, HEAD_RELATION, formed_on, MOVED_IN)];
        self.birth_entry(spouse, spouse_father);
        let own = self.rng.gen_range(0..=2);
        self.own_stays(spouse, add_years(spouse_birth, 20), married_on, own);
        let moved_in = self.follow(spouse, &stays, married_on, MOVED_IN, head, SPOUSE);
        members.push(Self::member(spouse, SPOUSE, moved_in, MOVED_IN));
        for child in children {
            let birth = self.births[child];
            let moved_in = self.follow(child, &stays, birth, BIRTH_REGISTERED, head, CHILD);
            let reason = if moved_in == birth {
                BIRTH_REGISTERED
            } else {
                MOVED_IN
            };
            members.push(Self::member(child, CHILD, moved_in, reason));
        }
        if let (Some((father, mother)), Some(alive)) = (head_parents, keep_alive) {
            let (parent, relation) = match alive {
                Sex::Male => (father, FATHER),
                Sex::Female => (mother, MOTHER),
            };
            let moved_in = self.date_between(formed_on, LAST_DAY);
            let own = self.rng.gen_range(1..=2);
            let from = add_years(self.births[parent], 30);
            self.own_stays(parent, from, moved_in, own);
            self.push_entry(parent, current.clone(), moved_in, JOINED, head, relation);
            members.push(Self::member(parent, relation, moved_in, JOINED));
        }
        self.push_household(head, current, MOVED_IN, formed_on, members);
    }

    /// A divorced or widowed parent with their children.
    fn single_parent_household(&mut self, wanted_children: usize) {
        let head_sex = if self.chance(0.7) {
            Sex::Female
        } else {
            Sex::Male
        };
        let head_birth = self.birth_for_age(30, 55);
        let head_lineage = self.lineage();
        let head = self.add_person(head_birth, head_sex, Some(head_lineage));
        let other_birth = self.birth_near(head_birth, 3);
        let other_lineage = self.lineage();
        let other = self.add_person(other_birth, other_sex(head_sex), Some(other_lineage));
        let earliest = add_years(head_birth, 23).max(add_years(other_birth, 22));
        let latest = add_years(head_birth, 33).min(add_years(LAST_DAY, -3));
        let married_on = self.date_between(earliest, latest.max(earliest));
        let last_end = LAST_DAY - Duration::days(30);
        let ended = self.date_between(add_years(married_on, 2).min(last_end), last_end);
        let widowed = self.chance(0.25);
        let (father, mother) = match head_sex {
            Sex::Male => (head, other),
            Sex::Female => (other, head),
        };
        let (lo, hi) = self.birth_window(father, mother, married_on, ended);
        let mut children = Vec::new();
        for _ in 0..wanted_children {
            if let Some(child) = self.add_child(father, mother, lo, hi) {
                children.push(child);
            }
        }
        children.sort_by_key(|&child| self.births[child]);
        if widowed {
            self.marry(head, other, married_on, None);
            self.persons[other].died_on = Some(ended);
        } else {
            self.marry(head, other, married_on, Some(ended));
        }
        let head_father = self.chance(0.5).then(|| self.add_parents(head, None).0);

        let current = self.address();
        let lo = add_years(ended, -1).max(add_years(head_birth, 20));
        let formed_on = self.date_between(lo, LAST_DAY);
        let mut earliest_dependent = married_on;
        if let Some(&first) = children.first() {
            earliest_dependent = earliest_dependent.min(self.births[first]);
        }
        let adult_start = add_years(head_birth, self.rng.gen_range(19..=24))
            .min(earliest_dependent)
            .min(formed_on);
        let past = self.past_count(
            children
                .first()
                .is_some_and(|&c| self.births[c] < formed_on),
        );
        self.birth_entry(head, head_father);
        let stays = self.head_stays(head, adult_start, formed_on, &current, past);
        let mut members = vec![Self::member(head, HEAD_RELATION, formed_on, MOVED_IN)];
        for child in children {
            let birth = self.births[child];
            let moved_in = self.follow(child, &stays, birth, BIRTH_REGISTERED, head, CHILD);
            let reason = if moved_in == birth {
                BIRTH_REGISTERED
            } else {
                MOVED_IN
            };
            members.push(Self::member(child, CHILD, moved_in, reason));
        }
        self.push_household(head, current, MOVED_IN, formed_on, members);
    }

    /// A foreign resident living alone.
    fn foreign_household(&mut self) {
        let sex = if self.chance(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        let birth = self.birth_for_age(20, 60);
        let head = self.add_person(birth, sex, None);
        let arrived = add_years(LAST_DAY, -15).max(add_years(birth, 20));
        let formed_on = self.date_between(arrived, LAST_DAY);
        let past = usize::from(arrived < formed_on && self.chance(0.4));
        let current = self.address();
        self.head_stays(head, arrived, formed_on, &current, past);
        let members = vec![Self::member(head, HEAD_RELATION, formed_on, MOVED_IN)];
        self.push_household(head, current, MOVED_IN, formed_on, members);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_vc::credentials::Rrn;

    #[test]
    fn check_digit_matches_a_known_number() {
        // 850412-112051 → check digit 4 (computed by hand with the published weights).
        assert_eq!(check_digit(&[8, 5, 0, 4, 1, 2, 1, 1, 2, 0, 5, 1]), 4);
    }

    #[test]
    fn add_years_handles_leap_days() {
        assert_eq!(add_years(date!(2000 - 02 - 29), 1), date!(2001 - 02 - 28));
        assert_eq!(add_years(date!(2000 - 02 - 29), 4), date!(2004 - 02 - 29));
        assert_eq!(
            add_years(date!(2000 - 03 - 01), -100),
            date!(1900 - 03 - 01)
        );
    }

    #[test]
    fn rrns_encode_birth_sex_and_residency() {
        let mut generator = Generator::new(7, 0);
        for (birth, sex, foreign) in [
            (date!(1960 - 02 - 29), Sex::Female, false),
            (date!(2021 - 05 - 05), Sex::Male, false),
            (date!(1999 - 12 - 31), Sex::Male, true),
            (date!(2003 - 01 - 01), Sex::Female, true),
            (date!(1899 - 07 - 01), Sex::Male, false),
        ] {
            let text = generator.rrn(birth, sex, foreign);
            let rrn = Rrn::parse(&text).unwrap();
            assert_eq!(rrn.birth_date(), birth);
            assert_eq!(rrn.sex(), sex);
            assert_eq!(rrn.is_foreign_resident(), foreign && birth.year() >= 1900);
        }
    }
}
