//! Fixed keys and the inputs built from them, once per process.

use std::sync::OnceLock;

use dojang_did::{did_for_key, DidMethod, PrivateJwk, PublicJwk};
use dojang_vc::disclosure::{self, Disclosure, SD_ALG};
use dojang_vc::jws::sign_eddsa;
use dojang_vc::log::{sign_checkpoint, Checkpoint, LogLeaf};
use dojang_vc::merkle::{Hash, Tree};
use dojang_vc::present::present;
use dojang_vc::sd_jwt_vc::{NON_DISCLOSABLE, TYP};
use dojang_vc::status_list::StatusReference;
use dojang_vc::trust_list::{RelyingParty, TrustList};
use dojang_vc::{join, VcError, VerificationKey};
use dojang_verifier::workload::{self, Workload, AUD, NONCE, STATUS_IDX, STATUS_URI, VCT};
use ed25519_dalek::SigningKey;
use serde_json::{json, Map, Value};

/// The verifier's clock in every target (the workload's and the adversarial corpus's).
pub const NOW: i64 = workload::NOW;
/// The issuer's key seed (the corpus's issuer too).
pub const ISSUER_SEED: u8 = 1;
/// The holder's key seed (the corpus's holder too).
pub const HOLDER_SEED: u8 = 2;
/// The trust-list root's key seed (the corpus's root too).
pub const ROOT_SEED: u8 = 4;
/// The relying party's key seed (signs request objects).
pub const RP_SEED: u8 = 8;
/// The root's key id, as the corpus's trust lists name it.
pub const ROOT_KID: &str = "did:web:mois.example#root-1";
/// The credential issuer's identifier for key proofs (OpenID4VCI `aud`).
pub const ISSUER_URL: &str = "https://jongno.example";
/// The relying party's id (OpenID4VP `client_id`).
pub const CLIENT_ID: &str = AUD;
/// The adversarial corpus's status list URI.
pub const STATUS_URI_CORPUS: &str = "https://issuer.example/status/0";
/// Leaves in the fixed transparency log.
pub const LOG_LEAVES: u64 = 32;

/// The Ed25519 key from a one-byte seed.
pub fn key(seed: u8) -> PrivateJwk {
    PrivateJwk::new(SigningKey::from_bytes(&[seed; 32]))
}

/// The public key of [`key`] as a verification key.
pub fn verification_key(seed: u8) -> VerificationKey {
    VerificationKey::Ed25519(key(seed).public())
}

/// The did:key DID and `kid` of a seeded key.
pub fn did_and_kid(seed: u8) -> (String, String) {
    did_for_key(&key(seed).public(), DidMethod::Key)
}

/// The verifier's fixed inputs and a presentation that verifies with them.
pub struct Pipeline {
    /// Trust list, status list, policy and challenge, as `Workload::new` builds them, with fixed
    /// keys; `presentation` is the valid presentation.
    pub workload: Workload,
    /// The valid presentation's issuer-signed JWT.
    pub issuer_jwt: String,
    /// The valid presentation's Disclosures, in order.
    pub disclosures: Vec<String>,
    /// Every Disclosure the issuer made (the presentation holds some of them).
    pub all_disclosures: Vec<String>,
}

/// The verifier's inputs, built once per process. Panics if the fixture presentation does not
/// verify: that is a broken harness, not a finding.
pub fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| match build_pipeline() {
        Ok(p) => {
            let outcome = dojang_verifier::verify(&p.workload.presentation, &p.workload.inputs());
            if let Err(e) = &outcome.result {
                panic!("the fixture presentation does not verify: {}", e.code());
            }
            p
        }
        Err(e) => panic!("the fixture could not be built: {}", e.code()),
    })
}

fn build_pipeline() -> Result<Pipeline, VcError> {
    let root = key(ROOT_SEED);
    let issuer = key(ISSUER_SEED);
    let holder = key(HOLDER_SEED);
    let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
    let (jwt, all) = issue_fixed(&issuer, &did, &kid, &holder.public())?;
    let issued = join(&jwt, all.iter().map(Disclosure::as_str));
    let paths: Vec<String> = workload::DISCLOSE.iter().map(|s| (*s).to_owned()).collect();
    let presentation = present(&issued, &paths, AUD, NONCE, NOW, holder.signing_key())?.text;
    let disclosures = presentation
        .split('~')
        .skip(1)
        .filter(|d| !d.is_empty() && !d.contains('.'))
        .map(str::to_owned)
        .collect();
    let list = workload_trust_list(&did, &kid, &issuer.public());
    Ok(Pipeline {
        workload: Workload::assemble(&root, issuer, holder, &list, presentation)?,
        issuer_jwt: jwt,
        disclosures,
        all_disclosures: all.iter().map(|d| d.as_str().to_owned()).collect(),
    })
}

/// The workload's trust list (`workload::trust_list`) with one relying party.
pub fn workload_trust_list(did: &str, kid: &str, issuer: &PublicJwk) -> TrustList {
    let mut list = workload::trust_list(did, kid, issuer);
    list.relying_parties = vec![RelyingParty {
        id: CLIENT_ID.into(),
        name_ko: "은행".into(),
        name_en: "Bank".into(),
        keys: vec![key(RP_SEED).public().to_json()],
        entitlements: [(VCT.to_owned(), vec!["name".to_owned()])]
            .into_iter()
            .collect(),
    }];
    list
}

/// The workload's 등본, issued like `issue_household` but with fixed salts and decoys, so that
/// the issuer JWT (and so every presentation of it) is the same in every process.
fn issue_fixed(
    issuer: &PrivateJwk,
    did: &str,
    kid: &str,
    holder: &PublicJwk,
) -> Result<(String, Vec<Disclosure>), VcError> {
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(TYP));
    header.insert("kid".into(), Value::from(kid));
    let mut payload = Map::new();
    payload.insert("iss".into(), Value::from(did));
    payload.insert("vct".into(), Value::from(VCT));
    payload.insert("iat".into(), Value::from(NOW - 86_400));
    payload.insert("exp".into(), Value::from(NOW + 365 * 86_400));
    payload.insert("cnf".into(), json!({ "jwk": holder.to_json() }));
    payload.insert(
        "status".into(),
        StatusReference {
            idx: STATUS_IDX,
            uri: STATUS_URI.into(),
        }
        .to_claim(),
    );
    let claims = workload::household_claims(0);
    let disclosable: Map<String, Value> = claims
        .into_iter()
        .filter(|(k, _)| !NON_DISCLOSABLE.contains(&k.as_str()))
        .collect();
    let mut counter = 0usize;
    let mut disclosures = Vec::new();
    for (k, v) in conceal_object(&disclosable, &mut counter, &mut disclosures) {
        payload.insert(k, v);
    }
    payload.insert("_sd_alg".into(), Value::from(SD_ALG));
    let jwt = sign_eddsa(&header, &payload, issuer.signing_key())?;
    Ok((jwt, disclosures))
}

fn next_salt(counter: &mut usize) -> String {
    *counter += 1;
    format!("fuzz-salt-{counter:04}")
}

fn conceal_object(
    obj: &Map<String, Value>,
    counter: &mut usize,
    out: &mut Vec<Disclosure>,
) -> Map<String, Value> {
    let mut digests = Vec::new();
    for (name, value) in obj {
        let mut children = Vec::new();
        let concealed = conceal_value(value, counter, &mut children);
        let d = Disclosure::with_salt(next_salt(counter), Some(name), concealed);
        digests.push(d.digest().to_owned());
        out.push(d);
        out.append(&mut children);
    }
    for _ in 0..2 {
        digests.push(disclosure::digest(&next_salt(counter)));
    }
    digests.sort();
    let mut result = Map::new();
    result.insert(
        "_sd".into(),
        Value::Array(digests.into_iter().map(Value::from).collect()),
    );
    result
}

fn conceal_value(value: &Value, counter: &mut usize, out: &mut Vec<Disclosure>) -> Value {
    match value {
        Value::Object(o) => Value::Object(conceal_object(o, counter, out)),
        Value::Array(items) => {
            let mut elements = Vec::new();
            for item in items {
                let mut children = Vec::new();
                let concealed = conceal_value(item, counter, &mut children);
                let d = Disclosure::with_salt(next_salt(counter), None, concealed);
                elements.push(json!({ "...": d.digest() }));
                out.push(d);
                out.append(&mut children);
            }
            let decoy = disclosure::digest(&next_salt(counter));
            elements.insert(elements.len().min(1), json!({ "...": decoy }));
            Value::Array(elements)
        }
        other => other.clone(),
    }
}

/// A fixed transparency log of [`LOG_LEAVES`] leaves and a checkpoint, signed by the issuer
/// (seed [`ISSUER_SEED`]), for every size from 0 to [`LOG_LEAVES`].
pub struct Log {
    /// The leaves.
    pub leaves: Vec<LogLeaf>,
    /// Their hashes.
    pub hashes: Vec<Hash>,
    /// The tree.
    pub tree: Tree,
    /// `checkpoints[n]`: the signed checkpoint of the first `n` leaves.
    pub checkpoints: Vec<String>,
    /// The issuer's key, to verify checkpoints with.
    pub key: VerificationKey,
}

/// The fixed log, built once per process.
pub fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let issuer = key(ISSUER_SEED);
        let (did, kid) = did_and_kid(ISSUER_SEED);
        let leaves: Vec<LogLeaf> = (0..LOG_LEAVES)
            .map(|i| {
                let status = (i % 3 == 0).then_some(i * 7);
                LogLeaf::for_jwt(
                    &format!("fuzz-credential-{i}"),
                    VCT,
                    NOW - 10_000 + i64::try_from(i).unwrap_or(0),
                    status.map(|_| STATUS_URI),
                    status,
                )
            })
            .collect();
        let hashes: Vec<Hash> = leaves.iter().map(LogLeaf::hash).collect();
        let tree = Tree::from_leaves(&hashes);
        let checkpoints = (0..=LOG_LEAVES)
            .map(|n| {
                let root = tree.root(n).unwrap_or_default();
                let cp = Checkpoint::new(&did, n, &root, NOW - 50);
                sign_checkpoint(&cp, &kid, issuer.signing_key()).unwrap_or_default()
            })
            .collect();
        Log {
            leaves,
            hashes,
            tree,
            checkpoints,
            key: VerificationKey::Ed25519(issuer.public()),
        }
    })
}

/// The relying party's response-encryption key pair `(private, public)`, made once per process
/// (EC P-256; fresh each process, so only seeds that are not encrypted responses carry over).
pub fn response_key() -> &'static (Value, Value) {
    static KEY: OnceLock<(Value, Value)> = OnceLock::new();
    KEY.get_or_init(|| match dojang_vc::oid4vp::generate_response_key() {
        Ok(pair) => pair,
        Err(e) => panic!("no response key: {}", e.code()),
    })
}
