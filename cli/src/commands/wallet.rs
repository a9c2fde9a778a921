//! `dojang wallet --dir DIR …`: the citizen's encrypted wallet.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_wallet::{
    claims_of, log_inclusion_of, masked, passphrase_from_env_or_prompt, CredentialId, Wallet,
};
use serde_json::json;

use crate::error::{read_file, write_file, CliError};
use crate::time::{format, now};

#[derive(Debug, Args)]
pub(crate) struct WalletArgs {
    /// The wallet's directory.
    #[arg(long, env = "DOJANG_WALLET_DIR")]
    dir: PathBuf,
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Debug, Subcommand)]
enum WalletCommand {
    /// Create a wallet: a passphrase-protected store and a fresh holder key. The passphrase comes
    /// from DOJANG_WALLET_PASSPHRASE or a prompt.
    Init,
    /// Print the holder's public key (JWK), for an issuer to bind credentials to.
    HolderKey {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check an issued credential (signature, disclosures, that it is bound to this wallet's key)
    /// and store it.
    Import {
        /// The SD-JWT VC file.
        file: PathBuf,
        /// A label to recognise it by.
        #[arg(long, default_value = "")]
        label: String,
        /// The trust list to take a did:web issuer's key from (with --root-key).
        #[arg(long, requires = "root_key")]
        trust_list: Option<PathBuf>,
        /// The ministry's root public key that signs the trust list.
        #[arg(long, requires = "trust_list")]
        root_key: Option<PathBuf>,
        /// The issuer's log inclusion proof for this credential (`dojang issuer log-proof`),
        /// kept beside it for verifiers that require one.
        #[arg(long)]
        log_proof: Option<PathBuf>,
    },
    /// List stored credentials (no personal data).
    List,
    /// Show one credential's claims, RRNs masked unless --reveal-rrn.
    Show {
        /// The credential id (from `list`).
        id: String,
        /// Show resident registration numbers in full.
        #[arg(long)]
        reveal_rrn: bool,
    },
    /// Present chosen claims to a verifier; prints the presentation and records it in the history.
    Present {
        /// The credential id (from `list`).
        id: String,
        /// Comma-separated claim paths to disclose.
        #[arg(long, value_delimiter = ',')]
        disclose: Vec<String>,
        /// The verifier's identifier.
        #[arg(long)]
        aud: String,
        /// The verifier's nonce.
        #[arg(long)]
        nonce: String,
        /// Write the presentation to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the credential's log inclusion proof here, for the verifier.
        #[arg(long)]
        log_proof_out: Option<PathBuf>,
    },
    /// Every presentation made: when, to whom, what was disclosed and withheld.
    History,
}

fn passphrase() -> Result<String, CliError> {
    Ok(passphrase_from_env_or_prompt(|| {
        rpassword::prompt_password("wallet passphrase: ")
    })?)
}

fn parse_id(id: &str) -> Result<CredentialId, CliError> {
    id.parse::<CredentialId>()
        .map_err(|_| CliError::Usage(format!("{id:?} is not a credential id (see `wallet list`)")))
}

pub(crate) fn run(args: WalletArgs) -> Result<(), CliError> {
    let dir = args.dir;
    if let WalletCommand::Init = args.command {
        let wallet = Wallet::init(&dir, &passphrase()?)?;
        eprintln!(
            "created wallet in {}; holder key thumbprint {}",
            dir.display(),
            wallet.holder_public_key().thumbprint()
        );
        return Ok(());
    }
    let wallet = Wallet::open(&dir, &passphrase()?)?;
    match args.command {
        WalletCommand::Init => Ok(()),
        WalletCommand::HolderKey { out } => {
            let text = serde_json::to_string_pretty(&wallet.holder_public_key().to_json())
                .unwrap_or_default();
            match out {
                Some(path) => write_file(&path, &format!("{text}\n")),
                None => {
                    println!("{text}");
                    Ok(())
                }
            }
        }
        WalletCommand::Import {
            file,
            label,
            trust_list,
            root_key,
            log_proof,
        } => {
            let text = read_file(&file)?;
            let trust = match (trust_list, root_key) {
                (Some(list), Some(root)) => {
                    let root = super::key::load_public(&root)?;
                    let token = read_file(&list)?;
                    Some(dojang_vc::trust_list::verify_trust_list(
                        token.trim(),
                        &root,
                        now(),
                        None,
                        &dojang_vc::Budget::default(),
                    )?)
                }
                _ => None,
            };
            let inclusion = match log_proof {
                Some(path) => Some(crate::error::read_json_as::<LogInclusion>(&path)?),
                None => None,
            };
            let (id, c) =
                wallet.import_with(&text, &label, trust.as_ref(), inclusion.as_ref(), now())?;
            println!("{id}");
            eprintln!(
                "imported {} from {} (verified, bound to this wallet)",
                c.vct, c.issuer
            );
            Ok(())
        }
        WalletCommand::List => {
            for (id, c) in wallet.list_credentials()? {
                println!(
                    "{id}  {}  issued {}  by {}{}",
                    c.vct,
                    format(c.issued_at),
                    c.issuer,
                    if c.label.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", c.label)
                    }
                );
            }
            Ok(())
        }
        WalletCommand::Show { id, reveal_rrn } => {
            let c = wallet.get_credential(&parse_id(&id)?)?;
            let claims = claims_of(&c)?;
            let shown = if reveal_rrn { claims } else { masked(&claims) };
            println!(
                "{}",
                serde_json::to_string_pretty(&shown).unwrap_or_default()
            );
            Ok(())
        }
        WalletCommand::Present {
            id,
            disclose,
            aud,
            nonce,
            out,
            log_proof_out,
        } => {
            let paths: Vec<String> = disclose.into_iter().filter(|p| !p.is_empty()).collect();
            let id = parse_id(&id)?;
            if let Some(path) = log_proof_out {
                let inclusion =
                    log_inclusion_of(&wallet.get_credential(&id)?).ok_or_else(|| {
                        CliError::Usage("this credential was imported without a log proof".into())
                    })?;
                let text = serde_json::to_string_pretty(&inclusion).unwrap_or_default();
                write_file(&path, &format!("{text}\n"))?;
            }
            let p = wallet.present(&id, &paths, &aud, &nonce, now())?;
            eprintln!(
                "disclosing {} to {aud}; withholding {} other claim(s)",
                p.disclosed.join(", "),
                p.withheld.len()
            );
            match out {
                Some(path) => write_file(&path, &format!("{}\n", p.text)),
                None => {
                    println!("{}", p.text);
                    Ok(())
                }
            }
        }
        WalletCommand::History => {
            for r in wallet.history()? {
                println!(
                    "{}",
                    json!({
                        "at": format(r.at), "credential": r.credential_id.to_string(), "vct": r.vct,
                        "audience": r.audience, "disclosed": r.disclosed, "withheld": r.withheld
                    })
                );
            }
            Ok(())
        }
    }
}
