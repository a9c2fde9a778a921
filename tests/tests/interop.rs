//! Interop: Dojang against two independent SD-JWT VC implementations.
//!
//! The peers (`tests/interop/python/peer.py` on the SD-JWT reference implementation,
//! `tests/interop/node/peer.mjs` on the `@sd-jwt/*` TypeScript libraries) issue and verify SD-JWT
//! VCs with Ed25519 keys and KB-JWTs. For issuers named by did:key and by did:jwk:
//! - Dojang issues and presents; both peers verify, and see exactly the disclosed claims;
//! - each peer issues and presents; `dojang verify` accepts it, and rejects it (exit code 1) once a
//!   disclosure is tampered with or when the nonce is not the one it asked for.
//!
//! First the peers are checked against each other, without Dojang, so that a failure below points
//! at Dojang rather than at a peer. Claim values are Hangul and Hanja, nested objects and arrays.
//!
//! Run with `scripts/test`, which installs the peers; without them these tests fail, saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_tests::{dojang, node_peer, python_peer, run, Output, COMMAND_TIMEOUT};
use serde_json::{json, Value};
use tempfile::TempDir;

const VCT: &str = "urn:dojang:interop:test";
const AUD: &str = "https://bank.example/verifier";
const NONCE: &str = "nonce-6Jp2f0Qm1zK";
const WRONG_NONCE: &str = "nonce-6Jp2f0Qm1zL";

/// Paths the holder discloses: a top-level claim, a nested member, an array element, and a member
/// of an object inside an array.
const DISCLOSE: &str = "given_name,address.locality,nationalities.1,household_members.0.name";

/// A 주민등록표 초본-like set of claims: Hangul and Hanja, nested objects, arrays of strings and of
/// objects.
fn claims() -> Value {
    json!({
        "given_name": "민준",
        "family_name": "김",
        "name_hanja": "金敏俊",
        "birthdate": "1990-01-01",
        "resident_registration_number": "900101-1234567",
        "address": {
            "road_address": "서울특별시 종로구 세종대로 209",
            "locality": "종로구",
            "postal_code": "03154"
        },
        "nationalities": ["KR", "US"],
        "household_members": [
            { "relation": "배우자", "name": "이서연" },
            { "relation": "자녀", "name": "김하준" }
        ],
        "age_over_19": true
    })
}

/// What a verifier must see of [`claims`] after [`DISCLOSE`]: that and nothing else.
fn disclosed() -> Value {
    json!({
        "given_name": "민준",
        "address": { "locality": "종로구" },
        "nationalities": ["US"],
        "household_members": [{ "name": "이서연" }]
    })
}

/// Claims that describe the credential rather than its subject: registered JWT claims and the
/// SD-JWT VC ones. Everything else a verifier sees is personal and must have been disclosed.
const NON_PERSONAL_CLAIMS: &[&str] = &[
    "iss",
    "iat",
    "nbf",
    "exp",
    "vct",
    "vct#integrity",
    "cnf",
    "status",
    "_sd_alg",
];

fn personal(claims: &Value) -> Value {
    let mut claims = claims
        .as_object()
        .unwrap_or_else(|| panic!("claims must be a JSON object: {claims}"))
        .clone();
    claims.retain(|k, _| !NON_PERSONAL_CLAIMS.contains(&k.as_str()));
    Value::Object(claims)
}

#[derive(Debug, Clone, Copy)]
enum DidMethod {
    Key,
    Jwk,
}

impl DidMethod {
    fn name(self) -> &'static str {
        match self {
            DidMethod::Key => "key",
            DidMethod::Jwk => "jwk",
        }
    }

    /// The DID URL naming the DID's one key: `did:key:z…#z…`, `did:jwk:…#0`.
    fn kid(self, did: &str) -> String {
        match self {
            DidMethod::Key => {
                let id = did
                    .strip_prefix("did:key:")
                    .unwrap_or_else(|| panic!("not a did:key: {did}"));
                format!("{did}#{id}")
            }
            DidMethod::Jwk => {
                assert!(did.starts_with("did:jwk:"), "not a did:jwk: {did}");
                format!("{did}#0")
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Peer {
    Python,
    Node,
}

impl Peer {
    fn command(self) -> Command {
        match self {
            Peer::Python => python_peer(),
            Peer::Node => node_peer(),
        }
    }
}

/// An issuer and a holder with their key files, in a folder of their own.
struct Parties {
    dir: TempDir,
    issuer_key: PathBuf,
    /// The issuer's public JWK alone (no `d`), as a verifier holds it.
    issuer_public: PathBuf,
    holder_key: PathBuf,
    did: String,
    kid: String,
    method: DidMethod,
}

impl Parties {
    /// Keys made by `dojang key generate`, the DID by `dojang key did`.
    fn from_dojang(method: DidMethod) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let issuer_key = dir.path().join("issuer.jwk");
        let holder_key = dir.path().join("holder.jwk");
        for key in [&issuer_key, &holder_key] {
            let out = run(
                dojang().args(["key", "generate", "--out"]).arg(key),
                COMMAND_TIMEOUT,
            );
            out.success();
            assert!(
                key.is_file(),
                "{} exited 0 but wrote no key file\n--- stderr\n{}",
                out.command,
                out.stderr
            );
        }
        let did = run(
            dojang()
                .args(["key", "did"])
                .arg(&issuer_key)
                .args(["--method", method.name()]),
            COMMAND_TIMEOUT,
        )
        .success()
        .text()
        .to_owned();
        assert!(
            did.starts_with(&format!("did:{}:", method.name())),
            "`dojang key did --method {}` printed {did:?}",
            method.name()
        );
        Self::finish(dir, issuer_key, holder_key, did, method)
    }

    /// Keys made here, the DID encoded here: for checking the peers without Dojang.
    fn without_dojang(method: DidMethod) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let issuer_key = dir.path().join("issuer.jwk");
        let holder_key = dir.path().join("holder.jwk");
        for key in [&issuer_key, &holder_key] {
            let jwk = dojang_did::PrivateJwk::generate().to_json();
            std::fs::write(key, jwk.to_string()).expect("write key");
        }
        let public = public_jwk(&issuer_key);
        let did = match method {
            DidMethod::Key => did_key(&public),
            DidMethod::Jwk => did_jwk(&public),
        };
        Self::finish(dir, issuer_key, holder_key, did, method)
    }

    fn finish(
        dir: TempDir,
        issuer_key: PathBuf,
        holder_key: PathBuf,
        did: String,
        method: DidMethod,
    ) -> Self {
        let issuer_public = dir.path().join("issuer.public.jwk");
        std::fs::write(&issuer_public, public_jwk(&issuer_key).to_string())
            .expect("write public key");
        let kid = method.kid(&did);
        Self {
            dir,
            issuer_key,
            issuer_public,
            holder_key,
            did,
            kid,
            method,
        }
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }

    fn claims_file(&self) -> PathBuf {
        self.file("claims.json", &claims().to_string())
    }

    /// Dojang issues to the holder and the holder presents [`DISCLOSE`] to [`AUD`] for [`NONCE`].
    fn dojang_presentation(&self) -> String {
        let credential = run(
            dojang()
                .args(["issue", "--key"])
                .arg(&self.issuer_key)
                .arg("--holder-key")
                .arg(&self.holder_key)
                .args(["--vct", VCT, "--claims"])
                .arg(self.claims_file())
                .args(["--did-method", self.method.name()]),
            COMMAND_TIMEOUT,
        )
        .success()
        .text()
        .to_owned();
        let credential_file = self.file("credential.sd-jwt", &credential);
        run(
            dojang()
                .args(["present", "--holder-key"])
                .arg(&self.holder_key)
                .args(["--disclose", DISCLOSE, "--aud", AUD, "--nonce", NONCE])
                .arg(credential_file),
            COMMAND_TIMEOUT,
        )
        .success()
        .text()
        .to_owned()
    }

    /// A peer issues to the holder and presents [`DISCLOSE`] to [`AUD`] for [`NONCE`].
    fn peer_presentation(&self, peer: Peer) -> String {
        run(
            peer.command()
                .args(["issue", "--issuer-key"])
                .arg(&self.issuer_key)
                .arg("--holder-key")
                .arg(&self.holder_key)
                .args(["--iss", &self.did, "--kid", &self.kid, "--vct", VCT])
                .arg("--claims")
                .arg(self.claims_file())
                .args(["--disclose", DISCLOSE, "--aud", AUD, "--nonce", NONCE]),
            COMMAND_TIMEOUT,
        )
        .success()
        .text()
        .to_owned()
    }

    fn peer_verify(&self, peer: Peer, presentation: &str, nonce: &str) -> Output {
        let file = self.file("presentation.sd-jwt", presentation);
        run(
            peer.command()
                .args(["verify", "--issuer-jwk"])
                .arg(&self.issuer_public)
                .args(["--aud", AUD, "--nonce", nonce])
                .arg(file),
            COMMAND_TIMEOUT,
        )
    }

    fn dojang_verify(&self, presentation: &str, nonce: &str) -> Output {
        let file = self.file("presentation.sd-jwt", presentation);
        run(
            dojang()
                .args(["verify", "--trust-issuer", &self.did])
                .args(["--aud", AUD, "--nonce", nonce])
                .arg(file),
            COMMAND_TIMEOUT,
        )
    }

    /// A peer accepted the presentation and saw the issuer, the type and exactly the disclosed
    /// claims.
    fn assert_peer_accepts(&self, peer: Peer, presentation: &str) {
        let out = self.peer_verify(peer, presentation, NONCE);
        let claims = out.success().json();
        assert_eq!(
            claims["iss"],
            json!(self.did),
            "{peer:?} saw another issuer"
        );
        assert_eq!(claims["vct"], json!(VCT), "{peer:?} saw another vct");
        assert_eq!(
            personal(&claims),
            disclosed(),
            "{peer:?} must see the disclosed claims and nothing else personal"
        );
    }

    fn assert_peer_rejects(&self, peer: Peer, presentation: &str, nonce: &str, why: &str) {
        let out = self.peer_verify(peer, presentation, nonce);
        assert_eq!(
            out.code,
            Some(1),
            "{peer:?} must reject {why}\n--- stdout\n{}\n--- stderr\n{}",
            out.stdout,
            out.stderr
        );
        assert!(
            out.stdout.trim().is_empty(),
            "{peer:?} printed claims for {why}"
        );
    }

    /// `dojang verify` accepted the presentation, naming the issuer, the type and exactly the
    /// disclosed claims.
    fn assert_dojang_accepts(&self, presentation: &str, issued_by: &str) {
        let out = self.dojang_verify(presentation, NONCE);
        let result = out.json();
        out.success();
        let context = format!("{issued_by}'s presentation, {:?}: {result:#}", self.method);
        assert_eq!(result["verified"], json!(true), "{context}");
        assert_eq!(result["error"], Value::Null, "{context}");
        assert_eq!(result["issuer"], json!(self.did), "{context}");
        assert_eq!(result["vct"], json!(VCT), "{context}");
        assert_eq!(personal(&result["claims"]), disclosed(), "{context}");
        let checks = result["checks"]
            .as_array()
            .unwrap_or_else(|| panic!("{context}"));
        assert!(!checks.is_empty(), "no checks listed: {context}");
        assert!(
            checks.iter().all(|c| c["ok"] == json!(true)),
            "a failed check in a verified result: {context}"
        );
    }

    fn assert_dojang_rejects(&self, presentation: &str, nonce: &str, why: &str) {
        let out = self.dojang_verify(presentation, nonce);
        let result = out.json();
        out.expect_code(1);
        let context = format!("{why}, {:?}: {result:#}", self.method);
        assert_eq!(result["verified"], json!(false), "{context}");
        assert!(
            result["error"]["code"].is_string(),
            "no error code: {context}"
        );
        let shown = match &result["claims"] {
            claims @ Value::Object(_) => personal(claims),
            _ => json!({}),
        };
        assert_eq!(
            shown,
            json!({}),
            "a rejected presentation must show no personal claims: {context}"
        );
    }
}

/// The public members of a private JWK file.
fn public_jwk(private_key_file: &Path) -> Value {
    let text = std::fs::read_to_string(private_key_file).expect("read key file");
    let jwk: Value = serde_json::from_str(&text).expect("key file is JSON");
    assert_eq!(jwk["kty"], "OKP", "not an OKP key: {jwk}");
    assert_eq!(jwk["crv"], "Ed25519", "not an Ed25519 key: {jwk}");
    assert!(
        jwk["x"].is_string() && jwk["d"].is_string(),
        "not a private JWK: {jwk}"
    );
    json!({ "kty": "OKP", "crv": "Ed25519", "x": jwk["x"] })
}

/// did:key for an Ed25519 key: multicodec `0xed01` then the key, base58btc with prefix `z`.
fn did_key(public: &Value) -> String {
    let x = B64
        .decode(public["x"].as_str().expect("x"))
        .expect("x is base64url");
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(&x);
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

/// did:jwk: the base64url of the public JWK's JSON.
fn did_jwk(public: &Value) -> String {
    format!("did:jwk:{}", B64.encode(public.to_string()))
}

/// One character flipped in the middle of the first disclosure.
fn flip_one_character(presentation: &str) -> String {
    let mut parts: Vec<String> = presentation.split('~').map(str::to_owned).collect();
    assert!(
        parts.len() > 2,
        "no disclosure to tamper with: {presentation}"
    );
    let disclosure = &mut parts[1];
    let at = disclosure.len() / 2;
    let old = disclosure.as_bytes()[at];
    let new = if old == b'A' { 'B' } else { 'A' };
    disclosure.replace_range(at..=at, &new.to_string());
    parts.join("~")
}

/// The first disclosure re-encoded with another value: well-formed, but no digest matches it.
fn forge_value(presentation: &str) -> String {
    let mut parts: Vec<String> = presentation.split('~').map(str::to_owned).collect();
    assert!(parts.len() > 2, "no disclosure to forge: {presentation}");
    let decoded: Value =
        serde_json::from_slice(&B64.decode(&parts[1]).expect("disclosure is base64url"))
            .expect("disclosure is JSON");
    let mut array = decoded.as_array().expect("disclosure is an array").clone();
    let last = array.len() - 1;
    array[last] = json!("위조된 값");
    parts[1] = B64.encode(Value::Array(array).to_string());
    parts.join("~")
}

// --- The peers against each other, without Dojang -------------------------------------------

/// Each peer's presentations are accepted by the other peer (and itself) with exactly the disclosed
/// claims, and rejected when tampered with, forged, or checked with another nonce, audience or
/// issuer key.
#[test]
fn peers_agree_with_each_other() {
    for method in [DidMethod::Key, DidMethod::Jwk] {
        let parties = Parties::without_dojang(method);
        for issuer in [Peer::Python, Peer::Node] {
            let presentation = parties.peer_presentation(issuer);
            for verifier in [Peer::Python, Peer::Node] {
                parties.assert_peer_accepts(verifier, &presentation);
                let why = |what: &str| format!("{issuer:?}'s presentation {what}");
                parties.assert_peer_rejects(
                    verifier,
                    &flip_one_character(&presentation),
                    NONCE,
                    &why("with a character flipped in a disclosure"),
                );
                parties.assert_peer_rejects(
                    verifier,
                    &forge_value(&presentation),
                    NONCE,
                    &why("with a forged disclosure"),
                );
                parties.assert_peer_rejects(
                    verifier,
                    &presentation,
                    WRONG_NONCE,
                    &why("for another nonce"),
                );
                // The issuer signature is checked against the key the verifier was given.
                let other = Parties::without_dojang(method);
                let out = run(
                    verifier
                        .command()
                        .args(["verify", "--issuer-jwk"])
                        .arg(&other.issuer_public)
                        .args(["--aud", AUD, "--nonce", NONCE])
                        .arg(other.file("p.sd-jwt", &presentation)),
                    COMMAND_TIMEOUT,
                );
                assert_eq!(
                    out.code,
                    Some(1),
                    "{verifier:?} accepted a foreign issuer key"
                );
            }
        }
    }
}

/// The peers present a KB-JWT only to the audience it names.
#[test]
fn peers_reject_another_audience() {
    let parties = Parties::without_dojang(DidMethod::Key);
    for issuer in [Peer::Python, Peer::Node] {
        let presentation = parties.peer_presentation(issuer);
        for verifier in [Peer::Python, Peer::Node] {
            let file = parties.file("p.sd-jwt", &presentation);
            let out = run(
                verifier
                    .command()
                    .args(["verify", "--issuer-jwk"])
                    .arg(&parties.issuer_public)
                    .args(["--aud", "https://other.example", "--nonce", NONCE])
                    .arg(file),
                COMMAND_TIMEOUT,
            );
            assert_eq!(
                out.code,
                Some(1),
                "{verifier:?} accepted {issuer:?}'s KB-JWT for another audience"
            );
        }
    }
}

// --- DIDs ------------------------------------------------------------------------------------

/// `dojang key did` encodes did:key and did:jwk as the specifications say (checked against the
/// encodings written independently in this file).
#[test]
fn dojang_key_did_matches_the_did_methods() {
    let parties = Parties::from_dojang(DidMethod::Key);
    let public = public_jwk(&parties.issuer_key);
    assert_eq!(parties.did, did_key(&public));
    assert!(parties.did.starts_with("did:key:z6Mk"), "{}", parties.did);

    let did = run(
        dojang()
            .args(["key", "did"])
            .arg(&parties.issuer_key)
            .args(["--method", "jwk"]),
        COMMAND_TIMEOUT,
    )
    .success()
    .text()
    .to_owned();
    let encoded = did
        .strip_prefix("did:jwk:")
        .unwrap_or_else(|| panic!("not a did:jwk: {did}"));
    let jwk: Value = serde_json::from_slice(&B64.decode(encoded).expect("base64url"))
        .expect("did:jwk holds JSON");
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["x"], public["x"]);
    assert!(
        jwk.get("d").is_none(),
        "a did:jwk must not carry the private key"
    );
}

// --- Dojang issues, the peers verify ---------------------------------------------------------

fn dojang_to_peers(method: DidMethod) {
    let parties = Parties::from_dojang(method);
    let presentation = parties.dojang_presentation();
    // Dojang accepts its own presentation: a failure below is then about interop.
    parties.assert_dojang_accepts(&presentation, "Dojang");
    for peer in [Peer::Python, Peer::Node] {
        parties.assert_peer_accepts(peer, &presentation);
        parties.assert_peer_rejects(
            peer,
            &flip_one_character(&presentation),
            NONCE,
            "Dojang's presentation with a character flipped in a disclosure",
        );
        parties.assert_peer_rejects(peer, &presentation, WRONG_NONCE, "another nonce");
    }
}

#[test]
fn dojang_issues_peers_verify_did_key() {
    dojang_to_peers(DidMethod::Key);
}

#[test]
fn dojang_issues_peers_verify_did_jwk() {
    dojang_to_peers(DidMethod::Jwk);
}

// --- The peers issue, Dojang verifies --------------------------------------------------------

fn peer_to_dojang(peer: Peer, method: DidMethod) {
    let parties = Parties::from_dojang(method);
    let presentation = parties.peer_presentation(peer);
    // The peer itself accepts it: a failure below is then Dojang's.
    parties.assert_peer_accepts(peer, &presentation);
    let issued_by = format!("{peer:?}");
    parties.assert_dojang_accepts(&presentation, &issued_by);
    parties.assert_dojang_rejects(
        &flip_one_character(&presentation),
        NONCE,
        &format!("{issued_by}'s presentation with a character flipped in a disclosure"),
    );
    parties.assert_dojang_rejects(
        &forge_value(&presentation),
        NONCE,
        &format!("{issued_by}'s presentation with a forged disclosure"),
    );
    parties.assert_dojang_rejects(
        &presentation,
        WRONG_NONCE,
        &format!("{issued_by}'s presentation checked for another nonce"),
    );
}

#[test]
fn python_issues_dojang_verifies_did_key() {
    peer_to_dojang(Peer::Python, DidMethod::Key);
}

#[test]
fn python_issues_dojang_verifies_did_jwk() {
    peer_to_dojang(Peer::Python, DidMethod::Jwk);
}

#[test]
fn node_issues_dojang_verifies_did_key() {
    peer_to_dojang(Peer::Node, DidMethod::Key);
}

#[test]
fn node_issues_dojang_verifies_did_jwk() {
    peer_to_dojang(Peer::Node, DidMethod::Jwk);
}
