//! The result of a verification as JSON: the shape `dojang verify` prints, which the service
//! returns from `GET /requests/{id}/result`.

use serde::ser::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::{Check, Outcome, ProvenanceEntry};

/// `{"verified", "vct", "issuer", "claims", "disclosed", "checks", "provenance", "error"}`: the
/// `dojang verify` contract (README, "The CLI contract").
pub fn outcome_json(outcome: &Outcome) -> Value {
    let checks = serde_json::to_value(outcome.report.checks()).unwrap_or(Value::Null);
    let provenance = serde_json::to_value(&outcome.provenance).unwrap_or(Value::Null);
    match &outcome.result {
        Ok(p) => json!({
            "verified": true,
            "vct": p.vct,
            "issuer": p.issuer,
            "claims": p.claims,
            "disclosed": p.disclosed,
            "checks": checks,
            "provenance": provenance,
            "error": null,
        }),
        Err(e) => rejected_json(checks, e.code(), &e.to_string()),
    }
}

/// A rejection in the same shape.
pub fn rejected_json(checks: Value, code: &str, message: &str) -> Value {
    json!({
        "verified": false,
        "vct": null,
        "issuer": null,
        "claims": {},
        "disclosed": [],
        "checks": checks,
        "provenance": [],
        "error": { "code": code, "message": message },
    })
}

/// The result of one `POST /response` as stored, serialized once, straight to the bytes kept
/// (no `Value` tree in between): the shape of [`outcome_json`] (or [`rejected_json`]), then
/// `lists` (when the pipeline ran), `status`, `requested_vct`, `response_mode` and
/// `received_at`, in that order. `GET /requests/{id}/result` adds `id` and `expires_at`.
#[derive(serde::Serialize)]
pub(crate) struct ResultRecord<'a> {
    pub(crate) verified: bool,
    pub(crate) vct: Option<&'a str>,
    pub(crate) issuer: Option<&'a str>,
    pub(crate) claims: &'a Map<String, Value>,
    pub(crate) disclosed: &'a [String],
    pub(crate) checks: Checks<'a>,
    pub(crate) provenance: &'a [ProvenanceEntry],
    pub(crate) error: Option<ErrorBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lists: Option<&'a Value>,
    pub(crate) status: &'static str,
    pub(crate) requested_vct: &'a str,
    pub(crate) response_mode: &'a str,
    pub(crate) received_at: &'a str,
}

/// A result's `error`: its stable code and message.
#[derive(serde::Serialize)]
pub(crate) struct ErrorBody<'a> {
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
}

/// A result's `checks`: the pipeline's, then the service's own (`request`, `lists`, ...).
pub(crate) struct Checks<'a> {
    pub(crate) pipeline: &'a [Check],
    pub(crate) added: &'a [Check],
}

impl Serialize for Checks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.pipeline.iter().chain(self.added))
    }
}

/// Whether `claims` has a value at the dot path `path` (`address.road_address`, `members.1`).
pub(crate) fn has_claim(claims: &Map<String, Value>, path: &str) -> bool {
    let mut segments = path.split('.');
    let Some(first) = segments.next() else {
        return false;
    };
    let Some(mut here) = claims.get(first) else {
        return false;
    };
    for seg in segments {
        let next = match here {
            Value::Object(m) => m.get(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) => here = v,
            None => return false,
        }
    }
    true
}

/// The body of `GET /requests/{id}/result` while no result is stored.
pub(crate) fn open_result(id: &str, status: &str, vct: &str, expires_at: &str) -> Value {
    let error = if status == "expired" {
        json!({ "code": "request_expired", "message": "the request expired without an answer" })
    } else {
        Value::Null
    };
    json!({
        "id": id,
        "status": status,
        "verified": false,
        "requested_vct": vct,
        "vct": null,
        "issuer": null,
        "claims": {},
        "disclosed": [],
        "checks": [],
        "provenance": [],
        "error": error,
        "expires_at": expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_paths_are_found_by_dot_path() {
        let claims = json!({"name": "x", "address": {"road_address": "y"}, "members": [{"n": 1}]});
        let Value::Object(claims) = claims else {
            return;
        };
        assert!(has_claim(&claims, "name"));
        assert!(has_claim(&claims, "address.road_address"));
        assert!(has_claim(&claims, "members.0.n"));
        assert!(!has_claim(&claims, "members.1"));
        assert!(!has_claim(&claims, "address.postal_code"));
        assert!(!has_claim(&claims, "rrn"));
    }
}
