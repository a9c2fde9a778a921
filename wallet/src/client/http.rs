//! Blocking HTTP for the wallet's protocol client: one `ureq` agent with a time budget and a
//! response-size budget, and every failure mapped to a typed [`WalletError`].
//!
//! The agent does not follow redirects (an OpenID4VCI or OpenID4VP endpoint answers where it was
//! asked; a redirect would move a bearer token or a presentation somewhere nobody agreed to) and
//! reads error statuses as answers, so that an OAuth error body (`{"error", "error_description"}`)
//! reaches the holder instead of a bare status code.

use std::time::Duration;

use dojang_vc::oid4vci::ErrorResponse;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::WalletError;

/// Budget: how long one exchange (connect, send, receive the whole answer) may take. Ten seconds
/// is long for a service on a healthy network and short enough that a citizen at a counter is
/// not left waiting on a service that will not answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Budget: the largest answer read. The largest thing the protocols return is a credential with
/// its disclosures and log proof (a few kilobytes; a 등본 of a large household maybe 50 KB).
const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// The wallet's HTTP client.
pub(crate) struct Http {
    agent: ureq::Agent,
}

/// An answer: its status and body, read within [`MAX_RESPONSE_BYTES`].
pub(crate) struct Reply {
    /// The address asked.
    pub(crate) url: String,
    /// The HTTP status.
    pub(crate) status: u16,
    /// The body, as text.
    pub(crate) body: String,
}

impl Http {
    pub(crate) fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("dojang-wallet/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self { agent }
    }

    /// `GET url`, asking for `accept`.
    pub(crate) fn get(&self, url: &str, accept: &str) -> Result<Reply, WalletError> {
        let request = self.agent.get(url).header("Accept", accept);
        read(url, request.call())
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body already encoded, and a
    /// bearer token if given.
    pub(crate) fn post_form(
        &self,
        url: &str,
        form: String,
        bearer: Option<&str>,
    ) -> Result<Reply, WalletError> {
        let mut request = self
            .agent
            .post(url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded");
        if let Some(token) = bearer {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        read(url, request.send(form))
    }

    /// `POST url` with a JSON body (`application/json`), and a bearer token if given.
    pub(crate) fn post_json(
        &self,
        url: &str,
        body: &Value,
        bearer: Option<&str>,
    ) -> Result<Reply, WalletError> {
        let mut request = self.agent.post(url).header("Accept", "application/json");
        if let Some(token) = bearer {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        read(url, request.send_json(body))
    }

    /// `POST url` with no body (the OpenID4VCI nonce endpoint).
    pub(crate) fn post_empty(&self, url: &str) -> Result<Reply, WalletError> {
        let request = self.agent.post(url).header("Accept", "application/json");
        read(url, request.send_empty())
    }
}

fn read(
    url: &str,
    sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Reply, WalletError> {
    let mut response = sent.map_err(|e| transport_error(url, e))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
        .map_err(|e| transport_error(url, e))?;
    Ok(Reply {
        url: url.to_owned(),
        status,
        body,
    })
}

fn transport_error(url: &str, e: ureq::Error) -> WalletError {
    let invalid = |reason: String| WalletError::ServiceResponseInvalid {
        url: url.to_owned(),
        reason,
    };
    match e {
        ureq::Error::BodyExceedsLimit(max) => {
            invalid(format!("the answer is larger than {max} bytes"))
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => WalletError::LinkInvalid {
            reason: format!("`{url}` is not an address the wallet can call ({e})"),
        },
        ureq::Error::Protocol(_) | ureq::Error::Json(_) => invalid(e.to_string()),
        ureq::Error::Timeout(_) => WalletError::ServiceUnreachable {
            url: url.to_owned(),
            reason: format!("no answer within {} seconds", TIMEOUT.as_secs()),
        },
        other => WalletError::ServiceUnreachable {
            url: url.to_owned(),
            reason: other.to_string(),
        },
    }
}

impl Reply {
    /// Whether the status is 2xx.
    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The OAuth error in the body (`{"error": "...", "error_description": "..."}`), if it is one.
    pub(crate) fn oauth_error(&self) -> Option<ErrorResponse> {
        serde_json::from_str::<ErrorResponse>(&self.body)
            .ok()
            .filter(|e| !e.error.is_empty())
    }

    /// The body as JSON of type `T` (serde refuses a known member given twice); what does not fit
    /// is [`WalletError::ServiceResponseInvalid`] naming `what` was expected.
    pub(crate) fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, WalletError> {
        serde_json::from_str(&self.body).map_err(|e| self.invalid(format!("not a {what}: {e}")))
    }

    /// [`WalletError::ServiceResponseInvalid`] for this answer.
    pub(crate) fn invalid(&self, reason: impl Into<String>) -> WalletError {
        WalletError::ServiceResponseInvalid {
            url: self.url.clone(),
            reason: reason.into(),
        }
    }

    /// The error for an answer that is not 2xx and carries no OAuth error.
    pub(crate) fn unexpected_status(&self) -> WalletError {
        self.invalid(format!("HTTP status {}", self.status))
    }
}
