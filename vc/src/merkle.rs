//! Merkle trees of an append-only log, hashed as RFC 9162 §2.1 defines (the same hashing as
//! RFC 6962 Certificate Transparency).
//!
//! - a leaf hashes as `SHA-256(0x00 ‖ data)` ([`leaf_hash`]), an interior node as
//!   `SHA-256(0x01 ‖ left ‖ right)` ([`node_hash`]): the prefixes keep a leaf from ever being
//!   taken for a node (second-preimage resistance);
//! - the tree head of `n` leaves splits at the largest power of two smaller than `n` (§2.1.1,
//!   [`root`]); the empty tree's head is `SHA-256("")` ([`EMPTY_ROOT`]);
//! - inclusion proofs are §2.1.3 ([`inclusion_proof`], [`verify_inclusion`]), consistency proofs
//!   §2.1.4 ([`consistency_proof`], [`verify_consistency`]);
//! - [`Tree`] keeps the heads of complete subtrees, for `O(log n)` heads and proofs of a growing
//!   log.
//!
//! Everything here works on leaf *hashes*; what a leaf holds is [`crate::log::LogLeaf`]'s affair.
//! Verification never panics, whatever the sizes, indexes and hashes it is given, and refuses
//! proofs longer than [`Budget::max_proof_hashes`] before hashing anything.

use sha2::{Digest as _, Sha256};

use crate::{Budget, VcError};

/// A SHA-256 output: a leaf hash, a node hash or a tree head.
pub type Hash = [u8; 32];

/// The head of the empty tree, `SHA-256("")` (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// `SHA-256(0x00 ‖ data)`: the hash of a leaf holding `data` (RFC 9162 §2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n`, for `n >= 2` (RFC 9162 §2.1.1's `k`); 1 for
/// smaller `n`, which no caller passes.
fn split_point(n: usize) -> usize {
    // `below` >= 1, so it has at most usize::BITS - 1 leading zeros and the shift is in range.
    let below = n.saturating_sub(1).max(1);
    1usize << (usize::BITS - 1 - below.leading_zeros())
}

/// `MTH(D[n])` over the leaf hashes `leaves` (RFC 9162 §2.1.1): the empty root for no leaves, the
/// leaf hash itself for one, otherwise `node_hash(MTH(D[0:k]), MTH(D[k:n]))` with `k` the
/// largest power of two smaller than `n`. Costs `n - 1` node hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => EMPTY_ROOT,
        [one] => *one,
        _ => {
            let k = split_point(leaves.len());
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

fn proof_error(reason: &'static str) -> VcError {
    VcError::LogProofInvalid { reason }
}

/// The audit path `PATH(m, D[n])` of the leaf at `index` in the tree of the leaf hashes `leaves`
/// (RFC 9162 §2.1.3.1), from the leaf's sibling up to the root's child. Costs `O(n)` hashes
/// ([`Tree::inclusion_proof`] costs `O(log n)`).
///
/// Fails if `index` is not below the number of leaves.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, VcError> {
    path(leaves.len(), index, |lo, hi| root(&leaves[lo..hi]))
}

/// The consistency proof `PROOF(m, D[n])` between the tree of the first `old_size` leaves and the
/// tree of all of `leaves` (RFC 9162 §2.1.4.1). Costs `O(n)` hashes
/// ([`Tree::consistency_proof`] costs `O(log n)`).
///
/// The proof is empty when `old_size` is 0 or the whole tree: [`verify_consistency`] then checks
/// the heads alone. Fails if `old_size` exceeds the number of leaves.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, VcError> {
    proof(leaves.len(), old_size, |lo, hi| root(&leaves[lo..hi]))
}

/// PATH(index, D[n]), with `mth(lo, hi)` giving MTH(D[lo:hi]) for `lo < hi <= n`.
fn path(n: usize, index: u64, mth: impl Fn(usize, usize) -> Hash) -> Result<Vec<Hash>, VcError> {
    let m = usize::try_from(index)
        .ok()
        .filter(|m| *m < n)
        .ok_or(proof_error("the leaf index is not below the tree size"))?;
    // Walk down from the root; the recursion of §2.1.3.1 appends the sibling after the subpath,
    // so the siblings met on the way down come out in reverse.
    let (mut lo, mut hi) = (0usize, n);
    let mut path = Vec::new();
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < lo + k {
            path.push(mth(lo + k, hi));
            hi = lo + k;
        } else {
            path.push(mth(lo, lo + k));
            lo += k;
        }
    }
    path.reverse();
    Ok(path)
}

/// PROOF(old_size, D[n]), with `mth(lo, hi)` giving MTH(D[lo:hi]) for `lo < hi <= n`.
fn proof(
    n: usize,
    old_size: u64,
    mth: impl Fn(usize, usize) -> Hash,
) -> Result<Vec<Hash>, VcError> {
    let mut m = usize::try_from(old_size)
        .ok()
        .filter(|m| *m <= n)
        .ok_or(proof_error("the old tree is larger than the new one"))?;
    let mut proof = Vec::new();
    if m == 0 || m == n {
        return Ok(proof);
    }
    // SUBPROOF(m, D[lo:hi], b), unrolled: `b` says whether the old tree's head is this subtree's
    // own left edge (known to the verifier) or must be given.
    let (mut lo, mut hi, mut b) = (0usize, n, true);
    loop {
        if m == hi - lo {
            if !b {
                proof.push(mth(lo, hi));
            }
            break;
        }
        let k = split_point(hi - lo);
        if m <= k {
            proof.push(mth(lo + k, hi));
            hi = lo + k;
        } else {
            proof.push(mth(lo, lo + k));
            lo += k;
            m -= k;
            b = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

fn check_proof_len(proof: &[Hash]) -> Result<(), VcError> {
    Budget::check(
        "proof_hashes",
        Budget::default().max_proof_hashes,
        proof.len(),
    )
}

/// Checks that `leaf` (a leaf hash) is at `index` in the tree of `tree_size` leaves whose head is
/// `root`, with the audit path `proof` (RFC 9162 §2.1.3.2, step by step).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VcError> {
    check_proof_len(proof)?;
    // 1. The index must lie inside the tree.
    if index >= tree_size {
        return Err(proof_error("the leaf index is not below the tree size"));
    }
    // 2.–3.
    let (mut fnode, mut snode) = (index, tree_size - 1);
    let mut r = *leaf;
    // 4.
    for p in proof {
        // 4a. A path longer than the tree is tall.
        if snode == 0 {
            return Err(proof_error(
                "the inclusion proof is too long for the tree size",
            ));
        }
        // 4b.
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            // Up past the levels where this node is a right edge without a sibling.
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        // 4c.
        fnode >>= 1;
        snode >>= 1;
    }
    // 5.
    if snode != 0 {
        return Err(proof_error(
            "the inclusion proof is too short for the tree size",
        ));
    }
    if r != *root {
        return Err(proof_error(
            "the inclusion proof does not lead to the tree head",
        ));
    }
    Ok(())
}

/// Checks that the tree of `new_size` leaves with head `new_root` extends the tree of `old_size`
/// leaves with head `old_root`, with the consistency proof `proof` (RFC 9162 §2.1.4.2).
///
/// Beyond the RFC's algorithm, which covers `0 < old_size < new_size`:
/// - `old_size > new_size` fails: a log never shrinks;
/// - `old_size == 0` needs an empty proof and `old_root` equal to [`EMPTY_ROOT`] (and so
///   `new_root` too when `new_size` is 0): any tree extends the empty one;
/// - `old_size == new_size` needs an empty proof and equal heads.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VcError> {
    check_proof_len(proof)?;
    if old_size > new_size {
        return Err(proof_error("the old tree is larger than the new one"));
    }
    if old_size == 0 {
        if !proof.is_empty() {
            return Err(proof_error(
                "a consistency proof from the empty tree must be empty",
            ));
        }
        if *old_root != EMPTY_ROOT || (new_size == 0 && *new_root != EMPTY_ROOT) {
            return Err(proof_error(
                "the head of the empty tree is not SHA-256 of nothing",
            ));
        }
        return Ok(());
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(proof_error(
                "a consistency proof between equal tree sizes must be empty",
            ));
        }
        if old_root != new_root {
            return Err(proof_error("two tree heads of the same size differ"));
        }
        return Ok(());
    }
    // 0 < old_size < new_size from here.
    // 1.
    if proof.is_empty() {
        return Err(proof_error("the consistency proof is empty"));
    }
    // 2. A complete old tree is its own first node: the verifier knows it already.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof);
    // 3.
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    // 4.
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // 5.
    let Some((first, rest)) = path.split_first() else {
        return Err(proof_error("the consistency proof is empty"));
    };
    let (mut fr, mut sr) = (**first, **first);
    // 6.
    for c in rest {
        if snode == 0 {
            return Err(proof_error(
                "the consistency proof is too long for the tree sizes",
            ));
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // 7.
    if snode != 0 {
        return Err(proof_error(
            "the consistency proof is too short for the tree sizes",
        ));
    }
    if fr != *old_root {
        return Err(proof_error(
            "the consistency proof does not lead to the old tree head",
        ));
    }
    if sr != *new_root {
        return Err(proof_error(
            "the consistency proof does not lead to the new tree head",
        ));
    }
    Ok(())
}

/// A growing tree that keeps the head of every complete subtree: `levels[h][j]` is the head of
/// leaves `j·2^h .. (j+1)·2^h`. An append costs one node hash amortised, and a tree head or proof
/// of any size up to [`Tree::size`] costs `O(log n)` hashes (only the subtrees along the tree's
/// ragged right edge are hashed on demand).
///
/// With a *floor* `f` ([`Tree::with_floor`]) the tree keeps the heads below level `f` only for
/// the block of `2^f` leaves still being filled: about `2 / 2^f` hashes of memory per leaf instead
/// of two. A head inside an older block is then rebuilt from that block's leaf hashes, which the
/// caller reads back from its storage ([`Tree::root_from`] and the other `_from` methods: at most
/// a few blocks a call). The issuer's log keeps one with a floor, so its memory does not grow by
/// 64 bytes a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// Levels `0..floor` hold only the filling block's nodes (`levels[h][j]` is then the head of
    /// leaves `base + j·2^h ..`); levels from `floor` up hold every complete subtree's head.
    levels: Vec<Vec<Hash>>,
    floor: u32,
    size: u64,
}

/// Where a floored tree finds the leaf hashes of an older block: `fetch(start, count)` returns
/// the hashes of leaves `start .. start + count`.
pub type LeafSource<'a, E> = &'a mut dyn FnMut(u64, usize) -> Result<Vec<Hash>, E>;

impl Tree {
    /// The empty tree, keeping every head in memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// The empty tree keeping heads below level `floor` only for the block of `2^floor` leaves
    /// being filled (see the type's docs). `floor` is at most 16.
    pub fn with_floor(floor: u32) -> Self {
        Self {
            floor: floor.min(16),
            ..Self::default()
        }
    }

    /// The tree of `leaves` (leaf hashes).
    pub fn from_leaves(leaves: &[Hash]) -> Self {
        let mut t = Self::new();
        for leaf in leaves {
            t.push(*leaf);
        }
        t
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The first leaf of the block still being filled: heads below the floor are kept from here.
    fn base(&self) -> u64 {
        (self.size >> self.floor) << self.floor
    }

    /// Appends a leaf hash; every complete subtree it completes gets its head.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        let mut h = 0usize;
        loop {
            if self.levels.len() == h {
                self.levels.push(Vec::new());
            }
            let level = &mut self.levels[h];
            level.push(node);
            let len = level.len();
            if len % 2 == 1 {
                break;
            }
            node = node_hash(&level[len - 2], &level[len - 1]);
            h += 1;
        }
        self.size += 1;
        if self.floor > 0 && self.size.is_multiple_of(1u64 << self.floor) {
            // The block is complete: its head is now at level `floor`; what lies below goes.
            for level in &mut self.levels[..self.floor as usize] {
                level.clear();
            }
        }
    }

    /// A stored head: MTH(D[lo:lo+2^h]) for aligned `lo`, if this tree keeps it.
    fn stored(&self, lo: u64, h: u32) -> Option<Hash> {
        let index = if h >= self.floor {
            lo >> h
        } else {
            lo.checked_sub(self.base())? >> h
        };
        let index = usize::try_from(index).ok()?;
        self.levels.get(h as usize)?.get(index).copied()
    }

    /// MTH(D[lo:hi]) for `lo < hi <= size`: a stored head when the range is a complete subtree
    /// this tree keeps; inside an older block below the floor, from that block's leaf hashes
    /// (`blocks`, fetched on first use); else split as §2.1.1 does (in RFC 9162's recursions the
    /// left part always is a complete subtree).
    fn mth<E>(&self, lo: u64, hi: u64, blocks: &mut Blocks<'_, E>) -> Result<Hash, E> {
        let n = hi - lo;
        if n == 0 {
            return Ok(EMPTY_ROOT);
        }
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            if let Some(head) = self.stored(lo, n.trailing_zeros()) {
                return Ok(head);
            }
        }
        let block = 1u64 << self.floor;
        if lo < self.base() && n <= block && lo / block == (hi - 1) / block {
            let start = lo - lo % block;
            let leaves = blocks.get(start, block)?;
            let (a, b) = ((lo - start) as usize, (hi - start) as usize);
            return Ok(leaves.get(a..b).map_or(EMPTY_ROOT, root));
        }
        let k = split_point(usize::try_from(n).unwrap_or(usize::MAX)) as u64;
        Ok(node_hash(
            &self.mth(lo, lo + k, blocks)?,
            &self.mth(lo + k, hi, blocks)?,
        ))
    }

    fn checked_size(&self, tree_size: u64) -> Result<usize, VcError> {
        usize::try_from(tree_size)
            .ok()
            .filter(|n| (*n as u64) <= self.size())
            .ok_or(proof_error("the tree size is beyond the tree"))
    }

    /// Runs `walk` with an `mth` that reads older blocks from `fetch`; the first fetch error wins.
    fn with_mth<T, E: From<VcError>>(
        &self,
        fetch: LeafSource<'_, E>,
        walk: impl FnOnce(&dyn Fn(usize, usize) -> Hash) -> Result<T, VcError>,
    ) -> Result<T, E> {
        let blocks = std::cell::RefCell::new(Blocks {
            fetch,
            cached: Vec::new(),
            error: None,
        });
        let mth = |lo: usize, hi: usize| {
            let mut b = blocks.borrow_mut();
            match self.mth(lo as u64, hi as u64, &mut b) {
                Ok(h) => h,
                Err(e) => {
                    b.error.get_or_insert(e);
                    EMPTY_ROOT
                }
            }
        };
        let out = walk(&mth);
        match blocks.into_inner().error {
            Some(e) => Err(e),
            None => Ok(out?),
        }
    }

    /// [`Tree::root`] for a tree with a floor, reading older blocks' leaf hashes from `fetch`.
    pub fn root_from<E: From<VcError>>(
        &self,
        tree_size: u64,
        fetch: LeafSource<'_, E>,
    ) -> Result<Hash, E> {
        let n = self.checked_size(tree_size)?;
        self.with_mth(fetch, |mth| Ok(if n == 0 { EMPTY_ROOT } else { mth(0, n) }))
    }

    /// [`Tree::inclusion_proof`] for a tree with a floor, reading older blocks from `fetch`.
    pub fn inclusion_proof_from<E: From<VcError>>(
        &self,
        index: u64,
        tree_size: u64,
        fetch: LeafSource<'_, E>,
    ) -> Result<Vec<Hash>, E> {
        let n = self.checked_size(tree_size)?;
        self.with_mth(fetch, |mth| path(n, index, mth))
    }

    /// [`Tree::consistency_proof`] for a tree with a floor, reading older blocks from `fetch`.
    pub fn consistency_proof_from<E: From<VcError>>(
        &self,
        old_size: u64,
        new_size: u64,
        fetch: LeafSource<'_, E>,
    ) -> Result<Vec<Hash>, E> {
        let n = self.checked_size(new_size)?;
        self.with_mth(fetch, |mth| proof(n, old_size, mth))
    }

    /// For a tree without a floor every head is in memory: nothing is fetched.
    fn in_memory<T>(
        &self,
        f: impl FnOnce(&Self, LeafSource<'_, VcError>) -> Result<T, VcError>,
    ) -> Result<T, VcError> {
        f(self, &mut |_, _| {
            Err(proof_error("the tree keeps no leaves below its floor"))
        })
    }

    /// The head of the tree of the first `tree_size` leaves (RFC 9162 §2.1.1), for a tree
    /// without a floor ([`Tree::root_from`] otherwise).
    pub fn root(&self, tree_size: u64) -> Result<Hash, VcError> {
        self.in_memory(|t, fetch| t.root_from(tree_size, fetch))
    }

    /// The audit path of leaf `index` in the tree of the first `tree_size` leaves (RFC 9162
    /// §2.1.3.1); the same as [`inclusion_proof`] over those leaves. For a tree without a floor.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, VcError> {
        self.in_memory(|t, fetch| t.inclusion_proof_from(index, tree_size, fetch))
    }

    /// The consistency proof from the first `old_size` to the first `new_size` leaves (RFC 9162
    /// §2.1.4.1); the same as [`consistency_proof`] over those leaves. For a tree without a
    /// floor.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, VcError> {
        self.in_memory(|t, fetch| t.consistency_proof_from(old_size, new_size, fetch))
    }
}

/// The older blocks one call has read (a handful at most), and the first error reading them.
struct Blocks<'a, E> {
    fetch: LeafSource<'a, E>,
    cached: Vec<(u64, Vec<Hash>)>,
    error: Option<E>,
}

impl<E> Blocks<'_, E> {
    fn get(&mut self, start: u64, count: u64) -> Result<&[Hash], E> {
        let at = match self.cached.iter().position(|(s, _)| *s == start) {
            Some(at) => at,
            None => {
                let leaves = (self.fetch)(start, count as usize)?;
                self.cached.push((start, leaves));
                self.cached.len() - 1
            }
        };
        Ok(&self.cached[at].1)
    }
}
