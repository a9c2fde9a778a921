//! The services' logs: tracing to standard error, filtered by `DOJANG_LOG` (default `info`).

/// The variable that sets the log filter (tracing's env-filter syntax).
const LOG_ENV: &str = "DOJANG_LOG";

/// Installs the subscriber; another one already installed (never in the binary) is no error.
pub(crate) fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env(LOG_ENV)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
