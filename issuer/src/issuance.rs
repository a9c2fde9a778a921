//! Issuance: a certificate built from the register, signed as an SD-JWT VC bound to the holder's
//! key, and recorded durably before it is handed out.

use dojang_did::{did_for_key, DidMethod, PublicJwk};
use dojang_vc::credentials::{
    CertificateKind, CredentialType, FamilyRelationCertificate, ResidentRegistrationAbstract,
    ResidentRegistrationCopy, ALWAYS_VISIBLE,
};
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::IssueOptions;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use dojang_vc::log::LogLeaf;
use sled::transaction::TransactionError;
use sled::Transactional as _;

use crate::log::TransparencyLog;
use crate::records::{IssuanceRecord, Records};
use crate::register::Register;
use crate::signer::IssuerSigner;
use crate::status::{StatusLists, StatusRef};
use crate::IssuerError;

/// The tree of status changes, keyed by credential number.
const STATUS_HISTORY_TREE: &str = "status.history";

/// Credential numbers drawn for one request before giving up: a draw collides with probability
/// (numbers issued that day) / 10^8, so even after a million issuances in a day sixteen
/// collisions in a row have odds below 10^-32.
const MAX_NUMBER_DRAWS: u32 = 16;

/// Which certificate to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certificate {
    /// 주민등록표 등본: the household.
    ResidentCopy,
    /// 주민등록표 초본: one person's address history.
    ResidentAbstract,
    /// 가족관계증명서 (일반): current family.
    FamilyGeneral,
    /// 가족관계증명서 (상세): with past relations.
    FamilyDetailed,
}

impl Certificate {
    /// The credential type it is issued as.
    pub fn vct(self) -> &'static str {
        match self {
            Certificate::ResidentCopy => ResidentRegistrationCopy::VCT,
            Certificate::ResidentAbstract => ResidentRegistrationAbstract::VCT,
            Certificate::FamilyGeneral | Certificate::FamilyDetailed => {
                FamilyRelationCertificate::VCT
            }
        }
    }

    /// The Korean name.
    pub fn name_ko(self) -> &'static str {
        match self {
            Certificate::ResidentCopy => ResidentRegistrationCopy::NAME_KO,
            Certificate::ResidentAbstract => ResidentRegistrationAbstract::NAME_KO,
            Certificate::FamilyGeneral => "가족관계증명서 (일반)",
            Certificate::FamilyDetailed => "가족관계증명서 (상세)",
        }
    }
}

/// How long credentials stay valid and how they are shaped.
#[derive(Debug, Clone, Copy)]
pub struct IssuancePolicy {
    /// Validity from issuance, days. Freshness (a bank's 90 days) is the verifier's policy.
    pub valid_days: i64,
    /// Decoy digests per object and array (RFC 9901 §4.2.5), hiding how many members a household
    /// or family has.
    pub decoys: usize,
}

impl Default for IssuancePolicy {
    fn default() -> Self {
        Self {
            valid_days: 365,
            decoys: 2,
        }
    }
}

/// A credential just issued, and the record kept of it.
#[derive(Debug, Clone)]
pub struct IssuedCredential {
    /// The SD-JWT VC with all its Disclosures, for the holder's wallet.
    pub sd_jwt: String,
    /// What the agency keeps (no personal data beyond the register's person ids).
    pub record: IssuanceRecord,
}

/// One credential of a batch ([`Issuer::issue_batch`]): for whom, which certificate, bound to
/// which holder key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// The register's person id (never the RRN).
    pub person_id: String,
    /// Which certificate.
    pub certificate: Certificate,
    /// The holder's public key (`cnf.jwk`).
    pub holder: PublicJwk,
}

/// Credential numbers and status entries picked by batches that have not committed yet: no other
/// batch may pick them meanwhile.
#[derive(Debug, Default)]
struct InFlight {
    numbers: HashSet<String>,
    /// (list, index)
    entries: HashSet<(u32, u32)>,
}

/// One batch's picks (step 1), released from [`InFlight`] when dropped: by then the batch has
/// committed them (they are in the records and status lists) or failed (they are free again).
struct Picked<'a, S: IssuerSigner> {
    issuer: &'a Issuer<S>,
    numbers: Vec<Result<String, IssuerError>>,
    statuses: Vec<StatusRef>,
}

impl<S: IssuerSigner> Drop for Picked<'_, S> {
    fn drop(&mut self) {
        let mut in_flight = self
            .issuer
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for number in self.numbers.iter().flatten() {
            in_flight.numbers.remove(number);
        }
        for status in &self.statuses {
            in_flight.entries.remove(&(status.list, status.idx));
        }
    }
}

/// A credential signed in step 2 of a batch, waiting for the batch's transaction.
struct Signed {
    sd_jwt: String,
    leaf: LogLeaf,
    /// Without its `log_index` until the transaction assigns it.
    record: IssuanceRecord,
    status: StatusRef,
}

/// Who the issuer is: its DID (`iss`) and the DID URL of its current key (`kid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerIdentity {
    /// The `iss` DID: did:web for an agency on the trust list, did:key / did:jwk for tests.
    pub did: String,
    /// The header `kid`.
    pub kid: String,
}

impl IssuerIdentity {
    /// The identity that did:key or did:jwk derives from the key itself.
    pub fn from_key(key: &PublicJwk, method: DidMethod) -> Self {
        let (did, kid) = did_for_key(key, method);
        Self { did, kid }
    }
}

/// An issuing agency: its register, its key, its records, status lists and transparency log.
pub struct Issuer<S: IssuerSigner> {
    register: Register,
    records: Records,
    status: StatusLists,
    log: TransparencyLog,
    /// Every status change of every credential, by credential number (see `lifecycle.rs`).
    pub(crate) history: sled::Tree,
    db: sled::Db,
    signer: S,
    identity: IssuerIdentity,
    office: String,
    policy: IssuancePolicy,
    status_base: String,
    /// One transaction at a time: the log is a sequence.
    writer: Mutex<()>,
    /// Numbers and status entries picked by batches not yet committed.
    in_flight: Mutex<InFlight>,
    /// Read by a batch from reading the register to its commit; written by a register event,
    /// so that no batch signs claims from a register the event changes before the batch
    /// commits (see `lifecycle.rs`).
    pub(crate) register_gate: RwLock<()>,
    /// Threads a batch signs on: the cores available.
    workers: usize,
}

impl<S: IssuerSigner> Issuer<S> {
    /// An issuer over the sled database `db`, signing with `signer` as `identity`; its status
    /// lists are published under `status_base` (`{status_base}/{list id}`).
    pub fn open(
        db: &sled::Db,
        signer: S,
        identity: IssuerIdentity,
        office: &str,
        policy: IssuancePolicy,
        status_base: &str,
    ) -> Result<Self, IssuerError> {
        Ok(Self {
            register: Register::open(db)?,
            records: Records::open(db)?,
            status: StatusLists::open(db, status_base)?,
            log: TransparencyLog::open(db)?,
            history: db.open_tree(STATUS_HISTORY_TREE)?,
            db: db.clone(),
            signer,
            identity,
            office: office.to_owned(),
            policy,
            status_base: status_base.to_owned(),
            writer: Mutex::new(()),
            in_flight: Mutex::new(InFlight::default()),
            register_gate: RwLock::new(()),
            workers: std::thread::available_parallelism().map_or(1, usize::from),
        })
    }

    /// The issuer's DID.
    pub fn did(&self) -> &str {
        &self.identity.did
    }

    /// The DID URL of the signing key.
    pub fn kid(&self) -> &str {
        &self.identity.kid
    }

    /// The public key it signs with.
    pub fn public_key(&self) -> PublicJwk {
        self.signer.public_key()
    }

    /// The signer (for status list tokens and checkpoints).
    pub fn signer(&self) -> &S {
        &self.signer
    }

    /// The register.
    pub fn register(&self) -> &Register {
        &self.register
    }

    /// The issuance records.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The status lists.
    pub fn status_lists(&self) -> &StatusLists {
        &self.status
    }

    /// The transparency log.
    pub fn log(&self) -> &TransparencyLog {
        &self.log
    }

    /// The sled database the issuer keeps everything in, for services that keep their own trees
    /// beside the issuer's (the OpenID4VCI offers, tokens and nonces) and flush it.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// The issuing office's name, as printed on certificates.
    pub fn office(&self) -> &str {
        &self.office
    }

    /// Flushes the database: nothing acknowledged before this returns is lost in a crash.
    pub(crate) fn flush(&self) -> Result<(), IssuerError> {
        self.db.flush()?;
        Ok(())
    }

    /// Issues `certificate` for the register's person `person_id`, bound to `holder`, at `now`.
    ///
    /// One durable step: a random status index is allocated, the credential is signed with its
    /// `status` reference, its leaf appended to the transparency log and its record stored, all
    /// in one sled transaction, flushed before this returns. Either all of it exists or none.
    /// This is [`Issuer::issue_batch`] for a batch of one.
    pub fn issue(
        &self,
        person_id: &str,
        certificate: Certificate,
        holder: &PublicJwk,
        now: i64,
    ) -> Result<IssuedCredential, IssuerError> {
        let request = IssueRequest {
            person_id: person_id.to_owned(),
            certificate,
            holder: *holder,
        };
        self.issue_batch(std::slice::from_ref(&request), now)?
            .pop()
            .unwrap_or(Err(IssuerError::Corrupt {
                what: "issuer",
                reason: "a batch of one gave no outcome".into(),
            }))
    }

    /// Issues a batch of credentials at `now` in one durable step: one sled transaction writes
    /// every status entry, log leaf and record of the batch, then one flush; nothing is
    /// returned before the flush.
    ///
    /// The outcome has one entry per request, in order. A request the register cannot serve
    /// (an unknown or deceased person, no household for a 등본, …) or whose credential cannot
    /// be built or signed gets its own `Err` and leaves no trace; the others are issued anyway:
    /// one bad request does not sink a re-issue of ten thousand. The outer `Err` means the
    /// durable step itself failed (storage, status allocation, an invalid `now`): then nothing
    /// of the batch is acknowledged.
    ///
    /// The steps:
    /// 1. a fresh credential number per request and a free status entry per request, none
    ///    twice: checked against the records, the status lists, the batch itself and the
    ///    batches in flight, whose picks are held until they commit;
    /// 2. on every core: the certificate's claims from the register, the SD-JWT VC signed
    ///    with its `status` reference, its log leaf;
    /// 3. under the issuer's writer lock, one transaction: the status entries, the leaves in
    ///    request order, the records;
    /// 4. one flush.
    ///
    /// Batches from several threads overlap: one signs while another commits or flushes. A
    /// register event waits for the batches that have read the register to commit (and the
    /// batches after it read the changed register), so no credential escapes its revocation.
    pub fn issue_batch(
        &self,
        requests: &[IssueRequest],
        now: i64,
    ) -> Result<Vec<Result<IssuedCredential, IssuerError>>, IssuerError> {
        let outcome = self.commit_batch(requests, now)?;
        self.flush()?;
        Ok(outcome)
    }

    /// [`Issuer::issue_batch`] without the flush: steps 1–3, committed but not yet durable. The
    /// caller flushes before reporting any of it (the group committer adds a checkpoint first).
    pub(crate) fn commit_batch(
        &self,
        requests: &[IssueRequest],
        now: i64,
    ) -> Result<Vec<Result<IssuedCredential, IssuerError>>, IssuerError> {
        let today = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(|_| IssuerError::InvalidTime { at: now })?
            .date();
        let exp = self
            .policy
            .valid_days
            .checked_mul(86_400)
            .and_then(|validity| now.checked_add(validity))
            .ok_or(IssuerError::InvalidTime { at: now })?;
        // Held from reading the register to the commit (see `apply_event`).
        let _register = self.register_gate.read().unwrap_or_else(|e| e.into_inner());
        // 1. Numbers and status entries, each unique, held until the batch has committed.
        let picked = self.pick(requests.len(), today)?;
        let (numbers, statuses) = (&picked.numbers, &picked.statuses);
        // 2. Claims and signatures on every core.
        let mut prepared = self.on_every_core(requests.len(), |i| {
            let number = numbers[i].clone()?;
            self.sign(&requests[i], number, &statuses[i], today, now, exp)
        });
        // 3. One transaction for everything signed.
        let signed: Vec<&Signed> = prepared.iter().filter_map(|p| p.as_ref().ok()).collect();
        if !signed.is_empty() {
            let _one_writer = self.writer.lock().map_err(|_| IssuerError::Corrupt {
                what: "issuer",
                reason: "a previous issuance panicked".into(),
            })?;
            let (lists, entries) = self.status.trees();
            let (leaves, meta) = self.log.trees();
            let trees = [lists, entries, leaves, meta, self.records.tree()];
            let log_indexes = trees[..]
                .transaction(|views| {
                    StatusLists::claim_tx(
                        &views[0],
                        &views[1],
                        &self.status_base,
                        signed.iter().map(|s| &s.status),
                    )?;
                    let mut indexes = Vec::with_capacity(signed.len());
                    for s in &signed {
                        let index = TransparencyLog::append_tx(&views[2], &views[3], &s.leaf)?;
                        let mut record = s.record.clone();
                        record.log_index = Some(index);
                        Records::insert_tx(&views[4], &record)?;
                        indexes.push(index);
                    }
                    Ok(indexes)
                })
                .map_err(|e| match e {
                    TransactionError::Abort(e) => e,
                    TransactionError::Storage(source) => IssuerError::Storage { source },
                })?;
            let mut log_indexes = log_indexes.into_iter();
            for s in prepared.iter_mut().filter_map(|p| p.as_mut().ok()) {
                s.record.log_index = log_indexes.next();
            }
        }
        Ok(prepared
            .into_iter()
            .map(|p| {
                p.map(|s| IssuedCredential {
                    sd_jwt: s.sd_jwt,
                    record: s.record,
                })
            })
            .collect())
    }

    /// Step 1: `n` credential numbers and status entries, marked in flight until the returned
    /// picks are dropped (after the batch's transaction, or its failure).
    fn pick(&self, n: usize, today: time::Date) -> Result<Picked<'_, S>, IssuerError> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let numbers = self.fresh_numbers(n, today, &in_flight.numbers)?;
        let statuses = self.status.reserve(n, &in_flight.entries)?;
        for number in numbers.iter().flatten() {
            in_flight.numbers.insert(number.clone());
        }
        for status in &statuses {
            in_flight.entries.insert((status.list, status.idx));
        }
        Ok(Picked {
            issuer: self,
            numbers,
            statuses,
        })
    }

    /// `n` credential numbers for `today`, none recorded yet, none in flight and none twice. A
    /// number that cannot be found (the day's numbers nearly exhausted) is that request's error.
    fn fresh_numbers(
        &self,
        n: usize,
        today: time::Date,
        in_flight: &HashSet<String>,
    ) -> Result<Vec<Result<String, IssuerError>>, IssuerError> {
        let mut taken = HashSet::with_capacity(n);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut found = None;
            let mut last = String::new();
            for _ in 0..MAX_NUMBER_DRAWS {
                let number = document_number(today);
                if !taken.contains(&number)
                    && !in_flight.contains(&number)
                    && !self.records.contains(&number)?
                {
                    found = Some(number);
                    break;
                }
                last = number;
            }
            out.push(match found {
                Some(number) => {
                    taken.insert(number.clone());
                    Ok(number)
                }
                None => Err(IssuerError::DuplicateDocumentNumber { number: last }),
            });
        }
        Ok(out)
    }

    /// Step 2 for one request: its claims, covered persons, signed credential and leaf.
    fn sign(
        &self,
        request: &IssueRequest,
        number: String,
        status: &StatusRef,
        today: time::Date,
        now: i64,
        exp: i64,
    ) -> Result<Signed, IssuerError> {
        let vct = request.certificate.vct();
        let (claims, covers) =
            self.claims(&request.person_id, request.certificate, today, &number)?;
        let status_claim = serde_json::json!({
            "status_list": { "idx": status.idx, "uri": status.uri }
        });
        let issued = issue_vc(
            &VcIssuance {
                issuer: &self.identity.did,
                kid: &self.identity.kid,
                vct,
                holder: Some(&request.holder),
                iat: now,
                exp: Some(exp),
                status: Some(&status_claim),
                claims: &claims,
                always_visible: ALWAYS_VISIBLE,
                options: IssueOptions {
                    decoys: self.policy.decoys,
                },
            },
            &self.signer,
        )?;
        let jwt_sha256 = base64_sha256(issued.jwt.as_bytes());
        let leaf = LogLeaf {
            jwt_sha256: jwt_sha256.clone(),
            vct: vct.to_owned(),
            iat: now,
            status_uri: Some(status.uri.clone()),
            status_idx: Some(u64::from(status.idx)),
        };
        let record = IssuanceRecord {
            document_number: number,
            vct: vct.to_owned(),
            subject: request.person_id.clone(),
            issued_at: now,
            expires_at: exp,
            jwt_sha256,
            holder_thumbprint: request.holder.thumbprint(),
            log_index: None,
            status_uri: Some(status.uri.clone()),
            status_idx: Some(u64::from(status.idx)),
            covers,
        };
        Ok(Signed {
            sd_jwt: issued.to_compact(),
            leaf,
            record,
            status: status.clone(),
        })
    }

    /// Runs `job(0..n)` on up to [`Issuer::workers`] threads (this one included) and returns the
    /// outcomes in index order. A thread that cannot be started leaves its share to the others;
    /// an item whose thread panicked gets an error instead of an outcome.
    fn on_every_core<T: Send>(
        &self,
        n: usize,
        job: impl Fn(usize) -> Result<T, IssuerError> + Sync,
    ) -> Vec<Result<T, IssuerError>> {
        let workers = self.workers.min(n);
        if workers <= 1 {
            return (0..n).map(job).collect();
        }
        let next = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return done;
                }
                done.push((i, job(i)));
            }
        };
        let mut slots: Vec<Option<Result<T, IssuerError>>> = (0..n).map(|_| None).collect();
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..workers)
                .filter_map(|_| {
                    std::thread::Builder::new()
                        .name("dojang-sign".into())
                        .spawn_scoped(scope, work)
                        .ok()
                })
                .collect();
            let mut parts = vec![work()];
            parts.extend(helpers.into_iter().filter_map(|h| h.join().ok()));
            for (i, outcome) in parts.into_iter().flatten() {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(outcome);
                }
            }
        });
        slots
            .into_iter()
            .map(|slot| {
                slot.unwrap_or(Err(IssuerError::Corrupt {
                    what: "issuer",
                    reason: "a signing thread panicked".into(),
                }))
            })
            .collect()
    }

    /// The claims of `certificate` for `person_id`, and the register ids of every person it
    /// shows (the record's `covers`, what register events are matched against). The builders
    /// validate what they build.
    fn claims(
        &self,
        person_id: &str,
        certificate: Certificate,
        today: time::Date,
        number: &str,
    ) -> Result<(Map<String, Value>, Vec<String>), IssuerError> {
        let office = &self.office;
        let register = &self.register;
        let shown = |vct| -> Result<Vec<String>, IssuerError> {
            Ok(register
                .persons_shown(person_id, vct)?
                .into_iter()
                .collect())
        };
        Ok(match certificate {
            Certificate::ResidentCopy => {
                // The household is read once for the claims and the persons shown.
                let (c, covers) =
                    register.resident_copy_showing(person_id, today, number, office)?;
                (c.to_claims(), covers)
            }
            Certificate::ResidentAbstract => {
                let c = register.resident_abstract(person_id, today, number, office)?;
                (c.to_claims(), shown(certificate.vct())?)
            }
            Certificate::FamilyGeneral | Certificate::FamilyDetailed => {
                let kind = if certificate == Certificate::FamilyDetailed {
                    CertificateKind::Detailed
                } else {
                    CertificateKind::General
                };
                let c = register.family_relation(person_id, today, number, office, kind)?;
                (c.to_claims(), shown(certificate.vct())?)
            }
        })
    }
}

/// A 발급번호 `YYYY-MMDD-NNNN-NNNN`: the date, then eight random digits. Records refuse a
/// number already used.
fn document_number(today: time::Date) -> String {
    let mut b = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    let n = u64::from_le_bytes(b) % 100_000_000;
    format!(
        "{:04}-{:02}{:02}-{:04}-{:04}",
        today.year(),
        u8::from(today.month()),
        today.day(),
        n / 10_000,
        n % 10_000
    )
}

fn base64_sha256(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}
