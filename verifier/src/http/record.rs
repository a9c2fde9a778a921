//! How a result is kept on disk: its JSON, deflated against a fixed dictionary.
//!
//! A result is about 4 KB of JSON (the disclosed claims, twelve checks, the provenance chain, the
//! lists), much of it the same words in every result. Stored as it is, sled's leaves of the
//! `results` tree (up to 16 records each) grow past what its page cache keeps of one page (its
//! cache is split into 256 parts, 64 KiB each with the service's 16 MiB, `state.rs`): every
//! response then read its leaf back from disk, and every split and rewrite of a leaf wrote
//! tens of kilobytes. Deflated (RFC 1951, zlib's fastest level) with a preset dictionary of
//! what results have in common ([`DICTIONARY_V1`]), a result takes about 800 bytes.
//!
//! A stored value is either JSON (`{`: results written before, read as they are) or
//! [`PACKED_V1`] then the raw deflate stream. The dictionary is part of the format: it never
//! changes; a better one would come with a new first byte, and the old one stays to read
//! what was written with it.

use std::borrow::Cow;
use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::store::StorageError;

/// The first byte of a result deflated against [`DICTIONARY_V1`].
const PACKED_V1: u8 = 1;

/// The first byte of a result stored as JSON.
const JSON: u8 = b'{';

/// Bytes of a result's JSON once unpacked, at most: a stored record is at most the service's
/// request body limit of claims and a few kilobytes of checks, far under this; a corrupt or
/// hostile value cannot make unpacking allocate more.
const MAX_UNPACKED_BYTES: usize = 4 * 1024 * 1024;

/// What results have in common, in the order a result's JSON has it (deflate finds a match
/// for any part of a result's text here; the end, nearest to the result, is the cheapest to
/// refer to). Fixed forever for [`PACKED_V1`]: changing a byte would make every result written
/// with it unreadable.
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

thread_local! {
    /// A deflater for each thread that packs results: made once (zlib's state is a few hundred
    /// kilobytes to set up), reset for each result.
    static DEFLATER: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
}

/// A result's JSON as it is stored: [`PACKED_V1`] and the deflated JSON.
pub(crate) fn pack(json: &[u8]) -> Result<Vec<u8>, StorageError> {
    let failed = |e: flate2::CompressError| StorageError(format!("packing a result: {e}"));
    DEFLATER.with(|deflater| {
        let mut deflater = deflater.borrow_mut();
        deflater.reset();
        deflater
            .set_dictionary(DICTIONARY_V1.as_bytes())
            .map_err(failed)?;
        // Deflate adds 5 bytes per 16 KiB block to what it cannot shrink.
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

/// The JSON of a stored result: as it is, or unpacked.
pub(crate) fn unpack(stored: &[u8]) -> Result<Cow<'_, [u8]>, StorageError> {
    match stored.split_first() {
        Some((&JSON, _)) => Ok(Cow::Borrowed(stored)),
        Some((&PACKED_V1, deflated)) => inflate(deflated).map(Cow::Owned),
        _ => Err(StorageError("a result record of an unknown form".into())),
    }
}

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
    use super::*;

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

    #[test]
    fn packed_results_unpack_to_the_same_json_and_are_smaller() {
        let json = sample();
        let packed = pack(&json).unwrap();
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
        assert_eq!(unpack(&pack(other).unwrap()).unwrap().as_ref(), other);
        assert_eq!(unpack(&pack(b"{}").unwrap()).unwrap().as_ref(), b"{}");
    }

    #[test]
    fn json_results_stored_before_are_read_as_they_are() {
        let json = br#"{"status":"verified"}"#;
        assert!(matches!(unpack(json).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn damaged_or_unknown_values_are_errors() {
        let packed = pack(&sample()).unwrap();
        assert!(unpack(&packed[..packed.len() / 2]).is_err());
        let mut flipped = packed.clone();
        flipped[5] ^= 0xff;
        assert!(unpack(&flipped).map_or(true, |j| j.as_ref() != sample().as_slice()));
        assert!(unpack(&[]).is_err());
        assert!(unpack(&[9, 1, 2]).is_err());
    }
}
