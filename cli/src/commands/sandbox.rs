//! `dojang sandbox --dir DIR`: everything the services need, set up in one directory, so that a
//! new user can move a credential from an issuer to a verifier in a handful of commands.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{write_file, CliError};
use crate::run_words;

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// The directory to create (it must not exist).
    #[arg(long)]
    dir: PathBuf,
    /// Households in the agency's synthetic register.
    #[arg(long, default_value_t = 10)]
    households: usize,
}

const MINISTRY: &str = "did:web:mois.example";
const AGENCY: &str = "did:web:jongno.example";
const BANK: &str = "https://bank.example";
const COPY: &str = "urn:dojang:kr:resident-registration-copy:1";
const ABSTRACT: &str = "urn:dojang:kr:resident-registration-abstract:1";

fn step(words: &[&str]) -> Result<(), CliError> {
    let mut all = vec!["dojang"];
    all.extend_from_slice(words);
    match run_words(&all)? {
        0 => Ok(()),
        code => Err(CliError::Usage(format!(
            "`{}` exited with {code}",
            all.join(" ")
        ))),
    }
}

fn s(p: &Path) -> Result<&str, CliError> {
    p.to_str()
        .ok_or_else(|| CliError::Usage(format!("{} is not UTF-8", p.display())))
}

/// A random token for the admin and RP APIs: 32 hex digits.
fn token() -> String {
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn run(args: &SandboxArgs) -> Result<(), CliError> {
    let dir = &args.dir;
    if dir.exists() {
        return Err(CliError::Usage(format!(
            "{} exists: choose a new directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        path: dir.clone(),
        source,
    })?;
    if std::env::var("DOJANG_WALLET_PASSPHRASE").is_err() {
        return Err(CliError::Usage(
            "set DOJANG_WALLET_PASSPHRASE to the wallet passphrase you want".into(),
        ));
    }
    let p = |n: &str| dir.join(n);
    let (ministry, agency, bank, wallet) = (p("ministry"), p("agency"), p("bank"), p("wallet"));
    eprintln!("== the ministry: root key and trust list");
    step(&[
        "trust",
        "--dir",
        s(&ministry)?,
        "init",
        "--id",
        MINISTRY,
        "--name-ko",
        "행정안전부",
        "--name-en",
        "Ministry of the Interior and Safety",
    ])?;
    step(&[
        "trust",
        "--dir",
        s(&ministry)?,
        "root-key",
        "--out",
        s(&p("root.jwk"))?,
    ])?;
    eprintln!("== the agency: 서울특별시 종로구청, {AGENCY}, with a synthetic register");
    step(&[
        "issuer",
        "--dir",
        s(&agency)?,
        "init",
        "--office",
        "서울특별시 종로구청",
        "--did",
        AGENCY,
    ])?;
    let households = args.households.to_string();
    step(&[
        "issuer",
        "generate",
        "--households",
        &households,
        "--seed",
        "1",
        "--out",
        s(&p("register.json"))?,
    ])?;
    step(&[
        "issuer",
        "--dir",
        s(&agency)?,
        "import",
        s(&p("register.json"))?,
    ])?;
    step(&[
        "trust",
        "--dir",
        s(&ministry)?,
        "accredit",
        "--did",
        AGENCY,
        "--name-ko",
        "서울특별시 종로구청",
        "--name-en",
        "Jongno-gu Office, Seoul",
        "--vct",
        COPY,
        "--vct",
        ABSTRACT,
        "--key",
        s(&agency.join("issuer-key.jwk"))?,
        "--not-before",
        "2026-01-01T00:00:00Z",
    ])?;
    eprintln!("== the bank: 한빛은행, {BANK}, may ask for name and address of a 등본");
    step(&[
        "verifier",
        "--dir",
        s(&bank)?,
        "init",
        "--client-id",
        BANK,
        "--name",
        "한빛은행",
    ])?;
    let entitle = format!("{COPY}=name,address");
    step(&[
        "trust",
        "--dir",
        s(&ministry)?,
        "register-rp",
        "--id",
        BANK,
        "--name-ko",
        "한빛은행",
        "--name-en",
        "Hanbit Bank",
        "--key",
        s(&bank.join("signing-key.pub.jwk"))?,
        "--entitle",
        &entitle,
    ])?;
    step(&[
        "trust",
        "--dir",
        s(&ministry)?,
        "publish",
        "--out",
        s(&p("trust-list.jwt"))?,
    ])?;
    eprintln!("== the citizen's wallet");
    step(&["wallet", "--dir", s(&wallet)?, "init"])?;
    step(&[
        "wallet",
        "--dir",
        s(&wallet)?,
        "trust",
        "--root-key",
        s(&p("root.jwk"))?,
        "--trust-list",
        s(&p("trust-list.jwt"))?,
    ])?;
    write_file(&p("admin-token"), &format!("{}\n", token()))?;
    write_file(&p("rp-token"), &format!("{}\n", token()))?;
    let register = std::fs::read_to_string(p("register.json")).map_err(|source| CliError::Io {
        path: p("register.json"),
        source,
    })?;
    let person = serde_json::from_str::<serde_json::Value>(&register)
        .ok()
        .and_then(|r| r["households"][0]["head"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "P000001".into());
    let d = dir.display();
    println!(
        "Sandbox ready in {d}. In three terminals (or with & for the services):

  dojang issuer --dir {d}/agency serve --listen 127.0.0.1:8081 --admin-token-file {d}/admin-token
  dojang verifier --dir {d}/bank serve --listen 127.0.0.1:8082 --root-key {d}/root.jwk \\
      --trust-list {d}/trust-list.jwt --status-list-url http://127.0.0.1:8081/status/0 \\
      --rp-token-file {d}/rp-token --refresh 5

  dojang issuer offer --url http://127.0.0.1:8081 --admin-token-file {d}/admin-token \\
      --person {person} --certificate copy                    # prints OFFER and a PIN
  dojang wallet --dir {d}/wallet receive OFFER --tx-code PIN
  dojang verifier request --url http://127.0.0.1:8082 --token-file {d}/rp-token \\
      --vct {COPY} --claims name,address --purpose \"계좌 개설\"   # prints REQUEST and an id
  dojang wallet --dir {d}/wallet respond REQUEST
  dojang verifier result --url http://127.0.0.1:8082 --token-file {d}/rp-token ID --wait 10"
    );
    Ok(())
}
