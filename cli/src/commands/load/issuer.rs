//! The issuer as a load target: an offer through the admin API, its pre-authorized code traded
//! for an access token, a `c_nonce` and a key proof signed by a fresh holder key, ready to post
//! to `POST /credential`; a sampled credential is verified and checked against its holder key.

use std::sync::{Arc, OnceLock};

use dojang_did::{PrivateJwk, PublicJwk};
use dojang_vc::jws::{Algorithm, VerificationKey};
use dojang_vc::oid4vci::{
    sign_proof, well_known_uri, CredentialOffer, CredentialRequest, CredentialResponse,
    IssuerMetadata, NonceResponse, TokenRequest, TokenResponse, WELL_KNOWN_CREDENTIAL_ISSUER,
};
use dojang_vc::{key_binding, sd_jwt_vc, Budget, SdJwt};
use hyper::body::Bytes;
use serde_json::{json, Value};

use super::http::{json_of, refused, Call, Conn, Endpoint};
use super::{IssuerLoadArgs, Prepared, SampleRef};
use crate::commands::verifier_serve::read_token;
use crate::error::CliError;

/// The issuer's arguments, read before the runtime starts.
pub(super) struct IssuerSetup {
    endpoint: Endpoint,
    admin_token: String,
    persons: Vec<String>,
    certificate: String,
    issuer_key: Option<PublicJwk>,
}

pub(super) fn issuer_setup(
    args: &IssuerLoadArgs,
    endpoint: Endpoint,
) -> Result<IssuerSetup, CliError> {
    Ok(IssuerSetup {
        endpoint,
        admin_token: read_token(&args.admin_token_file)?,
        persons: args.persons.clone(),
        certificate: args.certificate.clone(),
        issuer_key: args
            .issuer_key
            .as_deref()
            .map(crate::commands::key::load_public)
            .transpose()?,
    })
}

pub(super) struct IssuerTarget {
    pub(super) endpoint: Arc<Endpoint>,
    admin_token: String,
    persons: Vec<String>,
    /// The `POST /admin/offers` bodies, one per person.
    offer_bodies: Vec<Bytes>,
    /// The credential issuer identifier (the key proofs' `aud`).
    issuer_id: String,
    token_path: String,
    nonce_path: String,
    credential_path: String,
    /// The key sampled credentials must verify with.
    issuer_key: PublicJwk,
    /// Where that key came from, for the report.
    pub(super) key_source: &'static str,
    metadata: IssuerMetadata,
    /// The configuration offered (from the first offer).
    configuration: OnceLock<String>,
}

pub(super) async fn issuer_target(setup: IssuerSetup) -> Result<IssuerTarget, CliError> {
    let endpoint = Arc::new(setup.endpoint);
    let mut conn = Conn::new(Arc::clone(&endpoint))?;
    let what = "GET /.well-known/openid-credential-issuer";
    let meta_url = well_known_uri(&endpoint.origin, WELL_KNOWN_CREDENTIAL_ISSUER);
    let body = conn
        .expect(
            what,
            Call::get(&endpoint.path_of(&meta_url)?, "application/json", None),
            200,
        )
        .await?;
    let metadata = IssuerMetadata::from_json(&body, &Budget::default())?;
    let token_endpoint = metadata
        .token_endpoint
        .clone()
        .ok_or_else(|| refused(what, "no token_endpoint"))?;
    let nonce_endpoint = metadata
        .nonce_endpoint
        .clone()
        .ok_or_else(|| refused(what, "no nonce_endpoint"))?;
    let (issuer_key, key_source) = match setup.issuer_key {
        Some(key) => (key, "--issuer-key"),
        None => {
            let what = "GET /.well-known/jwt-vc-issuer";
            let body = conn
                .expect(
                    what,
                    Call::get(
                        &endpoint.route("/.well-known/jwt-vc-issuer"),
                        "application/json",
                        None,
                    ),
                    200,
                )
                .await?;
            let meta: Value = json_of(what, &body)?;
            let jwk = meta
                .pointer("/jwks/keys/0")
                .ok_or_else(|| refused(what, "no key"))?;
            (
                PublicJwk::from_json_public_part(jwk)?,
                "/.well-known/jwt-vc-issuer",
            )
        }
    };
    let offer_bodies = setup
        .persons
        .iter()
        .map(|p| {
            Bytes::from(json!({ "person_id": p, "certificate": setup.certificate }).to_string())
        })
        .collect();
    Ok(IssuerTarget {
        token_path: endpoint.path_of(&token_endpoint)?,
        nonce_path: endpoint.path_of(&nonce_endpoint)?,
        credential_path: endpoint.path_of(&metadata.credential_endpoint)?,
        issuer_id: metadata.credential_issuer.clone(),
        endpoint,
        admin_token: setup.admin_token,
        persons: setup.persons,
        offer_bodies,
        issuer_key,
        key_source,
        metadata,
        configuration: OnceLock::new(),
    })
}

impl IssuerTarget {
    /// An offer (admin API), its code for an access token, a fresh `c_nonce`, and a key proof
    /// over it by a new holder key: the steps of `dojang_wallet::receive` up to the credential
    /// request.
    pub(super) async fn prepare(
        &self,
        conn: &mut Conn,
        index: usize,
    ) -> Result<Prepared, CliError> {
        let n = index % self.persons.len();
        let body = conn
            .expect(
                "POST /admin/offers",
                Call::post(
                    &self.endpoint.route("/admin/offers"),
                    "application/json",
                    Some(&self.admin_token),
                    self.offer_bodies.get(n).cloned().unwrap_or_default(),
                ),
                201,
            )
            .await?;
        let created: Value = json_of("POST /admin/offers", &body)?;
        let (Some(offer_url), Some(tx_code)) = (
            created.get("credential_offer_uri").and_then(Value::as_str),
            created.get("tx_code").and_then(Value::as_str),
        ) else {
            return Err(refused(
                "POST /admin/offers",
                "no credential_offer_uri or tx_code in the answer",
            ));
        };
        let body = conn
            .expect(
                "GET /offers/{id}",
                Call::get(&self.endpoint.path_of(offer_url)?, "application/json", None),
                200,
            )
            .await?;
        let offer = CredentialOffer::from_json(&body, &Budget::default())?;
        let configuration = offer
            .credential_configuration_ids
            .first()
            .ok_or_else(|| refused("GET /offers/{id}", "the offer names no credential"))?;
        let _ = self.configuration.set(configuration.clone());
        let form = TokenRequest::pre_authorized(
            &offer.pre_authorized().pre_authorized_code,
            Some(tx_code),
        )
        .to_form();
        let body = conn
            .expect(
                "POST /token",
                Call::post(
                    &self.token_path,
                    "application/x-www-form-urlencoded",
                    None,
                    form,
                ),
                200,
            )
            .await?;
        let token: TokenResponse = json_of("POST /token", &body)?;
        let body = conn
            .expect(
                "POST /nonce",
                Call::post(&self.nonce_path, "application/json", None, Bytes::new()),
                200,
            )
            .await?;
        let nonce: NonceResponse = json_of("POST /nonce", &body)?;
        let holder = PrivateJwk::generate();
        let proof = sign_proof(
            &holder.public(),
            &self.issuer_id,
            &nonce.c_nonce,
            crate::time::now(),
            holder.signing_key(),
        )?;
        let request = serde_json::to_vec(&CredentialRequest::with_proof(configuration, proof))
            .map_err(|e| refused("POST /credential", e))?;
        Ok(Prepared {
            path: self.credential_path.clone(),
            body: Bytes::from(request),
            bearer: Some(token.access_token),
            check: SampleRef::Holder(holder.public()),
        })
    }

    /// The credential verifies with the issuer's key (EdDSA, `typ`), is of the offered type, its
    /// Disclosures are sound, it is bound to `holder`, and the log inclusion leaf that came with
    /// it is its own.
    pub(super) fn check(&self, holder: &PublicJwk, body: &[u8]) -> Result<(), String> {
        let response: CredentialResponse =
            serde_json::from_slice(body).map_err(|_| "credential: not a credential response")?;
        let [credential] = response.credentials.as_slice() else {
            return Err("credential: not exactly one".into());
        };
        let budget = Budget::default();
        let sd = SdJwt::parse(&credential.credential, &budget)
            .map_err(|e| format!("credential: {}", e.code()))?;
        if sd.key_binding().is_some() {
            return Err("credential: carries a KB-JWT".into());
        }
        let jwt = sd.issuer_jwt();
        sd_jwt_vc::check_typ(jwt).map_err(|e| format!("credential: {}", e.code()))?;
        let payload = jwt
            .verify(
                &VerificationKey::Ed25519(self.issuer_key),
                &[Algorithm::EdDSA],
            )
            .map_err(|e| format!("credential: {}", e.code()))?;
        let vct = sd_jwt_vc::vct(payload).map_err(|e| format!("credential: {}", e.code()))?;
        let offered = self
            .configuration
            .get()
            .and_then(|c| self.metadata.credential_configurations_supported.get(c))
            .and_then(|c| c.vct.as_deref());
        if offered != Some(vct) {
            return Err("credential: not of the offered type".into());
        }
        dojang_vc::process::process(payload, sd.disclosures(), &budget)
            .map_err(|e| format!("credential: {}", e.code()))?;
        match key_binding::holder_key(payload) {
            Ok(VerificationKey::Ed25519(bound)) if bound == *holder => {}
            _ => return Err("credential: not bound to the proven holder key".into()),
        }
        match &response.dojang_log_inclusion {
            Some(inclusion)
                if inclusion.leaf.jwt_sha256 == dojang_vc::log::jwt_sha256(jwt.as_str()) => {}
            _ => return Err("credential: no log inclusion leaf of its own".into()),
        }
        Ok(())
    }
}
