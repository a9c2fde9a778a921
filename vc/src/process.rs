//! Processing Disclosures into claims: RFC 9901 §7.1, steps 3 to 5.
//!
//! Runs only after the issuer signature has been checked. Every `_sd` digest and every array
//! element `{"...": digest}` is matched against the Disclosures; the result is the payload with
//! the disclosed claims put back in place and everything else of SD-JWT removed.

use std::borrow::Cow;

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
    check_sd_alg(payload)?;
    let mut walk = Walk::new(
        payload,
        disclosures,
        Vec::new(),
        budget,
        omit,
        Paths::Segments,
    );
    let claims = walk.run()?;
    Ok(Processed {
        claims,
        nodes: walk.nodes,
    })
}

/// The claims after processing, and the path of each Disclosure as text: what a verifier keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosedClaims {
    /// The payload with disclosed claims in place and `_sd`, `_sd_alg`, `...` removed, exactly as
    /// [`Processed::claims`].
    pub claims: Map<String, Value>,
    /// [`path_to_string`] of each [`DisclosedNode::path`], in the same order.
    pub paths: Vec<String>,
}

/// [`process_omitting`], taking the Disclosures by value: each disclosed value moves into the
/// claims instead of being copied (a Disclosure is used at most once), and each claim path is
/// written once as text. Accepts and refuses exactly what [`process_omitting`] does, with the
/// same error, and yields the same claims in the same order.
pub fn process_by_value(
    payload: &Map<String, Value>,
    mut disclosures: Vec<Disclosure>,
    budget: &Budget,
    omit: &[&str],
) -> Result<DisclosedClaims, VcError> {
    check_sd_alg(payload)?;
    let values: Vec<Value> = disclosures.iter_mut().map(Disclosure::take_value).collect();
    let mut walk = Walk::new(payload, &disclosures, values, budget, omit, Paths::Text);
    let claims = walk.run();
    let paths = std::mem::take(&mut walk.texts);
    drop(walk);
    // The vector is the thread's again, for the next presentation parsed.
    crate::scratch::keep_disclosures(disclosures);
    Ok(DisclosedClaims {
        claims: claims?,
        paths,
    })
}

/// Step 3.1: the hash algorithm, from the top level only.
fn check_sd_alg(payload: &Map<String, Value>) -> Result<(), VcError> {
    if let Some(alg) = crate::json::member(payload, "_sd_alg") {
        if alg.as_str() != Some(SD_ALG) {
            return Err(VcError::SdAlgUnsupported {
                alg: alg.as_str().map_or_else(|| alg.to_string(), str::to_owned),
            });
        }
    }
    Ok(())
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

/// A value being processed: borrowed from the payload (or from Disclosures the caller keeps),
/// and copied into the result; or given up by the caller, and moved into it.
enum Input<'a> {
    Borrowed(&'a Value),
    Owned(Value),
}

impl Input<'_> {
    fn as_value(&self) -> &Value {
        match self {
            Input::Borrowed(v) => v,
            Input::Owned(v) => v,
        }
    }
}

/// The members of an object being processed, in order.
enum Members<'a> {
    Borrowed(serde_json::map::Iter<'a>),
    Owned(serde_json::map::IntoIter),
}

impl<'a> Iterator for Members<'a> {
    type Item = (Cow<'a, str>, Input<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Members::Borrowed(it) => it
                .next()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Input::Borrowed(v))),
            Members::Owned(it) => it.next().map(|(k, v)| (Cow::Owned(k), Input::Owned(v))),
        }
    }
}

/// The elements of an array being processed, in order.
enum Elements<'a> {
    Borrowed(std::slice::Iter<'a, Value>),
    Owned(std::vec::IntoIter<Value>),
}

impl<'a> Iterator for Elements<'a> {
    type Item = Input<'a>;
    fn next(&mut self) -> Option<Input<'a>> {
        match self {
            Elements::Borrowed(it) => it.next().map(Input::Borrowed),
            Elements::Owned(it) => it.next().map(Input::Owned),
        }
    }
}

impl<'a> Elements<'a> {
    fn of(input: Input<'a>) -> Result<(Self, usize), Input<'a>> {
        match input {
            Input::Borrowed(Value::Array(a)) => Ok((Elements::Borrowed(a.iter()), a.len())),
            Input::Owned(Value::Array(a)) => {
                let n = a.len();
                Ok((Elements::Owned(a.into_iter()), n))
            }
            other => Err(other),
        }
    }
}

/// An array element `{"...": digest}` (RFC 9901 §4.2.4.2): its digest, or the element given
/// back if it has another shape.
fn array_digest(element: Input<'_>) -> Result<Result<Cow<'_, str>, Input<'_>>, VcError> {
    let invalid = VcError::DigestContainerInvalid {
        reason: "`...` must be a string",
    };
    match element {
        Input::Borrowed(Value::Object(o)) if is_digest_container(o) => match o.values().next() {
            Some(Value::String(s)) => Ok(Ok(Cow::Borrowed(s))),
            _ => Err(invalid),
        },
        Input::Owned(Value::Object(o)) if is_digest_container(&o) => match o.into_iter().next() {
            Some((_, Value::String(s))) => Ok(Ok(Cow::Owned(s))),
            _ => Err(invalid),
        },
        other => Ok(Err(other)),
    }
}

/// Whether `o` has the one member `...`: its only name is compared, not hashed for a look-up.
fn is_digest_container(o: &Map<String, Value>) -> bool {
    o.len() == 1 && o.keys().next().is_some_and(|name| name == "...")
}

/// Which form the walk records each Disclosure's claim path in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Paths {
    /// [`DisclosedNode`]s with their [`ClaimPath`].
    Segments,
    /// Only the path as text ([`path_to_string`]).
    Text,
}

/// One segment of the claim path being walked.
#[derive(Clone, Copy)]
enum Segment {
    /// An object member, at this range of the path text.
    Key(usize, usize),
    /// An array position.
    Index(usize),
}

/// A Disclosure's digest, its index, and whether a digest has matched it yet.
struct Slot<'a> {
    /// The digest's first bytes, compared before the rest.
    prefix: u64,
    digest: &'a str,
    index: usize,
    used: bool,
}

/// The first eight bytes of `s` as a big-endian number (zero-padded): ordering digests by it,
/// then by the whole text, is a total order in which equal texts are adjacent, and two digests
/// almost always differ in it (a digest is base64url of a hash), so that comparisons are mostly
/// one integer comparison rather than a call to `memcmp`.
#[inline]
pub(crate) fn digest_prefix(s: &str) -> u64 {
    let mut first = [0u8; 8];
    let n = s.len().min(8);
    first[..n].copy_from_slice(&s.as_bytes()[..n]);
    u64::from_be_bytes(first)
}

struct Walk<'a> {
    payload: &'a Map<String, Value>,
    disclosures: &'a [Disclosure],
    /// The Disclosures' values, when the caller gave them up (one per Disclosure, each taken
    /// when its digest matches); empty when they are borrowed and copied.
    values: Vec<Value>,
    /// The Disclosures' digests with their index, sorted: looked up by binary search, with no
    /// hashing of strings the holder chose, and at most `max_disclosures` entries (checked when
    /// the SD-JWT was parsed). A second match is a repeated digest.
    by_digest: Vec<Slot<'a>>,
    /// The digests that matched no Disclosure (decoys, undisclosed claims), checked for repeats
    /// once the walk ends, by sorting: no hash set over strings from outside, and no more entries
    /// than digests in the input. Any repeat was met before whatever stopped the walk. Each is
    /// kept with its [`digest_prefix`], computed once rather than at every comparison.
    unmatched: Vec<(u64, Cow<'a, str>)>,
    /// The claim path being walked, as [`path_to_string`] writes it, and its segments.
    path: String,
    segments: Vec<Segment>,
    paths: Paths,
    nodes: Vec<DisclosedNode>,
    texts: Vec<String>,
    budget: &'a Budget,
    /// Plain top-level claims not copied into the result.
    omit: &'a [&'a str],
}

impl<'a> Walk<'a> {
    fn new(
        payload: &'a Map<String, Value>,
        disclosures: &'a [Disclosure],
        values: Vec<Value>,
        budget: &'a Budget,
        omit: &'a [&'a str],
        paths: Paths,
    ) -> Self {
        let mut by_digest: Vec<Slot<'a>> = disclosures
            .iter()
            .enumerate()
            .map(|(index, d)| Slot {
                prefix: digest_prefix(d.digest()),
                digest: d.digest(),
                index,
                used: false,
            })
            .collect();
        by_digest.sort_unstable_by(|a, b| {
            (a.prefix, a.digest, a.index).cmp(&(b.prefix, b.digest, b.index))
        });
        let n = disclosures.len();
        Self {
            payload,
            disclosures,
            values,
            by_digest,
            // Room for the decoys and undisclosed claims of a large credential, below the
            // 1 KiB from which glibc's malloc takes its slow path (30 entries of 32 bytes).
            unmatched: Vec::with_capacity(30),
            path: String::with_capacity(64),
            segments: Vec::with_capacity(8),
            paths,
            nodes: Vec::with_capacity(if paths == Paths::Segments { n } else { 0 }),
            texts: Vec::with_capacity(if paths == Paths::Text { n } else { 0 }),
            budget,
            omit,
        }
    }

    /// Steps 3–4 over the whole payload.
    fn run(&mut self) -> Result<Map<String, Value>, VcError> {
        let payload = self.payload;
        let claims = self.object(
            Members::Borrowed(payload.iter()),
            payload.len(),
            None,
            0,
            true,
        );
        // A digest that matched no Disclosure and was met twice: the walk would have stopped
        // there, before anything it found later (the repeat is among the digests met before
        // any error).
        if self.repeated_unmatched() {
            return Err(VcError::DigestDuplicate);
        }
        let claims = claims?;
        // Step 4: every Disclosure must have been referenced.
        if self.by_digest.iter().any(|s| !s.used) {
            return Err(VcError::DisclosureUnreferenced);
        }
        Ok(claims)
    }

    /// Records a digest; a digest seen twice anywhere is refused (RFC 9901 §7.1 step 4): at once
    /// when it matches a Disclosure, by [`Walk::repeated_unmatched`] otherwise.
    fn claim_digest(&mut self, digest: Cow<'a, str>) -> Result<Option<usize>, VcError> {
        let key = digest_prefix(&digest);
        match self
            .by_digest
            .binary_search_by(|s| (s.prefix, s.digest).cmp(&(key, digest.as_ref())))
        {
            Ok(at) => {
                let slot = &mut self.by_digest[at];
                if slot.used {
                    return Err(VcError::DigestDuplicate);
                }
                slot.used = true;
                Ok(Some(slot.index))
            }
            Err(_) => {
                self.unmatched.push((key, digest));
                Ok(None)
            }
        }
    }

    /// Whether a digest that matched no Disclosure was met more than once.
    fn repeated_unmatched(&mut self) -> bool {
        // By prefix, then by text: equal digests end up side by side.
        self.unmatched.sort_unstable();
        self.unmatched.windows(2).any(|w| w[0] == w[1])
    }

    fn enter(&self, depth: usize) -> Result<usize, VcError> {
        let depth = depth + 1;
        Budget::check("disclosure_depth", self.budget.max_disclosure_depth, depth)?;
        Ok(depth)
    }

    /// The value of Disclosure `i`, matched once: moved out if the caller gave it up.
    fn disclosed_value(&mut self, i: usize) -> Input<'a> {
        match self.values.get_mut(i) {
            Some(v) => Input::Owned(std::mem::take(v)),
            None => Input::Borrowed(self.disclosures[i].value()),
        }
    }

    fn push_key(&mut self, key: &str) -> usize {
        let mark = self.path.len();
        if !self.segments.is_empty() {
            self.path.push('.');
        }
        let start = self.path.len();
        self.path.push_str(key);
        self.segments.push(Segment::Key(start, self.path.len()));
        mark
    }

    fn push_index(&mut self, index: usize) -> usize {
        let mark = self.path.len();
        if !self.segments.is_empty() {
            self.path.push('.');
        }
        // Every array element of the payload pushes its index: no formatting machinery.
        self.path.push_str(itoa::Buffer::new().format(index));
        self.segments.push(Segment::Index(index));
        mark
    }

    fn pop(&mut self, mark: usize) {
        self.path.truncate(mark);
        self.segments.pop();
    }

    /// Notes that Disclosure `i` sets the claim at the current path.
    fn record(&mut self, disclosure: usize, parent: Option<usize>) {
        match self.paths {
            Paths::Text => self.texts.push(self.path.clone()),
            Paths::Segments => {
                let path = self
                    .segments
                    .iter()
                    .map(|s| match *s {
                        Segment::Key(start, end) => {
                            PathSegment::Key(self.path.get(start..end).unwrap_or("").to_owned())
                        }
                        Segment::Index(i) => PathSegment::Index(i),
                    })
                    .collect();
                self.nodes.push(DisclosedNode {
                    disclosure,
                    path,
                    parent,
                });
            }
        }
    }

    fn value(
        &mut self,
        input: Input<'a>,
        parent: Option<usize>,
        depth: usize,
    ) -> Result<Value, VcError> {
        Ok(match input {
            Input::Borrowed(Value::Object(o)) => Value::Object(self.object(
                Members::Borrowed(o.iter()),
                o.len(),
                parent,
                depth,
                false,
            )?),
            Input::Owned(Value::Object(o)) => {
                let n = o.len();
                Value::Object(self.object(
                    Members::Owned(o.into_iter()),
                    n,
                    parent,
                    depth,
                    false,
                )?)
            }
            Input::Borrowed(Value::Array(a)) => {
                Value::Array(self.array(Elements::Borrowed(a.iter()), a.len(), parent, depth)?)
            }
            Input::Owned(Value::Array(a)) => {
                let n = a.len();
                Value::Array(self.array(Elements::Owned(a.into_iter()), n, parent, depth)?)
            }
            Input::Borrowed(other) => other.clone(),
            Input::Owned(other) => other,
        })
    }

    /// An object's members in order, then the claims its `_sd` digests disclose. `top` is the
    /// payload itself (borrowed, never given up).
    fn object(
        &mut self,
        members: Members<'a>,
        len: usize,
        parent: Option<usize>,
        depth: usize,
        top: bool,
    ) -> Result<Map<String, Value>, VcError> {
        let mut out = Map::with_capacity(len);
        let mut sd = None;
        for (k, v) in members {
            match k.as_ref() {
                "_sd" => sd = Some(v),
                "_sd_alg" if top => {}
                "_sd_alg" => return Err(VcError::SdAlgMisplaced),
                // Nothing to process inside: no digest, no misplaced `_sd_alg`, only a copy.
                name if top && self.omit.contains(&name) && !has_sd_syntax(v.as_value()) => {}
                _ => {
                    let mark = self.push_key(&k);
                    let processed = self.value(v, parent, depth)?;
                    self.pop(mark);
                    out.insert(k.into_owned(), processed);
                }
            }
        }
        let Some(sd) = sd else {
            return Ok(out);
        };
        let Ok((digests, count)) = Elements::of(sd) else {
            return Err(VcError::DigestContainerInvalid {
                reason: "_sd must be an array",
            });
        };
        Budget::check("sd_digests", self.budget.max_sd_digests, count)?;
        for digest in digests {
            let digest = match digest {
                Input::Borrowed(Value::String(s)) => Cow::Borrowed(s.as_str()),
                Input::Owned(Value::String(s)) => Cow::Owned(s),
                _ => {
                    return Err(VcError::DigestContainerInvalid {
                        reason: "_sd must hold only strings",
                    })
                }
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
            // `_sd_alg` is never copied, and never a collision (as in `process`). At the top,
            // the object is the payload, looked up only for a name on the short `omit` list.
            let omitted = top
                && name != "_sd_alg"
                && self.omit.contains(&name)
                && self.payload.contains_key(name);
            if omitted {
                return Err(VcError::DisclosureClaimCollision { name: name.into() });
            }
            // The claim's place, found once for the check and the insert.
            let serde_json::map::Entry::Vacant(place) = out.entry(name) else {
                return Err(VcError::DisclosureClaimCollision { name: name.into() });
            };
            let inner = self.enter(depth)?;
            let mark = self.push_key(name);
            self.record(i, parent);
            let disclosed = self.disclosed_value(i);
            let processed = self.value(disclosed, Some(i), inner)?;
            self.pop(mark);
            place.insert(processed);
        }
        Ok(out)
    }

    fn array(
        &mut self,
        elements: Elements<'a>,
        len: usize,
        parent: Option<usize>,
        depth: usize,
    ) -> Result<Vec<Value>, VcError> {
        let mut out = Vec::with_capacity(len);
        for element in elements {
            let digest = array_digest(element)?;
            let mark = self.push_index(out.len());
            match digest {
                Err(element) => out.push(self.value(element, parent, depth)?),
                Ok(digest) => {
                    if let Some(i) = self.claim_digest(digest)? {
                        let d: &'a Disclosure = &self.disclosures[i];
                        if d.name().is_some() {
                            return Err(VcError::DisclosureWrongKind {
                                expected: 2,
                                found: 3,
                            });
                        }
                        let inner = self.enter(depth)?;
                        self.record(i, parent);
                        let disclosed = self.disclosed_value(i);
                        out.push(self.value(disclosed, Some(i), inner)?);
                    }
                }
            }
            self.pop(mark);
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

    /// Every SD-JWT of the adversarial corpus and the published vectors.
    fn presentations() -> Vec<String> {
        let files = crate::test_files::files_under(&["corpus/cases", "vectors"]);
        let mut out = Vec::new();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            if let Ok(Value::Object(case)) = serde_json::from_str::<Value>(&text) {
                if let Some(Value::String(input)) = case.get("input") {
                    out.push(input.clone());
                }
            } else if text.contains('~') {
                out.push(text.trim().to_owned());
            }
        }
        out
    }

    fn same_claims(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
        a == b && serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
    }

    #[test]
    fn by_value_agrees_with_processing_by_reference() {
        let parse_budget = Budget::default();
        let mut budgets = vec![parse_budget];
        for (depth, digests) in [(0, 1024), (1, 1024), (2, 1024), (16, 0), (16, 1), (16, 3)] {
            budgets.push(Budget {
                max_disclosure_depth: depth,
                max_sd_digests: digests,
                ..parse_budget
            });
        }
        let mut compared = 0;
        let mut accepted = 0;
        for text in presentations() {
            let Ok(sd) = crate::SdJwt::parse(&text, &parse_budget) else {
                continue;
            };
            let payload = sd.issuer_jwt().unverified_payload();
            let all = sd.disclosures().to_vec();
            // As presented, one left out, and in reverse order.
            let mut sets = vec![all.clone(), all.iter().rev().cloned().collect()];
            if !all.is_empty() {
                sets.push(all[1..].to_vec());
            }
            for set in &sets {
                for b in &budgets {
                    for omit in [&[][..], crate::sd_jwt_vc::NON_DISCLOSABLE] {
                        let by_ref = process_omitting(payload, set, b, omit);
                        let by_value = process_by_value(payload, set.clone(), b, omit);
                        compared += 1;
                        match (&by_ref, &by_value) {
                            (Ok(r), Ok(v)) => {
                                accepted += 1;
                                assert!(same_claims(&r.claims, &v.claims), "{text}");
                                let paths: Vec<String> =
                                    r.nodes.iter().map(|n| path_to_string(&n.path)).collect();
                                assert_eq!(paths, v.paths, "{text}");
                            }
                            (Err(r), Err(v)) => assert_eq!(r, v, "{text}"),
                            _ => panic!("{text}: {by_ref:?} against {by_value:?}"),
                        }
                    }
                }
            }
        }
        assert!(compared > 2000 && accepted > 200, "{compared} {accepted}");
    }
}
