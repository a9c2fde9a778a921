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

use std::sync::Mutex;

use dojang_vc::log::LogLeaf;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional as _;

use crate::log::TransparencyLog;
use crate::records::{IssuanceRecord, Records};
use crate::register::Register;
use crate::signer::IssuerSigner;
use crate::status::StatusLists;

/// The tree of status changes, keyed by credential number.
const STATUS_HISTORY_TREE: &str = "status.history";
use crate::IssuerError;

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
    /// One issuance at a time: the durable step is one transaction, and the log is a sequence.
    writer: Mutex<()>,
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
    pub fn issue(
        &self,
        person_id: &str,
        certificate: Certificate,
        holder: &PublicJwk,
        now: i64,
    ) -> Result<IssuedCredential, IssuerError> {
        let today = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(|_| IssuerError::InvalidTime { at: now })?
            .date();
        let number = document_number(today);
        let claims = self.claims(person_id, certificate, today, &number)?;
        let covers: Vec<String> = self
            .register
            .persons_shown(person_id, certificate.vct())?
            .into_iter()
            .collect();
        let exp = now + self.policy.valid_days * 86_400;
        let vct = certificate.vct();
        let _one_writer = self.writer.lock().map_err(|_| IssuerError::Corrupt {
            what: "issuer",
            reason: "a previous issuance panicked".into(),
        })?;
        let (lists, entries) = self.status.trees();
        let (leaves, meta) = self.log.trees();
        let trees = [lists, entries, leaves, meta, self.records.tree()];
        let outcome = trees[..]
            .transaction(|views| {
                let status = StatusLists::allocate_tx(&views[0], &views[1], &self.status_base)?;
                let status_claim = serde_json::json!({
                    "status_list": { "idx": status.idx, "uri": status.uri }
                });
                let issued = issue_vc(
                    &VcIssuance {
                        issuer: &self.identity.did,
                        kid: &self.identity.kid,
                        vct,
                        holder: Some(holder),
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
                )
                .map_err(|e| ConflictableTransactionError::Abort(IssuerError::from(e)))?;
                let jwt_sha256 = base64_sha256(issued.jwt.as_bytes());
                let leaf = LogLeaf {
                    jwt_sha256: jwt_sha256.clone(),
                    vct: vct.to_owned(),
                    iat: now,
                    status_uri: Some(status.uri.clone()),
                    status_idx: Some(u64::from(status.idx)),
                };
                let log_index = TransparencyLog::append_tx(&views[2], &views[3], &leaf)?;
                let record = IssuanceRecord {
                    document_number: number.clone(),
                    vct: vct.to_owned(),
                    subject: person_id.to_owned(),
                    issued_at: now,
                    expires_at: exp,
                    jwt_sha256,
                    holder_thumbprint: holder.thumbprint(),
                    log_index: Some(log_index),
                    status_uri: Some(status.uri.clone()),
                    status_idx: Some(u64::from(status.idx)),
                    covers: covers.clone(),
                };
                Records::insert_tx(&views[4], &record)?;
                Ok((issued, record))
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(source) => IssuerError::Storage { source },
            })?;
        self.db.flush()?;
        let (issued, record) = outcome;
        Ok(IssuedCredential {
            sd_jwt: issued.to_compact(),
            record,
        })
    }

    fn claims(
        &self,
        person_id: &str,
        certificate: Certificate,
        today: time::Date,
        number: &str,
    ) -> Result<Map<String, Value>, IssuerError> {
        let office = &self.office;
        let claims = match certificate {
            Certificate::ResidentCopy => {
                let c = self
                    .register
                    .resident_copy(person_id, today, number, office)?;
                c.validate()?;
                c.to_claims()
            }
            Certificate::ResidentAbstract => {
                let c = self
                    .register
                    .resident_abstract(person_id, today, number, office)?;
                c.validate()?;
                c.to_claims()
            }
            Certificate::FamilyGeneral | Certificate::FamilyDetailed => {
                let kind = if certificate == Certificate::FamilyDetailed {
                    CertificateKind::Detailed
                } else {
                    CertificateKind::General
                };
                let c = self
                    .register
                    .family_relation(person_id, today, number, office, kind)?;
                c.validate()?;
                c.to_claims()
            }
        };
        Ok(claims)
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
