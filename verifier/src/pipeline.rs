//! The verification pipeline, step by step. Each step is a file of this crate; each records one
//! check in the [`Report`], and the first failure stops the pipeline (reject by default).

use dojang_vc::sd_jwt_vc::NON_DISCLOSABLE;
use dojang_vc::{Algorithm, Disclosure, Jws, SdJwt, VerificationKey};

use dojang_vc::log_inclusion::LogInclusion;

use std::sync::Arc;

use serde_json::Value;

use crate::binding::Binding;
use crate::header::Claimed;
use crate::provenance::{self, ProvenanceEntry, Shape};
use crate::report::Report;
use crate::status::{self, StatusChecked, StatusListCache};
use crate::trust::IssuerTrust;
use crate::validity::Rfc3339;
use crate::verified::{Presentation, Verified};
use crate::{binding, disclosures, header, log_inclusion, parse, signature, validity};
use crate::{Challenge, NonceStore, Policy, VerifyError};

/// The pipeline's steps, at most: the report is allocated once at this size.
const STEPS: usize = 10;

/// The `data` of the credential link, which every accepted credential gets.
static CREDENTIAL_DATA: Shape<5> = Shape::new();
/// The `data` of the status link, likewise.
static STATUS_DATA: Shape<2> = Shape::new();

/// The result of one verification: the verified presentation or the reason for rejection, and
/// the report of every check made either way.
#[derive(Debug)]
pub struct Outcome {
    /// Accepted, or why not.
    pub result: Result<Verified<Presentation>, VerifyError>,
    /// Every check made, in order.
    pub report: Report,
    /// The chain behind an accepted credential, root first (empty when rejected).
    pub provenance: Vec<ProvenanceEntry>,
}

/// Everything one verification depends on, explicitly (CONVENTIONS 2): no ambient clock, no
/// ambient trust.
pub struct Inputs<'a> {
    /// Whom to trust for which credential, with which key.
    pub trust: &'a dyn IssuerTrust,
    /// What to accept.
    pub policy: &'a Policy,
    /// The audience and nonce the KB-JWT must answer; `None` only when binding is not required.
    pub challenge: Option<&'a Challenge>,
    /// Where single-use nonces are spent; `None` when the caller checks replay itself.
    pub nonces: Option<&'a dyn NonceStore>,
    /// Verified status lists. `None` is an empty cache: a credential with a `status` reference
    /// then gets "cannot decide" (`status_unknown`), never "valid".
    pub status: Option<&'a StatusListCache>,
    /// The holder's proof that the issuer logged the credential, if the holder sent one.
    pub log: Option<&'a LogInclusion>,
    /// The verifier's clock, seconds since the epoch.
    pub now: i64,
}

/// Verifies a presented SD-JWT VC:
///
/// 1. parse within the budgets;
/// 2. header and claimed identity (`typ`, `iss`, `vct`, `kid` belongs to `iss`);
/// 3. trust: the issuer is trusted for this `vct` and the key comes from the verifier's trust;
/// 4. the issuer signature (and, with holder binding, the KB-JWT's signature in the same
///    computation: `signature.rs`);
/// 5. validity: `exp`, `nbf`, `iat`, freshness, accepted types;
/// 6. Disclosures, RFC 9901 §7.1;
/// 7. status: revoked, suspended, or cannot decide;
/// 8. log inclusion: the issuer logged this credential (when required or given);
/// 9. holder binding, RFC 9901 §7.3;
/// 10. the nonce is spent (single use).
pub fn verify(input: &str, inputs: &Inputs<'_>) -> Outcome {
    let mut report = Report::with_capacity(STEPS);
    let prepared = prepare(input, inputs, &mut report);
    finish(prepared, inputs, report)
}

/// [`verify`] of several presentations, each with its inputs, answering for each exactly as
/// `verify` does, with the Ed25519 signatures of all of them (issuer JWTs and KB-JWTs) checked
/// in one computation between steps 3 and 4 ([`dojang_vc::Jws::verify_many`]: `verify_strict`'s
/// decisions, each checked alone if the batch fails). Step 4 (and step 9 for a KB-JWT) then
/// finds each signature that computation found valid, under the key it was checked with, and
/// makes the header checks only. For a verifier answering the responses that arrived together.
/// With fewer than two presentations to check there is nothing to batch, and each is checked
/// as `verify` checks it (its pair check costs less than a batch of its two signatures).
pub fn verify_many(items: &[(&str, Inputs<'_>)]) -> Vec<Outcome> {
    let prepared: Vec<(Report, Result<Prepared<'_>, VerifyError>)> = items
        .iter()
        .map(|(input, inputs)| {
            let mut report = Report::with_capacity(STEPS);
            let prepared = prepare(input, inputs, &mut report);
            (report, prepared)
        })
        .collect();
    let mut signed = Vec::with_capacity(2 * items.len());
    for (_, prepared) in &prepared {
        if let Ok(p) = prepared {
            signed.push((p.sd.issuer_jwt(), &p.key));
            if let (Some(kb), Some(holder)) = (p.sd.key_binding(), binding::holder(&p.binding)) {
                signed.push((kb, holder));
            }
        }
    }
    // Only Ed25519 signatures are checked together; each found valid is marked on its JWS, and
    // step 4 applies each presentation's own policy to its headers.
    if prepared.iter().filter(|(_, p)| p.is_ok()).count() > 1 {
        let _ = Jws::verify_many(&signed, &[Algorithm::EdDSA]);
    }
    prepared
        .into_iter()
        .zip(items)
        .map(|((report, prepared), (_, inputs))| finish(prepared, inputs, report))
        .collect()
}

/// Records a step's outcome and passes it on.
fn step<T>(
    report: &mut Report,
    name: &'static str,
    result: Result<T, VerifyError>,
    detail: impl FnOnce(&T) -> String,
) -> Result<T, VerifyError> {
    match &result {
        Ok(v) => report.pass(name, detail(v)),
        Err(e) => report.fail(name, format!("{}: {e}", e.code())),
    }
    result
}

/// What steps 1 to 3 found, and step 9's inputs: all that the signature checks need.
struct Prepared<'c> {
    sd: SdJwt,
    /// Processed by value in step 6; nothing before needs them.
    disclosures: Vec<Disclosure>,
    claimed: Claimed,
    /// The issuer's key, from the verifier's trust.
    key: VerificationKey,
    /// Step 9's inputs, read before step 4 so that step 4 can check the KB-JWT's signature
    /// with the issuer's; step 9 reports them.
    binding: Result<Option<Binding<'c>>, VerifyError>,
}

/// Steps 1 to 3.
fn prepare<'c>(
    input: &str,
    inputs: &Inputs<'c>,
    report: &mut Report,
) -> Result<Prepared<'c>, VerifyError> {
    let policy = inputs.policy;
    let mut sd = step(
        report,
        "parse",
        parse::parse(input, &policy.budget),
        parse::describe,
    )?;
    let disclosures = sd.take_disclosures();
    // Details made only of text are joined in one allocation of their exact size (`concat`);
    // `format!` costs more than some of the checks it would describe.
    let claimed = step(report, "header", header::read(sd.issuer_jwt()), |c| {
        ["typ ok; iss ", &c.iss, "; vct ", &c.vct].concat()
    })?;
    let key = step(
        report,
        "trust",
        inputs
            .trust
            .issuer_key(
                &claimed.iss,
                claimed.kid.as_deref(),
                &claimed.vct,
                claimed.iat,
            )
            .map_err(VerifyError::from),
        |_| inputs.trust.describe(&claimed.iss),
    )?;
    let binding = binding::prepare(
        &sd,
        sd.issuer_jwt().unverified_payload(),
        policy,
        inputs.challenge,
    );
    Ok(Prepared {
        sd,
        disclosures,
        claimed,
        key,
        binding,
    })
}

/// Steps 4 to 10 after [`prepare`], and the outcome.
fn finish(
    prepared: Result<Prepared<'_>, VerifyError>,
    inputs: &Inputs<'_>,
    mut report: Report,
) -> Outcome {
    let mut provenance = Vec::new();
    let result = prepared.and_then(|p| checked(p, inputs, &mut report, &mut provenance));
    if result.is_err() {
        provenance.clear();
    }
    Outcome {
        result,
        report,
        provenance,
    }
}

/// Steps 4 to 10.
fn checked(
    prepared: Prepared<'_>,
    inputs: &Inputs<'_>,
    report: &mut Report,
    provenance: &mut Vec<ProvenanceEntry>,
) -> Result<Verified<Presentation>, VerifyError> {
    let policy = inputs.policy;
    let Prepared {
        sd,
        disclosures,
        claimed,
        key,
        binding,
    } = prepared;
    let payload = step(
        report,
        "signature",
        signature::verify(&sd, &key, binding::holder(&binding), policy),
        |_| [key.algorithm().name(), " signature valid"].concat(),
    )?;
    let validity = validity::check(payload, &claimed.vct, policy, inputs.now);
    // Described once, for the report and the provenance.
    let validity_text = validity
        .as_ref()
        .map(validity::describe)
        .unwrap_or_default();
    let validity = step(report, "validity", validity, |_| validity_text.clone())?;
    let processed = step(
        report,
        "disclosures",
        disclosures::process_disclosures(disclosures, payload, policy),
        |p| format!("{} disclosure(s) matched, none unreferenced", p.paths.len()),
    )?;
    let empty = StatusListCache::new();
    let status = step(
        report,
        "status",
        status::check(
            payload,
            &claimed.iss,
            inputs.status.unwrap_or(&empty),
            policy.status_max_age_seconds,
            inputs.now,
        )
        .and_then(|s| match s {
            StatusChecked::NotApplicable if policy.require_status => {
                Err(VerifyError::StatusMissing)
            }
            other => Ok(other),
        }),
        |s| match s {
            StatusChecked::NotApplicable => "no status reference; not checked".to_owned(),
            StatusChecked::Valid { uri, idx, list_iat } => format!(
                "valid in {uri} at index {idx}, as of {}",
                Rfc3339(*list_iat)
            ),
        },
    )?;
    let logged = step(
        report,
        "log",
        log_inclusion::check(&sd, payload, &claimed.iss, inputs.trust, inputs.log, policy),
        |l| match l {
            Some(l) => l.to_string(),
            None => "no inclusion proof required or given; not checked".to_owned(),
        },
    )?;
    let key_binding = step(
        report,
        "key_binding",
        binding::verify(&sd, binding, policy, inputs.now),
        |kb| match kb {
            Some(kb) => ["KB-JWT valid for aud ", &kb.aud, " with the expected nonce"].concat(),
            None => "not required by policy; not checked".to_owned(),
        },
    )?;
    if let (Some(store), Some(challenge), Some(_)) = (inputs.nonces, inputs.challenge, &key_binding)
    {
        step(
            report,
            "nonce",
            binding::spend_nonce(store, challenge),
            |_| "nonce issued by this verifier, now spent".to_owned(),
        )?;
    }
    *provenance = inputs.trust.provenance(
        &claimed.iss,
        claimed.kid.as_deref(),
        &claimed.vct,
        validity.iat,
    );
    provenance.push(ProvenanceEntry {
        step: "credential",
        detail: provenance::text(format_args!(
            "{} issued by {}; {validity_text}",
            claimed.vct, claimed.iss
        )),
        data: CREDENTIAL_DATA.data([
            ("vct", Value::from(claimed.vct.as_str())),
            ("iss", Value::from(claimed.iss.as_str())),
            (
                "kid",
                claimed.kid.as_deref().map_or(Value::Null, Value::from),
            ),
            ("iat", Value::from(validity.iat)),
            ("exp", validity.exp.map_or(Value::Null, Value::from)),
        ]),
    });
    provenance.push(ProvenanceEntry {
        step: "status",
        detail: match &status {
            StatusChecked::NotApplicable => Arc::from("the credential has no status reference"),
            StatusChecked::Valid { uri, idx, list_iat } => provenance::text(format_args!(
                "valid in {uri} at index {idx}, list issued {}, checked at {}",
                Rfc3339(*list_iat),
                Rfc3339(inputs.now)
            )),
        },
        data: STATUS_DATA.data([
            ("result", status::into_data(status)),
            ("checked_at", Value::from(inputs.now)),
        ]),
    });
    if let Some(l) = &logged {
        provenance.push(ProvenanceEntry {
            step: "log",
            detail: provenance::text(format_args!(
                "leaf {} in {}'s log, checkpoint of {} entries signed {}",
                l.leaf_index(),
                l.origin(),
                l.tree_size(),
                Rfc3339(l.checkpoint_iat())
            )),
            data: Arc::new(serde_json::json!({
                "leaf_index": l.leaf_index(), "tree_size": l.tree_size(),
                "root_hash": l.root_hash(), "checkpoint_iat": l.checkpoint_iat(),
            })),
        });
    }
    let disclosed = processed.paths;
    let mut claims = processed.claims;
    claims.retain(|k, _| !NON_DISCLOSABLE.contains(&k.as_str()));
    Ok(Verified::new(Presentation {
        issuer: claimed.iss,
        issuer_kid: claimed.kid,
        vct: claimed.vct,
        claims,
        disclosed,
        validity,
        key_binding,
    }))
}
