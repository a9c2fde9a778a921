//! The issuer's signing key, behind the `signature::Signer` trait so that a KMS or HSM can take
//! the place of the file backend without touching issuance.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use dojang_did::{PrivateJwk, PublicJwk};
use ed25519_dalek::Signature;

use crate::IssuerError;

/// What issuance needs of a key: to sign, and to say which public key it is.
pub trait IssuerSigner: signature::Signer<Signature> + Send + Sync {
    /// The public key, for the DID and the trust list.
    fn public_key(&self) -> PublicJwk;
}

/// An Ed25519 key kept in a JWK file readable by its owner only (mode 0600).
pub struct FileSigner {
    key: PrivateJwk,
    path: PathBuf,
}

impl std::fmt::Debug for FileSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSigner")
            .field("path", &self.path)
            .field("public", &self.key.public())
            .finish()
    }
}

impl FileSigner {
    /// Generates a key and writes it to `path`, which must not exist, with mode 0600.
    pub fn create(path: &Path) -> Result<Self, IssuerError> {
        let key = PrivateJwk::generate();
        write_private_jwk(path, &key)?;
        Ok(Self {
            key,
            path: path.to_owned(),
        })
    }

    /// Loads a private JWK file.
    pub fn load(path: &Path) -> Result<Self, IssuerError> {
        let key = read_private_jwk(path)?;
        Ok(Self {
            key,
            path: path.to_owned(),
        })
    }
}

impl signature::Signer<Signature> for FileSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Signature, signature::Error> {
        self.key.signing_key().try_sign(msg)
    }
}

impl IssuerSigner for FileSigner {
    fn public_key(&self) -> PublicJwk {
        self.key.public()
    }
}

/// Writes a private JWK to a new file with mode 0600, durably.
pub fn write_private_jwk(path: &Path, key: &PrivateJwk) -> Result<(), IssuerError> {
    let io = |e: std::io::Error| IssuerError::KeyFile {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    let text = serde_json::to_string_pretty(&key.to_json()).map_err(|e| IssuerError::KeyFile {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.write_all(b"\n").map_err(io)?;
    file.sync_all().map_err(io)
}

/// Reads a private JWK file.
pub fn read_private_jwk(path: &Path) -> Result<PrivateJwk, IssuerError> {
    let bad = |reason: String| IssuerError::KeyFile {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    PrivateJwk::from_json(&json).map_err(|e| bad(e.to_string()))
}
