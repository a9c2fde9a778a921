//! The verifier's side of holder binding: its audience and the single-use nonce it issued.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::VerifyError;

/// What the holder's KB-JWT must answer: who asks (`aud`) and the fresh `nonce`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The verifier's identifier.
    pub aud: String,
    /// A fresh random value, single use.
    pub nonce: String,
}

/// Single-use nonces. A sled-backed store replaces the memory one when the verifier runs as a
/// service, so that a nonce consumed before a crash stays consumed.
pub trait NonceStore: Send + Sync {
    /// Records a newly issued nonce.
    fn issue(&self, nonce: &str);
    /// Marks a nonce used. `NonceUnknown` if never issued, `NonceReplayed` if already used.
    fn consume(&self, nonce: &str) -> Result<(), VerifyError>;
}

/// Nonces in memory, for a verifier living in one process (the demo, tests).
#[derive(Debug, Default)]
pub struct MemoryNonceStore {
    nonces: Mutex<HashMap<String, bool>>,
}

impl NonceStore for MemoryNonceStore {
    fn issue(&self, nonce: &str) {
        if let Ok(mut n) = self.nonces.lock() {
            n.insert(nonce.to_owned(), false);
        }
    }
    fn consume(&self, nonce: &str) -> Result<(), VerifyError> {
        let mut n = self.nonces.lock().map_err(|_| VerifyError::NonceUnknown)?;
        match n.get_mut(nonce) {
            None => Err(VerifyError::NonceUnknown),
            Some(true) => Err(VerifyError::NonceReplayed),
            Some(used) => {
                *used = true;
                Ok(())
            }
        }
    }
}

/// A fresh nonce: 128 random bits, base64url.
pub fn fresh_nonce() -> String {
    use base64::Engine as _;
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
