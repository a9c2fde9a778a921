//! # dojang-vc: pure formats (placeholder, being written)

pub mod credentials;
