//! DID documents (DID Core §5): built for did:key and did:jwk, parsed for pinned did:web.
//!
//! Only what verification needs is modelled: the verification methods, the five verification
//! relationships and the key material. Other top-level members (`controller`, `alsoKnownAs`,
//! `service`, …) are kept as received and written back by [`DidDocument::to_json`], but never
//! interpreted; members of a verification method other than `id`, `type`, `controller` and its key
//! are dropped.
//!
//! Key material (DID Core §5.2.1, Controlled Identifiers §2.2):
//! - `Multikey` with `publicKeyMultibase` (`z` + base58btc of a multicodec key: Ed25519 `z6Mk…`,
//!   X25519 `z6LS…`, others stored but unusable);
//! - `JsonWebKey2020` / `JsonWebKey` with a public `publicKeyJwk`.
//!
//! A signing key comes only out of [`DidDocument::assertion_key`]: it must be listed in
//! `assertionMethod` **and** be an Ed25519 key. An X25519 key (key agreement) fails the second
//! test even when a document lists it under `assertionMethod`.

use serde_json::{Map, Value};

use crate::did_jwk::{check_public_jwk, ed25519_signing_key, KEY_FRAGMENT};
use crate::did_key::{self, decode_multikey};
use crate::{Did, DidError, DidMethod, DidUrl, PublicJwk};

/// Budget: at most this many verification methods in a document, and this many entries in each
/// verification relationship. A pinned did:web issuer document lists its current key and the keys
/// it rotated out (one or two a year); 64 leaves decades of rotation and bounds every lookup here,
/// which is linear.
pub const MAX_VERIFICATION_METHODS: usize = 64;

/// The `@context` of did:key documents (did:key v0.9: the DID v1.1 context defines `Multikey`).
const DID_KEY_CONTEXT: &str = "https://www.w3.org/ns/did/v1.1";
/// The `@context` of did:jwk documents, as the did:jwk spec gives it.
const DID_JWK_CONTEXT: [&str; 2] = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/suites/jws-2020/v1",
];

/// Members that put private key material into a verification method.
const PRIVATE_VM_MEMBERS: &[&str] = &[
    "privateKeyJwk",
    "secretKeyJwk",
    "privateKeyMultibase",
    "secretKeyMultibase",
    "privateKeyBase58",
    "privateKeyHex",
];

/// A verification relationship (DID Core §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// `authentication`: proving control of the DID.
    Authentication,
    /// `assertionMethod`: signing credentials and other assertions. The only one Dojang verifies
    /// credential signatures with.
    AssertionMethod,
    /// `keyAgreement`: encryption key agreement (X25519). Never a signing key.
    KeyAgreement,
    /// `capabilityInvocation`.
    CapabilityInvocation,
    /// `capabilityDelegation`.
    CapabilityDelegation,
}

impl Relationship {
    /// All five, in the order DID Core lists them.
    pub const ALL: [Relationship; 5] = [
        Relationship::Authentication,
        Relationship::AssertionMethod,
        Relationship::KeyAgreement,
        Relationship::CapabilityInvocation,
        Relationship::CapabilityDelegation,
    ];

    /// The JSON member name (`assertionMethod`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Authentication => "authentication",
            Relationship::AssertionMethod => "assertionMethod",
            Relationship::KeyAgreement => "keyAgreement",
            Relationship::CapabilityInvocation => "capabilityInvocation",
            Relationship::CapabilityDelegation => "capabilityDelegation",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyMaterial {
    Multibase(String),
    Jwk(Map<String, Value>),
}

/// One public key of a DID document, with its id (`did#fragment`), type and controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    id: DidUrl,
    method_type: String,
    controller: Did,
    material: KeyMaterial,
}

impl VerificationMethod {
    fn multikey(did: &Did, multibase: String) -> Self {
        Self {
            id: DidUrl::new_unchecked(did, &multibase),
            method_type: "Multikey".to_owned(),
            controller: did.clone(),
            material: KeyMaterial::Multibase(multibase),
        }
    }

    /// The DID URL naming this method (always with a fragment).
    pub fn id(&self) -> &DidUrl {
        &self.id
    }

    /// The fragment of [`Self::id`].
    pub fn fragment(&self) -> &str {
        self.id.fragment().unwrap_or_default()
    }

    /// The `type` (`Multikey`, `JsonWebKey2020`, `JsonWebKey`).
    pub fn method_type(&self) -> &str {
        &self.method_type
    }

    /// The `controller`.
    pub fn controller(&self) -> &Did {
        &self.controller
    }

    /// The `publicKeyMultibase`, for a `Multikey`.
    pub fn public_key_multibase(&self) -> Option<&str> {
        match &self.material {
            KeyMaterial::Multibase(multibase) => Some(multibase),
            KeyMaterial::Jwk(_) => None,
        }
    }

    /// The `publicKeyJwk`, for a `JsonWebKey2020` / `JsonWebKey`.
    pub fn public_key_jwk(&self) -> Option<&Map<String, Value>> {
        match &self.material {
            KeyMaterial::Jwk(jwk) => Some(jwk),
            KeyMaterial::Multibase(_) => None,
        }
    }

    /// The Ed25519 key of this method, if it is an Ed25519 key meant for signing
    /// ([`DidError::UnsupportedPublicKeyType`] for X25519, P-256 and every other key type).
    ///
    /// This does not look at verification relationships: use [`DidDocument::assertion_key`] to
    /// get a key that may verify a credential.
    pub fn ed25519_key(&self) -> Result<PublicJwk, DidError> {
        match &self.material {
            KeyMaterial::Multibase(multibase) => {
                did_key::decode_multibase(multibase).map(PublicJwk::new)
            }
            KeyMaterial::Jwk(jwk) => ed25519_signing_key(jwk, self.id.as_str()),
        }
    }

    /// The method as DID Core JSON.
    pub fn to_json(&self) -> Value {
        let mut json = Map::new();
        json.insert("id".into(), self.id.as_str().into());
        json.insert("type".into(), self.method_type.clone().into());
        json.insert("controller".into(), self.controller.as_str().into());
        match &self.material {
            KeyMaterial::Multibase(multibase) => {
                json.insert("publicKeyMultibase".into(), multibase.clone().into())
            }
            KeyMaterial::Jwk(jwk) => json.insert("publicKeyJwk".into(), jwk.clone().into()),
        };
        Value::Object(json)
    }

    /// Parses a verification method of the document `doc_id`. A relative id (`#key-1`) is taken
    /// relative to the document; an absolute one must belong to the document's DID.
    fn from_json(json: &Value, doc_id: &Did) -> Result<Self, DidError> {
        let obj = json.as_object().ok_or(DidError::InvalidDocument {
            reason: "a verification method must be a JSON object",
        })?;
        if let Some(member) = PRIVATE_VM_MEMBERS.iter().find(|m| obj.contains_key(**m)) {
            return Err(DidError::PrivateMemberInPublicJwk {
                member: (*member).to_owned(),
            });
        }
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .ok_or(DidError::InvalidDocument {
                reason: "a verification method needs a string `id`",
            })?;
        let id = own_did_url(id, doc_id)?;
        let method_type =
            obj.get("type")
                .and_then(Value::as_str)
                .ok_or(DidError::InvalidDocument {
                    reason: "a verification method needs a string `type`",
                })?;
        let controller =
            obj.get("controller")
                .and_then(Value::as_str)
                .ok_or(DidError::InvalidDocument {
                    reason: "a verification method needs a string `controller`",
                })?;
        let controller = Did::parse(controller)?;
        let multibase = obj.get("publicKeyMultibase");
        let jwk = obj.get("publicKeyJwk");
        let material = match (method_type, multibase, jwk) {
            ("Multikey", Some(Value::String(multibase)), None) => {
                decode_multikey(multibase)?;
                KeyMaterial::Multibase(multibase.clone())
            }
            ("JsonWebKey2020" | "JsonWebKey", None, Some(Value::Object(jwk))) => {
                // Also checks that an Ed25519 key is a valid point.
                check_public_jwk(jwk)?;
                KeyMaterial::Jwk(jwk.clone())
            }
            ("Multikey" | "JsonWebKey2020" | "JsonWebKey", _, _) => {
                return Err(DidError::InvalidDocument {
                    reason: "a Multikey needs a string publicKeyMultibase, a JsonWebKey an object \
                             publicKeyJwk, and nothing else",
                })
            }
            (other, _, _) => {
                return Err(DidError::UnsupportedPublicKeyType {
                    key_type: format!("verification method type {other}"),
                })
            }
        };
        Ok(Self {
            id,
            method_type: method_type.to_owned(),
            controller,
            material,
        })
    }
}

/// A relationship entry: a reference to a method or a method embedded in the relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Reference(DidUrl),
    Embedded(VerificationMethod),
}

impl Entry {
    fn id(&self) -> &DidUrl {
        match self {
            Entry::Reference(id) => id,
            Entry::Embedded(method) => &method.id,
        }
    }
}

/// A DID document.
///
/// Built by [`DidDocument::from_did`] / [`DidDocument::for_key`] for did:key and did:jwk, parsed by
/// [`DidDocument::from_json`] for pinned did:web documents. Every relationship entry refers to a
/// method of this same document (checked when parsing), so resolution never needs another
/// document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidDocument {
    context: Option<Value>,
    id: Did,
    verification_methods: Vec<VerificationMethod>,
    /// In document order; each relationship at most once.
    relationships: Vec<(Relationship, Vec<Entry>)>,
    /// Top-level members not interpreted here, kept as received.
    other: Map<String, Value>,
}

impl DidDocument {
    /// The document of a did:key or did:jwk DID, derived from the identifier alone.
    ///
    /// - did:key (Ed25519 only): one `Multikey` method `did#z6Mk…` in `authentication`,
    ///   `assertionMethod`, `capabilityDelegation` and `capabilityInvocation`; with
    ///   `derive_key_agreement`, also the X25519 `Multikey` `did#z6LS…` embedded in `keyAgreement`
    ///   (did:key v0.9 "Ed25519 with X25519").
    /// - did:jwk (any public JWK): one `JsonWebKey2020` method `did#0`; its relationships follow
    ///   the JWK's `use`: `"sig"` all but `keyAgreement`, `"enc"` only `keyAgreement`, absent all
    ///   five. `derive_key_agreement` is ignored.
    ///
    /// Other methods: [`DidError::UnsupportedMethod`].
    pub fn from_did(did: &Did, derive_key_agreement: bool) -> Result<Self, DidError> {
        match did.method() {
            "key" => {
                let key = did_key::decode_did(did)?;
                Ok(Self::did_key(
                    did,
                    &PublicJwk::new(key),
                    derive_key_agreement,
                ))
            }
            "jwk" => {
                let jwk = crate::did_jwk::decode_did(did)?;
                Ok(Self::did_jwk(did, jwk))
            }
            method => Err(DidError::UnsupportedMethod {
                method: method.to_owned(),
            }),
        }
    }

    /// The document of the DID that [`crate::did_for_key`] gives this key (did:key without key
    /// agreement derivation).
    pub fn for_key(key: &PublicJwk, method: DidMethod) -> Self {
        match method {
            DidMethod::Key => {
                let did = Did::new_unchecked(did_key::encode(key.verifying_key()));
                Self::did_key(&did, key, false)
            }
            DidMethod::Jwk => {
                let did = Did::new_unchecked(crate::did_jwk::encode(key));
                Self::did_jwk(&did, crate::did_jwk::ed25519_members(key))
            }
        }
    }

    fn did_key(did: &Did, key: &PublicJwk, derive_key_agreement: bool) -> Self {
        let signing =
            VerificationMethod::multikey(did, did_key::multibase_ed25519(key.verifying_key()));
        let reference = || vec![Entry::Reference(signing.id.clone())];
        let mut relationships = vec![
            (Relationship::Authentication, reference()),
            (Relationship::AssertionMethod, reference()),
            (Relationship::CapabilityDelegation, reference()),
            (Relationship::CapabilityInvocation, reference()),
        ];
        if derive_key_agreement {
            let agreement = VerificationMethod::multikey(
                did,
                did_key::multibase_x25519_from_ed25519(key.verifying_key()),
            );
            relationships.push((Relationship::KeyAgreement, vec![Entry::Embedded(agreement)]));
        }
        Self {
            context: Some(serde_json::json!([DID_KEY_CONTEXT])),
            id: did.clone(),
            verification_methods: vec![signing],
            relationships,
            other: Map::new(),
        }
    }

    fn did_jwk(did: &Did, jwk: Map<String, Value>) -> Self {
        let relationships: &[Relationship] = match jwk.get("use").and_then(Value::as_str) {
            Some("sig") => &[
                Relationship::AssertionMethod,
                Relationship::Authentication,
                Relationship::CapabilityInvocation,
                Relationship::CapabilityDelegation,
            ],
            Some("enc") => &[Relationship::KeyAgreement],
            _ => &[
                Relationship::AssertionMethod,
                Relationship::Authentication,
                Relationship::CapabilityInvocation,
                Relationship::CapabilityDelegation,
                Relationship::KeyAgreement,
            ],
        };
        let method = VerificationMethod {
            id: DidUrl::new_unchecked(did, KEY_FRAGMENT),
            method_type: "JsonWebKey2020".to_owned(),
            controller: did.clone(),
            material: KeyMaterial::Jwk(jwk),
        };
        Self {
            context: Some(serde_json::json!(DID_JWK_CONTEXT)),
            id: did.clone(),
            relationships: relationships
                .iter()
                .map(|r| (*r, vec![Entry::Reference(method.id.clone())]))
                .collect(),
            verification_methods: vec![method],
            other: Map::new(),
        }
    }

    /// Parses a DID document (a pinned did:web document, typically).
    ///
    /// Checks: `id` is a DID; at most [`MAX_VERIFICATION_METHODS`] methods, each with `id`,
    /// `type`, `controller` and exactly the key member its type needs (Ed25519 keys must be valid
    /// points), no private key member; method ids unique and of the form `<id>#<fragment>`
    /// (relative `#fragment` accepted); relationship entries are references (absolute or
    /// relative) to methods of this document or embedded methods, without repeats.
    pub fn from_json(json: &Value) -> Result<Self, DidError> {
        let obj = json.as_object().ok_or(DidError::InvalidDocument {
            reason: "a DID document must be a JSON object",
        })?;
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .ok_or(DidError::InvalidDocument {
                reason: "a DID document needs a string `id`",
            })?;
        let id = Did::parse(id)?;

        let mut verification_methods = Vec::new();
        if let Some(methods) = obj.get("verificationMethod") {
            let methods = methods.as_array().ok_or(DidError::InvalidDocument {
                reason: "`verificationMethod` must be an array",
            })?;
            check_budget(methods.len())?;
            for method in methods {
                verification_methods.push(VerificationMethod::from_json(method, &id)?);
            }
        }

        let mut relationships = Vec::new();
        let mut other = Map::new();
        for (name, value) in obj {
            if let Some(relationship) = Relationship::ALL.iter().find(|r| r.as_str() == name) {
                let items = value.as_array().ok_or(DidError::InvalidDocument {
                    reason: "a verification relationship must be an array",
                })?;
                check_budget(items.len())?;
                let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
                for item in items {
                    let entry = match item {
                        Value::String(reference) => Entry::Reference(own_did_url(reference, &id)?),
                        Value::Object(_) => {
                            Entry::Embedded(VerificationMethod::from_json(item, &id)?)
                        }
                        _ => {
                            return Err(DidError::InvalidDocument {
                                reason: "a relationship entry is a string or an object",
                            })
                        }
                    };
                    if entries.iter().any(|e| e.id() == entry.id()) {
                        return Err(DidError::InvalidDocument {
                            reason: "a verification relationship lists a method twice",
                        });
                    }
                    entries.push(entry);
                }
                relationships.push((*relationship, entries));
            } else if !matches!(name.as_str(), "@context" | "id" | "verificationMethod") {
                other.insert(name.clone(), value.clone());
            }
        }

        let doc = Self {
            context: obj.get("@context").cloned(),
            id,
            verification_methods,
            relationships,
            other,
        };
        let mut defined: Vec<&DidUrl> = Vec::new();
        for method in doc.all_methods() {
            if defined.contains(&&method.id) {
                return Err(DidError::InvalidDocument {
                    reason: "two verification methods have the same id",
                });
            }
            defined.push(&method.id);
        }
        check_budget(defined.len())?;
        let dangling = doc
            .relationships
            .iter()
            .flat_map(|(_, e)| e)
            .any(|entry| matches!(entry, Entry::Reference(id) if !defined.contains(&id)));
        if dangling {
            return Err(DidError::InvalidDocument {
                reason: "a verification relationship refers to a method the document lacks",
            });
        }
        Ok(doc)
    }

    /// The document as DID Core JSON (members: `@context`, `id`, `verificationMethod`, the
    /// relationships in their order, then any other members kept from parsing).
    pub fn to_json(&self) -> Value {
        let mut json = Map::new();
        if let Some(context) = &self.context {
            json.insert("@context".into(), context.clone());
        }
        json.insert("id".into(), self.id.as_str().into());
        json.insert(
            "verificationMethod".into(),
            self.verification_methods
                .iter()
                .map(VerificationMethod::to_json)
                .collect(),
        );
        for (relationship, entries) in &self.relationships {
            let entries = entries
                .iter()
                .map(|entry| match entry {
                    Entry::Reference(id) => Value::from(id.as_str()),
                    Entry::Embedded(method) => method.to_json(),
                })
                .collect();
            json.insert(relationship.as_str().into(), entries);
        }
        for (name, value) in &self.other {
            json.insert(name.clone(), value.clone());
        }
        Value::Object(json)
    }

    /// The DID this document describes.
    pub fn id(&self) -> &Did {
        &self.id
    }

    /// The methods of the `verificationMethod` member (methods embedded in a relationship, such
    /// as the did:key X25519 key, are not included; see [`Self::methods_for`]).
    pub fn verification_methods(&self) -> &[VerificationMethod] {
        &self.verification_methods
    }

    /// The method `<id>#<fragment>`, wherever the document defines it.
    pub fn verification_method(&self, fragment: &str) -> Option<&VerificationMethod> {
        self.all_methods()
            .find(|method| method.id.fragment() == Some(fragment))
    }

    /// The methods in one verification relationship, references resolved.
    pub fn methods_for(&self, relationship: Relationship) -> Vec<&VerificationMethod> {
        self.relationships
            .iter()
            .filter(|(r, _)| *r == relationship)
            .flat_map(|(_, entries)| entries)
            .filter_map(|entry| match entry {
                Entry::Embedded(method) => Some(method),
                Entry::Reference(id) => self.all_methods().find(|m| &m.id == id),
            })
            .collect()
    }

    /// The Ed25519 key of a method in `assertionMethod`, the only keys that may verify a
    /// credential signature.
    ///
    /// With a fragment, that method: [`DidError::VerificationMethodNotFound`] if the document has
    /// none, [`DidError::NotAnAssertionKey`] if it is not in `assertionMethod`. Without one, the
    /// only assertion method ([`DidError::AmbiguousVerificationMethod`] if there are several,
    /// [`DidError::NotAnAssertionKey`] if none). In both cases a key that is not Ed25519 (X25519,
    /// P-256, …) is [`DidError::UnsupportedPublicKeyType`].
    pub fn assertion_key(&self, fragment: Option<&str>) -> Result<PublicJwk, DidError> {
        let assertion = self.methods_for(Relationship::AssertionMethod);
        match fragment {
            Some(fragment) => match assertion.iter().find(|m| m.id.fragment() == Some(fragment)) {
                Some(method) => method.ed25519_key(),
                None => {
                    let id = format!("{}#{fragment}", self.id);
                    Err(if self.verification_method(fragment).is_some() {
                        DidError::NotAnAssertionKey { id }
                    } else {
                        DidError::VerificationMethodNotFound { id }
                    })
                }
            },
            None => match assertion.as_slice() {
                [method] => method.ed25519_key(),
                [] => Err(DidError::NotAnAssertionKey {
                    id: self.id.to_string(),
                }),
                many => Err(DidError::AmbiguousVerificationMethod {
                    did: self.id.to_string(),
                    count: many.len(),
                }),
            },
        }
    }

    /// Methods in `verificationMethod`, then those embedded in relationships.
    fn all_methods(&self) -> impl Iterator<Item = &VerificationMethod> {
        self.verification_methods.iter().chain(
            self.relationships
                .iter()
                .flat_map(|(_, entries)| entries)
                .filter_map(|entry| match entry {
                    Entry::Embedded(method) => Some(method),
                    Entry::Reference(_) => None,
                }),
        )
    }
}

impl serde::Serialize for DidDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for DidDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Value::deserialize(deserializer)?;
        Self::from_json(&json).map_err(serde::de::Error::custom)
    }
}

fn check_budget(count: usize) -> Result<(), DidError> {
    if count > MAX_VERIFICATION_METHODS {
        return Err(DidError::TooLarge {
            what: "verification methods",
            limit: MAX_VERIFICATION_METHODS,
            actual: count,
        });
    }
    Ok(())
}

/// A method id or reference of the document `doc_id`: `#fragment` or `<doc_id>#fragment`.
fn own_did_url(text: &str, doc_id: &Did) -> Result<DidUrl, DidError> {
    let url = if text.starts_with('#') {
        DidUrl::parse(&format!("{doc_id}{text}"))?
    } else {
        DidUrl::parse(text)?
    };
    if url.did() != doc_id || url.fragment().is_none() {
        return Err(DidError::InvalidDocument {
            reason: "verification method ids must be `<document id>#<fragment>`",
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PrivateJwk;
    use ed25519_dalek::SigningKey;
    use serde_json::json;

    fn key(seed: u8) -> PublicJwk {
        PrivateJwk::new(SigningKey::from_bytes(&[seed; 32])).public()
    }

    fn web_doc(methods: Value, assertion: Value) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/did/v1.1"],
            "id": "did:web:gangnam.go.kr",
            "verificationMethod": methods,
            "assertionMethod": assertion,
            "service": [{"id": "#log", "type": "IssuanceLog", "serviceEndpoint": "https://x"}],
        })
    }

    fn multikey(fragment: &str, key: &PublicJwk) -> Value {
        json!({
            "id": format!("did:web:gangnam.go.kr#{fragment}"),
            "type": "Multikey",
            "controller": "did:web:gangnam.go.kr",
            "publicKeyMultibase": did_key::multibase_ed25519(key.verifying_key()),
        })
    }

    #[test]
    fn did_key_document_shape() {
        let k = key(1);
        let doc = DidDocument::for_key(&k, DidMethod::Key);
        let mb = did_key::multibase_ed25519(k.verifying_key());
        assert_eq!(doc.id().as_str(), format!("did:key:{mb}"));
        assert_eq!(doc.verification_methods().len(), 1);
        assert_eq!(doc.verification_methods()[0].fragment(), mb);
        assert_eq!(
            decode_multikey(&mb).map(|(code, _)| code),
            Ok(did_key::ED25519_PUB)
        );
        assert_eq!(doc.assertion_key(None), Ok(k));
        assert_eq!(doc.assertion_key(Some(&mb)), Ok(k));
        assert!(doc.methods_for(Relationship::KeyAgreement).is_empty());
        // Round trip through JSON.
        assert_eq!(DidDocument::from_json(&doc.to_json()), Ok(doc));
    }

    #[test]
    fn x25519_is_never_an_assertion_key() {
        let k = key(2);
        let did = Did::parse(&did_key::encode(k.verifying_key())).expect("did");
        let doc = DidDocument::from_did(&did, true).expect("doc");
        let agreement = doc.methods_for(Relationship::KeyAgreement);
        assert_eq!(agreement.len(), 1);
        let x = agreement[0].fragment().to_owned();
        assert!(x.starts_with("z6LS"));
        assert!(matches!(
            doc.assertion_key(Some(&x)),
            Err(DidError::NotAnAssertionKey { .. })
        ));
        assert!(matches!(
            agreement[0].ed25519_key(),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
        // Even a document that lists the X25519 key under assertionMethod does not make it one.
        let mut json = doc.to_json();
        json["assertionMethod"] = json!([format!("{did}#{x}")]);
        let forged = DidDocument::from_json(&json).expect("parses");
        assert!(matches!(
            forged.assertion_key(Some(&x)),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
        assert!(matches!(
            doc.assertion_key(Some("nope")),
            Err(DidError::VerificationMethodNotFound { .. })
        ));
    }

    #[test]
    fn did_jwk_document_uses_sig() {
        let k = key(3);
        let doc = DidDocument::for_key(&k, DidMethod::Jwk);
        let json = doc.to_json();
        assert!(json.get("keyAgreement").is_none());
        assert_eq!(json["assertionMethod"], json!([format!("{}#0", doc.id())]));
        assert_eq!(
            DidDocument::from_did(doc.id(), false).expect("from_did"),
            doc
        );
        assert_eq!(doc.assertion_key(Some("0")), Ok(k));
        assert!(matches!(
            DidDocument::from_did(&Did::parse("did:web:example.com").expect("did"), false),
            Err(DidError::UnsupportedMethod { .. })
        ));
    }

    #[test]
    fn parses_pinned_web_documents() {
        let (k1, k2) = (key(4), key(5));
        let jwk = json!({
            "id": "#k2", "type": "JsonWebKey2020", "controller": "did:web:gangnam.go.kr",
            "publicKeyJwk": k2.to_json(),
        });
        let doc = DidDocument::from_json(&web_doc(
            json!([multikey("k1", &k1), jwk]),
            json!(["#k1", "did:web:gangnam.go.kr#k2"]),
        ))
        .expect("valid");
        assert_eq!(doc.assertion_key(Some("k1")), Ok(k1));
        assert_eq!(doc.assertion_key(Some("k2")), Ok(k2));
        assert_eq!(
            doc.assertion_key(None),
            Err(DidError::AmbiguousVerificationMethod {
                did: "did:web:gangnam.go.kr".into(),
                count: 2
            })
        );
        assert_eq!(
            doc.verification_method("k2").map(|m| m.id().as_str()),
            Some("did:web:gangnam.go.kr#k2")
        );
        // Unknown members are kept.
        assert_eq!(doc.to_json()["service"][0]["type"], "IssuanceLog");
        assert_eq!(DidDocument::from_json(&doc.to_json()), Ok(doc.clone()));
        let via_serde: DidDocument = serde_json::from_value(doc.to_json()).expect("serde");
        assert_eq!(via_serde, doc);
    }

    #[test]
    fn rejects_malformed_documents() {
        let k = key(6);
        let invalid = |json: Value| DidDocument::from_json(&json).expect_err("must fail");
        assert!(matches!(
            invalid(json!({"verificationMethod": []})),
            DidError::InvalidDocument { .. }
        ));
        assert!(matches!(
            invalid(json!({"id": "did:Web:x"})),
            DidError::InvalidDid { .. }
        ));
        // A method of another DID.
        let mut foreign = multikey("k1", &k);
        foreign["id"] = json!("did:web:evil.example#k1");
        assert!(matches!(
            invalid(web_doc(json!([foreign]), json!([]))),
            DidError::InvalidDocument { .. }
        ));
        // Duplicate ids, dangling and repeated references.
        assert!(matches!(
            invalid(web_doc(
                json!([multikey("k1", &k), multikey("k1", &k)]),
                json!([])
            )),
            DidError::InvalidDocument { .. }
        ));
        assert!(matches!(
            invalid(web_doc(json!([multikey("k1", &k)]), json!(["#k2"]))),
            DidError::InvalidDocument { .. }
        ));
        assert!(matches!(
            invalid(web_doc(json!([multikey("k1", &k)]), json!(["#k1", "#k1"]))),
            DidError::InvalidDocument { .. }
        ));
        // Key material.
        let mut private = multikey("k1", &k);
        private["secretKeyMultibase"] = json!("z3u2");
        assert!(matches!(
            invalid(web_doc(json!([private]), json!([]))),
            DidError::PrivateMemberInPublicJwk { .. }
        ));
        let private_jwk = json!({
            "id": "#k1", "type": "JsonWebKey2020", "controller": "did:web:gangnam.go.kr",
            "publicKeyJwk": PrivateJwk::generate().to_json(),
        });
        assert!(matches!(
            invalid(web_doc(json!([private_jwk]), json!([]))),
            DidError::PrivateMemberInPublicJwk { .. }
        ));
        let mut base58 = multikey("k1", &k);
        base58["type"] = json!("Ed25519VerificationKey2018");
        assert!(matches!(
            invalid(web_doc(json!([base58]), json!([]))),
            DidError::UnsupportedPublicKeyType { .. }
        ));
        let mut both = multikey("k1", &k);
        both["publicKeyJwk"] = k.to_json();
        assert!(matches!(
            invalid(web_doc(json!([both]), json!([]))),
            DidError::InvalidDocument { .. }
        ));
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut weak = multikey("k1", &k);
        weak["publicKeyMultibase"] = json!(format!(
            "z{}",
            bs58::encode([&[0xed, 0x01][..], &identity].concat()).into_string()
        ));
        assert!(matches!(
            invalid(web_doc(json!([weak]), json!([]))),
            DidError::InvalidPublicKey { .. }
        ));
    }

    #[test]
    fn budget_is_enforced() {
        let methods: Vec<Value> = (0..=MAX_VERIFICATION_METHODS)
            .map(|i| multikey(&format!("k{i}"), &key(7)))
            .collect();
        assert_eq!(
            DidDocument::from_json(&web_doc(json!(methods), json!([]))),
            Err(DidError::TooLarge {
                what: "verification methods",
                limit: MAX_VERIFICATION_METHODS,
                actual: MAX_VERIFICATION_METHODS + 1
            })
        );
        let fits = &methods[..MAX_VERIFICATION_METHODS];
        assert!(DidDocument::from_json(&web_doc(json!(fits), json!([]))).is_ok());
    }
}
