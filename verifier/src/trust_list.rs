//! Step 3 with a root of trust: issuers accredited by the ministry's trust list, and the chain
//! root → trust list → issuer → key shown as provenance.
//!
//! The verifier pins the root key in its configuration, loads the trust list from a file (or a
//! periodic fetch, never per verification), checks it with
//! [`dojang_vc::trust_list::verify_trust_list`] against the highest sequence number it has seen
//! ([`SeenSequence`]), and wraps the result in a [`TrustListTrust`] for the pipeline.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use std::collections::HashMap;
use std::sync::Arc;

use dojang_vc::trust_list::{AccreditedIssuer, VerifiedTrustList};
use dojang_vc::{VcError, VerificationKey};
use serde_json::{json, Value};

use crate::provenance::{self, ProvenanceEntry, Shape};
use crate::trust::IssuerTrust;
use crate::validity::Rfc3339;

/// The verifier's trust in issuers, from a verified trust list: an issuer is trusted for a `vct`
/// only if the list accredits it for that type, its accreditation is active, and the key named
/// (or the one key valid then) was valid at the credential's `iat`.
#[derive(Debug, Clone)]
pub struct TrustListTrust {
    list: VerifiedTrustList,
    /// What every verification under this list prints, prepared once.
    links: Arc<Links>,
}

/// The provenance and descriptions that depend on the list alone, built when the list is
/// wrapped: the list cannot change under a verifier (a new list is a new value).
#[derive(Debug)]
struct Links {
    /// The links that do not depend on the credential: root, trust list.
    head: Vec<ProvenanceEntry>,
    /// Per listed issuer: its `describe` line and its link for each listed type.
    issuers: HashMap<String, IssuerLinks>,
}

#[derive(Debug, Clone)]
struct IssuerLinks {
    describe: String,
    by_vct: HashMap<String, ProvenanceEntry>,
}

impl TrustListTrust {
    /// Trusts what `list` accredits.
    pub fn new(list: VerifiedTrustList) -> Self {
        let head = vec![
            ProvenanceEntry {
                step: "root",
                detail: provenance::text(format_args!(
                    "root key {} of {}, pinned in the verifier's configuration",
                    list.root_thumbprint(),
                    list.iss()
                )),
                data: Arc::new(json!({
                    "authority": list.iss(),
                    "thumbprint": list.root_thumbprint(),
                })),
            },
            ProvenanceEntry {
                step: "trust_list",
                detail: provenance::text(format_args!(
                    "trust list seq {} signed by the root at {}, valid until {}",
                    list.seq(),
                    Rfc3339(list.iat()),
                    Rfc3339(list.exp())
                )),
                data: Arc::new(json!({
                    "seq": list.seq(),
                    "iat": list.iat(),
                    "exp": list.exp(),
                })),
            },
        ];
        let issuers = list
            .list()
            .issuers
            .iter()
            .map(|issuer| {
                let by_vct = issuer
                    .vcts
                    .iter()
                    .map(|vct| (vct.clone(), issuer_link(issuer, vct)))
                    .collect();
                let describe = format!(
                    "{} ({}, {}) {} on trust list seq {} of {}, accredited for {}",
                    issuer.name_ko,
                    issuer.name_en,
                    issuer.did,
                    issuer.status.as_str(),
                    list.seq(),
                    list.iss(),
                    issuer.vcts.join(", ")
                );
                (issuer.did.clone(), IssuerLinks { describe, by_vct })
            })
            .collect();
        Self {
            list,
            links: Arc::new(Links { head, issuers }),
        }
    }

    /// The verified trust list.
    pub fn list(&self) -> &VerifiedTrustList {
        &self.list
    }

    /// The chain behind a credential from `iss`, of type `vct`, signed at `iat` with `kid`:
    /// the root key (its thumbprint), the trust list (sequence, dates), the issuer (DID, names,
    /// accredited types, status) and the key (kid, window). Links that do not exist (an unlisted
    /// issuer, an unknown key) are left out; the entries say whether each check held.
    pub fn provenance(
        &self,
        iss: &str,
        kid: Option<&str>,
        vct: &str,
        iat: i64,
    ) -> Vec<ProvenanceEntry> {
        let mut chain = Vec::with_capacity(self.links.head.len() + 5);
        chain.extend(self.links.head.iter().cloned());
        let Some(issuer) = self.list.issuer(iss) else {
            return chain;
        };
        chain.push(
            self.links
                .issuers
                .get(iss)
                .and_then(|links| links.by_vct.get(vct))
                .cloned()
                .unwrap_or_else(|| issuer_link(issuer, vct)),
        );
        let key = match kid {
            Some(kid) => issuer.keys.iter().find(|k| k.kid == kid),
            None => {
                let mut valid = issuer.keys.iter().filter(|k| k.valid_at(iat));
                match (valid.next(), valid.next()) {
                    (Some(k), None) => Some(k),
                    _ => None,
                }
            }
        };
        if let Some(key) = key {
            let valid = key.valid_at(iat);
            let verdict = if valid { "valid" } else { "not valid" };
            let from = Rfc3339(key.not_before);
            let detail = match key.not_after {
                Some(t) => provenance::text(format_args!(
                    "key {} valid from {from} until {}; {verdict} at iat {}",
                    key.kid,
                    Rfc3339(t),
                    Rfc3339(iat)
                )),
                None => provenance::text(format_args!(
                    "key {} valid from {from} open-ended; {verdict} at iat {}",
                    key.kid,
                    Rfc3339(iat)
                )),
            };
            chain.push(ProvenanceEntry {
                step: "key",
                detail,
                data: KEY_DATA.data([
                    ("kid", Value::from(key.kid.as_str())),
                    ("not_before", Value::from(key.not_before)),
                    ("not_after", key.not_after.map_or(Value::Null, Value::from)),
                    ("iat", Value::from(iat)),
                    ("valid_at_iat", Value::from(valid)),
                ]),
            });
        }
        chain
    }
}

impl IssuerTrust for TrustListTrust {
    fn issuer_key(
        &self,
        iss: &str,
        kid: Option<&str>,
        vct: &str,
        iat: i64,
    ) -> Result<VerificationKey, VcError> {
        let (_, _, key) = self.list.issuer_key(iss, kid, vct, iat)?;
        Ok(VerificationKey::Ed25519(key))
    }

    fn token_key(&self, iss: &str, kid: Option<&str>, at: i64) -> Result<VerificationKey, VcError> {
        let (_, _, key) = self.list.signing_key(iss, kid, at)?;
        Ok(VerificationKey::Ed25519(key))
    }

    fn describe(&self, iss: &str) -> String {
        match self.links.issuers.get(iss) {
            Some(links) => links.describe.clone(),
            None => format!(
                "{iss} is not on trust list seq {} of {}",
                self.list.seq(),
                self.list.iss()
            ),
        }
    }

    fn provenance(
        &self,
        iss: &str,
        kid: Option<&str>,
        vct: &str,
        iat: i64,
    ) -> Vec<ProvenanceEntry> {
        TrustListTrust::provenance(self, iss, kid, vct, iat)
    }
}

/// The `data` of the key link, made for every verification.
static KEY_DATA: Shape<5> = Shape::new();

/// The provenance link of `issuer` for a credential of type `vct`.
fn issuer_link(issuer: &AccreditedIssuer, vct: &str) -> ProvenanceEntry {
    let accredited = issuer.vcts.iter().any(|v| v == vct);
    ProvenanceEntry {
        step: "issuer",
        detail: provenance::text(format_args!(
            "{} ({}, {}): {}, {} for {vct}",
            issuer.name_ko,
            issuer.name_en,
            issuer.did,
            issuer.status.as_str(),
            if accredited {
                "accredited"
            } else {
                "not accredited"
            }
        )),
        data: Arc::new(json!({
            "did": issuer.did,
            "name_ko": issuer.name_ko,
            "name_en": issuer.name_en,
            "status": issuer.status.as_str(),
            "vcts": issuer.vcts,
            "accredited_for_vct": accredited,
        })),
    }
}

/// The verifier's rollback memory: the highest trust-list sequence number it has accepted, kept
/// in a small file (one decimal number). Pass [`SeenSequence::load`] as `newest_seen_seq` to
/// `verify_trust_list`, then [`SeenSequence::store`] the accepted list's `seq`.
///
/// The number only ever increases. Writes are atomic and durable: a temporary file in the same
/// folder, fsync, rename over the old file, fsync of the folder. One process writes the file;
/// two writers racing could each read the old number (see `specs/trust-model.md`).
#[derive(Debug)]
pub struct SeenSequence {
    _private: (),
}

impl SeenSequence {
    /// The stored sequence number; `None` when the file does not exist yet. A file that holds
    /// anything but one decimal number is an error ([`io::ErrorKind::InvalidData`]), never
    /// "nothing seen": that would reopen the door to a rollback.
    pub fn load(path: &Path) -> Result<Option<u64>, io::Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} does not hold a trust-list sequence number",
                    path.display()
                ),
            ));
        }
        trimmed.parse().map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })
    }

    /// Records `seq` as seen, unless a higher or equal number is already stored; returns the
    /// number stored afterwards. The file is durable when this returns.
    pub fn store(path: &Path, seq: u64) -> Result<u64, io::Error> {
        if let Some(seen) = Self::load(path)? {
            if seen >= seq {
                return Ok(seen);
            }
        }
        write_atomically(path, format!("{seq}\n").as_bytes())?;
        Ok(seq)
    }
}

/// Writes `bytes` to `path` atomically and durably: temp file, fsync, rename, fsync the folder.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), io::Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        // Best effort: the temporary file may not exist, or may already be renamed.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), io::Error> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), io::Error> {
    // Directories cannot be opened for fsync here; the rename is what the platform guarantees.
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
mod tests {
    use dojang_did::{PrivateJwk, PublicJwk};
    use dojang_vc::sd_jwt_vc::{issue_vc, VcIssuance};
    use dojang_vc::trust_list::{
        sign_trust_list, verify_trust_list, AccreditationStatus, AccreditedIssuer, IssuerKey,
        TrustList,
    };
    use dojang_vc::{Budget, IssueOptions};
    use serde_json::Map;

    use super::*;
    use crate::{verify, Inputs, Policy};

    const ROOT: &str = "did:web:mois.example";
    const JONGNO: &str = "did:web:jongno.example";
    const COPY: &str = "urn:dojang:kr:resident-registration-copy:1";
    const NOW: i64 = 1_760_000_000;
    const ROTATION: i64 = NOW - 1000;

    struct Setup {
        trust: TrustListTrust,
        old: PrivateJwk,
        new: PrivateJwk,
        root: PublicJwk,
    }

    fn setup() -> Setup {
        let root = PrivateJwk::generate();
        let old = PrivateJwk::generate();
        let new = PrivateJwk::generate();
        let list = TrustList {
            iss: ROOT.into(),
            seq: 3,
            iat: NOW - 10,
            exp: NOW + 86_400,
            issuers: vec![AccreditedIssuer {
                did: JONGNO.into(),
                name_ko: "서울특별시 종로구청".into(),
                name_en: "Jongno-gu Office".into(),
                status: AccreditationStatus::Active,
                vcts: vec![COPY.into()],
                keys: vec![
                    IssuerKey {
                        kid: format!("{JONGNO}#key-1"),
                        jwk: old.public().to_json(),
                        not_before: 0,
                        not_after: Some(ROTATION),
                    },
                    IssuerKey {
                        kid: format!("{JONGNO}#key-2"),
                        jwk: new.public().to_json(),
                        not_before: ROTATION,
                        not_after: None,
                    },
                ],
                status_list_base: None,
            }],
            relying_parties: vec![],
        };
        let token = sign_trust_list(&list, &format!("{ROOT}#root-1"), root.signing_key()).unwrap();
        let verified =
            verify_trust_list(&token, &root.public(), NOW, None, &Budget::default()).unwrap();
        Setup {
            trust: TrustListTrust::new(verified),
            old,
            new,
            root: root.public(),
        }
    }

    fn credential(key: &PrivateJwk, kid: &str, vct: &str, iat: i64) -> String {
        let claims = Map::new();
        let req = VcIssuance {
            issuer: JONGNO,
            kid,
            vct,
            holder: None,
            iat,
            exp: Some(NOW + 86_400),
            status: None,
            claims: &claims,
            always_visible: &[],
            options: IssueOptions::default(),
        };
        issue_vc(&req, key.signing_key()).unwrap().to_compact()
    }

    fn run(trust: &TrustListTrust, sd_jwt: &str) -> Result<(), String> {
        let policy = Policy {
            require_key_binding: false,
            ..Policy::default()
        };
        let inputs = Inputs {
            trust,
            policy: &policy,
            challenge: None,
            nonces: None,
            status: None,
            log: None,
            now: NOW,
        };
        verify(sd_jwt, &inputs)
            .result
            .map(|_| ())
            .map_err(|e| e.code().to_owned())
    }

    #[test]
    fn pipeline_accepts_keys_in_their_window_only() {
        let s = setup();
        let key1 = format!("{JONGNO}#key-1");
        let key2 = format!("{JONGNO}#key-2");
        assert_eq!(
            run(&s.trust, &credential(&s.old, &key1, COPY, ROTATION - 5)),
            Ok(())
        );
        assert_eq!(
            run(&s.trust, &credential(&s.new, &key2, COPY, ROTATION + 5)),
            Ok(())
        );
        assert_eq!(
            run(&s.trust, &credential(&s.old, &key1, COPY, ROTATION + 5)),
            Err("key_not_valid_at_iat".into())
        );
        // Signed with the old key but claiming the new kid: the signature fails.
        assert_eq!(
            run(&s.trust, &credential(&s.old, &key2, COPY, ROTATION + 5)),
            Err("signature_invalid".into())
        );
        assert_eq!(
            run(
                &s.trust,
                &credential(
                    &s.new,
                    &key2,
                    "urn:dojang:kr:family-relation-certificate:1",
                    NOW
                )
            ),
            Err("issuer_not_accredited".into())
        );
    }

    #[test]
    fn describe_and_provenance_name_the_chain() {
        let s = setup();
        let text = s.trust.describe(JONGNO);
        assert!(text.contains("서울특별시 종로구청"), "{text}");
        assert!(text.contains("Jongno-gu Office"), "{text}");
        assert!(text.contains("seq 3"), "{text}");
        assert!(text.contains(COPY), "{text}");
        let trait_object: &dyn IssuerTrust = &s.trust;
        let chain = trait_object.provenance(JONGNO, Some(&format!("{JONGNO}#key-1")), COPY, 5);
        let steps: Vec<_> = chain.iter().map(|e| e.step).collect();
        assert_eq!(steps, ["root", "trust_list", "issuer", "key"]);
        assert_eq!(chain[0].data["thumbprint"], s.root.thumbprint());
        assert_eq!(chain[1].data["seq"], 3);
        assert_eq!(chain[2].data["accredited_for_vct"], true);
        assert_eq!(chain[3].data["not_after"], ROTATION);
        assert_eq!(chain[3].data["valid_at_iat"], true);
        // An unknown issuer: the chain stops at the list.
        assert_eq!(
            s.trust
                .provenance("did:web:x.example", None, COPY, NOW)
                .len(),
            2
        );
        // The default for other trust sources is no chain.
        let plain = crate::TrustedIssuers::new();
        assert!(IssuerTrust::provenance(&plain, JONGNO, None, COPY, NOW).is_empty());
        serde_json::to_string(&chain).unwrap();
    }

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "dojang-seen-{}-{name}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("trust-list.seq")
    }

    static COUNTER: AtomicU64 = AtomicU64::new(0);

    #[test]
    fn seen_sequence_only_increases() {
        let path = temp_path("inc");
        assert_eq!(SeenSequence::load(&path).unwrap(), None);
        assert_eq!(SeenSequence::store(&path, 5).unwrap(), 5);
        assert_eq!(SeenSequence::load(&path).unwrap(), Some(5));
        assert_eq!(SeenSequence::store(&path, 3).unwrap(), 5);
        assert_eq!(SeenSequence::load(&path).unwrap(), Some(5));
        assert_eq!(SeenSequence::store(&path, 9).unwrap(), 9);
        assert_eq!(SeenSequence::load(&path).unwrap(), Some(9));
        // No temporary files left behind.
        let dir = path.parent().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("trust-list.seq")]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn corrupt_seen_sequence_is_an_error_not_nothing() {
        let path = temp_path("corrupt");
        std::fs::write(&path, "seven\n").unwrap();
        assert_eq!(
            SeenSequence::load(&path).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert!(SeenSequence::store(&path, 8).is_err());
        std::fs::write(&path, "").unwrap();
        assert!(SeenSequence::load(&path).is_err());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn rollback_with_the_remembered_sequence() {
        let root = PrivateJwk::generate();
        let sign = |seq| {
            let list = TrustList {
                iss: ROOT.into(),
                seq,
                iat: NOW - 10,
                exp: NOW + 10,
                issuers: vec![],
                relying_parties: vec![],
            };
            sign_trust_list(&list, "did:web:mois.example#root-1", root.signing_key()).unwrap()
        };
        let path = temp_path("rollback");
        let accept = |token: &str| {
            let seen = SeenSequence::load(&path).unwrap();
            let list = verify_trust_list(token, &root.public(), NOW, seen, &Budget::default())?;
            SeenSequence::store(&path, list.seq()).unwrap();
            Ok::<_, VcError>(list.seq())
        };
        assert_eq!(accept(&sign(2)), Ok(2));
        assert_eq!(accept(&sign(4)), Ok(4));
        assert_eq!(accept(&sign(4)), Ok(4));
        assert_eq!(
            accept(&sign(3)),
            Err(VcError::TrustListRollback { seq: 3, seen: 4 })
        );
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
