#![allow(clippy::unwrap_used)]
//! The Merkle log proofs (RFC 9162 §2.1) against published vectors, against a naive recursive
//! reference written here from the RFC text, exhaustively for small trees, and under mutation.

use dojang_vc::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, node_hash, root, verify_consistency,
    verify_inclusion, Hash, Tree, EMPTY_ROOT,
};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest as _, Sha256};

/// Trees of every size from 1 to this are checked exhaustively.
const MAX_SIZE: usize = 300;

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn unhex32(s: &str) -> Hash {
    unhex(s).try_into().unwrap()
}

// --- A naive reference, straight from the RFC's recursive definitions -------------------------

fn ref_leaf(d: &[u8]) -> Hash {
    let mut buf = vec![0u8];
    buf.extend_from_slice(d);
    Sha256::digest(&buf).into()
}

fn ref_node(l: &Hash, r: &Hash) -> Hash {
    let mut buf = vec![1u8];
    buf.extend_from_slice(l);
    buf.extend_from_slice(r);
    Sha256::digest(&buf).into()
}

/// `k`: the largest power of two smaller than `n` (n > 1).
fn ref_k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) over raw data (§2.1.1).
fn ref_mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => Sha256::digest([]).into(),
        1 => ref_leaf(&d[0]),
        n => {
            let k = ref_k(n);
            ref_node(&ref_mth(&d[..k]), &ref_mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]) (§2.1.3.1).
fn ref_path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    let n = d.len();
    if n == 1 {
        return vec![];
    }
    let k = ref_k(n);
    if m < k {
        let mut p = ref_path(m, &d[..k]);
        p.push(ref_mth(&d[k..]));
        p
    } else {
        let mut p = ref_path(m - k, &d[k..]);
        p.push(ref_mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b) (§2.1.4.1).
fn ref_subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![ref_mth(d)] };
    }
    let k = ref_k(n);
    if m <= k {
        let mut p = ref_subproof(m, &d[..k], b);
        p.push(ref_mth(&d[k..]));
        p
    } else {
        let mut p = ref_subproof(m - k, &d[k..], false);
        p.push(ref_mth(&d[..k]));
        p
    }
}

fn data(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("leaf {i}").into_bytes())
        .collect::<Vec<_>>()
}

fn hashes(d: &[Vec<u8>]) -> Vec<Hash> {
    d.iter().map(|x| leaf_hash(x)).collect()
}

/// Roots of every prefix D[0:n], n = 0..=len, computed once with a [`Tree`] (checked against
/// the reference in `roots_match_reference_and_tree`).
fn prefix_roots(leaves: &[Hash]) -> Vec<Hash> {
    let tree = Tree::from_leaves(leaves);
    (0..=leaves.len() as u64)
        .map(|n| tree.root(n).unwrap())
        .collect()
}

// --- Known answers ------------------------------------------------------------------------------

#[test]
fn empty_and_single_leaf_roots() {
    assert_eq!(
        hex(&root(&[])),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(EMPTY_ROOT, <Hash>::from(Sha256::digest(b"")));
    assert_eq!(Tree::new().root(0).unwrap(), EMPTY_ROOT);
    assert!(Tree::new().root(1).is_err());
    // One leaf: the root is the leaf hash SHA-256(0x00 ‖ data), here of the empty string.
    assert_eq!(
        hex(&root(&[leaf_hash(b"")])),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
    assert_eq!(leaf_hash(b"abc"), ref_leaf(b"abc"));
    assert_eq!(node_hash(&[1; 32], &[2; 32]), ref_node(&[1; 32], &[2; 32]));
}

// Published vectors of the RFC 6962 reference implementation: google/certificate-transparency,
// cpp/merkletree/merkle_tree_test.cc (kInputs, kSHA256Roots, kSHA256Paths, kSHA256Proofs; the
// same data is in Chromium's net/cert/ct_log_verifier_unittest.cc). Leaf numbers there are
// 1-based; indexes here are 0-based.
const CT_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (0-based index, tree size, path).
const CT_PATHS: [(u64, usize, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof).
const CT_PROOFS: [(u64, usize, &[&str]); 4] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

fn ct_leaves() -> Vec<Hash> {
    CT_INPUTS.iter().map(|s| leaf_hash(&unhex(s))).collect()
}

#[test]
fn certificate_transparency_roots() {
    let leaves = ct_leaves();
    let mut tree = Tree::new();
    for (n, expected) in CT_ROOTS.iter().enumerate() {
        assert_eq!(hex(&root(&leaves[..=n])), *expected, "size {}", n + 1);
        tree.push(leaves[n]);
        assert_eq!(
            hex(&tree.root(n as u64 + 1).unwrap()),
            *expected,
            "tree size {}",
            n + 1
        );
    }
    for (n, expected) in CT_ROOTS.iter().enumerate() {
        assert_eq!(
            hex(&tree.root(n as u64 + 1).unwrap()),
            *expected,
            "prefix {}",
            n + 1
        );
    }
}

#[test]
fn certificate_transparency_paths() {
    let leaves = ct_leaves();
    for (index, size, path) in CT_PATHS {
        let expected: Vec<Hash> = path.iter().map(|h| unhex32(h)).collect();
        let got = inclusion_proof(&leaves[..size], index).unwrap();
        assert_eq!(got, expected, "index {index} size {size}");
        let tree = Tree::from_leaves(&leaves);
        assert_eq!(tree.inclusion_proof(index, size as u64).unwrap(), expected);
        let r = unhex32(CT_ROOTS[size - 1]);
        verify_inclusion(&leaves[index as usize], index, size as u64, &got, &r).unwrap();
    }
}

#[test]
fn certificate_transparency_consistency() {
    let leaves = ct_leaves();
    for (old, size, proof) in CT_PROOFS {
        let expected: Vec<Hash> = proof.iter().map(|h| unhex32(h)).collect();
        let got = consistency_proof(&leaves[..size], old).unwrap();
        assert_eq!(got, expected, "{old} -> {size}");
        let tree = Tree::from_leaves(&leaves);
        assert_eq!(tree.consistency_proof(old, size as u64).unwrap(), expected);
        verify_consistency(
            old,
            size as u64,
            &unhex32(CT_ROOTS[old as usize - 1]),
            &unhex32(CT_ROOTS[size - 1]),
            &got,
        )
        .unwrap();
    }
}

// --- Exhaustive over small trees ------------------------------------------------------------

#[test]
fn roots_match_reference_and_tree() {
    let d = data(MAX_SIZE);
    let leaves = hashes(&d);
    let prefix = prefix_roots(&leaves);
    let mut tree = Tree::new();
    for n in 0..=MAX_SIZE {
        let expected = ref_mth(&d[..n]);
        assert_eq!(root(&leaves[..n]), expected, "size {n}");
        assert_eq!(prefix[n], expected, "prefix {n} of the full tree");
        assert_eq!(tree.size(), n as u64);
        assert_eq!(tree.root(n as u64).unwrap(), expected, "tree of size {n}");
        assert!(tree.root(n as u64 + 1).is_err());
        if n < MAX_SIZE {
            tree.push(leaves[n]);
        }
    }
}

// The plain `inclusion_proof` and `consistency_proof` cost about `n` hashes a proof, and SHA-256
// costs about 4 µs a call in an unoptimised test build (its generic code is compiled at the
// caller's opt-level): calling them at all 45,150 pairs of sizes up to 300 takes some 30 s of CPU
// each. So the exhaustive sweeps below run through [`Tree`], whose proofs cost `O(log n)`, and
// compare the plain functions with it wherever they are called: at every pair up to size 128 and
// at ten spread points of every larger size. Both share the walk down the tree (`path` and
// `proof` in `merkle.rs`) and differ only in where subtree heads come from; `root` itself is
// checked against the reference at every size in `roots_match_reference_and_tree`.

/// Indexes where the plain functions are also called for a tree of `n` leaves.
fn plain_sample(n: usize) -> Vec<usize> {
    if n <= 128 {
        (0..n).collect()
    } else {
        (0..10).map(|j| j * (n - 1) / 9).collect()
    }
}

/// Every index of every tree size 1..=300 (45,150 proofs).
#[test]
fn inclusion_every_index_of_every_size() {
    let d = data(MAX_SIZE);
    let leaves = hashes(&d);
    let tree = Tree::from_leaves(&leaves);
    let (mut checked, mut plain) = (0, 0);
    for n in 1..=MAX_SIZE {
        let head = root(&leaves[..n]);
        let sample = plain_sample(n);
        for i in 0..n {
            let proof = tree.inclusion_proof(i as u64, n as u64).unwrap();
            verify_inclusion(&leaves[i], i as u64, n as u64, &proof, &head)
                .unwrap_or_else(|e| panic!("index {i} size {n}: {e}"));
            checked += 1;
            if sample.contains(&i) {
                let p = inclusion_proof(&leaves[..n], i as u64).unwrap();
                assert_eq!(p, proof, "plain: index {i} size {n}");
                plain += 1;
            }
            if n <= 64 || i == 0 || i == n - 1 {
                assert_eq!(proof, ref_path(i, &d[..n]), "reference: index {i} size {n}");
            }
        }
        assert!(inclusion_proof(&leaves[..n], n as u64).is_err());
        assert!(tree.inclusion_proof(n as u64, n as u64).is_err());
    }
    assert_eq!(checked, MAX_SIZE * (MAX_SIZE + 1) / 2);
    assert!(plain > 9_000, "{plain}");
    assert!(inclusion_proof(&[], 0).is_err());
    assert!(tree.inclusion_proof(0, MAX_SIZE as u64 + 1).is_err());
}

/// Every pair 0 <= m <= n <= 300 (45,450 proofs).
#[test]
fn consistency_every_pair_of_sizes() {
    let d = data(MAX_SIZE);
    let leaves = hashes(&d);
    let tree = Tree::from_leaves(&leaves);
    let roots = prefix_roots(&leaves);
    let (mut checked, mut plain) = (0, 0);
    for n in 1..=MAX_SIZE {
        let mut sample = plain_sample(n);
        sample.push(n);
        for m in 0..=n {
            let proof = tree.consistency_proof(m as u64, n as u64).unwrap();
            verify_consistency(m as u64, n as u64, &roots[m], &roots[n], &proof)
                .unwrap_or_else(|e| panic!("{m} -> {n}: {e}"));
            checked += 1;
            if sample.contains(&m) {
                let p = consistency_proof(&leaves[..n], m as u64).unwrap();
                assert_eq!(p, proof, "plain: {m} -> {n}");
                plain += 1;
            }
            if m > 0 && (n <= 64 || m == 1 || m == n - 1) {
                assert_eq!(
                    proof,
                    ref_subproof(m, &d[..n], true),
                    "reference: {m} -> {n}"
                );
            }
        }
        assert!(consistency_proof(&leaves[..n], n as u64 + 1).is_err());
        assert!(tree.consistency_proof(n as u64 + 1, n as u64).is_err());
    }
    assert_eq!(checked, (MAX_SIZE + 1) * (MAX_SIZE + 2) / 2 - 1);
    assert!(plain > 9_000, "{plain}");
}

#[test]
fn consistency_edge_rules() {
    let leaves = hashes(&data(5));
    let r5 = root(&leaves);
    let r3 = root(&leaves[..3]);
    // Same size: empty proof and equal heads.
    verify_consistency(5, 5, &r5, &r5, &[]).unwrap();
    assert!(verify_consistency(5, 5, &r5, &r3, &[]).is_err());
    assert!(verify_consistency(5, 5, &r5, &r5, &[r5]).is_err());
    verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]).unwrap();
    assert!(verify_consistency(0, 0, &r5, &r5, &[]).is_err());
    // From the empty tree: empty proof, and the old head must be the empty head.
    verify_consistency(0, 5, &EMPTY_ROOT, &r5, &[]).unwrap();
    assert!(verify_consistency(0, 5, &r3, &r5, &[]).is_err());
    assert!(verify_consistency(0, 5, &EMPTY_ROOT, &r5, &[r5]).is_err());
    // Shrinking, or a non-trivial pair with no proof.
    assert!(verify_consistency(5, 3, &r5, &r3, &[]).is_err());
    assert!(verify_consistency(3, 5, &r3, &r5, &[]).is_err());
    // Inclusion in an empty tree, or past the end.
    assert!(verify_inclusion(&leaves[0], 0, 0, &[], &EMPTY_ROOT).is_err());
    assert!(verify_inclusion(&leaves[0], 5, 5, &[], &r5).is_err());
    assert!(verify_inclusion(&leaves[0], u64::MAX, u64::MAX, &[], &r5).is_err());
    assert!(verify_consistency(u64::MAX - 1, u64::MAX, &r3, &r5, &[r3; 3]).is_err());
}

#[test]
fn proofs_over_budget_refused() {
    let max = dojang_vc::Budget::default().max_proof_hashes;
    let long = vec![[0u8; 32]; max + 1];
    let e = verify_inclusion(&[0; 32], 0, u64::MAX, &long, &[0; 32]).unwrap_err();
    assert_eq!(e.code(), "limit_exceeded");
    let e = verify_consistency(1, u64::MAX, &[0; 32], &[0; 32], &long).unwrap_err();
    assert_eq!(e.code(), "limit_exceeded");
}

// --- Mutations ----------------------------------------------------------------------------------

/// Every way of damaging a proof: flip one bit of one byte, drop a hash, insert a random one,
/// duplicate one, swap two.
fn mutations(proof: &[Hash], rng: &mut ChaCha20Rng) -> Vec<Vec<Hash>> {
    let mut out = Vec::new();
    for (j, _) in proof.iter().enumerate() {
        let mut p = proof.to_vec();
        let byte = rng.gen_range(0..32);
        p[j][byte] ^= 1 << rng.gen_range(0..8);
        out.push(p);
        let mut p = proof.to_vec();
        p.remove(j);
        out.push(p);
        let mut p = proof.to_vec();
        p.insert(j, proof[j]);
        out.push(p);
        if j + 1 < proof.len() && proof[j] != proof[j + 1] {
            let mut p = proof.to_vec();
            p.swap(j, j + 1);
            out.push(p);
        }
    }
    for at in [0, proof.len()] {
        let mut p = proof.to_vec();
        p.insert(at, rng.gen());
        out.push(p);
    }
    if let Some(last) = proof.last() {
        let mut p = proof.to_vec();
        p.push(*last);
        out.push(p);
    }
    out
}

#[test]
fn damaged_inclusion_proofs_fail() {
    let mut rng = ChaCha20Rng::seed_from_u64(9162);
    let leaves = hashes(&data(160));
    let roots = prefix_roots(&leaves);
    let mut cases = 0;
    for n in 1..=160usize {
        for _ in 0..6 {
            let i = rng.gen_range(0..n);
            let proof = inclusion_proof(&leaves[..n], i as u64).unwrap();
            let (leaf, iu, nu) = (&leaves[i], i as u64, n as u64);
            verify_inclusion(leaf, iu, nu, &proof, &roots[n]).unwrap();
            for bad in mutations(&proof, &mut rng) {
                assert!(verify_inclusion(leaf, iu, nu, &bad, &roots[n]).is_err());
                cases += 1;
            }
            // Another leaf, index, size (with that size's own head) or head.
            let other = (i + rng.gen_range(1..n.max(2))) % n;
            if other != i {
                assert!(verify_inclusion(&leaves[other], iu, nu, &proof, &roots[n]).is_err());
                assert!(verify_inclusion(leaf, other as u64, nu, &proof, &roots[n]).is_err());
            }
            assert!(verify_inclusion(leaf, nu, nu, &proof, &roots[n]).is_err());
            assert!(verify_inclusion(leaf, iu ^ (1 << 40), nu, &proof, &roots[n]).is_err());
            for n2 in [i + 1, n - 1, n + 1, 2 * n, n / 2, rng.gen_range(1..=160)] {
                if n2 != n && n2 > i && n2 <= 160 {
                    assert!(
                        verify_inclusion(leaf, iu, n2 as u64, &proof, &roots[n2]).is_err(),
                        "index {i}: proof for size {n} accepted for size {n2}"
                    );
                }
            }
            assert!(verify_inclusion(leaf, iu, u64::MAX, &proof, &roots[n]).is_err());
            let mut r = roots[n];
            r[rng.gen_range(0..32)] ^= 0x80;
            assert!(verify_inclusion(leaf, iu, nu, &proof, &r).is_err());
            cases += 8;
        }
    }
    assert!(cases > 10_000, "{cases}");
}

#[test]
fn damaged_consistency_proofs_fail() {
    let mut rng = ChaCha20Rng::seed_from_u64(6962);
    let leaves = hashes(&data(160));
    let roots = prefix_roots(&leaves);
    let mut cases = 0;
    for n in 2..=160usize {
        for _ in 0..6 {
            let m = rng.gen_range(1..n);
            let proof = consistency_proof(&leaves[..n], m as u64).unwrap();
            let (mu, nu) = (m as u64, n as u64);
            verify_consistency(mu, nu, &roots[m], &roots[n], &proof).unwrap();
            for bad in mutations(&proof, &mut rng) {
                assert!(verify_consistency(mu, nu, &roots[m], &roots[n], &bad).is_err());
                cases += 1;
            }
            // No proof, swapped heads, another head, other sizes (with their own heads).
            assert!(verify_consistency(mu, nu, &roots[m], &roots[n], &[]).is_err());
            assert!(verify_consistency(mu, nu, &roots[n], &roots[m], &proof).is_err());
            let mut r = roots[m];
            r[rng.gen_range(0..32)] ^= 1;
            assert!(verify_consistency(mu, nu, &r, &roots[n], &proof).is_err());
            let mut r = roots[n];
            r[rng.gen_range(0..32)] ^= 1;
            assert!(verify_consistency(mu, nu, &roots[m], &r, &proof).is_err());
            for m2 in [m - 1, m + 1, m ^ 2, rng.gen_range(1..n)] {
                if m2 != m && m2 >= 1 && m2 < n {
                    assert!(
                        verify_consistency(m2 as u64, nu, &roots[m2], &roots[n], &proof).is_err(),
                        "proof {m} -> {n} accepted from {m2}"
                    );
                }
            }
            for n2 in [n - 1, n + 1, 2 * n, rng.gen_range(2..=160)] {
                if n2 != n && n2 > m && n2 <= 160 {
                    assert!(
                        verify_consistency(mu, n2 as u64, &roots[m], &roots[n2], &proof).is_err(),
                        "proof {m} -> {n} accepted to {n2}"
                    );
                }
            }
            assert!(verify_consistency(mu, u64::MAX, &roots[m], &roots[n], &proof).is_err());
            cases += 8;
        }
    }
    assert!(cases > 10_000, "{cases}");
}

/// A tree with a floor gives the same heads and proofs as one without, for every size, index and
/// pair of sizes up to a few blocks, whatever blocks it has to read back; and it reads only the
/// blocks it needs, a handful a call.
#[test]
fn floored_trees_match_the_full_tree() {
    let leaves = hashes(&data(40));
    let full = Tree::from_leaves(&leaves);
    for floor in 1..=4u32 {
        let block = 1usize << floor;
        let mut tree = Tree::with_floor(floor);
        for (i, leaf) in leaves.iter().enumerate() {
            tree.push(*leaf);
            let size = i as u64 + 1;
            let mut reads = Vec::new();
            let mut fetch = |start: u64, count: usize| -> Result<Vec<Hash>, dojang_vc::VcError> {
                assert_eq!(start as usize % block, 0, "blocks are aligned");
                assert_eq!(count, block);
                assert!(
                    start + count as u64 <= size,
                    "only complete blocks are read"
                );
                reads.push(start);
                Ok(leaves[start as usize..start as usize + count].to_vec())
            };
            for n in 0..=size {
                assert_eq!(
                    tree.root_from(n, &mut fetch).unwrap(),
                    full.root(n).unwrap(),
                    "floor {floor} size {size} root of {n}"
                );
                for index in 0..n {
                    assert_eq!(
                        tree.inclusion_proof_from(index, n, &mut fetch).unwrap(),
                        full.inclusion_proof(index, n).unwrap(),
                        "floor {floor} size {size} path of {index} in {n}"
                    );
                }
                for old in 0..=n {
                    assert_eq!(
                        tree.consistency_proof_from(old, n, &mut fetch).unwrap(),
                        full.consistency_proof(old, n).unwrap(),
                        "floor {floor} size {size} proof {old}..{n}"
                    );
                }
            }
            assert!(tree.root_from(size + 1, &mut fetch).is_err());
        }
        // Memory: below the floor only the filling block's nodes are kept (a hash prints as
        // one `[..]`, as does each level).
        let kept = format!("{tree:?}").matches('[').count();
        let all = format!("{full:?}").matches('[').count();
        let most = if floor == 1 { all * 2 / 3 } else { all / 3 };
        assert!(
            kept < most,
            "floor {floor}: {kept} arrays kept, {all} without a floor"
        );
    }
}

/// One call reads each older block at most once, and a failed read is the call's error.
#[test]
fn floored_tree_reads_each_block_once_and_reports_read_errors() {
    let leaves = hashes(&data(64));
    let mut tree = Tree::with_floor(3);
    for leaf in &leaves {
        tree.push(*leaf);
    }
    let mut reads = Vec::new();
    let mut fetch = |start: u64, count: usize| -> Result<Vec<Hash>, dojang_vc::VcError> {
        reads.push(start);
        Ok(leaves[start as usize..start as usize + count].to_vec())
    };
    let full = Tree::from_leaves(&leaves);
    assert_eq!(
        tree.consistency_proof_from(13, 45, &mut fetch).unwrap(),
        full.consistency_proof(13, 45).unwrap()
    );
    let mut sorted = reads.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), reads.len(), "a block read twice: {reads:?}");
    assert!(reads.len() <= 3, "{reads:?}");
    #[derive(Debug, PartialEq)]
    enum ReadError {
        Proof,
        DiskGone,
    }
    impl From<dojang_vc::VcError> for ReadError {
        fn from(_: dojang_vc::VcError) -> Self {
            ReadError::Proof
        }
    }
    let mut failing =
        |_: u64, _: usize| -> Result<Vec<Hash>, ReadError> { Err(ReadError::DiskGone) };
    let err = tree
        .inclusion_proof_from(5, 64, &mut failing)
        .expect_err("a read error is the call's error");
    assert_eq!(err, ReadError::DiskGone);
    assert_eq!(
        tree.root_from(65, &mut failing).unwrap_err(),
        ReadError::Proof
    );
    // A head the tree keeps needs no read at all.
    assert_eq!(
        tree.root_from(64, &mut failing).unwrap(),
        full.root(64).unwrap()
    );
}
