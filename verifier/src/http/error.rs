//! The service's one error type: every refusal becomes `{"error": "<code>", "message"}` with a
//! stable code (`specs/errors.md`) and a short message; details go to the log, never to the client
//! (CONVENTIONS 4). On the wallet-facing OpenID4VP routes the same error comes in the OAuth shape
//! (RFC 6749 §5.2) wallets read: `{"error": "<code>", "error_description"}` ([`OAuthError`]).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_vc::VcError;
use serde_json::json;

use super::store::StorageError;
use crate::VerifyError;

/// Why an HTTP request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// No `Authorization: Bearer` header on an RP API route.
    #[error("a bearer token is required")]
    Unauthorized,
    /// A bearer token that is not one of the RP API's.
    #[error("the bearer token is not accepted")]
    Forbidden,
    /// The relying party is not entitled, on the trust list, to ask for a claim.
    #[error("not entitled to ask for `{path}` of {vct}")]
    NotEntitled {
        /// The credential type.
        vct: String,
        /// The claim path (a name, never a value).
        path: String,
    },
    /// The request body or parameters are not what the route takes.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The body is larger than the service accepts.
    #[error("the request body is larger than {max} bytes")]
    PayloadTooLarge {
        /// The limit.
        max: usize,
    },
    /// The body is not of the media type the route takes.
    #[error("the body must be {expected}")]
    UnsupportedMediaType {
        /// The media type the route takes.
        expected: &'static str,
    },
    /// No such route.
    #[error("no such resource")]
    NotFound,
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// No request with this id.
    #[error("no such request")]
    RequestUnknown,
    /// A response whose `state` matches no request.
    #[error("the state matches no request")]
    StateUnknown,
    /// A response, or a fetch of the request object, after the request expired.
    #[error("the request has expired")]
    RequestExpired {
        /// 410 for the request object (gone), 400 for a response.
        gone: bool,
    },
    /// A response in another mode than the request asked for (plain for an encrypted request).
    #[error("the response mode is not the one requested")]
    ResponseModeMismatch,
    /// The response (form, JWE, `vp_token`) is malformed or does not decrypt.
    #[error(transparent)]
    Response(VcError),
    /// The nonce could not be spent (already spent: a second response for the request).
    #[error(transparent)]
    Nonce(VerifyError),
    /// The presentation was verified and rejected; the result is stored under the request.
    #[error("{message}")]
    Rejected {
        /// The pipeline's (or the request check's) code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The database failed.
    #[error("storage failure")]
    Storage(String),
    /// Something that should not fail did (a background task died, signing failed).
    #[error("internal error")]
    Internal(String),
    /// The request took longer than the service allows.
    #[error("the request timed out")]
    Timeout,
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        AppError::Storage(e.0)
    }
}

impl AppError {
    /// The stable code (`specs/errors.md`).
    pub fn code(&self) -> &str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotEntitled { .. } => "not_entitled",
            AppError::InvalidRequest(_) => "invalid_request",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::RequestUnknown => "request_unknown",
            AppError::StateUnknown => "state_unknown",
            AppError::RequestExpired { .. } => "request_expired",
            AppError::ResponseModeMismatch => "response_mode_mismatch",
            AppError::Response(e) => e.code(),
            AppError::Nonce(e) => e.code(),
            AppError::Rejected { code, .. } => code,
            AppError::Storage(_) => "storage",
            AppError::Internal(_) => "internal",
            AppError::Timeout => "timeout",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::NotEntitled { .. } => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotFound | AppError::RequestUnknown => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::RequestExpired { gone: true } => StatusCode::GONE,
            AppError::InvalidRequest(_)
            | AppError::StateUnknown
            | AppError::RequestExpired { gone: false }
            | AppError::ResponseModeMismatch
            | AppError::Response(_)
            | AppError::Nonce(_)
            | AppError::Rejected { .. } => StatusCode::BAD_REQUEST,
            AppError::Storage(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.respond("message")
    }
}

/// An [`AppError`] on a wallet-facing route: the same status and code, with the message as
/// `error_description`.
#[derive(Debug)]
pub struct OAuthError(pub AppError);

impl From<AppError> for OAuthError {
    fn from(e: AppError) -> Self {
        OAuthError(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        self.0.respond("error_description")
    }
}

impl AppError {
    /// The response, with the message under `message_member`.
    fn respond(self, message_member: &str) -> Response {
        let status = self.status();
        // The message is short and generic for server faults; the detail goes to the log only.
        match &self {
            AppError::Storage(detail) | AppError::Internal(detail) => {
                tracing::error!(code = self.code(), %detail, "request failed");
            }
            _ => tracing::debug!(code = self.code(), status = status.as_u16(), "refused"),
        }
        let mut body = serde_json::Map::new();
        body.insert("error".into(), json!(self.code()));
        body.insert(message_member.into(), json!(self.to_string()));
        let body = serde_json::Value::Object(body);
        let mut response = (status, Json(body)).into_response();
        if matches!(self, AppError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
