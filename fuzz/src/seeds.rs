//! Seed corpora, built at run time from the repository's vectors and adversarial corpus plus the
//! fixtures. A target writes its seeds when [`SEED_DIR_ENV`] names a directory (see
//! [`write_if_requested`]); `scripts/fuzz` sets it before each run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dojang_vc::jws::sign_eddsa_raw;
use dojang_vc::key_binding;
use dojang_vc::log::{ConsistencyProof, InclusionProof};
use dojang_vc::oid4vci::{
    self, CredentialOffer, CredentialRequest, Grants, PreAuthorizedCodeGrant, TokenRequest,
    TxCodeSpec,
};
use dojang_vc::oid4vp::{self, DcqlQuery, RequestObject, ResponseMode};
use dojang_vc::status_list::{sign_token, StatusList};
use dojang_vc::trust_list::sign_trust_list;
use dojang_vc::{Budget, Jws, JwtPart};
use serde_json::{json, Value};

use crate::fixtures::{self, NOW};
use crate::with_mode;

/// The environment variable naming the directory a target writes its seeds into.
pub const SEED_DIR_ENV: &str = "DOJANG_FUZZ_SEED_DIR";

/// Writes the seeds of `target` into the directory named by [`SEED_DIR_ENV`], if it is set.
/// Called from each target's `init`, before libFuzzer reads its corpus directory.
pub fn write_if_requested(target: &str) {
    let Some(dir) = std::env::var_os(SEED_DIR_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    if let Err(e) = write(target, &dir) {
        eprintln!("seeds for {target}: {e}");
        std::process::exit(2);
    }
}

fn write(target: &str, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let seeds = for_target(target);
    let mut seen = BTreeSet::new();
    let mut written = 0usize;
    for (label, bytes) in seeds {
        if !seen.insert(bytes.clone()) {
            continue;
        }
        let name: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect();
        std::fs::write(dir.join(format!("seed-{written:04}-{name}")), &bytes)?;
        written += 1;
    }
    eprintln!("seeds for {target}: {written} written to {}", dir.display());
    Ok(())
}

/// The seeds of one target, labelled.
pub fn for_target(target: &str) -> Vec<(String, Vec<u8>)> {
    let repo = repo_root();
    let corpus = Corpus::load(&repo);
    match target {
        "sd_jwt_parse" => sd_jwt_parse(&repo, &corpus),
        "verify_presentation" => verify_presentation(&corpus),
        "did_parse" => did_parse(&repo, &corpus),
        "status_list" => status_list(&repo, &corpus),
        "trust_list" => trust_list(&corpus),
        "log_proof" => log_proof(&corpus),
        "http_bodies" => http_bodies(&corpus),
        _ => Vec::new(),
    }
}

/// The repository root: the fuzz crate's parent directory.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// What the adversarial corpus (`tests/corpus/cases/*.json`) holds, by kind.
#[derive(Default)]
struct Corpus {
    /// (case name, presentation).
    inputs: Vec<(String, String)>,
    trust_lists: Vec<(String, String)>,
    status_lists: Vec<(String, String)>,
    log_inclusions: Vec<(String, Value)>,
    /// Every string in every case, for DIDs and JWKs.
    values: Vec<Value>,
}

impl Corpus {
    fn load(repo: &Path) -> Self {
        let mut c = Corpus::default();
        let mut files = files_under(&repo.join("tests/corpus/cases"));
        files.retain(|f| f.extension().is_some_and(|e| e == "json"));
        for file in files {
            let Some(case) = read_json(&file) else {
                continue;
            };
            let name = case["name"].as_str().unwrap_or("case").to_owned();
            if let Some(input) = case["input"].as_str() {
                c.inputs.push((name.clone(), input.to_owned()));
            }
            if let Some(list) = case["trust"]["trust_list"].as_str() {
                c.trust_lists.push((name.clone(), list.to_owned()));
            }
            for token in case["status_lists"].as_array().into_iter().flatten() {
                if let Some(t) = token.as_str() {
                    c.status_lists.push((name.clone(), t.to_owned()));
                }
            }
            if case["log_inclusion"].is_object() {
                c.log_inclusions
                    .push((name.clone(), case["log_inclusion"].clone()));
            }
            c.values.push(case);
        }
        c
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn strings_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings_in(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

fn objects_in<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(a) => a.iter().for_each(|v| objects_in(v, out)),
        Value::Object(o) => {
            out.push(value);
            o.values().for_each(|v| objects_in(v, out));
        }
        _ => {}
    }
}

/// Words of a text file that start with `prefix`, cut at quotes, brackets and whitespace.
fn words_with_prefix(text: &str, prefix: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "\"'`<>()[]{},".contains(c))
        .filter(|w| w.starts_with(prefix) && w.len() > prefix.len())
        .map(|w| w.trim_end_matches(['.', ';', ':']).to_owned())
        .collect()
}

fn unverified_payload(token: &str) -> Option<Vec<u8>> {
    let jws = Jws::parse(token, &Budget::default(), JwtPart::Issuer).ok()?;
    serde_json::to_vec(jws.unverified_payload()).ok()
}

fn text(label: impl Into<String>, s: &str) -> (String, Vec<u8>) {
    (label.into(), s.as_bytes().to_vec())
}

fn moded(label: impl Into<String>, mode: u8, rest: &[u8]) -> (String, Vec<u8>) {
    (label.into(), with_mode(mode, rest))
}

// ---------------------------------------------------------------------------------------------

fn sd_jwt_parse(repo: &Path, corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = corpus
        .inputs
        .iter()
        .map(|(n, i)| text(format!("corpus-{n}"), i))
        .collect();
    let p = fixtures::pipeline();
    out.push(text("fixture-presentation", &p.workload.presentation));
    for file in files_under(&repo.join("tests/vectors/sd-jwt-generated")) {
        if file.extension().is_some_and(|e| e == "txt") {
            if let Ok(t) = std::fs::read_to_string(&file) {
                let label = file
                    .parent()
                    .and_then(Path::file_name)
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(text(format!("py-{label}"), t.trim()));
            }
        }
    }
    // Published Disclosures, each behind a placeholder JWT.
    if let Some(v) = read_json(&repo.join("tests/vectors/sd-jwt-spec/spec-literal-vectors.json")) {
        let mut strings = Vec::new();
        strings_in(&v, &mut strings);
        for s in strings.iter().filter(|s| s.starts_with("Wy")) {
            out.push(text(
                "spec-disclosure",
                &format!("eyJhbGciOiJFZERTQSJ9.e30.c2ln~{s}~"),
            ));
        }
    }
    out
}

fn verify_presentation(corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
    let p = fixtures::pipeline();
    let w = &p.workload;
    let mut out = Vec::new();
    // Mode 0: the whole presentation.
    out.push(moded("m0-valid", 0, w.presentation.as_bytes()));
    for (n, input) in &corpus.inputs {
        out.push(moded(format!("m0-corpus-{n}"), 0, input.as_bytes()));
    }
    // Mode 1: the fixture's issuer JWT, then the fuzzer's Disclosures and KB-JWT.
    let tail = w
        .presentation
        .strip_prefix(&format!("{}~", p.issuer_jwt))
        .unwrap_or_default();
    out.push(moded("m1-valid-tail", 1, tail.as_bytes()));
    let all = format!("{}~", p.all_disclosures.join("~"));
    out.push(moded("m1-all-disclosures", 1, all.as_bytes()));
    // Mode 2: Disclosures, `~`-separated; the target binds them with a fresh KB-JWT.
    out.push(moded("m2-presented", 2, p.disclosures.join("~").as_bytes()));
    out.push(moded("m2-all", 2, p.all_disclosures.join("~").as_bytes()));
    out.push(moded("m2-none", 2, b""));
    // Mode 3: the KB-JWT payload, signed by the holder over the valid Disclosures.
    let presented = format!("{}~{}~", p.issuer_jwt, p.disclosures.join("~"));
    let kb = json!({
        "iat": NOW, "aud": w.challenge.aud, "nonce": w.challenge.nonce,
        "sd_hash": key_binding::sd_hash(&presented),
    });
    out.push(moded("m3-kb-payload", 3, kb.to_string().as_bytes()));
    out
}

fn did_parse(repo: &Path, corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dids = BTreeSet::new();
    let mut jsons = Vec::new();
    let vectors = repo.join("tests/vectors");
    for file in files_under(&vectors) {
        let Ok(t) = std::fs::read_to_string(&file) else {
            continue;
        };
        dids.extend(words_with_prefix(&t, "did:"));
        if let Ok(v) = serde_json::from_str::<Value>(&t) {
            let mut objects = Vec::new();
            objects_in(&v, &mut objects);
            for o in objects {
                if o.get("kty").is_some() || o.get("verificationMethod").is_some() {
                    jsons.push(o.to_string());
                }
            }
        }
    }
    for case in &corpus.values {
        let mut strings = Vec::new();
        strings_in(case, &mut strings);
        dids.extend(strings.into_iter().filter(|s| s.starts_with("did:")));
        let mut objects = Vec::new();
        objects_in(case, &mut objects);
        jsons.extend(
            objects
                .into_iter()
                .filter(|o| o.get("kty").is_some())
                .map(Value::to_string),
        );
    }
    for seed in [fixtures::ISSUER_SEED, fixtures::HOLDER_SEED] {
        let (did, kid) = fixtures::did_and_kid(seed);
        dids.insert(did);
        dids.insert(kid);
        let jwk = fixtures::key(seed).public();
        let (did, kid) = dojang_did::did_for_key(&jwk, dojang_did::DidMethod::Jwk);
        dids.insert(did);
        dids.insert(kid);
        jsons.push(jwk.to_json().to_string());
        jsons.push(fixtures::key(seed).to_json().to_string());
        let doc = dojang_did::DidDocument::for_key(&jwk, dojang_did::DidMethod::Key);
        jsons.push(doc.to_json().to_string());
    }
    out.extend(dids.iter().map(|d| text("did", d)));
    let unique: BTreeSet<String> = jsons.into_iter().collect();
    out.extend(unique.iter().map(|j| text("json", j)));
    out
}

fn status_list(repo: &Path, corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    // Mode 0: bits, then `lst`.
    if let Some(v) = read_json(&repo.join("tests/vectors/token-status-list/tsl-vectors.json")) {
        for vector in v["vectors"].as_array().into_iter().flatten() {
            let (Some(bits), Some(lst)) = (vector["bits"].as_u64(), vector["lst"].as_str()) else {
                continue;
            };
            let mut rest = vec![u8::try_from(bits).unwrap_or(1)];
            rest.extend_from_slice(lst.as_bytes());
            let name = vector["name"].as_str().unwrap_or("tsl");
            out.push(moded(format!("m0-{name}"), 0, &rest));
        }
    }
    let mut tokens: Vec<(String, String)> = corpus.status_lists.clone();
    for file in files_under(&repo.join("tests/vectors/token-status-list/examples")) {
        if let Ok(t) = std::fs::read_to_string(&file) {
            for w in words_with_prefix(&t, "ey") {
                if w.split('.').count() == 3 {
                    tokens.push(("example".into(), w));
                }
            }
        }
    }
    let issuer = fixtures::key(fixtures::ISSUER_SEED);
    let (did, kid) = fixtures::did_and_kid(fixtures::ISSUER_SEED);
    if let Ok(mut list) = StatusList::new(2, 64) {
        let _ = list.set(7, 1);
        let _ = list.set(9, 2);
        if let Ok(t) = sign_token(
            &did,
            &kid,
            fixtures::STATUS_URI_CORPUS,
            NOW - 600,
            NOW + 86_400,
            3600,
            &list,
            issuer.signing_key(),
        ) {
            tokens.push(("fixture".into(), t));
        }
    }
    for (n, t) in &tokens {
        // Mode 1: a token; mode 2: its payload, which the target signs.
        out.push(moded(format!("m1-{n}"), 1, t.as_bytes()));
        if let Some(payload) = unverified_payload(t) {
            out.push(moded(format!("m2-{n}"), 2, &payload));
            // Its `lst` under mode 0 too (the compression bomb of the corpus among them).
            if let Ok(v) = serde_json::from_slice::<Value>(&payload) {
                let sl = &v["status_list"];
                if let (Some(bits), Some(lst)) = (sl["bits"].as_u64(), sl["lst"].as_str()) {
                    let mut rest = vec![u8::try_from(bits).unwrap_or(1)];
                    rest.extend_from_slice(lst.as_bytes());
                    out.push(moded(format!("m0-{n}"), 0, &rest));
                }
            }
        }
    }
    out
}

fn trust_list(corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut tokens = corpus.trust_lists.clone();
    let (did, kid) = fixtures::did_and_kid(fixtures::ISSUER_SEED);
    let list =
        fixtures::workload_trust_list(&did, &kid, &fixtures::key(fixtures::ISSUER_SEED).public());
    if let Ok(t) = sign_trust_list(
        &list,
        fixtures::ROOT_KID,
        fixtures::key(fixtures::ROOT_SEED).signing_key(),
    ) {
        tokens.push(("fixture".into(), t));
    }
    for (n, t) in &tokens {
        out.push(moded(format!("m0-{n}"), 0, t.as_bytes()));
        if let Some(payload) = unverified_payload(t) {
            out.push(moded(format!("m1-{n}"), 1, &payload));
            out.push(moded(format!("m2-{n}"), 2, &payload));
        }
    }
    out
}

fn log_proof(corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let log = fixtures::log();
    // Mode 0: a bundle as the wallet keeps it and `dojang verify --log-inclusion` reads it.
    for (n, bundle) in &corpus.log_inclusions {
        out.push(moded(format!("m0-{n}"), 0, bundle.to_string().as_bytes()));
        // Mode 3: its parts.
        if let Some(cp) = bundle["checkpoint"].as_str() {
            out.push(moded(format!("m3-checkpoint-{n}"), 3, cp.as_bytes()));
        }
        out.push(moded(
            format!("m3-proof-{n}"),
            3,
            bundle["proof"].to_string().as_bytes(),
        ));
    }
    for (i, size) in [(0u64, 1u64), (2, 5), (13, 32), (31, 32)] {
        let (Ok(hashes), Some(leaf), Some(cp)) = (
            log.tree.inclusion_proof(i, size),
            log.leaves.get(usize::try_from(i).unwrap_or(0)),
            log.checkpoints.get(usize::try_from(size).unwrap_or(0)),
        ) else {
            continue;
        };
        let bundle = json!({
            "leaf": leaf, "proof": InclusionProof::new(i, size, &hashes), "checkpoint": cp,
        });
        out.push(moded(
            format!("m0-fixture-{i}-{size}"),
            0,
            bundle.to_string().as_bytes(),
        ));
        out.push(moded(format!("m3-leaf-{i}"), 3, &leaf.to_bytes()));
        out.push(moded(format!("m3-checkpoint-{size}"), 3, cp.as_bytes()));
        // Mode 2: leaf count, index, size (one byte each), then proof operations.
        out.push(moded(
            format!("m2-{i}-{size}"),
            2,
            &[
                u8::try_from(size).unwrap_or(1),
                u8::try_from(i).unwrap_or(0),
                u8::try_from(size).unwrap_or(1),
            ],
        ));
    }
    // Mode 1: old size, new size, then the consistency proof's JSON.
    for (old, new) in [(0u64, 5u64), (3, 7), (4, 8), (5, 32), (32, 32), (1, 2)] {
        if let Ok(hashes) = log.tree.consistency_proof(old, new) {
            let proof = ConsistencyProof::new(old, new, &hashes);
            if let Ok(json) = serde_json::to_vec(&proof) {
                let mut rest = vec![
                    u8::try_from(old).unwrap_or(0),
                    u8::try_from(new).unwrap_or(0),
                ];
                rest.extend_from_slice(&json);
                out.push(moded(format!("m1-{old}-{new}"), 1, &rest));
            }
        }
    }
    out
}

fn http_bodies(corpus: &Corpus) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let holder = fixtures::key(fixtures::HOLDER_SEED);
    // 0: token request form.
    out.push(moded(
        "m0-token",
        0,
        TokenRequest::pre_authorized("code-123", Some("493817"))
            .to_form()
            .as_bytes(),
    ));
    out.push(moded(
        "m0-token-no-tx",
        0,
        TokenRequest::pre_authorized("c%2Bd e", None)
            .to_form()
            .as_bytes(),
    ));
    // 1: credential request with a proof; 2: a proof payload, signed by the target.
    let proof_payload = json!({"aud": fixtures::ISSUER_URL, "nonce": "c-nonce-1", "iat": NOW});
    if let Ok(jwt) = oid4vci::sign_proof(
        &holder.public(),
        fixtures::ISSUER_URL,
        "c-nonce-1",
        NOW,
        holder.signing_key(),
    ) {
        let request = CredentialRequest::with_proof("resident-registration-copy", jwt.clone());
        if let Ok(body) = serde_json::to_vec(&request) {
            out.push(moded("m1-credential-request", 1, &body));
        }
        let drafts = json!({"credential_configuration_id": "x",
                            "proof": {"proof_type": "jwt", "jwt": jwt}});
        out.push(moded(
            "m1-credential-request-draft",
            1,
            drafts.to_string().as_bytes(),
        ));
    }
    out.push(moded(
        "m2-proof-payload",
        2,
        proof_payload.to_string().as_bytes(),
    ));
    // 3: wallet-side response bodies.
    let offer = CredentialOffer {
        credential_issuer: fixtures::ISSUER_URL.into(),
        credential_configuration_ids: vec!["resident-registration-copy".into()],
        grants: Grants {
            pre_authorized_code: PreAuthorizedCodeGrant {
                pre_authorized_code: "code-123".into(),
                tx_code: Some(TxCodeSpec {
                    length: Some(6),
                    input_mode: Some("numeric".into()),
                    description: Some("code".into()),
                }),
            },
        },
    };
    if let Ok(body) = serde_json::to_vec(&offer) {
        out.push(moded("m3-offer", 3, &body));
    }
    for body in [
        json!({"access_token": "t", "token_type": "Bearer", "expires_in": 300}),
        json!({"c_nonce": "n"}),
        json!({"credentials": [{"credential": "a~b~"}], "notification_id": "x"}),
        json!({"error": "invalid_proof", "error_description": "bad"}),
        json!({"credential_issuer": fixtures::ISSUER_URL,
               "credential_endpoint": "https://jongno.example/credential",
               "credential_configurations_supported": {}}),
    ] {
        out.push(moded("m3-response", 3, body.to_string().as_bytes()));
    }
    // 4: links.
    out.push(moded(
        "m4-offer-link",
        4,
        oid4vci::offer_uri_by_value(&offer).as_bytes(),
    ));
    out.push(moded(
        "m4-offer-ref",
        4,
        oid4vci::offer_uri("https://jongno.example/offer/1").as_bytes(),
    ));
    out.push(moded(
        "m4-request-link",
        4,
        oid4vp::request_uri(fixtures::CLIENT_ID, "https://bank.example/request/1").as_bytes(),
    ));
    // 5: a signed request object; 6: its payload, signed by the target.
    let request = request_object();
    let rp = fixtures::key(fixtures::RP_SEED);
    if let Ok(jwt) =
        oid4vp::sign_request_object(&request, "https://bank.example#rp-1", rp.signing_key())
    {
        out.push(moded("m5-request-object", 5, jwt.as_bytes()));
    }
    if let Ok(payload) = serde_json::to_vec(&request) {
        out.push(moded("m6-request-object-payload", 6, &payload));
    }
    let mut encrypted = request.clone();
    encrypted.response_mode = ResponseMode::DirectPostJwt;
    encrypted.client_metadata = serde_json::from_value(json!({
        "jwks": {"keys": [fixtures::response_key().1]},
        "encrypted_response_enc_values_supported": [oid4vp::JWE_ENC],
    }))
    .ok();
    if let Ok(payload) = serde_json::to_vec(&encrypted) {
        out.push(moded("m6-request-object-jwt-mode", 6, &payload));
    }
    // 7: direct_post bodies.
    let p = fixtures::pipeline();
    let token = oid4vp::vp_token(&[("resident", &p.workload.presentation)]);
    out.push(moded(
        "m7-direct-post",
        7,
        oid4vp::direct_post_form(&token, "state-1").as_bytes(),
    ));
    for (n, input) in corpus.inputs.iter().take(8) {
        let token = oid4vp::vp_token(&[("q", input)]);
        out.push(moded(
            format!("m7-{n}"),
            7,
            oid4vp::direct_post_form(&token, "s").as_bytes(),
        ));
    }
    out.push(moded(
        "m7-declined",
        7,
        oid4vp::form_urlencode(&[("error", "access_denied"), ("state", "s")]).as_bytes(),
    ));
    let payload = oid4vp::response_payload(&token, "state-1");
    if let Ok(jwe) = oid4vp::encrypt_response(&payload, &fixtures::response_key().1) {
        out.push(moded(
            "m7-direct-post-jwt",
            7,
            oid4vp::direct_post_jwt_form(&jwe).as_bytes(),
        ));
    }
    // 8: a response payload the target encrypts and decrypts.
    out.push(moded(
        "m8-response-payload",
        8,
        payload.to_string().as_bytes(),
    ));
    out
}

/// The request object the relying party of the fixtures signs.
pub fn request_object() -> RequestObject {
    RequestObject {
        client_id: fixtures::CLIENT_ID.into(),
        response_type: oid4vp::RESPONSE_TYPE_VP_TOKEN.into(),
        response_mode: ResponseMode::DirectPost,
        response_uri: "https://bank.example/response".into(),
        nonce: "nonce-1".into(),
        state: "state-1".into(),
        dcql_query: DcqlQuery::single(
            "resident",
            dojang_verifier::workload::VCT,
            &["name".to_owned(), "address.road_address".to_owned()],
        ),
        client_metadata: None,
        iat: NOW - 10,
        exp: NOW + 300,
        purpose: Some("계좌 개설".into()),
        aud: oid4vp::SELF_ISSUED_AUD.into(),
    }
}

/// Signs `payload` bytes exactly as given under `header` with the key of `seed`.
pub fn sign_raw(header: &Value, payload: &[u8], seed: u8) -> Option<String> {
    let header = serde_json::to_vec(header).ok()?;
    sign_eddsa_raw(&header, payload, fixtures::key(seed).signing_key()).ok()
}
