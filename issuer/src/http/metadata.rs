//! The discovery documents: credential issuer metadata (OpenID4VCI 1.0 §12.2), OAuth
//! authorization server metadata (RFC 8414; Dojang is its own authorization server) and the
//! SD-JWT VC issuer metadata with the issuer's key.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use dojang_vc::credentials::{
    FamilyRelationCertificate, ResidentRegistrationAbstract, ResidentRegistrationCopy,
};
use dojang_vc::oid4vci::{
    AuthorizationServerMetadata, CredentialConfiguration, CredentialMetadata, Display,
    IssuerMetadata, Jwks, JwtVcIssuerMetadata, ProofTypeSupported, FORMAT_SD_JWT_VC,
    PRE_AUTHORIZED_CODE_GRANT,
};
use serde_json::Value;

use super::state::AppState;
use crate::{Certificate, IssuerSigner};

/// One credential configuration the service offers.
pub(crate) struct Configuration {
    /// The configuration id (`credential_configurations_supported` key).
    pub(crate) id: &'static str,
    /// The admin API's name for it (`certificate` of `POST /admin/offers`).
    pub(crate) admin_name: &'static str,
    /// What is issued.
    pub(crate) certificate: Certificate,
}

/// The four configurations: 주민등록표 등본 and 초본, 가족관계증명서 일반 and 상세.
pub(crate) const CONFIGURATIONS: [Configuration; 4] = [
    Configuration {
        id: "resident_registration_copy",
        admin_name: "copy",
        certificate: Certificate::ResidentCopy,
    },
    Configuration {
        id: "resident_registration_abstract",
        admin_name: "abstract",
        certificate: Certificate::ResidentAbstract,
    },
    Configuration {
        id: "family_relation_general",
        admin_name: "family",
        certificate: Certificate::FamilyGeneral,
    },
    Configuration {
        id: "family_relation_detailed",
        admin_name: "family-detailed",
        certificate: Certificate::FamilyDetailed,
    },
];

/// The configuration with this id.
pub(crate) fn configuration(id: &str) -> Option<&'static Configuration> {
    CONFIGURATIONS.iter().find(|c| c.id == id)
}

/// The English name of a certificate.
fn name_en(certificate: Certificate) -> String {
    match certificate {
        Certificate::ResidentCopy => ResidentRegistrationCopy::NAME_EN.to_owned(),
        Certificate::ResidentAbstract => ResidentRegistrationAbstract::NAME_EN.to_owned(),
        Certificate::FamilyGeneral => format!("{} (general)", FamilyRelationCertificate::NAME_EN),
        Certificate::FamilyDetailed => {
            format!("{} (detailed)", FamilyRelationCertificate::NAME_EN)
        }
    }
}

fn display(ko: &str, en: &str) -> Vec<Display> {
    vec![
        Display {
            name: ko.to_owned(),
            locale: Some("ko".into()),
        },
        Display {
            name: en.to_owned(),
            locale: Some("en".into()),
        },
    ]
}

/// The credential issuer metadata of this service.
pub(crate) fn issuer_metadata<S: IssuerSigner>(state: &AppState<S>) -> IssuerMetadata {
    let configurations = CONFIGURATIONS
        .iter()
        .map(|c| {
            let names = display(c.certificate.name_ko(), &name_en(c.certificate));
            let config = CredentialConfiguration {
                format: FORMAT_SD_JWT_VC.into(),
                vct: Some(c.certificate.vct().into()),
                cryptographic_binding_methods_supported: vec!["jwk".into()],
                credential_signing_alg_values_supported: vec!["EdDSA".into()],
                proof_types_supported: BTreeMap::from([(
                    "jwt".to_owned(),
                    ProofTypeSupported {
                        proof_signing_alg_values_supported: vec!["EdDSA".into()],
                    },
                )]),
                display: names.clone(),
                credential_metadata: Some(CredentialMetadata { display: names }),
            };
            (c.id.to_owned(), config)
        })
        .collect();
    IssuerMetadata {
        credential_issuer: state.public_url.clone(),
        authorization_servers: Vec::new(),
        credential_endpoint: state.url("/credential"),
        nonce_endpoint: Some(state.url("/nonce")),
        token_endpoint: Some(state.url("/token")),
        display: vec![Display {
            name: state.issuer.office().to_owned(),
            locale: Some("ko".into()),
        }],
        credential_configurations_supported: configurations,
    }
}

/// `GET /.well-known/openid-credential-issuer`.
pub(crate) async fn credential_issuer<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
) -> Json<IssuerMetadata> {
    Json(issuer_metadata(&state))
}

/// `GET /.well-known/oauth-authorization-server`.
pub(crate) async fn authorization_server<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
) -> Json<AuthorizationServerMetadata> {
    Json(AuthorizationServerMetadata {
        issuer: state.public_url.clone(),
        token_endpoint: state.url("/token"),
        grant_types_supported: vec![PRE_AUTHORIZED_CODE_GRANT.into()],
        pre_authorized_grant_anonymous_access_supported: Some(true),
    })
}

/// `GET /.well-known/jwt-vc-issuer`: the current signing key with its `kid` (the DID URL in the
/// credentials' header).
pub(crate) async fn jwt_vc_issuer<S: IssuerSigner + 'static>(
    State(state): State<Arc<AppState<S>>>,
) -> Json<JwtVcIssuerMetadata> {
    let mut jwk = state.issuer.public_key().to_json();
    if let Value::Object(members) = &mut jwk {
        members.insert("kid".into(), Value::from(state.issuer.kid()));
        members.insert("alg".into(), Value::from("EdDSA"));
        members.insert("use".into(), Value::from("sig"));
    }
    Json(JwtVcIssuerMetadata {
        issuer: state.public_url.clone(),
        jwks: Jwks { keys: vec![jwk] },
    })
}
