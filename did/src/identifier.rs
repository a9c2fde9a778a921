//! DIDs and DID URLs: syntax per DID Core §3.1 and §3.2, plus the method-specific syntax of the
//! three methods Dojang knows (`key`, `jwk`, `web`).
//!
//! ```text
//! did                = "did:" method-name ":" method-specific-id
//! method-name        = 1*method-char
//! method-char        = %x61-7A / DIGIT
//! method-specific-id = *( *idchar ":" ) 1*idchar
//! idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
//! pct-encoded        = "%" HEXDIG HEXDIG
//! ```
//!
//! Parsing never resolves anything: `did:key:z…` is checked for its alphabet here, and its bytes
//! are decoded only by [`crate::did_key::decode`].

use std::fmt;
use std::str::FromStr;

use crate::DidError;

/// Budget: the longest DID or DID URL accepted, in bytes.
///
/// A did:key for an Ed25519 key has 56 characters and a did:jwk for one about 120; the longest
/// identifiers met in the published vectors (did:key for RSA-4096) stay near 750. 4 KiB leaves room
/// for a did:jwk with custom members while bounding what a hostile `kid` or `iss` can make us parse.
pub const MAX_DID_LENGTH: usize = 4096;

/// A syntactically valid DID (`did:<method>:<method-specific-id>`), without path, query or
/// fragment.
///
/// Any method name that follows DID Core parses; for `key`, `jwk` and `web` the method-specific
/// id is also checked:
/// - `did:key:` must be followed by `z` and base58btc characters (no `did:key:1:…` versions);
/// - `did:jwk:` by base64url characters only (`[A-Za-z0-9_-]+`, no padding);
/// - `did:web:` by a host name, an optional port written `%3A<port>`, and optional non-empty
///   `:`-separated path segments. did:web is parsed only: Dojang resolves it from pinned documents.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Did {
    text: String,
    /// Byte length of the method name (the text starts with `did:`).
    method_len: usize,
}

impl Did {
    /// Parses and validates a DID.
    pub fn parse(text: &str) -> Result<Self, DidError> {
        check_length(text, "DID")?;
        let rest = text.strip_prefix("did:").ok_or(DidError::InvalidDid {
            reason: "a DID starts with the lowercase scheme `did:`",
        })?;
        let (method, id) = rest.split_once(':').ok_or(DidError::InvalidDid {
            reason: "missing `:` between method name and method-specific id",
        })?;
        if method.is_empty() {
            return Err(DidError::InvalidDid {
                reason: "empty method name",
            });
        }
        if !method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(DidError::InvalidDid {
                reason: "a method name has only lowercase ASCII letters and digits",
            });
        }
        check_method_specific_id(id)?;
        match method {
            "key" => check_did_key_id(id)?,
            "jwk" => check_did_jwk_id(id)?,
            "web" => check_did_web_id(id)?,
            _ => {}
        }
        Ok(Self {
            text: text.to_owned(),
            method_len: method.len(),
        })
    }

    /// A DID this crate has just encoded itself (`did:key`, `did:jwk`); checked in debug builds.
    pub(crate) fn new_unchecked(text: String) -> Self {
        debug_assert!(Self::parse(&text).is_ok(), "invalid DID {text}");
        let method_len = text[4..].find(':').unwrap_or_default();
        Self { text, method_len }
    }

    /// The DID as a string.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The method name (`key`, `jwk`, `web`, …).
    pub fn method(&self) -> &str {
        &self.text[4..4 + self.method_len]
    }

    /// Everything after `did:<method>:`.
    pub fn method_specific_id(&self) -> &str {
        &self.text[4 + self.method_len + 1..]
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.text)
    }
}

impl FromStr for Did {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Did {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl serde::Serialize for Did {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Did {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A DID URL that names one verification method: a [`Did`] and an optional `#fragment`.
///
/// Paths (`/…`) and queries (`?…`) are **rejected** with [`DidError::InvalidDidUrl`]: Dojang only
/// dereferences keys, and ignoring a path or query would let `did:web:a/x#k` silently mean the
/// same key as `did:web:a#k`. The fragment must be non-empty and follow RFC 3986 §3.5
/// (`pchar / "/" / "?"`, valid percent-encoding); it is compared as received, never decoded.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DidUrl {
    text: String,
    did: Did,
    /// Byte offset of the fragment's first character (after `#`).
    fragment_start: Option<usize>,
}

impl DidUrl {
    /// Parses a DID URL (`did:…` with an optional `#fragment`).
    pub fn parse(text: &str) -> Result<Self, DidError> {
        check_length(text, "DID URL")?;
        let (base, fragment) = match text.split_once('#') {
            Some((base, fragment)) => (base, Some(fragment)),
            None => (text, None),
        };
        if base.contains(['/', '?']) {
            return Err(DidError::InvalidDidUrl {
                reason: "paths and queries in DID URLs are not supported",
            });
        }
        let did = Did::parse(base)?;
        if let Some(fragment) = fragment {
            check_fragment(fragment)?;
        }
        Ok(Self {
            text: text.to_owned(),
            did,
            fragment_start: fragment.map(|_| base.len() + 1),
        })
    }

    /// The DID URL `did#fragment`.
    pub fn with_fragment(did: &Did, fragment: &str) -> Result<Self, DidError> {
        Self::parse(&format!("{did}#{fragment}"))
    }

    /// `did#fragment` for a fragment this crate has just encoded itself; checked in debug builds.
    pub(crate) fn new_unchecked(did: &Did, fragment: &str) -> Self {
        debug_assert!(
            check_fragment(fragment).is_ok(),
            "invalid fragment {fragment}"
        );
        Self {
            text: format!("{did}#{fragment}"),
            did: did.clone(),
            fragment_start: Some(did.as_str().len() + 1),
        }
    }

    /// The DID part.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// The fragment without its `#`, if there is one.
    pub fn fragment(&self) -> Option<&str> {
        self.fragment_start.map(|start| &self.text[start..])
    }

    /// The DID URL as a string.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for DidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidUrl({})", self.text)
    }
}

impl FromStr for DidUrl {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Did> for DidUrl {
    fn from(did: Did) -> Self {
        Self {
            text: did.text.clone(),
            did,
            fragment_start: None,
        }
    }
}

impl AsRef<str> for DidUrl {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl serde::Serialize for DidUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for DidUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn check_length(text: &str, what: &'static str) -> Result<(), DidError> {
    if text.len() > MAX_DID_LENGTH {
        return Err(DidError::TooLarge {
            what,
            limit: MAX_DID_LENGTH,
            actual: text.len(),
        });
    }
    Ok(())
}

/// `true` if `bytes[i..]` starts with `%` and two hex digits.
fn is_pct_encoded(bytes: &[u8], i: usize) -> bool {
    bytes.len() > i + 2
        && bytes[i] == b'%'
        && bytes[i + 1].is_ascii_hexdigit()
        && bytes[i + 2].is_ascii_hexdigit()
}

/// DID Core's `method-specific-id`: `idchar`s and `:`, not ending with `:`.
fn check_method_specific_id(id: &str) -> Result<(), DidError> {
    if id.is_empty() {
        return Err(DidError::InvalidDid {
            reason: "empty method-specific id",
        });
    }
    if id.ends_with(':') {
        return Err(DidError::InvalidDid {
            reason: "the method-specific id must not end with `:`",
        });
    }
    let bytes = id.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b':' => i += 1,
            b'%' if is_pct_encoded(bytes, i) => i += 3,
            b'%' => {
                return Err(DidError::InvalidDid {
                    reason: "`%` must be followed by two hexadecimal digits",
                })
            }
            _ => {
                return Err(DidError::InvalidDid {
                    reason: "character not allowed in a method-specific id",
                })
            }
        }
    }
    Ok(())
}

/// did:key identifier syntax: `z` followed by base58btc characters.
fn check_did_key_id(id: &str) -> Result<(), DidError> {
    let encoded = id.strip_prefix('z').ok_or(DidError::InvalidDid {
        reason: "a did:key identifier is a base58btc multibase value starting with `z`",
    })?;
    if encoded.is_empty() || !encoded.bytes().all(is_base58btc) {
        return Err(DidError::InvalidDid {
            reason: "a did:key identifier has only base58btc characters after `z`",
        });
    }
    Ok(())
}

/// The Bitcoin base58 alphabet: digits and letters without `0`, `O`, `I`, `l`.
pub(crate) fn is_base58btc(b: u8) -> bool {
    b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l')
}

/// did:jwk identifier syntax: `[A-Za-z0-9_-]+`.
fn check_did_jwk_id(id: &str) -> Result<(), DidError> {
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(DidError::InvalidDid {
            reason: "a did:jwk identifier is unpadded base64url",
        });
    }
    Ok(())
}

/// did:web identifier syntax: `host[%3Aport](:segment)*`.
fn check_did_web_id(id: &str) -> Result<(), DidError> {
    let mut segments = id.split(':');
    let authority = segments.next().unwrap_or_default();
    let (host, port) = match authority.find("%3A").or_else(|| authority.find("%3a")) {
        Some(at) => (&authority[..at], Some(&authority[at + 3..])),
        None => (authority, None),
    };
    let labels_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !labels_ok {
        return Err(DidError::InvalidDid {
            reason: "a did:web identifier starts with a host name",
        });
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !valid {
            return Err(DidError::InvalidDid {
                reason: "a did:web port is `%3A` followed by a number from 1 to 65535",
            });
        }
    }
    if segments.any(str::is_empty) {
        return Err(DidError::InvalidDid {
            reason: "did:web path segments must not be empty",
        });
    }
    Ok(())
}

/// RFC 3986 §3.5 `fragment = *( pchar / "/" / "?" )`, non-empty here.
fn check_fragment(fragment: &str) -> Result<(), DidError> {
    if fragment.is_empty() {
        return Err(DidError::InvalidDidUrl {
            reason: "empty fragment",
        });
    }
    let bytes = fragment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => i += 1,
            // unreserved, sub-delims, ":", "@", "/", "?"
            b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+'
            | b',' | b';' | b'=' | b':' | b'@' | b'/' | b'?' => i += 1,
            b'%' if is_pct_encoded(bytes, i) => i += 3,
            b'%' => {
                return Err(DidError::InvalidDidUrl {
                    reason: "`%` in a fragment must be followed by two hexadecimal digits",
                })
            }
            _ => {
                return Err(DidError::InvalidDidUrl {
                    reason: "character not allowed in a fragment",
                })
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

    fn invalid_did(text: &str) -> bool {
        matches!(Did::parse(text), Err(DidError::InvalidDid { .. }))
    }

    #[test]
    fn parses_the_three_methods_and_others() {
        let did = Did::parse(KEY).expect("did:key");
        assert_eq!(did.method(), "key");
        assert_eq!(
            did.method_specific_id(),
            "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        );
        assert_eq!(did.as_str(), KEY);
        assert_eq!(did.to_string(), KEY);
        assert_eq!(KEY.parse::<Did>().expect("FromStr"), did);

        let web = Did::parse("did:web:example.com%3A8443:issuers:gangnam-gu").expect("did:web");
        assert_eq!(web.method(), "web");
        assert_eq!(
            web.method_specific_id(),
            "example.com%3A8443:issuers:gangnam-gu"
        );
        assert!(Did::parse("did:web:w3c-ccg.github.io").is_ok());
        assert!(Did::parse("did:jwk:eyJrdHkiOiJPS1AifQ").is_ok());
        // Other methods parse (the resolver refuses them), empty inner segments included.
        let other = Did::parse("did:example:a::b%20c").expect("did:example");
        assert_eq!(other.method(), "example");
        assert!(Did::parse("did:ion2:abc").is_ok());
    }

    #[test]
    fn rejects_bad_scheme_and_method() {
        assert!(invalid_did(""));
        assert!(invalid_did("did:"));
        assert!(invalid_did("did:key"));
        assert!(invalid_did("DID:key:z6Mk"));
        assert!(invalid_did("did:KEY:z6Mk"));
        assert!(invalid_did("did:Key:z6Mk"));
        assert!(invalid_did("did::abc"));
        assert!(invalid_did("did:ex-ample:abc"));
        assert!(invalid_did("urn:key:z6Mk"));
    }

    #[test]
    fn rejects_bad_method_specific_ids() {
        assert!(invalid_did("did:example:"));
        assert!(invalid_did("did:example:abc:"));
        assert!(invalid_did("did:example:a b"));
        assert!(invalid_did("did:example:한국"));
        assert!(invalid_did("did:example:abc#frag"));
        assert!(invalid_did("did:example:abc/path"));
        assert!(invalid_did("did:example:abc?q=1"));
        // Percent-encoding: exactly two hex digits.
        assert!(Did::parse("did:example:a%2Fb").is_ok());
        assert!(Did::parse("did:example:a%2fb").is_ok());
        assert!(invalid_did("did:example:a%2"));
        assert!(invalid_did("did:example:a%"));
        assert!(invalid_did("did:example:a%G1"));
        assert!(invalid_did("did:example:a%%41"));
    }

    #[test]
    fn checks_method_specific_syntax() {
        assert!(invalid_did(
            "did:key:6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        ));
        assert!(invalid_did("did:key:z"));
        assert!(invalid_did("did:key:z6Mk0OIl"));
        assert!(invalid_did(
            "did:key:1:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        ));
        assert!(invalid_did("did:key:mO2Mk"));
        assert!(invalid_did("did:jwk:eyJ.rdHk"));
        assert!(invalid_did("did:jwk:eyJrdHk%3D"));
        assert!(invalid_did("did:web:%3A8080"));
        assert!(invalid_did("did:web:example.com%3A"));
        assert!(invalid_did("did:web:example.com%3A0"));
        assert!(invalid_did("did:web:example.com%3A65536"));
        assert!(invalid_did("did:web:example.com%3Ahttp"));
        assert!(invalid_did("did:web:example..com"));
        assert!(invalid_did("did:web:-example.com"));
        assert!(invalid_did("did:web:example.com%2Fpath"));
        assert!(invalid_did("did:web:example.com::user"));
        assert!(Did::parse("did:web:localhost%3a3000:user:alice").is_ok());
    }

    #[test]
    fn budget_is_enforced() {
        let long = format!("did:example:{}", "a".repeat(MAX_DID_LENGTH));
        assert!(matches!(
            Did::parse(&long),
            Err(DidError::TooLarge {
                limit: MAX_DID_LENGTH,
                ..
            })
        ));
        assert!(matches!(
            DidUrl::parse(&format!("{long}#0")),
            Err(DidError::TooLarge { .. })
        ));
        let fits = format!("did:example:{}", "a".repeat(MAX_DID_LENGTH - 12));
        assert_eq!(fits.len(), MAX_DID_LENGTH);
        assert!(Did::parse(&fits).is_ok());
    }

    #[test]
    fn did_url_fragments() {
        let url = DidUrl::parse(&format!(
            "{KEY}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        ))
        .expect("kid");
        assert_eq!(url.did().as_str(), KEY);
        assert_eq!(
            url.fragment(),
            Some("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        );
        assert_eq!(url.to_string(), url.as_str());

        let bare = DidUrl::parse(KEY).expect("no fragment");
        assert_eq!(bare.fragment(), None);
        assert_eq!(bare, DidUrl::from(Did::parse(KEY).expect("did")));

        let url = DidUrl::parse("did:web:example.com#key-1%20a:b@c/d?e").expect("rich fragment");
        assert_eq!(url.fragment(), Some("key-1%20a:b@c/d?e"));
        let built = DidUrl::with_fragment(url.did(), "0").expect("with_fragment");
        assert_eq!(built.as_str(), "did:web:example.com#0");
    }

    #[test]
    fn did_url_rejections() {
        let bad_url =
            |text: &str| matches!(DidUrl::parse(text), Err(DidError::InvalidDidUrl { .. }));
        assert!(bad_url(&format!("{KEY}#")));
        assert!(bad_url(&format!("{KEY}#a#b")));
        assert!(bad_url(&format!("{KEY}#a b")));
        assert!(bad_url(&format!("{KEY}#%zz")));
        assert!(bad_url(&format!("{KEY}#%4")));
        assert!(bad_url(&format!("{KEY}/path#0")));
        assert!(bad_url(&format!("{KEY}?service=x#0")));
        assert!(bad_url("did:web:example.com/a"));
        // An invalid DID part is reported as such.
        assert!(matches!(
            DidUrl::parse("did:KEY:z6Mk#0"),
            Err(DidError::InvalidDid { .. })
        ));
        assert!(matches!(
            DidUrl::parse("#0"),
            Err(DidError::InvalidDid { .. })
        ));
    }

    #[test]
    fn serde_round_trip() {
        let url = DidUrl::parse("did:web:example.com#k1").expect("url");
        let json = serde_json::to_value(&url).expect("serialize");
        assert_eq!(json, serde_json::json!("did:web:example.com#k1"));
        let back: DidUrl = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, url);
        assert!(serde_json::from_value::<Did>(serde_json::json!("did:Web:x")).is_err());
    }
}
