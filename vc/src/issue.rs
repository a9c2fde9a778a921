//! Issuing an SD-JWT (RFC 9901 §4.1, §4.2): chosen claims become Disclosures, recursively, with
//! array elements disclosed one by one, optional decoy digests, and `_sd` sorted.

use ed25519_dalek::Signature;
use serde_json::{Map, Value};

use crate::disclosure::{decoy_digest, Disclosure, SD_ALG};
use crate::jws::sign_eddsa;
use crate::sd_jwt::join;
use crate::VcError;

/// How to shape the selectively disclosable part.
#[derive(Debug, Clone, Copy, Default)]
pub struct IssueOptions {
    /// Decoy digests added to every `_sd` array and every disclosable array (RFC 9901 §4.2.5), so
    /// that the number of real claims does not show.
    pub decoys: usize,
}

/// An issued SD-JWT with all of its Disclosures.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The issuer-signed JWT alone.
    pub jwt: String,
    /// Every Disclosure made, parents before children.
    pub disclosures: Vec<Disclosure>,
}

impl Issued {
    /// The SD-JWT with every Disclosure: `<JWT>~<D1>~…~<Dn>~`.
    pub fn to_compact(&self) -> String {
        join(&self.jwt, self.disclosures.iter().map(Disclosure::as_str))
    }
}

/// Signs an SD-JWT whose payload is `plain` (never disclosable: `iss`, `iat`, `cnf`, …) plus
/// every member of `disclosable`, each made selectively disclosable recursively.
pub fn issue<S>(
    header: &Map<String, Value>,
    plain: &Map<String, Value>,
    disclosable: &Map<String, Value>,
    options: IssueOptions,
    signer: &S,
) -> Result<Issued, VcError>
where
    S: signature::Signer<Signature> + ?Sized,
{
    let mut disclosures = Vec::new();
    let sd_part = conceal_object(disclosable, options, &mut disclosures);
    let mut payload = plain.clone();
    for (k, v) in sd_part {
        payload.insert(k, v);
    }
    payload.insert("_sd_alg".into(), Value::from(SD_ALG));
    let jwt = sign_eddsa(header, &payload, signer)?;
    Ok(Issued { jwt, disclosures })
}

/// Replaces every member of `obj` by a digest in `_sd`, after concealing its value recursively.
fn conceal_object(
    obj: &Map<String, Value>,
    options: IssueOptions,
    out: &mut Vec<Disclosure>,
) -> Map<String, Value> {
    let mut digests = Vec::with_capacity(obj.len() + options.decoys);
    for (name, value) in obj {
        let mut children = Vec::new();
        let concealed = conceal_value(value, options, &mut children);
        let d = Disclosure::new(Some(name), concealed);
        digests.push(d.digest().to_owned());
        // Parents precede their children in the output.
        out.push(d);
        out.append(&mut children);
    }
    digests.extend((0..options.decoys).map(|_| decoy_digest()));
    digests.sort();
    let mut result = Map::new();
    if !digests.is_empty() {
        result.insert(
            "_sd".into(),
            Value::Array(digests.into_iter().map(Value::from).collect()),
        );
    }
    result
}

fn conceal_value(value: &Value, options: IssueOptions, out: &mut Vec<Disclosure>) -> Value {
    match value {
        Value::Object(o) => Value::Object(conceal_object(o, options, out)),
        Value::Array(items) => {
            let mut elements = Vec::with_capacity(items.len() + options.decoys);
            for item in items {
                let mut children = Vec::new();
                let concealed = conceal_value(item, options, &mut children);
                let d = Disclosure::new(None, concealed);
                elements.push(serde_json::json!({ "...": d.digest() }));
                out.push(d);
                out.append(&mut children);
            }
            for _ in 0..options.decoys {
                let at = random_below(elements.len() + 1);
                elements.insert(at, serde_json::json!({ "...": decoy_digest() }));
            }
            Value::Array(elements)
        }
        other => other.clone(),
    }
}

fn random_below(n: usize) -> usize {
    let mut b = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    (u64::from_le_bytes(b) % n as u64) as usize
}
