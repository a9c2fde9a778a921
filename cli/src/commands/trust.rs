//! `dojang trust …`: the root authority (행정안전부). It holds the root key, keeps the registry of
//! accredited issuers and relying parties, and publishes it as a signed trust list
//! (`specs/trust-model.md`).
//!
//! The authority's directory holds `root-key.jwk` (mode 0600) and `authority.json` (the registry
//! and the last published sequence number). Every write of the state is atomic and durable
//! (temporary file, fsync, rename, fsync of the folder) before the command reports success.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use dojang_did::{did_for_key, Did, DidMethod, PublicJwk};
use dojang_vc::trust_list::{
    sign_trust_list, verify_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey,
    RelyingParty, TrustList,
};
use dojang_vc::Budget;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{read_json, CliError};
use crate::time::{format, now, parse_rfc3339};

#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// The root authority's directory (root key and registry).
    #[arg(long, env = "DOJANG_TRUST_DIR")]
    dir: PathBuf,
    #[command(subcommand)]
    command: TrustCommand,
}

#[derive(Debug, Subcommand)]
enum TrustCommand {
    /// Create the root authority: a root key (mode 0600) and an empty registry.
    Init {
        /// The authority's identifier, a DID (e.g. did:web:mois.example).
        #[arg(long)]
        id: String,
        /// Its name in Korean (e.g. 행정안전부).
        #[arg(long)]
        name_ko: String,
        /// Its name in English (e.g. "Ministry of the Interior and Safety").
        #[arg(long)]
        name_en: String,
    },
    /// Write the root public key, which every verifier pins; prints its thumbprint.
    RootKey {
        /// The file to write (a public JWK).
        #[arg(long)]
        out: PathBuf,
    },
    /// Accredit an issuer for credential types, with its first signing key.
    Accredit {
        /// The agency's DID (did:web; did:key and did:jwk also allowed).
        #[arg(long)]
        did: String,
        /// Its name in Korean (e.g. 서울특별시 종로구청).
        #[arg(long)]
        name_ko: String,
        /// Its name in English.
        #[arg(long)]
        name_en: String,
        /// A credential type it may issue (repeatable, at least one).
        #[arg(long = "vct", value_name = "VCT", required = true)]
        vcts: Vec<String>,
        /// Its public key, a JWK file (of a private key file only the public part is used).
        #[arg(long)]
        key: PathBuf,
        /// The key id [default: DID#key-1; for did:key and did:jwk the DID's own key id].
        #[arg(long)]
        kid: Option<String>,
        /// The first moment the key may sign (RFC 3339) [default: now].
        #[arg(long)]
        not_before: Option<String>,
        /// The URI under which it publishes status lists.
        #[arg(long)]
        status_list_base: Option<String>,
    },
    /// Suspend an issuer: nothing it signed is accepted until it is reinstated.
    Suspend {
        /// The issuer's DID.
        did: String,
    },
    /// Lift an issuer's suspension.
    Reinstate {
        /// The issuer's DID.
        did: String,
    },
    /// Remove an issuer from the list (its credentials stop verifying once published).
    Remove {
        /// The issuer's DID.
        did: String,
    },
    /// Replace an issuer's signing key: the current key stops at --at, the new one starts then.
    RotateKey {
        /// The issuer's DID (did:web: a did:key or did:jwk names one key only).
        did: String,
        /// The new public key, a JWK file.
        #[arg(long)]
        key: PathBuf,
        /// The moment of the rotation (RFC 3339) [default: now].
        #[arg(long)]
        at: Option<String>,
    },
    /// Register a relying party and the claims it may ask for.
    RegisterRp {
        /// Its identifier (e.g. `https://bank.example`).
        #[arg(long)]
        id: String,
        /// Its name in Korean.
        #[arg(long)]
        name_ko: String,
        /// Its name in English.
        #[arg(long)]
        name_en: String,
        /// A public JWK file it signs presentation requests with (repeatable).
        #[arg(long = "key", value_name = "JWKFILE")]
        keys: Vec<PathBuf>,
        /// VCT=claim,claim: claim paths it may ask for in that type (repeatable, at least one).
        /// Only an institution with a legal basis may be entitled to `rrn`.
        #[arg(long = "entitle", value_name = "VCT=CLAIMS", required = true)]
        entitle: Vec<String>,
    },
    /// Sign and write the next trust list (sequence = last + 1); prints a JSON summary.
    Publish {
        /// Days until the list expires.
        #[arg(long, default_value_t = 30)]
        valid_days: i64,
        /// The file to write the trust list JWT to.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `authority.json`: the registry the trust lists are published from.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Authority {
    /// The format of this file.
    format: u32,
    /// The authority's DID, the `iss` of its trust lists.
    id: String,
    name_ko: String,
    name_en: String,
    /// The `kid` in the header of its trust lists.
    root_kid: String,
    /// The sequence number of the last list published (0: none yet).
    last_seq: u64,
    issuers: Vec<AccreditedIssuer>,
    relying_parties: Vec<RelyingParty>,
}

const STATE: &str = "authority.json";
const ROOT_KEY: &str = "root-key.jwk";
const FORMAT: u32 = 1;
const DAY: i64 = 86_400;
/// The longest validity `publish` accepts: a list must be renewed at least yearly, so that a
/// suspension or removal reaches every verifier.
const MAX_VALID_DAYS: i64 = 366;

impl Authority {
    fn load(dir: &Path) -> Result<Self, CliError> {
        let path = dir.join(STATE);
        if !path.exists() {
            return Err(CliError::AuthorityNotInitialized {
                dir: dir.to_owned(),
            });
        }
        crate::error::read_json_as(&path)
    }

    /// The list as it would be published next at `iat`, valid for `valid_days`.
    fn draft(&self, iat: i64, valid_days: i64) -> TrustList {
        TrustList {
            iss: self.id.clone(),
            seq: self.last_seq.saturating_add(1),
            iat,
            exp: iat.saturating_add(valid_days.saturating_mul(DAY)),
            issuers: self.issuers.clone(),
            relying_parties: self.relying_parties.clone(),
        }
    }

    /// Checks the registry as a trust list would be checked, then writes it durably.
    fn save(&self, dir: &Path) -> Result<(), CliError> {
        self.draft(now(), 1).validate()?;
        let text = serde_json::to_string_pretty(self).map_err(|e| CliError::Json {
            path: dir.join(STATE),
            reason: e.to_string(),
        })?;
        write_atomically(&dir.join(STATE), format!("{text}\n").as_bytes(), 0o600)
    }

    fn issuer_mut(&mut self, did: &str) -> Result<&mut AccreditedIssuer, CliError> {
        self.issuers
            .iter_mut()
            .find(|i| i.did == did)
            .ok_or_else(|| CliError::IssuerNotListed {
                did: did.to_owned(),
            })
    }
}

pub(crate) fn run(args: TrustArgs) -> Result<(), CliError> {
    let dir = args.dir;
    match args.command {
        TrustCommand::Init {
            id,
            name_ko,
            name_en,
        } => init(&dir, id, name_ko, name_en),
        TrustCommand::RootKey { out } => {
            let authority = Authority::load(&dir)?;
            let root = load_root_public(&dir)?;
            let text = serde_json::to_string_pretty(&root.to_json()).unwrap_or_default();
            write_atomically(&out, format!("{text}\n").as_bytes(), 0o644)?;
            eprintln!(
                "wrote the root public key of {} to {}: pin it in every verifier",
                authority.id,
                out.display()
            );
            println!("{}", root.thumbprint());
            Ok(())
        }
        TrustCommand::Accredit {
            did,
            name_ko,
            name_en,
            vcts,
            key,
            kid,
            not_before,
            status_list_base,
        } => {
            let mut authority = Authority::load(&dir)?;
            if authority.issuers.iter().any(|i| i.did == did) {
                return Err(CliError::IssuerAlreadyListed { did });
            }
            let parsed = Did::parse(&did)?;
            let jwk = load_issuer_key(&key)?;
            let kid = match kid {
                Some(kid) => kid,
                None => default_kid(&parsed, &jwk)?,
            };
            let not_before = match not_before {
                Some(text) => rfc3339_arg("--not-before", &text)?,
                None => now(),
            };
            let mut unique = Vec::new();
            for vct in vcts {
                if !unique.contains(&vct) {
                    unique.push(vct);
                }
            }
            authority.issuers.push(AccreditedIssuer {
                did: did.clone(),
                name_ko: name_ko.clone(),
                name_en,
                status: AccreditationStatus::Active,
                vcts: unique.clone(),
                keys: vec![IssuerKey {
                    kid: kid.clone(),
                    jwk: jwk.to_json(),
                    not_before,
                    not_after: None,
                }],
                status_list_base,
            });
            authority.save(&dir)?;
            eprintln!(
                "accredited {name_ko} ({did}) for {} with key {kid} from {}; publish to distribute",
                unique.join(", "),
                format(not_before)
            );
            Ok(())
        }
        TrustCommand::Suspend { did } => set_status(&dir, &did, AccreditationStatus::Suspended),
        TrustCommand::Reinstate { did } => set_status(&dir, &did, AccreditationStatus::Active),
        TrustCommand::Remove { did } => {
            let mut authority = Authority::load(&dir)?;
            let before = authority.issuers.len();
            authority.issuers.retain(|i| i.did != did);
            if authority.issuers.len() == before {
                return Err(CliError::IssuerNotListed { did });
            }
            authority.save(&dir)?;
            eprintln!(
                "removed {did}: once published, nothing it signed verifies (suspend it instead \
                 to keep it listed)"
            );
            Ok(())
        }
        TrustCommand::RotateKey { did, key, at } => rotate_key(&dir, &did, &key, at.as_deref()),
        TrustCommand::RegisterRp {
            id,
            name_ko,
            name_en,
            keys,
            entitle,
        } => {
            let mut authority = Authority::load(&dir)?;
            if authority.relying_parties.iter().any(|rp| rp.id == id) {
                return Err(CliError::RelyingPartyAlreadyListed { id });
            }
            let keys = keys
                .iter()
                .map(|path| load_issuer_key(path).map(|k| k.to_json()))
                .collect::<Result<Vec<Value>, _>>()?;
            let entitlements = parse_entitlements(&entitle)?;
            if entitlements
                .values()
                .flatten()
                .any(|p| p == "rrn" || p.starts_with("rrn."))
            {
                eprintln!(
                    "note: {id} is entitled to ask for the 주민등록번호 (rrn): only an institution \
                     with a legal basis may be"
                );
            }
            authority.relying_parties.push(RelyingParty {
                id: id.clone(),
                name_ko: name_ko.clone(),
                name_en,
                keys,
                entitlements,
            });
            authority.save(&dir)?;
            eprintln!("registered relying party {name_ko} ({id}); publish to distribute");
            Ok(())
        }
        TrustCommand::Publish { valid_days, out } => publish(&dir, valid_days, &out),
    }
}

fn init(dir: &Path, id: String, name_ko: String, name_en: String) -> Result<(), CliError> {
    Did::parse(&id)?;
    if name_ko.trim().is_empty() || name_en.trim().is_empty() {
        return Err(CliError::Usage(
            "--name-ko and --name-en must not be empty".into(),
        ));
    }
    if dir.join(STATE).exists() || dir.join(ROOT_KEY).exists() {
        return Err(CliError::AuthorityExists {
            dir: dir.to_owned(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let key = dojang_did::PrivateJwk::generate();
    dojang_issuer::write_private_jwk(&dir.join(ROOT_KEY), &key)?;
    let authority = Authority {
        format: FORMAT,
        id: id.clone(),
        name_ko: name_ko.clone(),
        name_en,
        root_kid: format!("{id}#root-1"),
        last_seq: 0,
        issuers: Vec::new(),
        relying_parties: Vec::new(),
    };
    authority.save(dir)?;
    eprintln!(
        "created the root authority {name_ko} ({id}) in {}; root key thumbprint {} \
         (`dojang trust root-key --out FILE` writes the key to pin)",
        dir.display(),
        key.public().thumbprint()
    );
    println!("{id}");
    Ok(())
}

fn set_status(dir: &Path, did: &str, status: AccreditationStatus) -> Result<(), CliError> {
    let mut authority = Authority::load(dir)?;
    let issuer = authority.issuer_mut(did)?;
    if issuer.status == status {
        eprintln!("{did} is already {}; nothing changed", status.as_str());
        return Ok(());
    }
    issuer.status = status;
    authority.save(dir)?;
    eprintln!("{did} is now {}; publish to distribute", status.as_str());
    Ok(())
}

fn rotate_key(dir: &Path, did: &str, key: &Path, at: Option<&str>) -> Result<(), CliError> {
    let mut authority = Authority::load(dir)?;
    let at = match at {
        Some(text) => rfc3339_arg("--at", text)?,
        None => now(),
    };
    let jwk = load_issuer_key(key)?;
    let issuer = authority.issuer_mut(did)?;
    let parsed = Did::parse(did)?;
    if parsed.method() != "web" {
        return Err(CliError::Usage(format!(
            "a did:{} identifier is its key and cannot rotate: accredit the new key's DID instead",
            parsed.method()
        )));
    }
    let new_json = jwk.to_json();
    if issuer
        .keys
        .iter()
        .any(|k| PublicJwk::from_json(&k.jwk).ok() == Some(jwk))
    {
        return Err(CliError::KeyAlreadyListed {
            did: did.to_owned(),
        });
    }
    let mut ended = Vec::new();
    for k in &mut issuer.keys {
        if k.not_after.is_none_or(|end| end > at) {
            if k.not_before >= at {
                return Err(CliError::Usage(format!(
                    "key {} only starts at {}: rotate at a later --at",
                    k.kid,
                    format(k.not_before)
                )));
            }
            k.not_after = Some(at);
            ended.push(k.kid.clone());
        }
    }
    let mut n = issuer.keys.len() + 1;
    let kid = loop {
        let candidate = format!("{did}#key-{n}");
        if issuer.keys.iter().all(|k| k.kid != candidate) {
            break candidate;
        }
        n += 1;
    };
    issuer.keys.push(IssuerKey {
        kid: kid.clone(),
        jwk: new_json,
        not_before: at,
        not_after: None,
    });
    authority.save(dir)?;
    let ended = if ended.is_empty() {
        "no key was current".to_owned()
    } else {
        format!("{} ends", ended.join(", "))
    };
    eprintln!(
        "rotated {did} at {}: {ended}, {kid} begins; publish to distribute",
        format(at)
    );
    Ok(())
}

fn publish(dir: &Path, valid_days: i64, out: &Path) -> Result<(), CliError> {
    if !(1..=MAX_VALID_DAYS).contains(&valid_days) {
        return Err(CliError::Usage(format!(
            "--valid-days must be between 1 and {MAX_VALID_DAYS}"
        )));
    }
    let mut authority = Authority::load(dir)?;
    let root = dojang_issuer::read_private_jwk(&dir.join(ROOT_KEY))?;
    let iat = now();
    let list = authority.draft(iat, valid_days);
    let token = sign_trust_list(&list, &authority.root_kid, root.signing_key())?;
    // Check the list as a verifier will, before it leaves this directory.
    verify_trust_list(
        &token,
        &root.public(),
        iat,
        Some(authority.last_seq),
        &Budget::default(),
    )?;
    // The sequence number is recorded before the list is written: if writing fails, the number
    // is skipped, and two different lists never carry the same number.
    authority.last_seq = list.seq;
    authority.save(dir)?;
    write_atomically(out, format!("{token}\n").as_bytes(), 0o644)?;
    eprintln!(
        "published trust list seq {} ({} issuer(s), {} relying part(ies)), valid until {}, to {}",
        list.seq,
        list.issuers.len(),
        list.relying_parties.len(),
        format(list.exp),
        out.display()
    );
    println!(
        "{}",
        json!({
            "seq": list.seq,
            "iat": list.iat,
            "exp": list.exp,
            "issuers": list.issuers.len(),
            "relying_parties": list.relying_parties.len(),
        })
    );
    Ok(())
}

fn load_root_public(dir: &Path) -> Result<PublicJwk, CliError> {
    Ok(dojang_issuer::read_private_jwk(&dir.join(ROOT_KEY))?.public())
}

/// The public key of a JWK file. An agency should hand over its public key only; if the file
/// holds a private key, its public part is used and the operator is told.
fn load_issuer_key(path: &Path) -> Result<PublicJwk, CliError> {
    let json = read_json(path)?;
    if json.get("d").is_some() {
        eprintln!(
            "note: {} holds a private key; only its public part is used (ask for the public key)",
            path.display()
        );
    }
    Ok(PublicJwk::from_json_public_part(&json)?)
}

/// `DID#key-1` for did:web; for did:key and did:jwk, the DID's own key id, which must be `key`'s.
fn default_kid(did: &Did, key: &PublicJwk) -> Result<String, CliError> {
    let method = match did.method() {
        "key" => DidMethod::Key,
        "jwk" => DidMethod::Jwk,
        _ => return Ok(format!("{did}#key-1")),
    };
    let (own_did, kid) = did_for_key(key, method);
    if own_did != did.as_str() {
        return Err(CliError::Usage(format!(
            "{did} is not the DID of the key given with --key"
        )));
    }
    Ok(kid)
}

/// `VCT=claim,claim` arguments, merged per type.
fn parse_entitlements(args: &[String]) -> Result<BTreeMap<String, Vec<String>>, CliError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for arg in args {
        let (vct, claims) = arg.split_once('=').ok_or_else(|| {
            CliError::Usage(format!("--entitle {arg:?}: expected VCT=claim,claim"))
        })?;
        let vct = vct.trim();
        let claims: Vec<&str> = claims.split(',').map(str::trim).collect();
        if vct.is_empty() || claims.iter().any(|c| c.is_empty()) {
            return Err(CliError::Usage(format!(
                "--entitle {arg:?}: expected VCT=claim,claim with no empty part"
            )));
        }
        let paths = out.entry(vct.to_owned()).or_default();
        for claim in claims {
            if !paths.iter().any(|p| p == claim) {
                paths.push(claim.to_owned());
            }
        }
    }
    Ok(out)
}

fn rfc3339_arg(flag: &str, text: &str) -> Result<i64, CliError> {
    parse_rfc3339(text)
        .map_err(|_| CliError::Usage(format!("{flag} {text:?} is not an RFC 3339 date-time")))
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same folder, fsync,
/// rename over `path`, fsync of the folder. `mode` applies on Unix.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |source| CliError::Io {
        path: path.to_owned(),
        source,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    #[cfg(unix)]
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| CliError::Io { path: dir, source })?;
    Ok(())
}
