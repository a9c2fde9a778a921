//! Processing Disclosures into claims: RFC 9901 §7.1, steps 3 to 5.
//!
//! Runs only after the issuer signature has been checked. Every `_sd` digest and every array
//! element `{"...": digest}` is matched against the Disclosures; the result is the payload with
//! the disclosed claims put back in place and everything else of SD-JWT removed.

use serde_json::{Map, Value};

use crate::disclosure::{Disclosure, SD_ALG};
use crate::{Budget, VcError};

/// One step of a claim path: an object member or an array position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathSegment {
    /// An object member.
    Key(String),
    /// An array position (in the fully disclosed array).
    Index(usize),
}

/// A claim path, such as `address.locality` or `nationalities.1`.
pub type ClaimPath = Vec<PathSegment>;

/// Formats a claim path with `.` between segments.
pub fn path_to_string(path: &[PathSegment]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(32);
    for (i, s) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match s {
            PathSegment::Key(k) => out.push_str(k),
            // Writing to a String cannot fail.
            PathSegment::Index(n) => {
                let _ = write!(out, "{n}");
            }
        }
    }
    out
}

/// Where one Disclosure landed in the processed claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosedNode {
    /// Index into the SD-JWT's Disclosures.
    pub disclosure: usize,
    /// The claim path it sets.
    pub path: ClaimPath,
    /// The Disclosure whose value contained its digest, if any.
    pub parent: Option<usize>,
}

/// The claims after processing, and where each Disclosure went.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The payload with disclosed claims in place and `_sd`, `_sd_alg`, `...` removed.
    pub claims: Map<String, Value>,
    /// One entry per Disclosure, in the order found.
    pub nodes: Vec<DisclosedNode>,
}

/// RFC 9901 §7.1 steps 3–5 over a verified payload.
pub fn process(
    payload: &Map<String, Value>,
    disclosures: &[Disclosure],
    budget: &Budget,
) -> Result<Processed, VcError> {
    process_omitting(payload, disclosures, budget, &[])
}

/// [`process`], leaving the payload's plain top-level claims named in `omit` out of the result
/// (a verifier that reads `cnf` or `status` from the payload itself need not copy them). They
/// still count as present: a Disclosure of the same name is a collision, as with [`process`].
pub fn process_omitting(
    payload: &Map<String, Value>,
    disclosures: &[Disclosure],
    budget: &Budget,
    omit: &[&str],
) -> Result<Processed, VcError> {
    // Step 3.1: the hash algorithm, from the top level only.
    if let Some(alg) = payload.get("_sd_alg") {
        if alg.as_str() != Some(SD_ALG) {
            return Err(VcError::SdAlgUnsupported {
                alg: alg.as_str().map_or_else(|| alg.to_string(), str::to_owned),
            });
        }
    }
    // Looked up by binary search: no hashing of strings the holder chose, and at most
    // `max_disclosures` entries (checked when the SD-JWT was parsed).
    let mut by_digest: Vec<(&str, usize)> = disclosures
        .iter()
        .enumerate()
        .map(|(i, d)| (d.digest(), i))
        .collect();
    by_digest.sort_unstable();
    let mut walk = Walk {
        disclosures,
        by_digest,
        used: vec![false; disclosures.len()],
        unmatched: Vec::with_capacity(64),
        nodes: Vec::with_capacity(disclosures.len()),
        budget,
        omit,
    };
    let claims = walk.object(payload, &mut Vec::with_capacity(8), None, 0, true);
    // A digest that matched no Disclosure and was met twice: the walk would have stopped there,
    // before anything it found later (the repeat is among the digests met before any error).
    if walk.repeated_unmatched() {
        return Err(VcError::DigestDuplicate);
    }
    let claims = claims?;
    // Step 4: every Disclosure must have been referenced.
    if walk.used.iter().any(|u| !u) {
        return Err(VcError::DisclosureUnreferenced);
    }
    Ok(Processed {
        claims,
        nodes: walk.nodes,
    })
}

/// A path segment borrowed from the payload or a Disclosure while walking; turned into an owned
/// [`PathSegment`] only for the nodes recorded (a handful), not for every member visited.
#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn owned_path(path: &[Segment<'_>]) -> ClaimPath {
    path.iter()
        .map(|s| match s {
            Segment::Key(k) => PathSegment::Key((*k).to_owned()),
            Segment::Index(i) => PathSegment::Index(*i),
        })
        .collect()
}

/// Whether `v` holds any member named `_sd`, `_sd_alg` or `...` at any depth: only then does
/// processing do more than copy it. (The depth is bounded by the JSON budget at parse time.)
fn has_sd_syntax(v: &Value) -> bool {
    match v {
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| matches!(k.as_str(), "_sd" | "_sd_alg" | "...") || has_sd_syntax(v)),
        Value::Array(a) => a.iter().any(has_sd_syntax),
        _ => false,
    }
}

struct Walk<'a> {
    disclosures: &'a [Disclosure],
    /// The Disclosures' digests with their index, sorted.
    by_digest: Vec<(&'a str, usize)>,
    /// Which Disclosures a digest has matched: a second match is a repeated digest.
    used: Vec<bool>,
    /// The digests that matched no Disclosure (decoys, undisclosed claims), checked for repeats
    /// once the walk ends, by sorting: no hash set over strings from outside, and no more entries
    /// than digests in the input. Any repeat was met before whatever stopped the walk.
    unmatched: Vec<&'a str>,
    nodes: Vec<DisclosedNode>,
    budget: &'a Budget,
    /// Plain top-level claims not copied into the result.
    omit: &'a [&'a str],
}

impl<'a> Walk<'a> {
    /// Records a digest; a digest seen twice anywhere is refused (RFC 9901 §7.1 step 4): at once
    /// when it matches a Disclosure, by [`Walk::repeated_unmatched`] otherwise.
    fn claim_digest(&mut self, digest: &'a str) -> Result<Option<usize>, VcError> {
        match self.by_digest.binary_search_by(|(d, _)| (*d).cmp(digest)) {
            Ok(at) => {
                let i = self.by_digest[at].1;
                if self.used[i] {
                    return Err(VcError::DigestDuplicate);
                }
                self.used[i] = true;
                Ok(Some(i))
            }
            Err(_) => {
                self.unmatched.push(digest);
                Ok(None)
            }
        }
    }

    /// Whether a digest that matched no Disclosure was met more than once.
    fn repeated_unmatched(&mut self) -> bool {
        self.unmatched.sort_unstable();
        self.unmatched.windows(2).any(|w| w[0] == w[1])
    }

    fn enter(&self, depth: usize) -> Result<usize, VcError> {
        let depth = depth + 1;
        Budget::check("disclosure_depth", self.budget.max_disclosure_depth, depth)?;
        Ok(depth)
    }

    fn value(
        &mut self,
        value: &'a Value,
        path: &mut Vec<Segment<'a>>,
        parent: Option<usize>,
        depth: usize,
    ) -> Result<Value, VcError> {
        Ok(match value {
            Value::Object(o) => Value::Object(self.object(o, path, parent, depth, false)?),
            Value::Array(a) => Value::Array(self.array(a, path, parent, depth)?),
            other => other.clone(),
        })
    }

    fn object(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &mut Vec<Segment<'a>>,
        parent: Option<usize>,
        depth: usize,
        top: bool,
    ) -> Result<Map<String, Value>, VcError> {
        let mut out = Map::with_capacity(obj.len());
        for (k, v) in obj {
            match k.as_str() {
                "_sd" => {}
                "_sd_alg" if top => {}
                "_sd_alg" => return Err(VcError::SdAlgMisplaced),
                // Nothing to process inside: no digest, no misplaced `_sd_alg`, only a copy.
                _ if top && self.omit.contains(&k.as_str()) && !has_sd_syntax(v) => {}
                _ => {
                    path.push(Segment::Key(k));
                    let processed = self.value(v, path, parent, depth)?;
                    path.pop();
                    out.insert(k.clone(), processed);
                }
            }
        }
        let Some(sd) = obj.get("_sd") else {
            return Ok(out);
        };
        let Value::Array(digests) = sd else {
            return Err(VcError::DigestContainerInvalid {
                reason: "_sd must be an array",
            });
        };
        Budget::check("sd_digests", self.budget.max_sd_digests, digests.len())?;
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(VcError::DigestContainerInvalid {
                    reason: "_sd must hold only strings",
                });
            };
            let Some(i) = self.claim_digest(digest)? else {
                continue; // a decoy, or a claim the holder did not disclose
            };
            let d: &'a Disclosure = &self.disclosures[i];
            let Some(name) = d.name() else {
                return Err(VcError::DisclosureWrongKind {
                    expected: 3,
                    found: 2,
                });
            };
            if name == "_sd" || name == "..." {
                return Err(VcError::DisclosureReservedName { name: name.into() });
            }
            // `_sd_alg` is never copied, and never a collision (as in `process`).
            let omitted =
                top && name != "_sd_alg" && obj.contains_key(name) && self.omit.contains(&name);
            if omitted || out.contains_key(name) {
                return Err(VcError::DisclosureClaimCollision { name: name.into() });
            }
            let inner = self.enter(depth)?;
            path.push(Segment::Key(name));
            self.nodes.push(DisclosedNode {
                disclosure: i,
                path: owned_path(path),
                parent,
            });
            let processed = self.value(d.value(), path, Some(i), inner)?;
            path.pop();
            out.insert(name.to_owned(), processed);
        }
        Ok(out)
    }

    fn array(
        &mut self,
        arr: &'a [Value],
        path: &mut Vec<Segment<'a>>,
        parent: Option<usize>,
        depth: usize,
    ) -> Result<Vec<Value>, VcError> {
        let mut out = Vec::with_capacity(arr.len());
        for element in arr {
            let digest = match element {
                Value::Object(o) if o.len() == 1 && o.contains_key("...") => match &o["..."] {
                    Value::String(s) => Some(s),
                    _ => {
                        return Err(VcError::DigestContainerInvalid {
                            reason: "`...` must be a string",
                        })
                    }
                },
                _ => None,
            };
            path.push(Segment::Index(out.len()));
            match digest {
                None => out.push(self.value(element, path, parent, depth)?),
                Some(digest) => {
                    if let Some(i) = self.claim_digest(digest)? {
                        let d: &'a Disclosure = &self.disclosures[i];
                        if d.name().is_some() {
                            return Err(VcError::DisclosureWrongKind {
                                expected: 2,
                                found: 3,
                            });
                        }
                        let inner = self.enter(depth)?;
                        self.nodes.push(DisclosedNode {
                            disclosure: i,
                            path: owned_path(path),
                            parent,
                        });
                        out.push(self.value(d.value(), path, Some(i), inner)?);
                    }
                }
            }
            path.pop();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn repeated_digests_are_refused_whether_or_not_they_match() {
        let b = Budget::default();
        let d = Disclosure::new(Some("name"), json!("홍길동"));
        let decoy = crate::disclosure::decoy_digest();
        let twice_matched = object(json!({"_sd": [d.digest(), d.digest()]}));
        let twice_decoy = object(json!({"_sd": [decoy, d.digest()], "x": {"_sd": [decoy]}}));
        for payload in [twice_matched, twice_decoy] {
            assert_eq!(
                process(&payload, std::slice::from_ref(&d), &b).unwrap_err(),
                VcError::DigestDuplicate
            );
        }
        // Whichever the walk meets first is reported (plain members come before `_sd`).
        let misplaced = json!({"_sd_alg": "sha-256"});
        let first = object(json!({"x": {"_sd": [decoy, decoy]}, "y": misplaced}));
        assert_eq!(
            process(&first, &[], &b).unwrap_err(),
            VcError::DigestDuplicate
        );
        let later = object(json!({"_sd": [decoy, decoy], "y": misplaced}));
        assert_eq!(
            process(&later, &[], &b).unwrap_err(),
            VcError::SdAlgMisplaced
        );
    }

    #[test]
    fn omitted_claims_are_left_out_but_still_collide() {
        let b = Budget::default();
        let name = Disclosure::new(Some("name"), json!("홍길동"));
        let payload = object(
            json!({"iss": "did:example:a", "cnf": {"jwk": {"kty": "OKP"}},
            "_sd": [name.digest()], "_sd_alg": "sha-256"}),
        );
        let all = process(&payload, std::slice::from_ref(&name), &b).unwrap();
        let some =
            process_omitting(&payload, std::slice::from_ref(&name), &b, &["iss", "cnf"]).unwrap();
        assert_eq!(some.nodes, all.nodes);
        assert_eq!(
            some.claims.keys().collect::<Vec<_>>(),
            vec!["name"],
            "{:?}",
            some.claims
        );
        assert_eq!(all.claims.len(), 3);
        let cnf = Disclosure::new(Some("cnf"), json!({}));
        let colliding = object(json!({"cnf": {}, "_sd": [cnf.digest()]}));
        for omit in [&[][..], &["cnf"][..]] {
            assert_eq!(
                process_omitting(&colliding, std::slice::from_ref(&cnf), &b, omit).unwrap_err(),
                VcError::DisclosureClaimCollision { name: "cnf".into() }
            );
        }
        // An omitted claim with digests inside is still processed.
        let inner = Disclosure::new(Some("k"), json!(1));
        let nested = object(json!({"status": {"_sd": [inner.digest()]}}));
        let p = process_omitting(&nested, std::slice::from_ref(&inner), &b, &["status"]).unwrap();
        assert_eq!(p.nodes.len(), 1);
    }
}
