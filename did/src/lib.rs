//! # dojang-did: identifiers and keys, resolved offline
//!
//! Dojang names issuers and holders with DIDs and signs with Ed25519. This crate holds:
//! - [`PublicJwk`] / [`PrivateJwk`]: Ed25519 keys as JWKs (RFC 8037) with RFC 7638 thumbprints;
//! - `did:key` (multicodec `0xed01`, multibase base58btc) and `did:jwk` encoding and decoding;
//! - [`Did`] and [`DidUrl`] parsing (a DID URL with a fragment names one key);
//! - the [`Resolver`] trait and an [`OfflineResolver`] that never touches the network: `did:key` and
//!   `did:jwk` resolve from the identifier itself, `did:web` only from documents pinned by the
//!   caller (the trust list, in later steps).
//!
//! It does no I/O and depends on no other Dojang crate.

mod error;
mod jwk;

pub use error::DidError;
pub use jwk::{PrivateJwk, PublicJwk, PRIVATE_JWK_MEMBERS};
