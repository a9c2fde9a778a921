//! A typical verification, for measuring: a 주민등록표 등본 of a household of four, presented with
//! ten Disclosures and a KB-JWT, with a signed trust list accrediting its issuer, the issuer's
//! status list, a policy requiring holder binding, and the challenge. `cargo bench` and
//! `dojang bench` measure the same workload. Keys are fresh; nothing here is a test vector.

use dojang_did::{did_for_key, DidMethod, PrivateJwk, PublicJwk};
use dojang_vc::present::present;
use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
use dojang_vc::status_list::{sign_token, StatusList, StatusReference};
use dojang_vc::trust_list::{
    sign_trust_list, verify_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey, TrustList,
};
use dojang_vc::{Algorithm, Budget, IssueOptions, VcError, VerificationKey};
use serde_json::{json, Map, Value};

use crate::{Challenge, Inputs, Policy, StatusListCache, TrustListTrust};

/// The verifier's clock for the workload.
pub const NOW: i64 = 1_780_000_000;
/// The credential type: 주민등록표 등본.
pub const VCT: &str = "urn:dojang:kr:resident-registration-copy:1";
/// The verifier's identifier.
pub const AUD: &str = "https://bank.example";
/// The verifier's nonce.
pub const NONCE: &str = "bench-nonce-0123456789";
/// The issuer's status list.
pub const STATUS_URI: &str = "https://jongno.example/status/0";
/// The credential's entry in it.
pub const STATUS_IDX: u64 = 4242;
/// The root authority.
pub const ROOT_DID: &str = "did:web:mois.example";
/// Ten Disclosures: `name`; `address` and its `road_address`; `members`, two of its elements,
/// and the name and relation of each.
pub const DISCLOSE: &[&str] = &[
    "name",
    "address.road_address",
    "members.0.name",
    "members.0.relation",
    "members.1.name",
    "members.1.relation",
];

fn member(name: &str, rrn: &str, birth: &str, relation: &str) -> Value {
    json!({"name": name, "rrn": rrn, "birth_date": birth, "relation": relation,
           "moved_in": "2015-03-02"})
}

/// The claims of a 등본 for the head of a household of four; `n` varies the document.
pub fn household_claims(n: usize) -> Map<String, Value> {
    let v = json!({
        "name": "김민준",
        "rrn": format!("{:06}-1234567", 800_101 + n % 1000),
        "birth_date": "1980-01-01",
        "age_over_19": true,
        "address": {
            "road_address": "서울특별시 종로구 세종대로 209",
            "postal_code": "03154",
            "detail": "101동 1001호"
        },
        "members": [
            member("김민준", "800101-1234567", "1980-01-01", "본인"),
            member("이서연", "820505-2345678", "1982-05-05", "배우자"),
            member("김하준", "100707-3456789", "2010-07-07", "자녀"),
            member("김서윤", "130909-4567890", "2013-09-09", "자녀"),
        ]
    });
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Issues the `n`th household 등본 (two decoys per object, a status reference) to `holder`.
pub fn issue_household(
    issuer: &PrivateJwk,
    did: &str,
    kid: &str,
    holder: &PublicJwk,
    n: usize,
) -> Result<String, VcError> {
    let claims = household_claims(n);
    let status = StatusReference {
        idx: STATUS_IDX,
        uri: STATUS_URI.into(),
    }
    .to_claim();
    Ok(issue_vc(
        &VcIssuance {
            issuer: did,
            kid,
            vct: VCT,
            holder: Some(holder),
            iat: NOW - 86_400,
            exp: Some(NOW + 365 * 86_400),
            status: Some(&status),
            claims: &claims,
            always_visible: &[],
            options: IssueOptions { decoys: 2 },
        },
        issuer.signing_key(),
    )?
    .to_compact())
}

/// The workload's trust list, signed by the root of [`ROOT_DID`]: the issuer `did` accredited
/// for [`VCT`] with its one key `kid`, no relying parties.
pub fn trust_list(did: &str, kid: &str, issuer: &PublicJwk) -> TrustList {
    TrustList {
        iss: ROOT_DID.into(),
        seq: 1,
        iat: NOW - 3600,
        exp: NOW + 30 * 86_400,
        issuers: vec![AccreditedIssuer {
            did: did.to_owned(),
            name_ko: "서울특별시 종로구청".into(),
            name_en: "Jongno-gu Office, Seoul".into(),
            status: AccreditationStatus::Active,
            vcts: vec![VCT.into()],
            keys: vec![IssuerKey {
                kid: kid.to_owned(),
                jwk: issuer.to_json(),
                not_before: NOW - 365 * 86_400,
                not_after: None,
            }],
            status_list_base: None,
        }],
        relying_parties: Vec::new(),
    }
}

/// Everything one verification of the workload needs, made once.
pub struct Workload {
    /// The presentation: ten Disclosures and a KB-JWT.
    pub presentation: String,
    /// The issuer's key.
    pub issuer: PrivateJwk,
    /// The holder's key.
    pub holder: PrivateJwk,
    /// The issuer's DID.
    pub did: String,
    /// The issuer's key id.
    pub kid: String,
    /// The verified trust list accrediting the issuer.
    pub trust: TrustListTrust,
    /// The issuer's status list, verified.
    pub status: StatusListCache,
    /// Holder binding required.
    pub policy: Policy,
    /// The audience and nonce of the KB-JWT.
    pub challenge: Challenge,
}

impl Workload {
    /// Builds the workload with fresh keys.
    pub fn new() -> Result<Self, VcError> {
        let root = PrivateJwk::generate();
        let issuer = PrivateJwk::generate();
        let holder = PrivateJwk::generate();
        let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
        let issued = issue_household(&issuer, &did, &kid, &holder.public(), 0)?;
        let paths: Vec<String> = DISCLOSE.iter().map(|s| (*s).to_owned()).collect();
        let presentation = present(&issued, &paths, AUD, NONCE, NOW, holder.signing_key())?.text;
        let list = trust_list(&did, &kid, &issuer.public());
        Self::assemble(&root, issuer, holder, &list, presentation)
    }

    /// The verifier's side around `presentation`, made with the given keys: `list` signed by
    /// `root` and verified, the issuer's (all-valid) status list, holder binding required, and
    /// the challenge. The issuer's did:key identifies it.
    pub fn assemble(
        root: &PrivateJwk,
        issuer: PrivateJwk,
        holder: PrivateJwk,
        list: &TrustList,
        presentation: String,
    ) -> Result<Self, VcError> {
        let (did, kid) = did_for_key(&issuer.public(), DidMethod::Key);
        let budget = Budget::default();
        let token = sign_trust_list(list, &format!("{ROOT_DID}#root"), root.signing_key())?;
        let trust = TrustListTrust::new(verify_trust_list(
            &token,
            &root.public(),
            NOW,
            None,
            &budget,
        )?);
        let status_token = sign_token(
            &did,
            &kid,
            STATUS_URI,
            NOW - 600,
            NOW + 86_400,
            3600,
            &StatusList::new(2, 1 << 17)?,
            issuer.signing_key(),
        )?;
        let mut status = StatusListCache::new();
        status.insert_token(
            &status_token,
            &VerificationKey::Ed25519(issuer.public()),
            &[Algorithm::EdDSA],
            NOW,
            &budget,
        )?;
        Ok(Self {
            presentation,
            issuer,
            holder,
            did,
            kid,
            trust,
            status,
            policy: Policy {
                require_key_binding: true,
                ..Policy::default()
            },
            challenge: Challenge {
                aud: AUD.into(),
                nonce: NONCE.into(),
            },
        })
    }

    /// The pipeline's inputs for one verification at [`NOW`].
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            trust: &self.trust,
            policy: &self.policy,
            challenge: Some(&self.challenge),
            nonces: None,
            status: Some(&self.status),
            log: None,
            now: NOW,
        }
    }
}
