//! `dojang issuer --dir DIR serve`: the agency's HTTP service (OpenID4VCI for wallets, status
//! lists and log proofs for verifiers and auditors, the admin API), until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dojang_issuer::http::{serve, shutdown_signal, AppState, ServiceConfig};
use dojang_issuer::IssuancePolicy;

use crate::error::CliError;

/// The environment variable holding the admin token when no `--admin-token-file` is given.
const ADMIN_TOKEN_ENV: &str = "DOJANG_ADMIN_TOKEN";

/// The options of `serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0: any free port; the real one is printed).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// The URL wallets reach the service at: the credential issuer identifier and the `aud` of
    /// key proofs (default: http://ADDR of the bound socket).
    #[arg(long)]
    public_url: Option<String>,
    /// A file holding the admin bearer token (one line, at least 16 characters). Without it the
    /// token comes from DOJANG_ADMIN_TOKEN; with neither, the admin API refuses every request.
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
}

/// Serves the agency in `dir`. Prints exactly one line to standard output once the socket is
/// bound: `listening on http://ADDR`; logs go to standard error.
pub(crate) fn run(dir: &Path, args: ServeArgs) -> Result<(), CliError> {
    crate::logging::init();
    let admin_token = admin_token(args.admin_token_file.as_deref())?;
    let issuer = super::issuer::open(dir, IssuancePolicy::default())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::Usage(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Usage(format!("cannot read the bound address: {e}")))?;
        let public_url = args.public_url.unwrap_or_else(|| format!("http://{addr}"));
        let mut config = ServiceConfig::new(&public_url);
        match admin_token {
            Some(token) => config.admin_tokens.push(token),
            None => tracing::warn!(
                "no admin token (--admin-token-file or {ADMIN_TOKEN_ENV}): the admin API refuses \
                 every request"
            ),
        }
        let status_base = issuer.status_lists().base_uri().to_owned();
        let state = AppState::new(issuer, config).map_err(|e| CliError::Usage(e.to_string()))?;
        if !status_base.starts_with(&format!("{}/status", state.public_url())) {
            tracing::warn!(
                status_base,
                "credentials point to status lists outside this service's /status/{{list}}; \
                 publish them there too"
            );
        }
        tracing::info!(
            %addr,
            public_url = state.public_url(),
            did = state.issuer().did(),
            "issuer service started"
        );
        crate::malloc::spawn_trimmer();
        println!("listening on http://{addr}");
        serve(listener, Arc::new(state), shutdown_signal())
            .await
            .map_err(|e| CliError::Usage(format!("the service failed: {e}")))?;
        tracing::info!("issuer service stopped");
        Ok(())
    })
}

/// The admin token from `file` (its first line), else from DOJANG_ADMIN_TOKEN.
fn admin_token(file: Option<&Path>) -> Result<Option<String>, CliError> {
    let token = match file {
        Some(path) => {
            let text = crate::error::read_file(path)?;
            Some(text.lines().next().unwrap_or("").trim().to_owned())
        }
        None => std::env::var(ADMIN_TOKEN_ENV)
            .ok()
            .map(|t| t.trim().to_owned()),
    };
    match token {
        Some(t) if t.is_empty() => Err(CliError::Usage("the admin token is empty".into())),
        other => Ok(other),
    }
}
