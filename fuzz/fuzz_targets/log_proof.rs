//! The issuance transparency log: inclusion bundles, consistency proofs, checkpoints and leaves
//! (vc::merkle, vc::log, vc::log_inclusion, and the verifier's `verify_inclusion` and
//! `check_consistency`), against a fixed log of 32 leaves whose checkpoints the issuer (the
//! adversarial corpus's, so its bundles verify) signed at every size. The first byte chooses:
//!
//! - 0: the rest is a `LogInclusion` bundle as JSON (what a wallet keeps and
//!   `dojang verify --log-inclusion` reads);
//! - 1: two bytes choose the older and newer checkpoint, the rest is a consistency proof's JSON;
//! - 2: raw RFC 9162 verification: bytes choose the leaf, index, tree size and the proof's
//!   hashes (taken from the honest proof, the leaves, the tree heads or the input);
//! - 3: the rest is read as a leaf, an inclusion proof, a consistency proof and a checkpoint.
//!
//! Invariants (soundness and completeness): an honest proof always verifies; any proof that
//! verifies against a tree head of the fixed log is the honest proof, for the leaf that is really
//! at that index; a verified bundle no longer verifies once its leaf changes.
#![no_main]

use dojang_fuzz::fixtures::{self, LOG_LEAVES};
use dojang_fuzz::split_mode;
use dojang_vc::log::{
    checkpoint_kid, encode_hash, verify_checkpoint, ConsistencyProof, InclusionProof, LogLeaf,
};
use dojang_vc::log_inclusion::LogInclusion;
use dojang_vc::merkle::{self, Hash};
use dojang_vc::Budget;
use dojang_verifier::{check_consistency, verify_inclusion};
use libfuzzer_sys::fuzz_target;

fn size_of(b: u8) -> u64 {
    u64::from(b) % (LOG_LEAVES + 1)
}

fn root(size: u64) -> Hash {
    fixtures::log().tree.root(size).unwrap_or_default()
}

fn checkpoint(size: u64) -> &'static str {
    let cps = &fixtures::log().checkpoints;
    usize::try_from(size)
        .ok()
        .and_then(|i| cps.get(i))
        .map_or("", String::as_str)
}

fn honest_inclusion(index: u64, size: u64) -> Option<Vec<Hash>> {
    fixtures::log().tree.inclusion_proof(index, size).ok()
}

fn honest_consistency(old: u64, new: u64) -> Option<Vec<Hash>> {
    fixtures::log().tree.consistency_proof(old, new).ok()
}

fn leaf_at(index: u64) -> Option<Hash> {
    let log = fixtures::log();
    usize::try_from(index)
        .ok()
        .and_then(|i| log.hashes.get(i))
        .copied()
}

fn bundle(data: &[u8]) {
    let log = fixtures::log();
    let Ok(b) = serde_json::from_slice::<LogInclusion>(data) else {
        return;
    };
    let Ok(checked) = verify_inclusion(&b.leaf, &b.proof, &b.checkpoint, &log.key) else {
        return;
    };
    assert_eq!(checked.leaf_index(), b.proof.leaf_index);
    assert_eq!(checked.tree_size(), b.proof.tree_size);
    let again = verify_inclusion(&b.leaf, &b.proof, &b.checkpoint, &log.key);
    assert_eq!(
        again.ok().as_ref(),
        Some(&checked),
        "verifies again the same way"
    );
    let mut other = b.leaf.clone();
    other.iat = other.iat.wrapping_add(1);
    assert!(
        verify_inclusion(&other, &b.proof, &b.checkpoint, &log.key).is_err(),
        "another leaf does not verify with the same proof"
    );
    // Against the fixed log's own checkpoints, only the honest proof verifies.
    if checkpoint(b.proof.tree_size) == b.checkpoint {
        let honest = honest_inclusion(b.proof.leaf_index, b.proof.tree_size)
            .unwrap_or_default()
            .iter()
            .map(encode_hash)
            .collect::<Vec<_>>();
        assert_eq!(b.proof.hashes, honest);
        assert_eq!(Some(b.leaf.hash()), leaf_at(b.proof.leaf_index));
    }
}

fn consistency(data: &[u8]) {
    let log = fixtures::log();
    let [old, new, json @ ..] = data else {
        return;
    };
    let (old, new) = (size_of(*old), size_of(*new));
    let Ok(proof) = ConsistencyProof::from_json(json, &Budget::default()) else {
        return;
    };
    if let Ok(report) = check_consistency(checkpoint(old), checkpoint(new), &proof, &log.key) {
        assert_eq!(report.appended(), new - old);
        let honest: Vec<String> = honest_consistency(old, new)
            .unwrap_or_default()
            .iter()
            .map(encode_hash)
            .collect();
        assert_eq!(
            proof.hashes, honest,
            "only the honest consistency proof verifies"
        );
    }
}

fn raw(data: &[u8]) {
    let [n, index, size, leaf_pick, ops @ ..] = data else {
        return;
    };
    let log = fixtures::log();
    let (index, size, old) = (u64::from(*index), size_of(*size), size_of(*n));
    // The issuer's growing tree and the plain RFC 9162 functions agree.
    let prefix = &log.hashes[..usize::try_from(size).unwrap_or(0)];
    assert_eq!(merkle::root(prefix), root(size));
    if index < size {
        assert_eq!(
            merkle::inclusion_proof(prefix, index).ok(),
            honest_inclusion(index, size)
        );
    }
    if old <= size {
        assert_eq!(
            merkle::consistency_proof(prefix, old).ok(),
            honest_consistency(old, size)
        );
    }
    // Completeness: honest proofs verify.
    if index < size {
        let (Some(leaf), Some(proof)) = (leaf_at(index), honest_inclusion(index, size)) else {
            panic!("no honest inclusion proof for {index} of {size}");
        };
        assert!(merkle::verify_inclusion(&leaf, index, size, &proof, &root(size)).is_ok());
    }
    if old <= size {
        let Some(proof) = honest_consistency(old, size) else {
            panic!("no honest consistency proof from {old} to {size}");
        };
        assert!(merkle::verify_consistency(old, size, &root(old), &root(size), &proof).is_ok());
    }
    // A proof assembled from the input.
    let honest = honest_inclusion(index, size).unwrap_or_default();
    let honest_c = honest_consistency(old, size).unwrap_or_default();
    let mut proof: Vec<Hash> = Vec::new();
    let mut bytes = ops.iter();
    while let Some(&op) = bytes.next() {
        let arg = usize::from(op >> 3);
        let next = match op & 7 {
            0 | 1 => honest.get(arg % honest.len().max(1)).copied(),
            2 => honest_c.get(arg % honest_c.len().max(1)).copied(),
            3 => log.hashes.get(arg % log.hashes.len()).copied(),
            4 => Some(root(arg as u64 % (LOG_LEAVES + 1))),
            5 => {
                let raw: Vec<u8> = bytes.by_ref().take(32).copied().collect();
                let mut h = [0u8; 32];
                h[..raw.len()].copy_from_slice(&raw);
                Some(h)
            }
            _ => proof.last().copied(),
        };
        if let Some(h) = next {
            proof.push(h);
        }
        if proof.len() > 80 {
            break;
        }
    }
    let leaf = if *leaf_pick < 224 {
        log.hashes[usize::from(*leaf_pick) % log.hashes.len()]
    } else {
        [*leaf_pick; 32]
    };
    if merkle::verify_inclusion(&leaf, index, size, &proof, &root(size)).is_ok() {
        assert!(index < size);
        assert_eq!(
            Some(leaf),
            leaf_at(index),
            "only the leaf at the index verifies"
        );
        assert_eq!(proof, honest, "only the honest inclusion proof verifies");
    }
    if merkle::verify_consistency(old, size, &root(old), &root(size), &proof).is_ok() {
        assert_eq!(
            proof, honest_c,
            "only the honest consistency proof verifies"
        );
    }
}

fn parts(data: &[u8]) {
    let budget = Budget::default();
    let log = fixtures::log();
    if let Ok(leaf) = LogLeaf::from_bytes(data) {
        assert_eq!(
            leaf.to_bytes(),
            data,
            "a leaf is read in canonical form only"
        );
        let json = serde_json::to_vec(&leaf).unwrap_or_default();
        let back: Option<LogLeaf> = serde_json::from_slice(&json).ok();
        assert_eq!(back.as_ref(), Some(&leaf));
    }
    if let Ok(proof) = InclusionProof::from_json(data, &budget) {
        if let Ok(cp) = verify_checkpoint(checkpoint(proof.tree_size), &log.key, &budget) {
            for leaf in log.leaves.iter().take(4) {
                if proof.verify(leaf, &cp).is_ok() {
                    assert_eq!(Some(leaf.hash()), leaf_at(proof.leaf_index));
                }
            }
        }
    }
    if let Ok(proof) = ConsistencyProof::from_json(data, &budget) {
        let _ = check_consistency(
            checkpoint(proof.old_size),
            checkpoint(proof.new_size),
            &proof,
            &log.key,
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = checkpoint_kid(text);
        if let Ok(cp) = verify_checkpoint(text, &log.key, &budget) {
            assert!(cp.root().is_ok());
        }
    }
}

fuzz_target!(
    init: {
        dojang_fuzz::seeds::write_if_requested("log_proof");
        let _ = fixtures::log();
    },
    |data: &[u8]| {
        let Some((mode, rest)) = split_mode(data, 4) else {
            return;
        };
        match mode {
            0 => bundle(rest),
            1 => consistency(rest),
            2 => raw(rest),
            _ => parts(rest),
        }
    }
);
