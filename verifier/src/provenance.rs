//! Provenance: the chain behind a verified credential, root first, as an auditor reads it:
//! root → trust list → issuer → key → credential → status → log inclusion.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

/// One link of the chain of trust behind a verification, root first.
///
/// The text and data are shared, not copied: the links that depend on the trust list alone
/// (root, trust list, issuer) are made once per list and handed to every verification.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvenanceEntry {
    /// Which link: `root`, `trust_list`, `issuer`, `key`, `credential`, `status` or `log`.
    pub step: &'static str,
    /// A one-line description for people.
    pub detail: Arc<str>,
    /// The same, as data for machines and auditors.
    pub data: Arc<Value>,
}

impl Serialize for ProvenanceEntry {
    /// `{"step", "detail", "data"}`, as the derived form of the plain fields.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entry = s.serialize_struct("ProvenanceEntry", 3)?;
        entry.serialize_field("step", self.step)?;
        entry.serialize_field("detail", &*self.detail)?;
        entry.serialize_field("data", &*self.data)?;
        entry.end()
    }
}

/// An object of these members, in this order, allocated once (the `json!` macro grows its map
/// member by member).
fn object<const N: usize>(members: [(&'static str, Value); N]) -> Map<String, Value> {
    let mut map = Map::with_capacity(N);
    for (k, v) in members {
        map.insert(k.to_owned(), v);
    }
    map
}

/// The `data` of one kind of entry, made every verification with the same member names: the
/// first object made is kept, its values `null`, and each next one is a copy of it with the
/// values put in. Copying an object copies its hash table; inserting the members one by one
/// hashed each name again.
pub(crate) struct Shape<const N: usize> {
    empty: OnceLock<Map<String, Value>>,
}

impl<const N: usize> Shape<N> {
    /// A shape to be learned from its first use.
    pub(crate) const fn new() -> Self {
        Self {
            empty: OnceLock::new(),
        }
    }

    /// The entry's `data`: [`Shape::object`], shared.
    pub(crate) fn data(&self, members: [(&'static str, Value); N]) -> Arc<Value> {
        Arc::new(Value::Object(self.object(members)))
    }

    /// The object of these members, in this order: a copy of the shape when the names are its
    /// own, made member by member otherwise.
    pub(crate) fn object(&self, members: [(&'static str, Value); N]) -> Map<String, Value> {
        let empty = self
            .empty
            .get_or_init(|| object(members.each_ref().map(|(k, _)| (*k, Value::Null))));
        if !empty
            .keys()
            .map(String::as_str)
            .eq(members.iter().map(|(k, _)| *k))
        {
            return object(members);
        }
        let mut map = empty.clone();
        for (slot, (_, value)) in map.values_mut().zip(members) {
            *slot = value;
        }
        map
    }
}

/// A provenance entry's `detail`, formatted once into the shared text (`format!` into a
/// `String`, then into an `Arc<str>`, would allocate twice).
pub(crate) fn text(args: std::fmt::Arguments<'_>) -> Arc<str> {
    thread_local! {
        static LINE: RefCell<String> = const { RefCell::new(String::new()) };
    }
    LINE.with(|line| match line.try_borrow_mut() {
        Ok(mut line) => {
            line.clear();
            // Writing to a String cannot fail.
            let _ = line.write_fmt(args);
            let text = Arc::from(line.as_str());
            line.shrink_to(1024);
            text
        }
        Err(_) => Arc::from(std::fmt::format(args)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_plain_fields_did() {
        #[derive(serde::Serialize)]
        struct Plain {
            step: &'static str,
            detail: String,
            data: Value,
        }
        let entry = ProvenanceEntry {
            step: "key",
            detail: text(format_args!("key {} valid", "k-1")),
            data: Shape::new().data([("kid", Value::from("k-1")), ("iat", Value::from(5))]),
        };
        let plain = Plain {
            step: "key",
            detail: "key k-1 valid".into(),
            data: serde_json::json!({"kid": "k-1", "iat": 5}),
        };
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            serde_json::to_string(&plain).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            serde_json::to_value(&plain).unwrap()
        );
    }

    /// A shape makes the object of the members given, member for member and in order, from its
    /// first use on; other names than the shape's are kept as given.
    #[test]
    fn a_shape_makes_what_data_makes() {
        static SHAPE: Shape<3> = Shape::new();
        for (i, text) in ["a", "b", "c"].into_iter().enumerate() {
            let members = [
                ("kid", Value::from(text)),
                ("iat", Value::from(i)),
                ("exp", Value::Null),
            ];
            let made = SHAPE.data(members.clone());
            assert_eq!(
                made.to_string(),
                Value::Object(object(members.clone())).to_string()
            );
            assert_eq!(*made, Value::Object(object(members)));
        }
        let other = [
            ("exp", Value::from(1)),
            ("kid", Value::from("k")),
            ("iat", Value::from(2)),
        ];
        assert_eq!(
            SHAPE.data(other.clone()).to_string(),
            r#"{"exp":1,"kid":"k","iat":2}"#
        );
        assert_eq!(*SHAPE.data(other.clone()), Value::Object(object(other)));
    }
}
