//! `dojang verifier …`: a relying party's OpenID4VP service (`init`, `serve`) and the calls its
//! back end makes to it (`request`, `result`).
//!
//! The state directory holds `verifier.json` (the relying party's `client_id` and name),
//! `signing-key.jwk` (the request-signing Ed25519 key, mode 0600) and its public half
//! `signing-key.pub.jwk` (for `dojang trust register-rp --key`), and, once served,
//! `state/` (the response-encryption key and the database).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use dojang_did::PrivateJwk;
use dojang_verifier::http::{self, client, AppState, ListLocation, ServiceConfig, TrustConfig};
use dojang_verifier::TrustedIssuers;
use serde_json::{json, Value};

use crate::error::{read_file, read_json, write_file, CliError};

#[derive(Debug, Args)]
pub(crate) struct VerifierArgs {
    /// The verifier's state directory (for `init` and `serve`).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: VerifierCommand,
}

#[derive(Debug, Subcommand)]
enum VerifierCommand {
    /// Create the state directory and the request-signing key; prints its public JWK (for
    /// `dojang trust register-rp --key`).
    Init {
        /// The relying party's id on the trust list, e.g. `https://bank.example`.
        #[arg(long)]
        client_id: String,
        /// Its name, for logs.
        #[arg(long)]
        name: Option<String>,
    },
    /// Serve OpenID4VP 1.0; prints `listening on http://ADDR` once ready, logs to stderr
    /// (filter: DOJANG_LOG, default `info`).
    Serve(ServeArgs),
    /// Ask for a credential (POST /requests); prints the openid4vp:// link and its QR code.
    Request(RequestArgs),
    /// Print the result of a request as JSON; exit 0 verified, 1 rejected or expired, 2 still
    /// pending after --wait.
    Result(ResultArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; the line printed names the real one).
    #[arg(long, default_value = "127.0.0.1:8082")]
    listen: SocketAddr,
    /// The base URL wallets reach this service at; default `http://` + the bound address.
    #[arg(long)]
    public_url: Option<String>,
    /// The ministry's root public key (JWK), pinned.
    #[arg(long, requires = "trust_list")]
    root_key: Option<PathBuf>,
    /// The trust list: a file (re-read periodically) or an http:// URL (fetched periodically).
    #[arg(long, requires = "root_key", conflicts_with = "trust_issuer")]
    trust_list: Option<String>,
    /// An issuer DID to trust for every type, instead of a trust list (repeatable).
    #[arg(long = "trust-issuer", value_name = "DID")]
    trust_issuer: Vec<String>,
    /// A status list URL to keep fresh in the background (repeatable).
    #[arg(long = "status-list-url", value_name = "URL")]
    status_list_url: Vec<String>,
    /// A file of RP API bearer tokens, one per line; else the DOJANG_RP_TOKEN variable.
    #[arg(long)]
    rp_token_file: Option<PathBuf>,
    /// How long a request may be answered, seconds.
    #[arg(long, default_value_t = 300)]
    request_ttl: i64,
    /// How long an answered request and its result (personal data) are kept after the answer,
    /// seconds (a result's bytes stay in its segment file, out of reach, up to a minute more);
    /// unanswered requests go a minute after they expire.
    #[arg(long, default_value_t = 600)]
    result_retention: i64,
    /// How often the trust list is re-read (and the default status list period), seconds.
    #[arg(long, default_value_t = 300)]
    refresh: i64,
}

#[derive(Debug, Args)]
struct RequestArgs {
    /// The verifier service's base URL.
    #[arg(long)]
    url: String,
    /// A file holding an RP API token (its first line).
    #[arg(long)]
    token_file: PathBuf,
    /// The credential type to ask for.
    #[arg(long)]
    vct: String,
    /// Comma-separated claim paths, e.g. `name,address.road_address`.
    #[arg(long, value_delimiter = ',')]
    claims: Vec<String>,
    /// Why, shown to the holder.
    #[arg(long)]
    purpose: String,
    /// Ask for an encrypted response (direct_post.jwt).
    #[arg(long)]
    encrypted: bool,
    /// Refuse credentials issued more than this many days ago.
    #[arg(long)]
    max_age_days: Option<i64>,
}

#[derive(Debug, Args)]
struct ResultArgs {
    /// The verifier service's base URL.
    #[arg(long)]
    url: String,
    /// A file holding an RP API token (its first line).
    #[arg(long)]
    token_file: PathBuf,
    /// Poll for up to this many seconds while the request is pending.
    #[arg(long, default_value_t = 0)]
    wait: u64,
    /// The request id.
    id: String,
}

pub(crate) fn run(args: VerifierArgs) -> Result<u8, CliError> {
    let need_dir = || {
        args.dir
            .clone()
            .ok_or_else(|| CliError::Usage("give the verifier's state directory with --dir".into()))
    };
    match args.command {
        VerifierCommand::Init {
            ref client_id,
            ref name,
        } => init(&need_dir()?, client_id, name.as_deref()).map(|()| 0),
        VerifierCommand::Serve(ref s) => serve(&need_dir()?, s).map(|()| 0),
        VerifierCommand::Request(ref r) => request(r).map(|()| 0),
        VerifierCommand::Result(ref r) => result(r),
    }
}

const CONFIG_FILE: &str = "verifier.json";
const SIGNING_KEY_FILE: &str = "signing-key.jwk";
const SIGNING_PUBLIC_FILE: &str = "signing-key.pub.jwk";

fn init(dir: &Path, client_id: &str, name: Option<&str>) -> Result<(), CliError> {
    if !(client_id.starts_with("https://") || client_id.starts_with("http://")) {
        return Err(CliError::Usage(
            "--client-id is the relying party's id on the trust list, e.g. https://bank.example"
                .into(),
        ));
    }
    let config_path = dir.join(CONFIG_FILE);
    if config_path.exists() {
        return Err(CliError::Usage(format!(
            "{} already holds a verifier",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let key = PrivateJwk::generate();
    dojang_issuer::write_private_jwk(&dir.join(SIGNING_KEY_FILE), &key)?;
    let public = key.public().to_json();
    let pretty = serde_json::to_string_pretty(&public).unwrap_or_default();
    write_file(&dir.join(SIGNING_PUBLIC_FILE), &format!("{pretty}\n"))?;
    let config = json!({ "client_id": client_id, "name": name });
    write_file(
        &config_path,
        &format!(
            "{}\n",
            serde_json::to_string_pretty(&config).unwrap_or_default()
        ),
    )?;
    println!("{pretty}");
    eprintln!(
        "verifier for {client_id} initialised; list its key with: dojang trust register-rp --id {client_id} --key {} …",
        dir.join(SIGNING_PUBLIC_FILE).display()
    );
    Ok(())
}

/// RP API tokens: non-empty lines of the file (`#` comments skipped), else DOJANG_RP_TOKEN.
fn rp_tokens(file: Option<&Path>) -> Result<Vec<String>, CliError> {
    let text = match file {
        Some(path) => read_file(path)?,
        None => std::env::var("DOJANG_RP_TOKEN")
            .map_err(|_| CliError::Usage("give --rp-token-file or set DOJANG_RP_TOKEN".into()))?,
    };
    let tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if tokens.is_empty() {
        return Err(CliError::Usage("no RP API token given".into()));
    }
    Ok(tokens)
}

fn serve(dir: &Path, args: &ServeArgs) -> Result<(), CliError> {
    crate::logging::init();
    let config = read_json(&dir.join(CONFIG_FILE))?;
    let client_id = config
        .get("client_id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{}: no client_id (run `dojang verifier --dir DIR init` first)",
                dir.join(CONFIG_FILE).display()
            ))
        })?
        .to_owned();
    let signing_key = PrivateJwk::from_json(&read_json(&dir.join(SIGNING_KEY_FILE))?)?;
    let tokens = rp_tokens(args.rp_token_file.as_deref())?;
    let trust = match (&args.root_key, &args.trust_list) {
        (Some(root), Some(list)) => TrustConfig::TrustList {
            root: super::key::load_public(root)?,
            location: if list.starts_with("http://") || list.starts_with("https://") {
                ListLocation::Url(list.clone())
            } else {
                ListLocation::File(PathBuf::from(list))
            },
        },
        _ => {
            let mut t = TrustedIssuers::new();
            for did in &args.trust_issuer {
                t.trust(did)
                    .map_err(|e| CliError::Usage(format!("--trust-issuer {did}: {e}")))?;
            }
            if args.trust_issuer.is_empty() {
                eprintln!("note: no --trust-list and no --trust-issuer: every issuer is untrusted");
            }
            TrustConfig::Issuers(t)
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(http::blocking_threads())
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            path: dir.to_owned(),
            source,
        })?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|source| CliError::Io {
                path: PathBuf::from(args.listen.to_string()),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| CliError::Io {
            path: PathBuf::from(args.listen.to_string()),
            source,
        })?;
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let mut config = ServiceConfig::new(
            &client_id,
            &public_url,
            signing_key,
            tokens,
            trust,
            &dir.join("state"),
        );
        config.status_lists = args.status_list_url.clone();
        config.request_ttl_seconds = args.request_ttl;
        config.result_retention_seconds = args.result_retention;
        config.refresh_seconds = args.refresh;
        let state =
            tokio::task::spawn_blocking(move || AppState::open(config, http::system_clock()))
                .await
                .map_err(|e| CliError::Usage(format!("starting the service: {e}")))?
                .map_err(|e| match e {
                    http::ServiceError::TrustListRefused(e) => CliError::Vc(e),
                    http::ServiceError::Io { path, source } => CliError::Io { path, source },
                    other => CliError::Usage(other.to_string()),
                })?;
        crate::malloc::spawn_trimmer();
        tracing::info!(client_id = %client_id, %public_url, "verifier ready");
        println!("listening on http://{addr}");
        http::serve(listener, Arc::new(state), shutdown_signal())
            .await
            .map_err(|source| CliError::Io {
                path: PathBuf::from(addr.to_string()),
                source,
            })
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// The first token line of a file (blank lines and `#` comments skipped).
pub(crate) fn read_token(path: &Path) -> Result<String, CliError> {
    read_file(path)?
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .ok_or_else(|| CliError::Usage(format!("{}: no token in it", path.display())))
}

fn client_error(e: client::ClientError) -> CliError {
    CliError::Usage(e.to_string())
}

fn request(args: &RequestArgs) -> Result<(), CliError> {
    let token = read_token(&args.token_file)?;
    let mut body = json!({
        "vct": args.vct,
        "claims": args.claims,
        "purpose": args.purpose,
        "response_mode": if args.encrypted { "direct_post.jwt" } else { "direct_post" },
    });
    if let (Some(days), Value::Object(m)) = (args.max_age_days, &mut body) {
        m.insert("max_age_days".into(), Value::from(days));
    }
    let created = client::create_request(&args.url, &token, &body).map_err(client_error)?;
    let link = created
        .get("request_uri")
        .and_then(Value::as_str)
        .unwrap_or_default();
    println!("{link}");
    crate::qr::print(link);
    eprintln!(
        "request {} expires at {}; read the answer with: dojang verifier result --url {} --token-file {} {}",
        created.get("id").and_then(Value::as_str).unwrap_or_default(),
        created
            .get("expires_at")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        args.url,
        args.token_file.display(),
        created.get("id").and_then(Value::as_str).unwrap_or_default(),
    );
    Ok(())
}

fn result(args: &ResultArgs) -> Result<u8, CliError> {
    let token = read_token(&args.token_file)?;
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    loop {
        let result = client::fetch_result(&args.url, &token, &args.id).map_err(client_error)?;
        let status = result
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if status != "pending" || Instant::now() >= deadline {
            println!(
                "{}",
                serde_json::to_string_pretty(&result).unwrap_or_default()
            );
            return Ok(match status.as_str() {
                "verified" => 0,
                "pending" => 2,
                _ => 1,
            });
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
