//! `dojang wallet --dir DIR …`: the citizen's encrypted wallet.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_wallet::{
    claims_of, fetch_offer, install_trust, log_inclusion_of, masked, passphrase_from_env_or_prompt,
    receive_offer, respond, ConsentView, CredentialId, Wallet, WalletError,
};
use serde_json::{json, Value};

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
    /// List stored credentials: id, type, document number, dates, issuer, label (no claim about
    /// the person).
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
        #[arg(long, allow_hyphen_values = true)]
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
    /// Install the ministry's root key and the current trust list into the wallet (after
    /// checking the list against the key): `import`, `receive` and `respond` then use them.
    Trust {
        /// The ministry's root public key (JWK) that signs the trust list.
        #[arg(long)]
        root_key: PathBuf,
        /// The trust list (`dojang trust publish`).
        #[arg(long)]
        trust_list: PathBuf,
    },
    /// Receive a credential from an issuer (OpenID4VCI): fetch the offer, redeem it, check the
    /// credential and store it.
    Receive {
        /// The offer link, `openid-credential-offer://?…`.
        offer_uri: String,
        /// The transaction code (PIN) the issuer gave on another channel; prompted for on a
        /// terminal when the offer asks for one and it is not given.
        #[arg(long)]
        tx_code: Option<String>,
    },
    /// Answer a relying party's presentation request (OpenID4VP): shows who asks, why, and
    /// exactly what would be disclosed, then asks before sending anything.
    Respond {
        /// The request link, `openid4vp://?client_id=…&request_uri=…`.
        request_uri: String,
        /// Agree without asking (for scripts): the request is still checked against the trust
        /// list and the relying party's entitlements.
        #[arg(long)]
        yes: bool,
    },
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
    if let WalletCommand::Trust {
        root_key,
        trust_list,
    } = &args.command
    {
        let root = super::key::load_public(root_key)?;
        let token = read_file(trust_list)?;
        let list = install_trust(&dir, &root, &token, now())?;
        eprintln!(
            "installed trust list seq {} (signed {}, expires {}) under root key {}: {} issuer(s), {} relying part(ies)",
            list.seq(),
            format(list.iat()),
            format(list.exp()),
            list.root_thumbprint(),
            list.list().issuers.len(),
            list.list().relying_parties.len()
        );
        return Ok(());
    }
    if let WalletCommand::Respond { yes: false, .. } = &args.command {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "no terminal to ask for your consent on: run on a terminal, or pass --yes".into(),
            ));
        }
    }
    let wallet = Wallet::open(&dir, &passphrase()?)?;
    match args.command {
        WalletCommand::Init | WalletCommand::Trust { .. } => Ok(()),
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
                _ => wallet.trust(now())?,
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
            // From the credentials' encrypted summaries: no SD-JWT is decrypted.
            for (id, c) in wallet.list_summaries()? {
                println!(
                    "{id}  {}{}  issued {}{}  by {}{}",
                    c.vct,
                    c.document_number
                        .map(|n| format!("  no. {n}"))
                        .unwrap_or_default(),
                    format(c.issued_at),
                    c.expires_at
                        .map(|exp| format!("  expires {}", format(exp)))
                        .unwrap_or_default(),
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
        WalletCommand::Receive { offer_uri, tx_code } => {
            let trust = wallet.trust(now())?;
            let offer = fetch_offer(&offer_uri)?;
            let tx_code = match (&offer.pre_authorized().tx_code, tx_code) {
                (Some(spec), None) if std::io::stdin().is_terminal() => {
                    let mut hint = Vec::new();
                    hint.extend(spec.description.clone());
                    hint.extend(spec.length.map(|n| format!("{n} characters")));
                    let prompt = if hint.is_empty() {
                        "transaction code: ".to_owned()
                    } else {
                        format!("transaction code ({}): ", hint.join("; "))
                    };
                    Some(
                        rpassword::prompt_password(prompt).map_err(|source| CliError::Io {
                            path: PathBuf::from("/dev/tty"),
                            source,
                        })?,
                    )
                }
                (_, given) => given,
            };
            let (id, c) =
                receive_offer(&wallet, &offer, tx_code.as_deref(), trust.as_ref(), now())?;
            println!("{id}");
            eprintln!(
                "received {} from {} (verified, bound to this wallet{})",
                c.vct,
                c.issuer,
                if log_inclusion_of(&c).is_some() {
                    ", with the issuer's log inclusion proof"
                } else {
                    ""
                }
            );
            Ok(())
        }
        WalletCommand::Respond { request_uri, yes } => {
            let trust = wallet
                .trust(now())?
                .ok_or(WalletError::TrustNotConfigured)?;
            let mut ask = |view: &ConsentView| {
                eprint!("{}", consent_text(view));
                if yes {
                    eprintln!("Disclose? [y/N] y (--yes)");
                    return true;
                }
                eprint!("Disclose? [y/N] ");
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer).is_ok()
                    && matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
            };
            let outcome = respond(&wallet, &request_uri, &trust, &mut ask, now())?;
            eprintln!(
                "disclosed {} to {}; it answered HTTP {}",
                if outcome.disclosed.is_empty() {
                    "no selectively disclosable claim".to_owned()
                } else {
                    outcome.disclosed.join(", ")
                },
                outcome.rp_id,
                outcome.status_code
            );
            println!(
                "{}",
                json!({
                    "relying_party": outcome.rp_id, "disclosed": outcome.disclosed,
                    "status": outcome.status_code, "redirect_uri": outcome.redirect_uri
                })
            );
            Ok(())
        }
    }
}

/// What the holder reads before agreeing: who asks (names from the trust list), why, from which
/// credential, each value that would leave the wallet (RRNs masked) and how much stays withheld.
fn consent_text(view: &ConsentView) -> String {
    let mut out = format!(
        "\n{} ({}) — {}\nasks for claims of your {} credential (issued by {}{})\n",
        view.rp_name_ko,
        view.rp_name_en,
        view.rp_id,
        view.vct,
        view.issuer,
        if view.credential_label.is_empty() {
            String::new()
        } else {
            format!(", \"{}\"", view.credential_label)
        }
    );
    match &view.purpose {
        Some(purpose) => out.push_str(&format!("purpose: {purpose}\n")),
        None => out.push_str("purpose: (not stated)\n"),
    }
    if view.claims_disclosed.is_empty() {
        out.push_str("it would receive no selectively disclosable claim\n");
    } else {
        out.push_str("it would receive:\n");
        for (path, value) in &view.claims_disclosed {
            let shown = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!("  {path}: {shown}\n"));
        }
    }
    out.push_str(&format!(
        "withheld: {} other claim(s) stay in your wallet\n",
        view.claims_withheld_count
    ));
    out
}
