//! # dojang-wallet: the citizen's wallet
//!
//! A wallet keeps a citizen's credentials (SD-JWT VCs as issued, with every disclosure), the
//! holder key they are bound to, and a history of what was presented to whom. All of it sits in
//! one directory, encrypted under a key derived from the holder's passphrase:
//!
//! 1. `wallet-meta.json` (plaintext): the Argon2id salt and costs, and the random data key
//!    wrapped under the passphrase-derived key ([`KdfParams`] says why those costs);
//! 2. `store/`: a sled database whose every value is XChaCha20-Poly1305-encrypted under the data
//!    key, bound to its tree and record id; record ids are random, so no personal value and no
//!    claim name appears anywhere in the files.
//!
//! Entry points: [`Wallet::init`] / [`Wallet::open`], then credentials
//! ([`Wallet::put_credential`], [`Wallet::get_credential`], [`Wallet::list_summaries`],
//! [`Wallet::list_credentials`], [`Wallet::remove_credential`]), the holder key ([`Wallet::holder_key`],
//! [`Wallet::holder_public_key`]) and history ([`Wallet::record_presentation`],
//! [`Wallet::history`]). Every write is flushed to disk before it returns.
//!
//! Beside the store, the trust configuration ([`install_trust`], [`Wallet::trust`]): the pinned
//! root key and the current trust list, plain files. Over the network, the wallet is an
//! OpenID4VCI 1.0 client ([`receive`]) and an OpenID4VP 1.0 client ([`respond`], which asks the
//! holder through a [`ConsentView`] before anything leaves the wallet).

mod agent;
mod client;
mod crypto;
mod error;
mod history;
mod meta;
mod passphrase;
mod permissions;
mod store;
mod trust;

pub use agent::{claims_of, log_inclusion_of, masked};
pub use client::{fetch_offer, receive, receive_offer, respond, ConsentView, RespondOutcome};
pub use crypto::{KdfParams, MAX_KDF_LANES, MAX_KDF_MEMORY_KIB, MAX_KDF_PASSES};
pub use error::WalletError;
pub use history::PresentationRecord;
pub use passphrase::{passphrase_from_env_or_prompt, PASSPHRASE_ENV};
pub use store::{CredentialId, CredentialSummary, StoredCredential, Wallet};
pub use trust::{install_trust, load_trust, TRUST_LIST_FILE, TRUST_ROOT_FILE};
