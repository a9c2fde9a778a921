//! Strict JSON parsing: duplicate member names are an error at every depth, and nesting is bounded.
//!
//! serde_json keeps the last of two equal member names without a word; two parties reading the same
//! token could then see different claims. RFC 8725 §3.2 and RFC 9901 §7 expect a verifier to
//! refuse such input, so every JSON text from outside goes through [`parse`].

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::VcError;

#[derive(Clone)]
enum Violation {
    DuplicateKey(String),
    TooDeep,
}

/// Parses `bytes` as JSON, refusing duplicate member names and nesting deeper than `max_depth`.
pub(crate) fn parse(bytes: &[u8], max_depth: usize, part: &'static str) -> Result<Value, VcError> {
    let violation = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Strict {
        depth_left: max_depth,
        violation: &violation,
    };
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (result, violation.take()) {
        (_, Some(Violation::DuplicateKey(key))) => Err(VcError::DuplicateJsonKey { part, key }),
        (_, Some(Violation::TooDeep)) => Err(VcError::LimitExceeded {
            limit: "json_depth",
            max: max_depth,
            actual: max_depth + 1,
        }),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(VcError::MalformedJson {
            part,
            reason: e.to_string(),
        }),
    }
}

/// Like [`parse`], and the value must be an object.
pub(crate) fn parse_object(
    bytes: &[u8],
    max_depth: usize,
    part: &'static str,
) -> Result<Map<String, Value>, VcError> {
    match parse(bytes, max_depth, part)? {
        Value::Object(m) => Ok(m),
        _ => Err(VcError::MalformedJson {
            part,
            reason: "expected a JSON object".into(),
        }),
    }
}

struct Strict<'a> {
    depth_left: usize,
    violation: &'a Cell<Option<Violation>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Strict<'_> {
    /// The seed for a value one level down, or the violation if the budget is spent.
    fn nested<E: de::Error>(&self) -> Result<Strict<'_>, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(Strict {
                depth_left,
                violation: self.violation,
            }),
            None => Err(self.fail(Violation::TooDeep)),
        }
    }
    fn fail<E: de::Error>(&self, v: Violation) -> E {
        self.violation.set(Some(v));
        E::custom("strict JSON violation")
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.nested::<A::Error>()?;
        // Most arrays here are `_sd` lists of a few digests: one allocation for them, not three.
        let mut out = Vec::with_capacity(8);
        while let Some(v) = seq.next_element_seed(self.nested::<A::Error>()?)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.nested::<A::Error>()?;
        // Sized for a typical object (a JWT header, `cnf`, a household member): growing an
        // index map from empty reallocates both its entries and its table several times.
        let mut out = Map::with_capacity(8);
        while let Some(key) = map.next_key::<String>()? {
            // One lookup per member: the vacant entry is filled once the value is parsed.
            match out.entry(key) {
                serde_json::map::Entry::Occupied(taken) => {
                    return Err(self.fail(Violation::DuplicateKey(taken.key().clone())));
                }
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(map.next_value_seed(self.nested::<A::Error>()?)?);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_rejected_at_every_depth() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":{"a":1,"b":{"c":1,"c":1}}}"#,
            r#"[1,{"k":[{"z":0,"z":0}]}]"#,
        ] {
            assert!(
                matches!(
                    parse(text.as_bytes(), 32, "t"),
                    Err(VcError::DuplicateJsonKey { .. })
                ),
                "{text}"
            );
        }
        assert!(parse(br#"{"a":{"a":1},"b":{"a":1}}"#, 32, "t").is_ok());
    }

    #[test]
    fn depth_budget_is_enforced() {
        let deep = format!("{}{}", "[".repeat(5), "]".repeat(5));
        assert!(parse(deep.as_bytes(), 5, "t").is_ok());
        assert!(matches!(
            parse(deep.as_bytes(), 4, "t"),
            Err(VcError::LimitExceeded {
                limit: "json_depth",
                ..
            })
        ));
        let objs = r#"{"a":{"b":{"c":{}}}}"#;
        assert!(parse(objs.as_bytes(), 4, "t").is_ok());
        assert!(parse(objs.as_bytes(), 3, "t").is_err());
    }

    #[test]
    fn trailing_garbage_and_invalid_json_rejected() {
        assert!(matches!(
            parse(b"{} x", 8, "t"),
            Err(VcError::MalformedJson { .. })
        ));
        assert!(matches!(
            parse(b"{\"a\":}", 8, "t"),
            Err(VcError::MalformedJson { .. })
        ));
    }

    #[test]
    fn unicode_is_kept_as_received() {
        let v = parse("{\"이름\":\"홍길동\"}".as_bytes(), 8, "t").unwrap();
        assert_eq!(v["이름"], "홍길동");
    }
}
