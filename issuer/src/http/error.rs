//! The service's one error type and its HTTP form.
//!
//! Two shapes, each with a stable code:
//! - the OAuth endpoints (`/token`, `/nonce`, `/credential`) answer as RFC 6749 §5.2 and
//!   OpenID4VCI 1.0 §8.3.1 require: `{"error": code, "error_description": text}`;
//! - every other route answers `{"error": code, "message": text}`.
//!
//! The text is short and carries no personal data (register ids at most); the detail goes to the
//! log. Server-side failures say only that something failed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use dojang_vc::VcError;

use crate::IssuerError;

/// Why the service refused a request or could not serve it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    // --- OAuth 2.0 / OpenID4VCI endpoints ---
    /// The token request is malformed, or lacks the transaction code the offer requires.
    #[error("invalid request: {description}")]
    InvalidRequest {
        /// What is wrong.
        description: String,
    },
    /// A grant type other than the pre-authorized code.
    #[error("only the pre-authorized code grant is supported")]
    UnsupportedGrantType,
    /// The pre-authorized code is unknown, used, expired or void, or the transaction code is
    /// wrong.
    #[error("invalid grant: {description}")]
    InvalidGrant {
        /// What is wrong (the code is never repeated).
        description: &'static str,
    },
    /// The access token is missing, unknown, expired or already spent.
    #[error("invalid access token: {description}")]
    InvalidToken {
        /// What is wrong.
        description: &'static str,
    },
    /// The credential request is malformed.
    #[error("invalid credential request: {description}")]
    InvalidCredentialRequest {
        /// What is wrong.
        description: String,
    },
    /// The request names a credential configuration the offer did not.
    #[error("the credential configuration is not the one offered")]
    UnknownCredentialConfiguration,
    /// The key proof is invalid.
    #[error("invalid key proof: {source}")]
    InvalidProof {
        /// Why.
        source: VcError,
    },
    /// The proof's nonce was not issued by the nonce endpoint, is used or has expired.
    #[error("the proof's c_nonce is unknown, used or expired")]
    InvalidNonce,
    /// The issuer refused to build the credential (the person is deceased, no longer resident …).
    #[error("credential request denied: {source}")]
    CredentialRequestDenied {
        /// Why.
        source: IssuerError,
    },

    // --- Every other route ---
    /// No (or no Bearer) `Authorization` header on an admin route.
    #[error("an admin bearer token is required")]
    Unauthorized,
    /// An admin bearer token that is not one of the configured ones.
    #[error("the admin bearer token is not accepted")]
    Forbidden,
    /// The thing asked for does not exist (or has expired).
    #[error("no such {what}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// No route has this path.
    #[error("no route for this path")]
    NoRoute,
    /// The route exists, not with this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// The body exceeds the route's limit.
    #[error("the request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The limit, bytes.
        limit: usize,
        /// Whether the route answers in the OAuth shape.
        oauth: bool,
    },
    /// A body or query that does not parse. Only a position is reported: a parser message could
    /// quote a value.
    #[error("bad request: {reason}")]
    BadRequest {
        /// What is wrong.
        reason: String,
    },
    /// The issuer refused or failed.
    #[error("{source}")]
    Issuer {
        /// The issuer's error.
        #[from]
        source: IssuerError,
    },
    /// The request took longer than the service allows.
    #[error("the request took too long")]
    Timeout,
    /// The service failed (a worker task panicked).
    #[error("internal error: {what}")]
    Internal {
        /// What failed.
        what: &'static str,
    },
}

impl HttpError {
    /// The stable code sent as `error` (listed in `specs/errors.md`).
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::InvalidRequest { .. } => "invalid_request",
            HttpError::UnsupportedGrantType => "unsupported_grant_type",
            HttpError::InvalidGrant { .. } => "invalid_grant",
            HttpError::InvalidToken { .. } => "invalid_token",
            HttpError::InvalidCredentialRequest { .. } => "invalid_credential_request",
            HttpError::UnknownCredentialConfiguration => "unknown_credential_configuration",
            HttpError::InvalidProof { .. } => "invalid_proof",
            HttpError::InvalidNonce => "invalid_nonce",
            HttpError::CredentialRequestDenied { .. } => "credential_request_denied",
            HttpError::Unauthorized => "unauthorized",
            HttpError::Forbidden => "forbidden",
            HttpError::NotFound { .. } => "not_found",
            HttpError::NoRoute => "no_route",
            HttpError::MethodNotAllowed => "method_not_allowed",
            HttpError::PayloadTooLarge { oauth: true, .. } => "invalid_request",
            HttpError::PayloadTooLarge { oauth: false, .. } => "payload_too_large",
            HttpError::BadRequest { .. } => "bad_request",
            HttpError::Issuer { source } => source.code(),
            HttpError::Timeout => "timeout",
            HttpError::Internal { .. } => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::InvalidToken { .. } | HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden => StatusCode::FORBIDDEN,
            HttpError::NotFound { .. } | HttpError::NoRoute => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::Issuer { source } => issuer_status(source),
            HttpError::CredentialRequestDenied { source } => match issuer_status(source) {
                s if s.is_server_error() => s,
                _ => StatusCode::BAD_REQUEST,
            },
            HttpError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether this error answers in the OAuth shape.
    fn is_oauth(&self) -> bool {
        matches!(
            self,
            HttpError::InvalidRequest { .. }
                | HttpError::UnsupportedGrantType
                | HttpError::InvalidGrant { .. }
                | HttpError::InvalidToken { .. }
                | HttpError::InvalidCredentialRequest { .. }
                | HttpError::UnknownCredentialConfiguration
                | HttpError::InvalidProof { .. }
                | HttpError::InvalidNonce
                | HttpError::CredentialRequestDenied { .. }
                | HttpError::PayloadTooLarge { oauth: true, .. }
        )
    }

    /// The text a client sees.
    fn public_message(&self) -> String {
        match self {
            HttpError::InvalidProof { source } => {
                format!("the key proof is invalid ({}): {source}", source.code())
            }
            // The issuer's own message names register ids at most, but the wallet learns only
            // the reason's code; the agency's log has the rest.
            HttpError::CredentialRequestDenied { source } => {
                if issuer_status(source).is_server_error() {
                    "the credential could not be issued".to_owned()
                } else {
                    format!("the issuer refused the credential ({})", source.code())
                }
            }
            HttpError::Issuer { source } if issuer_status(source).is_server_error() => {
                "the issuer failed (see the service log)".to_owned()
            }
            HttpError::Internal { .. } => "internal error (see the service log)".to_owned(),
            other => other.to_string(),
        }
    }
}

/// The status for an issuer error: absent things 404, refusals by the register or the status
/// rules 409, bad input 400 or 422, storage and signing failures 500.
fn issuer_status(e: &IssuerError) -> StatusCode {
    match e.code() {
        "person_not_found"
        | "record_not_found"
        | "status_list_not_found"
        | "household_not_found" => StatusCode::NOT_FOUND,
        "person_not_resident"
        | "person_no_family_registration"
        | "person_deceased"
        | "register_event_refused"
        | "status_revocation_final"
        | "status_entry_unknown"
        | "document_number_duplicate" => StatusCode::CONFLICT,
        "log_index_out_of_range" | "log_size_out_of_range" | "invalid_time" => {
            StatusCode::BAD_REQUEST
        }
        "register_file_syntax"
        | "register_format_unsupported"
        | "register_id_invalid"
        | "register_id_duplicate"
        | "rrn_invalid"
        | "rrn_duplicate"
        | "register_dangling_reference"
        | "register_inconsistent"
        | "credential_type_unknown"
        | "credential_invalid"
        | "status_value_unsupported" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        if status.is_server_error() {
            tracing::error!(code, error = %self, "request failed");
        } else {
            tracing::info!(code, error = %self, "request refused");
        }
        let message = self.public_message();
        let body = if self.is_oauth() {
            serde_json::json!({ "error": code, "error_description": message })
        } else {
            serde_json::json!({ "error": code, "message": message })
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            HttpError::InvalidToken { .. } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                );
            }
            HttpError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        if self.is_oauth() {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}
