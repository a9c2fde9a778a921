//! The register end to end: the generator's output, validation, import into sled, lookups, the
//! credential builders, and refusals that name ids, never RRNs.

use std::collections::{HashMap, HashSet};

use dojang_issuer::{generate, IssuerError, Register, RegisterFile, SYNTHETIC_REFERENCE_DATE};
use dojang_vc::credentials::{
    age_on, claim_date, CertificateKind, CredentialType, RelationEvent, Rrn, Sex, HEAD_RELATION,
};
use time::macros::date;
use time::Date;

const OFFICE: &str = "서울특별시 마포구청";
const COURT: &str = "서울가정법원 가족관계등록관서";
const NUMBER: &str = "2026-1124-0931-0042";
const ISSUED: Date = date!(2026 - 02 - 10);

fn temp_register() -> (sled::Db, Register) {
    let db = sled::Config::new()
        .temporary(true)
        .open()
        .expect("temporary sled db");
    let register = Register::open(&db).expect("register trees");
    (db, register)
}

fn persons_by_id(file: &RegisterFile) -> HashMap<&str, &dojang_issuer::PersonEntry> {
    file.persons.iter().map(|p| (p.id.as_str(), p)).collect()
}

/// Every digit run of an RRN that must never appear in an error.
fn assert_no_rrn(text: &str, rrn: &str) {
    assert!(!text.contains(rrn), "{text}");
    let serial = &rrn[7..];
    assert!(!text.contains(serial), "{text}");
    assert!(!text.contains(&rrn.replace('-', "")), "{text}");
}

#[test]
fn generation_is_deterministic_per_seed() {
    let a = generate(300, 42);
    let b = generate(300, 42);
    assert_eq!(a, b);
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    let c = generate(300, 43);
    assert_ne!(a, c);
    assert_ne!(a.persons[0].rrn, c.persons[0].rrn);
    assert_eq!(a.households.len(), 300);
    assert!(generate(0, 1).persons.is_empty());
}

#[test]
fn generated_registers_validate_for_many_seeds() {
    for seed in 0..20 {
        let file = generate(250, seed);
        let summary = file
            .validate()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(summary.households, 250);
        assert_eq!(summary.persons, file.persons.len());
    }
}

#[test]
fn ten_thousand_households_validate() {
    let file = generate(10_000, 2026);
    let summary = file.validate().unwrap();
    assert_eq!(summary.households, 10_000);
    assert!(summary.persons > 20_000, "{summary:?}");
}

#[test]
fn all_rrns_are_valid_unique_and_agree_with_the_person() {
    let file = generate(2_000, 7);
    let mut seen = HashSet::new();
    let mut foreign = 0;
    for person in &file.persons {
        let rrn = Rrn::parse(&person.rrn).unwrap();
        assert!(
            seen.insert(person.rrn.clone()),
            "duplicate RRN at {}",
            person.id
        );
        assert_eq!(rrn.sex(), person.sex, "{}", person.id);
        assert!(rrn.birth_date() < SYNTHETIC_REFERENCE_DATE);
        if rrn.is_foreign_resident() {
            foreign += 1;
            assert!(person.registration_base.is_none() && person.bon.is_none());
            assert!(person.name_hanja.is_none());
        } else {
            assert!(person.registration_base.is_some() && person.bon.is_some());
        }
        assert!(
            person.id.starts_with('P') && person.id.len() == 7,
            "{}",
            person.id
        );
    }
    // Foreign residents are rare but present.
    assert!(
        foreign > 0 && foreign * 50 < file.persons.len(),
        "{foreign}"
    );
}

#[test]
fn every_reference_resolves_and_the_data_is_realistic() {
    let file = generate(2_000, 11);
    let persons = persons_by_id(&file);
    let birth = |id: &str| Rrn::parse(&persons[id].rrn).unwrap().birth_date();
    let mut sizes = [0usize; 7];
    let mut member_of = HashSet::new();
    for household in &file.households {
        assert!(household.id.starts_with('H'));
        assert!(
            (1..=6).contains(&household.members.len()),
            "{}",
            household.id
        );
        sizes[household.members.len()] += 1;
        assert_eq!(household.members[0].person, household.head);
        assert_eq!(household.members[0].relation, HEAD_RELATION);
        for member in &household.members {
            let person = persons[member.person.as_str()];
            assert!(member_of.insert(member.person.clone()), "two households");
            assert!(person.died_on.is_none());
            assert!(member.moved_in >= birth(&member.person));
            assert_eq!(
                person.address_history.last().unwrap().address,
                household.address
            );
            assert_eq!(
                person.address_history.last().unwrap().moved_in,
                member.moved_in
            );
        }
        assert_eq!(household.address.postal_code.len(), 5);
        assert!(household.address.road_address.contains(' '));
    }
    // Every size from 1 to 6 occurs, one-person households are common.
    for (size, count) in sizes.iter().enumerate().skip(1) {
        assert!(*count > 0, "no household of {size}");
    }
    assert!(sizes[1] > file.households.len() / 5);

    for person in &file.persons {
        let mut previous = birth(&person.id);
        for entry in &person.address_history {
            assert!(persons.contains_key(entry.household_head.as_str()));
            assert!(entry.moved_in >= previous, "{}", person.id);
            previous = entry.moved_in;
        }
        if let Some(died) = person.died_on {
            assert!(died >= birth(&person.id) && died < SYNTHETIC_REFERENCE_DATE);
        }
    }
    for relation in &file.families.parent_child {
        let gap = age_on(birth(&relation.parent), birth(&relation.child));
        assert!((20..=45).contains(&gap), "parent {} years older", gap);
        if let Some(died) = persons[relation.parent.as_str()].died_on {
            assert!(died > birth(&relation.child));
        }
    }
    let mut divorces = 0;
    let mut widowed = 0;
    for marriage in &file.families.marriages {
        let [a, b] = &marriage.spouses;
        assert!(persons.contains_key(a.as_str()) && persons.contains_key(b.as_str()));
        assert_ne!(persons[a.as_str()].sex, persons[b.as_str()].sex);
        assert!(marriage.married_on >= birth(a) && marriage.married_on >= birth(b));
        if let Some(divorced) = marriage.divorced_on {
            assert!(divorced >= marriage.married_on);
            divorces += 1;
        }
        if persons[a.as_str()].died_on.is_some() || persons[b.as_str()].died_on.is_some() {
            widowed += 1;
        }
    }
    assert!(divorces > 0 && widowed > 0, "{divorces} {widowed}");
    let deaths = file.persons.iter().filter(|p| p.died_on.is_some()).count();
    assert!(deaths > 0);
    let renamed = file
        .persons
        .iter()
        .filter(|p| !p.detail_changes.is_empty())
        .count();
    assert!(renamed > 0);
    let movers = file
        .persons
        .iter()
        .filter(|p| p.address_history.len() >= 3)
        .count();
    assert!(movers > file.households.len() / 4);
    let hanja = file
        .persons
        .iter()
        .filter(|p| p.name_hanja.is_some())
        .count();
    assert!(hanja * 10 > file.persons.len() * 8);
    // The most frequent surname is 김.
    let kim = file
        .persons
        .iter()
        .filter(|p| p.name.starts_with('김'))
        .count();
    assert!(kim * 100 > file.persons.len() * 15, "{kim}");
}

#[test]
fn resident_copy_lists_exactly_the_household() {
    let file = generate(200, 5);
    let (_db, register) = temp_register();
    let summary = register.import(&file).unwrap();
    assert_eq!(summary.persons, file.persons.len());
    assert_eq!(register.person_count(), file.persons.len());
    assert_eq!(register.household_count(), 200);
    let persons = persons_by_id(&file);
    for household in file
        .households
        .iter()
        .filter(|h| h.members.len() >= 3)
        .take(5)
    {
        for member in &household.members {
            let copy = register
                .resident_copy(&member.person, ISSUED, NUMBER, OFFICE)
                .unwrap();
            copy.validate().unwrap();
            let holder = persons[member.person.as_str()];
            assert_eq!(copy.rrn.as_str(), holder.rrn);
            assert_eq!(copy.name, holder.name);
            assert_eq!(copy.name_hanja, holder.name_hanja);
            assert_eq!(copy.address, household.address);
            assert_eq!(copy.household_head, persons[household.head.as_str()].name);
            assert_eq!(copy.household_formation_date, household.formed_on);
            assert_eq!(copy.members.len(), household.members.len());
            for (row, entry) in copy.members.iter().zip(&household.members) {
                let person = persons[entry.person.as_str()];
                assert_eq!(row.rrn.as_str(), person.rrn);
                assert_eq!(row.name, person.name);
                assert_eq!(row.relation, entry.relation);
                assert_eq!(row.moved_in, entry.moved_in);
                assert_eq!(row.change_reason, entry.change_reason);
            }
            let birth = Rrn::parse(&holder.rrn).unwrap().birth_date();
            assert_eq!(copy.age_over_19, age_on(birth, ISSUED) >= 19);
            let claims = copy.to_claims();
            assert_eq!(claims["document_number"], NUMBER);
            assert_eq!(
                claims["members"].as_array().unwrap().len(),
                household.members.len()
            );
        }
    }
}

#[test]
fn resident_abstract_carries_the_whole_history() {
    let file = generate(200, 6);
    let (_db, register) = temp_register();
    register.import(&file).unwrap();
    let persons = persons_by_id(&file);
    let mut checked = 0;
    for person in file
        .persons
        .iter()
        .filter(|p| p.address_history.len() >= 3)
        .take(10)
    {
        let abstract_ = register
            .resident_abstract(&person.id, ISSUED, NUMBER, OFFICE)
            .unwrap();
        assert_eq!(
            abstract_.address_history.len(),
            person.address_history.len()
        );
        for (row, entry) in abstract_
            .address_history
            .iter()
            .zip(&person.address_history)
        {
            assert_eq!(row.address, entry.address);
            assert_eq!(row.moved_in, entry.moved_in);
            assert_eq!(
                row.household_head,
                persons[entry.household_head.as_str()].name
            );
            assert_eq!(row.relation_to_head, entry.relation_to_head);
        }
        assert_eq!(
            abstract_.address,
            person.address_history.last().unwrap().address
        );
        assert_eq!(abstract_.personal_detail_changes, person.detail_changes);
        checked += 1;
    }
    assert_eq!(checked, 10);
    // Someone renamed shows the change.
    let file = generate(500, 8);
    let (_db, register) = temp_register();
    register.import(&file).unwrap();
    let renamed = file
        .persons
        .iter()
        .find(|p| !p.detail_changes.is_empty() && !p.address_history.is_empty())
        .unwrap();
    let abstract_ = register
        .resident_abstract(&renamed.id, ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!(abstract_.personal_detail_changes, renamed.detail_changes);
    assert_eq!(
        abstract_.to_claims()["personal_detail_changes"][0]["reason"],
        "개명"
    );
}

#[test]
fn family_relation_general_and_detailed_follow_the_register() {
    let file = generate(1_000, 9);
    let (_db, register) = temp_register();
    register.import(&file).unwrap();
    let persons = persons_by_id(&file);

    // A head who divorced and remarried: 일반 shows the current spouse only, 상세 the former one.
    let divorced = file
        .families
        .marriages
        .iter()
        .filter(|m| m.divorced_on.is_some())
        .flat_map(|m| m.spouses.iter())
        .find(|id| {
            let person = persons[id.as_str()];
            person.died_on.is_none()
                && person.registration_base.is_some()
                && file.households.iter().any(|h| &h.head == *id)
                && file.families.marriages.iter().any(|m| {
                    m.divorced_on.is_none()
                        && m.spouses.contains(id)
                        && m.spouses
                            .iter()
                            .all(|s| persons[s.as_str()].died_on.is_none())
                })
        })
        .expect("a remarried head");
    let general = register
        .family_relation(divorced, ISSUED, NUMBER, COURT, CertificateKind::General)
        .unwrap();
    let detailed = register
        .family_relation(divorced, ISSUED, NUMBER, COURT, CertificateKind::Detailed)
        .unwrap();
    let links = register.family_links(divorced).unwrap();
    assert_eq!(general.past_relations, None);
    assert_eq!(general.certificate_kind, CertificateKind::General);
    let spouse = general.spouse.as_ref().unwrap();
    let current = links
        .marriages
        .iter()
        .find(|m| m.divorced_on.is_none())
        .unwrap();
    assert_eq!(spouse.rrn.as_str(), persons[current.spouse.as_str()].rrn);
    assert_eq!(spouse.relation, "배우자");
    let past = detailed.past_relations.as_ref().unwrap();
    let former = links
        .marriages
        .iter()
        .find(|m| m.divorced_on.is_some())
        .unwrap();
    let row = past
        .iter()
        .find(|p| p.rrn.as_str() == persons[former.spouse.as_str()].rrn)
        .expect("the former spouse");
    assert_eq!(row.event, RelationEvent::Divorce);
    assert_eq!(Some(row.event_date), former.divorced_on);
    assert_eq!(general.parents, detailed.parents);
    assert_eq!(general.children, detailed.children);
    assert_eq!(
        detailed.to_claims()["past_relations"][0]["event"],
        "divorce"
    );

    // Parents and children are exactly the register's links, with 부/모 from the sex.
    for household in file.households.iter().take(100) {
        let id = household.head.as_str();
        let person = persons[id];
        if person.registration_base.is_none() {
            continue;
        }
        let certificate = register
            .family_relation(id, ISSUED, NUMBER, COURT, CertificateKind::Detailed)
            .unwrap();
        let links = register.family_links(id).unwrap();
        assert_eq!(
            certificate.registration_base,
            person.registration_base.clone().unwrap()
        );
        assert_eq!(certificate.bon, person.bon);
        assert_eq!(certificate.sex, person.sex);
        assert_eq!(certificate.parents.len(), links.parents.len());
        for parent in &certificate.parents {
            let expected = if parent.sex == Sex::Male {
                "부"
            } else {
                "모"
            };
            assert_eq!(parent.relation, expected);
            assert!(links
                .parents
                .iter()
                .any(|p| persons[p.as_str()].rrn == parent.rrn.as_str()));
        }
        let living: Vec<&str> = links
            .children
            .iter()
            .filter(|c| persons[c.as_str()].died_on.is_none())
            .map(|c| persons[c.as_str()].rrn.as_str())
            .collect();
        assert_eq!(certificate.children.len(), living.len());
        for child in &certificate.children {
            assert!(living.contains(&child.rrn.as_str()));
            assert_eq!(child.relation, "자녀");
        }
        let dead_children = links.children.len() - living.len();
        let past_children = certificate
            .past_relations
            .as_ref()
            .unwrap()
            .iter()
            .filter(|p| p.event == RelationEvent::Death && p.relation == "자녀")
            .count();
        assert_eq!(past_children, dead_children);
    }
}

#[test]
fn refusals_name_the_id() {
    let file = generate(300, 10);
    let (_db, register) = temp_register();
    register.import(&file).unwrap();

    let err = register
        .resident_copy("P999999", ISSUED, NUMBER, OFFICE)
        .unwrap_err();
    assert!(matches!(err, IssuerError::PersonNotFound { .. }), "{err}");
    assert_eq!(err.code(), "person_not_found");

    // Someone asked for by RRN instead of id: the error does not echo it.
    let rrn = file.persons[0].rrn.clone();
    let err = register
        .resident_copy(&rrn, ISSUED, NUMBER, OFFICE)
        .unwrap_err();
    assert_no_rrn(&err.to_string(), &rrn);
    assert_no_rrn(&format!("{err:?}"), &rrn);

    let dead = file.persons.iter().find(|p| p.died_on.is_some()).unwrap();
    let err = register
        .family_relation(&dead.id, ISSUED, NUMBER, COURT, CertificateKind::General)
        .unwrap_err();
    assert_eq!(err.code(), "person_deceased");
    assert!(err.to_string().contains(&dead.id));

    let elsewhere = file
        .persons
        .iter()
        .find(|p| p.died_on.is_none() && p.address_history.is_empty())
        .unwrap();
    let err = register
        .resident_copy(&elsewhere.id, ISSUED, NUMBER, OFFICE)
        .unwrap_err();
    assert_eq!(err.code(), "person_not_resident");
    let err = register
        .resident_abstract(&elsewhere.id, ISSUED, NUMBER, OFFICE)
        .unwrap_err();
    assert_eq!(err.code(), "person_not_resident");

    let file = generate(400, 12);
    let (_db, register) = temp_register();
    register.import(&file).unwrap();
    let foreigner = file
        .persons
        .iter()
        .find(|p| p.registration_base.is_none())
        .unwrap();
    let err = register
        .family_relation(
            &foreigner.id,
            ISSUED,
            NUMBER,
            COURT,
            CertificateKind::General,
        )
        .unwrap_err();
    assert_eq!(err.code(), "person_no_family_registration");
    // A foreign resident still gets a 등본.
    register
        .resident_copy(&foreigner.id, ISSUED, NUMBER, OFFICE)
        .unwrap();

    let holder = &file.households[0].head;
    let err = register
        .resident_copy(holder, ISSUED, "2026-11-24", OFFICE)
        .unwrap_err();
    assert_eq!(err.code(), "credential_invalid");
}

#[test]
fn a_dangling_member_is_refused_by_id() {
    let mut file = generate(50, 13);
    file.households[3].members.push(dojang_issuer::MemberEntry {
        person: "P777777".into(),
        relation: "자".into(),
        moved_in: date!(2020 - 01 - 01),
        change_reason: "전입".into(),
    });
    let (_db, register) = temp_register();
    let err = register.import(&file).unwrap_err();
    match &err {
        IssuerError::DanglingReference {
            from,
            field,
            missing,
        } => {
            assert_eq!(from, &file.households[3].id);
            assert_eq!(*field, "members.person");
            assert_eq!(missing, "P777777");
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.code(), "register_dangling_reference");
    // Nothing was written.
    assert_eq!(register.person_count(), 0);

    // A member given by RRN instead of id: refused, and the RRN is not echoed.
    let mut file = generate(50, 13);
    let rrn = file.persons[10].rrn.clone();
    file.households[0].members[0].person = rrn.clone();
    let err = file.validate().unwrap_err();
    assert_no_rrn(&err.to_string(), &rrn);
    assert_no_rrn(&format!("{err:?}"), &rrn);

    let mut file = generate(50, 13);
    file.families.parent_child[0].child = "P000000".into();
    let err = file.validate().unwrap_err();
    assert!(err.to_string().contains("P000000"), "{err}");
}

#[test]
fn a_bad_rrn_is_refused_without_echoing_it() {
    let mut file = generate(50, 14);
    // 29 February 1900 does not exist; the serial digits must not leak.
    file.persons[5].rrn = "000229-1987654".into();
    let id = file.persons[5].id.clone();
    let (_db, register) = temp_register();
    let err = register.import(&file).unwrap_err();
    assert!(matches!(err, IssuerError::InvalidRrn { .. }), "{err}");
    assert_eq!(err.code(), "rrn_invalid");
    let text = err.to_string();
    assert!(text.contains(&id), "{text}");
    assert_no_rrn(&text, "000229-1987654");
    assert_no_rrn(&format!("{err:?}"), "000229-1987654");
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push_str(&e.to_string());
        source = e.source();
    }
    assert_no_rrn(&chain, "000229-1987654");
    assert_eq!(register.person_count(), 0);

    // The same through the JSON file.
    let mut file = generate(20, 14);
    file.persons[2].rrn = "851332-2987654".into();
    let json = file.to_json().unwrap();
    let parsed = RegisterFile::from_json(&json).unwrap();
    let err = parsed.validate().unwrap_err();
    assert_no_rrn(&err.to_string(), "851332-2987654");

    // A duplicate RRN names both ids.
    let mut file = generate(20, 15);
    file.persons[4].rrn = file.persons[1].rrn.clone();
    file.persons[4].sex = file.persons[1].sex;
    let err = file.validate().unwrap_err();
    assert_eq!(err.code(), "rrn_duplicate");
    assert!(err.to_string().contains(&file.persons[1].id));
    assert!(err.to_string().contains(&file.persons[4].id));
    assert_no_rrn(&err.to_string(), &file.persons[1].rrn);

    // A sex that contradicts the RRN.
    let mut file = generate(20, 16);
    file.persons[0].sex = match file.persons[0].sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    };
    assert_eq!(file.validate().unwrap_err().code(), "register_inconsistent");
}

#[test]
fn malformed_json_reports_only_a_position() {
    let secret = "900101-1987654";
    let text = format!(
        r#"{{"format":"dojang-register/1","persons":[{{"id":"P1","rrn":{},"name":"x"}}]}}"#,
        secret.replace('-', "")
    );
    let err = RegisterFile::from_json(text.as_bytes()).unwrap_err();
    assert_eq!(err.code(), "register_file_syntax");
    assert_no_rrn(&err.to_string(), secret);
    assert_no_rrn(&format!("{err:?}"), secret);

    let err = RegisterFile::from_json(br#"{"format":"other/9","persons":[],"households":[],"families":{"parent_child":[],"marriages":[]}}"#)
        .unwrap_err();
    assert_eq!(err.code(), "register_format_unsupported");
}

#[test]
fn register_file_round_trips_through_json_and_disk() {
    let file = generate(100, 17);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("register.json");
    file.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // UTF-8 as is, never \u escapes.
    assert!(text.contains(&file.persons[0].name));
    assert!(text.contains("\"format\": \"dojang-register/1\""));
    let loaded = RegisterFile::load(&path).unwrap();
    assert_eq!(loaded, file);
    // Dates are YYYY-MM-DD.
    let household = &file.households[0];
    assert!(text.contains(&format!(
        "\"formed_on\": \"{}\"",
        claim_date::format(household.formed_on)
    )));
    let err = RegisterFile::load(&dir.path().join("missing.json")).unwrap_err();
    assert_eq!(err.code(), "register_file_io");
}

#[test]
fn a_flushed_register_survives_reopening() {
    let file = generate(120, 18);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer.sled");
    {
        let db = dojang_issuer::open_db(&path).unwrap();
        let register = Register::open(&db).unwrap();
        register.import(&file).unwrap();
    }
    let db = dojang_issuer::open_db(&path).unwrap();
    let register = Register::open(&db).unwrap();
    assert_eq!(register.person_count(), file.persons.len());
    assert_eq!(register.household_count(), 120);
    let head = &file.households[7].head;
    let person = register.person(head).unwrap();
    assert_eq!(
        &person,
        file.persons.iter().find(|p| &p.id == head).unwrap()
    );
    let copy = register
        .resident_copy(head, ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!(copy.members.len(), file.households[7].members.len());
    let rrn = Rrn::parse(&person.rrn).unwrap();
    assert_eq!(
        register.find_person_by_rrn(&rrn).unwrap().as_deref(),
        Some(head.as_str())
    );
}

#[test]
fn import_replaces_the_previous_snapshot_and_indexes_rrns() {
    let (_db, register) = temp_register();
    let big = generate(150, 19);
    register.import(&big).unwrap();
    let small = generate(40, 20);
    let summary = register.import(&small).unwrap();
    assert_eq!(summary.households, 40);
    assert_eq!(register.person_count(), small.persons.len());
    assert_eq!(register.household_count(), 40);
    assert_eq!(register.person_ids().unwrap().len(), small.persons.len());
    // Persons only in the first snapshot are gone, and so is their RRN index entry.
    let gone = big
        .persons
        .iter()
        .find(|p| !small.persons.iter().any(|q| q.rrn == p.rrn))
        .unwrap();
    assert_eq!(
        register
            .find_person_by_rrn(&Rrn::parse(&gone.rrn).unwrap())
            .unwrap(),
        None
    );
    for person in small.persons.iter().take(30) {
        let rrn = Rrn::parse(&person.rrn).unwrap();
        assert_eq!(
            register.find_person_by_rrn(&rrn).unwrap().as_deref(),
            Some(person.id.as_str())
        );
        let stored = register.person(&person.id).unwrap();
        assert_eq!(&stored, person);
        let links = register.family_links(&person.id).unwrap();
        let parents = small
            .families
            .parent_child
            .iter()
            .filter(|r| r.child == person.id)
            .count();
        assert_eq!(links.parents.len(), parents);
    }
    for household in &small.households {
        assert_eq!(
            register.household(&household.id).unwrap().as_ref(),
            Some(household)
        );
        assert_eq!(
            register.household_of(&household.head).unwrap().as_ref(),
            Some(household)
        );
    }
}

#[test]
fn issuing_on_the_reference_date_computes_age_over_19_on_that_day() {
    let file = generate(500, 21);
    let (_db, register) = temp_register();
    register.import(&file).unwrap();
    for household in file.households.iter().take(50) {
        for member in &household.members {
            let person = register.person(&member.person).unwrap();
            let birth = Rrn::parse(&person.rrn).unwrap().birth_date();
            let nineteenth = birth.replace_year(birth.year() + 19).unwrap_or(birth);
            let before = nineteenth.previous_day().unwrap();
            let copy_before = register
                .resident_copy(&member.person, before, NUMBER, OFFICE)
                .unwrap();
            let copy_on = register
                .resident_copy(&member.person, nineteenth, NUMBER, OFFICE)
                .unwrap();
            if birth.month() != time::Month::February || birth.day() != 29 {
                assert!(!copy_before.age_over_19);
                assert!(copy_on.age_over_19);
            }
        }
    }
    let _ = SYNTHETIC_REFERENCE_DATE;
}

#[test]
fn every_living_person_gets_every_credential_the_register_supports() {
    for seed in [30, 31, 32] {
        let file = generate(300, seed);
        let (_db, register) = temp_register();
        register.import(&file).unwrap();
        let (mut copies, mut abstracts, mut families) = (0, 0, 0);
        for person in file.persons.iter().filter(|p| p.died_on.is_none()) {
            let resident = register.household_of(&person.id).unwrap().is_some();
            let copy = register.resident_copy(&person.id, ISSUED, NUMBER, OFFICE);
            assert_eq!(copy.is_ok(), resident, "{}: {:?}", person.id, copy.err());
            copies += usize::from(resident);
            let abstract_ = register.resident_abstract(&person.id, ISSUED, NUMBER, OFFICE);
            assert_eq!(
                abstract_.is_ok(),
                !person.address_history.is_empty(),
                "{}: {:?}",
                person.id,
                abstract_.err()
            );
            abstracts += usize::from(abstract_.is_ok());
            for kind in [CertificateKind::General, CertificateKind::Detailed] {
                let family = register.family_relation(&person.id, ISSUED, NUMBER, COURT, kind);
                assert_eq!(
                    family.is_ok(),
                    person.registration_base.is_some(),
                    "{}: {:?}",
                    person.id,
                    family.err()
                );
            }
            families += usize::from(person.registration_base.is_some());
        }
        assert!(copies > 300 && abstracts >= copies && families > copies / 2);
    }
}

/// The example in `specs/register-format.md`: the first ```json block after "## Example".
fn documented_example() -> RegisterFile {
    let page = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/register-format.md"
    ));
    let section = &page[page.find("## Example").expect("example section")..];
    let start = section.find("```json\n").expect("json block") + "```json\n".len();
    let end = start + section[start..].find("\n```").expect("end of block");
    RegisterFile::from_json(&section.as_bytes()[start..end]).expect("the documented example parses")
}

#[test]
fn the_documented_example_imports_and_gives_what_the_page_says() {
    let file = documented_example();
    let (_db, register) = temp_register();
    let summary = register.import(&file).unwrap();
    assert_eq!(
        (summary.persons, summary.households, summary.marriages),
        (7, 2, 3)
    );

    let copy = register
        .resident_copy("P000001", ISSUED, NUMBER, OFFICE)
        .unwrap();
    let rows: Vec<(&str, &str)> = copy
        .members
        .iter()
        .map(|m| (m.name.as_str(), m.relation.as_str()))
        .collect();
    assert_eq!(
        rows,
        [("김민준", "본인"), ("이서연", "배우자"), ("김하은", "자")]
    );
    assert_eq!(copy.household_head, "김민준");

    let abstract_ = register
        .resident_abstract("P000002", ISSUED, NUMBER, OFFICE)
        .unwrap();
    assert_eq!(abstract_.personal_detail_changes.len(), 2);
    assert_eq!(abstract_.address_history.len(), 2);
    assert_eq!(abstract_.address_history[1].household_head, "김민준");

    let family = register
        .family_relation("P000001", ISSUED, NUMBER, COURT, CertificateKind::Detailed)
        .unwrap();
    let parents: Vec<(&str, &str)> = family
        .parents
        .iter()
        .map(|p| (p.name.as_str(), p.relation.as_str()))
        .collect();
    assert_eq!(parents, [("김영수", "부"), ("박미경", "모")]);
    assert_eq!(family.spouse.as_ref().unwrap().name, "이서연");
    assert_eq!(family.children.len(), 1);
    let past = family.past_relations.as_ref().unwrap();
    assert_eq!(past.len(), 1);
    assert_eq!(past[0].name, "최지은");
    assert_eq!(past[0].event, RelationEvent::Divorce);
    assert_eq!(past[0].event_date, date!(2011 - 06 - 30));

    register
        .resident_copy("P000007", ISSUED, NUMBER, OFFICE)
        .unwrap();
    register
        .resident_abstract("P000007", ISSUED, NUMBER, OFFICE)
        .unwrap();
    let err = register
        .family_relation("P000007", ISSUED, NUMBER, COURT, CertificateKind::General)
        .unwrap_err();
    assert_eq!(err.code(), "person_no_family_registration");
}
