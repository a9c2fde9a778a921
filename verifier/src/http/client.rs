//! A small blocking client of the RP API, for the relying party's own tools
//! (`dojang verifier request` and `dojang verifier result`).

use std::time::Duration;

use serde_json::Value;

/// Bytes of an RP API answer: a result with every claim of a large 등본 is tens of KiB.
const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// Why a call to the RP API failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The service could not be reached, or its answer could not be read.
    #[error("{url}: {reason}")]
    Transport {
        /// The URL called.
        url: String,
        /// Why.
        reason: String,
    },
    /// The service refused, with its error code.
    #[error("{status} {code}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The service's stable code.
        code: String,
        /// Its message.
        message: String,
    },
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into()
}

fn finish(
    url: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Value, ClientError> {
    let transport = |reason: String| ClientError::Transport {
        url: url.to_owned(),
        reason,
    };
    let mut response = response.map_err(|e| transport(e.to_string()))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_string()
        .map_err(|e| transport(e.to_string()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| transport(format!("HTTP {status}, not JSON: {e}")))?;
    if (200..300).contains(&status) {
        return Ok(value);
    }
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    Err(ClientError::Refused {
        status,
        code: field("error"),
        message: field("message"),
    })
}

/// `POST {base}/requests` with `body` (`{vct, claims, purpose, max_age_days?, response_mode?}`).
pub fn create_request(base: &str, token: &str, body: &Value) -> Result<Value, ClientError> {
    let url = format!("{}/requests", base.trim_end_matches('/'));
    let response = agent()
        .post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(body);
    finish(&url, response)
}

/// `GET {base}/requests/{id}/result`.
pub fn fetch_result(base: &str, token: &str, id: &str) -> Result<Value, ClientError> {
    let url = format!("{}/requests/{id}/result", base.trim_end_matches('/'));
    let response = agent()
        .get(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .call();
    finish(&url, response)
}
