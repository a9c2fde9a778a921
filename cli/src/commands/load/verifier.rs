//! The verifier as a load target: a presentation request made through the RP API, its signed
//! request object checked, and a presentation bound to its nonce, ready to post to
//! `POST /response`; a sampled answer is checked by reading the stored result back.

use std::sync::Arc;

use dojang_did::{PrivateJwk, PublicJwk};
use dojang_vc::oid4vp::{
    parse_request_uri, response_form, verify_request_object, vp_token, ResponseMode,
    REQUEST_OBJECT_CONTENT_TYPE,
};
use dojang_vc::trust_list::VerifiedTrustList;
use dojang_vc::Budget;
use dojang_wallet::{claims_of, passphrase_from_env_or_prompt, Wallet};
use hyper::body::Bytes;
use serde_json::{json, Map, Value};

use super::http::{json_of, refused, Call, Conn, Endpoint};
use super::{Prepared, SampleRef, VerifierLoadArgs, LOAD_PURPOSE};
use crate::commands::verifier_serve::read_token;
use crate::error::CliError;

pub(super) struct VerifierTarget {
    pub(super) endpoint: Arc<Endpoint>,
    rp_token: String,
    /// The `POST /requests` body.
    create_body: Bytes,
    /// The first wallet's trust list: the relying party's request-signing keys.
    trust: VerifiedTrustList,
    /// One a wallet: presentations go to them in turn.
    holders: Vec<Holder>,
    vct: String,
    claims: Vec<String>,
}

/// A wallet's credential and holder key.
struct Holder {
    /// The credential presented, as issued.
    credential: String,
    key: PrivateJwk,
    /// The credential's value at each requested claim path.
    expected: Vec<(String, Value)>,
}

pub(super) fn verifier_target(
    args: &VerifierLoadArgs,
    endpoint: Endpoint,
) -> Result<VerifierTarget, CliError> {
    let rp_token = read_token(&args.rp_token_file)?;
    let passphrase =
        passphrase_from_env_or_prompt(|| rpassword::prompt_password("wallet passphrase: "))?;
    let now = crate::time::now();
    let mut trust = None;
    let mut holders = Vec::with_capacity(args.wallet.len());
    for path in &args.wallet {
        eprintln!("load: opening the wallet {}", path.display());
        let wallet = Wallet::open(path, &passphrase)?;
        if trust.is_none() {
            trust = Some(wallet.trust(now)?.ok_or_else(|| {
                CliError::Usage(format!(
                    "{}: the wallet has no trust list (dojang wallet trust …)",
                    path.display()
                ))
            })?);
        }
        holders.push(holder_of(&wallet, path, args, now)?);
    }
    let trust = trust.ok_or_else(|| CliError::Usage("no wallet given (--wallet)".into()))?;
    let mode = if args.encrypted {
        ResponseMode::DirectPostJwt
    } else {
        ResponseMode::DirectPost
    };
    let create_body = json!({
        "vct": args.vct,
        "claims": args.claims,
        "purpose": LOAD_PURPOSE,
        "response_mode": mode.as_str(),
    })
    .to_string();
    Ok(VerifierTarget {
        endpoint: Arc::new(endpoint),
        rp_token,
        create_body: Bytes::from(create_body),
        trust,
        holders,
        vct: args.vct.clone(),
        claims: args.claims.clone(),
    })
}

/// The newest credential of the wallet at `path` of the asked type with every asked claim.
fn holder_of(
    wallet: &Wallet,
    path: &std::path::Path,
    args: &VerifierLoadArgs,
    now: i64,
) -> Result<Holder, CliError> {
    let mut found = None;
    for (_, credential) in wallet.list_credentials()? {
        if credential.vct != args.vct || credential.expires_at.is_some_and(|exp| exp <= now) {
            continue;
        }
        let claims = claims_of(&credential)?;
        let expected: Option<Vec<(String, Value)>> = args
            .claims
            .iter()
            .map(|p| value_at(&claims, p).map(|v| (p.clone(), v.clone())))
            .collect();
        if let Some(expected) = expected {
            // Newest received last: keep the last that fits.
            found = Some((credential.sd_jwt, expected));
        }
    }
    let (credential, expected) = found.ok_or_else(|| {
        CliError::Usage(format!(
            "{}: no credential of type {} with {}",
            path.display(),
            args.vct,
            args.claims.join(", ")
        ))
    })?;
    Ok(Holder {
        credential,
        key: wallet.holder_key()?,
        expected,
    })
}

/// The value at a dot path (`address.road_address`, `members.0.name`).
pub(super) fn value_at<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut segments = path.split('.');
    let mut here = claims.get(segments.next()?)?;
    for segment in segments {
        here = match here {
            Value::Object(m) => m.get(segment)?,
            Value::Array(a) => a.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(here)
}

impl VerifierTarget {
    /// A request through the RP API, its verified request object, and the presentation that
    /// answers it, as a wallet would make it (`dojang_wallet::respond`, without the consent
    /// screen and the history).
    pub(super) async fn prepare(
        &self,
        conn: &mut Conn,
        index: usize,
    ) -> Result<Prepared, CliError> {
        let holder_index = index % self.holders.len();
        let holder = &self.holders[holder_index];
        let body = conn
            .expect(
                "POST /requests",
                Call::post(
                    &self.endpoint.route("/requests"),
                    "application/json",
                    Some(&self.rp_token),
                    self.create_body.clone(),
                ),
                201,
            )
            .await?;
        let created: Value = json_of("POST /requests", &body)?;
        let field = |name: &str| {
            created
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| refused("POST /requests", format!("no `{name}` in the answer")))
        };
        let (id, link, object_uri) = (
            field("id")?,
            field("request_uri")?,
            field("request_object_uri")?,
        );
        let reference = parse_request_uri(&link)?;
        let client_id = reference.client_id.as_str();
        let object = conn
            .expect(
                "GET /requests/{id}/object",
                Call::get(
                    &self.endpoint.path_of(&object_uri)?,
                    REQUEST_OBJECT_CONTENT_TYPE,
                    None,
                ),
                200,
            )
            .await?;
        let object = std::str::from_utf8(&object)
            .map_err(|_| refused("GET /requests/{id}/object", "not UTF-8"))?;
        let rp = self.trust.relying_party(client_id).ok_or_else(|| {
            refused(
                "GET /requests/{id}/object",
                format!("relying party {client_id} is not on the wallet's trust list"),
            )
        })?;
        let keys = rp
            .keys
            .iter()
            .map(PublicJwk::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        let now = crate::time::now();
        let request =
            verify_request_object(object.trim(), client_id, &keys, now, &Budget::default())?;
        let [query] = request.dcql_query.credentials.as_slice() else {
            return Err(refused(
                "GET /requests/{id}/object",
                "the request asks for several credentials",
            ));
        };
        let presentation = dojang_vc::present::present(
            &holder.credential,
            &query.claim_paths(),
            client_id,
            &request.nonce,
            now,
            holder.key.signing_key(),
        )?;
        let token = vp_token(&[(query.id.as_str(), presentation.text.as_str())]);
        let form = response_form(&request, &token)?;
        Ok(Prepared {
            path: self.endpoint.path_of(&request.response_uri)?,
            body: Bytes::from(form),
            bearer: None,
            check: SampleRef::Request(id, holder_index),
        })
    }

    /// The stored result says `verified`, for the requested type, with the credential's own
    /// value at every requested claim.
    pub(super) async fn check(
        &self,
        conn: &mut Conn,
        id: &str,
        holder: usize,
    ) -> Result<(), String> {
        let expected = &self
            .holders
            .get(holder)
            .ok_or_else(|| "sample of no holder".to_owned())?
            .expected;
        let path = self.endpoint.route(&format!("/requests/{id}/result"));
        let (status, body) = conn
            .send(Call::get(&path, "application/json", Some(&self.rp_token)))
            .await?;
        if status != 200 {
            return Err(format!("result: http {status}"));
        }
        let result: Value =
            serde_json::from_slice(&body).map_err(|_| "result: not JSON".to_owned())?;
        if result.get("status").and_then(Value::as_str) != Some("verified")
            || result.get("verified") != Some(&Value::Bool(true))
        {
            let code = result
                .pointer("/error/code")
                .and_then(Value::as_str)
                .unwrap_or("none");
            return Err(format!("result: not verified ({code})"));
        }
        if result.get("requested_vct").and_then(Value::as_str) != Some(self.vct.as_str())
            || result.get("vct").and_then(Value::as_str) != Some(self.vct.as_str())
        {
            return Err("result: another credential type".into());
        }
        let claims = result
            .get("claims")
            .and_then(Value::as_object)
            .ok_or_else(|| "result: no claims".to_owned())?;
        for (path, value) in expected {
            if value_at(claims, path) != Some(value) {
                return Err(format!("result: claim {path} differs from the credential"));
            }
        }
        if self.claims.len() != expected.len() {
            return Err("result: claims asked and checked differ".into());
        }
        Ok(())
    }
}
