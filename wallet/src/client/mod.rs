//! The wallet as a protocol client: receiving credentials over OpenID4VCI 1.0 ([`receive`]) and
//! answering presentation requests over OpenID4VP 1.0 ([`respond`]), over blocking HTTP with a
//! time and size budget ([`http`]). The message types are `dojang_vc::oid4vci` and
//! `dojang_vc::oid4vp`; this module only moves them and decides what the holder sees.

mod http;
mod receive;
mod respond;

pub use receive::{fetch_offer, receive, receive_offer};
pub use respond::{respond, ConsentView, RespondOutcome};
