//! Presenting an SD-JWT with a chosen subset of its Disclosures (RFC 9901 §4, §5).
//!
//! Disclosing a claim sends the Disclosures on the way to it (a claim nested in a hidden parent
//! needs the parent) and every Disclosure beneath it (disclosing `address` shows the whole address;
//! `address.locality` shows only the locality).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::disclosure::Disclosure;
use crate::process::{path_to_string, ClaimPath, PathSegment, Processed};
use crate::sd_jwt::join;
use crate::VcError;

/// Parses `a.b.1` against the processed claims: a segment is an array index exactly where the
/// claim at that point is an array.
pub fn resolve_path(processed: &Processed, path: &str) -> Result<ClaimPath, VcError> {
    let unknown = || VcError::UnknownClaimPath {
        path: path.to_owned(),
    };
    if path.is_empty() {
        return Err(unknown());
    }
    let mut out = Vec::new();
    let mut here = Some(&processed.claims);
    let mut current: Option<&Value> = None;
    for seg in path.split('.') {
        let next = match (here, current) {
            (Some(obj), _) => obj.get(seg).map(|v| (PathSegment::Key(seg.to_owned()), v)),
            (None, Some(Value::Array(items))) => seg
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).map(|v| (PathSegment::Index(i), v))),
            (None, Some(Value::Object(obj))) => {
                obj.get(seg).map(|v| (PathSegment::Key(seg.to_owned()), v))
            }
            _ => None,
        };
        let (segment, value) = next.ok_or_else(unknown)?;
        out.push(segment);
        here = None;
        current = Some(value);
    }
    Ok(out)
}

/// The indices of the Disclosures needed to show the claims at `paths`: their ancestors and
/// everything beneath them.
pub fn select(processed: &Processed, paths: &[ClaimPath]) -> BTreeSet<usize> {
    let mut chosen = BTreeSet::new();
    for target in paths {
        for node in &processed.nodes {
            let ancestor = node.path.len() <= target.len() && target.starts_with(&node.path);
            let beneath = node.path.starts_with(target);
            if ancestor || beneath {
                chosen.insert(node.disclosure);
            }
        }
    }
    chosen
}

/// `<JWT>~<chosen Disclosures>~`, ready for a KB-JWT, in the order the issuer sent them.
pub fn presentation(jwt: &str, disclosures: &[Disclosure], chosen: &BTreeSet<usize>) -> String {
    join(
        jwt,
        disclosures
            .iter()
            .enumerate()
            .filter(|(i, _)| chosen.contains(i))
            .map(|(_, d)| d.as_str()),
    )
}

/// The claim paths of the Disclosures left out, for the wallet's record of what it withheld.
pub fn withheld(processed: &Processed, chosen: &BTreeSet<usize>) -> Vec<String> {
    processed
        .nodes
        .iter()
        .filter(|n| !chosen.contains(&n.disclosure))
        .map(|n| path_to_string(&n.path))
        .collect()
}

/// A presentation, with what it disclosed and withheld (for the holder's history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    /// `<JWT>~<chosen Disclosures>~<KB-JWT>`.
    pub text: String,
    /// The claim paths asked for.
    pub disclosed: Vec<String>,
    /// The claim paths of the Disclosures left out.
    pub withheld: Vec<String>,
}

/// Builds a key-bound presentation of the claims at `paths` from a full issuance.
///
/// The holder reads the structure of its own credential without checking the issuer signature
/// (the wallet checked it on import; the verifier checks it again).
pub fn present<S>(
    issued: &str,
    paths: &[String],
    aud: &str,
    nonce: &str,
    iat: i64,
    signer: &S,
) -> Result<Presentation, VcError>
where
    S: signature::Signer<ed25519_dalek::Signature> + ?Sized,
{
    let budget = crate::Budget::default();
    let sd = crate::SdJwt::parse(issued, &budget)?;
    let processed = crate::process::process(
        sd.issuer_jwt().unverified_payload(),
        sd.disclosures(),
        &budget,
    )?;
    let resolved = paths
        .iter()
        .map(|p| resolve_path(&processed, p))
        .collect::<Result<Vec<_>, _>>()?;
    let chosen = select(&processed, &resolved);
    let presented = presentation(sd.issuer_jwt().as_str(), sd.disclosures(), &chosen);
    let text = crate::key_binding::bind(&presented, aud, nonce, iat, signer)?;
    Ok(Presentation {
        text,
        disclosed: paths.to_vec(),
        withheld: withheld(&processed, &chosen),
    })
}
