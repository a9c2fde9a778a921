//! `did:key` for Ed25519 keys (did:key v0.9, <https://w3c-ccg.github.io/did-key-spec/>).
//!
//! ```text
//! did:key:z<base58btc( varint(0xed) ‖ 32-byte Ed25519 public key )>   = did:key:z6Mk…
//! ```
//!
//! `z` is the multibase prefix of base58btc, and `0xed` is the multicodec code of `ed25519-pub`,
//! written as the unsigned varint `0xed 0x01`. Only Ed25519 decodes: every other multicodec
//! (secp256k1 `0xe7`, X25519 `0xec`, P-256 `0x1200`, BLS12-381, RSA, …) is reported as
//! [`DidError::UnsupportedPublicKeyType`] and never read as anything else.
//!
//! Errors follow the error names of the did:key specification's algorithms:
//! | did:key spec | here | when |
//! |---|---|---|
//! | `invalidDid` | [`DidError::InvalidDid`] | not `did:key:z` + base58btc characters (DID syntax) |
//! | `invalidPublicKey` | [`DidError::InvalidPublicKey`] | malformed multicodec varint, not an Ed25519 point, small-order or non-canonical point |
//! | `invalidPublicKeyLength` | [`DidError::InvalidPublicKeyLength`] | Ed25519 header with other than 32 key bytes |
//! | `unsupportedPublicKeyType` | [`DidError::UnsupportedPublicKeyType`] | any multicodec other than `ed25519-pub` |
//!
//! The X25519 key-agreement key of a did:key document is derived from the Ed25519 key (the
//! birational map from Edwards to Montgomery form, RFC 7748 §4.1) and encoded the same way with
//! multicodec `0xec` (`z6LS…`). It is never usable as a signing key.

use ed25519_dalek::VerifyingKey;

use crate::jwk::ed25519_from_bytes;
use crate::{Did, DidError};

/// Multicodec code of `ed25519-pub`.
pub const ED25519_PUB: u64 = 0xed;
/// Multicodec code of `x25519-pub`.
pub const X25519_PUB: u64 = 0xec;

/// Length of an Ed25519 or X25519 public key in bytes.
const KEY_LENGTH: usize = 32;

/// Budget: the longest multicodec varint read. The multiformats unsigned-varint specification caps
/// varints at 9 bytes (63 bits); key codes in use need 2 or 3.
const MAX_VARINT_BYTES: usize = 9;

/// The did:key DID of an Ed25519 key: `did:key:z6Mk…`.
pub fn encode(key: &VerifyingKey) -> String {
    format!("did:key:{}", multibase_ed25519(key))
}

/// The multibase form of an Ed25519 key (`z6Mk…`): the did:key method-specific id, the fragment
/// of its verification method and the `publicKeyMultibase` of a `Multikey`.
pub fn multibase_ed25519(key: &VerifyingKey) -> String {
    multibase(ED25519_PUB, key.as_bytes())
}

/// The multibase form (`z6LS…`) of the X25519 key derived from an Ed25519 key: Edwards to
/// Montgomery form, `u = (1 + y) / (1 − y)` (RFC 7748 §4.1).
pub fn multibase_x25519_from_ed25519(key: &VerifyingKey) -> String {
    multibase(X25519_PUB, &key.to_montgomery().to_bytes())
}

/// Decodes a did:key DID to its Ed25519 verifying key (see the module docs for the errors).
///
/// The input is a DID, not a DID URL: a `#fragment` is [`DidError::InvalidDid`].
pub fn decode(did: &str) -> Result<VerifyingKey, DidError> {
    let did = Did::parse(did)?;
    decode_did(&did)
}

/// [`decode`] for an already parsed DID.
pub fn decode_did(did: &Did) -> Result<VerifyingKey, DidError> {
    if did.method() != "key" {
        return Err(DidError::InvalidDid {
            reason: "not a did:key DID",
        });
    }
    // Did::parse has checked `z` and the base58btc alphabet, so this cannot fail; a failure would
    // still be reported, as a DID syntax error.
    let bytes = bs58::decode(&did.method_specific_id()[1..])
        .into_vec()
        .map_err(|_| DidError::InvalidDid {
            reason: "a did:key identifier is base58btc",
        })?;
    ed25519_from_multicodec(&bytes)
}

/// Decodes a `publicKeyMultibase` value (`z6Mk…`) to an Ed25519 key.
///
/// Unlike [`decode`], this reads a key, not a DID: a non-`z` prefix or a character outside the
/// base58btc alphabet is [`DidError::InvalidPublicKey`].
pub fn decode_multibase(multibase: &str) -> Result<VerifyingKey, DidError> {
    let bytes = multibase_bytes(multibase)?;
    ed25519_from_multicodec(&bytes)
}

/// The multicodec code of a `z…` multibase key and its key bytes (the length is checked for
/// Ed25519 and X25519 only). Used for Multikey verification methods, which may hold X25519 keys.
pub(crate) fn decode_multikey(multibase: &str) -> Result<(u64, Vec<u8>), DidError> {
    let bytes = multibase_bytes(multibase)?;
    let (code, key) = split_multicodec(&bytes)?;
    if code == ED25519_PUB {
        ed25519_from_multicodec(&bytes)?;
    } else if code == X25519_PUB && key.len() != KEY_LENGTH {
        return Err(DidError::InvalidPublicKeyLength {
            expected: KEY_LENGTH,
            actual: key.len(),
        });
    }
    Ok((code, key.to_vec()))
}

/// A short name for a multicodec key code, for error messages.
pub(crate) fn multicodec_name(code: u64) -> String {
    let name = match code {
        0xe7 => "secp256k1-pub",
        0xea => "bls12_381-g1-pub",
        0xeb => "bls12_381-g2-pub",
        0xec => "x25519-pub",
        0xed => "ed25519-pub",
        0xee => "bls12_381-g1g2-pub",
        0x1200 => "p256-pub",
        0x1201 => "p384-pub",
        0x1202 => "p521-pub",
        0x1205 => "rsa-pub",
        _ => return format!("multicodec 0x{code:x}"),
    };
    name.to_owned()
}

fn multibase(code: u64, key: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(3 + key.len());
    let mut rest = code;
    loop {
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            bytes.push(low);
            break;
        }
        bytes.push(low | 0x80);
    }
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

fn multibase_bytes(multibase: &str) -> Result<Vec<u8>, DidError> {
    let encoded = multibase
        .strip_prefix('z')
        .ok_or(DidError::InvalidPublicKey {
            reason: "only base58btc multibase (`z…`) keys are supported",
        })?;
    if encoded.is_empty() || encoded.len() > crate::MAX_DID_LENGTH {
        return Err(DidError::InvalidPublicKey {
            reason: "empty or oversized multibase value",
        });
    }
    bs58::decode(encoded)
        .into_vec()
        .map_err(|_| DidError::InvalidPublicKey {
            reason: "not base58btc",
        })
}

/// Splits `varint(code) ‖ key`, rejecting truncated, oversized and non-minimal varints
/// (multiformats unsigned-varint: "the shortest possible encoding").
fn split_multicodec(bytes: &[u8]) -> Result<(u64, &[u8]), DidError> {
    let mut code: u64 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(MAX_VARINT_BYTES) {
        code |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(DidError::InvalidPublicKey {
                    reason: "non-minimal multicodec varint",
                });
            }
            return Ok((code, &bytes[i + 1..]));
        }
    }
    Err(DidError::InvalidPublicKey {
        reason: "truncated or oversized multicodec varint",
    })
}

fn ed25519_from_multicodec(bytes: &[u8]) -> Result<VerifyingKey, DidError> {
    let (code, key) = split_multicodec(bytes)?;
    if code != ED25519_PUB {
        return Err(DidError::UnsupportedPublicKeyType {
            key_type: multicodec_name(code),
        });
    }
    let key: &[u8; KEY_LENGTH] = key
        .try_into()
        .map_err(|_| DidError::InvalidPublicKeyLength {
            expected: KEY_LENGTH,
            actual: key.len(),
        })?;
    ed25519_from_bytes(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn raw(prefix: &[u8], key: &[u8]) -> String {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(key);
        format!("did:key:z{}", bs58::encode(bytes).into_string())
    }

    #[test]
    fn round_trip() {
        let key = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let did = encode(&key);
        assert!(did.starts_with("did:key:z6Mk"));
        assert_eq!(decode(&did), Ok(key));
        assert_eq!(decode_multibase(&did["did:key:".len()..]), Ok(key));
        assert!(multibase_x25519_from_ed25519(&key).starts_with("z6LS"));
    }

    #[test]
    fn varint_encoding() {
        assert_eq!(
            multibase(0xed, &[]),
            format!("z{}", bs58::encode([0xed, 0x01]).into_string())
        );
        assert_eq!(
            multibase(0x1200, &[]),
            format!("z{}", bs58::encode([0x80, 0x24]).into_string())
        );
        assert_eq!(split_multicodec(&[0x80, 0x24, 9]), Ok((0x1200, &[9u8][..])));
        assert!(split_multicodec(&[0xed]).is_err());
        assert!(split_multicodec(&[]).is_err());
        assert!(split_multicodec(&[0xed, 0x81, 0x00]).is_err());
        assert!(split_multicodec(&[0xff; 12]).is_err());
    }

    #[test]
    fn rejects_other_codecs_lengths_and_points() {
        let key = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let bytes = key.as_bytes();
        assert_eq!(
            decode(&raw(&[0xe7, 0x01], &[2u8; 33])),
            Err(DidError::UnsupportedPublicKeyType {
                key_type: "secp256k1-pub".into()
            })
        );
        // X25519 bytes of the right length are still not an Ed25519 key.
        assert_eq!(
            decode(&raw(&[0xec, 0x01], bytes)),
            Err(DidError::UnsupportedPublicKeyType {
                key_type: "x25519-pub".into()
            })
        );
        assert_eq!(
            decode(&raw(&[0x80, 0x24], &[2u8; 33])),
            Err(DidError::UnsupportedPublicKeyType {
                key_type: "p256-pub".into()
            })
        );
        assert_eq!(
            decode(&raw(&[0xed, 0x01], &bytes[..31])),
            Err(DidError::InvalidPublicKeyLength {
                expected: 32,
                actual: 31
            })
        );
        assert_eq!(
            decode(&raw(&[0xed, 0x01], &[bytes.as_slice(), &[0]].concat())),
            Err(DidError::InvalidPublicKeyLength {
                expected: 32,
                actual: 33
            })
        );
        // A non-minimal varint for 0xed is not the Ed25519 header.
        assert!(matches!(
            decode(&raw(&[0xed, 0x81, 0x00], bytes)),
            Err(DidError::InvalidPublicKey { .. })
        ));
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            decode(&raw(&[0xed, 0x01], &identity)),
            Err(DidError::InvalidPublicKey { .. })
        ));
        assert!(matches!(
            decode(&format!("{}#0", encode(&key))),
            Err(DidError::InvalidDid { .. })
        ));
        assert!(matches!(
            decode("did:jwk:eyJrdHkiOiJPS1AifQ"),
            Err(DidError::InvalidDid { .. })
        ));
    }

    #[test]
    fn multibase_key_errors() {
        assert!(matches!(
            decode_multibase("m7QFe"),
            Err(DidError::InvalidPublicKey { .. })
        ));
        assert!(matches!(
            decode_multibase("z6Mk0"),
            Err(DidError::InvalidPublicKey { .. })
        ));
        assert!(matches!(
            decode_multibase("z"),
            Err(DidError::InvalidPublicKey { .. })
        ));
        let key = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let x = multibase_x25519_from_ed25519(&key);
        assert!(matches!(
            decode_multibase(&x),
            Err(DidError::UnsupportedPublicKeyType { .. })
        ));
        let (code, bytes) = decode_multikey(&x).expect("X25519 multikey");
        assert_eq!(code, X25519_PUB);
        assert_eq!(bytes, key.to_montgomery().to_bytes());
    }
}
