//! The OpenID4VCI and OpenID4VP messages the services and the wallet read from the network, each
//! parsed the way its handler parses it. The first byte chooses:
//!
//! - 0: the issuer's token request form (axum's `Form`, which is `serde_urlencoded`);
//! - 1: the issuer's credential request (JSON), its key proofs, each proof checked;
//! - 2: a key proof's payload, signed here by the holder under a valid header;
//! - 3: the wallet's view of the issuer's answers: token, nonce, credential and error responses,
//!   a credential offer and the issuer metadata;
//! - 4: the links a wallet opens: `openid-credential-offer://` and `openid4vp://`;
//! - 5: a signed request object, checked against the relying party's key;
//! - 6: a request object payload, signed here by the relying party, then a DCQL query and a
//!   request object as plain JSON;
//! - 7: the verifier's `direct_post` / `direct_post.jwt` response body;
//! - 8: an authorization response payload, encrypted to the verifier's key and decrypted.
//!
//! Invariants: a token request that parses round-trips through `to_form`; a form that parses
//! round-trips through `form_urlencode`; a verified key proof names the holder's key; a request
//! object that verifies is valid; an encrypted response decrypts to what was encrypted.
#![no_main]

use dojang_fuzz::fixtures::{self, NOW};
use dojang_fuzz::seeds::sign_raw;
use dojang_fuzz::split_mode;
use dojang_vc::oid4vci::{
    self, CredentialOffer, CredentialRequest, CredentialResponse, ErrorResponse, IssuerMetadata,
    NonceResponse, TokenRequest, TokenResponse, PRE_AUTHORIZED_CODE_GRANT, PROOF_TYP,
};
use dojang_vc::oid4vp::{self, DcqlQuery, RequestObject, REQUEST_OBJECT_TYP};
use dojang_vc::Budget;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// The issuer's key-proof windows (issuer/src/http/vci.rs).
const PROOF_MAX_AGE: i64 = 300;
const PROOF_LEEWAY: i64 = 60;

fn proof(jwt: &str) {
    let budget = Budget::default();
    let checked = oid4vci::verify_proof(
        jwt,
        fixtures::ISSUER_URL,
        NOW,
        PROOF_MAX_AGE,
        PROOF_LEEWAY,
        &budget,
    );
    if let Ok((holder, nonce)) = checked {
        assert!(!nonce.is_empty());
        let _ = holder.thumbprint();
    }
}

fn request_object(jwt: &str) {
    let rp = [fixtures::key(fixtures::RP_SEED).public()];
    let budget = Budget::default();
    if let Ok(req) = oid4vp::verify_request_object(jwt, fixtures::CLIENT_ID, &rp, NOW, &budget) {
        assert!(req.validate().is_ok(), "a verified request object is valid");
        assert_eq!(req.client_id, fixtures::CLIENT_ID);
        let paths = req.dcql_query.claim_paths();
        for p in &paths {
            let _ = oid4vp::ClaimsQuery::from_dot_path(p).dot_path();
        }
    }
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(o) => o.values().any(has_float),
        _ => false,
    }
}

/// The verifier's `POST /response` handler, up to the pipeline.
fn direct_post(body: &str) {
    let budget = Budget::default();
    let Ok(form) = oid4vp::parse_form(body) else {
        return;
    };
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let again = oid4vp::parse_form(&oid4vp::form_urlencode(&pairs));
    assert_eq!(again.ok().as_ref(), Some(&form), "a form round-trips");
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let payload = if let Some(jwe) = field("response") {
        match oid4vp::decrypt_response(jwe, &fixtures::response_key().0) {
            Ok(p) => p,
            Err(_) => return,
        }
    } else {
        let mut payload = serde_json::Map::new();
        for (k, v) in &form {
            let value = if k == "vp_token" {
                if oid4vp::parse_vp_token_text(v, &budget).is_err() {
                    return;
                }
                match serde_json::from_str(v) {
                    Ok(value) => value,
                    Err(_) => panic!("vp_token parsed strictly but not by serde_json"),
                }
            } else {
                Value::from(v.as_str())
            };
            payload.insert(k.clone(), value);
        }
        Value::Object(payload)
    };
    if let Some(token) = payload.get("vp_token") {
        if let Ok(parsed) = oid4vp::parse_vp_token(token, &budget) {
            assert!(!parsed.is_empty());
            assert!(parsed.values().all(|v| !v.is_empty()));
        }
    }
}

fuzz_target!(
    init: {
        dojang_fuzz::seeds::write_if_requested("http_bodies");
        let _ = fixtures::response_key();
    },
    |data: &[u8]| {
        let Some((mode, rest)) = split_mode(data, 9) else {
            return;
        };
        let budget = Budget::default();
        let text = std::str::from_utf8(rest).ok();
        match mode {
            0 => {
                if let Ok(req) = serde_urlencoded::from_bytes::<TokenRequest>(rest) {
                    let _ = req.grant_type == PRE_AUTHORIZED_CODE_GRANT;
                    let back = serde_urlencoded::from_str::<TokenRequest>(&req.to_form());
                    assert_eq!(back.ok().as_ref(), Some(&req), "to_form round-trips");
                }
            }
            1 => {
                if let Ok(req) = serde_json::from_slice::<CredentialRequest>(rest) {
                    if let Ok(jwts) = req.proof_jwts() {
                        assert!(!jwts.is_empty());
                        for jwt in jwts.iter().take(4) {
                            proof(jwt);
                        }
                    }
                }
            }
            2 => {
                let holder = fixtures::key(fixtures::HOLDER_SEED).public();
                let header = json!({"typ": PROOF_TYP, "alg": "EdDSA", "jwk": holder.to_json()});
                if let Some(jwt) = sign_raw(&header, rest, fixtures::HOLDER_SEED) {
                    let checked = oid4vci::verify_proof(
                        &jwt,
                        fixtures::ISSUER_URL,
                        NOW,
                        PROOF_MAX_AGE,
                        PROOF_LEEWAY,
                        &budget,
                    );
                    if let Ok((key, _)) = checked {
                        assert_eq!(key, holder, "the proven key is the signer's");
                    }
                }
            }
            3 => {
                let _ = serde_json::from_slice::<TokenResponse>(rest);
                let _ = serde_json::from_slice::<NonceResponse>(rest);
                let _ = serde_json::from_slice::<CredentialResponse>(rest);
                let _ = serde_json::from_slice::<ErrorResponse>(rest);
                if let Ok(offer) = CredentialOffer::from_json(rest, &budget) {
                    let link = oid4vci::offer_uri_by_value(&offer);
                    if let Ok(oid4vci::OfferRef::ByValue(back)) = oid4vci::parse_offer_uri(&link) {
                        assert_eq!(back, offer, "an offer link round-trips");
                    }
                    let _ = offer.pre_authorized();
                }
                if let Ok(meta) = IssuerMetadata::from_json(rest, &budget) {
                    for config in meta.credential_configurations_supported.values() {
                        let _ = config.display_names();
                    }
                    let _ = oid4vci::well_known_uri(&meta.credential_issuer, "openid-credential-issuer");
                }
            }
            4 => {
                if let Some(link) = text {
                    let _ = oid4vci::parse_offer_uri(link);
                    if let Ok(reference) = oid4vp::parse_request_uri(link) {
                        let back = oid4vp::request_uri(&reference.client_id, &reference.request_uri);
                        assert_eq!(
                            oid4vp::parse_request_uri(&back).ok().as_ref(),
                            Some(&reference),
                            "a request link round-trips"
                        );
                    }
                }
            }
            5 => {
                if let Some(jwt) = text {
                    request_object(jwt);
                }
            }
            6 => {
                let header = json!({"typ": REQUEST_OBJECT_TYP, "alg": "EdDSA",
                                    "kid": "https://bank.example#rp-1"});
                if let Some(jwt) = sign_raw(&header, rest, fixtures::RP_SEED) {
                    request_object(&jwt);
                }
                if let Ok(q) = serde_json::from_slice::<DcqlQuery>(rest) {
                    if q.validate().is_ok() {
                        let _ = q.claim_paths();
                    }
                }
                if let Ok(req) = serde_json::from_slice::<RequestObject>(rest) {
                    let _ = req.validate();
                }
            }
            7 => {
                if let Some(body) = text {
                    direct_post(body);
                }
            }
            _ => {
                let Ok(payload) = serde_json::from_slice::<Value>(rest) else {
                    return;
                };
                // serde_json's default float parsing is not exactly round-trip; leave floats out.
                if has_float(&payload) {
                    return;
                }
                let (private, public) = fixtures::response_key();
                if let Ok(jwe) = oid4vp::encrypt_response(&payload, public) {
                    match oid4vp::decrypt_response(&jwe, private) {
                        Ok(back) => assert_eq!(back, payload, "decrypts to what was encrypted"),
                        Err(e) => {
                            // Refused only for what the strict reader refuses in any JSON.
                            assert!(
                                matches!(e.code(), "limit_exceeded" | "duplicate_json_key" | "response_invalid" | "malformed_json"),
                                "an encrypted response does not decrypt: {}",
                                e.code()
                            );
                        }
                    }
                }
            }
        }
    }
);
