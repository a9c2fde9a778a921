//! Receiving a credential: the wallet as an OpenID4VCI 1.0 client, pre-authorized code flow.
//!
//! 1. Read the offer link (`openid-credential-offer://?credential_offer_uri=…` or
//!    `?credential_offer=…`) and, by reference, `GET` the offer (§4.1).
//! 2. `GET` the issuer metadata at `/.well-known/openid-credential-issuer` (§12.2.2) and check that
//!    it is the offer's issuer (§12.2.4) and offers the configuration as an EdDSA-bound
//!    `dc+sd-jwt`.
//! 3. `POST` the token endpoint (the metadata's, or the authorization server's per RFC 8414): the
//!    pre-authorized code and, when the offer asks for one, the transaction code (§6.1).
//! 4. `POST` the nonce endpoint for a fresh `c_nonce` (§7).
//! 5. Sign the key proof with the holder key (`aud` = the credential issuer, `nonce` = `c_nonce`;
//!    Appendix F.1) and `POST` the credential request with the access token (§8); on
//!    `invalid_nonce`, once more with a fresh nonce (§8.3.1.2).
//! 6. Check and store the credential with [`Wallet::import_with`] (issuer signature, through the
//!    trust list when there is one; disclosures; `cnf` is this wallet's key), keeping the issuer's
//!    log inclusion proof (`dojang_log_inclusion`) beside it.
//!
//! An OAuth error from any endpoint becomes [`WalletError::IssuerRefused`], naming the step and
//! showing the issuer's `error` and `error_description`.

use dojang_vc::oid4vci::{
    parse_offer_uri, sign_proof, well_known_uri, AuthorizationServerMetadata, CredentialOffer,
    CredentialRequest, CredentialResponse, IssuerMetadata, NonceResponse, OfferRef, TokenRequest,
    TokenResponse, FORMAT_SD_JWT_VC, WELL_KNOWN_AUTHORIZATION_SERVER, WELL_KNOWN_CREDENTIAL_ISSUER,
};
use dojang_vc::trust_list::VerifiedTrustList;
use dojang_vc::Budget;

use super::http::{Http, Reply};
use crate::{CredentialId, StoredCredential, Wallet, WalletError};

/// Reads an offer link and, when it points to the offer by reference, fetches the offer (step 1).
///
/// The CLI calls this first to learn whether the offer asks for a transaction code
/// (`offer.pre_authorized().tx_code`) before prompting for one.
pub fn fetch_offer(offer_uri: &str) -> Result<CredentialOffer, WalletError> {
    match parse_offer_uri(offer_uri.trim())? {
        OfferRef::ByValue(offer) => Ok(offer),
        OfferRef::ByReference(url) => {
            let reply = Http::new().get(&url, "application/json")?;
            expect_ok(&reply, "the credential offer", false)?;
            CredentialOffer::from_json(reply.body.as_bytes(), &Budget::default())
                .map_err(|e| reply.invalid(e.to_string()))
        }
    }
}

/// Receives the credential offered at `offer_uri` into `wallet`: [`fetch_offer`], then
/// [`receive_offer`].
pub fn receive(
    wallet: &Wallet,
    offer_uri: &str,
    tx_code: Option<&str>,
    trust: Option<&VerifiedTrustList>,
    now: i64,
) -> Result<(CredentialId, StoredCredential), WalletError> {
    let offer = fetch_offer(offer_uri)?;
    receive_offer(wallet, &offer, tx_code, trust, now)
}

/// Receives the first credential of `offer` into `wallet` (steps 2–6 of the module docs).
///
/// `tx_code` is the transaction code the citizen was given on another channel; an offer that asks
/// for one and gets none is [`WalletError::TxCodeRequired`] before anything is sent. A code given
/// for an offer that asks for none is not sent. `trust`, when given, supplies the issuer's key
/// (a did:web agency's key is only there) and refuses an issuer not accredited for the credential's
/// type.
pub fn receive_offer(
    wallet: &Wallet,
    offer: &CredentialOffer,
    tx_code: Option<&str>,
    trust: Option<&VerifiedTrustList>,
    now: i64,
) -> Result<(CredentialId, StoredCredential), WalletError> {
    let grant = offer.pre_authorized();
    let tx_code = match (&grant.tx_code, tx_code) {
        (Some(spec), None) => {
            return Err(WalletError::TxCodeRequired {
                description: spec.description.clone(),
                length: spec.length,
            })
        }
        (Some(_), Some(code)) => Some(code),
        (None, _) => None,
    };
    let config_id = offer.credential_configuration_ids.first().ok_or_else(|| {
        WalletError::OfferUnsupported {
            reason: "the offer names no credential".into(),
        }
    })?;
    let http = Http::new();
    let issuer = offer.credential_issuer.as_str();

    // 2. Issuer metadata.
    let reply = http.get(
        &well_known_uri(issuer, WELL_KNOWN_CREDENTIAL_ISSUER),
        "application/json",
    )?;
    expect_ok(&reply, "the metadata request", false)?;
    let metadata = IssuerMetadata::from_json(reply.body.as_bytes(), &Budget::default())
        .map_err(|e| reply.invalid(e.to_string()))?;
    if metadata.credential_issuer != issuer {
        return Err(WalletError::OfferUnsupported {
            reason: format!(
                "the metadata is for `{}`, the offer for `{issuer}`",
                metadata.credential_issuer
            ),
        });
    }
    let config = metadata
        .credential_configurations_supported
        .get(config_id)
        .ok_or_else(|| WalletError::OfferUnsupported {
            reason: format!("the issuer does not list the offered credential `{config_id}`"),
        })?;
    if config.format != FORMAT_SD_JWT_VC {
        return Err(WalletError::OfferUnsupported {
            reason: format!(
                "`{config_id}` is issued as `{}`, not {FORMAT_SD_JWT_VC}",
                config.format
            ),
        });
    }
    let binds_jwk = config.cryptographic_binding_methods_supported.is_empty()
        || config
            .cryptographic_binding_methods_supported
            .iter()
            .any(|m| m == "jwk");
    let eddsa_proof = config.proof_types_supported.is_empty()
        || config.proof_types_supported.get("jwt").is_some_and(|jwt| {
            jwt.proof_signing_alg_values_supported
                .iter()
                .any(|a| a == "EdDSA")
        });
    if !binds_jwk || !eddsa_proof {
        return Err(WalletError::OfferUnsupported {
            reason: format!(
                "`{config_id}` is not bound to a JWK proven with an EdDSA key proof JWT"
            ),
        });
    }
    let label = config
        .display_names()
        .iter()
        .find(|d| d.locale.as_deref() == Some("ko"))
        .or_else(|| config.display_names().first())
        .map_or_else(|| config_id.clone(), |d| d.name.clone());

    // 3. Token.
    let token_endpoint = match &metadata.token_endpoint {
        Some(endpoint) => endpoint.clone(),
        None => {
            let server = metadata
                .authorization_servers
                .first()
                .map_or(issuer, String::as_str);
            let reply = http.get(
                &well_known_uri(server, WELL_KNOWN_AUTHORIZATION_SERVER),
                "application/json",
            )?;
            expect_ok(&reply, "the metadata request", false)?;
            let as_meta: AuthorizationServerMetadata =
                reply.json("OAuth authorization server metadata")?;
            if as_meta.issuer != server {
                return Err(reply.invalid(format!(
                    "the authorization server metadata is for `{}`, not `{server}`",
                    as_meta.issuer
                )));
            }
            as_meta.token_endpoint
        }
    };
    let request = TokenRequest::pre_authorized(&grant.pre_authorized_code, tx_code);
    let reply = http.post_form(&token_endpoint, request.to_form(), None)?;
    expect_ok(&reply, TOKEN_STEP, tx_code.is_some())?;
    let token: TokenResponse = reply.json("token response")?;
    if !token.token_type.eq_ignore_ascii_case("bearer") {
        return Err(reply.invalid(format!("token type `{}` is not Bearer", token.token_type)));
    }

    // 4–5. Nonce, key proof, credential; once more on invalid_nonce.
    let nonce_endpoint =
        metadata
            .nonce_endpoint
            .as_deref()
            .ok_or_else(|| WalletError::OfferUnsupported {
                reason: "the issuer has no nonce endpoint".into(),
            })?;
    let holder = wallet.holder_key()?;
    let mut retried = false;
    let response: CredentialResponse = loop {
        let reply = http.post_empty(nonce_endpoint)?;
        expect_ok(&reply, "the nonce request", false)?;
        let nonce: NonceResponse = reply.json("nonce response")?;
        let proof = sign_proof(
            &holder.public(),
            issuer,
            &nonce.c_nonce,
            now,
            holder.signing_key(),
        )?;
        let body = serde_json::to_value(CredentialRequest::with_proof(config_id, proof)).map_err(
            |source| WalletError::Encode {
                tree: "credential request",
                source,
            },
        )?;
        let reply = http.post_json(
            &metadata.credential_endpoint,
            &body,
            Some(&token.access_token),
        )?;
        match reply.oauth_error() {
            Some(e) if !reply.ok() && e.error == "invalid_nonce" && !retried => retried = true,
            _ => {
                expect_ok(&reply, "the credential request", false)?;
                break reply.json("credential response")?;
            }
        }
    };
    let credential =
        response
            .credentials
            .first()
            .ok_or_else(|| WalletError::ServiceResponseInvalid {
                url: metadata.credential_endpoint.clone(),
                reason: "the response holds no credential (deferred issuance is not supported)"
                    .into(),
            })?;

    // 6. Check and keep.
    wallet.import_with(
        &credential.credential,
        &label,
        trust,
        response.dojang_log_inclusion.as_ref(),
        now,
    )
}

/// The token request, as [`expect_ok`] names it.
const TOKEN_STEP: &str = "the token request";

/// `Ok` for a 2xx answer; otherwise the issuer's OAuth error as [`WalletError::IssuerRefused`]
/// (`what` names the step; an `invalid_grant` from the token request names the transaction code
/// when one was sent, else the offer's code), or [`WalletError::ServiceResponseInvalid`] for a bare error status.
fn expect_ok(reply: &Reply, what: &'static str, sent_tx_code: bool) -> Result<(), WalletError> {
    if reply.ok() {
        return Ok(());
    }
    let Some(e) = reply.oauth_error() else {
        return Err(reply.unexpected_status());
    };
    let what = match (what, sent_tx_code, e.error.as_str()) {
        (TOKEN_STEP, true, "invalid_grant") => "the transaction code",
        (TOKEN_STEP, false, "invalid_grant") => "the offer's pre-authorized code",
        (what, _, _) => what,
    };
    Err(WalletError::IssuerRefused {
        what,
        error: e.error,
        description: e.error_description,
    })
}
