//! Provenance: the chain behind a verified credential, root first, as an auditor reads it:
//! root → trust list → issuer → key → credential → status → log inclusion.

use serde::Serialize;
use serde_json::Value;

/// One link of the chain of trust behind a verification, root first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvenanceEntry {
    /// Which link: `root`, `trust_list`, `issuer`, `key`, `credential`, `status` or `log`.
    pub step: &'static str,
    /// A one-line description for people.
    pub detail: String,
    /// The same, as data for machines and auditors.
    pub data: Value,
}

/// A provenance entry's `data`: an object of these members, in this order, allocated once (the
/// `json!` macro grows its map member by member).
pub(crate) fn data<const N: usize>(members: [(&'static str, Value); N]) -> Value {
    let mut map = serde_json::Map::with_capacity(N);
    for (k, v) in members {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}
