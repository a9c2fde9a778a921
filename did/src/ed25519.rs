//! Ed25519 signature checks with exactly the rules of ed25519-dalek's `verify_strict`, at one
//! point decompression less per signature.
//!
//! `VerifyingKey::verify_strict` (ed25519-dalek 2.2) accepts a signature `R || S` on `M` under
//! the key `A` when:
//! 1. `S` is canonical (`S < L`);
//! 2. `R` decodes to a curve point;
//! 3. neither that point nor `A` has small order;
//! 4. the encoding of `[S]B - [k]A`, with `k = SHA-512(R || A || M)`, equals `R`'s bytes.
//!
//! Its plain `verify` makes checks 1 and 4 only. Whenever 4 holds, `R`'s bytes are the canonical
//! encoding of the point `[S]B - [k]A`, so `R` decodes (check 2), to that very point; and that
//! point has small order exactly when its encoding is one of the eight canonical encodings of the
//! points of small order ([`SMALL_ORDER_ENCODINGS`]). So [`verify_strict`] makes checks 1 and 4
//! with `verify`, then check 3 as a comparison of `R`'s bytes with that list and the key's own
//! small-order test (three point doublings), which a key read from a JWK passed when it was read
//! ([`crate::PublicJwk::verify_strict`] skips it then). `verify_strict` decodes `R` for checks 2
//! and 3, a field exponentiation (a square root): measured here that is about a tenth of the
//! signature check, and a presentation with holder binding checks two signatures.
//!
//! The unit tests hold the two functions together on a corpus built to separate them: keys and
//! `R` values of small and of mixed order, non-canonical encodings of `R` and `S`, signatures that
//! plain `verify` accepts and `verify_strict` refuses, and corruptions of valid signatures.
//!
//! ## Two signatures in one computation
//!
//! A presentation with holder binding carries two signatures: the issuer's, and the holder's on the
//! KB-JWT. [`crate::PublicJwk::verify_strict_pair`] checks both in one multi-scalar multiplication,
//! with one random coefficient, instead of two (`verify_stages`' "checked together" line:
//! 0.53–0.83× two `verify_strict` calls, median 0.68×, against about 0.9× checked one by one).
//! Batch verification usually differs from `verify_strict` (ed25519-dalek's `verify_batch` lets an
//! `R` with a point of order 2 through about half the time: a test below shows it); this one is
//! built to keep its decisions. With `D = R + [k]A - [S]B` (zero exactly when check 4 holds),
//! written `D = P + T` (a part of prime order and a torsion part), it checks `z·D1 + D2 = 0` for a
//! random `z` of 121 bits with `z ≡ 1 (mod 8)`, where `A1`'s coefficient `z·k1 mod L` is drawn
//! again until it is `≡ k1 (mod 8)`. The torsion parts then enter exactly as in the two single
//! checks, and the sum is zero exactly when `z·P1 + P2 = 0` and `T1 + T2 = 0`:
//! - two signatures that `verify_strict` accepts always pass;
//! - a first signature with `P1 ≠ 0` passes for at most one `z`: probability 2^-121;
//! - the one remaining difference: two signatures with `P1 = P2 = 0` whose torsion parts cancel
//!   (`T1 = -T2 ≠ 0`) pass, where `verify_strict` refuses both. Making `P = 0` with `T ≠ 0`
//!   takes the signer's private key (an honest signer's `R` has no torsion part), so such a
//!   pair is made on purpose by the holders of both keys; no one else can turn an accepted
//!   presentation into it, since changing `R` changes `k`. A test shows the case.
//!
//! Checks 1 to 3 are made as for one signature: both `S` canonical, `R1` a canonical encoding
//! (`y < p`; the two points with `x = 0` have small order) of a point not of small order, and
//! `R2`'s bytes compared with the encoding of the point the equation gives, then with
//! [`SMALL_ORDER_ENCODINGS`]. The tests hold the pair to two `verify_strict` calls on every
//! corpus case paired with an honest signature, in both places.

use std::sync::LazyLock;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::edwards::{CompressedEdwardsY, VartimeEdwardsPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity as _, VartimePrecomputedMultiscalarMul as _};
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use rand_core::CryptoRngCore;
use sha2::{Digest as _, Sha512};

/// The canonical encodings of the eight points of order dividing 8 (the identity, the point of
/// order 2, two of order 4 and four of order 8), as `CompressedEdwardsY` bytes. A test checks
/// them against curve25519-dalek's `EIGHT_TORSION`.
pub const SMALL_ORDER_ENCODINGS: [[u8; 32]; 8] = [
    [
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x80,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x85,
    ],
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0xfa,
    ],
];

/// Whether `signature` is a valid Ed25519 signature on `message` under `key`, by the rules of
/// ed25519-dalek's `verify_strict` (see the module documentation for why the two agree).
pub fn verify_strict(key: &VerifyingKey, message: &[u8], signature: &Signature) -> bool {
    // Check 3 for A first: a small-order key is refused whatever the signature.
    !key.is_weak() && verify_strict_large_order(key, message, signature)
}

/// [`verify_strict`] for a key already known not to have small order (check 3 for `A`), such as
/// one read by [`crate::PublicJwk::from_json`], which refuses small-order keys.
pub(crate) fn verify_strict_large_order(
    key: &VerifyingKey,
    message: &[u8],
    signature: &Signature,
) -> bool {
    // Checks 1 and 4: S canonical, and R's bytes are the encoding of [S]B - [k]A.
    if key.verify(message, signature).is_err() {
        return false;
    }
    // Checks 2 and 3 for R: R is now a canonical encoding, so it has small order exactly when it
    // is one of these.
    !SMALL_ORDER_ENCODINGS.contains(signature.r_bytes())
}

/// One signature of a pair: the key (known not to have small order), the signed bytes and the
/// signature.
pub type Signed<'a> = (&'a VerifyingKey, &'a [u8], &'a Signature);

/// The basepoint's table for [`verify_strict_pair`]'s multiplication, built once.
static BASEPOINT: LazyLock<VartimeEdwardsPrecomputation> =
    LazyLock::new(|| VartimeEdwardsPrecomputation::new([ED25519_BASEPOINT_POINT]));

/// Whether both signatures are valid by `verify_strict`'s rules, checked in one computation
/// (module documentation, "Two signatures in one computation", for how and for the one
/// difference). Both keys must be known not to have small order (read by
/// [`crate::PublicJwk::from_json`], or tested): [`crate::PublicJwk::verify_strict_pair`] sees
/// to it. `rng` draws the random coefficient.
pub(crate) fn verify_strict_pair(
    (key1, message1, signature1): Signed<'_>,
    (key2, message2, signature2): Signed<'_>,
    rng: &mut impl CryptoRngCore,
) -> bool {
    // Checks 1 to 3 for the first, check 1 for the second.
    let (Some((r1, s1)), Some(s2)) = (decoded(signature1), canonical_s(signature2)) else {
        return false;
    };
    let k1 = challenge(signature1.r_bytes(), key1, message1);
    let k2 = challenge(signature2.r_bytes(), key2, message2);
    let Some((z, zk1)) = coefficient(&Scalar::ZERO, &k1, low_bits(&k1), rng) else {
        return verify_strict_large_order(key1, message1, signature1)
            && verify_strict_large_order(key2, message2, signature2);
    };
    // [z·S1 + S2]B - [z]R1 - [z·k1]A1 - [k2]A2, the points negated rather than the scalars, so
    // that each coefficient keeps its residue modulo 8.
    let expected_r2 = BASEPOINT.vartime_mixed_multiscalar_mul(
        [z * s1 + s2],
        [z, zk1, k2],
        [-r1, -key1.to_edwards(), -key2.to_edwards()],
    );
    // Check 4 for both (the module docs), then check 3 for R2, whose bytes are now canonical.
    let r2_bytes = signature2.r_bytes();
    expected_r2.compress().as_bytes() == r2_bytes && !SMALL_ORDER_ENCODINGS.contains(r2_bytes)
}

/// Checks 1 to 3 for a signature's `R` and `S`, and `R`'s encoding canonical (check 4 compares
/// bytes): `R` as a point and `S` as a scalar, or `None`.
fn decoded(signature: &Signature) -> Option<(EdwardsPoint, Scalar)> {
    let s = canonical_s(signature)?;
    let r_bytes = signature.r_bytes();
    if !canonical_y(r_bytes) {
        return None;
    }
    let r = CompressedEdwardsY(*r_bytes).decompress()?;
    (!r.is_small_order()).then_some((r, s))
}

/// Check 1: `S` canonical (below L), as a scalar.
fn canonical_s(signature: &Signature) -> Option<Scalar> {
    Scalar::from_canonical_bytes(*signature.s_bytes()).into()
}

/// `k = SHA-512(R || A || M) mod L` (RFC 8032 §5.1.7).
fn challenge(r: &[u8; 32], key: &VerifyingKey, message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(key.as_bytes());
    h.update(message);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// A random `z < 2^124` with `z ≡ 1 (mod 8)`, drawn until `rest + z·k mod L ≡ residue (mod 8)`
/// (about eight draws), and that sum: a key's coefficient whose other terms add up to `rest`.
/// `None` after [`MAX_DRAWS`] draws.
fn coefficient(
    rest: &Scalar,
    k: &Scalar,
    residue: u8,
    rng: &mut impl CryptoRngCore,
) -> Option<(Scalar, Scalar)> {
    (0..MAX_DRAWS).find_map(|_| {
        let z = draw(rng);
        let sum = rest + z * k;
        (low_bits(&sum) == residue).then_some((z, sum))
    })
}

/// Draws of a coefficient before giving up on its residue and checking the signatures one by
/// one: about one draw in eight fits, so 256 fail together with probability about 2^-49 for a
/// hash output `k`, and never go on forever (a `k` far below L, which no one can choose, would
/// leave the residue as it is).
const MAX_DRAWS: usize = 256;

/// A random `z < 2^124` with `z ≡ 1 (mod 8)`: 121 random bits.
fn draw(rng: &mut impl CryptoRngCore) -> Scalar {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes[..16]);
    bytes[15] &= 0x0f;
    bytes[0] = (bytes[0] & !7) | 1;
    Scalar::from_bytes_mod_order(bytes)
}

/// A scalar's residue modulo 8 (of its canonical value, below L).
fn low_bits(s: &Scalar) -> u8 {
    s.as_bytes()[0] & 7
}

/// Whether every signature is valid by `verify_strict`'s rules, checked in one computation: the
/// method of the pair check ([`crate::PublicJwk::verify_strict_pair`]) for any number of
/// signatures (an auditor re-checking a batch of an issuer's credentials). Each signature gets a
/// random coefficient `z ≡ 1 (mod 8)`; the signatures under one key share its term, whose
/// coefficient `Σ z·k mod L` is brought to `≡ Σ k (mod 8)` by drawing the last of them again. A
/// wrong signature passes with probability at most 2^-117; the one accepted difference is the
/// pair check's, torsion parts that cancel across the batch, which takes the signers' private
/// keys. A key of small order fails the batch, as `verify_strict` fails its signatures. `false`
/// says that a signature is invalid, not which: check them one by one to find it. Straus's
/// method, as curve25519-dalek makes it, suits batches of tens to a few hundred signatures;
/// check more in chunks.
pub fn verify_strict_batch(items: &[Signed<'_>], rng: &mut impl CryptoRngCore) -> bool {
    /// The signatures under one key.
    struct Group<'a> {
        key: &'a VerifyingKey,
        /// `Σ z·k mod L`, the key's coefficient.
        zk: Scalar,
        /// `Σ k (mod 8)`, the residue it must have.
        residue: u8,
        /// The last member: its index, `k` and `S`.
        last: (usize, Scalar, Scalar),
    }
    let mut basepoint = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(items.len() + 1);
    let mut points = Vec::with_capacity(items.len() + 1);
    let mut groups: Vec<Group> = Vec::new();
    for (i, (key, message, signature)) in items.iter().enumerate() {
        let Some((r, s)) = decoded(signature) else {
            return false;
        };
        let k = challenge(signature.r_bytes(), key, message);
        let z = draw(rng);
        basepoint += z * s;
        scalars.push(z);
        points.push(-r);
        let g = match groups
            .iter()
            .position(|g| g.key.as_bytes() == key.as_bytes())
        {
            Some(g) => g,
            None => {
                if key.is_weak() {
                    return false;
                }
                groups.push(Group {
                    key,
                    zk: Scalar::ZERO,
                    residue: 0,
                    last: (i, k, s),
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[g];
        group.zk += z * k;
        group.residue = (group.residue + low_bits(&k)) & 7;
        group.last = (i, k, s);
    }
    for group in &groups {
        let (i, k, s) = group.last;
        let mut zk = group.zk;
        if low_bits(&zk) != group.residue {
            // The last member's `z` drawn again, its term replaced.
            let rest = zk - scalars[i] * k;
            let Some((z, sum)) = coefficient(&rest, &k, group.residue, rng) else {
                return items.iter().all(|(key, m, sig)| verify_strict(key, m, sig));
            };
            basepoint += (z - scalars[i]) * s;
            scalars[i] = z;
            zk = sum;
        }
        scalars.push(zk);
        points.push(-group.key.to_edwards());
    }
    BASEPOINT
        .vartime_mixed_multiscalar_mul([basepoint], scalars, points)
        .is_identity()
}

/// Whether an encoded point's `y` (its low 255 bits) is below p = 2^255 - 19: every `y` from p
/// up has all bits set above bit 4.
fn canonical_y(encoding: &[u8; 32]) -> bool {
    !(encoding[0] >= 0xed
        && encoding[1..31].iter().all(|b| *b == 0xff)
        && encoding[31] & 0x7f == 0x7f)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha256, Sha512};

    /// The group order L, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10,
    ];
    /// p = 2^255 - 19, little-endian.
    const P: [u8; 32] = [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ];

    /// Little-endian addition of two 256-bit numbers (no overflow in the uses below).
    fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
            out[i] = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        out
    }

    /// A scalar from a label, deterministic.
    fn scalar(label: &str) -> Scalar {
        Scalar::from_bytes_mod_order(Sha256::digest(label.as_bytes()).into())
    }

    /// k = SHA-512(R || A || M) mod L, RFC 8032 §5.1.7.
    fn challenge(r: &[u8; 32], a: &[u8; 32], m: &[u8]) -> Scalar {
        let mut h = Sha512::new();
        h.update(r);
        h.update(a);
        h.update(m);
        Scalar::from_bytes_mod_order_wide(&h.finalize().into())
    }

    /// The signature `R || S` with `S = r + k·a`, for `R` given as bytes.
    fn sign_with(r_bytes: [u8; 32], r: Scalar, a: Scalar, key: &[u8; 32], m: &[u8]) -> [u8; 64] {
        let s = r + challenge(&r_bytes, key, m) * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r_bytes);
        sig[32..].copy_from_slice(s.as_bytes());
        sig
    }

    /// Non-canonical encodings of the same points: `y + p` when it fits in 255 bits.
    fn non_canonical(encoding: &[u8; 32]) -> Option<[u8; 32]> {
        let sign = encoding[31] & 0x80;
        let mut y = *encoding;
        y[31] &= 0x7f;
        // y + p < 2^255 only for y < 19.
        if y[1..].iter().any(|b| *b != 0) || y[0] >= 19 {
            return None;
        }
        let mut out = add_le(&y, &P);
        out[31] |= sign;
        Some(out)
    }

    struct Case {
        key: [u8; 32],
        message: Vec<u8>,
        signature: [u8; 64],
    }

    impl Case {
        /// The signature, and ed25519-dalek's `verify_strict` answer on it: the reference.
        fn strict(&self) -> (Signature, bool) {
            let sig = Signature::from_bytes(&self.signature);
            let ok = VerifyingKey::from_bytes(&self.key)
                .unwrap()
                .verify_strict(&self.message, &sig)
                .is_ok();
            (sig, ok)
        }
    }

    /// Keys (with the scalar `a` of their prime-order part): honest `aB`, mixed order `aB + T`,
    /// small order `T` (the identity among them), and non-canonical encodings of small-order keys.
    fn keys() -> Vec<([u8; 32], Scalar)> {
        let mut keys = Vec::new();
        for i in 0..3 {
            let a = scalar(&format!("key {i}"));
            keys.push(((B * a).compress().to_bytes(), a));
            for t in EIGHT_TORSION.iter().skip(1) {
                keys.push(((B * a + t).compress().to_bytes(), a));
            }
        }
        for t in EIGHT_TORSION.iter() {
            let enc = t.compress().to_bytes();
            keys.push((enc, Scalar::ZERO));
            if let Some(nc) = non_canonical(&enc) {
                keys.push((nc, Scalar::ZERO));
            }
        }
        keys
    }

    /// The corpus: for every key and message, signatures whose `R` is `[r]B + T` for every
    /// torsion point `T` (so that the torsion parts of `R` and `A` decide, as `[S]B - [k]A =
    /// [r]B - [k]T_A`), `R` of small order with `S = k·a` (valid for plain `verify` when
    /// `T_R = -[k]T_A`), non-canonical `S` (`S + L`) and `R` encodings, and single-bit flips of
    /// each signature.
    fn corpus() -> Vec<Case> {
        let mut cases = Vec::new();
        for (ki, (key, a)) in keys().iter().enumerate() {
            for mi in 0..4 {
                let message = format!("message {mi} for key {ki}").into_bytes();
                let mut sigs = Vec::new();
                for (ti, t) in EIGHT_TORSION.iter().enumerate() {
                    let r = scalar(&format!("nonce {ki} {mi} {ti}"));
                    let point: EdwardsPoint = B * r + t;
                    sigs.push(sign_with(point.compress().to_bytes(), r, *a, key, &message));
                    // R of small order alone: valid for `verify` when it equals -[k]T_A.
                    let enc = t.compress().to_bytes();
                    sigs.push(sign_with(enc, Scalar::ZERO, *a, key, &message));
                    if let Some(nc) = non_canonical(&enc) {
                        sigs.push(sign_with(nc, Scalar::ZERO, *a, key, &message));
                    }
                }
                for sig in sigs.clone() {
                    // S + L: the same S modulo L, not canonical.
                    let mut s = [0u8; 32];
                    s.copy_from_slice(&sig[32..]);
                    let mut high = sig;
                    high[32..].copy_from_slice(&add_le(&s, &L));
                    sigs.push(high);
                    for bit in [0usize, 9, 254, 255, 256, 300, 511] {
                        let mut flipped = sig;
                        flipped[bit / 8] ^= 1 << (bit % 8);
                        sigs.push(flipped);
                    }
                }
                for signature in sigs {
                    cases.push(Case {
                        key: *key,
                        message: message.clone(),
                        signature,
                    });
                }
            }
        }
        cases
    }

    #[test]
    fn small_order_encodings_are_the_eight_torsion_points() {
        for (t, enc) in EIGHT_TORSION.iter().zip(SMALL_ORDER_ENCODINGS.iter()) {
            assert_eq!(&t.compress().to_bytes(), enc);
            assert!(t.is_small_order());
        }
        // Eight distinct points.
        for (i, a) in SMALL_ORDER_ENCODINGS.iter().enumerate() {
            for b in &SMALL_ORDER_ENCODINGS[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn agrees_with_verify_strict_on_the_corpus() {
        let cases = corpus();
        let (mut strict_accepts, mut plain_only, mut keys_refused) = (0, 0, 0);
        for (i, case) in cases.iter().enumerate() {
            let Ok(key) = VerifyingKey::from_bytes(&case.key) else {
                keys_refused += 1;
                continue;
            };
            let sig = Signature::from_bytes(&case.signature);
            let reference = key.verify_strict(&case.message, &sig).is_ok();
            assert_eq!(
                verify_strict(&key, &case.message, &sig),
                reference,
                "case {i}: key {:02x?}, signature {:02x?}",
                case.key,
                case.signature
            );
            strict_accepts += usize::from(reference);
            plain_only += usize::from(!reference && key.verify(&case.message, &sig).is_ok());
        }
        // The corpus separates the strict rules from plain `verify`, and has valid signatures
        // under mixed-order keys too (which `verify_strict` accepts). At the time of writing:
        // 23,940 cases, 100 accepted, 208 accepted by plain `verify` only, every key decoded.
        assert!(cases.len() > 20_000, "{} cases", cases.len());
        assert!(strict_accepts >= 90, "{strict_accepts} accepted");
        assert!(
            plain_only >= 200,
            "{plain_only} accepted by plain verify only"
        );
        assert_eq!(keys_refused, 0, "keys that did not decode");
        // Small-order R or A with a signature plain `verify` accepts: refused.
        let small_r = cases
            .iter()
            .filter(|c| SMALL_ORDER_ENCODINGS.contains(&c.signature[..32].try_into().unwrap()))
            .filter(|c| {
                let key = VerifyingKey::from_bytes(&c.key).unwrap();
                key.verify(&c.message, &Signature::from_bytes(&c.signature))
                    .is_ok()
            })
            .count();
        assert!(small_r > 0, "no small-order R that plain verify accepts");
    }

    /// A key read from a JWK, known not to have small order, skips that test in
    /// `PublicJwk::verify_strict`: the answers stay `verify_strict`'s on every case whose key
    /// `PublicJwk::from_json` accepts (honest and mixed-order keys).
    #[test]
    fn jwk_keys_agree_with_verify_strict_on_the_corpus() {
        let (mut checked, mut accepted) = (0, 0);
        for (i, case) in corpus().iter().enumerate() {
            let Some(jwk) = jwk_of(&case.key) else {
                continue;
            };
            let (sig, reference) = case.strict();
            assert_eq!(
                jwk.verify_strict(&case.message, &sig),
                reference,
                "case {i}"
            );
            checked += 1;
            accepted += usize::from(reference);
        }
        assert!(checked > 15_000, "{checked} cases with a JWK key");
        assert!(accepted >= 90, "{accepted} accepted");
    }

    /// An honest key and signature to pair with each corpus case.
    fn partner() -> (crate::PublicJwk, Vec<u8>, Signature) {
        use ed25519_dalek::{Signer as _, SigningKey};
        let signing = SigningKey::from_bytes(&[7; 32]);
        let message = b"the partner's message".to_vec();
        let sig = signing.sign(&message);
        (crate::PublicJwk::new(signing.verifying_key()), message, sig)
    }

    /// A corpus case's key as a JWK reads it (`None` when `PublicJwk::from_json` refuses it:
    /// small order).
    fn jwk_of(key: &[u8; 32]) -> Option<crate::PublicJwk> {
        use base64::Engine as _;
        let jwk = serde_json::json!({"kty": "OKP", "crv": "Ed25519",
            "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)});
        crate::PublicJwk::from_json(&jwk).ok()
    }

    /// The pair check makes `verify_strict`'s decision on every corpus case, paired with an
    /// honest signature, first (the issuer's place, whose key gets the random coefficient) and
    /// second: mixed-order keys, torsion in `R`, non-canonical encodings and corruptions alike.
    #[test]
    fn pair_agrees_with_verify_strict_on_the_corpus() {
        let (honest, honest_message, honest_sig) = partner();
        let mut rng = rand_core::OsRng;
        let (mut checked, mut accepted, mut accepted_mixed) = (0, 0, 0);
        for (i, case) in corpus().iter().enumerate() {
            let Some(jwk) = jwk_of(&case.key) else {
                continue;
            };
            let (sig, reference) = case.strict();
            let first = jwk.verify_strict_pair(
                &case.message,
                &sig,
                &honest,
                &honest_message,
                &honest_sig,
                &mut rng,
            );
            let second = honest.verify_strict_pair(
                &honest_message,
                &honest_sig,
                &jwk,
                &case.message,
                &sig,
                &mut rng,
            );
            assert_eq!((first, second), (reference, reference), "case {i}");
            checked += 1;
            accepted += usize::from(reference);
            let torsion_free = CompressedEdwardsY(case.key)
                .decompress()
                .unwrap()
                .is_torsion_free();
            accepted_mixed += usize::from(reference && !torsion_free);
        }
        assert!(checked > 15_000, "{checked} cases with a JWK key");
        assert!(accepted >= 90, "{accepted} accepted");
        // Valid signatures under mixed-order keys: the coefficient's residue modulo 8 matters.
        assert!(
            accepted_mixed >= 20,
            "{accepted_mixed} accepted under mixed-order keys"
        );
    }

    /// The batch makes `verify_strict`'s decision on every corpus case placed among honest
    /// signatures: two under one honest key (which the case's key may share a group with, when
    /// it is that key) and one under another.
    #[test]
    fn batch_agrees_with_verify_strict_on_the_corpus() {
        use ed25519_dalek::{Signer as _, SigningKey};
        let (one, other) = (
            SigningKey::from_bytes(&[7; 32]),
            SigningKey::from_bytes(&[9; 32]),
        );
        let honest: Vec<(VerifyingKey, Vec<u8>, Signature)> =
            [(&one, "a"), (&one, "b"), (&other, "c")]
                .iter()
                .map(|(k, m)| {
                    (
                        k.verifying_key(),
                        m.as_bytes().to_vec(),
                        k.sign(m.as_bytes()),
                    )
                })
                .collect();
        let mut rng = rand_core::OsRng;
        let (mut checked, mut accepted) = (0, 0);
        for (i, case) in corpus().iter().enumerate() {
            let key = VerifyingKey::from_bytes(&case.key).unwrap();
            let (sig, reference) = case.strict();
            let mut items: Vec<Signed<'_>> = honest
                .iter()
                .map(|(k, m, s)| (k, m.as_slice(), s))
                .collect();
            // In turn first, in the middle and last: the last of a group is the one drawn again.
            items.insert(i % 4, (&key, &case.message, &sig));
            assert_eq!(verify_strict_batch(&items, &mut rng), reference, "case {i}");
            checked += 1;
            accepted += usize::from(reference);
        }
        assert!(checked > 20_000, "{checked}");
        assert!(accepted >= 90, "{accepted} accepted");
        let all: Vec<Signed<'_>> = honest
            .iter()
            .map(|(k, m, s)| (k, m.as_slice(), s))
            .collect();
        assert!(verify_strict_batch(&all, &mut rng));
        assert!(verify_strict_batch(&[], &mut rng));
    }

    /// Every signature of the corpus that `verify_strict` accepts (under honest and mixed-order
    /// keys, whose coefficients' residues matter) passes as one batch; any one altered fails it.
    #[test]
    fn batch_of_valid_signatures_passes_and_one_bad_fails_it() {
        let mut rng = rand_core::OsRng;
        let owned: Vec<(VerifyingKey, Vec<u8>, Signature)> = corpus()
            .into_iter()
            .map(|c| {
                let key = VerifyingKey::from_bytes(&c.key).unwrap();
                (key, c.message, Signature::from_bytes(&c.signature))
            })
            .filter(|(k, m, s)| k.verify_strict(m, s).is_ok())
            .collect();
        let mixed = owned
            .iter()
            .filter(|(k, _, _)| !k.to_edwards().is_torsion_free())
            .count();
        assert!(
            owned.len() >= 90 && mixed >= 20,
            "{} valid, {mixed} mixed",
            owned.len()
        );
        let items: Vec<Signed<'_>> = owned.iter().map(|(k, m, s)| (k, m.as_slice(), s)).collect();
        assert!(verify_strict_batch(&items, &mut rng));
        for i in [0, 17, items.len() - 1] {
            let mut bad = owned[i].2.to_bytes();
            bad[40] ^= 1;
            let bad = Signature::from_bytes(&bad);
            let mut altered = items.clone();
            altered[i].2 = &bad;
            assert!(!verify_strict_batch(&altered, &mut rng), "signature {i}");
        }
    }

    /// A generator that gives the same bytes every time: its `z` never changes, so whenever the
    /// first draw misses the residue, every draw does, and the checks fall back to one by one.
    struct Stuck;
    impl rand_core::RngCore for Stuck {
        fn next_u32(&mut self) -> u32 {
            0x5a5a_5a5a
        }
        fn next_u64(&mut self) -> u64 {
            0x5a5a_5a5a_5a5a_5a5a
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0x5a);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            dest.fill(0x5a);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for Stuck {}

    /// When no draw fits the residue, the pair and the batch check the signatures one by one:
    /// their answers stay `verify_strict`'s, on corpus cases that take the fallback and on those
    /// that do not.
    #[test]
    fn coefficients_that_never_fit_fall_back_to_one_by_one() {
        let (honest, honest_message, honest_sig) = partner();
        let (mut fell_back, mut batched) = (0, 0);
        for (i, case) in corpus().iter().enumerate().step_by(7) {
            let Some(jwk) = jwk_of(&case.key) else {
                continue;
            };
            let (sig, reference) = case.strict();
            let pair = jwk.verify_strict_pair(
                &case.message,
                &sig,
                &honest,
                &honest_message,
                &honest_sig,
                &mut Stuck,
            );
            let key = VerifyingKey::from_bytes(&case.key).unwrap();
            let items: [Signed<'_>; 2] = [
                (&key, &case.message, &sig),
                (honest.verifying_key(), &honest_message, &honest_sig),
            ];
            assert_eq!(
                (pair, verify_strict_batch(&items, &mut Stuck)),
                (reference, reference),
                "case {i}"
            );
            if decoded(&sig).is_some() {
                let k = challenge(sig.r_bytes(), &case.key, &case.message);
                if coefficient(&Scalar::ZERO, &k, low_bits(&k), &mut Stuck).is_none() {
                    fell_back += 1;
                } else {
                    batched += 1;
                }
            }
        }
        assert!(
            fell_back > 100 && batched > 100,
            "{fell_back} fell back, {batched} did not"
        );
    }

    /// The one difference from two `verify_strict` calls (module docs): both signers, with
    /// their private keys, put torsion parts into their `R` values that cancel. Torsion parts
    /// that do not cancel are refused, every time.
    #[test]
    fn pair_lets_through_only_torsion_that_both_signers_cancel() {
        let (a1, a2) = (scalar("pair key 1"), scalar("pair key 2"));
        let (key1, key2) = (
            (B * a1).compress().to_bytes(),
            (B * a2).compress().to_bytes(),
        );
        let (vk1, vk2) = (
            VerifyingKey::from_bytes(&key1).unwrap(),
            VerifyingKey::from_bytes(&key2).unwrap(),
        );
        let (m1, m2) = (b"issuer-signed".as_slice(), b"key binding".as_slice());
        let mut rng = rand_core::OsRng;
        let order_eight = EIGHT_TORSION[1];
        for i in 0..50 {
            let (r1, r2) = (scalar(&format!("r1 {i}")), scalar(&format!("r2 {i}")));
            let with = |r: Scalar, t: EdwardsPoint, a: Scalar, key: &[u8; 32], m: &[u8]| {
                Signature::from_bytes(&sign_with((B * r + t).compress().to_bytes(), r, a, key, m))
            };
            let sig1 = with(r1, order_eight, a1, &key1, m1);
            assert!(vk1.verify_strict(m1, &sig1).is_err());
            let cancelling = with(r2, -order_eight, a2, &key2, m2);
            assert!(vk2.verify_strict(m2, &cancelling).is_err());
            assert!(verify_strict_pair(
                (&vk1, m1, &sig1),
                (&vk2, m2, &cancelling),
                &mut rng
            ));
            // The same holds in a batch.
            assert!(verify_strict_batch(
                &[(&vk1, m1, &sig1), (&vk2, m2, &cancelling)],
                &mut rng
            ));
            for t in [order_eight, EdwardsPoint::default(), EIGHT_TORSION[4]] {
                let other = with(r2, t, a2, &key2, m2);
                assert!(!verify_strict_pair(
                    (&vk1, m1, &sig1),
                    (&vk2, m2, &other),
                    &mut rng
                ));
            }
        }
    }

    /// Why the verifier does not batch: `verify_batch` checks a random combination of the
    /// signatures' equations without the cofactor, so a signature whose `R` carries a point of
    /// order 2 (`R = [r]B + T`, which `verify_strict` refuses) passes whenever its random
    /// coefficient is even: about half the time.
    #[test]
    fn batch_verification_lets_through_what_verify_strict_refuses() {
        let a = scalar("batch key");
        let key_bytes = (B * a).compress().to_bytes();
        let key = VerifyingKey::from_bytes(&key_bytes).unwrap();
        let order_two = EIGHT_TORSION[4];
        let identity = EdwardsPoint::default();
        assert!(order_two != identity && order_two + order_two == identity);
        let mut let_through = 0;
        for i in 0..200 {
            let message = format!("message {i}").into_bytes();
            let r = scalar(&format!("batch nonce {i}"));
            let r_bytes = (B * r + order_two).compress().to_bytes();
            let sig = Signature::from_bytes(&sign_with(r_bytes, r, a, &key_bytes, &message));
            assert!(key.verify_strict(&message, &sig).is_err());
            assert!(!verify_strict(&key, &message, &sig));
            let batch = ed25519_dalek::verify_batch(&[&message], &[sig], &[key]);
            let_through += usize::from(batch.is_ok());
        }
        assert!((60..=140).contains(&let_through), "{let_through} of 200");
    }

    #[test]
    fn accepts_real_signatures_and_refuses_other_messages() {
        use ed25519_dalek::{Signer as _, SigningKey};
        for i in 0u8..32 {
            let signing = SigningKey::from_bytes(&[i; 32]);
            let key = signing.verifying_key();
            let message = [i; 100];
            let sig = signing.sign(&message);
            assert!(verify_strict(&key, &message, &sig));
            assert!(!verify_strict(&key, &message[1..], &sig));
        }
    }

    #[test]
    fn non_canonical_encodings_decode_to_the_same_point() {
        // The corpus's non-canonical keys and R values are what they claim to be.
        let mut found = 0;
        for t in EIGHT_TORSION.iter() {
            if let Some(nc) = non_canonical(&t.compress().to_bytes()) {
                let point = CompressedEdwardsY(nc).decompress().unwrap();
                assert_eq!(point, *t);
                assert_ne!(point.compress().to_bytes(), nc);
                found += 1;
            }
        }
        assert!(found >= 2, "{found}");
    }
}
