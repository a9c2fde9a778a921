//! OpenID for Verifiable Presentations 1.0 (OpenID4VP), the subset Dojang speaks: pure protocol
//! types and functions shared by the verifier service and the wallet. No I/O.
//!
//! The flow (same-device or cross-device, `response_mode` `direct_post` or `direct_post.jwt`):
//! 1. The relying party (RP) creates a request and shows the wallet a link or QR code,
//!    [`request_uri`]: `openid4vp://?client_id=…&request_uri=…`. The `client_id` is the RP's id on
//!    the trust list (a pre-registered client in OpenID4VP terms: the trust list is the
//!    registration), e.g. `https://bank.example`.
//! 2. The wallet reads it with [`parse_request_uri`], looks the RP up on the trust list it
//!    trusts, fetches the signed [`RequestObject`] (`typ: oauth-authz-req+jwt`, EdDSA) from
//!    `request_uri` and checks it with [`verify_request_object`] against the RP's keys from the
//!    trust list (RFC 9101; OpenID4VP 1.0 §5).
//! 3. The wallet answers the [`DcqlQuery`] (OpenID4VP 1.0 §6): for each credential query, the
//!    SD-JWT VC presentation disclosing [`CredentialQuery::claim_paths`], with a KB-JWT whose `aud`
//!    is the `client_id` and whose `nonce` is the request's `nonce`.
//! 4. It posts to `response_uri` (§8.2): for `direct_post` the form [`direct_post_form`]
//!    (`vp_token=<JSON>&state=…`); for `direct_post.jwt` (§8.3) the form
//!    [`direct_post_jwt_form`] (`response=<JWE>`), the JWE made by [`encrypt_response`] for the
//!    RP's key from `client_metadata.jwks` ([`ClientMetadata::encryption_key`]): ECDH-ES with
//!    A256GCM, nothing else.
//! 5. The RP decodes the form with [`parse_form`], decrypts with [`decrypt_response`] and reads the
//!    `vp_token` with [`parse_vp_token`] (§8.1: an object whose members are credential query ids
//!    and whose values are arrays of presentations).
//!
//! Everything from outside is parsed strictly (duplicate JSON keys refused at every depth) and
//! bounded by [`Budget`] or the named limits below.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use dojang_did::PublicJwk;
use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jws::{sign_eddsa, VerificationKey};
use crate::{json, Budget, VcError};

/// The credential format identifier of SD-JWT VCs in DCQL (OpenID4VP 1.0 Appendix B.3).
pub const FORMAT_DC_SD_JWT: &str = "dc+sd-jwt";
/// The JWT `typ` of a signed request object (RFC 9101 §4).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";
/// The media type of a request object served at `request_uri` (RFC 9101 §10.2).
pub const REQUEST_OBJECT_CONTENT_TYPE: &str = "application/oauth-authz-req+jwt";
/// The `aud` of a request object when the wallet published no metadata (OpenID4VP 1.0 §5.8).
pub const SELF_ISSUED_AUD: &str = "https://self-issued.me/v2";
/// The only `response_type` Dojang asks for.
pub const RESPONSE_TYPE_VP_TOKEN: &str = "vp_token";
/// The only JWE key-management algorithm accepted for `direct_post.jwt`.
pub const JWE_ALG: &str = "ECDH-ES";
/// The only JWE content-encryption algorithm accepted for `direct_post.jwt`.
pub const JWE_ENC: &str = "A256GCM";
/// Clock skew tolerated on a request object's `iat` and `exp`, in seconds: phones' clocks drift
/// by seconds to a minute; more would stretch the request's lifetime for no benefit.
pub const REQUEST_OBJECT_LEEWAY_SECS: i64 = 60;
/// Bytes of a compact JWE response. A presentation may be [`Budget::max_input_bytes`] (256 KiB);
/// base64url and the JSON around it make that about 342 KiB; 512 KiB leaves room for headers while
/// bounding what is decrypted per request.
pub const MAX_JWE_BYTES: usize = 512 * 1024;
/// Bytes of an `openid4vp://` link. Ours are about 150; 4 KiB fits any QR code a phone can scan.
pub const MAX_REQUEST_URI_BYTES: usize = 4096;

/// A DCQL query (OpenID4VP 1.0 §6.1). Dojang understands exactly these members; a query with
/// others (`credential_sets`, `claim_sets`, `values`, …) is refused rather than half-answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcqlQuery {
    /// The credentials asked for; the wallet presents one for each.
    pub credentials: Vec<CredentialQuery>,
}

/// One credential asked for (OpenID4VP 1.0 §6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialQuery {
    /// The id that keys the presentation in the `vp_token` (`[A-Za-z0-9_-]+`).
    pub id: String,
    /// Always [`FORMAT_DC_SD_JWT`].
    pub format: String,
    /// Format-specific constraints.
    pub meta: CredentialQueryMeta,
    /// The claims asked for. Empty: none selectively disclosable (only the always-visible ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimsQuery>,
}

/// `meta` of a `dc+sd-jwt` credential query (OpenID4VP 1.0 Appendix B.3.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialQueryMeta {
    /// The acceptable credential types (`vct`).
    pub vct_values: Vec<String>,
}

/// One claim asked for (OpenID4VP 1.0 §6.3, claims path pointer §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsQuery {
    /// The claims path pointer: strings select object members, non-negative integers array
    /// elements, `null` every element of an array.
    pub path: Vec<Value>,
}

impl ClaimsQuery {
    /// A path from Dojang's dot form (`address.road_address`, `members.1`): numeric segments
    /// become array indices.
    pub fn from_dot_path(path: &str) -> Self {
        let path = path
            .split('.')
            .map(|seg| match seg.parse::<u64>() {
                Ok(i) if !seg.starts_with('+') => Value::from(i),
                _ => Value::from(seg),
            })
            .collect();
        Self { path }
    }

    /// The path in Dojang's dot form, as the `present` API takes it. A `null` (every element)
    /// ends the path there: disclosing an array discloses all of its elements and everything
    /// beneath them, the closest the `present` API comes to "every element's X".
    pub fn dot_path(&self) -> String {
        let mut segments = Vec::new();
        for seg in &self.path {
            match seg {
                Value::String(s) => segments.push(s.clone()),
                Value::Number(n) => segments.push(n.to_string()),
                _ => break,
            }
        }
        segments.join(".")
    }
}

impl CredentialQuery {
    /// The claim paths in Dojang's dot form ([`ClaimsQuery::dot_path`]), without repeats.
    pub fn claim_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.claims {
            let p = c.dot_path();
            if !p.is_empty() && !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

impl DcqlQuery {
    /// A query for one SD-JWT VC of type `vct` with the claims at `claim_paths` (dot form).
    pub fn single(id: &str, vct: &str, claim_paths: &[String]) -> Self {
        Self {
            credentials: vec![CredentialQuery {
                id: id.to_owned(),
                format: FORMAT_DC_SD_JWT.to_owned(),
                meta: CredentialQueryMeta {
                    vct_values: vec![vct.to_owned()],
                },
                claims: claim_paths
                    .iter()
                    .map(|p| ClaimsQuery::from_dot_path(p))
                    .collect(),
            }],
        }
    }

    /// Every claim path of every credential query, in Dojang's dot form, without repeats.
    pub fn claim_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self
            .credentials
            .iter()
            .flat_map(CredentialQuery::claim_paths)
        {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// Checks the rules of OpenID4VP 1.0 §6 that serde cannot: at least one credential query,
    /// unique ids of `[A-Za-z0-9_-]+`, format `dc+sd-jwt`, at least one `vct`, non-empty claim
    /// paths of strings, non-negative integers and nulls.
    pub fn validate(&self) -> Result<(), VcError> {
        let bad = |reason: &str| VcError::RequestObjectInvalid {
            reason: format!("dcql_query: {reason}"),
        };
        if self.credentials.is_empty() {
            return Err(bad("credentials is empty"));
        }
        let mut ids = Vec::new();
        for q in &self.credentials {
            if q.id.is_empty()
                || !q
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(bad("a credential query id must be [A-Za-z0-9_-]+"));
            }
            if ids.contains(&q.id.as_str()) {
                return Err(bad("credential query ids must be unique"));
            }
            ids.push(q.id.as_str());
            if q.format != FORMAT_DC_SD_JWT {
                return Err(bad("only the dc+sd-jwt format is supported"));
            }
            if q.meta.vct_values.is_empty() {
                return Err(bad("meta.vct_values is empty"));
            }
            for c in &q.claims {
                if c.path.is_empty() {
                    return Err(bad("a claims path is empty"));
                }
                let ok = c.path.iter().all(|s| match s {
                    Value::String(_) | Value::Null => true,
                    Value::Number(n) => n.is_u64(),
                    _ => false,
                });
                if !ok {
                    return Err(bad(
                        "a claims path holds only strings, non-negative integers and nulls",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// How the wallet sends its response to `response_uri` (OpenID4VP 1.0 §8.2, §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// A form post of `vp_token` and `state`, in the clear (over TLS).
    #[serde(rename = "direct_post")]
    DirectPost,
    /// A form post of `response`, a JWE encrypted to the RP's key in `client_metadata.jwks`.
    #[serde(rename = "direct_post.jwt")]
    DirectPostJwt,
}

impl ResponseMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::DirectPost => "direct_post",
            ResponseMode::DirectPostJwt => "direct_post.jwt",
        }
    }
}

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Value>,
}

/// The verifier's metadata passed by value in the request (OpenID4VP 1.0 §5.1, §11.1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClientMetadata {
    /// Keys the wallet may encrypt the response to (`direct_post.jwt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Jwks>,
    /// Content-encryption algorithms the RP accepts; absent means A128GCM per the spec, which
    /// Dojang does not accept, so Dojang RPs always send `["A256GCM"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_response_enc_values_supported: Option<Vec<String>>,
    /// Formats and algorithms the RP accepts (`{"dc+sd-jwt": {"sd-jwt_alg_values": …}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vp_formats_supported: Option<Value>,
}

impl ClientMetadata {
    /// The key to encrypt a `direct_post.jwt` response to: the first EC P-256 public key of
    /// `jwks` meant for encryption (`use` absent or `enc`, `alg` absent or `ECDH-ES`), provided
    /// the RP accepts A256GCM.
    pub fn encryption_key(&self) -> Option<&Value> {
        let enc_ok = self
            .encrypted_response_enc_values_supported
            .as_ref()
            .is_some_and(|v| v.iter().any(|e| e == JWE_ENC));
        if !enc_ok {
            return None;
        }
        self.jwks.as_ref()?.keys.iter().find(|k| {
            k.get("kty").and_then(Value::as_str) == Some("EC")
                && k.get("crv").and_then(Value::as_str) == Some("P-256")
                && k.get("d").is_none()
                && k.get("use").is_none_or(|u| u == "enc")
                && k.get("alg").is_none_or(|a| a == JWE_ALG)
        })
    }
}

/// A request object (OpenID4VP 1.0 §5, RFC 9101), as the RP signs it and the wallet reads it.
/// Unknown members are ignored, as OAuth requires; the DCQL query is strict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestObject {
    /// The RP's id on the trust list, e.g. `https://bank.example`; also the KB-JWT `aud`.
    pub client_id: String,
    /// Always [`RESPONSE_TYPE_VP_TOKEN`].
    pub response_type: String,
    /// `direct_post` or `direct_post.jwt`.
    pub response_mode: ResponseMode,
    /// Where the wallet posts its response.
    pub response_uri: String,
    /// The nonce the KB-JWT must carry; single-use at the RP.
    pub nonce: String,
    /// Identifies the request at `response_uri`; returned with the response.
    pub state: String,
    /// What the RP asks for.
    pub dcql_query: DcqlQuery,
    /// The RP's metadata: encryption keys for `direct_post.jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
    /// When the RP made the request (seconds since the epoch).
    pub iat: i64,
    /// When the request expires; the RP refuses responses after it.
    pub exp: i64,
    /// Dojang extension: why the RP asks, shown to the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Always [`SELF_ISSUED_AUD`].
    pub aud: String,
}

impl RequestObject {
    /// Checks the members serde cannot: response type, audience, nonce and state present, the
    /// DCQL rules, and for `direct_post.jwt` a usable encryption key.
    pub fn validate(&self) -> Result<(), VcError> {
        let bad = |reason: &str| VcError::RequestObjectInvalid {
            reason: reason.to_owned(),
        };
        if self.response_type != RESPONSE_TYPE_VP_TOKEN {
            return Err(bad("response_type must be vp_token"));
        }
        if self.aud != SELF_ISSUED_AUD {
            return Err(bad("aud must be https://self-issued.me/v2"));
        }
        if self.client_id.is_empty() {
            return Err(bad("client_id is empty"));
        }
        if self.nonce.is_empty() || self.state.is_empty() {
            return Err(bad("nonce and state are required"));
        }
        if !(self.response_uri.starts_with("https://") || self.response_uri.starts_with("http://"))
        {
            return Err(bad("response_uri must be an http(s) URL"));
        }
        if self.exp <= self.iat {
            return Err(bad("exp must be after iat"));
        }
        self.dcql_query.validate()?;
        if self.response_mode == ResponseMode::DirectPostJwt && self.encryption_key().is_none() {
            return Err(bad(
                "direct_post.jwt needs an EC P-256 key in client_metadata.jwks and A256GCM",
            ));
        }
        Ok(())
    }

    /// The key to encrypt a `direct_post.jwt` answer to, from `client_metadata` (EC P-256 with
    /// A256GCM offered), if there is a usable one.
    pub fn encryption_key(&self) -> Option<&Value> {
        self.client_metadata
            .as_ref()
            .and_then(ClientMetadata::encryption_key)
    }
}

/// Signs a request object as a compact JWS: header `typ: oauth-authz-req+jwt`, `alg: EdDSA`,
/// `kid`. The object is validated first, so an RP cannot publish a request a wallet would refuse.
pub fn sign_request_object<S>(req: &RequestObject, kid: &str, signer: &S) -> Result<String, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    req.validate()?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(REQUEST_OBJECT_TYP));
    header.insert("kid".into(), Value::from(kid));
    let payload = match serde_json::to_value(req) {
        Ok(Value::Object(m)) => m,
        _ => return Err(VcError::SigningFailed),
    };
    sign_eddsa(&header, &payload, signer)
}

/// Header members of a request object that would let it choose its own key or processing.
const FORBIDDEN_REQUEST_HEADER: &[&str] = &["jwk", "x5c", "jku", "x5u", "crit"];

/// Checks a signed request object, strictly (RFC 9101 §6.2, OpenID4VP 1.0 §5):
/// 1. at most [`Budget::max_input_bytes`], three base64url segments, strict JSON header and payload;
/// 2. header `typ` is `oauth-authz-req+jwt`, `alg` is `EdDSA` (nothing else), no key-bearing or
///    `crit` members;
/// 3. the signature verifies (`verify_strict`) with one of `rp_keys`, the keys the trust list
///    gives for the RP named `client_id` in the `openid4vp://` link;
/// 4. the payload's `client_id` is that same `client_id` (§5.10);
/// 5. it has not expired (`exp`, with [`REQUEST_OBJECT_LEEWAY_SECS`]) and was not issued in the
///    future;
/// 6. [`RequestObject::validate`].
pub fn verify_request_object(
    jwt: &str,
    client_id: &str,
    rp_keys: &[PublicJwk],
    now: i64,
    budget: &Budget,
) -> Result<RequestObject, VcError> {
    let bad = |reason: &str| VcError::RequestObjectInvalid {
        reason: reason.to_owned(),
    };
    Budget::check("request_object_bytes", budget.max_input_bytes, jwt.len())?;
    let mut pieces = jwt.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(bad("a signed request object has exactly three segments"));
    };
    let header_bytes = B64.decode(h).map_err(|_| bad("header is not base64url"))?;
    let payload_bytes = B64.decode(p).map_err(|_| bad("payload is not base64url"))?;
    let sig = B64
        .decode(s)
        .map_err(|_| bad("signature is not base64url"))?;
    let header = json::parse_object(
        &header_bytes,
        budget.max_json_depth,
        "request object header",
    )?;
    let typ = header.get("typ").and_then(Value::as_str);
    if typ != Some(REQUEST_OBJECT_TYP) {
        return Err(VcError::TypInvalid {
            expected: REQUEST_OBJECT_TYP,
            found: typ.map(str::to_owned),
        });
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "EdDSA" {
        return Err(VcError::AlgNotAllowed {
            alg: alg.to_owned(),
        });
    }
    if let Some(member) = FORBIDDEN_REQUEST_HEADER
        .iter()
        .find(|m| header.contains_key(**m))
    {
        return Err(VcError::ForbiddenHeader { member });
    }
    let message = &jwt.as_bytes()[..h.len() + 1 + p.len()];
    let signed = rp_keys
        .iter()
        .any(|k| VerificationKey::Ed25519(*k).verify_signature(message, &sig));
    if !signed {
        return Err(VcError::RequestObjectSignatureInvalid);
    }
    let payload = json::parse(
        &payload_bytes,
        budget.max_json_depth,
        "request object payload",
    )?;
    let req: RequestObject =
        serde_json::from_value(payload).map_err(|e| VcError::RequestObjectInvalid {
            reason: e.to_string(),
        })?;
    if req.client_id != client_id {
        return Err(bad("client_id differs from the one in the request link"));
    }
    if now >= req.exp + REQUEST_OBJECT_LEEWAY_SECS {
        return Err(VcError::RequestObjectExpired { exp: req.exp, now });
    }
    if req.iat > now + REQUEST_OBJECT_LEEWAY_SECS {
        return Err(VcError::IssuedInFuture { iat: req.iat, now });
    }
    req.validate()?;
    Ok(req)
}

/// What an `openid4vp://` link carries: who asks, and where the signed request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestReference {
    /// The RP's id on the trust list.
    pub client_id: String,
    /// Where to `GET` the signed request object.
    pub request_uri: String,
}

/// The link a wallet opens (OpenID4VP 1.0 §5.7, RFC 9101 §5.2):
/// `openid4vp://?client_id=<urlencoded>&request_uri=<urlencoded>`.
pub fn request_uri(client_id: &str, request_uri: &str) -> String {
    format!(
        "openid4vp://?{}",
        form_urlencode(&[("client_id", client_id), ("request_uri", request_uri)])
    )
}

/// Reads an `openid4vp://` link: scheme `openid4vp`, exactly the parameters `client_id` and
/// `request_uri` (each once; `request_uri_method=get` tolerated), and an http(s) `request_uri`.
pub fn parse_request_uri(link: &str) -> Result<RequestReference, VcError> {
    let bad = |reason: &str| VcError::RequestUriInvalid {
        reason: reason.to_owned(),
    };
    Budget::check("request_uri_bytes", MAX_REQUEST_URI_BYTES, link.len())?;
    let rest = link
        .strip_prefix("openid4vp://")
        .ok_or_else(|| bad("the scheme must be openid4vp://"))?;
    let (_, query) = rest
        .split_once('?')
        .ok_or_else(|| bad("the link has no query"))?;
    let params = parse_form(query).map_err(|_| bad("the query is not urlencoded"))?;
    let mut client_id = None;
    let mut request_uri = None;
    for (k, v) in params {
        match k.as_str() {
            "client_id" => client_id = Some(v),
            "request_uri" => request_uri = Some(v),
            "request_uri_method" if v == "get" => {}
            _ => return Err(bad("unexpected parameter")),
        }
    }
    let (Some(client_id), Some(request_uri)) = (client_id, request_uri) else {
        return Err(bad("client_id and request_uri are required"));
    };
    if client_id.is_empty() {
        return Err(bad("client_id is empty"));
    }
    if !(request_uri.starts_with("https://") || request_uri.starts_with("http://")) {
        return Err(bad("request_uri must be an http(s) URL"));
    }
    Ok(RequestReference {
        client_id,
        request_uri,
    })
}

/// A `vp_token` for DCQL (OpenID4VP 1.0 §8.1): `{"<credential query id>": ["<presentation>"]}`.
pub fn vp_token(entries: &[(&str, &str)]) -> Value {
    let mut m = Map::new();
    for (id, presentation) in entries {
        let slot = m
            .entry((*id).to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = slot {
            a.push(Value::from(*presentation));
        }
    }
    Value::Object(m)
}

/// Reads a `vp_token` (the JSON text of the form parameter, or the member of a decrypted
/// response): a strict JSON object whose members are credential query ids and whose values are
/// non-empty arrays of presentation strings, at most [`Budget::max_input_bytes`] per
/// presentation.
pub fn parse_vp_token(
    value: &Value,
    budget: &Budget,
) -> Result<BTreeMap<String, Vec<String>>, VcError> {
    let bad = |reason: &str| VcError::ResponseInvalid {
        reason: reason.to_owned(),
    };
    let obj = value
        .as_object()
        .ok_or_else(|| bad("vp_token must be a JSON object"))?;
    if obj.is_empty() {
        return Err(bad("vp_token is empty"));
    }
    let mut out = BTreeMap::new();
    for (id, v) in obj {
        let arr = v
            .as_array()
            .ok_or_else(|| bad("each vp_token value must be an array"))?;
        if arr.is_empty() {
            return Err(bad("a vp_token array is empty"));
        }
        let mut presentations = Vec::with_capacity(arr.len());
        for p in arr {
            let s = p
                .as_str()
                .ok_or_else(|| bad("an SD-JWT presentation must be a string"))?;
            budget.check_input_bytes(s.len())?;
            presentations.push(s.to_owned());
        }
        out.insert(id.clone(), presentations);
    }
    Ok(out)
}

/// Parses the JSON text of a `vp_token` form parameter strictly, then [`parse_vp_token`].
pub fn parse_vp_token_text(
    text: &str,
    budget: &Budget,
) -> Result<BTreeMap<String, Vec<String>>, VcError> {
    let value = json::parse(text.as_bytes(), budget.max_json_depth, "vp_token")?;
    parse_vp_token(&value, budget)
}

/// The authorization response parameters as one JSON object (the payload of a `direct_post.jwt`
/// JWE): `{"vp_token": …, "state": …}`.
pub fn response_payload(vp_token: &Value, state: &str) -> Value {
    let mut m = Map::new();
    m.insert("vp_token".into(), vp_token.clone());
    m.insert("state".into(), Value::from(state));
    Value::Object(m)
}

/// The form that answers `request` with `vp_token`, in the response mode it asked for:
/// `direct_post` ([`direct_post_form`]: `vp_token` and `state`) or `direct_post.jwt`
/// ([`direct_post_jwt_form`]: both encrypted with [`encrypt_response`] to
/// [`RequestObject::encryption_key`]; a verified request always has one, none usable is
/// `ResponseEncryptionFailed`).
pub fn response_form(request: &RequestObject, vp_token: &Value) -> Result<String, VcError> {
    match request.response_mode {
        ResponseMode::DirectPost => Ok(direct_post_form(vp_token, &request.state)),
        ResponseMode::DirectPostJwt => {
            let key =
                request
                    .encryption_key()
                    .ok_or_else(|| VcError::ResponseEncryptionFailed {
                        reason: "direct_post.jwt without a usable encryption key".into(),
                    })?;
            let payload = response_payload(vp_token, &request.state);
            Ok(direct_post_jwt_form(&encrypt_response(&payload, key)?))
        }
    }
}

/// The body of a `direct_post` response: `vp_token=<JSON>&state=<state>`.
pub fn direct_post_form(vp_token: &Value, state: &str) -> String {
    form_urlencode(&[("vp_token", &vp_token.to_string()), ("state", state)])
}

/// The body of a `direct_post.jwt` response: `response=<JWE>`.
pub fn direct_post_jwt_form(jwe: &str) -> String {
    form_urlencode(&[("response", jwe)])
}

/// Encrypts `payload` (usually [`response_payload`]) to the RP's key for `direct_post.jwt`
/// (OpenID4VP 1.0 §8.3): compact JWE, `alg: ECDH-ES`, `enc: A256GCM`, `kid` copied from the key.
/// The key must be a public EC P-256 JWK fit for ECDH-ES ([`ClientMetadata::encryption_key`]).
pub fn encrypt_response(payload: &Value, verifier_jwk: &Value) -> Result<String, VcError> {
    let failed = |reason: String| VcError::ResponseEncryptionFailed { reason };
    let obj = verifier_jwk
        .as_object()
        .ok_or_else(|| failed("the key is not a JSON object".into()))?;
    if obj.get("kty").and_then(Value::as_str) != Some("EC")
        || obj.get("crv").and_then(Value::as_str) != Some("P-256")
    {
        return Err(failed("the key must be EC P-256".into()));
    }
    if obj.contains_key("d") {
        return Err(failed("the key must be a public key".into()));
    }
    let jwk = josekit::jwk::Jwk::from_map(obj.clone()).map_err(|e| failed(e.to_string()))?;
    let encrypter = josekit::jwe::ECDH_ES
        .encrypter_from_jwk(&jwk)
        .map_err(|e| failed(e.to_string()))?;
    let mut header = josekit::jwe::JweHeader::new();
    header.set_content_encryption(JWE_ENC);
    if let Some(kid) = obj.get("kid").and_then(Value::as_str) {
        header.set_key_id(kid);
    }
    let bytes = serde_json::to_vec(payload).map_err(|e| failed(e.to_string()))?;
    josekit::jwe::serialize_compact(&bytes, &header, &encrypter).map_err(|e| failed(e.to_string()))
}

/// Header members a response JWE may carry; anything else (`zip`, `crit`, `jku`, `jwk`, …) is
/// refused: `zip` would inflate attacker-chosen data, the others choose keys or processing.
const ALLOWED_JWE_HEADER: &[&str] = &["alg", "enc", "epk", "kid", "apu", "apv", "typ", "cty"];

/// Decrypts a `direct_post.jwt` response with the RP's private key, strictly: at most
/// [`MAX_JWE_BYTES`], five segments, a strict JSON header with only known members, `alg` exactly
/// `ECDH-ES` and `enc` exactly `A256GCM` (anything else: `alg_not_allowed`), a `kid`, if any,
/// equal to the key's; then authenticated decryption (a wrong key or any altered byte:
/// `response_decryption_failed`) and a strict JSON object as plaintext.
pub fn decrypt_response(jwe: &str, private_jwk: &Value) -> Result<Value, VcError> {
    let bad = |reason: &str| VcError::ResponseInvalid {
        reason: reason.to_owned(),
    };
    Budget::check("jwe_bytes", MAX_JWE_BYTES, jwe.len())?;
    let segments: Vec<&str> = jwe.split('.').collect();
    if segments.len() != 5 {
        return Err(bad("a compact JWE has exactly five segments"));
    }
    let budget = Budget::default();
    let header_bytes = B64
        .decode(segments[0])
        .map_err(|_| bad("the JWE header is not base64url"))?;
    let header = json::parse_object(&header_bytes, budget.max_json_depth, "JWE header")?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != JWE_ALG {
        return Err(VcError::AlgNotAllowed {
            alg: alg.to_owned(),
        });
    }
    let enc = header.get("enc").and_then(Value::as_str).unwrap_or("");
    if enc != JWE_ENC {
        return Err(VcError::AlgNotAllowed {
            alg: enc.to_owned(),
        });
    }
    if header
        .keys()
        .any(|k| !ALLOWED_JWE_HEADER.contains(&k.as_str()))
    {
        return Err(bad("the JWE header carries a member that is not accepted"));
    }
    if !segments[1].is_empty() {
        return Err(bad("ECDH-ES has no encrypted key"));
    }
    if let (Some(kid), Some(own)) = (
        header.get("kid").and_then(Value::as_str),
        private_jwk.get("kid").and_then(Value::as_str),
    ) {
        if kid != own {
            return Err(VcError::ResponseDecryptionFailed);
        }
    }
    let map = private_jwk
        .as_object()
        .cloned()
        .ok_or(VcError::ResponseDecryptionFailed)?;
    let jwk = josekit::jwk::Jwk::from_map(map).map_err(|_| VcError::ResponseDecryptionFailed)?;
    let decrypter = josekit::jwe::ECDH_ES
        .decrypter_from_jwk(&jwk)
        .map_err(|_| VcError::ResponseDecryptionFailed)?;
    let (plain, _) = josekit::jwe::deserialize_compact(jwe, &decrypter)
        .map_err(|_| VcError::ResponseDecryptionFailed)?;
    let value = json::parse(&plain, budget.max_json_depth, "JWE payload")?;
    if !value.is_object() {
        return Err(bad("the decrypted response is not a JSON object"));
    }
    Ok(value)
}

/// A new EC P-256 key pair for response encryption: `(private JWK, public JWK)`, both with
/// `kid` (the RFC 7638 thumbprint), `use: enc` and `alg: ECDH-ES`.
pub fn generate_response_key() -> Result<(Value, Value), VcError> {
    let failed = |e: josekit::JoseError| VcError::ResponseEncryptionFailed {
        reason: e.to_string(),
    };
    let mut jwk =
        josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).map_err(failed)?;
    jwk.set_key_use("enc");
    jwk.set_algorithm(JWE_ALG);
    let mut private = Value::Object(jwk.as_ref().clone());
    let public = public_response_key(&private)?;
    let kid = public
        .get("kid")
        .cloned()
        .ok_or(VcError::ResponseEncryptionFailed {
            reason: "no kid".into(),
        })?;
    if let Value::Object(m) = &mut private {
        m.insert("kid".into(), kid);
    }
    Ok((private, public))
}

/// The public part of an EC P-256 response-encryption JWK (private or public): `kty`, `crv`,
/// `x`, `y`, `use: enc`, `alg: ECDH-ES` and `kid` (the RFC 7638 thumbprint unless the key names
/// one).
pub fn public_response_key(jwk: &Value) -> Result<Value, VcError> {
    let failed = |reason: &str| VcError::ResponseEncryptionFailed {
        reason: reason.to_owned(),
    };
    let s = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| failed("the key lacks kty, crv, x or y"))
    };
    let (kty, crv, x, y) = (s("kty")?, s("crv")?, s("x")?, s("y")?);
    if kty != "EC" || crv != "P-256" {
        return Err(failed("the key must be EC P-256"));
    }
    // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
    let thumb_input = format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let thumb = B64.encode(<sha2::Sha256 as sha2::Digest>::digest(
        thumb_input.as_bytes(),
    ));
    let kid = jwk
        .get("kid")
        .and_then(Value::as_str)
        .map_or(thumb, str::to_owned);
    let mut m = Map::new();
    m.insert("kty".into(), Value::from("EC"));
    m.insert("crv".into(), Value::from("P-256"));
    m.insert("x".into(), Value::from(x));
    m.insert("y".into(), Value::from(y));
    m.insert("use".into(), Value::from("enc"));
    m.insert("alg".into(), Value::from(JWE_ALG));
    m.insert("kid".into(), Value::from(kid));
    Ok(Value::Object(m))
}

/// A fresh random value for `nonce` and `state`: 32 bytes from the OS, base64url (256 bits, so
/// guessing one is hopeless and collisions never happen in practice).
pub fn random_value() -> String {
    let mut b = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    B64.encode(b)
}

/// `application/x-www-form-urlencoded` serialization (WHATWG URL §5.2): unreserved characters
/// as they are, space as `+`, every other byte as `%XX`.
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(k, &mut out);
        out.push('=');
        encode_component(v, &mut out);
    }
    out
}

fn encode_component(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// Parses an `application/x-www-form-urlencoded` body strictly: every pair is `name=value`, `%XX`
/// escapes are valid and decode to UTF-8, and no name appears twice (two `state`s or two
/// `vp_token`s could be read differently by two parts of a system).
pub fn parse_form(body: &str) -> Result<Vec<(String, String)>, VcError> {
    let bad = |reason: &str| VcError::ResponseInvalid {
        reason: reason.to_owned(),
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in body.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| bad("a form field has no `=`"))?;
        let k = decode_component(k).ok_or_else(|| bad("invalid percent-encoding"))?;
        let v = decode_component(v).ok_or_else(|| bad("invalid percent-encoding"))?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(bad("a form field is repeated"));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// A form component decoded (`+` is a space, `%XY` a byte): `None` on a `%` without two hex
/// digits after it, or bytes that are not UTF-8. The text between escapes is copied in runs (a
/// `vp_token` is kilobytes with a dozen escapes, its `~` separators).
fn decode_component(s: &str) -> Option<String> {
    let escape = |b: &u8| *b == b'+' || *b == b'%';
    let mut rest = s.as_bytes();
    if !rest.iter().any(escape) {
        return Some(s.to_owned());
    }
    let mut out = Vec::with_capacity(rest.len());
    while let Some(i) = rest.iter().position(escape) {
        out.extend_from_slice(&rest[..i]);
        if rest[i] == b'+' {
            out.push(b' ');
            rest = &rest[i + 1..];
        } else {
            let hex = rest.get(i + 1..i + 3)?;
            out.push(hex_digit(hex[0])? << 4 | hex_digit(hex[1])?);
            rest = &rest[i + 3..];
        }
    }
    out.extend_from_slice(rest);
    String::from_utf8(out).ok()
}

/// The value of one hex digit (either case).
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use dojang_did::PrivateJwk;

    const NOW: i64 = 1_790_000_000;

    fn request(mode: ResponseMode, enc_key: Option<Value>) -> RequestObject {
        RequestObject {
            client_id: "https://bank.example".into(),
            response_type: RESPONSE_TYPE_VP_TOKEN.into(),
            response_mode: mode,
            response_uri: "https://bank.example/response".into(),
            nonce: random_value(),
            state: random_value(),
            dcql_query: DcqlQuery::single(
                "cert",
                "urn:dojang:kr:resident-registration-copy:1",
                &[
                    "name".into(),
                    "address.road_address".into(),
                    "members.1".into(),
                ],
            ),
            client_metadata: enc_key.map(|k| ClientMetadata {
                jwks: Some(Jwks { keys: vec![k] }),
                encrypted_response_enc_values_supported: Some(vec![JWE_ENC.into()]),
                vp_formats_supported: None,
            }),
            iat: NOW,
            exp: NOW + 300,
            purpose: Some("계좌 개설".into()),
            aud: SELF_ISSUED_AUD.into(),
        }
    }

    #[test]
    fn dcql_paths_round_trip() {
        let q = DcqlQuery::single(
            "cert",
            "vct",
            &[
                "name".into(),
                "address.road_address".into(),
                "members.1".into(),
            ],
        );
        assert_eq!(
            q.credentials[0].claims[2].path,
            vec![Value::from("members"), Value::from(1)]
        );
        assert_eq!(
            q.claim_paths(),
            vec!["name", "address.road_address", "members.1"]
        );
        let all = ClaimsQuery {
            path: vec!["members".into(), Value::Null, "name".into()],
        };
        assert_eq!(all.dot_path(), "members");
        q.validate().unwrap();
        let text = serde_json::to_string(&q).unwrap();
        let back: DcqlQuery = serde_json::from_str(&text).unwrap();
        assert_eq!(back, q);
        let unknown = r#"{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":["v"]},"claim_sets":[]}]}"#;
        assert!(serde_json::from_str::<DcqlQuery>(unknown).is_err());
    }

    #[test]
    fn request_object_round_trip() {
        let rp = PrivateJwk::generate();
        let req = request(ResponseMode::DirectPost, None);
        let jwt =
            sign_request_object(&req, "https://bank.example#key-1", rp.signing_key()).unwrap();
        let back = verify_request_object(
            &jwt,
            "https://bank.example",
            &[PrivateJwk::generate().public(), rp.public()],
            NOW + 10,
            &Budget::default(),
        )
        .unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn request_object_refusals() {
        let rp = PrivateJwk::generate();
        let req = request(ResponseMode::DirectPost, None);
        let jwt = sign_request_object(&req, "k", rp.signing_key()).unwrap();
        let b = Budget::default();
        let other = PrivateJwk::generate().public();
        let err = verify_request_object(&jwt, &req.client_id, &[other], NOW, &b).unwrap_err();
        assert_eq!(err.code(), "request_object_signature_invalid");
        let err = verify_request_object(&jwt, &req.client_id, &[], NOW, &b).unwrap_err();
        assert_eq!(err.code(), "request_object_signature_invalid");
        let err = verify_request_object(&jwt, "https://other.example", &[rp.public()], NOW, &b)
            .unwrap_err();
        assert_eq!(err.code(), "request_object_invalid");
        let err = verify_request_object(&jwt, &req.client_id, &[rp.public()], NOW + 3600, &b)
            .unwrap_err();
        assert_eq!(err.code(), "request_object_expired");
        // Another typ, signed by the right key.
        let mut h = Map::new();
        h.insert("typ".into(), Value::from("JWT"));
        let payload = serde_json::to_value(&req).unwrap();
        let wrong_typ = sign_eddsa(&h, payload.as_object().unwrap(), rp.signing_key()).unwrap();
        let err =
            verify_request_object(&wrong_typ, &req.client_id, &[rp.public()], NOW, &b).unwrap_err();
        assert_eq!(err.code(), "typ_invalid");
        // A flipped payload byte.
        let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
        let mut payload = B64.decode(&parts[1]).unwrap();
        let i = payload.len() / 2;
        payload[i] ^= 1;
        parts[1] = B64.encode(payload);
        let err = verify_request_object(&parts.join("."), &req.client_id, &[rp.public()], NOW, &b)
            .unwrap_err();
        assert_eq!(err.code(), "request_object_signature_invalid");
    }

    #[test]
    fn direct_post_jwt_needs_a_key() {
        let rp = PrivateJwk::generate();
        let req = request(ResponseMode::DirectPostJwt, None);
        assert_eq!(
            sign_request_object(&req, "k", rp.signing_key())
                .unwrap_err()
                .code(),
            "request_object_invalid"
        );
        let (_, public) = generate_response_key().unwrap();
        let req = request(ResponseMode::DirectPostJwt, Some(public));
        sign_request_object(&req, "k", rp.signing_key()).unwrap();
    }

    #[test]
    fn request_uri_round_trip() {
        let link = request_uri(
            "https://bank.example",
            "https://bank.example/requests/a b&c/object",
        );
        assert!(link.starts_with("openid4vp://?client_id=https%3A%2F%2Fbank.example&"));
        let r = parse_request_uri(&link).unwrap();
        assert_eq!(r.client_id, "https://bank.example");
        assert_eq!(r.request_uri, "https://bank.example/requests/a b&c/object");
        for bad in [
            "https://x?client_id=a&request_uri=https%3A%2F%2Fx",
            "openid4vp://?client_id=a",
            "openid4vp://?client_id=a&client_id=b&request_uri=https%3A%2F%2Fx",
            "openid4vp://?client_id=a&request_uri=file%3A%2F%2Fx",
            "openid4vp://?client_id=a&request_uri=https%3A%2F%2Fx&extra=1",
            "openid4vp://?client_id=%ZZ&request_uri=https%3A%2F%2Fx",
        ] {
            assert_eq!(
                parse_request_uri(bad).unwrap_err().code(),
                "request_uri_invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn vp_token_and_form_round_trip() {
        let token = vp_token(&[("cert", "eyJ~a~b~kb")]);
        assert_eq!(token, serde_json::json!({"cert": ["eyJ~a~b~kb"]}));
        let body = direct_post_form(&token, "st ate");
        let form = parse_form(&body).unwrap();
        assert_eq!(form[1], ("state".into(), "st ate".into()));
        let parsed = parse_vp_token_text(&form[0].1, &Budget::default()).unwrap();
        assert_eq!(parsed["cert"], vec!["eyJ~a~b~kb".to_owned()]);
        assert_eq!(
            parse_vp_token_text(r#"{"cert":"x"}"#, &Budget::default())
                .unwrap_err()
                .code(),
            "response_invalid"
        );
        assert_eq!(
            parse_vp_token_text(r#"{"cert":["x"],"cert":["y"]}"#, &Budget::default())
                .unwrap_err()
                .code(),
            "duplicate_json_key"
        );
        assert!(parse_form("state=a&state=b").is_err());
    }

    #[test]
    fn form_components_decode_escapes_and_refuse_broken_ones() {
        let decoded = |s: &str| decode_component(s);
        assert_eq!(decoded("plain.text-_~").as_deref(), Some("plain.text-_~"));
        assert_eq!(decoded("a+b%7Ec%7e").as_deref(), Some("a b~c~"));
        assert_eq!(decoded("%ED%95%9C%EA%B8%80").as_deref(), Some("한글"));
        assert_eq!(decoded("%25%2B+").as_deref(), Some("%+ "));
        assert_eq!(decoded("").as_deref(), Some(""));
        // A `%` needs two hex digits; a sign is not one.
        for bad in ["%", "%7", "a%", "%zz", "%+1", "%-1", "% 1"] {
            assert_eq!(decoded(bad), None, "{bad}");
        }
        // Decoded bytes must be UTF-8.
        assert_eq!(decoded("%FF"), None);
        assert_eq!(decoded("%ED%95"), None);
    }

    #[test]
    fn jwe_round_trip() {
        let (private, public) = generate_response_key().unwrap();
        let meta = ClientMetadata {
            jwks: Some(Jwks {
                keys: vec![public.clone()],
            }),
            encrypted_response_enc_values_supported: Some(vec![JWE_ENC.into()]),
            vp_formats_supported: None,
        };
        let key = meta.encryption_key().unwrap();
        let payload = response_payload(&vp_token(&[("cert", "p~")]), "s");
        let jwe = encrypt_response(&payload, key).unwrap();
        let header: Value =
            serde_json::from_slice(&B64.decode(jwe.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header["alg"], JWE_ALG);
        assert_eq!(header["enc"], JWE_ENC);
        assert_eq!(header["kid"], public["kid"]);
        assert_eq!(decrypt_response(&jwe, &private).unwrap(), payload);
        // Another key cannot decrypt it.
        let (other, _) = generate_response_key().unwrap();
        let mut other_no_kid = other.clone();
        other_no_kid.as_object_mut().unwrap().remove("kid");
        assert_eq!(
            decrypt_response(&jwe, &other).unwrap_err().code(),
            "response_decryption_failed"
        );
        assert_eq!(
            decrypt_response(&jwe, &other_no_kid).unwrap_err().code(),
            "response_decryption_failed"
        );
        // The public key alone cannot decrypt, and a private key is refused for encryption.
        assert!(decrypt_response(&jwe, &public).is_err());
        assert_eq!(
            encrypt_response(&payload, &private).unwrap_err().code(),
            "response_encryption_failed"
        );
    }

    #[test]
    fn jwe_tampered_refused() {
        let (private, public) = generate_response_key().unwrap();
        let jwe = encrypt_response(&serde_json::json!({"a": 1}), &public).unwrap();
        let parts: Vec<&str> = jwe.split('.').collect();
        for i in [0usize, 2, 3, 4] {
            let mut p: Vec<String> = parts.iter().map(|s| (*s).to_owned()).collect();
            let mut bytes = B64.decode(&p[i]).unwrap();
            let j = bytes.len() - 1;
            bytes[j] ^= 1;
            p[i] = B64.encode(bytes);
            assert!(
                decrypt_response(&p.join("."), &private).is_err(),
                "segment {i}"
            );
        }
    }

    #[test]
    fn jwe_other_alg_or_enc_refused() {
        let (private, public) = generate_response_key().unwrap();
        let jwk = josekit::jwk::Jwk::from_map(public.as_object().unwrap().clone()).unwrap();
        // enc A128GCM with the right key.
        let enc = josekit::jwe::ECDH_ES.encrypter_from_jwk(&jwk).unwrap();
        let mut h = josekit::jwe::JweHeader::new();
        h.set_content_encryption("A128GCM");
        let jwe = josekit::jwe::serialize_compact(b"{}", &h, &enc).unwrap();
        assert_eq!(
            decrypt_response(&jwe, &private).unwrap_err(),
            VcError::AlgNotAllowed {
                alg: "A128GCM".into()
            }
        );
        // alg ECDH-ES+A256KW.
        let mut public_kw = public.clone();
        public_kw.as_object_mut().unwrap().remove("alg");
        let jwk = josekit::jwk::Jwk::from_map(public_kw.as_object().unwrap().clone()).unwrap();
        let enc = josekit::jwe::ECDH_ES_A256KW
            .encrypter_from_jwk(&jwk)
            .unwrap();
        let mut h = josekit::jwe::JweHeader::new();
        h.set_content_encryption("A256GCM");
        let jwe = josekit::jwe::serialize_compact(b"{}", &h, &enc).unwrap();
        assert_eq!(
            decrypt_response(&jwe, &private).unwrap_err().code(),
            "alg_not_allowed"
        );
        // A zip header is refused before anything is inflated.
        let enc = josekit::jwe::ECDH_ES
            .encrypter_from_jwk(
                &josekit::jwk::Jwk::from_map(public.as_object().unwrap().clone()).unwrap(),
            )
            .unwrap();
        let mut h = josekit::jwe::JweHeader::new();
        h.set_content_encryption("A256GCM");
        h.set_compression("DEF");
        let jwe = josekit::jwe::serialize_compact(b"{}", &h, &enc).unwrap();
        assert_eq!(
            decrypt_response(&jwe, &private).unwrap_err().code(),
            "response_invalid"
        );
    }
}
