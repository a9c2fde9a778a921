#![allow(clippy::unwrap_used)]
//! Register events end to end: each event on a generated register, the new register's
//! validity, the stale sets and how they match the persons each credential shows, the
//! replacement inside a larger sled transaction, refusals that name ids only, and the register's
//! export.

use std::collections::BTreeSet;

use dojang_issuer::{
    apply_event, generate, EventEffect, HouseholdEntry, IssuerError, PersonEntry, Register,
    RegisterEvent, RegisterFile, StaleSet,
};
use dojang_vc::credentials::{
    age_on, Address, CertificateKind, FamilyRelationCertificate, RelationEvent,
    ResidentRegistrationAbstract, ResidentRegistrationCopy, Rrn, Sex, HEAD_RELATION,
};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use time::macros::date;
use time::Date;

const OFFICE: &str = "서울특별시 마포구청";
const COURT: &str = "서울가정법원 가족관계등록관서";
const NUMBER: &str = "2026-1124-0931-0042";
/// After every event of a synthetic register.
const EVENT_DAY: Date = date!(2026 - 03 - 02);
const ISSUED: Date = date!(2026 - 03 - 10);

const COPY: &str = ResidentRegistrationCopy::VCT;
const ABSTRACT: &str = ResidentRegistrationAbstract::VCT;
const FAMILY: &str = FamilyRelationCertificate::VCT;

fn temp_register() -> (sled::Db, Register) {
    let db = sled::Config::new()
        .temporary(true)
        .open()
        .expect("temporary sled db");
    let register = Register::open(&db).expect("register trees");
    (db, register)
}

fn imported(households: usize, seed: u64) -> (sled::Db, Register, RegisterFile) {
    let file = generate(households, seed);
    let (db, register) = temp_register();
    register.import(&file).unwrap();
    (db, register, file)
}

/// What the lead does: the register's replacement inside one transaction with other trees (here
/// one stand-in for the status lists, written in the same step).
fn apply_in_transaction(db: &sled::Db, register: &Register, effect: &EventEffect) {
    let prepared = register.prepare_replace(&effect.register).unwrap();
    let status = db.open_tree("test.status").unwrap();
    let [persons, households, families, rrn_index] = register.trees();
    let trees = [persons, households, families, rrn_index, &status];
    trees[..]
        .transaction(|views| {
            prepared.apply_tx(&views[..4])?;
            views[4].insert(effect.summary.as_bytes(), b"revoked".as_slice())?;
            Ok::<(), ConflictableTransactionError<IssuerError>>(())
        })
        .unwrap();
    db.flush().unwrap();
    assert_eq!(
        status.get(effect.summary.as_bytes()).unwrap().unwrap(),
        b"revoked".as_slice()
    );
    assert_eq!(prepared.summary(), effect.register.validate().unwrap());
}

fn birth(person: &PersonEntry) -> Date {
    Rrn::parse(&person.rrn).unwrap().birth_date()
}

fn find<'a>(file: &'a RegisterFile, id: &str) -> &'a PersonEntry {
    file.persons.iter().find(|p| p.id == id).unwrap()
}

fn ids<const N: usize>(list: [&str; N]) -> BTreeSet<String> {
    list.into_iter().map(str::to_owned).collect()
}

fn members(household: &HouseholdEntry) -> BTreeSet<String> {
    household.members.iter().map(|m| m.person.clone()).collect()
}

fn stale_for<'a>(effect: &'a EventEffect, vct: &str) -> Option<&'a StaleSet> {
    effect.stale.iter().find(|set| set.vct == vct)
}

/// Who holds a credential of `vct` that the event makes stale: every living person of the old
/// register whose credential of that type shows a person of the stale set.
fn stale_holders(
    register: &Register,
    file: &RegisterFile,
    effect: &EventEffect,
    vct: &str,
) -> BTreeSet<String> {
    let Some(set) = stale_for(effect, vct) else {
        return BTreeSet::new();
    };
    let mut holders = BTreeSet::new();
    for person in file.persons.iter().filter(|p| p.died_on.is_none()) {
        if let Ok(shown) = register.persons_shown(&person.id, vct) {
            if !shown.is_disjoint(&set.persons) {
                holders.insert(person.id.clone());
            }
        }
    }
    holders
}

/// No RRN digits and no name of any person of `file` in the error's text or debug form.
fn assert_no_personal_data(err: &IssuerError, file: &RegisterFile) {
    for text in [err.to_string(), format!("{err:?}")] {
        for person in &file.persons {
            assert!(!text.contains(&person.rrn[7..]), "{text}");
            assert!(!text.contains(&person.name), "{text}");
        }
    }
}

fn new_address() -> Address {
    Address {
        road_address: "서울특별시 성동구 왕십리로 83-21".into(),
        detail: Some("2층".into()),
        postal_code: "04769".into(),
    }
}

fn move_in(person: &str, household: Option<&str>, address: Address) -> RegisterEvent {
    RegisterEvent::MoveIn {
        person: person.to_owned(),
        address,
        date: EVENT_DAY,
        household: household.map(str::to_owned),
        reason: "전입".into(),
    }
}

/// A household of at least three with a non-head adult member.
fn household_of_three(file: &RegisterFile) -> &HouseholdEntry {
    file.households
        .iter()
        .find(|h| {
            h.members.len() >= 3
                && h.members[1..]
                    .iter()
                    .any(|m| age_on(birth(find(file, &m.person)), EVENT_DAY) >= 19)
        })
        .unwrap()
}

#[test]
fn a_member_moving_out_forms_a_new_household_and_stales_the_old_households_copies() {
    let (db, register, file) = imported(300, 1);
    let household = household_of_three(&file);
    let mover = household.members[1..]
        .iter()
        .find(|m| age_on(birth(find(&file, &m.person)), EVENT_DAY) >= 19)
        .unwrap()
        .person
        .clone();
    let effect = apply_event(&file, &move_in(&mover, None, new_address())).unwrap();
    effect.register.validate().unwrap();
    assert_eq!(effect.register.households.len(), file.households.len() + 1);
    let new_id = format!("H{:06}", file.households.len() + 1);
    assert!(
        effect.summary.contains(&mover) && effect.summary.contains(&new_id),
        "{}",
        effect.summary
    );
    assert!(effect.summary.contains(&household.id));

    // 등본: the old household's members (the mover among them); 초본: the mover; no family set.
    assert_eq!(
        stale_for(&effect, COPY).unwrap().persons,
        members(household)
    );
    assert_eq!(
        stale_for(&effect, ABSTRACT).unwrap().persons,
        ids([mover.as_str()])
    );
    assert!(stale_for(&effect, FAMILY).is_none());
    // Matched against what each credential shows: exactly that household's 등본 are stale.
    assert_eq!(
        stale_holders(&register, &file, &effect, COPY),
        members(household)
    );
    assert_eq!(
        stale_holders(&register, &file, &effect, ABSTRACT),
        ids([mover.as_str()])
    );

    apply_in_transaction(&db, &register, &effect);
    let now = register.household_of(&mover).unwrap().unwrap();
    assert_eq!(now.id, new_id);
    assert_eq!(now.head, mover);
    assert_eq!(now.members.len(), 1);
    assert_eq!(now.members[0].relation, HEAD_RELATION);
    let copy = register
        .resident_copy(&mover, ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!(copy.address, new_address());
    assert_eq!(copy.members.len(), 1);
    assert_eq!(copy.household_formation_date, EVENT_DAY);
    let abstract_ = register
        .resident_abstract(&mover, ISSUED, NUMBER, OFFICE)
        .unwrap();
    let last = abstract_.address_history.last().unwrap();
    assert_eq!(
        (last.moved_in, last.change_reason.as_str()),
        (EVENT_DAY, "전입")
    );
    assert_eq!(last.relation_to_head, HEAD_RELATION);
    // The old household goes on without the mover, head unchanged.
    let old = register.household(&household.id).unwrap().unwrap();
    assert_eq!(old.head, household.head);
    assert_eq!(old.members.len(), household.members.len() - 1);
    let copy = register
        .resident_copy(&household.head, ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!(copy.members.len(), household.members.len() - 1);
    // The store now holds exactly the new register.
    assert_eq!(
        normalised(register.export().unwrap()),
        normalised(effect.register.clone())
    );
}

#[test]
fn joining_a_household_dissolves_a_one_person_household_and_stales_both() {
    let (db, register, file) = imported(300, 2);
    let alone = file
        .households
        .iter()
        .find(|h| h.members.len() == 1 && find(&file, &h.head).registration_base.is_some())
        .unwrap();
    let target = file
        .households
        .iter()
        .find(|h| h.members.len() >= 2 && h.formed_on < EVENT_DAY)
        .unwrap();
    let mover = alone.head.clone();
    let effect = apply_event(
        &file,
        &move_in(&mover, Some(&target.id), target.address.clone()),
    )
    .unwrap();
    assert_eq!(effect.register.households.len(), file.households.len() - 1);
    assert!(effect.summary.contains("dissolved"), "{}", effect.summary);
    let mut expected = members(target);
    expected.insert(mover.clone());
    assert_eq!(stale_for(&effect, COPY).unwrap().persons, expected);
    assert_eq!(stale_holders(&register, &file, &effect, COPY), expected);
    // No other household's 등본 is touched.
    let holders = stale_holders(&register, &file, &effect, COPY);
    for other in file
        .households
        .iter()
        .filter(|h| h.id != alone.id && h.id != target.id)
    {
        assert!(members(other).is_disjoint(&holders));
    }

    apply_in_transaction(&db, &register, &effect);
    assert_eq!(register.household(&alone.id).unwrap(), None);
    let joined = register.household_of(&mover).unwrap().unwrap();
    assert_eq!(joined.id, target.id);
    let row = joined.members.last().unwrap();
    assert_eq!(row.person, mover);
    assert_eq!(
        (row.moved_in, row.change_reason.as_str()),
        (EVENT_DAY, "전입")
    );
    // An unrelated person joins as 동거인 unless the register knows a relation.
    let related = register
        .persons_shown(&target.head, FAMILY)
        .unwrap()
        .contains(&mover);
    if !related {
        assert_eq!(row.relation, "동거인");
    }
    let copy = register
        .resident_copy(&target.head, ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!(copy.members.len(), target.members.len() + 1);
    let abstract_ = register
        .resident_abstract(&mover, ISSUED, NUMBER, OFFICE)
        .unwrap();
    let last = abstract_.address_history.last().unwrap();
    assert_eq!(last.address, target.address);
    assert_eq!(last.household_head, find(&file, &target.head).name);
}

#[test]
fn a_head_moving_out_hands_the_household_to_the_next_adult() {
    let (db, register, file) = imported(300, 3);
    // A couple with children: the spouse (second member, adult) becomes the head.
    let household = file
        .households
        .iter()
        .find(|h| {
            h.members.len() >= 3
                && h.members[1].relation == "배우자"
                && h.members[2].relation == "자"
        })
        .unwrap();
    let head = household.head.clone();
    let spouse = household.members[1].person.clone();
    let effect = apply_event(&file, &move_in(&head, None, new_address())).unwrap();
    assert!(
        effect.summary.contains(&format!("new head {spouse}")),
        "{}",
        effect.summary
    );
    // Every remaining member's 초본 gains a 세대주변경 row: all of them are stale.
    assert_eq!(
        stale_for(&effect, ABSTRACT).unwrap().persons,
        members(household)
    );
    assert_eq!(
        stale_for(&effect, COPY).unwrap().persons,
        members(household)
    );

    apply_in_transaction(&db, &register, &effect);
    let left = register.household(&household.id).unwrap().unwrap();
    assert_eq!(left.head, spouse);
    assert_eq!(left.formation_reason, "세대주변경");
    assert_eq!(left.formed_on, EVENT_DAY);
    assert_eq!(left.members[0].person, spouse);
    assert_eq!(left.members[0].relation, HEAD_RELATION);
    for member in &left.members {
        assert_eq!(
            (member.moved_in, member.change_reason.as_str()),
            (EVENT_DAY, "세대주변경")
        );
    }
    // The children of the couple are the new head's children too.
    let child = &household.members[2].person;
    let row = left.members.iter().find(|m| &m.person == child).unwrap();
    if register
        .family_links(&spouse)
        .unwrap()
        .children
        .contains(child)
    {
        assert_eq!(row.relation, "자");
    }
    let abstract_ = register
        .resident_abstract(child, ISSUED, NUMBER, OFFICE)
        .unwrap();
    let last = abstract_.address_history.last().unwrap();
    assert_eq!(last.change_reason, "세대주변경");
    assert_eq!(last.household_head, find(&file, &spouse).name);
    assert_eq!(last.address, household.address);
    let copy = register
        .resident_copy(child, ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!(copy.household_head, find(&file, &spouse).name);
    // The old head now heads a household of one at the new address.
    let copy = register
        .resident_copy(&head, ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!((copy.address, copy.members.len()), (new_address(), 1));
}

#[test]
fn a_marriage_stales_the_family_certificates_showing_either_spouse() {
    let (db, register, file) = imported(300, 4);
    let married: BTreeSet<&str> = file
        .families
        .marriages
        .iter()
        .flat_map(|m| m.spouses.iter().map(String::as_str))
        .collect();
    let single = |sex: Sex| {
        file.households
            .iter()
            .map(|h| find(&file, &h.head))
            .find(|p| {
                p.sex == sex
                    && !married.contains(p.id.as_str())
                    && p.registration_base.is_some()
                    && age_on(birth(p), EVENT_DAY) >= 25
            })
            .unwrap()
            .id
            .clone()
    };
    let (a, b) = (single(Sex::Male), single(Sex::Female));
    let event = RegisterEvent::Marriage {
        spouses: [a.clone(), b.clone()],
        date: EVENT_DAY,
    };
    let effect = apply_event(&file, &event).unwrap();
    assert_eq!(effect.summary, format!("marriage {a} {b}"));
    assert_eq!(effect.stale.len(), 1);
    assert_eq!(
        stale_for(&effect, FAMILY).unwrap().persons,
        ids([a.as_str(), b.as_str()])
    );
    let holders = stale_holders(&register, &file, &effect, FAMILY);
    assert!(holders.contains(&a) && holders.contains(&b));
    for holder in &holders {
        let shown = register.persons_shown(holder, FAMILY).unwrap();
        assert!(shown.contains(&a) || shown.contains(&b));
    }

    apply_in_transaction(&db, &register, &effect);
    let certificate = register
        .family_relation(&a, ISSUED, NUMBER, COURT, CertificateKind::General)
        .unwrap();
    assert_eq!(
        certificate.spouse.unwrap().rrn.as_str(),
        find(&file, &b).rrn
    );
    assert!(register.persons_shown(&b, FAMILY).unwrap().contains(&a));

    // Either is now married: another marriage is refused, naming the id only.
    let third = file
        .households
        .iter()
        .map(|h| find(&file, &h.head))
        .find(|p| p.sex == Sex::Female && p.id != b && !married.contains(p.id.as_str()))
        .unwrap();
    let err = apply_event(
        &effect.register,
        &RegisterEvent::Marriage {
            spouses: [a.clone(), third.id.clone()],
            date: date!(2026 - 04 - 01),
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "register_event_refused");
    assert!(err.to_string().contains(&a), "{err}");
    assert_no_personal_data(&err, &effect.register);
}

/// A married woman of a couple household, of an age to give birth on the event day, with her
/// husband the head.
fn mother_and_father(file: &RegisterFile) -> (String, String, &HouseholdEntry) {
    let household = file
        .households
        .iter()
        .find(|h| {
            let head = find(file, &h.head);
            h.members.len() >= 2
                && h.members.len() < 6
                && head.sex == Sex::Male
                && h.members[1].relation == "배우자"
                && (24..=40).contains(&age_on(birth(find(file, &h.members[1].person)), EVENT_DAY))
        })
        .unwrap();
    (
        household.members[1].person.clone(),
        household.head.clone(),
        household,
    )
}

fn fresh_rrn(file: &RegisterFile, prefix: &str) -> String {
    (0..1000)
        .map(|n| format!("{prefix}{:06}", 314_159 + n))
        .find(|rrn| file.persons.iter().all(|p| &p.rrn != rrn))
        .unwrap()
}

fn birth_event(
    mother: &str,
    father: Option<&str>,
    rrn: &str,
    sex: Sex,
    date: Date,
) -> RegisterEvent {
    RegisterEvent::Birth {
        mother: mother.to_owned(),
        father: father.map(str::to_owned),
        name: "김새봄".into(),
        name_hanja: None,
        sex,
        date,
        rrn: rrn.to_owned(),
        person_id: None,
    }
}

#[test]
fn a_birth_adds_the_child_to_the_mothers_household_and_both_parents_certificates() {
    let (db, register, file) = imported(300, 5);
    let (mother, father, household) = mother_and_father(&file);
    let rrn = fresh_rrn(&file, "260302-4");
    let effect = apply_event(
        &file,
        &birth_event(&mother, Some(&father), &rrn, Sex::Female, EVENT_DAY),
    )
    .unwrap();
    let child = format!("P{:06}", file.persons.len() + 1);
    assert_eq!(effect.register.persons.len(), file.persons.len() + 1);
    assert_eq!(
        effect.summary,
        format!(
            "birth {child}: mother {mother}, father {father}, joined {}",
            household.id
        )
    );
    let mut expected = members(household);
    expected.insert(child.clone());
    assert_eq!(stale_for(&effect, COPY).unwrap().persons, expected);
    assert!(stale_for(&effect, ABSTRACT).is_none());
    assert_eq!(
        stale_for(&effect, FAMILY).unwrap().persons,
        ids([mother.as_str(), father.as_str()])
    );
    assert_eq!(
        stale_holders(&register, &file, &effect, COPY),
        members(household)
    );

    apply_in_transaction(&db, &register, &effect);
    let stored = register.person(&child).unwrap();
    assert_eq!(stored.bon, find(&file, &father).bon);
    assert_eq!(
        stored.registration_base,
        find(&file, &father).registration_base
    );
    let copy = register
        .resident_copy(&mother, ISSUED, NUMBER, OFFICE)
        .unwrap();
    let row = copy.members.iter().find(|m| m.rrn.as_str() == rrn).unwrap();
    assert_eq!(
        (row.relation.as_str(), row.change_reason.as_str()),
        ("자", "출생등록")
    );
    assert_eq!(row.moved_in, EVENT_DAY);
    for parent in [&mother, &father] {
        let certificate = register
            .family_relation(parent, ISSUED, NUMBER, COURT, CertificateKind::General)
            .unwrap();
        assert!(
            certificate.children.iter().any(|c| c.rrn.as_str() == rrn),
            "{parent}"
        );
        assert!(register
            .persons_shown(parent, FAMILY)
            .unwrap()
            .contains(&child));
    }
    let certificate = register
        .family_relation(&child, ISSUED, NUMBER, COURT, CertificateKind::General)
        .unwrap();
    assert_eq!(certificate.parents.len(), 2);
    assert_eq!(certificate.parents[0].relation, "부");
    let rrn_parsed = Rrn::parse(&rrn).unwrap();
    assert_eq!(
        register.find_person_by_rrn(&rrn_parsed).unwrap().as_deref(),
        Some(child.as_str())
    );
}

#[test]
fn a_birth_whose_rrn_disagrees_with_its_date_or_sex_is_refused_without_echoing_it() {
    let file = generate(200, 6);
    let (mother, father, _) = mother_and_father(&file);
    let check = |event: RegisterEvent, code: &str, secret: &str| {
        let err = apply_event(&file, &event).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(
                !text.contains(&secret[7..]) && !text.contains("김새봄"),
                "{text}"
            );
        }
        assert_no_personal_data(&err, &file);
    };
    // The RRN gives 2 March, the event 3 March.
    let rrn = fresh_rrn(&file, "260302-4");
    check(
        birth_event(
            &mother,
            Some(&father),
            &rrn,
            Sex::Female,
            date!(2026 - 03 - 03),
        ),
        "register_event_refused",
        &rrn,
    );
    // The 7th digit says female, the event male.
    check(
        birth_event(&mother, Some(&father), &rrn, Sex::Male, EVENT_DAY),
        "register_event_refused",
        &rrn,
    );
    // Not an RRN at all (31 February).
    check(
        birth_event(
            &mother,
            None,
            "260231-4123987",
            Sex::Female,
            date!(2026 - 02 - 28),
        ),
        "rrn_invalid",
        "260231-4123987",
    );
    // Someone else's RRN.
    let taken = file.persons[3].rrn.clone();
    let taken_birth = Rrn::parse(&taken).unwrap();
    let err = apply_event(
        &file,
        &birth_event(
            &mother,
            None,
            &taken,
            taken_birth.sex(),
            taken_birth.birth_date(),
        ),
    )
    .unwrap_err();
    assert!(
        matches!(err.code(), "rrn_duplicate" | "register_event_refused"),
        "{err}"
    );
    assert_no_personal_data(&err, &file);
    // A father who is the mother, and a mother who is a man.
    let err = apply_event(
        &file,
        &birth_event(&father, None, &rrn, Sex::Female, EVENT_DAY),
    )
    .unwrap_err();
    assert_eq!(err.code(), "register_event_refused");
    assert!(err.to_string().contains(&father));
    // An unknown mother.
    let err = apply_event(
        &file,
        &birth_event("P999999", None, &rrn, Sex::Female, EVENT_DAY),
    )
    .unwrap_err();
    assert_eq!(err.code(), "person_not_found");
    assert!(err.to_string().contains("P999999"));
}

#[test]
fn a_death_ends_the_marriage_hands_the_household_on_and_stales_everything_showing_the_person() {
    let (db, register, file) = imported(300, 7);
    let household = file
        .households
        .iter()
        .find(|h| {
            h.members.len() >= 3
                && h.members[1].relation == "배우자"
                && find(&file, &h.head).registration_base.is_some()
        })
        .unwrap();
    let dead = household.head.clone();
    let spouse = household.members[1].person.clone();
    let event = RegisterEvent::Death {
        person: dead.clone(),
        date: EVENT_DAY,
    };
    let effect = apply_event(&file, &event).unwrap();
    assert_eq!(
        effect.summary,
        format!("death {dead}: left {} (new head {spouse})", household.id)
    );
    assert_eq!(
        stale_for(&effect, COPY).unwrap().persons,
        members(household)
    );
    assert_eq!(
        stale_for(&effect, ABSTRACT).unwrap().persons,
        members(household)
    );
    assert_eq!(
        stale_for(&effect, FAMILY).unwrap().persons,
        ids([dead.as_str()])
    );
    // Every family certificate that shows the dead person is stale: the spouse's, the
    // children's, the parents'.
    let holders = stale_holders(&register, &file, &effect, FAMILY);
    assert!(holders.contains(&spouse));
    for link in register.family_links(&dead).unwrap().children {
        if find(&file, &link).died_on.is_none() && find(&file, &link).registration_base.is_some() {
            assert!(holders.contains(&link));
        }
    }

    apply_in_transaction(&db, &register, &effect);
    assert_eq!(register.person(&dead).unwrap().died_on, Some(EVENT_DAY));
    assert_eq!(register.household_of(&dead).unwrap(), None);
    assert_eq!(
        register.household_of(&spouse).unwrap().unwrap().head,
        spouse
    );
    let detailed = register
        .family_relation(&spouse, ISSUED, NUMBER, COURT, CertificateKind::Detailed)
        .unwrap();
    assert!(detailed.spouse.is_none());
    let past = detailed
        .past_relations
        .unwrap()
        .into_iter()
        .find(|p| p.rrn.as_str() == find(&file, &dead).rrn)
        .unwrap();
    assert_eq!(
        (past.event, past.event_date),
        (RelationEvent::Death, EVENT_DAY)
    );
    let err = register
        .resident_copy(&dead, ISSUED, NUMBER, OFFICE)
        .unwrap_err();
    assert_eq!(err.code(), "person_deceased");

    // The dead neither move, marry nor die again.
    for event in [
        move_in(&dead, None, new_address()),
        RegisterEvent::Death {
            person: dead.clone(),
            date: date!(2026 - 05 - 01),
        },
    ] {
        let err = apply_event(&effect.register, &event).unwrap_err();
        assert_eq!(err.code(), "person_deceased", "{err}");
        assert!(err.to_string().contains(&dead));
        assert_no_personal_data(&err, &effect.register);
    }
}

#[test]
fn a_household_of_minors_is_handed_to_the_eldest() {
    let file = generate(400, 8);
    // A single parent with minor children only.
    let household = file
        .households
        .iter()
        .find(|h| {
            h.members.len() >= 2
                && h.members[1..]
                    .iter()
                    .all(|m| age_on(birth(find(&file, &m.person)), EVENT_DAY) < 19)
        })
        .unwrap();
    let eldest = household.members[1..]
        .iter()
        .min_by_key(|m| birth(find(&file, &m.person)))
        .unwrap()
        .person
        .clone();
    let effect = apply_event(
        &file,
        &RegisterEvent::Death {
            person: household.head.clone(),
            date: EVENT_DAY,
        },
    )
    .unwrap();
    let after = effect
        .register
        .households
        .iter()
        .find(|h| h.id == household.id)
        .unwrap();
    assert_eq!(after.head, eldest);
    // Siblings of the new head are 형제/자매 of them.
    for member in &after.members[1..] {
        assert!(
            ["형제", "자매", "동거인"].contains(&member.relation.as_str()),
            "{}",
            member.relation
        );
    }
}

#[test]
fn invalid_events_are_refused_naming_ids_only() {
    let file = generate(200, 9);
    let household = household_of_three(&file);
    let member = household.members[1].person.clone();
    let cases: Vec<(RegisterEvent, &str)> = vec![
        (move_in("P999999", None, new_address()), "person_not_found"),
        (
            move_in(&member, Some("H999999"), new_address()),
            "household_not_found",
        ),
        // Joining one's own household.
        (
            move_in(&member, Some(&household.id), household.address.clone()),
            "register_event_refused",
        ),
        // Joining a household at another address.
        (
            move_in(&member, Some(&file.households[0].id), new_address()),
            "register_event_refused",
        ),
        // A move dated before the last recorded one.
        (
            RegisterEvent::MoveIn {
                person: member.clone(),
                address: new_address(),
                date: birth(find(&file, &member)),
                household: None,
                reason: "전입".into(),
            },
            "register_event_refused",
        ),
        (
            RegisterEvent::MoveIn {
                person: member.clone(),
                address: Address {
                    postal_code: "1234".into(),
                    ..new_address()
                },
                date: EVENT_DAY,
                household: None,
                reason: "전입".into(),
            },
            "register_event_refused",
        ),
        (
            RegisterEvent::Marriage {
                spouses: [member.clone(), member.clone()],
                date: EVENT_DAY,
            },
            "register_event_refused",
        ),
        (
            RegisterEvent::Marriage {
                spouses: [member.clone(), "P999998".into()],
                date: EVENT_DAY,
            },
            "person_not_found",
        ),
        (
            RegisterEvent::Death {
                person: "P999999".into(),
                date: EVENT_DAY,
            },
            "person_not_found",
        ),
        (
            RegisterEvent::Death {
                person: member.clone(),
                date: birth(find(&file, &member)),
            },
            "register_event_refused",
        ),
    ];
    for (event, code) in cases {
        let err = apply_event(&file, &event).unwrap_err();
        assert_eq!(err.code(), code, "{event:?}: {err}");
        assert_no_personal_data(&err, &file);
    }
    // A child under 18 does not marry.
    let minor = file
        .persons
        .iter()
        .find(|p| p.died_on.is_none() && age_on(birth(p), EVENT_DAY) < 18)
        .unwrap();
    let adult = find(&file, &file.households[0].head);
    let err = apply_event(
        &file,
        &RegisterEvent::Marriage {
            spouses: [adult.id.clone(), minor.id.clone()],
            date: EVENT_DAY,
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "register_event_refused");
    assert!(err.to_string().contains(&minor.id) || err.to_string().contains(&adult.id));
}

#[test]
fn events_are_driven_by_json() {
    let text = r#"{"event":"move_in","person":"P000001","address":{"road_address":"서울특별시 성동구 왕십리로 83-21","detail":"2층","postal_code":"04769"},"date":"2026-03-02"}"#;
    let event: RegisterEvent = serde_json::from_str(text).unwrap();
    assert_eq!(event, move_in("P000001", None, new_address()));
    assert_eq!(event.kind(), "move_in");
    let text = r#"{"event":"birth","mother":"P000002","name":"김새봄","sex":"female","date":"2026-03-02","rrn":"260302-4314159"}"#;
    let event: RegisterEvent = serde_json::from_str(text).unwrap();
    let printed = format!("{event:?}");
    assert!(
        !printed.contains("314159") && !printed.contains("김새봄"),
        "{printed}"
    );
    let back = serde_json::to_value(&event).unwrap();
    assert_eq!(back["event"], "birth");
    assert_eq!(back["date"], "2026-03-02");
    for text in [
        r#"{"event":"death","person":"P000001","date":"2026-03-02","cause":"x"}"#,
        r#"{"event":"divorce","spouses":["P1","P2"],"date":"2026-03-02"}"#,
        r#"{"event":"marriage","spouses":["P1","P2"],"date":"2 March 2026"}"#,
    ] {
        assert!(
            serde_json::from_str::<RegisterEvent>(text).is_err(),
            "{text}"
        );
    }
}

#[test]
fn persons_shown_follows_each_credential_type() {
    let (_db, register, file) = imported(300, 10);
    let household = household_of_three(&file);
    let member = &household.members[1].person;
    assert_eq!(
        register.persons_shown(member, COPY).unwrap(),
        members(household)
    );
    assert_eq!(
        register.persons_shown(member, ABSTRACT).unwrap(),
        ids([member.as_str()])
    );
    let head = &household.head;
    let links = register.family_links(head).unwrap();
    let mut expected: BTreeSet<String> = links
        .parents
        .iter()
        .chain(&links.children)
        .cloned()
        .collect();
    expected.extend(links.marriages.iter().map(|m| m.spouse.clone()));
    expected.insert(head.clone());
    if find(&file, head).registration_base.is_some() {
        assert_eq!(register.persons_shown(head, FAMILY).unwrap(), expected);
    }
    let err = register
        .persons_shown(head, "urn:example:other")
        .unwrap_err();
    assert_eq!(err.code(), "credential_type_unknown");
    let err = register.persons_shown("P999999", COPY).unwrap_err();
    assert_eq!(err.code(), "person_not_found");
    let dead = file.persons.iter().find(|p| p.died_on.is_some()).unwrap();
    assert_eq!(
        register.persons_shown(&dead.id, FAMILY).unwrap_err().code(),
        "person_deceased"
    );
}

/// The order `Register::export` writes: persons and households by id, parent_child by
/// (child, parent), each marriage's spouses by id and marriages by (date, spouses). The generator
/// writes persons and households in id order already, but relations in the order it creates them.
fn normalised(mut file: RegisterFile) -> RegisterFile {
    file.persons.sort_by(|a, b| a.id.cmp(&b.id));
    file.households.sort_by(|a, b| a.id.cmp(&b.id));
    file.families
        .parent_child
        .sort_by(|a, b| (&a.child, &a.parent).cmp(&(&b.child, &b.parent)));
    for marriage in &mut file.families.marriages {
        marriage.spouses.sort();
    }
    file.families.marriages.sort_by(|a, b| {
        (a.married_on, &a.spouses, a.divorced_on).cmp(&(b.married_on, &b.spouses, b.divorced_on))
    });
    file
}

#[test]
fn export_rebuilds_the_imported_file() {
    for (households, seed) in [(0, 1), (1, 2), (50, 3), (300, 4), (600, 5)] {
        let (_db, register, file) = imported(households, seed);
        let exported = register.export().unwrap();
        exported.validate().unwrap();
        assert_eq!(exported, normalised(file.clone()), "seed {seed}");
        // Export is a fixed point: importing it again exports the same file.
        let (_db2, again) = temp_register();
        again.import(&exported).unwrap();
        assert_eq!(again.export().unwrap(), exported);
    }
    let (_db, register) = temp_register();
    assert_eq!(register.export().unwrap(), RegisterFile::empty());
}

#[test]
fn events_chain_through_export_and_import() {
    let (db, register, file) = imported(200, 11);
    let household = household_of_three(&file);
    let (mother, father, _) = mother_and_father(&file);
    let rrn = fresh_rrn(&file, "260401-3");
    let events = [
        move_in(&household.members[1].person, None, new_address()),
        birth_event(
            &mother,
            Some(&father),
            &rrn,
            Sex::Male,
            date!(2026 - 04 - 01),
        ),
        RegisterEvent::Death {
            person: household.head.clone(),
            date: date!(2026 - 05 - 01),
        },
    ];
    for event in &events {
        let current = register.export().unwrap();
        let effect = apply_event(&current, event).unwrap();
        apply_in_transaction(&db, &register, &effect);
        assert_eq!(
            register.export().unwrap(),
            normalised(effect.register),
            "{event:?}"
        );
    }
    assert_eq!(register.person_count(), file.persons.len() + 1);
    // A transaction that aborts after the register's writes leaves the register as it was.
    let before = register.export().unwrap();
    let effect = apply_event(&before, &move_in(&mother, None, new_address())).unwrap();
    let prepared = register.prepare_replace(&effect.register).unwrap();
    let result: Result<(), TransactionError<IssuerError>> =
        register.trees()[..].transaction(|views| {
            prepared.apply_tx(views)?;
            Err(ConflictableTransactionError::Abort(
                IssuerError::InvalidTime { at: 0 },
            ))
        });
    assert!(matches!(
        result,
        Err(TransactionError::Abort(IssuerError::InvalidTime { .. }))
    ));
    assert_eq!(register.export().unwrap(), before);
    // Views of the wrong trees are refused.
    let result = register.trees()[..3].transaction(|views| prepared.apply_tx(views));
    assert!(matches!(
        result,
        Err(TransactionError::Abort(IssuerError::Corrupt { .. }))
    ));
}

#[test]
fn every_head_change_picks_the_next_adult_and_derives_relations_from_the_family() {
    let file = generate(300, 12);
    let known = [
        "본인",
        "배우자",
        "자",
        "부",
        "모",
        "손",
        "자부",
        "사위",
        "시부",
        "시모",
        "장인",
        "장모",
        "형제",
        "자매",
        "동거인",
    ];
    let mut changes = 0;
    for household in file.households.iter().filter(|h| h.members.len() >= 2) {
        let event = RegisterEvent::Death {
            person: household.head.clone(),
            date: EVENT_DAY,
        };
        let effect = apply_event(&file, &event).unwrap();
        let after = effect
            .register
            .households
            .iter()
            .find(|h| h.id == household.id)
            .unwrap();
        let adult = household.members[1..]
            .iter()
            .find(|m| age_on(birth(find(&file, &m.person)), EVENT_DAY) >= 19);
        if let Some(adult) = adult {
            assert_eq!(after.head, adult.person, "{}", household.id);
        }
        assert_eq!(after.members[0].person, after.head);
        assert_eq!(after.members.len(), household.members.len() - 1);
        for (old, new) in household.members[1..].iter().map(|old| {
            let new = after
                .members
                .iter()
                .find(|m| m.person == old.person)
                .unwrap();
            (old, new)
        }) {
            assert!(known.contains(&new.relation.as_str()), "{}", new.relation);
            // The couple's children stay 자 of the surviving spouse, the head's widowed parent
            // becomes the spouse's parent-in-law.
            if household.members[1].relation == "배우자"
                && after.head == household.members[1].person
            {
                let parents_of_child: Vec<&str> = file
                    .families
                    .parent_child
                    .iter()
                    .filter(|r| r.child == old.person)
                    .map(|r| r.parent.as_str())
                    .collect();
                if old.relation == "자" && parents_of_child.contains(&after.head.as_str()) {
                    assert_eq!(new.relation, "자");
                }
                if old.relation == "모" || old.relation == "부" {
                    assert!(
                        ["시부", "시모", "장인", "장모"].contains(&new.relation.as_str()),
                        "{}",
                        new.relation
                    );
                }
            }
        }
        changes += 1;
    }
    assert!(changes > 100, "{changes}");
}

#[test]
fn close_relatives_do_not_marry() {
    let file = generate(200, 13);
    let relation = file
        .families
        .parent_child
        .iter()
        .find(|r| {
            find(&file, &r.parent).died_on.is_none()
                && find(&file, &r.child).died_on.is_none()
                && age_on(birth(find(&file, &r.child)), EVENT_DAY) >= 18
        })
        .unwrap();
    let err = apply_event(
        &file,
        &RegisterEvent::Marriage {
            spouses: [relation.parent.clone(), relation.child.clone()],
            date: EVENT_DAY,
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "register_event_refused");
    assert_no_personal_data(&err, &file);
}
