//! Test support for the cross-crate tests in this folder.
