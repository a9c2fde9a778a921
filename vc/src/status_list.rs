//! IETF Token Status List (draft-ietf-oauth-status-list): the compressed bitstring, the `status`
//! claim of a credential, and the signed Status List Token (`typ: statuslist+jwt`).
//!
//! Pure code, no I/O. The issuer keeps its statuses in storage and calls [`sign_token`]; a
//! verifier gets a token from a file or a periodic fetch, never per verification, and checks it
//! with [`verify_token`] before looking an index up.
//!
//! - §4.1: a list is a byte array, `bits` (1, 2, 4 or 8) per entry, entry `i` at bit offset
//!   `i * bits` counted from the least significant bit of each byte; `lst` is
//!   base64url(zlib(bytes)). We compress at level 9, as the draft recommends, which also
//!   reproduces the draft's examples byte for byte.
//! - §5.1: the token's header `typ` is `statuslist+jwt`; its payload has `sub` (the list's URI),
//!   `iat`, `exp`, `ttl` and `status_list: {bits, lst}`.
//! - §6.2: a credential references its entry as `status.status_list.{idx, uri}`.
//! - §7: status values 0 VALID, 1 INVALID, 2 SUSPENDED; 3 is application-specific.
//!
//! Inflating is bounded by [`Budget::max_status_list_bytes`] while it happens: a compression bomb
//! stops as soon as its output passes the budget, and memory never grows past it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use serde_json::{Map, Value};

use crate::{json, Algorithm, Budget, Jws, JwtPart, VcError, VerificationKey};

/// The JOSE `typ` of a Status List Token in JWT format (draft §5.1).
pub const STATUS_LIST_JWT_TYP: &str = "statuslist+jwt";

/// Budget name reported by [`VcError::LimitExceeded`] when an inflated list is too large.
const LIMIT_NAME: &str = "status_list_bytes";

/// The status of one credential (draft §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// 0x00: the credential is valid.
    Valid,
    /// 0x01: the credential is revoked. Dojang never takes this back.
    Invalid,
    /// 0x02: the credential is suspended, usually for a while.
    Suspended,
    /// Any other value (0x03 is application-specific, the rest reserved): a verifier cannot
    /// decide what it means.
    Other(u8),
}

impl Status {
    /// The status for a value read from a list.
    pub fn from_bits(value: u8) -> Self {
        match value {
            0 => Status::Valid,
            1 => Status::Invalid,
            2 => Status::Suspended,
            v => Status::Other(v),
        }
    }

    /// The value written to a list.
    pub fn to_bits(self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Invalid => 1,
            Status::Suspended => 2,
            Status::Other(v) => v,
        }
    }

    /// A short lowercase name: `valid`, `invalid`, `suspended` or `other`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Suspended => "suspended",
            Status::Other(_) => "other",
        }
    }
}

fn invalid(reason: &'static str) -> VcError {
    VcError::StatusListInvalid { reason }
}

fn check_bits(bits: u8) -> Result<(), VcError> {
    match bits {
        1 | 2 | 4 | 8 => Ok(()),
        _ => Err(invalid("bits must be 1, 2, 4 or 8")),
    }
}

/// A status list: `bits` per entry, packed from the least significant bit of each byte (§4.1).
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl StatusList {
    /// A list of at least `len_entries` entries, all 0 (valid). The byte array is rounded up to
    /// whole bytes (the draft recommends a size in bits divisible by 8), so [`StatusList::len`]
    /// may be a little larger than asked.
    pub fn new(bits: u8, len_entries: u64) -> Result<Self, VcError> {
        check_bits(bits)?;
        let bytes = len_entries
            .checked_mul(u64::from(bits))
            .map(|b| b.div_ceil(8))
            .and_then(|b| usize::try_from(b).ok())
            .ok_or(invalid("the list is too large"))?;
        Ok(Self {
            bits,
            bytes: vec![0; bytes],
        })
    }

    /// A list over an uncompressed byte array.
    pub fn from_bytes(bits: u8, bytes: Vec<u8>) -> Result<Self, VcError> {
        check_bits(bits)?;
        Ok(Self { bits, bytes })
    }

    /// Bits per entry: 1, 2, 4 or 8.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// The uncompressed byte array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn per_byte(&self) -> u64 {
        u64::from(8 / self.bits)
    }

    fn mask(&self) -> u8 {
        if self.bits == 8 {
            0xff
        } else {
            (1u8 << self.bits) - 1
        }
    }

    /// Number of entries: every slot of the byte array.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * self.per_byte()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The value at `idx`, or `None` outside the list.
    pub fn get(&self, idx: u64) -> Option<u8> {
        let byte = usize::try_from(idx / self.per_byte()).ok()?;
        let shift = (idx % self.per_byte()) as u32 * u32::from(self.bits);
        self.bytes
            .get(byte)
            .map(|b| b.checked_shr(shift).unwrap_or(0) & self.mask())
    }

    /// Sets the value at `idx`. The value must fit in `bits`.
    pub fn set(&mut self, idx: u64, value: u8) -> Result<(), VcError> {
        if value & !self.mask() != 0 {
            return Err(invalid("the status value does not fit in the list's bits"));
        }
        let len = self.len();
        let out_of_range = VcError::StatusIndexOutOfRange { idx, len };
        let byte = usize::try_from(idx / self.per_byte()).map_err(|_| out_of_range.clone())?;
        let shift = (idx % self.per_byte()) as u32 * u32::from(self.bits);
        let mask = self.mask();
        let b = self.bytes.get_mut(byte).ok_or(out_of_range)?;
        let clear = !mask.checked_shl(shift).unwrap_or(0);
        *b = (*b & clear) | value.checked_shl(shift).unwrap_or(0);
        Ok(())
    }

    /// `lst`: base64url (no padding) of the bytes compressed with zlib at level 9 (§4.1 step 4).
    pub fn encode(&self) -> String {
        B64.encode(zlib_best(&self.bytes))
    }

    /// Decodes `lst` with `bits` per entry. Inflating stops with
    /// [`VcError::LimitExceeded`] (`status_list_bytes`) as soon as the output passes
    /// `budget.max_status_list_bytes`; memory never grows beyond that budget.
    pub fn decode(bits: u8, lst: &str, budget: &Budget) -> Result<Self, VcError> {
        check_bits(bits)?;
        let compressed = B64
            .decode(lst)
            .map_err(|_| invalid("lst is not base64url without padding"))?;
        let bytes = inflate_bounded(&compressed, budget.max_status_list_bytes)?;
        Ok(Self { bits, bytes })
    }
}

/// zlib (RFC 1950) at the best compression level, the whole input in one call, as the draft's
/// own generator does, so that the output matches its examples byte for byte.
fn zlib_best(input: &[u8]) -> Vec<u8> {
    let mut deflater = Compress::new(Compression::best(), true);
    // deflateBound: input plus about 0.1 % plus a few header bytes; grown below if ever short.
    let mut out = Vec::with_capacity(input.len() + input.len() / 1000 + 64);
    loop {
        let consumed = usize::try_from(deflater.total_in()).unwrap_or(input.len());
        let rest = input.get(consumed..).unwrap_or_default();
        match deflater.compress_vec(rest, &mut out, FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) => return out,
            // Out of room (or no progress for lack of it): give the compressor more space.
            Ok(_) => out.reserve(out.capacity().max(64)),
            // Only a misuse of the stream can fail; a fresh stream fed once cannot.
            Err(_) => return out,
        }
    }
}

/// Inflates a zlib stream into at most `max` bytes.
fn inflate_bounded(compressed: &[u8], max: usize) -> Result<Vec<u8>, VcError> {
    let exceeded = |actual| VcError::LimitExceeded {
        limit: LIMIT_NAME,
        max,
        actual,
    };
    let ceiling = max.saturating_add(1);
    // Start small: a typical list inflates to a few KiB; grow by doubling, never past `ceiling`.
    let first = compressed.len().saturating_mul(4).clamp(1024, 64 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(first.min(ceiling));
    let mut inflater = Decompress::new(true);
    loop {
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(compressed.len());
        let produced = out.len();
        let rest = compressed.get(consumed..).unwrap_or_default();
        let status = inflater
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|_| invalid("lst is not a valid zlib stream"))?;
        if out.len() > max {
            return Err(exceeded(out.len()));
        }
        match status {
            flate2::Status::StreamEnd => break,
            flate2::Status::Ok | flate2::Status::BufError => {
                if out.len() == out.capacity() {
                    if out.capacity() >= ceiling {
                        // Full at the budget and the stream has not ended: more is coming.
                        return Err(exceeded(ceiling));
                    }
                    let target = out.capacity().saturating_mul(2).min(ceiling);
                    out.reserve_exact(target - out.len());
                } else {
                    let progress = usize::try_from(inflater.total_in()).ok() != Some(consumed)
                        || out.len() != produced;
                    if !progress {
                        return Err(invalid("lst is a truncated zlib stream"));
                    }
                }
            }
        }
    }
    if usize::try_from(inflater.total_in()).ok() != Some(compressed.len()) {
        return Err(invalid("lst has bytes after the end of its zlib stream"));
    }
    Ok(out)
}

/// A credential's reference to its status list entry: `status.status_list` (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct StatusReference {
    /// The entry's index in the list.
    pub idx: u64,
    /// The status list token's URI (its `sub`).
    pub uri: String,
}

impl StatusReference {
    /// The credential claim `status` for this reference: `{"status_list": {"idx", "uri"}}`.
    pub fn to_claim(&self) -> Value {
        serde_json::json!({"status_list": {"idx": self.idx, "uri": self.uri}})
    }
}

/// Reads `status.status_list.{idx, uri}` from a credential payload (§6.2).
///
/// No `status` claim: `Ok(None)`. A `status` claim that is not an object, has no `status_list`
/// (the only mechanism Dojang knows) or a malformed one: [`VcError::InvalidClaim`].
pub fn status_reference(payload: &Map<String, Value>) -> Result<Option<StatusReference>, VcError> {
    let bad = |reason| VcError::InvalidClaim {
        claim: "status",
        reason,
    };
    let Some(status) = json::member(payload, "status") else {
        return Ok(None);
    };
    let status = status.as_object().ok_or(bad("must be a JSON object"))?;
    let list = json::member(status, "status_list")
        .ok_or(bad(
            "has no status_list reference, the only mechanism supported",
        ))?
        .as_object()
        .ok_or(bad("status_list must be a JSON object"))?;
    let idx = json::member(list, "idx")
        .ok_or(bad("status_list.idx is missing"))?
        .as_u64()
        .ok_or(bad("status_list.idx must be a non-negative integer"))?;
    let uri = json::member(list, "uri")
        .ok_or(bad("status_list.uri is missing"))?
        .as_str()
        .ok_or(bad("status_list.uri must be a string"))?;
    if !looks_like_uri(uri) {
        return Err(bad("status_list.uri is not an absolute URI"));
    }
    Ok(Some(StatusReference {
        idx,
        uri: uri.to_owned(),
    }))
}

/// RFC 3986 §3.1: `scheme ":" …`, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); no
/// whitespace or control characters anywhere.
fn looks_like_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Signs a Status List Token (JWT, draft §5.1) with Ed25519: header `typ: statuslist+jwt`,
/// `alg: EdDSA`, `kid`; payload `iss`, `sub` (the list's URI), `iat`, `exp`, `ttl` and
/// `status_list: {bits, lst}`.
///
/// `ttl` must be positive and `exp` after `iat` ([`VcError::InvalidClaim`]).
#[allow(clippy::too_many_arguments)] // the claims of the token, each named by the draft
pub fn sign_token<S>(
    iss: &str,
    kid: &str,
    sub: &str,
    iat: i64,
    exp: i64,
    ttl: i64,
    list: &StatusList,
    signer: &S,
) -> Result<String, VcError>
where
    S: signature::Signer<ed25519_dalek::Signature> + ?Sized,
{
    if ttl <= 0 {
        return Err(VcError::InvalidClaim {
            claim: "ttl",
            reason: "must be a positive number of seconds",
        });
    }
    if exp <= iat {
        return Err(VcError::InvalidClaim {
            claim: "exp",
            reason: "must be after iat",
        });
    }
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(STATUS_LIST_JWT_TYP));
    header.insert("kid".into(), Value::from(kid));
    let mut status_list = Map::new();
    status_list.insert("bits".into(), Value::from(list.bits()));
    status_list.insert("lst".into(), Value::from(list.encode()));
    let mut payload = Map::new();
    payload.insert("iss".into(), Value::from(iss));
    payload.insert("sub".into(), Value::from(sub));
    payload.insert("iat".into(), Value::from(iat));
    payload.insert("exp".into(), Value::from(exp));
    payload.insert("ttl".into(), Value::from(ttl));
    payload.insert("status_list".into(), Value::Object(status_list));
    crate::jws::sign_eddsa(&header, &payload, signer)
}

/// A Status List Token whose signature, type, subject and expiry have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedStatusList {
    /// The list's URI (the token's `sub`).
    pub sub: String,
    /// When the issuer made this token (`iat`): the statuses are as of then.
    pub iat: i64,
    /// Expiry (`exp`), if the token has one.
    pub exp: Option<i64>,
    /// How long a copy may be cached, in seconds (`ttl`), if given.
    pub ttl: Option<i64>,
    /// The decoded list.
    pub list: StatusList,
    /// The token's `iss`, if given.
    pub iss: Option<String>,
}

/// Verifies a Status List Token in JWT format (draft §5.1, §8.3) and decodes its list.
///
/// In order: parse (strict JSON); `typ` is `statuslist+jwt` ([`VcError::TypInvalid`]); the
/// signature with `key`, an algorithm in `allowed` ([`VcError::StatusListSignatureInvalid`]);
/// `sub` equals `expected_sub` ([`VcError::StatusListSubMismatch`]); `exp` has not passed
/// ([`VcError::Expired`]) and `nbf`, if any, has come ([`VcError::NotYetValid`]); `ttl`, if any,
/// is positive; then `status_list` is decoded within `budget`.
pub fn verify_token(
    token: &str,
    key: &VerificationKey,
    allowed: &[Algorithm],
    expected_sub: &str,
    now: i64,
    budget: &Budget,
) -> Result<VerifiedStatusList, VcError> {
    let jws = parse_token(token, budget)?;
    match jws.header_str("typ") {
        Some(STATUS_LIST_JWT_TYP) => {}
        other => {
            return Err(VcError::TypInvalid {
                expected: STATUS_LIST_JWT_TYP,
                found: other.map(str::to_owned),
            })
        }
    }
    let payload = jws.verify(key, allowed).map_err(|e| match e {
        VcError::SignatureInvalid => VcError::StatusListSignatureInvalid,
        other => other,
    })?;
    let sub = payload
        .get("sub")
        .ok_or(VcError::MissingClaim { claim: "sub" })?
        .as_str()
        .ok_or(VcError::InvalidClaim {
            claim: "sub",
            reason: "must be a string",
        })?;
    if sub != expected_sub {
        return Err(VcError::StatusListSubMismatch {
            expected: expected_sub.to_owned(),
            found: sub.to_owned(),
        });
    }
    let int = |claim: &'static str| -> Result<Option<i64>, VcError> {
        payload
            .get(claim)
            .map(|v| {
                v.as_i64().ok_or(VcError::InvalidClaim {
                    claim,
                    reason: "must be an integer",
                })
            })
            .transpose()
    };
    let iat = int("iat")?.ok_or(VcError::MissingClaim { claim: "iat" })?;
    let exp = int("exp")?;
    let nbf = int("nbf")?;
    let ttl = int("ttl")?;
    if let Some(exp) = exp {
        if now >= exp {
            return Err(VcError::Expired { exp, now });
        }
    }
    if let Some(nbf) = nbf {
        if now < nbf {
            return Err(VcError::NotYetValid { nbf, now });
        }
    }
    if ttl.is_some_and(|t| t <= 0) {
        return Err(VcError::InvalidClaim {
            claim: "ttl",
            reason: "must be a positive number of seconds",
        });
    }
    let iss = match payload.get("iss") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .ok_or(VcError::InvalidClaim {
                    claim: "iss",
                    reason: "must be a string",
                })?
                .to_owned(),
        ),
    };
    let status_list = payload
        .get("status_list")
        .ok_or(VcError::MissingClaim {
            claim: "status_list",
        })?
        .as_object()
        .ok_or(invalid("status_list must be a JSON object"))?;
    let bits = status_list
        .get("bits")
        .and_then(Value::as_u64)
        .and_then(|b| u8::try_from(b).ok())
        .ok_or(invalid("status_list.bits must be 1, 2, 4 or 8"))?;
    let lst = status_list
        .get("lst")
        .and_then(Value::as_str)
        .ok_or(invalid("status_list.lst must be a string"))?;
    let list = StatusList::decode(bits, lst, budget)?;
    Ok(VerifiedStatusList {
        sub: sub.to_owned(),
        iat,
        exp,
        ttl,
        list,
        iss,
    })
}

/// Reads a token's `sub` and `iss` without checking anything, to find which list it claims to
/// be and which key to verify it with. Nothing here is trusted until [`verify_token`] passes.
pub fn unverified_subject_and_issuer(
    token: &str,
    budget: &Budget,
) -> Result<(Option<String>, Option<String>), VcError> {
    let jws = parse_token(token, budget)?;
    let get = |name| {
        jws.unverified_payload()
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok((get("sub"), get("iss")))
}

/// Parses the compact JWS; failures are reported as an invalid status list, not as a malformed
/// issuer-signed JWT of a credential.
fn parse_token(token: &str, budget: &Budget) -> Result<Jws, VcError> {
    Jws::parse(token, budget, JwtPart::Issuer).map_err(|e| match e {
        VcError::MalformedJwt { reason, .. } => invalid(reason),
        VcError::DuplicateJsonKey { .. } => invalid("the token repeats a JSON member name"),
        VcError::MalformedJson { .. } => {
            invalid("the token's header or payload is not a JSON object")
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_examples_bit_layout() {
        // §4.1: 1-bit [0xb9, 0xa3], 2-bit [0xc9, 0x44, 0xf9].
        let one = StatusList::from_bytes(1, vec![0xb9, 0xa3]).unwrap();
        let set: Vec<u64> = (0..16).filter(|&i| one.get(i) == Some(1)).collect();
        assert_eq!(set, [0, 3, 4, 5, 7, 8, 9, 13, 15]);
        assert_eq!(one.encode(), "eNrbuRgAAhcBXQ");
        let two = StatusList::from_bytes(2, vec![0xc9, 0x44, 0xf9]).unwrap();
        let values: Vec<u8> = (0..12).map(|i| two.get(i).unwrap()).collect();
        assert_eq!(values, [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]);
        assert_eq!(two.encode(), "eNo76fITAAPfAgc");
        assert_eq!(two.get(12), None);
    }

    #[test]
    fn set_refuses_wide_values_and_out_of_range() {
        let mut l = StatusList::new(2, 8).unwrap();
        assert_eq!(l.set(0, 4).unwrap_err().code(), "status_list_invalid");
        assert_eq!(
            l.set(8, 1).unwrap_err(),
            VcError::StatusIndexOutOfRange { idx: 8, len: 8 }
        );
        assert_eq!(
            l.set(u64::MAX, 1).unwrap_err().code(),
            "status_index_out_of_range"
        );
        assert_eq!(l.get(u64::MAX), None);
    }

    #[test]
    fn truncated_and_trailing_streams_refused() {
        let lst = StatusList::new(1, 64).unwrap().encode();
        let raw = B64.decode(&lst).unwrap();
        let short = B64.encode(&raw[..raw.len() - 3]);
        let b = Budget::default();
        assert_eq!(
            StatusList::decode(1, &short, &b).unwrap_err(),
            invalid("lst is a truncated zlib stream")
        );
        let mut long = raw.clone();
        long.push(0);
        assert_eq!(
            StatusList::decode(1, &B64.encode(long), &b).unwrap_err(),
            invalid("lst has bytes after the end of its zlib stream")
        );
        assert_eq!(
            StatusList::decode(1, "!!", &b).unwrap_err().code(),
            "status_list_invalid"
        );
        assert_eq!(
            StatusList::decode(1, "AAAA", &b).unwrap_err().code(),
            "status_list_invalid"
        );
    }

    #[test]
    fn budget_exactly_met_is_accepted() {
        let lst = StatusList::new(8, 4096).unwrap().encode();
        let exact = Budget {
            max_status_list_bytes: 4096,
            ..Budget::default()
        };
        assert_eq!(StatusList::decode(8, &lst, &exact).unwrap().len(), 4096);
        let short = Budget {
            max_status_list_bytes: 4095,
            ..Budget::default()
        };
        assert_eq!(
            StatusList::decode(8, &lst, &short).unwrap_err().code(),
            "limit_exceeded"
        );
    }

    #[test]
    fn status_reference_shapes() {
        let p = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(status_reference(&p(serde_json::json!({}))).unwrap(), None);
        let r = StatusReference {
            idx: 7,
            uri: "https://jongno.example/status/0".into(),
        };
        let ok = p(serde_json::json!({ "status": r.to_claim() }));
        assert_eq!(status_reference(&ok).unwrap(), Some(r));
        for bad in [
            serde_json::json!({"status": 1}),
            serde_json::json!({"status": {}}),
            serde_json::json!({"status": {"status_list": []}}),
            serde_json::json!({"status": {"status_list": {"uri": "https://a/b"}}}),
            serde_json::json!({"status": {"status_list": {"idx": -1, "uri": "https://a/b"}}}),
            serde_json::json!({"status": {"status_list": {"idx": 1.5, "uri": "https://a/b"}}}),
            serde_json::json!({"status": {"status_list": {"idx": 1}}}),
            serde_json::json!({"status": {"status_list": {"idx": 1, "uri": 5}}}),
            serde_json::json!({"status": {"status_list": {"idx": 1, "uri": "no scheme"}}}),
            serde_json::json!({"status": {"status_list": {"idx": 1, "uri": "https://a b"}}}),
        ] {
            assert_eq!(
                status_reference(&p(bad)).unwrap_err().code(),
                "invalid_claim"
            );
        }
    }
}
