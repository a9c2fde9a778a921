//! The auditor's checks on an issuer's transparency log (`specs/log-format.md`), pure over their
//! inputs:
//!
//! 1. [`check_consistency`]: two checkpoints signed by the issuer's key, of the same log, the
//!    newer one no smaller, and a consistency proof (RFC 9162 §2.1.4.2) showing the newer tree
//!    extends the older: nothing logged was removed or changed;
//! 2. [`reconcile`]: the issuer's records against the log's leaves, one to one: a record whose
//!    credential is not logged, a logged credential without a record, duplicates, and leaves
//!    whose type, time or status disagree with their record;
//! 3. [`verify_inclusion`]: one credential's leaf in a signed checkpoint (the verifier's "log
//!    inclusion" step);
//! 4. [`check_signatures`]: many credentials' issuer signatures at once, each against the key the
//!    trust gives its issuer for its type when it was issued (steps 2 to 4 of the pipeline),
//!    the signatures checked in batches.
//!
//! The key is the caller's: taken from the trust list for the issuer, never from the checkpoint.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use dojang_vc::log::{verify_checkpoint, Checkpoint, ConsistencyProof, InclusionProof, LogLeaf};
use dojang_vc::{Algorithm, Budget, Jws, JwtPart, VcError, VerificationKey};

use crate::{IssuerTrust, VerifyError};
use serde::{Deserialize, Serialize};

/// `YYYY-MM-DD` (UTC) of a time in seconds since the epoch.
fn utc_day(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(dt) => {
            let d = dt.date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        }
        Err(_) => "out-of-range".to_owned(),
    }
}

/// Each credential's issuer signature, checked as the pipeline's steps 2 to 4 check it (the
/// header and claimed identity; the key `trust` gives the issuer for the credential's type at
/// its `iat`; the signature, EdDSA only), with the signatures checked [`dojang_vc::VERIFY_BATCH`]
/// at a time in one computation ([`Jws::verify_many`]). One answer per credential, in order:
/// for an auditor re-checking a day of an issuer's credentials. Nothing else of a credential is
/// checked (its validity, Disclosures and status are the holder's presentation's business).
pub fn check_signatures(
    credentials: &[&str],
    trust: &dyn IssuerTrust,
    budget: &Budget,
) -> Vec<Result<(), VerifyError>> {
    let read: Vec<Result<(Jws, VerificationKey), VerifyError>> = credentials
        .iter()
        .map(|text| {
            budget.check_input_bytes(text.len())?;
            // The issuer JWT alone (up to the first `~`): its Disclosures are not checked here.
            let jwt_text = text.split('~').next().unwrap_or_default();
            let jwt = Jws::parse(jwt_text, budget, JwtPart::Issuer)?;
            let c = crate::header::read(&jwt)?;
            let key = trust.issuer_key(&c.iss, c.kid.as_deref(), &c.vct, c.iat)?;
            Ok((jwt, key))
        })
        .collect();
    let items: Vec<(&Jws, &VerificationKey)> = read
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|(jwt, key)| (jwt, key))
        .collect();
    let mut checked = Jws::verify_many(&items, &[Algorithm::EdDSA]).into_iter();
    read.into_iter()
        .map(|r| {
            r?;
            // One answer for each credential that was read, in the same order.
            checked
                .next()
                .unwrap_or(Err(VcError::SignatureInvalid))
                .map_err(VerifyError::from)
        })
        .collect()
}

/// What [`check_consistency`] established: the newer checkpoint's tree extends the older one's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsistencyReport {
    old: Checkpoint,
    new: Checkpoint,
}

impl ConsistencyReport {
    /// The log (the issuer's DID).
    pub fn origin(&self) -> &str {
        &self.new.origin
    }
    /// The older checkpoint, verified.
    pub fn older(&self) -> &Checkpoint {
        &self.old
    }
    /// The newer checkpoint, verified.
    pub fn newer(&self) -> &Checkpoint {
        &self.new
    }
    /// Entries appended between the two.
    pub fn appended(&self) -> u64 {
        self.new.tree_size - self.old.tree_size
    }
}

impl fmt::Display for ConsistencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "log {}: {} entries (root {}, signed {}) consistently extended by {} to {} entries \
             (root {}, signed {})",
            self.origin(),
            self.old.tree_size,
            self.old.root_hash,
            utc_day(self.old.iat),
            self.appended(),
            self.new.tree_size,
            self.new.root_hash,
            utc_day(self.new.iat),
        )
    }
}

/// Checks that `new_checkpoint` extends `old_checkpoint`: both verify with `issuer_key`
/// (`signature_invalid`, `typ_invalid`, `checkpoint_invalid` …), they are of the same log
/// (`checkpoint_invalid`), the newer is not smaller (`log_proof_invalid`: the log shrank), and
/// `proof` is a valid consistency proof between their sizes and heads (`log_proof_invalid`).
pub fn check_consistency(
    old_checkpoint: &str,
    new_checkpoint: &str,
    proof: &ConsistencyProof,
    issuer_key: &VerificationKey,
) -> Result<ConsistencyReport, VcError> {
    let budget = Budget::default();
    let old = verify_checkpoint(old_checkpoint, issuer_key, &budget)?;
    let new = verify_checkpoint(new_checkpoint, issuer_key, &budget)?;
    if old.origin != new.origin {
        return Err(VcError::CheckpointInvalid {
            reason: "the checkpoints are of different logs",
        });
    }
    if new.tree_size < old.tree_size {
        return Err(VcError::LogProofInvalid {
            reason: "the newer checkpoint has fewer entries than the older: the log shrank",
        });
    }
    proof.verify(&old, &new)?;
    Ok(ConsistencyReport { old, new })
}

/// What [`verify_inclusion`] established: the credential's leaf is at this index of the tree a
/// checkpoint of its issuer signed. For the verification's provenance ("log inclusion").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InclusionChecked {
    origin: String,
    leaf_index: u64,
    tree_size: u64,
    root_hash: String,
    checkpoint_iat: i64,
}

impl InclusionChecked {
    /// The log (the issuer DID the checkpoint names); the caller compares it with the
    /// credential's `iss`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// The leaf's index.
    pub fn leaf_index(&self) -> u64 {
        self.leaf_index
    }
    /// The checkpoint's tree size.
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }
    /// The checkpoint's tree head, base64url.
    pub fn root_hash(&self) -> &str {
        &self.root_hash
    }
    /// When the checkpoint was signed.
    pub fn checkpoint_iat(&self) -> i64 {
        self.checkpoint_iat
    }
}

impl fmt::Display for InclusionChecked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry {} of {} in the log of {} (checkpoint of {})",
            self.leaf_index,
            self.tree_size,
            self.origin,
            utc_day(self.checkpoint_iat)
        )
    }
}

/// Checks that `leaf` (rebuilt by the verifier from the credential it holds, with
/// [`LogLeaf::for_jwt`]) is in the tree that `checkpoint` signs: the checkpoint verifies with
/// `issuer_key`, the proof is for its tree size, and the audit path leads to its head.
pub fn verify_inclusion(
    leaf: &LogLeaf,
    proof: &InclusionProof,
    checkpoint: &str,
    issuer_key: &VerificationKey,
) -> Result<InclusionChecked, VcError> {
    let cp = verify_checkpoint(checkpoint, issuer_key, &Budget::default())?;
    proof.verify(leaf, &cp)?;
    Ok(InclusionChecked {
        origin: cp.origin,
        leaf_index: proof.leaf_index,
        tree_size: cp.tree_size,
        root_hash: cp.root_hash,
        checkpoint_iat: cp.iat,
    })
}

/// What the auditor needs of one issuance record (the issuer's records deserialize into it;
/// members it does not name, such as the subject's register id, are ignored and never kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    /// The credential number (발급번호).
    pub document_number: String,
    /// The credential type.
    pub vct: String,
    /// Issued-at, seconds since the epoch.
    pub issued_at: i64,
    /// base64url SHA-256 of the issuer-signed JWT.
    pub jwt_sha256: String,
    /// Where the issuer says it logged the credential.
    #[serde(default)]
    pub log_index: Option<u64>,
    /// The credential's status list.
    #[serde(default)]
    pub status_uri: Option<String>,
    /// Its index in that list.
    #[serde(default)]
    pub status_idx: Option<u64>,
}

/// A record whose credential is not in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnloggedRecord {
    /// The record's credential number.
    pub document_number: String,
    /// Where the record says the leaf is.
    pub log_index: Option<u64>,
    /// The credential's hash, found at no index.
    pub jwt_sha256: String,
}

/// A leaf that no record accounts for: a credential signed but not recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnrecordedLeaf {
    /// The leaf's index.
    pub index: u64,
    /// The credential's hash.
    pub jwt_sha256: String,
    /// Its type.
    pub vct: String,
    /// Its issuance time.
    pub iat: i64,
}

/// One credential hash logged at several indexes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateLeaves {
    /// The credential's hash.
    pub jwt_sha256: String,
    /// Every index it is at.
    pub indexes: Vec<u64>,
}

/// Several records sharing what must be unique to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateRecords {
    /// What they share: `jwt_sha256` or `document_number`.
    pub field: &'static str,
    /// The shared value.
    pub value: String,
    /// The records' credential numbers.
    pub document_numbers: Vec<String>,
}

/// A record and its leaf disagree on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The record's credential number.
    pub document_number: String,
    /// The index of the leaf with the record's credential hash.
    pub index: u64,
    /// `log_index`, `vct`, `iat`, `status_uri` or `status_idx`.
    pub field: &'static str,
    /// The record's value (`none` when absent).
    pub record: String,
    /// The leaf's value (`none` when absent).
    pub leaf: String,
}

/// Records and leaves counted in one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records in the group.
    pub records: u64,
    /// Leaves in the group.
    pub leaves: u64,
}

/// The result of [`reconcile`]: what matched, every discrepancy, and counts per credential type
/// and per UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Records examined.
    pub records: u64,
    /// Leaves examined.
    pub leaves: u64,
    /// Records matched to a leaf.
    pub matched: u64,
    /// Records whose credential is in no leaf.
    pub unlogged_records: Vec<UnloggedRecord>,
    /// Leaves no record matches.
    pub unrecorded_leaves: Vec<UnrecordedLeaf>,
    /// Credential hashes logged more than once.
    pub duplicate_leaves: Vec<DuplicateLeaves>,
    /// Records sharing a credential hash or a credential number.
    pub duplicate_records: Vec<DuplicateRecords>,
    /// Fields on which a record and its leaf disagree.
    pub mismatches: Vec<Mismatch>,
    /// Counts by `vct`.
    pub per_vct: BTreeMap<String, Counts>,
    /// Counts by UTC day of issuance (`YYYY-MM-DD`), records by `issued_at`, leaves by `iat`.
    pub per_day: BTreeMap<String, Counts>,
}

impl ReconcileReport {
    /// True when records and log match one to one with no discrepancy.
    pub fn is_clean(&self) -> bool {
        self.unlogged_records.is_empty()
            && self.unrecorded_leaves.is_empty()
            && self.duplicate_leaves.is_empty()
            && self.duplicate_records.is_empty()
            && self.mismatches.is_empty()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

impl fmt::Display for ReconcileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "reconciliation: {} records, {} log entries, {} matched: {}",
            self.records,
            self.leaves,
            self.matched,
            if self.is_clean() {
                "clean"
            } else {
                "DISCREPANCIES"
            }
        )?;
        if !self.unlogged_records.is_empty() {
            writeln!(
                f,
                "records not in the log ({}):",
                self.unlogged_records.len()
            )?;
            for r in &self.unlogged_records {
                writeln!(
                    f,
                    "  {} (log index {}, jwt {})",
                    r.document_number,
                    opt(r.log_index),
                    r.jwt_sha256
                )?;
            }
        }
        if !self.unrecorded_leaves.is_empty() {
            writeln!(
                f,
                "log entries without a record ({}):",
                self.unrecorded_leaves.len()
            )?;
            for l in &self.unrecorded_leaves {
                writeln!(
                    f,
                    "  #{} {} issued {} (jwt {})",
                    l.index,
                    l.vct,
                    utc_day(l.iat),
                    l.jwt_sha256
                )?;
            }
        }
        if !self.duplicate_leaves.is_empty() {
            writeln!(f, "credentials logged more than once:")?;
            for d in &self.duplicate_leaves {
                let at: Vec<String> = d.indexes.iter().map(|i| format!("#{i}")).collect();
                writeln!(f, "  jwt {} at {}", d.jwt_sha256, at.join(", "))?;
            }
        }
        if !self.duplicate_records.is_empty() {
            writeln!(f, "records sharing a value that must be unique:")?;
            for d in &self.duplicate_records {
                writeln!(
                    f,
                    "  {} {}: {}",
                    d.field,
                    d.value,
                    d.document_numbers.join(", ")
                )?;
            }
        }
        if !self.mismatches.is_empty() {
            writeln!(f, "records and log entries that disagree:")?;
            for m in &self.mismatches {
                writeln!(
                    f,
                    "  {} / #{}: {} is {} in the record, {} in the log",
                    m.document_number, m.index, m.field, m.record, m.leaf
                )?;
            }
        }
        writeln!(f, "by credential type:")?;
        for (vct, c) in &self.per_vct {
            writeln!(
                f,
                "  {vct}: {} records, {} log entries",
                c.records, c.leaves
            )?;
        }
        writeln!(f, "by day (UTC):")?;
        for (day, c) in &self.per_day {
            writeln!(
                f,
                "  {day}: {} records, {} log entries",
                c.records, c.leaves
            )?;
        }
        Ok(())
    }
}

/// Matches the issuer's `records` against the log's `leaves` (leaf `i` at index `i`).
///
/// A record matches the leaf at its `log_index` when that leaf carries its `jwt_sha256`;
/// otherwise a leaf with its `jwt_sha256` elsewhere (then `log_index` is reported as a mismatch);
/// otherwise it is unlogged. A matched pair must agree on `vct`, issuance time and status
/// reference. Leaves that no record matched are unrecorded.
pub fn reconcile(records: &[RecordView], leaves: &[LogLeaf]) -> ReconcileReport {
    let mut report = ReconcileReport {
        records: records.len() as u64,
        leaves: leaves.len() as u64,
        ..ReconcileReport::default()
    };

    let mut by_hash: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, leaf) in leaves.iter().enumerate() {
        by_hash.entry(&leaf.jwt_sha256).or_default().push(i);
        let counts = report.per_vct.entry(leaf.vct.clone()).or_default();
        counts.leaves += 1;
        report.per_day.entry(utc_day(leaf.iat)).or_default().leaves += 1;
    }
    let mut dup_leaves: Vec<DuplicateLeaves> = by_hash
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(hash, at)| DuplicateLeaves {
            jwt_sha256: (*hash).to_owned(),
            indexes: at.iter().map(|i| *i as u64).collect(),
        })
        .collect();
    dup_leaves.sort_by_key(|d| d.indexes.first().copied());
    report.duplicate_leaves = dup_leaves;

    let mut claimed = vec![false; leaves.len()];
    for rec in records {
        report.per_vct.entry(rec.vct.clone()).or_default().records += 1;
        report
            .per_day
            .entry(utc_day(rec.issued_at))
            .or_default()
            .records += 1;

        let at_index = rec
            .log_index
            .and_then(|i| usize::try_from(i).ok())
            .filter(|i| {
                leaves
                    .get(*i)
                    .is_some_and(|l| l.jwt_sha256 == rec.jwt_sha256)
            });
        let found = at_index.or_else(|| {
            let at = by_hash.get(rec.jwt_sha256.as_str())?;
            at.iter()
                .copied()
                .find(|i| !claimed[*i])
                .or(at.first().copied())
        });
        let Some(i) = found else {
            report.unlogged_records.push(UnloggedRecord {
                document_number: rec.document_number.clone(),
                log_index: rec.log_index,
                jwt_sha256: rec.jwt_sha256.clone(),
            });
            continue;
        };
        claimed[i] = true;
        report.matched += 1;
        let leaf = &leaves[i];
        let mut mismatch = |field: &'static str, record: String, leaf: String| {
            report.mismatches.push(Mismatch {
                document_number: rec.document_number.clone(),
                index: i as u64,
                field,
                record,
                leaf,
            });
        };
        if rec.log_index != Some(i as u64) {
            mismatch("log_index", opt(rec.log_index), i.to_string());
        }
        if rec.vct != leaf.vct {
            mismatch("vct", rec.vct.clone(), leaf.vct.clone());
        }
        if rec.issued_at != leaf.iat {
            mismatch("iat", rec.issued_at.to_string(), leaf.iat.to_string());
        }
        if rec.status_uri != leaf.status_uri {
            mismatch(
                "status_uri",
                opt(rec.status_uri.as_deref()),
                opt(leaf.status_uri.as_deref()),
            );
        }
        if rec.status_idx != leaf.status_idx {
            mismatch("status_idx", opt(rec.status_idx), opt(leaf.status_idx));
        }
    }

    for (i, leaf) in leaves.iter().enumerate() {
        if !claimed[i] {
            report.unrecorded_leaves.push(UnrecordedLeaf {
                index: i as u64,
                jwt_sha256: leaf.jwt_sha256.clone(),
                vct: leaf.vct.clone(),
                iat: leaf.iat,
            });
        }
    }

    for field in ["jwt_sha256", "document_number"] {
        let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for rec in records {
            let key = if field == "jwt_sha256" {
                rec.jwt_sha256.as_str()
            } else {
                rec.document_number.as_str()
            };
            groups
                .entry(key)
                .or_default()
                .push(rec.document_number.clone());
        }
        for (value, document_numbers) in groups {
            if document_numbers.len() > 1 {
                report.duplicate_records.push(DuplicateRecords {
                    field,
                    value: value.to_owned(),
                    document_numbers,
                });
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_did::{did_for_key, DidMethod, PrivateJwk};
    use dojang_vc::log::sign_checkpoint;
    use dojang_vc::merkle::{self, Hash};

    const VCT: &str = "urn:dojang:kr:resident-registration-copy:1";
    const DAY: i64 = 1_700_006_400; // 2023-11-15T00:00:00Z

    struct Issuer {
        key: PrivateJwk,
        did: String,
        kid: String,
        leaves: Vec<LogLeaf>,
    }

    impl Issuer {
        fn new(n: u64) -> Self {
            let key = PrivateJwk::generate();
            let (did, kid) = did_for_key(&key.public(), DidMethod::Jwk);
            let leaves = (0..n).map(leaf).collect();
            Self {
                key,
                did,
                kid,
                leaves,
            }
        }
        fn hashes(&self, size: u64) -> Vec<Hash> {
            self.leaves[..size as usize]
                .iter()
                .map(LogLeaf::hash)
                .collect()
        }
        fn checkpoint(&self, size: u64, iat: i64) -> String {
            let cp = Checkpoint::new(&self.did, size, &merkle::root(&self.hashes(size)), iat);
            sign_checkpoint(&cp, &self.kid, self.key.signing_key()).unwrap()
        }
        fn key(&self) -> VerificationKey {
            VerificationKey::Ed25519(self.key.public())
        }
        fn consistency(&self, old: u64, new: u64) -> ConsistencyProof {
            let p = merkle::consistency_proof(&self.hashes(new), old).unwrap();
            ConsistencyProof::new(old, new, &p)
        }
        fn inclusion(&self, index: u64, size: u64) -> InclusionProof {
            let p = merkle::inclusion_proof(&self.hashes(size), index).unwrap();
            InclusionProof::new(index, size, &p)
        }
    }

    fn leaf(i: u64) -> LogLeaf {
        LogLeaf::for_jwt(
            &format!("h.p{i}.s"),
            VCT,
            DAY + i as i64 * 3_600,
            Some("https://issuer.example/status/1"),
            Some(i),
        )
    }

    fn record(i: u64, l: &LogLeaf) -> RecordView {
        RecordView {
            document_number: format!("2023-1115-0000-{i:04}"),
            vct: l.vct.clone(),
            issued_at: l.iat,
            jwt_sha256: l.jwt_sha256.clone(),
            log_index: Some(i),
            status_uri: l.status_uri.clone(),
            status_idx: l.status_idx,
        }
    }

    fn records(issuer: &Issuer) -> Vec<RecordView> {
        (0..issuer.leaves.len() as u64)
            .map(|i| record(i, &issuer.leaves[i as usize]))
            .collect()
    }

    fn mutate(proof: &ConsistencyProof) -> ConsistencyProof {
        let mut bad = proof.clone();
        let mut bytes = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &bad.hashes[0],
        )
        .unwrap();
        bytes[0] ^= 1;
        bad.hashes[0] =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
        bad
    }

    #[test]
    fn consistent_checkpoints_pass() {
        let issuer = Issuer::new(30);
        let old = issuer.checkpoint(11, DAY);
        let new = issuer.checkpoint(30, DAY + 86_400);
        let report =
            check_consistency(&old, &new, &issuer.consistency(11, 30), &issuer.key()).unwrap();
        assert_eq!(report.older().tree_size, 11);
        assert_eq!(report.newer().tree_size, 30);
        assert_eq!(report.appended(), 19);
        assert_eq!(report.origin(), issuer.did);
        let text = report.to_string();
        assert!(
            text.contains("11 entries") && text.contains("2023-11-16"),
            "{text}"
        );
        assert!(serde_json::to_value(&report).unwrap()["new"]["tree_size"] == 30);
        // Same size, same head: consistent with an empty proof.
        check_consistency(&new, &new, &issuer.consistency(30, 30), &issuer.key()).unwrap();
    }

    #[test]
    fn mutated_consistency_proof_fails() {
        let issuer = Issuer::new(30);
        let old = issuer.checkpoint(11, DAY);
        let new = issuer.checkpoint(30, DAY);
        let bad = mutate(&issuer.consistency(11, 30));
        let err = check_consistency(&old, &new, &bad, &issuer.key()).unwrap_err();
        assert_eq!(err.code(), "log_proof_invalid");
        // Checkpoints in the wrong order: the log would have shrunk.
        let err =
            check_consistency(&new, &old, &issuer.consistency(11, 30), &issuer.key()).unwrap_err();
        assert_eq!(err.code(), "log_proof_invalid");
    }

    #[test]
    fn forged_checkpoint_fails() {
        let issuer = Issuer::new(30);
        let old = issuer.checkpoint(11, DAY);
        // A checkpoint by someone else, claiming the issuer's log.
        let mut mallory = Issuer::new(30);
        mallory.leaves[3] = LogLeaf::for_jwt("x.y.z", VCT, DAY, None, None);
        let cp = Checkpoint::new(&issuer.did, 30, &merkle::root(&mallory.hashes(30)), DAY);
        let forged = sign_checkpoint(&cp, &issuer.kid, mallory.key.signing_key()).unwrap();
        let err = check_consistency(&old, &forged, &mallory.consistency(11, 30), &issuer.key())
            .unwrap_err();
        assert_eq!(err.code(), "signature_invalid");
        // Two genuine checkpoints of different logs.
        let other = mallory.checkpoint(30, DAY);
        let err = check_consistency(&old, &other, &issuer.consistency(11, 30), &mallory.key())
            .unwrap_err();
        assert_eq!(err.code(), "signature_invalid");
        let err = verify_inclusion(
            &issuer.leaves[0],
            &issuer.inclusion(0, 30),
            &forged,
            &issuer.key(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "signature_invalid");
    }

    #[test]
    fn checkpoints_of_different_logs_refused() {
        let a = Issuer::new(5);
        let mut b = Issuer::new(5);
        b.key = a.key.clone();
        b.kid = b.kid.replace(&b.did, "did:example:other");
        b.did = "did:example:other".to_owned();
        let err = check_consistency(
            &a.checkpoint(5, DAY),
            &b.checkpoint(5, DAY),
            &a.consistency(5, 5),
            &a.key(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "checkpoint_invalid");
    }

    #[test]
    fn inclusion_checked_and_mutations_fail() {
        let issuer = Issuer::new(9);
        let cp = issuer.checkpoint(9, DAY + 5);
        for i in 0..9 {
            let ok = verify_inclusion(
                &issuer.leaves[i as usize],
                &issuer.inclusion(i, 9),
                &cp,
                &issuer.key(),
            )
            .unwrap();
            assert_eq!(ok.leaf_index(), i);
            assert_eq!(ok.tree_size(), 9);
            assert_eq!(ok.checkpoint_iat(), DAY + 5);
            assert_eq!(ok.origin(), issuer.did);
        }
        let mut bad = issuer.inclusion(4, 9);
        bad.hashes.swap(0, 1);
        let err = verify_inclusion(&issuer.leaves[4], &bad, &cp, &issuer.key()).unwrap_err();
        assert_eq!(err.code(), "log_proof_invalid");
        let mut bad = issuer.inclusion(4, 9);
        bad.leaf_index = 5;
        assert!(verify_inclusion(&issuer.leaves[4], &bad, &cp, &issuer.key()).is_err());
        let mut changed = issuer.leaves[4].clone();
        changed.vct = "urn:other".into();
        assert!(verify_inclusion(&changed, &issuer.inclusion(4, 9), &cp, &issuer.key()).is_err());
        // A proof for a smaller tree than the checkpoint's.
        let err = verify_inclusion(
            &issuer.leaves[4],
            &issuer.inclusion(4, 8),
            &cp,
            &issuer.key(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "log_proof_invalid");
    }

    #[test]
    fn clean_reconciliation() {
        let issuer = Issuer::new(30);
        let report = reconcile(&records(&issuer), &issuer.leaves);
        assert!(report.is_clean(), "{report}");
        assert_eq!(
            (report.records, report.leaves, report.matched),
            (30, 30, 30)
        );
        assert_eq!(
            report.per_vct[VCT],
            Counts {
                records: 30,
                leaves: 30
            }
        );
        // 30 hours from midnight: 24 on the first day, 6 on the next.
        assert_eq!(report.per_day["2023-11-15"].leaves, 24);
        assert_eq!(report.per_day["2023-11-16"].records, 6);
        assert!(report.to_string().contains("clean"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["matched"], 30);
    }

    #[test]
    fn record_without_leaf_and_leaf_without_record() {
        let issuer = Issuer::new(6);
        let mut recs = records(&issuer);
        // A credential recorded but never logged.
        let ghost = leaf(100);
        recs.push(record(6, &ghost));
        // A credential logged but never recorded (its record is gone).
        recs.remove(2);
        let report = reconcile(&recs, &issuer.leaves);
        assert!(!report.is_clean());
        assert_eq!(report.unlogged_records.len(), 1);
        assert_eq!(
            report.unlogged_records[0].document_number,
            "2023-1115-0000-0006"
        );
        assert_eq!(report.unrecorded_leaves.len(), 1);
        assert_eq!(report.unrecorded_leaves[0].index, 2);
        assert_eq!(report.matched, 5);
        let text = report.to_string();
        assert!(text.contains("records not in the log (1)"), "{text}");
        assert!(text.contains("log entries without a record (1)"), "{text}");
        assert!(text.contains("DISCREPANCIES"), "{text}");
    }

    #[test]
    fn mismatched_fields_flagged() {
        let issuer = Issuer::new(5);
        let mut recs = records(&issuer);
        recs[1].vct = "urn:dojang:kr:family-relation-certificate:1".into();
        recs[2].issued_at += 1;
        recs[3].status_idx = None;
        recs[4].log_index = Some(0);
        let report = reconcile(&recs, &issuer.leaves);
        let fields: Vec<(&str, u64)> = report
            .mismatches
            .iter()
            .map(|m| (m.field, m.index))
            .collect();
        assert_eq!(
            fields,
            [("vct", 1), ("iat", 2), ("status_idx", 3), ("log_index", 4)]
        );
        assert_eq!(
            report.mismatches[0].record,
            "urn:dojang:kr:family-relation-certificate:1"
        );
        assert_eq!(report.mismatches[0].leaf, VCT);
        assert_eq!(report.mismatches[2].record, "none");
        assert!(report.unlogged_records.is_empty() && report.unrecorded_leaves.is_empty());
        assert!(!report.is_clean());
        assert!(report
            .to_string()
            .contains("vct is urn:dojang:kr:family-relation-certificate:1 in the record"));
    }

    #[test]
    fn duplicates_flagged() {
        let mut issuer = Issuer::new(4);
        issuer.leaves.push(issuer.leaves[1].clone());
        let mut recs = records(&issuer);
        recs.truncate(4);
        let mut twin = recs[3].clone();
        twin.log_index = None;
        recs.push(twin);
        let report = reconcile(&recs, &issuer.leaves);
        assert_eq!(report.duplicate_leaves.len(), 1);
        assert_eq!(report.duplicate_leaves[0].indexes, [1, 4]);
        let fields: Vec<&str> = report.duplicate_records.iter().map(|d| d.field).collect();
        assert_eq!(fields, ["jwt_sha256", "document_number"]);
        // The second copy of leaf 1 has no record of its own.
        assert_eq!(report.unrecorded_leaves.len(), 1);
        assert_eq!(report.unrecorded_leaves[0].index, 4);
        assert!(!report.is_clean());
    }

    #[test]
    fn issuer_records_deserialize_without_the_subject() {
        let json = serde_json::json!({
            "document_number": "2023-1115-0000-0001",
            "vct": VCT,
            "subject": "P000001",
            "issued_at": DAY,
            "expires_at": DAY + 1,
            "jwt_sha256": "x",
            "holder_thumbprint": "t",
            "log_index": 0
        });
        let view: RecordView = serde_json::from_value(json).unwrap();
        assert_eq!(view.log_index, Some(0));
        assert!(!serde_json::to_string(&view).unwrap().contains("P000001"));
    }
}
