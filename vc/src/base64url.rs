//! base64url without padding (RFC 4648 §5, as JOSE and SD-JWT use it, RFC 7515 §2), decoded
//! strictly: the alphabet `A`–`Z`, `a`–`z`, `0`–`9`, `-`, `_` only, no `=`, no length of the form
//! 4k + 1, and the unused bits of the last character zero (so that one byte string has one
//! encoding). It accepts exactly what the `base64` crate's `URL_SAFE_NO_PAD` engine accepts and
//! decodes to the same bytes; the tests below hold it to that.
//!
//! The JWS header and payload and every Disclosure of a presentation are decoded here, most of
//! what a verifier decodes: four characters become three bytes with one table look-up each,
//! already shifted into place, and one check of the alphabet for the whole text.

/// The alphabet, in the order of the values its characters stand for.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Set in every entry of [`PLACED`] for a byte outside the alphabet (the 24 bits of a group of
/// four characters are below it).
const INVALID: u32 = 1 << 24;

/// For each position in a group of four characters, the value of each byte shifted into that
/// position's six bits of the group's 24, or [`INVALID`].
const PLACED: [[u32; 256]; 4] = {
    let mut placed = [[INVALID; 256]; 4];
    let mut value = 0;
    while value < ALPHABET.len() {
        let byte = ALPHABET[value] as usize;
        let mut position = 0;
        while position < 4 {
            placed[position][byte] = (value as u32) << (18 - 6 * position);
            position += 1;
        }
        value += 1;
    }
    placed
};

/// Appends the bytes that `text` encodes to `out`. `Err` if `text` is not base64url without
/// padding, with `out` left as it was.
pub(crate) fn decode_into(text: &str, out: &mut Vec<u8>) -> Result<(), ()> {
    let text = text.as_bytes();
    let start = out.len();
    // Two or three characters after the last whole group make one or two bytes; one cannot.
    let tail = match text.len() % 4 {
        1 => return Err(()),
        0 => 0,
        partial => partial - 1,
    };
    let whole = text.len() / 4 * 3;
    out.resize(start + whole + tail, 0);
    let (groups, bytes) = out[start..].split_at_mut(whole);
    // Whether any character was outside the alphabet: or-ed over the text, checked once.
    let mut seen = 0;
    let group_of = |quad: &[u8]| {
        PLACED[0][usize::from(quad[0])]
            | PLACED[1][usize::from(quad[1])]
            | PLACED[2][usize::from(quad[2])]
            | PLACED[3][usize::from(quad[3])]
    };
    // Two groups at a time, their six bytes written at once; then the odd group, if any.
    let octets = text.chunks_exact(8);
    let quads = octets.remainder().chunks_exact(4);
    let last = quads.remainder();
    let mut sixes = groups.chunks_exact_mut(6);
    for (octet, six) in octets.zip(&mut sixes) {
        let (first, second) = (group_of(&octet[..4]), group_of(&octet[4..]));
        seen |= first | second;
        // An invalid character's bit spills into the other group's bytes: the text is refused
        // below anyway.
        six.copy_from_slice(&(u64::from(first) << 24 | u64::from(second)).to_be_bytes()[2..]);
    }
    for (quad, three) in quads.zip(sixes.into_remainder().chunks_exact_mut(3)) {
        let group = group_of(quad);
        seen |= group;
        three.copy_from_slice(&group.to_be_bytes()[1..]);
    }
    // The last two or three characters, as the first positions of a group: their bits below
    // the bytes they make must be zero.
    let group = last
        .iter()
        .zip(&PLACED)
        .fold(0, |group, (c, placed)| group | placed[usize::from(*c)]);
    seen |= group;
    let group = group.to_be_bytes();
    bytes.copy_from_slice(&group[1..=tail]);
    let unused = group.get(tail + 1..).unwrap_or_default();
    if seen & INVALID != 0 || unused.iter().any(|b| *b != 0) {
        out.truncate(start);
        return Err(());
    }
    Ok(())
}

/// The base64url text of a SHA-256 digest: 32 bytes always make 43 characters without padding
/// (ten groups of three bytes, then two bytes as three characters). Every Disclosure received is
/// hashed and encoded so; the `base64` crate's general encoder cost more than this.
pub(crate) fn encode_digest(digest: &[u8; 32]) -> [u8; 43] {
    let char_at = |group: u32, shift: u32| ALPHABET[(group >> shift & 63) as usize];
    let mut text = [0u8; 43];
    let (whole, last) = digest.split_at(30);
    for (three, four) in whole.chunks_exact(3).zip(text.chunks_exact_mut(4)) {
        let group = u32::from(three[0]) << 16 | u32::from(three[1]) << 8 | u32::from(three[2]);
        four.copy_from_slice(&[
            char_at(group, 18),
            char_at(group, 12),
            char_at(group, 6),
            char_at(group, 0),
        ]);
    }
    let group = u32::from(last[0]) << 16 | u32::from(last[1]) << 8;
    text[40..].copy_from_slice(&[char_at(group, 18), char_at(group, 12), char_at(group, 6)]);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;
    use rand::{Rng as _, SeedableRng as _};

    /// This decoder and the `base64` crate's, on one text: the same answer, the same bytes, and
    /// what was in `out` before kept either way.
    fn agree(text: &str) -> Result<(), String> {
        let mut out = b"kept".to_vec();
        let ours = decode_into(text, &mut out).map(|()| out[4..].to_vec());
        let theirs = B64.decode(text).map_err(|_| ());
        if ours != theirs {
            return Err(format!("{text:?}: ours {ours:?}, base64 {theirs:?}"));
        }
        if &out[..4] != b"kept" || (ours.is_err() && out.len() != 4) {
            return Err(format!("{text:?}: what was in out changed"));
        }
        Ok(())
    }

    #[test]
    fn digest_text_agrees_with_the_base64_crate() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(43);
        let mut digests = vec![[0u8; 32], [0xff; 32]];
        digests.extend((0..1000).map(|_| rng.gen::<[u8; 32]>()));
        for digest in digests {
            let ours = encode_digest(&digest);
            assert_eq!(std::str::from_utf8(&ours), Ok(B64.encode(digest).as_str()));
        }
    }

    #[test]
    fn agrees_with_the_base64_crate() {
        let mut texts: Vec<String> = [
            "",
            "A",
            "AA",
            "AAA",
            "AAAA",
            "AAAAA",
            "AB",
            "AQ",
            "AR",
            "AAB",
            "AAE",
            "AAF",
            "_w",
            "_x",
            "-_8",
            "-_9",
            "QUJD",
            "QUJDRA",
            "QUJDRA=",
            "QUJDRA==",
            "QUJD=",
            "====",
            "QU JD",
            "QU+D",
            "QU/D",
            "QU\nD",
            "QUJD\n",
            "é",
            "QUJDé",
            "Q\u{0}JD",
            "QUJD\u{80}",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4648);
        for len in 0..200 {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
                let encoded = B64.encode(&bytes);
                texts.push(encoded.clone());
                if encoded.is_empty() {
                    continue;
                }
                // One character changed: to another digit (in the last place its unused bits
                // may then be set), or to any ASCII byte; or one character more or less.
                let mut changed = encoded.clone().into_bytes();
                let at = rng.gen_range(0..changed.len());
                changed[at] = if rng.gen_bool(0.5) {
                    ALPHABET[rng.gen_range(0..64)]
                } else {
                    rng.gen_range(0..128)
                };
                texts.extend(String::from_utf8(changed));
                texts.push(format!(
                    "{encoded}{}",
                    char::from(ALPHABET[rng.gen_range(0..64)])
                ));
                texts.push(encoded[..encoded.len() - 1].to_owned());
            }
        }
        let failures: Vec<String> = texts.iter().filter_map(|t| agree(t).err()).collect();
        assert!(
            failures.is_empty(),
            "{} failures: {failures:#?}",
            failures.len()
        );
        assert!(texts.len() > 10_000, "{}", texts.len());
    }

    #[test]
    fn every_last_character_after_every_remainder() {
        for prefix in ["", "A", "AA", "AAA", "QUJD", "QUJDR", "QUJDRA", "QUJDRA_"] {
            for last in ALPHABET.iter().chain(b"=+/. \x00\x7f") {
                let text = format!("{prefix}{}", char::from(*last));
                if let Err(e) = agree(&text) {
                    panic!("{e}");
                }
            }
        }
    }
}
