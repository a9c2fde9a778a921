//! The reference strict parser: serde_json's own deserializer, with a visitor that refuses
//! duplicate member names and nesting deeper than the budget.
//!
//! [`super::parse`] accepts input with its own parser and comes here only for input that parser
//! refuses: this one then names the error exactly as it always has (the first violation in
//! document order, serde_json's message with its line and column). It is also the oracle of the
//! differential tests in `super::tests`.

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
pub(super) fn parse(bytes: &[u8], max_depth: usize, part: &'static str) -> Result<Value, VcError> {
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
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.nested::<A::Error>()?)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.nested::<A::Error>()?;
        let mut out = Map::new();
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
