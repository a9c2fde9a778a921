//! OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow: the messages the
//! issuer service and the wallet client exchange, and the key proof JWT. Pure: no I/O.
//!
//! The flow, as Dojang runs it:
//! 1. the agency makes a [`CredentialOffer`] (admin API) and shows it as an
//!    `openid-credential-offer://?credential_offer_uri=…` link or QR code ([`offer_uri`]); the
//!    citizen's wallet reads it with [`parse_offer_uri`] and fetches the offer;
//! 2. the wallet reads the [`IssuerMetadata`] at
//!    [`well_known_uri`]`(credential_issuer, WELL_KNOWN_CREDENTIAL_ISSUER)`;
//! 3. it trades the pre-authorized code and the transaction code (told to the citizen on another
//!    channel) for an access token at the token endpoint ([`TokenRequest`] →
//!    [`TokenResponse`]);
//! 4. it asks the nonce endpoint for a fresh `c_nonce` ([`NonceResponse`]);
//! 5. it proves possession of its holder key with a proof JWT over the issuer's identifier and
//!    that nonce ([`sign_proof`]; the issuer checks it with [`verify_proof`]) and posts a
//!    [`CredentialRequest`]; the [`CredentialResponse`] carries the SD-JWT VC bound to that key
//!    and, as Dojang's extension, the credential's log inclusion proof.
//!
//! Errors from the service come as [`ErrorResponse`] (`{error, error_description}`).

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::PublicJwk;
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jws::{sign_eddsa, Jws, JwtPart, VerificationKey};
use crate::log_inclusion::LogInclusion;
use crate::{json, Budget, VcError};

/// The grant type of the pre-authorized code flow (OpenID4VCI 1.0 §4.1.1, §6.1).
pub const PRE_AUTHORIZED_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// The `typ` of a key proof JWT (OpenID4VCI 1.0 Appendix F.1).
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";

/// The credential format identifier of SD-JWT VC (OpenID4VCI 1.0 Appendix A.3).
pub const FORMAT_SD_JWT_VC: &str = "dc+sd-jwt";

/// The scheme of a credential offer link (OpenID4VCI 1.0 §4.1).
pub const OFFER_SCHEME: &str = "openid-credential-offer://";

/// The well-known suffix of the credential issuer metadata (OpenID4VCI 1.0 §12.2.2).
pub const WELL_KNOWN_CREDENTIAL_ISSUER: &str = "openid-credential-issuer";

/// The well-known suffix of the OAuth authorization server metadata (RFC 8414 §3).
pub const WELL_KNOWN_AUTHORIZATION_SERVER: &str = "oauth-authorization-server";

/// The well-known suffix of the SD-JWT VC issuer metadata (SD-JWT VC draft §5).
pub const WELL_KNOWN_JWT_VC_ISSUER: &str = "jwt-vc-issuer";

/// The longest offer link [`parse_offer_uri`] reads. A by-reference link is a few hundred bytes
/// and a by-value Dojang offer under 1 KiB; 64 KiB (a QR code holds under 3 KiB) bounds the
/// decoding work on a link that came from anywhere.
pub const MAX_OFFER_URI_BYTES: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Credential offer (§4.1)
// ---------------------------------------------------------------------------------------------

/// A credential offer (OpenID4VCI 1.0 §4.1.1): which issuer, which credentials, and the
/// pre-authorized code to redeem them with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialOffer {
    /// The credential issuer's identifier (an https URL; http on a developer's machine).
    pub credential_issuer: String,
    /// Keys of the issuer metadata's `credential_configurations_supported`.
    pub credential_configuration_ids: Vec<String>,
    /// The grants the wallet may use.
    pub grants: Grants,
}

impl CredentialOffer {
    /// Parses an offer from JSON strictly (duplicate member names refused at every depth).
    pub fn from_json(bytes: &[u8], budget: &Budget) -> Result<Self, VcError> {
        from_strict_json(bytes, budget, "credential offer").map_err(|e| match e {
            VcError::MalformedJson { reason, .. } => VcError::OfferInvalid {
                reason: format!("not a credential offer: {reason}"),
            },
            e => e,
        })
    }

    /// The pre-authorized code grant.
    pub fn pre_authorized(&self) -> &PreAuthorizedCodeGrant {
        &self.grants.pre_authorized_code
    }
}

/// The `grants` of an offer. Dojang offers only the pre-authorized code grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code")]
    pub pre_authorized_code: PreAuthorizedCodeGrant,
}

/// The pre-authorized code grant of an offer (§4.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAuthorizedCodeGrant {
    /// The code, single use and short-lived.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// Present when the token request must carry a transaction code given to the citizen on
    /// another channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCodeSpec>,
}

/// What the wallet should ask the citizen for (§4.1.1 `tx_code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCodeSpec {
    /// Number of characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// `numeric` or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    /// A hint for the citizen (at most 300 characters by the specification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where an offer link points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferRef {
    /// `credential_offer_uri`: fetch the offer JSON from this URL.
    ByReference(String),
    /// `credential_offer`: the offer itself.
    ByValue(CredentialOffer),
}

/// Reads an offer link `openid-credential-offer://?credential_offer_uri=<urlencoded URL>` or
/// `openid-credential-offer://?credential_offer=<urlencoded JSON>` (§4.1). Exactly one of the two
/// parameters; a by-reference URL must be http(s); a by-value offer is parsed strictly.
pub fn parse_offer_uri(uri: &str) -> Result<OfferRef, VcError> {
    let bad = |reason: &str| VcError::OfferInvalid {
        reason: reason.to_owned(),
    };
    Budget::check("offer_uri_bytes", MAX_OFFER_URI_BYTES, uri.len())?;
    let rest = uri
        .strip_prefix(OFFER_SCHEME)
        .ok_or_else(|| bad("the link is not openid-credential-offer://"))?;
    if rest.contains('#') {
        return Err(bad("the link has a fragment"));
    }
    let (_, query) = rest
        .split_once('?')
        .ok_or_else(|| bad("the link has no query"))?;
    let mut by_reference = None;
    let mut by_value = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match percent_decode(name)?.as_str() {
            "credential_offer_uri" => &mut by_reference,
            "credential_offer" => &mut by_value,
            _ => continue,
        };
        if slot.replace(percent_decode(value)?).is_some() {
            return Err(bad("a parameter appears twice"));
        }
    }
    match (by_reference, by_value) {
        (Some(url), None) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(bad("credential_offer_uri is not an http(s) URL"));
            }
            Ok(OfferRef::ByReference(url))
        }
        (None, Some(json)) => Ok(OfferRef::ByValue(CredentialOffer::from_json(
            json.as_bytes(),
            &Budget::default(),
        )?)),
        (Some(_), Some(_)) => Err(bad(
            "credential_offer and credential_offer_uri are both present",
        )),
        (None, None) => Err(bad("neither credential_offer nor credential_offer_uri")),
    }
}

/// The offer link for an offer published at `credential_offer_uri`:
/// `openid-credential-offer://?credential_offer_uri=<urlencoded>`.
pub fn offer_uri(credential_offer_uri: &str) -> String {
    format!(
        "{OFFER_SCHEME}?credential_offer_uri={}",
        percent_encode(credential_offer_uri)
    )
}

/// The offer link carrying `offer` by value: `openid-credential-offer://?credential_offer=…`.
pub fn offer_uri_by_value(offer: &CredentialOffer) -> String {
    let json = serde_json::to_string(offer).unwrap_or_default();
    format!("{OFFER_SCHEME}?credential_offer={}", percent_encode(&json))
}

/// The URL of a well-known document of `issuer` (RFC 8615, OpenID4VCI 1.0 §12.2.2, RFC 8414 §3):
/// `/.well-known/{suffix}` is put between the authority and the path, so
/// `https://a.example/tenant` gives `https://a.example/.well-known/{suffix}/tenant`.
pub fn well_known_uri(issuer: &str, suffix: &str) -> String {
    let issuer = issuer.trim_end_matches('/');
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    match issuer[after_scheme..].find('/') {
        Some(slash) => {
            let (origin, path) = issuer.split_at(after_scheme + slash);
            format!("{origin}/.well-known/{suffix}{path}")
        }
        None => format!("{issuer}/.well-known/{suffix}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata (§12.2, RFC 8414, SD-JWT VC issuer metadata)
// ---------------------------------------------------------------------------------------------

/// Credential issuer metadata (OpenID4VCI 1.0 §12.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerMetadata {
    /// The issuer's identifier, as in offers and proof `aud`.
    pub credential_issuer: String,
    /// Authorization servers; absent when the issuer is its own (Dojang's case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    /// Where credential requests go.
    pub credential_endpoint: String,
    /// Where `c_nonce` values come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    /// The token endpoint. Normally found in the authorization server metadata; Dojang, being its
    /// own authorization server, states it here too so that a wallet needs one fetch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The issuer's names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<Display>,
    /// What it issues, by configuration id.
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
}

impl IssuerMetadata {
    /// Parses metadata from JSON strictly (duplicate member names refused at every depth).
    pub fn from_json(bytes: &[u8], budget: &Budget) -> Result<Self, VcError> {
        from_strict_json(bytes, budget, "credential issuer metadata")
    }
}

/// A name in one language (§12.2.4 `display`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Display {
    /// The name.
    pub name: String,
    /// BCP 47 language tag (`ko`, `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// One credential configuration (§12.2.4 and Appendix A.3 for `dc+sd-jwt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialConfiguration {
    /// `dc+sd-jwt`.
    pub format: String,
    /// The SD-JWT VC type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct: Option<String>,
    /// `["jwk"]`: credentials are bound to a JWK the wallet proves it holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cryptographic_binding_methods_supported: Vec<String>,
    /// `["EdDSA"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_signing_alg_values_supported: Vec<String>,
    /// `{"jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proof_types_supported: BTreeMap<String, ProofTypeSupported>,
    /// Names of the credential (the draft placement, read by wallets of drafts 13–15).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<Display>,
    /// The 1.0 placement of the display names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
}

impl CredentialConfiguration {
    /// The display names, from `credential_metadata.display` (1.0) or `display` (drafts).
    pub fn display_names(&self) -> &[Display] {
        match &self.credential_metadata {
            Some(m) if !m.display.is_empty() => &m.display,
            _ => &self.display,
        }
    }
}

/// `credential_metadata` of a configuration (1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialMetadata {
    /// Names of the credential.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<Display>,
}

/// One supported proof type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofTypeSupported {
    /// Algorithms a proof may be signed with.
    pub proof_signing_alg_values_supported: Vec<String>,
}

/// OAuth authorization server metadata (RFC 8414), as much as the pre-authorized flow needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The authorization server's identifier (Dojang: the credential issuer's).
    pub issuer: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The grants it accepts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grant_types_supported: Vec<String>,
    /// Whether a token request needs no client authentication (OpenID4VCI 1.0 §12.3).
    #[serde(
        rename = "pre-authorized_grant_anonymous_access_supported",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_grant_anonymous_access_supported: Option<bool>,
}

/// SD-JWT VC issuer metadata (`/.well-known/jwt-vc-issuer`): the issuer's public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtVcIssuerMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Its keys.
    pub jwks: Jwks,
}

/// A JWK set (RFC 7517 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// Public JWKs, each with its `kid`.
    pub keys: Vec<Value>,
}

// ---------------------------------------------------------------------------------------------
// Token, nonce, credential (§6, §7, §8)
// ---------------------------------------------------------------------------------------------

/// A token request of the pre-authorized flow (§6.1), sent as
/// `application/x-www-form-urlencoded` ([`TokenRequest::to_form`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// [`PRE_AUTHORIZED_CODE_GRANT`].
    pub grant_type: String,
    /// The offer's code.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// The transaction code the citizen typed, when the offer asks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
}

impl TokenRequest {
    /// A request for the pre-authorized code grant.
    pub fn pre_authorized(code: &str, tx_code: Option<&str>) -> Self {
        Self {
            grant_type: PRE_AUTHORIZED_CODE_GRANT.to_owned(),
            pre_authorized_code: code.to_owned(),
            tx_code: tx_code.map(str::to_owned),
        }
    }

    /// The form body: `grant_type=…&pre-authorized_code=…[&tx_code=…]`.
    pub fn to_form(&self) -> String {
        let mut out = format!(
            "grant_type={}&pre-authorized_code={}",
            percent_encode(&self.grant_type),
            percent_encode(&self.pre_authorized_code)
        );
        if let Some(tx) = &self.tx_code {
            out.push_str("&tx_code=");
            out.push_str(&percent_encode(tx));
        }
        out
    }
}

/// A token response (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token for the credential endpoint (single use in Dojang).
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds it stays valid.
    pub expires_in: i64,
}

/// A nonce response (§7.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// The nonce a proof must carry; single use.
    pub c_nonce: String,
}

/// A credential request (§8.2), `application/json`, with the access token as a Bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRequest {
    /// Which configuration of the offer.
    pub credential_configuration_id: String,
    /// Key proofs, 1.0 form: `{"jwt": ["…"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proofs: Option<Proofs>,
    /// One key proof, the drafts' form: `{"proof_type": "jwt", "jwt": "…"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

impl CredentialRequest {
    /// A 1.0 request with one proof JWT.
    pub fn with_proof(credential_configuration_id: &str, proof_jwt: String) -> Self {
        Self {
            credential_configuration_id: credential_configuration_id.to_owned(),
            proofs: Some(Proofs {
                jwt: vec![proof_jwt],
            }),
            proof: None,
        }
    }

    /// The proof JWTs, from `proofs.jwt` or `proof.jwt`: exactly one of the two members, at
    /// least one JWT, and `proof_type` `jwt`.
    pub fn proof_jwts(&self) -> Result<Vec<&str>, VcError> {
        let bad = |reason| VcError::ProofInvalid { reason };
        match (&self.proofs, &self.proof) {
            (Some(_), Some(_)) => Err(bad("the request has both proofs and proof")),
            (None, None) => Err(bad("the request has no key proof")),
            (Some(p), None) if p.jwt.is_empty() => Err(bad("proofs.jwt is empty")),
            (Some(p), None) => Ok(p.jwt.iter().map(String::as_str).collect()),
            (None, Some(p)) if p.proof_type != "jwt" => Err(bad("proof_type is not jwt")),
            (None, Some(p)) => Ok(vec![p.jwt.as_str()]),
        }
    }
}

/// `proofs` of a credential request (1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proofs {
    /// Proof JWTs.
    pub jwt: Vec<String>,
}

/// `proof` of a credential request (drafts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// `jwt`.
    pub proof_type: String,
    /// The proof JWT.
    pub jwt: String,
}

/// A credential response (§8.3), with Dojang's log inclusion extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialResponse {
    /// The issued credentials (one per proof; Dojang issues one).
    pub credentials: Vec<CredentialObject>,
    /// For the notification endpoint (Dojang has none yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
    /// Dojang's extension: the credential's inclusion proof in the issuer's transparency log,
    /// against a signed checkpoint, for the wallet to keep beside the credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dojang_log_inclusion: Option<LogInclusion>,
}

/// One issued credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialObject {
    /// The SD-JWT VC with all its disclosures.
    pub credential: String,
}

/// An error response of the token, nonce or credential endpoint (RFC 6749 §5.2, OpenID4VCI 1.0
/// §8.3.1): `invalid_grant`, `invalid_nonce`, `invalid_proof`, …
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error code.
    pub error: String,
    /// A human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Key proof JWT (Appendix F.1)
// ---------------------------------------------------------------------------------------------

/// Signs a key proof JWT: header `typ: openid4vci-proof+jwt`, `alg: EdDSA`, `jwk` = `holder`;
/// payload `aud` (the credential issuer's identifier), `nonce` (from the nonce endpoint), `iat`.
pub fn sign_proof<S>(
    holder: &PublicJwk,
    aud: &str,
    nonce: &str,
    iat: i64,
    signer: &S,
) -> Result<String, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(PROOF_TYP));
    header.insert("jwk".into(), holder.to_json());
    let mut payload = Map::new();
    payload.insert("aud".into(), Value::from(aud));
    payload.insert("nonce".into(), Value::from(nonce));
    payload.insert("iat".into(), Value::from(iat));
    sign_eddsa(&header, &payload, signer)
}

/// Header members a proof must not carry: a proof names its key by `jwk` alone, and nothing may
/// ask for extensions.
const PROOF_FORBIDDEN_HEADER: &[&str] = &["kid", "x5c", "jku", "x5u", "crit", "trust_chain"];

/// Checks a key proof JWT (OpenID4VCI 1.0 Appendix F.4) and returns the proven holder key and
/// the proof's nonce, which the caller must check was issued by its nonce endpoint and is unused.
///
/// Unlike a credential, a proof carries its key in the header: the point is to show that the
/// wallet holds the private half of the `jwk` it wants the credential bound to. In order:
/// 1. within `budget.max_input_bytes`, three base64url segments of strict JSON;
/// 2. `typ` is `openid4vci-proof+jwt`; `alg` is `EdDSA` (nothing else, never `none`);
/// 3. the header names its key by `jwk` only (no `kid`, `x5c`, `jku`, `x5u`, `crit`), a public
///    Ed25519 JWK;
/// 4. the signature verifies under that key (`verify_strict`) over the exact bytes received;
/// 5. `aud` is `expected_aud` (a string, or an array holding it);
/// 6. `iat` is no more than `leeway` seconds ahead of `now` and no more than `max_age + leeway`
///    behind;
/// 7. `nonce` is a non-empty string.
pub fn verify_proof(
    jwt: &str,
    expected_aud: &str,
    now: i64,
    max_age: i64,
    leeway: i64,
    budget: &Budget,
) -> Result<(PublicJwk, String), VcError> {
    let bad = |reason| VcError::ProofInvalid { reason };
    // 1. Parse.
    budget.check_input_bytes(jwt.len())?;
    let jws = Jws::parse(jwt, budget, JwtPart::KeyBinding).map_err(relabel)?;
    // 2. typ and alg.
    if jws.header_str("typ") != Some(PROOF_TYP) {
        return Err(VcError::TypInvalid {
            expected: PROOF_TYP,
            found: jws.header_str("typ").map(str::to_owned),
        });
    }
    let alg = jws.header_str("alg").unwrap_or("");
    if alg != "EdDSA" {
        return Err(VcError::AlgNotAllowed {
            alg: alg.to_owned(),
        });
    }
    // 3. The key.
    if let Some(member) = PROOF_FORBIDDEN_HEADER
        .iter()
        .find(|m| jws.header().contains_key(**m))
    {
        return Err(VcError::ForbiddenHeader { member });
    }
    let jwk = jws
        .header()
        .get("jwk")
        .ok_or(bad("the header has no jwk"))?;
    let holder =
        PublicJwk::from_json(jwk).map_err(|_| bad("the header jwk is not a public Ed25519 key"))?;
    // 4. Proof of possession: the signature under the header's own key, over the exact
    // `header.payload` bytes received (RFC 7515 §5.2).
    let (signing_input, signature) = jwt.rsplit_once('.').ok_or(bad("not a compact JWS"))?;
    let signature = B64
        .decode(signature)
        .map_err(|_| bad("the signature is not base64url"))?;
    if !VerificationKey::Ed25519(holder).verify_signature(signing_input.as_bytes(), &signature) {
        return Err(bad("the signature does not verify with the header jwk"));
    }
    let claims = jws.unverified_payload();
    // 5. Audience.
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected_aud,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected_aud)),
        _ => false,
    };
    if !aud_ok {
        return Err(bad("aud is not this credential issuer"));
    }
    // 6. Freshness.
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(bad("iat is missing or not an integer"))?;
    if iat > now.saturating_add(leeway) {
        return Err(bad("iat is in the future"));
    }
    if iat < now.saturating_sub(max_age).saturating_sub(leeway) {
        return Err(bad("iat is too old"));
    }
    // 7. The nonce, for the caller's single-use check.
    let nonce = match claims.get("nonce") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        _ => return Err(bad("nonce is missing")),
    };
    Ok((holder, nonce))
}

/// Parse errors of a proof, labelled as the proof's rather than a KB-JWT's.
fn relabel(e: VcError) -> VcError {
    const PART: &str = "proof JWT";
    match e {
        VcError::MalformedJwt { reason, .. } => VcError::MalformedJwt { part: PART, reason },
        VcError::MalformedJson { reason, .. } => VcError::MalformedJson { part: PART, reason },
        VcError::DuplicateJsonKey { key, .. } => VcError::DuplicateJsonKey { part: PART, key },
        e => e,
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn from_strict_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    budget: &Budget,
    part: &'static str,
) -> Result<T, VcError> {
    budget.check_input_bytes(bytes.len())?;
    let value = json::parse(bytes, budget.max_json_depth, part)?;
    serde_json::from_value(value).map_err(|e| VcError::MalformedJson {
        part,
        reason: e.to_string(),
    })
}

/// Percent-encodes everything but the RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (a space in form encoding); the result must be UTF-8.
fn percent_decode(text: &str) -> Result<String, VcError> {
    let bad = |reason: &str| VcError::OfferInvalid {
        reason: reason.to_owned(),
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad("a bad %-escape"))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad("a parameter is not UTF-8"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use dojang_did::PrivateJwk;

    const AUD: &str = "https://jongno.example";
    const NOW: i64 = 1_780_000_000;

    fn offer() -> CredentialOffer {
        CredentialOffer {
            credential_issuer: AUD.into(),
            credential_configuration_ids: vec!["resident_registration_copy".into()],
            grants: Grants {
                pre_authorized_code: PreAuthorizedCodeGrant {
                    pre_authorized_code: "abc-123".into(),
                    tx_code: Some(TxCodeSpec {
                        length: Some(6),
                        input_mode: Some("numeric".into()),
                        description: Some("구청에서 받은 여섯 자리 번호".into()),
                    }),
                },
            },
        }
    }

    fn verify(jwt: &str) -> Result<(PublicJwk, String), VcError> {
        verify_proof(jwt, AUD, NOW, 300, 60, &Budget::default())
    }

    /// A proof with a chosen header and payload, signed by `key`.
    fn custom(header: Value, payload: Value, key: &PrivateJwk) -> String {
        let h = serde_json::to_vec(&header).unwrap();
        let p = serde_json::to_vec(&payload).unwrap();
        crate::jws::sign_eddsa_raw(&h, &p, key.signing_key()).unwrap()
    }

    #[test]
    fn offer_json_uses_the_specification_names() {
        let json = serde_json::to_value(offer()).unwrap();
        let grant = &json["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
        assert_eq!(grant["pre-authorized_code"], "abc-123");
        assert_eq!(grant["tx_code"]["length"], 6);
        assert_eq!(grant["tx_code"]["input_mode"], "numeric");
        let back =
            CredentialOffer::from_json(&serde_json::to_vec(&json).unwrap(), &Budget::default())
                .unwrap();
        assert_eq!(back, offer());
    }

    #[test]
    fn offer_with_duplicate_key_refused() {
        let text = br#"{"credential_issuer":"a","credential_issuer":"b","credential_configuration_ids":[],"grants":{}}"#;
        assert_eq!(
            CredentialOffer::from_json(text, &Budget::default())
                .unwrap_err()
                .code(),
            "duplicate_json_key"
        );
        assert_eq!(
            CredentialOffer::from_json(b"{}", &Budget::default())
                .unwrap_err()
                .code(),
            "credential_offer_invalid"
        );
    }

    #[test]
    fn offer_uri_round_trips_by_reference_and_by_value() {
        let url = "http://127.0.0.1:8081/offers/4f2a?x=1&y=2";
        let link = offer_uri(url);
        assert!(link.starts_with("openid-credential-offer://?credential_offer_uri=http%3A%2F%2F"));
        assert_eq!(
            parse_offer_uri(&link).unwrap(),
            OfferRef::ByReference(url.into())
        );
        let link = offer_uri_by_value(&offer());
        assert_eq!(parse_offer_uri(&link).unwrap(), OfferRef::ByValue(offer()));
    }

    #[test]
    fn offer_uri_refusals() {
        let code = |uri: &str| parse_offer_uri(uri).unwrap_err().code();
        assert_eq!(
            code("https://x.example/?credential_offer_uri=a"),
            "credential_offer_invalid"
        );
        assert_eq!(
            code("openid-credential-offer://"),
            "credential_offer_invalid"
        );
        assert_eq!(
            code("openid-credential-offer://?foo=1"),
            "credential_offer_invalid"
        );
        assert_eq!(
            code("openid-credential-offer://?credential_offer_uri=ftp%3A%2F%2Fx"),
            "credential_offer_invalid"
        );
        assert_eq!(
            code("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa&credential_offer_uri=https%3A%2F%2Fb"),
            "credential_offer_invalid"
        );
        assert_eq!(
            code("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa&credential_offer=%7B%7D"),
            "credential_offer_invalid"
        );
        assert_eq!(
            code("openid-credential-offer://?credential_offer_uri=%zz"),
            "credential_offer_invalid"
        );
        assert_eq!(
            code("openid-credential-offer://?credential_offer_uri=%FF"),
            "credential_offer_invalid"
        );
        let long = format!(
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2F{}",
            "a".repeat(MAX_OFFER_URI_BYTES)
        );
        assert_eq!(code(&long), "limit_exceeded");
    }

    #[test]
    fn well_known_goes_between_authority_and_path() {
        assert_eq!(
            well_known_uri("http://127.0.0.1:8081", WELL_KNOWN_CREDENTIAL_ISSUER),
            "http://127.0.0.1:8081/.well-known/openid-credential-issuer"
        );
        assert_eq!(
            well_known_uri("https://a.example/tenant/", WELL_KNOWN_JWT_VC_ISSUER),
            "https://a.example/.well-known/jwt-vc-issuer/tenant"
        );
    }

    #[test]
    fn token_request_form_and_credential_request_shapes() {
        let form = TokenRequest::pre_authorized("a+b/c", Some("012345")).to_form();
        assert_eq!(
            form,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code\
             &pre-authorized_code=a%2Bb%2Fc&tx_code=012345"
        );
        let req = CredentialRequest::with_proof("resident_registration_copy", "j.w.t".into());
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["proofs"]["jwt"][0], "j.w.t");
        assert!(json.get("proof").is_none());
        assert_eq!(req.proof_jwts().unwrap(), vec!["j.w.t"]);
        let draft: CredentialRequest = serde_json::from_str(
            r#"{"credential_configuration_id":"x","proof":{"proof_type":"jwt","jwt":"a.b.c"}}"#,
        )
        .unwrap();
        assert_eq!(draft.proof_jwts().unwrap(), vec!["a.b.c"]);
        let both = CredentialRequest {
            proof: draft.proof.clone(),
            ..req.clone()
        };
        assert_eq!(both.proof_jwts().unwrap_err().code(), "proof_invalid");
        let none = CredentialRequest {
            proofs: None,
            ..req.clone()
        };
        assert_eq!(none.proof_jwts().unwrap_err().code(), "proof_invalid");
        let empty = CredentialRequest {
            proofs: Some(Proofs { jwt: vec![] }),
            ..req
        };
        assert_eq!(empty.proof_jwts().unwrap_err().code(), "proof_invalid");
        let cwt: CredentialRequest = serde_json::from_str(
            r#"{"credential_configuration_id":"x","proof":{"proof_type":"cwt","jwt":"a"}}"#,
        )
        .unwrap();
        assert_eq!(cwt.proof_jwts().unwrap_err().code(), "proof_invalid");
    }

    #[test]
    fn proof_round_trip() {
        let holder = PrivateJwk::generate();
        let jwt = sign_proof(&holder.public(), AUD, "n-1", NOW, holder.signing_key()).unwrap();
        let parsed = Jws::parse(&jwt, &Budget::default(), JwtPart::KeyBinding).unwrap();
        assert_eq!(parsed.header_str("typ"), Some(PROOF_TYP));
        assert_eq!(parsed.header_str("alg"), Some("EdDSA"));
        let (key, nonce) = verify(&jwt).unwrap();
        assert_eq!(key, holder.public());
        assert_eq!(nonce, "n-1");
        // An aud array holding the issuer is accepted too.
        let jwt = custom(
            serde_json::json!({"typ": PROOF_TYP, "alg": "EdDSA", "jwk": holder.public().to_json()}),
            serde_json::json!({"aud": ["https://other.example", AUD], "nonce": "n", "iat": NOW}),
            &holder,
        );
        assert!(verify(&jwt).is_ok());
    }

    #[test]
    fn proof_signed_by_another_key_than_its_jwk_refused() {
        let holder = PrivateJwk::generate();
        let thief = PrivateJwk::generate();
        let jwt = sign_proof(&holder.public(), AUD, "n", NOW, thief.signing_key()).unwrap();
        assert_eq!(
            verify(&jwt).unwrap_err(),
            VcError::ProofInvalid {
                reason: "the signature does not verify with the header jwk"
            }
        );
    }

    #[test]
    fn proof_header_refusals() {
        let k = PrivateJwk::generate();
        let jwk = k.public().to_json();
        let payload = serde_json::json!({"aud": AUD, "nonce": "n", "iat": NOW});
        let code = |header: Value| verify(&custom(header, payload.clone(), &k)).unwrap_err();
        assert_eq!(
            code(serde_json::json!({"typ": "kb+jwt", "alg": "EdDSA", "jwk": jwk})).code(),
            "typ_invalid"
        );
        assert_eq!(
            code(serde_json::json!({"alg": "EdDSA", "jwk": jwk})).code(),
            "typ_invalid"
        );
        assert_eq!(
            code(serde_json::json!({"typ": PROOF_TYP, "alg": "ES256", "jwk": jwk})).code(),
            "alg_not_allowed"
        );
        assert_eq!(
            code(serde_json::json!({"typ": PROOF_TYP, "alg": "none", "jwk": jwk})).code(),
            "alg_not_allowed"
        );
        assert_eq!(
            code(
                serde_json::json!({"typ": PROOF_TYP, "alg": "EdDSA", "jwk": jwk, "kid": "did:x#1"})
            ),
            VcError::ForbiddenHeader { member: "kid" }
        );
        assert_eq!(
            code(
                serde_json::json!({"typ": PROOF_TYP, "alg": "EdDSA", "jwk": jwk, "crit": ["b64"]})
            ),
            VcError::ForbiddenHeader { member: "crit" }
        );
        assert_eq!(
            code(serde_json::json!({"typ": PROOF_TYP, "alg": "EdDSA"})),
            VcError::ProofInvalid {
                reason: "the header has no jwk"
            }
        );
        assert_eq!(
            code(serde_json::json!({"typ": PROOF_TYP, "alg": "EdDSA", "jwk": k.to_json()})),
            VcError::ProofInvalid {
                reason: "the header jwk is not a public Ed25519 key"
            }
        );
    }

    #[test]
    fn proof_payload_refusals() {
        let k = PrivateJwk::generate();
        let header =
            serde_json::json!({"typ": PROOF_TYP, "alg": "EdDSA", "jwk": k.public().to_json()});
        let reason = |payload: Value| match verify(&custom(header.clone(), payload, &k)) {
            Err(VcError::ProofInvalid { reason }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(serde_json::json!({"aud": "https://evil.example", "nonce": "n", "iat": NOW})),
            "aud is not this credential issuer"
        );
        assert_eq!(
            reason(serde_json::json!({"nonce": "n", "iat": NOW})),
            "aud is not this credential issuer"
        );
        assert_eq!(
            reason(serde_json::json!({"aud": AUD, "nonce": "n", "iat": NOW + 61})),
            "iat is in the future"
        );
        assert_eq!(
            reason(serde_json::json!({"aud": AUD, "nonce": "n", "iat": NOW - 361})),
            "iat is too old"
        );
        assert_eq!(
            reason(serde_json::json!({"aud": AUD, "nonce": "n", "iat": "now"})),
            "iat is missing or not an integer"
        );
        assert_eq!(
            reason(serde_json::json!({"aud": AUD, "iat": NOW})),
            "nonce is missing"
        );
        assert_eq!(
            reason(serde_json::json!({"aud": AUD, "nonce": "", "iat": NOW})),
            "nonce is missing"
        );
        // Inside the windows.
        assert!(verify(&custom(
            header.clone(),
            serde_json::json!({"aud": AUD, "nonce": "n", "iat": NOW - 360}),
            &k
        ))
        .is_ok());
    }

    #[test]
    fn proof_parse_refusals() {
        let k = PrivateJwk::generate();
        let jwt = sign_proof(&k.public(), AUD, "n", NOW, k.signing_key()).unwrap();
        assert_eq!(verify("a.b").unwrap_err().code(), "malformed_jwt");
        // A flipped signature byte.
        let mut bad = jwt.clone().into_bytes();
        let last = bad.len() - 2;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify(std::str::from_utf8(&bad).unwrap())
                .unwrap_err()
                .code(),
            "proof_invalid"
        );
        // Duplicate header member.
        let dup = format!(
            "{}.{}.{}",
            B64.encode(br#"{"typ":"openid4vci-proof+jwt","typ":"x","alg":"EdDSA"}"#),
            B64.encode(b"{}"),
            B64.encode([0u8; 64])
        );
        assert_eq!(
            verify(&dup).unwrap_err(),
            VcError::DuplicateJsonKey {
                part: "proof JWT",
                key: "typ".into()
            }
        );
        // Over budget.
        let small = Budget {
            max_input_bytes: 16,
            ..Budget::default()
        };
        assert_eq!(
            verify_proof(&jwt, AUD, NOW, 300, 60, &small)
                .unwrap_err()
                .code(),
            "limit_exceeded"
        );
    }

    #[test]
    fn metadata_round_trip_and_display_placements() {
        let config = CredentialConfiguration {
            format: FORMAT_SD_JWT_VC.into(),
            vct: Some("urn:x".into()),
            cryptographic_binding_methods_supported: vec!["jwk".into()],
            credential_signing_alg_values_supported: vec!["EdDSA".into()],
            proof_types_supported: BTreeMap::from([(
                "jwt".into(),
                ProofTypeSupported {
                    proof_signing_alg_values_supported: vec!["EdDSA".into()],
                },
            )]),
            display: vec![Display {
                name: "주민등록표 등본".into(),
                locale: Some("ko".into()),
            }],
            credential_metadata: None,
        };
        assert_eq!(config.display_names()[0].name, "주민등록표 등본");
        let meta = IssuerMetadata {
            credential_issuer: AUD.into(),
            authorization_servers: vec![],
            credential_endpoint: format!("{AUD}/credential"),
            nonce_endpoint: Some(format!("{AUD}/nonce")),
            token_endpoint: Some(format!("{AUD}/token")),
            display: vec![],
            credential_configurations_supported: BTreeMap::from([("x".into(), config)]),
        };
        let bytes = serde_json::to_vec(&meta).unwrap();
        assert_eq!(
            IssuerMetadata::from_json(&bytes, &Budget::default()).unwrap(),
            meta
        );
        let json: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            json["credential_configurations_supported"]["x"]["proof_types_supported"]["jwt"]
                ["proof_signing_alg_values_supported"][0],
            "EdDSA"
        );
    }
}
