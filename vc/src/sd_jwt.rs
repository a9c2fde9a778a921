//! The SD-JWT compact serialization (RFC 9901 §4): `<issuer JWT>~<D1>~…~<Dn>~[<KB-JWT>]`.

use std::sync::Arc;

use crate::disclosure::Disclosure;
use crate::jws::{Jws, JwtPart};
use crate::{Budget, VcError};

/// An SD-JWT or SD-JWT+KB as received, split and decoded but not yet verified.
#[derive(Clone)]
pub struct SdJwt {
    issuer_jwt: Jws,
    disclosures: Vec<Disclosure>,
    key_binding: Option<Jws>,
    /// The text received, kept once: the issuer JWT and the KB-JWT share it.
    text: Arc<String>,
    /// Its bytes up to and including the last `~`: what `sd_hash` covers (RFC 9901 §4.3.1).
    presented_len: usize,
}

impl std::fmt::Debug for SdJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdJwt")
            .field("issuer_jwt", &self.issuer_jwt)
            .field("disclosures", &self.disclosures)
            .field("key_binding", &self.key_binding)
            .field("presented", &self.presented())
            .finish()
    }
}

impl SdJwt {
    /// Splits and decodes a compact SD-JWT, checking the budgets before the work they bound.
    ///
    /// Each Disclosure string must appear once (RFC 9901 §7.1 step 3.2.2: a Disclosure sent twice
    /// is refused). Decoding does not trust anything: call the verification steps next.
    pub fn parse(input: &str, budget: &Budget) -> Result<Self, VcError> {
        budget.check_input_bytes(input.len())?;
        let input = input.trim_end_matches(['\r', '\n']);
        let Some(last_tilde) = input.rfind('~') else {
            return Err(VcError::MalformedSdJwt {
                reason: "no `~` separator: this is a plain JWT, not an SD-JWT",
            });
        };
        let (presented, kb) = input.split_at(last_tilde + 1);
        let mut parts = presented[..presented.len() - 1].split('~');
        let jwt = parts.next().unwrap_or("");
        if jwt.is_empty() {
            return Err(VcError::MalformedSdJwt {
                reason: "the issuer-signed JWT is empty",
            });
        }
        let encoded: Vec<&str> = parts.collect();
        Budget::check("disclosures", budget.max_disclosures, encoded.len())?;
        // The thread's vector, if processing the last presentation gave it back.
        let mut disclosures = crate::scratch::disclosures(encoded.len());
        let failed = crate::scratch::with_bytes(|scratch| {
            for d in encoded {
                if d.is_empty() {
                    return Some(VcError::MalformedSdJwt {
                        reason: "an empty disclosure between two `~`",
                    });
                }
                match Disclosure::parse_with(d, budget, scratch) {
                    Ok(d) => disclosures.push(d),
                    Err(e) => return Some(e),
                }
            }
            None
        });
        // A Disclosure sent twice decodes as well as its first copy, so a repeat among those
        // decoded comes before the first failure. Sorted by digest (its first eight bytes as a
        // number first, see `digest_prefix`), then text: equal strings end up side by side,
        // without hashing strings from outside.
        let mut order: Vec<(u64, &str, &str)> = disclosures
            .iter()
            .map(|d| {
                (
                    crate::process::digest_prefix(d.digest()),
                    d.digest(),
                    d.as_str(),
                )
            })
            .collect();
        order.sort_unstable();
        if order.windows(2).any(|w| w[0].2 == w[1].2) {
            return Err(VcError::DisclosureDuplicate);
        }
        drop(order);
        if let Some(e) = failed {
            return Err(e);
        }
        // One copy of the text (into the thread's buffer when the SD-JWT parsed before has been
        // dropped); the JWTs are read from it in place. The issuer JWT is its first part, the
        // KB-JWT follows the last `~`.
        let text = crate::scratch::shared_text(input);
        let issuer_jwt = Jws::parse_within(&text, 0..jwt.len(), budget, JwtPart::Issuer)?;
        let key_binding = if kb.is_empty() {
            None
        } else {
            Some(Jws::parse_within(
                &text,
                presented.len()..input.len(),
                budget,
                JwtPart::KeyBinding,
            )?)
        };
        Ok(Self {
            issuer_jwt,
            disclosures,
            key_binding,
            presented_len: presented.len(),
            text,
        })
    }

    /// The issuer-signed JWT.
    pub fn issuer_jwt(&self) -> &Jws {
        &self.issuer_jwt
    }
    /// The Disclosures, in the order received.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }
    /// Takes the Disclosures out, leaving none: for a verifier that processes them by value
    /// ([`crate::process::process_by_value`]). The presented text, which `sd_hash` covers, is
    /// kept as received.
    pub fn take_disclosures(&mut self) -> Vec<Disclosure> {
        std::mem::take(&mut self.disclosures)
    }
    /// The KB-JWT, if the holder sent one.
    pub fn key_binding(&self) -> Option<&Jws> {
        self.key_binding.as_ref()
    }
    /// The text that `sd_hash` covers: the SD-JWT up to and including the last `~`.
    pub fn presented(&self) -> &str {
        self.text.get(..self.presented_len).unwrap_or_default()
    }
    /// The whole serialization (with the KB-JWT, if any).
    pub fn to_compact(&self) -> String {
        match &self.key_binding {
            Some(kb) => format!("{}{}", self.presented(), kb.as_str()),
            None => self.presented().to_owned(),
        }
    }
}

/// Joins an issuer JWT and Disclosures into `<JWT>~<D1>~…~<Dn>~` (no KB-JWT).
pub fn join<'a>(jwt: &str, disclosures: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from(jwt);
    out.push('~');
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_errors() {
        let b = Budget::default();
        assert_eq!(
            SdJwt::parse("abc", &b).unwrap_err().code(),
            "malformed_sd_jwt"
        );
        assert_eq!(
            SdJwt::parse("~", &b).unwrap_err().code(),
            "malformed_sd_jwt"
        );
        let too_big = "a".repeat(b.max_input_bytes + 1);
        assert_eq!(
            SdJwt::parse(&too_big, &b).unwrap_err().code(),
            "limit_exceeded"
        );
        let many = format!("x.y.z{}~", "~WyJzIiwxXQ".repeat(b.max_disclosures + 1));
        assert_eq!(
            SdJwt::parse(&many, &b).unwrap_err().code(),
            "limit_exceeded"
        );
        assert_eq!(
            SdJwt::parse("x.y.z~WyJzIiwxXQ~WyJzIiwxXQ~", &b)
                .unwrap_err()
                .code(),
            "disclosure_duplicate"
        );
        assert_eq!(
            SdJwt::parse("x.y.z~~", &b).unwrap_err().code(),
            "malformed_sd_jwt"
        );
    }
}
