//! Provenance: the chain behind a verified credential, root first, as an auditor reads it:
//! root → trust list → issuer → key → credential → status → log inclusion.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

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

/// A provenance entry's `data`: an object of these members, in this order, allocated once (the
/// `json!` macro grows its map member by member).
pub(crate) fn data<const N: usize>(members: [(&'static str, Value); N]) -> Arc<Value> {
    let mut map = serde_json::Map::with_capacity(N);
    for (k, v) in members {
        map.insert(k.to_owned(), v);
    }
    Arc::new(Value::Object(map))
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
            data: data([("kid", Value::from("k-1")), ("iat", Value::from(5))]),
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
}
