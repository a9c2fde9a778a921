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

use crate::records::{IssuanceRecord, Records};
use crate::register::Register;
use crate::signer::IssuerSigner;
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
    /// What the agency keeps (no personal data beyond the register's person id).
    pub record: IssuanceRecord,
}

/// An issuing agency: its register, its key, its records.
pub struct Issuer<S: IssuerSigner> {
    register: Register,
    records: Records,
    signer: S,
    did: String,
    kid: String,
    office: String,
    policy: IssuancePolicy,
}

impl<S: IssuerSigner> Issuer<S> {
    /// An issuer over the sled database `db`, signing with `signer` under a DID of `method`.
    pub fn open(
        db: &sled::Db,
        signer: S,
        method: DidMethod,
        office: &str,
        policy: IssuancePolicy,
    ) -> Result<Self, IssuerError> {
        let (did, kid) = did_for_key(&signer.public_key(), method);
        Ok(Self {
            register: Register::open(db)?,
            records: Records::open(db)?,
            signer,
            did,
            kid,
            office: office.to_owned(),
            policy,
        })
    }

    /// The issuer's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The register.
    pub fn register(&self) -> &Register {
        &self.register
    }

    /// The issuance records.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// Issues `certificate` for the register's person `person_id`, bound to `holder`, at `now`.
    /// The record is on disk before this returns.
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
        let exp = now + self.policy.valid_days * 86_400;
        let issued = issue_vc(
            &VcIssuance {
                issuer: &self.did,
                kid: &self.kid,
                vct: certificate.vct(),
                holder: Some(holder),
                iat: now,
                exp: Some(exp),
                status: None,
                claims: &claims,
                always_visible: ALWAYS_VISIBLE,
                options: IssueOptions {
                    decoys: self.policy.decoys,
                },
            },
            &self.signer,
        )?;
        let record = IssuanceRecord {
            document_number: number,
            vct: certificate.vct().to_owned(),
            subject: person_id.to_owned(),
            issued_at: now,
            expires_at: exp,
            jwt_sha256: base64_sha256(issued.jwt.as_bytes()),
            holder_thumbprint: holder.thumbprint(),
            log_index: None,
            status_uri: None,
            status_idx: None,
            covers: Vec::new(),
        };
        self.records.insert(&record)?;
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
