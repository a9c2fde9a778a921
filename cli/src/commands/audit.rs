//! `dojang audit …`: the auditor's tools. Everything here works on what an issuer publishes or
//! hands over (checkpoints, proofs, its records and log export) and on the trust list: no call
//! to the issuer, no personal data.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use dojang_vc::log::{verify_checkpoint, ConsistencyProof, LogLeaf};
use dojang_vc::merkle;
use dojang_vc::status_list::{status_reference, Status};
use dojang_vc::trust_list::{verify_trust_list, VerifiedTrustList};
use dojang_vc::{Algorithm, Budget, VerificationKey};
use dojang_verifier::{
    check_consistency, check_signatures, reconcile, RecordView, StatusListCache, TrustListTrust,
};
use serde::Serialize;
use serde_json::{json, Value};

use super::key::load_public;
use crate::error::{read_file, CliError};
use crate::time::{format, now};

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: AuditCommand,
}

/// Where the issuer's key comes from.
#[derive(Debug, Args)]
struct KeySource {
    /// The issuer's public key (JWK).
    #[arg(long, conflicts_with = "trust_list")]
    issuer_key: Option<PathBuf>,
    /// The trust list naming the issuer's keys (with --root-key).
    #[arg(long, requires = "root_key")]
    trust_list: Option<PathBuf>,
    /// The ministry's root public key.
    #[arg(long, requires = "trust_list")]
    root_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check that the log only grew between two checkpoints (RFC 9162 consistency proof).
    Consistency {
        /// The older checkpoint (a checkpoint+jwt file).
        #[arg(long)]
        old: PathBuf,
        /// The newer checkpoint.
        #[arg(long)]
        new: PathBuf,
        /// The consistency proof (`dojang issuer consistency-proof`).
        #[arg(long)]
        proof: PathBuf,
        #[command(flatten)]
        key: KeySource,
    },
    /// Reconcile an issuer's records with its log: every record logged, every leaf recorded,
    /// counts per type and per day.
    Reconcile {
        /// Records, JSON lines (`dojang issuer records`).
        #[arg(long)]
        records: PathBuf,
        /// Log leaves, JSON lines (`dojang issuer log-export`).
        #[arg(long)]
        leaves: PathBuf,
    },
    /// Re-check many credentials' issuer signatures at once (a day of an issuer's credentials):
    /// each against the key the trust list gives its issuer for its type when it was issued, 64
    /// at a time in one computation with verify_strict's decisions. Lists the credentials that
    /// fail, by line and credential number; no claim is printed.
    Signatures {
        /// The credentials: JSON lines with a `credential` member (as `dojang issuer reissue
        /// --out` writes them, `document_number` naming each), or one SD-JWT VC a line.
        credentials: PathBuf,
        /// The trust list (the issuers' accreditations and keys).
        #[arg(long)]
        trust_list: PathBuf,
        /// The ministry's root public key.
        #[arg(long)]
        root_key: PathBuf,
    },
    /// Trace one credential: its issuer and accreditation when issued, its log entry under a
    /// signed checkpoint, and its status.
    Trace {
        /// The credential number (발급번호).
        number: String,
        /// Records, JSON lines.
        #[arg(long)]
        records: PathBuf,
        /// Log leaves, JSON lines.
        #[arg(long)]
        leaves: PathBuf,
        /// A checkpoint covering the credential's leaf.
        #[arg(long)]
        checkpoint: PathBuf,
        /// The trust list (the issuer's accreditation and keys).
        #[arg(long)]
        trust_list: PathBuf,
        /// The ministry's root public key.
        #[arg(long)]
        root_key: PathBuf,
        /// Status list tokens of the issuer (repeatable).
        #[arg(long = "status-list")]
        status_list: Vec<PathBuf>,
        /// The credential's status history (`dojang issuer status-history NUMBER`).
        #[arg(long)]
        status_history: Option<PathBuf>,
    },
}

pub(crate) fn run(args: AuditArgs) -> Result<u8, CliError> {
    match args.command {
        AuditCommand::Consistency {
            old,
            new,
            proof,
            key,
        } => {
            let old = read_file(&old)?;
            let new = read_file(&new)?;
            let budget = Budget::default();
            let proof = ConsistencyProof::from_json(read_file(&proof)?.as_bytes(), &budget)?;
            let key = issuer_key(&key, old.trim())?;
            let outcome = check_consistency(old.trim(), new.trim(), &proof, &key);
            report(
                args.json,
                outcome.as_ref().map(|r| r.to_string()),
                outcome.is_ok(),
                || match &outcome {
                    Ok(r) => json!({"consistent": true, "origin": r.origin(),
                        "old_size": r.older().tree_size, "new_size": r.newer().tree_size,
                        "appended": r.appended()}),
                    Err(e) => {
                        json!({"consistent": false, "error": {"code": e.code(), "message": e.to_string()}})
                    }
                },
            )
        }
        AuditCommand::Reconcile { records, leaves } => {
            let records: Vec<RecordView> = json_lines(&records)?;
            let leaves: Vec<LogLeaf> = json_lines(&leaves)?;
            let r = reconcile(&records, &leaves);
            let clean = r.is_clean();
            report(args.json, Ok::<_, String>(r.to_string()), clean, || {
                serde_json::to_value(&r).unwrap_or(Value::Null)
            })
        }
        AuditCommand::Signatures {
            credentials,
            trust_list,
            root_key,
        } => {
            let lines = credential_lines(&credentials)?;
            let trust = TrustListTrust::new(load_list(&trust_list, &root_key)?);
            eprintln!("audit: checking {} credentials' signatures …", lines.len());
            let started = std::time::Instant::now();
            let texts: Vec<&str> = lines.iter().map(|l| l.credential.as_str()).collect();
            let answers = check_signatures(&texts, &trust, &Budget::default());
            let seconds = started.elapsed().as_secs_f64();
            let failed: Vec<Failed<'_>> = lines
                .iter()
                .zip(&answers)
                .filter_map(|(line, answer)| {
                    let e = answer.as_ref().err()?;
                    Some(Failed {
                        line: line.number,
                        document_number: line.document_number.as_deref(),
                        code: e.code(),
                        message: e.to_string(),
                    })
                })
                .collect();
            let valid = answers.len() - failed.len();
            let mut text = format!(
                "checked {} credentials' issuer signatures in {seconds:.2} s ({:.0}/s): {valid} valid, {} failed",
                answers.len(),
                answers.len() as f64 / seconds.max(1e-9),
                failed.len()
            );
            for f in &failed {
                text.push_str(&format!(
                    "\n  line {} ({}): {}: {}",
                    f.line,
                    f.document_number.unwrap_or("no credential number"),
                    f.code,
                    f.message
                ));
            }
            let ok = failed.is_empty();
            report(
                args.json,
                Ok::<_, String>(text),
                ok,
                || json!({"checked": answers.len(), "valid": valid, "failed": failed}),
            )
        }
        AuditCommand::Trace {
            number,
            records,
            leaves,
            checkpoint,
            trust_list,
            root_key,
            status_list,
            status_history,
        } => {
            let mut t = trace(
                &number,
                &records,
                &leaves,
                &checkpoint,
                &trust_list,
                &root_key,
                &status_list,
            )?;
            if let Some(path) = status_history {
                add_history(&mut t, crate::error::read_json(&path)?);
            }
            let ok = t.problems.is_empty();
            let text = t.to_text();
            report(args.json, Ok::<_, String>(text), ok, || {
                serde_json::to_value(&t).unwrap_or(Value::Null)
            })
        }
    }
}

/// Adds the issuer's status history to a trace; it must end where the published list stands.
fn add_history(t: &mut Trace, history: Value) {
    let current = t.status.get("status").and_then(Value::as_str).unwrap_or("");
    let last = history
        .as_array()
        .and_then(|h| h.last())
        .and_then(|c| c.get("to"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let agrees = match current {
        "valid" => last == "valid",
        "revoked" => last == "invalid",
        "suspended" => last == "suspended",
        _ => true,
    };
    if !agrees {
        t.problems.push(format!(
            "the status history ends in `{last}` but the published list says `{current}`"
        ));
    }
    t.status["history"] = history;
}

/// Prints text or JSON; exit 0 when the check held, 1 when it did not.
fn report<E: std::fmt::Display>(
    as_json: bool,
    text: Result<String, E>,
    ok: bool,
    value: impl FnOnce() -> Value,
) -> Result<u8, CliError> {
    if as_json {
        println!("{}", value());
    } else {
        match text {
            Ok(t) => println!("{}", t.trim_end()),
            Err(e) => println!("FAILED: {e}"),
        }
    }
    Ok(if ok { 0 } else { 1 })
}

/// A credential whose signature `dojang audit signatures` refused.
#[derive(Serialize)]
struct Failed<'a> {
    /// Its line in the file, from 1.
    line: usize,
    document_number: Option<&'a str>,
    code: &'static str,
    message: String,
}

/// One credential of `dojang audit signatures`' input.
struct CredentialLine {
    /// Its line in the file, from 1.
    number: usize,
    credential: String,
    document_number: Option<String>,
}

/// The credentials of a file: JSON lines with a `credential` member (and a `document_number`,
/// if any), or one SD-JWT VC a line; blank lines skipped.
fn credential_lines(path: &Path) -> Result<Vec<CredentialLine>, CliError> {
    let bad = |number: usize, reason: &str| CliError::Json {
        path: path.to_owned(),
        reason: format!("line {number}: {reason}"),
    };
    let mut out = Vec::new();
    for (i, line) in read_file(path)?.lines().enumerate() {
        let (number, line) = (i + 1, line.trim());
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('{') {
            out.push(CredentialLine {
                number,
                credential: line.to_owned(),
                document_number: None,
            });
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| bad(number, &e.to_string()))?;
        let credential = value["credential"]
            .as_str()
            .ok_or_else(|| bad(number, "no `credential` string"))?;
        out.push(CredentialLine {
            number,
            credential: credential.to_owned(),
            document_number: value["document_number"].as_str().map(str::to_owned),
        });
    }
    Ok(out)
}

fn json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, CliError> {
    read_file(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| CliError::Json {
                path: path.to_owned(),
                reason: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

fn load_list(trust_list: &Path, root_key: &Path) -> Result<VerifiedTrustList, CliError> {
    let root = load_public(root_key)?;
    let token = read_file(trust_list)?;
    Ok(verify_trust_list(
        token.trim(),
        &root,
        now(),
        None,
        &Budget::default(),
    )?)
}

/// The issuer key for a checkpoint: given directly, or from the trust list by the checkpoint's
/// own origin and kid, valid when it was signed.
fn issuer_key(source: &KeySource, checkpoint: &str) -> Result<VerificationKey, CliError> {
    if let Some(path) = &source.issuer_key {
        return Ok(VerificationKey::Ed25519(load_public(path)?));
    }
    let (Some(list), Some(root)) = (&source.trust_list, &source.root_key) else {
        return Err(CliError::Usage(
            "give --issuer-key, or --trust-list with --root-key".into(),
        ));
    };
    let list = load_list(list, root)?;
    let jws = dojang_vc::Jws::parse(checkpoint, &Budget::default(), dojang_vc::JwtPart::Issuer)?;
    let payload = jws.unverified_payload();
    let origin = payload.get("iss").and_then(Value::as_str).unwrap_or("");
    let iat = payload.get("iat").and_then(Value::as_i64).unwrap_or(0);
    let (_, _, key) = list.signing_key(origin, jws.header_str("kid"), iat)?;
    Ok(VerificationKey::Ed25519(key))
}

/// The trace of one credential.
#[derive(Debug, Serialize)]
struct Trace {
    number: String,
    record: Value,
    issuer: Value,
    log: Value,
    status: Value,
    problems: Vec<String>,
}

impl Trace {
    fn to_text(&self) -> String {
        let mut out = format!("credential {}\n", self.number);
        for (label, v) in [
            ("record", &self.record),
            ("issuer", &self.issuer),
            ("log", &self.log),
            ("status", &self.status),
        ] {
            out.push_str(&format!(
                "  {label:<7} {}\n",
                v.get("summary").and_then(Value::as_str).unwrap_or("-")
            ));
        }
        if let Some(history) = self.status.get("history").and_then(Value::as_array) {
            for c in history {
                out.push_str(&format!(
                    "          {} {} -> {} ({})\n",
                    c.get("at")
                        .and_then(Value::as_i64)
                        .map(format)
                        .unwrap_or_default(),
                    c.get("from").and_then(Value::as_str).unwrap_or("-"),
                    c.get("to").and_then(Value::as_str).unwrap_or("?"),
                    c.get("cause").and_then(Value::as_str).unwrap_or("")
                ));
            }
        }
        if self.problems.is_empty() {
            out.push_str("  no problem found\n");
        }
        for p in &self.problems {
            out.push_str(&format!("  PROBLEM: {p}\n"));
        }
        out
    }
}

#[allow(clippy::too_many_arguments)]
fn trace(
    number: &str,
    records: &Path,
    leaves: &Path,
    checkpoint: &Path,
    trust_list: &Path,
    root_key: &Path,
    status_lists: &[PathBuf],
) -> Result<Trace, CliError> {
    let mut problems = Vec::new();
    let records: Vec<Value> = json_lines(records)?;
    let leaves: Vec<LogLeaf> = json_lines(leaves)?;
    let record = records
        .into_iter()
        .find(|r| r.get("document_number").and_then(Value::as_str) == Some(number))
        .ok_or_else(|| CliError::Usage(format!("no record numbered {number}")))?;
    let view: RecordView = serde_json::from_value(record.clone()).map_err(|e| CliError::Json {
        path: PathBuf::from("records"),
        reason: e.to_string(),
    })?;
    let list = load_list(trust_list, root_key)?;
    let budget = Budget::default();

    // Issuer and accreditation at issuance, from the checkpoint's origin (the issuer's DID).
    let cp_text = read_file(checkpoint)?;
    let cp_jws = dojang_vc::Jws::parse(cp_text.trim(), &budget, dojang_vc::JwtPart::Issuer)?;
    let origin = cp_jws
        .unverified_payload()
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let issuer = match list.issuer_key(&origin, None, &view.vct, view.issued_at) {
        Ok((entry, key, _)) => json!({
            "summary": format!("{} ({}) {}, accredited for this type; key {} valid at issuance {}",
                entry.name_ko, origin, entry.status.as_str(), key.kid, format(view.issued_at)),
            "did": origin, "kid": key.kid, "accredited": true,
        }),
        Err(e) => {
            problems.push(format!("accreditation at issuance: {e}"));
            json!({"summary": format!("{origin}: {e}"), "did": origin, "accredited": false})
        }
    };

    // Log: the leaf under the signed checkpoint, recomputed from the whole export.
    let mut log = json!({"summary": "not logged"});
    let cp_key = issuer_key(
        &KeySource {
            issuer_key: None,
            trust_list: Some(trust_list.to_owned()),
            root_key: Some(root_key.to_owned()),
        },
        cp_text.trim(),
    );
    match (view.log_index, cp_key) {
        (Some(index), Ok(key)) => {
            let cp = verify_checkpoint(cp_text.trim(), &key, &budget)?;
            let size = usize::try_from(cp.tree_size).unwrap_or(usize::MAX);
            let hashes: Vec<merkle::Hash> = leaves.iter().take(size).map(LogLeaf::hash).collect();
            let leaf = leaves.get(usize::try_from(index).unwrap_or(usize::MAX));
            let matches = leaf.is_some_and(|l| l.jwt_sha256 == view.jwt_sha256);
            let rooted = hashes.len() == size && Some(merkle::root(&hashes)) == cp.root().ok();
            if !matches {
                problems.push(format!("log entry {index} is not this credential"));
            }
            if !rooted || index >= cp.tree_size {
                problems.push("the log export does not reproduce the signed checkpoint".into());
            }
            log = json!({
                "summary": format!("entry {index} of {} under a checkpoint signed {}{}", cp.tree_size,
                    format(cp.iat), if matches && rooted { ", recomputed and matching" } else { "" }),
                "leaf_index": index, "tree_size": cp.tree_size, "checkpoint_iat": cp.iat,
            });
        }
        (None, _) => problems.push("the record names no log entry".into()),
        (_, Err(e)) => problems.push(format!("checkpoint key: {e}")),
    }

    // Status, from the issuer's published lists.
    let trust = TrustListTrust::new(list);
    let mut cache = StatusListCache::new();
    for path in status_lists {
        cache.insert_trusted(
            read_file(path)?.trim(),
            &trust,
            &[Algorithm::EdDSA],
            now(),
            &budget,
        )?;
    }
    let mut payload = serde_json::Map::new();
    if let (Some(uri), Some(idx)) = (&view.status_uri, view.status_idx) {
        payload.insert(
            "status".into(),
            json!({"status_list": {"uri": uri, "idx": idx}}),
        );
    }
    let status = match status_reference(&payload)? {
        None => json!({"summary": "no status entry"}),
        Some(r) => match dojang_verifier::check_status(&payload, &origin, &cache, None, now()) {
            Ok(_) => {
                json!({"summary": format!("valid in {} #{}", r.uri, r.idx), "status": Status::Valid.name()})
            }
            Err(e) => {
                json!({"summary": format!("{} #{}: {}", r.uri, r.idx, e.code()), "status": e.code()})
            }
        },
    };
    Ok(Trace {
        number: number.to_owned(),
        record: json!({
            "summary": format!("{} issued {}, log index {}", view.vct, format(view.issued_at),
                view.log_index.map_or("-".into(), |i| i.to_string())),
            "vct": view.vct, "issued_at": view.issued_at, "jwt_sha256": view.jwt_sha256,
        }),
        issuer,
        log,
        status,
        problems,
    })
}
