//! `dojang demo`: the whole story in one process, on sled in a temporary directory, step by step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use dojang_did::PrivateJwk;
use dojang_issuer::{
    generate, Certificate, FileSigner, IssuancePolicy, Issuer, RegisterEvent, RegisterFile,
};
use dojang_vc::credentials::{
    Address, FamilyRelationCertificate, ResidentRegistrationAbstract, ResidentRegistrationCopy,
};
use dojang_vc::trust_list::{
    sign_trust_list, verify_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey,
    RelyingParty, TrustList, VerifiedTrustList,
};
use dojang_vc::{Algorithm, Budget, Disclosure};
use dojang_verifier::{
    check_consistency, fresh_nonce, reconcile, verify, Challenge, Inputs, MemoryNonceStore,
    NonceStore, Outcome, Policy, RecordView, StatusListCache, TrustListTrust,
};
use dojang_wallet::{claims_of, log_inclusion_of, masked, CredentialId, Wallet};
use serde_json::Value;

use super::key::Method;
use crate::error::CliError;
use crate::time::{format, now};

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Keep everything in this directory (created) instead of a temporary one.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Households in the synthetic register.
    #[arg(long, default_value_t = 20)]
    households: usize,
    /// Seed of the synthetic register.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

const MINISTRY: &str = "did:web:mois.example";
const GU_DID: &str = "did:web:jongno.example";
const GU_OFFICE: &str = "서울특별시 종로구청";
const COURT_DID: &str = "did:web:family-registry.example";
const COURT_OFFICE: &str = "서울가정법원 가족관계등록관";
const BANK: &str = "https://bank.example";
const OTHER: &str = "https://shop.example";
const DEMO_PASSPHRASE: &str = "demo passphrase: choose your own";

pub(crate) fn run(args: DemoArgs) -> Result<(), CliError> {
    let temp;
    let root: &Path = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|source| CliError::Io {
                path: d.clone(),
                source,
            })?;
            d
        }
        None => {
            temp = tempfile::tempdir().map_err(|source| CliError::Io {
                path: std::env::temp_dir(),
                source,
            })?;
            temp.path()
        }
    };
    story(root, &args)
}

fn heading(n: usize, text: &str) {
    println!("\n[{n}] {text}");
}

fn agency(dir: &Path, office: &str, did: &str) -> Result<Issuer<FileSigner>, CliError> {
    if !dir.join("issuer.json").exists() {
        super::issuer::init(dir, office, Some(did), Method::Key, None)?;
    }
    super::issuer::open(dir, IssuancePolicy::default())
}

fn accredit(
    issuer: &Issuer<FileSigner>,
    name_ko: &str,
    name_en: &str,
    vcts: &[&str],
    from: i64,
) -> AccreditedIssuer {
    AccreditedIssuer {
        did: issuer.did().to_owned(),
        name_ko: name_ko.to_owned(),
        name_en: name_en.to_owned(),
        status: AccreditationStatus::Active,
        vcts: vcts.iter().map(|v| (*v).to_owned()).collect(),
        keys: vec![IssuerKey {
            kid: issuer.kid().to_owned(),
            jwk: issuer.public_key().to_json(),
            not_before: from,
            not_after: None,
        }],
        status_list_base: None,
    }
}

/// The citizen of the story: the head of the first household with a family registration and at
/// least one other member.
fn pick_citizen(register: &RegisterFile) -> Option<String> {
    register
        .households
        .iter()
        .filter(|h| h.members.len() >= 2)
        .map(|h| &h.head)
        .find(|head| {
            register
                .persons
                .iter()
                .any(|p| &p.id == *head && p.registration_base.is_some() && p.died_on.is_none())
        })
        .cloned()
}

/// What a bank has: the pinned root, the trust list, the agencies' published status lists, its
/// single-use nonces and its policy.
struct Bank {
    trust: TrustListTrust,
    status: StatusListCache,
    nonces: MemoryNonceStore,
    policy: Policy,
}

impl Bank {
    fn challenge(&self) -> Challenge {
        let c = Challenge {
            aud: BANK.into(),
            nonce: fresh_nonce(),
        };
        self.nonces.issue(&c.nonce);
        c
    }

    fn load_status(&mut self, agencies: &[&Issuer<FileSigner>], at: i64) -> Result<(), CliError> {
        for a in agencies {
            for meta in a.status_lists().lists()? {
                let token = a.status_list_token(meta.id, at, 3600, 86_400)?;
                self.status.insert_trusted(
                    &token,
                    &self.trust,
                    &[Algorithm::EdDSA],
                    at,
                    &Budget::default(),
                )?;
            }
        }
        Ok(())
    }

    fn verify(
        &self,
        input: &str,
        challenge: &Challenge,
        wallet: &Wallet,
        id: &CredentialId,
    ) -> Result<Outcome, CliError> {
        let inclusion = log_inclusion_of(&wallet.get_credential(id)?);
        Ok(verify(
            input,
            &Inputs {
                trust: &self.trust,
                policy: &self.policy,
                challenge: Some(challenge),
                nonces: Some(&self.nonces as &dyn NonceStore),
                status: Some(&self.status),
                log: inclusion.as_ref(),
                now: now(),
            },
        ))
    }
}

fn code(outcome: &Outcome) -> &'static str {
    outcome
        .result
        .as_ref()
        .err()
        .map_or("verified", |e| e.code())
}

fn story(root: &Path, args: &DemoArgs) -> Result<(), CliError> {
    println!("Dojang demo: Korean civil-registry certificates as SD-JWT VCs, verified offline.");
    println!("Working directory: {}", root.display());
    let start = now();

    heading(
        1,
        "The ministry (행정안전부) makes the root key that every verifier pins",
    );
    let ministry = PrivateJwk::generate();
    println!(
        "  root {MINISTRY}, key thumbprint {}",
        ministry.public().thumbprint()
    );

    heading(
        2,
        "Two agencies set up with did:web identities; the ministry accredits them",
    );
    let gu = agency(&root.join("gu-office"), GU_OFFICE, GU_DID)?;
    let court = agency(&root.join("court-registry"), COURT_OFFICE, COURT_DID)?;
    let mut list = TrustList {
        iss: MINISTRY.into(),
        seq: 1,
        iat: start,
        exp: start + 30 * 86_400,
        issuers: vec![
            accredit(
                &gu,
                GU_OFFICE,
                "Jongno-gu Office, Seoul",
                &[
                    ResidentRegistrationCopy::VCT,
                    ResidentRegistrationAbstract::VCT,
                ],
                start - 60,
            ),
            accredit(
                &court,
                COURT_OFFICE,
                "Seoul Family Court registry",
                &[FamilyRelationCertificate::VCT],
                start - 60,
            ),
        ],
        relying_parties: vec![RelyingParty {
            id: BANK.into(),
            name_ko: "한빛은행".into(),
            name_en: "Hanbit Bank".into(),
            keys: vec![],
            entitlements: BTreeMap::from([(
                ResidentRegistrationCopy::VCT.to_owned(),
                vec!["name".to_owned(), "address".to_owned()],
            )]),
        }],
    };
    let published = sign_trust_list(&list, &format!("{MINISTRY}#root-1"), ministry.signing_key())?;
    let verified_list: VerifiedTrustList = verify_trust_list(
        &published,
        &ministry.public(),
        start,
        None,
        &Budget::default(),
    )?;
    println!("  {GU_OFFICE:<14} {}  accredited for 등본, 초본", gu.did());
    println!(
        "  {COURT_OFFICE:<14} {}  accredited for 가족관계증명서",
        court.did()
    );
    println!("  relying party 한빛은행 {BANK}: may ask for name and address of a 등본");
    println!(
        "  trust list seq {} published, signed by the root, valid 30 days",
        list.seq
    );
    list.seq += 1; // the next publication

    let register = generate(args.households, args.seed);
    let summary = gu.register().import(&register)?;
    court.register().import(&register)?;
    println!(
        "  Both agencies load a synthetic register (seed {}): {} households, {} persons.",
        args.seed, summary.households, summary.persons
    );
    let citizen = pick_citizen(&register)
        .ok_or_else(|| CliError::Usage("the synthetic register has no suitable citizen".into()))?;
    println!("  Our citizen is register person {citizen} (the register id, never the RRN).");

    heading(
        3,
        "The citizen creates a wallet: encrypted at rest, with a fresh holder key",
    );
    let wallet = Wallet::init(&root.join("wallet"), DEMO_PASSPHRASE)?;
    let holder = wallet.holder_public_key();
    println!("  holder key thumbprint {}", holder.thumbprint());

    heading(
        4,
        "Issuance: status entry, log leaf and record in one durable step per credential",
    );
    let mut ids = Vec::new();
    for (agency, cert) in [
        (&gu, Certificate::ResidentCopy),
        (&gu, Certificate::ResidentAbstract),
        (&court, Certificate::FamilyGeneral),
    ] {
        let c = agency.issue(&citizen, cert, &holder, now())?;
        let inclusion = agency.log_inclusion(&c.record.document_number, now())?;
        let (id, _) =
            wallet.import_with(&c.sd_jwt, "", Some(&verified_list), Some(&inclusion), now())?;
        println!(
            "  {:<16} no. {}  status {} #{}, log leaf {}; checked and stored by the wallet",
            cert.name_ko(),
            c.record.document_number,
            c.record.status_uri.as_deref().unwrap_or("-"),
            c.record.status_idx.unwrap_or(0),
            c.record.log_index.unwrap_or(0),
        );
        ids.push((cert, id, c.record.document_number));
    }
    let (_, copy_id, copy_number) = ids[0].clone();
    let shown = masked(&claims_of(&wallet.get_credential(&copy_id)?)?);
    println!(
        "  The holder sees their 등본: name {}, RRN {} (masked on screen), {} household member(s).",
        shown.get("name").and_then(Value::as_str).unwrap_or("?"),
        shown.get("rrn").and_then(Value::as_str).unwrap_or("?"),
        shown
            .get("members")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    );

    heading(
        5,
        "한빛은행 asks for a 등본: name and address only, issued within 90 days",
    );
    let mut bank = Bank {
        trust: TrustListTrust::new(verified_list.clone()),
        status: StatusListCache::new(),
        nonces: MemoryNonceStore::default(),
        policy: Policy {
            accepted_vcts: vec![ResidentRegistrationCopy::VCT.into()],
            max_credential_age_days: Some(90),
            require_status: true,
            require_log_inclusion: true,
            ..Policy::default()
        },
    };
    bank.load_status(&[&gu, &court], now())?;
    let challenge = bank.challenge();
    let ask = vec!["name".to_string(), "address".to_string()];
    let entitled = ask
        .iter()
        .all(|p| verified_list.entitled(BANK, ResidentRegistrationCopy::VCT, p));
    println!(
        "  fresh single-use nonce {}; the trust list entitles the bank to ask: {entitled}",
        challenge.nonce
    );
    println!(
        "  the bank holds the agencies' signed status lists (fetched periodically, not per check)"
    );

    heading(
        6,
        "The wallet discloses only those two claims, bound to the bank's nonce",
    );
    let presentation = wallet.present(&copy_id, &ask, &challenge.aud, &challenge.nonce, now())?;
    println!(
        "  disclosed: {}; withheld: {} other disclosure(s)",
        presentation.disclosed.join(", "),
        presentation.withheld.len()
    );

    heading(7, "The bank verifies offline: no call to the agency");
    let outcome = bank.verify(&presentation.text, &challenge, &wallet, &copy_id)?;
    for c in outcome.report.checks() {
        println!(
            "  {} {:<12} {}",
            if c.ok { "ok " } else { "NO " },
            c.step,
            c.detail
        );
    }
    let provenance = outcome.provenance.clone();
    let verified = outcome.result.map_err(CliError::from)?;
    println!("  The bank learned:");
    for (k, v) in &verified.claims {
        println!("    {k}: {v}");
    }
    let learned: Vec<&str> = verified.claims.keys().map(String::as_str).collect();
    let mut not_learned: Vec<String> = Vec::new();
    for p in &presentation.withheld {
        let top = p.split('.').next().unwrap_or("").to_owned();
        if !learned.contains(&top.as_str()) && !not_learned.contains(&top) {
            not_learned.push(top);
        }
    }
    println!("  It did not learn: {}", not_learned.join(", "));
    println!("  Provenance:");
    for (i, e) in provenance.iter().enumerate() {
        println!(
            "    {}{:<10} {}",
            if i == 0 { "  " } else { "→ " },
            e.step,
            e.detail
        );
    }

    heading(8, "What the verifier refuses");
    let mut all_as_expected = true;
    let mut expect = |label: &str, got: &str, want: &str| {
        let ok = got == want;
        all_as_expected &= ok;
        println!(
            "  {label:<50} -> {} ({got})",
            if ok { "rejected" } else { "UNEXPECTED" }
        );
    };
    let forged = Disclosure::new(
        Some("address"),
        serde_json::json!({"road_address": "부산광역시 해운대구 해운대해변로 264"}),
    );
    let mut parts: Vec<String> = presentation.text.split('~').map(str::to_owned).collect();
    if parts.len() > 2 {
        parts[2] = forged.as_str().to_owned();
    }
    let tampered = bank.verify(&parts.join("~"), &challenge, &wallet, &copy_id)?;
    expect(
        "a tampered presentation (address swapped)",
        code(&tampered),
        "disclosure_unreferenced",
    );
    let replay = bank.verify(&presentation.text, &challenge, &wallet, &copy_id)?;
    expect(
        "the same presentation sent again (replay)",
        code(&replay),
        "nonce_replayed",
    );
    let fresh = bank.challenge();
    let elsewhere = wallet.present(&copy_id, &ask, OTHER, &fresh.nonce, now())?;
    let other = bank.verify(&elsewhere.text, &fresh, &wallet, &copy_id)?;
    expect(
        "a presentation made for another audience",
        code(&other),
        "kb_aud_mismatch",
    );

    heading(
        9,
        "The citizen moves: the register changes and the stale certificates are revoked",
    );
    let new_address = Address {
        road_address: "서울특별시 종로구 율곡로 283".into(),
        detail: Some("3층".into()),
        postal_code: "03080".into(),
    };
    let event = RegisterEvent::MoveIn {
        person: citizen.clone(),
        address: new_address,
        date: time::OffsetDateTime::from_unix_timestamp(now())
            .map_err(|_| CliError::Usage("clock out of range".into()))?
            .date(),
        household: None,
        reason: "전입".into(),
    };
    let moved = gu.apply_event(&event, now())?;
    println!("  {}", moved.summary);
    println!(
        "  in the same durable step {} credential(s) revoked, among them our 등본 no. {copy_number}: {}",
        moved.revoked.len(),
        moved.revoked.contains(&copy_number)
    );
    bank.load_status(&[&gu], now())?;
    let again = bank.challenge();
    let stale = wallet.present(&copy_id, &ask, &again.aud, &again.nonce, now())?;
    let refused = bank.verify(&stale.text, &again, &wallet, &copy_id)?;
    expect(
        "the old 등본, after the agency's new status list",
        code(&refused),
        "revoked",
    );
    let renewed = gu.issue(&citizen, Certificate::ResidentCopy, &holder, now())?;
    let inclusion = gu.log_inclusion(&renewed.record.document_number, now())?;
    let (new_id, _) = wallet.import_with(
        &renewed.sd_jwt,
        "",
        Some(&verified_list),
        Some(&inclusion),
        now(),
    )?;
    bank.load_status(&[&gu], now())?;
    let third = bank.challenge();
    let current = wallet.present(&new_id, &ask, &third.aud, &third.nonce, now())?;
    let accepted = bank.verify(&current.text, &third, &wallet, &new_id)?;
    let address = accepted
        .result
        .as_ref()
        .ok()
        .and_then(|p| p.claims.get("address"))
        .map(Value::to_string)
        .unwrap_or_default();
    println!(
        "  a fresh 등본 no. {} verifies: {} (address now {address})",
        renewed.record.document_number,
        code(&accepted)
    );
    all_as_expected &= code(&accepted) == "verified";

    heading(
        10,
        "An auditor checks the agency's log and reconciles it with its records",
    );
    let checkpoints = gu.log().checkpoints()?;
    let first = checkpoints.first().cloned().unwrap_or_default();
    let latest = gu.checkpoint(now())?;
    let key = dojang_vc::VerificationKey::Ed25519(gu.public_key());
    let old_size = dojang_vc::log::verify_checkpoint(&first, &key, &Budget::default())?.tree_size;
    let new_size = gu.log().size()?;
    let proof = gu.log().consistency_proof(old_size, new_size)?;
    let consistent = check_consistency(&first, &latest, &proof, &key)?;
    println!("  {consistent}");
    let records: Vec<RecordView> = gu
        .records()
        .list()?
        .into_iter()
        .filter_map(|r| serde_json::from_value(serde_json::to_value(r).ok()?).ok())
        .collect();
    let report = reconcile(&records, &gu.log().leaves()?);
    println!(
        "  reconciliation of {} records against {} leaves: {}",
        report.records,
        report.leaves,
        if report.is_clean() {
            "clean"
        } else {
            "DISCREPANCIES"
        }
    );
    all_as_expected &= report.is_clean();

    heading(11, "The wallet's history: what was shown, to whom, when");
    for r in wallet.history()? {
        println!(
            "  {}  to {:<22} disclosed {}  withheld {}",
            format(r.at),
            r.audience,
            r.disclosed.join(","),
            r.withheld.len()
        );
    }
    println!(
        "\nDone. {} credential record(s) at {GU_OFFICE}, {} at {COURT_OFFICE}.",
        gu.records().list()?.len(),
        court.records().list()?.len()
    );
    if all_as_expected {
        Ok(())
    } else {
        Err(CliError::Usage(
            "the demo saw an unexpected outcome (see above)".into(),
        ))
    }
}
