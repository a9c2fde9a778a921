//! Where the passphrase comes from: the environment (scripts, tests, CI) or a prompt.

use std::env::VarError;

use crate::WalletError;

/// The environment variable read before prompting.
pub const PASSPHRASE_ENV: &str = "DOJANG_WALLET_PASSPHRASE";

/// Returns the passphrase from `DOJANG_WALLET_PASSPHRASE` if it is set, otherwise from `prompt`
/// (the CLI passes a closure that reads from the terminal without echo). An empty passphrase is
/// rejected, whichever source gave it. The passphrase is used exactly as given: no trimming, no
/// Unicode normalisation.
pub fn passphrase_from_env_or_prompt(
    prompt: impl FnOnce() -> std::io::Result<String>,
) -> Result<String, WalletError> {
    let passphrase = match std::env::var(PASSPHRASE_ENV) {
        Ok(passphrase) => passphrase,
        Err(VarError::NotPresent) => {
            prompt().map_err(|source| WalletError::PassphraseUnavailable { source })?
        }
        Err(VarError::NotUnicode(_)) => return Err(WalletError::PassphraseNotUtf8),
    };
    if passphrase.is_empty() {
        return Err(WalletError::EmptyPassphrase);
    }
    Ok(passphrase)
}
