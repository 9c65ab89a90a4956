//! Discord signs every interaction with Ed25519 over `timestamp ‖ raw body`. This module
//! turns the two headers and the body into exactly what must be verified; the verification
//! itself is the runtime's native Ed25519 (`crate::crypto`).

use crate::domain::hex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    MissingHeader,
    MalformedSignature,
    Invalid,
}

/// A signature and the message it must cover, ready to verify.
#[derive(Debug, PartialEq, Eq)]
pub struct Signed {
    pub signature: [u8; 64],
    pub message: Vec<u8>,
}

/// Reads `X-Signature-Ed25519` (128 hex digits) and `X-Signature-Timestamp`.
pub fn signed_message(
    signature_hex: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
) -> Result<Signed, SignatureError> {
    let (Some(signature_hex), Some(timestamp)) = (signature_hex, timestamp) else {
        return Err(SignatureError::MissingHeader);
    };
    if timestamp.is_empty() {
        return Err(SignatureError::MissingHeader);
    }
    let signature =
        hex::decode_array::<64>(signature_hex).ok_or(SignatureError::MalformedSignature)?;
    let mut message = Vec::with_capacity(timestamp.len() + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.extend_from_slice(body);
    Ok(Signed { signature, message })
}

/// The application's public key: 32 bytes, given as 64 hex digits.
pub fn public_key(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode_array::<32>(hex_key.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_timestamp_then_body() {
        let sig = "ab".repeat(64);
        let signed = signed_message(Some(&sig), Some("1700000000"), br#"{"type":1}"#).unwrap();
        assert_eq!(signed.signature, [0xab; 64]);
        assert_eq!(signed.message, br#"1700000000{"type":1}"#.to_vec());
        let upper = signed_message(Some(&sig.to_uppercase()), Some("1"), b"").unwrap();
        assert_eq!(upper.signature, [0xab; 64]);
    }

    #[test]
    fn refuses_missing_and_malformed_headers() {
        let sig = "00".repeat(64);
        assert_eq!(
            signed_message(None, Some("1"), b""),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            signed_message(Some(&sig), None, b""),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            signed_message(Some(&sig), Some(""), b""),
            Err(SignatureError::MissingHeader)
        );
        for bad in [
            "",
            "zz",
            &"g".repeat(128),
            &"0".repeat(127),
            &"0".repeat(130),
        ] {
            assert_eq!(
                signed_message(Some(bad), Some("1"), b""),
                Err(SignatureError::MalformedSignature),
                "{bad}"
            );
        }
    }

    #[test]
    fn public_keys_are_32_bytes_of_hex() {
        assert_eq!(public_key(&"0f".repeat(32)), Some([0x0f; 32]));
        assert_eq!(
            public_key(&format!(" {} \n", "0f".repeat(32))),
            Some([0x0f; 32])
        );
        assert!(public_key("").is_none());
        assert!(public_key("abcd").is_none());
        assert!(public_key(&"x".repeat(64)).is_none());
    }
}
