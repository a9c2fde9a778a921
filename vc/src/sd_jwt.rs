//! The SD-JWT compact serialization (RFC 9901 §4): `<issuer JWT>~<D1>~…~<Dn>~[<KB-JWT>]`.

use crate::disclosure::Disclosure;
use crate::jws::{Jws, JwtPart};
use crate::{Budget, VcError};

/// An SD-JWT or SD-JWT+KB as received, split and decoded but not yet verified.
#[derive(Debug, Clone)]
pub struct SdJwt {
    issuer_jwt: Jws,
    disclosures: Vec<Disclosure>,
    key_binding: Option<Jws>,
    /// The exact text up to and including the last `~`: what `sd_hash` covers (RFC 9901 §4.3.1).
    presented: String,
}

impl SdJwt {
    /// Splits and decodes a compact SD-JWT, checking the budgets before the work they bound.
    ///
    /// Each Disclosure string must appear once (RFC 9901 §7.1 step 3.2.2: a Disclosure sent twice
    /// is refused). Decoding does not trust anything: call the verification steps next.
    pub fn parse(input: &str, budget: &Budget) -> Result<Self, VcError> {
        Budget::check("input_bytes", budget.max_input_bytes, input.len())?;
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
        let mut disclosures = Vec::with_capacity(encoded.len());
        let mut scratch = Vec::new();
        let mut failed = None;
        for d in encoded {
            if d.is_empty() {
                failed = Some(VcError::MalformedSdJwt {
                    reason: "an empty disclosure between two `~`",
                });
                break;
            }
            match Disclosure::parse_with(d, budget, &mut scratch) {
                Ok(d) => disclosures.push(d),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        // A Disclosure sent twice decodes as well as its first copy, so a repeat among those
        // decoded comes before the first failure. Sorted by digest, then text: equal strings end
        // up side by side, without hashing strings from outside.
        let mut order: Vec<(&str, &str)> = disclosures
            .iter()
            .map(|d| (d.digest(), d.as_str()))
            .collect();
        order.sort_unstable();
        if order.windows(2).any(|w| w[0].1 == w[1].1) {
            return Err(VcError::DisclosureDuplicate);
        }
        drop(order);
        if let Some(e) = failed {
            return Err(e);
        }
        let issuer_jwt = Jws::parse(jwt, budget, JwtPart::Issuer)?;
        let key_binding = if kb.is_empty() {
            None
        } else {
            Some(Jws::parse(kb, budget, JwtPart::KeyBinding)?)
        };
        Ok(Self {
            issuer_jwt,
            disclosures,
            key_binding,
            presented: presented.to_owned(),
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
    /// The KB-JWT, if the holder sent one.
    pub fn key_binding(&self) -> Option<&Jws> {
        self.key_binding.as_ref()
    }
    /// The text that `sd_hash` covers: the SD-JWT up to and including the last `~`.
    pub fn presented(&self) -> &str {
        &self.presented
    }
    /// The whole serialization (with the KB-JWT, if any).
    pub fn to_compact(&self) -> String {
        match &self.key_binding {
            Some(kb) => format!("{}{}", self.presented, kb.as_str()),
            None => self.presented.clone(),
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
