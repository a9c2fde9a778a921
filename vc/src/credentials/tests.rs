//! Tests across the three credential types: the published examples and schemas in
//! `specs/credentials/`, the claim shapes, validation, and [`ALWAYS_VISIBLE`].

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use time::macros::date;

use super::*;

const COPY_EXAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../specs/credentials/examples/resident-registration-copy.json"
));
const ABSTRACT_EXAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../specs/credentials/examples/resident-registration-abstract.json"
));
const FAMILY_EXAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../specs/credentials/examples/family-relation-certificate.json"
));
const COPY_SCHEMA: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../specs/credentials/resident-registration-copy.schema.json"
));
const ABSTRACT_SCHEMA: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../specs/credentials/resident-registration-abstract.schema.json"
));
const FAMILY_SCHEMA: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../specs/credentials/family-relation-certificate.schema.json"
));

fn rrn(text: &str) -> Rrn {
    Rrn::parse(text).unwrap()
}

fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text).unwrap() {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Deserialises an example, validates it, and checks that `to_claims` gives back exactly the
/// example (member order included) and that serde agrees with `to_claims`.
fn round_trip<T>(text: &str) -> T
where
    T: CredentialType + DeserializeOwned + Serialize,
{
    let credential: T = serde_json::from_str(text).unwrap();
    credential.validate().unwrap();
    let claims = credential.to_claims();
    let original = object(text);
    assert_eq!(claims, original);
    assert_eq!(
        claims.keys().collect::<Vec<_>>(),
        original.keys().collect::<Vec<_>>(),
        "member order"
    );
    assert_eq!(
        serde_json::to_value(&credential).unwrap(),
        Value::Object(claims)
    );
    credential
}

/// Every `(rrn, birth_date)` pair of objects in an example.
fn example_rrns(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(rrn) = map.get("rrn") {
                found.push((
                    rrn.as_str().unwrap().to_owned(),
                    map["birth_date"].as_str().unwrap().to_owned(),
                ));
            }
            map.values().for_each(|value| example_rrns(value, found));
        }
        Value::Array(items) => items.iter().for_each(|item| example_rrns(item, found)),
        _ => {}
    }
}

#[test]
fn examples_deserialize_validate_and_round_trip() {
    let copy: ResidentRegistrationCopy = round_trip(COPY_EXAMPLE);
    assert_eq!(copy.members.len(), 4);
    let abstract_: ResidentRegistrationAbstract = round_trip(ABSTRACT_EXAMPLE);
    assert_eq!(abstract_.address_history.len(), 3);
    let family: FamilyRelationCertificate = round_trip(FAMILY_EXAMPLE);
    assert_eq!(family.certificate_kind, CertificateKind::Detailed);
}

#[test]
fn every_example_rrn_is_valid_and_matches_its_birth_date() {
    for text in [COPY_EXAMPLE, ABSTRACT_EXAMPLE, FAMILY_EXAMPLE] {
        let mut found = Vec::new();
        example_rrns(&serde_json::from_str(text).unwrap(), &mut found);
        assert!(!found.is_empty());
        for (value, birth_date) in found {
            let rrn = Rrn::parse(&value).unwrap();
            assert_eq!(claim_date::format(rrn.birth_date()), birth_date);
        }
    }
}

#[test]
fn examples_conform_to_their_schemas() {
    for (schema, example) in [
        (COPY_SCHEMA, COPY_EXAMPLE),
        (ABSTRACT_SCHEMA, ABSTRACT_EXAMPLE),
        (FAMILY_SCHEMA, FAMILY_EXAMPLE),
    ] {
        let schema: Value = serde_json::from_str(schema).unwrap();
        let example: Value = serde_json::from_str(example).unwrap();
        let errors = schema_check::validate(&schema, &example);
        assert!(errors.is_empty(), "{errors:?}");
    }
}

#[test]
fn schemas_name_every_claim_the_code_produces_and_pin_the_vct() {
    let cases: [(&str, &str, Map<String, Value>); 3] = [
        (
            COPY_SCHEMA,
            ResidentRegistrationCopy::VCT,
            sample_copy().to_claims(),
        ),
        (
            ABSTRACT_SCHEMA,
            ResidentRegistrationAbstract::VCT,
            sample_abstract().to_claims(),
        ),
        (
            FAMILY_SCHEMA,
            FamilyRelationCertificate::VCT,
            sample_family(CertificateKind::Detailed).to_claims(),
        ),
    ];
    for (schema, vct, claims) in cases {
        let schema: Value = serde_json::from_str(schema).unwrap();
        assert_eq!(schema["properties"]["vct"]["const"], vct);
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let errors = schema_check::validate(&schema, &Value::Object(claims.clone()));
        assert!(errors.is_empty(), "{vct}: {errors:?}");
        // With the issuance claims added the payload still conforms.
        let mut payload = claims;
        payload.insert("vct".into(), json!(vct));
        payload.insert("iss".into(), json!("did:web:issuer.example"));
        payload.insert("iat".into(), json!(1_767_225_600));
        payload.insert("exp".into(), json!(1_798_761_600));
        payload.insert("cnf".into(), json!({"jwk": {"kty": "OKP"}}));
        payload.insert(
            "status".into(),
            json!({"status_list": {"idx": 0, "uri": "x"}}),
        );
        assert!(schema_check::validate(&schema, &Value::Object(payload)).is_empty());
    }
}

#[test]
fn schemas_reject_broken_claims() {
    let schema: Value = serde_json::from_str(COPY_SCHEMA).unwrap();
    let good: Value = serde_json::from_str(COPY_EXAMPLE).unwrap();

    let mut extra = good.clone();
    extra["nickname"] = json!("x");
    assert!(!schema_check::validate(&schema, &extra).is_empty());

    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("members");
    assert!(!schema_check::validate(&schema, &missing).is_empty());

    let mut bad_rrn = good.clone();
    bad_rrn["members"][1]["rrn"] = json!("8709232123524");
    assert!(!schema_check::validate(&schema, &bad_rrn).is_empty());

    let mut bad_member = good;
    bad_member["members"][0]["age"] = json!(40);
    assert!(!schema_check::validate(&schema, &bad_member).is_empty());

    let schema: Value = serde_json::from_str(FAMILY_SCHEMA).unwrap();
    let mut general: Value = serde_json::from_str(FAMILY_EXAMPLE).unwrap();
    general["certificate_kind"] = json!("general");
    assert!(!schema_check::validate(&schema, &general).is_empty());
    general.as_object_mut().unwrap().remove("past_relations");
    assert!(schema_check::validate(&schema, &general).is_empty());
    general["spouse"] = Value::Null;
    assert!(schema_check::validate(&schema, &general).is_empty());
    general["sex"] = json!("M");
    assert!(!schema_check::validate(&schema, &general).is_empty());
}

#[test]
fn vct_and_names() {
    assert_eq!(
        <ResidentRegistrationCopy as CredentialType>::VCT,
        "urn:dojang:kr:resident-registration-copy:1"
    );
    assert_eq!(
        <ResidentRegistrationAbstract as CredentialType>::VCT,
        "urn:dojang:kr:resident-registration-abstract:1"
    );
    assert_eq!(
        <FamilyRelationCertificate as CredentialType>::VCT,
        "urn:dojang:kr:family-relation-certificate:1"
    );
    assert_eq!(ResidentRegistrationCopy::NAME_KO, "주민등록표 등본");
    assert_eq!(ResidentRegistrationAbstract::NAME_KO, "주민등록표 초본");
    assert_eq!(FamilyRelationCertificate::NAME_KO, "가족관계증명서");
    assert_eq!(ALL_VCTS.len(), 3);
}

fn sample_copy() -> ResidentRegistrationCopy {
    serde_json::from_str(COPY_EXAMPLE).unwrap()
}

fn sample_abstract() -> ResidentRegistrationAbstract {
    serde_json::from_str(ABSTRACT_EXAMPLE).unwrap()
}

fn sample_family(kind: CertificateKind) -> FamilyRelationCertificate {
    let mut family: FamilyRelationCertificate = serde_json::from_str(FAMILY_EXAMPLE).unwrap();
    family.certificate_kind = kind;
    if kind == CertificateKind::General {
        family.past_relations = None;
    }
    family
}

#[test]
fn holder_claims_are_top_level_in_every_type() {
    let all = [
        sample_copy().to_claims(),
        sample_abstract().to_claims(),
        sample_family(CertificateKind::General).to_claims(),
    ];
    for claims in all {
        for name in ["name", "name_hanja", "rrn", "birth_date", "age_over_19"] {
            assert!(claims.contains_key(name), "{name}");
        }
        assert!(claims["age_over_19"].is_boolean());
        let rrn = Rrn::parse(claims["rrn"].as_str().unwrap()).unwrap();
        assert_eq!(
            claims["birth_date"].as_str().unwrap(),
            claim_date::format(rrn.birth_date())
        );
        for issuance in ["iss", "iat", "exp", "vct", "cnf", "status"] {
            assert!(!claims.contains_key(issuance), "{issuance}");
        }
        // The always-visible claims come first.
        let keys: Vec<&String> = claims.keys().collect();
        assert_eq!(keys[0], "document_number");
        assert_eq!(keys[1], "issuing_office");
    }
}

#[test]
fn copy_claims_shape() {
    let claims = sample_copy().to_claims();
    assert_eq!(
        claims.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "document_number",
            "issuing_office",
            "name",
            "name_hanja",
            "rrn",
            "birth_date",
            "age_over_19",
            "address",
            "household_head",
            "household_formation_reason",
            "household_formation_date",
            "members"
        ]
    );
    assert_eq!(
        claims["address"],
        json!({"road_address": "서울특별시 마포구 월드컵로 212", "detail": "101동 1203호", "postal_code": "03925"})
    );
    let members = claims["members"].as_array().unwrap();
    assert_eq!(members.len(), 4);
    assert_eq!(members[0]["relation"], "본인");
    assert_eq!(members[0]["rrn"], "850412-1120514");
    // A member without Hanja has no name_hanja member at all (not null).
    assert!(members[3].get("name_hanja").is_none());
    assert_eq!(members[3]["moved_in"], "2021-08-15");
}

#[test]
fn family_claims_shape_general_and_detailed() {
    let general = sample_family(CertificateKind::General).to_claims();
    assert_eq!(general["certificate_kind"], "general");
    assert!(!general.contains_key("past_relations"));
    assert_eq!(general["sex"], "male");
    assert_eq!(general["bon"], "김해");
    assert_eq!(general["parents"][0]["relation"], "부");
    assert_eq!(general["spouse"]["relation"], "배우자");
    assert_eq!(general["children"].as_array().unwrap().len(), 2);

    let detailed = sample_family(CertificateKind::Detailed).to_claims();
    assert_eq!(detailed["certificate_kind"], "detailed");
    let past = detailed["past_relations"].as_array().unwrap();
    assert_eq!(past[0]["event"], "divorce");
    assert_eq!(past[0]["event_date"], "2011-06-30");

    let mut single = sample_family(CertificateKind::General);
    single.spouse = None;
    assert_eq!(single.to_claims()["spouse"], Value::Null);
    single.validate().unwrap();
}

#[test]
fn unicode_values_are_kept_exactly() {
    // A decomposed Hangul name (NFD) must not be normalised to NFC.
    let decomposed = "\u{1100}\u{1175}\u{11B7}\u{1106}\u{1175}\u{11AB}";
    let mut copy = sample_copy();
    copy.name = decomposed.to_owned();
    assert_eq!(copy.to_claims()["name"], decomposed);
    let json = serde_json::to_string(&copy).unwrap();
    let back: ResidentRegistrationCopy = serde_json::from_str(&json).unwrap();
    assert_eq!(back.name, decomposed);
}

#[test]
fn always_visible_claims_carry_no_personal_data() {
    const PERSONAL: &[&str] = &[
        "name",
        "name_hanja",
        "rrn",
        "birth_date",
        "age_over_19",
        "sex",
        "bon",
        "address",
        "registration_base",
        "household_head",
        "household_formation_reason",
        "household_formation_date",
        "members",
        "parents",
        "spouse",
        "children",
        "past_relations",
        "personal_detail_changes",
        "address_history",
    ];
    assert_eq!(
        ALWAYS_VISIBLE,
        ["document_number", "issuing_office", "certificate_kind"]
    );
    for name in ALWAYS_VISIBLE {
        assert!(!PERSONAL.contains(name), "{name}");
    }
    let all = [
        sample_copy().to_claims(),
        sample_abstract().to_claims(),
        sample_family(CertificateKind::Detailed).to_claims(),
    ];
    for claims in all {
        // Every claim is either always visible or one of the known personal claims, so a new
        // claim must be classified here before it ships.
        for name in claims.keys() {
            assert!(
                ALWAYS_VISIBLE.contains(&name.as_str()) || PERSONAL.contains(&name.as_str()),
                "unclassified claim {name}"
            );
        }
        // And the always-visible values mention no personal value.
        let personal: Vec<String> = claims
            .iter()
            .filter(|(name, _)| !ALWAYS_VISIBLE.contains(&name.as_str()))
            .flat_map(|(_, value)| strings(value))
            .filter(|text| text.chars().count() >= 2)
            .collect();
        for name in ALWAYS_VISIBLE {
            if let Some(value) = claims.get(*name) {
                let value = value.as_str().unwrap();
                for text in &personal {
                    assert!(!value.contains(text.as_str()), "{name} contains {text}");
                }
            }
        }
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn validation_catches_inconsistent_claims() {
    let mut copy = sample_copy();
    copy.birth_date = date!(1985 - 04 - 13);
    assert_eq!(
        copy.validate(),
        Err(CredentialError::BirthDateMismatch {
            claim: "birth_date".into()
        })
    );

    let mut copy = sample_copy();
    copy.members[2].birth_date = date!(2015 - 03 - 08);
    assert_eq!(
        copy.validate(),
        Err(CredentialError::BirthDateMismatch {
            claim: "members[2].birth_date".into()
        })
    );

    let mut copy = sample_copy();
    copy.members.swap(0, 1);
    assert!(matches!(
        copy.validate(),
        Err(CredentialError::Inconsistent { .. })
    ));

    let mut copy = sample_copy();
    copy.rrn = rrn("900101-1234567");
    copy.birth_date = date!(1990 - 01 - 01);
    assert_eq!(
        copy.validate(),
        Err(CredentialError::Inconsistent {
            claim: "rrn".into(),
            reason: "the holder is a member of the household"
        })
    );

    let mut copy = sample_copy();
    copy.members[3].moved_in = date!(2021 - 08 - 14);
    assert!(matches!(
        copy.validate(),
        Err(CredentialError::DateOrder { .. })
    ));

    let mut abstract_ = sample_abstract();
    abstract_.address_history.swap(1, 2);
    assert!(abstract_.validate().is_err());

    let mut abstract_ = sample_abstract();
    abstract_.address.postal_code = "03926".into();
    assert!(matches!(
        abstract_.validate(),
        Err(CredentialError::Inconsistent { .. })
    ));

    let mut abstract_ = sample_abstract();
    abstract_.personal_detail_changes[0].current = "이수진".into();
    assert!(abstract_.validate().is_err());

    let mut family = sample_family(CertificateKind::General);
    family.sex = Sex::Female;
    assert_eq!(
        family.validate(),
        Err(CredentialError::SexMismatch {
            claim: "sex".into()
        })
    );

    let mut family = sample_family(CertificateKind::General);
    family.past_relations = Some(Vec::new());
    assert!(family.validate().is_err());

    let mut family = sample_family(CertificateKind::Detailed);
    family.past_relations = None;
    assert!(family.validate().is_err());

    let mut family = sample_family(CertificateKind::Detailed);
    if let Some(past) = family.past_relations.as_mut() {
        past[0].sex = Sex::Male;
    }
    assert_eq!(
        family.validate(),
        Err(CredentialError::SexMismatch {
            claim: "past_relations[0].sex".into()
        })
    );
}

#[test]
fn debug_of_credentials_prints_no_personal_data() {
    let copy = sample_copy();
    let abstract_ = sample_abstract();
    let family = sample_family(CertificateKind::Detailed);
    let printed = [
        format!("{copy:?}"),
        format!("{:?}", copy.members),
        format!("{abstract_:#?}"),
        format!("{:?}", abstract_.address_history),
        format!("{:?}", abstract_.personal_detail_changes),
        format!("{family:?}"),
        format!("{:?}", family.parents),
        format!("{:?}", family.past_relations),
    ];
    for text in printed {
        for secret in [
            "김민준",
            "이서연",
            "1120514",
            "월드컵로",
            "金",
            "이수진",
            "김해",
        ] {
            assert!(!text.contains(secret), "{text} contains {secret}");
        }
    }
}

#[test]
fn age_over_19_claim_is_what_the_builder_computed() {
    // The claim is a stored value; builders compute it with `age_over_19(birth, issued_on)`.
    let birth = rrn("070315-3123456").birth_date();
    let mut copy = sample_copy();
    copy.age_over_19 = age_over_19(birth, date!(2026 - 03 - 14));
    assert_eq!(copy.to_claims()["age_over_19"], false);
    copy.age_over_19 = age_over_19(birth, date!(2026 - 03 - 15));
    assert_eq!(copy.to_claims()["age_over_19"], true);
}

/// A small JSON Schema (2020-12) checker for the keywords the schemas in `specs/` use. It
/// refuses any keyword it does not know, so a schema cannot silently outgrow it.
mod schema_check {
    use serde_json::Value;

    use crate::credentials::{claim_date, Rrn};

    const ANNOTATIONS: &[&str] = &[
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "title",
        "description",
        "examples",
        "format",
    ];

    pub(super) fn validate(schema: &Value, instance: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        check(schema, schema, instance, "$", &mut errors);
        errors
    }

    fn pattern_matches(pattern: &str, text: &str) -> bool {
        match pattern {
            "^[0-9]{6}-[0-9]{7}$" => {
                text.len() == 14
                    && text
                        .bytes()
                        .enumerate()
                        .all(|(i, b)| if i == 6 { b == b'-' } else { b.is_ascii_digit() })
                    // Not part of the pattern, but what the pattern's description demands.
                    && Rrn::parse(text).is_ok()
            }
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" => claim_date::parse(text).is_some(),
            "^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{4}$" => {
                text.len() == 19
                    && text.bytes().enumerate().all(|(i, b)| {
                        if i % 5 == 4 {
                            b == b'-'
                        } else {
                            b.is_ascii_digit()
                        }
                    })
            }
            "^[0-9]{5}$" => text.len() == 5 && text.bytes().all(|b| b.is_ascii_digit()),
            other => panic!("the test checker does not know pattern {other}"),
        }
    }

    fn type_matches(name: &str, instance: &Value) -> bool {
        match name {
            "object" => instance.is_object(),
            "array" => instance.is_array(),
            "string" => instance.is_string(),
            "boolean" => instance.is_boolean(),
            "integer" => instance.is_i64() || instance.is_u64(),
            "number" => instance.is_number(),
            "null" => instance.is_null(),
            other => panic!("unknown type {other}"),
        }
    }

    fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
        let name = reference
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("only local $defs references: {reference}"));
        &root["$defs"][name]
    }

    fn check(root: &Value, schema: &Value, instance: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(schema) = schema.as_object() else {
            panic!("schema at {path} is not an object");
        };
        for (keyword, value) in schema {
            match keyword.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                "$ref" => check(
                    root,
                    resolve(root, value.as_str().unwrap()),
                    instance,
                    path,
                    errors,
                ),
                "type" => {
                    let ok = match value {
                        Value::String(name) => type_matches(name, instance),
                        Value::Array(names) => names
                            .iter()
                            .any(|name| type_matches(name.as_str().unwrap(), instance)),
                        _ => panic!("bad type at {path}"),
                    };
                    if !ok {
                        errors.push(format!("{path}: not of type {value}"));
                    }
                }
                "const" => {
                    if instance != value {
                        errors.push(format!("{path}: not the constant"));
                    }
                }
                "enum" => {
                    if !value.as_array().unwrap().contains(instance) {
                        errors.push(format!("{path}: not one of {value}"));
                    }
                }
                "pattern" => {
                    if let Some(text) = instance.as_str() {
                        if !pattern_matches(value.as_str().unwrap(), text) {
                            errors.push(format!("{path}: does not match {value}"));
                        }
                    }
                }
                "minLength" => {
                    if let Some(text) = instance.as_str() {
                        if (text.chars().count() as u64) < value.as_u64().unwrap() {
                            errors.push(format!("{path}: too short"));
                        }
                    }
                }
                "minItems" | "maxItems" => {
                    if let Some(items) = instance.as_array() {
                        let len = items.len() as u64;
                        let bound = value.as_u64().unwrap();
                        if (keyword == "minItems" && len < bound)
                            || (keyword == "maxItems" && len > bound)
                        {
                            errors.push(format!("{path}: {keyword} {bound}"));
                        }
                    }
                }
                "items" => {
                    if let Some(items) = instance.as_array() {
                        for (index, item) in items.iter().enumerate() {
                            check(root, value, item, &format!("{path}[{index}]"), errors);
                        }
                    }
                }
                "properties" => {
                    if let Some(object) = instance.as_object() {
                        for (name, sub) in value.as_object().unwrap() {
                            if let Some(member) = object.get(name) {
                                check(root, sub, member, &format!("{path}.{name}"), errors);
                            }
                        }
                    }
                }
                "required" => {
                    if let Some(object) = instance.as_object() {
                        for name in value.as_array().unwrap() {
                            if !object.contains_key(name.as_str().unwrap()) {
                                errors.push(format!("{path}: missing {name}"));
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    assert_eq!(
                        value,
                        &Value::Bool(false),
                        "only additionalProperties: false"
                    );
                    if let Some(object) = instance.as_object() {
                        let known = schema["properties"].as_object().unwrap();
                        for name in object.keys() {
                            if !known.contains_key(name) {
                                errors.push(format!("{path}: unexpected member {name}"));
                            }
                        }
                    }
                }
                "oneOf" => {
                    let matching = value
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|sub| {
                            let mut sub_errors = Vec::new();
                            check(root, sub, instance, path, &mut sub_errors);
                            sub_errors.is_empty()
                        })
                        .count();
                    if matching != 1 {
                        errors.push(format!("{path}: {matching} oneOf branches match"));
                    }
                }
                "not" => {
                    let mut sub_errors = Vec::new();
                    check(root, value, instance, path, &mut sub_errors);
                    if sub_errors.is_empty() {
                        errors.push(format!("{path}: matches a `not` schema"));
                    }
                }
                "if" => {
                    let mut sub_errors = Vec::new();
                    check(root, value, instance, path, &mut sub_errors);
                    let branch = if sub_errors.is_empty() {
                        "then"
                    } else {
                        "else"
                    };
                    if let Some(branch) = schema.get(branch) {
                        check(root, branch, instance, path, errors);
                    }
                }
                "then" | "else" => {}
                other => panic!("the test checker does not know keyword {other} (at {path})"),
            }
        }
    }
}
