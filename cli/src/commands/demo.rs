//! `dojang demo`: the whole story in one process, on sled in a temporary directory, step by step.

use std::path::{Path, PathBuf};

use clap::Args;
use dojang_did::DidMethod;
use dojang_issuer::{generate, Certificate, FileSigner, IssuancePolicy, Issuer, RegisterFile};
use dojang_vc::credentials::ResidentRegistrationCopy;
use dojang_vc::Disclosure;
use dojang_verifier::{
    fresh_nonce, verify, Challenge, Inputs, MemoryNonceStore, NonceStore, Outcome, Policy,
    TrustedIssuers,
};
use dojang_wallet::{claims_of, masked, Wallet};
use serde_json::Value;

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

const GU_OFFICE: &str = "서울특별시 종로구청";
const COURT_OFFICE: &str = "서울가정법원 가족관계등록관";
const BANK: &str = "https://bank.example/onboarding";
const OTHER: &str = "https://shop.example/checkout";
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

fn open_agency(dir: &Path, office: &str) -> Result<Issuer<FileSigner>, CliError> {
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let key = dir.join("issuer-key.jwk");
    let signer = if key.exists() {
        FileSigner::load(&key)?
    } else {
        FileSigner::create(&key)?
    };
    let db = sled::open(dir.join("db")).map_err(dojang_issuer::IssuerError::from)?;
    Ok(Issuer::open(
        &db,
        signer,
        DidMethod::Key,
        office,
        IssuancePolicy::default(),
    )?)
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

fn story(root: &Path, args: &DemoArgs) -> Result<(), CliError> {
    println!("Dojang demo: Korean civil-registry certificates as SD-JWT VCs, verified offline.");
    println!("Working directory: {}", root.display());

    heading(
        1,
        "Two agencies set up, each with its own Ed25519 key and DID",
    );
    let gu = open_agency(&root.join("gu-office"), GU_OFFICE)?;
    let court = open_agency(&root.join("court-registry"), COURT_OFFICE)?;
    println!("  {GU_OFFICE} (주민등록):     {}", gu.did());
    println!("  {COURT_OFFICE} (가족관계등록): {}", court.did());
    let register = generate(args.households, args.seed);
    let summary = gu.register().import(&register)?;
    court.register().import(&register)?;
    println!(
        "  Both load a synthetic register (seed {}): {} households, {} persons.",
        args.seed, summary.households, summary.persons
    );
    let citizen = pick_citizen(&register)
        .ok_or_else(|| CliError::Usage("the synthetic register has no suitable citizen".into()))?;
    println!("  Our citizen is register person {citizen} (the register id, never the RRN).");

    heading(
        2,
        "The citizen creates a wallet: encrypted at rest, with a fresh holder key",
    );
    let wallet = Wallet::init(&root.join("wallet"), DEMO_PASSPHRASE)?;
    let holder = wallet.holder_public_key();
    println!("  Holder key thumbprint: {}", holder.thumbprint());

    heading(
        3,
        "The agencies issue three certificates, bound to the holder key",
    );
    let at = now();
    let mut issued = Vec::new();
    for (agency, cert) in [
        (&gu, Certificate::ResidentCopy),
        (&gu, Certificate::ResidentAbstract),
        (&court, Certificate::FamilyGeneral),
    ] {
        let c = agency.issue(&citizen, cert, &holder, at)?;
        println!(
            "  {:<24} no. {}  {} bytes, valid until {}  (recorded before hand-over)",
            cert.name_ko(),
            c.record.document_number,
            c.sd_jwt.len(),
            format(c.record.expires_at)
        );
        issued.push(c);
    }

    heading(
        4,
        "The wallet checks each one offline and stores it encrypted",
    );
    let mut copy_id = None;
    for c in &issued {
        let (id, stored) = wallet.import(&c.sd_jwt, "", at)?;
        println!("  imported {id}  {}", stored.vct);
        if stored.vct == ResidentRegistrationCopy::VCT {
            copy_id = Some(id);
        }
    }
    let copy_id = copy_id.ok_or_else(|| CliError::Usage("no 등본 was imported".into()))?;
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
        "A bank asks for a 등본, name and address only, issued within 90 days",
    );
    let nonces = MemoryNonceStore::default();
    let challenge = Challenge {
        aud: BANK.into(),
        nonce: fresh_nonce(),
    };
    nonces.issue(&challenge.nonce);
    println!(
        "  audience {BANK}, fresh single-use nonce {}",
        challenge.nonce
    );
    let mut trust = TrustedIssuers::new();
    trust.trust(gu.did())?;
    trust.trust(court.did())?;
    let policy = Policy {
        accepted_vcts: vec![ResidentRegistrationCopy::VCT.into()],
        max_credential_age_days: Some(90),
        ..Policy::default()
    };

    heading(
        6,
        "The wallet discloses only those two claims, bound to the bank's nonce",
    );
    let ask = vec!["name".to_string(), "address".to_string()];
    let presentation = wallet.present(&copy_id, &ask, &challenge.aud, &challenge.nonce, now())?;
    println!(
        "  disclosed: {}; withheld: {} other disclosure(s), among them the RRN and every household member",
        presentation.disclosed.join(", "),
        presentation.withheld.len()
    );

    heading(7, "The bank verifies offline: no call to the agency");
    let check = |input: &str, challenge: &Challenge| -> Outcome {
        verify(
            input,
            &Inputs {
                trust: &trust,
                policy: &policy,
                challenge: Some(challenge),
                nonces: Some(&nonces as &dyn NonceStore),
                status: None,
                now: now(),
            },
        )
    };
    let outcome = check(&presentation.text, &challenge);
    for c in outcome.report.checks() {
        println!(
            "  {} {:<12} {}",
            if c.ok { "ok " } else { "NO " },
            c.step,
            c.detail
        );
    }
    let verified = outcome.result.map_err(CliError::from)?;
    println!("  The bank learned:");
    for (k, v) in &verified.claims {
        println!("    {k}: {v}");
    }
    let learned_names: Vec<&str> = verified.claims.keys().map(String::as_str).collect();
    let mut not_learned: Vec<String> = presentation
        .withheld
        .iter()
        .map(|p| p.split('.').next().unwrap_or("").to_owned())
        .filter(|k| !learned_names.contains(&k.as_str()))
        .collect();
    not_learned.dedup();
    println!("  It did not learn: {}", not_learned.join(", "));

    heading(8, "What the verifier refuses");
    let mut all_refused = true;
    let mut expect = |label: &str, outcome: Outcome, code: &str| {
        let got = outcome
            .result
            .as_ref()
            .err()
            .map(|e| e.code())
            .unwrap_or("verified");
        let ok = got == code;
        all_refused &= ok;
        println!(
            "  {label:<52} -> {} ({got})",
            if ok { "rejected" } else { "UNEXPECTED" }
        );
    };
    // A forged address Disclosure: its digest is not among the issuer-signed ones.
    let forged = Disclosure::new(
        Some("address"),
        serde_json::json!({"road_address": "부산광역시 해운대구 해운대해변로 264"}),
    );
    let mut parts: Vec<String> = presentation.text.split('~').map(str::to_owned).collect();
    if parts.len() > 2 {
        parts[2] = forged.as_str().to_owned();
    }
    let fresh = Challenge {
        aud: BANK.into(),
        nonce: fresh_nonce(),
    };
    nonces.issue(&fresh.nonce);
    expect(
        "a tampered presentation (address swapped)",
        check(&parts.join("~"), &challenge),
        "disclosure_unreferenced",
    );
    expect(
        "the same presentation sent again (replay)",
        check(&presentation.text, &challenge),
        "nonce_replayed",
    );
    let elsewhere = wallet.present(&copy_id, &ask, OTHER, &fresh.nonce, now())?;
    expect(
        "a presentation made for another audience",
        check(&elsewhere.text, &fresh),
        "kb_aud_mismatch",
    );

    heading(9, "The wallet's history: what was shown, to whom, when");
    for r in wallet.history()? {
        println!(
            "  {}  to {}  disclosed {}  withheld {}",
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
    if all_refused {
        Ok(())
    } else {
        Err(CliError::Usage(
            "the demo saw an unexpected outcome (see above)".into(),
        ))
    }
}
