//! Disclosures (RFC 9901 §4.2): `base64url(JSON array [salt, name, value])` for an object property,
//! `[salt, value]` for an array element, and their digests.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::{base64url, json, Budget, VcError};

/// The only `_sd_alg` supported, and the default when it is absent (RFC 9901 §4.1.1).
pub const SD_ALG: &str = "sha-256";

/// Bytes of salt: 128 bits, as RFC 9901 §9.3 recommends.
pub const SALT_BYTES: usize = 16;

/// The digest of a Disclosure: `base64url(SHA-256(ASCII of the Disclosure as received))`.
/// RFC 9901 §4.2.3: never re-encode before hashing.
pub fn digest(encoded: &str) -> String {
    DigestText::of(encoded).as_str().to_owned()
}

/// The length of a SHA-256 digest as base64url text without padding.
const DIGEST_LEN: usize = 43;

/// A SHA-256 digest as base64url text, made without a heap string of its own: a Disclosure's
/// digest is computed for every Disclosure received, and a heap string each time cost more than
/// the hash.
struct DigestText([u8; DIGEST_LEN]);

impl DigestText {
    fn of(encoded: &str) -> Self {
        Self(base64url::encode_digest(
            &Sha256::digest(encoded.as_bytes()).into(),
        ))
    }
    fn as_str(&self) -> &str {
        // base64url is ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// A decoded Disclosure, with the exact string it came from.
#[derive(Clone, PartialEq)]
pub struct Disclosure {
    /// The Disclosure as received, then its salt, then its claim name (if any), then its digest
    /// (the last [`DIGEST_LEN`] bytes): one allocation for the four. The digest is kept as text
    /// here, not as bytes to check as UTF-8 at each look-up: processing looks it up a few times
    /// per Disclosure.
    text: String,
    encoded_len: usize,
    salt_len: usize,
    name_len: Option<usize>,
    value: Value,
}

impl std::fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disclosure")
            .field("encoded", &self.as_str())
            .field("digest", &self.digest())
            .field("salt", &self.salt())
            .field("name", &self.name())
            .field("value", &self.value)
            .finish()
    }
}

impl Disclosure {
    /// Decodes a Disclosure received from outside.
    pub fn parse(encoded: &str, budget: &Budget) -> Result<Self, VcError> {
        Self::parse_with(encoded, budget, &mut Vec::new())
    }

    /// [`Disclosure::parse`], decoding into `scratch` (so that an SD-JWT's Disclosures share
    /// one buffer).
    pub(crate) fn parse_with(
        encoded: &str,
        budget: &Budget,
        scratch: &mut Vec<u8>,
    ) -> Result<Self, VcError> {
        let malformed = |reason| VcError::DisclosureMalformed { reason };
        scratch.clear();
        base64url::decode_into(encoded, scratch)
            .map_err(|()| malformed("not base64url without padding"))?;
        // Room for the salt, a claim name and the digest after the text received; a longer name
        // grows it.
        let mut text = String::with_capacity(encoded.len() + scratch.len().min(64) + DIGEST_LEN);
        text.push_str(encoded);
        // One pass over the usual shape; anything else (every error included) is read by the
        // general parser below, which names the error.
        if let Some(parts) = json::disclosure_parts(scratch, budget.max_json_depth, &mut text) {
            return Ok(Self::from_parts(encoded, text, parts));
        }
        Self::parse_general(encoded, scratch, budget)
    }

    /// The Disclosure the one-pass reader found: `text` is `encoded` followed by the salt and
    /// the claim name that [`json::disclosure_parts`] appended.
    fn from_parts(encoded: &str, mut text: String, parts: json::DisclosureParts) -> Self {
        text.push_str(DigestText::of(encoded).as_str());
        Self {
            text,
            encoded_len: encoded.len(),
            salt_len: parts.salt_len,
            name_len: parts.name_len,
            value: parts.value,
        }
    }

    /// The general path of [`Disclosure::parse_with`]: strict JSON first, then the shape.
    fn parse_general(encoded: &str, decoded: &[u8], budget: &Budget) -> Result<Self, VcError> {
        let malformed = |reason| VcError::DisclosureMalformed { reason };
        let Value::Array(mut items) = json::parse(decoded, budget.max_json_depth, "disclosure")?
        else {
            return Err(malformed("not a JSON array"));
        };
        let (salt, name, value) = match items.len() {
            2 => {
                let value = items.pop().unwrap_or(Value::Null);
                (items.pop(), None, value)
            }
            3 => {
                let value = items.pop().unwrap_or(Value::Null);
                let Some(Value::String(name)) = items.pop() else {
                    return Err(malformed("the claim name is not a string"));
                };
                (items.pop(), Some(name), value)
            }
            _ => return Err(malformed("a disclosure has 2 or 3 elements")),
        };
        let Some(Value::String(salt)) = salt else {
            return Err(malformed("the salt is not a string"));
        };
        Ok(Self::assemble(
            encoded.to_owned(),
            &salt,
            name.as_deref(),
            value,
        ))
    }

    /// A Disclosure from its parts; `encoded` must be their encoding.
    fn assemble(encoded: String, salt: &str, name: Option<&str>, value: Value) -> Self {
        let digest = DigestText::of(&encoded);
        let mut text = encoded;
        let encoded_len = text.len();
        text.reserve_exact(salt.len() + name.map_or(0, str::len) + DIGEST_LEN);
        text.push_str(salt);
        if let Some(name) = name {
            text.push_str(name);
        }
        text.push_str(digest.as_str());
        Self {
            text,
            encoded_len,
            salt_len: salt.len(),
            name_len: name.map(str::len),
            value,
        }
    }

    /// Makes a new Disclosure with a fresh 128-bit salt from the OS random number generator.
    pub fn new(name: Option<&str>, value: Value) -> Self {
        Self::with_salt(B64.encode(fresh_salt()), name, value)
    }

    /// Makes a Disclosure with a given salt (for reproducing published vectors).
    pub fn with_salt(salt: String, name: Option<&str>, value: Value) -> Self {
        // `[salt,name,value]` as serde_json writes an array compactly, written in place: building
        // the array as a `Value` first copied the claim value, and issuance makes a dozen
        // Disclosures a credential.
        let mut array = String::with_capacity(64);
        array.push('[');
        push_json(&mut array, &Value::from(salt.as_str()));
        if let Some(n) = name {
            array.push(',');
            push_json(&mut array, &Value::from(n));
        }
        array.push(',');
        push_json(&mut array, &value);
        array.push(']');
        Self::assemble(B64.encode(array), &salt, name, value)
    }

    /// The Disclosure exactly as encoded.
    pub fn as_str(&self) -> &str {
        self.text.get(..self.encoded_len).unwrap_or_default()
    }
    /// Its SHA-256 digest.
    pub fn digest(&self) -> &str {
        let start = self.text.len().saturating_sub(DIGEST_LEN);
        self.text.get(start..).unwrap_or_default()
    }
    /// The salt.
    pub fn salt(&self) -> &str {
        let start = self.encoded_len;
        self.text
            .get(start..start + self.salt_len)
            .unwrap_or_default()
    }
    /// The claim name (object property) or `None` (array element).
    pub fn name(&self) -> Option<&str> {
        let start = self.encoded_len + self.salt_len;
        self.name_len
            .map(|len| self.text.get(start..start + len).unwrap_or_default())
    }
    /// The claim value (which may itself hold `_sd` digests).
    pub fn value(&self) -> &Value {
        &self.value
    }
    /// Moves the claim value out, leaving `null` (for processing that gives the Disclosure up).
    pub(crate) fn take_value(&mut self) -> Value {
        std::mem::take(&mut self.value)
    }
    /// Number of array elements: 3 for an object property, 2 for an array element.
    pub fn element_count(&self) -> usize {
        if self.name_len.is_some() {
            3
        } else {
            2
        }
    }
}

/// A decoy digest (RFC 9901 §4.2.5): the hash of random bytes, indistinguishable from a real one.
pub fn decoy_digest() -> String {
    digest(&B64.encode(fresh_salt()))
}

/// Appends `value` as compact JSON (its `Display`, which cannot fail on a `String`).
fn push_json(out: &mut String, value: &Value) {
    use std::fmt::Write as _;
    let _ = write!(out, "{value}");
}

/// A fresh 128-bit salt from the OS random number generator, read 64 salts at a time: one
/// system call per salt was a third of the cost of signing a 등본 (some 75 salts and decoys).
/// Each salt is handed out once and wiped from the thread's pool as it goes.
fn fresh_salt() -> [u8; SALT_BYTES] {
    const POOL: usize = 64 * SALT_BYTES;
    thread_local! {
        static SALTS: std::cell::RefCell<([u8; POOL], usize)> =
            const { std::cell::RefCell::new(([0; POOL], POOL)) };
    }
    SALTS.with_borrow_mut(|(pool, used)| {
        if *used + SALT_BYTES > POOL {
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, pool);
            *used = 0;
        }
        let mut salt = [0u8; SALT_BYTES];
        let taken = &mut pool[*used..*used + SALT_BYTES];
        salt.copy_from_slice(taken);
        taken.fill(0);
        *used += SALT_BYTES;
        salt
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The array is written in place exactly as serde_json writes `[salt,name,value]` (what
    /// the Disclosure was before): escapes, non-ASCII text, nested objects and arrays, numbers.
    #[test]
    fn with_salt_writes_the_array_as_serde_json_does() {
        let values = [
            serde_json::json!("홍길동"),
            serde_json::json!("quote \" backslash \\ newline \n tab \t nul \u{0} \u{1f} é 😀"),
            serde_json::json!({"road_address": "서울특별시 종로구", "n": [1, 2.5, -3e-7, null],
                "_sd": ["abc"], "nested": {"t": true, "f": false}}),
            serde_json::json!([{"a": 1}, [], {}, ""]),
            serde_json::json!(12345678901234567890u64),
            serde_json::json!(null),
        ];
        for name in [Some("family_name"), Some("이름 \"q\""), None] {
            for value in &values {
                let salt = "_26bc4LT-ac6q2KI6cBW5es".to_owned();
                let before = match name {
                    Some(n) => serde_json::json!([salt, n, value]),
                    None => serde_json::json!([salt, value]),
                };
                let d = Disclosure::with_salt(salt.clone(), name, value.clone());
                assert_eq!(
                    d.as_str(),
                    B64.encode(before.to_string()),
                    "{name:?} {value}"
                );
                assert_eq!(
                    (d.salt(), d.name(), d.value()),
                    (salt.as_str(), name, value)
                );
            }
        }
    }

    #[test]
    fn element_counts_and_salt_type_checked() {
        let b = Budget::default();
        for bad in [
            r#"["s"]"#,
            r#"["s","a","b","c"]"#,
            r#"[1,"a","b"]"#,
            r#"["s",1,"b"]"#,
            r#"{"a":1}"#,
        ] {
            let enc = B64.encode(bad);
            assert_eq!(
                Disclosure::parse(&enc, &b).unwrap_err().code(),
                "disclosure_malformed",
                "{bad}"
            );
        }
        assert!(Disclosure::parse("not base64!", &b).is_err());
        assert!(Disclosure::parse(&format!("{}=", B64.encode(r#"["s",1]"#)), &b).is_err());
    }

    #[test]
    fn new_disclosures_round_trip_with_unique_salts() {
        let a = Disclosure::new(Some("이름"), Value::from("홍길동"));
        let b = Disclosure::new(Some("이름"), Value::from("홍길동"));
        assert_ne!(a.salt(), b.salt());
        assert_eq!(B64.decode(a.salt()).unwrap().len(), SALT_BYTES);
        let back = Disclosure::parse(a.as_str(), &Budget::default()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn salts_stay_unique_across_refills_of_the_pool() {
        // Several refills of the 64-salt pool, on two threads: no salt twice, none all zero.
        let mine: Vec<[u8; SALT_BYTES]> = (0..300).map(|_| fresh_salt()).collect();
        let theirs = std::thread::spawn(|| (0..300).map(|_| fresh_salt()).collect::<Vec<_>>())
            .join()
            .unwrap();
        let all: std::collections::HashSet<[u8; SALT_BYTES]> =
            mine.iter().chain(&theirs).copied().collect();
        assert_eq!(all.len(), 600);
        assert!(!all.contains(&[0; SALT_BYTES]));
    }

    /// The one-pass reader against the general path, on one decoded Disclosure.
    fn one_pass_agrees(encoded: &str, decoded: &[u8], budget: &Budget) -> Result<bool, String> {
        let mut text = encoded.to_owned();
        let general = Disclosure::parse_general(encoded, decoded, budget);
        let Some(parts) = json::disclosure_parts(decoded, budget.max_json_depth, &mut text) else {
            if text != encoded {
                return Err(format!("text left changed: {text:?}"));
            }
            return Ok(false);
        };
        let fast = Disclosure::from_parts(encoded, text, parts);
        match general {
            Ok(g) if g == fast && format!("{g:?}") == format!("{fast:?}") => Ok(true),
            other => Err(format!(
                "{:?}: one pass {fast:?}, general {other:?}",
                String::from_utf8_lossy(decoded)
            )),
        }
    }

    #[test]
    fn one_pass_reader_agrees_with_the_general_path() {
        use rand::{Rng as _, SeedableRng as _};
        let mut inputs: Vec<Vec<u8>> = crate::json::tests::corpus_and_vectors()
            .into_iter()
            .filter(|d| d.first() == Some(&b'['))
            .collect();
        for text in [
            r#"["s","n",1]"#,
            r#"["s",1]"#,
            r#"["s","v"]"#,
            r#"[ "s" , "n" , "v" ]"#,
            r#"["s","n"]"#,
            r#"["s"]"#,
            r#"["s","n",1,2]"#,
            r#"["s","n","v",]"#,
            r#"[]"#,
            r#"[1,"n",1]"#,
            r#"["s",1,2]"#,
            r#"["s",{"a":1,"a":2}]"#,
            r#"["s","n",[[[]]]]"#,
            r#"["\u0073","\u006e\n",{"_sd":["x"]}]"#,
            r#"["s","n",1] x"#,
            r#"["s","n" 1]"#,
            r#"["s","\uD800",1]"#,
            r#"["s","n",01]"#,
            r#"["s","n",-0]"#,
            r#"["s",1e400]"#,
            r#"{"s":1}"#,
            r#""s""#,
            "[\"s\",\"n\",\"\u{1}\"]",
            "[\"s\",\"이름\",\"홍길동\"]",
            r#"["s","...",1]"#,
            r#"["s","_sd",null]"#,
            r#"["","",""]"#,
            r#"["s","",true]"#,
            r#"["s","a\"b",1]"#,
            r#"["s\\","n",1]"#,
            r#"["s","n","\u00e9"]"#,
        ] {
            inputs.push(text.as_bytes().to_vec());
        }
        for depth in 0..5 {
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            inputs.push(format!(r#"["s","n",{nested}]"#).into_bytes());
            inputs.push(format!(r#"["s",{nested}]"#).into_bytes());
        }
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9901);
        for _ in 0..3000 {
            let mut text = String::from("[");
            crate::json::tests::random_string(&mut rng, &mut text);
            text.push(',');
            if rng.gen_bool(0.7) {
                crate::json::tests::random_string(&mut rng, &mut text);
                text.push(',');
            }
            crate::json::tests::random_json(&mut rng, 3, &mut text);
            text.push(']');
            let bytes = text.into_bytes();
            inputs.push(crate::json::tests::mutate(&mut rng, &bytes));
            inputs.push(bytes);
        }
        let mut one_pass = 0;
        for decoded in &inputs {
            let encoded = B64.encode(decoded);
            for depth in [0, 1, 2, 3, 32] {
                let budget = Budget {
                    max_json_depth: depth,
                    ..Budget::default()
                };
                match one_pass_agrees(&encoded, decoded, &budget) {
                    Ok(read) => one_pass += usize::from(read),
                    Err(e) => panic!("depth {depth}: {e}"),
                }
            }
        }
        assert!(one_pass > 5000, "{one_pass} of {}", inputs.len() * 5);
    }
}
