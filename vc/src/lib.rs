//! # dojang-vc: the formats, and nothing else
//!
//! Pure code, no I/O: a strict SD-JWT codec (RFC 9901), the SD-JWT VC layer, key binding, and the
//! Korean civil-registry credential types. Roles (issuer, wallet, verifier) build on it.
//!
//! Reading order for a newcomer:
//! - [`json`](crate) strict parsing: duplicate keys refused at every depth, nesting bounded;
//! - [`jws`]: compact JWS, parsed with its exact bytes kept, verified with a key and algorithm
//!   the caller chose;
//! - [`disclosure`] and [`SdJwt`]: the pieces of an SD-JWT;
//! - [`issue`](issue()) / [`sd_jwt_vc::issue_vc`]: making one;
//! - [`process`](process::process): RFC 9901 §7.1 steps 3–5, putting disclosed claims back;
//! - [`present`]: choosing what to show;
//! - [`key_binding`]: the KB-JWT, made and checked (§7.3);
//! - [`credentials`]: 주민등록표 등본/초본 and 가족관계증명서;
//! - [`status_list`]: IETF Token Status List (revocation, suspension), bitstring and token;
//! - [`trust_list`]: the root-signed list of accredited issuers and relying parties;
//! - [`merkle`], [`log`] and [`log_inclusion`]: the issuance transparency log (RFC 9162 hashing),
//!   checkpoints and proofs.
//!
//! Every limit on untrusted input is a field of [`Budget`].

mod base64url;
mod budget;
pub mod credentials;
pub mod disclosure;
mod error;
mod issue;
mod json;
pub mod jws;
pub mod key_binding;
pub mod log;
pub mod log_inclusion;
pub mod merkle;
pub mod oid4vci;
pub mod oid4vp;
pub mod present;
pub mod process;
mod scratch;
mod sd_jwt;
pub mod sd_jwt_vc;
pub mod status_list;
#[cfg(test)]
mod test_files;
pub mod trust_list;

pub use budget::Budget;
pub use disclosure::Disclosure;
pub use error::VcError;
pub use issue::{issue, IssueOptions, Issued};
pub use jws::{Algorithm, Jws, JwtPart, VerificationKey, VERIFY_BATCH};
pub use process::{ClaimPath, PathSegment, Processed};
pub use sd_jwt::{join, SdJwt};
