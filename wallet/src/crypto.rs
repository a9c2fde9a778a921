//! Key derivation and record encryption.
//!
//! - The passphrase goes through **Argon2id** (RFC 9106) with a random 16-byte salt into a 32-byte
//!   key-encryption key (KEK).
//! - A random 32-byte **data key** encrypts every record; the KEK only wraps the data key. Changing
//!   the passphrase would re-wrap one key instead of re-encrypting the store.
//! - Encryption is **XChaCha20-Poly1305**: a fresh random 24-byte nonce per ciphertext (large
//!   enough that random nonces never collide in practice), stored as `nonce ‖ ciphertext ‖ tag`.
//!   The associated data names what the ciphertext is (the wrapped data key, or a record's tree and
//!   id), so a ciphertext moved to another place fails to decrypt.
//!
//! Keys live in [`Zeroizing`] buffers and are wiped when dropped; the cipher objects wipe their own
//! key copy on drop too.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::WalletError;

/// Length of the KEK and of the data key (XChaCha20-Poly1305 keys are 256 bits).
pub(crate) const KEY_LEN: usize = 32;
/// Length of an XChaCha20 nonce.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the Argon2id salt: 16 bytes is RFC 9106 §3.1's recommendation.
pub(crate) const SALT_LEN: usize = 16;
/// Length of the Poly1305 tag.
const TAG_LEN: usize = 16;

/// Budget: the largest Argon2id memory cost `open` accepts from a metadata file, 1 GiB. The file
/// is plaintext on disk; without a ceiling an edited file could make every `open` try to allocate
/// up to 4 TiB. 1 GiB leaves 16× headroom over [`KdfParams::RECOMMENDED`].
pub const MAX_KDF_MEMORY_KIB: u32 = 1024 * 1024;
/// Budget: the most Argon2id passes accepted, for the same reason (bounded unlock time). 16 is
/// five times the recommended setting.
pub const MAX_KDF_PASSES: u32 = 16;
/// Budget: the most Argon2id lanes accepted. The `argon2` crate computes lanes one after another
/// here, so each lane costs as much time as a whole single-lane derivation.
pub const MAX_KDF_LANES: u32 = 8;

/// Argon2id cost parameters, stored in the wallet's plaintext metadata so `open` can re-derive the
/// key. Build them with [`KdfParams::new`] (checked against the budgets) or use
/// [`KdfParams::RECOMMENDED`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

impl KdfParams {
    /// The default for new wallets: Argon2id, 64 MiB of memory, 3 passes, 1 lane.
    ///
    /// Why: the passphrase is the only secret protecting a copied wallet directory, so each
    /// offline guess should cost as much as a person tolerates at every unlock. These are RFC 9106
    /// §4's second recommended option (64 MiB, t = 3), well above OWASP's floor (19 MiB, t = 2);
    /// memory is what slows GPU and ASIC guessing. One lane instead of the RFC's four because the
    /// `argon2` crate, built without its `parallel` feature, runs lanes one after another: four
    /// lanes would quadruple our unlock time and cost an attacker with parallel hardware nothing
    /// more. Measured in release on the 2-core development VM: 0.2–0.3 s per `open` (0.16 s
    /// with t = 2), under the half-second budget for an interactive unlock; see the ignored
    /// `kdf_cost` test in `tests/store.rs`.
    pub const RECOMMENDED: KdfParams = KdfParams {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// The cheapest parameters Argon2 allows (8 KiB, 1 pass). **Only for tests**: a wallet created
    /// with them falls to offline guessing almost at once.
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        m_cost_kib: 8,
        t_cost: 1,
        p_cost: 1,
    };

    /// Checked constructor: memory in KiB (at least 8 × lanes), passes, lanes, each within the
    /// wallet's budgets ([`MAX_KDF_MEMORY_KIB`], [`MAX_KDF_PASSES`], [`MAX_KDF_LANES`]).
    pub fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, WalletError> {
        let params = Self {
            m_cost_kib,
            t_cost,
            p_cost,
        };
        params.check()?;
        Ok(params)
    }

    /// Memory cost in KiB.
    pub fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Number of passes (time cost).
    pub fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Number of lanes (parallelism).
    pub fn p_cost(&self) -> u32 {
        self.p_cost
    }

    pub(crate) fn check(&self) -> Result<(), WalletError> {
        let bad = |reason| Err(WalletError::InvalidKdfParams { reason });
        if self.p_cost == 0 || self.p_cost > MAX_KDF_LANES {
            return bad("lanes must be between 1 and MAX_KDF_LANES");
        }
        if self.t_cost == 0 || self.t_cost > MAX_KDF_PASSES {
            return bad("passes must be between 1 and MAX_KDF_PASSES");
        }
        if self.m_cost_kib > MAX_KDF_MEMORY_KIB {
            return bad("memory cost exceeds MAX_KDF_MEMORY_KIB");
        }
        if u64::from(self.m_cost_kib) < 8 * u64::from(self.p_cost) {
            return bad("memory cost must be at least 8 KiB per lane");
        }
        Ok(())
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::RECOMMENDED
    }
}

/// A 256-bit symmetric key (KEK or data key), wiped on drop and never printed.
pub(crate) struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// An AEAD open failed: wrong key, wrong associated data, or altered bytes. Callers turn it into
/// an error with context.
#[derive(Debug)]
pub(crate) struct AeadFailure;

impl SecretKey {
    /// A fresh key from the operating system's generator.
    pub(crate) fn random() -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Derives the key-encryption key from the passphrase (Argon2id, version 0x13).
    pub(crate) fn derive(
        passphrase: &str,
        salt: &[u8; SALT_LEN],
        params: &KdfParams,
    ) -> Result<Self, WalletError> {
        params.check()?;
        let invalid = |_| WalletError::InvalidKdfParams {
            reason: "rejected by Argon2",
        };
        let argon_params = Params::new(
            params.m_cost_kib,
            params.t_cost,
            params.p_cost,
            Some(KEY_LEN),
        )
        .map_err(invalid)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        argon
            .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
            .map_err(invalid)?;
        Ok(Self(key))
    }

    /// Restores a data key from its unwrapped bytes.
    fn from_slice(bytes: &[u8]) -> Result<Self, AeadFailure> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(AeadFailure);
        }
        key.copy_from_slice(bytes);
        Ok(Self(key))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }

    /// Encrypts `plaintext` bound to `aad`; returns `nonce ‖ ciphertext ‖ tag`.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, AeadFailure> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| AeadFailure)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts `nonce ‖ ciphertext ‖ tag` produced by [`SecretKey::seal`] with the same `aad`.
    pub(crate) fn open(
        &self,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AeadFailure> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(AeadFailure);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| AeadFailure)
    }

    /// Wraps (encrypts) a data key under this key-encryption key.
    pub(crate) fn wrap(&self, data_key: &SecretKey) -> Result<Vec<u8>, AeadFailure> {
        self.seal(WRAP_AAD, data_key.0.as_ref())
    }

    /// Unwraps a data key; fails when this KEK came from another passphrase.
    pub(crate) fn unwrap_key(&self, wrapped: &[u8]) -> Result<SecretKey, AeadFailure> {
        let bytes = self.open(WRAP_AAD, wrapped)?;
        SecretKey::from_slice(&bytes)
    }
}

/// Associated data of the wrapped data key.
const WRAP_AAD: &[u8] = b"dojang-wallet/v1/data-key";

/// Associated data of a stored record: a domain label, then the tree name and the record's id,
/// each length-prefixed so no two (tree, id) pairs encode alike.
pub(crate) fn record_aad(tree: &str, id: &[u8]) -> Vec<u8> {
    const LABEL: &[u8] = b"dojang-wallet/v1/record";
    let mut aad = Vec::with_capacity(LABEL.len() + 16 + tree.len() + id.len());
    aad.extend_from_slice(LABEL);
    aad.extend_from_slice(&(tree.len() as u64).to_be_bytes());
    aad.extend_from_slice(tree.as_bytes());
    aad.extend_from_slice(&(id.len() as u64).to_be_bytes());
    aad.extend_from_slice(id);
    aad
}

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_aad_binding() {
        let key = SecretKey::random();
        let sealed = key.seal(b"a", b"hello").unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + 5 + TAG_LEN);
        assert_eq!(key.open(b"a", &sealed).unwrap().as_slice(), b"hello");
        assert!(key.open(b"b", &sealed).is_err());
        assert!(SecretKey::random().open(b"a", &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[NONCE_LEN] ^= 1;
        assert!(key.open(b"a", &flipped).is_err());
        assert!(key.open(b"a", &sealed[..NONCE_LEN + TAG_LEN - 1]).is_err());
    }

    #[test]
    fn record_aad_is_unambiguous() {
        assert_ne!(record_aad("ab", b"c"), record_aad("a", b"bc"));
    }

    #[test]
    fn wrong_passphrase_does_not_unwrap() {
        let salt = random_bytes::<SALT_LEN>();
        let params = KdfParams::INSECURE_FOR_TESTS;
        let kek = SecretKey::derive("right", &salt, &params).unwrap();
        let data_key = SecretKey::random();
        let wrapped = kek.wrap(&data_key).unwrap();
        let again = SecretKey::derive("right", &salt, &params).unwrap();
        assert_eq!(
            again.unwrap_key(&wrapped).unwrap().0.as_ref(),
            data_key.0.as_ref()
        );
        let wrong = SecretKey::derive("wrong", &salt, &params).unwrap();
        assert!(wrong.unwrap_key(&wrapped).is_err());
    }

    #[test]
    fn params_are_budgeted() {
        assert!(KdfParams::new(8, 1, 1).is_ok());
        assert!(KdfParams::RECOMMENDED.check().is_ok());
        assert!(KdfParams::INSECURE_FOR_TESTS.check().is_ok());
        assert!(KdfParams::new(MAX_KDF_MEMORY_KIB + 1, 1, 1).is_err());
        assert!(KdfParams::new(64, MAX_KDF_PASSES + 1, 1).is_err());
        assert!(KdfParams::new(1024, 1, MAX_KDF_LANES + 1).is_err());
        assert!(KdfParams::new(15, 1, 2).is_err());
        assert!(KdfParams::new(64, 0, 1).is_err());
        assert_eq!(
            format!("{:?}", SecretKey::random()),
            "SecretKey(..)",
            "keys never print"
        );
    }
}
