//! The only way to hold a verified presentation: [`Verified`] can be made by the pipeline alone.

use dojang_vc::key_binding::KeyBindingClaims;
use dojang_vc::sd_jwt_vc::Validity;
use serde_json::{Map, Value};

/// Proof that the pipeline accepted the value inside. Its constructor is private to this crate,
/// so storage, policy and display code that takes `&Verified<_>` cannot be handed a raw token.
#[derive(Debug, Clone)]
pub struct Verified<T>(T);

impl<T> Verified<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(value)
    }
}

impl<T> std::ops::Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What a verified presentation establishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    /// The issuer (`iss`).
    pub issuer: String,
    /// The key id the issuer signed with.
    pub issuer_kid: Option<String>,
    /// The credential type (`vct`).
    pub vct: String,
    /// The subject claims the holder disclosed, plus the issuer's plain non-registered claims.
    pub claims: Map<String, Value>,
    /// The claim paths disclosed, in the order processed.
    pub disclosed: Vec<String>,
    /// Issued-at, expiry, not-before.
    pub validity: Validity,
    /// The holder binding, when a KB-JWT was checked.
    pub key_binding: Option<KeyBindingClaims>,
}
