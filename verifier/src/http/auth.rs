//! The RP API's bearer tokens, compared in constant time.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq as _;

use super::{AppError, AppState};

/// Proof that the request carried one of the RP API's tokens. Handlers of the RP API take it as
/// an argument, so a route cannot forget the check.
#[derive(Debug)]
pub(crate) struct RpAuth(());

/// Whether `presented` is one of `tokens`. Every token is compared, each in constant time
/// (`subtle`), so the answer's timing says nothing about which token or how many bytes matched
/// (only, as with any comparison of unequal lengths, whether the lengths differ).
pub(crate) fn token_matches(presented: &str, tokens: &[String]) -> bool {
    let mut found = subtle::Choice::from(0);
    for t in tokens {
        found |= presented.as_bytes().ct_eq(t.as_bytes());
    }
    bool::from(found)
}

impl FromRequestParts<Arc<AppState>> for RpAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(AppError::Unauthorized)?;
        let value = header.to_str().map_err(|_| AppError::Unauthorized)?;
        let (scheme, token) = value.split_once(' ').ok_or(AppError::Unauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AppError::Unauthorized);
        }
        if token_matches(token.trim(), &state.rp_tokens) {
            Ok(RpAuth(()))
        } else {
            tracing::warn!("RP API call with a token that is not accepted");
            Err(AppError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_any_configured_token_only() {
        let tokens = vec![
            "a-long-token-0001".to_owned(),
            "b-long-token-0002".to_owned(),
        ];
        assert!(token_matches("a-long-token-0001", &tokens));
        assert!(token_matches("b-long-token-0002", &tokens));
        assert!(!token_matches("a-long-token-0002", &tokens));
        assert!(!token_matches("", &tokens));
        assert!(!token_matches("a-long-token-00011", &tokens));
    }
}
