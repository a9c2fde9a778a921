//! How a result is kept on disk: its JSON, compressed against a fixed dictionary.
//!
//! A result is about 4 KB of JSON (the disclosed claims, twelve checks, the provenance chain, the
//! lists), much of it the same words in every result. Compressed with a preset dictionary of
//! what results have in common ([`DICTIONARY_V1`]), a result takes about a kilobyte of the
//! results journal (`journal.rs`); results written by earlier versions, in sled's `results`
//! tree, were compressed for sled's sake: stored as they are, its leaves (up to 16 records each)
//! grew past what its page cache keeps of one page.
//!
//! A stored value has one of three forms, told apart by its first byte:
//!
//! - `{`: the JSON as it is (results written before any packing; read as they are).
//! - [`PACKED_V1`], then the raw deflate stream (RFC 1951, zlib's fastest level) of the JSON
//!   against [`DICTIONARY_V1`]. Written before [`PACKED_V2`]; only read now.
//! - [`PACKED_V2`], then the JSON's length (4 bytes, little-endian), then an LZ4 block
//!   (`lz4_flex`, its safe Rust encoder and decoder) of the JSON against the same
//!   [`DICTIONARY_V1`]. What [`pack`] writes.
//!
//! Why V2: deflate, with `deflateSetDictionary` run again for every result, was about 10% of
//! the service's CPU under load. On one realistic result of 4,253 bytes, measured side by side
//! in one run (pinned to one core, medians of 9 rounds of 5,000, three runs), packing takes
//! 33-35 µs with V1 and 6-7 µs with V2, unpacking 7-8.5 µs and 1.5-2 µs. The cost is size:
//! 986 bytes instead of 739 (23% of the JSON instead of 17%).
//!
//! The dictionary is part of both packed formats: it never changes; a better one would come
//! with a new first byte, and the old one stays to read what was written with it.

use std::borrow::Cow;

use flate2::{Decompress, FlushDecompress, Status};
use lz4_flex::block;

use super::store::StorageError;

/// The first byte of a result deflated against [`DICTIONARY_V1`] (written before
/// [`PACKED_V2`]; read, never written).
const PACKED_V1: u8 = 1;

/// The first byte of a result compressed as an LZ4 block against [`DICTIONARY_V1`], after the
/// JSON's length ([`V2_HEADER`]).
const PACKED_V2: u8 = 2;

/// Bytes before a [`PACKED_V2`] block: the first byte, then the JSON's length as a
/// little-endian `u32`.
const V2_HEADER: usize = 5;

/// What an LZ4 block can unpack to, at most, per byte of it: a sequence's token, offset and
/// length bytes add at most 255 bytes of match for each byte they take, and a literal is itself.
/// A [`PACKED_V2`] value declaring more than this of its block is refused before any buffer
/// of the declared length is made.
const LZ4_MAX_EXPANSION: usize = 255;

/// The first byte of a result stored as JSON.
const JSON: u8 = b'{';

/// Bytes of a result's JSON once unpacked, at most: a stored record is at most the service's
/// request body limit of claims and a few kilobytes of checks, far under this; a corrupt or
/// hostile value cannot make unpacking allocate more, and [`pack`] refuses a larger result
/// (it could not be read back).
const MAX_UNPACKED_BYTES: usize = 4 * 1024 * 1024;

/// What results have in common, in the order a result's JSON has it (deflate and LZ4 find a
/// match for any part of a result's text here; the end, nearest to the result, is the cheapest
/// to refer to). Fixed forever for [`PACKED_V1`] and [`PACKED_V2`]: changing a byte would make
/// every result written with it unreadable.
const DICTIONARY_V1: &str = concat!(
    r#"{"step":"request","ok":false,"detail":"requested claim(s) not disclosed: "}"#,
    r#"{"step":"response","ok":false,"detail":"the wallet declined to present"}"#,
    r#""error":{"code":"wallet_declined","message":"the wallet answered `access_denied`"}"#,
    r#"{"verified":false,"vct":null,"issuer":null,"claims":{},"disclosed":[],"checks":["#,
    r#""provenance":[],"error":{"code":"trust_list_expired","message":"#,
    r#""status":"rejected","requested_vct":"urn:dojang:kr:family-relation-certificate:1","#,
    r#""response_mode":"direct_post.jwt","received_at":"2026-"#,
    r#"{"verified":true,"vct":"urn:dojang:kr:resident-registration-abstract:1","#,
    r#""issuer":"did:web:","claims":{"document_number":"","issuing_office":"","name":"","#,
    r#""rrn":"","birth_date":"","address":{"detail":"","road_address":"","postal_code":""},"#,
    r#""members":[{"relation":"","name":""}]},"disclosed":["name","address","#,
    r#""address.detail","address.road_address","address.postal_code"],"checks":["#,
    r#"{"step":"parse","ok":true,"detail":"5 disclosure(s), with a KB-JWT"},"#,
    r#"{"step":"header","ok":true,"detail":"typ ok; iss did:web:"#,
    r#"; vct urn:dojang:kr:resident-registration-copy:1"},"#,
    r#"{"step":"trust","ok":true,"detail":" active on trust list seq 1 of did:web:mois.example,"#,
    r#" accredited for urn:dojang:kr:resident-registration-copy:1,"#,
    r#" urn:dojang:kr:resident-registration-abstract:1"},"#,
    r#"{"step":"signature","ok":true,"detail":"EdDSA signature valid"},"#,
    r#"{"step":"validity","ok":true,"detail":"iat 2026-01-01T00:00:00Z, exp 2027-"},"#,
    r#"{"step":"disclosures","ok":true,"detail":" disclosure(s) matched, none unreferenced"},"#,
    r#"{"step":"status","ok":true,"detail":"valid in https://"#,
    r#".example/status/0 at index , as of 2026-"},"#,
    r#"{"step":"log","ok":true,"detail":"no inclusion proof required or given; not checked"},"#,
    r#"{"step":"key_binding","ok":true,"detail":"KB-JWT valid for aud https://"#,
    r#" with the expected nonce"},"#,
    r#"{"step":"nonce","ok":true,"detail":"nonce issued by this verifier, now spent"},"#,
    r#"{"step":"request","ok":true,"detail":"all 2 requested claim(s) disclosed"},"#,
    r#"{"step":"lists","ok":true,"detail":"trust list seq 1 issued  s ago, read  s ago;"#,
    r#" status list http://127.0.0.1:/status/0 issued  s ago, fetched  s ago"}],"#,
    r#""provenance":[{"step":"root","detail":"root key  of did:web:mois.example,"#,
    r#" pinned in the verifier's configuration","#,
    r#""data":{"authority":"did:web:mois.example","thumbprint":""}},"#,
    r#"{"step":"trust_list","detail":"trust list seq 1 signed by the root at 2026-"#,
    r#"T00:00:00Z, valid until 2026-","data":{"seq":1,"iat":17,"exp":17}},"#,
    r#"{"step":"issuer","detail":" (-gu Office, Seoul, did:web:): active, accredited for "#,
    r#"urn:dojang:kr:resident-registration-copy:1","#,
    r#""data":{"did":"did:web:","name_ko":"","name_en":"","status":"active","#,
    r#""vcts":["urn:dojang:kr:resident-registration-copy:1","#,
    r#""urn:dojang:kr:resident-registration-abstract:1"],"accredited_for_vct":true}},"#,
    r#"{"step":"key","detail":"key did:web:#key-1 valid from 2026-01-01T00:00:00Z open-ended;"#,
    r#" valid at iat 2026-","data":{"kid":"did:web:","#,
    r#""not_before":17,"not_after":null,"iat":17,"valid_at_iat":true}},"#,
    r#"{"step":"credential","detail":"urn:dojang:kr:resident-registration-copy:1 issued by "#,
    r#"did:web:; iat 2026-, exp 2027-","data":{"vct":"urn:dojang:kr:","#,
    r#""iss":"did:web:","kid":"did:web:#key-1","iat":17,"exp":18}},"#,
    r#"{"step":"status","detail":"valid in https://.example/status/0 at index ,"#,
    r#" list issued 2026-, checked at 2026-","data":{"result":{"status":"valid","#,
    r#""uri":"https://.example/status/0","idx":,"list_iat":17},"checked_at":17}}],"#,
    r#""error":null,"lists":{"trust_list":{"seq":1,"iat":17,"exp":17,"fetched_at":17,"#,
    r#""age_seconds":,"since_fetch_seconds":},"status_lists":[{"url":"http://127.0.0.1:"#,
    r#"/status/0","uri":"https://.example/status/0","iat":17,"fetched_at":17,"#,
    r#""age_seconds":,"since_fetch_seconds":}]},"status":"verified","#,
    r#""requested_vct":"urn:dojang:kr:resident-registration-copy:1","#,
    r#""response_mode":"direct_post","received_at":"2026-"#,
);

/// A result's JSON as it is stored: [`PACKED_V2`], the JSON's length, and the JSON as an LZ4
/// block against [`DICTIONARY_V1`].
pub(crate) fn pack(json: &[u8]) -> Result<Vec<u8>, StorageError> {
    let length = u32::try_from(json.len())
        .ok()
        .filter(|_| json.len() <= MAX_UNPACKED_BYTES)
        .ok_or_else(|| {
            StorageError(format!(
                "packing a result: {} bytes, more than a record may hold ({MAX_UNPACKED_BYTES})",
                json.len()
            ))
        })?;
    let mut out = Vec::with_capacity(V2_HEADER + block::get_maximum_output_size(json.len()));
    out.push(PACKED_V2);
    out.extend_from_slice(&length.to_le_bytes());
    out.resize(out.capacity(), 0);
    let written =
        block::compress_into_with_dict(json, &mut out[V2_HEADER..], DICTIONARY_V1.as_bytes())
            .map_err(|e| StorageError(format!("packing a result: {e}")))?;
    out.truncate(V2_HEADER + written);
    Ok(out)
}

/// The JSON of a stored result: as it is, or unpacked.
pub(crate) fn unpack(stored: &[u8]) -> Result<Cow<'_, [u8]>, StorageError> {
    match stored.split_first() {
        Some((&JSON, _)) => Ok(Cow::Borrowed(stored)),
        Some((&PACKED_V1, deflated)) => inflate(deflated).map(Cow::Owned),
        Some((&PACKED_V2, packed)) => unpack_lz4(packed).map(Cow::Owned),
        _ => Err(StorageError("a result record of an unknown form".into())),
    }
}

/// The JSON of a [`PACKED_V2`] value (after its first byte): the declared length is checked
/// before a buffer of it is made, and must be exactly what the block unpacks to.
fn unpack_lz4(packed: &[u8]) -> Result<Vec<u8>, StorageError> {
    let (length, lz4) = packed.split_first_chunk::<4>().ok_or_else(|| {
        StorageError("a packed result is cut short: its length is missing".into())
    })?;
    let length = usize::try_from(u32::from_le_bytes(*length)).unwrap_or(usize::MAX);
    if length > MAX_UNPACKED_BYTES {
        return Err(StorageError(format!(
            "a packed result declares {length} bytes, more than a record may hold \
             ({MAX_UNPACKED_BYTES})"
        )));
    }
    if length > lz4.len().saturating_mul(LZ4_MAX_EXPANSION) {
        return Err(StorageError(format!(
            "a packed result declares {length} bytes, more than its block of {} can hold",
            lz4.len()
        )));
    }
    let mut out = vec![0; length];
    let unpacked = block::decompress_into_with_dict(lz4, &mut out, DICTIONARY_V1.as_bytes())
        .map_err(|e| StorageError(format!("unpacking a result: {e}")))?;
    if unpacked != length {
        return Err(StorageError(format!(
            "a packed result unpacks to {unpacked} bytes, not the {length} it declares"
        )));
    }
    Ok(out)
}

/// The JSON of a [`PACKED_V1`] value (after its first byte).
fn inflate(deflated: &[u8]) -> Result<Vec<u8>, StorageError> {
    let failed = |e: flate2::DecompressError| StorageError(format!("unpacking a result: {e}"));
    let mut inflater = Decompress::new(false);
    inflater
        .set_dictionary(DICTIONARY_V1.as_bytes())
        .map_err(failed)?;
    let mut out = Vec::with_capacity(deflated.len().saturating_mul(6).min(MAX_UNPACKED_BYTES));
    loop {
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
        let rest = deflated.get(consumed..).unwrap_or_default();
        let produced = inflater.total_out();
        match inflater
            .decompress_vec(rest, &mut out, FlushDecompress::Finish)
            .map_err(failed)?
        {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError => {
                let stalled = inflater.total_out() == produced
                    && usize::try_from(inflater.total_in()).unwrap_or(usize::MAX) == consumed
                    && out.len() < out.capacity();
                if stalled || out.len() >= MAX_UNPACKED_BYTES {
                    return Err(StorageError(
                        "a packed result is cut short or too large".into(),
                    ));
                }
                out.reserve(out.capacity().clamp(64, MAX_UNPACKED_BYTES - out.len()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use flate2::{Compress, Compression, FlushCompress};

    use super::*;

    thread_local! {
        /// [`pack_v1`]'s deflater, made once and reset for each result, as `pack` had it.
        static DEFLATER: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
    }

    /// How results were packed before [`PACKED_V2`]: [`PACKED_V1`] and the JSON deflated
    /// against [`DICTIONARY_V1`] (the code `pack` had then).
    fn pack_v1(json: &[u8]) -> Result<Vec<u8>, StorageError> {
        let failed = |e: flate2::CompressError| StorageError(format!("packing a result: {e}"));
        DEFLATER.with(|deflater| {
            let mut deflater = deflater.borrow_mut();
            deflater.reset();
            deflater
                .set_dictionary(DICTIONARY_V1.as_bytes())
                .map_err(failed)?;
            let mut out = Vec::with_capacity(json.len() / 2 + 64);
            out.push(PACKED_V1);
            loop {
                let before = deflater.total_in();
                let rest = json
                    .get(usize::try_from(before).unwrap_or(usize::MAX)..)
                    .unwrap_or_default();
                match deflater
                    .compress_vec(rest, &mut out, FlushCompress::Finish)
                    .map_err(failed)?
                {
                    Status::StreamEnd => return Ok(out),
                    Status::Ok | Status::BufError => out.reserve(out.capacity().max(64)),
                }
            }
        })
    }

    /// Two results as the `pack` of [`PACKED_V1`] wrote them (zlib 1.x, fastest level),
    /// kept as bytes: they must unpack whatever deflate code the tests have.
    const WRITTEN_V1: [(&[u8], &str); 2] = [
        (
            &[1, 195, 236, 161, 96, 186, 169, 22, 0],
            r#"{"verified":true,"status":"verified"}"#,
        ),
        (
            &[
                1, 67, 238, 161, 64, 59, 110, 136, 126, 5, 180, 217, 254, 106, 103, 195, 235, 245,
                123, 222, 44, 105, 0, 86, 165, 8, 39, 195, 123, 86, 181, 0,
            ],
            r#"{"verified":false,"claims":{"name":"김민준"},"status":"rejected"}"#,
        ),
    ];

    fn sample() -> Vec<u8> {
        let mut json =
            br#"{"verified":true,"vct":"urn:dojang:kr:resident-registration-copy:1","#.to_vec();
        json.extend_from_slice("\"claims\":{\"name\":\"김민준\"},\"checks\":[".as_bytes());
        for n in 0..200 {
            json.extend_from_slice(format!(r#"{{"step":"s{n}","ok":true}},"#).as_bytes());
        }
        json.extend_from_slice(br#"{}],"status":"verified"}"#);
        json
    }

    /// A [`PACKED_V2`] value of its parts, whatever they say.
    fn v2(length: u32, lz4: &[u8]) -> Vec<u8> {
        let mut stored = vec![PACKED_V2];
        stored.extend_from_slice(&length.to_le_bytes());
        stored.extend_from_slice(lz4);
        stored
    }

    fn error(stored: &[u8]) -> String {
        match unpack(stored) {
            Ok(json) => panic!("unpacked to {} bytes", json.len()),
            Err(StorageError(message)) => message,
        }
    }

    #[test]
    fn packed_results_are_v2_unpack_to_the_same_json_and_are_smaller() {
        let json = sample();
        let packed = pack(&json).unwrap();
        assert_eq!(packed[0], PACKED_V2);
        assert_eq!(
            packed[1..V2_HEADER],
            u32::try_from(json.len()).unwrap().to_le_bytes()
        );
        assert!(
            packed.len() * 3 <= json.len(),
            "{} of {}",
            packed.len(),
            json.len()
        );
        assert_eq!(unpack(&packed).unwrap().as_ref(), json.as_slice());
        for tiny in [&b"{}"[..], br#"{"verified":false}"#, b"{", b""] {
            let packed = pack(tiny).unwrap();
            assert_eq!(packed[0], PACKED_V2);
            assert_eq!(unpack(&packed).unwrap().as_ref(), tiny);
        }
        // Long runs: LZ4's densest case still unpacks (no refusal by the expansion bound).
        let mut long = br#"{"a":""#.to_vec();
        long.resize(200_000, b' ');
        long.extend_from_slice(br#""}"#);
        let packed = pack(&long).unwrap();
        assert!(packed.len() * 200 < long.len(), "{}", packed.len());
        assert_eq!(unpack(&packed).unwrap().as_ref(), long.as_slice());
    }

    #[test]
    fn results_larger_than_a_record_may_hold_are_not_packed() {
        assert!(pack(&vec![b' '; MAX_UNPACKED_BYTES + 1]).is_err());
        assert!(pack(&vec![b' '; MAX_UNPACKED_BYTES]).is_ok());
    }

    #[test]
    fn v1_results_written_before_still_unpack() {
        for (stored, json) in WRITTEN_V1 {
            assert_eq!(unpack(stored).unwrap().as_ref(), json.as_bytes());
        }
        let json = sample();
        let packed = pack_v1(&json).unwrap();
        assert_eq!(packed[0], PACKED_V1);
        assert!(
            packed.len() * 3 < json.len(),
            "{} of {}",
            packed.len(),
            json.len()
        );
        assert_eq!(unpack(&packed).unwrap().as_ref(), json.as_slice());
        // The thread's deflater is reused: a second result packs from a clean state.
        let other = br#"{"verified":false}"#;
        assert_eq!(unpack(&pack_v1(other).unwrap()).unwrap().as_ref(), other);
        assert_eq!(unpack(&pack_v1(b"{}").unwrap()).unwrap().as_ref(), b"{}");
    }

    #[test]
    fn json_results_stored_before_are_read_as_they_are() {
        let json = br#"{"status":"verified"}"#;
        assert!(matches!(unpack(json).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn damaged_v1_or_unknown_values_are_errors() {
        let packed = pack_v1(&sample()).unwrap();
        assert!(unpack(&packed[..packed.len() / 2]).is_err());
        let mut flipped = packed.clone();
        flipped[5] ^= 0xff;
        assert!(unpack(&flipped).map_or(true, |j| j.as_ref() != sample().as_slice()));
        assert!(unpack(&[]).is_err());
        assert!(unpack(&[9, 1, 2]).is_err());
    }

    #[test]
    fn v2_headers_cut_short_or_declaring_too_much_are_refused() {
        for cut in [&[PACKED_V2][..], &[PACKED_V2, 1], &[PACKED_V2, 1, 0, 0]] {
            assert!(error(cut).contains("length is missing"), "{cut:?}");
        }
        // More than a record may hold, in a block that does unpack to it: refused unread.
        let too_long = vec![b' '; MAX_UNPACKED_BYTES + 1];
        let lz4 = block::compress_with_dict(&too_long, DICTIONARY_V1.as_bytes());
        let declared = u32::try_from(too_long.len()).unwrap();
        assert!(error(&v2(declared, &lz4)).contains("more than a record may hold"));
        assert!(error(&v2(u32::MAX, &lz4)).contains("more than a record may hold"));
        // More than the block could unpack to: refused before a buffer of it is made.
        let message = error(&v2(1 << 20, &[0x1f, 1, 0, 255, 255]));
        assert!(
            message.contains("more than its block of 5 can hold"),
            "{message}"
        );
        assert!(error(&v2(4, &[])).contains("more than its block of 0 can hold"));
    }

    #[test]
    fn v2_blocks_of_another_length_than_declared_are_refused() {
        let json = sample();
        let packed = pack(&json).unwrap();
        let lz4 = &packed[V2_HEADER..];
        let length = u32::try_from(json.len()).unwrap();
        let message = error(&v2(length + 1, lz4));
        assert!(message.contains("not the"), "{message}");
        assert!(error(&v2(length - 1, lz4)).contains("unpacking a result"));
        assert!(error(&v2(0, lz4)).contains("unpacking a result"));
        // Cut anywhere, the block unpacks to less than declared, or not at all.
        for end in V2_HEADER..packed.len() {
            assert!(unpack(&packed[..end]).is_err(), "cut at {end}");
        }
    }

    #[test]
    fn v2_garbage_is_an_error_not_a_panic() {
        // A match before the dictionary's start; a match offset of 0; a length byte missing;
        // a literal run longer than the block.
        for lz4 in [
            &[0x00, 0xff, 0xff][..],
            &[0x00, 0, 0],
            &[0xf0],
            &[0x50, b'{'],
        ] {
            assert!(error(&v2(8, lz4)).contains("unpacking a result"), "{lz4:?}");
        }
        // Every byte of a real value flipped, each way: never a panic. A changed length is an
        // error; a changed block may unpack to other JSON (neither packed form has a checksum).
        let packed = pack(&sample()).unwrap();
        for at in 1..packed.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut damaged = packed.clone();
                damaged[at] ^= flip;
                let unpacked = unpack(&damaged);
                assert!(
                    at >= V2_HEADER || unpacked.is_err(),
                    "byte {at} ^ {flip:#x}"
                );
            }
        }
    }
}
