//! Processing Disclosures into claims: RFC 9901 §7.1, steps 3 to 5.
//!
//! Runs only after the issuer signature has been checked. Every `_sd` digest and every array
//! element `{"...": digest}` is matched against the Disclosures; the result is the payload with
//! the disclosed claims put back in place and everything else of SD-JWT removed.

use std::collections::{HashMap, HashSet};

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
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            PathSegment::Key(k) => k.clone(),
            PathSegment::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
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
    // Step 3.1: the hash algorithm, from the top level only.
    if let Some(alg) = payload.get("_sd_alg") {
        if alg.as_str() != Some(SD_ALG) {
            return Err(VcError::SdAlgUnsupported {
                alg: alg.as_str().map_or_else(|| alg.to_string(), str::to_owned),
            });
        }
    }
    let by_digest: HashMap<&str, usize> = disclosures
        .iter()
        .enumerate()
        .map(|(i, d)| (d.digest(), i))
        .collect();
    let mut walk = Walk {
        disclosures,
        by_digest,
        used: vec![false; disclosures.len()],
        seen: HashSet::with_capacity(64),
        nodes: Vec::with_capacity(disclosures.len()),
        budget,
    };
    let claims = walk.object(payload, &mut Vec::with_capacity(8), None, 0, true)?;
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

struct Walk<'a> {
    disclosures: &'a [Disclosure],
    by_digest: HashMap<&'a str, usize>,
    used: Vec<bool>,
    /// Every digest met so far, borrowed from the payload and the Disclosures.
    seen: HashSet<&'a str>,
    nodes: Vec<DisclosedNode>,
    budget: &'a Budget,
}

impl<'a> Walk<'a> {
    /// Records a digest; a digest seen twice anywhere is refused (RFC 9901 §7.1 step 4).
    fn claim_digest(&mut self, digest: &'a str) -> Result<Option<usize>, VcError> {
        if !self.seen.insert(digest) {
            return Err(VcError::DigestDuplicate);
        }
        Ok(self.by_digest.get(digest).copied())
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
        let mut out = Map::new();
        for (k, v) in obj {
            match k.as_str() {
                "_sd" => {}
                "_sd_alg" if top => {}
                "_sd_alg" => return Err(VcError::SdAlgMisplaced),
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
            if out.contains_key(name) {
                return Err(VcError::DisclosureClaimCollision { name: name.into() });
            }
            self.used[i] = true;
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
                        self.used[i] = true;
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
