//! Published vectors for did:key, did:jwk and Ed25519 JWKs, read from `tests/vectors/` (see each
//! folder's SOURCE.md).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::{
    did_for_key, did_jwk, did_key, Did, DidDocument, DidError, DidMethod, DidUrl, OfflineResolver,
    PrivateJwk, PublicJwk, Relationship, Resolver, PRIVATE_JWK_MEMBERS,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{json, Value};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{VECTORS}{path}"))
        .unwrap_or_else(|e| panic!("cannot read vector {path}: {e}"))
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

fn hex32(text: &str) -> [u8; 32] {
    assert_eq!(text.len(), 64, "seed {text}");
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex seed");
    }
    out
}

fn str_at<'a>(json: &'a Value, pointer: &str) -> &'a str {
    json.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer}"))
}

fn fragment_of(url: &str) -> &str {
    url.split_once('#').expect("a fragment").1
}

fn derived_resolver() -> OfflineResolver {
    OfflineResolver::new().with_key_agreement_derivation(true)
}

// ---------------------------------------------------------------------------------------------
// did-method-key/test-vectors

#[test]
fn did_method_key_ed25519_from_seed() {
    let vectors = read_json("did-method-key/test-vectors/ed25519-x25519.json");
    let vectors = vectors.as_object().expect("object of cases");
    assert_eq!(vectors.len(), 5, "the file has 5 Ed25519 cases");
    for (did, case) in vectors {
        let signing = SigningKey::from_bytes(&hex32(str_at(case, "/seed")));
        let key = signing.verifying_key();

        // seed → did:key, and back.
        assert_eq!(&did_key::encode(&key), did, "encode {did}");
        assert_eq!(did_key::decode(did), Ok(key), "decode {did}");
        let public = PublicJwk::new(key);
        let (own_did, kid) = did_for_key(&public, DidMethod::Key);
        assert_eq!(&own_did, did);
        assert_eq!(kid, str_at(case, "/didDocument/assertionMethod/0"));

        // The verification key as the vector gives it.
        let vkp = &case["verificationKeyPair"];
        if let Some(b58) = vkp.get("publicKeyBase58").and_then(Value::as_str) {
            assert_eq!(bs58::encode(key.as_bytes()).into_string(), b58);
        } else {
            assert_eq!(vkp["publicKeyJwk"], public.to_json(), "{did}");
            let private = PrivateJwk::from_json(&vkp["privateKeyJwk"]).expect("private JWK");
            assert_eq!(private.public(), public);
            assert_eq!(private.signing_key().to_bytes(), signing.to_bytes());
        }
        assert_eq!(fragment_of(str_at(vkp, "/id")), &did["did:key:".len()..]);

        // The X25519 key-agreement key derived from the Ed25519 key.
        let kakp = &case["keyAgreementKeyPair"];
        let x25519 = key.to_montgomery().to_bytes();
        let x_multibase = did_key::multibase_x25519_from_ed25519(&key);
        assert_eq!(fragment_of(str_at(kakp, "/id")), x_multibase, "{did}");
        if let Some(b58) = kakp.get("publicKeyBase58").and_then(Value::as_str) {
            assert_eq!(bs58::encode(x25519).into_string(), b58);
        } else {
            assert_eq!(str_at(kakp, "/publicKeyJwk/crv"), "X25519");
            assert_eq!(str_at(kakp, "/publicKeyJwk/x"), B64.encode(x25519));
        }

        // The resolved document has the same ids as the vector's (older-shaped) document.
        let doc = derived_resolver()
            .resolve(&Did::parse(did).expect("DID"))
            .expect("resolves");
        let expected = &case["didDocument"];
        assert_eq!(doc.id().as_str(), str_at(expected, "/id"));
        for relationship in Relationship::ALL {
            let ours: Vec<&str> = doc
                .methods_for(relationship)
                .iter()
                .map(|m| m.id().as_str())
                .collect();
            let theirs: Vec<&str> = expected[relationship.as_str()]
                .as_array()
                .expect("relationship array")
                .iter()
                .map(|v| v.as_str().expect("reference"))
                .collect();
            assert_eq!(ours, theirs, "{did} {}", relationship.as_str());
        }

        // Resolving the kid gives the key; the key-agreement id never gives a signing key.
        let resolver = derived_resolver();
        let kid = DidUrl::parse(&kid).expect("kid");
        assert_eq!(resolver.resolve_assertion_key(&kid), Ok(public));
        let agreement = DidUrl::parse(str_at(expected, "/keyAgreement/0")).expect("DID URL");
        assert!(matches!(
            resolver.resolve_assertion_key(&agreement),
            Err(DidError::NotAnAssertionKey { .. })
        ));
        let embedded = doc
            .verification_method(&x_multibase)
            .expect("X25519 method");
        assert!(matches!(
            embedded.ed25519_key(),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
    }
}

#[test]
fn did_method_key_other_key_types_are_rejected() {
    let files: [(&str, &[&str]); 5] = [
        (
            "bls12381.json",
            &["bls12_381-g2-pub", "bls12_381-g1g2-pub", "bls12_381-g1-pub"],
        ),
        ("nist-curves.json", &["p256-pub", "p384-pub", "p521-pub"]),
        ("rsa.json", &["rsa-pub"]),
        ("secp256k1.json", &["secp256k1-pub"]),
        ("x25519.json", &["x25519-pub"]),
    ];
    for (file, key_types) in files {
        let json = read_json(&format!("did-method-key/test-vectors/{file}"));
        let cases = json
            .get("didDocument")
            .filter(|_| file == "x25519.json")
            .unwrap_or(&json)
            .as_object()
            .expect("object of cases");
        assert!(!cases.is_empty(), "{file}");
        for did in cases.keys() {
            match did_key::decode(did) {
                Err(DidError::UnsupportedPublicKeyType { key_type }) => {
                    assert!(key_types.contains(&key_type.as_str()), "{did}: {key_type}");
                }
                other => panic!("{file} {did}: expected UnsupportedPublicKeyType, got {other:?}"),
            }
            let parsed = Did::parse(did).expect("valid DID syntax");
            assert!(matches!(
                OfflineResolver::new().resolve(&parsed),
                Err(DidError::UnsupportedPublicKeyType { .. })
            ));
            let kid = DidUrl::parse(&format!("{did}#{}", &did["did:key:".len()..])).expect("URL");
            assert!(matches!(
                derived_resolver().resolve_assertion_key(&kid),
                Err(DidError::UnsupportedPublicKeyType { .. })
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// did-key-spec

#[test]
fn did_key_spec_example_documents() {
    let spec = read_json("did-key-spec/examples-extracted.json");
    let examples = spec["examples"].as_array().expect("examples");
    let mut documents = 0;
    for example in examples {
        let Some(expected) = example.get("did_document") else {
            continue;
        };
        documents += 1;
        let did = Did::parse(str_at(expected, "/id")).expect("DID");
        let doc = derived_resolver().resolve(&did).expect("resolves");
        let mut ours = doc.to_json();
        let mut theirs = expected.clone();
        // The `@context` value is the resolver's choice; everything else must match.
        ours.as_object_mut().expect("object").remove("@context");
        theirs.as_object_mut().expect("object").remove("@context");
        assert_eq!(ours, theirs, "{}", str_at(example, "/section"));

        // Without derivation: the same document minus keyAgreement.
        let mut plain = OfflineResolver::new()
            .resolve(&did)
            .expect("resolves")
            .to_json();
        plain.as_object_mut().expect("object").remove("@context");
        theirs
            .as_object_mut()
            .expect("object")
            .remove("keyAgreement");
        assert_eq!(plain, theirs);

        // The document parses back to itself.
        assert_eq!(DidDocument::from_json(&doc.to_json()), Ok(doc));
    }
    assert_eq!(documents, 2, "two literal documents in the spec");
}

#[test]
fn did_key_spec_example_dids() {
    let spec = read_json("did-key-spec/examples-extracted.json");
    let mut ed25519 = 0;
    let mut others = 0;
    for example in spec["examples"].as_array().expect("examples") {
        let dids = example.get("dids").and_then(Value::as_array);
        for did in dids.into_iter().flatten() {
            let did = did.as_str().expect("DID string");
            if did.starts_with("did:key:z6Mk") {
                let key = did_key::decode(did).expect("Ed25519 did:key");
                assert_eq!(did_key::encode(&key), did);
                ed25519 += 1;
            } else {
                assert!(
                    matches!(
                        did_key::decode(did),
                        Err(DidError::UnsupportedPublicKeyType { .. })
                    ),
                    "{did}"
                );
                others += 1;
            }
        }
    }
    assert_eq!((ed25519, others), (2, 6));
}

fn multicodec_did(code: u64, key: &[u8]) -> String {
    let mut bytes = Vec::new();
    let mut rest = code;
    loop {
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            bytes.push(low);
            break;
        }
        bytes.push(low | 0x80);
    }
    bytes.extend_from_slice(key);
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

#[test]
fn did_key_spec_key_length_table() {
    let spec = read_json("did-key-spec/examples-extracted.json");
    let table = spec["multicodec_key_length_tables"]["Signature Method Creation Algorithm"]
        .as_array()
        .expect("table");
    let key = SigningKey::from_bytes(&[42u8; 32]).verifying_key();
    let mut saw_ed25519 = false;
    for row in table {
        let code = u64::from_str_radix(str_at(row, "/multicodec").trim_start_matches("0x"), 16)
            .expect("hex multicodec");
        let length = row["public_key_bytes"].as_u64().expect("length") as usize;
        if code == 0xed {
            saw_ed25519 = true;
            assert_eq!(length, 32);
            assert_eq!(
                did_key::decode(&multicodec_did(code, key.as_bytes())),
                Ok(key)
            );
            for wrong in [length - 1, length + 1] {
                let mut bytes = key.as_bytes().to_vec();
                bytes.resize(wrong, 7);
                assert_eq!(
                    did_key::decode(&multicodec_did(code, &bytes)),
                    Err(DidError::InvalidPublicKeyLength {
                        expected: length,
                        actual: wrong
                    })
                );
            }
        } else {
            // Right length for its type, still never read as Ed25519.
            let mut bytes = vec![2u8];
            bytes.resize(length, 0x5a);
            assert!(
                matches!(
                    did_key::decode(&multicodec_did(code, &bytes)),
                    Err(DidError::UnsupportedPublicKeyType { .. })
                ),
                "multicodec 0x{code:x}"
            );
        }
    }
    assert!(saw_ed25519);
}

/// One failing input per error code that the did:key spec's algorithms name.
#[test]
fn did_key_spec_error_codes() {
    let spec = read_json("did-key-spec/examples-extracted.json");
    let codes: Vec<&str> = spec["error_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code"))
        .collect();
    let key = SigningKey::from_bytes(&[42u8; 32]).verifying_key();
    let did = did_key::encode(&key);
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut off_curve = None;
    for y in 2u8..=255 {
        let mut bytes = [0u8; 32];
        bytes[0] = y;
        if VerifyingKey::from_bytes(&bytes).is_err() {
            off_curve = Some(bytes);
            break;
        }
    }
    let off_curve = off_curve.expect("some small y is not on the curve");

    for code in &codes {
        match *code {
            "invalidDid" => {
                for bad in [
                    "did:key:",
                    "did:key:6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                    "did:key:mO2MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do0",
                    "did:KEY:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                    "did:key:1:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                    "key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                ] {
                    let result = did_key::decode(bad);
                    assert!(
                        matches!(result, Err(DidError::InvalidDid { .. })),
                        "{bad}: {result:?}"
                    );
                    assert_eq!(result.err().map(|e| e.code()), Some("invalid_did"));
                }
            }
            "invalidDidUrl" => {
                for bad in [
                    format!("{did}#"),
                    format!("{did}#a#b"),
                    format!("{did}/path#{}", &did[8..]),
                    format!("{did}?versionId=1"),
                    format!("{did}#%zz"),
                ] {
                    let result = DidUrl::parse(&bad);
                    assert!(
                        matches!(result, Err(DidError::InvalidDidUrl { .. })),
                        "{bad}: {result:?}"
                    );
                }
            }
            "invalidPublicKey" => {
                for bad in [
                    multicodec_did(0xed, &off_curve),
                    multicodec_did(0xed, &identity),
                    format!("did:key:z{}", bs58::encode([0xed]).into_string()),
                    format!(
                        "did:key:z{}",
                        bs58::encode([0xed, 0x81, 0x00]).into_string()
                    ),
                ] {
                    let result = did_key::decode(&bad);
                    assert!(
                        matches!(result, Err(DidError::InvalidPublicKey { .. })),
                        "{bad}: {result:?}"
                    );
                }
            }
            "invalidPublicKeyLength" => {
                let result = did_key::decode(&multicodec_did(0xed, &key.as_bytes()[..16]));
                assert_eq!(
                    result,
                    Err(DidError::InvalidPublicKeyLength {
                        expected: 32,
                        actual: 16
                    })
                );
            }
            "unsupportedPublicKeyType" => {
                let result = did_key::decode(&multicodec_did(0xec, key.as_bytes()));
                assert_eq!(
                    result,
                    Err(DidError::UnsupportedPublicKeyType {
                        key_type: "x25519-pub".into()
                    })
                );
            }
            // Raised by the spec when the caller's `publicKeyFormat` option names an unknown
            // verification method type; this implementation has no such option (it always
            // produces Multikey), so no input can raise it.
            "invalidPublicKeyType" => {}
            other => panic!("the spec names error code {other}, which this test does not cover"),
        }
    }
    assert_eq!(codes.len(), 6);
}

// ---------------------------------------------------------------------------------------------
// did-jwk

struct JwkExample {
    name: String,
    did: String,
    did_url: String,
    document: Value,
}

/// The examples of spec.md: `### <name>` sections, each with DID, DID URL and DID Document blocks.
fn did_jwk_examples() -> Vec<JwkExample> {
    let spec = read("did-jwk/spec.md");
    let (_, examples) = spec
        .split_once("\n## Examples\n")
        .expect("Examples section");
    let examples = examples
        .split("\n## ")
        .next()
        .expect("text up to the next section");
    examples
        .split("\n### ")
        .skip(1)
        .map(|section| {
            let name = section.lines().next().expect("title").trim().to_owned();
            let mut blocks = Vec::new();
            let mut current: Option<String> = None;
            for line in section.lines() {
                if line.starts_with("```") {
                    match current.take() {
                        Some(block) => blocks.push(block),
                        None => current = Some(String::new()),
                    }
                } else if let Some(block) = current.as_mut() {
                    block.push_str(line);
                    block.push('\n');
                }
            }
            assert_eq!(blocks.len(), 3, "{name}: DID, DID URL, DID Document");
            JwkExample {
                did: blocks[0].trim().to_owned(),
                did_url: blocks[1].trim().to_owned(),
                document: serde_json::from_str(&blocks[2]).expect("document JSON"),
                name,
            }
        })
        .collect()
}

#[test]
fn did_jwk_examples_reproduce() {
    let examples = did_jwk_examples();
    let names: Vec<&str> = examples.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["P-256", "X25519"]);
    for example in &examples {
        let did = Did::parse(&example.did).expect("DID");
        let url = DidUrl::parse(&example.did_url).expect("DID URL");
        assert_eq!(url.did(), &did);
        assert_eq!(url.fragment(), Some("0"));

        // The identifier decodes to a public JWK equal to the document's, with no private member.
        let jwk = did_jwk::decode(&example.did).expect("decodes");
        assert!(PRIVATE_JWK_MEMBERS.iter().all(|m| !jwk.contains_key(*m)));
        assert_eq!(
            Value::Object(jwk.clone()),
            example.document["verificationMethod"][0]["publicKeyJwk"]
        );

        // The document is reproduced exactly (upstream erratum in the P-256 example aside).
        let mut expected = example.document.clone();
        let erratum = format!("did:jwk:${}#0", did.method_specific_id());
        let authentication = expected.pointer_mut("/authentication/0");
        if example.name == "P-256" {
            let authentication = authentication.expect("P-256 has authentication");
            assert_eq!(authentication.as_str(), Some(erratum.as_str()));
            *authentication = json!(url.as_str());
        } else {
            assert!(!example.document.to_string().contains("did:jwk:$"));
        }
        let doc = OfflineResolver::new().resolve(&did).expect("resolves");
        assert_eq!(doc.to_json(), expected, "{}", example.name);
        assert_eq!(DidDocument::from_json(&expected), Ok(doc.clone()));

        // `#0` dereferences to the verification method.
        let method = doc.verification_method("0").expect("#0");
        assert_eq!(method.id(), &url);
        assert_eq!(method.to_json(), expected["verificationMethod"][0]);

        // Neither key is an Ed25519 signing key.
        assert!(matches!(
            did_jwk::decode_ed25519(&example.did),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
    }
}

#[test]
fn did_jwk_p256_is_not_a_signing_key_here() {
    let p256 = &did_jwk_examples()[0];
    assert_eq!(p256.name, "P-256");
    let jwk = did_jwk::decode(&p256.did).expect("a public JWK");
    assert_eq!(jwk.get("kty"), Some(&json!("EC")));
    assert_eq!(jwk.get("crv"), Some(&json!("P-256")));
    // Listed in assertionMethod (no `use`), but only Ed25519 verifies here.
    let url = DidUrl::parse(&p256.did_url).expect("URL");
    assert_eq!(
        OfflineResolver::new().resolve_assertion_key(&url),
        Err(DidError::UnsupportedPublicKeyType {
            key_type: "kty=EC crv=P-256".into()
        })
    );
}

#[test]
fn did_jwk_x25519_is_never_a_signing_key() {
    let x25519 = &did_jwk_examples()[1];
    assert_eq!(x25519.name, "X25519");
    let url = DidUrl::parse(&x25519.did_url).expect("URL");
    let resolver = OfflineResolver::new();
    let doc = resolver.resolve(url.did()).expect("resolves");
    assert!(doc.methods_for(Relationship::AssertionMethod).is_empty());
    assert_eq!(doc.methods_for(Relationship::KeyAgreement).len(), 1);
    // `use: enc` keeps it out of assertionMethod …
    assert_eq!(
        resolver.resolve_assertion_key(&url),
        Err(DidError::NotAnAssertionKey {
            id: x25519.did_url.clone()
        })
    );
    assert!(matches!(
        resolver.resolve_assertion_key(&DidUrl::from(url.did().clone())),
        Err(DidError::NotAnAssertionKey { .. })
    ));
    // … and without `use` it is listed there but still is not an Ed25519 key.
    let mut jwk = did_jwk::decode(&x25519.did).expect("JWK");
    jwk.remove("use");
    let no_use = format!("did:jwk:{}", B64.encode(Value::Object(jwk).to_string()));
    let no_use = DidUrl::parse(&format!("{no_use}#0")).expect("URL");
    let doc = resolver.resolve(no_use.did()).expect("resolves");
    assert_eq!(doc.methods_for(Relationship::AssertionMethod).len(), 1);
    assert!(matches!(
        resolver.resolve_assertion_key(&no_use),
        Err(DidError::UnsupportedPublicKeyType { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// rfc8037

#[test]
fn rfc8037_a1_to_a3() {
    let rfc = read_json("rfc8037/rfc8037-appendix-a.json");
    let private = PrivateJwk::from_json(&rfc["A.1_private_key_jwk"]).expect("A.1");
    let public = private.public();
    assert_eq!(public.to_json(), rfc["A.2_public_key_jwk"]);
    assert_eq!(PublicJwk::from_json(&rfc["A.2_public_key_jwk"]), Ok(public));
    assert_eq!(
        PublicJwk::from_json(&rfc["A.1_private_key_jwk"]),
        Err(DidError::PrivateMemberInPublicJwk { member: "d".into() })
    );
    assert_eq!(
        public.thumbprint_input(),
        str_at(&rfc, "/A.3_jwk_thumbprint_canonical_json")
    );
    assert_eq!(
        public.thumbprint(),
        str_at(&rfc, "/A.3_jwk_thumbprint_sha256_b64u")
    );
    assert_eq!(private.to_json(), rfc["A.1_private_key_jwk"]);

    // The same key through both DID methods.
    for method in [DidMethod::Key, DidMethod::Jwk] {
        let (did, kid) = did_for_key(&public, method);
        let url = DidUrl::parse(&kid).expect("kid");
        assert_eq!(url.did().as_str(), did);
        assert_eq!(
            OfflineResolver::new().resolve_assertion_key(&url),
            Ok(public)
        );
    }
    assert_eq!(
        did_jwk::decode_ed25519(&did_jwk::encode(&public)),
        Ok(public)
    );
}
