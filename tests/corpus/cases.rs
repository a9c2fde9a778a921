// The adversarial corpus, built deterministically: fixed keys (seeds), fixed salts, fixed times.
// Shared by the generator (`corpus/generate.rs`, which writes the files) and the drift test
// (`tests/corpus.rs`, which rebuilds them in process and compares byte for byte), through
// `#[path]` includes, so that the two cannot disagree.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::{did_for_key, DidMethod, PrivateJwk, PublicJwk};
use dojang_vc::jws::sign_eddsa_raw;
use dojang_vc::key_binding::sd_hash;
use dojang_vc::log::{sign_checkpoint, Checkpoint, InclusionProof, LogLeaf};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::merkle::Tree;
use dojang_vc::status_list::{sign_token, StatusList};
use dojang_vc::trust_list::{
    sign_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey, TrustList,
};
use dojang_vc::{join, Disclosure};
use ed25519_dalek::SigningKey;
use serde_json::{json, Map, Value};

/// The verifier's clock in every case (2026-05-28T20:26:40Z).
pub(crate) const NOW: i64 = 1_780_000_000;
/// [`NOW`] as RFC 3339, for `dojang verify --now`.
pub(crate) const NOW_RFC3339: &str = "2026-05-28T20:26:40Z";
const AUD: &str = "https://bank.example/verifier";
const NONCE: &str = "n-corpus-0001";
const VCT: &str = "urn:dojang:kr:resident-registration-copy:1";
const STATUS_URI: &str = "https://issuer.example/status/0";
const WEB_DID: &str = "did:web:jongno.example";
const WEB_KID: &str = "did:web:jongno.example#key-1";
const ROOT_DID: &str = "did:web:mois.example";
const ROOT_KID: &str = "did:web:mois.example#root-1";
/// The group order L of edwards25519, little endian (RFC 8032 §5.1).
const ORDER_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// One case, rendered: its file name and exact file text.
pub(crate) struct Rendered {
    /// `NNN-name.json`.
    pub(crate) file: String,
    /// The pretty JSON, ending with a newline.
    pub(crate) text: String,
    /// The expected code, for the index.
    pub(crate) expect: String,
    /// The one-line description, for the index.
    pub(crate) description: String,
}

struct Key {
    sk: SigningKey,
    did: String,
    kid: String,
}

impl Key {
    fn seed(n: u8) -> Self {
        let sk = SigningKey::from_bytes(&[n; 32]);
        let (did, kid) = did_for_key(&PublicJwk::new(sk.verifying_key()), DidMethod::Key);
        Self { sk, did, kid }
    }
    fn jwk(&self) -> Value {
        PublicJwk::new(self.sk.verifying_key()).to_json()
    }
}

fn b64(s: &str) -> String {
    B64.encode(s.as_bytes())
}

fn disclosure(salt: &str, name: Option<&str>, value: Value) -> Disclosure {
    Disclosure::with_salt(salt.to_owned(), name, value)
}

/// The world every case is built in.
struct World {
    issuer: Key,
    holder: Key,
    other: Key,
    root: Key,
    web: Key,
    thief: Key,
    web2: Key,
    name: Disclosure,
    rrn: Disclosure,
    road: Disclosure,
    member1: Disclosure,
}

/// A case before rendering.
struct Case {
    name: &'static str,
    description: String,
    input: String,
    trust: Value,
    status_lists: Vec<String>,
    expect_status_list_load: Option<&'static str>,
    log_inclusion: Option<Value>,
    policy: Value,
    challenge: bool,
    nonce_store: Option<&'static str>,
    claims_absent: Vec<&'static str>,
    expect: &'static str,
}

fn default_policy() -> Value {
    json!({
        "allowed_algorithms": ["EdDSA"],
        "require_key_binding": true,
        "max_credential_age_days": null,
        "accepted_vcts": [],
        "require_status": false,
        "require_log_inclusion": false
    })
}

impl World {
    fn new() -> Self {
        Self {
            issuer: Key::seed(1),
            holder: Key::seed(2),
            other: Key::seed(3),
            root: Key::seed(4),
            web: Key::seed(5),
            thief: Key::seed(7),
            web2: Key::seed(6),
            name: disclosure("salt-name", Some("name"), json!("김민준")),
            rrn: disclosure("salt-rrn", Some("rrn"), json!("900101-1234567")),
            road: disclosure(
                "salt-road",
                Some("road_address"),
                json!("서울특별시 종로구 세종대로 209"),
            ),
            member1: disclosure(
                "salt-member1",
                None,
                json!({"relation": "배우자", "name": "이서연"}),
            ),
        }
    }

    fn header(&self) -> Value {
        json!({"typ": "dc+sd-jwt", "alg": "EdDSA", "kid": self.issuer.kid})
    }

    /// The base payload: `name` and `rrn` selectively disclosable, `address.road_address` nested,
    /// `members[1]` an array element.
    fn payload(&self) -> Value {
        json!({
            "iss": self.issuer.did, "vct": VCT, "iat": NOW - 100, "exp": NOW + 86_400,
            "cnf": {"jwk": self.holder.jwk()},
            "_sd": [self.name.digest(), self.rrn.digest()],
            "address": {"_sd": [self.road.digest()], "postal_code": "03154"},
            "members": [{"relation": "본인"}, {"...": self.member1.digest()}],
            "_sd_alg": "sha-256"
        })
    }

    fn payload_with(&self, sd: Vec<String>) -> Value {
        json!({
            "iss": self.issuer.did, "vct": VCT, "iat": NOW - 100, "exp": NOW + 86_400,
            "cnf": {"jwk": self.holder.jwk()},
            "_sd": sd, "_sd_alg": "sha-256"
        })
    }

    fn sign(&self, header: &Value, payload: &Value) -> String {
        sign_raw(&header.to_string(), &payload.to_string(), &self.issuer.sk)
    }

    /// `<JWT>~<disclosures>~<KB-JWT>` bound to the holder's key, AUD, NONCE and NOW.
    fn bound(&self, jwt: &str, disclosures: &[&str]) -> String {
        let presented = join(jwt, disclosures.iter().copied());
        self.kb(&presented, AUD, NONCE, NOW, &self.holder.sk)
    }

    fn kb(&self, presented: &str, aud: &str, nonce: &str, iat: i64, sk: &SigningKey) -> String {
        let header = json!({"typ": "kb+jwt", "alg": "EdDSA"}).to_string();
        let payload =
            json!({"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": sd_hash(presented)})
                .to_string();
        format!("{presented}{}", sign_raw(&header, &payload, sk))
    }

    fn craft(&self, header: Value, payload: Value, disclosures: &[&str]) -> String {
        self.bound(&self.sign(&header, &payload), disclosures)
    }

    fn all(&self) -> Vec<&str> {
        vec![
            self.name.as_str(),
            self.rrn.as_str(),
            self.road.as_str(),
            self.member1.as_str(),
        ]
    }

    fn base(&self) -> Case {
        Case {
            name: "",
            description: String::new(),
            input: String::new(),
            trust: json!({"issuers": [self.issuer.did]}),
            status_lists: Vec::new(),
            expect_status_list_load: None,
            log_inclusion: None,
            policy: default_policy(),
            challenge: true,
            nonce_store: None,
            claims_absent: Vec::new(),
            expect: "",
        }
    }
}

fn sign_raw(header: &str, payload: &str, sk: &SigningKey) -> String {
    sign_eddsa_raw(header.as_bytes(), payload.as_bytes(), sk).unwrap_or_default()
}

/// Replaces the signature segment of a compact JWS.
fn with_signature(jwt: &str, sig: &[u8]) -> String {
    let cut = jwt.rfind('.').map_or(jwt.len(), |i| i + 1);
    format!("{}{}", &jwt[..cut], B64.encode(sig))
}

fn signature_of(jwt: &str) -> Vec<u8> {
    let sig = jwt.rsplit('.').next().unwrap_or_default();
    B64.decode(sig).unwrap_or_default()
}

/// The signature with `S + L` in place of `S`: the same signature to a lax verifier, a
/// non-canonical one that `verify_strict` (and RFC 8032 §5.1.7) must refuse.
fn non_canonical(sig: &[u8]) -> Vec<u8> {
    let mut out = sig.to_vec();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(out[32 + i]) + u16::from(ORDER_L[i]) + carry;
        out[32 + i] = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    out
}

/// The identity point, a small-order Ed25519 public key: with `R` the identity and `S = 0`, a
/// "signature" verifies for every message under a lax verifier.
fn small_order_point() -> [u8; 32] {
    let mut p = [0u8; 32];
    p[0] = 1;
    p
}

fn forged_small_order_signature() -> Vec<u8> {
    let mut sig = vec![0u8; 64];
    sig[0] = 1;
    sig
}

fn nested_array(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// A trust list accrediting `did:web:jongno.example` (key `web`) for VCT, with changes.
fn trust_list(w: &World, edit: impl FnOnce(&mut TrustList), signer: &SigningKey) -> String {
    let mut list = TrustList {
        iss: ROOT_DID.into(),
        seq: 1,
        iat: NOW - 3_600,
        exp: NOW + 30 * 86_400,
        issuers: vec![AccreditedIssuer {
            did: WEB_DID.into(),
            name_ko: "서울특별시 종로구청".into(),
            name_en: "Jongno-gu Office, Seoul".into(),
            status: AccreditationStatus::Active,
            vcts: vec![VCT.into()],
            keys: vec![IssuerKey {
                kid: WEB_KID.into(),
                jwk: w.web.jwk(),
                not_before: NOW - 365 * 86_400,
                not_after: None,
            }],
            status_list_base: None,
        }],
        relying_parties: Vec::new(),
    };
    edit(&mut list);
    sign_trust_list(&list, ROOT_KID, signer).unwrap_or_default()
}

fn trust_config(w: &World, list: String) -> Value {
    json!({"root_key": w.root.jwk(), "trust_list": list})
}

/// A presentation from the did:web issuer of the trust list, signed with `sk` under `kid` at `iat`.
fn web_presentation(w: &World, sk: &SigningKey, kid: &str, iat: i64, iss: &str) -> String {
    let header = json!({"typ": "dc+sd-jwt", "alg": "EdDSA", "kid": kid});
    let payload = json!({
        "iss": iss, "vct": VCT, "iat": iat, "exp": NOW + 86_400,
        "cnf": {"jwk": w.holder.jwk()},
        "_sd": [w.name.digest()], "_sd_alg": "sha-256"
    });
    let jwt = sign_raw(&header.to_string(), &payload.to_string(), sk);
    w.bound(&jwt, &[w.name.as_str()])
}

/// A presentation of a credential with a status reference at `idx`.
fn status_presentation(w: &World, idx: u64) -> String {
    let mut payload = w.payload_with(vec![w.name.digest().into()]);
    payload["status"] = json!({"status_list": {"idx": idx, "uri": STATUS_URI}});
    w.craft(w.header(), payload, &[w.name.as_str()])
}

fn status_token(signer: &Key, iat: i64, entries: &[(u64, u8)]) -> String {
    let mut list = match StatusList::new(2, 1024) {
        Ok(l) => l,
        Err(_) => return String::new(),
    };
    for (i, v) in entries {
        let _ = list.set(*i, *v);
    }
    sign_token(
        &signer.did,
        &signer.kid,
        STATUS_URI,
        iat,
        iat + 7 * 86_400,
        3_600,
        &list,
        &signer.sk,
    )
    .unwrap_or_default()
}

/// A log of five leaves whose third is the credential's; `mutate` damages the bundle.
fn log_bundle(w: &World, jwt: &str, mutate: impl FnOnce(&mut LogInclusion)) -> Value {
    let leaf = LogLeaf::for_jwt(jwt, VCT, NOW - 100, None, None);
    let mut tree = Tree::new();
    for i in 0..5u8 {
        if i == 2 {
            tree.push(leaf.hash());
        } else {
            let other = LogLeaf::for_jwt(&format!("other-{i}"), VCT, NOW - 1_000, None, None);
            tree.push(other.hash());
        }
    }
    let hashes = tree.inclusion_proof(2, 5).unwrap_or_default();
    let root = tree.root(5).unwrap_or_default();
    let cp = Checkpoint::new(&w.issuer.did, 5, &root, NOW - 50);
    let checkpoint = sign_checkpoint(&cp, &w.issuer.kid, &w.issuer.sk).unwrap_or_default();
    let mut bundle = LogInclusion {
        leaf,
        proof: InclusionProof::new(2, 5, &hashes),
        checkpoint,
    };
    mutate(&mut bundle);
    serde_json::to_value(&bundle).unwrap_or(Value::Null)
}

/// The cases being built.
struct Cases<'a> {
    w: &'a World,
    list: Vec<Case>,
}

impl Cases<'_> {
    fn add(
        &mut self,
        name: &'static str,
        expect: &'static str,
        description: &str,
        input: String,
    ) -> &mut Case {
        let mut c = self.w.base();
        c.name = name;
        c.expect = expect;
        c.description = description.to_owned();
        c.input = input;
        self.list.push(c);
        self.last()
    }

    fn last(&mut self) -> &mut Case {
        let i = self.list.len() - 1;
        &mut self.list[i]
    }
}

/// Builds every case, in order.
pub(crate) fn build() -> Vec<Rendered> {
    let w = World::new();
    let mut cases = Cases {
        w: &w,
        list: Vec::new(),
    };
    let all = w.all();
    let valid_jwt = w.sign(&w.header(), &w.payload());

    // --- Baseline -------------------------------------------------------------------------
    cases.add(
        "valid-all-disclosed",
        "verified",
        "Baseline: every disclosure (top-level, nested, array element) with a good KB-JWT.",
        w.bound(&valid_jwt, &all),
    );
    cases.add(
        "valid-nothing-disclosed",
        "verified",
        "Baseline: no disclosure at all, only the KB-JWT.",
        w.bound(&valid_jwt, &[]),
    );
    let mut legacy = w.header();
    legacy["typ"] = json!("vc+sd-jwt");
    cases.add(
        "valid-legacy-typ",
        "verified",
        "The legacy media type vc+sd-jwt is still accepted.",
        w.craft(legacy, w.payload(), &[w.name.as_str()]),
    );

    // --- Parsing and budgets --------------------------------------------------------------
    cases.add(
        "no-tilde",
        "malformed_sd_jwt",
        "An issuer JWT alone, without the `~` separator.",
        valid_jwt.clone(),
    );
    cases.add(
        "empty-disclosure-part",
        "malformed_sd_jwt",
        "An empty part between two `~` separators.",
        {
            let presented = format!("{valid_jwt}~~");
            w.kb(&presented, AUD, NONCE, NOW, &w.holder.sk)
        },
    );
    cases.add(
        "jwt-two-segments",
        "malformed_jwt",
        "The issuer JWT has two segments instead of three.",
        {
            let cut = valid_jwt.rfind('.').unwrap_or(0);
            w.bound(&valid_jwt[..cut], &[])
        },
    );
    cases.add(
        "stripped-signature",
        "malformed_jwt",
        "The issuer JWT's signature segment is empty (`header.payload.`): alg-stripping.",
        {
            let cut = valid_jwt.rfind('.').map_or(0, |i| i + 1);
            w.bound(&valid_jwt[..cut], &[])
        },
    );
    cases.add(
        "header-not-json",
        "malformed_json",
        "The issuer JWT header is base64url of text that is not JSON.",
        w.bound(
            &sign_raw("not json", &w.payload().to_string(), &w.issuer.sk),
            &[],
        ),
    );
    cases.add(
        "payload-not-object",
        "malformed_json",
        "The issuer JWT payload is a JSON array, not an object.",
        w.bound(
            &sign_raw(&w.header().to_string(), "[1,2,3]", &w.issuer.sk),
            &[],
        ),
    );
    cases.add(
        "oversized-input",
        "limit_exceeded",
        "A presentation one byte over the 256 KiB input budget (a huge decoy disclosure).",
        {
            let pad = "A".repeat(256 * 1024);
            let s = w.bound(&valid_jwt, &[&pad]);
            let cut = 256 * 1024 + 1;
            s[..cut.min(s.len())].to_owned()
        },
    );
    cases.add(
        "json-nesting-payload",
        "limit_exceeded",
        "The payload nests arrays 40 deep, past the JSON depth budget of 32.",
        {
            let p = w.payload().to_string();
            let p = p.replacen('{', &format!("{{\"deep\":{},", nested_array(40)), 1);
            w.bound(&sign_raw(&w.header().to_string(), &p, &w.issuer.sk), &[])
        },
    );
    cases.add(
        "json-nesting-header",
        "limit_exceeded",
        "The header nests arrays 40 deep, past the JSON depth budget of 32.",
        {
            let h = format!(
                "{{\"typ\":\"dc+sd-jwt\",\"alg\":\"EdDSA\",\"kid\":\"{}\",\"x\":{}}}",
                w.issuer.kid,
                nested_array(40)
            );
            w.bound(&sign_raw(&h, &w.payload().to_string(), &w.issuer.sk), &[])
        },
    );
    cases.add(
        "json-nesting-disclosure",
        "limit_exceeded",
        "A disclosure value nests arrays 40 deep.",
        {
            let d = b64(&format!("[\"salt-deep\",\"deep\",{}]", nested_array(40)));
            let dd = dojang_vc::disclosure::digest(&d);
            w.craft(w.header(), w.payload_with(vec![dd]), &[&d])
        },
    );
    cases.add(
        "json-nesting-kb",
        "limit_exceeded",
        "The KB-JWT payload nests arrays 40 deep.",
        {
            let presented = join(&valid_jwt, []);
            let p = format!(
                "{{\"iat\":{NOW},\"aud\":\"{AUD}\",\"nonce\":\"{NONCE}\",\"sd_hash\":\"{}\",\"x\":{}}}",
                sd_hash(&presented),
                nested_array(40)
            );
            format!(
                "{presented}{}",
                sign_raw(r#"{"typ":"kb+jwt","alg":"EdDSA"}"#, &p, &w.holder.sk)
            )
        },
    );
    cases.add(
        "disclosure-depth",
        "limit_exceeded",
        "Disclosures nested 21 deep (each object disclosing the next), past the budget of 16.",
        {
            let mut inner = disclosure("salt-leaf", Some("leaf"), json!(1));
            let mut chain = vec![inner.clone()];
            for i in 0..20 {
                let d = disclosure(
                    &format!("salt-n{i}"),
                    Some(&format!("n{i}")),
                    json!({"_sd": [inner.digest()]}),
                );
                chain.push(d.clone());
                inner = d;
            }
            let strs: Vec<&str> = chain.iter().map(Disclosure::as_str).collect();
            w.craft(
                w.header(),
                w.payload_with(vec![inner.digest().into()]),
                &strs,
            )
        },
    );
    cases.add(
        "too-many-disclosures",
        "limit_exceeded",
        "513 disclosures, past the budget of 512.",
        {
            let ds: Vec<Disclosure> = (0..513)
                .map(|i| disclosure(&format!("s{i}"), Some(&format!("c{i}")), json!(i)))
                .collect();
            let digests = ds.iter().map(|d| d.digest().to_owned()).collect();
            let strs: Vec<&str> = ds.iter().map(Disclosure::as_str).collect();
            w.craft(w.header(), w.payload_with(digests), &strs)
        },
    );
    cases.add(
        "sd-array-too-long",
        "limit_exceeded",
        "An `_sd` array of 1025 digests, past the budget of 1024.",
        {
            let digests = (0..1025)
                .map(|i| dojang_vc::disclosure::digest(&format!("decoy-{i}")))
                .collect();
            w.craft(w.header(), w.payload_with(digests), &[])
        },
    );

    // --- Duplicate JSON keys --------------------------------------------------------------
    let payload_text = w.payload().to_string();
    cases.add(
        "dup-key-header",
        "duplicate_json_key",
        "The issuer JWT header repeats `alg`.",
        {
            let h = format!(
                r#"{{"typ":"dc+sd-jwt","alg":"EdDSA","kid":"{}","alg":"none"}}"#,
                w.issuer.kid
            );
            w.bound(&sign_raw(&h, &payload_text, &w.issuer.sk), &[])
        },
    );
    cases.add(
        "dup-key-payload",
        "duplicate_json_key",
        "The payload repeats `iss` (serde_json would silently keep the last).",
        {
            let p = payload_text.replacen('{', r#"{"iss":"did:key:zAttacker","#, 1);
            w.bound(&sign_raw(&w.header().to_string(), &p, &w.issuer.sk), &[])
        },
    );
    cases.add(
        "dup-key-payload-nested",
        "duplicate_json_key",
        "The payload's `cnf` object repeats a member.",
        {
            let p = payload_text.replacen(r#""cnf":{"#, r#""cnf":{"x":1,"x":2,"#, 1);
            w.bound(&sign_raw(&w.header().to_string(), &p, &w.issuer.sk), &[])
        },
    );
    cases.add(
        "dup-key-payload-deep",
        "duplicate_json_key",
        "An object inside an array inside the payload repeats a member.",
        {
            let p = payload_text.replacen(
                r#""members":["#,
                r#""members":[{"a":1,"b":{"c":1,"c":1}},"#,
                1,
            );
            w.bound(&sign_raw(&w.header().to_string(), &p, &w.issuer.sk), &[])
        },
    );
    cases.add(
        "dup-key-disclosure",
        "duplicate_json_key",
        "A disclosed object value repeats a member.",
        {
            let d = b64(r#"["salt-dup","address",{"a":1,"a":2}]"#);
            let dd = dojang_vc::disclosure::digest(&d);
            w.craft(w.header(), w.payload_with(vec![dd]), &[&d])
        },
    );
    cases.add(
        "dup-key-kb-header",
        "duplicate_json_key",
        "The KB-JWT header repeats `typ`.",
        {
            let presented = join(&valid_jwt, []);
            let p = json!({"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(&presented)});
            format!(
                "{presented}{}",
                sign_raw(
                    r#"{"typ":"kb+jwt","alg":"EdDSA","typ":"kb+jwt"}"#,
                    &p.to_string(),
                    &w.holder.sk
                )
            )
        },
    );
    cases.add(
        "dup-key-kb-payload",
        "duplicate_json_key",
        "The KB-JWT payload repeats `nonce`.",
        {
            let presented = join(&valid_jwt, []);
            let p = format!(
                r#"{{"iat":{NOW},"aud":"{AUD}","nonce":"other","nonce":"{NONCE}","sd_hash":"{}"}}"#,
                sd_hash(&presented)
            );
            format!(
                "{presented}{}",
                sign_raw(r#"{"typ":"kb+jwt","alg":"EdDSA"}"#, &p, &w.holder.sk)
            )
        },
    );

    // --- Disclosures (RFC 9901 §7.1) -------------------------------------------------------
    let raw_disclosure = |name: &'static str, expect: &'static str, desc: &str, text: &str| {
        let d = b64(text);
        let dd = dojang_vc::disclosure::digest(&d);
        (
            name,
            expect,
            desc.to_owned(),
            w.craft(w.header(), w.payload_with(vec![dd]), &[&d]),
        )
    };
    let raws = [
        raw_disclosure(
            "disclosure-four-elements",
            "disclosure_malformed",
            "A disclosure array of four elements.",
            r#"["salt","a","b","c"]"#,
        ),
        raw_disclosure(
            "disclosure-one-element",
            "disclosure_malformed",
            "A disclosure array of one element.",
            r#"["salt"]"#,
        ),
        raw_disclosure(
            "disclosure-salt-not-string",
            "disclosure_malformed",
            "A disclosure whose salt is a number.",
            r#"[42,"name","x"]"#,
        ),
        raw_disclosure(
            "disclosure-name-not-string",
            "disclosure_malformed",
            "A disclosure whose claim name is a number.",
            r#"["salt",7,"x"]"#,
        ),
        raw_disclosure(
            "disclosure-not-array",
            "disclosure_malformed",
            "A disclosure that is a JSON object, not an array.",
            r#"{"salt":"s","name":"x"}"#,
        ),
        raw_disclosure(
            "disclosure-not-json",
            "malformed_json",
            "A disclosure that is base64url of text that is not JSON.",
            "not json at all",
        ),
    ];
    for (name, expect, desc, input) in raws {
        cases.add(name, expect, &desc, input);
    }
    cases.add(
        "disclosure-not-base64url",
        "disclosure_malformed",
        "A disclosure with characters outside base64url.",
        w.craft(
            w.header(),
            w.payload_with(vec![w.name.digest().into()]),
            &["***not+base64/url***"],
        ),
    );
    cases.add(
        "disclosure-duplicated",
        "disclosure_duplicate",
        "The same disclosure string sent twice.",
        w.bound(&valid_jwt, &[w.name.as_str(), w.name.as_str()]),
    );
    let stray = disclosure("salt-stray", Some("nationality"), json!("KR"));
    cases.add(
        "disclosure-unreferenced",
        "disclosure_unreferenced",
        "A well-formed disclosure whose digest appears nowhere in the credential.",
        w.bound(&valid_jwt, &[w.name.as_str(), stray.as_str()]),
    );
    let forged = disclosure("salt-name", Some("name"), json!("홍길동"));
    cases.add(
        "disclosure-substituted-value",
        "disclosure_unreferenced",
        "Substitution: the `name` disclosure with the same salt and another value.",
        w.bound(&valid_jwt, &[forged.as_str()]),
    );
    let forged_road = disclosure(
        "salt-road",
        Some("road_address"),
        json!("부산광역시 해운대구"),
    );
    cases.add(
        "disclosure-substituted-nested",
        "disclosure_unreferenced",
        "Substitution of the nested `address.road_address` disclosure.",
        w.bound(&valid_jwt, &[forged_road.as_str()]),
    );
    let other_credential = disclosure("salt-name-other", Some("name"), json!("김민준"));
    cases.add(
        "disclosure-from-other-credential",
        "disclosure_unreferenced",
        "A `name` disclosure lifted from another credential (other salt, same value).",
        w.bound(&valid_jwt, &[other_credential.as_str()]),
    );
    cases.add(
        "digest-duplicate-in-sd",
        "digest_duplicate",
        "The same digest twice in the top-level `_sd`.",
        w.craft(
            w.header(),
            w.payload_with(vec![w.name.digest().into(), w.name.digest().into()]),
            &[w.name.as_str()],
        ),
    );
    cases.add(
        "digest-duplicate-sd-and-array",
        "digest_duplicate",
        "The same digest in `_sd` and in an array `...` element.",
        {
            let mut p = w.payload_with(vec![w.member1.digest().into()]);
            p["members"] = json!([{"...": w.member1.digest()}]);
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "digest-duplicate-via-disclosure",
        "digest_duplicate",
        "A disclosed object's `_sd` repeats a digest already in the payload.",
        {
            let holder = disclosure(
                "salt-holder",
                Some("address"),
                json!({"_sd": [w.name.digest()]}),
            );
            w.craft(
                w.header(),
                w.payload_with(vec![w.name.digest().into(), holder.digest().into()]),
                &[holder.as_str(), w.name.as_str()],
            )
        },
    );
    for (name, claim) in [
        ("reserved-name-sd", "_sd"),
        ("reserved-name-ellipsis", "..."),
    ] {
        let d = disclosure("salt-reserved", Some(claim), json!("x"));
        cases.add(
            name,
            "disclosure_reserved_name",
            &format!("A disclosure sets a claim named `{claim}`."),
            w.craft(
                w.header(),
                w.payload_with(vec![d.digest().into()]),
                &[d.as_str()],
            ),
        );
    }
    let vct_disclosure = disclosure("salt-vct", Some("vct"), json!("urn:other"));
    cases.add(
        "collision-with-plain-claim",
        "disclosure_claim_collision",
        "A disclosure named `vct` where `vct` is already a plain claim.",
        w.craft(
            w.header(),
            w.payload_with(vec![vct_disclosure.digest().into()]),
            &[vct_disclosure.as_str()],
        ),
    );
    let name2 = disclosure("salt-name-2", Some("name"), json!("홍길동"));
    cases.add(
        "collision-two-disclosures",
        "disclosure_claim_collision",
        "Two disclosures, both referenced, set the same claim name `name`.",
        w.craft(
            w.header(),
            w.payload_with(vec![w.name.digest().into(), name2.digest().into()]),
            &[w.name.as_str(), name2.as_str()],
        ),
    );
    let postal = disclosure("salt-postal", Some("postal_code"), json!("99999"));
    cases.add(
        "collision-nested",
        "disclosure_claim_collision",
        "A disclosure in `address` sets `postal_code`, already a plain member there.",
        {
            let mut p = w.payload_with(vec![]);
            p["address"] = json!({"_sd": [postal.digest()], "postal_code": "03154"});
            w.craft(w.header(), p, &[postal.as_str()])
        },
    );
    cases.add(
        "element-disclosure-in-sd",
        "disclosure_wrong_kind",
        "Wrong element count: a 2-element (array) disclosure referenced from `_sd`.",
        w.craft(
            w.header(),
            w.payload_with(vec![w.member1.digest().into()]),
            &[w.member1.as_str()],
        ),
    );
    cases.add(
        "property-disclosure-in-array",
        "disclosure_wrong_kind",
        "Wrong element count: a 3-element (property) disclosure referenced from an array.",
        {
            let mut p = w.payload_with(vec![]);
            p["members"] = json!([{"...": w.name.digest()}]);
            w.craft(w.header(), p, &[w.name.as_str()])
        },
    );
    cases.add(
        "sd-not-array",
        "digest_container_invalid",
        "`_sd` is a string, not an array.",
        {
            let mut p = w.payload_with(vec![]);
            p["_sd"] = json!(w.name.digest());
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "sd-element-not-string",
        "digest_container_invalid",
        "`_sd` holds a number.",
        {
            let mut p = w.payload_with(vec![]);
            p["_sd"] = json!([42]);
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "ellipsis-not-string",
        "digest_container_invalid",
        "An array element `{\"...\": 42}`.",
        {
            let mut p = w.payload_with(vec![]);
            p["members"] = json!([{"...": 42}]);
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "sd-alg-unknown",
        "sd_alg_unsupported",
        "`_sd_alg` is `sha-512`, which Dojang does not support.",
        {
            let mut p = w.payload();
            p["_sd_alg"] = json!("sha-512");
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "sd-alg-not-string",
        "sd_alg_unsupported",
        "`_sd_alg` is a number.",
        {
            let mut p = w.payload();
            p["_sd_alg"] = json!(256);
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "sd-alg-nested-payload",
        "sd_alg_misplaced",
        "`_sd_alg` inside the `address` object of the payload.",
        {
            let mut p = w.payload();
            p["address"]["_sd_alg"] = json!("sha-256");
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "sd-alg-nested-disclosure",
        "sd_alg_misplaced",
        "`_sd_alg` inside a disclosed object.",
        {
            let d = disclosure(
                "salt-nested-alg",
                Some("office"),
                json!({"_sd_alg": "sha-256", "_sd": []}),
            );
            w.craft(
                w.header(),
                w.payload_with(vec![d.digest().into()]),
                &[d.as_str()],
            )
        },
    );

    // --- Header and claimed identity -------------------------------------------------------
    let header_case = |h: Value| w.craft(h, w.payload(), &[]);
    cases.add(
        "typ-jwt",
        "typ_invalid",
        "The issuer JWT `typ` is `JWT`.",
        header_case(json!({"typ": "JWT", "alg": "EdDSA", "kid": w.issuer.kid})),
    );
    cases.add(
        "typ-missing",
        "typ_invalid",
        "The issuer JWT has no `typ`.",
        header_case(json!({"alg": "EdDSA", "kid": w.issuer.kid})),
    );
    for (name, claim) in [
        ("iss-missing", "iss"),
        ("vct-missing", "vct"),
        ("iat-missing", "iat"),
    ] {
        let mut p = w.payload();
        if let Some(m) = p.as_object_mut() {
            m.remove(claim);
        }
        cases.add(
            name,
            "missing_claim",
            &format!("The payload has no `{claim}`."),
            w.craft(w.header(), p, &[]),
        );
    }
    cases.add("iat-string", "invalid_claim", "`iat` is a string.", {
        let mut p = w.payload();
        p["iat"] = json!("yesterday");
        w.craft(w.header(), p, &[])
    });
    cases.add(
        "kid-other-did",
        "kid_mismatch",
        "The header `kid` is a DID URL of another DID than `iss`.",
        header_case(json!({"typ": "dc+sd-jwt", "alg": "EdDSA", "kid": w.other.kid})),
    );
    cases.add(
        "kid-unknown-fragment",
        "issuer_key_unknown",
        "The header `kid` names a fragment the issuer's DID does not have.",
        header_case(
            json!({"typ": "dc+sd-jwt", "alg": "EdDSA", "kid": format!("{}#key-9", w.issuer.did)}),
        ),
    );
    cases.add(
        "untrusted-issuer",
        "untrusted_issuer",
        "A credential correctly signed by an issuer the verifier does not trust.",
        {
            let h = json!({"typ": "dc+sd-jwt", "alg": "EdDSA", "kid": w.other.kid});
            let mut p = w.payload();
            p["iss"] = json!(w.other.did);
            let jwt = sign_raw(&h.to_string(), &p.to_string(), &w.other.sk);
            w.bound(&jwt, &[])
        },
    );

    // --- Algorithms and header keys ---------------------------------------------------------
    for (name, alg, desc) in [
        (
            "alg-none",
            "none",
            "`alg: none` (with an EdDSA signature attached).",
        ),
        (
            "alg-hs256",
            "HS256",
            "`alg: HS256`: the public key as an HMAC secret.",
        ),
        (
            "alg-es256-ed25519-key",
            "ES256",
            "`alg: ES256` over an Ed25519 issuer key (confusion).",
        ),
        ("alg-rs256", "RS256", "`alg: RS256`."),
        ("alg-unknown", "Ed448", "`alg: Ed448`, unknown to Dojang."),
    ] {
        cases.add(
            name,
            "alg_not_allowed",
            desc,
            header_case(json!({"typ": "dc+sd-jwt", "alg": alg, "kid": w.issuer.kid})),
        );
    }
    cases.add(
        "alg-missing",
        "alg_not_allowed",
        "The header has no `alg`.",
        header_case(json!({"typ": "dc+sd-jwt", "kid": w.issuer.kid})),
    );
    for (name, member, value) in [
        ("header-jwk", "jwk", w.other.jwk()),
        ("header-x5c", "x5c", json!(["MIIBszCCAVmgAwIBAgIU"])),
        (
            "header-jku",
            "jku",
            json!("https://attacker.example/jwks.json"),
        ),
        (
            "header-x5u",
            "x5u",
            json!("https://attacker.example/cert.pem"),
        ),
        ("header-crit", "crit", json!(["exp"])),
    ] {
        let mut h = w.header();
        h[member] = value;
        cases.add(
            name,
            "forbidden_header",
            &format!("The issuer header carries `{member}`: keys come only from trust."),
            header_case(h),
        );
    }
    cases.add(
        "signature-bit-flip",
        "signature_invalid",
        "One bit of the issuer signature flipped.",
        {
            let mut sig = signature_of(&valid_jwt);
            sig[10] ^= 1;
            w.bound(&with_signature(&valid_jwt, &sig), &[])
        },
    );
    cases.add(
        "signature-other-key",
        "signature_invalid",
        "The issuer JWT signed by another key under the issuer's kid.",
        w.bound(
            &sign_raw(
                &w.header().to_string(),
                &w.payload().to_string(),
                &w.other.sk,
            ),
            &[],
        ),
    );
    cases.add(
        "payload-altered",
        "signature_invalid",
        "The payload segment replaced after signing (exp extended).",
        {
            let mut p = w.payload();
            p["exp"] = json!(NOW + 10 * 365 * 86_400);
            let parts: Vec<&str> = valid_jwt.split('.').collect();
            let jwt = format!("{}.{}.{}", parts[0], b64(&p.to_string()), parts[2]);
            w.bound(&jwt, &[])
        },
    );
    cases.add(
        "signature-truncated",
        "signature_invalid",
        "A 63-byte issuer signature.",
        {
            let sig = signature_of(&valid_jwt);
            w.bound(&with_signature(&valid_jwt, &sig[..63]), &[])
        },
    );
    cases.add(
        "signature-non-canonical",
        "signature_invalid",
        "The issuer signature with S + L for S (S >= L, non-canonical): verify_strict refuses it.",
        {
            let sig = non_canonical(&signature_of(&valid_jwt));
            w.bound(&with_signature(&valid_jwt, &sig), &[])
        },
    );
    let small = ed25519_dalek::VerifyingKey::from_bytes(&small_order_point());
    let small_did = small
        .as_ref()
        .map(dojang_did::did_key::encode)
        .unwrap_or_default();
    cases.add(
        "issuer-small-order-key",
        "issuer_key_unknown",
        "The trusted issuer is the did:key of the identity point (small order), with a forged \
         signature (R = identity, S = 0) that a lax verifier accepts for any message. Resolving \
         the DID refuses the small-order key, so no key is found (issuer_key_unknown) and the \
         forged signature is never even checked; verify_strict would refuse it too.",
        {
            let kid = format!("{small_did}#{}", small_did.trim_start_matches("did:key:"));
            let h = json!({"typ": "dc+sd-jwt", "alg": "EdDSA", "kid": kid});
            let mut p = w.payload();
            p["iss"] = json!(small_did);
            let jwt = format!(
                "{}.{}.{}",
                b64(&h.to_string()),
                b64(&p.to_string()),
                B64.encode(forged_small_order_signature())
            );
            w.bound(&jwt, &[])
        },
    );
    {
        let c = cases.last();
        c.trust = json!({"issuers": [small_did, w.issuer.did]});
    }

    // --- Validity --------------------------------------------------------------------------
    let timed = |iat: i64, exp: Option<i64>, nbf: Option<i64>| {
        let mut p = w.payload();
        p["iat"] = json!(iat);
        match exp {
            Some(e) => p["exp"] = json!(e),
            None => {
                if let Some(m) = p.as_object_mut() {
                    m.remove("exp");
                }
            }
        }
        if let Some(n) = nbf {
            p["nbf"] = json!(n);
        }
        w.craft(w.header(), p, &[w.name.as_str()])
    };
    cases.add(
        "expired",
        "expired",
        "`exp` 200 s ago, beyond the 60 s leeway.",
        timed(NOW - 1_000, Some(NOW - 200), None),
    );
    cases.add(
        "expired-within-leeway",
        "verified",
        "`exp` 30 s ago, within the 60 s leeway.",
        timed(NOW - 1_000, Some(NOW - 30), None),
    );
    cases.add(
        "not-yet-valid",
        "not_yet_valid",
        "`nbf` an hour ahead.",
        timed(NOW - 100, Some(NOW + 86_400), Some(NOW + 3_600)),
    );
    cases.add(
        "issued-in-future",
        "issued_in_future",
        "`iat` an hour ahead (a future-dated credential).",
        timed(NOW + 3_600, Some(NOW + 86_400), None),
    );
    cases.add(
        "issued-in-future-within-leeway",
        "verified",
        "`iat` 30 s ahead, within the leeway.",
        timed(NOW + 30, Some(NOW + 86_400), None),
    );
    cases.add("exp-string", "invalid_claim", "`exp` is a string.", {
        let mut p = w.payload();
        p["exp"] = json!("tomorrow");
        w.craft(w.header(), p, &[])
    });
    cases.add(
        "credential-too-old",
        "credential_too_old",
        "Issued 100 days ago; the policy accepts 90.",
        timed(NOW - 100 * 86_400, Some(NOW + 86_400), None),
    );
    {
        let c = cases.last();
        c.policy["max_credential_age_days"] = json!(90);
    }
    cases.add(
        "unexpected-vct",
        "unexpected_vct",
        "The verifier accepts only the family-relation certificate type.",
        w.bound(&valid_jwt, &[]),
    );
    {
        let c = cases.last();
        c.policy["accepted_vcts"] = json!(["urn:dojang:kr:family-relation:1"]);
    }
    cases.add(
        "alg-es256-allowed-ed25519-key",
        "alg_key_mismatch",
        "The policy allows ES256 too; the header says ES256 but the trusted key is Ed25519.",
        header_case(json!({"typ": "dc+sd-jwt", "alg": "ES256", "kid": w.issuer.kid})),
    );
    {
        let c = cases.last();
        c.policy["allowed_algorithms"] = json!(["EdDSA", "ES256"]);
    }

    // --- Holder binding --------------------------------------------------------------------
    let presented = join(&valid_jwt, [w.name.as_str()]);
    cases.add(
        "kb-stripped",
        "kb_missing",
        "The KB-JWT removed although the policy requires one.",
        presented.clone(),
    );
    cases.add(
        "kb-not-required",
        "verified",
        "No KB-JWT, under a policy that does not require one.",
        presented.clone(),
    );
    {
        let c = cases.last();
        c.policy["require_key_binding"] = json!(false);
        c.challenge = false;
    }
    cases.add(
        "challenge-missing",
        "challenge_missing",
        "Key binding required, but the verifier gave no audience and nonce to check.",
        w.kb(&presented, AUD, NONCE, NOW, &w.holder.sk),
    );
    {
        let c = cases.last();
        c.challenge = false;
    }
    cases.add("kb-typ-jwt", "typ_invalid", "The KB-JWT `typ` is `JWT`.", {
        let p = json!({"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(&presented)});
        format!(
            "{presented}{}",
            sign_raw(
                r#"{"typ":"JWT","alg":"EdDSA"}"#,
                &p.to_string(),
                &w.holder.sk
            )
        )
    });
    cases.add(
        "kb-alg-none",
        "alg_not_allowed",
        "The KB-JWT says `alg: none`.",
        {
            let p = json!({"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(&presented)});
            format!(
                "{presented}{}",
                sign_raw(
                    r#"{"typ":"kb+jwt","alg":"none"}"#,
                    &p.to_string(),
                    &w.holder.sk
                )
            )
        },
    );
    cases.add(
        "kb-stripped-signature",
        "malformed_jwt",
        "The KB-JWT's signature segment is empty.",
        {
            let full = w.kb(&presented, AUD, NONCE, NOW, &w.holder.sk);
            let cut = full.rfind('.').map_or(0, |i| i + 1);
            full[..cut].to_owned()
        },
    );
    cases.add(
        "kb-wrong-key",
        "kb_signature_invalid",
        "The KB-JWT signed by a thief's key, not the `cnf.jwk` key.",
        w.kb(&presented, AUD, NONCE, NOW, &w.thief.sk),
    );
    cases.add(
        "kb-non-canonical",
        "kb_signature_invalid",
        "The KB-JWT signature with S + L (non-canonical).",
        {
            let full = w.kb(&presented, AUD, NONCE, NOW, &w.holder.sk);
            let kb = &full[presented.len()..];
            format!(
                "{presented}{}",
                with_signature(kb, &non_canonical(&signature_of(kb)))
            )
        },
    );
    cases.add(
        "kb-iat-future",
        "kb_iat_invalid",
        "The KB-JWT is dated an hour ahead.",
        w.kb(&presented, AUD, NONCE, NOW + 3_600, &w.holder.sk),
    );
    cases.add(
        "kb-iat-old",
        "kb_iat_invalid",
        "The KB-JWT is an hour old (the policy allows 300 s).",
        w.kb(&presented, AUD, NONCE, NOW - 3_600, &w.holder.sk),
    );
    cases.add(
        "kb-wrong-aud",
        "kb_aud_mismatch",
        "The KB-JWT was made for another verifier.",
        w.kb(
            &presented,
            "https://other.example/verifier",
            NONCE,
            NOW,
            &w.holder.sk,
        ),
    );
    cases.add(
        "kb-wrong-nonce",
        "kb_nonce_mismatch",
        "The KB-JWT carries another nonce.",
        w.kb(&presented, AUD, "n-some-other", NOW, &w.holder.sk),
    );
    cases.add(
        "kb-sd-hash-disclosure-removed",
        "kb_sd_hash_mismatch",
        "A disclosure removed after binding.",
        {
            let two = join(&valid_jwt, [w.name.as_str(), w.rrn.as_str()]);
            let full = w.kb(&two, AUD, NONCE, NOW, &w.holder.sk);
            format!("{presented}{}", &full[two.len()..])
        },
    );
    cases.add(
        "kb-sd-hash-disclosure-added",
        "kb_sd_hash_mismatch",
        "A disclosure added after binding.",
        {
            let full = w.kb(&presented, AUD, NONCE, NOW, &w.holder.sk);
            let more = join(&valid_jwt, [w.name.as_str(), w.rrn.as_str()]);
            format!("{more}{}", &full[presented.len()..])
        },
    );
    cases.add(
        "kb-sd-hash-missing",
        "kb_sd_hash_mismatch",
        "The KB-JWT has no `sd_hash`.",
        {
            let p = json!({"iat": NOW, "aud": AUD, "nonce": NONCE});
            format!(
                "{presented}{}",
                sign_raw(
                    r#"{"typ":"kb+jwt","alg":"EdDSA"}"#,
                    &p.to_string(),
                    &w.holder.sk
                )
            )
        },
    );
    cases.add(
        "cnf-missing",
        "cnf_invalid",
        "The credential has no `cnf`.",
        {
            let mut p = w.payload();
            if let Some(m) = p.as_object_mut() {
                m.remove("cnf");
            }
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "cnf-private-key",
        "cnf_invalid",
        "`cnf.jwk` carries the private member `d`.",
        {
            let mut p = w.payload();
            let mut jwk = PrivateJwk::new(w.holder.sk.clone()).to_json();
            jwk["kid"] = json!("holder");
            p["cnf"] = json!({"jwk": jwk});
            w.craft(w.header(), p, &[])
        },
    );
    cases.add(
        "cnf-small-order-key",
        "cnf_invalid",
        "`cnf.jwk` is the identity point (small order) and the KB-JWT a forged R = identity, S = 0 \
         signature: refused when the key is read, before verify_strict would refuse it too.",
        {
            let mut p = w.payload();
            p["cnf"] = json!({"jwk": {"kty": "OKP", "crv": "Ed25519",
                "x": B64.encode(small_order_point())}});
            let jwt = w.sign(&w.header(), &p);
            let pres = join(&jwt, []);
            let kb_h = b64(r#"{"typ":"kb+jwt","alg":"EdDSA"}"#);
            let kb_p = b64(
                &json!({"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": sd_hash(&pres)})
                    .to_string(),
            );
            format!(
                "{pres}{kb_h}.{kb_p}.{}",
                B64.encode(forged_small_order_signature())
            )
        },
    );

    // --- Nonces ----------------------------------------------------------------------------
    for (name, expect, desc) in [
        (
            "nonce-first-use",
            "verified",
            "First presentation answering the verifier's nonce (shared nonce store with the next case).",
        ),
        (
            "nonce-replayed",
            "nonce_replayed",
            "The same presentation again, against the same nonce store: a replay.",
        ),
    ] {
        cases.add(
            name,
            expect,
            desc,
            w.kb(&presented, AUD, NONCE, NOW, &w.holder.sk),
        );
        {
        let c = cases.last();
            c.nonce_store = Some("shared");
        }
    }
    cases.add(
        "nonce-unknown",
        "nonce_unknown",
        "A presentation answering a nonce this verifier never issued (empty nonce store).",
        w.kb(&presented, AUD, NONCE, NOW, &w.holder.sk),
    );
    {
        let c = cases.last();
        c.nonce_store = Some("empty");
    }

    // --- Unicode look-alikes -----------------------------------------------------------------
    let lookalike = disclosure("salt-lookalike", Some("n\u{0430}me"), json!("홍길동"));
    cases.add(
        "lookalike-claim-name",
        "verified",
        "A disclosure named `nаme` with a Cyrillic а (U+0430). Claim names are compared as exact \
         code points, never normalised or confusable-folded: it verifies, but as the claim \
         `n\\u0430me`, and there is no `name` claim, so a relying party asking for `name` does not \
         get it (the service answers claims_missing).",
        w.craft(
            w.header(),
            w.payload_with(vec![lookalike.digest().into()]),
            &[lookalike.as_str()],
        ),
    );
    {
        let c = cases.last();
        c.claims_absent = vec!["name"];
    }

    // --- Trust list --------------------------------------------------------------------------
    let good_list = trust_list(&w, |_| {}, &w.root.sk);
    let web_ok = web_presentation(&w, &w.web.sk, WEB_KID, NOW - 100, WEB_DID);
    let add_tl = |cs: &mut Cases<'_>,
                  name: &'static str,
                  expect: &'static str,
                  desc: &str,
                  input: String,
                  list: String| {
        cs.add(name, expect, desc, input).trust = trust_config(&w, list);
    };
    add_tl(
        &mut cases,
        "trust-list-valid",
        "verified",
        "A did:web issuer accredited by a root-signed trust list.",
        web_ok.clone(),
        good_list.clone(),
    );
    add_tl(
        &mut cases,
        "trust-list-wrong-root",
        "trust_list_signature_invalid",
        "The trust list is signed by another key than the pinned root.",
        web_ok.clone(),
        trust_list(&w, |_| {}, &w.other.sk),
    );
    add_tl(
        &mut cases,
        "trust-list-expired",
        "trust_list_expired",
        "The trust list's `exp` has passed.",
        web_ok.clone(),
        trust_list(
            &w,
            |l| {
                l.iat = NOW - 40 * 86_400;
                l.exp = NOW - 86_400;
            },
            &w.root.sk,
        ),
    );
    add_tl(
        &mut cases,
        "trust-list-not-accredited",
        "issuer_not_accredited",
        "The issuer is accredited for another credential type only.",
        web_ok.clone(),
        trust_list(
            &w,
            |l| l.issuers[0].vcts = vec!["urn:dojang:kr:family-relation:1".into()],
            &w.root.sk,
        ),
    );
    add_tl(
        &mut cases,
        "trust-list-suspended",
        "issuer_suspended",
        "The issuer's accreditation is suspended.",
        web_ok.clone(),
        trust_list(
            &w,
            |l| l.issuers[0].status = AccreditationStatus::Suspended,
            &w.root.sk,
        ),
    );
    add_tl(
        &mut cases,
        "trust-list-key-not-yet-valid",
        "key_not_valid_at_iat",
        "The credential's `iat` falls before the key's window opens.",
        web_ok.clone(),
        trust_list(
            &w,
            |l| l.issuers[0].keys[0].not_before = NOW - 50,
            &w.root.sk,
        ),
    );
    add_tl(
        &mut cases,
        "trust-list-key-retired",
        "key_not_valid_at_iat",
        "The credential's `iat` falls after the key's window closed (a retired key).",
        web_ok.clone(),
        trust_list(
            &w,
            |l| {
                l.issuers[0].keys[0].not_after = Some(NOW - 1_000);
                l.issuers[0].keys.push(IssuerKey {
                    kid: "did:web:jongno.example#key-2".into(),
                    jwk: w.web2.jwk(),
                    not_before: NOW - 1_000,
                    not_after: None,
                });
            },
            &w.root.sk,
        ),
    );
    add_tl(
        &mut cases,
        "trust-list-unlisted-issuer",
        "untrusted_issuer",
        "A did:key issuer that is not on the trust list.",
        w.bound(&valid_jwt, &[]),
        good_list.clone(),
    );
    add_tl(
        &mut cases,
        "trust-list-unknown-kid",
        "issuer_key_unknown",
        "The header names a key id the trust list does not give the issuer.",
        web_presentation(
            &w,
            &w.web.sk,
            "did:web:jongno.example#key-9",
            NOW - 100,
            WEB_DID,
        ),
        good_list.clone(),
    );
    add_tl(
        &mut cases,
        "trust-list-wrong-key",
        "signature_invalid",
        "Signed under the listed kid with a key that is not the listed one.",
        web_presentation(&w, &w.other.sk, WEB_KID, NOW - 100, WEB_DID),
        good_list.clone(),
    );
    add_tl(
        &mut cases,
        "lookalike-issuer-ascii",
        "untrusted_issuer",
        "Issuer `did:web:jongno.examp1e` (digit 1 for l), signed by the attacker, beside the \
         accredited `did:web:jongno.example`.",
        web_presentation(
            &w,
            &w.other.sk,
            "did:web:jongno.examp1e#key-1",
            NOW - 100,
            "did:web:jongno.examp1e",
        ),
        good_list.clone(),
    );
    add_tl(
        &mut cases,
        "lookalike-issuer-cyrillic",
        "untrusted_issuer",
        "Issuer `did:web:jоngno.example` with a Cyrillic о (U+043E), signed by the attacker.",
        web_presentation(
            &w,
            &w.other.sk,
            "did:web:j\u{043e}ngno.example#key-1",
            NOW - 100,
            "did:web:j\u{043e}ngno.example",
        ),
        good_list.clone(),
    );

    // --- Status lists ------------------------------------------------------------------------
    let st = status_presentation(&w, 7);
    let add_st = |cs: &mut Cases<'_>,
                  name: &'static str,
                  expect: &'static str,
                  desc: &str,
                  input: String,
                  lists: Vec<String>| {
        cs.add(name, expect, desc, input).status_lists = lists;
    };
    add_st(
        &mut cases,
        "status-valid",
        "verified",
        "Status entry 7 is 0 (valid) in a fresh list signed by the issuer.",
        st.clone(),
        vec![status_token(&w.issuer, NOW - 60, &[(6, 1), (8, 2)])],
    );
    add_st(
        &mut cases,
        "status-revoked",
        "revoked",
        "Status entry 7 is 1 (invalid).",
        st.clone(),
        vec![status_token(&w.issuer, NOW - 60, &[(7, 1)])],
    );
    add_st(
        &mut cases,
        "status-suspended",
        "suspended",
        "Status entry 7 is 2 (suspended).",
        st.clone(),
        vec![status_token(&w.issuer, NOW - 60, &[(7, 2)])],
    );
    add_st(
        &mut cases,
        "status-unknown-value",
        "status_unknown",
        "Status entry 7 is 3, a value Dojang does not define: cannot decide.",
        st.clone(),
        vec![status_token(&w.issuer, NOW - 60, &[(7, 3)])],
    );
    add_st(
        &mut cases,
        "status-stale",
        "status_unknown",
        "The list is almost two days old, past the one-day freshness limit.",
        st.clone(),
        vec![status_token(&w.issuer, NOW - 2 * 86_400 + 100, &[])],
    );
    add_st(
        &mut cases,
        "status-missing",
        "status_unknown",
        "No status list held for the credential's URI: cannot decide, never valid.",
        st.clone(),
        vec![],
    );
    add_st(
        &mut cases,
        "status-other-issuer",
        "status_list_wrong_issuer",
        "The list at the credential's URI is signed by another (trusted) issuer.",
        st.clone(),
        vec![status_token(&w.other, NOW - 60, &[])],
    );
    {
        let c = cases.last();
        c.trust = json!({"issuers": [w.issuer.did, w.other.did]});
    }
    add_st(
        &mut cases,
        "status-index-out-of-range",
        "status_index_out_of_range",
        "The credential's index 5000 lies beyond the list's 1024 entries.",
        status_presentation(&w, 5_000),
        vec![status_token(&w.issuer, NOW - 60, &[])],
    );
    add_st(
        &mut cases,
        "status-reference-required",
        "status_missing",
        "The policy requires a status reference and the credential has none.",
        w.bound(&valid_jwt, &[]),
        vec![],
    );
    {
        let c = cases.last();
        c.policy["require_status"] = json!(true);
    }
    add_st(
        &mut cases,
        "status-compression-bomb",
        "status_unknown",
        "The status list inflates to 4 MiB + 1 byte, past the budget: loading it is refused \
         (limit_exceeded), so the credential's status cannot be decided.",
        st.clone(),
        vec![{
            let bytes = 4 * 1024 * 1024 + 1;
            match StatusList::new(8, bytes) {
                Ok(list) => sign_token(
                    &w.issuer.did,
                    &w.issuer.kid,
                    STATUS_URI,
                    NOW - 60,
                    NOW + 86_400,
                    3_600,
                    &list,
                    &w.issuer.sk,
                )
                .unwrap_or_default(),
                Err(_) => String::new(),
            }
        }],
    );
    {
        let c = cases.last();
        c.expect_status_list_load = Some("limit_exceeded");
    }
    add_st(
        &mut cases,
        "status-list-forged",
        "status_unknown",
        "The list claims the issuer but is signed by another key: loading it is refused \
         (status_list_signature_invalid), so the status cannot be decided.",
        st.clone(),
        vec![{
            let forger = Key {
                sk: w.other.sk.clone(),
                did: w.issuer.did.clone(),
                kid: w.issuer.kid.clone(),
            };
            status_token(&forger, NOW - 60, &[])
        }],
    );
    {
        let c = cases.last();
        c.expect_status_list_load = Some("status_list_signature_invalid");
    }

    // --- Log inclusion ---------------------------------------------------------------------
    let log_jwt = valid_jwt.clone();
    let log_input = w.bound(&log_jwt, &[w.name.as_str()]);
    let add_log = |cs: &mut Cases<'_>,
                   name: &'static str,
                   expect: &'static str,
                   desc: &str,
                   bundle: Option<Value>| {
        let c = cs.add(name, expect, desc, log_input.clone());
        c.log_inclusion = bundle;
        c.policy["require_log_inclusion"] = json!(true);
    };
    add_log(
        &mut cases,
        "log-valid",
        "verified",
        "A valid inclusion proof (leaf 2 of 5) to a checkpoint signed by the issuer.",
        Some(log_bundle(&w, &log_jwt, |_| {})),
    );
    add_log(
        &mut cases,
        "log-missing",
        "log_inclusion_missing",
        "The policy requires log inclusion and no proof is given.",
        None,
    );
    add_log(
        &mut cases,
        "log-proof-hash-mutated",
        "log_proof_invalid",
        "One hash of the audit path replaced.",
        Some(log_bundle(&w, &log_jwt, |b| {
            b.proof.hashes[0] = B64.encode([7u8; 32]);
        })),
    );
    add_log(
        &mut cases,
        "log-proof-hash-dropped",
        "log_proof_invalid",
        "The audit path is one hash short.",
        Some(log_bundle(&w, &log_jwt, |b| {
            b.proof.hashes.pop();
        })),
    );
    add_log(
        &mut cases,
        "log-proof-index-moved",
        "log_proof_invalid",
        "The proof claims another leaf index.",
        Some(log_bundle(&w, &log_jwt, |b| b.proof.leaf_index = 3)),
    );
    add_log(
        &mut cases,
        "log-proof-index-beyond-size",
        "log_proof_invalid",
        "The leaf index is not below the tree size.",
        Some(log_bundle(&w, &log_jwt, |b| b.proof.leaf_index = 9)),
    );
    add_log(
        &mut cases,
        "log-proof-size-mismatch",
        "log_proof_invalid",
        "The proof is for another tree size than the checkpoint's.",
        Some(log_bundle(&w, &log_jwt, |b| b.proof.tree_size = 6)),
    );
    add_log(
        &mut cases,
        "log-leaf-other-credential",
        "log_proof_invalid",
        "The leaf is another credential's.",
        Some(log_bundle(&w, &log_jwt, |b| {
            b.leaf = LogLeaf::for_jwt("other-1", VCT, NOW - 1_000, None, None);
        })),
    );
    add_log(
        &mut cases,
        "log-leaf-other-iat",
        "log_proof_invalid",
        "The leaf's `iat` differs from the credential's.",
        Some(log_bundle(&w, &log_jwt, |b| b.leaf.iat = NOW - 99)),
    );
    add_log(
        &mut cases,
        "log-checkpoint-forged",
        "signature_invalid",
        "The checkpoint is signed by another key under the issuer's kid.",
        Some(log_bundle(&w, &log_jwt, |b| {
            let payload = b
                .checkpoint
                .split('.')
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let text =
                String::from_utf8(B64.decode(payload).unwrap_or_default()).unwrap_or_default();
            let h = json!({"typ": "checkpoint+jwt", "alg": "EdDSA", "kid": w.issuer.kid});
            b.checkpoint = sign_raw(&h.to_string(), &text, &w.other.sk);
        })),
    );
    add_log(
        &mut cases,
        "log-checkpoint-signature-flipped",
        "signature_invalid",
        "One bit of the checkpoint signature flipped.",
        Some(log_bundle(&w, &log_jwt, |b| {
            let mut sig = signature_of(&b.checkpoint);
            sig[5] ^= 1;
            b.checkpoint = with_signature(&b.checkpoint, &sig);
        })),
    );

    cases
        .list
        .iter()
        .enumerate()
        .map(|(i, c)| render(i, c))
        .collect()
}

fn render(i: usize, c: &Case) -> Rendered {
    let mut m = Map::new();
    m.insert("name".into(), json!(c.name));
    m.insert("description".into(), json!(c.description));
    m.insert("input".into(), json!(c.input));
    m.insert("trust".into(), c.trust.clone());
    m.insert("status_lists".into(), json!(c.status_lists));
    if let Some(e) = c.expect_status_list_load {
        m.insert("expect_status_list_load".into(), json!(e));
    }
    if let Some(l) = &c.log_inclusion {
        m.insert("log_inclusion".into(), l.clone());
    }
    m.insert("policy".into(), c.policy.clone());
    if c.challenge {
        m.insert("aud".into(), json!(AUD));
        m.insert("nonce".into(), json!(NONCE));
    } else {
        m.insert("aud".into(), Value::Null);
        m.insert("nonce".into(), Value::Null);
    }
    if let Some(s) = c.nonce_store {
        m.insert("nonce_store".into(), json!(s));
    }
    m.insert("now".into(), json!(NOW));
    if !c.claims_absent.is_empty() {
        m.insert("claims_absent".into(), json!(c.claims_absent));
    }
    m.insert("expect".into(), json!(c.expect));
    let mut text = serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default();
    text.push('\n');
    Rendered {
        file: format!("{:03}-{}.json", i + 1, c.name),
        text,
        expect: c.expect.to_owned(),
        description: c.description.clone(),
    }
}

/// The index, `tests/corpus/README.md`.
pub(crate) fn readme(cases: &[Rendered]) -> String {
    let mut out = String::from(
        &"# Adversarial corpus\n\n\
         Generated by `tests/corpus/generate.rs` from `tests/corpus/cases.rs`; do not edit the \
         files by hand. Regenerate after changing the generator:\n\n\
         ```sh\ncargo run -p dojang-tests --bin gen-corpus\n```\n\n\
         `tests/tests/corpus.rs` rebuilds every case in process and fails when a file differs \
         from what the generator makes (drift), when one is missing or extra, when\n\
         `dojang_verifier::verify` gives another code than `expect`, and when `dojang verify` \
         (for the cases its flags can express) gives another code or panics.\n\n\
         Everything is fixed: keys from seeds (`SigningKey::from_bytes(&[n; 32])`), salts, and \
         times (`now` = 1780000000, NOW_RFC3339), so the output is byte-identical on \
         every run.\n\n\
         Each case is one JSON object: `input` (the presentation), `trust` (`issuers`: trusted \
         DIDs, or `root_key` + `trust_list`), `status_lists` (Status List Tokens to load first; \
         `expect_status_list_load` is the code loading one must fail with), `log_inclusion` \
         (a log proof bundle), `policy`, `aud` and `nonce` (null: no challenge), `nonce_store` \
         (`shared`: one memory store, with the nonce issued once, across every case so marked, \
         in order; `empty`: a store that never issued it), `now`, `claims_absent` (claims a \
         verified result must not have) and `expect` (an error code of `specs/errors.md`, or \
         `verified`).\n\n\
         Decisions worth knowing:\n\n\
         - Claim names are exact code points: `nаme` (Cyrillic а) verifies as its own claim and \
         never stands in for `name`.\n\
         - Small-order Ed25519 keys are refused when a key is read (DID, JWK), before \
         `verify_strict` would refuse them; a non-canonical signature (S ≥ L) is \
         `signature_invalid`.\n\
         - A status list that cannot be loaded (compression bomb, forged) leaves the status \
         undecided: `status_unknown`, never valid.\n\n\
         | # | case | expect | what |\n|---|---|---|---|\n"
            .replace("NOW_RFC3339", NOW_RFC3339),
    );
    for c in cases {
        let (num, name) = c.file.split_at(3);
        let name = name.trim_start_matches('-').trim_end_matches(".json");
        let what = c.description.replace('|', "\\|");
        out.push_str(&format!(
            "| {num} | [{name}](cases/{}) | `{}` | {what} |\n",
            c.file, c.expect
        ));
    }
    out
}
