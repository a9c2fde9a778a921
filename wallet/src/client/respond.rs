//! Answering a presentation request: the wallet as an OpenID4VP 1.0 client (DCQL,
//! `direct_post` and `direct_post.jwt`), with the trust list as the registry of relying parties.
//!
//! 1. Read the `openid4vp://?client_id=…&request_uri=…` link.
//! 2. Look the relying party (`client_id`) up on the trust list; not there: refused
//!    ([`WalletError::RelyingPartyUnknown`]) before anything is fetched, so an unknown party does
//!    not even learn that the link was opened.
//! 3. `GET` the request object and verify it with the relying party's keys from the trust list,
//!    never a key it names itself ([`WalletError::RequestNotVerified`]); then its expiry and form.
//! 4. Check every asked claim against the relying party's entitlement for every asked type
//!    ([`WalletError::RequestBeyondEntitlement`]).
//! 5. Find a stored, unexpired credential of an asked type that has every asked claim, the newest
//!    first ([`WalletError::NoMatchingCredential`]).
//! 6. Show the holder a [`ConsentView`] (who, why, exactly which values, RRNs masked, how many
//!    claims stay withheld) and ask; declined: [`WalletError::ConsentDeclined`], nothing sent and
//!    nothing recorded.
//! 7. Present (a KB-JWT with `aud` = `client_id`, `nonce` = the request's nonce; the history
//!    records it) and `POST` the response to `response_uri`: `vp_token=…&state=…`, or for
//!    `direct_post.jwt` `response=<JWE>` encrypted to the relying party's key from
//!    `client_metadata.jwks`.

use dojang_did::PublicJwk;
use dojang_vc::oid4vp::{
    parse_request_uri, response_form, verify_request_object, vp_token, REQUEST_OBJECT_CONTENT_TYPE,
};
use dojang_vc::present::{resolve_path, select, withheld};
use dojang_vc::process::Processed;
use dojang_vc::trust_list::VerifiedTrustList;
use dojang_vc::{Budget, PathSegment, VcError};
use serde_json::{Map, Value};

use super::http::{Http, Reply};
use crate::{masked, CredentialId, CredentialSummary, StoredCredential, Wallet, WalletError};

/// What the holder is asked to agree to before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentView {
    /// The relying party's id on the trust list (`https://bank.example`).
    pub rp_id: String,
    /// Its name in Korean, from the trust list.
    pub rp_name_ko: String,
    /// Its name in English, from the trust list.
    pub rp_name_en: String,
    /// Why it asks, in its own words (the request's `purpose`), if it says.
    pub purpose: Option<String>,
    /// The type of the credential the claims come from.
    pub vct: String,
    /// The stored credential that would be presented.
    pub credential_id: CredentialId,
    /// Who issued it (`iss`).
    pub issuer: String,
    /// The holder's label for it.
    pub credential_label: String,
    /// Each claim to be disclosed, as a path and its value; resident registration numbers are
    /// masked (`900101-1******`) here, though the relying party receives them in full.
    pub claims_disclosed: Vec<(String, Value)>,
    /// How many of the credential's selectively disclosable claims stay withheld.
    pub claims_withheld_count: usize,
}

/// What happened when the holder agreed and the response was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespondOutcome {
    /// The relying party answered.
    pub rp_id: String,
    /// The claim paths disclosed.
    pub disclosed: Vec<String>,
    /// The HTTP status of the relying party's answer (2xx).
    pub status_code: u16,
    /// Where the relying party asks the holder to go next (its answer's `redirect_uri`), if
    /// anywhere.
    pub redirect_uri: Option<String>,
}

/// Answers the presentation request behind `request_uri` (an `openid4vp://` link), asking
/// `consent` first. See the module docs for the steps and the refusals.
///
/// `trust` is the verified trust list: the only source of who a relying party is, which keys
/// sign its requests and what it may ask for.
pub fn respond(
    wallet: &Wallet,
    request_uri: &str,
    trust: &VerifiedTrustList,
    consent: &mut dyn FnMut(&ConsentView) -> bool,
    now: i64,
) -> Result<RespondOutcome, WalletError> {
    let budget = Budget::default();
    // 1. The link.
    let reference = parse_request_uri(request_uri.trim())?;
    let client_id = reference.client_id.as_str();

    // 2. Who asks.
    let rp = trust
        .relying_party(client_id)
        .ok_or_else(|| WalletError::RelyingPartyUnknown {
            client_id: client_id.to_owned(),
        })?;
    let not_verified = |reason: String| WalletError::RequestNotVerified {
        client_id: client_id.to_owned(),
        reason,
    };
    let keys = rp
        .keys
        .iter()
        .map(PublicJwk::from_json)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_verified(format!("its key on the trust list is unusable: {e}")))?;
    if keys.is_empty() {
        return Err(not_verified(
            "the trust list gives it no key to sign requests with".into(),
        ));
    }

    // 3. The signed request.
    let http = Http::new();
    let reply = http.get(&reference.request_uri, REQUEST_OBJECT_CONTENT_TYPE)?;
    expect_ok(&reply)?;
    let request = verify_request_object(reply.body.trim(), client_id, &keys, now, &budget)
        .map_err(|e| match e {
            VcError::RequestObjectSignatureInvalid
            | VcError::TypInvalid { .. }
            | VcError::AlgNotAllowed { .. }
            | VcError::ForbiddenHeader { .. } => not_verified(e.to_string()),
            other => WalletError::Credential(other),
        })?;
    let [query] = request.dcql_query.credentials.as_slice() else {
        return Err(WalletError::RequestUnsupported {
            reason: "it asks for several credentials at once".into(),
        });
    };

    let paths = query.claim_paths();
    let vcts = &query.meta.vct_values;

    // 4. Entitlement, for every type it would accept.
    for vct in vcts {
        let beyond: Vec<String> = paths
            .iter()
            .filter(|p| !rp.entitled(vct, p))
            .cloned()
            .collect();
        if !beyond.is_empty() || !rp.entitlements.contains_key(vct) {
            return Err(WalletError::RequestBeyondEntitlement {
                rp_id: rp.id.clone(),
                vct: vct.clone(),
                claims: if beyond.is_empty() {
                    vec![format!("a credential of type {vct}")]
                } else {
                    beyond
                },
            });
        }
    }

    // 5. A credential that has it all.
    let (credential_id, credential, processed) = find_credential(wallet, vcts, &paths, now)?;

    // 6. Consent.
    let resolved = paths
        .iter()
        .map(|p| resolve_path(&processed, p))
        .collect::<Result<Vec<_>, _>>()?;
    let shown = masked(&processed.claims);
    let claims_disclosed = resolved
        .iter()
        .zip(&paths)
        .map(|(path, text)| {
            (
                text.clone(),
                value_at(&shown, path).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    let view = ConsentView {
        rp_id: rp.id.clone(),
        rp_name_ko: rp.name_ko.clone(),
        rp_name_en: rp.name_en.clone(),
        purpose: request.purpose.clone(),
        vct: credential.vct.clone(),
        credential_id,
        issuer: credential.issuer.clone(),
        credential_label: credential.label.clone(),
        claims_disclosed,
        claims_withheld_count: withheld(&processed, &select(&processed, &resolved)).len(),
    };
    if !consent(&view) {
        return Err(WalletError::ConsentDeclined);
    }

    // 7. Present, record, send.
    let presentation = wallet.present(&credential_id, &paths, client_id, &request.nonce, now)?;
    let token = vp_token(&[(query.id.as_str(), presentation.text.as_str())]);
    let form = response_form(&request, &token)?;
    let reply = http.post_form(&request.response_uri, form, None)?;
    if !reply.ok() {
        return Err(match reply.oauth_error() {
            Some(e) => WalletError::VerifierRefused {
                what: "the presentation",
                error: e.error,
                description: e.error_description,
            },
            None => WalletError::VerifierRefused {
                what: "the presentation",
                error: format!("http_{}", reply.status),
                description: None,
            },
        });
    }
    let redirect_uri = serde_json::from_str::<Map<String, Value>>(&reply.body)
        .ok()
        .and_then(|m| {
            m.get("redirect_uri")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    Ok(RespondOutcome {
        rp_id: rp.id.clone(),
        disclosed: presentation.disclosed,
        status_code: reply.status,
        redirect_uri,
    })
}

/// The newest unexpired stored credential of one of `vcts` that has every claim at `paths`, with
/// its processed claims. None: [`WalletError::NoMatchingCredential`], naming the claims the
/// closest candidate lacks.
fn find_credential(
    wallet: &Wallet,
    vcts: &[String],
    paths: &[String],
    now: i64,
) -> Result<(CredentialId, StoredCredential, Processed), WalletError> {
    // The summaries choose the candidates; only those are decrypted in full.
    let mut candidates: Vec<(CredentialId, CredentialSummary)> = wallet
        .list_summaries()?
        .into_iter()
        .filter(|(_, c)| vcts.contains(&c.vct) && c.expires_at.is_none_or(|exp| exp > now))
        .collect();
    candidates.sort_by_key(|(_, c)| std::cmp::Reverse(c.issued_at));
    let mut closest: Option<Vec<String>> = None;
    for (id, _) in candidates {
        let credential = wallet.get_credential(&id)?;
        let processed = crate::agent::processed_of(&credential)?;
        let missing: Vec<String> = paths
            .iter()
            .filter(|p| resolve_path(&processed, p).is_err())
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok((id, credential, processed));
        }
        if closest.as_ref().is_none_or(|m| missing.len() < m.len()) {
            closest = Some(missing);
        }
    }
    Err(WalletError::NoMatchingCredential {
        vcts: vcts.to_vec(),
        missing: closest.unwrap_or_default(),
    })
}

/// The value at `path` in `claims`.
fn value_at<'a>(claims: &'a Map<String, Value>, path: &[PathSegment]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let PathSegment::Key(key) = first else {
        return None;
    };
    let mut here = claims.get(key)?;
    for segment in rest {
        here = match (segment, here) {
            (PathSegment::Key(k), Value::Object(o)) => o.get(k)?,
            (PathSegment::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

/// `Ok` for a 2xx answer to the request fetch; an OAuth error is the verifier's refusal.
fn expect_ok(reply: &Reply) -> Result<(), WalletError> {
    if reply.ok() {
        return Ok(());
    }
    match reply.oauth_error() {
        Some(e) => Err(WalletError::VerifierRefused {
            what: "to hand out its request",
            error: e.error,
            description: e.error_description,
        }),
        None => Err(reply.unexpected_status()),
    }
}
