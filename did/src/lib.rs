//! # dojang-did: identifiers and keys, resolved offline
//!
//! Dojang names issuers and holders with DIDs and signs with Ed25519. This crate holds:
//! - [`PublicJwk`] / [`PrivateJwk`]: Ed25519 keys as JWKs (RFC 8037) with RFC 7638 thumbprints;
//!   invalid, non-canonical and small-order points are refused;
//! - [`ed25519::verify_strict`]: signature checks by the rules of ed25519-dalek's `verify_strict`,
//!   one point decompression cheaper;
//! - [`did_key`]: `did:key:z6Mk…` (multicodec `0xed01`, multibase base58btc) encoding and decoding,
//!   and the X25519 key-agreement key derived from an Ed25519 key (`z6LS…`, multicodec `0xec01`);
//! - [`did_jwk`]: `did:jwk:<base64url JSON>` encoding and decoding;
//! - [`Did`] and [`DidUrl`] parsing (DID Core syntax; a DID URL with a fragment names one key,
//!   paths and queries are refused);
//! - [`did_for_key`]: the DID and `kid` of a key under [`DidMethod::Key`] or [`DidMethod::Jwk`];
//! - [`DidDocument`]: documents built for did:key (the did:key v0.9 `Multikey` shape) and did:jwk
//!   (`JsonWebKey2020`, `#0`), parsed for pinned did:web;
//! - the [`Resolver`] trait and an [`OfflineResolver`] that never touches the network: `did:key` and
//!   `did:jwk` resolve from the identifier itself, `did:web` only from documents pinned by the
//!   caller (the trust list, in later steps).
//!
//! ## Getting a verification key for a `kid`
//! 1. Parse the `kid` with [`DidUrl::parse`] (DID syntax, method-specific syntax, fragment).
//! 2. [`Resolver::resolve`] its DID to a [`DidDocument`] (offline; unpinned did:web is
//!    [`DidError::NotFound`]).
//! 3. [`DidDocument::assertion_key`] with the fragment: the method must be in `assertionMethod`
//!    and hold an Ed25519 key; an X25519 key-agreement key never qualifies.
//!
//! [`Resolver::resolve_assertion_key`] does the three steps.
//!
//! ## Budgets
//! [`MAX_DID_LENGTH`] bounds every DID and DID URL, [`MAX_VERIFICATION_METHODS`] every parsed
//! document; both fail with [`DidError::TooLarge`].
//!
//! It does no I/O and depends on no other Dojang crate.

pub mod did_jwk;
pub mod did_key;
mod document;
pub mod ed25519;
mod error;
mod identifier;
mod jwk;
mod kid;
mod resolver;
mod strict_json;

pub use document::{DidDocument, Relationship, VerificationMethod, MAX_VERIFICATION_METHODS};
pub use error::DidError;
pub use identifier::{Did, DidUrl, MAX_DID_LENGTH};
pub use jwk::{PrivateJwk, PublicJwk, PRIVATE_JWK_MEMBERS};
pub use kid::{did_for_key, DidMethod};
pub use resolver::{OfflineResolver, Resolver};
