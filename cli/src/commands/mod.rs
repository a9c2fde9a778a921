//! One module per top-level command.

pub(crate) mod audit;
pub(crate) mod bench;
pub(crate) mod demo;
pub(crate) mod issue;
pub(crate) mod issuer;
pub(crate) mod issuer_serve;
pub(crate) mod key;
pub(crate) mod load;
pub(crate) mod present;
pub(crate) mod sandbox;
pub(crate) mod trust;
pub(crate) mod verifier_serve;
pub(crate) mod verify;
pub(crate) mod wallet;
